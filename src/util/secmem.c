/* Cached sodium_malloc blocks; see secmem.h.
 *
 * Each block carries a 16-byte header before the pointer handed out: its
 * size and the size xor a constant. A pointer whose header does not check
 * is taken for a bare sodium_malloc block (its 16 bytes before are
 * libsodium's random canary) and given to sodium_free. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/secmem.h"

#define HDR 16
#define CACHE_BLOCKS 16
#define CACHE_BLOCK_MAX (64u * 1024)   /* bigger blocks are never cached */
#define CHECK 0x656e6c2d7365636dULL

static _Thread_local struct {
    uint8_t *base[CACHE_BLOCKS];
    size_t n[CACHE_BLOCKS];
    size_t count;
} cache;

void *enl_secmem_alloc(size_t n)
{
    uint8_t *base;
    uint64_t h[2];

    for (size_t i = 0; i < cache.count; i++) {
        if (cache.n[i] != n) continue;
        base = cache.base[i];
        cache.count--;
        cache.base[i] = cache.base[cache.count];
        cache.n[i] = cache.n[cache.count];
        return base + HDR;
    }
    if (n > SIZE_MAX - HDR || (base = sodium_malloc(HDR + n)) == NULL) return NULL;
    h[0] = (uint64_t)n;
    h[1] = (uint64_t)n ^ CHECK;
    memcpy(base, h, sizeof h);
    return base + HDR;
}

void enl_secmem_free(void *p)
{
    uint8_t *base;
    uint64_t h[2];

    if (p == NULL) return;
    base = (uint8_t *)p - HDR;
    memcpy(h, base, sizeof h);
    if ((h[0] ^ CHECK) != h[1]) {
        sodium_free(p);
        return;
    }
    if (h[0] > CACHE_BLOCK_MAX || cache.count == CACHE_BLOCKS) {
        sodium_free(base);
        return;
    }
    sodium_memzero(p, (size_t)h[0]);
    cache.base[cache.count] = base;
    cache.n[cache.count] = (size_t)h[0];
    cache.count++;
}

void *enl_grow_wiped(void *p, size_t old_bytes, size_t new_bytes)
{
    void *q = malloc(new_bytes);
    if (q == NULL) return NULL;
    if (p != NULL) {
        memcpy(q, p, old_bytes < new_bytes ? old_bytes : new_bytes);
        enl_free_wiped(p, old_bytes);
    }
    return q;
}

void enl_free_wiped(void *p, size_t n)
{
    if (p == NULL) return;
    sodium_memzero(p, n);
    free(p);
}

void enl_secmem_flush(void)
{
    while (cache.count > 0) sodium_free(cache.base[--cache.count]);
}
