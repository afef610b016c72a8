/*
 * Revocations: a signed statement "the keys of this identity are
 * compromised", made by the identity itself, usually in advance, and left
 * with a trusted contact who publishes it if its owner is taken. Published,
 * it travels as a burn notice ahead of everything in every sync, and every
 * device that knows the identity stops trusting it. It must convince anyone
 * who holds it, so it is signed (Ed25519), unlike ordinary messages.
 *
 *   body:  version u8 (1) | sign_pk[32] | dh_pk[32] | created u64 |
 *          reason length u8 | reason (UTF-8)
 *   then:  signature[64] over "enlace revocation v1\0" || body
 *
 * The binary form (body || signature) is what travels; its id is
 * BLAKE2b-256 of it. The text form, for a file handed over in person, is
 * "enlace-revocation1" + base32(binary || 4-byte checksum).
 *
 * Pure: no I/O, no allocation.
 */
#ifndef ENL_CRYPTO_REVOCATION_H
#define ENL_CRYPTO_REVOCATION_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/identity.h"

#define ENL_REVOCATION_VERSION   1
#define ENL_REVOCATION_REASONMAX 200
#define ENL_REVOCATION_MINBYTES  (1 + 32 + 32 + 8 + 1 + 64)
#define ENL_REVOCATION_MAXBYTES  (ENL_REVOCATION_MINBYTES + ENL_REVOCATION_REASONMAX)
#define ENL_REVOCATION_PREFIX    "enlace-revocation1"
#define ENL_REVOCATION_TEXTMAX   (sizeof ENL_REVOCATION_PREFIX + ENL_BASE32_LEN(ENL_REVOCATION_MAXBYTES + 4) + 1)

typedef struct {
    uint8_t sign_pk[32];
    uint8_t dh_pk[32];
    uint64_t created;
    char reason[ENL_REVOCATION_REASONMAX + 1];
} enl_revocation;

/* Signs a revocation of id; out gets the binary form (*len bytes). */
int enl_revocation_make(uint8_t out[ENL_REVOCATION_MAXBYTES], size_t *len, const enl_identity *id,
                        const char *reason, uint64_t now) __attribute__((warn_unused_result));
/* Parses and verifies the binary form: ENL_EMALFORMED, ENL_EVERSION, ENL_ESIG. */
int enl_revocation_parse(enl_revocation *r, const uint8_t *in, size_t len)
    __attribute__((warn_unused_result));
/* Text form: encode / decode (ENL_ECHECKSUM for a copying mistake). */
int enl_revocation_to_text(char *text, size_t max, const uint8_t *bin, size_t len);
int enl_revocation_from_text(uint8_t out[ENL_REVOCATION_MAXBYTES], size_t *len, const char *text,
                             size_t text_len) __attribute__((warn_unused_result));

#endif
