/*
 * Cell statements: what members sign so that every device can work out, on
 * its own and to the same result, who belongs to a cell. A statement must
 * convince members who were not there, so it is signed (Ed25519) with the
 * author's identity key, like cards and burn notices.
 *
 *   version u8 (1) | type u8 | cell id [32] | author sign_pk [32] | created u64 |
 *   clock u32 (1 + the largest clock of the statements its author held; never wraps) |
 *   CREATE:        admit u8 | salt [16] | name length u8 | name | card length u16 | author's card
 *   ADD:           generation u32 | subject sign_pk [32] | subject dh_pk [32] |
 *                  card length u16 | subject's card
 *   REMOVE, BURN:  generation u32 | subject sign_pk [32] | subject dh_pk [32] |
 *                  reason length u8 | reason
 *   LEAVE:         generation u32
 *   then signature [64] over "enlace cell statement v1\0" || everything above.
 *
 * The cell id is BLAKE2b-256("enlace cell id v2\0" || creator sign_pk || salt ||
 * admit u8 || name length u8 || name || card length u16 || card) (enl_cell_id):
 * only the creator can make a CREATE for it, so no member can replace the
 * cell's founding statement with one of their own, and a second CREATE with
 * other terms is the CREATE of another cell.
 *
 * ADD is a vouch for admission (a proposal is the proposer's vouch), REMOVE a
 * vouch for removal, BURN a vouch for removal that also says the subject's
 * keys are compromised, LEAVE a member leaving. The generation counts the
 * subject's changes of state (0: first admission, 1: its removal, 2: a
 * re-admission...), so a vouch counts towards one change only and an old
 * vouch can never be replayed against a later one.
 *
 * Pure: no I/O, no allocation.
 */
#ifndef ENL_CELL_STATEMENT_H
#define ENL_CELL_STATEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/identity.h"

#define ENL_STMT_VERSION    1
#define ENL_STMT_CREATE     1
#define ENL_STMT_ADD        2
#define ENL_STMT_REMOVE     3
#define ENL_STMT_BURN       4
#define ENL_STMT_LEAVE      5

#define ENL_CELL_IDBYTES    32
#define ENL_CELL_NAME_MAX   ENL_NAME_MAX
#define ENL_CELL_ADMIT_MAX  16
#define ENL_STMT_REASONMAX  200
#define ENL_STMT_MAXBYTES   (1 + 1 + 32 + 32 + 8 + 4 + 4 + 16 + 32 + 32 + 1 + ENL_CELL_NAME_MAX + 2 + \
                             ENL_CARD_TEXTMAX + 1 + ENL_STMT_REASONMAX + 64)

typedef struct {
    uint8_t type;
    uint8_t cell_id[ENL_CELL_IDBYTES];
    uint8_t author[32];         /* the signer's Ed25519 key */
    uint64_t created;
    uint32_t clock;             /* Lamport clock: orders what one author saw before */
    /* CREATE */
    uint8_t admit;              /* k: vouches needed */
    uint8_t salt[16];
    char name[ENL_CELL_NAME_MAX + 1];
    /* ADD, REMOVE, BURN, LEAVE (for LEAVE the subject is the author) */
    uint32_t gen;
    uint8_t subject_sign[32];
    uint8_t subject_dh[32];
    /* CREATE and ADD: the card of the author (CREATE) or subject (ADD) */
    const char *card;           /* points into the parsed buffer, not NUL-terminated */
    size_t card_len;
    /* REMOVE and BURN */
    char reason[ENL_STMT_REASONMAX + 1];
} enl_stmt;

/* Encodes and signs s with the author's identity (s->author is taken from
 * it). out must hold ENL_STMT_MAXBYTES. */
int enl_stmt_make(uint8_t *out, size_t *len, enl_stmt *s, const enl_identity *author)
    __attribute__((warn_unused_result));

/* Parses and checks a statement: layout, signature, and that a card it
 * carries is well signed and belongs to the key it stands for (for LEAVE,
 * subject_sign is set to the author). s->card points into in.
 * ENL_EMALFORMED, ENL_EVERSION, ENL_ESIG. */
int enl_stmt_parse(enl_stmt *s, const uint8_t *in, size_t len) __attribute__((warn_unused_result));

/* The cell id a CREATE gives: it covers its author, salt, admit, name and
 * card, so that a second CREATE its author signs with other terms (a lower
 * k) is the CREATE of another cell, never an alternative founding of this
 * one. */
void enl_cell_id(uint8_t id[ENL_CELL_IDBYTES], const enl_stmt *create);

/* The id of a statement: BLAKE2b-256 of its bytes. */
void enl_stmt_id(uint8_t id[32], const uint8_t *in, size_t len);

/* The author's key in a statement's bytes (fixed place, see the layout
 * above), without checking anything: only for statements already parsed
 * and checked once. NULL when in is too short to hold it. */
const uint8_t *enl_stmt_author_of(const uint8_t *in, size_t len);

#endif
