/*
 * The Noise protocol framework, cipher suite 25519_ChaChaPoly_BLAKE2b, over
 * libsodium primitives: X25519 (crypto_scalarmult), ChaCha20-Poly1305 IETF
 * (crypto_aead_chacha20poly1305_ietf), BLAKE2b-512 (crypto_generichash) and
 * HMAC-BLAKE2b / HKDF built from it as the specification defines them.
 *
 * enlace uses two patterns: X (the one-way first-contact seal of a note) and
 * XK (the link between two devices). N, K, IK and XX are implemented too so
 * that the whole cacophony vector set can check the state machine.
 *
 * Pure: no I/O, no allocation. Every secret lives in the structs below and
 * is wiped by enl_handshake_wipe / enl_cipher_wipe, and on every error path.
 */
#ifndef ENL_CRYPTO_NOISE_H
#define ENL_CRYPTO_NOISE_H

#include <stddef.h>
#include <stdint.h>

#define ENL_NOISE_DHLEN     32
#define ENL_NOISE_HASHLEN   64
#define ENL_NOISE_KEYLEN    32
#define ENL_NOISE_TAGLEN    16
#define ENL_NOISE_MAXMSG    65535

typedef enum {
    ENL_NOISE_N,
    ENL_NOISE_K,
    ENL_NOISE_X,
    ENL_NOISE_XK,
    ENL_NOISE_IK,
    ENL_NOISE_XX
} enl_noise_pattern;

typedef struct {
    uint8_t k[ENL_NOISE_KEYLEN];
    uint64_t n;
    int has_key;
} enl_cipherstate;

typedef struct {
    enl_cipherstate cs;
    uint8_t ck[ENL_NOISE_HASHLEN];
    uint8_t h[ENL_NOISE_HASHLEN];
    enl_noise_pattern pattern;
    int initiator;
    int msg_index;          /* next message pattern to process */
    int has_s, has_e, has_rs, has_re, has_fixed_e;
    uint8_t s_sk[32], s_pk[32];
    uint8_t e_sk[32], e_pk[32];
    uint8_t rs[32], re[32];
} enl_handshake;

/*
 * Starts a handshake. s_sk: this side's static secret key, or NULL when the
 * pattern gives this side none. rs: the remote static public key when the
 * pattern says it is known beforehand (the initiator of N/K/X/XK/IK, the
 * responder of K only), else NULL. fixed_e: an ephemeral secret to use
 * instead of a random one — only for test vectors; NULL in real use.
 * Returns ENL_EINVAL when a key the pattern needs is missing, or one is given
 * that the pattern does not use.
 */
int enl_handshake_init(enl_handshake *hs, enl_noise_pattern pattern, int initiator,
                       const uint8_t *prologue, size_t prologue_len,
                       const uint8_t *s_sk, const uint8_t *rs, const uint8_t *fixed_e)
    __attribute__((warn_unused_result));

/* Forgets the static public key this thread derived last (and the hash
 * of its secret key that finds it); called when a profile closes. */
void enl_handshake_forget_keys(void);

/* Writes the next handshake message carrying payload. *out_len gets its
 * length; out_max must allow for keys and tags (ENL_EBUFSIZE otherwise). */
int enl_handshake_write(enl_handshake *hs, uint8_t *out, size_t *out_len, size_t out_max,
                        const uint8_t *payload, size_t payload_len)
    __attribute__((warn_unused_result));

/* Reads the next handshake message. ENL_EDECRYPT when it does not
 * authenticate, ENL_EMALFORMED when too short, ENL_ECRYPTO on a weak key.
 * On any error (even a payload buffer too small) the handshake is wiped and
 * must not be used again. msg and payload must not overlap. */
int enl_handshake_read(enl_handshake *hs, uint8_t *payload, size_t *payload_len,
                       size_t payload_max, const uint8_t *msg, size_t msg_len)
    __attribute__((warn_unused_result));

/* 1 when every message of the pattern has been processed. */
int enl_handshake_done(const enl_handshake *hs);

/* The remote static key, once learnt or known (ENL_ENOTFOUND otherwise). */
int enl_handshake_remote_static(const enl_handshake *hs, uint8_t rs[32]);

/* The handshake hash h (channel binding). */
void enl_handshake_hash(const enl_handshake *hs, uint8_t h[ENL_NOISE_HASHLEN]);

/* After the last message: the initiator's sending cipher is c1, the
 * responder's c2; this returns (send, recv) for this side and wipes hs, so
 * take the hash and the remote static key before. */
int enl_handshake_split(enl_handshake *hs, enl_cipherstate *send, enl_cipherstate *recv)
    __attribute__((warn_unused_result));

void enl_handshake_wipe(enl_handshake *hs);

/* Transport messages: out holds len + ENL_NOISE_TAGLEN bytes. The nonce is
 * the counter n, which never repeats: at 2^64-1 the cipher refuses. */
int enl_cipher_encrypt(enl_cipherstate *cs, uint8_t *out, const uint8_t *ad, size_t ad_len,
                       const uint8_t *pt, size_t pt_len) __attribute__((warn_unused_result));
int enl_cipher_decrypt(enl_cipherstate *cs, uint8_t *out, const uint8_t *ad, size_t ad_len,
                       const uint8_t *ct, size_t ct_len) __attribute__((warn_unused_result));
void enl_cipher_wipe(enl_cipherstate *cs);

/* HMAC-BLAKE2b and the Noise HKDF, exposed for the other modules' KDFs. */
void enl_hmac_blake2b(uint8_t out[ENL_NOISE_HASHLEN], const uint8_t *key, size_t key_len,
                      const uint8_t *data, size_t data_len);
void enl_hkdf_blake2b(uint8_t out1[ENL_NOISE_HASHLEN], uint8_t out2[ENL_NOISE_HASHLEN],
                      uint8_t out3[ENL_NOISE_HASHLEN], const uint8_t ck[ENL_NOISE_HASHLEN],
                      const uint8_t *ikm, size_t ikm_len);

#endif
