/*
 * A profile made before the duress slot existed (enlace up to 1536957,
 * schema 2: meta holds "kdf" and "wrapped_key", no "wrapped_alt") still has
 * its identity, contacts and messages, and the store keeps the migrations
 * that bring schema 1 and 2 up to date. The current code reads the three
 * slots together (read_slots_untouched, read_slots_recovered); when
 * wrapped_alt is missing, no_key_slot() takes the profile for a creation cut
 * short and the open answers ENL_ENOPROFILE, on which the CLI says "the
 * profile ... was never finished (its creation was cut short) and holds
 * nothing: run enlace wipe, then enlace init again". Following that advice
 * destroys a real profile. (Reproduced with a binary built from 1536957:
 * init, contact add, a message received, then the current `enlace status`
 * prints exactly that.)
 *
 * The test builds the same state: a profile, its tables from migrations 3 to
 * 7 taken back and its alternate slot removed, schema 2, as the old version
 * left it, and opens it with its passphrase. (Review revC.) Such a profile
 * is now "made by another version" (ENL_EVERSION), which the CLI tells its
 * owner to keep: its records were sealed under an earlier derivation this
 * version does not read.
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

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK) print_error("%s: %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    assert_int_equal(rc, SQLITE_OK);
}

static void test_profile_from_before_the_duress_slot_is_not_unfinished(void **state)
{
    enl_profile *p = NULL;
    char path[128], name[ENL_NAME_MAX + 1], cmd[128];
    sqlite3 *db;
    int rc;
    (void)state;

    snprintf(home, sizeof home, "/tmp/enl-old-profile-XXXXXX");
    assert_non_null(mkdtemp(home));
    rmdir(home);
    snprintf(path, sizeof path, "%s/enlace.db", home);
    assert_int_equal(enl_profile_create(&p, home, "ana", "pass", 4, ENL_KDF_INTERACTIVE), ENL_OK);
    enl_profile_close(p);
    p = NULL;

    /* As enlace 1536957 left it: schema 2, two rows in meta. */
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    exec_ok(db, "DROP TABLE partkeys; DROP TABLE scrub;"
                "DROP TRIGGER notes_source_in; DROP TRIGGER notes_source_out; DROP TABLE sources;"
                "DROP INDEX notes_source; ALTER TABLE notes DROP COLUMN source;"
                "DROP TABLE files; DROP TABLE parts; DROP TABLE follows; DROP TABLE bulletins;"
                "DROP TABLE cells; DROP TABLE senderkeys; DROP TABLE introductions;"
                "DROP TABLE inquiries; DROP TABLE outgoing; DROP TABLE burns; DROP TABLE held;"
                "DELETE FROM meta WHERE k = 'wrapped_alt'; PRAGMA user_version=2;"
                "PRAGMA wal_checkpoint(TRUNCATE);");
    sqlite3_close(db);

    rc = enl_profile_open(&p, home, "pass", 4);
    if (rc == ENL_OK) {
        assert_int_equal(enl_profile_name(p, name), ENL_OK);
        enl_profile_close(p);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    assert_int_equal(system(cmd), 0);
    print_message("open of the schema-2 profile: %d (%s)\n", rc, enl_strerror(rc));
    /* Whatever else, never "never finished": the CLI then told the owner to
     * wipe it. Such a profile's records were sealed under an earlier
     * derivation this version does not read (review revC): it is "made by
     * another version", which the CLI says to keep. */
    assert_int_not_equal(rc, ENL_ENOPROFILE);
    assert_int_equal(rc, ENL_EVERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_from_before_the_duress_slot_is_not_unfinished),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
