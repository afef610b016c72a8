/*
 * Parts that came before their head and do not fit it are dropped when the
 * head arrives (core/files.c drop_misfits). The scan keeps at most 64 of
 * them a pass and starts over from the first part after each 64 deletions:
 * N misfits cost about N/64 full scans, each decrypting every part still
 * stored, about N^2/128 decryptions, inside the intake transaction that
 * holds the profile's write lock. A contact who sends many one-byte parts
 * and then a head for which none fits makes the recipient's work grow with
 * the square of what was sent.
 *
 * Counted, not timed: enl_store_part_each is wrapped, and the head's
 * delivery may scan the file's parts a bounded number of times, whatever
 * the number of misfits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "core/profile.h"
#include "enlace.h"
#include "note/file.h"
#include "note/note.h"
#include "store/store.h"

#define PROFILES_ROOT "/tmp/enl-misfits-XXXXXX"
#include "profiles.h"

static unsigned scans;

int __real_enl_store_part_each(enl_store *st, const uint8_t file[32], enl_store_part_fn fn, void *ctx);
int __wrap_enl_store_part_each(enl_store *st, const uint8_t file[32], enl_store_part_fn fn, void *ctx);
int __wrap_enl_store_part_each(enl_store *st, const uint8_t file[32], enl_store_part_fn fn, void *ctx)
{
    scans++;
    return __real_enl_store_part_each(st, file, fn, ctx);
}

/* n one-byte parts before the head, then the head of a file of n parts of
 * 4096 bytes: every part is a misfit. Returns the scans of the parts the
 * head's delivery made. */
static unsigned head_after_misfits(const char *name, uint32_t n)
{
    enl_profile *p = mkprofile(name);
    uint8_t sign[32], dh[32], id[ENL_FILE_IDBYTES], buf[ENL_FILE_PART_FIXED + 1], one = 0x55;
    uint8_t head[ENL_FILE_HEAD_MAX];
    uint32_t expiry = enl_now_hours() + 100;
    enl_payload pl;
    enl_file_head h;
    enl_file_part fp;
    uint64_t left = 99;
    unsigned made;

    randombytes_buf(sign, sizeof sign);
    randombytes_buf(dh, sizeof dh);
    randombytes_buf(id, sizeof id);
    assert_int_equal(enl_store_begin(p->st), ENL_OK);
    for (uint32_t i = 0; i < n; i++) {
        memcpy(fp.id, id, ENL_FILE_IDBYTES);
        fp.index = i;
        fp.data = &one;
        fp.len = 1;
        assert_int_equal(enl_file_part_encode(buf, sizeof buf, &fp), ENL_OK);
        memset(&pl, 0, sizeof pl);
        pl.kind = ENL_KIND_FILE_PART;
        pl.sent = enl_now();
        pl.body = buf;
        pl.body_len = sizeof buf;
        assert_int_equal(enl_file_deliver(p, sign, dh, &pl, expiry), ENL_OK);
    }
    assert_int_equal(enl_store_commit(p->st), ENL_OK);

    memset(&h, 0, sizeof h);
    memcpy(h.id, id, ENL_FILE_IDBYTES);
    h.chunk = ENL_FILE_CHUNK_MIN;
    h.size = (uint64_t)n * h.chunk;
    h.parts = enl_file_parts_for(h.size, h.chunk);
    h.name = (const uint8_t *)"x.bin";
    h.name_len = 5;
    assert_int_equal(enl_file_head_encode(head, sizeof head, &h), ENL_OK);
    memset(&pl, 0, sizeof pl);
    pl.kind = ENL_KIND_FILE_HEAD;
    pl.sent = enl_now();
    pl.body = head;
    pl.body_len = enl_file_head_len(&h);
    scans = 0;
    assert_int_equal(enl_store_begin(p->st), ENL_OK);
    assert_int_equal(enl_file_deliver(p, sign, dh, &pl, expiry), ENL_OK);
    assert_int_equal(enl_store_commit(p->st), ENL_OK);
    made = scans;
    assert_int_equal(enl_store_count(p->st, "parts", &left), ENL_OK);
    assert_int_equal(left, 0);
    enl_profile_close(p);
    return made;
}

static void test_misfits_cost_one_scan(void **state)
{
    unsigned few, many;
    (void)state;
    few = head_after_misfits("few", 10);
    many = head_after_misfits("many", 1000);
    if (many > few)
        fail_msg("1000 misfit parts made %u scans of the stored parts (10 made %u): each scan "
                 "decrypts every part, so the work grows with the square of the misfits",
                 many, few);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_misfits_cost_one_scan),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
