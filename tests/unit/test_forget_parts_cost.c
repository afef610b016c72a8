/*
 * Deleting a file's parts (a save, `files delete`, or the expiry pass that
 * marks an incomplete file expired) asked, each time, whether any part
 * sealed with the blob key (from before schema 10) was left anywhere in
 * the store: a scan of every stored part. The expiry pass does that once
 * per lapsed file, in one transaction, so N incomplete files cost N scans
 * of the parts table: the square of what a contact sent. A contact (or
 * whoever holds their keys) who sends many heads, each with one part
 * missing, makes the first sync after their expiry (every sync starts
 * with the expiry pass, and one cut short starts over) hold the profile's
 * write lock for minutes to hours.
 *
 * Counted, not timed: sqlite3_step is wrapped and the virtual machine
 * steps of every statement the pass runs are added up. The pass over 8
 * times the files may cost about 8 times the steps, not 64.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "core/profile.h"
#include "enlace.h"
#include "note/file.h"
#include "note/note.h"
#include "store/store.h"

#define PROFILES_ROOT "/tmp/enl-forget-cost-XXXXXX"
#include "profiles.h"

static int counting;
static uint64_t vm_steps;

int __real_sqlite3_step(sqlite3_stmt *s);
int __wrap_sqlite3_step(sqlite3_stmt *s);
int __wrap_sqlite3_step(sqlite3_stmt *s)
{
    int rc = __real_sqlite3_step(s);
    if (counting) vm_steps += (uint64_t)sqlite3_stmt_status(s, SQLITE_STMTSTATUS_VM_STEP, 1);
    else (void)sqlite3_stmt_status(s, SQLITE_STMTSTATUS_VM_STEP, 1);
    return rc;
}

static void deliver(enl_profile *p, const uint8_t sign[32], const uint8_t dh[32], uint8_t kind,
                    const uint8_t *body, size_t len, uint32_t expiry)
{
    enl_payload pl;
    memset(&pl, 0, sizeof pl);
    pl.kind = kind;
    pl.sent = enl_now();
    pl.body = body;
    pl.body_len = len;
    assert_int_equal(enl_file_deliver(p, sign, dh, &pl, expiry), ENL_OK);
}

/* n files of two parts from one contact, each with its second part only,
 * until their notes expire: the steps of the expiry pass that follows. */
static uint64_t settle_steps(const char *name, uint32_t n)
{
    enl_profile *p = mkprofile(name);
    uint8_t sign[32], dh[32], head[ENL_FILE_HEAD_MAX], part[ENL_FILE_PART_FIXED + 1], one = 0x55;
    uint32_t expiry = enl_now_hours() + 100;
    uint64_t left = 99, steps;

    randombytes_buf(sign, sizeof sign);
    randombytes_buf(dh, sizeof dh);
    assert_int_equal(enl_store_begin(p->st), ENL_OK);
    for (uint32_t i = 0; i < n; i++) {
        enl_file_head h;
        enl_file_part fp;
        memset(&h, 0, sizeof h);
        randombytes_buf(h.id, sizeof h.id);
        h.chunk = ENL_FILE_CHUNK_MIN;
        h.size = (uint64_t)h.chunk + 1;
        h.parts = enl_file_parts_for(h.size, h.chunk);
        h.name = (const uint8_t *)"x.bin";
        h.name_len = 5;
        assert_int_equal(enl_file_head_encode(head, sizeof head, &h), ENL_OK);
        deliver(p, sign, dh, ENL_KIND_FILE_HEAD, head, enl_file_head_len(&h), expiry);
        memcpy(fp.id, h.id, ENL_FILE_IDBYTES);
        fp.index = 1;
        fp.data = &one;
        fp.len = 1;
        assert_int_equal(enl_file_part_encode(part, sizeof part, &fp), ENL_OK);
        deliver(p, sign, dh, ENL_KIND_FILE_PART, part, sizeof part, expiry);
    }
    assert_int_equal(enl_store_commit(p->st), ENL_OK);

    vm_steps = 0;
    counting = 1;
    assert_int_equal(enl_files_settle(p, expiry), ENL_OK);
    counting = 0;
    steps = vm_steps;
    /* every file lapsed, and its part went */
    assert_int_equal(enl_store_count(p->st, "parts", &left), ENL_OK);
    assert_int_equal(left, 0);
    enl_profile_close(p);
    return steps;
}

static void test_expiry_pass_linear_in_lapsed_files(void **state)
{
    uint64_t few, many;
    (void)state;
    few = settle_steps("few", 100);
    many = settle_steps("many", 800);
    if (many > 16 * few)
        fail_msg("the expiry pass over 800 lapsed files took %llu steps, over 100 %llu: the "
                 "work grows with the square of the files a contact sent",
                 (unsigned long long)many, (unsigned long long)few);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expiry_pass_linear_in_lapsed_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
