/*
 * Signed prekeys over time. The current prekey is part of the identity and
 * goes into the card; every ENL_PREKEY_ROTATE it is retired and a new one
 * made. Retired prekeys are kept (encrypted, in the "old_prekeys" slot) for
 * ENL_PREKEY_GRACE, so that cards handed out earlier keep working until they
 * expire, then deleted: from then on, first messages sealed to them cannot
 * be opened by anyone, even with the identity key.
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

int enl_prekey_find(enl_profile *p, uint32_t id, uint8_t pk[32], uint8_t sk[32])
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

int enl_prekey_maintain(enl_profile *p)
{
    enl_old_prekey old[OLD_MAX + 1];
    uint8_t idbuf[ENL_IDENTITY_BYTES];
    uint64_t now = enl_now();
    size_t n = 0, kept = 0;
    int rc, rotate = now >= p->id->prekey_created + ENL_PREKEY_ROTATE, changed = 0;

    if ((rc = load_old(p, old, &n)) != ENL_OK) return rc;
    for (size_t i = 0; i < n; i++) {
        if (now < old[i].retired + ENL_PREKEY_GRACE) old[kept++] = old[i];
        else changed = 1;
    }
    if (!rotate && !changed) goto out;
    if ((rc = enl_store_begin(p->st)) != ENL_OK) goto out;
    if (rotate) {
        if (kept == OLD_MAX) {            /* drop the oldest */
            memmove(old, old + 1, (OLD_MAX - 1) * sizeof *old);
            kept--;
        }
        rc = enl_identity_rotate_prekey(p->id, &old[kept++], now);
        enl_identity_serialize(idbuf, p->id);
        if (rc == ENL_OK) rc = enl_store_secret_put(p->st, "identity", idbuf, sizeof idbuf);
    }
    if (rc == ENL_OK) rc = save_old(p, old, kept);
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
out:
    sodium_memzero(old, sizeof old);
    sodium_memzero(idbuf, sizeof idbuf);
    return rc;
}
