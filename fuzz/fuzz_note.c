/*
 * libFuzzer target for notes, with a fixed recipient identity (from a fixed
 * seed, so that seeds sealed to it open and crashes reproduce) and a fixed
 * clock. The input goes two ways:
 *
 *  1. as a whole note, to enl_note_header_parse and enl_note_open_first;
 *  2. as a clear header (its first 21 bytes) and an inner message (the
 *     rest), sealed here to the recipient under that header, then opened:
 *     random bytes never get past the seal's authentication, this way the
 *     fuzzer drives the open path to its end, and the inner message is given
 *     to the payload parser and the lock check as well.
 *
 * Whatever opens must be consistent: the sender is the one who sealed, the
 * inner message comes back byte for byte, inside the scratch buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/identity.h"
#include "crypto/seal.h"
#include "enlace.h"
#include "note/note.h"

#define NOW 1790000000ull
#define NOW_H ((uint32_t)(NOW / 3600))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enl_identity me, sender;
static uint8_t plain[ENL_NOTE_MAX], note[ENL_NOTE_MAX];

static void check_inside(const uint8_t *inner, size_t inner_len, size_t len)
{
    if (inner < plain || inner + inner_len > plain + len) abort();
    if (inner_len + ENL_NOTE_HEADERBYTES + ENL_SEAL_OVERHEAD + ENL_FIRST_FIXEDBYTES != len) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static const uint8_t fixed_e[32] = { 0xe5, 0xe5, 0xe5, 0xe5, 0xe5, 0xe5, 0xe5, 0xe5,
                                         0xe5, 0xe5, 0xe5, 0xe5, 0xe5, 0xe5, 0xe5, 0xe5,
                                         0xe5, 0xe5, 0xe5, 0xe5, 0xe5, 0xe5, 0xe5, 0xe5,
                                         0xe5, 0xe5, 0xe5, 0xe5, 0xe5, 0xe5, 0xe5, 0xe5 };
    uint8_t sdh[32], ssign[32];
    const uint8_t *inner;
    size_t inner_len, len;
    enl_note_header h;
    enl_payload pl;

    if (!ready) {
        uint8_t seed[32];
        if (enl_init() != ENL_OK) abort();
        memset(seed, 0xf0, sizeof seed);   /* the recipient: fuzz/seeds were sealed to it */
        if (enl_identity_from_seed(&me, seed, NOW) != ENL_OK) abort();
        memset(seed, 0xf1, sizeof seed);
        if (enl_identity_from_seed(&sender, seed, NOW) != ENL_OK) abort();
        ready = 1;
    }

    /* 1. The input is a note. */
    if (enl_note_header_parse(&h, data, size, NOW_H) == ENL_OK) {
        if (size < ENL_NOTE_MINBYTES || size > ENL_NOTE_MAX || h.version != ENL_NOTE_VERSION) abort();
        if (h.expiry_hours <= NOW_H) abort();
    }
    if (enl_note_open_first(data, size, me.dh_sk, plain, sdh, ssign, &inner, &inner_len) == ENL_OK)
        check_inside(inner, inner_len, size);

    /* 2. The input is a header and an inner message, sealed here. */
    if (size < ENL_NOTE_HEADERBYTES) return 0;
    len = size + ENL_SEAL_OVERHEAD + ENL_FIRST_FIXEDBYTES;
    if (len > ENL_NOTE_MAX) return 0;
    memcpy(note, data, ENL_NOTE_HEADERBYTES);
    if (enl_note_seal_first(note, len, &sender, me.dh_pk, data + ENL_NOTE_HEADERBYTES,
                            size - ENL_NOTE_HEADERBYTES, fixed_e) != ENL_OK)
        abort();
    if (enl_note_open_first(note, len, me.dh_sk, plain, sdh, ssign, &inner, &inner_len) != ENL_OK)
        abort();
    check_inside(inner, inner_len, len);
    if (memcmp(sdh, sender.dh_pk, 32) != 0 || memcmp(ssign, sender.sign_pk, 32) != 0) abort();
    if (inner_len != size - ENL_NOTE_HEADERBYTES ||
        memcmp(inner, data + ENL_NOTE_HEADERBYTES, inner_len) != 0)
        abort();
    if (enl_note_header_parse(&h, note, len, NOW_H) == ENL_OK) {
        /* The 16 bytes of the wire, then zeros: the form every lock has. */
        if (memcmp(h.purge_lock, data + ENL_NOTE_LOCK_OFFSET, ENL_PURGELOCK_WIREBYTES) != 0)
            abort();
        for (size_t i = ENL_PURGELOCK_WIREBYTES; i < ENL_PURGELOCKBYTES; i++)
            if (h.purge_lock[i] != 0) abort();
        memset(&pl, 0, sizeof pl);
        if (enl_payload_parse(&pl, inner, inner_len) == ENL_OK) {
            if (pl.body < inner || pl.body + pl.body_len > inner + inner_len) abort();
            (void)enl_payload_check_lock(&pl, h.purge_lock);
        }
    }
    return 0;
}
