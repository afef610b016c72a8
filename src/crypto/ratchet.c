/*
 * The Double Ratchet with header encryption; the contract and every
 * cryptographic choice are in ratchet.h.
 *
 * The functions below follow the specification's pseudocode (section 4.4-
 * 4.6) step by step and keep its names in their comments. Two things are
 * added: decryption works on a copy of the state that replaces the original
 * only when the message authenticated, so a failure changes nothing; and
 * the bounds (MAX_SKIP, a cap on stored keys, an age limit) are checked
 * before the work they bound.
 */
#include "crypto/ratchet.h"

#include <sodium.h>
#include <string.h>

#include "crypto/noise.h"
#include "enlace.h"
#include "util/bytes.h"

#define KEY ENL_RATCHET_KEYBYTES
#define TAG ENL_RATCHET_TAGBYTES
#define PREFIX (ENL_RATCHET_TAGBYTES + ENL_RATCHET_ENCHEADERBYTES)   /* tag | enc header */
#define NO_MATCH 1   /* internal: this key does not open the message, try the next */

_Static_assert(ENL_RATCHET_OVERHEAD == 72, "tag 16 + header 40 + mac 16");
_Static_assert(ENL_RATCHET_ENCHEADERBYTES == 40, "header 40, no nonce, no mac");
_Static_assert(ENL_RATCHET_TAGBYTES <= crypto_stream_xchacha20_NONCEBYTES, "the tag is the nonce");
_Static_assert(ENL_RATCHET_NONCEBYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce");
_Static_assert(ENL_RATCHET_MACBYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES, "mac");
_Static_assert(KEY == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "aead key");
_Static_assert(KEY == crypto_scalarmult_BYTES && KEY == crypto_scalarmult_SCALARBYTES, "x25519");
_Static_assert(ENL_RATCHET_MAX_SKIP <= ENL_RATCHET_MAX_SKIPPED, "one skip always fits");
_Static_assert(ENL_RATCHET_MAX_SKIPPED <= 0xffff, "the count is serialized as u16");
_Static_assert(ENL_RATCHET_SERIAL_MAX == 19093, "documented maximum");

typedef struct {
    uint8_t dh[KEY];
    uint32_t pn, n;
} header;

/* A received message cut into its parts; ad is the caller's. */
typedef struct {
    const uint8_t *ad;
    size_t ad_len;
    const uint8_t *prefix;   /* tag | encrypted header: authenticated with the body */
    const uint8_t *eh;
    const uint8_t *body;
    size_t body_len;
    uint8_t *purge;          /* the caller's, or NULL */
} msgview;

/* ---- external functions (sections 3.1 and 4.2) ------------------------ */

/* Random bytes (16 <= len <= 64), or the test stream of a seeded state. */
static void rnd(enl_ratchet *r, uint8_t *out, size_t len)
{
    crypto_generichash_state st;
    uint8_t ctr[8];

    if (!r->seeded) {
        randombytes_buf(out, len);
        return;
    }
    for (size_t i = 0; i < 8; i++) ctr[i] = (uint8_t)(r->test_ctr >> (56 - 8 * i));
    r->test_ctr++;
    crypto_generichash_init(&st, r->test_seed, KEY, len);
    crypto_generichash_update(&st, (const uint8_t *)ENL_RATCHET_TEST_CONTEXT,
                              sizeof ENL_RATCHET_TEST_CONTEXT - 1);
    crypto_generichash_update(&st, ctr, sizeof ctr);
    crypto_generichash_final(&st, out, len);
    sodium_memzero(&st, sizeof st);
}

/* GENERATE_DH */
static int generate_dh(enl_ratchet *r, uint8_t sk[KEY], uint8_t pk[KEY])
{
    rnd(r, sk, KEY);
    return crypto_scalarmult_base(pk, sk) == 0 ? ENL_OK : ENL_ECRYPTO;
}

/* DH: libsodium refuses an all-zero output (a low-order peer key). */
static int dh(uint8_t out[KEY], const uint8_t sk[KEY], const uint8_t pk[KEY])
{
    return crypto_scalarmult(out, sk, pk) == 0 ? ENL_OK : ENL_ECRYPTO;
}

/* KDF_RK_HE: rk is replaced by the new root key. */
static void kdf_rk_he(uint8_t rk[KEY], uint8_t ck[KEY], uint8_t nhk[KEY], const uint8_t dh_out[KEY])
{
    uint8_t chaining[ENL_NOISE_HASHLEN] = { 0 }, o1[ENL_NOISE_HASHLEN], o2[ENL_NOISE_HASHLEN],
            o3[ENL_NOISE_HASHLEN];

    memcpy(chaining, rk, KEY);   /* zero-extended: the same HMAC key (see ratchet.h) */
    enl_hkdf_blake2b(o1, o2, o3, chaining, dh_out, KEY);
    memcpy(rk, o1, KEY);
    memcpy(ck, o2, KEY);
    memcpy(nhk, o3, KEY);
    sodium_memzero(chaining, sizeof chaining);
    sodium_memzero(o1, sizeof o1);
    sodium_memzero(o2, sizeof o2);
    sodium_memzero(o3, sizeof o3);
}

/* KDF_CK: ck is replaced by the next chain key. */
static void kdf_ck(uint8_t ck[KEY], uint8_t mk[KEY])
{
    static const uint8_t one = 0x01, two = 0x02;
    uint8_t m[ENL_NOISE_HASHLEN], c[ENL_NOISE_HASHLEN];

    enl_hmac_blake2b(m, ck, KEY, &one, 1);
    enl_hmac_blake2b(c, ck, KEY, &two, 1);
    memcpy(mk, m, KEY);
    memcpy(ck, c, KEY);
    sodium_memzero(m, sizeof m);
    sodium_memzero(c, sizeof c);
}

void enl_ratchet_tag(uint8_t tag[ENL_RATCHET_TAGBYTES], const uint8_t hk[32], uint32_t n)
{
    crypto_generichash_state st;
    uint8_t nb[4];

    enl_store_be32(nb, n);
    crypto_generichash_init(&st, hk, KEY, TAG);
    crypto_generichash_update(&st, (const uint8_t *)ENL_RATCHET_TAG_CONTEXT,
                              sizeof ENL_RATCHET_TAG_CONTEXT - 1);
    crypto_generichash_update(&st, nb, sizeof nb);
    crypto_generichash_final(&st, tag, TAG);
    sodium_memzero(&st, sizeof st);
}

/* The header's nonce: the tag, zero-extended. */
static void header_nonce(uint8_t nonce[crypto_stream_xchacha20_NONCEBYTES],
                         const uint8_t tag[TAG])
{
    memset(nonce, 0, crypto_stream_xchacha20_NONCEBYTES);
    memcpy(nonce, tag, TAG);
}

/* HENCRYPT: out = XChaCha20(hk, nonce = tag) xor (DHs | PN | N). */
static void hencrypt(uint8_t out[ENL_RATCHET_ENCHEADERBYTES], const uint8_t hk[KEY],
                     const uint8_t tag[TAG], const header *h)
{
    uint8_t plain[ENL_RATCHET_HEADERBYTES], nonce[crypto_stream_xchacha20_NONCEBYTES];

    memcpy(plain, h->dh, KEY);
    enl_store_be32(plain + KEY, h->pn);
    enl_store_be32(plain + KEY + 4, h->n);
    header_nonce(nonce, tag);
    crypto_stream_xchacha20_xor(out, plain, sizeof plain, nonce, hk);
    sodium_memzero(plain, sizeof plain);
}

/* HDECRYPT: 0 and *h filled when hk opens the header (the tag recomputed
 * from hk and the decrypted N is the message's), -1 otherwise. */
static int hdecrypt(header *h, const uint8_t hk[KEY], const msgview *m)
{
    uint8_t plain[ENL_RATCHET_HEADERBYTES], nonce[crypto_stream_xchacha20_NONCEBYTES], t[TAG];
    int rc = -1;

    header_nonce(nonce, m->prefix);
    crypto_stream_xchacha20_xor(plain, m->eh, sizeof plain, nonce, hk);
    h->n = enl_load_be32(plain + KEY + 4);
    enl_ratchet_tag(t, hk, h->n);
    if (sodium_memcmp(t, m->prefix, TAG) == 0) {
        memcpy(h->dh, plain, KEY);
        h->pn = enl_load_be32(plain + KEY);
        rc = 0;
    }
    sodium_memzero(plain, sizeof plain);
    return rc;
}

/* The header key of a chain begun again (enl_ratchet_restart_sending):
 * derived from the one the peer expects next, so that the peer, which
 * computes it too, recognises the new chain's first messages, while they
 * share neither tags nor header stream with the abandoned chain's. Each
 * of the first ENL_RATCHET_RESTART_KEYS restarts of a chain derives it
 * again from the last: restart i uses restart_hk applied i times to the
 * key the peer expects (and out may be hk). */
static void restart_hk(uint8_t out[KEY], const uint8_t hk[KEY])
{
    static const char ctx[] = "enlace restart header key v1";
    uint8_t t[KEY];
    crypto_generichash(t, KEY, (const uint8_t *)ctx, sizeof ctx - 1, hk, KEY);
    memcpy(out, t, KEY);
    sodium_memzero(t, sizeof t);
}

/* PURGE: the second secret of a message key. */
static void purge_key(uint8_t out[KEY], const uint8_t mk[KEY])
{
    crypto_generichash(out, KEY, (const uint8_t *)ENL_RATCHET_PURGE_CONTEXT,
                       sizeof ENL_RATCHET_PURGE_CONTEXT - 1, mk, KEY);
}

/* ENCRYPT / DECRYPT share this: the nonce comes from the one-use key, and
 * the associated data is AD || tag || encrypted header. */
static void body_nonce(uint8_t nonce[ENL_RATCHET_NONCEBYTES], const uint8_t mk[KEY])
{
    crypto_generichash(nonce, ENL_RATCHET_NONCEBYTES, (const uint8_t *)ENL_RATCHET_NONCE_CONTEXT,
                       sizeof ENL_RATCHET_NONCE_CONTEXT - 1, mk, KEY);
}

static size_t full_ad(uint8_t out[ENL_RATCHET_AD_MAX + PREFIX], const uint8_t *ad, size_t ad_len,
                      const uint8_t prefix[PREFIX])
{
    if (ad_len > 0) memcpy(out, ad, ad_len);
    memcpy(out + ad_len, prefix, PREFIX);
    return ad_len + PREFIX;
}

static void body_seal(uint8_t *out, const uint8_t mk[KEY], const uint8_t *ad, size_t ad_len,
                      const uint8_t prefix[PREFIX], const uint8_t *pt, size_t pt_len)
{
    uint8_t all[ENL_RATCHET_AD_MAX + PREFIX], nonce[ENL_RATCHET_NONCEBYTES];
    size_t all_len = full_ad(all, ad, ad_len, prefix);

    body_nonce(nonce, mk);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out, NULL, pt, pt_len, all, all_len, NULL, nonce,
                                               mk);
    sodium_memzero(nonce, sizeof nonce);
}

static int body_open(uint8_t *pt, const uint8_t mk[KEY], const msgview *m)
{
    uint8_t all[ENL_RATCHET_AD_MAX + PREFIX], nonce[ENL_RATCHET_NONCEBYTES];
    size_t all_len = full_ad(all, m->ad, m->ad_len, m->prefix);
    int rc;

    body_nonce(nonce, mk);
    rc = crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, m->body, m->body_len, all,
                                                    all_len, nonce, mk) == 0
             ? ENL_OK : ENL_EDECRYPT;
    if (rc == ENL_OK && m->purge != NULL) purge_key(m->purge, mk);
    sodium_memzero(nonce, sizeof nonce);
    return rc;
}

/* ---- skipped message keys (MKSKIPPED) ---------------------------------- */

/* Deletes entries [first, first + count), keeping the others in order. */
static void skipped_drop(enl_ratchet *s, size_t first, size_t count)
{
    memmove(&s->skipped[first], &s->skipped[first + count],
            (s->nskipped - first - count) * sizeof s->skipped[0]);
    s->nskipped -= (uint32_t)count;
    sodium_memzero(&s->skipped[s->nskipped], count * sizeof s->skipped[0]);
}

/* Deletes the keys from chains more than MAX_AGE steps old. Entries are in
 * the order they were stored, so their steps never decrease: the old ones
 * are a prefix. */
static void skipped_expire(enl_ratchet *s)
{
    size_t k = 0;
    while (k < s->nskipped && s->step - s->skipped[k].step > ENL_RATCHET_MAX_AGE) k++;
    if (k > 0) skipped_drop(s, 0, k);
}

/* SkipMessageKeysHE: stores the keys of CKr up to (not including) until. */
static int skip_keys(enl_ratchet *s, uint32_t until)
{
    size_t count;

    if ((uint64_t)s->nr + ENL_RATCHET_MAX_SKIP < until) return ENL_ETOOBIG;
    if (!(s->flags & ENL_RATCHET_HAS_RECV) || until <= s->nr) return ENL_OK;
    count = until - s->nr;
    if (s->nskipped + count > ENL_RATCHET_MAX_SKIPPED)   /* the oldest make room */
        skipped_drop(s, 0, s->nskipped + count - ENL_RATCHET_MAX_SKIPPED);
    for (; s->nr < until; s->nr++) {
        enl_ratchet_skipped *e = &s->skipped[s->nskipped++];
        memcpy(e->hk, s->hkr, KEY);
        e->n = s->nr;
        e->step = s->step;
        kdf_ck(s->ckr, e->mk);
    }
    return ENL_OK;
}

/* ---- the ratchet -------------------------------------------------------- */

/* Forgets the chain a restart abandoned (a DH ratchet step settles which
 * one the peer follows). */
static void clear_alt(enl_ratchet *s)
{
    sodium_memzero(s->alt, sizeof s->alt);
}

/* DHRatchetHE, then the age limit on skipped keys. */
static int dh_ratchet(enl_ratchet *s, const uint8_t peer[KEY])
{
    uint8_t out[KEY];
    int rc;

    s->pn = s->ns;
    s->pn_expiry = s->chain_expiry;
    s->chain_expiry = 0;
    s->ns = 0;
    s->nr = 0;
    memcpy(s->hks, s->nhks, KEY);
    memcpy(s->hkr, s->nhkr, KEY);
    memcpy(s->dhr, peer, KEY);
    if ((rc = dh(out, s->dhs_sk, s->dhr)) != ENL_OK) goto out;
    kdf_rk_he(s->rk, s->ckr, s->nhkr, out);
    /* what the sending chain below is made from, to begin it again */
    memcpy(s->rk_restart, s->rk, KEY);
    s->restartable = 1;
    s->window_expiry = 0;
    s->restarts = 0;
    clear_alt(s);
    if ((rc = generate_dh(s, s->dhs_sk, s->dhs_pk)) != ENL_OK) goto out;
    if ((rc = dh(out, s->dhs_sk, s->dhr)) != ENL_OK) goto out;
    kdf_rk_he(s->rk, s->cks, s->nhks, out);
    s->flags |= ENL_RATCHET_HAS_DHR | ENL_RATCHET_HAS_SEND | ENL_RATCHET_HAS_RECV;
    s->step++;
    skipped_expire(s);
out:
    sodium_memzero(out, sizeof out);
    return rc;
}

/* N = 2^32-1 would overflow Nr, and no honest sender reaches it. */
static int check_header(const header *h)
{
    return h->n == UINT32_MAX ? ENL_ETOOBIG : ENL_OK;
}

/* The last steps of RatchetDecryptHE: CKr, mk = KDF_CK(CKr); Nr += 1. */
static int open_next(enl_ratchet *s, uint8_t *pt, const msgview *m)
{
    uint8_t mk[KEY];
    int rc;

    kdf_ck(s->ckr, mk);
    s->nr++;
    rc = body_open(pt, mk, m);
    sodium_memzero(mk, sizeof mk);
    return rc;
}

/* TrySkippedMessageKeysHE. The tag says which entry can match, so only
 * that one header decryption is tried, not one per stored key. */
static int try_skipped(enl_ratchet *s, uint8_t *pt, const msgview *m)
{
    uint8_t t[TAG];
    header h;
    int rc;

    for (size_t i = 0; i < s->nskipped; i++) {
        enl_ratchet_skipped *e = &s->skipped[i];
        enl_ratchet_tag(t, e->hk, e->n);
        if (sodium_memcmp(t, m->prefix, TAG) != 0) continue;
        if (hdecrypt(&h, e->hk, m) != 0 || h.n != e->n) continue;
        rc = body_open(pt, e->mk, m);
        if (rc == ENL_OK) skipped_drop(s, i, 1);
        return rc;
    }
    return NO_MATCH;
}

/* DecryptHeader with HKr: a message of the current receiving chain. */
static int try_current(enl_ratchet *s, uint8_t *pt, const msgview *m)
{
    header h;
    int rc;

    if (!(s->flags & ENL_RATCHET_HAS_RECV) || hdecrypt(&h, s->hkr, m) != 0) return NO_MATCH;
    if ((rc = check_header(&h)) != ENL_OK) return rc;
    /* Below Nr with no skipped key (try_skipped found none): already read. */
    if (h.n < s->nr) return ENL_EDUPLICATE;
    if ((rc = skip_keys(s, h.n)) != ENL_OK) return rc;
    return open_next(s, pt, m);
}

/* DecryptHeader with NHKr: the peer's first message after its DH ratchet;
 * or with the header key of that chain begun again (restart_hk(NHKr), and
 * so on for each restart that has a key of its own). */
static int try_next_chain(enl_ratchet *s, uint8_t *pt, const msgview *m)
{
    uint8_t hk[KEY];
    header h;
    int rc, i;

    memcpy(hk, s->nhkr, KEY);
    for (i = 0; i <= ENL_RATCHET_RESTART_KEYS; i++) {
        if (i > 0) restart_hk(hk, hk);
        if (hdecrypt(&h, hk, m) == 0) break;
    }
    if (i > ENL_RATCHET_RESTART_KEYS) {
        sodium_memzero(hk, sizeof hk);
        return ENL_ENOTFORME;
    }
    if ((rc = check_header(&h)) == ENL_OK && (rc = skip_keys(s, h.pn)) == ENL_OK &&
        (rc = dh_ratchet(s, h.dh)) == ENL_OK) {
        memcpy(s->hkr, hk, KEY);       /* NHKr itself, or the restart's key */
        if ((rc = skip_keys(s, h.n)) == ENL_OK) rc = open_next(s, pt, m);
    }
    sodium_memzero(hk, sizeof hk);
    return rc;
}

/* ---- public functions ------------------------------------------------- */

void enl_ratchet_mark_sent(enl_ratchet *r, uint32_t n, uint32_t expiry, uint32_t window)
{
    if (r == NULL) return;
    if (expiry > r->chain_expiry) r->chain_expiry = expiry;
    /* the messages a peer can enter the chain by: its window, and its
     * checkpoints (enl_ratchet_tags) */
    if (r->restartable && (n < window || (n % ENL_RATCHET_STRIDE == 0 && n <= ENL_RATCHET_MAX_SKIP)) &&
        expiry > r->window_expiry)
        r->window_expiry = expiry;
}

int enl_ratchet_forget_expired_previous(enl_ratchet *r, uint32_t gone_before)
{
    if (r == NULL || r->pn == 0 || r->pn_expiry == 0 || r->pn_expiry >= gone_before) return 0;
    r->pn = 0;
    return 1;
}

/* The first number of a chain begun again. A restart with a header key
 * of its own starts at 0. Later ones keep the last restart's key, and
 * start where the chain they give up stopped (rounded up to a checkpoint,
 * by which the peer can enter): their tags are then not those of the
 * restart before, which a courier may have kept. Only once MAX_SKIP is
 * passed do they start at 0 again, and share tags with an earlier one. */
static uint32_t restart_first_number(const enl_ratchet *r)
{
    uint64_t from = ((uint64_t)r->ns + ENL_RATCHET_STRIDE - 1) / ENL_RATCHET_STRIDE *
                    ENL_RATCHET_STRIDE;
    if (r->restarts < ENL_RATCHET_RESTART_KEYS || from > ENL_RATCHET_MAX_SKIP) return 0;
    return (uint32_t)from;
}

/* The sending half of DHRatchetHE again, from the root key it started from:
 * KDF_RK_HE(RK before, DH(new DHs, DHr)). PN stays what it was. */
int enl_ratchet_restart_sending(enl_ratchet *r)
{
    enl_ratchet s;
    uint8_t out[KEY];
    int rc;

    if (r == NULL || !r->restartable || !(r->flags & ENL_RATCHET_HAS_RECV)) return ENL_EINVAL;
    memcpy(&s, r, sizeof s);
    /* the chain given up, in case the peer did enter it: the step's own
     * chain stays in alt[0] whatever follows, a later restart's in alt[1] */
    {
        enl_ratchet_alt *a = &s.alt[s.restarts == 0 ? 0 : 1];
        memcpy(a->rk, s.rk, KEY);
        memcpy(a->dhs_sk, s.dhs_sk, KEY);
        memcpy(a->dhs_pk, s.dhs_pk, KEY);
        memcpy(a->nhks, s.nhks, KEY);
        a->ns = s.ns;
        a->chain_expiry = s.chain_expiry;
    }
    if ((rc = generate_dh(&s, s.dhs_sk, s.dhs_pk)) == ENL_OK &&
        (rc = dh(out, s.dhs_sk, s.dhr)) == ENL_OK) {
        memcpy(s.rk, s.rk_restart, KEY);
        kdf_rk_he(s.rk, s.cks, s.nhks, out);
        /* the first restarts each move to a header key of their own, which
         * the peer derives from the key it expects; later ones keep the
         * last and number on (restart_first_number) */
        if (s.restarts < ENL_RATCHET_RESTART_KEYS) restart_hk(s.hks, s.hks);
        s.ns = 0;
        /* numbers skipped: their keys are stepped over, as the peer will */
        for (uint32_t first = restart_first_number(r); s.ns < first; s.ns++) {
            uint8_t mk[KEY];
            kdf_ck(s.cks, mk);
            sodium_memzero(mk, sizeof mk);
        }
        s.window_expiry = 0;
        s.chain_expiry = 0;     /* the abandoned chain's notes open nowhere */
        if (s.restarts == UINT32_MAX) rc = ENL_ETOOBIG;
        else s.restarts++;
    }
    if (rc == ENL_OK) memcpy(r, &s, sizeof s);
    sodium_memzero(out, sizeof out);
    sodium_memzero(&s, sizeof s);
    return rc;
}

static void init_common(enl_ratchet *r, const uint8_t *test_seed, const uint8_t sk[KEY])
{
    sodium_memzero(r, sizeof *r);
    if (test_seed != NULL) {
        r->seeded = 1;
        memcpy(r->test_seed, test_seed, KEY);
    }
    memcpy(r->rk, sk, KEY);
}

/* RatchetInitAliceHE */
static int init_alice(enl_ratchet *r, const uint8_t *test_seed, const uint8_t sk[32],
                      const uint8_t bob_dh_pk[32], const uint8_t hka[32], const uint8_t nhkb[32])
{
    uint8_t out[KEY];
    int rc;

    if (r == NULL || sk == NULL || bob_dh_pk == NULL || hka == NULL || nhkb == NULL)
        return ENL_EINVAL;
    init_common(r, test_seed, sk);
    memcpy(r->dhr, bob_dh_pk, KEY);
    if ((rc = generate_dh(r, r->dhs_sk, r->dhs_pk)) != ENL_OK) goto out;
    if ((rc = dh(out, r->dhs_sk, r->dhr)) != ENL_OK) goto out;
    kdf_rk_he(r->rk, r->cks, r->nhks, out);
    memcpy(r->hks, hka, KEY);
    memcpy(r->nhkr, nhkb, KEY);
    r->flags = ENL_RATCHET_HAS_DHR | ENL_RATCHET_HAS_SEND;
out:
    sodium_memzero(out, sizeof out);
    if (rc != ENL_OK) enl_ratchet_wipe(r);
    return rc;
}

/* RatchetInitBobHE */
static int init_bob(enl_ratchet *r, const uint8_t *test_seed, const uint8_t sk[32],
                    const uint8_t bob_dh_sk[32], const uint8_t bob_dh_pk[32],
                    const uint8_t hka[32], const uint8_t nhkb[32])
{
    uint8_t pk[KEY];
    int rc = ENL_EINVAL;

    if (r == NULL || sk == NULL || bob_dh_sk == NULL || bob_dh_pk == NULL || hka == NULL ||
        nhkb == NULL)
        return ENL_EINVAL;
    init_common(r, test_seed, sk);
    if (crypto_scalarmult_base(pk, bob_dh_sk) != 0 || sodium_memcmp(pk, bob_dh_pk, KEY) != 0)
        goto out;
    memcpy(r->dhs_sk, bob_dh_sk, KEY);
    memcpy(r->dhs_pk, bob_dh_pk, KEY);
    memcpy(r->nhks, nhkb, KEY);
    memcpy(r->nhkr, hka, KEY);
    rc = ENL_OK;
out:
    if (rc != ENL_OK) enl_ratchet_wipe(r);
    return rc;
}

int enl_ratchet_init_alice(enl_ratchet *r, const uint8_t sk[32], const uint8_t bob_dh_pk[32],
                           const uint8_t shared_hka[32], const uint8_t shared_nhkb[32])
{
    return init_alice(r, NULL, sk, bob_dh_pk, shared_hka, shared_nhkb);
}

int enl_ratchet_init_alice_seeded(enl_ratchet *r, const uint8_t test_seed[32],
                                  const uint8_t sk[32], const uint8_t bob_dh_pk[32],
                                  const uint8_t shared_hka[32], const uint8_t shared_nhkb[32])
{
    if (test_seed == NULL) return ENL_EINVAL;
    return init_alice(r, test_seed, sk, bob_dh_pk, shared_hka, shared_nhkb);
}

int enl_ratchet_init_bob(enl_ratchet *r, const uint8_t sk[32], const uint8_t bob_dh_sk[32],
                         const uint8_t bob_dh_pk[32], const uint8_t shared_hka[32],
                         const uint8_t shared_nhkb[32])
{
    return init_bob(r, NULL, sk, bob_dh_sk, bob_dh_pk, shared_hka, shared_nhkb);
}

int enl_ratchet_init_bob_seeded(enl_ratchet *r, const uint8_t test_seed[32],
                                const uint8_t sk[32], const uint8_t bob_dh_sk[32],
                                const uint8_t bob_dh_pk[32], const uint8_t shared_hka[32],
                                const uint8_t shared_nhkb[32])
{
    if (test_seed == NULL) return ENL_EINVAL;
    return init_bob(r, test_seed, sk, bob_dh_sk, bob_dh_pk, shared_hka, shared_nhkb);
}

size_t enl_ratchet_overhead(void)
{
    return ENL_RATCHET_OVERHEAD;
}

/* RatchetEncryptHE. The state changes only once nothing can fail. */
int enl_ratchet_encrypt(enl_ratchet *r, uint8_t *out, size_t out_len, const uint8_t *ad,
                        size_t ad_len, const uint8_t *pt, size_t pt_len)
{
    uint8_t ck[KEY], mk[KEY];
    header h;

    if (r == NULL || out == NULL || (ad == NULL && ad_len > 0) || (pt == NULL && pt_len > 0))
        return ENL_EINVAL;
    if (ad_len > ENL_RATCHET_AD_MAX || pt_len > SIZE_MAX - ENL_RATCHET_OVERHEAD ||
        out_len != pt_len + ENL_RATCHET_OVERHEAD || !(r->flags & ENL_RATCHET_HAS_SEND))
        return ENL_EINVAL;
    if (r->ns == UINT32_MAX) return ENL_ETOOBIG;
    memcpy(ck, r->cks, KEY);
    kdf_ck(ck, mk);
    memcpy(h.dh, r->dhs_pk, KEY);
    h.pn = r->pn;
    h.n = r->ns;
    enl_ratchet_tag(out, r->hks, r->ns);
    hencrypt(out + TAG, r->hks, out, &h);
    body_seal(out + PREFIX, mk, ad, ad_len, out, pt, pt_len);
    memcpy(r->cks, ck, KEY);
    r->ns++;
    sodium_memzero(ck, sizeof ck);
    sodium_memzero(mk, sizeof mk);
    return ENL_OK;
}

int enl_ratchet_next_purge_key(const enl_ratchet *r, uint8_t key[32])
{
    uint8_t ck[KEY], mk[KEY];

    if (r == NULL || key == NULL || !(r->flags & ENL_RATCHET_HAS_SEND)) return ENL_EINVAL;
    memcpy(ck, r->cks, KEY);
    kdf_ck(ck, mk);
    purge_key(key, mk);
    sodium_memzero(ck, sizeof ck);
    sodium_memzero(mk, sizeof mk);
    return ENL_OK;
}

/* RatchetDecryptHE, on a copy committed only on success. */
int enl_ratchet_decrypt(enl_ratchet *r, uint8_t *pt, size_t *pt_len, const uint8_t *ad,
                        size_t ad_len, const uint8_t *msg, size_t msg_len, uint8_t purge[32])
{
    enl_ratchet s;
    msgview m;
    int rc;

    if (r == NULL || pt == NULL || pt_len == NULL || msg == NULL || (ad == NULL && ad_len > 0) ||
        ad_len > ENL_RATCHET_AD_MAX)
        return ENL_EINVAL;
    if (msg_len < ENL_RATCHET_OVERHEAD) return ENL_EMALFORMED;
    m = (msgview){ ad, ad_len, msg, msg + TAG, msg + PREFIX, msg_len - PREFIX, purge };
    memcpy(&s, r, sizeof s);
    rc = try_skipped(&s, pt, &m);
    if (rc == NO_MATCH) rc = try_current(&s, pt, &m);
    if (rc == NO_MATCH) rc = try_next_chain(&s, pt, &m);
    /* The peer's next chain, whose body does not open from my chain begun
     * again: it may answer a chain I abandoned (the peer had entered it
     * after all). Then that one is mine again. */
    for (uint32_t i = 0; rc == ENL_EDECRYPT && i < ENL_RATCHET_ALTS && i < r->restarts; i++) {
        const enl_ratchet_alt *a = &r->alt[i];
        memcpy(&s, r, sizeof s);
        memcpy(s.rk, a->rk, KEY);
        memcpy(s.dhs_sk, a->dhs_sk, KEY);
        memcpy(s.dhs_pk, a->dhs_pk, KEY);
        memcpy(s.nhks, a->nhks, KEY);
        s.ns = a->ns;
        s.chain_expiry = a->chain_expiry;
        if (try_next_chain(&s, pt, &m) == ENL_OK) rc = ENL_OK;
    }
    if (rc != ENL_OK) goto out;
    memcpy(r, &s, sizeof s);
    *pt_len = m.body_len - ENL_RATCHET_MACBYTES;
out:
    sodium_memzero(&s, sizeof s);
    return rc;
}

static void tag_direct(void *ctx, uint8_t tag[ENL_RATCHET_TAGBYTES], const uint8_t hk[KEY],
                       uint32_t n)
{
    (void)ctx;
    enl_ratchet_tag(tag, hk, n);
}

/* The tags of hk's numbers from `from` to `last` (both included) that are
 * multiples of ENL_RATCHET_STRIDE, after the k tags already written. */
static size_t checkpoints(uint8_t (*tags)[ENL_RATCHET_TAGBYTES], size_t k, size_t max,
                          const uint8_t hk[KEY], uint64_t from, uint64_t last,
                          enl_ratchet_tag_fn fn, void *ctx)
{
    if (last >= UINT32_MAX) last = UINT32_MAX - 1;      /* N = 2^32 - 1 is never accepted */
    for (uint64_t n = (from + ENL_RATCHET_STRIDE - 1) / ENL_RATCHET_STRIDE * ENL_RATCHET_STRIDE;
         n <= last && k < max; n += ENL_RATCHET_STRIDE)
        fn(ctx, tags[k++], hk, (uint32_t)n);
    return k;
}

size_t enl_ratchet_tags(const enl_ratchet *r, uint8_t (*tags)[ENL_RATCHET_TAGBYTES], size_t max,
                        uint32_t window)
{
    return enl_ratchet_tags_with(r, tags, max, window, tag_direct, NULL);
}

size_t enl_ratchet_tags_with(const enl_ratchet *r, uint8_t (*tags)[ENL_RATCHET_TAGBYTES],
                             size_t max, uint32_t window, enl_ratchet_tag_fn fn, void *ctx)
{
    size_t k = 0;
    uint32_t i;

    if (r == NULL || tags == NULL || fn == NULL) return 0;
    if (r->flags & ENL_RATCHET_HAS_RECV)   /* N = 2^32-1 is never accepted */
        for (i = 0; i < window && k < max && (uint64_t)r->nr + i < UINT32_MAX; i++)
            fn(ctx, tags[k++], r->hkr, r->nr + i);
    for (i = 0; i < window && k < max; i++) fn(ctx, tags[k++], r->nhkr, i);
    if (!sodium_is_zero(r->nhkr, KEY)) {      /* that chain begun again */
        uint8_t rhk[KEY];
        memcpy(rhk, r->nhkr, KEY);
        for (int j = 0; j < ENL_RATCHET_RESTART_KEYS; j++) {
            restart_hk(rhk, rhk);
            for (i = 0; i < window && k < max; i++) fn(ctx, tags[k++], rhk, i);
        }
        sodium_memzero(rhk, sizeof rhk);
    }
    for (size_t j = 0; j < r->nskipped && k < max; j++)
        fn(ctx, tags[k++], r->skipped[j].hk, r->skipped[j].n);
    if (window == 0) return k;                  /* no window: no checkpoints past it */
    if (r->flags & ENL_RATCHET_HAS_RECV)
        k = checkpoints(tags, k, max, r->hkr, (uint64_t)r->nr + window,
                        (uint64_t)r->nr + ENL_RATCHET_MAX_SKIP, fn, ctx);
    if (!sodium_is_zero(r->nhkr, KEY)) {
        uint8_t rhk[KEY];
        k = checkpoints(tags, k, max, r->nhkr, window, ENL_RATCHET_MAX_SKIP, fn, ctx);
        memcpy(rhk, r->nhkr, KEY);      /* the same chain begun again */
        for (int j = 0; j < ENL_RATCHET_RESTART_KEYS; j++) {
            restart_hk(rhk, rhk);
            k = checkpoints(tags, k, max, rhk, window, ENL_RATCHET_MAX_SKIP, fn, ctx);
        }
        sodium_memzero(rhk, sizeof rhk);
    }
    return k;
}

int enl_ratchet_can_send_without_init(const enl_ratchet *r)
{
    /* HAS_RECV is set only by a DH ratchet step, which only a decrypted
     * message from the peer commits. */
    return r != NULL && (r->flags & ENL_RATCHET_HAS_RECV) != 0;
}

/* ---- storage ---------------------------------------------------------- */

size_t enl_ratchet_serialized_len(const enl_ratchet *r)
{
    return ENL_RATCHET_SERIAL_FIXED + (size_t)r->nskipped * ENL_RATCHET_SKIPPEDBYTES +
           ENL_RATCHET_SERIAL_TRAILER;
}

/* The ten 32-byte keys, in serialized order. */
#define KEYS(r) { (r)->dhs_sk, (r)->dhs_pk, (r)->dhr, (r)->rk, (r)->cks, (r)->ckr, \
                  (r)->hks, (r)->hkr, (r)->nhks, (r)->nhkr }

int enl_ratchet_serialize(uint8_t *out, size_t out_len, const enl_ratchet *r)
{
    enl_wr w;

    if (out == NULL || r == NULL || r->nskipped > ENL_RATCHET_MAX_SKIPPED) return ENL_EINVAL;
    if (out_len != enl_ratchet_serialized_len(r)) return ENL_EBUFSIZE;
    const uint8_t *keys[] = KEYS(r);
    w = enl_wr_init(out, out_len);
    enl_wr_u8(&w, ENL_RATCHET_VERSION);
    enl_wr_u8(&w, r->flags);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) enl_wr_bytes(&w, keys[i], KEY);
    enl_wr_u32(&w, r->ns);
    enl_wr_u32(&w, r->nr);
    enl_wr_u32(&w, r->pn);
    enl_wr_u32(&w, r->step);
    enl_wr_u16(&w, (uint16_t)r->nskipped);
    for (size_t i = 0; i < r->nskipped; i++) {
        enl_wr_bytes(&w, r->skipped[i].hk, KEY);
        enl_wr_u32(&w, r->skipped[i].n);
        enl_wr_u32(&w, r->skipped[i].step);
        enl_wr_bytes(&w, r->skipped[i].mk, KEY);
    }
    enl_wr_u8(&w, r->restartable);
    enl_wr_bytes(&w, r->rk_restart, KEY);
    enl_wr_u32(&w, r->window_expiry);
    enl_wr_u32(&w, r->restarts);
    enl_wr_u32(&w, r->chain_expiry);
    enl_wr_u32(&w, r->pn_expiry);
    for (size_t i = 0; i < ENL_RATCHET_ALTS; i++) {
        enl_wr_bytes(&w, r->alt[i].rk, KEY);
        enl_wr_bytes(&w, r->alt[i].dhs_sk, KEY);
        enl_wr_bytes(&w, r->alt[i].dhs_pk, KEY);
        enl_wr_bytes(&w, r->alt[i].nhks, KEY);
        enl_wr_u32(&w, r->alt[i].ns);
        enl_wr_u32(&w, r->alt[i].chain_expiry);
    }
    return (w.err || w.len != out_len) ? ENL_EINVAL : ENL_OK;
}

/* Keys that are None must be zeros, so that a state has one encoding. */
static int check_absent(const enl_ratchet *r)
{
    uint8_t f = r->flags;
    if (!(f & ENL_RATCHET_HAS_DHR) && !sodium_is_zero(r->dhr, KEY)) return -1;
    if (!(f & ENL_RATCHET_HAS_SEND) &&
        (!sodium_is_zero(r->cks, KEY) || !sodium_is_zero(r->hks, KEY) || r->ns || r->pn))
        return -1;
    if (!(f & ENL_RATCHET_HAS_RECV) && (!sodium_is_zero(r->ckr, KEY) ||
                                        !sodium_is_zero(r->hkr, KEY) || r->nr || r->step ||
                                        r->nskipped))
        return -1;
    /* expiries only of chains that exist */
    if ((!(f & ENL_RATCHET_HAS_SEND) && r->chain_expiry) || (!(f & ENL_RATCHET_HAS_RECV) && r->pn_expiry))
        return -1;
    /* restartable only after a DH ratchet step; else nothing of it */
    if (r->restartable > 1 || (r->restartable && !(f & ENL_RATCHET_HAS_RECV)) ||
        (!r->restartable && (!sodium_is_zero(r->rk_restart, KEY) || r->window_expiry ||
                             r->restarts)))
        return -1;
    return 0;
}

/* Only states this module can reach: Bob starts with no flag, Alice with
 * DHR | SEND, and the first DH ratchet step sets all three. */
static int check_state(const enl_ratchet *r)
{
    uint8_t pk[KEY], f = r->flags;
    uint32_t prev = 0;

    if (f != 0 && f != (ENL_RATCHET_HAS_DHR | ENL_RATCHET_HAS_SEND) &&
        f != (ENL_RATCHET_HAS_DHR | ENL_RATCHET_HAS_SEND | ENL_RATCHET_HAS_RECV))
        return ENL_EMALFORMED;
    if (check_absent(r) != 0 || ((f & ENL_RATCHET_HAS_RECV) && r->step == 0))
        return ENL_EMALFORMED;
    for (size_t i = 0; i < r->nskipped; i++) {
        const enl_ratchet_skipped *e = &r->skipped[i];
        if (e->step < prev || e->step > r->step || r->step - e->step > ENL_RATCHET_MAX_AGE)
            return ENL_EMALFORMED;
        prev = e->step;
    }
    if (crypto_scalarmult_base(pk, r->dhs_sk) != 0 || sodium_memcmp(pk, r->dhs_pk, KEY) != 0)
        return ENL_EMALFORMED;
    /* alt[i] exactly while more than i restarts stand */
    for (uint32_t i = 0; i < ENL_RATCHET_ALTS; i++) {
        const enl_ratchet_alt *a = &r->alt[i];
        if (r->restarts <= i) {
            if (!sodium_is_zero((const uint8_t *)a, sizeof *a)) return ENL_EMALFORMED;
        } else if (crypto_scalarmult_base(pk, a->dhs_sk) != 0 ||
                   sodium_memcmp(pk, a->dhs_pk, KEY) != 0) {
            return ENL_EMALFORMED;
        }
    }
    return ENL_OK;
}

int enl_ratchet_parse(enl_ratchet *r, const uint8_t *in, size_t len)
{
    enl_rd d;
    int rc = ENL_EMALFORMED, version;

    if (r == NULL || (in == NULL && len > 0)) return ENL_EINVAL;
    sodium_memzero(r, sizeof *r);
    uint8_t *keys[] = KEYS(r);
    d = enl_rd_init(in, len);
    if (len > 0 && in[0] != 1 && in[0] != ENL_RATCHET_VERSION) { rc = ENL_EVERSION; goto out; }
    version = enl_rd_u8(&d);
    r->flags = enl_rd_u8(&d);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) enl_rd_bytes(&d, keys[i], KEY);
    r->ns = enl_rd_u32(&d);
    r->nr = enl_rd_u32(&d);
    r->pn = enl_rd_u32(&d);
    r->step = enl_rd_u32(&d);
    r->nskipped = enl_rd_u16(&d);
    if (d.err || r->nskipped > ENL_RATCHET_MAX_SKIPPED ||
        enl_rd_left(&d) != (size_t)r->nskipped * ENL_RATCHET_SKIPPEDBYTES +
                               (version >= 2 ? ENL_RATCHET_SERIAL_TRAILER : 0))
        goto out;
    for (size_t i = 0; i < r->nskipped; i++) {
        enl_rd_bytes(&d, r->skipped[i].hk, KEY);
        r->skipped[i].n = enl_rd_u32(&d);
        r->skipped[i].step = enl_rd_u32(&d);
        enl_rd_bytes(&d, r->skipped[i].mk, KEY);
    }
    if (version >= 2) {
        r->restartable = enl_rd_u8(&d);
        enl_rd_bytes(&d, r->rk_restart, KEY);
        r->window_expiry = enl_rd_u32(&d);
        r->restarts = enl_rd_u32(&d);
        r->chain_expiry = enl_rd_u32(&d);
        r->pn_expiry = enl_rd_u32(&d);
        for (size_t i = 0; i < ENL_RATCHET_ALTS; i++) {
            enl_rd_bytes(&d, r->alt[i].rk, KEY);
            enl_rd_bytes(&d, r->alt[i].dhs_sk, KEY);
            enl_rd_bytes(&d, r->alt[i].dhs_pk, KEY);
            enl_rd_bytes(&d, r->alt[i].nhks, KEY);
            r->alt[i].ns = enl_rd_u32(&d);
            r->alt[i].chain_expiry = enl_rd_u32(&d);
        }
    } else {
        /* what was sealed before: its expiries unknown, never forgotten */
        if ((r->flags & ENL_RATCHET_HAS_SEND) && r->ns > 0) r->chain_expiry = UINT32_MAX;
        if ((r->flags & ENL_RATCHET_HAS_RECV) && r->pn > 0) r->pn_expiry = UINT32_MAX;
    }
    rc = (d.err || enl_rd_left(&d) != 0) ? ENL_EMALFORMED : check_state(r);
out:
    if (rc != ENL_OK) enl_ratchet_wipe(r);
    return rc;
}

void enl_ratchet_wipe(enl_ratchet *r)
{
    if (r != NULL) sodium_memzero(r, sizeof *r);
}
