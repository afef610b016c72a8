/*
 * QR codes for notes (qr.h has the chunk format). The chunk functions are
 * pure; drawing goes through libqrencode, PNG through libpng's simplified
 * API, SVG is written here, and reading turns any PNG into 8-bit gray
 * (Y800) for libzbar with binary output on, so a code's bytes come back
 * as they went in rather than converted to text.
 */
#include "paper/qr.h"

#include <errno.h>
#include <limits.h>
#include <png.h>
#include <qrencode.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zbar.h>

#define ZBAR_CODES_MAX 1024  /* codes taken from one image */

struct enl_qr {
    QRcode *code;
    char level;   /* 'L', 'M', 'Q' or 'H' */
};

/* ---- the chunk format ------------------------------------------------- */

unsigned enl_qr_chunk_count(size_t note_len)
{
    if (note_len == 0 || note_len > ENL_NOTE_MAX) return 0;
    return (unsigned)((note_len + ENL_QR_CHUNK_MAX - 1) / ENL_QR_CHUNK_MAX);
}

/* Codes are cut evenly: the first note_len % count take one byte more. */
static void chunk_span(size_t note_len, unsigned count, unsigned index, size_t *off, size_t *len)
{
    size_t base = note_len / count, extra = note_len % count, i = index - 1;
    *off = i * base + (i < extra ? i : extra);
    *len = base + (i < extra ? 1 : 0);
}

int enl_qr_chunk_make(uint8_t out[static ENL_QR_CAPACITY], size_t *out_len, const uint8_t *note,
                      size_t note_len, unsigned index)
{
    uint8_t id[ENL_IDBYTES];
    unsigned count = enl_qr_chunk_count(note_len);
    size_t off, len;

    if (note == NULL || count == 0 || index == 0 || index > count) return ENL_EINVAL;
    chunk_span(note_len, count, index, &off, &len);
    enl_note_id(id, note, note_len);
    out[0] = ENL_QR_TAG;
    out[1] = (uint8_t)index;
    out[2] = (uint8_t)count;
    memcpy(out + 3, id, ENL_PAPER_IDPREFIX);
    memcpy(out + ENL_QR_HEADERBYTES, note + off, len);
    *out_len = ENL_QR_HEADERBYTES + len;
    return ENL_OK;
}

int enl_qr_chunk_parse(enl_qr_chunk *c, const uint8_t *in, size_t len)
{
    if (in == NULL || len <= ENL_QR_HEADERBYTES || in[0] != ENL_QR_TAG) return ENL_EMALFORMED;
    if (in[1] == 0 || in[2] == 0 || in[1] > in[2]) return ENL_EMALFORMED;
    if (len - ENL_QR_HEADERBYTES > ENL_NOTE_MAX) return ENL_ETOOBIG;
    c->index = in[1];
    c->count = in[2];
    memcpy(c->id_prefix, in + 3, ENL_PAPER_IDPREFIX);
    c->data = in + ENL_QR_HEADERBYTES;
    c->len = len - ENL_QR_HEADERBYTES;
    return ENL_OK;
}

/* ---- putting notes back together -------------------------------------- */

typedef struct {
    const enl_paper_sink *sink;
    int first_code;
} asm_state;

static void asm_error(asm_state *a, int code, enl_paper_reason why, unsigned index,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void asm_error(asm_state *a, int code, enl_paper_reason why, unsigned index,
                      const char *fmt, ...)
{
    enl_paper_error e;
    va_list ap;
    memset(&e, 0, sizeof e);
    e.code = code;
    e.reason = why;
    e.label = index;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    if (a->first_code == ENL_OK) a->first_code = code;
    if (a->sink != NULL && a->sink->error != NULL) a->sink->error(a->sink->ctx, &e);
}

static void hex8(char out[9], const uint8_t idp[ENL_PAPER_IDPREFIX])
{
    snprintf(out, 9, "%02x%02x%02x%02x", idp[0], idp[1], idp[2], idp[3]);
}

static int same_id(const enl_qr_chunk *a, const enl_qr_chunk *b)
{
    return memcmp(a->id_prefix, b->id_prefix, ENL_PAPER_IDPREFIX) == 0;
}

/* The code `index` of the note of chunks[first]: NULL when missing; *bad
 * when two copies differ or the codes disagree on their count. */
static const enl_qr_chunk *find_code(const enl_qr_chunk *chunks, size_t n, size_t first,
                                     unsigned index, int *bad)
{
    const enl_qr_chunk *found = NULL;
    for (size_t j = first; j < n; j++) {
        const enl_qr_chunk *c = &chunks[j];
        if (!same_id(c, &chunks[first])) continue;
        if (c->count != chunks[first].count) *bad = 1;
        if (c->index != index) continue;
        if (found != NULL && (found->len != c->len || memcmp(found->data, c->data, c->len) != 0))
            *bad = 1;
        if (found == NULL) found = c;
    }
    return found;
}

static void assemble_one(asm_state *a, const enl_qr_chunk *chunks, size_t n, size_t first,
                         uint8_t *buf)
{
    const enl_qr_chunk *head = &chunks[first];
    uint8_t id[ENL_IDBYTES];
    char hx[9];
    size_t len = 0;
    int bad = 0, missing = 0;
    enl_paper_note_info info;

    hex8(hx, head->id_prefix);
    for (unsigned i = 1; i <= head->count; i++) {
        const enl_qr_chunk *c = find_code(chunks, n, first, i, &bad);
        if (c == NULL) {
            missing = 1;
            asm_error(a, ENL_EMALFORMED, ENL_PAPER_R_PAGES_MISSING, i,
                      "note %s: code %u of %u is missing", hx, i, head->count);
        } else if (c->len > ENL_NOTE_MAX - len) {
            bad = 1;
        } else {
            memcpy(buf + len, c->data, c->len);
            len += c->len;
        }
    }
    if (bad) asm_error(a, ENL_EMALFORMED, ENL_PAPER_R_NOTE_CHECK, 0,
                       "note %s: its codes do not agree with each other", hx);
    if (bad || missing) return;
    enl_note_id(id, buf, len);
    if (memcmp(id, head->id_prefix, ENL_PAPER_IDPREFIX) != 0) {
        asm_error(a, ENL_ECHECKSUM, ENL_PAPER_R_NOTE_CHECK, 0,
                  "note %s: its codes read, but the note as a whole does not check", hx);
        return;
    }
    memset(&info, 0, sizeof info);
    info.index = info.count = 1;
    info.pages = head->count;
    memcpy(info.id_prefix, head->id_prefix, ENL_PAPER_IDPREFIX);
    if (a->sink != NULL && a->sink->note != NULL) a->sink->note(a->sink->ctx, buf, len, &info);
}

int enl_qr_assemble(const enl_qr_chunk *chunks, size_t n, uint8_t buf[static ENL_NOTE_MAX],
                    const enl_paper_sink *sink)
{
    asm_state a = { sink, ENL_OK };
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < i && !same_id(&chunks[j], &chunks[i])) j++;
        if (j == i) assemble_one(&a, chunks, n, i, buf);  /* first code of its note */
    }
    return a.first_code;
}

/* ---- drawing ---------------------------------------------------------- */

int enl_qr_encode(enl_qr **out, const uint8_t *data, size_t len)
{
    enl_qr *q;
    if (data == NULL || len == 0 || len > INT_MAX) return ENL_EINVAL;
    if ((q = calloc(1, sizeof *q)) == NULL) return ENL_ENOMEM;
    errno = 0;
    q->code = QRcode_encodeData((int)len, data, 0, QR_ECLEVEL_L);
    q->level = 'L';
    if (q->code == NULL) {
        int rc = errno == ERANGE ? ENL_ETOOBIG : errno == EINVAL ? ENL_EINVAL : ENL_ENOMEM;
        free(q);
        return rc;
    }
    /* The size is set by the smallest version; within it, the most error
     * correction that still fits: a stain or a fold costs nothing extra. */
    static const struct { QRecLevel level; char name; } stronger[] = {
        { QR_ECLEVEL_H, 'H' }, { QR_ECLEVEL_Q, 'Q' }, { QR_ECLEVEL_M, 'M' }
    };
    for (size_t i = 0; i < sizeof stronger / sizeof stronger[0]; i++) {
        QRcode *c = QRcode_encodeData((int)len, data, q->code->version, stronger[i].level);
        if (c != NULL && c->version == q->code->version) {
            QRcode_free(q->code);
            q->code = c;
            q->level = stronger[i].name;
            break;
        }
        QRcode_free(c);
    }
    *out = q;
    return ENL_OK;
}

void enl_qr_free(enl_qr *q)
{
    if (q == NULL) return;
    QRcode_free(q->code);
    free(q);
}

int enl_qr_version(const enl_qr *q)
{
    return q->code->version;
}

char enl_qr_level(const enl_qr *q)
{
    return q->level;
}

int enl_qr_width(const enl_qr *q)
{
    return q->code->width;
}

int enl_qr_dark(const enl_qr *q, int x, int y)
{
    int w = q->code->width;
    if (x < 0 || y < 0 || x >= w || y >= w) return 0;
    return q->code->data[(size_t)y * (size_t)w + (size_t)x] & 1;
}

/* Codes in a grid of equal cells, each with its quiet zone; in modules. */
typedef struct {
    const enl_qr *const *codes;
    size_t n, cols, rows, cell;
} sheet;

static int sheet_init(sheet *s, const enl_qr *const *codes, size_t n, int columns)
{
    size_t widest = 0;
    if (codes == NULL || n == 0 || columns <= 0) return ENL_EINVAL;
    for (size_t i = 0; i < n; i++)
        if ((size_t)enl_qr_width(codes[i]) > widest) widest = (size_t)enl_qr_width(codes[i]);
    s->codes = codes;
    s->n = n;
    s->cols = n < (size_t)columns ? n : (size_t)columns;
    s->rows = (n + s->cols - 1) / s->cols;
    s->cell = widest + 2 * ENL_QR_QUIET;
    return ENL_OK;
}

static int sheet_dark(const sheet *s, size_t mx, size_t my)
{
    size_t k = (my / s->cell) * s->cols + mx / s->cell;
    if (k >= s->n) return 0;
    return enl_qr_dark(s->codes[k], (int)(mx % s->cell) - ENL_QR_QUIET,
                       (int)(my % s->cell) - ENL_QR_QUIET);
}

int enl_qr_write_png(FILE *f, const enl_qr *const *codes, size_t n, int columns, int scale)
{
    png_image img;
    sheet s;
    size_t w, h;
    uint8_t *px;
    int rc = sheet_init(&s, codes, n, columns), ok;

    if (rc != ENL_OK) return rc;
    if (scale <= 0 || scale > 64) return ENL_EINVAL;
    w = s.cols * s.cell * (size_t)scale;
    h = s.rows * s.cell * (size_t)scale;
    if (w > INT_MAX || h > INT_MAX || w * h > ENL_QR_PIXELS_MAX) return ENL_ETOOBIG;
    if ((px = malloc(w * h)) == NULL) return ENL_ENOMEM;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            px[y * w + x] = sheet_dark(&s, x / (size_t)scale, y / (size_t)scale) ? 0 : 255;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = PNG_FORMAT_GRAY;
    ok = png_image_write_to_stdio(&img, f, 0, px, 0, NULL);
    png_image_free(&img);
    free(px);
    return ok ? ENL_OK : ENL_EIO;
}

int enl_qr_write_svg(FILE *f, const enl_qr *const *codes, size_t n, int columns, double module_mm)
{
    sheet s;
    size_t w, h;
    int rc = sheet_init(&s, codes, n, columns);

    if (rc != ENL_OK) return rc;
    w = s.cols * s.cell;
    h = s.rows * s.cell;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.1fmm\" height=\"%.1fmm\" "
               "viewBox=\"0 0 %zu %zu\" shape-rendering=\"crispEdges\">\n"
               "<rect width=\"%zu\" height=\"%zu\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"",
            (double)w * module_mm, (double)h * module_mm, w, h, w, h);
    /* One rectangle per horizontal run of dark modules. */
    for (size_t y = 0; y < h; y++) {
        int any = 0;
        for (size_t x = 0; x < w;) {
            size_t run = 0;
            while (x + run < w && sheet_dark(&s, x + run, y)) run++;
            if (run > 0) fprintf(f, "M%zu %zuh%zuv1h-%zuz", x, y, run, run);
            any |= run > 0;
            x += run > 0 ? run : 1;
        }
        if (any) fputc('\n', f);
    }
    fprintf(f, "\"/>\n</svg>\n");
    return ferror(f) ? ENL_EIO : ENL_OK;
}

int enl_qr_write_terminal(FILE *f, const enl_qr *q)
{
    static const char *const cell[4] = { " ", "\xe2\x96\x84", "\xe2\x96\x80", "\xe2\x96\x88" };
    int w = enl_qr_width(q), quiet = 2;

    for (int y = -quiet; y < w + quiet; y += 2) {
        fputs("\033[30;107m", f);   /* black on bright white */
        for (int x = -quiet; x < w + quiet; x++)
            fputs(cell[enl_qr_dark(q, x, y) << 1 | enl_qr_dark(q, x, y + 1)], f);
        fputs("\033[0m\n", f);
    }
    return ferror(f) ? ENL_EIO : ENL_OK;
}

/* ---- reading ---------------------------------------------------------- */

static int scan_gray(uint8_t *gray, unsigned w, unsigned h,
                     void (*fn)(void *ctx, const uint8_t *data, size_t len), void *ctx,
                     size_t *found)
{
    zbar_image_scanner_t *sc = zbar_image_scanner_create();
    zbar_image_t *im = zbar_image_create();
    const zbar_symbol_t *sym;
    int rc = ENL_OK;

    *found = 0;
    if (sc == NULL || im == NULL) {
        rc = ENL_ENOMEM;
        goto out;
    }
    zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
    zbar_image_set_format(im, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(im, w, h);
    zbar_image_set_data(im, gray, (unsigned long)w * h, NULL);
    if (zbar_scan_image(sc, im) < 0) {
        rc = ENL_EMALFORMED;
        goto out;
    }
    for (sym = zbar_image_first_symbol(im); sym != NULL; sym = zbar_symbol_next(sym)) {
        if (zbar_symbol_get_type(sym) != ZBAR_QRCODE) continue;
        (*found)++;
        if (fn != NULL)
            fn(ctx, (const uint8_t *)zbar_symbol_get_data(sym), zbar_symbol_get_data_length(sym));
    }
out:
    if (im != NULL) zbar_image_destroy(im);
    if (sc != NULL) zbar_image_scanner_destroy(sc);
    return rc;
}

int enl_qr_scan_png(const uint8_t *png, size_t len,
                    void (*fn)(void *ctx, const uint8_t *data, size_t len), void *ctx,
                    size_t *found)
{
    static const png_color white = { 255, 255, 255 };
    png_image img;
    uint8_t *gray;
    int rc;

    *found = 0;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (png == NULL || !png_image_begin_read_from_memory(&img, png, len)) return ENL_EMALFORMED;
    if (img.width == 0 || img.height == 0 ||
        (size_t)img.width * (size_t)img.height > ENL_QR_PIXELS_MAX) {
        png_image_free(&img);
        return ENL_ETOOBIG;
    }
    img.format = PNG_FORMAT_GRAY;
    if ((gray = malloc(PNG_IMAGE_SIZE(img))) == NULL) {
        png_image_free(&img);
        return ENL_ENOMEM;
    }
    if (!png_image_finish_read(&img, &white, gray, 0, NULL)) rc = ENL_EMALFORMED;
    else rc = scan_gray(gray, img.width, img.height, fn, ctx, found);
    png_image_free(&img);
    free(gray);
    return rc;
}

/* Codes copied out of zbar's symbols, so they outlive the scan. */
typedef struct {
    uint8_t *copy[ZBAR_CODES_MAX];
    size_t len[ZBAR_CODES_MAX];
    size_t n, dropped;
} code_list;

static void keep_code(void *ctx, const uint8_t *data, size_t len)
{
    code_list *l = ctx;
    uint8_t *c;
    if (l->n >= ZBAR_CODES_MAX || (c = malloc(len ? len : 1)) == NULL) {
        l->dropped++;
        return;
    }
    if (len > 0) memcpy(c, data, len);
    l->copy[l->n] = c;
    l->len[l->n++] = len;
}

static void parse_codes(const code_list *l, enl_qr_chunk *chunks, size_t *n, asm_state *a)
{
    *n = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (enl_qr_chunk_parse(&chunks[*n], l->copy[i], l->len[i]) == ENL_OK) (*n)++;
        else asm_error(a, ENL_EMALFORMED, ENL_PAPER_R_UNREADABLE, 0,
                       "a QR code that is not part of a note (%zu bytes)", l->len[i]);
    }
    if (l->dropped > 0)
        asm_error(a, ENL_ETOOBIG, ENL_PAPER_R_TOOBIG, 0,
                  "%zu QR codes left unread: one image holds at most %d", l->dropped,
                  ZBAR_CODES_MAX);
}

int enl_qr_read_png(const uint8_t *png, size_t len, uint8_t buf[static ENL_NOTE_MAX],
                    const enl_paper_sink *sink)
{
    code_list *l = calloc(1, sizeof *l);
    enl_qr_chunk *chunks = calloc(ZBAR_CODES_MAX, sizeof *chunks);
    asm_state a = { sink, ENL_OK };
    size_t found, n = 0;
    int rc = ENL_ENOMEM;

    if (l == NULL || chunks == NULL) goto out;
    if ((rc = enl_qr_scan_png(png, len, keep_code, l, &found)) != ENL_OK) goto out;
    if (found == 0) {
        asm_error(&a, ENL_ENOTFOUND, ENL_PAPER_R_UNREADABLE, 0, "no QR code found in the image");
        rc = a.first_code;
        goto out;
    }
    parse_codes(l, chunks, &n, &a);
    rc = enl_qr_assemble(chunks, n, buf, sink);
    if (a.first_code != ENL_OK) rc = a.first_code;
out:
    for (size_t i = 0; l != NULL && i < l->n; i++) free(l->copy[i]);
    free(l);
    free(chunks);
    return rc;
}
