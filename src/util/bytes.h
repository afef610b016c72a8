/*
 * Bounds-checked big-endian readers and writers over caller-owned buffers.
 *
 * Every parser in enlace reads through enl_rd: a read past the end sets a
 * sticky error flag and yields zeros, so a parser checks rd.err once at the
 * end instead of before every field, and can never read out of bounds.
 * Writers work the same way: a write that does not fit sets wr.err.
 */
#ifndef ENL_UTIL_BYTES_H
#define ENL_UTIL_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const uint8_t *p;
    size_t len;
    size_t off;
    int err;
} enl_rd;

typedef struct {
    uint8_t *p;
    size_t cap;
    size_t len;
    int err;
} enl_wr;

static inline enl_rd enl_rd_init(const uint8_t *p, size_t len)
{
    enl_rd r = { p, len, 0, 0 };
    return r;
}

static inline size_t enl_rd_left(const enl_rd *r)
{
    return r->err ? 0 : r->len - r->off;
}

/* Returns a pointer to the next n bytes, or NULL (and sets err) when fewer remain. */
static inline const uint8_t *enl_rd_ptr(enl_rd *r, size_t n)
{
    const uint8_t *q;
    if (r->err || n > r->len - r->off) {
        r->err = 1;
        return NULL;
    }
    q = r->p + r->off;
    r->off += n;
    return q;
}

static inline void enl_rd_bytes(enl_rd *r, uint8_t *out, size_t n)
{
    const uint8_t *q = enl_rd_ptr(r, n);
    if (q == NULL) {
        memset(out, 0, n);
        return;
    }
    memcpy(out, q, n);
}

static inline uint64_t enl_rd_be(enl_rd *r, size_t n)
{
    const uint8_t *q = enl_rd_ptr(r, n);
    uint64_t v = 0;
    size_t i;
    if (q == NULL) return 0;
    for (i = 0; i < n; i++) v = (v << 8) | q[i];
    return v;
}

static inline uint8_t enl_rd_u8(enl_rd *r) { return (uint8_t)enl_rd_be(r, 1); }
static inline uint16_t enl_rd_u16(enl_rd *r) { return (uint16_t)enl_rd_be(r, 2); }
static inline uint32_t enl_rd_u32(enl_rd *r) { return (uint32_t)enl_rd_be(r, 4); }
static inline uint64_t enl_rd_u64(enl_rd *r) { return enl_rd_be(r, 8); }

static inline enl_wr enl_wr_init(uint8_t *p, size_t cap)
{
    enl_wr w = { p, cap, 0, 0 };
    return w;
}

/* Reserves n bytes and returns where to write them, or NULL (and sets err). */
static inline uint8_t *enl_wr_ptr(enl_wr *w, size_t n)
{
    uint8_t *q;
    if (w->err || n > w->cap - w->len) {
        w->err = 1;
        return NULL;
    }
    q = w->p + w->len;
    w->len += n;
    return q;
}

static inline void enl_wr_bytes(enl_wr *w, const uint8_t *src, size_t n)
{
    uint8_t *q = enl_wr_ptr(w, n);
    if (q != NULL && n > 0) memcpy(q, src, n);
}

static inline void enl_wr_be(enl_wr *w, uint64_t v, size_t n)
{
    uint8_t *q = enl_wr_ptr(w, n);
    size_t i;
    if (q == NULL) return;
    for (i = 0; i < n; i++) q[n - 1 - i] = (uint8_t)(v >> (8 * i));
}

static inline void enl_wr_u8(enl_wr *w, uint8_t v) { enl_wr_be(w, v, 1); }
static inline void enl_wr_u16(enl_wr *w, uint16_t v) { enl_wr_be(w, v, 2); }
static inline void enl_wr_u32(enl_wr *w, uint32_t v) { enl_wr_be(w, v, 4); }
static inline void enl_wr_u64(enl_wr *w, uint64_t v) { enl_wr_be(w, v, 8); }

static inline void enl_store_be32(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24); out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);  out[3] = (uint8_t)v;
}

static inline uint32_t enl_load_be32(const uint8_t in[4])
{
    return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) | ((uint32_t)in[2] << 8) | in[3];
}

/* 1 when the hex digits of prefix (either case) begin the hex of bytes[0..n). */
static inline int enl_hex_prefix_is(const char *prefix, const uint8_t *bytes, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    size_t i;
    for (i = 0; prefix[i] != '\0'; i++) {
        char want = prefix[i];
        if (i >= 2 * n) return 0;
        if (want >= 'A' && want <= 'F') want = (char)(want - 'A' + 'a');
        if (hx[(bytes[i / 2] >> (i % 2 ? 0 : 4)) & 15] != want) return 0;
    }
    return i > 0;
}

#endif
