/*
 * Unit tests for src/util: Crockford base32, hex, and the bounds-checked
 * readers and writers of bytes.h that every parser is built on.
 *
 * Base32 must give every byte string exactly one encoding (so a card has one
 * text form) while forgiving what people get wrong when they copy by hand;
 * the readers must never read past the end and must keep an error once set.
 * Random inputs come from a fixed seed so that a failure repeats.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "enlace.h"
#include "util/base32.h"
#include "util/bytes.h"

static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

static void fill(uint8_t *buf, size_t len, uint8_t tag)
{
    uint8_t seed[randombytes_SEEDBYTES];
    memset(seed, tag, sizeof seed);
    randombytes_buf_deterministic(buf, len, seed);
}

/* Bit-by-bit reference encoder, written independently of base32.c. */
static void ref_encode(char *out, const uint8_t *in, size_t len)
{
    size_t nbits = len * 8, o = 0;
    for (size_t at = 0; at < nbits; at += 5) {
        unsigned v = 0;
        for (size_t b = at; b < at + 5; b++) {
            unsigned bit = b < nbits ? (in[b / 8] >> (7 - b % 8)) & 1 : 0;
            v = (v << 1) | bit;
        }
        out[o++] = alphabet[v];
    }
    out[o] = '\0';
}

/* ---- base32 ------------------------------------------------------------ */

static void test_base32_round_trip_every_length(void **state)
{
    uint8_t in[64], out[64];
    char text[ENL_BASE32_LEN(64) + 1], ref[ENL_BASE32_LEN(64) + 1];
    (void)state;
    for (size_t len = 0; len <= 64; len++) {
        size_t n = 999;
        fill(in, len, (uint8_t)len);
        assert_int_equal(enl_base32_encode(text, ENL_BASE32_LEN(len) + 1, in, len), ENL_OK);
        assert_int_equal(strlen(text), ENL_BASE32_LEN(len));
        ref_encode(ref, in, len);
        assert_string_equal(text, ref);
        for (size_t i = 0; text[i]; i++) assert_non_null(strchr(alphabet, text[i]));
        /* An output buffer of exactly len bytes is enough. */
        assert_int_equal(enl_base32_decode(out, len, &n, text, strlen(text)), ENL_OK);
        assert_int_equal(n, len);
        if (len) assert_memory_equal(out, in, len);
    }
}

static void test_base32_known_values(void **state)
{
    static const uint8_t ff[5] = { 0xff, 0xff, 0xff, 0xff, 0xff }, zero[5] = { 0 };
    static const uint8_t f = 'f';
    char text[16];
    (void)state;
    assert_int_equal(enl_base32_encode(text, sizeof text, NULL, 0), ENL_OK);
    assert_string_equal(text, "");
    assert_int_equal(enl_base32_encode(text, sizeof text, ff, 1), ENL_OK);
    assert_string_equal(text, "zw");
    assert_int_equal(enl_base32_encode(text, sizeof text, &f, 1), ENL_OK);
    assert_string_equal(text, "cr");
    assert_int_equal(enl_base32_encode(text, sizeof text, ff, 5), ENL_OK);
    assert_string_equal(text, "zzzzzzzz");
    assert_int_equal(enl_base32_encode(text, sizeof text, zero, 5), ENL_OK);
    assert_string_equal(text, "00000000");
    assert_int_equal(ENL_BASE32_LEN(0), 0);
    assert_int_equal(ENL_BASE32_LEN(1), 2);
    assert_int_equal(ENL_BASE32_LEN(5), 8);
    assert_int_equal(ENL_BASE32_LEN(32), 52);
}

static void test_base32_encode_buffer_too_small(void **state)
{
    uint8_t in[20];
    char text[64];
    (void)state;
    fill(in, sizeof in, 1);
    for (size_t len = 0; len <= sizeof in; len++) {
        size_t need = ENL_BASE32_LEN(len) + 1;
        memset(text, 'X', sizeof text);
        assert_int_equal(enl_base32_encode(text, need - 1, in, len), ENL_EBUFSIZE);
        /* Nothing is written past what it was given. */
        assert_int_equal(text[need - 1], 'X');
        assert_int_equal(enl_base32_encode(text, need, in, len), ENL_OK);
    }
    assert_int_equal(enl_base32_encode(text, 0, in, 0), ENL_EBUFSIZE);
}

static void test_base32_decode_forgives(void **state)
{
    /* 00000 00000 00001 00001 00001 00001 00001 00001 */
    static const uint8_t want[5] = { 0x00, 0x02, 0x10, 0x84, 0x21 };
    static const char *const forms[] = {
        "00111111", "OO111111", "oo111111", "0OiIlL11", "00II-LL-ll", " 0 0 1 1 1 1 1 1 ",
        "0011\n1111", "0011\r\n1111\t", "--00111111--",
    };
    uint8_t in[40], out[40];
    char text[ENL_BASE32_LEN(40) + 1], mangled[2 * sizeof text];
    size_t n;
    (void)state;

    assert_int_equal(enl_base32_encode(text, sizeof text, want, 5), ENL_OK);
    assert_string_equal(text, "00111111");
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        n = 0;
        assert_int_equal(enl_base32_decode(out, sizeof out, &n, forms[i], strlen(forms[i])), ENL_OK);
        assert_int_equal(n, 5);
        assert_memory_equal(out, want, 5);
    }

    /* Upper case, with a hyphen every 4 characters and a space every 7. */
    fill(in, sizeof in, 7);
    assert_int_equal(enl_base32_encode(text, sizeof text, in, sizeof in), ENL_OK);
    {
        size_t o = 0;
        for (size_t i = 0; text[i]; i++) {
            if (i && i % 4 == 0) mangled[o++] = '-';
            if (i && i % 7 == 0) mangled[o++] = ' ';
            mangled[o++] = (char)(text[i] >= 'a' ? text[i] - 'a' + 'A' : text[i]);
        }
        mangled[o] = '\0';
    }
    n = 0;
    assert_int_equal(enl_base32_decode(out, sizeof out, &n, mangled, strlen(mangled)), ENL_OK);
    assert_int_equal(n, sizeof in);
    assert_memory_equal(out, in, sizeof in);

    /* Only whitespace and hyphens: zero bytes. */
    n = 99;
    assert_int_equal(enl_base32_decode(out, sizeof out, &n, " -\n- ", 5), ENL_OK);
    assert_int_equal(n, 0);
    n = 99;
    assert_int_equal(enl_base32_decode(out, 0, &n, "", 0), ENL_OK);
    assert_int_equal(n, 0);
}

static void test_base32_value_table(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        char ch = (char)c;
        int lower = (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
        int want = -1;
        const char *at = lower ? strchr(alphabet, lower) : NULL;
        if (at != NULL) want = (int)(at - alphabet);
        if (lower == 'o') want = 0;
        if (lower == 'i' || lower == 'l') want = 1;
        if (enl_base32_value(ch) != want)
            fail_msg("enl_base32_value(0x%02x) = %d, want %d", c, enl_base32_value(ch), want);
    }
    assert_int_equal(enl_base32_value('u'), -1);
    assert_int_equal(enl_base32_value('U'), -1);
}

static void test_base32_decode_rejects_bad_characters(void **state)
{
    static const char bad[] = { 'u', 'U', '*', '=', '!', '.', '_', '~', '$', '\0', '\x7f', '\x80',
                                '\xc3', '\xff', '+', '/', ',' };
    uint8_t out[16];
    char text[] = "00111111";
    size_t n = 77;
    (void)state;
    for (size_t i = 0; i < sizeof bad; i++) {
        for (size_t at = 0; at < 8; at++) {
            memcpy(text, "00111111", 8);
            text[at] = bad[i];
            assert_int_equal(enl_base32_decode(out, sizeof out, &n, text, 8), ENL_EMALFORMED);
        }
    }
    assert_int_equal(n, 77);  /* not filled on failure */
}

static void test_base32_decode_refuses_nonzero_trailing_bits(void **state)
{
    uint8_t in[12], out[12];
    char text[ENL_BASE32_LEN(12) + 1];
    (void)state;
    fill(in, sizeof in, 3);
    for (size_t len = 1; len <= sizeof in; len++) {
        size_t chars = ENL_BASE32_LEN(len), pad = chars * 5 - len * 8, accepted = 0;
        assert_int_equal(enl_base32_encode(text, sizeof text, in, len), ENL_OK);
        for (int v = 0; v < 32; v++) {
            size_t n;
            int rc;
            text[chars - 1] = alphabet[v];
            rc = enl_base32_decode(out, sizeof out, &n, text, chars);
            if ((v & ((1 << pad) - 1)) != 0) {
                assert_int_equal(rc, ENL_EMALFORMED);
            } else {
                assert_int_equal(rc, ENL_OK);
                assert_int_equal(n, len);
                accepted++;
            }
        }
        assert_int_equal(accepted, (size_t)1 << (5 - pad));
    }
    {
        size_t n;
        assert_int_equal(enl_base32_decode(out, sizeof out, &n, "zz", 2), ENL_EMALFORMED);
        assert_int_equal(enl_base32_decode(out, sizeof out, &n, "zw", 2), ENL_OK);
    }
}

static void test_base32_decode_refuses_impossible_lengths(void **state)
{
    /* k characters carry 5k bits; 5 or more left over can never be padding. */
    char text[40];
    uint8_t out[40];
    (void)state;
    memset(text, '0', sizeof text);
    for (size_t k = 0; k <= sizeof text; k++) {
        size_t n;
        int rc = enl_base32_decode(out, sizeof out, &n, text, k);
        if ((k * 5) % 8 >= 5) {
            assert_int_equal(rc, ENL_EMALFORMED);
        } else {
            assert_int_equal(rc, ENL_OK);
            assert_int_equal(n, k * 5 / 8);
        }
    }
}

static void test_base32_decode_buffer_too_small(void **state)
{
    uint8_t in[32], out[32];
    char text[ENL_BASE32_LEN(32) + 1];
    (void)state;
    fill(in, sizeof in, 9);
    for (size_t len = 1; len <= sizeof in; len++) {
        size_t n = 12345;
        assert_int_equal(enl_base32_encode(text, sizeof text, in, len), ENL_OK);
        memset(out, 0xee, sizeof out);
        assert_int_not_equal(enl_base32_decode(out, len - 1, &n, text, strlen(text)), ENL_OK);
        assert_int_equal(n, 12345);
        /* Nothing is written past out_max. */
        assert_int_equal(out[len - 1], 0xee);
    }
}

/* ---- hex --------------------------------------------------------------- */

static void test_hex(void **state)
{
    static const uint8_t known[4] = { 0x00, 0x9a, 0xff, 0x10 };
    uint8_t in[64], out[64];
    char text[129];
    (void)state;
    enl_hex_encode(text, known, 4);
    assert_string_equal(text, "009aff10");
    assert_int_equal(enl_hex_decode(out, 4, "009AFF10", 8), ENL_OK);
    assert_memory_equal(out, known, 4);
    enl_hex_encode(text, known, 0);
    assert_string_equal(text, "");
    assert_int_equal(enl_hex_decode(out, 0, "", 0), ENL_OK);

    for (size_t len = 0; len <= sizeof in; len++) {
        fill(in, len, (uint8_t)(100 + len));
        enl_hex_encode(text, in, len);
        assert_int_equal(strlen(text), 2 * len);
        memset(out, 0, sizeof out);
        assert_int_equal(enl_hex_decode(out, len, text, 2 * len), ENL_OK);
        if (len) assert_memory_equal(out, in, len);
    }

    assert_int_equal(enl_hex_decode(out, 4, "009aff1", 7), ENL_EMALFORMED);    /* odd */
    assert_int_equal(enl_hex_decode(out, 4, "009aff1000", 10), ENL_EMALFORMED); /* too long */
    assert_int_equal(enl_hex_decode(out, 3, "009aff10", 8), ENL_EMALFORMED);    /* too short a buffer */
    assert_int_equal(enl_hex_decode(out, 4, "009aff1g", 8), ENL_EMALFORMED);
    assert_int_equal(enl_hex_decode(out, 4, "0x9aff10", 8), ENL_EMALFORMED);
    assert_int_equal(enl_hex_decode(out, 4, " 09aff10", 8), ENL_EMALFORMED);
    assert_int_equal(enl_hex_decode(out, 4, "009aff1\0", 8), ENL_EMALFORMED);
}

/* ---- bytes.h ----------------------------------------------------------- */

static void test_reader_values(void **state)
{
    static const uint8_t b[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                                 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
    enl_rd r = enl_rd_init(b, sizeof b);
    (void)state;
    assert_int_equal(enl_rd_u8(&r), 0x01);
    assert_int_equal(enl_rd_u16(&r), 0x0203);
    assert_int_equal(enl_rd_u32(&r), 0x04050607);
    assert_true(enl_rd_u64(&r) == 0x08090a0b0c0d0e0full);
    assert_int_equal(r.err, 0);
    assert_int_equal(enl_rd_left(&r), 0);
    assert_non_null(enl_rd_ptr(&r, 0));  /* zero bytes at the end: fine */
    assert_int_equal(r.err, 0);
    assert_int_equal(enl_load_be32(b), 0x01020304);
}

static void test_reader_overrun_is_sticky(void **state)
{
    static const uint8_t b[] = { 0xaa, 0xbb, 0xcc };
    uint8_t out[4];
    enl_rd r = enl_rd_init(b, sizeof b);
    (void)state;

    assert_int_equal(enl_rd_u32(&r), 0);  /* 4 > 3: error, yields zero */
    assert_int_equal(r.err, 1);
    assert_int_equal(r.off, 0);           /* nothing consumed */
    assert_int_equal(enl_rd_left(&r), 0);
    /* Later reads that would fit still fail: the error is sticky. */
    assert_int_equal(enl_rd_u8(&r), 0);
    assert_null(enl_rd_ptr(&r, 0));
    assert_null(enl_rd_ptr(&r, 1));
    memset(out, 0x55, sizeof out);
    enl_rd_bytes(&r, out, 2);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 0);
    assert_int_equal(out[2], 0x55);
    assert_int_equal(r.err, 1);

    /* A partial read after good ones. */
    r = enl_rd_init(b, sizeof b);
    assert_int_equal(enl_rd_u16(&r), 0xaabb);
    assert_int_equal(enl_rd_left(&r), 1);
    memset(out, 0x55, sizeof out);
    enl_rd_bytes(&r, out, 2);
    assert_int_equal(r.err, 1);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 0);
    assert_int_equal(enl_rd_u8(&r), 0);   /* the 0xcc that is there is not read */

    /* Huge lengths cannot wrap around. */
    r = enl_rd_init(b, sizeof b);
    (void)enl_rd_u8(&r);
    assert_null(enl_rd_ptr(&r, SIZE_MAX));
    assert_int_equal(r.err, 1);

    /* An empty buffer. */
    r = enl_rd_init(NULL, 0);
    assert_int_equal(enl_rd_u8(&r), 0);
    assert_int_equal(r.err, 1);
}

static void test_writer(void **state)
{
    uint8_t buf[8], big[16];
    enl_wr w = enl_wr_init(buf, sizeof buf);
    (void)state;

    memset(buf, 0, sizeof buf);
    enl_wr_u8(&w, 0x01);
    enl_wr_u16(&w, 0x0203);
    enl_wr_u32(&w, 0x04050607);
    assert_int_equal(w.err, 0);
    assert_int_equal(w.len, 7);
    enl_wr_u16(&w, 0xffff);               /* 2 > 1 left */
    assert_int_equal(w.err, 1);
    assert_int_equal(w.len, 7);
    enl_wr_u8(&w, 0x08);                  /* would fit, but the error is sticky */
    assert_int_equal(w.len, 7);
    assert_int_equal(buf[7], 0);
    {
        static const uint8_t want[7] = { 1, 2, 3, 4, 5, 6, 7 };
        assert_memory_equal(buf, want, 7);
    }

    w = enl_wr_init(big, sizeof big);
    enl_wr_u64(&w, 0x0102030405060708ull);
    enl_wr_bytes(&w, NULL, 0);
    enl_wr_bytes(&w, (const uint8_t *)"abcdefgh", 8);
    assert_int_equal(w.err, 0);
    assert_int_equal(w.len, 16);
    assert_memory_equal(big + 8, "abcdefgh", 8);
    assert_int_equal(big[0], 1);
    assert_int_equal(big[7], 8);
    assert_null(enl_wr_ptr(&w, 1));
    assert_int_equal(w.err, 1);

    w = enl_wr_init(big, sizeof big);
    enl_wr_u8(&w, 0);
    assert_null(enl_wr_ptr(&w, SIZE_MAX));
    assert_int_equal(w.err, 1);

    enl_store_be32(buf, 0xdeadbeef);
    assert_int_equal(buf[0], 0xde);
    assert_int_equal(buf[3], 0xef);
    assert_int_equal(enl_load_be32(buf), 0xdeadbeef);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base32_round_trip_every_length),
        cmocka_unit_test(test_base32_known_values),
        cmocka_unit_test(test_base32_encode_buffer_too_small),
        cmocka_unit_test(test_base32_decode_forgives),
        cmocka_unit_test(test_base32_value_table),
        cmocka_unit_test(test_base32_decode_rejects_bad_characters),
        cmocka_unit_test(test_base32_decode_refuses_nonzero_trailing_bits),
        cmocka_unit_test(test_base32_decode_refuses_impossible_lengths),
        cmocka_unit_test(test_base32_decode_buffer_too_small),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_reader_values),
        cmocka_unit_test(test_reader_overrun_is_sticky),
        cmocka_unit_test(test_writer),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
