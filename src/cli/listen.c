/* enlace listen [--addr HOST:PORT] [--once] [--open]: accept syncs. */
#include <getopt.h>
#include <signal.h>
#include <string.h>

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

static void on_session(void *ctx, const char *peer, int rc, const enl_sync_stats *st)
{
    int *last = ctx;
    char what[128];
    *last = rc;
    if (rc == ENL_OK) {
        snprintf(what, sizeof what, "%s", peer);
        cli_print_sync_stats(what, st);
    } else if (peer[0] == '\0') {
        fprintf(stderr, "enlace: dropped a connection that did not complete the handshake "
                        "(%s)\n", enl_strerror(rc));
    } else if (rc == ENL_EREFUSED) {
        fprintf(stderr, "enlace: refused %s\n", peer);
    } else {
        fprintf(stderr, "enlace: the sync with %s failed: %s (what arrived is kept)\n", peer,
                enl_strerror(rc));
    }
    fflush(stdout);
}

int cmd_listen(int argc, char **argv, enl_profile *p)
{
    static const struct option opts[] = {
        { "addr", required_argument, NULL, 'a' },
        { "once", no_argument, NULL, '1' },
        { "open", no_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enl_listen_opts lo;
    const char *addr = "127.0.0.1:7787";
    struct sigaction sa;
    int c, ex = 0, rc, last = ENL_OK;

    memset(&lo, 0, sizeof lo);
    while ((c = cli_getopt(argc, argv, "h", opts, "listen", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'a') addr = optarg;
        if (c == '1') lo.once = 1;
        if (c == 'o') lo.open = 1;
    }
    if (optind != argc) return cli_usage(cli_find("listen"));
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    lo.stop = &stop;
    lo.ready = on_ready;
    lo.session = on_session;
    lo.sync.progress = cli_sync_progress;
    lo.sync.warn = cli_sync_warn;
    lo.ctx = &last;
    rc = enl_listen(p, addr, &lo);
    if (rc != ENL_OK && !lo.once) return cli_fail_rc(p, rc, "listen");
    if (lo.once) return rc == ENL_OK ? 0 : 1;
    return 0;
}
