/* Sender-key chains for cells; see senderkey.h. */
#include <sodium.h>
#include <string.h>

#include "crypto/senderkey.h"
#include "util/bytes.h"

/* 2: the count of skipped keys is a u16 (a jump keeps up to 1,055); 1 (a u8)
 * is still read */
#define SK_VERSION 2

static void kdf(uint8_t *out, size_t out_len, const uint8_t key[32], const char *label)
{
    crypto_generichash(out, out_len, (const uint8_t *)label, strlen(label), key, 32);
}

static void message_key(uint8_t mk[32], const uint8_t chain[32]) { kdf(mk, 32, chain, "enlace sk msg"); }
static void chain_next(uint8_t chain[32])
{
    uint8_t n[32];
    kdf(n, 32, chain, "enlace sk chain");
    memcpy(chain, n, 32);
    sodium_memzero(n, sizeof n);
}
/* The tag names the signing key too: every member holds every chain, and
 * one who handed out another's chain under a signing key of their own
 * would otherwise take over its tags (a tag leads to one key row) and
 * silence them. */
static void tag_of(uint8_t tag[ENL_SK_TAGBYTES], const uint8_t mk[32], const uint8_t sign_pk[32])
{
    static const char label[] = "enlace sk tag v2";
    crypto_generichash_state st;
    crypto_generichash_init(&st, mk, 32, ENL_SK_TAGBYTES);
    crypto_generichash_update(&st, (const uint8_t *)label, sizeof label - 1);
    crypto_generichash_update(&st, sign_pk, 32);
    crypto_generichash_final(&st, tag, ENL_SK_TAGBYTES);
    sodium_memzero(&st, sizeof st);
}

int enl_senderkey_generate(enl_senderkey *k)
{
    memset(k, 0, sizeof *k);
    randombytes_buf(k->chain, sizeof k->chain);
    k->own = 1;
    return crypto_sign_keypair(k->sign_pk, k->sign_sk) == 0 ? ENL_OK : ENL_ECRYPTO;
}

void enl_senderkey_wipe(enl_senderkey *k) { sodium_memzero(k, sizeof *k); }

void enl_senderkey_share(uint8_t out[ENL_SK_SHAREBYTES], const enl_senderkey *k)
{
    memcpy(out, k->chain, 32);
    enl_store_be32(out + 32, k->next);
    memcpy(out + 36, k->sign_pk, 32);
}

static void owner_mac(uint8_t proof[ENL_SK_PROOFBYTES], const uint8_t dh[32], const uint8_t sign_pk[32],
                      const enl_sk_owner *o)
{
    static const char ctx[] = "enlace sender key owner v1";
    crypto_generichash_state st;
    crypto_generichash_init(&st, dh, 32, ENL_SK_PROOFBYTES);
    crypto_generichash_update(&st, (const uint8_t *)ctx, sizeof ctx);
    crypto_generichash_update(&st, o->cell_id, 32);
    crypto_generichash_update(&st, o->key_id, 32);
    crypto_generichash_update(&st, sign_pk, 32);
    crypto_generichash_update(&st, o->owner_sign_pk, 32);
    crypto_generichash_update(&st, o->owner_dh_pk, 32);
    crypto_generichash_update(&st, o->receiver_dh_pk, 32);
    crypto_generichash_final(&st, proof, ENL_SK_PROOFBYTES);
    sodium_memzero(&st, sizeof st);
}

int enl_senderkey_prove(uint8_t proof[ENL_SK_PROOFBYTES], const enl_senderkey *k,
                        const enl_sk_owner *o)
{
    uint8_t x[32], dh[32];
    int rc = ENL_OK;
    if (!k->own) return ENL_EINVAL;
    if (crypto_sign_ed25519_sk_to_curve25519(x, k->sign_sk) != 0 ||
        crypto_scalarmult(dh, x, o->receiver_dh_pk) != 0)
        rc = ENL_EINVAL;
    if (rc == ENL_OK) owner_mac(proof, dh, k->sign_pk, o);
    sodium_memzero(x, sizeof x);
    sodium_memzero(dh, sizeof dh);
    return rc;
}

int enl_senderkey_check_owner(const uint8_t proof[ENL_SK_PROOFBYTES], const uint8_t sign_pk[32],
                              const enl_sk_owner *o, const uint8_t receiver_dh_sk[32])
{
    uint8_t x[32], dh[32], want[ENL_SK_PROOFBYTES];
    int rc = ENL_ESIG;
    if (crypto_sign_ed25519_pk_to_curve25519(x, sign_pk) == 0 &&
        crypto_scalarmult(dh, receiver_dh_sk, x) == 0) {
        owner_mac(want, dh, sign_pk, o);
        if (sodium_memcmp(want, proof, sizeof want) == 0) rc = ENL_OK;
    }
    sodium_memzero(dh, sizeof dh);
    sodium_memzero(want, sizeof want);
    return rc;
}

int enl_senderkey_from_share(enl_senderkey *k, const uint8_t *in, size_t len)
{
    if (len != ENL_SK_SHAREBYTES) return ENL_EMALFORMED;
    memset(k, 0, sizeof *k);
    memcpy(k->chain, in, 32);
    k->next = enl_load_be32(in + 32);
    memcpy(k->sign_pk, in + 36, 32);
    return ENL_OK;
}

size_t enl_senderkey_serialize(uint8_t out[ENL_SK_SERIALIZED_MAX], const enl_senderkey *k)
{
    enl_wr w = enl_wr_init(out, ENL_SK_SERIALIZED_MAX);
    enl_wr_u8(&w, SK_VERSION);
    enl_wr_bytes(&w, k->chain, 32);
    enl_wr_u32(&w, k->next);
    enl_wr_bytes(&w, k->sign_pk, 32);
    enl_wr_u8(&w, k->own);
    if (k->own) enl_wr_bytes(&w, k->sign_sk, 64);
    enl_wr_u16(&w, (uint16_t)k->nskipped);
    for (uint32_t i = 0; i < k->nskipped; i++) {
        enl_wr_u32(&w, k->skipped[i].iter);
        enl_wr_bytes(&w, k->skipped[i].mk, 32);
    }
    return w.len;
}

int enl_senderkey_parse(enl_senderkey *k, const uint8_t *in, size_t len)
{
    enl_rd r = enl_rd_init(in, len);
    uint8_t version;
    memset(k, 0, sizeof *k);
    version = enl_rd_u8(&r);
    if (version != 1 && version != SK_VERSION) return ENL_EVERSION;
    enl_rd_bytes(&r, k->chain, 32);
    k->next = enl_rd_u32(&r);
    enl_rd_bytes(&r, k->sign_pk, 32);
    k->own = enl_rd_u8(&r);
    if (k->own > 1) return ENL_EMALFORMED;
    if (k->own) enl_rd_bytes(&r, k->sign_sk, 64);
    k->nskipped = version == 1 ? enl_rd_u8(&r) : enl_rd_u16(&r);
    if (k->nskipped > ENL_SK_SKIP_MAX) return ENL_EMALFORMED;
    for (uint32_t i = 0; i < k->nskipped; i++) {
        k->skipped[i].iter = enl_rd_u32(&r);
        enl_rd_bytes(&r, k->skipped[i].mk, 32);
    }
    if (r.err || enl_rd_left(&r) != 0) {
        sodium_memzero(k, sizeof *k);
        return ENL_EMALFORMED;
    }
    return ENL_OK;
}

/* Walks chain (at iteration from, not changed) up to iteration to
 * (excluded), looking for tag at the iterations from list_from on: every
 * one below first_checkpoint, then every ENL_SK_STRIDE-th. 1 and *at when
 * found. With tags != NULL it lists those tags instead (*n of them, at
 * most max) and finds nothing. */
static int walk(const uint8_t chain0[32], uint32_t from, uint64_t to, uint64_t list_from,
                uint64_t first_checkpoint, const uint8_t sign_pk[32], const uint8_t *tag,
                uint32_t *at, uint8_t (*tags)[ENL_SK_TAGBYTES], size_t *n, size_t max)
{
    uint8_t chain[32], mk[32], t[ENL_SK_TAGBYTES];
    int found = 0;
    if (to > (uint64_t)UINT32_MAX) to = UINT32_MAX;     /* a chain ends at 2^32 - 1 */
    memcpy(chain, chain0, 32);
    for (uint64_t i = from; i < to && !found; i++) {
        if (i >= list_from && (i < first_checkpoint || i % ENL_SK_STRIDE == 0)) {
            message_key(mk, chain);
            if (tags != NULL) {
                if (*n >= max) break;
                tag_of(tags[(*n)++], mk, sign_pk);
            } else {
                tag_of(t, mk, sign_pk);
                if (sodium_memcmp(t, tag, ENL_SK_TAGBYTES) == 0) {
                    *at = (uint32_t)i;
                    found = 1;
                }
            }
        }
        chain_next(chain);
    }
    sodium_memzero(chain, sizeof chain);
    sodium_memzero(mk, sizeof mk);
    return found;
}

size_t enl_senderkey_tags(const enl_senderkey *k, uint8_t (*tags)[ENL_SK_TAGBYTES], size_t max)
{
    uint64_t window = (uint64_t)k->next + ENL_SK_WINDOW;
    size_t n = 0;
    for (uint32_t i = 0; i < k->nskipped && n < max; i++)
        tag_of(tags[n++], k->skipped[i].mk, k->sign_pk);
    (void)walk(k->chain, k->next, window, k->next, window, k->sign_pk, NULL, NULL, tags, &n, max);
    if (!k->own)
        (void)walk(k->chain, k->next, window + ENL_SK_AHEAD, window, window, k->sign_pk, NULL,
                   NULL, tags, &n, max);
    return n;
}

static void sig_input(crypto_sign_state *st, const uint8_t *ad, size_t ad_len, const uint8_t *tag,
                      const uint8_t *pt, size_t pt_len)
{
    static const char ctx[] = "enlace sender key v1";
    crypto_sign_init(st);
    crypto_sign_update(st, (const uint8_t *)ctx, sizeof ctx);
    crypto_sign_update(st, ad, ad_len);
    crypto_sign_update(st, tag, ENL_SK_TAGBYTES);
    crypto_sign_update(st, pt, pt_len);
}

/* AD of the AEAD: the note header, then the tag. */
static int aead_ad(uint8_t *buf, size_t max, const uint8_t *ad, size_t ad_len, const uint8_t *tag)
{
    if (ad_len + ENL_SK_TAGBYTES > max) return ENL_ETOOBIG;
    memcpy(buf, ad, ad_len);
    memcpy(buf + ad_len, tag, ENL_SK_TAGBYTES);
    return ENL_OK;
}

int enl_senderkey_encrypt(enl_senderkey *k, uint8_t *out, const uint8_t *ad, size_t ad_len,
                          const uint8_t *pt, size_t pt_len)
{
    static const uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
    uint8_t mk[32], key[32], adbuf[128], *tag = out, *sealed = out + ENL_SK_TAGBYTES;
    crypto_sign_state st;
    int rc;

    if (!k->own) return ENL_EINVAL;
    message_key(mk, k->chain);
    tag_of(tag, mk, k->sign_pk);
    if ((rc = aead_ad(adbuf, sizeof adbuf, ad, ad_len, tag)) != ENL_OK) {
        sodium_memzero(mk, sizeof mk);
        return rc;
    }
    kdf(key, 32, mk, "enlace sk key");
    /* signature || payload, sealed in place */
    sig_input(&st, ad, ad_len, tag, pt, pt_len);
    crypto_sign_final_create(&st, sealed, NULL, k->sign_sk);
    memmove(sealed + 64, pt, pt_len);
    crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, NULL, sealed, 64 + pt_len, adbuf,
                                               ad_len + ENL_SK_TAGBYTES, NULL, nonce, key);
    chain_next(k->chain);
    k->next++;
    sodium_memzero(mk, sizeof mk);
    sodium_memzero(key, sizeof key);
    return ENL_OK;
}

/* Moves the chain on to iteration at, keeping the key of every iteration
 * passed over as skipped (the oldest given up first past the cap, in one
 * move), then takes at's key into mk and moves past it. */
static void take(enl_senderkey *k, uint32_t at, uint8_t mk[32])
{
    uint32_t count = at - k->next, lose = 0;
    if (k->nskipped + count > ENL_SK_SKIP_MAX) {
        uint32_t drop = k->nskipped + count - ENL_SK_SKIP_MAX;
        if (drop > k->nskipped) {       /* the oldest of those passed over go too */
            lose = drop - k->nskipped;
            drop = k->nskipped;
        }
        memmove(&k->skipped[0], &k->skipped[drop], (k->nskipped - drop) * sizeof k->skipped[0]);
        k->nskipped -= drop;
        sodium_memzero(&k->skipped[k->nskipped], drop * sizeof k->skipped[0]);
    }
    for (uint32_t i = 0; k->next < at; k->next++, i++) {
        if (i >= lose) {
            message_key(mk, k->chain);
            k->skipped[k->nskipped].iter = k->next;
            memcpy(k->skipped[k->nskipped++].mk, mk, 32);
        }
        chain_next(k->chain);
    }
    message_key(mk, k->chain);
    chain_next(k->chain);
    k->next++;
}

/* The message key for tag: from the skipped ones (removed), from the
 * window, or from a checkpoint past the window (a jump). Works on k. */
static int find_key(enl_senderkey *k, const uint8_t *tag, uint8_t mk[32])
{
    uint64_t window = (uint64_t)k->next + ENL_SK_WINDOW;
    uint8_t t[ENL_SK_TAGBYTES];
    uint32_t at;

    for (uint32_t i = 0; i < k->nskipped; i++) {
        tag_of(t, k->skipped[i].mk, k->sign_pk);
        if (sodium_memcmp(t, tag, ENL_SK_TAGBYTES) == 0) {
            /* removed in place: the others keep their order (oldest
             * first, which the cap relies on), and no copy of the used
             * key stays behind the entries in use */
            memcpy(mk, k->skipped[i].mk, 32);
            memmove(&k->skipped[i], &k->skipped[i + 1],
                    (k->nskipped - i - 1) * sizeof k->skipped[0]);
            k->nskipped--;
            sodium_memzero(&k->skipped[k->nskipped], sizeof k->skipped[0]);
            return ENL_OK;
        }
    }
    /* the window, then (not in one's own key) the checkpoints past it */
    if (walk(k->chain, k->next, k->own ? window : window + ENL_SK_AHEAD, k->next, window,
             k->sign_pk, tag, &at, NULL, NULL, 0)) {
        take(k, at, mk);
        return ENL_OK;
    }
    sodium_memzero(mk, 32);
    return ENL_ENOTFORME;
}

int enl_senderkey_decrypt(enl_senderkey *k, uint8_t *pt, const uint8_t *ad, size_t ad_len,
                          const uint8_t *in, size_t in_len)
{
    static const uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
    enl_senderkey work;
    uint8_t mk[32], key[32], adbuf[128], *buf;
    crypto_sign_state st;
    size_t sealed_len, pt_len;
    int rc;

    if (in_len < ENL_SK_OVERHEAD) return ENL_EMALFORMED;
    if ((rc = aead_ad(adbuf, sizeof adbuf, ad, ad_len, in)) != ENL_OK) return rc;
    sealed_len = in_len - ENL_SK_TAGBYTES;
    pt_len = in_len - ENL_SK_OVERHEAD;
    memcpy(&work, k, sizeof work);
    if ((rc = find_key(&work, in, mk)) != ENL_OK) goto out;
    kdf(key, 32, mk, "enlace sk key");
    if ((buf = sodium_malloc(sealed_len)) == NULL) { rc = ENL_ENOMEM; goto out; }
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(buf, NULL, NULL, in + ENL_SK_TAGBYTES,
                                                   sealed_len, adbuf, ad_len + ENL_SK_TAGBYTES,
                                                   nonce, key) != 0) {
        rc = ENL_EDECRYPT;
    } else {
        sig_input(&st, ad, ad_len, in, buf + 64, pt_len);
        if (crypto_sign_final_verify(&st, buf, work.sign_pk) != 0) {
            rc = ENL_ESIG;
        } else {
            memcpy(pt, buf + 64, pt_len);
            memcpy(k, &work, sizeof work);
        }
    }
    sodium_free(buf);
out:
    sodium_memzero(&work, sizeof work);
    sodium_memzero(mk, sizeof mk);
    sodium_memzero(key, sizeof key);
    return rc;
}
