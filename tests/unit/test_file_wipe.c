/*
 * A file's name and the note that goes with it are what the sender typed:
 * sealing a file must not leave them on the stack (the store keeps them
 * only encrypted). The call runs on a stack scrubbed first; the stack it
 * used is then searched for a mark that only the note holds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-file-wipe-XXXXXX"
#include "profiles.h"

#define MARK "qzfilenotewipe"
#define DEPTH 262144
#include "stack_mark.h"

static enl_profile *ana, *beto;
static char path[300];

static __attribute__((noinline)) int send_it(void)
{
    return enl_send_file(ana, "beto", path, "tape 3 " MARK, NULL, NULL, NULL, NULL);
}

static void test_sealing_leaves_no_note(void **state)
{
    FILE *f;
    (void)state;
    ana = mkprofile("ana");
    beto = mkprofile("beto");
    introduce(ana, "ana", beto, "beto");
    snprintf(path, sizeof path, "%s/testimony.txt", root);
    assert_non_null(f = fopen(path, "wb"));
    assert_int_equal(fputs("what was seen at the checkpoint\n", f) >= 0, 1);
    assert_int_equal(fclose(f), 0);

    scrub();
    assert_int_equal(send_it(), ENL_OK);
    assert_false(stack_holds_mark());
    enl_profile_close(ana);
    enl_profile_close(beto);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sealing_leaves_no_note),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
