/* Saving a received file on the file systems people save to. Built with
 * access, link and fsync wrapped (see the Makefile), so that a test can
 * make the folder behave like a vfat USB stick: no O_TMPFILE (access to
 * /proc/self/fd is what the save checks first) and no hard links (link
 * fails with EPERM there), and can see which descriptors were synced.
 *
 * - On such a folder the save works without --force, leaves no hidden
 *   temporary file, and still refuses a name that exists.
 * - Before the parts are deleted from the profile, the new name is synced
 *   to the folder: a power cut or a pulled stick right after a save must
 *   not lose a file the profile no longer holds.
 * - A save stopped by a signal there (Ctrl-C) leaves no hidden temporary
 *   file, which would hold the file in the clear where nobody looks: its
 *   handler calls enl_file_save_interrupted, as the command line's does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/profile.h"
#include "core/send.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-file-save-fs-XXXXXX"
#include "profiles.h"

static int like_vfat;              /* no O_TMPFILE, no hard links */
static dev_t synced_dev;           /* the folder whose fsync is looked for */
static ino_t synced_ino;
static int folder_synced;
static int folder_sync_errno;      /* not 0: the folder's fsync fails so */
static const char *signal_in;      /* a signal is raised at the fsync of a file in it */
static int signal_raised;

int __real_access(const char *path, int mode);
int __real_link(const char *from, const char *to);
int __real_fsync(int fd);
int __wrap_access(const char *path, int mode);
int __wrap_link(const char *from, const char *to);
int __wrap_fsync(int fd);

int __wrap_access(const char *path, int mode)
{
    if (like_vfat && strcmp(path, "/proc/self/fd") == 0) {
        errno = ENOENT;
        return -1;
    }
    return __real_access(path, mode);
}

int __wrap_link(const char *from, const char *to)
{
    if (like_vfat) {
        errno = EPERM;   /* what vfat answers: it has no hard links */
        return -1;
    }
    return __real_link(from, to);
}

int __wrap_fsync(int fd)
{
    struct stat sb;
    if (signal_in != NULL && !signal_raised && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        char proc[64], at[512];
        ssize_t n;
        size_t dl = strlen(signal_in);
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        n = readlink(proc, at, sizeof at - 1);
        if (n > 0 && (size_t)n > dl && strncmp(at, signal_in, dl) == 0 && at[dl] == '/') {
            signal_raised = 1;
            raise(SIGTERM);   /* the file is written whole: the worst moment */
        }
    }
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode) && sb.st_dev == synced_dev &&
        sb.st_ino == synced_ino) {
        folder_synced = 1;
        if (folder_sync_errno) {
            errno = folder_sync_errno;
            return -1;
        }
    }
    return __real_fsync(fd);
}

static void same_bytes(const char *path, const uint8_t *data, size_t len)
{
    uint8_t *back = malloc(len + 1);
    FILE *f;
    size_t n;
    assert_non_null(back);
    assert_non_null(f = fopen(path, "rb"));
    n = fread(back, 1, len + 1, f);
    fclose(f);
    assert_int_equal(n, len);
    assert_memory_equal(back, data, len);
    free(back);
}

/* ana sends beto a file of len random bytes into data; returns its id. */
static void send_one(enl_profile *ana, enl_profile *beto, const char *name, uint8_t *data,
                     size_t len, uint8_t id[ENL_FILE_IDBYTES])
{
    enl_profile *all[2] = { ana, beto };
    char src[300];
    FILE *f;
    snprintf(src, sizeof src, "%s/%s", root, name);
    randombytes_buf(data, len);
    assert_non_null(f = fopen(src, "wb"));
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    assert_int_equal(enl_send_file(ana, "beto", src, NULL, NULL, NULL, NULL, id), ENL_OK);
    exchange(all, 2);
}

static void out_folder(char *dir, size_t max, const char *name)
{
    struct stat sb;
    snprintf(dir, max, "%s/%s", root, name);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(stat(dir, &sb), 0);
    synced_dev = sb.st_dev;
    synced_ino = sb.st_ino;
    folder_synced = 0;
    folder_sync_errno = 0;
    like_vfat = 0;
}

static void test_save_on_vfat(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto");
    uint8_t id[ENL_FILE_IDBYTES], id2[ENL_FILE_IDBYTES], data[70000], data2[5000];
    char dir[300], out[400];
    FILE *f;
    (void)state;

    introduce(ana, "ana", beto, "beto");
    send_one(ana, beto, "tape.bin", data, sizeof data, id);
    send_one(ana, beto, "tape2.bin", data2, sizeof data2, id2);
    out_folder(dir, sizeof dir, "stick");
    snprintf(out, sizeof out, "%s/tape.bin", dir);

    like_vfat = 1;
    if (enl_file_save(beto, id, out, 0, NULL, NULL) != ENL_OK)
        fail_msg("a save to a folder without hard links failed: %s", enl_profile_errmsg(beto));
    same_bytes(out, data, sizeof data);
    assert_int_equal(folder_entries(dir), 1);                 /* no hidden temporary file left */
    assert_true(folder_synced);

    /* A name that exists is still refused there, and left as it was. */
    snprintf(out, sizeof out, "%s/taken.bin", dir);
    assert_non_null(f = fopen(out, "wb"));
    fputs("mine", f);
    fclose(f);
    assert_int_equal(enl_file_save(beto, id2, out, 0, NULL, NULL), ENL_EEXISTS);
    assert_int_equal(folder_entries(dir), 2);
    {
        char buf[8] = { 0 };
        assert_non_null(f = fopen(out, "rb"));
        assert_int_equal(fread(buf, 1, sizeof buf, f), 4);
        fclose(f);
        assert_string_equal(buf, "mine");
    }
    /* --force replaces it. */
    assert_int_equal(enl_file_save(beto, id2, out, ENL_FILE_SAVE_FORCE, NULL, NULL), ENL_OK);
    same_bytes(out, data2, sizeof data2);
    assert_int_equal(folder_entries(dir), 2);
    like_vfat = 0;

    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* Where the folder has O_TMPFILE and links, with and without --force. */
static void test_save_synced(void **state)
{
    enl_profile *ana = mkprofile("lu"), *beto = mkprofile("mo");
    uint8_t id[ENL_FILE_IDBYTES], id2[ENL_FILE_IDBYTES], data[3000], data2[3000];
    char dir[300], out[400];
    (void)state;

    introduce(ana, "ana", beto, "beto");
    send_one(ana, beto, "a.bin", data, sizeof data, id);
    send_one(ana, beto, "b.bin", data2, sizeof data2, id2);
    out_folder(dir, sizeof dir, "disk");
    snprintf(out, sizeof out, "%s/a.bin", dir);
    assert_int_equal(enl_file_save(beto, id, out, 0, NULL, NULL), ENL_OK);
    same_bytes(out, data, sizeof data);
    if (!folder_synced) fail_msg("the saved file's name was not synced to its folder");

    folder_synced = 0;
    assert_int_equal(enl_file_save(beto, id2, out, ENL_FILE_SAVE_FORCE, NULL, NULL), ENL_OK);
    same_bytes(out, data2, sizeof data2);
    if (!folder_synced) fail_msg("the replacing file's name was not synced to its folder");
    assert_int_equal(folder_entries(dir), 1);

    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* A folder whose file system cannot sync a folder at all (some FUSE file
 * systems answer EOPNOTSUPP, others EINVAL) still gets its file saved;
 * a folder whose sync fails (EIO) keeps the parts, to be saved again. */
static void test_save_where_folders_cannot_sync(void **state)
{
    enl_profile *ana = mkprofile("nu"), *beto = mkprofile("xi");
    uint8_t id[ENL_FILE_IDBYTES], id2[ENL_FILE_IDBYTES], data[3000], data2[3000];
    char dir[300], out[400];
    (void)state;

    introduce(ana, "ana", beto, "beto");
    send_one(ana, beto, "c.bin", data, sizeof data, id);
    send_one(ana, beto, "d.bin", data2, sizeof data2, id2);
    out_folder(dir, sizeof dir, "fuse");
    folder_sync_errno = EOPNOTSUPP;
    snprintf(out, sizeof out, "%s/c.bin", dir);
    if (enl_file_save(beto, id, out, 0, NULL, NULL) != ENL_OK)
        fail_msg("a folder that cannot be synced refused the save: %s", enl_profile_errmsg(beto));
    same_bytes(out, data, sizeof data);

    folder_sync_errno = EIO;
    snprintf(out, sizeof out, "%s/d.bin", dir);
    assert_int_equal(enl_file_save(beto, id2, out, 0, NULL, NULL), ENL_EIO);
    folder_sync_errno = 0;
    assert_int_equal(enl_file_save(beto, id2, out, ENL_FILE_SAVE_FORCE, NULL, NULL), ENL_OK);
    same_bytes(out, data2, sizeof data2);

    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* What the command line does on SIGINT, SIGTERM and SIGHUP during a save. */
static void remove_tmp_and_die(int sig)
{
    enl_file_save_interrupted();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void test_save_stopped_by_a_signal(void **state)
{
    enl_profile *ana = mkprofile("pi"), *beto = mkprofile("rho");
    uint8_t id[ENL_FILE_IDBYTES], data[70000];
    char dir[300], out[400], home[300];
    pid_t pid;
    int status;
    (void)state;

    introduce(ana, "ana", beto, "beto");
    send_one(ana, beto, "tape.bin", data, sizeof data, id);
    enl_profile_close(beto);
    snprintf(home, sizeof home, "%s/rho", root);
    out_folder(dir, sizeof dir, "pulled");
    snprintf(out, sizeof out, "%s/tape.bin", dir);

    for (int force = 0; force <= 1; force++) {
        for (int vfat = 0; vfat <= 1; vfat++) {
            if (force) {
                FILE *f = fopen(out, "wb");
                assert_non_null(f);
                fputs("old", f);
                fclose(f);
            }
            assert_true((pid = fork()) >= 0);
            if (pid == 0) {
                struct sigaction sa;
                enl_profile *b = NULL;
                memset(&sa, 0, sizeof sa);
                sa.sa_handler = remove_tmp_and_die;
                sigemptyset(&sa.sa_mask);
                sigaction(SIGTERM, &sa, NULL);
                if (enl_profile_open(&b, home, "pw", 2) != ENL_OK) _exit(3);
                like_vfat = vfat;
                signal_in = dir;
                int rc = enl_file_save(b, id, out, force ? ENL_FILE_SAVE_FORCE : 0, NULL, NULL);
                _exit(rc == ENL_OK ? 4 : 5);    /* the signal should have ended it */
            }
            assert_int_equal(waitpid(pid, &status, 0), pid);
            if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM)
                fail_msg("the save (force %d, vfat %d) was not stopped by the signal: status %d",
                         force, vfat, status);
            /* nothing but what was there: no hidden copy of the file */
            if (folder_entries(dir) != force)
                fail_msg("a save stopped by a signal (force %d, vfat %d) left %d entries in its "
                         "folder", force, vfat, folder_entries(dir) - force);
            if (force) assert_int_equal(unlink(out), 0);
        }
    }
    /* The profile still holds the file: it saves after all. */
    assert_int_equal(enl_profile_open(&beto, home, "pw", 2), ENL_OK);
    like_vfat = 1;
    assert_int_equal(enl_file_save(beto, id, out, 0, NULL, NULL), ENL_OK);
    like_vfat = 0;
    same_bytes(out, data, sizeof data);
    assert_int_equal(folder_entries(dir), 1);

    enl_profile_close(ana);
    enl_profile_close(beto);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_on_vfat),
        cmocka_unit_test(test_save_synced),
        cmocka_unit_test(test_save_where_folders_cannot_sync),
        cmocka_unit_test(test_save_stopped_by_a_signal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
