/* A listener, through the library on real profiles:
 *  - one that runs for months keeps its prekey on time: its signed prekey
 *    is replaced when due while it listens (not only when a profile opens);
 *  - eight contacts syncing at once are all served, while the owner's own
 *    commands (another connection to the profile) still write in time, and
 *    the quota of purges kept for others holds across the sessions (each
 *    session counts what the others committed). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/profile.h"
#include "crypto/identity.h"
#include "note/note.h"
#include "store/store.h"
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
        return NULL;
    }
    while (!s->stop) {
        if (enl_send_text(own, "p0", (const uint8_t *)"still here", 10, NULL, NULL) == ENL_OK) s->sent++;
        else s->failed++;
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
    sender s = { 0, 0, 0 };
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eight_at_once),
        cmocka_unit_test(test_listener_rotates_its_prekey),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
