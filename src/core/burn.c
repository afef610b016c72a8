/*
 * Burning keys when someone is taken. Three ways in:
 *
 *  - enl_burn_local: I stop trusting a contact's keys on this device (anyone
 *    may do this for themselves; it does not travel);
 *  - a revocation the person made in advance (enl_revocation_export) and
 *    left with a trusted contact (enl_revocation_hold), who publishes it
 *    (enl_revocation_publish) when they are taken;
 *  - a burn notice that arrives by any transport (enl_burn_intake): it is
 *    verified against the key it revokes, kept and carried for a year, and
 *    acted on when that key is a contact's. When the year is over, a
 *    tombstone of its id keeps it from being taken in again (below).
 *
 * Acting on a burn: the contact is marked burned (with the reason), both
 * sessions with it are forgotten, and nothing is ever sealed to it again.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cells.h"
#include "core/profile.h"
#include "crypto/revocation.h"
#include "util/secmem.h"

#define BURN_KEEP_HOURS (366u * 24)

/* A notice carried here for its year leaves a tombstone when it expires: a
 * keyed hash of its id in the "seen" set, never the notice, which refuses
 * the same notice later like one already held. Without it, a device whose
 * copy expired took the notice in again from the first drop or peer that
 * still carried it, for another year, and passed it on to others whose own
 * copies had expired: no notice ever died out.
 *
 * How long: each device keeps a notice a year from its own intake. A
 * device that took it from this one did so by this copy's expiry at the
 * latest, so its copy is gone a year after; one that took it from that one,
 * a year later still. Two years after this copy expired, every copy that
 * came from it, directly or through one more device, is gone, and a copy
 * arriving then was first taken in more than two years after this device
 * took it: the notice is still spreading to devices that never had it, and
 * may be carried again. Longer would keep more of what a seized device
 * shows (which notices it saw) for less. Rounded up to a whole week so that
 * the expiry, stored in the clear beside the hash, does not tell the hour
 * of the sync the notice came by. */
#define BURN_TOMB_HOURS (2u * BURN_KEEP_HOURS)
#define BURN_TOMB_ROUND (7u * 24)

static void tomb_mark(uint8_t mark[32], const uint8_t id[32])
{
    static const char ctx[] = "enlace burn tombstone v1";
    crypto_generichash(mark, 32, id, 32, (const uint8_t *)ctx, sizeof ctx - 1);
}

/* The signing key of an expired notice is remembered as long, the same
 * way: a card under it is refused while a notice signed by it is held, and
 * once the notice is no longer taken in again, the captor holding the key
 * could otherwise have a new card under it accepted a year on. */
static void key_mark(uint8_t mark[32], const uint8_t sign_pk[32])
{
    static const char ctx[] = "enlace burned key v1";
    crypto_generichash(mark, 32, sign_pk, 32, (const uint8_t *)ctx, sizeof ctx - 1);
}

/* The burns table holds the notices carried, public, not under the
 * profile key: whoever held the device while it was locked can plant a row
 * that names any keys. Such a row made this device take an innocent
 * member for burned (and sign a BURN of them in every cell), and keep from
 * acting on the real notice of a contact or of its own keys when it came.
 * So only a notice held that verifies (signed by the key it revokes) is
 * counted; a planter can make one only with that key, which is then
 * burned indeed. */
typedef struct {
    const uint8_t *dh_pk;   /* NULL: any DH key */
    int found;
} held_notice;

static int verified_notice(void *ctx, const uint8_t *data, size_t len)
{
    held_notice *h = ctx;
    enl_revocation r;
    if (enl_revocation_parse(&r, data, len) != ENL_OK) return 0;
    if (h->dh_pk != NULL && sodium_memcmp(r.dh_pk, h->dh_pk, 32) != 0) return 0;
    h->found = 1;
    return 1;
}

/* 1 when a valid notice signed by (and revoking) sign_pk is held, naming
 * dh_pk (any DH key when NULL); 0 when none. */
static int notice_held(enl_profile *p, const uint8_t sign_pk[32], const uint8_t *dh_pk)
{
    held_notice h = { dh_pk, 0 };
    int rc = enl_store_burns_of_key(p->st, sign_pk, verified_notice, &h);
    return rc < 0 ? rc : h.found;
}

int enl_burn_key_known(enl_profile *p, const uint8_t sign_pk[32])
{
    uint8_t mark[32];
    int rc = notice_held(p, sign_pk, NULL);
    if (rc != 0) return rc;
    key_mark(mark, sign_pk);
    return enl_store_set_has(p->st, "seen", mark);
}

/* A burn's reason, whether it goes in a revocation or stays on this device:
 * one line a contact's screen shows as it is, so no control characters, and
 * refused whole rather than cut when too long. */
static int check_reason(enl_profile *p, const char *reason)
{
    size_t n = reason ? strlen(reason) : 0;
    if (n > ENL_REVOCATION_REASONMAX)
        return enl_fail(p, ENL_ETOOBIG, "the reason is at most %d bytes of text",
                        ENL_REVOCATION_REASONMAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)reason[i] < 0x20 || reason[i] == 0x7f)
            return enl_fail(p, ENL_EINVAL, "the reason is one line of text: no tabs, new lines "
                                           "or other control characters");
    return ENL_OK;
}

int enl_burn_reason_check(enl_profile *p, const char *reason)
{
    return check_reason(p, reason);
}

int enl_revocation_export(enl_profile *p, const char *reason, char **text)
{
    uint8_t bin[ENL_REVOCATION_MAXBYTES];
    size_t len = 0;
    char *t;
    int rc = check_reason(p, reason);
    if (rc != ENL_OK) return rc;
    rc = enl_revocation_make(bin, &len, p->id, reason ? reason : "", enl_now());
    if (rc != ENL_OK) {
        sodium_memzero(bin, sizeof bin);   /* a make that failed may have written part */
        return enl_fail(p, rc, "cannot make the revocation: %s", enl_strerror(rc));
    }
    if ((t = malloc(ENL_REVOCATION_TEXTMAX)) == NULL) rc = ENL_ENOMEM;
    else rc = enl_revocation_to_text(t, ENL_REVOCATION_TEXTMAX, bin, len);
    /* a signed revocation: whoever holds it can burn these keys */
    sodium_memzero(bin, sizeof bin);
    if (rc != ENL_OK) {
        enl_free_wiped(t, t ? ENL_REVOCATION_TEXTMAX : 0);
        return rc;
    }
    *text = t;
    return ENL_OK;
}

int enl_revocation_hold(enl_profile *p, const char *name, const char *text)
{
    uint8_t bin[ENL_REVOCATION_MAXBYTES], h[32];
    enl_revocation r;
    enl_contact c;
    size_t len = 0;
    int rc = enl_contact_by_name(p, name, &c);
    if (rc != ENL_OK) return rc;
    if ((rc = enl_revocation_from_text(bin, &len, text, strlen(text))) != ENL_OK ||
        (rc = enl_revocation_parse(&r, bin, len)) != ENL_OK)
        rc = enl_fail(p, rc, "not a valid revocation: %s", enl_strerror(rc));
    else if (sodium_memcmp(r.sign_pk, c.card.sign_pk, 32) != 0 ||
             sodium_memcmp(r.dh_pk, c.card.dh_pk, 32) != 0)
        rc = enl_fail(p, ENL_EINVAL, "this revocation is not %s's", name);
    else {
        enl_store_index(p->st, h, "held", c.card.dh_pk, 32);
        rc = enl_store_row_put(p->st, "held", h, bin, len);
    }
    /* a contact's revocation, held for them: it burns their keys */
    sodium_memzero(bin, sizeof bin);
    return rc;
}

#define SELF_BURNED_SLOT "self_burned"

/* Whether r revokes this profile's own keys. */
static int is_self(const enl_profile *p, const enl_revocation *r)
{
    return sodium_memcmp(r->sign_pk, p->id->sign_pk, 32) == 0;
}

/* Keeps a verified notice to carry, and acts on it. Inside a transaction.
 * *self is set when it burns this profile's own keys and is the first to. */
static int accept_burn(enl_profile *p, const uint8_t *bin, size_t len, const enl_revocation *r,
                       int *was_contact, int *self)
{
    uint8_t id[32];
    int rc, known;
    crypto_generichash(id, sizeof id, bin, len, NULL, 0);
    int cells = 0, failed = 0;
    *self = 0;
    /* Another notice of keys burned here already (whoever holds them signs
     * as many as they like) burns nobody new: the first signed the vouches
     * and re-keyed the cells; each one more would re-key them all again.
     * The same keys: both of them. A notice signed by a contact's key that
     * names another DH key burns no contact; were it counted, a captor who
     * published one first (a decoy) would keep the real revocation, when it
     * came, from signing the cells' burn vouches and re-keying them. */
    if ((known = notice_held(p, r->sign_pk, r->dh_pk)) < 0) return known;
    rc = enl_store_burn_put(p->st, id, bin, len, enl_now_hours() + BURN_KEEP_HOURS);
    /* My own keys (the revocation I left with someone was published: I
     * was taken, or they believe so). The notice travels on like any
     * other, and my contacts burn these keys. This device, whoever holds
     * it now, has no say in that: it signs no burn vouch against itself
     * and re-keys no cell (it is the one being left out). It keeps the
     * first notice, for good (the carried copy expires), to tell its user
     * that these keys are finished. */
    if (is_self(p, r)) {
        *was_contact = 0;
        if (rc == ENL_OK && !known) {
            rc = enl_store_secret_put(p->st, SELF_BURNED_SLOT, bin, len);
            *self = rc == ENL_OK;
        }
        return rc;
    }
    /* The contact first, so that nothing the vouches make is sealed to the
     * burned key; then, its owner's own revocation being proof enough,
     * every member vouches at once (which also removes them from each
     * cell's membership). A cell that refuses the vouch keeps neither the
     * notice nor the contact's burn from taking effect. */
    if (rc == ENL_OK)
        rc = enl_contact_burn(p, r->dh_pk, r->sign_pk,
                              r->reason[0] ? r->reason : "its owner's revocation was published",
                              was_contact);
    if (rc == ENL_OK && !known)
        rc = enl_cell_burn_vouch(p, r->sign_pk, r->dh_pk, r->reason, &cells, &failed);
    if (rc == ENL_OK && !known) rc = enl_cell_burned(p, r->sign_pk);
    return rc;
}

int enl_revocation_publish(enl_profile *p, const char *name)
{
    uint8_t h[32], *bin = NULL;
    enl_revocation r;
    enl_contact c;
    size_t len = 0;
    int rc = enl_contact_by_name(p, name, &c), was = 0, self = 0;
    if (rc != ENL_OK) return rc;
    enl_store_index(p->st, h, "held", c.card.dh_pk, 32);
    rc = enl_store_row_get(p->st, "held", h, &bin, &len);
    if (rc == ENL_ENOTFOUND)
        return enl_fail(p, rc, "no revocation of %s is held here (enlace revocation hold %s FILE)",
                        name, name);
    if (rc != ENL_OK) return rc;
    rc = enl_revocation_parse(&r, bin, len);
    /* Burned here already, and this very notice is carried: publishing it
     * again would change nothing (a burn run twice, in a hurry). */
    if (rc == ENL_OK && c.burned && (rc = notice_held(p, r.sign_pk, r.dh_pk)) >= 0)
        rc = rc == 1 ? enl_fail(p, ENL_EEXISTS, "%s's keys are burned already, and their "
                                "revocation is published", name)
                     : ENL_OK;
    if (rc == ENL_OK) rc = enl_store_begin(p->st);
    if (rc == ENL_OK) {
        rc = accept_burn(p, bin, len, &r, &was, &self);
        if (rc == ENL_OK) rc = enl_store_commit(p->st);
        else enl_store_rollback(p->st);
    }
    enl_store_free(bin, len);
    return rc;
}

int enl_burn_local(enl_profile *p, const char *name, const char *reason, int *cells,
                   int *cells_failed)
{
    enl_contact c;
    int rc = check_reason(p, reason), was = 0, n = 0, failed = 0;
    if (rc != ENL_OK) return rc;
    if ((rc = enl_contact_by_name(p, name, &c)) != ENL_OK) return rc;
    /* A second burn changes nothing: the vouches were signed by the first,
     * and re-keying every cell again would only send new keys to all. */
    if (c.burned) return enl_fail(p, ENL_EEXISTS, "%s's keys are burned already", name);
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    /* The contact first: the vouches are then sealed to the other members,
     * never to the burned key. A cell that refuses the vouch does not keep
     * the burn from taking effect here. */
    rc = enl_contact_burn(p, c.card.dh_pk, c.card.sign_pk,
                          reason && *reason ? reason : "burned on this device", &was);
    if (rc == ENL_OK) rc = enl_cell_burn_vouch(p, c.card.sign_pk, c.card.dh_pk, reason, &n, &failed);
    if (rc == ENL_OK) rc = enl_cell_burned(p, c.card.sign_pk);
    if (rc == ENL_OK && cells != NULL) *cells = n;
    if (rc == ENL_OK && cells_failed != NULL) *cells_failed = failed;
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
    return rc;
}

int enl_burn_held(enl_profile *p, const char *name)
{
    uint8_t h[32];
    enl_contact c;
    int rc = enl_contact_by_name(p, name, &c);
    if (rc != ENL_OK) return rc;
    enl_store_index(p->st, h, "held", c.card.dh_pk, 32);
    {
        uint8_t *bin = NULL;
        size_t len = 0;
        rc = enl_store_row_get(p->st, "held", h, &bin, &len);
        if (rc == ENL_OK) enl_store_free(bin, len);
    }
    return rc == ENL_OK ? 1 : rc == ENL_ENOTFOUND ? 0 : rc;
}

/* 1 when the notice with this id left a tombstone here and would change
 * nothing: the contact it names is burned already (or is no contact), or
 * it names my own keys and I was told. A burn's effect never waits on a
 * tombstone: a contact under its keys that is not burned (which the key's
 * mark should keep from being added) is burned by the notice taken in
 * again as if new, and carried a year. */
static int refused_by_tombstone(enl_profile *p, const uint8_t id[32], const enl_revocation *r)
{
    uint8_t mark[32];
    enl_contact c;
    int rc;
    tomb_mark(mark, id);
    if ((rc = enl_store_set_has(p->st, "seen", mark)) <= 0) return rc;
    if (is_self(p, r)) {
        rc = enl_self_burned(p, NULL, NULL, 0);
        return rc < 0 ? rc : rc == 1;
    }
    rc = enl_contact_by_dh(p, r->dh_pk, &c);
    if (rc == ENL_ENOTFOUND) return 1;
    if (rc != ENL_OK) return rc;
    return sodium_memcmp(c.card.sign_pk, r->sign_pk, 32) != 0 || c.burned;
}

typedef struct {
    uint8_t id[32];
    uint32_t expiry;
} expired_burn;

typedef struct {
    uint32_t now;
    expired_burn *v;
    size_t n, cap;
} expired_burns;

static int collect_expired(void *ctx, const uint8_t id[32], uint32_t expiry, uint64_t size)
{
    expired_burns *e = ctx;
    (void)size;
    if (expiry > e->now) return 0;
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 16;
        expired_burn *v = realloc(e->v, cap * sizeof *v);
        if (v == NULL) return ENL_ENOMEM;
        e->v = v;
        e->cap = cap;
    }
    memcpy(e->v[e->n].id, id, 32);
    e->v[e->n++].expiry = expiry;
    return 0;
}

static int by_expiry(const void *a, const void *b)
{
    uint32_t x = ((const expired_burn *)a)->expiry, y = ((const expired_burn *)b)->expiry;
    return (x > y) - (x < y);
}

int enl_burn_tombstones(enl_profile *p, uint32_t now_hours)
{
    expired_burns e = { now_hours, NULL, 0, 0 };
    int rc = enl_store_burn_items(p->st, collect_expired, &e);
    /* the earliest first: two notices of one key, the later one's mark stays */
    if (rc == ENL_OK && e.n > 1) qsort(e.v, e.n, sizeof *e.v, by_expiry);
    for (size_t i = 0; rc == ENL_OK && i < e.n; i++) {
        uint8_t mark[32], bin[ENL_REVOCATION_MAXBYTES];
        size_t len = 0;
        uint64_t until = ((uint64_t)e.v[i].expiry + BURN_TOMB_HOURS + BURN_TOMB_ROUND - 1) /
                         BURN_TOMB_ROUND * BURN_TOMB_ROUND;
        if (until <= now_hours) continue;       /* over already (a device left unused) */
        if (until > UINT32_MAX) until = UINT32_MAX;
        tomb_mark(mark, e.v[i].id);
        rc = enl_store_set_add(p->st, "seen", mark, (uint32_t)until);
        /* version u8, then the signing key: verified again, for the row
         * may have been planted (notice_held), and the mark, a keyed hash,
         * would make its key burned here for two years */
        if (rc == ENL_OK) rc = enl_store_burn_get(p->st, e.v[i].id, bin, sizeof bin, &len);
        if (rc == ENL_ETOOBIG) {
            rc = ENL_OK;
            continue;
        }
        if (rc == ENL_OK && verified_notice(&(held_notice){ NULL, 0 }, bin, len) == 1) {
            key_mark(mark, bin + 1);
            rc = enl_store_set_add(p->st, "seen", mark, (uint32_t)until);
        }
    }
    free(e.v);
    return rc;
}

int enl_burn_intake(enl_profile *p, const uint8_t *bin, size_t len, enl_sync_stats *stats)
{
    enl_revocation r;
    uint8_t id[32];
    int rc = enl_revocation_parse(&r, bin, len), was = 0, self = 0;
    if (rc != ENL_OK) return rc;
    crypto_generichash(id, sizeof id, bin, len, NULL, 0);
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    if ((rc = enl_store_burn_has(p->st, id)) != 0 ||
        (rc = refused_by_tombstone(p, id, &r)) != 0) {
        enl_store_rollback(p->st);
        return rc < 0 ? rc : ENL_EDUPLICATE;
    }
    /* Anyone can make a valid notice (a fresh identity that revokes
     * itself): one that burns no contact of mine is kept, to pass on, only
     * while the store holds fewer notices than its share of the quota. A
     * contact's is always taken, but only the first: whoever seized the
     * contact's device signs as many more as they like (each with another
     * time or reason), and those burn nobody. A notice of my own keys is
     * always taken too. */
    {
        enl_contact c;
        int mine = (enl_contact_by_dh(p, r.dh_pk, &c) == ENL_OK &&
                    sodium_memcmp(c.card.sign_pk, r.sign_pk, 32) == 0) || is_self(p, &r);
        int room = mine ? notice_held(p, r.sign_pk, r.dh_pk) : 1;
        if (room < 0) {
            enl_store_rollback(p->st);
            return room;
        }
        room = mine && room == 0 ? 1 : enl_quota_burn_room(p);
        if (room <= 0) {
            enl_store_rollback(p->st);
            return room < 0 ? room : ENL_OK;   /* not kept, and not an error */
        }
    }
    rc = accept_burn(p, bin, len, &r, &was, &self);
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
    if (rc == ENL_OK) enl_quota_burn_added(p);
    if (rc == ENL_OK && stats != NULL) {
        stats->burns_received++;
        if (was) stats->burned_contacts++;
        if (self) stats->burned_self++;
    }
    return rc;
}

int enl_self_burned(enl_profile *p, uint64_t *when, char *reason, size_t max)
{
    enl_revocation r;
    uint8_t *bin = NULL;
    size_t len = 0;
    int rc = enl_store_secret_get(p->st, SELF_BURNED_SLOT, &bin, &len);
    if (rc == ENL_ENOTFOUND) return 0;
    if (rc != ENL_OK) return rc;
    rc = enl_revocation_parse(&r, bin, len);
    enl_store_free(bin, len);
    if (rc != ENL_OK) return ENL_ESTORE;
    if (when != NULL) *when = r.created;
    if (reason != NULL && max > 0) snprintf(reason, max, "%s", r.reason);
    return 1;
}
