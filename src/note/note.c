/*
 * Note header, ids, purge locks, payloads and Padmé. See note.h for the
 * layout; every length is checked before it is read.
 */
#include "note/note.h"

#include <sodium.h>
#include <string.h>

#include "crypto/seal.h"
#include "util/bytes.h"

static const char purge_ctx[] = "enlace purge lock v2";

int enl_note_header_parse(enl_note_header *h, const uint8_t *note, size_t len, uint32_t now_hours)
{
    enl_rd r = enl_rd_init(note, len);
    if (len > ENL_NOTE_MAX) return ENL_ETOOBIG;
    if (len < ENL_NOTE_MINBYTES) return ENL_EMALFORMED;
    h->version = enl_rd_u8(&r);
    h->expiry_hours = enl_rd_u32(&r);
    memset(h->purge_lock, 0, sizeof h->purge_lock);
    enl_rd_bytes(&r, h->purge_lock, ENL_PURGELOCK_WIREBYTES);
    if (r.err) return ENL_EMALFORMED;
    if (h->version != ENL_NOTE_VERSION) return ENL_EVERSION;
    if (h->expiry_hours <= now_hours) return ENL_EEXPIRED;
    if (h->expiry_hours - now_hours > ENL_EXPIRY_MAX_HOURS + 24) return ENL_EFUTURE;
    return ENL_OK;
}

void enl_note_id(uint8_t id[ENL_IDBYTES], const uint8_t *note, size_t len)
{
    crypto_generichash(id, ENL_IDBYTES, note, len, NULL, 0);
}

void enl_purge_lock(uint8_t lock[ENL_PURGELOCKBYTES], const uint8_t key[ENL_PURGEKEYBYTES])
{
    memset(lock, 0, ENL_PURGELOCKBYTES);
    crypto_generichash(lock, ENL_PURGELOCK_WIREBYTES, key, ENL_PURGEKEYBYTES,
                       (const uint8_t *)purge_ctx, sizeof purge_ctx - 1);
}

void enl_purge_lock_random(uint8_t lock[ENL_PURGELOCKBYTES])
{
    memset(lock, 0, ENL_PURGELOCKBYTES);
    randombytes_buf(lock, ENL_PURGELOCK_WIREBYTES);
}

int enl_payload_encode(uint8_t *out, size_t out_len, const enl_payload *pl)
{
    enl_wr w = enl_wr_init(out, out_len);
    if (pl->body_len > UINT16_MAX) return ENL_ETOOBIG;
    if (pl->sent > UINT32_MAX) return ENL_EINVAL;
    enl_wr_u8(&w, pl->kind);
    enl_wr_u32(&w, (uint32_t)pl->sent);
    enl_wr_u32(&w, pl->disappear);
    enl_wr_u16(&w, (uint16_t)pl->body_len);
    enl_wr_bytes(&w, pl->body, pl->body_len);
    if (w.err) return ENL_ETOOBIG;
    memset(out + w.len, 0, out_len - w.len);
    return ENL_OK;
}

int enl_payload_parse(enl_payload *pl, const uint8_t *in, size_t len)
{
    enl_rd r = enl_rd_init(in, len);
    uint32_t n;
    pl->kind = enl_rd_u8(&r);
    pl->sent = enl_rd_u32(&r);
    pl->disappear = enl_rd_u32(&r);
    n = enl_rd_u16(&r);
    pl->body = enl_rd_ptr(&r, n);
    pl->body_len = n;
    if (r.err) return ENL_EMALFORMED;
    /* Padding must be zeros: one byte string, one meaning. */
    for (size_t i = r.off; i < len; i++)
        if (in[i] != 0) return ENL_EMALFORMED;
    if (!enl_kind_known(pl->kind)) return ENL_EVERSION;
    if (pl->disappear > ENL_DISAPPEAR_MAX) return ENL_EMALFORMED;
    /* A file is kept until it is saved or deleted: it does not disappear. */
    if ((pl->kind == ENL_KIND_FILE_HEAD || pl->kind == ENL_KIND_FILE_PART) && pl->disappear != 0)
        return ENL_EMALFORMED;
    return ENL_OK;
}

int enl_note_sizes(size_t body_len, size_t pad_floor, int first, size_t *note_len,
                   size_t *payload_len)
{
    size_t fixed = ENL_NOTE_HEADERBYTES + ENL_RATCHET_MSG_OVERHEAD, raw, padded;
    if (first) fixed += ENL_SEAL_OVERHEAD + ENL_FIRST_FIXEDBYTES + ENL_FIRST_INITBYTES;
    if (body_len > ENL_NOTE_MAX) return ENL_ETOOBIG;
    raw = fixed + ENL_PAYLOAD_FIXEDBYTES + body_len;
    if (pad_floor < ENL_PAD_FLOOR_MIN) pad_floor = ENL_PAD_FLOOR_MIN;
    padded = enl_padme(raw < pad_floor ? pad_floor : raw);
    if (padded > ENL_NOTE_MAX) padded = ENL_NOTE_MAX;
    if (raw > padded) return ENL_ETOOBIG;
    *note_len = padded;
    *payload_len = padded - fixed;
    return ENL_OK;
}

void enl_note_header_encode(uint8_t out[ENL_NOTE_HEADERBYTES], uint32_t expiry_hours,
                            const uint8_t lock[ENL_PURGELOCKBYTES])
{
    enl_wr w = enl_wr_init(out, ENL_NOTE_HEADERBYTES);
    enl_wr_u8(&w, ENL_NOTE_VERSION);
    enl_wr_u32(&w, expiry_hours);
    enl_wr_bytes(&w, lock, ENL_PURGELOCK_WIREBYTES);
}

int enl_payload_check_lock(const enl_payload *pl, const uint8_t lock[ENL_PURGELOCKBYTES])
{
    uint8_t mine[ENL_PURGELOCKBYTES];
    enl_purge_lock(mine, pl->purge_key);
    return sodium_memcmp(mine, lock, sizeof mine) == 0 ? ENL_OK : ENL_EMALFORMED;
}

int enl_note_seal_first(uint8_t *note, size_t note_len, const enl_identity *from,
                        const uint8_t to_dh_pk[32], const uint8_t *inner, size_t inner_len,
                        const uint8_t *fixed_e)
{
    uint8_t plain[ENL_NOTE_MAX];
    size_t pt_len = ENL_FIRST_FIXEDBYTES + inner_len;
    int rc;

    if (note_len > ENL_NOTE_MAX ||
        note_len != ENL_NOTE_HEADERBYTES + ENL_SEAL_OVERHEAD + pt_len)
        return ENL_EINVAL;
    memcpy(plain, from->sign_pk, 32);
    memcpy(plain + 32, inner, inner_len);
    rc = enl_seal_x(note + ENL_NOTE_HEADERBYTES, note_len - ENL_NOTE_HEADERBYTES, note,
                    ENL_NOTE_HEADERBYTES, from->dh_sk, to_dh_pk, plain, pt_len, fixed_e);
    sodium_memzero(plain, pt_len);
    return rc;
}

int enl_note_open_first(const uint8_t *note, size_t len, const uint8_t my_dh_sk[32],
                        uint8_t *plain, uint8_t sender_dh_pk[32], uint8_t sender_sign_pk[32],
                        const uint8_t **inner, size_t *inner_len)
{
    size_t pt_len;
    int rc;
    if (len > ENL_NOTE_MAX) return ENL_ETOOBIG;
    if (len < ENL_NOTE_HEADERBYTES + ENL_SEAL_OVERHEAD + ENL_FIRST_FIXEDBYTES) return ENL_ENOTFORME;
    pt_len = len - ENL_NOTE_HEADERBYTES - ENL_SEAL_OVERHEAD;
    rc = enl_open_x(plain, sender_dh_pk, note, ENL_NOTE_HEADERBYTES, my_dh_sk,
                    note + ENL_NOTE_HEADERBYTES, len - ENL_NOTE_HEADERBYTES);
    if (rc != ENL_OK) return rc;
    memcpy(sender_sign_pk, plain, 32);
    *inner = plain + ENL_FIRST_FIXEDBYTES;
    *inner_len = pt_len - ENL_FIRST_FIXEDBYTES;
    return ENL_OK;
}

void enl_purge_encode(uint8_t out[ENL_PURGEBYTES], uint32_t expiry_hours,
                      const uint8_t key[ENL_PURGEKEYBYTES])
{
    enl_wr w = enl_wr_init(out, ENL_PURGEBYTES);
    enl_wr_u8(&w, ENL_PURGE_VERSION);
    enl_wr_u32(&w, expiry_hours);
    enl_wr_bytes(&w, key, ENL_PURGEKEYBYTES);
}

int enl_purge_parse(uint32_t *expiry_hours, uint8_t key[ENL_PURGEKEYBYTES],
                    uint8_t lock[ENL_PURGELOCKBYTES], const uint8_t *in, size_t len,
                    uint32_t now_hours)
{
    enl_rd r = enl_rd_init(in, len);
    if (len != ENL_PURGEBYTES) return ENL_EMALFORMED;
    if (enl_rd_u8(&r) != ENL_PURGE_VERSION) return ENL_EVERSION;
    *expiry_hours = enl_rd_u32(&r);
    enl_rd_bytes(&r, key, ENL_PURGEKEYBYTES);
    if (r.err) return ENL_EMALFORMED;
    if (*expiry_hours <= now_hours) return ENL_EEXPIRED;
    if (*expiry_hours - now_hours > ENL_EXPIRY_MAX_HOURS + 24) return ENL_EFUTURE;
    enl_purge_lock(lock, key);
    return ENL_OK;
}
