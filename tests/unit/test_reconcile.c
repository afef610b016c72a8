/*
 * Range-based set reconciliation: both sides run in memory; after the
 * exchange each side's have/need reports must be exactly the two set
 * differences, each id once, within the promised bytes and round trips.
 * Then malformed and hostile messages: every one refused with a code, nothing
 * reported, no crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "enlace.h"
#include "sync/reconcile.h"

typedef uint8_t id32[32];

/* ---- helpers ------------------------------------------------------------ */

/* The session salt run() uses; property tests vary it. */
static uint8_t salt[ENL_RECON_SALTBYTES] = "test salt 0123!";

typedef struct {
    id32 *v;
    size_t n, cap;
} idvec;

typedef struct {
    idvec have, need;
} side;

typedef struct {
    size_t messages;        /* messages sent, both directions */
    size_t bytes;           /* their total size */
    size_t largest;
    size_t round_trips;
} run_stats;

static void vec_push(idvec *v, const uint8_t id[32])
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 64;
        v->v = realloc(v->v, v->cap * sizeof *v->v);
        assert_non_null(v->v);
    }
    memcpy(v->v[v->n++], id, 32);
}

static void vec_free(idvec *v)
{
    free(v->v);
    memset(v, 0, sizeof *v);
}

static void on_have(void *ctx, const uint8_t id[32])
{
    vec_push(&((side *)ctx)->have, id);
}

static void on_need(void *ctx, const uint8_t id[32])
{
    vec_push(&((side *)ctx)->need, id);
}

static int cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* A small deterministic generator for choices (ids come from libsodium). */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* n distinct random ids, sorted. */
static id32 *random_ids(size_t n, uint64_t seed)
{
    uint8_t key[randombytes_SEEDBYTES] = { 0 };
    id32 *v = malloc((n ? n : 1) * sizeof *v);
    size_t k, m = 0;
    assert_non_null(v);
    memcpy(key, &seed, sizeof seed);
    key[31] = 0x5a;
    randombytes_buf_deterministic(v, n * sizeof *v, key);
    qsort(v, n, sizeof *v, cmp_id);
    for (k = 0; k < n; k++)
        if (m == 0 || memcmp(v[m - 1], v[k], 32) != 0) memcpy(v[m++], v[k], 32);
    assert_int_equal(m, n);   /* 2^-200 odds of a repeat */
    return v;
}

static void expect_ids(idvec *got, const id32 *want, size_t want_n)
{
    size_t k;
    if (got->n > 0) qsort(got->v, got->n, sizeof *got->v, cmp_id);
    if (got->n != want_n) fail_msg("reported %zu ids, expected %zu", got->n, want_n);
    for (k = 0; k < want_n; k++)
        if (memcmp(got->v[k], want[k], 32) != 0) fail_msg("id %zu differs", k);
}

/* a minus b, both sorted. */
static size_t set_minus(id32 *out, const id32 *a, size_t na, const id32 *b, size_t nb)
{
    size_t i = 0, j = 0, m = 0;
    while (i < na) {
        int c = j == nb ? -1 : memcmp(a[i], b[j], 32);
        if (c < 0) memcpy(out[m++], a[i++], 32);
        else if (c > 0) j++;
        else i++, j++;
    }
    return m;
}

/*
 * Runs a whole reconciliation between a (initiator) and b with messages of at
 * most out_max bytes, and checks that each side learnt exactly the two
 * differences.
 */
static void run(const id32 *a, size_t na, const id32 *b, size_t nb, size_t out_max,
                run_stats *st)
{
    enl_recon ra, rb, *cur, *other;
    side sa, sb;
    uint8_t *sca = malloc(enl_recon_scratch_bytes(na)), *scb = malloc(enl_recon_scratch_bytes(nb));
    uint8_t *m1 = malloc(out_max), *m2 = malloc(out_max), *tmp;
    id32 *a_only = malloc((na ? na : 1) * sizeof *a_only);
    id32 *b_only = malloc((nb ? nb : 1) * sizeof *b_only);
    size_t len = 0, out_len, na_only, nb_only, limit = 100000;
    int done = 0;

    assert_true(sca && scb && m1 && m2 && a_only && b_only);
    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    memset(st, 0, sizeof *st);
    assert_int_equal(enl_recon_init(&ra, (const uint8_t (*)[32])a, na, 1, on_have, on_need, &sa,
                                    sca, enl_recon_scratch_bytes(na)), ENL_OK);
    assert_int_equal(enl_recon_init(&rb, (const uint8_t (*)[32])b, nb, 0, on_have, on_need, &sb,
                                    scb, enl_recon_scratch_bytes(nb)), ENL_OK);

    assert_int_equal(enl_recon_first(&ra, salt, m1, out_max, &len), ENL_OK);
    assert_true(len > 0 && len <= out_max);
    st->messages = 1;
    st->bytes = st->largest = len;
    cur = &rb;
    other = &ra;
    for (;;) {
        assert_true(--limit > 0);
        assert_int_equal(enl_recon_step(cur, m1, len, m2, out_max, &out_len, &done), ENL_OK);
        assert_true(out_len <= out_max && out_len <= ENL_RECON_MSG_MAX);
        if (out_len == 0) {
            assert_true(done);
            break;
        }
        st->messages++;
        st->bytes += out_len;
        if (out_len > st->largest) st->largest = out_len;
        if (done) {
            /* The peer takes in the last message, writes nothing and stops too. */
            assert_int_equal(enl_recon_step(other, m2, out_len, m1, out_max, &len, &done), ENL_OK);
            assert_int_equal(len, 0);
            assert_true(done);
            break;
        }
        tmp = m1; m1 = m2; m2 = tmp;
        len = out_len;
        cur = cur == &ra ? &rb : &ra;
        other = other == &ra ? &rb : &ra;
    }
    assert_true(enl_recon_is_done(&ra) && enl_recon_is_done(&rb));
    st->round_trips = (st->messages + 1) / 2;

    na_only = set_minus(a_only, a, na, b, nb);
    nb_only = set_minus(b_only, b, nb, a, na);
    expect_ids(&sa.have, a_only, na_only);
    expect_ids(&sa.need, b_only, nb_only);
    expect_ids(&sb.have, b_only, nb_only);
    expect_ids(&sb.need, a_only, na_only);

    vec_free(&sa.have); vec_free(&sa.need); vec_free(&sb.have); vec_free(&sb.need);
    free(a_only); free(b_only); free(m1); free(m2); free(sca); free(scb);
}

/*
 * Builds two sets from a pool of n + d random ids: d of them (chosen at
 * random) go to one side only, alternately a and b; the rest to both.
 */
static void make_pair(size_t n, size_t d, uint64_t seed, id32 **a, size_t *na, id32 **b, size_t *nb)
{
    id32 *pool = random_ids(n + d, seed);
    uint8_t *where = calloc(n + d, 1);
    uint64_t s = seed ^ 0xabcdef;
    size_t k, placed = 0;

    assert_non_null(where);
    while (placed < d) {
        size_t at = (size_t)(rng_next(&s) % (n + d));
        if (where[at]) continue;
        where[at] = (uint8_t)(1 + placed % 2);
        placed++;
    }
    *a = malloc((n + d) * sizeof **a);
    *b = malloc((n + d) * sizeof **b);
    assert_true(*a && *b);
    *na = *nb = 0;
    for (k = 0; k < n + d; k++) {
        if (where[k] != 2) memcpy((*a)[(*na)++], pool[k], 32);
        if (where[k] != 1) memcpy((*b)[(*nb)++], pool[k], 32);
    }
    free(where);
    free(pool);
}

/* How the d differences of make_placed sit in the pool's order. */
enum { AT_RANDOM, CLUSTERED, NEWEST, ONE_SIDED };

/*
 * Like make_pair, with the differences placed: at random, in one run at a
 * random place (alternately a's and b's), all at the top of the order (the
 * newest notes, alternately), or at random but all on a's side.
 */
static void make_placed(size_t n, size_t d, int how, uint64_t seed, id32 **a, size_t *na,
                        id32 **b, size_t *nb)
{
    id32 *pool = random_ids(n + d, seed);
    uint8_t *where = calloc(n + d ? n + d : 1, 1);
    uint64_t s = seed ^ 0x5eed;
    size_t k, placed = 0, run0 = n ? (size_t)(rng_next(&s) % (n + 1)) : 0;

    assert_non_null(where);
    while (placed < d) {
        size_t at = how == CLUSTERED ? run0 + placed : how == NEWEST ? n + placed
                                                     : (size_t)(rng_next(&s) % (n + d));
        if (where[at]) continue;
        where[at] = (uint8_t)(how == ONE_SIDED ? 1 : 1 + placed % 2);
        placed++;
    }
    *a = malloc((n + d ? n + d : 1) * sizeof **a);
    *b = malloc((n + d ? n + d : 1) * sizeof **b);
    assert_true(*a && *b);
    *na = *nb = 0;
    for (k = 0; k < n + d; k++) {
        if (where[k] != 2) memcpy((*a)[(*na)++], pool[k], 32);
        if (where[k] != 1) memcpy((*b)[(*nb)++], pool[k], 32);
    }
    free(where);
    free(pool);
}

/* ceil(log16(x)) for x >= 1: the number of splits by 16 that bring x to 1. */
static size_t log16_ceil(size_t x)
{
    size_t k = 0, p = 1;
    while (p < x) {
        p *= 16;
        k++;
    }
    return k;
}

/* ---- correctness and cost ----------------------------------------------- */

static void test_both_empty(void **state)
{
    run_stats st;
    (void)state;
    run(NULL, 0, NULL, 0, ENL_RECON_MSG_MAX, &st);
    assert_int_equal(st.round_trips, 1);
    print_message("both empty: %zu round trips, %zu bytes\n", st.round_trips, st.bytes);
}

static void test_one_empty(void **state)
{
    id32 *v = random_ids(5000, 1);
    run_stats st;
    (void)state;
    run(v, 5000, NULL, 0, ENL_RECON_MSG_MAX, &st);
    print_message("5000 vs empty: %zu round trips, %zu bytes\n", st.round_trips, st.bytes);
    assert_true(st.bytes < 5000 * 32 * 12 / 10);
    run(NULL, 0, v, 5000, ENL_RECON_MSG_MAX, &st);
    print_message("empty vs 5000: %zu round trips, %zu bytes\n", st.round_trips, st.bytes);
    assert_true(st.bytes < 5000 * 32 * 12 / 10);
    run(v, 3, NULL, 0, ENL_RECON_MSG_MAX, &st);
    assert_int_equal(st.round_trips, 1);
    run(NULL, 0, v, 3, ENL_RECON_MSG_MAX, &st);
    assert_int_equal(st.round_trips, 1);
    free(v);
}

static void test_identical_large(void **state)
{
    id32 *v = random_ids(100000, 2);
    run_stats st;
    (void)state;
    run(v, 100000, v, 100000, ENL_RECON_MSG_MAX, &st);
    print_message("identical n=100000: %zu round trips, %zu bytes\n", st.round_trips, st.bytes);
    assert_int_equal(st.round_trips, 1);
    assert_int_equal(st.messages, 2);
    assert_true(st.bytes < 1024);
    free(v);
}

static void test_identical_small(void **state)
{
    id32 *v = random_ids(100, 3);
    run_stats st;
    size_t n;
    (void)state;
    for (n = 0; n <= 100; n++) {
        run(v, n, v, n, ENL_RECON_MSG_MAX, &st);
        assert_int_equal(st.round_trips, 1);
        assert_true(st.bytes < 1024);
    }
    free(v);
}

/*
 * Cost bounds. Round trips: O(log n), 2 per level of 16 plus slack. Bytes:
 * O(d log(n/d)): a difference alone in its range costs a split of 16
 * fingerprints (~20 bytes each) per level of 16 below the point where
 * differences stop sharing ranges, then a short list and its answer; 200 bytes
 * a level and 400 for the leaf leave room for unlucky draws.
 */
static void check_differences(size_t n, size_t d, uint64_t seed)
{
    id32 *a, *b;
    size_t na, nb;
    run_stats st;
    size_t max_rt = 2 * log16_ceil(n) + 2;
    size_t max_bytes = d * (200 * log16_ceil(n / d) + 400) + 1024;

    make_pair(n, d, seed, &a, &na, &b, &nb);
    run(a, na, b, nb, ENL_RECON_MSG_MAX, &st);
    print_message("n=%zu d=%zu: %zu round trips (max %zu), %zu bytes (max %zu, %.0f per "
                  "difference), largest message %zu\n", n, d, st.round_trips, max_rt, st.bytes,
                  max_bytes, (double)st.bytes / (double)d, st.largest);
    assert_true(st.round_trips <= max_rt);
    assert_true(st.bytes < max_bytes);
    /* Once differences share the upper levels, well under 500 bytes each. */
    if (d >= 100) assert_true(st.bytes < d * 500 + 1024);
    free(a);
    free(b);
}

static void test_d1(void **state)
{
    (void)state;
    check_differences(100000, 1, 10);
    check_differences(100000, 1, 11);
    check_differences(100000, 1, 12);
}

static void test_d10(void **state)
{
    (void)state;
    check_differences(100000, 10, 20);
    check_differences(100000, 10, 21);
}

static void test_d1000(void **state)
{
    (void)state;
    check_differences(100000, 1000, 30);
}

static void test_disjoint(void **state)
{
    id32 *pool = random_ids(6000, 4), *a = malloc(3000 * sizeof *a), *b = malloc(3000 * sizeof *b);
    size_t k;
    run_stats st;
    (void)state;
    assert_true(a && b);
    for (k = 0; k < 3000; k++) {            /* interleaved */
        memcpy(a[k], pool[2 * k], 32);
        memcpy(b[k], pool[2 * k + 1], 32);
    }
    run(a, 3000, b, 3000, ENL_RECON_MSG_MAX, &st);
    print_message("disjoint interleaved 3000/3000: %zu round trips, %zu bytes\n",
                  st.round_trips, st.bytes);
    run(pool, 3000, pool + 3000, 3000, ENL_RECON_MSG_MAX, &st);
    print_message("disjoint apart 3000/3000: %zu round trips, %zu bytes\n",
                  st.round_trips, st.bytes);
    free(a);
    free(b);
    free(pool);
}

/* Random sets of random sizes and overlaps, with roomy and with minimal
 * messages (the smallest size forces deferrals all the time). */
static void test_random_seeds(void **state)
{
    uint64_t seed, s = 77;
    size_t worst_rt = 0;
    (void)state;
    for (seed = 100; seed < 400; seed++) {
        size_t n = (size_t)(rng_next(&s) % (seed < 300 ? 400 : 5000));
        size_t d = (size_t)(rng_next(&s) % (n + 2));
        id32 *a, *b;
        size_t na, nb;
        run_stats st;
        size_t out_max = seed % 3 == 0 ? ENL_RECON_MSG_MIN : ENL_RECON_MSG_MAX;

        make_pair(n, d, seed, &a, &na, &b, &nb);
        run(a, na, b, nb, out_max, &st);
        assert_true(st.largest <= out_max);
        if (st.round_trips > worst_rt) worst_rt = st.round_trips;
        free(a);
        free(b);
    }
    print_message("random seeds: at most %zu round trips\n", worst_rt);
}

/*
 * The property: for sets of sizes from 0 up, differences from none to all,
 * placed at random, in one run, at the top, or all on one side, under a salt
 * of their own and with roomy or minimal messages, each side reports exactly
 * the two differences (run() checks it), both ways round.
 */
static void test_sizes_and_placements(void **state)
{
    static const size_t sizes[] = { 0, 1, 2, 3, 7, 8, 9, 16, 17, 50, 200, 1000, 5000, 30000 };
    static const char *const how_name[] = { "random", "clustered", "newest", "one-sided" };
    uint64_t seed = 1000;
    (void)state;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        size_t ds[] = { 0, 1, 2, 5, 9, 17, 64, n / 3 + 1, n };
        for (size_t di = 0; di < sizeof ds / sizeof ds[0]; di++) {
            if (di > 0 && ds[di] == ds[di - 1]) continue;
            for (int how = AT_RANDOM; how <= ONE_SIDED; how++) {
                id32 *a, *b;
                size_t na, nb, d = ds[di];
                size_t out_max = (seed % 4 == 0) ? ENL_RECON_MSG_MIN : ENL_RECON_MSG_MAX;
                run_stats st, st2;
                if (n >= 30000 && d > 64) continue;      /* large differences: test_d1000 */
                seed++;
                memcpy(salt, &seed, sizeof seed);
                make_placed(n, d, how, seed, &a, &na, &b, &nb);
                run(a, na, b, nb, out_max, &st);
                run(b, nb, a, na, out_max, &st2);
                if (d == 0) assert_int_equal(st.round_trips, 1);
                if (n == 30000 && d <= 17)
                    print_message("n=%zu d=%zu %s: %zu round trips, %zu bytes\n", n, d,
                                  how_name[how], st.round_trips, st.bytes);
                free(a);
                free(b);
            }
        }
    }
    memcpy(salt, "test salt 0123!", sizeof salt);
}

/* A million-scale case in the unit tests (the bench has the million): few
 * differences, random or newest, stay within 4 round trips and 8 KiB. */
static void test_large_few(void **state)
{
    (void)state;
    for (int how = AT_RANDOM; how <= NEWEST; how += NEWEST - AT_RANDOM) {
        for (uint64_t seed = 70; seed < 72; seed++) {
            id32 *a, *b;
            size_t na, nb;
            run_stats st;
            make_placed(300000, 10, how, seed, &a, &na, &b, &nb);
            run(a, na, b, nb, ENL_RECON_MSG_MAX, &st);
            print_message("n=300000 d=10 %s: %zu round trips, %zu bytes, largest message %zu\n",
                          how == NEWEST ? "newest" : "random", st.round_trips, st.bytes,
                          st.largest);
            assert_true(st.round_trips <= 4);
            assert_true(st.bytes < 8 * 1024);
            free(a);
            free(b);
        }
    }
}

/* Many differences with the smallest messages: every step defers, and each id
 * must still be reported exactly once. */
static void test_deferral(void **state)
{
    id32 *a, *b;
    size_t na, nb;
    run_stats st;
    (void)state;
    make_pair(20000, 2000, 50, &a, &na, &b, &nb);
    run(a, na, b, nb, ENL_RECON_MSG_MIN, &st);
    print_message("n=20000 d=2000 in %d-byte messages: %zu round trips, %zu bytes\n",
                  ENL_RECON_MSG_MIN, st.round_trips, st.bytes);
    assert_true(st.largest <= ENL_RECON_MSG_MIN);
    free(a);
    free(b);
    a = random_ids(20000, 51);
    run(a, 20000, NULL, 0, ENL_RECON_MSG_MIN, &st);
    run(NULL, 0, a, 20000, ENL_RECON_MSG_MIN, &st);
    free(a);
}

/* Ids that share long prefixes (bounds of 32 bytes) and ids at the extremes. */
static void test_edge_ids(void **state)
{
    id32 a[40], b[40];
    size_t k, na = 0, nb = 0;
    run_stats st;
    (void)state;
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    for (k = 0; k < 40; k++) {
        id32 x;
        memset(x, 0xff, 32);
        if (k < 20) {
            memset(x, 0, 32);
            x[31] = (uint8_t)k;             /* 0, 1, 2 ... differ only in the last byte */
        } else {
            x[31] = (uint8_t)(0xc0 + k);    /* ff..ff d4 ... ff..ff fb */
        }
        if (k % 3 != 1) memcpy(a[na++], x, 32);
        if (k % 3 != 2) memcpy(b[nb++], x, 32);
    }
    run(a, na, b, nb, ENL_RECON_MSG_MAX, &st);
    run(b, nb, a, na, ENL_RECON_MSG_MIN, &st);
    run(a, na, a, na, ENL_RECON_MSG_MAX, &st);
    assert_int_equal(st.round_trips, 1);
}

/* ---- hostile input ------------------------------------------------------- */

typedef struct {
    enl_recon r;
    side s;
    id32 *ids;
    size_t n;
    uint8_t *scratch;
    uint8_t out[ENL_RECON_MSG_MAX];
} responder;

static responder *responder_new(size_t n, uint64_t seed)
{
    responder *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->ids = random_ids(n, seed);
    p->n = n;
    p->scratch = malloc(enl_recon_scratch_bytes(n));
    assert_non_null(p->scratch);
    assert_int_equal(enl_recon_init(&p->r, (const uint8_t (*)[32])p->ids, n, 0, on_have, on_need,
                                    &p->s, p->scratch, enl_recon_scratch_bytes(n)), ENL_OK);
    return p;
}

static void responder_free(responder *p)
{
    vec_free(&p->s.have);
    vec_free(&p->s.need);
    free(p->ids);
    free(p->scratch);
    free(p);
}

/* Feeds one message to a fresh responder (or to p when given); returns the code. */
static int feed(responder *p, const uint8_t *msg, size_t len)
{
    size_t out_len = 12345;
    int done = 7, rc;
    size_t have = p->s.have.n, need = p->s.need.n;
    rc = enl_recon_step(&p->r, msg, len, p->out, sizeof p->out, &out_len, &done);
    if (rc != ENL_OK) {
        /* An error reports nothing and leaves the outputs alone. */
        assert_int_equal(p->s.have.n, have);
        assert_int_equal(p->s.need.n, need);
        assert_int_equal(out_len, 12345);
        assert_int_equal(done, 7);
    } else {
        assert_true(out_len <= ENL_RECON_MSG_MAX);
    }
    return rc;
}

static int feed_fresh(const uint8_t *msg, size_t len)
{
    responder *p = responder_new(300, 900);
    int rc = feed(p, msg, len);
    responder_free(p);
    return rc;
}

/* A message builder for hand-made input: the version and, since these go to
 * a responder that has heard nothing yet, the salt; then ranges, their bounds
 * coded against the previous one as the protocol says (head() for any
 * bound, raw() for a head and bytes of one's choice). */
typedef struct {
    uint8_t b[ENL_RECON_MSG_MAX + 16];
    size_t n;
    uint8_t last[32];
} msg;

static void put(msg *m, const void *p, size_t len)
{
    assert_true(m->n + len <= sizeof m->b);
    if (len > 0) memcpy(m->b + m->n, p, len);
    m->n += len;
}

static void put8(msg *m, uint8_t v)
{
    put(m, &v, 1);
}

static void start(msg *m)
{
    memset(m, 0, sizeof *m);
    put8(m, ENL_RECON_VERSION);
    put(m, salt, sizeof salt);
}

/* A head with s shared bytes and t new ones (t > 1 takes a t byte). */
static void raw(msg *m, int mode, size_t s, size_t t, const uint8_t *bytes)
{
    put8(m, (uint8_t)(mode << 6 | s << 1 | (t != 1)));
    if (t != 1) put8(m, (uint8_t)t);
    put(m, bytes, t);
}

/* A range whose bound is the blen bytes at bound (63: infinity). */
static void head(msg *m, int mode, const uint8_t *bound, size_t blen)
{
    uint8_t v[32] = { 0 };
    size_t s = 0;
    if (blen == 63) {
        put8(m, (uint8_t)(mode << 6 | 63));
        return;
    }
    memcpy(v, bound, blen);
    while (s + 1 < blen && v[s] == m->last[s]) s++;
    raw(m, mode, s, blen - s, v + s);
    memcpy(m->last, v, 32);
}

static void test_malformed_basic(void **state)
{
    msg m;
    static const uint8_t b80[1] = { 0x80 }, b40[1] = { 0x40 }, bz[2] = { 0x80, 0x00 };
    static const uint8_t b8005[2] = { 0x80, 0x05 }, zero[1] = { 0 }, one[1] = { 1 };
    uint8_t fp[ENL_RECON_FPBYTES] = { 0 }, big[40] = { 0 };
    uint8_t first[1 + ENL_RECON_SALTBYTES];
    (void)state;

    first[0] = ENL_RECON_VERSION;
    memcpy(first + 1, salt, sizeof salt);
    assert_int_equal(feed_fresh((const uint8_t *)"", 0), ENL_EMALFORMED);
    assert_int_equal(feed_fresh((const uint8_t *)"\x01", 1), ENL_EVERSION);
    assert_int_equal(feed_fresh((const uint8_t *)"\x03", 1), ENL_EVERSION);
    assert_int_equal(feed_fresh(first, 1), ENL_EMALFORMED);              /* no salt */
    assert_int_equal(feed_fresh(first, sizeof first - 1), ENL_EMALFORMED);
    assert_int_equal(feed_fresh(first, sizeof first), ENL_OK);           /* nothing to do */

    /* Truncated fingerprint. */
    start(&m); head(&m, 1, NULL, 63); put(&m, fp, ENL_RECON_FPBYTES - 1);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    /* Truncated bound, and a missing t byte. */
    start(&m); raw(&m, 1, 0, 5, big); m.n -= 2;
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    start(&m); put8(&m, 1 << 6 | 1);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    /* Bounds longer than an id: t alone, and s + t. */
    memset(big, 0x11, sizeof big);
    start(&m); raw(&m, 1, 0, 33, big); put(&m, fp, sizeof fp);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    start(&m); head(&m, 0, b80, 1); raw(&m, 1, 20, 13, big); put(&m, fp, sizeof fp);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    start(&m); head(&m, 0, b80, 1); raw(&m, 1, 20, 12, big); put(&m, fp, sizeof fp);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_OK);                      /* 32 exactly */
    /* t = 1 or 0 spelled with a t byte (not the shortest form). */
    start(&m); put8(&m, 1 << 6 | 1); put8(&m, 1); put8(&m, 0x80); put(&m, fp, sizeof fp);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    start(&m); put8(&m, 1 << 6 | 1); put8(&m, 0); put(&m, fp, sizeof fp);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    /* A bound that ends in zero, and the zero bound. */
    start(&m); head(&m, 1, bz, 2); put(&m, fp, sizeof fp);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    start(&m); raw(&m, 1, 0, 1, zero); put(&m, fp, sizeof fp);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    /* A bound that goes backwards, one that repeats, and one whose shared
     * bytes are not all it shares with the previous bound. */
    start(&m); head(&m, 0, b80, 1); head(&m, 1, b40, 1); put(&m, fp, sizeof fp);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    start(&m); head(&m, 0, b80, 1); head(&m, 1, b80, 1); put(&m, fp, sizeof fp);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    start(&m); head(&m, 0, b80, 1); raw(&m, 1, 0, 2, b8005); put(&m, fp, sizeof fp);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    start(&m); head(&m, 0, b80, 1); head(&m, 1, b8005, 2); put(&m, fp, sizeof fp);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_OK);
    start(&m); head(&m, 0, b80, 1); raw(&m, 1, 1, 1, one); put(&m, fp, sizeof fp);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_OK);                      /* 80 01 */
    /* Anything after infinity. */
    start(&m); head(&m, 0, NULL, 63); head(&m, 0, NULL, 63);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    start(&m); head(&m, 1, NULL, 63); put(&m, fp, sizeof fp); put8(&m, 0);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    /* Too large. */
    start(&m);
    m.n = ENL_RECON_MSG_MAX + 1;
    assert_int_equal(feed_fresh(m.b, m.n), ENL_ETOOBIG);
}

static void test_malformed_counts(void **state)
{
    msg m;
    uint8_t ids[3][32];
    size_t k;
    (void)state;
    memset(ids, 0, sizeof ids);
    for (k = 0; k < 3; k++) ids[k][0] = (uint8_t)(0x10 * (k + 1));

    /* Absurd list counts, and counts larger than what follows. */
    start(&m); head(&m, 2, NULL, 63); put8(&m, 255);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    start(&m); head(&m, 2, NULL, 63); put8(&m, 65);
    for (k = 0; k < 65; k++) { uint8_t x[32] = { 0 }; x[0] = (uint8_t)k; x[1] = 1; put(&m, x, 32); }
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    start(&m); head(&m, 2, NULL, 63); put8(&m, 3); put(&m, ids, 64);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    start(&m); head(&m, 3, NULL, 63); put8(&m, 0); put8(&m, 200);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    start(&m); head(&m, 3, NULL, 63); put8(&m, 0); put8(&m, 9); put8(&m, 0);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);        /* 9 bits need 2 bytes */
    /* Ids out of order, repeated, or outside the range. */
    start(&m); head(&m, 2, NULL, 63); put8(&m, 2); put(&m, ids[1], 32); put(&m, ids[0], 32);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    start(&m); head(&m, 2, NULL, 63); put8(&m, 2); put(&m, ids[1], 32); put(&m, ids[1], 32);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);
    start(&m); head(&m, 2, ids[1], 1); put8(&m, 1); put(&m, ids[2], 32);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);         /* above the bound */
    start(&m); head(&m, 0, ids[1], 1); head(&m, 2, NULL, 63); put8(&m, 1); put(&m, ids[0], 32);
    assert_int_equal(feed_fresh(m.b, m.n), ENL_EMALFORMED);         /* below the lower bound */
}

/* Answers that no honest peer could send. */
static void test_bad_answers(void **state)
{
    responder *p = responder_new(300, 901);
    msg m;
    uint8_t hi[1];
    size_t in_range;
    (void)state;

    /* An answer over a range where we hold far more ids than we would list. */
    start(&m); head(&m, 3, NULL, 63); put8(&m, 0); put8(&m, 0);
    assert_int_equal(feed(p, m.b, m.n), ENL_EPROTO);

    /* A range holding a few of our ids: [0, first byte of ids[3] + 1). */
    hi[0] = (uint8_t)(p->ids[3][0] + 1);
    for (in_range = 0; in_range < p->n && p->ids[in_range][0] < hi[0]; in_range++) {}
    assert_true(in_range >= 1 && in_range <= 8);
    /* Wrong number of bits. */
    start(&m); head(&m, 3, hi, 1); put8(&m, 0); put8(&m, (uint8_t)(in_range + 1));
    put8(&m, 0); if (in_range + 1 > 8) put8(&m, 0);
    assert_int_equal(feed(p, m.b, m.n), ENL_EPROTO);
    /* Claims we lack an id we hold. */
    start(&m); head(&m, 3, hi, 1); put8(&m, 1); put(&m, p->ids[0], 32);
    put8(&m, (uint8_t)in_range); put8(&m, 0);
    assert_int_equal(feed(p, m.b, m.n), ENL_EPROTO);
    /* Padding bits set. */
    if (in_range % 8 != 0) {
        start(&m); head(&m, 3, hi, 1); put8(&m, 0); put8(&m, (uint8_t)in_range);
        put8(&m, 0x80);
        assert_int_equal(feed(p, m.b, m.n), ENL_EMALFORMED);
    }
    /* A valid answer followed by garbage: refused as a whole, nothing reported. */
    start(&m); head(&m, 3, hi, 1); put8(&m, 0); put8(&m, (uint8_t)in_range); put8(&m, 1);
    head(&m, 1, NULL, 63); put8(&m, 0);
    assert_int_equal(feed(p, m.b, m.n), ENL_EMALFORMED);
    assert_int_equal(p->s.have.n, 0);
    /* The same answer alone is taken: it is a last message. */
    m.n -= 2;
    assert_int_equal(feed(p, m.b, m.n), ENL_OK);
    assert_int_equal(p->s.have.n, 1);
    assert_memory_equal(p->s.have.v[0], p->ids[0], 32);
    /* The session is over now. */
    assert_int_equal(feed(p, m.b, m.n), ENL_EINVAL);
    responder_free(p);
}

/* Every prefix of real messages, and real messages with one byte changed:
 * either taken or refused with a code, never a crash. */
static void test_truncated_and_flipped(void **state)
{
    id32 *a, *b;
    size_t na, nb, len, out_len, cut, refused = 0, pos;
    enl_recon ra, rb;
    side sa, sb;
    uint8_t *sca, *scb;
    static uint8_t first[ENL_RECON_MSG_MAX], reply[ENL_RECON_MSG_MAX], tmp[ENL_RECON_MSG_MAX];
    int done;
    (void)state;

    make_pair(3000, 300, 60, &a, &na, &b, &nb);
    sca = malloc(enl_recon_scratch_bytes(na));
    scb = malloc(enl_recon_scratch_bytes(nb));
    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    assert_int_equal(enl_recon_init(&ra, (const uint8_t (*)[32])a, na, 1, on_have, on_need, &sa,
                                    sca, enl_recon_scratch_bytes(na)), ENL_OK);
    assert_int_equal(enl_recon_first(&ra, salt, first, sizeof first, &len), ENL_OK);
    assert_int_equal(enl_recon_init(&rb, (const uint8_t (*)[32])b, nb, 0, on_have, on_need, &sb,
                                    scb, enl_recon_scratch_bytes(nb)), ENL_OK);
    assert_int_equal(enl_recon_step(&rb, first, len, reply, sizeof reply, &out_len, &done), ENL_OK);
    assert_true(out_len > 100 && !done);

    /* Copies of the state after the first message (they share the scratch, which
     * these messages may only touch through answers: harmless here). */
    for (cut = 0; cut < out_len; cut++) {
        enl_recon copy = ra;
        size_t l2;
        int d2, rc = enl_recon_step(&copy, reply, cut, tmp, sizeof tmp, &l2, &d2);
        if (rc != ENL_OK) {
            assert_true(rc == ENL_EMALFORMED || rc == ENL_EPROTO);
            refused++;
        }
    }
    print_message("prefixes of a %zu-byte reply: %zu refused\n", out_len, refused);
    assert_true(refused > out_len / 2);

    for (pos = 0; pos < out_len; pos++) {
        uint8_t keep = reply[pos];
        int bit;
        for (bit = 0; bit < 8; bit++) {
            enl_recon copy = ra;
            size_t l2;
            int d2, rc;
            reply[pos] = (uint8_t)(keep ^ (1u << bit));
            rc = enl_recon_step(&copy, reply, out_len, tmp, sizeof tmp, &l2, &d2);
            assert_true(rc == ENL_OK || rc == ENL_EMALFORMED || rc == ENL_EPROTO
                        || rc == ENL_EVERSION);
        }
        reply[pos] = keep;
    }
    vec_free(&sa.have); vec_free(&sa.need); vec_free(&sb.have); vec_free(&sb.need);
    free(sca); free(scb); free(a); free(b);
}

static void test_random_bytes(void **state)
{
    responder *p = responder_new(300, 902);
    static uint8_t buf[4096];
    uint64_t s = 5;
    size_t k, refused = 0;
    (void)state;
    for (k = 0; k < 20000; k++) {
        size_t len = 1 + (size_t)(rng_next(&s) % sizeof buf), i;
        int rc;
        for (i = 0; i < len; i++) buf[i] = (uint8_t)rng_next(&s);
        buf[0] = ENL_RECON_VERSION;
        /* Some with a plausible head after the salt (or after the version,
         * once the responder has taken a first message). */
        if (k % 2 && len > 17) buf[17] = (uint8_t)(buf[17] & 0x3f) | (uint8_t)(k % 4 << 6);
        if (k % 4 == 3) buf[1] = (uint8_t)(buf[1] & 0x3f) | (uint8_t)(k % 8 / 4 << 6);
        if (enl_recon_is_done(&p->r)) {    /* a last message ends a session: start anew */
            responder_free(p);
            p = responder_new(300, 902);
        }
        rc = feed(p, buf, len);
        assert_true(rc == ENL_OK || rc == ENL_EMALFORMED || rc == ENL_EPROTO);
        refused += rc != ENL_OK;
    }
    print_message("random messages: %zu of 20000 refused\n", refused);
    assert_true(refused > 19000);
    responder_free(p);
}

static void test_api_misuse(void **state)
{
    id32 v[3];
    uint8_t scratch[ENL_RECON_SCRATCH_BYTES(3)];
    uint8_t out[ENL_RECON_MSG_MIN];
    enl_recon r;
    side s;
    size_t len;
    int done;
    (void)state;

    memset(v, 0, sizeof v);
    v[0][0] = 1; v[1][0] = 2; v[2][0] = 3;
    memset(&s, 0, sizeof s);
    assert_int_equal(enl_recon_scratch_bytes(3), sizeof scratch);
    assert_int_equal(enl_recon_scratch_bytes(SIZE_MAX / 2), 0);
    assert_int_equal(enl_recon_init(&r, (const uint8_t (*)[32])v, 3, 1, on_have, on_need, &s,
                                    scratch, sizeof scratch - 1), ENL_EINVAL);
    assert_int_equal(enl_recon_init(&r, NULL, 3, 1, on_have, on_need, &s, scratch, sizeof scratch),
                     ENL_EINVAL);
    assert_int_equal(enl_recon_init(&r, (const uint8_t (*)[32])v, 3, 1, NULL, on_need, &s,
                                    scratch, sizeof scratch), ENL_EINVAL);
    v[2][0] = 2;    /* a duplicate */
    assert_int_equal(enl_recon_init(&r, (const uint8_t (*)[32])v, 3, 1, on_have, on_need, &s,
                                    scratch, sizeof scratch), ENL_EINVAL);
    v[2][0] = 0;    /* out of order */
    assert_int_equal(enl_recon_init(&r, (const uint8_t (*)[32])v, 3, 1, on_have, on_need, &s,
                                    scratch, sizeof scratch), ENL_EINVAL);
    v[2][0] = 3;

    /* The initiator must send first, once. */
    assert_int_equal(enl_recon_init(&r, (const uint8_t (*)[32])v, 3, 1, on_have, on_need, &s,
                                    scratch, sizeof scratch), ENL_OK);
    assert_int_equal(enl_recon_step(&r, (const uint8_t *)"\x02", 1, out, sizeof out, &len, &done),
                     ENL_EINVAL);
    assert_int_equal(enl_recon_first(&r, salt, out, sizeof out - 1, &len), ENL_EBUFSIZE);
    assert_int_equal(enl_recon_first(&r, NULL, out, sizeof out, &len), ENL_EINVAL);
    assert_int_equal(enl_recon_first(&r, salt, out, sizeof out, &len), ENL_OK);
    assert_int_equal(len, 1 + ENL_RECON_SALTBYTES + 1 + 1 + 3 * 32);  /* three ids: a list */
    assert_memory_equal(out + 1, salt, ENL_RECON_SALTBYTES);
    assert_int_equal(enl_recon_first(&r, salt, out, sizeof out, &len), ENL_EINVAL);
    assert_int_equal(enl_recon_step(&r, (const uint8_t *)"\x02", 1, out, sizeof out - 1, &len,
                                    &done), ENL_EBUFSIZE);
    assert_int_equal(enl_recon_step(&r, (const uint8_t *)"\x02", 1, out, sizeof out, &len, &done),
                     ENL_OK);
    assert_int_equal(len, 0);
    assert_true(done);
    assert_int_equal(enl_recon_step(&r, (const uint8_t *)"\x02", 1, out, sizeof out, &len, &done),
                     ENL_EINVAL);

    /* The responder never sends first. */
    assert_int_equal(enl_recon_init(&r, (const uint8_t (*)[32])v, 3, 0, on_have, on_need, &s,
                                    scratch, sizeof scratch), ENL_OK);
    assert_int_equal(enl_recon_first(&r, salt, out, sizeof out, &len), ENL_EINVAL);
    vec_free(&s.have);
    vec_free(&s.need);
}

static int setup(void **state)
{
    (void)state;
    return enl_init() == ENL_OK ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_empty),
        cmocka_unit_test(test_one_empty),
        cmocka_unit_test(test_identical_large),
        cmocka_unit_test(test_identical_small),
        cmocka_unit_test(test_d1),
        cmocka_unit_test(test_d10),
        cmocka_unit_test(test_d1000),
        cmocka_unit_test(test_disjoint),
        cmocka_unit_test(test_random_seeds),
        cmocka_unit_test(test_sizes_and_placements),
        cmocka_unit_test(test_large_few),
        cmocka_unit_test(test_deferral),
        cmocka_unit_test(test_edge_ids),
        cmocka_unit_test(test_malformed_basic),
        cmocka_unit_test(test_malformed_counts),
        cmocka_unit_test(test_bad_answers),
        cmocka_unit_test(test_truncated_and_flipped),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_api_misuse),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
