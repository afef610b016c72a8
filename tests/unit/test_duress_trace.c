/*
 * docs/THREAT-MODEL.md: "Nothing on disk tells a profile with a duress
 * passphrase from one without: the alternate slot is always there, of the
 * same size, random when unused". The slot's bytes are indistinguishable,
 * but the meta table is a plain SQLite table that anyone who takes the
 * device can read (`sqlite3 enlace.db "SELECT rowid, k FROM meta"`), and
 * setting a duress passphrase rewrites the wrapped_alt row with INSERT OR
 * REPLACE: it gets a new rowid (and another place in the page), which a
 * profile without a duress passphrase never shows. wrapped_alt is rowid 3
 * at creation and stays 3 until a duress passphrase is set.
 *
 * Each test builds two profiles that differ only in whether a duress
 * passphrase was set, and compares what a thief reads of their meta table
 * without any passphrase: the rowid of each row and the order of the cells
 * in the meta table's page.
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
#include "store/store.h"

static char homes[2][64];

static void fresh(int i)
{
    snprintf(homes[i], sizeof homes[i], "/tmp/enl-duress-trace-XXXXXX");
    assert_non_null(mkdtemp(homes[i]));
    rmdir(homes[i]);
}

static void cleanup(void)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", homes[0], homes[1]);
    assert_int_equal(system(cmd), 0);
}

/* What a thief reads of the meta table, no passphrase needed: "k=rowid"
 * for each row in key order, then the meta page's cell pointer array. */
static void meta_shape(const char *home, char *out, size_t max)
{
    char path[128];
    sqlite3 *db;
    sqlite3_stmt *s;
    size_t o = 0;
    int root = 0, page_size = 0;
    FILE *f;
    uint8_t page[65536];

    snprintf(path, sizeof path, "%s/enlace.db", home);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT k, rowid FROM meta ORDER BY k", -1, &s, NULL),
                     SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW)
        o += (size_t)snprintf(out + o, max - o, "%s=%lld ", (const char *)sqlite3_column_text(s, 0),
                              (long long)sqlite3_column_int64(s, 1));
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT rootpage FROM sqlite_master WHERE name = 'meta'",
                                        -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    root = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    page_size = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);

    assert_true(page_size > 0 && page_size <= (int)sizeof page && root > 1);
    assert_non_null(f = fopen(path, "rb"));
    assert_int_equal(fseek(f, (long)(root - 1) * page_size, SEEK_SET), 0);
    assert_int_equal(fread(page, 1, (size_t)page_size, f), (size_t)page_size);
    fclose(f);
    {
        unsigned n = (unsigned)page[3] << 8 | page[4];
        o += (size_t)snprintf(out + o, max - o, "| cells:");
        for (unsigned i = 0; i < n && i < 16; i++)
            o += (size_t)snprintf(out + o, max - o, " %u",
                                  (unsigned)page[8 + 2 * i] << 8 | page[9 + 2 * i]);
    }
}

static void compare(void)
{
    char without[512], with[512];
    meta_shape(homes[0], without, sizeof without);
    meta_shape(homes[1], with, sizeof with);
    cleanup();   /* before the check: a failure must not leave the folders */
    print_message("without a duress passphrase: %s\n", without);
    print_message("with a duress passphrase:    %s\n", with);
    assert_string_equal(without, with);
}

/* Two new profiles; a duress passphrase is set in the second. */
static void test_duress_set_leaves_no_trace_in_meta(void **state)
{
    enl_store *st;
    (void)state;
    fresh(0);
    fresh(1);
    assert_int_equal(enl_store_create(&st, homes[0], "real", 4, ENL_KDF_INTERACTIVE), ENL_OK);
    enl_store_close(st);
    assert_int_equal(enl_store_create(&st, homes[1], "real", 4, ENL_KDF_INTERACTIVE), ENL_OK);
    assert_int_equal(enl_store_set_duress(st, "duress", 6, "ana"), ENL_OK);
    enl_store_close(st);
    compare();
}

/* Both profiles had their passphrase changed; then a duress passphrase is
 * set in the second (the order a careful owner follows). */
static void test_duress_after_a_change_leaves_no_trace_in_meta(void **state)
{
    enl_store *st;
    (void)state;
    fresh(0);
    fresh(1);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(enl_store_create(&st, homes[i], "old", 3, ENL_KDF_INTERACTIVE), ENL_OK);
        assert_int_equal(enl_store_rekey(st, "real", 4), ENL_OK);
        if (i == 1) assert_int_equal(enl_store_set_duress(st, "duress", 6, "ana"), ENL_OK);
        enl_store_close(st);
    }
    compare();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duress_set_leaves_no_trace_in_meta),
        cmocka_unit_test(test_duress_after_a_change_leaves_no_trace_in_meta),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
