/*
 * Sealing notes to a contact, shared by texts (send.c), files (files.c)
 * and every other payload kind (enl_seal_kind). Everything here runs inside the caller's write transaction:
 * the session is loaded (or started) once, any number of notes are sealed
 * through it and stored, then the caller saves the advanced session and
 * commits. The session on disk therefore always matches the notes stored:
 * a crash loses the whole batch, never a message key.
 */
#ifndef ENL_CORE_SEND_H
#define ENL_CORE_SEND_H

#include "core/session.h"
#include "note/note.h"

/* The session to send to contact `to` on: a confirmed one, else the one I
 * started, else a new one from the contact's card. ENL_EREFUSED when the
 * contact is burned, ENL_EEXPIRED when a session must be started from an
 * expired card, ENL_ENOTFOUND for an unknown name. */
int enl_send_session(enl_profile *p, const char *to, enl_session *s)
    __attribute__((warn_unused_result));

/* The note expiry (hours since 1970) for a lifetime of hours from now,
 * rounded up to a whole hour so that a note lives at least that long. */
uint32_t enl_send_expiry(uint32_t hours);

/* Seals the payload pl through s into a note padded with floor, stores it
 * to pass on and puts its lock in the outbox. The purge key comes from the
 * ratchet (pl->purge_key is not read). s advances; the caller saves it. id
 * and lock (may be NULL) receive the note's id and purge lock. */
int enl_send_note(enl_profile *p, enl_session *s, const enl_payload *pl, size_t floor,
                  uint32_t expiry, uint8_t id[ENL_IDBYTES], uint8_t lock[ENL_PURGELOCKBYTES])
    __attribute__((warn_unused_result));

/* Seals body as a payload of `kind` to contact c and stores the note for
 * the next sync, inside the caller's transaction (enl_store_begin): the
 * session advance and the note commit or roll back together with whatever
 * else the caller writes (cell statements and sender keys, introductions). */
int enl_seal_kind(enl_profile *p, const enl_contact *c, uint8_t kind, const uint8_t *body,
                  size_t len, const enl_send_opts *opts, uint8_t note_id[ENL_IDBYTES])
    __attribute__((warn_unused_result));

#endif
