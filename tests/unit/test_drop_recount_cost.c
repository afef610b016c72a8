/*
 * A courier takes in a dead drop's notes: some are for it, the others it
 * carries. Each note delivered here makes the profile forget how many
 * notes and bytes it holds (a delivery can release, keep or seal notes),
 * and the next note to carry counts them again: the bytes were the sum of
 * every held note's length, a read of every row of the notes table. A drop
 * whose notes for this profile alternate with notes to carry cost the
 * number delivered times the number held: the square of the drop (and,
 * with a store near its quota, 30 ms for each note delivered).
 *
 * Counted, not timed: sqlite3_step is wrapped and the rows every statement
 * the sync runs visits in full scans of a table are added up. A drop 8
 * times as large may cost about 8 times as many, not 64.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-drop-recount-XXXXXX"
#include "profiles.h"

static int counting;
static uint64_t scanned;

int __real_sqlite3_step(sqlite3_stmt *s);
int __wrap_sqlite3_step(sqlite3_stmt *s);
int __wrap_sqlite3_step(sqlite3_stmt *s)
{
    int rc = __real_sqlite3_step(s);
    uint64_t n = (uint64_t)sqlite3_stmt_status(s, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
    if (counting) scanned += n;
    return rc;
}

/* n notes from ana to carmen, each followed by one from ana to dave, left
 * in a drop: the rows carmen's sync with it scans. */
static uint64_t sync_scans(uint32_t n)
{
    char name[32], drop[300];
    enl_profile *ana, *carmen, *dave;
    enl_sync_stats s;

    snprintf(name, sizeof name, "ana%u", n);
    ana = mkprofile(name);
    snprintf(name, sizeof name, "carmen%u", n);
    carmen = mkprofile(name);
    snprintf(name, sizeof name, "dave%u", n);
    dave = mkprofile(name);
    introduce(ana, "ana", carmen, "carmen");
    introduce(ana, "ana", dave, "dave");
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(enl_send_text(ana, "carmen", (const uint8_t *)"hola", 4, NULL, NULL), ENL_OK);
        assert_int_equal(enl_send_text(ana, "dave", (const uint8_t *)"hola", 4, NULL, NULL), ENL_OK);
    }
    snprintf(drop, sizeof drop, "%s/drop%u", root, n);
    assert_int_equal(mkdir(drop, 0700), 0);
    assert_int_equal(enl_sync_folder(ana, drop, NULL, &s), ENL_OK);

    scanned = 0;
    counting = 1;
    assert_int_equal(enl_sync_folder(carmen, drop, NULL, &s), ENL_OK);
    counting = 0;
    assert_int_equal(s.delivered, n);
    assert_int_equal(s.notes_received, n);   /* dave's, carried */
    enl_profile_close(ana);
    enl_profile_close(carmen);
    enl_profile_close(dave);
    return scanned;
}

static void test_recount_does_not_read_every_note(void **state)
{
    uint64_t few, many;
    (void)state;
    few = sync_scans(50);
    many = sync_scans(400);
    print_message("50 and 50 notes: %llu rows scanned; 400 and 400: %llu\n", (unsigned long long)few,
                  (unsigned long long)many);
    if (many > 16 * few)
        fail_msg("a drop of 400 notes to take and 400 to carry scanned %llu rows, one of 50 and "
                 "50 %llu: the work grows with the square of the drop", (unsigned long long)many,
                 (unsigned long long)few);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recount_does_not_read_every_note),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
