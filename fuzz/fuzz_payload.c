/*
 * libFuzzer target for the payload parser. A payload has one encoding per
 * meaning (the padding must be zeros), so whatever parses must encode back
 * to exactly the input bytes, and the body must lie inside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enlace.h"
#include "note/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static uint8_t again[ENL_NOTE_MAX];
    enl_payload pl;

    if (!ready) {
        if (enl_init() != ENL_OK) abort();
        ready = 1;
    }
    if (enl_payload_parse(&pl, data, size) != ENL_OK) return 0;
    if (!enl_kind_known(pl.kind)) abort();
    if (pl.body_len > size || pl.body < data || pl.body + pl.body_len > data + size) abort();
    if (pl.body_len + ENL_PAYLOAD_FIXEDBYTES > size) abort();
    if (size > sizeof again) return 0;
    if (enl_payload_encode(again, size, &pl) != ENL_OK) abort();
    if (memcmp(again, data, size) != 0) abort();
    return 0;
}
