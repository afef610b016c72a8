/*
 * libFuzzer target for reading notes back from a photo or scan of paper:
 * the bytes are taken for a PNG (libpng), its codes found (libzbar), parsed
 * and put back together, as `enlace paper import page.png` does. libpng and
 * libzbar are Debian's, not built for fuzzing, so what this target explores
 * is enlace's side: the image's size checked before anything is allocated,
 * every code zbar hands over treated as hostile, and only notes whose id
 * matches their codes coming out.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enlace.h"
#include "paper/qr.h"
#include "paper_sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[ENL_NOTE_MAX];
    static int ready;
    enl_paper_sink sink = { on_note, on_error, NULL };

    if (!ready) {
        if (enl_init() != ENL_OK) abort();
        ready = 1;
    }
    (void)enl_qr_read_png(data, size, buf, &sink);
    return 0;
}
