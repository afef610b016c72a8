/*
 * review revD2: a decoy burn notice turns off the re-keying of the other
 * cells when a cell burns a seized member.
 *
 * burned_here() (src/core/cells.c) is now also true when the device holds
 * any burn notice signed by the signing key, whatever DH key it names.
 * act_on_view() uses it to decide whether a cell's burn of a member is
 * news on this device:
 *
 *     int was = 0, before = burned_here(p, m->sign_pk, m->dh_pk);
 *     ... enl_contact_burn(...) ...
 *     if (rc == ENL_OK && !before && burned_here(p, m->sign_pk, m->dh_pk))
 *         rc = rekey_cells_without(p, m->sign_pk, c->cell_id);
 *
 * The captor of beto's phone publishes first a notice signed by beto's
 * key that names another DH key (the decoy accept_burn in src/core/burn.c
 * is written against: it burns no contact). ana takes it: her contact
 * beto is not burned, and re-keying her cells on it sends her new sender
 * keys to beto's phone again. When a cell ("uno") then burns beto, ana's
 * device burns the contact, but `before` is already 1, so the other cells
 * shared with beto ("dos", where his burn is still a vouch short) are not
 * re-keyed: the captor goes on reading ana's notes there with the key it
 * holds. Before this change `before` was 0 (the contact was not burned)
 * and "dos" was re-keyed without him.
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

#define PROFILES_ROOT "/tmp/enl-celldecoy-XXXXXX"
#include "profiles.h"

static void test_decoy_then_cell_burn_rekeys_other_cells(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto"), *carmen = mkprofile("carmen"),
                *dora = mkprofile("dora");
    enl_profile *all[4] = { ana, beto, carmen, dora };
    uint8_t rev[ENL_REVOCATION_MAXBYTES];
    size_t rlen = 0;
    enl_identity decoy;
    enl_contact k;
    int cells = 0, failed = 0;
    static const char secret[] = "dos: the meeting moved to the church";
    (void)state;
    introduce(ana, "ana", beto, "beto");
    introduce(ana, "ana", carmen, "carmen");
    introduce(ana, "ana", dora, "dora");
    introduce(carmen, "carmen", beto, "beto");
    introduce(dora, "dora", beto, "beto");
    introduce(carmen, "carmen", dora, "dora");
    /* "uno" (k = 1): ana, beto, carmen */
    assert_int_equal(enl_cell_create(ana, "uno", 1), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "uno", "beto"), ENL_OK);
    exchange(all, 4);
    assert_int_equal(enl_cell_add(ana, "uno", "carmen"), ENL_OK);
    exchange(all, 4);
    /* "dos" (k = 2): ana, dora, beto */
    assert_int_equal(enl_cell_create(ana, "dos", 2), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "dos", "dora"), ENL_OK);
    exchange(all, 4);
    assert_int_equal(enl_cell_add(ana, "dos", "beto"), ENL_OK);
    exchange(all, 4);
    assert_int_equal(enl_cell_vouch(dora, "dos", "beto"), ENL_OK);
    exchange(all, 4);
    assert_string_equal(state_of(ana, "uno", "beto", NULL), "member");
    assert_string_equal(state_of(carmen, "uno", "beto", NULL), "member");
    assert_string_equal(state_of(ana, "dos", "beto", NULL), "member");
    assert_string_equal(state_of(ana, "dos", "dora", NULL), "member");

    /* beto's phone is seized; the captor signs a notice with beto's key
     * that names a DH key of its own making, and it reaches ana */
    memcpy(&decoy, beto->id, sizeof decoy);
    randombytes_buf(decoy.dh_pk, sizeof decoy.dh_pk);
    assert_int_equal(enl_revocation_make(rev, &rlen, &decoy, "decoy", enl_now()), ENL_OK);
    assert_int_equal(enl_burn_intake(ana, rev, rlen, NULL), ENL_OK);
    assert_int_equal(enl_contact_by_name(ana, "beto", &k), ENL_OK);
    assert_false(k.burned);              /* the decoy burns no contact, as meant */

    /* carmen learns beto was taken and burns him: "uno" (k = 1) burns him */
    assert_int_equal(enl_burn_local(carmen, "beto", "taken", &cells, &failed), ENL_OK);
    exchange(all, 4);
    assert_string_equal(state_of(ana, "uno", "beto", NULL), "removed");
    assert_int_equal(enl_contact_by_name(ana, "beto", &k), ENL_OK);
    assert_true(k.burned);               /* ana's device burned him now */
    /* in "dos" his burn is still a vouch short (dora has not heard) */
    printf("# on ana's device beto is, in dos: %s\n", state_of(ana, "dos", "beto", NULL));

    /* ana writes to "dos": the captor must not read it (the cells shared
     * with a member burned here re-key without them) */
    assert_int_equal(enl_cell_send(ana, "dos", (const uint8_t *)secret, strlen(secret), NULL, NULL),
                     ENL_OK);
    exchange(all, 4);
    assert_true(has_message(dora, secret));
    assert_false(has_message(beto, secret));
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    enl_profile_close(dora);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decoy_then_cell_burn_rekeys_other_cells),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
