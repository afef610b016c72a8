/* A burn notice carried for its year dies out: once this device's copy
 * expires, the same notice offered again (by a drop, a peer) is refused
 * like a duplicate, for as long as a copy that came from this one can
 * still circulate; the contacts it burned stay burned, and a notice never
 * seen here is taken in as before. The clock moves with ENLACE_NOW. */
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

#include "core/profile.h"
#include "crypto/revocation.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-burn-tomb-XXXXXX"
#include "profiles.h"

#define T0 1790000000ull
#define DAY 86400ull
#define KEEP_DAYS 366ull

static void at(uint64_t t)
{
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)t);
    setenv("ENLACE_NOW", v, 1);
}

/* who's own revocation, as the contact who held it would publish it. */
static size_t revocation_of(uint8_t out[ENL_REVOCATION_MAXBYTES], enl_profile *who, uint8_t id[32])
{
    size_t len = 0;
    assert_int_equal(enl_revocation_make(out, &len, who->id, "taken", enl_now()), ENL_OK);
    crypto_generichash(id, 32, out, len, NULL, 0);
    return len;
}

static const char *drop(const char *name)
{
    static char dir[256];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    assert_int_equal(mkdir(dir, 0700), 0);
    return dir;
}

static int burned(enl_profile *p, const char *name)
{
    enl_contact_info ci;
    assert_int_equal(enl_contact_get(p, name, &ci), ENL_OK);
    return ci.burned;
}

static uint64_t held_burns(enl_profile *p)
{
    uint64_t n = 0;
    assert_int_equal(enl_store_count(p->st, "burns", &n), ENL_OK);
    return n;
}

/* The bug: ana's copy of carmen's notice expires, and the drop she left it
 * in gives it back to her at the next sync, to carry another year. */
static void test_expired_notice_refused_from_drop(void **state)
{
    enl_profile *ana, *carmen;
    uint8_t bin[ENL_REVOCATION_MAXBYTES], id[32];
    enl_sync_stats s;
    const char *dir;
    size_t len;
    uint64_t seen_before = 0, seen_after = 0;
    (void)state;
    at(T0);
    ana = mkprofile("ana1");
    carmen = mkprofile("carmen1");
    dir = drop("drop1");
    introduce(ana, "ana", carmen, "carmen");
    len = revocation_of(bin, carmen, id);
    assert_int_equal(enl_burn_intake(ana, bin, len, NULL), ENL_OK);
    assert_true(burned(ana, "carmen"));
    memset(&s, 0, sizeof s);
    assert_int_equal(enl_sync_folder(ana, dir, NULL, &s), ENL_OK);
    assert_int_equal(s.burns_sent, 1);

    /* a year and a day later: the copy expires at this sync's start; the
     * drop still holds the notice */
    at(T0 + (KEEP_DAYS + 1) * DAY);
    assert_int_equal(enl_store_count(ana->st, "seen", &seen_before), ENL_OK);
    memset(&s, 0, sizeof s);
    assert_int_equal(enl_sync_folder(ana, dir, NULL, &s), ENL_OK);
    assert_int_equal(s.burns_received, 0);
    assert_int_equal(s.burns_sent, 0);
    assert_int_equal(enl_store_burn_has(ana->st, id), 0);
    assert_int_equal(held_burns(ana), 0);
    /* what is left of it: keyed hashes in "seen" (of its id, of its
     * signing key), not the notice */
    assert_int_equal(enl_store_count(ana->st, "seen", &seen_after), ENL_OK);
    assert_int_equal(seen_after, seen_before + 2);
    /* the same through the intake every transport uses */
    memset(&s, 0, sizeof s);
    assert_int_equal(enl_burn_intake(ana, bin, len, &s), ENL_EDUPLICATE);
    assert_int_equal(s.burns_received, 0);
    assert_int_equal(held_burns(ana), 0);
    /* the burn itself is for good */
    assert_true(burned(ana, "carmen"));
    enl_profile_close(ana);
    enl_profile_close(carmen);
    unsetenv("ENLACE_NOW");
}

/* After the tombstone: a notice never seen here (beto's, burned elsewhere)
 * still goes in and acts; carmen's, offered again, does not, and leaves
 * her burned. A notice of my own keys is refused the same way. */
static void test_other_notice_still_taken(void **state)
{
    enl_profile *ana, *beto, *carmen;
    uint8_t cbin[ENL_REVOCATION_MAXBYTES], bbin[ENL_REVOCATION_MAXBYTES], abin[ENL_REVOCATION_MAXBYTES];
    uint8_t cid[32], bid[32], aid[32];
    enl_sync_stats s;
    size_t clen, blen, alen;
    (void)state;
    at(T0);
    ana = mkprofile("ana2");
    beto = mkprofile("beto2");
    carmen = mkprofile("carmen2");
    introduce(ana, "ana", beto, "beto");
    introduce(ana, "ana", carmen, "carmen");
    clen = revocation_of(cbin, carmen, cid);
    alen = revocation_of(abin, ana, aid);
    assert_int_equal(enl_burn_intake(ana, cbin, clen, NULL), ENL_OK);
    assert_int_equal(enl_burn_intake(ana, abin, alen, NULL), ENL_OK);
    assert_int_equal(enl_self_burned(ana, NULL, NULL, 0), 1);

    at(T0 + (KEEP_DAYS + 1) * DAY);
    assert_int_equal(enl_profile_expire(ana), ENL_OK);
    assert_int_equal(held_burns(ana), 0);

    blen = revocation_of(bbin, beto, bid);
    memset(&s, 0, sizeof s);
    assert_int_equal(enl_burn_intake(ana, bbin, blen, &s), ENL_OK);
    assert_int_equal(s.burns_received, 1);
    assert_int_equal(s.burned_contacts, 1);
    assert_true(burned(ana, "beto"));
    assert_int_equal(enl_store_burn_has(ana->st, bid), 1);

    memset(&s, 0, sizeof s);
    assert_int_equal(enl_burn_intake(ana, cbin, clen, &s), ENL_EDUPLICATE);
    assert_int_equal(enl_burn_intake(ana, abin, alen, &s), ENL_EDUPLICATE);
    assert_int_equal(s.burns_received, 0);
    assert_int_equal(s.burned_contacts, 0);
    assert_int_equal(s.burned_self, 0);
    assert_int_equal(enl_store_burn_has(ana->st, cid), 0);
    assert_int_equal(enl_store_burn_has(ana->st, aid), 0);
    assert_true(burned(ana, "carmen"));
    assert_true(burned(ana, "beto"));
    assert_int_equal(enl_self_burned(ana, NULL, NULL, 0), 1);
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    unsetenv("ENLACE_NOW");
}

/* The keys of an expired notice stay known as burned as long as its
 * tombstone: the captor who holds dana's keys cannot have a card under
 * them accepted once the notice is no longer held (it is no longer taken
 * in again to refuse it). And a tombstone never shields a contact: were
 * one under those keys added all the same (here, the key's mark taken out
 * of the store), the notice seen again burns them, as it would have the
 * first time. */
static void test_tombstone_does_not_shield_a_new_contact(void **state)
{
    static const char ctx[] = "enlace burned key v1";
    enl_profile *ana, *dana;
    uint8_t bin[ENL_REVOCATION_MAXBYTES], id[32], mark[32];
    enl_sync_stats s;
    char *card = NULL;
    size_t len;
    (void)state;
    at(T0);
    ana = mkprofile("ana3");
    dana = mkprofile("dana3");
    len = revocation_of(bin, dana, id);
    assert_int_equal(enl_burn_intake(ana, bin, len, NULL), ENL_OK);   /* carried for others */

    at(T0 + (KEEP_DAYS + 1) * DAY);
    assert_int_equal(enl_profile_expire(ana), ENL_OK);
    assert_int_equal(held_burns(ana), 0);
    assert_int_equal(enl_burn_intake(ana, bin, len, NULL), ENL_EDUPLICATE);
    assert_int_equal(enl_profile_card(dana, &card), ENL_OK);
    assert_int_equal(enl_contact_add(ana, card, "dana", NULL), ENL_EREFUSED);
    assert_non_null(strstr(enl_profile_errmsg(ana), "revoked"));

    crypto_generichash(mark, 32, dana->id->sign_pk, 32, (const uint8_t *)ctx, sizeof ctx - 1);
    assert_int_equal(enl_store_set_del(ana->st, "seen", mark), ENL_OK);
    assert_int_equal(enl_contact_add(ana, card, "dana", NULL), ENL_OK);
    free(card);
    assert_false(burned(ana, "dana"));
    memset(&s, 0, sizeof s);
    assert_int_equal(enl_burn_intake(ana, bin, len, &s), ENL_OK);
    assert_int_equal(s.burns_received, 1);
    assert_int_equal(s.burned_contacts, 1);
    assert_true(burned(ana, "dana"));
    assert_int_equal(enl_store_burn_has(ana->st, id), 1);   /* carried again: it acted */
    enl_profile_close(ana);
    enl_profile_close(dana);
    unsetenv("ENLACE_NOW");
}

/* The bound: the tombstone outlives the copy by two years (a copy taken
 * from this one, and one taken from that, are gone by then), to the week,
 * and then goes: nothing is remembered for ever. */
static void test_tombstone_ends(void **state)
{
    enl_profile *ana, *carmen;
    uint8_t bin[ENL_REVOCATION_MAXBYTES], id[32];
    uint64_t seen_kept = 0, seen_gone = 0;
    size_t len;
    (void)state;
    at(T0);
    ana = mkprofile("ana4");
    carmen = mkprofile("carmen4");
    introduce(ana, "ana", carmen, "carmen");
    len = revocation_of(bin, carmen, id);
    assert_int_equal(enl_burn_intake(ana, bin, len, NULL), ENL_OK);
    at(T0 + (KEEP_DAYS + 1) * DAY);
    assert_int_equal(enl_profile_expire(ana), ENL_OK);

    at(T0 + (3 * KEEP_DAYS - 1) * DAY);
    assert_int_equal(enl_profile_expire(ana), ENL_OK);
    assert_int_equal(enl_store_count(ana->st, "seen", &seen_kept), ENL_OK);
    assert_int_equal(enl_burn_intake(ana, bin, len, NULL), ENL_EDUPLICATE);

    at(T0 + (3 * KEEP_DAYS + 8) * DAY);
    assert_int_equal(enl_profile_expire(ana), ENL_OK);
    assert_int_equal(enl_store_count(ana->st, "seen", &seen_gone), ENL_OK);
    assert_int_equal(seen_gone, seen_kept - 2);      /* the notice's and its key's */
    /* a copy that still circulates three years on is carried again */
    assert_int_equal(enl_burn_intake(ana, bin, len, NULL), ENL_OK);
    assert_int_equal(enl_store_burn_has(ana->st, id), 1);
    assert_true(burned(ana, "carmen"));
    enl_profile_close(ana);
    enl_profile_close(carmen);
    unsetenv("ENLACE_NOW");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expired_notice_refused_from_drop),
        cmocka_unit_test(test_other_notice_still_taken),
        cmocka_unit_test(test_tombstone_does_not_shield_a_new_contact),
        cmocka_unit_test(test_tombstone_ends),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
