/*
 * A store file edited by whoever held the device while it was locked: not
 * its rows this time, but what SQLite keeps about the file itself, which no
 * blob authenticates. The threat model says a planted database can make
 * the program fail, never more.
 *
 * - The schema version (PRAGMA user_version, four bytes of the file's
 *   header) made negative: the migrations ran from that index on, reading
 *   pointers before the table of migrations and running them as SQL.
 * - A table whose name closes the quotes a wipe put around it: the wipe
 *   (or a duress unlock) ran the rest of the name as SQL of the planter's
 *   choosing (here a copy of the whole database, key slots and all, to a
 *   file of theirs, which no wipe then overwrites).
 * - A trigger (or a view) of the planter's: SQL that the owner's own
 *   statements then run, unseen, at every write. One that copies each
 *   session state before it is replaced keeps every message key the
 *   ratchet deleted, for whoever later forces the passphrase: notes read
 *   long ago open again (forward secrecy gone); one on messages keeps what
 *   was deleted or disappeared. A profile whose file holds a trigger or
 *   view that enlace did not make is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "enlace.h"
#include "store/store.h"

#define PROFILES_ROOT "/tmp/enl-planted-schema-XXXXXX"
#include "profiles.h"

static void plant_sql(const char *home, const char *sql)
{
    char path[400];
    sqlite3 *db = NULL;
    snprintf(path, sizeof path, "%s/%s", home, ENL_STORE_FILE);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void closed_profile(const char *name, char *home, size_t max)
{
    enl_profile *p = mkprofile(name);
    enl_profile_close(p);
    snprintf(home, max, "%s/%s", root, name);
}

/* A version below the first is no version this program wrote: refused,
 * not migrated from an index before the first migration. */
static void test_negative_schema_version_is_refused(void **state)
{
    static const int versions[] = { -1, -1000000, -2147483647 - 1 };
    (void)state;
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        enl_profile *p = NULL;
        char home[300], name[16], sql[64];
        snprintf(name, sizeof name, "neg%zu", i);
        closed_profile(name, home, sizeof home);
        snprintf(sql, sizeof sql, "PRAGMA user_version=%d", versions[i]);
        plant_sql(home, sql);
        assert_int_not_equal(enl_profile_open(&p, home, "pw", 2), ENL_OK);
        assert_null(p);
    }
}

/* A table named to end the quotes around it and go on as SQL: the wipe
 * deletes the profile all the same, and runs nothing of the name. */
static void test_table_name_runs_nothing_at_a_wipe(void **state)
{
    char home[300], leak[400], sql[800];
    (void)state;
    closed_profile("wiped", home, sizeof home);
    snprintf(leak, sizeof leak, "%s/leak", root);
    snprintf(sql, sizeof sql, "CREATE TABLE a(x); CREATE TABLE \"a\"\";COMMIT;VACUUM INTO'%s';--\"(x)", leak);
    plant_sql(home, sql);
    assert_int_equal(enl_profile_wipe(home), ENL_OK);
    assert_int_not_equal(access(leak, F_OK), 0);
    assert_int_not_equal(access(home, F_OK), 0);
}

static void refused_with(const char *name, const char *sql)
{
    enl_profile *p = NULL;
    char home[300];
    closed_profile(name, home, sizeof home);
    plant_sql(home, sql);
    assert_int_equal(enl_profile_open(&p, home, "pw", 2), ENL_ESTORE);
    assert_null(p);
}

/* Every state of every session, kept before it is replaced. */
static void test_planted_trigger_is_refused(void **state)
{
    (void)state;
    refused_with("trig", "CREATE TABLE kept(h BLOB, blob BLOB);"
                         "CREATE TRIGGER keep BEFORE INSERT ON sessions BEGIN "
                         "  INSERT INTO kept SELECT h, blob FROM sessions WHERE h = new.h; END;");
    refused_with("trig2", "CREATE TABLE gone(seq INTEGER, blob BLOB);"
                          "CREATE TRIGGER z AFTER DELETE ON messages BEGIN "
                          "  INSERT INTO gone VALUES(old.seq, old.blob); END;");
}

/* One of enlace's own triggers, made again with more in it. */
static void test_changed_trigger_is_refused(void **state)
{
    (void)state;
    refused_with("ours", "CREATE TABLE kept(h BLOB, blob BLOB);"
                         "DROP TRIGGER notes_source_in;"
                         "CREATE TRIGGER notes_source_in AFTER INSERT ON notes "
                         "WHEN new.source IS NOT NULL BEGIN"
                         "  INSERT INTO sources(source, notes, bytes) VALUES(new.source, 1, "
                         "length(new.data)) ON CONFLICT(source) DO UPDATE SET notes = notes + 1, "
                         "bytes = bytes + excluded.bytes;"
                         "  INSERT INTO kept SELECT h, blob FROM sessions;"
                         "END;");
}

static void test_planted_view_is_refused(void **state)
{
    (void)state;
    refused_with("view", "CREATE VIEW v AS SELECT blob FROM sessions;");
}

/* Tables of the planter's run nothing: the profile opens. */
static void test_planted_table_alone_opens(void **state)
{
    enl_profile *p = NULL;
    char home[300];
    (void)state;
    closed_profile("table", home, sizeof home);
    plant_sql(home, "CREATE TABLE extra(x);");
    assert_int_equal(enl_profile_open(&p, home, "pw", 2), ENL_OK);
    enl_profile_close(p);
}

/* sessions made again without its primary key: INSERT OR REPLACE then
 * adds a row beside the one it meant to replace, and every state of the
 * session stays in the file (every message key the ratchet deleted). A
 * profile whose tables are not those enlace made is refused; were it
 * opened, no session state may outlive the next. */
static void test_changed_table_keeps_no_old_state(void **state)
{
    enl_profile *ana = mkprofile("tana"), *leo = mkprofile("tleo");
    char home[300], path[400];
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int rc;
    (void)state;
    introduce(ana, "ana", leo, "leo");
    assert_int_equal(enl_send_text(ana, "leo", (const uint8_t *)"hola", 4, NULL, NULL), ENL_OK);
    enl_profile_close(ana);
    ana = NULL;
    snprintf(home, sizeof home, "%s/tana", root);
    plant_sql(home, "ALTER TABLE sessions RENAME TO s0;"
                    "CREATE TABLE sessions(h BLOB, blob BLOB NOT NULL);"
                    "INSERT INTO sessions SELECT h, blob FROM s0; DROP TABLE s0;");
    rc = enl_profile_open(&ana, home, "pw", 2);
    if (rc != ENL_OK) {
        assert_int_equal(rc, ENL_ESTORE);
        enl_profile_close(leo);
        return;
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(enl_send_text(ana, "leo", (const uint8_t *)"otra", 4, NULL, NULL), ENL_OK);
    enl_profile_close(ana);
    enl_profile_close(leo);
    snprintf(path, sizeof path, "%s/%s", home, ENL_STORE_FILE);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) - count(DISTINCT h) FROM sessions", -1,
                                        &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    print_message("session states kept beside the current one: %d\n", sqlite3_column_int(s, 0));
    assert_int_equal(sqlite3_column_int(s, 0), 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* A table of enlace's whose text differs but whose shape does not (the
 * text ALTER TABLE writes is SQLite's, and another version of SQLite may
 * write it otherwise: schema 9 renames a table, schemas 2 and 7 add
 * columns): the profile opens. Compared by their text, it was refused as
 * tampered with, and a profile migrated under one SQLite would have been
 * locked for good under the next. */
static void test_table_text_rewritten_opens(void **state)
{
    enl_profile *p = NULL;
    char home[300];
    (void)state;
    closed_profile("retext", home, sizeof home);
    plant_sql(home, "ALTER TABLE scrub RENAME TO s0;"
                    "CREATE TABLE   \"scrub\" (  id  INTEGER PRIMARY KEY , b BLOB NOT NULL  ) ;"
                    "INSERT INTO scrub SELECT * FROM s0; DROP TABLE s0;"
                    "ALTER TABLE sessions RENAME TO s1;"
                    "CREATE TABLE [sessions](h blob primary key, blob blob not null);"
                    "INSERT INTO sessions SELECT * FROM s1; DROP TABLE s1;");
    assert_int_equal(enl_profile_open(&p, home, "pw", 2), ENL_OK);
    enl_profile_close(p);
}

/* The same table without its key, or with a column of another kind or a
 * default of the planter's: refused, whatever its text. */
static void test_table_of_another_shape_is_refused(void **state)
{
    (void)state;
    refused_with("nokey", "ALTER TABLE sessions RENAME TO s0;"
                          "CREATE TABLE sessions(h BLOB, blob BLOB NOT NULL);"
                          "INSERT INTO sessions SELECT * FROM s0; DROP TABLE s0;");
    refused_with("nullable", "ALTER TABLE messages RENAME TO m0;"
                             "CREATE TABLE messages(seq INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB);"
                             "INSERT INTO messages SELECT * FROM m0; DROP TABLE m0;");
    refused_with("index", "DROP INDEX notes_lock; CREATE UNIQUE INDEX notes_lock ON notes(lock);");
}

/* The file's header says it keeps a rollback journal, not a write-ahead
 * log: a passphrase change then wrote the old key slot to a journal that
 * was deleted, not overwritten (the scrub of a log that held a slot knows
 * only the write-ahead log). The unlock puts the file back in WAL mode. */
static void test_rollback_journal_mode_is_undone(void **state)
{
    enl_profile *p = NULL;
    char home[300], path[400];
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    (void)state;
    closed_profile("journal", home, sizeof home);
    plant_sql(home, "PRAGMA journal_mode=DELETE;");
    assert_int_equal(enl_profile_open(&p, home, "pw", 2), ENL_OK);
    enl_profile_close(p);
    snprintf(path, sizeof path, "%s/%s", home, ENL_STORE_FILE);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_negative_schema_version_is_refused),
        cmocka_unit_test(test_table_name_runs_nothing_at_a_wipe),
        cmocka_unit_test(test_planted_trigger_is_refused),
        cmocka_unit_test(test_changed_trigger_is_refused),
        cmocka_unit_test(test_planted_view_is_refused),
        cmocka_unit_test(test_planted_table_alone_opens),
        cmocka_unit_test(test_changed_table_keeps_no_old_state),
        cmocka_unit_test(test_rollback_journal_mode_is_undone),
        cmocka_unit_test(test_table_text_rewritten_opens),
        cmocka_unit_test(test_table_of_another_shape_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
