/*
 * libFuzzer target for the reconciliation parser: the input is a peer message
 * given to responders that hold small fixed sets (none, a few ids listed
 * whole, a few hundred split into ranges), for whom it is a first message
 * (version, salt, ranges), and, for the answers mode, to an initiator that
 * has sent its first message (version, ranges). Each must take the message or
 * refuse it with a code; a reply never exceeds its buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "enlace.h"
#include "sync/reconcile.h"

#define SET_MAX 300

static uint8_t ids[SET_MAX][32];
static uint8_t scratch[ENL_RECON_SCRATCH_BYTES(SET_MAX)];
static uint8_t out[ENL_RECON_MSG_MAX];
static unsigned long reported;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static void on_id(void *ctx, const uint8_t id[32])
{
    (void)ctx;
    reported += id[0] | 1u;     /* touch the id: ASan checks the pointer */
}

static void setup(void)
{
    static const uint8_t seed[randombytes_SEEDBYTES] = { 'f', 'u', 'z', 'z' };
    size_t k;
    if (enl_init() != ENL_OK) abort();
    randombytes_buf_deterministic(ids, sizeof ids, seed);
    /* A run of ids that share 30 bytes, so that long bounds occur too. */
    for (k = 0; k < 8; k++) {
        memcpy(ids[k], ids[8], 30);
        ids[k][30] = ids[k][31] = (uint8_t)k;
    }
    qsort(ids, SET_MAX, 32, cmp_id);
}

static void feed(size_t n, int initiator, const uint8_t *data, size_t size)
{
    enl_recon r;
    size_t out_len = 0, first_len = 0;
    int done = 0, rc;

    if (enl_recon_init(&r, (const uint8_t (*)[32])ids, n, initiator, on_id, on_id, NULL,
                       scratch, sizeof scratch) != ENL_OK)
        abort();
    static const uint8_t salt[ENL_RECON_SALTBYTES] = { 's', 'a', 'l', 't' };
    if (initiator && enl_recon_first(&r, salt, out, sizeof out, &first_len) != ENL_OK) abort();
    rc = enl_recon_step(&r, data, size, out, sizeof out, &out_len, &done);
    if (rc == ENL_OK) {
        if (out_len > ENL_RECON_MSG_MAX || (out_len == 0 && !done)) abort();
    } else if (rc != ENL_EMALFORMED && rc != ENL_EPROTO && rc != ENL_EVERSION
               && rc != ENL_ETOOBIG) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    feed(0, 0, data, size);
    feed(3, 0, data, size);
    feed(SET_MAX, 0, data, size);
    feed(3, 1, data, size);
    feed(40, 1, data, size);
    return 0;
}
