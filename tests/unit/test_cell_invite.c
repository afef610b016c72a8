/*
 * A cell that admits me is an invitation until I join it.
 *
 * Before, a device joined a cell as soon as a log admitted it on a
 * contact's vouch: it made every member a contact, sealed its sender key
 * to each, and acted on the log's burns. One contact who turned could
 * found a cell with --admit 1, put one of my contacts in it and burn them
 * there with its own vouch, and my device burned that contact (test
 * test_invitation_burns_no_contact failed: carmen came out burned). Now
 * nothing is done for the cell until enl_cell_join.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/profile.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-cellinvite-XXXXXX"
#include "profiles.h"

/* Every note `from` holds, taken in by `to`: no invitation is joined. */
static void take_all(enl_profile *from, enl_profile *to)
{
    (void)arriving(from, to);
}

typedef struct {
    const char *name;
    int found, invited, member;
    unsigned n_invited;
    char by[ENL_NAME_MAX + 1];
} invite_info;

static int find_cb(const enl_cell_info *c, void *vctx)
{
    invite_info *f = vctx;
    if (c->invited) f->n_invited++;
    if (strcmp(c->name, f->name) == 0) {
        f->found = 1;
        f->invited = c->invited;
        f->member = c->member;
        snprintf(f->by, sizeof f->by, "%s", c->invited_by);
    }
    return 0;
}

static invite_info cell_info(enl_profile *p, const char *name)
{
    invite_info f = { name, 0, 0, 0, 0, "" };
    assert_int_equal(enl_cell_each(p, find_cb, &f), ENL_OK);
    return f;
}

static uint64_t contacts(enl_profile *p)
{
    enl_status_info s;
    assert_int_equal(enl_status(p, &s), ENL_OK);
    return s.contacts;
}

static uint64_t outgoing(enl_profile *p)
{
    enl_status_info s;
    assert_int_equal(enl_status(p, &s), ENL_OK);
    return s.outgoing;
}

static int count_rows(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    (void)seq; (void)pt; (void)len;
    (*(size_t *)ctx)++;
    return 0;
}

/* mal, ana's contact, founds n cells c0, c1 ... with --admit 1 and admits
 * ana to each. */
static void cells_of_mal(enl_profile *ana, enl_profile *mal, int n)
{
    char name[16];
    introduce(ana, "ana", mal, "mal");
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "c%d", i);
        assert_int_equal(enl_cell_create(mal, name, 1), ENL_OK);
        assert_int_equal(enl_cell_add(mal, name, "ana"), ENL_OK);
    }
}

/* ana, mal and carmen all know each other. */
static void three_contacts(enl_profile *ana, enl_profile *mal, enl_profile *carmen)
{
    introduce(ana, "ana", mal, "mal");
    introduce(ana, "ana", carmen, "carmen");
    introduce(mal, "mal", carmen, "carmen");
}

/* beto (ana's contact) founds olla with dora, whom ana does not know,
 * and admits ana. */
static void olla_with_dora(enl_profile *ana, enl_profile *beto, enl_profile *dora)
{
    introduce(ana, "ana", beto, "beto");
    introduce(beto, "beto", dora, "dora");
    assert_int_equal(enl_cell_create(beto, "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(beto, "olla", "dora"), ENL_OK);
    assert_int_equal(enl_cell_add(beto, "olla", "ana"), ENL_OK);
}

static void test_invitation_waits_for_join(void **state)
{
    enl_profile *ana = mkprofile("ana1"), *beto = mkprofile("beto1"), *dora = mkprofile("dora1");
    enl_profile *all[3] = { ana, beto, dora };
    invite_info f;
    enl_contact k;
    (void)state;
    olla_with_dora(ana, beto, dora);
    take_all(beto, dora);
    assert_int_equal(enl_cell_join(dora, "olla"), ENL_OK);
    take_all(beto, ana);
    f = cell_info(ana, "olla");
    assert_true(f.found);
    assert_true(f.invited);
    assert_false(f.member);
    assert_string_equal(f.by, "beto");     /* ana's name for her contact */
    /* nothing done for it: dora is no contact, nothing is sealed */
    assert_int_equal(contacts(ana), 1);
    assert_int_equal(outgoing(ana), 0);
    assert_int_equal(enl_cell_send(ana, "olla", (const uint8_t *)"hola", 4, NULL, NULL), ENL_EREFUSED);
    assert_non_null(strstr(enl_profile_errmsg(ana), "cell join"));
    assert_int_equal(enl_cell_add(ana, "olla", "beto"), ENL_EREFUSED);
    assert_int_equal(enl_cell_leave(ana, "olla"), ENL_EREFUSED);
    /* while it waits, what the members write in it is still taken */
    take_all(dora, ana);
    assert_int_equal(enl_cell_send(dora, "olla", (const uint8_t *)"bienvenida", 10, NULL, NULL), ENL_OK);
    take_all(dora, ana);
    assert_true(has_message(ana, "bienvenida"));
    assert_int_equal(outgoing(ana), 0);

    /* joined: as an admission did at once before */
    assert_int_equal(enl_cell_join(ana, "olla"), ENL_OK);
    f = cell_info(ana, "olla");
    assert_false(f.invited);
    assert_true(f.member);
    assert_int_equal(enl_contact_by_name(ana, "dora1", &k), ENL_OK);
    assert_true(outgoing(ana) > 0);     /* ana's sender key, for beto and dora */
    assert_int_equal(enl_cell_join(ana, "olla"), ENL_EINVAL);
    assert_int_equal(enl_cell_decline(ana, "olla"), ENL_EINVAL);
    exchange(all, 3);
    assert_int_equal(enl_cell_send(ana, "olla", (const uint8_t *)"gracias", 7, NULL, NULL), ENL_OK);
    exchange(all, 3);
    assert_true(has_message(dora, "gracias"));
    assert_true(has_message(beto, "gracias"));
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(dora);
}

static void test_declined_cell_is_forgotten(void **state)
{
    enl_profile *ana = mkprofile("ana2"), *beto = mkprofile("beto2"), *dora = mkprofile("dora2");
    enl_profile *eva = mkprofile("eva2");
    size_t keys = 0;
    (void)state;
    olla_with_dora(ana, beto, dora);
    take_all(beto, dora);
    assert_int_equal(enl_cell_join(dora, "olla"), ENL_OK);
    take_all(beto, ana);
    take_all(dora, ana);    /* dora's sender key for ana: kept while it waits */
    assert_int_equal(enl_store_row_each(ana->st, "senderkeys", count_rows, &keys), ENL_OK);
    assert_true(keys > 0);
    assert_int_equal(enl_cell_decline(ana, "olla"), ENL_OK);
    assert_false(cell_info(ana, "olla").found);
    keys = 0;
    assert_int_equal(enl_store_row_each(ana->st, "senderkeys", count_rows, &keys), ENL_OK);
    assert_int_equal(keys, 0);
    assert_int_equal(outgoing(ana), 0);
    assert_int_equal(contacts(ana), 1);
    /* the cell goes on, and its next logs reach ana: she is not asked again */
    introduce(beto, "beto", eva, "eva");
    assert_int_equal(enl_cell_add(beto, "olla", "eva"), ENL_OK);
    take_all(beto, ana);
    assert_false(cell_info(ana, "olla").found);
    assert_int_equal(enl_cell_join(ana, "olla"), ENL_ENOTFOUND);
    assert_int_equal(outgoing(ana), 0);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(dora);
    enl_profile_close(eva);
}

/* mal, ana's contact, puts carmen (ana's contact too) in a cell of its
 * own and burns her there with its one vouch. */
static void test_invitation_burns_no_contact(void **state)
{
    enl_profile *ana = mkprofile("ana3"), *mal = mkprofile("mal3"), *carmen = mkprofile("carmen3");
    enl_contact k;
    (void)state;
    three_contacts(ana, mal, carmen);
    assert_int_equal(enl_cell_create(mal, "trampa", 1), ENL_OK);
    assert_int_equal(enl_cell_add(mal, "trampa", "carmen"), ENL_OK);
    assert_int_equal(enl_cell_add(mal, "trampa", "ana"), ENL_OK);
    assert_int_equal(enl_cell_remove(mal, "trampa", "carmen", 1, "arrested"), ENL_OK);
    take_all(mal, ana);
    assert_true(cell_info(ana, "trampa").invited);
    assert_int_equal(enl_contact_by_name(ana, "carmen", &k), ENL_OK);
    assert_false(k.burned);
    assert_int_equal(outgoing(ana), 0);
    assert_int_equal(enl_cell_decline(ana, "trampa"), ENL_OK);
    assert_int_equal(enl_contact_by_name(ana, "carmen", &k), ENL_OK);
    assert_false(k.burned);
    enl_profile_close(ana); enl_profile_close(mal); enl_profile_close(carmen);
}

/* One contact cannot fill the store with invitations. */
static void test_invitations_are_bounded(void **state)
{
    enl_profile *ana = mkprofile("ana4"), *mal = mkprofile("mal4");
    char name[16];
    (void)state;
    cells_of_mal(ana, mal, ENL_CELL_INVITES_MAX + 3);
    take_all(mal, ana);
    assert_int_equal(cell_info(ana, "c0").n_invited, ENL_CELL_INVITES_MAX);
    assert_int_equal(contacts(ana), 1);
    assert_int_equal(outgoing(ana), 0);
    /* one declined makes room for the next log that brings one (which
     * ones came first depends on the order of the notes' ids) */
    for (int i = 0, done = 0; !done && i < ENL_CELL_INVITES_MAX + 3; i++) {
        snprintf(name, sizeof name, "c%d", i);
        if (cell_info(ana, name).invited) {
            assert_int_equal(enl_cell_decline(ana, name), ENL_OK);
            done = 1;
        }
    }
    assert_int_equal(cell_info(ana, "c0").n_invited, ENL_CELL_INVITES_MAX - 1);
    snprintf(name, sizeof name, "c%d", ENL_CELL_INVITES_MAX + 5);
    assert_int_equal(enl_cell_create(mal, name, 1), ENL_OK);
    assert_int_equal(enl_cell_add(mal, name, "ana"), ENL_OK);
    take_all(mal, ana);     /* the refused ones are offered again too: one fills it */
    assert_int_equal(cell_info(ana, name).n_invited, ENL_CELL_INVITES_MAX);
    enl_profile_close(ana); enl_profile_close(mal);
}

/* ana joined olla, then left it. beto (her contact) admits her again,
 * with dora, whom ana does not know: a cell that admits ana again asks
 * her again, as the first time. Before, her device rejoined at once: dora
 * became a contact and ana's new sender key went to both. */
static void test_readmission_is_an_invitation(void **state)
{
    enl_profile *ana = mkprofile("ana5"), *beto = mkprofile("beto5"), *dora = mkprofile("dora5");
    enl_contact k;
    uint64_t out;
    (void)state;
    introduce(ana, "ana", beto, "beto");
    introduce(beto, "beto", dora, "dora");
    assert_int_equal(enl_cell_create(beto, "olla", 1), ENL_OK);
    assert_int_equal(enl_cell_add(beto, "olla", "ana"), ENL_OK);
    take_all(beto, ana);
    assert_int_equal(enl_cell_join(ana, "olla"), ENL_OK);
    assert_int_equal(enl_cell_leave(ana, "olla"), ENL_OK);
    take_all(ana, beto);
    assert_false(cell_info(ana, "olla").member);
    assert_int_equal(enl_cell_add(beto, "olla", "dora"), ENL_OK);
    assert_int_equal(enl_cell_add(beto, "olla", "ana"), ENL_OK);
    out = outgoing(ana);
    assert_int_equal(arriving(beto, ana).cell_invitations, 1);     /* a sync says so */
    assert_true(cell_info(ana, "olla").invited);
    assert_false(cell_info(ana, "olla").member);
    assert_int_equal(enl_contact_by_name(ana, "dora5", &k), ENL_ENOTFOUND);
    assert_int_equal(contacts(ana), 1);
    assert_int_equal(outgoing(ana), out);
    assert_int_equal(enl_cell_send(ana, "olla", (const uint8_t *)"hola", 4, NULL, NULL), ENL_EREFUSED);
    /* her yes makes her a member again */
    assert_int_equal(enl_cell_join(ana, "olla"), ENL_OK);
    assert_true(cell_info(ana, "olla").member);
    assert_int_equal(enl_contact_by_name(ana, "dora5", &k), ENL_OK);
    assert_true(outgoing(ana) > out);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(dora);
}

typedef struct {
    const uint8_t *sign_pk;
    size_t n;
} keys_of_ctx;

static int count_keys_of(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    keys_of_ctx *k = ctx;
    (void)seq;
    /* a sender key row: version | cell id | member sign_pk | ... */
    if (len >= 65 && memcmp(pt + 33, k->sign_pk, 32) == 0) k->n++;
    return 0;
}

static size_t sender_keys_of(enl_profile *p, enl_profile *member)
{
    keys_of_ctx k = { member->id->sign_pk, 0 };
    assert_int_equal(enl_store_row_each(p->st, "senderkeys", count_keys_of, &k), ENL_OK);
    return k.n;
}

/* ana, invited to olla, burns dora (a member, her contact too): dora's
 * sender keys of olla go, as in a cell she joined. Before, they stayed
 * while the invitation waited and after she joined: the captor's cell
 * notes were opened, refused and never carried on. */
static void test_burn_forgets_keys_of_invitation(void **state)
{
    enl_profile *ana = mkprofile("ana6"), *beto = mkprofile("beto6"), *dora = mkprofile("dora6");
    int cells = 0, failed = 0;
    (void)state;
    olla_with_dora(ana, beto, dora);
    introduce(ana, "ana", dora, "dora");
    take_all(beto, dora);
    assert_int_equal(enl_cell_join(dora, "olla"), ENL_OK);
    take_all(beto, ana);
    take_all(dora, ana);
    assert_true(cell_info(ana, "olla").invited);
    assert_true(sender_keys_of(ana, dora) > 0);
    assert_int_equal(enl_burn_local(ana, "dora", "seized", &cells, &failed), ENL_OK);
    assert_int_equal(cells, 0);         /* nothing signed for an invitation */
    assert_int_equal(sender_keys_of(ana, dora), 0);
    assert_true(sender_keys_of(ana, beto) > 0);
    enl_profile_close(ana); enl_profile_close(beto); enl_profile_close(dora);
}

typedef struct {
    int n, says_invitation, says_store_full;
} warnings_seen;

static void on_warning(void *ctx, const char *what)
{
    warnings_seen *w = ctx;
    w->n++;
    if (strstr(what, "invitation") != NULL) w->says_invitation++;
    if (strstr(what, "store is full") != NULL) w->says_store_full++;
}

/* One invitation more than wait, through a dead drop: the warning says an
 * invitation was refused, not that the store is full (it is not: the
 * warning said so before). */
static void test_refused_invitation_warning_says_why(void **state)
{
    enl_profile *ana = mkprofile("ana7"), *mal = mkprofile("mal7");
    warnings_seen w = { 0, 0, 0 };
    enl_sync_opts o = { NULL, on_warning, &w };
    enl_sync_stats st;
    char drop[256];
    (void)state;
    snprintf(drop, sizeof drop, "%s/drop7", root);
    assert_int_equal(mkdir(drop, 0700), 0);
    cells_of_mal(ana, mal, ENL_CELL_INVITES_MAX + 1);
    memset(&st, 0, sizeof st);
    assert_int_equal(enl_sync_folder(mal, drop, NULL, &st), ENL_OK);
    memset(&st, 0, sizeof st);
    assert_int_equal(enl_sync_folder(ana, drop, &o, &st), ENL_OK);
    assert_int_equal(cell_info(ana, "c0").n_invited, ENL_CELL_INVITES_MAX);
    assert_true(w.n >= 1);
    assert_int_equal(w.says_invitation, 1);
    assert_int_equal(w.says_store_full, 0);
    enl_profile_close(ana); enl_profile_close(mal);
}

/* ana joined mal's cell x and left it; mal, before hearing of it (or
 * never minding it), puts carmen, ana's contact, in x and burns her with
 * his one vouch. A cell ana is out of decides nothing on her device:
 * before, it burned carmen there, as an invitation did before 3b405e5. */
static void test_left_cell_burns_no_contact(void **state)
{
    enl_profile *ana = mkprofile("ana9"), *mal = mkprofile("mal9"), *carmen = mkprofile("carmen9");
    enl_contact k;
    (void)state;
    three_contacts(ana, mal, carmen);
    assert_int_equal(enl_cell_create(mal, "x", 1), ENL_OK);
    assert_int_equal(enl_cell_add(mal, "x", "ana"), ENL_OK);
    take_all(mal, ana);
    assert_int_equal(enl_cell_join(ana, "x"), ENL_OK);
    assert_int_equal(enl_cell_leave(ana, "x"), ENL_OK);
    assert_int_equal(enl_cell_add(mal, "x", "carmen"), ENL_OK);
    assert_int_equal(enl_cell_remove(mal, "x", "carmen", 1, "arrested"), ENL_OK);
    take_all(mal, ana);
    assert_false(cell_info(ana, "x").member);
    assert_int_equal(enl_contact_by_name(ana, "carmen", &k), ENL_OK);
    assert_false(k.burned);
    enl_profile_close(ana); enl_profile_close(mal); enl_profile_close(carmen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invitation_waits_for_join),
        cmocka_unit_test(test_declined_cell_is_forgotten),
        cmocka_unit_test(test_invitation_burns_no_contact),
        cmocka_unit_test(test_invitations_are_bounded),
        cmocka_unit_test(test_readmission_is_an_invitation),
        cmocka_unit_test(test_burn_forgets_keys_of_invitation),
        cmocka_unit_test(test_refused_invitation_warning_says_why),
        cmocka_unit_test(test_left_cell_burns_no_contact),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
