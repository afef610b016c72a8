/* Questions as stored, through the library on real profiles (white-box:
 * this file includes inquiries.c to read a question's whole id, as a
 * contact who was asked holds it): every contact
 * asked gets the same bytes, so one of them can send me the question of
 * another, under the same id. The real asker's question must stay
 * answerable: `answer --from NAME` picks it, and answers NAME's alone. */
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

#include "../../src/core/inquiries.c"
#include "cell/introduction.h"
#include "core/profile.h"
#include "core/send.h"
#include "enlace.h"
#include "note/note.h"

#define PROFILES_ROOT "/tmp/enl-inquiries-XXXXXX"
#include "profiles.h"

static int check_answered(const enl_question_info *q, void *ctx)
{
    if (strcmp(q->asker, "beto") == 0) assert_string_equal(q->answered, "unknown");
    else if (strcmp(q->asker, "mal") == 0) assert_string_equal(q->answered, "");
    else fail_msg("a question from %s", q->asker);
    (*(int *)ctx)++;
    return 0;
}

static void test_forwarded_question(void **state)
{
    enl_profile *ana = mkprofile("ana"), *beto = mkprofile("beto"), *mal = mkprofile("mal"),
                *eli = mkprofile("eli");
    enl_profile *all[3] = { beto, mal, ana };
    uint8_t body[ENL_INQUIRY_MAXBYTES];
    char *card = NULL, full[2 * ENL_INQ_IDBYTES + 1];
    enl_inquiry q;
    enl_card c;
    size_t n = 0;
    int answers = 0;
    (void)state;

    introduce(ana, "ana", beto, "beto");
    introduce(ana, "ana", mal, "mal");
    introduce(beto, "beto", mal, "mal");
    assert_int_equal(enl_profile_card(eli, &card), ENL_OK);
    assert_int_equal(enl_card_parse(&c, card, strlen(card), 0), ENL_OK);
    /* beto asks ana and mal about eli (what enl_ask sends each) */
    memset(&q, 0, sizeof q);
    randombytes_buf(q.id, sizeof q.id);
    enl_subject_keys(&q.subject, c.sign_pk, c.dh_pk);
    assert_int_equal(enl_inquiry_encode(body, &n, &q), ENL_OK);
    seal_body(beto, "ana", ENL_KIND_INQUIRY, body, n);
    seal_body(beto, "mal", ENL_KIND_INQUIRY, body, n);
    /* mal sends ana the same bytes */
    seal_body(mal, "ana", ENL_KIND_INQUIRY, body, n);
    exchange(all, 3);

    sodium_bin2hex(full, sizeof full, q.id, ENL_INQ_IDBYTES);
    /* Without --from: refused, and told how to choose. */
    assert_int_equal(enl_answer(ana, full, NULL, ENL_VERDICT_UNKNOWN, NULL), ENL_EINVAL);
    assert_non_null(strstr(enl_profile_errmsg(ana), "--from"));
    /* With it: answered, and the answer reaches beto (and only him). */
    assert_int_equal(enl_answer(ana, full, "beto", ENL_VERDICT_UNKNOWN, NULL), ENL_OK);
    assert_int_equal(enl_answer(ana, full, "nadie", ENL_VERDICT_UNKNOWN, NULL), ENL_ENOTFOUND);
    /* beto's question is the one answered; mal's copy is not */
    assert_int_equal(enl_questions_each(ana, check_answered, &answers), ENL_OK);
    assert_int_equal(answers, 2);

    free(card);
    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(mal);
    enl_profile_close(eli);
}

static int count_answers(const enl_answer_info *a, void *ctx)
{
    (void)a;
    (*(int *)ctx)++;
    return 0;
}

static int first_question(const enl_question_info *q, void *ctx)
{
    snprintf(ctx, ENL_SHORTID_STRBYTES, "%s", q->id);
    return 1;
}

/* Only the contacts asked answer: one who was not asked (here, not verified
 * when the question went out), given the inquiry's bytes by one who was, is
 * not counted as one more voice. */
static void test_answer_from_one_not_asked(void **state)
{
    enl_profile *dora = mkprofile("dora"), *fina = mkprofile("fina"), *gil = mkprofile("gil"),
                *hugo = mkprofile("hugo");
    enl_profile *all[3] = { dora, fina, gil };
    char *card = NULL, id[ENL_SHORTID_STRBYTES], short_id[ENL_SHORTID_STRBYTES] = "";
    uint8_t body[ENL_ANSWER_MAXBYTES];
    size_t n = 0;
    unsigned asked = 0;
    int answers = 0;
    enl_answer_msg a;
    enl_card c;
    (void)state;

    introduce(dora, "dora", fina, "fina");
    introduce(dora, "dora", gil, "gil");
    introduce(fina, "fina", gil, "gil");
    assert_int_equal(enl_contact_verify(dora, "fina"), ENL_OK);
    assert_int_equal(enl_profile_card(hugo, &card), ENL_OK);
    assert_int_equal(enl_ask(dora, card, NULL, &asked, id), ENL_OK);
    assert_int_equal(asked, 1);                 /* fina; gil is not verified */
    exchange(all, 3);
    assert_int_equal(enl_questions_each(fina, first_question, short_id), ENL_OK);
    assert_string_equal(short_id, id);

    /* fina hands gil the inquiry (its id and subject): gil answers dora */
    {
        row_list l;
        assert_int_equal(list_load(fina, ROW_QUESTION, &l), ENL_OK);
        assert_int_equal(l.n, 1);
        memset(&a, 0, sizeof a);
        memcpy(a.id, l.v[0].q.id, ENL_INQ_IDBYTES);
        a.subject = l.v[0].q.subject;
        enl_free_wiped(l.v, l.cap * sizeof *l.v);
    }
    assert_int_equal(enl_card_parse(&c, card, strlen(card), 0), ENL_OK);
    a.verdict = ENL_VERDICT_WARN;
    snprintf(a.text, sizeof a.text, "do not trust him");
    assert_int_equal(enl_answer_make(body, &n, &a, gil->id), ENL_OK);
    seal_body(gil, "dora", ENL_KIND_ANSWER, body, n);
    /* fina, who was asked, answers too */
    assert_int_equal(enl_answer(fina, id, NULL, ENL_VERDICT_UNKNOWN, NULL), ENL_OK);
    exchange(all, 3);

    assert_int_equal(enl_answers_each(dora, count_answers, &answers), ENL_OK);
    assert_int_equal(answers, 1);

    free(card);
    enl_profile_close(dora);
    enl_profile_close(fina);
    enl_profile_close(gil);
    enl_profile_close(hugo);
}

static int count_q(const enl_question_info *q, void *ctx)
{
    (void)q;
    (*(int *)ctx)++;
    return 0;
}

static int count_intro(const enl_introduction_info *i, void *ctx)
{
    (void)i;
    (*(int *)ctx)++;
    return 0;
}

/* A contact who turns cannot grow the store without end: questions and
 * introductions waiting for an answer are capped per contact; the next
 * ones wait (they are taken at a later sync once some are answered). */
static void test_pending_caps(void **state)
{
    enl_profile *iris = mkprofile("iris"), *juan = mkprofile("juan"), *kai = mkprofile("kai");
    enl_profile *all[2] = { iris, juan };
    char *card = NULL, id_hex[2 * ENL_INQ_IDBYTES + 1];
    uint8_t body[ENL_INTRO_MAXBYTES];
    enl_card c;
    size_t n;
    int count = 0;
    (void)state;

    introduce(iris, "iris", juan, "juan");
    assert_int_equal(enl_profile_card(kai, &card), ENL_OK);
    assert_int_equal(enl_card_parse(&c, card, strlen(card), 0), ENL_OK);
    for (int i = 0; i < UNANSWERED_PER_ASKER + 8; i++) {
        enl_inquiry q;
        char note[16];
        memset(&q, 0, sizeof q);
        randombytes_buf(q.id, sizeof q.id);
        enl_subject_keys(&q.subject, c.sign_pk, c.dh_pk);
        assert_int_equal(enl_inquiry_encode(body, &n, &q), ENL_OK);
        seal_body(juan, "iris", ENL_KIND_INQUIRY, body, n);
        snprintf(note, sizeof note, "n%d", i);
        assert_int_equal(enl_intro_make(body, &n, iris->id->sign_pk, card, strlen(card), note,
                                        juan->id), ENL_OK);
        seal_body(juan, "iris", ENL_KIND_INTRODUCTION, body, n);
    }
    exchange(all, 2);
    assert_int_equal(enl_questions_each(iris, count_q, &count), ENL_OK);
    assert_int_equal(count, UNANSWERED_PER_ASKER);
    count = 0;
    assert_int_equal(enl_introductions_each(iris, count_intro, &count), ENL_OK);
    assert_int_equal(count, 32);

    /* one answered: one more question is taken at the next sync */
    {
        row_list l;
        assert_int_equal(list_load(iris, ROW_QUESTION, &l), ENL_OK);
        sodium_bin2hex(id_hex, sizeof id_hex, l.v[0].q.id, ENL_INQ_IDBYTES);
        enl_free_wiped(l.v, l.cap * sizeof *l.v);
    }
    assert_int_equal(enl_answer(iris, id_hex, NULL, ENL_VERDICT_UNKNOWN, NULL), ENL_OK);
    exchange(all, 2);
    count = 0;
    assert_int_equal(enl_questions_each(iris, count_q, &count), ENL_OK);
    assert_int_equal(count, UNANSWERED_PER_ASKER + 1);

    free(card);
    enl_profile_close(iris);
    enl_profile_close(juan);
    enl_profile_close(kai);
}

static int grab_answer(const enl_answer_info *a, void *ctx)
{
    *(enl_answer_info *)ctx = *a;
    return 1;
}

/* An answer is signed to convince: once its answerer's keys are burned,
 * the signature may be the work of whoever took them, and the listing says
 * so instead of showing a plain verdict. */
static void test_answer_of_burned_contact(void **state)
{
    enl_profile *lia = mkprofile("lia"), *max = mkprofile("max"), *noa = mkprofile("noa");
    enl_profile *all[2] = { lia, max };
    char *card = NULL, id[ENL_SHORTID_STRBYTES];
    unsigned asked = 0;
    enl_answer_info a;
    (void)state;

    introduce(lia, "lia", max, "max");
    assert_int_equal(enl_contact_verify(lia, "max"), ENL_OK);
    assert_int_equal(enl_profile_card(noa, &card), ENL_OK);
    assert_int_equal(enl_ask(lia, card, NULL, &asked, id), ENL_OK);
    exchange(all, 2);
    assert_int_equal(enl_answer(max, id, NULL, ENL_VERDICT_WARN, "do not trust her"), ENL_OK);
    exchange(all, 2);

    memset(&a, 0, sizeof a);
    assert_int_equal(enl_answers_each(lia, grab_answer, &a), ENL_OK);
    assert_string_equal(a.from, "max");
    assert_int_equal(a.burned, 0);

    assert_int_equal(enl_burn_local(lia, "max", "seized", NULL, NULL), ENL_OK);
    memset(&a, 0, sizeof a);
    assert_int_equal(enl_answers_each(lia, grab_answer, &a), ENL_OK);
    assert_string_equal(a.from, "max");
    assert_int_equal(a.burned, 1);

    free(card);
    enl_profile_close(lia);
    enl_profile_close(max);
    enl_profile_close(noa);
}

/* A card copied back from paper in capitals is the same card (its base32
 * forgives case, and `contact add` takes it): `ask` used to refuse it as
 * neither a card nor a fingerprint. */
static void test_card_in_capitals(void **state)
{
    enl_profile *ines = mkprofile("ines7"), *juan = mkprofile("juan7"), *kai = mkprofile("kai7");
    char *card = NULL, id[ENL_SHORTID_STRBYTES];
    unsigned asked = 0;
    (void)state;

    introduce(ines, "ines7", juan, "juan7");
    assert_int_equal(enl_contact_verify(ines, "juan7"), ENL_OK);
    assert_int_equal(enl_profile_card(kai, &card), ENL_OK);
    for (char *c = card; *c; c++)
        if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
    assert_int_equal(enl_ask(ines, card, NULL, &asked, id), ENL_OK);
    assert_int_equal(asked, 1);
    free(card);
    enl_profile_close(ines);
    enl_profile_close(juan);
    enl_profile_close(kai);
}

/* One answer per answerer is kept, the latest: an answer given again with
 * another verdict replaces the first. The sync counted it as one more new
 * answer ("2 new answers" from one contact); it is now named a changed
 * answer, and the same answer again is not counted at all. */
static void test_an_answer_again_is_not_a_new_one(void **state)
{
    enl_profile *oto = mkprofile("oto"), *pia = mkprofile("pia"), *quim = mkprofile("quim");
    enl_profile *all[2] = { oto, pia };
    char *card = NULL, id[ENL_SHORTID_STRBYTES];
    unsigned asked = 0;
    enl_sync_stats st;
    enl_answer_info a;
    (void)state;

    introduce(oto, "oto", pia, "pia");
    assert_int_equal(enl_contact_verify(oto, "pia"), ENL_OK);
    assert_int_equal(enl_profile_card(quim, &card), ENL_OK);
    assert_int_equal(enl_ask(oto, card, NULL, &asked, id), ENL_OK);
    exchange(all, 2);

    assert_int_equal(enl_answer(pia, id, NULL, ENL_VERDICT_UNKNOWN, NULL), ENL_OK);
    st = arriving(pia, oto);
    assert_int_equal(st.answers, 1);
    assert_int_equal(st.answers_replaced, 0);

    /* pia thinks again */
    assert_int_equal(enl_answer(pia, id, NULL, ENL_VERDICT_WARN, "his card came from a seized phone"),
                     ENL_OK);
    st = arriving(pia, oto);
    assert_int_equal(st.answers, 0);
    assert_int_equal(st.answers_replaced, 1);
    memset(&a, 0, sizeof a);
    assert_int_equal(enl_answers_each(oto, grab_answer, &a), ENL_OK);
    assert_string_equal(a.from, "pia");
    assert_string_equal(a.verdict, "warn");

    /* and says the very same again: nothing new */
    assert_int_equal(enl_answer(pia, id, NULL, ENL_VERDICT_WARN, "his card came from a seized phone"),
                     ENL_OK);
    st = arriving(pia, oto);
    assert_int_equal(st.answers, 0);
    assert_int_equal(st.answers_replaced, 0);
    assert_int_equal(st.other_notes, 1);        /* it did arrive */

    free(card);
    enl_profile_close(oto);
    enl_profile_close(pia);
    enl_profile_close(quim);
}

/* An introduction made twice is the same bytes, kept once: the sync said
 * "1 new introduction" each time it came; only the first is new. */
static void test_an_introduction_again_is_not_a_new_one(void **state)
{
    enl_profile *rut = mkprofile("rut"), *sol = mkprofile("sol"), *teo = mkprofile("teo");
    enl_sync_stats st;
    (void)state;

    introduce(rut, "rut", sol, "sol");
    introduce(rut, "rut", teo, "teo");
    assert_int_equal(enl_introduce(rut, "sol", "teo", "from the kitchen"), ENL_OK);
    st = arriving(rut, sol);
    assert_int_equal(st.introductions, 1);

    assert_int_equal(enl_introduce(rut, "sol", "teo", "from the kitchen"), ENL_OK);
    st = arriving(rut, sol);
    assert_int_equal(st.introductions, 0);
    assert_int_equal(st.other_notes, 1);        /* it did arrive */

    enl_profile_close(rut);
    enl_profile_close(sol);
    enl_profile_close(teo);
}

/* A fingerprint a few places off a contact's is that contact's, mistyped:
 * `ask` sent it as typed to every verified contact, about a key nobody
 * holds, and every answer said "unknown" about someone they know. It is
 * refused, naming the contact, and nothing is asked; the contact's own
 * fingerprint, and a stranger's, are asked about. */
static void test_fingerprint_near_a_contact(void **state)
{
    enl_profile *uma = mkprofile("uma8"), *val = mkprofile("val8"), *wen = mkprofile("wen8"),
                *xia = mkprofile("xia8");
    char *card = NULL, fp[ENL_FINGERPRINT_STRBYTES], typo[ENL_FINGERPRINT_STRBYTES + 1];
    char id[ENL_SHORTID_STRBYTES];
    unsigned asked = 0;
    (void)state;

    introduce(uma, "uma8", val, "val8");
    assert_int_equal(enl_contact_verify(uma, "val8"), ENL_OK);
    assert_int_equal(enl_profile_card(wen, &card), ENL_OK);
    assert_int_equal(enl_contact_add(uma, card, "wen8", NULL), ENL_OK);
    free(card);
    assert_int_equal(enl_profile_fingerprint(wen, fp), ENL_OK);

    snprintf(typo, sizeof typo, "%s", fp);
    typo[0] = typo[0] == 'z' ? 'y' : 'z';
    typo[10] = typo[10] == 'z' ? 'y' : 'z';
    assert_int_equal(enl_ask(uma, typo, NULL, &asked, id), ENL_EINVAL);
    assert_non_null(strstr(enl_profile_errmsg(uma), "differs from wen8's in 2 places"));
    assert_non_null(strstr(enl_profile_errmsg(uma), "nothing was asked"));
    assert_int_equal(asked, 0);
    /* one character left out: no fingerprint, but the same contact's */
    snprintf(typo, sizeof typo, "%s", fp + 1);
    assert_int_equal(enl_ask(uma, typo, NULL, &asked, id), ENL_EINVAL);
    assert_non_null(strstr(enl_profile_errmsg(uma), "differs from wen8's in 1 place:"));
    assert_int_equal(asked, 0);

    assert_int_equal(enl_ask(uma, fp, NULL, &asked, id), ENL_OK);
    assert_int_equal(asked, 1);
    /* a contact of the longest name: the message was cut at 255 bytes,
     * before it said that nothing was asked */
    {
        enl_profile *yan = mkprofile("yan8");
        char longname[ENL_NAME_MAX + 1];
        memset(longname, 'y', ENL_NAME_MAX);
        longname[ENL_NAME_MAX] = '\0';
        assert_int_equal(enl_profile_card(yan, &card), ENL_OK);
        assert_int_equal(enl_contact_add(uma, card, longname, NULL), ENL_OK);
        free(card);
        assert_int_equal(enl_profile_fingerprint(yan, typo), ENL_OK);
        typo[3] = typo[3] == 'z' ? 'y' : 'z';
        assert_int_equal(enl_ask(uma, typo, NULL, &asked, id), ENL_EINVAL);
        assert_non_null(strstr(enl_profile_errmsg(uma), "; nothing was asked"));
        enl_profile_close(yan);
    }
    asked = 0;
    assert_int_equal(enl_profile_fingerprint(xia, fp), ENL_OK);
    assert_int_equal(enl_ask(uma, fp, NULL, &asked, id), ENL_OK);
    assert_int_equal(asked, 1);
    enl_profile_close(uma);
    enl_profile_close(val);
    enl_profile_close(wen);
    enl_profile_close(xia);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pending_caps),
        cmocka_unit_test(test_forwarded_question),
        cmocka_unit_test(test_answer_from_one_not_asked),
        cmocka_unit_test(test_answer_of_burned_contact),
        cmocka_unit_test(test_card_in_capitals),
        cmocka_unit_test(test_an_answer_again_is_not_a_new_one),
        cmocka_unit_test(test_an_introduction_again_is_not_a_new_one),
        cmocka_unit_test(test_fingerprint_near_a_contact),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
