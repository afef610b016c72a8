/*
 * The SOCKS5 client: its builders and reply parser on every reply code and
 * on malformed input; the bytes it sends for a name (ATYP 3: the proxy
 * resolves, never us), checked by a scripted proxy in a forked child; and
 * real connections through microsocks (Debian package microsocks), started
 * by the test on loopback, to an echo server on loopback, without and with
 * username/password. When microsocks is not installed the test fails and
 * says so: it installs nothing and skips nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "enlace.h"
#include "transport/socks5.h"
#include "transport/tcp.h"

/* ---- builders -------------------------------------------------------- */

static void test_greeting(void **state)
{
    uint8_t m[8];
    size_t n = 0;
    (void)state;
    assert_int_equal(enl_socks5_greeting(m, sizeof m, &n, 0), ENL_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(m, "\x05\x01\x00", 3);
    assert_int_equal(enl_socks5_greeting(m, sizeof m, &n, 1), ENL_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(m, "\x05\x02\x00\x02", 4);
    assert_int_equal(enl_socks5_greeting(m, 3, &n, 1), ENL_EBUFSIZE);
}

static void test_method_parse(void **state)
{
    uint8_t m = 0xaa;
    (void)state;
    assert_int_equal(enl_socks5_method_parse((const uint8_t *)"\x05\x00", 2, 0, &m), ENL_OK);
    assert_int_equal(m, ENL_SOCKS5_NO_AUTH);
    assert_int_equal(enl_socks5_method_parse((const uint8_t *)"\x05\x02", 2, 1, &m), ENL_OK);
    assert_int_equal(m, ENL_SOCKS5_USERPASS);
    /* A method we did not offer, or one we do not speak (GSSAPI). */
    assert_int_equal(enl_socks5_method_parse((const uint8_t *)"\x05\x02", 2, 0, &m), ENL_EPROTO);
    assert_int_equal(enl_socks5_method_parse((const uint8_t *)"\x05\x01", 2, 1, &m), ENL_EPROTO);
    assert_int_equal(enl_socks5_method_parse((const uint8_t *)"\x05\xff", 2, 1, &m), ENL_EREFUSED);
    assert_int_equal(enl_socks5_method_parse((const uint8_t *)"\x04\x00", 2, 1, &m), ENL_EPROTO);
    assert_int_equal(enl_socks5_method_parse((const uint8_t *)"\x05", 1, 1, &m), ENL_EPROTO);
    assert_int_equal(enl_socks5_method_parse((const uint8_t *)"\x05\x00\x00", 3, 1, &m), ENL_EPROTO);
}

static void test_userpass(void **state)
{
    uint8_t m[ENL_SOCKS5_AUTH_MAX];
    char big[300];
    size_t n = 0;
    (void)state;
    assert_int_equal(enl_socks5_userpass(m, sizeof m, &n, "ana", "secret"), ENL_OK);
    assert_int_equal(n, 3 + 3 + 6);
    assert_memory_equal(m, "\x01\x03" "ana" "\x06" "secret", n);
    assert_int_equal(enl_socks5_userpass(m, sizeof m, &n, "", "x"), ENL_EINVAL);
    assert_int_equal(enl_socks5_userpass(m, sizeof m, &n, "x", ""), ENL_EINVAL);
    memset(big, 'u', 256);
    big[256] = '\0';
    assert_int_equal(enl_socks5_userpass(m, sizeof m, &n, big, "x"), ENL_EINVAL);
    big[255] = '\0';
    assert_int_equal(enl_socks5_userpass(m, sizeof m, &n, big, big), ENL_OK);
    assert_int_equal(n, ENL_SOCKS5_AUTH_MAX);
    assert_int_equal(enl_socks5_userpass(m, 10, &n, "ana", "secret"), ENL_EBUFSIZE);

    assert_int_equal(enl_socks5_userpass_parse((const uint8_t *)"\x01\x00", 2), ENL_OK);
    assert_int_equal(enl_socks5_userpass_parse((const uint8_t *)"\x01\x01", 2), ENL_EREFUSED);
    assert_int_equal(enl_socks5_userpass_parse((const uint8_t *)"\x01\xff", 2), ENL_EREFUSED);
    assert_int_equal(enl_socks5_userpass_parse((const uint8_t *)"\x05\x00", 2), ENL_EPROTO);
    assert_int_equal(enl_socks5_userpass_parse((const uint8_t *)"\x01", 1), ENL_EPROTO);
}

static void test_request(void **state)
{
    static const char onion[] = "rwyk2mj7mgryg5zwsbf2jxmvsuku3fyo6kh4ti2dm6iibemtzbydxvid.onion";
    uint8_t m[ENL_SOCKS5_REQUEST_MAX];
    char big[300];
    size_t n = 0;
    (void)state;

    /* A name travels as bytes (ATYP 3): the proxy resolves it. */
    assert_int_equal(enl_socks5_request(m, sizeof m, &n, onion, 7787), ENL_OK);
    assert_int_equal(n, 5 + 62 + 2);
    assert_memory_equal(m, "\x05\x01\x00\x03", 4);
    assert_int_equal(m[4], 62);
    assert_memory_equal(m + 5, onion, 62);
    assert_int_equal(m[5 + 62], 7787 >> 8);
    assert_int_equal(m[5 + 63], 7787 & 0xff);
    assert_int_equal(enl_socks5_request(m, sizeof m, &n, "example.invalid", 80), ENL_OK);
    assert_int_equal(m[3], ENL_SOCKS5_ATYP_NAME);

    /* Literals are parsed, never looked up. */
    assert_int_equal(enl_socks5_request(m, sizeof m, &n, "127.0.0.1", 9), ENL_OK);
    assert_int_equal(n, 10);
    assert_memory_equal(m, "\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x09", 10);
    assert_int_equal(enl_socks5_request(m, sizeof m, &n, "::1", 0x1234), ENL_OK);
    assert_int_equal(n, 22);
    assert_int_equal(m[3], ENL_SOCKS5_ATYP_IPV6);
    assert_int_equal(m[19], 1);
    assert_int_equal(m[20], 0x12);

    assert_int_equal(enl_socks5_request(m, sizeof m, &n, "", 80), ENL_EINVAL);
    assert_int_equal(enl_socks5_request(m, sizeof m, &n, "a b", 80), ENL_EINVAL);
    assert_int_equal(enl_socks5_request(m, sizeof m, &n, "a\nb", 80), ENL_EINVAL);
    assert_int_equal(enl_socks5_request(m, sizeof m, &n, "host", 0), ENL_EINVAL);
    memset(big, 'a', 256);
    big[256] = '\0';
    assert_int_equal(enl_socks5_request(m, sizeof m, &n, big, 80), ENL_EINVAL);
    big[255] = '\0';
    assert_int_equal(enl_socks5_request(m, sizeof m, &n, big, 80), ENL_OK);
    assert_int_equal(n, ENL_SOCKS5_REQUEST_MAX);
    assert_int_equal(enl_socks5_request(m, 20, &n, big, 80), ENL_EBUFSIZE);
}

/* ---- the reply parser ------------------------------------------------ */

static size_t reply_v4(uint8_t *m, uint8_t rep)
{
    memcpy(m, "\x05\x00\x00\x01\x0a\x00\x00\x02\x1f\x90", 10);   /* 10.0.0.2:8080 */
    m[1] = rep;
    return 10;
}

static void test_reply_success(void **state)
{
    uint8_t m[ENL_SOCKS5_REPLY_MAX];
    enl_socks5_reply r;
    size_t total = 0, n = reply_v4(m, 0);
    (void)state;

    assert_int_equal(enl_socks5_reply_len(m, 5, &total), ENL_OK);
    assert_int_equal(total, 10);
    assert_int_equal(enl_socks5_reply_parse(m, n, &r), ENL_OK);
    assert_int_equal(r.rep, 0);
    assert_string_equal(r.bound, "10.0.0.2");
    assert_int_equal(r.port, 8080);

    memcpy(m, "\x05\x00\x00\x04", 4);
    memset(m + 4, 0, 16);
    m[19] = 1;
    m[20] = 0;
    m[21] = 80;
    assert_int_equal(enl_socks5_reply_len(m, 5, &total), ENL_OK);
    assert_int_equal(total, 22);
    assert_int_equal(enl_socks5_reply_parse(m, 22, &r), ENL_OK);
    assert_string_equal(r.bound, "::1");
    assert_int_equal(r.port, 80);

    memcpy(m, "\x05\x00\x00\x03\x05relay\x01\xbb", 12);
    assert_int_equal(enl_socks5_reply_len(m, 5, &total), ENL_OK);
    assert_int_equal(total, 12);
    assert_int_equal(enl_socks5_reply_parse(m, 12, &r), ENL_OK);
    assert_string_equal(r.bound, "relay");
    assert_int_equal(r.port, 443);

    /* An unprintable bound name is shown, not trusted. */
    memcpy(m, "\x05\x00\x00\x03\x03\x1b[m\x00\x01", 10);
    assert_int_equal(enl_socks5_reply_parse(m, 10, &r), ENL_OK);
    assert_string_equal(r.bound, "?[m");

    /* An empty name (length 0) is still a well-formed reply. */
    memcpy(m, "\x05\x00\x00\x03\x00\x00\x01", 7);
    assert_int_equal(enl_socks5_reply_parse(m, 7, &r), ENL_OK);
    assert_string_equal(r.bound, "");
}

static void test_reply_codes(void **state)
{
    static const struct { uint8_t rep; int rc; const char *says; } t[] = {
        { 0x01, ENL_ENET, "general failure" },
        { 0x02, ENL_EREFUSED, "not allowed by ruleset" },
        { 0x03, ENL_ENET, "network unreachable" },
        { 0x04, ENL_ENET, "host unreachable" },
        { 0x05, ENL_EREFUSED, "connection refused" },
        { 0x06, ENL_ETIMEOUT, "TTL expired" },
        { 0x07, ENL_EPROTO, "command not supported" },
        { 0x08, ENL_EPROTO, "address type not supported" },
        { 0x09, ENL_EPROTO, "unknown reply code" },
        { 0x7f, ENL_EPROTO, "unknown reply code" },
        { 0xf0, ENL_ENOTFOUND, "descriptor not found" },
        { 0xf1, ENL_EPROTO, "descriptor is invalid" },
        { 0xf2, ENL_ENET, "introduction failed" },
        { 0xf3, ENL_ENET, "rendezvous failed" },
        { 0xf4, ENL_EREFUSED, "needs client authorization" },
        { 0xf5, ENL_EREFUSED, "authorization was wrong" },
        { 0xf6, ENL_EPROTO, "invalid onion address" },
        { 0xf7, ENL_ETIMEOUT, "introduction timed out" },
        { 0xff, ENL_EPROTO, "unknown reply code" },
    };
    uint8_t m[16];
    enl_socks5_reply r;
    (void)state;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t n = reply_v4(m, t[i].rep);
        assert_int_equal(enl_socks5_reply_parse(m, n, &r), t[i].rc);
        assert_int_equal(r.rep, t[i].rep);
        assert_non_null(strstr(enl_socks5_reply_str(t[i].rep), t[i].says));
    }
    for (int c = 0; c < 256; c++) {
        const char *s = enl_socks5_reply_str((uint8_t)c);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
    }
    assert_string_equal(enl_socks5_reply_str(0), "succeeded");
}

static void test_reply_malformed(void **state)
{
    uint8_t m[ENL_SOCKS5_REPLY_MAX + 1];
    enl_socks5_reply r;
    size_t total = 0, n = reply_v4(m, 0);
    (void)state;

    /* Every truncation, and one byte too many. */
    for (size_t k = 0; k < n; k++) assert_int_equal(enl_socks5_reply_parse(m, k, &r), ENL_EPROTO);
    m[n] = 0;
    assert_int_equal(enl_socks5_reply_parse(m, n + 1, &r), ENL_EPROTO);
    for (size_t k = 0; k < 5; k++) assert_int_equal(enl_socks5_reply_len(m, k, &total), ENL_EPROTO);

    reply_v4(m, 0);
    m[0] = 4;                                   /* a SOCKS4 answer */
    assert_int_equal(enl_socks5_reply_parse(m, n, &r), ENL_EPROTO);
    reply_v4(m, 0);
    m[2] = 1;                                   /* reserved byte set */
    assert_int_equal(enl_socks5_reply_parse(m, n, &r), ENL_EPROTO);
    for (int atyp = 0; atyp < 256; atyp++) {
        reply_v4(m, 0);
        m[3] = (uint8_t)atyp;
        if (atyp == 1 || atyp == 3 || atyp == 4) continue;
        assert_int_equal(enl_socks5_reply_len(m, 5, &total), ENL_EPROTO);
        assert_int_equal(enl_socks5_reply_parse(m, n, &r), ENL_EPROTO);
    }
    /* A name longer than the bytes there. */
    memcpy(m, "\x05\x00\x00\x03\xff\x61\x00\x50", 8);
    assert_int_equal(enl_socks5_reply_len(m, 5, &total), ENL_OK);
    assert_int_equal(total, 4 + 1 + 255 + 2);
    assert_int_equal(enl_socks5_reply_parse(m, 8, &r), ENL_EPROTO);
    memset(m + 5, 'a', 255);
    m[260] = 0;
    m[261] = 80;
    assert_int_equal(enl_socks5_reply_parse(m, 262, &r), ENL_OK);
    assert_int_equal(strlen(r.bound), 255);
}

/* ---- helpers for the I/O tests ---------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int child_exit(pid_t pid)
{
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

/* A listening socket on 127.0.0.1 (port 0: any); *port gets the port. */
static int listen_v4(uint16_t *port)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(*port);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* The same port on [::1], when this machine has IPv6 loopback; else -1. */
static int listen_v6(uint16_t port)
{
    struct sockaddr_in6 a;
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0) return -1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    a.sin6_port = htons(port);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 8) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A free loopback port (bound and released; a small race nobody else runs). */
static uint16_t free_port(void)
{
    uint16_t port = 0;
    close(listen_v4(&port));
    return port;
}

static int read_full(int fd, uint8_t *b, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Echo server in a child: answers `conns` connections (on either socket),
 * each by echoing what it reads until the peer closes. Gives up after 20 s. */
static pid_t echo_server(int l4, int l6, int conns)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0) return pid;
    alarm(20);
    for (int k = 0; k < conns; k++) {
        struct pollfd pf[2] = { { l4, POLLIN, 0 }, { l6, POLLIN, 0 } };
        uint8_t b[256];
        ssize_t r;
        int fd;
        if (poll(pf, l6 >= 0 ? 2 : 1, 20000) <= 0) _exit(2);
        fd = accept(pf[0].revents ? l4 : l6, NULL, NULL);
        if (fd < 0) _exit(3);
        while ((r = read(fd, b, sizeof b)) > 0)
            if (write(fd, b, (size_t)r) != r) _exit(4);
        close(fd);
    }
    _exit(0);
}

/* ---- scripted proxies ---------------------------------------------- */

/* One connection: reads the greeting and the request for a name, checks
 * their bytes, and answers with reply code rep. Exit 0 when every byte
 * we were sent was as expected. */
static int scripted_proxy(int lfd, const char *name, uint16_t port, uint8_t method, uint8_t rep)
{
    uint8_t b[300], want[300];
    size_t hl = strlen(name);
    int fd = accept(lfd, NULL, NULL);

    alarm(10);
    if (fd < 0) return 2;
    if (read_full(fd, b, 3) != 0 || memcmp(b, "\x05\x01\x00", 3) != 0) return 3;
    b[0] = 5;
    b[1] = method;
    if (write(fd, b, 2) != 2) return 4;
    if (method != 0) {
        close(fd);
        return 0;
    }
    want[0] = 5; want[1] = 1; want[2] = 0; want[3] = 3; want[4] = (uint8_t)hl;
    memcpy(want + 5, name, hl);
    want[5 + hl] = (uint8_t)(port >> 8);
    want[6 + hl] = (uint8_t)port;
    if (read_full(fd, b, 7 + hl) != 0 || memcmp(b, want, 7 + hl) != 0) return 5;
    if (rep == 0xee) {          /* say nothing more: a stall */
        sleep(3);
        return 0;
    }
    reply_v4(b, rep);
    if (write(fd, b, 10) != 10) return 6;
    close(fd);
    return 0;
}

static void test_name_is_sent_not_resolved(void **state)
{
    /* A name that no resolver knows: if it were looked up here, the
     * connect would fail before the proxy saw the request. */
    static const char name[] = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion";
    uint16_t port = 0;
    int lfd = listen_v4(&port), fd = -1;
    char p[8], err[400];
    pid_t pid;
    (void)state;

    snprintf(p, sizeof p, "%u", port);
    if ((pid = fork()) == 0) _exit(scripted_proxy(lfd, name, 7787, 0, 0x00));
    assert_int_equal(enl_socks5_connect(&fd, "127.0.0.1", p, name, 7787, NULL, NULL, 5000, err,
                                        sizeof err), ENL_OK);
    enl_tcp_close(fd);
    assert_int_equal(child_exit(pid), 0);
    close(lfd);
}

static void test_reply_errors_are_explained(void **state)
{
    static const struct { uint8_t rep; int rc; const char *says; } t[] = {
        { 0x01, ENL_ENET, "general failure" },
        { 0x04, ENL_ENET, "host unreachable" },
        { 0x05, ENL_EREFUSED, "connection refused" },
        { 0xf0, ENL_ENOTFOUND, "descriptor not found" },
    };
    uint16_t port = 0;
    int lfd = listen_v4(&port);
    char p[8], err[400];
    (void)state;

    snprintf(p, sizeof p, "%u", port);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int fd = -1;
        pid_t pid = fork();
        if (pid == 0) _exit(scripted_proxy(lfd, "peer.example", 80, 0, t[i].rep));
        assert_int_equal(enl_socks5_connect(&fd, "127.0.0.1", p, "peer.example", 80, NULL, NULL,
                                            5000, err, sizeof err), t[i].rc);
        assert_non_null(strstr(err, t[i].says));
        assert_non_null(strstr(err, "peer.example:80"));
        assert_int_equal(fd, -1);
        assert_int_equal(child_exit(pid), 0);
    }
    close(lfd);
}

static void test_no_acceptable_method(void **state)
{
    uint16_t port = 0;
    int lfd = listen_v4(&port), fd = -1;
    char p[8], err[400];
    pid_t pid;
    (void)state;

    snprintf(p, sizeof p, "%u", port);
    if ((pid = fork()) == 0) _exit(scripted_proxy(lfd, "x", 1, 0xff, 0));
    assert_int_equal(enl_socks5_connect(&fd, "127.0.0.1", p, "x", 1, NULL, NULL, 5000, err,
                                        sizeof err), ENL_EREFUSED);
    assert_non_null(strstr(err, "authentication methods"));
    assert_int_equal(child_exit(pid), 0);
    close(lfd);
}

static void test_stalled_proxy_times_out(void **state)
{
    uint16_t port = 0;
    int lfd = listen_v4(&port), fd = -1;
    char p[8], err[400];
    int64_t t0;
    pid_t pid;
    (void)state;

    snprintf(p, sizeof p, "%u", port);
    if ((pid = fork()) == 0) _exit(scripted_proxy(lfd, "slow.example", 80, 0, 0xee));
    t0 = now_ms();
    assert_int_equal(enl_socks5_connect(&fd, "127.0.0.1", p, "slow.example", 80, NULL, NULL, 400,
                                        err, sizeof err), ENL_ETIMEOUT);
    assert_true(now_ms() - t0 < 2000);
    assert_non_null(strstr(err, "no answer in time"));
    child_exit(pid);
    close(lfd);
}

static void test_no_proxy(void **state)
{
    char p[8], err[400];
    int fd = -1;
    (void)state;
    snprintf(p, sizeof p, "%u", free_port());
    assert_int_equal(enl_socks5_connect(&fd, "127.0.0.1", p, "x.example", 80, NULL, NULL, 2000,
                                        err, sizeof err), ENL_ENET);
    assert_non_null(strstr(err, "no SOCKS proxy at 127.0.0.1:"));
    assert_non_null(strstr(err, "--socks"));
    /* asked whether tor runs there: "or pass --socks HOST:PORT" told a
     * user who had just passed it to pass it */
    assert_non_null(strstr(err, "is tor running, its SocksPort there?"));
    assert_int_equal(enl_socks5_connect(&fd, "127.0.0.1", p, "x", 80, "user", NULL, 2000, err,
                                        sizeof err), ENL_EINVAL);
}

/* ---- a real SOCKS5 server: microsocks --------------------------------- */

static const char *microsocks_path(void)
{
    static const char *const where[] = { "/usr/bin/microsocks", "/usr/local/bin/microsocks" };
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++)
        if (access(where[i], X_OK) == 0) return where[i];
    return NULL;
}

/* Starts microsocks on a free loopback port (with -u/-P when user is set)
 * and waits, at most 5 s, until it accepts connections. */
static pid_t start_microsocks(uint16_t *port, const char *user, const char *pass)
{
    const char *bin = microsocks_path();
    char p[8];
    pid_t pid;

    if (bin == NULL)
        fail_msg("microsocks is not installed: this test needs a real SOCKS5 server "
                 "(Debian package microsocks; scripts/deps.sh installs it)");
    *port = free_port();
    snprintf(p, sizeof p, "%u", *port);
    if ((pid = fork()) == 0) {
        int null = open("/dev/null", 0);
        if (null >= 0) { dup2(null, 1); dup2(null, 2); }
        if (user != NULL)
            execl(bin, bin, "-i", "127.0.0.1", "-p", p, "-u", user, "-P", pass, (char *)NULL);
        else
            execl(bin, bin, "-i", "127.0.0.1", "-p", p, (char *)NULL);
        _exit(127);
    }
    assert_true(pid > 0);
    for (int k = 0; k < 100; k++) {
        int fd = -1;
        if (enl_tcp_connect(&fd, "127.0.0.1", p, 500) == ENL_OK) {
            enl_tcp_close(fd);
            return pid;
        }
        usleep(50000);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    fail_msg("microsocks did not start on 127.0.0.1:%s within 5 s", p);
    return -1;
}

static void stop(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

static void echo_through(int fd)
{
    static const uint8_t msg[] = "through the proxy and back";
    uint8_t back[sizeof msg];
    assert_int_equal(enl_tcp_write_all(fd, msg, sizeof msg, 5000), ENL_OK);
    assert_int_equal(enl_tcp_read_exact(fd, back, sizeof back, 5000), ENL_OK);
    assert_memory_equal(back, msg, sizeof msg);
}

static void test_microsocks(void **state)
{
    uint16_t sport = 0, eport = 0;
    int l4 = listen_v4(&eport), l6 = listen_v6(eport), fd = -1;
    pid_t ms = start_microsocks(&sport, NULL, NULL), echo = echo_server(l4, l6, 2);
    char sp[8], err[400];
    (void)state;

    snprintf(sp, sizeof sp, "%u", sport);
    /* An address literal (ATYP 1). */
    assert_int_equal(enl_socks5_connect(&fd, "127.0.0.1", sp, "127.0.0.1", eport, NULL, NULL,
                                        10000, err, sizeof err), ENL_OK);
    echo_through(fd);
    enl_tcp_close(fd);
    /* A name (ATYP 3): resolved by microsocks, not here. */
    fd = -1;
    assert_int_equal(enl_socks5_connect(&fd, "127.0.0.1", sp, "localhost", eport, NULL, NULL,
                                        10000, err, sizeof err), ENL_OK);
    echo_through(fd);
    enl_tcp_close(fd);
    fd = -1;
    assert_int_equal(child_exit(echo), 0);
    /* Nothing listens on the echo port any more: the proxy says so (and
     * credentials offered to a proxy that wants none are not needed). */
    close(l4);
    if (l6 >= 0) close(l6);
    assert_int_not_equal(enl_socks5_connect(&fd, "127.0.0.1", sp, "127.0.0.1", eport, "u", "p",
                                            10000, err, sizeof err), ENL_OK);
    assert_non_null(strstr(err, "could not reach 127.0.0.1:"));
    stop(ms);
}

static void test_microsocks_userpass(void **state)
{
    uint16_t sport = 0, eport = 0;
    int l4 = listen_v4(&eport), fd = -1;
    pid_t ms = start_microsocks(&sport, "enlace-test", "s3cret"), echo = echo_server(l4, -1, 1);
    char sp[8], err[400];
    (void)state;

    snprintf(sp, sizeof sp, "%u", sport);
    assert_int_equal(enl_socks5_connect(&fd, "127.0.0.1", sp, "127.0.0.1", eport, "enlace-test",
                                        "s3cret", 10000, err, sizeof err), ENL_OK);
    echo_through(fd);
    enl_tcp_close(fd);
    assert_int_equal(child_exit(echo), 0);

    fd = -1;
    assert_int_equal(enl_socks5_connect(&fd, "127.0.0.1", sp, "127.0.0.1", eport, "enlace-test",
                                        "wrong", 10000, err, sizeof err), ENL_EREFUSED);
    assert_non_null(strstr(err, "refused the username and password"));
    /* Without credentials, a proxy that requires them accepts none of ours. */
    assert_int_equal(enl_socks5_connect(&fd, "127.0.0.1", sp, "127.0.0.1", eport, NULL, NULL,
                                        10000, err, sizeof err), ENL_EREFUSED);
    assert_non_null(strstr(err, "authentication methods"));
    stop(ms);
    close(l4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greeting),
        cmocka_unit_test(test_method_parse),
        cmocka_unit_test(test_userpass),
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_reply_success),
        cmocka_unit_test(test_reply_codes),
        cmocka_unit_test(test_reply_malformed),
        cmocka_unit_test(test_name_is_sent_not_resolved),
        cmocka_unit_test(test_reply_errors_are_explained),
        cmocka_unit_test(test_no_acceptable_method),
        cmocka_unit_test(test_stalled_proxy_times_out),
        cmocka_unit_test(test_no_proxy),
        cmocka_unit_test(test_microsocks),
        cmocka_unit_test(test_microsocks_userpass),
    };
    signal(SIGPIPE, SIG_IGN);
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
