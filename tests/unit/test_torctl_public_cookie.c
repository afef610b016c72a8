/*
 * A program of another user that listens on tor's control port while tor is
 * stopped must get nothing (THREAT-MODEL.md, "A local program of another
 * user that listens on the control port while tor is stopped gets
 * nothing"). SAFECOOKIE proves the server holds the cookie only if nobody
 * else can READ the cookie file: the checks in cookie_trusted() look at its
 * owner and at who could WRITE it, never at who can read it. Any
 * world-readable 32-byte file of root's (a Debian system has many under
 * /usr/share) passes them, and its bytes are known to everyone: the
 * impostor names it as COOKIEFILE, computes SERVERHASH from it, is
 * authenticated, and receives ADD_ONION with the profile's onion key.
 *
 * Here the fake tor names a 0644 file in a 0755 folder, both ours (the
 * test's user: root when run as root, else "the user's own", both trusted).
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enlace.h"
#include "transport/torctl.h"

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

static const char sk_name[] = "Tor safe cookie authentication server-to-controller hash";

/* The impostor: it knows the public file's bytes, as anyone who can read
 * it does. Exit 0: it got nothing; 7: it got the onion key. */
static int impostor(int lfd, const char *cookie_file, const uint8_t cookie[32],
                    const char *key_b64)
{
    char line[1024], reply[700], hex[65];
    uint8_t cn[32], sn[32], sh[32];
    crypto_auth_hmacsha256_state st;
    int fd = accept(lfd, NULL, NULL);

    alarm(10);
    if (fd < 0) return 2;
    if (read_line(fd, line, sizeof line) < 0 || strcmp(line, "PROTOCOLINFO 1\r\n") != 0) return 3;
    snprintf(reply, sizeof reply,
             "250-PROTOCOLINFO 1\r\n250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE=\"%s\"\r\n"
             "250-VERSION Tor=\"0.4.9.11\"\r\n250 OK\r\n", cookie_file);
    if (say(fd, reply) != 0) return 4;
    if (read_line(fd, line, sizeof line) < 0) return 0;          /* refused: good */
    if (strncmp(line, "AUTHCHALLENGE SAFECOOKIE ", 25) != 0) return 5;
    if (sodium_hex2bin(cn, 32, line + 25, 64, NULL, NULL, NULL) != 0) return 5;
    randombytes_buf(sn, sizeof sn);
    crypto_auth_hmacsha256_init(&st, (const uint8_t *)sk_name, strlen(sk_name));
    crypto_auth_hmacsha256_update(&st, cookie, 32);
    crypto_auth_hmacsha256_update(&st, cn, 32);
    crypto_auth_hmacsha256_update(&st, sn, 32);
    crypto_auth_hmacsha256_final(&st, sh);
    snprintf(reply, sizeof reply, "250 AUTHCHALLENGE SERVERHASH=");
    sodium_bin2hex(hex, sizeof hex, sh, 32);
    strcat(reply, hex);
    strcat(reply, " SERVERNONCE=");
    sodium_bin2hex(hex, sizeof hex, sn, 32);
    strcat(reply, hex);
    strcat(reply, "\r\n");
    if (say(fd, reply) != 0) return 6;
    if (read_line(fd, line, sizeof line) < 0) return 0;
    if (strncmp(line, "AUTHENTICATE ", 13) != 0) return 8;
    if (say(fd, "250 OK\r\n") != 0) return 6;
    if (read_line(fd, line, sizeof line) < 0) return 0;
    return strstr(line, key_b64) != NULL ? 7 : 9;
}

static void test_world_readable_cookie_is_no_proof(void **state)
{
    char dir[] = "/tmp/enlace-pubcookie-XXXXXX", path[128], p[8], id[ENL_ONION_ID_LEN + 1];
    char b64[sodium_base64_ENCODED_LEN(ENL_ONION_KEYBYTES, sodium_base64_VARIANT_ORIGINAL)];
    uint8_t cookie[32], key[ENL_ONION_KEYBYTES], fresh[ENL_ONION_KEYBYTES];
    uint16_t port = 0;
    enl_torctl *c = malloc(sizeof *c);
    int lfd = listen_v4(&port), fd, rc, status = 0;
    pid_t pid;

    (void)state;
    assert_non_null(c);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/some-public-file", dir);
    /* a file everyone can read, like /usr/share/.../top_level.txt */
    memcpy(cookie, "a public file of 32 bytes, read\n", 32);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, 0644), 0);
    assert_int_equal(write(fd, cookie, sizeof cookie), (ssize_t)sizeof cookie);
    close(fd);
    randombytes_buf(key, sizeof key);
    sodium_bin2base64(b64, sizeof b64, key, sizeof key, sodium_base64_VARIANT_ORIGINAL);
    snprintf(p, sizeof p, "%u", port);
    if ((pid = fork()) == 0) _exit(impostor(lfd, path, cookie, b64));

    assert_int_equal(enl_torctl_connect(c, "127.0.0.1", p, 5000), ENL_OK);
    rc = enl_torctl_authenticate(c, NULL);
    if (rc == ENL_OK) {
        print_error("authenticated to a program that read a world-readable 'cookie'\n");
        int arc = enl_torctl_add_onion(c, key, 7787, "127.0.0.1:7000", id, fresh);
        print_error("ADD_ONION sent with the key: rc %d\n", arc);
    }
    enl_torctl_close(c);
    free(c);
    close(lfd);
    waitpid(pid, &status, 0);
    unlink(path);
    rmdir(dir);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 7)
        print_error("the impostor received ADD_ONION with the onion service's private key\n");
    assert_int_not_equal(rc, ENL_OK);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_world_readable_cookie_is_no_proof),
    };
    if (sodium_init() < 0) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
