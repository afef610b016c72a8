/*
 * libFuzzer target for the file payloads: the same bytes are read as a
 * head and as a part. Each layout has one encoding per meaning, so what
 * parses must encode back to exactly the input, keep its pointers inside
 * it and its counts consistent; a head that parses must also drive the
 * reassembly check to the end without reading outside its parts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enlace.h"
#include "note/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
    return n == 0 || (p >= data && p + n <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static uint8_t again[ENL_FILE_PART_FIXED + ENL_FILE_CHUNK], zeros[ENL_FILE_CHUNK];
    enl_file_head h;
    enl_file_part p;

    if (!ready) {
        if (enl_init() != ENL_OK) abort();
        ready = 1;
    }
    if (enl_file_head_parse(&h, data, size) == ENL_OK) {
        enl_file_check c;
        if (h.size == 0 || h.size > ENL_FILE_MAX || h.parts != enl_file_parts_for(h.size, h.chunk))
            abort();
        if (!inside(h.name, h.name_len, data, size) || !inside(h.note, h.note_len, data, size))
            abort();
        if (!enl_file_name_ok(h.name, h.name_len) || h.note_len > ENL_FILE_NOTE_MAX) abort();
        if (enl_file_head_len(&h) != size) abort();
        if (enl_file_head_encode(again, size, &h) != ENL_OK || memcmp(again, data, size) != 0)
            abort();
        /* The last part and the one before it: lengths add up to the size. */
        if ((uint64_t)(h.parts - 1) * h.chunk + enl_file_part_len(&h, h.parts - 1) != h.size) abort();
        if (enl_file_part_len(&h, h.parts) != 0) abort();
        enl_file_check_init(&c, &h);
        if (h.parts <= 4) {
            for (uint32_t i = 0; i < h.parts; i++)
                if (enl_file_check_part(&c, i, zeros, enl_file_part_len(&h, i)) != ENL_OK) abort();
            (void)enl_file_check_final(&c);
        }
    }
    if (enl_file_part_parse(&p, data, size) == ENL_OK) {
        if (p.len == 0 || p.len > ENL_FILE_CHUNK || !inside(p.data, p.len, data, size)) abort();
        if (enl_file_part_encoded_len(p.len) != size) abort();
        if (enl_file_part_encode(again, size, &p) != ENL_OK || memcmp(again, data, size) != 0)
            abort();
    }
    return 0;
}
