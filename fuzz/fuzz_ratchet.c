/*
 * libFuzzer target for the Double Ratchet's decryption of hostile messages.
 * A header carries no MAC of its own (crypto/ratchet.h): a courier's
 * changes to it reach the skipping and the DH ratchet step before the body
 * is checked, so those paths must hold whatever the bytes say.
 *
 * A fixed pair of states (seeded, so crashes reproduce): Alice has sealed
 * four messages, the third after reading one of Bob's, so that Bob's state
 * holds a current chain, a next chain and skipped keys. The first input
 * byte chooses what the rest is:
 *
 *   even: the message itself, opened by a copy of Bob's state;
 *   1 modulo 4: XORed onto one of Alice's real messages (byte 1 picks
 *         which), so that the tag still matches and the mutations land in
 *         the header and the body;
 *   3 modulo 4: a header made whole under one of the header keys Bob holds
 *         (byte 1 picks which: HKr, NHKr or a skipped key's; its top bit
 *         puts Alice's real ratchet key in the header), then the DH key
 *         (32 bytes), PN and N, and the body. Its tag matches and its
 *         header opens, so whatever PN, N and the key say reaches the
 *         skipping and the DH ratchet step, which the other two modes
 *         seldom get past the tag to; the body still has to open.
 *
 * Whatever happens: a failure leaves the state byte for byte as it was; a
 * success gives a plaintext no longer than the message allows, and only a
 * message that is exactly one of Alice's opens.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/ratchet.h"
#include "enlace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NMSG 4
#define MSG_MAX 512

static enl_ratchet alice, bob, work, before;
static uint8_t msgs[NMSG][MSG_MAX];
static size_t lens[NMSG];
static const uint8_t AD[21] = "fuzz ratchet header!";

static void fill(uint8_t out[32], uint8_t first)
{
    for (int i = 0; i < 32; i++) out[i] = (uint8_t)(first + i);
}

static void seal(enl_ratchet *r, uint8_t *out, size_t *len, const char *text)
{
    size_t n = strlen(text);
    *len = n + ENL_RATCHET_OVERHEAD;
    if (enl_ratchet_encrypt(r, out, *len, AD, sizeof AD, (const uint8_t *)text, n) != ENL_OK)
        abort();
}

static void setup(void)
{
    uint8_t sk[32], bsk[32], bpk[32], hka[32], nhkb[32], as[32], bs[32], pt[MSG_MAX], reply[MSG_MAX];
    size_t n, rl;

    if (enl_init() != ENL_OK) abort();
    fill(sk, 0x00);
    fill(bsk, 0x20);
    fill(hka, 0x40);
    fill(nhkb, 0x60);
    fill(as, 0x80);
    fill(bs, 0xa0);
    if (crypto_scalarmult_base(bpk, bsk) != 0) abort();
    if (enl_ratchet_init_alice_seeded(&alice, as, sk, bpk, hka, nhkb) != ENL_OK ||
        enl_ratchet_init_bob_seeded(&bob, bs, sk, bsk, bpk, hka, nhkb) != ENL_OK)
        abort();
    seal(&alice, msgs[0], &lens[0], "first, under NHKr");
    seal(&alice, msgs[1], &lens[1], "second, skipped by Bob");
    /* Bob reads the first only, and answers; Alice reads the answer. */
    if (enl_ratchet_decrypt(&bob, pt, &n, AD, sizeof AD, msgs[0], lens[0], NULL) != ENL_OK) abort();
    seal(&bob, reply, &rl, "an answer");
    if (enl_ratchet_decrypt(&alice, pt, &n, AD, sizeof AD, reply, rl, NULL) != ENL_OK) abort();
    seal(&alice, msgs[2], &lens[2], "third, a new chain");
    seal(&alice, msgs[3], &lens[3], "fourth");
    /* Bob reads the fourth: the second and third wait as skipped keys. */
    if (enl_ratchet_decrypt(&bob, pt, &n, AD, sizeof AD, msgs[3], lens[3], NULL) != ENL_OK) abort();
}

/* Mode 3: key selector | DH key [32] | PN u32 | N u32 | body. 0 when the
 * input is too short or the message would not fit. */
static int structured(const uint8_t *in, size_t n, uint8_t *msg, size_t max, size_t *len)
{
    enum { HEAD = 1 + 32 + 4 + 4 };
    const uint8_t *hk;
    uint8_t plain[ENL_RATCHET_HEADERBYTES], nonce[crypto_stream_xchacha20_NONCEBYTES] = { 0 };
    uint32_t nr;
    unsigned pick;
    size_t body;

    if (n < HEAD) return 0;
    body = n - HEAD;
    if (ENL_RATCHET_TAGBYTES + ENL_RATCHET_ENCHEADERBYTES + body > max) return 0;
    pick = in[0] & 0x7f;
    if (pick == 0) hk = bob.hkr;
    else if (pick == 1 || bob.nskipped == 0) hk = bob.nhkr;
    else hk = bob.skipped[(pick - 2) % bob.nskipped].hk;
    memcpy(plain, (in[0] & 0x80) ? alice.dhs_pk : in + 1, 32);
    memcpy(plain + 32, in + 33, 8);                     /* PN, N: big-endian */
    nr = (uint32_t)in[37] << 24 | (uint32_t)in[38] << 16 | (uint32_t)in[39] << 8 | in[40];
    enl_ratchet_tag(msg, hk, nr);
    memcpy(nonce, msg, ENL_RATCHET_TAGBYTES);
    crypto_stream_xchacha20_xor(msg + ENL_RATCHET_TAGBYTES, plain, sizeof plain, nonce, hk);
    memcpy(msg + ENL_RATCHET_TAGBYTES + ENL_RATCHET_ENCHEADERBYTES, in + HEAD, body);
    *len = ENL_RATCHET_TAGBYTES + ENL_RATCHET_ENCHEADERBYTES + body;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static uint8_t msg[4096], pt[4096];
    uint8_t purge[32];
    size_t len, n = 0;
    int rc, real = -1;

    if (!ready) {
        setup();
        ready = 1;
    }
    if (size < 2) return 0;
    if ((data[0] & 3) == 3) {
        if (!structured(data + 1, size - 1, msg, sizeof msg, &len)) return 0;
    } else if ((data[0] & 1) == 0) {
        len = size - 1;
        if (len > sizeof msg) return 0;
        memcpy(msg, data + 1, len);
    } else {
        size_t k = data[1] % NMSG;
        len = lens[k];
        memcpy(msg, msgs[k], len);
        for (size_t i = 2; i < size && i - 2 < len; i++) msg[i - 2] ^= data[i];
        if (size - 2 > len && size - 2 - len <= sizeof msg - len) {   /* extended */
            memcpy(msg + len, data + 2 + len, size - 2 - len);
            len = size - 2;
        }
    }
    for (int k = 0; k < NMSG; k++)
        if (len == lens[k] && memcmp(msg, msgs[k], len) == 0) real = k;

    memcpy(&work, &bob, sizeof work);
    memcpy(&before, &bob, sizeof before);
    rc = enl_ratchet_decrypt(&work, pt, &n, AD, sizeof AD, msg, len, purge);
    if (rc != ENL_OK) {
        if (memcmp(&work, &before, sizeof work) != 0) abort();   /* transactional */
    } else {
        if (len < ENL_RATCHET_OVERHEAD || n != len - ENL_RATCHET_OVERHEAD) abort();
        /* Only Alice's second and third are still open to Bob (the first
         * and fourth were read); a forgery would need a key Bob holds. */
        if (real != 1 && real != 2) abort();
    }
    return 0;
}
