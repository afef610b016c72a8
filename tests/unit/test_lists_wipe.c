/* Lists built from decrypted records (files' names and notes, the authors
 * followed, the names of the contacts an inquiry goes to): when one grows
 * past its first block, the old block must not be left in freed heap
 * unwiped, as realloc would leave it. realloc is wrapped (see the
 * Makefile): a block handed to it while a list is built must not hold
 * what the list was built from. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cells.h"
#include "core/profile.h"
#include "core/send.h"
#include "crypto/identity.h"
#include "enlace.h"
#include "note/file.h"
#include "store/store.h"

#define PROFILES_ROOT "/tmp/enl-lists-wipe-XXXXXX"
#include "profiles.h"

#define MARK "wipe-me-7d1c.bin"

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

static int watching, left_behind;
static const void *watched = MARK;
static size_t watched_len = sizeof MARK - 1;

void *__wrap_realloc(void *p, size_t n)
{
    if (watching && p != NULL && memmem(p, malloc_usable_size(p), watched, watched_len) != NULL)
        left_behind++;
    return __real_realloc(p, n);
}

static int count_known(const enl_file_info *f, void *ctx)
{
    if (!f->outgoing && f->known && strcmp(f->name, MARK) == 0) (*(int *)ctx)++;
    return 0;
}

static void test_list_grows_wiped(void **state)
{
    enl_profile *lu = mkprofile("lu"), *mo = mkprofile("mo"), *all[2];
    uint8_t id[ENL_FILE_IDBYTES], data[100];
    int n = 0;
    (void)state;

    introduce(lu, "lu", mo, "mo");
    all[0] = lu;
    all[1] = mo;
    randombytes_buf(data, sizeof data);
    for (int i = 0; i < 40; i++) {
        randombytes_buf(id, sizeof id);
        send_head(mo, "lu", id, data, sizeof data, MARK);
    }
    exchange(all, 2);

    watching = 1;
    assert_int_equal(enl_files_each(lu, count_known, &n), ENL_OK);
    watching = 0;
    assert_int_equal(n, 40);
    assert_int_equal(left_behind, 0);

    enl_profile_close(lu);
    enl_profile_close(mo);
}

static int count_follows(const enl_follow_info *f, void *ctx)
{
    (void)f;
    (*(int *)ctx)++;
    return 0;
}

/* Twenty authors followed by fingerprint: the list of them is read back
 * (and at every day's first sync) and must not leave the first one's
 * fingerprint behind as it grows. */
static void test_follows_grow_wiped(void **state)
{
    enl_profile *lu = mkprofile("lu2");
    uint8_t keys[64], fp[32], first[32];
    char text[ENL_FINGERPRINT_STRBYTES];
    int n = 0;
    (void)state;

    for (int i = 0; i < 20; i++) {
        randombytes_buf(keys, sizeof keys);
        enl_fingerprint_raw(fp, keys, keys + 32);
        if (i == 0) memcpy(first, fp, sizeof first);
        enl_fingerprint_text(text, fp);
        assert_int_equal(enl_bulletin_follow(lu, text, NULL), ENL_OK);
    }
    watched = first;
    watched_len = 16;
    left_behind = 0;
    watching = 1;
    assert_int_equal(enl_follow_each(lu, count_follows, &n), ENL_OK);
    watching = 0;
    watched = MARK;
    watched_len = strlen(MARK);
    assert_int_equal(n, 20);
    assert_int_equal(left_behind, 0);
    enl_profile_close(lu);
}

/* An inquiry goes to every verified contact: their names, listed to be
 * asked, must not stay behind as the list grows. */
static void test_asked_names_grow_wiped(void **state)
{
    enl_profile *lu = mkprofile("lu3"), *subject = mkprofile("subject"), *c;
    char name[32], fp[ENL_FINGERPRINT_STRBYTES];
    unsigned asked = 0;
    (void)state;

    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof name, "wipe-me-7d1c-%d", i);
        c = mkprofile(name);
        introduce(lu, "lu", c, name);
        assert_int_equal(enl_contact_verify(lu, name), ENL_OK);
        enl_profile_close(c);
    }
    assert_int_equal(enl_profile_fingerprint(subject, fp), ENL_OK);
    watched = "wipe-me-7d1c-";
    watched_len = strlen(watched);
    left_behind = 0;
    watching = 1;
    assert_int_equal(enl_ask(lu, fp, NULL, &asked, NULL), ENL_OK);
    watching = 0;
    assert_int_equal(asked, 12);
    assert_int_equal(left_behind, 0);
    enl_profile_close(lu);
    enl_profile_close(subject);
}

static int first_cell(const enl_cell_info *c, void *ctx)
{
    char *id = ctx;
    if (id[0] == '\0') memcpy(id, c->id, sizeof c->id);
    return 0;
}

/* Which cells this device is in: listed by their ids when a contact is
 * burned, and not to stay behind as the list grows. */
static void test_cell_ids_grow_wiped(void **state)
{
    enl_profile *lu = mkprofile("lu4");
    char name[32], hex[17] = { 0 };
    uint8_t id8[8], someone[32];
    (void)state;

    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof name, "cell%d", i);
        assert_int_equal(enl_cell_create(lu, name, ENL_CELL_ADMIT_DEFAULT), ENL_OK);
    }
    assert_int_equal(enl_cell_each(lu, first_cell, hex), ENL_OK);
    assert_int_equal(sodium_hex2bin(id8, sizeof id8, hex, 16, NULL, NULL, NULL), 0);
    randombytes_buf(someone, sizeof someone);
    watched = id8;
    watched_len = sizeof id8;
    left_behind = 0;
    watching = 1;
    assert_int_equal(enl_cell_burned(lu, someone), ENL_OK);
    watching = 0;
    assert_int_equal(left_behind, 0);
    enl_profile_close(lu);
}

static int first_purge_key(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    uint8_t *key = ctx;
    (void)seq;
    if (len == 1 + 32 + 32 + 4 && key[32] == 0) {
        memcpy(key, pt + 33, 32);
        key[32] = 1;
    }
    return 0;
}

/* The purge keys of the notes not yet delivered to a contact whose keys
 * are burned: listed to be released, and secret until then; they must not
 * stay behind as the list grows. */
static void test_purge_keys_grow_wiped(void **state)
{
    enl_profile *lu = mkprofile("lu5"), *mo = mkprofile("mo5");
    uint8_t key[33] = { 0 };
    const char *text = "hola";
    (void)state;

    introduce(lu, "lu", mo, "mo");
    for (int i = 0; i < 20; i++)
        assert_int_equal(enl_send_text(lu, "mo", (const uint8_t *)text, strlen(text), NULL, NULL),
                         ENL_OK);
    assert_int_equal(enl_store_row_each(lu->st, "outgoing", first_purge_key, key), ENL_OK);
    assert_int_equal(key[32], 1);
    watched = key;
    watched_len = 32;
    left_behind = 0;
    watching = 1;
    assert_int_equal(enl_burn_local(lu, "mo", "seized", NULL, NULL), ENL_OK);
    watching = 0;
    assert_int_equal(left_behind, 0);
    enl_profile_close(lu);
    enl_profile_close(mo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_grows_wiped),
        cmocka_unit_test(test_follows_grow_wiped),
        cmocka_unit_test(test_asked_names_grow_wiped),
        cmocka_unit_test(test_cell_ids_grow_wiped),
        cmocka_unit_test(test_purge_keys_grow_wiped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
