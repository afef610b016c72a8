/*
 * A member who was away while a cell kept writing: the notes sealed
 * meanwhile expired before they reached their device, so the next ones
 * are further along the writer's sender key chain than its window of 32.
 * Before checkpoints (crypto/senderkey.h) that member read none of the
 * writer's cell notes again until the membership changed. Now:
 *
 *   - after 40 notes that expired on the way, the next 8 are all read;
 *   - notes that only come later, by a slower road, are read as well
 *     (the keys of the reader's window and of the 32 before the note that
 *     moved it are kept).
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
    assert_true(reads_olla(beto, 0) && reads_olla(beto, 39));
    at(T0 + 3 * HOUR);
    for (int i = 40; i < N; i++) cell_says(ana, i, 0, id);
    carry_all(ana, carmen);
    carry_all(beto, carmen);
    for (int i = 0; i < 40; i++) assert_false(reads_olla(carmen, i));     /* expired */
    for (int i = 40; i < N; i++) assert_true(reads_olla(carmen, i));
    cell_says(ana, N, 0, id);
    give(ana, carmen, id);
    assert_true(reads_olla(carmen, N));
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    unsetenv("ENLACE_NOW");
}

static void test_slow_road_after_a_jump(void **state)
{
    enl_profile *ana = mkprofile("ana2"), *beto = mkprofile("beto2"), *carmen = mkprofile("carmen2");
    static uint8_t ids[N][ENL_IDBYTES];
    (void)state;
    at(T0);
    cell_of_three(ana, beto, carmen);
    for (int i = 0; i < N; i++) cell_says(ana, i, 0, ids[i]);
    /* a fast courier brings the last 8 first ... */
    for (int i = 40; i < N; i++) give(ana, carmen, ids[i]);
    for (int i = 40; i < N; i++) assert_true(reads_olla(carmen, i));
    /* ... the slow one the first 40, a week later, in its own order */
    at(T0 + 7 * DAY);
    for (int i = 39; i >= 0; i--) give(ana, carmen, ids[i]);
    for (int i = 0; i < 40; i++) assert_true(reads_olla(carmen, i));
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
