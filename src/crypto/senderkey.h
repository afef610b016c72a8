/*
 * Sender keys for cells: one symmetric chain per member and membership
 * epoch, handed to the other members over the pairwise sessions, so that a
 * note to the whole cell is sealed once (Signal's sender keys are the model).
 *
 *   message key  mk_i       = BLAKE2b-256(key = chain_i, "enlace sk msg")
 *   next chain   chain_i+1  = BLAKE2b-256(key = chain_i, "enlace sk chain")
 *   tag          tag_i      = BLAKE2b-128(key = mk_i, "enlace sk tag v2" || sign_pk)
 *   AEAD key     key_i      = BLAKE2b-256(key = mk_i, "enlace sk key")
 *
 * A cell note's body is tag_i | XChaCha20-Poly1305(key_i, nonce 0,
 * AD = note header || tag_i, signature [64] || payload). Each key_i seals
 * one message only, so the fixed nonce is never reused under a key. The
 * signature is made with the chain's own Ed25519 key (handed out with the
 * chain), over "enlace sender key v1\0" || note header || tag_i || payload:
 * members hold the chain, so without it any member could write in
 * another's name. The signing key is not the identity key, so a cell note
 * proves nothing to anyone outside the cell.
 *
 * Receivers precompute the tags of the next ENL_SK_WINDOW iterations and of
 * the keys they skipped (at most ENL_SK_SKIP_MAX), so a cell note is
 * recognised by a table lookup like a session note. A message key is
 * deleted once used; the chain only moves forward (forward secrecy within
 * an epoch; a new epoch is a new chain).
 *
 * A receiver that missed a whole window of notes (they expired while it
 * was away, or a courier lost them) would recognise none of the member's
 * later notes. So it also keeps the tags of every ENL_SK_STRIDE-th
 * iteration in the ENL_SK_AHEAD past the window (checkpoints: the same
 * iterations whatever the receiver's position, so the sender does nothing
 * for them). A note at a checkpoint opens and moves the chain there (a
 * jump), keeping the key of every iteration passed over as a skipped key,
 * as the window does: notes only out of order (a courier handed the later
 * ones first) still open whenever they come. Keys, never a chain key: one
 * would also open every later note, read or not.
 *
 * Pure: no I/O, no allocation.
 */
#ifndef ENL_CRYPTO_SENDERKEY_H
#define ENL_CRYPTO_SENDERKEY_H

#include <stddef.h>
#include <stdint.h>

#include "enlace.h"

#define ENL_SK_WINDOW       32
/* room for a whole jump's keys (at most ENL_SK_WINDOW + ENL_SK_AHEAD - 1) and 64 more */
#define ENL_SK_SKIP_MAX     (ENL_SK_WINDOW + ENL_SK_AHEAD + 64)
#define ENL_SK_TAGBYTES     16
#define ENL_SK_OVERHEAD     (ENL_SK_TAGBYTES + 64 + 16)   /* tag, signature, MAC */
#define ENL_SK_SHAREBYTES   (32 + 4 + 32)                 /* chain | next | sign_pk */
#define ENL_SK_AHEAD        1024     /* iterations past the window seen at checkpoints */
#define ENL_SK_STRIDE       4        /* every 4th iteration is a checkpoint */
/* The most tags one receiver's key has: skipped keys, the window and the
 * checkpoints. */
#define ENL_SK_TAGS_MAX     (ENL_SK_SKIP_MAX + ENL_SK_WINDOW + ENL_SK_AHEAD / ENL_SK_STRIDE)

typedef struct {
    uint8_t chain[32];
    uint32_t next;              /* iteration of `chain` */
    uint8_t sign_pk[32];
    uint8_t sign_sk[64];        /* only in my own sender key */
    uint8_t own;
    uint32_t nskipped;
    struct {
        uint32_t iter;
        uint8_t mk[32];
    } skipped[ENL_SK_SKIP_MAX];
} enl_senderkey;

#define ENL_SK_SERIALIZED_MAX (1 + 32 + 4 + 32 + 1 + 64 + 2 + ENL_SK_SKIP_MAX * 36)

/* A fresh chain and signing key of my own. */
int enl_senderkey_generate(enl_senderkey *k) __attribute__((warn_unused_result));
void enl_senderkey_wipe(enl_senderkey *k);

/* What members get: the chain where it stands now and the public key. */
void enl_senderkey_share(uint8_t out[ENL_SK_SHAREBYTES], const enl_senderkey *k);
int enl_senderkey_from_share(enl_senderkey *k, const uint8_t *in, size_t len)
    __attribute__((warn_unused_result));

/* The proof, for one receiver, that a sender key is its owner's: members
 * hold each other's chains and public keys, so a share alone would let one
 * member hand another's key on as their own (and the other's notes would
 * show in their name). Only the maker holds the key's Ed25519 secret; its
 * X25519 form (crypto_sign_ed25519_sk_to_curve25519) and the receiver's DH
 * key give a secret only the maker and that receiver can compute:
 *
 *   proof = BLAKE2b-256(key = X25519(sk_x, receiver dh_pk),
 *                       "enlace sender key owner v1\0" || cell_id || key_id ||
 *                       sign_pk || owner sign_pk || owner dh_pk || receiver dh_pk)
 *
 * The receiver could compute it as well, so it convinces no third party
 * (deniable, like the pairwise sessions). The owner's side needs k's
 * secret (k->own); the receiver's, its own DH secret. */
#define ENL_SK_PROOFBYTES 32
typedef struct {
    const uint8_t *cell_id, *key_id;            /* [32] each */
    const uint8_t *owner_sign_pk, *owner_dh_pk; /* the member who made the key */
    const uint8_t *receiver_dh_pk;
} enl_sk_owner;
int enl_senderkey_prove(uint8_t proof[ENL_SK_PROOFBYTES], const enl_senderkey *k,
                        const enl_sk_owner *o) __attribute__((warn_unused_result));
/* ENL_OK when proof is the owner's for the key whose public key is sign_pk;
 * ENL_ESIG otherwise. */
int enl_senderkey_check_owner(const uint8_t proof[ENL_SK_PROOFBYTES], const uint8_t sign_pk[32],
                              const enl_sk_owner *o, const uint8_t receiver_dh_sk[32])
    __attribute__((warn_unused_result));

size_t enl_senderkey_serialize(uint8_t out[ENL_SK_SERIALIZED_MAX], const enl_senderkey *k);
int enl_senderkey_parse(enl_senderkey *k, const uint8_t *in, size_t len)
    __attribute__((warn_unused_result));

/* The tags a receiver looks for: skipped keys, the window ahead, then the
 * checkpoints (at most ENL_SK_TAGS_MAX). */
size_t enl_senderkey_tags(const enl_senderkey *k, uint8_t (*tags)[ENL_SK_TAGBYTES], size_t max);

/* Seals pt into out (exactly pt_len + ENL_SK_OVERHEAD bytes) with the next
 * message key of my own chain, and moves the chain on. */
int enl_senderkey_encrypt(enl_senderkey *k, uint8_t *out, const uint8_t *ad, size_t ad_len,
                          const uint8_t *pt, size_t pt_len) __attribute__((warn_unused_result));
/* Opens in (in_len bytes) into pt (in_len - ENL_SK_OVERHEAD bytes): the tag
 * says which message key. ENL_ENOTFORME when the tag is not one of this
 * chain's, ENL_EDECRYPT when the note was altered, ENL_ESIG when the
 * signature fails. k is changed only on success. */
int enl_senderkey_decrypt(enl_senderkey *k, uint8_t *pt, const uint8_t *ad, size_t ad_len,
                          const uint8_t *in, size_t in_len) __attribute__((warn_unused_result));

#endif
