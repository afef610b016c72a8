/*
 * Memory for secrets: sodium_malloc'd (guard pages, locked, canary), with a
 * small per-thread cache of freed blocks so that the per-note buffers of
 * sealing and intake do not cost an mmap, three mprotects, an mlock and
 * their undoing every time. A block is wiped (sodium_memzero) when it is
 * freed, before it goes into the cache; it is handed out again only for a
 * request of exactly its size, so its end still touches the guard page.
 * The cache keeps blocks up to 128 KiB (a full note's buffers are just over
 * 64), at most 16 and 512 KiB a thread; the longest unused go first.
 */
#ifndef ENL_UTIL_SECMEM_H
#define ENL_UTIL_SECMEM_H

#include <stddef.h>

/* NULL when out of memory. The contents are unspecified. */
void *enl_secmem_alloc(size_t n) __attribute__((malloc, warn_unused_result));
/* Wipes and releases a block from enl_secmem_alloc (or, by the same call,
 * one from sodium_malloc). NULL is a no-op. */
void enl_secmem_free(void *p);
/* Returns this thread's cached blocks to the system. */
void enl_secmem_flush(void);

/* realloc for arrays of decrypted records (ordinary heap): the new block is
 * a copy, and the old one is wiped before it is freed, where realloc would
 * leave it behind unwiped. NULL when out of memory (*p is then untouched). */
void *enl_grow_wiped(void *p, size_t old_bytes, size_t new_bytes) __attribute__((warn_unused_result));
/* Wipes n bytes of p, then frees it. NULL is a no-op. */
void enl_free_wiped(void *p, size_t n);

#endif
