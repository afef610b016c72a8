/*
 * enl_files_settle finds the outgoing files to settle before its
 * transaction begins. A second connection to the same profile (a
 * listener's session, or `enlace sync` beside `enlace listen`) that
 * settles and expires in between must not leave the first to count the
 * deleted locks again: the delivery would be written as 0, for good.
 * The Makefile links this test with --wrap=enl_store_begin, so that the
 * other connection's expiry runs exactly at the moment the first one's
 * transaction begins.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "core/profile.h"
#include "core/files.h"
#include "store/store.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-settle-XXXXXX"
#include "profiles.h"

int __real_enl_store_begin(enl_store *st);
int __wrap_enl_store_begin(enl_store *st);
static enl_store *armed_for;
static enl_profile *other;

int __wrap_enl_store_begin(enl_store *st)
{
    if (armed_for != NULL && st == armed_for) {
        armed_for = NULL;
        /* the other connection's sync runs its expiry now */
        assert_int_equal(enl_profile_expire(other), ENL_OK);
    }
    return __real_enl_store_begin(st);
}

typedef struct { uint32_t delivered, parts; int state; } out_ctx;
static int out_cb(const enl_file_info *f, void *ctx)
{
    out_ctx *o = ctx;
    if (f->outgoing) { o->delivered = f->delivered; o->parts = f->parts; o->state = f->state; }
    return 0;
}
static out_ctx outgoing(enl_profile *p)
{
    out_ctx o = { 0, 0, 0 };
    assert_int_equal(enl_files_each(p, out_cb, &o), ENL_OK);
    return o;
}

static void test_settled_meanwhile_by_another_connection(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto");
    char path[256], now[32];
    uint8_t data[3000];
    FILE *f;
    out_ctx o;
    (void)state;
    introduce(ana, "ana", beto, "beto");
    snprintf(path, sizeof path, "%s/testimony.ogg", root);
    randombytes_buf(data, sizeof data);
    assert_non_null(f = fopen(path, "wb"));
    assert_int_equal(fwrite(data, 1, sizeof data, f), sizeof data);
    fclose(f);
    assert_int_equal(enl_send_file(ana, "beto", path, "tape 3", NULL, NULL, NULL, NULL), ENL_OK);
    sync_drop(ana);
    sync_drop(beto);
    sync_drop(ana);
    o = outgoing(ana);
    assert_int_equal(o.delivered, o.parts + 1);
    assert_int_equal(o.state, ENL_FILE_DELIVERED);

    /* 16 days on: two connections of ana's expire at about the same time */
    snprintf(now, sizeof now, "%llu", (unsigned long long)(enl_now() + 16 * 86400));
    setenv("ENLACE_NOW", now, 1);
    assert_int_equal(enl_profile_twin(ana, &other), ENL_OK);
    armed_for = ana->st;
    assert_int_equal(enl_profile_expire(ana), ENL_OK);
    enl_profile_close(other);

    o = outgoing(ana);
    assert_null(armed_for);                         /* the other one did run */
    assert_int_equal(o.delivered, o.parts + 1);
    assert_int_equal(o.state, ENL_FILE_DELIVERED);
    unsetenv("ENLACE_NOW");
    enl_profile_close(ana); enl_profile_close(beto);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settled_meanwhile_by_another_connection),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
