/*
 * A run of notes lost in a row, in a pairwise session whose reader does
 * not write back (couriers lose notes; a drop is emptied by a raid). The
 * reader recognises a chain by the tags of its next 32 notes; before
 * checkpoints (crypto/ratchet.h) it read none of the later notes until it
 * wrote and the writer stepped. Now, up to the ratchet's skip bound (128):
 *
 *   - in a chain the reader had entered, the 8 notes after 40 lost are read;
 *   - the same in a new chain the reader had not entered yet;
 *   - past the bound, the notes stay unread (as they must: the ratchet
 *     refuses to derive more than 128 keys for one note).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "core/profile.h"
#include "core/send.h"
#include "core/session.h"
#include "store/store.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-lostrun-XXXXXX"
#include "profiles.h"
#include "conversation.h"

/* ana writes `lost` notes beto never gets, then `after` that he does. */
static void lose_then_give(enl_profile *ana, enl_profile *beto, int lost, int after)
{
    uint8_t id[ENL_IDBYTES];
    char text[32];
    for (int i = 0; i < lost; i++) {
        snprintf(text, sizeof text, "lost %d", i);
        say(ana, "beto", text, id);
    }
    for (int i = 0; i < after; i++) {
        snprintf(text, sizeof text, "after %d", i);
        say(ana, "beto", text, id);
        give(ana, beto, id);
    }
}

static int reads_after(enl_profile *beto, int i)
{
    char text[32];
    snprintf(text, sizeof text, "after %d", i);
    return has_message(beto, text);
}

static void test_entered_chain(void **state)
{
    enl_profile *ana = mkprofile("ana1"), *beto = mkprofile("beto1");
    (void)state;
    at(T0);
    greet(ana, beto);
    tell(ana, "beto", beto, "a new chain, entered");
    lose_then_give(ana, beto, 40, 8);
    for (int i = 0; i < 8; i++) assert_true(reads_after(beto, i));
    tell(ana, "beto", beto, "and on");
    assert_true(has_message(beto, "and on"));
    assert_false(has_message(beto, "lost 0"));
    enl_profile_close(ana);
    enl_profile_close(beto);
}

static void test_chain_not_entered(void **state)
{
    enl_profile *ana = mkprofile("ana2"), *beto = mkprofile("beto2");
    (void)state;
    at(T0);
    greet(ana, beto);
    lose_then_give(ana, beto, 40, 8);
    for (int i = 0; i < 8; i++) assert_true(reads_after(beto, i));
    enl_profile_close(ana);
    enl_profile_close(beto);
}

static void test_past_the_skip_bound(void **state)
{
    enl_profile *ana = mkprofile("ana3"), *beto = mkprofile("beto3");
    (void)state;
    at(T0);
    greet(ana, beto);
    tell(ana, "beto", beto, "entered");
    lose_then_give(ana, beto, ENL_RATCHET_MAX_SKIP + 4, 4);
    for (int i = 0; i < 4; i++) assert_false(reads_after(beto, i));
    enl_profile_close(ana);
    enl_profile_close(beto);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entered_chain),
        cmocka_unit_test(test_chain_not_entered),
        cmocka_unit_test(test_past_the_skip_bound),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
