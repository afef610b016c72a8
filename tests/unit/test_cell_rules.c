/* Cell membership rules against a creator or member who signs statements
 * meant to bend them: a second CREATE that lowers k, removals and proposals
 * that would fill the table of people so that nobody new can be admitted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cell/membership.h"
#include "cell/statement.h"
#include "enlace.h"

#define CELL_LOG_MAX ENL_CELL_STMTS_MAX
#include "cell_log.h"

enum { ANA, BETO, CARMEN, DORA, ZED, NPEOPLE };
static enl_identity who[NPEOPLE];
static char card[NPEOPLE][ENL_CARD_TEXTMAX];
static const char *const names[NPEOPLE] = { "ana", "beto", "carmen", "dora", "zed" };

/* Throw-away identities, with valid cards, for the flooding tests. */
#define NSTRANGERS 168
static enl_identity stranger[NSTRANGERS];
static char stranger_card[NSTRANGERS][ENL_CARD_TEXTMAX];

static log_t the_log;   /* too big for the stack */

static void create_stmt(enl_stmt *s, const log_t *l, unsigned admit, const char *name, uint64_t t)
{
    memset(s, 0, sizeof *s);
    s->type = ENL_STMT_CREATE;
    s->admit = (uint8_t)admit;
    memcpy(s->salt, l->salt, sizeof s->salt);
    strcpy(s->name, name);
    s->card = card[ANA];
    s->card_len = strlen(card[ANA]);
    s->created = t;
    s->clock = 1;
}

/* ana founds the cell "olla" with this k. */
static void create(log_t *l, unsigned admit)
{
    enl_stmt s;
    memset(l, 0, sizeof *l);
    randombytes_buf(l->salt, sizeof l->salt);
    create_stmt(&s, l, admit, "olla", 100);
    log_emit(l, &s, &who[ANA]);
    memcpy(l->cell_id, s.cell_id, 32);
}

static void vouch_for(log_t *l, int type, const enl_identity *author, const enl_identity *subject,
                      const char *subject_card, uint32_t gen, uint64_t t)
{
    enl_stmt s;
    memset(&s, 0, sizeof s);
    s.type = (uint8_t)type;
    s.gen = gen;
    s.created = t;
    s.clock = (uint32_t)(t - 99);
    memcpy(s.subject_sign, subject->sign_pk, 32);
    memcpy(s.subject_dh, subject->dh_pk, 32);
    if (type == ENL_STMT_ADD) {
        s.card = subject_card;
        s.card_len = strlen(subject_card);
    }
    log_emit(l, &s, author);
}

static void vouch(log_t *l, int type, int author, int subject, uint32_t gen, uint64_t t)
{
    vouch_for(l, type, &who[author], &who[subject], card[subject], gen, t);
}

/* The same vouch, signed at a time from t on that gives it an id after
 * every other one in the log: the last in line for a place. */
static void vouch_last(log_t *l, int type, int author, int subject, uint32_t gen, uint64_t t)
{
    for (;; t++) {
        int last = 1;
        vouch(l, type, author, subject, gen, t);
        for (size_t i = 0; i + 1 < l->n && last; i++) last = memcmp(l->s[i].id, l->s[l->n - 1].id, 32) < 0;
        if (last) return;
        l->n--;
    }
}

/* ana founds the cell (k = 2) and admits beto, then carmen with beto's vouch. */
static void three_members(log_t *l)
{
    create(l, 2);
    vouch(l, ENL_STMT_ADD, ANA, BETO, 0, 101);
    vouch(l, ENL_STMT_ADD, ANA, CARMEN, 0, 102);
    vouch(l, ENL_STMT_ADD, BETO, CARMEN, 0, 103);
}

static enl_cell_state state_of(const enl_cell_view *v, const enl_identity *id)
{
    const enl_cell_person *p = enl_cell_find(v, id->sign_pk);
    return p == NULL ? 0 : p->state;
}

/* ---- F6: a second CREATE ---- */

/* Another CREATE by ana with the same salt and this k and name, whose id
 * sorts before (before = 1) or after that of l->s[ref]; *same says
 * whether it names the same cell. */
static void second_create(log_t *l, size_t ref, unsigned admit, const char *name, int before, int *same)
{
    for (uint64_t t = 101;; t++) {
        enl_stmt s;
        raw_stmt *r = &l->s[l->n];
        create_stmt(&s, l, admit, name, t);
        assert_int_equal(enl_stmt_make(r->buf, &r->len, &s, &who[ANA]), ENL_OK);
        enl_stmt_id(r->id, r->buf, r->len);
        *same = memcmp(s.cell_id, l->cell_id, 32) == 0;
        if ((memcmp(r->id, l->s[ref].id, 32) < 0) == before) {
            l->n++;
            return;
        }
    }
}

/* The creator's seized device signs a k = 1 CREATE with the same salt,
 * ground to sort first, to admit zed alone. The cell id covers k: it is
 * the CREATE of another cell, which no log of this one can hold. */
static void test_second_create_cannot_lower_k(void **state)
{
    log_t *l = &the_log;
    enl_cell_view v;
    int same = 1;
    (void)state;
    three_members(l);
    vouch(l, ENL_STMT_ADD, ANA, ZED, 0, 104);       /* ana alone: not enough with k = 2 */
    assert_int_equal(log_compute(l, &v), ENL_OK);
    assert_int_equal(state_of(&v, &who[ZED]), ENL_CELL_CANDIDATE);
    second_create(l, 0, 1, "olla", 1, &same);
    assert_false(same);
    assert_int_equal(log_compute(l, &v), ENL_EMALFORMED);   /* two cells in one log */
    l->n--;
    assert_int_equal(log_compute(l, &v), ENL_OK);
    assert_int_equal(v.admit, 2);
    assert_int_equal(state_of(&v, &who[ZED]), ENL_CELL_CANDIDATE);
}

/* A CREATE signed again with the same terms (another time) names the same
 * cell, and changes nothing, wherever its id sorts. */
static void test_same_terms_change_nothing(void **state)
{
    log_t *l = &the_log;
    enl_cell_view v;
    uint8_t epoch[32];
    int same = 0;
    (void)state;
    three_members(l);
    assert_int_equal(log_compute(l, &v), ENL_OK);
    memcpy(epoch, v.epoch, 32);
    second_create(l, 0, 2, "olla", 1, &same);
    assert_true(same);
    assert_int_equal(log_compute(l, &v), ENL_OK);
    assert_int_equal(v.admit, 2);
    assert_string_equal(v.name, "olla");
    assert_int_equal(v.nmembers, 3);
    assert_memory_equal(v.epoch, epoch, 32);
    /* another name is another cell too */
    second_create(l, 0, 2, "otra", 0, &same);
    assert_false(same);
}

/* ---- F5: the table of people ---- */

/* A REMOVE of a key the cell never saw needs no card: it must not take a
 * place in the table, or 61 of them (within one member's share) leave no
 * room for anyone new, and the log of whoever is proposed next fails. */
static void test_removals_of_strangers_take_no_place(void **state)
{
    log_t *l = &the_log;
    enl_cell_view v;
    (void)state;
    three_members(l);
    for (int i = 0; i < 61; i++) {
        enl_identity nobody;
        memset(&nobody, 0, sizeof nobody);
        randombytes_buf(nobody.sign_pk, 32);
        randombytes_buf(nobody.dh_pk, 32);
        vouch_for(l, ENL_STMT_REMOVE, &who[BETO], &nobody, NULL, 0, 104 + (uint64_t)i);
    }
    assert_int_equal(log_compute(l, &v), ENL_OK);
    assert_int_equal(v.npeople, 3);
    assert_int_equal(v.nmembers, 3);
    vouch(l, ENL_STMT_ADD, ANA, DORA, 0, 200);
    assert_int_equal(log_compute(l, &v), ENL_OK);
    assert_int_equal(state_of(&v, &who[DORA]), ENL_CELL_CANDIDATE);
    vouch(l, ENL_STMT_ADD, CARMEN, DORA, 0, 201);
    assert_int_equal(log_compute(l, &v), ENL_OK);
    assert_int_equal(state_of(&v, &who[DORA]), ENL_CELL_MEMBER);
    assert_int_equal(v.nmembers, 4);
}

static size_t strangers_in_view(const enl_cell_view *v)
{
    size_t k = 0;
    for (int i = 0; i < NSTRANGERS; i++) k += enl_cell_find(v, stranger[i].sign_pk) != NULL;
    return k;
}

/* One member proposes a whole share of throw-away keys: only
 * ENL_CELL_PROPOSALS_PER_AUTHOR of them take a place, and the others'
 * proposal after them still counts. */
static void test_one_members_proposals_cannot_fill_the_table(void **state)
{
    log_t *l = &the_log;
    enl_cell_view v;
    (void)state;
    three_members(l);
    for (int i = 0; i < 61; i++)
        vouch_for(l, ENL_STMT_ADD, &who[CARMEN], &stranger[i], stranger_card[i], 0, 104 + (uint64_t)i);
    assert_int_equal(log_compute(l, &v), ENL_OK);
    assert_int_equal(strangers_in_view(&v), ENL_CELL_PROPOSALS_PER_AUTHOR);
    vouch(l, ENL_STMT_ADD, ANA, DORA, 0, 200);
    vouch(l, ENL_STMT_ADD, BETO, DORA, 0, 201);
    assert_int_equal(log_compute(l, &v), ENL_OK);
    assert_int_equal(state_of(&v, &who[DORA]), ENL_CELL_MEMBER);
    assert_int_equal(v.nmembers, 4);
}

/* 40 proposals, then eight of the proposed keys proposing 16 more each (a
 * member can put anyone's statements in the log it sends, and a candidate
 * can send logs): proposals by people who are not members take no place a
 * member's proposal needs, even one last in id order, or a member would
 * fill the table through keys of their own. */
static void test_proposals_by_non_members_keep_nobody_out(void **state)
{
    log_t *l = &the_log;
    enl_cell_view v;
    (void)state;
    three_members(l);
    for (int i = 0; i < 40; i++)
        vouch_for(l, ENL_STMT_ADD, &who[CARMEN], &stranger[i], stranger_card[i], 0, 104 + (uint64_t)i);
    for (int a = 0; a < 8; a++)
        for (int i = 0; i < 16; i++) {
            int s = 40 + a * 16 + i;
            vouch_for(l, ENL_STMT_ADD, &stranger[a], &stranger[s], stranger_card[s], 0, 150 + (uint64_t)i);
        }
    assert_int_equal(log_compute(l, &v), ENL_OK);
    assert_int_equal(v.nmembers, 3);
    assert_int_equal(v.npeople, ENL_CELL_PEOPLE_MAX);
    vouch_last(l, ENL_STMT_ADD, BETO, DORA, 0, 200);
    vouch_last(l, ENL_STMT_ADD, ANA, DORA, 0, 300);
    assert_int_equal(log_compute(l, &v), ENL_OK);
    assert_int_equal(state_of(&v, &who[DORA]), ENL_CELL_MEMBER);
}

/* A proposal that is admitted frees its proposer's place: a creator who
 * brings in everyone is not stopped at the 17th. */
static void test_admitted_proposals_free_their_place(void **state)
{
    log_t *l = &the_log;
    enl_cell_view v;
    (void)state;
    create(l, 1);
    for (int i = 0; i < 40; i++)
        vouch_for(l, ENL_STMT_ADD, &who[ANA], &stranger[i], stranger_card[i], 0, 101 + (uint64_t)i);
    assert_int_equal(log_compute(l, &v), ENL_OK);
    assert_int_equal(v.nmembers, 41);
    assert_int_equal(strangers_in_view(&v), 40);
}

/* Past ENL_CELL_PEOPLE_MAX the proposals that come last in id order are
 * left out; the log does not fail. */
static void test_full_table_does_not_fail_the_log(void **state)
{
    log_t *l = &the_log;
    enl_cell_view v;
    (void)state;
    create(l, 1);
    for (int i = 0; i < ENL_CELL_PEOPLE_MAX; i++)
        vouch_for(l, ENL_STMT_ADD, &who[ANA], &stranger[i], stranger_card[i], 0, 101 + (uint64_t)i);
    assert_int_equal(log_compute(l, &v), ENL_OK);
    assert_int_equal(v.npeople, ENL_CELL_PEOPLE_MAX);
    assert_int_equal(v.nmembers, ENL_CELL_PEOPLE_MAX);
    assert_int_equal(strangers_in_view(&v), ENL_CELL_PEOPLE_MAX - 1);
    vouch(l, ENL_STMT_ADD, ANA, DORA, 0, 300);
    assert_int_equal(log_compute(l, &v), ENL_OK);
    assert_int_equal(v.npeople, ENL_CELL_PEOPLE_MAX);
    assert_int_equal(strangers_in_view(&v) + (enl_cell_find(&v, who[DORA].sign_pk) != NULL),
                     ENL_CELL_PEOPLE_MAX - 1);
}

/* A member's throw-away proposals whose ids sort before the ADD that
 * admitted someone long ago used up their 16 open proposals first, kept
 * that person out of the table, and so undid the admission. Someone the
 * members vouched for enough comes in whatever else their proposer did. */
static void test_junk_proposals_undo_no_admission(void **state)
{
    log_t *l = &the_log;
    enl_cell_view v;
    (void)state;
    create(l, 2);
    /* ana's 20 throw-away proposals, signed later (higher clocks)... */
    for (int k = 0; k < 20; k++)
        vouch_for(l, ENL_STMT_ADD, &who[ANA], &stranger[k], stranger_card[k], 0, 5000 + (uint64_t)k);
    /* ...than her proposal of beto, whose id sorts after 16 of them: her 16
     * open proposals come first in id order */
    for (uint64_t t = 101;; t++) {
        size_t before = 0;
        vouch(l, ENL_STMT_ADD, ANA, BETO, 0, t);
        for (size_t k = 1; k <= 20; k++) before += memcmp(l->s[k].id, l->s[l->n - 1].id, 32) < 0;
        if (before >= 16) break;
        l->n--;
    }
    vouch(l, ENL_STMT_ADD, ANA, CARMEN, 0, 3000);   /* after beto */
    vouch(l, ENL_STMT_ADD, BETO, CARMEN, 0, 3001);
    assert_int_equal(log_compute(l, &v), ENL_OK);
    assert_int_equal(state_of(&v, &who[BETO]), ENL_CELL_MEMBER);
    assert_int_equal(state_of(&v, &who[CARMEN]), ENL_CELL_MEMBER);
}

static int setup(void **state)
{
    (void)state;
    if (enl_init() != ENL_OK) return -1;
    if (log_people(who, card, names, NPEOPLE) != 0) return -1;
    for (int i = 0; i < NSTRANGERS; i++) {
        if (enl_identity_generate(&stranger[i], 1790000000) != ENL_OK) return -1;
        if (enl_card_make(stranger_card[i], sizeof stranger_card[i], &stranger[i], "x", NULL,
                          1790000000) != ENL_OK)
            return -1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_create_cannot_lower_k),
        cmocka_unit_test(test_junk_proposals_undo_no_admission),
        cmocka_unit_test(test_same_terms_change_nothing),
        cmocka_unit_test(test_removals_of_strangers_take_no_place),
        cmocka_unit_test(test_one_members_proposals_cannot_fill_the_table),
        cmocka_unit_test(test_proposals_by_non_members_keep_nobody_out),
        cmocka_unit_test(test_admitted_proposals_free_their_place),
        cmocka_unit_test(test_full_table_does_not_fail_the_log),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
