/*
 * Review revE. The rescan after a delivery (src/core/intake.c rescan,
 * collect_held) collects at most RESCAN_MAX (1408) held note ids per pass,
 * tag by tag, and enl_store_notes_by_tag lists a tag's notes oldest row
 * first. A note's tag is its first 16 body bytes: public to whoever carried
 * it. Anyone who saw one of carmen's cell notes (X, past beto's window, so
 * held on beto's device until the chain comes near it) and who reaches beto
 * first (a courier, a drop beto reads) hands beto RESCAN_MAX copies of X
 * with other bytes after the tag: carried notes like any, under that
 * source's room. When the chain comes near X, the pass lists only the
 * copies, none opens, the pass delivers nothing and the rescan stops: X is
 * never tried, by this rescan or any later one (each lists the same copies
 * first), and carmen's note is never read, though beto holds it. Jumps
 * rely on the rescan for the notes "only out of order". Now a pass lists
 * every held note the key's tags name, however many.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "core/send.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-rescanflood-XXXXXX"
#include "profiles.h"

#define N 60
#define X 41            /* past beto's window (0..31), not a checkpoint */
#ifndef COPIES
#define COPIES 1500     /* more than RESCAN_MAX (1408) */
#endif

static void test_copies_of_a_held_note_tag_hide_it_from_the_rescan(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto"), *carmen = mkprofile("carmen");
    static uint8_t ids[N][ENL_IDBYTES];
    uint8_t *note = NULL;
    size_t len = 0;
    int read = 0;
    (void)state;
    cell_of_three(ana, beto, carmen);
    for (int i = 0; i < N; i++) {
        char text[32];
        snprintf(text, sizeof text, "olla %d", i);
        assert_int_equal(enl_cell_send(carmen, "olla", (const uint8_t *)text, strlen(text), NULL,
                                       ids[i]),
                         ENL_OK);
    }
    /* the copies, handed to beto before X itself comes */
    assert_int_equal(enl_note_get(carmen, ids[X], &note, &len), ENL_OK);
    for (uint32_t c = 0; c < COPIES; c++) {
        uint8_t *copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, note, len);
        memcpy(copy + len - 4, &c, 4);      /* past the tag: another note */
        (void)enl_note_intake(beto, copy, len, NULL);
        free(copy);
    }
    free(note);
    give(carmen, beto, ids[X]);             /* held: past the window */
    assert_false(reads_olla(beto, X));
    for (int i = 0; i < N; i++)
        if (i != X) give(carmen, beto, ids[i]);
    for (int i = 0; i < N; i++) read += reads_olla(beto, i);
    printf("# beto read %d of the %d notes; olla %d (held, its tag copied %d times): %s\n", read,
           N, X, COPIES, reads_olla(beto, X) ? "read" : "never read");
    assert_true(reads_olla(beto, X));
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copies_of_a_held_note_tag_hide_it_from_the_rescan),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
