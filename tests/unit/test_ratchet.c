/*
 * Tests for the Double Ratchet with header encryption (src/crypto/ratchet.c).
 *
 * First the specification's own walk (section 4.1: A1, B1, A2, B2, ...),
 * then what couriers do to notes (every order of a small delivery across a
 * DH ratchet step, duplicates, loss) and what a hostile peer or courier can
 * send (flipped bits, huge message numbers, low-order keys, too many
 * skipped keys), then the security properties (a copied state heals, read
 * keys are gone), recognition tags, storage, and a fixed transcript from
 * seeded states whose bytes docs/PROTOCOL.md quotes. ENL_PRINT_VECTORS=1
 * prints the transcript instead of checking it.
 *
 * Every refusal is also checked to leave the receiving state byte for byte
 * as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/ratchet.h"
#include "enlace.h"

#define MSG_MAX   256
#define TEXT_MAX  64
#define WINDOW    16
/* the keys a next chain of the peer may come under: NHKr and its restarts' */
#define NEXT_KEYS (1 + ENL_RATCHET_RESTART_KEYS)
#define TAGS_MAX  ((1 + NEXT_KEYS) * (WINDOW + ENL_RATCHET_CHECKPOINTS_MAX) + ENL_RATCHET_MAX_SKIPPED)

/* The associated data enlace passes is the 37-byte clear note header. */
static const uint8_t AD[37] = "clear note header: 37 bytes of it...";

typedef struct {
    uint8_t b[MSG_MAX];
    size_t len;
    char text[TEXT_MAX];
} tmsg;

typedef struct {
    enl_ratchet *a, *b;   /* Alice, Bob */
} pair;

/* ---- helpers ---------------------------------------------------------- */

static enl_ratchet *state_new(void)
{
    enl_ratchet *r = calloc(1, sizeof *r);
    assert_non_null(r);
    return r;
}

static enl_ratchet *state_dup(const enl_ratchet *r)
{
    enl_ratchet *c = state_new();
    memcpy(c, r, sizeof *c);
    return c;
}

static void state_free(enl_ratchet *r)
{
    enl_ratchet_wipe(r);
    free(r);
}

/* A fresh session with random X3DH outputs. */
static void pair_new(pair *p)
{
    uint8_t sk[32], bsk[32], bpk[32], hka[32], nhkb[32];

    randombytes_buf(sk, 32);
    randombytes_buf(bsk, 32);
    randombytes_buf(hka, 32);
    randombytes_buf(nhkb, 32);
    assert_int_equal(crypto_scalarmult_base(bpk, bsk), 0);
    p->a = state_new();
    p->b = state_new();
    assert_int_equal(enl_ratchet_init_alice(p->a, sk, bpk, hka, nhkb), ENL_OK);
    assert_int_equal(enl_ratchet_init_bob(p->b, sk, bsk, bpk, hka, nhkb), ENL_OK);
}

static void pair_free(pair *p)
{
    state_free(p->a);
    state_free(p->b);
}

static void send_text(enl_ratchet *r, tmsg *m, const char *text)
{
    size_t n = strlen(text);
    assert_true(n < TEXT_MAX && n + ENL_RATCHET_OVERHEAD <= MSG_MAX);
    memcpy(m->text, text, n + 1);
    m->len = n + ENL_RATCHET_OVERHEAD;
    assert_int_equal(enl_ratchet_encrypt(r, m->b, m->len, AD, sizeof AD, (const uint8_t *)text, n),
                     ENL_OK);
}

static void send_n(enl_ratchet *r, tmsg *m, const char *who, int i)
{
    char text[TEXT_MAX];
    snprintf(text, sizeof text, "%s %d", who, i);
    send_text(r, m, text);
}

static int has_tag(const enl_ratchet *r, const uint8_t tag[16])
{
    static uint8_t tags[TAGS_MAX][16];
    size_t n = enl_ratchet_tags(r, tags, TAGS_MAX, WINDOW);
    for (size_t i = 0; i < n; i++)
        if (memcmp(tags[i], tag, 16) == 0) return 1;
    return 0;
}

static int try_recv(enl_ratchet *r, const tmsg *m)
{
    uint8_t pt[MSG_MAX];
    size_t n = 0;
    int rc = enl_ratchet_decrypt(r, pt, &n, AD, sizeof AD, m->b, m->len, NULL);
    if (rc == ENL_OK) {
        assert_int_equal(n, strlen(m->text));
        assert_memory_equal(pt, m->text, n);
    }
    return rc;
}

/* Delivers m, which must open; the receiver expected its tag before and
 * no longer does after (check_before: only when within the window). */
static void recv_ok_tags(enl_ratchet *r, const tmsg *m, int check_before)
{
    if (check_before) assert_true(has_tag(r, m->b));
    assert_int_equal(try_recv(r, m), ENL_OK);
    assert_false(has_tag(r, m->b));
}

static void recv_ok(enl_ratchet *r, const tmsg *m)
{
    recv_ok_tags(r, m, 1);
}

/* Delivers raw bytes that must be refused with code (any error when 0),
 * leaving the state exactly as it was. */
static void recv_refused(enl_ratchet *r, const uint8_t *msg, size_t len, int code)
{
    enl_ratchet *before = state_dup(r);
    uint8_t pt[MSG_MAX + 16];
    size_t n = 0;
    int rc = enl_ratchet_decrypt(r, pt, &n, AD, sizeof AD, msg, len, NULL);
    if (code != 0) assert_int_equal(rc, code);
    else assert_int_not_equal(rc, ENL_OK);
    assert_memory_equal(before, r, sizeof *r);
    state_free(before);
}

/* A message made by hand with header key hk: for what honest code never sends. */
static void forge(tmsg *m, const uint8_t hk[32], const uint8_t dh[32], uint32_t pn, uint32_t n)
{
    uint8_t h[40];
    memcpy(h, dh, 32);
    h[32] = (uint8_t)(pn >> 24); h[33] = (uint8_t)(pn >> 16); h[34] = (uint8_t)(pn >> 8);
    h[35] = (uint8_t)pn;
    h[36] = (uint8_t)(n >> 24); h[37] = (uint8_t)(n >> 16); h[38] = (uint8_t)(n >> 8);
    h[39] = (uint8_t)n;
    uint8_t nonce[24] = { 0 };
    enl_ratchet_tag(m->b, hk, n);
    memcpy(nonce, m->b, 16);
    crypto_stream_xchacha20_xor(m->b + 16, h, 40, nonce, hk);
    randombytes_buf(m->b + 56, 32);
    m->len = 88;
    strcpy(m->text, "forged");
}

static double seconds_since(clock_t t0)
{
    return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

/* ---- the specification's walk ------------------------------------------ */

static void test_constants(void **state)
{
    (void)state;
    assert_int_equal(enl_ratchet_overhead(), 16 + 40 + 16);
    assert_int_equal(ENL_RATCHET_SERIAL_FIXED, 340);
    assert_int_equal(ENL_RATCHET_SERIAL_TRAILER, 321);
    assert_int_equal(ENL_RATCHET_SERIAL_MAX, 340 + 256 * 72 + 321);
}

/* Section 4.1, in its order: Alice sends A1 under the shared HKA, which
 * ratchets Bob (NHKr opens it). Bob sends B1 and B2 before he hears more:
 * B1 comes under Alice's NHKr and ratchets her; she sends A2; B2 carries
 * the same ratchet key as B1 and opens with HKr. A3, A4. Bob, having read
 * A2..A4 (A2 ratchets him), sends B3 and B4 under Alice's NHKr: her next
 * step. She sends A5. */
static void test_spec_walk(void **state)
{
    pair p;
    tmsg a[6], b[5];
    uint8_t alice_first_pk[32], alice_second_pk[32];
    (void)state;

    pair_new(&p);
    assert_false(enl_ratchet_can_send_without_init(p.a));
    assert_false(enl_ratchet_can_send_without_init(p.b));
    /* Bob has no sending chain before he has read Alice. */
    assert_int_equal(enl_ratchet_encrypt(p.b, b[0].b, 1 + ENL_RATCHET_OVERHEAD, AD, sizeof AD,
                                         (const uint8_t *)"x", 1), ENL_EINVAL);
    memcpy(alice_first_pk, p.a->dhs_pk, 32);

    send_text(p.a, &a[1], "A1");
    recv_ok(p.b, &a[1]);
    assert_true(enl_ratchet_can_send_without_init(p.b));
    assert_false(enl_ratchet_can_send_without_init(p.a));
    assert_memory_equal(p.b->dhr, alice_first_pk, 32);
    assert_int_equal(p.b->step, 1);
    assert_int_equal(p.b->nr, 1);

    send_text(p.b, &b[1], "B1");
    send_text(p.b, &b[2], "B2");
    recv_ok(p.a, &b[1]);                        /* Alice's first DH ratchet step */
    assert_true(enl_ratchet_can_send_without_init(p.a));
    assert_int_equal(p.a->step, 1);
    assert_int_equal(p.a->pn, 1);               /* she had sent A1 */
    assert_int_equal(p.a->ns, 0);
    assert_memory_not_equal(p.a->dhs_pk, alice_first_pk, 32);
    memcpy(alice_second_pk, p.a->dhs_pk, 32);

    send_text(p.a, &a[2], "A2");
    recv_ok(p.a, &b[2]);                        /* same ratchet key as B1: HKr, no step */
    assert_int_equal(p.a->step, 1);
    assert_int_equal(p.a->nr, 2);
    send_text(p.a, &a[3], "A3");
    send_text(p.a, &a[4], "A4");

    recv_ok(p.b, &a[2]);                        /* Bob's second step */
    assert_int_equal(p.b->step, 2);
    assert_int_equal(p.b->pn, 2);               /* he had sent B1, B2 */
    assert_memory_equal(p.b->dhr, alice_second_pk, 32);
    recv_ok(p.b, &a[3]);
    recv_ok(p.b, &a[4]);
    assert_int_equal(p.b->step, 2);
    assert_int_equal(p.b->nr, 3);

    send_text(p.b, &b[3], "B3");
    send_text(p.b, &b[4], "B4");
    recv_ok(p.a, &b[3]);                        /* NHKr: Alice's second step */
    assert_int_equal(p.a->step, 2);
    assert_int_equal(p.a->pn, 3);               /* A2, A3, A4 */
    recv_ok(p.a, &b[4]);
    send_text(p.a, &a[5], "A5");
    recv_ok(p.b, &a[5]);
    assert_int_equal(p.b->step, 3);
    assert_int_equal(p.a->nskipped, 0);
    assert_int_equal(p.b->nskipped, 0);
    pair_free(&p);
}

/* Many rounds, each side sending a different number of messages. */
static void test_rounds(void **state)
{
    pair p;
    tmsg m[8];
    (void)state;

    pair_new(&p);
    for (int round = 0; round < 20; round++) {
        int na = 1 + round % 4, nb = 1 + (round * 3) % 5;
        for (int i = 0; i < na; i++) send_n(p.a, &m[i], "alice", round * 10 + i);
        for (int i = 0; i < na; i++) recv_ok(p.b, &m[i]);
        assert_int_equal(p.b->pn, round == 0 ? 0 : (uint32_t)(1 + ((round - 1) * 3) % 5));
        for (int i = 0; i < nb; i++) send_n(p.b, &m[i], "bob", round * 10 + i);
        for (int i = 0; i < nb; i++) recv_ok(p.a, &m[i]);
        assert_int_equal(p.a->step, (uint32_t)round + 1);
        assert_int_equal(p.b->step, (uint32_t)round + 1);
    }
    pair_free(&p);
}

/* Empty and large messages, the AD bound, wrong sizes. */
static void test_sizes(void **state)
{
    pair p;
    uint8_t ad[ENL_RATCHET_AD_MAX + 1], out[200 + ENL_RATCHET_OVERHEAD], pt[200], big[200];
    size_t n = 1;
    (void)state;

    pair_new(&p);
    randombytes_buf(ad, sizeof ad);
    randombytes_buf(big, sizeof big);
    assert_int_equal(enl_ratchet_encrypt(p.a, out, ENL_RATCHET_OVERHEAD, NULL, 0, NULL, 0), ENL_OK);
    assert_int_equal(enl_ratchet_decrypt(p.b, pt, &n, NULL, 0, out, ENL_RATCHET_OVERHEAD, NULL), ENL_OK);
    assert_int_equal(n, 0);

    assert_int_equal(enl_ratchet_encrypt(p.a, out, sizeof out, ad, ENL_RATCHET_AD_MAX, big, 200),
                     ENL_OK);
    assert_int_equal(enl_ratchet_decrypt(p.b, pt, &n, ad, ENL_RATCHET_AD_MAX, out, sizeof out, NULL),
                     ENL_OK);
    assert_int_equal(n, 200);
    assert_memory_equal(pt, big, 200);

    assert_int_equal(enl_ratchet_encrypt(p.a, out, sizeof out, ad, sizeof ad, big, 200), ENL_EINVAL);
    assert_int_equal(enl_ratchet_encrypt(p.a, out, sizeof out - 1, ad, 0, big, 200), ENL_EINVAL);
    assert_int_equal(enl_ratchet_encrypt(p.a, out, sizeof out + 1, ad, 0, big, 200), ENL_EINVAL);
    assert_int_equal(enl_ratchet_encrypt(p.a, out, sizeof out, ad, 0, big, 200), ENL_OK);
    recv_refused(p.b, out, sizeof out, ENL_EDECRYPT);           /* sealed with no ad */
    assert_int_equal(enl_ratchet_decrypt(p.b, pt, &n, ad, sizeof ad, out, sizeof out, NULL), ENL_EINVAL);
    recv_refused(p.b, out, ENL_RATCHET_OVERHEAD - 1, ENL_EMALFORMED);
    recv_refused(p.b, out, 0, ENL_EMALFORMED);
    assert_int_equal(enl_ratchet_decrypt(p.b, pt, &n, NULL, 0, out, sizeof out, NULL), ENL_OK);
    pair_free(&p);
}

/* ---- out of order, duplicates, loss ------------------------------------ */

static int next_permutation(int *a, int n)
{
    int i = n - 2, j = n - 1, t;
    while (i >= 0 && a[i] >= a[i + 1]) i--;
    if (i < 0) return 0;
    while (a[j] <= a[i]) j--;
    t = a[i]; a[i] = a[j]; a[j] = t;
    for (i++, j = n - 1; i < j; i++, j--) {
        t = a[i]; a[i] = a[j]; a[j] = t;
    }
    return 1;
}

/* Five messages from Alice, two in one chain and three in the next (a DH
 * ratchet step between them), delivered to Bob in all 120 orders: each is
 * delivered exactly once, and a second copy of any is refused. */
static void test_permutations(void **state)
{
    pair p;
    tmsg m[5], a0, b0;
    int order[5] = { 0, 1, 2, 3, 4 }, count = 0;
    enl_ratchet *bob;
    (void)state;

    pair_new(&p);
    send_text(p.a, &a0, "hello");
    recv_ok(p.b, &a0);
    send_text(p.b, &b0, "hello back");
    send_n(p.a, &m[0], "msg", 0);               /* chain 1, n = 1, 2 */
    send_n(p.a, &m[1], "msg", 1);
    recv_ok(p.a, &b0);                          /* Alice ratchets */
    for (int i = 2; i < 5; i++) send_n(p.a, &m[i], "msg", i);   /* chain 2, n = 0..2 */

    do {
        bob = state_dup(p.b);
        for (int k = 0; k < 5; k++) {
            /* Within the window, so the tag is always expected. */
            recv_ok(bob, &m[order[k]]);
            assert_true(bob->nskipped <= 4);
        }
        assert_int_equal(bob->nskipped, 0);
        for (int k = 0; k < 5; k++) {
            int rc = try_recv(bob, &m[k]);
            /* Chain 2 is current: its duplicates are recognised as such;
             * chain 1's header key is gone with its last key. */
            assert_int_equal(rc, k >= 2 ? ENL_EDUPLICATE : ENL_ENOTFORME);
        }
        state_free(bob);
        count++;
    } while (next_permutation(order, 5));
    assert_int_equal(count, 120);
    pair_free(&p);
}

/* A duplicate is refused with ENL_EDUPLICATE and changes nothing, whether
 * its key was the chain's next one or a skipped one; a copy of the state
 * taken after reading cannot open the message again (forward secrecy). */
static void test_duplicate(void **state)
{
    pair p;
    tmsg m[4];
    enl_ratchet *after;
    (void)state;

    pair_new(&p);
    for (int i = 0; i < 4; i++) send_n(p.a, &m[i], "a", i);
    recv_ok(p.b, &m[0]);
    recv_refused(p.b, m[0].b, m[0].len, ENL_EDUPLICATE);
    recv_ok(p.b, &m[3]);                        /* skips 1 and 2 */
    assert_int_equal(p.b->nskipped, 2);
    recv_refused(p.b, m[3].b, m[3].len, ENL_EDUPLICATE);
    recv_ok(p.b, &m[1]);                        /* a skipped key, now deleted */
    assert_int_equal(p.b->nskipped, 1);
    recv_refused(p.b, m[1].b, m[1].len, ENL_EDUPLICATE);
    after = state_dup(p.b);
    recv_refused(after, m[1].b, m[1].len, ENL_EDUPLICATE);
    recv_refused(after, m[0].b, m[0].len, ENL_EDUPLICATE);
    recv_ok(p.b, &m[2]);
    assert_int_equal(p.b->nskipped, 0);
    state_free(after);
    pair_free(&p);
}

/* A message for another session opens nothing here. */
static void test_not_for_me(void **state)
{
    pair p, q;
    tmsg m;
    (void)state;

    pair_new(&p);
    pair_new(&q);
    send_text(q.a, &m, "for someone else");
    recv_refused(p.b, m.b, m.len, ENL_ENOTFORME);
    assert_false(has_tag(p.b, m.b));
    recv_ok(q.b, &m);
    pair_free(&p);
    pair_free(&q);
}

/* Every single-bit flip, in the tag, the header and the body, of a message
 * opened by HKr, one opened by NHKr and one opened by a skipped key. A
 * changed tag or N no longer matches any header key: not this session's.
 * A changed DHs or PN still "opens" the header, whose bytes the body
 * authenticates: refused, with the state unchanged, whatever the reason
 * (the body does not open, or the false PN would skip too far). */
static void flip_all(enl_ratchet *r, const tmsg *m)
{
    enum { TAG_END = 16, N_AT = 16 + 36, PREFIX_END = 16 + 40 };
    tmsg t;
    for (size_t i = 0; i < m->len; i++) {
        memcpy(&t, m, sizeof t);
        t.b[i] ^= (uint8_t)(1u << (i % 8));
        if (i < TAG_END) recv_refused(r, t.b, t.len, ENL_ENOTFORME);
        else if (i < N_AT) recv_refused(r, t.b, t.len, 0);
        else if (i < PREFIX_END) recv_refused(r, t.b, t.len, ENL_ENOTFORME);
        else recv_refused(r, t.b, t.len, ENL_EDECRYPT);
    }
    memcpy(&t, m, sizeof t);
    recv_refused(r, t.b, t.len - 1, ENL_EDECRYPT);   /* truncated body */
    t.b[t.len] = 0;
    recv_refused(r, t.b, t.len + 1, ENL_EDECRYPT);   /* extended body */
    recv_refused(r, t.b, ENL_RATCHET_OVERHEAD - 1, ENL_EMALFORMED);
}

static void test_tamper(void **state)
{
    pair p;
    tmsg m[3], b;
    uint8_t pt[MSG_MAX];
    size_t n;
    (void)state;

    pair_new(&p);
    send_text(p.a, &m[0], "opened by NHKr");
    flip_all(p.b, &m[0]);
    recv_ok(p.b, &m[0]);
    send_text(p.a, &m[1], "later a skipped key");
    send_text(p.a, &m[2], "opened by HKr");
    flip_all(p.b, &m[2]);
    recv_ok(p.b, &m[2]);
    /* A skipped key of the current chain. */
    flip_all(p.b, &m[1]);
    /* Different associated data: the body does not authenticate. */
    assert_int_equal(enl_ratchet_decrypt(p.b, pt, &n, AD, sizeof AD - 1, m[1].b, m[1].len, NULL),
                     ENL_EDECRYPT);
    /* Tag and header of one message, body of another. */
    memcpy(&b, &m[1], sizeof b);
    memcpy(b.b + 56, m[2].b + 56, m[2].len - 56);
    b.len = m[2].len;
    recv_refused(p.b, b.b, b.len, ENL_EDECRYPT);
    recv_ok(p.b, &m[1]);
    pair_free(&p);
}

/* The purge key: the sender knows it before sealing, the recipient learns
 * the same one by opening, each message has its own, and asking for it
 * changes nothing. Bob has none to give before he can send. */
static void test_purge_key(void **state)
{
    pair p;
    tmsg m[3];
    uint8_t before[3][32], after[32], pt[MSG_MAX];
    enl_ratchet *copy = state_new();
    size_t n = 0;
    (void)state;

    pair_new(&p);
    assert_int_equal(enl_ratchet_next_purge_key(p.b, after), ENL_EINVAL);
    for (int i = 0; i < 3; i++) {
        memcpy(copy, p.a, sizeof *copy);
        assert_int_equal(enl_ratchet_next_purge_key(p.a, before[i]), ENL_OK);
        assert_memory_equal(copy, p.a, sizeof *copy);
        send_text(p.a, &m[i], i == 0 ? "one" : i == 1 ? "two" : "three");
    }
    assert_memory_not_equal(before[0], before[1], 32);
    assert_memory_not_equal(before[1], before[2], 32);
    /* Out of order: the skipped key gives the same purge key. */
    for (int i = 2; i >= 0; i -= 2) {
        assert_int_equal(enl_ratchet_decrypt(p.b, pt, &n, AD, sizeof AD, m[i].b, m[i].len, after),
                         ENL_OK);
        assert_memory_equal(after, before[i], 32);
    }
    assert_int_equal(enl_ratchet_decrypt(p.b, pt, &n, AD, sizeof AD, m[1].b, m[1].len, after),
                     ENL_OK);
    assert_memory_equal(after, before[1], 32);
    state_free(copy);
    pair_free(&p);
}

/* ---- bounds ------------------------------------------------------------ */

/* MAX_SKIP keys may be skipped in a chain, not one more; the refusal
 * changes nothing, and the messages still open afterwards. */
static void test_max_skip(void **state)
{
    enum { LAST = ENL_RATCHET_MAX_SKIP + 2 };
    pair p;
    static tmsg m[LAST + 1];
    (void)state;

    pair_new(&p);
    for (int i = 0; i <= LAST; i++) send_n(p.a, &m[i], "m", i);    /* m[k] has N = k */
    recv_ok(p.b, &m[0]);                        /* Nr = 1 */
    /* N = 130 would skip 129 keys (1..129): refused. */
    recv_refused(p.b, m[LAST].b, m[LAST].len, ENL_ETOOBIG);
    recv_ok_tags(p.b, &m[LAST - 1], 0);         /* skips exactly MAX_SKIP: 1..128 */
    assert_int_equal(p.b->nskipped, ENL_RATCHET_MAX_SKIP);
    recv_ok(p.b, &m[LAST]);
    for (int i = 1; i < LAST - 1; i++) recv_ok(p.b, &m[i]);
    assert_int_equal(p.b->nskipped, 0);
    pair_free(&p);
}

/* The most one message can make the recipient store: MAX_SKIP keys of the
 * old chain (through PN) and MAX_SKIP of the new one (through N). */
static void test_skip_both_chains(void **state)
{
    pair p;
    static tmsg c1[ENL_RATCHET_MAX_SKIP + 1], c2[ENL_RATCHET_MAX_SKIP + 2];
    tmsg b;
    (void)state;

    pair_new(&p);
    for (int i = 0; i <= ENL_RATCHET_MAX_SKIP; i++) send_n(p.a, &c1[i], "c1", i);
    recv_ok(p.b, &c1[0]);
    send_text(p.b, &b, "reply");
    recv_ok(p.a, &b);
    for (int i = 0; i <= ENL_RATCHET_MAX_SKIP + 1; i++) send_n(p.a, &c2[i], "c2", i);
    /* N = 129 in the new chain: too far, refused before anything. */
    recv_refused(p.b, c2[ENL_RATCHET_MAX_SKIP + 1].b, c2[ENL_RATCHET_MAX_SKIP + 1].len,
                 ENL_ETOOBIG);
    recv_ok_tags(p.b, &c2[ENL_RATCHET_MAX_SKIP], 0);
    assert_int_equal(p.b->nskipped, 2 * ENL_RATCHET_MAX_SKIP);
    assert_int_equal(p.b->nskipped, ENL_RATCHET_MAX_SKIPPED);
    for (int i = 1; i <= ENL_RATCHET_MAX_SKIP; i++) recv_ok(p.b, &c1[i]);
    for (int i = 0; i < ENL_RATCHET_MAX_SKIP; i++) recv_ok(p.b, &c2[i]);
    recv_ok(p.b, &c2[ENL_RATCHET_MAX_SKIP + 1]);
    assert_int_equal(p.b->nskipped, 0);
    pair_free(&p);
}

/* Never more than MAX_SKIPPED keys stored; the oldest go first. Each round
 * Alice sends 101 notes of which Bob reads only the last (100 skipped). */
static void test_skipped_cap(void **state)
{
    enum { PER = 101, ROUNDS = 4 };
    pair p;
    static tmsg m[ROUNDS][PER];
    tmsg b;
    (void)state;

    pair_new(&p);
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < PER; i++) send_n(p.a, &m[r][i], "round", r * 1000 + i);
        recv_ok_tags(p.b, &m[r][PER - 1], 0);
        assert_true(p.b->nskipped <= ENL_RATCHET_MAX_SKIPPED);
        send_n(p.b, &b, "reply", r);
        recv_ok(p.a, &b);
    }
    /* 400 skipped, 256 kept: round 0's keys and the oldest 44 of round 1
     * were deleted to make room; the newest 56 of round 1, rounds 2 and 3
     * are kept. */
    assert_int_equal(p.b->nskipped, ENL_RATCHET_MAX_SKIPPED);
    for (int i = 0; i < PER - 1; i++) recv_refused(p.b, m[0][i].b, m[0][i].len, ENL_ENOTFORME);
    for (int i = 0; i < 44; i++) recv_refused(p.b, m[1][i].b, m[1][i].len, ENL_ENOTFORME);
    for (int i = 44; i < PER - 1; i++) recv_ok(p.b, &m[1][i]);
    for (int r = 2; r < ROUNDS; r++)
        for (int i = 0; i < PER - 1; i++) recv_ok(p.b, &m[r][i]);
    assert_int_equal(p.b->nskipped, 0);
    pair_free(&p);
}

/* A skipped key is kept for MAX_AGE DH ratchet steps, then deleted. */
static void test_skipped_age(void **state)
{
    pair p;
    tmsg late, m;
    (void)state;

    pair_new(&p);
    send_text(p.a, &late, "late");
    send_text(p.a, &m, "on time");
    recv_ok(p.b, &m);                           /* step 1; "late" skipped */
    assert_int_equal(p.b->nskipped, 1);
    for (uint32_t k = 1; k <= ENL_RATCHET_MAX_AGE + 1; k++) {
        enl_ratchet *copy;
        send_n(p.b, &m, "bob", (int)k);
        recv_ok(p.a, &m);
        send_n(p.a, &m, "alice", (int)k);
        recv_ok(p.b, &m);                       /* step 1 + k */
        assert_int_equal(p.b->step, 1 + k);
        copy = state_dup(p.b);
        if (k <= ENL_RATCHET_MAX_AGE) {
            assert_int_equal(p.b->nskipped, 1);
            recv_ok(copy, &late);
        } else {
            assert_int_equal(p.b->nskipped, 0);
            recv_refused(copy, late.b, late.len, ENL_ENOTFORME);
        }
        state_free(copy);
    }
    pair_free(&p);
}

/* A hostile peer (who has the header keys) asks for N = 2^32-1, for
 * N = 2^32-2, for PN = 2^32-1: refused at once, nothing derived. */
static void test_hostile_numbers(void **state)
{
    pair p;
    tmsg m, b;
    clock_t t0;
    (void)state;

    pair_new(&p);
    send_text(p.a, &m, "first");
    recv_ok(p.b, &m);
    t0 = clock();
    forge(&m, p.a->hks, p.a->dhs_pk, 0, UINT32_MAX);
    recv_refused(p.b, m.b, m.len, ENL_ETOOBIG);
    forge(&m, p.a->hks, p.a->dhs_pk, 0, UINT32_MAX - 1);
    recv_refused(p.b, m.b, m.len, ENL_ETOOBIG);
    /* The same through the next header key (a new chain). */
    forge(&m, p.b->nhkr, p.a->dhs_pk, 0, UINT32_MAX);
    recv_refused(p.b, m.b, m.len, ENL_ETOOBIG);
    forge(&m, p.b->nhkr, p.a->dhs_pk, UINT32_MAX, 0);
    recv_refused(p.b, m.b, m.len, ENL_ETOOBIG);
    forge(&m, p.b->nhkr, p.a->dhs_pk, 0, ENL_RATCHET_MAX_SKIP + 1);
    recv_refused(p.b, m.b, m.len, ENL_ETOOBIG);
    /* 2^32 key derivations would take hours: this takes microseconds. */
    assert_true(seconds_since(t0) < 1.0);

    /* An honest sender that reached the end of a chain stops. */
    p.a->ns = UINT32_MAX;
    assert_int_equal(enl_ratchet_encrypt(p.a, b.b, ENL_RATCHET_OVERHEAD, NULL, 0, NULL, 0),
                     ENL_ETOOBIG);
    pair_free(&p);
}

/* How many multiples of the checkpoint stride lie in [from, last]. */
static size_t checkpoints(uint64_t from, uint64_t last)
{
    size_t n = 0;
    for (uint64_t i = from; i <= last; i++) n += i % ENL_RATCHET_STRIDE == 0;
    return n;
}

/* The end of a chain: message numbers are labels, so both sides can be
 * moved there together. N = 2^32-2 is the last that opens; N = 2^32-1
 * (which would wrap Nr to 0 and let old numbers in again) is refused even
 * when it skips nothing, and the sender refuses to make it. */
static void test_chain_end(void **state)
{
    pair p;
    tmsg m;
    static uint8_t tags[TAGS_MAX][16];
    (void)state;

    pair_new(&p);
    send_text(p.a, &m, "first");
    recv_ok(p.b, &m);
    p.a->ns = UINT32_MAX - 2;
    p.b->nr = UINT32_MAX - 2;
    /* HKr's window stops before 2^32-1: two tags, then NHKr's windows;
     * HKr has no checkpoints left, NHKr its own. */
    assert_int_equal(enl_ratchet_tags(p.b, tags, TAGS_MAX, WINDOW),
                     2 + NEXT_KEYS * WINDOW + NEXT_KEYS * checkpoints(WINDOW, ENL_RATCHET_MAX_SKIP));
    send_text(p.a, &m, "n = 2^32-2 after a gap");
    send_text(p.a, &m, "n = 2^32-2");
    recv_ok(p.b, &m);                           /* skips one key */
    assert_int_equal(p.b->nr, UINT32_MAX);
    assert_int_equal(p.b->nskipped, 1);
    assert_int_equal(enl_ratchet_encrypt(p.a, m.b, ENL_RATCHET_OVERHEAD, NULL, 0, NULL, 0),
                     ENL_ETOOBIG);
    p.b->nr = UINT32_MAX - 1;                   /* as if 2^32-2 had not come */
    forge(&m, p.b->hkr, p.a->dhs_pk, 0, UINT32_MAX);
    recv_refused(p.b, m.b, m.len, ENL_ETOOBIG);
    pair_free(&p);
}

/* A low-order ratchet key, at the start or in a header, is refused. */
static void test_weak_keys(void **state)
{
    static const uint8_t zero[32];
    uint8_t k[32], pk[32];
    pair p;
    tmsg m;
    enl_ratchet *r = state_new();
    (void)state;

    randombytes_buf(k, 32);
    assert_int_equal(enl_ratchet_init_alice(r, k, zero, k, k), ENL_ECRYPTO);
    assert_true(sodium_is_zero((const uint8_t *)r, sizeof *r));
    assert_int_equal(crypto_scalarmult_base(pk, k), 0);
    pk[0] ^= 1;
    assert_int_equal(enl_ratchet_init_bob(r, k, k, pk, k, k), ENL_EINVAL);
    state_free(r);

    pair_new(&p);
    forge(&m, p.b->nhkr, zero, 0, 0);
    recv_refused(p.b, m.b, m.len, ENL_ECRYPTO);
    pair_free(&p);
}

/* ---- security properties ------------------------------------------------ */

/* An attacker who copied Bob's whole state, and sees every message after,
 * cannot read what Alice sends once each side has sent one more message. */
static void test_healing(void **state)
{
    pair p;
    tmsg m1, m2, m3, m;
    enl_ratchet *spy, *spy2;
    (void)state;

    pair_new(&p);
    send_text(p.a, &m, "before");
    recv_ok(p.b, &m);
    send_text(p.b, &m, "reply");
    recv_ok(p.a, &m);

    spy = state_dup(p.b);                       /* the compromise */
    send_text(p.a, &m1, "A to B");
    recv_ok(p.b, &m1);
    send_text(p.b, &m2, "B to A");
    recv_ok(p.a, &m2);
    send_text(p.a, &m3, "A to B, healed");

    spy2 = state_dup(spy);
    /* The copy reads what was sent right after the compromise... */
    recv_ok(spy, &m1);
    /* ...cannot read Bob's reply (that needs Alice's state)... */
    recv_refused(spy, m2.b, m2.len, ENL_ENOTFORME);
    /* ...and not Alice's next message: Bob's fresh ratchet key is not in it. */
    assert_int_not_equal(try_recv(spy, &m3), ENL_OK);
    assert_int_not_equal(try_recv(spy2, &m3), ENL_OK);
    recv_ok(p.b, &m3);
    state_free(spy);
    state_free(spy2);
    pair_free(&p);
}

/* Each message's tag is among the receiver's expected tags, and is gone
 * once it is read; tags never repeat across chains. */
static void test_tags(void **state)
{
    pair p;
    tmsg m[6];
    static uint8_t tags[TAGS_MAX][16];
    size_t n;
    (void)state;

    pair_new(&p);
    /* Alice has no receiving chain yet: NHKr's window only, and those of
     * the same chain begun again (each restart header key), then NHKr's
     * checkpoints (every 4th number, past the window, up to MAX_SKIP) and
     * its restarts'. */
    assert_int_equal(enl_ratchet_tags(p.a, tags, TAGS_MAX, WINDOW),
                     NEXT_KEYS * WINDOW + NEXT_KEYS * checkpoints(WINDOW, ENL_RATCHET_MAX_SKIP));
    assert_int_equal(enl_ratchet_tags(p.b, tags, TAGS_MAX, WINDOW),
                     NEXT_KEYS * WINDOW + NEXT_KEYS * checkpoints(WINDOW, ENL_RATCHET_MAX_SKIP));
    assert_int_equal(enl_ratchet_tags(p.b, tags, 3, WINDOW), 3);
    assert_int_equal(enl_ratchet_tags(p.b, tags, TAGS_MAX, 0), 0);
    for (int i = 0; i < 6; i++) send_n(p.a, &m[i], "t", i);
    recv_ok(p.b, &m[2]);
    /* HKr window, NHKr window and its restarts', the two skipped keys,
     * then HKr's checkpoints (from Nr + window) and NHKr's. */
    n = enl_ratchet_tags(p.b, tags, TAGS_MAX, WINDOW);
    assert_int_equal(n, (1 + NEXT_KEYS) * WINDOW + 2 +
                            checkpoints(3 + WINDOW, 3 + ENL_RATCHET_MAX_SKIP) +
                            NEXT_KEYS * checkpoints(WINDOW, ENL_RATCHET_MAX_SKIP));
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) assert_memory_not_equal(tags[i], tags[j], 16);
    recv_ok(p.b, &m[0]);
    recv_ok(p.b, &m[5]);
    recv_ok(p.b, &m[1]);
    recv_ok(p.b, &m[4]);
    recv_ok(p.b, &m[3]);
    assert_int_equal(enl_ratchet_tags(p.b, tags, TAGS_MAX, WINDOW),
                     (1 + NEXT_KEYS) * WINDOW + checkpoints(6 + WINDOW, 6 + ENL_RATCHET_MAX_SKIP) +
                         NEXT_KEYS * checkpoints(WINDOW, ENL_RATCHET_MAX_SKIP));
    /* The tag is enl_ratchet_tag(HKs, Ns) of the sender. */
    {
        uint8_t t[16];
        enl_ratchet_tag(t, p.a->hks, p.a->ns);
        send_text(p.a, &m[0], "next");
        assert_memory_equal(t, m[0].b, 16);
        recv_ok(p.b, &m[0]);
    }
    pair_free(&p);
}

/* ---- storage ------------------------------------------------------------ */

static uint8_t *serialize(const enl_ratchet *r, size_t *len)
{
    uint8_t *buf;
    *len = enl_ratchet_serialized_len(r);
    assert_true(*len <= ENL_RATCHET_SERIAL_MAX);
    buf = malloc(*len + 1);
    assert_non_null(buf);
    assert_int_equal(enl_ratchet_serialize(buf, *len, r), ENL_OK);
    return buf;
}

/* A state with skipped keys, stored and read back, behaves as the original:
 * the same messages open to the same texts, it sends, it is stored the same. */
static void test_serialize_roundtrip(void **state)
{
    pair p;
    tmsg m[6], b;
    enl_ratchet *copy = state_new();
    uint8_t *s1, *s2;
    size_t l1, l2;
    (void)state;

    pair_new(&p);
    for (int k = 0; k < 2; k++) {               /* a fresh Alice and a fresh Bob round-trip */
        enl_ratchet *r = k == 0 ? p.a : p.b;
        s1 = serialize(r, &l1);
        assert_int_equal(l1, ENL_RATCHET_SERIAL_FIXED + ENL_RATCHET_SERIAL_TRAILER);
        assert_int_equal(enl_ratchet_parse(copy, s1, l1), ENL_OK);
        assert_memory_equal(copy, r, sizeof *r);
        free(s1);
    }
    for (int i = 0; i < 6; i++) send_n(p.a, &m[i], "s", i);
    recv_ok(p.b, &m[4]);                        /* four skipped keys */
    s1 = serialize(p.b, &l1);
    assert_int_equal(l1, ENL_RATCHET_SERIAL_FIXED + 4 * ENL_RATCHET_SKIPPEDBYTES +
                             ENL_RATCHET_SERIAL_TRAILER);
    assert_int_equal(enl_ratchet_serialize(s1, l1 - 1, p.b), ENL_EBUFSIZE);
    assert_int_equal(enl_ratchet_parse(copy, s1, l1), ENL_OK);
    assert_memory_equal(copy, p.b, sizeof *copy);
    s2 = serialize(copy, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(s1, s2, l1);
    free(s2);
    /* a version 1 state (before the restart trailer) is read, as not
     * restartable, with the expiries of what it sealed unknown */
    s2 = malloc(l1);
    assert_non_null(s2);
    memcpy(s2, s1, l1 - ENL_RATCHET_SERIAL_TRAILER);
    s2[0] = 1;
    assert_int_equal(enl_ratchet_parse(copy, s2, l1 - ENL_RATCHET_SERIAL_TRAILER), ENL_OK);
    assert_int_equal(copy->restartable, 0);
    assert_true(sodium_is_zero(copy->rk_restart, 32));
    assert_int_equal(copy->pn_expiry, p.b->pn > 0 ? UINT32_MAX : 0);
    assert_memory_equal(copy->rk, p.b->rk, 32);
    assert_int_equal(copy->nskipped, p.b->nskipped);
    free(s2);
    assert_int_equal(enl_ratchet_parse(copy, s1, l1), ENL_OK);
    for (int i = 0; i < 6; i++)
        if (i != 4) {
            recv_ok(p.b, &m[i]);
            recv_ok(copy, &m[i]);
        }
    send_text(copy, &b, "from the stored state");
    recv_ok(p.a, &b);
    send_text(p.a, &b, "and back");
    recv_ok(copy, &b);
    free(s1);
    state_free(copy);
    pair_free(&p);
}

/* A full state serializes to the documented maximum. */
static void test_serialize_max(void **state)
{
    pair p;
    static tmsg c1[ENL_RATCHET_MAX_SKIP + 1], c2[ENL_RATCHET_MAX_SKIP + 1];
    tmsg b;
    uint8_t *s;
    size_t l;
    enl_ratchet *copy = state_new();
    (void)state;

    pair_new(&p);
    for (int i = 0; i <= ENL_RATCHET_MAX_SKIP; i++) send_n(p.a, &c1[i], "c1", i);
    recv_ok(p.b, &c1[0]);
    send_text(p.b, &b, "reply");
    recv_ok(p.a, &b);
    for (int i = 0; i <= ENL_RATCHET_MAX_SKIP; i++) send_n(p.a, &c2[i], "c2", i);
    recv_ok_tags(p.b, &c2[ENL_RATCHET_MAX_SKIP], 0);
    s = serialize(p.b, &l);
    assert_int_equal(l, ENL_RATCHET_SERIAL_MAX);
    assert_int_equal(enl_ratchet_parse(copy, s, l), ENL_OK);
    recv_ok_tags(copy, &c1[77], 0);
    free(s);
    state_free(copy);
    pair_free(&p);
}

/* A sending chain begun again (enl_ratchet_restart_sending) is the chain
 * the peer expects next: its first message is in the peer's tag window and
 * opens, and the session goes on through further DH ratchet steps; the
 * abandoned chain's messages no longer open. */
static void test_restart_sending(void **state)
{
    pair p;
    tmsg a1, b1, lost[3], a2, b2, a3;
    (void)state;

    pair_new(&p);
    assert_int_equal(enl_ratchet_restart_sending(p.a), ENL_EINVAL);   /* no DH step yet */
    send_text(p.a, &a1, "a1");
    recv_ok(p.b, &a1);
    send_text(p.b, &b1, "b1");
    recv_ok(p.a, &b1);                          /* Alice's new chain: restartable */
    for (int i = 0; i < 3; i++) send_n(p.a, &lost[i], "lost", i);
    enl_ratchet_mark_sent(p.a, 0, 100, WINDOW);
    assert_int_equal(p.a->window_expiry, 100);
    enl_ratchet_mark_sent(p.a, WINDOW + 1, 200, WINDOW);       /* beyond the window: not counted */
    assert_int_equal(p.a->window_expiry, 100);
    assert_int_equal(p.a->chain_expiry, 200);
    /* ... unless a checkpoint, by which the peer can enter the chain too */
    enl_ratchet_mark_sent(p.a, ENL_RATCHET_MAX_SKIP + ENL_RATCHET_STRIDE, 190, WINDOW);
    assert_int_equal(p.a->window_expiry, 100);
    enl_ratchet_mark_sent(p.a, ENL_RATCHET_MAX_SKIP, 150, WINDOW);
    assert_int_equal(p.a->window_expiry, 150);
    assert_int_equal(enl_ratchet_restart_sending(p.a), ENL_OK);
    assert_int_equal(p.a->ns, 0);
    assert_int_equal(p.a->restarts, 1);
    assert_int_equal(p.a->window_expiry, 0);
    send_text(p.a, &a2, "after the restart");
    /* N = 0 again, but under the restart header key: not the tag (nor the
     * header stream) of the abandoned chain's first message */
    assert_memory_not_equal(a2.b, lost[0].b, 16);
    recv_ok(p.b, &a2);
    recv_refused(p.b, lost[1].b, lost[1].len, 0);             /* the abandoned chain */
    send_text(p.b, &b2, "b2");
    recv_ok(p.a, &b2);
    assert_int_equal(p.a->restarts, 0);         /* the DH step settled it */
    assert_true(sodium_is_zero(p.a->alt[0].rk, 32));
    send_text(p.a, &a3, "a3");
    recv_ok(p.b, &a3);
    pair_free(&p);
}

/* Restart after restart of one chain (the peer never enters any): the
 * first ENL_RATCHET_RESTART_KEYS each have a header key of their own and
 * start at N = 0; later ones keep the last key and start where the chain
 * they give up stopped, rounded up to a checkpoint, until that passes
 * MAX_SKIP, when they start at 0 again. The peer recognises and opens the
 * first message of each, and no two restarts share a tag until then. */
static void test_restart_numbers(void **state)
{
    enum { RESTARTS = 6 };
    static const int sent[RESTARTS + 1] = { 2, 2, 2, 50, 50, 30, 1 };
    static const uint32_t first[RESTARTS + 1] = { 0, 0, 0, 0, 52, 104, 0 };
    static uint8_t seen[2 + 2 + 2 + 50 + 50 + 30][16];
    size_t nseen = 0;
    pair p;
    tmsg a1, b1, m;
    (void)state;

    pair_new(&p);
    send_text(p.a, &a1, "a1");
    recv_ok(p.b, &a1);
    send_text(p.b, &b1, "b1");
    recv_ok(p.a, &b1);
    for (int r = 0; r <= RESTARTS; r++) {
        if (r > 0) assert_int_equal(enl_ratchet_restart_sending(p.a), ENL_OK);
        assert_int_equal(p.a->ns, first[r]);
        for (int i = 0; i < sent[r]; i++) {
            send_n(p.a, &m, "lost", i);
            if (i == 0) {                       /* the peer, had it come: it opens */
                enl_ratchet *b = state_dup(p.b);
                recv_ok(b, &m);
                state_free(b);
            }
            if (r == RESTARTS) continue;        /* numbered from 0 again: may repeat */
            for (size_t j = 0; j < nseen; j++) assert_memory_not_equal(seen[j], m.b, 16);
            memcpy(seen[nseen++], m.b, 16);
        }
    }
    recv_ok(p.b, &m);                           /* and the last one goes on */
    send_text(p.b, &b1, "b2");
    recv_ok(p.a, &b1);
    send_text(p.a, &a1, "a3");
    recv_ok(p.b, &a1);
    pair_free(&p);
}

/* A pair where Alice has read Bob's reply and started her chain Y, and Bob
 * has entered it: what a restart of Y must not lose. */
static void bob_entered_alices_chain(pair *p)
{
    tmsg a1, b1, y0;
    pair_new(p);
    send_text(p->a, &a1, "a1");
    recv_ok(p->b, &a1);
    send_text(p->b, &b1, "b1");
    recv_ok(p->a, &b1);
    send_text(p->a, &y0, "y0");                 /* Alice's chain Y */
    recv_ok(p->b, &y0);                         /* Bob enters it */
}

/* A restart the peer did not expect (it had entered the chain after all):
 * its next chain, answering the abandoned one, still opens, and the
 * session goes on from there. */
static void test_restart_undone_by_the_peer(void **state)
{
    pair p;
    tmsg a2, b2, a3;
    (void)state;

    bob_entered_alices_chain(&p);
    assert_int_equal(enl_ratchet_restart_sending(p.a), ENL_OK);   /* wrongly */
    send_text(p.a, &a2, "lost to the restart");
    send_text(p.b, &b2, "b2 answers Y");
    recv_ok(p.a, &b2);                          /* from the abandoned chain */
    assert_int_equal(p.a->restarts, 0);
    send_text(p.a, &a3, "a3");
    recv_ok(p.b, &a3);
    pair_free(&p);
}

/* Review revG: a second restart of the same chain (the peer's clock misled
 * both) overwrites the kept abandoned chain with the first restart's: if
 * the peer had entered the original chain, its next chain opens from
 * neither and the root keys part for good. */
static void test_second_restart_keeps_the_entered_chain(void **state)
{
    pair p;
    tmsg a2, a3, b2, a4;
    (void)state;

    bob_entered_alices_chain(&p);
    assert_int_equal(enl_ratchet_restart_sending(p.a), ENL_OK);   /* wrongly */
    send_text(p.a, &a2, "on the first restart");
    assert_int_equal(enl_ratchet_restart_sending(p.a), ENL_OK);   /* wrongly again */
    send_text(p.a, &a3, "on the second restart");
    send_text(p.b, &b2, "b2 answers Y");
    if (try_recv(p.a, &b2) != ENL_OK)
        fail_msg("after a second restart, Bob's chain answering Y (which he entered) no longer "
                 "opens for Alice: the kept abandoned chain is the first restart's, not Y");
    send_text(p.a, &a4, "a4");
    recv_ok(p.b, &a4);
    pair_free(&p);
}

/* Coverage (passes), review revG: a tampered note of the peer's next chain
 * reaches the retry from the abandoned chain and changes nothing; the
 * genuine one then opens; replayed, it is refused and changes nothing. */
static void test_restart_alt_retry_is_transactional(void **state)
{
    pair p;
    tmsg a2, b2, bad, a3;
    (void)state;

    bob_entered_alices_chain(&p);
    assert_int_equal(enl_ratchet_restart_sending(p.a), ENL_OK);
    send_text(p.a, &a2, "lost");
    send_text(p.b, &b2, "b2 answers Y");
    bad = b2;
    bad.b[bad.len - 1] ^= 1;                    /* the body, as a courier could */
    recv_refused(p.a, bad.b, bad.len, ENL_EDECRYPT);
    bad = b2;
    bad.b[ENL_RATCHET_TAGBYTES + 36] ^= 1;      /* the header's N */
    recv_refused(p.a, bad.b, bad.len, 0);
    recv_ok(p.a, &b2);
    recv_refused(p.a, b2.b, b2.len, 0);         /* replayed */
    assert_int_equal(p.a->restarts, 0);
    assert_true(sodium_is_zero(p.a->alt[0].dhs_sk, 32));
    send_text(p.a, &a3, "a3");
    recv_ok(p.b, &a3);
    pair_free(&p);
}

/* Coverage (passes), review revG: both sides begin their chains again
 * wrongly (each had entered the other's); the first note that crosses
 * opens from the receiver's abandoned chain and both go on. */
static void test_both_restart_wrongly(void **state)
{
    pair p;
    tmsg a1, b1, y0, q1, y1, b2, a3;
    (void)state;

    pair_new(&p);
    send_text(p.a, &a1, "a1");
    recv_ok(p.b, &a1);
    send_text(p.b, &b1, "b1");                  /* Bob's chain Q */
    recv_ok(p.a, &b1);                          /* Alice enters Q, her chain Y */
    send_text(p.a, &y0, "y0");
    recv_ok(p.b, &y0);                          /* Bob enters Y: his chain Q2 */
    send_text(p.b, &q1, "q1 on Q2");
    assert_int_equal(enl_ratchet_restart_sending(p.a), ENL_OK);   /* Y begun again */
    send_text(p.a, &y1, "y1 on Y begun again");
    assert_int_equal(enl_ratchet_restart_sending(p.b), ENL_OK);   /* Q2 begun again */
    send_text(p.b, &b2, "b2 on Q2 begun again");
    recv_ok(p.a, &b2);                          /* from Alice's abandoned Y */
    assert_int_equal(p.a->restarts, 0);
    recv_refused(p.a, q1.b, q1.len, 0);         /* Q2 itself: abandoned, never entered */
    send_text(p.a, &a3, "a3");
    recv_ok(p.b, &a3);
    pair_free(&p);
}

/* PN forgets a previous chain only when all of it expired before the
 * moment given, and only for what is sealed from then on. */
static void test_forget_expired_previous(void **state)
{
    pair p;
    tmsg a1, b1, a2;
    (void)state;

    pair_new(&p);
    send_text(p.a, &a1, "a1");
    enl_ratchet_mark_sent(p.a, 0, 500, WINDOW);
    recv_ok(p.b, &a1);
    send_text(p.b, &b1, "b1");
    recv_ok(p.a, &b1);                          /* Alice steps: PN = 1, of a chain living to 500 */
    assert_int_equal(p.a->pn, 1);
    assert_int_equal(p.a->pn_expiry, 500);
    assert_int_equal(p.a->chain_expiry, 0);
    assert_int_equal(enl_ratchet_forget_expired_previous(p.a, 500), 0);   /* not before */
    assert_int_equal(p.a->pn, 1);
    assert_int_equal(enl_ratchet_forget_expired_previous(p.a, 501), 1);
    assert_int_equal(p.a->pn, 0);
    send_text(p.a, &a2, "a2");                  /* PN 0: Bob moves to the new chain at once */
    recv_ok(p.b, &a2);
    pair_free(&p);
}

static void parse_refused(const uint8_t *in, size_t len, int code)
{
    enl_ratchet *r = state_new();
    memset(r, 0xa5, sizeof *r);
    assert_int_equal(enl_ratchet_parse(r, in, len), code);
    assert_true(sodium_is_zero((const uint8_t *)r, sizeof *r));
    state_free(r);
}

/* Offsets in the serialized form (see ratchet.h). */
#define OFF_FLAGS 1
#define OFF_KEY(i) (2 + 32 * (i))
#define OFF_NS (2 + 320)
#define OFF_STEP (OFF_NS + 12)
#define OFF_COUNT (OFF_NS + 16)
#define OFF_ENTRY(i) (ENL_RATCHET_SERIAL_FIXED + (i) * ENL_RATCHET_SKIPPEDBYTES)

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* Truncated, extended, garbage and inconsistent states are refused. */
static void test_parse_hostile(void **state)
{
    pair p;
    tmsg m[4];
    uint8_t *good, *bad, *alice, junk[ENL_RATCHET_SERIAL_FIXED + 3 * ENL_RATCHET_SKIPPEDBYTES];
    size_t len, alen;
    (void)state;

    pair_new(&p);
    for (int i = 0; i < 4; i++) send_n(p.a, &m[i], "p", i);
    recv_ok(p.b, &m[0]);
    recv_ok(p.b, &m[3]);                        /* two skipped keys, step 1 */
    good = serialize(p.b, &len);
    alice = serialize(p.a, &alen);
    bad = malloc(len + 1);
    assert_non_null(bad);

    for (size_t l = 0; l < len; l++) parse_refused(good, l, ENL_EMALFORMED);
    memcpy(bad, good, len);
    bad[len] = 0;
    parse_refused(bad, len + 1, ENL_EMALFORMED);
    parse_refused(NULL, 0, ENL_EMALFORMED);

#define MUTATE(stmt, code) do { memcpy(bad, good, len); stmt; parse_refused(bad, len, code); } while (0)
    MUTATE(bad[0] = 3, ENL_EVERSION);
    /* the restart trailer: one encoding, and only after a DH ratchet step */
#define OFF_TRAILER (len - ENL_RATCHET_SERIAL_TRAILER)
    MUTATE(bad[OFF_TRAILER] = 2, ENL_EMALFORMED);
    MUTATE((bad[OFF_TRAILER] = 0, bad[OFF_TRAILER + 10] ^= 1), ENL_EMALFORMED);
    MUTATE((bad[OFF_TRAILER] = 0, memset(bad + OFF_TRAILER + 1, 0, 32),
            put32(bad + OFF_TRAILER + 37, 1)), ENL_EMALFORMED);          /* restarts */
    MUTATE(bad[0] = 0, ENL_EVERSION);
    MUTATE(bad[OFF_FLAGS] |= 8, ENL_EMALFORMED);                 /* unknown flag */
    MUTATE(bad[OFF_FLAGS] = ENL_RATCHET_HAS_RECV, ENL_EMALFORMED);
    MUTATE(bad[OFF_FLAGS] = 3, ENL_EMALFORMED);                  /* RECV cleared, CKr set */
    MUTATE(bad[OFF_KEY(1)] ^= 1, ENL_EMALFORMED);                /* DHs pk does not match */
    MUTATE(put32(bad + OFF_STEP, 0), ENL_EMALFORMED);            /* entries newer than the state */
    MUTATE(put32(bad + OFF_STEP, 1 + ENL_RATCHET_MAX_AGE + 1), ENL_EMALFORMED);   /* too old */
    MUTATE(put32(bad + OFF_ENTRY(1) + 36, 0), ENL_EMALFORMED);   /* steps go back */
    MUTATE((bad[OFF_COUNT] = 0x01, bad[OFF_COUNT + 1] = 0x01), ENL_EMALFORMED);   /* 257 */
    MUTATE(bad[OFF_COUNT + 1] = 3, ENL_EMALFORMED);              /* count beyond the data */
    MUTATE(bad[OFF_COUNT + 1] = 1, ENL_EMALFORMED);              /* data beyond the count */
    /* A state that was never received on must hold no receiving keys. */
    memcpy(bad, alice, alen);
    bad[OFF_KEY(5)] = 1;
    parse_refused(bad, alen, ENL_EMALFORMED);
    memcpy(bad, alice, alen);
    put32(bad + OFF_NS + 4, 1);                                  /* Nr without a chain */
    parse_refused(bad, alen, ENL_EMALFORMED);
    memcpy(bad, alice, alen);
    put32(bad + OFF_STEP, 1);
    parse_refused(bad, alen, ENL_EMALFORMED);
    memcpy(bad, alice, alen);
    bad[alen - ENL_RATCHET_SERIAL_TRAILER] = 1;                 /* restartable before a step */
    parse_refused(bad, alen, ENL_EMALFORMED);
    memcpy(bad, alice, alen);
    put32(bad + alen - ENL_RATCHET_SERIAL_TRAILER + 45, 7);     /* a PN expiry before a step */
    parse_refused(bad, alen, ENL_EMALFORMED);
    memcpy(bad, alice, alen);
    bad[alen - ENL_RATCHET_SERIAL_TRAILER + 49] = 1;            /* an abandoned chain, no restart */
    parse_refused(bad, alen, ENL_EMALFORMED);

    /* Garbage, with and without a valid version byte. */
    for (int i = 0; i < 2000; i++) {
        size_t l = randombytes_uniform(sizeof junk + 1);
        enl_ratchet *r = state_new();
        randombytes_buf(junk, sizeof junk);
        if (i % 2 && l > 0) junk[0] = ENL_RATCHET_VERSION;
        assert_int_not_equal(enl_ratchet_parse(r, junk, l), ENL_OK);
        state_free(r);
    }
    free(good);
    free(bad);
    free(alice);
    pair_free(&p);
}

/* ---- test vectors ------------------------------------------------------- */

/* Fixed inputs (fill(x): the 32 bytes x, x+1, ..., x+31): SK = fill(0x00),
 * Bob's prekey secret = fill(0x20), HKA = fill(0x40), NHKB = fill(0x60),
 * Alice's test seed = fill(0x80), Bob's = fill(0xa0), AD = "enlace ratchet
 * vectors" (22 bytes). A1 A2 A3 (Alice to Bob), B1 B2 (Bob to Alice), A4
 * (Alice to Bob), each read in order by the other side; the plaintext of
 * each is its name. docs/PROTOCOL.md holds the same bytes (test_vectors
 * checks them there), and tests/model/ratchet_vectors.py recomputes A1
 * from them with no enlace code. */
static const char *const vec_expected[6] = {
    "ef131a2a1b55fbc915e3c1c6e552ddc326f4ec0826afcb63161b664d99e0c41af1c7e6cca26d4656"
    "b607646f5a17312a9d75d88c37a8ce921f82715355d9806a240ca9b52644b9f02a4c",
    "85110f84f390709e9609fbdeb88766161b12d3aa8378cc26e956bb54e6084c6893ad47d1921976e4"
    "c5a20570e1225dbbdbec5f91772cdc198bf6a5a6afc2f44ed90ae850b6fdd8d36afa",
    "b9a5cdb4af62c77d30819f733978300e4c87989d515beb73a0fc9825c5d307af94ff358d2d7410b8"
    "20245260e7bb9764ca24910144fdd672d8783e6e65091ee1daa46b2f420aba163be1",
    "3a0116f780209ca62aeaf4a7fd59e88924efb0c007d06bed9fced142c212035c8947902751053cfa"
    "2590e4fbbafed7b66a0cb09dc1a7417e4daee27c0546361f9499fe40ec769675d10e",
    "254f0da314a13b08fba5fce04e04c484e7d00a15aa29104c257ac2f47353fff33a14ad859ca9cac5"
    "8667565c748baec22b1292e6669a875630b6f2c1bc6ea8e16d5d03c8c0c979bba9ee",
    "77cd79e4ceabbf4c8e97d7e0f8474ff2103fd055f0263172857e8284375a59a3475a2697f4d7fdc3"
    "7684e5a4cf9763cb3dc2ddb2f6bf31a2e3f48bc12aa1458dfc2fcb125f73600e1985",
};
static const char *const vec_text[6] = { "A1", "A2", "A3", "B1", "B2", "A4" };

static void fill(uint8_t out[32], uint8_t first)
{
    for (int i = 0; i < 32; i++) out[i] = (uint8_t)(first + i);
}

static void print_hex(const char *name, const uint8_t *p, size_t n)
{
    char hex[2 * MSG_MAX + 1];
    sodium_bin2hex(hex, sizeof hex, p, n);
    printf("ratchet.%s = %s\n", name, hex);
}

static void test_vectors(void **state)
{
    uint8_t sk[32], bsk[32], bpk[32], hka[32], nhkb[32], aseed[32], bseed[32];
    static const uint8_t vad[] = "enlace ratchet vectors";
    int print = getenv("ENL_PRINT_VECTORS") != NULL;
    enl_ratchet *a = state_new(), *b = state_new();
    tmsg m[6];
    (void)state;

    fill(sk, 0x00);
    fill(bsk, 0x20);
    fill(hka, 0x40);
    fill(nhkb, 0x60);
    fill(aseed, 0x80);
    fill(bseed, 0xa0);
    assert_int_equal(crypto_scalarmult_base(bpk, bsk), 0);
    assert_int_equal(enl_ratchet_init_alice_seeded(a, aseed, sk, bpk, hka, nhkb), ENL_OK);
    assert_int_equal(enl_ratchet_init_bob_seeded(b, bseed, sk, bsk, bpk, hka, nhkb), ENL_OK);
    for (int i = 0; i < 6; i++) {
        enl_ratchet *from = (i == 3 || i == 4) ? b : a, *to = from == a ? b : a;
        uint8_t pt[MSG_MAX];
        size_t n = 0, tl = strlen(vec_text[i]);
        m[i].len = tl + ENL_RATCHET_OVERHEAD;
        assert_int_equal(enl_ratchet_encrypt(from, m[i].b, m[i].len, vad, sizeof vad - 1,
                                             (const uint8_t *)vec_text[i], tl), ENL_OK);
        assert_int_equal(enl_ratchet_decrypt(to, pt, &n, vad, sizeof vad - 1, m[i].b, m[i].len, NULL),
                         ENL_OK);
        assert_int_equal(n, tl);
        assert_memory_equal(pt, vec_text[i], tl);
        if (print) {
            print_hex(vec_text[i], m[i].b, m[i].len);
        } else {
            char hex[2 * MSG_MAX + 1];
            sodium_bin2hex(hex, sizeof hex, m[i].b, m[i].len);
            assert_string_equal(hex, vec_expected[i]);
        }
    }
    state_free(a);
    state_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constants),
        cmocka_unit_test(test_spec_walk),
        cmocka_unit_test(test_rounds),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_permutations),
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_not_for_me),
        cmocka_unit_test(test_tamper),
        cmocka_unit_test(test_purge_key),
        cmocka_unit_test(test_max_skip),
        cmocka_unit_test(test_skip_both_chains),
        cmocka_unit_test(test_skipped_cap),
        cmocka_unit_test(test_skipped_age),
        cmocka_unit_test(test_hostile_numbers),
        cmocka_unit_test(test_chain_end),
        cmocka_unit_test(test_weak_keys),
        cmocka_unit_test(test_healing),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_serialize_roundtrip),
        cmocka_unit_test(test_restart_sending),
        cmocka_unit_test(test_restart_numbers),
        cmocka_unit_test(test_restart_undone_by_the_peer),
        cmocka_unit_test(test_second_restart_keeps_the_entered_chain),
        cmocka_unit_test(test_restart_alt_retry_is_transactional),
        cmocka_unit_test(test_both_restart_wrongly),
        cmocka_unit_test(test_forget_expired_previous),
        cmocka_unit_test(test_serialize_max),
        cmocka_unit_test(test_parse_hostile),
        cmocka_unit_test(test_vectors),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
