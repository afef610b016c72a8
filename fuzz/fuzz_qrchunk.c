/*
 * libFuzzer target for the QR chunk parser and the reassembly of notes from
 * codes. The input is a sequence of codes, each `length u16 || bytes`, as
 * libzbar would hand them over from one image: every code is parsed (or
 * refused), the parsed ones are put back together, and only notes whose id
 * matches their codes may come out.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enlace.h"
#include "paper/qr.h"
#include "paper_sink.h"

#define CODES_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[ENL_NOTE_MAX];
    static int ready;
    enl_qr_chunk chunks[CODES_MAX];
    enl_paper_sink sink = { on_note, on_error, NULL };
    size_t n = 0, off = 0;

    if (!ready) {
        if (enl_init() != ENL_OK) abort();
        ready = 1;
    }
    while (size - off >= 2 && n < CODES_MAX) {
        size_t k = ((size_t)data[off] << 8) | data[off + 1];
        off += 2;
        if (k > size - off) k = size - off;
        if (enl_qr_chunk_parse(&chunks[n], data + off, k) == ENL_OK) {
            if (chunks[n].index == 0 || chunks[n].index > chunks[n].count ||
                chunks[n].data != data + off + ENL_QR_HEADERBYTES)
                abort();
            n++;
        }
        off += k;
    }
    (void)enl_qr_assemble(chunks, n, buf, &sink);
    return 0;
}
