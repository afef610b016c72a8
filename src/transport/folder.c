/* Dead-drop folder I/O; see folder.h. Nothing here parses content. */
#include "transport/folder.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enlace.h"
#include "util/pending.h"

/* Notes, purge records and burn notices are no secret (anyone who copies
 * one is a courier), and a folder shared between accounts (a group's
 * folder, a stick formatted ext4 that goes from one computer to another)
 * must let every account it lets in read them: mode 0644, less the umask.
 * Who may read the folder at all is the folder's permissions' to say. At
 * 0600 a note written by one account was skipped by every other as an I/O
 * error, and never delivered. */
#define DROP_FILE_MODE 0644
#define READABLE_BY_OTHERS (S_IRGRP | S_IROTH)

static int join(char *out, size_t max, const char *dir, const char *name)
{
    int n = snprintf(out, max, "%s/%s", dir, name);
    return (n < 0 || (size_t)n >= max) ? ENL_EINVAL : ENL_OK;
}

/* The temporary file this process is writing, for enl_folder_interrupted:
 * recorded before it is created, forgotten once it is renamed or removed. */
static enl_pending pending;

void enl_folder_interrupted(void)
{
    enl_pending_remove(&pending);
}

/* Test hook: ENLACE_TEST_SIGNAL_MID_WRITE=N raises signal N once half of a
 * file is written to its temporary name, so that a test can stop a sync at
 * that point, as a Ctrl-C would, every time. */
static int test_signal(void)
{
    const char *s = getenv("ENLACE_TEST_SIGNAL_MID_WRITE");
    long n = s != NULL ? strtol(s, NULL, 10) : 0;
    return n > 0 && n < 65 ? (int)n : 0;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return ENL_EIO;
        off += (size_t)w;
    }
    return ENL_OK;
}

int enl_folder_check(const char *dir, int *writable)
{
    struct stat sb;
    *writable = 0;
    if (stat(dir, &sb) != 0) return ENL_ENOTFOUND;
    if (!S_ISDIR(sb.st_mode)) return ENL_EINVAL;
    if (access(dir, R_OK | X_OK) != 0) return ENL_EIO;
    *writable = access(dir, W_OK) == 0;
    return ENL_OK;
}

int enl_folder_list(const char *dir, int (*fn)(void *ctx, const char *name), void *ctx)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = ENL_OK;
    if (d == NULL) return ENL_EIO;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if ((rc = fn(ctx, e->d_name)) != 0) break;
    }
    closedir(d);
    return rc > 0 ? ENL_OK : rc;
}

int enl_folder_read(const char *dir, const char *name, uint8_t *buf, size_t max, size_t *len)
{
    char path[4096];
    struct stat sb;
    size_t got = 0;
    int fd, rc;

    if ((rc = join(path, sizeof path, dir, name)) != ENL_OK) return rc;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return ENL_EIO;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) { close(fd); return ENL_EMALFORMED; }
    if ((uint64_t)sb.st_size > max) { close(fd); return ENL_ETOOBIG; }
    while (got < max) {
        ssize_t r = read(fd, buf + got, max - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { close(fd); return ENL_EIO; }
        if (r == 0) break;
        got += (size_t)r;
    }
    close(fd);
    *len = got;
    return ENL_OK;
}

static int write_file(const char *dir, const char *name, const uint8_t *buf, size_t len, int sync,
                      const struct timespec *mtime)
{
    char tmp[4096], path[4096], rnd[17];
    uint8_t r[8];
    size_t half = 0;
    int fd, dfd, rc, sig = test_signal();

    randombytes_buf(r, sizeof r);
    for (int i = 0; i < 8; i++) snprintf(rnd + 2 * i, 3, "%02x", r[i]);
    if ((rc = join(path, sizeof path, dir, name)) != ENL_OK) return rc;
    if (snprintf(tmp, sizeof tmp, "%s/%s%s", dir, ENL_FOLDER_TMP_PREFIX, rnd) >= (int)sizeof tmp)
        return ENL_EINVAL;
    enl_pending_set(&pending, tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, DROP_FILE_MODE);
    if (fd < 0) {
        enl_pending_clear(&pending);
        return ENL_EIO;
    }
    if (sig) {
        half = len / 2;
        if (write_all(fd, buf, half) != ENL_OK) goto fail;
        raise(sig);
    }
    if (write_all(fd, buf + half, len - half) != ENL_OK) goto fail;
    if (mtime != NULL) {
        struct timespec ts[2] = { *mtime, *mtime };
        if (futimens(fd, ts) != 0) goto fail;
    }
    if (sync && fsync(fd) != 0) goto fail;
    close(fd);
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        enl_pending_clear(&pending);
        return ENL_EIO;
    }
    enl_pending_clear(&pending);
    if (sync) {
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) { (void)fsync(dfd); close(dfd); }
    }
    return ENL_OK;
fail:
    close(fd);
    unlink(tmp);
    enl_pending_clear(&pending);
    return ENL_EIO;
}

int enl_folder_write_atomic(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
    return write_file(dir, name, buf, len, 1, NULL);
}

int enl_folder_write(const char *dir, const char *name, const uint8_t *buf, size_t len,
                     const struct timespec *mtime)
{
    return write_file(dir, name, buf, len, 0, mtime);
}

int enl_folder_rewrite(const char *dir, const char *old, const char *name, const uint8_t *buf,
                       size_t len, const struct timespec *mtime)
{
    char from[4096], tmp[4096], path[4096], rnd[17];
    uint8_t r[8];
    struct stat sb;
    size_t off = 0;
    int fd;

    randombytes_buf(r, sizeof r);
    for (int i = 0; i < 8; i++) snprintf(rnd + 2 * i, 3, "%02x", r[i]);
    if (join(from, sizeof from, dir, old) != ENL_OK || join(path, sizeof path, dir, name) != ENL_OK ||
        snprintf(tmp, sizeof tmp, "%s/%s%s", dir, ENL_FOLDER_TMP_PREFIX, rnd) >= (int)sizeof tmp)
        return ENL_EINVAL;
    /* Anything but a plain file goes as a removal would take it; so does
     * one whose time cannot be made now: under the temporary name, an old
     * time would have other syncs take the write in progress for a stale
     * leftover and remove it (see ENL_FOLDER_TMP_STALE). */
    if (lstat(from, &sb) != 0 || !S_ISREG(sb.st_mode) ||
        utimensat(AT_FDCWD, from, NULL, AT_SYMLINK_NOFOLLOW) != 0) {
        (void)unlink(from);
        return write_file(dir, name, buf, len, 0, mtime);
    }
    /* Out of its name first: from here on nobody takes it for the old file. */
    enl_pending_set(&pending, tmp);
    if (rename(from, tmp) != 0) {
        enl_pending_clear(&pending);
        return write_file(dir, name, buf, len, 0, mtime);
    }
    fd = open(tmp, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    /* Only a plain file of ours with no other name: never one that a
     * stranger with access to the folder put there or linked elsewhere.
     * And one that others can read, as a new file is under the usual
     * umask: a note written private (0600, as enlace once wrote them)
     * would make a purge that no other account reads. */
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_nlink != 1 ||
        sb.st_uid != geteuid() || (sb.st_mode & READABLE_BY_OTHERS) != READABLE_BY_OTHERS)
        goto fresh;
    while (off < len) {
        ssize_t w = pwrite(fd, buf + off, len - off, (off_t)off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) goto fresh;
        off += (size_t)w;
    }
    if (ftruncate(fd, (off_t)len) != 0) goto fresh;
    if (mtime != NULL) {
        struct timespec ts[2] = { *mtime, *mtime };
        if (futimens(fd, ts) != 0) goto fresh;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        enl_pending_clear(&pending);
        return ENL_EIO;
    }
    enl_pending_clear(&pending);
    return ENL_OK;
fresh:
    if (fd >= 0) close(fd);
    unlink(tmp);
    enl_pending_clear(&pending);
    return write_file(dir, name, buf, len, 0, mtime);
}

int enl_folder_sync(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;
    if (dfd < 0) return ENL_EIO;
    /* the whole file system at once: every file written, then the folder */
    rc = syncfs(dfd) == 0 && fsync(dfd) == 0 ? ENL_OK : ENL_EIO;
    close(dfd);
    return rc;
}

int enl_folder_mtime(const char *dir, const char *name, time_t *mtime)
{
    char path[4096];
    struct stat sb;
    int rc = join(path, sizeof path, dir, name);
    if (rc != ENL_OK) return rc;
    if (lstat(path, &sb) != 0) return errno == ENOENT ? ENL_ENOTFOUND : ENL_EIO;
    if (!S_ISREG(sb.st_mode)) return ENL_EMALFORMED;
    *mtime = sb.st_mtime;
    return ENL_OK;
}

int enl_folder_remove(const char *dir, const char *name)
{
    char path[4096];
    int rc = join(path, sizeof path, dir, name);
    if (rc != ENL_OK) return rc;
    return (unlink(path) == 0 || errno == ENOENT) ? ENL_OK : ENL_EIO;
}
