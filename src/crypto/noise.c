/*
 * The Noise protocol framework (revision 34) for one cipher suite,
 * 25519_ChaChaPoly_BLAKE2b, and the patterns N, K, X, XK, IK and XX.
 *
 * A pattern is a table of tokens; one interpreter walks it for both sides.
 * A DH token names the initiator's key first and the responder's second
 * ("es": initiator's e with responder's s), so each side picks its own half
 * and the other's public key from the same two letters. The handshake keeps
 * one invariant: msg_index is -1 in a wiped (dead) handshake, else the index
 * of the next message, and a side may only write or read on its own turn.
 * Every intermediate secret (DH output, HKDF output, HMAC pads) lives on the
 * stack of the function that made it and is wiped before that function
 * returns; a handshake that failed half way is wiped whole, because its
 * chaining key and hash no longer match the peer's.
 */
#include "crypto/noise.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "enlace.h"
#include "util/bytes.h"

#define BLOCKLEN    128
#define NONCELEN    crypto_aead_chacha20poly1305_ietf_NPUBBYTES
#define MAXMSGS     3
#define MAXTOKENS   4

_Static_assert(ENL_NOISE_DHLEN == crypto_scalarmult_BYTES, "X25519 output size");
_Static_assert(ENL_NOISE_DHLEN == crypto_scalarmult_SCALARBYTES, "X25519 key size");
_Static_assert(ENL_NOISE_KEYLEN == crypto_aead_chacha20poly1305_ietf_KEYBYTES, "key size");
_Static_assert(ENL_NOISE_TAGLEN == crypto_aead_chacha20poly1305_ietf_ABYTES, "tag size");
_Static_assert(ENL_NOISE_HASHLEN == crypto_generichash_BYTES_MAX, "BLAKE2b-512");
_Static_assert(NONCELEN == 12, "IETF nonce: 4 zero bytes and a 64-bit counter");

enum { TOK_END = 0, TOK_E, TOK_S, TOK_EE, TOK_ES, TOK_SE, TOK_SS };

typedef struct {
    const char *name;
    int init_pre_s;     /* "-> s" before the handshake: the responder knows it */
    int resp_pre_s;     /* "<- s" before the handshake: the initiator knows it */
    int nmsgs;          /* message i is sent by the initiator when i is even */
    uint8_t msgs[MAXMSGS][MAXTOKENS + 1];
} pattern_def;

static const pattern_def patterns[] = {
    [ENL_NOISE_N]  = { "N", 0, 1, 1, { { TOK_E, TOK_ES } } },
    [ENL_NOISE_K]  = { "K", 1, 1, 1, { { TOK_E, TOK_ES, TOK_SS } } },
    [ENL_NOISE_X]  = { "X", 0, 1, 1, { { TOK_E, TOK_ES, TOK_S, TOK_SS } } },
    [ENL_NOISE_XK] = { "XK", 0, 1, 3,
                       { { TOK_E, TOK_ES }, { TOK_E, TOK_EE }, { TOK_S, TOK_SE } } },
    [ENL_NOISE_IK] = { "IK", 0, 1, 2,
                       { { TOK_E, TOK_ES, TOK_S, TOK_SS }, { TOK_E, TOK_EE, TOK_SE } } },
    [ENL_NOISE_XX] = { "XX", 0, 0, 3,
                       { { TOK_E }, { TOK_E, TOK_EE, TOK_S, TOK_ES }, { TOK_S, TOK_SE } } },
};

#define NPATTERNS ((int)(sizeof patterns / sizeof patterns[0]))

/* ---- HMAC-BLAKE2b and HKDF (spec section 4.3) ------------------------- */

/* HMAC over the concatenation a || b, so that HKDF needs no scratch copy.
 * Real HMAC (RFC 2104) over the 128-byte block, as Noise requires: keyed
 * BLAKE2b would give different outputs and fail every test vector. */
static void hmac2(uint8_t out[ENL_NOISE_HASHLEN], const uint8_t *key, size_t key_len,
                  const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    uint8_t k[BLOCKLEN] = { 0 }, pad[BLOCKLEN], inner[ENL_NOISE_HASHLEN];
    crypto_generichash_state st;
    size_t i;

    if (key_len > BLOCKLEN)
        crypto_generichash(k, ENL_NOISE_HASHLEN, key, key_len, NULL, 0);
    else if (key_len > 0)
        memcpy(k, key, key_len);
    for (i = 0; i < BLOCKLEN; i++) pad[i] = k[i] ^ 0x36;
    crypto_generichash_init(&st, NULL, 0, ENL_NOISE_HASHLEN);
    crypto_generichash_update(&st, pad, BLOCKLEN);
    crypto_generichash_update(&st, a, a_len);
    crypto_generichash_update(&st, b, b_len);
    crypto_generichash_final(&st, inner, ENL_NOISE_HASHLEN);
    for (i = 0; i < BLOCKLEN; i++) pad[i] = k[i] ^ 0x5c;
    crypto_generichash_init(&st, NULL, 0, ENL_NOISE_HASHLEN);
    crypto_generichash_update(&st, pad, BLOCKLEN);
    crypto_generichash_update(&st, inner, ENL_NOISE_HASHLEN);
    crypto_generichash_final(&st, out, ENL_NOISE_HASHLEN);
    sodium_memzero(k, sizeof k);
    sodium_memzero(pad, sizeof pad);
    sodium_memzero(inner, sizeof inner);
    sodium_memzero(&st, sizeof st);
}

void enl_hmac_blake2b(uint8_t out[ENL_NOISE_HASHLEN], const uint8_t *key, size_t key_len,
                      const uint8_t *data, size_t data_len)
{
    hmac2(out, key, key_len, data, data_len, NULL, 0);
}

/* out2 and out3 may be NULL when fewer outputs are wanted. The outputs are
 * made in locals first so that out1 may be the very ck it derives from. */
void enl_hkdf_blake2b(uint8_t out1[ENL_NOISE_HASHLEN], uint8_t out2[ENL_NOISE_HASHLEN],
                      uint8_t out3[ENL_NOISE_HASHLEN], const uint8_t ck[ENL_NOISE_HASHLEN],
                      const uint8_t *ikm, size_t ikm_len)
{
    static const uint8_t one = 1, two = 2, three = 3;
    uint8_t tk[ENL_NOISE_HASHLEN], o1[ENL_NOISE_HASHLEN], o2[ENL_NOISE_HASHLEN];

    hmac2(tk, ck, ENL_NOISE_HASHLEN, ikm, ikm_len, NULL, 0);
    hmac2(o1, tk, sizeof tk, &one, 1, NULL, 0);
    hmac2(o2, tk, sizeof tk, o1, sizeof o1, &two, 1);
    if (out3 != NULL) hmac2(out3, tk, sizeof tk, o2, sizeof o2, &three, 1);
    memcpy(out1, o1, sizeof o1);
    if (out2 != NULL) memcpy(out2, o2, sizeof o2);
    sodium_memzero(tk, sizeof tk);
    sodium_memzero(o1, sizeof o1);
    sodium_memzero(o2, sizeof o2);
}

/* ---- CipherState ------------------------------------------------------ */

static void cs_init_key(enl_cipherstate *cs, const uint8_t k[ENL_NOISE_KEYLEN])
{
    memcpy(cs->k, k, ENL_NOISE_KEYLEN);
    cs->n = 0;
    cs->has_key = 1;
}

/* Noise's ChaChaPoly nonce: 32 bits of zeros, then n little-endian. */
static void cs_nonce(uint8_t nonce[NONCELEN], uint64_t n)
{
    int i;
    memset(nonce, 0, 4);
    for (i = 0; i < 8; i++) nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

/* n = 2^64-1 is reserved by the spec: refusing it keeps nonces unique. */
static int cs_seal(enl_cipherstate *cs, uint8_t *out, const uint8_t *ad, size_t ad_len,
                   const uint8_t *pt, size_t pt_len)
{
    uint8_t nonce[NONCELEN];

    if (cs->n == UINT64_MAX) return ENL_ECRYPTO;
    cs_nonce(nonce, cs->n);
    crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, pt_len, ad, ad_len, NULL,
                                              nonce, cs->k);
    cs->n++;
    return ENL_OK;
}

/* n only advances on success, so a forged message cannot desynchronise. */
static int cs_open(enl_cipherstate *cs, uint8_t *out, const uint8_t *ad, size_t ad_len,
                   const uint8_t *ct, size_t ct_len)
{
    uint8_t nonce[NONCELEN];

    if (ct_len < ENL_NOISE_TAGLEN) return ENL_EMALFORMED;
    if (cs->n == UINT64_MAX) return ENL_ECRYPTO;
    cs_nonce(nonce, cs->n);
    if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, ct_len, ad, ad_len,
                                                  nonce, cs->k) != 0)
        return ENL_EDECRYPT;
    cs->n++;
    return ENL_OK;
}

/* Unlike the spec's EncryptWithAd, a keyless transport cipher refuses
 * instead of passing plaintext through: that only happens by mistake (the
 * unused direction of a one-way pattern, a wiped state). */
int enl_cipher_encrypt(enl_cipherstate *cs, uint8_t *out, const uint8_t *ad, size_t ad_len,
                       const uint8_t *pt, size_t pt_len)
{
    if (cs == NULL || out == NULL || (pt == NULL && pt_len > 0) ||
        (ad == NULL && ad_len > 0) || !cs->has_key)
        return ENL_EINVAL;
    if (pt_len > ENL_NOISE_MAXMSG - ENL_NOISE_TAGLEN) return ENL_ETOOBIG;
    return cs_seal(cs, out, ad, ad_len, pt, pt_len);
}

int enl_cipher_decrypt(enl_cipherstate *cs, uint8_t *out, const uint8_t *ad, size_t ad_len,
                       const uint8_t *ct, size_t ct_len)
{
    if (cs == NULL || ct == NULL || (out == NULL && ct_len > ENL_NOISE_TAGLEN) ||
        (ad == NULL && ad_len > 0) || !cs->has_key)
        return ENL_EINVAL;
    if (ct_len > ENL_NOISE_MAXMSG) return ENL_EMALFORMED;
    return cs_open(cs, out, ad, ad_len, ct, ct_len);
}

void enl_cipher_wipe(enl_cipherstate *cs)
{
    if (cs != NULL) sodium_memzero(cs, sizeof *cs);
}

/* ---- SymmetricState --------------------------------------------------- */

static void mix_hash(enl_handshake *hs, const uint8_t *data, size_t len)
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, ENL_NOISE_HASHLEN);
    crypto_generichash_update(&st, hs->h, ENL_NOISE_HASHLEN);
    crypto_generichash_update(&st, data, len);
    crypto_generichash_final(&st, hs->h, ENL_NOISE_HASHLEN);
}

/* HASHLEN is 64, so the new key is the first 32 bytes of the second output. */
static void mix_key(enl_handshake *hs, const uint8_t *ikm, size_t ikm_len)
{
    uint8_t tk[ENL_NOISE_HASHLEN];

    enl_hkdf_blake2b(hs->ck, tk, NULL, hs->ck, ikm, ikm_len);
    cs_init_key(&hs->cs, tk);
    sodium_memzero(tk, sizeof tk);
}

/* Before the first DH there is no key and the spec sends plaintext. */
static int encrypt_and_hash(enl_handshake *hs, uint8_t *out, const uint8_t *pt, size_t pt_len)
{
    size_t out_len = pt_len;
    int rc;

    if (hs->cs.has_key) {
        rc = cs_seal(&hs->cs, out, hs->h, ENL_NOISE_HASHLEN, pt, pt_len);
        if (rc != ENL_OK) return rc;
        out_len += ENL_NOISE_TAGLEN;
    } else if (pt_len > 0) {
        memmove(out, pt, pt_len);
    }
    mix_hash(hs, out, out_len);
    return ENL_OK;
}

static int decrypt_and_hash(enl_handshake *hs, uint8_t *out, const uint8_t *ct, size_t ct_len)
{
    int rc;

    if (hs->cs.has_key) {
        rc = cs_open(&hs->cs, out, hs->h, ENL_NOISE_HASHLEN, ct, ct_len);
        if (rc != ENL_OK) return rc;
    } else if (ct_len > 0) {
        memmove(out, ct, ct_len);
    }
    mix_hash(hs, ct, ct_len);
    return ENL_OK;
}

/* The protocol name fits in HASHLEN for every pattern here; the hashing
 * branch is the spec's rule for longer names. */
static void init_symmetric(enl_handshake *hs, const char *pattern_name)
{
    char name[ENL_NOISE_HASHLEN + 1];
    int n;

    n = snprintf(name, sizeof name, "Noise_%s_25519_ChaChaPoly_BLAKE2b", pattern_name);
    memset(hs->h, 0, ENL_NOISE_HASHLEN);
    if (n >= 0 && (size_t)n <= ENL_NOISE_HASHLEN)
        memcpy(hs->h, name, (size_t)n);
    else
        crypto_generichash(hs->h, ENL_NOISE_HASHLEN, (const uint8_t *)name, strlen(name),
                           NULL, 0);
    memcpy(hs->ck, hs->h, ENL_NOISE_HASHLEN);
}

/* ---- HandshakeState --------------------------------------------------- */

/* The pattern of a live handshake, or NULL when it is wiped or garbage. */
static const pattern_def *live(const enl_handshake *hs)
{
    const pattern_def *pd;

    if (hs == NULL || (int)hs->pattern < 0 || (int)hs->pattern >= NPATTERNS) return NULL;
    pd = &patterns[hs->pattern];
    if (hs->msg_index < 0 || hs->msg_index > pd->nmsgs) return NULL;
    return pd;
}

/* The tokens of the next message, when it is this side's turn to write
 * (writing = 1) or to read (writing = 0); NULL otherwise. */
static const uint8_t *turn(const enl_handshake *hs, int writing)
{
    const pattern_def *pd = live(hs);
    int sender_is_initiator;

    if (pd == NULL || hs->msg_index >= pd->nmsgs) return NULL;
    sender_is_initiator = hs->msg_index % 2 == 0;
    if ((hs->initiator == sender_is_initiator) != (writing != 0)) return NULL;
    return pd->msgs[hs->msg_index];
}

static int side_sends(const pattern_def *pd, int initiator, uint8_t token)
{
    int i, j;

    for (i = initiator ? 0 : 1; i < pd->nmsgs; i += 2)
        for (j = 0; pd->msgs[i][j] != TOK_END; j++)
            if (pd->msgs[i][j] == token) return 1;
    return 0;
}

/* Bytes of a message before its payload, plus the payload's tag: the
 * length a message must at least have. A static key is encrypted only once
 * a DH has keyed the cipher, earlier in this message or before it. */
static size_t overhead(const enl_handshake *hs, const uint8_t *tokens)
{
    int keyed = hs->cs.has_key;
    size_t n = 0;

    for (; *tokens != TOK_END; tokens++) {
        if (*tokens == TOK_E)
            n += ENL_NOISE_DHLEN;
        else if (*tokens == TOK_S)
            n += ENL_NOISE_DHLEN + (keyed ? ENL_NOISE_TAGLEN : 0);
        else
            keyed = 1;
    }
    return n + (keyed ? ENL_NOISE_TAGLEN : 0);
}

/* The first letter of a DH token is the initiator's key, the second the
 * responder's: this side takes its secret for its own letter. */
static int dh_keys(const enl_handshake *hs, uint8_t token, const uint8_t **sk,
                   const uint8_t **pk)
{
    int init_e = token == TOK_EE || token == TOK_ES;
    int resp_e = token == TOK_EE || token == TOK_SE;
    int my_e = hs->initiator ? init_e : resp_e;
    int their_e = hs->initiator ? resp_e : init_e;

    *sk = my_e ? (hs->has_e ? hs->e_sk : NULL) : (hs->has_s ? hs->s_sk : NULL);
    *pk = their_e ? (hs->has_re ? hs->re : NULL) : (hs->has_rs ? hs->rs : NULL);
    return *sk != NULL && *pk != NULL;
}

/* libsodium returns nonzero for an all-zero result (a low-order point):
 * such a DH contributes nothing secret, so the handshake must stop. */
static int mix_dh(enl_handshake *hs, uint8_t token)
{
    uint8_t shared[ENL_NOISE_DHLEN];
    const uint8_t *sk, *pk;
    int rc = ENL_EINVAL;

    if (!dh_keys(hs, token, &sk, &pk)) goto out;
    rc = ENL_ECRYPTO;
    if (crypto_scalarmult(shared, sk, pk) != 0) goto out;
    mix_key(hs, shared, sizeof shared);
    rc = ENL_OK;
out:
    sodium_memzero(shared, sizeof shared);
    return rc;
}

static int write_e(enl_handshake *hs, enl_wr *w)
{
    uint8_t *p = enl_wr_ptr(w, ENL_NOISE_DHLEN);

    if (p == NULL) return ENL_EBUFSIZE;
    if (!hs->has_fixed_e) randombytes_buf(hs->e_sk, sizeof hs->e_sk);
    if (crypto_scalarmult_base(hs->e_pk, hs->e_sk) != 0) return ENL_ECRYPTO;
    hs->has_e = 1;
    memcpy(p, hs->e_pk, ENL_NOISE_DHLEN);
    mix_hash(hs, hs->e_pk, ENL_NOISE_DHLEN);
    return ENL_OK;
}

static int write_token(enl_handshake *hs, uint8_t token, enl_wr *w)
{
    uint8_t *p;

    if (token == TOK_E) return write_e(hs, w);
    if (token != TOK_S) return mix_dh(hs, token);
    p = enl_wr_ptr(w, ENL_NOISE_DHLEN + (hs->cs.has_key ? ENL_NOISE_TAGLEN : 0));
    if (p == NULL) return ENL_EBUFSIZE;
    if (!hs->has_s) return ENL_EINVAL;
    return encrypt_and_hash(hs, p, hs->s_pk, ENL_NOISE_DHLEN);
}

/* The remote static key is decrypted into a local first so that hs->rs only
 * ever holds an authenticated key. */
static int read_s(enl_handshake *hs, enl_rd *r)
{
    size_t len = ENL_NOISE_DHLEN + (hs->cs.has_key ? ENL_NOISE_TAGLEN : 0);
    const uint8_t *p = enl_rd_ptr(r, len);
    uint8_t rs[ENL_NOISE_DHLEN];
    int rc;

    if (p == NULL) return ENL_EMALFORMED;
    rc = decrypt_and_hash(hs, rs, p, len);
    if (rc == ENL_OK) {
        memcpy(hs->rs, rs, sizeof rs);
        hs->has_rs = 1;
    }
    sodium_memzero(rs, sizeof rs);
    return rc;
}

static int read_token(enl_handshake *hs, uint8_t token, enl_rd *r)
{
    const uint8_t *p;

    if (token == TOK_S) return read_s(hs, r);
    if (token != TOK_E) return mix_dh(hs, token);
    p = enl_rd_ptr(r, ENL_NOISE_DHLEN);
    if (p == NULL) return ENL_EMALFORMED;
    memcpy(hs->re, p, ENL_NOISE_DHLEN);
    hs->has_re = 1;
    mix_hash(hs, hs->re, ENL_NOISE_DHLEN);
    return ENL_OK;
}

/* Checks that this side has exactly the keys the pattern gives it: a
 * missing one cannot work, and an rs that the pattern would not use would
 * look like pinning the peer while nothing checks it. */
static int check_keys(const pattern_def *pd, int initiator, const uint8_t *s_sk,
                      const uint8_t *rs, const uint8_t *fixed_e)
{
    int my_pre_s = initiator ? pd->init_pre_s : pd->resp_pre_s;
    int their_pre_s = initiator ? pd->resp_pre_s : pd->init_pre_s;
    int has_s = my_pre_s || side_sends(pd, initiator, TOK_S);

    if ((s_sk != NULL) != has_s) return ENL_EINVAL;
    if ((rs != NULL) != their_pre_s) return ENL_EINVAL;
    if (fixed_e != NULL && !side_sends(pd, initiator, TOK_E)) return ENL_EINVAL;
    return ENL_OK;
}

/* The public key of the last static key used on this thread, found by a
 * BLAKE2b hash of the secret key (never the key itself): a profile seals
 * and opens every first-contact note with its one identity key, and the
 * fixed-base X25519 that derives its public half cost as much as a DH. */
static _Thread_local struct {
    uint8_t sk_hash[32];
    uint8_t pk[ENL_NOISE_DHLEN];
    int set;
} last_s;

static int static_public(uint8_t pk[ENL_NOISE_DHLEN], const uint8_t sk[ENL_NOISE_DHLEN])
{
    static const uint8_t label[] = "enlace noise static public key";
    uint8_t h[32];
    int hit;
    crypto_generichash(h, sizeof h, sk, ENL_NOISE_DHLEN, label, sizeof label - 1);
    hit = last_s.set && sodium_memcmp(h, last_s.sk_hash, sizeof h) == 0;
    if (hit) {
        memcpy(pk, last_s.pk, ENL_NOISE_DHLEN);
    } else if (crypto_scalarmult_base(pk, sk) == 0) {
        memcpy(last_s.sk_hash, h, sizeof h);
        memcpy(last_s.pk, pk, ENL_NOISE_DHLEN);
        last_s.set = 1;
    } else {
        sodium_memzero(h, sizeof h);
        return ENL_ECRYPTO;
    }
    sodium_memzero(h, sizeof h);
    return ENL_OK;
}

void enl_handshake_forget_keys(void)
{
    sodium_memzero(&last_s, sizeof last_s);
}

static int set_keys(enl_handshake *hs, const uint8_t *s_sk, const uint8_t *rs,
                    const uint8_t *fixed_e)
{
    if (s_sk != NULL) {
        memcpy(hs->s_sk, s_sk, sizeof hs->s_sk);
        if (static_public(hs->s_pk, hs->s_sk) != ENL_OK) return ENL_ECRYPTO;
        hs->has_s = 1;
    }
    if (rs != NULL) {
        memcpy(hs->rs, rs, sizeof hs->rs);
        hs->has_rs = 1;
    }
    if (fixed_e != NULL) {
        memcpy(hs->e_sk, fixed_e, sizeof hs->e_sk);
        hs->has_fixed_e = 1;
    }
    return ENL_OK;
}

int enl_handshake_init(enl_handshake *hs, enl_noise_pattern pattern, int initiator,
                       const uint8_t *prologue, size_t prologue_len,
                       const uint8_t *s_sk, const uint8_t *rs, const uint8_t *fixed_e)
{
    const pattern_def *pd;
    int rc = ENL_EINVAL;

    if (hs == NULL) return ENL_EINVAL;
    enl_handshake_wipe(hs);
    if ((int)pattern < 0 || (int)pattern >= NPATTERNS) goto out;
    if (prologue == NULL && prologue_len > 0) goto out;
    pd = &patterns[pattern];
    initiator = initiator != 0;
    rc = check_keys(pd, initiator, s_sk, rs, fixed_e);
    if (rc != ENL_OK) goto out;
    hs->pattern = pattern;
    hs->initiator = initiator;
    rc = set_keys(hs, s_sk, rs, fixed_e);
    if (rc != ENL_OK) goto out;
    init_symmetric(hs, pd->name);
    mix_hash(hs, prologue, prologue_len);
    /* Pre-message keys in the spec's order: the initiator's first. */
    if (pd->init_pre_s) mix_hash(hs, initiator ? hs->s_pk : hs->rs, ENL_NOISE_DHLEN);
    if (pd->resp_pre_s) mix_hash(hs, initiator ? hs->rs : hs->s_pk, ENL_NOISE_DHLEN);
    hs->msg_index = 0;
out:
    if (rc != ENL_OK) enl_handshake_wipe(hs);
    return rc;
}

/* Arguments are checked before anything changes, so ENL_EINVAL,
 * ENL_ETOOBIG and ENL_EBUFSIZE leave the handshake usable; a failure after
 * that (a weak remote key) wipes it. */
int enl_handshake_write(enl_handshake *hs, uint8_t *out, size_t *out_len, size_t out_max,
                        const uint8_t *payload, size_t payload_len)
{
    const uint8_t *tokens = turn(hs, 1);
    enl_wr w = enl_wr_init(out, out_max);
    size_t need;
    uint8_t *p;
    int rc = ENL_OK;

    if (tokens == NULL || out == NULL || out_len == NULL || (payload == NULL && payload_len > 0))
        return ENL_EINVAL;
    need = overhead(hs, tokens);
    if (payload_len > ENL_NOISE_MAXMSG - need) return ENL_ETOOBIG;
    if (out_max < need + payload_len) return ENL_EBUFSIZE;
    for (; *tokens != TOK_END && rc == ENL_OK; tokens++) rc = write_token(hs, *tokens, &w);
    if (rc != ENL_OK) goto out;
    p = enl_wr_ptr(&w, payload_len + (hs->cs.has_key ? ENL_NOISE_TAGLEN : 0));
    rc = p == NULL ? ENL_EBUFSIZE : encrypt_and_hash(hs, p, payload, payload_len);
    if (rc != ENL_OK) goto out;
    hs->msg_index++;
    *out_len = w.len;
out:
    if (rc != ENL_OK) {
        sodium_memzero(out, w.len);
        enl_handshake_wipe(hs);
    }
    return rc;
}

int enl_handshake_read(enl_handshake *hs, uint8_t *payload, size_t *payload_len,
                       size_t payload_max, const uint8_t *msg, size_t msg_len)
{
    const uint8_t *tokens = turn(hs, 0);
    enl_rd r = enl_rd_init(msg, msg_len);
    size_t need, left, plen = 0;
    int rc = ENL_EINVAL;

    if (tokens == NULL || payload_len == NULL || msg == NULL ||
        (payload == NULL && payload_max > 0))
        goto out;
    rc = ENL_EMALFORMED;
    need = overhead(hs, tokens);
    if (msg_len > ENL_NOISE_MAXMSG || msg_len < need) goto out;
    rc = ENL_EBUFSIZE;
    if (msg_len - need > payload_max) goto out;
    plen = msg_len - need;
    for (rc = ENL_OK; *tokens != TOK_END && rc == ENL_OK; tokens++)
        rc = read_token(hs, *tokens, &r);
    if (rc != ENL_OK) goto out;
    /* What is left is the payload and, once keyed, its tag. */
    left = enl_rd_left(&r);
    rc = decrypt_and_hash(hs, payload, enl_rd_ptr(&r, left), left);
    if (rc != ENL_OK) goto out;
    hs->msg_index++;
    *payload_len = plen;
out:
    if (rc != ENL_OK) {
        if (plen > 0) sodium_memzero(payload, plen);
        enl_handshake_wipe(hs);
    }
    return rc;
}

int enl_handshake_done(const enl_handshake *hs)
{
    const pattern_def *pd = live(hs);

    return pd != NULL && hs->msg_index == pd->nmsgs;
}

int enl_handshake_remote_static(const enl_handshake *hs, uint8_t rs[32])
{
    if (hs == NULL || rs == NULL) return ENL_EINVAL;
    if (live(hs) == NULL || !hs->has_rs) return ENL_ENOTFOUND;
    memcpy(rs, hs->rs, 32);
    return ENL_OK;
}

void enl_handshake_hash(const enl_handshake *hs, uint8_t h[ENL_NOISE_HASHLEN])
{
    if (hs == NULL || h == NULL) return;
    memcpy(h, hs->h, ENL_NOISE_HASHLEN);
}

/* In a one-way pattern the responder never sends (spec 7.4), so the second
 * cipher is left keyless: enl_cipher_encrypt refuses it. */
int enl_handshake_split(enl_handshake *hs, enl_cipherstate *send, enl_cipherstate *recv)
{
    uint8_t k1[ENL_NOISE_HASHLEN], k2[ENL_NOISE_HASHLEN];
    enl_cipherstate *c1, *c2;

    if (!enl_handshake_done(hs) || send == NULL || recv == NULL || send == recv)
        return ENL_EINVAL;
    enl_hkdf_blake2b(k1, k2, NULL, hs->ck, NULL, 0);
    c1 = hs->initiator ? send : recv;
    c2 = hs->initiator ? recv : send;
    enl_cipher_wipe(c1);
    enl_cipher_wipe(c2);
    cs_init_key(c1, k1);
    if (patterns[hs->pattern].nmsgs > 1) cs_init_key(c2, k2);
    sodium_memzero(k1, sizeof k1);
    sodium_memzero(k2, sizeof k2);
    enl_handshake_wipe(hs);
    return ENL_OK;
}

void enl_handshake_wipe(enl_handshake *hs)
{
    if (hs == NULL) return;
    sodium_memzero(hs, sizeof *hs);
    hs->msg_index = -1;
}
