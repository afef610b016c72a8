/*
 * Review revE. A profile whose creation was cut short by enlace eb1212c up
 * to dd40bc2^ (create_db wrote "kdf", "wrapped_key" and "wrapped_alt" one
 * by one, each its own transaction, after migrate() had built that version's
 * schema: 3 to 6 from 9ce1af1 on) can hold "kdf" and "wrapped_key" but no
 * "wrapped_alt": killed
 * between the second and third meta_put. It holds nothing (no identity was
 * ever stored under its key). no_key_slot() now answers 2 for any such meta
 * table, the open ENL_EVERSION, and the CLI tells its owner "made by another
 * version ... keep it (do not wipe it), and open it with the version that
 * made it": no version can open it (every one since eb1212c needs
 * wrapped_alt), so the owner is sent looking for one and told not to wipe
 * the only thing standing between them and `enlace init`.
 *
 * A profile from before the duress slot (test_old_profile) is schema 2
 * (PRAGMA user_version = 2); the cut-short one has the current schema. The
 * two are told apart by the schema version: this test wants ENL_ENOPROFILE
 * for the current-schema one.
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

static void test_cut_short_between_slots_is_unfinished(void **state)
{
    enl_profile *p = NULL;
    char home[64], path[128], cmd[128];
    sqlite3 *db;
    char *err = NULL;
    int rc;
    (void)state;

    snprintf(home, sizeof home, "/tmp/enl-cut-short-XXXXXX");
    assert_non_null(mkdtemp(home));
    rmdir(home);
    snprintf(path, sizeof path, "%s/enlace.db", home);
    assert_int_equal(enl_profile_create(&p, home, "ana", "pass", 4, ENL_KDF_INTERACTIVE), ENL_OK);
    enl_profile_close(p);
    p = NULL;

    /* As a create_db killed after meta_put("wrapped_key") left it before
     * dd40bc2: the current schema, kdf and wrapped_key, no wrapped_alt (and
     * so nothing else written under the key; the identity rows came later). */
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    rc = sqlite3_exec(db, "DELETE FROM meta WHERE k = 'wrapped_alt'; DELETE FROM secrets;"
                          "PRAGMA wal_checkpoint(TRUNCATE);",
                      NULL, NULL, &err);
    if (rc != SQLITE_OK) print_error("%s\n", err ? err : "?");
    sqlite3_free(err);
    assert_int_equal(rc, SQLITE_OK);
    sqlite3_close(db);

    rc = enl_profile_open(&p, home, "pass", 4);
    if (rc == ENL_OK) enl_profile_close(p);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    assert_int_equal(system(cmd), 0);
    print_message("open of the cut-short current-schema profile: %d (%s)\n", rc, enl_strerror(rc));
    /* "never finished ... run enlace wipe, then enlace init again" is the
     * right advice here; "made by another version ... keep it" is not. */
    assert_int_equal(rc, ENL_ENOPROFILE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_short_between_slots_is_unfinished),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
