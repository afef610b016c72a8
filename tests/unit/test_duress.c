/*
 * Duress, passphrase change and wipe at the store level: after a duress
 * unlock no byte of the old key slot or of an old record remains in any
 * file of the profile, the real passphrase opens nothing, and nothing on
 * disk tells a profile with a duress passphrase from one without.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enlace.h"
#include "store/store.h"

static char home[64];

static void fresh(void)
{
    snprintf(home, sizeof home, "/tmp/enl-duress-XXXXXX");
    assert_non_null(mkdtemp(home));
    rmdir(home);
}

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    assert_int_equal(system(cmd), 0);
}

/* Bytes of one meta value, read straight from the database file. */
static void meta_raw(const char *key, uint8_t *out, size_t len)
{
    char path[128];
    sqlite3 *db;
    sqlite3_stmt *s;
    snprintf(path, sizeof path, "%s/enlace.db", home);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT v FROM meta WHERE k = ?", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal((size_t)sqlite3_column_bytes(s, 0), len);
    memcpy(out, sqlite3_column_blob(s, 0), len);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* A count, read straight from the database file. */
static long raw_count(const char *sql)
{
    char path[128];
    sqlite3 *db;
    sqlite3_stmt *s;
    long n;
    snprintf(path, sizeof path, "%s/enlace.db", home);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    n = (long)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

/* The database header's change counter (bytes 24..27) and schema cookie
 * (40..43): what SQLite counts of a file's history. */
static void header_counters(uint8_t out[8])
{
    char path[128];
    uint8_t h[100];
    FILE *f;
    snprintf(path, sizeof path, "%s/enlace.db", home);
    assert_non_null(f = fopen(path, "rb"));
    assert_int_equal(fread(h, 1, sizeof h, f), sizeof h);
    fclose(f);
    memcpy(out, h + 24, 4);
    memcpy(out + 4, h + 40, 4);
}

/* Whether any file in home contains the bytes. */
static int anywhere(const uint8_t *needle, size_t n)
{
    DIR *d = opendir(home);
    struct dirent *e;
    int found = 0;
    assert_non_null(d);
    while (!found && (e = readdir(d)) != NULL) {
        char path[512];
        FILE *f;
        uint8_t *buf;
        long size;
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", home, e->d_name);
        if ((f = fopen(path, "rb")) == NULL) continue;
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        rewind(f);
        buf = malloc((size_t)size + 1);
        if (size > 0 && fread(buf, 1, (size_t)size, f) == (size_t)size)
            for (long i = 0; i + (long)n <= size && !found; i++)
                found = memcmp(buf + i, needle, n) == 0;
        free(buf);
        fclose(f);
    }
    closedir(d);
    return found;
}

static void test_duress_destroys_everything(void **state)
{
    enl_store *st;
    uint8_t slot[72], marker[24], reset[8], made[8];
    char name[ENL_NAME_MAX + 1];
    (void)state;
    fresh();
    memcpy(marker, "a record from before!!!", 24);
    assert_int_equal(enl_store_create(&st, home, "real", 4, ENL_KDF_INTERACTIVE), ENL_OK);
    assert_int_equal(enl_store_secret_put(st, "x", marker, sizeof marker), ENL_OK);
    assert_int_equal(enl_store_message_add(st, marker, sizeof marker, NULL), ENL_OK);
    assert_int_equal(enl_store_set_duress(st, "duress", 6, "ana"), ENL_OK);
    assert_int_equal(enl_store_set_duress(st, "real", 4, "ana"), ENL_EEXISTS);
    enl_store_close(st);
    meta_raw("wrapped_key", slot, sizeof slot);
    assert_true(anywhere(slot, sizeof slot));

    assert_int_equal(enl_store_open(&st, home, "duress", 6), ENL_OK);
    assert_int_equal(enl_store_was_reset(st, name), 1);
    assert_string_equal(name, "ana");
    assert_int_equal(enl_store_secret_get(st, "x", &(uint8_t *){ NULL }, &(size_t){ 0 }), ENL_ENOTFOUND);
    enl_store_close(st);
    /* No file holds the old slot; the real passphrase opens nothing. */
    assert_false(anywhere(slot, sizeof slot));
    /* and no counter says how many messages there were */
    assert_int_equal(raw_count("SELECT count(*) FROM sqlite_sequence"), 0);
    header_counters(reset);
    assert_int_equal(enl_store_open(&st, home, "real", 4), ENL_EPASSPHRASE);
    /* The duress passphrase now opens the new, empty profile normally. */
    assert_int_equal(enl_store_open(&st, home, "duress", 6), ENL_OK);
    assert_int_equal(enl_store_was_reset(st, name), 0);
    enl_store_close(st);
    cleanup();
    /* Nor does the file say it was emptied rather than made: it is a new
     * file, whose header counts what a new profile's does. */
    fresh();
    assert_int_equal(enl_store_create(&st, home, "duress", 6, ENL_KDF_INTERACTIVE), ENL_OK);
    enl_store_close(st);
    header_counters(made);
    assert_memory_equal(reset, made, sizeof made);
    cleanup();
}

static void test_no_trace_of_a_duress_passphrase(void **state)
{
    /* The alternate slot exists, with the same size, whether or not a duress
     * passphrase was set. */
    enl_store *st;
    uint8_t a[105], b[105];
    (void)state;
    fresh();
    assert_int_equal(enl_store_create(&st, home, "real", 4, ENL_KDF_INTERACTIVE), ENL_OK);
    enl_store_close(st);
    meta_raw("wrapped_alt", a, sizeof a);
    assert_int_equal(enl_store_open(&st, home, "real", 4), ENL_OK);
    assert_int_equal(enl_store_set_duress(st, "duress", 6, "ana"), ENL_OK);
    enl_store_close(st);
    meta_raw("wrapped_alt", b, sizeof b);
    assert_memory_not_equal(a, b, sizeof a);
    cleanup();
}

static void test_change_passphrase(void **state)
{
    enl_store *st;
    uint8_t *pt = NULL;
    size_t len = 0;
    (void)state;
    fresh();
    assert_int_equal(enl_store_create(&st, home, "old", 3, ENL_KDF_INTERACTIVE), ENL_OK);
    assert_int_equal(enl_store_secret_put(st, "x", (const uint8_t *)"kept", 4), ENL_OK);
    assert_int_equal(enl_store_set_duress(st, "duress", 6, "ana"), ENL_OK);
    assert_int_equal(enl_store_rekey(st, "new", 3), ENL_OK);
    /* the one refusal: the real passphrase, which the caller knows */
    assert_int_equal(enl_store_rekey(st, "new", 3), ENL_EEXISTS);
    enl_store_close(st);
    assert_int_equal(enl_store_open(&st, home, "old", 3), ENL_EPASSPHRASE);
    assert_int_equal(enl_store_open(&st, home, "new", 3), ENL_OK);
    assert_int_equal(enl_store_secret_get(st, "x", &pt, &len), ENL_OK);
    assert_memory_equal(pt, "kept", 4);
    enl_store_free(pt, len);
    enl_store_close(st);
    cleanup();
}

/* Whoever forced the real passphrase out of the owner must not learn from
 * `passphrase change` or `passphrase duress` whether a duress passphrase
 * exists, nor test guesses at it there: the duress passphrase given as the
 * new one was refused ("already in use"), and set again as the duress one
 * ("already the duress passphrase"), where any other value was taken. Now
 * it becomes the real passphrase, and no duress passphrase is left; set
 * again, it is set, as any other. */
static void test_duress_passphrase_given_again(void **state)
{
    enl_store *st;
    uint8_t *pt = NULL, alt[105];
    size_t len = 0;
    char name[ENL_NAME_MAX + 1];
    (void)state;
    fresh();
    assert_int_equal(enl_store_create(&st, home, "real", 4, ENL_KDF_INTERACTIVE), ENL_OK);
    assert_int_equal(enl_store_secret_put(st, "x", (const uint8_t *)"kept", 4), ENL_OK);
    assert_int_equal(enl_store_set_duress(st, "duress", 6, "ana"), ENL_OK);
    assert_int_equal(enl_store_set_duress(st, "duress", 6, "ana"), ENL_OK);
    assert_int_equal(enl_store_set_duress(st, "real", 4, "ana"), ENL_EEXISTS);
    meta_raw("wrapped_alt", alt, sizeof alt);
    assert_int_equal(enl_store_rekey(st, "duress", 6), ENL_OK);
    enl_store_close(st);
    /* the duress slot, which the new real passphrase opens, is nowhere */
    assert_false(anywhere(alt, sizeof alt));
    assert_int_equal(enl_store_open(&st, home, "real", 4), ENL_EPASSPHRASE);
    /* twice: it opens the profile as it is, and destroys nothing */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(enl_store_open(&st, home, "duress", 6), ENL_OK);
        assert_int_equal(enl_store_was_reset(st, name), 0);
        assert_int_equal(enl_store_secret_get(st, "x", &pt, &len), ENL_OK);
        assert_memory_equal(pt, "kept", 4);
        enl_store_free(pt, len);
        enl_store_close(st);
    }
    /* no duress slot was left behind it: once the passphrase changes
     * again, the old duress value opens nothing, and destroys nothing */
    assert_int_equal(enl_store_open(&st, home, "duress", 6), ENL_OK);
    assert_int_equal(enl_store_rekey(st, "third", 5), ENL_OK);
    enl_store_close(st);
    assert_int_equal(enl_store_open(&st, home, "duress", 6), ENL_EPASSPHRASE);
    assert_int_equal(enl_store_open(&st, home, "third", 5), ENL_OK);
    assert_int_equal(enl_store_secret_get(st, "x", &pt, &len), ENL_OK);
    enl_store_free(pt, len);
    enl_store_close(st);
    cleanup();
}

/* The database file's bytes (at most max). */
#define PAGES 1024
static void snapshot(uint8_t *buf, size_t max, size_t *len)
{
    char path[128];
    FILE *f;
    snprintf(path, sizeof path, "%s/enlace.db", home);
    assert_non_null(f = fopen(path, "rb"));
    *len = fread(buf, 1, max, f);
    assert_int_equal(feof(f), 1);
    fclose(f);
}

/* The pages a change of passphrase writes in the database file, and its
 * length after. which 0: the new passphrase is the duress one; 1: a
 * duress passphrase is set, the new one is another; 2: none is set. */
static void change_writes(int which, uint8_t pages[PAGES], size_t *size_after, int *rc)
{
    static uint8_t before[PAGES * 4096], after[PAGES * 4096];
    size_t nb, na;
    enl_store *st;
    fresh();
    assert_int_equal(enl_store_create(&st, home, "real", 4, ENL_KDF_INTERACTIVE), ENL_OK);
    assert_int_equal(enl_store_secret_put(st, "x", (const uint8_t *)"kept", 4), ENL_OK);
    if (which != 2) assert_int_equal(enl_store_set_duress(st, "duress", 6, "ana"), ENL_OK);
    enl_store_close(st);
    assert_int_equal(enl_store_open(&st, home, "real", 4), ENL_OK);
    snapshot(before, sizeof before, &nb);
    *rc = enl_store_rekey(st, which == 1 ? "newone" : "duress", 6);
    snapshot(after, sizeof after, &na);
    enl_store_close(st);
    memset(pages, 0, PAGES);
    for (size_t i = 0; i < PAGES && i * 4096 < na; i++)
        pages[i] = i * 4096 >= nb || memcmp(before + i * 4096, after + i * 4096, 4096) != 0;
    *size_after = na;
    cleanup();
}

/* What a change writes, as far as which pages of the file it touches and
 * how long the file grows, is the same whether the new passphrase is the
 * duress one, or another, or no duress passphrase exists. (Which bytes
 * change in the page of the slots differs: the alternate slot becomes
 * random bytes when the new passphrase was the duress one. Two copies of
 * the file, before and after, show that; the first alone shows as much to
 * whoever tries that passphrase on it.) */
static void test_change_writes_alike(void **state)
{
    static uint8_t pages[3][PAGES];
    size_t size[3];
    int rc[3];
    (void)state;
    for (int i = 0; i < 3; i++) change_writes(i, pages[i], &size[i], &rc[i]);
    for (int i = 0; i < 3; i++) assert_int_equal(rc[i], ENL_OK);
    assert_non_null(memchr(pages[0], 1, PAGES));
    assert_memory_equal(pages[0], pages[1], PAGES);
    assert_memory_equal(pages[0], pages[2], PAGES);
    assert_int_equal(size[0], size[1]);
    assert_int_equal(size[0], size[2]);
}

/* The profile folder is 0700 even when it was there before, looser. */
static void test_folder_is_private(void **state)
{
    enl_store *st;
    struct stat sb;
    (void)state;
    fresh();
    assert_int_equal(mkdir(home, 0777), 0);
    assert_int_equal(chmod(home, 0777), 0);
    assert_int_equal(enl_store_create(&st, home, "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
    enl_store_close(st);
    assert_int_equal(stat(home, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    assert_int_equal(chmod(home, 0755), 0);
    assert_int_equal(enl_store_open(&st, home, "pw", 2), ENL_OK);
    enl_store_close(st);
    assert_int_equal(stat(home, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    cleanup();
}

static void test_wipe_removes_the_profile(void **state)
{
    enl_store *st;
    struct stat sb;
    (void)state;
    fresh();
    assert_int_equal(enl_store_create(&st, home, "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
    enl_store_close(st);
    assert_int_equal(enl_store_wipe(home), ENL_OK);
    assert_int_not_equal(stat(home, &sb), 0);
    assert_int_equal(enl_store_wipe(home), ENL_ENOPROFILE);
}

/* A panic wipe while another process holds the write lock (a `listen` in
 * the middle of a sync): the profile is destroyed all the same, without
 * waiting for the lock. */
static void test_wipe_while_another_holds_the_lock(void **state)
{
    enl_store *st;
    sqlite3 *other;
    sqlite3_stmt *s;
    struct stat sb;
    char path[128];
    uint8_t slot[72];
    int rc;
    (void)state;
    fresh();
    assert_int_equal(enl_store_create(&st, home, "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
    enl_store_close(st);
    meta_raw("wrapped_key", slot, sizeof slot);
    snprintf(path, sizeof path, "%s/enlace.db", home);
    assert_int_equal(sqlite3_open_v2(path, &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE; SELECT count(*) FROM meta", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(enl_store_wipe(home), ENL_OK);
    assert_int_not_equal(stat(home, &sb), 0);
    /* what the other connection still holds open no longer has the slot */
    rc = sqlite3_prepare_v2(other, "SELECT v FROM meta WHERE k = 'wrapped_key'", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == (int)sizeof slot)
            assert_memory_not_equal(sqlite3_column_blob(s, 0), slot, sizeof slot);
        sqlite3_finalize(s);
    }
    (void)sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    assert_int_equal(enl_store_wipe(home), ENL_ENOPROFILE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duress_destroys_everything),
        cmocka_unit_test(test_no_trace_of_a_duress_passphrase),
        cmocka_unit_test(test_change_passphrase),
        cmocka_unit_test(test_duress_passphrase_given_again),
        cmocka_unit_test(test_change_writes_alike),
        cmocka_unit_test(test_folder_is_private),
        cmocka_unit_test(test_wipe_removes_the_profile),
        cmocka_unit_test(test_wipe_while_another_holds_the_lock),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
