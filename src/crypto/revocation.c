/* Signed revocations (burn notices); see revocation.h. */
#include "crypto/revocation.h"

#include <sodium.h>
#include <string.h>

#include "util/bytes.h"

static const char context[] = "enlace revocation v1";

static int signed_msg(uint8_t *msg, size_t *mlen, const uint8_t *body, size_t blen)
{
    if (blen > ENL_REVOCATION_MAXBYTES) return ENL_ETOOBIG;
    memcpy(msg, context, sizeof context);
    memcpy(msg + sizeof context, body, blen);
    *mlen = sizeof context + blen;
    return ENL_OK;
}

int enl_revocation_make(uint8_t out[ENL_REVOCATION_MAXBYTES], size_t *len, const enl_identity *id,
                        const char *reason, uint64_t now)
{
    uint8_t msg[sizeof context + ENL_REVOCATION_MAXBYTES];
    size_t rl = reason ? strlen(reason) : 0, mlen = 0;
    enl_wr w = enl_wr_init(out, ENL_REVOCATION_MAXBYTES);

    if (rl > ENL_REVOCATION_REASONMAX) return ENL_ETOOBIG;
    for (size_t i = 0; i < rl; i++)
        if ((unsigned char)reason[i] < 0x20 || reason[i] == 0x7f) return ENL_EINVAL;
    enl_wr_u8(&w, ENL_REVOCATION_VERSION);
    enl_wr_bytes(&w, id->sign_pk, 32);
    enl_wr_bytes(&w, id->dh_pk, 32);
    enl_wr_u64(&w, now);
    enl_wr_u8(&w, (uint8_t)rl);
    enl_wr_bytes(&w, (const uint8_t *)reason, rl);
    if (w.err || signed_msg(msg, &mlen, out, w.len) != ENL_OK) return ENL_ETOOBIG;
    if (crypto_sign_detached(enl_wr_ptr(&w, 64), NULL, msg, mlen, id->sign_sk) != 0 || w.err)
        return ENL_ECRYPTO;
    *len = w.len;
    return ENL_OK;
}

int enl_revocation_parse(enl_revocation *r, const uint8_t *in, size_t len)
{
    uint8_t msg[sizeof context + ENL_REVOCATION_MAXBYTES];
    enl_rd rd = enl_rd_init(in, len);
    size_t rl, mlen = 0, body;
    const uint8_t *reason;

    memset(r, 0, sizeof *r);
    if (len < ENL_REVOCATION_MINBYTES || len > ENL_REVOCATION_MAXBYTES) return ENL_EMALFORMED;
    if (enl_rd_u8(&rd) != ENL_REVOCATION_VERSION) return ENL_EVERSION;
    enl_rd_bytes(&rd, r->sign_pk, 32);
    enl_rd_bytes(&rd, r->dh_pk, 32);
    r->created = enl_rd_u64(&rd);
    rl = enl_rd_u8(&rd);
    reason = enl_rd_ptr(&rd, rl);
    if (rd.err || rl > ENL_REVOCATION_REASONMAX || enl_rd_left(&rd) != 64) return ENL_EMALFORMED;
    for (size_t i = 0; i < rl; i++)
        if (reason[i] < 0x20 || reason[i] == 0x7f) return ENL_EMALFORMED;
    memcpy(r->reason, reason, rl);
    body = rd.off;
    if (signed_msg(msg, &mlen, in, body) != ENL_OK) return ENL_EMALFORMED;
    if (crypto_sign_verify_detached(in + body, msg, mlen, r->sign_pk) != 0) return ENL_ESIG;
    return ENL_OK;
}

static void checksum(uint8_t out[4], const uint8_t *bin, size_t len)
{
    uint8_t h[32];
    crypto_generichash(h, sizeof h, bin, len, NULL, 0);
    memcpy(out, h, 4);
}

int enl_revocation_to_text(char *text, size_t max, const uint8_t *bin, size_t len)
{
    uint8_t buf[ENL_REVOCATION_MAXBYTES + 4];
    size_t prefix = sizeof ENL_REVOCATION_PREFIX - 1;
    int rc;
    if (len > ENL_REVOCATION_MAXBYTES || max < prefix + 1) return ENL_EINVAL;
    memcpy(buf, bin, len);
    checksum(buf + len, bin, len);
    memcpy(text, ENL_REVOCATION_PREFIX, prefix);
    rc = enl_base32_encode(text + prefix, max - prefix, buf, len + 4);
    sodium_memzero(buf, sizeof buf);   /* a signed revocation: it burns keys */
    return rc;
}

int enl_revocation_from_text(uint8_t out[ENL_REVOCATION_MAXBYTES], size_t *len, const char *text,
                             size_t text_len)
{
    uint8_t buf[ENL_REVOCATION_MAXBYTES + 4], check[4];
    size_t prefix = sizeof ENL_REVOCATION_PREFIX - 1, n = 0;
    int rc;
    while (text_len > 0 && (text[text_len - 1] == '\n' || text[text_len - 1] == '\r' ||
                            text[text_len - 1] == ' '))
        text_len--;
    if (text_len < prefix || strncasecmp(text, ENL_REVOCATION_PREFIX, prefix) != 0)
        return ENL_EMALFORMED;
    rc = enl_base32_decode(buf, sizeof buf, &n, text + prefix, text_len - prefix);
    if (rc != ENL_OK || n < ENL_REVOCATION_MINBYTES + 4) {
        rc = ENL_EMALFORMED;
    } else {
        checksum(check, buf, n - 4);
        rc = sodium_memcmp(check, buf + n - 4, 4) != 0 ? ENL_ECHECKSUM : ENL_OK;
    }
    if (rc == ENL_OK) {
        memcpy(out, buf, n - 4);
        *len = n - 4;
    }
    sodium_memzero(buf, sizeof buf);   /* a signed revocation: it burns keys */
    return rc;
}
