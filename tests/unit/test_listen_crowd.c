/* A listener that a crowd holds on to still serves its contacts:
 *  - eight connections that never say a word take every handshake slot:
 *    the next connection (a contact's) cuts the one that has waited
 *    longest, and is served while the other seven still wait out their
 *    seconds (it waited in the queue until they were let go);
 *  - on an open relay, eight strangers (fresh keys cost nothing) that
 *    finish a handshake and then say nothing get six sessions at most: two
 *    are kept for contacts, and a contact's sync goes through while the
 *    strangers still hold theirs (it waited for the strangers' timeouts);
 *  - a contact holds one session at a time: a new one cuts the last.
 * Every connection is on loopback; every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/profile.h"
#include "crypto/identity.h"
#include "sync/link.h"
#include "transport/tcp.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-crowd-XXXXXX"
#include "profiles.h"

#include "listening.h"

#define CROWD 8

static void pause_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&t, NULL);
}

static int connect_to(const listening *l)
{
    char host[64], port[16];
    int fd = -1;
    assert_int_equal(enl_tcp_split(l->bound, host, sizeof host, port, sizeof port), ENL_OK);
    assert_int_equal(enl_tcp_connect(&fd, host, port, 5000), ENL_OK);
    return fd;
}

/* 1 while the listener has not closed fd's connection (nothing came: the
 * listener never writes to a silent or refused connection). */
static int still_held(int fd)
{
    uint8_t b;
    ssize_t r = recv(fd, &b, 1, MSG_DONTWAIT);
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static int held_count(const int *fds, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++) k += still_held(fds[i]);
    return k;
}

static int count_one(const enl_message *m, void *ctx)
{
    (void)m;
    (*(int *)ctx)++;
    return 0;
}

static void sync_and_read(enl_profile *from, enl_profile *to, const char *to_name,
                          const listening *l, const char *text)
{
    char target[128];
    enl_sync_stats st;
    int n = 0;
    assert_int_equal(enl_send_text(from, to_name, (const uint8_t *)text, strlen(text), NULL, NULL),
                     ENL_OK);
    snprintf(target, sizeof target, "tcp://%s@%s", to_name, l->bound);
    assert_int_equal(enl_sync_tcp(from, target, NULL, &st), ENL_OK);
    assert_int_equal(st.notes_sent, 1);
    assert_int_equal(enl_inbox_each(to, 0, count_one, &n), ENL_OK);
    assert_int_equal(n, 1);
}

static void test_silent_connections_make_room(void **state)
{
    enl_profile *lea = mkprofile("lea"), *mia = mkprofile("mia");
    int fds[CROWD];
    listening l;
    (void)state;
    introduce(mia, "mia", lea, "lea");
    start_listening(&l, lea, 0);
    for (int i = 0; i < CROWD; i++) fds[i] = connect_to(&l);
    /* taken in by the listener, and past the second after which the
     * oldest may be cut (EVICT_AFTER_MS) */
    pause_ms(1300);
    assert_int_equal(held_count(fds, CROWD), CROWD);

    sync_and_read(mia, lea, "lea", &l, "a pesar de todo");
    /* the oldest was cut for mia; the others still wait out their 5 s */
    if (held_count(fds, CROWD) < CROWD - 1)
        fail_msg("mia's sync waited behind the silent connections: %d of %d still held",
                 held_count(fds, CROWD), CROWD);
    assert_false(still_held(fds[0]));

    for (int i = 0; i < CROWD; i++) enl_tcp_close(fds[i]);
    stop_listening(&l);
    enl_profile_close(mia);
    enl_profile_close(lea);
}

static void test_strangers_leave_room_for_contacts(void **state)
{
    enl_profile *lea = mkprofile("lea2"), *mia = mkprofile("mia2");
    int fds[CROWD];
    enl_link links[CROWD];
    listening l;
    (void)state;
    introduce(mia, "mia", lea, "lea");
    start_listening(&l, lea, 1);
    for (int i = 0; i < CROWD; i++) {
        uint8_t pk[32], sk[32];
        crypto_box_keypair(pk, sk);
        fds[i] = connect_to(&l);
        assert_int_equal(enl_link_initiate(&links[i], fds[i], sk, lea->id->dh_pk, 5000), ENL_OK);
        sodium_memzero(sk, sizeof sk);
    }
    /* each stranger's session now waits for its first message (15 s) */
    pause_ms(300);

    sync_and_read(mia, lea, "lea", &l, "la olla es de todos");
    if (held_count(fds, CROWD) < ENL_LISTEN_SESSIONS - 2)
        fail_msg("mia's sync waited for the strangers' sessions to time out: %d of %d held",
                 held_count(fds, CROWD), CROWD);
    /* two strangers were turned away at once: those sessions are mia's */
    assert_int_equal(held_count(fds, CROWD), ENL_LISTEN_SESSIONS - 2);

    for (int i = 0; i < CROWD; i++) {
        enl_link_wipe(&links[i]);
        enl_tcp_close(fds[i]);
    }
    stop_listening(&l);
    enl_profile_close(mia);
    enl_profile_close(lea);
}

/* A contact who turned (or their seized device) opens session after
 * session with their real key and says nothing in any: each one cuts the
 * one before, so they hold one slot, and another contact's sync goes
 * through at once. (They held all eight, and noa waited out their
 * timeouts.) */
static void test_one_contact_holds_one_session(void **state)
{
    enl_profile *lea = mkprofile("lea3"), *mia = mkprofile("mia3"), *noa = mkprofile("noa3");
    int fds[CROWD];
    enl_link links[CROWD];
    listening l;
    (void)state;
    introduce(mia, "mia", lea, "lea");
    introduce(noa, "noa", lea, "lea");
    start_listening(&l, lea, 0);
    for (int i = 0; i < CROWD; i++) {
        fds[i] = connect_to(&l);
        assert_int_equal(enl_link_initiate(&links[i], fds[i], mia->id->dh_sk, lea->id->dh_pk, 5000),
                         ENL_OK);
        pause_ms(100);   /* in turn: the last one is the one kept */
    }
    pause_ms(300);
    if (held_count(fds, CROWD) != 1)
        fail_msg("mia holds %d sessions at once", held_count(fds, CROWD));
    assert_true(still_held(fds[CROWD - 1]));
    assert_int_equal(l.sessions_cut, CROWD - 1);   /* reported as cut, not as failed links */

    sync_and_read(noa, lea, "lea", &l, "la olla es del barrio");
    assert_true(still_held(fds[CROWD - 1]));

    for (int i = 0; i < CROWD; i++) {
        enl_link_wipe(&links[i]);
        enl_tcp_close(fds[i]);
    }
    stop_listening(&l);
    enl_profile_close(mia);
    enl_profile_close(noa);
    enl_profile_close(lea);
}

/* Several connections of one contact wait for a session at once, every
 * slot taken by others (lea, an open relay: six strangers, noa and ivo):
 * when the strangers go and slots free together, mia's must not each keep
 * one. (A cut only before the wait let all three in.) */
static void test_one_contact_waiting_at_once_holds_one(void **state)
{
    enl_profile *lea = mkprofile("lea4"), *mia = mkprofile("mia4"), *noa = mkprofile("noa4");
    enl_profile *ivo = mkprofile("ivo4");
    int sfd[6], mfd[3], cfd[2];
    enl_link sl[6], ml[3], cl[2];
    listening l;
    (void)state;
    introduce(mia, "mia", lea, "lea");
    introduce(noa, "noa", lea, "lea");
    introduce(ivo, "ivo", lea, "lea");
    start_listening(&l, lea, 1);
    for (int i = 0; i < 6; i++) {
        uint8_t pk[32], sk[32];
        crypto_box_keypair(pk, sk);
        sfd[i] = connect_to(&l);
        assert_int_equal(enl_link_initiate(&sl[i], sfd[i], sk, lea->id->dh_pk, 5000), ENL_OK);
        sodium_memzero(sk, sizeof sk);
    }
    cfd[0] = connect_to(&l);
    assert_int_equal(enl_link_initiate(&cl[0], cfd[0], noa->id->dh_sk, lea->id->dh_pk, 5000), ENL_OK);
    cfd[1] = connect_to(&l);
    assert_int_equal(enl_link_initiate(&cl[1], cfd[1], ivo->id->dh_sk, lea->id->dh_pk, 5000), ENL_OK);
    pause_ms(300);
    for (int i = 0; i < 3; i++) {
        mfd[i] = connect_to(&l);
        assert_int_equal(enl_link_initiate(&ml[i], mfd[i], mia->id->dh_sk, lea->id->dh_pk, 5000),
                         ENL_OK);
    }
    pause_ms(300);        /* all three wait for a session */
    for (int i = 0; i < 6; i++) {
        enl_link_wipe(&sl[i]);
        enl_tcp_close(sfd[i]);
    }
    pause_ms(1000);
    if (held_count(mfd, 3) != 1) fail_msg("mia holds %d sessions at once", held_count(mfd, 3));

    for (int i = 0; i < 3; i++) {
        enl_link_wipe(&ml[i]);
        enl_tcp_close(mfd[i]);
    }
    for (int i = 0; i < 2; i++) {
        enl_link_wipe(&cl[i]);
        enl_tcp_close(cfd[i]);
    }
    stop_listening(&l);
    enl_profile_close(mia);
    enl_profile_close(noa);
    enl_profile_close(ivo);
    enl_profile_close(lea);
}

/* A peer that keeps its session busy the documented way (each read's bytes
 * come just inside its deadline): the 2-byte length of a chunk in two
 * halves, then its body all but the last byte, then that byte. No valid
 * ciphertext is needed: the listener reads it all before it checks. */
typedef struct {
    int fd;
    long gap_ms;
} slow_peer;

static void *slow_peer_thread(void *arg)
{
    slow_peer *s = arg;
    uint8_t *junk = calloc(1, 65535);
    assert_non_null(junk);
    junk[0] = 0xff;
    (void)enl_tcp_write_all(s->fd, junk, 1, 5000);          /* length, high byte */
    pause_ms(s->gap_ms);
    (void)enl_tcp_write_all(s->fd, junk, 1, 5000);          /* length, low byte: 65535 */
    (void)enl_tcp_write_all(s->fd, junk, 65534, 5000);      /* the body but its last byte */
    pause_ms(s->gap_ms);
    (void)enl_tcp_write_all(s->fd, junk, 1, 5000);
    free(junk);
    return NULL;
}

/* Every session is busy (an open relay: six strangers and two contacts,
 * each trickling its bytes inside the links' deadline), and mia, a
 * contact, syncs. The listener accepts her key and makes her wait for a
 * session; when none frees in time it closes her link. Her sync must not
 * then say that the listener refused her profile (enlace.h: ENL_EREFUSED
 * "when the listener closed the link after the handshake (it does not
 * accept this profile)"): she is a contact, and a busy listener is not a
 * refusal: she hears that it was busy (BUSY), and tries again later. */
static void test_busy_listener_is_not_a_refusal(void **state)
{
    enl_profile *lea = mkprofile("lea5"), *mia = mkprofile("mia5"), *noa = mkprofile("noa5");
    enl_profile *ivo = mkprofile("ivo5");
    enum { HOLDERS = ENL_LISTEN_SESSIONS };
    int fds[HOLDERS], rc;
    enl_link links[HOLDERS];
    slow_peer sp[HOLDERS];
    pthread_t th[HOLDERS];
    char target[128];
    enl_sync_stats st;
    listening l;
    (void)state;
    introduce(mia, "mia", lea, "lea");
    introduce(noa, "noa", lea, "lea");
    introduce(ivo, "ivo", lea, "lea");
    start_listening_with(&l, lea, 1, 3000, 0);
    for (int i = 0; i < HOLDERS; i++) {
        uint8_t pk[32], sk[32];
        crypto_box_keypair(pk, sk);
        fds[i] = connect_to(&l);
        assert_int_equal(enl_link_initiate(&links[i], fds[i],
                                           i == 0 ? noa->id->dh_sk : i == 1 ? ivo->id->dh_sk : sk,
                                           lea->id->dh_pk, 5000), ENL_OK);
        sodium_memzero(sk, sizeof sk);
        sp[i].fd = fds[i];
        sp[i].gap_ms = 2400;      /* inside the listener's 3 s per read */
        assert_int_equal(pthread_create(&th[i], NULL, slow_peer_thread, &sp[i]), 0);
    }
    pause_ms(300);               /* all eight hold a session */
    assert_int_equal(held_count(fds, HOLDERS), HOLDERS);

    snprintf(target, sizeof target, "tcp://lea@%s", l.bound);
    rc = enl_sync_tcp(mia, target, NULL, &st);
    if (rc != ENL_EBUSY)
        fail_msg("a contact kept waiting by a busy listener was told (%d): %s", rc,
                 enl_profile_errmsg(mia));
    assert_non_null(strstr(enl_profile_errmsg(mia), "busy"));

    for (int i = 0; i < HOLDERS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        enl_link_wipe(&links[i]);
        enl_tcp_close(fds[i]);
    }
    stop_listening(&l);
    enl_profile_close(mia);
    enl_profile_close(noa);
    enl_profile_close(ivo);
    enl_profile_close(lea);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_silent_connections_make_room),
        cmocka_unit_test(test_strangers_leave_room_for_contacts),
        cmocka_unit_test(test_one_contact_holds_one_session),
        cmocka_unit_test(test_one_contact_waiting_at_once_holds_one),
        cmocka_unit_test(test_busy_listener_is_not_a_refusal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
