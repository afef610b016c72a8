/* enlace sync DIR: exchange with a dead drop. */
#include <getopt.h>
#include <string.h>

#include "cli/commands.h"

static void on_warn(void *ctx, const char *what)
{
    (void)ctx;
    fprintf(stderr, "enlace: warning: %s\n", what);
}

static void on_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    (void)ctx;
    if (!cli_is_tty()) return;
    if (total) fprintf(stderr, "\r%s %llu/%llu ", what, (unsigned long long)done, (unsigned long long)total);
    if (done == total) fprintf(stderr, "\r\033[K");
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

void cli_print_sync_stats(const char *target, const enl_sync_stats *s);
void cli_print_sync_stats(const char *target, const enl_sync_stats *s)
{
    printf("sync %s: sent %llu %s, received %llu %s, purges %llu sent %llu received, "
           "%llu new %s, %llu skipped, %llu bytes, %.2f s\n",
           target, (unsigned long long)s->notes_sent, plural(s->notes_sent, "note", "notes"),
           (unsigned long long)(s->notes_received + s->delivered + s->requests),
           plural(s->notes_received + s->delivered + s->requests, "note", "notes"),
           (unsigned long long)s->purges_sent, (unsigned long long)s->purges_received,
           (unsigned long long)s->delivered, plural(s->delivered, "message", "messages"),
           (unsigned long long)s->skipped,
           (unsigned long long)(s->bytes_sent + s->bytes_received), s->seconds);
    if (s->requests)
        printf("%llu new %s from people who are not contacts: enlace inbox --requests\n",
               (unsigned long long)s->requests, plural(s->requests, "note", "notes"));
}

int cmd_sync(int argc, char **argv, enl_profile *p)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enl_sync_opts so = { on_progress, on_warn, NULL };
    enl_sync_stats st;
    int c, ex = 0, rc;

    while ((c = cli_getopt(argc, argv, "h", opts, "sync", &ex)) != -1)
        if (c == -2) return ex;
    if (optind + 1 != argc) return cli_usage(cli_find("sync"));
    rc = enl_sync_folder(p, argv[optind], &so, &st);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, "sync");
    cli_print_sync_stats(argv[optind], &st);
    return 0;
}
