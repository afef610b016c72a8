/*
 * libFuzzer target for the paper page reader. The first byte picks a mode:
 * even, the rest of the input is a page as typed (raw text, any bytes);
 * odd, the rest is a note followed by edits (replace, delete, insert or
 * swap lines and characters) applied to that note's real page, so the
 * fuzzer reaches past the header and line checks without seeds. Either way
 * the reader must finish without a fault, report each problem with a line
 * of the input, and hand out only notes whose id matches their page; an
 * unedited page must give its note back byte for byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "enlace.h"
#include "paper/paper.h"

#define NOTE_CAP 4096  /* notes the edit mode builds pages for */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *want;
    size_t want_len, notes, errors, lines;
} seen;

static void on_note(void *ctx, const uint8_t *note, size_t len, const enl_paper_note_info *info)
{
    seen *s = ctx;
    uint8_t id[ENL_IDBYTES];
    enl_note_id(id, note, len);
    if (len == 0 || len > ENL_NOTE_MAX || memcmp(id, info->id_prefix, ENL_PAPER_IDPREFIX) != 0) abort();
    if (s->want != NULL && (len != s->want_len || memcmp(note, s->want, len) != 0)) s->want = NULL;
    s->notes++;
}

static void on_error(void *ctx, const enl_paper_error *e)
{
    seen *s = ctx;
    if (e->line > s->lines || e->msg[0] == '\0') abort();
    if (!e->warning) s->errors++;
}

static size_t count_lines(const char *t, size_t len)
{
    size_t n = len > 0;
    for (size_t i = 0; i + 1 < len; i++) n += t[i] == '\n';
    return n;
}

static void run(const char *text, size_t len, seen *s)
{
    static uint8_t buf[ENL_NOTE_MAX];
    enl_paper_sink sink = { on_note, on_error, s };
    int rc;
    s->lines = count_lines(text, len);
    rc = enl_paper_decode(text, len, buf, &sink);
    if ((rc == ENL_OK) != (s->errors == 0)) abort();
}

/* Applies edits (4 bytes each: op, where high, where low, value) to text. */
static size_t edit(char *t, size_t len, size_t cap, const uint8_t *ops, size_t nops)
{
    for (size_t k = 0; k + 4 <= nops && len > 0; k += 4) {
        size_t at = (((size_t)ops[k + 1] << 8) | ops[k + 2]) % len;
        char v = (char)ops[k + 3];
        switch (ops[k] % 4) {
        case 0: t[at] = v; break;
        case 1: memmove(t + at, t + at + 1, len - at - 1); len--; break;
        case 2:
            if (len + 1 > cap) break;
            memmove(t + at + 1, t + at, len - at);
            t[at] = v;
            len++;
            break;
        default: {
            size_t other = (unsigned char)v % len;
            char c = t[at];
            t[at] = t[other];
            t[other] = c;
        }
        }
    }
    return len;
}

static void edited_page(const uint8_t *data, size_t size)
{
    static char text[2 * NOTE_CAP + 4096];
    size_t nlen, tlen, ops;
    seen s;

    if (size < 2) return;
    nlen = 1 + (((size_t)data[0] << 8 | data[1]) % NOTE_CAP);
    if (nlen > size - 2) nlen = size - 2;
    if (nlen == 0) return;
    if (enl_paper_encode(text, sizeof text, &tlen, data + 2, nlen, 1, 1) != ENL_OK) abort();
    ops = size - 2 - nlen;
    tlen = edit(text, tlen, sizeof text, data + 2 + nlen, ops);
    memset(&s, 0, sizeof s);
    s.want = data + 2;
    s.want_len = nlen;
    run(text, tlen, &s);
    if (ops < 4 && (s.notes != 1 || s.want == NULL || s.errors != 0)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    seen s;
    if (!ready) {
        if (enl_init() != ENL_OK) abort();
        ready = 1;
    }
    if (size == 0) return 0;
    if (data[0] & 1) {
        edited_page(data + 1, size - 1);
        return 0;
    }
    memset(&s, 0, sizeof s);
    run((const char *)data + 1, size - 1, &s);
    return 0;
}
