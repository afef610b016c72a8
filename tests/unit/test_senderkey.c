/* Sender-key chains (src/crypto/senderkey.c): what a receiver keeps of
 * the keys it skipped, once one of them has opened its note; and how it
 * finds the chain again after missing a whole window of notes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/senderkey.h"
#include "enlace.h"

/* past every checkpoint of a receiver at 201 */
#define NOTES (201 + ENL_SK_WINDOW + ENL_SK_AHEAD + 8)
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
        memset(msg, (uint8_t)i, sizeof msg);
        assert_int_equal(enl_senderkey_encrypt(mine, notes[i], hdr, sizeof hdr, msg, sizeof msg),
                         ENL_OK);
    }
}

static int open_note(enl_senderkey *k, int i)
{
    uint8_t pt[MSG];
    int rc = enl_senderkey_decrypt(k, pt, hdr, sizeof hdr, notes[i], sizeof notes[i]);
    if (rc == ENL_OK) {
        for (size_t j = 0; j < sizeof pt; j++) assert_int_equal(pt[j], (uint8_t)i);
    }
    return rc;
}

/* Whether the receiver's tags (what its store looks notes up by) name note i. */
static int tagged(const enl_senderkey *k, int i)
{
    static uint8_t tags[ENL_SK_TAGS_MAX][ENL_SK_TAGBYTES];
    size_t n = enl_senderkey_tags(k, tags, ENL_SK_TAGS_MAX);
    for (size_t j = 0; j < n; j++)
        if (memcmp(tags[j], notes[i], ENL_SK_TAGBYTES) == 0) return 1;
    return 0;
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
 * key from the middle of the list was used; with every place taken, every
 * tag (skipped, window, checkpoints) is still listed. */
static void test_cap_gives_up_the_oldest(void **state)
{
    enl_senderkey mine, *theirs = sodium_malloc(sizeof *theirs);
    static uint8_t tags[ENL_SK_TAGS_MAX + 1][ENL_SK_TAGBYTES];
    (void)state;
    make_chain(&mine, theirs);
    assert_int_equal(open_note(theirs, 31), ENL_OK);          /* skips 0..30 */
    assert_int_equal(open_note(theirs, 1), ENL_OK);           /* 30 left: 0, 2..30 */
    assert_int_equal(open_note(theirs, 1052), ENL_OK);        /* a jump: 32..1051, 1050 */
    assert_int_equal(open_note(theirs, 1084), ENL_OK);        /* 1053..1083: 1081 */
    assert_int_equal(open_note(theirs, 1116), ENL_OK);        /* 1085..1115: 1112 */
    assert_int_equal(open_note(theirs, 1125), ENL_OK);        /* 1117..1124: 1120 */
    assert_int_equal(theirs->nskipped, ENL_SK_SKIP_MAX);
    assert_int_equal(enl_senderkey_tags(theirs, tags, ENL_SK_TAGS_MAX + 1), ENL_SK_TAGS_MAX);
    assert_int_equal(open_note(theirs, 1127), ENL_OK);        /* 1126 in, 0 out */
    assert_int_equal(open_note(theirs, 1129), ENL_OK);        /* 1128 in, 2 out */
    assert_int_equal(theirs->nskipped, ENL_SK_SKIP_MAX);
    assert_int_equal(open_note(theirs, 0), ENL_ENOTFORME);
    assert_int_equal(open_note(theirs, 2), ENL_ENOTFORME);
    assert_int_equal(open_note(theirs, 30), ENL_OK);
    assert_int_equal(open_note(theirs, 3), ENL_OK);
    enl_senderkey_wipe(&mine);
    enl_senderkey_wipe(theirs);
    sodium_free(theirs);
}

/* The receiver was away while 40 notes expired (it never saw 0..39): the
 * member's next notes are past its window. Before checkpoints it read
 * none of them again until the membership changed. Now the first note at
 * a checkpoint (every 4th iteration) opens, the ones written just before
 * it open from the keys kept, and the rest follow in the window. */
static void test_checkpoint_after_a_missed_window(void **state)
{
    enl_senderkey mine, *theirs = sodium_malloc(sizeof *theirs);
    (void)state;
    make_chain(&mine, theirs);
    for (int i = 40; i < 44; i++) assert_int_equal(tagged(theirs, i), i == 40);
    assert_int_equal(open_note(theirs, 41), ENL_ENOTFORME);   /* not a checkpoint */
    assert_int_equal(open_note(theirs, 44), ENL_OK);
    assert_int_equal(theirs->next, 45);
    assert_true(tagged(theirs, 41) && tagged(theirs, 45) && tagged(theirs, 12));
    assert_int_equal(open_note(theirs, 43), ENL_OK);
    assert_int_equal(open_note(theirs, 41), ENL_OK);
    assert_int_equal(open_note(theirs, 42), ENL_OK);
    assert_int_equal(open_note(theirs, 46), ENL_OK);
    assert_int_equal(open_note(theirs, 44), ENL_ENOTFORME);   /* each key opens once */
    /* 44 is within 64 of where the reader stood: nothing was given up */
    for (int i = 0; i < 40; i++) assert_int_equal(open_note(theirs, i), ENL_OK);
    enl_senderkey_wipe(&mine);
    enl_senderkey_wipe(theirs);
    sodium_free(theirs);
}

/* A jump far ahead keeps the key of every note it passed over: notes that
 * were only out of order (a courier handed the later ones first) open
 * whenever they come. Review revD2: before, it kept only the reader's
 * window and the 32 before the checkpoint, and 32 .. 67 were never read. */
static void test_far_jump_keeps_every_key(void **state)
{
    enl_senderkey mine, *theirs = sodium_malloc(sizeof *theirs);
    (void)state;
    make_chain(&mine, theirs);
    assert_int_equal(open_note(theirs, 100), ENL_OK);
    assert_int_equal(theirs->nskipped, 100);
    for (int i = 99; i >= 0; i--) assert_int_equal(open_note(theirs, i), ENL_OK);
    assert_int_equal(theirs->nskipped, 0);
    enl_senderkey_wipe(&mine);
    enl_senderkey_wipe(theirs);
    sodium_free(theirs);
}

/* Notes handed over last written first: every one opens. */
static void test_last_written_first(void **state)
{
    enl_senderkey mine, *theirs = sodium_malloc(sizeof *theirs);
    (void)state;
    make_chain(&mine, theirs);
    for (int i = 200; i >= 0; i--)
        if (i % ENL_SK_STRIDE == 0 || i < 200 - 3) assert_int_equal(open_note(theirs, i), ENL_OK);
    for (int i = 197; i < 200; i++) assert_int_equal(open_note(theirs, i), ENL_OK);
    assert_int_equal(theirs->nskipped, 0);
    enl_senderkey_wipe(&mine);
    enl_senderkey_wipe(theirs);
    sodium_free(theirs);
}

/* After a jump the state holds no key of a note already read: only the
 * keys of notes not read yet, and the chain past the newest read. */
static void test_jump_keeps_nothing_already_read(void **state)
{
    enl_senderkey mine, *theirs = sodium_malloc(sizeof *theirs), *thief = sodium_malloc(sizeof *thief);
    (void)state;
    make_chain(&mine, theirs);
    assert_int_equal(open_note(theirs, 100), ENL_OK);
    for (int i = 68; i < 100; i++) assert_int_equal(open_note(theirs, i), ENL_OK);
    for (int i = 101; i < 120; i++) assert_int_equal(open_note(theirs, i), ENL_OK);
    for (uint32_t j = 0; j < theirs->nskipped; j++) assert_true(theirs->skipped[j].iter < 68);
    assert_int_equal(theirs->next, 120);
    memcpy(thief, theirs, sizeof *thief);
    for (int i = 68; i < 120; i++) assert_int_equal(open_note(thief, i), ENL_ENOTFORME);
    enl_senderkey_wipe(&mine);
    enl_senderkey_wipe(theirs);
    sodium_free(theirs);
    sodium_free(thief);
}

/* Checkpoints reach ENL_SK_AHEAD past the window, no further. */
static void test_checkpoints_end_ahead(void **state)
{
    enl_senderkey mine, *theirs = sodium_malloc(sizeof *theirs);
    const int last = ENL_SK_WINDOW + ENL_SK_AHEAD - ENL_SK_STRIDE;   /* 1052 */
    (void)state;
    make_chain(&mine, theirs);
    assert_true(tagged(theirs, last));
    assert_false(tagged(theirs, last + ENL_SK_STRIDE));
    assert_int_equal(open_note(theirs, last + ENL_SK_STRIDE), ENL_ENOTFORME);
    assert_int_equal(open_note(theirs, 200), ENL_OK);
    assert_true(tagged(theirs, 1256));      /* the last checkpoint of a reader at 201 */
    assert_false(tagged(theirs, 1260));
    assert_int_equal(open_note(theirs, last + ENL_SK_STRIDE), ENL_OK);
    enl_senderkey_wipe(&mine);
    enl_senderkey_wipe(theirs);
    sodium_free(theirs);
}

/* Version 2 counts the skipped keys in a u16; version 1 (a u8) is read. */
static void test_state_is_stored(void **state)
{
    enl_senderkey mine, *theirs = sodium_malloc(sizeof *theirs), *back = sodium_malloc(sizeof *back);
    static uint8_t buf[ENL_SK_SERIALIZED_MAX];
    const size_t count_at = 1 + 32 + 4 + 32 + 1;
    size_t n;
    (void)state;
    make_chain(&mine, theirs);
    assert_int_equal(open_note(theirs, 300), ENL_OK);
    n = enl_senderkey_serialize(buf, theirs);
    assert_int_equal(buf[0], 2);
    assert_int_equal(n, count_at + 2 + 300 * 36);
    assert_int_equal(enl_senderkey_parse(back, buf, n), ENL_OK);
    assert_int_equal(back->nskipped, 300);
    assert_int_equal(open_note(back, 5), ENL_OK);
    assert_int_equal(enl_senderkey_parse(back, buf, n - 1), ENL_EMALFORMED);
    buf[count_at] = (uint8_t)((ENL_SK_SKIP_MAX + 1) >> 8);
    buf[count_at + 1] = (uint8_t)(ENL_SK_SKIP_MAX + 1);
    assert_int_equal(enl_senderkey_parse(back, buf, n), ENL_EMALFORMED);
    /* version 1: the same with a u8 count */
    assert_int_equal(open_note(theirs, 301), ENL_OK);
    for (int i = 0; i < 300 - 3; i++) assert_int_equal(open_note(theirs, i), ENL_OK);
    n = enl_senderkey_serialize(buf, theirs);                  /* 3 left */
    buf[0] = 1;
    memmove(buf + count_at, buf + count_at + 1, n - count_at - 1);
    assert_int_equal(enl_senderkey_parse(back, buf, n - 1), ENL_OK);
    assert_int_equal(back->nskipped, 3);
    assert_int_equal(back->next, 302);
    assert_int_equal(open_note(back, 299), ENL_OK);
    enl_senderkey_wipe(&mine);
    enl_senderkey_wipe(theirs);
    sodium_free(theirs);
    sodium_free(back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_used_skipped_key_is_wiped),
        cmocka_unit_test(test_cap_gives_up_the_oldest),
        cmocka_unit_test(test_checkpoint_after_a_missed_window),
        cmocka_unit_test(test_far_jump_keeps_every_key),
        cmocka_unit_test(test_last_written_first),
        cmocka_unit_test(test_jump_keeps_nothing_already_read),
        cmocka_unit_test(test_checkpoints_end_ahead),
        cmocka_unit_test(test_state_is_stored),
    };
    if (sodium_init() < 0) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
