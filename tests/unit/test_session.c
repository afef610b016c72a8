/* Sessions as stored, through the library on real profiles: an old copy of
 * a session is never saved over the state that has sealed since (a message
 * key would seal twice) or opened since (used keys would come back), while
 * the same state, and a new session for the same peer, are saved as
 * always. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/profile.h"
#include "core/session.h"
#include "enlace.h"

#define PROFILES_ROOT "/tmp/enl-session-XXXXXX"
#include "profiles.h"

static int save_in_tx(enl_profile *p, const enl_session *s)
{
    int rc = enl_store_begin(p->st);
    if (rc != ENL_OK) return rc;
    rc = enl_session_save(p, s);
    if (rc == ENL_OK) return enl_store_commit(p->st);
    enl_store_rollback(p->st);
    return rc;
}

static void test_old_copy_is_refused(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto");
    enl_session *old = sodium_malloc(sizeof *old), *now = sodium_malloc(sizeof *now);
    enl_contact c;
    uint8_t h[32];
    (void)state;
    assert_non_null(old);
    assert_non_null(now);
    introduce(ana, "ana", beto, "beto");
    assert_int_equal(enl_send_text(ana, "beto", (const uint8_t *)"uno", 3, NULL, NULL), ENL_OK);
    assert_int_equal(enl_contact_by_name(ana, "beto", &c), ENL_OK);
    enl_session_key(ana, c.card.dh_pk, 1, h);   /* ana started it */
    assert_int_equal(enl_session_load(ana, h, old), ENL_OK);

    /* The same state saves as before. */
    assert_int_equal(save_in_tx(ana, old), ENL_OK);

    /* Ana seals once more: the copy loaded before is now behind. */
    assert_int_equal(enl_send_text(ana, "beto", (const uint8_t *)"dos", 3, NULL, NULL), ENL_OK);
    assert_int_equal(enl_session_load(ana, h, now), ENL_OK);
    assert_true(now->r.ns == old->r.ns + 1);
    assert_int_equal(save_in_tx(ana, old), ENL_ESTORE);
    assert_non_null(strstr(enl_profile_errmsg(ana), "message key would seal twice"));
    assert_int_equal(enl_session_load(ana, h, old), ENL_OK);
    assert_true(old->r.ns == now->r.ns);            /* nothing was written */

    /* A DH step fewer is behind too, whatever its count of notes. */
    old->r.step = now->r.step;
    old->r.ns = now->r.ns + 100;
    now->r.step++;
    now->r.ns = 0;
    assert_int_equal(save_in_tx(ana, now), ENL_OK);
    assert_int_equal(save_in_tx(ana, old), ENL_ESTORE);

    /* A new session for the same peer (another ephemeral key) replaces it. */
    old->ek_pub[0] ^= 1;
    old->r.step = 0;
    old->r.ns = 0;
    assert_int_equal(save_in_tx(ana, old), ENL_OK);

    sodium_free(old);
    sodium_free(now);
    enl_profile_close(ana);
    enl_profile_close(beto);
}

/* Every note each holds goes through a dead drop to the other. */
static void carry(enl_profile *from, enl_profile *to)
{
    char drop[256];
    enl_sync_stats st;
    snprintf(drop, sizeof drop, "%s/drop", root);
    (void)mkdir(drop, 0700);
    assert_int_equal(enl_sync_folder(from, drop, NULL, &st), ENL_OK);
    assert_int_equal(enl_sync_folder(to, drop, NULL, &st), ENL_OK);
}

static void test_old_receiving_copy_is_refused(void **state)
{
    enl_profile *carla = mkprofile("carla"), *dario = mkprofile("dario");
    enl_session *old = sodium_malloc(sizeof *old), *now = sodium_malloc(sizeof *now);
    enl_contact c;
    uint8_t h[32];
    (void)state;
    assert_non_null(old);
    assert_non_null(now);
    introduce(carla, "carla", dario, "dario");
    assert_int_equal(enl_send_text(carla, "dario", (const uint8_t *)"uno", 3, NULL, NULL), ENL_OK);
    carry(carla, dario);
    assert_int_equal(enl_send_text(dario, "carla", (const uint8_t *)"r1", 2, NULL, NULL), ENL_OK);
    carry(dario, carla);
    assert_int_equal(enl_contact_by_name(carla, "dario", &c), ENL_OK);
    enl_session_key(carla, c.card.dh_pk, 1, h);
    assert_int_equal(enl_session_load(carla, h, old), ENL_OK);

    /* Carla opens one more note of the same chain: nothing sealed, one key used. */
    assert_int_equal(enl_send_text(dario, "carla", (const uint8_t *)"r2", 2, NULL, NULL), ENL_OK);
    carry(dario, carla);
    assert_int_equal(enl_session_load(carla, h, now), ENL_OK);
    assert_true(now->r.step == old->r.step && now->r.ns == old->r.ns);
    assert_true(now->r.nr == old->r.nr + 1);
    assert_int_equal(save_in_tx(carla, old), ENL_ESTORE);
    assert_int_equal(save_in_tx(carla, now), ENL_OK);

    sodium_free(old);
    sodium_free(now);
    enl_profile_close(carla);
    enl_profile_close(dario);
}

/* a and b introduced, and a message each way read: what a sends next are
 * bare ratchet notes of one session. */
static void talking(enl_profile *a, const char *an, enl_profile *b, const char *bn)
{
    introduce(a, an, b, bn);
    assert_int_equal(enl_send_text(a, bn, (const uint8_t *)"uno", 3, NULL, NULL), ENL_OK);
    carry(a, b);
    assert_int_equal(enl_send_text(b, an, (const uint8_t *)"r1", 2, NULL, NULL), ENL_OK);
    carry(b, a);
}

/* A note of a session that cannot be read yet (opening it would make the
 * ratchet give up skipped keys that notes still on their way need) is
 * for this profile: `enlace open` used to call it "not for this profile". */
static void test_peek_says_a_note_comes_too_early(void **state)
{
    enum { SENT = 320, STEP = 31 };
    enl_profile *elsa = mkprofile("elsa"), *fito = mkprofile("fito");
    uint8_t (*ids)[ENL_IDBYTES] = calloc(SENT, ENL_IDBYTES), *note = NULL;
    size_t len = 0;
    int held = -1;
    (void)state;
    assert_non_null(ids);
    talking(elsa, "elsa", fito, "fito");
    for (int i = 0; i < SENT; i++)
        assert_int_equal(enl_send_text(elsa, "fito", (const uint8_t *)"x", 1, NULL, ids[i]), ENL_OK);
    /* each note the last the window recognises: 30 keys skipped a time,
     * until one more would pass the session's 256 */
    for (int i = STEP - 1; i < SENT && held < 0; i += STEP) {
        enl_sync_stats st;
        memset(&st, 0, sizeof st);
        assert_int_equal(enl_note_get(elsa, ids[i], &note, &len), ENL_OK);
        assert_int_equal(enl_note_intake(fito, note, len, &st), ENL_OK);
        if (st.delivered == 0) held = i;
        else free(note);
    }
    assert_true(held > 0);
    assert_int_equal(enl_note_peek(fito, note, len, NULL, NULL), ENL_ETOOBIG);
    assert_non_null(strstr(enl_profile_errmsg(fito), "ahead of the notes before it"));
    free(note);
    free(ids);
    enl_profile_close(elsa);
    enl_profile_close(fito);
}

/* A note that came too far ahead is held, and read once the notes before
 * it come: in one sync it was counted twice, when it came and when it was
 * read ("received 41 notes" for 40). */
static void test_held_note_counts_once(void **state)
{
    enum { SENT = 40 };
    enl_profile *gala = mkprofile("gala"), *hugo = mkprofile("hugo");
    uint8_t (*ids)[ENL_IDBYTES] = calloc(SENT, ENL_IDBYTES), *note = NULL;
    enl_sync_stats st;
    size_t len = 0;
    (void)state;
    assert_non_null(ids);
    talking(gala, "gala", hugo, "hugo");
    for (int i = 0; i < SENT; i++)
        assert_int_equal(enl_send_text(gala, "hugo", (const uint8_t *)"x", 1, NULL, ids[i]), ENL_OK);
    /* the last first, as a sync might bring it: beyond the window, held */
    memset(&st, 0, sizeof st);
    for (int k = 0; k < SENT; k++) {
        int i = k == 0 ? SENT - 1 : k - 1;
        assert_int_equal(enl_note_get(gala, ids[i], &note, &len), ENL_OK);
        (void)enl_note_intake(hugo, note, len, &st);
        free(note);
        if (k == 0) assert_int_equal(st.notes_received, 1);
    }
    assert_int_equal(st.delivered, SENT);
    assert_int_equal(st.from_held, 1);
    assert_int_equal(enl_sync_received(&st), SENT);
    free(ids);
    enl_profile_close(gala);
    enl_profile_close(hugo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_old_copy_is_refused),
        cmocka_unit_test(test_old_receiving_copy_is_refused),
        cmocka_unit_test(test_peek_says_a_note_comes_too_early),
        cmocka_unit_test(test_held_note_counts_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
