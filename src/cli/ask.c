/* enlace ask, questions, answer, answers: asking verified contacts whether
 * they know a key, and their signed answers. */
#include <getopt.h>
#include <string.h>

#include "cli/commands.h"

typedef struct {
    int json;
    int n;
} out_ctx;

int cmd_ask(int argc, char **argv)
{
    static const struct option opts[] = {
        { "note", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *note = NULL, *who;
    enl_profile *p;
    char id[ENL_SHORTID_STRBYTES], fp[ENL_FINGERPRINT_STRBYTES];
    unsigned asked = 0;
    int c, ex = 0, rc;
    while ((c = cli_getopt(argc, argv, "h", opts, "ask", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'n') note = optarg;
    }
    /* A fingerprint as printed (8 groups of 4), unquoted: one argument again,
     * as bulletin follow takes it. */
    if (argc - optind == 8) {
        _Static_assert(ENL_FINGERPRINT_STRBYTES >= 8 * 5, "8 groups of 4 and their spaces");
        fp[0] = '\0';
        for (int i = optind; i < argc; i++) {
            if (strlen(argv[i]) != 4) return cli_usage(cli_find("ask"));
            if (i > optind) strcat(fp, " ");
            strcat(fp, argv[i]);
        }
        who = fp;
    } else if (optind + 1 == argc) {
        who = argv[optind];
    } else {
        return cli_usage(cli_find("ask"));
    }
    if ((ex = cli_check_len("ask", "the note", note, ENL_INTRO_NOTE_MAX)) != 0) return ex;
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_ask(p, who, note, &asked, id)) != ENL_OK) return cli_fail_rc(p, rc, "ask");
    printf("inquiry %s: asked %u verified contact%s, each on their own; their answers come "
           "with the next syncs (enlace answers)\n", id, asked, asked == 1 ? "" : "s");
    return 0;
}

/* One shared --json option parser for the listings. */
static int list_opts(int argc, char **argv, const char *cmd, out_ctx *o, int *ex)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = cli_getopt(argc, argv, "h", opts, cmd, ex)) != -1) {
        if (c == -2) return -1;
        if (c == 'j') o->json = 1;
    }
    if (optind != argc) {
        *ex = cli_usage(cli_find(cmd));
        return -1;
    }
    return 0;
}

static int question_cb(const enl_question_info *q, void *ctx)
{
    out_ctx *o = ctx;
    o->n++;
    if (o->json) {
        printf("{\"id\":\"%s\",\"asker\":", q->id);
        cli_json_str(stdout, q->asker, strlen(q->asker));
        printf(",\"fingerprint\":\"%s\",\"note\":", q->fingerprint);
        cli_json_str(stdout, q->note, strlen(q->note));
        printf(",\"known_as\":");
        cli_json_str(stdout, q->known_as, strlen(q->known_as));
        printf(",\"verified\":%s,\"burned\":%s,\"answered\":\"%s\",\"received\":%llu}\n",
               q->verified ? "true" : "false", q->burned ? "true" : "false", q->answered,
               (unsigned long long)q->received);
        return 0;
    }
    printf("%s  ", q->id);
    if (q->asker[0]) cli_safe_print(stdout, q->asker, strlen(q->asker));
    else printf("(no longer a contact)");
    printf(" asks about %s: ", q->fingerprint);
    if (q->known_as[0]) {
        printf("your contact ");
        cli_safe_print(stdout, q->known_as, strlen(q->known_as));
        printf("%s%s", q->verified ? " (verified)" : " (not verified)", q->burned ? " BURNED" : "");
    } else {
        printf("not a key you know");
    }
    if (q->answered[0]) printf("  [answered: %s]", q->answered);
    if (q->note[0]) {
        printf("\n          \"");
        cli_safe_print_entry(stdout, q->note, strlen(q->note));
        printf("\"");
    }
    printf("\n");
    return 0;
}

int cmd_questions(int argc, char **argv)
{
    out_ctx o = { 0, 0 };
    enl_profile *p;
    int ex = 0, rc;
    if (list_opts(argc, argv, "questions", &o, &ex) != 0) return ex;
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_questions_each(p, question_cb, &o)) != ENL_OK) return cli_fail_rc(p, rc, "questions");
    if (!o.json && o.n == 0) printf("no questions from your contacts\n");
    return 0;
}

int cmd_answer(int argc, char **argv)
{
    static const struct option opts[] = {
        { "vouch", no_argument, NULL, 'v' },
        { "unknown", no_argument, NULL, 'u' },
        { "warn", required_argument, NULL, 'w' },
        { "from", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const said[] = { "", "you vouch for the key", "you do not know the key",
                                        "you warn about the key" };
    const char *text = NULL, *from = NULL;
    enl_profile *p;
    int c, ex = 0, rc, verdict = 0, n = 0;
    while ((c = cli_getopt(argc, argv, "h", opts, "answer", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'v') verdict = ENL_VERDICT_VOUCH, n++;
        if (c == 'u') verdict = ENL_VERDICT_UNKNOWN, n++;
        if (c == 'w') verdict = ENL_VERDICT_WARN, text = optarg, n++;
        if (c == 'f') from = optarg;
    }
    if (optind + 1 != argc || n != 1) {
        if (n != 1) cli_fail("answer: give exactly one of --vouch, --unknown, --warn TEXT");
        return cli_usage(cli_find("answer"));
    }
    /* a warning says why: an empty one tells the asker nothing to weigh */
    if (verdict == ENL_VERDICT_WARN && text[strspn(text, " \t")] == '\0') {
        cli_fail("answer: --warn needs a reason: what you know against the key");
        return EXIT_USAGE;
    }
    /* a question's id is 16 bytes: 32 hex digits at most */
    if ((ex = cli_check_id("answer", "a question id", argv[optind], 4, 32, "questions")) != 0) return ex;
    if ((ex = cli_check_len("answer", "the text of --warn", text, ENL_INTRO_NOTE_MAX)) != 0) return ex;
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_answer(p, argv[optind], from, verdict, text)) != ENL_OK) return cli_fail_rc(p, rc, "answer");
    printf("answered %s: %s; the answer is signed by you and leaves with the next sync\n",
           argv[optind], said[verdict]);
    return 0;
}

static int answer_cb(const enl_answer_info *a, void *ctx)
{
    out_ctx *o = ctx;
    o->n++;
    if (o->json) {
        printf("{\"id\":\"%s\",\"fingerprint\":\"%s\",\"from\":", a->id, a->fingerprint);
        cli_json_str(stdout, a->from, strlen(a->from));
        printf(",\"verdict\":\"%s\",\"text\":", a->verdict);
        cli_json_str(stdout, a->text, strlen(a->text));
        printf(",\"burned\":%s,\"received\":%llu}\n", a->burned ? "true" : "false",
               (unsigned long long)a->received);
        return 0;
    }
    printf("%s  %s  ", a->id, a->fingerprint);
    if (a->from[0]) cli_safe_print(stdout, a->from, strlen(a->from));
    else printf("(no longer a contact)");
    if (a->burned) printf(" (BURNED since: not to be trusted)");
    printf(": %s", a->verdict);
    if (a->text[0]) {
        printf(" \"");
        cli_safe_print_entry(stdout, a->text, strlen(a->text));
        printf("\"");
    }
    printf("\n");
    return 0;
}

int cmd_answers(int argc, char **argv)
{
    out_ctx o = { 0, 0 };
    enl_profile *p;
    int ex = 0, rc;
    if (list_opts(argc, argv, "answers", &o, &ex) != 0) return ex;
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_answers_each(p, answer_cb, &o)) != ENL_OK) return cli_fail_rc(p, rc, "answers");
    if (!o.json && o.n == 0) printf("no answers yet\n");
    return 0;
}
