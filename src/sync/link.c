/* The Noise XK link; see link.h for the framing. */
#include "sync/link.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#include "enlace.h"
#include "transport/tcp.h"

/* The peer closed the connection: a read met the end of the stream (the
 * reads' only ENL_EPROTO), or a read or write met the reset of a peer that
 * closed with our bytes unread. Told apart from a broken protocol, so that
 * a listener that failed on its side is not called a protocol violation. */
static int peer_closed(int rc)
{
    return rc == ENL_EPROTO || (rc == ENL_ENET && (errno == ECONNRESET || errno == EPIPE));
}

static int put_msg(enl_link *l, const uint8_t *m, size_t n)
{
    uint8_t len[2] = { (uint8_t)(n >> 8), (uint8_t)n };
    int rc;
    if (n > ENL_NOISE_MAXMSG) return ENL_ETOOBIG;
    if ((rc = enl_tcp_write_all(l->fd, len, 2, l->timeout_ms)) != ENL_OK ||
        (rc = enl_tcp_write_all(l->fd, m, n, l->timeout_ms)) != ENL_OK) {
        l->closed = peer_closed(rc);
        return rc;
    }
    l->bytes_out += 2 + n;
    return ENL_OK;
}

/* Reads one Noise message of at most max bytes (and, when exact, of that size). */
static int get_msg(enl_link *l, uint8_t *m, size_t max, size_t *n, int exact)
{
    uint8_t len[2];
    size_t k;
    int rc;
    if ((rc = enl_tcp_read_idle(l->fd, len, 2, l->timeout_ms, l->idle)) != ENL_OK) {
        l->closed = peer_closed(rc);
        return rc;
    }
    k = ((size_t)len[0] << 8) | len[1];
    if (k > max || (exact && k != max) || k < ENL_NOISE_TAGLEN) return ENL_EPROTO;
    if ((rc = enl_tcp_read_idle(l->fd, m, k, l->timeout_ms, l->idle)) != ENL_OK) {
        l->closed = peer_closed(rc);
        return rc;
    }
    l->bytes_in += 2 + k;
    *n = k;
    return ENL_OK;
}

static int link_init(enl_link *l, int fd, int timeout_ms)
{
    memset(l, 0, sizeof *l);
    l->fd = fd;
    l->timeout_ms = timeout_ms;
    l->chunk = malloc(ENL_NOISE_MAXMSG);
    return l->chunk ? ENL_OK : ENL_ENOMEM;
}

int enl_link_initiate(enl_link *l, int fd, const uint8_t my_sk[32], const uint8_t peer_pk[32],
                      int timeout_ms)
{
    enl_handshake hs;
    uint8_t m[128];
    size_t n = 0, pn = 0;
    int rc;

    if ((rc = link_init(l, fd, timeout_ms)) != ENL_OK) return rc;
    rc = enl_handshake_init(&hs, ENL_NOISE_XK, 1, (const uint8_t *)ENL_LINK_PROLOGUE,
                            sizeof ENL_LINK_PROLOGUE - 1, my_sk, peer_pk, NULL);
    if (rc == ENL_OK) rc = enl_handshake_write(&hs, m, &n, sizeof m, NULL, 0);
    if (rc == ENL_OK) rc = put_msg(l, m, n);
    if (rc == ENL_OK) rc = get_msg(l, m, ENL_LINK_HS2_BYTES, &n, 1);
    if (rc == ENL_OK) rc = enl_handshake_read(&hs, NULL, &pn, 0, m, n);
    if (rc == ENL_OK) rc = enl_handshake_write(&hs, m, &n, sizeof m, NULL, 0);
    if (rc == ENL_OK) rc = put_msg(l, m, n);
    if (rc == ENL_OK) {
        memcpy(l->peer, peer_pk, 32);
        rc = enl_handshake_split(&hs, &l->tx, &l->rx);
    }
    enl_handshake_wipe(&hs);
    if (rc != ENL_OK) enl_link_wipe(l);
    return rc;
}

int enl_link_respond(enl_link *l, int fd, const uint8_t my_sk[32], int timeout_ms)
{
    enl_handshake hs;
    struct timespec t0;
    uint8_t m[128], first[2 + ENL_LINK_HS1_BYTES];
    size_t n = 0, pn = 0;
    int rc;

    if ((rc = link_init(l, fd, timeout_ms)) != ENL_OK) return rc;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = enl_handshake_init(&hs, ENL_NOISE_XK, 0, (const uint8_t *)ENL_LINK_PROLOGUE,
                            sizeof ENL_LINK_PROLOGUE - 1, my_sk, NULL, NULL);
    /* The first message is read whole, its 50 bytes, whatever its length
     * field says, and whatever is wrong with it is answered the same way:
     * silence until the prober gives up or the time is out, then a clean
     * close. Neither timing nor a reset then tells a prober that enlace
     * listens here. */
    if (rc == ENL_OK) rc = enl_tcp_read_exact(fd, first, sizeof first, timeout_ms);
    if (rc == ENL_OK && (first[0] != 0 || first[1] != ENL_LINK_HS1_BYTES)) rc = ENL_EDECRYPT;
    if (rc == ENL_OK) {
        l->bytes_in += sizeof first;
        rc = enl_handshake_read(&hs, NULL, &pn, 0, first + 2, ENL_LINK_HS1_BYTES);
    }
    if (rc != ENL_OK) {
        struct timespec t1;
        long spent;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        spent = (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        /* Read and dropped until the time is out, however much comes:
         * stopping at some size would answer a flood sooner (and with a
         * reset), which a prober could tell. The time bounds it. */
        if (spent < timeout_ms) (void)enl_tcp_drain(fd, timeout_ms - (int)spent, SIZE_MAX);
        if (rc != ENL_ENOMEM) rc = ENL_EDECRYPT;  /* not our protocol, or not our key */
    }
    if (rc == ENL_OK) rc = enl_handshake_write(&hs, m, &n, sizeof m, NULL, 0);
    if (rc == ENL_OK) rc = put_msg(l, m, n);
    if (rc == ENL_OK) rc = get_msg(l, m, ENL_LINK_HS3_BYTES, &n, 1);
    if (rc == ENL_OK) rc = enl_handshake_read(&hs, NULL, &pn, 0, m, n);
    if (rc == ENL_OK) rc = enl_handshake_remote_static(&hs, l->peer);
    if (rc == ENL_OK) rc = enl_handshake_split(&hs, &l->tx, &l->rx);
    enl_handshake_wipe(&hs);
    if (rc != ENL_OK) enl_link_wipe(l);
    return rc;
}

int enl_link_send(enl_link *l, const uint8_t *msg, size_t len)
{
    uint8_t *pt = l->chunk;
    size_t off = 0;
    int rc;
    uint8_t ct[ENL_NOISE_MAXMSG];

    if (len > ENL_LINK_MSG_MAX) return ENL_ETOOBIG;
    do {
        size_t k = len - off > ENL_LINK_CHUNK ? ENL_LINK_CHUNK : len - off;
        pt[0] = off + k < len ? 1 : 0;
        if (k) memcpy(pt + 1, msg + off, k);
        if ((rc = enl_cipher_encrypt(&l->tx, ct, NULL, 0, pt, k + 1)) != ENL_OK) break;
        if ((rc = put_msg(l, ct, k + 1 + ENL_NOISE_TAGLEN)) != ENL_OK) break;
        off += k;
    } while (off < len);
    sodium_memzero(pt, ENL_NOISE_MAXMSG);
    return rc;
}

int enl_link_recv(enl_link *l, uint8_t *buf, size_t max, size_t *len)
{
    uint8_t ct[ENL_NOISE_MAXMSG];
    size_t got = 0;
    int more, rc;

    do {
        size_t n = 0, k;
        if ((rc = get_msg(l, ct, ENL_NOISE_MAXMSG, &n, 0)) != ENL_OK) return rc;
        if (n < ENL_NOISE_TAGLEN + 1) return ENL_EPROTO;
        if ((rc = enl_cipher_decrypt(&l->rx, l->chunk, NULL, 0, ct, n)) != ENL_OK) return rc;
        k = n - ENL_NOISE_TAGLEN - 1;
        more = l->chunk[0];
        /* Every chunk but the last is full (enl_link_send): so a message
         * takes at most ENL_LINK_MSG_MAX / ENL_LINK_CHUNK + 1 reads, and a
         * peer cannot keep one open forever with empty chunks. */
        if (more > 1 || (more && k != ENL_LINK_CHUNK)) return ENL_EPROTO;
        if (k > max - got || got + k > ENL_LINK_MSG_MAX) return ENL_ETOOBIG;
        memcpy(buf + got, l->chunk + 1, k);
        got += k;
    } while (more);
    *len = got;
    return ENL_OK;
}

void enl_link_wipe(enl_link *l)
{
    enl_cipher_wipe(&l->tx);
    enl_cipher_wipe(&l->rx);
    if (l->chunk != NULL) {
        sodium_memzero(l->chunk, ENL_NOISE_MAXMSG);
        free(l->chunk);
        l->chunk = NULL;
    }
}
