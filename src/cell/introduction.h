/*
 * Introductions, inquiries and answers: the payloads with which contacts
 * vouch for keys to each other (kinds 5, 6 and 7).
 *
 * An introduction must show who vouched for the card it carries, so it is
 * signed (Ed25519) with the introducer's identity key, and names the one it
 * is for, so that it cannot be passed on as if made to someone else:
 *
 *   version u8 (1) | introducer sign_pk [32] | recipient sign_pk [32] |
 *   card length u16 | card text | note length u8 | note |
 *   signature [64] over "enlace introduction v1\0" || everything above
 *
 * An inquiry ("do you know this key?") travels only over a pairwise session,
 * which already says who sent it; it is not signed, so it stays deniable:
 *
 *   version u8 (1) | inquiry id [16] | subject | note length u8 | note
 *
 * The subject is the key asked about: type 1 and sign_pk [32] | dh_pk [32]
 * (from a card), or type 2 and the 20 bytes a fingerprint shows (the text
 * fingerprint is those 20 bytes in base32; the rest of the hash is never
 * shown, so it cannot be typed in). Both compare by those 20 bytes.
 *
 * An answer must convince the asker, so it is signed by the answerer:
 *
 *   version u8 (1) | answerer sign_pk [32] | inquiry id [16] | subject |
 *   verdict u8 (1 vouch, 2 unknown, 3 warn) | text length u8 | text |
 *   signature [64] over "enlace answer v1\0" || everything above
 *
 * Notes and texts are at most ENL_INTRO_NOTE_MAX bytes and hold no NUL.
 *
 * Pure: no I/O, no allocation.
 */
#ifndef ENL_CELL_INTRODUCTION_H
#define ENL_CELL_INTRODUCTION_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/identity.h"
#include "enlace.h"

#define ENL_INTRO_VERSION       1
#define ENL_INQ_IDBYTES         16
#define ENL_SUBJECT_KEYS        1
#define ENL_SUBJECT_FP          2
#define ENL_SUBJECT_FPBYTES     20
#define ENL_SUBJECT_MAXBYTES    (1 + 64)
#define ENL_INTRO_MAXBYTES      (1 + 32 + 32 + 2 + ENL_CARD_TEXTMAX + 1 + ENL_INTRO_NOTE_MAX + 64)
#define ENL_INQUIRY_MAXBYTES    (1 + ENL_INQ_IDBYTES + ENL_SUBJECT_MAXBYTES + 1 + ENL_INTRO_NOTE_MAX)
#define ENL_ANSWER_MAXBYTES     (1 + 32 + ENL_INQ_IDBYTES + ENL_SUBJECT_MAXBYTES + 1 + 1 + \
                                 ENL_INTRO_NOTE_MAX + 64)

_Static_assert(ENL_FINGERPRINT_STRBYTES - 1 == 8 * 4 + 7, "a text fingerprint is 32 base32 digits");
_Static_assert(ENL_SUBJECT_FPBYTES * 8 == 32 * 5, "20 bytes are 32 base32 digits");

typedef struct {
    uint8_t type;               /* ENL_SUBJECT_KEYS or ENL_SUBJECT_FP */
    uint8_t sign_pk[32];        /* ENL_SUBJECT_KEYS only */
    uint8_t dh_pk[32];
    uint8_t fp[ENL_SUBJECT_FPBYTES]; /* always: given, or computed from the keys */
} enl_subject;

typedef struct {
    uint8_t introducer[32];
    uint8_t recipient[32];
    const char *card;           /* points into the parsed buffer, not NUL-terminated */
    size_t card_len;
    enl_card parsed;            /* the card, signature checked (dates are not) */
    char note[ENL_INTRO_NOTE_MAX + 1];
} enl_intro;

typedef struct {
    uint8_t id[ENL_INQ_IDBYTES];
    enl_subject subject;
    char note[ENL_INTRO_NOTE_MAX + 1];
} enl_inquiry;

typedef struct {
    uint8_t answerer[32];       /* the signer */
    uint8_t id[ENL_INQ_IDBYTES];
    enl_subject subject;
    uint8_t verdict;            /* ENL_VERDICT_* (enlace.h) */
    char text[ENL_INTRO_NOTE_MAX + 1];
} enl_answer_msg;

/* Signs an introduction of the card (checked: it must parse) for recipient.
 * out must hold ENL_INTRO_MAXBYTES. note may be NULL. */
int enl_intro_make(uint8_t *out, size_t *len, const uint8_t recipient[32], const char *card,
                   size_t card_len, const char *note, const enl_identity *introducer)
    __attribute__((warn_unused_result));
/* Parses and checks one: layout, signature, the card's own signature.
 * ENL_EMALFORMED, ENL_EVERSION, ENL_ESIG. in->card points into buf. */
int enl_intro_parse(enl_intro *in, const uint8_t *buf, size_t len) __attribute__((warn_unused_result));

/* A subject from keys, or from the 20 bytes of a fingerprint. */
void enl_subject_keys(enl_subject *s, const uint8_t sign_pk[32], const uint8_t dh_pk[32]);
void enl_subject_fp(enl_subject *s, const uint8_t fp[ENL_SUBJECT_FPBYTES]);
/* 1 when the keys are those the subject stands for. */
int enl_subject_matches(const enl_subject *s, const uint8_t sign_pk[32], const uint8_t dh_pk[32]);
/* 1 when both name the same key (the same shown fingerprint). */
int enl_subject_equal(const enl_subject *a, const enl_subject *b);

/* out must hold ENL_INQUIRY_MAXBYTES. */
int enl_inquiry_encode(uint8_t *out, size_t *len, const enl_inquiry *q) __attribute__((warn_unused_result));
int enl_inquiry_parse(enl_inquiry *q, const uint8_t *in, size_t len) __attribute__((warn_unused_result));

/* Signs an answer (a->answerer is taken from the identity). out must hold
 * ENL_ANSWER_MAXBYTES. */
int enl_answer_make(uint8_t *out, size_t *len, enl_answer_msg *a, const enl_identity *answerer)
    __attribute__((warn_unused_result));
/* Parses an answer and checks its signature against the key it names;
 * the caller checks that key is the contact it came from. */
int enl_answer_parse(enl_answer_msg *a, const uint8_t *in, size_t len) __attribute__((warn_unused_result));

#endif
