/* SOCKS5 client; see socks5.h. */
#include "transport/socks5.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "enlace.h"
#include "transport/tcp.h"
#include "util/bytes.h"

int enl_socks5_greeting(uint8_t *out, size_t max, size_t *len, int with_userpass)
{
    size_t n = with_userpass ? 4 : 3;
    if (max < n) return ENL_EBUFSIZE;
    out[0] = ENL_SOCKS5_VERSION;
    out[1] = with_userpass ? 2 : 1;
    out[2] = ENL_SOCKS5_NO_AUTH;
    if (with_userpass) out[3] = ENL_SOCKS5_USERPASS;
    *len = n;
    return ENL_OK;
}

int enl_socks5_method_parse(const uint8_t *in, size_t len, int offered_userpass, uint8_t *method)
{
    if (len != 2 || in[0] != ENL_SOCKS5_VERSION) return ENL_EPROTO;
    if (in[1] == ENL_SOCKS5_NO_METHOD) return ENL_EREFUSED;
    if (in[1] != ENL_SOCKS5_NO_AUTH && !(offered_userpass && in[1] == ENL_SOCKS5_USERPASS))
        return ENL_EPROTO;
    *method = in[1];
    return ENL_OK;
}

int enl_socks5_userpass(uint8_t *out, size_t max, size_t *len, const char *user, const char *pass)
{
    size_t ul = strlen(user), pl = strlen(pass);
    enl_wr w = enl_wr_init(out, max);
    if (ul == 0 || ul > ENL_SOCKS5_CRED_MAX || pl == 0 || pl > ENL_SOCKS5_CRED_MAX)
        return ENL_EINVAL;
    enl_wr_u8(&w, 1);
    enl_wr_u8(&w, (uint8_t)ul);
    enl_wr_bytes(&w, (const uint8_t *)user, ul);
    enl_wr_u8(&w, (uint8_t)pl);
    enl_wr_bytes(&w, (const uint8_t *)pass, pl);
    if (w.err) return ENL_EBUFSIZE;
    *len = w.len;
    return ENL_OK;
}

int enl_socks5_userpass_parse(const uint8_t *in, size_t len)
{
    if (len != 2 || in[0] != 1) return ENL_EPROTO;
    return in[1] == 0 ? ENL_OK : ENL_EREFUSED;
}

int enl_socks5_request(uint8_t *out, size_t max, size_t *len, const char *host, uint16_t port)
{
    uint8_t a[16];
    size_t hl = strlen(host);
    enl_wr w = enl_wr_init(out, max);

    if (hl == 0 || hl > ENL_SOCKS5_HOST_MAX || port == 0) return ENL_EINVAL;
    enl_wr_u8(&w, ENL_SOCKS5_VERSION);
    enl_wr_u8(&w, 1);       /* CONNECT */
    enl_wr_u8(&w, 0);
    if (inet_pton(AF_INET, host, a) == 1) {
        enl_wr_u8(&w, ENL_SOCKS5_ATYP_IPV4);
        enl_wr_bytes(&w, a, 4);
    } else if (inet_pton(AF_INET6, host, a) == 1) {
        enl_wr_u8(&w, ENL_SOCKS5_ATYP_IPV6);
        enl_wr_bytes(&w, a, 16);
    } else {
        for (size_t i = 0; i < hl; i++)
            if ((unsigned char)host[i] <= 0x20 || (unsigned char)host[i] >= 0x7f) return ENL_EINVAL;
        enl_wr_u8(&w, ENL_SOCKS5_ATYP_NAME);
        enl_wr_u8(&w, (uint8_t)hl);
        enl_wr_bytes(&w, (const uint8_t *)host, hl);
    }
    enl_wr_u16(&w, port);
    if (w.err) return ENL_EBUFSIZE;
    *len = w.len;
    return ENL_OK;
}

int enl_socks5_reply_len(const uint8_t *in, size_t len, size_t *total)
{
    if (len < ENL_SOCKS5_REPLY_HEAD || in[0] != ENL_SOCKS5_VERSION || in[2] != 0) return ENL_EPROTO;
    switch (in[3]) {
    case ENL_SOCKS5_ATYP_IPV4: *total = 4 + 4 + 2; return ENL_OK;
    case ENL_SOCKS5_ATYP_IPV6: *total = 4 + 16 + 2; return ENL_OK;
    case ENL_SOCKS5_ATYP_NAME: *total = 4 + 1 + (size_t)in[4] + 2; return ENL_OK;
    default: return ENL_EPROTO;
    }
}

static int reply_code(uint8_t rep)
{
    switch (rep) {
    case 0x00: return ENL_OK;
    case 0x01: case 0x03: case 0x04: case 0xf2: case 0xf3: return ENL_ENET;
    case 0x02: case 0x05: case 0xf4: case 0xf5: return ENL_EREFUSED;
    case 0x06: case 0xf7: return ENL_ETIMEOUT;
    case 0xf0: return ENL_ENOTFOUND;
    default: return ENL_EPROTO;   /* 7, 8, 0xf1, 0xf6 and unknown codes */
    }
}

const char *enl_socks5_reply_str(uint8_t rep)
{
    switch (rep) {
    case 0x00: return "succeeded";
    case 0x01: return "general failure";
    case 0x02: return "connection not allowed by ruleset";
    case 0x03: return "network unreachable";
    case 0x04: return "host unreachable";
    case 0x05: return "connection refused";
    case 0x06: return "TTL expired";
    case 0x07: return "command not supported";
    case 0x08: return "address type not supported";
    case 0xf0: return "onion service descriptor not found (the service is not published: "
                      "is the device online and listening?)";
    case 0xf1: return "onion service descriptor is invalid";
    case 0xf2: return "onion service introduction failed";
    case 0xf3: return "onion service rendezvous failed";
    case 0xf4: return "onion service needs client authorization";
    case 0xf5: return "onion service client authorization was wrong";
    case 0xf6: return "invalid onion address";
    case 0xf7: return "onion service introduction timed out";
    default: return "unknown reply code";
    }
}

int enl_socks5_reply_parse(const uint8_t *in, size_t len, enl_socks5_reply *r)
{
    enl_rd rd = enl_rd_init(in, len);
    size_t total;
    const uint8_t *a;
    int rc = enl_socks5_reply_len(in, len, &total);

    if (rc != ENL_OK) return rc;
    if (len != total) return ENL_EPROTO;
    memset(r, 0, sizeof *r);
    enl_rd_u8(&rd);
    r->rep = enl_rd_u8(&rd);
    enl_rd_u8(&rd);
    r->atyp = enl_rd_u8(&rd);
    if (r->atyp == ENL_SOCKS5_ATYP_NAME) {
        size_t n = enl_rd_u8(&rd);
        if ((a = enl_rd_ptr(&rd, n)) == NULL) return ENL_EPROTO;
        for (size_t i = 0; i < n; i++)
            r->bound[i] = (a[i] > 0x20 && a[i] < 0x7f) ? (char)a[i] : '?';
        r->bound[n] = '\0';
    } else {
        size_t n = r->atyp == ENL_SOCKS5_ATYP_IPV4 ? 4 : 16;
        if ((a = enl_rd_ptr(&rd, n)) == NULL) return ENL_EPROTO;
        if (inet_ntop(n == 4 ? AF_INET : AF_INET6, a, r->bound, sizeof r->bound) == NULL)
            return ENL_EPROTO;
    }
    r->port = enl_rd_u16(&rd);
    if (rd.err || enl_rd_left(&rd) != 0) return ENL_EPROTO;
    return reply_code(r->rep);
}

/* ---- I/O ------------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
    int64_t left = deadline - now_ms();
    return left <= 0 ? 0 : left > 3600000 ? 3600000 : (int)left;
}

static int step(int rc, char *err, size_t err_max, const char *what)
{
    if (rc != ENL_OK)
        snprintf(err, err_max, "%s (%s)", what,
                 rc == ENL_ETIMEOUT ? "no answer in time" : "the proxy closed the connection");
    return rc;
}

static int exchange(int fd, const char *host, uint16_t port, const char *user, const char *pass,
                    int64_t deadline, char *err, size_t err_max)
{
    uint8_t m[ENL_SOCKS5_AUTH_MAX], method = 0;
    size_t n = 0, total = 0;
    enl_socks5_reply r;
    int up = user != NULL && pass != NULL, rc;

    if ((rc = enl_socks5_greeting(m, sizeof m, &n, up)) != ENL_OK) return rc;
    rc = enl_tcp_write_all(fd, m, n, left_ms(deadline));
    if (rc == ENL_OK) rc = enl_tcp_read_exact(fd, m, 2, left_ms(deadline));
    if (step(rc, err, err_max, "the SOCKS proxy did not answer the greeting") != ENL_OK) return rc;
    rc = enl_socks5_method_parse(m, 2, up, &method);
    if (rc == ENL_EREFUSED)
        snprintf(err, err_max, "the SOCKS proxy accepts none of our authentication methods "
                               "(%s)", up ? "none, username/password" : "none");
    else if (rc != ENL_OK && m[0] == ENL_SOCKS5_VERSION && m[1] == ENL_SOCKS5_USERPASS)
        snprintf(err, err_max, "the SOCKS proxy wants a username and password");
    else if (rc != ENL_OK)
        snprintf(err, err_max, "this is not a SOCKS5 proxy (it answered %02x %02x)", m[0], m[1]);
    if (rc != ENL_OK) return rc;

    if (method == ENL_SOCKS5_USERPASS) {
        rc = enl_socks5_userpass(m, sizeof m, &n, user, pass);
        if (rc == ENL_OK) rc = enl_tcp_write_all(fd, m, n, left_ms(deadline));
        sodium_memzero(m, sizeof m);    /* the credentials */
        if (rc == ENL_OK) rc = enl_tcp_read_exact(fd, m, 2, left_ms(deadline));
        if (step(rc, err, err_max, "the SOCKS proxy did not answer the authentication") != ENL_OK)
            return rc;
        if ((rc = enl_socks5_userpass_parse(m, 2)) != ENL_OK) {
            snprintf(err, err_max, "the SOCKS proxy refused the username and password");
            return rc;
        }
    }

    if ((rc = enl_socks5_request(m, sizeof m, &n, host, port)) != ENL_OK) {
        snprintf(err, err_max, "cannot ask a SOCKS proxy for '%s': not a host name", host);
        return rc;
    }
    rc = enl_tcp_write_all(fd, m, n, left_ms(deadline));
    if (rc == ENL_OK) rc = enl_tcp_read_exact(fd, m, ENL_SOCKS5_REPLY_HEAD, left_ms(deadline));
    if (step(rc, err, err_max, "the SOCKS proxy did not answer the connect request") != ENL_OK)
        return rc;
    if (enl_socks5_reply_len(m, ENL_SOCKS5_REPLY_HEAD, &total) != ENL_OK) {
        snprintf(err, err_max, "the SOCKS proxy sent a malformed reply");
        return ENL_EPROTO;
    }
    rc = enl_tcp_read_exact(fd, m + ENL_SOCKS5_REPLY_HEAD, total - ENL_SOCKS5_REPLY_HEAD,
                            left_ms(deadline));
    if (step(rc, err, err_max, "the SOCKS proxy cut its reply short") != ENL_OK) return rc;
    rc = enl_socks5_reply_parse(m, total, &r);
    if (rc != ENL_OK)
        snprintf(err, err_max, "the SOCKS proxy could not reach %s:%u: %s", host, (unsigned)port,
                 enl_socks5_reply_str(m[1]));
    return rc;
}

int enl_socks5_connect(int *out, const char *proxy_host, const char *proxy_port, const char *host,
                       uint16_t port, const char *user, const char *pass, int timeout_ms,
                       char *err, size_t err_max)
{
    int64_t deadline = now_ms() + timeout_ms;
    int fd = -1, rc;

    err[0] = '\0';
    if ((user == NULL) != (pass == NULL)) return ENL_EINVAL;
    rc = enl_tcp_connect(&fd, proxy_host, proxy_port, timeout_ms);
    if (rc != ENL_OK) {
        snprintf(err, err_max, "no SOCKS proxy at %s:%s (%s): is tor running, its SocksPort "
                 "there? (sudo systemctl start tor; a SocksPort other than 127.0.0.1:9050 is "
                 "given with --socks HOST:PORT)", proxy_host, proxy_port,
                 rc == ENL_ETIMEOUT ? "no answer" : "connection refused");
        return rc;
    }
    rc = exchange(fd, host, port, user, pass, deadline, err, err_max);
    if (rc != ENL_OK) {
        enl_tcp_close(fd);
        return rc;
    }
    *out = fd;
    return ENL_OK;
}
