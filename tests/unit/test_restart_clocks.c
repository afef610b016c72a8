/*
 * Beginning a sending chain again (enl_ratchet_restart_sending, intake.c
 * restart_if_never_entered) against what a courier who kept the old notes
 * can link, clocks, and the other ways a pair's sessions move (review
 * revE).
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
#include "note/note.h"
#include "util/secmem.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-restart-clocks-XXXXXX"
#include "profiles.h"
#include "conversation.h"


/* the note's bytes, as a courier (or an archive of a drop) keeps them */
static uint8_t *copy_of(enl_profile *from, const uint8_t id[ENL_IDBYTES], size_t *len)
{
    uint8_t *note = NULL;
    assert_int_equal(enl_note_get(from, id, &note, len), ENL_OK);
    return note;
}

/* The first note of the chain begun again must not have the tag (nor an
 * encrypted header under the same key and nonce) of the first note of the
 * abandoned chain: a courier that kept the old note would link the new one
 * to it, and learn that the contact came back. Failed before the restarted
 * chain moved to its own header key. */
static void test_restarted_chain_shares_nothing(void **state)
{
    enl_profile *ana, *beto;
    uint8_t id[ENL_IDBYTES], *old0, *new0;
    size_t old_len, new_len;
    const size_t T = ENL_NOTE_HEADERBYTES;   /* the ratchet message starts here */
    (void)state;
    at(T0);
    ana = mkprofile("ana0");
    beto = mkprofile("beto0");
    greet(ana, beto);
    say(ana, "beto", "perdida", id);           /* N = 0 of her chain: never arrives */
    old0 = copy_of(ana, id, &old_len);         /* an archive of the drop keeps it */
    at(T0 + 16 * DAY);
    tell(beto, "ana", ana, "volvi");
    assert_true(has_message(ana, "volvi"));
    assert_int_equal(restarts_of(ana, beto, 1), 1);
    say(ana, "beto", "bienvenido", id);        /* N = 0 of the chain begun again */
    new0 = copy_of(ana, id, &new_len);
    give(ana, beto, id);
    assert_true(has_message(beto, "bienvenido"));
    /* what a courier sees: the 16-byte tag, then the encrypted header */
    {
        /* the header stream: when key (HKs) and nonce (the tag) are the same,
         * PN and N being equal, the XOR of the two encrypted headers ends in
         * 8 zero bytes and its first 32 are old DHs ^ new DHs */
        uint8_t x[ENL_RATCHET_ENCHEADERBYTES];
        int same_tag = memcmp(old0 + T, new0 + T, ENL_RATCHET_TAGBYTES) == 0, same_stream;
        for (size_t i = 0; i < sizeof x; i++)
            x[i] = old0[T + ENL_RATCHET_TAGBYTES + i] ^ new0[T + ENL_RATCHET_TAGBYTES + i];
        same_stream = sodium_is_zero(x + 32, 8);
        if (same_tag || same_stream)
            fail_msg("the new chain's first note repeats the abandoned chain's first note: same "
                     "tag %d, same header keystream %d (anyone who kept the old note links the "
                     "new one to it)", same_tag, same_stream);
    }
    free(old0);
    free(new0);
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* beto is away again and again (a contact in detention whose notes get
 * out, while ana's never reach him in time): each note of his makes ana
 * begin her chain again. No note of any restart may carry the tag of a
 * note of an earlier one: a courier that kept them would link every
 * restart to the conversation. Failed before restarts past the first had
 * header keys of their own (the second restart's first notes repeated the
 * first's tags); the later ones here number on past the restart before. */
static void test_every_restart_shares_no_tag(void **state)
{
    enum { CHAINS = 7, KEPT = 32 };
    static const int lost[CHAINS] = { 2, 2, 2, 2, 3, 2, 1 };
    enl_profile *ana, *beto;
    uint8_t id[ENL_IDBYTES], tags[KEPT][ENL_RATCHET_TAGBYTES];
    size_t k = 0;
    char text[32];
    (void)state;
    at(T0);
    ana = mkprofile("ana8");
    beto = mkprofile("beto8");
    greet(ana, beto);
    for (int c = 0; c < CHAINS; c++) {
        for (int i = 0; i < lost[c]; i++) {
            size_t len = 0;
            uint8_t *note;
            snprintf(text, sizeof text, "perdida %d.%d", c, i);
            say(ana, "beto", text, id);
            note = copy_of(ana, id, &len);
            assert_true(k < KEPT && len > ENL_NOTE_HEADERBYTES + ENL_RATCHET_TAGBYTES);
            memcpy(tags[k++], note + ENL_NOTE_HEADERBYTES, ENL_RATCHET_TAGBYTES);
            free(note);
        }
        if (c == CHAINS - 1) break;
        at(T0 + (uint64_t)(c + 1) * 16 * DAY);      /* all of them expired unread */
        snprintf(text, sizeof text, "sigo aqui %d", c);
        tell(beto, "ana", ana, text);
        assert_true(has_message(ana, text));
        assert_int_equal(restarts_of(ana, beto, 1), (uint32_t)c + 1);
    }
    for (size_t i = 0; i < k; i++)
        for (size_t j = i + 1; j < k; j++)
            if (memcmp(tags[i], tags[j], ENL_RATCHET_TAGBYTES) == 0)
                fail_msg("notes %zu and %zu of ana's restarted chains share a tag: a courier who "
                         "kept the first links the second to the same conversation", i, j);
    give(ana, beto, id);                        /* the last restart's note reaches him */
    assert_true(has_message(beto, "perdida 6.0"));
    tell(beto, "ana", ana, "por fin");
    assert_true(has_message(ana, "por fin"));
    tell(ana, "beto", beto, "por fin, si");
    assert_true(has_message(beto, "por fin, si"));
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* A peer whose clock ran far ahead when it wrote under its old key, and
 * was put right before the writer's first notes reached it, enters the
 * chain; its old note, delivered late, must not make the writer begin the
 * chain again (the root keys would part for good). Failed before the
 * restart also asked the peer's `sent` to be within a day of the writer's
 * clock. */
static void test_peer_clock_ahead_then_corrected(void **state)
{
    enl_profile *ana, *beto;
    uint8_t tarde[ENL_IDBYTES], estas[ENL_IDBYTES], lei[ENL_IDBYTES], id[ENL_IDBYTES];
    (void)state;
    at(T0);
    ana = mkprofile("ana2");
    beto = mkprofile("beto2");
    greet(ana, beto);
    say(ana, "beto", "tarde", tarde);           /* N = 0 of her new chain, on its way */
    at(T0 + 16 * DAY);                          /* beto's clock, wrong */
    say(beto, "ana", "estas?", estas);          /* under his old key: he has not entered */
    at(T0 + HOUR);                              /* beto's clock put right */
    give(ana, beto, tarde);                     /* it reaches him in time */
    assert_true(has_message(beto, "tarde"));    /* he entered ana's chain */
    say(beto, "ana", "ya te lei", lei);         /* his new chain */
    at(T0 + 2 * HOUR);
    give(beto, ana, estas);                     /* a courier brings the older note first */
    assert_true(has_message(ana, "estas?"));
    give(beto, ana, lei);
    if (restarts_of(ana, beto, 1) != 0 && !has_message(ana, "ya te lei"))
        fail_msg("ana began her chain again although beto had entered it: his new chain no "
                 "longer opens for her (the root keys parted)");
    assert_true(has_message(ana, "ya te lei"));
    tell(ana, "beto", beto, "bien");
    assert_true(has_message(beto, "bien"));
    (void)id;
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* Coverage (passes): the responder's chain begun again when the initiator,
 * who never read a reply, writes again in a first-contact note. */
static void test_first_contact_responder_restarts(void **state)
{
    enl_profile *ana, *beto;
    uint8_t id[ENL_IDBYTES];
    (void)state;
    at(T0);
    ana = mkprofile("ana3");
    beto = mkprofile("beto3");
    introduce(ana, "ana", beto, "beto");
    tell(beto, "ana", ana, "primera");          /* beto starts the session */
    assert_true(has_message(ana, "primera"));
    say(ana, "beto", "respuesta perdida", id);  /* never reaches him */
    at(T0 + 16 * DAY);
    tell(beto, "ana", ana, "sigues ahi?");      /* a first-contact note again */
    assert_true(has_message(ana, "sigues ahi?"));
    tell(ana, "beto", beto, "si");
    assert_true(has_message(beto, "si"));
    tell(beto, "ana", ana, "bien");
    assert_true(has_message(ana, "bien"));
    tell(ana, "beto", beto, "chao");
    assert_true(has_message(beto, "chao"));
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* Coverage (passes): notes of the abandoned chain still live (N 33..35:
 * none a note the peer could enter the chain by, as a checkpoint would be)
 * do not keep the restart from happening nor any new note from being
 * read. */
static void test_live_old_notes_do_not_block_new_ones(void **state)
{
    enl_profile *ana, *beto;
    uint8_t id[ENL_IDBYTES];
    char text[32];
    (void)state;
    at(T0);
    ana = mkprofile("ana4");
    beto = mkprofile("beto4");
    greet(ana, beto);
    for (int i = 0; i < 33; i++) {
        snprintf(text, sizeof text, "vieja %d", i);
        say(ana, "beto", text, id);
    }
    at(T0 + 10 * DAY);
    for (int i = 33; i < 36; i++) {             /* still live at T0 + 16 days */
        snprintf(text, sizeof text, "vieja %d", i);
        say(ana, "beto", text, id);
    }
    at(T0 + 16 * DAY);
    tell(beto, "ana", ana, "volvi");
    assert_int_equal(restarts_of(ana, beto, 1), 1);
    for (int i = 0; i < 40; i++) {
        snprintf(text, sizeof text, "nueva %d", i);
        say(ana, "beto", text, id);
    }
    carry_all(ana, beto);
    carry_all(ana, beto);
    for (int i = 0; i < 40; i++) {
        snprintf(text, sizeof text, "nueva %d", i);
        if (!has_message(beto, text)) fail_msg("beto never read %s", text);
    }
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* The same peer clock, ahead when beto wrote under his old key and put
 * right before ana's first note reached him; only the courier that carries
 * his old note to ana is slow, as couriers are: it arrives more than two
 * weeks later, when by ana's clock that note's `sent` is no longer more
 * than a day ahead. beto had entered ana's chain at once, yet she begins
 * it again: his reply, sealed on the chain that answers hers, no longer
 * opens for her (the root keys parted for good). Review revF. */
static void test_peer_clock_ahead_note_delivered_late(void **state)
{
    enl_profile *ana, *beto;
    uint8_t tarde[ENL_IDBYTES], estas[ENL_IDBYTES], lei[ENL_IDBYTES];
    enl_send_opts month = { 30 * 24, 0, 0 };
    (void)state;
    at(T0);
    ana = mkprofile("ana5");
    beto = mkprofile("beto5");
    greet(ana, beto);
    say(ana, "beto", "tarde", tarde);           /* N = 0 of her new chain */
    at(T0 + 16 * DAY);                          /* beto's clock, wrong */
    say(beto, "ana", "estas?", estas);          /* under his old key */
    at(T0 + HOUR);                              /* put right */
    give(ana, beto, tarde);
    assert_true(has_message(beto, "tarde"));    /* he entered ana's chain */
    assert_int_equal(enl_send_text(beto, "ana", (const uint8_t *)"ya te lei", 9, &month, lei),
                     ENL_OK);                   /* his new chain, a note that lives a month */
    at(T0 + 15 * DAY + 2 * HOUR);               /* the slow courier reaches ana */
    give(beto, ana, estas);
    assert_true(has_message(ana, "estas?"));
    give(beto, ana, lei);
    if (!has_message(ana, "ya te lei"))
        fail_msg("ana began her chain again (restarts %u) although beto had entered it two "
                 "weeks before: his reply no longer opens for her",
                 (unsigned)restarts_of(ana, beto, 1));
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* A note opened with a kept (skipped) key of an older chain of the peer's
 * makes no DH ratchet step either, yet it says nothing about the chain ana
 * sends on now: beto wrote it before that chain existed. Here beto's old
 * note (his clock ahead when he wrote it) reaches ana late, after beto
 * entered her current chain and wrote on the one that answers it: ana
 * begins her current chain again, and beto's later notes no longer open.
 * PROTOCOL section 3 asks for a message "sealed under the ratchet key its
 * chain answered"; intake.c restart_if_never_entered does not. Review revF. */
static void test_restart_by_a_note_of_an_older_peer_chain(void **state)
{
    enl_profile *ana, *beto;
    uint8_t estas[ENL_IDBYTES], tarde[ENL_IDBYTES];
    (void)state;
    at(T0);
    ana = mkprofile("ana6");
    beto = mkprofile("beto6");
    greet(ana, beto);         /* beto's first chain; ana steps */
    say(ana, "beto", "tarde", tarde);           /* her chain C1 */
    at(T0 + 16 * DAY);                          /* beto's clock, wrong */
    say(beto, "ana", "estas?", estas);          /* his first chain again, N = 1 */
    at(T0 + HOUR);                              /* put right */
    give(ana, beto, tarde);
    assert_true(has_message(beto, "tarde"));
    tell(beto, "ana", ana, "ya te lei");        /* his chain answering C1: ana steps (C2), */
    assert_true(has_message(ana, "ya te lei")); /* keeping the key of his N = 1 */
    at(T0 + 2 * HOUR);
    tell(ana, "beto", beto, "bien");            /* C2, N = 0 */
    assert_true(has_message(beto, "bien"));     /* beto entered C2 */
    at(T0 + 15 * DAY + 3 * HOUR);
    give(beto, ana, estas);                     /* the old note, late, by the skipped key */
    assert_true(has_message(ana, "estas?"));
    assert_int_equal(restarts_of(ana, beto, 1), 0);   /* it says nothing of C2 */
    tell(beto, "ana", ana, "y ahora?");         /* on his chain answering C2 */
    if (!has_message(ana, "y ahora?"))
        fail_msg("ana began C2 again (restarts %u) on a note of beto's older chain, although "
                 "beto had entered C2: his notes no longer open for her",
                 (unsigned)restarts_of(ana, beto, 1));
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* beto's clock runs 16 days ahead for a day or so while he writes two
 * notes under his old key, then is put right; ana's first note reaches him
 * in time and he enters her chain A, and answers on the chain that answers
 * A. A slow courier brings his first old note to ana: she begins A again
 * (B), the case the kept abandoned chain is for. She writes on B (a note
 * that lives a day); his second old note, sent (by his wrong clock) a day
 * after that note expired, begins B again (B'), and the kept chain becomes
 * B: A is forgotten. His reply, answering A, opens neither from B' nor from
 * B; the root keys parted for good. */
static void test_second_restart_forgets_the_chain_the_peer_entered(void **state)
{
    enl_profile *ana, *beto;
    uint8_t tarde[ENL_IDBYTES], estas1[ENL_IDBYTES], estas2[ENL_IDBYTES], lei[ENL_IDBYTES];
    uint8_t corta[ENL_IDBYTES];
    (void)state;
    at(T0);
    ana = mkprofile("ana1");
    beto = mkprofile("beto1");
    greet(ana, beto);
    say(ana, "beto", "tarde", tarde);              /* N = 0 of her chain A */
    at(T0 + 16 * DAY);                             /* beto's clock, wrong */
    say(beto, "ana", "estas1", estas1);            /* under his old key */
    at(T0 + 17 * DAY + 6 * HOUR);                  /* still wrong, a day later */
    say(beto, "ana", "estas2", estas2);            /* under his old key again */
    at(T0 + DAY + 7 * HOUR);                       /* put right */
    give(ana, beto, tarde);
    assert_true(has_message(beto, "tarde"));       /* he entered A */
    say_for(beto, "ana", "ya te lei", 30 * 24, lei);   /* his chain answering A */
    at(T0 + 15 * DAY + 2 * HOUR);                  /* the slow courier reaches ana */
    give(beto, ana, estas1);
    assert_true(has_message(ana, "estas1"));
    assert_int_equal(restarts_of(ana, beto, 1), 1);   /* A begun again: B */
    say_for(ana, "beto", "corta", 24, corta);      /* on B, lives a day */
    at(T0 + 16 * DAY + 8 * HOUR);
    give(beto, ana, estas2);
    assert_true(has_message(ana, "estas2"));
    give(beto, ana, lei);
    if (!has_message(ana, "ya te lei"))
        fail_msg("ana began her chain again twice (restarts %u); beto had entered the first "
                 "one, which the second restart forgot: his reply no longer opens for her "
                 "(the root keys parted for good)", (unsigned)restarts_of(ana, beto, 1));
    tell(ana, "beto", beto, "bien");
    assert_true(has_message(beto, "bien"));
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restarted_chain_shares_nothing),
        cmocka_unit_test(test_every_restart_shares_no_tag),
        cmocka_unit_test(test_peer_clock_ahead_then_corrected),
        cmocka_unit_test(test_first_contact_responder_restarts),
        cmocka_unit_test(test_live_old_notes_do_not_block_new_ones),
        cmocka_unit_test(test_peer_clock_ahead_note_delivered_late),
        cmocka_unit_test(test_restart_by_a_note_of_an_older_peer_chain),
        cmocka_unit_test(test_second_restart_forgets_the_chain_the_peer_entered),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
