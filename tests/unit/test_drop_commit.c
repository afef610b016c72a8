/*
 * A dead-drop sync whose intake batch fails to commit (the disk of the
 * device is full) must not delete from the drop the notes that batch
 * delivered: they are not stored anywhere on this device, and the drop
 * may hold the only copy within reach (a stick carried from the sender).
 * PROTOCOL.md section 5: "A note delivered to this profile is deleted from
 * the folder only after the batch of intake that delivered it has
 * committed".
 *
 * The full disk is made with RLIMIT_FSIZE (SIGXFSZ ignored): the store's
 * write-ahead log cannot grow past its size at the start of the sync by
 * more than 256 KiB, so the first commit of a 4 MiB batch of file parts
 * fails, as it would on a full disk.
 *
 * And a note that another connection to the profile releases (a purge
 * taken in by a listener's session or another sync) while a sync writes a
 * drop must not stop the sync: the notes still held after it must still
 * be written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enlace.h"
#include "note/file.h"

#define PROFILES_ROOT "/tmp/enl-drop-commit-XXXXXX"
#include "profiles.h"

static int notes_in(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".note") == 0) n++;
    }
    closedir(d);
    return n;
}

/* from sends to a file of 70 parts (4.5 MB of random bytes), written as
 * NAME in the scratch folder. */
static void send_big_file(enl_profile *from, const char *to, const char *name)
{
    size_t size = 70 * (size_t)ENL_FILE_CHUNK;
    uint8_t *data = malloc(size), id[ENL_FILE_IDBYTES];
    char src[300];
    FILE *f;
    assert_non_null(data);
    snprintf(src, sizeof src, "%s/%s", root, name);
    randombytes_buf(data, size);
    assert_non_null(f = fopen(src, "wb"));
    assert_int_equal(fwrite(data, 1, size, f), size);
    fclose(f);
    free(data);
    assert_int_equal(enl_send_file(from, to, src, NULL, NULL, NULL, NULL, id), ENL_OK);
}

/* p (whose folder is root/home) syncs with drop on a full disk: its
 * store's log may grow by 256 KiB only (see the top of this file). What
 * the sync returns. */
static int sync_on_full_disk(enl_profile *p, const char *home, const char *drop, enl_sync_stats *st)
{
    char wal[300];
    struct rlimit old, lim;
    struct stat sb;
    int rc;
    snprintf(wal, sizeof wal, "%s/%s/enlace.db-wal", root, home);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (stat(wal, &sb) == 0 ? (rlim_t)sb.st_size : 0) + (256 << 10);
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    rc = enl_sync_folder(p, drop, NULL, st);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    return rc;
}

typedef struct {
    long have, parts;
} incoming;

static int incoming_cb(const enl_file_info *f, void *ctx)
{
    incoming *in = ctx;
    if (!f->outgoing) {
        in->have += f->have;
        if (f->known) in->parts = f->parts;
    }
    return 0;
}

static void test_failed_commit_keeps_the_drop_notes(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto");
    char drop[300];
    enl_sync_stats st;
    incoming in = { 0, 0 };
    int before, after, rc;
    (void)state;

    introduce(ana, "ana", beto, "beto");
    send_big_file(ana, "beto", "tape.bin");
    snprintf(drop, sizeof drop, "%s/stick", root);
    assert_int_equal(mkdir(drop, 0700), 0);
    assert_int_equal(enl_sync_folder(ana, drop, NULL, &st), ENL_OK);
    before = notes_in(drop);
    assert_int_equal(before, 71);
    /* ana is far away now: the stick is all beto has */
    enl_profile_close(ana);

    /* beto's disk fills while the first batch is taken in */
    rc = sync_on_full_disk(beto, "beto", drop, &st);
    assert_int_not_equal(rc, ENL_OK);    /* the sync says it failed */

    after = notes_in(drop);
    assert_int_equal(enl_files_each(beto, incoming_cb, &in), ENL_OK);
    print_message("after the failed sync: %d of %d notes left in the drop; beto holds %ld parts\n",
                  after, before, in.have);
    /* every note that left the drop is held by beto (a part, or the head) */
    if (after + in.have + (in.parts > 0) < before)
        fail_msg("%d notes were deleted from the drop, yet beto holds only %ld parts%s: "
                 "the failed batch's notes are lost", before - after, in.have,
                 in.parts > 0 ? " and the head" : "");

    /* a second sync, with room again, gets the whole file */
    assert_int_equal(enl_sync_folder(beto, drop, NULL, &st), ENL_OK);
    in.have = in.parts = 0;
    assert_int_equal(enl_files_each(beto, incoming_cb, &in), ENL_OK);
    assert_int_equal(in.parts, 70);
    assert_int_equal(in.have, 70);

    enl_profile_close(beto);
}


/* beto's disk is full: he cannot take in the file on the stick, but what
 * he has to give (a message for ana) still goes onto it. It did not: the
 * failed intake stopped the sync before it wrote anything, and a device
 * with a full disk could get no note out through any drop. */
static void test_a_full_store_still_gives(void **state)
{
    enl_profile *ana = mkprofile("ana-2"), *beto = mkprofile("beto-2");
    char drop[300], home[300];
    enl_sync_stats st;
    const char *why;
    int rc;
    (void)state;

    introduce(ana, "ana", beto, "beto");
    send_big_file(ana, "beto", "tape2.bin");
    snprintf(drop, sizeof drop, "%s/stick-2", root);
    assert_int_equal(mkdir(drop, 0700), 0);
    assert_int_equal(enl_sync_folder(ana, drop, NULL, &st), ENL_OK);
    enl_profile_close(ana);
    assert_int_equal(enl_send_text(beto, "ana", (const uint8_t *)"they know the address", 21,
                                   NULL, NULL), ENL_OK);

    rc = sync_on_full_disk(beto, "beto-2", drop, &st);
    why = enl_profile_errmsg(beto);
    print_message("%s: %s\n", enl_strerror(rc), why);
    assert_int_equal(rc, ENL_ESTORE);
    assert_int_equal(st.notes_sent, 1);
    assert_non_null(strstr(why, "could not take in"));

    /* ana, at the stick later, reads it */
    snprintf(home, sizeof home, "%s/ana-2", root);
    assert_int_equal(enl_profile_open(&ana, home, "pw", 2), ENL_OK);
    assert_int_equal(enl_sync_folder(ana, drop, NULL, &st), ENL_OK);
    assert_true(has_message(ana, "they know the address"));

    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* A courier whose disk is full still gives what it carries (above), but a
 * note its recipient released must not go back beside its own purge: the
 * failed take-in rolled back the drop's purge record with the batch, and
 * the note was written into the drop again, for every courier to carry
 * until a healthy sync released it. */
static void test_a_full_store_gives_no_released_note(void **state)
{
    enl_profile *ana = mkprofile("ana-4"), *beto = mkprofile("beto-4"), *cara = mkprofile("cara-4");
    char drop[300];
    enl_sync_stats st;
    int rc, before;
    (void)state;

    introduce(ana, "ana", beto, "beto");
    snprintf(drop, sizeof drop, "%s/stick-4", root);
    assert_int_equal(mkdir(drop, 0700), 0);
    /* cara carries ana's note; beto takes it from the stick and leaves its purge */
    assert_int_equal(enl_send_text(ana, "beto", (const uint8_t *)"the van leaves at six", 21,
                                   NULL, NULL), ENL_OK);
    assert_int_equal(enl_sync_folder(ana, drop, NULL, &st), ENL_OK);
    assert_int_equal(enl_sync_folder(cara, drop, NULL, &st), ENL_OK);
    assert_int_equal(enl_sync_folder(beto, drop, NULL, &st), ENL_OK);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(notes_in(drop), 0);
    /* then a file for beto, which cara's full disk cannot take in */
    send_big_file(ana, "beto", "tape4.bin");
    assert_int_equal(enl_sync_folder(ana, drop, NULL, &st), ENL_OK);
    before = notes_in(drop);

    rc = sync_on_full_disk(cara, "cara-4", drop, &st);
    assert_int_equal(rc, ENL_ESTORE);
    assert_int_equal(st.notes_sent, 0);
    assert_int_equal(notes_in(drop), before);

    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(cara);
}

/* ---- a note released by another connection while a sync writes ------- */

typedef struct {
    const char *home, *purge;
    int done;
} release_ctx;

/* On the first note written: another process on the same profile syncs
 * another drop (d4), which holds the purge of the oldest note. */
static void release_midway(void *vctx, const char *what, uint64_t done, uint64_t total)
{
    release_ctx *c = vctx;
    enl_profile *other = NULL;
    enl_sync_stats st;
    (void)done;
    (void)total;
    if (c->done || strcmp(what, "writing") != 0) return;
    c->done = 1;
    assert_int_equal(enl_profile_open(&other, c->home, "pw", 2), ENL_OK);
    assert_int_equal(enl_sync_folder(other, c->purge, NULL, &st), ENL_OK);
    assert_int_equal(st.released, 1);
    enl_profile_close(other);
}

static int first_note(void *ctx, const char *name)
{
    size_t l = strlen(name);
    /* a note's name: 64 hex digits and ".note" */
    if (l > 5 && l < 200 && strcmp(name + l - 5, ".note") == 0) memcpy(ctx, name, l + 1);
    return 0;
}

static void test_a_note_released_meanwhile_stops_no_sync(void **state)
{
    enl_profile *ana = mkprofile("ana2"), *beto = mkprofile("beto2"), *carmen = mkprofile("carmen2");
    char d1[300], d2[300], d3[300], name[200] = "", path[600], purge[600], home[300], hex[33];
    uint8_t note[512];
    enl_sync_stats st;
    release_ctx rc_ctx;
    enl_sync_opts so;
    size_t n;
    FILE *f;
    int rc;
    (void)state;

    introduce(ana, "ana", beto, "beto");
    snprintf(d1, sizeof d1, "%s/d1", root);
    snprintf(d2, sizeof d2, "%s/d2", root);
    snprintf(d3, sizeof d3, "%s/d3", root);
    assert_int_equal(mkdir(d1, 0700), 0);
    assert_int_equal(mkdir(d2, 0700), 0);
    assert_int_equal(mkdir(d3, 0700), 0);

    /* carmen carries three notes of ana's for beto, the first one first */
    assert_int_equal(enl_send_text(ana, "beto", (const uint8_t *)"one", 3, NULL, NULL), ENL_OK);
    assert_int_equal(enl_sync_folder(ana, d1, NULL, &st), ENL_OK);
    {
        DIR *d = opendir(d1);
        struct dirent *e;
        assert_non_null(d);
        while ((e = readdir(d)) != NULL) first_note(name, e->d_name);
        closedir(d);
    }
    assert_int_not_equal(name[0], 0);
    assert_int_equal(enl_sync_folder(carmen, d1, NULL, &st), ENL_OK);
    assert_int_equal(enl_send_text(ana, "beto", (const uint8_t *)"two", 3, NULL, NULL), ENL_OK);
    assert_int_equal(enl_send_text(ana, "beto", (const uint8_t *)"three", 5, NULL, NULL), ENL_OK);
    assert_int_equal(enl_sync_folder(ana, d1, NULL, &st), ENL_OK);
    assert_int_equal(enl_sync_folder(carmen, d1, NULL, &st), ENL_OK);
    assert_int_equal(st.notes_received, 2);

    /* beto reads them elsewhere; his purges wait in d2 */
    carry_all(ana, beto);
    assert_int_equal(enl_sync_folder(beto, d2, NULL, &st), ENL_OK);
    assert_int_equal(st.purges_sent, 3);

    /* the first note's purge: named by the lock in its header */
    snprintf(path, sizeof path, "%s/%s", d1, name);
    assert_non_null(f = fopen(path, "rb"));
    n = fread(note, 1, sizeof note, f);
    fclose(f);
    assert_true(n > 21);
    for (int i = 0; i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", note[5 + i]);
    snprintf(purge, sizeof purge, "%s/%s.purge", d2, hex);
    assert_int_equal(access(purge, R_OK), 0);
    {
        /* d4: that purge alone */
        char d4[300], cmd[1400];
        snprintf(d4, sizeof d4, "%s/d4", root);
        assert_int_equal(mkdir(d4, 0700), 0);
        snprintf(cmd, sizeof cmd, "cp '%s' '%s/'", purge, d4);
        assert_int_equal(system(cmd), 0);
        snprintf(purge, sizeof purge, "%s", d4);
    }

    /* carmen fills a fresh drop; meanwhile the first note is released */
    snprintf(home, sizeof home, "%s/carmen2", root);
    rc_ctx.home = home;
    rc_ctx.purge = purge;
    rc_ctx.done = 0;
    memset(&so, 0, sizeof so);
    so.progress = release_midway;
    so.ctx = &rc_ctx;
    rc = enl_sync_folder(carmen, d3, &so, &st);
    assert_true(rc_ctx.done);
    print_message("sync: %d (%s); %d notes written to the fresh drop\n", rc,
                  rc == ENL_OK ? "ok" : enl_profile_errmsg(carmen), notes_in(d3));
    /* the two notes still held reach the drop, and the sync succeeds */
    assert_int_equal(notes_in(d3), 2);
    assert_int_equal(rc, ENL_OK);

    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failed_commit_keeps_the_drop_notes),
        cmocka_unit_test(test_a_full_store_still_gives),
        cmocka_unit_test(test_a_full_store_gives_no_released_note),
        cmocka_unit_test(test_a_note_released_meanwhile_stops_no_sync),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
