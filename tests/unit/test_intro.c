/* Introductions, inquiries and answers (cell/introduction.h): round trips,
 * forged and transplanted signatures, truncation and every single bit flip
 * refused, oversized notes, subjects by keys and by fingerprint. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "cell/introduction.h"
#include "enlace.h"

static enl_identity ana, beto, carmen, mallory;
static char carmen_card[ENL_CARD_TEXTMAX];

static void make_intro(uint8_t *buf, size_t *len, const char *note)
{
    assert_int_equal(enl_intro_make(buf, len, beto.sign_pk, carmen_card, strlen(carmen_card), note, &ana),
                     ENL_OK);
}

static void test_intro_round_trip(void **state)
{
    uint8_t buf[ENL_INTRO_MAXBYTES];
    size_t len = 0;
    enl_intro in;
    (void)state;
    make_intro(buf, &len, "knows the kitchen");
    assert_int_equal(enl_intro_parse(&in, buf, len), ENL_OK);
    assert_memory_equal(in.introducer, ana.sign_pk, 32);
    assert_memory_equal(in.recipient, beto.sign_pk, 32);
    assert_memory_equal(in.parsed.sign_pk, carmen.sign_pk, 32);
    assert_memory_equal(in.parsed.dh_pk, carmen.dh_pk, 32);
    assert_string_equal(in.parsed.name, "carmen");
    assert_string_equal(in.note, "knows the kitchen");
    assert_int_equal(in.card_len, strlen(carmen_card));
    make_intro(buf, &len, NULL);
    assert_int_equal(enl_intro_parse(&in, buf, len), ENL_OK);
    assert_string_equal(in.note, "");
}

static void test_intro_tamper_truncate_forge(void **state)
{
    uint8_t buf[ENL_INTRO_MAXBYTES], forged[ENL_INTRO_MAXBYTES];
    size_t len = 0, flen = 0;
    enl_intro in;
    (void)state;
    make_intro(buf, &len, "knows the kitchen");
    for (size_t n = 0; n < len; n++) assert_int_not_equal(enl_intro_parse(&in, buf, n), ENL_OK);
    for (size_t i = 0; i < len; i++)
        for (int b = 0; b < 8; b++) {
            buf[i] ^= (uint8_t)(1u << b);
            assert_int_not_equal(enl_intro_parse(&in, buf, len), ENL_OK);
            buf[i] ^= (uint8_t)(1u << b);
        }
    assert_int_equal(enl_intro_parse(&in, buf, len), ENL_OK);
    /* mallory signs it, but claims ana as the introducer */
    assert_int_equal(enl_intro_make(forged, &flen, beto.sign_pk, carmen_card, strlen(carmen_card),
                                    "knows the kitchen", &mallory), ENL_OK);
    memcpy(forged + 1, ana.sign_pk, 32);
    assert_int_equal(enl_intro_parse(&in, forged, flen), ENL_ESIG);
    /* one more byte after the signature */
    assert_int_not_equal(enl_intro_parse(&in, buf, len + 1), ENL_OK);
}

static void test_intro_limits(void **state)
{
    uint8_t buf[ENL_INTRO_MAXBYTES];
    char note[ENL_INTRO_NOTE_MAX + 2];
    size_t len = 0;
    enl_intro in;
    (void)state;
    memset(note, 'n', sizeof note - 1);
    note[sizeof note - 1] = '\0';
    assert_int_equal(enl_intro_make(buf, &len, beto.sign_pk, carmen_card, strlen(carmen_card), note, &ana),
                     ENL_ETOOBIG);
    note[ENL_INTRO_NOTE_MAX] = '\0';
    make_intro(buf, &len, note);
    assert_int_equal(enl_intro_parse(&in, buf, len), ENL_OK);
    assert_int_equal(strlen(in.note), ENL_INTRO_NOTE_MAX);
    assert_int_not_equal(enl_intro_make(buf, &len, beto.sign_pk, "enlace1garbage", 14, NULL, &ana), ENL_OK);
    /* a version this build does not know */
    make_intro(buf, &len, NULL);
    buf[0] = 2;
    assert_int_equal(enl_intro_parse(&in, buf, len), ENL_EVERSION);
}

static void test_inquiry_round_trip_and_truncation(void **state)
{
    uint8_t buf[ENL_INQUIRY_MAXBYTES], fp[32];
    size_t len = 0;
    enl_inquiry q, back;
    (void)state;
    memset(&q, 0, sizeof q);
    randombytes_buf(q.id, sizeof q.id);
    enl_subject_keys(&q.subject, carmen.sign_pk, carmen.dh_pk);
    strcpy(q.note, "runs the print shop?");
    assert_int_equal(enl_inquiry_encode(buf, &len, &q), ENL_OK);
    assert_int_equal(len, 1 + 16 + 1 + 64 + 1 + strlen(q.note));
    assert_int_equal(enl_inquiry_parse(&back, buf, len), ENL_OK);
    assert_memory_equal(back.id, q.id, 16);
    assert_int_equal(back.subject.type, ENL_SUBJECT_KEYS);
    assert_true(enl_subject_matches(&back.subject, carmen.sign_pk, carmen.dh_pk));
    assert_false(enl_subject_matches(&back.subject, beto.sign_pk, beto.dh_pk));
    assert_string_equal(back.note, q.note);
    for (size_t n = 0; n < len; n++) assert_int_not_equal(enl_inquiry_parse(&back, buf, n), ENL_OK);
    assert_int_not_equal(enl_inquiry_parse(&back, buf, len + 1), ENL_OK);
    /* by fingerprint: the 20 bytes a text fingerprint shows */
    enl_fingerprint_raw(fp, carmen.sign_pk, carmen.dh_pk);
    enl_subject_fp(&q.subject, fp);
    assert_int_equal(enl_inquiry_encode(buf, &len, &q), ENL_OK);
    assert_int_equal(enl_inquiry_parse(&back, buf, len), ENL_OK);
    assert_int_equal(back.subject.type, ENL_SUBJECT_FP);
    assert_true(enl_subject_matches(&back.subject, carmen.sign_pk, carmen.dh_pk));
    assert_false(enl_subject_matches(&back.subject, ana.sign_pk, ana.dh_pk));
    /* an unknown subject type, and a NUL inside the note */
    buf[17] = 9;
    assert_int_equal(enl_inquiry_parse(&back, buf, len), ENL_EMALFORMED);
    buf[17] = ENL_SUBJECT_FP;
    buf[len - 1] = 0;
    assert_int_equal(enl_inquiry_parse(&back, buf, len), ENL_EMALFORMED);
}

static void make_answer(uint8_t *buf, size_t *len, enl_answer_msg *a, uint8_t verdict, const char *text)
{
    memset(a, 0, sizeof *a);
    memset(a->id, 0x5a, sizeof a->id);
    enl_subject_keys(&a->subject, carmen.sign_pk, carmen.dh_pk);
    a->verdict = verdict;
    strcpy(a->text, text);
    assert_int_equal(enl_answer_make(buf, len, a, &beto), ENL_OK);
}

static void test_answer_round_trip(void **state)
{
    uint8_t buf[ENL_ANSWER_MAXBYTES];
    size_t len = 0;
    enl_answer_msg a, back;
    (void)state;
    make_answer(buf, &len, &a, ENL_VERDICT_WARN, "her card came from a seized phone");
    assert_int_equal(enl_answer_parse(&back, buf, len), ENL_OK);
    assert_memory_equal(back.answerer, beto.sign_pk, 32);
    assert_memory_equal(back.id, a.id, 16);
    assert_true(enl_subject_equal(&back.subject, &a.subject));
    assert_int_equal(back.verdict, ENL_VERDICT_WARN);
    assert_string_equal(back.text, "her card came from a seized phone");
    a.verdict = 4;
    assert_int_equal(enl_answer_make(buf, &len, &a, &beto), ENL_EINVAL);
}

static void test_answer_forged_flipped_truncated(void **state)
{
    uint8_t buf[ENL_ANSWER_MAXBYTES];
    size_t len = 0;
    enl_answer_msg a, back;
    (void)state;
    make_answer(buf, &len, &a, ENL_VERDICT_UNKNOWN, "");
    for (size_t n = 0; n < len; n++) assert_int_not_equal(enl_answer_parse(&back, buf, n), ENL_OK);
    for (size_t i = 0; i < len; i++)
        for (int b = 0; b < 8; b++) {
            buf[i] ^= (uint8_t)(1u << b);
            assert_int_not_equal(enl_answer_parse(&back, buf, len), ENL_OK);
            buf[i] ^= (uint8_t)(1u << b);
        }
    assert_int_equal(enl_answer_parse(&back, buf, len), ENL_OK);
    /* mallory turns beto's "unknown" into a vouch: the signature breaks */
    buf[1 + 32 + 16 + 1 + 64] = ENL_VERDICT_VOUCH;
    assert_int_equal(enl_answer_parse(&back, buf, len), ENL_ESIG);
    /* mallory signs a vouch of her own and puts beto's key on it */
    make_answer(buf, &len, &a, ENL_VERDICT_VOUCH, "");
    assert_int_equal(enl_answer_make(buf, &len, &a, &mallory), ENL_OK);
    memcpy(buf + 1, beto.sign_pk, 32);
    assert_int_equal(enl_answer_parse(&back, buf, len), ENL_ESIG);
}

static void test_signatures_do_not_cross_kinds(void **state)
{
    uint8_t ibuf[ENL_INTRO_MAXBYTES], abuf[ENL_ANSWER_MAXBYTES];
    size_t ilen = 0, alen = 0;
    enl_answer_msg a, back;
    enl_intro in;
    (void)state;
    make_intro(ibuf, &ilen, NULL);
    make_answer(abuf, &alen, &a, ENL_VERDICT_VOUCH, "");
    assert_int_not_equal(enl_answer_parse(&back, ibuf, ilen), ENL_OK);
    assert_int_not_equal(enl_intro_parse(&in, abuf, alen), ENL_OK);
}

static int setup(void **state)
{
    static const char *const names[] = { "ana", "beto", "carmen", "mallory" };
    enl_identity *ids[] = { &ana, &beto, &carmen, &mallory };
    char scratch[ENL_CARD_TEXTMAX];
    (void)state;
    if (enl_init() != ENL_OK) return -1;
    for (int i = 0; i < 4; i++) {
        if (enl_identity_generate(ids[i], 1790000000) != ENL_OK) return -1;
        if (enl_card_make(i == 2 ? carmen_card : scratch, ENL_CARD_TEXTMAX, ids[i], names[i], NULL,
                          1790000000) != ENL_OK)
            return -1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intro_round_trip),
        cmocka_unit_test(test_intro_tamper_truncate_forge),
        cmocka_unit_test(test_intro_limits),
        cmocka_unit_test(test_inquiry_round_trip_and_truncation),
        cmocka_unit_test(test_answer_round_trip),
        cmocka_unit_test(test_answer_forged_flipped_truncated),
        cmocka_unit_test(test_signatures_do_not_cross_kinds),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
