/* When someone is arrested, through the library on real profiles: a cell
 * re-keys after a burn (the burned member cannot read what follows, the
 * others can), one member's burn alone does not remove another when k = 2,
 * and the disappearing timer deletes a message once its time has come. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/profile.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enlace-test-arrest-XXXXXX"
#include "profiles.h"

static void test_cell_rekeys_after_a_burn(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto"), *carmen = mkprofile("carmen");
    enl_profile *all[3] = { ana, beto, carmen };
    int burned = 0, cells = 0;
    static const char before[] = "antes del arresto", after[] = "despues del arresto";
    (void)state;
    cell_of_three(ana, beto, carmen);
    assert_string_equal(state_of(carmen, "olla", "beto", NULL), "member");
    assert_string_equal(state_of(beto, "olla", "carmen", NULL), "member");

    assert_int_equal(enl_cell_send(ana, "olla", (const uint8_t *)before, strlen(before), NULL, NULL),
                     ENL_OK);
    exchange(all, 3);
    assert_true(has_message(beto, before));
    assert_true(has_message(carmen, before));

    /* one burn vouch of the two needed: beto stays a member for carmen */
    assert_int_equal(enl_burn_local(carmen, "beto", "arrested", &cells, NULL), ENL_OK);
    assert_int_equal(cells, 1);
    exchange(all, 3);
    assert_string_equal(state_of(ana, "olla", "beto", NULL), "member");
    /* the second: every device removes and burns him */
    assert_int_equal(enl_burn_local(ana, "beto", "arrested", &cells, NULL), ENL_OK);
    exchange(all, 3);
    assert_string_equal(state_of(ana, "olla", "beto", &burned), "removed");
    assert_true(burned);
    assert_string_equal(state_of(carmen, "olla", "beto", &burned), "removed");
    assert_true(burned);

    /* a new key that beto never got: carmen reads, beto does not */
    assert_int_equal(enl_cell_send(ana, "olla", (const uint8_t *)after, strlen(after), NULL, NULL),
                     ENL_OK);
    exchange(all, 3);
    assert_true(has_message(carmen, after));
    assert_false(has_message(beto, after));
    /* and beto's own notes to the cell are not read any more */
    {
        static const char lie[] = "todo bien, vengan";
        if (enl_cell_send(beto, "olla", (const uint8_t *)lie, strlen(lie), NULL, NULL) == ENL_OK) {
            exchange(all, 3);
            assert_false(has_message(carmen, lie));
            assert_false(has_message(ana, lie));
        }
    }
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

static void test_disappearing_timer(void **state)
{
    enl_profile *dora = mkprofile("dora"), *eli = mkprofile("eli");
    enl_profile *both[2] = { dora, eli };
    enl_send_opts o = { 0, 0, 60 };
    char now[32];
    static const char text[] = "borrar despues de leer";
    (void)state;
    introduce(dora, "dora", eli, "eli");
    assert_int_equal(enl_send_text(dora, "eli", (const uint8_t *)text, strlen(text), &o, NULL), ENL_OK);
    exchange(both, 2);
    /* shown once: its clock starts */
    assert_int_equal(enl_inbox_each(eli, 0, find_text, &(find_ctx){ text, 0, 0 }), ENL_OK);
    snprintf(now, sizeof now, "%llu", (unsigned long long)(enl_now() + 59));
    setenv("ENLACE_NOW", now, 1);
    assert_true(has_message(eli, text));        /* 59 s later: still there */
    snprintf(now, sizeof now, "%llu", (unsigned long long)(enl_now() + 2));
    setenv("ENLACE_NOW", now, 1);
    assert_false(has_message(eli, text));       /* past 60 s: gone */
    unsetenv("ENLACE_NOW");
    enl_profile_close(dora);
    enl_profile_close(eli);
}

/* A message read, then the device only syncs (a courier's phone, a
 * listener): it must still be gone from the store once its time has come,
 * not wait in the database (where a seized device's examiner, passphrase
 * in hand, reads it) until someone next opens the inbox. */
static void test_disappearing_without_the_inbox(void **state)
{
    enl_profile *fede = mkprofile("fede"), *gabi = mkprofile("gabi");
    enl_profile *both[2] = { fede, gabi };
    enl_send_opts o = { 0, 0, 60 };
    char now[32];
    uint64_t n = 0;
    static const char text[] = "se borra aunque no abra la bandeja";
    (void)state;
    introduce(fede, "fede", gabi, "gabi");
    assert_int_equal(enl_send_text(fede, "gabi", (const uint8_t *)text, strlen(text), &o, NULL), ENL_OK);
    exchange(both, 2);
    assert_int_equal(enl_inbox_each(gabi, 0, find_text, &(find_ctx){ text, 0, 0 }), ENL_OK);
    assert_int_equal(enl_store_count(gabi->st, "messages", &n), ENL_OK);
    assert_int_equal(n, 1);
    snprintf(now, sizeof now, "%llu", (unsigned long long)(enl_now() + 61));
    setenv("ENLACE_NOW", now, 1);
    sync_drop(gabi);
    assert_int_equal(enl_store_count(gabi->st, "messages", &n), ENL_OK);
    assert_int_equal(n, 0);
    unsetenv("ENLACE_NOW");
    enl_profile_close(fede);
    enl_profile_close(gabi);
}


typedef struct {
    const char *name;
    enl_cell_member m;
    char state[16];
} seen_member;

static int see_member(const enl_cell_member *m, void *vctx)
{
    seen_member *x = vctx;
    if (strcmp(m->name, x->name) == 0) {
        x->m = *m;
        snprintf(x->state, sizeof x->state, "%s", m->state);
    }
    return 0;
}

static seen_member seen(enl_profile *p, const char *name)
{
    seen_member x;
    memset(&x, 0, sizeof x);
    x.name = name;
    assert_int_equal(enl_cell_members(p, "olla", see_member, &x), ENL_OK);
    return x;
}

static int count_members(const enl_cell_info *c, void *ctx)
{
    *(unsigned *)ctx = c->members;
    return 1;
}

static unsigned members_of(enl_profile *p)
{
    unsigned n = 0;
    assert_int_equal(enl_cell_each(p, count_members, &n), ENL_OK);
    return n;
}

/* The device that burns a member (or publishes their revocation) seals
 * nothing to them and reads nothing of theirs from then on, but showed
 * them as a member of its cells until the other members' vouches came
 * back. It now shows them removed and burned at once, as every device
 * shows them once enough members have burned them; the others, who have
 * not burned them, still count them. */
static void test_the_burner_sees_the_burn_at_once(void **state)
{
    enl_profile *ana = mkprofile("ana2"), *beto = mkprofile("beto2"), *carmen = mkprofile("carmen2");
    enl_profile *all[3] = { ana, beto, carmen };
    enl_profile *dora = mkprofile("dora2"), *eli = mkprofile("eli2"), *fer = mkprofile("fer2");
    enl_profile *other[3] = { dora, eli, fer };
    seen_member x;
    char *rev = NULL;
    (void)state;

    /* carmen burns beto on her device: one vouch of the two needed */
    cell_of_three(ana, beto, carmen);
    assert_int_equal(members_of(carmen), 3);
    assert_int_equal(enl_burn_local(carmen, "beto", "arrested", NULL, NULL), ENL_OK);
    x = seen(carmen, "beto");
    assert_string_equal(x.state, "removed");
    assert_true(x.m.burned);
    assert_true(x.m.burned_here);
    assert_int_equal(members_of(carmen), 2);
    exchange(all, 3);
    /* ana has not burned him: he is still a member for her */
    x = seen(ana, "beto");
    assert_string_equal(x.state, "member");
    assert_false(x.m.burned);
    assert_int_equal(members_of(ana), 3);
    /* once she does, the cell's log burns him, the same everywhere */
    assert_int_equal(enl_burn_local(ana, "beto", "arrested", NULL, NULL), ENL_OK);
    exchange(all, 3);
    for (int i = 0; i < 3; i += 2) {
        x = seen(all[i], "beto");
        assert_string_equal(x.state, "removed");
        assert_true(x.m.burned);
        assert_false(x.m.burned_here);
        assert_int_equal(members_of(all[i]), 2);
    }

    /* dora publishes eli's revocation: the same at once on her device */
    cell_of_three(dora, eli, fer);
    assert_int_equal(enl_revocation_export(eli, "if I am taken", &rev), ENL_OK);
    assert_int_equal(enl_revocation_hold(dora, "beto", rev), ENL_OK);
    free(rev);
    assert_int_equal(enl_revocation_publish(dora, "beto"), ENL_OK);
    x = seen(dora, "beto");
    assert_string_equal(x.state, "removed");
    assert_true(x.m.burned);
    assert_int_equal(members_of(dora), 2);
    /* the notice travels by syncs (exchange carries notes only) */
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 3; i++) sync_drop(other[i]);
    for (int i = 0; i < 3; i += 2) {
        x = seen(other[i], "beto");
        assert_string_equal(x.state, "removed");
        assert_true(x.m.burned);
        assert_int_equal(members_of(other[i]), 2);
    }

    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    enl_profile_close(dora);
    enl_profile_close(eli);
    enl_profile_close(fer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cell_rekeys_after_a_burn),
        cmocka_unit_test(test_the_burner_sees_the_burn_at_once),
        cmocka_unit_test(test_disappearing_timer),
        cmocka_unit_test(test_disappearing_without_the_inbox),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
