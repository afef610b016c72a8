/*
 * The link between two devices: Noise_XK_25519_ChaChaPoly_BLAKE2b over a
 * connected socket, then length-prefixed transport messages.
 *
 * The initiator must know the listener's static key (from its card), so a
 * listener can stay silent to anyone who does not: it answers nothing to a
 * first message that does not decrypt. The initiator's static key travels
 * encrypted in the third message; only the listener learns it.
 *
 * On the wire every Noise message is   length u16 (big-endian) | ciphertext.
 * An application message (up to ENL_LINK_MSG_MAX bytes) is cut into chunks;
 * each chunk's plaintext is   flags u8 (1: more chunks follow) | data.
 * The counter nonce of each direction never repeats; a message that does
 * not authenticate, a length beyond the limits or a stall past the timeout
 * ends the link.
 */
#ifndef ENL_SYNC_LINK_H
#define ENL_SYNC_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/noise.h"
#include "transport/tcp.h"

#define ENL_LINK_PROLOGUE   "enlace link v1"
#define ENL_LINK_MSG_MAX    (256 * 1024)
#define ENL_LINK_CHUNK      (ENL_NOISE_MAXMSG - ENL_NOISE_TAGLEN - 1)
#define ENL_LINK_HS1_BYTES  48   /* e + tag of the empty payload */
#define ENL_LINK_HS2_BYTES  48
#define ENL_LINK_HS3_BYTES  64   /* encrypted s + tag of the empty payload */

typedef struct {
    int fd;
    int timeout_ms;
    enl_cipherstate tx, rx;
    uint8_t peer[32];           /* the peer's static X25519 key */
    uint64_t bytes_in, bytes_out;
    int closed;                 /* a read met the end: the peer closed the connection */
    uint8_t *chunk;             /* scratch for one Noise message */
    const enl_tcp_idle *idle;   /* NULL, or called when a read waits (enl_tcp_read_idle) */
} enl_link;

/* Runs the handshake as initiator toward the holder of peer_pk. */
int enl_link_initiate(enl_link *l, int fd, const uint8_t my_sk[32], const uint8_t peer_pk[32],
                      int timeout_ms) __attribute__((warn_unused_result));
/* Runs the handshake as responder; l->peer gets the initiator's key. On
 * ENL_EDECRYPT (a prober, or someone without our card) nothing was sent. */
int enl_link_respond(enl_link *l, int fd, const uint8_t my_sk[32], int timeout_ms)
    __attribute__((warn_unused_result));

int enl_link_send(enl_link *l, const uint8_t *msg, size_t len) __attribute__((warn_unused_result));
/* Receives one application message into buf (max bytes). ENL_ETOOBIG when
 * the peer sends more than max: the link must then be dropped. */
int enl_link_recv(enl_link *l, uint8_t *buf, size_t max, size_t *len)
    __attribute__((warn_unused_result));
/* Wipes keys and frees scratch; does not close the socket. */
void enl_link_wipe(enl_link *l);

#endif
