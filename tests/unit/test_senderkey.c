/* Sender-key chains (src/crypto/senderkey.c): what a receiver keeps of
 * the keys it skipped, once one of them has opened its note. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/senderkey.h"
#include "enlace.h"

#define NOTES 72
#define MSG 24

static uint8_t notes[NOTES][ENL_SK_OVERHEAD + MSG];
static const uint8_t hdr[21] = { 2 };

static void make_chain(enl_senderkey *mine, enl_senderkey *theirs)
{
    uint8_t share[ENL_SK_SHAREBYTES], msg[MSG];
    assert_int_equal(enl_senderkey_generate(mine), ENL_OK);
    enl_senderkey_share(share, mine);
    assert_int_equal(enl_senderkey_from_share(theirs, share, sizeof share), ENL_OK);
    for (int i = 0; i < NOTES; i++) {
        memset(msg, i, sizeof msg);
        assert_int_equal(enl_senderkey_encrypt(mine, notes[i], hdr, sizeof hdr, msg, sizeof msg),
                         ENL_OK);
    }
}

static int open_note(enl_senderkey *k, int i)
{
    uint8_t pt[MSG];
    int rc = enl_senderkey_decrypt(k, pt, hdr, sizeof hdr, notes[i], sizeof notes[i]);
    if (rc == ENL_OK) {
        for (size_t j = 0; j < sizeof pt; j++) assert_int_equal(pt[j], i);
    }
    return rc;
}

/* The key that opened a note is gone from the state, not only from the
 * count: no copy of it is left past the entries in use. */
static void test_used_skipped_key_is_wiped(void **state)
{
    enl_senderkey mine, *theirs = sodium_malloc(sizeof *theirs);
    (void)state;
    make_chain(&mine, theirs);
    assert_int_equal(open_note(theirs, 2), ENL_OK);           /* 0 and 1 skipped */
    assert_int_equal(theirs->nskipped, 2);
    assert_int_equal(open_note(theirs, 1), ENL_OK);           /* the last entry */
    assert_int_equal(theirs->nskipped, 1);
    assert_true(sodium_is_zero((const uint8_t *)&theirs->skipped[1],
                               (ENL_SK_SKIP_MAX - 1) * sizeof theirs->skipped[0]));
    assert_int_equal(open_note(theirs, 0), ENL_OK);
    assert_int_equal(theirs->nskipped, 0);
    assert_true(sodium_is_zero((const uint8_t *)theirs->skipped, sizeof theirs->skipped));
    assert_int_equal(open_note(theirs, 1), ENL_ENOTFORME);
    enl_senderkey_wipe(&mine);
    enl_senderkey_wipe(theirs);
    sodium_free(theirs);
}

/* Past the cap the oldest skipped keys are given up first, even after a
 * key from the middle of the list was used. */
static void test_cap_gives_up_the_oldest(void **state)
{
    enl_senderkey mine, *theirs = sodium_malloc(sizeof *theirs);
    (void)state;
    make_chain(&mine, theirs);
    assert_int_equal(open_note(theirs, 31), ENL_OK);          /* skips 0..30 */
    assert_int_equal(open_note(theirs, 1), ENL_OK);           /* 30 left: 0, 2..30 */
    assert_int_equal(open_note(theirs, 63), ENL_OK);          /* skips 32..62: 61 */
    assert_int_equal(open_note(theirs, 67), ENL_OK);          /* skips 64..66: 64 */
    assert_int_equal(theirs->nskipped, ENL_SK_SKIP_MAX);
    assert_int_equal(open_note(theirs, 69), ENL_OK);          /* 68 in, 0 out */
    assert_int_equal(open_note(theirs, 71), ENL_OK);          /* 70 in, 2 out */
    assert_int_equal(theirs->nskipped, ENL_SK_SKIP_MAX);
    assert_int_equal(open_note(theirs, 0), ENL_ENOTFORME);
    assert_int_equal(open_note(theirs, 2), ENL_ENOTFORME);
    assert_int_equal(open_note(theirs, 30), ENL_OK);
    assert_int_equal(open_note(theirs, 3), ENL_OK);
    enl_senderkey_wipe(&mine);
    enl_senderkey_wipe(theirs);
    sodium_free(theirs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_used_skipped_key_is_wiped),
        cmocka_unit_test(test_cap_gives_up_the_oldest),
    };
    if (sodium_init() < 0) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
