/* A file whose sealing fills the disk half way: the batches of parts that
 * committed before stay (they leave with the next sync, and the file is
 * listed interrupted), the rest waits. The send said only "database:
 * database or disk is full", so the user took it that nothing was sealed.
 * It now says how many parts were, that they leave with the next sync, and
 * that sending the file again goes on where it stopped, which it does.
 *
 * enl_store_commit is wrapped (TEST_WRAP in the Makefile): once the first
 * batch of parts has committed (the progress callback says "sealing"),
 * every commit fails, rolled back, as on a full disk. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define PROFILES_ROOT "/tmp/enl-file-send-full-XXXXXX"
#include "profiles.h"

static int full, fill_after_first;

int __real_enl_store_commit(enl_store *st);
int __wrap_enl_store_commit(enl_store *st);

int __wrap_enl_store_commit(enl_store *st)
{
    if (full) {
        enl_store_rollback(st);   /* as a commit that fails does */
        return ENL_ESTORE;
    }
    return __real_enl_store_commit(st);
}

static void on_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    (void)ctx;
    (void)done;
    (void)total;
    if (fill_after_first && strcmp(what, "sealing") == 0) full = 1;
}

typedef struct {
    enl_file_state state;
    uint32_t have, parts;
} seen;

static int look(const enl_file_info *f, void *ctx)
{
    seen *s = ctx;
    if (f->outgoing) {
        s->state = f->state;
        s->have = f->have;
        s->parts = f->parts;
    }
    return 0;
}

static void test_sealing_stopped_by_a_full_disk(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto");
    enl_profile *all[2] = { ana, beto };
    size_t len = 70 * (size_t)ENL_FILE_CHUNK;   /* 70 parts: a batch of 64, then 6 */
    uint8_t id[ENL_FILE_IDBYTES], *data = malloc(len);
    char src[300];
    const char *why;
    seen s;
    FILE *f;
    (void)state;

    assert_non_null(data);
    introduce(ana, "ana", beto, "beto");
    snprintf(src, sizeof src, "%s/tape.bin", root);
    randombytes_buf(data, len);
    assert_non_null(f = fopen(src, "wb"));
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);

    fill_after_first = 1;
    assert_int_equal(enl_send_file(ana, "beto", src, NULL, NULL, on_progress, NULL, id), ENL_ESTORE);
    fill_after_first = full = 0;
    why = enl_profile_errmsg(ana);
    print_message("%s\n", why);
    memset(&s, 0, sizeof s);
    assert_int_equal(enl_files_each(ana, look, &s), ENL_OK);
    assert_int_equal(s.state, ENL_FILE_SEALING);
    assert_int_equal(s.have, 64);
    if (strstr(why, "64 of its 70 parts") == NULL || strstr(why, "send the file again") == NULL)
        fail_msg("the send did not say what was sealed and how to go on: %s", why);

    /* once there is room, the same send goes on where it stopped */
    assert_int_equal(enl_send_file(ana, "beto", src, NULL, NULL, NULL, NULL, id), ENL_OK);
    memset(&s, 0, sizeof s);
    assert_int_equal(enl_files_each(ana, look, &s), ENL_OK);
    assert_int_equal(s.state, ENL_FILE_SENT);
    assert_int_equal(s.have, 70);
    exchange(all, 2);

    free(data);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sealing_stopped_by_a_full_disk),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
