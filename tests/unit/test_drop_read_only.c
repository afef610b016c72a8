/*
 * A dead drop that cannot be written (a write-protected card, a read-only
 * mount, a folder shared read-only) is still read: what it brings is taken
 * in, nothing is written to it or removed from it, and the purges of what
 * arrived, with the notes this device carries, leave with the next sync
 * that can take them. Before, such a drop was refused outright ("not a
 * folder this profile can read and write"), and its notes never arrived.
 *
 * The test runs as root on most machines, where permissions do not stop a
 * write: the folder's read-only state is made by wrapping access(2), which
 * is how the sync asks (and what a read-only mount answers: EROFS).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-drop-ro-XXXXXX"
#include "profiles.h"

int __real_access(const char *path, int mode);
int __wrap_access(const char *path, int mode);

static const char *read_only_dir;   /* the folder whose writes access(2) refuses */

int __wrap_access(const char *path, int mode)
{
    if (read_only_dir != NULL && strcmp(path, read_only_dir) == 0 && (mode & W_OK)) {
        errno = EROFS;
        return -1;
    }
    return __real_access(path, mode);
}

static void say(enl_profile *p, const char *to, const char *text)
{
    assert_int_equal(enl_send_text(p, to, (const uint8_t *)text, strlen(text), NULL, NULL), ENL_OK);
}

static void test_read_only_drop_is_read_not_written(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto");
    enl_sync_stats st;
    char drop[256];
    (void)state;

    snprintf(drop, sizeof drop, "%s/drop", root);
    assert_int_equal(mkdir(drop, 0700), 0);
    introduce(ana, "ana", beto, "beto");
    say(ana, "beto", "the leaflet is ready");
    assert_int_equal(enl_sync_folder(ana, drop, NULL, &st), ENL_OK);
    assert_int_equal(st.notes_sent, 1);
    assert_int_equal(st.read_only, 0);
    assert_int_equal(folder_entries(drop), 1);
    /* beto has something to leave too */
    say(beto, "ana", "seen, thanks");

    read_only_dir = drop;
    assert_int_equal(enl_sync_folder(beto, drop, NULL, &st), ENL_OK);
    assert_int_equal(st.read_only, 1);
    assert_int_equal(st.delivered, 1);          /* ana's message arrived */
    assert_int_equal(st.notes_sent, 0);         /* beto's note waits */
    assert_int_equal(st.purges_sent, 0);        /* and the purge of ana's */
    assert_int_equal(folder_entries(drop), 1);  /* nothing written, nothing removed */

    /* writable again: what waited is left now */
    read_only_dir = NULL;
    assert_int_equal(enl_sync_folder(beto, drop, NULL, &st), ENL_OK);
    assert_int_equal(st.read_only, 0);
    assert_int_equal(st.delivered, 0);          /* already read */
    assert_int_equal(st.notes_sent, 1);
    assert_int_equal(st.purges_sent, 1);

    assert_int_equal(enl_sync_folder(ana, drop, NULL, &st), ENL_OK);
    assert_int_equal(st.delivered, 1);          /* beto's answer */
    assert_int_equal(st.purges_received, 1);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* A folder that cannot even be read is still refused, and says so. */
static void test_unreadable_folder_refused(void **state)
{
    enl_profile *carmen = mkprofile("carmen");
    enl_sync_stats st;
    char file[256];
    FILE *f;
    (void)state;

    snprintf(file, sizeof file, "%s/not-a-folder", root);
    assert_non_null(f = fopen(file, "w"));
    fclose(f);
    assert_int_equal(enl_sync_folder(carmen, file, NULL, &st), ENL_EINVAL);
    enl_profile_close(carmen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_only_drop_is_read_not_written),
        cmocka_unit_test(test_unreadable_folder_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
