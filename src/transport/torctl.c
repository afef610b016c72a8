/* Tor control-port client; see torctl.h. */
#include "transport/torctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <grp.h>
#include <pwd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "enlace.h"
#include "transport/tcp.h"

#define EVENTS_MAX 64   /* asynchronous replies skipped while waiting for one answer */

static const char server_key[] = "Tor safe cookie authentication server-to-controller hash";
static const char client_key[] = "Tor safe cookie authentication controller-to-server hash";

/* ---- pure parsers ---------------------------------------------------- */

int enl_torctl_reply_parse(enl_torctl_reply *r, const uint8_t *in, size_t len)
{
    size_t pos = 0, lines = 0;
    int status = -1, data = 0;

    r->nlines = 0;
    for (;;) {
        size_t avail = len - pos, scan = avail < ENL_TORCTL_LINE_MAX ? avail : ENL_TORCTL_LINE_MAX;
        const uint8_t *nl = memchr(in + pos, '\n', scan), *t = in + pos;
        size_t llen;
        int code;

        if (nl == NULL)
            return avail >= ENL_TORCTL_LINE_MAX || len >= ENL_TORCTL_BUF ? ENL_EPROTO : ENL_ENOTFOUND;
        llen = (size_t)(nl - t);
        if (llen == 0 || t[llen - 1] != '\r') return ENL_EPROTO;
        llen--;
        if (memchr(t, '\0', llen) != NULL || memchr(t, '\r', llen) != NULL) return ENL_EPROTO;
        if (++lines > ENL_TORCTL_LINES_MAX) return ENL_EPROTO;
        pos += llen + 2;
        if (pos > ENL_TORCTL_BUF) return ENL_EPROTO;
        if (data) {
            if (llen == 1 && t[0] == '.') data = 0;
            continue;
        }
        if (llen < 4 || t[0] < '0' || t[0] > '9' || t[1] < '0' || t[1] > '9' || t[2] < '0' ||
            t[2] > '9')
            return ENL_EPROTO;
        code = (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
        if (status >= 0 && code != status) return ENL_EPROTO;
        status = code;
        r->line[r->nlines].off = (size_t)(t - in) + 4;
        r->line[r->nlines].len = llen - 4;
        r->nlines++;
        if (t[3] == ' ') {
            r->status = status;
            r->len = pos;
            return ENL_OK;
        }
        if (t[3] == '+') data = 1;
        else if (t[3] != '-') return ENL_EPROTO;
    }
}

void enl_torctl_reply_text(char *out, size_t max, const enl_torctl_reply *r, const uint8_t *in,
                           size_t i)
{
    size_t n = 0;
    if (max == 0) return;
    if (i < r->nlines) {
        const uint8_t *t = in + r->line[i].off;
        for (size_t k = 0; k < r->line[i].len && n + 1 < max; k++)
            out[n++] = (t[k] >= 0x20 && t[k] < 0x7f) ? (char)t[k] : '?';
    }
    out[n] = '\0';
}

/* Whether line i of r starts with prefix; *rest and *rest_len get the remainder. */
static int line_starts(const enl_torctl_reply *r, const uint8_t *in, size_t i, const char *prefix,
                       const uint8_t **rest, size_t *rest_len)
{
    size_t pl = strlen(prefix);
    if (r->line[i].len < pl || memcmp(in + r->line[i].off, prefix, pl) != 0) return 0;
    *rest = in + r->line[i].off + pl;
    *rest_len = r->line[i].len - pl;
    return 1;
}

/* Reads one character of a QuotedString after its backslash. */
static int unescape(const uint8_t *t, size_t n, size_t *i, uint8_t *ch)
{
    uint8_t c;
    if (*i >= n) return ENL_EPROTO;
    c = t[(*i)++];
    if (c >= '0' && c <= '7') {
        unsigned v = (unsigned)(c - '0');
        for (int k = 0; k < 2; k++) {
            if (*i >= n || t[*i] < '0' || t[*i] > '7') return ENL_EPROTO;
            v = v * 8 + (unsigned)(t[(*i)++] - '0');
        }
        if (v > 255) return ENL_EPROTO;
        c = (uint8_t)v;
    } else if (c == 'n') {
        c = '\n';
    } else if (c == 't') {
        c = '\t';
    } else if (c == 'r') {
        c = '\r';
    }
    *ch = c;
    return ENL_OK;
}

/* Finds KEY=VALUE among the space-separated words of t; VALUE is a bare word
 * or a QuotedString. out gets the value, NUL-terminated (no control
 * characters). ENL_ENOTFOUND when absent. */
static int kv_get(const uint8_t *t, size_t n, const char *key, char *out, size_t max)
{
    size_t i = 0, kl = strlen(key);
    while (i < n) {
        size_t ws, o = 0;
        int match;
        while (i < n && t[i] == ' ') i++;
        ws = i;
        while (i < n && t[i] != ' ' && t[i] != '=') i++;
        if (i >= n || t[i] != '=') continue;
        match = i - ws == kl && memcmp(t + ws, key, kl) == 0;
        i++;
        if (i < n && t[i] == '"') {
            for (i++;;) {
                uint8_t ch;
                if (i >= n) return ENL_EPROTO;
                ch = t[i++];
                if (ch == '"') break;
                if (ch == '\\' && unescape(t, n, &i, &ch) != ENL_OK) return ENL_EPROTO;
                if (!match) continue;
                if (ch < 0x20 || ch == 0x7f || o + 1 >= max) return ENL_EPROTO;
                out[o++] = (char)ch;
            }
            if (i < n && t[i] != ' ') return ENL_EPROTO;
        } else {
            for (; i < n && t[i] != ' '; i++) {
                if (!match) continue;
                if (t[i] < 0x20 || t[i] == 0x7f || o + 1 >= max) return ENL_EPROTO;
                out[o++] = (char)t[i];
            }
        }
        if (match) {
            out[o] = '\0';
            return ENL_OK;
        }
    }
    return ENL_ENOTFOUND;
}

/* A whole reply of exactly len bytes, status 250, ending in "OK" unless
 * it is a one-line reply. */
static int ok_reply(enl_torctl_reply *r, const uint8_t *in, size_t len, int last_ok)
{
    const uint8_t *rest;
    size_t rl;
    if (enl_torctl_reply_parse(r, in, len) != ENL_OK || r->len != len || r->status != 250)
        return ENL_EPROTO;
    if (last_ok && !(line_starts(r, in, r->nlines - 1, "OK", &rest, &rl) && rl == 0))
        return ENL_EPROTO;
    return ENL_OK;
}

static unsigned methods_parse(const char *s)
{
    static const struct { const char *name; unsigned bit; } m[] = {
        { "NULL", ENL_TORCTL_AUTH_NULL }, { "HASHEDPASSWORD", ENL_TORCTL_AUTH_PASSWORD },
        { "COOKIE", ENL_TORCTL_AUTH_COOKIE }, { "SAFECOOKIE", ENL_TORCTL_AUTH_SAFECOOKIE },
    };
    unsigned bits = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        for (size_t k = 0; k < sizeof m / sizeof m[0]; k++)
            if (strlen(m[k].name) == n && memcmp(m[k].name, s, n) == 0) bits |= m[k].bit;
        s += n;
        if (*s == ',') s++;
    }
    return bits;
}

int enl_torctl_protocolinfo_parse(enl_torctl_info *out, const uint8_t *in, size_t len)
{
    enl_torctl_reply r;
    char methods[128];
    int have_auth = 0, rc;

    if (ok_reply(&r, in, len, 1) != ENL_OK) return ENL_EPROTO;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i + 1 < r.nlines; i++) {
        const uint8_t *t;
        size_t n;
        if (line_starts(&r, in, i, "AUTH ", &t, &n)) {
            if (have_auth++) return ENL_EPROTO;
            if (kv_get(t, n, "METHODS", methods, sizeof methods) != ENL_OK) return ENL_EPROTO;
            out->methods = methods_parse(methods);
            rc = kv_get(t, n, "COOKIEFILE", out->cookie_file, sizeof out->cookie_file);
            if (rc != ENL_OK && rc != ENL_ENOTFOUND) return ENL_EPROTO;
        } else if (line_starts(&r, in, i, "VERSION ", &t, &n)) {
            rc = kv_get(t, n, "Tor", out->version, sizeof out->version);
            if (rc != ENL_OK && rc != ENL_ENOTFOUND) return ENL_EPROTO;
        }
    }
    return have_auth && out->methods != 0 ? ENL_OK : ENL_EPROTO;
}

static int hex32(uint8_t out[32], const char *hex)
{
    size_t bl = 0;
    const char *end = NULL;
    if (strlen(hex) != 64 || sodium_hex2bin(out, 32, hex, 64, NULL, &bl, &end) != 0 || bl != 32 ||
        end != hex + 64)
        return ENL_EPROTO;
    return ENL_OK;
}

int enl_torctl_authchallenge_parse(uint8_t server_hash[32], uint8_t server_nonce[32],
                                   const uint8_t *in, size_t len)
{
    enl_torctl_reply r;
    const uint8_t *t;
    size_t n;
    char h[72], s[72];

    if (ok_reply(&r, in, len, 0) != ENL_OK || r.nlines != 1 ||
        !line_starts(&r, in, 0, "AUTHCHALLENGE ", &t, &n))
        return ENL_EPROTO;
    if (kv_get(t, n, "SERVERHASH", h, sizeof h) != ENL_OK ||
        kv_get(t, n, "SERVERNONCE", s, sizeof s) != ENL_OK)
        return ENL_EPROTO;
    if (hex32(server_hash, h) != ENL_OK || hex32(server_nonce, s) != ENL_OK) return ENL_EPROTO;
    return ENL_OK;
}

int enl_onion_id_valid(const char *s, size_t len)
{
    if (len != ENL_ONION_ID_LEN) return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '2' && s[i] <= '7'))) return 0;
    return 1;
}

int enl_torctl_add_onion_parse(char id[ENL_ONION_ID_LEN + 1], uint8_t key[ENL_ONION_KEYBYTES],
                               int *has_key, const uint8_t *in, size_t len)
{
    enl_torctl_reply r;
    int have_id = 0, have_key = 0, rc = ENL_OK;

    if (ok_reply(&r, in, len, 1) != ENL_OK) return ENL_EPROTO;
    for (size_t i = 0; rc == ENL_OK && i + 1 < r.nlines; i++) {
        const uint8_t *t;
        size_t n, bl = 0;
        const char *end = NULL;
        if (line_starts(&r, in, i, "ServiceID=", &t, &n)) {
            if (have_id++ || !enl_onion_id_valid((const char *)t, n)) rc = ENL_EPROTO;
            else memcpy(id, t, n), id[n] = '\0';
        } else if (line_starts(&r, in, i, "PrivateKey=ED25519-V3:", &t, &n)) {
            if (have_key++ || n != sodium_base64_ENCODED_LEN(ENL_ONION_KEYBYTES,
                                                             sodium_base64_VARIANT_ORIGINAL) - 1 ||
                sodium_base642bin(key, ENL_ONION_KEYBYTES, (const char *)t, n, NULL, &bl, &end,
                                  sodium_base64_VARIANT_ORIGINAL) != 0 ||
                bl != ENL_ONION_KEYBYTES || end != (const char *)t + n)
                rc = ENL_EPROTO;
        } else if (line_starts(&r, in, i, "PrivateKey=", &t, &n)) {
            rc = ENL_EPROTO;    /* a key type we did not ask for */
        }
    }
    if (rc == ENL_OK && !have_id) rc = ENL_EPROTO;
    if (rc != ENL_OK) {
        sodium_memzero(key, ENL_ONION_KEYBYTES);
        return rc;
    }
    *has_key = have_key;
    return ENL_OK;
}

static void hmac(uint8_t out[32], const char *k, const uint8_t cookie[32], const uint8_t cn[32],
                 const uint8_t sn[32])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const uint8_t *)k, strlen(k));
    crypto_auth_hmacsha256_update(&st, cookie, ENL_TORCTL_COOKIEBYTES);
    crypto_auth_hmacsha256_update(&st, cn, ENL_TORCTL_NONCEBYTES);
    crypto_auth_hmacsha256_update(&st, sn, ENL_TORCTL_NONCEBYTES);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

void enl_torctl_safecookie(uint8_t server_hash[32], uint8_t client_hash[32],
                           const uint8_t cookie[ENL_TORCTL_COOKIEBYTES],
                           const uint8_t client_nonce[ENL_TORCTL_NONCEBYTES],
                           const uint8_t server_nonce[ENL_TORCTL_NONCEBYTES])
{
    hmac(server_hash, server_key, cookie, client_nonce, server_nonce);
    hmac(client_hash, client_key, cookie, client_nonce, server_nonce);
}

/* ---- I/O ------------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(enl_torctl *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(enl_torctl *c, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return rc;
}

/* Drops the last reply from the buffer (and wipes what it held). */
static void drop_last(enl_torctl *c)
{
    size_t rest = c->have - c->last;
    if (c->last == 0) return;
    memmove(c->buf, c->buf + c->last, rest);
    sodium_memzero(c->buf + rest, c->last);
    c->have = rest;
    c->last = 0;
}

static int recv_some(enl_torctl *c, int64_t deadline)
{
    for (;;) {
        struct pollfd pf = { c->fd, POLLIN, 0 };
        int64_t left = deadline - now_ms();
        ssize_t n = recv(c->fd, c->buf + c->have, sizeof c->buf - c->have, 0);
        if (n > 0) {
            c->have += (size_t)n;
            return ENL_OK;
        }
        if (n == 0) return ENL_ENET;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return ENL_ENET;
        if (left <= 0) return ENL_ETIMEOUT;
        if (poll(&pf, 1, left > 60000 ? 60000 : (int)left) < 0 && errno != EINTR) return ENL_ENET;
    }
}

/* Reads the next reply that is not an asynchronous event (6xx). */
static int read_reply(enl_torctl *c, enl_torctl_reply *r)
{
    int64_t deadline = now_ms() + c->timeout_ms;
    int events = 0, rc;

    for (;;) {
        drop_last(c);
        rc = enl_torctl_reply_parse(r, c->buf, c->have);
        if (rc == ENL_OK) {
            c->last = r->len;
            if (r->status / 100 != 6) return ENL_OK;
            if (++events > EVENTS_MAX) break;
            continue;
        }
        if (rc != ENL_ENOTFOUND || c->have == sizeof c->buf) break;
        rc = recv_some(c, deadline);
        if (rc == ENL_ETIMEOUT) return fail(c, rc, "tor's control port did not answer in time");
        if (rc != ENL_OK) return fail(c, rc, "tor closed the control connection");
    }
    return fail(c, ENL_EPROTO, "what answers on the control port does not speak tor's "
                               "control protocol (is --tor-control the ControlPort?)");
}

/* Sends one command line (CRLF included) and reads its reply. The line may
 * hold a secret: the caller wipes it. */
static int command(enl_torctl *c, const char *line, size_t n, enl_torctl_reply *r)
{
    int rc;
    drop_last(c);
    rc = enl_tcp_write_all(c->fd, (const uint8_t *)line, n, c->timeout_ms);
    if (rc != ENL_OK) return fail(c, rc, "cannot write to tor's control port (tor closed it?)");
    return read_reply(c, r);
}

/* Fails with tor's own words unless the reply is 250. */
static int expect_250(enl_torctl *c, const enl_torctl_reply *r, const char *what)
{
    char text[200];
    if (r->status == 250) return ENL_OK;
    enl_torctl_reply_text(text, sizeof text, r, c->buf, r->nlines - 1);
    return fail(c, ENL_EREFUSED, "tor refused %s: %d %s", what, r->status, text);
}

int enl_torctl_connect(enl_torctl *c, const char *host, const char *port, int timeout_ms)
{
    int rc;
    c->fd = -1;
    c->have = c->last = 0;
    c->timeout_ms = timeout_ms;
    c->err[0] = '\0';
    rc = enl_tcp_connect(&c->fd, host, port, timeout_ms);
    if (rc != ENL_OK) {
        c->fd = -1;
        return fail(c, rc, "no tor control port at %s:%s: start tor with 'ControlPort %s' and "
                           "'CookieAuthentication 1' in /etc/tor/torrc (then: sudo systemctl "
                           "restart tor), or pass --tor-control HOST:PORT", host, port, port);
    }
    return ENL_OK;
}

/* Whose files a cookie may be: root's, tor's user's (Debian: debian-tor),
 * or ours (a tor of our own). */
static int trusted_owner(uid_t uid)
{
    struct passwd *pw;
    if (uid == 0 || uid == geteuid()) return 1;
    pw = getpwnam("debian-tor");
    return pw != NULL && pw->pw_uid == uid;
}

/* A group a cookie may be readable by: root's, or tor's (Debian's tor
 * makes its cookie 0640, group debian-tor, for the users it admits). */
static int trusted_group(gid_t gid)
{
    struct group *gr;
    if (gid == 0) return 1;
    gr = getgrnam("debian-tor");
    return gr != NULL && gr->gr_gid == gid;
}

/* The cookie file's path comes from the server, which may not be tor (any
 * local program can listen on the control port while tor is stopped): a
 * file anyone else could have written, or in a folder anyone else could
 * write to, would let it pass SAFECOOKIE with a cookie of its own making;
 * and a file anyone else can read (there are many 32-byte files readable
 * by all under /usr) would let it answer the challenge with what it read
 * and receive the onion service's key. */
static int cookie_trusted(enl_torctl *c, const char *path, const struct stat *sb)
{
    char dir[ENL_TORCTL_PATH_MAX + 1];
    struct stat ds;
    char *slash;
    if (!trusted_owner(sb->st_uid) || (sb->st_mode & (S_IWGRP | S_IWOTH)))
        return fail(c, ENL_EREFUSED, "tor's cookie file %s is not tor's (owned by uid %lu, or "
                    "writable by others): refusing it; is the program on the control port "
                    "really tor?", path, (unsigned long)sb->st_uid);
    if ((sb->st_mode & S_IROTH) || ((sb->st_mode & S_IRGRP) && !trusted_group(sb->st_gid)))
        return fail(c, ENL_EREFUSED, "tor's cookie file %s can be read by other users (mode "
                    "%03o): refusing it, since whoever reads it can pass for tor; is the program "
                    "on the control port really tor?", path, (unsigned)(sb->st_mode & 0777));
    snprintf(dir, sizeof dir, "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL) return fail(c, ENL_EREFUSED, "tor's cookie file %s is not a full path", path);
    if (slash == dir) slash[1] = '\0';
    else *slash = '\0';
    if (stat(dir, &ds) != 0 || !S_ISDIR(ds.st_mode) || !trusted_owner(ds.st_uid) ||
        ((ds.st_mode & (S_IWGRP | S_IWOTH)) && !(ds.st_mode & S_ISVTX)))
        return fail(c, ENL_EREFUSED, "tor's cookie file %s is in a folder others can write to: "
                    "refusing it; is the program on the control port really tor?", path);
    return ENL_OK;
}

static int read_cookie(enl_torctl *c, const char *path, uint8_t cookie[ENL_TORCTL_COOKIEBYTES])
{
    struct stat sb;
    ssize_t n;
    int fd, e, rc;

    if (path[0] == '\0')
        return fail(c, ENL_EPROTO, "tor offers cookie authentication but names no cookie file");
    /* Never blocks (a FIFO) nor follows a link. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0) {
        e = errno;
        if (e == EACCES)
            return fail(c, ENL_EIO, "cannot read tor's cookie file %s: permission denied (add "
                                    "your user to tor's group: sudo adduser $USER debian-tor, "
                                    "then log in again)", path);
        return fail(c, ENL_EIO, "cannot read tor's cookie file %s: %s", path, strerror(e));
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size != ENL_TORCTL_COOKIEBYTES) {
        close(fd);
        return fail(c, ENL_EPROTO, "%s is not a tor cookie file (32 bytes)", path);
    }
    if ((rc = cookie_trusted(c, path, &sb)) != ENL_OK) {
        close(fd);
        return rc;
    }
    n = read(fd, cookie, ENL_TORCTL_COOKIEBYTES);
    close(fd);
    if (n != ENL_TORCTL_COOKIEBYTES) {
        sodium_memzero(cookie, ENL_TORCTL_COOKIEBYTES);
        return fail(c, ENL_EIO, "cannot read tor's cookie file %s", path);
    }
    return ENL_OK;
}

static int auth_safecookie(enl_torctl *c, const char *path)
{
    uint8_t cookie[ENL_TORCTL_COOKIEBYTES], cn[32], sn[32], sh[32], want[32], ch[32];
    char line[64 + 2 * 32 + 8];
    enl_torctl_reply r;
    int rc;

    if ((rc = read_cookie(c, path, cookie)) != ENL_OK) return rc;
    randombytes_buf(cn, sizeof cn);
    memcpy(line, "AUTHCHALLENGE SAFECOOKIE ", 25);
    sodium_bin2hex(line + 25, 65, cn, sizeof cn);
    memcpy(line + 25 + 64, "\r\n", 3);
    rc = command(c, line, strlen(line), &r);
    if (rc == ENL_OK) rc = expect_250(c, &r, "the cookie challenge");
    if (rc == ENL_OK && enl_torctl_authchallenge_parse(sh, sn, c->buf, r.len) != ENL_OK)
        rc = fail(c, ENL_EPROTO, "tor's answer to AUTHCHALLENGE is malformed");
    if (rc == ENL_OK) {
        enl_torctl_safecookie(want, ch, cookie, cn, sn);
        if (sodium_memcmp(want, sh, sizeof want) != 0)
            rc = fail(c, ENL_EPROTO, "what answers on the control port does not hold the cookie "
                                     "in %s: it is not that tor (nothing was sent)", path);
    }
    if (rc == ENL_OK) {
        memcpy(line, "AUTHENTICATE ", 13);
        sodium_bin2hex(line + 13, 65, ch, sizeof ch);
        memcpy(line + 13 + 64, "\r\n", 3);
        rc = command(c, line, strlen(line), &r);
        if (rc == ENL_OK) rc = expect_250(c, &r, "the cookie");
    }
    sodium_memzero(cookie, sizeof cookie);
    sodium_memzero(want, sizeof want);
    sodium_memzero(ch, sizeof ch);
    sodium_memzero(line, sizeof line);
    return rc;
}

static int auth_password(enl_torctl *c, const char *pw)
{
    size_t pl = strlen(pw), n = 0;
    char line[16 + 2 * 256 + 8];
    enl_torctl_reply r;
    int rc;

    if (pl > 256) return fail(c, ENL_ETOOBIG, "the tor control password is longer than 256 bytes");
    memcpy(line, "AUTHENTICATE \"", 14);
    n = 14;
    for (size_t i = 0; i < pl; i++) {
        unsigned char ch = (unsigned char)pw[i];
        if (ch < 0x20 || ch == 0x7f) {
            sodium_memzero(line, sizeof line);
            return fail(c, ENL_EINVAL, "the tor control password holds a control character");
        }
        if (ch == '"' || ch == '\\') line[n++] = '\\';
        line[n++] = (char)ch;
    }
    memcpy(line + n, "\"\r\n", 3);
    n += 3;
    rc = command(c, line, n, &r);
    if (rc == ENL_OK) rc = expect_250(c, &r, "the password");
    sodium_memzero(line, sizeof line);
    return rc;
}

int enl_torctl_authenticate(enl_torctl *c, const char *password)
{
    static const char pi[] = "PROTOCOLINFO 1\r\n";
    enl_torctl_info info;
    enl_torctl_reply r;
    unsigned m;
    int rc = command(c, pi, sizeof pi - 1, &r);

    if (rc == ENL_OK) rc = expect_250(c, &r, "PROTOCOLINFO");
    if (rc != ENL_OK) return rc;
    if (enl_torctl_protocolinfo_parse(&info, c->buf, r.len) != ENL_OK)
        return fail(c, ENL_EPROTO, "tor's answer to PROTOCOLINFO is malformed");
    m = info.methods;
    /* A port that asks for nothing is refused with a password too: the
     * password would prove nothing to it, and it would get the onion key. */
    if (password != NULL && (m & ENL_TORCTL_AUTH_PASSWORD)) return auth_password(c, password);
    if (password != NULL && !(m & ENL_TORCTL_AUTH_NULL))
        return fail(c, ENL_EREFUSED, "tor's control port takes no password (no "
                                     "HashedControlPassword in the torrc): use its cookie, "
                                     "without a password");
    /* Only SAFECOOKIE proves that the other side is tor (it holds tor's
     * cookie) before the onion key goes to it. Without authentication any
     * program on the control port passes; plain COOKIE would hand it the
     * cookie of any file it names. */
    if (password == NULL && (m & ENL_TORCTL_AUTH_SAFECOOKIE))
        return auth_safecookie(c, info.cookie_file);
    if (m & ENL_TORCTL_AUTH_NULL)
        return fail(c, ENL_EREFUSED, "tor's control port asks for no authentication: enlace "
                                     "cannot tell it from a program posing as tor, and will not "
                                     "hand it the onion key; set 'CookieAuthentication 1' in the "
                                     "torrc (or a HashedControlPassword, and --tor-password-file)");
    if (m & ENL_TORCTL_AUTH_COOKIE)
        return fail(c, ENL_EREFUSED, "tor's control port offers only plain cookie "
                                     "authentication, which proves nothing about the other side: "
                                     "enlace needs SAFECOOKIE (tor 0.2.3 and later offer it)");
    if (m & ENL_TORCTL_AUTH_PASSWORD)
        return fail(c, ENL_EREFUSED, "tor's control port wants a password "
                                     "(HashedControlPassword): pass --tor-password-file FILE, or "
                                     "set 'CookieAuthentication 1' in the torrc");
    return fail(c, ENL_EREFUSED, "tor offers no authentication method that enlace knows");
}

int enl_torctl_add_onion(enl_torctl *c, const uint8_t *key, uint16_t virt_port, const char *target,
                         char id[ENL_ONION_ID_LEN + 1], uint8_t new_key[ENL_ONION_KEYBYTES])
{
    char b64[sodium_base64_ENCODED_LEN(ENL_ONION_KEYBYTES, sodium_base64_VARIANT_ORIGINAL)];
    char line[256];
    enl_torctl_reply r;
    int has_key = 0, rc, n;

    for (const char *q = target; *q; q++)
        if (*q <= 0x20 || *q >= 0x7f) return fail(c, ENL_EINVAL, "not a target address: %s", target);
    if (virt_port == 0 || strlen(target) > 100) return ENL_EINVAL;
    if (key != NULL) {
        sodium_bin2base64(b64, sizeof b64, key, ENL_ONION_KEYBYTES, sodium_base64_VARIANT_ORIGINAL);
        n = snprintf(line, sizeof line, "ADD_ONION ED25519-V3:%s Flags=DiscardPK Port=%u,%s\r\n",
                     b64, (unsigned)virt_port, target);
    } else {
        n = snprintf(line, sizeof line, "ADD_ONION NEW:ED25519-V3 Port=%u,%s\r\n",
                     (unsigned)virt_port, target);
    }
    sodium_memzero(b64, sizeof b64);
    rc = n > 0 && (size_t)n < sizeof line ? command(c, line, (size_t)n, &r) : ENL_EINVAL;
    sodium_memzero(line, sizeof line);
    if (rc == ENL_OK) rc = expect_250(c, &r, "to add the onion service");
    if (rc != ENL_OK) return rc;
    if (enl_torctl_add_onion_parse(id, new_key, &has_key, c->buf, r.len) != ENL_OK)
        rc = fail(c, ENL_EPROTO, "tor's answer to ADD_ONION is malformed");
    else if (key == NULL && !has_key)
        rc = fail(c, ENL_EPROTO, "tor did not return the new onion service's key");
    drop_last(c);   /* the reply held the key */
    if (rc != ENL_OK) sodium_memzero(new_key, ENL_ONION_KEYBYTES);
    return rc;
}

int enl_torctl_del_onion(enl_torctl *c, const char *id)
{
    char line[16 + ENL_ONION_ID_LEN + 4];
    enl_torctl_reply r;
    int rc;

    if (!enl_onion_id_valid(id, strlen(id))) return ENL_EINVAL;
    snprintf(line, sizeof line, "DEL_ONION %s\r\n", id);
    rc = command(c, line, strlen(line), &r);
    if (rc == ENL_OK) rc = expect_250(c, &r, "to remove the onion service");
    return rc;
}

int enl_torctl_alive(enl_torctl *c)
{
    for (int k = 0; k < EVENTS_MAX; k++) {
        struct pollfd pf = { c->fd, POLLIN, 0 };
        enl_torctl_reply r;
        int rc;
        if (c->fd < 0) return ENL_ENET;
        if (poll(&pf, 1, 0) <= 0) return ENL_OK;
        drop_last(c);
        if (c->have == sizeof c->buf) return fail(c, ENL_EPROTO, "tor's control port flooded us");
        if (recv_some(c, now_ms()) != ENL_OK)
            return fail(c, ENL_ENET, "tor closed the control connection");
        /* Drop whole replies (events); keep a partial one for later. */
        while ((rc = enl_torctl_reply_parse(&r, c->buf, c->have)) == ENL_OK) {
            c->last = r.len;
            drop_last(c);
        }
        if (rc != ENL_ENOTFOUND)
            return fail(c, ENL_EPROTO, "tor's control port sent something malformed");
    }
    return ENL_OK;
}

void enl_torctl_close(enl_torctl *c)
{
    if (c == NULL) return;
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    sodium_memzero(c->buf, sizeof c->buf);
    c->have = c->last = 0;
}
