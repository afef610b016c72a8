/*
 * libFuzzer target for reading notes back from a photo or scan of paper:
 * the bytes are taken for a PNG (libpng), its codes found (libzbar), parsed
 * and put back together, as `enlace paper import page.png` does. libpng and
 * libzbar are Debian's, not built for fuzzing, so what this target explores
 * is enlace's side: the image's size checked before anything is allocated,
 * every code zbar hands over treated as hostile, and only notes whose id
 * matches their codes coming out.
 *
 * Mutating a PNG's bytes mostly breaks a chunk's CRC or the compressed
 * pixels, and libpng then stops before enlace's code runs. So the first
 * byte says how the rest is taken:
 *
 *   even: a PNG file, whose chunk CRCs are put right first (a changed
 *         width, height or colour type gets through to enlace's checks);
 *   odd:  gray pixels, byte 1 = width - 1, then rows of that width, written
 *         as a PNG here: a mutation changes the picture (a module of a
 *         code, a second code), so zbar hands over codes that are almost
 *         a note's. The seeds hold real codes drawn this way.
 */
#include <png.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "enlace.h"
#include "paper/qr.h"
#include "paper_sink.h"

#define PIXELS_MAX (256 * 256)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Every whole chunk after the 8-byte signature gets the CRC it should have. */
static void fix_crcs(uint8_t *png, size_t len)
{
    size_t off = 8;
    while (len - off >= 12) {
        uint32_t n = be32(png + off);
        uint32_t crc;
        if (n > len - off - 12) break;
        crc = (uint32_t)crc32(0, png + off + 4, (uInt)n + 4);
        png[off + 8 + n] = (uint8_t)(crc >> 24);
        png[off + 9 + n] = (uint8_t)(crc >> 16);
        png[off + 10 + n] = (uint8_t)(crc >> 8);
        png[off + 11 + n] = (uint8_t)crc;
        off += 12 + (size_t)n;
    }
}

static void read_png(const uint8_t *png, size_t len)
{
    static uint8_t buf[ENL_NOTE_MAX];
    enl_paper_sink sink = { on_note, on_error, NULL };
    (void)enl_qr_read_png(png, len, buf, &sink);
}

static void from_png(const uint8_t *data, size_t size)
{
    uint8_t *png = malloc(size ? size : 1);
    if (png == NULL) abort();
    memcpy(png, data, size);
    if (size >= 8) fix_crcs(png, size);
    read_png(png, size);
    free(png);
}

static void from_pixels(const uint8_t *data, size_t size)
{
    png_image img;
    png_alloc_size_t len = 0;
    size_t w, h;
    uint8_t *png;

    if (size < 2) return;
    w = (size_t)data[1] + 1;
    h = (size - 2) / w;
    if (h * w > PIXELS_MAX) h = PIXELS_MAX / w;
    if (h == 0) return;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = PNG_FORMAT_GRAY;
    if (!png_image_write_to_memory(&img, NULL, &len, 0, data + 2, 0, NULL)) abort();
    if ((png = malloc(len)) == NULL) abort();
    if (!png_image_write_to_memory(&img, png, &len, 0, data + 2, 0, NULL)) abort();
    read_png(png, len);
    free(png);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;

    if (!ready) {
        if (enl_init() != ENL_OK) abort();
        ready = 1;
    }
    if (size == 0) return 0;
    if (data[0] & 1) from_pixels(data, size);
    else from_png(data + 1, size - 1);
    return 0;
}
