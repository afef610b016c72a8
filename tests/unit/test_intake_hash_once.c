/*
 * A note's content id is the BLAKE2b hash of all its bytes: for a file's
 * part, 64 KiB hashed, as dear as its AEAD. A dead drop checks every file
 * against the id its name says, so taking a note in from a drop must hash
 * it once, not once more in the intake (a file's take-in paid one hash a
 * part too many). Counted, not timed: enl_note_id is wrapped.
 *
 * A file whose bytes are not the note its name says is still refused.
 * (Held notes taken in again pass their row key, the id computed when
 * they were kept: test_rescan_flood and test_session_lost_run take them.)
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

#include "core/profile.h"
#include "enlace.h"
#include "note/note.h"

#define PROFILES_ROOT "/tmp/enl-hash-once-XXXXXX"
#include "profiles.h"

static unsigned hashes;

void __real_enl_note_id(uint8_t id[ENL_IDBYTES], const uint8_t *note, size_t len);
void __wrap_enl_note_id(uint8_t id[ENL_IDBYTES], const uint8_t *note, size_t len);
void __wrap_enl_note_id(uint8_t id[ENL_IDBYTES], const uint8_t *note, size_t len)
{
    hashes++;
    __real_enl_note_id(id, note, len);
}

static void mkdrop(char *out, size_t max, const char *name)
{
    snprintf(out, max, "%s/%s", root, name);
    assert_int_equal(mkdir(out, 0700), 0);
}

/* Ana and Beto have talked both ways: Ana's notes are ratchet notes. */
static void talked(enl_profile *ana, enl_profile *beto, const char *drop)
{
    enl_sync_stats st;
    introduce(ana, "ana", beto, "beto");
    assert_int_equal(enl_send_text(ana, "beto", (const uint8_t *)"hola", 4, NULL, NULL), ENL_OK);
    assert_int_equal(enl_sync_folder(ana, drop, NULL, &st), ENL_OK);
    assert_int_equal(enl_sync_folder(beto, drop, NULL, &st), ENL_OK);
    assert_int_equal(enl_send_text(beto, "ana", (const uint8_t *)"hola", 4, NULL, NULL), ENL_OK);
    assert_int_equal(enl_sync_folder(beto, drop, NULL, &st), ENL_OK);
    assert_int_equal(enl_sync_folder(ana, drop, NULL, &st), ENL_OK);
    assert_int_equal(enl_sync_folder(beto, drop, NULL, &st), ENL_OK);
}

static void test_drop_hashes_each_note_once(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto");
    char drop[256], path[300];
    uint8_t chunk[3000];
    enl_sync_stats st;
    FILE *f;
    (void)state;
    mkdrop(drop, sizeof drop, "drop");
    talked(ana, beto, drop);

    /* Texts, and a file of a few parts. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(enl_send_text(ana, "beto", (const uint8_t *)"otra", 4, NULL, NULL), ENL_OK);
    snprintf(path, sizeof path, "%s/file", root);
    assert_non_null(f = fopen(path, "wb"));
    for (int i = 0; i < 60; i++) {
        randombytes_buf(chunk, sizeof chunk);
        assert_int_equal(fwrite(chunk, 1, sizeof chunk, f), sizeof chunk);
    }
    assert_int_equal(fclose(f), 0);
    assert_int_equal(enl_send_file(ana, "beto", path, NULL, NULL, NULL, NULL, NULL), ENL_OK);
    memset(&st, 0, sizeof st);
    assert_int_equal(enl_sync_folder(ana, drop, NULL, &st), ENL_OK);
    assert_true(st.notes_sent >= 8);   /* 5 texts, a head, 3 parts */

    hashes = 0;
    memset(&st, 0, sizeof st);
    assert_int_equal(enl_sync_folder(beto, drop, NULL, &st), ENL_OK);
    assert_int_equal(st.delivered, 5);
    assert_int_equal(st.file_notes, 4);
    if (hashes != st.delivered + st.file_notes)
        fail_msg("%u notes were hashed %u times: the intake hashed again what the drop "
                 "had hashed to check the file's name", (unsigned)(st.delivered + st.file_notes),
                 hashes);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* A note put under another note's name is refused, though the intake no
 * longer hashes it: the drop compared its hash with the name. */
static void test_renamed_note_still_refused(void **state)
{
    enl_profile *ana = mkprofile("ana2"), *beto = mkprofile("beto2");
    char drop[256], from[600], to[600], hex[65];
    uint8_t id[ENL_IDBYTES], other[ENL_IDBYTES];
    enl_sync_stats st;
    uint64_t inbox = 0;
    (void)state;
    mkdrop(drop, sizeof drop, "drop2");
    talked(ana, beto, drop);
    assert_int_equal(enl_send_text(ana, "beto", (const uint8_t *)"uno", 3, NULL, id), ENL_OK);
    assert_int_equal(enl_sync_folder(ana, drop, NULL, &st), ENL_OK);
    sodium_bin2hex(hex, sizeof hex, id, sizeof id);
    snprintf(from, sizeof from, "%s/%s.note", drop, hex);
    memcpy(other, id, sizeof other);
    other[0] ^= 1;
    sodium_bin2hex(hex, sizeof hex, other, sizeof other);
    snprintf(to, sizeof to, "%s/%s.note", drop, hex);
    assert_int_equal(rename(from, to), 0);

    memset(&st, 0, sizeof st);
    assert_int_equal(enl_sync_folder(beto, drop, NULL, &st), ENL_OK);
    assert_int_equal(st.delivered, 0);
    assert_true(st.skipped >= 1);
    assert_int_equal(enl_store_count(beto->st, "messages", &inbox), ENL_OK);
    assert_int_equal(inbox, 1);   /* the first "hola" alone */
    enl_profile_close(ana);
    enl_profile_close(beto);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drop_hashes_each_note_once),
        cmocka_unit_test(test_renamed_note_still_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
