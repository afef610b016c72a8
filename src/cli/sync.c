/* enlace sync DIR | tcp://NAME@HOST:PORT | tor://NAME@ADDRESS.onion:PORT | NAME
 *             [--socks HOST:PORT]: exchange with a dead drop or a contact's device. */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/stopclean.h"

/* A sync's warnings (ctx, when not NULL): the first WARNINGS_SHOWN are
 * printed, then how many more there were. A drop planted with a million
 * junk files would otherwise print a million lines; each is counted among
 * the skipped in the summary all the same. A listener passes NULL: it
 * runs for days, and every session's warnings are shown. */
#define WARNINGS_SHOWN 50
typedef struct {
    unsigned long n;
} sync_warnings;

void cli_sync_warn(void *ctx, const char *what);
void cli_sync_warn(void *ctx, const char *what)
{
    sync_warnings *w = ctx;
    if (w != NULL && ++w->n > WARNINGS_SHOWN) return;
    /* what may hold a file name from a dead drop: never raw to a terminal,
     * and a newline in it must not start a line that looks like our own */
    fputs("enlace: warning: ", stderr);
    cli_safe_print_entry(stderr, what, strlen(what));
    fputc('\n', stderr);
}

/* A progress line on a terminal, once the work has taken more than a second. */
void cli_sync_progress(void *ctx, const char *what, uint64_t done, uint64_t total);
void cli_sync_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    static struct timespec start;
    static int started, shown;
    struct timespec now;
    (void)ctx;
    if (!cli_is_tty()) return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!started || done <= 1) { start = now; started = 1; shown = 0; }
    if (now.tv_sec - start.tv_sec < 1 && !shown) return;
    shown = 1;
    if (total) fprintf(stderr, "\r%s %llu/%llu ", what, (unsigned long long)done, (unsigned long long)total);
    if (done >= total) { fprintf(stderr, "\r\033[K"); shown = 0; }
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

void cli_print_sync_stats(const char *target, const enl_sync_stats *s);
void cli_print_sync_stats(const char *target, const enl_sync_stats *s)
{
    uint64_t received = enl_sync_received(s);
    printf("sync %s: sent %llu %s, received %llu %s, purges %llu sent %llu received, "
           "%llu new %s, %llu skipped, %llu bytes, %.2f s\n",
           target, (unsigned long long)s->notes_sent, plural(s->notes_sent, "note", "notes"),
           (unsigned long long)received, plural(received, "note", "notes"),
           (unsigned long long)s->purges_sent, (unsigned long long)s->purges_received,
           (unsigned long long)s->delivered, plural(s->delivered, "message", "messages"),
           (unsigned long long)s->skipped,
           (unsigned long long)(s->bytes_sent + s->bytes_received), s->seconds);
    if (s->read_only)
        printf("%s cannot be written (read-only): notes were taken from it, nothing was left "
               "in it (the purges of what arrived, the notes this device carries: they "
               "leave with a later sync)\n", target);
    cli_print_arrivals(s);
}

/* What came besides messages, each with the command that shows it. */
void cli_print_arrivals(const enl_sync_stats *s)
{
    if (s->burned_self)
        printf("a burn notice of THIS PROFILE'S OWN KEYS arrived: your contacts stop trusting "
               "them as it reaches them (enlace status)\n");
    if (s->burns_received)
        printf("%llu new burn %s%s\n", (unsigned long long)s->burns_received,
               plural(s->burns_received, "notice", "notices"),
               s->burned_contacts ? ": keys of a contact are burned (enlace contact list)" : "");
    if (s->bulletins)
        printf("%llu new %s of authors you follow: enlace bulletins\n",
               (unsigned long long)s->bulletins, plural(s->bulletins, "bulletin", "bulletins"));
    if (s->file_notes)
        printf("%llu %s of files arrived: enlace files\n", (unsigned long long)s->file_notes,
               plural(s->file_notes, "note", "notes"));
    if (s->requests)
        printf("%llu new %s from people who are not contacts: enlace inbox --requests\n",
               (unsigned long long)s->requests, plural(s->requests, "note", "notes"));
    if (s->introductions)
        printf("%llu new %s: enlace introductions\n", (unsigned long long)s->introductions,
               plural(s->introductions, "introduction", "introductions"));
    if (s->cell_invitations)
        printf("%llu new %s to join a cell: enlace cell list\n",
               (unsigned long long)s->cell_invitations,
               plural(s->cell_invitations, "invitation", "invitations"));
    if (s->inquiries)
        printf("%llu new %s from contacts: enlace questions\n", (unsigned long long)s->inquiries,
               plural(s->inquiries, "question", "questions"));
    if (s->answers)
        printf("%llu new %s to your questions: enlace answers\n", (unsigned long long)s->answers,
               plural(s->answers, "answer", "answers"));
    if (s->answers_replaced)
        printf("%llu %s to your questions changed (the same contact answered again): enlace "
               "answers\n", (unsigned long long)s->answers_replaced,
               plural(s->answers_replaced, "answer", "answers"));
    cli_print_evicted(s);
}

/* The quota's share between sources at work (enl_note_source). */
void cli_print_evicted(const enl_sync_stats *s)
{
    if (s->notes_evicted)
        printf("the store is full: %llu %s carried for others (from the source that brought the "
               "most) made room for these\n",
               (unsigned long long)s->notes_evicted, plural(s->notes_evicted, "note", "notes"));
}

/* A sync of a folder stopped by Ctrl-C, a SIGTERM or a SIGHUP first removes
 * the file it was writing: a partial file left under a temporary name would
 * be passed over by every later sync for two days. */
typedef struct {
    enl_profile *p;
    const char *dir;
    const enl_sync_opts *so;
    enl_sync_stats *st;
} folder_job;

static int run_folder_job(void *ctx)
{
    folder_job *j = ctx;
    return enl_sync_folder(j->p, j->dir, j->so, j->st);
}

static int sync_folder(enl_profile *p, const char *dir, const enl_sync_opts *so,
                       enl_sync_stats *st)
{
    folder_job j = { p, dir, so, st };
    return cli_with_stop_cleanup(enl_sync_folder_interrupted, run_folder_job, &j);
}

static int socks_with_folder(void)
{
    cli_fail("sync: --socks goes with tcp://, tor:// or a contact's name, not a folder");
    return cli_usage(cli_find("sync"));
}

int cmd_sync(int argc, char **argv)
{
    static const struct option opts[] = {
        { "socks", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *socks = NULL;
    enl_profile *p;
    sync_warnings warnings = { 0 };
    enl_sync_opts so = { cli_sync_progress, cli_sync_warn, &warnings };
    enl_contact_info ci;
    const char *t;
    enl_sync_stats st;
    struct stat sb;
    int c, ex = 0, rc;

    while ((c = cli_getopt(argc, argv, "h", opts, "sync", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 's') socks = optarg;
    }
    if (optind + 1 != argc) return cli_usage(cli_find("sync"));
    t = argv[optind];
    /* No contact's name holds a '/': a folder, known as one before the unlock. */
    if (socks != NULL && strchr(t, '/') != NULL && strncmp(t, "tcp://", 6) != 0 &&
        strncmp(t, "tor://", 6) != 0)
        return socks_with_folder();
    if ((strncmp(t, "tcp://", 6) == 0 || strncmp(t, "tor://", 6) == 0) &&
        (ex = cli_check_target("sync", t)) != 0)
        return ex;
    if (socks != NULL && (ex = cli_check_hostport("sync", "--socks", "a SOCKS proxy address", socks, 0)) != 0) return ex;
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    /* tcp://, tor:// or a contact's name is a link; anything else is a
     * folder (write ./NAME to mean a folder that has a contact's name). */
    if (strncmp(t, "tcp://", 6) == 0 || strncmp(t, "tor://", 6) == 0 ||
        (strchr(t, '/') == NULL && enl_contact_get(p, t, &ci) == ENL_OK)) {
        rc = enl_sync_link(p, t, socks, &so, &st);
    } else if (socks != NULL) {
        return socks_with_folder();
    } else if (stat(t, &sb) != 0 && errno == ENOENT) {
        /* Nothing there: say so, and when t could have been a contact's
         * name, that no contact has it either (a typo, a contact not added). */
        if (strchr(t, '/') == NULL)
            return cli_fail("sync: no contact named \"%s\", and no folder %s here (a dead drop is "
                            "a folder that exists: a stick, a shared folder)", t, t);
        return cli_fail("sync: no folder %s (a dead drop is a folder that exists: a stick, a "
                        "shared folder)", t);
    } else {
        rc = sync_folder(p, t, &so, &st);
    }
    if (warnings.n > WARNINGS_SHOWN)
        fprintf(stderr, "enlace: warning: %lu more warnings not shown (what they skipped is "
                "counted in the summary)\n", warnings.n - WARNINGS_SHOWN);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, "sync");
    cli_print_sync_stats(t, &st);
    cli_print_invitations(p, &st);
    return 0;
}
