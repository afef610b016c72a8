/*
 * Identities, cards, fingerprints, safety numbers. See identity.h for the
 * card layout; docs/PROTOCOL.md has it byte by byte. Parsing checks, in this
 * order, what a person can act on: a typing mistake (checksum) before a
 * version, a version before the fields, the fields before the signature,
 * the signature before the dates.
 */
#include "crypto/identity.h"

#include <sodium.h>
#include <string.h>

#include "util/bytes.h"

static const char card_context[] = "enlace card v1";

int enl_identity_generate(enl_identity *id, uint64_t now)
{
    memset(id, 0, sizeof *id);
    if (crypto_sign_keypair(id->sign_pk, id->sign_sk) != 0) goto fail;
    randombytes_buf(id->dh_sk, sizeof id->dh_sk);
    if (crypto_scalarmult_base(id->dh_pk, id->dh_sk) != 0) goto fail;
    randombytes_buf(id->prekey_sk, sizeof id->prekey_sk);
    if (crypto_scalarmult_base(id->prekey_pk, id->prekey_sk) != 0) goto fail;
    id->prekey_id = randombytes_uniform(UINT32_MAX);
    id->prekey_created = now;
    return ENL_OK;
fail:
    enl_identity_wipe(id);
    return ENL_ECRYPTO;
}

int enl_identity_from_seed(enl_identity *id, const uint8_t seed[32], uint64_t now)
{
    /* libsodium wants BLAKE2b keys of 16 to 64 bytes. */
    static const char dh_ctx[] = "enlace dh seed v1", pk_ctx[] = "enlace prekey seed v1";
    uint8_t prekey_id[32];
    memset(id, 0, sizeof *id);
    if (crypto_sign_seed_keypair(id->sign_pk, id->sign_sk, seed) != 0) goto fail;
    if (crypto_generichash(id->dh_sk, 32, seed, 32, (const uint8_t *)dh_ctx, sizeof dh_ctx - 1) != 0 ||
        crypto_generichash(id->prekey_sk, 32, seed, 32, (const uint8_t *)pk_ctx, sizeof pk_ctx - 1) != 0 ||
        crypto_generichash(prekey_id, 32, seed, 32, NULL, 0) != 0)
        goto fail;
    if (crypto_scalarmult_base(id->dh_pk, id->dh_sk) != 0) goto fail;
    if (crypto_scalarmult_base(id->prekey_pk, id->prekey_sk) != 0) goto fail;
    id->prekey_id = ((uint32_t)prekey_id[0] << 24) | ((uint32_t)prekey_id[1] << 16) |
                    ((uint32_t)prekey_id[2] << 8) | prekey_id[3];
    id->prekey_created = now;
    return ENL_OK;
fail:
    enl_identity_wipe(id);
    return ENL_ECRYPTO;
}

int enl_identity_rotate_prekey(enl_identity *id, enl_old_prekey *old, uint64_t now)
{
    old->id = id->prekey_id;
    memcpy(old->pk, id->prekey_pk, 32);
    memcpy(old->sk, id->prekey_sk, 32);
    old->retired = now;
    randombytes_buf(id->prekey_sk, sizeof id->prekey_sk);
    if (crypto_scalarmult_base(id->prekey_pk, id->prekey_sk) != 0) return ENL_ECRYPTO;
    do {
        id->prekey_id = randombytes_uniform(UINT32_MAX);
    } while (id->prekey_id == old->id);
    id->prekey_created = now;
    return ENL_OK;
}

void enl_identity_wipe(enl_identity *id)
{
    sodium_memzero(id, sizeof *id);
}

void enl_identity_serialize(uint8_t out[ENL_IDENTITY_BYTES], const enl_identity *id)
{
    enl_wr w = enl_wr_init(out, ENL_IDENTITY_BYTES);
    enl_wr_bytes(&w, id->sign_pk, 32);
    enl_wr_bytes(&w, id->sign_sk, 64);
    enl_wr_bytes(&w, id->dh_pk, 32);
    enl_wr_bytes(&w, id->dh_sk, 32);
    enl_wr_u32(&w, id->prekey_id);
    enl_wr_bytes(&w, id->prekey_pk, 32);
    enl_wr_bytes(&w, id->prekey_sk, 32);
    enl_wr_u64(&w, id->prekey_created);
}

int enl_identity_parse(enl_identity *id, const uint8_t *in, size_t len)
{
    enl_rd r = enl_rd_init(in, len);
    if (len != ENL_IDENTITY_BYTES) return ENL_EMALFORMED;
    enl_rd_bytes(&r, id->sign_pk, 32);
    enl_rd_bytes(&r, id->sign_sk, 64);
    enl_rd_bytes(&r, id->dh_pk, 32);
    enl_rd_bytes(&r, id->dh_sk, 32);
    id->prekey_id = enl_rd_u32(&r);
    enl_rd_bytes(&r, id->prekey_pk, 32);
    enl_rd_bytes(&r, id->prekey_sk, 32);
    id->prekey_created = enl_rd_u64(&r);
    return r.err ? ENL_EMALFORMED : ENL_OK;
}

/* Code points a name must not hold: C1 controls (a terminal may act on
 * them), and the invisible and direction-changing marks that let one name
 * pass for another on screen. */
static int spoofing_code_point(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff;
}

/* Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF)
 * without the code points above. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned cp;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xc2 && c <= 0xdf) { k = 1; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { k = 2; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { k = 3; cp = c & 0x07; }
        else return 0;
        if (n - i <= k) return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || spoofing_code_point(cp))
            return 0;
        i += k + 1;
    }
    return 1;
}

int enl_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > ENL_NAME_MAX || s[0] == '-' || s[0] == ' ' || s[n - 1] == ' ') return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '@' || c == '/' || c == ':' || c == '"' || c == '\\')
            return 0;
    }
    return utf8_valid((const unsigned char *)s, n);
}

static int address_valid(const char *s, size_t n)
{
    if (n == 0 || n > ENL_ADDRESS_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\') return 0;
    return 1;
}

static void card_checksum(uint8_t out[ENL_CARD_CHECKBYTES], const uint8_t *body, size_t len)
{
    uint8_t h[32];
    crypto_generichash(h, sizeof h, body, len, NULL, 0);
    memcpy(out, h, ENL_CARD_CHECKBYTES);
}

static int card_sign(uint8_t sig[64], const uint8_t *body, size_t len, const uint8_t sk[64])
{
    uint8_t msg[sizeof card_context + ENL_CARD_FIXEDBYTES + ENL_CARD_EXTMAX];
    if (len > sizeof msg - sizeof card_context) return ENL_ETOOBIG;
    memcpy(msg, card_context, sizeof card_context);
    memcpy(msg + sizeof card_context, body, len);
    return crypto_sign_detached(sig, NULL, msg, sizeof card_context + len, sk) == 0
               ? ENL_OK : ENL_ECRYPTO;
}

static int card_verify(const uint8_t sig[64], const uint8_t *body, size_t len, const uint8_t pk[32])
{
    uint8_t msg[sizeof card_context + ENL_CARD_FIXEDBYTES + ENL_CARD_EXTMAX];
    int rc;
    if (len > sizeof msg - sizeof card_context) return ENL_ETOOBIG;
    memcpy(msg, card_context, sizeof card_context);
    memcpy(msg + sizeof card_context, body, len);
    rc = crypto_sign_verify_detached(sig, msg, sizeof card_context + len, pk) == 0 ? ENL_OK : ENL_ESIG;
    sodium_memzero(msg, sizeof msg);    /* the card's name and address */
    return rc;
}

static void put_ext(enl_wr *w, uint8_t type, const char *value)
{
    size_t n = value ? strlen(value) : 0;
    if (n == 0) return;
    enl_wr_u8(w, type);
    enl_wr_u8(w, (uint8_t)n);
    enl_wr_bytes(w, (const uint8_t *)value, n);
}

int enl_card_make(char *text, size_t text_max, const enl_identity *id, const char *name,
                  const char *address, uint64_t now)
{
    uint8_t buf[ENL_CARD_MAXBYTES];
    enl_wr w = enl_wr_init(buf, ENL_CARD_FIXEDBYTES + ENL_CARD_EXTMAX);
    size_t ext_at, body_len, prefix = sizeof ENL_CARD_PREFIX - 1;
    int rc;

    if (name == NULL || !enl_name_valid(name)) return ENL_EINVAL;
    if (address != NULL && *address && !address_valid(address, strlen(address))) return ENL_EINVAL;
    enl_wr_u8(&w, ENL_CARD_VERSION);
    enl_wr_bytes(&w, id->sign_pk, 32);
    enl_wr_bytes(&w, id->dh_pk, 32);
    enl_wr_u32(&w, id->prekey_id);
    enl_wr_bytes(&w, id->prekey_pk, 32);
    enl_wr_u64(&w, now);
    enl_wr_u64(&w, now + ENL_CARD_LIFETIME);
    ext_at = w.len;
    enl_wr_u16(&w, 0);
    put_ext(&w, ENL_CARD_EXT_NAME, name);
    put_ext(&w, ENL_CARD_EXT_ADDRESS, address);
    if (w.err) return ENL_ETOOBIG;
    body_len = w.len;
    buf[ext_at] = (uint8_t)((body_len - ext_at - 2) >> 8);
    buf[ext_at + 1] = (uint8_t)(body_len - ext_at - 2);
    rc = card_sign(buf + body_len, buf, body_len, id->sign_sk);
    if (rc != ENL_OK) return rc;
    card_checksum(buf + body_len + 64, buf, body_len + 64);
    if (text_max < prefix + 1) return ENL_EBUFSIZE;
    memcpy(text, ENL_CARD_PREFIX, prefix);
    return enl_base32_encode(text + prefix, text_max - prefix, buf,
                             body_len + 64 + ENL_CARD_CHECKBYTES);
}

static int parse_exts(enl_card *c, const uint8_t *p, size_t len)
{
    enl_rd r = enl_rd_init(p, len);
    int seen_name = 0, seen_addr = 0;
    while (enl_rd_left(&r) > 0) {
        uint8_t type = enl_rd_u8(&r), n = enl_rd_u8(&r);
        const uint8_t *v = enl_rd_ptr(&r, n);
        if (v == NULL) return ENL_EMALFORMED;
        if (type == ENL_CARD_EXT_NAME) {
            if (seen_name++ || n == 0 || n > ENL_NAME_MAX) return ENL_EMALFORMED;
            memcpy(c->name, v, n);
            c->name[n] = '\0';
            if (memchr(v, 0, n) != NULL || !enl_name_valid(c->name)) return ENL_EMALFORMED;
        } else if (type == ENL_CARD_EXT_ADDRESS) {
            if (seen_addr++ || !address_valid((const char *)v, n)) return ENL_EMALFORMED;
            memcpy(c->address, v, n);
            c->address[n] = '\0';
        }
    }
    return r.err ? ENL_EMALFORMED : ENL_OK;
}

/* The bytes a card's text encodes (buf: ENL_CARD_MAXBYTES), after the
 * white space around it, the prefix, and the separators and look-alikes
 * base32 forgives. */
static int card_bytes(uint8_t *buf, size_t *n, const char *text, size_t text_len)
{
    size_t prefix = sizeof ENL_CARD_PREFIX - 1;
    int rc;
    while (text_len > 0 && (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')) {
        text++;
        text_len--;
    }
    while (text_len > 0 && (text[text_len - 1] == ' ' || text[text_len - 1] == '\n' ||
                            text[text_len - 1] == '\r' || text[text_len - 1] == '\t'))
        text_len--;
    if (text_len < prefix || strncasecmp(text, ENL_CARD_PREFIX, prefix) != 0) {
        /* "enlace2...": a card of another version; "enlace: ..." (a line
         * of this program's output, pasted) is no card at all */
        if (text_len >= 7 && strncasecmp(text, "enlace", 6) == 0 && text[6] >= '0' && text[6] <= '9')
            return ENL_EVERSION;
        return ENL_EMALFORMED;
    }
    /* The text says it is a card: what then does not decode (a character
     * dropped, added, or out of the alphabet) or is cut short is a copying
     * mistake, as a checksum that does not match is. */
    rc = enl_base32_decode(buf, ENL_CARD_MAXBYTES, n, text + prefix, text_len - prefix);
    if (rc == ENL_ETOOBIG) return ENL_EMALFORMED;
    if (rc != ENL_OK) return ENL_ECHECKSUM;
    if (*n < ENL_CARD_FIXEDBYTES + ENL_CARD_SIGBYTES + ENL_CARD_CHECKBYTES) return ENL_ECHECKSUM;
    return ENL_OK;
}

/* A card's bytes on the stack are wiped before return, whatever the
 * outcome: a contact's name, keys and address are not to linger. */
int enl_card_canonical(char *out, size_t out_max, const char *text, size_t text_len)
{
    uint8_t buf[ENL_CARD_MAXBYTES];
    size_t n = 0, prefix = sizeof ENL_CARD_PREFIX - 1;
    int rc = card_bytes(buf, &n, text, text_len);
    if (rc == ENL_OK && out_max < prefix + ENL_BASE32_LEN(n) + 1) rc = ENL_EBUFSIZE;
    if (rc == ENL_OK) {
        memcpy(out, ENL_CARD_PREFIX, prefix);
        rc = enl_base32_encode(out + prefix, out_max - prefix, buf, n);
    }
    sodium_memzero(buf, sizeof buf);
    return rc;
}

static int card_parse_bytes(enl_card *c, const uint8_t *buf, size_t n, uint64_t now)
{
    uint8_t check[ENL_CARD_CHECKBYTES];
    size_t body_len, ext_len;
    enl_rd r;
    int rc;

    card_checksum(check, buf, n - ENL_CARD_CHECKBYTES);
    if (sodium_memcmp(check, buf + n - ENL_CARD_CHECKBYTES, ENL_CARD_CHECKBYTES) != 0)
        return ENL_ECHECKSUM;
    body_len = n - ENL_CARD_CHECKBYTES - ENL_CARD_SIGBYTES;
    r = enl_rd_init(buf, body_len);
    if (enl_rd_u8(&r) != ENL_CARD_VERSION) return ENL_EVERSION;
    enl_rd_bytes(&r, c->sign_pk, 32);
    enl_rd_bytes(&r, c->dh_pk, 32);
    c->prekey_id = enl_rd_u32(&r);
    enl_rd_bytes(&r, c->prekey_pk, 32);
    c->created = enl_rd_u64(&r);
    c->expires = enl_rd_u64(&r);
    ext_len = enl_rd_u16(&r);
    if (r.err || ext_len != enl_rd_left(&r) || ext_len > ENL_CARD_EXTMAX) return ENL_EMALFORMED;
    rc = parse_exts(c, buf + r.off, ext_len);
    if (rc != ENL_OK) return rc;
    if (c->name[0] == '\0') return ENL_EMALFORMED;
    rc = card_verify(buf + body_len, buf, body_len, c->sign_pk);
    if (rc != ENL_OK) return rc;
    if (c->expires <= c->created) return ENL_EMALFORMED;
    if (now == 0) return ENL_OK;
    if (c->created > now + ENL_CLOCK_SKEW) return ENL_EFUTURE;
    if (now >= c->expires) return ENL_EEXPIRED;
    return ENL_OK;
}

int enl_card_parse(enl_card *c, const char *text, size_t text_len, uint64_t now)
{
    uint8_t buf[ENL_CARD_MAXBYTES];
    size_t n = 0;
    int rc;

    memset(c, 0, sizeof *c);
    if ((rc = card_bytes(buf, &n, text, text_len)) == ENL_OK) rc = card_parse_bytes(c, buf, n, now);
    sodium_memzero(buf, sizeof buf);
    return rc;
}

void enl_fingerprint_raw(uint8_t fp[32], const uint8_t sign_pk[32], const uint8_t dh_pk[32])
{
    crypto_generichash_state st;
    static const char ctx[] = "enlace fingerprint v1";
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const uint8_t *)ctx, sizeof ctx);
    crypto_generichash_update(&st, sign_pk, 32);
    crypto_generichash_update(&st, dh_pk, 32);
    crypto_generichash_final(&st, fp, 32);
}

void enl_fingerprint_text(char out[ENL_FINGERPRINT_STRBYTES], const uint8_t fp[32])
{
    char b32[ENL_BASE32_LEN(20) + 1];
    size_t o = 0;
    (void)enl_base32_encode(b32, sizeof b32, fp, 20);
    for (size_t i = 0; i < 32; i++) {
        if (i > 0 && i % 4 == 0) out[o++] = ' ';
        out[o++] = b32[i];
    }
    out[o] = '\0';
}

void enl_safety_number(char out[ENL_SAFETY_STRBYTES], const uint8_t fp_a[32], const uint8_t fp_b[32])
{
    static const char ctx[] = "enlace safety number v1";
    const uint8_t *lo = fp_a, *hi = fp_b;
    crypto_generichash_state st;
    uint8_t h[64];
    size_t o = 0;

    if (memcmp(fp_a, fp_b, 32) > 0) { lo = fp_b; hi = fp_a; }
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const uint8_t *)ctx, sizeof ctx);
    crypto_generichash_update(&st, lo, 32);
    crypto_generichash_update(&st, hi, 32);
    crypto_generichash_final(&st, h, sizeof h);
    for (int g = 0; g < 12; g++) {
        uint64_t v = 0;
        for (int i = 0; i < 5; i++) v = (v << 8) | h[g * 5 + i];
        v %= 100000;
        if (g > 0) out[o++] = ' ';
        for (int d = 4; d >= 0; d--) {
            out[o + (size_t)d] = (char)('0' + v % 10);
            v /= 10;
        }
        o += 5;
    }
    out[o] = '\0';
}
