/*
 * File heads and parts, and putting a file back together. See file.h for
 * the layouts; every length is checked before it is read.
 */
#include "note/file.h"

#include <string.h>

#include "util/bytes.h"

uint32_t enl_file_parts_for(uint64_t size, uint32_t chunk)
{
    uint64_t n;
    if (size == 0 || chunk == 0) return 0;
    n = size / chunk + (size % chunk != 0);
    return n > UINT32_MAX ? 0 : (uint32_t)n;
}

size_t enl_file_part_len(const enl_file_head *h, uint32_t index)
{
    if (index >= h->parts) return 0;
    if (index + 1 < h->parts) return h->chunk;
    return (size_t)(h->size - (uint64_t)index * h->chunk);
}

int enl_file_name_ok(const uint8_t *name, size_t len)
{
    if (len == 0 || len > ENL_FILE_NAME_MAX) return 0;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.')) return 0;
    for (size_t i = 0; i < len; i++)
        if (name[i] < 0x20 || name[i] == 0x7f || name[i] == '/' || name[i] == '\\') return 0;
    return 1;
}

/* The rules a head must keep, for the encoder and the parser alike. */
static int head_ok(const enl_file_head *h)
{
    if (h->size > ENL_FILE_MAX) return ENL_ETOOBIG;
    if (h->size == 0 || h->chunk < ENL_FILE_CHUNK_MIN || h->chunk > ENL_FILE_CHUNK ||
        h->parts != enl_file_parts_for(h->size, h->chunk))
        return ENL_EMALFORMED;
    if (!enl_file_name_ok(h->name, h->name_len) || h->note_len > ENL_FILE_NOTE_MAX ||
        (h->note_len > 0 && h->note == NULL))
        return ENL_EMALFORMED;
    return ENL_OK;
}

size_t enl_file_head_len(const enl_file_head *h)
{
    return ENL_FILE_HEAD_FIXED + h->name_len + h->note_len;
}

size_t enl_file_part_encoded_len(size_t data_len)
{
    return ENL_FILE_PART_FIXED + data_len;
}

int enl_file_head_encode(uint8_t *out, size_t max, const enl_file_head *h)
{
    enl_wr w = enl_wr_init(out, max);
    int rc = head_ok(h);
    if (rc != ENL_OK) return rc == ENL_ETOOBIG ? rc : ENL_EINVAL;
    enl_wr_u8(&w, ENL_FILE_VERSION);
    enl_wr_bytes(&w, h->id, ENL_FILE_IDBYTES);
    enl_wr_u64(&w, h->size);
    enl_wr_u32(&w, h->parts);
    enl_wr_u32(&w, h->chunk);
    enl_wr_bytes(&w, h->hash, ENL_FILE_HASHBYTES);
    enl_wr_u8(&w, (uint8_t)h->name_len);
    enl_wr_bytes(&w, h->name, h->name_len);
    enl_wr_u16(&w, (uint16_t)h->note_len);
    enl_wr_bytes(&w, h->note, h->note_len);
    return w.err ? ENL_EBUFSIZE : ENL_OK;
}

int enl_file_head_parse(enl_file_head *h, const uint8_t *in, size_t len)
{
    enl_rd r = enl_rd_init(in, len);
    uint8_t version = enl_rd_u8(&r);
    int rc;
    if (r.err) return ENL_EMALFORMED;
    if (version != ENL_FILE_VERSION) return ENL_EVERSION;
    enl_rd_bytes(&r, h->id, ENL_FILE_IDBYTES);
    h->size = enl_rd_u64(&r);
    h->parts = enl_rd_u32(&r);
    h->chunk = enl_rd_u32(&r);
    enl_rd_bytes(&r, h->hash, ENL_FILE_HASHBYTES);
    h->name_len = enl_rd_u8(&r);
    h->name = enl_rd_ptr(&r, h->name_len);
    h->note_len = enl_rd_u16(&r);
    h->note = enl_rd_ptr(&r, h->note_len);
    if (r.err || enl_rd_left(&r) != 0) return ENL_EMALFORMED;
    if ((rc = head_ok(h)) != ENL_OK) return rc;
    return ENL_OK;
}

int enl_file_part_encode(uint8_t *out, size_t max, const enl_file_part *p)
{
    enl_wr w = enl_wr_init(out, max);
    if (p->len == 0 || p->len > ENL_FILE_CHUNK) return ENL_EINVAL;
    enl_wr_u8(&w, ENL_FILE_VERSION);
    enl_wr_bytes(&w, p->id, ENL_FILE_IDBYTES);
    enl_wr_u32(&w, p->index);
    enl_wr_bytes(&w, p->data, p->len);
    return w.err ? ENL_EBUFSIZE : ENL_OK;
}

int enl_file_part_parse(enl_file_part *p, const uint8_t *in, size_t len)
{
    enl_rd r = enl_rd_init(in, len);
    uint8_t version = enl_rd_u8(&r);
    if (r.err) return ENL_EMALFORMED;
    if (version != ENL_FILE_VERSION) return ENL_EVERSION;
    enl_rd_bytes(&r, p->id, ENL_FILE_IDBYTES);
    p->index = enl_rd_u32(&r);
    if (r.err) return ENL_EMALFORMED;
    p->len = enl_rd_left(&r);
    p->data = in + r.off;
    if (p->len == 0) return ENL_EMALFORMED;
    if (p->len > ENL_FILE_CHUNK) return ENL_ETOOBIG;
    return ENL_OK;
}

void enl_file_check_init(enl_file_check *c, const enl_file_head *h)
{
    memset(c, 0, sizeof *c);
    crypto_generichash_init(&c->hs, NULL, 0, ENL_FILE_HASHBYTES);
    c->size = h->size;
    c->parts = h->parts;
    c->chunk = h->chunk;
    memcpy(c->hash, h->hash, sizeof c->hash);
}

int enl_file_check_part(enl_file_check *c, uint32_t index, const uint8_t *data, size_t len)
{
    uint64_t want;
    if (index != c->next || index >= c->parts) return ENL_EMALFORMED;
    want = index + 1 < c->parts ? c->chunk : c->size - (uint64_t)index * c->chunk;
    if (len != want) return ENL_EMALFORMED;
    crypto_generichash_update(&c->hs, data, len);
    c->done += len;
    c->next++;
    return ENL_OK;
}

int enl_file_check_final(enl_file_check *c)
{
    uint8_t got[ENL_FILE_HASHBYTES];
    int rc;
    if (c->next != c->parts || c->done != c->size) return ENL_EMALFORMED;
    crypto_generichash_final(&c->hs, got, sizeof got);
    rc = sodium_memcmp(got, c->hash, sizeof got) == 0 ? ENL_OK : ENL_EDECRYPT;
    sodium_memzero(got, sizeof got);
    return rc;
}
