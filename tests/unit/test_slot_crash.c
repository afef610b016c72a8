/*
 * A passphrase change (or a duress passphrase set) that is killed after
 * its new key slot is in the write-ahead log but before the log is folded
 * into the file: the user was never told it worked, so the passphrase they
 * still know must keep opening the profile. It used to open it once (the
 * slots are read from the file alone), and then, the log folded in at
 * close, never again: the profile was locked behind a change its owner
 * believed had failed.
 *
 * sqlite3_exec is wrapped (see TEST_WRAP in the Makefile) so that a child
 * process dies exactly when the change folds the log in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enlace.h"

#define OLD "the passphrase I know"
#define NEW "a passphrase never confirmed"

int __real_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *arg, char **err);
int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *arg, char **err);

static int die_at_checkpoint;
static char root[] = "/tmp/enl-slot-crash-XXXXXX";

int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *arg, char **err)
{
    if (die_at_checkpoint && strstr(sql, "wal_checkpoint") != NULL) _exit(0);   /* the kill */
    return __real_sqlite3_exec(db, sql, cb, arg, err);
}

static int opens(const char *home, const char *pass)
{
    enl_profile *p = NULL;
    int rc = enl_profile_open(&p, home, pass, strlen(pass));
    enl_profile_close(p);
    return rc;
}

/* In a child: open with OLD, then change (how: 0 the passphrase, 1 the
 * duress one) and die as the new slot is folded into the file. */
static void killed_change(const char *home, int how)
{
    pid_t pid = fork();
    int status = -1;
    assert_true(pid >= 0);
    if (pid == 0) {
        enl_profile *p = NULL;
        if (enl_profile_open(&p, home, OLD, strlen(OLD)) != ENL_OK) _exit(2);
        die_at_checkpoint = 1;
        if (how == 0 ? enl_profile_change_passphrase(p, NEW, strlen(NEW))
                     : enl_profile_set_duress(p, NEW, strlen(NEW)))
            _exit(3);
        _exit(4);   /* neither is reached when the change got as far as the log */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void check(int how)
{
    char home[128];
    enl_profile *p = NULL;
    snprintf(home, sizeof home, "%s/p%d", root, how);
    assert_int_equal(enl_profile_create(&p, home, "ana", OLD, strlen(OLD), ENL_KDF_INTERACTIVE),
                     ENL_OK);
    enl_profile_close(p);
    killed_change(home, how);
    /* Opened (and closed, which folds the log in) twice: the change the
     * user never saw succeed must not take effect on the way. */
    assert_int_equal(opens(home, OLD), ENL_OK);
    assert_int_equal(opens(home, OLD), ENL_OK);
    /* The unconfirmed passphrase opens nothing (as the duress one, it
     * would destroy the profile). */
    assert_int_equal(opens(home, NEW), ENL_EPASSPHRASE);
    assert_int_equal(opens(home, OLD), ENL_OK);
}

static void test_killed_passphrase_change(void **state)
{
    (void)state;
    check(0);
}

static void test_killed_duress_set(void **state)
{
    (void)state;
    check(1);
}

/* The fingerprint of the profile a passphrase opens. */
static void fingerprint(const char *home, const char *pass, char fp[ENL_FINGERPRINT_STRBYTES])
{
    enl_profile *p = NULL;
    assert_int_equal(enl_profile_open(&p, home, pass, strlen(pass)), ENL_OK);
    assert_int_equal(enl_profile_fingerprint(p, fp), ENL_OK);
    enl_profile_close(p);
}

/* A change to the duress passphrase writes both slots (the real one under
 * it, random bytes in the other) in one transaction: killed as it folds
 * them in, neither takes effect. The passphrase known still opens the
 * profile, and the duress one still destroys it. */
static void test_killed_change_to_the_duress_passphrase(void **state)
{
    char home[128], fp[ENL_FINGERPRINT_STRBYTES], fp2[ENL_FINGERPRINT_STRBYTES];
    enl_profile *p = NULL;
    (void)state;
    snprintf(home, sizeof home, "%s/to-duress", root);
    assert_int_equal(enl_profile_create(&p, home, "ana", OLD, strlen(OLD), ENL_KDF_INTERACTIVE),
                     ENL_OK);
    assert_int_equal(enl_profile_set_duress(p, NEW, strlen(NEW)), ENL_OK);
    enl_profile_close(p);
    killed_change(home, 0);
    fingerprint(home, OLD, fp);
    fingerprint(home, OLD, fp2);
    assert_string_equal(fp, fp2);
    /* the duress passphrase: a new profile, and the old one is gone */
    fingerprint(home, NEW, fp2);
    assert_string_not_equal(fp, fp2);
    assert_int_equal(opens(home, OLD), ENL_EPASSPHRASE);
}

/* An `init` killed between the store's first commit (its key slots) and
 * the identity's, or a duress reset killed between emptying the store and
 * refilling it, leaves a store that opens and holds nothing. Opening it
 * said "not found", and `init` said a profile was there: the folder was
 * stuck with no word of why. It is now told apart as no profile; a store
 * that has lost its identity but holds contacts is damaged, not empty. */
static void test_unfinished_profile(void **state)
{
    char home[128], db[160];
    enl_profile *p = NULL;
    sqlite3 *h = NULL;
    (void)state;
    snprintf(home, sizeof home, "%s/unfinished", root);
    snprintf(db, sizeof db, "%s/enlace.db", home);
    assert_int_equal(enl_profile_create(&p, home, "ana", OLD, strlen(OLD), ENL_KDF_INTERACTIVE),
                     ENL_OK);
    enl_profile_close(p);
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "DELETE FROM secrets", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(h), SQLITE_OK);
    assert_int_equal(opens(home, OLD), ENL_ENOPROFILE);
    assert_int_equal(opens(home, NEW), ENL_EPASSPHRASE);
    /* another secret left (the name, old prekeys...): it lost its identity */
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "INSERT INTO secrets(h, blob) VALUES (x'01', x'00')", NULL, NULL,
                                  NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(h), SQLITE_OK);
    assert_int_equal(opens(home, OLD), ENL_ESTORE);
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "DELETE FROM secrets", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(h), SQLITE_OK);
    /* with a contact in it, it is not empty: damaged */
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "INSERT INTO contacts(h, blob) VALUES (x'00', x'00')", NULL,
                                  NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(h), SQLITE_OK);
    assert_int_equal(opens(home, OLD), ENL_ESTORE);
}

static int setup(void **state)
{
    (void)state;
    return enl_init() == ENL_OK && mkdtemp(root) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_killed_passphrase_change),
        cmocka_unit_test(test_killed_duress_set),
        cmocka_unit_test(test_killed_change_to_the_duress_passphrase),
        cmocka_unit_test(test_unfinished_profile),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
