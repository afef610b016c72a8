/*
 * The paper codec: notes to pages of checked lines and back (paper.h has
 * the format). The writer walks the note 5 bits at a time; the reader is a
 * line-by-line state machine that keeps one note's bytes in the caller's
 * buffer and writes into it only lines that check and arrive in order, so
 * nothing a page says can make it write out of bounds. Every problem is
 * reported with the input line it was found on; the reader then goes on, so
 * a person sees every bad line of a page at once.
 */
#include "paper/paper.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#define CRC10_POLY 0x233u
#define LINE_MAX_SYMBOLS (ENL_PAPER_LINE_SYMBOLS + ENL_PAPER_CHECK)

/* ---- checks ------------------------------------------------------------ */

static uint16_t crc10_bits(uint16_t crc, uint32_t v, unsigned nbits)
{
    while (nbits-- > 0) {
        unsigned top = ((crc >> 9) ^ (v >> nbits)) & 1u;
        crc = (uint16_t)((crc << 1) & 0x3ffu);
        if (top) crc ^= CRC10_POLY;
    }
    return crc;
}

uint16_t enl_crc10(const uint8_t *in, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) crc = crc10_bits(crc, in[i], 8);
    return crc;
}

/* A data line's check covers the note it belongs to, where it stands and
 * what it holds: a line moved elsewhere does not check. */
static uint16_t line_crc(const uint8_t idp[ENL_PAPER_IDPREFIX], unsigned page, unsigned label,
                         const uint8_t *sym, size_t n)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < ENL_PAPER_IDPREFIX; i++) crc = crc10_bits(crc, idp[i], 8);
    crc = crc10_bits(crc, page, 8);
    crc = crc10_bits(crc, label, 8);
    for (size_t i = 0; i < n; i++) crc = crc10_bits(crc, sym[i], 5);
    return crc;
}

/* ---- geometry ---------------------------------------------------------- */

typedef struct {
    unsigned version, index, count, page, pages;
    size_t bytes;
    uint8_t idp[ENL_PAPER_IDPREFIX];
} header;

static size_t symbols_of(size_t bytes)
{
    return ENL_BASE32_LEN(bytes);
}

static unsigned div_up(size_t a, size_t b)
{
    return (unsigned)((a + b - 1) / b);
}

static unsigned pages_of(size_t bytes)
{
    return div_up(symbols_of(bytes), ENL_PAPER_PAGE_SYMBOLS);
}

/* Symbols on page `page` (1-based) of a note of `bytes` bytes. */
static size_t page_symbols(size_t bytes, unsigned page)
{
    size_t start = (size_t)(page - 1) * ENL_PAPER_PAGE_SYMBOLS, total = symbols_of(bytes);
    if (page == 0 || start >= total) return 0;
    return total - start < ENL_PAPER_PAGE_SYMBOLS ? total - start : ENL_PAPER_PAGE_SYMBOLS;
}

/* Symbols on line `label` (1-based) of a page that holds psym symbols. */
static size_t line_symbols(size_t psym, unsigned label)
{
    size_t start = (size_t)(label - 1) * ENL_PAPER_LINE_SYMBOLS;
    if (label == 0 || start >= psym) return 0;
    return psym - start < ENL_PAPER_LINE_SYMBOLS ? psym - start : ENL_PAPER_LINE_SYMBOLS;
}

void enl_paper_measure(size_t note_len, unsigned *pages, unsigned *lines)
{
    *pages = pages_of(note_len);
    *lines = *pages + div_up(symbols_of(note_len), ENL_PAPER_LINE_SYMBOLS);
}

size_t enl_paper_text_max(size_t note_len)
{
    unsigned pages, lines;
    if (note_len == 0 || note_len > ENL_NOTE_MAX) return 0;
    enl_paper_measure(note_len, &pages, &lines);
    return (size_t)pages * (ENL_PAPER_HEADER_MAX + 1) +
           (size_t)(lines - pages) * ENL_PAPER_DATA_LINE_MAX + 1;
}

/* ---- writing ----------------------------------------------------------- */

typedef struct {
    char *p;
    size_t cap, len;
    int err;
} text_wr;

static void put_c(text_wr *w, char c)
{
    if (w->len + 1 >= w->cap) {
        w->err = 1;
        return;
    }
    w->p[w->len++] = c;
}

static void put_f(text_wr *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_f(text_wr *w, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (w->err) return;
    va_start(ap, fmt);
    n = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= w->cap - w->len) w->err = 1;
    else w->len += (size_t)n;
}

/* Bits [5k, 5k+5) of the note, zeros past its end. */
static uint8_t symbol_at(const uint8_t *note, size_t len, size_t k)
{
    size_t bit = 5 * k, byte = bit / 8;
    unsigned two = (unsigned)note[byte] << 8;
    if (byte + 1 < len) two |= note[byte + 1];
    return (uint8_t)((two >> (11 - bit % 8)) & 31u);
}

/* The header's text without its check; sep is " " (canonical) or "  " (printed). */
static int header_text(char *out, size_t max, const header *h, const char *sep)
{
    int n = snprintf(out, max, "ENLACE PAPER %u%sNOTE %u/%u%sPAGE %u/%u%sBYTES %zu%sID %02X%02X%02X%02X",
                     h->version, sep, h->index, h->count, sep, h->page, h->pages, sep, h->bytes,
                     sep, h->idp[0], h->idp[1], h->idp[2], h->idp[3]);
    return n < 0 || (size_t)n >= max ? -1 : n;
}

static uint16_t header_crc(const header *h)
{
    char canon[ENL_PAPER_HEADER_MAX];
    int n = header_text(canon, sizeof canon, h, " ");
    return n < 0 ? 0 : enl_crc10((const uint8_t *)canon, (size_t)n);
}

static void write_header(text_wr *w, const header *h)
{
    char printed[ENL_PAPER_HEADER_MAX];
    uint16_t crc = header_crc(h);
    if (header_text(printed, sizeof printed, h, "  ") < 0) {
        w->err = 1;
        return;
    }
    put_f(w, "%s  %c%c\n", printed, alphabet[crc >> 5], alphabet[crc & 31]);
}

static void write_line(text_wr *w, const header *h, const uint8_t *note, unsigned label,
                       size_t first, size_t n)
{
    uint8_t sym[ENL_PAPER_LINE_SYMBOLS];
    uint16_t crc;
    for (size_t i = 0; i < n; i++) sym[i] = symbol_at(note, h->bytes, first + i);
    crc = line_crc(h->idp, h->page, label, sym, n);
    put_f(w, "%02u  ", label);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && i % ENL_PAPER_GROUP == 0) put_c(w, ' ');
        put_c(w, alphabet[sym[i]]);
    }
    put_f(w, "  %c%c\n", alphabet[crc >> 5], alphabet[crc & 31]);
}

static void write_page(text_wr *w, const header *h, const uint8_t *note)
{
    size_t psym = page_symbols(h->bytes, h->page);
    size_t first = (size_t)(h->page - 1) * ENL_PAPER_PAGE_SYMBOLS;
    write_header(w, h);
    for (unsigned label = 1; line_symbols(psym, label) > 0; label++)
        write_line(w, h, note, label, first + (size_t)(label - 1) * ENL_PAPER_LINE_SYMBOLS,
                   line_symbols(psym, label));
    put_c(w, '\n');
}

int enl_paper_encode(char *out, size_t out_max, size_t *out_len, const uint8_t *note,
                     size_t note_len, unsigned index, unsigned count)
{
    uint8_t id[ENL_IDBYTES];
    text_wr w = { out, out_max, 0, 0 };
    header h;

    if (out == NULL || note == NULL || note_len == 0 || note_len > ENL_NOTE_MAX || index == 0 ||
        index > count || count > ENL_PAPER_NOTES_MAX)
        return ENL_EINVAL;
    if (out_max < enl_paper_text_max(note_len)) return ENL_EBUFSIZE;
    enl_note_id(id, note, note_len);
    memset(&h, 0, sizeof h);
    h.version = ENL_PAPER_VERSION;
    h.index = index;
    h.count = count;
    h.pages = pages_of(note_len);
    h.bytes = note_len;
    memcpy(h.idp, id, sizeof h.idp);
    for (h.page = 1; h.page <= h.pages; h.page++) write_page(&w, &h, note);
    if (w.err) return ENL_EBUFSIZE;
    out[w.len] = '\0';
    *out_len = w.len;
    return ENL_OK;
}

/* ---- reading: tokens ---------------------------------------------------- */

typedef struct {
    const char *s;
    size_t n, off;
} scan;

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The next whitespace-separated token; 0 at the end of the line. */
static int next_token(scan *sc, const char **t, size_t *tn)
{
    while (sc->off < sc->n && is_space(sc->s[sc->off])) sc->off++;
    *t = sc->s + sc->off;
    while (sc->off < sc->n && !is_space(sc->s[sc->off])) sc->off++;
    *tn = (size_t)(sc->s + sc->off - *t);
    return *tn > 0;
}

static int token_is(const char *t, size_t tn, const char *word)
{
    size_t n = strlen(word);
    if (tn != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        if (c != word[i]) return 0;
    }
    return 1;
}

/* A decimal digit, forgiving O for 0 and I or L for 1. */
static int digit_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c == 'o' || c == 'O') return 0;
    if (c == 'i' || c == 'I' || c == 'l' || c == 'L') return 1;
    return -1;
}

/* A decimal number of 1..7 digits without a leading zero (labels may have one). */
static int parse_number(const char *t, size_t tn, int leading_zero_ok, unsigned long *v)
{
    *v = 0;
    if (tn == 0 || tn > 7) return -1;
    if (!leading_zero_ok && tn > 1 && digit_value(t[0]) == 0) return -1;
    for (size_t i = 0; i < tn; i++) {
        int d = digit_value(t[i]);
        if (d < 0) return -1;
        *v = *v * 10 + (unsigned long)d;
    }
    return 0;
}

/* "i/n" */
static int parse_ratio(const char *t, size_t tn, unsigned *a, unsigned *b)
{
    const char *slash = memchr(t, '/', tn);
    unsigned long x, y;
    if (slash == NULL) return -1;
    if (parse_number(t, (size_t)(slash - t), 0, &x) != 0 ||
        parse_number(slash + 1, tn - (size_t)(slash - t) - 1, 0, &y) != 0)
        return -1;
    *a = (unsigned)x;
    *b = (unsigned)y;
    return 0;
}

static int hex_value(char c)
{
    int d = digit_value(c);
    if (d >= 0) return d;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int parse_idp(const char *t, size_t tn, uint8_t idp[ENL_PAPER_IDPREFIX])
{
    if (tn != 2 * ENL_PAPER_IDPREFIX) return -1;
    for (size_t i = 0; i < ENL_PAPER_IDPREFIX; i++) {
        int hi = hex_value(t[2 * i]), lo = hex_value(t[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        idp[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int is_separator(char c)
{
    return is_space(c) || c == '-';
}

/* The symbols of the rest of a line, separators skipped. Returns the count
 * (counting on past max), or -1 with *bad at the first foreign character. */
static long line_symbols_of(const char *s, size_t n, uint8_t *sym, size_t max, char *bad)
{
    long count = 0;
    for (size_t i = 0; i < n; i++) {
        int v;
        if (is_separator(s[i])) continue;
        if ((v = enl_base32_value(s[i])) < 0) {
            *bad = s[i];
            return -1;
        }
        if ((size_t)count < max) sym[count] = (uint8_t)v;
        count++;
    }
    return count;
}

/* ---- reading: state ---------------------------------------------------- */

typedef struct {
    const enl_paper_sink *sink;
    uint8_t *buf;
    size_t lineno;
    int first_code;
    unsigned series_index, series_count;
    /* the note being read */
    int active, damaged, quiet, lost;
    int pending;                /* an unreadable line stood where the next line belongs */
    header h;                   /* of the current page */
    enl_paper_note_info info;
    size_t page_sym;
    unsigned page_lines, prev;  /* prev: the highest line number seen on this page */
    uint32_t seen;              /* bit label-1: that line was found */
    uint32_t acc;
    unsigned bits;
    size_t out;
    int overflow;
} reader;

_Static_assert(ENL_PAPER_PAGE_LINES <= 32, "seen is a 32-bit set");

static void report(reader *r, int code, enl_paper_reason why, size_t line, unsigned page,
                   unsigned label, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void report(reader *r, int code, enl_paper_reason why, size_t line, unsigned page,
                   unsigned label, const char *fmt, ...)
{
    enl_paper_error e;
    va_list ap;
    memset(&e, 0, sizeof e);
    e.code = code;
    e.warning = code == ENL_OK;
    e.reason = why;
    e.line = line;
    e.page = page;
    e.label = label;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    if (code != ENL_OK && r->first_code == ENL_OK) r->first_code = code;
    if (r->sink != NULL && r->sink->error != NULL) r->sink->error(r->sink->ctx, &e);
}

static void idp_hex(char out[2 * ENL_PAPER_IDPREFIX + 1], const uint8_t *idp)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < ENL_PAPER_IDPREFIX; i++) {
        out[2 * i] = hx[idp[i] >> 4];
        out[2 * i + 1] = hx[idp[i] & 15];
    }
    out[2 * ENL_PAPER_IDPREFIX] = '\0';
}

static int seen(const reader *r, unsigned label)
{
    return label >= 1 && label <= r->page_lines && (r->seen >> (label - 1) & 1u);
}

static void mark(reader *r, unsigned label)
{
    if (label < 1 || label > r->page_lines) return;
    r->seen |= 1u << (label - 1);
    if (label > r->prev) r->prev = label;
}

/* Appends a checked line's symbols to the note's bytes. */
static void accept(reader *r, const uint8_t *sym, size_t n)
{
    if (r->damaged) return;
    for (size_t i = 0; i < n; i++) {
        r->acc = (r->acc << 5) | sym[i];
        r->bits += 5;
        if (r->bits < 8) continue;
        r->bits -= 8;
        if (r->out < r->h.bytes) r->buf[r->out++] = (uint8_t)(r->acc >> r->bits);
        else r->overflow = 1;
        r->acc &= (1u << r->bits) - 1;
    }
}

/* ---- reading: notes and pages --------------------------------------- */

static void finish_note(reader *r)
{
    uint8_t id[ENL_IDBYTES];
    char hx[2 * ENL_PAPER_IDPREFIX + 1];

    r->active = 0;
    if (r->damaged) return;
    idp_hex(hx, r->h.idp);
    if (r->out == r->h.bytes && !r->overflow && r->acc == 0) {
        enl_note_id(id, r->buf, r->out);
        if (memcmp(id, r->h.idp, ENL_PAPER_IDPREFIX) == 0) {
            if (r->sink != NULL && r->sink->note != NULL)
                r->sink->note(r->sink->ctx, r->buf, r->out, &r->info);
            return;
        }
    }
    report(r, ENL_ECHECKSUM, ENL_PAPER_R_NOTE_CHECK, r->info.line, 0, 0,
           "note %s: every line checks but the note as a whole does not "
           "(a line from another copy of the page?)", hx);
}

/* Names the lines of the current page never found, in runs. */
static void report_missing_lines(reader *r)
{
    unsigned a = 1;
    while (a <= r->page_lines) {
        unsigned b = a;
        if (seen(r, a)) {
            a++;
            continue;
        }
        while (b < r->page_lines && !seen(r, b + 1)) b++;
        r->damaged = 1;
        if (a == b)
            report(r, ENL_EMALFORMED, ENL_PAPER_R_LINES_MISSING, r->lineno, r->h.page, a,
                   "line %u of page %u is missing", a, r->h.page);
        else
            report(r, ENL_EMALFORMED, ENL_PAPER_R_LINES_MISSING, r->lineno, r->h.page, a,
                   "lines %u to %u of page %u are missing", a, b, r->h.page);
        a = b + 1;
    }
}

/* The current page ends (a header or the end of the input follows). */
static void end_page(reader *r)
{
    if (!r->active) return;
    if (r->quiet) {
        if (r->seen != (1u << r->page_lines) - 1) r->damaged = 1;
    } else {
        report_missing_lines(r);
    }
    if (r->h.page == r->h.pages) finish_note(r);
}

/* The note ends before its last page. */
static void end_note(reader *r)
{
    char hx[2 * ENL_PAPER_IDPREFIX + 1];
    if (!r->active) return;
    r->active = 0;
    if (r->quiet) return;
    idp_hex(hx, r->h.idp);
    report(r, ENL_EMALFORMED, ENL_PAPER_R_PAGES_MISSING, r->lineno, r->h.page + 1, 0,
           "note %s: page %u of %u never came", hx, r->h.page + 1, r->h.pages);
}

static void begin_page(reader *r, const header *h)
{
    r->h = *h;
    r->pending = 0;
    r->page_sym = page_symbols(h->bytes, h->page);
    r->page_lines = div_up(r->page_sym, ENL_PAPER_LINE_SYMBOLS);
    r->prev = 0;
    r->seen = 0;
}

static void series_next(reader *r, const header *h)
{
    if (r->series_count != 0 && r->series_index < r->series_count && h->index == 1)
        report(r, ENL_OK, ENL_PAPER_R_NOTES_MISSING, r->lineno, 0, 0,
               "notes %u to %u of %u never came", r->series_index + 1, r->series_count,
               r->series_count);
    else if (r->series_count != 0 && h->index != 1 &&
             (h->count != r->series_count || h->index != r->series_index + 1))
        report(r, ENL_OK, ENL_PAPER_R_NOTE_ORDER, r->lineno, h->page, 0,
               "note %u of %u follows note %u of %u", h->index, h->count, r->series_index,
               r->series_count);
    else if (r->series_count == 0 && h->index != 1)
        report(r, ENL_OK, ENL_PAPER_R_NOTE_ORDER, r->lineno, h->page, 0,
               "note %u of %u comes first: notes before it are elsewhere", h->index, h->count);
    r->series_index = h->index;
    r->series_count = h->count;
}

static void begin_note(reader *r, const header *h)
{
    char hx[2 * ENL_PAPER_IDPREFIX + 1];
    series_next(r, h);
    r->active = 1;
    r->damaged = r->quiet = r->overflow = 0;
    r->acc = r->bits = 0;
    r->out = 0;
    memset(&r->info, 0, sizeof r->info);
    r->info.index = h->index;
    r->info.count = h->count;
    r->info.pages = h->pages;
    r->info.line = r->lineno;
    memcpy(r->info.id_prefix, h->idp, ENL_PAPER_IDPREFIX);
    begin_page(r, h);
    if (h->page != 1) {
        idp_hex(hx, h->idp);
        r->damaged = 1;
        report(r, ENL_EMALFORMED, ENL_PAPER_R_PAGE_ORDER, r->lineno, h->page, 0,
               "page %u of note %s comes without page 1", h->page, hx);
    }
}

static int same_note(const reader *r, const header *h)
{
    return r->active && memcmp(r->h.idp, h->idp, ENL_PAPER_IDPREFIX) == 0 &&
           r->h.bytes == h->bytes && r->h.pages == h->pages;
}

static void next_page(reader *r, const header *h)
{
    char hx[2 * ENL_PAPER_IDPREFIX + 1];
    unsigned want = r->h.page + 1;
    if (h->page != want) {
        r->damaged = 1;
        idp_hex(hx, h->idp);
        if (!r->quiet)
            report(r, ENL_EMALFORMED, ENL_PAPER_R_PAGE_ORDER, r->lineno, h->page, 0,
                   "page %u of note %s where page %u was expected", h->page, hx, want);
    }
    begin_page(r, h);
}

/* ---- reading: headers --------------------------------------------------- */

/* Reads the fields; returns a message naming what is wrong, or NULL. */
static const char *parse_header_fields(header *h, scan *sc, uint8_t check[2])
{
    const char *t;
    size_t tn;
    unsigned long v;
    char bad;

    memset(h, 0, sizeof *h);
    if (!next_token(sc, &t, &tn) || !token_is(t, tn, "ENLACE")) return "ENLACE expected";
    if (!next_token(sc, &t, &tn) || !token_is(t, tn, "PAPER")) return "PAPER expected";
    if (!next_token(sc, &t, &tn) || parse_number(t, tn, 0, &v) != 0) return "no version";
    h->version = (unsigned)v;
    if (!next_token(sc, &t, &tn) || !token_is(t, tn, "NOTE")) return "NOTE expected";
    if (!next_token(sc, &t, &tn) || parse_ratio(t, tn, &h->index, &h->count) != 0)
        return "NOTE is not i/n";
    if (!next_token(sc, &t, &tn) || !token_is(t, tn, "PAGE")) return "PAGE expected";
    if (!next_token(sc, &t, &tn) || parse_ratio(t, tn, &h->page, &h->pages) != 0)
        return "PAGE is not p/n";
    if (!next_token(sc, &t, &tn) || !token_is(t, tn, "BYTES")) return "BYTES expected";
    if (!next_token(sc, &t, &tn) || parse_number(t, tn, 0, &v) != 0) return "BYTES is not a number";
    h->bytes = v;
    if (!next_token(sc, &t, &tn) || !token_is(t, tn, "ID")) return "ID expected";
    if (!next_token(sc, &t, &tn) || parse_idp(t, tn, h->idp) != 0) return "ID is not 8 hex digits";
    if (line_symbols_of(sc->s + sc->off, sc->n - sc->off, check, 2, &bad) != ENL_PAPER_CHECK)
        return "it does not end with two check characters";
    return NULL;
}

/* Checks a header whose fields were read; reports and returns -1 when bad. */
static int check_header(reader *r, const header *h, const uint8_t check[2])
{
    uint16_t crc = header_crc(h);
    if (check[0] != (crc >> 5) || check[1] != (crc & 31)) {
        report(r, ENL_ECHECKSUM, ENL_PAPER_R_HEADER_CHECK, r->lineno, 0, 0,
               "the page header does not check: a copying mistake");
        return -1;
    }
    if (h->version != ENL_PAPER_VERSION) {
        report(r, ENL_EVERSION, ENL_PAPER_R_VERSION, r->lineno, 0, 0,
               "a page of paper format %u: this enlace reads format %d", h->version,
               ENL_PAPER_VERSION);
        return -1;
    }
    if (h->bytes > ENL_NOTE_MAX) {
        report(r, ENL_ETOOBIG, ENL_PAPER_R_TOOBIG, r->lineno, 0, 0,
               "the page header announces %zu bytes: a note holds at most %d", h->bytes,
               ENL_NOTE_MAX);
        return -1;
    }
    if (h->index == 0 || h->index > h->count || h->count > ENL_PAPER_NOTES_MAX ||
        h->page == 0 || h->page > h->pages || h->bytes == 0 || h->pages != pages_of(h->bytes)) {
        report(r, ENL_EMALFORMED, ENL_PAPER_R_HEADER, r->lineno, 0, 0,
               "the page header's numbers do not agree with each other");
        return -1;
    }
    return 0;
}

static void read_header(reader *r, const char *s, size_t n)
{
    scan sc = { s, n, 0 };
    uint8_t check[2];
    header h;
    const char *why = parse_header_fields(&h, &sc, check);

    if (why != NULL) report(r, ENL_EMALFORMED, ENL_PAPER_R_HEADER, r->lineno, 0, 0,
                            "the page header cannot be read: %s", why);
    if (why != NULL || check_header(r, &h, check) != 0) {
        /* Its lines cannot be checked without it: skip them quietly. */
        end_page(r);
        if (r->active) r->damaged = r->quiet = 1;
        r->lost = 1;
        return;
    }
    r->lost = 0;
    if (same_note(r, &h)) {
        end_page(r);
        if (r->active) {
            next_page(r, &h);
            return;
        }
    }
    end_page(r);
    end_note(r);
    begin_note(r, &h);
}

/* ---- reading: numbered lines ---------------------------------------- */

static int line_checks(const reader *r, unsigned label, const uint8_t *sym, long count)
{
    size_t n = line_symbols(r->page_sym, label);
    uint16_t crc;
    if (n == 0 || label > r->page_lines || count != (long)(n + ENL_PAPER_CHECK)) return 0;
    crc = line_crc(r->h.idp, r->h.page, label, sym, n);
    return sym[n] == (crc >> 5) && sym[n + 1] == (crc & 31);
}

/* A line that checks under its own number: in its place, or not. */
static void line_found(reader *r, unsigned label, const uint8_t *sym, long count)
{
    unsigned page = r->h.page;
    if (label == r->prev + 1 && !seen(r, label)) {
        accept(r, sym, (size_t)count - ENL_PAPER_CHECK);
    } else if (seen(r, label)) {
        r->damaged = 1;
        report(r, ENL_EMALFORMED, ENL_PAPER_R_LINE_TWICE, r->lineno, page, label,
               "line %u of page %u appears twice", label, page);
    } else {
        r->damaged = 1;
        report(r, ENL_EMALFORMED, ENL_PAPER_R_LINE_ORDER, r->lineno, page, label,
               "line %u of page %u comes after line %u: a line left out, or lines out of order",
               label, page, r->prev);
    }
    mark(r, label);
}

/* A line that does not check under its own number. */
static void line_bad(reader *r, unsigned label, const uint8_t *sym, long count)
{
    unsigned page = r->h.page, want = r->prev + 1;
    size_t n = line_symbols(r->page_sym, label);
    r->damaged = 1;
    if (label != want && !seen(r, want) && line_checks(r, want, sym, count)) {
        report(r, ENL_ECHECKSUM, ENL_PAPER_R_LINE_CHECK, r->lineno, page, want,
               "line %u of page %u is numbered %u: a copying mistake", want, page, label);
        label = want;
    } else if (n == 0) {
        report(r, ENL_EMALFORMED, ENL_PAPER_R_LINE_EXTRA, r->lineno, page, label,
               "line %u: page %u has %u lines", label, page, r->page_lines);
    } else if (count != (long)(n + ENL_PAPER_CHECK)) {
        report(r, ENL_EMALFORMED, ENL_PAPER_R_LINE_LENGTH, r->lineno, page, label,
               "line %u of page %u has %ld characters where %zu belong: one left out or added",
               label, page, count, n + ENL_PAPER_CHECK);
    } else {
        report(r, ENL_ECHECKSUM, ENL_PAPER_R_LINE_CHECK, r->lineno, page, label,
               "line %u of page %u does not check: a copying mistake", label, page);
    }
    mark(r, label);
}

/* After an unreadable line, the line after the one expected is in its place. */
static void settle_pending(reader *r, unsigned long label)
{
    if (r->pending && label == r->prev + 2 && !seen(r, r->prev + 1)) mark(r, r->prev + 1);
    r->pending = 0;
}

static void read_numbered(reader *r, unsigned long label, const char *s, size_t n)
{
    uint8_t sym[LINE_MAX_SYMBOLS];
    char bad = 0;
    long count;

    if (r->lost) return;
    if (!r->active) {
        report(r, ENL_EMALFORMED, ENL_PAPER_R_NO_HEADER, r->lineno, 0, (unsigned)label,
               "line %lu comes before any page header", label);
        r->lost = 1;
        return;
    }
    settle_pending(r, label);
    count = line_symbols_of(s, n, sym, sizeof sym, &bad);
    if (count < 0) {
        r->damaged = 1;
        report(r, ENL_EMALFORMED, ENL_PAPER_R_UNREADABLE, r->lineno, r->h.page, (unsigned)label,
               (unsigned char)bad > 0x20 && (unsigned char)bad < 0x7f
                   ? "line %lu of page %u: '%c' is not one of the page's characters"
                   : "line %lu of page %u: a character (0x%02x) that is not one of the page's",
               label, r->h.page, (unsigned char)bad);
        mark(r, label <= r->page_lines ? (unsigned)label : r->prev + 1);
        return;
    }
    if (label <= r->page_lines && line_checks(r, (unsigned)label, sym, count))
        line_found(r, (unsigned)label, sym, count);
    else
        line_bad(r, (unsigned)label, sym, count);
}

static void read_unreadable(reader *r, const char *why)
{
    if (r->lost) return;
    if (r->active) {
        r->damaged = 1;
        report(r, ENL_EMALFORMED, ENL_PAPER_R_UNREADABLE, r->lineno, r->h.page, r->prev + 1,
               "a line of page %u after line %u: %s", r->h.page, r->prev, why);
        r->pending = 1;
    } else {
        report(r, ENL_EMALFORMED, ENL_PAPER_R_UNREADABLE, r->lineno, 0, 0,
               "%s (a page begins with its ENLACE PAPER header)", why);
        r->lost = 1;
    }
}

/* A header whose first word was miscopied still says PAPER: naming it as a
 * header keeps its page's lines from being checked against the page before. */
static int looks_like_header(const char *s, size_t n)
{
    scan sc = { s, n, 0 };
    const char *t;
    size_t tn;
    while (next_token(&sc, &t, &tn))
        if (token_is(t, tn, "PAPER")) return 1;
    return 0;
}

static void read_line(reader *r, const char *s, size_t n)
{
    scan sc = { s, n, 0 };
    const char *t;
    size_t tn;
    unsigned long label;

    if (n > ENL_PAPER_INPUT_LINE_MAX) {
        read_unreadable(r, "the line is too long to be a line of a page");
        return;
    }
    if (!next_token(&sc, &t, &tn)) return;
    /* A numbered line is tried before the word PAPER, which is also a group
     * of five base32 characters. */
    if (token_is(t, tn, "ENLACE")) read_header(r, s, n);
    else if (tn <= 2 && parse_number(t, tn, 1, &label) == 0) read_numbered(r, label, s + sc.off, n - sc.off);
    else if (looks_like_header(s, n)) read_header(r, s, n);
    else read_unreadable(r, "neither a page header nor a numbered line");
}

int enl_paper_decode(const char *text, size_t len, uint8_t buf[static ENL_NOTE_MAX],
                     const enl_paper_sink *sink)
{
    reader r;
    size_t start = 0;

    memset(&r, 0, sizeof r);
    r.sink = sink;
    r.buf = buf;
    if (text == NULL && len > 0) return ENL_EINVAL;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl != NULL ? (size_t)(nl - text) : len;
        r.lineno++;
        read_line(&r, text + start, end - start);
        start = end + 1;
    }
    r.lineno = 0;
    end_page(&r);
    end_note(&r);
    if (r.series_count != 0 && r.series_index < r.series_count)
        report(&r, ENL_OK, ENL_PAPER_R_NOTES_MISSING, 0, 0, 0, "notes %u to %u of %u never came",
               r.series_index + 1, r.series_count, r.series_count);
    return r.first_code;
}
