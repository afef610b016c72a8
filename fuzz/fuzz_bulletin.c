/*
 * libFuzzer target for bulletins: the plaintext parser (one encoding per
 * meaning: whatever parses must encode back to exactly the input, and every
 * field must lie inside it), the opener of a whole note (its tag forced to
 * the fuzzer's fixed author position, so the input reaches the AEAD), and
 * the printed-fingerprint parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enlace.h"
#include "note/bulletin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
    return n == 0 || (p >= data && n <= size && p + n <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static uint8_t again[ENL_NOTE_MAX], note[ENL_NOTE_MAX], plain[ENL_NOTE_MAX], k[32];
    static const uint8_t fp[ENL_BULLETIN_FPBYTES] = { 1, 2, 3 };
    enl_bulletin b;

    if (!ready) {
        if (enl_init() != ENL_OK) abort();
        enl_bulletin_author_key(k, fp);
        ready = 1;
    }
    if (enl_bulletin_parse(&b, data, size) == ENL_OK) {
        if (!inside(b.channel, b.channel_len, data, size) || !inside(b.text, b.text_len, data, size) ||
            b.sig != data + size - ENL_BULLETIN_SIGBYTES || b.channel_len > ENL_BULLETIN_CHANNEL_MAX)
            abort();
        if (size > sizeof again) return 0;
        memcpy(again + size - ENL_BULLETIN_SIGBYTES, b.sig, ENL_BULLETIN_SIGBYTES);
        if (enl_bulletin_encode(again, size, &b) != ENL_OK) abort();
        if (memcmp(again, data, size) != 0) abort();
    }
    if (size <= sizeof note) {
        memcpy(note, data, size);
        if (size >= ENL_NOTE_HEADERBYTES + ENL_BULLETIN_TAGBYTES)
            enl_bulletin_tag(note + ENL_NOTE_HEADERBYTES, k, 0, 0);
        (void)enl_bulletin_open(&b, plain, note, size, k, fp, 0, 0);
    }
    if (size < 256) {
        char text[256];
        uint8_t out[ENL_BULLETIN_FPBYTES];
        memcpy(text, data, size);
        text[size] = '\0';
        (void)enl_fingerprint_parse(out, text);
    }
    return 0;
}
