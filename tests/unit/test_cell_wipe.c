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

static enl_identity who, other;
static char card[ENL_CARD_TEXTMAX];

static __attribute__((noinline)) void scrub(void)
{
    volatile uint8_t b[DEPTH + 4096];
    for (size_t i = 0; i < sizeof b; i++) b[i] = 0;
}

/* Whether the stack below this frame, where the call just made ran, holds
 * MARK. Read byte by byte through volatile, with no call below this frame. */
static __attribute__((noinline)) int stack_holds_mark(void)
{
    volatile uint8_t here = 0;
    uintptr_t top = (uintptr_t)&here;
    static const char m[] = MARK;
    for (uintptr_t a = top - DEPTH; a + sizeof m - 1 <= top; a++) {
        size_t k = 0;
        while (k < sizeof m - 1 && *(volatile const uint8_t *)(a + k) == (uint8_t)m[k]) k++;
        if (k == sizeof m - 1) return 1;
    }
    return 0;
}

static enl_card read_card;

static __attribute__((noinline)) int card_read(void)
{
    return enl_card_parse(&read_card, card, strlen(card), 0);
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
    assert_string_equal(read_card.name, MARK);
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
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
