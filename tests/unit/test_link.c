/*
 * The Noise XK link over a socketpair: handshake, chunked messages of every
 * interesting size, and the ways a hostile or broken peer is cut off. The
 * responder runs in a forked child; its verdict comes back as exit status.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enlace.h"
#include "sync/link.h"

static uint8_t a_sk[32], a_pk[32], b_sk[32], b_pk[32], c_sk[32], c_pk[32];

static void pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
}

static int child_exit(pid_t pid)
{
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

static const size_t sizes[] = { 0, 1, 100, ENL_LINK_CHUNK - 1, ENL_LINK_CHUNK, ENL_LINK_CHUNK + 1,
                                3 * ENL_LINK_CHUNK + 7, ENL_LINK_MSG_MAX };
#define NSIZES (sizeof sizes / sizeof sizes[0])

static void fill(uint8_t *b, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(seed + i * 7);
}

/* Responder: echo every message back, check the peer's key. */
static int echo_child(int fd)
{
    enl_link l;
    uint8_t *buf = malloc(ENL_LINK_MSG_MAX);
    if (enl_link_respond(&l, fd, b_sk, 2000) != ENL_OK) return 1;
    if (memcmp(l.peer, a_pk, 32) != 0) return 2;
    for (size_t i = 0; i < NSIZES; i++) {
        size_t n = 0;
        if (enl_link_recv(&l, buf, ENL_LINK_MSG_MAX, &n) != ENL_OK) return 3;
        if (enl_link_send(&l, buf, n) != ENL_OK) return 4;
    }
    enl_link_wipe(&l);
    free(buf);
    return 0;
}

static void test_handshake_and_sizes(void **state)
{
    int sv[2];
    pid_t pid;
    enl_link l;
    uint8_t *out = malloc(ENL_LINK_MSG_MAX), *in = malloc(ENL_LINK_MSG_MAX);
    (void)state;
    pair(sv);
    if ((pid = fork()) == 0) { close(sv[0]); _exit(echo_child(sv[1])); }
    close(sv[1]);
    assert_int_equal(enl_link_initiate(&l, sv[0], a_sk, b_pk, 2000), ENL_OK);
    for (size_t i = 0; i < NSIZES; i++) {
        size_t n = 0;
        fill(out, sizes[i], (uint8_t)i);
        assert_int_equal(enl_link_send(&l, out, sizes[i]), ENL_OK);
        assert_int_equal(enl_link_recv(&l, in, ENL_LINK_MSG_MAX, &n), ENL_OK);
        assert_int_equal(n, sizes[i]);
        assert_memory_equal(in, out, n);
    }
    assert_int_equal(enl_link_send(&l, out, ENL_LINK_MSG_MAX + 1), ENL_ETOOBIG);
    enl_link_wipe(&l);
    close(sv[0]);
    assert_int_equal(child_exit(pid), 0);
    free(out);
    free(in);
}

/* The responder must say nothing at all to an initiator without its key. */
static void test_wrong_key_gets_silence(void **state)
{
    int sv[2];
    pid_t pid;
    enl_link l;
    uint8_t b;
    (void)state;
    pair(sv);
    if ((pid = fork()) == 0) {
        enl_link r;
        int rc;
        close(sv[0]);
        rc = enl_link_respond(&r, sv[1], b_sk, 2000);
        _exit(rc == ENL_EDECRYPT ? 0 : 1);
    }
    close(sv[1]);
    /* c_pk is not the responder's key. */
    assert_int_not_equal(enl_link_initiate(&l, sv[0], a_sk, c_pk, 2000), ENL_OK);
    assert_int_equal(child_exit(pid), 0);
    /* Nothing was ever written back. */
    assert_true(recv(sv[0], &b, 1, 0) <= 0);
    close(sv[0]);
}

static void test_random_bytes_get_silence(void **state)
{
    int sv[2];
    pid_t pid;
    uint8_t junk[2 + ENL_LINK_HS1_BYTES], b;
    (void)state;
    pair(sv);
    if ((pid = fork()) == 0) {
        enl_link r;
        int rc;
        close(sv[0]);
        rc = enl_link_respond(&r, sv[1], b_sk, 2000);
        _exit(rc != ENL_OK ? 0 : 1);
    }
    close(sv[1]);
    randombytes_buf(junk, sizeof junk);
    junk[0] = 0;
    junk[1] = ENL_LINK_HS1_BYTES;
    assert_int_equal(write(sv[0], junk, sizeof junk), (ssize_t)sizeof junk);
    assert_int_equal(child_exit(pid), 0);
    assert_true(recv(sv[0], &b, 1, 0) <= 0);
    close(sv[0]);
}

/* After the handshake: a peer that sends garbage, claims an oversized
 * message, or stalls, is cut off with an error. One that closes the
 * connection, between messages or inside one, is told apart from one
 * that broke the protocol (closed): a listener whose disk failed closes
 * the link, and the syncing side said "protocol violation by the peer". */
static void hostile_after_handshake(int mode, int expect)
{
    int sv[2];
    pid_t pid;
    (void)expect;
    pair(sv);
    if ((pid = fork()) == 0) {
        enl_link r;
        uint8_t *buf = malloc(ENL_LINK_MSG_MAX);
        size_t n = 0;
        int rc;
        close(sv[0]);
        if (enl_link_respond(&r, sv[1], b_sk, 2000) != ENL_OK) _exit(10);
        r.timeout_ms = 300;
        rc = enl_link_recv(&r, buf, mode == 2 ? 1000 : ENL_LINK_MSG_MAX, &n);
        if (r.closed != (mode >= 5)) _exit(19);
        _exit(rc == expect ? 0 : 20 + (-rc));
    }
    close(sv[1]);
    {
        enl_link l;
        uint8_t junk[100];
        assert_int_equal(enl_link_initiate(&l, sv[0], a_sk, b_pk, 2000), ENL_OK);
        if (mode == 1) {            /* garbage that does not authenticate */
            randombytes_buf(junk, sizeof junk);
            junk[0] = 0;
            junk[1] = 98;
            assert_int_equal(write(sv[0], junk, sizeof junk), (ssize_t)sizeof junk);
        } else if (mode == 2) {     /* a message larger than the receiver allows */
            uint8_t *big = calloc(1, 5000);
            assert_int_equal(enl_link_send(&l, big, 5000), ENL_OK);
            free(big);
        } else if (mode == 4) {     /* empty chunks that say "more", on and on */
            for (int i = 0; i < 50; i++) {
                uint8_t pt[1] = { 1 }, frame[2 + 1 + ENL_NOISE_TAGLEN];
                assert_int_equal(enl_cipher_encrypt(&l.tx, frame + 2, NULL, 0, pt, 1), ENL_OK);
                frame[0] = 0;
                frame[1] = 1 + ENL_NOISE_TAGLEN;
                /* the responder cuts the link after the first: no SIGPIPE */
                if (send(sv[0], frame, sizeof frame, MSG_NOSIGNAL) != (ssize_t)sizeof frame) break;
            }
        } else if (mode == 6) {     /* half a message, then the close */
            junk[0] = 0;
            junk[1] = 98;
            assert_int_equal(write(sv[0], junk, 40), 40);
        } /* mode 3: stall; mode 5: the close at once */
        if (mode >= 5) shutdown(sv[0], SHUT_WR);
        assert_int_equal(child_exit(pid), 0);
        enl_link_wipe(&l);
    }
    close(sv[0]);
}

static void test_garbage_is_cut_off(void **state) { (void)state; hostile_after_handshake(1, ENL_EDECRYPT); }
static void test_oversized_is_cut_off(void **state) { (void)state; hostile_after_handshake(2, ENL_ETOOBIG); }
static void test_stall_times_out(void **state) { (void)state; hostile_after_handshake(3, ENL_ETIMEOUT); }
static void test_empty_chunks_are_cut_off(void **state) { (void)state; hostile_after_handshake(4, ENL_EPROTO); }
static void test_close_is_not_a_violation(void **state) { (void)state; hostile_after_handshake(5, ENL_EPROTO); }
static void test_close_inside_a_message(void **state) { (void)state; hostile_after_handshake(6, ENL_EPROTO); }

/* A prober that sends nothing, a length that is not the handshake's, or the
 * right length and junk, gets the same answer: the responder says nothing
 * and waits until the prober goes or its time is out (it never answers
 * sooner, whatever was sent). */
static void probe(const uint8_t *bytes, size_t n)
{
    int sv[2];
    pid_t pid;
    uint8_t b;
    pair(sv);
    if ((pid = fork()) == 0) {
        enl_link r;
        struct timespec t0, t1;
        long ms;
        int rc;
        close(sv[0]);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = enl_link_respond(&r, sv[1], b_sk, 600);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ms = (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        _exit(rc == ENL_EDECRYPT && ms >= 550 ? 0 : 1);
    }
    close(sv[1]);
    /* All of it, as fast as the responder reads (the socket does not
     * block; each wait is bounded); MSG_NOSIGNAL: a responder that stops
     * early has closed its end. */
    for (size_t off = 0; off < n;) {
        ssize_t w = send(sv[0], bytes + off, n - off, MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
        } else {
            struct pollfd pf = { .fd = sv[0], .events = POLLOUT };
            if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;
            if (poll(&pf, 1, 2000) <= 0) break;
        }
    }
    assert_int_equal(child_exit(pid), 0);
    assert_true(recv(sv[0], &b, 1, MSG_DONTWAIT) <= 0);
    close(sv[0]);
}

static void test_probes_look_alike(void **state)
{
    uint8_t m[2 + ENL_LINK_HS1_BYTES];
    (void)state;
    probe(NULL, 0);
    randombytes_buf(m, sizeof m);
    m[0] = 0;
    m[1] = 0x31;                    /* not the handshake's length */
    probe(m, 12);
    probe(m, sizeof m);
    m[1] = ENL_LINK_HS1_BYTES;      /* the right length, junk in it */
    probe(m, sizeof m);
    {
        /* more than the responder ever reads of a probe: it stopped reading
         * after 1 MiB and closed at once, a sooner answer (and a reset)
         * that told a flooding prober an enlace listener was there */
        size_t big = (size_t)3 << 20;
        uint8_t *flood = malloc(big);
        assert_non_null(flood);
        randombytes_buf(flood, big);
        probe(flood, big);
        free(flood);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_and_sizes),
        cmocka_unit_test(test_wrong_key_gets_silence),
        cmocka_unit_test(test_random_bytes_get_silence),
        cmocka_unit_test(test_garbage_is_cut_off),
        cmocka_unit_test(test_oversized_is_cut_off),
        cmocka_unit_test(test_stall_times_out),
        cmocka_unit_test(test_empty_chunks_are_cut_off),
        cmocka_unit_test(test_close_is_not_a_violation),
        cmocka_unit_test(test_close_inside_a_message),
        cmocka_unit_test(test_probes_look_alike),
    };
    if (enl_init() != ENL_OK) return 1;
    randombytes_buf(a_sk, 32); crypto_scalarmult_base(a_pk, a_sk);
    randombytes_buf(b_sk, 32); crypto_scalarmult_base(b_pk, b_sk);
    randombytes_buf(c_sk, 32); crypto_scalarmult_base(c_pk, c_sk);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
