/*
 * A peer that floods: bytes always waiting, so that recv never says
 * EAGAIN. enl_tcp_drain, which a listener runs on a prober's connection
 * "until the prober closes or the time is out" (however much comes), must
 * still stop when the time is out: else anyone who reaches the port and
 * sends faster than the listener reads holds a handshake thread (and,
 * where no thread can be started, the whole listener) for as long as they
 * keep sending.
 *
 * Built with recv and clock_gettime wrapped (see the Makefile): the flood
 * is a recv that always returns a full buffer, and time is a clock that
 * moves 1 ms whenever it is read during the flood, so nothing depends on
 * how fast the machine is. The flood stops by itself (the peer "closes")
 * after FLOOD_CALLS reads, so a drain that ignores the time ends the test
 * with a wrong answer instead of hanging it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "enlace.h"
#include "sync/link.h"
#include "transport/tcp.h"

#define FLOOD_CALLS 200000

ssize_t __real_recv(int fd, void *buf, size_t len, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);
int __real_clock_gettime(clockid_t clk, struct timespec *ts);
int __wrap_clock_gettime(clockid_t clk, struct timespec *ts);

static int flooding;
static long recv_calls;
static int64_t fake_ms;

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
    if (!flooding) return __real_recv(fd, buf, len, flags);
    if (++recv_calls > FLOOD_CALLS) return 0;      /* the flooder gives up: closed */
    memset(buf, 0xa5, len);
    return (ssize_t)len;
}

int __wrap_clock_gettime(clockid_t clk, struct timespec *ts)
{
    if (!flooding || clk != CLOCK_MONOTONIC) return __real_clock_gettime(clk, ts);
    fake_ms++;
    ts->tv_sec = (time_t)(fake_ms / 1000);
    ts->tv_nsec = (long)(fake_ms % 1000) * 1000000L;
    return 0;
}

static void flood_on(void)
{
    flooding = 1;
    recv_calls = 0;
    fake_ms = 1000000;
}

static void test_drain_stops_when_the_time_is_out(void **state)
{
    int sv[2], rc;
    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    flood_on();
    rc = enl_tcp_drain(sv[0], 500, SIZE_MAX);
    flooding = 0;
    assert_int_equal(rc, ENL_ETIMEOUT);
    /* the clock moves 1 ms a read: about 500 reads, never the whole flood */
    assert_true(recv_calls < 1000);
    close(sv[0]);
    close(sv[1]);
}

/* The same through the listener's side of the handshake: a prober whose
 * first 50 bytes are not a first message, and who never stops sending. */
static void test_a_flooding_prober_is_dropped_in_time(void **state)
{
    uint8_t sk[32];
    enl_link l;
    int sv[2], rc;
    (void)state;
    randombytes_buf(sk, sizeof sk);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    flood_on();
    rc = enl_link_respond(&l, sv[0], sk, 5000);
    flooding = 0;
    assert_int_equal(rc, ENL_EDECRYPT);
    assert_true(recv_calls < 10000);
    sodium_memzero(sk, sizeof sk);
    close(sv[0]);
    close(sv[1]);
}

/* A byte bound still ends a flood of a drain that has one (say_busy). */
static void test_drain_byte_bound_still_holds(void **state)
{
    int sv[2], rc;
    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    flood_on();
    rc = enl_tcp_drain(sv[0], 1000000, 40960);
    flooding = 0;
    assert_int_equal(rc, ENL_ETOOBIG);
    assert_int_equal(recv_calls, 10);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drain_stops_when_the_time_is_out),
        cmocka_unit_test(test_a_flooding_prober_is_dropped_in_time),
        cmocka_unit_test(test_drain_byte_bound_still_holds),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
