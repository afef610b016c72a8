/*
 * Contacts: the cards a person added, under the name they chose. A contact
 * row is keyed by a keyed hash of the contact's X25519 key (what a note's
 * seal reveals to its recipient) and holds, encrypted:
 *
 *   version u8 (2) | verified u8 | added u64 | card length u16 | card text |
 *   name length u8 | name | address length u8 | address |
 *   burned u8 | burned_at u64 | reason length u8 | reason |
 *   via length u8 | via   (version 3: how the card came, "" when handed over)
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/onion.h"
#include "core/profile.h"
#include "note/bulletin.h"
#include "note/note.h"
#include "util/bytes.h"
#include "util/secmem.h"

#define CONTACT_VERSION 3
#define CONTACT_MAX (1 + 1 + 8 + 2 + ENL_CARD_TEXTMAX + 1 + ENL_NAME_MAX + 1 + ENL_ADDRESS_MAX + 1 + 8 + 1 + 200 + 1 + ENL_VIA_MAX)

typedef struct {
    enl_contact c;
    char card_text[ENL_CARD_TEXTMAX];
} contact_rec;

static int rec_encode(uint8_t *out, size_t *len, const contact_rec *r)
{
    enl_wr w = enl_wr_init(out, CONTACT_MAX);
    size_t cl = strlen(r->card_text), nl = strlen(r->c.name), al = strlen(r->c.address);
    enl_wr_u8(&w, CONTACT_VERSION);
    enl_wr_u8(&w, (uint8_t)(r->c.verified != 0));
    enl_wr_u64(&w, r->c.added);
    enl_wr_u16(&w, (uint16_t)cl);
    enl_wr_bytes(&w, (const uint8_t *)r->card_text, cl);
    enl_wr_u8(&w, (uint8_t)nl);
    enl_wr_bytes(&w, (const uint8_t *)r->c.name, nl);
    enl_wr_u8(&w, (uint8_t)al);
    enl_wr_bytes(&w, (const uint8_t *)r->c.address, al);
    enl_wr_u8(&w, (uint8_t)(r->c.burned != 0));
    enl_wr_u64(&w, r->c.burned_at);
    enl_wr_u8(&w, (uint8_t)strlen(r->c.burn_reason));
    enl_wr_bytes(&w, (const uint8_t *)r->c.burn_reason, strlen(r->c.burn_reason));
    enl_wr_u8(&w, (uint8_t)strlen(r->c.via));
    enl_wr_bytes(&w, (const uint8_t *)r->c.via, strlen(r->c.via));
    *len = w.len;
    return w.err ? ENL_ETOOBIG : ENL_OK;
}

static int rec_decode(contact_rec *r, const uint8_t *in, size_t len)
{
    enl_rd rd = enl_rd_init(in, len);
    size_t n;
    const uint8_t *q;

    int version;
    memset(r, 0, sizeof *r);
    version = enl_rd_u8(&rd);
    if (version < 1 || version > CONTACT_VERSION) return ENL_ESTORE;
    r->c.verified = enl_rd_u8(&rd);
    r->c.added = enl_rd_u64(&rd);
    n = enl_rd_u16(&rd);
    if ((q = enl_rd_ptr(&rd, n)) == NULL || n >= sizeof r->card_text) return ENL_ESTORE;
    memcpy(r->card_text, q, n);
    n = enl_rd_u8(&rd);
    if ((q = enl_rd_ptr(&rd, n)) == NULL || n > ENL_NAME_MAX) return ENL_ESTORE;
    memcpy(r->c.name, q, n);
    n = enl_rd_u8(&rd);
    if ((q = enl_rd_ptr(&rd, n)) == NULL || n > ENL_ADDRESS_MAX) return ENL_ESTORE;
    memcpy(r->c.address, q, n);
    if (version >= 2) {
        r->c.burned = enl_rd_u8(&rd);
        r->c.burned_at = enl_rd_u64(&rd);
        n = enl_rd_u8(&rd);
        if ((q = enl_rd_ptr(&rd, n)) == NULL || n > 200) return ENL_ESTORE;
        memcpy(r->c.burn_reason, q, n);
    }
    if (version >= 3) {
        n = enl_rd_u8(&rd);
        if ((q = enl_rd_ptr(&rd, n)) == NULL || n > ENL_VIA_MAX) return ENL_ESTORE;
        memcpy(r->c.via, q, n);
    }
    if (rd.err) return ENL_ESTORE;
    /* Accepted once already: check its signature again, not its dates. */
    return enl_card_parse(&r->c.card, r->card_text, strlen(r->card_text), 0) == ENL_OK
               ? ENL_OK : ENL_ESTORE;
}

/* Decoded contacts by their exact plaintext: a row that decoded (and whose
 * card signature checked) once decodes the same way again, so sealing or
 * taking in a note does not verify the contact's card signature every
 * time. Keyed by the whole plaintext, the cache can never answer for a row
 * that changed; finding a row costs one short hash, however many contacts
 * there are. In locked memory, wiped when the profile closes. */
#define MEMO_SLOTS 32   /* direct-mapped by a hash of the plaintext */

struct enl_contact_memo {
    struct {
        size_t len;             /* 0: empty */
        uint8_t pt[CONTACT_MAX];
        contact_rec r;
    } e[MEMO_SLOTS];
};

static int rec_decode_memo(enl_profile *p, contact_rec *r, const uint8_t *in, size_t len)
{
    struct enl_contact_memo *m = p->contact_memo;
    uint8_t hash[8];
    unsigned i;
    int rc;

    if (len == 0 || len > CONTACT_MAX) return rec_decode(r, in, len);
    if (m == NULL && (m = sodium_malloc(sizeof *m)) != NULL) {
        sodium_memzero(m, sizeof *m);
        p->contact_memo = m;
    }
    crypto_generichash(hash, sizeof hash, in, len, NULL, 0);
    i = (unsigned)(((uint32_t)hash[0] << 8 | hash[1]) % MEMO_SLOTS);
    sodium_memzero(hash, sizeof hash);
    if (m != NULL && m->e[i].len == len && sodium_memcmp(m->e[i].pt, in, len) == 0) {
        *r = m->e[i].r;
        return ENL_OK;
    }
    if ((rc = rec_decode(r, in, len)) != ENL_OK || m == NULL) return rc;
    if (m->e[i].len > len) sodium_memzero(m->e[i].pt + len, m->e[i].len - len);
    m->e[i].len = len;
    memcpy(m->e[i].pt, in, len);
    m->e[i].r = *r;
    return ENL_OK;
}

void enl_contact_memo_free(enl_profile *p)
{
    if (p->contact_memo != NULL) sodium_free(p->contact_memo);   /* wipes */
    p->contact_memo = NULL;
}

static int rec_put(enl_profile *p, const contact_rec *r)
{
    uint8_t buf[CONTACT_MAX], key[32];
    size_t len = 0;
    int rc = rec_encode(buf, &len, r);
    if (rc != ENL_OK) return rc;
    enl_store_index(p->st, key, "contacts", r->c.card.dh_pk, 32);
    rc = enl_store_row_put(p->st, "contacts", key, buf, len);
    sodium_memzero(buf, sizeof buf);
    return rc;
}

static int rec_get_dh(enl_profile *p, const uint8_t dh_pk[32], contact_rec *r)
{
    uint8_t key[32], *pt = NULL;
    size_t len = 0;
    int rc;
    enl_store_index(p->st, key, "contacts", dh_pk, 32);
    rc = enl_store_row_get(p->st, "contacts", key, &pt, &len);
    if (rc != ENL_OK) return rc;
    rc = rec_decode_memo(p, r, pt, len);
    enl_store_free(pt, len);
    return rc;
}

/* Contacts are indexed by DH key only: anything else is found by reading
 * every row, the first for which match says so. */
typedef struct {
    enl_profile *p;
    int (*match)(const contact_rec *r, const void *arg);
    const void *arg;
    contact_rec *out;
    int found;
} find_ctx;

static int find_cb(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    find_ctx *f = ctx;
    contact_rec r;
    (void)seq;
    /* A row that does not decode (one a damaged store or an older version
     * left) is passed over: it must not make every contact unreachable. */
    if (rec_decode_memo(f->p, &r, pt, len) != ENL_OK) return 0;
    if (f->match(&r, f->arg)) {
        *f->out = r;
        f->found = 1;
    }
    sodium_memzero(&r, sizeof r);
    return f->found;
}

static int rec_find(enl_profile *p, int (*match)(const contact_rec *, const void *), const void *arg,
                    contact_rec *r)
{
    find_ctx f = { p, match, arg, r, 0 };
    int rc = enl_store_row_each(p->st, "contacts", find_cb, &f);
    if (rc != ENL_OK) return rc;
    return f.found ? ENL_OK : ENL_ENOTFOUND;
}

static int named(const contact_rec *r, const void *name)
{
    return strcmp(r->c.name, name) == 0;
}

static int rec_get_name(enl_profile *p, const char *name, contact_rec *r)
{
    return rec_find(p, named, name, r);
}

int enl_contact_by_dh(enl_profile *p, const uint8_t dh_pk[32], enl_contact *c)
{
    contact_rec r;
    int rc = rec_get_dh(p, dh_pk, &r);
    if (rc == ENL_OK) *c = r.c;
    return rc;
}

int enl_contact_card_text(enl_profile *p, const uint8_t dh_pk[32], char *out, size_t max)
{
    contact_rec r;
    int rc = rec_get_dh(p, dh_pk, &r);
    if (rc != ENL_OK) return rc;
    if (strlen(r.card_text) >= max) return ENL_EBUFSIZE;
    memcpy(out, r.card_text, strlen(r.card_text) + 1);
    return ENL_OK;
}

int enl_contact_by_name(enl_profile *p, const char *name, enl_contact *c)
{
    contact_rec r;
    int rc = rec_get_name(p, name, &r);
    if (rc == ENL_OK) *c = r.c;
    else if (rc == ENL_ENOTFOUND) enl_fail(p, rc, "no contact named \"%s\"", name);
    return rc;
}

/* The purge keys of my notes to dh_pk not yet delivered ("outgoing" rows:
 * version u8 | recipient dh_pk [32] | purge key [32] | expiry u32). */
typedef struct {
    const uint8_t *dh;
    uint8_t (*keys)[36];
    size_t n, cap;
} outgoing_list;

static int collect_outgoing(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    outgoing_list *l = ctx;
    (void)seq;
    if (len != 1 + 32 + 32 + 4 || pt[0] != 1) return ENL_ESTORE;
    if (sodium_memcmp(pt + 1, l->dh, 32) != 0) return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        /* purge keys, secret until released: no copy left in freed heap */
        uint8_t (*v)[36] = enl_grow_wiped(l->keys, l->cap * sizeof *v, cap * sizeof *v);
        if (v == NULL) return ENL_ENOMEM;
        l->keys = v;
        l->cap = cap;
    }
    memcpy(l->keys[l->n++], pt + 33, 36);
    return 0;
}

/* Releases the purge of every note I sealed to a burned key and that was
 * not delivered yet: couriers who learn it drop the note, so whoever holds
 * the burned keys cannot open what is still on its way. */
static int purge_outgoing(enl_profile *p, const uint8_t dh_pk[32])
{
    outgoing_list l = { dh_pk, NULL, 0, 0 };
    int rc = enl_store_row_each(p->st, "outgoing", collect_outgoing, &l);
    for (size_t i = 0; rc == ENL_OK && i < l.n; i++) {
        uint8_t lock[ENL_PURGELOCKBYTES], h[32];
        uint32_t expiry = enl_load_be32(l.keys[i] + 32);
        enl_purge_lock(lock, l.keys[i]);
        if (enl_store_purge_has(p->st, lock) == 0)
            rc = enl_store_purge_put(p->st, lock, l.keys[i], expiry);
        if (rc == ENL_OK) rc = enl_store_note_release(p->st, lock, NULL, NULL);
        if (rc == ENL_OK) rc = enl_store_set_del(p->st, "outbox", lock);
        enl_store_index(p->st, h, "outgoing", lock, sizeof lock);
        if (rc == ENL_OK) rc = enl_store_row_delete(p->st, "outgoing", h);
    }
    enl_free_wiped(l.keys, l.cap * sizeof *l.keys);
    return rc;
}

int enl_contact_burn(enl_profile *p, const uint8_t dh_pk[32], const uint8_t sign_pk[32],
                     const char *reason, int *was_contact)
{
    contact_rec r;
    int rc = rec_get_dh(p, dh_pk, &r);
    *was_contact = 0;
    if (rc == ENL_ENOTFOUND) return ENL_OK;
    if (rc != ENL_OK) return rc;
    if (sodium_memcmp(r.c.card.sign_pk, sign_pk, 32) != 0) return ENL_OK;
    *was_contact = 1;
    if (r.c.burned) return ENL_OK;
    r.c.burned = 1;
    r.c.burned_at = enl_now();
    snprintf(r.c.burn_reason, sizeof r.c.burn_reason, "%s", reason ? reason : "");
    if ((rc = rec_put(p, &r)) != ENL_OK) return rc;
    if ((rc = purge_outgoing(p, dh_pk)) != ENL_OK) return rc;
    return enl_sessions_forget(p, dh_pk);
}

void enl_contact_fill_info(const enl_profile *p, const enl_contact *c, enl_contact_info *out)
{
    uint8_t fp[32];
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", c->name);
    enl_fingerprint_raw(fp, c->card.sign_pk, c->card.dh_pk);
    enl_fingerprint_text(out->fingerprint, fp);
    enl_safety_number(out->safety_number, p->fp, fp);
    out->verified = c->verified;
    out->added = c->added;
    out->card_expires = c->card.expires;
    snprintf(out->address, sizeof out->address, "%s",
             c->address[0] ? c->address : c->card.address);
    out->burned = c->burned;
    out->burned_at = c->burned_at;
    snprintf(out->burn_reason, sizeof out->burn_reason, "%s", c->burn_reason);
    snprintf(out->via, sizeof out->via, "%s", c->via);
}

static int burned_signing(const contact_rec *r, const void *sign_pk)
{
    return r->c.burned && sodium_memcmp(r->c.card.sign_pk, sign_pk, 32) == 0;
}

/* Whether these keys are known here to be in a captor's hands, though no
 * contact has this DH key: a burn notice signed by the signing key is held,
 * or was until it expired (1), or a contact with the same signing key was burned (2, name set).
 * Whoever holds a burned signing key can sign a new card with a fresh DH
 * key and have it introduced, or handed over as "my new phone". */
static int keys_burned_here(enl_profile *p, const uint8_t sign_pk[32], char name[ENL_NAME_MAX + 1])
{
    contact_rec r;
    int rc = enl_burn_key_known(p, sign_pk);
    if (rc != 0) return rc;
    if ((rc = rec_find(p, burned_signing, sign_pk, &r)) == ENL_OK)
        snprintf(name, ENL_NAME_MAX + 1, "%s", r.c.name);
    sodium_memzero(&r, sizeof r);
    return rc == ENL_OK ? 2 : rc == ENL_ENOTFOUND ? 0 : rc;
}

static int add_card(enl_profile *p, const char *card_text, const char *name, const char *via,
                    uint64_t now, enl_contact_info *out)
{
    contact_rec r, other, named;
    const char *use;
    int rc, known;

    memset(&r, 0, sizeof r);
    if (card_text == NULL) return ENL_EINVAL;
    rc = enl_card_parse(&r.c.card, card_text, strlen(card_text), now);
    if (rc != ENL_OK) return enl_fail(p, rc, "card refused: %s", enl_strerror(rc));
    if (sodium_memcmp(r.c.card.sign_pk, p->id->sign_pk, 32) == 0 ||
        sodium_memcmp(r.c.card.dh_pk, p->id->dh_pk, 32) == 0)
        return enl_fail(p, ENL_ESELF, "that is your own card");
    known = rec_get_dh(p, r.c.card.dh_pk, &other) == ENL_OK;
    /* The burned contact's own card again ("it is me, I am out"), from
     * whoever holds the seized keys: no refresh, no new name, and above all
     * no invitation to verify it. Their keys stay burned. */
    if (known && other.c.burned)
        return enl_fail(p, ENL_EREFUSED, "card refused: its keys are %s's, burned on this device "
                        "(%s); a person whose keys are burned makes a new profile and hands over "
                        "its card in person", other.c.name, other.c.burn_reason);
    if (!known) {
        char as[ENL_NAME_MAX + 1];
        if ((rc = keys_burned_here(p, r.c.card.sign_pk, as)) < 0) return rc;
        if (rc == 1)
            return enl_fail(p, ENL_EREFUSED, "card refused: its keys were revoked (this device holds, "
                            "or held, a burn notice signed by them)");
        if (rc == 2)
            return enl_fail(p, ENL_EREFUSED, "card refused: its signing key is %s's, burned on this "
                            "device", as);
    }
    /* A known key keeps the name it was given here unless another is asked
     * for: the name in a refreshed card is only the one its owner chose. */
    use = name != NULL ? name : known ? other.c.name : r.c.card.name;
    if (!enl_name_valid(use)) return enl_fail(p, ENL_EINVAL, "invalid contact name \"%s\"", use);

    if (known && sodium_memcmp(other.c.card.sign_pk, r.c.card.sign_pk, 32) != 0)
        return enl_fail(p, ENL_EEXISTS, "a contact already uses this key with another identity");
    if (known && other.c.card.created > r.c.card.created)
        return enl_fail(p, ENL_EEXISTS, "\"%s\" already has a newer card", other.c.name);
    rc = rec_get_name(p, use, &named);
    if (rc == ENL_OK && sodium_memcmp(named.c.card.dh_pk, r.c.card.dh_pk, 32) != 0)
        return enl_fail(p, ENL_EEXISTS, "the name \"%s\" is taken by another contact (give this "
                        "one another: contact add --name NAME)", use);
    if (rc != ENL_OK && rc != ENL_ENOTFOUND) return rc;

    /* Kept as the one text of these bytes: the text handed over may be
     * padded with separators to any length, which cut to the row's size
     * would no longer parse, and every later read of the contacts with it. */
    if ((rc = enl_card_canonical(r.card_text, sizeof r.card_text, card_text,
                                 strlen(card_text))) != ENL_OK)
        return enl_fail(p, ENL_EMALFORMED, "card refused: %s", enl_strerror(ENL_EMALFORMED));
    snprintf(r.c.name, sizeof r.c.name, "%s", use);
    snprintf(r.c.via, sizeof r.c.via, "%s", via != NULL ? via : "");
    r.c.added = enl_now();
    if (known) {
        /* A refreshed card keeps what the person decided about it, unless
         * the keys changed (then it must be compared again). */
        r.c.verified = other.c.verified;
        snprintf(r.c.address, sizeof r.c.address, "%s", other.c.address);
        r.c.added = other.c.added;
        /* a burned key stays burned, whatever card comes with it */
        r.c.burned = other.c.burned;
        r.c.burned_at = other.c.burned_at;
        memcpy(r.c.burn_reason, other.c.burn_reason, sizeof r.c.burn_reason);
        /* r.c.via stays what this call says: a card handed over in person
         * now ("") says more than how it came first. */
    }
    if ((rc = rec_put(p, &r)) != ENL_OK) return rc;
    if (out != NULL) enl_contact_fill_info(p, &r.c, out);
    return ENL_OK;
}

/* A change to a contact reads its row and writes it back: in one write
 * transaction (nested in the caller's, if any), so that a burn another
 * process commits in between is never written over with the copy read
 * before it (a burned key stays burned). */
static int in_tx(enl_profile *p, int rc)
{
    if (rc == ENL_OK) return enl_store_commit(p->st);
    enl_store_rollback(p->st);
    return rc;
}

int enl_contact_add(enl_profile *p, const char *card_text, const char *name,
                    enl_contact_info *out)
{
    int rc = enl_store_begin(p->st);
    if (rc != ENL_OK) return rc;
    return in_tx(p, add_card(p, card_text, name, NULL, enl_now(), out));
}

/* A free name for a card that arrives with one already taken: the one
 * asked for, else name.2 ... name.99, else name and 16 hex digits of the
 * card's fingerprint (people met through cells and introductions may all
 * call themselves the same; a card left without a name would never be kept,
 * and nothing could be sealed to them). The name is cut to make room, never
 * in the middle of a UTF-8 character. */
static int free_name(enl_profile *p, const char *name, const enl_card *card, char use[ENL_NAME_MAX + 1])
{
    size_t keep = strlen(name) < ENL_NAME_MAX - 17 ? strlen(name) : ENL_NAME_MAX - 17;
    size_t short_keep = strlen(name) < ENL_NAME_MAX - 3 ? strlen(name) : ENL_NAME_MAX - 3;
    uint8_t fp[32];
    contact_rec named;
    int rc;

    while (short_keep > 0 && ((unsigned char)name[short_keep] & 0xc0) == 0x80) short_keep--;
    while (keep > 0 && ((unsigned char)name[keep] & 0xc0) == 0x80) keep--;
    snprintf(use, ENL_NAME_MAX + 1, "%s", name);
    for (int i = 2; i <= 100; i++) {
        rc = rec_get_name(p, use, &named);
        sodium_memzero(&named, sizeof named);
        if (rc != ENL_OK) return rc == ENL_ENOTFOUND ? ENL_OK : rc;
        if (i < 100) snprintf(use, ENL_NAME_MAX + 1, "%.*s.%u", (int)short_keep, name, (unsigned)i);
    }
    enl_fingerprint_raw(fp, card->sign_pk, card->dh_pk);
    snprintf(use, ENL_NAME_MAX + 1, "%.*s.%02x%02x%02x%02x%02x%02x%02x%02x", (int)keep, name, fp[0], fp[1],
             fp[2], fp[3], fp[4], fp[5], fp[6], fp[7]);
    rc = rec_get_name(p, use, &named);
    sodium_memzero(&named, sizeof named);
    return rc == ENL_ENOTFOUND ? ENL_OK : rc == ENL_OK ? ENL_EEXISTS : rc;
}

int enl_contact_add_via(enl_profile *p, const char *card_text, const char *name, const char *via,
                        enl_contact *out)
{
    contact_rec r;
    enl_card card;
    char use[ENL_NAME_MAX + 1];
    int rc;

    /* The card was checked when it was signed into what brought it; its
     * dates are not checked again (a member's card in an old cell log). */
    if ((rc = enl_card_parse(&card, card_text, strlen(card_text), 0)) != ENL_OK) return rc;
    if (rec_get_dh(p, card.dh_pk, &r) == ENL_OK) {
        if (sodium_memcmp(r.c.card.sign_pk, card.sign_pk, 32) != 0) return ENL_EEXISTS;
        if (out != NULL) *out = r.c;
        return ENL_OK;          /* already a contact: nothing to learn */
    }
    if ((rc = free_name(p, name, &card, use)) == ENL_OK &&
        (rc = add_card(p, card_text, use, via, 0, NULL)) == ENL_OK && out != NULL)
        rc = enl_contact_by_dh(p, card.dh_pk, out);
    sodium_memzero(&card, sizeof card);     /* a person's name and keys */
    sodium_memzero(&r, sizeof r);
    return rc;
}

int enl_contact_get(enl_profile *p, const char *name, enl_contact_info *out)
{
    enl_contact c;
    int rc = enl_contact_by_name(p, name, &c);
    if (rc == ENL_OK) enl_contact_fill_info(p, &c, out);
    return rc;
}

int enl_contact_verify(enl_profile *p, const char *name)
{
    contact_rec r;
    int rc = enl_store_begin(p->st);
    if (rc != ENL_OK) return rc;
    rc = rec_get_name(p, name, &r);
    if (rc == ENL_ENOTFOUND) return in_tx(p, enl_fail(p, rc, "no contact named \"%s\"", name));
    if (rc != ENL_OK) return in_tx(p, rc);
    /* Whoever holds burned keys shows the same safety number: a match
     * proves nothing of who holds them now, and "verified" would say the
     * opposite of what the burn says. */
    if (r.c.burned) {
        rc = enl_fail(p, ENL_EREFUSED, "%s's keys are burned on this device (%s): they are not "
                      "verified, whatever the safety number; whoever holds them may not be %s. A "
                      "person whose keys are burned makes a new profile and hands over its card "
                      "in person", r.c.name, r.c.burn_reason, r.c.name);
        sodium_memzero(&r, sizeof r);
        return in_tx(p, rc);
    }
    r.c.verified = 1;
    return in_tx(p, rec_put(p, &r));
}

int enl_contact_set_address(enl_profile *p, const char *name, const char *address)
{
    contact_rec r;
    int rc = enl_store_begin(p->st);
    if (rc != ENL_OK) return rc;
    rc = rec_get_name(p, name, &r);
    if (rc == ENL_ENOTFOUND) return in_tx(p, enl_fail(p, rc, "no contact named \"%s\"", name));
    if (rc != ENL_OK) return in_tx(p, rc);
    if (strlen(address) > ENL_ADDRESS_MAX) return in_tx(p, ENL_ETOOBIG);
    if (!enl_link_address_valid(address))
        return in_tx(p, enl_fail(p, ENL_EINVAL, "not an address to sync with: %s (tcp://HOST:PORT "
                                 "or tor://ADDRESS.onion:PORT, PORT 1 to 65535)", address));
    snprintf(r.c.address, sizeof r.c.address, "%s", address);
    return in_tx(p, rec_put(p, &r));
}

typedef struct {
    contact_rec *v;
    size_t n, cap;
} list_ctx;

static int list_cb(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    list_ctx *l = ctx;
    (void)seq;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        contact_rec *v = enl_grow_wiped(l->v, l->cap * sizeof *v, cap * sizeof *v);
        if (v == NULL) return ENL_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    if (rec_decode(&l->v[l->n], pt, len) != ENL_OK) return 0;   /* passed over, as in find_cb */
    l->n++;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const contact_rec *)a)->c.name, ((const contact_rec *)b)->c.name);
}

int enl_contact_each(enl_profile *p, int (*cb)(const enl_contact_info *c, void *ctx), void *ctx)
{
    list_ctx l = { NULL, 0, 0 };
    int rc = enl_store_row_each(p->st, "contacts", list_cb, &l);
    if (rc == ENL_OK) {
        if (l.n > 1) qsort(l.v, l.n, sizeof *l.v, by_name);
        for (size_t i = 0; i < l.n; i++) {
            enl_contact_info info;
            enl_contact_fill_info(p, &l.v[i].c, &info);
            if (cb(&info, ctx) != 0) break;
        }
    }
    enl_free_wiped(l.v, l.cap * sizeof *l.v);
    return rc;
}

typedef struct {
    const char *text;               /* what was typed */
    unsigned best;
    char name[ENL_NAME_MAX + 1];
} near_ctx;

static int nearest_contact(const enl_contact_info *c, void *ctx)
{
    near_ctx *x = ctx;
    unsigned d = enl_fingerprint_distance(x->text, c->fingerprint);
    if (d < x->best) {
        x->best = d;
        memcpy(x->name, c->name, sizeof x->name);
    }
    return 0;
}

int enl_contact_near(enl_profile *p, const char *text, char name[ENL_NAME_MAX + 1],
                     unsigned *places)
{
    near_ctx x;
    int found;
    memset(&x, 0, sizeof x);
    x.text = text;
    x.best = ENL_FINGERPRINT_NEAR + 1;
    found = enl_contact_each(p, nearest_contact, &x) == ENL_OK && x.name[0] && x.best > 0 &&
            x.best <= ENL_FINGERPRINT_NEAR;
    if (found) {
        memcpy(name, x.name, ENL_NAME_MAX + 1);
        *places = x.best;
    }
    sodium_memzero(&x, sizeof x);
    return found;
}
