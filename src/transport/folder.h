/*
 * Dead-drop folders: plain files on a USB stick or a shared directory.
 * Writes are atomic (a hidden temporary file, fsync, rename, fsync of the
 * folder), so a stick pulled out half way leaves either the whole file or
 * nothing under its real name. Reads are bounded: a file larger than the
 * caller's limit is refused without being read whole.
 */
#ifndef ENL_TRANSPORT_FOLDER_H
#define ENL_TRANSPORT_FOLDER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ENL_FOLDER_TMP_PREFIX ".enlace-tmp-"
/* A temporary file last modified this long ago is a write that was cut
 * short (a crash, a stick pulled out, a SIGKILL), never one in progress:
 * a write lasts milliseconds, and the writer's clock (a shared folder's
 * other device) may be up to ENL_CLOCK_SKEW, a day, behind this one. */
#define ENL_FOLDER_TMP_STALE (2 * 24 * 3600)

/* Calls fn for each entry name (not "." or ".."). Stops when fn returns non-zero. */
int enl_folder_list(const char *dir, int (*fn)(void *ctx, const char *name), void *ctx);
/* Reads a whole regular file of at most max bytes. ENL_ETOOBIG when larger. */
int enl_folder_read(const char *dir, const char *name, uint8_t *buf, size_t max, size_t *len);
/* Writes a whole file under a temporary name, then renames it into place:
 * nobody ever sees part of it. Files are made mode 0644 less the umask (the
 * folder's own permissions say who may read them). write_atomic also syncs it to the disk
 * first; write does not, and enl_folder_sync then syncs everything written
 * at once (a dead drop's names check their contents, so a file a crash
 * left empty is found and written again at the next sync). */
int enl_folder_write_atomic(const char *dir, const char *name, const uint8_t *buf, size_t len);
/* mtime (may be NULL): the file's modification time, so that a writer can
 * give the files it writes a strict order that readers see (the kernel's
 * clock ticks too coarsely for files written in quick succession). */
int enl_folder_write(const char *dir, const char *name, const uint8_t *buf, size_t len,
                     const struct timespec *mtime);
/* The same as removing the file old (one the caller is done with) and
 * writing name: old's inode is reused when it is a plain file of this user
 * with no other name that group and others can read, which spares the file system freeing one inode and
 * its block and allocating another (on ext4 without a journal, a search
 * past every recently freed inode). Nobody ever sees part of the new file
 * under its name; old is gone in every case. */
int enl_folder_rewrite(const char *dir, const char *old, const char *name, const uint8_t *buf,
                       size_t len, const struct timespec *mtime);
int enl_folder_sync(const char *dir);
/* Async-signal-safe: removes the temporary file this process is writing
 * (a write or rewrite above), if any; for a handler of a signal that ends
 * the process. Meant for a process that writes from one thread at a time. */
void enl_folder_interrupted(void);
/* lstat's modification time of a plain file: ENL_ENOTFOUND when there is
 * none by that name, ENL_EMALFORMED when it is no plain file. */
int enl_folder_mtime(const char *dir, const char *name, time_t *mtime);
int enl_folder_remove(const char *dir, const char *name);
/* ENL_OK when dir is a folder that can be read; *writable says whether it
 * can be written too (not on a write-protected card, a read-only mount or
 * a folder shared read-only, from which notes are only taken). */
int enl_folder_check(const char *dir, int *writable);

#endif
