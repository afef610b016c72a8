/*
 * A SOCKS5 client (RFC 1928, with RFC 1929 username/password) for reaching
 * a device through Tor's SocksPort.
 *
 * A destination name is always sent as ATYP 3 (DOMAINNAME), so the proxy
 * resolves it: the name never reaches a local resolver (no DNS leak), and
 * an .onion name works at all. Only address literals (IPv4, IPv6) go as
 * ATYP 1 and 4; they are parsed with inet_pton, which never asks the
 * network. Tor isolates streams by SOCKS credentials (IsolateSOCKSAuth), so
 * a caller that passes fresh random credentials gets a fresh circuit.
 *
 * The message builders and reply parsers below are pure functions over
 * bytes (no I/O, no allocation), fuzzed by fuzz/fuzz_socks5.c; the one
 * function that does I/O bounds every step by one deadline, like tcp.h.
 */
#ifndef ENL_TRANSPORT_SOCKS5_H
#define ENL_TRANSPORT_SOCKS5_H

#include <stddef.h>
#include <stdint.h>

#define ENL_SOCKS5_VERSION      5
#define ENL_SOCKS5_HOST_MAX     255     /* a DOMAINNAME is one length byte */
#define ENL_SOCKS5_CRED_MAX     255     /* RFC 1929: one length byte each */
#define ENL_SOCKS5_GREETING_MAX 4
#define ENL_SOCKS5_AUTH_MAX     (3 + 2 * ENL_SOCKS5_CRED_MAX)
#define ENL_SOCKS5_REQUEST_MAX  (5 + ENL_SOCKS5_HOST_MAX + 2)
#define ENL_SOCKS5_REPLY_HEAD   5       /* enough to know a reply's whole length */
#define ENL_SOCKS5_REPLY_MAX    (4 + 1 + 255 + 2)

#define ENL_SOCKS5_NO_AUTH      0x00
#define ENL_SOCKS5_USERPASS     0x02
#define ENL_SOCKS5_NO_METHOD    0xff

#define ENL_SOCKS5_ATYP_IPV4    1
#define ENL_SOCKS5_ATYP_NAME    3
#define ENL_SOCKS5_ATYP_IPV6    4

/* A successful reply: the address the proxy bound (printable) and port. */
typedef struct {
    uint8_t rep;            /* reply code: 0 succeeded */
    uint8_t atyp;
    char bound[ENL_SOCKS5_HOST_MAX + 1];
    uint16_t port;
} enl_socks5_reply;

/* The method-selection message: no authentication, plus username/password
 * when with_userpass is set. *len gets its length. */
int enl_socks5_greeting(uint8_t *out, size_t max, size_t *len, int with_userpass)
    __attribute__((warn_unused_result));
/* The proxy's choice (exactly 2 bytes). *method: ENL_SOCKS5_NO_AUTH or
 * ENL_SOCKS5_USERPASS (only when offered). ENL_EREFUSED when it accepts
 * none of ours, ENL_EPROTO when malformed or not offered. */
int enl_socks5_method_parse(const uint8_t *in, size_t len, int offered_userpass, uint8_t *method)
    __attribute__((warn_unused_result));
/* RFC 1929 request; user and pass 1..255 bytes. */
int enl_socks5_userpass(uint8_t *out, size_t max, size_t *len, const char *user, const char *pass)
    __attribute__((warn_unused_result));
/* RFC 1929 answer (exactly 2 bytes): ENL_OK, or ENL_EREFUSED. */
int enl_socks5_userpass_parse(const uint8_t *in, size_t len) __attribute__((warn_unused_result));
/* CONNECT host:port. host: an IPv4 or IPv6 literal, else a name sent as is. */
int enl_socks5_request(uint8_t *out, size_t max, size_t *len, const char *host, uint16_t port)
    __attribute__((warn_unused_result));
/* The total length of the reply that begins with the len (>= 5) bytes in. */
int enl_socks5_reply_len(const uint8_t *in, size_t len, size_t *total)
    __attribute__((warn_unused_result));
/* Parses one whole reply of exactly len bytes into r. ENL_OK when the proxy
 * connected; else the code that fits r->rep (name it with
 * enl_socks5_reply_str): ENL_ENET (general failure, unreachable),
 * ENL_EREFUSED (not allowed, refused), ENL_ETIMEOUT (TTL expired, onion
 * introduction timed out), ENL_ENOTFOUND (onion descriptor not found),
 * ENL_EPROTO (malformed, or an unknown code). */
int enl_socks5_reply_parse(const uint8_t *in, size_t len, enl_socks5_reply *r)
    __attribute__((warn_unused_result));
/* A reply code's meaning (RFC 1928 and Tor's extended codes); never NULL. */
const char *enl_socks5_reply_str(uint8_t rep);

/* Connects through the proxy at proxy_host:proxy_port to host:port. user
 * and pass (both or neither) are offered as RFC 1929 credentials. The whole
 * exchange takes at most timeout_ms. On failure err gets one line that says
 * which step failed and why. *fd is a non-blocking connected socket. */
int enl_socks5_connect(int *fd, const char *proxy_host, const char *proxy_port, const char *host,
                       uint16_t port, const char *user, const char *pass, int timeout_ms,
                       char *err, size_t err_max) __attribute__((warn_unused_result));

#endif
