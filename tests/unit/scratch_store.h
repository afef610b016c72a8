/*
 * A store of its own for each white-box test of store.c (the test file
 * includes store.c first, then this): made in a fresh folder under /tmp
 * with the cheapest Argon2id, and removed with its folder when done.
 */
#ifndef ENL_TEST_SCRATCH_STORE_H
#define ENL_TEST_SCRATCH_STORE_H

static char home[64];

/* tmpl: a mkdtemp template, "/tmp/enl-NAME-XXXXXX" */
static enl_store *fresh_store(const char *tmpl)
{
    enl_store *st = NULL;
    snprintf(home, sizeof home, "%s", tmpl);
    assert_non_null(mkdtemp(home));
    rmdir(home);
    assert_int_equal(enl_store_create(&st, home, "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
    return st;
}

static void done_store(enl_store *st)
{
    char cmd[128];
    enl_store_close(st);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    assert_int_equal(system(cmd), 0);
}

#endif
