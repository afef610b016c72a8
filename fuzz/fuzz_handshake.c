/*
 * libFuzzer target for the Noise handshake reader (enl_handshake_read), the
 * first thing a listener does with bytes from anyone on the network (the
 * XK link), for every pattern the library implements. Fixed static and
 * ephemeral keys, so that crashes reproduce.
 *
 * Input: byte 0 picks the pattern (mod 6) and a mode, byte 1 the payload
 * buffer size (bit 7: the largest), the rest is the body.
 *
 *  - even mode: the messages before message k are genuine (empty payloads),
 *    message k is the body, raw; when it is read the handshake goes on with
 *    genuine messages, whose reads must then fail or stay consistent;
 *  - odd mode: the body is cut into one payload per message and the whole
 *    handshake is run: every payload must come back byte for byte, both
 *    sides must end with the same hash and the other's static key, and the
 *    split ciphers must talk to each other.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/noise.h"
#include "enlace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROLOGUE "enlace fuzz"

typedef struct {
    int init_s, resp_s, init_rs, resp_rs, nmsgs;
} keys_def;

/* Which keys each side starts with, as enl_handshake_init wants them. */
static const keys_def defs[6] = {
    [ENL_NOISE_N] = { 0, 1, 1, 0, 1 },  [ENL_NOISE_K] = { 1, 1, 1, 1, 1 },
    [ENL_NOISE_X] = { 1, 1, 1, 0, 1 },  [ENL_NOISE_XK] = { 1, 1, 1, 0, 3 },
    [ENL_NOISE_IK] = { 1, 1, 1, 0, 2 }, [ENL_NOISE_XX] = { 1, 1, 0, 0, 3 },
};

static uint8_t isk[32], ipk[32], rsk[32], rpk[32], ie[32], re[32];
static uint8_t msg[ENL_NOISE_MAXMSG], pl[ENL_NOISE_MAXMSG];

static int start(enl_handshake hs[2], int pat)
{
    const keys_def *d = &defs[pat];
    if (enl_handshake_init(&hs[0], (enl_noise_pattern)pat, 1, (const uint8_t *)PROLOGUE,
                           sizeof PROLOGUE - 1, d->init_s ? isk : NULL, d->init_rs ? rpk : NULL,
                           ie) != ENL_OK)
        abort();
    /* The responder of a one-way pattern sends no ephemeral key. */
    if (enl_handshake_init(&hs[1], (enl_noise_pattern)pat, 0, (const uint8_t *)PROLOGUE,
                           sizeof PROLOGUE - 1, d->resp_s ? rsk : NULL, d->resp_rs ? ipk : NULL,
                           d->nmsgs > 1 ? re : NULL) != ENL_OK)
        abort();
    return 0;
}

static void raw_mode(int pat, unsigned k, size_t pmax, const uint8_t *body, size_t blen)
{
    enl_handshake hs[2];
    size_t n, plen;
    unsigned i;

    start(hs, pat);
    for (i = 0; i < k; i++) {
        enl_handshake *w = &hs[i % 2], *r = &hs[(i + 1) % 2];
        if (enl_handshake_write(w, msg, &n, sizeof msg, NULL, 0) != ENL_OK) abort();
        if (enl_handshake_read(r, NULL, &plen, 0, msg, n) != ENL_OK || plen != 0) abort();
    }
    /* Message k, from whoever would send it, is the body. */
    plen = (size_t)-1;
    if (enl_handshake_read(&hs[(k + 1) % 2], pl, &plen, pmax, body, blen) == ENL_OK) {
        if (plen > pmax || plen > blen) abort();
        if (plen > 0 && memcmp(pl, body + (blen - plen), plen) != 0 && !hs[(k + 1) % 2].cs.has_key)
            abort();
        /* The reader answers; the sender never sent the body, so its read
         * fails (or, when nothing was keyed yet, may pass): no crash. */
        for (i = k + 1; i < (unsigned)defs[pat].nmsgs; i++) {
            enl_handshake *w = &hs[i % 2], *r = &hs[(i + 1) % 2];
            if (enl_handshake_write(w, msg, &n, sizeof msg, NULL, 0) != ENL_OK) break;
            if (enl_handshake_read(r, pl, &plen, pmax, msg, n) != ENL_OK) break;
        }
    } else if (plen != (size_t)-1) {
        abort();    /* a failed read must not report a payload */
    }
    enl_handshake_wipe(&hs[0]);
    enl_handshake_wipe(&hs[1]);
}

static void full_mode(int pat, const uint8_t *body, size_t blen)
{
    enl_handshake hs[2];
    enl_cipherstate tx[2], rx[2];
    uint8_t h0[ENL_NOISE_HASHLEN], h1[ENL_NOISE_HASHLEN], rs[32];
    uint8_t ct[64 + ENL_NOISE_TAGLEN], pt[64];
    int nm = defs[pat].nmsgs;
    size_t per = blen / (size_t)nm, off = 0, n, plen;

    start(hs, pat);
    for (int i = 0; i < nm; i++) {
        enl_handshake *w = &hs[i % 2], *r = &hs[(i + 1) % 2];
        size_t len = i == nm - 1 ? blen - off : per;
        int rc = enl_handshake_write(w, msg, &n, sizeof msg, body + off, len);
        if (rc == ENL_ETOOBIG) {
            enl_handshake_wipe(&hs[0]);
            enl_handshake_wipe(&hs[1]);
            return;
        }
        if (rc != ENL_OK) abort();
        if (enl_handshake_read(r, pl, &plen, sizeof pl, msg, n) != ENL_OK) abort();
        if (plen != len || (len > 0 && memcmp(pl, body + off, len) != 0)) abort();
        off += len;
    }
    if (!enl_handshake_done(&hs[0]) || !enl_handshake_done(&hs[1])) abort();
    enl_handshake_hash(&hs[0], h0);
    enl_handshake_hash(&hs[1], h1);
    if (memcmp(h0, h1, sizeof h0) != 0) abort();
    if (enl_handshake_remote_static(&hs[0], rs) != ENL_OK || memcmp(rs, rpk, 32) != 0) abort();
    if (defs[pat].init_s &&
        (enl_handshake_remote_static(&hs[1], rs) != ENL_OK || memcmp(rs, ipk, 32) != 0))
        abort();
    if (enl_handshake_split(&hs[0], &tx[0], &rx[0]) != ENL_OK ||
        enl_handshake_split(&hs[1], &tx[1], &rx[1]) != ENL_OK)
        abort();
    n = blen < sizeof pt ? blen : sizeof pt;
    if (enl_cipher_encrypt(&tx[0], ct, NULL, 0, body, n) != ENL_OK ||
        enl_cipher_decrypt(&rx[1], pt, NULL, 0, ct, n + ENL_NOISE_TAGLEN) != ENL_OK ||
        (n > 0 && memcmp(pt, body, n) != 0))
        abort();
    if (nm > 1 && (enl_cipher_encrypt(&tx[1], ct, NULL, 0, body, n) != ENL_OK ||
                   enl_cipher_decrypt(&rx[0], pt, NULL, 0, ct, n + ENL_NOISE_TAGLEN) != ENL_OK ||
                   (n > 0 && memcmp(pt, body, n) != 0)))
        abort();
    for (int s = 0; s < 2; s++) {
        enl_cipher_wipe(&tx[s]);
        enl_cipher_wipe(&rx[s]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    int pat;
    unsigned mode;
    size_t pmax;

    if (!ready) {
        if (enl_init() != ENL_OK) abort();
        memset(isk, 0x11, 32);
        memset(rsk, 0x22, 32);
        memset(ie, 0x33, 32);
        memset(re, 0x44, 32);
        crypto_scalarmult_base(ipk, isk);
        crypto_scalarmult_base(rpk, rsk);
        ready = 1;
    }
    if (size < 2) return 0;
    pat = data[0] % 6;
    mode = data[0] / 6;
    pmax = data[1] & 0x80 ? sizeof pl : data[1];
    if (mode % 2 == 0)
        raw_mode(pat, (mode / 2) % (unsigned)defs[pat].nmsgs, pmax, data + 2, size - 2);
    else
        full_mode(pat, data + 2, size - 2);
    return 0;
}
