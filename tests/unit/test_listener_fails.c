/*
 * A listener that fails on its own side in the middle of a session (its
 * disk full, its store broken) closes the link. The side that synced said
 * "protocol violation by the peer", or "network error" when the close came
 * as a reset: it blamed the protocol, or the network, for what was the
 * listener's. It now says that the other device closed the connection.
 *
 * enl_store_commit is wrapped (TEST_WRAP in the Makefile): while failing
 * is set, the commits of the listener's session (a thread other than the
 * test's) fail once it has begun, as on a full disk.
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
static int listener_commits;    /* while failing: the listener's, counted */
static pthread_t main_thread;

int __real_enl_store_commit(enl_store *st);
int __wrap_enl_store_commit(enl_store *st);

/* The listener's sessions run in threads of their own: theirs fail, but
 * the first (its expiry of old notes, before it says anything: a listener
 * that closes before a word looks like one that refused the key). */
int __wrap_enl_store_commit(enl_store *st)
{
    if (failing && !pthread_equal(pthread_self(), main_thread) && ++listener_commits > 1) {
        enl_store_rollback(st);         /* as a commit that fails does */
        return ENL_ESTORE;
    }
    return __real_enl_store_commit(st);
}

static void test_the_syncing_side_hears_the_listener_closed(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto");
    enl_sync_stats st;
    listening l;
    char target[128];
    const char *why;
    int rc;
    (void)state;

    main_thread = pthread_self();
    introduce(ana, "ana", beto, "beto");
    for (int i = 0; i < 3; i++)
        assert_int_equal(enl_send_text(ana, "beto", (const uint8_t *)"olla at six", 11, NULL, NULL),
                         ENL_OK);
    start_listening(&l, beto, 0);
    snprintf(target, sizeof target, "tcp://beto@%s", l.bound);
    failing = 1;
    rc = enl_sync_tcp(ana, target, NULL, &st);
    failing = 0;
    why = enl_profile_errmsg(ana);
    print_message("%s: %s\n", enl_strerror(rc), why);
    assert_true(rc == ENL_EPROTO || rc == ENL_ENET);
    assert_non_null(strstr(why, "beto's device closed the connection"));
    assert_null(strstr(why, "protocol violation"));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_syncing_side_hears_the_listener_closed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
