/*
 * A cell's log is bounded in bytes as well as in statements: every log
 * sent (send_log, log_body_until) must fit LOG_MAX_BYTES (ENL_TEXT_MAX),
 * and a merge whose log would not is refused whole. The places kept for
 * removals, burns and leaves (ENL_CELL_EXITS_RESERVED) are counted in
 * statements only, so one member - or the captor holding their seized
 * device - who fills the log's bytes with their own share of ADDs (each
 * carrying a card padded with white space to ENL_CARD_TEXTMAX, which the
 * card parser forgives) leaves no room for anybody's burn vouch:
 *
 *   - the burn of that member never completes in the cell; they stay a
 *     member on every device, and keep getting the new sender keys of
 *     every member who did not burn them by hand;
 *   - no admission, removal or leave is ever recorded again.
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

#define PROFILES_ROOT "/tmp/enl-celllogbytes-XXXXXX"
#include "profiles.h"

/* The bytes the log body of p's (only) cell takes: cell id | count u16 |
 * (len u16 | statement)*, as log_body_until counts them. */
static int row_bytes(void *v, int64_t seq, const uint8_t *pt, size_t len)
{
    enl_rd r = enl_rd_init(pt, len);
    size_t n, total = 32 + 2;
    (void)seq;
    enl_rd_u8(&r);
    (void)enl_rd_ptr(&r, 32);
    (void)enl_rd_ptr(&r, enl_rd_u8(&r));
    (void)enl_rd_ptr(&r, 32);
    enl_rd_u8(&r);
    if (enl_rd_u8(&r)) { (void)enl_rd_ptr(&r, 32); (void)enl_rd_ptr(&r, enl_rd_u16(&r)); }
    n = enl_rd_u16(&r);
    for (size_t i = 0; i < n; i++) {
        size_t sl = enl_rd_u16(&r);
        (void)enl_rd_ptr(&r, sl);
        total += 2 + sl;
    }
    assert_false(r.err);
    *(size_t *)v = total;
    return 1;
}
static size_t log_bytes(enl_profile *p)
{
    size_t n = 0;
    assert_int_equal(enl_store_row_each(p->st, "cells", row_bytes, &n), ENL_OK);
    return n;
}

/* An ADD by author of a throw-away key whose card is padded with spaces so
 * that the statement is `want` bytes (when it can be). Returns its length. */
static size_t padded_add(uint8_t *buf, const uint8_t cid[32], const enl_identity *author, size_t want)
{
    char card[ENL_CARD_TEXTMAX + 1];
    enl_identity k;
    enl_stmt s;
    size_t len = 0, base, cl;
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
    assert_int_equal(enl_stmt_make(buf, &base, &s, author), ENL_OK);
    cl = strlen(card) + (want > base ? want - base : 0);
    if (cl > ENL_CARD_TEXTMAX) cl = ENL_CARD_TEXTMAX;
    memset(card + strlen(card), ' ', cl - strlen(card));
    card[cl] = '\0';
    s.card_len = cl;
    assert_int_equal(enl_stmt_make(buf, &len, &s, author), ENL_OK);
    return len;
}

static void beto_sends_one(enl_profile *beto, enl_profile *ana, enl_profile *carmen, const uint8_t cid[32],
                           const uint8_t *stmt, size_t len)
{
    static uint8_t body[ENL_TEXT_MAX];
    uint8_t nid[ENL_IDBYTES];
    size_t n = cell_log_of_one(body, sizeof body, cid, stmt, len);
    seal_id(beto, "ana", ENL_KIND_CELL_LOG, body, n, nid);
    give(beto, ana, nid);
    seal_id(beto, "carmen", ENL_KIND_CELL_LOG, body, n, nid);
    give(beto, carmen, nid);
}

/* beto (a member, or whoever holds his seized phone) fills the bytes of
 * the log with ADDs of his own share, before the burn comes. */
static void fill_bytes(enl_profile *beto, enl_profile *ana, enl_profile *carmen)
{
    uint8_t cid[32], stmt[ENL_STMT_MAXBYTES];
    size_t full = 0, small = 0;
    cell_id_of(ana, cid);
    for (int i = 0; i < 60; i++) {
        size_t room = ENL_TEXT_MAX - log_bytes(ana), want, len;
        if (full == 0) {
            full = padded_add(stmt, cid, beto->id, ENL_STMT_MAXBYTES);     /* the largest */
            small = padded_add(stmt, cid, beto->id, 0);                    /* the smallest */
        }
        if (room < 2 + small) break;
        want = room - 2 <= full ? room - 2
             : room - 2 < full + 2 + small + 64 ? room - 2 - (2 + small + 64) : full;
        len = padded_add(stmt, cid, beto->id, want);
        beto_sends_one(beto, ana, carmen, cid, stmt, len);
    }
}

/* 1: a seized member's burn fits no more */
static void test_filled_bytes_keep_the_burn_out(void **state)
{
    enl_profile *ana = mkprofile("ana1"), *beto = mkprofile("beto1"), *carmen = mkprofile("carmen1");
    enl_profile *ac[2] = { ana, carmen };
    int cells = 0, failed = 0, burned = 0;
    (void)state;
    cell_of_three(ana, beto, carmen);
    fill_bytes(beto, ana, carmen);
    /* the log holds far fewer statements than the places kept for exits */
    printf("# log: %zu bytes of %d\n", log_bytes(ana), ENL_TEXT_MAX);
    assert_int_equal(enl_burn_local(ana, "beto", "arrested", &cells, &failed), ENL_OK);
    printf("# ana's burn: %d cell(s) vouched, %d failed\n", cells, failed);
    assert_int_equal(enl_burn_local(carmen, "beto", "arrested", &cells, &failed), ENL_OK);
    exchange(ac, 2);
    /* two BURN vouches of two other members: beto is out, burned, everywhere */
    assert_string_equal(state_of(ana, "olla", "beto", &burned), "removed");
    assert_true(burned);
    assert_int_equal(failed, 0);
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filled_bytes_keep_the_burn_out),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
