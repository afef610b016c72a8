/*
 * Issue 3's reconciliation benchmark: two stores of N notes that differ in
 * D, reconciled in memory with src/sync/reconcile.h exactly as a sync over
 * a link does it (src/core/netsync.c: the burn set, the purge set and the
 * note set in one RECON message per turn, items keyed by expiry u32 || 28
 * bytes of the id, a fresh salt for each session),
 * the two sides in two processes joined by a socketpair, so that each
 * side's peak memory is its own.
 *
 *   bench_recon [N [D [random|newest]]]     defaults: 1000000 10 random
 *
 * Each side holds N items: N - D/2 in common and D/2 of its own (D even),
 * so the sets differ in D items. random: the differences are spread over
 * the whole key space (random expiry hours and ids, like the common ones);
 * newest: they all have the newest expiry, so they sit together at the top
 * of the order. Expiry hours of the common items span 14 days.
 *
 * Reported: bytes of reconciliation (the note set's messages alone, then
 * with netsync's RECON envelope and the empty burn and purge sets, then on the wire
 * with the link's framing: 2-byte length, 1-byte chunk flag and 16-byte
 * tag per message), messages and round trips, seconds for the exchange and
 * for preparing (sorting, then enl_recon_init's prefix sums), and the peak
 * memory of each side (getrusage), which includes generating the set.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <sodium.h>

#include "bench.h"
#include "sync/reconcile.h"

#define MSG_RECON 0x01
#define NSETS     3           /* burns and purges (empty here), notes */
#define NOTES     (NSETS - 1)
#define MSG_MAX   (1 + NSETS * (4 + ENL_RECON_MSG_MAX))
#define FRAMING   (2 + 1 + 16)    /* per link message of < 64 KiB: length, flag, tag */
#define HOURS     (14 * 24)

typedef uint8_t id32[32];

/* splitmix64: a fast deterministic stream, so that both processes make the
 * same common items without exchanging them. Not for secrets. */
static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void make_item(uint8_t key[32], uint64_t *s, uint32_t expiry)
{
    for (int i = 4; i < 32; i += 8) {
        uint64_t r = mix(s);
        memcpy(key + i, &r, (size_t)(32 - i < 8 ? 32 - i : 8));
    }
    key[0] = (uint8_t)(expiry >> 24);
    key[1] = (uint8_t)(expiry >> 16);
    key[2] = (uint8_t)(expiry >> 8);
    key[3] = (uint8_t)expiry;
}

static int cmp32(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* The items of one side, sorted. who: 0 initiator, 1 responder. */
static id32 *make_set(size_t n, size_t d, int newest, int who)
{
    id32 *v = malloc((n ? n : 1) * sizeof *v);
    uint64_t common = 42, own = who ? 7 : 9, hs = 3;
    uint32_t h0 = (uint32_t)(time(NULL) / 3600);
    size_t k = 0;

    if (v == NULL) exit(1);
    for (; k < n - d / 2; k++) make_item(v[k], &common, h0 + (uint32_t)(mix(&hs) % HOURS));
    for (; k < n; k++)
        make_item(v[k], &own, newest ? h0 + HOURS : h0 + (uint32_t)(mix(&own) % HOURS));
    qsort(v, n, sizeof *v, cmp32);
    for (size_t i = 1; i < n; i++)
        if (memcmp(v[i - 1], v[i], 32) == 0) exit(1);   /* 2^-224: never */
    return v;
}

typedef struct {
    unsigned long have, need;
} found;

static void on_have(void *ctx, const uint8_t id[32])
{
    (void)id;
    ((found *)ctx)->have++;
}

static void on_need(void *ctx, const uint8_t id[32])
{
    (void)id;
    ((found *)ctx)->need++;
}

/* ---- framing over the socketpair --------------------------------------- */

static void send_all(int fd, const void *b, size_t len)
{
    const uint8_t *p = b;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w <= 0) exit(1);
        p += w;
        len -= (size_t)w;
    }
}

static void recv_all(int fd, void *b, size_t len)
{
    uint8_t *p = b;
    while (len > 0) {
        ssize_t r = read(fd, p, len);
        if (r <= 0) exit(1);
        p += r;
        len -= (size_t)r;
    }
}

static void send_msg(int fd, const uint8_t *m, size_t len)
{
    uint32_t l = (uint32_t)len;
    send_all(fd, &l, 4);
    send_all(fd, m, len);
}

static size_t recv_msg(int fd, uint8_t *m)
{
    uint32_t l;
    recv_all(fd, &l, 4);
    if (l > MSG_MAX) exit(1);
    recv_all(fd, m, l);
    return l;
}

static void put32(uint8_t *b, size_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static size_t get32(const uint8_t *b)
{
    return ((size_t)b[0] << 24) | ((size_t)b[1] << 16) | ((size_t)b[2] << 8) | b[3];
}

/* ---- one side ----------------------------------------------------------- */

typedef struct {
    double sort_s, init_s, exchange_s;
    unsigned long messages_sent;        /* RECON messages this side sent */
    unsigned long note_bytes, app_bytes, wire_bytes, largest;
    found notes, others;
    long maxrss_kib;
} side_report;

/* Runs netsync.c's reconcile() loop on this side. */
static void run_side(int fd, size_t n, size_t d, int newest, int initiator, side_report *rep)
{
    enl_recon r[NSETS];
    uint8_t *scratch[NSETS], *out = malloc(MSG_MAX), *in = malloc(MSG_MAX), go = 1;
    uint8_t salt[ENL_RECON_SALTBYTES];
    size_t slen[NSETS];
    id32 *ids;
    int done[NSETS] = { 0 }, all = 0;
    double t0;

    if (out == NULL || in == NULL) exit(1);
    memset(rep, 0, sizeof *rep);
    t0 = bench_now();
    ids = make_set(n, d, newest, !initiator);
    rep->sort_s = bench_now() - t0;
    t0 = bench_now();
    for (int i = 0; i < NSETS; i++) {
        size_t cnt = i == NOTES ? n : 0;
        slen[i] = enl_recon_scratch_bytes(cnt);
        scratch[i] = malloc(slen[i] ? slen[i] : 1);
        if (scratch[i] == NULL) exit(1);
        if (enl_recon_init(&r[i], i == NOTES ? (const uint8_t (*)[32])ids : NULL, cnt, initiator,
                           on_have, on_need, i == NOTES ? (void *)&rep->notes : (void *)&rep->others,
                           scratch[i], slen[i]) != ENL_OK)
            exit(1);
    }
    rep->init_s = bench_now() - t0;

    /* Both sides ready: the responder says so, then the clock starts. */
    if (initiator) recv_all(fd, &go, 1);
    else send_all(fd, &go, 1);
    t0 = bench_now();
    if (initiator) {
        size_t off = 1;
        randombytes_buf(salt, sizeof salt);
        out[0] = MSG_RECON;
        for (int i = 0; i < NSETS; i++) {
            size_t ol = 0;
            if (enl_recon_first(&r[i], salt, out + off + 4, ENL_RECON_MSG_MAX, &ol) != ENL_OK) exit(1);
            put32(out + off, ol);
            off += 4 + ol;
            if (i == NOTES) rep->note_bytes += ol;
        }
        send_msg(fd, out, off);
        rep->messages_sent++;
        rep->app_bytes += off;
        rep->largest = off;
    }
    while (!all) {
        size_t len = recv_msg(fd, in), off = 1, pos = 1;
        int any = 0;
        out[0] = MSG_RECON;
        all = 1;
        for (int i = 0; i < NSETS; i++) {
            size_t pl, ol = 0;
            const uint8_t *part = in + pos + 4;
            int dn = 0;
            if (pos + 4 > len) exit(1);
            pl = get32(in + pos);
            pos += 4 + pl;
            if (pos > len) exit(1);
            if (pl > 0) {
                if (enl_recon_step(&r[i], part, pl, out + off + 4, ENL_RECON_MSG_MAX, &ol, &dn) !=
                    ENL_OK)
                    exit(1);
                done[i] = dn;
            }
            put32(out + off, ol);
            off += 4 + ol;
            if (i == NOTES) rep->note_bytes += ol;
            any |= ol > 0;
            all &= done[i];
        }
        if (any) {
            send_msg(fd, out, off);
            rep->messages_sent++;
            rep->app_bytes += off;
            if (off > rep->largest) rep->largest = off;
        }
    }
    rep->exchange_s = bench_now() - t0;
    rep->wire_bytes = rep->app_bytes + rep->messages_sent * FRAMING;
    rep->maxrss_kib = bench_maxrss_kib();
    free(ids);
    for (int i = 0; i < NSETS; i++) free(scratch[i]);
    free(out);
    free(in);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    size_t d = argc > 2 ? strtoul(argv[2], NULL, 10) : 10;
    int newest = argc > 3 && strcmp(argv[3], "newest") == 0;
    side_report a, b;
    int sv[2], status = 0;
    unsigned long messages;
    pid_t pid;

    if (d % 2 != 0 || d > n || (argc > 3 && !newest && strcmp(argv[3], "random") != 0)) {
        fprintf(stderr, "usage: bench_recon [N [D [random|newest]]] (D even, D <= N)\n");
        return 2;
    }
    BENCH_CHECK(enl_init(), "init", NULL);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
    fflush(NULL);
    if ((pid = fork()) < 0) return 1;
    if (pid == 0) {
        close(sv[0]);
        run_side(sv[1], n, d, newest, 0, &b);
        send_all(sv[1], &b, sizeof b);
        _exit(0);
    }
    close(sv[1]);
    run_side(sv[0], n, d, newest, 1, &a);
    recv_all(sv[0], &b, sizeof b);
    waitpid(pid, &status, 0);

    messages = a.messages_sent + b.messages_sent;
    bench_put("items", "%zu", n);
    bench_put("differences", "%zu", d);
    bench_put("placement", "%s", newest ? "newest" : "random");
    bench_put("messages", "%lu", messages);
    bench_put("round_trips", "%lu", (messages + 1) / 2);
    bench_put("recon_bytes", "%lu", a.note_bytes + b.note_bytes);
    bench_put("app_bytes", "%lu", a.app_bytes + b.app_bytes);
    bench_put("wire_bytes", "%lu", a.wire_bytes + b.wire_bytes);
    bench_put("largest_message", "%lu", a.largest > b.largest ? a.largest : b.largest);
    bench_put("exchange_s", "%.4f", a.exchange_s);
    bench_put("sort_s", "%.3f", a.sort_s > b.sort_s ? a.sort_s : b.sort_s);
    bench_put("init_s", "%.4f", a.init_s > b.init_s ? a.init_s : b.init_s);
    bench_put("found_a_have", "%lu", a.notes.have);
    bench_put("found_a_need", "%lu", a.notes.need);
    bench_put("found_b_have", "%lu", b.notes.have);
    bench_put("found_b_need", "%lu", b.notes.need);
    bench_put("maxrss_initiator_kib", "%ld", a.maxrss_kib);
    bench_put("maxrss_responder_kib", "%ld", b.maxrss_kib);
    /* Exactly the differences, on both sides, or the figures mean nothing. */
    if (a.notes.have != d / 2 || a.notes.need != d / 2 || b.notes.have != d / 2 ||
        b.notes.need != d / 2 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench: reconciliation did not find exactly the %zu differences\n", d);
        return 1;
    }
    return 0;
}
