/* The list of files holds their names and notes, decrypted: when it grows
 * past its first block, the old block must not be left in freed heap
 * unwiped, as realloc would leave it. realloc is wrapped (see the
 * Makefile): a block handed to it while the list is built must not hold a
 * file's name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile.h"
#include "core/send.h"
#include "enlace.h"
#include "note/file.h"
#include "store/store.h"

#define PROFILES_ROOT "/tmp/enl-files-wipe-XXXXXX"
#include "profiles.h"

#define MARK "wipe-me-7d1c.bin"

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

static int watching, left_behind;

void *__wrap_realloc(void *p, size_t n)
{
    if (watching && p != NULL && memmem(p, malloc_usable_size(p), MARK, strlen(MARK)) != NULL)
        left_behind++;
    return __real_realloc(p, n);
}

static int count_known(const enl_file_info *f, void *ctx)
{
    if (!f->outgoing && f->known && strcmp(f->name, MARK) == 0) (*(int *)ctx)++;
    return 0;
}

static void test_list_grows_wiped(void **state)
{
    enl_profile *lu = mkprofile("lu"), *mo = mkprofile("mo"), *all[2];
    uint8_t id[ENL_FILE_IDBYTES], data[100];
    int n = 0;
    (void)state;

    introduce(lu, "lu", mo, "mo");
    all[0] = lu;
    all[1] = mo;
    randombytes_buf(data, sizeof data);
    for (int i = 0; i < 40; i++) {
        randombytes_buf(id, sizeof id);
        send_head(mo, "lu", id, data, sizeof data, MARK);
    }
    exchange(all, 2);

    watching = 1;
    assert_int_equal(enl_files_each(lu, count_known, &n), ENL_OK);
    watching = 0;
    assert_int_equal(n, 40);
    assert_int_equal(left_behind, 0);

    enl_profile_close(lu);
    enl_profile_close(mo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_grows_wiped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
