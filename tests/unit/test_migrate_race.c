/*
 * Two processes open a profile of an older schema at the same time (a
 * listener and a send, after an upgrade). Each read the schema version,
 * then took the write lock and ran the migrations from the version it had
 * read: the one that came second ran them again on a migrated database,
 * failed ("duplicate column name: source") and its open failed with it.
 *
 * The test makes the interleaving happen: sqlite3_exec is wrapped, and the
 * first time the store asks for "BEGIN IMMEDIATE" (the migration's write
 * lock), a second open of the same profile runs to its end first, as the
 * other process would. The first open must then find the schema current
 * and succeed, the profile whole.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enlace.h"

static char home[64];
static int race_pending;
static int raced_open = -1;

int __real_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *ctx, char **err);
int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *ctx, char **err);

int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *ctx, char **err)
{
    if (race_pending && strcmp(sql, "BEGIN IMMEDIATE") == 0) {
        enl_profile *other = NULL;
        race_pending = 0;
        raced_open = enl_profile_open(&other, home, "pass", 4);
        enl_profile_close(other);
    }
    return __real_sqlite3_exec(db, sql, cb, ctx, err);
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    int rc = __real_sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK) print_error("%s: %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    assert_int_equal(rc, SQLITE_OK);
}

static void test_second_of_two_opens_does_not_migrate_again(void **state)
{
    enl_profile *p = NULL;
    char path[128], name[ENL_NAME_MAX + 1], cmd[128];
    sqlite3 *db;
    int rc;
    (void)state;

    snprintf(home, sizeof home, "/tmp/enl-migrate-race-XXXXXX");
    assert_non_null(mkdtemp(home));
    rmdir(home);
    snprintf(path, sizeof path, "%s/enlace.db", home);
    assert_int_equal(enl_profile_create(&p, home, "ana", "pass", 4, ENL_KDF_INTERACTIVE), ENL_OK);
    enl_profile_close(p);
    p = NULL;

    /* Schema 6, as the version before the notes' sources left it (the tables of
     * later versions dropped too). */
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    exec_ok(db, "DROP TABLE partkeys; DROP TABLE scrub;"
                "DROP TRIGGER notes_source_in; DROP TRIGGER notes_source_out; DROP TABLE sources;"
                "DROP INDEX notes_source; ALTER TABLE notes DROP COLUMN source;"
                "PRAGMA user_version=6; PRAGMA wal_checkpoint(TRUNCATE);");
    sqlite3_close(db);

    race_pending = 1;
    rc = enl_profile_open(&p, home, "pass", 4);
    print_message("the other open: %d (%s); this one: %d (%s)\n", raced_open,
                  enl_strerror(raced_open), rc, enl_strerror(rc));
    assert_int_equal(race_pending, 0);          /* the race did happen */
    assert_int_equal(raced_open, ENL_OK);
    assert_int_equal(rc, ENL_OK);
    assert_int_equal(enl_profile_name(p, name), ENL_OK);
    assert_string_equal(name, "ana");
    enl_profile_close(p);

    /* and it opens again afterwards, migrated once */
    p = NULL;
    assert_int_equal(enl_profile_open(&p, home, "pass", 4), ENL_OK);
    enl_profile_close(p);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_of_two_opens_does_not_migrate_again),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
