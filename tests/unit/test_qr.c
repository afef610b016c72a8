/*
 * QR codes for notes: the chunk format and its reassembly (any order,
 * duplicates, missing and foreign codes), then the real path: libqrencode
 * to a PNG, libzbar reading the PNG back, byte-identical notes, for a note
 * in one code, a note over several codes, and several notes on one sheet.
 * SVG and terminal output are checked for shape.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <png.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enlace.h"
#include "paper/qr.h"

#define MAXNOTES 8

typedef struct {
    uint8_t *note[MAXNOTES];
    size_t len[MAXNOTES], nnotes, nerrs;
    enl_paper_error first;
} result;

static void on_note(void *ctx, const uint8_t *note, size_t len, const enl_paper_note_info *info)
{
    result *r = ctx;
    (void)info;
    if (r->nnotes >= MAXNOTES) return;
    r->note[r->nnotes] = malloc(len);
    memcpy(r->note[r->nnotes], note, len);
    r->len[r->nnotes++] = len;
}

static void on_error(void *ctx, const enl_paper_error *e)
{
    result *r = ctx;
    if (r->nerrs++ == 0) r->first = *e;
}

static void result_free(result *r)
{
    for (size_t i = 0; i < r->nnotes; i++) free(r->note[i]);
    memset(r, 0, sizeof *r);
}

static uint8_t scratch[ENL_NOTE_MAX];

static void random_note(uint8_t *note, size_t len, uint8_t seed)
{
    uint8_t s[randombytes_SEEDBYTES];
    memset(s, seed, sizeof s);
    randombytes_buf_deterministic(note, len, s);
}

/* Every code of a note, as made for the QR symbols. */
typedef struct {
    uint8_t data[ENL_QR_CODES_MAX][ENL_QR_CAPACITY];
    size_t len[ENL_QR_CODES_MAX];
    unsigned n;
} codes;

static void make_codes(codes *c, const uint8_t *note, size_t len)
{
    c->n = enl_qr_chunk_count(len);
    assert_true(c->n >= 1);
    for (unsigned i = 0; i < c->n; i++)
        assert_int_equal(enl_qr_chunk_make(c->data[i], &c->len[i], note, len, i + 1), ENL_OK);
}

/* ---- chunks ---------------------------------------------------------- */

static void test_chunk_counts(void **state)
{
    (void)state;
    assert_int_equal(enl_qr_chunk_count(0), 0);
    assert_int_equal(enl_qr_chunk_count(1), 1);
    assert_int_equal(enl_qr_chunk_count(ENL_QR_CHUNK_MAX), 1);
    assert_int_equal(enl_qr_chunk_count(ENL_QR_CHUNK_MAX + 1), 2);
    assert_int_equal(enl_qr_chunk_count(ENL_NOTE_MAX), 100);
    assert_int_equal(enl_qr_chunk_count(ENL_NOTE_MAX + 1), 0);
}

static void test_chunks_round_trip(void **state)
{
    static const size_t sizes[] = { 1, 7, 352, 659, 660, 1318, 1319, 2000, 40000, ENL_NOTE_MAX };
    static uint8_t note[ENL_NOTE_MAX];
    static codes c;
    enl_qr_chunk *ch = calloc(ENL_QR_CODES_MAX, sizeof *ch);
    (void)state;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        result r;
        size_t total = 0, lo = (size_t)-1, hi = 0;
        memset(&r, 0, sizeof r);
        random_note(note, sizes[k], (uint8_t)k);
        make_codes(&c, note, sizes[k]);
        /* Parse them in reverse order: order does not matter. */
        for (unsigned i = 0; i < c.n; i++) {
            assert_int_equal(enl_qr_chunk_parse(&ch[i], c.data[c.n - 1 - i], c.len[c.n - 1 - i]), ENL_OK);
            assert_int_equal(ch[i].count, c.n);
            total += ch[i].len;
            if (ch[i].len < lo) lo = ch[i].len;
            if (ch[i].len > hi) hi = ch[i].len;
        }
        assert_int_equal(total, sizes[k]);
        assert_true(hi - lo <= 1);                       /* cut evenly */
        assert_true(hi <= ENL_QR_CHUNK_MAX);
        assert_int_equal(enl_qr_assemble(ch, c.n, scratch, &(enl_paper_sink){ on_note, on_error, &r }), ENL_OK);
        assert_int_equal(r.nnotes, 1);
        assert_int_equal(r.len[0], sizes[k]);
        assert_memory_equal(r.note[0], note, sizes[k]);
        result_free(&r);
    }
    free(ch);
}

static void test_chunk_parse_refuses(void **state)
{
    uint8_t b[16] = { ENL_QR_TAG, 1, 1, 0, 0, 0, 0, 42 };
    enl_qr_chunk c;
    (void)state;
    assert_int_equal(enl_qr_chunk_parse(&c, b, 8), ENL_OK);
    assert_int_equal(enl_qr_chunk_parse(&c, b, 7), ENL_EMALFORMED);   /* no data */
    assert_int_equal(enl_qr_chunk_parse(&c, NULL, 8), ENL_EMALFORMED);
    b[0] = 'e';
    assert_int_equal(enl_qr_chunk_parse(&c, b, 8), ENL_EMALFORMED);   /* a card, not a note */
    b[0] = ENL_QR_TAG;
    b[1] = 0;
    assert_int_equal(enl_qr_chunk_parse(&c, b, 8), ENL_EMALFORMED);
    b[1] = 2;
    assert_int_equal(enl_qr_chunk_parse(&c, b, 8), ENL_EMALFORMED);   /* 2 of 1 */
    b[2] = 0;
    assert_int_equal(enl_qr_chunk_parse(&c, b, 8), ENL_EMALFORMED);
    assert_int_equal(enl_qr_chunk_make((uint8_t[ENL_QR_CAPACITY]){ 0 }, &(size_t){ 0 }, b, 0, 1), ENL_EINVAL);
    assert_int_equal(enl_qr_chunk_make((uint8_t[ENL_QR_CAPACITY]){ 0 }, &(size_t){ 0 }, b, 8, 2), ENL_EINVAL);
}

static void test_assemble_refuses(void **state)
{
    static uint8_t a[2000], b[2000];
    static codes ca, cb;
    enl_qr_chunk ch[16];
    result r;
    enl_paper_sink sink = { on_note, on_error, &r };
    (void)state;
    random_note(a, sizeof a, 1);
    random_note(b, sizeof b, 2);
    make_codes(&ca, a, sizeof a);
    make_codes(&cb, b, sizeof b);
    assert_int_equal(ca.n, 4);
    /* One code missing. */
    memset(&r, 0, sizeof r);
    for (unsigned i = 0; i < 3; i++) assert_int_equal(enl_qr_chunk_parse(&ch[i], ca.data[i], ca.len[i]), ENL_OK);
    assert_int_equal(enl_qr_assemble(ch, 3, scratch, &sink), ENL_EMALFORMED);
    assert_int_equal(r.nnotes, 0);
    assert_non_null(strstr(r.first.msg, "code 4 of 4 is missing"));
    result_free(&r);
    /* Two notes interleaved, one code twice: both come back. */
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(enl_qr_chunk_parse(&ch[2 * i], cb.data[i], cb.len[i]), ENL_OK);
        assert_int_equal(enl_qr_chunk_parse(&ch[2 * i + 1], ca.data[3 - i], ca.len[3 - i]), ENL_OK);
    }
    ch[8] = ch[3];
    assert_int_equal(enl_qr_assemble(ch, 9, scratch, &sink), ENL_OK);
    assert_int_equal(r.nnotes, 2);
    assert_memory_equal(r.note[0], b, sizeof b);
    assert_memory_equal(r.note[1], a, sizeof a);
    result_free(&r);
    /* A code of one note dressed as the other's: the whole does not check. */
    for (unsigned i = 0; i < 4; i++) assert_int_equal(enl_qr_chunk_parse(&ch[i], ca.data[i], ca.len[i]), ENL_OK);
    ch[2].data = cb.data[2] + ENL_QR_HEADERBYTES;
    assert_int_equal(enl_qr_assemble(ch, 4, scratch, &sink), ENL_ECHECKSUM);
    assert_int_equal(r.nnotes, 0);
    assert_int_equal(r.first.reason, ENL_PAPER_R_NOTE_CHECK);
    result_free(&r);
    /* Two different codes under the same number. */
    for (unsigned i = 0; i < 4; i++) assert_int_equal(enl_qr_chunk_parse(&ch[i], ca.data[i], ca.len[i]), ENL_OK);
    ch[4] = ch[1];
    ch[4].data = cb.data[1] + ENL_QR_HEADERBYTES;
    assert_int_equal(enl_qr_assemble(ch, 5, scratch, &sink), ENL_EMALFORMED);
    assert_int_equal(r.nnotes, 0);
    result_free(&r);
    /* Codes that disagree on their count. */
    for (unsigned i = 0; i < 4; i++) assert_int_equal(enl_qr_chunk_parse(&ch[i], ca.data[i], ca.len[i]), ENL_OK);
    ch[3].count = 5;
    assert_int_equal(enl_qr_assemble(ch, 4, scratch, &sink), ENL_EMALFORMED);
    assert_int_equal(r.nnotes, 0);
    result_free(&r);
}

/* ---- drawing and reading ---------------------------------------------- */

static void test_capacity(void **state)
{
    static uint8_t d[720];
    enl_qr *q;
    (void)state;
    randombytes_buf(d, sizeof d);
    /* The largest code: version 18 at level L (718 bytes; 17 holds 644). */
    assert_int_equal(enl_qr_encode(&q, d, ENL_QR_CAPACITY), ENL_OK);
    assert_int_equal(enl_qr_version(q), 18);
    assert_int_equal(enl_qr_level(q), 'L');
    assert_int_equal(enl_qr_width(q), 17 + 4 * 18);
    enl_qr_free(q);
    assert_int_equal(enl_qr_encode(&q, d, 719), ENL_OK);
    assert_int_equal(enl_qr_version(q), 19);
    enl_qr_free(q);
    /* 40 bytes need version 3 (32 fit in 2 at L); version 3 holds 42 at
     * M and 32 at Q: M. 30 bytes: version 2 (32 at L, 26 at M): L. */
    assert_int_equal(enl_qr_encode(&q, d, 40), ENL_OK);
    assert_int_equal(enl_qr_version(q), 3);
    assert_int_equal(enl_qr_level(q), 'M');
    enl_qr_free(q);
    assert_int_equal(enl_qr_encode(&q, d, 30), ENL_OK);
    assert_int_equal(enl_qr_version(q), 2);
    assert_int_equal(enl_qr_level(q), 'L');
    enl_qr_free(q);
    /* 7 bytes: version 1 holds 7 at H. */
    assert_int_equal(enl_qr_encode(&q, d, 7), ENL_OK);
    assert_int_equal(enl_qr_version(q), 1);
    assert_int_equal(enl_qr_level(q), 'H');
    enl_qr_free(q);
    assert_int_equal(enl_qr_encode(&q, d, 0), ENL_EINVAL);
    enl_qr_free(NULL);
}

/* Draws the codes of the notes on one PNG sheet (in memory). */
static uint8_t *sheet_png(const uint8_t *const *notes, const size_t *lens, size_t nnotes,
                          size_t *png_len, int *version)
{
    static codes c;
    enl_qr *qr[64];
    size_t n = 0;
    char *png = NULL;
    FILE *f = open_memstream(&png, png_len);
    assert_non_null(f);
    *version = 0;
    for (size_t k = 0; k < nnotes; k++) {
        make_codes(&c, notes[k], lens[k]);
        for (unsigned i = 0; i < c.n; i++) {
            assert_int_equal(enl_qr_encode(&qr[n], c.data[i], c.len[i]), ENL_OK);
            if (enl_qr_version(qr[n]) > *version) *version = enl_qr_version(qr[n]);
            n++;
        }
    }
    assert_int_equal(enl_qr_write_png(f, (const enl_qr *const *)qr, n, 3, 4), ENL_OK);
    fclose(f);
    for (size_t i = 0; i < n; i++) enl_qr_free(qr[i]);
    return (uint8_t *)png;
}

static void read_back(const uint8_t *png, size_t len, const uint8_t *const *notes,
                      const size_t *lens, size_t nnotes)
{
    result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(enl_qr_read_png(png, len, scratch, &(enl_paper_sink){ on_note, on_error, &r }), ENL_OK);
    assert_int_equal(r.nerrs, 0);
    assert_int_equal(r.nnotes, nnotes);
    for (size_t k = 0; k < nnotes; k++) {
        size_t j = 0;
        while (j < r.nnotes && !(r.len[j] == lens[k] && memcmp(r.note[j], notes[k], lens[k]) == 0)) j++;
        if (j == r.nnotes) fail_msg("note %zu (%zu bytes) did not come back byte for byte", k, lens[k]);
    }
    result_free(&r);
}

static void test_png_one_code(void **state)
{
    uint8_t note[256];
    const uint8_t *notes[1] = { note };
    size_t lens[1] = { sizeof note }, len;
    int version;
    uint8_t *png;
    (void)state;
    random_note(note, sizeof note, 3);
    png = sheet_png(notes, lens, 1, &len, &version);
    assert_memory_equal(png, "\x89PNG", 4);
    /* A 140-character --paper note (256 bytes) and the 7-byte code header:
     * 263 bytes, version 10 at level L (271; version 9 holds 230). */
    assert_int_equal(version, 10);
    print_message("a 256-byte note: one QR code of version %d, PNG %zu bytes\n", version, len);
    read_back(png, len, notes, lens, 1);
    free(png);
}

static void test_png_several_codes(void **state)
{
    static uint8_t note[2500];
    const uint8_t *notes[1] = { note };
    size_t lens[1] = { sizeof note }, len;
    int version;
    uint8_t *png;
    (void)state;
    random_note(note, sizeof note, 4);
    assert_int_equal(enl_qr_chunk_count(sizeof note), 4);
    png = sheet_png(notes, lens, 1, &len, &version);
    assert_true(version <= ENL_QR_VERSION_MAX);
    read_back(png, len, notes, lens, 1);
    free(png);
}

static void test_png_several_notes(void **state)
{
    static uint8_t a[240], b[1500], c[600];
    const uint8_t *notes[3] = { a, b, c };
    size_t lens[3] = { sizeof a, sizeof b, sizeof c }, len;
    int version;
    uint8_t *png;
    (void)state;
    random_note(a, sizeof a, 5);
    random_note(b, sizeof b, 6);
    random_note(c, sizeof c, 7);
    png = sheet_png(notes, lens, 3, &len, &version);
    read_back(png, len, notes, lens, 3);
    free(png);
}

static void test_png_refused(void **state)
{
    static const uint8_t not_png[] = "not an image at all";
    static uint8_t note[100];
    uint8_t *png;
    size_t len, found;
    result r;
    int version;
    enl_paper_sink sink = { on_note, on_error, &r };
    const uint8_t *notes[1] = { note };
    size_t lens[1] = { sizeof note };
    (void)state;

    memset(&r, 0, sizeof r);
    assert_int_equal(enl_qr_scan_png(not_png, sizeof not_png, NULL, NULL, &found), ENL_EMALFORMED);
    assert_int_equal(enl_qr_read_png(not_png, sizeof not_png, scratch, &sink), ENL_EMALFORMED);
    random_note(note, sizeof note, 8);
    png = sheet_png(notes, lens, 1, &len, &version);
    /* Truncated and damaged images: refused or read as nothing, never a crash. */
    for (size_t cut = 0; cut < len; cut += len / 40 + 1) {
        int rc = enl_qr_read_png(png, cut, scratch, &sink);
        assert_int_not_equal(rc, ENL_OK);
        assert_int_equal(r.nnotes, 0);
    }
    for (int i = 0; i < 30; i++) {
        uint8_t *bad = malloc(len);
        memcpy(bad, png, len);
        bad[33 + (size_t)randombytes_uniform((uint32_t)(len - 33))] ^= (uint8_t)(1 + randombytes_uniform(255));
        int rc = enl_qr_read_png(bad, len, scratch, &sink);   /* any outcome but a crash */
        assert_true(rc <= ENL_OK);
        free(bad);
    }
    for (size_t i = 0; i < r.nnotes; i++) assert_memory_equal(r.note[i], note, sizeof note);
    result_free(&r);
    free(png);
}

static void test_png_without_codes(void **state)
{
    static uint8_t white[64 * 64];
    char *png = NULL;
    size_t len, found = 99;
    png_image img;
    result r;
    FILE *f = open_memstream(&png, &len);
    (void)state;
    memset(white, 255, sizeof white);
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = img.height = 64;
    img.format = PNG_FORMAT_GRAY;
    assert_true(png_image_write_to_stdio(&img, f, 0, white, 0, NULL));
    fclose(f);
    assert_int_equal(enl_qr_scan_png((uint8_t *)png, len, NULL, NULL, &found), ENL_OK);
    assert_int_equal(found, 0);
    memset(&r, 0, sizeof r);
    assert_int_equal(enl_qr_read_png((uint8_t *)png, len, scratch, &(enl_paper_sink){ on_note, on_error, &r }),
                     ENL_ENOTFOUND);
    assert_non_null(strstr(r.first.msg, "no QR code"));
    free(png);
}

static void test_svg_and_terminal(void **state)
{
    uint8_t note[300], chunk[ENL_QR_CAPACITY];
    enl_qr *q;
    char *out = NULL;
    size_t len, clen, rows = 0, blocks = 0;
    FILE *f;
    (void)state;
    random_note(note, sizeof note, 9);
    assert_int_equal(enl_qr_chunk_make(chunk, &clen, note, sizeof note, 1), ENL_OK);
    assert_int_equal(enl_qr_encode(&q, chunk, clen), ENL_OK);

    f = open_memstream(&out, &len);
    assert_int_equal(enl_qr_write_svg(f, (const enl_qr *const *)&q, 1, 3, 0.5), ENL_OK);
    fclose(f);
    assert_memory_equal(out, "<?xml", 5);
    assert_non_null(strstr(out, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(out, "<path fill=\"#000\" d=\"M"));
    assert_non_null(strstr(out, "</svg>\n"));
    free(out);

    f = open_memstream(&out, &len);
    assert_int_equal(enl_qr_write_terminal(f, q), ENL_OK);
    fclose(f);
    for (size_t i = 0; i < len; i++) {
        rows += out[i] == '\n';
        blocks += (unsigned char)out[i] == 0xe2;       /* the first byte of every half block */
    }
    /* Two modules a row, a quiet zone of 2 on each side. */
    assert_int_equal(rows, (size_t)(enl_qr_width(q) + 4 + 1) / 2);
    assert_true(blocks > 100);
    free(out);
    enl_qr_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk_counts),
        cmocka_unit_test(test_chunks_round_trip),
        cmocka_unit_test(test_chunk_parse_refuses),
        cmocka_unit_test(test_assemble_refuses),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_png_one_code),
        cmocka_unit_test(test_png_several_codes),
        cmocka_unit_test(test_png_several_notes),
        cmocka_unit_test(test_png_refused),
        cmocka_unit_test(test_png_without_codes),
        cmocka_unit_test(test_svg_and_terminal),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
