/*
 * Unit tests for src/crypto/identity: identities, cards, names,
 * fingerprints and safety numbers.
 *
 * A card is what people copy by hand or scan at a meeting, so the tests
 * break it every way a person or an adversary could: every single bit
 * flipped (a copying mistake: the checksum must catch it), every bit flipped
 * with the checksum recomputed (tampering: the signature must catch it),
 * truncated, extended, wrong prefix, expired, dated in the future. Cards
 * that the library would never make are built by hand (signed with the
 * identity's key, as docs/PROTOCOL.md section 2 lays them out) to reach the
 * field checks behind the signature.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "crypto/identity.h"
#include "enlace.h"
#include "util/base32.h"

#define NOW 1790000000ull  /* 2026-09-21 */
#define PREFIX_LEN (sizeof ENL_CARD_PREFIX - 1)

static enl_identity ana, bea;

static int setup(void **state)
{
    uint8_t seed[32];
    (void)state;
    memset(seed, 0xa1, sizeof seed);
    if (enl_identity_from_seed(&ana, seed, NOW) != ENL_OK) return -1;
    memset(seed, 0xb2, sizeof seed);
    if (enl_identity_from_seed(&bea, seed, NOW) != ENL_OK) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    enl_identity_wipe(&ana);
    enl_identity_wipe(&bea);
    return 0;
}

/* ---- helpers: the card's bytes ------------------------------------------ */

/* Decodes a card text (with its prefix) to its raw bytes. */
static size_t card_bytes(uint8_t *out, const char *text)
{
    size_t n = 0;
    assert_memory_equal(text, ENL_CARD_PREFIX, PREFIX_LEN);
    assert_int_equal(enl_base32_decode(out, ENL_CARD_MAXBYTES + 64, &n, text + PREFIX_LEN,
                                       strlen(text) - PREFIX_LEN), ENL_OK);
    return n;
}

static void card_text(char *text, size_t max, const uint8_t *b, size_t n)
{
    assert_true(max > PREFIX_LEN);
    memcpy(text, ENL_CARD_PREFIX, PREFIX_LEN);
    assert_int_equal(enl_base32_encode(text + PREFIX_LEN, max - PREFIX_LEN, b, n), ENL_OK);
}

/* checksum = first 4 bytes of BLAKE2b-256(body || signature). */
static void fix_checksum(uint8_t *b, size_t n)
{
    uint8_t h[32];
    crypto_generichash(h, sizeof h, b, n - ENL_CARD_CHECKBYTES, NULL, 0);
    memcpy(b + n - ENL_CARD_CHECKBYTES, h, ENL_CARD_CHECKBYTES);
}

/* Builds a card by hand: fixed fields, then the given extension bytes, a
 * signature by `id` over "enlace card v1\0" || body, and the checksum. */
static size_t build_card(uint8_t *b, const enl_identity *id, uint8_t version, uint64_t created,
                         uint64_t expires, const uint8_t *ext, size_t ext_len, size_t ext_len_field)
{
    static const char ctx[] = "enlace card v1";
    uint8_t msg[sizeof ctx + ENL_CARD_MAXBYTES];
    size_t o = 0;
    b[o++] = version;
    memcpy(b + o, id->sign_pk, 32); o += 32;
    memcpy(b + o, id->dh_pk, 32); o += 32;
    for (int i = 3; i >= 0; i--) b[o++] = (uint8_t)(id->prekey_id >> (8 * i));
    memcpy(b + o, id->prekey_pk, 32); o += 32;
    for (int i = 7; i >= 0; i--) b[o++] = (uint8_t)(created >> (8 * i));
    for (int i = 7; i >= 0; i--) b[o++] = (uint8_t)(expires >> (8 * i));
    b[o++] = (uint8_t)(ext_len_field >> 8);
    b[o++] = (uint8_t)ext_len_field;
    assert_int_equal(o, ENL_CARD_FIXEDBYTES);
    memcpy(b + o, ext, ext_len); o += ext_len;
    memcpy(msg, ctx, sizeof ctx);
    memcpy(msg + sizeof ctx, b, o);
    assert_int_equal(crypto_sign_detached(b + o, NULL, msg, sizeof ctx + o, id->sign_sk), 0);
    o += ENL_CARD_SIGBYTES + ENL_CARD_CHECKBYTES;
    fix_checksum(b, o);
    return o;
}

static int parse_bytes(enl_card *c, const uint8_t *b, size_t n, uint64_t now)
{
    char text[2 * ENL_CARD_TEXTMAX];
    card_text(text, sizeof text, b, n);
    return enl_card_parse(c, text, strlen(text), now);
}

static size_t ext(uint8_t *out, uint8_t type, const char *value, size_t len)
{
    out[0] = type;
    out[1] = (uint8_t)len;
    memcpy(out + 2, value, len);
    return 2 + len;
}

/* ---- identities ----------------------------------------------------------- */

static void test_identity_generate_and_round_trip(void **state)
{
    enl_identity a, b, c;
    uint8_t ser[ENL_IDENTITY_BYTES], ser2[ENL_IDENTITY_BYTES], pk[32];
    (void)state;

    assert_int_equal(enl_identity_generate(&a, NOW), ENL_OK);
    assert_int_equal(enl_identity_generate(&b, NOW), ENL_OK);
    assert_memory_not_equal(a.sign_pk, b.sign_pk, 32);
    assert_memory_not_equal(a.dh_sk, b.dh_sk, 32);
    assert_memory_not_equal(a.prekey_sk, b.prekey_sk, 32);
    /* The public halves belong to the secret halves. */
    assert_memory_equal(a.sign_sk + 32, a.sign_pk, 32);
    assert_int_equal(crypto_scalarmult_base(pk, a.dh_sk), 0);
    assert_memory_equal(pk, a.dh_pk, 32);
    assert_int_equal(crypto_scalarmult_base(pk, a.prekey_sk), 0);
    assert_memory_equal(pk, a.prekey_pk, 32);
    assert_memory_not_equal(a.dh_sk, a.prekey_sk, 32);

    enl_identity_serialize(ser, &a);
    memset(&c, 0x5a, sizeof c);
    assert_int_equal(enl_identity_parse(&c, ser, sizeof ser), ENL_OK);
    assert_memory_equal(c.sign_pk, a.sign_pk, 32);
    assert_memory_equal(c.sign_sk, a.sign_sk, 64);
    assert_memory_equal(c.dh_pk, a.dh_pk, 32);
    assert_memory_equal(c.dh_sk, a.dh_sk, 32);
    assert_int_equal(c.prekey_id, a.prekey_id);
    assert_memory_equal(c.prekey_pk, a.prekey_pk, 32);
    assert_memory_equal(c.prekey_sk, a.prekey_sk, 32);
    enl_identity_serialize(ser2, &c);
    assert_memory_equal(ser, ser2, sizeof ser);

    assert_int_equal(enl_identity_parse(&c, ser, sizeof ser - 1), ENL_EMALFORMED);
    assert_int_equal(enl_identity_parse(&c, ser, 0), ENL_EMALFORMED);
    {
        uint8_t longer[ENL_IDENTITY_BYTES + 1];
        memcpy(longer, ser, sizeof ser);
        longer[sizeof ser] = 0;
        assert_int_equal(enl_identity_parse(&c, longer, sizeof longer), ENL_EMALFORMED);
    }
    enl_identity_wipe(&a);
    {
        static const uint8_t zero[sizeof a] = { 0 };
        assert_memory_equal(&a, zero, sizeof a);
    }
    enl_identity_wipe(&b);
    enl_identity_wipe(&c);
}

static void test_identity_from_seed_is_deterministic(void **state)
{
    enl_identity a, b;
    uint8_t seed[32], sa[ENL_IDENTITY_BYTES], sb[ENL_IDENTITY_BYTES];
    (void)state;
    memset(seed, 0xa1, sizeof seed);
    assert_int_equal(enl_identity_from_seed(&a, seed, NOW), ENL_OK);
    assert_int_equal(enl_identity_from_seed(&b, seed, NOW), ENL_OK);
    enl_identity_serialize(sa, &a);
    enl_identity_serialize(sb, &b);
    assert_memory_equal(sa, sb, sizeof sa);
    assert_memory_equal(a.sign_pk, ana.sign_pk, 32);
    seed[0] ^= 1;
    assert_int_equal(enl_identity_from_seed(&b, seed, NOW), ENL_OK);
    assert_memory_not_equal(a.sign_pk, b.sign_pk, 32);
    assert_memory_not_equal(a.dh_pk, b.dh_pk, 32);
    enl_identity_wipe(&a);
    enl_identity_wipe(&b);
}

/* ---- cards: round trips ----------------------------------------------------- */

static void check_card_fields(const enl_card *c, const enl_identity *id, const char *name,
                              const char *address)
{
    assert_memory_equal(c->sign_pk, id->sign_pk, 32);
    assert_memory_equal(c->dh_pk, id->dh_pk, 32);
    assert_memory_equal(c->prekey_pk, id->prekey_pk, 32);
    assert_int_equal(c->prekey_id, id->prekey_id);
    assert_true(c->created == NOW);
    assert_true(c->expires == NOW + ENL_CARD_LIFETIME);
    assert_string_equal(c->name, name);
    assert_string_equal(c->address, address);
}

static void test_card_round_trip(void **state)
{
    static const char *const names[] = { "ana", "Ñandú", "María José", "李小龍", "🌻 kitchen",
                                         "a", "x-y_z.w!?" };
    char text[ENL_CARD_TEXTMAX];
    enl_card c;
    (void)state;

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        assert_int_equal(enl_card_make(text, sizeof text, &ana, names[i], NULL, NOW), ENL_OK);
        assert_memory_equal(text, "enlace1", 7);
        assert_null(strpbrk(text, " \n\tABCDEFGHIJKLMNOPQRSTUVWXYZ"));
        assert_int_equal(enl_card_parse(&c, text, strlen(text), NOW), ENL_OK);
        check_card_fields(&c, &ana, names[i], "");
        assert_int_equal(enl_card_parse(&c, text, strlen(text), 0), ENL_OK);
        check_card_fields(&c, &ana, names[i], "");
    }

    assert_int_equal(enl_card_make(text, sizeof text, &bea, "bea", "192.0.2.7:7450", NOW), ENL_OK);
    assert_int_equal(enl_card_parse(&c, text, strlen(text), NOW), ENL_OK);
    check_card_fields(&c, &bea, "bea", "192.0.2.7:7450");

    /* An empty address is no address. */
    assert_int_equal(enl_card_make(text, sizeof text, &bea, "bea", "", NOW), ENL_OK);
    assert_int_equal(enl_card_parse(&c, text, strlen(text), NOW), ENL_OK);
    check_card_fields(&c, &bea, "bea", "");
}

static void test_card_largest(void **state)
{
    /* A 64-byte name and a 127-byte address: the largest card make allows. */
    char name[ENL_NAME_MAX + 1], addr[ENL_ADDRESS_MAX + 1], text[ENL_CARD_TEXTMAX];
    enl_card c;
    size_t need;
    (void)state;
    memset(name, 'n', ENL_NAME_MAX);
    name[ENL_NAME_MAX] = '\0';
    memset(addr, 'a', ENL_ADDRESS_MAX);
    addr[ENL_ADDRESS_MAX] = '\0';
    assert_int_equal(enl_card_make(text, sizeof text, &ana, name, addr, NOW), ENL_OK);
    assert_int_equal(enl_card_parse(&c, text, strlen(text), NOW), ENL_OK);
    check_card_fields(&c, &ana, name, addr);

    /* The text buffer: exactly enough works, one byte less does not. */
    need = strlen(text) + 1;
    {
        char exact[ENL_CARD_TEXTMAX];
        assert_int_equal(enl_card_make(exact, need, &ana, name, addr, NOW), ENL_OK);
        assert_string_equal(exact, text);
        assert_int_equal(enl_card_make(exact, need - 1, &ana, name, addr, NOW), ENL_EBUFSIZE);
        assert_int_equal(enl_card_make(exact, 3, &ana, name, addr, NOW), ENL_EBUFSIZE);
    }
}

static void test_card_make_refuses(void **state)
{
    char text[ENL_CARD_TEXTMAX], addr[ENL_ADDRESS_MAX + 2];
    (void)state;
    assert_int_equal(enl_card_make(text, sizeof text, &ana, NULL, NULL, NOW), ENL_EINVAL);
    assert_int_equal(enl_card_make(text, sizeof text, &ana, "", NULL, NOW), ENL_EINVAL);
    assert_int_equal(enl_card_make(text, sizeof text, &ana, "-rf", NULL, NOW), ENL_EINVAL);
    assert_int_equal(enl_card_make(text, sizeof text, &ana, "a@b", NULL, NOW), ENL_EINVAL);
    assert_int_equal(enl_card_make(text, sizeof text, &ana, "ana", "has space", NOW), ENL_EINVAL);
    assert_int_equal(enl_card_make(text, sizeof text, &ana, "ana", "quo\"te", NOW), ENL_EINVAL);
    assert_int_equal(enl_card_make(text, sizeof text, &ana, "ana", "caf\xc3\xa9", NOW), ENL_EINVAL);
    memset(addr, 'a', ENL_ADDRESS_MAX + 1);
    addr[ENL_ADDRESS_MAX + 1] = '\0';
    assert_int_equal(enl_card_make(text, sizeof text, &ana, "ana", addr, NOW), ENL_EINVAL);
}

static void test_card_surrounding_space_and_case(void **state)
{
    char text[ENL_CARD_TEXTMAX], padded[ENL_CARD_TEXTMAX + 16], upper[ENL_CARD_TEXTMAX];
    enl_card c;
    (void)state;
    assert_int_equal(enl_card_make(text, sizeof text, &ana, "ana", NULL, NOW), ENL_OK);
    snprintf(padded, sizeof padded, " \t\r\n%s\r\n \t", text);
    assert_int_equal(enl_card_parse(&c, padded, strlen(padded), NOW), ENL_OK);
    check_card_fields(&c, &ana, "ana", "");
    /* Copied by hand in capitals. */
    for (size_t i = 0; text[i]; i++)
        upper[i] = (char)(text[i] >= 'a' && text[i] <= 'z' ? text[i] - 'a' + 'A' : text[i]);
    upper[strlen(text)] = '\0';
    assert_int_equal(enl_card_parse(&c, upper, strlen(upper), NOW), ENL_OK);
    check_card_fields(&c, &ana, "ana", "");
    /* text_len is honoured: what follows it is not read. */
    strcat(text, "zzzz");
    assert_int_equal(enl_card_parse(&c, text, strlen(text) - 4, NOW), ENL_OK);
}

/* ---- cards: damage ------------------------------------------------------------ */

static void test_card_every_bit_flip_is_a_checksum_error(void **state)
{
    char text[ENL_CARD_TEXTMAX], bad[2 * ENL_CARD_TEXTMAX];
    uint8_t b[ENL_CARD_MAXBYTES + 64];
    enl_card c;
    size_t n;
    (void)state;
    assert_int_equal(enl_card_make(text, sizeof text, &ana, "ana", "192.0.2.7:7450", NOW), ENL_OK);
    n = card_bytes(b, text);
    for (size_t bit = 0; bit < 8 * n; bit++) {
        int rc;
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        card_text(bad, sizeof bad, b, n);
        rc = enl_card_parse(&c, bad, strlen(bad), NOW);
        if (rc != ENL_ECHECKSUM)
            fail_msg("bit %zu of %zu flipped: %d (%s), want ENL_ECHECKSUM", bit, 8 * n, rc,
                     enl_strerror(rc));
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
}

static void test_card_every_bit_flip_with_checksum_is_refused(void **state)
{
    /* Tampering: the checksum is recomputed, so the signature (or, for the
     * version and the extension framing, the field checks) must refuse. */
    char text[ENL_CARD_TEXTMAX];
    uint8_t b[ENL_CARD_MAXBYTES + 64];
    enl_card c;
    size_t n, body, ext_at = ENL_CARD_FIXEDBYTES - 2;
    size_t sig = 0, other = 0;
    (void)state;
    assert_int_equal(enl_card_make(text, sizeof text, &ana, "ana", "192.0.2.7:7450", NOW), ENL_OK);
    n = card_bytes(b, text);
    body = n - ENL_CARD_SIGBYTES - ENL_CARD_CHECKBYTES;
    for (size_t bit = 0; bit < 8 * (n - ENL_CARD_CHECKBYTES); bit++) {
        size_t at = bit / 8;
        int rc;
        b[at] ^= (uint8_t)(1u << (bit % 8));
        fix_checksum(b, n);
        rc = parse_bytes(&c, b, n, NOW);
        if (at == 0) {
            assert_int_equal(rc, ENL_EVERSION);
        } else if (at < ext_at || at >= body) {
            /* keys, prekey id, dates, signature */
            if (rc != ENL_ESIG)
                fail_msg("byte %zu bit %zu: %d (%s), want ENL_ESIG", at, bit % 8, rc,
                         enl_strerror(rc));
            sig++;
        } else if (at < ext_at + 2) {
            assert_int_equal(rc, ENL_EMALFORMED);  /* ext_len no longer fits */
        } else {
            /* extension bytes: a broken field or a bad signature */
            if (rc != ENL_ESIG && rc != ENL_EMALFORMED)
                fail_msg("extension byte %zu bit %zu: %d (%s)", at, bit % 8, rc, enl_strerror(rc));
            other++;
        }
        b[at] ^= (uint8_t)(1u << (bit % 8));
    }
    fix_checksum(b, n);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_OK);
    assert_true(sig > 8 * 64);
    assert_true(other > 0);
}

static void test_card_signed_by_someone_else(void **state)
{
    /* bea signs a card that carries ana's keys: the checksum is right, the
     * signature is not ana's. */
    uint8_t b[ENL_CARD_MAXBYTES + 64], e[64], sig_by_bea[64];
    enl_card c;
    size_t el = ext(e, ENL_CARD_EXT_NAME, "ana", 3), n;
    (void)state;
    n = build_card(b, &bea, 1, NOW, NOW + 1000, e, el, el);
    memcpy(sig_by_bea, b + n - 68, 64);
    n = build_card(b, &ana, 1, NOW, NOW + 1000, e, el, el);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_OK);
    memcpy(b + n - 68, sig_by_bea, 64);
    fix_checksum(b, n);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_ESIG);
}

static void test_card_truncated_and_extended(void **state)
{
    char text[ENL_CARD_TEXTMAX], bad[2 * ENL_CARD_TEXTMAX];
    uint8_t b[ENL_CARD_MAXBYTES + 64];
    enl_card c;
    size_t n, tl;
    (void)state;
    assert_int_equal(enl_card_make(text, sizeof text, &ana, "ana", NULL, NOW), ENL_OK);
    tl = strlen(text);

    /* Every shorter text. */
    for (size_t k = 0; k < tl; k++)
        if (enl_card_parse(&c, text, k, NOW) == ENL_OK) fail_msg("truncated to %zu chars: accepted", k);

    /* Every shorter byte string, with and without a recomputed checksum. */
    n = card_bytes(b, text);
    for (size_t k = 0; k < n; k++) {
        uint8_t t[ENL_CARD_MAXBYTES + 64];
        memcpy(t, b, k);
        assert_int_not_equal(parse_bytes(&c, t, k, NOW), ENL_OK);
        if (k >= ENL_CARD_CHECKBYTES) {
            fix_checksum(t, k);
            assert_int_not_equal(parse_bytes(&c, t, k, NOW), ENL_OK);
        }
    }

    /* Longer: bytes appended, with and without a fixed checksum. */
    for (size_t extra = 1; extra <= 8; extra++) {
        uint8_t t[ENL_CARD_MAXBYTES + 64];
        memcpy(t, b, n);
        memset(t + n, 0, extra);
        assert_int_equal(parse_bytes(&c, t, n + extra, NOW), ENL_ECHECKSUM);
        fix_checksum(t, n + extra);
        assert_int_not_equal(parse_bytes(&c, t, n + extra, NOW), ENL_OK);
    }
    /* Longer: characters appended to the text. */
    {
        static const char *const tails[] = { "0", "00", "000", "q", "aaaa", "00000000", "x" };
        for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
            snprintf(bad, sizeof bad, "%s%s", text, tails[i]);
            assert_int_not_equal(enl_card_parse(&c, bad, strlen(bad), NOW), ENL_OK);
        }
        snprintf(bad, sizeof bad, "%s %s", text, text);  /* pasted twice */
        assert_int_not_equal(enl_card_parse(&c, bad, strlen(bad), NOW), ENL_OK);
    }

    /* Larger than any card can be. */
    {
        static char huge[4 * ENL_CARD_TEXTMAX];
        memset(huge, 'a', sizeof huge - 1);
        memcpy(huge, ENL_CARD_PREFIX, PREFIX_LEN);
        assert_int_equal(enl_card_parse(&c, huge, sizeof huge - 1, NOW), ENL_EMALFORMED);
    }
}

static void bad_line(enl_card *c, const char *line)
{
    assert_int_equal(enl_card_parse(c, line, strlen(line), NOW), ENL_EMALFORMED);
}

static void test_card_prefix(void **state)
{
    char text[ENL_CARD_TEXTMAX], bad[ENL_CARD_TEXTMAX];
    enl_card c;
    (void)state;
    assert_int_equal(enl_card_make(text, sizeof text, &ana, "ana", NULL, NOW), ENL_OK);

    memcpy(bad, text, sizeof bad);
    bad[0] = 'x';
    assert_int_equal(enl_card_parse(&c, bad, strlen(bad), NOW), ENL_EMALFORMED);
    memcpy(bad, text, sizeof bad);
    bad[6] = '2';
    assert_int_equal(enl_card_parse(&c, bad, strlen(bad), NOW), ENL_EVERSION);
    bad[6] = '9';
    assert_int_equal(enl_card_parse(&c, bad, strlen(bad), NOW), ENL_EVERSION);
    /* Without its prefix. */
    assert_int_equal(enl_card_parse(&c, text + PREFIX_LEN, strlen(text) - PREFIX_LEN, NOW),
                     ENL_EMALFORMED);
    assert_int_equal(enl_card_parse(&c, "", 0, NOW), ENL_EMALFORMED);
    assert_int_equal(enl_card_parse(&c, "   ", 3, NOW), ENL_EMALFORMED);
    assert_int_equal(enl_card_parse(&c, "enlace1", 7, NOW), ENL_ECHECKSUM);   /* cut short */
    assert_int_equal(enl_card_parse(&c, "enl", 3, NOW), ENL_EMALFORMED);
    assert_int_equal(enl_card_parse(&c, "enlace", 6, NOW), ENL_EMALFORMED);
    assert_int_equal(enl_card_parse(&c, "enlace2abcdef", 13, NOW), ENL_EVERSION);
    /* a line of enlace's own output, pasted for a card: not a version */
    bad_line(&c, "enlace: contact add: card refused: malformed input");
    /* One character dropped, or one added, anywhere after the prefix: a
     * copying mistake (it was "malformed input", which says nothing of
     * what to do). */
    for (size_t k = PREFIX_LEN; k < strlen(text); k++) {
        size_t len = strlen(text);
        memcpy(bad, text, k);
        memcpy(bad + k, text + k + 1, len - k);          /* dropped, NUL too */
        assert_int_equal(enl_card_parse(&c, bad, strlen(bad), NOW), ENL_ECHECKSUM);
        memcpy(bad, text, k);
        bad[k] = 'a';
        memcpy(bad + k + 1, text + k, len - k + 1);      /* added */
        assert_int_equal(enl_card_parse(&c, bad, strlen(bad), NOW), ENL_ECHECKSUM);
    }
    /* A bad character in the base32. */
    memcpy(bad, text, sizeof bad);
    bad[20] = 'u';
    assert_int_equal(enl_card_parse(&c, bad, strlen(bad), NOW), ENL_ECHECKSUM);
    /* One character miscopied: the checksum catches it. */
    memcpy(bad, text, sizeof bad);
    bad[20] = bad[20] == '1' ? '2' : '1';
    assert_int_equal(enl_card_parse(&c, bad, strlen(bad), NOW), ENL_ECHECKSUM);
}

static void test_card_dates(void **state)
{
    char text[ENL_CARD_TEXTMAX];
    enl_card c;
    uint64_t exp = NOW + ENL_CARD_LIFETIME;
    (void)state;
    assert_int_equal(enl_card_make(text, sizeof text, &ana, "ana", NULL, NOW), ENL_OK);
    assert_int_equal(enl_card_parse(&c, text, strlen(text), NOW), ENL_OK);
    assert_int_equal(enl_card_parse(&c, text, strlen(text), exp - 1), ENL_OK);
    assert_int_equal(enl_card_parse(&c, text, strlen(text), exp), ENL_EEXPIRED);
    assert_int_equal(enl_card_parse(&c, text, strlen(text), exp + 1), ENL_EEXPIRED);
    assert_int_equal(enl_card_parse(&c, text, strlen(text), exp + 10ull * 365 * 86400), ENL_EEXPIRED);
    /* The reader's clock may be up to ENL_CLOCK_SKEW behind the maker's. */
    assert_int_equal(enl_card_parse(&c, text, strlen(text), NOW - ENL_CLOCK_SKEW), ENL_OK);
    assert_int_equal(enl_card_parse(&c, text, strlen(text), NOW - ENL_CLOCK_SKEW - 1), ENL_EFUTURE);
    assert_int_equal(enl_card_parse(&c, text, strlen(text), 1), ENL_EFUTURE);
    /* now == 0: no date check, the stored card of a contact. */
    assert_int_equal(enl_card_parse(&c, text, strlen(text), 0), ENL_OK);
    check_card_fields(&c, &ana, "ana", "");
    /* A card made far in the future, or long expired, is fine with now == 0. */
    assert_int_equal(enl_card_make(text, sizeof text, &ana, "ana", NULL, 4000000000ull), ENL_OK);
    assert_int_equal(enl_card_parse(&c, text, strlen(text), NOW), ENL_EFUTURE);
    assert_int_equal(enl_card_parse(&c, text, strlen(text), 0), ENL_OK);
    assert_int_equal(enl_card_make(text, sizeof text, &ana, "ana", NULL, 1000000000ull), ENL_OK);
    assert_int_equal(enl_card_parse(&c, text, strlen(text), NOW), ENL_EEXPIRED);
    assert_int_equal(enl_card_parse(&c, text, strlen(text), 0), ENL_OK);
}

/* ---- cards built by hand: the checks behind the signature ------------------------ */

static void test_card_handmade_fields(void **state)
{
    uint8_t b[ENL_CARD_MAXBYTES + 64], e[ENL_CARD_EXTMAX + 16];
    enl_card c;
    size_t el, n;
    (void)state;

    /* What make would make: accepted. */
    el = ext(e, ENL_CARD_EXT_NAME, "ana", 3);
    n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_OK);
    assert_string_equal(c.name, "ana");

    /* Version 2 with a good checksum and signature. */
    n = build_card(b, &ana, 2, NOW, NOW + 100, e, el, el);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_EVERSION);
    n = build_card(b, &ana, 0, NOW, NOW + 100, e, el, el);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_EVERSION);

    /* Expiry not after creation. */
    n = build_card(b, &ana, 1, NOW, NOW, e, el, el);
    assert_int_equal(parse_bytes(&c, b, n, 0), ENL_EMALFORMED);
    n = build_card(b, &ana, 1, NOW, NOW - 1, e, el, el);
    assert_int_equal(parse_bytes(&c, b, n, 0), ENL_EMALFORMED);

    /* No name at all, or no extensions. */
    n = build_card(b, &ana, 1, NOW, NOW + 100, e, 0, 0);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_EMALFORMED);
    el = ext(e, ENL_CARD_EXT_ADDRESS, "host:1", 6);
    n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_EMALFORMED);

    /* Two names; two addresses. */
    el = ext(e, ENL_CARD_EXT_NAME, "ana", 3);
    el += ext(e + el, ENL_CARD_EXT_NAME, "bea", 3);
    n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_EMALFORMED);
    el = ext(e, ENL_CARD_EXT_NAME, "ana", 3);
    el += ext(e + el, ENL_CARD_EXT_ADDRESS, "h:1", 3);
    el += ext(e + el, ENL_CARD_EXT_ADDRESS, "h:2", 3);
    n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_EMALFORMED);

    /* Names the reader must refuse even when they are signed. */
    {
        static const char *const bad[] = { "a\0b", "-x", "a@b", "a/b", "a:b", "a\nb", "\xff",
                                           "\xc0\xaf", "\xed\xa0\x80" };
        static const size_t len[] = { 3, 2, 3, 3, 3, 3, 1, 2, 3 };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            el = ext(e, ENL_CARD_EXT_NAME, bad[i], len[i]);
            n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
            if (parse_bytes(&c, b, n, NOW) != ENL_EMALFORMED) fail_msg("bad name %zu accepted", i);
        }
        el = ext(e, ENL_CARD_EXT_NAME, "", 0);
        n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
        assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_EMALFORMED);
    }
    {
        char name[ENL_NAME_MAX + 2];
        memset(name, 'n', sizeof name);
        el = ext(e, ENL_CARD_EXT_NAME, name, ENL_NAME_MAX + 1);
        n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
        assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_EMALFORMED);
        el = ext(e, ENL_CARD_EXT_NAME, name, ENL_NAME_MAX);
        n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
        assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_OK);
        assert_int_equal(strlen(c.name), ENL_NAME_MAX);
    }

    /* Bad addresses. */
    {
        static const char *const bad[] = { "a b", "a\"b", "a\\b", "caf\xc3\xa9", "a\tb", "a\x7f" };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            el = ext(e, ENL_CARD_EXT_NAME, "ana", 3);
            el += ext(e + el, ENL_CARD_EXT_ADDRESS, bad[i], strlen(bad[i]));
            n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
            if (parse_bytes(&c, b, n, NOW) != ENL_EMALFORMED) fail_msg("bad address %zu accepted", i);
        }
        el = ext(e, ENL_CARD_EXT_NAME, "ana", 3);
        el += ext(e + el, ENL_CARD_EXT_ADDRESS, "", 0);
        n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
        assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_EMALFORMED);
    }
    {
        char addr[ENL_ADDRESS_MAX + 1];
        memset(addr, 'a', sizeof addr);
        el = ext(e, ENL_CARD_EXT_NAME, "ana", 3);
        el += ext(e + el, ENL_CARD_EXT_ADDRESS, addr, ENL_ADDRESS_MAX + 1);
        n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
        assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_EMALFORMED);
    }

    /* Unknown extensions are skipped; order does not matter. */
    el = ext(e, 9, "whatever\0\xff", 10);
    el += ext(e + el, ENL_CARD_EXT_ADDRESS, "h:1", 3);
    el += ext(e + el, 200, "", 0);
    el += ext(e + el, ENL_CARD_EXT_NAME, "ana", 3);
    n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_OK);
    assert_string_equal(c.name, "ana");
    assert_string_equal(c.address, "h:1");

    /* Extensions that fill ENL_CARD_EXTMAX exactly, and one byte more. */
    {
        static const char filler[255] = { 0 };
        el = ext(e, ENL_CARD_EXT_NAME, "ana", 3);                   /* 5 */
        el += ext(e + el, 7, filler, 255);                          /* 262 */
        el += ext(e + el, 7, filler, ENL_CARD_EXTMAX - el - 2);     /* 512 */
        assert_int_equal(el, ENL_CARD_EXTMAX);
        n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
        assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_OK);
        el = ext(e, ENL_CARD_EXT_NAME, "ana", 3);
        el += ext(e + el, 7, filler, 255);
        el += ext(e + el, 7, filler, ENL_CARD_EXTMAX - el - 1);     /* 513 */
        n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
        assert_int_not_equal(parse_bytes(&c, b, n, NOW), ENL_OK);
    }

    /* ext_len that disagrees with what follows. */
    el = ext(e, ENL_CARD_EXT_NAME, "ana", 3);
    n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el + 1);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_EMALFORMED);
    n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el - 1);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_EMALFORMED);
    n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, 0xffff);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_EMALFORMED);
    /* An extension whose length runs past the end. */
    e[1] = 4;
    n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_EMALFORMED);
    /* A lone type byte at the end. */
    el = ext(e, ENL_CARD_EXT_NAME, "ana", 3);
    e[el++] = 9;
    n = build_card(b, &ana, 1, NOW, NOW + 100, e, el, el);
    assert_int_equal(parse_bytes(&c, b, n, NOW), ENL_EMALFORMED);
}

/* ---- names -------------------------------------------------------------------- */

static void test_name_valid(void **state)
{
    static const char *const good[] = {
        "ana", "Ñandú", "María José", "a", "a-b", "a.b", "O'Brien", "日本語", "🌻",
        "\xf4\x8f\xbf\xbf" /* U+10FFFF */, "\xef\xbf\xbd" /* U+FFFD */, "x y", "#1", "ana!",
    };
    static const char *const bad[] = {
        "", "-ana", "a@b", "a/b", "a:b", "@", "/", ":",
        "a\nb", "a\tb", "\x01", "a\x1f", "a\x7f",            /* control characters */
        " ana", "ana ",                                      /* outer spaces */
        "a\"b", "a\\b",
        "\xff", "\xfe", "a\x80", "\xc3", "\xc3\x28", "\xe2\x82", "\xf0\x9f\x8c",  /* broken UTF-8 */
        "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf",              /* overlong */
        "\xed\xa0\x80", "\xed\xbf\xbf",                                          /* surrogates */
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",                                  /* > U+10FFFF */
    };
    char n64[ENL_NAME_MAX + 2];
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!enl_name_valid(good[i])) fail_msg("good name %zu (\"%s\") refused", i, good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (enl_name_valid(bad[i])) fail_msg("bad name %zu accepted", i);

    memset(n64, 'n', sizeof n64);
    n64[ENL_NAME_MAX] = '\0';
    assert_true(enl_name_valid(n64));
    n64[ENL_NAME_MAX] = 'n';
    n64[ENL_NAME_MAX + 1] = '\0';
    assert_false(enl_name_valid(n64));  /* 65 bytes */
    /* 64 bytes of multi-byte characters: 32 x "ñ". */
    for (int i = 0; i < 32; i++) memcpy(n64 + 2 * i, "\xc3\xb1", 2);
    n64[64] = '\0';
    assert_true(enl_name_valid(n64));
    /* A multi-byte character cut at the 64-byte limit. */
    n64[63] = '\0';
    assert_false(enl_name_valid(n64));
}

static void test_name_refuses_c1_controls(void **state)
{
    /* U+0080..U+009F are control characters too (C1: NEL U+0085, CSI
     * U+009B, ...); a name must not carry them into a terminal. */
    (void)state;
    assert_false(enl_name_valid("a\xc2\x85" "b"));   /* U+0085 NEXT LINE */
    assert_false(enl_name_valid("a\xc2\x9b" "31m"));  /* U+009B CSI */
    assert_false(enl_name_valid("\xc2\x80"));         /* U+0080 */
    assert_true(enl_name_valid("\xc2\xa0x"));         /* U+00A0 is not a control */
}

/* ---- fingerprints and safety numbers ---------------------------------------------- */

static void test_fingerprint_text(void **state)
{
    uint8_t fp[32], fp2[32];
    char t[ENL_FINGERPRINT_STRBYTES], b32[64];
    (void)state;
    enl_fingerprint_raw(fp, ana.sign_pk, ana.dh_pk);
    enl_fingerprint_raw(fp2, ana.sign_pk, ana.dh_pk);
    assert_memory_equal(fp, fp2, 32);
    enl_fingerprint_raw(fp2, ana.dh_pk, ana.sign_pk);
    assert_memory_not_equal(fp, fp2, 32);
    enl_fingerprint_raw(fp2, bea.sign_pk, ana.dh_pk);
    assert_memory_not_equal(fp, fp2, 32);

    memset(t, 'X', sizeof t);
    enl_fingerprint_text(t, fp);
    assert_int_equal(strlen(t), 39);
    assert_int_equal(ENL_FINGERPRINT_STRBYTES, 40);
    for (size_t i = 0; i < 39; i++) {
        if (i % 5 == 4) assert_int_equal(t[i], ' ');
        else assert_non_null(strchr("0123456789abcdefghjkmnpqrstvwxyz", t[i]));
    }
    /* It is the base32 of the first 20 bytes, grouped. */
    assert_int_equal(enl_base32_encode(b32, sizeof b32, fp, 20), ENL_OK);
    for (size_t g = 0; g < 8; g++) assert_memory_equal(t + 5 * g, b32 + 4 * g, 4);
    /* And it is what the user can type back. */
    {
        uint8_t back[20];
        size_t n;
        assert_int_equal(enl_base32_decode(back, sizeof back, &n, t, strlen(t)), ENL_OK);
        assert_int_equal(n, 20);
        assert_memory_equal(back, fp, 20);
    }
}

static void check_safety_format(const char *s)
{
    assert_int_equal(strlen(s), 71);
    for (size_t i = 0; i < 71; i++) {
        if (i % 6 == 5) assert_int_equal(s[i], ' ');
        else assert_true(s[i] >= '0' && s[i] <= '9');
    }
}

static void test_safety_number(void **state)
{
    uint8_t fa[32], fb[32], fc[32];
    char ab[ENL_SAFETY_STRBYTES], ba[ENL_SAFETY_STRBYTES], ac[ENL_SAFETY_STRBYTES],
        aa[ENL_SAFETY_STRBYTES];
    (void)state;
    enl_fingerprint_raw(fa, ana.sign_pk, ana.dh_pk);
    enl_fingerprint_raw(fb, bea.sign_pk, bea.dh_pk);
    memcpy(fc, fb, 32);
    fc[31] ^= 1;
    enl_safety_number(ab, fa, fb);
    enl_safety_number(ba, fb, fa);
    enl_safety_number(ac, fa, fc);
    enl_safety_number(aa, fa, fa);
    check_safety_format(ab);
    check_safety_format(ac);
    check_safety_format(aa);
    assert_string_equal(ab, ba);
    assert_string_not_equal(ab, ac);
    assert_string_not_equal(ab, aa);
    /* Each of many pairs differs from the first. */
    for (int i = 0; i < 64; i++) {
        char x[ENL_SAFETY_STRBYTES];
        fc[i % 32] ^= (uint8_t)(1u << (i % 8));
        enl_safety_number(x, fa, fc);
        assert_string_not_equal(x, ab);
        fc[i % 32] ^= (uint8_t)(1u << (i % 8));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_generate_and_round_trip),
        cmocka_unit_test(test_identity_from_seed_is_deterministic),
        cmocka_unit_test(test_card_round_trip),
        cmocka_unit_test(test_card_largest),
        cmocka_unit_test(test_card_make_refuses),
        cmocka_unit_test(test_card_surrounding_space_and_case),
        cmocka_unit_test(test_card_every_bit_flip_is_a_checksum_error),
        cmocka_unit_test(test_card_every_bit_flip_with_checksum_is_refused),
        cmocka_unit_test(test_card_signed_by_someone_else),
        cmocka_unit_test(test_card_truncated_and_extended),
        cmocka_unit_test(test_card_prefix),
        cmocka_unit_test(test_card_dates),
        cmocka_unit_test(test_card_handmade_fields),
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_name_refuses_c1_controls),
        cmocka_unit_test(test_fingerprint_text),
        cmocka_unit_test(test_safety_number),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
