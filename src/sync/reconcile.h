/*
 * Range-based set reconciliation (Aljoscha Meyer, "Range-Based Set
 * Reconciliation"; the scheme Negentropy uses) over sets of 32-byte ids.
 *
 * Two devices each hold a sorted set of note ids. They exchange messages,
 * each of which covers the whole id space [0, infinity) with contiguous
 * ranges; for every range a message carries either nothing (skip), a
 * fingerprint of the sender's ids in it, the sender's ids in it, or the
 * answer to such a list. Ranges whose fingerprints agree are done; the others
 * are split into sub-ranges until they are small enough to list. After the
 * exchange each side has been told, through callbacks, exactly which ids the
 * peer lacks (`have`: send them) and which ids it lacks itself (`need`: the
 * peer will send them).
 *
 * Cost: identical sets take one round trip of a few dozen bytes whatever
 * their size; sets that differ in d of n ids take O(d log n) bytes and
 * O(log n) round trips (more when the differences do not fit in one message
 * of ENL_RECON_MSG_MAX bytes: what does not fit waits for the next round).
 * 1,000,000 ids against 1,000,000 with 10 differences: 4 round trips.
 *
 * Fingerprints are short (6 bytes) and keyed with a salt that the initiator
 * draws for each session, so that nobody who makes ids can aim for a
 * collision; a collision would only hide a difference until the next session.
 *
 * Pure: no I/O, no allocation and no randomness (the caller draws the salt).
 * The caller owns the id array and a scratch buffer (prefix sums and a
 * bitmap, ENL_RECON_SCRATCH_BYTES(n)), both of which must stay valid and
 * unchanged until the reconciliation is over. Not thread-safe: one enl_recon
 * per session.
 *
 * The wire format is specified in docs/PROTOCOL.md and at the top of
 * reconcile.c.
 */
#ifndef ENL_SYNC_RECONCILE_H
#define ENL_SYNC_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "enlace.h"

#define ENL_RECON_VERSION   0x02
#define ENL_RECON_IDBYTES   ENL_IDBYTES        /* 32 */
#define ENL_RECON_FPBYTES   6                  /* a range fingerprint */
#define ENL_RECON_SALTBYTES 16                 /* the session's fingerprint key */
/* Local policy, free to tune without breaking compatibility: a range that
 * differs is answered with the list of our ids in it when it holds at most
 * ENL_RECON_LEAF, else split into sub-ranges of about ENL_RECON_LEAF / 2 ids
 * (room for the peer to hold a few more and still list) in as many levels as
 * splits of at most ENL_RECON_BRANCH would take, with equal fanouts; the split
 * of the whole set, paid once per session rather than once per difference,
 * is ENL_RECON_ROOT_BOOST times wider. */
#define ENL_RECON_BRANCH    24
#define ENL_RECON_LEAF      8
#define ENL_RECON_ROOT_BOOST 4
/* Protocol limits, the same for every peer. */
#define ENL_RECON_LIST_MAX  64  /* most ids in one list or answer */
#define ENL_RECON_MSG_MAX   (60 * 1024) /* largest message: fits one 64 KiB frame */
#define ENL_RECON_MSG_MIN   4096        /* smallest out_max accepted (progress needs it) */

/* Scratch the caller provides for n ids: (n + 1) prefix sums of 8 bytes and
 * one bit per id. No alignment is required. */
#define ENL_RECON_SCRATCH_BYTES(n) (((size_t)(n) + 1) * 8 + ((size_t)(n) + 7) / 8)

/* Called from enl_recon_step with an id; the pointer is valid during the call
 * only. A callback must not call enl_recon functions on the same state. */
typedef void (*enl_recon_cb)(void *ctx, const uint8_t id[ENL_RECON_IDBYTES]);

/* The state of one side. Fields are private: set them with enl_recon_init. */
typedef struct {
    const uint8_t (*ids)[ENL_RECON_IDBYTES];
    size_t n;
    uint8_t *sums;           /* 8 bytes at 8i: the sum of h(ids[0..i)) mod 2^64 */
    uint8_t *reported;       /* bit i: have(ids[i]) was reported */
    enl_recon_cb have;
    enl_recon_cb need;
    void *ctx;
    int initiator;
    int phase;
} enl_recon;

/* Bytes of scratch enl_recon_init needs for n ids, or 0 when n is too large
 * for size_t arithmetic. Same value as ENL_RECON_SCRATCH_BYTES(n). */
size_t enl_recon_scratch_bytes(size_t n);

/*
 * Prepares one side. ids: n ids sorted in ascending memcmp order without
 * duplicates (may be NULL when n is 0); kept by pointer, not copied.
 * initiator: 1 for the side that sends the first message, 0 for the other.
 * have(ctx, id): the peer lacks id, which we hold: send it. need(ctx, id): we
 * lack id; the peer holds it and will send it. Against a peer that follows
 * the protocol each id is reported at most once per side, and after the
 * exchange the ids reported are exactly the two set differences.
 * scratch: at least enl_recon_scratch_bytes(n) bytes, owned by the caller.
 * Runs in O(n) (the prefix sums wait for the salt: enl_recon_first on the
 * initiator, the first enl_recon_step on the responder). ENL_EINVAL: a NULL pointer, scratch too small, or ids not
 * strictly ascending.
 */
int enl_recon_init(enl_recon *r, const uint8_t (*ids)[ENL_RECON_IDBYTES], size_t n,
                   int initiator, enl_recon_cb have, enl_recon_cb need, void *ctx,
                   uint8_t *scratch, size_t scratch_len) __attribute__((warn_unused_result));

/*
 * The initiator's first message, written to out (out_max bytes, at least
 * ENL_RECON_MSG_MIN; at most ENL_RECON_MSG_MAX bytes are used); *out_len gets
 * its length. It carries salt, which keys every fingerprint of the session
 * on both sides, then a single fingerprint of the whole set (or the list of
 * the ids when there are at most ENL_RECON_LEAF). salt must be fresh random
 * bytes for every session (randombytes_buf): a salt known in advance lets
 * whoever makes ids hide a difference from the sessions that use it. Call
 * exactly once, before enl_recon_step; O(n) (one SipHash per id).
 * ENL_EINVAL: not the initiator, or called twice. ENL_EBUFSIZE: out_max
 * too small.
 */
int enl_recon_first(enl_recon *r, const uint8_t salt[ENL_RECON_SALTBYTES], uint8_t *out,
                    size_t out_max, size_t *out_len) __attribute__((warn_unused_result));

/*
 * Processes one message from the peer (in, in_len), reports what it settles
 * through the callbacks, and writes the reply to out (out_max bytes, at least
 * ENL_RECON_MSG_MIN; at most ENL_RECON_MSG_MAX used).
 *
 * Termination, which both sides reach together: a message that asks nothing
 * of its receiver (no fingerprint and no id list in it) is the last one.
 *  - When the reply written is such a last message, *done is set to 1 and
 *    *out_len > 0: send it, then stop.
 *  - When `in` was the last message, nothing is written (*out_len = 0) and
 *    *done is set to 1: stop.
 *  - Otherwise *done is 0 and the reply (*out_len > 0) must be sent; the next
 *    message from the peer comes back to enl_recon_step.
 *
 * Time: linear in in_len plus O(log n) per range in the message, and on the
 * responder's first call O(n) for the prefix sums.
 * Errors (nothing reported, no state changed, *out_len and *done untouched):
 * ENL_EMALFORMED (not well formed: truncated, bounds not increasing, a list
 * out of order or too long...), ENL_EPROTO (well formed but impossible for a
 * peer that follows the protocol, such as an answer to a list we never sent),
 * ENL_EVERSION, ENL_ETOOBIG (in_len > ENL_RECON_MSG_MAX), ENL_EBUFSIZE
 * (out_max too small), ENL_EINVAL (called before enl_recon_first on the
 * initiator, or after done). After an error the session should be dropped.
 */
int enl_recon_step(enl_recon *r, const uint8_t *in, size_t in_len,
                   uint8_t *out, size_t out_max, size_t *out_len, int *done)
    __attribute__((warn_unused_result));

/* 1 once this side has finished (enl_recon_step set *done), else 0. */
int enl_recon_is_done(const enl_recon *r);

#endif
