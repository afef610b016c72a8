/*
 * What a payload does once its note is opened. Intake checks and opens a
 * note, then hands the payload to the handler of its kind, inside the one
 * write transaction that also advances the session, marks the note read and
 * releases its purge key: a handler's writes commit or roll back with them.
 * A handler that returns an error leaves the note unread, to be offered
 * again by the next sync.
 */
#ifndef ENL_CORE_DELIVER_H
#define ENL_CORE_DELIVER_H

#include "core/profile.h"

/* What a delivery brought the user, for the sync's counts: something new
 * (the default), a newer copy of what they had from the same person, or
 * nothing they will see (dropped, or the same again). */
enum { ENL_DELIVERY_NEW = 0, ENL_DELIVERY_REPLACED, ENL_DELIVERY_NOTHING };

typedef struct {
    uint8_t kind;
    const uint8_t *body;        /* the payload body, valid during the call */
    size_t body_len;
    uint64_t sent;
    uint32_t disappear;
    uint8_t note_id[32];
    uint8_t sender_sign_pk[32];
    uint8_t sender_dh_pk[32];
    const enl_contact *contact; /* the sender as a contact; NULL for a stranger */
    int in_cell;                /* a cell note: cell_id says which */
    uint8_t cell_id[32];
    int *outcome;               /* NULL, or set to ENL_DELIVERY_* by a handler that knows */
} enl_delivery;

/* ENL_KIND_CELL_LOG and ENL_KIND_SENDER_KEY (core/cells.c). */
int enl_cell_deliver(enl_profile *p, const enl_delivery *d) __attribute__((warn_unused_result));

/* ENL_KIND_INTRODUCTION (core/introductions.c): kept pending when it comes
 * from a contact, made by them, for me. */
int enl_intro_deliver(enl_profile *p, const enl_delivery *d) __attribute__((warn_unused_result));

/* ENL_KIND_INQUIRY and ENL_KIND_ANSWER (core/inquiries.c). */
int enl_inquiry_deliver(enl_profile *p, const enl_delivery *d) __attribute__((warn_unused_result));

#endif
