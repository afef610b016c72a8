/*
 * Intake: what every transport does with a note or a purge record it
 * received. A note is checked (size, version, expiry), refused when already
 * held, already read or already purged, then either opened (it is for me:
 * delivered once, its purge key released) or kept to carry. Nothing is
 * written unless the note passed every check, and each note's effects are
 * one transaction.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/messages.h"
#include "core/profile.h"
#include "note/note.h"

static int deliver(enl_profile *p, const enl_opened *op, const uint8_t id[32],
                   enl_sync_stats *stats)
{
    enl_contact c;
    enl_msg_rec m;
    uint8_t *buf;
    size_t len;
    int rc, is_contact;

    memset(&m, 0, sizeof m);
    is_contact = enl_contact_by_dh(p, op->sender_dh_pk, &c) == ENL_OK &&
                 sodium_memcmp(c.card.sign_pk, op->sender_sign_pk, 32) == 0;
    m.flags = ENL_MSG_NEW | (is_contact ? 0 : ENL_MSG_REQUEST);
    memcpy(m.sign_pk, op->sender_sign_pk, 32);
    memcpy(m.dh_pk, op->sender_dh_pk, 32);
    m.sent = op->payload.sent;
    m.received = enl_now();
    memcpy(m.note_id, id, 32);
    m.text = op->payload.body;
    m.text_len = op->payload.body_len;
    len = ENL_MSG_FIXEDBYTES + m.text_len;
    if ((buf = sodium_malloc(len)) == NULL) return ENL_ENOMEM;
    enl_msg_encode(buf, &m);

    if ((rc = enl_store_begin(p->st)) != ENL_OK) goto out;
    rc = enl_store_message_add(p->st, buf, len, NULL);
    if (rc == ENL_OK) rc = enl_store_set_add(p->st, "seen", id, op->header.expiry_hours);
    /* Release the purge key: every courier that learns it deletes its copy. */
    if (rc == ENL_OK)
        rc = enl_store_purge_put(p->st, op->header.purge_lock, op->payload.purge_key,
                                 op->header.expiry_hours);
    if (rc == ENL_OK) rc = enl_store_note_release(p->st, op->header.purge_lock, NULL);
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
    if (rc == ENL_OK && stats != NULL) {
        if (is_contact) stats->delivered++;
        else stats->requests++;
    }
out:
    sodium_free(buf);
    return rc;
}

int enl_note_intake(enl_profile *p, const uint8_t *note, size_t len, enl_sync_stats *stats)
{
    enl_note_header h;
    enl_opened op;
    uint8_t id[ENL_IDBYTES], *plain;
    uint32_t now = enl_now_hours();
    int rc;

    if ((rc = enl_note_header_parse(&h, note, len, now)) != ENL_OK) return rc;
    enl_note_id(id, note, len);
    if ((rc = enl_store_note_has(p->st, id)) != 0) return rc < 0 ? rc : ENL_EDUPLICATE;
    if ((rc = enl_store_set_has(p->st, "seen", id)) != 0) return rc < 0 ? rc : ENL_EDUPLICATE;
    if ((rc = enl_store_purge_has(p->st, h.purge_lock)) != 0) return rc < 0 ? rc : ENL_EPURGED;

    if ((plain = sodium_malloc(len)) == NULL) return ENL_ENOMEM;
    rc = enl_note_open_first(&op, plain, note, len, p->id->dh_sk, now);
    if (rc == ENL_OK) {
        rc = deliver(p, &op, id, stats);
    } else if (rc == ENL_ENOTFORME) {
        rc = enl_quota_check(p, len);
        if (rc == ENL_OK)
            rc = enl_store_note_put(p->st, id, h.purge_lock, h.expiry_hours,
                                    note + ENL_NOTE_HEADERBYTES, note, len);
        if (rc == ENL_OK) enl_quota_note_added(p, len);
        if (rc == ENL_OK && stats != NULL) stats->notes_received++;
    }
    sodium_memzero(&op, sizeof op);
    sodium_free(plain);
    return rc;
}

int enl_purge_intake(enl_profile *p, const uint8_t *rec, size_t len, enl_sync_stats *stats)
{
    uint8_t key[ENL_PURGEKEYBYTES], lock[ENL_PURGELOCKBYTES];
    uint32_t expiry;
    uint64_t released = 0;
    int rc = enl_purge_parse(&expiry, key, lock, rec, len, enl_now_hours());

    if (rc != ENL_OK) return rc;
    if ((rc = enl_store_purge_has(p->st, lock)) != 0) return rc < 0 ? rc : ENL_EDUPLICATE;
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    rc = enl_store_purge_put(p->st, lock, key, expiry);
    if (rc == ENL_OK) rc = enl_store_note_release(p->st, lock, &released);
    /* One of mine came through: it is no longer outgoing. */
    if (rc == ENL_OK) rc = enl_store_set_del(p->st, "outbox", lock);
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
    if (rc == ENL_OK && released > 0) enl_quota_forget(p);
    if (rc == ENL_OK && stats != NULL) {
        stats->purges_received++;
        stats->released += released;
    }
    return rc;
}
