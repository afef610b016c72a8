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
        enl_stmt s;
        throwaway_add(x[i].add, &x[i].add_len, cid, beto->id, &k);
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
                put_leave(&w, cid, beto->id, 2000 + (uint32_t)j);
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
        seal_id(beto, "ana", ENL_KIND_CELL_LOG, body, w.len, nid);
        give(beto, ana, nid);
        seal_id(beto, "carmen", ENL_KIND_CELL_LOG, body, w.len, nid);
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

typedef struct { uint8_t ids[4096][ENL_IDBYTES]; size_t n; size_t bytes; enl_profile *p; } idset;
static int add_id(const uint8_t id[ENL_IDBYTES], void *v)
{
    idset *s = v;
    for (size_t i = 0; i < s->n; i++)
        if (memcmp(s->ids[i], id, ENL_IDBYTES) == 0) return 0;
    if (s->n < 4096) {
        uint8_t *note = NULL;
        size_t len = 0;
        memcpy(s->ids[s->n++], id, ENL_IDBYTES);
        if (s->p && enl_note_get(s->p, id, &note, &len) == ENL_OK) { s->bytes += len; free(note); }
    }
    return 0;
}
static size_t count_notes(enl_profile **ps, size_t n)
{
    static idset s;
    s.n = 0; s.bytes = 0; s.p = NULL;
    for (size_t i = 0; i < n; i++) assert_int_equal(enl_note_each(ps[i], add_id, &s), ENL_OK);
    return s.n;
}
static size_t held(enl_profile *p, size_t *bytes)
{
    static idset s;
    s.n = 0; s.bytes = 0; s.p = p;
    assert_int_equal(enl_note_each(p, add_id, &s), ENL_OK);
    if (bytes) *bytes = s.bytes;
    return s.n;
}

/* p's stored log as a CELL_LOG body; only_create: just the CREATE */
typedef struct { uint8_t *out; size_t len; int only_create; } row_ctx;
static int row_to_body(void *v, int64_t seq, const uint8_t *pt, size_t len)
{
    row_ctx *x = v;
    enl_rd r = enl_rd_init(pt, len);
    size_t wl = 0;
    uint8_t cid[32];
    size_t n, k = 0, at;
    (void)seq;
    enl_rd_u8(&r);
    enl_rd_bytes(&r, cid, 32);
    (void)enl_rd_ptr(&r, enl_rd_u8(&r));
    (void)enl_rd_ptr(&r, 32);
    enl_rd_u8(&r);
    if (enl_rd_u8(&r)) { (void)enl_rd_ptr(&r, 32); (void)enl_rd_ptr(&r, enl_rd_u16(&r)); }
    n = enl_rd_u16(&r);
    memcpy(x->out, cid, 32);
    at = 32;
    wl = 34;
    for (size_t i = 0; i < n; i++) {
        size_t sl = enl_rd_u16(&r);
        const uint8_t *q = enl_rd_ptr(&r, sl);
        if (q == NULL) break;
        if (x->only_create && q[1] != ENL_STMT_CREATE) continue;
        if (wl + 2 + sl > ENL_TEXT_MAX) break;
        x->out[wl] = (uint8_t)(sl >> 8); x->out[wl + 1] = (uint8_t)sl;
        memcpy(x->out + wl + 2, q, sl);
        wl += 2 + sl;
        k++;
    }
    x->out[at] = (uint8_t)(k >> 8);
    x->out[at + 1] = (uint8_t)k;
    x->len = wl;
    return 1;
}
static size_t stored_log(enl_profile *p, uint8_t *out, int only_create)
{
    row_ctx x = { out, 0, only_create };
    assert_int_equal(enl_store_row_each(p->st, "cells", row_to_body, &x), ENL_OK);
    assert_true(x.len > 34);
    return x.len;
}
/* Answers end: every answer makes its receiver's log grow (they_would_take
 * judges by the rules the receiver merges by), and logs only grow. The
 * candidate's-candidate disorder, notes counted after every courier round
 * until a round brings none. */
static void test_replies_stop(void **state)
{
    enum { N = 7 };
    static const char *const nm[N] = { "ana", "beto", "carmen", "dora", "elena", "fio", "gus" };
    enl_profile *p[N];
    size_t prev = 0, now = 0;
    int r;
    (void)state;
    for (int i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof name, "%s-s", nm[i]);
        p[i] = NULL;
        {
            char home[256];
            snprintf(home, sizeof home, "%s/%s", root, name);
            assert_int_equal(enl_profile_create(&p[i], home, nm[i], "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
        }
    }
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N; j++) introduce(p[i], nm[i], p[j], nm[j]);
    assert_int_equal(enl_cell_create(p[0], "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(p[0], "olla", "beto"), ENL_OK);
    assert_int_equal(enl_cell_add(p[0], "olla", "elena"), ENL_OK);
    { enl_profile *three[3] = { p[0], p[1], p[4] }; exchange(three, 3); }
    assert_int_equal(enl_cell_remove(p[0], "olla", "beto", 0, "gone"), ENL_OK);
    assert_int_equal(enl_cell_add(p[1], "olla", "carmen"), ENL_OK);
    carry_all(p[1], p[2]); carry_all(p[1], p[4]);
    assert_int_equal(enl_cell_add(p[2], "olla", "dora"), ENL_OK);
    carry_all(p[2], p[3]); carry_all(p[2], p[4]);
    assert_int_equal(enl_cell_add(p[3], "olla", "fio"), ENL_OK);
    carry_all(p[3], p[2]); carry_all(p[3], p[4]); carry_all(p[3], p[5]);
    for (int i = 1; i < N; i++) carry_all(p[i], p[0]);
    assert_int_equal(enl_cell_vouch(p[0], "olla", "carmen"), ENL_OK);
    for (r = 0; r < 8; r++) {
        for (size_t i = 0; i < N; i++)      /* one courier round */
            for (size_t j = 0; j < N; j++) {
                carry_ctx c = { p[i], p[j] };
                if (i != j) assert_int_equal(enl_note_each(p[i], carry_one, &c), ENL_OK);
            }
        now = count_notes(p, N);
        if (r > 0 && now == prev) break;
        prev = now;
    }
    assert_true(r < 8);     /* a round brought no new note: it stopped */
    for (int i = 0; i < N; i++) enl_profile_close(p[i]);
}

/* A member who sends a log of one statement again and again gets my whole
 * log back once, not once a note. */
static void test_tiny_logs_get_one_answer(void **state)
{
    enl_profile *ana = mkprofile("ana4"), *beto = mkprofile("beto4"), *carmen = mkprofile("carmen4");
    static uint8_t body[ENL_TEXT_MAX];
    size_t len, before, after, b0, b1;
    enum { K = 20 };
    (void)state;
    cell_of_three(ana, beto, carmen);
    len = stored_log(beto, body, 1);            /* just the CREATE */
    before = held(ana, &b0);
    for (int i = 0; i < K; i++) {
        assert_int_equal(adv_send_kind(beto, "ana", ENL_KIND_CELL_LOG, body, len), ENL_OK);
        carry_all(beto, ana);
    }
    after = held(ana, &b1);
    assert_true(after - before <= 1);           /* one answer, not one per note */
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
}

/* The same, but each log names the CREATE once more than the last (a
 * log may repeat a statement; it is merged once): its size is not what
 * it holds, so each would otherwise get my whole log back, up to 256
 * times for every log of mine. */
static void test_repeated_statements_get_one_answer(void **state)
{
    enl_profile *ana = mkprofile("ana6"), *beto = mkprofile("beto6"), *carmen = mkprofile("carmen6");
    static uint8_t body[ENL_TEXT_MAX], rep[ENL_TEXT_MAX];
    size_t len, before, after, sl;
    enum { K = 20 };
    (void)state;
    cell_of_three(ana, beto, carmen);
    len = stored_log(beto, body, 1);            /* cell id | 1 | len | CREATE */
    sl = len - 36;
    before = held(ana, NULL);
    for (int i = 1; i <= K; i++) {
        size_t at = 34;
        memcpy(rep, body, 32);
        rep[32] = 0;
        rep[33] = (uint8_t)i;
        for (int j = 0; j < i; j++) {
            memcpy(rep + at, body + 34, 2 + sl);
            at += 2 + sl;
        }
        assert_int_equal(adv_send_kind(beto, "ana", ENL_KIND_CELL_LOG, rep, at), ENL_OK);
        carry_all(beto, ana);
    }
    after = held(ana, NULL);
    assert_true(after - before <= 1);           /* one answer, not one per count */
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
}

/* carmen left; dora joined after; ana proposes carmen again (k = 2: a
 * candidate only). carmen's old log must not get ana's whole log back:
 * logs go to members, and carmen must learn nothing of dora. */
static void test_candidate_gets_no_log(void **state)
{
    enl_profile *ana = mkprofile("ana5"), *beto = mkprofile("beto5"), *carmen = mkprofile("carmen5"),
                *dora = mkprofile("dora5");
    enl_profile *abd[3] = { ana, beto, dora };
    static uint8_t body[ENL_TEXT_MAX];
    size_t len, before, after;
    (void)state;
    cell_of_three(ana, beto, carmen);
    introduce(ana, "ana", dora, "dora");
    introduce(beto, "beto", dora, "dora");
    introduce(carmen, "carmen", dora, "dora");
    len = stored_log(carmen, body, 0);          /* what carmen held as a member */
    assert_int_equal(enl_cell_leave(carmen, "olla"), ENL_OK);
    { enl_profile *all[4] = { ana, beto, carmen, dora }; exchange(all, 4); }
    assert_string_equal(state_of(ana, "olla", "carmen", NULL), "removed");
    assert_int_equal(enl_cell_add(ana, "olla", "dora"), ENL_OK);
    exchange(abd, 3);
    assert_int_equal(enl_cell_vouch(beto, "olla", "dora"), ENL_OK);
    exchange(abd, 3);
    assert_string_equal(state_of(ana, "olla", "dora", NULL), "member");
    assert_int_equal(enl_cell_add(ana, "olla", "carmen"), ENL_OK);   /* proposed again */
    exchange(abd, 3);
    assert_string_equal(state_of(ana, "olla", "carmen", NULL), "candidate");
    assert_string_equal(state_of(carmen, "olla", "dora", NULL), "none");

    before = held(ana, NULL);
    seal_body(carmen, "ana", ENL_KIND_CELL_LOG, body, len);
    carry_all(carmen, ana);
    after = held(ana, NULL);
    assert_int_equal(after, before);            /* nothing sealed to a candidate */
    carry_all(ana, carmen);
    /* a candidate, not a member: should learn nothing of dora */
    assert_string_equal(state_of(carmen, "olla", "dora", NULL), "none");
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen); enl_profile_close(dora);
}

static void put16(uint8_t *out, size_t v)
{
    out[0] = (uint8_t)(v >> 8);
    out[1] = (uint8_t)v;
}

static size_t get16(const uint8_t *in) { return (size_t)in[0] << 8 | in[1]; }

/* A member who leaves out one more of my statements each time (each log
 * holds a different number of mine, and lacks some they would take) gets
 * my log back at most 4 times, not once per statement I hold. */
static void test_logs_lacking_more_and_more_get_four_answers(void **state)
{
    enl_profile *ana = mkprofile("ana8"), *beto = mkprofile("beto8"), *carmen = mkprofile("carmen8");
    static uint8_t body[ENL_TEXT_MAX], sub[ENL_TEXT_MAX], buf[ENL_STMT_MAXBYTES];
    enl_identity *k = sodium_malloc(sizeof *k);
    uint8_t cid[32];
    size_t len, before, after, at, n, offs[64];
    (void)state;
    assert_non_null(k);
    cell_of_three(ana, beto, carmen);
    cell_id_of(ana, cid);
    /* ana's log grows by 8 proposals of hers (handed back to her in a log
     * of beto's, as a courier would) */
    at = 34;
    memcpy(sub, cid, 32);
    for (int i = 0; i < 8; i++) {
        size_t sl = 0;
        throwaway_add(buf, &sl, cid, ana->id, k);
        put16(sub + at, sl);
        memcpy(sub + at + 2, buf, sl);
        at += 2 + sl;
    }
    put16(sub + 32, 8);
    seal_body(beto, "ana", ENL_KIND_CELL_LOG, sub, at);
    carry_all(beto, ana);
    len = stored_log(ana, body, 0);
    n = get16(body + 32);
    assert_true(n >= 10);
    at = 34;
    for (size_t i = 0; i < n; i++) {
        offs[i] = at;
        at += 2 + get16(body + at);
    }
    assert_int_equal(at, len);
    carry_all(ana, beto);

    before = held(ana, NULL);
    for (size_t m = 1; m + 1 < n; m++) {    /* the first m of ana's statements */
        memcpy(sub, body, 32);
        put16(sub + 32, m);
        memcpy(sub + 34, body + 34, offs[m] - 34);
        assert_int_equal(adv_send_kind(beto, "ana", ENL_KIND_CELL_LOG, sub, offs[m]), ENL_OK);
        carry_all(beto, ana);
    }
    after = held(ana, NULL);
    assert_true(after - before <= 4);
    sodium_free(k);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(carmen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotating_candidates_leave_room_for_a_burn),
        cmocka_unit_test(test_candidates_candidate_comes_back),
        cmocka_unit_test(test_candidates_fifth_statement_comes_back),
        cmocka_unit_test(test_replies_stop),
        cmocka_unit_test(test_tiny_logs_get_one_answer),
        cmocka_unit_test(test_repeated_statements_get_one_answer),
        cmocka_unit_test(test_logs_lacking_more_and_more_get_four_answers),
        cmocka_unit_test(test_candidate_gets_no_log),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
