/*
 * Checkpoints (crypto/ratchet.h) against the chain restart
 * (enl_ratchet_restart_sending, intake.c restart_if_never_entered), from
 * review revA:
 *
 *   - a peer can enter a chain by a checkpoint note (N = 32, 36, .. 128)
 *     too, so the writer does not begin the chain again while one of those
 *     may still arrive: when it did, the peer entered the old chain by it
 *     and never read what the writer sealed on the new one;
 *   - a chain begun again has checkpoints of its own: a run of its first
 *     notes lost is survived as in any chain.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile.h"
#include "core/send.h"
#include "core/session.h"
#include "store/store.h"
#include "util/secmem.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-restart-cp-XXXXXX"
#include "profiles.h"
#include "conversation.h"

static void test_restart_while_a_checkpoint_note_travels(void **state)
{
    enl_profile *ana, *beto;
    uint8_t id[ENL_IDBYTES], late[ENL_IDBYTES];
    char text[32];
    (void)state;
    at(T0);
    ana = mkprofile("ana1");
    beto = mkprofile("beto1");
    greet(ana, beto);                              /* ana's next note begins her chain Y */
    for (int i = 0; i < 32; i++) {                 /* Y 0..31: lost (a courier lost them) */
        snprintf(text, sizeof text, "perdida %d", i);
        say(ana, "beto", text, id);
    }
    at(T0 + 5 * DAY);
    say(ana, "beto", "tardia", late);              /* Y 32, a checkpoint: by a slow road */
    /* 16 days on, Y 0..31 have expired (14 days); "tardia" lives to day 19 */
    at(T0 + 16 * DAY);
    tell(beto, "ana", ana, "volvi");               /* under his old ratchet key */
    assert_true(has_message(ana, "volvi"));
    /* beto may still enter Y by "tardia": ana does not begin it again
     * (before the fix she did, and "bienvenido" was never read) */
    assert_int_equal(restarts_of(ana, beto, 1), 0);
    give(ana, beto, late);                         /* the slow road delivers */
    assert_true(has_message(beto, "tardia"));      /* beto entered Y by the checkpoint */
    tell(ana, "beto", beto, "bienvenido");
    assert_true(has_message(beto, "bienvenido"));
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* The checkpoints cover HKr and NHKr (PROTOCOL.md section 3), not the
 * restart header key of NHKr: a reader who lost the first 32 notes of a
 * chain begun again (the very case restarts are for: a reader away, notes
 * lost) reads none of the later ones, though THREAT-MODEL.md says "Up to
 * 128 notes lost in a row in one chain are survived at once" and the same
 * run lost in a chain not begun again is survived (test_session_lost_run,
 * test_chain_not_entered). */
static void test_lost_run_in_a_restarted_chain(void **state)
{
    enl_profile *ana, *beto;
    uint8_t id[ENL_IDBYTES];
    char text[32];
    int read = 0;
    (void)state;
    at(T0);
    ana = mkprofile("ana2");
    beto = mkprofile("beto2");
    greet(ana, beto);
    for (int i = 0; i < 40; i++) {                 /* her chain Y, into the void */
        snprintf(text, sizeof text, "perdida %d", i);
        say(ana, "beto", text, id);
    }
    at(T0 + 16 * DAY);
    tell(beto, "ana", ana, "volvi");
    assert_int_equal(restarts_of(ana, beto, 1), 1);    /* Y begun again: Y' */
    for (int i = 0; i < 40; i++) {                 /* Y' 0..39: lost too */
        snprintf(text, sizeof text, "otra perdida %d", i);
        say(ana, "beto", text, id);
    }
    for (int i = 0; i < 8; i++) {                  /* Y' 40..47 arrive */
        snprintf(text, sizeof text, "after %d", i);
        say(ana, "beto", text, id);
        give(ana, beto, id);
    }
    for (int i = 0; i < 8; i++) {
        snprintf(text, sizeof text, "after %d", i);
        read += has_message(beto, text);
    }
    print_message("read %d of the 8 notes after the lost run\n", read);
    assert_int_equal(read, 8);
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_while_a_checkpoint_note_travels),
        cmocka_unit_test(test_lost_run_in_a_restarted_chain),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
