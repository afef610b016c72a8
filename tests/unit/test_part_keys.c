/*
 * The parts of a received file, white-box (this file includes store.c to
 * reach the keys and the rows): each file's parts are sealed with a key of
 * their own, kept sealed in partkeys; deleting every part of a file deletes
 * that key, overwritten, and leaves the parts' pages unwritten; every other
 * deletion still overwrites (secure_delete is back on). Parts stored before
 * schema 10, sealed with the blob key and with no key row, still open, take
 * more parts of their file under the same key, and are overwritten when
 * deleted.
 */
/* store.c first: cmocka defines a macro named fail, as store.c's helper is. */
#include "../../src/store/store.c"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "scratch_store.h"

/* mkdtemp's template for each test's store */
#define SCRATCH "/tmp/enl-partkeys-XXXXXX"

static uint64_t rows(enl_store *st, const char *table)
{
    uint64_t n = 99;
    char sql[96];
    sqlite3_stmt *s;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    n = (uint64_t)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* The stored blob of one row (the first one a query gives), copied. */
static size_t first_blob(enl_store *st, const char *sql, uint8_t *out, size_t max)
{
    sqlite3_stmt *s;
    size_t n;
    assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    n = (size_t)sqlite3_column_bytes(s, 0);
    assert_true(n <= max);
    memcpy(out, sqlite3_column_blob(s, 0), n);
    sqlite3_finalize(s);
    return n;
}

static int secure_delete_on(enl_store *st)
{
    sqlite3_stmt *s;
    int on;
    assert_int_equal(sqlite3_prepare_v2(st->db, "PRAGMA secure_delete", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    on = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return on;
}

/* Whether the bytes are anywhere in the database file or its log. */
static int on_disk(const enl_store *st, const uint8_t *needle, size_t n)
{
    static const char *const ext[] = { "", "-wal" };
    int found = 0;
    for (size_t e = 0; e < 2 && !found; e++) {
        char path[sizeof st->path + 8];
        FILE *f;
        long size;
        uint8_t *buf;
        snprintf(path, sizeof path, "%s%s", st->path, ext[e]);
        if ((f = fopen(path, "rb")) == NULL) continue;
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        size = ftell(f);
        rewind(f);
        assert_non_null(buf = malloc((size_t)size + 1));
        assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
        fclose(f);
        for (long i = 0; !found && i + (long)n <= size; i++) found = memcmp(buf + i, needle, n) == 0;
        free(buf);
    }
    return found;
}

typedef struct {
    uint32_t seen;
    uint8_t first;
} reading;

static int read_part(void *ctx, uint32_t index, const uint8_t *data, size_t len)
{
    reading *r = ctx;
    assert_int_equal(index, r->seen);
    assert_int_equal(len, 1000);
    for (size_t i = 0; i < len; i++) assert_int_equal(data[i], (uint8_t)(r->first + index));
    r->seen++;
    return 0;
}

/* Counts the parts read, each checked against its index. */
static int read_first(void *ctx, uint32_t index, const uint8_t *data, size_t len)
{
    reading *r = ctx;
    assert_int_equal(len, 1000);
    for (size_t i = 0; i < len; i++) assert_int_equal(data[i], (uint8_t)(r->first + index));
    r->seen++;
    return 0;
}

static void put_parts(enl_store *st, const uint8_t file[32], uint32_t from, uint32_t to, uint8_t first)
{
    uint8_t data[1000];
    for (uint32_t i = from; i < to; i++) {
        memset(data, (uint8_t)(first + i), sizeof data);
        assert_int_equal(enl_store_part_put(st, file, i, 100, data, sizeof data), ENL_OK);
    }
}

/* As enl_store_part_put did up to schema 9: sealed with the blob key. */
static void put_old_part(enl_store *st, const uint8_t file[32], uint32_t index, uint8_t first)
{
    uint8_t data[1000], h[32], ad[64], *blob = NULL;
    size_t blen, adl;
    sqlite3_stmt *s;
    memset(data, (uint8_t)(first + index), sizeof data);
    part_key(st, h, file, index);
    adl = row_ad(ad, "parts", h, 32);
    assert_int_equal(seal_blob(st, &blob, &blen, ad, adl, data, sizeof data), ENL_OK);
    assert_int_equal(sqlite3_prepare_v2(st->db, "INSERT INTO parts(h, file, idx, expiry, blob) "
                                        "VALUES(?, ?, ?, 100, ?)", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_blob(s, 1, h, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, file, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, index);
    sqlite3_bind_blob(s, 4, blob, (int)blen, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    free(blob);
}

static void test_a_file_has_its_own_key(void **state)
{
    enl_store *st = fresh_store(SCRATCH);
    uint8_t file[32], other[32], blob[4096], h[32], ad[64], *pt = NULL;
    size_t n, len = 0, adl;
    reading r = { 0, 10 };
    (void)state;
    memset(file, 1, sizeof file);
    memset(other, 2, sizeof other);
    put_parts(st, file, 0, 3, 10);
    put_parts(st, other, 0, 2, 50);
    assert_int_equal(rows(st, "partkeys"), 2);
    assert_int_equal(rows(st, "parts"), 5);

    /* not the blob key: a part does not open with it */
    n = first_blob(st, "SELECT blob FROM parts WHERE idx = 0 ORDER BY rowid LIMIT 1", blob,
                   sizeof blob);
    part_key(st, h, file, 0);
    adl = row_ad(ad, "parts", h, 32);
    assert_int_equal(open_blob(st, &pt, &len, ad, adl, blob, n), ENL_EDECRYPT);

    assert_int_equal(enl_store_part_each(st, file, read_part, &r), ENL_OK);
    assert_int_equal(r.seen, 3);
    done_store(st);
}

/* Every part of a file deleted: its key is overwritten, the rows are gone,
 * and the next deletion overwrites again. */
static void test_deleting_a_file_forgets_its_key(void **state)
{
    enl_store *st = fresh_store(SCRATCH);
    uint8_t file[32], other[32], key_blob[4096];
    size_t n;
    uint64_t left = 99;
    reading r = { 0, 10 };
    (void)state;
    memset(file, 1, sizeof file);
    memset(other, 2, sizeof other);
    put_parts(st, file, 0, 3, 10);
    put_parts(st, other, 0, 2, 50);
    assert_int_equal(enl_store_checkpoint(st), ENL_OK);
    n = first_blob(st, "SELECT blob FROM partkeys ORDER BY rowid LIMIT 1", key_blob, sizeof key_blob);
    assert_true(on_disk(st, key_blob, n));

    assert_int_equal(enl_store_begin(st), ENL_OK);
    assert_int_equal(enl_store_part_trim(st, file, 0), ENL_OK);
    assert_int_equal(enl_store_commit(st), ENL_OK);
    assert_int_equal(secure_delete_on(st), 1);
    assert_int_equal(enl_store_checkpoint(st), ENL_OK);
    assert_false(on_disk(st, key_blob, n));
    assert_int_equal(rows(st, "partkeys"), 1);
    assert_int_equal(enl_store_part_count(st, file, UINT32_MAX, &left), ENL_OK);
    assert_int_equal(left, 0);
    assert_int_equal(enl_store_part_each(st, file, read_part, &r), ENL_OK);
    assert_int_equal(r.seen, 0);

    /* a part of the file that comes again later takes a new key */
    put_parts(st, file, 0, 1, 10);
    assert_int_equal(rows(st, "partkeys"), 2);
    assert_int_equal(enl_store_part_each(st, file, read_part, &r), ENL_OK);
    assert_int_equal(r.seen, 1);
    done_store(st);
}

/* Trimming from a later index keeps the key: the parts before it stay. */
static void test_trimming_the_end_keeps_the_key(void **state)
{
    enl_store *st = fresh_store(SCRATCH);
    uint8_t file[32];
    reading r = { 0, 10 };
    (void)state;
    memset(file, 1, sizeof file);
    put_parts(st, file, 0, 4, 10);
    assert_int_equal(enl_store_part_trim(st, file, 2), ENL_OK);
    assert_int_equal(enl_store_part_delete(st, file, 1), ENL_OK);
    assert_int_equal(rows(st, "partkeys"), 1);
    assert_int_equal(enl_store_part_each(st, file, read_part, &r), ENL_OK);
    assert_int_equal(r.seen, 1);
    assert_int_equal(secure_delete_on(st), 1);
    done_store(st);
}

/* A part put in a transaction that is rolled back leaves no key behind. */
static void test_a_rolled_back_part_leaves_no_key(void **state)
{
    enl_store *st = fresh_store(SCRATCH);
    uint8_t file[32];
    (void)state;
    memset(file, 1, sizeof file);
    assert_int_equal(enl_store_begin(st), ENL_OK);
    put_parts(st, file, 0, 2, 10);
    enl_store_rollback(st);
    assert_int_equal(rows(st, "partkeys"), 0);
    assert_int_equal(rows(st, "parts"), 0);
    done_store(st);
}

/* Parts stored before schema 10: read with the blob key, joined by more
 * parts under it (one key for the whole file), and overwritten when
 * deleted, since no key of their own can be forgotten for them. */
static void test_parts_from_before_still_open(void **state)
{
    enl_store *st = fresh_store(SCRATCH);
    uint8_t file[32], part_blob[4096];
    size_t n;
    reading r = { 0, 30 };
    (void)state;
    memset(file, 3, sizeof file);
    put_old_part(st, file, 0, 30);
    put_old_part(st, file, 1, 30);
    put_parts(st, file, 2, 3, 30);
    assert_int_equal(rows(st, "partkeys"), 0);
    assert_int_equal(enl_store_part_each(st, file, read_part, &r), ENL_OK);
    assert_int_equal(r.seen, 3);

    assert_int_equal(enl_store_checkpoint(st), ENL_OK);
    n = first_blob(st, "SELECT blob FROM parts ORDER BY rowid LIMIT 1", part_blob, sizeof part_blob);
    assert_true(on_disk(st, part_blob, n));
    assert_int_equal(enl_store_part_trim(st, file, 0), ENL_OK);
    assert_int_equal(enl_store_checkpoint(st), ENL_OK);
    assert_false(on_disk(st, part_blob, n));
    assert_int_equal(rows(st, "parts"), 0);
    done_store(st);
}

/* Parts of a file whose record never came expire, and their key with them. */
static void test_expired_orphans_take_their_key(void **state)
{
    enl_store *st = fresh_store(SCRATCH);
    uint8_t file[32];
    (void)state;
    memset(file, 4, sizeof file);
    put_parts(st, file, 0, 2, 10);     /* expiry hour 100 */
    assert_int_equal(enl_store_expire(st, 99, NULL), ENL_OK);
    assert_int_equal(rows(st, "partkeys"), 1);
    assert_int_equal(enl_store_expire(st, 100, NULL), ENL_OK);
    assert_int_equal(rows(st, "parts"), 0);
    assert_int_equal(rows(st, "partkeys"), 0);
    done_store(st);
}


/* Many files, most of them then deleted: rows of partkeys move between
 * pages as the table's pages fill and empty (SQLite balances them); with
 * secure_delete on, no copy of a deleted key is left in the file. */
#define MANY 300
static void test_no_deleted_key_stays_on_disk(void **state)
{
    enl_store *st = fresh_store(SCRATCH);
    static uint8_t blobs[MANY][512];
    static size_t lens[MANY];
    uint8_t file[32];
    uint32_t left = 0, found = 0;
    sqlite3_stmt *s;
    (void)state;
    for (uint32_t i = 0; i < MANY; i++) {
        memset(file, 0, sizeof file);
        memcpy(file, &i, sizeof i);
        file[31] = 0x5a;
        put_parts(st, file, 0, 1, 10);
    }
    assert_int_equal(enl_store_checkpoint(st), ENL_OK);
    assert_int_equal(sqlite3_prepare_v2(st->db, "SELECT blob FROM partkeys WHERE file = ?", -1, &s, NULL), SQLITE_OK);
    for (uint32_t i = 0; i < MANY; i++) {
        memset(file, 0, sizeof file);
        memcpy(file, &i, sizeof i);
        file[31] = 0x5a;
        sqlite3_bind_blob(s, 1, file, 32, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        lens[i] = (size_t)sqlite3_column_bytes(s, 0);
        assert_true(lens[i] <= sizeof blobs[0]);
        memcpy(blobs[i], sqlite3_column_blob(s, 0), lens[i]);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    /* every file but one in ten, saved or deleted, in an order unlike the rows' */
    for (uint32_t k = 0; k < MANY; k++) {
        uint32_t i = (k * 7) % MANY;
        if (i % 10 == 0) continue;
        memset(file, 0, sizeof file);
        memcpy(file, &i, sizeof i);
        file[31] = 0x5a;
        assert_int_equal(enl_store_part_trim(st, file, 0), ENL_OK);
    }
    assert_int_equal(enl_store_checkpoint(st), ENL_OK);
    for (uint32_t i = 0; i < MANY; i++) {
        if (i % 10 == 0) { left++; continue; }
        found += (uint32_t)on_disk(st, blobs[i], 64);
    }
    if (found) print_message("%u of %u deleted keys still on disk\n", found, MANY - left);
    assert_int_equal(found, 0);
    done_store(st);
}

static void key_of(enl_store *st, const uint8_t file[32], uint8_t *out, size_t *len)
{
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(st->db, "SELECT blob FROM partkeys WHERE file = ?", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_blob(s, 1, file, 32, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    *len = (size_t)sqlite3_column_bytes(s, 0);
    memcpy(out, sqlite3_column_blob(s, 0), *len);
    sqlite3_finalize(s);
}

/* Files arriving while others are saved, as a profile lives. */
static void test_no_deleted_key_stays_on_disk_interleaved(void **state)
{
    enl_store *st = fresh_store(SCRATCH);
    static uint8_t blobs[MANY][512];
    static size_t lens[MANY];
    static int gone[MANY];
    uint8_t file[32];
    uint32_t found = 0, ngone = 0, seed = 12345;
    (void)state;
    for (uint32_t i = 0; i < MANY; i++) {
        memset(file, 0, sizeof file);
        memcpy(file, &i, sizeof i);
        file[31] = 0x5a;
        put_parts(st, file, 0, 1, 10);
        key_of(st, file, blobs[i], &lens[i]);
        if (i % 50 == 49) assert_int_equal(enl_store_checkpoint(st), ENL_OK);
        for (int d = 0; d < 2 && i > 5; d++) {
            uint32_t j;
            seed = seed * 1103515245u + 12345u;
            j = (seed >> 8) % i;
            if (gone[j] || j % 10 == 0) continue;
            memset(file, 0, sizeof file);
            memcpy(file, &j, sizeof j);
            file[31] = 0x5a;
            assert_int_equal(enl_store_part_trim(st, file, 0), ENL_OK);
            gone[j] = 1;
            ngone++;
        }
    }
    assert_int_equal(enl_store_checkpoint(st), ENL_OK);
    for (uint32_t i = 0; i < MANY; i++)
        if (gone[i] && on_disk(st, blobs[i], 64)) found++;
    if (found) print_message("%u of %u deleted keys still on disk\n", found, ngone);
    assert_int_equal(found, 0);
    done_store(st);
}

/* The stored blob of the part index of file, copied. */
static size_t part_blob(enl_store *st, const uint8_t file[32], uint32_t index, uint8_t *out, size_t max)
{
    sqlite3_stmt *s;
    size_t n;
    assert_int_equal(sqlite3_prepare_v2(st->db, "SELECT blob FROM parts WHERE file = ? AND idx = ?",
                                        -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_blob(s, 1, file, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, index);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    n = (size_t)sqlite3_column_bytes(s, 0);
    assert_true(n <= max);
    memcpy(out, sqlite3_column_blob(s, 0), n);
    sqlite3_finalize(s);
    return n;
}

/* secure_delete set off for one statement inside a transaction takes
 * effect there: the forgotten file's parts are left as they were (what
 * saving fast rests on), and it is on again for what follows. */
static void test_forgetting_leaves_the_parts_unwritten(void **state)
{
    enl_store *st = fresh_store(SCRATCH);
    uint8_t file[32], kept[4096];
    size_t nk;
    (void)state;
    memset(file, 1, sizeof file);
    put_parts(st, file, 0, 3, 10);
    assert_int_equal(enl_store_checkpoint(st), ENL_OK);
    nk = part_blob(st, file, 1, kept, sizeof kept);
    assert_int_equal(enl_store_begin(st), ENL_OK);
    assert_int_equal(enl_store_part_trim(st, file, 0), ENL_OK);
    assert_int_equal(secure_delete_on(st), 1);
    assert_int_equal(enl_store_commit(st), ENL_OK);
    assert_int_equal(enl_store_checkpoint(st), ENL_OK);
    assert_true(on_disk(st, kept, nk));
    done_store(st);
}

/* Parts from before schema 10 share the parts table's pages with parts
 * sealed since: deleting a file's parts without overwriting moves rows
 * between pages (SQLite balances them) and leaves copies of the rows it
 * moved in pages it does not overwrite, the older parts' among them. Those
 * are sealed with the blob key: deleting them later must leave no copy. */
static void test_forgetting_a_file_leaves_no_copy_of_older_parts(void **state)
{
    enl_store *st = fresh_store(SCRATCH);
    uint8_t old_file[32], new_file[32];
    static uint8_t blobs[200][4096];
    static size_t lens[200];
    uint32_t found = 0;
    (void)state;
    memset(old_file, 3, sizeof old_file);
    memset(new_file, 4, sizeof new_file);
    for (uint32_t i = 0; i < 200; i++) {
        put_old_part(st, old_file, i, 30);
        put_parts(st, new_file, i, i + 1, 70);
    }
    assert_int_equal(enl_store_checkpoint(st), ENL_OK);
    for (uint32_t i = 0; i < 200; i++) lens[i] = part_blob(st, old_file, i, blobs[i], sizeof blobs[i]);
    assert_int_equal(enl_store_part_trim(st, new_file, 0), ENL_OK);   /* pages left unwritten */
    assert_int_equal(enl_store_part_trim(st, old_file, 0), ENL_OK);   /* overwritten */
    assert_int_equal(enl_store_checkpoint(st), ENL_OK);
    assert_int_equal(rows(st, "parts"), 0);
    for (uint32_t i = 0; i < 200; i++) found += (uint32_t)on_disk(st, blobs[i], lens[i] < 64 ? lens[i] : 64);
    if (found) print_message("%u of 200 older parts still on disk\n", found);
    assert_int_equal(found, 0);
    done_store(st);
}

/* A part from before schema 10 at the last index (a head's purge lock on
 * the sender's side, or a part a sender numbered so before its head): it
 * is a part like any other, for the key its file keeps and when every part
 * of its file is deleted. */
static void test_a_part_from_before_at_the_last_index(void **state)
{
    enl_store *st = fresh_store(SCRATCH);
    uint8_t file[32];
    reading r = { 0, 30 };
    (void)state;
    memset(file, 5, sizeof file);
    put_old_part(st, file, UINT32_MAX, 30);
    assert_int_equal(enl_store_part_trim(st, file, 0), ENL_OK);
    assert_int_equal(rows(st, "parts"), 0);

    /* one more part: the blob key still, as the first one's */
    put_old_part(st, file, UINT32_MAX, 30);
    put_parts(st, file, 0, 1, 30);
    assert_int_equal(rows(st, "partkeys"), 0);
    assert_int_equal(enl_store_part_each(st, file, read_first, &r), ENL_OK);
    assert_int_equal(r.seen, 2);
    done_store(st);
}

/* Two connections to one profile (a listener's sessions) take parts of
 * one file in turn: the second finds the key the first made, and either
 * reads every part. */
static void test_twins_share_a_file_key(void **state)
{
    enl_store *st = fresh_store(SCRATCH), *twin = NULL;
    uint8_t file[32];
    reading r = { 0, 10 }, r2 = { 0, 10 };
    (void)state;
    memset(file, 6, sizeof file);
    assert_int_equal(enl_store_twin(st, &twin), ENL_OK);
    for (uint32_t i = 0; i < 6; i++) put_parts(i % 2 ? twin : st, file, i, i + 1, 10);
    assert_int_equal(rows(st, "partkeys"), 1);
    assert_int_equal(enl_store_part_each(st, file, read_part, &r), ENL_OK);
    assert_int_equal(enl_store_part_each(twin, file, read_part, &r2), ENL_OK);
    assert_int_equal(r.seen, 6);
    assert_int_equal(r2.seen, 6);
    enl_store_close(twin);
    done_store(st);
}

static int deny_deleting_parts(void *ctx, int action, const char *a, const char *b,
                               const char *c, const char *d)
{
    (void)ctx;
    (void)b;
    (void)c;
    (void)d;
    return action == SQLITE_DELETE && a != NULL && strcmp(a, "parts") == 0 ? SQLITE_DENY
                                                                            : SQLITE_OK;
}

/* A deletion of the parts that fails, after the key's row went: the
 * transaction puts the key back, and secure_delete is on again. */
static void test_a_failed_forget_keeps_the_key(void **state)
{
    enl_store *st = fresh_store(SCRATCH);
    uint8_t file[32];
    reading r = { 0, 10 };
    (void)state;
    memset(file, 7, sizeof file);
    put_parts(st, file, 0, 3, 10);
    cache_clear(st);   /* the DELETE is prepared again, under the authorizer */
    sqlite3_set_authorizer(st->db, deny_deleting_parts, NULL);
    assert_int_not_equal(enl_store_part_trim(st, file, 0), ENL_OK);
    sqlite3_set_authorizer(st->db, NULL, NULL);
    assert_int_equal(secure_delete_on(st), 1);
    assert_int_equal(enl_store_in_transaction(st), 0);
    assert_int_equal(rows(st, "partkeys"), 1);
    assert_int_equal(enl_store_part_each(st, file, read_part, &r), ENL_OK);
    assert_int_equal(r.seen, 3);
    done_store(st);
}

static int deny_overwriting_again(void *ctx, int action, const char *a, const char *b,
                                  const char *c, const char *d)
{
    (void)ctx;
    (void)c;
    (void)d;
    return action == SQLITE_PRAGMA && a != NULL && strcmp(a, "secure_delete") == 0 &&
           b != NULL && strcmp(b, "ON") == 0 ? SQLITE_DENY : SQLITE_OK;
}

/* When secure_delete cannot be turned back on after a forget, no write
 * begins on that handle until it can: every later deletion would otherwise
 * leave what it deletes on disk. */
static void test_no_write_until_overwriting_is_back(void **state)
{
    enl_store *st = fresh_store(SCRATCH);
    uint8_t file[32];
    (void)state;
    memset(file, 8, sizeof file);
    put_parts(st, file, 0, 2, 10);
    sqlite3_set_authorizer(st->db, deny_overwriting_again, NULL);
    assert_int_not_equal(enl_store_part_trim(st, file, 0), ENL_OK);
    assert_int_equal(secure_delete_on(st), 0);
    assert_int_equal(enl_store_begin(st), ENL_ESTORE);
    assert_non_null(strstr(enl_store_errmsg(st), "cannot overwrite"));
    sqlite3_set_authorizer(st->db, NULL, NULL);
    assert_int_equal(enl_store_begin(st), ENL_OK);
    assert_int_equal(secure_delete_on(st), 1);
    assert_int_equal(enl_store_commit(st), ENL_OK);
    done_store(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_file_has_its_own_key),
        cmocka_unit_test(test_deleting_a_file_forgets_its_key),
        cmocka_unit_test(test_trimming_the_end_keeps_the_key),
        cmocka_unit_test(test_a_rolled_back_part_leaves_no_key),
        cmocka_unit_test(test_parts_from_before_still_open),
        cmocka_unit_test(test_expired_orphans_take_their_key),
        cmocka_unit_test(test_no_deleted_key_stays_on_disk),
        cmocka_unit_test(test_no_deleted_key_stays_on_disk_interleaved),
        cmocka_unit_test(test_forgetting_leaves_the_parts_unwritten),
        cmocka_unit_test(test_forgetting_a_file_leaves_no_copy_of_older_parts),
        cmocka_unit_test(test_a_part_from_before_at_the_last_index),
        cmocka_unit_test(test_twins_share_a_file_key),
        cmocka_unit_test(test_a_failed_forget_keeps_the_key),
        cmocka_unit_test(test_no_write_until_overwriting_is_back),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
