/*
 * The cards that cell statements, the membership computation and
 * introductions check (and any card read) must not be left on the stack: a card names a person
 * and their keys (and may give their address), and whoever reads this
 * process's memory later must not learn who is in a cell or who was
 * introduced. Each call below runs on a stack scrubbed first; then the
 * stack it used is searched for the name in the card, which only the
 * decoded card holds (the text is base32).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cell/introduction.h"
#include "cell/membership.h"
#include "cell/statement.h"
#include "crypto/identity.h"
#include "enlace.h"

#define MARK "qzwipemark"
#define DEPTH 24576
#include "stack_mark.h"

static enl_identity who, other;
static char card[ENL_CARD_TEXTMAX];
static uint8_t buf[ENL_STMT_MAXBYTES + ENL_INTRO_MAXBYTES];
static size_t len;
static enl_stmt parsed[2];
static enl_cell_view view;


static enl_card read_card;

static __attribute__((noinline)) int card_read(void)
{
    return enl_card_parse(&read_card, card, strlen(card), 0);
}

static __attribute__((noinline)) int parse_first(void)
{
    return enl_stmt_parse(&parsed[0], buf, len);
}

static __attribute__((noinline)) int compute(void)
{
    return enl_cell_compute(&view, parsed, 1);
}

static __attribute__((noinline)) int intro_make(void)
{
    return enl_intro_make(buf, &len, other.sign_pk, card, strlen(card), "", &other);
}

static void create_stmt(void)
{
    enl_stmt s;
    memset(&s, 0, sizeof s);
    s.type = ENL_STMT_CREATE;
    s.admit = 2;
    strcpy(s.name, "olla");
    s.card = card;
    s.card_len = strlen(card);
    s.created = 1790000000;
    s.clock = 1;
    assert_int_equal(enl_stmt_make(buf, &len, &s, &who), ENL_OK);
}

/* The search finds what it looks for, and nothing where nothing was left. */
static __attribute__((noinline)) int leave_mark(void)
{
    volatile char b[64];
    for (size_t i = 0; i < sizeof MARK; i++) b[i] = MARK[i];
    return b[0];
}

static void test_search_works(void **state)
{
    (void)state;
    scrub();
    assert_false(stack_holds_mark());
    assert_int_equal(leave_mark(), MARK[0]);
    assert_true(stack_holds_mark());
    scrub();
}

/* Reading a card leaves nothing of it but what it was read into (here, a
 * static): its bytes are signed, and the copy signed over is wiped too. */
static void test_card_read_wiped(void **state)
{
    (void)state;
    scrub();
    assert_int_equal(card_read(), ENL_OK);
    /* the search first, before another call (cmocka's, the sanitizer's
     * interceptors) runs on that stack */
    assert_false(stack_holds_mark());
    assert_string_equal(read_card.name, MARK);
}

static void test_create_checked_wiped(void **state)
{
    (void)state;
    create_stmt();
    scrub();
    assert_int_equal(parse_first(), ENL_OK);
    assert_false(stack_holds_mark());
}

static void test_add_checked_wiped(void **state)
{
    enl_stmt s;
    (void)state;
    memset(&s, 0, sizeof s);
    s.type = ENL_STMT_ADD;
    memcpy(s.subject_sign, who.sign_pk, 32);
    memcpy(s.subject_dh, who.dh_pk, 32);
    s.card = card;
    s.card_len = strlen(card);
    s.created = 1790000000;
    s.clock = 2;
    assert_int_equal(enl_stmt_make(buf, &len, &s, &other), ENL_OK);
    scrub();
    assert_int_equal(parse_first(), ENL_OK);
    assert_false(stack_holds_mark());
}

static void test_founder_card_wiped(void **state)
{
    (void)state;
    create_stmt();
    assert_int_equal(enl_stmt_parse(&parsed[0], buf, len), ENL_OK);
    scrub();
    assert_int_equal(compute(), ENL_OK);
    assert_true(enl_cell_is_member(&view, who.sign_pk));
    assert_false(stack_holds_mark());
}

static void test_introduced_card_wiped(void **state)
{
    (void)state;
    scrub();
    assert_int_equal(intro_make(), ENL_OK);
    assert_false(stack_holds_mark());
}

static int setup(void **state)
{
    (void)state;
    if (enl_init() != ENL_OK) return -1;
    if (enl_identity_generate(&who, 1790000000) != ENL_OK ||
        enl_identity_generate(&other, 1790000000) != ENL_OK)
        return -1;
    return enl_card_make(card, sizeof card, &who, MARK, NULL, 1790000000) == ENL_OK ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_works),
        cmocka_unit_test(test_card_read_wiped),
        cmocka_unit_test(test_create_checked_wiped),
        cmocka_unit_test(test_add_checked_wiped),
        cmocka_unit_test(test_founder_card_wiped),
        cmocka_unit_test(test_introduced_card_wiped),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
