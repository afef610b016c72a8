/*
 * libFuzzer target for the purge record parser, against a fixed clock.
 * What parses must encode back to the input, carry an expiry inside the
 * allowed window, and report the lock that its key hashes to.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enlace.h"
#include "note/note.h"

#define NOW_H ((uint32_t)(1790000000ull / 3600))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    uint8_t key[ENL_PURGEKEYBYTES], lock[ENL_PURGELOCKBYTES], want[ENL_PURGELOCKBYTES];
    uint8_t again[ENL_PURGEBYTES];
    uint32_t expiry = 0;

    if (!ready) {
        if (enl_init() != ENL_OK) abort();
        ready = 1;
    }
    if (enl_purge_parse(&expiry, key, lock, data, size, NOW_H) != ENL_OK) return 0;
    if (size != ENL_PURGEBYTES) abort();
    if (expiry <= NOW_H || expiry - NOW_H > ENL_EXPIRY_MAX_HOURS + 24) abort();
    enl_purge_lock(want, key);
    if (memcmp(want, lock, sizeof lock) != 0) abort();
    enl_purge_encode(again, expiry, key);
    if (memcmp(again, data, size) != 0) abort();
    return 0;
}
