/*
 * A listener in a thread of the test program, for the unit tests that sync
 * real profiles over loopback TCP: started on 127.0.0.1 with a port the
 * system picks, waited for (bounded: 10 s), stopped and joined. Include
 * after profiles.h.
 */
#ifndef ENL_TEST_LISTENING_H
#define ENL_TEST_LISTENING_H

#include <pthread.h>
#include <time.h>

typedef struct {
    enl_profile *p;
    int open;                   /* an open relay */
    int once;                   /* one connection, then stop */
    int timeout_ms;             /* the links' (0: ENL_LINK_TIMEOUT_MS) */
    volatile int stop;
    volatile int ready;
    int rc;
    char bound[64];
    int sessions_ok, sessions_failed;
    int sessions_cut;           /* of those failed: cut for the same contact's newer one */
    int last_rc, last_peer_closed;  /* the last session's result, and whether its peer left */
    pthread_t thread;
} listening;

static inline void on_ready(void *ctx, const char *bound)
{
    listening *l = ctx;
    snprintf(l->bound, sizeof l->bound, "%s", bound);
    l->ready = 1;
}

/* Called under the listener's lock: never two at once. */
static inline void on_session(void *ctx, const char *peer, int rc, const enl_sync_stats *st)
{
    listening *l = ctx;
    l->last_rc = rc;
    l->last_peer_closed = st != NULL && st->peer_closed;
    if (rc == ENL_OK) l->sessions_ok++;
    else {
        l->sessions_failed++;
        if (rc == ENL_EDUPLICATE) l->sessions_cut++;
        else print_error("session with %s: %s\n", peer, enl_strerror(rc));
    }
}

static inline void *listen_thread(void *arg)
{
    listening *l = arg;
    enl_listen_opts o;
    memset(&o, 0, sizeof o);
    o.open = l->open;
    o.once = l->once;
    o.timeout_ms = l->timeout_ms;
    o.stop = &l->stop;
    o.ready = on_ready;
    o.session = on_session;
    o.ctx = l;
    l->rc = enl_listen(l->p, "127.0.0.1:0", &o);
    return NULL;
}

/* A listener with the links' timeout set (0: the default), serving one
 * connection only when once is set. */
static inline void start_listening_with(listening *l, enl_profile *p, int open, int timeout_ms,
                                        int once)
{
    struct timespec pause = { 0, 20 * 1000000L };
    memset(l, 0, sizeof *l);
    l->p = p;
    l->open = open;
    l->timeout_ms = timeout_ms;
    l->once = once;
    l->rc = -1;
    assert_int_equal(pthread_create(&l->thread, NULL, listen_thread, l), 0);
    for (int i = 0; i < 500 && !l->ready; i++) nanosleep(&pause, NULL);
    assert_true(l->ready);
}

static inline void start_listening(listening *l, enl_profile *p, int open)
{
    start_listening_with(l, p, open, 0, 0);
}

static inline void stop_listening(listening *l)
{
    l->stop = 1;
    assert_int_equal(pthread_join(l->thread, NULL), 0);
    assert_int_equal(l->rc, ENL_OK);
}

#if defined(ENL_SYNC_LINK_H) && defined(ENL_SYNC_RECONCILE_H)
/* For tests that speak the link protocol by hand (include sync/link.h and
 * sync/reconcile.h first). */
static inline void recon_nothing(void *ctx, const uint8_t id[32])
{
    (void)ctx;
    (void)id;
}

/* Two random note keys, in the sorted order announce_notes takes. */
static inline void two_sorted_keys(uint8_t keys[2][32])
{
    randombytes_buf(keys, 2 * 32);
    if (memcmp(keys[0], keys[1], 32) > 0) {
        uint8_t k[32];
        memcpy(k, keys[0], 32);
        memcpy(keys[0], keys[1], 32);
        memcpy(keys[1], k, 32);
    }
}

/* The first reconciliation message of a peer that holds no burns, no
 * purges and the n notes keys[] (sorted), which the listener lacks: it
 * answers that it expects n items. */
static inline void announce_notes(enl_link *link, const uint8_t (*keys)[32], size_t n)
{
    uint8_t salt[ENL_RECON_SALTBYTES], scratch[3][256];
    uint8_t *msg = malloc(1 + 3 * (4 + ENL_RECON_MSG_MAX));
    enl_recon r[3];
    size_t off = 1, len = 0;
    assert_non_null(msg);
    randombytes_buf(salt, sizeof salt);
    msg[0] = 0x01;
    for (int i = 0; i < 3; i++) {
        size_t ol = 0;
        assert_int_equal(enl_recon_init(&r[i], i == 2 ? keys : NULL, i == 2 ? n : 0, 1,
                                        recon_nothing, recon_nothing, NULL,
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
#endif

#endif
