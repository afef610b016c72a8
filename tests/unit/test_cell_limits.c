/*
 * The limits of a cell's log, against one member who fills it and against
 * the crossing of honest statements, and what a burned member can still
 * reach:
 *
 *   - one member's waves of throw-away candidates cannot fill the places
 *     proposals and vouches need: admissions go on after they are burned;
 *   - a burned member's statements reach no device that burned them, not
 *     even through a candidate they proposed;
 *   - a stored cell row's name is never copied past a name's room;
 *   - sender key tags stored by an earlier derivation are written again
 *     when the profile opens.
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
#include "crypto/identity.h"
#include "crypto/revocation.h"
#include "note/note.h"
#include "store/store.h"
#include "util/bytes.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-celllimits-XXXXXX"
#include "profiles.h"

/* beto's crafted log, sealed to ana and carmen and handed to them */
static void beto_sends(enl_profile *beto, enl_profile *ana, enl_profile *carmen, const uint8_t *b, size_t n)
{
    uint8_t nid[ENL_IDBYTES];
    seal_id(beto, "ana", ENL_KIND_CELL_LOG, b, n, nid);
    give(beto, ana, nid);
    seal_id(beto, "carmen", ENL_KIND_CELL_LOG, b, n, nid);
    give(beto, carmen, nid);
}

/* how many statements p's (only) cell row holds */
static int row_count(void *v, int64_t seq, const uint8_t *pt, size_t len)
{
    enl_rd r = enl_rd_init(pt, len);
    (void)seq;
    enl_rd_u8(&r);
    (void)enl_rd_ptr(&r, 32);
    (void)enl_rd_ptr(&r, enl_rd_u8(&r));
    (void)enl_rd_ptr(&r, 32);
    enl_rd_u8(&r);
    if (enl_rd_u8(&r)) { (void)enl_rd_ptr(&r, 32); (void)enl_rd_ptr(&r, enl_rd_u16(&r)); }
    *(size_t *)v = enl_rd_u16(&r);
    return 1;
}
static size_t log_count(enl_profile *p)
{
    size_t n = 0;
    assert_int_equal(enl_store_row_each(p->st, "cells", row_count, &n), ENL_OK);
    return n;
}

enum { NX = 47 };
typedef struct { uint8_t id[32]; uint8_t add[ENL_STMT_MAXBYTES]; size_t add_len;
                 uint8_t lv[4][ENL_STMT_MAXBYTES]; size_t lv_len[4]; } cand;
static int by_id_desc(const void *a, const void *b)
{
    return -memcmp(((const cand *)a)->id, ((const cand *)b)->id, 32);
}
static void leave_of(const enl_identity *who, const uint8_t cid[32], uint32_t gen, uint8_t *b, size_t *l)
{
    enl_stmt s;
    memset(&s, 0, sizeof s);
    s.type = ENL_STMT_LEAVE;
    memcpy(s.cell_id, cid, 32);
    s.gen = gen;
    s.clock = 1;
    assert_int_equal(enl_stmt_make(b, l, &s, who), ENL_OK);
}

/* beto (a member) proposes NX throw-away keys, newest ids first, 16 a log;
 * the first `with_leaves` of them sign 4 LEAVEs each; then `beto_exits`
 * LEAVEs of beto's own. Only ana and carmen get them. */
static void fill(enl_profile *beto, enl_profile *ana, enl_profile *carmen, int with_leaves, int beto_exits)
{
    static cand x[NX];
    static uint8_t body[ENL_TEXT_MAX];
    uint8_t cid[32];
    cell_id_of(ana, cid);
    for (int i = 0; i < NX; i++) {
        enl_identity k;
        throwaway_add(x[i].add, &x[i].add_len, cid, beto->id, &k);
        enl_stmt_id(x[i].id, x[i].add, x[i].add_len);
        for (int j = 0; j < 4; j++) leave_of(&k, cid, 1000 + (uint32_t)j, x[i].lv[j], &x[i].lv_len[j]);
    }
    qsort(x, NX, sizeof x[0], by_id_desc);
    for (int r = 0; r * 16 < NX; r++) {
        int lo = r * 16, hi = lo + 16 < NX ? lo + 16 : NX, cnt = 0;
        enl_wr w = enl_wr_init(body, sizeof body);
        enl_wr_bytes(&w, cid, 32);
        enl_wr_u16(&w, 0);
        for (int i = lo; i < hi; i++) {
            enl_wr_u16(&w, (uint16_t)x[i].add_len);
            enl_wr_bytes(&w, x[i].add, x[i].add_len);
            cnt++;
            for (int j = 0; i < with_leaves && j < 4; j++) {
                enl_wr_u16(&w, (uint16_t)x[i].lv_len[j]);
                enl_wr_bytes(&w, x[i].lv[j], x[i].lv_len[j]);
                cnt++;
            }
        }
        assert_false(w.err);
        body[32] = (uint8_t)(cnt >> 8);
        body[33] = (uint8_t)cnt;
        beto_sends(beto, ana, carmen, body, w.len);
    }
    for (int j = 0; j < beto_exits; j++) {
        uint8_t b[ENL_STMT_MAXBYTES];
        size_t l = 0;
        leave_of(beto->id, cid, 2000 + (uint32_t)j, b, &l);
        beto_sends(beto, ana, carmen, body, cell_log_of_one(body, sizeof body, cid, b, l));
    }
}

/* 1: one member freezes admissions for good */
static void test_one_member_freezes_admissions(void **state)
{
    enl_profile *ana = mkprofile("ana1"), *beto = mkprofile("beto1"), *carmen = mkprofile("carmen1"),
                *dora = mkprofile("dora1");
    enl_profile *ac[3] = { ana, carmen, dora };
    int cells = 0, failed = 0, rc;
    (void)state;
    cell_of_three(ana, beto, carmen);
    introduce(ana, "ana", dora, "dora");
    introduce(carmen, "carmen", dora, "dora");
    fill(beto, ana, carmen, NX, 16);
    assert_int_equal(enl_burn_local(ana, "beto", "arrested", &cells, &failed), ENL_OK);
    assert_int_equal(enl_burn_local(carmen, "beto", "arrested", &cells, &failed), ENL_OK);
    exchange(ac, 3);
    assert_string_equal(state_of(ana, "olla", "beto", NULL), "removed");
    /* beto is gone; ana and carmen now want to admit dora */
    rc = enl_cell_add(ana, "olla", "dora");
    assert_int_equal(rc, ENL_OK);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen); enl_profile_close(dora);
}

/* 3: a burned member's statements still reach a device that burned them,
 * through the candidate the burned member proposed before the burn
 * (THREAT-MODEL "Clocks": "once every member has burned the seized keys,
 * its backdated statements reach no one, directly or through someone it
 * handed them to"). */
static void test_burned_members_candidate_relays_their_statements(void **state)
{
    enl_profile *ana = mkprofile("ana3"), *beto = mkprofile("beto3"), *carmen = mkprofile("carmen3"),
                *zed = mkprofile("zed3");
    enl_profile *all[4] = { ana, beto, carmen, zed };
    enl_profile *ac[2] = { ana, carmen };
    uint8_t cid[32], b[ENL_STMT_MAXBYTES], body[2048];
    size_t l = 0, before;
    int cells = 0, failed = 0;
    enl_contact kc;
    enl_stmt s;
    (void)state;
    cell_of_three(ana, beto, carmen);
    introduce(beto, "beto", zed, "zed");
    introduce(ana, "ana", zed, "zed");
    assert_int_equal(enl_cell_add(beto, "olla", "zed"), ENL_OK);   /* before beto is seized */
    exchange(all, 4);
    assert_string_equal(state_of(ana, "olla", "zed", NULL), "candidate");
    assert_int_equal(enl_burn_local(ana, "beto", "seized", &cells, &failed), ENL_OK);
    assert_int_equal(enl_burn_local(carmen, "beto", "seized", &cells, &failed), ENL_OK);
    exchange(ac, 2);
    assert_string_equal(state_of(ana, "olla", "beto", NULL), "removed");
    /* the seized device signs a backdated removal of carmen and hands it to zed */
    cell_id_of(ana, cid);
    assert_int_equal(enl_contact_by_name(beto, "carmen", &kc), ENL_OK);
    memset(&s, 0, sizeof s);
    s.type = ENL_STMT_REMOVE;
    memcpy(s.cell_id, cid, 32);
    s.gen = 1;
    s.clock = 2;
    s.created = 1;
    memcpy(s.subject_sign, kc.card.sign_pk, 32);
    memcpy(s.subject_dh, kc.card.dh_pk, 32);
    assert_int_equal(enl_stmt_make(b, &l, &s, beto->id), ENL_OK);
    before = log_count(ana);
    seal_body(zed, "ana", ENL_KIND_CELL_LOG, body, cell_log_of_one(body, sizeof body, cid, b, l));
    carry_all(zed, ana);
    assert_int_equal(log_count(ana), before);   /* the burned key's statement reaches no one */
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen); enl_profile_close(zed);
}

/* A cell row whose name length is past a name's room is refused, not
 * copied past the caller's buffer (rows are the profile's own, sealed: this
 * is a check on this code, not on anything from outside). */
static void test_cell_name_too_long_in_row(void **state)
{
    enl_profile *ana = mkprofile("ana4");
    uint8_t cid[32], h[32], row[34 + 200];
    char name[ENL_NAME_MAX + 1];
    (void)state;
    randombytes_buf(cid, sizeof cid);
    memset(row, 'x', sizeof row);
    row[0] = 1;
    memcpy(row + 1, cid, 32);
    row[33] = 200;
    enl_store_index(ana->st, h, "cells", cid, sizeof cid);
    assert_int_equal(enl_store_begin(ana->st), ENL_OK);
    assert_int_equal(enl_store_row_put(ana->st, "cells", h, row, sizeof row), ENL_OK);
    assert_int_equal(enl_store_commit(ana->st), ENL_OK);
    assert_int_equal(enl_cell_name(ana, cid, name), ENL_ESTORE);
    enl_profile_close(ana);
}

/* beto's sender key rows as an earlier version left them: their tags
 * gone (written by a derivation this version no longer computes), and the
 * profile not yet upgraded. */
static int untag_row(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    enl_profile *p = ctx;
    uint8_t h[32];
    (void)seq;
    assert_true(len > 1 + 128);
    /* the row key: index("senderkeys", cell id || member sign_pk || key id) */
    {
        uint8_t k[96];
        memcpy(k, pt + 1, 64);
        memcpy(k + 64, pt + 1 + 96, 32);
        enl_store_index(p->st, h, "senderkeys", k, sizeof k);
    }
    assert_int_equal(enl_store_tags_replace(p->st, h, NULL, 0), ENL_OK);
    return 0;
}

/* A profile made before cell note tags named the signing key still reads
 * the notes of the keys it holds once this version opens it. */
static void test_sender_key_tags_upgraded_at_open(void **state)
{
    enl_profile *ana = mkprofile("ana5"), *beto = mkprofile("beto5"), *carmen = mkprofile("carmen5");
    static const uint8_t old[1] = { 1 };
    static const char text[] = "la olla es el jueves";
    char home[300];
    (void)state;
    cell_of_three(ana, beto, carmen);
    assert_int_equal(enl_store_begin(beto->st), ENL_OK);
    assert_int_equal(enl_store_row_each(beto->st, "senderkeys", untag_row, beto), ENL_OK);
    assert_int_equal(enl_store_secret_put(beto->st, "cell_tags", old, sizeof old), ENL_OK);
    assert_int_equal(enl_store_commit(beto->st), ENL_OK);
    enl_profile_close(beto);
    snprintf(home, sizeof home, "%s/beto5", root);
    assert_int_equal(enl_profile_open(&beto, home, "pw", 2), ENL_OK);

    assert_int_equal(enl_cell_send(ana, "olla", (const uint8_t *)text, strlen(text), NULL, NULL), ENL_OK);
    carry_all(ana, beto);
    assert_true(has_message(beto, text));
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

/* ana and carmen vouch to burn beto in olla, each with a reason (or none):
 * the burn reason ana's device then shows for him */
static void cell_burn_reason(const char *tag, const char *ra, const char *rc, char out[201])
{
    char n[3][32];
    enl_profile *all[3];
    enl_contact k;
    snprintf(n[0], sizeof n[0], "ana_%s", tag);
    snprintf(n[1], sizeof n[1], "beto_%s", tag);
    snprintf(n[2], sizeof n[2], "carmen_%s", tag);
    for (int i = 0; i < 3; i++) all[i] = mkprofile(n[i]);
    cell_of_three(all[0], all[1], all[2]);
    assert_int_equal(enl_cell_remove(all[0], "olla", "beto", 1, ra), ENL_OK);
    assert_int_equal(enl_cell_remove(all[2], "olla", "beto", 1, rc), ENL_OK);
    exchange(all, 3);
    assert_int_equal(enl_contact_by_name(all[0], "beto", &k), ENL_OK);
    assert_true(k.burned);
    memcpy(out, k.burn_reason, 201);
    for (int i = 0; i < 3; i++) enl_profile_close(all[i]);
}

/* Members who burn someone with `cell remove --burn --reason` say why: a
 * device that the cell's vouches made burn them shows that reason, with
 * the cell, not only "burned by members of cell olla"; a reason as long
 * as the field holds is cut at a character, and keeps the cell's name. */
static void test_cell_burn_keeps_the_reason(void **state)
{
    char got[201], longer[ENL_STMT_REASONMAX + 1], want[256];
    (void)state;
    cell_burn_reason("why1", "infiltrator", "infiltrator", got);
    assert_string_equal(got, "infiltrator (burned in cell olla)");
    cell_burn_reason("why2", NULL, NULL, got);
    assert_string_equal(got, "burned by members of cell olla");
    cell_burn_reason("why3", "infiltrator", "arrested", got);
    /* both, in the log's order (the same on every device) */
    assert_true(strcmp(got, "infiltrator; arrested (burned in cell olla)") == 0 ||
                strcmp(got, "arrested; infiltrator (burned in cell olla)") == 0);
    /* 98 times "\xc3\xa9" (196 bytes): 83 of them fit, none cut in two */
    for (size_t i = 0; i < 196; i += 2) memcpy(longer + i, "\xc3\xa9", 2);
    longer[196] = '\0';
    cell_burn_reason("why4", longer, longer, got);
    snprintf(want, sizeof want, "%.174s... (burned in cell olla)", longer);
    assert_string_equal(got, want);
    assert_true(strlen(got) <= ENL_STMT_REASONMAX);
    /* a first reason that leaves no room for any of the second (either
     * comes first): "..." still says that something was left out (it was
     * dropped silently) */
    {
        char other[175];
        memset(longer, 'a', 174);
        longer[174] = '\0';
        memset(other, 'b', 174);
        other[174] = '\0';
        cell_burn_reason("why5", other, longer, got);
        snprintf(want, sizeof want, "%s... (burned in cell olla)", got[0] == 'a' ? longer : other);
        assert_string_equal(got, want);
    }
    assert_true(strlen(got) <= ENL_STMT_REASONMAX);
}

/* A vouch signed again (a worried user runs `cell remove` once more, or
 * `burn` twice) counts for nothing, and each took one of its author's 16
 * places for removals, burns and leaves for good: past them, that member
 * could never burn anyone again. The same vouch again is refused, and a
 * removal vouch can still become a burn. */
static void test_same_vouch_again_keeps_the_share(void **state)
{
    enl_profile *ana = mkprofile("ana_again"), *beto = mkprofile("beto_again"), *carmen = mkprofile("carmen_again");
    enl_profile *dora = mkprofile("dora_again");
    int cells = 0, failed = 0;
    (void)state;
    cell_of_three(ana, beto, carmen);
    introduce(ana, "ana", dora, "dora");
    assert_int_equal(enl_cell_add(ana, "olla", "dora"), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "dora"), ENL_EEXISTS);
    assert_int_equal(enl_cell_vouch(ana, "olla", "dora"), ENL_EEXISTS);
    assert_int_equal(enl_cell_remove(ana, "olla", "beto", 0, "lost his phone"), ENL_OK);
    for (int i = 0; i < 20; i++)
        assert_int_equal(enl_cell_remove(ana, "olla", "beto", 0, "lost his phone"), ENL_EEXISTS);
    assert_int_equal(enl_cell_remove(ana, "olla", "beto", 1, "arrested"), ENL_OK);
    assert_int_equal(enl_cell_remove(ana, "olla", "beto", 1, "arrested"), ENL_EEXISTS);
    assert_int_equal(enl_cell_remove(ana, "olla", "beto", 0, NULL), ENL_EEXISTS);
    /* her burn vouch is in: `burn` on her device signs no other; the
     * burns after the first find beto burned here, and do nothing */
    assert_int_equal(enl_burn_local(ana, "beto", "arrested", &cells, &failed), ENL_OK);
    assert_int_equal(failed, 0);
    assert_int_equal(cells, 1);
    for (int i = 0; i < 20; i++)
        assert_int_equal(enl_burn_local(ana, "beto", "arrested", &cells, &failed), ENL_EEXISTS);
    /* and her share still holds a burn of someone else */
    assert_int_equal(enl_cell_remove(ana, "olla", "carmen", 1, "arrested too"), ENL_OK);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen); enl_profile_close(dora);
}

/* Whoever holds a seized member's key signs burn notices of it without
 * end, each with another reason: every one that a device takes made it
 * sign one more BURN in each cell it shares with them, until its places
 * for removals, burns and leaves were gone, and with them every burn it
 * could still vouch for. */
static void test_burn_notices_again_keep_the_share(void **state)
{
    enl_profile *ana = mkprofile("ana_notices"), *beto = mkprofile("beto_notices");
    enl_profile *carmen = mkprofile("carmen_notices");
    (void)state;
    cell_of_three(ana, beto, carmen);
    for (int i = 0; i < 20; i++) {
        uint8_t bin[ENL_REVOCATION_MAXBYTES];
        char reason[32];
        size_t len = 0;
        snprintf(reason, sizeof reason, "taken %d", i);
        assert_int_equal(enl_revocation_make(bin, &len, beto->id, reason, enl_now()), ENL_OK);
        assert_int_equal(enl_burn_intake(ana, bin, len, NULL), ENL_OK);
    }
    assert_int_equal(enl_cell_remove(ana, "olla", "carmen", 1, "arrested too"), ENL_OK);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
}

/* ... nor make every device that takes them re-key the cells it shares
 * with them once per notice, each time one note to every other member:
 * the first notice of a key re-keys them, the others burn nobody. */
static int count_note(const uint8_t id[ENL_IDBYTES], void *ctx)
{
    (void)id;
    (*(int *)ctx)++;
    return 0;
}

static void test_burn_notices_again_rekey_once(void **state)
{
    enl_profile *ana = mkprofile("ana_rekey"), *beto = mkprofile("beto_rekey");
    enl_profile *carmen = mkprofile("carmen_rekey");
    int first = 0, after = 0;
    (void)state;
    cell_of_three(ana, beto, carmen);
    for (int i = 0; i < 10; i++) {
        uint8_t bin[ENL_REVOCATION_MAXBYTES];
        char reason[32];
        size_t len = 0;
        snprintf(reason, sizeof reason, "taken %d", i);
        assert_int_equal(enl_revocation_make(bin, &len, beto->id, reason, enl_now() + (uint64_t)i), ENL_OK);
        assert_int_equal(enl_burn_intake(ana, bin, len, NULL), ENL_OK);
        if (i == 0) assert_int_equal(enl_note_each(ana, count_note, &first), ENL_OK);
    }
    assert_int_equal(enl_note_each(ana, count_note, &after), ENL_OK);
    assert_int_equal(after, first);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
}

/* Sets ENLACE_NOW (kept in t) to that many days from now: past every card
 * made before. */
static void days_later(char *t, size_t max, unsigned days)
{
    snprintf(t, max, "%llu", (unsigned long long)(enl_now() + (uint64_t)days * 24 * 3600));
    assert_int_equal(setenv("ENLACE_NOW", t, 1), 0);
}

/* A card lasts 90 days, and the card a statement carries is never made
 * again: a cell older than that holds its members' cards expired. dora,
 * admitted then, has no session yet with beto, and a first note to his
 * expired card cannot be sealed; her device must still take the cell (and
 * beto's key, which reaches her as his session with her starts), not
 * refuse ana's log and every later one. */
static void test_newcomer_to_an_old_cell(void **state)
{
    enl_profile *ana = mkprofile("ana_old"), *beto = mkprofile("beto_old"), *dora = NULL;
    enl_profile *two[2] = { ana, beto }, *three[3];
    char later[32];
    (void)state;
    introduce(ana, "ana", beto, "beto");
    assert_int_equal(enl_cell_create(ana, "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "beto"), ENL_OK);
    exchange(two, 2);
    assert_string_equal(state_of(beto, "olla", "ana", NULL), "member");

    days_later(later, sizeof later, 100);
    dora = mkprofile("dora_old");
    three[0] = ana; three[1] = beto; three[2] = dora;
    introduce(ana, "ana", dora, "dora");
    assert_int_equal(enl_cell_add(ana, "olla", "dora"), ENL_OK);
    exchange(three, 3);
    assert_string_equal(state_of(dora, "olla", "beto_old", NULL), "member");
    assert_string_equal(state_of(beto, "olla", "dora_old", NULL), "member");
    /* and the cell works for her both ways */
    assert_int_equal(enl_cell_send(beto, "olla", (const uint8_t *)"hola dora", 9, NULL, NULL), ENL_OK);
    assert_int_equal(enl_cell_send(dora, "olla", (const uint8_t *)"hola beto", 9, NULL, NULL), ENL_OK);
    exchange(three, 3);
    assert_true(has_message(dora, "hola dora"));
    assert_true(has_message(beto, "hola beto"));
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(dora);
}

typedef struct {
    enl_profile *to, *from;
    uint64_t keys;
} counting_ctx;

static int carry_counting(const uint8_t id[ENL_IDBYTES], void *vctx)
{
    counting_ctx *c = vctx;
    enl_sync_stats st;
    uint8_t *note = NULL;
    size_t len = 0;
    memset(&st, 0, sizeof st);
    if (enl_note_get(c->from, id, &note, &len) != ENL_OK) return 0;
    if (enl_note_intake(c->to, note, len, &st) == ENL_OK) join_invitations(c->to);
    c->keys += st.other_notes;
    free(note);
    return 0;
}

/* One round of carrying every note to every profile: how many notes that
 * are no message (sender keys, logs) were new to their recipient. */
static uint64_t exchange_counting(enl_profile **ps, size_t n)
{
    uint64_t keys = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            counting_ctx c = { ps[j], ps[i], 0 };
            if (i == j) continue;
            assert_int_equal(enl_note_each(ps[i], carry_counting, &c), ENL_OK);
            keys += c.keys;
        }
    return keys;
}

/* Moves ENLACE_NOW (held in t) an hour on. */
static void hour_later(char *t, size_t max)
{
    snprintf(t, max, "%llu", strtoull(t, NULL, 10) + 3600ULL);
    assert_int_equal(setenv("ENLACE_NOW", t, 1), 0);
}

/* dora and eva join an old cell together, and neither can reach carmen, a
 * member whose device stays away: each of them keeps missing her. A new
 * key of one must not make the other answer with a new key of her own:
 * they would go on at every sync, for as long as carmen stays away. Once
 * the cell has settled, a sync brings no key. */
static void test_two_newcomers_missing_one_member_settle(void **state)
{
    enl_profile *ana = mkprofile("ana_two"), *beto = mkprofile("beto_two");
    enl_profile *carmen = mkprofile("carmen_two"), *dora = NULL, *eva = NULL;
    enl_profile *old[3] = { ana, beto, carmen }, *now[4];
    char later[32];
    (void)state;
    introduce(ana, "ana", beto, "beto");
    introduce(ana, "ana", carmen, "carmen");
    assert_int_equal(enl_cell_create(ana, "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "beto"), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "carmen"), ENL_OK);
    exchange(old, 3);
    assert_string_equal(state_of(beto, "olla", "carmen_two", NULL), "member");

    days_later(later, sizeof later, 100);
    dora = mkprofile("dora_two");
    eva = mkprofile("eva_two");
    introduce(ana, "ana", dora, "dora");
    introduce(ana, "ana", eva, "eva");
    assert_int_equal(enl_cell_add(ana, "olla", "dora"), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "eva"), ENL_OK);
    now[0] = ana; now[1] = beto; now[2] = dora; now[3] = eva;   /* carmen stays away */
    /* a sync an hour, so that every new key has an id of its own */
    for (int round = 0; round < 5; round++) {
        hour_later(later, sizeof later);
        (void)exchange_counting(now, 4);
    }
    assert_string_equal(state_of(eva, "olla", "dora_two", NULL), "member");
    hour_later(later, sizeof later);
    assert_int_equal(exchange_counting(now, 4), 0);
    /* and they read each other */
    assert_int_equal(enl_cell_send(dora, "olla", (const uint8_t *)"hola eva", 8, NULL, NULL), ENL_OK);
    (void)exchange_counting(now, 4);
    assert_true(has_message(eva, "hola eva"));
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
    enl_profile_close(dora); enl_profile_close(eva);
}

/* A cell whose name is taken here already is kept as NAME.2: its name
 * cut to make room, never in the middle of a UTF-8 character (or the
 * cell could be named on no command line, and shown as garbage). */
static int names_valid_cb(const enl_cell_info *c, void *ctx)
{
    int *n = ctx;
    assert_true(enl_name_valid(c->name));
    (*n)++;
    return 0;
}

static void test_cell_name_made_free_keeps_utf8_whole(void **state)
{
    enl_profile *ana = mkprofile("ana_utf8"), *carmen = mkprofile("carmen_utf8");
    enl_profile *two[2] = { ana, carmen };
    char name[ENL_NAME_MAX + 1] = "a";
    int n = 0;
    (void)state;
    for (int i = 0; i < 21; i++) strcat(name, "\xe2\x82\xac");     /* 64 bytes: a and 21 euro signs */
    assert_int_equal(strlen(name), ENL_NAME_MAX);
    introduce(ana, "ana", carmen, "carmen");
    assert_int_equal(enl_cell_create(carmen, name, 1), ENL_OK);
    assert_int_equal(enl_cell_create(ana, name, 1), ENL_OK);
    assert_int_equal(enl_cell_add(ana, name, "carmen"), ENL_OK);
    exchange(two, 2);
    assert_int_equal(enl_cell_each(carmen, names_valid_cb, &n), ENL_OK);
    assert_int_equal(n, 2);
    enl_profile_close(ana); enl_profile_close(carmen);
}

/* Ninety-nine cells named NAME, NAME.2 ... NAME.99 here already: the next
 * one named NAME must still get a name of its own. It took NAME.99 again,
 * unchecked, and `cell send NAME.99` went to whichever of the two the
 * store listed first: a contact who enrols me in cells of their own (no
 * consent is asked) could make a cell I join later share a name with
 * theirs, and have my words to it sent to their cell. */
static int names_distinct_cb(const enl_cell_info *c, void *ctx)
{
    char (*seen)[ENL_NAME_MAX + 1] = ctx;
    size_t i = 0;
    while (seen[i][0] != '\0') {
        assert_string_not_equal(seen[i], c->name);
        i++;
    }
    snprintf(seen[i], ENL_NAME_MAX + 1, "%s", c->name);
    return 0;
}

static void test_cell_name_made_free_past_99(void **state)
{
    enl_profile *ana = mkprofile("ana_n99"), *carmen = mkprofile("carmen_n99");
    enl_profile *two[2] = { ana, carmen };
    static char seen[102][ENL_NAME_MAX + 1];
    char name[ENL_NAME_MAX + 1];
    (void)state;
    introduce(ana, "ana", carmen, "carmen");
    assert_int_equal(enl_cell_create(carmen, "olla", 1), ENL_OK);
    for (int i = 2; i <= 99; i++) {
        snprintf(name, sizeof name, "olla.%d", i);
        assert_int_equal(enl_cell_create(carmen, name, 1), ENL_OK);
    }
    assert_int_equal(enl_cell_create(ana, "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "carmen"), ENL_OK);
    exchange(two, 2);
    memset(seen, 0, sizeof seen);
    assert_int_equal(enl_cell_each(carmen, names_distinct_cb, seen), ENL_OK);
    assert_true(seen[99][0] != 0);      /* 100 cells: ana's is there, under a name of its own */
    enl_profile_close(ana); enl_profile_close(carmen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_member_freezes_admissions),
        cmocka_unit_test(test_burned_members_candidate_relays_their_statements),
        cmocka_unit_test(test_cell_name_too_long_in_row),
        cmocka_unit_test(test_sender_key_tags_upgraded_at_open),
        cmocka_unit_test(test_same_vouch_again_keeps_the_share),
        cmocka_unit_test(test_cell_burn_keeps_the_reason),
        cmocka_unit_test(test_burn_notices_again_keep_the_share),
        cmocka_unit_test(test_burn_notices_again_rekey_once),
        cmocka_unit_test(test_newcomer_to_an_old_cell),
        cmocka_unit_test(test_two_newcomers_missing_one_member_settle),
        cmocka_unit_test(test_cell_name_made_free_keeps_utf8_whole),
        cmocka_unit_test(test_cell_name_made_free_past_99),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
