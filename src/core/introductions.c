/*
 * Introductions (Briar's are the model): I hand each of two contacts the
 * other's card, signed by me, over our pairwise sessions. The receiver keeps
 * it pending until they accept it (the card becomes a contact marked
 * "introduced by NAME") or decline it. Only an introduction from a contact
 * whose keys are not burned is kept; any other is read and dropped.
 *
 * A pending introduction is an encrypted row of `introductions`, keyed by
 * the store's keyed hash of its id (BLAKE2b-256 of the signed bytes):
 *
 *   version u8 (1) | received u64 | introducer dh_pk [32] |
 *   length u16 | the introduction as it came (cell/introduction.h)
 *
 * It is parsed and its signature checked again whenever it is read.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell/introduction.h"
#include "core/deliver.h"
#include "core/send.h"
#include "note/note.h"
#include "util/bytes.h"
#include "util/secmem.h"

#define ROW_VERSION 1
#define ROW_FIXED (1 + 8 + 32 + 2)
/* Introductions waiting for an answer: at most this many from one
 * introducer, and in all (a contact who turns cannot grow the store
 * without end; the next ones wait until some are answered). */
#define PENDING_PER_INTRODUCER 32
#define PENDING_MAX 1024

typedef struct {
    uint8_t id[32];
    uint64_t received;
    uint8_t introducer_dh[32];
    enl_intro in;               /* in.card points into the row */
} intro_row;

static int in_tx(enl_profile *p, int rc)
{
    if (rc == ENL_OK) return enl_store_commit(p->st);
    enl_store_rollback(p->st);
    return rc;
}

static int row_decode(intro_row *r, const uint8_t *pt, size_t len)
{
    enl_rd rd = enl_rd_init(pt, len);
    const uint8_t *q;
    size_t n;

    if (enl_rd_u8(&rd) != ROW_VERSION) return ENL_ESTORE;
    r->received = enl_rd_u64(&rd);
    enl_rd_bytes(&rd, r->introducer_dh, 32);
    n = enl_rd_u16(&rd);
    if ((q = enl_rd_ptr(&rd, n)) == NULL || enl_rd_left(&rd) != 0) return ENL_ESTORE;
    crypto_generichash(r->id, 32, q, n, NULL, 0);
    return enl_intro_parse(&r->in, q, n) == ENL_OK ? ENL_OK : ENL_ESTORE;
}

/* The introducer as a contact, when they still are one with the same key. */
static int introducer_contact(enl_profile *p, const intro_row *r, enl_contact *k)
{
    if (enl_contact_by_dh(p, r->introducer_dh, k) != ENL_OK) return ENL_ENOTFOUND;
    if (sodium_memcmp(k->card.sign_pk, r->in.introducer, 32) != 0) return ENL_ENOTFOUND;
    return ENL_OK;
}

int enl_introduce(enl_profile *p, const char *a, const char *b, const char *note)
{
    enl_contact k[2];
    char card[2][ENL_CARD_TEXTMAX];
    uint8_t body[ENL_INTRO_MAXBYTES];
    size_t len = 0;
    int rc;

    if (note != NULL && strlen(note) > ENL_INTRO_NOTE_MAX)
        return enl_fail(p, ENL_ETOOBIG, "the note is at most %d bytes", ENL_INTRO_NOTE_MAX);
    if ((rc = enl_contact_by_name(p, a, &k[0])) != ENL_OK) return rc;
    if ((rc = enl_contact_by_name(p, b, &k[1])) != ENL_OK) return rc;
    if (memcmp(k[0].card.dh_pk, k[1].card.dh_pk, 32) == 0 ||
        memcmp(k[0].card.sign_pk, k[1].card.sign_pk, 32) == 0)
        return enl_fail(p, ENL_EINVAL, "%s and %s are the same person: nobody is introduced to themselves", a, b);
    for (int i = 0; i < 2; i++) {
        enl_card c;
        if (k[i].burned)
            return enl_fail(p, ENL_EREFUSED, "%s's keys are burned: never introduce them", k[i].name);
        if ((rc = enl_contact_card_text(p, k[i].card.dh_pk, card[i], sizeof card[i])) != ENL_OK) return rc;
        /* an expired card would only be refused by the other side */
        if (enl_card_parse(&c, card[i], strlen(card[i]), enl_now()) == ENL_EEXPIRED)
            return enl_fail(p, ENL_EEXPIRED, "the card you hold for %s has expired: ask them for a fresh one", k[i].name);
    }
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    for (int i = 0; rc == ENL_OK && i < 2; i++) {
        /* to k[i], the card of the other */
        rc = enl_intro_make(body, &len, k[i].card.sign_pk, card[1 - i], strlen(card[1 - i]), note, p->id);
        if (rc == ENL_OK) rc = enl_seal_kind(p, &k[i], ENL_KIND_INTRODUCTION, body, len, NULL, NULL);
    }
    return in_tx(p, rc);
}

typedef struct {
    const uint8_t *introducer_dh;
    size_t theirs, all;
} pending_ctx;

static int count_pending(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    pending_ctx *c = ctx;
    (void)seq;
    c->all++;
    if (len >= ROW_FIXED && sodium_memcmp(pt + 1 + 8, c->introducer_dh, 32) == 0) c->theirs++;
    return 0;
}

int enl_intro_deliver(enl_profile *p, const enl_delivery *d)
{
    uint8_t h[32], id[32], *row;
    size_t rlen = 0;
    enl_intro in;
    enl_wr w;
    int rc;

    /* whatever is dropped below is nothing new to the user (the sync's
     * count of new introductions) */
    if (d->outcome != NULL) *d->outcome = ENL_DELIVERY_NOTHING;
    /* only a contact may vouch for a card to me */
    if (d->contact == NULL || d->contact->burned) return ENL_OK;
    if ((rc = enl_intro_parse(&in, d->body, d->body_len)) != ENL_OK) return rc;
    if (sodium_memcmp(in.introducer, d->sender_sign_pk, 32) != 0 ||
        sodium_memcmp(in.recipient, p->id->sign_pk, 32) != 0)
        return ENL_OK;          /* signed by someone else, or made for someone else */
    if (sodium_memcmp(in.parsed.sign_pk, p->id->sign_pk, 32) == 0 ||
        sodium_memcmp(in.parsed.dh_pk, p->id->dh_pk, 32) == 0)
        return ENL_OK;          /* my own card */
    crypto_generichash(id, 32, d->body, d->body_len, NULL, 0);
    enl_store_index(p->st, h, "introductions", id, 32);
    /* the same introduction again (made twice, as the bytes are the same):
     * it waits once, since it first came */
    if ((rc = enl_store_row_get(p->st, "introductions", h, &row, &rlen)) == ENL_OK) {
        enl_store_free(row, rlen);
        return ENL_OK;
    }
    if (rc != ENL_ENOTFOUND) return rc;
    {
        pending_ctx c = { d->sender_dh_pk, 0, 0 };
        if ((rc = enl_store_row_each(p->st, "introductions", count_pending, &c)) != ENL_OK) return rc;
        if (c.theirs >= PENDING_PER_INTRODUCER || c.all >= PENDING_MAX)
            return enl_fail(p, ENL_EFULL, "too many introductions waiting for an answer: answer "
                            "some (enlace introductions)");
    }
    if ((row = sodium_malloc(ROW_FIXED + d->body_len)) == NULL) return ENL_ENOMEM;
    w = enl_wr_init(row, ROW_FIXED + d->body_len);
    enl_wr_u8(&w, ROW_VERSION);
    enl_wr_u64(&w, enl_now());
    enl_wr_bytes(&w, d->sender_dh_pk, 32);
    enl_wr_u16(&w, (uint16_t)d->body_len);
    enl_wr_bytes(&w, d->body, d->body_len);
    rc = w.err ? ENL_ETOOBIG : enl_store_row_put(p->st, "introductions", h, row, w.len);
    sodium_free(row);
    if (rc == ENL_OK && d->outcome != NULL) *d->outcome = ENL_DELIVERY_NEW;
    return rc;
}

typedef struct {
    intro_row *v;
    uint8_t **raw;              /* each row's plaintext: v[i].in.card points into it */
    size_t *raw_len;
    size_t n, cap;
} row_list;

static int collect(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    row_list *l = ctx;
    (void)seq;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        intro_row *v = enl_grow_wiped(l->v, l->cap * sizeof *v, cap * sizeof *v);
        uint8_t **raw;
        size_t *rl;
        if (v == NULL) return ENL_ENOMEM;
        l->v = v;
        if ((raw = realloc(l->raw, cap * sizeof *raw)) == NULL) return ENL_ENOMEM;
        l->raw = raw;
        if ((rl = realloc(l->raw_len, cap * sizeof *rl)) == NULL) return ENL_ENOMEM;
        l->raw_len = rl;
        l->cap = cap;
    }
    if ((l->raw[l->n] = malloc(len)) == NULL) return ENL_ENOMEM;
    memcpy(l->raw[l->n], pt, len);
    l->raw_len[l->n] = len;
    memset(&l->v[l->n], 0, sizeof l->v[l->n]);
    if (row_decode(&l->v[l->n], l->raw[l->n], len) != ENL_OK) {
        enl_free_wiped(l->raw[l->n], len);
        return ENL_ESTORE;
    }
    l->n++;
    return 0;
}

static void list_free(row_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        sodium_memzero(l->raw[i], l->raw_len[i]);
        free(l->raw[i]);
    }
    free(l->raw);
    free(l->raw_len);
    enl_free_wiped(l->v, l->cap * sizeof *l->v);
}

static int oldest_first(const void *a, const void *b)
{
    const intro_row *x = a, *y = b;
    if (x->received != y->received) return x->received < y->received ? -1 : 1;
    return memcmp(x->id, y->id, 32);
}

static int list_load(enl_profile *p, row_list *l)
{
    int rc;
    memset(l, 0, sizeof *l);
    rc = enl_store_row_each(p->st, "introductions", collect, l);
    /* sorting moves rows, not the plaintexts their cards point into */
    if (rc == ENL_OK && l->n > 1) qsort(l->v, l->n, sizeof *l->v, oldest_first);
    return rc;
}

static void fill_info(enl_profile *p, const intro_row *r, enl_introduction_info *out)
{
    enl_contact k;
    uint8_t fp[32];
    memset(out, 0, sizeof *out);
    sodium_bin2hex(out->id, sizeof out->id, r->id, 4);
    if (introducer_contact(p, r, &k) == ENL_OK) snprintf(out->introducer, sizeof out->introducer, "%s", k.name);
    snprintf(out->name, sizeof out->name, "%s", r->in.parsed.name);
    enl_fingerprint_raw(fp, r->in.parsed.sign_pk, r->in.parsed.dh_pk);
    enl_fingerprint_text(out->fingerprint, fp);
    snprintf(out->note, sizeof out->note, "%s", r->in.note);
    if (enl_contact_by_dh(p, r->in.parsed.dh_pk, &k) == ENL_OK &&
        sodium_memcmp(k.card.sign_pk, r->in.parsed.sign_pk, 32) == 0)
        snprintf(out->known_as, sizeof out->known_as, "%s", k.name);
    out->received = r->received;
}

int enl_introductions_each(enl_profile *p, int (*cb)(const enl_introduction_info *i, void *ctx),
                           void *ctx)
{
    row_list l;
    int rc = list_load(p, &l);
    for (size_t i = 0; rc == ENL_OK && i < l.n; i++) {
        enl_introduction_info info;
        fill_info(p, &l.v[i], &info);
        if (cb(&info, ctx) != 0) break;
    }
    list_free(&l);
    return rc;
}

/* The one pending introduction whose id starts with `id`, inside the
 * caller's transaction. */
static int find(enl_profile *p, const char *id, row_list *l, intro_row **out)
{
    size_t n = id != NULL ? strlen(id) : 0, matches = 0;
    int rc;
    if (n < 4 || n > 64 || strspn(id, "0123456789abcdefABCDEF") != n)
        return enl_fail(p, ENL_EINVAL, "an introduction id is 4 to 64 hex digits (see `enlace introductions`)");
    if ((rc = list_load(p, l)) != ENL_OK) return rc;
    for (size_t i = 0; i < l->n; i++)
        if (enl_hex_prefix_is(id, l->v[i].id, 32)) {
            *out = &l->v[i];
            matches++;
        }
    if (matches == 0) return enl_fail(p, ENL_ENOTFOUND, "no pending introduction %s", id);
    if (matches > 1) return enl_fail(p, ENL_EINVAL, "%zu introductions start with %s: give more digits", matches, id);
    return ENL_OK;
}

static int forget(enl_profile *p, const intro_row *r)
{
    uint8_t h[32];
    enl_store_index(p->st, h, "introductions", r->id, 32);
    return enl_store_row_delete(p->st, "introductions", h);
}

int enl_introduction_accept(enl_profile *p, const char *id, enl_contact_info *out)
{
    row_list l;
    intro_row *r = NULL;
    enl_contact k, added;
    enl_card c;
    char via[ENL_VIA_MAX + 1], card[ENL_CARD_TEXTMAX + 1];
    int rc;

    memset(&l, 0, sizeof l);
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    rc = find(p, id, &l, &r);
    if (rc == ENL_OK && introducer_contact(p, r, &k) != ENL_OK)
        rc = enl_fail(p, ENL_EREFUSED, "the introducer is no longer a contact: decline it");
    else if (rc == ENL_OK && k.burned)
        rc = enl_fail(p, ENL_EREFUSED, "%s's keys were burned since: their introductions are not to be trusted", k.name);
    if (rc == ENL_OK) {
        memcpy(card, r->in.card, r->in.card_len);
        card[r->in.card_len] = '\0';
        /* pending for a while, the card must still be current */
        rc = enl_card_parse(&c, card, r->in.card_len, enl_now());
        if (rc != ENL_OK)
            rc = enl_fail(p, rc, "the introduced card is refused: %s (ask %s for a fresh introduction)",
                          enl_strerror(rc), k.name);
    }
    if (rc == ENL_OK && enl_contact_by_dh(p, c.dh_pk, &added) == ENL_OK)
        rc = enl_fail(p, ENL_EEXISTS, "that key is already your contact \"%s\": decline the introduction",
                      added.name);
    if (rc == ENL_OK) {
        snprintf(via, sizeof via, "introduced by %s", k.name);
        rc = enl_contact_add_via(p, card, c.name[0] ? c.name : "contact", via, &added);
        if (rc == ENL_EEXISTS)
            rc = enl_fail(p, rc, "a contact already uses this key with another identity");
    }
    if (rc == ENL_OK) rc = forget(p, r);
    if (rc == ENL_OK && out != NULL) enl_contact_fill_info(p, &added, out);
    list_free(&l);
    sodium_memzero(card, sizeof card);
    return in_tx(p, rc);
}

int enl_introduction_decline(enl_profile *p, const char *id)
{
    row_list l;
    intro_row *r = NULL;
    int rc;
    memset(&l, 0, sizeof l);
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    rc = find(p, id, &l, &r);
    if (rc == ENL_OK) rc = forget(p, r);
    list_free(&l);
    return in_tx(p, rc);
}
