/* A captured member's device, through the library on real profiles: it
 * holds every key of the member and keeps signing and sealing after the
 * others burned it. What must hold:
 *  - its backdated statements, sent straight from it or through someone it
 *    handed them to, are not taken by members who burned it: nobody is
 *    evicted, its accomplice is not admitted and reads nothing;
 *  - it cannot fill the cell's log (64 statements an author at most), and
 *    a vouch a full share refuses does not keep its keys from being burned;
 *  - between its revocation and the k-th burn vouch, a sender key or a cell
 *    note it seals is refused (its lie is never shown);
 *  - when the notice of its own keys reaches it, it signs and seals
 *    nothing (no burn vouch against itself, no new cell keys), and says
 *    its keys are burned.
 * The backdating itself is still possible while no member has burned it
 * (docs/THREAT-MODEL.md, cells). */
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

#include "cell/membership.h"
#include "cell/statement.h"
#include "core/cells.h"
#include "core/profile.h"
#include "core/send.h"
#include "crypto/revocation.h"
#include "crypto/senderkey.h"
#include "note/note.h"
#include "store/store.h"
#include "util/bytes.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-captured-XXXXXX"
#include "profiles.h"

static void dump(enl_profile *p, const char *who, const char *cell)
{
    const char *names[] = { "ana", "beto", "carmen", "zed" };
    printf("  [%s's view of %s]", who, cell);
    for (int i = 0; i < 4; i++) {
        int b = 0;
        const char *s = state_of(p, cell, names[i], &b);
        printf(" %s=%s%s", names[i], s, b ? "(burned)" : "");
    }
    printf("\n");
}


/* raw statements of the (only) cell row held by p */
typedef struct { uint8_t (*st)[ENL_STMT_MAXBYTES]; size_t *lens; size_t n; } raw_ctx;
static int grab_stmts(void *vctx, int64_t seq, const uint8_t *pt, size_t len)
{
    raw_ctx *x = vctx;
    enl_rd r = enl_rd_init(pt, len);
    uint8_t skip[64];
    size_t n;
    (void)seq;
    enl_rd_u8(&r); enl_rd_bytes(&r, skip, 32);
    n = enl_rd_u8(&r); (void)enl_rd_ptr(&r, n);
    enl_rd_bytes(&r, skip, 32); enl_rd_u8(&r);
    if (enl_rd_u8(&r)) { enl_rd_bytes(&r, skip, 32); n = enl_rd_u16(&r); (void)enl_rd_ptr(&r, n); }
    n = enl_rd_u16(&r);
    for (size_t i = 0; i < n; i++) {
        size_t l = enl_rd_u16(&r);
        const uint8_t *q = enl_rd_ptr(&r, l);
        if (q == NULL) break;
        memcpy(x->st[x->n], q, l);
        x->lens[x->n++] = l;
    }
    return 1;
}
static size_t row_count(enl_profile *p)
{
    static uint8_t st[256][ENL_STMT_MAXBYTES];
    size_t lens[256];
    raw_ctx x = { st, lens, 0 };
    assert_int_equal(enl_store_row_each(p->st, "cells", grab_stmts, &x), ENL_OK);
    return x.n;
}

/* The adversary, holding every key of `adv`, sends raw statements as a
 * cell log to `to` on a fresh first-contact session (its old ones were
 * forgotten by the victim on the burn). */
static int adv_send_log(enl_profile *adv, const char *to, const uint8_t cell_id[32],
                        uint8_t (*stmts)[ENL_STMT_MAXBYTES], const size_t *lens, size_t n)
{
    static uint8_t body[ENL_TEXT_MAX];
    enl_wr w = enl_wr_init(body, sizeof body);
    enl_wr_bytes(&w, cell_id, 32);
    enl_wr_u16(&w, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        enl_wr_u16(&w, (uint16_t)lens[i]);
        enl_wr_bytes(&w, stmts[i], lens[i]);
    }
    assert_false(w.err);
    return adv_send_kind(adv, to, ENL_KIND_CELL_LOG, body, w.len);
}

static void card_of(enl_profile *p, char **card) { assert_int_equal(enl_profile_card(p, card), ENL_OK); }

/* A statement signed by adv with a chosen (clock, created). */
static size_t mkstmt(uint8_t out[ENL_STMT_MAXBYTES], enl_profile *adv, const uint8_t cell_id[32],
                     uint8_t type, uint32_t gen, enl_profile *subject, const char *card,
                     uint32_t clock, uint64_t created)
{
    enl_stmt s;
    size_t len = 0;
    memset(&s, 0, sizeof s);
    s.type = type;
    memcpy(s.cell_id, cell_id, 32);
    s.created = created;
    s.clock = clock;
    s.gen = gen;
    if (subject != NULL) {
        memcpy(s.subject_sign, subject->id->sign_pk, 32);
        memcpy(s.subject_dh, subject->id->dh_pk, 32);
    }
    if (card != NULL) { s.card = card; s.card_len = strlen(card); }
    assert_int_equal(enl_stmt_make(out, &len, &s, adv->id), ENL_OK);
    return len;
}

/* k = 2. ana founds, beto second, carmen third. beto is arrested; ana and
 * carmen both burn him (2 BURN vouches: he is removed and burned
 * everywhere). His device then signs, backdated (clock 1, created 0..2):
 *   REMOVE ana (gen 1), ADD zed (gen 0), and zed signs ADD carmen (gen 0).
 * zed is an adversary profile; beto's card is zed's contact. */
static void test_burned_member_cannot_backdate_into_the_cell(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto"), *carmen = mkprofile("carmen");
    enl_profile *zed = mkprofile("zed");
    enl_profile *all[3] = { ana, beto, carmen }, *all4[4] = { ana, beto, carmen, zed };
    static uint8_t st[3][ENL_STMT_MAXBYTES];
    size_t lens[3];
    uint8_t cid[32];
    char *zcard = NULL, *ccard = NULL;
    int cells = 0, burned = 0;
    static const char secret[] = "reunion el jueves en la parroquia";
    (void)state;

    cell_of_three(ana, beto, carmen);
    introduce(beto, "beto", zed, "zed");        /* the adversary's own pair */
    assert_string_equal(state_of(carmen, "olla", "beto", NULL), "member");

    /* the arrest: both others burn beto */
    assert_int_equal(enl_burn_local(ana, "beto", "arrested", &cells, NULL), ENL_OK);
    assert_int_equal(enl_burn_local(carmen, "beto", "arrested", &cells, NULL), ENL_OK);
    exchange(all, 3);
    assert_string_equal(state_of(ana, "olla", "beto", &burned), "removed");
    assert_true(burned);
    assert_string_equal(state_of(carmen, "olla", "beto", &burned), "removed");
    assert_true(burned);
    printf("after the burn:\n");
    dump(ana, "ana", "olla");
    dump(carmen, "carmen", "olla");

    /* the captor, with beto's keys (and zed's) */
    cell_id_of(ana, cid);
    card_of(zed, &zcard);
    card_of(carmen, &ccard);
    lens[0] = mkstmt(st[0], beto, cid, ENL_STMT_REMOVE, 1, ana, NULL, 1, 0);
    lens[1] = mkstmt(st[1], beto, cid, ENL_STMT_ADD, 0, zed, zcard, 1, 1);
    lens[2] = mkstmt(st[2], zed, cid, ENL_STMT_ADD, 0, carmen, ccard, 1, 2);
    assert_int_equal(adv_send_log(beto, "carmen", cid, st, lens, 3), ENL_OK);
    {   /* and hands zed the whole log: what his own device holds, and the new three */
        static uint8_t all_st[64][ENL_STMT_MAXBYTES];
        size_t all_lens[64];
        raw_ctx x = { all_st, all_lens, 0 };
        assert_int_equal(enl_store_row_each(beto->st, "cells", grab_stmts, &x), ENL_OK);
        for (int i = 0; i < 3; i++) { memcpy(all_st[x.n], st[i], lens[i]); all_lens[x.n++] = lens[i]; }
        printf("  beto hands zed a log of %zu statements\n", x.n);
        assert_int_equal(adv_send_log(beto, "zed", cid, all_st, all_lens, x.n), ENL_OK);
    }
    exchange(all4, 4);
    printf("after the captured device's backdated statements:\n");
    dump(ana, "ana", "olla");
    dump(carmen, "carmen", "olla");
    dump(zed, "zed", "olla");

    /* carmen now writes to the cell: who reads it? */
    printf("  carmen cell send: rc=%d\n",
           enl_cell_send(carmen, "olla", (const uint8_t *)secret, strlen(secret), NULL, NULL));
    exchange(all4, 4);
    printf("  zed (adversary, admitted by burned beto) reads carmen's note: %d\n", has_message(zed, secret));
    /* the property that must hold: */
    assert_string_equal(state_of(carmen, "olla", "ana", NULL), "member");
    assert_string_not_equal(state_of(carmen, "olla", "zed", NULL), "member");
    assert_false(has_message(zed, secret));
    free(zcard);
    free(ccard);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen); enl_profile_close(zed);
}

/* The captured member tries to fill the cell's log (256 statements) with
 * LEAVE statements at generations nobody is at (ignored by the
 * membership), so that no burn vouch fits: it holds 64 of his at most, and
 * the others' vouches still fit and remove him. And when a member's own
 * share is full (`own_share_full`: 64 statements signed with carmen's key,
 * handed to her by the captor), her vouch is refused but `burn` still burns
 * his keys on her device: nothing is sealed to him, the cell's notes are
 * not his to read. */
static void flood_then_burn(int own_share_full)
{
    const char *names[2][3] = { { "ana2", "beto2", "carmen2" }, { "ana4", "beto4", "carmen4" } };
    enl_profile *ana = mkprofile(names[own_share_full][0]);
    enl_profile *beto = mkprofile(names[own_share_full][1]);
    enl_profile *carmen = mkprofile(names[own_share_full][2]);
    enl_profile *all[3] = { ana, beto, carmen };
    static uint8_t st[256][ENL_STMT_MAXBYTES];
    size_t lens[256], n = 0;
    uint8_t cid[32];
    int cells = 0, failed = 0, burned = 0;
    char *rev = NULL;
    static const char secret[] = "la olla se mueve a la casa de dora";

    cell_of_three(ana, beto, carmen);
    assert_int_equal(enl_revocation_export(beto, "if I am taken", &rev), ENL_OK);
    assert_int_equal(enl_revocation_hold(ana, "beto", rev), ENL_OK);
    assert_string_equal(state_of(carmen, "olla", "beto", NULL), "member");

    cell_id_of(ana, cid);
    if (!own_share_full) {
        /* beto is taken; before the others react, his device floods */
        for (n = 0; n < 252; n++)
            lens[n] = mkstmt(st[n], beto, cid, ENL_STMT_LEAVE, 1000 + (uint32_t)n, NULL, NULL, 1, n);
        assert_int_equal(adv_send_log(beto, "carmen", cid, st, lens, 125), ENL_OK);
        assert_int_equal(adv_send_log(beto, "ana", cid, st + 125, lens + 125, 127), ENL_OK);
    } else {
        /* 64 statements in carmen's name, which her device takes from ana */
        for (n = 0; n < ENL_CELL_STMTS_PER_AUTHOR; n++)
            lens[n] = mkstmt(st[n], carmen, cid, ENL_STMT_LEAVE, 1000 + (uint32_t)n, NULL, NULL, 1, n);
        assert_int_equal(adv_send_log(ana, "carmen", cid, st, lens, n), ENL_OK);
    }
    exchange(all, 3);
    assert_true(row_count(carmen) <= 4 + ENL_CELL_STMTS_PER_AUTHOR);

    assert_int_equal(enl_burn_local(carmen, "beto", "arrested", &cells, &failed), ENL_OK);
    assert_int_equal(cells, own_share_full ? 0 : 1);
    assert_int_equal(failed, own_share_full ? 1 : 0);
    if (own_share_full)
        assert_non_null(strstr(enl_profile_errmsg(carmen), "the burn vouch could not be added"));
    if (!own_share_full) assert_int_equal(enl_revocation_publish(ana, "beto"), ENL_OK);
    exchange(all, 3);
    {
        enl_contact k;
        assert_int_equal(enl_contact_by_name(carmen, "beto", &k), ENL_OK);
        assert_true(k.burned);
    }
    if (!own_share_full) {
        assert_string_equal(state_of(carmen, "olla", "beto", &burned), "removed");
        assert_true(burned);
    }
    /* nothing sealed to him, and nothing the cell says reaches him */
    assert_int_equal(enl_send_text(carmen, "beto", (const uint8_t *)"x", 1, NULL, NULL), ENL_EREFUSED);
    assert_int_equal(enl_cell_send(carmen, "olla", (const uint8_t *)secret, strlen(secret), NULL, NULL),
                     ENL_OK);
    exchange(all, 3);
    assert_true(has_message(ana, secret));
    assert_false(has_message(beto, secret));
    free(rev);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
}

static void test_log_flood_is_capped(void **state)
{
    (void)state;
    flood_then_burn(0);
}

static void test_a_refused_vouch_does_not_stop_a_burn(void **state)
{
    (void)state;
    flood_then_burn(1);
}


/* ana publishes beto's own revocation (k = 2, carmen has not heard yet):
 * ana forgets beto's sender keys and re-keys. The captured device sends ana
 * a brand-new sender key over a fresh first-contact session, then a cell
 * note under it. */
static void test_revoked_member_cannot_push_a_sender_key(void **state)
{
    enl_profile *ana = mkprofile("ana3"), *beto = mkprofile("beto3"), *carmen = mkprofile("carmen3");
    enl_senderkey sk;
    uint8_t cid[32], body[ENL_CELL_KEYMSG_BYTES], note[512], payload[512], text[128];
    static const char lie[] = "todo bien, vengan a la casa";
    enl_payload pl;
    char *rev = NULL;
    int rc, burned = 0;
    (void)state;
    cell_of_three(ana, beto, carmen);
    assert_int_equal(enl_revocation_export(beto, "if I am taken", &rev), ENL_OK);
    assert_int_equal(enl_revocation_hold(ana, "beto", rev), ENL_OK);
    assert_int_equal(enl_revocation_publish(ana, "beto"), ENL_OK);
    printf("after ana published beto's revocation: beto at ana = %s\n", state_of(ana, "olla", "beto", &burned));
    cell_id_of(ana, cid);
    assert_int_equal(enl_senderkey_generate(&sk), ENL_OK);
    key_message(body, &sk, cid, NULL, beto, "ana");
    rc = adv_send_kind(beto, "ana", ENL_KIND_SENDER_KEY, body, sizeof body);
    assert_int_equal(rc, ENL_OK);
    {   /* carry beto's notes to ana only */
        carry_ctx c = { beto, ana };
        assert_int_equal(enl_note_each(beto, carry_one, &c), ENL_OK);
    }
    memcpy(text, cid, 32);
    memcpy(text + 32, lie, strlen(lie));
    memset(&pl, 0, sizeof pl);
    pl.kind = ENL_KIND_CELL_TEXT;
    pl.sent = enl_now();
    pl.body = text;
    pl.body_len = 32 + strlen(lie);
    {
        uint8_t lock[ENL_PURGELOCKBYTES];
        size_t plen = sizeof note - ENL_NOTE_HEADERBYTES - ENL_SK_OVERHEAD;
        assert_int_equal(enl_payload_encode(payload, plen, &pl), ENL_OK);
        enl_purge_lock_random(lock);
        enl_note_header_encode(note, (uint32_t)((enl_now() + 86400) / 3600), lock);
        assert_int_equal(enl_senderkey_encrypt(&sk, note + ENL_NOTE_HEADERBYTES, note,
                                               ENL_NOTE_HEADERBYTES, payload, plen), ENL_OK);
    }
    rc = enl_note_intake(ana, note, sizeof note, NULL);
    printf("  ana takes the burned member's new cell note: rc=%d (%s); shown=%d\n", rc, enl_strerror(rc),
           has_message(ana, lie));
    assert_false(has_message(ana, lie));
    free(rev);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
}

/* carmen's own revocation, published, reaches carmen's device (a false
 * alarm, or her captor's copy of it): the device used to sign a burn vouch
 * against her in every cell and re-key them all, sealing new cell keys to
 * the others. Now it seals nothing, and keeps the notice to tell her. */
static void test_own_burn_notice_signs_nothing(void **state)
{
    enl_profile *ana = mkprofile("ana5"), *beto = mkprofile("beto5"), *carmen = mkprofile("carmen5");
    enl_status_info before, after;
    enl_sync_stats st;
    uint8_t bin[ENL_REVOCATION_MAXBYTES];
    size_t len = 0;
    char *rev = NULL, reason[64] = "";
    uint64_t when = 0;
    (void)state;

    cell_of_three(ana, beto, carmen);
    assert_int_equal(enl_self_burned(carmen, NULL, NULL, 0), 0);
    assert_int_equal(enl_revocation_export(carmen, "taken at the market", &rev), ENL_OK);
    assert_int_equal(enl_revocation_from_text(bin, &len, rev, strlen(rev)), ENL_OK);
    free(rev);

    assert_int_equal(enl_status(carmen, &before), ENL_OK);
    memset(&st, 0, sizeof st);
    assert_int_equal(enl_burn_intake(carmen, bin, len, &st), ENL_OK);
    assert_int_equal(enl_status(carmen, &after), ENL_OK);
    assert_int_equal(st.burns_received, 1);
    assert_int_equal(st.burned_self, 1);
    assert_int_equal(st.burned_contacts, 0);
    assert_int_equal(after.outgoing, before.outgoing);   /* no vouch, no cell key sealed */
    assert_int_equal(after.notes, before.notes);
    assert_int_equal(after.burns, 1);                     /* carried on */
    assert_int_equal(after.self_burned, 1);
    assert_int_equal(enl_self_burned(carmen, &when, reason, sizeof reason), 1);
    assert_string_equal(reason, "taken at the market");
    assert_true(when > 0);
    assert_string_equal(state_of(carmen, "olla", "beto", NULL), "member");

    /* the others still act on it: ana burns carmen and vouches */
    memset(&st, 0, sizeof st);
    assert_int_equal(enl_burn_intake(ana, bin, len, &st), ENL_OK);
    assert_int_equal(st.burned_contacts, 1);
    assert_int_equal(st.burned_self, 0);
    assert_int_equal(enl_self_burned(ana, NULL, NULL, 0), 0);

    enl_profile_close(carmen);
    enl_profile_close(beto);
    enl_profile_close(ana);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burned_member_cannot_backdate_into_the_cell),
        cmocka_unit_test(test_log_flood_is_capped),
        cmocka_unit_test(test_a_refused_vouch_does_not_stop_a_burn),
        cmocka_unit_test(test_revoked_member_cannot_push_a_sender_key),
        cmocka_unit_test(test_own_burn_notice_signs_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
