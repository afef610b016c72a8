/* A listener that runs for months keeps its prekey on time: its signed
 * prekey is replaced when due while it listens (not only when a profile
 * opens), and the sessions it serves after that use the new one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/profile.h"
#include "crypto/identity.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-listen-XXXXXX"
#include "profiles.h"

typedef struct {
    enl_profile *p;
    volatile int stop;
    volatile int ready;
    int rc;
} listening;

static void on_ready(void *ctx, const char *bound)
{
    (void)bound;
    ((listening *)ctx)->ready = 1;
}

static void *listen_thread(void *arg)
{
    listening *l = arg;
    enl_listen_opts o;
    memset(&o, 0, sizeof o);
    o.stop = &l->stop;
    o.ready = on_ready;
    o.ctx = l;
    l->rc = enl_listen(l->p, "127.0.0.1:0", &o);
    return NULL;
}

/* Listens for about a second, then stops. */
static void listen_a_while(enl_profile *p)
{
    listening l = { p, 0, 0, -1 };
    pthread_t t;
    struct timespec pause = { 0, 100 * 1000000L };
    assert_int_equal(pthread_create(&t, NULL, listen_thread, &l), 0);
    for (int i = 0; i < 100 && !l.ready; i++) nanosleep(&pause, NULL);
    assert_true(l.ready);
    for (int i = 0; i < 10; i++) nanosleep(&pause, NULL);
    l.stop = 1;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(l.rc, ENL_OK);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listener_rotates_its_prekey),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
