/* A store that differs from its peer's in many items (a courier full of
 * notes meeting a new device) takes a few hundred rounds of reconciliation:
 * each round settles some hundreds of differences, since a message holds
 * only so many ids. A flat cap on rounds cut such an honest peer off before
 * anything moved, and at every later sync the same: the two devices could
 * never sync. The cap grows with the differences settled. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/profile.h"
#include "sync/link.h"
#include "sync/reconcile.h"
#include "transport/tcp.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-recon-many-XXXXXX"
#include "profiles.h"

#include "listening.h"

#define MSG_BYTES (1 + 3 * (4 + ENL_RECON_MSG_MAX))
/* More than 256 rounds' worth of differences (about 520 a round when one
 * side holds them all). */
#define NOTES 150000

static int by_id(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static size_t u32_at(const uint8_t *b)
{
    return ((size_t)b[0] << 24) | ((size_t)b[1] << 16) | ((size_t)b[2] << 8) | b[3];
}

static void put_u32(uint8_t *b, size_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

/* Plays an honest initiator that holds no burns, no purges and n notes
 * (keys), all of which the listener lacks; it sends none of them (an END
 * at once: fewer than announced is allowed). *rounds: the RECON messages
 * it received. ENL_OK when the whole session went through. */
static int honest_initiator(enl_link *link, const uint8_t (*keys)[32], size_t n, int *rounds)
{
    static uint8_t scratch0[64], scratch1[64];
    uint8_t salt[ENL_RECON_SALTBYTES], *in = malloc(MSG_BYTES), *out = malloc(MSG_BYTES);
    uint8_t *scratch2 = malloc(enl_recon_scratch_bytes(n));
    uint8_t *scratch[3] = { scratch0, scratch1, scratch2 };
    size_t scratch_len[3] = { sizeof scratch0, sizeof scratch1, enl_recon_scratch_bytes(n) };
    enl_recon r[3];
    int done[3] = { 0, 0, 0 }, rc = ENL_OK;
    size_t off = 1, len = 0;

    assert_non_null(in);
    assert_non_null(out);
    assert_non_null(scratch2);
    randombytes_buf(salt, sizeof salt);
    out[0] = 0x01;
    for (int i = 0; i < 3; i++) {
        size_t ol = 0;
        assert_int_equal(enl_recon_init(&r[i], i == 2 ? keys : NULL, i == 2 ? n : 0, 1,
                                        recon_nothing, recon_nothing, NULL, scratch[i],
                                        scratch_len[i]), ENL_OK);
        assert_int_equal(enl_recon_first(&r[i], salt, out + off + 4, ENL_RECON_MSG_MAX, &ol), ENL_OK);
        put_u32(out + off, ol);
        off += 4 + ol;
    }
    rc = enl_link_send(link, out, off);
    *rounds = 0;
    while (rc == ENL_OK && !(done[0] && done[1] && done[2])) {
        size_t at = 1;
        int any = 0;
        if ((rc = enl_link_recv(link, in, MSG_BYTES, &len)) != ENL_OK) break;
        ++*rounds;
        if (len < 1 || in[0] != 0x01) { rc = ENL_EPROTO; break; }
        off = 1;
        for (int i = 0; rc == ENL_OK && i < 3; i++) {
            size_t k, ol = 0;
            int d = 0;
            if (len - at < 4 || (k = u32_at(in + at)) > len - at - 4) { rc = ENL_EPROTO; break; }
            at += 4;
            if (k > 0) {
                rc = enl_recon_step(&r[i], in + at, k, out + off + 4, ENL_RECON_MSG_MAX, &ol, &d);
                done[i] = d;
            } else if (!done[i]) {
                rc = ENL_EPROTO;
            }
            at += k;
            put_u32(out + off, ol);
            off += 4 + ol;
            any |= ol > 0;
        }
        if (rc == ENL_OK && any) rc = enl_link_send(link, out, off);
    }
    /* Burns and purges: nothing to move either way, skipped by both. Notes:
     * the initiator's turn first (END at once), then the listener's (it has
     * nothing: END). */
    if (rc == ENL_OK) {
        out[0] = 0x04;
        rc = enl_link_send(link, out, 1);
    }
    if (rc == ENL_OK) rc = enl_link_recv(link, in, MSG_BYTES, &len);
    if (rc == ENL_OK && (len != 1 || in[0] != 0x04)) rc = ENL_EPROTO;
    free(in);
    free(out);
    free(scratch2);
    return rc;
}

static void test_many_differences_reconcile(void **state)
{
    enl_profile *lea = mkprofile("lea"), *mal = mkprofile("mal");
    uint8_t (*keys)[32] = malloc((size_t)NOTES * 32);
    listening l;
    enl_link link;
    char host[64], port[16];
    int fd = -1, rc, rounds = 0;
    (void)state;

    assert_non_null(keys);
    randombytes_buf(keys, (size_t)NOTES * 32);
    qsort(keys, NOTES, 32, by_id);
    introduce(mal, "mal", lea, "lea");
    start_listening_with(&l, lea, 0, 5000, 1);
    assert_int_equal(enl_tcp_split(l.bound, host, sizeof host, port, sizeof port), ENL_OK);
    assert_int_equal(enl_tcp_connect(&fd, host, port, 5000), ENL_OK);
    assert_int_equal(enl_link_initiate(&link, fd, mal->id->dh_sk, lea->id->dh_pk, 5000), ENL_OK);
    rc = honest_initiator(&link, (const uint8_t (*)[32])keys, NOTES, &rounds);
    enl_link_wipe(&link);
    enl_tcp_close(fd);
    /* a listener for one session returns its result */
    assert_int_equal(pthread_join(l.thread, NULL), 0);
    print_message("reconciliation of %d differences: %d rounds\n", NOTES, rounds);
    assert_true(rounds > 256);          /* what the flat cap refused */
    assert_int_equal(rc, ENL_OK);
    assert_int_equal(l.sessions_ok, 1);
    assert_int_equal(l.last_rc, ENL_OK);
    free(keys);
    enl_profile_close(mal);
    enl_profile_close(lea);
}

/* A peer that keeps the reconciliation going without settling anything
 * (a fresh fingerprint of the whole space every round, never an answer)
 * is still cut off after 256 rounds. */
static void test_no_progress_is_cut_off(void **state)
{
    enl_profile *lea = mkprofile("lea2"), *mal = mkprofile("mal2");
    uint8_t *in = malloc(MSG_BYTES), m[128];
    listening l;
    enl_link link;
    char host[64], port[16];
    int fd = -1, rounds = 0;
    size_t len = 0;
    (void)state;

    assert_non_null(in);
    introduce(mal, "mal2", lea, "lea2");
    start_listening_with(&l, lea, 0, 5000, 1);
    assert_int_equal(enl_tcp_split(l.bound, host, sizeof host, port, sizeof port), ENL_OK);
    assert_int_equal(enl_tcp_connect(&fd, host, port, 5000), ENL_OK);
    assert_int_equal(enl_link_initiate(&link, fd, mal->id->dh_sk, lea->id->dh_pk, 5000), ENL_OK);
    for (;;) {
        size_t off = 1;
        m[0] = 0x01;
        for (int i = 0; i < 3; i++) {
            size_t at = off + 4, n;
            if (rounds > 0 && i < 2) {       /* burns and purges: settled at once */
                put_u32(m + off, 0);
                off += 4;
                continue;
            }
            m[at++] = ENL_RECON_VERSION;
            if (rounds == 0) {
                randombytes_buf(m + at, ENL_RECON_SALTBYTES);
                at += ENL_RECON_SALTBYTES;
            }
            if (i < 2) {
                m[at++] = 2 << 6 | 63;       /* an empty list up to infinity */
                m[at++] = 0;
            } else {
                m[at++] = 1 << 6 | 63;       /* a fingerprint up to infinity */
                randombytes_buf(m + at, ENL_RECON_FPBYTES);
                at += ENL_RECON_FPBYTES;
            }
            n = at - off - 4;
            put_u32(m + off, n);
            off = at;
        }
        if (enl_link_send(&link, m, off) != ENL_OK) break;
        if (enl_link_recv(&link, in, MSG_BYTES, &len) != ENL_OK) break;
        if (++rounds > 5000) break;
    }
    enl_link_wipe(&link);
    enl_tcp_close(fd);
    assert_int_equal(pthread_join(l.thread, NULL), 0);
    assert_int_equal(rounds, 256);
    assert_int_equal(l.last_rc, ENL_EPROTO);
    free(in);
    enl_profile_close(mal);
    enl_profile_close(lea);
}

/* A peer that settles (or claims to) enough every round to earn the next
 * one, here by listing the same 64 notes the listener lacks again and
 * again beside a fingerprint that keeps the set open, is cut off after
 * 4,096 rounds. */
static void test_hard_cap_holds(void **state)
{
    enl_profile *lea = mkprofile("lea3"), *mal = mkprofile("mal3");
    uint8_t *in = malloc(MSG_BYTES), *m = malloc(4096), ids[64][32];
    listening l;
    enl_link link;
    char host[64], port[16];
    int fd = -1, rounds = 0;
    size_t len = 0;
    (void)state;

    assert_non_null(in);
    assert_non_null(m);
    randombytes_buf(ids, sizeof ids);
    for (int k = 0; k < 64; k++) ids[k][0] &= 0x7f;      /* below the bound 80 */
    qsort(ids, 64, 32, by_id);
    introduce(mal, "mal3", lea, "lea3");
    start_listening_with(&l, lea, 0, 5000, 1);
    assert_int_equal(enl_tcp_split(l.bound, host, sizeof host, port, sizeof port), ENL_OK);
    assert_int_equal(enl_tcp_connect(&fd, host, port, 5000), ENL_OK);
    assert_int_equal(enl_link_initiate(&link, fd, mal->id->dh_sk, lea->id->dh_pk, 5000), ENL_OK);
    for (;;) {
        size_t off = 1;
        m[0] = 0x01;
        for (int i = 0; i < 3; i++) {
            size_t at = off + 4;
            if (rounds > 0 && i < 2) {
                put_u32(m + off, 0);
                off += 4;
                continue;
            }
            m[at++] = ENL_RECON_VERSION;
            if (rounds == 0) {
                randombytes_buf(m + at, ENL_RECON_SALTBYTES);
                at += ENL_RECON_SALTBYTES;
            }
            if (i < 2) {
                m[at++] = 2 << 6 | 63;
                m[at++] = 0;
            } else {
                m[at++] = 2 << 6;            /* a list up to 80 (s = 0, one byte) */
                m[at++] = 0x80;
                m[at++] = 64;
                memcpy(m + at, ids, sizeof ids);
                at += sizeof ids;
                m[at++] = 1 << 6 | 63;       /* then a fingerprint up to infinity */
                randombytes_buf(m + at, ENL_RECON_FPBYTES);
                at += ENL_RECON_FPBYTES;
            }
            put_u32(m + off, at - off - 4);
            off = at;
        }
        if (enl_link_send(&link, m, off) != ENL_OK) break;
        if (enl_link_recv(&link, in, MSG_BYTES, &len) != ENL_OK) break;
        if (++rounds > 10000) break;
    }
    enl_link_wipe(&link);
    enl_tcp_close(fd);
    assert_int_equal(pthread_join(l.thread, NULL), 0);
    assert_int_equal(rounds, 4096);
    assert_int_equal(l.last_rc, ENL_EPROTO);
    free(in);
    free(m);
    enl_profile_close(mal);
    enl_profile_close(lea);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_differences_reconcile),
        cmocka_unit_test(test_no_progress_is_cut_off),
        cmocka_unit_test(test_hard_cap_holds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
