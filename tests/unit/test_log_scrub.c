/*
 * A checkpoint that truncates the write-ahead log gives its blocks back to
 * the file system as they are. The log held the key slots written through
 * it (at creation, a passphrase change, a duress passphrase set), so a slot
 * the passphrase change replaced stayed on the disk, where the old
 * passphrase still opens it: the profile key, whatever the new passphrase
 * (review revC, THREAT-MODEL "free blocks").
 *
 * The test watches every byte the log gives back: SQLite's unix VFS lets a
 * program replace the system calls it makes (xSetSystemCall), so ftruncate
 * and unlink of the "-wal" file first copy what they are about to cut away.
 * No slot the profile ever held may be among those bytes.
 *
 * The log is also folded in by other processes (a `listen` after each
 * session, any profile at its close), and cut short by the first commit
 * after it begins again: the slot must be overwritten whoever does it, so
 * sqlite3_exec is wrapped (TEST_WRAP in the Makefile) to let another
 * connection commit at the worst moment, and nanosleep so that the busy
 * wait for a reader that never lets go ends at once; and
 * sqlite3_wal_checkpoint_v2, the truncation of enl_store_checkpoint, so
 * that a slot is written just before it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enlace.h"
#include "store/store.h"

int __real_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *ctx, char **err);
int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *ctx, char **err);
int __wrap_nanosleep(const struct timespec *req, struct timespec *rem);
int __real_sqlite3_wal_checkpoint_v2(sqlite3 *db, const char *name, int mode, int *log, int *done);
int __wrap_sqlite3_wal_checkpoint_v2(sqlite3 *db, const char *name, int mode, int *log, int *done);

/* Set: when a checkpoint that found no marker is about to truncate the
 * log, this handle sets a duress passphrase, in a thread of its own (as
 * another process would). The checkpoint goes on once the writer has
 * committed its slot, or waits for a lock (nanosleep, its only sleep
 * there), or is done; the writer, stopped there, goes on when go is set. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    enl_store *writer;
    pthread_t thread;
    int committed, waiting, finished, go, rc;
    char seen;              /* at the truncation: 'c'ommitted, 'w'aiting, 'f'inished */
} race = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0, 0, 0, 0, 0 };
static _Thread_local int in_writer;

/* In the writer: says where it stopped (*at), then waits for the go. */
static void writer_stops(int *at)
{
    pthread_mutex_lock(&race.mu);
    *at = 1;
    pthread_cond_broadcast(&race.cv);
    while (!race.go) pthread_cond_wait(&race.cv, &race.mu);
    pthread_mutex_unlock(&race.mu);
}

static void *writer_run(void *arg)
{
    int rc;
    in_writer = 1;
    rc = enl_store_set_duress(arg, "duress", 6, "ana");
    pthread_mutex_lock(&race.mu);
    race.rc = rc;
    race.finished = 1;
    pthread_cond_broadcast(&race.cv);
    pthread_mutex_unlock(&race.mu);
    return NULL;
}

int __wrap_sqlite3_wal_checkpoint_v2(sqlite3 *db, const char *name, int mode, int *log, int *done)
{
    if (race.writer != NULL && !in_writer && mode == SQLITE_CHECKPOINT_TRUNCATE) {
        enl_store *w = race.writer;
        race.writer = NULL;
        assert_int_equal(pthread_create(&race.thread, NULL, writer_run, w), 0);
        pthread_mutex_lock(&race.mu);
        while (!race.committed && !race.waiting && !race.finished)
            pthread_cond_wait(&race.cv, &race.mu);
        race.seen = race.committed ? 'c' : race.waiting ? 'w' : 'f';
        pthread_mutex_unlock(&race.mu);
    }
    return __real_sqlite3_wal_checkpoint_v2(db, name, mode, log, done);
}

/* Set: when the log has just begun again, another connection commits
 * before the scrub's zeros. */
static enl_store *cuts_in;
static int restarted;
/* Set: when the log has just begun again, this connection (another
 * process) deletes every marker, as its own scrub ends, and commits a slot
 * of its own and its marker. */
static sqlite3 *marks_anew;
/* Set: the commit of the scrub's zeros fails, as on a full disk. */
static int zeros_fail;
/* The next this many scrubs' checkpoints fail, as when the file cannot grow. */
static int restart_fails;
/* Set: this connection begins to read just before the scrub's checkpoint. */
static sqlite3 *reads_at_restart;

int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *ctx, char **err)
{
    if (in_writer && !race.committed && strcmp(sql, "COMMIT") == 0) {
        int rc = __real_sqlite3_exec(db, sql, cb, ctx, err);
        writer_stops(&race.committed);      /* its slot is in the log */
        return rc;
    }
    if (reads_at_restart != NULL && strstr(sql, "wal_checkpoint(RESTART)") != NULL) {
        sqlite3 *r = reads_at_restart;
        reads_at_restart = NULL;
        assert_int_equal(__real_sqlite3_exec(r, "BEGIN; SELECT count(*) FROM meta;", NULL, NULL,
                                             NULL), SQLITE_OK);
    }
    if (restart_fails > 0 && strstr(sql, "wal_checkpoint(RESTART)") != NULL) {
        restart_fails--;
        return SQLITE_FULL;
    }
    if (zeros_fail == 1 && strstr(sql, "wal_checkpoint(RESTART)") != NULL) zeros_fail = 2;
    else if (zeros_fail == 2 && strcmp(sql, "COMMIT") == 0) {
        zeros_fail = 0;
        return SQLITE_FULL;
    }
    if (marks_anew != NULL && strstr(sql, "wal_checkpoint(RESTART)") != NULL) restarted = 1;
    else if (marks_anew != NULL && restarted && strcmp(sql, "BEGIN IMMEDIATE") == 0) {
        sqlite3 *h = marks_anew;
        marks_anew = NULL;
        assert_int_equal(__real_sqlite3_exec(h, "BEGIN IMMEDIATE; DELETE FROM scrub; "
                                             "UPDATE meta SET v = randomblob(length(v)) WHERE "
                                             "k = 'wrapped_alt'; INSERT INTO scrub(b) "
                                             "VALUES(x''); COMMIT", NULL, NULL, NULL), SQLITE_OK);
    }
    if (cuts_in != NULL && strstr(sql, "wal_checkpoint(RESTART)") != NULL) restarted = 1;
    else if (cuts_in != NULL && restarted && strcmp(sql, "BEGIN IMMEDIATE") == 0) {
        enl_store *other = cuts_in;
        cuts_in = NULL;
        assert_int_equal(enl_store_secret_put(other, "cut in", (const uint8_t *)"x", 1), ENL_OK);
    }
    return __real_sqlite3_exec(db, sql, cb, ctx, err);
}

int __wrap_nanosleep(const struct timespec *req, struct timespec *rem)
{
    (void)req;
    (void)rem;
    if (in_writer && !race.waiting) writer_stops(&race.waiting);
    return 0;
}

static uint8_t *freed;                  /* every byte the log gave back */
static size_t freed_len;
static uint8_t slots[16][105];          /* every slot seen, and its length */
static size_t slot_len[16], nslots;
static int (*real_ftruncate)(int, off_t);
static int (*real_unlink)(const char *);

static int ends_in_wal(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && strcmp(path + n - 4, "-wal") == 0;
}

/* Appends the bytes of fd from off to its end. */
static void keep_from(int fd, off_t off)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0 || sb.st_size <= off) return;
    freed = realloc(freed, freed_len + (size_t)(sb.st_size - off));
    assert_non_null(freed);
    assert_int_equal(pread(fd, freed + freed_len, (size_t)(sb.st_size - off), off),
                     sb.st_size - off);
    freed_len += (size_t)(sb.st_size - off);
}

static int watch_ftruncate(int fd, off_t len)
{
    char link[64], path[4096];
    ssize_t n;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    n = readlink(link, path, sizeof path - 1);
    if (n > 0) {
        path[n] = '\0';
        if (ends_in_wal(path)) keep_from(fd, len);
    }
    return real_ftruncate(fd, len);
}

static int watch_unlink(const char *path)
{
    if (ends_in_wal(path)) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            keep_from(fd, 0);
            close(fd);
        }
    }
    return real_unlink(path);
}

/* Every value the query returns is looked for too: up to the first 105
 * bytes of each. */
static void note_values(const char *db_path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        assert_true(nslots < 16 && n >= 16);
        if (n > sizeof slots[0]) n = sizeof slots[0];
        memcpy(slots[nslots], sqlite3_column_blob(s, 0), n);
        slot_len[nslots++] = n;
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static void note_slots(const char *db_path)
{
    note_values(db_path, "SELECT v FROM meta WHERE k IN ('wrapped_key', 'wrapped_alt')");
}

static void watch_start(char *home, size_t home_size, char *db_path, size_t db_size)
{
    sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
    freed = NULL;
    freed_len = nslots = 0;
    /* all back first: a test that failed did not reach watch_end */
    assert_int_equal(vfs->xSetSystemCall(vfs, NULL, NULL), SQLITE_OK);
    real_ftruncate = (int (*)(int, off_t))vfs->xGetSystemCall(vfs, "ftruncate");
    real_unlink = (int (*)(const char *))vfs->xGetSystemCall(vfs, "unlink");
    assert_non_null(real_ftruncate);
    assert_non_null(real_unlink);
    assert_int_equal(vfs->xSetSystemCall(vfs, "ftruncate", (sqlite3_syscall_ptr)watch_ftruncate),
                     SQLITE_OK);
    assert_int_equal(vfs->xSetSystemCall(vfs, "unlink", (sqlite3_syscall_ptr)watch_unlink),
                     SQLITE_OK);
    snprintf(home, home_size, "/tmp/enl-log-scrub-XXXXXX");
    assert_non_null(mkdtemp(home));
    rmdir(home);
    snprintf(db_path, db_size, "%s/enlace.db", home);
}

/* Stops watching; no slot seen may be among the bytes given back. */
static void watch_end(const char *home)
{
    char cmd[128];
    sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
    assert_int_equal(vfs->xSetSystemCall(vfs, NULL, NULL), SQLITE_OK);  /* all back */
    print_message("%zu bytes given back by the log, %zu slots looked for\n", freed_len, nslots);
    assert_true(freed_len > 0);         /* the watch did see the log cut */
    assert_true(nslots > 0);
    for (size_t i = 0; i < nslots; i++)
        assert_null(memmem(freed, freed_len, slots[i], slot_len[i]));
    free(freed);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    assert_int_equal(system(cmd), 0);
}

static void test_no_slot_left_in_the_blocks_the_log_gives_back(void **state)
{
    char home[64], db_path[128];
    enl_profile *p = NULL;
    (void)state;

    watch_start(home, sizeof home, db_path, sizeof db_path);
    assert_int_equal(enl_profile_create(&p, home, "ana", "first", 5, ENL_KDF_INTERACTIVE), ENL_OK);
    note_slots(db_path);
    assert_int_equal(enl_profile_change_passphrase(p, "second", 6), ENL_OK);
    note_slots(db_path);
    assert_int_equal(enl_profile_set_duress(p, "duress", 6), ENL_OK);
    note_slots(db_path);
    assert_int_equal(enl_profile_change_passphrase(p, "third", 5), ENL_OK);
    note_slots(db_path);
    /* a change to the duress passphrase: its old slot, which the new real
     * passphrase opens, must be gone from the log too */
    assert_int_equal(enl_profile_set_duress(p, "fourth", 6), ENL_OK);
    note_slots(db_path);
    assert_int_equal(enl_profile_change_passphrase(p, "fourth", 6), ENL_OK);
    note_slots(db_path);
    enl_profile_close(p);
    p = NULL;
    assert_int_equal(enl_profile_open(&p, home, "fourth", 6), ENL_OK);
    enl_profile_close(p);
    watch_end(home);
}

/* A passphrase change while a third connection reads: the log cannot
 * begin again, the change is refused and the old slot put back, and both
 * stay in the log. The other profile's checkpoint, at its close, folded
 * that log in and truncated it as it was: only the process that refused
 * the change knew a slot was in it. */
static void test_refused_change_leaves_no_slot_to_the_other_process(void **state)
{
    char home[64], db_path[128];
    enl_profile *p = NULL, *other = NULL;
    sqlite3 *reader;
    (void)state;

    watch_start(home, sizeof home, db_path, sizeof db_path);
    assert_int_equal(enl_profile_create(&p, home, "ana", "first", 5, ENL_KDF_INTERACTIVE), ENL_OK);
    assert_int_equal(enl_profile_open(&other, home, "first", 5), ENL_OK);
    /* a reader of the log as it is after a commit, which never lets go */
    assert_int_equal(sqlite3_open_v2(db_path, &reader, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(__real_sqlite3_exec(reader, "INSERT INTO scrub(b) VALUES(zeroblob(1));"
                                         "BEGIN; SELECT count(*) FROM meta;", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_not_equal(enl_profile_change_passphrase(p, "second", 6), ENL_OK);
    note_slots(db_path);
    assert_int_equal(__real_sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(reader);
    enl_profile_close(other);           /* folds the log in first */
    enl_profile_close(p);
    p = NULL;
    assert_int_equal(enl_profile_open(&p, home, "first", 5), ENL_OK);   /* still the passphrase */
    enl_profile_close(p);
    watch_end(home);
}

/* The first commit after the log begins again cut it short to its own
 * length (journal_size_limit was 0): another process's commit between the
 * scrub's restart and its zeros gave back the rest of the log, the new
 * slot in it, unwritten over. */
static void test_a_write_between_restart_and_zeros_cuts_nothing(void **state)
{
    char home[64], db_path[128];
    enl_profile *p = NULL;
    enl_store *other = NULL;
    (void)state;

    watch_start(home, sizeof home, db_path, sizeof db_path);
    assert_int_equal(enl_profile_create(&p, home, "ana", "first", 5, ENL_KDF_INTERACTIVE), ENL_OK);
    assert_int_equal(enl_store_open(&other, home, "first", 5), ENL_OK);
    restarted = 0;
    cuts_in = other;
    assert_int_equal(enl_profile_change_passphrase(p, "second", 6), ENL_OK);
    assert_null(cuts_in);               /* it did cut in */
    note_slots(db_path);
    enl_store_close(other);
    enl_profile_close(p);
    watch_end(home);
}

/* The zeros could not be written (the disk is full), after the scrub had
 * folded the new slot into the main file: the change was refused, saying
 * that another enlace process was using the profile, and the old slot
 * put back in the log alone. The change stands now (the main file, which
 * alone unlocks, holds it), and its log, still marked, is overwritten by
 * the next checkpoint that can: here the profile's close. */
static void test_a_full_disk_after_the_fold_keeps_the_change(void **state)
{
    char home[64], db_path[128];
    enl_profile *p = NULL;
    (void)state;

    watch_start(home, sizeof home, db_path, sizeof db_path);
    assert_int_equal(enl_profile_create(&p, home, "ana", "first", 5, ENL_KDF_INTERACTIVE), ENL_OK);
    note_slots(db_path);
    zeros_fail = 1;
    assert_int_equal(enl_profile_change_passphrase(p, "second", 6), ENL_OK);
    assert_int_equal(zeros_fail, 0);    /* it did fail there */
    note_slots(db_path);
    enl_profile_close(p);
    p = NULL;
    assert_int_equal(enl_profile_open(&p, home, "second", 6), ENL_OK);
    enl_profile_close(p);
    p = NULL;
    assert_int_equal(enl_profile_open(&p, home, "first", 5), ENL_EPASSPHRASE);
    watch_end(home);
}

/* A wipe (and a duress unlock, which destroys the profile the same way)
 * first empties every table through SQLite, then folds the log in and
 * truncates it. The markers were emptied with the rest, so a log still
 * holding slots (a change refused while another process read) was
 * truncated as it was, before the files were overwritten: the slots went
 * back to the file system. */
static void test_a_wipe_overwrites_a_marked_log(void **state)
{
    char home[64], db_path[128], wal[160];
    enl_profile *p = NULL;
    enl_store *other = NULL;
    sqlite3 *reader;
    struct stat sb;
    (void)state;

    watch_start(home, sizeof home, db_path, sizeof db_path);
    assert_int_equal(enl_profile_create(&p, home, "ana", "first", 5, ENL_KDF_INTERACTIVE), ENL_OK);
    assert_int_equal(sqlite3_open_v2(db_path, &reader, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(__real_sqlite3_exec(reader, "INSERT INTO scrub(b) VALUES(zeroblob(1));"
                                         "BEGIN; SELECT count(*) FROM meta;", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_not_equal(enl_profile_change_passphrase(p, "second", 6), ENL_OK);
    note_slots(db_path);
    enl_profile_close(p);               /* the log stays, marked: the reader holds it */
    p = NULL;
    assert_int_equal(__real_sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    /* the last to close is enlace's: it keeps the marked log */
    assert_int_equal(enl_store_open(&other, home, "first", 5), ENL_OK);
    sqlite3_close(reader);
    enl_store_close(other);
    snprintf(wal, sizeof wal, "%s-wal", db_path);
    assert_int_equal(stat(wal, &sb), 0);
    assert_int_equal(enl_profile_wipe(home), ENL_OK);
    watch_end(home);
}

/* A wipe folds the log into the file and rebuilds it before it overwrites
 * the files, and each log it truncates on the way (the rows it deleted,
 * the file it rebuilt, the kdf record in it) is overwritten first, as a
 * slot's is. Its checkpoints did nothing once (its handle had no path),
 * and SQLite, closing, deleted that log as it was. */
static void test_a_wipe_gives_back_nothing_from_before(void **state)
{
    char home[64], db_path[128];
    enl_store *st = NULL;
    (void)state;

    watch_start(home, sizeof home, db_path, sizeof db_path);
    assert_int_equal(enl_store_create(&st, home, "first", 5, ENL_KDF_INTERACTIVE), ENL_OK);
    assert_int_equal(enl_store_secret_put(st, "x", (const uint8_t *)"a record from before", 20),
                     ENL_OK);
    enl_store_close(st);
    note_slots(db_path);
    note_values(db_path, "SELECT v FROM meta WHERE k = 'kdf'");
    note_values(db_path, "SELECT blob FROM secrets");
    assert_int_equal(nslots, 4);
    /* what the wipe gives back, alone (the close gave back the row's log:
     * the row is encrypted, and its key went with the slot) */
    free(freed);
    freed = NULL;
    freed_len = 0;
    assert_int_equal(enl_store_wipe(home), ENL_OK);
    watch_end(home);
}

/* A creation whose scrub fails (the disk is full) removed the database
 * but kept its log (marked: the last close keeps it), and the folder,
 * no longer empty, refused every later `init`. */
static void test_a_creation_cut_short_leaves_no_log_behind(void **state)
{
    char home[64], db_path[128], side[160];
    enl_profile *p = NULL;
    struct stat sb;
    (void)state;

    watch_start(home, sizeof home, db_path, sizeof db_path);
    zeros_fail = 1;
    assert_int_not_equal(enl_profile_create(&p, home, "ana", "first", 5, ENL_KDF_INTERACTIVE),
                         ENL_OK);
    assert_int_equal(zeros_fail, 0);    /* it did fail there */
    snprintf(side, sizeof side, "%s-wal", db_path);
    assert_int_not_equal(stat(side, &sb), 0);
    snprintf(side, sizeof side, "%s-shm", db_path);
    assert_int_not_equal(stat(side, &sb), 0);
    assert_int_equal(enl_profile_create(&p, home, "ana", "first", 5, ENL_KDF_INTERACTIVE), ENL_OK);
    note_slots(db_path);
    enl_profile_close(p);
    watch_end(home);
}

/* A checkpoint that cannot overwrite a marked log for want of space
 * said another enlace process was using the profile. */
static void test_a_checkpoint_on_a_full_disk_says_so(void **state)
{
    char home[64], db_path[128];
    enl_store *st = NULL;
    sqlite3 *h;
    const char *why;
    (void)state;

    watch_start(home, sizeof home, db_path, sizeof db_path);
    assert_int_equal(enl_store_create(&st, home, "first", 5, ENL_KDF_INTERACTIVE), ENL_OK);
    note_slots(db_path);
    assert_int_equal(sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(__real_sqlite3_exec(h, "INSERT INTO scrub(b) VALUES(x'')", NULL, NULL, NULL),
                     SQLITE_OK);
    zeros_fail = 1;
    assert_int_equal(enl_store_checkpoint(st), ENL_ESTORE);
    assert_int_equal(zeros_fail, 0);
    why = enl_store_errmsg(st);
    print_message("%s\n", why);
    assert_non_null(strstr(why, "could not be overwritten"));
    assert_null(strstr(why, "another enlace process"));
    /* nor when the log cannot even be folded in */
    restart_fails = 1;
    assert_int_equal(enl_store_checkpoint(st), ENL_ESTORE);
    assert_int_equal(restart_fails, 0);
    why = enl_store_errmsg(st);
    print_message("%s\n", why);
    assert_null(strstr(why, "another enlace process"));
    assert_int_equal(enl_store_checkpoint(st), ENL_OK);     /* space again */
    sqlite3_close(h);
    enl_store_close(st);
    watch_end(home);
}

/* Another process begins to read after a change's commit, before its
 * scrub: the scrub's checkpoint folds the new slot into the main file
 * (the reader sees it), then cannot begin the log again. The change was
 * then put back in the log alone, where the reader keeps it from the main
 * file: the main file (which alone unlocks) and the log said two different
 * passphrases, and which one opened the profile later depended on whether
 * an open (which puts the main file's slot back) or a checkpoint came
 * first. fold: 1 a checkpoint first, 0 an open first. */
static void reader_after_the_change(int fold)
{
    char home[64], db_path[128];
    enl_profile *p = NULL;
    sqlite3 *reader;
    int rc;

    watch_start(home, sizeof home, db_path, sizeof db_path);
    assert_int_equal(enl_profile_create(&p, home, "ana", "first", 5, ENL_KDF_INTERACTIVE), ENL_OK);
    note_slots(db_path);
    assert_int_equal(sqlite3_open_v2(db_path, &reader, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    reads_at_restart = reader;
    rc = enl_profile_change_passphrase(p, "second", 6);
    assert_null(reads_at_restart);
    print_message("change: %d %s\n", rc, rc ? enl_profile_errmsg(p) : "");
    note_slots(db_path);
    enl_profile_close(p);
    p = NULL;
    assert_int_equal(__real_sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    if (fold)   /* as the scrub of a `listen`'s checkpoint begins */
        assert_int_equal(__real_sqlite3_exec(reader, "PRAGMA wal_checkpoint(RESTART)", NULL, NULL,
                                             NULL), SQLITE_OK);
    if (rc == ENL_OK) assert_int_equal(enl_profile_open(&p, home, "second", 6), ENL_OK);
    else assert_int_equal(enl_profile_open(&p, home, "first", 5), ENL_OK);
    sqlite3_close(reader);
    enl_profile_close(p);
    watch_end(home);
}

static void test_a_reader_after_the_change_then_a_checkpoint(void **state)
{
    (void)state;
    reader_after_the_change(1);
}

static void test_a_reader_after_the_change_then_an_open(void **state)
{
    (void)state;
    reader_after_the_change(0);
}

static int markers(sqlite3 *h)
{
    sqlite3_stmt *s;
    int n;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM scrub WHERE length(b) = 0", -1,
                                        &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* A scrub deletes the markers it saw before its restart. They were
 * deleted by rowid, up to the highest seen: once another process's scrub
 * had emptied the table, the next marker (a slot committed after this
 * scrub's restart, which its zeros do not cover) took rowid 1 again, and
 * was deleted with those seen; the slot's log was then truncated
 * unscrubbed by whoever came next. Nor may this scrub truncate a log with
 * a marker it did not see (a writer without the folder lock). */
static void test_a_marker_written_after_the_restart_outlives_the_scrub(void **state)
{
    char home[64], db_path[128];
    enl_store *st = NULL;
    sqlite3 *h;
    (void)state;

    watch_start(home, sizeof home, db_path, sizeof db_path);
    assert_int_equal(enl_store_create(&st, home, "first", 5, ENL_KDF_INTERACTIVE), ENL_OK);
    note_slots(db_path);
    /* two markers of enlace's own: a change both of whose scrubs fail
     * leaves its slot and the old one put back, each marked */
    restart_fails = 2;
    assert_int_equal(enl_store_set_duress(st, "duress", 6, "ana"), ENL_ESTORE);
    assert_int_equal(restart_fails, 0);
    note_slots(db_path);
    assert_int_equal(sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(markers(h), 2);
    restarted = 0;
    marks_anew = h;
    assert_int_equal(enl_store_checkpoint(st), ENL_OK);
    assert_null(marks_anew);            /* it did mark anew */
    assert_int_equal(markers(h), 1);    /* the new marker is still there, */
    note_slots(db_path);                /* its slot not given back */
    sqlite3_close(h);
    assert_int_equal(enl_store_checkpoint(st), ENL_OK);     /* which the next scrub takes */
    enl_store_close(st);
    watch_end(home);
}

/* A checkpoint looked for a marker, found none, and truncated the log; a
 * slot another process committed between the two (a passphrase change as
 * a `listen` ends a session) was given back unscrubbed (review revT). The
 * slot's writer now waits for the checkpoint to be done. */
static void test_a_slot_written_between_look_and_truncation_waits(void **state)
{
    char home[64], db_path[128];
    enl_store *st = NULL, *other = NULL;
    (void)state;

    watch_start(home, sizeof home, db_path, sizeof db_path);
    assert_int_equal(enl_store_create(&st, home, "first", 5, ENL_KDF_INTERACTIVE), ENL_OK);
    note_slots(db_path);
    assert_int_equal(enl_store_open(&other, home, "first", 5), ENL_OK);
    race.writer = other;
    assert_int_equal(enl_store_checkpoint(st), ENL_OK);
    assert_null(race.writer);           /* the writer did run */
    pthread_mutex_lock(&race.mu);
    race.go = 1;
    pthread_cond_broadcast(&race.cv);
    pthread_mutex_unlock(&race.mu);
    assert_int_equal(pthread_join(race.thread, NULL), 0);
    print_message("at the truncation the writer had %s; its change: %d\n",
                  race.seen == 'c' ? "committed" : race.seen == 'w' ? "waited" : "finished",
                  race.rc);
    note_slots(db_path);
    assert_int_equal(enl_store_checkpoint(st), ENL_OK);
    enl_store_close(other);
    enl_store_close(st);
    watch_end(home);
    assert_int_equal(race.seen, 'w');   /* it waited, */
    assert_int_equal(race.rc, ENL_OK);  /* then took effect */
}

/* A profile from before schema 8 (no scrub table, so no marker) whose
 * passphrase change was cut short: the open put the slots back, before
 * its migration made the table, and truncated the log, the slot cut short
 * in it, unscrubbed. */
static void test_a_change_cut_short_before_schema_8_is_scrubbed(void **state)
{
    char home[64], db_path[128];
    enl_store *st = NULL;
    sqlite3 *h;
    (void)state;

    watch_start(home, sizeof home, db_path, sizeof db_path);
    assert_int_equal(enl_store_create(&st, home, "first", 5, ENL_KDF_INTERACTIVE), ENL_OK);
    enl_store_close(st);
    st = NULL;
    note_slots(db_path);
    /* schema 7, as a version before the markers left it */
    assert_int_equal(sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(__real_sqlite3_exec(h, "DROP TABLE partkeys; DROP TABLE scrub; "
                                         "PRAGMA user_version=7; PRAGMA wal_checkpoint(TRUNCATE)",
                                         NULL, NULL, NULL),
                     SQLITE_OK);
    /* a duress passphrase set, killed with its slot in the log alone (the
     * connection stays open: its close would fold the log in) */
    assert_int_equal(__real_sqlite3_exec(h, "UPDATE meta SET v = randomblob(length(v)) WHERE "
                                         "k = 'wrapped_alt'", NULL, NULL, NULL), SQLITE_OK);
    note_slots(db_path);
    assert_int_equal(enl_store_open(&st, home, "first", 5), ENL_OK);
    enl_store_close(st);
    sqlite3_close(h);
    watch_end(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_slot_left_in_the_blocks_the_log_gives_back),
        cmocka_unit_test(test_refused_change_leaves_no_slot_to_the_other_process),
        cmocka_unit_test(test_a_write_between_restart_and_zeros_cuts_nothing),
        cmocka_unit_test(test_a_full_disk_after_the_fold_keeps_the_change),
        cmocka_unit_test(test_a_wipe_overwrites_a_marked_log),
        cmocka_unit_test(test_a_wipe_gives_back_nothing_from_before),
        cmocka_unit_test(test_a_creation_cut_short_leaves_no_log_behind),
        cmocka_unit_test(test_a_checkpoint_on_a_full_disk_says_so),
        cmocka_unit_test(test_a_reader_after_the_change_then_a_checkpoint),
        cmocka_unit_test(test_a_reader_after_the_change_then_an_open),
        cmocka_unit_test(test_a_marker_written_after_the_restart_outlives_the_scrub),
        cmocka_unit_test(test_a_slot_written_between_look_and_truncation_waits),
        cmocka_unit_test(test_a_change_cut_short_before_schema_8_is_scrubbed),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
