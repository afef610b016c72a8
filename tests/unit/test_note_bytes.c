/*
 * The bytes of the notes a store holds (the quota's second bound), white-box
 * (this file includes store.c to write a note as a store before schema 7
 * did): read from the per-source totals the triggers keep when every note
 * has a source, and from the notes themselves when some have none.
 */
/* store.c first: cmocka defines a macro named fail, as store.c's helper is. */
#include "../../src/store/store.c"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "scratch_store.h"

static void put(enl_store *st, uint8_t first, size_t len, const uint8_t *source)
{
    uint8_t id[32], lock[32], note[600];
    memset(id, first, sizeof id);
    memset(lock, first, sizeof lock);
    memset(note, first, sizeof note);
    assert_int_equal(enl_store_note_put(st, id, lock, 100000000, note, source, note, len),
                     ENL_OK);
}

/* As notes were kept before schema 7: no source. */
static void put_sourceless(enl_store *st, uint8_t first, size_t len)
{
    uint8_t id[32], lock[32], note[600];
    sqlite3_stmt *s;
    memset(id, first, sizeof id);
    memset(lock, first, sizeof lock);
    memset(note, first, sizeof note);
    assert_int_equal(sqlite3_prepare_v2(st->db, "INSERT INTO notes(id, lock, expiry, data, tag) "
                                        "VALUES(?, ?, 100000000, ?, ?)", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_blob(s, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, lock, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, note, (int)len, SQLITE_STATIC);
    sqlite3_bind_blob(s, 4, note, 16, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
}

static uint64_t bytes_of(enl_store *st)
{
    uint64_t b = 0;
    assert_int_equal(enl_store_note_bytes(st, &b), ENL_OK);
    return b;
}

static void test_note_bytes_with_and_without_sources(void **state)
{
    enl_store *st = fresh_store("/tmp/enl-note-bytes-XXXXXX");
    uint8_t drop[ENL_STORE_SOURCEBYTES], lock[32];
    (void)state;
    enl_store_source(st, drop, "folder", (const uint8_t *)"/media/stick", 12);
    assert_int_equal(bytes_of(st), 0);
    put(st, 1, 300, drop);
    put(st, 2, 500, NULL);            /* one of mine */
    assert_int_equal(bytes_of(st), 800);
    put_sourceless(st, 3, 256);
    assert_int_equal(bytes_of(st), 1056);
    memset(lock, 1, sizeof lock);
    assert_int_equal(enl_store_note_release(st, lock, NULL, NULL), ENL_OK);
    assert_int_equal(bytes_of(st), 756);
    memset(lock, 3, sizeof lock);
    assert_int_equal(enl_store_note_release(st, lock, NULL, NULL), ENL_OK);
    assert_int_equal(bytes_of(st), 500);
    done_store(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_note_bytes_with_and_without_sources),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
