/* Loading and saving sessions, and keeping their recognition tags; see session.h. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/session.h"
#include "util/bytes.h"
#include "util/secmem.h"

#define SESSION_VERSION 1
#define SESSION_FIXED (1 + 1 + 32 + 32 + 4 + 32)
#define TAGS_MAX (2 * ENL_SESSION_WINDOW + 512)

void enl_session_key(enl_profile *p, const uint8_t peer_dh[32], uint8_t role, uint8_t h[32])
{
    uint8_t k[33];
    memcpy(k, peer_dh, 32);
    k[32] = role;
    enl_store_index(p->st, h, "sessions", k, sizeof k);
}

int enl_session_load(enl_profile *p, const uint8_t h[32], enl_session *s)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    enl_rd r;
    int rc = enl_store_row_get(p->st, "sessions", h, &buf, &len);
    if (rc != ENL_OK) return rc;
    r = enl_rd_init(buf, len);
    if (enl_rd_u8(&r) != SESSION_VERSION) { rc = ENL_ESTORE; goto out; }
    s->role = enl_rd_u8(&r);
    enl_rd_bytes(&r, s->peer_sign_pk, 32);
    enl_rd_bytes(&r, s->peer_dh_pk, 32);
    s->prekey_id = enl_rd_u32(&r);
    enl_rd_bytes(&r, s->ek_pub, 32);
    if (r.err) { rc = ENL_ESTORE; goto out; }
    rc = enl_ratchet_parse(&s->r, buf + r.off, len - r.off);
    if (rc != ENL_OK) rc = ENL_ESTORE;
out:
    enl_store_free(buf, len);
    return rc;
}

int enl_sessions_forget(enl_profile *p, const uint8_t peer_dh[32])
{
    for (uint8_t role = 0; role < 2; role++) {
        uint8_t h[32];
        int rc;
        enl_session_key(p, peer_dh, role, h);
        if ((rc = enl_store_tags_replace(p->st, h, NULL, 0)) != ENL_OK) return rc;
        if ((rc = enl_store_row_delete(p->st, "sessions", h)) != ENL_OK) return rc;
    }
    return ENL_OK;
}

int enl_session_save(enl_profile *p, const enl_session *s)
{
    size_t rlen = enl_ratchet_serialized_len(&s->r), len = SESSION_FIXED + rlen, n;
    uint8_t h[32], (*tags)[16] = NULL, *buf = enl_secmem_alloc(len);
    enl_wr w = enl_wr_init(buf, len);
    int rc;

    if (buf == NULL) return ENL_ENOMEM;
    enl_wr_u8(&w, SESSION_VERSION);
    enl_wr_u8(&w, s->role);
    enl_wr_bytes(&w, s->peer_sign_pk, 32);
    enl_wr_bytes(&w, s->peer_dh_pk, 32);
    enl_wr_u32(&w, s->prekey_id);
    enl_wr_bytes(&w, s->ek_pub, 32);
    rc = w.err ? ENL_EINVAL : enl_ratchet_serialize(buf + w.len, rlen, &s->r);
    enl_session_key(p, s->peer_dh_pk, s->role, h);
    if (rc == ENL_OK) rc = enl_store_row_put(p->st, "sessions", h, buf, len);
    enl_secmem_free(buf);
    if (rc != ENL_OK) return rc;
    if ((tags = malloc(TAGS_MAX * sizeof *tags)) == NULL) return ENL_ENOMEM;
    n = enl_ratchet_tags(&s->r, tags, TAGS_MAX, ENL_SESSION_WINDOW);
    rc = enl_store_tags_replace(p->st, h, (const uint8_t (*)[16])tags, n);
    free(tags);
    return rc;
}
