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
#include "util/bytes.h"
#include "enlace.h"

/* past the window and every checkpoint a receiver at 0 looks for */
#define NOTES (ENL_SK_WINDOW + ENL_SK_AHEAD + 8)
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

#define GAP_UNTIL 500000u      /* the hour a gap opened in these tests lasts until */

static int open_note(enl_senderkey *k, int i)
{
    uint8_t pt[MSG];
    int rc = enl_senderkey_decrypt(k, pt, hdr, sizeof hdr, notes[i], sizeof notes[i], GAP_UNTIL);
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
    /* the 32 before the checkpoint were kept; the stretch before them is
     * the gap, with a window of its own, for slower roads */
    assert_int_equal(theirs->gap.on, 1);
    assert_int_equal(theirs->gap.next, 0);
    assert_int_equal(theirs->gap.end, 12);
    assert_int_equal(theirs->gap.until, GAP_UNTIL);
    assert_int_equal(open_note(theirs, 20), ENL_OK);          /* a kept key */
    assert_int_equal(open_note(theirs, 3), ENL_OK);           /* from the gap */
    assert_int_equal(theirs->gap.next, 4);
    assert_int_equal(open_note(theirs, 0), ENL_OK);           /* skipped in the gap */
    assert_int_equal(open_note(theirs, 11), ENL_OK);          /* its last: it closes */
    assert_int_equal(theirs->gap.on, 0);
    assert_true(sodium_is_zero(theirs->gap.chain, 32));
    for (int i = 4; i < 11; i++) assert_int_equal(open_note(theirs, i), ENL_OK);
    assert_int_equal(open_note(theirs, 11), ENL_ENOTFORME);
    enl_senderkey_wipe(&mine);
    enl_senderkey_wipe(theirs);
    sodium_free(theirs);
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
    assert_int_equal(open_note(theirs, last), ENL_OK);
    assert_int_equal(theirs->gap.end, last - ENL_SK_JUMP_KEEP);
    assert_int_equal(open_note(theirs, last + ENL_SK_STRIDE), ENL_OK);   /* in the window now */
    enl_senderkey_wipe(&mine);
    enl_senderkey_wipe(theirs);
    sodium_free(theirs);
}

/* A second jump leaves a gap of its own; the older one gives way. And a
 * gap past its hour is forgotten, its tags with it. */
static void test_gap_gives_way_and_expires(void **state)
{
    enl_senderkey mine, *theirs = sodium_malloc(sizeof *theirs);
    (void)state;
    make_chain(&mine, theirs);
    assert_int_equal(open_note(theirs, 40), ENL_OK);          /* gap 0..7 */
    assert_int_equal(theirs->gap.end, 8);
    assert_int_equal(open_note(theirs, 100), ENL_OK);         /* gap 41..67 */
    assert_int_equal(theirs->gap.next, 41);
    assert_int_equal(theirs->gap.end, 68);
    assert_int_equal(open_note(theirs, 2), ENL_ENOTFORME);
    assert_true(tagged(theirs, 50));
    assert_int_equal(enl_senderkey_forget_gap(theirs, GAP_UNTIL), 0);
    assert_int_equal(enl_senderkey_forget_gap(theirs, GAP_UNTIL + 1), 1);
    assert_false(tagged(theirs, 50));
    assert_int_equal(open_note(theirs, 50), ENL_ENOTFORME);
    assert_int_equal(open_note(theirs, 68), ENL_OK);          /* the kept keys stay */
    enl_senderkey_wipe(&mine);
    enl_senderkey_wipe(theirs);
    sodium_free(theirs);
}

/* The gap is stored with the key (version 2); a version 1 state (no gap)
 * is still read; a gap that could not have been made is refused. */
static void test_gap_is_stored(void **state)
{
    enl_senderkey mine, *theirs = sodium_malloc(sizeof *theirs), *back = sodium_malloc(sizeof *back);
    uint8_t buf[ENL_SK_SERIALIZED_MAX];
    size_t n;
    (void)state;
    make_chain(&mine, theirs);
    assert_int_equal(open_note(theirs, 40), ENL_OK);
    n = enl_senderkey_serialize(buf, theirs);
    assert_int_equal(buf[0], 2);
    assert_int_equal(enl_senderkey_parse(back, buf, n), ENL_OK);
    assert_memory_equal(&back->gap, &theirs->gap, sizeof back->gap);
    assert_int_equal(open_note(back, 5), ENL_OK);
    assert_int_equal(enl_senderkey_parse(back, buf, n - 1), ENL_EMALFORMED);
    /* the gap's end past the chain */
    enl_store_be32(buf + n - 8, 41 + 1);
    assert_int_equal(enl_senderkey_parse(back, buf, n), ENL_EMALFORMED);
    /* empty */
    enl_store_be32(buf + n - 8, 0);
    assert_int_equal(enl_senderkey_parse(back, buf, n), ENL_EMALFORMED);
    /* version 1: no gap byte */
    theirs->gap.on = 0;
    n = enl_senderkey_serialize(buf, theirs);
    buf[0] = 1;
    assert_int_equal(enl_senderkey_parse(back, buf, n - 1), ENL_OK);
    assert_int_equal(back->gap.on, 0);
    assert_int_equal(back->next, 41);
    assert_int_equal(enl_senderkey_parse(back, buf, n), ENL_EMALFORMED);
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
        cmocka_unit_test(test_checkpoints_end_ahead),
        cmocka_unit_test(test_gap_gives_way_and_expires),
        cmocka_unit_test(test_gap_is_stored),
    };
    if (sodium_init() < 0) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
