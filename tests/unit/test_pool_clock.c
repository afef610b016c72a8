/*
 * The listener's pool waits (a contact waiting for a session slot, the
 * listener waiting for its sessions to end) counted on the wall clock: a
 * clock set back while a contact waited made the wait outlast the
 * contact's own timeout (it then saw a close, not "busy"), and one set
 * forward cut the wait short. They count on the monotonic clock now: a
 * deadline is on that clock, and the pool's condition waits on it.
 * (White-box: this file includes netsync.c.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "../../src/core/netsync.c"

static double seconds(const struct timespec *t)
{
    return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

/* A deadline is on the monotonic clock, not on the wall clock (whose
 * seconds since 1970 are far from those since boot). */
static void test_deadline_is_monotonic(void **state)
{
    struct timespec d, now;
    (void)state;
    deadline_in(&d, 1500);
    clock_gettime(CLOCK_MONOTONIC, &now);
    assert_true(seconds(&d) - seconds(&now) > 1.0);
    assert_true(seconds(&d) - seconds(&now) <= 1.5);
}

/* A wait for room in a full pool lasts its time and says there is none:
 * the condition and the deadline agree on their clock (on different
 * clocks, the wait would end at once, or after days). */
static void test_pool_wait_lasts_its_time(void **state)
{
    pool pl;
    struct timespec t0, t1;
    int room;
    (void)state;
    memset(&pl, 0, sizeof pl);
    pthread_mutex_init(&pl.mu, NULL);
    pool_cond_init(&pl.done);
    pl.active = 1;
    alarm(60);      /* a deadline on the other clock would wait for years */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    room = pool_wait(&pl, 1, 300);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    alarm(0);
    assert_int_equal(room, 0);
    assert_true(seconds(&t1) - seconds(&t0) >= 0.25);
    assert_true(seconds(&t1) - seconds(&t0) < 60.0);
    pthread_cond_destroy(&pl.done);
    pthread_mutex_destroy(&pl.mu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_is_monotonic),
        cmocka_unit_test(test_pool_wait_lasts_its_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
