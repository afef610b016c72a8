/* X3DH from a card; see x3dh.h. */
#include "crypto/x3dh.h"

#include <sodium.h>
#include <string.h>

#include "crypto/noise.h"
#include "enlace.h"

static int derive(enl_x3dh_keys *out, const uint8_t dh[96], const uint8_t ik_a[32],
                  const uint8_t ik_b[32], const uint8_t spk_b[32], const uint8_t ek_a[32])
{
    static const char ctx[] = "enlace x3dh v1";
    uint8_t ck[ENL_NOISE_HASHLEN], ikm[96 + 4 * 32];
    uint8_t o1[ENL_NOISE_HASHLEN], o2[ENL_NOISE_HASHLEN], o3[ENL_NOISE_HASHLEN];

    crypto_generichash(ck, sizeof ck, (const uint8_t *)ctx, sizeof ctx - 1, NULL, 0);
    memcpy(ikm, dh, 96);
    memcpy(ikm + 96, ik_a, 32);
    memcpy(ikm + 128, ik_b, 32);
    memcpy(ikm + 160, spk_b, 32);
    memcpy(ikm + 192, ek_a, 32);
    enl_hkdf_blake2b(o1, o2, o3, ck, ikm, sizeof ikm);
    memcpy(out->sk, o1, 32);
    memcpy(out->hka, o2, 32);
    memcpy(out->nhkb, o3, 32);
    sodium_memzero(ikm, sizeof ikm);
    sodium_memzero(o1, sizeof o1);
    sodium_memzero(o2, sizeof o2);
    sodium_memzero(o3, sizeof o3);
    return ENL_OK;
}

int enl_x3dh_alice(enl_x3dh_keys *out, const uint8_t ik_a_sk[32], const uint8_t ik_a_pk[32],
                   const uint8_t ek_a_sk[32], const uint8_t ek_a_pk[32],
                   const uint8_t ik_b_pk[32], const uint8_t spk_b_pk[32])
{
    uint8_t dh[96];
    int rc = ENL_ECRYPTO;
    if (crypto_scalarmult(dh, ik_a_sk, spk_b_pk) == 0 &&
        crypto_scalarmult(dh + 32, ek_a_sk, ik_b_pk) == 0 &&
        crypto_scalarmult(dh + 64, ek_a_sk, spk_b_pk) == 0)
        rc = derive(out, dh, ik_a_pk, ik_b_pk, spk_b_pk, ek_a_pk);
    sodium_memzero(dh, sizeof dh);
    return rc;
}

int enl_x3dh_bob(enl_x3dh_keys *out, const uint8_t ik_b_sk[32], const uint8_t ik_b_pk[32],
                 const uint8_t spk_b_sk[32], const uint8_t spk_b_pk[32],
                 const uint8_t ik_a_pk[32], const uint8_t ek_a_pk[32])
{
    uint8_t dh[96];
    int rc = ENL_ECRYPTO;
    if (crypto_scalarmult(dh, spk_b_sk, ik_a_pk) == 0 &&
        crypto_scalarmult(dh + 32, ik_b_sk, ek_a_pk) == 0 &&
        crypto_scalarmult(dh + 64, spk_b_sk, ek_a_pk) == 0)
        rc = derive(out, dh, ik_a_pk, ik_b_pk, spk_b_pk, ek_a_pk);
    sodium_memzero(dh, sizeof dh);
    return rc;
}
