/*
 * The note: the sealed unit that travels. Only its header is in the clear:
 *
 *   version u8 | expiry u32 (hours since 1970, big-endian) | purge lock [16]
 *
 * then the sealed body. The id of a note is BLAKE2b-256 of all its bytes, so
 * the same note arriving three ways is the same id, and a file named by its
 * id can be checked against its content. The purge lock is BLAKE2b-128 keyed
 * by a fixed context over the purge key, a secret only the sender and the
 * recipient can derive from the note's message key (crypto/ratchet.h,
 * PURGE): the recipient releases the key on delivery and couriers who see
 * that it hashes to a note's lock delete the note. In memory and in the
 * store a lock takes 32 bytes: its 16, then 16 zeros.
 *
 * Payload (inside the seal):
 *
 *   kind u8 | sent u32 | disappear u32 | body length u16 | body | zeros
 *
 * disappear: seconds after it is first shown that the recipient deletes the
 * message (0: kept).
 *
 * The zeros pad the whole note to a Padmé length with a floor, so a note's
 * size reveals at most O(log log n) bits of its content's size.
 *
 * Pure: no I/O, no allocation.
 */
#ifndef ENL_NOTE_NOTE_H
#define ENL_NOTE_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/identity.h"
#include "enlace.h"

#define ENL_NOTE_VERSION        2
#define ENL_PURGEKEYBYTES       32
#define ENL_PURGELOCKBYTES      32    /* in memory and in the store */
#define ENL_PURGELOCK_WIREBYTES 16    /* in the note header */
#define ENL_NOTE_HEADERBYTES    (1 + 4 + ENL_PURGELOCK_WIREBYTES)
#define ENL_NOTE_LOCK_OFFSET    (1 + 4)
#define ENL_PAD_FLOOR           256
#define ENL_PAD_FLOOR_MIN       128   /* the smallest floor any transport may ask for */
#define ENL_PAYLOAD_FIXEDBYTES  (1 + 4 + 4 + 2)
#define ENL_DISAPPEAR_MAX       (366u * 24 * 3600)  /* a year, in seconds */
#define ENL_FIRST_FIXEDBYTES    32    /* the sender's signing key before the init values */
/* Smallest possible note: a session note of an empty text. */
#define ENL_NOTE_MINBYTES       (ENL_NOTE_HEADERBYTES + 16 + 40 + 16 + ENL_PAYLOAD_FIXEDBYTES)

/* Purge record: version u8 | expiry u32 | purge key [32]. */
#define ENL_PURGE_VERSION       1
#define ENL_PURGEBYTES          (1 + 4 + ENL_PURGEKEYBYTES)

_Static_assert(ENL_NOTE_HEADERBYTES == 21, "note header layout");
_Static_assert(ENL_NOTE_MAX <= 65535 + ENL_NOTE_HEADERBYTES, "a note body is one Noise message");

/* Payload kinds. Unknown kinds are refused by this version (text and the
 * two kinds of file notes are read; the body of a file note is described
 * in note/file.h). Numbers are
 * assigned here once, for every feature, so that they never collide. */
#define ENL_KIND_TEXT           1   /* a text message */
#define ENL_KIND_CELL_LOG       2   /* a cell's signed statements (pairwise) */
#define ENL_KIND_SENDER_KEY     3   /* a member's sender key for a cell epoch (pairwise) */
#define ENL_KIND_CELL_TEXT      4   /* a text to a cell (sealed with a sender key) */
#define ENL_KIND_INTRODUCTION   5   /* a card introduced by the sender, signed */
#define ENL_KIND_INQUIRY        6   /* "do you know this key?" */
#define ENL_KIND_ANSWER         7   /* a signed answer to an inquiry */
#define ENL_KIND_FILE_HEAD      8   /* a file's description and first part */
#define ENL_KIND_FILE_PART      9   /* one further part of a file */
#define ENL_KIND_BULLETIN      10   /* a signed public bulletin */

/* 1 for the kinds this version reads. */
static inline int enl_kind_known(uint8_t k) { return k >= ENL_KIND_TEXT && k <= ENL_KIND_FILE_PART; }

typedef struct {
    uint8_t version;
    uint32_t expiry_hours;
    uint8_t purge_lock[ENL_PURGELOCKBYTES];
} enl_note_header;

typedef struct {
    uint8_t kind;
    uint64_t sent;          /* unix seconds; sent as u32 (until 2106) */
    uint32_t disappear;     /* seconds after reading; 0: kept */
    /* Not in the payload: derived from the message key by whoever seals or
     * opens the note (enl_ratchet_next_purge_key, enl_ratchet_decrypt). */
    uint8_t purge_key[ENL_PURGEKEYBYTES];
    const uint8_t *body;    /* points into the buffer it was parsed from */
    size_t body_len;
} enl_payload;

/* A note as opened: who sent it and what it says. */
typedef struct {
    enl_note_header header;
    uint8_t sender_dh_pk[32];
    uint8_t sender_sign_pk[32];
    enl_payload payload;
} enl_opened;

/* Checks that the payload's purge key is the one the clear lock commits to
 * (else couriers could never purge the note): ENL_EMALFORMED if not. */
int enl_payload_check_lock(const enl_payload *pl, const uint8_t lock[ENL_PURGELOCKBYTES]);

/* Padmé: the padded length for len bytes (util/padme.h). */
#include "util/padme.h"

/* Parses and checks the clear header of a whole note: its size bounds,
 * version, and expiry against now (hours). ENL_EEXPIRED when expired,
 * ENL_EFUTURE when the expiry is further away than anyone may set it. */
int enl_note_header_parse(enl_note_header *h, const uint8_t *note, size_t len, uint32_t now_hours)
    __attribute__((warn_unused_result));

void enl_note_id(uint8_t id[ENL_IDBYTES], const uint8_t *note, size_t len);
void enl_purge_lock(uint8_t lock[ENL_PURGELOCKBYTES], const uint8_t key[ENL_PURGEKEYBYTES]);
/* A lock nobody holds the key to, for notes that are never purged (cell
 * notes, bulletins): random, in the same form as enl_purge_lock's. */
void enl_purge_lock_random(uint8_t lock[ENL_PURGELOCKBYTES]);

/* Payload: encode fills exactly out_len bytes (the rest are zeros). */
int enl_payload_encode(uint8_t *out, size_t out_len, const enl_payload *pl)
    __attribute__((warn_unused_result));
int enl_payload_parse(enl_payload *pl, const uint8_t *in, size_t len)
    __attribute__((warn_unused_result));

/*
 * Two kinds of body, told apart only by their recipient:
 *
 *  session note:        ratchet message (tag[16] | encrypted header[40] |
 *                       encrypted payload[n + 16]), AD = the clear header.
 *  first-contact note:  a Noise X message whose plaintext is
 *                       sender sign_pk[32] | prekey_id u32 | ek_pub[32] |
 *                       ratchet message
 *                       (the X3DH values that start the session, then the
 *                       first messages of the ratchet).
 */
#define ENL_RATCHET_MSG_OVERHEAD (16 + 40 + 16)
#define ENL_FIRST_INITBYTES      (4 + 32)

/* Note and payload lengths for a text of body_len bytes, padded (Padmé,
 * floor pad_floor, cap ENL_NOTE_MAX). ENL_ETOOBIG when it cannot fit. */
int enl_note_sizes(size_t body_len, size_t pad_floor, int first, size_t *note_len,
                   size_t *payload_len);

void enl_note_header_encode(uint8_t out[ENL_NOTE_HEADERBYTES], uint32_t expiry_hours,
                            const uint8_t lock[ENL_PURGELOCKBYTES]);

/* Seals a first-contact body around inner (prekey_id | ek_pub | ratchet
 * message) from `from` to the X25519 key to_dh_pk; the header must already
 * be in note[0..21). fixed_e: NULL except in test vectors. */
int enl_note_seal_first(uint8_t *note, size_t note_len, const enl_identity *from,
                        const uint8_t to_dh_pk[32], const uint8_t *inner, size_t inner_len,
                        const uint8_t *fixed_e) __attribute__((warn_unused_result));

/* Opens a first-contact body with my X25519 secret key. plain: scratch of at
 * least len bytes; *inner points into it. ENL_ENOTFORME when the note is not
 * for this key (or damaged: indistinguishable by design). */
int enl_note_open_first(const uint8_t *note, size_t len, const uint8_t my_dh_sk[32],
                        uint8_t *plain, uint8_t sender_dh_pk[32], uint8_t sender_sign_pk[32],
                        const uint8_t **inner, size_t *inner_len) __attribute__((warn_unused_result));

/* Purge records. */
void enl_purge_encode(uint8_t out[ENL_PURGEBYTES], uint32_t expiry_hours,
                      const uint8_t key[ENL_PURGEKEYBYTES]);
int enl_purge_parse(uint32_t *expiry_hours, uint8_t key[ENL_PURGEKEYBYTES],
                    uint8_t lock[ENL_PURGELOCKBYTES], const uint8_t *in, size_t len,
                    uint32_t now_hours) __attribute__((warn_unused_result));

#endif
