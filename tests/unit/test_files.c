/*
 * Unit tests for src/note/file: the head and part payloads of a file and
 * putting a file back together.
 *
 * A file's notes are opened only by their recipient, but its sender may be
 * careless or hostile, so the parsers get every truncation, a byte too
 * many, counts that disagree, names that could be paths and sizes beyond
 * the limits; each must be refused, never crash. Reassembly must refuse a
 * part out of order, of the wrong length, or missing, and a whole that
 * does not match its hash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "enlace.h"
#include "note/file.h"
#include "note/note.h"

#define SIZE (2 * ENL_FILE_CHUNK + 1000)   /* three parts, the last short */

static uint8_t *file_data;

static int setup(void **state)
{
    uint8_t seed[32];
    (void)state;
    memset(seed, 0x5a, sizeof seed);
    if ((file_data = malloc(SIZE)) == NULL) return -1;
    randombytes_buf_deterministic(file_data, SIZE, seed);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(file_data);
    return 0;
}

static enl_file_head sample_head(void)
{
    enl_file_head h;
    memset(&h, 0, sizeof h);
    memset(h.id, 0x33, sizeof h.id);
    h.size = SIZE;
    h.chunk = ENL_FILE_CHUNK;
    h.parts = enl_file_parts_for(h.size, h.chunk);
    crypto_generichash(h.hash, sizeof h.hash, file_data, SIZE, NULL, 0);
    h.name = (const uint8_t *)"testimony.ogg";
    h.name_len = 13;
    h.note = (const uint8_t *)"tape 3";
    h.note_len = 6;
    return h;
}

/* ---- arithmetic --------------------------------------------------------- */

static void test_parts_for(void **state)
{
    enl_file_head h = sample_head();
    (void)state;
    assert_int_equal(enl_file_parts_for(0, ENL_FILE_CHUNK), 0);
    assert_int_equal(enl_file_parts_for(1, 0), 0);
    assert_int_equal(enl_file_parts_for(1, ENL_FILE_CHUNK), 1);
    assert_int_equal(enl_file_parts_for(ENL_FILE_CHUNK, ENL_FILE_CHUNK), 1);
    assert_int_equal(enl_file_parts_for(ENL_FILE_CHUNK + 1, ENL_FILE_CHUNK), 2);
    assert_int_equal(enl_file_parts_for(ENL_FILE_MAX, ENL_FILE_CHUNK), 66053);
    assert_int_equal(enl_file_parts_for(UINT64_MAX, 1), 0);    /* does not fit a u32 */
    assert_int_equal(h.parts, 3);
    assert_int_equal(enl_file_part_len(&h, 0), ENL_FILE_CHUNK);
    assert_int_equal(enl_file_part_len(&h, 1), ENL_FILE_CHUNK);
    assert_int_equal(enl_file_part_len(&h, 2), 1000);
    assert_int_equal(enl_file_part_len(&h, 3), 0);
}

static void test_full_part_fills_a_note(void **state)
{
    /* A full part is a note of the largest size, whether it is a session
     * note or a first-contact note: every full part looks the same. */
    size_t note_len = 0, payload_len = 0, body = enl_file_part_encoded_len(ENL_FILE_CHUNK);
    (void)state;
    assert_int_equal(enl_note_sizes(body, ENL_PAD_FLOOR, 0, &note_len, &payload_len), ENL_OK);
    assert_int_equal(note_len, ENL_NOTE_MAX);
    assert_int_equal(enl_note_sizes(body, ENL_PAD_FLOOR, 1, &note_len, &payload_len), ENL_OK);
    assert_int_equal(note_len, ENL_NOTE_MAX);
    /* and the largest head fits a note too */
    assert_int_equal(enl_note_sizes(ENL_FILE_HEAD_MAX, ENL_PAD_FLOOR, 1, &note_len, &payload_len), ENL_OK);
}

/* ---- head ---------------------------------------------------------------- */

static void test_head_round_trip(void **state)
{
    uint8_t buf[ENL_FILE_HEAD_MAX];
    enl_file_head h = sample_head(), out;
    size_t len = enl_file_head_len(&h);
    (void)state;
    assert_int_equal(len, ENL_FILE_HEAD_FIXED + 13 + 6);
    assert_int_equal(enl_file_head_encode(buf, len, &h), ENL_OK);
    assert_int_equal(enl_file_head_encode(buf, len - 1, &h), ENL_EBUFSIZE);
    /* The layout, field by field. */
    assert_int_equal(buf[0], ENL_FILE_VERSION);
    assert_memory_equal(buf + 1, h.id, 16);
    assert_int_equal(buf[17 + 5], (SIZE >> 16) & 0xff);
    assert_int_equal(buf[17 + 7], SIZE & 0xff);
    assert_int_equal(buf[25 + 3], 3);                                  /* parts */
    assert_int_equal((buf[29 + 2] << 8) | buf[29 + 3], ENL_FILE_CHUNK); /* chunk */
    assert_memory_equal(buf + 33, h.hash, 32);
    assert_int_equal(buf[65], 13);
    assert_memory_equal(buf + 66, "testimony.ogg", 13);
    assert_int_equal((buf[79] << 8) | buf[80], 6);
    assert_memory_equal(buf + 81, "tape 3", 6);

    assert_int_equal(enl_file_head_parse(&out, buf, len), ENL_OK);
    assert_memory_equal(out.id, h.id, 16);
    assert_int_equal(out.size, SIZE);
    assert_int_equal(out.parts, 3);
    assert_int_equal(out.chunk, ENL_FILE_CHUNK);
    assert_memory_equal(out.hash, h.hash, 32);
    assert_int_equal(out.name_len, 13);
    assert_memory_equal(out.name, "testimony.ogg", 13);
    assert_int_equal(out.note_len, 6);
    assert_memory_equal(out.note, "tape 3", 6);
    /* No note at all is fine. */
    h.note = NULL;
    h.note_len = 0;
    assert_int_equal(enl_file_head_encode(buf, enl_file_head_len(&h), &h), ENL_OK);
    assert_int_equal(enl_file_head_parse(&out, buf, enl_file_head_len(&h)), ENL_OK);
    assert_int_equal(out.note_len, 0);
}

static void test_head_truncated_and_extended(void **state)
{
    uint8_t buf[ENL_FILE_HEAD_MAX + 1];
    enl_file_head h = sample_head(), out;
    size_t len = enl_file_head_len(&h);
    (void)state;
    assert_int_equal(enl_file_head_encode(buf, len, &h), ENL_OK);
    for (size_t k = 0; k < len; k++)
        assert_int_equal(enl_file_head_parse(&out, buf, k), ENL_EMALFORMED);
    buf[len] = 0;
    assert_int_equal(enl_file_head_parse(&out, buf, len + 1), ENL_EMALFORMED);
}

/* Encodes h with the encoder's checks bypassed: the layout by hand. */
static size_t raw_head(uint8_t *buf, const enl_file_head *h, uint8_t version)
{
    size_t o = 0;
    buf[o++] = version;
    memcpy(buf + o, h->id, 16); o += 16;
    for (int i = 7; i >= 0; i--) buf[o++] = (uint8_t)(h->size >> (8 * i));
    for (int i = 3; i >= 0; i--) buf[o++] = (uint8_t)(h->parts >> (8 * i));
    for (int i = 3; i >= 0; i--) buf[o++] = (uint8_t)(h->chunk >> (8 * i));
    memcpy(buf + o, h->hash, 32); o += 32;
    buf[o++] = (uint8_t)h->name_len;
    memcpy(buf + o, h->name, h->name_len); o += h->name_len;
    buf[o++] = (uint8_t)(h->note_len >> 8);
    buf[o++] = (uint8_t)h->note_len;
    if (h->note_len) memcpy(buf + o, h->note, h->note_len);
    return o + h->note_len;
}

static void test_head_refuses(void **state)
{
    static uint8_t note[ENL_FILE_NOTE_MAX + 1];
    uint8_t buf[ENL_FILE_HEAD_MAX + 64];
    enl_file_head good = sample_head(), h, out;
    size_t len;
    (void)state;

    len = raw_head(buf, &good, ENL_FILE_VERSION);
    assert_int_equal(enl_file_head_parse(&out, buf, len), ENL_OK);
    len = raw_head(buf, &good, 2);
    assert_int_equal(enl_file_head_parse(&out, buf, len), ENL_EVERSION);
    len = raw_head(buf, &good, 0);
    assert_int_equal(enl_file_head_parse(&out, buf, len), ENL_EVERSION);

    /* Sizes: empty, beyond the maximum. */
    h = good; h.size = 0; h.parts = 0;
    assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_EMALFORMED);
    h = good; h.size = ENL_FILE_MAX + 1; h.parts = enl_file_parts_for(h.size, h.chunk);
    assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_ETOOBIG);
    h = good; h.size = ENL_FILE_MAX; h.parts = enl_file_parts_for(h.size, h.chunk);
    assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_OK);
    h = good; h.size = UINT64_MAX;
    assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_ETOOBIG);

    /* Counts that disagree with the size, chunks out of bounds. */
    for (int d = -2; d <= 2; d++) {
        if (d == 0) continue;
        h = good;
        h.parts = (uint32_t)((int)good.parts + d);
        assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_EMALFORMED);
    }
    h = good; h.parts = UINT32_MAX;
    assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_EMALFORMED);
    h = good; h.chunk = ENL_FILE_CHUNK + 1; h.parts = enl_file_parts_for(h.size, h.chunk);
    assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_EMALFORMED);
    h = good; h.chunk = ENL_FILE_CHUNK_MIN - 1; h.parts = enl_file_parts_for(h.size, h.chunk);
    assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_EMALFORMED);
    h = good; h.chunk = 0; h.parts = 0;
    assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_EMALFORMED);
    h = good; h.chunk = ENL_FILE_CHUNK_MIN; h.parts = enl_file_parts_for(h.size, h.chunk);
    assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_OK);

    /* Names that could be read as paths, or drive a terminal. */
    {
        static const char *const bad[] = { "", ".", "..", "a/b", "/etc/passwd", "..\\x",
                                           "tab\there", "nl\n", "esc\033[2J", "del\177" };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            h = good;
            h.name = (const uint8_t *)bad[i];
            h.name_len = strlen(bad[i]);
            assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_EMALFORMED);
            assert_int_equal(enl_file_head_encode(buf, sizeof buf, &h), ENL_EINVAL);
        }
        h = good;
        h.name = (const uint8_t *)"...";
        h.name_len = 3;
        assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_OK);
        h.name = (const uint8_t *)"ñandú 你好.txt";
        h.name_len = strlen((const char *)h.name);
        assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_OK);
    }
    /* A NUL inside the name. */
    h = good;
    h.name = (const uint8_t *)"a\0b";
    h.name_len = 3;
    assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_EMALFORMED);

    /* The note's length: the largest fits, one more does not. */
    memset(note, 'n', sizeof note);
    h = good;
    h.note = note;
    h.note_len = ENL_FILE_NOTE_MAX;
    assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_OK);
    h.note_len = ENL_FILE_NOTE_MAX + 1;
    assert_int_equal(enl_file_head_parse(&out, buf, raw_head(buf, &h, 1)), ENL_EMALFORMED);
    assert_int_equal(enl_file_head_encode(buf, sizeof buf, &h), ENL_EINVAL);
    /* A note length that runs past the end. */
    len = raw_head(buf, &good, 1);
    buf[ENL_FILE_HEAD_FIXED - 2 + good.name_len] = 0xff;
    assert_int_equal(enl_file_head_parse(&out, buf, len), ENL_EMALFORMED);
}

/* ---- part ---------------------------------------------------------------- */

static void test_part_round_trip_and_refuses(void **state)
{
    static uint8_t buf[ENL_FILE_PART_FIXED + ENL_FILE_CHUNK + 1];
    enl_file_part p, out;
    size_t len;
    (void)state;
    memset(p.id, 0x33, sizeof p.id);
    p.index = 0x01020304;
    p.data = file_data;
    p.len = ENL_FILE_CHUNK;
    len = enl_file_part_encoded_len(p.len);
    assert_int_equal(enl_file_part_encode(buf, len, &p), ENL_OK);
    assert_int_equal(enl_file_part_encode(buf, len - 1, &p), ENL_EBUFSIZE);
    assert_int_equal(buf[0], 1);
    assert_memory_equal(buf + 1, p.id, 16);
    assert_int_equal(buf[17], 1);
    assert_int_equal(buf[20], 4);
    assert_int_equal(enl_file_part_parse(&out, buf, len), ENL_OK);
    assert_int_equal(out.index, 0x01020304);
    assert_int_equal(out.len, ENL_FILE_CHUNK);
    assert_memory_equal(out.data, file_data, ENL_FILE_CHUNK);
    assert_ptr_equal(out.data, buf + ENL_FILE_PART_FIXED);

    /* One byte more than a chunk. */
    buf[len] = 0;
    assert_int_equal(enl_file_part_parse(&out, buf, len + 1), ENL_ETOOBIG);
    p.len = ENL_FILE_CHUNK + 1;
    assert_int_equal(enl_file_part_encode(buf, sizeof buf, &p), ENL_EINVAL);
    /* No data, or no room for the fixed fields. */
    for (size_t k = 0; k <= ENL_FILE_PART_FIXED; k++)
        assert_int_equal(enl_file_part_parse(&out, buf, k), ENL_EMALFORMED);
    p.len = 0;
    assert_int_equal(enl_file_part_encode(buf, sizeof buf, &p), ENL_EINVAL);
    /* One byte of data is a part. */
    p.len = 1;
    assert_int_equal(enl_file_part_encode(buf, enl_file_part_encoded_len(1), &p), ENL_OK);
    assert_int_equal(enl_file_part_parse(&out, buf, enl_file_part_encoded_len(1)), ENL_OK);
    /* Another version. */
    buf[0] = 2;
    assert_int_equal(enl_file_part_parse(&out, buf, enl_file_part_encoded_len(1)), ENL_EVERSION);
}

/* ---- payload kinds --------------------------------------------------------- */

static void test_payload_kinds(void **state)
{
    uint8_t body[ENL_FILE_HEAD_MAX], buf[512];
    enl_file_head h = sample_head();
    enl_payload pl, out;
    (void)state;
    assert_int_equal(enl_file_head_encode(body, sizeof body, &h), ENL_OK);
    memset(&pl, 0, sizeof pl);
    pl.kind = ENL_KIND_FILE_HEAD;
    pl.sent = 1790000000;
    pl.body = body;
    pl.body_len = enl_file_head_len(&h);
    assert_int_equal(enl_payload_encode(buf, sizeof buf, &pl), ENL_OK);
    assert_int_equal(enl_payload_parse(&out, buf, sizeof buf), ENL_OK);
    assert_int_equal(out.kind, ENL_KIND_FILE_HEAD);
    assert_int_equal(out.body_len, pl.body_len);
    buf[0] = ENL_KIND_FILE_PART;
    assert_int_equal(enl_payload_parse(&out, buf, sizeof buf), ENL_OK);
    /* A file does not disappear: any disappear value is refused (its last
     * byte is the payload's ninth: kind u8, sent u32, disappear u32). */
    buf[8] = 1;
    assert_int_equal(enl_payload_parse(&out, buf, sizeof buf), ENL_EMALFORMED);
    buf[0] = ENL_KIND_FILE_HEAD;
    assert_int_equal(enl_payload_parse(&out, buf, sizeof buf), ENL_EMALFORMED);
    buf[0] = ENL_KIND_TEXT;
    assert_int_equal(enl_payload_parse(&out, buf, sizeof buf), ENL_OK);
}

/* ---- reassembly ------------------------------------------------------------ */

static int feed(enl_file_check *c, const enl_file_head *h, uint32_t index)
{
    size_t len = enl_file_part_len(h, index);
    if (len == 0) len = 1;
    return enl_file_check_part(c, index, file_data + (size_t)index * h->chunk, len);
}

static void test_reassembly(void **state)
{
    enl_file_head h = sample_head();
    enl_file_check c;
    (void)state;

    /* In order: it checks. */
    enl_file_check_init(&c, &h);
    for (uint32_t i = 0; i < h.parts; i++) assert_int_equal(feed(&c, &h, i), ENL_OK);
    assert_int_equal(enl_file_check_final(&c), ENL_OK);

    /* A part missing at the end. */
    enl_file_check_init(&c, &h);
    assert_int_equal(feed(&c, &h, 0), ENL_OK);
    assert_int_equal(feed(&c, &h, 1), ENL_OK);
    assert_int_equal(enl_file_check_final(&c), ENL_EMALFORMED);

    /* A part skipped, repeated, or beyond the last. */
    enl_file_check_init(&c, &h);
    assert_int_equal(feed(&c, &h, 1), ENL_EMALFORMED);
    assert_int_equal(feed(&c, &h, 0), ENL_OK);
    assert_int_equal(feed(&c, &h, 0), ENL_EMALFORMED);
    assert_int_equal(feed(&c, &h, 1), ENL_OK);
    assert_int_equal(feed(&c, &h, 2), ENL_OK);
    assert_int_equal(feed(&c, &h, 3), ENL_EMALFORMED);
    assert_int_equal(enl_file_check_final(&c), ENL_OK);

    /* A part of the wrong length: short, long, a full chunk for the last. */
    enl_file_check_init(&c, &h);
    assert_int_equal(enl_file_check_part(&c, 0, file_data, ENL_FILE_CHUNK - 1), ENL_EMALFORMED);
    assert_int_equal(enl_file_check_part(&c, 0, file_data, ENL_FILE_CHUNK), ENL_OK);
    assert_int_equal(enl_file_check_part(&c, 1, file_data, ENL_FILE_CHUNK), ENL_OK);
    assert_int_equal(enl_file_check_part(&c, 2, file_data, ENL_FILE_CHUNK), ENL_EMALFORMED);
    assert_int_equal(enl_file_check_part(&c, 2, file_data, 1001), ENL_EMALFORMED);
    assert_int_equal(enl_file_check_part(&c, 2, file_data, 999), ENL_EMALFORMED);

    /* Every part there, one byte altered: the hash says so. */
    {
        uint8_t *copy = malloc(SIZE);
        assert_non_null(copy);
        for (size_t at = 0; at < SIZE; at += SIZE / 7) {
            memcpy(copy, file_data, SIZE);
            copy[at] ^= 0x01;
            enl_file_check_init(&c, &h);
            for (uint32_t i = 0; i < h.parts; i++)
                assert_int_equal(enl_file_check_part(&c, i, copy + (size_t)i * h.chunk,
                                                     enl_file_part_len(&h, i)), ENL_OK);
            assert_int_equal(enl_file_check_final(&c), ENL_EDECRYPT);
        }
        free(copy);
    }
    /* A head whose hash is another file's. */
    h.hash[0] ^= 0x80;
    enl_file_check_init(&c, &h);
    for (uint32_t i = 0; i < h.parts; i++) assert_int_equal(feed(&c, &h, i), ENL_OK);
    assert_int_equal(enl_file_check_final(&c), ENL_EDECRYPT);
}

static void test_one_part_file(void **state)
{
    enl_file_head h = sample_head();
    enl_file_check c;
    (void)state;
    h.size = 1;
    h.parts = enl_file_parts_for(1, h.chunk);
    crypto_generichash(h.hash, sizeof h.hash, file_data, 1, NULL, 0);
    assert_int_equal(h.parts, 1);
    assert_int_equal(enl_file_part_len(&h, 0), 1);
    enl_file_check_init(&c, &h);
    assert_int_equal(enl_file_check_final(&c), ENL_EMALFORMED);
    enl_file_check_init(&c, &h);
    assert_int_equal(enl_file_check_part(&c, 0, file_data, 1), ENL_OK);
    assert_int_equal(enl_file_check_final(&c), ENL_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts_for),
        cmocka_unit_test(test_full_part_fills_a_note),
        cmocka_unit_test(test_head_round_trip),
        cmocka_unit_test(test_head_truncated_and_extended),
        cmocka_unit_test(test_head_refuses),
        cmocka_unit_test(test_part_round_trip_and_refuses),
        cmocka_unit_test(test_payload_kinds),
        cmocka_unit_test(test_reassembly),
        cmocka_unit_test(test_one_part_file),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
