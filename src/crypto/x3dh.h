/*
 * Session start without a server: X3DH where the card is the prekey bundle
 * (no one-time prekeys). The first sender (Alice) combines
 *
 *   DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)
 *
 * and the Noise HKDF (HMAC-BLAKE2b) over DH1 || DH2 || DH3 || IK_A || IK_B ||
 * SPK_B || EK_A gives the root key SK and the two shared header keys of the
 * Double Ratchet with header encryption (HKA: Alice's first sending header
 * key, NHKB: Bob's first next header key). Once Bob deletes SPK_B at the end
 * of its grace period, a first message captured earlier cannot be opened
 * even with Bob's identity key.
 */
#ifndef ENL_CRYPTO_X3DH_H
#define ENL_CRYPTO_X3DH_H

#include <stdint.h>

typedef struct {
    uint8_t sk[32];
    uint8_t hka[32];
    uint8_t nhkb[32];
} enl_x3dh_keys;

int enl_x3dh_alice(enl_x3dh_keys *out, const uint8_t ik_a_sk[32], const uint8_t ik_a_pk[32],
                   const uint8_t ek_a_sk[32], const uint8_t ek_a_pk[32],
                   const uint8_t ik_b_pk[32], const uint8_t spk_b_pk[32])
    __attribute__((warn_unused_result));
int enl_x3dh_bob(enl_x3dh_keys *out, const uint8_t ik_b_sk[32], const uint8_t ik_b_pk[32],
                 const uint8_t spk_b_sk[32], const uint8_t spk_b_pk[32],
                 const uint8_t ik_a_pk[32], const uint8_t ek_a_pk[32])
    __attribute__((warn_unused_result));

#endif
