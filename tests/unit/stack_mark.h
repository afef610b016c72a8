/*
 * For the tests that check a secret is not left on the stack: scrub()
 * zeroes the stack a call is about to use; after the call,
 * stack_holds_mark() searches what it used for MARK. Define MARK (a
 * string that only the secret holds) and DEPTH (bytes below the caller
 * to search) before including.
 */
#ifndef ENL_TEST_STACK_MARK_H
#define ENL_TEST_STACK_MARK_H

#include <stddef.h>
#include <stdint.h>

static __attribute__((noinline)) void scrub(void)
{
    volatile uint8_t b[DEPTH + 4096];
    for (size_t i = 0; i < sizeof b; i++) b[i] = 0;
}

/* Whether the stack below this frame, where the call just made ran, holds
 * MARK. Read byte by byte through volatile, with no call below this frame.
 * Not instrumented: under SANITIZE=1 the dead frames below are redzones
 * AddressSanitizer poisoned, and reading them is the point. */
static __attribute__((noinline, no_sanitize_address)) int stack_holds_mark(void)
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

#endif
