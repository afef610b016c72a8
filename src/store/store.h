/*
 * The profile store: one SQLite database in the profile folder, in WAL mode
 * with secure_delete, so deleted rows are overwritten rather than left in
 * free pages.
 *
 * Everything but the opaque notes and purge records is stored as an
 * XChaCha20-Poly1305 blob under a random profile key; rows are found by
 * BLAKE2b hashes keyed by a subkey of it, so no name, key or message ever
 * reaches the disk in the clear. The profile key itself is stored wrapped
 * under a key derived from the passphrase with Argon2id: a wrong passphrase
 * fails to unwrap it, and nothing is read from or written to the other
 * tables before that check passes.
 *
 * Schema versions live in PRAGMA user_version and migrations run in order
 * inside one transaction.
 */
#ifndef ENL_STORE_STORE_H
#define ENL_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "enlace.h"

typedef struct enl_store enl_store;

#define ENL_STORE_FILE "enlace.db"
#define ENL_STORE_SCHEMA 10

int enl_store_create(enl_store **out, const char *home, const char *pass, size_t pass_len,
                     enl_kdf_level kdf) __attribute__((warn_unused_result));
int enl_store_open(enl_store **out, const char *home, const char *pass, size_t pass_len)
    __attribute__((warn_unused_result));
void enl_store_close(enl_store *st);
/* A second connection to st's database under the same keys, for another
 * thread (a connection is never shared between threads). st and its twins
 * take their write transactions in turn, in the order they ask (see
 * store.c). Every twin is closed (enl_store_close) before st. */
int enl_store_twin(enl_store *st, enl_store **out) __attribute__((warn_unused_result));
/* 0 once the database file this handle opened is gone or replaced (a wipe
 * or a duress unlock by another process), else 1. */
int enl_store_still_here(const enl_store *st);

/* Marks of work under way that other processes can see: mark (32 bytes,
 * a keyed hash that names the work) is held as a shared lock through a
 * descriptor of its own, which enl_store_busy_mark returns (-1 where the
 * file system takes no such lock: the work is then not seen); it goes when
 * enl_store_busy_unmark closes it, or the process dies: a crash leaves
 * none. enl_store_busy_marked: 1 when another open file holds the mark
 * (another process, or another mark of this one), 0 otherwise or when it
 * cannot tell. Nothing is written to disk. */
int enl_store_busy_mark(enl_store *st, const uint8_t mark[32]);
void enl_store_busy_unmark(int fd);
int enl_store_busy_marked(enl_store *st, const uint8_t mark[32]);

/* 1 (and the name kept in the duress slot) when this open used the duress
 * passphrase: the real key material was destroyed and the store is empty. */
int enl_store_was_reset(const enl_store *st, char name[ENL_NAME_MAX + 1]);
/* A new passphrase for the profile key (the salt and cost stay). Both
 * slots are written in one transaction; the duress passphrase given as the
 * new one becomes the real one, and the alternate slot random bytes.
 * ENL_EEXISTS only when it is the real passphrase already. */
int enl_store_rekey(enl_store *st, const char *pass, size_t len);
/* Sets the duress passphrase (again, when it is already: a new nonce);
 * name is what the emptied profile will carry. ENL_EEXISTS when it is the
 * real passphrase. */
int enl_store_set_duress(enl_store *st, const char *pass, size_t len, const char *name);
/* Destroys the profile in home now: rows and key slots overwritten, the log
 * folded in, the file rebuilt, then every file removed. */
int enl_store_wipe(const char *home);
const char *enl_store_errmsg(const enl_store *st);
int enl_store_exists(const char *home);

/* Folds the write-ahead log into the database and truncates it, so old
 * versions of rows (session states, deleted messages) do not linger there.
 * ENL_ESTORE when another connection keeps it from completing. */
int enl_store_checkpoint(enl_store *st);

/* Transactions nest (the inner ones are savepoints): see store.c. */
int enl_store_begin(enl_store *st);
int enl_store_commit(enl_store *st);
void enl_store_rollback(enl_store *st);
int enl_store_in_transaction(const enl_store *st);
/* Changes whenever a transaction begun here found that another connection
 * (another process, or a twin) had committed since the one before: what
 * was counted from the store before may be wrong. */
uint64_t enl_store_foreign_commits(const enl_store *st);
/* 1 when the SQLite library may be used from several threads (each with its
 * own connection): else a listener serves one session at a time. */
int enl_store_threadsafe(void);

/* Keyed hash for row lookup: 32 bytes, domain-separated by table. */
void enl_store_index(const enl_store *st, uint8_t out[32], const char *table,
                     const uint8_t *in, size_t len);

/* Encrypted single records, by slot name ("identity", ...). */
int enl_store_secret_put(enl_store *st, const char *slot, const uint8_t *pt, size_t len);
/* Returns a sodium_malloc'd plaintext the caller frees with enl_store_free. */
int enl_store_secret_get(enl_store *st, const char *slot, uint8_t **pt, size_t *len);
void enl_store_free(uint8_t *pt, size_t len);

/* Encrypted rows keyed by a 32-byte index (contacts, sessions, held, follows,
 * bulletins). */
int enl_store_row_put(enl_store *st, const char *table, const uint8_t key[32],
                      const uint8_t *pt, size_t len);
int enl_store_row_get(enl_store *st, const char *table, const uint8_t key[32],
                      uint8_t **pt, size_t *len);
/* The same, for a table with an expiry column ("outgoing"): the row goes
 * with enl_store_expire. */
int enl_store_row_put_expiring(enl_store *st, const char *table, const uint8_t key[32],
                               const uint8_t *pt, size_t len, uint32_t expiry_hours);
int enl_store_row_delete(enl_store *st, const char *table, const uint8_t key[32]);
typedef int (*enl_store_row_fn)(void *ctx, int64_t seq, const uint8_t *pt, size_t len);
int enl_store_row_each(enl_store *st, const char *table, enl_store_row_fn fn, void *ctx);

/* Messages: encrypted, in arrival order. */
int enl_store_message_add(enl_store *st, const uint8_t *pt, size_t len, int64_t *seq);
int enl_store_message_get(enl_store *st, int64_t seq, uint8_t **pt, size_t *len);
int enl_store_message_update(enl_store *st, int64_t seq, const uint8_t *pt, size_t len);
int enl_store_message_delete(enl_store *st, int64_t seq);

/* Notes carried, as the opaque bytes they are. */
typedef int (*enl_store_id_fn)(void *ctx, const uint8_t id[32]);
int enl_store_note_has(enl_store *st, const uint8_t id[32]);
/* 1 when any note is held, 0 when none. */
int enl_store_note_any(enl_store *st);
/* tag: the first 16 bytes of the sealed body (a session note's recognition
 * tag, random bytes otherwise): public like the note itself. source: where
 * a note carried for others came from (enl_store_source), or, for my own
 * notes, enl_store_own_source (NULL: the one of no recipient), which
 * enl_store_source_largest and _evict never take. */
#define ENL_STORE_SOURCEBYTES 16
#define ENL_STORE_SOURCE_KINDMAX 16
int enl_store_note_put(enl_store *st, const uint8_t id[32], const uint8_t lock[32],
                       uint32_t expiry_hours, const uint8_t tag[16],
                       const uint8_t source[ENL_STORE_SOURCEBYTES], const uint8_t *note, size_t len);
int enl_store_notes_by_tag(enl_store *st, const uint8_t tag[16], enl_store_id_fn fn, void *ctx);
/* malloc'd copy; free with free(). */
int enl_store_note_get(enl_store *st, const uint8_t id[32], uint8_t **note, size_t *len);
/* Deletes notes under this lock; *n gets how many, and *expiry (when not
 * NULL) the latest expiry hour among them (0: none was held). */
int enl_store_note_release(enl_store *st, const uint8_t lock[32], uint64_t *n, uint32_t *expiry);
int enl_store_note_ids(enl_store *st, enl_store_id_fn fn, void *ctx);
/* The same, oldest first (the order they were stored in). */
int enl_store_note_ids_by_age(enl_store *st, enl_store_id_fn fn, void *ctx);

/* Every note (or purge) with its expiry, in no particular order: what the
 * sync reconciles over. */
typedef int (*enl_store_item_fn)(void *ctx, const uint8_t id[32], uint32_t expiry_hours, uint64_t size);
int enl_store_note_items(enl_store *st, enl_store_item_fn fn, void *ctx);
int enl_store_purge_items(enl_store *st, enl_store_item_fn fn, void *ctx);

/* Burn notices carried (signed revocations, public). */
int enl_store_burn_items(enl_store *st, enl_store_item_fn fn, void *ctx);
int enl_store_burn_has(enl_store *st, const uint8_t id[32]);
/* Calls fn with every notice held that names sign_pk as the key it revokes
 * (and is signed by), as stored; stops when fn returns non-zero. The table
 * is public, not under the profile key: a row planted in the file while
 * the device was locked can hold anything, so fn verifies what it gets
 * (enl_revocation_parse) before it counts it. */
typedef int (*enl_store_blob_fn)(void *ctx, const uint8_t *data, size_t len);
int enl_store_burns_of_key(enl_store *st, const uint8_t sign_pk[32], enl_store_blob_fn fn,
                           void *ctx);
int enl_store_burn_put(enl_store *st, const uint8_t id[32], const uint8_t *data, size_t len,
                       uint32_t expiry_hours);
int enl_store_burn_get(enl_store *st, const uint8_t id[32], uint8_t *data, size_t max, size_t *len);

/* Purge records, public like the notes. */
int enl_store_purge_has(enl_store *st, const uint8_t lock[32]);
int enl_store_purge_put(enl_store *st, const uint8_t lock[32], const uint8_t key[32],
                        uint32_t expiry_hours);
int enl_store_purge_get(enl_store *st, const uint8_t lock[32], uint8_t key[32],
                        uint32_t *expiry_hours);
int enl_store_purge_locks(enl_store *st, enl_store_id_fn fn, void *ctx);

/* Recognition tags of a session (stored as keyed hashes): replace them all
 * after every change of the session, look one up for an incoming note. */
int enl_store_tags_replace(enl_store *st, const uint8_t session[32], const uint8_t (*tags)[16],
                           size_t n);
int enl_store_tag_lookup(enl_store *st, const uint8_t tag[16], uint8_t session[32]);

/* Keyed sets: "seen" (ids of notes delivered to me) and "outbox" (locks of
 * my own notes not yet purged). Members are stored as keyed hashes only. */
int enl_store_set_add(enl_store *st, const char *set, const uint8_t item[32], uint32_t expiry_hours);
int enl_store_set_has(enl_store *st, const char *set, const uint8_t item[32]);
int enl_store_set_del(enl_store *st, const char *set, const uint8_t item[32]);

/* Parts of files received: one row per (file, index), file being the keyed
 * hash that names the file's record in the encrypted table "files", each
 * sealed with a key of its file's own (made with its first part, kept
 * sealed under the profile key). A second copy of a part is ignored.
 * expiry: the note's, after which a part whose file record never came is
 * dropped. */
int enl_store_part_put(enl_store *st, const uint8_t file[32], uint32_t index,
                       uint32_t expiry_hours, const uint8_t *data, size_t len);
/* Parts of a file with an index below `below`. */
int enl_store_part_count(enl_store *st, const uint8_t file[32], uint32_t below, uint64_t *n);
/* Deletes the parts of a file from index `from` on (beyond its last). From
 * 0, every part: the file's key is overwritten, and the parts are deleted
 * without being overwritten (they can no longer be opened). */
int enl_store_part_trim(enl_store *st, const uint8_t file[32], uint32_t from);
/* Deletes part index of file (nothing when there is none). */
int enl_store_part_delete(enl_store *st, const uint8_t file[32], uint32_t index);
/* Calls fn with every part of a file in index order, decrypted (data is
 * valid during the call only); stops when fn returns non-zero. */
typedef int (*enl_store_part_fn)(void *ctx, uint32_t index, const uint8_t *data, size_t len);
int enl_store_part_each(enl_store *st, const uint8_t file[32], enl_store_part_fn fn, void *ctx);
/* Calls fn for every group of parts whose file has no record (yet). */
typedef int (*enl_store_orphan_fn)(void *ctx, const uint8_t file[32], uint64_t n);
int enl_store_part_orphans(enl_store *st, enl_store_orphan_fn fn, void *ctx);

/* Drops expired notes, purges and set members, and parts whose file's
 * record never arrived. */
int enl_store_expire(enl_store *st, uint32_t now_hours, uint64_t *dropped);

/* Sources of carried notes. A source is a keyed hash of what the notes came
 * by (kind: "peer", "folder", ...; who: the contact's key, the folder's
 * path; may be empty), so the disk shows which notes came together, never
 * from whom. Notes and bytes held from one source (0 when none); the source
 * (not one of mine) that holds the most, by the larger of its shares of the
 * two quotas (notes / quota's notes, bytes / quota's bytes), ENL_ENOTFOUND
 * when there is none; and the deletion of the note of a source that
 * expires first (the oldest of those), *freed getting its size (ENL_EINVAL
 * for one of my sources). */
typedef struct {
    uint64_t notes, bytes;
} enl_store_usage;
void enl_store_source(const enl_store *st, uint8_t out[ENL_STORE_SOURCEBYTES], const char *kind,
                      const uint8_t *who, size_t len);
/* The source of my own notes to one recipient (to: a contact's DH key, a
 * cell's id...): on disk like any other, known as mine only with this
 * profile's key. */
void enl_store_own_source(const enl_store *st, uint8_t out[ENL_STORE_SOURCEBYTES], const uint8_t *to,
                          size_t len);
int enl_store_source_usage(enl_store *st, const uint8_t source[ENL_STORE_SOURCEBYTES],
                           enl_store_usage *u);
int enl_store_source_largest(enl_store *st, const enl_store_usage *quota,
                             uint8_t source[ENL_STORE_SOURCEBYTES], enl_store_usage *u);
int enl_store_source_evict(enl_store *st, const uint8_t source[ENL_STORE_SOURCEBYTES],
                           uint64_t *freed);

/* Row count of a table; bytes of notes held. */
int enl_store_count(enl_store *st, const char *table, uint64_t *n);
int enl_store_note_bytes(enl_store *st, uint64_t *bytes);

#endif
