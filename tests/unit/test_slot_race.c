/*
 * A passphrase change, or a duress passphrase set, that another process's
 * unlock overlaps: the other process reads the key slots from the file,
 * then spends its Argon2id while the change is written, folded into the
 * file and reported ("duress passphrase set", "passphrase changed").
 * When that unlock ended, undo_unreported_slots found slots that differed
 * from the ones it read and put the old ones back: a change its owner was
 * told succeeded was silently undone. The duress passphrase then opened
 * nothing (a forced unlock destroyed nothing), and the old passphrase,
 * which the owner meant to retire, opened the profile again.
 *
 * crypto_pwhash is wrapped (see TEST_WRAP in the Makefile) so that the
 * change runs to completion exactly while the other unlock derives its key,
 * as a `listen`, `sync` or `inbox` started a moment before would.
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

#include "enlace.h"
#include "store/store.h"

#define REAL "the real passphrase"
#define DURESS "the duress passphrase"
#define NEWP "the new passphrase"

int __real_crypto_pwhash(unsigned char *out, unsigned long long outlen, const char *passwd,
                         unsigned long long passwdlen, const unsigned char *salt,
                         unsigned long long opslimit, size_t memlimit, int alg);
int __wrap_crypto_pwhash(unsigned char *out, unsigned long long outlen, const char *passwd,
                         unsigned long long passwdlen, const unsigned char *salt,
                         unsigned long long opslimit, size_t memlimit, int alg);

static char root[] = "/tmp/enl-slot-race-XXXXXX";

/* While set, the next key derivation first runs the change on `owner`. */
static enl_store *owner;
static int change;          /* 0: set the duress passphrase, 1: change the passphrase,
                             * 2: unlock with the duress passphrase (home) */
static const char *duress_home;
static int change_rc = -100;

int __wrap_crypto_pwhash(unsigned char *out, unsigned long long outlen, const char *passwd,
                         unsigned long long passwdlen, const unsigned char *salt,
                         unsigned long long opslimit, size_t memlimit, int alg)
{
    if (owner != NULL) {
        enl_store *st = owner;
        owner = NULL;
        change_rc = change == 0 ? enl_store_set_duress(st, DURESS, strlen(DURESS), "ana")
                                : enl_store_rekey(st, NEWP, strlen(NEWP));
    }
    if (duress_home != NULL) {
        enl_store *forced = NULL;
        const char *h = duress_home;
        duress_home = NULL;
        change_rc = enl_store_open(&forced, h, DURESS, strlen(DURESS));
        if (change_rc == ENL_OK && !enl_store_was_reset(forced, (char[ENL_NAME_MAX + 1]){ 0 }))
            change_rc = -99;
        enl_store_close(forced);
    }
    return __real_crypto_pwhash(out, outlen, passwd, passwdlen, salt, opslimit, memlimit, alg);
}

static void make(char *home, size_t max, const char *name)
{
    enl_store *st = NULL;
    snprintf(home, max, "%s/%s", root, name);
    assert_int_equal(enl_store_create(&st, home, REAL, strlen(REAL), ENL_KDF_INTERACTIVE), ENL_OK);
    enl_store_close(st);
}

/* The owner's handle is open; another unlock with the real passphrase
 * starts, and while it derives its key the owner's change completes. That
 * unlock then starts over against the slots there now: it opens the
 * profile after a duress passphrase was set, and nothing after the
 * passphrase it was given was changed (expect). */
static void overlap(const char *home, int how, int expect)
{
    enl_store *mine = NULL, *other = NULL;
    assert_int_equal(enl_store_open(&mine, home, REAL, strlen(REAL)), ENL_OK);
    change = how;
    change_rc = -100;
    owner = mine;
    assert_int_equal(enl_store_open(&other, home, REAL, strlen(REAL)), expect);
    assert_null(owner);
    /* the owner was told that it worked */
    assert_int_equal(change_rc, ENL_OK);
    enl_store_close(other);
    enl_store_close(mine);
}

static void test_duress_set_undone_by_an_overlapping_unlock(void **state)
{
    char home[128], name[ENL_NAME_MAX + 1];
    enl_store *st = NULL;
    (void)state;
    make(home, sizeof home, "duress");
    overlap(home, 0, ENL_OK);
    /* Forced to unlock, the owner types the duress passphrase: it must
     * destroy the profile, not be refused as a wrong one. */
    assert_int_equal(enl_store_open(&st, home, DURESS, strlen(DURESS)), ENL_OK);
    assert_int_equal(enl_store_was_reset(st, name), 1);
    enl_store_close(st);
    assert_int_equal(enl_store_open(&st, home, REAL, strlen(REAL)), ENL_EPASSPHRASE);
}

static void test_passphrase_change_undone_by_an_overlapping_unlock(void **state)
{
    char home[128];
    enl_store *st = NULL;
    (void)state;
    make(home, sizeof home, "change");
    overlap(home, 1, ENL_EPASSPHRASE);
    /* "passphrase changed": the new one opens, the old one no longer does */
    assert_int_equal(enl_store_open(&st, home, REAL, strlen(REAL)), ENL_EPASSPHRASE);
    assert_int_equal(enl_store_open(&st, home, NEWP, strlen(NEWP)), ENL_OK);
    enl_store_close(st);
}

/* The duress passphrase is forced out of the owner while another process
 * (a cron'd sync, a listen starting) unlocks with the real one: that one
 * read the old key slots, and once its Argon2id is done it opens the path,
 * which is by then the new, empty profile, and writes the destroyed real
 * slot into it. "The real passphrase opens nothing afterwards" no longer
 * holds, and the file shows there was a real profile behind the duress one. */
static void test_duress_unlock_undone_by_an_overlapping_unlock(void **state)
{
    char home[128];
    enl_store *st = NULL, *other = NULL;
    (void)state;
    make(home, sizeof home, "forced");
    {
        enl_store *mine = NULL;
        assert_int_equal(enl_store_open(&mine, home, REAL, strlen(REAL)), ENL_OK);
        assert_int_equal(enl_store_set_duress(mine, DURESS, strlen(DURESS), "ana"), ENL_OK);
        enl_store_close(mine);
    }
    change_rc = -100;
    duress_home = home;
    /* it starts over on the new profile, which the real passphrase does
     * not open */
    assert_int_equal(enl_store_open(&other, home, REAL, strlen(REAL)), ENL_EPASSPHRASE);
    assert_null(duress_home);
    assert_int_equal(change_rc, ENL_OK);   /* the duress unlock destroyed and rebuilt */
    enl_store_close(other);
    /* The real passphrase must open nothing afterwards. */
    assert_int_equal(enl_store_open(&st, home, REAL, strlen(REAL)), ENL_EPASSPHRASE);
    enl_store_close(st);
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
        cmocka_unit_test(test_duress_set_undone_by_an_overlapping_unlock),
        cmocka_unit_test(test_passphrase_change_undone_by_an_overlapping_unlock),
        cmocka_unit_test(test_duress_unlock_undone_by_an_overlapping_unlock),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
