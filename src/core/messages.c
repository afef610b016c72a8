/* Encoding of stored messages; see messages.h. */
#include "core/messages.h"

#include "enlace.h"
#include "util/bytes.h"

size_t enl_msg_size(const enl_msg_rec *m)
{
    return ENL_MSG_FIXEDBYTES + m->text_len + 1 + (m->in_cell ? 32 : 0);
}

size_t enl_msg_encode(uint8_t *out, const enl_msg_rec *m)
{
    enl_wr w = enl_wr_init(out, enl_msg_size(m));
    enl_wr_u8(&w, ENL_MSG_VERSION);
    enl_wr_u8(&w, m->flags);
    enl_wr_bytes(&w, m->sign_pk, 32);
    enl_wr_bytes(&w, m->dh_pk, 32);
    enl_wr_u64(&w, m->sent);
    enl_wr_u64(&w, m->received);
    enl_wr_bytes(&w, m->note_id, 32);
    enl_wr_u32(&w, m->disappear);
    enl_wr_u64(&w, m->delete_at);
    enl_wr_u32(&w, (uint32_t)m->text_len);
    enl_wr_bytes(&w, m->text, m->text_len);
    enl_wr_u8(&w, (uint8_t)(m->in_cell != 0));
    if (m->in_cell) enl_wr_bytes(&w, m->cell_id, 32);
    return w.len;
}

int enl_msg_decode(enl_msg_rec *m, const uint8_t *in, size_t len)
{
    enl_rd r = enl_rd_init(in, len);
    int version = enl_rd_u8(&r);
    if (version != 2 && version != ENL_MSG_VERSION) return ENL_ESTORE;
    m->flags = enl_rd_u8(&r);
    enl_rd_bytes(&r, m->sign_pk, 32);
    enl_rd_bytes(&r, m->dh_pk, 32);
    m->sent = enl_rd_u64(&r);
    m->received = enl_rd_u64(&r);
    enl_rd_bytes(&r, m->note_id, 32);
    m->disappear = enl_rd_u32(&r);
    m->delete_at = enl_rd_u64(&r);
    m->text_len = enl_rd_u32(&r);
    m->text = enl_rd_ptr(&r, m->text_len);
    m->in_cell = 0;
    if (version >= 3 && (m->in_cell = enl_rd_u8(&r)) != 0) {
        if (m->in_cell != 1) return ENL_ESTORE;
        enl_rd_bytes(&r, m->cell_id, 32);
    }
    if (r.err || enl_rd_left(&r) != 0) return ENL_ESTORE;
    return ENL_OK;
}
