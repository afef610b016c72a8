/* A listener, through the library on real profiles:
 *  - one that runs for months keeps its prekey on time: its signed prekey
 *    is replaced when due while it listens (not only when a profile opens);
 *  - eight contacts syncing at once are all served, while the owner's own
 *    commands (another connection to the profile) still write in time, and
 *    the quota of purges kept for others holds across the sessions (each
 *    session counts what the others committed);
 *  - a contact that trickles a note in, a few bytes at a time with pauses
 *    shorter than 20 ms, does not keep the profile's write lock while it
 *    does;
 *  - a contact that keeps sending does not keep a listener told to stop. */
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
#include "crypto/identity.h"
#include "crypto/revocation.h"
#include "note/note.h"
#include "store/store.h"
#include "sync/link.h"
#include "sync/reconcile.h"
#include "transport/tcp.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-listen-XXXXXX"
#include "profiles.h"

#include "listening.h"

/* Listens for about a second, then stops. */
static void listen_a_while(enl_profile *p)
{
    listening l;
    struct timespec pause = { 0, 100 * 1000000L };
    start_listening(&l, p, 0);
    for (int i = 0; i < 10; i++) nanosleep(&pause, NULL);
    stop_listening(&l);
}

static void set_now(uint64_t t)
{
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)t);
    assert_int_equal(setenv("ENLACE_NOW", v, 1), 0);
}

static void test_listener_rotates_its_prekey(void **state)
{
    const uint64_t t0 = 1790000000;
    enl_profile *ana;
    uint32_t first;
    (void)state;

    set_now(t0);
    ana = mkprofile("ana");
    first = ana->id->prekey_id;
    /* Not due: listening changes nothing. */
    listen_a_while(ana);
    assert_int_equal(ana->id->prekey_id, first);
    /* A month and a minute later, the same listener (never reopened). */
    set_now(t0 + ENL_PREKEY_ROTATE + 60);
    listen_a_while(ana);
    assert_int_not_equal(ana->id->prekey_id, first);
    assert_int_equal(ana->id->prekey_created, t0 + ENL_PREKEY_ROTATE + 60);
    enl_profile_close(ana);
    unsetenv("ENLACE_NOW");
}

#define PEERS 8
#define PURGES_EACH 600
#define QUOTA 2000

typedef struct {
    enl_profile *p;
    const char *bound;
    int rc;
} peer;

static void *sync_thread(void *arg)
{
    peer *x = arg;
    char target[128];
    snprintf(target, sizeof target, "tcp://leo@%s", x->bound);
    x->rc = enl_sync_tcp(x->p, target, NULL, NULL);
    return NULL;
}

typedef struct {
    volatile int stop;
    volatile int ready;     /* its profile is open and it has sent once */
    int sent, failed;
} sender;

/* The owner's `enlace send`, as another process would: its own handle. */
static void *send_thread(void *arg)
{
    sender *s = arg;
    char home[300];
    enl_profile *own = NULL;
    struct timespec pause = { 0, 20 * 1000000L };
    snprintf(home, sizeof home, "%s/leo", root);
    if (enl_profile_open(&own, home, "pw", 2) != ENL_OK) {
        s->failed = -1;
        s->ready = 1;
        return NULL;
    }
    while (!s->stop) {
        if (enl_send_text(own, "p0", (const uint8_t *)"still here", 10, NULL, NULL) == ENL_OK) s->sent++;
        else s->failed++;
        s->ready = 1;
        nanosleep(&pause, NULL);
    }
    enl_profile_close(own);
    return NULL;
}

static void test_eight_at_once(void **state)
{
    enl_profile *leo = mkprofile("leo");
    peer peers[PEERS];
    pthread_t st, th[PEERS];
    listening l;
    sender s = { 0, 0, 0, 0 };
    struct timespec tick = { 0, 10 * 1000000L };
    uint64_t held = 0;
    (void)state;

    for (int i = 0; i < PEERS; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        peers[i].p = mkprofile(name);
        introduce(peers[i].p, name, leo, "leo");
        /* purges of notes nobody here holds: kept for others, under quota */
        for (int k = 0; k < PURGES_EACH; k++) {
            uint8_t key[32], rec[ENL_PURGEBYTES];
            randombytes_buf(key, sizeof key);
            enl_purge_encode(rec, enl_now_hours() + 100, key);
            assert_int_equal(enl_purge_intake(peers[i].p, rec, sizeof rec, NULL), ENL_OK);
        }
    }
    enl_profile_set_quota(leo, QUOTA, (uint64_t)1 << 30);
    start_listening(&l, leo, 0);
    assert_int_equal(pthread_create(&st, NULL, send_thread, &s), 0);
    /* The owner's sends must run while the peers sync: their profile's
     * unlock (Argon2id) can outlast all eight syncs on a busy machine. */
    for (int i = 0; i < 6000 && !s.ready; i++) nanosleep(&tick, NULL);
    assert_true(s.ready);
    for (int i = 0; i < PEERS; i++) {
        peers[i].bound = l.bound;
        assert_int_equal(pthread_create(&th[i], NULL, sync_thread, &peers[i]), 0);
    }
    for (int i = 0; i < PEERS; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
    s.stop = 1;
    assert_int_equal(pthread_join(st, NULL), 0);
    stop_listening(&l);

    for (int i = 0; i < PEERS; i++) {
        if (peers[i].rc != ENL_OK) fail_msg("peer %d's sync: %s", i, enl_strerror(peers[i].rc));
        enl_profile_close(peers[i].p);
    }
    assert_int_equal(l.sessions_failed, 0);
    assert_int_equal(l.sessions_ok, PEERS);
    assert_int_equal(s.failed, 0);
    assert_true(s.sent > 0);
    assert_int_equal(enl_store_count(leo->st, "purges", &held), ENL_OK);
    if (held > QUOTA) fail_msg("%llu purges kept for others, over the quota of %d",
                               (unsigned long long)held, QUOTA);
    enl_profile_close(leo);
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The bytes enl_link_send would put on the wire for msg (the link's nonce
 * moves on as if it had). */
static size_t sealed(enl_link *l, const uint8_t *msg, size_t len, uint8_t *out, size_t max)
{
    int sp[2], fd = l->fd;
    ssize_t n;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    l->fd = sp[0];
    assert_int_equal(enl_link_send(l, msg, len), ENL_OK);
    l->fd = fd;
    n = recv(sp[1], out, max, MSG_DONTWAIT);
    assert_true(n > 0 && (size_t)n < max);
    close(sp[0]);
    close(sp[1]);
    return (size_t)n;
}

typedef struct {
    int fd;
    const uint8_t *bytes;
    size_t len;
    int rc;
    volatile int done;      /* every byte written */
} trickle;

/* 8 bytes every 5 ms: never quiet for 20 ms, done in about 2.5 s. */
static void *trickle_thread(void *arg)
{
    trickle *t = arg;
    struct timespec gap = { 0, 5 * 1000000L };
    t->rc = ENL_OK;
    for (size_t off = 0; t->rc == ENL_OK && off < t->len; off += 8) {
        size_t k = t->len - off < 8 ? t->len - off : 8;
        t->rc = enl_tcp_write_all(t->fd, t->bytes + off, k, 5000);
        nanosleep(&gap, NULL);
    }
    t->done = 1;
    return NULL;
}

static void test_trickling_peer_holds_no_lock(void **state)
{
    enl_profile *lea = mkprofile("lea"), *mal = mkprofile("mal"), *own = NULL;
    uint8_t keys[2][32], item[4001];
    uint8_t *msg = malloc(1 + 3 * (4 + ENL_RECON_MSG_MAX)), *wire1 = malloc(8192), *wire2 = malloc(8192);
    enl_link link;
    listening l;
    trickle t;
    pthread_t th;
    struct timespec t0, pause = { 0, 150 * 1000000L };
    char home[300], host[64], port[16];
    size_t len = 0, n1, n2;
    double waited;
    int fd = -1, during;
    (void)state;

    introduce(mal, "mal", lea, "lea");
    snprintf(home, sizeof home, "%s/lea", root);
    assert_int_equal(enl_profile_open(&own, home, "pw", 2), ENL_OK);
    start_listening(&l, lea, 0);
    assert_int_equal(enl_tcp_split(l.bound, host, sizeof host, port, sizeof port), ENL_OK);
    assert_int_equal(enl_tcp_connect(&fd, host, port, 5000), ENL_OK);
    assert_int_equal(enl_link_initiate(&link, fd, mal->id->dh_sk, lea->id->dh_pk, 5000), ENL_OK);

    /* No burns, no purges, two notes that lea lacks: she expects two. */
    two_sorted_keys(keys);
    announce_notes(&link, (const uint8_t (*)[32])keys, 2);

    /* The first note (junk: skipped) at once, so that lea has a batch open;
     * the second, announced as well, a few bytes at a time. */
    memset(item, 0x5a, sizeof item);
    item[0] = 0x03;
    n1 = sealed(&link, item, 300, wire1, 8192);
    n2 = sealed(&link, item, sizeof item, wire2, 8192);
    assert_int_equal(enl_tcp_write_all(fd, wire1, n1, 5000), ENL_OK);
    t.fd = fd;
    t.bytes = wire2;
    t.len = n2;
    t.done = 0;
    assert_int_equal(pthread_create(&th, NULL, trickle_thread, &t), 0);
    nanosleep(&pause, NULL);

    /* The owner's command, meanwhile: the write lock is free, taken while
     * the peer is still trickling (not only once it is done). */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(enl_store_begin(own->st), ENL_OK);
    waited = ms_since(&t0);
    during = !t.done;
    enl_store_rollback(own->st);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(t.rc, ENL_OK);

    /* END; lea has nothing for mal but END. */
    item[0] = 0x04;
    assert_int_equal(enl_link_send(&link, item, 1), ENL_OK);
    assert_int_equal(enl_link_recv(&link, msg, 1 + 3 * (4 + ENL_RECON_MSG_MAX), &len), ENL_OK);
    assert_int_equal(len, 1);
    assert_int_equal(msg[0], 0x04);
    enl_link_wipe(&link);
    enl_tcp_close(fd);
    stop_listening(&l);
    assert_int_equal(l.sessions_ok, 1);
    if (!during) fail_msg("the owner waited %.0f ms for the write lock, until a trickling peer "
                          "was done", waited);
    free(msg);
    free(wire1);
    free(wire2);
    enl_profile_close(own);
    enl_profile_close(mal);
    enl_profile_close(lea);
}

static int cmp32(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* A peer that keeps sending, each item well within the link's timeout,
 * cannot keep a listener that was told to stop: the sessions under way
 * get the link's timeout to finish, then are cut. With once, the one
 * session is cut the same way (it used to be served outside the pool, out
 * of reach of a stop: Ctrl-C did nothing to `listen --once`). */
static void stop_with_a_peer_sending(int once)
{
    enum { NOTES = 8, TIMEOUT_MS = 2000, GAP_MS = 1500 };
    const char *ln = once ? "lea3" : "lea2", *mn = once ? "mal3" : "mal2";
    enl_profile *lea = mkprofile(ln), *mal = mkprofile(mn);
    uint8_t keys[NOTES][32], item[300];
    enl_link link;
    listening l;
    struct timespec t0, tick = { 0, 50 * 1000000L };
    char host[64], port[16];
    double stopped_after = -1, last_send = 0;
    int fd = -1, sent = 1;

    introduce(mal, mn, lea, ln);
    start_listening_with(&l, lea, 0, TIMEOUT_MS, once);
    assert_int_equal(enl_tcp_split(l.bound, host, sizeof host, port, sizeof port), ENL_OK);
    assert_int_equal(enl_tcp_connect(&fd, host, port, 5000), ENL_OK);
    assert_int_equal(enl_link_initiate(&link, fd, mal->id->dh_sk, lea->id->dh_pk, 5000), ENL_OK);

    /* NOTES notes that lea lacks (in one list): she expects NOTES items. */
    randombytes_buf(keys, sizeof keys);
    qsort(keys, NOTES, 32, cmp32);
    announce_notes(&link, (const uint8_t (*)[32])keys, NOTES);

    /* Junk notes (skipped, the link holds), one every GAP_MS: the listener
     * is told to stop after the first. */
    memset(item, 0x5a, sizeof item);
    item[0] = 0x03;
    assert_int_equal(enl_link_send(&link, item, sizeof item), ENL_OK);
    l.stop = 1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (stopped_after < 0) {
        double now = ms_since(&t0);
        if (pthread_tryjoin_np(l.thread, NULL) == 0) {
            stopped_after = now;
            break;
        }
        if (now - last_send >= GAP_MS) {
            last_send = now;
            /* the NOTES items, then END; once the link is cut, sends fail */
            item[0] = sent < NOTES ? 0x03 : 0x04;
            if (enl_link_send(&link, item, sent < NOTES ? sizeof item : 1) == ENL_OK) sent++;
        }
        if (now > 60000) break;
        nanosleep(&tick, NULL);
    }
    if (stopped_after < 0) assert_int_equal(pthread_join(l.thread, NULL), 0);
    enl_link_wipe(&link);
    enl_tcp_close(fd);
    /* The session was cut: a listener that stops is fine, but --once says
     * that its one sync did not finish. */
    if (once) assert_int_equal(l.rc, ENL_ETIMEOUT);
    else assert_int_equal(l.rc, ENL_OK);
    /* Not a time limit (a busy machine must not fail this): the listener
     * must have stopped while the peer still had items to send, where it
     * used to wait for the peer's END, NOTES * GAP_MS later. */
    if (stopped_after < 0 || sent > NOTES)
        fail_msg("the listener stopped %.0f ms after it was told to, once the peer had sent "
                 "everything (an item every %d ms)", stopped_after, GAP_MS);
    enl_profile_close(mal);
    enl_profile_close(lea);
}

static void test_stop_is_not_held_by_a_peer(void **state)
{
    (void)state;
    stop_with_a_peer_sending(0);
}

static void test_once_stops_too(void **state)
{
    (void)state;
    stop_with_a_peer_sending(1);
}

/* A burn notice that both sides hold is not sent again: each device keeps
 * a notice a year from when it took it in, so the same notice had another
 * expiry on each side, and the reconciliation, keyed by (expiry, id), took
 * it for two notices each side lacked: at every sync, every notice went
 * both ways again, and a sync with nothing to do was no longer one round
 * trip. */
static void test_burn_held_by_both_is_not_sent_again(void **state)
{
    const uint64_t t0 = 1790000000;
    enl_profile *ana, *beto, *carmen;
    enl_sync_stats st;
    listening l;
    char *rev = NULL, target[128];
    (void)state;

    set_now(t0);
    ana = mkprofile("bana");
    beto = mkprofile("bbeto");
    carmen = mkprofile("bcarmen");
    introduce(ana, "ana", beto, "beto");
    introduce(beto, "beto", carmen, "carmen");
    assert_int_equal(enl_revocation_export(ana, "if I am taken", &rev), ENL_OK);
    assert_int_equal(enl_revocation_hold(beto, "ana", rev), ENL_OK);
    free(rev);
    assert_int_equal(enl_revocation_publish(beto, "ana"), ENL_OK);

    /* carmen takes it in five hours later than beto did */
    set_now(t0 + 5 * 3600);
    start_listening(&l, beto, 0);
    snprintf(target, sizeof target, "tcp://beto@%s", l.bound);
    assert_int_equal(enl_sync_tcp(carmen, target, NULL, &st), ENL_OK);
    assert_int_equal(st.burns_received, 1);
    /* now both hold it: nothing moves */
    assert_int_equal(enl_sync_tcp(carmen, target, NULL, &st), ENL_OK);
    assert_int_equal(st.burns_sent, 0);
    assert_int_equal(st.burns_received, 0);
    assert_int_equal(st.duplicates, 0);
    stop_listening(&l);
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    unsetenv("ENLACE_NOW");
}

/* Burned keys are the captor's: the listener refuses them as it refuses a
 * stranger, and a sync to a burned contact's device is not even tried.
 * Before, both were served: whoever held the seized device learned that
 * the other was alive and where, and got every note it carried. */
static void test_burned_contact_is_not_synced(void **state)
{
    enl_profile *ana, *beto;
    enl_sync_stats st;
    listening la, lb;
    char *rev = NULL, target[128];
    (void)state;

    ana = mkprofile("xana");
    beto = mkprofile("xbeto");
    introduce(ana, "ana", beto, "beto");
    assert_int_equal(enl_send_text(ana, "beto", (const uint8_t *)"hola", 4, NULL, NULL), ENL_OK);
    assert_int_equal(enl_revocation_export(ana, "taken", &rev), ENL_OK);
    assert_int_equal(enl_revocation_hold(beto, "ana", rev), ENL_OK);
    free(rev);
    assert_int_equal(enl_revocation_publish(beto, "ana"), ENL_OK);

    /* ana's device, in the captor's hands, calls beto's listener */
    start_listening(&lb, beto, 0);
    snprintf(target, sizeof target, "tcp://beto@%s", lb.bound);
    memset(&st, 0, sizeof st);
    assert_int_not_equal(enl_sync_tcp(ana, target, NULL, &st), ENL_OK);
    assert_int_equal(st.notes_sent, 0);
    stop_listening(&lb);

    /* beto does not call ana's */
    start_listening(&la, ana, 0);
    snprintf(target, sizeof target, "tcp://ana@%s", la.bound);
    assert_int_equal(enl_sync_tcp(beto, target, NULL, &st), ENL_EREFUSED);
    assert_non_null(strstr(enl_profile_errmsg(beto), "burned"));
    /* by name, with no address known: the burn is what it says */
    assert_int_equal(enl_sync_tcp(beto, "ana", NULL, &st), ENL_EREFUSED);
    assert_non_null(strstr(enl_profile_errmsg(beto), "burned"));
    stop_listening(&la);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

static int grab_burn(void *ctx, const uint8_t id[32], uint32_t expiry, uint64_t size)
{
    (void)expiry;
    (void)size;
    memcpy(ctx, id, 32);
    return 0;
}

/* Keys burned during a session: ana's device, seized, took in the notice
 * carmen published of her keys (a device keeps and carries a notice of its
 * own keys like any other) and hands it to beto first thing in a sync,
 * whichever side calls. beto then stops: before, the session went on, and
 * beto handed whoever held ana's keys the note carmen had sent ana, which
 * beto carried, and which opened there. */
static void burned_during_sync(int ana_calls)
{
    static int round;
    char an[16], bn[16], cn[16], target[128];
    enl_profile *ana, *beto, *carmen;
    enl_sync_stats st;
    enl_contact c;
    listening l;
    uint8_t id[32], bin[ENL_REVOCATION_MAXBYTES];
    size_t len = 0;
    char *rev = NULL;

    round++;
    snprintf(an, sizeof an, "wana%d", round);
    snprintf(bn, sizeof bn, "wbeto%d", round);
    snprintf(cn, sizeof cn, "wcarmen%d", round);
    ana = mkprofile(an);
    beto = mkprofile(bn);
    carmen = mkprofile(cn);
    introduce(ana, "ana", beto, "beto");
    introduce(ana, "ana", carmen, "carmen");
    assert_int_equal(enl_send_text(carmen, "ana", (const uint8_t *)"para ana", 8, NULL, NULL), ENL_OK);
    carry_all(carmen, beto);                /* beto carries it, not knowing for whom */
    assert_int_equal(enl_revocation_export(ana, "taken", &rev), ENL_OK);
    assert_int_equal(enl_revocation_hold(carmen, "ana", rev), ENL_OK);
    free(rev);
    assert_int_equal(enl_revocation_publish(carmen, "ana"), ENL_OK);
    assert_int_equal(enl_store_burn_items(carmen->st, grab_burn, id), ENL_OK);
    assert_int_equal(enl_store_burn_get(carmen->st, id, bin, sizeof bin, &len), ENL_OK);
    assert_int_equal(enl_burn_intake(ana, bin, len, NULL), ENL_OK);

    start_listening(&l, ana_calls ? beto : ana, 0);
    snprintf(target, sizeof target, "tcp://%s@%s", ana_calls ? "beto" : "ana", l.bound);
    memset(&st, 0, sizeof st);
    assert_int_not_equal(enl_sync_tcp(ana_calls ? ana : beto, target, NULL, &st), ENL_OK);
    stop_listening(&l);
    /* the notice came, and burned ana on beto's device */
    assert_int_equal(enl_contact_by_name(beto, "ana", &c), ENL_OK);
    assert_true(c.burned);
    /* and nothing went to ana's device after it */
    assert_false(has_message(ana, "para ana"));
    if (!ana_calls) {
        assert_int_equal(st.notes_sent, 0);
        assert_non_null(strstr(enl_profile_errmsg(beto), "burned during this sync"));
    }
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

static void test_burned_during_sync_calling(void **state)
{
    (void)state;
    burned_during_sync(1);
}

static void test_burned_during_sync_called(void **state)
{
    (void)state;
    burned_during_sync(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eight_at_once),
        cmocka_unit_test(test_listener_rotates_its_prekey),
        cmocka_unit_test(test_trickling_peer_holds_no_lock),
        cmocka_unit_test(test_stop_is_not_held_by_a_peer),
        cmocka_unit_test(test_once_stops_too),
        cmocka_unit_test(test_burn_held_by_both_is_not_sent_again),
        cmocka_unit_test(test_burned_contact_is_not_synced),
        cmocka_unit_test(test_burned_during_sync_calling),
        cmocka_unit_test(test_burned_during_sync_called),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
