/*
 * Work 3 of issue 9 (and the 10,000-note transfer of issue 3): N messages
 * of SIZE bytes from A to B over loopback TCP, in the library. A seals them
 * with enl_send_text; B listens (enl_listen, in a child process, so that
 * each side's peak memory is its own); A syncs with it (enl_sync_tcp:
 * Noise XK, reconciliation, transfer; B takes every note in, recognises,
 * opens and stores it before it ends the session); B's inbox is counted.
 * The peer (nncp-daemon, nncp-call, nncp-toss) is run by bench/run.sh.
 *
 *   bench_tcp [N [SIZE [PAIRS]]]   defaults: 10000 messages of 100 bytes, 1 pair
 *
 * With PAIRS > 1 the N messages are split among that many independent
 * pairs, synced one after the other (see bench_dropbox.c for why).
 */
#include <sys/wait.h>

#include "bench.h"

/* What the listener's callbacks share (enl_listen_opts has one ctx). */
typedef struct {
    int ready_fd;
    int session_rc;
    enl_sync_stats st;
    unsigned long warnings;
} child_ctx;

static void on_ready(void *ctx, const char *bound)
{
    child_ctx *c = ctx;
    size_t n = strlen(bound) + 1;
    if (write(c->ready_fd, bound, n) != (ssize_t)n) _exit(1);
}

static void on_session(void *ctx, const char *peer, int rc, const enl_sync_stats *stats)
{
    child_ctx *c = ctx;
    (void)peer;
    c->session_rc = rc;
    if (stats != NULL) c->st = *stats;
}

static void on_warn(void *ctx, const char *what)
{
    unsigned long *n = ctx;
    if ((*n)++ < 3) bench_note("warning: %s", what);
}

/* The listener's report to the parent, through a pipe. */
typedef struct {
    int rc;
    uint64_t delivered, skipped, duplicates;
    long maxrss_kib;
} child_report;

/* B: opens its profile, serves one sync, reports. */
static int child(const char *home, int ready_fd, int report_fd)
{
    enl_profile *b = NULL;
    child_ctx c;
    child_report rep;
    enl_listen_opts o;
    int rc;

    memset(&c, 0, sizeof c);
    memset(&rep, 0, sizeof rep);
    memset(&o, 0, sizeof o);
    c.ready_fd = ready_fd;
    rc = enl_profile_open(&b, home, BENCH_PASS, strlen(BENCH_PASS));
    if (rc != ENL_OK) bench_die("open b", rc, NULL);
    enl_profile_set_quota(b, 1000000, (uint64_t)1 << 40);
    o.once = 1;
    o.ready = on_ready;
    o.session = on_session;
    o.ctx = &c;
    o.sync.warn = on_warn;
    o.sync.ctx = &c.warnings;
    rc = enl_listen(b, "127.0.0.1:0", &o);
    rep.rc = rc != ENL_OK ? rc : c.session_rc;
    rep.delivered = bench_inbox_count(b);
    rep.skipped = c.st.skipped;
    rep.duplicates = c.st.duplicates;
    rep.maxrss_kib = bench_maxrss_kib();
    if (write(report_fd, &rep, sizeof rep) != (ssize_t)sizeof rep) return 1;
    enl_profile_close(b);
    return 0;
}

typedef struct {
    double seconds;
    int rc;
    enl_sync_stats st;
    child_report rep;
} pair_result;

/* One sync of a with the profile in home_b, which listens in a child. */
static void sync_pair(enl_profile *a, const char *home_b, pair_result *r)
{
    char bound[128], target[192];
    int ready[2], report[2], status = 0;
    unsigned long warnings = 0;
    enl_sync_opts opts = { NULL, on_warn, &warnings };
    size_t got = 0;
    double t0;
    pid_t pid;

    memset(r, 0, sizeof *r);
    if (pipe(ready) != 0 || pipe(report) != 0) exit(1);
    fflush(NULL);
    if ((pid = fork()) < 0) exit(1);
    if (pid == 0) {
        close(ready[0]);
        close(report[0]);
        _exit(child(home_b, ready[1], report[1]));
    }
    close(ready[1]);
    close(report[1]);
    while (got < sizeof bound - 1) {
        ssize_t n = read(ready[0], bound + got, 1);
        if (n <= 0) {
            fprintf(stderr, "bench: the listener did not start\n");
            exit(1);
        }
        if (bound[got++] == '\0') break;
    }
    bound[got] = '\0';
    snprintf(target, sizeof target, "tcp://b@%s", bound);

    t0 = bench_now();
    r->rc = enl_sync_tcp(a, target, &opts, &r->st);
    r->seconds = bench_now() - t0;
    if (r->rc != ENL_OK)
        bench_note("sync tcp ended with an error: %s: %s", enl_strerror(r->rc),
                   enl_profile_errmsg(a));
    if (read(report[0], &r->rep, sizeof r->rep) != (ssize_t)sizeof r->rep) {
        fprintf(stderr, "bench: no report from the listener\n");
        exit(1);
    }
    waitpid(pid, &status, 0);
    close(ready[0]);
    close(report[0]);
    if (r->rep.rc != ENL_OK)
        bench_note("the listener's session ended with: %s", enl_strerror(r->rep.rc));
}

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    size_t size = argc > 2 ? strtoul(argv[2], NULL, 10) : 100;
    unsigned long pairs = argc > 3 ? strtoul(argv[3], NULL, 10) : 1;
    char *tmp, *text, **home_b;
    enl_profile **a;
    pair_result r, sum;
    long rss_b = 0;
    double t0, t_seal;
    int rc = ENL_OK, rc_b = ENL_OK;

    if (n == 0 || size == 0 || size > ENL_TEXT_MAX || pairs == 0 || n % pairs != 0) {
        fprintf(stderr, "usage: bench_tcp [N [SIZE [PAIRS]]] (PAIRS divides N)\n");
        return 2;
    }
    BENCH_CHECK(enl_init(), "init", NULL);
    tmp = bench_tmpdir("tcp");
    a = calloc(pairs, sizeof *a);
    home_b = calloc(pairs, sizeof *home_b);
    if (a == NULL || home_b == NULL || (text = malloc(size + 1)) == NULL) return 1;
    for (unsigned long k = 0; k < pairs; k++) {
        enl_profile *b;
        char *dir;
        if (asprintf(&dir, "%s/pair%lu", tmp, k) < 0 || mkdir(dir, 0700) != 0) return 1;
        if (asprintf(&home_b[k], "%s/b", dir) < 0) return 1;
        a[k] = bench_profile(dir, "a");
        b = bench_profile(dir, "b");
        bench_introduce(a[k], b);
        enl_profile_close(b);
        enl_profile_set_quota(a[k], 1000000, (uint64_t)1 << 40);
        free(dir);
    }

    t0 = bench_now();
    bench_seal_all(a, pairs, n, text, size);
    t_seal = bench_now() - t0;

    memset(&sum, 0, sizeof sum);
    for (unsigned long k = 0; k < pairs; k++) {
        sync_pair(a[k], home_b[k], &r);
        sum.seconds += r.seconds;
        if (rc == ENL_OK) rc = r.rc;
        if (rc_b == ENL_OK) rc_b = r.rep.rc;
        sum.st.notes_sent += r.st.notes_sent;
        sum.st.bytes_sent += r.st.bytes_sent;
        sum.st.bytes_received += r.st.bytes_received;
        sum.rep.delivered += r.rep.delivered;
        sum.rep.skipped += r.rep.skipped;
        sum.rep.duplicates += r.rep.duplicates;
        if (r.rep.maxrss_kib > rss_b) rss_b = r.rep.maxrss_kib;
    }

    bench_put("messages", "%lu", n);
    bench_put("size", "%zu", size);
    bench_put("pairs", "%lu", pairs);
    bench_put("seal_s", "%.3f", t_seal);
    bench_put("sync_s", "%.3f", sum.seconds);
    bench_put("total_s", "%.3f", t_seal + sum.seconds);
    bench_put("sync_rc", "%s", rc == ENL_OK ? "ok" : enl_strerror(rc));
    bench_put("listen_rc", "%s", rc_b == ENL_OK ? "ok" : enl_strerror(rc_b));
    bench_put("delivered", "%llu", (unsigned long long)sum.rep.delivered);
    bench_put("b_skipped", "%llu", (unsigned long long)sum.rep.skipped);
    bench_put("b_duplicates", "%llu", (unsigned long long)sum.rep.duplicates);
    bench_put("notes_sent", "%llu", (unsigned long long)sum.st.notes_sent);
    bench_put("bytes_sent", "%llu", (unsigned long long)sum.st.bytes_sent);
    bench_put("bytes_received", "%llu", (unsigned long long)sum.st.bytes_received);
    bench_put("maxrss_a_kib", "%ld", bench_maxrss_kib());
    bench_put("maxrss_b_kib", "%ld", rss_b);

    for (unsigned long k = 0; k < pairs; k++) {
        enl_profile_close(a[k]);
        free(home_b[k]);
    }
    bench_rmtree(tmp);
    free(a);
    free(home_b);
    free(tmp);
    free(text);
    return 0;
}
