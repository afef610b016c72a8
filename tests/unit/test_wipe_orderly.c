/*
 * A wipe (and a duress unlock, which destroys the profile the same way)
 * first destroys the profile the orderly way, through SQLite: every row
 * deleted, both key slots overwritten, the log folded into the main file
 * and the file rebuilt; only then is every byte of the files overwritten
 * and are they removed. The handle destroy_files opened lacked the path
 * the checkpoint needs, so the checkpoints did nothing: the main file kept
 * the old slots and the log everything written since the last checkpoint
 * (rows another process had committed, the wipe's own deletions), and
 * SQLite, closing, deleted that log unwritten over when no other process
 * held the profile.
 *
 * sqlite3_close_v2 is wrapped (TEST_WRAP in the Makefile) to look at the
 * files at the moment the orderly part is over, just before the overwrite;
 * nanosleep, the one sleep of every wait for a lock, returns at once and
 * is counted, so a wait is measured in tries, not in time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "enlace.h"
#include "store/store.h"

int __real_sqlite3_close_v2(sqlite3 *db);
int __wrap_sqlite3_close_v2(sqlite3 *db);
int __wrap_nanosleep(const struct timespec *req, struct timespec *rem);

static char home[64], db_file[128];

/* What a file held before the wipe: the key slots, a row, the kdf record. */
static uint8_t needles[8][128];
static size_t needle_len[8], nneedles;

/* Seen as the wipe closes its handle: the log's size (-1: none), whether
 * the main file holds any needle, whether the log is still there once
 * closed, and how many times that close came. */
static struct {
    int on;
    long long wal_size;
    int main_has_old;
    int wal_kept;
    int closes;
} seen;

static long sleeps;

int __wrap_nanosleep(const struct timespec *req, struct timespec *rem)
{
    (void)req;
    (void)rem;
    sleeps++;
    return 0;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long size;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    rewind(f);
    buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *len = (size_t)size;
    return buf;
}

int __wrap_sqlite3_close_v2(sqlite3 *db)
{
    const char *name = db != NULL ? sqlite3_db_filename(db, "main") : NULL;
    char wal[160];
    struct stat sb;
    int rc;
    if (seen.on && name != NULL && strcmp(name, db_file) == 0) {
        size_t len;
        uint8_t *buf;
        snprintf(wal, sizeof wal, "%s-wal", db_file);
        seen.wal_size = stat(wal, &sb) == 0 ? (long long)sb.st_size : -1;
        buf = slurp(db_file, &len);
        for (size_t i = 0; i < nneedles; i++)
            if (memmem(buf, len, needles[i], needle_len[i]) != NULL) seen.main_has_old = 1;
        free(buf);
        seen.closes++;
        rc = __real_sqlite3_close_v2(db);
        seen.wal_kept = stat(wal, &sb) == 0;
        return rc;
    }
    return __real_sqlite3_close_v2(db);
}

static void fresh(void)
{
    snprintf(home, sizeof home, "/tmp/enl-wipe-XXXXXX");
    assert_non_null(mkdtemp(home));
    rmdir(home);
    snprintf(db_file, sizeof db_file, "%s/enlace.db", home);
    nneedles = 0;
    memset(&seen, 0, sizeof seen);
    sleeps = 0;
}

/* Every value the query returns, as the connection sees them (the log
 * included), up to 128 bytes of each. */
static void note(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open_v2(db_file, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        assert_true(nneedles < 8 && n >= 16);
        if (n > sizeof needles[0]) n = sizeof needles[0];
        memcpy(needles[nneedles], sqlite3_column_blob(s, 0), n);
        needle_len[nneedles++] = n;
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static void note_all(void)
{
    note("SELECT v FROM meta WHERE k IN ('wrapped_key', 'wrapped_alt')");
    note("SELECT blob FROM secrets");
    assert_int_equal(nneedles, 3);
}

/* The wipe's orderly part is over when it closes its handle: the log is
 * folded into the main file and truncated, and the main file holds no
 * slot or row from before. */
static void assert_orderly(void)
{
    struct stat sb;
    assert_int_equal(seen.closes, 1);
    assert_true(seen.wal_size <= 0);
    assert_false(seen.main_has_old);
    assert_int_not_equal(stat(home, &sb), 0);     /* and then all of it went */
}

/* The profile closed as usual, then wiped. */
static void test_a_wipe_folds_the_log_in_before_the_overwrite(void **state)
{
    enl_store *st;
    (void)state;
    fresh();
    assert_int_equal(enl_store_create(&st, home, "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
    assert_int_equal(enl_store_secret_put(st, "x", (const uint8_t *)"a record from before", 20),
                     ENL_OK);
    enl_store_close(st);
    note_all();
    seen.on = 1;
    assert_int_equal(enl_store_wipe(home), ENL_OK);
    seen.on = 0;
    assert_orderly();
}

/* Wiped while another handle (a `listen` between sessions) has the profile
 * open, and its last commit is still in the log alone. */
static void test_a_wipe_folds_in_what_another_left_in_the_log(void **state)
{
    enl_store *st;
    (void)state;
    fresh();
    assert_int_equal(enl_store_create(&st, home, "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
    assert_int_equal(enl_store_secret_put(st, "x", (const uint8_t *)"a record from before", 20),
                     ENL_OK);
    note_all();
    seen.on = 1;
    assert_int_equal(enl_store_wipe(home), ENL_OK);
    seen.on = 0;
    enl_store_close(st);
    assert_orderly();
}

/* Another process holds the profile folder's lock (as it folds its log
 * in) and never lets go: the wipe waits for it a second at most (1000
 * tries of a millisecond, for all its waits together), then overwrites
 * the files all the same. */
static void test_a_wipe_waits_for_the_folder_lock_a_second_at_most(void **state)
{
    enl_store *st;
    struct stat sb;
    int fd;
    (void)state;
    fresh();
    assert_int_equal(enl_store_create(&st, home, "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
    enl_store_close(st);
    fd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    assert_int_equal(enl_store_wipe(home), ENL_OK);
    print_message("%ld tries of a millisecond\n", sleeps);
    assert_true(sleeps > 0);            /* it did ask for the lock */
    assert_true(sleeps <= 1000);
    assert_int_not_equal(stat(home, &sb), 0);
    close(fd);
}

/* A connection that reads and never lets go (a `listen` in the middle of
 * a session) keeps the log from being folded in: the wipe waits a second
 * at most, keeps the log (it held the wipe's slots and, before them,
 * whatever was not yet folded in), and overwrites it with the rest. */
static void test_a_wipe_waits_for_a_reader_a_second_at_most(void **state)
{
    enl_store *st;
    sqlite3 *reader;
    struct stat sb;
    (void)state;
    fresh();
    assert_int_equal(enl_store_create(&st, home, "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
    enl_store_close(st);
    assert_int_equal(sqlite3_open_v2(db_file, &reader, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM meta;", NULL, NULL, NULL),
                     SQLITE_OK);
    seen.on = 1;
    assert_int_equal(enl_store_wipe(home), ENL_OK);
    seen.on = 0;
    print_message("%ld tries of a millisecond\n", sleeps);
    assert_true(sleeps <= 1000);
    assert_int_equal(seen.closes, 1);
    assert_true(seen.wal_size > 0);     /* kept for the overwrite, not deleted */
    assert_int_not_equal(stat(home, &sb), 0);
    (void)sqlite3_exec(reader, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(reader);
}

/* A profile from before schema 8 (no table for the markers), never opened
 * since: a wipe folds nothing in, whose truncation would give the log back
 * as it is, and its close, the last, no longer deletes that log either: it
 * goes with the files, overwritten. */
static void test_a_wipe_of_a_profile_before_schema_8_keeps_its_log(void **state)
{
    enl_store *st;
    sqlite3 *db;
    struct stat sb;
    (void)state;
    fresh();
    assert_int_equal(enl_store_create(&st, home, "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
    enl_store_close(st);
    assert_int_equal(sqlite3_open_v2(db_file, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE scrub; PRAGMA user_version = 7;", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(db);
    seen.on = 1;
    assert_int_equal(enl_store_wipe(home), ENL_OK);
    seen.on = 0;
    assert_int_equal(seen.closes, 1);
    assert_true(seen.wal_size > 0);
    assert_true(seen.wal_kept);
    assert_int_not_equal(stat(home, &sb), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_wipe_folds_the_log_in_before_the_overwrite),
        cmocka_unit_test(test_a_wipe_folds_in_what_another_left_in_the_log),
        cmocka_unit_test(test_a_wipe_waits_for_the_folder_lock_a_second_at_most),
        cmocka_unit_test(test_a_wipe_waits_for_a_reader_a_second_at_most),
        cmocka_unit_test(test_a_wipe_of_a_profile_before_schema_8_keeps_its_log),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
