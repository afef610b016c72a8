/*
 * enlace listen [--addr HOST:PORT] [--once] [--open]
 *               [--onion [--tor-control HOST:PORT] [--tor-password-file FILE]]
 * Accept syncs; with --onion, through an onion service of a running tor.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"

void cli_print_sync_stats(const char *target, const enl_sync_stats *s);
void cli_sync_progress(void *ctx, const char *what, uint64_t done, uint64_t total);
void cli_sync_warn(void *ctx, const char *what);

static volatile int stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void on_ready(void *ctx, const char *bound)
{
    (void)ctx;
    printf("listening on %s\n", bound);
    fflush(stdout);
}

/* What the callbacks saw: how many sessions ended, and whether an onion
 * service was published. */
typedef struct {
    int sessions;
    int published;
} listen_ctx;

static void on_published(void *ctx, const char *address)
{
    ((listen_ctx *)ctx)->published = 1;
    printf("onion service: %s\n"
           "contacts reach it with: enlace sync NAME (once it is in the card you give them: "
           "enlace card --onion)\n", address);
    fflush(stdout);
}

/* The first line of FILE, in sodium_malloc'd memory (read without stdio,
 * so no copy lingers in a buffer that is not wiped). */
static int read_password(const char *path, char **out)
{
    enum { MAX = 512 };
    char *pw = sodium_malloc(MAX);
    size_t n = 0;
    ssize_t r = 1;
    int fd;

    if (pw == NULL) return cli_fail("out of memory");
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        sodium_free(pw);
        return cli_fail("cannot read the tor password file %s", path);
    }
    while (n < MAX - 1 && (r = read(fd, pw + n, MAX - 1 - n)) > 0) n += (size_t)r;
    close(fd);
    pw[n] = '\0';
    pw[strcspn(pw, "\r\n")] = '\0';
    if (r < 0 || pw[0] == '\0') {
        sodium_free(pw);
        return cli_fail("the tor password file %s is empty or unreadable", path);
    }
    *out = pw;
    return 0;
}

static void on_session(void *ctx, const char *peer, int rc, const enl_sync_stats *st)
{
    listen_ctx *l = ctx;
    char what[128];
    l->sessions++;
    if (rc == ENL_OK) {
        snprintf(what, sizeof what, "%s", peer);
        cli_print_sync_stats(what, st);
    } else if (peer[0] == '\0' && rc == ENL_EDECRYPT) {
        /* The first handshake message did not open under this device's key:
         * most often a sync meant for another device (a contact's name with
         * the wrong address), or a prober; damage is rarer. */
        fprintf(stderr, "enlace: listen: dropped a connection that did not complete the handshake: "
                        "it was not made for this device's key (a sync meant for another device, "
                        "or a prober)\n");
    } else if (peer[0] == '\0') {
        fprintf(stderr, "enlace: listen: dropped a connection that did not complete the handshake "
                        "(%s)\n", enl_strerror(rc));
    } else if (rc == ENL_EREFUSED) {
        fprintf(stderr, "enlace: listen: refused a sync %s: closed without a word\n", peer);
    } else if (rc == ENL_EBUSY) {
        fprintf(stderr, "enlace: listen: turned %s away: every session was busy (they were told "
                        "to try again later)\n", peer);
    } else if (rc == ENL_EDUPLICATE) {
        fprintf(stderr, "enlace: listen: cut the sync with %s: a newer one with them began (what "
                        "arrived is kept)\n", peer);
    } else if ((rc == ENL_EPROTO || rc == ENL_ENET) && st->peer_closed) {
        /* the peer's sync was stopped (Ctrl-C, killed) or its network
         * went: the link broke, nobody broke the protocol */
        fprintf(stderr, "enlace: listen: the link with %s broke: %s's device closed the "
                        "connection (what arrived is kept)\n", peer, peer);
    } else {
        fprintf(stderr, "enlace: listen: the sync with %s failed: %s%s%s (what arrived is kept)\n",
                peer, enl_strerror(rc), st->why[0] ? ": " : "", st->why);
    }
    fflush(stdout);
}

int cmd_listen(int argc, char **argv)
{
    static const struct option opts[] = {
        { "addr", required_argument, NULL, 'a' },
        { "once", no_argument, NULL, '1' },
        { "open", no_argument, NULL, 'o' },
        { "onion", no_argument, NULL, 't' },
        { "tor-control", required_argument, NULL, 'c' },
        { "tor-password-file", required_argument, NULL, 'P' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enl_listen_opts lo;
    enl_profile *p;
    enl_onion_opts to;
    const char *addr = NULL, *pwfile = NULL;
    char *pw = NULL;
    struct sigaction sa;
    listen_ctx lc = { 0, 0 };
    int c, ex = 0, rc, onion = 0;

    memset(&lo, 0, sizeof lo);
    memset(&to, 0, sizeof to);
    while ((c = cli_getopt(argc, argv, "h", opts, "listen", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'a') addr = optarg;
        if (c == '1') lo.once = 1;
        if (c == 'o') lo.open = 1;
        if (c == 't') onion = 1;
        if (c == 'c') to.control = optarg;
        if (c == 'P') pwfile = optarg;
    }
    if (optind != argc) return cli_usage(cli_find("listen"));
    if (!onion && (to.control != NULL || pwfile != NULL)) {
        cli_fail("listen: --tor-control and --tor-password-file go with --onion");
        return cli_usage(cli_find("listen"));
    }
    if (addr != NULL && (ex = cli_check_hostport("listen", "--addr", "an address to listen on", addr, 1)) != 0) return ex;
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    /* An onion service needs no fixed local port: tor maps its own to it. */
    if (addr == NULL) addr = onion ? "127.0.0.1:0" : "127.0.0.1:7787";
    if (pwfile != NULL && read_password(pwfile, &pw) != 0) return 1;
    to.password = pw;
    to.published = on_published;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    lo.stop = &stop;
    lo.ready = on_ready;
    lo.session = on_session;
    lo.sync.progress = cli_sync_progress;
    lo.sync.warn = cli_sync_warn;
    lo.ctx = &lc;
    rc = onion ? enl_listen_onion(p, addr, &to, &lo) : enl_listen(p, addr, &lo);
    if (pw != NULL) {
        sodium_memzero(pw, strlen(pw));
        sodium_free(pw);
    }
    /* (When tor stopped, the service went with it: nothing to say.) */
    if (lc.published && (rc == ENL_OK || (lo.once && lc.sessions > 0)))
        printf("removed the onion service\n");
    /* With --once a failed session was reported by on_session already. */
    if (rc != ENL_OK && (!lo.once || lc.sessions == 0)) return cli_fail_rc(p, rc, "listen");
    if (lo.once) return rc == ENL_OK ? 0 : 1;
    return 0;
}
