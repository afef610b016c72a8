/*
 * Two `enlace init` on one folder at once: each checks that no profile is
 * there, then spends a second in Argon2id before it creates the database.
 * The one that comes second must refuse, not open the first one's file
 * and write its own key slots over it (the first profile's key would be
 * lost, and with it everything stored under it, while both said "created").
 *
 * crypto_pwhash is wrapped (see TEST_WRAP in the Makefile) so that the
 * other profile appears exactly while this one derives its key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enlace.h"
#include "store/store.h"

#define PASS "first passphrase"
#define PASS2 "second passphrase"

int __real_crypto_pwhash(unsigned char *out, unsigned long long outlen, const char *passwd,
                         unsigned long long passwdlen, const unsigned char *salt,
                         unsigned long long opslimit, size_t memlimit, int alg);
int __wrap_crypto_pwhash(unsigned char *out, unsigned long long outlen, const char *passwd,
                         unsigned long long passwdlen, const unsigned char *salt,
                         unsigned long long opslimit, size_t memlimit, int alg);

/* While set, the next key derivation first copies plant_from to plant_to. */
static const char *plant_from, *plant_to;

static void copy_file(const char *from, const char *to)
{
    char buf[65536];
    ssize_t n;
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(in >= 0 && out >= 0);
    while ((n = read(in, buf, sizeof buf)) > 0) assert_int_equal(write(out, buf, (size_t)n), n);
    close(in);
    close(out);
}

int __wrap_crypto_pwhash(unsigned char *out, unsigned long long outlen, const char *passwd,
                         unsigned long long passwdlen, const unsigned char *salt,
                         unsigned long long opslimit, size_t memlimit, int alg)
{
    if (plant_from != NULL) {
        copy_file(plant_from, plant_to);
        plant_from = plant_to = NULL;
    }
    return __real_crypto_pwhash(out, outlen, passwd, passwdlen, salt, opslimit, memlimit, alg);
}

static void test_second_create_does_not_take_over(void **state)
{
    char dir[] = "/tmp/enl-race-XXXXXX", a[64], b[64], dba[96], dbb[96], cmd[96];
    enl_store *st = NULL;
    uint8_t *pt = NULL;
    size_t len = 0;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    snprintf(dba, sizeof dba, "%s/%s", a, ENL_STORE_FILE);
    snprintf(dbb, sizeof dbb, "%s/%s", b, ENL_STORE_FILE);

    /* The first init's profile, with a record in it. */
    assert_int_equal(enl_store_create(&st, a, PASS, sizeof PASS - 1, ENL_KDF_INTERACTIVE), ENL_OK);
    assert_int_equal(enl_store_secret_put(st, "self", (const uint8_t *)"ana", 3), ENL_OK);
    enl_store_close(st);
    st = NULL;

    /* The second init finds no profile in b, and while it derives its key
     * the first one's database appears there. */
    assert_int_equal(mkdir(b, 0700), 0);
    plant_from = dba;
    plant_to = dbb;
    assert_int_equal(enl_store_create(&st, b, PASS2, sizeof PASS2 - 1, ENL_KDF_INTERACTIVE),
                     ENL_EEXISTS);
    assert_null(st);
    assert_null(plant_from);   /* the race did happen */

    /* The profile that was there is whole: its passphrase opens it, with
     * what it held. */
    assert_int_equal(enl_store_open(&st, b, PASS, sizeof PASS - 1), ENL_OK);
    assert_int_equal(enl_store_secret_get(st, "self", &pt, &len), ENL_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(pt, "ana", 3);
    enl_store_free(pt, len);
    enl_store_close(st);

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_create_does_not_take_over),
    };
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
