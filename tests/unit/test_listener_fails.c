/*
 * A listener that fails on its own side (its disk full, its store broken)
 * closes the link. In the middle of a session, the side that synced said
 * "protocol violation by the peer", or "network error" when the close came
 * as a reset: it blamed the protocol, or the network, for what was the
 * listener's. Before the listener had said a word (its first commit, the
 * expiry of old notes, failing), the side that synced said that the
 * listener refused its key: "are you in beto's contacts?", to someone who
 * is. The listener now says FAIL before it closes, and the side that
 * synced says that the other device failed on its side.
 *
 * The side that syncs can fail on its own side as well (its disk full
 * while it takes in what the listener sends): it said "the link with beto
 * broke: profile database error", blaming the link for its own disk. It
 * now says that this device failed, with the store's reason.
 *
 * enl_store_commit is wrapped (TEST_WRAP in the Makefile): while failing
 * is set, the commits of the listener's session (a thread other than the
 * test's) fail, from the one numbered fail_from on, as on a full disk;
 * while failing_here is set, those of the test's own thread (the side
 * that syncs) fail instead.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define PROFILES_ROOT "/tmp/enl-listener-fails-XXXXXX"
#include "profiles.h"
#include "listening.h"
#include "store/store.h"

static volatile int failing;
static volatile int failing_here;
static int here_commits;          /* while failing_here: the test's own, counted */
static int listener_commits;    /* while failing: the listener's, counted */
static int fail_from;           /* the first of them that fails */
static pthread_t main_thread;

int __real_enl_store_commit(enl_store *st);
int __wrap_enl_store_commit(enl_store *st);

/* The listener's sessions run in threads of their own: theirs fail, from
 * the fail_from-th on (the first is its expiry of old notes, before it
 * says anything). */
int __wrap_enl_store_commit(enl_store *st)
{
    int mine = pthread_equal(pthread_self(), main_thread);
    if ((failing && !mine && ++listener_commits >= fail_from) || (failing_here && mine && ++here_commits >= fail_from)) {
        enl_store_rollback(st);         /* as a commit that fails does */
        return ENL_ESTORE;
    }
    return __real_enl_store_commit(st);
}

/* ana sends `notes` notes to beto, whose listener fails at its commit
 * number fail_at: ana must hear that beto's side failed (absent: what the
 * message must not say); once beto can store again, the notes go through. */
static void fails_then_goes_through(const char *an, const char *bn, int notes, int fail_at,
                                    const char *absent)
{
    enl_profile *ana = mkprofile(an), *beto = mkprofile(bn);
    enl_sync_stats st;
    listening l;
    char target[128];
    const char *why;
    int rc;

    main_thread = pthread_self();
    introduce(ana, "ana", beto, "beto");
    for (int i = 0; i < notes; i++)
        assert_int_equal(enl_send_text(ana, "beto", (const uint8_t *)"olla at six", 11, NULL, NULL),
                         ENL_OK);
    start_listening(&l, beto, 0);
    snprintf(target, sizeof target, "tcp://beto@%s", l.bound);
    listener_commits = 0;
    fail_from = fail_at;
    failing = 1;
    rc = enl_sync_tcp(ana, target, NULL, &st);
    failing = 0;
    why = enl_profile_errmsg(ana);
    print_message("%s: %s\n", enl_strerror(rc), why);
    assert_int_equal(rc, ENL_EPEERFAIL);
    assert_non_null(strstr(why, "beto's device failed on its side"));
    assert_null(strstr(why, absent));
    assert_null(strstr(why, "contacts"));
    stop_listening(&l);
    assert_int_equal(l.sessions_failed, 1);
    assert_int_equal(l.sessions_ok, 0);
    /* and once the listener can store again, the notes go through */
    start_listening(&l, beto, 0);
    snprintf(target, sizeof target, "tcp://beto@%s", l.bound);
    assert_int_equal(enl_sync_tcp(ana, target, NULL, &st), ENL_OK);
    stop_listening(&l);
    assert_true(has_message(beto, "olla at six"));
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* The listener fails in the middle of the session. */
static void test_the_syncing_side_hears_the_listener_closed(void **state)
{
    (void)state;
    fails_then_goes_through("ana", "beto", 3, 2, "protocol violation");
}

/* The listener's very first commit fails: it has not said a word yet. */
static void test_a_failure_before_a_word_is_no_refusal(void **state)
{
    (void)state;
    fails_then_goes_through("ana-2", "beto-2", 1, 1, "refused");
}

/* A listener that refuses the key closes without a word: from the syncing
 * side that is what a listener looks like that failed and could not say
 * so (an older one, one killed), and the message says both, honestly. */
static void test_a_refusal_says_what_it_may_be(void **state)
{
    enl_profile *ana = mkprofile("ana-3"), *beto = mkprofile("beto-3");
    enl_sync_stats st;
    listening l;
    char target[128], *card = NULL;
    const char *why;
    (void)state;

    /* ana holds beto's card; beto never added hers */
    assert_int_equal(enl_profile_card(beto, &card), ENL_OK);
    assert_int_equal(enl_contact_add(ana, card, "beto", NULL), ENL_OK);
    free(card);
    start_listening(&l, beto, 0);
    snprintf(target, sizeof target, "tcp://beto@%s", l.bound);
    assert_int_equal(enl_sync_tcp(ana, target, NULL, &st), ENL_EREFUSED);
    why = enl_profile_errmsg(ana);
    print_message("%s\n", why);
    assert_non_null(strstr(why, "beto's device refused this profile, or failed"));
    assert_non_null(strstr(why, "are you in beto's contacts?"));
    stop_listening(&l);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* The side that syncs cannot store (its disk is full): before the link
 * (its expiry of old notes), or while it takes in what the listener sends.
 * It says that it failed itself, and why, not that the link broke; once
 * it can store again, the notes come. */
static void own_failure_at(const char *an, const char *bn, int fail_at)
{
    enl_profile *ana = mkprofile(an), *beto = mkprofile(bn);
    enl_sync_stats st;
    listening l;
    char target[128];
    const char *why;
    int rc;

    main_thread = pthread_self();
    introduce(ana, "ana", beto, "beto");
    assert_int_equal(enl_send_text(beto, "ana", (const uint8_t *)"bring the flyers", 16, NULL, NULL),
                     ENL_OK);
    start_listening(&l, beto, 0);
    snprintf(target, sizeof target, "tcp://beto@%s", l.bound);
    here_commits = 0;
    fail_from = fail_at;
    failing_here = 1;
    rc = enl_sync_tcp(ana, target, NULL, &st);
    failing_here = 0;
    why = enl_profile_errmsg(ana);
    print_message("%s: %s\n", enl_strerror(rc), why);
    assert_int_equal(rc, ENL_ESTORE);
    assert_null(strstr(why, "broke"));
    assert_null(strstr(why, "beto's device failed"));
    assert_non_null(strstr(why, "this device failed on its own side"));
    stop_listening(&l);
    start_listening(&l, beto, 0);
    snprintf(target, sizeof target, "tcp://beto@%s", l.bound);
    assert_int_equal(enl_sync_tcp(ana, target, NULL, &st), ENL_OK);
    stop_listening(&l);
    assert_true(has_message(ana, "bring the flyers"));
    enl_profile_close(ana);
    enl_profile_close(beto);
}

static void test_the_syncing_side_says_its_own_failure(void **state)
{
    (void)state;
    own_failure_at("ana-4", "beto-4", 2);   /* before the link: said nothing */
    own_failure_at("ana-5", "beto-5", 3);   /* what came: "the link with beto broke" */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_syncing_side_hears_the_listener_closed),
        cmocka_unit_test(test_a_failure_before_a_word_is_no_refusal),
        cmocka_unit_test(test_a_refusal_says_what_it_may_be),
        cmocka_unit_test(test_the_syncing_side_says_its_own_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
