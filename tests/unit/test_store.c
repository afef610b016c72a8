/*
 * Unit tests for src/store: the encrypted profile database.
 *
 * What the store promises is about the disk as much as the API: a wrong
 * passphrase changes nothing, no plaintext name, key or message reaches any
 * file of the profile folder (the database, its -wal or its -shm), set
 * members and slot names are keyed hashes, and the files are private. The
 * tests look at the bytes on disk to check it, and tamper with the database
 * directly (sqlite3) to check that a blob is bound to its row.
 *
 * Every store is created with ENL_KDF_INTERACTIVE in a mkdtemp folder, and
 * most tests share one store (the group state) to keep Argon2id runs few.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enlace.h"
#include "store/store.h"

#define PASS "correct horse battery staple"
#define PASS_LEN (sizeof PASS - 1)
/* 20 distinctive bytes that must never reach the disk. */
#define MARKER "Zq7-plaintext-MARK!!"
#define MARKER_LEN 20
#define SLOT_NAME "slot-name-that-leaks"

typedef struct {
    char dir[64];     /* mkdtemp */
    char home[128];   /* dir/home: created by the store */
    char db[160];
    enl_store *st;
    enl_store *st2;   /* a second handle, closed by the teardown too */
} fixture;

static fixture shared;
static fixture own;   /* per test: set up and torn down around it */

/* ---- helpers ---------------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static void rm_rf(const char *dir)
{
    (void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int fixture_init(fixture *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/enl-store-XXXXXX");
    if (mkdtemp(f->dir) == NULL) return -1;
    snprintf(f->home, sizeof f->home, "%s/home", f->dir);
    snprintf(f->db, sizeof f->db, "%s/%s", f->home, ENL_STORE_FILE);
    return 0;
}

static void fixture_done(fixture *f)
{
    enl_store_close(f->st);
    enl_store_close(f->st2);
    f->st = NULL;
    f->st2 = NULL;
    if (f->dir[0]) rm_rf(f->dir);
}

static int create_in(fixture *f)
{
    mode_t old = umask(0);  /* the strictest case: the store alone makes its files private */
    int rc = enl_store_create(&f->st, f->home, PASS, PASS_LEN, ENL_KDF_INTERACTIVE);
    umask(old);
    return rc;
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *b = NULL;
    long n;
    if (fp == NULL) return NULL;
    if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0) {
        b = malloc((size_t)n + 1);
        if (b != NULL && fread(b, 1, (size_t)n, fp) != (size_t)n) {
            free(b);
            b = NULL;
        }
        *len = (size_t)n;
    }
    fclose(fp);
    return b;
}

/* Name of the first file in dir that contains needle, or NULL. *files gets
 * how many files were searched. */
static const char *find_in_dir(const char *dir, const void *needle, size_t n, int *files)
{
    static char found[512];
    DIR *d = opendir(dir);
    struct dirent *e;
    const char *res = NULL;
    *files = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL && res == NULL) {
        char path[512];
        uint8_t *b;
        size_t len = 0;
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        b = read_all(path, &len);
        assert_non_null(b);
        (*files)++;
        if (memmem(b, len, needle, n) != NULL) {
            snprintf(found, sizeof found, "%s", e->d_name);
            res = found;
        }
        free(b);
    }
    closedir(d);
    return res;
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

static int file_mode(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return -1;
    return (int)(sb.st_mode & 07777);
}

static void item_of(uint8_t out[32], uint8_t tag)
{
    uint8_t seed[randombytes_SEEDBYTES];
    memset(seed, tag, sizeof seed);
    randombytes_buf_deterministic(out, 32, seed);
}

/* Runs one statement on the database file directly, with the store closed. */
static void db_exec(const char *db, const char *sql)
{
    sqlite3 *h;
    char *err = NULL;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK) fail_msg("%s: %s", sql, err);
    sqlite3_close(h);
}

/* Flips one byte of the blob of every row of table, with the store closed. */
static void db_flip_byte(const char *db, const char *table, int at)
{
    sqlite3 *h;
    sqlite3_stmt *sel, *upd;
    char sql[128];
    int rows = 0;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    snprintf(sql, sizeof sql, "SELECT rowid, blob FROM %s", table);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &sel, NULL), SQLITE_OK);
    snprintf(sql, sizeof sql, "UPDATE %s SET blob = ? WHERE rowid = ?", table);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &upd, NULL), SQLITE_OK);
    while (sqlite3_step(sel) == SQLITE_ROW) {
        int n = sqlite3_column_bytes(sel, 1);
        uint8_t *b = malloc((size_t)n);
        assert_non_null(b);
        assert_true(n > at);
        memcpy(b, sqlite3_column_blob(sel, 1), (size_t)n);
        b[at] ^= 0x01;
        sqlite3_bind_blob(upd, 1, b, n, SQLITE_TRANSIENT);
        sqlite3_bind_int64(upd, 2, sqlite3_column_int64(sel, 0));
        assert_int_equal(sqlite3_step(upd), SQLITE_DONE);
        sqlite3_reset(upd);
        free(b);
        rows++;
    }
    assert_true(rows > 0);
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    sqlite3_close(h);
}

static int group_setup(void **state)
{
    (void)state;
    if (fixture_init(&shared) != 0) return -1;
    return create_in(&shared) == ENL_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    fixture_done(&shared);
    return 0;
}

static int own_setup(void **state)
{
    (void)state;
    return fixture_init(&own);
}

static int own_teardown(void **state)
{
    (void)state;
    fixture_done(&own);
    return 0;
}

/* ---- create, open, passphrase ------------------------------------------------ */

static void test_create_makes_private_files(void **state)
{
    enl_store *st = shared.st;
    char path[512];
    (void)state;
    assert_int_equal(file_mode(shared.home), 0700);
    assert_int_equal(file_mode(shared.db), 0600);
    assert_int_equal(enl_store_exists(shared.home), 1);
    /* Write something so that the WAL and its index exist. */
    assert_int_equal(enl_store_message_add(st, (const uint8_t *)"x", 1, NULL), ENL_OK);
    snprintf(path, sizeof path, "%s-wal", shared.db);
    assert_int_equal(file_mode(path), 0600);
    snprintf(path, sizeof path, "%s-shm", shared.db);
    assert_int_equal(file_mode(path), 0600);
    /* Nothing else in the folder, and nothing readable by others. */
    {
        DIR *d = opendir(shared.home);
        struct dirent *e;
        assert_non_null(d);
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue;
            snprintf(path, sizeof path, "%s/%s", shared.home, e->d_name);
            if ((file_mode(path) & 077) != 0) fail_msg("%s is mode %o", e->d_name, file_mode(path));
        }
        closedir(d);
    }
}

static void test_create_refuses_existing_and_open_missing(void **state)
{
    (void)state;
    assert_int_equal(enl_store_create(&own.st2, shared.home, PASS, PASS_LEN, ENL_KDF_INTERACTIVE),
                     ENL_EEXISTS);
    assert_null(own.st2);
    assert_int_equal(enl_store_exists(own.home), 0);
    assert_int_equal(enl_store_open(&own.st2, own.home, PASS, PASS_LEN), ENL_ENOPROFILE);
    assert_int_equal(enl_store_open(&own.st2, own.dir, PASS, PASS_LEN), ENL_ENOPROFILE);
    assert_null(own.st2);
    /* A folder that cannot be made. */
    {
        char deep[256];
        snprintf(deep, sizeof deep, "%s/no/such/folder", own.dir);
        assert_int_equal(enl_store_create(&own.st2, deep, PASS, PASS_LEN, ENL_KDF_INTERACTIVE), ENL_EIO);
        assert_null(own.st2);
    }
    enl_store_close(NULL);
    assert_string_equal(enl_store_errmsg(NULL), "");
}

static void test_database_symlinks_are_not_followed(void **state)
{
    /* Someone who can write the profile folder plants enlace.db as a link:
     * the store must neither create the link's target nor open through it. */
    char target[256];
    (void)state;
    assert_int_equal(mkdir(own.home, 0700), 0);
    snprintf(target, sizeof target, "%s/elsewhere.db", own.dir);
    assert_int_equal(symlink(target, own.db), 0);
    assert_int_not_equal(enl_store_create(&own.st2, own.home, PASS, PASS_LEN, ENL_KDF_INTERACTIVE), ENL_OK);
    assert_null(own.st2);
    assert_int_not_equal(access(target, F_OK), 0);
    (void)unlink(own.db);
    /* A link to a real profile database. */
    assert_int_equal(symlink(shared.db, own.db), 0);
    assert_int_not_equal(enl_store_open(&own.st2, own.home, PASS, PASS_LEN), ENL_OK);
    assert_null(own.st2);
}

static void test_reopen_and_wrong_passphrase(void **state)
{
    uint8_t *pt = NULL, *before, *after;
    size_t len = 0, nb = 0, na = 0;
    struct stat sb1, sb2;
    int files;
    (void)state;
    assert_int_equal(create_in(&own), ENL_OK);
    assert_int_equal(enl_store_secret_put(own.st, "self", (const uint8_t *)"ana", 3), ENL_OK);
    enl_store_close(own.st);
    own.st = NULL;

    files = count_files(own.home);
    before = read_all(own.db, &nb);
    assert_non_null(before);
    assert_int_equal(stat(own.db, &sb1), 0);

    assert_int_equal(enl_store_open(&own.st2, own.home, "wrong", 5), ENL_EPASSPHRASE);
    assert_null(own.st2);
    assert_int_equal(enl_store_open(&own.st2, own.home, "", 0), ENL_EPASSPHRASE);
    assert_int_equal(enl_store_open(&own.st2, own.home, PASS, PASS_LEN - 1), ENL_EPASSPHRASE);
    assert_null(own.st2);

    /* Not a byte of the database changed, and no file was left behind. */
    after = read_all(own.db, &na);
    assert_non_null(after);
    assert_int_equal(na, nb);
    assert_memory_equal(before, after, nb);
    assert_int_equal(stat(own.db, &sb2), 0);
    assert_true(sb1.st_mtim.tv_sec == sb2.st_mtim.tv_sec && sb1.st_mtim.tv_nsec == sb2.st_mtim.tv_nsec);
    assert_int_equal(count_files(own.home), files);
    free(before);
    free(after);

    /* The right passphrase still opens it, with what was stored. */
    assert_int_equal(enl_store_open(&own.st2, own.home, PASS, PASS_LEN), ENL_OK);
    assert_non_null(own.st2);
    assert_int_equal(enl_store_secret_get(own.st2, "self", &pt, &len), ENL_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(pt, "ana", 3);
    enl_store_free(pt, len);
    enl_store_close(own.st2);
    own.st2 = NULL;

    /* A database from a newer enlace is refused after the passphrase check. */
    {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version=%d", ENL_STORE_SCHEMA + 1);
        db_exec(own.db, sql);
        assert_int_equal(enl_store_open(&own.st2, own.home, "wrong", 5), ENL_EPASSPHRASE);
        assert_int_equal(enl_store_open(&own.st2, own.home, PASS, PASS_LEN), ENL_EVERSION);
        assert_null(own.st2);
    }
}

static void test_wrong_passphrase_after_a_crash_changes_nothing(void **state)
{
    /* A device that lost power (or a process that was killed) leaves its
     * last transactions in the -wal file. Whoever then tries a wrong
     * passphrase must not change a byte: not the database, not the -wal. */
    char wal[256];
    uint8_t *db0, *db1, *wal0, *wal1;
    size_t ndb0 = 0, ndb1 = 0, nwal0 = 0, nwal1 = 0;
    int status = 0;
    pid_t pid;
    (void)state;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The child writes and dies without closing. */
        int ok = create_in(&own) == ENL_OK &&
                 enl_store_secret_put(own.st, "self", (const uint8_t *)"ana", 3) == ENL_OK &&
                 enl_store_message_add(own.st, (const uint8_t *)"hello", 5, NULL) == ENL_OK;
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    snprintf(wal, sizeof wal, "%s-wal", own.db);
    db0 = read_all(own.db, &ndb0);
    wal0 = read_all(wal, &nwal0);
    assert_non_null(db0);
    assert_non_null(wal0);
    assert_true(nwal0 > 0);  /* the transactions are still in the -wal */

    assert_int_equal(enl_store_open(&own.st2, own.home, "wrong", 5), ENL_EPASSPHRASE);

    db1 = read_all(own.db, &ndb1);
    wal1 = read_all(wal, &nwal1);
    {
        int db_same = db1 != NULL && ndb1 == ndb0 && memcmp(db0, db1, ndb0) == 0;
        int wal_same = wal1 != NULL && nwal1 == nwal0 && memcmp(wal0, wal1, nwal0) == 0;
        free(db0); free(db1); free(wal0); free(wal1);
        if (!db_same)
            fail_msg("a wrong passphrase changed %s (%zu bytes before, %zu after): the -wal was "
                     "checkpointed into it when the refused connection closed", own.db, ndb0, ndb1);
        if (!wal_same) fail_msg("a wrong passphrase changed or removed the -wal file");
    }

    /* The right passphrase recovers what the child wrote. */
    assert_int_equal(enl_store_open(&own.st2, own.home, PASS, PASS_LEN), ENL_OK);
    {
        uint8_t *pt = NULL;
        size_t len = 0;
        assert_int_equal(enl_store_secret_get(own.st2, "self", &pt, &len), ENL_OK);
        assert_memory_equal(pt, "ana", 3);
        enl_store_free(pt, len);
    }
}

static void test_planted_kdf_costs_are_refused(void **state)
{
    /* Someone who can write the profile folder plants a kdf record asking
     * for more than enlace ever writes (`sensitive`: 4 passes, 1 GiB):
     * every unlock would then spend minutes and gigabytes before it could
     * fail. It is refused before any Argon2id runs. */
    (void)state;
    assert_int_equal(create_in(&own), ENL_OK);
    enl_store_close(own.st);
    own.st = NULL;
    /* 5 passes over 64 MiB */
    db_exec(own.db, "UPDATE meta SET v = CAST(x'01' || x'0000000000000005' || x'0000000004000000' || "
                    "substr(CAST(v AS BLOB), 18) AS BLOB) WHERE k = 'kdf'");
    assert_int_equal(enl_store_open(&own.st2, own.home, PASS, PASS_LEN), ENL_EMALFORMED);
    assert_null(own.st2);
    /* 2 passes over 1 GiB and one more KiB */
    db_exec(own.db, "UPDATE meta SET v = CAST(x'01' || x'0000000000000002' || x'0000000040000400' || "
                    "substr(CAST(v AS BLOB), 18) AS BLOB) WHERE k = 'kdf'");
    assert_int_equal(enl_store_open(&own.st2, own.home, PASS, PASS_LEN), ENL_EMALFORMED);
    assert_null(own.st2);
}

/* ---- encrypted records --------------------------------------------------------- */

static void test_secrets(void **state)
{
    enl_store *st = shared.st;
    uint8_t *pt = NULL, big[5000];
    size_t len = 0;
    (void)state;
    assert_int_equal(enl_store_secret_get(st, "nothing-here", &pt, &len), ENL_ENOTFOUND);
    assert_int_equal(enl_store_secret_put(st, "identity", (const uint8_t *)"one", 3), ENL_OK);
    assert_int_equal(enl_store_secret_get(st, "identity", &pt, &len), ENL_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(pt, "one", 3);
    enl_store_free(pt, len);
    /* Replaced, not added. */
    item_of(big, 1);
    for (size_t i = 32; i < sizeof big; i++) big[i] = (uint8_t)i;
    assert_int_equal(enl_store_secret_put(st, "identity", big, sizeof big), ENL_OK);
    assert_int_equal(enl_store_secret_get(st, "identity", &pt, &len), ENL_OK);
    assert_int_equal(len, sizeof big);
    assert_memory_equal(pt, big, sizeof big);
    enl_store_free(pt, len);
    /* Empty records are records. */
    assert_int_equal(enl_store_secret_put(st, "empty", NULL, 0), ENL_OK);
    assert_int_equal(enl_store_secret_get(st, "empty", &pt, &len), ENL_OK);
    assert_int_equal(len, 0);
    enl_store_free(pt, len);
    /* Slots are separate. */
    assert_int_equal(enl_store_secret_get(st, "identit", &pt, &len), ENL_ENOTFOUND);
}

typedef struct {
    int n;
    int stop_after;
    size_t total;
    int64_t last_seq;
    int ordered;
} each_ctx;

static int each_cb(void *vctx, int64_t seq, const uint8_t *pt, size_t len)
{
    each_ctx *c = vctx;
    (void)pt;
    c->n++;
    c->total += len;
    if (seq <= c->last_seq) c->ordered = 0;
    c->last_seq = seq;
    return c->stop_after && c->n >= c->stop_after ? 1 : 0;
}

static void test_rows(void **state)
{
    enl_store *st = shared.st;
    uint8_t k[3][32], *pt = NULL;
    size_t len = 0;
    each_ctx c;
    (void)state;
    for (int i = 0; i < 3; i++) {
        char v[32];
        item_of(k[i], (uint8_t)(10 + i));
        snprintf(v, sizeof v, "contact %d", i);
        assert_int_equal(enl_store_row_put(st, "contacts", k[i], (const uint8_t *)v, strlen(v)), ENL_OK);
    }
    for (int i = 0; i < 3; i++) {
        char v[32];
        snprintf(v, sizeof v, "contact %d", i);
        assert_int_equal(enl_store_row_get(st, "contacts", k[i], &pt, &len), ENL_OK);
        assert_int_equal(len, strlen(v));
        assert_memory_equal(pt, v, len);
        enl_store_free(pt, len);
    }
    /* Replace one. */
    assert_int_equal(enl_store_row_put(st, "contacts", k[1], (const uint8_t *)"new", 3), ENL_OK);
    assert_int_equal(enl_store_row_get(st, "contacts", k[1], &pt, &len), ENL_OK);
    assert_memory_equal(pt, "new", 3);
    enl_store_free(pt, len);
    /* Rows of one table are not rows of another. */
    assert_int_equal(enl_store_row_get(st, "sessions", k[0], &pt, &len), ENL_ENOTFOUND);
    assert_int_equal(enl_store_row_put(st, "sessions", k[0], (const uint8_t *)"s", 1), ENL_OK);
    assert_int_equal(enl_store_row_get(st, "sessions", k[0], &pt, &len), ENL_OK);
    assert_memory_equal(pt, "s", 1);
    enl_store_free(pt, len);

    memset(&c, 0, sizeof c);
    c.ordered = 1;
    c.last_seq = -1;
    assert_int_equal(enl_store_row_each(st, "contacts", each_cb, &c), ENL_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.total, strlen("contact 0") + 3 + strlen("contact 2"));
    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    assert_int_equal(enl_store_row_each(st, "contacts", each_cb, &c), ENL_OK);
    assert_int_equal(c.n, 2);

    {
        uint8_t missing[32];
        item_of(missing, 99);
        assert_int_equal(enl_store_row_get(st, "contacts", missing, &pt, &len), ENL_ENOTFOUND);
    }
    /* Only the encrypted tables. */
    assert_int_equal(enl_store_row_put(st, "notes", k[0], (const uint8_t *)"x", 1), ENL_EINVAL);
    assert_int_equal(enl_store_row_put(st, "contacts; DROP TABLE notes", k[0], (const uint8_t *)"x", 1),
                     ENL_EINVAL);
    assert_int_equal(enl_store_row_get(st, "meta", k[0], &pt, &len), ENL_EINVAL);
    assert_int_equal(enl_store_row_each(st, "seen", each_cb, &c), ENL_EINVAL);
    {
        uint64_t n = 0;
        assert_int_equal(enl_store_count(st, "contacts", &n), ENL_OK);
        assert_true(n == 3);
        assert_int_equal(enl_store_count(st, "meta", &n), ENL_EINVAL);
    }
}

static void test_messages(void **state)
{
    enl_store *st = shared.st;
    int64_t seq[3];
    uint8_t *pt = NULL;
    size_t len = 0;
    each_ctx c;
    uint64_t before = 0, after = 0;
    (void)state;
    assert_int_equal(enl_store_count(st, "messages", &before), ENL_OK);
    for (int i = 0; i < 3; i++) {
        char m[32];
        snprintf(m, sizeof m, "message number %d", i);
        assert_int_equal(enl_store_message_add(st, (const uint8_t *)m, strlen(m), &seq[i]), ENL_OK);
        if (i) assert_true(seq[i] > seq[i - 1]);
    }
    assert_int_equal(enl_store_message_add(st, (const uint8_t *)"no seq wanted", 13, NULL), ENL_OK);
    assert_int_equal(enl_store_count(st, "messages", &after), ENL_OK);
    assert_true(after == before + 4);
    assert_int_equal(enl_store_message_get(st, seq[1], &pt, &len), ENL_OK);
    assert_int_equal(len, strlen("message number 1"));
    assert_memory_equal(pt, "message number 1", len);
    enl_store_free(pt, len);

    assert_int_equal(enl_store_message_update(st, seq[1], (const uint8_t *)"read", 4), ENL_OK);
    assert_int_equal(enl_store_message_get(st, seq[1], &pt, &len), ENL_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(pt, "read", 4);
    enl_store_free(pt, len);
    assert_int_equal(enl_store_message_get(st, seq[0], &pt, &len), ENL_OK);
    assert_memory_equal(pt, "message number 0", len);
    enl_store_free(pt, len);

    assert_int_equal(enl_store_message_get(st, seq[2] + 1000, &pt, &len), ENL_ENOTFOUND);
    assert_int_equal(enl_store_message_get(st, -1, &pt, &len), ENL_ENOTFOUND);

    memset(&c, 0, sizeof c);
    c.ordered = 1;
    c.last_seq = -1;
    assert_int_equal(enl_store_row_each(st, "messages", each_cb, &c), ENL_OK);
    assert_true((uint64_t)c.n == after);
    assert_true(c.ordered);
}

/* ---- notes, purges, sets, tags --------------------------------------------------------- */

typedef struct {
    int n;
    uint8_t ids[16][32];
    uint32_t expiry[16];
    uint64_t size[16];
} ids_ctx;

static int id_cb(void *vctx, const uint8_t id[32])
{
    ids_ctx *c = vctx;
    if (c->n < 16) memcpy(c->ids[c->n], id, 32);
    c->n++;
    return 0;
}

static int item_cb(void *vctx, const uint8_t id[32], uint32_t expiry, uint64_t size)
{
    ids_ctx *c = vctx;
    if (c->n < 16) {
        memcpy(c->ids[c->n], id, 32);
        c->expiry[c->n] = expiry;
        c->size[c->n] = size;
    }
    c->n++;
    return 0;
}

static int has_id(const ids_ctx *c, const uint8_t id[32])
{
    for (int i = 0; i < c->n && i < 16; i++)
        if (memcmp(c->ids[i], id, 32) == 0) return i;
    return -1;
}

static void test_notes(void **state)
{
    enl_store *st = shared.st;
    uint8_t id[3][32], lock[32], lock2[32], tag[16], tag2[16], note[300], *got = NULL;
    size_t len = 0;
    uint64_t n = 0, bytes0 = 0, bytes1 = 0;
    uint32_t e = 1;
    ids_ctx c;
    (void)state;
    for (int i = 0; i < 3; i++) item_of(id[i], (uint8_t)(30 + i));
    item_of(lock, 40);
    item_of(lock2, 41);
    memset(tag, 0x7a, sizeof tag);
    memset(tag2, 0x7b, sizeof tag2);
    for (size_t i = 0; i < sizeof note; i++) note[i] = (uint8_t)(i * 7);

    assert_int_equal(enl_store_note_bytes(st, &bytes0), ENL_OK);
    assert_int_equal(enl_store_note_has(st, id[0]), 0);
    assert_int_equal(enl_store_note_get(st, id[0], &got, &len), ENL_ENOTFOUND);
    /* Two notes under one lock (the same note seen two ways), one under another. */
    assert_int_equal(enl_store_note_put(st, id[0], lock, 500000, tag, NULL, note, 300), ENL_OK);
    assert_int_equal(enl_store_note_put(st, id[1], lock, 500001, tag, NULL, note, 256), ENL_OK);
    assert_int_equal(enl_store_note_put(st, id[2], lock2, 500002, tag2, NULL, note, 1), ENL_OK);
    /* Putting the same id again is harmless. */
    assert_int_equal(enl_store_note_put(st, id[0], lock, 500000, tag, NULL, note, 300), ENL_OK);
    for (int i = 0; i < 3; i++) assert_int_equal(enl_store_note_has(st, id[i]), 1);
    assert_int_equal(enl_store_note_bytes(st, &bytes1), ENL_OK);
    assert_true(bytes1 == bytes0 + 300 + 256 + 1);

    assert_int_equal(enl_store_note_get(st, id[0], &got, &len), ENL_OK);
    assert_int_equal(len, 300);
    assert_memory_equal(got, note, 300);
    free(got);

    memset(&c, 0, sizeof c);
    assert_int_equal(enl_store_note_ids(st, id_cb, &c), ENL_OK);
    for (int i = 0; i < 3; i++) assert_true(has_id(&c, id[i]) >= 0);
    for (int i = 1; i < c.n && i < 16; i++) assert_true(memcmp(c.ids[i - 1], c.ids[i], 32) < 0);
    memset(&c, 0, sizeof c);
    assert_int_equal(enl_store_note_items(st, item_cb, &c), ENL_OK);
    {
        int at = has_id(&c, id[1]);
        assert_true(at >= 0);
        assert_int_equal(c.expiry[at], 500001);
        assert_true(c.size[at] == 256);
    }
    memset(&c, 0, sizeof c);
    assert_int_equal(enl_store_notes_by_tag(st, tag, id_cb, &c), ENL_OK);
    assert_int_equal(c.n, 2);
    assert_true(has_id(&c, id[0]) >= 0 && has_id(&c, id[1]) >= 0);

    /* Released by lock: both copies go, the other note stays; the latest
     * expiry of those released is said (a purge lives as long). */
    assert_int_equal(enl_store_note_release(st, lock, &n, &e), ENL_OK);
    assert_true(n == 2);
    assert_int_equal(e, 500001);
    assert_int_equal(enl_store_note_has(st, id[0]), 0);
    assert_int_equal(enl_store_note_has(st, id[1]), 0);
    assert_int_equal(enl_store_note_has(st, id[2]), 1);
    assert_int_equal(enl_store_note_release(st, lock, &n, &e), ENL_OK);
    assert_true(n == 0);
    assert_int_equal(e, 0);
    assert_int_equal(enl_store_note_release(st, lock2, NULL, NULL), ENL_OK);
    assert_int_equal(enl_store_note_has(st, id[2]), 0);
    assert_int_equal(enl_store_note_bytes(st, &bytes1), ENL_OK);
    assert_true(bytes1 == bytes0);
}

/* The bytes held per source follow every way a note leaves (release by
 * lock, expiry, eviction); my own notes (no source) are in no source;
 * eviction takes the note of a source that expires first. */
static void test_sources(void **state)
{
    enl_store *st = shared.st;
    uint8_t id[7][32], lock[7][32], tag[16] = { 0 }, note[1000], a[ENL_STORE_SOURCEBYTES],
        a2[ENL_STORE_SOURCEBYTES], b[ENL_STORE_SOURCEBYTES], top[ENL_STORE_SOURCEBYTES],
        mine_x[ENL_STORE_SOURCEBYTES], mine_y[ENL_STORE_SOURCEBYTES];
    uint64_t freed = 0, dropped = 0;
    /* a quota of bytes only (its notes far away): the largest by bytes */
    const enl_store_usage quota = { (uint64_t)1 << 40, 10000 };
    enl_store_usage u;
    static const uint32_t expiry[7] = { 600003, 600001, 600002, 600001, 600009, 600009, 600009 };
    static const size_t size[7] = { 300, 400, 500, 900, 700, 1000, 1000 };
    (void)state;
    enl_store_source(st, a, "folder", (const uint8_t *)"/media/usb", 10);
    enl_store_source(st, a2, "folder", (const uint8_t *)"/media/usb", 10);
    enl_store_source(st, b, "peer", (const uint8_t *)"/media/usb", 10);
    assert_memory_equal(a, a2, sizeof a);
    assert_memory_not_equal(a, b, sizeof a);
    enl_store_own_source(st, mine_x, (const uint8_t *)"x", 1);
    enl_store_own_source(st, mine_y, (const uint8_t *)"y", 1);
    assert_memory_not_equal(mine_x, mine_y, sizeof mine_x);
    memset(note, 0x5c, sizeof note);
    for (int i = 0; i < 7; i++) {
        item_of(id[i], (uint8_t)(60 + i));
        item_of(lock[i], (uint8_t)(70 + i));
    }
    assert_int_equal(enl_store_source_largest(st, &quota, top, &u), ENL_ENOTFOUND);
    /* a: notes 0, 1, 2; b: note 3; note 4 is mine (to no one), 5 and 6 mine
     * to x: the most bytes of all, but never the largest to push out */
    for (int i = 0; i < 7; i++)
        assert_int_equal(enl_store_note_put(st, id[i], lock[i], expiry[i], tag,
                                            i < 3 ? a : i == 3 ? b : i == 4 ? NULL : mine_x, note,
                                            size[i]),
                         ENL_OK);
    assert_int_equal(enl_store_source_usage(st, mine_x, &u), ENL_OK);
    assert_true(u.bytes == 2000 && u.notes == 2);
    assert_int_equal(enl_store_source_evict(st, mine_x, &freed), ENL_EINVAL);
    assert_int_equal(enl_store_note_put(st, id[0], lock[0], expiry[0], tag, a, note, size[0]), ENL_OK);
    assert_int_equal(enl_store_source_usage(st, a, &u), ENL_OK);
    assert_true(u.bytes == 1200);
    assert_int_equal(enl_store_source_usage(st, b, &u), ENL_OK);
    assert_true(u.bytes == 900);
    assert_int_equal(enl_store_source_largest(st, &quota, top, &u), ENL_OK);
    assert_memory_equal(top, a, sizeof a);
    /* my own note has a source like the others on disk: none is NULL */
    {
        sqlite3 *h;
        sqlite3_stmt *q;
        assert_int_equal(sqlite3_open_v2(shared.db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*), count(DISTINCT source), "
                                               "sum(source IS NULL OR length(source) != 16) FROM notes",
                                            -1, &q, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(q), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(q, 0), 7);
        assert_int_equal(sqlite3_column_int(q, 1), 4);
        assert_int_equal(sqlite3_column_int(q, 2), 0);
        sqlite3_finalize(q);
        sqlite3_close(h);
    }

    /* eviction: a's note that expires first (1), then b's only note */
    assert_int_equal(enl_store_source_evict(st, a, &freed), ENL_OK);
    assert_true(freed == 400);
    assert_int_equal(enl_store_note_has(st, id[1]), 0);
    assert_int_equal(enl_store_source_usage(st, a, &u), ENL_OK);
    assert_true(u.bytes == 800);
    assert_int_equal(enl_store_source_largest(st, &quota, top, &u), ENL_OK);
    assert_memory_equal(top, b, sizeof b);
    assert_int_equal(enl_store_source_evict(st, b, &freed), ENL_OK);
    assert_int_equal(enl_store_source_evict(st, b, &freed), ENL_ENOTFOUND);
    assert_int_equal(enl_store_source_usage(st, b, &u), ENL_OK);
    assert_true(u.bytes == 0);

    /* released by a purge, then expired: a is gone, my note stays */
    assert_int_equal(enl_store_note_release(st, lock[0], NULL, NULL), ENL_OK);
    assert_int_equal(enl_store_source_usage(st, a, &u), ENL_OK);
    assert_true(u.bytes == 500);
    assert_int_equal(enl_store_expire(st, 600002, &dropped), ENL_OK);
    assert_int_equal(enl_store_source_usage(st, a, &u), ENL_OK);
    assert_true(u.bytes == 0);
    assert_int_equal(enl_store_source_largest(st, &quota, top, &u), ENL_ENOTFOUND);
    assert_int_equal(enl_store_source_evict(st, a, &freed), ENL_ENOTFOUND);
    for (int i = 4; i < 7; i++) {
        assert_int_equal(enl_store_note_has(st, id[i]), 1);
        assert_int_equal(enl_store_note_release(st, lock[i], NULL, NULL), ENL_OK);
    }
}

static void test_purges(void **state)
{
    enl_store *st = shared.st;
    uint8_t lock[32], key[32], k2[32];
    uint32_t exp = 0;
    ids_ctx c;
    (void)state;
    item_of(lock, 50);
    item_of(key, 51);
    assert_int_equal(enl_store_purge_has(st, lock), 0);
    assert_int_equal(enl_store_purge_get(st, lock, k2, &exp), ENL_ENOTFOUND);
    assert_int_equal(enl_store_purge_put(st, lock, key, 600000), ENL_OK);
    assert_int_equal(enl_store_purge_put(st, lock, key, 600000), ENL_OK);
    assert_int_equal(enl_store_purge_has(st, lock), 1);
    assert_int_equal(enl_store_purge_get(st, lock, k2, &exp), ENL_OK);
    assert_memory_equal(k2, key, 32);
    assert_int_equal(exp, 600000);
    memset(&c, 0, sizeof c);
    assert_int_equal(enl_store_purge_locks(st, id_cb, &c), ENL_OK);
    assert_true(has_id(&c, lock) >= 0);
    memset(&c, 0, sizeof c);
    assert_int_equal(enl_store_purge_items(st, item_cb, &c), ENL_OK);
    {
        int at = has_id(&c, lock);
        assert_true(at >= 0);
        assert_int_equal(c.expiry[at], 600000);
        assert_true(c.size[at] == 37);
    }
}

static void test_sets(void **state)
{
    enl_store *st = shared.st;
    uint8_t a[32], b[32];
    (void)state;
    item_of(a, 60);
    item_of(b, 61);
    assert_int_equal(enl_store_set_has(st, "seen", a), 0);
    assert_int_equal(enl_store_set_add(st, "seen", a, 700000), ENL_OK);
    assert_int_equal(enl_store_set_add(st, "seen", a, 700000), ENL_OK);
    assert_int_equal(enl_store_set_has(st, "seen", a), 1);
    assert_int_equal(enl_store_set_has(st, "seen", b), 0);
    assert_int_equal(enl_store_set_has(st, "outbox", a), 0);   /* sets are separate */
    assert_int_equal(enl_store_set_add(st, "outbox", b, 700000), ENL_OK);
    assert_int_equal(enl_store_set_has(st, "outbox", b), 1);
    assert_int_equal(enl_store_set_has(st, "seen", b), 0);
    assert_int_equal(enl_store_set_del(st, "seen", a), ENL_OK);
    assert_int_equal(enl_store_set_has(st, "seen", a), 0);
    assert_int_equal(enl_store_set_del(st, "seen", a), ENL_OK);  /* absent: fine */
    assert_int_equal(enl_store_set_has(st, "outbox", b), 1);
    assert_int_equal(enl_store_set_del(st, "outbox", b), ENL_OK);
    /* Only the two sets, never an arbitrary table name. */
    assert_int_equal(enl_store_set_add(st, "notes", a, 1), ENL_EINVAL);
    assert_int_equal(enl_store_set_add(st, "seen(h) VALUES(1,2);--", a, 1), ENL_EINVAL);
    assert_int_equal(enl_store_set_has(st, "purges", a), ENL_EINVAL);
    assert_int_equal(enl_store_set_del(st, "", a), ENL_EINVAL);
}

static void test_tags(void **state)
{
    enl_store *st = shared.st;
    uint8_t s1[32], s2[32], got[32], t[4][16];
    (void)state;
    item_of(s1, 70);
    item_of(s2, 71);
    for (int i = 0; i < 4; i++) memset(t[i], 0xa0 + i, 16);
    assert_int_equal(enl_store_tag_lookup(st, t[0], got), ENL_ENOTFOUND);
    assert_int_equal(enl_store_tags_replace(st, s1, (const uint8_t (*)[16])t, 3), ENL_OK);
    assert_int_equal(enl_store_tags_replace(st, s2, (const uint8_t (*)[16])&t[3], 1), ENL_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(enl_store_tag_lookup(st, t[i], got), ENL_OK);
        assert_memory_equal(got, s1, 32);
    }
    assert_int_equal(enl_store_tag_lookup(st, t[3], got), ENL_OK);
    assert_memory_equal(got, s2, 32);
    /* Replacing s1's tags removes the old ones and leaves s2's alone. */
    assert_int_equal(enl_store_tags_replace(st, s1, (const uint8_t (*)[16])&t[2], 1), ENL_OK);
    assert_int_equal(enl_store_tag_lookup(st, t[0], got), ENL_ENOTFOUND);
    assert_int_equal(enl_store_tag_lookup(st, t[1], got), ENL_ENOTFOUND);
    assert_int_equal(enl_store_tag_lookup(st, t[2], got), ENL_OK);
    assert_memory_equal(got, s1, 32);
    assert_int_equal(enl_store_tag_lookup(st, t[3], got), ENL_OK);
    assert_memory_equal(got, s2, 32);
    assert_int_equal(enl_store_tags_replace(st, s1, NULL, 0), ENL_OK);
    assert_int_equal(enl_store_tag_lookup(st, t[2], got), ENL_ENOTFOUND);
}

/* Exactly these of t[0..n) are s's tags in st, the rest nobody's. */
static void assert_tags(enl_store *st, const uint8_t s[32], uint8_t t[][16], size_t n,
                        const char *which)
{
    uint8_t got[32];
    for (size_t i = 0; i < n; i++) {
        if (strchr(which, (char)('a' + i)) != NULL) {
            assert_int_equal(enl_store_tag_lookup(st, t[i], got), ENL_OK);
            assert_memory_equal(got, s, 32);
        } else {
            assert_int_equal(enl_store_tag_lookup(st, t[i], got), ENL_ENOTFOUND);
        }
    }
}

/* The store remembers the tags it wrote for a session, to write only what
 * changes: what a rollback undid, or another connection wrote, must not be
 * taken for what the table holds. */
static void test_tags_after_rollback_and_other_writers(void **state)
{
    uint8_t s1[32], t[8][16];
    (void)state;
    item_of(s1, 72);
    for (int i = 0; i < 8; i++) memset(t[i], 0xb0 + i, 16);
    assert_int_equal(create_in(&own), ENL_OK);
    assert_int_equal(enl_store_open(&own.st2, own.home, PASS, PASS_LEN), ENL_OK);

    assert_int_equal(enl_store_begin(own.st), ENL_OK);
    assert_int_equal(enl_store_tags_replace(own.st, s1, (const uint8_t (*)[16])t, 2), ENL_OK);
    assert_int_equal(enl_store_commit(own.st), ENL_OK);
    assert_tags(own.st, s1, t, 8, "ab");
    /* A replace rolled back is no replace. */
    assert_int_equal(enl_store_begin(own.st), ENL_OK);
    assert_int_equal(enl_store_tags_replace(own.st, s1, (const uint8_t (*)[16])&t[2], 1), ENL_OK);
    enl_store_rollback(own.st);
    assert_tags(own.st, s1, t, 8, "ab");
    assert_int_equal(enl_store_begin(own.st), ENL_OK);
    assert_int_equal(enl_store_tags_replace(own.st, s1, (const uint8_t (*)[16])&t[3], 1), ENL_OK);
    assert_int_equal(enl_store_commit(own.st), ENL_OK);
    assert_tags(own.st, s1, t, 8, "d");
    /* ... nor one rolled back to a savepoint. */
    assert_int_equal(enl_store_begin(own.st), ENL_OK);
    assert_int_equal(enl_store_begin(own.st), ENL_OK);
    assert_int_equal(enl_store_tags_replace(own.st, s1, (const uint8_t (*)[16])&t[4], 1), ENL_OK);
    enl_store_rollback(own.st);
    assert_int_equal(enl_store_tags_replace(own.st, s1, (const uint8_t (*)[16])&t[5], 1), ENL_OK);
    assert_int_equal(enl_store_commit(own.st), ENL_OK);
    assert_tags(own.st, s1, t, 8, "f");
    /* Another connection replaces them: the first must not believe its own. */
    assert_int_equal(enl_store_begin(own.st2), ENL_OK);
    assert_int_equal(enl_store_tags_replace(own.st2, s1, (const uint8_t (*)[16])&t[6], 1), ENL_OK);
    assert_int_equal(enl_store_commit(own.st2), ENL_OK);
    assert_int_equal(enl_store_begin(own.st), ENL_OK);
    assert_int_equal(enl_store_tags_replace(own.st, s1, (const uint8_t (*)[16])&t[7], 1), ENL_OK);
    assert_int_equal(enl_store_commit(own.st), ENL_OK);
    assert_tags(own.st, s1, t, 8, "h");
    assert_tags(own.st2, s1, t, 8, "h");
}

static void test_expire(void **state)
{
    enl_store *st = shared.st;
    uint8_t id[2][32], lock[2][32], key[32], seen[2][32], out[2][32], note[256] = { 0 };
    uint64_t dropped = 99;
    (void)state;
    for (int i = 0; i < 2; i++) {
        item_of(id[i], (uint8_t)(80 + i));
        item_of(lock[i], (uint8_t)(82 + i));
        item_of(seen[i], (uint8_t)(84 + i));
        item_of(out[i], (uint8_t)(86 + i));
    }
    item_of(key, 88);
    /* Rows at expiry 100 and 200 hours. */
    for (int i = 0; i < 2; i++) {
        uint32_t e = 100u * (uint32_t)(i + 1);
        assert_int_equal(enl_store_note_put(st, id[i], lock[i], e, note, NULL, note, sizeof note), ENL_OK);
        assert_int_equal(enl_store_purge_put(st, lock[i], key, e), ENL_OK);
        assert_int_equal(enl_store_set_add(st, "seen", seen[i], e), ENL_OK);
        assert_int_equal(enl_store_set_add(st, "outbox", out[i], e), ENL_OK);
    }
    assert_int_equal(enl_store_expire(st, 99, &dropped), ENL_OK);
    assert_true(dropped == 0);
    assert_int_equal(enl_store_note_has(st, id[0]), 1);
    /* expiry <= now goes: at 100 the first, not the second. */
    assert_int_equal(enl_store_expire(st, 100, &dropped), ENL_OK);
    assert_true(dropped == 1);
    assert_int_equal(enl_store_note_has(st, id[0]), 0);
    assert_int_equal(enl_store_purge_has(st, lock[0]), 0);
    assert_int_equal(enl_store_set_has(st, "seen", seen[0]), 0);
    assert_int_equal(enl_store_set_has(st, "outbox", out[0]), 0);
    assert_int_equal(enl_store_note_has(st, id[1]), 1);
    assert_int_equal(enl_store_purge_has(st, lock[1]), 1);
    assert_int_equal(enl_store_set_has(st, "seen", seen[1]), 1);
    assert_int_equal(enl_store_set_has(st, "outbox", out[1]), 1);
    assert_int_equal(enl_store_expire(st, 200, NULL), ENL_OK);
    assert_int_equal(enl_store_note_has(st, id[1]), 0);
    assert_int_equal(enl_store_purge_has(st, lock[1]), 0);
    assert_int_equal(enl_store_set_has(st, "seen", seen[1]), 0);
    assert_int_equal(enl_store_set_has(st, "outbox", out[1]), 0);
    /* The rows of the other tests (expiry ~500000 hours) are still there. */
    {
        uint8_t plock[32];
        item_of(plock, 50);
        assert_int_equal(enl_store_purge_has(st, plock), 1);
    }
}

static void test_transactions(void **state)
{
    enl_store *st = shared.st;
    uint8_t a[32];
    (void)state;
    item_of(a, 90);
    assert_int_equal(enl_store_begin(st), ENL_OK);
    assert_int_equal(enl_store_set_add(st, "seen", a, 700000), ENL_OK);
    enl_store_rollback(st);
    assert_int_equal(enl_store_set_has(st, "seen", a), 0);
    assert_int_equal(enl_store_begin(st), ENL_OK);
    assert_int_equal(enl_store_set_add(st, "seen", a, 700000), ENL_OK);
    assert_int_equal(enl_store_commit(st), ENL_OK);
    assert_int_equal(enl_store_set_has(st, "seen", a), 1);
}

static void test_nested_transactions(void **state)
{
    enl_store *st = shared.st;
    uint8_t a[32], b[32], c[32];
    (void)state;
    item_of(a, 91);
    item_of(b, 92);
    item_of(c, 93);
    assert_int_equal(enl_store_in_transaction(st), 0);
    assert_int_equal(enl_store_commit(st), ENL_ESTORE);   /* nothing open */
    /* a batch: the outer transaction, and one savepoint per item */
    assert_int_equal(enl_store_begin(st), ENL_OK);
    assert_int_equal(enl_store_set_add(st, "seen", a, 700000), ENL_OK);
    assert_int_equal(enl_store_begin(st), ENL_OK);
    assert_int_equal(enl_store_set_add(st, "seen", b, 700000), ENL_OK);
    enl_store_rollback(st);                     /* only b goes */
    assert_int_equal(enl_store_in_transaction(st), 1);
    assert_int_equal(enl_store_set_has(st, "seen", a), 1);
    assert_int_equal(enl_store_set_has(st, "seen", b), 0);
    assert_int_equal(enl_store_begin(st), ENL_OK);
    assert_int_equal(enl_store_set_add(st, "seen", c, 700000), ENL_OK);
    assert_int_equal(enl_store_commit(st), ENL_OK);     /* c stays, inside the batch */
    assert_int_equal(enl_store_commit(st), ENL_OK);     /* the batch reaches the disk */
    assert_int_equal(enl_store_in_transaction(st), 0);
    assert_int_equal(enl_store_set_has(st, "seen", a), 1);
    assert_int_equal(enl_store_set_has(st, "seen", b), 0);
    assert_int_equal(enl_store_set_has(st, "seen", c), 1);
    /* a batch rolled back takes its committed items with it */
    item_of(a, 94);
    assert_int_equal(enl_store_begin(st), ENL_OK);
    assert_int_equal(enl_store_begin(st), ENL_OK);
    assert_int_equal(enl_store_set_add(st, "seen", a, 700000), ENL_OK);
    assert_int_equal(enl_store_commit(st), ENL_OK);
    enl_store_rollback(st);
    assert_int_equal(enl_store_set_has(st, "seen", a), 0);
    assert_int_equal(enl_store_in_transaction(st), 0);
}

/* ---- what reaches the disk ------------------------------------------------------------ */

static void check_folder_clean(const char *home, const uint8_t seen_item[32], const uint8_t tag[16])
{
    int files = 0;
    const char *where;
    if ((where = find_in_dir(home, MARKER, MARKER_LEN, &files)) != NULL)
        fail_msg("the plaintext marker is in %s", where);
    assert_true(files >= 1);
    if ((where = find_in_dir(home, SLOT_NAME, strlen(SLOT_NAME), &files)) != NULL)
        fail_msg("a secret slot's name is in %s", where);
    if ((where = find_in_dir(home, seen_item, 32, &files)) != NULL)
        fail_msg("a member of \"seen\" is stored as itself in %s", where);
    if ((where = find_in_dir(home, tag, 16, &files)) != NULL)
        fail_msg("a recognition tag is stored as itself in %s", where);
}

static void test_no_plaintext_on_disk(void **state)
{
    uint8_t rec[200], seen_item[32], out_item[32], key[32], tag[16], s1[32];
    int64_t seq = 0;
    int files = 0;
    char path[256];
    (void)state;
    assert_int_equal(create_in(&own), ENL_OK);

    /* The marker inside every kind of encrypted record. */
    memset(rec, 'r', sizeof rec);
    memcpy(rec + 50, MARKER, MARKER_LEN);
    item_of(key, 1);
    item_of(seen_item, 2);
    item_of(out_item, 3);
    item_of(s1, 4);
    memset(tag, 0x5e, sizeof tag);
    assert_int_equal(enl_store_secret_put(own.st, SLOT_NAME, rec, sizeof rec), ENL_OK);
    assert_int_equal(enl_store_secret_put(own.st, "self", (const uint8_t *)MARKER, MARKER_LEN), ENL_OK);
    assert_int_equal(enl_store_row_put(own.st, "contacts", key, rec, sizeof rec), ENL_OK);
    assert_int_equal(enl_store_row_put(own.st, "sessions", key, rec, sizeof rec), ENL_OK);
    assert_int_equal(enl_store_message_add(own.st, rec, sizeof rec, &seq), ENL_OK);
    assert_int_equal(enl_store_message_add(own.st, (const uint8_t *)MARKER, MARKER_LEN, NULL), ENL_OK);
    assert_int_equal(enl_store_message_update(own.st, seq, rec, 100), ENL_OK);
    assert_int_equal(enl_store_set_add(own.st, "seen", seen_item, 700000), ENL_OK);
    assert_int_equal(enl_store_set_add(own.st, "outbox", out_item, 700000), ENL_OK);
    assert_int_equal(enl_store_tags_replace(own.st, s1, (const uint8_t (*)[16])&tag, 1), ENL_OK);
    /* Overwritten and deleted records must not linger either. */
    assert_int_equal(enl_store_secret_put(own.st, "self", (const uint8_t *)"short", 5), ENL_OK);

    /* While open: the database, the -wal and the -shm. */
    snprintf(path, sizeof path, "%s-wal", own.db);
    assert_int_equal(access(path, F_OK), 0);
    check_folder_clean(own.home, seen_item, tag);
    assert_null(find_in_dir(own.home, out_item, 32, &files));
    assert_true(files >= 2);

    /* After closing (the WAL is checkpointed into the database). */
    enl_store_close(own.st);
    own.st = NULL;
    check_folder_clean(own.home, seen_item, tag);
    assert_null(find_in_dir(own.home, out_item, 32, &files));

    /* ... and the records are all there when opened again. */
    assert_int_equal(enl_store_open(&own.st, own.home, PASS, PASS_LEN), ENL_OK);
    {
        uint8_t *pt = NULL;
        size_t len = 0;
        assert_int_equal(enl_store_secret_get(own.st, SLOT_NAME, &pt, &len), ENL_OK);
        assert_int_equal(len, sizeof rec);
        assert_memory_equal(pt, rec, sizeof rec);
        enl_store_free(pt, len);
        assert_int_equal(enl_store_set_has(own.st, "seen", seen_item), 1);
        assert_int_equal(enl_store_tag_lookup(own.st, tag, s1), ENL_OK);
    }
    check_folder_clean(own.home, seen_item, tag);
}

/* ---- tampering with the database file ----------------------------------------------------- */

static void test_blobs_are_bound_to_their_rows(void **state)
{
    /* docs/PROTOCOL.md section 6: "Every blob is nonce || XChaCha20-Poly1305(
     * plaintext, AD = table || 0x00 || h) ... so a blob cannot be moved to
     * another row." Someone with the disk but not the passphrase swaps rows. */
    uint8_t k1[32], k2[32], *pt = NULL;
    size_t len = 0;
    int64_t m1 = 0, m2 = 0;
    (void)state;
    assert_int_equal(create_in(&own), ENL_OK);
    item_of(k1, 1);
    item_of(k2, 2);
    assert_int_equal(enl_store_row_put(own.st, "contacts", k1, (const uint8_t *)"ana", 3), ENL_OK);
    assert_int_equal(enl_store_row_put(own.st, "contacts", k2, (const uint8_t *)"bea", 3), ENL_OK);
    assert_int_equal(enl_store_secret_put(own.st, "one", (const uint8_t *)"1", 1), ENL_OK);
    assert_int_equal(enl_store_secret_put(own.st, "two", (const uint8_t *)"2", 1), ENL_OK);
    assert_int_equal(enl_store_message_add(own.st, (const uint8_t *)"first", 5, &m1), ENL_OK);
    assert_int_equal(enl_store_message_add(own.st, (const uint8_t *)"second", 6, &m2), ENL_OK);
    enl_store_close(own.st);
    own.st = NULL;

    /* Swap the blobs of the two rows of each table. */
    db_exec(own.db,
            "CREATE TEMP TABLE t AS SELECT h, blob FROM contacts;"
            "UPDATE contacts SET blob = (SELECT blob FROM t WHERE t.h <> contacts.h);"
            "DROP TABLE t;"
            "CREATE TEMP TABLE t AS SELECT h, blob FROM secrets;"
            "UPDATE secrets SET blob = (SELECT blob FROM t WHERE t.h <> secrets.h);"
            "DROP TABLE t;"
            "CREATE TEMP TABLE t AS SELECT seq, blob FROM messages;"
            "UPDATE messages SET blob = (SELECT blob FROM t WHERE t.seq <> messages.seq);"
            "DROP TABLE t;");

    assert_int_equal(enl_store_open(&own.st, own.home, PASS, PASS_LEN), ENL_OK);
    assert_int_not_equal(enl_store_row_get(own.st, "contacts", k1, &pt, &len), ENL_OK);
    assert_int_not_equal(enl_store_secret_get(own.st, "one", &pt, &len), ENL_OK);
    /* A message row must not read back the other message either. */
    {
        int rc = enl_store_message_get(own.st, m1, &pt, &len);
        if (rc == ENL_OK) {
            int moved = len == 6 && memcmp(pt, "second", 6) == 0;
            enl_store_free(pt, len);
            if (moved)
                fail_msg("message %lld reads back message %lld's blob: the AD of a message "
                         "does not bind its seq", (long long)m1, (long long)m2);
        }
    }
}

static void test_tampered_blob_is_refused(void **state)
{
    uint8_t *pt = NULL;
    size_t len = 0;
    (void)state;
    assert_int_equal(create_in(&own), ENL_OK);
    assert_int_equal(enl_store_secret_put(own.st, "identity", (const uint8_t *)"secret key", 10), ENL_OK);
    assert_int_equal(enl_store_message_add(own.st, (const uint8_t *)"hello", 5, NULL), ENL_OK);
    enl_store_close(own.st);
    own.st = NULL;
    /* Flip one bit inside each ciphertext (after the 24-byte nonce). */
    db_flip_byte(own.db, "secrets", 30);
    db_flip_byte(own.db, "messages", 24);
    assert_int_equal(enl_store_open(&own.st, own.home, PASS, PASS_LEN), ENL_OK);
    assert_int_not_equal(enl_store_secret_get(own.st, "identity", &pt, &len), ENL_OK);
    assert_int_not_equal(enl_store_message_get(own.st, 1, &pt, &len), ENL_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_makes_private_files),
        cmocka_unit_test_setup_teardown(test_create_refuses_existing_and_open_missing, own_setup, own_teardown),
        cmocka_unit_test_setup_teardown(test_database_symlinks_are_not_followed, own_setup, own_teardown),
        cmocka_unit_test_setup_teardown(test_reopen_and_wrong_passphrase, own_setup, own_teardown),
        cmocka_unit_test_setup_teardown(test_wrong_passphrase_after_a_crash_changes_nothing, own_setup,
                                        own_teardown),
        cmocka_unit_test_setup_teardown(test_planted_kdf_costs_are_refused, own_setup, own_teardown),
        cmocka_unit_test(test_secrets),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_notes),
        cmocka_unit_test(test_sources),
        cmocka_unit_test(test_purges),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_tags),
        cmocka_unit_test_setup_teardown(test_tags_after_rollback_and_other_writers, own_setup,
                                        own_teardown),
        cmocka_unit_test(test_expire),
        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_nested_transactions),
        cmocka_unit_test_setup_teardown(test_no_plaintext_on_disk, own_setup, own_teardown),
        cmocka_unit_test_setup_teardown(test_blobs_are_bound_to_their_rows, own_setup, own_teardown),
        cmocka_unit_test_setup_teardown(test_tampered_blob_is_refused, own_setup, own_teardown),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
