/*
 * A note row planted in the store file (by whoever held the device while it
 * was locked: the notes table holds opaque bytes, not blobs under the
 * profile key) that is larger than any note can be. The threat model says
 * a planted database can make the program fail, never more: a sync must
 * not copy such a row into its fixed-size message buffer (a heap overflow
 * the planter chose the bytes of), and must not send it either. It is
 * skipped like a note gone since the listing, and the sync goes on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "enlace.h"
#include "store/store.h"

#define PROFILES_ROOT "/tmp/enl-planted-XXXXXX"
#include "profiles.h"

#include "listening.h"

/* Every note row of the profile in home gets len bytes of data. */
static void plant(const char *home, size_t len)
{
    char path[400], sql[128];
    sqlite3 *db = NULL;
    snprintf(path, sizeof path, "%s/%s", home, ENL_STORE_FILE);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    snprintf(sql, sizeof sql, "UPDATE notes SET data = randomblob(%zu);", len);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_close(db);
}

static void planted_row_of(size_t len)
{
    enl_profile *ana, *leo;
    enl_sync_stats st;
    listening l;
    char home[300], target[128], name[16];
    static int run;
    int rc;

    snprintf(name, sizeof name, "ana%d", run);
    ana = mkprofile(name);
    snprintf(name, sizeof name, "leo%d", run++);
    leo = mkprofile(name);
    introduce(ana, "ana", leo, "leo");
    assert_int_equal(enl_send_text(ana, "leo", (const uint8_t *)"hola", 4, NULL, NULL), ENL_OK);
    snprintf(home, sizeof home, "%s/ana%d", root, run - 1);
    enl_profile_close(ana);
    plant(home, len);
    assert_int_equal(enl_profile_open(&ana, home, "pw", 2), ENL_OK);

    start_listening(&l, leo, 0);
    snprintf(target, sizeof target, "tcp://leo@%s", l.bound);
    memset(&st, 0, sizeof st);
    rc = enl_sync_tcp(ana, target, NULL, &st);
    stop_listening(&l);
    assert_int_equal(rc, ENL_OK);
    assert_int_equal(st.notes_sent, 0);
    enl_profile_close(ana);
    enl_profile_close(leo);
}

/* Larger than the sync's message buffer (and than a link message). */
static void test_row_larger_than_a_message_is_not_copied(void **state)
{
    (void)state;
    planted_row_of(300000);
}

/* Larger than any note, though it would fit the buffer: no peer would
 * take it, and it is no note. */
static void test_row_larger_than_a_note_is_not_sent(void **state)
{
    (void)state;
    planted_row_of(ENL_NOTE_MAX + 1);
}

/* Nor written into a dead drop, where it would be junk under a note's
 * name for every device that takes the drop. */
static void test_row_larger_than_a_note_is_not_left_in_a_drop(void **state)
{
    enl_profile *ana, *leo;
    enl_sync_stats st;
    char home[300], drop[300];
    (void)state;
    ana = mkprofile("anadrop");
    leo = mkprofile("leodrop");
    introduce(ana, "ana", leo, "leo");
    assert_int_equal(enl_send_text(ana, "leo", (const uint8_t *)"hola", 4, NULL, NULL), ENL_OK);
    snprintf(home, sizeof home, "%s/anadrop", root);
    enl_profile_close(ana);
    plant(home, ENL_NOTE_MAX + 1);
    assert_int_equal(enl_profile_open(&ana, home, "pw", 2), ENL_OK);
    snprintf(drop, sizeof drop, "%s/drop", root);
    assert_int_equal(mkdir(drop, 0700), 0);
    assert_int_equal(enl_sync_folder(ana, drop, NULL, &st), ENL_OK);
    assert_int_equal(st.notes_sent, 0);
    assert_int_equal(folder_entries(drop), 0);
    enl_profile_close(ana);
    enl_profile_close(leo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_row_larger_than_a_message_is_not_copied),
        cmocka_unit_test(test_row_larger_than_a_note_is_not_sent),
        cmocka_unit_test(test_row_larger_than_a_note_is_not_left_in_a_drop),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
