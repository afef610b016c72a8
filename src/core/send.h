/*
 * Sealing to one contact through the pairwise session, for every payload
 * kind (texts, cell statements and sender keys, introductions, inquiries).
 */
#ifndef ENL_CORE_SEND_H
#define ENL_CORE_SEND_H

#include "core/profile.h"

/* Seals body as a payload of `kind` to contact c and stores the note for
 * the next sync, inside the caller's transaction (enl_store_begin): the
 * session advance and the note commit or roll back together with whatever
 * else the caller writes. */
int enl_seal_kind(enl_profile *p, const enl_contact *c, uint8_t kind, const uint8_t *body,
                  size_t len, const enl_send_opts *opts, uint8_t note_id[ENL_IDBYTES])
    __attribute__((warn_unused_result));

#endif
