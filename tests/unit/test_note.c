/*
 * Unit tests for src/note: Padmé and note sizes, the clear header, the
 * first-contact seal and open, payloads and their purge lock, purge records
 * and note ids.
 *
 * A note crosses hands that may be hostile, so the tests damage it the ways
 * a courier could: every byte of the header and the body flipped, every bit
 * flipped, every truncation, an expiry moved into the past or too far into
 * the future. Each must be refused, and never crash. The first-contact layer
 * carries an opaque inner message (the X3DH values and the first ratchet
 * message); these tests give it arbitrary bytes and check they come back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/identity.h"
#include "crypto/seal.h"
#include "enlace.h"
#include "note/note.h"

#define NOW 1790000000ull            /* 2026-09-21 */
#define NOW_H ((uint32_t)(NOW / 3600))
#define EXPIRY (NOW_H + ENL_EXPIRY_DEFAULT_HOURS)

static enl_identity ana, bea, eve;
static uint8_t note_buf[ENL_NOTE_MAX], plain_buf[ENL_NOTE_MAX], copy_buf[ENL_NOTE_MAX];
static uint8_t text_buf[ENL_NOTE_MAX];

static int setup(void **state)
{
    uint8_t seed[32] = { 0 };
    (void)state;
    memset(seed, 0xa1, sizeof seed);
    if (enl_identity_from_seed(&ana, seed, NOW) != ENL_OK) return -1;
    memset(seed, 0xb2, sizeof seed);
    if (enl_identity_from_seed(&bea, seed, NOW) != ENL_OK) return -1;
    memset(seed, 0xe5, sizeof seed);
    if (enl_identity_from_seed(&eve, seed, NOW) != ENL_OK) return -1;
    memset(seed, 0x77, sizeof seed);
    randombytes_buf_deterministic(text_buf, sizeof text_buf, seed);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    enl_identity_wipe(&ana);
    enl_identity_wipe(&bea);
    enl_identity_wipe(&eve);
    return 0;
}

static enl_payload text_payload(const uint8_t *body, size_t len, uint8_t key_fill)
{
    enl_payload pl;
    memset(&pl, 0, sizeof pl);
    pl.kind = ENL_KIND_TEXT;
    pl.sent = NOW;
    memset(pl.purge_key, key_fill, sizeof pl.purge_key);
    pl.body = body;
    pl.body_len = len;
    return pl;
}

/* The length of a first-contact note around inner_len bytes. */
static size_t first_len(size_t inner_len)
{
    return ENL_NOTE_HEADERBYTES + ENL_SEAL_OVERHEAD + ENL_FIRST_FIXEDBYTES + inner_len;
}

/* Seals inner_len bytes of text_buf from ana to bea into note_buf, under a
 * header with this expiry and the lock of a key of 0x11 bytes. */
static size_t seal(size_t inner_len, uint32_t expiry)
{
    uint8_t key[32], lock[32];
    size_t len = first_len(inner_len);
    memset(key, 0x11, sizeof key);
    enl_purge_lock(lock, key);
    enl_note_header_encode(note_buf, expiry, lock);
    assert_int_equal(enl_note_seal_first(note_buf, len, &ana, bea.dh_pk, text_buf, inner_len,
                                         NULL), ENL_OK);
    return len;
}

typedef struct {
    uint8_t dh[32], sign[32];
    const uint8_t *inner;
    size_t inner_len;
} opened;

static int open_as(const enl_identity *who, const uint8_t *note, size_t len, opened *op)
{
    opened tmp;
    if (op == NULL) op = &tmp;
    memset(op, 0, sizeof *op);
    return enl_note_open_first(note, len, who->dh_sk, plain_buf, op->dh, op->sign, &op->inner,
                               &op->inner_len);
}

/* ---- Padmé --------------------------------------------------------------- */

/* The definition, written independently: E = floor(log2 L),
 * S = floor(log2 E) + 1, mask = 2^(E-S) - 1, (L + mask) & ~mask. */
static uint64_t ref_padme(uint64_t l)
{
    unsigned e, s;
    uint64_t mask;
    if (l < 2) return l;
    e = 63u - (unsigned)__builtin_clzll(l);
    s = 64u - (unsigned)__builtin_clzll((uint64_t)e);
    if (e < s) return l;
    mask = ((uint64_t)1 << (e - s)) - 1;
    return (l + mask) & ~mask;
}

static void test_padme_known_values(void **state)
{
    static const size_t in[] = { 0, 1, 2, 3, 9, 100, 255, 256, 257, 272, 273, 300, 1000, 1025,
                                 4000, 61650, 65000, 65535 };
    static const size_t want[] = { 0, 1, 2, 3, 10, 104, 256, 256, 272, 272, 288, 304, 1024, 1088,
                                   4096, 63488, 65536, 65536 };
    (void)state;
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        if (enl_padme(in[i]) != want[i])
            fail_msg("padme(%zu) = %zu, want %zu", in[i], enl_padme(in[i]), want[i]);
}

static void test_padme_properties(void **state)
{
    size_t prev = 0;
    (void)state;
    for (size_t l = 0; l <= 3 * 65536; l++) {
        size_t p = enl_padme(l);
        if (p != ref_padme(l)) fail_msg("padme(%zu) = %zu, the definition gives %zu", l, p,
                                        (size_t)ref_padme(l));
        assert_true(p >= l);
        assert_true(p >= prev);                 /* monotonic */
        if (l >= 256 && (p - l) * 100 > 12 * l)
            fail_msg("padme(%zu) = %zu: overhead above 12%%", l, p);
        if (enl_padme(p) != p) fail_msg("padme(padme(%zu)) != padme(%zu)", l, l);
        prev = p;
    }
    /* Large lengths, a few points. */
    for (uint64_t l = (uint64_t)1 << 20; l < (uint64_t)1 << 40; l = l * 3 + 1) {
        assert_true(enl_padme((size_t)l) == ref_padme(l));
        assert_true(enl_padme((size_t)l) >= l);
    }
}

static void check_sizes(int first, size_t fixed)
{
    size_t n = 0, pl = 0, last;
    /* The smallest note sits at the floor. */
    assert_int_equal(enl_note_sizes(0, ENL_PAD_FLOOR, first, &n, &pl), ENL_OK);
    assert_int_equal(n, enl_padme(fixed + ENL_PAYLOAD_FIXEDBYTES < ENL_PAD_FLOOR
                                      ? ENL_PAD_FLOOR : fixed + ENL_PAYLOAD_FIXEDBYTES));
    assert_true(n >= ENL_PAD_FLOOR);
    assert_int_equal(pl, n - fixed);
    /* A floor below the smallest allowed is raised to it. */
    assert_int_equal(enl_note_sizes(0, 0, first, &n, &pl), ENL_OK);
    assert_true(n >= ENL_PAD_FLOOR_MIN);
    assert_int_equal(n, enl_padme(fixed + ENL_PAYLOAD_FIXEDBYTES < ENL_PAD_FLOOR_MIN
                                      ? ENL_PAD_FLOOR_MIN : fixed + ENL_PAYLOAD_FIXEDBYTES));
    assert_int_equal(enl_note_sizes(0, 1024, first, &n, &pl), ENL_OK);
    assert_int_equal(n, 1024);
    assert_int_equal(pl, 1024 - fixed);
    /* Every text length: padded by Padmé, payload room for the text. */
    for (size_t b = 0; b <= ENL_TEXT_MAX; b += (b < 700 ? 1 : 97)) {
        size_t raw = fixed + ENL_PAYLOAD_FIXEDBYTES + b;
        assert_int_equal(enl_note_sizes(b, ENL_PAD_FLOOR, first, &n, &pl), ENL_OK);
        assert_true(n >= ENL_PAD_FLOOR && n >= raw && n <= ENL_NOTE_MAX);
        assert_int_equal(n, enl_padme(raw < ENL_PAD_FLOOR ? ENL_PAD_FLOOR : raw));
        assert_int_equal(pl, n - fixed);
        assert_true(pl >= ENL_PAYLOAD_FIXEDBYTES + b);
    }
    assert_int_equal(enl_note_sizes(ENL_TEXT_MAX, ENL_PAD_FLOOR, first, &n, &pl), ENL_OK);
    /* The last text that fits in ENL_NOTE_MAX, and the first that does not. */
    last = ENL_NOTE_MAX - fixed - ENL_PAYLOAD_FIXEDBYTES;
    assert_int_equal(enl_note_sizes(last, ENL_PAD_FLOOR, first, &n, &pl), ENL_OK);
    assert_int_equal(n, ENL_NOTE_MAX);
    assert_int_equal(pl, ENL_PAYLOAD_FIXEDBYTES + last);
    n = pl = 12345;
    assert_int_equal(enl_note_sizes(last + 1, ENL_PAD_FLOOR, first, &n, &pl), ENL_ETOOBIG);
    assert_int_equal(n, 12345);  /* untouched on failure */
    assert_int_equal(enl_note_sizes(ENL_NOTE_MAX, ENL_PAD_FLOOR, first, &n, &pl), ENL_ETOOBIG);
    assert_int_equal(enl_note_sizes(SIZE_MAX, ENL_PAD_FLOOR, first, &n, &pl), ENL_ETOOBIG);
    assert_int_equal(enl_note_sizes(SIZE_MAX - 100, ENL_PAD_FLOOR, first, &n, &pl), ENL_ETOOBIG);
}

static void test_note_sizes(void **state)
{
    const size_t session = ENL_NOTE_HEADERBYTES + ENL_RATCHET_MSG_OVERHEAD;
    const size_t first = session + ENL_SEAL_OVERHEAD + ENL_FIRST_FIXEDBYTES + ENL_FIRST_INITBYTES;
    (void)state;
    assert_int_equal(ENL_NOTE_MINBYTES, session + ENL_PAYLOAD_FIXEDBYTES);
    check_sizes(0, session);
    check_sizes(1, first);
    /* A session note of a short text is 256 bytes long. */
    {
        size_t n, pl;
        const size_t fits = 256 - session - ENL_PAYLOAD_FIXEDBYTES;
        assert_int_equal(enl_note_sizes(fits, ENL_PAD_FLOOR, 0, &n, &pl), ENL_OK);
        assert_int_equal(n, 256);
        assert_int_equal(enl_note_sizes(fits + 1, ENL_PAD_FLOOR, 0, &n, &pl), ENL_OK);
        assert_int_equal(n, 272);
    }
}

/* ---- first-contact seal and open -------------------------------------------------- */

static void test_seal_open_round_trip(void **state)
{
    static const size_t sizes[] = { 0, 1, 100, 1000, ENL_TEXT_MAX,
                                    ENL_NOTE_MAX - ENL_NOTE_HEADERBYTES - ENL_SEAL_OVERHEAD - 32 };
    (void)state;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        opened op;
        size_t len = seal(sizes[i], EXPIRY);
        assert_true(len <= ENL_NOTE_MAX);
        assert_int_equal(open_as(&bea, note_buf, len, &op), ENL_OK);
        assert_memory_equal(op.dh, ana.dh_pk, 32);
        assert_memory_equal(op.sign, ana.sign_pk, 32);
        assert_int_equal(op.inner_len, sizes[i]);
        if (sizes[i]) assert_memory_equal(op.inner, text_buf, sizes[i]);
        assert_true(op.inner >= plain_buf && op.inner + op.inner_len <= plain_buf + len);
        /* Not for anyone else, not even the sender. */
        assert_int_equal(open_as(&eve, note_buf, len, NULL), ENL_ENOTFORME);
        assert_int_equal(open_as(&ana, note_buf, len, NULL), ENL_ENOTFORME);
    }
}

static void test_seal_refuses_bad_lengths(void **state)
{
    size_t len = first_len(100);
    (void)state;
    enl_note_header_encode(note_buf, EXPIRY, text_buf);
    assert_int_equal(enl_note_seal_first(note_buf, len - 1, &ana, bea.dh_pk, text_buf, 100, NULL),
                     ENL_EINVAL);
    assert_int_equal(enl_note_seal_first(note_buf, len + 1, &ana, bea.dh_pk, text_buf, 100, NULL),
                     ENL_EINVAL);
    assert_int_equal(enl_note_seal_first(note_buf, 0, &ana, bea.dh_pk, text_buf, 100, NULL),
                     ENL_EINVAL);
    assert_int_equal(enl_note_seal_first(note_buf, ENL_NOTE_MAX + 1, &ana, bea.dh_pk, text_buf,
                                         ENL_NOTE_MAX + 1 - first_len(0), NULL), ENL_EINVAL);
    assert_int_equal(enl_note_seal_first(note_buf, len, &ana, bea.dh_pk, text_buf, 100, NULL),
                     ENL_OK);
}

static void test_open_refuses_bad_lengths(void **state)
{
    size_t len = seal(100, EXPIRY);
    (void)state;
    assert_int_equal(open_as(&bea, note_buf, len, NULL), ENL_OK);
    for (size_t k = 0; k < first_len(0); k++)
        assert_int_equal(open_as(&bea, note_buf, k, NULL), ENL_ENOTFORME);
    assert_int_equal(open_as(&bea, note_buf, ENL_NOTE_MAX + 1, NULL), ENL_ETOOBIG);
}

static void test_clear_header_layout(void **state)
{
    uint8_t lock[32], key[32];
    enl_note_header h;
    size_t len;
    (void)state;
    memset(key, 0x11, sizeof key);
    enl_purge_lock(lock, key);
    enl_note_header_encode(note_buf, 0x01020304u, lock);
    assert_int_equal(note_buf[0], ENL_NOTE_VERSION);
    assert_int_equal(ENL_NOTE_VERSION, 2);
    assert_int_equal(note_buf[1], 0x01);
    assert_int_equal(note_buf[2], 0x02);
    assert_int_equal(note_buf[3], 0x03);
    assert_int_equal(note_buf[4], 0x04);
    /* 16 bytes of lock on the wire; in memory the rest are zeros. */
    assert_memory_equal(note_buf + ENL_NOTE_LOCK_OFFSET, lock, ENL_PURGELOCK_WIREBYTES);
    assert_true(sodium_is_zero(lock + ENL_PURGELOCK_WIREBYTES, 32 - ENL_PURGELOCK_WIREBYTES));
    assert_int_equal(ENL_NOTE_LOCK_OFFSET, 5);
    assert_int_equal(ENL_NOTE_HEADERBYTES, 21);
    /* Sealing leaves the header as it was written. */
    len = seal(200, 0x01020304u);
    assert_int_equal(note_buf[0], ENL_NOTE_VERSION);
    assert_int_equal(note_buf[4], 0x04);
    assert_memory_equal(note_buf + ENL_NOTE_LOCK_OFFSET, lock, ENL_PURGELOCK_WIREBYTES);
    assert_int_equal(enl_note_header_parse(&h, note_buf, len, 0x01020304u - 1), ENL_OK);
    assert_int_equal(h.version, ENL_NOTE_VERSION);
    assert_int_equal(h.expiry_hours, 0x01020304u);
    assert_memory_equal(h.purge_lock, lock, 32);
    /* The lock is BLAKE2b-128 of the key under the context "enlace purge lock v2". */
    {
        uint8_t want[16];
        static const char ctx[] = "enlace purge lock v2";
        crypto_generichash(want, 16, key, 32, (const uint8_t *)ctx, sizeof ctx - 1);
        assert_memory_equal(lock, want, 16);
    }
}

static void test_note_id(void **state)
{
    uint8_t id[ENL_IDBYTES], want[32], id2[ENL_IDBYTES];
    size_t len = seal(100, EXPIRY);
    (void)state;
    enl_note_id(id, note_buf, len);
    crypto_generichash(want, 32, note_buf, len, NULL, 0);
    assert_memory_equal(id, want, 32);
    /* Every byte counts, the last one too. */
    note_buf[len - 1] ^= 1;
    enl_note_id(id2, note_buf, len);
    assert_memory_not_equal(id, id2, 32);
    enl_note_id(id2, note_buf, len - 1);
    assert_memory_not_equal(id, id2, 32);
}

static void test_ephemeral_top_bit_is_random(void **state)
{
    /* Byte 37+31 is the last byte of e: its top bit must take both values,
     * or first-contact notes would be recognisable. */
    int seen[2] = { 0, 0 };
    (void)state;
    for (int i = 0; i < 64; i++) {
        size_t len = seal(10, EXPIRY);
        seen[note_buf[ENL_NOTE_HEADERBYTES + 31] >> 7]++;
        assert_int_equal(open_as(&bea, note_buf, len, NULL), ENL_OK);
    }
    assert_true(seen[0] > 0);
    assert_true(seen[1] > 0);
}

static void test_fixed_ephemeral_is_deterministic(void **state)
{
    /* For test vectors: a fixed e gives the same note twice. */
    uint8_t e[32], lock[32];
    size_t len = first_len(50);
    (void)state;
    memset(e, 0xe5, sizeof e);
    memset(lock, 0x4c, sizeof lock);
    enl_note_header_encode(note_buf, EXPIRY, lock);
    assert_int_equal(enl_note_seal_first(note_buf, len, &ana, bea.dh_pk, text_buf, 50, e), ENL_OK);
    memcpy(copy_buf, note_buf, len);
    assert_int_equal(enl_note_seal_first(note_buf, len, &ana, bea.dh_pk, text_buf, 50, e), ENL_OK);
    assert_memory_equal(copy_buf, note_buf, len);
    assert_int_equal(open_as(&bea, note_buf, len, NULL), ENL_OK);
}

static void test_two_seals_differ(void **state)
{
    /* The same text twice gives two unlinkable bodies. */
    size_t len = seal(100, EXPIRY);
    (void)state;
    memcpy(copy_buf, note_buf, len);
    assert_int_equal(seal(100, EXPIRY), len);
    assert_memory_not_equal(copy_buf + ENL_NOTE_HEADERBYTES, note_buf + ENL_NOTE_HEADERBYTES,
                            len - ENL_NOTE_HEADERBYTES);
}

/* ---- damage ------------------------------------------------------------------ */

static void test_every_byte_flipped_is_refused(void **state)
{
    /* The header is the seal's prologue: changing any byte of it, as of the
     * body, makes the note fail to open. */
    size_t len = seal(100, EXPIRY);
    (void)state;
    for (size_t i = 0; i < len; i++) {
        int rc;
        note_buf[i] ^= 0xff;
        rc = open_as(&bea, note_buf, len, NULL);
        note_buf[i] ^= 0xff;
        if (rc != ENL_ENOTFORME)
            fail_msg("byte %zu of %zu flipped: %d (%s), want ENL_ENOTFORME", i, len, rc,
                     enl_strerror(rc));
    }
    assert_int_equal(open_as(&bea, note_buf, len, NULL), ENL_OK);
}

static void test_every_bit_flipped_is_refused(void **state)
{
    /* Every single bit, the top bit of e included (it is bound to the rest
     * of the message; see test_ephemeral_top_bit_is_bound). */
    size_t len = seal(64, EXPIRY);
    (void)state;
    for (size_t bit = 0; bit < 8 * len; bit++) {
        int rc;
        note_buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        rc = open_as(&bea, note_buf, len, NULL);
        note_buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (rc == ENL_OK) fail_msg("bit %zu of byte %zu flipped: opened", bit % 8, bit / 8);
    }
}

static void test_ephemeral_top_bit_is_bound(void **state)
{
    /* X25519 ignores the top bit of e; were it free, flipping it would make
     * a second note (another id) with the same content. It is a function of
     * the rest of the message, so the flipped copy is refused. */
    const size_t top = ENL_NOTE_HEADERBYTES + 31;
    size_t len = seal(30, EXPIRY);
    (void)state;
    note_buf[top] ^= 0x80;
    assert_int_equal(open_as(&bea, note_buf, len, NULL), ENL_ENOTFORME);
    note_buf[top] ^= 0x80;
    assert_int_equal(open_as(&bea, note_buf, len, NULL), ENL_OK);
}

static void test_truncated_and_extended(void **state)
{
    size_t len = seal(300, EXPIRY);
    (void)state;
    for (size_t k = 0; k < len; k++)
        if (open_as(&bea, note_buf, k, NULL) == ENL_OK)
            fail_msg("truncated to %zu of %zu bytes: opened", k, len);
    memcpy(copy_buf, note_buf, len);
    for (size_t extra = 1; extra <= 16; extra++) {
        copy_buf[len + extra - 1] = 0;
        assert_int_equal(open_as(&bea, copy_buf, len + extra, NULL), ENL_ENOTFORME);
    }
}

static void test_header_checks(void **state)
{
    enl_note_header h;
    size_t len;
    (void)state;

    /* Expiry: at most ENL_EXPIRY_MAX_HOURS + 24 ahead. */
    len = seal(200, NOW_H + ENL_EXPIRY_MAX_HOURS + 24);
    assert_int_equal(enl_note_header_parse(&h, note_buf, len, NOW_H), ENL_OK);
    len = seal(200, NOW_H + ENL_EXPIRY_MAX_HOURS + 25);
    assert_int_equal(enl_note_header_parse(&h, note_buf, len, NOW_H), ENL_EFUTURE);
    len = seal(200, UINT32_MAX);
    assert_int_equal(enl_note_header_parse(&h, note_buf, len, NOW_H), ENL_EFUTURE);

    /* Expired: expiry <= now. */
    len = seal(200, NOW_H + 1);
    assert_int_equal(enl_note_header_parse(&h, note_buf, len, NOW_H), ENL_OK);
    assert_int_equal(enl_note_header_parse(&h, note_buf, len, NOW_H + 1), ENL_EEXPIRED);
    len = seal(200, NOW_H);
    assert_int_equal(enl_note_header_parse(&h, note_buf, len, NOW_H), ENL_EEXPIRED);
    len = seal(200, 0);
    assert_int_equal(enl_note_header_parse(&h, note_buf, len, NOW_H), ENL_EEXPIRED);

    /* A courier moves the expiry of a good note into the past, or a bit
     * later: the header refuses the first, the seal the second. */
    len = seal(200, EXPIRY);
    {
        uint32_t past = NOW_H - 5, later = EXPIRY + 1;
        memcpy(copy_buf, note_buf, len);
        copy_buf[1] = (uint8_t)(past >> 24); copy_buf[2] = (uint8_t)(past >> 16);
        copy_buf[3] = (uint8_t)(past >> 8); copy_buf[4] = (uint8_t)past;
        assert_int_equal(enl_note_header_parse(&h, copy_buf, len, NOW_H), ENL_EEXPIRED);
        assert_int_equal(open_as(&bea, copy_buf, len, NULL), ENL_ENOTFORME);
        copy_buf[1] = (uint8_t)(later >> 24); copy_buf[2] = (uint8_t)(later >> 16);
        copy_buf[3] = (uint8_t)(later >> 8); copy_buf[4] = (uint8_t)later;
        assert_int_equal(enl_note_header_parse(&h, copy_buf, len, NOW_H), ENL_OK);
        assert_int_equal(open_as(&bea, copy_buf, len, NULL), ENL_ENOTFORME);
    }

    /* Version. */
    for (int v = 0; v < 256; v++) {
        if (v == ENL_NOTE_VERSION) continue;
        memcpy(copy_buf, note_buf, len);
        copy_buf[0] = (uint8_t)v;
        assert_int_equal(enl_note_header_parse(&h, copy_buf, len, NOW_H), ENL_EVERSION);
        assert_int_equal(open_as(&bea, copy_buf, len, NULL), ENL_ENOTFORME);
    }

    /* Size bounds. */
    for (size_t k = 0; k < ENL_NOTE_MINBYTES; k++)
        assert_int_equal(enl_note_header_parse(&h, note_buf, k, NOW_H), ENL_EMALFORMED);
    assert_int_equal(enl_note_header_parse(&h, note_buf, ENL_NOTE_MINBYTES, NOW_H), ENL_OK);
    assert_int_equal(enl_note_header_parse(&h, note_buf, ENL_NOTE_MAX, NOW_H), ENL_OK);
    assert_int_equal(enl_note_header_parse(&h, note_buf, ENL_NOTE_MAX + 1, NOW_H), ENL_ETOOBIG);
}

static void test_payload_lock(void **state)
{
    /* The purge key inside must be the one the clear lock commits to. */
    uint8_t lock[32];
    enl_payload pl = text_payload(text_buf, 5, 0x42);
    (void)state;
    enl_purge_lock(lock, pl.purge_key);
    assert_int_equal(enl_payload_check_lock(&pl, lock), ENL_OK);
    for (int i = 0; i < 32; i++) {
        lock[i] ^= 0x01;
        assert_int_equal(enl_payload_check_lock(&pl, lock), ENL_EMALFORMED);
        lock[i] ^= 0x01;
    }
    pl.purge_key[0] ^= 0x80;
    assert_int_equal(enl_payload_check_lock(&pl, lock), ENL_EMALFORMED);
}

/* ---- payloads ---------------------------------------------------------------------- */

static void test_payload_round_trip(void **state)
{
    uint8_t buf[200], key[32];
    enl_payload in, out;
    (void)state;
    memset(key, 0x5c, sizeof key);
    for (size_t body = 0; body <= 200 - ENL_PAYLOAD_FIXEDBYTES; body += 31) {
        for (size_t pad = 0; pad <= 3 && ENL_PAYLOAD_FIXEDBYTES + body + pad < sizeof buf; pad++) {
            size_t n = ENL_PAYLOAD_FIXEDBYTES + body + pad;
            in = text_payload(text_buf, body, 0x5c);
            in.sent = 0x01020304u;
            memset(buf, 0xee, sizeof buf);
            assert_int_equal(enl_payload_encode(buf, n, &in), ENL_OK);
            assert_int_equal(buf[n], 0xee);   /* exactly n bytes written */
            assert_int_equal(buf[0], ENL_KIND_TEXT);
            assert_int_equal(buf[1], 0x01);
            assert_int_equal(buf[4], 0x04);
            assert_int_equal(buf[9], (uint8_t)(body >> 8));   /* body length, u16 */
            assert_int_equal(buf[10], (uint8_t)body);
            memset(&out, 0, sizeof out);
            assert_int_equal(enl_payload_parse(&out, buf, n), ENL_OK);
            assert_int_equal(out.kind, ENL_KIND_TEXT);
            assert_true(out.sent == 0x01020304u);
            /* The purge key is not in the payload: it comes from the ratchet. */
            assert_true(sodium_is_zero(out.purge_key, 32));
            assert_int_equal(out.body_len, body);
            assert_ptr_equal(out.body, buf + ENL_PAYLOAD_FIXEDBYTES);
            if (body) assert_memory_equal(out.body, text_buf, body);
            for (size_t i = ENL_PAYLOAD_FIXEDBYTES + body; i < n; i++) assert_int_equal(buf[i], 0);
        }
    }
    /* Too small a buffer. */
    in = text_payload(text_buf, 10, 1);
    assert_int_equal(enl_payload_encode(buf, ENL_PAYLOAD_FIXEDBYTES + 9, &in), ENL_ETOOBIG);
    assert_int_equal(enl_payload_encode(buf, 0, &in), ENL_ETOOBIG);
}

static void test_payload_refuses(void **state)
{
    uint8_t buf[100];
    enl_payload in = text_payload(text_buf, 20, 0x33), out;
    const size_t at_len = ENL_PAYLOAD_FIXEDBYTES - 4, n = sizeof buf;
    (void)state;
    assert_int_equal(enl_payload_encode(buf, n, &in), ENL_OK);
    assert_int_equal(enl_payload_parse(&out, buf, n), ENL_OK);

    /* Every padding byte must be zero. */
    for (size_t i = ENL_PAYLOAD_FIXEDBYTES + 20; i < n; i++) {
        buf[i] = 0x01;
        assert_int_equal(enl_payload_parse(&out, buf, n), ENL_EMALFORMED);
        buf[i] = 0x80;
        assert_int_equal(enl_payload_parse(&out, buf, n), ENL_EMALFORMED);
        buf[i] = 0;
    }
    /* Unknown kinds (a file's notes are read too: test_files.c). */
    for (int k = 0; k < 256; k++) {
        if (enl_kind_known((uint8_t)k)) continue;
        buf[0] = (uint8_t)k;
        assert_int_equal(enl_payload_parse(&out, buf, n), ENL_EVERSION);
    }
    buf[0] = ENL_KIND_TEXT;
    /* A disappearing time beyond a year. */
    buf[9] = 0xff;
    assert_int_equal(enl_payload_parse(&out, buf, n), ENL_EMALFORMED);
    buf[9] = 0;
    assert_int_equal(enl_payload_parse(&out, buf, n), ENL_OK);
    /* A body length beyond the buffer, up to the largest u32. */
    {
        static const uint32_t lens[] = { 100 - ENL_PAYLOAD_FIXEDBYTES + 1, 100, 1000, 65536, 0x7fffffffu, 0xffffffffu };
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            buf[at_len] = (uint8_t)(lens[i] >> 24); buf[at_len + 1] = (uint8_t)(lens[i] >> 16);
            buf[at_len + 2] = (uint8_t)(lens[i] >> 8); buf[at_len + 3] = (uint8_t)lens[i];
            assert_int_equal(enl_payload_parse(&out, buf, n), ENL_EMALFORMED);
        }
        /* Exactly the rest of the buffer is fine (no padding). */
        buf[at_len] = 0; buf[at_len + 1] = 0; buf[at_len + 2] = 0; buf[at_len + 3] = (uint8_t)(n - ENL_PAYLOAD_FIXEDBYTES);
        assert_int_equal(enl_payload_parse(&out, buf, n), ENL_OK);
        assert_int_equal(out.body_len, n - ENL_PAYLOAD_FIXEDBYTES);
    }
    /* Every truncation of the fixed part. */
    for (size_t k = 0; k < ENL_PAYLOAD_FIXEDBYTES; k++)
        assert_int_equal(enl_payload_parse(&out, buf, k), ENL_EMALFORMED);
}

/* ---- purge records --------------------------------------------------------------- */

static void test_purge_round_trip(void **state)
{
    uint8_t rec[ENL_PURGEBYTES], key[32], k2[32], lock[32], want[32];
    uint32_t exp = 0;
    (void)state;
    assert_int_equal(ENL_PURGEBYTES, 37);
    memset(key, 0x11, sizeof key);
    enl_purge_encode(rec, EXPIRY, key);
    assert_int_equal(rec[0], ENL_PURGE_VERSION);
    assert_int_equal(rec[1], (uint8_t)(EXPIRY >> 24));
    assert_int_equal(rec[4], (uint8_t)EXPIRY);
    assert_memory_equal(rec + 5, key, 32);
    assert_int_equal(enl_purge_parse(&exp, k2, lock, rec, sizeof rec, NOW_H), ENL_OK);
    assert_int_equal(exp, EXPIRY);
    assert_memory_equal(k2, key, 32);
    enl_purge_lock(want, key);
    assert_memory_equal(lock, want, 32);
    /* The lock is the one in the header of a note sealed with this key. */
    (void)seal(10, EXPIRY);
    assert_memory_equal(note_buf + ENL_NOTE_LOCK_OFFSET, lock, ENL_PURGELOCK_WIREBYTES);
    /* Different keys, different locks. */
    key[31] ^= 1;
    enl_purge_lock(want, key);
    assert_memory_not_equal(lock, want, 32);
}

static void test_purge_refuses(void **state)
{
    uint8_t rec[ENL_PURGEBYTES + 1], key[32], k2[32], lock[32];
    uint32_t exp;
    (void)state;
    memset(key, 0x11, sizeof key);
    enl_purge_encode(rec, EXPIRY, key);
    rec[ENL_PURGEBYTES] = 0;
    for (size_t k = 0; k <= ENL_PURGEBYTES + 1; k++) {
        if (k == ENL_PURGEBYTES) continue;
        assert_int_equal(enl_purge_parse(&exp, k2, lock, rec, k, NOW_H), ENL_EMALFORMED);
    }
    for (int v = 0; v < 256; v++) {
        if (v == ENL_PURGE_VERSION) continue;
        rec[0] = (uint8_t)v;
        assert_int_equal(enl_purge_parse(&exp, k2, lock, rec, ENL_PURGEBYTES, NOW_H), ENL_EVERSION);
    }
    enl_purge_encode(rec, NOW_H, key);
    assert_int_equal(enl_purge_parse(&exp, k2, lock, rec, ENL_PURGEBYTES, NOW_H), ENL_EEXPIRED);
    enl_purge_encode(rec, 0, key);
    assert_int_equal(enl_purge_parse(&exp, k2, lock, rec, ENL_PURGEBYTES, NOW_H), ENL_EEXPIRED);
    enl_purge_encode(rec, NOW_H + 1, key);
    assert_int_equal(enl_purge_parse(&exp, k2, lock, rec, ENL_PURGEBYTES, NOW_H), ENL_OK);
    enl_purge_encode(rec, NOW_H + ENL_EXPIRY_MAX_HOURS + 24, key);
    assert_int_equal(enl_purge_parse(&exp, k2, lock, rec, ENL_PURGEBYTES, NOW_H), ENL_OK);
    enl_purge_encode(rec, NOW_H + ENL_EXPIRY_MAX_HOURS + 25, key);
    assert_int_equal(enl_purge_parse(&exp, k2, lock, rec, ENL_PURGEBYTES, NOW_H), ENL_EFUTURE);
    enl_purge_encode(rec, UINT32_MAX, key);
    assert_int_equal(enl_purge_parse(&exp, k2, lock, rec, ENL_PURGEBYTES, NOW_H), ENL_EFUTURE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_padme_known_values),
        cmocka_unit_test(test_padme_properties),
        cmocka_unit_test(test_note_sizes),
        cmocka_unit_test(test_seal_open_round_trip),
        cmocka_unit_test(test_seal_refuses_bad_lengths),
        cmocka_unit_test(test_open_refuses_bad_lengths),
        cmocka_unit_test(test_clear_header_layout),
        cmocka_unit_test(test_note_id),
        cmocka_unit_test(test_ephemeral_top_bit_is_random),
        cmocka_unit_test(test_fixed_ephemeral_is_deterministic),
        cmocka_unit_test(test_two_seals_differ),
        cmocka_unit_test(test_every_byte_flipped_is_refused),
        cmocka_unit_test(test_every_bit_flipped_is_refused),
        cmocka_unit_test(test_ephemeral_top_bit_is_bound),
        cmocka_unit_test(test_truncated_and_extended),
        cmocka_unit_test(test_header_checks),
        cmocka_unit_test(test_payload_lock),
        cmocka_unit_test(test_payload_round_trip),
        cmocka_unit_test(test_payload_refuses),
        cmocka_unit_test(test_purge_round_trip),
        cmocka_unit_test(test_purge_refuses),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
