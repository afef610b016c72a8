/* Introductions, inquiries and answers: encoding, signing and checking;
 * see introduction.h. Every reader checks each length before each read,
 * and a parse that fails leaves nothing half trusted. */
#include <sodium.h>
#include <string.h>

#include "cell/introduction.h"
#include "util/bytes.h"

static const char intro_context[] = "enlace introduction v1";
static const char answer_context[] = "enlace answer v1";

/* Signing over "context\0" || body, as cell statements do:
 * the context keeps a signature of one kind from passing for another. */
static void sig_input(crypto_sign_state *st, const char *ctx, size_t ctx_len, const uint8_t *body,
                      size_t len)
{
    crypto_sign_init(st);
    crypto_sign_update(st, (const uint8_t *)ctx, ctx_len);
    crypto_sign_update(st, body, len);
}

/* A note or text: at most ENL_INTRO_NOTE_MAX bytes, no NUL (kept as a C string). */
static int text_read(enl_rd *r, char out[ENL_INTRO_NOTE_MAX + 1])
{
    size_t n = enl_rd_u8(r);
    const uint8_t *q = enl_rd_ptr(r, n);
    if (q == NULL || n > ENL_INTRO_NOTE_MAX || memchr(q, 0, n) != NULL) return ENL_EMALFORMED;
    memcpy(out, q, n);
    out[n] = '\0';
    return ENL_OK;
}

static void text_write(enl_wr *w, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    enl_wr_u8(w, (uint8_t)n);
    enl_wr_bytes(w, (const uint8_t *)s, n);
}

static int text_ok(const char *s)
{
    return s == NULL || strlen(s) <= ENL_INTRO_NOTE_MAX;
}

int enl_intro_make(uint8_t *out, size_t *len, const uint8_t recipient[32], const char *card,
                   size_t card_len, const char *note, const enl_identity *introducer)
{
    enl_wr w = enl_wr_init(out, ENL_INTRO_MAXBYTES);
    crypto_sign_state st;
    enl_card c;
    int rc;

    if (!text_ok(note)) return ENL_ETOOBIG;
    if (card_len == 0 || card_len > ENL_CARD_TEXTMAX) return ENL_EINVAL;
    /* checked only: the card read (whom I introduce) is not left behind */
    rc = enl_card_parse(&c, card, card_len, 0);
    sodium_memzero(&c, sizeof c);
    if (rc != ENL_OK) return rc;
    enl_wr_u8(&w, ENL_INTRO_VERSION);
    enl_wr_bytes(&w, introducer->sign_pk, 32);
    enl_wr_bytes(&w, recipient, 32);
    enl_wr_u16(&w, (uint16_t)card_len);
    enl_wr_bytes(&w, (const uint8_t *)card, card_len);
    text_write(&w, note);
    if (w.err || w.len + 64 > ENL_INTRO_MAXBYTES) return ENL_ETOOBIG;
    sig_input(&st, intro_context, sizeof intro_context, out, w.len);
    crypto_sign_final_create(&st, out + w.len, NULL, introducer->sign_sk);
    *len = w.len + 64;
    return ENL_OK;
}

int enl_intro_parse(enl_intro *in, const uint8_t *buf, size_t len)
{
    enl_rd r;
    crypto_sign_state st;
    const uint8_t *q;
    size_t n;

    memset(in, 0, sizeof *in);
    if (len < 64 || len > ENL_INTRO_MAXBYTES) return ENL_EMALFORMED;
    r = enl_rd_init(buf, len - 64);
    if (enl_rd_u8(&r) != ENL_INTRO_VERSION) return r.err ? ENL_EMALFORMED : ENL_EVERSION;
    enl_rd_bytes(&r, in->introducer, 32);
    enl_rd_bytes(&r, in->recipient, 32);
    n = enl_rd_u16(&r);
    if ((q = enl_rd_ptr(&r, n)) == NULL || n == 0 || n > ENL_CARD_TEXTMAX) return ENL_EMALFORMED;
    in->card = (const char *)q;
    in->card_len = n;
    if (text_read(&r, in->note) != ENL_OK || r.err || enl_rd_left(&r) != 0) return ENL_EMALFORMED;
    sig_input(&st, intro_context, sizeof intro_context, buf, len - 64);
    if (crypto_sign_final_verify(&st, buf + len - 64, in->introducer) != 0) return ENL_ESIG;
    if (enl_card_parse(&in->parsed, in->card, in->card_len, 0) != ENL_OK) return ENL_EMALFORMED;
    return ENL_OK;
}

/* ---- subjects ------------------------------------------------------------ */

void enl_subject_keys(enl_subject *s, const uint8_t sign_pk[32], const uint8_t dh_pk[32])
{
    uint8_t fp[32];
    memset(s, 0, sizeof *s);
    s->type = ENL_SUBJECT_KEYS;
    memcpy(s->sign_pk, sign_pk, 32);
    memcpy(s->dh_pk, dh_pk, 32);
    enl_fingerprint_raw(fp, sign_pk, dh_pk);
    memcpy(s->fp, fp, ENL_SUBJECT_FPBYTES);
}

void enl_subject_fp(enl_subject *s, const uint8_t fp[ENL_SUBJECT_FPBYTES])
{
    memset(s, 0, sizeof *s);
    s->type = ENL_SUBJECT_FP;
    memcpy(s->fp, fp, ENL_SUBJECT_FPBYTES);
}

int enl_subject_matches(const enl_subject *s, const uint8_t sign_pk[32], const uint8_t dh_pk[32])
{
    enl_subject k;
    if (s->type == ENL_SUBJECT_KEYS)
        return memcmp(s->sign_pk, sign_pk, 32) == 0 && memcmp(s->dh_pk, dh_pk, 32) == 0;
    enl_subject_keys(&k, sign_pk, dh_pk);
    return memcmp(k.fp, s->fp, ENL_SUBJECT_FPBYTES) == 0;
}

int enl_subject_equal(const enl_subject *a, const enl_subject *b)
{
    return memcmp(a->fp, b->fp, ENL_SUBJECT_FPBYTES) == 0;
}

static void subject_write(enl_wr *w, const enl_subject *s)
{
    enl_wr_u8(w, s->type);
    if (s->type == ENL_SUBJECT_KEYS) {
        enl_wr_bytes(w, s->sign_pk, 32);
        enl_wr_bytes(w, s->dh_pk, 32);
    } else {
        enl_wr_bytes(w, s->fp, ENL_SUBJECT_FPBYTES);
    }
}

static int subject_read(enl_rd *r, enl_subject *s)
{
    uint8_t type = enl_rd_u8(r), a[32], b[32];
    if (type == ENL_SUBJECT_KEYS) {
        enl_rd_bytes(r, a, 32);
        enl_rd_bytes(r, b, 32);
        if (r->err) return ENL_EMALFORMED;
        enl_subject_keys(s, a, b);
        return ENL_OK;
    }
    if (type == ENL_SUBJECT_FP) {
        enl_rd_bytes(r, a, ENL_SUBJECT_FPBYTES);
        if (r->err) return ENL_EMALFORMED;
        enl_subject_fp(s, a);
        return ENL_OK;
    }
    return ENL_EMALFORMED;
}

static int subject_ok(const enl_subject *s)
{
    return s->type == ENL_SUBJECT_KEYS || s->type == ENL_SUBJECT_FP;
}

/* ---- inquiries ----------------------------------------------------------- */

int enl_inquiry_encode(uint8_t *out, size_t *len, const enl_inquiry *q)
{
    enl_wr w = enl_wr_init(out, ENL_INQUIRY_MAXBYTES);
    if (!subject_ok(&q->subject)) return ENL_EINVAL;
    if (!text_ok(q->note)) return ENL_ETOOBIG;
    enl_wr_u8(&w, ENL_INTRO_VERSION);
    enl_wr_bytes(&w, q->id, ENL_INQ_IDBYTES);
    subject_write(&w, &q->subject);
    text_write(&w, q->note);
    if (w.err) return ENL_ETOOBIG;
    *len = w.len;
    return ENL_OK;
}

int enl_inquiry_parse(enl_inquiry *q, const uint8_t *in, size_t len)
{
    enl_rd r = enl_rd_init(in, len);
    memset(q, 0, sizeof *q);
    if (enl_rd_u8(&r) != ENL_INTRO_VERSION) return r.err ? ENL_EMALFORMED : ENL_EVERSION;
    enl_rd_bytes(&r, q->id, ENL_INQ_IDBYTES);
    if (subject_read(&r, &q->subject) != ENL_OK || text_read(&r, q->note) != ENL_OK)
        return ENL_EMALFORMED;
    return r.err || enl_rd_left(&r) != 0 ? ENL_EMALFORMED : ENL_OK;
}

/* ---- answers ------------------------------------------------------------- */

int enl_answer_make(uint8_t *out, size_t *len, enl_answer_msg *a, const enl_identity *answerer)
{
    enl_wr w = enl_wr_init(out, ENL_ANSWER_MAXBYTES);
    crypto_sign_state st;

    if (!subject_ok(&a->subject) || a->verdict < ENL_VERDICT_VOUCH || a->verdict > ENL_VERDICT_WARN)
        return ENL_EINVAL;
    if (!text_ok(a->text)) return ENL_ETOOBIG;
    memcpy(a->answerer, answerer->sign_pk, 32);
    enl_wr_u8(&w, ENL_INTRO_VERSION);
    enl_wr_bytes(&w, a->answerer, 32);
    enl_wr_bytes(&w, a->id, ENL_INQ_IDBYTES);
    subject_write(&w, &a->subject);
    enl_wr_u8(&w, a->verdict);
    text_write(&w, a->text);
    if (w.err || w.len + 64 > ENL_ANSWER_MAXBYTES) return ENL_ETOOBIG;
    sig_input(&st, answer_context, sizeof answer_context, out, w.len);
    crypto_sign_final_create(&st, out + w.len, NULL, answerer->sign_sk);
    *len = w.len + 64;
    return ENL_OK;
}

int enl_answer_parse(enl_answer_msg *a, const uint8_t *in, size_t len)
{
    enl_rd r;
    crypto_sign_state st;

    memset(a, 0, sizeof *a);
    if (len < 64 || len > ENL_ANSWER_MAXBYTES) return ENL_EMALFORMED;
    r = enl_rd_init(in, len - 64);
    if (enl_rd_u8(&r) != ENL_INTRO_VERSION) return r.err ? ENL_EMALFORMED : ENL_EVERSION;
    enl_rd_bytes(&r, a->answerer, 32);
    enl_rd_bytes(&r, a->id, ENL_INQ_IDBYTES);
    if (subject_read(&r, &a->subject) != ENL_OK) return ENL_EMALFORMED;
    a->verdict = enl_rd_u8(&r);
    if (a->verdict < ENL_VERDICT_VOUCH || a->verdict > ENL_VERDICT_WARN) return ENL_EMALFORMED;
    if (text_read(&r, a->text) != ENL_OK || r.err || enl_rd_left(&r) != 0) return ENL_EMALFORMED;
    sig_input(&st, answer_context, sizeof answer_context, in, len - 64);
    if (crypto_sign_final_verify(&st, in + len - 64, a->answerer) != 0) return ENL_ESIG;
    return ENL_OK;
}
