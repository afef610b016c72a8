/*
 * Cells: vouched admission, removal, burns, and notes sealed once for every
 * member (layout of the stored rows in cells.h).
 *
 * Every change is a signed statement (cell/statement.h). Its author keeps it
 * in the cell's log and sends the whole log, over the pairwise sessions, to
 * every member; a device that learns statements it did not have sends the
 * grown log on to every member but the one it came from. Logs only grow and
 * are small, so this ends, and every member ends up with every statement.
 * From its log each device computes the membership (cell/membership.h);
 * when it changes, the device:
 *
 *   - adds members it did not know as contacts, marked "cell NAME";
 *   - burns (here) a member removed by k BURN vouches, and re-keys every
 *     other cell it shares with them, as `burn` does (while it is in the
 *     cell, or in the change that takes it out: not after);
 *   - makes a new sender key for the new membership and hands it to every
 *     member over the pairwise sessions: a removed member never gets one,
 *     a new member never gets an old one;
 *   - when it is no longer a member itself, deletes every key of the cell.
 *
 * A new cell is accepted from a log only when I am a member in it and one
 * of my contacts vouched for me: a stranger cannot enrol me in a cell of
 * their own making. Even then it is only an invitation until the user
 * joins it (enl_cell_join): before that the device takes its log and the
 * members' sender keys, and reads their cell notes, but adds no contact,
 * burns no one, signs nothing and sends nothing for it. Else one contact
 * who turned could found cells of its own keys and make them all contacts
 * here, or burn one of my contacts by a cell of its own making.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell/membership.h"
#include "core/cells.h"
#include "core/messages.h"
#include "core/send.h"
#include "note/note.h"
#include "util/bytes.h"
#include "util/secmem.h"

#define CELL_VERSION 1
#define SK_ROW_VERSION 1
/* The derivation of the sender key tags in the tags table (secret
 * "cell_tags"): 2 names the signing key, 3 adds the checkpoints past the
 * window (crypto/senderkey.c). */
#define CELL_TAGS_VERSION 3
#define SK_KEPT 3                /* sender keys kept per member of a cell */
#define SK_ORDER_BYTES 10        /* of a key id: statements u16 | created u64 */
#define LOG_MAX_BYTES ENL_TEXT_MAX
/* The largest REMOVE or BURN (LEAVE is smaller): a reason of 200 bytes. */
#define EXIT_STMT_MAXBYTES (1 + 1 + 32 + 32 + 8 + 4 + 4 + 32 + 32 + 1 + ENL_STMT_REASONMAX + 64)
/* The bytes kept for the exits the places ENL_CELL_EXITS_RESERVED keep: a
 * log is one note, and statements that are no exit (an ADD carries a whole
 * card) could otherwise fill its bytes long before its places, and no burn
 * would fit (review revB). */
#define LOG_EXITS_RESERVED_BYTES (ENL_CELL_EXITS_RESERVED * (2 + EXIT_STMT_MAXBYTES))
#define FLAG_MEMBER 1
#define FLAG_KEY_MISSED 2        /* my sender key could not be sealed to every member */
#define FLAG_INVITED 4           /* admitted, not yet joined by the user (enl_cell_join) */
#define KEY_CLOCK_SLOT "cell_key_clock"   /* u64: the second my last sender key was made */

typedef struct {
    uint8_t cell_id[32];
    char name[ENL_NAME_MAX + 1];
    uint8_t epoch[32];
    int member;
    int key_missed;
    int invited;
    int has_sk;
    uint8_t sk_epoch[32];
    enl_senderkey sk;
    size_t n;
    uint8_t *raw[ENL_CELL_STMTS_MAX];
    size_t raw_len[ENL_CELL_STMTS_MAX];
    uint8_t ids[ENL_CELL_STMTS_MAX][32];
    enl_stmt st[ENL_CELL_STMTS_MAX];
    enl_cell_view view;
} cell_rec;

static cell_rec *rec_new(void)
{
    cell_rec *c = sodium_malloc(sizeof *c);
    if (c != NULL) memset(c, 0, sizeof *c);
    return c;
}

static void rec_free(cell_rec *c)
{
    if (c == NULL) return;
    /* the statements: who is in the cell, their cards and keys */
    for (size_t i = 0; i < c->n; i++) enl_free_wiped(c->raw[i], c->raw_len[i]);
    sodium_free(c);     /* wipes the sender key with the rest */
}

/* REMOVE, BURN and LEAVE: they take nobody in, and have their own share. */
static int is_exit(uint8_t type)
{
    return type == ENL_STMT_REMOVE || type == ENL_STMT_BURN || type == ENL_STMT_LEAVE;
}

/* Whether the author's share of the log has room for one more statement of
 * this type (membership.h). */
static int share_allows(const cell_rec *c, const uint8_t author[32], uint8_t type)
{
    size_t theirs = 0, exits = 0;
    for (size_t i = 0; i < c->n; i++) {
        const uint8_t *a = enl_stmt_author_of(c->raw[i], c->raw_len[i]);
        if (a == NULL || memcmp(a, author, 32) != 0) continue;
        theirs++;
        exits += c->raw_len[i] > 1 && is_exit(c->raw[i][1]);
    }
    return is_exit(type) ? exits < ENL_CELL_EXITS_PER_AUTHOR
                         : theirs - exits < ENL_CELL_STMTS_PER_AUTHOR - ENL_CELL_EXITS_PER_AUTHOR;
}

/* Adds one statement (checked) in the order of ids: 1 when new, 0 when
 * known, < 0 when refused. shares: hold it to its author's shares (not for
 * a record read back from the store, which holds what earlier versions
 * took under other rules). */
static int rec_merge(cell_rec *c, const uint8_t *in, size_t len, int shares)
{
    uint8_t id[32];
    enl_stmt s;
    size_t at;
    int rc = enl_stmt_parse(&s, in, len);
    if (rc != ENL_OK) return rc;
    if (c->n > 0 && memcmp(s.cell_id, c->cell_id, 32) != 0) return ENL_EMALFORMED;
    enl_stmt_id(id, in, len);
    for (at = 0; at < c->n; at++) {
        int cmp = memcmp(c->ids[at], id, 32);
        if (cmp == 0) return 0;
        if (cmp > 0) break;
    }
    if (shares && !share_allows(c, s.author, s.type)) return ENL_EREFUSED;
    if (c->n == ENL_CELL_STMTS_MAX) return ENL_EFULL;
    uint8_t *copy = malloc(len);
    if (copy == NULL) return ENL_ENOMEM;
    memcpy(copy, in, len);
    memmove(&c->raw[at + 1], &c->raw[at], (c->n - at) * sizeof c->raw[0]);
    memmove(&c->raw_len[at + 1], &c->raw_len[at], (c->n - at) * sizeof c->raw_len[0]);
    memmove(&c->ids[at + 1], &c->ids[at], (c->n - at) * sizeof c->ids[0]);
    c->raw[at] = copy;
    c->raw_len[at] = len;
    memcpy(c->ids[at], id, 32);
    if (c->n == 0) memcpy(c->cell_id, s.cell_id, 32);
    c->n++;
    return 1;
}

/* Parses every statement again (their card pointers follow the copies)
 * and computes the membership. */
static int rec_compute(cell_rec *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (enl_stmt_parse(&c->st[i], c->raw[i], c->raw_len[i]) != ENL_OK) return ENL_ESTORE;
    return enl_cell_compute(&c->view, c->st, c->n);
}

static void row_key(enl_profile *p, const uint8_t cell_id[32], uint8_t h[32])
{
    enl_store_index(p->st, h, "cells", cell_id, 32);
}

static int rec_save(enl_profile *p, const cell_rec *c)
{
    size_t cap = 1 + 32 + 1 + ENL_NAME_MAX + 32 + 1 + 1 + 32 + 2 + ENL_SK_SERIALIZED_MAX + 2, len;
    uint8_t h[32], *buf, skb[ENL_SK_SERIALIZED_MAX];
    enl_wr w;
    int rc;

    for (size_t i = 0; i < c->n; i++) cap += 2 + c->raw_len[i];
    if ((buf = sodium_malloc(cap)) == NULL) return ENL_ENOMEM;
    w = enl_wr_init(buf, cap);
    enl_wr_u8(&w, CELL_VERSION);
    enl_wr_bytes(&w, c->cell_id, 32);
    enl_wr_u8(&w, (uint8_t)strlen(c->name));
    enl_wr_bytes(&w, (const uint8_t *)c->name, strlen(c->name));
    enl_wr_bytes(&w, c->epoch, 32);
    enl_wr_u8(&w, (uint8_t)((c->member ? FLAG_MEMBER : 0) | (c->key_missed ? FLAG_KEY_MISSED : 0) |
                            (c->invited ? FLAG_INVITED : 0)));
    enl_wr_u8(&w, (uint8_t)(c->has_sk != 0));
    if (c->has_sk) {
        len = enl_senderkey_serialize(skb, &c->sk);
        enl_wr_bytes(&w, c->sk_epoch, 32);
        enl_wr_u16(&w, (uint16_t)len);
        enl_wr_bytes(&w, skb, len);
        sodium_memzero(skb, sizeof skb);
    }
    enl_wr_u16(&w, (uint16_t)c->n);
    for (size_t i = 0; i < c->n; i++) {
        enl_wr_u16(&w, (uint16_t)c->raw_len[i]);
        enl_wr_bytes(&w, c->raw[i], c->raw_len[i]);
    }
    row_key(p, c->cell_id, h);
    rc = w.err ? ENL_ETOOBIG : enl_store_row_put(p->st, "cells", h, buf, w.len);
    sodium_free(buf);
    return rc;
}

static int rec_decode(cell_rec *c, const uint8_t *in, size_t len)
{
    enl_rd r = enl_rd_init(in, len);
    const uint8_t *q;
    size_t n;
    int rc = ENL_OK;

    if (enl_rd_u8(&r) != CELL_VERSION) return ENL_ESTORE;
    enl_rd_bytes(&r, c->cell_id, 32);
    n = enl_rd_u8(&r);
    if ((q = enl_rd_ptr(&r, n)) == NULL || n > ENL_NAME_MAX) return ENL_ESTORE;
    memcpy(c->name, q, n);
    c->name[n] = '\0';
    enl_rd_bytes(&r, c->epoch, 32);
    n = enl_rd_u8(&r);
    c->member = (n & FLAG_MEMBER) != 0;
    c->key_missed = (n & FLAG_KEY_MISSED) != 0;
    c->invited = (n & FLAG_INVITED) != 0;
    c->has_sk = enl_rd_u8(&r);
    if (c->has_sk) {
        enl_rd_bytes(&r, c->sk_epoch, 32);
        n = enl_rd_u16(&r);
        if ((q = enl_rd_ptr(&r, n)) == NULL || enl_senderkey_parse(&c->sk, q, n) != ENL_OK)
            return ENL_ESTORE;
    }
    n = enl_rd_u16(&r);
    for (size_t i = 0; i < n && rc >= 0; i++) {
        size_t sl = enl_rd_u16(&r);
        if ((q = enl_rd_ptr(&r, sl)) == NULL) return ENL_ESTORE;
        rc = rec_merge(c, q, sl, 0);
    }
    if (r.err || enl_rd_left(&r) != 0 || rc < 0) return ENL_ESTORE;
    return rec_compute(c);
}

static int rec_load_id(enl_profile *p, const uint8_t cell_id[32], cell_rec **out)
{
    uint8_t h[32], *pt = NULL;
    size_t len = 0;
    cell_rec *c;
    int rc;

    row_key(p, cell_id, h);
    if ((rc = enl_store_row_get(p->st, "cells", h, &pt, &len)) != ENL_OK) return rc;
    if ((c = rec_new()) == NULL) rc = ENL_ENOMEM;
    else rc = rec_decode(c, pt, len);
    enl_store_free(pt, len);
    if (rc != ENL_OK) rec_free(c);
    else *out = c;
    return rc;
}

typedef struct {
    const char *name;
    uint8_t id[32];
    int found;
} name_ctx;

/* A cell row's id and name sit at fixed places: no need to decode it all. */
static int by_name_cb(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    name_ctx *f = ctx;
    (void)seq;
    if (len < 34 || pt[0] != CELL_VERSION || (size_t)pt[33] + 34 > len) return ENL_ESTORE;
    if (strlen(f->name) == pt[33] && memcmp(pt + 34, f->name, pt[33]) == 0) {
        memcpy(f->id, pt + 1, 32);
        f->found = 1;
        return 1;
    }
    return 0;
}

static int rec_load_name(enl_profile *p, const char *name, cell_rec **out)
{
    name_ctx f = { name, { 0 }, 0 };
    int rc = enl_store_row_each(p->st, "cells", by_name_cb, &f);
    if (rc != ENL_OK) return rc;
    if (!f.found)
        return enl_fail(p, ENL_ENOTFOUND, "no cell named \"%s\" (`enlace cell list` shows yours)", name);
    return rec_load_id(p, f.id, out);
}

int enl_cell_name(enl_profile *p, const uint8_t cell_id[32], char name[ENL_NAME_MAX + 1])
{
    uint8_t h[32], *pt = NULL;
    size_t len = 0;
    int rc;
    row_key(p, cell_id, h);
    if ((rc = enl_store_row_get(p->st, "cells", h, &pt, &len)) != ENL_OK) return rc;
    if (len < 34 || pt[33] > ENL_NAME_MAX || (size_t)pt[33] + 34 > len) rc = ENL_ESTORE;
    else {
        memcpy(name, pt + 34, pt[33]);
        name[pt[33]] = '\0';
    }
    enl_store_free(pt, len);
    return rc;
}

/* ---- sending statements, logs and sender keys -------------------------- */

/* The log as a payload body: cell id | count u16 | (length u16 | statement)*. */
/* The log's statements whose Lamport clock is at most `until` (all of
 * them: UINT32_MAX). */
static int log_body_until(const cell_rec *c, uint32_t until, uint8_t **out, size_t *len)
{
    size_t cap = 32 + 2, n = 0;
    enl_wr w;
    for (size_t i = 0; i < c->n; i++)
        if (c->st[i].clock <= until) {
            cap += 2 + c->raw_len[i];
            n++;
        }
    if (cap > LOG_MAX_BYTES) return ENL_ETOOBIG;
    if ((*out = malloc(cap)) == NULL) return ENL_ENOMEM;
    w = enl_wr_init(*out, cap);
    enl_wr_bytes(&w, c->cell_id, 32);
    enl_wr_u16(&w, (uint16_t)n);
    for (size_t i = 0; i < c->n; i++) {
        if (c->st[i].clock > until) continue;
        enl_wr_u16(&w, (uint16_t)c->raw_len[i]);
        enl_wr_bytes(&w, c->raw[i], c->raw_len[i]);
    }
    *len = w.len;
    return ENL_OK;
}

static int log_body(const cell_rec *c, uint8_t **out, size_t *len)
{
    return log_body_until(c, UINT32_MAX, out, len);
}

static int by_clock(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* 1 when the log's statements with a Lamport clock up to `until` say that
 * who is out (scratch: room for the log's statements, and a view). */
static int out_by(const cell_rec *c, const uint8_t who[32], uint32_t until, enl_stmt *scratch,
                  enl_cell_view *v)
{
    const enl_cell_person *m;
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->st[i].clock <= until) scratch[k++] = c->st[i];
    if (enl_cell_compute(v, scratch, k) != ENL_OK) return 0;
    m = enl_cell_find(v, who);
    return m != NULL && m->state == ENL_CELL_REMOVED;
}

/* The log a member who has just gone gets, to hear of it: cut at the
 * earliest Lamport clock of a statement that took them out (a REMOVE or
 * BURN naming them, or their LEAVE) at which the log already says they are
 * out. Whoever merges their removal and later admissions at once would
 * otherwise hand a member removed on suspicion the cards of those who
 * joined after them; and cut after the last such statement, one more vouch
 * signed late (by a member whose clock ran ahead, or planted by the
 * removed member themselves) would move the cut past those admissions.
 * When no cut says so, the last such statement's. */
static int log_body_for_gone(const cell_rec *c, const uint8_t who[32], uint8_t **out, size_t *len)
{
    uint32_t clocks[ENL_CELL_STMTS_MAX], until = UINT32_MAX;
    enl_stmt *scratch = NULL;
    enl_cell_view *v = NULL;
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        if (is_exit(c->st[i].type) && memcmp(c->st[i].subject_sign, who, 32) == 0)
            clocks[n++] = c->st[i].clock;
    if (n > 0) {
        qsort(clocks, n, sizeof clocks[0], by_clock);
        until = clocks[n - 1];
        scratch = malloc(c->n * sizeof *scratch);
        v = malloc(sizeof *v);
        if (scratch == NULL || v == NULL) {
            free(scratch);
            free(v);
            return ENL_ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
            if ((i == 0 || clocks[i] != clocks[i - 1]) && out_by(c, who, clocks[i], scratch, v)) {
                until = clocks[i];
                break;
            }
        /* members' names and cards */
        sodium_memzero(scratch, c->n * sizeof *scratch);
        sodium_memzero(v, sizeof *v);
        free(scratch);
        free(v);
    }
    return log_body_until(c, until, out, len);
}

/* The contact who is this cell person, if any (and not burned). */
static int person_contact(enl_profile *p, const enl_cell_person *m, enl_contact *out)
{
    if (enl_contact_by_dh(p, m->dh_pk, out) != ENL_OK) return ENL_ENOTFOUND;
    if (sodium_memcmp(out->card.sign_pk, m->sign_pk, 32) != 0 || out->burned) return ENL_ENOTFOUND;
    return ENL_OK;
}

/* 1 when these keys are burned on this device: a contact's burned here,
 * or keys whose revocation (a burn notice they signed) this device holds,
 * or held until it expired (enl_burn_key_known), taken before they were
 * anyone here (notices travel on their own). What
 * they sign or seal now may come from whoever holds the seized device,
 * even while the cell still counts them as a member (k burn vouches not in
 * yet). */
static int contact_burned_here(enl_profile *p, const uint8_t sign_pk[32], const uint8_t dh_pk[32])
{
    enl_contact k;
    return enl_contact_by_dh(p, dh_pk, &k) == ENL_OK &&
           sodium_memcmp(k.card.sign_pk, sign_pk, 32) == 0 && k.burned;
}

static int burned_here(enl_profile *p, const uint8_t sign_pk[32], const uint8_t dh_pk[32])
{
    return contact_burned_here(p, sign_pk, dh_pk) || enl_burn_key_known(p, sign_pk) == 1;
}

static int is_me(enl_profile *p, const uint8_t sign_pk[32])
{
    return sodium_memcmp(sign_pk, p->id->sign_pk, 32) == 0;
}

/* A member in the cell's view who has also joined it here: only then does
 * this device sign, seal or burn anything for the cell. */
static int joined_member(enl_profile *p, const cell_rec *c)
{
    return !c->invited && enl_cell_is_member(&c->view, p->id->sign_pk);
}

/* Whether a seal to a member failed only because nothing can reach them
 * from here yet: no session runs with them and the card I hold for them
 * (the one a statement carried, never made again) has expired. Their own
 * first note to me starts a session; until then, refusing the whole log
 * would keep a newcomer to a cell older than a card out of it for good. */
static int unreachable_now(int rc)
{
    return rc == ENL_EEXPIRED;
}

/* Sends the log to every member but me and `except` (may be NULL): the
 * members of the current view and those of `before` (may be NULL), so that
 * someone just removed hears of it too. */
static int send_log(enl_profile *p, const cell_rec *c, const enl_cell_view *before,
                    const uint8_t *except)
{
    uint8_t *body = NULL;
    size_t len = 0;
    int rc = log_body(c, &body, &len);
    for (size_t i = 0; rc == ENL_OK && i < c->view.npeople; i++) {
        const enl_cell_person *m = &c->view.people[i];
        enl_contact k;
        int was = before != NULL && enl_cell_is_member(before, m->sign_pk);
        if ((m->state != ENL_CELL_MEMBER && !was) || is_me(p, m->sign_pk)) continue;
        if (except != NULL && memcmp(m->sign_pk, except, 32) == 0) continue;
        if (person_contact(p, m, &k) != ENL_OK) continue;
        if (m->state != ENL_CELL_MEMBER) {
            uint8_t *cut = NULL;
            size_t cut_len = 0;
            rc = log_body_for_gone(c, m->sign_pk, &cut, &cut_len);
            if (rc == ENL_OK) rc = enl_seal_kind(p, &k, ENL_KIND_CELL_LOG, cut, cut_len, NULL, NULL);
            if (cut != NULL) enl_free_wiped(cut, cut_len);
        } else {
            rc = enl_seal_kind(p, &k, ENL_KIND_CELL_LOG, body, len, NULL, NULL);
        }
        if (unreachable_now(rc)) rc = ENL_OK;    /* the other members send it on to them */
    }
    enl_free_wiped(body, len);  /* the log: who is in the cell */
    return rc;
}

int enl_cell_key_message(uint8_t out[ENL_CELL_KEYMSG_BYTES], const enl_senderkey *sk,
                         const uint8_t cell_id[32], const uint8_t key_id[32],
                         const enl_identity *me, const uint8_t receiver_dh_pk[32])
{
    enl_sk_owner o = { cell_id, key_id, me->sign_pk, me->dh_pk, receiver_dh_pk };
    memcpy(out, cell_id, 32);
    memcpy(out + 32, key_id, 32);
    enl_senderkey_share(out + 64, sk);
    return enl_senderkey_prove(out + 64 + ENL_SK_SHAREBYTES, sk, &o);
}

/* A new key id of mine (cells.h: statements, then the second made). The
 * second is never the same as, nor before, that of my last key of any
 * cell: a member keeps SK_KEPT of my keys, the newest by that order, and
 * two of mine made in one second would tie and be kept in no set order,
 * so the one I write with could be dropped. Several can come in one
 * second (a sync that burns four people re-keys every other cell shared
 * with them four times), and a clock set back must not make my new keys
 * look older than those made before. The last second used is kept in the
 * store (slot KEY_CLOCK_SLOT). */
static int new_key_id(enl_profile *p, size_t statements, uint8_t key_id[32])
{
    uint8_t *v = NULL, b[8];
    size_t vl = 0;
    uint64_t created = enl_now(), last = 0;
    enl_wr w = enl_wr_init(b, sizeof b);
    int rc = enl_store_secret_get(p->st, KEY_CLOCK_SLOT, &v, &vl);
    if (rc == ENL_OK) {
        enl_rd r = enl_rd_init(v, vl);
        last = enl_rd_u64(&r);
        if (r.err || vl != sizeof b) rc = ENL_ESTORE;
        enl_store_free(v, vl);
    } else if (rc == ENL_ENOTFOUND) {
        rc = ENL_OK;
    }
    if (rc != ENL_OK) return rc;
    if (created <= last) created = last == UINT64_MAX ? last : last + 1;
    enl_wr_u64(&w, created);
    if ((rc = enl_store_secret_put(p->st, KEY_CLOCK_SLOT, b, sizeof b)) != ENL_OK) return rc;
    enl_cell_key_id(key_id, statements, created);
    return ENL_OK;
}

/* A new sender key for the current membership, handed to every member.
 * One who cannot be reached yet (unreachable_now) is left out, and the
 * cell marked: when a session with a member begins, they get the key then
 * (enl_cells_session_begun). */
static int rotate_sender_key(enl_profile *p, cell_rec *c)
{
    uint8_t body[ENL_CELL_KEYMSG_BYTES], key_id[32];
    int rc;

    enl_senderkey_wipe(&c->sk);
    if ((rc = enl_senderkey_generate(&c->sk)) != ENL_OK) return rc;
    c->has_sk = 1;
    memcpy(c->sk_epoch, c->view.epoch, 32);
    /* a fresh id per key: a re-key within one membership (a burn) is a new
     * key too, never mistaken for one a member already holds */
    if ((rc = new_key_id(p, c->n, key_id)) != ENL_OK) return rc;
    c->key_missed = 0;
    for (size_t i = 0; rc == ENL_OK && i < c->view.npeople; i++) {
        const enl_cell_person *m = &c->view.people[i];
        enl_contact k;
        if (m->state != ENL_CELL_MEMBER || is_me(p, m->sign_pk)) continue;
        /* keys burned here, by a notice too (a decoy's keys are the captor's) */
        if (person_contact(p, m, &k) != ENL_OK || burned_here(p, m->sign_pk, m->dh_pk)) continue;
        rc = enl_cell_key_message(body, &c->sk, c->cell_id, key_id, p->id, k.card.dh_pk);
        if (rc == ENL_OK) rc = enl_seal_kind(p, &k, ENL_KIND_SENDER_KEY, body, sizeof body, NULL, NULL);
        if (unreachable_now(rc)) {
            c->key_missed = 1;
            rc = ENL_OK;
        }
    }
    sodium_memzero(body, sizeof body);
    return rc;
}

static void sk_row_key(enl_profile *p, const uint8_t cell_id[32], const uint8_t sign_pk[32],
                       const uint8_t epoch[32], uint8_t h[32])
{
    uint8_t k[96];
    memcpy(k, cell_id, 32);
    memcpy(k + 32, sign_pk, 32);
    memcpy(k + 64, epoch, 32);
    enl_store_index(p->st, h, "senderkeys", k, sizeof k);
}

#define SK_ROW_FIXED (1 + 32 + 32 + 32 + 32 + 2)

typedef struct {
    uint8_t cell_id[32];
    uint8_t (*who)[64];         /* sign_pk || epoch of each sender key of the cell */
    size_t n, cap;
} sk_list;

static int collect_sk(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    sk_list *l = ctx;
    (void)seq;
    if (len < SK_ROW_FIXED) return ENL_ESTORE;
    if (memcmp(pt + 1, l->cell_id, 32) != 0) return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        /* who is in the cell: no copy left in freed heap */
        uint8_t (*v)[64] = enl_grow_wiped(l->who, l->cap * sizeof *v, cap * sizeof *v);
        if (v == NULL) return ENL_ENOMEM;
        l->who = v;
        l->cap = cap;
    }
    memcpy(l->who[l->n], pt + 1 + 32, 32);            /* sign_pk */
    memcpy(l->who[l->n] + 32, pt + 1 + 96, 32);       /* epoch */
    l->n++;
    return 0;
}

/* Deletes the sender keys of the cell held here, and their tags: all of
 * them, or (only_sign) those of one member. */
static int forget_sender_keys(enl_profile *p, const cell_rec *c, const uint8_t *only_sign)
{
    sk_list l;
    int rc;
    memset(&l, 0, sizeof l);
    memcpy(l.cell_id, c->cell_id, 32);
    rc = enl_store_row_each(p->st, "senderkeys", collect_sk, &l);
    for (size_t i = 0; rc == ENL_OK && i < l.n; i++) {
        uint8_t h[32];
        if (only_sign != NULL && memcmp(l.who[i], only_sign, 32) != 0) continue;
        sk_row_key(p, c->cell_id, l.who[i], l.who[i] + 32, h);
        rc = enl_store_tags_replace(p->st, h, NULL, 0);
        if (rc == ENL_OK) rc = enl_store_row_delete(p->st, "senderkeys", h);
    }
    enl_free_wiped(l.who, l.cap * sizeof *l.who);
    return rc;
}

void enl_cell_key_id(uint8_t id[32], size_t statements, uint64_t created)
{
    enl_wr w = enl_wr_init(id, 32);
    enl_wr_u16(&w, (uint16_t)(statements > 0xffff ? 0xffff : statements));
    enl_wr_u64(&w, created);
    randombytes_buf(id + SK_ORDER_BYTES, 32 - SK_ORDER_BYTES);
}

/* Writes a member's sender key row (cells.h) and its tags. */
static int sk_row_write(enl_profile *p, const uint8_t h[32], const uint8_t cell_id[32],
                        const uint8_t sign_pk[32], const uint8_t dh_pk[32],
                        const uint8_t key_id[32], const enl_senderkey *sk)
{
    uint8_t row[SK_ROW_FIXED + ENL_SK_SERIALIZED_MAX], skb[ENL_SK_SERIALIZED_MAX];
    uint8_t (*tags)[ENL_SK_TAGBYTES] = NULL;
    size_t sl = enl_senderkey_serialize(skb, sk), n;
    enl_wr w = enl_wr_init(row, sizeof row);
    int rc;

    enl_wr_u8(&w, SK_ROW_VERSION);
    enl_wr_bytes(&w, cell_id, 32);
    enl_wr_bytes(&w, sign_pk, 32);
    enl_wr_bytes(&w, dh_pk, 32);
    enl_wr_bytes(&w, key_id, 32);
    enl_wr_u16(&w, (uint16_t)sl);
    enl_wr_bytes(&w, skb, sl);
    rc = w.err ? ENL_EINVAL : enl_store_row_put(p->st, "senderkeys", h, row, w.len);
    if (rc == ENL_OK && (tags = malloc(ENL_SK_TAGS_MAX * sizeof *tags)) == NULL)
        rc = ENL_ENOMEM;
    if (rc == ENL_OK) {
        n = enl_senderkey_tags(sk, tags, ENL_SK_TAGS_MAX);
        rc = enl_store_tags_replace(p->st, h, (const uint8_t (*)[16])tags, n);
    }
    enl_free_wiped(tags, tags ? ENL_SK_TAGS_MAX * sizeof *tags : 0);
    sodium_memzero(row, sizeof row);
    sodium_memzero(skb, sizeof skb);
    return rc;
}

/* One sender key row's tags, written again by the current derivation. */
static int retag_row(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    enl_profile *p = ctx;
    enl_senderkey *sk = enl_secmem_alloc(sizeof *sk);
    uint8_t cell_id[32], sign_pk[32], key_id[32], h[32], (*tags)[ENL_SK_TAGBYTES] = NULL;
    enl_rd r = enl_rd_init(pt, len);
    size_t n;
    int rc = ENL_OK;
    (void)seq;
    if (sk == NULL) return ENL_ENOMEM;
    if (enl_rd_u8(&r) != SK_ROW_VERSION) rc = ENL_ESTORE;
    enl_rd_bytes(&r, cell_id, 32);
    enl_rd_bytes(&r, sign_pk, 32);
    (void)enl_rd_ptr(&r, 32);                  /* dh_pk */
    enl_rd_bytes(&r, key_id, 32);
    n = enl_rd_u16(&r);
    if (rc == ENL_OK &&
        (r.err || enl_rd_left(&r) != n || enl_senderkey_parse(sk, pt + r.off, n) != ENL_OK))
        rc = ENL_ESTORE;
    if (rc == ENL_OK && (tags = malloc(ENL_SK_TAGS_MAX * sizeof *tags)) == NULL)
        rc = ENL_ENOMEM;
    if (rc == ENL_OK) {
        sk_row_key(p, cell_id, sign_pk, key_id, h);
        n = enl_senderkey_tags(sk, tags, ENL_SK_TAGS_MAX);
        rc = enl_store_tags_replace(p->st, h, (const uint8_t (*)[16])tags, n);
    }
    enl_free_wiped(tags, tags ? ENL_SK_TAGS_MAX * sizeof *tags : 0);
    enl_secmem_free(sk);
    return rc;
}

int enl_cells_upgrade(enl_profile *p)
{
    static const uint8_t done[1] = { CELL_TAGS_VERSION };
    uint8_t *v = NULL;
    size_t vl = 0;
    int rc = enl_store_secret_get(p->st, "cell_tags", &v, &vl);
    if (rc == ENL_OK) {
        int current = vl == 1 && v[0] >= CELL_TAGS_VERSION;
        enl_store_free(v, vl);
        if (current) return ENL_OK;
    } else if (rc != ENL_ENOTFOUND) {
        return rc;
    }
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    rc = enl_store_row_each(p->st, "senderkeys", retag_row, p);
    if (rc == ENL_OK) rc = enl_store_secret_put(p->st, "cell_tags", done, sizeof done);
    if (rc == ENL_OK) return enl_store_commit(p->st);
    enl_store_rollback(p->st);
    return rc;
}

typedef struct {
    uint8_t cell_id[32], sign_pk[32];
    uint8_t (*ids)[32];         /* the key ids of one member's keys held */
    size_t n, cap;
} sk_member_keys;

static int collect_member_keys(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    sk_member_keys *l = ctx;
    (void)seq;
    if (len < SK_ROW_FIXED || memcmp(pt + 1, l->cell_id, 32) != 0 ||
        memcmp(pt + 1 + 32, l->sign_pk, 32) != 0)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        uint8_t (*v)[32] = enl_grow_wiped(l->ids, l->cap * sizeof *v, cap * sizeof *v);
        if (v == NULL) return ENL_ENOMEM;
        l->ids = v;
        l->cap = cap;
    }
    memcpy(l->ids[l->n++], pt + 1 + 96, 32);
    return 0;
}

/* Newest first: by the maker's order (cells.h), then by the rest of the id. */
static int by_key_order_newest_first(const void *a, const void *b)
{
    return memcmp(b, a, 32);
}

/* A member's key (key_id) has come: of it and the member's keys held, the
 * SK_KEPT newest by the order their maker gave them stay, for the notes
 * still on their way; the others are deleted. *keep says whether the new
 * one is among those that stay. No member can grow my store by handing
 * out key after key, and keys that arrive out of order (couriers take
 * days, by different roads) never push out the one in use. */
static int make_room_for_key(enl_profile *p, const uint8_t cell_id[32], const uint8_t sign_pk[32],
                             const uint8_t key_id[32], int *keep)
{
    sk_member_keys l;
    int rc;
    memset(&l, 0, sizeof l);
    memcpy(l.cell_id, cell_id, 32);
    memcpy(l.sign_pk, sign_pk, 32);
    *keep = 1;
    rc = enl_store_row_each(p->st, "senderkeys", collect_member_keys, &l);
    if (rc == ENL_OK && l.n >= SK_KEPT) {
        /* the new one takes a place only from the oldest held */
        qsort(l.ids, l.n, sizeof l.ids[0], by_key_order_newest_first);
        if (memcmp(key_id, l.ids[SK_KEPT - 1], 32) < 0) *keep = 0;
        for (size_t i = *keep ? SK_KEPT - 1 : SK_KEPT; rc == ENL_OK && i < l.n; i++) {
            uint8_t h[32];
            sk_row_key(p, cell_id, sign_pk, l.ids[i], h);
            rc = enl_store_tags_replace(p->st, h, NULL, 0);
            if (rc == ENL_OK) rc = enl_store_row_delete(p->st, "senderkeys", h);
        }
    }
    enl_free_wiped(l.ids, l.cap * sizeof *l.ids);
    return rc;
}

static int rekey_cells_without(enl_profile *p, const uint8_t sign_pk[32], const uint8_t *except_cell);
static int burn_vouch_owed(enl_profile *p, const cell_rec *c);
static void declined_mark(enl_profile *p, const uint8_t cell_id[32], uint8_t mark[32]);

/* The reason a contact burned by the cell's vouches shows: the reasons
 * its members gave (`cell remove --burn --reason`, `burn --reason`), each
 * once (a removal made m->gen one past the generation the vouches name),
 * and the cell; "burned by members of cell NAME" when none gave one.
 * Cut to fit (at a character's start) rather than lose the cell's name;
 * control characters from another's statement become '?'. */
static int burn_vouch_on(const cell_rec *c, const enl_cell_person *m, const enl_stmt *s)
{
    const enl_cell_person *a = enl_cell_find(&c->view, s->author);
    return s->type == ENL_STMT_BURN && s->gen + 1 == m->gen && s->reason[0] != '\0' &&
           memcmp(s->subject_sign, m->sign_pk, 32) == 0 &&
           memcmp(s->author, m->sign_pk, 32) != 0 && a != NULL && a->state == ENL_CELL_MEMBER;
}

static void burn_reason_of(const cell_rec *c, const enl_cell_person *m, char *out, size_t max)
{
    char suffix[ENL_NAME_MAX + 32];
    size_t room, n = 0, used = 0;
    int cut = 0;

    snprintf(suffix, sizeof suffix, " (burned in cell %s)", c->name);
    /* max is ENL_STMT_REASONMAX + 1: room stays > 100; and 3 more are
     * kept for the "..." that says reasons were cut */
    room = max - 1 - strlen(suffix) - 3;
    for (size_t i = 0; i < c->n && !cut; i++) {
        const enl_stmt *s = &c->st[i];
        size_t rl = strlen(s->reason), at;
        int seen = 0;
        if (!burn_vouch_on(c, m, s)) continue;
        for (size_t j = 0; j < i && !seen; j++)
            seen = burn_vouch_on(c, m, &c->st[j]) && strcmp(c->st[j].reason, s->reason) == 0;
        if (seen) continue;
        at = used + (n ? 2 : 0);
        if (at + rl > room) {
            /* what fits of it, at a character's start, then "..." (even
             * when none of it fits: reasons were left out) */
            cut = 1;
            if (at >= room) {
                memcpy(out + used, "...", 3);
                used += 3;
                break;
            }
            rl = room - at;
            while (rl > 0 && ((unsigned char)s->reason[rl] & 0xc0) == 0x80) rl--;
        }
        if (n) { out[used++] = ';'; out[used++] = ' '; }
        for (size_t k = 0; k < rl; k++) {
            unsigned char ch = (unsigned char)s->reason[k];
            out[used++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
        }
        if (cut) { memcpy(out + used, "...", 3); used += 3; }
        n++;
    }
    if (n == 0) {
        snprintf(out, max, "burned by members of cell %s", c->name);
        return;
    }
    snprintf(out + used, max - used, "%s", suffix);
}

/* Acts on a change of membership (see the top of this file). old_epoch:
 * the epoch acted on before. */
static int act_on_view(enl_profile *p, cell_rec *c)
{
    const enl_cell_person *me = enl_cell_find(&c->view, p->id->sign_pk);
    int member = me != NULL && me->state == ENL_CELL_MEMBER, rc = ENL_OK;
    char via[ENL_VIA_MAX + 1];

    /* An invitation: nothing is done for it until the user joins, which
     * acts on the view then (the epoch acted on stays the one before). */
    if (c->invited) return ENL_OK;
    snprintf(via, sizeof via, "cell %s", c->name);
    for (size_t i = 0; rc == ENL_OK && i < c->view.npeople; i++) {
        const enl_cell_person *m = &c->view.people[i];
        const enl_stmt *cs;
        enl_card card;
        enl_contact k;
        if (is_me(p, m->sign_pk) || m->card_stmt == SIZE_MAX) continue;
        cs = &c->st[m->card_stmt];
        if (m->burned) {
            /* Only in a cell I am in, or was in until this change: one I
             * left or was taken out of decides nothing here any more, or
             * a member who turned (one vouch, in a cell that admits on
             * one) could still burn any contact of mine by putting them
             * in it, as through an invitation. */
            if (!member && !c->member) continue;
            /* the contact itself: a notice signed by their key that names
             * another DH key (a captor's decoy) burned no contact, and the
             * other cells still have to re-key without them (review revD2) */
            int was = 0, before = contact_burned_here(p, m->sign_pk, m->dh_pk);
            char reason[ENL_STMT_REASONMAX + 1];
            burn_reason_of(c, m, reason, sizeof reason);
            rc = enl_contact_burn(p, m->dh_pk, m->sign_pk, reason, &was);
            /* Burned here only now, as by `burn`: the other cells shared
             * with them re-key too, or the captor goes on reading there
             * with the sender keys it holds. This cell re-keys below. */
            if (rc == ENL_OK && !before && contact_burned_here(p, m->sign_pk, m->dh_pk))
                rc = rekey_cells_without(p, m->sign_pk, c->cell_id);
            continue;
        }
        if (!member || m->state != ENL_CELL_MEMBER) continue;
        /* every member must be able to seal to every other */
        if (enl_card_parse(&card, cs->card, cs->card_len, 0) != ENL_OK) continue;
        {
            /* the whole card: a statement carries up to ENL_CARD_TEXTMAX
             * characters of it (separators included) */
            char text[ENL_CARD_TEXTMAX + 1];
            size_t n = cs->card_len < sizeof text - 1 ? cs->card_len : sizeof text - 1;
            memcpy(text, cs->card, n);
            text[n] = '\0';
            if (person_contact(p, m, &k) != ENL_OK)
                rc = enl_contact_add_via(p, text, card.name[0] ? card.name : "member", via, NULL);
            /* A clash of keys, a card that names my own DH key, or keys
             * burned here: leave it be (nothing is sealed to them from
             * here). Failing would refuse this log and every later one,
             * which all hold that card: burns included, and a seized
             * member stays in. */
            if (rc == ENL_EEXISTS || rc == ENL_ESELF || rc == ENL_EREFUSED) rc = ENL_OK;
        }
    }
    if (rc != ENL_OK) return rc;
    if (member && (!c->has_sk || memcmp(c->sk_epoch, c->view.epoch, 32) != 0))
        rc = rotate_sender_key(p, c);
    if (!member && (c->member || c->has_sk)) {
        enl_senderkey_wipe(&c->sk);
        c->has_sk = 0;
        if (rc == ENL_OK) rc = forget_sender_keys(p, c, NULL);
    }
    /* a removed member's later notes are refused: drop their keys too */
    for (size_t i = 0; rc == ENL_OK && member && i < c->view.npeople; i++)
        if (c->view.people[i].state == ENL_CELL_REMOVED)
            rc = forget_sender_keys(p, c, c->view.people[i].sign_pk);
    c->member = member;
    memcpy(c->epoch, c->view.epoch, 32);
    return rc;
}

/* Whether a statement's author is or was a member in the view (a new
 * record: whether it is the CREATE, which must come first). */
static int author_vouched(const cell_rec *c, const uint8_t *raw, size_t len)
{
    const enl_cell_person *a;
    const uint8_t *author;
    if (c->n == 0) {
        enl_stmt s;
        return enl_stmt_parse(&s, raw, len) == ENL_OK && s.type == ENL_STMT_CREATE;
    }
    if ((author = enl_stmt_author_of(raw, len)) == NULL) return 1;   /* rec_merge says why */
    a = enl_cell_find(&c->view, author);
    return a != NULL && a->gen > 0;
}

/* Whether a statement whose author is no member (yet) is kept: only when
 * its author is a candidate that someone who is or was a member proposed,
 * and holds fewer than ENL_CELL_STMTS_PER_CANDIDATE statements here. Such
 * an author may be a member already on a device that learned more (their
 * admission is on its way by another road): dropping their statements
 * would leave this device without them for good. Anyone else's could
 * never count, and one member could fill the log with them. */
static int candidate_may_write(const cell_rec *c, const uint8_t *raw, size_t len)
{
    const uint8_t *author = enl_stmt_author_of(raw, len);
    const enl_cell_person *a = author != NULL ? enl_cell_find(&c->view, author) : NULL, *by;
    size_t theirs = 0, unvouched = 0;
    if (a == NULL || a->state != ENL_CELL_CANDIDATE || a->brought_by == SIZE_MAX ||
        a->brought_by >= c->n)
        return 0;
    by = enl_cell_find(&c->view, c->st[a->brought_by].author);
    if (by == NULL || by->gen == 0) return 0;
    for (size_t i = 0; i < c->n; i++) {
        const uint8_t *x = enl_stmt_author_of(c->raw[i], c->raw_len[i]);
        const enl_cell_person *w = x != NULL ? enl_cell_find(&c->view, x) : NULL;
        if (x != NULL && memcmp(x, author, 32) == 0) theirs++;
        if (w == NULL || w->gen == 0) unvouched++;
    }
    return theirs < ENL_CELL_STMTS_PER_CANDIDATE && unvouched < ENL_CELL_STMTS_UNVOUCHED;
}

/* A REMOVE, BURN or LEAVE by someone who is or was a member: what the last
 * places of a log are kept for (ENL_CELL_EXITS_RESERVED). */
static int member_exit(const cell_rec *c, const uint8_t *raw, size_t len)
{
    return len > 1 && is_exit(raw[1]) && c->n > 0 && author_vouched(c, raw, len);
}

/* Merges statements (checked one by one; bad ones are dropped), in passes:
 * first those whose author is or was a member, the view computed again
 * after each pass that merged something, since the same log may hold the
 * statements that admitted an author; then, again in passes, those of
 * candidates (candidate_may_write). They are kept and passed on like the
 * rest, and count once their author is a member. *grew says whether
 * anything was new. mine: they are my own, and none is dropped in
 * silence. */
/* The bytes of c's whole log (log_body_until with every statement). */
static size_t log_bytes(const cell_rec *c)
{
    size_t b = 32 + 2;
    for (size_t i = 0; i < c->n; i++) b += 2 + c->raw_len[i];
    return b;
}

/* Whether the log has no room for this statement: places or bytes, with
 * those kept for exits (removals, burns, leaves by members) left to them. */
static int no_room_for(const cell_rec *c, const uint8_t *raw, size_t len)
{
    size_t after = log_bytes(c) + 2 + len;
    if (c->n >= ENL_CELL_STMTS_MAX || after > LOG_MAX_BYTES) return 1;
    return (c->n >= ENL_CELL_STMTS_MAX - ENL_CELL_EXITS_RESERVED ||
            after > LOG_MAX_BYTES - LOG_EXITS_RESERVED_BYTES) &&
           !member_exit(c, raw, len);
}

static int merge_all(enl_profile *p, cell_rec *c, uint8_t *const *stmts, const size_t *lens,
                     size_t n, int mine, int *grew)
{
    uint8_t *taken = calloc(n ? n : 1, 1);
    int rc = ENL_OK, progress = 1, candidates = 0;

    *grew = 0;
    if (taken == NULL) return ENL_ENOMEM;
    while (rc == ENL_OK) {
        if (!progress) {
            if (candidates || c->n == 0) break;
            candidates = 1;     /* members' statements are all in: now candidates' */
        }
        progress = 0;
        for (size_t i = 0; rc == ENL_OK && i < n; i++) {
            int r;
            if (taken[i]) continue;
            if (!author_vouched(c, stmts[i], lens[i]) &&
                !(candidates && candidate_may_write(c, stmts[i], lens[i])))
                continue;
            taken[i] = 1;
            r = no_room_for(c, stmts[i], lens[i]) ? ENL_EFULL : rec_merge(c, stmts[i], lens[i], 1);
            if (r == ENL_ENOMEM) rc = r;
            else if (r < 0 && mine)
                rc = r == ENL_EREFUSED ? enl_fail(p, ENL_EFULL, "this cell's log holds all the "
                                                  "statements of yours it can: no more fit")
                     : r == ENL_EFULL ? enl_fail(p, ENL_EFULL, "this cell's log is full: no more "
                                                 "statements fit")
                                      : r;
            else if (r == 1) progress = *grew = 1;
        }
        if (rc == ENL_OK && progress) rc = rec_compute(c);
    }
    free(taken);
    return rc;
}

/* Merges statements (merge_all), and when any was new: sends the log on to
 * every member but `from`, acts on the change, and saves the cell. */
static int merge_and_act(enl_profile *p, cell_rec *c, uint8_t *const *stmts, const size_t *lens,
                         size_t n, const uint8_t *from)
{
    enl_cell_view *before = malloc(sizeof *before);
    int rc, grew = 0, had_log = c->n > 0;

    if (before == NULL) return ENL_ENOMEM;
    memcpy(before, &c->view, sizeof *before);
    rc = merge_all(p, c, stmts, lens, n, from == NULL, &grew);
    /* Admitted again to a cell I left or was taken out of: an invitation,
     * as the first admission was. Else whoever can admit me there (one
     * member, in a cell that admits on one vouch) could make me a member
     * again after I said no by leaving, and with me every member they add
     * a contact here, and every burn of their log mine. */
    if (rc == ENL_OK && grew && had_log && from != NULL && !c->invited && !c->member &&
        enl_cell_is_member(&c->view, p->id->sign_pk))
        c->invited = 1;
    if (rc == ENL_OK && grew && !c->invited) rc = send_log(p, c, before, from);
    if (rc == ENL_OK && grew) rc = act_on_view(p, c);
    if (rc == ENL_OK && grew) rc = rec_save(p, c);
    enl_free_wiped(before, sizeof *before);     /* who was in the cell */
    return rc;
}

/* Signs a statement of mine into the cell, acts on it, and sends the log on. */
static int add_statement(enl_profile *p, cell_rec *c, enl_stmt *s)
{
    uint8_t buf_[ENL_STMT_MAXBYTES], *buf = buf_;
    size_t len = 0;
    int rc;

    memcpy(s->cell_id, c->cell_id, 32);
    s->created = enl_now();
    /* after everything I hold: whoever learns this also knows it came later.
     * A clock a member set to the largest there is stays there: one more
     * would wrap to 0 and put mine before all I had seen. */
    s->clock = 1;
    for (size_t i = 0; i < c->n; i++)
        if (c->st[i].clock >= s->clock)
            s->clock = c->st[i].clock == UINT32_MAX ? UINT32_MAX : c->st[i].clock + 1;
    if ((rc = enl_stmt_make(buf, &len, s, p->id)) == ENL_OK)
        rc = merge_and_act(p, c, &buf, &len, 1, NULL);
    sodium_memzero(buf_, sizeof buf_);     /* the statement: whom it names, their card */
    return rc;
}

/* ---- the public commands ----------------------------------------------- */

static int in_tx(enl_profile *p, int rc)
{
    if (rc == ENL_OK) return enl_store_commit(p->st);
    enl_store_rollback(p->st);
    return rc;
}

int enl_cell_create(enl_profile *p, const char *name, unsigned admit)
{
    enl_stmt s;
    cell_rec *c = NULL, *other = NULL;
    char card[ENL_CARD_TEXTMAX];
    int rc;

    if (name == NULL || !enl_name_valid(name))
        return enl_fail(p, ENL_EINVAL, "invalid cell name \"%s\"", name ? name : "");
    if (admit < 1 || admit > ENL_CELL_ADMIT_MAX)
        return enl_fail(p, ENL_EINVAL, "--admit is between 1 and %d", ENL_CELL_ADMIT_MAX);
    if ((rc = enl_card_make(card, sizeof card, p->id, p->name, NULL, enl_now())) != ENL_OK) return rc;
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    rc = rec_load_name(p, name, &other);
    if (rc == ENL_OK) {
        rec_free(other);
        return in_tx(p, enl_fail(p, ENL_EEXISTS, "there is already a cell named \"%s\"", name));
    }
    if (rc != ENL_ENOTFOUND) return in_tx(p, rc);
    if ((c = rec_new()) == NULL) return in_tx(p, ENL_ENOMEM);
    memset(&s, 0, sizeof s);
    s.type = ENL_STMT_CREATE;
    s.admit = (uint8_t)admit;
    randombytes_buf(s.salt, sizeof s.salt);
    snprintf(s.name, sizeof s.name, "%s", name);
    snprintf(c->name, sizeof c->name, "%s", name);
    s.card = card;
    s.card_len = strlen(card);
    rc = add_statement(p, c, &s);
    rec_free(c);
    return in_tx(p, rc);
}

/* Whether I signed already, about subject at generation gen, a statement
 * of one of these types (a mask of 1 << type): the same vouch again would
 * count for nothing, yet take one of my places in the log for good (past
 * ENL_CELL_EXITS_PER_AUTHOR of them, I could burn no one any more). */
static int signed_already(enl_profile *p, const cell_rec *c, const uint8_t subject[32], uint32_t gen,
                          unsigned types)
{
    for (size_t i = 0; i < c->n; i++)
        if ((types & 1u << c->st[i].type) && c->st[i].gen == gen &&
            memcmp(c->st[i].subject_sign, subject, 32) == 0 && is_me(p, c->st[i].author))
            return 1;
    return 0;
}

/* Loads a cell I am a member of, inside a transaction the caller opened. */
static int load_member(enl_profile *p, const char *cell, cell_rec **c)
{
    int rc = rec_load_name(p, cell, c);
    if (rc != ENL_OK) return rc;
    if ((*c)->invited) {
        rec_free(*c);
        *c = NULL;
        return enl_fail(p, ENL_EREFUSED, "you have not joined cell \"%s\": `enlace cell members %s` "
                        "shows who is in it, `enlace cell join %s` joins it, `enlace cell decline "
                        "%s` refuses it", cell, cell, cell, cell);
    }
    if (!enl_cell_is_member(&(*c)->view, p->id->sign_pk)) {
        rec_free(*c);
        *c = NULL;
        return enl_fail(p, ENL_EREFUSED, "you are not a member of cell \"%s\" (`enlace cell "
                        "forget %s` takes it off your list)", cell, cell);
    }
    return ENL_OK;
}

/* ADD (vouch=0: a proposal; 1: a vouch for someone already proposed). */
static int vouch_add(enl_profile *p, const char *cell, const char *contact, int vouch)
{
    enl_contact k;
    enl_stmt s;
    cell_rec *c = NULL;
    const enl_cell_person *m;
    char card[ENL_CARD_TEXTMAX];
    int rc;

    if ((rc = enl_contact_by_name(p, contact, &k)) != ENL_OK) return rc;
    if (k.burned) return enl_fail(p, ENL_EREFUSED, "%s's keys are burned", contact);
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    if ((rc = load_member(p, cell, &c)) != ENL_OK) return in_tx(p, rc);
    m = enl_cell_find(&c->view, k.card.sign_pk);
    if (m != NULL && m->state == ENL_CELL_MEMBER) {
        rc = enl_fail(p, ENL_EINVAL, "%s is already a member of %s", contact, cell);
    } else if (m != NULL && m->burned) {
        rc = enl_fail(p, ENL_EREFUSED, "%s was burned by members of %s", contact, cell);
    } else if (vouch && (m == NULL || m->state != ENL_CELL_CANDIDATE)) {
        rc = enl_fail(p, ENL_ENOTFOUND, "%s is not a candidate of %s (propose with "
                      "`enlace cell add %s %s`)", contact, cell, cell, contact);
    } else if (signed_already(p, c, k.card.sign_pk, m != NULL ? m->gen : 0, 1u << ENL_STMT_ADD)) {
        rc = enl_fail(p, ENL_EEXISTS, "you have vouched for %s in %s already: a vouch counts once",
                      contact, cell);
    } else {
        /* The card I hold for them goes in the vouch: members who do not
         * know them yet learn it from there. */
        rc = enl_contact_card_text(p, k.card.dh_pk, card, sizeof card);
        memset(&s, 0, sizeof s);
        s.type = ENL_STMT_ADD;
        s.gen = m != NULL ? m->gen : 0;
        memcpy(s.subject_sign, k.card.sign_pk, 32);
        memcpy(s.subject_dh, k.card.dh_pk, 32);
        s.card = card;
        s.card_len = strlen(card);
        if (rc == ENL_OK) rc = add_statement(p, c, &s);
    }
    rec_free(c);
    return in_tx(p, rc);
}

int enl_cell_add(enl_profile *p, const char *cell, const char *contact)
{
    return vouch_add(p, cell, contact, 0);
}

int enl_cell_vouch(enl_profile *p, const char *cell, const char *contact)
{
    return vouch_add(p, cell, contact, 1);
}

int enl_cell_remove(enl_profile *p, const char *cell, const char *contact, int burn,
                    const char *reason)
{
    enl_contact k;
    enl_stmt s;
    cell_rec *c = NULL;
    const enl_cell_person *m;
    int rc;

    if ((rc = enl_contact_by_name(p, contact, &k)) != ENL_OK) return rc;
    if (reason != NULL && strlen(reason) > ENL_STMT_REASONMAX)
        return enl_fail(p, ENL_ETOOBIG, "the reason is at most %d bytes", ENL_STMT_REASONMAX);
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    if ((rc = load_member(p, cell, &c)) != ENL_OK) return in_tx(p, rc);
    m = enl_cell_find(&c->view, k.card.sign_pk);
    if (m == NULL || m->state != ENL_CELL_MEMBER) {
        rc = enl_fail(p, ENL_ENOTFOUND, "%s is not a member of %s", contact, cell);
    } else if (signed_already(p, c, k.card.sign_pk, m->gen, 1u << ENL_STMT_BURN)) {
        rc = enl_fail(p, ENL_EEXISTS, "you have vouched to burn %s in %s already (which is a "
                      "vouch for their removal too): a vouch counts once", contact, cell);
    } else if (!burn && signed_already(p, c, k.card.sign_pk, m->gen, 1u << ENL_STMT_REMOVE)) {
        rc = enl_fail(p, ENL_EEXISTS, "you have vouched to remove %s from %s already: a vouch "
                      "counts once (--burn makes it a burn)", contact, cell);
    } else {
        memset(&s, 0, sizeof s);
        s.type = burn ? ENL_STMT_BURN : ENL_STMT_REMOVE;
        s.gen = m->gen;
        memcpy(s.subject_sign, k.card.sign_pk, 32);
        memcpy(s.subject_dh, k.card.dh_pk, 32);
        snprintf(s.reason, sizeof s.reason, "%s", reason ? reason : "");
        rc = add_statement(p, c, &s);
    }
    rec_free(c);
    return in_tx(p, rc);
}

typedef struct {
    uint8_t (*v)[32];
    size_t n, cap;
} id_list;

static int collect_cell_ids(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    id_list *l = ctx;
    (void)seq;
    if (len < 33) return ENL_ESTORE;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        /* which cells this device is in: no copy left in freed heap */
        uint8_t (*v)[32] = enl_grow_wiped(l->v, l->cap * sizeof *v, cap * sizeof *v);
        if (v == NULL) return ENL_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    memcpy(l->v[l->n++], pt + 1, 32);
    return 0;
}

int enl_cell_burn_vouch(enl_profile *p, const uint8_t sign_pk[32], const uint8_t dh_pk[32],
                        const char *reason, int *cells, int *failed)
{
    id_list l = { NULL, 0, 0 };
    int rc = enl_store_row_each(p->st, "cells", collect_cell_ids, &l);

    *cells = 0;
    *failed = 0;
    /* every cell where both of us are members */
    for (size_t i = 0; rc == ENL_OK && i < l.n; i++) {
        cell_rec *c = NULL;
        const enl_cell_person *m;
        enl_stmt s;
        int one, shared;
        if ((rc = rec_load_id(p, l.v[i], &c)) != ENL_OK) break;
        m = enl_cell_find(&c->view, sign_pk);
        shared = joined_member(p, c) && m != NULL &&
                 m->state == ENL_CELL_MEMBER && memcmp(m->dh_pk, dh_pk, 32) == 0;
        if (shared && signed_already(p, c, sign_pk, m->gen, 1u << ENL_STMT_BURN)) {
            (*cells)++;         /* my burn vouch is in the log already: one counts */
        } else if (shared) {
            memset(&s, 0, sizeof s);
            s.type = ENL_STMT_BURN;
            s.gen = m->gen;
            memcpy(s.subject_sign, sign_pk, 32);
            memcpy(s.subject_dh, dh_pk, 32);
            snprintf(s.reason, sizeof s.reason, "%.*s", ENL_STMT_REASONMAX, reason ? reason : "");
            /* Each cell on its own: a cell whose log takes no more (one a
             * captured member filled) must not keep the burn from the
             * others, nor from the contact. */
            if ((rc = enl_store_begin(p->st)) != ENL_OK) {
                rec_free(c);
                break;
            }
            one = add_statement(p, c, &s);
            if (one == ENL_OK) one = enl_store_commit(p->st);
            else enl_store_rollback(p->st);
            if (one == ENL_OK) {
                (*cells)++;
            } else if (one == ENL_ENOMEM) {
                rc = one;
            } else {
                (*failed)++;
                (void)enl_fail(p, one, "the burn vouch could not be added to cell %s: %s",
                               c->name, enl_strerror(one));
            }
        }
        rec_free(c);
    }
    enl_free_wiped(l.v, l.cap * sizeof *l.v);
    return rc;
}

int enl_cell_leave(enl_profile *p, const char *cell)
{
    enl_stmt s;
    cell_rec *c = NULL;
    const enl_cell_person *me;
    int rc;

    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    if ((rc = load_member(p, cell, &c)) != ENL_OK) return in_tx(p, rc);
    me = enl_cell_find(&c->view, p->id->sign_pk);
    memset(&s, 0, sizeof s);
    s.type = ENL_STMT_LEAVE;
    s.gen = me->gen;
    rc = add_statement(p, c, &s);
    rec_free(c);
    return in_tx(p, rc);
}

/* An invitation by name, inside the caller's transaction: ENL_EINVAL
 * for a cell already joined. */
static int load_invited(enl_profile *p, const char *cell, cell_rec **c)
{
    int rc = rec_load_name(p, cell, c);
    if (rc != ENL_OK) return rc;
    if (!(*c)->invited) {
        rec_free(*c);
        *c = NULL;
        return enl_fail(p, ENL_EINVAL, "cell \"%s\" is no invitation (`enlace cell list` shows "
                        "which are)", cell);
    }
    return ENL_OK;
}

int enl_cell_join(enl_profile *p, const char *cell)
{
    cell_rec *c = NULL;
    int rc;

    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    if ((rc = load_invited(p, cell, &c)) != ENL_OK) return in_tx(p, rc);
    if (!enl_cell_is_member(&c->view, p->id->sign_pk)) {
        rec_free(c);
        return in_tx(p, enl_fail(p, ENL_EREFUSED, "cell \"%s\" no longer counts you as a member: "
                                 "`enlace cell decline %s` forgets it", cell, cell));
    }
    /* what an admission does on a device that joins at once: the members
     * become contacts, my sender key goes to each, burns owed are signed */
    c->invited = 0;
    rc = act_on_view(p, c);
    if (rc == ENL_OK) rc = rec_save(p, c);
    if (rc == ENL_OK) rc = burn_vouch_owed(p, c);
    rec_free(c);
    return in_tx(p, rc);
}

/* A cell forgotten (an invitation, or one I am out of): its log, and the
 * sender keys the members sent. */
static int forget_cell(enl_profile *p, const cell_rec *c)
{
    uint8_t h[32];
    int rc = forget_sender_keys(p, c, NULL);
    row_key(p, c->cell_id, h);
    if (rc == ENL_OK) rc = enl_store_row_delete(p->st, "cells", h);
    return rc;
}

int enl_cell_decline(enl_profile *p, const char *cell)
{
    cell_rec *c = NULL;
    uint8_t mark[32];
    int rc;

    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    if ((rc = load_invited(p, cell, &c)) != ENL_OK) return in_tx(p, rc);
    declined_mark(p, c->cell_id, mark);
    rc = enl_store_set_add(p->st, "seen", mark, enl_now_hours() + ENL_EXPIRY_MAX_HOURS);
    if (rc == ENL_OK) rc = forget_cell(p, c);
    rec_free(c);
    return in_tx(p, rc);
}

int enl_cell_forget(enl_profile *p, const char *cell)
{
    cell_rec *c = NULL;
    int rc;

    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    if ((rc = rec_load_name(p, cell, &c)) != ENL_OK) return in_tx(p, rc);
    if (c->invited)
        rc = enl_fail(p, ENL_EINVAL, "cell \"%s\" is an invitation: `enlace cell decline %s` "
                      "refuses it", cell, cell);
    else if (enl_cell_is_member(&c->view, p->id->sign_pk))
        rc = enl_fail(p, ENL_EINVAL, "you are a member of cell \"%s\": `enlace cell leave %s` "
                      "first", cell, cell);
    else
        rc = forget_cell(p, c);
    rec_free(c);
    return in_tx(p, rc);
}

int enl_cell_send(enl_profile *p, const char *cell, const uint8_t *text, size_t len,
                  const enl_send_opts *opts, uint8_t note_id[ENL_IDBYTES])
{
    size_t fixed = ENL_NOTE_HEADERBYTES + ENL_SK_OVERHEAD, raw, note_len, payload_len;
    size_t floor = opts != NULL && opts->pad_floor ? opts->pad_floor : ENL_PAD_FLOOR;
    uint32_t hours = opts != NULL && opts->expiry_hours ? opts->expiry_hours : ENL_EXPIRY_DEFAULT_HOURS;
    uint8_t id[ENL_IDBYTES], lock[ENL_PURGELOCKBYTES], *note = NULL, *payload = NULL, *body = NULL;
    uint32_t expiry;
    enl_payload pl;
    cell_rec *c = NULL;
    int rc;

    if (text == NULL && len > 0) return ENL_EINVAL;
    if (len > ENL_TEXT_MAX) return enl_fail(p, ENL_ETOOBIG, "a message holds at most %d bytes", ENL_TEXT_MAX);
    if (hours > ENL_EXPIRY_MAX_HOURS)
        return enl_fail(p, ENL_EINVAL, "expiry is at most %d hours", ENL_EXPIRY_MAX_HOURS);
    raw = fixed + ENL_PAYLOAD_FIXEDBYTES + 32 + len;
    if (floor < ENL_PAD_FLOOR_MIN) floor = ENL_PAD_FLOOR_MIN;
    note_len = enl_padme(raw < floor ? floor : raw);
    if (note_len > ENL_NOTE_MAX) note_len = ENL_NOTE_MAX;
    if (raw > note_len) return enl_fail(p, ENL_ETOOBIG, "the message is too long for one note");
    payload_len = note_len - fixed;
    memset(&pl, 0, sizeof pl);
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    if ((rc = load_member(p, cell, &c)) != ENL_OK) return in_tx(p, rc);
    if (!c->has_sk || memcmp(c->sk_epoch, c->view.epoch, 32) != 0) rc = rotate_sender_key(p, c);
    note = malloc(note_len);
    payload = sodium_malloc(payload_len);
    body = sodium_malloc(32 + len + 1);
    if (rc == ENL_OK && (note == NULL || payload == NULL || body == NULL)) rc = ENL_ENOMEM;
    if (rc == ENL_OK) {
        memcpy(body, c->cell_id, 32);
        if (len > 0) memcpy(body + 32, text, len);
        pl.kind = ENL_KIND_CELL_TEXT;
        pl.sent = enl_now();
        pl.disappear = opts != NULL ? opts->disappear : 0;
        pl.body = body;
        pl.body_len = 32 + len;
        rc = enl_payload_encode(payload, payload_len, &pl);
    }
    if (rc == ENL_OK) {
        expiry = (uint32_t)((enl_now() + (uint64_t)hours * 3600 + 3599) / 3600);
        /* Many read a cell note: none may purge it for the others. Its
         * lock has no key; the note lives until it expires. */
        enl_purge_lock_random(lock);
        enl_note_header_encode(note, expiry, lock);
        rc = enl_senderkey_encrypt(&c->sk, note + ENL_NOTE_HEADERBYTES, note, ENL_NOTE_HEADERBYTES,
                                   payload, payload_len);
    }
    if (rc == ENL_OK) rc = rec_save(p, c);
    if (rc == ENL_OK) {
        uint8_t own[ENL_STORE_SOURCEBYTES];
        enl_note_id(id, note, note_len);
        enl_store_own_source(p->st, own, c->cell_id, 32);
        rc = enl_store_note_put(p->st, id, lock, expiry, note + ENL_NOTE_HEADERBYTES, own, note,
                                note_len);
    }
    if (rc == ENL_OK && note_id != NULL) memcpy(note_id, id, sizeof id);
    sodium_memzero(&pl, sizeof pl);
    if (payload != NULL) sodium_free(payload);
    if (body != NULL) sodium_free(body);
    free(note);
    rec_free(c);
    return in_tx(p, rc);
}

typedef struct {
    const char *prefix;
    size_t plen;
    char *text;
    size_t len;
    int matches;
} fwd_ctx;

static int fwd_cb(const enl_message *m, void *ctx)
{
    fwd_ctx *f = ctx;
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < f->plen; i++) {
        char want = f->prefix[i];
        if (want >= 'A' && want <= 'F') want = (char)(want - 'A' + 'a');
        if (hx[(m->note_id[i / 2] >> (i % 2 ? 0 : 4)) & 15] != want) return 0;
    }
    if (f->matches++ == 0) {
        if ((f->text = sodium_malloc(m->text_len + 1)) == NULL) return ENL_ENOMEM;
        memcpy(f->text, m->text, m->text_len);
        f->len = m->text_len;
    }
    return 0;
}

int enl_cell_forward(enl_profile *p, const char *msg_id, const char *cell)
{
    fwd_ctx f = { msg_id, msg_id ? strlen(msg_id) : 0, NULL, 0, 0 };
    int rc;

    if (f.plen < 8 || f.plen > 2 * ENL_IDBYTES || strspn(msg_id, "0123456789abcdefABCDEF") != f.plen)
        return enl_fail(p, ENL_EINVAL, "a message id is 8 to 64 hex digits (see `enlace inbox --json`)");
    rc = enl_inbox_each(p, ENL_INBOX_KEEP_NEW, fwd_cb, &f);
    if (rc == ENL_OK && f.matches == 0)
        rc = enl_fail(p, ENL_ENOTFOUND, "no message with id %s", msg_id);
    if (rc == ENL_OK && f.matches > 1)
        rc = enl_fail(p, ENL_EINVAL, "%d messages start with %s: give more digits", f.matches, msg_id);
    if (rc == ENL_OK) rc = enl_cell_send(p, cell, (const uint8_t *)f.text, f.len, NULL, NULL);
    if (f.text != NULL) sodium_free(f.text);
    return rc;
}

typedef struct {
    enl_profile *p;
    int (*cb)(const enl_cell_info *c, void *ctx);
    void *ctx;
    int stop;
} each_ctx;

/* A member of the cell's log whose keys are burned here: this device seals
 * nothing to them and reads nothing of theirs (rotate_sender_key,
 * rekey_cells_without), so it does not show them as a member, though the
 * log counts them until enough members have burned them. Not me: my own
 * keys burned end this profile, and status says so. */
static int burned_here_only(enl_profile *p, const enl_cell_person *m)
{
    return !m->burned && !is_me(p, m->sign_pk) && burned_here(p, m->sign_pk, m->dh_pk);
}

/* The contact whose ADD of me admitted me to an invitation: a cell's name
 * is its founder's choice, and could copy that of another cell; who vouched
 * says whose it is. */
static void invited_by(enl_profile *p, const cell_rec *c, char name[ENL_NAME_MAX + 1])
{
    name[0] = '\0';
    for (size_t i = 0; i < c->n; i++) {
        const enl_cell_person *a;
        enl_contact k;
        if (c->st[i].type != ENL_STMT_ADD || !is_me(p, c->st[i].subject_sign)) continue;
        a = enl_cell_find(&c->view, c->st[i].author);
        if (a != NULL && a->card_stmt != SIZE_MAX && person_contact(p, a, &k) == ENL_OK && !k.burned) {
            snprintf(name, ENL_NAME_MAX + 1, "%s", k.name);
            return;
        }
    }
}

static int each_cb(void *vctx, int64_t seq, const uint8_t *pt, size_t len)
{
    each_ctx *e = vctx;
    enl_cell_info info;
    cell_rec *c;
    int rc;
    (void)seq;
    if (e->stop) return 1;
    if ((c = rec_new()) == NULL) return ENL_ENOMEM;
    if ((rc = rec_decode(c, pt, len)) == ENL_OK) {
        memset(&info, 0, sizeof info);
        snprintf(info.name, sizeof info.name, "%s", c->name);
        sodium_bin2hex(info.id, sizeof info.id, c->cell_id, 8);
        info.admit = c->view.admit;
        for (size_t i = 0; i < c->view.npeople; i++) {
            if (c->view.people[i].state == ENL_CELL_MEMBER &&
                !burned_here_only(e->p, &c->view.people[i]))
                info.members++;
            if (c->view.people[i].state == ENL_CELL_CANDIDATE) info.candidates++;
        }
        info.member = c->member;
        info.invited = c->invited;
        if (c->invited) invited_by(e->p, c, info.invited_by);
        if (e->cb(&info, e->ctx) != 0) e->stop = 1;
    }
    rec_free(c);
    return rc;
}

int enl_cell_each(enl_profile *p, int (*cb)(const enl_cell_info *c, void *ctx), void *ctx)
{
    each_ctx e = { p, cb, ctx, 0 };
    return enl_store_row_each(p->st, "cells", each_cb, &e);
}

int enl_cell_members(enl_profile *p, const char *cell,
                     int (*cb)(const enl_cell_member *m, void *ctx), void *ctx)
{
    static const char *const states[] = { "", "candidate", "member", "removed" };
    cell_rec *c = NULL;
    int rc = rec_load_name(p, cell, &c);
    if (rc != ENL_OK) return rc;
    for (size_t i = 0; i < c->view.npeople; i++) {
        const enl_cell_person *m = &c->view.people[i];
        enl_cell_member out;
        enl_contact k;
        uint8_t fp[32];
        if (m->state == 0) continue;
        memset(&out, 0, sizeof out);
        out.is_me = is_me(p, m->sign_pk);
        if (out.is_me) snprintf(out.name, sizeof out.name, "%s", p->name);
        else if (enl_contact_by_dh(p, m->dh_pk, &k) == ENL_OK &&
                 sodium_memcmp(k.card.sign_pk, m->sign_pk, 32) == 0)
            snprintf(out.name, sizeof out.name, "%s", k.name);
        enl_fingerprint_raw(fp, m->sign_pk, m->dh_pk);
        enl_fingerprint_text(out.fingerprint, fp);
        out.state = states[m->state];
        out.burned = m->burned;
        if (burned_here_only(p, m)) {
            out.burned = out.burned_here = 1;
            if (m->state == ENL_CELL_MEMBER) out.state = "removed";
            out.awaits_removal = m->state == ENL_CELL_MEMBER;
        }
        out.vouches = m->vouches;
        out.needed = m->needed;
        if (cb(&out, ctx) != 0) break;
    }
    rec_free(c);
    return ENL_OK;
}

/* ---- what arrives -------------------------------------------------------- */

/* A candidate whose proposer is a member now: their log is taken. One
 * proposed by someone since removed or burned is not, or a seized device
 * burned everywhere could still hand its statements to a candidate it
 * proposed, and reach every device through them. */
static int proposed_by_a_member(const cell_rec *c, const enl_cell_person *s)
{
    const enl_cell_person *by;
    if (s->state != ENL_CELL_CANDIDATE || s->brought_by == SIZE_MAX || s->brought_by >= c->n)
        return 0;
    by = enl_cell_find(&c->view, c->st[s->brought_by].author);
    return by != NULL && by->state == ENL_CELL_MEMBER;
}

/* Whether a log holds the statement with this id (ids are kept sorted). */
static int holds(const cell_rec *c, const uint8_t id[32])
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = memcmp(c->ids[mid], id, 32);
        if (cmp == 0) return 1;
        if (cmp < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

/* Answers sent back to one member for one log of mine, at most. */
#define ANSWERS_MAX 4

/* What marks an answer sent (kept, as a keyed hash, in "seen"): ctx,
 * the member, what tells this answer apart, and my log. */
static void answer_key(uint8_t key[32], const char *ctx, const uint8_t member[32],
                       const uint8_t *which, size_t which_len, const uint8_t *log, size_t log_len)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const uint8_t *)ctx, strlen(ctx) + 1);
    crypto_generichash_update(&st, member, 32);
    crypto_generichash_update(&st, which, which_len);
    crypto_generichash_update(&st, log, log_len);
    crypto_generichash_final(&st, key, 32);
}

/* Whether a statement I hold is missing from a member's log, and theirs
 * would take it now (by the rules of merge_all, under the view their log
 * gives). A device drops the statements of someone who is not a member in
 * its view, and logs go on to every member but the one they came from: a
 * statement dropped for want of what made its author a member would never
 * come back. So when a member's log lacks one they would take, my log goes
 * back to them. Only then: two devices that drop each other's statements
 * (their views differ) would otherwise send their logs back and forth for
 * ever. */
static int they_would_take(const cell_rec *theirs, const uint8_t *raw, size_t len, const uint8_t id[32])
{
    const uint8_t *author = enl_stmt_author_of(raw, len);
    if (holds(theirs, id)) return 0;     /* they have it */
    if (author == NULL || len < 2 || !share_allows(theirs, author, raw[1]) ||
        no_room_for(theirs, raw, len))
        return 0;
    return author_vouched(theirs, raw, len) || candidate_may_write(theirs, raw, len);
}

static int answer_what_they_lack(enl_profile *p, const cell_rec *c, uint8_t *const *stmts,
                                 const size_t *lens, size_t n, const uint8_t sender[32])
{
    cell_rec *theirs = rec_new();
    const enl_cell_person *s;
    enl_contact k;
    uint8_t *body = NULL;
    size_t len = 0, common = 0;
    int rc = ENL_OK, lack = 0;

    if (theirs == NULL) return ENL_ENOMEM;
    for (size_t i = 0; rc == ENL_OK && i < n; i++) {
        int r = rec_merge(theirs, stmts[i], lens[i], 0);
        if (r == ENL_ENOMEM) rc = r;
    }
    if (rc == ENL_OK && theirs->n > 0 && memcmp(theirs->cell_id, c->cell_id, 32) == 0 &&
        rec_compute(theirs) == ENL_OK)
        for (size_t i = 0; i < c->n; i++) {
            if (holds(theirs, c->ids[i])) common++;
            else if (!lack) lack = they_would_take(theirs, c->raw[i], c->raw_len[i], c->ids[i]);
        }
    rec_free(theirs);
    if (rc != ENL_OK || !lack) return rc;
    /* logs go to members only (a candidate who was a member once holds an
     * old log, and must learn nothing of those admitted since) */
    if ((s = enl_cell_find(&c->view, sender)) == NULL || s->state != ENL_CELL_MEMBER ||
        person_contact(p, s, &k) != ENL_OK)
        return ENL_OK;
    if ((rc = log_body(c, &body, &len)) == ENL_OK) {
        /* Once per log of mine, member and number of my statements
         * theirs holds: a member who sends tiny logs again and again must
         * not get my whole log back each time (the reply stays in my
         * outbox until it is delivered), yet one whose log grew and still
         * lacks what they would now take gets it again. Not the count
         * their log gives: a statement repeated, or junk that could never
         * count, makes it any number at no cost, and each would get my
         * whole log back. And at most ANSWERS_MAX times per log of mine
         * and member: leaving out one more of my statements each time
         * would otherwise still get one answer per statement I hold. */
        uint8_t key[32], slot[32];
        uint8_t their_n[2] = { (uint8_t)(common >> 8), (uint8_t)common };
        int sent, room = 0;
        answer_key(key, "enlace log answered v2", sender, their_n, sizeof their_n, body, len);
        sent = enl_store_set_has(p->st, "seen", key);
        rc = sent < 0 ? sent : ENL_OK;
        for (uint8_t i = 0; sent == 0 && !room && rc == ENL_OK && i < ANSWERS_MAX; i++) {
            int used;
            answer_key(slot, "enlace log answers v1", sender, &i, 1, body, len);
            used = enl_store_set_has(p->st, "seen", slot);
            if (used < 0) rc = used;
            room = used == 0;
        }
        if (room) rc = enl_seal_kind(p, &k, ENL_KIND_CELL_LOG, body, len, NULL, NULL);
        if (room && rc == ENL_OK)
            rc = enl_store_set_add(p->st, "seen", key, enl_now_hours() + ENL_EXPIRY_MAX_HOURS);
        if (room && rc == ENL_OK)
            rc = enl_store_set_add(p->st, "seen", slot, enl_now_hours() + ENL_EXPIRY_MAX_HOURS);
    }
    enl_free_wiped(body, len);  /* the log: who is in the cell */
    return rc;
}

/* How many bytes of name fit in max, never cutting a UTF-8 character in
 * two: a cell name that is not UTF-8 is refused on every command line. */
static size_t name_room(const char *name, size_t max)
{
    size_t keep = strlen(name) < max ? strlen(name) : max;
    while (keep > 0 && ((unsigned char)name[keep] & 0xc0) == 0x80) keep--;
    return keep;
}

/* 1 when a cell here is named name, 0 when none is. */
static int cell_name_taken(enl_profile *p, const char *name)
{
    name_ctx f = { name, { 0 }, 0 };
    int rc = enl_store_row_each(p->st, "cells", by_name_cb, &f);
    return rc != ENL_OK ? rc : f.found;
}

/* A name for a cell new here, none other's: the founder's, else NAME.2 ...
 * NAME.99, else NAME and 16 hex digits of the cell id (as contacts' names
 * are made free). Two cells of one name would be one command line for
 * both, and the store's order would pick which: a contact who enrols me in
 * cells of their own (nobody asks me) could have a cell I join later named
 * as one of theirs, and my notes to it go to theirs (review rev-cell). */
static int free_cell_name(enl_profile *p, const char *name, const uint8_t cell_id[32],
                          char use[ENL_NAME_MAX + 1])
{
    int rc;
    snprintf(use, ENL_NAME_MAX + 1, "%s", name);
    for (unsigned i = 2; i <= 100; i++) {
        if ((rc = cell_name_taken(p, use)) <= 0) return rc;
        if (i < 100)
            snprintf(use, ENL_NAME_MAX + 1, "%.*s.%u", (int)name_room(name, ENL_NAME_MAX - 4), name, i);
    }
    snprintf(use, ENL_NAME_MAX + 1, "%.*s.%02x%02x%02x%02x%02x%02x%02x%02x",
             (int)name_room(name, ENL_NAME_MAX - 17), name, cell_id[0], cell_id[1], cell_id[2],
             cell_id[3], cell_id[4], cell_id[5], cell_id[6], cell_id[7]);
    if ((rc = cell_name_taken(p, use)) < 0) return rc;
    return rc ? enl_fail(p, ENL_EEXISTS, "no free name for cell \"%s\" here", name) : ENL_OK;
}

/* A log from a member: statements merged, acted on, passed on. */
/* Whether a log for a cell new to me can be mine at all: it holds the
 * cell's CREATE and an ADD of me by one of my contacts (not burned). Each
 * statement is checked once; merging is what costs (a pass per link of a
 * chain of admissions, every signature again each pass), and anyone who
 * holds my card may send a log. */
static int may_concern_me(enl_profile *p, const uint8_t cell_id[32], uint8_t *const *stmts,
                          const size_t *lens, size_t n)
{
    enl_stmt *st = malloc(n * sizeof *st + 1);
    int create = 0, mine = 0;
    if (st == NULL) return ENL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (enl_stmt_parse(&st[i], stmts[i], lens[i]) != ENL_OK ||
            memcmp(st[i].cell_id, cell_id, 32) != 0)
            st[i].type = 0xff;          /* counts for nothing */
        else if (st[i].type == ENL_STMT_CREATE)
            create = 1;
    }
    for (size_t i = 0; create && !mine && i < n; i++) {
        if (st[i].type != ENL_STMT_ADD || !is_me(p, st[i].subject_sign)) continue;
        /* the author's DH key: from their own ADD, or the founder's card */
        for (size_t j = 0; !mine && j < n; j++) {
            uint8_t dh[32];
            enl_card card;
            enl_contact k;
            if (st[j].type == ENL_STMT_ADD && memcmp(st[j].subject_sign, st[i].author, 32) == 0)
                memcpy(dh, st[j].subject_dh, 32);
            else if (st[j].type == ENL_STMT_CREATE && memcmp(st[j].author, st[i].author, 32) == 0 &&
                     enl_card_parse(&card, st[j].card, st[j].card_len, 0) == ENL_OK)
                memcpy(dh, card.dh_pk, 32);
            else
                continue;
            mine = enl_contact_by_dh(p, dh, &k) == ENL_OK && !k.burned &&
                   sodium_memcmp(k.card.sign_pk, st[i].author, 32) == 0;
        }
    }
    enl_free_wiped(st, n * sizeof *st + 1);     /* who is in the cell */
    return mine;
}

/* Members of c whose keys are burned on this device (burned_here) and
 * against whom my BURN vouch at their generation is not in the log: they
 * became members after my `burn` (a candidate then), or my device held
 * their revocation before it knew them. The burn those stand for is
 * signed now, in every cell where it is owed; until then the cell would
 * stay a vouch short of burning them. */
static int burn_vouch_owed(enl_profile *p, const cell_rec *c)
{
    uint8_t (*owed)[64] = NULL;
    size_t n = 0;
    int rc = ENL_OK;
    if (!joined_member(p, c)) return ENL_OK;
    if ((owed = malloc(c->view.npeople * sizeof *owed + 1)) == NULL) return ENL_ENOMEM;
    for (size_t i = 0; i < c->view.npeople; i++) {
        const enl_cell_person *m = &c->view.people[i];
        if (is_me(p, m->sign_pk) || m->state != ENL_CELL_MEMBER || !burned_here(p, m->sign_pk, m->dh_pk) ||
            signed_already(p, c, m->sign_pk, m->gen, 1u << ENL_STMT_BURN))
            continue;
        memcpy(owed[n], m->sign_pk, 32);
        memcpy(owed[n] + 32, m->dh_pk, 32);
        n++;
    }
    for (size_t i = 0; rc == ENL_OK && i < n; i++) {
        int cells = 0, failed = 0;
        rc = enl_cell_burn_vouch(p, owed[i], owed[i] + 32, "keys burned on this device", &cells,
                                 &failed);
    }
    free(owed);
    return rc;
}

/* The mark a declined cell leaves in the "seen" set: keyed, so the file
 * does not show which cells were declined. */
static void declined_mark(enl_profile *p, const uint8_t cell_id[32], uint8_t mark[32])
{
    enl_store_index(p->st, mark, "declined cell", cell_id, 32);
}

/* 1 when the user declined this cell (within ENL_EXPIRY_MAX_HOURS: every
 * note that carried its log has expired by then), 0 if not, < 0 on error. */
static int declined(enl_profile *p, const uint8_t cell_id[32])
{
    uint8_t mark[32];
    declined_mark(p, cell_id, mark);
    return enl_store_set_has(p->st, "seen", mark);
}

static int count_invited(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    int *n = ctx;
    size_t at;
    (void)seq;
    /* the flags sit after the id, the name and the epoch */
    if (len < 34 || pt[0] != CELL_VERSION) return ENL_ESTORE;
    at = 34 + (size_t)pt[33] + 32;
    if (at >= len) return ENL_ESTORE;
    if (pt[at] & FLAG_INVITED) (*n)++;
    return 0;
}

/* How many cells wait for the user to join or decline them (< 0: error). */
static int invitations_waiting(enl_profile *p)
{
    int n = 0, rc = enl_store_row_each(p->st, "cells", count_invited, &n);
    return rc != ENL_OK ? rc : n;
}

static int deliver_log(enl_profile *p, const enl_delivery *d)
{
    enl_rd r = enl_rd_init(d->body, d->body_len);
    uint8_t cell_id[32], *stmts[ENL_CELL_STMTS_MAX];
    size_t lens[ENL_CELL_STMTS_MAX], n;
    cell_rec *c = NULL;
    int rc, new_cell = 0, was_invited;

    enl_rd_bytes(&r, cell_id, 32);
    n = enl_rd_u16(&r);
    if (r.err || n == 0 || n > ENL_CELL_STMTS_MAX) return ENL_EMALFORMED;
    for (size_t i = 0; i < n; i++) {
        lens[i] = enl_rd_u16(&r);
        stmts[i] = (uint8_t *)enl_rd_ptr(&r, lens[i]);
        if (stmts[i] == NULL) return ENL_EMALFORMED;
    }
    if (enl_rd_left(&r) != 0) return ENL_EMALFORMED;

    rc = rec_load_id(p, cell_id, &c);
    if (rc == ENL_ENOTFOUND) {
        new_cell = 1;
        /* A cell new to me: only when I am a member of it, vouched for by
         * one of my own contacts. */
        const enl_cell_person *me;
        int vouched = 0;
        int grew = 0;
        if ((rc = may_concern_me(p, cell_id, stmts, lens, n)) <= 0)
            return rc;                  /* not for me: read, and dropped */
        if ((rc = declined(p, cell_id)) != 0)
            return rc < 0 ? rc : ENL_OK;    /* the user said no: read, and dropped */
        /* Before any merge: a refused invitation comes again at every
         * sync, and each would cost a whole log's checks for nothing. */
        if ((rc = invitations_waiting(p)) < 0) return rc;
        if (rc >= ENL_CELL_INVITES_MAX)
            return enl_fail(p, ENL_EFULL, "a cell invitation is refused: %d wait already "
                            "(`enlace cell list`; join or decline them)", rc);
        if ((c = rec_new()) == NULL) return ENL_ENOMEM;
        if ((rc = merge_all(p, c, stmts, lens, n, 0, &grew)) != ENL_OK) {
            rec_free(c);
            return rc;
        }
        rc = c->n > 0 && memcmp(c->cell_id, cell_id, 32) == 0 ? ENL_OK : ENL_EMALFORMED;
        me = rc == ENL_OK ? enl_cell_find(&c->view, p->id->sign_pk) : NULL;
        for (size_t i = 0; me != NULL && me->state == ENL_CELL_MEMBER && i < c->n && !vouched; i++) {
            enl_contact k;
            const enl_cell_person *a;
            if (c->st[i].type != ENL_STMT_ADD || !is_me(p, c->st[i].subject_sign)) continue;
            a = enl_cell_find(&c->view, c->st[i].author);
            /* a contact who is or was a member: a candidate's ADD counts for nothing */
            vouched = a != NULL && a->gen > 0 && a->card_stmt != SIZE_MAX &&
                      person_contact(p, a, &k) == ENL_OK;
        }
        rec_free(c);
        c = NULL;
        if (!vouched) return ENL_OK;    /* not for me: read, and dropped */
        if ((c = rec_new()) == NULL) return ENL_ENOMEM;
        c->invited = 1;
        if (d->outcome != NULL) *d->outcome = ENL_DELIVERY_NEW;
        /* the founder's name, made unique here */
        {
            enl_stmt s;
            int found = 0;
            for (size_t i = 0; i < n && !found; i++)
                found = enl_stmt_parse(&s, stmts[i], lens[i]) == ENL_OK &&
                        s.type == ENL_STMT_CREATE && memcmp(s.cell_id, cell_id, 32) == 0;
            /* (the view above needed the founding CREATE: never missing) */
            if (!found) {
                rc = ENL_OK;
                goto out;
            }
            if ((rc = free_cell_name(p, s.name, cell_id, c->name)) != ENL_OK) goto out;
        }
    } else if (rc != ENL_OK) {
        return rc;
    } else {
        /* A cell I hold: its log is taken only from a member or a candidate
         * proposed by a member, in my view. Whoever else sends one (someone a captured device
         * handed its statements to) is read, and dropped; the members'
         * own logs carry every statement that counts. */
        const enl_cell_person *s = enl_cell_find(&c->view, d->sender_sign_pk);
        if (s == NULL || (s->state != ENL_CELL_MEMBER && !proposed_by_a_member(c, s)) ||
            memcmp(s->dh_pk, d->sender_dh_pk, 32) != 0) {
            rec_free(c);
            return ENL_OK;
        }
    }
    was_invited = c->invited;
    rc = merge_and_act(p, c, stmts, lens, n, d->sender_sign_pk);
    /* a cell I was out of that admits me again: a new invitation too */
    if (rc == ENL_OK && !was_invited && c->invited && d->outcome != NULL)
        *d->outcome = ENL_DELIVERY_NEW;
    /* An invitation whose members have removed me since: nothing to join
     * any more, and it must not take one of the places invitations have */
    if (rc == ENL_OK && c->invited && !enl_cell_is_member(&c->view, p->id->sign_pk)) {
        rc = forget_cell(p, c);
        goto out;
    }
    if (rc == ENL_OK && !new_cell && !c->invited)
        rc = answer_what_they_lack(p, c, stmts, lens, n, d->sender_sign_pk);
    if (rc == ENL_OK) rc = burn_vouch_owed(p, c);
out:
    rec_free(c);
    return rc;
}

/* The member of the cell with this pair of keys: a note proves only its
 * sender's DH key (Noise X), and the signing key beside it is whatever the
 * sender wrote, so a member is matched on both. NULL when none. */
static const enl_cell_person *member_with_keys(const cell_rec *c, const uint8_t sign_pk[32],
                                               const uint8_t dh_pk[32])
{
    const enl_cell_person *m = enl_cell_find(&c->view, sign_pk);
    if (m == NULL || sodium_memcmp(m->dh_pk, dh_pk, 32) != 0) return NULL;
    return m;
}

/* My current key of the cell, to one member my last new key missed: it
 * was made for a membership they are in. Not a new key for everyone: each
 * member a sync reaches would make one more, and the three of my keys a
 * member keeps would soon hold none that notes still on their way need. */
static int send_key_to(enl_profile *p, const cell_rec *c, const enl_cell_person *m)
{
    uint8_t body[ENL_CELL_KEYMSG_BYTES], key_id[32];
    enl_contact k;
    int rc;
    if (person_contact(p, m, &k) != ENL_OK) return ENL_OK;
    if ((rc = new_key_id(p, c->n, key_id)) != ENL_OK) return rc;
    rc = enl_cell_key_message(body, &c->sk, c->cell_id, key_id, p->id, k.card.dh_pk);
    if (rc == ENL_OK) rc = enl_seal_kind(p, &k, ENL_KIND_SENDER_KEY, body, sizeof body, NULL, NULL);
    sodium_memzero(body, sizeof body);
    /* never a reason to refuse the note that began the session */
    return unreachable_now(rc) ? ENL_OK : rc;
}

int enl_cells_session_begun(enl_profile *p, const uint8_t sign_pk[32], const uint8_t dh_pk[32])
{
    id_list l = { NULL, 0, 0 };
    int rc;
    if (burned_here(p, sign_pk, dh_pk)) return ENL_OK;   /* the captor's, maybe */
    rc = enl_store_row_each(p->st, "cells", collect_cell_ids, &l);

    for (size_t i = 0; rc == ENL_OK && i < l.n; i++) {
        cell_rec *c = NULL;
        const enl_cell_person *m;
        if ((rc = rec_load_id(p, l.v[i], &c)) != ENL_OK) break;
        m = member_with_keys(c, sign_pk, dh_pk);
        if (c->key_missed && c->has_sk && memcmp(c->sk_epoch, c->view.epoch, 32) == 0 &&
            joined_member(p, c) && m != NULL && m->state == ENL_CELL_MEMBER)
            rc = send_key_to(p, c, m);
        rec_free(c);
    }
    enl_free_wiped(l.v, l.cap * sizeof *l.v);
    return rc;
}

static int deliver_sender_key(enl_profile *p, const enl_delivery *d)
{
    enl_senderkey sk;
    cell_rec *c = NULL;
    const enl_cell_person *m;
    uint8_t h[32], *probe = NULL;
    size_t plen = 0;
    int rc, keep = 0;

    if (d->body_len != ENL_CELL_KEYMSG_BYTES) return ENL_EMALFORMED;
    if ((rc = rec_load_id(p, d->body, &c)) == ENL_ENOTFOUND) {
        /* a cell declined here: read, and dropped (not kept and tried again
         * at every sync, as one whose log is still on its way) */
        if ((rc = declined(p, d->body)) != 0) return rc < 0 ? rc : ENL_OK;
        return enl_fail(p, ENL_EREFUSED, "a sender key for a cell not known yet");
    }
    if (rc != ENL_OK) return rc;
    if (enl_cell_find(&c->view, d->sender_sign_pk) != NULL &&
        member_with_keys(c, d->sender_sign_pk, d->sender_dh_pk) == NULL) {
        rec_free(c);
        return enl_fail(p, ENL_EREFUSED, "a sender key in a member's name from other keys than "
                        "theirs is refused");
    }
    m = member_with_keys(c, d->sender_sign_pk, d->sender_dh_pk);
    if (!enl_cell_is_member(&c->view, p->id->sign_pk) || m == NULL || m->state == ENL_CELL_REMOVED) {
        rec_free(c);
        return ENL_OK;      /* I am out, or they are: read, and dropped */
    }
    if (m->state != ENL_CELL_MEMBER) {
        rec_free(c);
        return enl_fail(p, ENL_EREFUSED, "a sender key from someone not yet a member here");
    }
    rec_free(c);
    {
        /* made by its sender: every member holds the others' keys, and
         * could hand one on as their own */
        enl_sk_owner o = { d->body, d->body + 32, d->sender_sign_pk, d->sender_dh_pk,
                           p->id->dh_pk };
        if (enl_senderkey_check_owner(d->body + 64 + ENL_SK_SHAREBYTES,
                                      d->body + 64 + ENL_SK_SHAREBYTES - 32 /* its sign_pk */, &o,
                                      p->id->dh_sk) != ENL_OK)
            return enl_fail(p, ENL_EREFUSED, "a sender key its sender did not make is refused");
    }
    sk_row_key(p, d->body, d->sender_sign_pk, d->body + 32, h);
    rc = enl_store_row_get(p->st, "senderkeys", h, &probe, &plen);
    if (rc == ENL_OK) {
        enl_store_free(probe, plen);
        return ENL_OK;      /* known: a chain is never set back */
    }
    if (rc != ENL_ENOTFOUND) return rc;
    if ((rc = make_room_for_key(p, d->body, d->sender_sign_pk, d->body + 32, &keep)) != ENL_OK ||
        !keep)
        return rc;          /* older than the member's keys held: read, and dropped */
    if ((rc = enl_senderkey_from_share(&sk, d->body + 64, ENL_SK_SHAREBYTES)) != ENL_OK) return rc;
    rc = sk_row_write(p, h, d->body, d->sender_sign_pk, d->sender_dh_pk, d->body + 32, &sk);
    enl_senderkey_wipe(&sk);
    return rc;
}

void enl_cell_key_row(enl_profile *p, const enl_delivery *d, uint8_t row[32])
{
    sk_row_key(p, d->body, d->sender_sign_pk, d->body + 32, row);
}

int enl_cell_deliver(enl_profile *p, const enl_delivery *d)
{
    /* nothing the user acts on, but a new invitation (deliver_log) */
    if (d->outcome != NULL) *d->outcome = ENL_DELIVERY_NOTHING;
    /* A burned device must not hand the cell a new sender key (its notes
     * would be shown again) nor statements (a log is taken from no one
     * whose keys are burned here). */
    if (burned_here(p, d->sender_sign_pk, d->sender_dh_pk))
        return enl_fail(p, ENL_EREFUSED, "a cell log or sender key from keys burned on this "
                        "device is refused");
    switch (d->kind) {
    case ENL_KIND_CELL_LOG: return deliver_log(p, d);
    case ENL_KIND_SENDER_KEY: return deliver_sender_key(p, d);
    default: return ENL_EVERSION;
    }
}

/* A member's sender key row (cells.h). */
static int sk_row_read(enl_profile *p, const uint8_t row[32], enl_cell_opened *co)
{
    uint8_t *pt = NULL;
    size_t pl = 0, n;
    enl_rd r;
    int rc = enl_store_row_get(p->st, "senderkeys", row, &pt, &pl);

    if (rc != ENL_OK) return rc;
    r = enl_rd_init(pt, pl);
    memcpy(co->row, row, 32);
    if (enl_rd_u8(&r) != SK_ROW_VERSION) rc = ENL_ESTORE;
    enl_rd_bytes(&r, co->cell_id, 32);
    enl_rd_bytes(&r, co->sender_sign, 32);
    enl_rd_bytes(&r, co->sender_dh, 32);
    enl_rd_bytes(&r, co->epoch, 32);
    n = enl_rd_u16(&r);
    if (rc == ENL_OK && (r.err || enl_rd_left(&r) != n ||
                         enl_senderkey_parse(&co->sk, pt + r.off, n) != ENL_OK))
        rc = ENL_ESTORE;
    enl_store_free(pt, pl);
    return rc;
}

int enl_cell_note_open(enl_profile *p, const uint8_t row[32], const uint8_t *note, size_t len,
                       enl_cell_opened *co, uint8_t *plain, size_t *plain_len)
{
    int rc = sk_row_read(p, row, co);
    if (rc != ENL_OK) return rc;
    if (len < ENL_NOTE_HEADERBYTES + ENL_SK_OVERHEAD) return ENL_EMALFORMED;
    rc = enl_senderkey_decrypt(&co->sk, plain, note, ENL_NOTE_HEADERBYTES,
                               note + ENL_NOTE_HEADERBYTES, len - ENL_NOTE_HEADERBYTES);
    if (rc == ENL_OK) *plain_len = len - ENL_NOTE_HEADERBYTES - ENL_SK_OVERHEAD;
    return rc;
}

int enl_cell_held_notes(enl_profile *p, const uint8_t row[32], enl_store_id_fn fn, void *ctx)
{
    enl_cell_opened *co = enl_secmem_alloc(sizeof *co);
    uint8_t (*tags)[ENL_SK_TAGBYTES] = malloc(ENL_SK_TAGS_MAX * sizeof *tags);
    size_t n;
    int rc = co == NULL || tags == NULL ? ENL_ENOMEM : sk_row_read(p, row, co);

    if (rc == ENL_OK) {
        n = enl_senderkey_tags(&co->sk, tags, ENL_SK_TAGS_MAX);
        for (size_t i = 0; rc == ENL_OK && i < n; i++)
            rc = enl_store_notes_by_tag(p->st, tags[i], fn, ctx);
        if (rc > 0) rc = ENL_OK;   /* fn had enough */
    }
    if (co != NULL) enl_senderkey_wipe(&co->sk);
    enl_secmem_free(co);
    enl_free_wiped(tags, tags ? ENL_SK_TAGS_MAX * sizeof *tags : 0);
    return rc;
}

int enl_cell_note_deliver(enl_profile *p, enl_cell_opened *co, enl_delivery *d)
{
    cell_rec *c = NULL;
    int rc;

    if (d->kind != ENL_KIND_CELL_TEXT || d->body_len < 32 || memcmp(d->body, co->cell_id, 32) != 0)
        return ENL_EMALFORMED;
    if ((rc = rec_load_id(p, co->cell_id, &c)) != ENL_OK) return rc;
    /* both keys: a sender key kept before they were checked on arrival
     * may be in a member's name but not from them */
    if (!enl_cell_is_member(&c->view, co->sender_sign) ||
        member_with_keys(c, co->sender_sign, co->sender_dh) == NULL ||
        !enl_cell_is_member(&c->view, p->id->sign_pk)) {
        rec_free(c);
        return enl_fail(p, ENL_EREFUSED, "a cell note from someone who is not a member");
    }
    if (burned_here(p, co->sender_sign, co->sender_dh)) {
        rec_free(c);
        return enl_fail(p, ENL_EREFUSED, "a cell note from keys burned on this device");
    }
    rec_free(c);
    d->in_cell = 1;
    memcpy(d->cell_id, co->cell_id, 32);
    memcpy(d->sender_sign_pk, co->sender_sign, 32);
    memcpy(d->sender_dh_pk, co->sender_dh, 32);
    d->body += 32;
    d->body_len -= 32;
    /* the sender key moved past this note's key: save it, with new tags */
    return sk_row_write(p, co->row, co->cell_id, co->sender_sign, co->sender_dh, co->epoch, &co->sk);
}

/* In every cell I am a member of where sign_pk is named (but except_cell,
 * may be NULL): their sender keys are forgotten and mine renewed; in an
 * invitation, theirs are forgotten. */
static int rekey_cells_without(enl_profile *p, const uint8_t sign_pk[32], const uint8_t *except_cell)
{
    id_list l = { NULL, 0, 0 };
    int rc = enl_store_row_each(p->st, "cells", collect_cell_ids, &l);

    for (size_t i = 0; rc == ENL_OK && i < l.n; i++) {
        cell_rec *c = NULL;
        if (except_cell != NULL && memcmp(l.v[i], except_cell, 32) == 0) continue;
        if ((rc = rec_load_id(p, l.v[i], &c)) != ENL_OK) break;
        if (joined_member(p, c) && enl_cell_find(&c->view, sign_pk) != NULL) {
            /* their keys are compromised: nothing of theirs is read any
             * more, and my new key goes to every member but them */
            rc = forget_sender_keys(p, c, sign_pk);
            if (rc == ENL_OK && enl_cell_is_member(&c->view, sign_pk)) rc = rotate_sender_key(p, c);
            if (rc == ENL_OK) rc = rec_save(p, c);
        } else if (c->invited && enl_cell_find(&c->view, sign_pk) != NULL) {
            /* an invitation: nothing of mine to renew, but their keys go
             * too (forgetting sends nothing), or the captor's notes would
             * still be opened there, and refused, at every sync */
            rc = forget_sender_keys(p, c, sign_pk);
        }
        rec_free(c);
    }
    enl_free_wiped(l.v, l.cap * sizeof *l.v);
    return rc;
}

int enl_cell_burned(enl_profile *p, const uint8_t sign_pk[32])
{
    return rekey_cells_without(p, sign_pk, NULL);
}
