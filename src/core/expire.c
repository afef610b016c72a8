/*
 * Expiry: what a profile drops when its time has come, in one place for
 * every transport's sync. Purge records leave with their notes; an
 * outgoing file's delivery was read from them, so it is settled first.
 */
#include "core/bulletin.h"
#include "core/files.h"
#include "core/profile.h"

int enl_profile_expire(enl_profile *p)
{
    uint32_t now = enl_now_hours();
    int rc = enl_files_settle(p, now);
    /* A burn notice leaves a tombstone as it goes, in the same transaction:
     * gone without one, it would be taken in again from the next drop or
     * peer that still carries it, and carried another year. */
    if (rc == ENL_OK && (rc = enl_store_begin(p->st)) == ENL_OK) {
        rc = enl_burn_tombstones(p, now);
        if (rc == ENL_OK) rc = enl_store_expire(p->st, now, NULL);
        if (rc == ENL_OK) rc = enl_store_commit(p->st);
        else enl_store_rollback(p->st);
    }
    /* Disappearing messages whose time has come go too: a device that only
     * syncs (a listener, a courier's phone) would otherwise keep a message
     * read long ago until someone next opens its inbox. */
    if (rc == ENL_OK) rc = enl_messages_sweep(p);
    /* So do the bulletins read here once expired: they say whom this
     * device follows. */
    if (rc == ENL_OK) rc = enl_bulletins_sweep(p);
    /* The notes, purges and notices counted for the quotas may be gone:
     * a handle that lives on would count them still, and refuse (or push
     * out others' notes for) what the room they left could hold. */
    enl_quota_forget(p);
    return rc;
}
