/*
 * The Tor control-port client.
 *
 * Parsers: replies recorded from tor 0.4.9 (Debian bookworm), plus every
 * truncation and the malformed shapes a hostile or broken peer could send.
 *
 * Against a REAL tor: the test starts /usr/sbin/tor (Debian package tor)
 * offline (DisableNetwork 1, SocksPort 0) with a ControlPort on a free
 * loopback port, CookieAuthentication 1, a HashedControlPassword and a
 * temporary DataDirectory, and runs PROTOCOLINFO, AUTHENTICATE (SAFECOOKIE,
 * then a password), ADD_ONION NEW:ED25519-V3, DEL_ONION, and ADD_ONION with
 * the stored key (same address). tor needs no network for that. When tor is
 * not installed the test fails and says so: it installs nothing, skips
 * nothing.
 *
 * Against a FAKE tor (a forked child replaying a recorded conversation):
 * only what a real tor would never do: a SAFECOOKIE server hash that does
 * not verify (we must stop before sending ours), plain COOKIE or no
 * authentication (refused: they prove nothing about the server), a cookie
 * file others could have written or a FIFO (refused at once, never read),
 * password only, and a server that is not tor at all.
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
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enlace.h"
#include "transport/tcp.h"
#include "transport/torctl.h"

#define B(s) ((const uint8_t *)(s)), (sizeof(s) - 1)

/* Recorded from tor 0.4.9.11. */
static const char rec_protocolinfo[] =
    "250-PROTOCOLINFO 1\r\n"
    "250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE=\"/tmp/tortest/data/control_auth_cookie\"\r\n"
    "250-VERSION Tor=\"0.4.9.11\"\r\n"
    "250 OK\r\n";
static const char rec_protocolinfo_pw[] =
    "250-PROTOCOLINFO 1\r\n"
    "250-AUTH METHODS=COOKIE,SAFECOOKIE,HASHEDPASSWORD COOKIEFILE=\"/var/run/tor/control.authcookie\"\r\n"
    "250-VERSION Tor=\"0.4.9.11\"\r\n"
    "250 OK\r\n";
static const char rec_add_onion_new[] =
    "250-ServiceID=kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xrad\r\n"
    "250-PrivateKey=ED25519-V3:WHzGco/NJmTmW3/LlUG/FyEGZ71bVLjH/X68NfXAw16RzhNpHlWvNLDXW45J3EvFnLvR1CzB7gaJGHLI3znixQ==\r\n"
    "250 OK\r\n";
static const char rec_add_onion_key[] =
    "250-ServiceID=kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xrad\r\n"
    "250 OK\r\n";
static const char rec_challenge[] =
    "250 AUTHCHALLENGE SERVERHASH=F0767E24BFAD70C459D4271BE882705E516C6EE940807E2C77702C4CD1D7472C "
    "SERVERNONCE=5555555555555555555555555555555555555555555555555555555555555555\r\n";
static const char rec_auth_failed[] =
    "515 Authentication failed: Password did not match HashedControlPassword value from "
    "configuration\r\n";

/* ---- the reply splitter ------------------------------------------------ */

static void test_reply_parse(void **state)
{
    enl_torctl_reply r;
    char text[128];
    (void)state;

    assert_int_equal(enl_torctl_reply_parse(&r, B("250 OK\r\n")), ENL_OK);
    assert_int_equal(r.status, 250);
    assert_int_equal(r.nlines, 1);
    assert_int_equal(r.len, 8);

    assert_int_equal(enl_torctl_reply_parse(&r, B(rec_protocolinfo)), ENL_OK);
    assert_int_equal(r.status, 250);
    assert_int_equal(r.nlines, 4);
    assert_int_equal(r.len, sizeof rec_protocolinfo - 1);
    enl_torctl_reply_text(text, sizeof text, &r, (const uint8_t *)rec_protocolinfo, 2);
    assert_string_equal(text, "VERSION Tor=\"0.4.9.11\"");
    enl_torctl_reply_text(text, sizeof text, &r, (const uint8_t *)rec_protocolinfo, 9);
    assert_string_equal(text, "");

    assert_int_equal(enl_torctl_reply_parse(&r, B(rec_auth_failed)), ENL_OK);
    assert_int_equal(r.status, 515);

    /* Two replies back to back: the first one only. */
    assert_int_equal(enl_torctl_reply_parse(&r, B("250 OK\r\n650 CIRC 1 BUILT\r\n")), ENL_OK);
    assert_int_equal(r.len, 8);

    /* A data reply: its data lines are counted, not kept. */
    assert_int_equal(enl_torctl_reply_parse(&r, B("250+onions/current=\r\nabc\r\n.\r\n250 OK\r\n")),
                     ENL_OK);
    assert_int_equal(r.nlines, 2);
    assert_int_equal(r.status, 250);
}

static void test_reply_incomplete(void **state)
{
    enl_torctl_reply r;
    (void)state;
    /* Every proper prefix of a reply is incomplete, not malformed. */
    for (size_t k = 0; k < sizeof rec_add_onion_new - 1; k++)
        assert_int_equal(enl_torctl_reply_parse(&r, (const uint8_t *)rec_add_onion_new, k),
                         ENL_ENOTFOUND);
    assert_int_equal(enl_torctl_reply_parse(&r, B("250+x\r\ndata\r\n")), ENL_ENOTFOUND);
}

static void test_reply_malformed(void **state)
{
    static const char *const bad[] = {
        "250 OK\n",                         /* bare LF */
        "\r\n",                             /* empty line */
        "25 OK\r\n",                        /* short code */
        "2x0 OK\r\n",
        "250*OK\r\n",                       /* unknown separator */
        "250\r\n",                          /* no separator */
        "250-a\r\n251 OK\r\n",              /* codes that differ */
        "250 O\rK\r\n",                     /* CR inside a line */
        "HTTP/1.0 400 Bad Request\r\n",     /* not tor */
    };
    uint8_t big[ENL_TORCTL_BUF + 64];
    enl_torctl_reply r;
    size_t n = 0;
    (void)state;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(enl_torctl_reply_parse(&r, (const uint8_t *)bad[i], strlen(bad[i])),
                         ENL_EPROTO);
    assert_int_equal(enl_torctl_reply_parse(&r, (const uint8_t *)"250 O\0K\r\n", 9), ENL_EPROTO);

    /* A line longer than ENL_TORCTL_LINE_MAX, complete or not. */
    memcpy(big, "250 ", 4);
    memset(big + 4, 'a', ENL_TORCTL_LINE_MAX);
    assert_int_equal(enl_torctl_reply_parse(&r, big, ENL_TORCTL_LINE_MAX), ENL_EPROTO);
    memcpy(big + ENL_TORCTL_LINE_MAX - 2, "\r\n", 2);
    assert_int_equal(enl_torctl_reply_parse(&r, big, ENL_TORCTL_LINE_MAX), ENL_OK);
    memcpy(big + ENL_TORCTL_LINE_MAX - 2, "a\r\n", 3);
    assert_int_equal(enl_torctl_reply_parse(&r, big, ENL_TORCTL_LINE_MAX + 1), ENL_EPROTO);

    /* More lines than ENL_TORCTL_LINES_MAX. */
    for (int k = 0; k < ENL_TORCTL_LINES_MAX; k++) {
        memcpy(big + n, "250-x\r\n", 7);
        n += 7;
    }
    memcpy(big + n, "250 OK\r\n", 8);
    assert_int_equal(enl_torctl_reply_parse(&r, big, n + 8), ENL_EPROTO);
    assert_int_equal(enl_torctl_reply_parse(&r, big + 7, n - 7 + 8), ENL_OK);
    /* A buffer full of an unfinished reply is too much. */
    memset(big, 'a', sizeof big);
    for (size_t k = 0; k + 7 <= ENL_TORCTL_BUF; k += 100) memcpy(big + k, "250-x\r\n", 7);
    assert_int_equal(enl_torctl_reply_parse(&r, big, ENL_TORCTL_BUF), ENL_EPROTO);
}

/* ---- PROTOCOLINFO, AUTHCHALLENGE, ADD_ONION ---------------------------- */

static void test_protocolinfo(void **state)
{
    enl_torctl_info in;
    (void)state;

    assert_int_equal(enl_torctl_protocolinfo_parse(&in, B(rec_protocolinfo)), ENL_OK);
    assert_int_equal(in.methods, ENL_TORCTL_AUTH_COOKIE | ENL_TORCTL_AUTH_SAFECOOKIE);
    assert_string_equal(in.cookie_file, "/tmp/tortest/data/control_auth_cookie");
    assert_string_equal(in.version, "0.4.9.11");

    assert_int_equal(enl_torctl_protocolinfo_parse(&in, B(rec_protocolinfo_pw)), ENL_OK);
    assert_int_equal(in.methods, ENL_TORCTL_AUTH_COOKIE | ENL_TORCTL_AUTH_SAFECOOKIE |
                                 ENL_TORCTL_AUTH_PASSWORD);

    assert_int_equal(enl_torctl_protocolinfo_parse(&in, B("250-PROTOCOLINFO 1\r\n"
                                                          "250-AUTH METHODS=NULL\r\n250 OK\r\n")),
                     ENL_OK);
    assert_int_equal(in.methods, ENL_TORCTL_AUTH_NULL);
    assert_string_equal(in.cookie_file, "");
    assert_string_equal(in.version, "");

    /* Escapes in a QuotedString: \" \\ and octal. */
    assert_int_equal(enl_torctl_protocolinfo_parse(
                         &in, B("250-AUTH METHODS=COOKIE,FUTURE COOKIEFILE=\"/a \\\"b\\\\c\\101\"\r\n"
                                "250 OK\r\n")), ENL_OK);
    assert_string_equal(in.cookie_file, "/a \"b\\cA");
    assert_int_equal(in.methods, ENL_TORCTL_AUTH_COOKIE);
}

static void test_protocolinfo_malformed(void **state)
{
    static const char *const bad[] = {
        "250-PROTOCOLINFO 1\r\n250 OK\r\n",                          /* no AUTH */
        "250-AUTH METHODS=FUTURE\r\n250 OK\r\n",                     /* nothing we know */
        "250-AUTH COOKIEFILE=\"/x\"\r\n250 OK\r\n",                  /* no METHODS */
        "250-AUTH METHODS=COOKIE COOKIEFILE=\"/x\r\n250 OK\r\n",     /* unterminated */
        "250-AUTH METHODS=COOKIE COOKIEFILE=\"/x\"y\r\n250 OK\r\n",  /* junk after quote */
        "250-AUTH METHODS=COOKIE COOKIEFILE=\"/x\\\"\r\n250 OK\r\n", /* escaped last quote */
        "250-AUTH METHODS=COOKIE COOKIEFILE=\"/x\\00\"\r\n250 OK\r\n",  /* short octal */
        "250-AUTH METHODS=COOKIE COOKIEFILE=\"/x\\000\"\r\n250 OK\r\n", /* NUL */
        "250-AUTH METHODS=COOKIE COOKIEFILE=\"/x\\n\"\r\n250 OK\r\n",   /* control char */
        "250-AUTH METHODS=COOKIE\r\n250-AUTH METHODS=NULL\r\n250 OK\r\n", /* two AUTH */
        "250-AUTH METHODS=COOKIE\r\n250 NOTOK\r\n",
        "514 Authentication required.\r\n",
        "250-AUTH METHODS=COOKIE\r\n",                               /* incomplete */
    };
    enl_torctl_info in;
    char buf[ENL_TORCTL_PATH_MAX + 200];
    int n;
    (void)state;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(enl_torctl_protocolinfo_parse(&in, (const uint8_t *)bad[i], strlen(bad[i])),
                         ENL_EPROTO);
    /* Trailing bytes after the reply. */
    assert_int_equal(enl_torctl_protocolinfo_parse(&in, (const uint8_t *)rec_protocolinfo,
                                                   sizeof rec_protocolinfo), ENL_EPROTO);
    /* A cookie path longer than we keep. */
    n = snprintf(buf, sizeof buf, "250-AUTH METHODS=COOKIE COOKIEFILE=\"/");
    memset(buf + n, 'p', ENL_TORCTL_PATH_MAX);
    n += ENL_TORCTL_PATH_MAX;
    n += snprintf(buf + n, sizeof buf - (size_t)n, "\"\r\n250 OK\r\n");
    assert_int_equal(enl_torctl_protocolinfo_parse(&in, (const uint8_t *)buf, (size_t)n), ENL_EPROTO);
}

static void test_authchallenge(void **state)
{
    uint8_t sh[32], sn[32], want[32];
    size_t bl;
    (void)state;

    assert_int_equal(enl_torctl_authchallenge_parse(sh, sn, B(rec_challenge)), ENL_OK);
    assert_int_equal(sodium_hex2bin(want, 32, "f0767e24bfad70c459d4271be882705e516c6ee940807e2c"
                                              "77702c4cd1d7472c", 64, NULL, &bl, NULL), 0);
    assert_memory_equal(sh, want, 32);
    memset(want, 0x55, 32);
    assert_memory_equal(sn, want, 32);

    assert_int_equal(enl_torctl_authchallenge_parse(sh, sn, B("250 AUTHCHALLENGE SERVERHASH=00\r\n")),
                     ENL_EPROTO);
    assert_int_equal(enl_torctl_authchallenge_parse(
                         sh, sn, B("250 AUTHCHALLENGE SERVERHASH=zz67e24bfad70c459d4271be882705e516"
                                   "c6ee940807e2c77702c4cd1d7472c SERVERNONCE=55555555555555555555"
                                   "55555555555555555555555555555555555555555555\r\n")), ENL_EPROTO);
    assert_int_equal(enl_torctl_authchallenge_parse(sh, sn, B("250 OK\r\n")), ENL_EPROTO);
    assert_int_equal(enl_torctl_authchallenge_parse(
                         sh, sn, B("513 Invalid base16 client nonce\r\n")), ENL_EPROTO);
}

static void test_safecookie_vector(void **state)
{
    /* Computed independently (Python's hmac module) for cookie = 00..1f,
     * client nonce = a0..af a0..af, server nonce = 55 * 32. */
    uint8_t cookie[32], cn[32], sn[32], sh[32], ch[32], want[32];
    size_t bl;
    (void)state;
    for (int i = 0; i < 32; i++) {
        cookie[i] = (uint8_t)i;
        cn[i] = (uint8_t)(0xa0 + i % 16);
    }
    memset(sn, 0x55, 32);
    enl_torctl_safecookie(sh, ch, cookie, cn, sn);
    assert_int_equal(sodium_hex2bin(want, 32, "f0767e24bfad70c459d4271be882705e516c6ee940807e2c"
                                              "77702c4cd1d7472c", 64, NULL, &bl, NULL), 0);
    assert_memory_equal(sh, want, 32);
    assert_int_equal(sodium_hex2bin(want, 32, "cd20b9bdf349c01b3713a265f262378c5b1081609cc9da48"
                                              "ec1f8b7fb9c615c9", 64, NULL, &bl, NULL), 0);
    assert_memory_equal(ch, want, 32);
}

static void test_add_onion_parse(void **state)
{
    char id[ENL_ONION_ID_LEN + 1];
    uint8_t key[ENL_ONION_KEYBYTES];
    int has = -1;
    (void)state;

    assert_int_equal(enl_torctl_add_onion_parse(id, key, &has, B(rec_add_onion_new)), ENL_OK);
    assert_string_equal(id, "kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xrad");
    assert_int_equal(has, 1);
    assert_int_equal(key[0], 0x58);     /* "WHzG" */
    assert_int_equal(key[63], 0xc5);    /* "xQ==" */

    assert_int_equal(enl_torctl_add_onion_parse(id, key, &has, B(rec_add_onion_key)), ENL_OK);
    assert_int_equal(has, 0);
    assert_string_equal(id, "kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xrad");

    /* Other lines (client auth) are ignored. */
    assert_int_equal(enl_torctl_add_onion_parse(
                         id, key, &has,
                         B("250-ServiceID=kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xrad\r\n"
                           "250-ClientAuthV3=x\r\n250 OK\r\n")), ENL_OK);
}

static void test_add_onion_malformed(void **state)
{
    static const char *const bad[] = {
        "250 OK\r\n",                                                           /* no id */
        "250-ServiceID=kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xra\r\n250 OK\r\n", /* 55 */
        "250-ServiceID=kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xradd\r\n250 OK\r\n",
        "250-ServiceID=KW5TXQ6SGKD3L2NMC4BITGJC4T54KRPBP6QONQ2HTJFXJZGK75H2XRAD\r\n250 OK\r\n",
        "250-ServiceID=kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xra1\r\n250 OK\r\n", /* '1' */
        "250-ServiceID=kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xrad\r\n"
        "250-ServiceID=kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xrad\r\n250 OK\r\n",
        "250-ServiceID=kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xrad\r\n"
        "250-PrivateKey=RSA1024:MIIC\r\n250 OK\r\n",                              /* other type */
        "250-ServiceID=kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xrad\r\n"
        "250-PrivateKey=ED25519-V3:WHzGco/NJmTmW3/LlUG/FyEGZ71bVLjH/X68NfXAw16RzhNpHlWvNLDX"
        "W45J3EvFnLvR1CzB7gaJGHLI3znix===\r\n250 OK\r\n",                       /* bad base64 */
        "250-ServiceID=kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xrad\r\n"
        "250-PrivateKey=ED25519-V3:AAAA\r\n250 OK\r\n",                           /* short key */
        "250-ServiceID=kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xrad\r\n250 NO\r\n",
        "512 Bad arguments to ADD_ONION: Invalid key blob\r\n",
        "551 Onion address collision\r\n",
    };
    char id[ENL_ONION_ID_LEN + 1];
    uint8_t key[ENL_ONION_KEYBYTES];
    int has = 0;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(enl_torctl_add_onion_parse(id, key, &has, (const uint8_t *)bad[i],
                                                    strlen(bad[i])), ENL_EPROTO);
    /* Every truncation. */
    for (size_t k = 0; k < sizeof rec_add_onion_new - 1; k++)
        assert_int_equal(enl_torctl_add_onion_parse(id, key, &has,
                                                    (const uint8_t *)rec_add_onion_new, k),
                         ENL_EPROTO);
}

static void test_onion_id_valid(void **state)
{
    (void)state;
    assert_true(enl_onion_id_valid("kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xrad", 56));
    assert_false(enl_onion_id_valid("kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xra", 55));
    assert_false(enl_onion_id_valid("kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xr0d", 56));
    assert_false(enl_onion_id_valid("kw5txq6sgkd3l2nmc4bitgjc4t54krpbp6qonq2htjfxjzgk75h2xr.d", 56));
}

/* ---- helpers: ports, a real tor, fake tors ------------------------------ */

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
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static uint16_t free_port(void)
{
    uint16_t port = 0;
    close(listen_v4(&port));
    return port;
}

typedef struct {
    pid_t pid;
    char dir[64];
    char port[8];
} tor_proc;

/* Any hash of the password "secret" (tor --hash-password secret). */
#define TOR_PASSWORD "secret"
#define TOR_HASHED   "16:6DDD795A81236A186090A37068782E93D703DC517A1E9CFD1BDB2A8B3A"

static const char *tor_path(void)
{
    static const char *const where[] = { "/usr/sbin/tor", "/usr/bin/tor", "/usr/local/bin/tor" };
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++)
        if (access(where[i], X_OK) == 0) return where[i];
    return NULL;
}

/* Starts tor offline and waits (at most 15 s) for its control port. */
static void tor_start(tor_proc *t)
{
    const char *bin = tor_path();
    char rc_path[128];
    FILE *f;

    if (bin == NULL)
        fail_msg("tor is not installed: this test runs a real tor offline "
                 "(Debian package tor; scripts/deps.sh installs it)");
    snprintf(t->dir, sizeof t->dir, "/tmp/enlace-tor-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->port, sizeof t->port, "%u", free_port());
    snprintf(rc_path, sizeof rc_path, "%s/torrc", t->dir);
    assert_non_null(f = fopen(rc_path, "w"));
    fprintf(f, "DataDirectory %s/data\nDisableNetwork 1\nSocksPort 0\n"
               "ControlPort 127.0.0.1:%s\nCookieAuthentication 1\n"
               "HashedControlPassword %s\nLog notice file %s/log\n",
            t->dir, t->port, TOR_HASHED, t->dir);
    fclose(f);
    if ((t->pid = fork()) == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) { dup2(null, 0); dup2(null, 1); dup2(null, 2); }
        execl(bin, bin, "-f", rc_path, "--defaults-torrc", "/dev/null", (char *)NULL);
        _exit(127);
    }
    assert_true(t->pid > 0);
    for (int k = 0; k < 300; k++) {
        int fd = -1, status;
        if (enl_tcp_connect(&fd, "127.0.0.1", t->port, 500) == ENL_OK) {
            enl_tcp_close(fd);
            return;
        }
        if (waitpid(t->pid, &status, WNOHANG) == t->pid)
            fail_msg("tor exited while starting (see its log in %s/log)", t->dir);
        usleep(50000);
    }
    fail_msg("tor did not open its control port 127.0.0.1:%s within 15 s", t->port);
}

static void tor_stop(tor_proc *t)
{
    char cmd[128];
    if (t->pid > 0) {
        kill(t->pid, SIGTERM);
        waitpid(t->pid, NULL, 0);
        t->pid = 0;
    }
    if (t->dir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
        if (system(cmd) != 0) print_error("could not remove %s\n", t->dir);
        t->dir[0] = '\0';
    }
}

/* One tor for the tests that need it: started by the first of them,
 * stopped when the group ends. */
static tor_proc the_tor;

static void need_tor(void)
{
    if (the_tor.pid <= 0) tor_start(&the_tor);
}

static int group_teardown(void **state)
{
    (void)state;
    tor_stop(&the_tor);
    return 0;
}

/* ---- a real tor ------------------------------------------------------ */

static void test_tor_cookie_onion(void **state)
{
    enl_torctl *c = malloc(sizeof *c);
    char id[ENL_ONION_ID_LEN + 1], id2[ENL_ONION_ID_LEN + 1];
    uint8_t key[ENL_ONION_KEYBYTES], unused[ENL_ONION_KEYBYTES], zero[ENL_ONION_KEYBYTES] = { 0 };
    (void)state;

    assert_non_null(c);
    need_tor();
    assert_int_equal(enl_torctl_connect(c, "127.0.0.1", the_tor.port, 10000), ENL_OK);
    /* tor offers SAFECOOKIE: that is what this uses. */
    assert_int_equal(enl_torctl_authenticate(c, NULL), ENL_OK);
    assert_int_equal(enl_torctl_add_onion(c, NULL, 7787, "127.0.0.1:7787", id, key), ENL_OK);
    assert_true(enl_onion_id_valid(id, strlen(id)));
    assert_memory_not_equal(key, zero, sizeof key);
    assert_int_equal(enl_torctl_alive(c), ENL_OK);
    assert_int_equal(enl_torctl_del_onion(c, id), ENL_OK);
    /* It is gone: a second DEL_ONION is refused, with tor's words. */
    assert_int_equal(enl_torctl_del_onion(c, id), ENL_EREFUSED);
    assert_non_null(strstr(c->err, "552"));

    /* The stored key gives the same address. */
    assert_int_equal(enl_torctl_add_onion(c, key, 7787, "127.0.0.1:7788", id2, unused), ENL_OK);
    assert_string_equal(id, id2);
    assert_int_equal(enl_torctl_del_onion(c, id2), ENL_OK);

    /* Bad input is refused before it reaches tor. */
    assert_int_equal(enl_torctl_add_onion(c, NULL, 7787, "127.0.0.1:1\r\nSIGNAL HALT", id, key),
                     ENL_EINVAL);
    assert_int_equal(enl_torctl_del_onion(c, "not-an-id"), ENL_EINVAL);
    assert_int_equal(enl_torctl_alive(c), ENL_OK);
    enl_torctl_close(c);
    free(c);
}

static void test_tor_password(void **state)
{
    enl_torctl *c = malloc(sizeof *c);
    (void)state;
    assert_non_null(c);
    need_tor();
    assert_int_equal(enl_torctl_connect(c, "127.0.0.1", the_tor.port, 10000), ENL_OK);
    assert_int_equal(enl_torctl_authenticate(c, "wrong"), ENL_EREFUSED);
    assert_non_null(strstr(c->err, "tor refused the password: 515"));
    enl_torctl_close(c);

    assert_int_equal(enl_torctl_connect(c, "127.0.0.1", the_tor.port, 10000), ENL_OK);
    assert_int_equal(enl_torctl_authenticate(c, TOR_PASSWORD), ENL_OK);
    assert_int_equal(enl_torctl_authenticate(c, "x\r\nSIGNAL HALT"), ENL_EINVAL);
    enl_torctl_close(c);
    free(c);
}

static void test_tor_stops(void **state)
{
    tor_proc t;
    enl_torctl *c = malloc(sizeof *c);
    char id[ENL_ONION_ID_LEN + 1];
    uint8_t key[ENL_ONION_KEYBYTES];
    int rc = ENL_OK;
    (void)state;

    assert_non_null(c);
    memset(&t, 0, sizeof t);
    tor_start(&t);
    assert_int_equal(enl_torctl_connect(c, "127.0.0.1", t.port, 10000), ENL_OK);
    assert_int_equal(enl_torctl_authenticate(c, NULL), ENL_OK);
    assert_int_equal(enl_torctl_add_onion(c, NULL, 80, "127.0.0.1:80", id, key), ENL_OK);
    kill(t.pid, SIGTERM);
    waitpid(t.pid, NULL, 0);
    t.pid = 0;
    for (int k = 0; k < 100 && (rc = enl_torctl_alive(c)) == ENL_OK; k++) usleep(20000);
    assert_int_equal(rc, ENL_ENET);
    assert_non_null(strstr(c->err, "tor closed the control connection"));
    enl_torctl_close(c);
    tor_stop(&t);
    free(c);
}

static void test_no_tor(void **state)
{
    enl_torctl *c = malloc(sizeof *c);
    char p[8];
    (void)state;
    assert_non_null(c);
    snprintf(p, sizeof p, "%u", free_port());
    assert_int_equal(enl_torctl_connect(c, "127.0.0.1", p, 2000), ENL_ENET);
    assert_non_null(strstr(c->err, "no tor control port at 127.0.0.1:"));
    assert_non_null(strstr(c->err, "CookieAuthentication 1"));
    assert_non_null(strstr(c->err, "--tor-control"));
    enl_torctl_close(c);
    free(c);
}

/* ---- fake tors ------------------------------------------------------- */

/* Reads one CRLF line (at most max - 1 bytes) within 3 s; -1 on EOF. */
static int read_line(int fd, char *line, size_t max)
{
    size_t n = 0;
    while (n + 1 < max) {
        struct pollfd pf = { fd, POLLIN, 0 };
        char ch;
        if (poll(&pf, 1, 3000) <= 0 || read(fd, &ch, 1) != 1) return -1;
        line[n++] = ch;
        if (ch == '\n') break;
    }
    line[n] = '\0';
    return (int)n;
}

static int say(int fd, const char *s)
{
    return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
}

enum { FAKE_BAD_HASH, FAKE_COOKIE, FAKE_PASSWORD_ONLY, FAKE_NOT_TOR, FAKE_NULL,
       FAKE_SAFE_WRITABLE, FAKE_SAFE_FIFO, FAKE_NULL_PASSWORD };

#define FAKE_PASSWORD "the-control-password"


/* A recorded conversation, replayed; exit 0 when the client behaved. */
static int fake_tor(int lfd, int kind, const char *cookie_file, const uint8_t cookie[32])
{
    char line[512], reply[700], hex[65];
    int fd = accept(lfd, NULL, NULL);

    alarm(10);
    if (fd < 0) return 2;
    if (kind == FAKE_NOT_TOR) {
        say(fd, "HTTP/1.0 400 Bad Request\r\n\r\n");
        read_line(fd, line, sizeof line);
        return 0;
    }
    if (read_line(fd, line, sizeof line) < 0 || strcmp(line, "PROTOCOLINFO 1\r\n") != 0) return 3;
    snprintf(reply, sizeof reply,
             "250-PROTOCOLINFO 1\r\n250-AUTH METHODS=%s COOKIEFILE=\"%s\"\r\n"
             "250-VERSION Tor=\"0.4.9.11\"\r\n250 OK\r\n",
             kind == FAKE_BAD_HASH ? "COOKIE,SAFECOOKIE" :
             kind == FAKE_COOKIE ? "COOKIE" :
             kind == FAKE_NULL || kind == FAKE_NULL_PASSWORD ? "NULL" :
             kind == FAKE_SAFE_WRITABLE || kind == FAKE_SAFE_FIFO ? "SAFECOOKIE" : "HASHEDPASSWORD",
             cookie_file);
    if (say(fd, reply) != 0) return 4;
    if (kind == FAKE_BAD_HASH) {
        if (read_line(fd, line, sizeof line) < 0 ||
            strncmp(line, "AUTHCHALLENGE SAFECOOKIE ", 25) != 0)
            return 5;
        say(fd, "250 AUTHCHALLENGE SERVERHASH=0000000000000000000000000000000000000000000000000"
                "000000000000000 SERVERNONCE=1111111111111111111111111111111111111111111111111111"
                "111111111111\r\n");
        /* The client must hang up now, never AUTHENTICATE. */
        return read_line(fd, line, sizeof line) < 0 ? 0 : 6;
    }
    /* Plain cookie (it would send the cookie of whatever file we name), no
     * authentication at all, a cookie file that others could have written,
     * a FIFO, or password only and the client has none: it must not try
     * anything (and above all not send a cookie). */
    sodium_bin2hex(hex, sizeof hex, cookie, 32);
    if (read_line(fd, line, sizeof line) < 0) return 0;
    if (kind == FAKE_NULL_PASSWORD) return strstr(line, FAKE_PASSWORD) != NULL ? 9 : 8;
    return strstr(line, hex) != NULL ? 7 : 8;
}

static int run_fake(int kind, int want_rc, const char *want_err)
{
    char dir[] = "/tmp/enlace-faketor-XXXXXX", path[128], p[8];
    uint8_t cookie[32];
    uint16_t port = 0;
    enl_torctl *c = malloc(sizeof *c);
    int lfd = listen_v4(&port), fd, rc, ok;
    pid_t pid;

    assert_non_null(c);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/control_auth_cookie", dir);
    randombytes_buf(cookie, sizeof cookie);
    if (kind == FAKE_SAFE_FIFO) {
        assert_int_equal(mkfifo(path, 0600), 0);
    } else {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, cookie, sizeof cookie), (ssize_t)sizeof cookie);
        close(fd);
    }
    /* a cookie anyone could have written: what another user posing as tor
     * would name */
    if (kind == FAKE_SAFE_WRITABLE) assert_int_equal(chmod(path, 0666), 0);
    snprintf(p, sizeof p, "%u", port);
    if ((pid = fork()) == 0) _exit(fake_tor(lfd, kind, path, cookie));
    assert_int_equal(enl_torctl_connect(c, "127.0.0.1", p, 5000), ENL_OK);
    rc = enl_torctl_authenticate(c, kind == FAKE_NULL_PASSWORD ? FAKE_PASSWORD : NULL);
    ok = rc == want_rc && strstr(c->err, want_err) != NULL;
    if (!ok) print_error("rc %d, err '%s'\n", rc, c->err);
    enl_torctl_close(c);
    free(c);
    close(lfd);
    unlink(path);
    rmdir(dir);
    assert_true(ok);
    {
        int status = 0;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
    }
}

static void test_fake_tor_bad_server_hash(void **state)
{
    (void)state;
    assert_int_equal(run_fake(FAKE_BAD_HASH, ENL_EPROTO, "does not hold the cookie"), 0);
}

static void test_fake_tor_plain_cookie(void **state)
{
    (void)state;
    assert_int_equal(run_fake(FAKE_COOKIE, ENL_EREFUSED, "SAFECOOKIE"), 0);
}

static void test_fake_tor_no_auth(void **state)
{
    (void)state;
    assert_int_equal(run_fake(FAKE_NULL, ENL_EREFUSED, "CookieAuthentication 1"), 0);
}

/* A password given does not make a port that asks for nothing any more
 * tor: it would get the password, then the onion key. */
static void test_fake_tor_no_auth_password(void **state)
{
    (void)state;
    assert_int_equal(run_fake(FAKE_NULL_PASSWORD, ENL_EREFUSED, "asks for no authentication"), 0);
}

static void test_fake_tor_writable_cookie(void **state)
{
    (void)state;
    assert_int_equal(run_fake(FAKE_SAFE_WRITABLE, ENL_EREFUSED, "really tor"), 0);
}

static void test_fake_tor_fifo_cookie(void **state)
{
    (void)state;
    assert_int_equal(run_fake(FAKE_SAFE_FIFO, ENL_EPROTO, "not a tor cookie file"), 0);
}

static void test_fake_tor_password_only(void **state)
{
    (void)state;
    assert_int_equal(run_fake(FAKE_PASSWORD_ONLY, ENL_EREFUSED, "--tor-password-file"), 0);
}

static void test_not_tor(void **state)
{
    (void)state;
    assert_int_equal(run_fake(FAKE_NOT_TOR, ENL_EPROTO, "does not speak tor's control protocol"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_parse),
        cmocka_unit_test(test_reply_incomplete),
        cmocka_unit_test(test_reply_malformed),
        cmocka_unit_test(test_protocolinfo),
        cmocka_unit_test(test_protocolinfo_malformed),
        cmocka_unit_test(test_authchallenge),
        cmocka_unit_test(test_safecookie_vector),
        cmocka_unit_test(test_add_onion_parse),
        cmocka_unit_test(test_add_onion_malformed),
        cmocka_unit_test(test_onion_id_valid),
        cmocka_unit_test(test_no_tor),
        cmocka_unit_test(test_fake_tor_bad_server_hash),
        cmocka_unit_test(test_fake_tor_no_auth),
        cmocka_unit_test(test_fake_tor_no_auth_password),
        cmocka_unit_test(test_fake_tor_writable_cookie),
        cmocka_unit_test(test_fake_tor_fifo_cookie),
        cmocka_unit_test(test_fake_tor_plain_cookie),
        cmocka_unit_test(test_fake_tor_password_only),
        cmocka_unit_test(test_not_tor),
        cmocka_unit_test(test_tor_cookie_onion),
        cmocka_unit_test(test_tor_password),
        cmocka_unit_test(test_tor_stops),
    };
    signal(SIGPIPE, SIG_IGN);
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, group_teardown);
}
