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
#include "util/secmem.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-ratchet-restart-XXXXXX"
#include "profiles.h"

#define T0 1790000000ull
#define DAY 86400ull

static void at(uint64_t t)
{
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)t);
    setenv("ENLACE_NOW", v, 1);
}

static void say(enl_profile *from, const char *to, const char *text, uint8_t id[ENL_IDBYTES])
{
    assert_int_equal(enl_send_text(from, to, (const uint8_t *)text, strlen(text), NULL, id), ENL_OK);
}

/* say, then hand the note over */
static void tell(enl_profile *from, const char *to, enl_profile *reader, const char *text)
{
    uint8_t id[ENL_IDBYTES];
    say(from, to, text, id);
    give(from, reader, id);
}

/* ana answers beto, then writes `lost` notes that never reach him (a new
 * sending chain of hers, which he has not entered). */
static void ana_writes_into_the_void(enl_profile *ana, enl_profile *beto, int lost)
{
    uint8_t id[ENL_IDBYTES];
    char text[32];
    introduce(ana, "ana", beto, "beto");
    tell(ana, "beto", beto, "hola");
    tell(beto, "ana", ana, "hola ana");
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
    introduce(ana, "ana", beto, "beto");
    tell(ana, "beto", beto, "hola");
    tell(beto, "ana", ana, "hola ana");
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
    introduce(ana, "ana", beto, "beto");
    tell(ana, "beto", beto, "hola");
    tell(beto, "ana", ana, "hola ana");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_away_longer_than_notes_live),
        cmocka_unit_test(test_no_restart_while_the_chain_can_be_entered),
        cmocka_unit_test(test_lost_first_contact_notes_recover_when_the_peer_writes),
        cmocka_unit_test(test_many_lost_in_an_entered_chain_then_the_peer_writes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
