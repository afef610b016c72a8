/*
 * A burn notice that reached a device before the keys it revokes were one
 * of its contacts: the device holds the notice (it carries it on), and
 * later shares a cell with those keys (it joins a cell the captor's
 * seized member is in, their burn not yet known to the others).
 *
 * THREAT-MODEL ("Clocks, and a captured member"): "a device takes no cell
 * log, sender key or cell note from keys burned on that device (by `burn`,
 * a published revocation or the cell's burn)". The device knows these keys
 * are revoked (the card is refused as a contact because of the notice),
 * yet burned_here() (src/core/cells.c) looks only at contacts, so the
 * captor's sender key and cell notes are taken and shown in the seized
 * member's name, and the device never signs the BURN vouch its notice is
 * proof enough for.
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
#include <unistd.h>

#include "core/profile.h"
#include "crypto/revocation.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-cellnotice-XXXXXX"
#include "profiles.h"

static void test_notice_held_before_the_cell(void **state)
{
    enl_profile *ana = mkprofile("ana1"), *beto = mkprofile("beto1"), *dora = mkprofile("dora1");
    enl_profile *all[3] = { ana, beto, dora };
    uint8_t rev[ENL_REVOCATION_MAXBYTES];
    size_t rlen = 0;
    int burned = 0;
    static const char lie[] = "from beto's seized phone: meet at the square";
    (void)state;
    introduce(ana, "ana", beto, "beto");
    introduce(ana, "ana", dora, "dora");
    /* beto is taken; his revocation travels, and reaches dora (who does
     * not know him) before anything of the cell does */
    assert_int_equal(enl_revocation_make(rev, &rlen, beto->id, "taken", enl_now()), ENL_OK);
    assert_int_equal(enl_burn_intake(dora, rev, rlen, NULL), ENL_OK);
    /* ana has not heard: she admits beto (k = 1), then dora */
    assert_int_equal(enl_cell_create(ana, "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "beto"), ENL_OK);
    exchange(all, 3);
    assert_int_equal(enl_cell_add(ana, "olla", "dora"), ENL_OK);
    exchange(all, 3);
    assert_string_equal(state_of(dora, "olla", "ana", NULL), "member");
    printf("# on dora's device beto is: %s\n", state_of(dora, "olla", "beto", &burned));
    /* the captor writes to the cell with beto's keys */
    assert_int_equal(enl_cell_send(beto, "olla", (const uint8_t *)lie, strlen(lie), NULL, NULL), ENL_OK);
    exchange(all, 3);
    /* dora holds the notice that revokes those very keys: refused */
    assert_false(has_message(dora, lie));
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(dora);
}

/* The same gap for a local burn: `burn` signs a BURN only in the cells
 * where the keys are a member at that moment. ana burns beto while he is
 * only a candidate of "olla"; carmen and dora, who have not heard, admit
 * him. ana's device then counts him a member, and never signs the BURN
 * her burn stands for: when carmen burns him too, the cell (k = 2) is
 * one vouch short, and beto stays in. */
static void test_burned_candidate_admitted_later(void **state)
{
    enl_profile *ana = mkprofile("ana2"), *beto = mkprofile("beto2"), *carmen = mkprofile("carmen2"),
                *dora = mkprofile("dora2");
    enl_profile *all[4] = { ana, beto, carmen, dora };
    int cells = 0, failed = 0, burned = 0;
    (void)state;
    introduce(ana, "ana", beto, "beto");
    introduce(ana, "ana", carmen, "carmen");
    introduce(ana, "ana", dora, "dora");
    introduce(carmen, "carmen", dora, "dora");
    introduce(carmen, "carmen", beto, "beto");
    introduce(dora, "dora", beto, "beto");
    assert_int_equal(enl_cell_create(ana, "olla", 2), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "carmen"), ENL_OK);
    exchange(all, 4);
    assert_int_equal(enl_cell_add(ana, "olla", "dora"), ENL_OK);
    exchange(all, 4);
    assert_int_equal(enl_cell_vouch(carmen, "olla", "dora"), ENL_OK);
    exchange(all, 4);
    assert_string_equal(state_of(ana, "olla", "dora", NULL), "member");
    /* carmen proposes beto; beto is taken, and ana burns him at once */
    assert_int_equal(enl_cell_add(carmen, "olla", "beto"), ENL_OK);
    exchange(all, 4);
    assert_string_equal(state_of(ana, "olla", "beto", NULL), "candidate");
    assert_int_equal(enl_burn_local(ana, "beto", "taken", &cells, &failed), ENL_OK);
    /* dora, who has not heard, vouches: beto is admitted */
    assert_int_equal(enl_cell_vouch(dora, "olla", "beto"), ENL_OK);
    exchange(all, 4);
    printf("# on ana's device beto is now: %s\n", state_of(ana, "olla", "beto", NULL));
    /* carmen hears and burns him: with ana's burn, that is k = 2 vouches */
    assert_int_equal(enl_burn_local(carmen, "beto", "taken", &cells, &failed), ENL_OK);
    exchange(all, 4);
    assert_string_equal(state_of(dora, "olla", "beto", &burned), "removed");
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    enl_profile_close(dora);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notice_held_before_the_cell),
        cmocka_unit_test(test_burned_candidate_admitted_later),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
