/*
 * Sending: seal a text to a contact and keep the note for the next sync.
 *
 * Every message goes through the pair's Double Ratchet session. The first
 * time, the session is started from the signed prekey in the contact's card
 * (X3DH); until a reply has been read, each message is wrapped in a
 * first-contact note that carries the X3DH values again, so the contact can
 * start the session from whichever note arrives first. After that, notes
 * are bare ratchet messages whose first bytes are a tag only the recipient
 * can recognise. The note's purge lock goes into the outbox set (as a keyed
 * hash) so the purge that comes back says it was delivered.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/send.h"
#include "core/session.h"
#include "crypto/x3dh.h"
#include "note/note.h"
#include "util/bytes.h"
#include "util/secmem.h"

static int session_start(enl_profile *p, const enl_contact *c, enl_session *s)
{
    enl_x3dh_keys k;
    uint8_t ek_sk[32];
    int rc;

    memset(s, 0, sizeof *s);
    s->role = 1;
    memcpy(s->peer_sign_pk, c->card.sign_pk, 32);
    memcpy(s->peer_dh_pk, c->card.dh_pk, 32);
    s->prekey_id = c->card.prekey_id;
    randombytes_buf(ek_sk, sizeof ek_sk);
    rc = crypto_scalarmult_base(s->ek_pub, ek_sk) == 0 ? ENL_OK : ENL_ECRYPTO;
    if (rc == ENL_OK)
        rc = enl_x3dh_alice(&k, p->id->dh_sk, p->id->dh_pk, ek_sk, s->ek_pub, c->card.dh_pk,
                            c->card.prekey_pk);
    if (rc == ENL_OK)
        rc = enl_ratchet_init_alice(&s->r, k.sk, c->card.prekey_pk, k.hka, k.nhkb);
    sodium_memzero(&k, sizeof k);
    sodium_memzero(ek_sk, sizeof ek_sk);
    return rc;
}

/* The session to send on: a confirmed one (a reply was read from it); when
 * both sides started one and both are confirmed, the one started by the
 * side with the smaller key, so that both converge on the same session.
 * ENL_ENOTFOUND when there is none and one must be started. */
static int pick_session(enl_profile *p, const enl_contact *c, enl_session *s)
{
    enl_session *theirs = enl_secmem_alloc(sizeof *theirs);
    uint8_t h[32];
    int mine_ok, theirs_ok, rc = ENL_OK;

    if (theirs == NULL) return ENL_ENOMEM;
    enl_session_key(p, c->card.dh_pk, 1, h);
    mine_ok = enl_session_load(p, h, s) == ENL_OK;
    enl_session_key(p, c->card.dh_pk, 0, h);
    theirs_ok = enl_session_load(p, h, theirs) == ENL_OK &&
                enl_ratchet_can_send_without_init(&theirs->r);
    if (theirs_ok && (!mine_ok || !enl_ratchet_can_send_without_init(&s->r) ||
                      memcmp(c->card.dh_pk, p->id->dh_pk, 32) < 0))
        memcpy(s, theirs, sizeof *s);
    else if (!mine_ok)
        rc = ENL_ENOTFOUND;
    enl_secmem_free(theirs);
    return rc;
}

/* Seals payload into note (note_len bytes) through the session s. */
static int seal(enl_profile *p, enl_session *s, int first, uint8_t *note, size_t note_len,
                const uint8_t *payload, size_t payload_len)
{
    size_t rlen = payload_len + ENL_RATCHET_MSG_OVERHEAD, inner_len = ENL_FIRST_INITBYTES + rlen;
    uint8_t *inner;
    enl_wr w;
    int rc;

    if (!first)
        return enl_ratchet_encrypt(&s->r, note + ENL_NOTE_HEADERBYTES, rlen, note,
                                   ENL_NOTE_HEADERBYTES, payload, payload_len);
    if ((inner = malloc(inner_len)) == NULL) return ENL_ENOMEM;
    w = enl_wr_init(inner, inner_len);
    enl_wr_u32(&w, s->prekey_id);
    enl_wr_bytes(&w, s->ek_pub, 32);
    rc = enl_ratchet_encrypt(&s->r, inner + w.len, rlen, note, ENL_NOTE_HEADERBYTES, payload,
                             payload_len);
    if (rc == ENL_OK)
        rc = enl_note_seal_first(note, note_len, p->id, s->peer_dh_pk, inner, inner_len, NULL);
    free(inner);
    return rc;
}

int enl_send_session(enl_profile *p, const char *to, enl_session *s)
{
    enl_contact c;
    int rc;

    if ((rc = enl_contact_by_name(p, to, &c)) != ENL_OK) return rc;
    if (c.burned)
        return enl_fail(p, ENL_EREFUSED, "%s's keys are burned (%s): nothing is sealed to them "
                        "any more", to, c.burn_reason);
    rc = pick_session(p, &c, s);
    if (rc == ENL_ENOTFOUND) {
        if (enl_now() >= c.card.expires)
            return enl_fail(p, ENL_EEXPIRED, "%s's card has expired: ask for a new one", to);
        rc = session_start(p, &c, s);
    }
    return rc;
}

uint32_t enl_send_expiry(uint32_t hours)
{
    /* Round up to the next whole hour, so a note lives at least as long as
     * asked (hours + 1 at most): the header only holds whole hours. */
    return (uint32_t)((enl_now() + (uint64_t)hours * 3600 + 3599) / 3600);
}

int enl_send_note(enl_profile *p, enl_session *s, const enl_payload *pl, size_t floor,
                  uint32_t expiry, uint8_t id[ENL_IDBYTES], uint8_t lock_out[ENL_PURGELOCKBYTES])
{
    uint8_t nid[ENL_IDBYTES], lock[ENL_PURGELOCKBYTES], key[ENL_PURGEKEYBYTES];
    uint8_t *note = NULL, *payload = NULL;
    size_t note_len = 0, payload_len = 0;
    int rc, first = !enl_ratchet_can_send_without_init(&s->r);
    uint32_t n;

    if ((rc = enl_note_sizes(pl->body_len, floor, first, &note_len, &payload_len)) != ENL_OK)
        return rc;
    note = malloc(note_len);
    payload = enl_secmem_alloc(payload_len);
    if (note == NULL || payload == NULL) { rc = ENL_ENOMEM; goto out; }
    if ((rc = enl_payload_encode(payload, payload_len, pl)) != ENL_OK) goto out;
    /* The purge key is the second secret of the message key this note is
     * sealed with: the recipient derives it by opening the note, and no one
     * else can until it publishes it. */
    if ((rc = enl_ratchet_next_purge_key(&s->r, key)) != ENL_OK) goto out;
    enl_purge_lock(lock, key);
    enl_note_header_encode(note, expiry, lock);
    n = s->r.ns;
    if ((rc = seal(p, s, first, note, note_len, payload, payload_len)) != ENL_OK) goto out;
    /* how long the peer can still enter this chain (enl_ratchet_restart_sending) */
    enl_ratchet_mark_sent(&s->r, n, expiry, ENL_SESSION_WINDOW);
    enl_note_id(nid, note, note_len);
    {
        uint8_t own[ENL_STORE_SOURCEBYTES];
        enl_store_own_source(p->st, own, s->peer_dh_pk, 32);
        rc = enl_store_note_put(p->st, nid, lock, expiry, note + ENL_NOTE_HEADERBYTES, own, note,
                                note_len);
    }
    if (rc == ENL_OK) rc = enl_store_set_add(p->st, "outbox", lock, expiry);
    /* Kept until delivered or expired: if the recipient's keys are burned,
     * these purge keys take the note back from every courier. */
    if (rc == ENL_OK) {
        uint8_t rec[1 + 32 + 32 + 4], h[32];
        rec[0] = 1;
        memcpy(rec + 1, s->peer_dh_pk, 32);
        memcpy(rec + 33, key, 32);
        enl_store_be32(rec + 65, expiry);
        enl_store_index(p->st, h, "outgoing", lock, sizeof lock);
        rc = enl_store_row_put_expiring(p->st, "outgoing", h, rec, sizeof rec, expiry);
        sodium_memzero(rec, sizeof rec);
    }
    if (rc == ENL_OK && id != NULL) memcpy(id, nid, sizeof nid);
    if (rc == ENL_OK && lock_out != NULL) memcpy(lock_out, lock, sizeof lock);
out:
    sodium_memzero(key, sizeof key);
    if (payload != NULL) enl_secmem_free(payload);
    free(note);
    return rc;
}

/* Seals body as a payload of `kind` to the contact named `to`, inside the
 * caller's transaction. */
static int seal_to(enl_profile *p, const char *to, uint8_t kind, const uint8_t *body, size_t len,
                   const enl_send_opts *opts, uint8_t note_id[ENL_IDBYTES])
{
    enl_payload pl;
    enl_session *s;
    uint32_t hours = opts != NULL && opts->expiry_hours ? opts->expiry_hours : ENL_EXPIRY_DEFAULT_HOURS;
    size_t floor = opts != NULL && opts->pad_floor ? opts->pad_floor : ENL_PAD_FLOOR;
    int rc;

    if (hours > ENL_EXPIRY_MAX_HOURS)
        return enl_fail(p, ENL_EINVAL, "expiry is at most %d hours", ENL_EXPIRY_MAX_HOURS);
    memset(&pl, 0, sizeof pl);
    pl.kind = kind;
    pl.sent = enl_now();
    pl.disappear = opts != NULL ? opts->disappear : 0;
    if (pl.disappear > ENL_DISAPPEAR_MAX)
        return enl_fail(p, ENL_EINVAL, "a message can disappear at most a year after it is read");
    pl.body = body;
    pl.body_len = len;
    if ((s = enl_secmem_alloc(sizeof *s)) == NULL) return ENL_ENOMEM;
    rc = enl_send_session(p, to, s);
    if (rc == ENL_OK) rc = enl_send_note(p, s, &pl, floor, enl_send_expiry(hours), note_id, NULL);
    if (rc == ENL_OK) rc = enl_session_save(p, s);
    sodium_memzero(&pl, sizeof pl);
    enl_secmem_free(s);
    return rc;
}

int enl_send_text(enl_profile *p, const char *to, const uint8_t *text, size_t len,
                  const enl_send_opts *opts, uint8_t note_id[ENL_IDBYTES])
{
    uint8_t id[ENL_IDBYTES];
    int rc;

    if (to == NULL || (text == NULL && len > 0)) return ENL_EINVAL;
    if (len > ENL_TEXT_MAX) return enl_fail(p, ENL_ETOOBIG, "a message holds at most %d bytes", ENL_TEXT_MAX);
    /* From loading the session to saving it advanced, nobody else may use
     * it: two sends at once would otherwise seal with the same message key. */
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    if ((rc = seal_to(p, to, ENL_KIND_TEXT, text, len, opts, id)) != ENL_OK) {
        enl_store_rollback(p->st);
        return rc;
    }
    if ((rc = enl_store_commit(p->st)) == ENL_OK && note_id != NULL) memcpy(note_id, id, sizeof id);
    return rc;
}

int enl_seal_kind(enl_profile *p, const enl_contact *c, uint8_t kind, const uint8_t *body,
                  size_t len, const enl_send_opts *opts, uint8_t note_id[ENL_IDBYTES])
{
    return seal_to(p, c->name, kind, body, len, opts, note_id);
}
