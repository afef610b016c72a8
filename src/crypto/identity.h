/*
 * Identity keys, cards, fingerprints and safety numbers.
 *
 * An identity is an Ed25519 signing key (what cards, vouches and burn
 * notices are signed with) and an X25519 key (what first-contact notes are
 * sealed to), plus a signed prekey for sessions. A card hands the public
 * half to a contact as one line of text: "enlace1" and Crockford base32 of
 * the signed body and a 4-byte checksum. The checksum tells a copying mistake
 * from tampering; the signature covers everything but itself.
 *
 * Pure: no I/O, no allocation.
 */
#ifndef ENL_CRYPTO_IDENTITY_H
#define ENL_CRYPTO_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "enlace.h"
#include "util/base32.h"

#define ENL_CARD_PREFIX         "enlace1"
#define ENL_CARD_VERSION        1
#define ENL_CARD_FIXEDBYTES     (1 + 32 + 32 + 4 + 32 + 8 + 8 + 2)
#define ENL_CARD_SIGBYTES       64
#define ENL_CARD_CHECKBYTES     4
#define ENL_CARD_EXTMAX         512
#define ENL_CARD_MAXBYTES       (ENL_CARD_FIXEDBYTES + ENL_CARD_EXTMAX + ENL_CARD_SIGBYTES + ENL_CARD_CHECKBYTES)
#define ENL_CARD_TEXTMAX        (sizeof ENL_CARD_PREFIX + ENL_BASE32_LEN(ENL_CARD_MAXBYTES) + 1)
/* A signed prekey is replaced every ENL_PREKEY_ROTATE and its secret kept
 * ENL_PREKEY_GRACE longer, so that a card handed out while it was current
 * (valid ENL_CARD_LIFETIME) keeps working to its end, and a first message
 * captured earlier cannot be opened once the grace period is over. */
#define ENL_PREKEY_ROTATE       (30u * 24 * 3600)
#define ENL_PREKEY_GRACE        (90u * 24 * 3600)
#define ENL_CARD_LIFETIME       ENL_PREKEY_GRACE      /* seconds a card stays valid */
#define ENL_CLOCK_SKEW          (24u * 3600)          /* how far ahead a clock may run */
#define ENL_ADDRESS_MAX         127

/* Card extension types (type u8, length u8, value). Unknown types are
 * skipped but stay covered by the signature. */
#define ENL_CARD_EXT_NAME       1
#define ENL_CARD_EXT_ADDRESS    2

typedef struct {
    uint8_t sign_pk[32];
    uint8_t sign_sk[64];
    uint8_t dh_pk[32];
    uint8_t dh_sk[32];
    uint32_t prekey_id;
    uint8_t prekey_pk[32];
    uint8_t prekey_sk[32];
    uint64_t prekey_created;
} enl_identity;

/* A retired prekey, kept for the grace period. */
typedef struct {
    uint32_t id;
    uint8_t pk[32];
    uint8_t sk[32];
    uint64_t retired;
} enl_old_prekey;

#define ENL_OLD_PREKEY_BYTES (4 + 32 + 32 + 8)

typedef struct {
    uint8_t sign_pk[32];
    uint8_t dh_pk[32];
    uint32_t prekey_id;
    uint8_t prekey_pk[32];
    uint64_t created;
    uint64_t expires;
    char name[ENL_NAME_MAX + 1];
    char address[ENL_ADDRESS_MAX + 1];
} enl_card;

#define ENL_IDENTITY_BYTES (32 + 64 + 32 + 32 + 4 + 32 + 32 + 8)

/* Fresh identity with a first prekey. */
int enl_identity_generate(enl_identity *id, uint64_t now) __attribute__((warn_unused_result));
/* Deterministic identity from a 32-byte seed: for test vectors only. */
int enl_identity_from_seed(enl_identity *id, const uint8_t seed[32], uint64_t now)
    __attribute__((warn_unused_result));
void enl_identity_wipe(enl_identity *id);
/* Replaces the current prekey with a fresh one; *old receives the retired
 * one (to keep for ENL_PREKEY_GRACE). */
int enl_identity_rotate_prekey(enl_identity *id, enl_old_prekey *old, uint64_t now)
    __attribute__((warn_unused_result));

/* Fixed-size serialization for the encrypted store. */
void enl_identity_serialize(uint8_t out[ENL_IDENTITY_BYTES], const enl_identity *id);
int enl_identity_parse(enl_identity *id, const uint8_t *in, size_t len) __attribute__((warn_unused_result));

/* Writes the signed card text (NUL-terminated) for this identity. */
int enl_card_make(char *text, size_t text_max, const enl_identity *id, const char *name,
                  const char *address, uint64_t now) __attribute__((warn_unused_result));

/* Parses and checks a card's text: prefix, checksum, version, fields,
 * signature, dates against `now` (now == 0: the dates are not checked, for
 * cards already accepted and kept in the store). Surrounding white space is
 * forgiven. */
int enl_card_parse(enl_card *card, const char *text, size_t text_len, uint64_t now)
    __attribute__((warn_unused_result));

/* The one text of the card that text encodes, as enl_card_make writes it
 * (the prefix, then base32 without separators): what is kept, so that a
 * card padded with separators or written with look-alike letters is stored
 * at its real length. Checks only the encoding; enl_card_parse the rest. */
int enl_card_canonical(char *out, size_t out_max, const char *text, size_t text_len)
    __attribute__((warn_unused_result));

/* Fingerprint: BLAKE2b-256 over the two public keys, shown as the first 20
 * bytes in base32, 8 groups of 4. */
void enl_fingerprint_raw(uint8_t fp[32], const uint8_t sign_pk[32], const uint8_t dh_pk[32]);
void enl_fingerprint_text(char out[ENL_FINGERPRINT_STRBYTES], const uint8_t fp[32]);
/* Safety number: the same 60 digits on both sides, whatever the order. */
void enl_safety_number(char out[ENL_SAFETY_STRBYTES], const uint8_t fp_a[32], const uint8_t fp_b[32]);

/* 1 when s is a name a person may give: 1..ENL_NAME_MAX bytes of UTF-8,
 * no control characters, not starting with '-', no '@' '/' ':' so it can
 * never be mistaken for an address or an option. */
int enl_name_valid(const char *s);

#endif
