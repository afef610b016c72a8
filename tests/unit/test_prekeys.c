/*
 * Retired signed prekeys, as stored: their secrets open first messages
 * sealed to old cards, so none may be left behind on the stack, even when
 * the slot that holds them does not read back (a count beyond the limit, a
 * record cut short). Each call runs on a stack scrubbed first; the stack it
 * used is then searched for a mark written into every retired secret.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "core/prekeys.h"
#include "core/profile.h"
#include "enlace.h"
#include "util/bytes.h"

#define PROFILES_ROOT "/tmp/enl-prekeys-XXXXXX"
#include "profiles.h"

#define MARK "qzprekeywipe"
#define DEPTH 65536
#include "stack_mark.h"
#define RECORDS 16   /* OLD_MAX in prekeys.c */

static enl_profile *prof;


/* A slot of `records` retired prekeys whose secrets carry the mark, saying
 * it holds `count`. */
static void put_slot(enl_profile *p, uint16_t count, size_t records)
{
    static uint8_t buf[2 + (RECORDS + 1) * ENL_OLD_PREKEY_BYTES];
    enl_wr w = enl_wr_init(buf, sizeof buf);
    uint8_t sk[32];
    memset(sk, 0x5a, sizeof sk);
    memcpy(sk, MARK, sizeof MARK - 1);
    enl_wr_u16(&w, count);
    for (size_t i = 0; i < records; i++) {
        enl_wr_u32(&w, 0x70000000u + (uint32_t)i);
        enl_wr_bytes(&w, sk, 32);           /* a public key: not looked at here */
        enl_wr_bytes(&w, sk, 32);
        enl_wr_u64(&w, enl_now());
    }
    assert_false(w.err);
    assert_int_equal(enl_store_secret_put(p->st, "old_prekeys", buf, w.len), ENL_OK);
    sodium_memzero(buf, sizeof buf);
}

static __attribute__((noinline)) int find(void)
{
    uint8_t pk[32], sk[32];
    int rc = enl_prekey_find(prof, 0x7fffffffu, pk, sk);
    sodium_memzero(sk, sizeof sk);
    return rc;
}

static __attribute__((noinline)) int maintain(void)
{
    return enl_prekey_maintain(prof);
}

static void check_no_secret_left(uint16_t count, size_t records)
{
    put_slot(prof, count, records);
    scrub();
    assert_int_equal(find(), ENL_ESTORE);
    assert_false(stack_holds_mark());
    scrub();
    assert_int_equal(maintain(), ENL_ESTORE);
    assert_false(stack_holds_mark());
}

static void test_unreadable_slot_leaves_no_secret(void **state)
{
    (void)state;
    prof = mkprofile("ana");
    check_no_secret_left(RECORDS + 1, RECORDS + 1);   /* more than may be kept */
    check_no_secret_left(RECORDS, RECORDS - 1);       /* the last record missing */
    enl_profile_close(prof);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unreadable_slot_leaves_no_secret),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
