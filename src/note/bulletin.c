/*
 * Bulletins: author keys, position tags, the sealed form and its checks.
 * See bulletin.h for the layout; every length is checked before it is read.
 */
#include "note/bulletin.h"

#include <sodium.h>
#include <string.h>

#include "util/base32.h"
#include "util/bytes.h"

static const char author_ctx[] = "enlace bulletin author v1";
static const char sig_ctx[] = "enlace bulletin v1";   /* signed with its NUL */
#define SIGNED_MAX (sizeof sig_ctx + ENL_NOTE_HEADERBYTES + ENL_BULLETIN_TAGBYTES + ENL_NOTE_MAX)

void enl_bulletin_author_key(uint8_t k[32], const uint8_t fp[ENL_BULLETIN_FPBYTES])
{
    crypto_generichash(k, 32, fp, ENL_BULLETIN_FPBYTES, (const uint8_t *)author_ctx,
                       sizeof author_ctx - 1);
}

/* BLAKE2b-256(label | day u32 | slot u8, key = k): one derivation per use
 * of a position, told apart by the label. */
static void position_hash(uint8_t out[32], const uint8_t k[32], const char *label, uint32_t day,
                          uint8_t slot)
{
    uint8_t in[8 + 4 + 1];
    size_t n = strlen(label);
    memcpy(in, label, n);
    enl_store_be32(in + n, day);
    in[n + 4] = slot;
    crypto_generichash(out, 32, in, n + 5, k, 32);
}

void enl_bulletin_tag(uint8_t tag[ENL_BULLETIN_TAGBYTES], const uint8_t k[32], uint32_t day,
                      uint8_t slot)
{
    uint8_t h[32];
    position_hash(h, k, "tag", day, slot);
    memcpy(tag, h, ENL_BULLETIN_TAGBYTES);
}

uint32_t enl_bulletin_window_start(uint32_t today)
{
    return today > ENL_BULLETIN_LIFETIME_DAYS ? today - ENL_BULLETIN_LIFETIME_DAYS : 0;
}

void enl_bulletin_window_tags(uint8_t (*tags)[ENL_BULLETIN_TAGBYTES], const uint8_t k[32],
                              uint32_t start)
{
    for (uint32_t d = 0; d < ENL_BULLETIN_WINDOW_DAYS; d++)
        for (uint32_t s = 0; s < ENL_BULLETIN_SLOTS; s++)
            enl_bulletin_tag(tags[d * ENL_BULLETIN_SLOTS + s], k, start + d, (uint8_t)s);
}

int enl_bulletin_note_len(size_t channel_len, size_t text_len, size_t *note_len)
{
    size_t raw, padded;
    if (channel_len > ENL_BULLETIN_CHANNEL_MAX || text_len > ENL_NOTE_MAX) return ENL_ETOOBIG;
    raw = ENL_BULLETIN_OVERHEAD + ENL_BULLETIN_PLAIN_MIN + channel_len + text_len;
    padded = enl_padme(raw < ENL_PAD_FLOOR ? ENL_PAD_FLOOR : raw);
    if (padded > ENL_NOTE_MAX) padded = ENL_NOTE_MAX;
    if (raw > padded) return ENL_ETOOBIG;
    *note_len = padded;
    return ENL_OK;
}

static int channel_ok(const uint8_t *c, size_t n)
{
    if (n > ENL_BULLETIN_CHANNEL_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (c[i] < 0x20 || c[i] == 0x7f) return 0;
    return 1;
}

int enl_bulletin_encode(uint8_t *plain, size_t len, const enl_bulletin *b)
{
    enl_wr w;
    if (len < ENL_BULLETIN_SIGBYTES) return ENL_ETOOBIG;
    if (!channel_ok(b->channel, b->channel_len) || b->text_len > UINT32_MAX) return ENL_EMALFORMED;
    w = enl_wr_init(plain, len - ENL_BULLETIN_SIGBYTES);
    enl_wr_bytes(&w, b->sign_pk, 32);
    enl_wr_bytes(&w, b->dh_pk, 32);
    enl_wr_u64(&w, b->published);
    enl_wr_u32(&w, b->expiry_hours);
    enl_wr_u8(&w, (uint8_t)b->channel_len);
    enl_wr_bytes(&w, b->channel, b->channel_len);
    enl_wr_u32(&w, (uint32_t)b->text_len);
    enl_wr_bytes(&w, b->text, b->text_len);
    if (w.err) return ENL_ETOOBIG;
    memset(plain + w.len, 0, len - ENL_BULLETIN_SIGBYTES - w.len);
    return ENL_OK;
}

int enl_bulletin_parse(enl_bulletin *b, const uint8_t *plain, size_t len)
{
    enl_rd r;
    size_t n;
    memset(b, 0, sizeof *b);
    if (len < ENL_BULLETIN_PLAIN_MIN) return ENL_EMALFORMED;
    r = enl_rd_init(plain, len - ENL_BULLETIN_SIGBYTES);
    enl_rd_bytes(&r, b->sign_pk, 32);
    enl_rd_bytes(&r, b->dh_pk, 32);
    b->published = enl_rd_u64(&r);
    b->expiry_hours = enl_rd_u32(&r);
    n = enl_rd_u8(&r);
    b->channel = enl_rd_ptr(&r, n);
    b->channel_len = n;
    n = enl_rd_u32(&r);
    b->text = enl_rd_ptr(&r, n);
    b->text_len = n;
    /* no longer than a publisher may write, whatever room the note has */
    if (r.err || n > ENL_TEXT_MAX) return ENL_EMALFORMED;
    /* Padding must be zeros: one byte string, one meaning. */
    for (size_t i = r.off; i < r.len; i++)
        if (plain[i] != 0) return ENL_EMALFORMED;
    if (!channel_ok(b->channel, b->channel_len)) return ENL_EMALFORMED;
    b->sig = plain + len - ENL_BULLETIN_SIGBYTES;
    return ENL_OK;
}

static void position_keys(uint8_t key[32], uint8_t nonce[24], const uint8_t k[32], uint32_t day,
                          uint8_t slot)
{
    uint8_t h[32];
    position_hash(key, k, "key", day, slot);
    position_hash(h, k, "nonce", day, slot);
    memcpy(nonce, h, 24);
}

/* What the signature covers: the context, the clear header, the tag (so
 * the position is bound) and the plaintext before the signature. */
static size_t signed_msg(uint8_t *msg, const uint8_t *note, const uint8_t *plain, size_t plain_len)
{
    size_t n = plain_len - ENL_BULLETIN_SIGBYTES;
    memcpy(msg, sig_ctx, sizeof sig_ctx);
    memcpy(msg + sizeof sig_ctx, note, ENL_NOTE_HEADERBYTES + ENL_BULLETIN_TAGBYTES);
    memcpy(msg + sizeof sig_ctx + ENL_NOTE_HEADERBYTES + ENL_BULLETIN_TAGBYTES, plain, n);
    return sizeof sig_ctx + ENL_NOTE_HEADERBYTES + ENL_BULLETIN_TAGBYTES + n;
}

int enl_bulletin_seal(uint8_t *note, size_t note_len, uint8_t *plain, const enl_identity *author,
                      const uint8_t k[32], uint32_t day, uint8_t slot, const enl_bulletin *b)
{
    uint8_t msg[SIGNED_MAX];
    uint8_t key[32], nonce[24];
    size_t plain_len, mlen;
    enl_bulletin mine = *b;
    int rc;

    if (note_len > ENL_NOTE_MAX || note_len < ENL_BULLETIN_OVERHEAD + ENL_BULLETIN_PLAIN_MIN)
        return ENL_EINVAL;
    if (enl_load_be32(note + 1) != b->expiry_hours) return ENL_EINVAL;
    plain_len = note_len - ENL_BULLETIN_OVERHEAD;
    memcpy(mine.sign_pk, author->sign_pk, 32);
    memcpy(mine.dh_pk, author->dh_pk, 32);
    if ((rc = enl_bulletin_encode(plain, plain_len, &mine)) != ENL_OK) return rc;
    enl_bulletin_tag(note + ENL_NOTE_HEADERBYTES, k, day, slot);
    mlen = signed_msg(msg, note, plain, plain_len);
    rc = crypto_sign_detached(plain + plain_len - ENL_BULLETIN_SIGBYTES, NULL, msg, mlen,
                              author->sign_sk) == 0 ? ENL_OK : ENL_ECRYPTO;
    position_keys(key, nonce, k, day, slot);
    if (rc == ENL_OK)
        crypto_aead_xchacha20poly1305_ietf_encrypt(note + ENL_NOTE_HEADERBYTES + ENL_BULLETIN_TAGBYTES,
                                                   NULL, plain, plain_len, note,
                                                   ENL_NOTE_HEADERBYTES, NULL, nonce, key);
    sodium_memzero(key, sizeof key);
    sodium_memzero(plain, plain_len);
    return rc;
}

int enl_bulletin_open(enl_bulletin *b, uint8_t *plain, const uint8_t *note, size_t len,
                      const uint8_t k[32], const uint8_t fp[ENL_BULLETIN_FPBYTES], uint32_t day,
                      uint8_t slot)
{
    uint8_t msg[SIGNED_MAX];
    uint8_t key[32], nonce[24], tag[ENL_BULLETIN_TAGBYTES], author_fp[32];
    size_t plain_len, mlen;
    uint32_t published_hour;
    int rc;

    memset(b, 0, sizeof *b);
    if (len > ENL_NOTE_MAX) return ENL_ETOOBIG;
    if (len < ENL_BULLETIN_OVERHEAD + ENL_BULLETIN_PLAIN_MIN) return ENL_EMALFORMED;
    enl_bulletin_tag(tag, k, day, slot);
    if (sodium_memcmp(tag, note + ENL_NOTE_HEADERBYTES, sizeof tag) != 0) return ENL_ENOTFORME;
    plain_len = len - ENL_BULLETIN_OVERHEAD;
    position_keys(key, nonce, k, day, slot);
    rc = crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL,
                                                    note + ENL_NOTE_HEADERBYTES + ENL_BULLETIN_TAGBYTES,
                                                    plain_len + ENL_BULLETIN_ABYTES, note,
                                                    ENL_NOTE_HEADERBYTES, nonce, key) == 0
             ? ENL_OK : ENL_EDECRYPT;
    sodium_memzero(key, sizeof key);
    if (rc != ENL_OK) return rc;
    if ((rc = enl_bulletin_parse(b, plain, plain_len)) != ENL_OK) return rc;
    /* Whoever follows knows K and can encrypt at this position: only the
     * author's keys, named inside and signing, make it the author's. */
    enl_fingerprint_raw(author_fp, b->sign_pk, b->dh_pk);
    if (sodium_memcmp(author_fp, fp, ENL_BULLETIN_FPBYTES) != 0) return ENL_ESIG;
    mlen = signed_msg(msg, note, plain, plain_len);
    if (crypto_sign_verify_detached(b->sig, msg, mlen, b->sign_pk) != 0) return ENL_ESIG;
    /* Signed, so these are the author's own mistakes or a broken client. */
    published_hour = (uint32_t)(b->published / 3600);
    if (b->expiry_hours != enl_load_be32(note + 1) || b->published / 86400 != day ||
        b->expiry_hours <= published_hour ||
        b->expiry_hours - published_hour > ENL_BULLETIN_EXPIRY_MAX_HOURS + 1)
        return ENL_EMALFORMED;
    return ENL_OK;
}

int enl_fingerprint_parse(uint8_t fp[ENL_BULLETIN_FPBYTES], const char *text)
{
    uint8_t buf[ENL_BULLETIN_FPBYTES + 8];
    size_t n = 0, len = strlen(text);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        len--;
    if (enl_base32_decode(buf, sizeof buf, &n, text, len) != ENL_OK || n != ENL_BULLETIN_FPBYTES)
        return ENL_EMALFORMED;
    memcpy(fp, buf, ENL_BULLETIN_FPBYTES);
    return ENL_OK;
}

size_t enl_fingerprint_chars(char *out, size_t max, const char *text)
{
    static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
    size_t n = 0;
    for (; *text; text++) {
        char c = *text;
        int v;
        if (c == ' ' || c == '-' || c == '\n' || c == '\r' || c == '\t') continue;
        v = enl_base32_value(c);
        if (n + 1 < max) out[n] = v < 0 ? '?' : alphabet[v];
        n++;
    }
    out[n + 1 < max ? n : max - 1] = '\0';
    return n;
}

unsigned enl_fingerprint_distance(const char *a, const char *b)
{
    char x[ENL_FINGERPRINT_CHARSMAX + 1], y[ENL_FINGERPRINT_CHARSMAX + 1];
    unsigned row[ENL_FINGERPRINT_CHARSMAX + 1];
    size_t m = enl_fingerprint_chars(x, sizeof x, a), n = enl_fingerprint_chars(y, sizeof y, b);
    if (m > ENL_FINGERPRINT_CHARSMAX || n > ENL_FINGERPRINT_CHARSMAX) return ENL_FINGERPRINT_FAR;
    /* Levenshtein, one row at a time: row[j] is the distance between the
     * first i characters of x and the first j of y. */
    for (size_t j = 0; j <= n; j++) row[j] = (unsigned)j;
    for (size_t i = 1; i <= m; i++) {
        unsigned diag = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= n; j++) {
            unsigned up = row[j], best = diag + (x[i - 1] != y[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[n];
}
