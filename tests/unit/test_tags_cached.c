/*
 * The recognition tags a session expects are kept in session memory
 * (core/tagcache.c) instead of being hashed again at every note. Kept
 * tags must be exactly what enl_ratchet_tags computes from the state at
 * hand, whatever happened since they were kept: a chain that advanced, in
 * order or not (skipped keys), a DH ratchet step (new header keys), a
 * chain begun again (a header key of its own), another session's notes in
 * between, a session forgotten (a burn). A cache keyed by anything less
 * than the header key and the number (by session, say, or by position in
 * the list) gives the old chain's tags after any of those, and the lists
 * compared here differ. Forgetting a session wipes its keys from the
 * cache: listing its old state again computes every tag. Counted, not
 * timed: enl_ratchet_tag is wrapped (the cache's calls, not the ratchet's
 * own).
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
#include "core/send.h"
#include "core/session.h"
#include "core/tagcache.h"
#include "crypto/ratchet.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-tags-cached-XXXXXX"
#include "profiles.h"
#include "conversation.h"

#include "tag_count.h"


typedef struct {
    uint8_t b[MSG_MAX];
    size_t len;
} msg;

/* The cached list of r's tags (as owner) is the one computed afresh.
 * Returns how many tags the cache had to compute. */
static unsigned same_tags(enl_profile *p, const uint8_t owner[32], const enl_ratchet *r)
{
    static uint8_t want[TAGS_MAX][16], got[TAGS_MAX][16];
    size_t nw = enl_ratchet_tags(r, want, TAGS_MAX, WINDOW), ng;
    computed = 0;
    ng = enl_tags_cached(p, owner, r, got, TAGS_MAX, WINDOW);
    assert_int_equal(ng, nw);
    assert_memory_equal(got, want, nw * 16);
    return computed;
}

static void seal(enl_ratchet *r, msg *m)
{
    static const uint8_t pt[8] = "a note..";
    m->len = sizeof pt + ENL_RATCHET_OVERHEAD;
    assert_int_equal(enl_ratchet_encrypt(r, m->b, m->len, AD, sizeof AD, pt, sizeof pt), ENL_OK);
}

static void open_ok(enl_ratchet *r, const msg *m)
{
    uint8_t pt[MSG_MAX];
    size_t n = 0;
    assert_int_equal(enl_ratchet_decrypt(r, pt, &n, AD, sizeof AD, m->b, m->len, NULL), ENL_OK);
}

static void pair_new(enl_ratchet *a, enl_ratchet *b)
{
    uint8_t sk[32], bsk[32], bpk[32], hka[32], nhkb[32];
    randombytes_buf(sk, 32);
    randombytes_buf(bsk, 32);
    randombytes_buf(hka, 32);
    randombytes_buf(nhkb, 32);
    assert_int_equal(crypto_scalarmult_base(bpk, bsk), 0);
    assert_int_equal(enl_ratchet_init_alice(a, sk, bpk, hka, nhkb), ENL_OK);
    assert_int_equal(enl_ratchet_init_bob(b, sk, bsk, bpk, hka, nhkb), ENL_OK);
}

/* Two sessions' states, listed as two owners of one profile's cache after
 * every message: in order, out of order, across DH steps and a restart. */
static void test_cached_tags_are_the_computed_ones(void **state)
{
    enl_profile *p = mkprofile("cache");
    enl_ratchet *a = sodium_malloc(sizeof *a), *b = sodium_malloc(sizeof *b);
    enl_ratchet *c = sodium_malloc(sizeof *c), *d = sodium_malloc(sizeof *d);
    uint8_t ob[32], od[32];
    msg m[8], x;
    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_non_null(d);
    memset(a, 0, sizeof *a);
    memset(b, 0, sizeof *b);
    memset(c, 0, sizeof *c);
    memset(d, 0, sizeof *d);
    randombytes_buf(ob, sizeof ob);
    randombytes_buf(od, sizeof od);
    pair_new(a, b);
    pair_new(c, d);
    same_tags(p, ob, b);
    same_tags(p, od, d);
    assert_int_equal(same_tags(p, ob, b), 0);            /* kept: nothing to hash */

    /* The first notes: a DH step each side, into its first chain. */
    seal(a, &x);
    open_ok(b, &x);
    same_tags(p, ob, b);
    seal(c, &x);
    open_ok(d, &x);
    same_tags(p, od, d);
    /* A chain that advances, note by note, the other session between. */
    for (int i = 0; i < 300; i++) {   /* past the ring's size */
        seal(a, &x);
        open_ok(b, &x);
        assert_true(same_tags(p, ob, b) <= 2);           /* the window's new end, a checkpoint */
        seal(c, &x);
        open_ok(d, &x);
        same_tags(p, od, d);
    }
    /* Out of order: skipped keys, then the notes they open. */
    for (int i = 0; i < 8; i++) seal(a, &m[i]);
    open_ok(b, &m[7]);
    same_tags(p, ob, b);
    for (int i = 0; i < 7; i += 2) {
        open_ok(b, &m[i]);
        same_tags(p, ob, b);
    }
    /* DH ratchet steps both ways: new header keys each time. */
    for (int round = 0; round < 3; round++) {
        seal(b, &x);
        open_ok(a, &x);
        seal(a, &x);
        open_ok(b, &x);
        same_tags(p, ob, b);
        same_tags(p, od, d);
    }
    /* A chain begun again (a restart): the peer's next chain under a header
     * key derived from the one expected, then a DH step past it. */
    seal(b, &x);
    open_ok(a, &x);
    assert_int_equal(enl_ratchet_restart_sending(a), ENL_OK);
    seal(a, &x);
    open_ok(b, &x);
    same_tags(p, ob, b);
    seal(b, &x);
    open_ok(a, &x);
    seal(a, &x);
    open_ok(b, &x);
    same_tags(p, ob, b);
    same_tags(p, od, d);
    enl_ratchet_wipe(a);
    enl_ratchet_wipe(b);
    enl_ratchet_wipe(c);
    enl_ratchet_wipe(d);
    sodium_free(a);
    sodium_free(b);
    sodium_free(c);
    sodium_free(d);
    enl_profile_close(p);
}

/* Every tag of the session's state leads the store to the session. */
static void stored_tags_right(enl_profile *p, enl_profile *peer, int role)
{
    static uint8_t tags[TAGS_MAX][16];
    enl_session *s = enl_secmem_alloc(sizeof *s);
    uint8_t h[32], got[32];
    size_t n;
    assert_non_null(s);
    enl_session_key(p, peer->id->dh_pk, (uint8_t)role, h);
    assert_int_equal(enl_session_load(p, h, s), ENL_OK);
    n = enl_ratchet_tags(&s->r, tags, TAGS_MAX, WINDOW);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(enl_store_tag_lookup(p->st, tags[i], got), ENL_OK);
        assert_memory_equal(got, h, 32);
    }
    enl_secmem_free(s);
}

/* Through the library: beto talks with ana and carla at once, his store's
 * tags always those of his sessions' states; forgetting ana's sessions (a
 * burn) wipes her chains from his cache, and carla's still serve. */
static void test_sessions_of_two_contacts_and_a_forget(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto"), *carla = mkprofile("carla");
    enl_session *s = enl_secmem_alloc(sizeof *s);
    uint8_t h[32];
    char text[32];
    (void)state;
    assert_non_null(s);
    greet(ana, beto);
    introduce(carla, "carla", beto, "beto");
    tell(carla, "beto", beto, "hola");
    tell(beto, "carla", carla, "hola carla");
    for (int i = 0; i < 10; i++) {
        snprintf(text, sizeof text, "nota %d", i);
        tell(ana, "beto", beto, text);
        tell(carla, "beto", beto, text);
        if (i % 3 == 2) {
            tell(beto, "ana", ana, text);
            tell(beto, "carla", carla, text);
        }
        stored_tags_right(beto, ana, 0);
        stored_tags_right(beto, carla, 0);
    }
    enl_session_key(beto, ana->id->dh_pk, 0, h);
    assert_int_equal(enl_session_load(beto, h, s), ENL_OK);
    assert_int_equal(same_tags(beto, h, &s->r), 0);       /* kept since his last save */
    assert_int_equal(enl_sessions_forget(beto, ana->id->dh_pk), ENL_OK);
    assert_true(same_tags(beto, h, &s->r) >= 3 * WINDOW); /* wiped: computed anew */
    enl_tags_forget(beto, h);
    enl_session_key(beto, carla->id->dh_pk, 0, h);
    tell(carla, "beto", beto, "sigo");
    stored_tags_right(beto, carla, 0);
    enl_secmem_free(s);
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carla);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cached_tags_are_the_computed_ones),
        cmocka_unit_test(test_sessions_of_two_contacts_and_a_forget),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
