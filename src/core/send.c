/*
 * Sending: seal a text to a contact into a first-contact note and keep it
 * with the notes this profile carries, so the next sync passes it on. The
 * note's purge lock goes into the outbox set (as a keyed hash) so that the
 * purge that comes back tells us it was delivered.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile.h"
#include "note/note.h"

int enl_send_text(enl_profile *p, const char *to, const uint8_t *text, size_t len,
                  const enl_send_opts *opts, uint8_t note_id[ENL_IDBYTES])
{
    enl_contact c;
    enl_payload pl;
    uint8_t id[ENL_IDBYTES], *note = NULL;
    uint32_t hours = ENL_EXPIRY_DEFAULT_HOURS, expiry;
    size_t floor = ENL_PAD_FLOOR, note_len;
    int rc;

    if (to == NULL || (text == NULL && len > 0)) return ENL_EINVAL;
    if (len > ENL_TEXT_MAX) return enl_fail(p, ENL_ETOOBIG, "a message holds at most %d bytes", ENL_TEXT_MAX);
    if (opts != NULL && opts->expiry_hours) hours = opts->expiry_hours;
    if (opts != NULL && opts->pad_floor) floor = opts->pad_floor;
    if (hours > ENL_EXPIRY_MAX_HOURS)
        return enl_fail(p, ENL_EINVAL, "expiry is at most %d hours", ENL_EXPIRY_MAX_HOURS);
    if ((rc = enl_contact_by_name(p, to, &c)) != ENL_OK) return rc;
    if (enl_now() >= c.card.expires)
        return enl_fail(p, ENL_EEXPIRED, "%s's card has expired: ask for a new one", to);

    note_len = enl_note_first_len(len, floor);
    if (note_len == 0) return ENL_ETOOBIG;
    if ((note = malloc(note_len)) == NULL) return ENL_ENOMEM;
    memset(&pl, 0, sizeof pl);
    pl.kind = ENL_KIND_TEXT;
    pl.sent = enl_now();
    randombytes_buf(pl.purge_key, sizeof pl.purge_key);
    pl.body = text;
    pl.body_len = len;
    /* Round up to the next whole hour, so a note lives at least as long as
     * asked (hours + 1 at most): the header only holds whole hours. */
    expiry = (uint32_t)((enl_now() + (uint64_t)hours * 3600 + 3599) / 3600);
    rc = enl_note_seal_first(note, note_len, p->id, c.card.dh_pk, &pl, expiry);
    if (rc != ENL_OK) goto out;
    enl_note_id(id, note, note_len);
    if ((rc = enl_store_begin(p->st)) != ENL_OK) goto out;
    rc = enl_store_note_put(p->st, id, note + ENL_NOTE_LOCK_OFFSET, expiry,
                                note + ENL_NOTE_HEADERBYTES, note, note_len);
    if (rc == ENL_OK) rc = enl_store_set_add(p->st, "outbox", note + ENL_NOTE_LOCK_OFFSET, expiry);
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
    if (rc == ENL_OK && note_id != NULL) memcpy(note_id, id, sizeof id);
out:
    sodium_memzero(&pl, sizeof pl);
    free(note);
    return rc;
}
