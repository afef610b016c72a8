/*
 * Sealing notes with the pure layers (x3dh, ratchet, note), assembled the
 * way src/core/send.c assembles them, without a store: for the benchmarks
 * that need the bare construction (bench_seal) or notes from many senders
 * that have no profile (bench_seal, bench_recognize). If send.c changes
 * how it seals, this must follow.
 */
#ifndef ENL_BENCH_NOTES_H
#define ENL_BENCH_NOTES_H

#include <sodium.h>

#include "bench.h"
#include "crypto/identity.h"
#include "crypto/ratchet.h"
#include "crypto/x3dh.h"
#include "note/note.h"
#include "util/bytes.h"

typedef struct {
    uint8_t ek_pub[32];
    enl_ratchet r;
} tx_session;

/* Alice's side of X3DH and the ratchet start (send.c: session_start). */
static inline void tx_start(tx_session *s, const enl_identity *me, const enl_identity *peer)
{
    enl_x3dh_keys k;
    uint8_t ek_sk[32];

    randombytes_buf(ek_sk, sizeof ek_sk);
    if (crypto_scalarmult_base(s->ek_pub, ek_sk) != 0 ||
        enl_x3dh_alice(&k, me->dh_sk, me->dh_pk, ek_sk, s->ek_pub, peer->dh_pk,
                       peer->prekey_pk) != ENL_OK ||
        enl_ratchet_init_alice(&s->r, k.sk, peer->prekey_pk, k.hka, k.nhkb) != ENL_OK) {
        fprintf(stderr, "bench: session start failed\n");
        exit(1);
    }
    sodium_memzero(&k, sizeof k);
    sodium_memzero(ek_sk, sizeof ek_sk);
}

/* Seals text into note (room for ENL_NOTE_MAX); returns the note length.
 * first: a first-contact note (send.c: seal), else a ratchet note. */
static inline size_t tx_seal(uint8_t *note, tx_session *s, const enl_identity *me,
                      const enl_identity *peer, int first, const uint8_t *text, size_t len)
{
    static uint8_t payload[ENL_NOTE_MAX], inner[ENL_NOTE_MAX];
    uint8_t lock[ENL_PURGELOCKBYTES];
    size_t note_len, payload_len, rlen;
    enl_payload pl;
    int rc;

    if (enl_note_sizes(len, ENL_PAD_FLOOR, first, &note_len, &payload_len) != ENL_OK) exit(1);
    memset(&pl, 0, sizeof pl);
    pl.kind = ENL_KIND_TEXT;
    pl.sent = (uint64_t)time(NULL);
    pl.body = text;
    pl.body_len = len;
    if (enl_payload_encode(payload, payload_len, &pl) != ENL_OK) exit(1);
    /* As send.c: the purge key comes from the message key. */
    if (enl_ratchet_next_purge_key(&s->r, pl.purge_key) != ENL_OK) exit(1);
    enl_purge_lock(lock, pl.purge_key);
    enl_note_header_encode(note, (uint32_t)(time(NULL) / 3600 + ENL_EXPIRY_DEFAULT_HOURS), lock);
    rlen = payload_len + ENL_RATCHET_MSG_OVERHEAD;
    if (!first) {
        rc = enl_ratchet_encrypt(&s->r, note + ENL_NOTE_HEADERBYTES, rlen, note,
                                 ENL_NOTE_HEADERBYTES, payload, payload_len);
    } else {
        enl_wr w = enl_wr_init(inner, sizeof inner);
        enl_wr_u32(&w, peer->prekey_id);
        enl_wr_bytes(&w, s->ek_pub, 32);
        rc = enl_ratchet_encrypt(&s->r, inner + w.len, rlen, note, ENL_NOTE_HEADERBYTES, payload,
                                 payload_len);
        if (rc == ENL_OK)
            rc = enl_note_seal_first(note, note_len, me, peer->dh_pk, inner,
                                     w.len + rlen, NULL);
    }
    if (rc != ENL_OK) {
        fprintf(stderr, "bench: seal failed: %s\n", enl_strerror(rc));
        exit(1);
    }
    return note_len;
}

#endif
