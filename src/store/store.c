/*
 * SQLite-backed profile store; see store.h for what is kept and how.
 * Every statement is prepared with bound parameters; every blob read back
 * is authenticated before it is used, and its plaintext lives in
 * sodium_malloc'd memory that is wiped when freed.
 */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/bytes.h"
#include "util/padme.h"
#include "util/secmem.h"

#define KEYBYTES 32
#define NONCEBYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define ABYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define SALTBYTES crypto_pwhash_SALTBYTES
#define KDF_ALG_ARGON2ID13 1
#define STMT_CACHE 64
#define TAG_HASHES 1024
#define TAGS_HELD 4

/* One writer at a time among the handles of one process (a listener's
 * sessions, each on its own connection, see enl_store_twin), served in the
 * order they asked: SQLite's busy handler alone sleeps and retries with no
 * order, so one session committing batch after batch could keep another
 * waiting past the busy timeout, and fail it. Other processes still meet
 * the busy handler. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t turn;
    uint64_t next, serving;
    struct timespec released;   /* when the last holder let go */
} write_gate;

/* After one holder lets go, the next waits this long before it takes the
 * write lock: a gap in which another process (the owner's `enlace send`),
 * whose busy handler polls every millisecond, gets its turn too. */
#define GATE_GAP_NS 2000000L

struct enl_store;
static void tag_hashes_free(struct enl_store *st);
static void gate_enter(struct enl_store *st);
static void gate_leave(struct enl_store *st);

struct enl_store {
    sqlite3 *db;
    write_gate *gate;       /* shared with its twins; NULL until the first twin */
    int gate_owner;         /* this handle made the gate (and frees it) */
    int gate_held;
    uint8_t *keys;          /* sodium_malloc: blob key || index key || profile key */
    uint8_t kdfrec[1 + 8 + 8 + crypto_pwhash_SALTBYTES];
    int was_reset;          /* opened with the duress passphrase: emptied */
    char path[4096];        /* of the database file */
    char reset_name[ENL_NAME_MAX + 1];
    char err[256];
    int depth;              /* transactions open: the outer one, then savepoints */
    struct cached_stmt {    /* statements prepared once, reused (see prep) */
        char *sql;
        sqlite3_stmt *s;
        int busy;
    } cache[STMT_CACHE];
    struct tag_hash *tag_hashes;  /* TAG_HASHES recent tag -> row key (see tag_key) */
    struct tags_held {            /* the tag rows of a few sessions (see tags_replace) */
        uint8_t session[32];
        size_t n;                 /* 0: empty slot */
        uint8_t (*h)[32];         /* sorted */
    } held[TAGS_HELD];
    unsigned held_next;
    int64_t data_version;         /* of the last outer transaction begun */
    uint64_t foreign;             /* outer transactions that found another's commit */
    dev_t dev;                    /* the database file this handle opened */
    ino_t ino;
    int waits_left;               /* ms of waiting for locks left, all waits together; -1:
                                   * none but BUSY_TRIES per wait (see may_wait) */
    int overwrite_off;            /* secure_delete could not be turned back on (forget_parts) */
    int legacy_parts;             /* parts sealed with the blob key left: -1 not known, 0 none
                                   * (see legacy_parts_left) */
};

static const char *migrations[] = {
    /* 1: the first schema. */
    "CREATE TABLE meta(k TEXT PRIMARY KEY, v BLOB NOT NULL);"
    "CREATE TABLE secrets(h BLOB PRIMARY KEY, blob BLOB NOT NULL);"
    "CREATE TABLE contacts(h BLOB PRIMARY KEY, blob BLOB NOT NULL);"
    "CREATE TABLE messages(seq INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);"
    "CREATE TABLE notes(id BLOB PRIMARY KEY, lock BLOB NOT NULL, expiry INTEGER NOT NULL,"
    "                   data BLOB NOT NULL);"
    "CREATE INDEX notes_lock ON notes(lock);"
    "CREATE TABLE purges(lock BLOB PRIMARY KEY, key BLOB NOT NULL, expiry INTEGER NOT NULL);"
    "CREATE TABLE seen(h BLOB PRIMARY KEY, expiry INTEGER NOT NULL);"
    "CREATE TABLE outbox(h BLOB PRIMARY KEY, expiry INTEGER NOT NULL);",
    /* 2: Double Ratchet sessions, their recognition tags (keyed hashes),
     * and the tag of each carried note, so that a note that arrived before
     * its session could recognise it is found again later. */
    "CREATE TABLE sessions(h BLOB PRIMARY KEY, blob BLOB NOT NULL);"
    "CREATE TABLE tags(h BLOB PRIMARY KEY, session BLOB NOT NULL);"
    "CREATE INDEX tags_session ON tags(session);"
    "ALTER TABLE notes ADD COLUMN tag BLOB;"
    "CREATE INDEX notes_tag ON notes(tag);",
    /* 3: burn notices carried (public, signed), revocations held for
     * contacts (encrypted). */
    "CREATE TABLE burns(id BLOB PRIMARY KEY, data BLOB NOT NULL, expiry INTEGER NOT NULL);"
    "CREATE TABLE held(h BLOB PRIMARY KEY, blob BLOB NOT NULL);",
    /* 4: cells (their signed statements and my sender key), the sender
     * keys of other members (recognised through the tags table like
     * sessions), introductions and inquiries. */
    "CREATE TABLE cells(h BLOB PRIMARY KEY, blob BLOB NOT NULL);"
    "CREATE TABLE senderkeys(h BLOB PRIMARY KEY, blob BLOB NOT NULL);"
    "CREATE TABLE introductions(h BLOB PRIMARY KEY, blob BLOB NOT NULL);"
    "CREATE TABLE inquiries(h BLOB PRIMARY KEY, blob BLOB NOT NULL);"
    /* the purge keys of my own notes not yet delivered, so that notes to
     * a key that is burned can be purged from every courier */
    "CREATE TABLE outgoing(h BLOB PRIMARY KEY, blob BLOB NOT NULL, expiry INTEGER NOT NULL DEFAULT 0);",
    /* 5: bulletins: the authors followed (their recognition tags go in the
     * tags table, pointing at the follow's row) and the bulletins read,
     * both encrypted. */
    "CREATE TABLE follows(h BLOB PRIMARY KEY, blob BLOB NOT NULL);"
    "CREATE TABLE bulletins(h BLOB PRIMARY KEY, blob BLOB NOT NULL);",
    /* 6: files. A file's record (incoming or outgoing) is an encrypted row
     * of files; each part received is an encrypted row of parts, found by
     * its file's row key and its index (the index is in the clear so that
     * parts stream out in order without decrypting the others). */
    "CREATE TABLE files(h BLOB PRIMARY KEY, blob BLOB NOT NULL);"
    "CREATE TABLE parts(h BLOB PRIMARY KEY, file BLOB NOT NULL, idx INTEGER NOT NULL,"
    "                   expiry INTEGER NOT NULL, blob BLOB NOT NULL);"
    "CREATE INDEX parts_file ON parts(file, idx);",
    /* 7: where each carried note came from, so that one source cannot take
     * a courier's whole quota: a keyed hash of the contact, folder or
     * transport it arrived by (for my own notes, the source of the empty
     * kind: never pushed out), and per source the notes and bytes held,
     * kept by triggers whatever statement adds or deletes a note. */
    "ALTER TABLE notes ADD COLUMN source BLOB;"
    "CREATE INDEX notes_source ON notes(source, expiry) WHERE source IS NOT NULL;"
    "CREATE TABLE sources(source BLOB PRIMARY KEY, notes INTEGER NOT NULL, bytes INTEGER NOT NULL);"
    "CREATE TRIGGER notes_source_in AFTER INSERT ON notes WHEN new.source IS NOT NULL BEGIN"
    "  INSERT INTO sources(source, notes, bytes) VALUES(new.source, 1, length(new.data))"
    "    ON CONFLICT(source) DO UPDATE SET notes = notes + 1, bytes = bytes + excluded.bytes;"
    "END;"
    "CREATE TRIGGER notes_source_out AFTER DELETE ON notes WHEN old.source IS NOT NULL BEGIN"
    "  UPDATE sources SET notes = notes - 1, bytes = bytes - length(old.data)"
    "    WHERE source = old.source;"
    "  DELETE FROM sources WHERE source = old.source AND notes <= 0;"
    "END;",
    /* 8: a row of no bytes marks a log that holds a key slot; rows of
     * zeros, there for a moment, overwrite such a log in place before it is
     * truncated (scrub_log). */
    "CREATE TABLE scrub(b BLOB NOT NULL);",
    /* 9: markers named by a random number (mark_slot_in_log), kept as
     * they are by VACUUM (an INTEGER PRIMARY KEY): a scrub deletes the
     * markers it saw before its restart, and by rowid a marker written
     * after that, once the table had emptied, took a number it saw and was
     * deleted unscrubbed. Not AUTOINCREMENT: its counter would say how many
     * slots were ever written (a duress passphrase set). */
    "CREATE TABLE scrub9(id INTEGER PRIMARY KEY, b BLOB NOT NULL);"
    "INSERT INTO scrub9(id, b) SELECT rowid, b FROM scrub;"
    "DROP TABLE scrub;"
    "ALTER TABLE scrub9 RENAME TO scrub;",
    /* 10: a key of its own for the parts of each file (enl_store_part_put),
     * sealed with the blob key: a file's parts are deleted by deleting its
     * key (overwritten) rather than by overwriting every part. Files whose
     * parts came before keep the blob key (no row here). */
    "CREATE TABLE partkeys(file BLOB PRIMARY KEY, blob BLOB NOT NULL);",
};
_Static_assert(sizeof migrations / sizeof migrations[0] == ENL_STORE_SCHEMA, "one migration per version");

static const char *const enc_tables[] = { "secrets", "contacts", "sessions", "held", "cells",
                                           "senderkeys", "introductions", "inquiries", "outgoing",
                                           "follows", "bulletins", "files" };
#define NENC (sizeof enc_tables / sizeof enc_tables[0])
static const char *const set_tables[] = { "seen", "outbox" };

static void held_clear(enl_store *st);

static int valid_name(const char *t, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t, list[i]) == 0) return 1;
    return 0;
}

static int fail(enl_store *st, int rc, const char *what)
{
    /* SQLite's message only when SQLite failed: else it says "not an error"
     * after a refusal of our own (a passphrase already in use...). */
    int db = st != NULL && st->db != NULL && sqlite3_errcode(st->db) != SQLITE_OK;
    if (st != NULL)
        snprintf(st->err, sizeof st->err, "%s%s%s", what, db ? ": " : "",
                 db ? sqlite3_errmsg(st->db) : "");
    return rc;
}

static void db_path(char *out, size_t max, const char *home)
{
    snprintf(out, max, "%s/%s", home, ENL_STORE_FILE);
}

int enl_store_exists(const char *home)
{
    char path[4096];
    struct stat sb;
    db_path(path, sizeof path, home);
    return stat(path, &sb) == 0;
}

static int exec(enl_store *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK
               ? ENL_OK : fail(st, ENL_ESTORE, "database");
}

/* Every statement of the hot paths is prepared once per connection and
 * reset after each use: parsing SQL cost more than running it. A statement
 * already in use (a callback that re-enters the store) or one beyond the
 * cache is prepared on its own and finalised by done(). */
static int prep(enl_store *st, const char *sql, sqlite3_stmt **out)
{
    struct cached_stmt *free_slot = NULL;
    for (size_t i = 0; i < STMT_CACHE; i++) {
        struct cached_stmt *c = &st->cache[i];
        if (c->sql == NULL) {
            if (free_slot == NULL) free_slot = c;
            continue;
        }
        if (!c->busy && strcmp(c->sql, sql) == 0) {
            c->busy = 1;
            *out = c->s;
            return SQLITE_OK;
        }
    }
    if (free_slot != NULL && (free_slot->sql = strdup(sql)) != NULL) {
        int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &free_slot->s, NULL);
        if (rc != SQLITE_OK) {
            free(free_slot->sql);
            free_slot->sql = NULL;
            *out = NULL;
            return rc;
        }
        free_slot->busy = 1;
        *out = free_slot->s;
        return SQLITE_OK;
    }
    return sqlite3_prepare_v2(st->db, sql, -1, out, NULL);
}

/* Ends a use of a statement from prep: reset (which ends its read of the
 * database) and its bindings dropped, or finalised when it was not cached. */
static void done(enl_store *st, sqlite3_stmt *s)
{
    if (s == NULL) return;
    for (size_t i = 0; i < STMT_CACHE; i++) {
        if (st->cache[i].s == s && st->cache[i].busy) {
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
            st->cache[i].busy = 0;
            return;
        }
    }
    sqlite3_finalize(s);
}

static void cache_clear(enl_store *st)
{
    for (size_t i = 0; i < STMT_CACHE; i++) {
        if (st->cache[i].s != NULL) sqlite3_finalize(st->cache[i].s);
        free(st->cache[i].sql);
        st->cache[i].s = NULL;
        st->cache[i].sql = NULL;
        st->cache[i].busy = 0;
    }
}

/* One statement without results, through the cache. */
static int run(enl_store *st, const char *sql)
{
    sqlite3_stmt *s;
    int ok;
    if (prep(st, sql, &s) != SQLITE_OK) return fail(st, ENL_ESTORE, "database");
    ok = sqlite3_step(s) == SQLITE_DONE;
    done(st, s);
    return ok ? ENL_OK : fail(st, ENL_ESTORE, "database");
}

/* SQLite's own busy handler sleeps longer and longer (to 100 ms) between
 * tries, and so can miss every moment the write lock is free while a
 * listener's sessions take it in turn: this one tries every millisecond,
 * for 10 s at most. */
#define BUSY_TRIES 10000

/* A wipe waits a second at most for everything it waits for (see
 * destroy_files): a `listen` holding the profile must not delay it. */
#define DESTROY_WAIT_TRIES 1000

/* Whether a wait for a lock (SQLite's or the folder's, folder_lock) may
 * try once more, after a millisecond, at its tries-th try: BUSY_TRIES per
 * wait, and no more than a handle's waits_left for all of them. */
static int may_wait(enl_store *st, int tries)
{
    if (tries >= BUSY_TRIES || st->waits_left == 0) return 0;
    if (st->waits_left > 0) st->waits_left--;
    return 1;
}

static int busy_wait(void *ctx, int tries)
{
    struct timespec ms = { 0, 1000000L };
    if (!may_wait(ctx, tries)) return 0;
    nanosleep(&ms, NULL);
    return 1;
}

static int pragmas(enl_store *st)
{
    /* secure_delete overwrites freed content; temp_store keeps SQLite's
     * scratch off the disk; FULL sync keeps a pulled plug from losing a
     * committed transaction. */
    sqlite3_busy_handler(st->db, busy_wait, st);
    /* No checkpoint in the middle of a sync: the log is folded into the
     * main file when the profile closes (and after each listener session),
     * so a crash during a sync leaves the main file whole, and the key
     * slots are read from it without replaying anything. An 8 MiB page
     * cache (SQLite's default is 2) holds a whole batch of full notes (64
     * of 64 KiB, core/batch.h), so a batch does not spill pages to the log
     * before it commits; the pages hold only encrypted rows. No commit ever
     * cuts the log short (journal_size_limit -1): the first commit after a
     * log is begun again would otherwise truncate it, and when another
     * process's commit comes between scrub_log's restart and its zeros,
     * give back a log that held a key slot unwritten over. The log is
     * truncated by enl_store_checkpoint alone. */
    return exec(st, "PRAGMA secure_delete=ON; PRAGMA temp_store=MEMORY; PRAGMA journal_size_limit=-1;"
                    "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=0;"
                    "PRAGMA cache_size=-8192;");
}

static int schema_version(enl_store *st, int *version)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "schema version");
    *version = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
    sqlite3_finalize(s);
    /* Four bytes of the file's header, which nothing authenticates: a
     * negative one (no version ever written) would index the migrations
     * before their first. */
    if (*version < 0) {
        snprintf(st->err, sizeof st->err, "profile schema version %d is damaged", *version);
        return ENL_ESTORE;
    }
    if (*version > ENL_STORE_SCHEMA) {
        snprintf(st->err, sizeof st->err, "profile schema %d is newer than this enlace (%d)",
                 *version, ENL_STORE_SCHEMA);
        return ENL_EVERSION;
    }
    return ENL_OK;
}

static int migrate(enl_store *st)
{
    int version = 0, rc;
    char sql[64];

    if ((rc = schema_version(st, &version)) != ENL_OK || version == ENL_STORE_SCHEMA) return rc;
    if ((rc = exec(st, "BEGIN IMMEDIATE")) != ENL_OK) return rc;
    /* Read again under the write lock: another process opening the same
     * profile may have migrated it since the first reading, and running
     * its migrations a second time fails the open ("table already
     * exists"). */
    if ((rc = schema_version(st, &version)) != ENL_OK) goto bad;
    for (int v = version; v < ENL_STORE_SCHEMA; v++) {
        if ((rc = exec(st, migrations[v])) != ENL_OK) goto bad;
    }
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d", ENL_STORE_SCHEMA);
    if ((rc = exec(st, sql)) != ENL_OK) goto bad;
    return exec(st, "COMMIT");
bad:
    exec(st, "ROLLBACK");
    return rc;
}

/* The database in WAL mode (it is made so; see open_once). */
static int wal_mode(enl_store *st)
{
    sqlite3_stmt *s;
    int wal;
    if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s, NULL) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "database");
    wal = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL &&
          strcmp((const char *)sqlite3_column_text(s, 0), "wal") == 0;
    sqlite3_finalize(s);
    return wal ? ENL_OK : fail(st, ENL_ESTORE, "the profile database could not be put back in "
                                               "WAL mode");
}

/* Triggers and views are SQL the file holds, run by the owner's own
 * statements whenever they touch a table: one planted while the device was
 * locked could copy every session state before it is replaced (every
 * message key the ratchet deleted, kept for whoever later forces the
 * passphrase) or every message row before it is deleted, unseen. A table
 * of enlace's made again without its primary key does the same with no
 * trigger: INSERT OR REPLACE then adds a row beside the one it replaces.
 * So the migrations are run again in memory and the file compared with
 * what they make: the same triggers and views, word for word, and each
 * table they make with the same columns (name, type, NOT NULL, default,
 * key), indexes (unique or not, their columns) and foreign keys, as SQLite
 * itself reads them from the file. Tables are compared by what SQLite
 * reads, not by their text, which ALTER TABLE rewrites (ADD COLUMN, the
 * RENAME of schema 9) and another SQLite version may rewrite otherwise: a
 * profile migrated by one must open with the next. A table of the
 * planter's runs nothing and is let be. */
static int same_value(sqlite3_stmt *a, sqlite3_stmt *b, int i)
{
    const unsigned char *x = sqlite3_column_text(a, i), *y = sqlite3_column_text(b, i);
    if (x == NULL || y == NULL) return x == y;
    return strcmp((const char *)x, (const char *)y) == 0;
}

static int same_rows(sqlite3_stmt *a, sqlite3_stmt *b)
{
    for (;;) {
        int ra = sqlite3_step(a), rb = sqlite3_step(b);
        if (ra != rb || (ra != SQLITE_ROW && ra != SQLITE_DONE)) return 0;
        if (ra == SQLITE_DONE) return 1;
        for (int i = 0; i < sqlite3_column_count(a); i++)
            if (!same_value(a, b, i)) return 0;
    }
}

/* The same rows from the same query on both databases, ?1 bound to name
 * when it is not NULL. */
static int same_answer(sqlite3 *x, sqlite3 *y, const char *sql, const char *name)
{
    sqlite3_stmt *a = NULL, *b = NULL;
    int same = sqlite3_prepare_v2(x, sql, -1, &a, NULL) == SQLITE_OK &&
               sqlite3_prepare_v2(y, sql, -1, &b, NULL) == SQLITE_OK;
    if (same && name != NULL)
        same = sqlite3_bind_text(a, 1, name, -1, SQLITE_STATIC) == SQLITE_OK &&
               sqlite3_bind_text(b, 1, name, -1, SQLITE_STATIC) == SQLITE_OK;
    same = same && same_rows(a, b);
    sqlite3_finalize(a);
    sqlite3_finalize(b);
    return same;
}

static int schema_is_ours(enl_store *st)
{
    static const char code[] = "SELECT type, name, tbl_name, sql FROM sqlite_master "
                               "WHERE type IN ('trigger', 'view') ORDER BY type, name";
    static const char *const shape[] = {
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        "SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1) "
        "ORDER BY cid",
        "SELECT il.name, il.\"unique\", il.origin, il.partial, ii.seqno, ii.cid, ii.name, "
        "ii.\"desc\", ii.coll, ii.key FROM pragma_index_list(?1) AS il, "
        "pragma_index_xinfo(il.name) AS ii ORDER BY il.name, ii.seqno",
        "SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete, \"match\" "
        "FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
    };
    sqlite3 *mem = NULL;
    sqlite3_stmt *t = NULL;
    int same = sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK;
    for (int v = 0; same && v < ENL_STORE_SCHEMA; v++)
        same = sqlite3_exec(mem, migrations[v], NULL, NULL, NULL) == SQLITE_OK;
    same = same && same_answer(mem, st->db, code, NULL) &&
           sqlite3_prepare_v2(mem, "SELECT name FROM sqlite_master WHERE type = 'table' "
                                   "ORDER BY name", -1, &t, NULL) == SQLITE_OK;
    while (same && sqlite3_step(t) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(t, 0);
        for (size_t i = 0; same && i < sizeof shape / sizeof shape[0]; i++)
            same = name != NULL && same_answer(mem, st->db, shape[i], name);
    }
    sqlite3_finalize(t);
    sqlite3_close(mem);
    return same;
}

static void kdf_params(enl_kdf_level level, uint64_t *ops, uint64_t *mem)
{
    switch (level) {
    case ENL_KDF_INTERACTIVE:
        *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE; *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE; break;
    case ENL_KDF_SENSITIVE:
        *ops = crypto_pwhash_OPSLIMIT_SENSITIVE; *mem = crypto_pwhash_MEMLIMIT_SENSITIVE; break;
    default:
        *ops = crypto_pwhash_OPSLIMIT_MODERATE; *mem = crypto_pwhash_MEMLIMIT_MODERATE; break;
    }
}

/* kdf record: alg u8 | ops u64 | mem u64 | salt[16]; also the AD of the wrap. */
#define KDFREC_BYTES (1 + 8 + 8 + SALTBYTES)

static int derive_kek(uint8_t kek[KEYBYTES], const uint8_t rec[KDFREC_BYTES],
                      const char *pass, size_t pass_len)
{
    enl_rd r = enl_rd_init(rec, KDFREC_BYTES);
    uint8_t alg = enl_rd_u8(&r);
    uint64_t ops = enl_rd_u64(&r), mem = enl_rd_u64(&r);
    const uint8_t *salt = enl_rd_ptr(&r, SALTBYTES);

    if (r.err || alg != KDF_ALG_ARGON2ID13) return ENL_EVERSION;
    /* Bound what a planted database can make us spend: never more than
     * enlace writes (`sensitive`), or each unlock could take minutes and
     * gigabytes (a phone would be killed for it) before it fails. */
    if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_SENSITIVE || mem < 8192 ||
        mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
        return ENL_EMALFORMED;
    if (crypto_pwhash(kek, KEYBYTES, pass, pass_len, salt, ops, (size_t)mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
        return ENL_ENOMEM;
    return ENL_OK;
}

/* A slot that exists is changed in place (UPDATE keeps its rowid and its
 * place in the page): replacing the row gave it a new rowid, and the
 * rowids of the meta table then told anyone holding the file that a
 * duress passphrase had been set, or the passphrase changed (review revC). */
static int meta_put(enl_store *st, const char *k, const uint8_t *v, size_t len)
{
    static const char *const sql[2] = { "UPDATE meta SET v = ? WHERE k = ?",
                                         "INSERT INTO meta(v, k) VALUES(?, ?)" };
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *s;
        int ok;
        if (sqlite3_prepare_v2(st->db, sql[i], -1, &s, NULL) != SQLITE_OK)
            return fail(st, ENL_ESTORE, "meta");
        sqlite3_bind_blob(s, 1, v, (int)len, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, k, -1, SQLITE_STATIC);
        ok = sqlite3_step(s) == SQLITE_DONE;
        sqlite3_finalize(s);
        if (!ok) return fail(st, ENL_ESTORE, "meta");
        if (sqlite3_changes(st->db) > 0) return ENL_OK;
    }
    return fail(st, ENL_ESTORE, "meta");
}

static int meta_get(enl_store *st, const char *k, uint8_t *v, size_t len)
{
    sqlite3_stmt *s;
    int rc = ENL_EMALFORMED;
    if (sqlite3_prepare_v2(st->db, "SELECT v FROM meta WHERE k = ?", -1, &s, NULL) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "profile database unreadable");
    sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW && (size_t)sqlite3_column_bytes(s, 0) == len) {
        memcpy(v, sqlite3_column_blob(s, 0), len);
        rc = ENL_OK;
    }
    sqlite3_finalize(s);
    return rc;
}

/* Truncating the log gives its blocks back to the file system as they
 * are: when it held a key slot, the slot stayed on the disk, and a slot
 * replaced by a passphrase change, read there with the old passphrase,
 * still opens the profile key (review revC). So a log that held a slot is
 * folded in and begun again; one transaction of zeros at least as long as
 * the log overwrites it in place from its start (the log starts again at
 * its beginning once all of it is in the main file, and no commit cuts it
 * short: journal_size_limit, pragmas), a second deletes them
 * (secure_delete zeroes their pages), and only then is the log folded in
 * and truncated: what it gives back is zeros and pages that hold no slot.
 *
 * Every write of a slot commits, with it, a marker: a row of no bytes in
 * scrub. Whichever process folds that log in next, this one or any other
 * (a `listen` after a session, at its close), sees the marker and scrubs
 * first (enl_store_checkpoint), and the last connection to close keeps a
 * marked log rather than delete it (enl_store_close). A scrub deletes only
 * the markers it saw before its restart: a slot another process writes
 * after that lands at the start of the new log, before the zeros. Another
 * process reading at that moment keeps the log from beginning again: the
 * scrub fails, the marker stays, and the slot change is refused
 * (write_slots), or the creation fails. */
#define SCRUB_ROW_MAX (16 << 20)
#define SCRUB_FAILED "the log that held a key slot could not be overwritten (is the disk full? " \
                     "it needs as much free space as it takes)"

/* Between a look for a marker and the truncation of the log, another
 * process could commit a slot (a passphrase change at the moment a
 * `listen` ends a session), and the truncation gave it back unscrubbed
 * (review revT). So a lock on the profile folder is held around every
 * write of a slot until its scrub is done, and around every look for a
 * marker until the truncation it allows (enl_store_checkpoint, the last
 * close, undo_unreported_slots, create_db). flock, not fcntl: it belongs to
 * the open file, so two handles of one process exclude each other as two
 * processes do, and closing it never drops SQLite's fcntl locks on the
 * database. On the folder: nothing to create, leave behind or wipe. It is
 * waited for as SQLite's write lock is (busy_wait): every millisecond, for
 * 10 s at most, less for a handle that must not wait (may_wait); -1 when
 * it could not be had. */
static int folder_lock(enl_store *st, const char *db_file)
{
    char dir[4096];
    const char *slash = strrchr(db_file, '/');
    struct timespec ms = { 0, 1000000L };
    int fd;
    if (slash == NULL) snprintf(dir, sizeof dir, ".");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - db_file) + (slash == db_file), db_file);
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    for (int tries = 0; flock(fd, LOCK_EX | LOCK_NB) != 0; tries++) {
        if ((errno != EWOULDBLOCK && errno != EINTR) || !may_wait(st, tries)) {
            close(fd);
            return -1;
        }
        nanosleep(&ms, NULL);
    }
    return fd;
}

static void folder_unlock(int fd)
{
    if (fd >= 0) close(fd);   /* the lock goes with the only descriptor of its open file */
}

/* A mark of work under way that other processes can see (a file being
 * sealed): a shared lock on one byte of the profile folder, through an
 * open file of its own (an OFD lock: it belongs to that open file, so no
 * other descriptor closed in this process drops it, and SQLite's locks,
 * on other files, are never touched). It goes when the descriptor is
 * closed or the process dies, so a crash never leaves one behind, and
 * nothing is written to disk. The byte is far from any other lock (the
 * folder's flock covers no byte range), at an offset taken from mark,
 * which the caller derives under the profile key: the kernel's lock
 * table, which other users can read, shows an offset that means nothing
 * to them. Where the folder takes no such lock, there is no mark, and
 * the work just cannot be seen from outside (-1). */
static void busy_range(struct flock *fl, short type, const uint8_t mark[32])
{
    uint64_t v = ((uint64_t)enl_load_be32(mark) << 32 | enl_load_be32(mark + 4)) &
                 (sizeof(off_t) > 4 ? 0x3fffffffffffffffULL : 0x3fffffffULL);
    memset(fl, 0, sizeof *fl);
    fl->l_type = type;
    fl->l_whence = SEEK_SET;
    fl->l_start = (off_t)(v + 1);
    fl->l_len = 1;
}

static int busy_folder(const enl_store *st)
{
    char dir[4096];
    const char *slash = strrchr(st->path, '/');
    if (slash == NULL) snprintf(dir, sizeof dir, ".");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - st->path) + (slash == st->path), st->path);
    return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int enl_store_busy_mark(enl_store *st, const uint8_t mark[32])
{
#ifdef F_OFD_SETLK
    struct flock fl;
    int fd = busy_folder(st);
    if (fd < 0) return -1;
    busy_range(&fl, F_RDLCK, mark);
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0) return fd;
    close(fd);
#else
    (void)st;
    (void)mark;
#endif
    return -1;
}

void enl_store_busy_unmark(int fd)
{
    if (fd >= 0) close(fd);
}

int enl_store_busy_marked(enl_store *st, const uint8_t mark[32])
{
#ifdef F_OFD_GETLK
    struct flock fl;
    int fd = busy_folder(st), held;
    if (fd < 0) return 0;
    /* would a write lock there wait? only on a mark another open file holds */
    busy_range(&fl, F_WRLCK, mark);
    held = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    close(fd);
    return held;
#else
    (void)st;
    (void)mark;
    return 0;
#endif
}

#define LOCK_BUSY "another enlace process is changing this profile's passphrase or folding its " \
                  "log in: retry"

/* A marker's number is random (never 0, never negative), so that one
 * written later is never one a scrub already saw; rowid names the column
 * in schema 8 too (undo_unreported_slots may run before the migration). */
static int mark_slot_in_log(enl_store *st)
{
    sqlite3_stmt *s;
    uint64_t r;
    int ok;
    do {
        randombytes_buf(&r, sizeof r);
        r &= INT64_MAX;
    } while (r == 0);
    if (sqlite3_prepare_v2(st->db, "INSERT INTO scrub(rowid, b) VALUES(?, x'')", -1, &s, NULL) !=
        SQLITE_OK)
        return fail(st, ENL_ESTORE, "database");
    sqlite3_bind_int64(s, 1, (sqlite3_int64)r);
    ok = sqlite3_step(s) == SQLITE_DONE;
    sqlite3_finalize(s);
    return ok ? ENL_OK : fail(st, ENL_ESTORE, "database");
}

/* The markers there are now, up to max of them (the rest stay, for the
 * next scrub): *n of them in ids. */
#define MARKERS_SEEN 64
static void markers_seen(enl_store *st, sqlite3_int64 *ids, size_t max, size_t *n)
{
    sqlite3_stmt *s;
    *n = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT rowid FROM scrub WHERE length(b) = 0", -1, &s, NULL) !=
        SQLITE_OK)
        return;
    while (*n < max && sqlite3_step(s) == SQLITE_ROW) ids[(*n)++] = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
}

/* Deletes the rows of zeros and the markers in ids, in one transaction. */
static int delete_scrubbed(enl_store *st, const sqlite3_int64 *ids, size_t n)
{
    sqlite3_stmt *s = NULL;
    int rc = exec(st, "BEGIN IMMEDIATE");
    if (rc != ENL_OK) return rc;
    rc = exec(st, "DELETE FROM scrub WHERE length(b) > 0");
    if (rc == ENL_OK && sqlite3_prepare_v2(st->db, "DELETE FROM scrub WHERE rowid = ?", -1, &s,
                                           NULL) != SQLITE_OK)
        rc = fail(st, ENL_ESTORE, "database");
    for (size_t i = 0; rc == ENL_OK && i < n; i++) {
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, ids[i]);
        if (sqlite3_step(s) != SQLITE_DONE) rc = fail(st, ENL_ESTORE, "database");
    }
    sqlite3_finalize(s);
    if (rc == ENL_OK) rc = exec(st, "COMMIT");
    if (rc != ENL_OK) (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* The highest marker's number, 0 when there is none, or when there is no
 * scrub table yet (a profile before schema 8, before its migration). */
static sqlite3_int64 last_marker(enl_store *st)
{
    sqlite3_stmt *s;
    sqlite3_int64 m = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT max(rowid) FROM scrub WHERE length(b) = 0", -1, &s,
                           NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(s) == SQLITE_ROW) m = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return m;
}

static int has_scrub_table(enl_store *st)
{
    sqlite3_stmt *s;
    int has = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                           "name = 'scrub'", -1, &s, NULL) != SQLITE_OK)
        return 0;
    has = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return has;
}

/* The last connection to close folds the log in and deletes it, which
 * gives its blocks back as they are: a marked log, one no scrub could
 * overwrite yet, is kept instead (its whole length: journal_size_limit is
 * -1), for the next checkpoint to scrub. */
static void keep_marked_log(enl_store *st)
{
    int keep = 1;
    if (last_marker(st) > 0)
        (void)sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &keep);
}

static int checkpoint_row(void *ctx, int n, char **v, char **names)
{
    int *r = ctx;
    (void)names;
    for (int i = 0; i < 3 && i < n; i++) r[i] = v[i] != NULL ? atoi(v[i]) : -1;
    return 0;
}

static int scrub_log(enl_store *st, const char *db_file)
{
    char wal[sizeof st->path + 8];
    struct stat sb;
    sqlite3_stmt *s = NULL;
    int r[3] = { 1, -1, -1 }, rc;   /* busy, frames in the log, frames folded in */
    sqlite3_int64 marked[MARKERS_SEEN];
    size_t nmarked;
    off_t left;

    markers_seen(st, marked, MARKERS_SEEN, &nmarked);

    /* through sqlite3_exec, as every checkpoint of a slot: the moment a
     * change is in the main file is the one test_slot_crash kills at */
    if (sqlite3_exec(st->db, "PRAGMA wal_checkpoint(RESTART)", checkpoint_row, r, NULL) !=
        SQLITE_OK)   /* not busy: the file could not be written (a full disk...) */
        return fail(st, ENL_ESTORE, "the log that held a key slot could not be folded in");
    if (r[0] != 0 || r[1] != r[2])
        return fail(st, ENL_ESTORE, "another enlace process is using this profile: its log could "
                    "not be folded in (stop it and retry)");
    snprintf(wal, sizeof wal, "%s-wal", db_file);
    if (stat(wal, &sb) != 0) return errno == ENOENT ? ENL_OK : fail(st, ENL_ESTORE, "log");
    left = sb.st_size;
    if ((rc = exec(st, "BEGIN IMMEDIATE")) != ENL_OK) return rc;
    if (sqlite3_prepare_v2(st->db, "INSERT INTO scrub(b) VALUES(zeroblob(?))", -1, &s, NULL) !=
        SQLITE_OK)
        rc = fail(st, ENL_ESTORE, SCRUB_FAILED);
    for (; rc == ENL_OK && left > 0; left -= SCRUB_ROW_MAX) {
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, left < SCRUB_ROW_MAX ? (sqlite3_int64)left : SCRUB_ROW_MAX);
        if (sqlite3_step(s) != SQLITE_DONE) rc = fail(st, ENL_ESTORE, SCRUB_FAILED);
    }
    sqlite3_finalize(s);
    if (rc == ENL_OK && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = fail(st, ENL_ESTORE, SCRUB_FAILED);
    if (rc != ENL_OK) {
        (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if ((rc = delete_scrubbed(st, marked, nmarked)) != ENL_OK) return rc;
    /* The slot is overwritten now: a reader that keeps this truncation
     * from happening costs only the log's size until the next one. A
     * marker this scrub did not see (a slot committed after its restart by
     * a writer without the folder lock) keeps the log for the next. */
    if (last_marker(st) == 0) (void)exec(st, "PRAGMA wal_checkpoint(TRUNCATE)");
    return ENL_OK;
}

/* Which file the path names now, for enl_store_still_here. */
static void remember_file(enl_store *st)
{
    struct stat sb;
    if (stat(st->path, &sb) == 0) {
        st->dev = sb.st_dev;
        st->ino = sb.st_ino;
    }
}

static int alloc_store(enl_store **out)
{
    enl_store *st = calloc(1, sizeof *st);
    if (st == NULL) return ENL_ENOMEM;
    st->keys = sodium_malloc(3 * KEYBYTES);
    if (st->keys == NULL) {
        free(st);
        return ENL_ENOMEM;
    }
    st->waits_left = -1;
    st->legacy_parts = -1;
    *out = st;
    return ENL_OK;
}

static void derive_subkeys(enl_store *st, const uint8_t master[KEYBYTES])
{
    sodium_mprotect_readwrite(st->keys);
    crypto_kdf_derive_from_key(st->keys, KEYBYTES, 1, "enl_blob", master);
    crypto_kdf_derive_from_key(st->keys + KEYBYTES, KEYBYTES, 2, "enl_indx", master);
    memcpy(st->keys + 2 * KEYBYTES, master, KEYBYTES);
    sodium_mprotect_readonly(st->keys);
}

/* ---- key slots -------------------------------------------------------
 * Two slots sit in meta, both always present and of fixed size:
 *   wrapped_key:   nonce[24] | XChaCha20-Poly1305(kek, profile key[32])
 *   wrapped_alt:   nonce[24] | XChaCha20-Poly1305(kek', name_len u8 | name[64])
 * where kek = Argon2id(passphrase, salt) and kek' the same for the duress
 * passphrase. Without a duress passphrase wrapped_alt is random bytes of the
 * same size, so nothing on disk says whether one exists. Both share the salt
 * and parameters: one Argon2id per unlock attempt, whichever slot opens. */
#define SLOT1_BYTES (NONCEBYTES + KEYBYTES + ABYTES)
#define ALT_PLAIN   (1 + ENL_NAME_MAX)
#define SLOT2_BYTES (NONCEBYTES + ALT_PLAIN + ABYTES)
static const uint8_t wrap_ad[] = "enlace profile key v1";
static const uint8_t alt_ad[] = "enlace duress v1";

static void slot_seal(uint8_t *slot, const uint8_t *pt, size_t len, const uint8_t *ad_ctx,
                      size_t ctx_len, const uint8_t *rec, const uint8_t kek[KEYBYTES])
{
    uint8_t ad[64];
    memcpy(ad, ad_ctx, ctx_len);
    memcpy(ad + ctx_len, rec, KDFREC_BYTES);
    randombytes_buf(slot, NONCEBYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(slot + NONCEBYTES, NULL, pt, len, ad,
                                               ctx_len + KDFREC_BYTES, NULL, slot, kek);
}

static int slot_open(uint8_t *pt, const uint8_t *slot, size_t slot_len, const uint8_t *ad_ctx,
                     size_t ctx_len, const uint8_t *rec, const uint8_t kek[KEYBYTES])
{
    uint8_t ad[64];
    memcpy(ad, ad_ctx, ctx_len);
    memcpy(ad + ctx_len, rec, KDFREC_BYTES);
    return crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, slot + NONCEBYTES,
                                                      slot_len - NONCEBYTES, ad,
                                                      ctx_len + KDFREC_BYTES, slot, kek) == 0
               ? ENL_OK : ENL_EPASSPHRASE;
}

static int overwrite_file(const char *path);

/* Creates the database file at path, which must not exist: the schema,
 * the kdf record, a new random profile key wrapped under kek, and random
 * bytes in the alternate slot. A new profile, and the one a duress unlock
 * puts in place of the old (built from nothing, so that it is a new file in
 * every byte, not an emptied one). */
static int create_db(const char *path, const uint8_t rec[KDFREC_BYTES], const uint8_t kek[KEYBYTES],
                     enl_store **out)
{
    enl_store *st = NULL;
    uint8_t master[KEYBYTES], wrapped[SLOT1_BYTES], alt[SLOT2_BYTES];
    mode_t old;
    int rc, fd, lock = -1;

    if ((rc = alloc_store(&st)) != ENL_OK) return rc;
    /* The file is made here, O_EXCL: SQLite ignores SQLITE_OPEN_EXCLUSIVE
     * and opens a file that is there, so a profile created meanwhile (a
     * second init during our Argon2id) would get our key slots over its
     * own, and lose everything. Only a file we made is removed below. */
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        enl_store_close(st);
        return errno == EEXIST ? ENL_EEXISTS : ENL_ESTORE;
    }
    close(fd);
    old = umask(077);
    rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                         SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXCLUSIVE, NULL);
    umask(old);
    if (rc != SQLITE_OK) { rc = fail(st, ENL_ESTORE, "cannot create the profile database"); goto out; }
    if ((rc = pragmas(st)) != ENL_OK) goto out;
    if ((rc = exec(st, "PRAGMA journal_mode=WAL")) != ENL_OK) goto out;
    if ((rc = migrate(st)) != ENL_OK) goto out;
    randombytes_buf(master, sizeof master);
    slot_seal(wrapped, master, KEYBYTES, wrap_ad, sizeof wrap_ad, rec, kek);
    randombytes_buf(alt, sizeof alt);
    if ((lock = folder_lock(st, path)) < 0) { rc = fail(st, ENL_ESTORE, LOCK_BUSY); goto out; }
    if ((rc = exec(st, "BEGIN IMMEDIATE")) != ENL_OK) goto out;
    if ((rc = meta_put(st, "kdf", rec, KDFREC_BYTES)) == ENL_OK &&
        (rc = meta_put(st, "wrapped_key", wrapped, sizeof wrapped)) == ENL_OK &&
        (rc = meta_put(st, "wrapped_alt", alt, sizeof alt)) == ENL_OK &&
        (rc = mark_slot_in_log(st)) == ENL_OK)
        rc = exec(st, "COMMIT");
    if (rc != ENL_OK) {
        (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        goto out;
    }
    /* The key slots must be in the main file from the start: unlocking reads
     * them from there alone (see read_slots_untouched). */
    rc = scrub_log(st, path);
    folder_unlock(lock);
    lock = -1;
    if (rc != ENL_OK) goto out;
    memcpy(st->kdfrec, rec, KDFREC_BYTES);
    snprintf(st->path, sizeof st->path, "%s", path);
    remember_file(st);
    derive_subkeys(st, master);
    *out = st;
    st = NULL;
    rc = ENL_OK;
out:
    sodium_memzero(master, sizeof master);
    folder_unlock(lock);
    if (st != NULL) {
        /* The close keeps a marked log (the scrub failed: a full disk), and
         * the -shm with it: both go too, or the folder, no longer empty,
         * refuses every later creation. Overwritten first, as a wipe does:
         * the log, and the file once the log is folded in, hold the slots. */
        static const char *const ext[] = { "", "-wal", "-shm" };
        char p[sizeof st->path + 8];
        enl_store_close(st);
        for (size_t i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s%s", path, ext[i]);
            (void)overwrite_file(p);
            unlink(p);
        }
    }
    return rc;
}

/* 1 when the folder holds nothing but "." and "..". */
static int folder_empty(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int empty = 1;
    if (d == NULL) return 0;
    while (empty && (e = readdir(d)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty;
}

int enl_store_create(enl_store **out, const char *home, const char *pass, size_t pass_len,
                     enl_kdf_level kdf)
{
    char path[4096];
    uint8_t rec[KDFREC_BYTES], kek[KEYBYTES];
    uint64_t ops, mem;
    enl_wr w = enl_wr_init(rec, sizeof rec);
    int rc;

    if (mkdir(home, 0700) != 0) {
        struct stat sb;
        if (errno != EEXIST) return ENL_EIO;
        /* Changed only when it is a folder of nothing else: a file named by
         * mistake keeps its mode, and a shared folder (/tmp, a home) its
         * sticky bit and its other users' access. */
        if (lstat(home, &sb) != 0 || !S_ISDIR(sb.st_mode)) return ENL_EIO;
        if (enl_store_exists(home)) return ENL_EEXISTS;
        if (!folder_empty(home)) return ENL_EIO;
    }
    /* A folder that was already there keeps no looser mode: another user
     * could remove the files or plant an old log beside them. */
    if (chmod(home, 0700) != 0) return ENL_EIO;
    if (enl_store_exists(home)) return ENL_EEXISTS;
    db_path(path, sizeof path, home);
    kdf_params(kdf, &ops, &mem);
    enl_wr_u8(&w, KDF_ALG_ARGON2ID13);
    enl_wr_u64(&w, ops);
    enl_wr_u64(&w, mem);
    randombytes_buf(enl_wr_ptr(&w, SALTBYTES), SALTBYTES);
    if ((rc = derive_kek(kek, rec, pass, pass_len)) == ENL_OK) rc = create_db(path, rec, kek, out);
    sodium_memzero(kek, sizeof kek);
    return rc;
}

/* Percent-encodes a path for a file: URI (every byte but unreserved ones). */
static int uri_path(char *out, size_t max, const char *path)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *q = (const unsigned char *)path; *q; q++) {
        if (o + 4 >= max) return ENL_EINVAL;
        if ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
            *q == '/' || *q == '-' || *q == '_' || *q == '.' || *q == '~') {
            out[o++] = (char)*q;
        } else {
            out[o++] = '%';
            out[o++] = hx[*q >> 4];
            out[o++] = hx[*q & 15];
        }
    }
    out[o] = '\0';
    return ENL_OK;
}

/* Reads the kdf record and both slots without touching any file: an
 * immutable, read-only view of the main database file ignores a WAL left by
 * a crash and writes no -shm. These rows are written at creation (and
 * checkpointed when it closes), and every later change of them is
 * checkpointed at once, so the main file holds them. */
static int read_slots_untouched(const char *path, uint8_t *rec, uint8_t *slot1, uint8_t *slot2)
{
    char uri[8192 + 32];
    enl_store tmp;
    int rc;
    memset(&tmp, 0, sizeof tmp);
    if (uri_path(uri, sizeof uri - 32, path) != ENL_OK) return ENL_EINVAL;
    memmove(uri + 5, uri, strlen(uri) + 1);
    memcpy(uri, "file:", 5);
    strcat(uri, "?immutable=1");
    if (sqlite3_open_v2(uri, &tmp.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW,
                        NULL) != SQLITE_OK) {
        sqlite3_close_v2(tmp.db);
        return ENL_ESTORE;
    }
    rc = meta_get(&tmp, "kdf", rec, KDFREC_BYTES);
    if (rc == ENL_OK) rc = meta_get(&tmp, "wrapped_key", slot1, SLOT1_BYTES);
    if (rc == ENL_OK) rc = meta_get(&tmp, "wrapped_alt", slot2, SLOT2_BYTES);
    sqlite3_close_v2(tmp.db);
    return rc;
}

/* 1 when a database that opened lacks its key slots: no meta table, or not
 * all three rows. Only create_db writes them (in one transaction, after the
 * schema; profiles made before that wrote them one by one), and later
 * writes replace rows, never delete them, so this is a creation cut short
 * (killed, the power gone): nothing can ever have been stored under a key
 * that was never kept. (A slot that is there but damaged is not this.) */
static int no_key_slot(enl_store *st)
{
    sqlite3_stmt *s;
    int none = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                           "name = 'meta'", -1, &s, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(s) == SQLITE_ROW) none = sqlite3_column_int(s, 0) == 0;
    sqlite3_finalize(s);
    if (none) return 1;
    if (sqlite3_prepare_v2(st->db, "SELECT count(*), sum(k = 'wrapped_alt') FROM meta WHERE k IN "
                           "('kdf', 'wrapped_key', 'wrapped_alt')", -1, &s, NULL) != SQLITE_OK)
        return 0;
    /* kdf and wrapped_key without wrapped_alt, and secrets stored: a profile
     * made before the duress slot existed (review revC), not a creation cut
     * short between its slot writes (versions that wrote them one by one;
     * nothing was stored then, review revE): 2 */
    if (sqlite3_step(s) == SQLITE_ROW)
        none = sqlite3_column_int(s, 0) == 2 && sqlite3_column_int(s, 1) == 0 ? 2
               : sqlite3_column_int(s, 0) < 3;
    sqlite3_finalize(s);
    if (none == 2) {
        int held = 0;
        if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM secrets", -1, &s, NULL) == SQLITE_OK) {
            if (sqlite3_step(s) == SQLITE_ROW) held = sqlite3_column_int(s, 0) > 0;
            sqlite3_finalize(s);
        }
        if (!held) none = 1;
    }
    return none;
}

/* The same through an ordinary connection, when the main file alone is not
 * readable: a crash in the middle of a checkpoint leaves it half copied
 * from the log, which only an ordinary open completes. That open changes
 * the files (it finishes what was committed), but reads nothing else. */
static int read_slots_recovered(const char *path, uint8_t *rec, uint8_t *slot1, uint8_t *slot2)
{
    enl_store tmp;
    int rc;
    memset(&tmp, 0, sizeof tmp);
    if (sqlite3_open_v2(path, &tmp.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) !=
        SQLITE_OK) {
        sqlite3_close_v2(tmp.db);
        return ENL_ESTORE;
    }
    sqlite3_busy_timeout(tmp.db, 10000);
    rc = meta_get(&tmp, "kdf", rec, KDFREC_BYTES);
    if (rc == ENL_OK) rc = meta_get(&tmp, "wrapped_key", slot1, SLOT1_BYTES);
    if (rc == ENL_OK) rc = meta_get(&tmp, "wrapped_alt", slot2, SLOT2_BYTES);
    if (rc != ENL_OK) {
        int none = no_key_slot(&tmp);
        if (none) rc = none == 2 ? ENL_EVERSION : ENL_ENOPROFILE;
    }
    keep_marked_log(&tmp);
    sqlite3_close_v2(tmp.db);
    return rc;
}

/* The passphrase opens the profile key (ENL_OK), or the duress slot (1,
 * with the name it holds), or nothing (ENL_EPASSPHRASE). */
static int unlock(uint8_t master[KEYBYTES], uint8_t kek[KEYBYTES], char name[ENL_NAME_MAX + 1],
                  const uint8_t *rec, const uint8_t *slot1, const uint8_t *slot2,
                  const char *pass, size_t pass_len)
{
    uint8_t alt[ALT_PLAIN];
    int rc = derive_kek(kek, rec, pass, pass_len);
    if (rc != ENL_OK) return rc;
    if (slot_open(master, slot1, SLOT1_BYTES, wrap_ad, sizeof wrap_ad, rec, kek) == ENL_OK)
        return ENL_OK;
    rc = slot_open(alt, slot2, SLOT2_BYTES, alt_ad, sizeof alt_ad, rec, kek);
    if (rc == ENL_OK) {
        size_t n = alt[0] <= ENL_NAME_MAX ? alt[0] : 0;
        memcpy(name, alt + 1, n);
        name[n] = '\0';
        rc = 1;
    }
    sodium_memzero(alt, sizeof alt);
    return rc;
}

int enl_store_checkpoint(enl_store *st)
{
    int log = 0, done = 0, rc = ENL_OK, lock = -1;
    if (!enl_store_still_here(st)) return ENL_OK;   /* gone: see enl_store_close */
    /* It waits for the write lock too: in turn with the twins. The folder
     * lock from the look for a marker to the truncation (folder_lock);
     * not inside a transaction, which holds SQLite's write lock (a slot
     * writer holds the folder lock and waits for that one), and in which
     * nothing is truncated anyway. */
    if (st->depth == 0) {
        gate_enter(st);
        if ((lock = folder_lock(st, st->path)) < 0) rc = fail(st, ENL_ESTORE, LOCK_BUSY);
    }
    /* a log that holds a slot, whoever wrote it, is overwritten first, or
     * not truncated at all; what kept it from being overwritten (another
     * process, a full disk) is said as scrub_log said it */
    if (rc == ENL_OK && last_marker(st) > 0)
        rc = st->depth == 0 ? scrub_log(st, st->path)
                            : fail(st, ENL_ESTORE, "the log holds a key slot: it is folded in "
                                   "outside a transaction only");
    /* a marker still there came after the scrub's restart (scrub_log):
     * its log waits for the next checkpoint */
    if (rc == ENL_OK && last_marker(st) == 0 &&
        (sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done) !=
             SQLITE_OK || log != 0))
        rc = fail(st, ENL_ESTORE, "another enlace process is using this profile: its log could "
                  "not be folded in (stop it and retry)");
    if (st->depth == 0) {
        folder_unlock(lock);
        gate_leave(st);
    }
    return rc;
}

/* Commits a marker alone (scrub_log): what the log holds now is
 * overwritten before the next checkpoint truncates it. */
static int mark_log(enl_store *st)
{
    int rc = exec(st, "BEGIN IMMEDIATE");
    if (rc == ENL_OK && (rc = mark_slot_in_log(st)) == ENL_OK) rc = exec(st, "COMMIT");
    if (rc != ENL_OK) (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Overwrites every row and both slots, then folds the log into the file and
 * rebuilds it, so no page, free or in the WAL, keeps anything from before:
 * the log, truncated at each checkpoint (enl_store_checkpoint), is marked
 * before, as a slot write's is, so that it is overwritten in place first
 * (scrub_log). It held, besides the slots, whatever another process had
 * not yet folded in, and the rebuilt file (the kdf record in it). */
static int destroy_contents(enl_store *st)
{
    /* Every table but meta, read from the schema, so that a table added by
     * a later migration can never be left out of the destruction. The
     * markers of scrub stay until a scrub has overwritten their log: when
     * it cannot (another process reads, the disk is full), the close keeps
     * the marked log rather than delete it, and destroy_files overwrites
     * it; emptied with the rest, the log went back to the file system as
     * it was. */
    static const char list[] = "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                               "name NOT IN ('meta', 'sqlite_sequence', 'scrub') ORDER BY name";
    char names[64][64];
    size_t n = 0;
    uint8_t junk[SLOT2_BYTES];
    sqlite3_stmt *s;
    /* A profile from before schema 8 (never opened since, nor migrated: a
     * wipe needs no passphrase) has no table for markers: no checkpoint
     * then, whose truncation would give its log back unscrubbed; the log
     * goes with the files, overwritten. */
    int marks = has_scrub_table(st), rc = exec(st, "BEGIN IMMEDIATE");
    if (rc == ENL_OK && sqlite3_prepare_v2(st->db, list, -1, &s, NULL) != SQLITE_OK)
        rc = fail(st, ENL_ESTORE, "schema");
    if (rc == ENL_OK) {
        while (n < 64 && sqlite3_step(s) == SQLITE_ROW)
            snprintf(names[n++], sizeof names[0], "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    }
    /* The names come from the file, which a planter may have edited: one
     * with a quote in it would end the quoted name and go on as SQL (the
     * whole database copied out with VACUUM INTO, say): %w doubles every
     * quote, so a name is only ever a name. */
    for (size_t i = 0; rc == ENL_OK && i < n; i++) {
        char *sql = sqlite3_mprintf("DELETE FROM \"%w\"", names[i]);
        rc = sql == NULL ? ENL_ENOMEM : exec(st, sql);
        sqlite3_free(sql);
    }
    /* The counters of AUTOINCREMENT tables would say how many messages
     * there were (and that this profile is not new): back to none. */
    if (rc == ENL_OK) rc = exec(st, "DELETE FROM sqlite_sequence");
    if (rc == ENL_OK && marks) rc = exec(st, "DELETE FROM scrub WHERE length(b) > 0");
    randombytes_buf(junk, sizeof junk);
    if (rc == ENL_OK) rc = meta_put(st, "wrapped_key", junk, SLOT1_BYTES);
    randombytes_buf(junk, sizeof junk);
    if (rc == ENL_OK) rc = meta_put(st, "wrapped_alt", junk, SLOT2_BYTES);
    if (rc == ENL_OK && marks) rc = mark_slot_in_log(st);
    if (rc == ENL_OK) rc = exec(st, "COMMIT");
    if (rc != ENL_OK) {
        (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (!marks) return ENL_OK;
    if ((rc = enl_store_checkpoint(st)) != ENL_OK) return rc;
    /* VACUUM cannot share a transaction: its marker comes right after */
    if ((rc = exec(st, "VACUUM")) != ENL_OK || (rc = mark_log(st)) != ENL_OK) return rc;
    return enl_store_checkpoint(st);
}

/* Overwrites every byte of a file with random ones and syncs it. ENL_OK
 * when it is not there. */
static int overwrite_file(const char *path)
{
    uint8_t buf[1 << 16];
    struct stat sb;
    off_t done = 0;
    int rc = ENL_OK, fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return errno == ENOENT ? ENL_OK : ENL_EIO;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return ENL_EIO;
    }
    while (rc == ENL_OK && done < sb.st_size) {
        size_t n = sb.st_size - done < (off_t)sizeof buf ? (size_t)(sb.st_size - done) : sizeof buf;
        ssize_t w;
        randombytes_buf(buf, n);
        w = pwrite(fd, buf, n, done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) rc = ENL_EIO;
        else done += w;
    }
    if (fsync(fd) != 0) rc = ENL_EIO;
    close(fd);
    return rc;
}

/* Destroys the database at path and its log files, and removes them: first
 * the orderly way (destroy_contents: rows and slots overwritten through
 * SQLite, the log overwritten and folded in, the file rebuilt), on a handle
 * opened as enl_store_open's are, with the path its checkpoints and the
 * folder lock need, but no key. That way needs the write lock (a `listen`
 * in the middle of a sync holds it), the folder lock (another process holds
 * it while it folds its log in) and a log no one reads, so all its waits
 * together last a second at most (DESTROY_WAIT_TRIES), its close's too, and
 * its failure stops nothing; then, whatever that did, every byte of the
 * files: the key slots are in them, and without the slots no record can be
 * opened. */
static int destroy_files(const char *path)
{
    static const char *const ext[] = { "", "-wal", "-shm" };
    char p[4200];
    enl_store *st = NULL;
    int rc = alloc_store(&st);
    if (rc != ENL_OK) return rc;
    snprintf(st->path, sizeof st->path, "%s", path);
    st->waits_left = DESTROY_WAIT_TRIES;
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) ==
        SQLITE_OK && pragmas(st) == ENL_OK) {
        int keep = 1;
        remember_file(st);
        (void)destroy_contents(st);
        /* whatever the log still holds is overwritten below, never given
         * back by the close (it deletes an unmarked log) */
        (void)sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &keep);
    }
    enl_store_close(st);
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", path, ext[i]);
        if (overwrite_file(p) != ENL_OK) rc = ENL_EIO;
        if (unlink(p) != 0 && errno != ENOENT) rc = ENL_EIO;
    }
    return rc;
}

/* open_once's answer when the file it unlocked changed before it opened
 * it: try again with what is there now. */
#define REPLACED 1

/* A change of a key slot is folded into the file before it is reported
 * (write_slots). One still only in the write-ahead log was cut short (the
 * process was killed): its owner was never told that it worked, and the
 * slots that opened this profile are the main file's. They are put back,
 * so that once the log is folded in the passphrase the owner knows still
 * opens the profile, and a duress passphrase never confirmed does not
 * destroy it.
 *
 * But the slots were read before this open's Argon2id, and meanwhile
 * another process may have folded in a change it then reported (a
 * passphrase change, a duress passphrase), or a duress unlock may have put
 * a new profile at this path (its inode number can be the old one's). So
 * first, holding the write lock (no slot is written, no log folded in
 * meanwhile), the main file's slots are read again: when they are no
 * longer those that opened it, nothing is undone and the open starts over
 * (REPLACED) with the passphrase against what is there now. */
/* 1 when the slots this connection reads (the log included) are s1, s2. */
static int slots_are(enl_store *st, const uint8_t *s1, const uint8_t *s2)
{
    uint8_t d1[SLOT1_BYTES], d2[SLOT2_BYTES];
    int same = meta_get(st, "wrapped_key", d1, sizeof d1) == ENL_OK &&
               meta_get(st, "wrapped_alt", d2, sizeof d2) == ENL_OK &&
               sodium_memcmp(d1, s1, sizeof d1) == 0 && sodium_memcmp(d2, s2, sizeof d2) == 0;
    sodium_memzero(d1, sizeof d1);
    sodium_memzero(d2, sizeof d2);
    return same;
}

static int undo_unreported_slots(enl_store *st, const uint8_t *slot1, const uint8_t *slot2)
{
    uint8_t rec[KDFREC_BYTES], f1[SLOT1_BYTES], f2[SLOT2_BYTES], s1[SLOT1_BYTES], s2[SLOT2_BYTES];
    int rc, undone = 0, lock;
    /* Nothing to put back, the usual case: no write lock taken (another
     * process may hold it for seconds). */
    if (slots_are(st, slot1, slot2)) return ENL_OK;
    if ((lock = folder_lock(st, st->path)) < 0) return fail(st, ENL_ESTORE, LOCK_BUSY);
    if ((rc = exec(st, "BEGIN IMMEDIATE")) != ENL_OK) {
        folder_unlock(lock);
        return rc;
    }
    if (read_slots_untouched(st->path, rec, f1, f2) == ENL_OK &&
        (sodium_memcmp(f1, slot1, sizeof f1) != 0 || sodium_memcmp(f2, slot2, sizeof f2) != 0))
        rc = REPLACED;
    if (rc == ENL_OK) rc = meta_get(st, "wrapped_key", s1, sizeof s1);
    if (rc == ENL_OK && sodium_memcmp(s1, slot1, sizeof s1) != 0) {
        rc = meta_put(st, "wrapped_key", slot1, sizeof s1);
        undone = 1;
    }
    if (rc == ENL_OK) rc = meta_get(st, "wrapped_alt", s2, sizeof s2);
    if (rc == ENL_OK && sodium_memcmp(s2, slot2, sizeof s2) != 0) {
        rc = meta_put(st, "wrapped_alt", slot2, sizeof s2);
        undone = 1;
    }
    /* the log holds the slots cut short and those put back: marked, then
     * overwritten before it is truncated (the migration, which comes
     * first, made the marker's table) */
    if (rc == ENL_OK && undone) rc = mark_slot_in_log(st);
    if (rc == ENL_OK) rc = exec(st, "COMMIT");
    else (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    if (rc == ENL_OK && undone) (void)scrub_log(st, st->path);
    folder_unlock(lock);
    sodium_memzero(f1, sizeof f1);
    sodium_memzero(f2, sizeof f2);
    sodium_memzero(s1, sizeof s1);
    sodium_memzero(s2, sizeof s2);
    return rc;
}

static int open_once(enl_store **out, const char *path, const char *pass, size_t pass_len)
{
    char name[ENL_NAME_MAX + 1] = "";
    enl_store *st = NULL;
    uint8_t rec[KDFREC_BYTES], master[KEYBYTES], kek[KEYBYTES];
    uint8_t slot1[SLOT1_BYTES], slot2[SLOT2_BYTES];
    struct stat before;
    int rc, duress;

    /* The passphrase is checked before the database is opened for real, so
     * a wrong one reads nothing else and changes nothing, not even after a
     * crash left a write-ahead log behind. */
    if (stat(path, &before) != 0) return ENL_ESTORE;
    if (read_slots_untouched(path, rec, slot1, slot2) != ENL_OK &&
        (rc = read_slots_recovered(path, rec, slot1, slot2)) != ENL_OK)
        return rc == ENL_ENOPROFILE || rc == ENL_EVERSION ? rc : ENL_ESTORE;
    duress = unlock(master, kek, name, rec, slot1, slot2, pass, pass_len);
    if (duress < 0) {
        rc = duress;
        goto out;
    }
    if (duress == 1) {
        /* Duress: the profile is destroyed, files and all, before anything
         * opens, and a new one is built from nothing in its place (a new
         * file in every byte, not an emptied one), under the same Argon2id
         * record so that the duress passphrase opens it as it opened the
         * slot, in the same time. */
        if ((rc = destroy_files(path)) != ENL_OK) goto out;
        if ((rc = create_db(path, rec, kek, &st)) != ENL_OK) goto out;
        st->was_reset = 1;
        memcpy(st->reset_name, name, sizeof name);
        *out = st;
        st = NULL;
        goto out;
    }
    if ((rc = alloc_store(&st)) != ENL_OK) goto out;
    memcpy(st->kdfrec, rec, sizeof rec);
    snprintf(st->path, sizeof st->path, "%s", path);
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) !=
        SQLITE_OK) {
        rc = fail(st, ENL_ESTORE, "cannot open the profile database");
        goto out;
    }
    if ((rc = pragmas(st)) != ENL_OK) goto out;
    /* The journal mode is in the file's header, which nothing authenticates:
     * set back to a rollback journal by whoever held the device, it made a
     * passphrase change write the old key slot to a journal that is deleted,
     * not overwritten (scrub_log knows the write-ahead log alone). Before
     * anything is written. */
    if ((rc = wal_mode(st)) != ENL_OK) goto out;
    /* The file whose slots the passphrase opened, and no other: a duress
     * unlock by another process during this one's Argon2id puts a new
     * profile at this path, which must not be written to with this key. */
    remember_file(st);
    if (st->dev != before.st_dev || st->ino != before.st_ino) {
        /* closed as a handle on the file that is gone: its log's name may
         * now be the new profile's (enl_store_close) */
        st->dev = before.st_dev;
        st->ino = before.st_ino;
        rc = REPLACED;
        goto out;
    }
    /* Migrated first: a profile from before schema 8 has no table for the
     * marker and the scrub of slots put back (undo_unreported_slots), and
     * its log, the slot cut short in it, was truncated unscrubbed. */
    if ((rc = migrate(st)) != ENL_OK) goto out;
    if (!schema_is_ours(st)) {
        rc = fail(st, ENL_ESTORE, "the profile database's tables, triggers or views are not "
                  "those enlace made: it was tampered with");
        goto out;
    }
    if ((rc = undo_unreported_slots(st, slot1, slot2)) != ENL_OK) goto out;
    derive_subkeys(st, master);
    *out = st;
    st = NULL;
out:
    sodium_memzero(master, sizeof master);
    sodium_memzero(kek, sizeof kek);
    sodium_memzero(name, sizeof name);
    sodium_memzero(slot1, sizeof slot1);
    sodium_memzero(slot2, sizeof slot2);
    enl_store_close(st);
    return rc;
}

int enl_store_open(enl_store **out, const char *home, const char *pass, size_t pass_len)
{
    char path[4096];
    int rc = REPLACED;

    if (!enl_store_exists(home)) return ENL_ENOPROFILE;
    (void)chmod(home, 0700);   /* as at creation, should someone have loosened it */
    db_path(path, sizeof path, home);
    /* Replaced again and again (a second duress unlock, or a wipe, each
     * time): the passphrase is tried against what is there now, a few
     * times at most. */
    for (int i = 0; i < 3 && rc == REPLACED; i++) rc = open_once(out, path, pass, pass_len);
    return rc == REPLACED ? ENL_ESTORE : rc;
}

int enl_store_still_here(const enl_store *st)
{
    struct stat sb;
    return stat(st->path, &sb) == 0 && sb.st_dev == st->dev && sb.st_ino == st->ino;
}

int enl_store_twin(enl_store *st, enl_store **out)
{
    enl_store *t = NULL;
    int rc;
    if (st->gate == NULL) {
        write_gate *g = calloc(1, sizeof *g);
        if (g == NULL) return ENL_ENOMEM;
        pthread_mutex_init(&g->mu, NULL);
        pthread_cond_init(&g->turn, NULL);
        st->gate = g;
        st->gate_owner = 1;
    }
    if ((rc = alloc_store(&t)) != ENL_OK) return rc;
    t->gate = st->gate;
    memcpy(t->kdfrec, st->kdfrec, sizeof t->kdfrec);
    snprintf(t->path, sizeof t->path, "%s", st->path);
    if (sqlite3_open_v2(t->path, &t->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) !=
        SQLITE_OK) {
        enl_store_close(t);
        return ENL_ESTORE;
    }
    if ((rc = pragmas(t)) != ENL_OK) {
        enl_store_close(t);
        return rc;
    }
    sodium_mprotect_readwrite(t->keys);
    memcpy(t->keys, st->keys, 3 * KEYBYTES);
    sodium_mprotect_readonly(t->keys);
    t->dev = st->dev;
    t->ino = st->ino;
    *out = t;
    return ENL_OK;
}

int enl_store_was_reset(const enl_store *st, char name[ENL_NAME_MAX + 1])
{
    if (!st->was_reset) return 0;
    memcpy(name, st->reset_name, ENL_NAME_MAX + 1);
    return 1;
}

/* Does this passphrase open either slot now? 1: the real one, 2: the
 * duress slot, 0: neither. */
static int opens_a_slot(enl_store *st, const char *pass, size_t len, uint8_t kek[KEYBYTES])
{
    uint8_t slot1[SLOT1_BYTES], slot2[SLOT2_BYTES], m[KEYBYTES];
    char name[ENL_NAME_MAX + 1];
    int rc;
    if (meta_get(st, "wrapped_key", slot1, sizeof slot1) != ENL_OK ||
        meta_get(st, "wrapped_alt", slot2, sizeof slot2) != ENL_OK)
        return ENL_ESTORE;
    rc = unlock(m, kek, name, st->kdfrec, slot1, slot2, pass, len);
    sodium_memzero(m, sizeof m);
    sodium_memzero(name, sizeof name);
    return rc == ENL_EPASSPHRASE ? 0 : rc < 0 ? rc : rc == 1 ? 2 : 1;
}

/* The slots one write sets: NULL leaves that slot as it is. */
typedef struct {
    const uint8_t *key;   /* wrapped_key, SLOT1_BYTES */
    const uint8_t *alt;   /* wrapped_alt, SLOT2_BYTES */
} slot_pair;

/* The slots given and their marker (scrub_log), in one transaction: a
 * change of both is in the log, and then in the file, whole or not at all. */
static int put_marked(enl_store *st, slot_pair w)
{
    int rc = exec(st, "BEGIN IMMEDIATE");
    if (rc != ENL_OK) return rc;
    if (w.key != NULL) rc = meta_put(st, "wrapped_key", w.key, SLOT1_BYTES);
    if (rc == ENL_OK && w.alt != NULL) rc = meta_put(st, "wrapped_alt", w.alt, SLOT2_BYTES);
    if (rc == ENL_OK && (rc = mark_slot_in_log(st)) == ENL_OK) rc = exec(st, "COMMIT");
    if (rc != ENL_OK) (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* 1 when the main file holds the slots of w (those it gives). */
static int file_holds(enl_store *st, slot_pair w)
{
    uint8_t rec[KDFREC_BYTES], s1[SLOT1_BYTES], s2[SLOT2_BYTES];
    int held = read_slots_untouched(st->path, rec, s1, s2) == ENL_OK &&
               (w.key == NULL || sodium_memcmp(s1, w.key, SLOT1_BYTES) == 0) &&
               (w.alt == NULL || sodium_memcmp(s2, w.alt, SLOT2_BYTES) == 0);
    sodium_memzero(s1, sizeof s1);
    sodium_memzero(s2, sizeof s2);
    return held;
}

/* Replaces the slots given and makes sure the main file holds them (an
 * unlock reads the slots from the main file alone). When another process
 * keeps the log from being folded in, the old slots are put back and the
 * change refused. The folder lock is held (write_slots). */
static int write_slots_locked(enl_store *st, slot_pair w)
{
    uint8_t old1[SLOT1_BYTES], old2[SLOT2_BYTES];
    int rc, scrubbed;
    if ((rc = meta_get(st, "wrapped_key", old1, sizeof old1)) != ENL_OK ||
        (rc = meta_get(st, "wrapped_alt", old2, sizeof old2)) != ENL_OK ||
        (rc = put_marked(st, w)) != ENL_OK)
        goto out;
    scrubbed = scrub_log(st, st->path);
    /* Once the scrub's checkpoint has folded the new slots into the main
     * file, the change stands, even when the log could not then be begun
     * again or overwritten (a reader that came after the change, a full
     * disk): its marked log waits for the next checkpoint that can. Put
     * back in the log alone (that reader keeps it from the main file), the
     * old slots made the main file and the log say two passphrases, and
     * which opened the profile depended on whether an open (which puts the
     * main file's back, undo_unreported_slots) or a checkpoint came next. */
    if (file_holds(st, w)) goto out;
    /* Not folded in (another process read from before the change): the
     * old slots go back, all marked in the log, overwritten by whichever
     * process folds it in next; the scrub's reason is kept. */
    {
        char why[sizeof st->err];
        slot_pair back = { w.key != NULL ? old1 : NULL, w.alt != NULL ? old2 : NULL };
        snprintf(why, sizeof why, "%s", scrubbed != ENL_OK ? st->err
                 : "another enlace process is using this profile: stop it and retry");
        (void)put_marked(st, back);
        (void)scrub_log(st, st->path);
        snprintf(st->err, sizeof st->err, "%s", why);
    }
    rc = ENL_ESTORE;
out:
    sodium_memzero(old1, sizeof old1);
    sodium_memzero(old2, sizeof old2);
    return rc;
}

static int write_slots(enl_store *st, slot_pair w)
{
    int lock = folder_lock(st, st->path), rc;
    if (lock < 0) return fail(st, ENL_ESTORE, LOCK_BUSY);
    rc = write_slots_locked(st, w);
    folder_unlock(lock);
    return rc;
}

/* Neither command may answer otherwise, write otherwise, or take longer
 * because a duress passphrase exists or because the new passphrase is it:
 * whoever forced the real passphrase out of the owner could then try
 * guesses at the duress one without typing them at unlock.
 * The one refusal is of the real passphrase, which the caller knows. */
int enl_store_rekey(enl_store *st, const char *pass, size_t len)
{
    uint8_t kek[KEYBYTES], slot1[SLOT1_BYTES], slot2[SLOT2_BYTES], fresh[SLOT2_BYTES];
    int rc = opens_a_slot(st, pass, len, kek);
    if (rc == 1) rc = fail(st, ENL_EEXISTS, "that is already this profile's passphrase");
    if (rc < 0) goto out;
    /* Both slots are written, whichever opened: the alternate one as it
     * is, or, when the new passphrase is the duress one, random bytes (as
     * when none is set). It is the real one now; left in place, that slot
     * would give it away to whoever holds it, and destroy the profile
     * again at the first change to another passphrase. */
    randombytes_buf(fresh, sizeof fresh);
    if (meta_get(st, "wrapped_alt", slot2, sizeof slot2) != ENL_OK) {
        rc = fail(st, ENL_ESTORE, "profile database unreadable");
        goto out;
    }
    if (rc == 2) memcpy(slot2, fresh, sizeof slot2);
    slot_seal(slot1, st->keys + 2 * KEYBYTES, KEYBYTES, wrap_ad, sizeof wrap_ad, st->kdfrec, kek);
    /* Folded into the main file at once; secure_delete overwrites the old rows. */
    rc = write_slots(st, (slot_pair){ slot1, slot2 });
out:
    sodium_memzero(kek, sizeof kek);
    sodium_memzero(slot2, sizeof slot2);
    sodium_memzero(fresh, sizeof fresh);
    return rc;
}

int enl_store_set_duress(enl_store *st, const char *pass, size_t len, const char *name)
{
    uint8_t kek[KEYBYTES], slot2[SLOT2_BYTES], alt[ALT_PLAIN];
    size_t n = strlen(name);
    int rc = opens_a_slot(st, pass, len, kek);
    if (rc == 1) rc = fail(st, ENL_EEXISTS, "the duress passphrase must differ from the real one");
    /* the duress passphrase already: set again, as any other (a new nonce) */
    if (rc < 0) goto out;
    if (n > ENL_NAME_MAX) { rc = ENL_EINVAL; goto out; }
    memset(alt, 0, sizeof alt);
    alt[0] = (uint8_t)n;
    memcpy(alt + 1, name, n);
    slot_seal(slot2, alt, sizeof alt, alt_ad, sizeof alt_ad, st->kdfrec, kek);
    rc = write_slots(st, (slot_pair){ NULL, slot2 });
out:
    sodium_memzero(kek, sizeof kek);
    sodium_memzero(alt, sizeof alt);
    return rc;
}

int enl_store_wipe(const char *home)
{
    char path[4096];
    int rc;
    if (!enl_store_exists(home)) return ENL_ENOPROFILE;
    db_path(path, sizeof path, home);
    rc = destroy_files(path);
    (void)rmdir(home);   /* only when nothing else is in it */
    return rc;
}

void enl_store_close(enl_store *st)
{
    int lock = -1;
    if (st == NULL) return;
    cache_clear(st);
    held_clear(st);
    tag_hashes_free(st);
    if (st->gate_owner) {
        pthread_cond_destroy(&st->gate->turn);
        pthread_mutex_destroy(&st->gate->mu);
        free(st->gate);
    }
    /* The file this handle opened was wiped or replaced (a duress unlock
     * builds a new one at the same path) by another process: SQLite, closing,
     * would remove the log by its name, which may now be the new profile's. */
    if (st->db != NULL && st->path[0] && !enl_store_still_here(st)) {
        int keep = 1;
        (void)sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &keep);
    } else if (st->db != NULL && st->path[0]) {
        /* the look for a marker and the close that may delete the log,
         * with no slot committed between them (folder_lock); without the
         * lock, the log is kept whatever it holds */
        lock = folder_lock(st, st->path);
        if (lock >= 0) {
            keep_marked_log(st);
        } else {
            int keep = 1;
            (void)sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &keep);
        }
    } else if (st->db != NULL) {
        keep_marked_log(st);
    }
    if (st->db != NULL) sqlite3_close_v2(st->db);
    folder_unlock(lock);
    sodium_free(st->keys);
    sodium_memzero(st, sizeof *st);
    free(st);
}

const char *enl_store_errmsg(const enl_store *st)
{
    return st ? st->err : "";
}

/* Transactions nest: the outermost is a real one (BEGIN IMMEDIATE: the
 * write lock at once, so two processes never both read then write), the
 * inner ones are savepoints. A batch of notes taken in one outer
 * transaction costs one sync to disk instead of one per note, while each
 * note still commits or rolls back on its own inside it. */
static void held_clear(enl_store *st)
{
    for (size_t i = 0; i < TAGS_HELD; i++) {
        free(st->held[i].h);
        st->held[i].h = NULL;
        st->held[i].n = 0;
    }
}

/* PRAGMA data_version: changes when another connection commits. */
static int64_t data_version(enl_store *st)
{
    sqlite3_stmt *s;
    int64_t v = -1;
    if (prep(st, "PRAGMA data_version", &s) != SQLITE_OK) return -1;
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    done(st, s);
    return v;
}

static void gate_enter(enl_store *st)
{
    uint64_t mine;
    if (st->gate == NULL || st->gate_held) return;
    pthread_mutex_lock(&st->gate->mu);
    mine = st->gate->next++;
    while (st->gate->serving != mine) pthread_cond_wait(&st->gate->turn, &st->gate->mu);
    {
        struct timespec now, wait = { 0, 0 };
        long gone;
        clock_gettime(CLOCK_MONOTONIC, &now);
        gone = (now.tv_sec - st->gate->released.tv_sec) * 1000000000L +
               (now.tv_nsec - st->gate->released.tv_nsec);
        if (gone >= 0 && gone < GATE_GAP_NS) {
            wait.tv_nsec = GATE_GAP_NS - gone;
            nanosleep(&wait, NULL);
        }
    }
    pthread_mutex_unlock(&st->gate->mu);
    st->gate_held = 1;
}

static void gate_leave(enl_store *st)
{
    if (st->gate == NULL || !st->gate_held) return;
    st->gate_held = 0;
    pthread_mutex_lock(&st->gate->mu);
    clock_gettime(CLOCK_MONOTONIC, &st->gate->released);
    st->gate->serving++;
    pthread_cond_broadcast(&st->gate->turn);
    pthread_mutex_unlock(&st->gate->mu);
}

int enl_store_begin(enl_store *st)
{
    int rc;
    /* No write on a handle that would not overwrite what it deletes. */
    if (st->overwrite_off) {
        if (exec(st, "PRAGMA secure_delete=ON") != ENL_OK)
            return fail(st, ENL_ESTORE, "the store cannot overwrite what it deletes: close the "
                        "profile and open it again");
        st->overwrite_off = 0;
    }
    if (st->depth == 0) gate_enter(st);
    rc = run(st, st->depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT inner");
    if (rc != ENL_OK && st->depth == 0) gate_leave(st);
    if (rc == ENL_OK) st->depth++;
    /* Holding the write lock now: if another process wrote since our last
     * transaction, what we remember of the tags table may be wrong. */
    if (rc == ENL_OK && st->depth == 1) {
        int64_t v = data_version(st);
        if (v < 0 || v != st->data_version) {
            held_clear(st);
            st->legacy_parts = -1;
            st->foreign++;
        }
        st->data_version = v;
    }
    return rc;
}

int enl_store_commit(enl_store *st)
{
    int rc;
    if (st->depth == 0) return fail(st, ENL_ESTORE, "commit without a transaction");
    rc = run(st, st->depth == 1 ? "COMMIT" : "RELEASE inner");
    /* One that cannot commit is rolled back here: callers roll back only
     * what failed before the commit. */
    if (rc != ENL_OK) enl_store_rollback(st);
    else if (--st->depth == 0) gate_leave(st);
    return rc;
}

void enl_store_rollback(enl_store *st)
{
    if (st->depth == 0) return;
    held_clear(st);   /* the tag rows written since may be undone */
    st->legacy_parts = -1;   /* and parts deleted since may come back */
    if (st->depth == 1) (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    else (void)sqlite3_exec(st->db, "ROLLBACK TO inner; RELEASE inner", NULL, NULL, NULL);
    if (--st->depth == 0) gate_leave(st);
}

int enl_store_in_transaction(const enl_store *st) { return st->depth > 0; }

uint64_t enl_store_foreign_commits(const enl_store *st) { return st->foreign; }

int enl_store_threadsafe(void) { return sqlite3_threadsafe() != 0; }

void enl_store_index(const enl_store *st, uint8_t out[32], const char *table,
                     const uint8_t *in, size_t len)
{
    crypto_generichash_state s;
    crypto_generichash_init(&s, st->keys + KEYBYTES, KEYBYTES, 32);
    crypto_generichash_update(&s, (const uint8_t *)table, strlen(table) + 1);
    crypto_generichash_update(&s, in, len);
    crypto_generichash_final(&s, out, 32);
}

/* ---- blobs ----------------------------------------------------------- */

/* Every blob is padded before it is sealed, so that its size on disk says
 * little of what it holds (a message's length, a name's): the plaintext,
 * then 0x80, then zeros, to Padmé(len + 1) and at least PAD_FLOOR bytes. A
 * padded blob is sealed with the row's AD followed by PAD_MARK, so that
 * blobs written before padding (sealed with the AD alone) still open. */
#define PAD_FLOOR 256
#define AD_MAX 64
static const uint8_t PAD_MARK[] = "\0enlace padded v1";

static int seal_blob_with(const uint8_t key[KEYBYTES], uint8_t **blob, size_t *blen,
                          const uint8_t *ad, size_t ad_len, const uint8_t *pt, size_t len)
{
    uint8_t adp[AD_MAX + sizeof PAD_MARK], *b, *padded;
    size_t plen = enl_padme(len + 1 < PAD_FLOOR ? PAD_FLOOR : len + 1);
    if (ad_len > AD_MAX || plen < len + 1) return ENL_EINVAL;
    if ((padded = enl_secmem_alloc(plen)) == NULL) return ENL_ENOMEM;
    if ((b = malloc(NONCEBYTES + plen + ABYTES)) == NULL) {
        enl_secmem_free(padded);
        return ENL_ENOMEM;
    }
    if (len > 0) memcpy(padded, pt, len);   /* pt may be NULL for an empty record */
    padded[len] = 0x80;
    memset(padded + len + 1, 0, plen - len - 1);
    memcpy(adp, ad, ad_len);
    memcpy(adp + ad_len, PAD_MARK, sizeof PAD_MARK);
    randombytes_buf(b, NONCEBYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(b + NONCEBYTES, NULL, padded, plen, adp,
                                               ad_len + sizeof PAD_MARK, NULL, b, key);
    enl_secmem_free(padded);   /* wipes */
    *blob = b;
    *blen = NONCEBYTES + plen + ABYTES;
    return ENL_OK;
}

static int open_blob_with(const uint8_t key[KEYBYTES], uint8_t **pt, size_t *len,
                          const uint8_t *ad, size_t ad_len, const uint8_t *blob, size_t blen)
{
    uint8_t adp[AD_MAX + sizeof PAD_MARK], *p;
    size_t n;
    if (blen < NONCEBYTES + ABYTES || ad_len > AD_MAX) return ENL_EMALFORMED;
    n = blen - NONCEBYTES - ABYTES;
    p = enl_secmem_alloc(n + 1);
    if (p == NULL) return ENL_ENOMEM;
    memcpy(adp, ad, ad_len);
    memcpy(adp + ad_len, PAD_MARK, sizeof PAD_MARK);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(p, NULL, NULL, blob + NONCEBYTES,
                                                   blen - NONCEBYTES, adp, ad_len + sizeof PAD_MARK,
                                                   blob, key) == 0) {
        /* padded: the last 0x80 ends the record; only zeros follow it */
        while (n > 0 && p[n - 1] == 0) n--;
        if (n == 0 || p[n - 1] != 0x80) {
            enl_secmem_free(p);
            return ENL_EMALFORMED;
        }
        n--;
    } else if (crypto_aead_xchacha20poly1305_ietf_decrypt(p, NULL, NULL, blob + NONCEBYTES,
                                                          blen - NONCEBYTES, ad, ad_len, blob,
                                                          key) != 0) {
        enl_secmem_free(p);
        return ENL_EDECRYPT;
    }
    *pt = p;
    *len = n;
    return ENL_OK;
}

/* Every row but the parts of a file is sealed with the blob key. */
static int seal_blob(const enl_store *st, uint8_t **blob, size_t *blen, const uint8_t *ad,
                     size_t ad_len, const uint8_t *pt, size_t len)
{
    return seal_blob_with(st->keys, blob, blen, ad, ad_len, pt, len);
}

static int open_blob(const enl_store *st, uint8_t **pt, size_t *len, const uint8_t *ad,
                     size_t ad_len, const uint8_t *blob, size_t blen)
{
    return open_blob_with(st->keys, pt, len, ad, ad_len, blob, blen);
}

void enl_store_free(uint8_t *pt, size_t len)
{
    (void)len;
    enl_secmem_free(pt);  /* wipes before it frees or caches */
}

/* AD of a message blob: "messages", NUL, seq u64: bound to its row too. */
static size_t msg_ad(uint8_t ad[17], int64_t seq)
{
    memcpy(ad, "messages", 9);
    for (int i = 0; i < 8; i++) ad[9 + i] = (uint8_t)((uint64_t)seq >> (56 - 8 * i));
    return 17;
}

/* AD of an encrypted row: table name, NUL, row key. Binds a blob to its row. */
static size_t row_ad(uint8_t *ad, const char *table, const uint8_t *key, size_t key_len)
{
    size_t n = strlen(table) + 1;
    memcpy(ad, table, n);
    if (key_len) memcpy(ad + n, key, key_len);
    return n + key_len;
}

/* sql: an INSERT of (h, blob), or of (h, blob, expiry) when expiry >= 0. */
static int put_blob_row(enl_store *st, const char *sql, const uint8_t key[32], const char *table,
                        const uint8_t *pt, size_t len, int64_t expiry)
{
    uint8_t ad[64], *blob = NULL;
    size_t blen, adl = row_ad(ad, table, key, 32);
    sqlite3_stmt *s;
    int rc = seal_blob(st, &blob, &blen, ad, adl, pt, len);
    if (rc != ENL_OK) return rc;
    if (prep(st, sql, &s) != SQLITE_OK) {
        free(blob);
        return fail(st, ENL_ESTORE, "write");
    }
    sqlite3_bind_blob(s, 1, key, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, blob, (int)blen, SQLITE_STATIC);
    if (expiry >= 0) sqlite3_bind_int64(s, 3, expiry);
    rc = sqlite3_step(s) == SQLITE_DONE ? ENL_OK : fail(st, ENL_ESTORE, "write");
    done(st, s);
    free(blob);
    return rc;
}

int enl_store_secret_put(enl_store *st, const char *slot, const uint8_t *pt, size_t len)
{
    uint8_t h[32];
    enl_store_index(st, h, "secrets", (const uint8_t *)slot, strlen(slot));
    return put_blob_row(st, "INSERT OR REPLACE INTO secrets(h, blob) VALUES(?, ?)", h, "secrets",
                        pt, len, -1);
}

int enl_store_secret_get(enl_store *st, const char *slot, uint8_t **pt, size_t *len)
{
    uint8_t h[32];
    enl_store_index(st, h, "secrets", (const uint8_t *)slot, strlen(slot));
    return enl_store_row_get(st, "secrets", h, pt, len);
}

int enl_store_row_put(enl_store *st, const char *table, const uint8_t key[32],
                      const uint8_t *pt, size_t len)
{
    char sql[128];
    if (!valid_name(table, enc_tables, NENC)) return ENL_EINVAL;
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO %s(h, blob) VALUES(?, ?)", table);
    return put_blob_row(st, sql, key, table, pt, len, -1);
}

int enl_store_row_put_expiring(enl_store *st, const char *table, const uint8_t key[32],
                               const uint8_t *pt, size_t len, uint32_t expiry_hours)
{
    char sql[128];
    if (!valid_name(table, enc_tables, NENC)) return ENL_EINVAL;
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO %s(h, blob, expiry) VALUES(?, ?, ?)", table);
    return put_blob_row(st, sql, key, table, pt, len, expiry_hours);
}

int enl_store_row_get(enl_store *st, const char *table, const uint8_t key[32],
                      uint8_t **pt, size_t *len)
{
    char sql[128];
    uint8_t ad[64];
    size_t adl;
    sqlite3_stmt *s;
    int rc = ENL_ENOTFOUND;

    if (!valid_name(table, enc_tables, NENC)) return ENL_EINVAL;
    snprintf(sql, sizeof sql, "SELECT blob FROM %s WHERE h = ?", table);
    if (prep(st, sql, &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    sqlite3_bind_blob(s, 1, key, 32, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        adl = row_ad(ad, table, key, 32);
        rc = open_blob(st, pt, len, ad, adl, sqlite3_column_blob(s, 0),
                       (size_t)sqlite3_column_bytes(s, 0));
        if (rc == ENL_EDECRYPT) rc = fail(st, ENL_ESTORE, "a record does not authenticate");
    }
    done(st, s);
    return rc;
}

int enl_store_row_delete(enl_store *st, const char *table, const uint8_t key[32])
{
    char sql[128];
    sqlite3_stmt *s;
    int rc;
    if (!valid_name(table, enc_tables, NENC)) return ENL_EINVAL;
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE h = ?", table);
    if (prep(st, sql, &s) != SQLITE_OK) return fail(st, ENL_ESTORE, "write");
    sqlite3_bind_blob(s, 1, key, 32, SQLITE_STATIC);
    rc = sqlite3_step(s) == SQLITE_DONE ? ENL_OK : fail(st, ENL_ESTORE, "write");
    done(st, s);
    return rc;
}

int enl_store_row_each(enl_store *st, const char *table, enl_store_row_fn fn, void *ctx)
{
    char sql[128];
    uint8_t ad[64];
    sqlite3_stmt *s;
    int rc = ENL_OK, step, is_msg = strcmp(table, "messages") == 0;

    if (!is_msg && !valid_name(table, enc_tables, NENC)) return ENL_EINVAL;
    if (is_msg) snprintf(sql, sizeof sql, "SELECT seq, blob FROM messages ORDER BY seq");
    else snprintf(sql, sizeof sql, "SELECT h, blob FROM %s", table);
    if (prep(st, sql, &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        uint8_t *pt = NULL;
        size_t len = 0, adl;
        int64_t seq = 0;
        if (is_msg) {
            seq = sqlite3_column_int64(s, 0);
            adl = msg_ad(ad, seq);
        } else {
            if (sqlite3_column_bytes(s, 0) != 32) { rc = fail(st, ENL_ESTORE, "bad row"); break; }
            adl = row_ad(ad, table, sqlite3_column_blob(s, 0), 32);
        }
        rc = open_blob(st, &pt, &len, ad, adl, sqlite3_column_blob(s, 1),
                       (size_t)sqlite3_column_bytes(s, 1));
        if (rc != ENL_OK) { rc = fail(st, ENL_ESTORE, "a record does not authenticate"); break; }
        rc = fn(ctx, seq, pt, len);
        enl_store_free(pt, len);
        if (rc != 0) break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) rc = fail(st, ENL_ESTORE, "read");
    done(st, s);
    return rc > 0 ? ENL_OK : rc;
}

/* ---- messages -------------------------------------------------------- */

static int message_write(enl_store *st, int64_t seq, const uint8_t *pt, size_t len)
{
    uint8_t ad[17], *blob = NULL;
    size_t blen, adl = msg_ad(ad, seq);
    sqlite3_stmt *s;
    int rc = seal_blob(st, &blob, &blen, ad, adl, pt, len);
    if (rc != ENL_OK) return rc;
    if (prep(st, "UPDATE messages SET blob = ? WHERE seq = ?", &s) !=
        SQLITE_OK) {
        free(blob);
        return fail(st, ENL_ESTORE, "write");
    }
    sqlite3_bind_blob(s, 1, blob, (int)blen, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, seq);
    rc = sqlite3_step(s) == SQLITE_DONE && sqlite3_changes(st->db) == 1
             ? ENL_OK : fail(st, ENL_ESTORE, "write");
    done(st, s);
    free(blob);
    return rc;
}

/* The row is made first so that its seq can go into the blob's AD. Call
 * inside a transaction, or an interrupted add leaves an empty row (which
 * reading then refuses as not authentic). */
int enl_store_message_add(enl_store *st, const uint8_t *pt, size_t len, int64_t *seq)
{
    int64_t q;
    int rc = exec(st, "INSERT INTO messages(blob) VALUES(x'')");
    if (rc != ENL_OK) return rc;
    q = sqlite3_last_insert_rowid(st->db);
    rc = message_write(st, q, pt, len);
    if (rc == ENL_OK && seq != NULL) *seq = q;
    return rc;
}

int enl_store_message_get(enl_store *st, int64_t seq, uint8_t **pt, size_t *len)
{
    uint8_t ad[17];
    size_t adl = msg_ad(ad, seq);
    sqlite3_stmt *s;
    int rc = ENL_ENOTFOUND;
    if (prep(st, "SELECT blob FROM messages WHERE seq = ?", &s) !=
        SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    sqlite3_bind_int64(s, 1, seq);
    if (sqlite3_step(s) == SQLITE_ROW) {
        rc = open_blob(st, pt, len, ad, adl, sqlite3_column_blob(s, 0),
                       (size_t)sqlite3_column_bytes(s, 0));
        if (rc == ENL_EDECRYPT) rc = fail(st, ENL_ESTORE, "a record does not authenticate");
    }
    done(st, s);
    return rc;
}

int enl_store_message_update(enl_store *st, int64_t seq, const uint8_t *pt, size_t len)
{
    return message_write(st, seq, pt, len);
}

/* secure_delete overwrites the row's bytes in its page. */
int enl_store_message_delete(enl_store *st, int64_t seq)
{
    sqlite3_stmt *s;
    int rc;
    if (prep(st, "DELETE FROM messages WHERE seq = ?", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "write");
    sqlite3_bind_int64(s, 1, seq);
    rc = sqlite3_step(s) == SQLITE_DONE ? ENL_OK : fail(st, ENL_ESTORE, "write");
    done(st, s);
    return rc;
}

/* ---- clear tables: notes and purges ---------------------------------- */

static int has_row(enl_store *st, const char *sql, const uint8_t key[32])
{
    sqlite3_stmt *s;
    int r;
    if (prep(st, sql, &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    sqlite3_bind_blob(s, 1, key, 32, SQLITE_STATIC);
    r = sqlite3_step(s);
    done(st, s);
    if (r == SQLITE_ROW) return 1;
    return r == SQLITE_DONE ? 0 : fail(st, ENL_ESTORE, "read");
}

int enl_store_note_any(enl_store *st)
{
    sqlite3_stmt *s;
    int r;
    if (prep(st, "SELECT 1 FROM notes LIMIT 1", &s) != SQLITE_OK) return fail(st, ENL_ESTORE, "read");
    r = sqlite3_step(s);
    done(st, s);
    if (r == SQLITE_ROW) return 1;
    return r == SQLITE_DONE ? 0 : fail(st, ENL_ESTORE, "read");
}

int enl_store_note_has(enl_store *st, const uint8_t id[32])
{
    return has_row(st, "SELECT 1 FROM notes WHERE id = ?", id);
}

/* My own notes have a source per recipient (a contact, a cell, my
 * bulletins): 8 bytes of index("own source", recipient), then 8 bytes of
 * index("own mark", those 8). On disk it looks like any other source, and
 * groups my notes no more than a recipient's device could (it recognises
 * the notes that are for it anyway); only this profile's key tells that the
 * mark fits, and such a source is never pushed out. */
void enl_store_own_source(const enl_store *st, uint8_t out[ENL_STORE_SOURCEBYTES], const uint8_t *to,
                          size_t len)
{
    uint8_t h[32];
    enl_store_index(st, h, "own source", to, len);
    memcpy(out, h, 8);
    enl_store_index(st, h, "own mark", out, 8);
    memcpy(out + 8, h, 8);
    sodium_memzero(h, sizeof h);
}

static int is_own_source(const enl_store *st, const uint8_t source[ENL_STORE_SOURCEBYTES])
{
    uint8_t h[32];
    int own;
    enl_store_index(st, h, "own mark", source, 8);
    own = sodium_memcmp(h, source + 8, 8) == 0;
    sodium_memzero(h, sizeof h);
    return own;
}

int enl_store_note_put(enl_store *st, const uint8_t id[32], const uint8_t lock[32],
                       uint32_t expiry_hours, const uint8_t tag[16],
                       const uint8_t source[ENL_STORE_SOURCEBYTES], const uint8_t *note, size_t len)
{
    sqlite3_stmt *s;
    uint8_t own[ENL_STORE_SOURCEBYTES];
    int rc;
    if (prep(st, "INSERT OR IGNORE INTO notes(id, lock, expiry, data, tag, source) "
                           "VALUES(?, ?, ?, ?, ?, ?)", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "write");
    sqlite3_bind_blob(s, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, lock, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, expiry_hours);
    sqlite3_bind_blob(s, 4, note, (int)len, SQLITE_STATIC);
    sqlite3_bind_blob(s, 5, tag, 16, SQLITE_STATIC);
    if (source == NULL) {
        enl_store_own_source(st, own, NULL, 0);
        source = own;
    }
    sqlite3_bind_blob(s, 6, source, ENL_STORE_SOURCEBYTES, SQLITE_TRANSIENT);
    rc = sqlite3_step(s) == SQLITE_DONE ? ENL_OK : fail(st, ENL_ESTORE, "write");
    done(st, s);
    return rc;
}

int enl_store_note_get(enl_store *st, const uint8_t id[32], uint8_t **note, size_t *len)
{
    sqlite3_stmt *s;
    int rc = ENL_ENOTFOUND;
    if (prep(st, "SELECT data FROM notes WHERE id = ?", &s) !=
        SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    sqlite3_bind_blob(s, 1, id, 32, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        uint8_t *p = malloc(n ? n : 1);
        if (p == NULL) {
            rc = ENL_ENOMEM;
        } else {
            memcpy(p, sqlite3_column_blob(s, 0), n);
            *note = p;
            *len = n;
            rc = ENL_OK;
        }
    }
    done(st, s);
    return rc;
}

int enl_store_note_release(enl_store *st, const uint8_t lock[32], uint64_t *n, uint32_t *expiry)
{
    sqlite3_stmt *s;
    int rc = ENL_OK;
    if (expiry != NULL) {
        *expiry = 0;
        if (prep(st, "SELECT max(expiry) FROM notes WHERE lock = ?", &s) != SQLITE_OK)
            return fail(st, ENL_ESTORE, "read");
        sqlite3_bind_blob(s, 1, lock, 32, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW) {
            sqlite3_int64 e = sqlite3_column_int64(s, 0);
            *expiry = e > 0 && e <= UINT32_MAX ? (uint32_t)e : 0;
        } else {
            rc = fail(st, ENL_ESTORE, "read");
        }
        done(st, s);
        if (rc != ENL_OK) return rc;
    }
    if (prep(st, "DELETE FROM notes WHERE lock = ?", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "write");
    sqlite3_bind_blob(s, 1, lock, 32, SQLITE_STATIC);
    rc = sqlite3_step(s) == SQLITE_DONE ? ENL_OK : fail(st, ENL_ESTORE, "write");
    if (rc == ENL_OK && n != NULL) *n = (uint64_t)sqlite3_changes(st->db);
    done(st, s);
    return rc;
}

static int each_key(enl_store *st, const char *sql, enl_store_id_fn fn, void *ctx)
{
    sqlite3_stmt *s;
    int rc = ENL_OK, step;
    if (prep(st, sql, &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != 32) continue;
        rc = fn(ctx, sqlite3_column_blob(s, 0));
        if (rc != 0) break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) rc = fail(st, ENL_ESTORE, "read");
    done(st, s);
    return rc > 0 ? ENL_OK : rc;
}

static int each_item(enl_store *st, const char *sql, enl_store_item_fn fn, void *ctx)
{
    sqlite3_stmt *s;
    int rc = ENL_OK, step;
    if (prep(st, sql, &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != 32) continue;
        rc = fn(ctx, sqlite3_column_blob(s, 0), (uint32_t)sqlite3_column_int64(s, 1),
                (uint64_t)sqlite3_column_int64(s, 2));
        if (rc != 0) break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) rc = fail(st, ENL_ESTORE, "read");
    done(st, s);
    return rc > 0 ? ENL_OK : rc;
}

int enl_store_note_items(enl_store *st, enl_store_item_fn fn, void *ctx)
{
    /* In the order they came in: passing them on in that order keeps a
     * conversation's notes in sequence along a chain of couriers. */
    return each_item(st, "SELECT id, expiry, length(data) FROM notes ORDER BY rowid", fn, ctx);
}

int enl_store_purge_items(enl_store *st, enl_store_item_fn fn, void *ctx)
{
    return each_item(st, "SELECT lock, expiry, 37 FROM purges", fn, ctx);
}

int enl_store_notes_by_tag(enl_store *st, const uint8_t tag[16], enl_store_id_fn fn, void *ctx)
{
    sqlite3_stmt *s;
    int rc = ENL_OK, step;
    if (prep(st, "SELECT id FROM notes WHERE tag = ?", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    sqlite3_bind_blob(s, 1, tag, 16, SQLITE_STATIC);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != 32) continue;
        if ((rc = fn(ctx, sqlite3_column_blob(s, 0))) != 0) break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) rc = fail(st, ENL_ESTORE, "read");
    done(st, s);
    return rc > 0 ? ENL_OK : rc;
}

static int cmp32(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* 1 when the sorted list v of n hashes holds h. */
static int sorted_has(const uint8_t (*v)[32], size_t n, const uint8_t h[32])
{
    return n > 0 && bsearch(h, v, n, 32, cmp32) != NULL;
}

/* Row keys of recent tags: a session's window moves by one tag a note, so
 * its other tags are hashed again and again. A tag is public (it is the
 * start of a note); its row key is what the table holds. */
struct tag_hash {
    uint8_t tag[16];
    uint8_t h[32];
    int set;
};

/* Wiped: a tag and the row it leads to say which session a note is for. */
static void tag_hashes_free(enl_store *st)
{
    if (st->tag_hashes == NULL) return;
    sodium_memzero(st->tag_hashes, TAG_HASHES * sizeof *st->tag_hashes);
    free(st->tag_hashes);
    st->tag_hashes = NULL;
}

static void tag_key(enl_store *st, uint8_t h[32], const uint8_t tag[16])
{
    struct tag_hash *e;
    if (st->tag_hashes == NULL) st->tag_hashes = calloc(TAG_HASHES, sizeof *st->tag_hashes);
    if (st->tag_hashes == NULL) {
        enl_store_index(st, h, "tags", tag, 16);
        return;
    }
    e = &st->tag_hashes[(((unsigned)tag[0] << 8) | tag[1]) % TAG_HASHES];
    if (!e->set || memcmp(e->tag, tag, 16) != 0) {
        enl_store_index(st, e->h, "tags", tag, 16);
        memcpy(e->tag, tag, 16);
        e->set = 1;
    }
    memcpy(h, e->h, 32);
}

/* The tag rows of session, sorted, into *have (malloc'd): remembered from
 * the last replace inside a transaction, else read through the session
 * index. What is remembered is forgotten at every rollback and whenever
 * another connection has committed (enl_store_begin). */
static int tags_have(enl_store *st, const uint8_t session[32], uint8_t (**have)[32], size_t *nh)
{
    sqlite3_stmt *sel = NULL;
    size_t cap = 0;
    int step, rc = ENL_OK;

    *have = NULL;
    *nh = 0;
    for (size_t i = 0; st->depth > 0 && i < TAGS_HELD; i++) {
        if (st->held[i].h == NULL || memcmp(st->held[i].session, session, 32) != 0) continue;
        if ((*have = malloc(st->held[i].n * 32)) == NULL) return ENL_ENOMEM;
        memcpy(*have, st->held[i].h, st->held[i].n * 32);
        *nh = st->held[i].n;
        return ENL_OK;
    }
    if (prep(st, "SELECT h FROM tags WHERE session = ?", &sel) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    sqlite3_bind_blob(sel, 1, session, 32, SQLITE_STATIC);
    while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(sel, 0) != 32) continue;
        if (*nh == cap) {
            size_t c = cap ? 2 * cap : 128;
            uint8_t (*v)[32] = realloc(*have, c * sizeof *v);
            if (v == NULL) { rc = ENL_ENOMEM; break; }
            *have = v;
            cap = c;
        }
        memcpy((*have)[(*nh)++], sqlite3_column_blob(sel, 0), 32);
    }
    if (rc == ENL_OK && step != SQLITE_DONE) rc = fail(st, ENL_ESTORE, "read");
    done(st, sel);
    if (rc == ENL_OK && *nh > 1) qsort(*have, *nh, 32, cmp32);
    return rc;
}

/* After a replace that succeeded: session's rows are now want (sorted). */
static void tags_remember(enl_store *st, const uint8_t session[32], uint8_t (*want)[32], size_t n)
{
    size_t i;
    uint8_t (*copy)[32];
    for (i = 0; i < TAGS_HELD; i++)
        if (st->held[i].h != NULL && memcmp(st->held[i].session, session, 32) == 0) break;
    if (i == TAGS_HELD) {
        i = st->held_next;
        st->held_next = (st->held_next + 1) % TAGS_HELD;
    }
    free(st->held[i].h);
    st->held[i].h = NULL;
    st->held[i].n = 0;
    if (st->depth == 0 || n == 0 || (copy = malloc(n * 32)) == NULL) return;
    memcpy(copy, want, n * 32);
    memcpy(st->held[i].session, session, 32);
    st->held[i].h = copy;
    st->held[i].n = n;
}

/* Only the difference is written: a session's window moves by a tag or
 * two a note, so deleting and inserting all of them (with their index
 * entries, overwritten by secure_delete) cost ten times what changed. */
int enl_store_tags_replace(enl_store *st, const uint8_t session[32], const uint8_t (*tags)[16],
                           size_t n)
{
    sqlite3_stmt *del = NULL, *ins = NULL;
    uint8_t (*want)[32] = NULL, (*have)[32] = NULL;
    size_t nw = 0, nh = 0;
    int rc = ENL_OK;

    if (n > 0 && (want = malloc(n * sizeof *want)) == NULL) return ENL_ENOMEM;
    for (size_t i = 0; i < n; i++) tag_key(st, want[i], tags[i]);
    if (n > 1) qsort(want, n, sizeof *want, cmp32);
    for (size_t i = 0; i < n; i++)
        if (nw == 0 || memcmp(want[nw - 1], want[i], 32) != 0) memmove(want[nw++], want[i], 32);
    if ((rc = tags_have(st, session, &have, &nh)) != ENL_OK) goto out;
    if (prep(st, "DELETE FROM tags WHERE h = ? AND session = ?", &del) != SQLITE_OK ||
        prep(st, "INSERT OR REPLACE INTO tags(h, session) VALUES(?, ?)", &ins) != SQLITE_OK) {
        rc = fail(st, ENL_ESTORE, "write");
        goto out;
    }
    for (size_t i = 0; i < nh; i++) {
        if (sorted_has((const uint8_t (*)[32])want, nw, have[i])) continue;
        sqlite3_reset(del);
        sqlite3_bind_blob(del, 1, have[i], 32, SQLITE_STATIC);
        sqlite3_bind_blob(del, 2, session, 32, SQLITE_STATIC);
        if (sqlite3_step(del) != SQLITE_DONE) { rc = fail(st, ENL_ESTORE, "write"); goto out; }
    }
    for (size_t i = 0; i < nw; i++) {
        if (sorted_has((const uint8_t (*)[32])have, nh, want[i])) continue;
        sqlite3_reset(ins);
        sqlite3_bind_blob(ins, 1, want[i], 32, SQLITE_STATIC);
        sqlite3_bind_blob(ins, 2, session, 32, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) { rc = fail(st, ENL_ESTORE, "write"); goto out; }
        /* A row of another session with the same tag is now this one's. */
        for (size_t j = 0; j < TAGS_HELD; j++)
            if (st->held[j].h != NULL && memcmp(st->held[j].session, session, 32) != 0 &&
                sorted_has((const uint8_t (*)[32])st->held[j].h, st->held[j].n, want[i])) {
                free(st->held[j].h);
                st->held[j].h = NULL;
                st->held[j].n = 0;
            }
    }
out:
    done(st, del);
    done(st, ins);
    if (rc == ENL_OK) tags_remember(st, session, want, nw);
    else held_clear(st);
    free(want);
    free(have);
    return rc;
}

int enl_store_tag_lookup(enl_store *st, const uint8_t tag[16], uint8_t session[32])
{
    sqlite3_stmt *s;
    uint8_t h[32];
    int rc = ENL_ENOTFOUND;
    tag_key(st, h, tag);
    if (prep(st, "SELECT session FROM tags WHERE h = ?", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    sqlite3_bind_blob(s, 1, h, 32, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32) {
        memcpy(session, sqlite3_column_blob(s, 0), 32);
        rc = ENL_OK;
    }
    done(st, s);
    return rc;
}

int enl_store_note_ids(enl_store *st, enl_store_id_fn fn, void *ctx)
{
    return each_key(st, "SELECT id FROM notes ORDER BY id", fn, ctx);
}

int enl_store_note_ids_by_age(enl_store *st, enl_store_id_fn fn, void *ctx)
{
    return each_key(st, "SELECT id FROM notes ORDER BY rowid", fn, ctx);
}

int enl_store_burn_items(enl_store *st, enl_store_item_fn fn, void *ctx)
{
    return each_item(st, "SELECT id, expiry, length(data) FROM burns", fn, ctx);
}

int enl_store_burn_has(enl_store *st, const uint8_t id[32])
{
    return has_row(st, "SELECT 1 FROM burns WHERE id = ?", id);
}

int enl_store_burns_of_key(enl_store *st, const uint8_t sign_pk[32], enl_store_blob_fn fn,
                           void *ctx)
{
    /* data is the notice: version u8, then the key it revokes and is signed by */
    sqlite3_stmt *s;
    int rc = ENL_OK, step;
    if (prep(st, "SELECT data FROM burns WHERE substr(data, 2, 32) = ?", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    sqlite3_bind_blob(s, 1, sign_pk, 32, SQLITE_STATIC);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const uint8_t *d = sqlite3_column_blob(s, 0);
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        if (d == NULL) continue;
        if ((rc = fn(ctx, d, n)) != 0) break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) rc = fail(st, ENL_ESTORE, "read");
    done(st, s);
    return rc > 0 ? ENL_OK : rc;
}

int enl_store_burn_put(enl_store *st, const uint8_t id[32], const uint8_t *data, size_t len,
                       uint32_t expiry_hours)
{
    sqlite3_stmt *s;
    int rc;
    if (prep(st, "INSERT OR IGNORE INTO burns(id, data, expiry) VALUES(?, ?, ?)", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "write");
    sqlite3_bind_blob(s, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, data, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, expiry_hours);
    rc = sqlite3_step(s) == SQLITE_DONE ? ENL_OK : fail(st, ENL_ESTORE, "write");
    done(st, s);
    return rc;
}

int enl_store_burn_get(enl_store *st, const uint8_t id[32], uint8_t *data, size_t max, size_t *len)
{
    sqlite3_stmt *s;
    int rc = ENL_ENOTFOUND;
    if (prep(st, "SELECT data FROM burns WHERE id = ?", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    sqlite3_bind_blob(s, 1, id, 32, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        if (n > max) rc = ENL_ETOOBIG;
        else {
            memcpy(data, sqlite3_column_blob(s, 0), n);
            *len = n;
            rc = ENL_OK;
        }
    }
    done(st, s);
    return rc;
}

int enl_store_purge_locks(enl_store *st, enl_store_id_fn fn, void *ctx)
{
    return each_key(st, "SELECT lock FROM purges ORDER BY lock", fn, ctx);
}

int enl_store_purge_has(enl_store *st, const uint8_t lock[32])
{
    return has_row(st, "SELECT 1 FROM purges WHERE lock = ?", lock);
}

int enl_store_purge_put(enl_store *st, const uint8_t lock[32], const uint8_t key[32],
                        uint32_t expiry_hours)
{
    sqlite3_stmt *s;
    int rc;
    /* Anyone may re-send a purge with a shorter expiry; the longest wins, so
     * a purge never dies before its note. */
    if (prep(st, "INSERT INTO purges(lock, key, expiry) VALUES(?, ?, ?) "
                           "ON CONFLICT(lock) DO UPDATE SET expiry = max(expiry, excluded.expiry)", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "write");
    sqlite3_bind_blob(s, 1, lock, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, key, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, expiry_hours);
    rc = sqlite3_step(s) == SQLITE_DONE ? ENL_OK : fail(st, ENL_ESTORE, "write");
    done(st, s);
    return rc;
}

int enl_store_purge_get(enl_store *st, const uint8_t lock[32], uint8_t key[32],
                        uint32_t *expiry_hours)
{
    sqlite3_stmt *s;
    int rc = ENL_ENOTFOUND;
    if (prep(st, "SELECT key, expiry FROM purges WHERE lock = ?", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    sqlite3_bind_blob(s, 1, lock, 32, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32) {
        memcpy(key, sqlite3_column_blob(s, 0), 32);
        *expiry_hours = (uint32_t)sqlite3_column_int64(s, 1);
        rc = ENL_OK;
    }
    done(st, s);
    return rc;
}

/* ---- keyed sets -------------------------------------------------------- */

/* fmt is one of the literal statements below, with %s for the table. */
__attribute__((format(printf, 3, 0)))
static int set_sql_v(char *sql, size_t max, const char *fmt, va_list ap)
{
    vsnprintf(sql, max, fmt, ap);
    return ENL_OK;
}

__attribute__((format(printf, 3, 4)))
static int set_sql(char *sql, size_t max, const char *fmt, ...)
{
    va_list ap;
    va_list copy;
    const char *set;
    int rc;
    va_start(ap, fmt);
    va_copy(copy, ap);
    set = va_arg(copy, const char *);
    va_end(copy);
    rc = valid_name(set, set_tables, 2) ? set_sql_v(sql, max, fmt, ap) : ENL_EINVAL;
    va_end(ap);
    return rc;
}

int enl_store_set_add(enl_store *st, const char *set, const uint8_t item[32], uint32_t expiry_hours)
{
    char sql[128];
    uint8_t h[32];
    sqlite3_stmt *s;
    int rc = set_sql(sql, sizeof sql, "INSERT OR REPLACE INTO %s(h, expiry) VALUES(?, ?)", set);
    if (rc != ENL_OK) return rc;
    enl_store_index(st, h, set, item, 32);
    if (prep(st, sql, &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "write");
    sqlite3_bind_blob(s, 1, h, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, expiry_hours);
    rc = sqlite3_step(s) == SQLITE_DONE ? ENL_OK : fail(st, ENL_ESTORE, "write");
    done(st, s);
    return rc;
}

int enl_store_set_has(enl_store *st, const char *set, const uint8_t item[32])
{
    char sql[128];
    uint8_t h[32];
    int rc = set_sql(sql, sizeof sql, "SELECT 1 FROM %s WHERE h = ?", set);
    if (rc != ENL_OK) return rc;
    enl_store_index(st, h, set, item, 32);
    return has_row(st, sql, h);
}

int enl_store_set_del(enl_store *st, const char *set, const uint8_t item[32])
{
    char sql[128];
    uint8_t h[32];
    sqlite3_stmt *s;
    int rc = set_sql(sql, sizeof sql, "DELETE FROM %s WHERE h = ?", set);
    if (rc != ENL_OK) return rc;
    enl_store_index(st, h, set, item, 32);
    if (prep(st, sql, &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "write");
    sqlite3_bind_blob(s, 1, h, 32, SQLITE_TRANSIENT);
    rc = sqlite3_step(s) == SQLITE_DONE ? ENL_OK : fail(st, ENL_ESTORE, "write");
    done(st, s);
    return rc;
}

int enl_store_expire(enl_store *st, uint32_t now_hours, uint64_t *dropped)
{
    static const char *const sql[] = {
        "DELETE FROM notes WHERE expiry <= ?", "DELETE FROM purges WHERE expiry <= ?",
        "DELETE FROM seen WHERE expiry <= ?", "DELETE FROM outbox WHERE expiry <= ?",
        "DELETE FROM burns WHERE expiry <= ?", "DELETE FROM outgoing WHERE expiry <= ?",
        "DELETE FROM parts WHERE expiry <= ? AND file NOT IN (SELECT h FROM files)",
        /* the keys of files with no part left (the ? is there to bind) */
        "DELETE FROM partkeys WHERE ? > 0 AND file NOT IN (SELECT file FROM parts)",
    };
    uint64_t n = 0;
    /* One write transaction (BEGIN IMMEDIATE, in turn with the twins):
     * statements on their own would each take the write lock as they can,
     * and fail at once instead of waiting when another connection wrote. */
    int rc = enl_store_begin(st), began = rc == ENL_OK;
    for (size_t i = 0; rc == ENL_OK && i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *s;
        int ok;
        if (prep(st, sql[i], &s) != SQLITE_OK) {
            rc = fail(st, ENL_ESTORE, "expire");
            break;
        }
        sqlite3_bind_int64(s, 1, now_hours);
        ok = sqlite3_step(s) == SQLITE_DONE;
        done(st, s);
        if (!ok) rc = fail(st, ENL_ESTORE, "expire");
        else if (i == 0) n = (uint64_t)sqlite3_changes(st->db);
    }
    if (rc == ENL_OK) rc = enl_store_commit(st);
    else if (began) enl_store_rollback(st);
    if (rc == ENL_OK && dropped != NULL) *dropped = n;
    return rc;
}

int enl_store_count(enl_store *st, const char *table, uint64_t *n)
{
    static const char *const tables[] = { "secrets", "contacts", "messages", "notes", "purges", "seen",
                                          "outbox", "sessions", "tags", "burns", "cells",
                                          "senderkeys", "introductions", "inquiries",
                                          "follows", "bulletins", "files", "parts" };
    char sql[128];
    sqlite3_stmt *s;
    int rc = ENL_ESTORE;
    if (!valid_name(table, tables, sizeof tables / sizeof tables[0])) return ENL_EINVAL;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    if (prep(st, sql, &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "count");
    if (sqlite3_step(s) == SQLITE_ROW) {
        *n = (uint64_t)sqlite3_column_int64(s, 0);
        rc = ENL_OK;
    }
    done(st, s);
    return rc;
}

/* The triggers of schema 7 keep every source's notes and bytes: when the
 * sources' notes are all the notes (only notes from before schema 7 have
 * no source), their bytes are the notes' bytes, without reading every
 * note. A sync recounts after each note delivered here, and a sum over
 * the notes made a drop that alternates notes to take and notes to carry
 * cost the square of its size. */
int enl_store_note_bytes(enl_store *st, uint64_t *bytes)
{
    sqlite3_stmt *s;
    int rc = ENL_ESTORE, whole = 0;
    if (prep(st, "SELECT (SELECT count(*) FROM notes), coalesce(sum(notes), 0), "
                 "coalesce(sum(bytes), 0) FROM sources", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "count");
    if (sqlite3_step(s) == SQLITE_ROW) {
        whole = sqlite3_column_int64(s, 0) == sqlite3_column_int64(s, 1);
        *bytes = (uint64_t)sqlite3_column_int64(s, 2);
        rc = ENL_OK;
    }
    done(st, s);
    if (rc != ENL_OK || whole) return rc;
    rc = ENL_ESTORE;
    if (prep(st, "SELECT coalesce(sum(length(data)), 0) FROM notes", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "count");
    if (sqlite3_step(s) == SQLITE_ROW) {
        *bytes = (uint64_t)sqlite3_column_int64(s, 0);
        rc = ENL_OK;
    }
    done(st, s);
    return rc;
}

/* ---- sources of carried notes ------------------------------------------ */

void enl_store_source(const enl_store *st, uint8_t out[ENL_STORE_SOURCEBYTES], const char *kind,
                      const uint8_t *who, size_t len)
{
    uint8_t in[ENL_STORE_SOURCE_KINDMAX + 1 + 32], h[32];
    size_t k = strnlen(kind, ENL_STORE_SOURCE_KINDMAX);
    memcpy(in, kind, k);
    in[k] = 0;
    crypto_generichash(in + k + 1, 32, who, len, NULL, 0);
    enl_store_index(st, h, "source", in, k + 1 + 32);
    memcpy(out, h, ENL_STORE_SOURCEBYTES);
    sodium_memzero(h, sizeof h);
    sodium_memzero(in, sizeof in);
}

int enl_store_source_usage(enl_store *st, const uint8_t source[ENL_STORE_SOURCEBYTES],
                           enl_store_usage *u)
{
    sqlite3_stmt *s;
    int rc = ENL_OK, step;
    u->notes = u->bytes = 0;
    if (prep(st, "SELECT notes, bytes FROM sources WHERE source = ?", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    sqlite3_bind_blob(s, 1, source, ENL_STORE_SOURCEBYTES, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        u->notes = (uint64_t)sqlite3_column_int64(s, 0);
        u->bytes = (uint64_t)sqlite3_column_int64(s, 1);
    } else if (step != SQLITE_DONE) {
        rc = fail(st, ENL_ESTORE, "read");
    }
    done(st, s);
    return rc;
}

int enl_store_source_largest(enl_store *st, const enl_store_usage *quota,
                             uint8_t source[ENL_STORE_SOURCEBYTES], enl_store_usage *u)
{
    sqlite3_stmt *s;
    int rc = ENL_ENOTFOUND, step;
    /* the largest that is not mine: my sources come first only while they
     * hold more than every other, and there is one per recipient */
    if (prep(st, "SELECT source, notes, bytes FROM sources "
                 "ORDER BY max(notes * 1.0 / ?, bytes * 1.0 / ?) DESC", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    sqlite3_bind_double(s, 1, quota->notes > 0 ? (double)quota->notes : 1.0);
    sqlite3_bind_double(s, 2, quota->bytes > 0 ? (double)quota->bytes : 1.0);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != ENL_STORE_SOURCEBYTES) continue;
        if (is_own_source(st, sqlite3_column_blob(s, 0))) continue;
        memcpy(source, sqlite3_column_blob(s, 0), ENL_STORE_SOURCEBYTES);
        u->notes = (uint64_t)sqlite3_column_int64(s, 1);
        u->bytes = (uint64_t)sqlite3_column_int64(s, 2);
        rc = ENL_OK;
        break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) rc = fail(st, ENL_ESTORE, "read");
    done(st, s);
    return rc;
}

int enl_store_source_evict(enl_store *st, const uint8_t source[ENL_STORE_SOURCEBYTES],
                           uint64_t *freed)
{
    sqlite3_stmt *s;
    int rc = ENL_ENOTFOUND, step;
    int64_t rowid = 0;
    *freed = 0;
    if (is_own_source(st, source)) return ENL_EINVAL;
    if (prep(st, "SELECT rowid, length(data) FROM notes WHERE source = ? "
                 "ORDER BY expiry, rowid LIMIT 1", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    sqlite3_bind_blob(s, 1, source, ENL_STORE_SOURCEBYTES, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        rowid = sqlite3_column_int64(s, 0);
        *freed = (uint64_t)sqlite3_column_int64(s, 1);
        rc = ENL_OK;
    } else if (step != SQLITE_DONE) {
        rc = fail(st, ENL_ESTORE, "read");
    }
    done(st, s);
    if (rc != ENL_OK) return rc;
    if (prep(st, "DELETE FROM notes WHERE rowid = ?", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "write");
    sqlite3_bind_int64(s, 1, rowid);
    rc = sqlite3_step(s) == SQLITE_DONE ? ENL_OK : fail(st, ENL_ESTORE, "write");
    done(st, s);
    return rc;
}

/* ---- parts of files ---------------------------------------------------- */

/* Row key of a part: index("parts", file || index u32); it is also the
 * blob's AD, so a part cannot be moved to another file or index. */
static void part_key(const enl_store *st, uint8_t h[32], const uint8_t file[32], uint32_t index)
{
    uint8_t k[36];
    memcpy(k, file, 32);
    enl_store_be32(k + 32, index);
    enl_store_index(st, h, "parts", k, sizeof k);
}

/* How many parts of a file are stored, at any index. */
static int parts_of(enl_store *st, const uint8_t file[32], uint64_t *n)
{
    sqlite3_stmt *s;
    int rc = ENL_ESTORE;
    if (prep(st, "SELECT count(*) FROM parts WHERE file = ?", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "count");
    sqlite3_bind_blob(s, 1, file, 32, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        *n = (uint64_t)sqlite3_column_int64(s, 0);
        rc = ENL_OK;
    }
    done(st, s);
    return rc == ENL_OK ? ENL_OK : fail(st, ENL_ESTORE, "count");
}

/* The key the parts of a file are sealed with, into key: its own (a row
 * of partkeys, sealed with the blob key), made with its first part when
 * `make` is set; the blob key for a file whose parts came before schema 10
 * (parts, but no row). ENL_ENOTFOUND: neither, and not made. *own says
 * whether the key is the file's own (its parts go when it does). */
/* A file's key, out of its row's blob, into key. */
static int open_part_file_key(enl_store *st, const uint8_t file[32], const uint8_t *blob,
                              size_t blen, uint8_t key[KEYBYTES])
{
    uint8_t ad[64], *pt = NULL;
    size_t len = 0, adl = row_ad(ad, "partkeys", file, 32);
    int rc = open_blob(st, &pt, &len, ad, adl, blob, blen);
    if (rc == ENL_OK && len != KEYBYTES) rc = ENL_EMALFORMED;
    if (rc == ENL_OK) memcpy(key, pt, KEYBYTES);
    if (pt != NULL) enl_store_free(pt, len);
    return rc == ENL_OK ? ENL_OK : fail(st, ENL_ESTORE, "a record does not authenticate");
}

static int part_file_key(enl_store *st, const uint8_t file[32], int make, uint8_t key[KEYBYTES],
                         int *own)
{
    uint8_t ad[64], fresh[KEYBYTES], *blob = NULL;
    size_t adl = row_ad(ad, "partkeys", file, 32), blen;
    sqlite3_stmt *s;
    int rc, step;
    uint64_t n = 0;

    *own = 0;
    if (prep(st, "SELECT blob FROM partkeys WHERE file = ?", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    sqlite3_bind_blob(s, 1, file, 32, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        rc = open_part_file_key(st, file, sqlite3_column_blob(s, 0),
                                (size_t)sqlite3_column_bytes(s, 0), key);
        *own = rc == ENL_OK;
    } else {
        rc = step == SQLITE_DONE ? ENL_ENOTFOUND : fail(st, ENL_ESTORE, "read");
    }
    done(st, s);
    if (rc != ENL_ENOTFOUND) return rc;
    /* parts and no key: they came before schema 10, sealed with the blob key
     * (any index: UINT32_MAX is a head's purge lock on the sender's side) */
    if ((rc = parts_of(st, file, &n)) != ENL_OK) return rc;
    if (n > 0) {
        memcpy(key, st->keys, KEYBYTES);
        return ENL_OK;
    }
    if (!make) return ENL_ENOTFOUND;
    randombytes_buf(fresh, sizeof fresh);
    rc = seal_blob(st, &blob, &blen, ad, adl, fresh, sizeof fresh);
    if (rc == ENL_OK && prep(st, "INSERT INTO partkeys(file, blob) VALUES(?, ?)", &s) != SQLITE_OK)
        rc = fail(st, ENL_ESTORE, "write");
    if (rc == ENL_OK) {
        sqlite3_bind_blob(s, 1, file, 32, SQLITE_STATIC);
        sqlite3_bind_blob(s, 2, blob, (int)blen, SQLITE_STATIC);
        rc = sqlite3_step(s) == SQLITE_DONE ? ENL_OK : fail(st, ENL_ESTORE, "write");
        done(st, s);
    }
    free(blob);
    if (rc == ENL_OK) {
        memcpy(key, fresh, KEYBYTES);
        *own = 1;
    }
    sodium_memzero(fresh, sizeof fresh);
    return rc;
}

int enl_store_part_put(enl_store *st, const uint8_t file[32], uint32_t index,
                       uint32_t expiry_hours, const uint8_t *data, size_t len)
{
    uint8_t h[32], ad[64], key[KEYBYTES], *blob = NULL;
    size_t blen, adl;
    sqlite3_stmt *s;
    int rc, own;

    /* the key and the part in one transaction: never a part whose key a
     * crash lost, nor two keys made for one file by two connections */
    if ((rc = enl_store_begin(st)) != ENL_OK) return rc;
    rc = part_file_key(st, file, 1, key, &own);
    part_key(st, h, file, index);
    adl = row_ad(ad, "parts", h, 32);
    if (rc == ENL_OK) rc = seal_blob_with(key, &blob, &blen, ad, adl, data, len);
    sodium_memzero(key, sizeof key);
    if (rc == ENL_OK && prep(st, "INSERT OR IGNORE INTO parts(h, file, idx, expiry, blob) "
                                 "VALUES(?, ?, ?, ?, ?)", &s) != SQLITE_OK)
        rc = fail(st, ENL_ESTORE, "write");
    if (rc == ENL_OK) {
        sqlite3_bind_blob(s, 1, h, 32, SQLITE_STATIC);
        sqlite3_bind_blob(s, 2, file, 32, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, index);
        sqlite3_bind_int64(s, 4, expiry_hours);
        sqlite3_bind_blob(s, 5, blob, (int)blen, SQLITE_STATIC);
        rc = sqlite3_step(s) == SQLITE_DONE ? ENL_OK : fail(st, ENL_ESTORE, "write");
        done(st, s);
    }
    free(blob);
    if (rc == ENL_OK) return enl_store_commit(st);
    enl_store_rollback(st);
    return rc;
}

int enl_store_part_count(enl_store *st, const uint8_t file[32], uint32_t below, uint64_t *n)
{
    sqlite3_stmt *s;
    int rc = ENL_ESTORE;
    if (prep(st, "SELECT count(*) FROM parts WHERE file = ? AND idx < ?", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "count");
    sqlite3_bind_blob(s, 1, file, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, below);
    if (sqlite3_step(s) == SQLITE_ROW) {
        *n = (uint64_t)sqlite3_column_int64(s, 0);
        rc = ENL_OK;
    }
    done(st, s);
    return rc;
}

/* Deletes the parts of a file with an index from lo to hi. */
static int delete_parts(enl_store *st, const uint8_t file[32], uint32_t lo, uint32_t hi)
{
    sqlite3_stmt *s;
    int rc;
    if (prep(st, "DELETE FROM parts WHERE file = ? AND idx >= ? AND idx <= ?", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "write");
    sqlite3_bind_blob(s, 1, file, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, lo);
    sqlite3_bind_int64(s, 3, hi);
    rc = sqlite3_step(s) == SQLITE_DONE ? ENL_OK : fail(st, ENL_ESTORE, "write");
    done(st, s);
    return rc;
}

int enl_store_part_delete(enl_store *st, const uint8_t file[32], uint32_t index)
{
    return delete_parts(st, file, index, index);
}

/* 1 when a part sealed with the blob key (from before schema 10: its file
 * has no key row) is left anywhere, 0 when none is; negative on error. It
 * takes a scan of every part, so a handle remembers "none": none can come
 * back, since a file's first part always gets a key of its own and only a
 * file that still has such parts gets more of them, until a rollback may
 * put deleted ones back or another connection commits (enl_store_begin).
 * Asked again for every file, the scan made an expiry pass over N lapsed
 * files cost N scans of the parts. */
static int legacy_parts_left(enl_store *st)
{
    sqlite3_stmt *s;
    int older;
    if (st->legacy_parts == 0) return 0;
    if (prep(st, "SELECT EXISTS(SELECT 1 FROM parts WHERE file NOT IN "
                 "(SELECT file FROM partkeys))", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    older = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    done(st, s);
    if (older < 0) return fail(st, ENL_ESTORE, "read");
    st->legacy_parts = older;
    return older;
}

/* Every part of a file. When they have a key of their own, the key's row
 * is deleted (overwritten, as every row), and then the parts without
 * overwriting them: what stays of them in free pages is sealed with a key
 * that no longer exists, passphrase or not; overwriting them too would
 * write the whole file again, through the log and then the main file. */
static int forget_parts(enl_store *st, const uint8_t file[32])
{
    sqlite3_stmt *s;
    int rc, back, older, own;
    /* Deleting rows frees and rebuilds pages, after moving the rows left
     * in them to others (SQLite balances the tree): unwritten, those pages
     * keep copies of the rows moved, which their own deletion later does
     * not reach. For a part sealed with a key of its own, a copy goes with
     * the key; one sealed with the blob key (from before schema 10, its
     * file has no key row) would still open with the passphrase. While any
     * is left, every deletion overwrites. */
    if ((older = legacy_parts_left(st)) < 0) return older;
    if (prep(st, "DELETE FROM partkeys WHERE file = ?", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "write");
    sqlite3_bind_blob(s, 1, file, 32, SQLITE_STATIC);
    rc = sqlite3_step(s) == SQLITE_DONE ? ENL_OK : fail(st, ENL_ESTORE, "write");
    own = sqlite3_changes(st->db) > 0;   /* the file's parts had a key of their own */
    done(st, s);
    if (rc != ENL_OK) return rc;
    if (older || !own) return delete_parts(st, file, 0, UINT32_MAX);
    if ((rc = exec(st, "PRAGMA secure_delete=OFF")) != ENL_OK) return rc;
    rc = delete_parts(st, file, 0, UINT32_MAX);
    /* whatever the delete did: every other deletion overwrites (when it
     * cannot be turned back on, which only a lack of memory can cause, no
     * further write begins until it is: enl_store_begin) */
    back = exec(st, "PRAGMA secure_delete=ON");
    if (back != ENL_OK) st->overwrite_off = 1;
    return rc != ENL_OK ? rc : back;
}

int enl_store_part_trim(enl_store *st, const uint8_t file[32], uint32_t from)
{
    int rc;
    if (from > 0) return delete_parts(st, file, from, UINT32_MAX);
    if ((rc = enl_store_begin(st)) != ENL_OK) return rc;
    if ((rc = forget_parts(st, file)) == ENL_OK) return enl_store_commit(st);
    enl_store_rollback(st);
    return rc;
}

int enl_store_part_each(enl_store *st, const uint8_t file[32], enl_store_part_fn fn, void *ctx)
{
    sqlite3_stmt *s;
    int rc = ENL_OK, step, keyed = 0;
    uint8_t key[KEYBYTES];
    /* The key and the parts in one statement, so from one moment of the
     * database: read apart, another connection could delete the file's
     * parts and key between the two and store new parts under a new key. */
    if (prep(st, "SELECT idx, blob, (SELECT blob FROM partkeys WHERE file = ?1) FROM parts "
                 "WHERE file = ?1 ORDER BY idx", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    sqlite3_bind_blob(s, 1, file, 32, SQLITE_STATIC);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t idx = sqlite3_column_int64(s, 0);
        uint8_t h[32], ad[64], *pt = NULL;
        size_t len = 0, adl;
        if (idx < 0 || idx > UINT32_MAX) { rc = fail(st, ENL_ESTORE, "bad row"); break; }
        if (!keyed) {
            /* no key row: parts from before schema 10, under the blob key */
            if (sqlite3_column_type(s, 2) == SQLITE_NULL) memcpy(key, st->keys, KEYBYTES);
            else if ((rc = open_part_file_key(st, file, sqlite3_column_blob(s, 2),
                                              (size_t)sqlite3_column_bytes(s, 2), key)) != ENL_OK)
                break;
            keyed = 1;
        }
        part_key(st, h, file, (uint32_t)idx);
        adl = row_ad(ad, "parts", h, 32);
        rc = open_blob_with(key, &pt, &len, ad, adl, sqlite3_column_blob(s, 1),
                            (size_t)sqlite3_column_bytes(s, 1));
        if (rc != ENL_OK) { rc = fail(st, ENL_ESTORE, "a record does not authenticate"); break; }
        rc = fn(ctx, (uint32_t)idx, pt, len);
        enl_store_free(pt, len);
        if (rc != 0) break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) rc = fail(st, ENL_ESTORE, "read");
    done(st, s);
    sodium_memzero(key, sizeof key);
    return rc > 0 ? ENL_OK : rc;
}

int enl_store_part_orphans(enl_store *st, enl_store_orphan_fn fn, void *ctx)
{
    sqlite3_stmt *s;
    int rc = ENL_OK, step;
    if (prep(st, "SELECT file, count(*) FROM parts WHERE file NOT IN "
                           "(SELECT h FROM files) GROUP BY file ORDER BY min(rowid)", &s) != SQLITE_OK)
        return fail(st, ENL_ESTORE, "read");
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != 32) continue;
        if ((rc = fn(ctx, sqlite3_column_blob(s, 0), (uint64_t)sqlite3_column_int64(s, 1))) != 0)
            break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) rc = fail(st, ENL_ESTORE, "read");
    done(st, s);
    return rc > 0 ? ENL_OK : rc;
}
