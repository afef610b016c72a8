/*
 * Intake: what every transport does with a note or a purge record it
 * received. A note is checked (size, version, expiry), refused when already
 * held, already read or already purged, then recognised:
 *
 *  1. its first 16 bytes are looked up among the recognition tags of every
 *     session (one keyed hash and one index lookup, whatever the number of
 *     sessions); a hit is decrypted with that session's ratchet, or, when
 *     the tag is a followed author's, opened and checked as a bulletin;
 *  2. otherwise one X25519 tries it as a first-contact note, which starts
 *     (or continues) a session from the X3DH values it carries;
 *  3. otherwise it is someone else's: kept to carry.
 *
 * A note for me is delivered once: the message (encrypted under the profile
 * key), the advanced session (whose used keys are now gone), the read mark
 * and the released purge key are written in one transaction. Then notes that
 * arrived before their session could recognise them are looked for again.
 * A bulletin is kept instead: read once, never purged, carried on.
 *
 * Notes that arrive out of order make the ratchet keep the keys of the
 * notes they skipped, at most ENL_RATCHET_MAX_SKIPPED a session, the oldest
 * given up first. A file's hundreds of parts can arrive in any order, so a
 * note whose opening would give up a key that another note still needs is
 * not opened yet: it is kept (as carried notes are) and opened once the
 * notes before it have come, when the rescan finds it by its tag. A cell
 * note that came before its member's sender key is found the same way once
 * the key arrives.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/cells.h"
#include "core/deliver.h"
#include "core/bulletin.h"
#include "core/files.h"
#include "core/messages.h"
#include "core/prekeys.h"
#include "core/session.h"
#include "core/tagcache.h"
#include "crypto/x3dh.h"
#include "note/note.h"
#include "util/bytes.h"
#include "util/secmem.h"

/* every tag a session or sender key has (crypto/ratchet.h, senderkey.h) */
#define SESSION_TAGS_MAX (3 * ENL_SESSION_WINDOW + ENL_RATCHET_MAX_SKIPPED + 3 * ENL_RATCHET_CHECKPOINTS_MAX)
#define RESCAN_MAX (SESSION_TAGS_MAX > ENL_SK_TAGS_MAX ? SESSION_TAGS_MAX : ENL_SK_TAGS_MAX)
/* Anyone who holds my card can start sessions from fresh identities: a
 * stranger's new session is refused once the store holds this many, and a
 * stranger's message once it holds this many messages. */
#define SESSIONS_MAX 4096
#define MESSAGES_MAX 100000  /* tags of one session, held notes per pass */

typedef struct {
    enl_note_header h;
    uint8_t id[ENL_IDBYTES];
    enl_session *s;          /* the session the note belongs to, advanced */
    enl_cell_opened *cell;   /* or the cell sender key that opened it (sodium_malloc) */
    enl_ratchet *before;     /* its ratchet before this note (sodium_malloc) */
    uint8_t *plain;          /* decrypted payload (sodium_malloc) */
    size_t plain_len;
    enl_payload pl;
    int is_bulletin;         /* a followed author's bulletin: b, not s and pl */
    enl_bulletin b;
    int seen;                /* ENL_EDUPLICATE because it was read here before */
    int not_yet;             /* ENL_ENOTFORME because it opens, but not before others */
    int new_session;         /* a first-contact note that began its session here */
    int outcome;             /* ENL_DELIVERY_*: what the delivery brought the user */
} opened;

static int open_session_note(enl_profile *p, const uint8_t *note, size_t len, opened *o)
{
    uint8_t h[32];
    int rc = enl_store_tag_lookup(p->st, note + ENL_NOTE_HEADERBYTES, h);
    if (rc != ENL_OK) return rc == ENL_ENOTFOUND ? ENL_ENOTFORME : rc;
    rc = enl_session_load(p, h, o->s);
    if (rc == ENL_ENOTFOUND) {
        /* Not a session's tag: a cell member's sender key ... */
        if ((o->cell = enl_secmem_alloc(sizeof *o->cell)) == NULL) return ENL_ENOMEM;
        rc = enl_cell_note_open(p, h, note, len, o->cell, o->plain, &o->plain_len);
        if (rc != ENL_ENOTFOUND) return rc;
        enl_secmem_free(o->cell);
        o->cell = NULL;
        /* ... or a position of an author this profile follows. */
        rc = enl_bulletin_recognise(p, h, note, len, o->plain, &o->b);
        o->is_bulletin = rc == ENL_OK;
        return rc == ENL_ENOTFOUND ? ENL_ENOTFORME : rc;
    }
    if (rc != ENL_OK) return rc;
    memcpy(o->before, &o->s->r, sizeof *o->before);
    return enl_ratchet_decrypt(&o->s->r, o->plain, &o->plain_len, note, ENL_NOTE_HEADERBYTES,
                               note + ENL_NOTE_HEADERBYTES, len - ENL_NOTE_HEADERBYTES,
                               o->pl.purge_key);
}

/* Bob's side of X3DH: a new session from the values a first note carries. */
static int session_accept(enl_profile *p, enl_session *s, uint32_t prekey_id)
{
    enl_x3dh_keys k;
    uint8_t spk_pk[32], spk_sk[32];
    int rc = enl_prekey_find(p, prekey_id, spk_pk, spk_sk);
    if (rc == ENL_ENOTFOUND)
        return enl_fail(p, ENL_EEXPIRED, "sealed to a prekey this profile has deleted: "
                        "it can no longer be opened");
    if (rc == ENL_OK)
        rc = enl_x3dh_bob(&k, p->id->dh_sk, p->id->dh_pk, spk_sk, spk_pk, s->peer_dh_pk, s->ek_pub);
    if (rc == ENL_OK) rc = enl_ratchet_init_bob(&s->r, k.sk, spk_sk, spk_pk, k.hka, k.nhkb);
    sodium_memzero(&k, sizeof k);
    sodium_memzero(spk_sk, sizeof spk_sk);
    return rc;
}

static int open_first_note(enl_profile *p, const uint8_t *note, size_t len, opened *o)
{
    uint8_t sender_dh[32], sender_sign[32], h[32], ek[32], *scratch;
    const uint8_t *inner = NULL;
    size_t inner_len = 0;
    uint32_t prekey_id;
    enl_rd r;
    int rc, known = 0;

    if ((scratch = enl_secmem_alloc(len)) == NULL) return ENL_ENOMEM;
    rc = enl_note_open_first(note, len, p->id->dh_sk, scratch, sender_dh, sender_sign, &inner,
                             &inner_len);
    if (rc != ENL_OK) goto out;
    r = enl_rd_init(inner, inner_len);
    prekey_id = enl_rd_u32(&r);
    enl_rd_bytes(&r, ek, 32);
    if (r.err || enl_rd_left(&r) < ENL_RATCHET_MSG_OVERHEAD) { rc = ENL_EMALFORMED; goto out; }
    /* The same start seen before continues its session; a new one replaces it. */
    enl_session_key(p, sender_dh, 0, h);
    rc = enl_session_load(p, h, o->s);
    if (rc == ENL_OK && sodium_memcmp(o->s->ek_pub, ek, 32) != 0) rc = ENL_ENOTFOUND;
    known = rc == ENL_OK;
    if (rc == ENL_ENOTFOUND) {
        enl_contact c;
        uint64_t n = 0;
        if (enl_contact_by_dh(p, sender_dh, &c) != ENL_OK &&
            (enl_store_count(p->st, "sessions", &n) != ENL_OK || n >= SESSIONS_MAX)) {
            rc = enl_fail(p, ENL_EFULL, "too many sessions: a first note from a stranger is refused");
            goto out;
        }
        memset(o->s, 0, sizeof *o->s);
        o->s->role = 0;
        memcpy(o->s->peer_dh_pk, sender_dh, 32);
        memcpy(o->s->peer_sign_pk, sender_sign, 32);
        memcpy(o->s->ek_pub, ek, 32);
        o->s->prekey_id = prekey_id;
        rc = session_accept(p, o->s, prekey_id);
    }
    if (rc == ENL_OK) memcpy(o->before, &o->s->r, sizeof *o->before);
    if (rc == ENL_OK)
        rc = enl_ratchet_decrypt(&o->s->r, o->plain, &o->plain_len, note, ENL_NOTE_HEADERBYTES,
                                 inner + r.off, inner_len - r.off, o->pl.purge_key);
    /* In a session already running, a message that no longer opens was
     * read before and its keys are gone. In a new one, the sender's key
     * made a note whose inside does not open: damaged. */
    if (rc == ENL_ENOTFORME) rc = known ? ENL_EDUPLICATE : ENL_EDECRYPT;
    o->new_session = rc == ENL_OK && !known;
out:
    enl_secmem_free(scratch);
    return rc;
}

/* A text (to me, or to a cell I am in) becomes an inbox row. */
static int deliver_text(enl_profile *p, const enl_delivery *d, int is_contact)
{
    enl_msg_rec m;
    uint8_t *buf;
    size_t len;
    int rc;

    memset(&m, 0, sizeof m);
    if (!is_contact) {
        uint64_t n = 0;
        if ((rc = enl_store_count(p->st, "messages", &n)) != ENL_OK) return rc;
        if (n >= MESSAGES_MAX)
            return enl_fail(p, ENL_EFULL, "the inbox is full: a note from a stranger is refused");
    }
    m.flags = ENL_MSG_NEW | (is_contact ? 0 : ENL_MSG_REQUEST);
    /* Burning forgot the sessions, so only a new one (a first-contact note
     * under the burned keys) gets here: whoever holds them may have sealed
     * it. Known now, not when shown: a burn later says nothing of it. */
    if (d->contact != NULL && d->contact->burned) m.flags |= ENL_MSG_AFTER_BURN;
    memcpy(m.sign_pk, d->sender_sign_pk, 32);
    memcpy(m.dh_pk, d->sender_dh_pk, 32);
    m.sent = d->sent;
    m.received = enl_now();
    m.disappear = d->disappear;
    memcpy(m.note_id, d->note_id, 32);
    m.text = d->body;
    m.text_len = d->body_len;
    m.in_cell = d->in_cell;
    memcpy(m.cell_id, d->cell_id, 32);
    len = enl_msg_size(&m);
    if ((buf = enl_secmem_alloc(len)) == NULL) return ENL_ENOMEM;
    enl_msg_encode(buf, &m);
    rc = enl_store_message_add(p->st, buf, len, NULL);
    enl_secmem_free(buf);
    return rc;
}

/* Hands the payload to the handler of its kind, inside the caller's
 * transaction. *is_contact says whether it counts as a message or a request. */
static int deliver_payload(enl_profile *p, opened *o, int *is_contact)
{
    enl_contact c;
    enl_delivery d;

    memset(&d, 0, sizeof d);
    *is_contact = enl_contact_by_dh(p, o->s->peer_dh_pk, &c) == ENL_OK &&
                  sodium_memcmp(c.card.sign_pk, o->s->peer_sign_pk, 32) == 0;
    d.kind = o->pl.kind;
    d.body = o->pl.body;
    d.body_len = o->pl.body_len;
    d.sent = o->pl.sent;
    d.disappear = o->pl.disappear;
    memcpy(d.note_id, o->id, 32);
    memcpy(d.sender_sign_pk, o->s->peer_sign_pk, 32);
    memcpy(d.sender_dh_pk, o->s->peer_dh_pk, 32);
    d.contact = *is_contact ? &c : NULL;
    d.outcome = &o->outcome;
    switch (d.kind) {
    case ENL_KIND_TEXT:
        return deliver_text(p, &d, *is_contact);
    case ENL_KIND_CELL_LOG:
    case ENL_KIND_SENDER_KEY:
        return enl_cell_deliver(p, &d);
    case ENL_KIND_FILE_HEAD:
    case ENL_KIND_FILE_PART:
        /* Files are taken from contacts only: a stranger could fill the store. */
        return *is_contact ? enl_file_deliver(p, o->s->peer_sign_pk, o->s->peer_dh_pk, &o->pl,
                                              o->h.expiry_hours)
                           : enl_fail(p, ENL_EREFUSED, "a file from someone who is not a contact is refused");
    case ENL_KIND_INTRODUCTION:
        return enl_intro_deliver(p, &d);
    case ENL_KIND_INQUIRY:
    case ENL_KIND_ANSWER:
        return enl_inquiry_deliver(p, &d);
    default:
        return ENL_EVERSION;
    }
}

/* A cell note: an inbox row marked with the cell, the sender key saved.
 * Many read it, so its purge key is never released and it is kept to
 * carry on to the other members until it expires, as a note carried for
 * them (enl_quota_keep_read). */
static int deliver_cell(enl_profile *p, opened *o, const uint8_t *note, size_t len, int *is_contact,
                        unsigned *evicted)
{
    enl_delivery d;
    int rc;

    memset(&d, 0, sizeof d);
    d.kind = o->pl.kind;
    d.body = o->pl.body;
    d.body_len = o->pl.body_len;
    d.sent = o->pl.sent;
    d.disappear = o->pl.disappear;
    memcpy(d.note_id, o->id, 32);
    if ((rc = enl_cell_note_deliver(p, o->cell, &d)) != ENL_OK) return rc;
    *is_contact = 1;
    rc = deliver_text(p, &d, 1);
    if (rc == ENL_OK) rc = enl_store_set_add(p->st, "seen", o->id, o->h.expiry_hours);
    if (rc == ENL_OK) rc = enl_quota_keep_read(p, o->id, &o->h, note, len, evicted);
    return rc;
}

/* Hours a clock may be wrong by, either way, before the restart below
 * could begin again a chain the peer still enters. */
#define RESTART_MARGIN_HOURS 24

/* The peer wrote this on its current chain, under the ratchet key my
 * sending chain answered (no DH ratchet step, and opened in that chain, not
 * by a key kept from an older one: it had not entered my chain), when every message by
 * which it could have entered it (N < the tag window, and the checkpoints
 * past it up to MAX_SKIP) had expired a day
 * before, so that it refuses them from then on: it never will enter it,
 * and everything I seal on it would be carried unread for good. The chain
 * is begun again, which it expects next (enl_ratchet_restart_sending). A
 * peer away longer than notes live, while I wrote, is the case.
 *
 * Its `sent` is its clock's word: it must also be no more than a day
 * ahead of mine. A peer whose clock ran far ahead when it wrote, and was
 * put right before my first notes reached it, could still enter the chain
 * after I began it again, and our root keys would part for good. With
 * both bounds, my clock too says they had expired when it wrote. */
static int restart_if_never_entered(opened *o)
{
    const enl_ratchet *r = &o->s->r;
    uint64_t sent_hours = o->pl.sent / 3600;
    if (o->new_session || r->step != o->before->step || r->nr <= o->before->nr ||
        !r->restartable || r->ns == 0 ||
        r->window_expiry == 0 || sent_hours < (uint64_t)r->window_expiry + RESTART_MARGIN_HOURS ||
        sent_hours > (uint64_t)enl_now_hours() + RESTART_MARGIN_HOURS)
        return ENL_OK;
    return enl_ratchet_restart_sending(&o->s->r);
}

/* Every note of my chain before the current one had expired a day before
 * by the peer's clock when it wrote this, and by mine: none can still be
 * read, so PN need not ask the peer to wait for them
 * (enl_ratchet_forget_expired_previous). Both clocks: either running ahead
 * alone would make the peer give up notes it could still read. */
static void forget_expired_previous(opened *o)
{
    uint64_t sent_hours = o->pl.sent / 3600, now = enl_now_hours();
    uint64_t both = sent_hours < now ? sent_hours : now;
    if (o->new_session || both <= RESTART_MARGIN_HOURS) return;
    (void)enl_ratchet_forget_expired_previous(&o->s->r, (uint32_t)(both - RESTART_MARGIN_HOURS));
}

/* Writes a delivery inside the caller's transaction. */
static int deliver(enl_profile *p, opened *o, const uint8_t *note, size_t len, int *is_contact,
                   unsigned *evicted)
{
    int rc;
    if (o->cell != NULL) return deliver_cell(p, o, note, len, is_contact, evicted);
    if ((rc = restart_if_never_entered(o)) != ENL_OK) return rc;
    forget_expired_previous(o);
    /* The session is saved with the message: the keys that opened it are
     * gone. It is saved before the payload is acted on, never after: acting
     * on it may seal through this same session (a cell log makes us send a
     * new sender key to every member, its sender included) or forget it (a
     * burn), and saving the copy loaded before would then put back a
     * sending chain that has already sealed, and a message key would seal
     * twice. The caller's transaction still rolls both back together. */
    rc = enl_session_save(p, o->s);
    if (rc == ENL_OK) rc = deliver_payload(p, o, is_contact);
    /* Cell members are contacts (a cell adds them): a stranger's first
     * note costs no look through every cell. */
    if (rc == ENL_OK && o->new_session && *is_contact)
        rc = enl_cells_session_begun(p, o->s->peer_sign_pk, o->s->peer_dh_pk);
    if (rc == ENL_OK) rc = enl_store_set_add(p->st, "seen", o->id, o->h.expiry_hours);
    /* Release the purge key: every courier that learns it deletes its copy. */
    if (rc == ENL_OK)
        rc = enl_store_purge_put(p->st, o->h.purge_lock, o->pl.purge_key, o->h.expiry_hours);
    if (rc == ENL_OK) rc = enl_store_note_release(p->st, o->h.purge_lock, NULL, NULL);
    return rc;
}

/* 1 when opening the note (before -> after, no DH ratchet step) made the
 * ratchet give up skipped keys to make room: keys another note of the
 * chain still needs. Only a note read in the current chain adds keys (Nr
 * moves); one opened by a skipped key removes just that key and moves
 * nothing, and a DH step ages keys out as it should. */
static int gives_up_keys(const enl_ratchet *before, const enl_ratchet *after)
{
    if (before->step != after->step || before->nr == after->nr) return 0;
    for (size_t i = 0; i < before->nskipped; i++) {
        int kept = 0;
        for (size_t j = 0; j < after->nskipped && !kept; j++)
            kept = before->skipped[i].n == after->skipped[j].n &&
                   sodium_memcmp(before->skipped[i].hk, after->skipped[j].hk, 32) == 0;
        if (!kept) return 1;
    }
    return 0;
}

/* Checks and opens a note; on ENL_OK o holds the session and payload. id,
 * when not NULL, is the note's content id, already computed from these
 * bytes by the caller: a note is hashed whole for its id, and a file's
 * parts are 64 KiB each, so hashing it again would cost as much as its
 * AEAD. */
static int open_note(enl_profile *p, const uint8_t *note, size_t len, const uint8_t *id,
                     opened *o, int held)
{
    int rc;
    if ((rc = enl_note_header_parse(&o->h, note, len, enl_now_hours())) != ENL_OK) return rc;
    if (id != NULL) memcpy(o->id, id, ENL_IDBYTES);
    else enl_note_id(o->id, note, len);
    if (!held && (rc = enl_store_note_has(p->st, o->id)) != 0) return rc < 0 ? rc : ENL_EDUPLICATE;
    if ((rc = enl_store_set_has(p->st, "seen", o->id)) != 0) {
        o->seen = rc > 0;
        return rc < 0 ? rc : ENL_EDUPLICATE;
    }
    if ((rc = enl_store_purge_has(p->st, o->h.purge_lock)) != 0) return rc < 0 ? rc : ENL_EPURGED;
    o->plain_len = 0;
    rc = open_session_note(p, note, len, o);
    if (rc == ENL_OK && o->cell == NULL && !o->is_bulletin && gives_up_keys(o->before, &o->s->r)) {
        o->not_yet = 1;
        return ENL_ENOTFORME;   /* not yet: kept as carried, and found again by its tag */
    }
    if (rc == ENL_ENOTFORME) {
        rc = open_first_note(p, note, len, o);
        /* A first-contact note has no tag to be found again by: refused for
         * now, so that the transport offers it again at the next sync. */
        if (rc == ENL_OK && gives_up_keys(o->before, &o->s->r))
            return enl_fail(p, ENL_ETOOBIG, "arrived too far ahead of the notes before it: "
                            "it is taken at a later sync");
    }
    if (rc != ENL_OK || o->is_bulletin) return rc;
    if ((rc = enl_payload_parse(&o->pl, o->plain, o->plain_len)) != ENL_OK) return rc;
    /* A cell note's lock has no key (no member may purge it for the
     * others); a pairwise note's purge key came out of its message key. */
    return o->cell != NULL ? ENL_OK : enl_payload_check_lock(&o->pl, o->h.purge_lock);
}

static int opened_init(opened *o, size_t len)
{
    memset(o, 0, sizeof *o);
    o->s = enl_secmem_alloc(sizeof *o->s);
    o->before = enl_secmem_alloc(sizeof *o->before);
    o->plain = enl_secmem_alloc(len);
    return (o->s == NULL || o->before == NULL || o->plain == NULL) ? ENL_ENOMEM : ENL_OK;
}

static void opened_free(opened *o)
{
    if (o->s != NULL) enl_secmem_free(o->s);
    if (o->cell != NULL) enl_secmem_free(o->cell);
    if (o->before != NULL) enl_secmem_free(o->before);
    if (o->plain != NULL) enl_secmem_free(o->plain);
    sodium_memzero(o, sizeof *o);
}

/* Every held note a key's tags name, however many: a cap let anyone who
 * saw a note's tag (it is public to its carriers) hand over more copies of
 * it than the cap, which filled the list first, opened for nothing, and
 * kept the real note from ever being tried (review revE). Held notes are
 * bounded by the quota. */
typedef struct {
    uint8_t (*ids)[32];
    size_t n, cap;
    int err;
} held_list;

/* What a delivery may have made able to open notes held here: a pairwise
 * session (its window moved) or a member's sender key (it arrived, or its
 * chain moved). */
typedef struct {
    int session, sender_key;    /* which of the two (none, either or both) */
    uint8_t session_key[32];    /* the session's row key */
    uint8_t sk_row[32];         /* the sender key's row key */
} retake_from;

static int collect_held(void *ctx, const uint8_t id[32])
{
    held_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        /* which notes are this profile's: no copy left in freed heap */
        uint8_t (*v)[32] = enl_grow_wiped(l->ids, l->cap * sizeof *v, cap * sizeof *v);
        if (v == NULL) {
            l->err = ENL_ENOMEM;
            return 1;
        }
        l->ids = v;
        l->cap = cap;
    }
    memcpy(l->ids[l->n++], id, 32);
    return 0;
}

/* Notes carried because no session recognised them yet, that the tags of
 * session s (row key h) now recognise. */
static int find_held(enl_profile *p, const uint8_t h[32], const enl_session *s, held_list *l)
{
    uint8_t (*tags)[16] = malloc(RESCAN_MAX * sizeof *tags);
    size_t n;
    int rc = ENL_OK;
    if (tags == NULL) return ENL_ENOMEM;
    n = enl_tags_cached(p, h, &s->r, tags, RESCAN_MAX, ENL_SESSION_WINDOW);
    for (size_t i = 0; rc == ENL_OK && i < n && !l->err; i++)
        rc = enl_store_notes_by_tag(p->st, tags[i], collect_held, l);
    if (rc == ENL_OK || rc > 0) rc = l->err;
    enl_free_wiped(tags, RESCAN_MAX * sizeof *tags);   /* which notes are the session's */
    return rc;
}

/* A note read here before comes again and is not held: a cell note or a
 * bulletin (many read it, so no purge key of it was released here) whose
 * copy found no room when it was read, or was pushed out since. It is kept
 * now if its source is owed room, as any note carried for others: that it
 * was read here must not make it the one note a flood keeps out for good.
 * A pairwise note read here has its purge released: never carried again.
 * ENL_EDUPLICATE when it is not kept. */
static int keep_read_again(enl_profile *p, const opened *o, const uint8_t *note, size_t len,
                           unsigned *evicted)
{
    int rc = enl_store_purge_has(p->st, o->h.purge_lock);
    if (rc != 0) return rc < 0 ? rc : ENL_EDUPLICATE;
    rc = enl_quota_keep_read(p, o->id, &o->h, note, len, evicted);
    if (rc != ENL_OK) return rc;
    rc = enl_store_note_has(p->st, o->id);
    return rc < 0 ? rc : rc == 1 ? ENL_OK : ENL_EDUPLICATE;
}

/* A delivered note that is no message: the ones people act on are counted
 * apart, so that a sync can say which command shows them; only when they
 * are new to the user (outcome: ENL_DELIVERY_*), and an answer that
 * replaces the same person's earlier one is named as such. */
static void count_other(enl_sync_stats *stats, uint8_t kind, int outcome)
{
    stats->other_notes++;
    if (outcome == ENL_DELIVERY_NOTHING) return;
    if (kind == ENL_KIND_INTRODUCTION) stats->introductions++;
    if (kind == ENL_KIND_CELL_LOG) stats->cell_invitations++;
    if (kind == ENL_KIND_INQUIRY) stats->inquiries++;
    if (kind == ENL_KIND_ANSWER && outcome == ENL_DELIVERY_REPLACED) stats->answers_replaced++;
    else if (kind == ENL_KIND_ANSWER) stats->answers++;
}

uint64_t enl_sync_received(const enl_sync_stats *s)
{
    uint64_t n = s->notes_received + s->delivered + s->requests + s->file_notes + s->other_notes;
    return n >= s->from_held ? n - s->from_held : 0;
}

/* One note, in one write transaction: the checks, the session load, the
 * decryption and the writes are serialised with every other process using
 * the profile, so two syncs at once never deliver a note twice nor lose a
 * session's progress. On a delivery, *next (may be NULL) says what held
 * notes to look for again. */
static int intake_one(enl_profile *p, const uint8_t *note, size_t len, const uint8_t *id,
                      enl_sync_stats *stats, int held, retake_from *next)
{
    opened o;
    int rc = opened_init(&o, len), delivered = 0, carried = 0, is_contact = 0, read = 0;
    int carried_again = 0;
    unsigned evicted = 0;

    if (next != NULL) next->session = next->sender_key = 0;
    if (rc == ENL_OK) rc = enl_store_begin(p->st);
    if (rc != ENL_OK) {
        opened_free(&o);
        return rc;
    }
    rc = open_note(p, note, len, id, &o, held);
    if (rc == ENL_OK && o.is_bulletin) {
        rc = enl_bulletin_keep(p, &o.b, &o.h, o.id, note, len, held, &evicted);
        read = rc == ENL_OK;
    } else if (rc == ENL_OK) {
        rc = deliver(p, &o, note, len, &is_contact, &evicted);
        delivered = rc == ENL_OK;
    } else if (rc == ENL_EDUPLICATE && o.seen && !held) {
        rc = keep_read_again(p, &o, note, len, &evicted);
        carried_again = rc == ENL_OK;
    } else if (rc == ENL_ENOTFORME && !held) {
        rc = enl_quota_make_room(p, len, &evicted);
        if (rc == ENL_OK)
            rc = enl_store_note_put(p->st, o.id, o.h.purge_lock, o.h.expiry_hours,
                                    note + ENL_NOTE_HEADERBYTES, enl_intake_source_current(p),
                                    note, len);
        carried = rc == ENL_OK;
    }
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
    if (rc != ENL_OK) delivered = carried = read = carried_again = 0;
    if (rc != ENL_OK && evicted > 0) enl_quota_forget(p);   /* the evictions rolled back */
    if (rc == ENL_OK && stats != NULL) stats->notes_evicted += evicted;
    if (read && stats != NULL) stats->bulletins++;
    if (read && !held) {
        enl_quota_forget(p);   /* its copy to carry on may not have found room */
        if (stats != NULL) stats->notes_received++;
    }
    if (carried_again) {
        enl_quota_forget(p);
        if (stats != NULL) stats->notes_received++;
    }
    if (carried) {
        enl_quota_note_added(p, len);
        if (stats != NULL) stats->notes_received++;
    }
    if (delivered) {
        enl_quota_forget(p);
        if (stats != NULL && held) stats->from_held++;
        if (stats != NULL) {
            if (o.pl.kind == ENL_KIND_FILE_HEAD || o.pl.kind == ENL_KIND_FILE_PART)
                stats->file_notes++;
            else if (o.pl.kind != ENL_KIND_TEXT && o.pl.kind != ENL_KIND_CELL_TEXT)
                count_other(stats, o.pl.kind, o.outcome);   /* no inbox row: not a "new message" */
            else if (is_contact) stats->delivered++;
            else stats->requests++;
            if (o.cell != NULL) stats->cell_delivered++;
        }
        if (next != NULL && o.cell != NULL) {
            next->sender_key = 1;
            memcpy(next->sk_row, o.cell->row, 32);
        } else if (next != NULL) {
            next->session = 1;
            enl_session_key(p, o.s->peer_dh_pk, o.s->role, next->session_key);
            if (o.pl.kind == ENL_KIND_SENDER_KEY && o.pl.body_len >= 64) {
                enl_delivery d;
                memset(&d, 0, sizeof d);
                d.body = o.pl.body;
                d.body_len = o.pl.body_len;
                memcpy(d.sender_sign_pk, o.s->peer_sign_pk, 32);
                next->sender_key = 1;
                enl_cell_key_row(p, &d, next->sk_row);
            }
        }
    }
    opened_free(&o);
    return rc;
}

/* After a delivery, the held notes that the session (or sender key) now
 * recognises are tried, in the order its tags list them (the current
 * chain's message numbers ascending, then the skipped keys), again and
 * again while a pass delivers something. Every delivery takes a note out of
 * the notes table, so this ends after at most as many passes as notes are
 * held (a quota bounds those); a pass that delivers nothing ends it. */
static int rescan(enl_profile *p, int sender_key, const uint8_t key[32], enl_sync_stats *stats)
{
    held_list l = { NULL, 0, 0, ENL_OK };
    enl_session *s = enl_secmem_alloc(sizeof *s);
    int rc = s == NULL ? ENL_ENOMEM : ENL_OK, progress = 1;

    while (rc == ENL_OK && progress) {
        progress = 0;
        l.n = 0;
        /* Nothing held: nothing to look for (the usual case at the end of
         * a conversation's notes, where each tag would be looked up). */
        if ((rc = enl_store_note_any(p->st)) <= 0) break;
        rc = ENL_OK;
        if (!sender_key) {
            if (enl_session_load(p, key, s) != ENL_OK) break;   /* forgotten meanwhile */
            rc = find_held(p, key, s, &l);
        } else {
            rc = enl_cell_held_notes(p, key, collect_held, &l);
            if (rc == ENL_ENOTFOUND) rc = ENL_OK;               /* the key is gone */
            if (rc == ENL_OK) rc = l.err;
        }
        for (size_t i = 0; rc == ENL_OK && i < l.n; i++) {
            uint8_t *held = NULL;
            size_t hl = 0;
            retake_from got;
            if (enl_store_note_get(p->st, l.ids[i], &held, &hl) != ENL_OK) continue;
            /* its row key is its id, computed from these bytes when kept */
            (void)intake_one(p, held, hl, l.ids[i], stats, 1, &got);
            progress += got.session || got.sender_key;
            free(held);
            /* a held note of the session brought a sender key: the cell
             * notes that came before it are looked for too (once: a sender
             * key's rescan brings no other sender key) */
            if (!sender_key && got.sender_key) rc = rescan(p, 1, got.sk_row, stats);
        }
    }
    enl_free_wiped(l.ids, l.cap * sizeof *l.ids);
    if (s != NULL) enl_secmem_free(s);
    return rc;
}

static int rescan_after(enl_profile *p, const retake_from *next, enl_sync_stats *stats)
{
    int rc = ENL_OK;
    if (next->session) rc = rescan(p, 0, next->session_key, stats);
    if (rc == ENL_OK && next->sender_key) rc = rescan(p, 1, next->sk_row, stats);
    return rc;
}

int enl_notes_retake(enl_profile *p, const uint8_t (*ids)[32], size_t n, enl_sync_stats *stats)
{
    int rc = ENL_OK;
    for (size_t i = 0; rc == ENL_OK && i < n; i++) {
        uint8_t *held = NULL;
        size_t hl = 0;
        retake_from next;
        if (enl_store_note_get(p->st, ids[i], &held, &hl) != ENL_OK) continue;
        (void)intake_one(p, held, hl, ids[i], stats, 1, &next);
        free(held);
        rc = rescan_after(p, &next, stats);
    }
    return rc;
}

int enl_note_intake_id(enl_profile *p, const uint8_t *note, size_t len, const uint8_t *id,
                       enl_sync_stats *stats)
{
    retake_from next;
    /* Bulletin tags follow the calendar: once a day, before anything. */
    int rc = enl_follows_refresh(p, stats);

    if (rc == ENL_OK) rc = intake_one(p, note, len, id, stats, 0, &next);
    if (rc == ENL_OK) rc = rescan_after(p, &next, stats);
    return rc;
}

int enl_note_intake(enl_profile *p, const uint8_t *note, size_t len, enl_sync_stats *stats)
{
    return enl_note_intake_id(p, note, len, NULL, stats);
}

int enl_note_peek(enl_profile *p, const uint8_t *note, size_t len,
                  int (*cb)(const enl_message *m, void *ctx), void *ctx)
{
    opened o;
    enl_message m;
    enl_contact c;
    uint8_t fp[32];
    int rc = opened_init(&o, len);

    /* Like intake, but nothing is stored: the session advanced here is dropped. */
    if (rc == ENL_OK) rc = open_note(p, note, len, NULL, &o, 1);
    /* For me, but not yet (it would give up keys, or skip more than the
     * ratchet allows): say so, not "not for this profile". */
    if ((rc == ENL_ENOTFORME && o.not_yet) || (rc == ENL_ETOOBIG && len <= ENL_NOTE_MAX))
        rc = enl_fail(p, ENL_ETOOBIG, "arrived too far ahead of the notes before it: "
                      "it opens once they have come");
    if (rc == ENL_OK && o.is_bulletin) {
        memset(&m, 0, sizeof m);
        /* only a contact's name: a card's name is the author's to choose */
        if (!enl_bulletin_author_name(p, o.b.sign_pk, o.b.dh_pk, m.from)) m.from[0] = '\0';
        enl_fingerprint_raw(fp, o.b.sign_pk, o.b.dh_pk);
        enl_fingerprint_text(m.from_fingerprint, fp);
        m.text = (const char *)o.b.text;
        m.text_len = o.b.text_len;
        m.sent = o.b.published;
        m.received = enl_now();
        memcpy(m.note_id, o.id, 32);
        m.is_new = 1;
        rc = cb(&m, ctx);
    } else if (rc == ENL_OK) {
        const uint8_t *sign = o.cell != NULL ? o.cell->sender_sign : o.s->peer_sign_pk;
        const uint8_t *dh = o.cell != NULL ? o.cell->sender_dh : o.s->peer_dh_pk;
        memset(&m, 0, sizeof m);
        if (enl_contact_by_dh(p, dh, &c) == ENL_OK && sodium_memcmp(c.card.sign_pk, sign, 32) == 0) {
            memcpy(m.from, c.name, sizeof m.from);
            m.after_burn = c.burned;
        } else
            m.is_request = 1;
        enl_fingerprint_raw(fp, sign, dh);
        enl_fingerprint_text(m.from_fingerprint, fp);
        m.text = (const char *)o.pl.body;
        m.text_len = o.pl.body_len;
        if (o.pl.kind == ENL_KIND_CELL_TEXT && o.pl.body_len >= 32) {
            if (enl_cell_name(p, o.pl.body, m.cell) != ENL_OK) snprintf(m.cell, sizeof m.cell, "?");
            m.text += 32;
            m.text_len -= 32;
        } else if (o.pl.kind != ENL_KIND_TEXT) {
            static const char what[] = "(not a text: a cell's membership or keys, an introduction or an inquiry)";
            m.text = what;
            m.text_len = sizeof what - 1;
        }
        m.sent = o.pl.sent;
        m.received = enl_now();
        memcpy(m.note_id, o.id, 32);
        m.is_new = 1;
        rc = cb(&m, ctx);
    }
    opened_free(&o);
    return rc;
}

int enl_purge_intake(enl_profile *p, const uint8_t *rec, size_t len, enl_sync_stats *stats)
{
    uint8_t key[ENL_PURGEKEYBYTES], lock[ENL_PURGELOCKBYTES];
    uint32_t expiry, note_expiry = 0, held_expiry = 0;
    uint64_t released = 0;
    int rc = enl_purge_parse(&expiry, key, lock, rec, len, enl_now_hours());

    if (rc != ENL_OK) return rc;
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    /* A record's expiry is bound to nothing (its lock hashes the key alone):
     * a courier can shorten it, and the purge would die before its note,
     * which then spreads again. The purge is kept until the latest expiry
     * any copy of it gave, and at least until that of the note it
     * released here. */
    if ((rc = enl_store_purge_has(p->st, lock)) != 0) {
        if (rc < 0 || (rc = enl_store_purge_get(p->st, lock, key, &held_expiry)) != ENL_OK ||
            expiry <= held_expiry || (rc = enl_store_purge_put(p->st, lock, key, expiry)) != ENL_OK) {
            enl_store_rollback(p->st);
            return rc < 0 ? rc : ENL_EDUPLICATE;
        }
        rc = enl_store_commit(p->st);   /* the same purge, kept longer */
        return rc != ENL_OK ? rc : ENL_EDUPLICATE;
    }
    /* Anyone can make a valid purge (a random key and its hash): one that
     * releases nothing here and is none of mine is kept, to pass on, only
     * while the store holds fewer purges than its quota of notes, so a
     * flood of them cannot grow the store and every sync without end. */
    rc = enl_store_note_release(p->st, lock, &released, &note_expiry);
    if (note_expiry > expiry) expiry = note_expiry;
    if (rc == ENL_OK && released == 0 && enl_store_set_has(p->st, "outbox", lock) == 0) {
        int room = enl_quota_purge_room(p);
        if (room <= 0) {
            enl_store_rollback(p->st);
            return room < 0 ? room : ENL_OK;   /* not kept, and not an error */
        }
    }
    if (rc == ENL_OK) rc = enl_store_purge_put(p->st, lock, key, expiry);
    /* One of mine came through: it is no longer outgoing. */
    if (rc == ENL_OK) rc = enl_store_set_del(p->st, "outbox", lock);
    if (rc == ENL_OK) {
        uint8_t h[32];
        enl_store_index(p->st, h, "outgoing", lock, ENL_PURGELOCKBYTES);
        rc = enl_store_row_delete(p->st, "outgoing", h);
    }
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
    if (rc == ENL_OK && released > 0) enl_quota_forget(p);
    if (rc == ENL_OK) enl_quota_purge_added(p);
    if (rc == ENL_OK && stats != NULL) {
        stats->purges_received++;
        stats->released += released;
    }
    return rc;
}
