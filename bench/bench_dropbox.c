/*
 * Work 2 of issue 9: N messages of SIZE bytes from A to B through a dead-drop
 * folder, in the library (no process per message): A seals them with
 * enl_send_text, A syncs with the folder (writes the notes), B syncs with it
 * (reads, recognises, opens and stores them, and leaves its purges there),
 * then B's inbox is counted. The peer (nncp-file, nncp-xfer, nncp-toss) is
 * run by bench/run.sh.
 *
 *   bench_dropbox [N [SIZE [PAIRS]]]   defaults: 10000 messages of 100 bytes, 1 pair
 *
 * With PAIRS > 1 the N messages are split among that many independent
 * pairs (A and B, each pair with its own dead drop): the same number of
 * notes to seal, carry and open, in conversations of N/PAIRS messages,
 * short enough for the ratchet's bound on skipped messages
 * (ENL_RATCHET_MAX_SKIP), which one sender's 10,000 notes taken in in the
 * order of their ids are not. (Separate pairs rather than many senders to
 * one B: B's purges would go to every folder, which is another benchmark.)
 *
 * Profiles are created with Argon2id at the interactive cost in a temporary
 * folder (not timed), and the quotas are raised so that N notes fit.
 */
#include "bench.h"

static void put_stats(const char *who, const enl_sync_stats *s)
{
    char key[64];
    snprintf(key, sizeof key, "%s_notes_sent", who);
    bench_put(key, "%llu", (unsigned long long)s->notes_sent);
    snprintf(key, sizeof key, "%s_notes_received", who);
    bench_put(key, "%llu", (unsigned long long)(s->notes_received + s->delivered));
    snprintf(key, sizeof key, "%s_purges_sent", who);
    bench_put(key, "%llu", (unsigned long long)s->purges_sent);
    snprintf(key, sizeof key, "%s_skipped", who);
    bench_put(key, "%llu", (unsigned long long)s->skipped);
    snprintf(key, sizeof key, "%s_duplicates", who);
    bench_put(key, "%llu", (unsigned long long)s->duplicates);
    snprintf(key, sizeof key, "%s_bytes", who);
    bench_put(key, "%llu", (unsigned long long)(s->bytes_sent + s->bytes_received));
}

static void add_stats(enl_sync_stats *sum, const enl_sync_stats *s)
{
    sum->notes_sent += s->notes_sent;
    sum->notes_received += s->notes_received;
    sum->purges_sent += s->purges_sent;
    sum->delivered += s->delivered;
    sum->duplicates += s->duplicates;
    sum->skipped += s->skipped;
    sum->bytes_sent += s->bytes_sent;
    sum->bytes_received += s->bytes_received;
}

static void warn_count(void *ctx, const char *what)
{
    unsigned long *n = ctx;
    if ((*n)++ < 3) bench_note("warning: %s", what);
}

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    size_t size = argc > 2 ? strtoul(argv[2], NULL, 10) : 100;
    unsigned long pairs = argc > 3 ? strtoul(argv[3], NULL, 10) : 1;
    char *tmp, *text, **drops;
    enl_profile **a, **b;
    enl_sync_stats sa, sb, s;
    unsigned long warnings = 0;
    enl_sync_opts opts = { NULL, warn_count, &warnings };
    double t0, t_seal, t_a, t_b;
    uint64_t got = 0;

    if (n == 0 || size == 0 || size > ENL_TEXT_MAX || pairs == 0 || n % pairs != 0) {
        fprintf(stderr, "usage: bench_dropbox [N [SIZE [PAIRS]]] (PAIRS divides N)\n");
        return 2;
    }
    BENCH_CHECK(enl_init(), "init", NULL);
    tmp = bench_tmpdir("dropbox");
    a = calloc(pairs, sizeof *a);
    b = calloc(pairs, sizeof *b);
    drops = calloc(pairs, sizeof *drops);
    if ((text = malloc(size + 1)) == NULL || a == NULL || b == NULL || drops == NULL) return 1;
    for (unsigned long k = 0; k < pairs; k++) {
        char *dir;
        if (asprintf(&dir, "%s/pair%lu", tmp, k) < 0 || mkdir(dir, 0700) != 0) return 1;
        if (asprintf(&drops[k], "%s/drop", dir) < 0 || mkdir(drops[k], 0700) != 0) return 1;
        a[k] = bench_profile(dir, "a");
        b[k] = bench_profile(dir, "b");
        bench_introduce(a[k], b[k]);
        enl_profile_set_quota(a[k], 10 * (uint64_t)n + 1000, (uint64_t)1 << 40);
        enl_profile_set_quota(b[k], 10 * (uint64_t)n + 1000, (uint64_t)1 << 40);
        free(dir);
    }

    t0 = bench_now();
    bench_seal_all(a, pairs, n, text, size);
    t_seal = bench_now() - t0;

    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    t0 = bench_now();
    for (unsigned long k = 0; k < pairs; k++) {
        BENCH_CHECK(enl_sync_folder(a[k], drops[k], &opts, &s), "sync a", a[k]);
        add_stats(&sa, &s);
    }
    t_a = bench_now() - t0;
    t0 = bench_now();
    for (unsigned long k = 0; k < pairs; k++) {
        BENCH_CHECK(enl_sync_folder(b[k], drops[k], &opts, &s), "sync b", b[k]);
        add_stats(&sb, &s);
    }
    t_b = bench_now() - t0;
    for (unsigned long k = 0; k < pairs; k++) got += bench_inbox_count(b[k]);

    bench_put("messages", "%lu", n);
    bench_put("size", "%zu", size);
    bench_put("pairs", "%lu", pairs);
    bench_put("seal_s", "%.3f", t_seal);
    bench_put("sync_a_s", "%.3f", t_a);
    bench_put("sync_b_s", "%.3f", t_b);
    bench_put("total_s", "%.3f", t_seal + t_a + t_b);
    bench_put("delivered", "%llu", (unsigned long long)got);
    bench_put("warnings", "%lu", warnings);
    put_stats("a", &sa);
    put_stats("b", &sb);
    bench_put("maxrss_kib", "%ld", bench_maxrss_kib());

    for (unsigned long k = 0; k < pairs; k++) {
        enl_profile_close(a[k]);
        enl_profile_close(b[k]);
        free(drops[k]);
    }
    bench_rmtree(tmp);
    free(tmp);
    free(drops);
    free(a);
    free(b);
    free(text);
    return 0;
}
