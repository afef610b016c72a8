/* Bounded TCP; see tcp.h. */
#include "transport/tcp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "enlace.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        struct pollfd pf = { fd, events, 0 };
        int64_t left = deadline - now_ms();
        int r;
        if (left <= 0) return ENL_ETIMEOUT;
        r = poll(&pf, 1, left > 60000 ? 60000 : (int)left);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return ENL_ENET;
        if (r > 0) return ENL_OK;
    }
}

static int nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) ? ENL_ENET : ENL_OK;
}

int enl_tcp_split(const char *addr, char *host, size_t host_max, char *port, size_t port_max)
{
    const char *colon;
    size_t hl;
    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (end == NULL || end[1] != ':') return ENL_EINVAL;
        hl = (size_t)(end - addr - 1);
        addr++;
        colon = end + 1;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL) return ENL_EINVAL;
        hl = (size_t)(colon - addr);
    }
    if (hl == 0 || hl >= host_max || strlen(colon + 1) == 0 || strlen(colon + 1) >= port_max)
        return ENL_EINVAL;
    memcpy(host, addr, hl);
    host[hl] = '\0';
    strcpy(port, colon + 1);
    unsigned long v = 0;
    for (const char *q = port; *q; q++) {
        if (*q < '0' || *q > '9') return ENL_EINVAL;
        /* a port is at most 65535: getaddrinfo would take 99999 as 34463
         * (modulo 65536) and listen or connect somewhere not asked for */
        if ((v = v * 10 + (unsigned long)(*q - '0')) > 65535) return ENL_EINVAL;
    }
    return ENL_OK;
}

int enl_tcp_connect(int *out, const char *host, const char *port, int timeout_ms)
{
    struct addrinfo hints, *res = NULL, *ai;
    int64_t deadline = now_ms() + timeout_ms;
    int rc = ENL_ENET;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0) return ENL_ENET;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol), err = 0;
        socklen_t el = sizeof err;
        if (fd < 0) continue;
        if (nonblock(fd) != ENL_OK) { close(fd); continue; }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
            close(fd);
            continue;
        }
        rc = wait_fd(fd, POLLOUT, deadline);
        if (rc == ENL_OK && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            *out = fd;
            freeaddrinfo(res);
            return ENL_OK;
        }
        close(fd);
        if (rc == ENL_OK) rc = ENL_ENET;
    }
    freeaddrinfo(res);
    return rc;
}

int enl_tcp_listen(int *out, const char *host, const char *port, char *bound, size_t bound_max)
{
    struct addrinfo hints, *res = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char h[NI_MAXHOST], s[NI_MAXSERV];
    int fd, one = 1;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (getaddrinfo(host, port, &hints, &res) != 0) return ENL_EINVAL;
    fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
    if (fd < 0) { freeaddrinfo(res); return ENL_ENET; }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 16) != 0 ||
        nonblock(fd) != ENL_OK) {
        freeaddrinfo(res);
        close(fd);
        return ENL_ENET;
    }
    freeaddrinfo(res);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
        getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, s, sizeof s,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        close(fd);
        return ENL_ENET;
    }
    snprintf(bound, bound_max, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, s);
    *out = fd;
    return ENL_OK;
}

int enl_tcp_accept(int lfd, int *out, int timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? INT64_MAX / 2 : now_ms() + timeout_ms;
    for (;;) {
        int fd, rc = wait_fd(lfd, POLLIN, deadline), one = 1;
        if (rc != ENL_OK) return rc;
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            /* Errors already pending on the new connection, which Linux
             * hands back from accept (accept(2) says to retry as for
             * EAGAIN): that caller's trouble, not the listener's. The
             * deadline still bounds the loop. */
            if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED ||
                errno == ENETDOWN || errno == EPROTO || errno == ENOPROTOOPT ||
                errno == EHOSTDOWN || errno == ENONET || errno == EHOSTUNREACH ||
                errno == EOPNOTSUPP || errno == ENETUNREACH)
                continue;
            /* Out of descriptors or memory for now: the connection waits in
             * the queue; the listener must not stop for it. */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                struct timespec pause = { 0, 100 * 1000000L };
                nanosleep(&pause, NULL);
                return ENL_ETIMEOUT;
            }
            return ENL_ENET;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        *out = fd;
        return ENL_OK;
    }
}

int enl_tcp_read_idle(int fd, uint8_t *buf, size_t len, int timeout_ms, const enl_tcp_idle *idle)
{
    int64_t start = now_ms(), deadline = start + timeout_ms;
    int64_t quiet = idle != NULL ? start + idle->after_ms : 0;
    int idled = idle == NULL || idle->fn == NULL;
    size_t got = 0;
    while (got < len) {
        ssize_t r = recv(fd, buf + got, len - got, 0);
        if (r > 0) { got += (size_t)r; continue; }
        if (r == 0) return ENL_EPROTO;  /* closed by the peer */
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return ENL_ENET;
        /* after_ms counts from the start of the read, not from the last
         * bytes: a peer that trickles its bytes with shorter pauses keeps
         * the read waiting all the same. */
        if (!idled) {
            if (wait_fd(fd, POLLIN, quiet < deadline ? quiet : deadline) == ENL_OK) continue;
            idle->fn(idle->ctx);
            idled = 1;
        }
        if (wait_fd(fd, POLLIN, deadline) != ENL_OK) return ENL_ETIMEOUT;
    }
    return ENL_OK;
}

int enl_tcp_read_exact(int fd, uint8_t *buf, size_t len, int timeout_ms)
{
    return enl_tcp_read_idle(fd, buf, len, timeout_ms, NULL);
}

int enl_tcp_write_all(int fd, const uint8_t *buf, size_t len, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, buf + off, len - off, MSG_NOSIGNAL);
        if (w > 0) { off += (size_t)w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return ENL_ENET;
        if (wait_fd(fd, POLLOUT, deadline) != ENL_OK) return ENL_ETIMEOUT;
    }
    return ENL_OK;
}

int enl_tcp_drain(int fd, int timeout_ms, size_t max)
{
    int64_t deadline = now_ms() + timeout_ms;
    uint8_t buf[4096];
    size_t got = 0;
    while (got < max) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r > 0) {
            got += (size_t)r;
            /* The time is checked while bytes keep coming too: a peer
             * that sends faster than we read never lets recv say EAGAIN,
             * and would otherwise hold us for as long as it sends. */
            if (now_ms() >= deadline) return ENL_ETIMEOUT;
            continue;
        }
        if (r == 0) return ENL_OK;              /* the peer closed */
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return ENL_ENET;
        if (wait_fd(fd, POLLIN, deadline) != ENL_OK) return ENL_ETIMEOUT;
    }
    return ENL_ETOOBIG;
}

void enl_tcp_close(int fd)
{
    if (fd >= 0) close(fd);
}
