/*
 * The paper codec: round trips of many sizes; every single-character
 * substitution in every line of a page, and every swap of two neighbouring
 * characters, is found and named on its own line (exhaustively, for one
 * page); missing, swapped, duplicated, extra and foreign lines; damaged and
 * truncated pages refused; notes over several pages; the forgiving reader.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enlace.h"
#include "paper/paper.h"
#include "util/base32.h"

/* ---- helpers ------------------------------------------------------------ */

#define MAXNOTES 8
#define MAXERRS 64

typedef struct {
    uint8_t *note[MAXNOTES];
    size_t len[MAXNOTES];
    enl_paper_note_info info[MAXNOTES];
    size_t nnotes;
    enl_paper_error err[MAXERRS];
    size_t nerrs, nwarnings;
} result;

static void on_note(void *ctx, const uint8_t *note, size_t len, const enl_paper_note_info *info)
{
    result *r = ctx;
    if (r->nnotes >= MAXNOTES) return;
    r->note[r->nnotes] = malloc(len);
    memcpy(r->note[r->nnotes], note, len);
    r->len[r->nnotes] = len;
    r->info[r->nnotes++] = *info;
}

static void on_error(void *ctx, const enl_paper_error *e)
{
    result *r = ctx;
    if (e->warning) {
        r->nwarnings++;
        return;
    }
    if (r->nerrs < MAXERRS) r->err[r->nerrs] = *e;
    r->nerrs++;
}

static void result_free(result *r)
{
    for (size_t i = 0; i < r->nnotes; i++) free(r->note[i]);
    memset(r, 0, sizeof *r);
}

static int decode(result *r, const char *text, size_t len)
{
    static uint8_t buf[ENL_NOTE_MAX];
    enl_paper_sink sink = { on_note, on_error, r };
    memset(r, 0, sizeof *r);
    return enl_paper_decode(text, len, buf, &sink);
}

/* A page for len random bytes (deterministic per seed): malloc'd text. */
static char *page_of(uint8_t *note, size_t len, uint32_t seed, unsigned index, unsigned count,
                     size_t *tlen)
{
    uint8_t s[randombytes_SEEDBYTES] = { 0 };
    size_t max = enl_paper_text_max(len);
    char *text = malloc(max);
    memcpy(s, &seed, sizeof seed);
    randombytes_buf_deterministic(note, len, s);
    assert_int_equal(enl_paper_encode(text, max, tlen, note, len, index, count), ENL_OK);
    assert_int_equal(strlen(text), *tlen);
    return text;
}

/* Start offsets of the text's lines (0-based index i = input line i+1). */
static size_t line_starts(const char *t, size_t len, size_t *starts, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < max; i++)
        if (i == 0 || t[i - 1] == '\n') starts[n++] = i;
    return n;
}

/* The line (1-based) holding byte offset off. */
static size_t line_of(const char *t, size_t off)
{
    size_t line = 1;
    for (size_t i = 0; i < off; i++)
        if (t[i] == '\n') line++;
    return line;
}

static void expect_one_note(const char *text, size_t len, const uint8_t *note, size_t nlen)
{
    result r;
    assert_int_equal(decode(&r, text, len), ENL_OK);
    assert_int_equal(r.nerrs, 0);
    assert_int_equal(r.nnotes, 1);
    assert_int_equal(r.len[0], nlen);
    assert_memory_equal(r.note[0], note, nlen);
    result_free(&r);
}

/* What a reader may take as the same: case, O/0, I/L/1, runs of blanks and
 * hyphens, leading zeros of a line number. Only for substitutions that
 * decoded without error: those must mean the same as the original. */
static void normalise(const char *s, size_t n, char *out, size_t max)
{
    size_t o = 0;
    int blank = 1, first = 1;
    for (size_t i = 0; i < n && o + 1 < max; i++) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '-' || c == '\n') {
            if (!blank) out[o++] = ' ';
            blank = 1;
            if (o > 0) first = 0;
            continue;
        }
        if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        if (c == 'O') c = '0';
        if (c == 'I' || c == 'L') c = '1';
        if (first && blank && c == '0' && i + 1 < n && strchr("0123456789OoIiLl", s[i + 1]) != NULL &&
            s[i + 1] != '\0')
            continue;
        out[o++] = c;
        blank = 0;
    }
    while (o > 0 && out[o - 1] == ' ') o--;
    out[o] = '\0';
}

/* ---- format ------------------------------------------------------------ */

static void test_crc10(void **state)
{
    (void)state;
    assert_int_equal(enl_crc10((const uint8_t *)"123456789", 9), 0x199);
    assert_int_equal(enl_crc10(NULL, 0), 0);
}

static void test_layout(void **state)
{
    uint8_t note[352];
    size_t tlen, starts[32], n;
    unsigned pages, lines;
    char *t = page_of(note, sizeof note, 1, 1, 1, &tlen);
    (void)state;

    n = line_starts(t, tlen, starts, 32);
    enl_paper_measure(sizeof note, &pages, &lines);
    assert_int_equal(pages, 1);
    assert_int_equal(lines, 14);
    assert_int_equal(n, 15);                                /* 14 and a blank line */
    assert_memory_equal(t, "ENLACE PAPER 1  NOTE 1/1  PAGE 1/1  BYTES 352  ID ", 50);
    for (size_t i = 1; i < 14; i++) {
        char label[3];
        size_t end = starts[i + 1] - 1;
        snprintf(label, sizeof label, "%02zu", i);
        assert_memory_equal(t + starts[i], label, 2);
        assert_true(end - starts[i] <= ENL_PAPER_DATA_LINE_MAX - 1);
        assert_memory_equal(t + end - 4, "  ", 2);       /* two spaces, then the check */
    }
    assert_int_equal(starts[2] - starts[1], 62);           /* a full line: 61 and a newline */
    assert_int_equal(t[tlen - 1], '\n');
    assert_int_equal(t[tlen - 2], '\n');
    free(t);
}

static void test_fourteen_lines(void **state)
{
    unsigned pages, lines;
    (void)state;
    /* The largest note that prints in 14 lines (header + 13): 13 x 45
     * characters of 5 bits hold 365 bytes. */
    enl_paper_measure(365, &pages, &lines);
    assert_int_equal(lines, 14);
    enl_paper_measure(366, &pages, &lines);
    assert_int_equal(lines, 15);
    enl_paper_measure(843, &pages, &lines);                  /* 1349 characters: one page */
    assert_int_equal(pages, 1);
    assert_int_equal(lines, 31);
    enl_paper_measure(844, &pages, &lines);
    assert_int_equal(pages, 2);
    enl_paper_measure(ENL_NOTE_MAX, &pages, &lines);
    assert_int_equal(pages, 78);
}

static void test_round_trips(void **state)
{
    static uint8_t note[ENL_NOTE_MAX];
    static const size_t big[] = { 843, 844, 845, 1000, 1687, 1688, 4096, 20000, ENL_NOTE_MAX - 1,
                                  ENL_NOTE_MAX };
    (void)state;
    for (size_t len = 1; len <= 700; len++) {
        size_t tlen, starts[64], blank = 0, n;
        char *t = page_of(note, len, (uint32_t)len, 1, 1, &tlen);
        unsigned pages, lines;
        assert_true(tlen < enl_paper_text_max(len));
        enl_paper_measure(len, &pages, &lines);
        n = line_starts(t, tlen, starts, 64);
        for (size_t i = 0; i < n; i++) blank += t[starts[i]] == '\n';
        assert_int_equal(n - blank, lines);
        expect_one_note(t, tlen, note, len);
        free(t);
    }
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        size_t tlen;
        char *t = page_of(note, big[i], (uint32_t)big[i], 1, 1, &tlen);
        expect_one_note(t, tlen, note, big[i]);
        free(t);
    }
}

static void test_encode_refuses(void **state)
{
    uint8_t note[10] = { 0 };
    char out[512];
    size_t len;
    (void)state;
    assert_int_equal(enl_paper_text_max(0), 0);
    assert_int_equal(enl_paper_text_max(ENL_NOTE_MAX + 1), 0);
    assert_int_equal(enl_paper_encode(out, sizeof out, &len, note, 0, 1, 1), ENL_EINVAL);
    assert_int_equal(enl_paper_encode(out, sizeof out, &len, note, 10, 0, 1), ENL_EINVAL);
    assert_int_equal(enl_paper_encode(out, sizeof out, &len, note, 10, 2, 1), ENL_EINVAL);
    assert_int_equal(enl_paper_encode(out, sizeof out, &len, note, 10, 1, ENL_PAPER_NOTES_MAX + 1),
                     ENL_EINVAL);
    assert_int_equal(enl_paper_encode(out, 50, &len, note, 10, 1, 1), ENL_EBUFSIZE);
    assert_int_equal(enl_paper_encode(out, sizeof out, &len, note, 10, 1, 1), ENL_OK);
}

/* ---- copying mistakes: exhaustive over one page ------------------------ */

static void check_substitution(const char *orig, size_t tlen, size_t pos, char c,
                               const uint8_t *note, size_t nlen, size_t *found, size_t *same)
{
    static char t[8192], a[256], b[256];
    size_t start = pos, end = pos, line = line_of(orig, pos);
    result r;

    assert_true(tlen <= sizeof t);
    memcpy(t, orig, tlen);
    t[pos] = c;
    decode(&r, t, tlen);
    if (r.nerrs > 0) {
        /* A line break put in splits the line: either half may be named. */
        if (r.err[0].line != line && !(c == '\n' && r.err[0].line == line + 1))
            fail_msg("'%c' at offset %zu (line %zu) reported on line %zu: %s", c, pos, line,
                     r.err[0].line, r.err[0].msg);
        assert_int_not_equal(r.err[0].code, ENL_OK);
        assert_int_equal(r.nnotes, 0);
        (*found)++;
    } else {
        /* Accepted: it must mean exactly what the original meant. */
        assert_int_equal(r.nnotes, 1);
        assert_int_equal(r.len[0], nlen);
        assert_memory_equal(r.note[0], note, nlen);
        while (start > 0 && orig[start - 1] != '\n') start--;
        while (end < tlen && orig[end] != '\n') end++;
        normalise(orig + start, end - start, a, sizeof a);
        normalise(t + start, end - start, b, sizeof b);
        if (strcmp(a, b) != 0) fail_msg("'%c' at %zu accepted but changes '%s' to '%s'", c, pos, a, b);
        (*same)++;
    }
    result_free(&r);
}

static void test_every_substitution_found(void **state)
{
    uint8_t note[352];
    size_t tlen, found = 0, same = 0;
    char *t = page_of(note, sizeof note, 7, 1, 1, &tlen);
    (void)state;

    for (size_t pos = 0; pos < tlen; pos++) {
        if (t[pos] == '\n') continue;   /* line breaks themselves are not copied characters */
        for (int c = 0; c < 256; c++) {
            int tried = c == 0 || c == '\t' || c == '\n' || (c >= 0x20 && c < 0x7f) || c == 0xff;
            if (tried && c != (unsigned char)t[pos])
                check_substitution(t, tlen, pos, (char)c, note, sizeof note, &found, &same);
        }
    }
    print_message("single substitutions: %zu found and located, %zu harmless look-alikes\n", found,
                  same);
    assert_true(found > 50000);
    assert_true(same < found / 20);
    free(t);
}

static void test_every_neighbour_swap_found(void **state)
{
    uint8_t note[352];
    size_t tlen, starts[32], n, swaps = 0;
    char *t = page_of(note, sizeof note, 8, 1, 1, &tlen), *m = malloc(tlen);
    (void)state;

    n = line_starts(t, tlen, starts, 32);
    for (size_t i = 1; i + 1 < n; i++) {
        /* Positions of the line's characters after its number, spaces skipped. */
        size_t pos[64], k = 0, end = starts[i + 1] - 1;
        for (size_t p = starts[i] + 4; p < end; p++)
            if (t[p] != ' ') pos[k++] = p;
        for (size_t j = 0; j + 1 < k; j++) {
            result r;
            if (t[pos[j]] == t[pos[j + 1]]) continue;
            memcpy(m, t, tlen);
            m[pos[j]] = t[pos[j + 1]];
            m[pos[j + 1]] = t[pos[j]];
            decode(&r, m, tlen);
            assert_true(r.nerrs > 0);
            assert_int_equal(r.err[0].line, i + 1);
            assert_int_equal(r.nnotes, 0);
            result_free(&r);
            swaps++;
        }
    }
    assert_true(swaps > 500);
    free(m);
    free(t);
}

static void test_header_of_a_later_page(void **state)
{
    static uint8_t note[2000];
    size_t tlen, starts[128], n, hdr = 0, found = 0, same = 0;
    char *t = page_of(note, sizeof note, 9, 1, 1, &tlen);
    (void)state;

    n = line_starts(t, tlen, starts, 128);
    for (size_t i = 1; i < n && hdr == 0; i++)
        if (strncmp(t + starts[i], "ENLACE", 6) == 0) hdr = i;
    assert_int_not_equal(hdr, 0);
    for (size_t pos = starts[hdr]; t[pos] != '\n'; pos++)
        for (int c = 0x20; c < 0x7f; c++)
            if (c != t[pos]) check_substitution(t, tlen, pos, (char)c, note, sizeof note, &found, &same);
    assert_true(found > 3000);
    free(t);
}

/* ---- lines out of place ------------------------------------------------ */

/* Rebuilds the text from its lines in the given order (indexes into starts). */
static size_t reorder(char *out, const char *t, size_t tlen, const size_t *starts, size_t n,
                      const int *order, size_t norder)
{
    size_t o = 0;
    for (size_t k = 0; k < norder; k++) {
        size_t i = (size_t)order[k], end = i + 1 < n ? starts[i + 1] : tlen;
        memcpy(out + o, t + starts[i], end - starts[i]);
        o += end - starts[i];
    }
    (void)n;
    return o;
}

static void test_lines_out_of_place(void **state)
{
    uint8_t note[352];
    size_t tlen, starts[32], n, len;
    char *t = page_of(note, sizeof note, 10, 1, 1, &tlen), out[4096];
    result r;
    (void)state;

    n = line_starts(t, tlen, starts, 32);
    assert_int_equal(n, 15);
    {   /* lines 3 and 4 swapped */
        const int order[] = { 0, 1, 2, 4, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
        len = reorder(out, t, tlen, starts, n, order, 15);
        assert_int_equal(decode(&r, out, len), ENL_EMALFORMED);
        assert_int_equal(r.nnotes, 0);
        assert_int_equal(r.nerrs, 2);
        assert_int_equal(r.err[0].reason, ENL_PAPER_R_LINE_ORDER);
        assert_int_equal(r.err[0].line, 4);
        assert_int_equal(r.err[0].label, 4);
        assert_int_equal(r.err[1].label, 3);
        assert_int_equal(r.err[1].line, 5);
        result_free(&r);
    }
    {   /* line 5 missing */
        const int order[] = { 0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
        len = reorder(out, t, tlen, starts, n, order, 14);
        decode(&r, out, len);
        assert_int_equal(r.nnotes, 0);
        assert_int_equal(r.err[0].reason, ENL_PAPER_R_LINE_ORDER);
        assert_int_equal(r.err[0].line, 6);
        assert_int_equal(r.err[r.nerrs - 1].reason, ENL_PAPER_R_LINES_MISSING);
        assert_int_equal(r.err[r.nerrs - 1].label, 5);
        assert_non_null(strstr(r.err[r.nerrs - 1].msg, "line 5 of page 1 is missing"));
        result_free(&r);
    }
    {   /* line 6 twice */
        const int order[] = { 0, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
        len = reorder(out, t, tlen, starts, n, order, 16);
        decode(&r, out, len);
        assert_int_equal(r.nnotes, 0);
        assert_int_equal(r.nerrs, 1);
        assert_int_equal(r.err[0].reason, ENL_PAPER_R_LINE_TWICE);
        assert_int_equal(r.err[0].line, 8);
        result_free(&r);
    }
    {   /* the last two lines missing */
        const int order[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14 };
        len = reorder(out, t, tlen, starts, n, order, 13);
        decode(&r, out, len);
        assert_int_equal(r.nnotes, 0);
        assert_int_equal(r.nerrs, 1);
        assert_int_equal(r.err[0].reason, ENL_PAPER_R_LINES_MISSING);
        assert_non_null(strstr(r.err[0].msg, "lines 12 to 13 of page 1 are missing"));
        result_free(&r);
    }
    {   /* the header missing */
        const int order[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
        len = reorder(out, t, tlen, starts, n, order, 14);
        decode(&r, out, len);
        assert_int_equal(r.nnotes, 0);
        assert_int_equal(r.nerrs, 1);
        assert_int_equal(r.err[0].reason, ENL_PAPER_R_NO_HEADER);
        assert_int_equal(r.err[0].line, 1);
        result_free(&r);
    }
    free(t);
}

static void test_extra_and_foreign_lines(void **state)
{
    uint8_t a[352], b[352];
    size_t la, lb, sa[32], sb[32], len;
    char *ta = page_of(a, sizeof a, 11, 1, 1, &la), *tb = page_of(b, sizeof b, 12, 1, 1, &lb);
    char out[4096];
    result r;
    (void)state;

    line_starts(ta, la, sa, 32);
    line_starts(tb, lb, sb, 32);
    /* Line 3 of another note's page in place of line 3. */
    len = 0;
    memcpy(out, ta, sa[3]);
    len = sa[3];
    memcpy(out + len, tb + sb[3], sb[4] - sb[3]);
    len += sb[4] - sb[3];
    memcpy(out + len, ta + sa[4], la - sa[4]);
    len += la - sa[4];
    assert_int_equal(decode(&r, out, len), ENL_ECHECKSUM);
    assert_int_equal(r.nnotes, 0);
    assert_int_equal(r.nerrs, 1);
    assert_int_equal(r.err[0].reason, ENL_PAPER_R_LINE_CHECK);
    assert_int_equal(r.err[0].line, 4);
    result_free(&r);
    /* A 14th line after the page's last. */
    len = (size_t)snprintf(out, sizeof out, "%.*s14  ABCDE  00\n", (int)(sa[14]), ta);
    decode(&r, out, len);
    assert_int_equal(r.nnotes, 0);
    assert_int_equal(r.err[0].reason, ENL_PAPER_R_LINE_EXTRA);
    assert_int_equal(r.err[0].line, 15);
    result_free(&r);
    /* A stray line of text. */
    len = (size_t)snprintf(out, sizeof out, "%.*sfold here\n%s", (int)sa[5], ta, ta + sa[5]);
    decode(&r, out, len);
    assert_int_equal(r.nnotes, 0);
    assert_int_equal(r.err[0].reason, ENL_PAPER_R_UNREADABLE);
    assert_int_equal(r.err[0].line, 6);
    assert_int_equal(r.nerrs, 1);
    result_free(&r);
    free(ta);
    free(tb);
}

/* ---- damaged and hostile pages ----------------------------------------- */

static void test_truncated_pages_refused(void **state)
{
    uint8_t note[700];
    size_t tlen, content;   /* the last check character ends at content - 2 */
    char *t = page_of(note, sizeof note, 13, 1, 1, &tlen);
    (void)state;
    content = tlen - 1;         /* without the final blank line */
    for (size_t cut = 0; cut < content - 2; cut++) {
        result r;
        decode(&r, t, cut);
        assert_int_equal(r.nnotes, 0);
        if (cut > 0 && r.nerrs == 0) fail_msg("a page cut at %zu of %zu bytes was not refused", cut, tlen);
        result_free(&r);
    }
    free(t);
}

/* A header with a valid check over whatever fields it is given. */
static size_t forged_header(char *out, size_t max, const char *fields)
{
    static const char a[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    char canon[128];
    size_t o = 0;
    uint16_t crc;
    for (const char *s = fields; *s && o + 1 < sizeof canon; s++)
        if (!(*s == ' ' && s[1] == ' ')) canon[o++] = *s;
    canon[o] = '\0';
    crc = enl_crc10((const uint8_t *)canon, o);
    return (size_t)snprintf(out, max, "%s  %c%c\n", fields, a[crc >> 5], a[crc & 31]);
}

static void test_forged_headers_refused(void **state)
{
    static const struct {
        const char *fields;
        int code;
        enl_paper_reason why;
    } cases[] = {
        { "ENLACE PAPER 2 NOTE 1/1 PAGE 1/1 BYTES 352 ID 00000000", ENL_EVERSION, ENL_PAPER_R_VERSION },
        { "ENLACE PAPER 1 NOTE 1/1 PAGE 1/1 BYTES 70000 ID 00000000", ENL_ETOOBIG, ENL_PAPER_R_TOOBIG },
        { "ENLACE PAPER 1 NOTE 1/1 PAGE 1/1 BYTES 9999999 ID 00000000", ENL_ETOOBIG, ENL_PAPER_R_TOOBIG },
        { "ENLACE PAPER 1 NOTE 1/1 PAGE 1/2 BYTES 352 ID 00000000", ENL_EMALFORMED, ENL_PAPER_R_HEADER },
        { "ENLACE PAPER 1 NOTE 1/1 PAGE 2/1 BYTES 352 ID 00000000", ENL_EMALFORMED, ENL_PAPER_R_HEADER },
        { "ENLACE PAPER 1 NOTE 0/1 PAGE 1/1 BYTES 352 ID 00000000", ENL_EMALFORMED, ENL_PAPER_R_HEADER },
        { "ENLACE PAPER 1 NOTE 1/10000 PAGE 1/1 BYTES 352 ID 00000000", ENL_EMALFORMED, ENL_PAPER_R_HEADER },
        { "ENLACE PAPER 1 NOTE 1/1 PAGE 1/1 BYTES 0 ID 00000000", ENL_EMALFORMED, ENL_PAPER_R_HEADER },
        { "ENLACE PAPER 1 NOTE 1/1 PAGE 1/1 BYTES 0352 ID 00000000", ENL_EMALFORMED, ENL_PAPER_R_HEADER },
        { "ENLACE PAPER 1 NOTE 1/1 PAGE 1/1 BYTES 12345678 ID 00000000", ENL_EMALFORMED, ENL_PAPER_R_HEADER },
        { "ENLACE PAPER 1 NOTE 1/1 PAGE 1/1 BYTES 352 ID 0000000", ENL_EMALFORMED, ENL_PAPER_R_HEADER },
        { "ENLACE PAPER 1 NOTE 1 PAGE 1/1 BYTES 352 ID 00000000", ENL_EMALFORMED, ENL_PAPER_R_HEADER },
        { "ENLACE PAPER 1 PAGE 1/1 BYTES 352 ID 00000000", ENL_EMALFORMED, ENL_PAPER_R_HEADER },
        { "ENLACE PAPER", ENL_EMALFORMED, ENL_PAPER_R_HEADER },
    };
    char out[256];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = forged_header(out, sizeof out, cases[i].fields);
        result r;
        int rc = decode(&r, out, len);
        if (rc != cases[i].code || r.nerrs != 1 || r.err[0].reason != cases[i].why)
            fail_msg("%s: rc %d, %zu errors, first: %s", cases[i].fields, rc, r.nerrs,
                     r.nerrs ? r.err[0].msg : "");
        assert_int_equal(r.err[0].line, 1);
        result_free(&r);
    }
}

/* The line check as docs/PROTOCOL.md describes it, written again from the
 * document: CRC-10 (x^10+x^9+x^5+x^4+x+1, init 0) over the id prefix, page
 * and line number as bytes, then the characters as 5-bit values. */
static unsigned spec_crc(unsigned crc, unsigned v, int bits)
{
    for (int i = bits - 1; i >= 0; i--) {
        unsigned b = ((v >> i) ^ (crc >> 9)) & 1u;
        crc = (crc << 1) & 0x3ffu;
        if (b) crc ^= 0x233u;
    }
    return crc;
}

static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* A one-page page for syms (5-bit values) under the given id prefix. */
static size_t forge_page(char *out, size_t max, const uint8_t *syms, size_t n, size_t bytes,
                         const uint8_t idp[4])
{
    char fields[128];
    size_t o;
    snprintf(fields, sizeof fields, "ENLACE PAPER 1  NOTE 1/1  PAGE 1/1  BYTES %zu  ID %02X%02X%02X%02X",
             bytes, idp[0], idp[1], idp[2], idp[3]);
    o = forged_header(out, max, fields);
    for (unsigned label = 1; (label - 1) * 45 < n; label++) {
        size_t first = (label - 1) * 45, k = n - first < 45 ? n - first : 45;
        unsigned crc = 0;
        for (int i = 0; i < 4; i++) crc = spec_crc(crc, idp[i], 8);
        crc = spec_crc(crc, 1, 8);
        crc = spec_crc(crc, label, 8);
        o += (size_t)snprintf(out + o, max - o, "%02u  ", label);
        for (size_t i = 0; i < k; i++) {
            crc = spec_crc(crc, syms[first + i], 5);
            if (i > 0 && i % 5 == 0) out[o++] = ' ';
            out[o++] = b32[syms[first + i]];
        }
        o += (size_t)snprintf(out + o, max - o, "  %c%c\n", b32[crc >> 5], b32[crc & 31]);
    }
    return o;
}

static size_t to_symbols(uint8_t *syms, const uint8_t *in, size_t len)
{
    size_t n = (len * 8 + 4) / 5;
    for (size_t k = 0; k < n; k++) {
        unsigned v = 0;
        for (int b = 0; b < 5; b++) {
            size_t bit = 5 * k + (size_t)b;
            v = v << 1 | (bit / 8 < len ? (in[bit / 8] >> (7 - bit % 8)) & 1u : 0u);
        }
        syms[k] = (uint8_t)v;
    }
    return n;
}

static void test_document_and_code_agree(void **state)
{
    /* The page written from the document is the page the code writes. */
    uint8_t note[300], id[32], syms[512];
    size_t tlen, n, flen;
    char *t = page_of(note, sizeof note, 20, 1, 1, &tlen), forged[4096];
    (void)state;
    crypto_generichash(id, 32, note, sizeof note, NULL, 0);
    n = to_symbols(syms, note, sizeof note);
    flen = forge_page(forged, sizeof forged, syms, n, sizeof note, id);
    assert_int_equal(flen + 1, tlen);
    assert_memory_equal(forged, t, flen);
    free(t);
}

static void test_lines_check_but_the_whole_does_not(void **state)
{
    uint8_t note[100], id[32], syms[256];
    size_t n, len;
    char page[2048];
    result r;
    (void)state;
    randombytes_buf(note, sizeof note);
    crypto_generichash(id, 32, note, sizeof note, NULL, 0);
    n = to_symbols(syms, note, sizeof note);
    /* Every line and the header check, but the id is not the note's. */
    id[3] ^= 1;
    len = forge_page(page, sizeof page, syms, n, sizeof note, id);
    assert_int_equal(decode(&r, page, len), ENL_ECHECKSUM);
    assert_int_equal(r.nnotes, 0);
    assert_int_equal(r.nerrs, 1);
    assert_int_equal(r.err[0].reason, ENL_PAPER_R_NOTE_CHECK);
    assert_int_equal(r.err[0].line, 1);
    result_free(&r);
    /* The right id, but the bits after the last byte are not zero. */
    id[3] ^= 1;
    syms[n - 1] ^= 1;                          /* 100 bytes: 160 characters, no spare bits */
    len = forge_page(page, sizeof page, syms, n, sizeof note, id);
    decode(&r, page, len);
    assert_int_equal(r.nnotes, 0);
    result_free(&r);
    n = to_symbols(syms, note, 99);            /* 99 bytes: 159 characters, 3 spare bits */
    crypto_generichash(id, 32, note, 99, NULL, 0);
    syms[n - 1] |= 1;
    len = forge_page(page, sizeof page, syms, n, 99, id);
    assert_int_equal(decode(&r, page, len), ENL_ECHECKSUM);
    assert_int_equal(r.err[0].reason, ENL_PAPER_R_NOTE_CHECK);
    result_free(&r);
}

static void test_a_group_that_spells_paper(void **state)
{
    /* Bytes whose base32 holds the group PAPER: still a numbered line. */
    static const char word[] = "PAPERPAPERPAPERPAPERPAPERPAPERPAPERPAPER";
    uint8_t note[25];
    size_t n, tlen;
    char text[1024];
    (void)state;
    assert_int_equal(enl_base32_decode(note, sizeof note, &n, word, sizeof word - 1), ENL_OK);
    assert_int_equal(n, sizeof note);
    assert_int_equal(enl_paper_encode(text, sizeof text, &tlen, note, n, 1, 1), ENL_OK);
    assert_non_null(strstr(text, "01  PAPER PAPER"));
    expect_one_note(text, tlen, note, n);
}

static void test_hostile_text(void **state)
{
    static char big[100000];
    uint8_t junk[4096];
    result r;
    (void)state;
    assert_int_equal(decode(&r, "", 0), ENL_OK);
    assert_int_equal(r.nnotes + r.nerrs, 0);
    assert_int_equal(decode(&r, "\n\n \t\n", 5), ENL_OK);
    memset(big, 'A', sizeof big);
    assert_int_equal(decode(&r, big, sizeof big), ENL_EMALFORMED);
    assert_int_equal(r.nerrs, 1);
    memset(big, '\n', sizeof big);
    assert_int_equal(decode(&r, big, sizeof big), ENL_OK);
    for (int i = 0; i < 200; i++) {
        randombytes_buf(junk, sizeof junk);
        decode(&r, (const char *)junk, sizeof junk);
        assert_int_equal(r.nnotes, 0);
    }
    {
        static const char nul[] = "ENLACE PAPER 1 NOTE 1/1 PAGE 1/1 BYTES 352 ID 00000000 00\0x";
        assert_int_equal(decode(&r, nul, sizeof nul - 1), ENL_EMALFORMED);
        assert_int_equal(r.err[0].reason, ENL_PAPER_R_HEADER);
    }
    assert_int_equal(decode(&r, "01  ABCDE  00\n", 14), ENL_EMALFORMED);
    assert_int_equal(r.err[0].reason, ENL_PAPER_R_NO_HEADER);
}

/* ---- the forgiving reader ---------------------------------------------- */

static void test_forgiving(void **state)
{
    uint8_t note[500];
    size_t tlen, o = 0;
    char *t = page_of(note, sizeof note, 15, 1, 1, &tlen), *u = malloc(4 * tlen);
    (void)state;
    /* Lower case, O for 0, l for 1, hyphens between groups, CRLF, blank
     * lines, leading blanks, tabs: how a person might type it back. */
    for (size_t i = 0; i < tlen; i++) {
        char c = t[i];
        if (c >= 'A' && c <= 'Z' && strchr("ENLACEPAPERNOTEBYTESID", c) == NULL && i % 3 == 0)
            c = (char)(c - 'A' + 'a');
        if (c == '0' && i % 2 == 0) c = 'O';
        if (c == '1' && i % 2 == 1 && i > 70) c = 'l';
        if (c == ' ' && i % 5 == 0 && i > 70 && t[i - 1] != ' ' && t[i + 1] != ' ') c = '-';
        if (c == '\n') {
            u[o++] = '\r';
            u[o++] = '\n';
            if (i % 4 == 0) u[o++] = '\n';
            u[o++] = '\t';
            continue;
        }
        u[o++] = c;
    }
    expect_one_note(u, o, note, sizeof note);
    free(u);
    free(t);
}

/* ---- several pages, several notes -------------------------------------- */

static void test_multi_page(void **state)
{
    static uint8_t note[3000];
    size_t tlen, starts[256], n, h[8], nh = 0, len;
    char *t = page_of(note, sizeof note, 16, 1, 1, &tlen), *out = malloc(tlen + 1);
    result r;
    (void)state;

    expect_one_note(t, tlen, note, sizeof note);
    n = line_starts(t, tlen, starts, 256);
    for (size_t i = 0; i < n; i++)
        if (strncmp(t + starts[i], "ENLACE", 6) == 0) h[nh++] = i;
    assert_int_equal(nh, 4);                                /* 4800 characters: 30+30+30+17 lines */
    assert_non_null(strstr(t + starts[h[3]], "PAGE 4/4"));
    /* Page 3 missing. */
    len = starts[h[2]];
    memcpy(out, t, len);
    memcpy(out + len, t + starts[h[3]], tlen - starts[h[3]]);
    len += tlen - starts[h[3]];
    decode(&r, out, len);
    assert_int_equal(r.nnotes, 0);
    assert_int_equal(r.nerrs, 1);
    assert_int_equal(r.err[0].reason, ENL_PAPER_R_PAGE_ORDER);
    assert_int_equal(r.err[0].line, h[2] + 1);
    result_free(&r);
    /* The last page missing. */
    decode(&r, t, starts[h[3]]);
    assert_int_equal(r.nnotes, 0);
    assert_int_equal(r.nerrs, 1);
    assert_int_equal(r.err[0].reason, ENL_PAPER_R_PAGES_MISSING);
    assert_non_null(strstr(r.err[0].msg, "page 4 of 4 never came"));
    result_free(&r);
    /* Pages 2 and 3 swapped. */
    len = starts[h[1]];
    memcpy(out, t, len);
    memcpy(out + len, t + starts[h[2]], starts[h[3]] - starts[h[2]]);
    len += starts[h[3]] - starts[h[2]];
    memcpy(out + len, t + starts[h[1]], starts[h[2]] - starts[h[1]]);
    len += starts[h[2]] - starts[h[1]];
    memcpy(out + len, t + starts[h[3]], tlen - starts[h[3]]);
    len += tlen - starts[h[3]];
    decode(&r, out, len);
    assert_int_equal(r.nnotes, 0);
    assert_int_equal(r.err[0].reason, ENL_PAPER_R_PAGE_ORDER);
    assert_int_equal(r.err[0].line, h[1] + 1);
    result_free(&r);
    /* A line of page 2 in place of the same line of page 3: its check
     * covers the page number. */
    len = tlen;
    memcpy(out, t, tlen);
    memcpy(out + starts[h[2] + 5] + 4, t + starts[h[1] + 5] + 4, 57);
    decode(&r, out, len);
    assert_int_equal(r.nnotes, 0);
    assert_int_equal(r.err[0].line, h[2] + 6);
    assert_int_equal(r.err[0].page, 3);
    assert_int_equal(r.err[0].label, 5);
    result_free(&r);
    free(out);
    free(t);
}

static void test_several_notes(void **state)
{
    static uint8_t a[300], b[1200], c[40];
    size_t la, lb, lc;
    char *ta = page_of(a, sizeof a, 17, 1, 3, &la), *tb = page_of(b, sizeof b, 18, 2, 3, &lb);
    char *tc = page_of(c, sizeof c, 19, 3, 3, &lc), *all = malloc(la + lb + lc);
    result r;
    (void)state;

    memcpy(all, ta, la);
    memcpy(all + la, tb, lb);
    memcpy(all + la + lb, tc, lc);
    assert_int_equal(decode(&r, all, la + lb + lc), ENL_OK);
    assert_int_equal(r.nnotes, 3);
    assert_int_equal(r.nwarnings, 0);
    assert_memory_equal(r.note[0], a, sizeof a);
    assert_memory_equal(r.note[1], b, sizeof b);
    assert_memory_equal(r.note[2], c, sizeof c);
    assert_int_equal(r.info[1].index, 2);
    assert_int_equal(r.info[1].count, 3);
    assert_int_equal(r.info[1].pages, 2);
    assert_int_equal(r.info[2].line, line_of(all, la + lb));
    result_free(&r);
    /* Without the second: the others still read, with a warning. */
    memcpy(all + la, tc, lc);
    assert_int_equal(decode(&r, all, la + lc), ENL_OK);
    assert_int_equal(r.nnotes, 2);
    assert_int_equal(r.nwarnings, 1);
    result_free(&r);
    /* A bad line in the first does not stop the second. */
    memcpy(all, ta, la);
    memcpy(all + la, tc, lc);
    all[70] = all[70] == 'A' ? 'B' : 'A';
    assert_int_equal(decode(&r, all, la + lc), ENL_ECHECKSUM);
    assert_int_equal(r.nnotes, 1);
    assert_memory_equal(r.note[0], c, sizeof c);
    assert_int_equal(r.err[0].line, 2);
    result_free(&r);
    free(all);
    free(ta);
    free(tb);
    free(tc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc10),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_fourteen_lines),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_encode_refuses),
        cmocka_unit_test(test_every_substitution_found),
        cmocka_unit_test(test_every_neighbour_swap_found),
        cmocka_unit_test(test_header_of_a_later_page),
        cmocka_unit_test(test_lines_out_of_place),
        cmocka_unit_test(test_extra_and_foreign_lines),
        cmocka_unit_test(test_truncated_pages_refused),
        cmocka_unit_test(test_forged_headers_refused),
        cmocka_unit_test(test_document_and_code_agree),
        cmocka_unit_test(test_lines_check_but_the_whole_does_not),
        cmocka_unit_test(test_a_group_that_spells_paper),
        cmocka_unit_test(test_hostile_text),
        cmocka_unit_test(test_forgiving),
        cmocka_unit_test(test_multi_page),
        cmocka_unit_test(test_several_notes),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
