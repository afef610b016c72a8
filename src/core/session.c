/* Loading and saving sessions, and keeping their recognition tags; see session.h. */
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/session.h"
#include "core/tagcache.h"
#include "util/bytes.h"
#include "util/secmem.h"

#define SESSION_VERSION 1
#define SESSION_FIXED (1 + 1 + 32 + 32 + 4 + 32)
/* Windows and checkpoints of HKr, NHKr and each restart key of NHKr, and
 * the skipped keys. */
#define TAG_CHAINS (2 + ENL_RATCHET_RESTART_KEYS)
#define TAGS_MAX (TAG_CHAINS * (ENL_SESSION_WINDOW + ENL_RATCHET_CHECKPOINTS_MAX) + \
                  ENL_RATCHET_MAX_SKIPPED)

/* The last ratchet state of a few sessions, as parsed, with the exact
 * bytes it was parsed from or saved as. Parsing checks the stored key pair
 * with a fixed-base X25519, as dear as the rest of sealing a note; the
 * same bytes always parse to the same state, so a load whose bytes match
 * takes the state from here. One slot per session, overwritten by each of
 * its states and wiped when it is forgotten, so no state older than the
 * stored one stays in memory (its used keys must be gone). In locked
 * memory, wiped when the profile closes. */
#define MEMO_SLOTS 4

struct enl_session_memo {
    unsigned next;
    struct {
        uint8_t h[32];
        size_t len;               /* 0: empty */
        uint8_t bytes[ENL_RATCHET_SERIAL_MAX];
        enl_ratchet r;
    } e[MEMO_SLOTS];
};

static struct enl_session_memo *memo(enl_profile *p)
{
    if (p->session_memo == NULL && (p->session_memo = sodium_malloc(sizeof *p->session_memo)) != NULL)
        sodium_memzero(p->session_memo, sizeof *p->session_memo);
    return p->session_memo;
}

static int memo_find(const struct enl_session_memo *m, const uint8_t h[32])
{
    for (int i = 0; i < MEMO_SLOTS; i++)
        if (m->e[i].len > 0 && sodium_memcmp(m->e[i].h, h, 32) == 0) return i;
    return -1;
}

/* Keeps r (parsed from, or serialized as, bytes) as session h's state. */
static void memo_put(enl_profile *p, const uint8_t h[32], const uint8_t *bytes, size_t len,
                     const enl_ratchet *r)
{
    struct enl_session_memo *m = memo(p);
    int i;
    if (m == NULL) return;
    if (len == 0 || len > sizeof m->e[0].bytes) {
        if ((i = memo_find(m, h)) >= 0) sodium_memzero(&m->e[i], sizeof m->e[i]);
        return;
    }
    if ((i = memo_find(m, h)) < 0) {
        i = (int)m->next;
        m->next = (m->next + 1) % MEMO_SLOTS;
    }
    /* Whatever of the slot's previous state the new one does not cover
     * is wiped; the rest is overwritten. */
    if (m->e[i].len > len) sodium_memzero(m->e[i].bytes + len, m->e[i].len - len);
    memcpy(m->e[i].h, h, 32);
    memcpy(m->e[i].bytes, bytes, len);
    m->e[i].len = len;
    /* As enl_ratchet_parse would give it: what is not serialized is zero,
     * skipped keys beyond nskipped included (zero already past the slot's
     * previous nskipped, so only the difference is wiped). */
    {
        enl_ratchet *d = &m->e[i].r;
        size_t was = d->nskipped <= ENL_RATCHET_MAX_SKIPPED ? d->nskipped : ENL_RATCHET_MAX_SKIPPED;
        size_t n = r->nskipped <= ENL_RATCHET_MAX_SKIPPED ? r->nskipped : ENL_RATCHET_MAX_SKIPPED;
        memcpy(d, r, offsetof(enl_ratchet, skipped));
        memcpy(d->skipped, r->skipped, n * sizeof r->skipped[0]);
        if (was > n) sodium_memzero(&d->skipped[n], (was - n) * sizeof r->skipped[0]);
        d->seeded = 0;
        d->test_ctr = 0;
        sodium_memzero(d->test_seed, sizeof d->test_seed);
    }
}

/* enl_ratchet_parse, or the state kept for exactly these bytes. */
static int memo_parse(enl_profile *p, const uint8_t h[32], enl_ratchet *r, const uint8_t *bytes,
                      size_t len)
{
    struct enl_session_memo *m = p->session_memo;
    int i, rc;
    if (m != NULL && (i = memo_find(m, h)) >= 0 && m->e[i].len == len &&
        sodium_memcmp(m->e[i].bytes, bytes, len) == 0) {
        memcpy(r, &m->e[i].r, sizeof *r);
        return ENL_OK;
    }
    rc = enl_ratchet_parse(r, bytes, len);
    if (rc == ENL_OK) memo_put(p, h, bytes, len, r);
    return rc;
}

void enl_session_memo_free(enl_profile *p)
{
    if (p->session_memo != NULL) sodium_free(p->session_memo);   /* wipes */
    p->session_memo = NULL;
}

void enl_session_key(enl_profile *p, const uint8_t peer_dh[32], uint8_t role, uint8_t h[32])
{
    uint8_t k[33];
    memcpy(k, peer_dh, 32);
    k[32] = role;
    enl_store_index(p->st, h, "sessions", k, sizeof k);
}

/* A digest of the ratchet without its sending chain (CKs, Ns): all that
 * sealing leaves alone, and all that the recognition tags come from. */
static void recv_digest(const enl_ratchet *r, uint8_t d[32])
{
    const uint8_t *keys[] = { r->dhs_sk, r->dhs_pk, r->dhr, r->rk, r->ckr, r->hks, r->hkr,
                              r->nhks, r->nhkr };
    uint8_t u[4 * 4 + 1];
    crypto_generichash_state h;

    crypto_generichash_init(&h, NULL, 0, 32);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        crypto_generichash_update(&h, keys[i], ENL_RATCHET_KEYBYTES);
    enl_store_be32(u, r->nr);
    enl_store_be32(u + 4, r->pn);
    enl_store_be32(u + 8, r->step);
    enl_store_be32(u + 12, r->nskipped);
    u[16] = r->flags;
    crypto_generichash_update(&h, u, sizeof u);
    for (size_t i = 0; i < r->nskipped && i < ENL_RATCHET_MAX_SKIPPED; i++) {
        uint8_t n[8];
        enl_store_be32(n, r->skipped[i].n);
        enl_store_be32(n + 4, r->skipped[i].step);
        crypto_generichash_update(&h, r->skipped[i].hk, sizeof r->skipped[i].hk);
        crypto_generichash_update(&h, r->skipped[i].mk, sizeof r->skipped[i].mk);
        crypto_generichash_update(&h, n, sizeof n);
    }
    crypto_generichash_final(&h, d, 32);
    sodium_memzero(&h, sizeof h);
    sodium_memzero(u, sizeof u);
}

int enl_session_load(enl_profile *p, const uint8_t h[32], enl_session *s)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    enl_rd r;
    int rc;
    s->tags_stored = 0;
    if ((rc = enl_store_row_get(p->st, "sessions", h, &buf, &len)) != ENL_OK) return rc;
    r = enl_rd_init(buf, len);
    if (enl_rd_u8(&r) != SESSION_VERSION) { rc = ENL_ESTORE; goto out; }
    s->role = enl_rd_u8(&r);
    enl_rd_bytes(&r, s->peer_sign_pk, 32);
    enl_rd_bytes(&r, s->peer_dh_pk, 32);
    s->prekey_id = enl_rd_u32(&r);
    enl_rd_bytes(&r, s->ek_pub, 32);
    if (r.err) { rc = ENL_ESTORE; goto out; }
    rc = memo_parse(p, h, &s->r, buf + r.off, len - r.off);
    if (rc != ENL_OK) rc = ENL_ESTORE;
    s->tags_stored = rc == ENL_OK;
    if (rc == ENL_OK) recv_digest(&s->r, s->recv_digest);
out:
    enl_store_free(buf, len);
    return rc;
}

int enl_sessions_forget(enl_profile *p, const uint8_t peer_dh[32])
{
    for (uint8_t role = 0; role < 2; role++) {
        uint8_t h[32];
        int rc;
        enl_session_key(p, peer_dh, role, h);
        if (p->session_memo != NULL) memo_put(p, h, NULL, 0, NULL);
        enl_tags_forget(p, h);
        if ((rc = enl_store_tags_replace(p->st, h, NULL, 0)) != ENL_OK) return rc;
        if ((rc = enl_store_row_delete(p->st, "sessions", h)) != ENL_OK) return rc;
    }
    return ENL_OK;
}

/* ENL_ESTORE when s is behind the state stored under h for the same
 * session (begun by the same ephemeral key): a DH ratchet step fewer, or
 * the same step with fewer notes sealed or opened in its chains. Such a
 * state can only be a stale copy: saving it would let the next note seal
 * with a message key that has sealed one already (the same key and nonce
 * for two plaintexts, two notes under one purge lock), or put back on the
 * disk message keys that were used and deleted. A new session for the same
 * peer (another ephemeral key) replaces the old one freely. */
static int behind_stored(enl_profile *p, const uint8_t h[32], const enl_session *s)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    enl_ratchet *r;
    enl_rd d;
    uint8_t ek[32];
    int rc = enl_store_row_get(p->st, "sessions", h, &buf, &len);
    if (rc == ENL_ENOTFOUND) return ENL_OK;
    if (rc != ENL_OK) return rc;
    d = enl_rd_init(buf, len);
    (void)enl_rd_ptr(&d, 1 + 1 + 32 + 32 + 4);
    enl_rd_bytes(&d, ek, sizeof ek);
    rc = ENL_OK;
    if (!d.err && sodium_memcmp(ek, s->ek_pub, sizeof ek) == 0) {
        if ((r = enl_secmem_alloc(sizeof *r)) == NULL) {
            rc = ENL_ENOMEM;
        } else {
            /* A stored state that does not parse is replaced, as before. */
            if (memo_parse(p, h, r, buf + d.off, len - d.off) == ENL_OK &&
                (s->r.step < r->step ||
                 (s->r.step == r->step &&
                  (s->r.restarts < r->restarts || s->r.nr < r->nr ||
                   (s->r.restarts == r->restarts && s->r.ns < r->ns)))))
                rc = ENL_ESTORE;
            enl_secmem_free(r);
        }
    }
    enl_store_free(buf, len);
    return rc;
}

int enl_session_save(enl_profile *p, const enl_session *s)
{
    size_t rlen = enl_ratchet_serialized_len(&s->r), len = SESSION_FIXED + rlen, n;
    uint8_t h[32], d[32], (*tags)[16] = NULL, *buf = enl_secmem_alloc(len);
    enl_wr w = enl_wr_init(buf, len);
    int rc, same;

    if (buf == NULL) return ENL_ENOMEM;
    enl_wr_u8(&w, SESSION_VERSION);
    enl_wr_u8(&w, s->role);
    enl_wr_bytes(&w, s->peer_sign_pk, 32);
    enl_wr_bytes(&w, s->peer_dh_pk, 32);
    enl_wr_u32(&w, s->prekey_id);
    enl_wr_bytes(&w, s->ek_pub, 32);
    rc = w.err ? ENL_EINVAL : enl_ratchet_serialize(buf + w.len, rlen, &s->r);
    enl_session_key(p, s->peer_dh_pk, s->role, h);
    if (rc == ENL_OK && (rc = behind_stored(p, h, s)) == ENL_ESTORE)
        rc = enl_fail(p, ENL_ESTORE, "refused to save an old copy of a session over a newer "
                      "one: a message key would seal twice (nothing was written)");
    if (rc == ENL_OK) rc = enl_store_row_put(p->st, "sessions", h, buf, len);
    if (rc == ENL_OK) memo_put(p, h, buf + SESSION_FIXED, rlen, &s->r);
    enl_secmem_free(buf);
    if (rc != ENL_OK) return rc;
    /* Loaded, then only sealed with: the stored tags are still the right ones. */
    recv_digest(&s->r, d);
    same = s->tags_stored && sodium_memcmp(d, s->recv_digest, sizeof d) == 0;
    sodium_memzero(d, sizeof d);
    if (same) return ENL_OK;
    if ((tags = malloc(TAGS_MAX * sizeof *tags)) == NULL) return ENL_ENOMEM;
    n = enl_tags_cached(p, h, &s->r, tags, TAGS_MAX, ENL_SESSION_WINDOW);
    rc = enl_store_tags_replace(p->st, h, (const uint8_t (*)[16])tags, n);
    /* the tags this session expects: which notes are for it */
    enl_free_wiped(tags, TAGS_MAX * sizeof *tags);
    return rc;
}
