/* A save whose file is written whole, but whose profile then cannot record
 * it (the profile's disk full: deleting the parts and marking the file
 * saved is a write too). The save said only "database: database or disk
 * is full": the user took the file at PATH for half-written, while the
 * profile, contrary to what a save promises, still held every part of it.
 * It now says that the file is saved whole, that the profile still holds
 * its parts, and how to have them deleted: save again with --force.
 *
 * enl_store_commit is wrapped (TEST_WRAP in the Makefile): while full is
 * set, a commit fails, rolled back, once the saved file exists; those
 * before it (the settling of expired files) go through. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

#define PROFILES_ROOT "/tmp/enl-file-save-full-XXXXXX"
#include "profiles.h"

static int full;
static char out[400];

int __real_enl_store_commit(enl_store *st);
int __wrap_enl_store_commit(enl_store *st);

int __wrap_enl_store_commit(enl_store *st)
{
    if (full && access(out, F_OK) == 0) {
        enl_store_rollback(st);   /* as a commit that fails does */
        return ENL_ESTORE;
    }
    return __real_enl_store_commit(st);
}

typedef struct {
    enl_file_state state;
    uint32_t have;
} seen;

static int look(const enl_file_info *f, void *ctx)
{
    seen *s = ctx;
    if (!f->outgoing) {
        s->state = f->state;
        s->have = f->have;
    }
    return 0;
}

static void same_bytes(const char *path, const uint8_t *data, size_t len)
{
    uint8_t *back = malloc(len + 1);
    FILE *f;
    assert_non_null(back);
    assert_non_null(f = fopen(path, "rb"));
    assert_int_equal(fread(back, 1, len + 1, f), len);
    fclose(f);
    assert_memory_equal(back, data, len);
    free(back);
}

static void test_saved_whole_but_not_recorded(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto");
    enl_profile *all[2] = { ana, beto };
    uint8_t id[ENL_FILE_IDBYTES], data[140000];
    char src[300];
    const char *why;
    seen s;
    FILE *f;
    (void)state;

    introduce(ana, "ana", beto, "beto");
    snprintf(src, sizeof src, "%s/tape.bin", root);
    randombytes_buf(data, sizeof data);
    assert_non_null(f = fopen(src, "wb"));
    assert_int_equal(fwrite(data, 1, sizeof data, f), sizeof data);
    fclose(f);
    assert_int_equal(enl_send_file(ana, "beto", src, NULL, NULL, NULL, NULL, id), ENL_OK);
    exchange(all, 2);
    snprintf(out, sizeof out, "%s/saved.bin", root);

    full = 1;
    assert_int_equal(enl_file_save(beto, id, out, 0, NULL, NULL), ENL_ESTORE);
    full = 0;
    why = enl_profile_errmsg(beto);
    print_message("%s\n", why);
    /* the file is there, whole; the profile still holds its parts, and
     * the message says both, and what to do */
    same_bytes(out, data, sizeof data);
    memset(&s, 0, sizeof s);
    assert_int_equal(enl_files_each(beto, look, &s), ENL_OK);
    assert_int_equal(s.state, ENL_FILE_COMPLETE);
    assert_int_equal(s.have, 3);
    if (strstr(why, "saved whole") == NULL || strstr(why, "still holds its parts") == NULL ||
        strstr(why, "--force") == NULL)
        fail_msg("the save did not say that the file is whole and the parts stay: %s", why);

    /* once there is room, saving again with --force finishes the job */
    assert_int_equal(enl_file_save(beto, id, out, ENL_FILE_SAVE_FORCE, NULL, NULL), ENL_OK);
    same_bytes(out, data, sizeof data);
    memset(&s, 0, sizeof s);
    assert_int_equal(enl_files_each(beto, look, &s), ENL_OK);
    assert_int_equal(s.state, ENL_FILE_SAVED);
    assert_int_equal(s.have, 0);

    enl_profile_close(ana);
    enl_profile_close(beto);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_saved_whole_but_not_recorded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
