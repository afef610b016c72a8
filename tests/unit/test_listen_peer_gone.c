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

typedef struct {
    enl_profile *p;
    volatile int ready;
    char bound[64];
    int rc, session_rc, peer_closed, sessions;
    pthread_t thread;
} once_listener;

static void ready_cb(void *ctx, const char *bound)
{
    once_listener *l = ctx;
    snprintf(l->bound, sizeof l->bound, "%s", bound);
    l->ready = 1;
}

static void session_cb(void *ctx, const char *peer, int rc, const enl_sync_stats *st)
{
    once_listener *l = ctx;
    (void)peer;
    l->sessions++;
    l->session_rc = rc;
    l->peer_closed = st->peer_closed;
}

static void *listen_thread(void *arg)
{
    once_listener *l = arg;
    enl_listen_opts o;
    memset(&o, 0, sizeof o);
    o.once = 1;
    o.timeout_ms = 5000;
    o.ready = ready_cb;
    o.session = session_cb;
    o.ctx = l;
    l->rc = enl_listen(l->p, "127.0.0.1:0", &o);
    return NULL;
}

static void recon_nothing(void *ctx, const uint8_t id[32])
{
    (void)ctx;
    (void)id;
}

/* The first reconciliation message of a peer that holds no burns, no
 * purges and two notes the listener lacks: it answers that it expects
 * two items. */
static void announce_two_notes(enl_link *link)
{
    uint8_t salt[ENL_RECON_SALTBYTES], scratch[3][256], keys[2][32];
    uint8_t *msg = malloc(1 + 3 * (4 + ENL_RECON_MSG_MAX));
    enl_recon r[3];
    size_t off = 1, len = 0;
    assert_non_null(msg);
    randombytes_buf(keys, sizeof keys);
    if (memcmp(keys[0], keys[1], 32) > 0) {
        uint8_t k[32];
        memcpy(k, keys[0], 32);
        memcpy(keys[0], keys[1], 32);
        memcpy(keys[1], k, 32);
    }
    randombytes_buf(salt, sizeof salt);
    msg[0] = 0x01;
    for (int i = 0; i < 3; i++) {
        size_t ol = 0;
        assert_int_equal(enl_recon_init(&r[i], i == 2 ? (const uint8_t (*)[32])keys : NULL,
                                        i == 2 ? 2 : 0, 1, recon_nothing, recon_nothing, NULL,
                                        scratch[i], sizeof scratch[i]), ENL_OK);
        assert_int_equal(enl_recon_first(&r[i], salt, msg + off + 4, ENL_RECON_MSG_MAX, &ol), ENL_OK);
        msg[off] = 0;
        msg[off + 1] = 0;
        msg[off + 2] = (uint8_t)(ol >> 8);
        msg[off + 3] = (uint8_t)ol;
        off += 4 + ol;
    }
    assert_int_equal(enl_link_send(link, msg, off), ENL_OK);
    assert_int_equal(enl_link_recv(link, msg, 1 + 3 * (4 + ENL_RECON_MSG_MAX), &len), ENL_OK);
    assert_int_equal(msg[0], 0x01);
    free(msg);
}

enum { GONE_CLOSED, GONE_RESET, BAD_ITEM };

/* lea listens once; mal connects, announces two notes and then, as said by
 * how: closes, resets the connection, or sends an item of an unknown type. */
static void peer_goes(const char *ln, const char *mn, int how, int *session_rc, int *peer_closed)
{
    enl_profile *lea = mkprofile(ln), *mal = mkprofile(mn);
    struct timespec pause = { 0, 20 * 1000000L };
    once_listener l;
    enl_link link;
    char host[64], port[16];
    int fd = -1;

    introduce(mal, mn, lea, ln);
    memset(&l, 0, sizeof l);
    l.p = lea;
    assert_int_equal(pthread_create(&l.thread, NULL, listen_thread, &l), 0);
    for (int i = 0; i < 500 && !l.ready; i++) nanosleep(&pause, NULL);
    assert_true(l.ready);
    assert_int_equal(enl_tcp_split(l.bound, host, sizeof host, port, sizeof port), ENL_OK);
    assert_int_equal(enl_tcp_connect(&fd, host, port, 5000), ENL_OK);
    assert_int_equal(enl_link_initiate(&link, fd, mal->id->dh_sk, lea->id->dh_pk, 5000), ENL_OK);
    announce_two_notes(&link);
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
    assert_int_equal(pthread_join(l.thread, NULL), 0);
    assert_int_equal(l.sessions, 1);
    assert_int_equal(l.rc, l.session_rc);
    *session_rc = l.session_rc;
    *peer_closed = l.peer_closed;
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
