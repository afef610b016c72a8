/*
 * The profile handle shared by the core modules (contacts, send, intake,
 * inbox, sync). The identity lives in sodium_malloc'd memory, locked and
 * wiped on close.
 */
#ifndef ENL_CORE_PROFILE_H
#define ENL_CORE_PROFILE_H

#include <stdarg.h>

#include "crypto/identity.h"
#include "enlace.h"
#include "note/note.h"
#include "store/store.h"

struct enl_profile {
    enl_store *st;
    enl_identity *id;
    char name[ENL_NAME_MAX + 1];
    uint8_t fp[32];
    char err[1024];             /* room for the longest message: several names, a reason, a path */
    uint64_t quota_notes, quota_bytes;
    int64_t held_purges;        /* purge records in the store; -1: not counted yet */
    int64_t held_burns;         /* burn notices in the store; -1: not counted yet */
    int64_t held_notes, held_bytes;   /* -1: not counted yet */
    uint64_t held_counted;            /* enl_store_foreign_commits when they were counted */
    uint8_t source[ENL_STORE_SOURCEBYTES];   /* where notes taken in now come from */
    int source_set;
    int twin;                         /* made by enl_profile_twin */
    uint32_t follows_day;             /* day the follows' tag windows were last checked */
    struct enl_contact_memo *contact_memo;   /* contacts.c: decoded rows (sodium_malloc) */
    struct enl_session_memo *session_memo;   /* session.c: parsed states (sodium_malloc) */
    struct enl_tag_cache *tag_cache;         /* tagcache.c: recognition tags (sodium_malloc) */
};

/* The same profile for another thread: its own store connection, a copy of
 * the identity (wiped when the twin closes), the same quotas, empty memos.
 * Every cache of a twin is checked against the store (the memos by their
 * bytes, the quota counters recounted after another connection's commit),
 * so twins may write at once (the store takes their transactions in turn). */
int enl_profile_twin(const enl_profile *p, enl_profile **out) __attribute__((warn_unused_result));

/* ENL_EFULL when one more note of len bytes would pass the quota. */
int enl_quota_check(enl_profile *p, size_t len);
/* The source notes taken in now come from (enl_note_source names it; its
 * keyed hash, enl_store_source): "local" until a transport names one. */
const uint8_t *enl_intake_source_current(enl_profile *p);
/* Inside the caller's write transaction: ENL_OK when one more carried note
 * of len bytes from the current source fits the quota, after deleting, when
 * it does not, the notes that expire first of the source holding the
 * largest share (the larger of its shares of the notes and of the bytes of
 * the quota), as long as that source would still hold a larger share than
 * this one (at
 * most ENL_EVICT_MAX notes; *evicted counts them). So one source (a dead
 * drop full of junk, a flooding peer) can fill a courier's quota only while
 * no other source needs room, and never pushes out the others' share.
 * ENL_EFULL otherwise. After a rollback the caller calls enl_quota_forget.
 * The bound is what the largest note may need: a note's count takes one
 * eviction and its bytes at most one per smallest note of its length, so a
 * flood of the smallest notes, made to expire first, never makes a note
 * that is owed room go without it. */
#define ENL_EVICT_MAX (ENL_NOTE_MAX / ENL_NOTE_MINBYTES + 2)
int enl_quota_make_room(enl_profile *p, size_t len, unsigned *evicted);
/* Inside the caller's write transaction: the copy of a note read here that
 * is kept to carry on to its other readers (a cell note, a bulletin), as a
 * note carried for others: in the current source's share, room made as by
 * enl_quota_make_room (*evicted counts the notes pushed out). Without room
 * the copy is not kept, and that is ENL_OK: the note was read all the same.
 * Kept as my own notes are (never pushed out, no quota), a member flooding
 * a cell, or an author I follow, would take the whole quota. */
int enl_quota_keep_read(enl_profile *p, const uint8_t id[32], const enl_note_header *h,
                        const uint8_t *note, size_t len, unsigned *evicted);
/* Keeps the counters right after a note was stored or released. */
void enl_quota_note_added(enl_profile *p, size_t len);
void enl_quota_forget(enl_profile *p);
/* 1 while the store holds fewer purge records than the quota of notes (a
 * purge that matches nothing here is kept only then), 0 when full, < 0 on
 * error; enl_quota_purge_added counts one more. */
int enl_quota_purge_room(enl_profile *p);
void enl_quota_purge_added(enl_profile *p);
/* The same for burn notices that revoke no contact of this profile: room
 * while the store holds fewer notices than a tenth of the quota of notes
 * (10,000 by default; a notice is kept a year). */
int enl_quota_burn_room(enl_profile *p);
void enl_quota_burn_added(enl_profile *p);

/* Wall clock; ENLACE_NOW (unix seconds) overrides it so tests can age notes. */
uint64_t enl_now(void);
uint32_t enl_now_hours(void);

/* Records detail for enl_profile_errmsg and returns rc. */
int enl_fail(enl_profile *p, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A stored contact. */
typedef struct {
    enl_card card;
    char name[ENL_NAME_MAX + 1];
    int verified;
    uint64_t added;
    char address[ENL_ADDRESS_MAX + 1];
    int burned;                 /* keys compromised: never sealed to again */
    uint64_t burned_at;
    char burn_reason[201];
    char via[ENL_VIA_MAX + 1];  /* "introduced by NAME", "cell NAME"; "" when handed over */
} enl_contact;

/* Adds a card that came through someone else (an introduction, a cell's
 * admission), named `name` or, when that is taken, name.2, name.3 ...
 * A key that is already a contact is left as it is. */
int enl_contact_add_via(enl_profile *p, const char *card_text, const char *name, const char *via,
                        enl_contact *out) __attribute__((warn_unused_result));

/* Marks a contact's keys burned and forgets its sessions (in the caller's
 * transaction, if any). */
int enl_contact_burn(enl_profile *p, const uint8_t dh_pk[32], const uint8_t sign_pk[32],
                     const char *reason, int *was_contact);

/* Leaves a tombstone for each burn notice carried that expires by
 * now_hours, so that enl_burn_intake refuses it when it comes again (see
 * burn.c). Called in the transaction that then drops the notices. */
int enl_burn_tombstones(enl_profile *p, uint32_t now_hours);
/* 1 when a notice signed by sign_pk is held here, or was until it expired
 * (for as long as its tombstone): keys known to be in a captor's hands. */
int enl_burn_key_known(enl_profile *p, const uint8_t sign_pk[32]);

/* Wipes and frees the contacts decoded and kept in memory (on close). */
void enl_contact_memo_free(enl_profile *p);

/* Finds a contact by the X25519 key that sealed a note, or by name. */
int enl_contact_by_dh(enl_profile *p, const uint8_t dh_pk[32], enl_contact *c);
int enl_contact_by_name(enl_profile *p, const char *name, enl_contact *c);
/* The card text kept for a contact (NUL-terminated). */
int enl_contact_card_text(enl_profile *p, const uint8_t dh_pk[32], char *out, size_t max);
void enl_contact_fill_info(const enl_profile *p, const enl_contact *c, enl_contact_info *out);
/* 1 when text, a fingerprint as typed, is no contact's but lies within
 * ENL_FINGERPRINT_NEAR places of one's (most likely that contact's,
 * mistyped: no two keys come that close by chance): the closest contact's
 * name and the number of places. 0 otherwise. */
int enl_contact_near(enl_profile *p, const char *text, char name[ENL_NAME_MAX + 1],
                     unsigned *places);

/* Deletes both sessions with a peer and their tags (a burned key). */
int enl_sessions_forget(enl_profile *p, const uint8_t peer_dh[32]);

/* Drops what expired (notes, purges, ... : enl_store_expire), once what
 * only the expiring rows knew is kept (enl_files_settle). */
int enl_profile_expire(enl_profile *p);

/* Deletes the disappearing messages whose time has come. */
int enl_messages_sweep(enl_profile *p);

/* Takes in again notes already held (by id) that a new recognition tag may
 * now open (a session's window moved, an author was followed). */
int enl_notes_retake(enl_profile *p, const uint8_t (*ids)[32], size_t n, enl_sync_stats *stats);

/* enl_note_intake of a note whose content id (enl_note_id) the caller has
 * just computed from these very bytes, or NULL: a dead drop checks every
 * file against the id its name says, and the id is not computed twice. An
 * id that is not the note's would file the note under another note's name
 * (held, seen, purged): only ever pass the hash of these bytes. */
int enl_note_intake_id(enl_profile *p, const uint8_t *note, size_t len, const uint8_t *id,
                       enl_sync_stats *stats);

/* Takes in one purge record from any transport. */
int enl_purge_intake(enl_profile *p, const uint8_t *rec, size_t len, enl_sync_stats *stats);

#endif
