/*
 * A member who was away while a cell kept writing: the notes sealed
 * meanwhile expired before they reached their device, so the next ones
 * are further along the writer's sender key chain than its window of 32.
 * Before checkpoints (crypto/senderkey.h) that member read none of the
 * writer's cell notes again until the membership changed. Now:
 *
 *   - after 40 notes that expired on the way, the next 8 are all read;
 *   - notes that only come later, by a slower road, are read as well
 *     (the stretch passed over is kept as a gap);
 *   - the gap is forgotten, at open, once every note in it has expired.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "core/cells.h"
#include "core/profile.h"
#include "core/send.h"
#include "core/session.h"
#include "crypto/senderkey.h"
#include "store/store.h"
#include "util/bytes.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-cellaway-XXXXXX"
#include "profiles.h"
#include "conversation.h"

#define N 48

static void cell_says(enl_profile *p, int i, uint32_t hours, uint8_t id[ENL_IDBYTES])
{
    char text[32];
    enl_send_opts o = { hours, 0, 0 };
    snprintf(text, sizeof text, "olla %d", i);
    assert_int_equal(enl_cell_send(p, "olla", (const uint8_t *)text, strlen(text),
                                   hours ? &o : NULL, id), ENL_OK);
}

static int reads(enl_profile *p, int i)
{
    char text[32];
    snprintf(text, sizeof text, "olla %d", i);
    return has_message(p, text);
}

/* How many of ana's sender keys held by p have a gap. */
static int gap_seen(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    enl_senderkey *sk = enl_secmem_alloc(sizeof *sk);
    size_t fixed = 1 + 32 + 32 + 32 + 32 + 2;
    (void)seq;
    assert_non_null(sk);
    assert_true(len > fixed);
    assert_int_equal(enl_senderkey_parse(sk, pt + fixed, len - fixed), ENL_OK);
    *(int *)ctx += sk->gap.on;
    enl_secmem_free(sk);
    return 0;
}
static int gaps(enl_profile *p)
{
    int n = 0;
    assert_int_equal(enl_store_row_each(p->st, "senderkeys", gap_seen, &n), ENL_OK);
    return n;
}

static void test_notes_after_expired_ones_are_read(void **state)
{
    enl_profile *ana = mkprofile("ana1"), *beto = mkprofile("beto1"), *carmen = mkprofile("carmen1");
    uint8_t id[ENL_IDBYTES];
    (void)state;
    at(T0);
    cell_of_three(ana, beto, carmen);
    /* carmen is away: 40 notes that live an hour reach only beto */
    for (int i = 0; i < 40; i++) cell_says(ana, i, 1, id);
    carry_all(ana, beto);
    assert_true(reads(beto, 0) && reads(beto, 39));
    at(T0 + 3 * HOUR);
    for (int i = 40; i < N; i++) cell_says(ana, i, 0, id);
    carry_all(ana, carmen);
    carry_all(beto, carmen);
    for (int i = 0; i < 40; i++) assert_false(reads(carmen, i));     /* expired */
    for (int i = 40; i < N; i++) assert_true(reads(carmen, i));
    cell_says(ana, N, 0, id);
    give(ana, carmen, id);
    assert_true(reads(carmen, N));
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    unsetenv("ENLACE_NOW");
}

static void test_slow_road_after_a_jump(void **state)
{
    enl_profile *ana = mkprofile("ana2"), *beto = mkprofile("beto2"), *carmen = mkprofile("carmen2");
    static uint8_t ids[N][ENL_IDBYTES];
    char home[300];
    (void)state;
    at(T0);
    cell_of_three(ana, beto, carmen);
    for (int i = 0; i < N; i++) cell_says(ana, i, 0, ids[i]);
    /* a fast courier brings the last 8 first ... */
    for (int i = 40; i < N; i++) give(ana, carmen, ids[i]);
    for (int i = 40; i < N; i++) assert_true(reads(carmen, i));
    assert_int_equal(gaps(carmen), 1);
    /* ... the slow one the first 40 but one, a week later, in its own
     * order (the gap's last note, 7, never comes: it stays open) */
    at(T0 + 7 * DAY);
    for (int i = 39; i >= 0; i--)
        if (i != 7) give(ana, carmen, ids[i]);
    for (int i = 0; i < 40; i++) assert_int_equal(reads(carmen, i), i != 7);
    assert_int_equal(gaps(carmen), 1);
    /* once every note before the jump has expired, opening the profile
     * forgets what was kept for them */
    enl_profile_close(carmen);
    snprintf(home, sizeof home, "%s/carmen2", root);
    at(T0 + (ENL_EXPIRY_MAX_HOURS + 48) * HOUR);
    assert_int_equal(enl_profile_open(&carmen, home, "pw", 2), ENL_OK);
    assert_int_equal(gaps(carmen), 0);
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    unsetenv("ENLACE_NOW");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notes_after_expired_ones_are_read),
        cmocka_unit_test(test_slow_road_after_a_jump),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
