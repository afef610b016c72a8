/*
 * Range-based set reconciliation over sorted arrays of 32-byte ids.
 *
 * Ids are compared as big-endian 256-bit numbers (memcmp order). A range
 * [lo, hi) is named by its upper bound only: the ranges of one message follow
 * each other from 0, so each starts where the previous one ended; past the
 * last range everything is skipped. A bound is sent as the shortest prefix
 * that separates the two ids around it (zeros implied after the prefix).
 *
 * Wire format (a message is at most ENL_RECON_MSG_MAX bytes):
 *
 *   message = version u8 (0x01), then ranges until the end
 *   range   = head u8: mode << 6 | blen
 *             bound  blen bytes (0..32); blen 63 means infinity (no bytes);
 *                    the last byte of a bound is not zero, and bounds
 *                    strictly increase; nothing may follow infinity
 *             data:
 *     mode 0 skip:        nothing
 *     mode 1 fingerprint: 16 bytes, the sender's fingerprint of the range
 *     mode 2 list:        count u8 (<= 64), count ids of 32 bytes, ascending,
 *                         inside the range: all the sender's ids there
 *     mode 3 answer:      count u8 (<= 64), count ids the receiver lacks,
 *                         ascending, inside the range; then bits u8 (<= 64)
 *                         and (bits + 7) / 8 bytes: bit k (byte k / 8, value
 *                         1 << k % 8) set when the sender lacks the k-th id of
 *                         the list the receiver sent for this range; unused
 *                         high bits zero
 *
 * The answers: a fingerprint that matches needs nothing; one that does not
 * is answered with the receiver's list when it holds at most
 * ENL_RECON_LEAF ids there, else with up to ENL_RECON_BRANCH fingerprints of
 * sub-ranges of about equal size (each at most ENL_RECON_LEAF ids when that
 * takes no more than ENL_RECON_BRANCH). A list is answered (mode 3) when the
 * receiver holds at most ENL_RECON_LIST_MAX ids there, else split like a
 * fingerprint that does not match. An answer needs no answer. A message
 * without fingerprints and lists is the last one.
 *
 * Fingerprint: BLAKE2b-128 of "enlace recon fp1" | sum | count, where sum is
 * the sum modulo 2^256 of the ids read as little-endian numbers (32 bytes,
 * little-endian) and count is u64 little-endian. Why: a sum is incremental,
 * so prefix sums over the sorted array give any range's fingerprint in O(1)
 * (one subtraction and one hash) instead of a pass over the range; addition
 * modulo 2^256, unlike XOR, offers no linear structure that lets someone who
 * chooses some of the ids solve for a collision by Gaussian elimination
 * (Meyer's paper surveys which fingerprints resist such choices; Negentropy
 * uses this same sum, with SHA-256); the count and the hash keep sets of
 * different sizes or crafted sums from colliding in the 16 bytes that
 * travel. A collision would only hide a difference, never corrupt state.
 *
 * Each difference is settled by a list and its answer and reported in that
 * exchange only, on both sides: the answering side when it writes the answer,
 * the listing side when it reads it. A range that does not fit in the reply
 * is not dropped but deferred: the rest of the space, [its lower bound,
 * infinity), goes out as one fingerprint, as Negentropy does. That can reopen
 * ranges settled earlier, so the holder of an id keeps a bitmap of the ids it
 * reported with `have` and leaves them out of every later list and answer:
 * a difference found again is not exchanged, nor reported, twice. Answers
 * are taken in even past the point where a reply was cut. A message is
 * checked entirely before anything in it is reported, so an error reports
 * nothing, and a range's results are reported only once its answer is
 * written.
 */
#include "sync/reconcile.h"

#include <string.h>

#include <sodium.h>

#include "util/bytes.h"

#define MODE_SKIP   0
#define MODE_FP     1
#define MODE_LIST   2
#define MODE_ANSWER 3
#define BOUND_INF   63

#define PHASE_NEW   0
#define PHASE_RUN   1
#define PHASE_DONE  2

/* Room kept free for deferring the rest: a skip with a full bound, then a
 * fingerprint bounded by infinity. */
#define DEFER_RESERVE (1 + 32 + 1 + ENL_RECON_FPBYTES)

/* How far a split point may move to find a shorter bound. */
#define SPLIT_SLACK 8

#define FP_DOMAIN "enlace recon fp1"

_Static_assert(ENL_RECON_LEAF >= 1 && ENL_RECON_LEAF <= ENL_RECON_LIST_MAX, "leaf size");
_Static_assert(ENL_RECON_BRANCH >= 2 && ENL_RECON_BRANCH <= 64, "branching");
_Static_assert(ENL_RECON_LIST_MAX <= 64, "answer bitmaps are held in a uint64_t");
_Static_assert(sizeof FP_DOMAIN - 1 == 16, "fingerprint domain");
_Static_assert(ENL_RECON_MSG_MIN >= 1 + 1 + 32 + 1 + 32 + 1 + ENL_RECON_LIST_MAX * 32 + 1 + 8
                   + DEFER_RESERVE,
               "the largest answer to one range fits in the smallest message");
_Static_assert(ENL_RECON_MSG_MIN >= 1 + 1 + 32 + ENL_RECON_BRANCH * (1 + 32 + ENL_RECON_FPBYTES)
                   + DEFER_RESERVE,
               "the largest split fits in the smallest message");
_Static_assert(ENL_RECON_MSG_MAX <= 65535 - 1024, "a message fits one 64 KiB frame");

typedef struct {
    uint8_t v[32];          /* the value: the prefix, then zeros */
    uint8_t len;            /* prefix bytes on the wire, or BOUND_INF */
} bound;

/* One range of a peer message; pointers refer into the message. */
typedef struct {
    int mode;
    bound hi;
    size_t i, j;            /* our ids inside the range: ids[i..j) */
    const uint8_t *fp;
    const uint8_t *list;    /* list or answer ids */
    size_t list_n;
    const uint8_t *bits;    /* answer bitmap */
    size_t bits_n;
} range;

/* The reply being written. */
typedef struct {
    enl_wr w;
    bound last;             /* upper bound of the last range written */
    int open;               /* a fingerprint or a list was written */
    int cut;                /* the rest of the message was deferred */
} emitter;

/* ---- ids, sums and fingerprints ---------------------------------------- */

static int bound_cmp(const bound *a, const bound *b)
{
    if (a->len == BOUND_INF || b->len == BOUND_INF)
        return (a->len == BOUND_INF) - (b->len == BOUND_INF);
    return memcmp(a->v, b->v, 32);
}

/* Compares an id with a bound: < 0 when the id lies below it. */
static int id_cmp_bound(const uint8_t id[32], const bound *b)
{
    return b->len == BOUND_INF ? -1 : memcmp(id, b->v, 32);
}

/* First index k >= from with ids[k] >= b. */
static size_t lower_bound(const enl_recon *r, size_t from, const bound *b)
{
    size_t lo = from, hi = r->n;
    if (b->len == BOUND_INF) return r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(r->ids[mid], b->v, 32) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Bytes that two different ids share at the start. */
static size_t shared_prefix(const uint8_t a[32], const uint8_t b[32])
{
    size_t l = 0;
    while (l < 31 && a[l] == b[l]) l++;
    return l;
}

/* The shortest bound b with below < b <= above (below < above). */
static void bound_between(bound *b, const uint8_t below[32], const uint8_t above[32])
{
    size_t l = shared_prefix(below, above);
    memset(b->v, 0, sizeof b->v);
    memcpy(b->v, above, l + 1);
    b->len = (uint8_t)(l + 1);
}

/* Moves split point p (0 < p < n) by at most slack to where the ids around it
 * part soonest, so that its bound is shortest; the nearest such point wins. */
static size_t nudge_split(const enl_recon *r, size_t p, size_t slack)
{
    size_t best = p, best_l = shared_prefix(r->ids[p - 1], r->ids[p]), d, l;
    for (d = 1; d <= slack && best_l > 0; d++) {
        if ((l = shared_prefix(r->ids[p - d - 1], r->ids[p - d])) < best_l) {
            best = p - d;
            best_l = l;
        }
        if ((l = shared_prefix(r->ids[p + d - 1], r->ids[p + d])) < best_l) {
            best = p + d;
            best_l = l;
        }
    }
    return best;
}

static int is_reported(const enl_recon *r, size_t k)
{
    return (r->reported[k / 8] >> (k % 8)) & 1;
}

static void report_have(enl_recon *r, size_t k)
{
    r->reported[k / 8] |= (uint8_t)(1u << (k % 8));
    r->have(r->ctx, r->ids[k]);
}

static size_t count_unreported(const enl_recon *r, size_t i, size_t j)
{
    size_t m = 0;
    for (; i < j; i++) m += !is_reported(r, i);
    return m;
}

static void fingerprint(const enl_recon *r, size_t i, size_t j, uint8_t fp[ENL_RECON_FPBYTES])
{
    uint8_t buf[16 + 32 + 8];
    uint64_t count = (uint64_t)(j - i);
    int borrow = 0;
    size_t k;

    memcpy(buf, FP_DOMAIN, 16);
    for (k = 0; k < 32; k++) {
        int d = (int)r->sums[j][k] - (int)r->sums[i][k] - borrow;
        buf[16 + k] = (uint8_t)d;
        borrow = d < 0;
    }
    for (k = 0; k < 8; k++) buf[48 + k] = (uint8_t)(count >> (8 * k));
    crypto_generichash(fp, ENL_RECON_FPBYTES, buf, sizeof buf, NULL, 0);
}

/* ---- parsing ------------------------------------------------------------ */

/* Reads count ids that must ascend strictly and lie in [lo, hi). */
static int parse_ids(enl_rd *rd, size_t count, const bound *lo, const bound *hi,
                     const uint8_t **out)
{
    const uint8_t *p = enl_rd_ptr(rd, count * 32);
    size_t k;
    if (p == NULL) return ENL_EMALFORMED;
    for (k = 0; k < count; k++) {
        const uint8_t *id = p + 32 * k;
        if (k == 0 ? memcmp(id, lo->v, 32) < 0 : memcmp(id - 32, id, 32) >= 0)
            return ENL_EMALFORMED;
        if (id_cmp_bound(id, hi) >= 0) return ENL_EMALFORMED;
    }
    *out = p;
    return ENL_OK;
}

/* Parses the range that starts at lo (our ids from index i on). */
static int parse_range(const enl_recon *r, enl_rd *rd, const bound *lo, size_t i, range *g)
{
    uint8_t head = enl_rd_u8(rd);
    size_t blen = head & 63;
    int rc;

    if (rd->err) return ENL_EMALFORMED;
    memset(g, 0, sizeof *g);
    g->mode = head >> 6;
    if (blen == BOUND_INF) {
        g->hi.len = BOUND_INF;
    } else {
        const uint8_t *p;
        if (blen > 32) return ENL_EMALFORMED;
        p = enl_rd_ptr(rd, blen);
        if (p == NULL) return ENL_EMALFORMED;
        if (blen > 0 && p[blen - 1] == 0) return ENL_EMALFORMED;   /* not the shortest */
        memcpy(g->hi.v, p, blen);
        g->hi.len = (uint8_t)blen;
    }
    if (bound_cmp(&g->hi, lo) <= 0) return ENL_EMALFORMED;
    g->i = i;
    g->j = lower_bound(r, i, &g->hi);

    switch (g->mode) {
    case MODE_FP:
        g->fp = enl_rd_ptr(rd, ENL_RECON_FPBYTES);
        return g->fp == NULL ? ENL_EMALFORMED : ENL_OK;
    case MODE_LIST:
    case MODE_ANSWER:
        g->list_n = enl_rd_u8(rd);
        if (rd->err || g->list_n > ENL_RECON_LIST_MAX) return ENL_EMALFORMED;
        rc = parse_ids(rd, g->list_n, lo, &g->hi, &g->list);
        if (rc != ENL_OK || g->mode == MODE_LIST) return rc;
        g->bits_n = enl_rd_u8(rd);
        if (rd->err || g->bits_n > ENL_RECON_LIST_MAX) return ENL_EMALFORMED;
        g->bits = enl_rd_ptr(rd, (g->bits_n + 7) / 8);
        if (g->bits == NULL) return ENL_EMALFORMED;
        if (g->bits_n % 8 != 0 && (g->bits[g->bits_n / 8] >> (g->bits_n % 8)) != 0)
            return ENL_EMALFORMED;
        return ENL_OK;
    default:
        return ENL_OK;
    }
}

/* An answer must refer to a list we could have sent, and must not claim we
 * lack an id we hold. */
static int check_answer(const enl_recon *r, const range *g)
{
    size_t a = g->i, b = 0;
    if (g->j - g->i > ENL_RECON_LIST_MAX) return ENL_EPROTO;
    if (count_unreported(r, g->i, g->j) != g->bits_n) return ENL_EPROTO;
    while (a < g->j && b < g->list_n) {
        int c = memcmp(r->ids[a], g->list + 32 * b, 32);
        if (c == 0) return ENL_EPROTO;
        if (c < 0) a++;
        else b++;
    }
    return ENL_OK;
}

/* ---- writing ------------------------------------------------------------ */

static size_t bound_bytes(const bound *b)
{
    return b->len == BOUND_INF ? 0 : b->len;
}

static void put_head(enl_wr *w, int mode, const bound *b)
{
    enl_wr_u8(w, (uint8_t)(mode << 6 | b->len));
    enl_wr_bytes(w, b->v, bound_bytes(b));
}

static size_t skip_cost(const emitter *e, const bound *lo)
{
    return bound_cmp(lo, &e->last) > 0 ? 1 + bound_bytes(lo) : 0;
}

static int fits(const emitter *e, size_t need)
{
    return need + DEFER_RESERVE <= e->w.cap - e->w.len;
}

static void put_skip_to(emitter *e, const bound *lo)
{
    if (bound_cmp(lo, &e->last) > 0) put_head(&e->w, MODE_SKIP, lo);
    e->last = *lo;
}

static void put_fp(emitter *e, const enl_recon *r, size_t i, size_t j, const bound *hi)
{
    uint8_t fp[ENL_RECON_FPBYTES];
    fingerprint(r, i, j, fp);
    put_head(&e->w, MODE_FP, hi);
    enl_wr_bytes(&e->w, fp, sizeof fp);
    e->last = *hi;
    e->open = 1;
}

/* Our ids in [lo, hi) are ids[i..j); the peer's differ. Writes our list when
 * it is short, else fingerprints of sub-ranges. Returns 0 when it does not fit. */
static int put_mismatch(emitter *e, const enl_recon *r, const bound *lo, const bound *hi,
                        size_t i, size_t j)
{
    size_t c = j - i, need = skip_cost(e, lo), k, t, m, slack;
    size_t start[ENL_RECON_BRANCH + 1];
    bound sub[ENL_RECON_BRANCH];

    if (c <= ENL_RECON_LEAF) {
        m = count_unreported(r, i, j);
        need += 1 + bound_bytes(hi) + 1 + 32 * m;
        if (!fits(e, need)) return 0;
        put_skip_to(e, lo);
        put_head(&e->w, MODE_LIST, hi);
        enl_wr_u8(&e->w, (uint8_t)m);
        for (t = i; t < j; t++)
            if (!is_reported(r, t)) enl_wr_bytes(&e->w, r->ids[t], 32);
        e->last = *hi;
        e->open = 1;
        return 1;
    }
    k = (c + ENL_RECON_LEAF - 1) / ENL_RECON_LEAF;
    if (k > ENL_RECON_BRANCH) k = ENL_RECON_BRANCH;
    /* Sub-ranges of about c / k ids each; a split point may move by a third of
     * that (at most SPLIT_SLACK), which keeps them in order and non-empty. */
    slack = c / k / 3;
    if (slack > SPLIT_SLACK) slack = SPLIT_SLACK;
    for (t = 0; t <= k; t++) start[t] = i + c * t / k;
    for (t = 1; t < k; t++) start[t] = nudge_split(r, start[t], slack);
    for (t = 0; t + 1 < k; t++) {
        bound_between(&sub[t], r->ids[start[t + 1] - 1], r->ids[start[t + 1]]);
        need += 1 + sub[t].len + ENL_RECON_FPBYTES;
    }
    sub[k - 1] = *hi;
    need += 1 + bound_bytes(hi) + ENL_RECON_FPBYTES;
    if (!fits(e, need)) return 0;
    put_skip_to(e, lo);
    for (t = 0; t < k; t++) put_fp(e, r, start[t], start[t + 1], &sub[t]);
    return 1;
}

/* Answers the peer's list for [lo, hi): the ids we hold that it lacks, and
 * which of its ids we lack. Returns 0 when it does not fit. */
static int put_answer(emitter *e, enl_recon *r, const bound *lo, const range *g)
{
    size_t mine[ENL_RECON_LIST_MAX];
    size_t a = g->i, b = 0, m = 0, need, t;
    uint64_t lack = 0;

    while (a < g->j || b < g->list_n) {
        int c = a == g->j ? 1 : b == g->list_n ? -1 : memcmp(r->ids[a], g->list + 32 * b, 32);
        if (c < 0) {
            if (!is_reported(r, a)) mine[m++] = a;
            a++;
        } else if (c > 0) {
            lack |= (uint64_t)1 << b;
            b++;
        } else {
            a++;
            b++;
        }
    }
    if (m == 0 && lack == 0) return 1;       /* the same: nothing to say */
    need = skip_cost(e, lo) + 1 + bound_bytes(&g->hi) + 1 + 32 * m + 1 + (g->list_n + 7) / 8;
    if (!fits(e, need)) return 0;
    put_skip_to(e, lo);
    put_head(&e->w, MODE_ANSWER, &g->hi);
    enl_wr_u8(&e->w, (uint8_t)m);
    for (t = 0; t < m; t++) enl_wr_bytes(&e->w, r->ids[mine[t]], 32);
    enl_wr_u8(&e->w, (uint8_t)g->list_n);
    for (t = 0; t < (g->list_n + 7) / 8; t++) enl_wr_u8(&e->w, (uint8_t)(lack >> (8 * t)));
    e->last = g->hi;

    for (t = 0; t < m; t++) report_have(r, mine[t]);
    for (t = 0; t < g->list_n; t++)
        if ((lack >> t) & 1) r->need(r->ctx, g->list + 32 * t);
    return 1;
}

/* Takes in the peer's answer to our list for this range. */
static void take_answer(enl_recon *r, const range *g)
{
    size_t a, k = 0, t;
    for (a = g->i; a < g->j; a++) {
        if (is_reported(r, a)) continue;
        if ((g->bits[k / 8] >> (k % 8)) & 1) report_have(r, a);
        k++;
    }
    for (t = 0; t < g->list_n; t++) r->need(r->ctx, g->list + 32 * t);
}

/* Writes the reply to one range; on the first range that does not fit,
 * defers [lo, infinity) as one fingerprint. */
static void reply_range(emitter *e, enl_recon *r, const bound *lo, const range *g)
{
    uint8_t fp[ENL_RECON_FPBYTES];
    int ok = 1;
    bound inf;

    switch (g->mode) {
    case MODE_FP:
        fingerprint(r, g->i, g->j, fp);
        if (sodium_memcmp(fp, g->fp, sizeof fp) == 0) return;
        ok = put_mismatch(e, r, lo, &g->hi, g->i, g->j);
        break;
    case MODE_LIST:
        if (g->j - g->i > ENL_RECON_LIST_MAX) ok = put_mismatch(e, r, lo, &g->hi, g->i, g->j);
        else ok = put_answer(e, r, lo, g);
        break;
    default:
        return;
    }
    if (ok) return;
    memset(&inf, 0, sizeof inf);
    inf.len = BOUND_INF;
    put_skip_to(e, lo);
    put_fp(e, r, g->i, r->n, &inf);
    e->cut = 1;
}

/*
 * Walks the ranges of a message. Without e, only checks it (asks: whether it
 * holds a fingerprint or a list); with e, which must follow a successful
 * check, reports and writes the reply (e == NULL and asks == NULL: only take
 * in the answers of a last message).
 */
static int walk(enl_recon *r, const uint8_t *in, size_t in_len, emitter *e, int check, int *asks)
{
    enl_rd rd = enl_rd_init(in + 1, in_len - 1);
    bound lo;
    range g;
    size_t i = 0;
    int rc;

    memset(&lo, 0, sizeof lo);
    if (asks != NULL) *asks = 0;
    while (enl_rd_left(&rd) > 0) {
        if (lo.len == BOUND_INF) return ENL_EMALFORMED;      /* nothing after infinity */
        rc = parse_range(r, &rd, &lo, i, &g);
        if (rc != ENL_OK) return rc;
        if (check) {
            if (g.mode == MODE_ANSWER && (rc = check_answer(r, &g)) != ENL_OK) return rc;
            if (asks != NULL && (g.mode == MODE_FP || g.mode == MODE_LIST)) *asks = 1;
        } else if (g.mode == MODE_ANSWER) {
            take_answer(r, &g);
        } else if (e != NULL && !e->cut) {
            reply_range(e, r, &lo, &g);
        }
        lo = g.hi;
        i = g.j;
    }
    return ENL_OK;
}

/* ---- the API ------------------------------------------------------------ */

size_t enl_recon_scratch_bytes(size_t n)
{
    if (n > (SIZE_MAX - 64) / 33) return 0;
    return ENL_RECON_SCRATCH_BYTES(n);
}

int enl_recon_init(enl_recon *r, const uint8_t (*ids)[ENL_RECON_IDBYTES], size_t n,
                   int initiator, enl_recon_cb have, enl_recon_cb need, void *ctx,
                   uint8_t *scratch, size_t scratch_len)
{
    size_t need_bytes = enl_recon_scratch_bytes(n), k, b;

    if (r == NULL || (ids == NULL && n > 0) || have == NULL || need == NULL || scratch == NULL
        || need_bytes == 0 || scratch_len < need_bytes)
        return ENL_EINVAL;
    for (k = 1; k < n; k++)
        if (memcmp(ids[k - 1], ids[k], 32) >= 0) return ENL_EINVAL;

    memset(r, 0, sizeof *r);
    r->ids = ids;
    r->n = n;
    r->sums = (uint8_t (*)[32])scratch;
    r->reported = scratch + (n + 1) * 32;
    r->have = have;
    r->need = need;
    r->ctx = ctx;
    r->initiator = initiator != 0;
    r->phase = PHASE_NEW;

    memset(r->sums[0], 0, 32);
    for (k = 0; k < n; k++) {
        unsigned carry = 0;
        for (b = 0; b < 32; b++) {
            unsigned s = (unsigned)r->sums[k][b] + ids[k][b] + carry;
            r->sums[k + 1][b] = (uint8_t)s;
            carry = s >> 8;
        }
    }
    memset(r->reported, 0, (n + 7) / 8);
    return ENL_OK;
}

int enl_recon_first(enl_recon *r, uint8_t *out, size_t out_max, size_t *out_len)
{
    emitter e;
    bound inf;
    size_t k;

    if (r == NULL || out == NULL || out_len == NULL || !r->initiator || r->phase != PHASE_NEW)
        return ENL_EINVAL;
    if (out_max < ENL_RECON_MSG_MIN) return ENL_EBUFSIZE;

    memset(&e, 0, sizeof e);
    memset(&inf, 0, sizeof inf);
    inf.len = BOUND_INF;
    e.w = enl_wr_init(out, out_max < ENL_RECON_MSG_MAX ? out_max : ENL_RECON_MSG_MAX);
    enl_wr_u8(&e.w, ENL_RECON_VERSION);
    if (r->n <= ENL_RECON_LEAF) {
        put_head(&e.w, MODE_LIST, &inf);
        enl_wr_u8(&e.w, (uint8_t)r->n);
        for (k = 0; k < r->n; k++) enl_wr_bytes(&e.w, r->ids[k], 32);
    } else {
        put_fp(&e, r, 0, r->n, &inf);
    }
    if (e.w.err) return ENL_EBUFSIZE;
    r->phase = PHASE_RUN;
    *out_len = e.w.len;
    return ENL_OK;
}

int enl_recon_step(enl_recon *r, const uint8_t *in, size_t in_len,
                   uint8_t *out, size_t out_max, size_t *out_len, int *done)
{
    emitter e;
    int rc, asks;

    if (r == NULL || in == NULL || out == NULL || out_len == NULL || done == NULL)
        return ENL_EINVAL;
    if (r->phase == PHASE_DONE || (r->initiator && r->phase == PHASE_NEW)) return ENL_EINVAL;
    if (out_max < ENL_RECON_MSG_MIN) return ENL_EBUFSIZE;
    if (in_len == 0) return ENL_EMALFORMED;
    if (in_len > ENL_RECON_MSG_MAX) return ENL_ETOOBIG;
    if (in[0] != ENL_RECON_VERSION) return ENL_EVERSION;

    rc = walk(r, in, in_len, NULL, 1, &asks);
    if (rc != ENL_OK) return rc;

    memset(&e, 0, sizeof e);
    e.w = enl_wr_init(out, out_max < ENL_RECON_MSG_MAX ? out_max : ENL_RECON_MSG_MAX);
    if (asks) enl_wr_u8(&e.w, ENL_RECON_VERSION);
    rc = walk(r, in, in_len, asks ? &e : NULL, 0, NULL);
    /* Cannot fail after the check: every write was measured against the room left. */
    if (rc != ENL_OK || e.w.err) return ENL_EPROTO;

    r->phase = e.open ? PHASE_RUN : PHASE_DONE;
    *out_len = e.w.len;
    *done = !e.open;
    return ENL_OK;
}

int enl_recon_is_done(const enl_recon *r)
{
    return r != NULL && r->phase == PHASE_DONE;
}
