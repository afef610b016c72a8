/* A listener's session whose peer goes away half way (its sync stopped by
 * Ctrl-C or killed: the connection closed, or reset) is told apart from a
 * peer that broke the protocol: the session's stats say peer_closed, so
 * that `enlace listen` says the link broke, not "protocol violation by the
 * peer". A peer that does send something the protocol forbids is still
 * reported as such. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/profile.h"
#include "sync/link.h"
#include "sync/reconcile.h"
#include "transport/tcp.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-peer-gone-XXXXXX"
#include "profiles.h"

#include "listening.h"

enum { GONE_CLOSED, GONE_RESET, BAD_ITEM };

/* lea listens once; mal connects, announces two notes and then, as said by
 * how: closes, resets the connection, or sends an item of an unknown type. */
static void peer_goes(const char *ln, const char *mn, int how, int *session_rc, int *peer_closed)
{
    enl_profile *lea = mkprofile(ln), *mal = mkprofile(mn);
    listening l;
    enl_link link;
    char host[64], port[16];
    int fd = -1;

    introduce(mal, mn, lea, ln);
    start_listening_with(&l, lea, 0, 5000, 1);
    assert_int_equal(enl_tcp_split(l.bound, host, sizeof host, port, sizeof port), ENL_OK);
    assert_int_equal(enl_tcp_connect(&fd, host, port, 5000), ENL_OK);
    assert_int_equal(enl_link_initiate(&link, fd, mal->id->dh_sk, lea->id->dh_pk, 5000), ENL_OK);
    {
        uint8_t keys[2][32];     /* two notes the listener lacks */
        two_sorted_keys(keys);
        announce_notes(&link, (const uint8_t (*)[32])keys, 2);
    }
    if (how == BAD_ITEM) {
        uint8_t item[64];
        memset(item, 0x5a, sizeof item);
        item[0] = 0x77;     /* no such type */
        assert_int_equal(enl_link_send(&link, item, sizeof item), ENL_OK);
        /* wait for the listener to cut us off: the close is not ours */
        (void)enl_tcp_drain(fd, 5000, 1 << 20);
    } else if (how == GONE_RESET) {
        struct linger lg = { 1, 0 };
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    }
    enl_link_wipe(&link);
    enl_tcp_close(fd);
    /* not stop_listening: a listener for one session returns its result */
    assert_int_equal(pthread_join(l.thread, NULL), 0);
    assert_int_equal(l.sessions_ok + l.sessions_failed, 1);
    assert_int_equal(l.rc, l.last_rc);
    *session_rc = l.last_rc;
    *peer_closed = l.last_peer_closed;
    enl_profile_close(mal);
    enl_profile_close(lea);
}

static void test_peer_closed_half_way(void **state)
{
    int rc, closed;
    (void)state;
    peer_goes("lea1", "mal1", GONE_CLOSED, &rc, &closed);
    assert_true(rc == ENL_EPROTO || rc == ENL_ENET);
    assert_true(closed);
}

static void test_peer_reset_half_way(void **state)
{
    int rc, closed;
    (void)state;
    peer_goes("lea2", "mal2", GONE_RESET, &rc, &closed);
    assert_true(rc == ENL_EPROTO || rc == ENL_ENET);
    assert_true(closed);
}

static void test_protocol_violation_is_still_one(void **state)
{
    int rc, closed;
    (void)state;
    peer_goes("lea3", "mal3", BAD_ITEM, &rc, &closed);
    assert_int_equal(rc, ENL_EPROTO);
    assert_false(closed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peer_closed_half_way),
        cmocka_unit_test(test_peer_reset_half_way),
        cmocka_unit_test(test_protocol_violation_is_still_one),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
