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
/* A full note (65535 bytes) and the buffers made for it are just over 64
 * KiB: they are the blocks most worth keeping. Bigger ones are never
 * cached, and a thread keeps at most CACHE_BYTES in all (locked memory is
 * scarce: 8 MiB a process by default, and a listener runs 9 threads). */
#define CACHE_BLOCK_MAX (128u * 1024)
#define CACHE_BYTES (512u * 1024)
#define CHECK 0x656e6c2d7365636dULL

static _Thread_local struct {
    uint8_t *base[CACHE_BLOCKS];
    size_t n[CACHE_BLOCKS];
    size_t count, bytes;
} cache;

/* Takes entry i out, keeping the others in the order they were freed. */
static uint8_t *cache_take(size_t i)
{
    uint8_t *base = cache.base[i];
    cache.bytes -= cache.n[i];
    cache.count--;
    memmove(&cache.base[i], &cache.base[i + 1], (cache.count - i) * sizeof cache.base[0]);
    memmove(&cache.n[i], &cache.n[i + 1], (cache.count - i) * sizeof cache.n[0]);
    return base;
}

void *enl_secmem_alloc(size_t n)
{
    uint8_t *base;
    uint64_t h[2];

    /* The most recently freed block of that size first. */
    for (size_t i = cache.count; i-- > 0;)
        if (cache.n[i] == n) return cache_take(i) + HDR;
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
    if (h[0] > CACHE_BLOCK_MAX) {
        sodium_free(base);
        return;
    }
    sodium_memzero(p, (size_t)h[0]);
    /* Room is made by letting the longest-unused blocks go: a block of a
     * size no longer asked for must not keep the cache full for good. */
    while (cache.count == CACHE_BLOCKS || cache.bytes + h[0] > CACHE_BYTES)
        sodium_free(cache_take(0));
    cache.base[cache.count] = base;
    cache.n[cache.count] = (size_t)h[0];
    cache.bytes += (size_t)h[0];
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
    cache.bytes = 0;
}
