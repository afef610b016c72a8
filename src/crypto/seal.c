/* First-contact seal over the Noise X handshake; see seal.h. */
#include "crypto/seal.h"

#include <sodium.h>
#include <string.h>

#include "crypto/noise.h"
#include "enlace.h"

static int top_bit(const uint8_t *msg, size_t len)
{
    uint8_t h[16];
    crypto_generichash(h, sizeof h, msg + 32, len - 32, NULL, 0);
    return h[0] & 1;
}

int enl_seal_x(uint8_t *out, size_t out_len, const uint8_t *prologue, size_t prologue_len,
               const uint8_t from_sk[32], const uint8_t to_pk[32],
               const uint8_t *pt, size_t pt_len, const uint8_t *fixed_e)
{
    enl_handshake hs;
    size_t n = 0;
    int rc;

    if (out_len != pt_len + ENL_SEAL_OVERHEAD || out_len > ENL_NOISE_MAXMSG) return ENL_EINVAL;
    rc = enl_handshake_init(&hs, ENL_NOISE_X, 1, prologue, prologue_len, from_sk, to_pk, fixed_e);
    if (rc != ENL_OK) return rc;
    rc = enl_handshake_write(&hs, out, &n, out_len, pt, pt_len);
    enl_handshake_wipe(&hs);
    if (rc != ENL_OK) return rc;
    if (n != out_len) return ENL_ECRYPTO;
    out[31] |= (uint8_t)(top_bit(out, out_len) << 7);
    return ENL_OK;
}

int enl_open_x(uint8_t *pt, uint8_t from_pk[32], const uint8_t *prologue, size_t prologue_len,
               const uint8_t my_sk[32], const uint8_t *body, size_t body_len)
{
    uint8_t copy[ENL_NOISE_MAXMSG];  /* the body as received, top bit of e cleared */
    enl_handshake hs;
    size_t n = 0;
    int rc;

    if (body_len < ENL_SEAL_OVERHEAD) return ENL_EMALFORMED;
    if (body_len > ENL_NOISE_MAXMSG) return ENL_ETOOBIG;
    if ((body[31] >> 7) != top_bit(body, body_len)) return ENL_ENOTFORME;
    memcpy(copy, body, body_len);
    copy[31] &= 0x7f;
    rc = enl_handshake_init(&hs, ENL_NOISE_X, 0, prologue, prologue_len, my_sk, NULL, NULL);
    if (rc != ENL_OK) return rc;
    rc = enl_handshake_read(&hs, pt, &n, body_len - ENL_SEAL_OVERHEAD, copy, body_len);
    if (rc == ENL_OK) rc = enl_handshake_remote_static(&hs, from_pk);
    enl_handshake_wipe(&hs);
    if (rc == ENL_EDECRYPT || rc == ENL_ECRYPTO) return ENL_ENOTFORME;
    return rc;
}
