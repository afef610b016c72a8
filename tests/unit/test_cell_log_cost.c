/*
 * The cost of a log for a cell this device does not hold, from anyone
 * (a stranger who holds my card will do). deliver_log (src/core/cells.c)
 * merges it in full - merge_all, in passes, each pass computing the view
 * again and so parsing and checking the signature of every statement
 * merged so far (rec_compute) - before it looks whether it is for me at
 * all (an ADD of me by one of my contacts). A log whose statements admit
 * one another in a chain (k = 1: each throw-away member proposes the
 * next) takes one pass per link, about 64, over a log of 256 statements:
 * some 20,000 signature checks for one note of 60 KiB that the sender
 * signed once and seals again as often as they like. The note is then
 * read and dropped, and the next copy costs as much. (Review revB.)
 *
 * Now a log for a cell new to me is looked at once (each statement
 * checked once) for an ADD of me by one of my contacts before any merge.
 * The test counts statement signature checks (crypto_sign_final_verify,
 * wrapped): it never times anything.
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

#define PROFILES_ROOT "/tmp/enl-celllogcost-XXXXXX"
#include "profiles.h"

#define CHAIN 63

/* Statement signature checks (Ed25519ph, statement.c), counted. */
static unsigned long verifies;
int __real_crypto_sign_final_verify(crypto_sign_state *state, const unsigned char *sig,
                                    const unsigned char *pk);
int __wrap_crypto_sign_final_verify(crypto_sign_state *state, const unsigned char *sig,
                                    const unsigned char *pk);
int __wrap_crypto_sign_final_verify(crypto_sign_state *state, const unsigned char *sig,
                                    const unsigned char *pk)
{
    verifies++;
    return __real_crypto_sign_final_verify(state, sig, pk);
}

static void put(enl_wr *w, enl_stmt *s, const enl_identity *author, size_t *cnt)
{
    uint8_t buf[ENL_STMT_MAXBYTES];
    size_t len = 0;
    assert_int_equal(enl_stmt_make(buf, &len, s, author), ENL_OK);
    enl_wr_u16(w, (uint16_t)len);
    enl_wr_bytes(w, buf, len);
    (*cnt)++;
}

/* A cell of throw-away keys: who[0] founds it (k = 1), who[i] proposes
 * who[i + 1]; the first founders' LEAVEs (at generations that never count)
 * fill the rest of the 256 places. The chain's ADDs come first in the log
 * so that each pass of merge_all takes one link. Returns the body length. */
static size_t chain_log(uint8_t *body, size_t max)
{
    static enl_identity who[CHAIN + 1];
    static char card[CHAIN + 1][ENL_CARD_TEXTMAX];
    enl_wr w = enl_wr_init(body, max);
    enl_stmt s;
    size_t cnt = 0;
    for (int i = 0; i <= CHAIN; i++) {
        assert_int_equal(enl_identity_generate(&who[i], enl_now()), ENL_OK);
        assert_int_equal(enl_card_make(card[i], sizeof card[i], &who[i], "x", NULL, enl_now()), ENL_OK);
    }
    memset(&s, 0, sizeof s);
    s.type = ENL_STMT_CREATE;
    s.admit = 1;
    s.created = enl_now();
    s.clock = 1;
    snprintf(s.name, sizeof s.name, "c");
    s.card = card[0];
    s.card_len = strlen(card[0]);
    {
        uint8_t buf[ENL_STMT_MAXBYTES];
        size_t len = 0;
        assert_int_equal(enl_stmt_make(buf, &len, &s, &who[0]), ENL_OK);
        enl_wr_bytes(&w, s.cell_id, 32);
        enl_wr_u16(&w, 0);
    }
    {
        uint8_t cid[32];
        memcpy(cid, s.cell_id, 32);
        put(&w, &s, &who[0], &cnt);
        for (int i = CHAIN - 1; i >= 0; i--) {      /* the last link first */
            memset(&s, 0, sizeof s);
            s.type = ENL_STMT_ADD;
            memcpy(s.cell_id, cid, 32);
            s.created = enl_now();
            s.clock = (uint32_t)(2 + i);
            memcpy(s.subject_sign, who[i + 1].sign_pk, 32);
            memcpy(s.subject_dh, who[i + 1].dh_pk, 32);
            s.card = card[i + 1];
            s.card_len = strlen(card[i + 1]);
            put(&w, &s, &who[i], &cnt);
        }
        for (int a = 0; cnt < ENL_CELL_STMTS_MAX && a <= CHAIN && w.len + 200 < max; a++)
            for (int j = 0; j < ENL_CELL_EXITS_PER_AUTHOR && cnt < ENL_CELL_STMTS_MAX && w.len + 200 < max; j++) {
                memset(&s, 0, sizeof s);
                s.type = ENL_STMT_LEAVE;
                memcpy(s.cell_id, cid, 32);
                s.created = enl_now();
                s.clock = 1;
                s.gen = 1000 + (uint32_t)j;
                put(&w, &s, &who[a], &cnt);
            }
    }
    assert_false(w.err);
    body[32] = (uint8_t)(cnt >> 8);
    body[33] = (uint8_t)cnt;
    printf("# the log: %zu statements, %zu bytes\n", cnt, w.len);
    return w.len;
}

/* 1: one stranger's note cost the device some 20,000 signature checks */
static void test_a_strangers_log_costs_little(void **state)
{
    static uint8_t body[ENL_TEXT_MAX];
    enl_profile *ana = mkprofile("ana1"), *eve = mkprofile("eve1");
    char *card = NULL;
    size_t n;
    unsigned long worst = 0;
    (void)state;
    /* eve holds ana's card; ana does not know eve */
    assert_int_equal(enl_profile_card(ana, &card), ENL_OK);
    assert_int_equal(enl_contact_add(eve, card, "ana", NULL), ENL_OK);
    free(card);
    n = chain_log(body, sizeof body);
    for (int i = 0; i < 3; i++) {
        uint8_t nid[ENL_IDBYTES];
        unsigned long before;
        seal_id(eve, "ana", ENL_KIND_CELL_LOG, body, n, nid);
        before = verifies;
        give(eve, ana, nid);
        printf("# copy %d: %lu statement signature checks\n", i + 1, verifies - before);
        if (verifies - before > worst) worst = verifies - before;
    }
    /* a note read and dropped costs about what its statements' signatures
     * do once: at most one check each */
    assert_true(worst <= ENL_CELL_STMTS_MAX);
    enl_profile_close(ana);
    enl_profile_close(eve);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_strangers_log_costs_little),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
