/*
 * The tag cache (core/tagcache.c) keeps up to 32 receiving chains, each in
 * a ring of its own. Which chain goes when a new one comes decides whether
 * the cache helps a profile that talks with several people: a chain taken
 * in turn pushed out the chains of a session quiet for a moment while a
 * busy conversation, whose every DH step brings new chains, left free the
 * slots of the chains it had given up. A new chain takes a free slot, else
 * the least recently used. Counted, not timed: enl_ratchet_tag is wrapped,
 * and a session whose chains are kept lists its tags computing none.
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

#include "core/profile.h"
#include "core/session.h"
#include "core/tagcache.h"
#include "crypto/ratchet.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-tags-kept-XXXXXX"
#include "profiles.h"

#include "tag_count.h"

#define PAIRS 8

/* A session: Alice's state, Bob's (whose tags are listed), Bob's row key. */
typedef struct {
    enl_ratchet a, b;
    uint8_t owner[32];
} conv;

static void pass(enl_ratchet *from, enl_ratchet *to)
{
    static const uint8_t pt[8] = "a note..";
    uint8_t m[MSG_MAX], out[MSG_MAX];
    size_t len = sizeof pt + ENL_RATCHET_OVERHEAD, n = 0;
    assert_int_equal(enl_ratchet_encrypt(from, m, len, AD, sizeof AD, pt, sizeof pt), ENL_OK);
    assert_int_equal(enl_ratchet_decrypt(to, out, &n, AD, sizeof AD, m, len, NULL), ENL_OK);
}

/* Bob has read Alice's first note: five chains (his current one, the
 * next, and the next begun again under each of its three restart keys). */
static void conv_new(conv *c)
{
    uint8_t sk[32], bsk[32], bpk[32], hka[32], nhkb[32];
    randombytes_buf(sk, 32);
    randombytes_buf(bsk, 32);
    randombytes_buf(hka, 32);
    randombytes_buf(nhkb, 32);
    randombytes_buf(c->owner, 32);
    assert_int_equal(crypto_scalarmult_base(bpk, bsk), 0);
    assert_int_equal(enl_ratchet_init_alice(&c->a, sk, bpk, hka, nhkb), ENL_OK);
    assert_int_equal(enl_ratchet_init_bob(&c->b, sk, bsk, bpk, hka, nhkb), ENL_OK);
    pass(&c->a, &c->b);
}

/* Lists Bob's tags through the cache; returns how many it computed. */
static unsigned list(enl_profile *p, const conv *c)
{
    static uint8_t want[TAGS_MAX][16], got[TAGS_MAX][16];
    size_t nw = enl_ratchet_tags(&c->b, want, TAGS_MAX, WINDOW), ng;
    computed = 0;
    ng = enl_tags_cached(p, c->owner, &c->b, got, TAGS_MAX, WINDOW);
    assert_int_equal(ng, nw);
    assert_memory_equal(got, want, nw * 16);
    return computed;
}

static conv *convs_new(void)
{
    conv *v = sodium_malloc(PAIRS * sizeof *v);
    assert_non_null(v);
    memset(v, 0, PAIRS * sizeof *v);
    for (int i = 0; i < PAIRS; i++) conv_new(&v[i]);
    return v;
}

static void convs_free(conv *v)
{
    sodium_free(v);   /* wipes */
}

/* A busy conversation (30 DH steps, listed after each) beside a quiet one
 * listed before: the quiet one's chains are still kept. */
static void test_busy_chain_keeps_the_quiet_ones(void **state)
{
    enl_profile *p = mkprofile("busy");
    conv *v = convs_new();
    (void)state;
    assert_true(list(p, &v[0]) > 0);
    assert_true(list(p, &v[1]) > 0);
    for (int i = 0; i < 30; i++) {
        pass(&v[1].b, &v[1].a);
        pass(&v[1].a, &v[1].b);     /* Bob's DH step: new chains */
        assert_true(list(p, &v[1]) > 0);
        pass(&v[1].a, &v[1].b);     /* the same chain, one more note */
        assert_true(list(p, &v[1]) <= 2);
    }
    if (list(p, &v[0]) != 0)
        fail_msg("a busy conversation pushed a quiet session's chains out of the cache");
    convs_free(v);
    enl_profile_close(p);
}

/* With every slot taken, the chains that go are the least recently
 * listed: a session listed again since stays. */
static void test_least_recently_used_goes(void **state)
{
    enl_profile *p = mkprofile("lru");
    conv *v = convs_new();
    (void)state;
    /* five sessions of five chains: 25 of the 32 slots */
    for (int i = 0; i < 5; i++) assert_true(list(p, &v[i]) > 0);
    assert_int_equal(list(p, &v[0]), 0);   /* listed again: the most recent */
    /* three more sessions: 15 chains, 8 of them in the place of others */
    for (int i = 5; i < 8; i++) assert_true(list(p, &v[i]) > 0);
    if (list(p, &v[0]) != 0) fail_msg("the session listed last but three lost its chains");
    assert_true(list(p, &v[1]) > 0);       /* the least recently listed went */
    convs_free(v);
    enl_profile_close(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_busy_chain_keeps_the_quiet_ones),
        cmocka_unit_test(test_least_recently_used_goes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
