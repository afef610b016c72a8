/* enlace introduce A B [--note TEXT] and enlace introductions [--json] |
 * accept ID | decline ID: introductions of contacts to each other. */
#include <getopt.h>
#include <string.h>

#include "cli/commands.h"

int cmd_introduce(int argc, char **argv)
{
    static const struct option opts[] = {
        { "note", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *note = NULL;
    enl_profile *p;
    int c, ex = 0, rc;
    while ((c = cli_getopt(argc, argv, "h", opts, "introduce", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'n') note = optarg;
    }
    if (optind + 2 != argc) return cli_usage(cli_find("introduce"));
    if ((ex = cli_check_len("introduce", "the note", note, ENL_INTRO_NOTE_MAX)) != 0) return ex;
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_introduce(p, argv[optind], argv[optind + 1], note)) != ENL_OK)
        return cli_fail_rc(p, rc, "introduce");
    printf("introduced %s and %s to each other: each gets the other's card, signed by you, "
           "with the next sync\n", argv[optind], argv[optind + 1]);
    return 0;
}

typedef struct {
    int json;
    int n;
} out_ctx;

static int intro_cb(const enl_introduction_info *i, void *ctx)
{
    out_ctx *o = ctx;
    char when[32];
    o->n++;
    if (o->json) {
        printf("{\"id\":\"%s\",\"introducer\":", i->id);
        cli_json_str(stdout, i->introducer, strlen(i->introducer));
        printf(",\"name\":");
        cli_json_str(stdout, i->name, strlen(i->name));
        printf(",\"fingerprint\":\"%s\",\"note\":", i->fingerprint);
        cli_json_str(stdout, i->note, strlen(i->note));
        printf(",\"known_as\":");
        cli_json_str(stdout, i->known_as, strlen(i->known_as));
        printf(",\"received\":%llu}\n", (unsigned long long)i->received);
        return 0;
    }
    cli_time(when, i->received);
    printf("%s  ", i->id);
    if (i->introducer[0]) cli_safe_print(stdout, i->introducer, strlen(i->introducer));
    else printf("(no longer a contact)");
    printf(" introduces ");
    cli_safe_print(stdout, i->name, strlen(i->name));
    printf("  %s  %s", i->fingerprint, when);
    if (i->known_as[0]) {
        printf("  (already your contact ");
        cli_safe_print(stdout, i->known_as, strlen(i->known_as));
        printf(")");
    }
    if (i->note[0]) {
        printf("\n          \"");
        cli_safe_print_entry(stdout, i->note, strlen(i->note));
        printf("\"");
    }
    printf("\n");
    return 0;
}

int cmd_introductions(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const cli_command *cmd = cli_find("introductions");
    out_ctx o = { 0, 0 };
    enl_profile *p;
    int c, ex = 0, rc;
    while ((c = cli_getopt(argc, argv, "h", opts, "introductions", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'j') o.json = 1;
    }
    if (optind < argc) {
        const char *sub = argv[optind];
        enl_contact_info info;
        if (optind + 2 != argc || o.json) return cli_usage(cmd);
        if (strcmp(sub, "accept") != 0 && strcmp(sub, "decline") != 0) {
            cli_fail("introductions: no command '%s'", sub);
            return cli_usage(cmd);
        }
        if ((ex = cli_check_id(strcmp(sub, "accept") == 0 ? "introductions accept"
                                                          : "introductions decline",
                               "an introduction id", argv[optind + 1], 4, 64,
                               "introductions")) != 0)
            return ex;
        if ((p = cli_unlock(&ex)) == NULL) return ex;
        if (strcmp(sub, "accept") == 0) {
            if ((rc = enl_introduction_accept(p, argv[optind + 1], &info)) != ENL_OK)
                return cli_fail_rc(p, rc, "introductions accept");
            printf("added ");
            cli_safe_print(stdout, info.name, strlen(info.name));
            printf(" (%s)  %s\ncompare the safety number in person before you trust it: "
                   "enlace contact show %s\n", info.via, info.fingerprint, info.name);
            return 0;
        }
        if ((rc = enl_introduction_decline(p, argv[optind + 1])) != ENL_OK)
            return cli_fail_rc(p, rc, "introductions decline");
        printf("declined: the introduction is deleted\n");
        return 0;
    }
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_introductions_each(p, intro_cb, &o)) != ENL_OK)
        return cli_fail_rc(p, rc, "introductions");
    if (!o.json && o.n == 0) printf("no pending introductions\n");
    return 0;
}
