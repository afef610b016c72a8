/*
 * Inquiries: "do you know this key?", asked of every verified contact, each
 * on its own (no one learns who else was asked), and their signed answers.
 *
 * Three kinds of encrypted row share the table `inquiries`, told apart by a
 * type byte, each keyed by the store's keyed hash of what makes it unique:
 *
 *   QUESTION (1) an inquiry a contact sent me   key: 1 | asker sign_pk | id
 *   MINE     (2) an inquiry I sent              key: 2 | id
 *   ANSWER   (3) an answer to one of mine       key: 3 | id | answerer sign_pk
 *
 *   version u8 (1) | type u8 | received u64 | peer sign_pk [32] | peer dh_pk [32] |
 *   state u8 (QUESTION: the verdict I answered, 0 none) | length u16 |
 *   the payload as it came or left (cell/introduction.h)
 *
 * An answer is kept only when it is signed by the contact it came from and
 * answers an inquiry of mine about the same key; one per answerer, the
 * latest.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cell/introduction.h"
#include "core/deliver.h"
#include "core/send.h"
#include "note/note.h"
#include "util/base32.h"
#include "util/bytes.h"
#include "util/secmem.h"

#define ROW_VERSION 1
#define ROW_QUESTION 1
#define ROW_MINE 2
#define ROW_ANSWER 3
#define ROW_ASKED 4             /* one contact asked an inquiry of mine (no payload) */
/* state of a MINE row: the contacts asked have ROW_ASKED rows (answers from
 * anyone else are dropped); 0 for inquiries made before those rows existed */
#define MINE_ASKED_KEPT 1
#define ROW_FIXED (1 + 1 + 8 + 32 + 32 + 1 + 2)
#define ROW_MAX (ROW_FIXED + ENL_ANSWER_MAXBYTES)

typedef struct {
    uint8_t type;
    uint64_t received;
    uint8_t peer_sign[32];
    uint8_t peer_dh[32];
    uint8_t state;
    enl_inquiry q;              /* QUESTION, MINE */
    enl_answer_msg a;           /* ANSWER */
} inq_row;

static const char *verdict_name(uint8_t v)
{
    switch (v) {
    case ENL_VERDICT_VOUCH: return "vouch";
    case ENL_VERDICT_UNKNOWN: return "unknown";
    case ENL_VERDICT_WARN: return "warn";
    default: return "";
    }
}

static int in_tx(enl_profile *p, int rc)
{
    if (rc == ENL_OK) return enl_store_commit(p->st);
    enl_store_rollback(p->st);
    return rc;
}

static void row_key(enl_profile *p, uint8_t type, const uint8_t id[ENL_INQ_IDBYTES],
                    const uint8_t *sign_pk, uint8_t h[32])
{
    uint8_t k[1 + 32 + ENL_INQ_IDBYTES];
    size_t n = 0;
    k[n++] = type;
    if (type == ROW_QUESTION) {
        memcpy(k + n, sign_pk, 32);
        n += 32;
    }
    memcpy(k + n, id, ENL_INQ_IDBYTES);
    n += ENL_INQ_IDBYTES;
    if (type == ROW_ANSWER || type == ROW_ASKED) {
        memcpy(k + n, sign_pk, 32);
        n += 32;
    }
    enl_store_index(p->st, h, "inquiries", k, n);
}

static int row_put(enl_profile *p, const uint8_t h[32], uint8_t type, const uint8_t *sign_pk,
                   const uint8_t *dh_pk, uint8_t state, const uint8_t *payload, size_t len,
                   uint64_t received)
{
    static const uint8_t none[32];
    uint8_t row[ROW_MAX];
    enl_wr w = enl_wr_init(row, sizeof row);
    int rc;
    enl_wr_u8(&w, ROW_VERSION);
    enl_wr_u8(&w, type);
    enl_wr_u64(&w, received);
    enl_wr_bytes(&w, sign_pk != NULL ? sign_pk : none, 32);
    enl_wr_bytes(&w, dh_pk != NULL ? dh_pk : none, 32);
    enl_wr_u8(&w, state);
    enl_wr_u16(&w, (uint16_t)len);
    enl_wr_bytes(&w, payload, len);
    rc = w.err ? ENL_ETOOBIG : enl_store_row_put(p->st, "inquiries", h, row, w.len);
    sodium_memzero(row, sizeof row);
    return rc;
}

static int row_decode(inq_row *r, const uint8_t *pt, size_t len)
{
    enl_rd rd = enl_rd_init(pt, len);
    const uint8_t *q;
    size_t n;
    int rc;

    memset(r, 0, sizeof *r);
    if (enl_rd_u8(&rd) != ROW_VERSION) return ENL_ESTORE;
    r->type = enl_rd_u8(&rd);
    r->received = enl_rd_u64(&rd);
    enl_rd_bytes(&rd, r->peer_sign, 32);
    enl_rd_bytes(&rd, r->peer_dh, 32);
    r->state = enl_rd_u8(&rd);
    n = enl_rd_u16(&rd);
    if ((q = enl_rd_ptr(&rd, n)) == NULL || enl_rd_left(&rd) != 0) return ENL_ESTORE;
    if (r->type == ROW_QUESTION || r->type == ROW_MINE) rc = enl_inquiry_parse(&r->q, q, n);
    else if (r->type == ROW_ANSWER) rc = enl_answer_parse(&r->a, q, n);
    else rc = ENL_ESTORE;
    return rc == ENL_OK ? ENL_OK : ENL_ESTORE;
}

/* The contact with these keys, when there is one. */
static int contact_of(enl_profile *p, const uint8_t sign_pk[32], const uint8_t dh_pk[32], enl_contact *k)
{
    if (enl_contact_by_dh(p, dh_pk, k) != ENL_OK) return ENL_ENOTFOUND;
    return sodium_memcmp(k->card.sign_pk, sign_pk, 32) == 0 ? ENL_OK : ENL_ENOTFOUND;
}

typedef struct {
    enl_profile *p;
    const enl_subject *s;
    enl_contact *out;
    int found;
    char (*names)[ENL_NAME_MAX + 1];    /* verified contacts, for enl_ask */
    size_t n, cap;
} scan_ctx;

/* My contact holding the subject's key, if any. */
static int subject_cb(const enl_contact_info *c, void *ctx)
{
    scan_ctx *s = ctx;
    enl_contact k;
    if (enl_contact_by_name(s->p, c->name, &k) != ENL_OK) return 0;
    if (!enl_subject_matches(s->s, k.card.sign_pk, k.card.dh_pk)) return 0;
    *s->out = k;
    s->found = 1;
    return 1;
}

static int subject_contact(enl_profile *p, const enl_subject *subj, enl_contact *k)
{
    scan_ctx s;
    int rc;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.s = subj;
    s.out = k;
    if ((rc = enl_contact_each(p, subject_cb, &s)) != ENL_OK) return rc;
    return s.found ? ENL_OK : ENL_ENOTFOUND;
}

/* ---- asking ------------------------------------------------------------- */

/* A card, or a fingerprint as `contact show` prints it. */
static int parse_subject(enl_profile *p, const char *key, enl_subject *s)
{
    uint8_t fp[ENL_SUBJECT_FPBYTES + 8];
    char name[ENL_NAME_MAX + 1];
    unsigned places;
    size_t n = 0;
    enl_card c;
    int rc;

    while (*key == ' ' || *key == '\t' || *key == '\n') key++;
    /* A card in any case (its base32 forgives case, as `contact add` does;
     * a card of another version says so rather than "not a card"). */
    if (strncasecmp(key, "enlace", 6) == 0) {
        if ((rc = enl_card_parse(&c, key, strlen(key), 0)) != ENL_OK)
            return enl_fail(p, rc, "card refused: %s", enl_strerror(rc));
        enl_subject_keys(s, c.sign_pk, c.dh_pk);
        return ENL_OK;
    }
    /* A fingerprint a few places off a contact's is that contact's,
     * mistyped (no two keys come that close by chance): asked as typed, the
     * inquiry would go to every verified contact about a key nobody holds,
     * and its answers all say "unknown", about someone known. */
    if (enl_contact_near(p, key, name, &places))
        return enl_fail(p, ENL_EINVAL, "that fingerprint is no contact's but differs from %s's in "
                        "%u place%s: if you meant %s, it is mistyped (copy it from `enlace contact "
                        "show %s`); nothing was asked", name, places, places == 1 ? "" : "s",
                        name, name);
    if (enl_base32_decode(fp, sizeof fp, &n, key, strlen(key)) != ENL_OK || n != ENL_SUBJECT_FPBYTES)
        return enl_fail(p, ENL_EINVAL, "give a card (enlace1...) or a fingerprint of 8 groups of 4 characters");
    enl_subject_fp(s, fp);
    return ENL_OK;
}

static int verified_cb(const enl_contact_info *c, void *ctx)
{
    scan_ctx *s = ctx;
    enl_contact k;
    if (!c->verified || c->burned) return 0;
    /* the one asked about is not asked about themselves */
    if (enl_contact_by_name(s->p, c->name, &k) == ENL_OK &&
        enl_subject_matches(s->s, k.card.sign_pk, k.card.dh_pk))
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        /* names of verified contacts: no copy left in freed heap */
        char (*v)[ENL_NAME_MAX + 1] = enl_grow_wiped(s->names, s->cap * sizeof *v, cap * sizeof *v);
        if (v == NULL) return -1;
        s->names = v;
        s->cap = cap;
    }
    snprintf(s->names[s->n++], sizeof s->names[0], "%s", c->name);
    return 0;
}

int enl_ask(enl_profile *p, const char *key, const char *note, unsigned *asked,
            char id[ENL_SHORTID_STRBYTES])
{
    uint8_t body[ENL_INQUIRY_MAXBYTES], h[32];
    enl_inquiry q;
    scan_ctx s;
    size_t len = 0;
    int rc;

    memset(&q, 0, sizeof q);
    memset(&s, 0, sizeof s);
    if (key == NULL) return ENL_EINVAL;
    if (note != NULL && strlen(note) > ENL_INTRO_NOTE_MAX)
        return enl_fail(p, ENL_ETOOBIG, "the note is at most %d bytes", ENL_INTRO_NOTE_MAX);
    if ((rc = parse_subject(p, key, &q.subject)) != ENL_OK) return rc;
    if (enl_subject_matches(&q.subject, p->id->sign_pk, p->id->dh_pk))
        return enl_fail(p, ENL_ESELF, "that is your own key");
    snprintf(q.note, sizeof q.note, "%s", note != NULL ? note : "");
    randombytes_buf(q.id, sizeof q.id);
    if ((rc = enl_inquiry_encode(body, &len, &q)) != ENL_OK) return rc;
    s.p = p;
    s.s = &q.subject;
    if ((rc = enl_contact_each(p, verified_cb, &s)) != ENL_OK || s.n == 0) {
        enl_free_wiped(s.names, s.cap * sizeof *s.names);
        return rc != ENL_OK ? rc : enl_fail(p, ENL_ENOTFOUND,
            "no verified contact to ask (verify one with `enlace contact verify NAME`)");
    }
    if ((rc = enl_store_begin(p->st)) != ENL_OK) {
        enl_free_wiped(s.names, s.cap * sizeof *s.names);
        return rc;
    }
    row_key(p, ROW_MINE, q.id, NULL, h);
    rc = row_put(p, h, ROW_MINE, NULL, NULL, MINE_ASKED_KEPT, body, len, enl_now());
    for (size_t i = 0; rc == ENL_OK && i < s.n; i++) {
        enl_contact k;
        rc = enl_contact_by_name(p, s.names[i], &k);
        /* the same bytes to each: the inquiry names no one who was asked */
        if (rc == ENL_OK) rc = enl_seal_kind(p, &k, ENL_KIND_INQUIRY, body, len, NULL, NULL);
        /* who was asked, kept here only: their answers alone count */
        if (rc == ENL_OK) {
            row_key(p, ROW_ASKED, q.id, k.card.sign_pk, h);
            rc = row_put(p, h, ROW_ASKED, k.card.sign_pk, k.card.dh_pk, 0, body, 0, enl_now());
        }
    }
    enl_free_wiped(s.names, s.cap * sizeof *s.names);
    if ((rc = in_tx(p, rc)) != ENL_OK) return rc;
    if (asked != NULL) *asked = (unsigned)s.n;
    if (id != NULL) sodium_bin2hex(id, ENL_SHORTID_STRBYTES, q.id, 4);
    return ENL_OK;
}

/* ---- what arrives -------------------------------------------------------- */

/* Questions not answered yet: at most this many from one contact, and in
 * all, so that a contact who turns cannot grow the store without end (the
 * next ones wait until some are answered). */
#define UNANSWERED_PER_ASKER 32
#define UNANSWERED_MAX 1024

typedef struct {
    const uint8_t *asker;
    size_t theirs, all;
} unanswered_ctx;

static int count_unanswered(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    unanswered_ctx *c = ctx;
    (void)seq;
    /* version | type | received u64 | peer sign [32] | peer dh [32] | state */
    if (len < ROW_FIXED || pt[1] != ROW_QUESTION || pt[1 + 1 + 8 + 64] != 0) return 0;
    c->all++;
    if (sodium_memcmp(pt + 1 + 1 + 8, c->asker, 32) == 0) c->theirs++;
    return 0;
}

static int deliver_question(enl_profile *p, const enl_delivery *d)
{
    uint8_t h[32], *probe = NULL;
    size_t plen = 0;
    enl_inquiry q;
    int rc;

    if ((rc = enl_inquiry_parse(&q, d->body, d->body_len)) != ENL_OK) return rc;
    row_key(p, ROW_QUESTION, q.id, d->sender_sign_pk, h);
    rc = enl_store_row_get(p->st, "inquiries", h, &probe, &plen);
    if (rc == ENL_OK) {
        enl_store_free(probe, plen);
        if (d->outcome != NULL) *d->outcome = ENL_DELIVERY_NOTHING;
        return ENL_OK;          /* asked before: an answer given stays recorded */
    }
    if (rc != ENL_ENOTFOUND) return rc;
    {
        unanswered_ctx c = { d->sender_sign_pk, 0, 0 };
        if ((rc = enl_store_row_each(p->st, "inquiries", count_unanswered, &c)) != ENL_OK) return rc;
        if (c.theirs >= UNANSWERED_PER_ASKER || c.all >= UNANSWERED_MAX)
            return enl_fail(p, ENL_EFULL, "too many questions waiting for an answer: answer some "
                            "(enlace questions)");
    }
    return row_put(p, h, ROW_QUESTION, d->sender_sign_pk, d->sender_dh_pk, 0, d->body, d->body_len,
                   enl_now());
}

/* An answer is new to me, replaces the one its answerer gave before (a
 * verdict or text changed), or is that same one again. */
static int answer_outcome(enl_profile *p, const uint8_t h[32], const enl_delivery *d, int *outcome)
{
    uint8_t *pt = NULL;
    size_t len = 0;
    int rc = enl_store_row_get(p->st, "inquiries", h, &pt, &len);
    if (rc == ENL_ENOTFOUND) {
        *outcome = ENL_DELIVERY_NEW;
        return ENL_OK;
    }
    if (rc != ENL_OK) return rc;
    /* the payload as it came is the row's tail (row_put) */
    *outcome = len == ROW_FIXED + d->body_len &&
               sodium_memcmp(pt + ROW_FIXED, d->body, d->body_len) == 0
                   ? ENL_DELIVERY_NOTHING : ENL_DELIVERY_REPLACED;
    enl_store_free(pt, len);
    return ENL_OK;
}

static int deliver_answer(enl_profile *p, const enl_delivery *d)
{
    uint8_t h[32], *pt = NULL;
    size_t len = 0;
    enl_answer_msg a;
    inq_row mine;
    int rc, outcome = ENL_DELIVERY_NEW;

    /* whatever is dropped below is nothing new to the user */
    if (d->outcome != NULL) *d->outcome = ENL_DELIVERY_NOTHING;
    if ((rc = enl_answer_parse(&a, d->body, d->body_len)) != ENL_OK) return rc;
    /* signed by the contact the session says sent it, so by their card's key */
    if (sodium_memcmp(a.answerer, d->contact->card.sign_pk, 32) != 0) return ENL_OK;
    row_key(p, ROW_MINE, a.id, NULL, h);
    rc = enl_store_row_get(p->st, "inquiries", h, &pt, &len);
    if (rc == ENL_ENOTFOUND) return ENL_OK;     /* not an inquiry of mine */
    if (rc != ENL_OK) return rc;
    rc = row_decode(&mine, pt, len);
    enl_store_free(pt, len);
    if (rc != ENL_OK) return rc;
    if (!enl_subject_equal(&mine.q.subject, &a.subject)) return ENL_OK;
    /* Only those asked answer: a contact who learned the id from one of
     * them is not one more voice. */
    if (mine.state == MINE_ASKED_KEPT) {
        row_key(p, ROW_ASKED, a.id, a.answerer, h);
        rc = enl_store_row_get(p->st, "inquiries", h, &pt, &len);
        if (rc == ENL_ENOTFOUND) return ENL_OK;
        if (rc != ENL_OK) return rc;
        enl_store_free(pt, len);
    }
    row_key(p, ROW_ANSWER, a.id, a.answerer, h);
    if ((rc = answer_outcome(p, h, d, &outcome)) != ENL_OK) return rc;
    if (d->outcome != NULL) *d->outcome = outcome;
    /* the same answer again keeps when it first came */
    if (outcome == ENL_DELIVERY_NOTHING) return ENL_OK;
    return row_put(p, h, ROW_ANSWER, d->contact->card.sign_pk, d->contact->card.dh_pk, a.verdict,
                   d->body, d->body_len, enl_now());
}

int enl_inquiry_deliver(enl_profile *p, const enl_delivery *d)
{
    /* only contacts ask and answer; anything else is read and dropped */
    if (d->contact == NULL || d->contact->burned) {
        if (d->outcome != NULL) *d->outcome = ENL_DELIVERY_NOTHING;
        return ENL_OK;
    }
    switch (d->kind) {
    case ENL_KIND_INQUIRY: return deliver_question(p, d);
    case ENL_KIND_ANSWER: return deliver_answer(p, d);
    default: return ENL_EVERSION;
    }
}

/* ---- listing and answering ---------------------------------------------- */

typedef struct {
    inq_row *v;
    size_t n, cap;
    uint8_t type;
} row_list;

static int collect(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    row_list *l = ctx;
    (void)seq;
    if (len < 2 || pt[1] != l->type) return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        inq_row *v = enl_grow_wiped(l->v, l->cap * sizeof *v, cap * sizeof *v);
        if (v == NULL) return ENL_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    if (row_decode(&l->v[l->n], pt, len) != ENL_OK) return ENL_ESTORE;
    l->n++;
    return 0;
}

static int oldest_first(const void *a, const void *b)
{
    const inq_row *x = a, *y = b;
    if (x->received != y->received) return x->received < y->received ? -1 : 1;
    return memcmp(x->peer_sign, y->peer_sign, 32);
}

static int list_load(enl_profile *p, uint8_t type, row_list *l)
{
    int rc;
    memset(l, 0, sizeof *l);
    l->type = type;
    rc = enl_store_row_each(p->st, "inquiries", collect, l);
    if (rc == ENL_OK && l->n > 1) qsort(l->v, l->n, sizeof *l->v, oldest_first);
    return rc;
}

static void fp_text(char out[ENL_FINGERPRINT_STRBYTES], const enl_subject *s)
{
    uint8_t fp[32] = { 0 };
    memcpy(fp, s->fp, ENL_SUBJECT_FPBYTES);
    enl_fingerprint_text(out, fp);
}

int enl_questions_each(enl_profile *p, int (*cb)(const enl_question_info *q, void *ctx), void *ctx)
{
    row_list l;
    int rc = list_load(p, ROW_QUESTION, &l);
    for (size_t i = 0; rc == ENL_OK && i < l.n; i++) {
        const inq_row *r = &l.v[i];
        enl_question_info info;
        enl_contact k;
        memset(&info, 0, sizeof info);
        sodium_bin2hex(info.id, sizeof info.id, r->q.id, 4);
        if (contact_of(p, r->peer_sign, r->peer_dh, &k) == ENL_OK)
            snprintf(info.asker, sizeof info.asker, "%s", k.name);
        fp_text(info.fingerprint, &r->q.subject);
        snprintf(info.note, sizeof info.note, "%s", r->q.note);
        if (subject_contact(p, &r->q.subject, &k) == ENL_OK) {
            snprintf(info.known_as, sizeof info.known_as, "%s", k.name);
            info.verified = k.verified;
            info.burned = k.burned;
        }
        info.answered = verdict_name(r->state);
        info.received = r->received;
        if (cb(&info, ctx) != 0) break;
    }
    enl_free_wiped(l.v, l.cap * sizeof *l.v);
    return rc;
}

int enl_answer(enl_profile *p, const char *id, const char *asker_name, int verdict, const char *text)
{
    size_t n = id != NULL ? strlen(id) : 0, matches = 0, len = 0;
    uint8_t body[ENL_ANSWER_MAXBYTES], h[32];
    enl_answer_msg a;
    enl_contact asker, known;
    row_list l;
    inq_row *r = NULL;
    int rc, same_id = 0;

    if (verdict < ENL_VERDICT_VOUCH || verdict > ENL_VERDICT_WARN) return ENL_EINVAL;
    if (text != NULL && strlen(text) > ENL_INTRO_NOTE_MAX)
        return enl_fail(p, ENL_ETOOBIG, "the text is at most %d bytes", ENL_INTRO_NOTE_MAX);
    if (n < 4 || n > 2 * ENL_INQ_IDBYTES || strspn(id, "0123456789abcdefABCDEF") != n)
        return enl_fail(p, ENL_EINVAL, "a question id is 4 to 32 hex digits (see `enlace questions`)");
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    rc = list_load(p, ROW_QUESTION, &l);
    for (size_t i = 0; rc == ENL_OK && i < l.n; i++) {
        if (!enl_hex_prefix_is(id, l.v[i].q.id, ENL_INQ_IDBYTES)) continue;
        if (asker_name != NULL && (contact_of(p, l.v[i].peer_sign, l.v[i].peer_dh, &asker) != ENL_OK ||
                                   strcmp(asker.name, asker_name) != 0))
            continue;
        /* The same id from two contacts: one forwarded the other's
         * question (every contact asked gets the same bytes). */
        if (r != NULL && sodium_memcmp(r->q.id, l.v[i].q.id, ENL_INQ_IDBYTES) == 0) same_id = 1;
        r = &l.v[i];
        matches++;
    }
    if (rc == ENL_OK && matches == 0)
        rc = enl_fail(p, ENL_ENOTFOUND, "no question %s%s%s", id, asker_name ? " from " : "",
                      asker_name ? asker_name : "");
    if (rc == ENL_OK && matches > 1 && same_id)
        rc = enl_fail(p, ENL_EINVAL, "%zu contacts sent a question %s (one forwarded another's): "
                      "choose whose with --from NAME (see enlace questions)", matches, id);
    else if (rc == ENL_OK && matches > 1)
        rc = enl_fail(p, ENL_EINVAL, "%zu questions start with %s: give more digits", matches, id);
    if (rc == ENL_OK && (contact_of(p, r->peer_sign, r->peer_dh, &asker) != ENL_OK || asker.burned))
        rc = enl_fail(p, ENL_EREFUSED, "the one who asked is no longer a contact (or is burned)");
    if (rc == ENL_OK && verdict == ENL_VERDICT_VOUCH &&
        (subject_contact(p, &r->q.subject, &known) != ENL_OK || known.burned))
        rc = enl_fail(p, ENL_EREFUSED, "you do not hold this key as a contact: you cannot vouch for it "
                      "(answer --unknown or --warn)");
    if (rc == ENL_OK) {
        memset(&a, 0, sizeof a);
        memcpy(a.id, r->q.id, ENL_INQ_IDBYTES);
        a.subject = r->q.subject;
        a.verdict = (uint8_t)verdict;
        snprintf(a.text, sizeof a.text, "%s", text != NULL ? text : "");
        rc = enl_answer_make(body, &len, &a, p->id);
    }
    if (rc == ENL_OK) rc = enl_seal_kind(p, &asker, ENL_KIND_ANSWER, body, len, NULL, NULL);
    if (rc == ENL_OK) {
        /* remember the answer given: the question is rewritten with it */
        uint8_t q[ENL_INQUIRY_MAXBYTES];
        size_t ql = 0;
        rc = enl_inquiry_encode(q, &ql, &r->q);
        row_key(p, ROW_QUESTION, r->q.id, r->peer_sign, h);
        if (rc == ENL_OK)
            rc = row_put(p, h, ROW_QUESTION, r->peer_sign, r->peer_dh, (uint8_t)verdict, q, ql, r->received);
    }
    enl_free_wiped(l.v, l.cap * sizeof *l.v);
    return in_tx(p, rc);
}

int enl_answers_each(enl_profile *p, int (*cb)(const enl_answer_info *a, void *ctx), void *ctx)
{
    row_list l;
    int rc = list_load(p, ROW_ANSWER, &l);
    for (size_t i = 0; rc == ENL_OK && i < l.n; i++) {
        const inq_row *r = &l.v[i];
        enl_answer_info info;
        enl_contact k;
        memset(&info, 0, sizeof info);
        sodium_bin2hex(info.id, sizeof info.id, r->a.id, 4);
        fp_text(info.fingerprint, &r->a.subject);
        if (contact_of(p, r->peer_sign, r->peer_dh, &k) == ENL_OK) {
            snprintf(info.from, sizeof info.from, "%s", k.name);
            /* burned since it answered: a vouch may be the thief's */
            info.burned = k.burned;
        }
        info.verdict = verdict_name(r->a.verdict);
        snprintf(info.text, sizeof info.text, "%s", r->a.text);
        info.received = r->received;
        if (cb(&info, ctx) != 0) break;
    }
    enl_free_wiped(l.v, l.cap * sizeof *l.v);
    return rc;
}
