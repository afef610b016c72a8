/*
 * Signed prekeys over time. The current prekey is part of the identity and
 * goes into the card; every ENL_PREKEY_ROTATE it is retired and a new one
 * made. Retired prekeys are kept (encrypted, in the "old_prekeys" slot) for
 * ENL_PREKEY_GRACE from when they were due to retire, so that cards handed
 * out earlier keep working until they expire, then deleted: from then on,
 * first messages sealed to them cannot be opened by anyone, even with the
 * identity key.
 *
 * Slot layout: count u16, then count records of id u32 | pk[32] | sk[32] | retired u64.
 */
#include <sodium.h>
#include <string.h>

#include "core/prekeys.h"
#include "util/bytes.h"

#define OLD_MAX 16   /* a rotation a month and 90 days of grace keep 3 or 4 */

static int load_old(enl_profile *p, enl_old_prekey *old, size_t *n)
{
    uint8_t *buf = NULL;
    size_t len = 0, count;
    enl_rd r;
    int rc = enl_store_secret_get(p->st, "old_prekeys", &buf, &len);
    *n = 0;
    if (rc == ENL_ENOTFOUND) return ENL_OK;
    if (rc != ENL_OK) return rc;
    r = enl_rd_init(buf, len);
    count = enl_rd_u16(&r);
    for (size_t i = 0; i < count && i < OLD_MAX; i++) {
        old[i].id = enl_rd_u32(&r);
        enl_rd_bytes(&r, old[i].pk, 32);
        enl_rd_bytes(&r, old[i].sk, 32);
        old[i].retired = enl_rd_u64(&r);
    }
    rc = (r.err || count > OLD_MAX) ? ENL_ESTORE : ENL_OK;
    if (rc == ENL_OK) *n = count;
    /* A slot that does not read back still filled old with the secrets
     * before the fault: the callers return at once, so they go here. */
    else sodium_memzero(old, OLD_MAX * sizeof *old);
    enl_store_free(buf, len);
    return rc;
}

static int save_old(enl_profile *p, const enl_old_prekey *old, size_t n)
{
    uint8_t buf[2 + OLD_MAX * ENL_OLD_PREKEY_BYTES];
    enl_wr w = enl_wr_init(buf, sizeof buf);
    int rc;
    enl_wr_u16(&w, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        enl_wr_u32(&w, old[i].id);
        enl_wr_bytes(&w, old[i].pk, 32);
        enl_wr_bytes(&w, old[i].sk, 32);
        enl_wr_u64(&w, old[i].retired);
    }
    rc = w.err ? ENL_ETOOBIG : enl_store_secret_put(p->st, "old_prekeys", buf, w.len);
    sodium_memzero(buf, sizeof buf);
    return rc;
}

/* Reads the identity again from the store: another process (a send while
 * a listener runs) may have rotated the prekey since this one opened. */
static int reload_identity(enl_profile *p)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = enl_store_secret_get(p->st, "identity", &buf, &len);
    if (rc != ENL_OK) return rc;
    rc = enl_identity_parse(p->id, buf, len);
    enl_store_free(buf, len);
    return rc;
}

static int find_once(enl_profile *p, uint32_t id, uint8_t pk[32], uint8_t sk[32])
{
    enl_old_prekey old[OLD_MAX];
    size_t n = 0;
    int rc;
    if (id == p->id->prekey_id) {
        memcpy(pk, p->id->prekey_pk, 32);
        memcpy(sk, p->id->prekey_sk, 32);
        return ENL_OK;
    }
    if ((rc = load_old(p, old, &n)) != ENL_OK) return rc;
    rc = ENL_ENOTFOUND;
    for (size_t i = 0; i < n; i++) {
        if (old[i].id == id && enl_now() < old[i].retired + ENL_PREKEY_GRACE) {
            memcpy(pk, old[i].pk, 32);
            memcpy(sk, old[i].sk, 32);
            rc = ENL_OK;
        }
    }
    sodium_memzero(old, sizeof old);
    return rc;
}

int enl_prekey_find(enl_profile *p, uint32_t id, uint8_t pk[32], uint8_t sk[32])
{
    int rc = find_once(p, id, pk, sk);
    if (rc == ENL_ENOTFOUND && reload_identity(p) == ENL_OK) rc = find_once(p, id, pk, sk);
    return rc;
}

/* A date further ahead than a clock may run: written while this device's
 * clock ran ahead (set wrong, then put right), or the clock has been set
 * back since; nothing here tells the two apart. A current prekey so dated
 * is replaced at once, or every card would carry it for as long as the
 * clock had run ahead, months or years. Its secret, and those of retired
 * prekeys, keep the dates they were given: wiped by a clock set back,
 * they would be gone once it was put right, with the cards of the last
 * days still carrying them. */
static int dated_ahead(uint64_t when, uint64_t now)
{
    return when > now + ENL_CLOCK_SKEW;
}

static int due(enl_profile *p, const enl_old_prekey *old, size_t n, uint64_t now)
{
    if (now >= p->id->prekey_created + ENL_PREKEY_ROTATE) return 1;
    if (dated_ahead(p->id->prekey_created, now)) return 1;
    for (size_t i = 0; i < n; i++)
        if (now >= old[i].retired + ENL_PREKEY_GRACE) return 1;
    return 0;
}

int enl_prekey_maintain(enl_profile *p)
{
    enl_old_prekey old[OLD_MAX + 1];
    uint8_t idbuf[ENL_IDENTITY_BYTES];
    uint64_t now = enl_now();
    size_t n = 0, kept = 0;
    int rc;

    if ((rc = load_old(p, old, &n)) != ENL_OK) return rc;
    if (!due(p, old, n, now)) goto out;
    /* Decide again inside the write transaction, on what is stored now: two
     * processes opening at once must not both rotate (one new prekey, and
     * the cards made with it, would be lost). */
    if ((rc = enl_store_begin(p->st)) != ENL_OK) goto out;
    rc = reload_identity(p);
    if (rc == ENL_OK) rc = load_old(p, old, &n);
    if (rc != ENL_OK || !due(p, old, n, now)) {
        enl_store_rollback(p->st);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (now < old[i].retired + ENL_PREKEY_GRACE) old[kept++] = old[i];
    if (now >= p->id->prekey_created + ENL_PREKEY_ROTATE || dated_ahead(p->id->prekey_created, now)) {
        /* Retired when it was due, not when this device next opened: every
         * card made with it was made before then (a profile rotates when
         * it opens, a listener every minute), so it has expired by then +
         * grace. A device left off for months must not keep the secret
         * that opens captured first notes for 90 days more. */
        uint64_t due_at = p->id->prekey_created + ENL_PREKEY_ROTATE;
        int keep = now < due_at + ENL_PREKEY_GRACE;    /* else past its time: wiped */
        /* Every place taken by a secret still in its time (only a clock
         * stepped back again and again retires so many): none is dropped,
         * since cards still carry them, and the current prekey stays. */
        if (!keep || kept < OLD_MAX) {
            rc = enl_identity_rotate_prekey(p->id, &old[kept], now);
            old[kept].retired = due_at;
            if (keep) kept++;
            else sodium_memzero(&old[kept], sizeof old[kept]);
            enl_identity_serialize(idbuf, p->id);
            if (rc == ENL_OK) rc = enl_store_secret_put(p->st, "identity", idbuf, sizeof idbuf);
        }
    }
    if (rc == ENL_OK) rc = save_old(p, old, kept);
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
    /* On failure, memory must say what the disk says. */
    if (rc != ENL_OK) (void)reload_identity(p);
out:
    sodium_memzero(old, sizeof old);
    sodium_memzero(idbuf, sizeof idbuf);
    return rc;
}
