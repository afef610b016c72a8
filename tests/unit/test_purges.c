/* Purge records and burn notices, through the library on real profiles:
 * anyone can make a valid one (a random key and its hash; a fresh identity
 * that revokes itself), so one that matches nothing here (releases no note,
 * is none of this profile's own, burns no contact) is kept only while the
 * store holds fewer than its share of the quota; one that releases a note
 * carried here, or burns a contact, is always kept, quota or not. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/profile.h"
#include "crypto/identity.h"
#include "crypto/revocation.h"
#include "enlace.h"
#include "note/note.h"
#include "store/store.h"

#define PROFILES_ROOT "/tmp/enl-purges-XXXXXX"
#include "profiles.h"

static uint64_t status_of(enl_profile *p, int purges)
{
    enl_status_info s;
    assert_int_equal(enl_status(p, &s), ENL_OK);
    return purges ? s.purges : s.notes;
}

static void test_foreign_purges_are_capped(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto"), *carmen = mkprofile("carmen");
    uint8_t rec[ENL_PURGEBYTES], key[ENL_PURGEKEYBYTES];
    enl_sync_stats st;
    (void)state;
    introduce(beto, "beto", carmen, "carmen");
    enl_profile_set_quota(ana, 10, (uint64_t)1 << 30);

    /* ana, a courier, carries a note from beto to carmen */
    assert_int_equal(enl_send_text(beto, "carmen", (const uint8_t *)"hola", 4, NULL, NULL), ENL_OK);
    sync_drop(beto);
    sync_drop(ana);
    assert_int_equal(status_of(ana, 0), 1);

    /* 15 purges that match nothing here: 10 are kept, the rest are not */
    for (int i = 0; i < 15; i++) {
        memset(&st, 0, sizeof st);
        randombytes_buf(key, sizeof key);
        enl_purge_encode(rec, enl_now_hours() + 24, key);
        assert_int_equal(enl_purge_intake(ana, rec, sizeof rec, &st), ENL_OK);
        assert_int_equal(st.purges_received, i < 10 ? 1 : 0);
    }
    assert_int_equal(status_of(ana, 1), 10);

    /* carmen reads the note; her purge still releases ana's copy */
    sync_drop(carmen);
    sync_drop(ana);
    assert_int_equal(status_of(ana, 0), 0);
    assert_int_equal(status_of(ana, 1), 11);

    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

static void test_foreign_burn_notices_are_capped(void **state)
{
    enl_profile *dora = mkprofile("dora"), *eli = mkprofile("eli");
    enl_identity *id = sodium_malloc(sizeof *id);
    uint8_t bin[ENL_REVOCATION_MAXBYTES];
    size_t len = 0;
    char *rev = NULL;
    enl_contact c;
    enl_status_info s;
    (void)state;
    assert_non_null(id);
    introduce(dora, "dora", eli, "eli");
    enl_profile_set_quota(dora, 20, (uint64_t)1 << 30);    /* room for 2 foreign notices */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(enl_identity_generate(id, enl_now()), ENL_OK);
        assert_int_equal(enl_revocation_make(bin, &len, id, "taken", enl_now()), ENL_OK);
        assert_int_equal(enl_burn_intake(dora, bin, len, NULL), ENL_OK);
    }
    assert_int_equal(enl_status(dora, &s), ENL_OK);
    assert_int_equal(s.burns, 2);
    /* a contact's own notice is kept and acted on, full or not */
    assert_int_equal(enl_revocation_export(eli, "if I am taken", &rev), ENL_OK);
    assert_int_equal(enl_revocation_from_text(bin, &len, rev, strlen(rev)), ENL_OK);
    assert_int_equal(enl_burn_intake(dora, bin, len, NULL), ENL_OK);
    assert_int_equal(enl_contact_by_name(dora, "eli", &c), ENL_OK);
    assert_true(c.burned);
    assert_int_equal(enl_status(dora, &s), ENL_OK);
    assert_int_equal(s.burns, 3);
    free(rev);
    sodium_free(id);
    enl_profile_close(dora);
    enl_profile_close(eli);
}

/* A contact's notice is always taken because it burns the contact. Whoever
 * seized that contact's device holds the key that signs it, and can sign
 * notices without end (another time or reason each, another id each): once
 * one of them is held, the others burn nobody and count in the quota like
 * any notice, or they would fill every store that knows the contact. */
static void test_seized_key_cannot_flood_burn_notices(void **state)
{
    enl_profile *dora = mkprofile("dora2"), *eli = mkprofile("eli2"), *fede = mkprofile("fede2");
    uint8_t bin[ENL_REVOCATION_MAXBYTES];
    size_t len = 0;
    enl_contact c;
    enl_status_info s;
    (void)state;
    introduce(dora, "dora", eli, "eli");
    introduce(dora, "dora", fede, "fede");
    enl_profile_set_quota(dora, 20, (uint64_t)1 << 30);    /* room for 2 notices */
    for (int i = 0; i < 12; i++) {
        assert_int_equal(enl_revocation_make(bin, &len, eli->id, "taken", enl_now() + (uint64_t)i),
                         ENL_OK);
        assert_int_equal(enl_burn_intake(dora, bin, len, NULL), ENL_OK);
    }
    assert_int_equal(enl_contact_by_name(dora, "eli", &c), ENL_OK);
    assert_true(c.burned);
    assert_int_equal(enl_status(dora, &s), ENL_OK);
    assert_int_equal(s.burns, 2);
    /* fede, burned here by hand first: the first notice of his keys is still
     * taken (to pass on), full or not; a second one is not */
    assert_int_equal(enl_burn_local(dora, "fede", "seen taken", NULL, NULL), ENL_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(enl_revocation_make(bin, &len, fede->id, "taken", enl_now() + (uint64_t)i),
                         ENL_OK);
        assert_int_equal(enl_burn_intake(dora, bin, len, NULL), ENL_OK);
    }
    assert_int_equal(enl_status(dora, &s), ENL_OK);
    assert_int_equal(s.burns, 3);
    enl_profile_close(dora);
    enl_profile_close(eli);
    enl_profile_close(fede);
}

static int first_lock(void *ctx, const uint8_t id[32])
{
    memcpy(ctx, id, 32);
    return 1;
}

/* A purge record's expiry is bound to nothing (its lock hashes the key
 * alone): a courier who rewrote carmen's purge to expire in an hour made
 * ana, who carried the note, keep the purge for that hour only (and refuse
 * the real one meanwhile as a duplicate), and dana, a courier who never
 * held the note, the same. An hour later the delivered note, offered again
 * by anyone who still held it (beto, its sender), was taken in and carried
 * on for the days it had left. The purge now lives as long as the note it
 * released, and as long as the latest copy of it said. */
static void test_forged_purge_expiry_brings_a_delivered_note_back(void **state)
{
    enl_profile *ana = mkprofile("ana3"), *beto = mkprofile("beto3"), *carmen = mkprofile("carmen3");
    enl_profile *dana = mkprofile("dana3");
    uint8_t nid[ENL_IDBYTES], lock[32], key[32], rec[ENL_PURGEBYTES], *note = NULL;
    uint32_t expiry = 0;
    size_t len = 0;
    char later[32];
    (void)state;
    introduce(beto, "beto", carmen, "carmen");
    assert_int_equal(enl_send_text(beto, "carmen", (const uint8_t *)"hola", 4, NULL, nid), ENL_OK);
    assert_int_equal(enl_note_get(beto, nid, &note, &len), ENL_OK);
    /* ana carries it; carmen reads it and releases its purge */
    assert_int_equal(enl_note_intake(ana, note, len, NULL), ENL_OK);
    assert_int_equal(enl_note_intake(carmen, note, len, NULL), ENL_OK);
    assert_int_equal(enl_store_purge_locks(carmen->st, first_lock, lock), ENL_OK);
    assert_int_equal(enl_store_purge_get(carmen->st, lock, key, &expiry), ENL_OK);
    assert_true(expiry > enl_now_hours() + 24);             /* the note's: days away */

    /* the courier's copy of the purge, its expiry rewritten to an hour */
    enl_purge_encode(rec, enl_now_hours() + 1, key);
    assert_int_equal(enl_purge_intake(ana, rec, sizeof rec, NULL), ENL_OK);
    assert_int_equal(status_of(ana, 0), 0);                  /* released */
    assert_int_equal(enl_purge_intake(dana, rec, sizeof rec, NULL), ENL_OK);
    enl_purge_encode(rec, expiry, key);                      /* carmen's real one */
    assert_int_equal(enl_purge_intake(ana, rec, sizeof rec, NULL), ENL_EDUPLICATE);
    assert_int_equal(enl_purge_intake(dana, rec, sizeof rec, NULL), ENL_EDUPLICATE);

    /* three hours on: the note still has days to live, and beto offers it */
    snprintf(later, sizeof later, "%llu", (unsigned long long)(enl_now() + 3ULL * 3600));
    assert_int_equal(setenv("ENLACE_NOW", later, 1), 0);
    assert_int_equal(enl_profile_expire(ana), ENL_OK);
    assert_int_equal(enl_profile_expire(dana), ENL_OK);
    assert_int_equal(enl_note_intake(ana, note, len, NULL), ENL_EPURGED);
    assert_int_equal(enl_note_intake(dana, note, len, NULL), ENL_EPURGED);
    unsetenv("ENLACE_NOW");
    assert_int_equal(status_of(ana, 0), 0);
    assert_int_equal(status_of(dana, 0), 0);
    free(note);
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    enl_profile_close(dana);
}

/* The same forgery met through dead drops: dana holds the copy a courier
 * shortened to an hour, and carmen's real one is in a drop. dana skipped
 * the drop's copy (a lock she holds), so hers still died within the hour
 * and the delivered note came back. Now the drop's longer copy makes
 * dana's last as long; and a drop that holds a shortened copy (written by
 * eli, who got it from the courier) gets the real one written over it by
 * carmen, so that fio, who takes it from there, keeps it as long. */
static void test_real_purge_in_a_drop_outlasts_a_forged_one(void **state)
{
    enl_profile *beto = mkprofile("beto4"), *carmen = mkprofile("carmen4"), *dana = mkprofile("dana4");
    enl_profile *eli = mkprofile("eli4"), *fio = mkprofile("fio4");
    uint8_t nid[ENL_IDBYTES], lock[32], key[32], rec[ENL_PURGEBYTES], *note = NULL;
    uint32_t expiry = 0, held = 0;
    size_t len = 0;
    char later[32], drop[256], drop2[256];
    enl_sync_stats st;
    (void)state;
    snprintf(drop, sizeof drop, "%s/drop4", root);
    snprintf(drop2, sizeof drop2, "%s/drop4b", root);
    assert_int_equal(mkdir(drop, 0700), 0);
    assert_int_equal(mkdir(drop2, 0700), 0);
    introduce(beto, "beto", carmen, "carmen");
    assert_int_equal(enl_send_text(beto, "carmen", (const uint8_t *)"hola", 4, NULL, nid), ENL_OK);
    assert_int_equal(enl_note_get(beto, nid, &note, &len), ENL_OK);
    assert_int_equal(enl_note_intake(carmen, note, len, NULL), ENL_OK);
    assert_int_equal(enl_store_purge_locks(carmen->st, first_lock, lock), ENL_OK);
    assert_int_equal(enl_store_purge_get(carmen->st, lock, key, &expiry), ENL_OK);
    assert_true(expiry > enl_now_hours() + 24);

    /* the courier hands dana and eli its copy, rewritten to expire in an hour */
    enl_purge_encode(rec, enl_now_hours() + 1, key);
    assert_int_equal(enl_purge_intake(dana, rec, sizeof rec, NULL), ENL_OK);
    assert_int_equal(enl_purge_intake(eli, rec, sizeof rec, NULL), ENL_OK);
    /* carmen's real copy reaches dana through a dead drop */
    assert_int_equal(enl_sync_folder(carmen, drop, NULL, &st), ENL_OK);
    assert_int_equal(enl_sync_folder(dana, drop, NULL, &st), ENL_OK);
    assert_int_equal(enl_store_purge_get(dana->st, lock, key, &held), ENL_OK);
    assert_int_equal(held, expiry);
    /* eli leaves the short copy in another drop; carmen passes there */
    assert_int_equal(enl_sync_folder(eli, drop2, NULL, &st), ENL_OK);
    assert_int_equal(enl_sync_folder(carmen, drop2, NULL, &st), ENL_OK);
    assert_int_equal(enl_sync_folder(fio, drop2, NULL, &st), ENL_OK);
    assert_int_equal(enl_store_purge_get(fio->st, lock, key, &held), ENL_OK);
    assert_int_equal(held, expiry);

    /* three hours on, beto (who never got the purge) offers the note again */
    snprintf(later, sizeof later, "%llu", (unsigned long long)(enl_now() + 3ULL * 3600));
    assert_int_equal(setenv("ENLACE_NOW", later, 1), 0);
    assert_int_equal(enl_profile_expire(dana), ENL_OK);
    assert_int_equal(enl_profile_expire(fio), ENL_OK);
    assert_int_equal(enl_note_intake(dana, note, len, NULL), ENL_EPURGED);
    assert_int_equal(enl_note_intake(fio, note, len, NULL), ENL_EPURGED);
    unsetenv("ENLACE_NOW");
    free(note);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    enl_profile_close(dana);
    enl_profile_close(eli);
    enl_profile_close(fio);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_foreign_purges_are_capped),
        cmocka_unit_test(test_foreign_burn_notices_are_capped),
        cmocka_unit_test(test_seized_key_cannot_flood_burn_notices),
        cmocka_unit_test(test_forged_purge_expiry_brings_a_delivered_note_back),
        cmocka_unit_test(test_real_purge_in_a_drop_outlasts_a_forged_one),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
