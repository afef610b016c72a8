/*
 * Recognition tags kept in session memory. Every tag a session expects is
 * tag(hk, n), a BLAKE2b keyed by one of its receiving header keys over the
 * message number (enl_ratchet_tag), and saving a session after each note
 * it opened listed them all again: some two hundred keyed hashes (its
 * window, the next chain's, that chain begun again, the skipped keys, the
 * checkpoints), of which one note moves one or two.
 *
 * Here each receiving chain (one header key) keeps the tags computed for
 * it in a ring of entries indexed by n mod RING. A tag depends on (hk, n)
 * alone, so an entry found for the same key and number is the tag itself
 * whatever happened to the session since: a chain that advances asks for
 * numbers not there yet, a DH step or a chain begun again for a key not
 * there yet, a contact added anew for a new session's keys.
 *
 * A chain that advances overwrites its own old numbers, never another
 * chain's tags. A chain not kept takes a free slot, or else the least
 * recently used one: a busy conversation, whose DH steps bring new chains
 * at every turn, reuses the slots its own old chains left and does not
 * push out the chains of the sessions that are quiet for a moment.
 *
 * What must go is what is no longer needed: header keys are secrets, and
 * a key the session's state has given up must not live on here. So a
 * listing wipes the chains of its session it no longer names, forgetting
 * a session (a burn) wipes its chains, and the whole cache is in
 * sodium_malloc'd memory, wiped when the profile closes.
 */
#include <sodium.h>
#include <string.h>

#include "core/tagcache.h"

/* A session names five chains or more (HKr, NHKr, its three restart keys,
 * the skipped keys' chains): room for six sessions or so at once. */
#define CHAINS 32
/* More than a chain's window and checkpoints span (n .. n + MAX_SKIP):
 * none of them shares an entry with another. */
#define RING 256
_Static_assert(RING > ENL_RATCHET_MAX_SKIP, "a chain's tags fit its ring");
_Static_assert((RING & (RING - 1)) == 0, "n mod RING is a mask");

struct tag_entry {
    uint32_t n;
    uint8_t set;
    uint8_t tag[ENL_RATCHET_TAGBYTES];
};

struct tag_chain {
    uint8_t hk[32];
    uint8_t owner[32];           /* the session's row key */
    uint8_t live;
    uint32_t listing;            /* the last listing that named it */
    uint64_t used;               /* when a listing last named it */
    struct tag_entry e[RING];
};

struct enl_tag_cache {
    uint32_t listing;
    uint64_t clock;              /* counts the chains named, for `used` */
    struct tag_chain c[CHAINS];
};

typedef struct {
    struct enl_tag_cache *tc;
    const uint8_t *owner;
    int last;                    /* the chain of the tag before, or -1 */
} lister;

static struct enl_tag_cache *cache(enl_profile *p)
{
    if (p->tag_cache == NULL && (p->tag_cache = sodium_malloc(sizeof *p->tag_cache)) != NULL)
        sodium_memzero(p->tag_cache, sizeof *p->tag_cache);
    return p->tag_cache;
}

static int chain_find(const struct enl_tag_cache *tc, const uint8_t hk[32])
{
    for (int i = 0; i < CHAINS; i++)
        if (tc->c[i].live && sodium_memcmp(tc->c[i].hk, hk, 32) == 0) return i;
    return -1;
}

/* The slot a chain not kept takes: a free one, else the least recently
 * used. */
static int chain_slot(const struct enl_tag_cache *tc)
{
    int lru = 0;
    for (int i = 0; i < CHAINS; i++) {
        if (!tc->c[i].live) return i;
        if (tc->c[i].used < tc->c[lru].used) lru = i;
    }
    return lru;
}

static void chain_wipe(struct tag_chain *c)
{
    sodium_memzero(c, sizeof *c);
}

static void tag_kept(void *ctx, uint8_t tag[ENL_RATCHET_TAGBYTES], const uint8_t hk[32], uint32_t n)
{
    lister *l = ctx;
    struct tag_chain *c;
    struct tag_entry *e;
    int i = l->last;

    if (i < 0 || sodium_memcmp(l->tc->c[i].hk, hk, 32) != 0) {
        if ((i = chain_find(l->tc, hk)) < 0) {
            i = chain_slot(l->tc);
            chain_wipe(&l->tc->c[i]);
            memcpy(l->tc->c[i].hk, hk, 32);
            l->tc->c[i].live = 1;
        }
        /* named by this listing (the tags of one chain come in a row) */
        memcpy(l->tc->c[i].owner, l->owner, 32);
        l->tc->c[i].listing = l->tc->listing;
        l->tc->c[i].used = ++l->tc->clock;
        l->last = i;
    }
    c = &l->tc->c[i];
    e = &c->e[n & (RING - 1)];
    if (!e->set || e->n != n) {
        enl_ratchet_tag(e->tag, hk, n);
        e->n = n;
        e->set = 1;
    }
    memcpy(tag, e->tag, ENL_RATCHET_TAGBYTES);
}

size_t enl_tags_cached(enl_profile *p, const uint8_t owner[32], const enl_ratchet *r,
                       uint8_t (*tags)[ENL_RATCHET_TAGBYTES], size_t max, uint32_t window)
{
    lister l = { cache(p), owner, -1 };
    size_t n;
    if (l.tc == NULL) return enl_ratchet_tags(r, tags, max, window);
    l.tc->listing++;
    n = enl_ratchet_tags_with(r, tags, max, window, tag_kept, &l);
    /* The session's chains this listing did not name: keys it gave up. */
    for (int i = 0; i < CHAINS; i++)
        if (l.tc->c[i].live && l.tc->c[i].listing != l.tc->listing &&
            sodium_memcmp(l.tc->c[i].owner, owner, 32) == 0)
            chain_wipe(&l.tc->c[i]);
    return n;
}

void enl_tags_forget(enl_profile *p, const uint8_t owner[32])
{
    struct enl_tag_cache *tc = p->tag_cache;
    if (tc == NULL) return;
    for (int i = 0; i < CHAINS; i++)
        if (tc->c[i].live && sodium_memcmp(tc->c[i].owner, owner, 32) == 0) chain_wipe(&tc->c[i]);
}

void enl_tags_cache_free(enl_profile *p)
{
    if (p->tag_cache != NULL) sodium_free(p->tag_cache);   /* wipes */
    p->tag_cache = NULL;
}
