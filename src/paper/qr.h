/*
 * QR codes for notes: the chunk format (pure), drawing codes with
 * libqrencode to PNG (libpng), SVG (written here) or a terminal (UTF-8 half
 * blocks), and reading them back from a PNG with libzbar.
 *
 * A note travels in byte mode, in one code when it fits and otherwise in
 * up to 255 numbered codes of at most ENL_QR_CAPACITY bytes (version
 * ENL_QR_VERSION_MAX). Each code holds
 *
 *   tag u8 (0xE1) | index u8 (1-based) | count u8 | id prefix [4] | data
 *
 * The id prefix (the first 4 bytes of the note id) groups the codes of one
 * note when several notes share an image, and checks the whole once it is
 * put back together; the codes' own error correction (the strongest level
 * that keeps the smallest version holding the code at level L, PROTOCOL
 * "QR codes") takes care of smudges. The data of the codes, in index
 * order, is the note.
 */
#ifndef ENL_PAPER_QR_H
#define ENL_PAPER_QR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "enlace.h"
#include "paper/paper.h"

#define ENL_QR_TAG          0xE1
#define ENL_QR_HEADERBYTES  (3 + ENL_PAPER_IDPREFIX)
#define ENL_QR_VERSION_MAX  18   /* the largest code: 89 x 89 modules */
#define ENL_QR_CAPACITY     666  /* bytes in a version 18 code at level L */
#define ENL_QR_CHUNK_MAX    (ENL_QR_CAPACITY - ENL_QR_HEADERBYTES)
#define ENL_QR_CODES_MAX    255
#define ENL_QR_QUIET        4    /* modules of white around a code (2 in a terminal) */
#define ENL_QR_PIXELS_MAX   ((size_t)64 << 20)  /* largest image read or written */

_Static_assert((ENL_NOTE_MAX + ENL_QR_CHUNK_MAX - 1) / ENL_QR_CHUNK_MAX <= ENL_QR_CODES_MAX,
               "a note fits in 255 codes");

typedef struct {
    unsigned index, count;
    uint8_t id_prefix[ENL_PAPER_IDPREFIX];
    const uint8_t *data;    /* points into what was parsed */
    size_t len;
} enl_qr_chunk;

/* ---- the chunk format (pure) ------------------------------------------ */

/* How many codes a note of note_len bytes takes (0 when out of range). */
unsigned enl_qr_chunk_count(size_t note_len);

/* Writes the index-th code (1-based) of a note: the codes are cut evenly.
 * out must hold ENL_QR_CAPACITY bytes. */
int enl_qr_chunk_make(uint8_t out[static ENL_QR_CAPACITY], size_t *out_len, const uint8_t *note,
                      size_t note_len, unsigned index) __attribute__((warn_unused_result));

/* Reads a code's content; ENL_EMALFORMED when it is not a note's code. */
int enl_qr_chunk_parse(enl_qr_chunk *c, const uint8_t *in, size_t len)
    __attribute__((warn_unused_result));

/* Puts notes back together from codes found in any order (duplicates are
 * fine): sink->note for every note whose codes are all there and whose id
 * checks, sink->error for the rest (label = the code's index). buf is
 * scratch. Returns ENL_OK or the code of the first error. */
int enl_qr_assemble(const enl_qr_chunk *chunks, size_t n, uint8_t buf[static ENL_NOTE_MAX],
                    const enl_paper_sink *sink);

/* ---- drawing (libqrencode) --------------------------------------------- */

typedef struct enl_qr enl_qr;

/* Encodes bytes in byte mode in the smallest version that holds them at
 * level L, then at the strongest level (H, Q, M) that keeps that version. */
int enl_qr_encode(enl_qr **out, const uint8_t *data, size_t len) __attribute__((warn_unused_result));
void enl_qr_free(enl_qr *q);
int enl_qr_version(const enl_qr *q);
char enl_qr_level(const enl_qr *q);   /* 'L', 'M', 'Q' or 'H' */
int enl_qr_width(const enl_qr *q);   /* modules, without the quiet zone */
int enl_qr_dark(const enl_qr *q, int x, int y);

/* A sheet of codes in a grid (at most `columns` a row), scale pixels a
 * module, as an 8-bit grayscale PNG. ENL_ETOOBIG past ENL_QR_PIXELS_MAX. */
int enl_qr_write_png(FILE *f, const enl_qr *const *codes, size_t n, int columns, int scale)
    __attribute__((warn_unused_result));
/* The same sheet as SVG, module_mm millimetres a module. */
int enl_qr_write_svg(FILE *f, const enl_qr *const *codes, size_t n, int columns, double module_mm)
    __attribute__((warn_unused_result));
/* One code for a terminal: two modules a character, black on white whatever
 * the terminal's colours. */
int enl_qr_write_terminal(FILE *f, const enl_qr *q) __attribute__((warn_unused_result));

/* ---- reading (libpng, libzbar) ----------------------------------------- */

/* Calls fn with the raw bytes of every QR code found in a PNG image.
 * *found gets how many. ENL_EMALFORMED when it is not a readable PNG. */
int enl_qr_scan_png(const uint8_t *png, size_t len,
                    void (*fn)(void *ctx, const uint8_t *data, size_t len), void *ctx,
                    size_t *found) __attribute__((warn_unused_result));

/* Scans a PNG and puts its notes back together (enl_qr_assemble); a code
 * that is not a note's is reported through sink->error. */
int enl_qr_read_png(const uint8_t *png, size_t len, uint8_t buf[static ENL_NOTE_MAX],
                    const enl_paper_sink *sink) __attribute__((warn_unused_result));

#endif
