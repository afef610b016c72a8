/* Receiving and saving a file, through the library on real profiles: a
 * part that came early and does not fit its head is dropped; a save
 * killed in the middle leaves nothing in the folder (not a hidden partial
 * file of the plaintext), and once a file is saved the profile no longer
 * holds its content (a second save says so and writes nothing); a file
 * whose notes expired before every part came is dropped, parts and all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/files.h"
#include "core/profile.h"
#include "core/send.h"
#include "enlace.h"
#include "note/file.h"
#include "store/store.h"

#define PROFILES_ROOT "/tmp/enl-file-save-XXXXXX"
#include "profiles.h"

static void die_midway(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    (void)ctx;
    (void)what;
    if (done > 0 && done < total) _exit(7);   /* a kill, a pulled battery */
}

static int incoming_have(const enl_file_info *f, void *ctx)
{
    if (!f->outgoing) *(long *)ctx = (long)f->have;
    return 0;
}

static void test_killed_save_and_saved_file(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto"), *all[2];
    char src[300], out_dir[300], out[400], beto_home[300];
    uint8_t id[ENL_FILE_IDBYTES], *data = malloc(200000);
    FILE *f;
    pid_t pid;
    int status = 0;
    long have = -1;
    (void)state;

    assert_non_null(data);
    introduce(ana, "ana", beto, "beto");
    snprintf(src, sizeof src, "%s/testimony.bin", root);
    randombytes_buf(data, 200000);
    assert_non_null(f = fopen(src, "wb"));
    assert_int_equal(fwrite(data, 1, 200000, f), 200000);
    fclose(f);
    assert_int_equal(enl_send_file(ana, "beto", src, NULL, NULL, NULL, NULL, id), ENL_OK);
    all[0] = ana;
    all[1] = beto;
    exchange(all, 2);

    snprintf(out_dir, sizeof out_dir, "%s/out", root);
    assert_int_equal(mkdir(out_dir, 0700), 0);
    snprintf(out, sizeof out, "%s/testimony.bin", out_dir);
    snprintf(beto_home, sizeof beto_home, "%s/beto", root);
    /* Killed halfway through writing it out. */
    if ((pid = fork()) == 0) {
        enl_profile *b2 = NULL;
        if (enl_profile_open(&b2, beto_home, "pw", 2) != ENL_OK) _exit(2);
        _exit(enl_file_save(b2, id, out, 0, die_midway, NULL) == ENL_OK ? 3 : 4);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 7);
    if (folder_entries(out_dir) != 0) fail_msg("a save killed halfway left %d file(s) in the folder", folder_entries(out_dir));

    /* Saved whole: the same bytes; then the profile holds none of them. */
    assert_int_equal(enl_file_save(beto, id, out, 0, NULL, NULL), ENL_OK);
    {
        uint8_t *back = malloc(200001);
        size_t n;
        assert_non_null(back);
        assert_non_null(f = fopen(out, "rb"));
        n = fread(back, 1, 200001, f);
        fclose(f);
        assert_int_equal(n, 200000);
        assert_memory_equal(back, data, 200000);
        free(back);
    }
    assert_int_equal(enl_files_each(beto, incoming_have, &have), ENL_OK);
    assert_int_equal(have, 0);
    snprintf(out, sizeof out, "%s/again.bin", out_dir);
    assert_int_equal(enl_file_save(beto, id, out, 0, NULL, NULL), ENL_ENOTFOUND);
    assert_int_equal(folder_entries(out_dir), 1);

    free(data);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* A part that came before its head and does not fit it is dropped when the
 * head comes: kept, it made the file look complete yet never save, and the
 * right copy that came later was ignored as a second one. */
static void test_early_misfit_part(void **state)
{
    enl_profile *lu = mkprofile("lu"), *mo = mkprofile("mo"), *all[2];
    uint8_t id[ENL_FILE_IDBYTES], data[100];
    char out[300];
    long have = -1;
    (void)state;

    introduce(lu, "lu", mo, "mo");
    all[0] = lu;
    all[1] = mo;
    randombytes_buf(id, sizeof id);
    randombytes_buf(data, sizeof data);
    send_part(mo, "lu", id, 0, data, 50);            /* not this file's length */
    exchange(all, 2);
    send_head(mo, "lu", id, data, sizeof data, "x.txt");
    exchange(all, 2);
    assert_int_equal(enl_files_each(lu, incoming_have, &have), ENL_OK);
    assert_int_equal(have, 0);                       /* the misfit is gone */
    send_part(mo, "lu", id, 0, data, sizeof data);   /* the right one */
    exchange(all, 2);
    snprintf(out, sizeof out, "%s/x.txt", root);
    assert_int_equal(enl_file_save(lu, id, out, 0, NULL, NULL), ENL_OK);

    enl_profile_close(lu);
    enl_profile_close(mo);
}

static int incoming_state(const enl_file_info *f, void *ctx)
{
    if (!f->outgoing) *(int *)ctx = (int)f->state;
    return 0;
}

/* A file whose notes expired before every part came can never be whole:
 * its parts are deleted (they stayed in the store for ever), and it is
 * shown expired; saving it says why it cannot be. So it is without a sync
 * first (expire 0): listing and saving settle it themselves, where they
 * used to show it receiving and say its parts could still arrive. */
static void incomplete_file_expires(int expire, const char *lu_name, const char *mo_name)
{
    enl_profile *lu = mkprofile(lu_name), *mo = mkprofile(mo_name), *all[2];
    uint8_t id[ENL_FILE_IDBYTES], *data = malloc(ENL_FILE_CHUNK + 100);
    char out[300], later[32];
    long have = -1;
    int st = 0;
    uint64_t parts = 99;

    assert_non_null(data);
    introduce(lu, "lu", mo, "mo");
    all[0] = lu;
    all[1] = mo;
    randombytes_buf(id, sizeof id);
    randombytes_buf(data, ENL_FILE_CHUNK + 100);
    send_head(mo, "lu", id, data, ENL_FILE_CHUNK + 100, "tape.bin");
    send_part(mo, "lu", id, 0, data, ENL_FILE_CHUNK);    /* part 1 is lost on the way */
    exchange(all, 2);
    assert_int_equal(enl_files_each(lu, incoming_have, &have), ENL_OK);
    assert_int_equal(have, 1);
    assert_int_equal(enl_files_each(lu, incoming_state, &st), ENL_OK);
    assert_int_equal(st, ENL_FILE_RECEIVING);

    /* 15 days on, every note of it has expired */
    snprintf(later, sizeof later, "%llu", (unsigned long long)(enl_now() + 15ULL * 24 * 3600));
    assert_int_equal(setenv("ENLACE_NOW", later, 1), 0);
    if (expire) assert_int_equal(enl_profile_expire(lu), ENL_OK);
    assert_int_equal(enl_files_each(lu, incoming_state, &st), ENL_OK);
    assert_int_equal(enl_store_count(lu->st, "parts", &parts), ENL_OK);
    snprintf(out, sizeof out, "%s/tape.bin", root);
    assert_int_equal(enl_file_save(lu, id, out, 0, NULL, NULL), ENL_ENOTFOUND);
    unsetenv("ENLACE_NOW");
    assert_int_equal(st, ENL_FILE_EXPIRED);
    assert_int_equal(parts, 0);
    assert_non_null(strstr(enl_profile_errmsg(lu), "expired before every part came"));

    free(data);
    enl_profile_close(lu);
    enl_profile_close(mo);
}

static void test_incomplete_file_expires(void **state)
{
    (void)state;
    incomplete_file_expires(1, "lu3", "mo3");
}

static void test_incomplete_file_expires_without_a_sync(void **state)
{
    (void)state;
    incomplete_file_expires(0, "lu4", "mo4");
}

/* A FIFO (or any special file) given as the file to send is refused at
 * once: opening it must not wait for a writer that never comes. */
static void test_send_fifo_refused(void **state)
{
    enl_profile *ana = mkprofile("fi"), *beto = mkprofile("fo");
    char fifo[300];
    pid_t pid;
    int status = 0;
    (void)state;

    introduce(ana, "ana", beto, "beto");
    snprintf(fifo, sizeof fifo, "%s/pipe", root);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    if ((pid = fork()) == 0) {
        alarm(10);
        _exit(enl_send_file(ana, "beto", fifo, NULL, NULL, NULL, NULL, NULL) == ENL_EINVAL ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) fail_msg("send --file of a FIFO hung (killed by signal %d)", WTERMSIG(status));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* The file to send is changed (same size, one byte) once its hash is taken,
 * before its parts are read again to be sealed, as an editor saving it
 * would. */
static void change_after_hashing(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    FILE *f;
    int c;
    if (strcmp(what, "hashing") != 0 || done != total) return;
    assert_non_null(f = fopen((const char *)ctx, "r+b"));
    assert_int_equal(fseek(f, (long)(total - 1), SEEK_SET), 0);
    assert_true((c = fgetc(f)) != EOF);
    /* another byte whatever it was: a fixed one was already there once in
     * 256 random files, and the test failed for nothing */
    assert_int_equal(fseek(f, (long)(total - 1), SEEK_SET), 0);
    assert_int_equal(fputc(c ^ 0xff, f), c ^ 0xff);
    fclose(f);
}

typedef struct {
    int out_state, in_state;
    long in_have;
} both_states;

static int states_of(const enl_file_info *f, void *ctx)
{
    both_states *b = ctx;
    if (f->outgoing) b->out_state = (int)f->state;
    else b->in_state = (int)f->state, b->in_have = (long)f->have;
    return 0;
}

/* A file that changes while it is sealed is refused: its last parts are
 * never sealed, so its notes cannot make a file that looks whole at the
 * recipient and never saves (and the sender's list does not call it sent).
 * A small file leaves nothing at all; a larger one, whose first batches
 * were sealed already, stays interrupted on both sides. */
static void test_changed_while_sealed(void **state)
{
    enl_profile *ana = mkprofile("ch1"), *beto = mkprofile("ch2"), *all[2];
    size_t sizes[2] = { 100000, 64 * (size_t)ENL_FILE_CHUNK + 1 };
    uint8_t *data = malloc(sizes[1]);
    char src[300];
    (void)state;

    assert_non_null(data);
    introduce(ana, "ana", beto, "beto");
    all[0] = ana;
    all[1] = beto;
    for (int i = 0; i < 2; i++) {
        both_states b = { 0, 0, -1 };
        FILE *f;
        snprintf(src, sizeof src, "%s/draft%d.bin", root, i);
        randombytes_buf(data, sizes[i]);
        assert_non_null(f = fopen(src, "wb"));
        assert_int_equal(fwrite(data, 1, sizes[i], f), sizes[i]);
        fclose(f);
        assert_int_equal(enl_send_file(ana, "beto", src, NULL, NULL, change_after_hashing, src, NULL),
                         ENL_ECHECKSUM);
        exchange(all, 2);
        assert_int_equal(enl_files_each(ana, states_of, &b), ENL_OK);
        assert_int_equal(enl_files_each(beto, states_of, &b), ENL_OK);
        if (i == 0) {
            /* nothing sealed: no file on either side */
            assert_int_equal(b.out_state, 0);
            assert_int_equal(b.in_state, 0);
        } else {
            assert_int_equal(b.out_state, ENL_FILE_SEALING);
            assert_int_equal(b.in_state, ENL_FILE_RECEIVING);
            assert_int_equal(b.in_have, 64);
        }
    }

    free(data);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* Killed once it has sealed its first batch (64 parts of 65), in a child. */
static void die_sealing(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    (void)ctx;
    if (strcmp(what, "sealing") == 0 && done > 0 && done < total) _exit(7);
}

static void note_resume(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    (void)total;
    if (strcmp(what, "resuming") == 0) *(uint64_t *)ctx = done;
}

typedef struct {
    int outgoing, sealing, incoming;
} file_counts;

static int count_files(const enl_file_info *f, void *ctx)
{
    file_counts *c = ctx;
    if (f->outgoing) c->outgoing++, c->sealing += f->state == ENL_FILE_SEALING;
    else c->incoming++;
    return 0;
}

/* A file of size random bytes (the first one 'a') at root/name: its bytes
 * in a buffer the caller frees. */
static uint8_t *random_file(char *src, size_t max, const char *name, size_t size)
{
    uint8_t *data = malloc(size);
    FILE *f;
    assert_non_null(data);
    snprintf(src, max, "%s/%s", root, name);
    randombytes_buf(data, size);
    data[0] = 'a';
    assert_non_null(f = fopen(src, "wb"));
    assert_int_equal(fwrite(data, 1, size, f), size);
    fclose(f);
    return data;
}

/* The first byte of the file put back to 'a'. */
static void first_byte_back(const char *src)
{
    FILE *f;
    assert_non_null(f = fopen(src, "r+b"));
    assert_int_equal(fputc('a', f), 'a');
    fclose(f);
}

/* In a child, the profile `who` (under root) sends src to beto and is
 * killed once its first batch is sealed. */
static void killed_sending(const char *who, const char *src, const char *note)
{
    char home[300];
    pid_t pid;
    int status = 0;
    snprintf(home, sizeof home, "%s/%s", root, who);
    if ((pid = fork()) == 0) {
        enl_profile *a2 = NULL;
        if (enl_profile_open(&a2, home, "pw", 2) != ENL_OK) _exit(2);
        _exit(enl_send_file(a2, "beto", src, note, NULL, die_sealing, NULL, NULL) == ENL_OK ? 3 : 4);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 7);
}

/* beto saves file id to root/name: the bytes that were sent. */
static void saved_as_sent(enl_profile *beto, const uint8_t id[ENL_FILE_IDBYTES], const char *name,
                          const uint8_t *data, size_t size)
{
    char out[300];
    uint8_t *back = malloc(size + 1);
    size_t n;
    FILE *f;
    assert_non_null(back);
    snprintf(out, sizeof out, "%s/%s", root, name);
    assert_int_equal(enl_file_save(beto, id, out, 0, NULL, NULL), ENL_OK);
    assert_non_null(f = fopen(out, "rb"));
    n = fread(back, 1, size + 1, f);
    fclose(f);
    assert_int_equal(n, size);
    assert_memory_equal(back, data, size);
    free(back);
}

/* A sending killed half way (a pulled battery) goes on when the same file
 * is sent again: the parts sealed before are not sealed again, and the
 * recipient gets one file, whole. It used to start over under a new id,
 * and the recipient kept the first attempt as a file that never
 * completes. A file sent whole and sent again is a new sending. */
static void test_killed_send_goes_on(void **state)
{
    enl_profile *ana = mkprofile("go1"), *beto = mkprofile("go2"), *all[2] = { ana, beto };
    size_t size = 64 * (size_t)ENL_FILE_CHUNK + 1000;
    uint8_t id[ENL_FILE_IDBYTES], id2[ENL_FILE_IDBYTES], *data;
    char src[300];
    uint64_t before = 0;
    file_counts c = { 0, 0, 0 };
    (void)state;

    introduce(ana, "ana", beto, "beto");
    data = random_file(src, sizeof src, "tape.bin", size);
    killed_sending("go1", src, "tape 3");
    exchange(all, 2);     /* the first 64 parts reach beto */

    assert_int_equal(enl_send_file(ana, "beto", src, "tape 3", NULL, note_resume, &before, id), ENL_OK);
    assert_int_equal(before, 64 * (uint64_t)ENL_FILE_CHUNK);
    assert_int_equal(enl_files_each(ana, count_files, &c), ENL_OK);
    assert_int_equal(c.outgoing, 1);
    assert_int_equal(c.sealing, 0);
    exchange(all, 2);
    assert_int_equal(enl_files_each(beto, count_files, &c), ENL_OK);
    assert_int_equal(c.incoming, 1);
    saved_as_sent(beto, id, "tape.out", data, size);

    before = 0;
    assert_int_equal(enl_send_file(ana, "beto", src, "tape 3", NULL, note_resume, &before, id2), ENL_OK);
    assert_int_equal(before, 0);
    assert_memory_not_equal(id, id2, ENL_FILE_IDBYTES);

    free(data);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* The first byte changed once the hash is taken: the first batch is sealed
 * from the changed bytes, and the last one is refused. */
static void change_first_byte(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    FILE *f;
    if (strcmp(what, "hashing") != 0 || done != total) return;
    assert_non_null(f = fopen((const char *)ctx, "r+b"));
    assert_int_equal(fputc('!', f), '!');
    fclose(f);
}

/* Changed while it was sealed, then put back as it was: the whole file
 * hashes as it did at the first try, but the parts sealed then hold the
 * changed byte. Going on from them would give the recipient a file that
 * never saves: it is sent anew, and saves. */
static void test_changed_then_restored_is_sent_anew(void **state)
{
    enl_profile *ana = mkprofile("cr1"), *beto = mkprofile("cr2"), *all[2] = { ana, beto };
    size_t size = 64 * (size_t)ENL_FILE_CHUNK + 1000;
    uint8_t id[ENL_FILE_IDBYTES], *data;
    char src[300];
    uint64_t before = 0;
    (void)state;

    introduce(ana, "ana", beto, "beto");
    data = random_file(src, sizeof src, "minutes.bin", size);
    assert_int_equal(enl_send_file(ana, "beto", src, NULL, NULL, change_first_byte, src, NULL),
                     ENL_ECHECKSUM);
    first_byte_back(src);
    assert_int_equal(enl_send_file(ana, "beto", src, NULL, NULL, note_resume, &before, id), ENL_OK);
    assert_int_equal(before, 0);
    exchange(all, 2);
    saved_as_sent(beto, id, "minutes.out", data, size);

    free(data);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* A try that stopped after more parts than another but can no longer go
 * on (its first byte was changed while it was sealed, then put back) must
 * not hide the other: a try killed at 64 parts of 129 goes on from there.
 * (Only the try with the most parts was checked against the file.) */
static void test_resume_skips_a_try_that_no_longer_fits(void **state)
{
    enl_profile *ana = mkprofile("rs1"), *beto = mkprofile("rs2"), *all[2] = { ana, beto };
    size_t size = 128 * (size_t)ENL_FILE_CHUNK + 1000;
    uint8_t id[ENL_FILE_IDBYTES], *data;
    char src[300];
    uint64_t before = 0;
    (void)state;

    introduce(ana, "ana", beto, "beto");
    data = random_file(src, sizeof src, "ledger.bin", size);
    /* the first try: 128 parts sealed from the changed byte, then refused */
    assert_int_equal(enl_send_file(ana, "beto", src, NULL, NULL, change_first_byte, src, NULL),
                     ENL_ECHECKSUM);
    first_byte_back(src);
    killed_sending("rs1", src, NULL);      /* the second: killed after 64 parts */
    /* the third goes on from the second */
    assert_int_equal(enl_send_file(ana, "beto", src, NULL, NULL, note_resume, &before, id), ENL_OK);
    assert_int_equal(before, 64 * (uint64_t)ENL_FILE_CHUNK);
    exchange(all, 2);
    saved_as_sent(beto, id, "ledger.out", data, size);

    free(data);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* A file that another enlace process is sending now (it holds the file's
 * lock) is refused: going on from its record, a second sending would seal
 * the same parts again. */
static void test_file_being_sent_is_refused(void **state)
{
    enl_profile *ana = mkprofile("lk1"), *beto = mkprofile("lk2");
    char src[300];
    FILE *f;
    int fd;
    (void)state;
    introduce(ana, "ana", beto, "beto");
    snprintf(src, sizeof src, "%s/busy.bin", root);
    assert_non_null(f = fopen(src, "wb"));
    assert_int_equal(fputs("a file on its way", f) >= 0, 1);
    fclose(f);
    assert_true((fd = open(src, O_RDONLY)) >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0);
    assert_int_equal(enl_send_file(ana, "beto", src, NULL, NULL, NULL, NULL, NULL), ENL_EEXISTS);
    close(fd);
    assert_int_equal(enl_send_file(ana, "beto", src, NULL, NULL, NULL, NULL, NULL), ENL_OK);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* Pipes between a sending held half way in a child and the test. */
typedef struct {
    int ready[2];     /* the child says: the first batch is sealed */
    int go[2];        /* the test says: go on (or the child is killed) */
} held_pipes;

/* Once the first batch is sealed (and committed), says so and waits. */
static void hold_sealing(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    held_pipes *h = ctx;
    char c = 0;
    if (strcmp(what, "sealing") != 0 || done == 0 || done == total) return;
    if (write(h->ready[1], "r", 1) != 1) _exit(5);
    if (read(h->go[0], &c, 1) != 1) _exit(6);
}

/* In a child, `who` (under root) sends src to beto, held after its first
 * batch until the test writes to h->go: its pid, once it is held there. */
static pid_t held_sending(const char *who, const char *src, held_pipes *h)
{
    char home[300], c = 0;
    pid_t pid;
    snprintf(home, sizeof home, "%s/%s", root, who);
    assert_int_equal(pipe(h->ready), 0);
    assert_int_equal(pipe(h->go), 0);
    if ((pid = fork()) == 0) {
        enl_profile *a2 = NULL;
        /* the test's ends closed here: should the test end, the read ends */
        close(h->ready[0]);
        close(h->go[1]);
        if (enl_profile_open(&a2, home, "pw", 2) != ENL_OK) _exit(2);
        _exit(enl_send_file(a2, "beto", src, NULL, NULL, hold_sealing, h, NULL) == ENL_OK ? 0 : 4);
    }
    assert_true(pid > 0);
    close(h->ready[1]);
    close(h->go[0]);
    assert_int_equal(read(h->ready[0], &c, 1), 1);
    return pid;
}

static int outgoing_state(const enl_file_info *f, void *ctx)
{
    if (f->outgoing) *(int *)ctx = (int)f->state;
    return 0;
}

/* The states of every outgoing file, one bit each: which record is listed
 * last is not known when two were sent within one second (the listing
 * sorts by the second, then by the random id). */
static int outgoing_states(const enl_file_info *f, void *ctx)
{
    if (f->outgoing) *(int *)ctx |= 1 << f->state;
    return 0;
}

/* A file whose sending runs now in another process is listed sending, not
 * interrupted (it was: only the parts sealed were looked at); one whose
 * process died half way is interrupted. The same bytes sent meanwhile from
 * a copy elsewhere are refused, not taken over as an interrupted sending
 * (which sealed the same parts twice, from two processes). */
static void test_file_being_sealed_is_listed_sending(void **state)
{
    enl_profile *ana = mkprofile("sd1"), *beto = mkprofile("sd2");
    size_t size = 64 * (size_t)ENL_FILE_CHUNK + 1000;
    char src[300], copy[300];
    uint8_t *data;
    held_pipes h;
    pid_t pid;
    int st = 0, status = 0;
    FILE *f;
    (void)state;

    introduce(ana, "ana", beto, "beto");
    data = random_file(src, sizeof src, "long.bin", size);
    /* the same name in another folder: the same file, for a sending */
    snprintf(copy, sizeof copy, "%s/elsewhere", root);
    assert_int_equal(mkdir(copy, 0700), 0);
    snprintf(copy, sizeof copy, "%s/elsewhere/long.bin", root);
    assert_non_null(f = fopen(copy, "wb"));
    assert_int_equal(fwrite(data, 1, size, f), size);
    fclose(f);

    /* held, then let go: sending while held, sent once it ends */
    pid = held_sending("sd1", src, &h);
    assert_int_equal(enl_files_each(ana, outgoing_state, &st), ENL_OK);
    assert_int_equal(st, ENL_FILE_SENDING);
    assert_int_equal(enl_send_file(ana, "beto", copy, NULL, NULL, NULL, NULL, NULL), ENL_EEXISTS);
    assert_non_null(strstr(enl_profile_errmsg(ana), "being sent"));
    assert_int_equal(write(h.go[1], "g", 1), 1);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(enl_files_each(ana, outgoing_state, &st), ENL_OK);
    assert_int_equal(st, ENL_FILE_SENT);
    close(h.ready[0]);
    close(h.go[1]);

    /* held, then killed: interrupted, and the copy goes on from it */
    pid = held_sending("sd1", src, &h);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    /* beside the first sending, sent whole */
    st = 0;
    assert_int_equal(enl_files_each(ana, outgoing_states, &st), ENL_OK);
    assert_int_equal(st, 1 << ENL_FILE_SENT | 1 << ENL_FILE_SEALING);
    {
        uint64_t before = 0;
        assert_int_equal(enl_send_file(ana, "beto", copy, NULL, NULL, note_resume, &before, NULL),
                         ENL_OK);
        assert_int_equal(before, 64 * (uint64_t)ENL_FILE_CHUNK);
    }
    close(h.ready[0]);
    close(h.go[1]);

    free(data);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

static int rewritten_as_read(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    uint8_t out[ENL_FILE_RECORD_MAX];
    size_t n = 0;
    (void)seq;
    assert_int_equal(enl_file_record_rewrite(pt, len, out, sizeof out, &n), ENL_OK);
    assert_int_equal(n, len);
    assert_memory_equal(out, pt, len);
    (*(int *)ctx)++;
    return 0;
}

/* The records a sending and a receiving keep (version 4, with the prefix
 * of what was sealed) read back and write again byte for byte: reading a
 * record never changes what is kept. fuzz_stored holds any bytes to the
 * same rule. */
static int outgoing_delivered(const enl_file_info *f, void *ctx)
{
    if (f->outgoing) *(long *)ctx = (long)f->delivered;
    return 0;
}

/* An outgoing file none of whose notes came back delivered before they
 * expired is no longer carried by anyone: it is listed expired, so that its
 * sender knows to send it again. It stayed "sent" for ever. One whose every
 * note came back stays delivered (test_settle_race). */
static void test_undelivered_outgoing_file_expires(void **state)
{
    enl_profile *ana = mkprofile("ux1"), *beto = mkprofile("ux2");
    char src[300], later[32];
    uint8_t *data;
    long delivered = -1;
    int st = 0;
    (void)state;

    introduce(ana, "ana", beto, "beto");
    data = random_file(src, sizeof src, "acta.pdf", 3 * (size_t)ENL_FILE_CHUNK / 2);
    assert_int_equal(enl_send_file(ana, "beto", src, NULL, NULL, NULL, NULL, NULL), ENL_OK);
    assert_int_equal(enl_files_each(ana, outgoing_state, &st), ENL_OK);
    assert_int_equal(st, ENL_FILE_SENT);
    /* 15 days on, never carried: every note of it has expired */
    snprintf(later, sizeof later, "%llu", (unsigned long long)(enl_now() + 15ULL * 24 * 3600));
    assert_int_equal(setenv("ENLACE_NOW", later, 1), 0);
    assert_int_equal(enl_files_each(ana, outgoing_state, &st), ENL_OK);
    assert_int_equal(st, ENL_FILE_EXPIRED);
    assert_int_equal(enl_profile_expire(ana), ENL_OK);       /* settled by a sync */
    assert_int_equal(enl_files_each(ana, outgoing_state, &st), ENL_OK);
    assert_int_equal(enl_files_each(ana, outgoing_delivered, &delivered), ENL_OK);
    unsetenv("ENLACE_NOW");
    assert_int_equal(st, ENL_FILE_EXPIRED);
    assert_int_equal(delivered, 0);
    free(data);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

typedef struct {
    enl_profile *other;           /* a second connection to the same profile */
    const uint8_t *id;
    int done;
} deleting_ctx;

/* While the save writes its first part out: `files delete` from another
 * process. */
static void delete_meanwhile(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    deleting_ctx *d = ctx;
    (void)what, (void)done, (void)total;
    if (d->done++) return;
    assert_int_equal(enl_file_delete(d->other, NULL, d->id), ENL_OK);
}

/* A file deleted (by another process) while it is being saved stays
 * deleted, as `files delete` said; the save still writes it whole. It was
 * listed saved: the save's last write put its record back over the
 * deletion. */
static void test_deleted_while_saved_stays_deleted(void **state)
{
    enl_profile *lu = mkprofile("dw1"), *mo = mkprofile("dw2"), *all[2];
    uint8_t id[ENL_FILE_IDBYTES], *data = malloc(2 * ENL_FILE_CHUNK);
    char out[300];
    deleting_ctx d = { NULL, id, 0 };
    int st = 0;
    struct stat sb;
    (void)state;

    assert_non_null(data);
    introduce(lu, "lu", mo, "mo");
    all[0] = lu;
    all[1] = mo;
    randombytes_buf(id, sizeof id);
    randombytes_buf(data, 2 * ENL_FILE_CHUNK);
    send_head(mo, "lu", id, data, 2 * ENL_FILE_CHUNK, "tape.bin");
    send_part(mo, "lu", id, 0, data, ENL_FILE_CHUNK);
    send_part(mo, "lu", id, 1, data + ENL_FILE_CHUNK, ENL_FILE_CHUNK);
    exchange(all, 2);
    assert_int_equal(enl_files_each(lu, incoming_state, &st), ENL_OK);
    assert_int_equal(st, ENL_FILE_COMPLETE);
    assert_int_equal(enl_profile_twin(lu, &d.other), ENL_OK);
    snprintf(out, sizeof out, "%s/tape-dw.bin", root);
    assert_int_equal(enl_file_save(lu, id, out, 0, delete_meanwhile, &d), ENL_OK);
    assert_true(d.done > 0);
    assert_int_equal(stat(out, &sb), 0);
    assert_int_equal(sb.st_size, 2 * ENL_FILE_CHUNK);
    assert_int_equal(enl_files_each(lu, incoming_state, &st), ENL_OK);
    assert_int_equal(st, ENL_FILE_DELETED);
    enl_profile_close(d.other);
    free(data);
    enl_profile_close(lu);
    enl_profile_close(mo);
}

static void test_file_records_read_back_as_written(void **state)
{
    enl_profile *ana = mkprofile("rw1"), *beto = mkprofile("rw2"), *all[2] = { ana, beto };
    uint8_t *data;
    char src[300];
    int n = 0;
    (void)state;
    introduce(ana, "ana", beto, "beto");
    data = random_file(src, sizeof src, "acta.bin", 3 * (size_t)ENL_FILE_CHUNK);
    assert_int_equal(enl_send_file(ana, "beto", src, "acta", NULL, NULL, NULL, NULL), ENL_OK);
    exchange(all, 2);
    assert_int_equal(enl_store_row_each(ana->st, "files", rewritten_as_read, &n), ENL_OK);
    assert_int_equal(enl_store_row_each(beto->st, "files", rewritten_as_read, &n), ENL_OK);
    assert_int_equal(n, 2);
    free(data);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_early_misfit_part),
        cmocka_unit_test(test_killed_save_and_saved_file),
        cmocka_unit_test(test_send_fifo_refused),
        cmocka_unit_test(test_incomplete_file_expires),
        cmocka_unit_test(test_incomplete_file_expires_without_a_sync),
        cmocka_unit_test(test_changed_while_sealed),
        cmocka_unit_test(test_killed_send_goes_on),
        cmocka_unit_test(test_changed_then_restored_is_sent_anew),
        cmocka_unit_test(test_resume_skips_a_try_that_no_longer_fits),
        cmocka_unit_test(test_file_being_sent_is_refused),
        cmocka_unit_test(test_file_being_sealed_is_listed_sending),
        cmocka_unit_test(test_undelivered_outgoing_file_expires),
        cmocka_unit_test(test_deleted_while_saved_stays_deleted),
        cmocka_unit_test(test_file_records_read_back_as_written),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
