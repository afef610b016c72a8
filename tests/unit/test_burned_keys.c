/* A captor who holds a member's seized keys, against the burns, the
 * revocations and the introductions meant to shut those keys out: through
 * the library on real profiles, as the captor would. */
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

#define PROFILES_ROOT "/tmp/enl-burned-keys-XXXXXX"
#include "profiles.h"

/* A revocation signed by id, naming id's signing key and the given DH key. */
static size_t revocation_naming(uint8_t out[ENL_REVOCATION_MAXBYTES], const enl_identity *id,
                                const uint8_t dh_pk[32], const char *reason)
{
    enl_identity forged;
    size_t len = 0;
    forged = *id;
    memcpy(forged.dh_pk, dh_pk, 32);
    assert_int_equal(enl_revocation_make(out, &len, &forged, reason, enl_now()), ENL_OK);
    sodium_memzero(&forged, sizeof forged);
    return len;
}

/* Control: carmen's own revocation, taken in by ana and beto, removes her
 * from the cell and re-keys it (what the README and THREAT-MODEL promise). */
static void test_revocation_removes_from_cell(void **state)
{
    enl_profile *ana = mkprofile("ana1"), *beto = mkprofile("beto1"), *carmen = mkprofile("carmen1");
    enl_profile *all[3] = { ana, beto, carmen };
    uint8_t real[ENL_REVOCATION_MAXBYTES];
    size_t rlen;
    int burned = 0;
    static const char after[] = "after carmen was taken (control)";
    (void)state;
    cell_of_three(ana, beto, carmen);
    rlen = revocation_naming(real, carmen->id, carmen->id->dh_pk, "taken");
    assert_int_equal(enl_burn_intake(ana, real, rlen, NULL), ENL_OK);
    assert_int_equal(enl_burn_intake(beto, real, rlen, NULL), ENL_OK);
    exchange(all, 3);
    assert_string_equal(state_of(ana, "olla", "carmen", &burned), "removed");
    assert_int_equal(enl_cell_send(ana, "olla", (const uint8_t *)after, strlen(after), NULL, NULL), ENL_OK);
    exchange(all, 3);
    assert_true(has_message(beto, after));
    assert_false(has_message(carmen, after));
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

/* Whoever seized carmen's device signs, first, a "revocation" of her
 * signing key paired with a DH key that is nobody's. It burns no contact
 * (the contact is looked up by DH key), but it is kept, and the store now
 * "knows" carmen's signing key as burned. When carmen's real revocation is
 * published afterwards, accept_burn sees the key as known and skips the
 * cell burn vouch and the re-key: carmen stays a member of the cell and
 * the captor goes on reading it with the sender keys she holds. */
static void test_decoy_revocation_defuses_the_real_one(void **state)
{
    enl_profile *ana = mkprofile("ana2"), *beto = mkprofile("beto2"), *carmen = mkprofile("carmen2");
    enl_profile *all[3] = { ana, beto, carmen };
    uint8_t decoy[ENL_REVOCATION_MAXBYTES], real[ENL_REVOCATION_MAXBYTES], nobody[32];
    size_t dlen, rlen;
    int burned = 0;
    enl_contact_info ci;
    static const char after[] = "after carmen was taken";
    (void)state;
    cell_of_three(ana, beto, carmen);

    /* the captor, with carmen's keys, before the holder publishes */
    randombytes_buf(nobody, sizeof nobody);
    dlen = revocation_naming(decoy, carmen->id, nobody, "");
    assert_int_equal(enl_burn_intake(ana, decoy, dlen, NULL), ENL_OK);
    assert_int_equal(enl_burn_intake(beto, decoy, dlen, NULL), ENL_OK);
    exchange(all, 3);

    /* carmen's real revocation, published by the one who held it */
    rlen = revocation_naming(real, carmen->id, carmen->id->dh_pk, "taken");
    assert_int_equal(enl_burn_intake(ana, real, rlen, NULL), ENL_OK);
    assert_int_equal(enl_burn_intake(beto, real, rlen, NULL), ENL_OK);
    exchange(all, 3);

    /* the contact is burned ... */
    assert_int_equal(enl_contact_get(ana, "carmen", &ci), ENL_OK);
    assert_true(ci.burned);
    /* ... but the cell must no longer hold her, nor let her read on */
    assert_int_equal(enl_cell_send(ana, "olla", (const uint8_t *)after, strlen(after), NULL, NULL), ENL_OK);
    exchange(all, 3);
    assert_true(has_message(beto, after));
    assert_false(has_message(carmen, after));
    assert_string_equal(state_of(ana, "olla", "carmen", &burned), "removed");
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

static int first_intro(const enl_introduction_info *i, void *ctx)
{
    snprintf(ctx, 16, "%s", i->id);
    return 1;
}

/* carmen was taken and her revocation published: ana, who did not know
 * her yet, holds the verified notice. beto has not heard yet and
 * introduces carmen (or her captor asks him to). ana's device accepts the
 * keys it holds a revocation of, as a live contact, with no word of it. */
static void test_introduction_of_revoked_keys(void **state)
{
    enl_profile *ana = mkprofile("ana3"), *beto = mkprofile("beto3"), *carmen = mkprofile("carmen3");
    enl_profile *all[3] = { ana, beto, carmen };
    uint8_t real[ENL_REVOCATION_MAXBYTES];
    size_t rlen;
    char id[16] = "";
    enl_contact_info ci;
    int rc;
    (void)state;
    introduce(ana, "ana", beto, "beto");
    introduce(beto, "beto", carmen, "carmen");
    rlen = revocation_naming(real, carmen->id, carmen->id->dh_pk, "taken");
    assert_int_equal(enl_burn_intake(ana, real, rlen, NULL), ENL_OK);
    assert_int_equal(enl_burn_key_known(ana, carmen->id->sign_pk), 1);  /* kept */

    assert_int_equal(enl_introduce(beto, "ana", "carmen", "trust her"), ENL_OK);
    exchange(all, 3);
    assert_int_equal(enl_introductions_each(ana, first_intro, id), ENL_OK);
    assert_true(id[0] != '\0');
    rc = enl_introduction_accept(ana, id, &ci);
    /* refused: never a live contact */
    assert_int_equal(rc, ENL_EREFUSED);
    assert_non_null(strstr(enl_profile_errmsg(ana), "revoked"));
    assert_int_equal(enl_contact_get(ana, "carmen", &ci), ENL_ENOTFOUND);
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

/* carmen is burned on ana's device. Her captor makes a card under her
 * (burned) signing key with a fresh DH key, hands it to beto as "my new
 * phone", and beto introduces it. ana accepts a live contact under a
 * signing key her device burned. */
static void test_introduction_of_burned_signing_key(void **state)
{
    enl_profile *ana = mkprofile("ana4"), *beto = mkprofile("beto4"), *carmen = mkprofile("carmen4");
    enl_profile *two[2] = { ana, beto };
    enl_identity captor;
    char card[ENL_CARD_TEXTMAX], id[16] = "";
    enl_contact_info ci;
    int rc;
    (void)state;
    introduce(ana, "ana", beto, "beto");
    introduce(beto, "beto", carmen, "carmen");
    introduce(ana, "ana", carmen, "carmen");
    assert_int_equal(enl_burn_local(ana, "carmen", "taken", NULL, NULL), ENL_OK);

    assert_int_equal(enl_identity_generate(&captor, enl_now()), ENL_OK);
    memcpy(captor.sign_pk, carmen->id->sign_pk, 32);
    memcpy(captor.sign_sk, carmen->id->sign_sk, 64);
    assert_int_equal(enl_card_make(card, sizeof card, &captor, "carmen", NULL, enl_now()), ENL_OK);
    assert_int_equal(enl_contact_add(beto, card, "carmen-new", NULL), ENL_OK);
    assert_int_equal(enl_introduce(beto, "ana", "carmen-new", "her new phone"), ENL_OK);
    exchange(two, 2);
    assert_int_equal(enl_introductions_each(ana, first_intro, id), ENL_OK);
    assert_true(id[0] != '\0');
    rc = enl_introduction_accept(ana, id, &ci);
    assert_int_equal(rc, ENL_EREFUSED);
    assert_non_null(strstr(enl_profile_errmsg(ana), "burned on this device"));
    /* nor handed over in person */
    assert_int_equal(enl_contact_add(ana, card, "carmen-new", NULL), ENL_EREFUSED);
    assert_int_equal(enl_contact_get(ana, "carmen-new", &ci), ENL_ENOTFOUND);
    sodium_memzero(&captor, sizeof captor);
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

/* What a burned contact's keys send afterwards is taken, but whoever holds
 * the keys may have written it: each such message says so in the inbox, not
 * only the banner above the whole list. Before, a captor's first-contact
 * note under the seized keys showed as an ordinary message from carmen. */
typedef struct {
    int before, after;          /* after_burn of the two messages */
    int seen;
} burn_marks;

static int mark_of(const enl_message *m, void *vctx)
{
    burn_marks *b = vctx;
    if (m->text_len == 6 && memcmp(m->text, "before", 6) == 0) {
        b->before = m->after_burn;
        b->seen++;
    }
    if (m->text_len == 5 && memcmp(m->text, "after", 5) == 0) {
        b->after = m->after_burn;
        b->seen++;
    }
    return 0;
}

static void test_message_after_burn_is_marked(void **state)
{
    enl_profile *ana = mkprofile("ana5"), *carmen = mkprofile("carmen5");
    burn_marks b = { -1, -1, 0 };
    (void)state;
    introduce(ana, "ana", carmen, "carmen");
    assert_int_equal(enl_send_text(carmen, "ana", (const uint8_t *)"before", 6, NULL, NULL), ENL_OK);
    carry_all(carmen, ana);
    assert_int_equal(enl_burn_local(ana, "carmen", "taken", NULL, NULL), ENL_OK);
    /* carmen has had no reply: her next note is a first-contact note, which
     * opens a new session on ana's device even though the old one is gone */
    assert_int_equal(enl_send_text(carmen, "ana", (const uint8_t *)"after", 5, NULL, NULL), ENL_OK);
    carry_all(carmen, ana);
    assert_int_equal(enl_inbox_each(ana, ENL_INBOX_KEEP_NEW, mark_of, &b), ENL_OK);
    assert_int_equal(b.seen, 2);
    assert_int_equal(b.before, 0);
    assert_int_equal(b.after, 1);
    enl_profile_close(ana);
    enl_profile_close(carmen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_revocation_removes_from_cell),
        cmocka_unit_test(test_decoy_revocation_defuses_the_real_one),
        cmocka_unit_test(test_introduction_of_revoked_keys),
        cmocka_unit_test(test_introduction_of_burned_signing_key),
        cmocka_unit_test(test_message_after_burn_is_marked),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
