/* Questions as stored, through the library on real profiles: every contact
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

#include "cell/introduction.h"
#include "core/profile.h"
#include "core/send.h"
#include "enlace.h"
#include "note/note.h"

#define PROFILES_ROOT "/tmp/enl-inquiries-XXXXXX"
#include "profiles.h"

static void send_body(enl_profile *from, const char *to, uint8_t kind, const uint8_t *b, size_t n)
{
    enl_contact k;
    assert_int_equal(enl_contact_by_name(from, to, &k), ENL_OK);
    assert_int_equal(enl_store_begin(from->st), ENL_OK);
    assert_int_equal(enl_seal_kind(from, &k, kind, b, n, NULL, NULL), ENL_OK);
    assert_int_equal(enl_store_commit(from->st), ENL_OK);
}

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
    send_body(beto, "ana", ENL_KIND_INQUIRY, body, n);
    send_body(beto, "mal", ENL_KIND_INQUIRY, body, n);
    /* mal sends ana the same bytes */
    send_body(mal, "ana", ENL_KIND_INQUIRY, body, n);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forwarded_question),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
