/*
 * Pairwise Double Ratchet sessions, as stored. A session is keyed by the
 * peer's identity X25519 key; its row holds, encrypted:
 *
 *   version u8 | role u8 (1: I started it) | peer sign_pk[32] | peer dh_pk[32] |
 *   prekey_id u32 | ek_pub[32] | ratchet state (enl_ratchet_serialize)
 *
 * A session is keyed by the peer's identity X25519 key and who started it.
 * prekey_id and ek_pub are the X3DH values the starter sent; until the
 * starter has read a reply it wraps every message in a first-contact note
 * that carries them again, so a lost first note does not strand the session.
 */
#ifndef ENL_CORE_SESSION_H
#define ENL_CORE_SESSION_H

#include "core/profile.h"
#include "crypto/ratchet.h"

#define ENL_SESSION_WINDOW 32   /* tags precomputed per receiving chain */

#include "note/note.h"
_Static_assert(ENL_RATCHET_OVERHEAD == ENL_RATCHET_MSG_OVERHEAD, "note layout matches the ratchet");

typedef struct {
    uint8_t role;               /* 1: I started it (Alice) */
    uint8_t peer_sign_pk[32];
    uint8_t peer_dh_pk[32];
    uint32_t prekey_id;
    uint8_t ek_pub[32];
    enl_ratchet r;
    /* In memory only: set by enl_session_load to the digest of everything
     * in r but its sending chain (see enl_session_save). */
    uint8_t tags_stored;
    uint8_t recv_digest[32];
} enl_session;

/* Row key of a session: index("sessions", peer dh || role). A pair may hold
 * two sessions, one started by each side (both sent a first message before
 * reading the other's); the tag of a note says which one it belongs to. */
void enl_session_key(enl_profile *p, const uint8_t peer_dh[32], uint8_t role, uint8_t h[32]);
int enl_session_load(enl_profile *p, const uint8_t h[32], enl_session *s);
/* Wipes and frees the session states kept in memory (on close). */
void enl_session_memo_free(enl_profile *p);
/* Saves the session and replaces its recognition tags (inside the caller's
 * transaction). The tags are left as they are when the session was loaded
 * and has only sent since: sealing moves the sending chain alone, and the
 * tags come from the receiving side. ENL_ESTORE, and nothing written, when
 * s is an old copy of the stored session (same ek_pub, fewer DH steps, or
 * fewer notes sealed or opened in the same step): saving it would let a
 * message key seal a second note, or put used message keys back. */
int enl_session_save(enl_profile *p, const enl_session *s);

#endif
