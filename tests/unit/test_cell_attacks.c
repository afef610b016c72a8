/*
 * Attacks on cells by people who hold a cell's id and some of its cards (a
 * stranger, a member, a seized device the cell burned), each found by a
 * review and reproduced here before it was fixed:
 *
 *   - a first note proves only its sender's DH key: a sender key in a
 *     member's name from other keys must not let anyone write in the cell;
 *   - a cell note that comes before its sender key is read once the key
 *     comes, also when the key itself came late and was held;
 *   - one member cannot grow everyone's store by handing out key after key,
 *     and keys that arrive out of order never push out the one in use;
 *   - one member cannot fill the log with statements of throw-away keys so
 *     that no burn fits any more, yet a statement whose author is admitted
 *     by another road later is not lost on the way;
 *   - a member who proposed many people can still vouch for a burn.
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

#include "cell/membership.h"
#include "cell/statement.h"
#include "core/cells.h"
#include "core/profile.h"
#include "core/send.h"
#include "crypto/senderkey.h"
#include "note/note.h"
#include "store/store.h"
#include "util/bytes.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-cellatk-XXXXXX"
#include "profiles.h"

/* a cell note under sender key sk, as enl_cell_send makes it */
static void make_cell_note(enl_senderkey *sk, const uint8_t cid[32], const char *text, uint8_t note[512])
{
    uint8_t payload[512], body[256], lock[ENL_PURGELOCKBYTES];
    enl_payload pl;
    size_t plen = 512 - ENL_NOTE_HEADERBYTES - ENL_SK_OVERHEAD;
    memcpy(body, cid, 32);
    memcpy(body + 32, text, strlen(text));
    memset(&pl, 0, sizeof pl);
    pl.kind = ENL_KIND_CELL_TEXT;
    pl.sent = enl_now();
    pl.body = body;
    pl.body_len = 32 + strlen(text);
    assert_int_equal(enl_payload_encode(payload, plen, &pl), ENL_OK);
    enl_purge_lock_random(lock);
    enl_note_header_encode(note, (uint32_t)((enl_now() + 86400) / 3600), lock);
    assert_int_equal(enl_senderkey_encrypt(sk, note + ENL_NOTE_HEADERBYTES, note, ENL_NOTE_HEADERBYTES,
                                           payload, plen), ENL_OK);
}

typedef struct { const char *needle; char from[256]; char fp[256]; char cell[256]; int req; int found; } who_ctx;
static int who_cb(const enl_message *m, void *vctx)
{
    who_ctx *w = vctx;
    if (m->text_len == strlen(w->needle) && memcmp(m->text, w->needle, m->text_len) == 0) {
        w->found = 1;
        snprintf(w->from, sizeof w->from, "%s", m->from);
        snprintf(w->fp, sizeof w->fp, "%s", m->from_fingerprint);
        snprintf(w->cell, sizeof w->cell, "%s", m->cell);
        w->req = m->is_request;
    }
    return 0;
}

/* A first note's sign_pk is not authenticated; deliver_sender_key does
 * not check the session's dh key against the member's. A stranger (mal, who
 * only holds ana's card and the cell id) claims carmen's sign_pk. */
static void spoof(int burned_beto)
{
    enl_profile *ana = mkprofile(burned_beto ? "ana1b" : "ana1"), *beto = mkprofile(burned_beto ? "beto1b" : "beto1");
    enl_profile *carmen = mkprofile(burned_beto ? "carmen1b" : "carmen1"), *mal = mkprofile(burned_beto ? "mal1b" : "mal1");
    enl_profile *adv = burned_beto ? beto : mal;
    enl_senderkey sk;
    uint8_t cid[32], body[ENL_CELL_KEYMSG_BYTES], note[512], saved[32];
    static const char lie[] = "cambio de planes: vengan todos a la plaza a las 5";
    char *card = NULL;
    int cells = 0, rc;
    who_ctx w = { lie, "", "", "", 0, 0 };

    cell_of_three(ana, beto, carmen);
    if (burned_beto) {
        enl_profile *all[3] = { ana, beto, carmen };
        assert_int_equal(enl_burn_local(ana, "beto", "arrested", &cells, NULL), ENL_OK);
        assert_int_equal(enl_burn_local(carmen, "beto", "arrested", &cells, NULL), ENL_OK);
        exchange(all, 3);
        assert_string_equal(state_of(ana, "olla", "beto", NULL), "removed");
    } else {
        assert_int_equal(enl_profile_card(ana, &card), ENL_OK);
        assert_int_equal(enl_contact_add(mal, card, "ana", NULL), ENL_OK);   /* one way only */
        free(card);
    }
    cell_id_of(ana, cid);
    /* the adversary claims carmen's signing key in its first note */
    memcpy(saved, adv->id->sign_pk, 32);
    memcpy(adv->id->sign_pk, carmen->id->sign_pk, 32);
    assert_int_equal(enl_senderkey_generate(&sk), ENL_OK);
    key_message(body, &sk, cid, NULL, adv, "ana");
    assert_int_equal(adv_send_kind(adv, "ana", ENL_KIND_SENDER_KEY, body, sizeof body), ENL_OK);
    memcpy(adv->id->sign_pk, saved, 32);
    carry_all(adv, ana);
    make_cell_note(&sk, cid, lie, note);
    rc = enl_note_intake(ana, note, sizeof note, NULL);
    assert_int_equal(enl_inbox_each(ana, ENL_INBOX_KEEP_NEW, who_cb, &w), ENL_OK);
    (void)rc;
    assert_false(w.found);   /* the lie is in nobody's name: it is not read at all */
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen); enl_profile_close(mal);
}
static void test_stranger_spoofs_member_sender_key(void **state) { (void)state; spoof(0); }
static void test_burned_device_spoofs_member_sender_key(void **state) { (void)state; spoof(1); }

/* A cell note that arrives before its sender key is never read. */
static void test_cell_note_before_sender_key_is_lost(void **state)
{
    enl_profile *ana = mkprofile("ana2"), *beto = mkprofile("beto2"), *carmen = mkprofile("carmen2");
    static const char msg[] = "la olla es el jueves";
    uint8_t id[ENL_IDBYTES], *note = NULL;
    size_t len = 0;
    int rc1, rc2;
    (void)state;
    cell_of_three(ana, beto, carmen);
    /* carmen joins a new epoch? no: a fresh key is made at her first send only if needed; force one */
    assert_int_equal(enl_cell_leave(beto, "olla"), ENL_OK);   /* membership change -> every member re-keys */
    /* carmen learns of the leave and re-keys; her sender key note sits in her store for ana */
    {
        carry_ctx c = { beto, carmen };
        assert_int_equal(enl_note_each(beto, carry_one, &c), ENL_OK);
    }
    assert_int_equal(enl_cell_send(carmen, "olla", (const uint8_t *)msg, strlen(msg), NULL, id), ENL_OK);
    /* the courier brings the cell note to ana first... */
    assert_int_equal(enl_note_get(carmen, id, &note, &len), ENL_OK);
    rc1 = enl_note_intake(ana, note, len, NULL);
    /* ...then everything else (beto's leave, carmen's new sender key), three times over */
    { enl_profile *all[3] = { ana, beto, carmen }; exchange(all, 3); }
    rc2 = enl_note_intake(ana, note, len, NULL);
    (void)rc1;
    (void)rc2;
    free(note);
    assert_true(has_message(ana, msg));
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
}

static int count_cb(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    (void)seq; (void)pt; (void)len;
    (*(size_t *)ctx)++;
    return 0;
}

/* Sender keys of one member pile up without limit. */
static void test_sender_keys_unbounded(void **state)
{
    enl_profile *ana = mkprofile("ana3"), *beto = mkprofile("beto3"), *carmen = mkprofile("carmen3");
    uint8_t cid[32], body[ENL_CELL_KEYMSG_BYTES];
    size_t before = 0, after = 0;
    (void)state;
    cell_of_three(ana, beto, carmen);
    cell_id_of(ana, cid);
    assert_int_equal(enl_store_row_each(ana->st, "senderkeys", count_cb, &before), ENL_OK);
    for (int i = 0; i < 300; i++) {
        enl_senderkey sk;
        enl_contact k;
        assert_int_equal(enl_senderkey_generate(&sk), ENL_OK);
        key_message(body, &sk, cid, NULL, beto, "ana");
        assert_int_equal(enl_contact_by_name(beto, "ana", &k), ENL_OK);
        assert_int_equal(enl_store_begin(beto->st), ENL_OK);
        assert_int_equal(enl_seal_kind(beto, &k, ENL_KIND_SENDER_KEY, body, sizeof body, NULL, NULL), ENL_OK);
        assert_int_equal(enl_store_commit(beto->st), ENL_OK);
    }
    carry_all(beto, ana);
    assert_int_equal(enl_store_row_each(ana->st, "senderkeys", count_cb, &after), ENL_OK);
    assert_true(after <= before + 3);   /* beto's newest 3 at most */
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
}

/* One member fills the log (256) with statements by throw-away keys
 * (authors need not be members): the per-author cap does not help, and
 * nobody can burn that member afterwards. */
static void test_one_member_fills_log_with_sybil_authors(void **state)
{
    enl_profile *ana = mkprofile("ana4"), *beto = mkprofile("beto4"), *carmen = mkprofile("carmen4");
    enl_profile *all[3] = { ana, beto, carmen };
    static uint8_t body[ENL_TEXT_MAX];
    uint8_t cid[32];
    enl_wr w;
    int cells = 0, failed = 0, burned = 0;
    (void)state;
    cell_of_three(ana, beto, carmen);
    cell_id_of(ana, cid);
    /* 4 statements are held; 252 more from 4 fresh keys, 63 each */
    w = enl_wr_init(body, sizeof body);
    enl_wr_bytes(&w, cid, 32);
    enl_wr_u16(&w, 252);
    for (int a = 0; a < 4; a++) {
        enl_identity syb;
        assert_int_equal(enl_identity_generate(&syb, 1790000000), ENL_OK);
        for (int i = 0; i < 63; i++) put_leave(&w, cid, &syb, 1000 + (uint32_t)i);
    }
    assert_false(w.err);
    assert_int_equal(adv_send_kind(beto, "carmen", ENL_KIND_CELL_LOG, body, w.len), ENL_OK);
    assert_int_equal(adv_send_kind(beto, "ana", ENL_KIND_CELL_LOG, body, w.len), ENL_OK);
    exchange(all, 3);
    assert_int_equal(enl_burn_local(ana, "beto", "arrested", &cells, &failed), ENL_OK);
    assert_int_equal(failed, 0);
    assert_int_equal(enl_burn_local(carmen, "beto", "arrested", &cells, &failed), ENL_OK);
    assert_int_equal(failed, 0);
    exchange(all, 3);
    assert_string_equal(state_of(carmen, "olla", "beto", &burned), "removed");
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
}

/* Four re-keys of beto's (four changes of membership) reach ana by
 * different couriers, the newest first. Kept by arrival, the newest would
 * be pushed out by the three older ones, and every note under it lost. */
static void keys_arrive(int newest_first)
{
    enl_profile *ana = mkprofile(newest_first ? "ana7" : "ana7o"), *beto = mkprofile(newest_first ? "beto7" : "beto7o");
    enl_profile *all[2] = { ana, beto };
    static const char msg[] = "la olla es el jueves";
    static const int order[2][4] = { { 0, 1, 2, 3 }, { 3, 0, 1, 2 } };
    uint8_t ids[4][ENL_IDBYTES], cid[32], body[ENL_CELL_KEYMSG_BYTES], note[512];
    enl_senderkey sk[4];
    size_t rows = 0;
    uint64_t t0 = enl_now();

    introduce(ana, "ana", beto, "beto");
    assert_int_equal(enl_cell_create(ana, "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "beto"), ENL_OK);
    exchange(all, 2);
    assert_string_equal(state_of(ana, "olla", "beto", NULL), "member");
    cell_id_of(ana, cid);
    for (int i = 0; i < 4; i++) {
        uint8_t key_id[32];
        assert_int_equal(enl_senderkey_generate(&sk[i]), ENL_OK);
        enl_cell_key_id(key_id, 5 + (size_t)i, t0 + (uint64_t)i);   /* as rotate_sender_key does */
        key_message(body, &sk[i], cid, key_id, beto, "ana");
        seal_id(beto, "ana", ENL_KIND_SENDER_KEY, body, sizeof body, ids[i]);
    }
    for (int i = 0; i < 4; i++) give(beto, ana, ids[order[newest_first][i]]);
    make_cell_note(&sk[3], cid, msg, note);      /* beto writes with his current key */
    (void)enl_note_intake(ana, note, sizeof note, NULL);
    assert_true(has_message(ana, msg));
    assert_int_equal(enl_store_row_each(ana->st, "senderkeys", count_cb, &rows), ENL_OK);
    assert_true(rows <= 3);
    enl_profile_close(ana);
    enl_profile_close(beto);
}
static void test_keys_in_order(void **state) { (void)state; keys_arrive(0); }
static void test_newest_key_first(void **state) { (void)state; keys_arrive(1); }

/* A sync that burns several people re-keys every other cell shared with
 * them once for each, all in one second. Here beto's device re-keys olla
 * four times a round, the clock standing still. ana keeps three of his
 * keys, the newest by the order he gave them: the one he writes with must
 * be among them every round. (Made in one second, his keys tied and were
 * kept in no set order: the one in use was dropped more often than not.) */
static void test_keys_made_in_one_second_keep_their_order(void **state)
{
    enl_profile *ana = mkprofile("ana_tie"), *beto = mkprofile("beto_tie"), *carmen = mkprofile("carmen_tie");
    enl_profile *all[3] = { ana, beto, carmen };
    char now[32], text[64];
    (void)state;
    cell_of_three(ana, beto, carmen);
    snprintf(now, sizeof now, "%llu", (unsigned long long)enl_now());
    assert_int_equal(setenv("ENLACE_NOW", now, 1), 0);
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 4; i++) assert_int_equal(enl_cell_burned(beto, carmen->id->sign_pk), ENL_OK);
        snprintf(text, sizeof text, "ronda %d: la olla es el jueves", round);
        assert_int_equal(enl_cell_send(beto, "olla", (const uint8_t *)text, strlen(text), NULL, NULL), ENL_OK);
        exchange(all, 3);
        assert_true(has_message(ana, text));
    }
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

/* Beto's sender key comes behind 40 texts, beyond ana's window and not
 * on one of its checkpoints (crypto/ratchet.h): it is held, and so is the
 * cell note under it. When the texts come, the session's rescan takes the
 * key: the cell note must be looked for then too. */
static void test_key_held_behind_texts(void **state)
{
    enl_profile *ana = mkprofile("ana8"), *beto = mkprofile("beto8"), *carmen = mkprofile("carmen8");
    enl_profile *all[3] = { ana, beto, carmen };
    static const char msg[] = "la olla es el jueves";
    enum { N = 40 };
    uint8_t ids[N + 1][ENL_IDBYTES], cid[32], body[ENL_CELL_KEYMSG_BYTES], note[512];
    enl_senderkey sk;
    (void)state;
    introduce_three(ana, beto, carmen);
    assert_int_equal(enl_cell_create(ana, "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "beto"), ENL_OK);
    exchange(all, 3);
    assert_string_equal(state_of(ana, "olla", "beto", NULL), "member");
    cell_id_of(ana, cid);
    for (int i = 0; i < N; i++) {
        char t[32];
        snprintf(t, sizeof t, "texto %d", i);
        seal_id(beto, "ana", ENL_KIND_TEXT, (const uint8_t *)t, strlen(t), ids[i]);
    }
    assert_int_equal(enl_senderkey_generate(&sk), ENL_OK);
    {
        uint8_t key_id[32];
        enl_cell_key_id(key_id, 9, enl_now());
        key_message(body, &sk, cid, key_id, beto, "ana");
    }
    seal_id(beto, "ana", ENL_KIND_SENDER_KEY, body, sizeof body, ids[N]);
    make_cell_note(&sk, cid, msg, note);
    /* one courier brings the key and the cell note... */
    give(beto, ana, ids[N]);
    (void)enl_note_intake(ana, note, sizeof note, NULL);
    assert_false(has_message(ana, msg));
    /* ...another the texts */
    for (int i = 0; i < N; i++) give(beto, ana, ids[i]);
    assert_true(has_message(ana, "texto 39"));
    assert_true(has_message(ana, msg));
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

static void everyone_knows_everyone(enl_profile **ps, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) introduce(ps[i], names[i], ps[j], names[j]);
}

/* Statements whose author is not a member *yet* were dropped for good: k =
 * 1; ana removes beto (R) while beto, not knowing it, proposes carmen, who,
 * a member in beto's view, proposes dora (S). elena, who has not seen R
 * either, brings S to ana, in whose view carmen is a candidate. When ana
 * then vouches for carmen, nobody sends S back to her: every other device
 * counted dora a member, ana not, and the epochs differed for good. */
/* 32 LEAVEs signed by two throw-away keys (16 each: a key's share of
 * leaves), handed once to `to` by a member. */
static void send_junk(enl_profile *from, const char *to, const uint8_t cid[32])
{
    static uint8_t body[ENL_TEXT_MAX];
    enl_identity syb;
    enl_wr w = enl_wr_init(body, sizeof body);
    enl_wr_bytes(&w, cid, 32);
    enl_wr_u16(&w, 2 * ENL_CELL_EXITS_PER_AUTHOR);
    for (int i = 0; i < 2 * ENL_CELL_EXITS_PER_AUTHOR; i++) {
        if (i % ENL_CELL_EXITS_PER_AUTHOR == 0)
            assert_int_equal(enl_identity_generate(&syb, 1790000000), ENL_OK);
        put_leave(&w, cid, &syb, 1000 + (uint32_t)i);
    }
    assert_false(w.err);
    seal_body(from, to, ENL_KIND_CELL_LOG, body, w.len);
}

/* junk: a member first hands ana statements of throw-away keys, which
 * must not take the room a real candidate's statements need. */
static void dropped_statement(int junk)
{
    static const char *const nm[5] = { "ana", "beto", "carmen", "dora", "elena" };
    enl_profile *p[5];
    enl_profile *ana, *beto, *carmen, *dora, *elena;
    uint8_t cid[32];
    for (int i = 0; i < 5; i++) {
        char home[256];
        snprintf(home, sizeof home, "%s/%s-drop%d", root, nm[i], junk);
        p[i] = NULL;
        assert_int_equal(enl_profile_create(&p[i], home, nm[i], "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
    }
    ana = p[0]; beto = p[1]; carmen = p[2]; dora = p[3]; elena = p[4];
    everyone_knows_everyone(p, nm, 5);

    assert_int_equal(enl_cell_create(ana, "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "beto"), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "elena"), ENL_OK);
    { enl_profile *three[3] = { ana, beto, elena }; exchange(three, 3); }
    assert_string_equal(state_of(elena, "olla", "beto", NULL), "member");
    if (junk) {
        cell_id_of(ana, cid);
        send_junk(elena, "ana", cid);
        carry_all(elena, ana);
    }

    /* R: held on ana's device, not carried yet */
    assert_int_equal(enl_cell_remove(ana, "olla", "beto", 0, "gone"), ENL_OK);
    /* ADD-X: beto, not knowing R, proposes carmen; carmen and elena learn it */
    assert_int_equal(enl_cell_add(beto, "olla", "carmen"), ENL_OK);
    carry_all(beto, carmen);
    carry_all(beto, elena);
    assert_string_equal(state_of(carmen, "olla", "carmen", NULL), "member");
    /* S: carmen proposes dora (k = 1: admitted in carmen's view) */
    assert_int_equal(enl_cell_add(carmen, "olla", "dora"), ENL_OK);
    carry_all(carmen, dora);
    carry_all(carmen, elena);
    assert_string_equal(state_of(elena, "olla", "dora", NULL), "member");

    /* elena's grown logs reach ana (so do beto's and carmen's, refused) */
    carry_all(elena, ana);
    carry_all(beto, ana);
    carry_all(carmen, ana);
    assert_string_equal(state_of(ana, "olla", "beto", NULL), "removed");
    assert_string_equal(state_of(ana, "olla", "carmen", NULL), "candidate");
    /* S is kept, though carmen is no member here yet: shown, not counted */
    assert_string_equal(state_of(ana, "olla", "dora", NULL), "candidate");

    /* V: ana vouches for carmen; then couriers carry everything, many rounds */
    assert_int_equal(enl_cell_vouch(ana, "olla", "carmen"), ENL_OK);
    exchange(p, 5);
    exchange(p, 5);

    assert_string_equal(state_of(ana, "olla", "carmen", NULL), "member");
    assert_string_equal(state_of(elena, "olla", "carmen", NULL), "member");
    assert_string_equal(state_of(carmen, "olla", "carmen", NULL), "member");
    assert_string_equal(state_of(elena, "olla", "dora", NULL), "member");
    assert_string_equal(state_of(carmen, "olla", "dora", NULL), "member");
    assert_string_equal(state_of(ana, "olla", "dora", NULL), "member");
    for (int i = 0; i < 5; i++) enl_profile_close(p[i]);
}
static void test_dropped_statement_never_comes_back(void **state) { (void)state; dropped_statement(0); }
static void test_junk_takes_no_candidates_room(void **state) { (void)state; dropped_statement(1); }


/* A founder who brought in 61 people (CREATE and 63 ADDs) had used up
 * their share of the log: they could never again burn, remove or leave.
 * Removals, burns and leaves have their own share now. The ADDs are ana's
 * own, crafted as her client would make them (61 contacts are too many to
 * set up), and reach her device through beto's log. */
static void test_busy_founder_cannot_burn(void **state)
{
    enl_profile *ana = mkprofile("ana10"), *beto = mkprofile("beto10"), *carmen = mkprofile("carmen10");
    enl_profile *all[3] = { ana, beto, carmen };
    static uint8_t body[ENL_TEXT_MAX * 2];
    uint8_t cid[32];
    int cells = 0, failed = 0;
    enl_wr w;
    (void)state;
    introduce_three(ana, beto, carmen);
    assert_int_equal(enl_cell_create(ana, "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "beto"), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "carmen"), ENL_OK);
    exchange(all, 3);
    cell_id_of(ana, cid);
    for (int batch = 0; batch < 3; batch++) {
        w = enl_wr_init(body, sizeof body);
        enl_wr_bytes(&w, cid, 32);
        enl_wr_u16(&w, batch < 2 ? 20 : 21);
        for (int i = 0; i < (batch < 2 ? 20 : 21); i++) {
            enl_identity x;
            char xc[ENL_CARD_TEXTMAX];
            enl_stmt s;
            uint8_t buf[ENL_STMT_MAXBYTES];
            size_t len = 0;
            assert_int_equal(enl_identity_generate(&x, enl_now()), ENL_OK);
            assert_int_equal(enl_card_make(xc, sizeof xc, &x, "x", NULL, enl_now()), ENL_OK);
            memset(&s, 0, sizeof s);
            s.type = ENL_STMT_ADD;
            memcpy(s.cell_id, cid, 32);
            s.clock = 10 + (uint32_t)(batch * 21 + i);
            s.created = enl_now();
            memcpy(s.subject_sign, x.sign_pk, 32);
            memcpy(s.subject_dh, x.dh_pk, 32);
            s.card = xc;
            s.card_len = strlen(xc);
            assert_int_equal(enl_stmt_make(buf, &len, &s, ana->id), ENL_OK);
            enl_wr_u16(&w, (uint16_t)len);
            enl_wr_bytes(&w, buf, len);
        }
        assert_false(w.err);
        assert_int_equal(adv_send_kind(beto, "ana", ENL_KIND_CELL_LOG, body, w.len), ENL_OK);
        carry_all(beto, ana);
    }
    /* beto's device is seized: ana burns him */
    assert_int_equal(enl_burn_local(ana, "beto", "arrested", &cells, &failed), ENL_OK);
    assert_int_equal(failed, 0);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
}

/* A cell of strangers' making, in which my contact carmen is only a
 * candidate: her ADD for me must not count as a contact's vouch, or a
 * stranger could enrol me through anyone I know that they propose. */
static void add_stmt(uint8_t *buf, size_t *len, const uint8_t cid[32], const enl_identity *author,
                     const enl_identity *subject, const char *card, uint32_t clock)
{
    enl_stmt s;
    memset(&s, 0, sizeof s);
    s.type = ENL_STMT_ADD;
    memcpy(s.cell_id, cid, 32);
    s.created = 1790000000 + clock;
    s.clock = clock;
    memcpy(s.subject_sign, subject->sign_pk, 32);
    memcpy(s.subject_dh, subject->dh_pk, 32);
    s.card = card;
    s.card_len = strlen(card);
    assert_int_equal(enl_stmt_make(buf, len, &s, author), ENL_OK);
}

static void test_candidate_contact_does_not_enrol_me(void **state)
{
    enl_profile *ana = mkprofile("ana11"), *carmen = mkprofile("carmen11");
    static uint8_t body[ENL_TEXT_MAX], raw[6][ENL_STMT_MAXBYTES];
    enl_identity s1, s2;
    char c1[ENL_CARD_TEXTMAX], c2[ENL_CARD_TEXTMAX], *ca = NULL, *cc = NULL;
    size_t len[6];
    uint8_t cid[32];
    enl_stmt cr;
    size_t cells = 0;
    enl_wr w;
    (void)state;
    introduce(ana, "ana", carmen, "carmen");
    assert_int_equal(enl_identity_generate(&s1, 1790000000), ENL_OK);
    assert_int_equal(enl_identity_generate(&s2, 1790000000), ENL_OK);
    assert_int_equal(enl_card_make(c1, sizeof c1, &s1, "s1", NULL, 1790000000), ENL_OK);
    assert_int_equal(enl_card_make(c2, sizeof c2, &s2, "s2", NULL, 1790000000), ENL_OK);
    assert_int_equal(enl_profile_card(ana, &ca), ENL_OK);
    assert_int_equal(enl_profile_card(carmen, &cc), ENL_OK);
    memset(&cr, 0, sizeof cr);
    cr.type = ENL_STMT_CREATE;
    cr.admit = 2;
    randombytes_buf(cr.salt, sizeof cr.salt);
    strcpy(cr.name, "trampa");
    cr.card = c1;
    cr.card_len = strlen(c1);
    cr.created = 1790000000;
    cr.clock = 1;
    assert_int_equal(enl_stmt_make(raw[0], &len[0], &cr, &s1), ENL_OK);
    memcpy(cid, cr.cell_id, 32);
    add_stmt(raw[1], &len[1], cid, &s1, &s2, c2, 2);              /* s2: a member */
    add_stmt(raw[2], &len[2], cid, &s1, ana->id, ca, 3);          /* ana: two vouches */
    add_stmt(raw[3], &len[3], cid, &s2, ana->id, ca, 4);
    add_stmt(raw[4], &len[4], cid, &s1, carmen->id, cc, 5);       /* carmen: a candidate */
    add_stmt(raw[5], &len[5], cid, carmen->id, ana->id, ca, 6);   /* ... who vouches for ana */
    w = enl_wr_init(body, sizeof body);
    enl_wr_bytes(&w, cid, 32);
    enl_wr_u16(&w, 6);
    for (int i = 0; i < 6; i++) {
        enl_wr_u16(&w, (uint16_t)len[i]);
        enl_wr_bytes(&w, raw[i], len[i]);
    }
    assert_false(w.err);
    seal_body(carmen, "ana", ENL_KIND_CELL_LOG, body, w.len);
    carry_all(carmen, ana);
    assert_int_equal(enl_store_row_each(ana->st, "cells", count_cb, &cells), ENL_OK);
    assert_int_equal(cells, 0);
    free(ca);
    free(cc);
    enl_profile_close(ana);
    enl_profile_close(carmen);
}

/* beto holds ana's sender key (every member does) and hands it to carmen
 * as his own, with an id that sorts newest: carmen must not then show
 * ana's notes as beto's. A share proves who delivered it; only the proof
 * that comes with it (enl_senderkey_prove: ana's key secret and carmen's DH
 * key) says who made it, and beto, without ana's key secret, cannot make
 * that proof: he sends 32 bytes of his choosing. */
typedef struct { const uint8_t *sign; enl_senderkey *sk; int found; uint8_t key_id[32]; } sk_grab;
static int grab_sk(void *v, int64_t seq, const uint8_t *pt, size_t len)
{
    sk_grab *g = v;
    size_t fixed = 1 + 32 + 32 + 32 + 32 + 2;
    (void)seq;
    if (len < fixed || memcmp(pt + 1 + 32, g->sign, 32) != 0) return 0;
    if (g->found && memcmp(pt + 1 + 96, g->key_id, 32) < 0) return 0;   /* the newest */
    memcpy(g->key_id, pt + 1 + 96, 32);
    assert_int_equal(enl_senderkey_parse(g->sk, pt + fixed, len - fixed), ENL_OK);
    g->found = 1;
    return 0;
}

/* A cell of three that has talked: beto holds ana's sender key (g->sk). */
static void beto_grabs_anas_key(enl_profile *ana, enl_profile *beto, enl_profile *carmen,
                                uint8_t cid[32], sk_grab *g)
{
    enl_profile *all[3] = { ana, beto, carmen };
    cell_of_three(ana, beto, carmen);
    assert_int_equal(enl_cell_send(ana, "olla", (const uint8_t *)"hola", 4, NULL, NULL), ENL_OK);
    exchange(all, 3);
    cell_id_of(beto, cid);
    g->sign = ana->id->sign_pk;
    assert_int_equal(enl_store_row_each(beto->st, "senderkeys", grab_sk, g), ENL_OK);
    assert_true(g->found);
}

/* beto hands carmen the sender key message body (crafted from ana's key),
 * then ana writes to the cell: carmen must read it as ana's. */
static void hands_key_then_ana_writes(enl_profile *ana, enl_profile *beto, enl_profile *carmen,
                                      const uint8_t body[ENL_CELL_KEYMSG_BYTES])
{
    static const char text[] = "beto es un infiltrado: no le digan nada";
    who_ctx w = { text, "", "", "", 0, 0 };
    seal_body(beto, "carmen", ENL_KIND_SENDER_KEY, body, ENL_CELL_KEYMSG_BYTES);
    carry_all(beto, carmen);
    assert_int_equal(enl_cell_send(ana, "olla", (const uint8_t *)text, strlen(text), NULL, NULL), ENL_OK);
    carry_all(ana, carmen);
    assert_int_equal(enl_inbox_each(carmen, ENL_INBOX_KEEP_NEW, who_cb, &w), ENL_OK);
    assert_true(w.found);
    assert_string_equal(w.from, "ana");
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
}

static void test_member_passes_off_anothers_key(void **state)
{
    enl_profile *ana = mkprofile("ana9"), *beto = mkprofile("beto9"), *carmen = mkprofile("carmen9");
    enl_senderkey sk;
    sk_grab g = { NULL, &sk, 0, { 0 } };
    uint8_t cid[32], body[ENL_CELL_KEYMSG_BYTES];
    (void)state;
    beto_grabs_anas_key(ana, beto, carmen, cid, &g);
    /* what beto can make: ana's key with his own proof attempts */
    assert_int_equal(enl_cell_key_message(body, &sk, cid, g.key_id, beto->id, carmen->id->dh_pk),
                     ENL_EINVAL);   /* not his key: no secret to prove it with */
    memcpy(body, cid, 32);
    enl_cell_key_id(body + 32, 0xffff, enl_now() + 86400);
    enl_senderkey_share(body + 64, &sk);
    randombytes_buf(body + 64 + ENL_SK_SHAREBYTES, ENL_SK_PROOFBYTES);
    enl_senderkey_wipe(&sk);
    hands_key_then_ana_writes(ana, beto, carmen, body);
}

/* ana founds "olla" (k = 1) with beto, and holds a sender key of beto's
 * (*sk, made here): beto can write to the cell as a member does. */
static void cell_of_two_with_key(enl_profile *ana, enl_profile *beto, uint8_t cid[32],
                                 enl_senderkey *sk)
{
    enl_profile *all[2] = { ana, beto };
    uint8_t id[ENL_IDBYTES], body[ENL_CELL_KEYMSG_BYTES];
    introduce(ana, "ana", beto, "beto");
    assert_int_equal(enl_cell_create(ana, "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "beto"), ENL_OK);
    exchange(all, 2);
    assert_string_equal(state_of(ana, "olla", "beto", NULL), "member");
    cell_id_of(ana, cid);
    assert_int_equal(enl_senderkey_generate(sk), ENL_OK);
    key_message(body, sk, cid, NULL, beto, "ana");
    seal_id(beto, "ana", ENL_KIND_SENDER_KEY, body, sizeof body, id);
    give(beto, ana, id);
}

/* A member's cell notes are read, then kept to carry on to the others: as
 * notes carried for others, in the share of the source they came by. Kept
 * beyond the quota as my own notes (never pushed out, no quota checked), a
 * member flooding the cell (or a seized member's device) would take the
 * whole quota: no other source's note would be carried until they expire. */
static void test_member_floods_no_quota_with_cell_notes(void **state)
{
    enl_profile *ana = mkprofile("ana12"), *beto = mkprofile("beto12");
    uint8_t cid[32], note[512], junk[512];
    uint8_t lock[ENL_PURGELOCKBYTES];
    enl_senderkey sk;
    enl_status_info s;
    (void)state;
    cell_of_two_with_key(ana, beto, cid, &sk);
    assert_int_equal(enl_status(ana, &s), ENL_OK);
    enl_profile_set_quota(ana, s.notes + 5, (uint64_t)1 << 30);

    enl_note_source(ana, "folder", (const uint8_t *)"/beto", 5);
    for (int i = 0; i < 20; i++) {
        char t[32];
        snprintf(t, sizeof t, "olla %d", i);
        make_cell_note(&sk, cid, t, note);
        assert_int_equal(enl_note_intake(ana, note, sizeof note, NULL), ENL_OK);
    }
    assert_true(has_message(ana, "olla 19"));   /* read, all of them */
    assert_int_equal(enl_status(ana, &s), ENL_OK);

    /* another drop's note still finds room */
    enl_note_source(ana, "folder", (const uint8_t *)"/other", 6);
    randombytes_buf(junk, sizeof junk);
    enl_purge_lock_random(lock);
    enl_note_header_encode(junk, enl_now_hours() + 24, lock);
    assert_int_equal(enl_note_intake(ana, junk, sizeof junk, NULL), ENL_OK);
    enl_senderkey_wipe(&sk);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* The proof says who made a key's signing key, not its chain: beto takes
 * ana's chain (every member holds it), puts his own fresh signing key with
 * it, and proves that key his; carmen's tags for ana's chain then lead to
 * beto's row, under which ana's notes (signed with ana's key) do not open.
 * Beto could not speak as ana, but carmen would no longer hear her. A
 * cell note's tag names the signing key as well as the chain, so beto's
 * row has tags of its own and ana's notes still find hers. */
static void test_member_takes_anothers_chain_with_his_own_key(void **state)
{
    enl_profile *ana = mkprofile("ana13"), *beto = mkprofile("beto13"), *carmen = mkprofile("carmen13");
    enl_senderkey sk, mine;
    sk_grab g = { NULL, &sk, 0, { 0 } };
    uint8_t cid[32], body[ENL_CELL_KEYMSG_BYTES], key_id[32];
    (void)state;
    beto_grabs_anas_key(ana, beto, carmen, cid, &g);
    /* beto's own key, with ana's chain where it stands */
    assert_int_equal(enl_senderkey_generate(&mine), ENL_OK);
    memcpy(mine.chain, sk.chain, sizeof mine.chain);
    mine.next = sk.next;
    enl_cell_key_id(key_id, 0xffff, enl_now() + 86400);
    assert_int_equal(enl_cell_key_message(body, &mine, cid, key_id, beto->id, carmen->id->dh_pk),
                     ENL_OK);
    enl_senderkey_wipe(&sk);
    enl_senderkey_wipe(&mine);
    hands_key_then_ana_writes(ana, beto, carmen, body);
}

/* A cell note read while its drop's flood filled the quota is read, its
 * copy not kept (that drop already holds the most). The same note coming
 * again by another road, which is owed room, is carried on like any note
 * of that road: having read it must not make ana refuse it as a duplicate
 * for good, or a stranger flooding the cell's drop would keep every note
 * she reads there from the other members she meets. */
static void test_cell_note_read_in_a_flood_is_carried_when_it_comes_again(void **state)
{
    enl_profile *ana = mkprofile("ana14"), *beto = mkprofile("beto14");
    uint8_t cid[32], note[512], junk[512];
    uint8_t lock[ENL_PURGELOCKBYTES];
    enl_senderkey sk;
    enl_status_info s;
    enl_sync_stats st;
    uint64_t before;
    (void)state;
    cell_of_two_with_key(ana, beto, cid, &sk);
    assert_int_equal(enl_status(ana, &s), ENL_OK);
    before = s.notes;
    enl_profile_set_quota(ana, before + 5, (uint64_t)1 << 30);

    enl_note_source(ana, "folder", (const uint8_t *)"/flood", 6);
    for (int i = 0; i < 5; i++) {
        randombytes_buf(junk, sizeof junk);
        enl_purge_lock_random(lock);
        enl_note_header_encode(junk, enl_now_hours() + 48, lock);
        assert_int_equal(enl_note_intake(ana, junk, sizeof junk, NULL), ENL_OK);
    }
    make_cell_note(&sk, cid, "olla a las 8", note);
    assert_int_equal(enl_note_intake(ana, note, sizeof note, NULL), ENL_OK);
    assert_true(has_message(ana, "olla a las 8"));
    assert_int_equal(enl_status(ana, &s), ENL_OK);
    assert_int_equal(s.notes, before + 5);      /* read; no room for its copy */

    /* the same note, from a contact's sync: carried, a note of the flood out */
    enl_note_source(ana, "peer", (const uint8_t *)"carmen's key", 12);
    memset(&st, 0, sizeof st);
    assert_int_equal(enl_note_intake(ana, note, sizeof note, &st), ENL_OK);
    assert_int_equal(st.notes_evicted, 1);
    {
        uint8_t nid[32];
        enl_note_id(nid, note, sizeof note);
        assert_int_equal(enl_store_note_has(ana->st, nid), 1);
    }
    assert_int_equal(enl_status(ana, &s), ENL_OK);
    assert_int_equal(s.notes, before + 5);
    /* and a third time it is held already */
    assert_int_equal(enl_note_intake(ana, note, sizeof note, NULL), ENL_EDUPLICATE);
    enl_senderkey_wipe(&sk);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

static void sync_at(enl_profile *p, const char *name)
{
    char drop[256];
    enl_sync_stats st;
    snprintf(drop, sizeof drop, "%s/%s", root, name);
    (void)mkdir(drop, 0700);
    assert_int_equal(enl_sync_folder(p, drop, NULL, &st), ENL_OK);
}

/* The cell of three with a dead drop: beto leaves a cell note there and ana
 * reads it with no room for its copy (her store full of her own notes; a
 * flood does the same). Whatever her next sync of the drop meets, it must
 * leave the note there for carmen: read here is not purged (no member may
 * purge a cell note for the others). */
typedef struct {
    enl_profile *ana, *beto, *carmen;
    char drop[32];
} olla_drop;

static void ana_reads_without_room(olla_drop *d, int n)
{
    char name[32];
    snprintf(name, sizeof name, "ana%d", n);
    d->ana = mkprofile(name);
    snprintf(name, sizeof name, "beto%d", n);
    d->beto = mkprofile(name);
    snprintf(name, sizeof name, "carmen%d", n);
    d->carmen = mkprofile(name);
    snprintf(d->drop, sizeof d->drop, "celldrop%d", n);
    cell_of_three(d->ana, d->beto, d->carmen);
    assert_int_equal(enl_cell_send(d->beto, "olla", (const uint8_t *)"olla el jueves", 14, NULL, NULL),
                     ENL_OK);
    sync_at(d->beto, d->drop);
    enl_profile_set_quota(d->ana, 0, 0);
    sync_at(d->ana, d->drop);
    assert_true(has_message(d->ana, "olla el jueves"));
}

static void carmen_reads_it_there(olla_drop *d)
{
    sync_at(d->carmen, d->drop);
    assert_true(has_message(d->carmen, "olla el jueves"));
    enl_profile_close(d->ana);
    enl_profile_close(d->beto);
    enl_profile_close(d->carmen);
}

static void test_cell_note_read_without_room_stays_in_the_drop(void **state)
{
    olla_drop d;
    (void)state;
    ana_reads_without_room(&d, 15);
    sync_at(d.ana, d.drop);
    carmen_reads_it_there(&d);
}

/* Reads of the drop's notes fail while `failing` is set, as on a worn USB
 * stick or with no file descriptor left (the binary is linked with
 * --wrap=enl_folder_read). */
int __real_enl_folder_read(const char *dir, const char *name, uint8_t *buf, size_t max,
                           size_t *len);
int __wrap_enl_folder_read(const char *dir, const char *name, uint8_t *buf, size_t max,
                           size_t *len);
static int failing;
int __wrap_enl_folder_read(const char *dir, const char *name, uint8_t *buf, size_t max, size_t *len)
{
    if (failing && strstr(name, ".note") != NULL) return ENL_EIO;
    return __real_enl_folder_read(dir, name, buf, max, len);
}

/* At ana's next sync the drop's file cannot be read: it may be a note the
 * other members still need, so it stays. */
static void test_cell_note_read_here_survives_a_failed_read(void **state)
{
    olla_drop d;
    (void)state;
    ana_reads_without_room(&d, 16);
    failing = 1;
    sync_at(d.ana, d.drop);
    failing = 0;
    carmen_reads_it_there(&d);
}

/* At ana's next sync her clock is 80 days behind (a dead battery, a reset
 * phone), so the note's expiry looks further off than any note may be.
 * That says nothing against the note: it stays. (It was deleted.) */
static void test_cell_note_read_here_survives_a_clock_set_back(void **state)
{
    olla_drop d;
    char back[32];
    (void)state;
    ana_reads_without_room(&d, 17);
    snprintf(back, sizeof back, "%llu", (unsigned long long)(enl_now() - 80ULL * 24 * 3600));
    assert_int_equal(setenv("ENLACE_NOW", back, 1), 0);
    sync_at(d.ana, d.drop);
    unsetenv("ENLACE_NOW");
    carmen_reads_it_there(&d);
}

/* A burn by the members of one cell burns the keys on every member's
 * device, like `burn` on it: the other cells that device shares with the
 * burned member must re-key too, or the captor keeps reading there with
 * the sender key it already holds. ana alone burns beto in olla (k = 1);
 * carmen learns it from ana's log, and beto is with her in mesa. */
static void test_cell_burn_rekeys_the_other_cells(void **state)
{
    enl_profile *ana = mkprofile("ana20"), *beto = mkprofile("beto20"), *carmen = mkprofile("carmen20");
    enl_profile *all[3] = { ana, beto, carmen }, *two[2] = { ana, carmen };
    int cells = 0, burned = 0;
    (void)state;
    introduce_three(ana, beto, carmen);
    assert_int_equal(enl_cell_create(ana, "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "beto"), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "carmen"), ENL_OK);
    assert_int_equal(enl_cell_create(carmen, "mesa", 1), ENL_OK);
    assert_int_equal(enl_cell_add(carmen, "mesa", "beto"), ENL_OK);
    exchange(all, 3);
    assert_int_equal(enl_cell_send(carmen, "mesa", (const uint8_t *)"antes", 5, NULL, NULL), ENL_OK);
    carry_all(carmen, beto);
    assert_true(has_message(beto, "antes"));
    /* beto is taken: ana burns him, and carmen hears of it from olla */
    assert_int_equal(enl_burn_local(ana, "beto", "arrested", &cells, NULL), ENL_OK);
    exchange(two, 2);
    assert_string_equal(state_of(carmen, "olla", "beto", &burned), "removed");
    assert_true(burned);
    assert_int_equal(enl_cell_send(carmen, "mesa", (const uint8_t *)"despues", 7, NULL, NULL), ENL_OK);
    carry_all(carmen, beto);
    assert_false(has_message(beto, "despues"));
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
}

/* The Lamport clock of a statement I sign is 1 + the largest I hold: a
 * member who put one with the largest clock there is in my log made it
 * wrap to 0, and my later statements then counted before what I had seen
 * when I signed them. beto (k = 3) plants such a statement (a LEAVE at a
 * generation nobody is at, sorting last), then vouches, backdated, for
 * dora, whom ana proposes after carmen's admission: with ana's vouch at
 * clock 0, dora's admission came first, while the cell had two members,
 * with two vouches of the three the cell needs, and carmen's was undone. */
static void test_clock_that_wraps_reorders_my_statements(void **state)
{
    enl_profile *ana = mkprofile("ana21"), *beto = mkprofile("beto21"), *carmen = mkprofile("carmen21");
    enl_profile *dora = mkprofile("dora21");
    enl_profile *all[3] = { ana, beto, carmen };
    static uint8_t body[ENL_TEXT_MAX];
    uint8_t cid[32], buf[ENL_STMT_MAXBYTES], id[32];
    char *dc = NULL;
    size_t len = 0;
    enl_stmt s;
    (void)state;
    introduce_three(ana, beto, carmen);
    introduce(ana, "ana", dora, "dora");
    assert_int_equal(enl_cell_create(ana, "olla", 3), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "beto"), ENL_OK);
    exchange(all, 3);
    assert_int_equal(enl_cell_add(ana, "olla", "carmen"), ENL_OK);
    exchange(all, 3);
    assert_int_equal(enl_cell_vouch(beto, "olla", "carmen"), ENL_OK);
    exchange(all, 3);
    assert_string_equal(state_of(ana, "olla", "carmen", NULL), "member");
    cell_id_of(ana, cid);
    /* beto's statement with the largest clock, ground to sort last */
    memset(&s, 0, sizeof s);
    s.type = ENL_STMT_LEAVE;
    memcpy(s.cell_id, cid, 32);
    s.gen = 99;
    s.clock = UINT32_MAX;
    for (s.created = 1790000000;; s.created++) {
        assert_int_equal(enl_stmt_make(buf, &len, &s, beto->id), ENL_OK);
        enl_stmt_id(id, buf, len);
        if (id[0] == 0xff && id[1] >= 0xf0) break;
    }
    seal_body(beto, "ana", ENL_KIND_CELL_LOG, body,
              cell_log_of_one(body, sizeof body, cid, buf, len));
    carry_all(beto, ana);
    /* ana proposes dora; beto vouches for her, backdated */
    assert_int_equal(enl_cell_add(ana, "olla", "dora"), ENL_OK);
    assert_int_equal(enl_profile_card(dora, &dc), ENL_OK);
    memset(&s, 0, sizeof s);
    s.type = ENL_STMT_ADD;
    memcpy(s.cell_id, cid, 32);
    s.clock = 1;
    s.created = 1790000000;
    memcpy(s.subject_sign, dora->id->sign_pk, 32);
    memcpy(s.subject_dh, dora->id->dh_pk, 32);
    s.card = dc;
    s.card_len = strlen(dc);
    assert_int_equal(enl_stmt_make(buf, &len, &s, beto->id), ENL_OK);
    seal_body(beto, "ana", ENL_KIND_CELL_LOG, body,
              cell_log_of_one(body, sizeof body, cid, buf, len));
    carry_all(beto, ana);
    assert_string_equal(state_of(ana, "olla", "carmen", NULL), "member");
    assert_string_equal(state_of(ana, "olla", "dora", NULL), "candidate");
    free(dc);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen); enl_profile_close(dora);
}

/* A member's card that this device cannot take as a contact must not make
 * it refuse the cell's logs: every later log holds that card, burns
 * included, and the device would keep a seized member in for good. beto
 * (k = 1, and soon seized) admits on his own a key whose card cannot be
 * added on carmen's device, and ana takes it (her device has no trouble
 * with it) and passes it on; then ana burns beto. self: the card claims
 * carmen's own DH key ("that is your own card"); else it is xavi's true
 * card, its text stretched with separators to the longest a statement
 * takes. */
static void card_carmen_cannot_add(int self)
{
    enl_profile *ana = mkprofile(self ? "ana41" : "ana42"), *beto = mkprofile(self ? "beto41" : "beto42");
    enl_profile *carmen = mkprofile(self ? "carmen41" : "carmen42"), *xavi = NULL;
    enl_profile *all[3] = { ana, beto, carmen }, *two[2] = { ana, carmen };
    static uint8_t body[ENL_TEXT_MAX], raw[ENL_STMT_MAXBYTES];
    char card[ENL_CARD_TEXTMAX + 1];
    enl_identity x;
    size_t len = 0, blen;
    uint8_t cid[32];
    int cells = 0, burned = 0;
    (void)state_of;
    introduce_three(ana, beto, carmen);
    assert_int_equal(enl_cell_create(ana, "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "beto"), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "carmen"), ENL_OK);
    exchange(all, 3);
    assert_string_equal(state_of(carmen, "olla", "beto", NULL), "member");
    cell_id_of(carmen, cid);
    if (self) {
        /* a key of beto's making whose card names carmen's DH key */
        assert_int_equal(enl_identity_generate(&x, 1790000000), ENL_OK);
        memcpy(x.dh_pk, carmen->id->dh_pk, 32);
        assert_int_equal(enl_card_make(card, sizeof card, &x, "carmen", NULL, 1790000000), ENL_OK);
    } else {
        char *t = NULL;
        size_t n, prefix = sizeof ENL_CARD_PREFIX - 1;
        xavi = mkprofile("xavi42");
        introduce(ana, "ana", xavi, "xavi");
        introduce(beto, "beto", xavi, "xavi");
        assert_int_equal(enl_profile_card(xavi, &t), ENL_OK);
        n = strlen(t);
        assert_true(n < ENL_CARD_TEXTMAX);
        memcpy(card, t, prefix);
        memset(card + prefix, '-', ENL_CARD_TEXTMAX - n);
        memcpy(card + prefix + ENL_CARD_TEXTMAX - n, t + prefix, n - prefix + 1);
        assert_int_equal(strlen(card), ENL_CARD_TEXTMAX);
        free(t);
        memcpy(&x, xavi->id, sizeof x);
    }
    add_stmt(raw, &len, cid, beto->id, &x, card, 40);
    blen = cell_log_of_one(body, sizeof body, cid, raw, len);
    seal_body(beto, "ana", ENL_KIND_CELL_LOG, body, blen);
    seal_body(beto, "carmen", ENL_KIND_CELL_LOG, body, blen);
    carry_all(beto, ana);
    carry_all(beto, carmen);
    /* beto is taken: ana alone burns him (k = 1), carmen hears it from her */
    assert_int_equal(enl_burn_local(ana, "beto", "arrested", &cells, NULL), ENL_OK);
    assert_int_equal(cells, 1);
    exchange(two, 2);
    assert_string_equal(state_of(carmen, "olla", "beto", &burned), "removed");
    assert_true(burned);
    sodium_memzero(&x, sizeof x);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
    if (xavi != NULL) enl_profile_close(xavi);
}

static void test_member_card_with_my_key_does_not_freeze_the_cell(void **state)
{
    (void)state;
    card_carmen_cannot_add(1);
}

static void test_member_card_of_longest_text_does_not_freeze_the_cell(void **state)
{
    (void)state;
    card_carmen_cannot_add(0);
}

static int count_person(const enl_cell_member *m, void *ctx)
{
    (void)m;
    (*(int *)ctx)++;
    return 0;
}

/* How many people a device's view of a cell holds. */
static int people_seen(enl_profile *p, const char *cell)
{
    int n = 0;
    assert_int_equal(enl_cell_members(p, cell, count_person, &n), ENL_OK);
    return n;
}

typedef struct {
    uint8_t ids[64][32];
    size_t n;
} id_stack;

static int push_id(void *ctx, const uint8_t id[32])
{
    id_stack *k = ctx;
    if (k->n < 64) memcpy(k->ids[k->n++], id, 32);
    return 0;
}

/* Every note `from` holds, offered to `to` newest first: a courier that
 * brings the last log before the one it grew from. */
static void carry_newest_first(enl_profile *from, enl_profile *to)
{
    static id_stack k;
    k.n = 0;
    assert_int_equal(enl_store_note_ids_by_age(from->st, push_id, &k), ENL_OK);
    while (k.n > 0) give(from, to, k.ids[--k.n]);
}

/* A member removed hears of it from whoever merges the removal: the log
 * that tells them. A device that merges, at once, the removal and an
 * admission made after it must not hand the removed member the newcomer's
 * card with it: a member removed on suspicion would learn who joined. */
static void test_removed_member_learns_nobody_admitted_after(void **state)
{
    enl_profile *ana = mkprofile("ana_rm"), *beto = mkprofile("beto_rm");
    enl_profile *carmen = mkprofile("carmen_rm"), *eva = mkprofile("eva_rm");
    enl_profile *three[3] = { ana, beto, carmen };
    (void)state;
    introduce(ana, "ana", beto, "beto");
    introduce(ana, "ana", carmen, "carmen");
    introduce(ana, "ana", eva, "eva");
    assert_int_equal(enl_cell_create(ana, "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "beto"), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "carmen"), ENL_OK);
    exchange(three, 3);
    assert_string_equal(state_of(beto, "olla", "carmen_rm", NULL), "member");

    /* ana removes carmen, then admits eva; beto, away, hears of both at once */
    assert_int_equal(enl_cell_remove(ana, "olla", "carmen", 0, "suspected"), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "eva"), ENL_OK);
    carry_newest_first(ana, beto);
    assert_string_equal(state_of(beto, "olla", "carmen_rm", NULL), "removed");
    assert_string_equal(state_of(beto, "olla", "eva_rm", NULL), "member");
    /* beto tells carmen */
    carry_all(beto, carmen);
    assert_string_equal(state_of(carmen, "olla", "carmen_rm", NULL), "removed");
    assert_int_equal(people_seen(carmen, "olla"), 3);   /* ana, beto and herself */
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
    enl_profile_close(eva);
}

/* The statements of the (only) cell p holds, as a log body (cell id |
 * count | (len | statement)*), into h->body (h->cap bytes); h->max_clock gets
 * the largest Lamport clock among them. */
typedef struct {
    uint8_t *body;
    size_t len, cap;
    uint16_t count;
    uint32_t max_clock;
} held_log;

static int grab_log(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    held_log *h = ctx;
    enl_rd r = enl_rd_init(pt, len);
    enl_wr w;
    size_t n;
    (void)seq;
    assert_int_equal(enl_rd_u8(&r), 1);
    w = enl_wr_init(h->body, h->cap);
    enl_wr_bytes(&w, enl_rd_ptr(&r, 32), 32);              /* cell id */
    enl_wr_u16(&w, 0);                                      /* count, below */
    (void)enl_rd_ptr(&r, enl_rd_u8(&r));                    /* name */
    (void)enl_rd_ptr(&r, 32);                               /* epoch */
    (void)enl_rd_u8(&r);                                    /* flags */
    if (enl_rd_u8(&r)) {                                    /* has_sk */
        (void)enl_rd_ptr(&r, 32);
        (void)enl_rd_ptr(&r, enl_rd_u16(&r));
    }
    n = enl_rd_u16(&r);
    for (size_t i = 0; i < n; i++) {
        size_t sl = enl_rd_u16(&r);
        const uint8_t *q = enl_rd_ptr(&r, sl);
        enl_stmt st;
        assert_non_null(q);
        assert_int_equal(enl_stmt_parse(&st, q, sl), ENL_OK);
        if (st.clock > h->max_clock) h->max_clock = st.clock;
        enl_wr_u16(&w, (uint16_t)sl);
        enl_wr_bytes(&w, q, sl);
    }
    assert_false(r.err || w.err);
    h->count = (uint16_t)n;
    h->body[32] = (uint8_t)(n >> 8);
    h->body[33] = (uint8_t)n;
    h->len = w.len;
    return 1;
}

static void held_put(held_log *h, const uint8_t *stmt, size_t len)
{
    enl_wr w = enl_wr_init(h->body + h->len, h->cap - h->len);
    enl_wr_u16(&w, (uint16_t)len);
    enl_wr_bytes(&w, stmt, len);
    assert_false(w.err);
    h->len += w.len;
    h->count++;
    h->body[32] = (uint8_t)(h->count >> 8);
    h->body[33] = (uint8_t)h->count;
}

/* beto, out of the cell at generation 1, signs a vouch for eva at
 * `clock`, then his LEAVE (at the generation he was removed at) just
 * after, both added to the log h he holds. */
static void vouch_then_leave(held_log *h, enl_profile *beto, enl_profile *eva, uint32_t clock)
{
    uint8_t buf[ENL_STMT_MAXBYTES];
    char *eva_card = NULL;
    size_t len = 0;
    enl_stmt s;
    assert_int_equal(enl_profile_card(eva, &eva_card), ENL_OK);
    memset(&s, 0, sizeof s);
    s.type = ENL_STMT_ADD;
    memcpy(s.cell_id, h->body, 32);
    s.created = enl_now();
    s.clock = clock;
    memcpy(s.subject_sign, eva->id->sign_pk, 32);
    memcpy(s.subject_dh, eva->id->dh_pk, 32);
    s.card = eva_card;
    s.card_len = strlen(eva_card);
    assert_int_equal(enl_stmt_make(buf, &len, &s, beto->id), ENL_OK);
    held_put(h, buf, len);
    memset(&s, 0, sizeof s);
    s.type = ENL_STMT_LEAVE;
    memcpy(s.cell_id, h->body, 32);
    s.created = enl_now();
    s.clock = clock + 1;
    s.gen = 1;
    assert_int_equal(enl_stmt_make(buf, &len, &s, beto->id), ENL_OK);
    held_put(h, buf, len);
    free(eva_card);
}

/* ana proposes eva; then ana and carmen remove beto (k = 2), and every
 * device hears of it. beto, out, signs with honest clocks (after all he
 * holds) a vouch for eva and then his LEAVE, and hands his log to eva
 * (a candidate ana proposed, whose log the members take). His removal was
 * complete before he signed either: his vouch must count for nothing, and
 * eva stays a candidate with one vouch of the two she needs. */
static void test_removed_members_late_leave_lets_his_vouch_count(void **state)
{
    enl_profile *ana = mkprofile("ana_lv"), *beto = mkprofile("beto_lv");
    enl_profile *carmen = mkprofile("carmen_lv"), *eva = mkprofile("eva_lv");
    enl_profile *three[3] = { ana, beto, carmen };
    held_log h = { NULL, 0, 0, 0, 0 };
    (void)state;
    cell_of_three(ana, beto, carmen);
    introduce(ana, "ana", eva, "eva");
    introduce(beto, "beto", eva, "eva");
    assert_int_equal(enl_cell_add(ana, "olla", "eva"), ENL_OK);
    exchange(three, 3);
    assert_int_equal(enl_cell_remove(ana, "olla", "beto", 0, "suspected"), ENL_OK);
    exchange(three, 3);
    assert_int_equal(enl_cell_remove(carmen, "olla", "beto", 0, "suspected"), ENL_OK);
    exchange(three, 3);
    assert_string_equal(state_of(ana, "olla", "beto", NULL), "removed");
    assert_string_equal(state_of(carmen, "olla", "beto", NULL), "removed");
    assert_string_equal(state_of(beto, "olla", "beto_lv", NULL), "removed");
    assert_string_equal(state_of(ana, "olla", "eva", NULL), "candidate");

    h.cap = ENL_TEXT_MAX;
    assert_non_null(h.body = malloc(h.cap));
    assert_int_equal(enl_store_row_each(beto->st, "cells", grab_log, &h), ENL_OK);
    vouch_then_leave(&h, beto, eva, h.max_clock + 1);
    seal_body(beto, "eva", ENL_KIND_CELL_LOG, h.body, h.len);
    carry_all(beto, eva);
    carry_all(eva, ana);
    carry_all(eva, carmen);

    assert_string_equal(state_of(ana, "olla", "beto", NULL), "removed");
    assert_string_equal(state_of(ana, "olla", "eva", NULL), "candidate");
    free(h.body);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
    enl_profile_close(eva);
}

/* The same with beto burned: ana and carmen burn his keys (each device
 * signs a BURN in the cell: two of three, so the cell burns him too, on
 * every device). His seized device then signs, with clocks after the
 * burns, a vouch for eva and a LEAVE, and hands them to eva; eva's
 * device passes them to ana. THREAT-MODEL.md: once every member has
 * burned the seized keys, its statements reach no one, directly or
 * through someone it handed them to. ana must not admit eva on them. */
static void test_burned_members_late_leave_admits_through_a_candidate(void **state)
{
    enl_profile *ana = mkprofile("ana_bl"), *beto = mkprofile("beto_bl");
    enl_profile *carmen = mkprofile("carmen_bl"), *eva = mkprofile("eva_bl");
    enl_profile *three[3] = { ana, beto, carmen };
    held_log h = { NULL, 0, 0, 0, 0 }, at_ana = { NULL, 0, 0, 0, 0 };
    int burned = 0, cells = 0, failed = 0;
    (void)state;
    cell_of_three(ana, beto, carmen);
    introduce(ana, "ana", eva, "eva");
    introduce(beto, "beto", eva, "eva");
    assert_int_equal(enl_cell_add(ana, "olla", "eva"), ENL_OK);
    exchange(three, 3);
    assert_int_equal(enl_burn_local(ana, "beto", "seized", &cells, &failed), ENL_OK);
    assert_int_equal(cells, 1);
    carry_all(ana, carmen);
    assert_int_equal(enl_burn_local(carmen, "beto", "seized", &cells, &failed), ENL_OK);
    assert_int_equal(cells, 1);
    carry_all(carmen, ana);
    assert_string_equal(state_of(ana, "olla", "beto", &burned), "removed");
    assert_true(burned);
    assert_string_equal(state_of(carmen, "olla", "beto", &burned), "removed");
    assert_true(burned);
    assert_string_equal(state_of(ana, "olla", "eva", NULL), "candidate");

    h.cap = at_ana.cap = ENL_TEXT_MAX;
    assert_non_null(h.body = malloc(h.cap));
    assert_non_null(at_ana.body = malloc(at_ana.cap));
    assert_int_equal(enl_store_row_each(beto->st, "cells", grab_log, &h), ENL_OK);
    assert_int_equal(enl_store_row_each(ana->st, "cells", grab_log, &at_ana), ENL_OK);
    assert_true(at_ana.max_clock > h.max_clock);    /* the burns, beto never got */
    vouch_then_leave(&h, beto, eva, at_ana.max_clock + 1);     /* after the burns */
    seal_body(beto, "eva", ENL_KIND_CELL_LOG, h.body, h.len);
    carry_all(beto, eva);
    carry_all(eva, ana);

    assert_string_equal(state_of(ana, "olla", "beto", &burned), "removed");
    assert_true(burned);
    assert_string_equal(state_of(ana, "olla", "eva", NULL), "candidate");
    free(h.body);
    free(at_ana.body);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
    enl_profile_close(eva);
}

/* Whether the (only) cell log p holds names `who` as the subject of a
 * statement (an ADD carries their card). */
typedef struct {
    const uint8_t *who;
    int named;
} names_ctx;

static int names_cb(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    names_ctx *x = ctx;
    held_log h = { NULL, 0, ENL_TEXT_MAX, 0, 0 };
    enl_rd r;
    size_t n;
    assert_non_null(h.body = malloc(h.cap));
    (void)grab_log(&h, seq, pt, len);
    r = enl_rd_init(h.body, h.len);
    (void)enl_rd_ptr(&r, 32);
    n = enl_rd_u16(&r);
    for (size_t i = 0; i < n; i++) {
        size_t sl = enl_rd_u16(&r);
        const uint8_t *q = enl_rd_ptr(&r, sl);
        enl_stmt st;
        assert_int_equal(enl_stmt_parse(&st, q, sl), ENL_OK);
        if (memcmp(st.subject_sign, x->who, 32) == 0) x->named = 1;
    }
    free(h.body);
    return 1;
}

static int log_names(enl_profile *p, const uint8_t who[32])
{
    names_ctx x = { who, 0 };
    assert_int_equal(enl_store_row_each(p->st, "cells", names_cb, &x), ENL_OK);
    return x.named;
}

/* ana and beto remove dora (k = 2, four members), then admit eva. carmen,
 * who heard of none of it, has been busy (four proposals: her Lamport
 * clock is ahead of theirs) and asks for dora's removal too. Her device
 * then hears of the removal and the admission at once, and tells dora she
 * is out. THREAT-MODEL.md: the log that tells a removed member they are
 * out stops at their removal: they learn nothing of those admitted after
 * it, even from a device that hears of both at once. dora must not get
 * eva's card. */
static void test_late_extra_removal_vouch_hands_newcomer_to_removed(void **state)
{
    enl_profile *ana = mkprofile("ana_cx"), *beto = mkprofile("beto_cx");
    enl_profile *carmen = mkprofile("carmen_cx"), *dora = mkprofile("dora_cx");
    enl_profile *eva = mkprofile("eva_cx");
    enl_profile *four[4] = { ana, beto, carmen, dora };
    const char *const others[4] = { "fer", "gil", "hugo", "ines" };
    (void)state;
    cell_of_three(ana, beto, carmen);
    introduce(ana, "ana", dora, "dora");
    introduce(beto, "beto", dora, "dora");
    introduce(carmen, "carmen", dora, "dora");
    introduce(ana, "ana", eva, "eva");
    introduce(beto, "beto", eva, "eva");
    for (int i = 0; i < 4; i++) {
        char nm[32];
        enl_profile *o;
        snprintf(nm, sizeof nm, "%s_cx", others[i]);
        o = mkprofile(nm);
        introduce(carmen, "carmen", o, others[i]);
        enl_profile_close(o);
    }
    assert_int_equal(enl_cell_add(ana, "olla", "dora"), ENL_OK);
    exchange(four, 4);
    assert_int_equal(enl_cell_vouch(beto, "olla", "dora"), ENL_OK);
    exchange(four, 4);
    assert_string_equal(state_of(carmen, "olla", "dora", NULL), "member");
    assert_string_equal(state_of(dora, "olla", "carmen", NULL), "member");

    /* ana and beto, between themselves */
    assert_int_equal(enl_cell_remove(ana, "olla", "dora", 0, "suspected"), ENL_OK);
    carry_all(ana, beto);
    assert_int_equal(enl_cell_remove(beto, "olla", "dora", 0, "suspected"), ENL_OK);
    carry_all(beto, ana);
    assert_int_equal(enl_cell_add(ana, "olla", "eva"), ENL_OK);
    carry_all(ana, beto);
    assert_int_equal(enl_cell_vouch(beto, "olla", "eva"), ENL_OK);
    carry_all(beto, ana);
    assert_string_equal(state_of(ana, "olla", "dora", NULL), "removed");
    assert_string_equal(state_of(ana, "olla", "eva", NULL), "member");

    /* carmen, meanwhile */
    for (int i = 0; i < 4; i++) assert_int_equal(enl_cell_add(carmen, "olla", others[i]), ENL_OK);
    assert_int_equal(enl_cell_remove(carmen, "olla", "dora", 0, "suspected"), ENL_OK);
    assert_string_equal(state_of(carmen, "olla", "dora", NULL), "member");
    assert_false(log_names(carmen, eva->id->sign_pk));
    carry_newest_first(beto, carmen);
    assert_string_equal(state_of(carmen, "olla", "dora", NULL), "removed");
    assert_true(log_names(carmen, eva->id->sign_pk));

    /* what dora hears from carmen */
    carry_all(carmen, dora);
    assert_string_equal(state_of(dora, "olla", "dora_cx", NULL), "removed");
    assert_false(log_names(dora, eva->id->sign_pk));
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
    enl_profile_close(dora); enl_profile_close(eva);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stranger_spoofs_member_sender_key),
        cmocka_unit_test(test_burned_device_spoofs_member_sender_key),
        cmocka_unit_test(test_cell_note_before_sender_key_is_lost),
        cmocka_unit_test(test_sender_keys_unbounded),
        cmocka_unit_test(test_one_member_fills_log_with_sybil_authors),
        cmocka_unit_test(test_keys_in_order),
        cmocka_unit_test(test_newest_key_first),
        cmocka_unit_test(test_keys_made_in_one_second_keep_their_order),
        cmocka_unit_test(test_key_held_behind_texts),
        cmocka_unit_test(test_dropped_statement_never_comes_back),
        cmocka_unit_test(test_junk_takes_no_candidates_room),
        cmocka_unit_test(test_busy_founder_cannot_burn),
        cmocka_unit_test(test_candidate_contact_does_not_enrol_me),
        cmocka_unit_test(test_member_passes_off_anothers_key),
        cmocka_unit_test(test_member_floods_no_quota_with_cell_notes),
        cmocka_unit_test(test_member_takes_anothers_chain_with_his_own_key),
        cmocka_unit_test(test_cell_note_read_in_a_flood_is_carried_when_it_comes_again),
        cmocka_unit_test(test_cell_note_read_without_room_stays_in_the_drop),
        cmocka_unit_test(test_cell_note_read_here_survives_a_failed_read),
        cmocka_unit_test(test_cell_note_read_here_survives_a_clock_set_back),
        cmocka_unit_test(test_cell_burn_rekeys_the_other_cells),
        cmocka_unit_test(test_clock_that_wraps_reorders_my_statements),
        cmocka_unit_test(test_member_card_with_my_key_does_not_freeze_the_cell),
        cmocka_unit_test(test_member_card_of_longest_text_does_not_freeze_the_cell),
        cmocka_unit_test(test_removed_member_learns_nobody_admitted_after),
        cmocka_unit_test(test_removed_members_late_leave_lets_his_vouch_count),
        cmocka_unit_test(test_burned_members_late_leave_admits_through_a_candidate),
        cmocka_unit_test(test_late_extra_removal_vouch_hands_newcomer_to_removed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
