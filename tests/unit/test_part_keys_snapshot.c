/*
 * Reading a file's parts (enl_store_part_each) while another connection
 * replaces them: the reader sees the parts and the key of one moment. When
 * the key was read by a statement of its own, a twin that deleted the
 * file's parts (and so its key) and stored new parts under a new key
 * between that statement and the parts' made the reader open the new parts
 * with the old key: "a record does not authenticate". (Review 10, item 4.)
 *
 * White-box: store.c is included, with its sqlite3_step seen through a
 * hook that lets the twin write right after the reader's first step.
 */
#include <sqlite3.h>
#include <stddef.h>

static sqlite3 *hooked_db;          /* the reader's connection, while armed */
static void (*after_first_step)(void);

static int step_hooked(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    if (hooked_db != NULL && sqlite3_db_handle(s) == hooked_db) {
        void (*fn)(void) = after_first_step;
        hooked_db = NULL;    /* once, and never for the twin's own steps */
        fn();
    }
    return rc;
}
#define sqlite3_step step_hooked

/* store.c first: cmocka defines a macro named fail, as store.c's helper is. */
#include "../../src/store/store.c"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "scratch_store.h"

static enl_store *twin;
static uint8_t file[32];

static void put_parts(enl_store *st, uint32_t n, uint8_t fill)
{
    uint8_t data[1000];
    for (uint32_t i = 0; i < n; i++) {
        memset(data, (uint8_t)(fill + i), sizeof data);
        assert_int_equal(enl_store_part_put(st, file, i, 100, data, sizeof data), ENL_OK);
    }
}

/* The twin, mid-read: the file deleted, then sent again (new key). */
static void replace_the_file(void)
{
    assert_int_equal(enl_store_part_trim(twin, file, 0), ENL_OK);
    put_parts(twin, 3, 100);
}

typedef struct {
    uint32_t seen;
    uint8_t fill;
} reading;

static int read_part(void *ctx, uint32_t index, const uint8_t *data, size_t len)
{
    reading *r = ctx;
    assert_int_equal(len, 1000);
    assert_int_equal(data[0], (uint8_t)(r->fill + index));
    r->seen++;
    return 0;
}

static void test_parts_read_from_one_moment(void **state)
{
    enl_store *st = fresh_store("/tmp/enl-partkeys-snap-XXXXXX");
    reading r = { 0, 10 }, after = { 0, 100 };
    (void)state;
    memset(file, 9, sizeof file);
    assert_int_equal(enl_store_twin(st, &twin), ENL_OK);
    put_parts(st, 3, 10);

    after_first_step = replace_the_file;
    hooked_db = st->db;
    /* the parts as they were when the reading began */
    assert_int_equal(enl_store_part_each(st, file, read_part, &r), ENL_OK);
    assert_null(hooked_db);      /* the twin did write in the middle */
    assert_int_equal(r.seen, 3);
    /* and the new ones, read afterwards */
    assert_int_equal(enl_store_part_each(st, file, read_part, &after), ENL_OK);
    assert_int_equal(after.seen, 3);
    enl_store_close(twin);
    done_store(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts_read_from_one_moment),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
