/*
 * Test helper for tests/e2e/tcp.sh: a TCP relay on loopback that passes
 * bytes both ways at most RATE bytes a second, so that a transfer takes
 * seconds however fast or loaded the machine is, and a test that cuts it
 * "in the middle" cuts it in the middle (a cut timed against the real
 * speed finished before the cut once, with the machine busy).
 *
 *   slow_relay TARGET_PORT RATE
 *
 * Listens on 127.0.0.1, an ephemeral port, and prints "relaying on
 * 127.0.0.1:PORT"; takes one connection, connects it to 127.0.0.1:
 * TARGET_PORT, relays until either side closes, then exits. It exits
 * after 120 s whatever happens. Never part of enlace itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LIFETIME_S 120
#define SLICE_MS 10

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int listen_any(unsigned short *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 1) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

static int connect_to(unsigned short port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) return -1;
    return fd;
}

static int write_all(int fd, const char *b, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, b, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static char buf[65536];
    unsigned short port, target;
    long rate;
    double start, allowed_at[2];
    int lfd, fd[2];

    if (argc != 3 || (target = (unsigned short)atoi(argv[1])) == 0 || (rate = atol(argv[2])) <= 0) {
        fprintf(stderr, "usage: slow_relay TARGET_PORT RATE\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    alarm(LIFETIME_S);
    if ((lfd = listen_any(&port)) < 0) return perror("listen"), 1;
    printf("relaying on 127.0.0.1:%u\n", port);
    fflush(stdout);
    if ((fd[0] = accept(lfd, NULL, NULL)) < 0) return perror("accept"), 1;
    close(lfd);
    if ((fd[1] = connect_to(target)) < 0) return perror("connect"), 1;
    start = now_s();
    allowed_at[0] = allowed_at[1] = start;
    for (;;) {
        struct pollfd p[2] = { { fd[0], POLLIN, 0 }, { fd[1], POLLIN, 0 } };
        if (poll(p, 2, 1000) < 0 && errno != EINTR) return 1;
        for (int i = 0; i < 2; i++) {
            /* A slice of at most rate * SLICE_MS of bytes, then the wait
             * that keeps this direction at rate. */
            size_t slice = (size_t)(rate * SLICE_MS / 1000);
            ssize_t k;
            double wait;
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (slice == 0) slice = 1;
            if (slice > sizeof buf) slice = sizeof buf;
            wait = allowed_at[i] - now_s();
            if (wait > 0) {
                struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
                nanosleep(&ts, NULL);
            }
            k = read(fd[i], buf, slice);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) return 0;
            if (write_all(fd[1 - i], buf, (size_t)k) != 0) return 0;
            if (allowed_at[i] < now_s()) allowed_at[i] = now_s();
            allowed_at[i] += (double)k / (double)rate;
        }
    }
}
