/* Contacts as stored, through the library on real profiles: a burned
 * contact stays burned. A change to a contact (verify, an address, a
 * refreshed card) reads the row and writes it back; when another process
 * burns the contact in between, the copy read before must not be written
 * over the burn, or the burned keys would be sealed to again.
 *
 * The other process is a second handle on the same profile (its own
 * SQLite connection), holding the write lock while the change runs in a
 * thread: the change reads what is committed, then waits for the lock,
 * and the burn commits meanwhile. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/profile.h"
#include "crypto/identity.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-contacts-XXXXXX"
#include "profiles.h"

static enl_profile *reopen(const char *name)
{
    char home[256];
    enl_profile *p = NULL;
    snprintf(home, sizeof home, "%s/%s", root, name);
    assert_int_equal(enl_profile_open(&p, home, "pw", 2), ENL_OK);
    return p;
}

static char *card_of(enl_profile *p)
{
    char *card = NULL;
    assert_int_equal(enl_profile_card(p, &card), ENL_OK);
    return card;
}

typedef struct {
    enl_profile *p;
    const char *name;
    const char *card;   /* the change: refresh with this card, else ... */
    int address;        /* ... set an address, else verify */
    int rc;
} change;

static void *run_change(void *arg)
{
    change *c = arg;
    if (c->card != NULL) c->rc = enl_contact_add(c->p, c->card, c->name, NULL);
    else if (c->address) c->rc = enl_contact_set_address(c->p, c->name, "tcp://127.0.0.1:9");
    else c->rc = enl_contact_verify(c->p, c->name);
    return NULL;
}

/* Burns `name` through `burner` while `ch` runs on another handle. */
static void race(enl_profile *burner, change *ch)
{
    struct timespec wait = { 0, 400 * 1000 * 1000 };
    pthread_t t;
    int cells = 0;

    assert_int_equal(enl_store_begin(burner->st), ENL_OK);    /* the write lock */
    assert_int_equal(pthread_create(&t, NULL, run_change, ch), 0);
    nanosleep(&wait, NULL);     /* the change has read, and waits for the lock */
    assert_int_equal(enl_burn_local(burner, ch->name, "taken", &cells, NULL), ENL_OK);
    assert_int_equal(enl_store_commit(burner->st), ENL_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    /* a burned contact's own card, handed over again, is refused, and so is
     * a verify of their keys (README) */
    assert_int_equal(ch->rc, ch->card != NULL || !ch->address ? ENL_EREFUSED : ENL_OK);
}

static void test_burn_is_not_undone(void **state)
{
    enl_profile *ana = mkprofile("ana"), *people[3];
    const char *names[3] = { "beto", "carla", "dario" };
    char *cards[3];
    enl_profile *other;
    (void)state;

    for (int i = 0; i < 3; i++) {
        people[i] = mkprofile(names[i]);
        cards[i] = card_of(people[i]);
        assert_int_equal(enl_contact_add(ana, cards[i], names[i], NULL), ENL_OK);
    }
    other = reopen("ana");

    for (int i = 0; i < 3; i++) {
        change ch = { other, names[i], i == 2 ? cards[i] : NULL, i == 1, -1 };
        enl_contact_info info;
        race(ana, &ch);
        assert_int_equal(enl_contact_get(ana, names[i], &info), ENL_OK);
        if (!info.burned) fail_msg("%s was burned, and a %s made it unburned", names[i],
                                   i == 0 ? "verify" : i == 1 ? "new address" : "refreshed card");
        /* and nothing is sealed to the burned keys */
        assert_int_equal(enl_send_text(ana, names[i], (const uint8_t *)"hola", 4, NULL, NULL),
                         ENL_EREFUSED);
    }

    for (int i = 0; i < 3; i++) {
        free(cards[i]);
        enl_profile_close(people[i]);
    }
    enl_profile_close(other);
    enl_profile_close(ana);
}

/* `contact verify` of a burned contact said "beto is verified": whoever
 * holds the burned keys now shows the same safety number, and the user who
 * checks it against a captor's screen must not be told the keys are good.
 * It is refused, saying they are burned and why, and nothing is marked. */
static void test_burned_contact_is_not_verified(void **state)
{
    enl_profile *ana = mkprofile("ana_v"), *beto = mkprofile("beto_v");
    char *card = card_of(beto);
    enl_contact_info info;
    int cells = 0;
    (void)state;
    assert_int_equal(enl_contact_add(ana, card, "beto", NULL), ENL_OK);
    assert_int_equal(enl_burn_local(ana, "beto", "arrested 12 May", &cells, NULL), ENL_OK);
    assert_int_equal(enl_contact_verify(ana, "beto"), ENL_EREFUSED);
    assert_non_null(strstr(enl_profile_errmsg(ana), "burned"));
    assert_non_null(strstr(enl_profile_errmsg(ana), "arrested 12 May"));
    assert_int_equal(enl_contact_get(ana, "beto", &info), ENL_OK);
    assert_false(info.verified);
    assert_true(info.burned);
    free(card);
    enl_profile_close(beto);
    enl_profile_close(ana);
}

static int count_contact(const enl_contact_info *c, void *ctx)
{
    (void)c;
    (*(int *)ctx)++;
    return 0;
}

/* A card's text may carry separators anywhere (they are forgiven when it is
 * read back from paper), so it may be of any length: it is kept as the one
 * text of its bytes. Kept as handed over and cut to the row's size, it no
 * longer parsed, and every list of the contacts (status, inbox, send) failed
 * from then on. */
static void test_padded_card(void **state)
{
    enl_profile *eva = mkprofile("eva"), *fede = mkprofile("fede"), *gala = mkprofile("gala");
    char *card = card_of(fede), *card2 = card_of(gala), *padded;
    size_t n = strlen(card);
    enl_contact_info info;
    int count = 0;
    (void)state;

    padded = malloc(n + 2000);
    assert_non_null(padded);
    memcpy(padded, "enlace1", 7);
    memset(padded + 7, '-', 1500);
    memcpy(padded + 7 + 1500, card + 7, n - 7 + 1);
    assert_int_equal(enl_contact_add(eva, padded, "fede", NULL), ENL_OK);
    /* upper case and grouped, as someone copying it by hand might write it */
    for (size_t i = 0; card2[i]; i++)
        if (card2[i] >= 'a' && card2[i] <= 'z') card2[i] = (char)(card2[i] - 'a' + 'A');
    assert_int_equal(enl_contact_add(eva, card2, "gala", NULL), ENL_OK);

    assert_int_equal(enl_contact_each(eva, count_contact, &count), ENL_OK);
    assert_int_equal(count, 2);
    assert_int_equal(enl_contact_get(eva, "fede", &info), ENL_OK);
    assert_int_equal(enl_send_text(eva, "fede", (const uint8_t *)"hola", 4, NULL, NULL), ENL_OK);
    assert_int_equal(enl_send_text(eva, "gala", (const uint8_t *)"hola", 4, NULL, NULL), ENL_OK);

    free(padded);
    free(card);
    free(card2);
    enl_profile_close(eva);
    enl_profile_close(fede);
    enl_profile_close(gala);
}

/* A card that comes through an introduction or a cell gets the name it
 * was given there, or name.2, name.3... when that is taken; a long name was
 * cut in the middle of a UTF-8 character to fit ".2", and the card then
 * refused as badly named. */
static void test_free_name_keeps_utf8_whole(void **state)
{
    enl_profile *lola = mkprofile("lola"), *a = mkprofile("mara"), *b = mkprofile("nico");
    char name[ENL_NAME_MAX + 1] = "a", *card = NULL;
    enl_contact got;
    (void)state;

    for (int i = 0; i < 31; i++) strcat(name, "\xc3\xb1");    /* 63 bytes: a and 31 enes */
    assert_int_equal(enl_profile_card(a, &card), ENL_OK);
    assert_int_equal(enl_contact_add(lola, card, name, NULL), ENL_OK);
    free(card);
    assert_int_equal(enl_profile_card(b, &card), ENL_OK);
    assert_int_equal(enl_contact_add_via(lola, card, name, "introduced by test", &got), ENL_OK);
    free(card);
    assert_int_equal(strlen(got.name), 1 + 30 * 2 + 2);       /* 30 enes whole, then ".2" */
    assert_string_equal(got.name + strlen(got.name) - 2, ".2");
    enl_profile_close(lola);
    enl_profile_close(a);
    enl_profile_close(b);
}

/* 99 contacts already named ana, ana.2 ... ana.99 (people met through
 * cells and introductions who all call themselves ana): the 100th ana
 * was refused as "name taken", so a cell member's card was never kept
 * and nothing could be sealed to them. She now gets a name of her own. */
static void test_hundredth_ana_gets_a_name(void **state)
{
    enl_profile *rosa = mkprofile("rosa");
    enl_contact got;
    char text[4096], seen[100][ENL_NAME_MAX + 1];
    (void)state;

    for (int i = 0; i < 100; i++) {
        enl_identity id;
        assert_int_equal(enl_identity_generate(&id, (uint64_t)time(NULL)), ENL_OK);
        assert_int_equal(enl_card_make(text, sizeof text, &id, "ana", NULL, (uint64_t)time(NULL)), ENL_OK);
        enl_identity_wipe(&id);
        assert_int_equal(enl_contact_add_via(rosa, text, "ana", "introduced by test", &got), ENL_OK);
        snprintf(seen[i], sizeof seen[i], "%s", got.name);
        for (int j = 0; j < i; j++) assert_string_not_equal(seen[i], seen[j]);
    }
    assert_string_equal(seen[98], "ana.99");
    assert_int_equal(strncmp(seen[99], "ana.", 4), 0);
    assert_int_equal(strlen(seen[99]), 4 + 16);     /* ana. and 16 hex digits of her fingerprint */
    enl_profile_close(rosa);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burn_is_not_undone),
        cmocka_unit_test(test_burned_contact_is_not_verified),
        cmocka_unit_test(test_padded_card),
        cmocka_unit_test(test_free_name_keeps_utf8_whole),
        cmocka_unit_test(test_hundredth_ana_gets_a_name),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
