/*
 * A burn notice row planted in the store file by whoever held the device
 * while it was locked (the burns table holds the notices carried, public,
 * not under the profile key): a row of the planter's bytes whose keys are
 * those of a member they seized, or this profile's own, and no valid
 * signature at all.
 *
 * Such a row was counted as a notice held (enl_burn_key_known, and the
 * check of a notice of the same two keys taken before): the device took an
 * innocent member for burned, signed a BURN of them in each cell it shares
 * with them (and the cell removed them), refused their cards, and did not
 * keep the real revocation of its own keys to tell its user. Expired, the
 * row left a mark under the profile key that the key was burned. Only a
 * notice that verifies is counted now: a planter can sign one only with the
 * key it revokes, which is then burned indeed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile.h"
#include "crypto/revocation.h"
#include "enlace.h"
#include "store/store.h"

#define PROFILES_ROOT "/tmp/enl-planted-burn-XXXXXX"
#include "profiles.h"

/* Closes p, plants a row naming these keys in its burns table (version 1,
 * then the keys, then bytes that are no signature), and opens it again. */
static enl_profile *plant_until(enl_profile *p, const char *name, const uint8_t sign_pk[32],
                                const uint8_t dh_pk[32], uint32_t expiry)
{
    char home[300], path[400];
    uint8_t id[32], data[1 + 64 + 80];
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    enl_profile_close(p);
    snprintf(home, sizeof home, "%s/%s", root, name);
    snprintf(path, sizeof path, "%s/%s", home, ENL_STORE_FILE);
    randombytes_buf(id, sizeof id);
    randombytes_buf(data, sizeof data);
    data[0] = 1;
    memcpy(data + 1, sign_pk, 32);
    memcpy(data + 33, dh_pk, 32);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO burns(id, data, expiry) VALUES(?, ?, ?)",
                                        -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_blob(s, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, data, sizeof data, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, expiry);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    sqlite3_close(db);
    p = NULL;
    assert_int_equal(enl_profile_open(&p, home, "pw", 2), ENL_OK);
    return p;
}

static enl_profile *plant(enl_profile *p, const char *name, const uint8_t sign_pk[32],
                          const uint8_t dh_pk[32])
{
    return plant_until(p, name, sign_pk, dh_pk, enl_now_hours() + 24 * 365);
}

static void revocation_of(enl_profile *p, uint8_t *rev, size_t *len)
{
    assert_int_equal(enl_revocation_make(rev, len, p->id, "taken", enl_now()), ENL_OK);
}

/* ana's own revocation, published by whoever she left it with, reaches
 * her device: it tells her so, planted row or not. */
static void test_own_revocation_is_kept(void **state)
{
    enl_profile *ana = mkprofile("ana1");
    uint8_t rev[ENL_REVOCATION_MAXBYTES], sign_pk[32], dh_pk[32];
    size_t rlen = 0;
    (void)state;
    memcpy(sign_pk, ana->id->sign_pk, 32);
    memcpy(dh_pk, ana->id->dh_pk, 32);
    revocation_of(ana, rev, &rlen);
    ana = plant(ana, "ana1", sign_pk, dh_pk);
    assert_int_equal(enl_burn_intake(ana, rev, rlen, NULL), ENL_OK);
    assert_int_equal(enl_self_burned(ana, NULL, NULL, 0), 1);
    enl_profile_close(ana);
}

/* beto is seized; his revocation reaches ana and carmen, who share the
 * cell "olla" (k = 2) with him: both vouch, and he is out, though ana's
 * store had a row planted that names his keys. (Before the fix the row
 * kept ana's device from vouching as it took the notice in, but the vouch
 * it owed a member burned here still went out with the next view of the
 * cell: this one held either way, and guards the path.) */
static void test_contact_revocation_vouches(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto"), *carmen = mkprofile("carmen");
    enl_profile *all[3];
    uint8_t rev[ENL_REVOCATION_MAXBYTES];
    size_t rlen = 0;
    enl_contact k;
    static const char secret[] = "olla: the list of names is at the parish";
    (void)state;
    cell_of_three(ana, beto, carmen);
    ana = plant(ana, "ana", beto->id->sign_pk, beto->id->dh_pk);
    all[0] = ana;
    all[1] = beto;
    all[2] = carmen;
    revocation_of(beto, rev, &rlen);
    assert_int_equal(enl_burn_intake(ana, rev, rlen, NULL), ENL_OK);
    assert_int_equal(enl_burn_intake(carmen, rev, rlen, NULL), ENL_OK);
    assert_int_equal(enl_contact_by_name(ana, "beto", &k), ENL_OK);
    assert_true(k.burned);
    exchange(all, 3);
    assert_string_equal(state_of(ana, "olla", "beto", NULL), "removed");
    assert_string_equal(state_of(carmen, "olla", "beto", NULL), "removed");
    /* the captor, holding beto's phone, reads nothing ana sends there now */
    assert_int_equal(enl_cell_send(ana, "olla", (const uint8_t *)secret, strlen(secret), NULL,
                                   NULL), ENL_OK);
    exchange(all, 3);
    assert_true(has_message(carmen, secret));
    assert_false(has_message(beto, secret));
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

/* No revocation at all: a row naming carmen's keys, planted in ana's
 * store, makes ana's device sign no burn of carmen (a signed statement
 * that her keys are in a captor's hands), nor take her for burned. */
static void test_planted_row_burns_nobody(void **state)
{
    enl_profile *ana = mkprofile("ana2"), *beto = mkprofile("beto2"),
                *carmen = mkprofile("carmen2");
    enl_profile *all[3];
    int burned = -1;
    static const char hello[] = "olla: we meet on thursday";
    (void)state;
    cell_of_three(ana, beto, carmen);
    ana = plant(ana, "ana2", carmen->id->sign_pk, carmen->id->dh_pk);
    all[0] = ana;
    all[1] = beto;
    all[2] = carmen;
    assert_int_equal(enl_cell_send(carmen, "olla", (const uint8_t *)hello, strlen(hello), NULL,
                                   NULL), ENL_OK);
    exchange(all, 3);
    exchange(all, 3);
    assert_string_equal(state_of(beto, "olla", "carmen", &burned), "member");
    assert_int_equal(burned, 0);
    assert_string_equal(state_of(ana, "olla", "carmen", &burned), "member");
    assert_int_equal(burned, 0);
    assert_true(has_message(ana, hello));
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

/* The row expires: its tombstone is made, but no mark that its key is
 * burned (a keyed hash, under the profile key, that would have made the
 * planted key burned here for two years more). */
static void test_planted_row_leaves_no_burned_key(void **state)
{
    enl_profile *ana = mkprofile("ana4"), *carmen = mkprofile("carmen4");
    uint8_t sign_pk[32];
    (void)state;
    memcpy(sign_pk, carmen->id->sign_pk, 32);
    ana = plant_until(ana, "ana4", sign_pk, carmen->id->dh_pk, enl_now_hours() - 1);
    assert_int_equal(enl_burn_tombstones(ana, enl_now_hours()), ENL_OK);
    assert_int_equal(enl_burn_key_known(ana, sign_pk), 0);
    enl_profile_close(ana);
    enl_profile_close(carmen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_revocation_is_kept),
        cmocka_unit_test(test_contact_revocation_vouches),
        cmocka_unit_test(test_planted_row_burns_nobody),
        cmocka_unit_test(test_planted_row_leaves_no_burned_key),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
