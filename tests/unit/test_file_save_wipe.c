/*
 * What `files save` writes out is the received file in the clear, and
 * only where the user asked: the parts it streams out of the store are
 * opened into memory that is wiped, and hashed as they go. The hash's
 * state holds the bytes it has not yet compressed (up to two blocks of
 * 128 bytes). A save that failed to write (a full disk, a stick pulled
 * out) left that state, with the file's bytes, on the stack. The call
 * runs on a stack scrubbed first; the stack it used is then searched for a
 * mark that only the file holds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-save-wipe-XXXXXX"
#include "profiles.h"

#define MARK "qzsavedfilewipe"
#define DEPTH 262144
#include "stack_mark.h"

static int fail_writes;

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
    if (fail_writes) {
        errno = ENOSPC;
        return -1;
    }
    return __real_write(fd, buf, n);
}

static enl_profile *beto;
static uint8_t id[ENL_FILE_IDBYTES];
static char out[300];

static __attribute__((noinline)) int save_it(void)
{
    return enl_file_save(beto, id, out, 0, NULL, NULL);
}

static void test_save_leaves_no_content(void **state)
{
    enl_profile *ana;
    char path[300];
    FILE *f;
    (void)state;
    ana = mkprofile("ana");
    beto = mkprofile("beto");
    introduce(ana, "ana", beto, "beto");
    snprintf(path, sizeof path, "%s/testimony.txt", root);
    assert_non_null(f = fopen(path, "wb"));
    assert_true(fputs("what was seen at the checkpoint on the night of the 14th: " MARK
                      " and the names of those taken\n", f) >= 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(enl_send_file(ana, "beto", path, NULL, NULL, NULL, NULL, id), ENL_OK);
    carry_all(ana, beto);
    snprintf(out, sizeof out, "%s/saved.txt", root);

    /* the disk is full */
    fail_writes = 1;
    scrub();
    assert_int_equal(save_it(), ENL_EIO);
    fail_writes = 0;
    assert_false(stack_holds_mark());
    assert_int_equal(access(out, F_OK), -1);

    scrub();
    assert_int_equal(save_it(), ENL_OK);
    assert_false(stack_holds_mark());
    enl_profile_close(ana);
    enl_profile_close(beto);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_leaves_no_content),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
