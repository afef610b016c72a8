/*
 * A contact away for longer than notes live, while the other side writes:
 * the first notes of the writer's new sending chain all expire unread, and
 * the recipient recognises a chain it has not entered only by those (the
 * tag window). Before, neither side ever moved again: every later note was
 * carried unread for good (review revA). Now the writer begins the chain
 * again when the recipient writes under its old ratchet key after all of
 * them had expired (enl_ratchet_restart_sending), and only then.
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

#define PROFILES_ROOT "/tmp/enl-ratchet-restart-XXXXXX"
#include "profiles.h"
#include "conversation.h"


/* ana answers beto, then writes `lost` notes that never reach him (a new
 * sending chain of hers, which he has not entered). */
static void ana_writes_into_the_void(enl_profile *ana, enl_profile *beto, int lost)
{
    uint8_t id[ENL_IDBYTES];
    char text[32];
    greet(ana, beto);
    assert_true(has_message(ana, "hola ana"));
    for (int i = 0; i < lost; i++) {
        snprintf(text, sizeof text, "perdida %d", i);
        say(ana, "beto", text, id);
    }
}

static void test_away_longer_than_notes_live(void **state)
{
    enl_profile *ana, *beto;
    (void)state;
    at(T0);
    ana = mkprofile("ana1");
    beto = mkprofile("beto1");
    ana_writes_into_the_void(ana, beto, 40);
    /* beto is away 16 days: all of them expired; back, he writes first */
    at(T0 + 16 * DAY);
    tell(beto, "ana", ana, "volvi");
    assert_true(has_message(ana, "volvi"));
    tell(ana, "beto", beto, "bienvenido");
    assert_true(has_message(beto, "bienvenido"));
    /* and the session goes on both ways, through DH ratchet steps */
    tell(beto, "ana", ana, "gracias");
    assert_true(has_message(ana, "gracias"));
    tell(ana, "beto", beto, "de nada");
    assert_true(has_message(beto, "de nada"));
    tell(beto, "ana", ana, "hasta luego");
    assert_true(has_message(ana, "hasta luego"));
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* While the first notes of ana's chain can still reach beto, a note from
 * him under his old key is no proof he will never enter it: nothing is
 * begun again, and her first notes, arriving late, still open. */
static void test_no_restart_while_the_chain_can_be_entered(void **state)
{
    enl_profile *ana, *beto;
    enl_session *s;
    uint8_t id[ENL_IDBYTES], h[32];
    (void)state;
    at(T0);
    ana = mkprofile("ana2");
    beto = mkprofile("beto2");
    greet(ana, beto);
    say(ana, "beto", "tarde", id);              /* N = 0 of her new chain, held back */
    at(T0 + 13 * DAY);
    tell(beto, "ana", ana, "estas?");
    assert_true(has_message(ana, "estas?"));
    s = enl_secmem_alloc(sizeof *s);
    assert_non_null(s);
    enl_session_key(ana, beto->id->dh_pk, 1, h);
    assert_int_equal(enl_session_load(ana, h, s), ENL_OK);
    assert_int_equal(s->r.restarts, 0);
    assert_int_equal(s->r.ns, 1);
    enl_secmem_free(s);
    give(ana, beto, id);                        /* it arrives after all */
    assert_true(has_message(beto, "tarde"));
    tell(beto, "ana", ana, "ya te lei");
    tell(ana, "beto", beto, "bien");
    assert_true(has_message(beto, "bien"));
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* beto had entered ana's chain; then more than MAX_SKIP of its notes were
 * lost (expired while he was away). His reply makes ana start a new chain,
 * whose PN would have him wait for all of them for ever; since they have
 * all expired, PN no longer asks it, and he reads her at once. */
static void test_many_lost_in_an_entered_chain_then_the_peer_writes(void **state)
{
    enl_profile *ana, *beto;
    uint8_t id[ENL_IDBYTES];
    char text[32];
    (void)state;
    at(T0);
    ana = mkprofile("ana4");
    beto = mkprofile("beto4");
    greet(ana, beto);
    tell(ana, "beto", beto, "primera del tramo");    /* N = 0 of her new chain: entered */
    assert_true(has_message(beto, "primera del tramo"));
    for (int i = 0; i < 129; i++) {
        snprintf(text, sizeof text, "perdida %d", i);
        say(ana, "beto", text, id);
    }
    at(T0 + 16 * DAY);
    tell(beto, "ana", ana, "sigues ahi?");           /* under his new ratchet key */
    assert_true(has_message(ana, "sigues ahi?"));
    tell(ana, "beto", beto, "si, aqui estoy");       /* her next chain */
    assert_true(has_message(beto, "si, aqui estoy"));
    tell(beto, "ana", ana, "que bien");
    assert_true(has_message(ana, "que bien"));
    tell(ana, "beto", beto, "hasta pronto");
    assert_true(has_message(beto, "hasta pronto"));
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* The first chain of a session is not begun again: when none of ana's
 * first-contact notes reached beto (more than MAX_SKIP of them lost, so
 * that every later one would wait for them for ever), beto writing to her
 * starts his own session, and ana then seals through his. */
static void test_lost_first_contact_notes_recover_when_the_peer_writes(void **state)
{
    enl_profile *ana, *beto;
    uint8_t id[ENL_IDBYTES];
    char text[32];
    (void)state;
    at(T0);
    ana = mkprofile("ana3");
    beto = mkprofile("beto3");
    introduce(ana, "ana", beto, "beto");
    for (int i = 0; i < 129; i++) {
        snprintf(text, sizeof text, "perdida %d", i);
        say(ana, "beto", text, id);
    }
    tell(ana, "beto", beto, "me lees?");
    assert_false(has_message(beto, "me lees?"));   /* waits for the 129 before it */
    tell(beto, "ana", ana, "no me llega nada tuyo");
    assert_true(has_message(ana, "no me llega nada tuyo"));
    tell(ana, "beto", beto, "ahora si?");
    assert_true(has_message(beto, "ahora si?"));
    tell(beto, "ana", ana, "si");
    assert_true(has_message(ana, "si"));
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* PN = 0 is decided by the sender's clock alone. ana's clock runs two
 * weeks ahead for a while (and is then put right) just as she writes on
 * the chain her step began: the note says PN = 0, though her note of the
 * chain before ("viva", lives 14 days) is still on its way. Reaching beto
 * first, the PN = 0 note moves him to the new chain keeping no key of the
 * one before; "viva", arriving the next hour well within its life, never
 * opens. Review revF. */
static void test_pn_zero_by_a_clock_ahead_loses_a_live_note(void **state)
{
    enl_profile *ana, *beto;
    uint8_t viva[ENL_IDBYTES], adelantada[ENL_IDBYTES];
    (void)state;
    at(T0);
    ana = mkprofile("ana5");
    beto = mkprofile("beto5");
    greet(ana, beto);          /* ana steps: her chain C1 */
    tell(ana, "beto", beto, "uno");              /* C1 N = 0: beto entered it */
    assert_true(has_message(beto, "uno"));
    say(ana, "beto", "viva", viva);              /* C1 N = 1, on its way for 14 days */
    tell(beto, "ana", ana, "te leo");            /* ana steps: C2, PN = 2 */
    assert_true(has_message(ana, "te leo"));
    at(T0 + 16 * DAY);                           /* ana's clock, wrong */
    say(ana, "beto", "adelantada", adelantada);  /* C2 N = 0 */
    at(T0 + 2 * 3600);                           /* put right */
    give(ana, beto, adelantada);
    assert_true(has_message(beto, "adelantada"));
    at(T0 + 3 * 3600);
    give(ana, beto, viva);                       /* lives until T0 + 14 days */
    if (!has_message(beto, "viva"))
        fail_msg("beto never reads \"viva\", a note that has not expired: ana's clock ahead made "
                 "her next chain say PN = 0, and beto kept no key of the chain before");
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* A session stored by the version before (ratchet state version 1) as the
 * profile is upgraded: it is read with no chain expiry, so the latest
 * expiry of the sending chain becomes that of the notes sealed after the
 * upgrade only. ana had sent "larga" (--expire 60 days) before it, and a
 * one-hour note after: once that hour is a day past, her next chain says
 * PN = 0 while "larga" is still on its way, and beto never reads it.
 * Review revF. */
static void as_version_1(enl_profile *p, enl_profile *peer, int role)
{
    uint8_t h[32], *buf = NULL;
    size_t len = 0;
    const size_t fixed = 1 + 1 + 32 + 32 + 4 + 32;
    enl_session_key(p, peer->id->dh_pk, role, h);
    assert_int_equal(enl_store_row_get(p->st, "sessions", h, &buf, &len), ENL_OK);
    assert_true(len > fixed + ENL_RATCHET_SERIAL_TRAILER);
    assert_int_equal(buf[fixed], 2);
    buf[fixed] = 1;                             /* version 1: no trailer */
    assert_int_equal(enl_store_row_put(p->st, "sessions", h, buf, len - ENL_RATCHET_SERIAL_TRAILER),
                     ENL_OK);
    enl_store_free(buf, len);
}

static void test_pn_zero_after_an_upgrade_loses_a_live_note(void **state)
{
    enl_profile *ana, *beto;
    uint8_t larga[ENL_IDBYTES], corta[ENL_IDBYTES], id[ENL_IDBYTES];
    enl_send_opts sixty = { 60 * 24, 0, 0 }, hour = { 1, 0, 0 };
    (void)state;
    at(T0);
    ana = mkprofile("ana6");
    beto = mkprofile("beto6");
    greet(ana, beto);          /* ana steps: her chain C1 */
    tell(ana, "beto", beto, "uno");              /* beto entered C1 */
    assert_true(has_message(beto, "uno"));
    assert_int_equal(enl_send_text(ana, "beto", (const uint8_t *)"larga", 5, &sixty, larga), ENL_OK);
    as_version_1(ana, beto, 1);                  /* the upgrade */
    assert_int_equal(enl_send_text(ana, "beto", (const uint8_t *)"corta", 5, &hour, corta), ENL_OK);
    tell(beto, "ana", ana, "te leo");            /* ana steps: C2 */
    assert_true(has_message(ana, "te leo"));
    at(T0 + 2 * DAY);
    say(ana, "beto", "nueva", id);               /* C2 N = 0 */
    give(ana, beto, id);
    assert_true(has_message(beto, "nueva"));
    give(ana, beto, larga);                      /* lives until T0 + 60 days */
    if (!has_message(beto, "larga"))
        fail_msg("beto never reads \"larga\" (58 days left): the chain expiry read from a "
                 "version 1 state was 0, and ana's next chain said PN = 0");
    (void)corta;
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_away_longer_than_notes_live),
        cmocka_unit_test(test_no_restart_while_the_chain_can_be_entered),
        cmocka_unit_test(test_lost_first_contact_notes_recover_when_the_peer_writes),
        cmocka_unit_test(test_many_lost_in_an_entered_chain_then_the_peer_writes),
        cmocka_unit_test(test_pn_zero_by_a_clock_ahead_loses_a_live_note),
        cmocka_unit_test(test_pn_zero_after_an_upgrade_loses_a_live_note),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
