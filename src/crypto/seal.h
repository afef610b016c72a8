/*
 * The first-contact seal: one message of the one-way Noise pattern X
 * (Noise_X_25519_ChaChaPoly_BLAKE2b: e, es, s, ss). The sender's static key
 * travels encrypted; the payload is authenticated by Diffie-Hellman only, so
 * the recipient knows who sent it but cannot prove it to anyone (deniable).
 *
 * The ephemeral key goes out with its top bit set to the low bit of
 * BLAKE2b-128 of the rest of the message (uniform, as a random bit would be):
 * X25519 ignores that bit, and a public key whose top bit is always 0 would
 * mark the note as a first contact to anyone who copies it. Because the bit
 * is a function of the ciphertext, flipping it does not make a second valid
 * note with the same content.
 *
 * Sealed body: e (32) || encrypted s (32 + 16) || encrypted plaintext (n + 16).
 */
#ifndef ENL_CRYPTO_SEAL_H
#define ENL_CRYPTO_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define ENL_SEAL_OVERHEAD (32 + 32 + 16 + 16)

/* prologue binds the clear note header to the seal. fixed_e exists for test
 * vectors only: NULL (a random ephemeral key) in real use. */
int enl_seal_x(uint8_t *out, size_t out_len, const uint8_t *prologue, size_t prologue_len,
               const uint8_t from_sk[32], const uint8_t to_pk[32],
               const uint8_t *pt, size_t pt_len, const uint8_t *fixed_e)
    __attribute__((warn_unused_result));

/* Opens a body sealed to my_sk. pt must hold body_len - ENL_SEAL_OVERHEAD
 * bytes; from_pk receives the sender's static X25519 key. ENL_ENOTFORME
 * when the body does not authenticate under this key (not for me, or
 * damaged: the two cannot be told apart, by design). */
int enl_open_x(uint8_t *pt, uint8_t from_pk[32], const uint8_t *prologue, size_t prologue_len,
               const uint8_t my_sk[32], const uint8_t *body, size_t body_len)
    __attribute__((warn_unused_result));

#endif
