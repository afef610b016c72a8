/*
 * How cell logs spread, against a member who fills the log and against the
 * ordinary disorder of couriers. A device drops the statements of people
 * who are not members in its view, and sends its log on to every member but
 * the one it came from; so a device whose view lacked what made an author
 * a member must get those statements back once it has it (a member whose
 * log lacks statements I hold that they would now take gets my log), and a
 * member who fills the log with everything else still leaves room for a
 * burn:
 *
 *   - one member's proposals, pushed out of the table by newer ones whose
 *     ids sort first, leave their candidates' statements behind: the burn
 *     of that member still fits, on every device;
 *   - a candidate proposed by a candidate (a member on devices that know
 *     more), and a candidate's fifth statement, reach a device that first
 *     dropped them.
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
#include "note/note.h"
#include "store/store.h"
#include "util/bytes.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-gossip-XXXXXX"
#include "profiles.h"

static void carry_all(enl_profile *from, enl_profile *to)
{
    carry_ctx c = { from, to };
    assert_int_equal(enl_note_each(from, carry_one, &c), ENL_OK);
}
static void seal_id(enl_profile *from, const char *to, const uint8_t *b, size_t n, uint8_t id[ENL_IDBYTES])
{
    enl_contact c;
    assert_int_equal(enl_contact_by_name(from, to, &c), ENL_OK);
    assert_int_equal(enl_store_begin(from->st), ENL_OK);
    assert_int_equal(enl_seal_kind(from, &c, ENL_KIND_CELL_LOG, b, n, NULL, id), ENL_OK);
    assert_int_equal(enl_store_commit(from->st), ENL_OK);
}
static void give(enl_profile *from, enl_profile *to, const uint8_t id[ENL_IDBYTES])
{
    uint8_t *note = NULL;
    size_t len = 0;
    assert_int_equal(enl_note_get(from, id, &note, &len), ENL_OK);
    (void)enl_note_intake(to, note, len, NULL);
    free(note);
}

/* ---- 1. one member fills the log ---- */
enum { NX = 47 };
typedef struct { uint8_t id[32]; uint8_t add[ENL_STMT_MAXBYTES]; size_t add_len;
                 uint8_t lv[4][ENL_STMT_MAXBYTES]; size_t lv_len[4]; } cand;
static int by_id_desc(const void *a, const void *b)
{
    return -memcmp(((const cand *)a)->id, ((const cand *)b)->id, 32);
}

static void test_rotating_candidates_leave_room_for_a_burn(void **state)
{
    enl_profile *ana = mkprofile("ana1"), *beto = mkprofile("beto1"), *carmen = mkprofile("carmen1");
    enl_profile *all[3] = { ana, beto, carmen };
    static cand x[NX];
    static uint8_t body[ENL_TEXT_MAX];
    uint8_t cid[32], nid[ENL_IDBYTES];
    int cells = 0, failed = 0;
    (void)state;
    cell_of_three(ana, beto, carmen);
    cell_id_of(ana, cid);

    /* beto (a member, 1 ADD so far) proposes 47 throw-away keys; each signs 4 LEAVEs */
    for (int i = 0; i < NX; i++) {
        enl_identity k;
        char card[ENL_CARD_TEXTMAX];
        enl_stmt s;
        assert_int_equal(enl_identity_generate(&k, 1790000000), ENL_OK);
        assert_int_equal(enl_card_make(card, sizeof card, &k, "x", NULL, 1790000000), ENL_OK);
        memset(&s, 0, sizeof s);
        s.type = ENL_STMT_ADD;
        memcpy(s.cell_id, cid, 32);
        s.created = 1790000000;
        s.clock = 9;
        memcpy(s.subject_sign, k.sign_pk, 32);
        memcpy(s.subject_dh, k.dh_pk, 32);
        s.card = card;
        s.card_len = strlen(card);
        assert_int_equal(enl_stmt_make(x[i].add, &x[i].add_len, &s, beto->id), ENL_OK);
        enl_stmt_id(x[i].id, x[i].add, x[i].add_len);
        for (int j = 0; j < 4; j++) {
            memset(&s, 0, sizeof s);
            s.type = ENL_STMT_LEAVE;
            memcpy(s.cell_id, cid, 32);
            s.gen = 1000 + (uint32_t)j;
            s.clock = 1;
            assert_int_equal(enl_stmt_make(x[i].lv[j], &x[i].lv_len[j], &s, &k), ENL_OK);
        }
    }
    /* largest ids first: each round's ADDs sort before the last round's and
     * take beto's 16 places for open proposals; the old ones' LEAVEs stay */
    qsort(x, NX, sizeof x[0], by_id_desc);
    for (int r = 0; r * 16 < NX; r++) {
        int lo = r * 16, hi = lo + 16 < NX ? lo + 16 : NX, cnt = 0;
        enl_wr w = enl_wr_init(body, sizeof body);
        enl_wr_bytes(&w, cid, 32);
        enl_wr_u16(&w, (uint16_t)(5 * (hi - lo) + (r == 0 ? 16 : 0)));
        if (r == 0)   /* and beto's own 16 exits (LEAVEs at generations never reached) */
            for (int j = 0; j < 16; j++) {
                enl_stmt s;
                uint8_t b[ENL_STMT_MAXBYTES];
                size_t l = 0;
                memset(&s, 0, sizeof s);
                s.type = ENL_STMT_LEAVE;
                memcpy(s.cell_id, cid, 32);
                s.gen = 2000 + (uint32_t)j;
                s.clock = 1;
                assert_int_equal(enl_stmt_make(b, &l, &s, beto->id), ENL_OK);
                enl_wr_u16(&w, (uint16_t)l);
                enl_wr_bytes(&w, b, l);
                cnt++;
            }
        for (int i = lo; i < hi; i++) {
            enl_wr_u16(&w, (uint16_t)x[i].add_len);
            enl_wr_bytes(&w, x[i].add, x[i].add_len);
            for (int j = 0; j < 4; j++) {
                enl_wr_u16(&w, (uint16_t)x[i].lv_len[j]);
                enl_wr_bytes(&w, x[i].lv[j], x[i].lv_len[j]);
            }
            cnt += 5;
        }
        assert_false(w.err);
        seal_id(beto, "ana", body, w.len, nid);
        give(beto, ana, nid);
        seal_id(beto, "carmen", body, w.len, nid);
        give(beto, carmen, nid);
        (void)cnt;
    }
    /* 4 + 16 + 47 + 188 statements offered: both burns must fit */
    assert_int_equal(enl_burn_local(ana, "beto", "arrested", &cells, &failed), ENL_OK);
    assert_int_equal(failed, 0);
    assert_int_equal(enl_burn_local(carmen, "beto", "arrested", &cells, &failed), ENL_OK);
    assert_int_equal(failed, 0);
    exchange(all, 3);
    assert_string_equal(state_of(ana, "olla", "beto", NULL), "removed");
    assert_string_equal(state_of(carmen, "olla", "beto", NULL), "removed");
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
}

/* ---- 2 and 3: ana's remove of beto (R) has not reached the others, who
 * admit carmen (beto's proposal) and whom carmen proposes (k = 1). ---- */
static void behind_removal(int mode)
{
    enum { N = 9 };
    static const char *const nm[N] = { "ana", "beto", "carmen", "dora", "elena", "fio", "g1", "g2", "g3" };
    enl_profile *p[N];
    enl_profile *ana, *beto, *carmen, *dora, *elena;
    for (int i = 0; i < N; i++) {
        char home[256];
        snprintf(home, sizeof home, "%s/%s-m%d", root, nm[i], mode);
        p[i] = NULL;
        assert_int_equal(enl_profile_create(&p[i], home, nm[i], "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
    }
    ana = p[0]; beto = p[1]; carmen = p[2]; dora = p[3]; elena = p[4];
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N; j++) introduce(p[i], nm[i], p[j], nm[j]);

    assert_int_equal(enl_cell_create(ana, "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "beto"), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "elena"), ENL_OK);
    { enl_profile *three[3] = { ana, beto, elena }; exchange(three, 3); }
    assert_int_equal(enl_cell_remove(ana, "olla", "beto", 0, "gone"), ENL_OK);   /* R, held */
    assert_int_equal(enl_cell_add(beto, "olla", "carmen"), ENL_OK);
    carry_all(beto, carmen);
    carry_all(beto, elena);
    assert_string_equal(state_of(carmen, "olla", "carmen", NULL), "member");
    if (mode == 0) {
        /* carmen proposes dora; dora, a member in her view, proposes fio */
        assert_int_equal(enl_cell_add(carmen, "olla", "dora"), ENL_OK);
        carry_all(carmen, dora);
        carry_all(carmen, elena);
        assert_int_equal(enl_cell_add(dora, "olla", "fio"), ENL_OK);
        carry_all(dora, carmen);
        carry_all(dora, elena);
        carry_all(dora, p[5]);
    } else {
        /* carmen proposes five people: one statement more than she is let keep */
        for (int i = 3; i < N; i++)
            if (i != 4) assert_int_equal(enl_cell_add(carmen, "olla", nm[i]), ENL_OK);
        for (int i = 3; i < N; i++)
            if (i != 2) carry_all(carmen, p[i]);
    }
    /* every log made so far reaches ana before her vouch (the authors' own too) */
    for (int i = 1; i < N; i++) carry_all(p[i], ana);
    assert_string_equal(state_of(ana, "olla", "carmen", NULL), "candidate");

    assert_int_equal(enl_cell_vouch(ana, "olla", "carmen"), ENL_OK);
    exchange(p, N);
    exchange(p, N);
    for (int i = 2; i < N; i++) {
        if (i == 4 || (mode == 0 && i > 5)) continue;
        assert_string_equal(state_of(elena, "olla", nm[i], NULL), "member");
        assert_string_equal(state_of(ana, "olla", nm[i], NULL), "member");
    }
    for (int i = 0; i < N; i++) enl_profile_close(p[i]);
}
static void test_candidates_candidate_comes_back(void **state) { (void)state; behind_removal(0); }
static void test_candidates_fifth_statement_comes_back(void **state) { (void)state; behind_removal(1); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotating_candidates_leave_room_for_a_burn),
        cmocka_unit_test(test_candidates_candidate_comes_back),
        cmocka_unit_test(test_candidates_fifth_statement_comes_back),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
