/*
 * TCP with bounds: every connect, read and write waits at most a given time
 * (poll on a non-blocking socket), so a peer that stalls is cut off and no
 * loop waits on the network forever.
 */
#ifndef ENL_TRANSPORT_TCP_H
#define ENL_TRANSPORT_TCP_H

#include <stddef.h>
#include <stdint.h>

/* "HOST:PORT" or "[V6]:PORT" into host and port. */
int enl_tcp_split(const char *addr, char *host, size_t host_max, char *port, size_t port_max);
int enl_tcp_connect(int *fd, const char *host, const char *port, int timeout_ms);
/* Binds and listens; *bound gets "HOST:PORT" as bound (port 0 picks one). */
int enl_tcp_listen(int *fd, const char *host, const char *port, char *bound, size_t bound_max);
/* Waits up to timeout_ms (-1: forever) for a connection. ENL_ETIMEOUT when none came. */
int enl_tcp_accept(int lfd, int *fd, int timeout_ms);
/* Called (fn(ctx)) once a read has lasted after_ms without all its bytes
 * having come, whether the peer is quiet or trickles them: the reader can
 * let go of what it holds while it waits on the peer. */
typedef struct {
    int after_ms;
    void (*fn)(void *ctx);
    void *ctx;
} enl_tcp_idle;
/* enl_tcp_read_exact, calling idle (may be NULL) once when the read is not
 * done idle->after_ms after it started. */
int enl_tcp_read_idle(int fd, uint8_t *buf, size_t len, int timeout_ms, const enl_tcp_idle *idle);
int enl_tcp_read_exact(int fd, uint8_t *buf, size_t len, int timeout_ms);
int enl_tcp_write_all(int fd, const uint8_t *buf, size_t len, int timeout_ms);
/* Reads and discards until the peer closes (ENL_OK), timeout_ms passes
 * (ENL_ETIMEOUT, even while bytes keep coming) or max bytes came
 * (ENL_ETOOBIG). */
int enl_tcp_drain(int fd, int timeout_ms, size_t max);
void enl_tcp_close(int fd);

#endif
