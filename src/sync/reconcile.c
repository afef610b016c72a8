/*
 * Range-based set reconciliation over sorted arrays of 32-byte ids.
 *
 * Ids are compared as big-endian 256-bit numbers (memcmp order). A range
 * [lo, hi) is named by its upper bound only: the ranges of one message follow
 * each other from 0, so each starts where the previous one ended; past the
 * last range everything is skipped. A bound is the shortest prefix that
 * separates the two ids around it (zeros implied after it), and travels as
 * its difference from the bound before it: the bytes they share are not sent.
 *
 * Wire format (a message is at most ENL_RECON_MSG_MAX bytes):
 *
 *   message = version u8 (0x02), then in the initiator's first message only
 *             salt (16 bytes), then ranges until the end
 *   range   = head u8: mode << 6 | s << 1 | x
 *             bound: x = 1 and s = 31: infinity, no bytes; else t new bytes,
 *                    t = 1 when x = 0, else t u8 follows (2 <= t <= 32 - s);
 *                    then the t bytes. The bound is the first s bytes of the
 *                    previous bound (0 before the first range), the t bytes,
 *                    then zeros; the first new byte exceeds the previous
 *                    bound's byte s and the last is not zero (so s and t are
 *                    the shortest form, and bounds strictly increase);
 *                    nothing may follow infinity
 *             data:
 *     mode 0 skip:        nothing
 *     mode 1 fingerprint: 6 bytes, the sender's fingerprint of the range
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
 * is answered with the receiver's list when it holds at most ENL_RECON_LEAF
 * ids there, else with fingerprints of sub-ranges (fanout()). A list is
 * answered (mode 3) when the receiver holds at most ENL_RECON_LIST_MAX ids
 * there, else split like a fingerprint that does not match. An answer needs
 * no answer. A message without fingerprints and lists is the last one.
 *
 * Fingerprint: the sum modulo 2^48 of h(id) over the sender's ids in the
 * range, little-endian, where h(id) is SipHash-2-4 (crypto_shorthash) of the
 * id keyed with the session's salt, read as a little-endian u64. Why: a sum
 * is incremental, so prefix sums over the sorted array give any range's
 * fingerprint in O(1); hashing each id under a key nobody knew when the ids
 * were made leaves no structure to aim at (a plain sum of the ids themselves
 * falls to Wagner's generalised birthday attack: many chosen ids can be
 * made to sum to anything). Two different sets of ids then have the same
 * fingerprint with probability 2^-48, independently for each range compared.
 * A false match can only happen on a range that holds a difference, and
 * hides it: the sides report less than the difference, never anything that
 * is not in it. An honest exchange compares at most (differences) x (levels,
 * 4 or 5 for a million ids) such ranges, so 10 differences are missed with
 * probability under 2^-42 and a million with under 2^-25; and the next
 * session, under a fresh salt, finds what was missed.
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
#define BOUND_INF   63      /* head with s = 31, x = 1 */

#define PHASE_NEW   0
#define PHASE_RUN   1
#define PHASE_DONE  2

/* The largest bound on the wire: head, t and 32 bytes. */
#define BOUND_MAX   (1 + 1 + 32)
/* Room kept free for deferring the rest: a skip with the largest bound, then
 * a fingerprint bounded by infinity. */
#define DEFER_RESERVE (BOUND_MAX + 1 + ENL_RECON_FPBYTES)
/* The widest split: the whole set's. */
#define FANOUT_MAX  (ENL_RECON_BRANCH * ENL_RECON_ROOT_BOOST)
/* The ids a split aims to leave in each sub-range. */
#define PIECE       (ENL_RECON_LEAF / 2)

_Static_assert(ENL_RECON_LEAF >= 2 && ENL_RECON_LEAF <= ENL_RECON_LIST_MAX, "leaf size");
_Static_assert(ENL_RECON_BRANCH >= 2 && ENL_RECON_ROOT_BOOST >= 1, "branching");
_Static_assert(ENL_RECON_LIST_MAX <= 64, "answer bitmaps are held in a uint64_t");
_Static_assert(ENL_RECON_SALTBYTES == crypto_shorthash_KEYBYTES, "the salt keys SipHash");
_Static_assert(crypto_shorthash_BYTES == 8 && ENL_RECON_FPBYTES <= 8, "fingerprints of a u64 sum");
_Static_assert(ENL_RECON_MSG_MIN >= 1 + ENL_RECON_SALTBYTES + BOUND_MAX + ENL_RECON_LEAF * 32 + 1,
               "the first message fits in the smallest message");
_Static_assert(ENL_RECON_MSG_MIN >= 1 + BOUND_MAX + BOUND_MAX + 1 + ENL_RECON_LIST_MAX * 32 + 1 + 8
                   + DEFER_RESERVE,
               "the largest answer to one range fits in the smallest message");
_Static_assert(ENL_RECON_MSG_MIN >= 1 + BOUND_MAX + FANOUT_MAX * (BOUND_MAX + ENL_RECON_FPBYTES)
                   + DEFER_RESERVE,
               "the largest split fits in the smallest message");
_Static_assert(ENL_RECON_MSG_MAX <= 65535 - 1024, "a message fits one 64 KiB frame");

typedef struct {
    uint8_t v[32];          /* the value: the prefix, then zeros */
    uint8_t len;            /* bytes up to the last non-zero one, or BOUND_INF */
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

/* ---- ids, bounds, sums and fingerprints --------------------------------- */

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

/* Bytes that two different values share at the start. */
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

/* Bytes of b on the wire after prev (prev < b), head included. */
static size_t bound_bytes(const bound *prev, const bound *b)
{
    size_t t;
    if (b->len == BOUND_INF) return 1;
    t = b->len - shared_prefix(prev->v, b->v);
    return t == 1 ? 2 : 2 + t;
}

static uint64_t load64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int k = 7; k >= 0; k--) v = v << 8 | p[k];
    return v;
}

static void store64(uint8_t *p, uint64_t v)
{
    for (int k = 0; k < 8; k++) p[k] = (uint8_t)(v >> (8 * k));
}

/* sums[i] = h(ids[0]) + ... + h(ids[i - 1]) mod 2^64, h keyed with the salt. */
static void compute_sums(enl_recon *r, const uint8_t salt[ENL_RECON_SALTBYTES])
{
    uint8_t h[crypto_shorthash_BYTES];
    uint64_t acc = 0;
    size_t k;
    store64(r->sums, 0);
    for (k = 0; k < r->n; k++) {
        crypto_shorthash(h, r->ids[k], 32, salt);
        acc += load64(h);
        store64(r->sums + 8 * (k + 1), acc);
    }
    sodium_memzero(h, sizeof h);
}

static void fingerprint(const enl_recon *r, size_t i, size_t j, uint8_t fp[ENL_RECON_FPBYTES])
{
    uint64_t sum = load64(r->sums + 8 * j) - load64(r->sums + 8 * i);
    for (size_t k = 0; k < ENL_RECON_FPBYTES; k++) fp[k] = (uint8_t)(sum >> (8 * k));
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

/* ---- parsing ------------------------------------------------------------ */

/* Reads a bound coded against prev (not infinity). */
static int parse_bound(enl_rd *rd, const bound *prev, bound *b)
{
    uint8_t head = enl_rd_u8(rd);
    size_t s = (head >> 1) & 31, t;
    const uint8_t *p;

    if (rd->err) return ENL_EMALFORMED;
    if ((head & 63) == BOUND_INF) {
        b->len = BOUND_INF;
        return ENL_OK;
    }
    t = (head & 1) ? enl_rd_u8(rd) : 1;
    if (rd->err || ((head & 1) && t < 2) || s + t > 32) return ENL_EMALFORMED;
    p = enl_rd_ptr(rd, t);
    if (p == NULL) return ENL_EMALFORMED;
    /* Shortest form: s is all the previous bound shares, the last byte counts. */
    if (p[0] <= prev->v[s] || p[t - 1] == 0) return ENL_EMALFORMED;
    memset(b->v, 0, sizeof b->v);
    memcpy(b->v, prev->v, s);
    memcpy(b->v + s, p, t);
    b->len = (uint8_t)(s + t);
    return ENL_OK;
}

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
    int rc;

    if (enl_rd_left(rd) == 0) return ENL_EMALFORMED;
    memset(g, 0, sizeof *g);
    g->mode = rd->p[rd->off] >> 6;
    if ((rc = parse_bound(rd, lo, &g->hi)) != ENL_OK) return rc;
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

/* Writes the head and bound of a range (b > e->last). */
static void put_head(emitter *e, int mode, const bound *b)
{
    size_t s, t;
    if (b->len == BOUND_INF) {
        enl_wr_u8(&e->w, (uint8_t)(mode << 6 | BOUND_INF));
    } else {
        s = shared_prefix(e->last.v, b->v);
        t = b->len - s;
        enl_wr_u8(&e->w, (uint8_t)(mode << 6 | s << 1 | (t > 1)));
        if (t > 1) enl_wr_u8(&e->w, (uint8_t)t);
        enl_wr_bytes(&e->w, b->v + s, t);
    }
    e->last = *b;
}

static size_t skip_cost(const emitter *e, const bound *lo)
{
    return bound_cmp(lo, &e->last) > 0 ? bound_bytes(&e->last, lo) : 0;
}

static int fits(const emitter *e, size_t need)
{
    return need + DEFER_RESERVE <= e->w.cap - e->w.len;
}

static void put_skip_to(emitter *e, const bound *lo)
{
    if (bound_cmp(lo, &e->last) > 0) put_head(e, MODE_SKIP, lo);
}

static void put_fp(emitter *e, const enl_recon *r, size_t i, size_t j, const bound *hi)
{
    uint8_t fp[ENL_RECON_FPBYTES];
    fingerprint(r, i, j, fp);
    put_head(e, MODE_FP, hi);
    enl_wr_bytes(&e->w, fp, sizeof fp);
    e->open = 1;
}

/* x^y, saturated at SIZE_MAX. */
static size_t pow_sat(size_t x, size_t y)
{
    size_t p = 1;
    while (y-- > 0) p = p > SIZE_MAX / x ? SIZE_MAX : p * x;
    return p;
}

/*
 * Sub-ranges for a range of c > ENL_RECON_LEAF ids that differs. Pieces of
 * PIECE ids need L levels of splits at most ENL_RECON_BRANCH wide; the same L
 * levels of equal fanouts k (the least with k^L pieces) cost less, since a
 * difference pays a whole split at every level. The whole set's split is
 * paid once per session, not once per difference: when more than one level
 * is needed it is ENL_RECON_ROOT_BOOST times wider, which takes the levels
 * below down faster.
 */
static size_t fanout(size_t c, int whole)
{
    size_t pieces = (c + PIECE - 1) / PIECE, levels = 1, k = 2;
    while (pow_sat(ENL_RECON_BRANCH, levels) < pieces) levels++;
    while (pow_sat(k, levels) < pieces) k++;
    if (whole && levels > 1) k *= ENL_RECON_ROOT_BOOST;
    return k < c ? k : c;
}

/*
 * Splits ids[i..j) (c of them, more than ENL_RECON_LEAF) into k sub-ranges
 * of about c / k ids: sub-range t ends near i + c * t / k. Each cut may move
 * by up to a quarter of c / k to where its bound, coded against the bound
 * before it, takes the fewest bytes (the nearest such cut wins), so that
 * bounds stay short and sub-ranges stay within 1.5 c / k.
 */
static void choose_cuts(const enl_recon *r, const bound *lo, size_t i, size_t c, size_t k,
                        size_t *start, bound *sub)
{
    size_t slack = c / k / 4, t;
    const bound *prev = lo;

    start[0] = i;
    for (t = 1; t < k; t++) {
        size_t p = i + c * t / k, best = p, best_cost = SIZE_MAX, d;
        bound b;
        for (d = 0; d <= 2 * slack; d++) {
            /* p, p - 1, p + 1, p - 2, ...: the nearest first. */
            size_t q = d % 2 ? p - (d + 1) / 2 : p + d / 2, cost;
            if (q <= start[t - 1] || q >= i + c) continue;
            bound_between(&b, r->ids[q - 1], r->ids[q]);
            cost = bound_bytes(prev, &b);
            if (cost < best_cost) {
                best_cost = cost;
                best = q;
                sub[t - 1] = b;
            }
        }
        if (best_cost == SIZE_MAX) {      /* no room to move (cannot happen for c > k) */
            best = start[t - 1] + 1;
            bound_between(&sub[t - 1], r->ids[best - 1], r->ids[best]);
        }
        start[t] = best;
        prev = &sub[t - 1];
    }
    start[k] = i + c;
}

/* Our ids in [lo, hi) are ids[i..j); the peer's differ. Writes our list when
 * it is short, else fingerprints of sub-ranges. Returns 0 when it does not fit. */
static int put_mismatch(emitter *e, const enl_recon *r, const bound *lo, const bound *hi,
                        size_t i, size_t j)
{
    size_t c = j - i, need = skip_cost(e, lo), k, t, m;
    size_t start[FANOUT_MAX + 1];
    bound sub[FANOUT_MAX];

    if (c <= ENL_RECON_LEAF) {
        m = count_unreported(r, i, j);
        need += bound_bytes(lo, hi) + 1 + 32 * m;
        if (!fits(e, need)) return 0;
        put_skip_to(e, lo);
        put_head(e, MODE_LIST, hi);
        enl_wr_u8(&e->w, (uint8_t)m);
        for (t = i; t < j; t++)
            if (!is_reported(r, t)) enl_wr_bytes(&e->w, r->ids[t], 32);
        e->open = 1;
        return 1;
    }
    k = fanout(c, lo->len == 0 && hi->len == BOUND_INF);
    choose_cuts(r, lo, i, c, k, start, sub);
    sub[k - 1] = *hi;
    for (t = 0; t < k; t++)
        need += bound_bytes(t == 0 ? lo : &sub[t - 1], &sub[t]) + ENL_RECON_FPBYTES;
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
    need = skip_cost(e, lo) + bound_bytes(lo, &g->hi) + 1 + 32 * m + 1 + (g->list_n + 7) / 8;
    if (!fits(e, need)) return 0;
    put_skip_to(e, lo);
    put_head(e, MODE_ANSWER, &g->hi);
    enl_wr_u8(&e->w, (uint8_t)m);
    for (t = 0; t < m; t++) enl_wr_bytes(&e->w, r->ids[mine[t]], 32);
    enl_wr_u8(&e->w, (uint8_t)g->list_n);
    for (t = 0; t < (g->list_n + 7) / 8; t++) enl_wr_u8(&e->w, (uint8_t)(lack >> (8 * t)));

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
        if (memcmp(fp, g->fp, sizeof fp) == 0) return;
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
 * Walks the ranges of a message body (what follows the version and the salt).
 * Without e, only checks it (asks: whether it holds a fingerprint or a list);
 * with e, which must follow a successful check, reports and writes the reply
 * (e == NULL and asks == NULL: only take in the answers of a last message).
 */
static int walk(enl_recon *r, const uint8_t *in, size_t in_len, emitter *e, int check, int *asks)
{
    enl_rd rd = enl_rd_init(in, in_len);
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
    if (n > (SIZE_MAX - 64) / 9) return 0;
    return ENL_RECON_SCRATCH_BYTES(n);
}

int enl_recon_init(enl_recon *r, const uint8_t (*ids)[ENL_RECON_IDBYTES], size_t n,
                   int initiator, enl_recon_cb have, enl_recon_cb need, void *ctx,
                   uint8_t *scratch, size_t scratch_len)
{
    size_t need_bytes = enl_recon_scratch_bytes(n), k;

    if (r == NULL || (ids == NULL && n > 0) || have == NULL || need == NULL || scratch == NULL
        || need_bytes == 0 || scratch_len < need_bytes)
        return ENL_EINVAL;
    for (k = 1; k < n; k++)
        if (memcmp(ids[k - 1], ids[k], 32) >= 0) return ENL_EINVAL;

    memset(r, 0, sizeof *r);
    r->ids = ids;
    r->n = n;
    r->sums = scratch;
    r->reported = scratch + (n + 1) * 8;
    r->have = have;
    r->need = need;
    r->ctx = ctx;
    r->initiator = initiator != 0;
    r->phase = PHASE_NEW;
    memset(r->reported, 0, (n + 7) / 8);
    return ENL_OK;
}

int enl_recon_first(enl_recon *r, const uint8_t salt[ENL_RECON_SALTBYTES], uint8_t *out,
                    size_t out_max, size_t *out_len)
{
    emitter e;
    bound inf;
    size_t k;

    if (r == NULL || salt == NULL || out == NULL || out_len == NULL || !r->initiator
        || r->phase != PHASE_NEW)
        return ENL_EINVAL;
    if (out_max < ENL_RECON_MSG_MIN) return ENL_EBUFSIZE;

    compute_sums(r, salt);
    memset(&e, 0, sizeof e);
    memset(&inf, 0, sizeof inf);
    inf.len = BOUND_INF;
    e.w = enl_wr_init(out, out_max < ENL_RECON_MSG_MAX ? out_max : ENL_RECON_MSG_MAX);
    enl_wr_u8(&e.w, ENL_RECON_VERSION);
    enl_wr_bytes(&e.w, salt, ENL_RECON_SALTBYTES);
    if (r->n <= ENL_RECON_LEAF) {
        put_head(&e, MODE_LIST, &inf);
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
    size_t head = 1;
    int rc, asks;

    if (r == NULL || in == NULL || out == NULL || out_len == NULL || done == NULL)
        return ENL_EINVAL;
    if (r->phase == PHASE_DONE || (r->initiator && r->phase == PHASE_NEW)) return ENL_EINVAL;
    if (out_max < ENL_RECON_MSG_MIN) return ENL_EBUFSIZE;
    if (in_len == 0) return ENL_EMALFORMED;
    if (in_len > ENL_RECON_MSG_MAX) return ENL_ETOOBIG;
    if (in[0] != ENL_RECON_VERSION) return ENL_EVERSION;
    /* The first message to the responder carries the salt: the sums follow
     * from it (recomputed if this message turns out malformed and another
     * comes; the phase stays NEW until one is taken). */
    if (r->phase == PHASE_NEW) {
        if (in_len < 1 + ENL_RECON_SALTBYTES) return ENL_EMALFORMED;
        head += ENL_RECON_SALTBYTES;
    }

    rc = walk(r, in + head, in_len - head, NULL, 1, &asks);
    if (rc != ENL_OK) return rc;
    if (r->phase == PHASE_NEW) compute_sums(r, in + 1);

    memset(&e, 0, sizeof e);
    e.w = enl_wr_init(out, out_max < ENL_RECON_MSG_MAX ? out_max : ENL_RECON_MSG_MAX);
    if (asks) enl_wr_u8(&e.w, ENL_RECON_VERSION);
    rc = walk(r, in + head, in_len - head, asks ? &e : NULL, 0, NULL);
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
