/* Revocations: round trips, every bit flip refused, text form checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "crypto/revocation.h"
#include "enlace.h"

static enl_identity id, other;

static void test_round_trip(void **state)
{
    uint8_t bin[ENL_REVOCATION_MAXBYTES], back[ENL_REVOCATION_MAXBYTES];
    char text[ENL_REVOCATION_TEXTMAX];
    enl_revocation r;
    size_t len = 0, blen = 0;
    (void)state;
    assert_int_equal(enl_revocation_make(bin, &len, &id, "taken at the checkpoint", 1790000000), ENL_OK);
    assert_int_equal(enl_revocation_parse(&r, bin, len), ENL_OK);
    assert_memory_equal(r.sign_pk, id.sign_pk, 32);
    assert_memory_equal(r.dh_pk, id.dh_pk, 32);
    assert_int_equal(r.created, 1790000000);
    assert_string_equal(r.reason, "taken at the checkpoint");
    assert_int_equal(enl_revocation_to_text(text, sizeof text, bin, len), ENL_OK);
    assert_int_equal(strncmp(text, ENL_REVOCATION_PREFIX, strlen(ENL_REVOCATION_PREFIX)), 0);
    assert_int_equal(enl_revocation_from_text(back, &blen, text, strlen(text)), ENL_OK);
    assert_int_equal(blen, len);
    assert_memory_equal(back, bin, len);
    /* an empty reason, and the longest */
    assert_int_equal(enl_revocation_make(bin, &len, &id, "", 1), ENL_OK);
    assert_int_equal(enl_revocation_parse(&r, bin, len), ENL_OK);
    {
        char longest[ENL_REVOCATION_REASONMAX + 2];
        memset(longest, 'x', sizeof longest);
        longest[ENL_REVOCATION_REASONMAX] = '\0';
        assert_int_equal(enl_revocation_make(bin, &len, &id, longest, 1), ENL_OK);
        longest[ENL_REVOCATION_REASONMAX] = 'x';
        longest[ENL_REVOCATION_REASONMAX + 1] = '\0';
        assert_int_equal(enl_revocation_make(bin, &len, &id, longest, 1), ENL_ETOOBIG);
    }
    assert_int_equal(enl_revocation_make(bin, &len, &id, "bad\x1b[2J", 1), ENL_EINVAL);
}

static void test_every_bit_flip_refused(void **state)
{
    uint8_t bin[ENL_REVOCATION_MAXBYTES];
    enl_revocation r;
    size_t len = 0;
    (void)state;
    assert_int_equal(enl_revocation_make(bin, &len, &id, "arrested", 7), ENL_OK);
    for (size_t bit = 0; bit < 8 * len; bit++) {
        bin[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_not_equal(enl_revocation_parse(&r, bin, len), ENL_OK);
        bin[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (size_t n = 0; n < len; n++) assert_int_not_equal(enl_revocation_parse(&r, bin, n), ENL_OK);
    assert_int_not_equal(enl_revocation_parse(&r, bin, len + 1), ENL_OK);
}

static void test_someone_else_cannot_revoke(void **state)
{
    /* The keys inside are the ones the signature is checked against: a
     * notice naming ana's keys but signed by another key is refused. */
    uint8_t bin[ENL_REVOCATION_MAXBYTES];
    enl_revocation r;
    size_t len = 0;
    (void)state;
    assert_int_equal(enl_revocation_make(bin, &len, &other, "forged", 7), ENL_OK);
    memcpy(bin + 1, id.sign_pk, 32);
    memcpy(bin + 33, id.dh_pk, 32);
    assert_int_equal(enl_revocation_parse(&r, bin, len), ENL_ESIG);
}

static void test_text_mistakes(void **state)
{
    uint8_t bin[ENL_REVOCATION_MAXBYTES], back[ENL_REVOCATION_MAXBYTES];
    char text[ENL_REVOCATION_TEXTMAX];
    size_t len = 0, blen = 0, p = strlen(ENL_REVOCATION_PREFIX);
    (void)state;
    assert_int_equal(enl_revocation_make(bin, &len, &id, "x", 7), ENL_OK);
    assert_int_equal(enl_revocation_to_text(text, sizeof text, bin, len), ENL_OK);
    text[p + 10] = text[p + 10] == 'a' ? 'b' : 'a';
    assert_int_equal(enl_revocation_from_text(back, &blen, text, strlen(text)), ENL_ECHECKSUM);
    assert_int_equal(enl_revocation_from_text(back, &blen, "enlace1abc", 10), ENL_EMALFORMED);
    assert_int_equal(enl_revocation_from_text(back, &blen, text, p + 3), ENL_EMALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_every_bit_flip_refused),
        cmocka_unit_test(test_someone_else_cannot_revoke),
        cmocka_unit_test(test_text_mistakes),
    };
    if (enl_init() != ENL_OK) return 1;
    if (enl_identity_generate(&id, 1) != ENL_OK || enl_identity_generate(&other, 1) != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
