/* Accepting on a listener whose next connection failed on the network.
 * Linux hands errors already pending on a new TCP connection back from
 * accept (accept(2): ENETDOWN, EPROTO, ENOPROTOOPT, EHOSTDOWN, ENONET,
 * EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH) and asks that they be treated like
 * EAGAIN. They are one caller's trouble, not the listener's: a relay that
 * stopped listening for them would be down until someone restarted it.
 * Built with accept4 wrapped (see the Makefile) to make them happen. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "enlace.h"
#include "transport/tcp.h"

int __real_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int __wrap_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

static int fail_with;   /* not 0: the next accept4 fails so, once */
static int calls;

int __wrap_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    calls++;
    if (fail_with != 0) {
        errno = fail_with;
        fail_with = 0;
        return -1;
    }
    return __real_accept4(fd, addr, len, flags);
}

static void accept_after(int err)
{
    char bound[64], *port;
    int lfd = -1, cfd = -1, afd = -1;
    assert_int_equal(enl_tcp_listen(&lfd, "127.0.0.1", "0", bound, sizeof bound), ENL_OK);
    port = strrchr(bound, ':') + 1;
    assert_int_equal(enl_tcp_connect(&cfd, "127.0.0.1", port, 5000), ENL_OK);
    fail_with = err;
    calls = 0;
    assert_int_equal(enl_tcp_accept(lfd, &afd, 5000), ENL_OK);
    assert_int_equal(calls, 2);
    assert_true(afd >= 0);
    close(afd);
    close(cfd);
    close(lfd);
}

static void test_pending_network_errors_are_retried(void **state)
{
    static const int errs[] = { ENETDOWN, EPROTO, ENOPROTOOPT, EHOSTDOWN, ENONET,
                                EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH, ECONNABORTED };
    (void)state;
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) accept_after(errs[i]);
}

static void test_a_broken_listener_still_fails(void **state)
{
    char bound[64];
    int lfd = -1, afd = -1;
    (void)state;
    assert_int_equal(enl_tcp_listen(&lfd, "127.0.0.1", "0", bound, sizeof bound), ENL_OK);
    /* a connection waits, so the poll says ready; the accept itself fails */
    {
        int cfd = -1;
        assert_int_equal(enl_tcp_connect(&cfd, "127.0.0.1", strrchr(bound, ':') + 1, 5000), ENL_OK);
        fail_with = EBADF;
        assert_int_equal(enl_tcp_accept(lfd, &afd, 5000), ENL_ENET);
        close(cfd);
    }
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pending_network_errors_are_retried),
        cmocka_unit_test(test_a_broken_listener_still_fails),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
