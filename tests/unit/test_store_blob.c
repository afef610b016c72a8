/*
 * How the store seals a blob, white-box (this file includes store.c to reach
 * its sealing functions and the key): every blob is padded, so records of
 * different lengths are the same size on disk; blobs sealed before padding
 * existed still open; a padded blob whose padding is wrong is refused.
 */
/* store.c first: cmocka defines a macro named fail, as store.c's helper is. */
#include "../../src/store/store.c"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "scratch_store.h"

static size_t stored_len(enl_store *st, const char *table, const uint8_t key[32])
{
    char sql[128];
    sqlite3_stmt *s;
    size_t n = 0;
    snprintf(sql, sizeof sql, "SELECT length(blob) FROM %s WHERE h = ?", table);
    assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_blob(s, 1, key, 32, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    n = (size_t)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* A message of 1 byte and one of 200 take the same room; longer records
 * take a Padmé size, never less than they hold. */
static void test_sizes_are_padded(void **state)
{
    enl_store *st = fresh_store("/tmp/enl-blob-XXXXXX");
    uint8_t text[5000], k1[32], k2[32], k3[32], *pt = NULL;
    size_t len = 0;
    (void)state;
    memset(text, 'a', sizeof text);
    memset(k1, 1, 32);
    memset(k2, 2, 32);
    memset(k3, 3, 32);
    assert_int_equal(enl_store_row_put(st, "contacts", k1, text, 1), ENL_OK);
    assert_int_equal(enl_store_row_put(st, "contacts", k2, text, 200), ENL_OK);
    assert_int_equal(enl_store_row_put(st, "contacts", k3, text, 4999), ENL_OK);
    assert_int_equal(stored_len(st, "contacts", k1), NONCEBYTES + PAD_FLOOR + ABYTES);
    assert_int_equal(stored_len(st, "contacts", k2), NONCEBYTES + PAD_FLOOR + ABYTES);
    assert_int_equal(stored_len(st, "contacts", k3), NONCEBYTES + enl_padme(5000) + ABYTES);
    assert_int_equal(enl_store_row_get(st, "contacts", k2, &pt, &len), ENL_OK);
    assert_int_equal(len, 200);
    assert_memory_equal(pt, text, 200);
    enl_store_free(pt, len);
    /* a record that ends in 0x80 and zeros comes back whole */
    text[10] = 0x80;
    text[11] = 0;
    assert_int_equal(enl_store_row_put(st, "contacts", k1, text, 12), ENL_OK);
    assert_int_equal(enl_store_row_get(st, "contacts", k1, &pt, &len), ENL_OK);
    assert_int_equal(len, 12);
    assert_memory_equal(pt, text, 12);
    enl_store_free(pt, len);
    done_store(st);
}

/* A blob as stores wrote them before padding: the AD alone, no padding. */
static void put_raw(enl_store *st, const char *table, const uint8_t key[32], const uint8_t *pt,
                    size_t len, int padded_ad)
{
    uint8_t ad[AD_MAX + sizeof PAD_MARK], blob[NONCEBYTES + 512 + ABYTES];
    size_t adl = row_ad(ad, table, key, 32);
    char sql[128];
    sqlite3_stmt *s;
    assert_true(len <= 512);
    if (padded_ad) {
        memcpy(ad + adl, PAD_MARK, sizeof PAD_MARK);
        adl += sizeof PAD_MARK;
    }
    randombytes_buf(blob, NONCEBYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(blob + NONCEBYTES, NULL, pt, len, ad, adl, NULL,
                                               blob, st->keys);
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO %s(h, blob) VALUES(?, ?)", table);
    assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_blob(s, 1, key, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, blob, (int)(NONCEBYTES + len + ABYTES), SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
}

static void test_old_blobs_open_and_bad_padding_is_refused(void **state)
{
    enl_store *st = fresh_store("/tmp/enl-blob-XXXXXX");
    uint8_t key[32], rec[300], *pt = NULL;
    size_t len = 0;
    (void)state;
    memset(key, 7, 32);
    for (size_t i = 0; i < sizeof rec; i++) rec[i] = (uint8_t)(i * 7 + 1);
    put_raw(st, "secrets", key, rec, 37, 0);            /* before padding */
    assert_int_equal(enl_store_row_get(st, "secrets", key, &pt, &len), ENL_OK);
    assert_int_equal(len, 37);
    assert_memory_equal(pt, rec, 37);
    enl_store_free(pt, len);
    memset(rec + 40, 0, 100);                           /* padded, but no 0x80 */
    put_raw(st, "secrets", key, rec + 40, 100, 1);
    assert_int_equal(enl_store_row_get(st, "secrets", key, &pt, &len), ENL_EMALFORMED);
    memset(rec, 0x11, 20);                              /* 0x80, then a non-zero */
    rec[20] = 0x80;
    rec[21] = 1;
    put_raw(st, "secrets", key, rec, 22, 1);
    assert_int_equal(enl_store_row_get(st, "secrets", key, &pt, &len), ENL_EMALFORMED);
    rec[21] = 0;                                        /* 0x80, then zeros: 20 bytes */
    put_raw(st, "secrets", key, rec, 22, 1);
    assert_int_equal(enl_store_row_get(st, "secrets", key, &pt, &len), ENL_OK);
    assert_int_equal(len, 20);
    enl_store_free(pt, len);
    done_store(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes_are_padded),
        cmocka_unit_test(test_old_blobs_open_and_bad_padding_is_refused),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
