/*
 * Cells as stored, and how their notes are opened. A cell row (table
 * "cells", keyed by index("cells", cell id)) holds, encrypted:
 *
 *   version u8 (1) | cell id [32] | local name length u8 | name |
 *   epoch [32] (of the membership last acted on) | flags u8 (1: I am a member,
 *   2: my sender key missed a member, 4: an invitation not joined yet) |
 *   has sender key u8 | [sender key epoch [32] | length u16 | my sender key] |
 *   statement count u16 | (length u16 | statement)*   (in the order of their ids)
 *
 * Other members' sender keys live in table "senderkeys", keyed by
 * index("senderkeys", cell id || member sign_pk || key id), each holding
 *
 *   version u8 (1) | cell id [32] | member sign_pk [32] | member dh_pk [32] |
 *   key id [32] | length u16 | sender key (enl_senderkey_serialize)
 *
 * The key id is chosen by the member with each new key (enl_cell_key_id):
 * how many statements they held then (u16), the time (u64, unix seconds),
 * and 22 random bytes. Its bytes, compared in order, order a member's keys
 * oldest to newest: of them, the 3 newest are kept.
 *
 * and their recognition tags are in the tags table under that row key, so a
 * cell note is recognised by the same lookup as a session note.
 */
#ifndef ENL_CORE_CELLS_H
#define ENL_CORE_CELLS_H

#include "core/deliver.h"
#include "crypto/identity.h"
#include "crypto/senderkey.h"

/* A cell note opened with a member's sender key, not yet delivered. */
typedef struct {
    uint8_t row[32];
    uint8_t cell_id[32];
    uint8_t sender_sign[32];
    uint8_t sender_dh[32];
    uint8_t epoch[32];
    enl_senderkey sk;           /* advanced past the note's key */
} enl_cell_opened;

/* Tries the sender key under row (found by the note's tag): ENL_ENOTFOUND
 * when row is not a sender key's. plain: at least len bytes. */
int enl_cell_note_open(enl_profile *p, const uint8_t row[32], const uint8_t *note, size_t len,
                       enl_cell_opened *co, uint8_t *plain, size_t *plain_len)
    __attribute__((warn_unused_result));

/* Delivers an opened cell note's payload (inside the intake transaction):
 * refused unless its sender is a member of the cell in my view; the text
 * becomes an inbox row marked with the cell; the advanced sender key is
 * saved. */
int enl_cell_note_deliver(enl_profile *p, enl_cell_opened *co, enl_delivery *d)
    __attribute__((warn_unused_result));

/* A new sender key's id (above): statements held, created, random. */
void enl_cell_key_id(uint8_t id[32], size_t statements, uint64_t created);

/* The body of a sender key message (kind 3) for one member: cell_id |
 * key_id | share | the proof that I made the key (enl_senderkey_prove,
 * for the receiver's DH key). sk must be my own. */
#define ENL_CELL_KEYMSG_BYTES (32 + 32 + ENL_SK_SHAREBYTES + ENL_SK_PROOFBYTES)
int enl_cell_key_message(uint8_t out[ENL_CELL_KEYMSG_BYTES], const enl_senderkey *sk,
                         const uint8_t cell_id[32], const uint8_t key_id[32],
                         const enl_identity *me, const uint8_t receiver_dh_pk[32])
    __attribute__((warn_unused_result));

/* The row key of the sender key a delivered ENL_KIND_SENDER_KEY brought. */
void enl_cell_key_row(enl_profile *p, const enl_delivery *d, uint8_t row[32]);

/* Calls fn with the id of every held note that the sender key under row
 * would recognise (cell notes that came before their key). */
int enl_cell_held_notes(enl_profile *p, const uint8_t row[32], enl_store_id_fn fn, void *ctx)
    __attribute__((warn_unused_result));

/* Once per profile, at open: the tags of the sender keys stored by an
 * earlier derivation (before tags named the signing key, or before the
 * checkpoints), written again, so that members' notes sealed with the
 * keys held are recognised as this version would. */
int enl_cells_upgrade(enl_profile *p) __attribute__((warn_unused_result));

/* The local name of a cell, for the inbox. ENL_ENOTFOUND if unknown. */
int enl_cell_name(enl_profile *p, const uint8_t cell_id[32], char name[ENL_NAME_MAX + 1]);

/* Burns: in every cell I share with this key, sign a BURN (a vouch for its
 * removal saying its keys are compromised); inside the caller's transaction,
 * each cell in its own savepoint. *cells gets how many cells took it,
 * *failed how many could not (their log refused it; enl_profile_errmsg
 * says why): a failed cell is left as it was and never stops the rest. */
int enl_cell_burn_vouch(enl_profile *p, const uint8_t sign_pk[32], const uint8_t dh_pk[32],
                        const char *reason, int *cells, int *failed)
    __attribute__((warn_unused_result));

/* A key was burned (here, or by its owner's revocation): in every cell I
 * share with it, forget its sender keys and hand my other members a new
 * key of mine that it never gets. Inside the caller's transaction. */
int enl_cell_burned(enl_profile *p, const uint8_t sign_pk[32]) __attribute__((warn_unused_result));

/* A session with these keys has just begun (their first note was read).
 * In every cell whose last sender key of mine missed a member I could not
 * reach, and where they are a member, my current key goes to them: it
 * reaches them now. Only the start of a session does this, once a pair,
 * never any note, and it makes no new key: two members who both missed a
 * third would otherwise answer each other's new keys with new keys at
 * every sync. */
int enl_cells_session_begun(enl_profile *p, const uint8_t sign_pk[32], const uint8_t dh_pk[32])
    __attribute__((warn_unused_result));

#endif
