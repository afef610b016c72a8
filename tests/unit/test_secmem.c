/*
 * Unit tests for src/util/secmem: the cache of sodium_malloc blocks that
 * sealing and intake use for session states and plaintexts. A freed block
 * must be wiped before it can be handed out again, handed out again only
 * for the same size (so that its end still touches the guard page), and a
 * bare sodium_malloc block must still be freed correctly through it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "enlace.h"
#include "util/secmem.h"

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0) return 0;
    return 1;
}

static void test_freed_block_is_wiped_and_reused(void **state)
{
    uint8_t *a, *b;
    (void)state;
    enl_secmem_flush();
    a = enl_secmem_alloc(1000);
    assert_non_null(a);
    memset(a, 0xA5, 1000);
    enl_secmem_free(a);
    b = enl_secmem_alloc(1000);
    assert_ptr_equal(a, b);          /* from the cache */
    assert_true(all_zero(b, 1000));  /* wiped when it was freed */
    enl_secmem_free(b);
    enl_secmem_flush();
}

static void test_reused_only_for_the_same_size(void **state)
{
    uint8_t *a, *b;
    (void)state;
    enl_secmem_flush();
    a = enl_secmem_alloc(100);
    assert_non_null(a);
    enl_secmem_free(a);
    b = enl_secmem_alloc(99);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    memset(b, 1, 99);                /* all of it is usable */
    enl_secmem_free(b);
    enl_secmem_flush();
}

static void test_many_blocks_and_big_ones(void **state)
{
    uint8_t *v[40], *big;
    (void)state;
    for (size_t i = 0; i < 40; i++) {
        v[i] = enl_secmem_alloc(64 + i % 5);
        assert_non_null(v[i]);
        memset(v[i], (int)i, 64 + i % 5);
    }
    for (size_t i = 0; i < 40; i++) enl_secmem_free(v[i]);
    big = enl_secmem_alloc(200000);   /* beyond what is cached */
    assert_non_null(big);
    memset(big, 7, 200000);
    enl_secmem_free(big);
    enl_secmem_flush();
}

/* Blocks of sizes no longer asked for gave way to none: once the cache
 * was full of them, every note-sized buffer of a file's thousands of
 * notes cost an mmap, an mlock and three mprotects again. The oldest give
 * way now, and a note-sized block (just over 64 KiB) is kept. */
static void test_stale_sizes_give_way(void **state)
{
    enum { NOTE_SIZED = 65551 };
    uint8_t *v[16], *x, *y, *d;
    (void)state;
    enl_secmem_flush();
    for (size_t i = 0; i < 16; i++) assert_non_null(v[i] = enl_secmem_alloc(200 + i));
    for (size_t i = 0; i < 16; i++) enl_secmem_free(v[i]);
    x = enl_secmem_alloc(NOTE_SIZED);
    assert_non_null(x);
    memset(x, 0x5a, NOTE_SIZED);
    enl_secmem_free(x);
    /* Were x unmapped, this would most likely take its place. */
    d = sodium_malloc(NOTE_SIZED + 16);
    assert_non_null(d);
    y = enl_secmem_alloc(NOTE_SIZED);
    assert_ptr_equal(x, y);
    assert_true(all_zero(y, NOTE_SIZED));
    enl_secmem_free(y);
    sodium_free(d);
    enl_secmem_flush();
}

static void test_bare_sodium_block_and_null(void **state)
{
    uint8_t *p = sodium_malloc(48);
    (void)state;
    assert_non_null(p);
    memset(p, 3, 48);
    enl_secmem_free(p);   /* goes to sodium_free, which checks its canary */
    enl_secmem_free(NULL);
}

/* Growing an array of records keeps what it held, from nothing too. */
static void test_grow_wiped_keeps_the_contents(void **state)
{
    unsigned char *a = NULL;
    size_t cap = 0;
    (void)state;
    for (size_t n = 0; n < 1000; n++) {
        if (n == cap) {
            size_t c = cap ? 2 * cap : 8;
            unsigned char *b = enl_grow_wiped(a, cap, c);
            assert_non_null(b);
            a = b;
            cap = c;
        }
        a[n] = (unsigned char)(n * 7);
    }
    for (size_t n = 0; n < 1000; n++) assert_int_equal(a[n], (unsigned char)(n * 7));
    enl_free_wiped(a, cap);
    enl_free_wiped(NULL, 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_freed_block_is_wiped_and_reused),
        cmocka_unit_test(test_reused_only_for_the_same_size),
        cmocka_unit_test(test_many_blocks_and_big_ones),
        cmocka_unit_test(test_stale_sizes_give_way),
        cmocka_unit_test(test_bare_sodium_block_and_null),
        cmocka_unit_test(test_grow_wiped_keeps_the_contents),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
