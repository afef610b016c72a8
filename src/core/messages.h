/*
 * A received message as stored (encrypted) in the messages table:
 *
 *   version u8 | flags u8 (1: not yet shown, 2: from a non-contact,
 *   4: arrived when the sender's keys were burned here) |
 *   sender signing key [32] | sender X25519 key [32] | sent u64 |
 *   received u64 | note id [32] | disappear u32 | delete_at u64 |
 *   text length u32 | text | in cell u8 | cell id [32] (when in cell is 1)
 *
 * disappear: seconds the sender asked the message to live once read;
 * delete_at: when it goes (set when it is first shown; 0 until then).
 */
#ifndef ENL_CORE_MESSAGES_H
#define ENL_CORE_MESSAGES_H

#include <stddef.h>
#include <stdint.h>

#define ENL_MSG_VERSION 3
#define ENL_MSG_NEW 1
#define ENL_MSG_REQUEST 2
#define ENL_MSG_AFTER_BURN 4
#define ENL_MSG_FIXEDBYTES (1 + 1 + 32 + 32 + 8 + 8 + 32 + 4 + 8 + 4)
#define ENL_MSG_DELETE_AT_OFFSET (1 + 1 + 32 + 32 + 8 + 8 + 32 + 4)

typedef struct {
    uint8_t flags;
    uint8_t sign_pk[32];
    uint8_t dh_pk[32];
    uint64_t sent, received;
    uint8_t note_id[32];
    uint32_t disappear;
    uint64_t delete_at;
    const uint8_t *text;
    size_t text_len;
    int in_cell;            /* sent to a cell: cell_id says which */
    uint8_t cell_id[32];
} enl_msg_rec;

/* Bytes enl_msg_encode writes for m. */
size_t enl_msg_size(const enl_msg_rec *m);
/* out must hold enl_msg_size(m) bytes. */
size_t enl_msg_encode(uint8_t *out, const enl_msg_rec *m);
int enl_msg_decode(enl_msg_rec *m, const uint8_t *in, size_t len);

#endif
