/* enlace cell create|add|vouch|remove|members|list|join|decline|send|leave|forget|forward: cells. */
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"

static int usage(void) { return cli_usage(cli_find("cell")); }

static int create(int argc, char **argv)
{
    static const struct option opts[] = {
        { "admit", required_argument, NULL, 'a' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    unsigned long admit = ENL_CELL_ADMIT_DEFAULT;
    enl_profile *p;
    int c, ex = 0, rc;
    while ((c = cli_getopt(argc, argv, "h", opts, "cell create", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'a') {
            char *end;
            admit = strtoul(optarg, &end, 10);
            if (*end || admit < 1 || admit > 16)
                return cli_fail("cell create: --admit takes 1 to 16 vouches"), EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) return usage();
    if (!enl_name_valid(argv[optind])) return cli_bad_name("cell create", argv[optind]);
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_cell_create(p, argv[optind], (unsigned)admit)) != ENL_OK)
        return cli_fail_rc(p, rc, "cell create");
    printf("cell %s created: you are its only member; admission needs %lu vouch%s\n",
           argv[optind], admit, admit == 1 ? "" : "es");
    return 0;
}

/* cell add|vouch|remove CELL CONTACT */
static int change(int argc, char **argv, const char *what)
{
    static const struct option opts[] = {
        { "burn", no_argument, NULL, 'b' },
        { "reason", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *reason = NULL;
    enl_profile *p;
    char cmd[32];
    int c, ex = 0, rc, burn = 0;
    snprintf(cmd, sizeof cmd, "cell %s", what);
    while ((c = cli_getopt(argc, argv, "h", opts, cmd, &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'b') burn = 1;
        if (c == 'r') reason = optarg;
    }
    if (optind + 2 != argc) return usage();
    /* a vouch to admit must never be what one who meant to burn signs */
    if (strcmp(what, "remove") != 0 && (burn || reason != NULL))
        return cli_fail("%s: --burn and --reason are for `enlace cell remove`: it signs a vouch "
                        "to admit", cmd), EXIT_USAGE;
    if ((ex = cli_check_reason("cell remove", reason)) != 0) return ex;
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if (strcmp(what, "add") == 0) rc = enl_cell_add(p, argv[optind], argv[optind + 1]);
    else if (strcmp(what, "vouch") == 0) rc = enl_cell_vouch(p, argv[optind], argv[optind + 1]);
    else rc = enl_cell_remove(p, argv[optind], argv[optind + 1], burn, reason);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, cmd);
    printf("your %s for %s in %s is signed and leaves for every member with the next sync\n",
           strcmp(what, "remove") == 0 ? (burn ? "burn vouch" : "removal vouch") : "vouch",
           argv[optind + 1], argv[optind]);
    return 0;
}

typedef struct {
    int json;
    int n;
} out_ctx;

static int member_cb(const enl_cell_member *m, void *ctx)
{
    out_ctx *o = ctx;
    o->n++;
    if (o->json) {
        printf("{\"name\":");
        cli_json_str(stdout, m->name, strlen(m->name));
        printf(",\"fingerprint\":\"%s\",\"state\":\"%s\",\"me\":%s,\"burned\":%s,\"burned_here\":%s",
               m->fingerprint, m->state, m->is_me ? "true" : "false", m->burned ? "true" : "false",
               m->burned_here ? "true" : "false");
        if (strcmp(m->state, "candidate") == 0) printf(",\"vouches\":%u,\"needed\":%u", m->vouches, m->needed);
        printf("}\n");
        return 0;
    }
    printf("%-10s ", m->state);
    if (m->name[0]) cli_safe_print(stdout, m->name, strlen(m->name));
    else printf("(not a contact)");
    printf("  %s%s%s", m->fingerprint, m->is_me ? "  (you)" : "", m->burned ? "  BURNED" : "");
    /* the log still counts them where members have not burned them yet;
     * one it removed already awaits nothing */
    if (m->awaits_removal)
        printf(" on this device (the other members remove them once enough of them burn them too)");
    else if (m->burned_here)
        printf(" on this device");
    if (strcmp(m->state, "candidate") == 0) printf("  %u of %u vouches", m->vouches, m->needed);
    printf("\n");
    return 0;
}

static int list_cb(const enl_cell_info *c, void *ctx)
{
    out_ctx *o = ctx;
    o->n++;
    if (o->json) {
        printf("{\"name\":");
        cli_json_str(stdout, c->name, strlen(c->name));
        printf(",\"id\":\"%s\",\"admit\":%u,\"members\":%u,\"candidates\":%u,\"member\":%s,"
               "\"invited\":%s",
               c->id, c->admit, c->members, c->candidates, c->member ? "true" : "false",
               c->invited ? "true" : "false");
        if (c->invited) {
            printf(",\"invited_by\":");
            cli_json_str(stdout, c->invited_by, strlen(c->invited_by));
        }
        printf("}\n");
        return 0;
    }
    cli_safe_print(stdout, c->name, strlen(c->name));
    printf("  %u member%s, %u candidate%s, admission needs %u", c->members,
           c->members == 1 ? "" : "s", c->candidates, c->candidates == 1 ? "" : "s", c->admit);
    if (c->invited) {
        printf("  INVITED");
        if (c->invited_by[0]) {
            printf(" by ");
            cli_safe_print(stdout, c->invited_by, strlen(c->invited_by));
        }
        printf(": see who is in it with enlace cell members ");
        cli_safe_print(stdout, c->name, strlen(c->name));
        printf(", then enlace cell join or enlace cell decline it\n");
    } else {
        printf("%s\n", c->member ? "" : "  (you are no longer a member)");
    }
    return 0;
}

static int show(int argc, char **argv, int members)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    out_ctx o = { 0, 0 };
    enl_profile *p;
    const char *cmd = members ? "cell members" : "cell list";
    int c, ex = 0, rc;
    while ((c = cli_getopt(argc, argv, "h", opts, cmd, &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'j') o.json = 1;
    }
    if (optind + (members ? 1 : 0) != argc) return usage();
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    rc = members ? enl_cell_members(p, argv[optind], member_cb, &o) : enl_cell_each(p, list_cb, &o);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, cmd);
    if (!o.json && o.n == 0 && !members) printf("no cells: create one with enlace cell create NAME\n");
    return 0;
}

static int send_cell(int argc, char **argv)
{
    static const struct option opts[] = {
        { "disappear", required_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enl_send_opts so = { 0, 0, 0 };
    enl_profile *p;
    char *text = NULL;
    const char *msg = NULL;
    size_t len;
    int c, ex = 0, rc;
    while ((c = cli_getopt(argc, argv, "h", opts, "cell send", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'd' && cli_duration(optarg, &so.disappear) != 0)
            return cli_fail("cell send: --disappear takes a duration such as 90s, 10m, 1h or 2d "
                            "(at most a year)"), EXIT_USAGE;
    }
    if (optind + 1 != argc && optind + 2 != argc) return usage();
    /* before the text is read: stdin may be where the passphrase is typed */
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((ex = cli_message_text("cell send", optind + 2 == argc ? argv[optind + 1] : NULL, &text, &msg,
                               &len)) != 0)
        return ex;
    rc = enl_cell_send(p, argv[optind], (const uint8_t *)msg, len, &so, NULL);
    if (text != NULL) sodium_memzero(text, len);
    free(text);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, "cell send");
    printf("sealed one note for every member of %s; it leaves with the next sync\n", argv[optind]);
    return 0;
}

/* The commands that take one cell and act on my own place in it. */
static const struct {
    const char *name;
    int (*act)(enl_profile *p, const char *cell);
    const char *verb, *then;
} on_my_place[] = {
    { "leave", enl_cell_leave, "left",
      "the members hear of it with the next sync, and your keys of the cell are gone" },
    { "join", enl_cell_join, "joined",
      "its members are your contacts now, and your cell key leaves for each of them with the "
      "next sync" },
    { "decline", enl_cell_decline, "declined",
      "it is forgotten here and nothing was sent; its members still count you until one of them "
      "removes you" },
    { "forget", enl_cell_forget, "forgot",
      "it is gone from this device, and its name is free" },
};

static int simple(int argc, char **argv, const char *what)
{
    enl_profile *p;
    int c, ex = 0, rc;
    static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
    char cmd[32];
    snprintf(cmd, sizeof cmd, "cell %s", what);
    while ((c = cli_getopt(argc, argv, "h", opts, cmd, &ex)) != -1)
        if (c == -2) return ex;
    for (size_t i = 0; i < sizeof on_my_place / sizeof on_my_place[0]; i++) {
        if (strcmp(what, on_my_place[i].name) != 0) continue;
        if (optind + 1 != argc) return usage();
        if ((p = cli_unlock(&ex)) == NULL) return ex;
        if ((rc = on_my_place[i].act(p, argv[optind])) != ENL_OK) return cli_fail_rc(p, rc, cmd);
        printf("you %s %s: %s\n", on_my_place[i].verb, argv[optind], on_my_place[i].then);
        return 0;
    }
    if (optind + 2 != argc) return usage();
    if ((ex = cli_check_id("cell forward", "a message id", argv[optind], 8, 2 * ENL_IDBYTES,
                           "inbox --json")) != 0)
        return ex;
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_cell_forward(p, argv[optind], argv[optind + 1])) != ENL_OK)
        return cli_fail_rc(p, rc, "cell forward");
    printf("re-sealed as your own for %s; it leaves with the next sync\n", argv[optind + 1]);
    return 0;
}

static int count_invited_cb(const enl_cell_info *c, void *ctx)
{
    unsigned *n = ctx;
    if (c->invited) (*n)++;
    return 0;
}

/* After a sync: cells that wait for a yes or a no, said at every sync until
 * answered (nothing happens for them till then), unless all of them are the
 * new ones the sync has just named. */
void cli_print_invitations(enl_profile *p, const enl_sync_stats *s)
{
    unsigned n = 0;
    if (enl_cell_each(p, count_invited_cb, &n) != ENL_OK || n <= s->cell_invitations) return;
    printf("%u %s to join a cell %s: enlace cell list\n", n, n == 1 ? "invitation" : "invitations",
           n == 1 ? "waits" : "wait");
}

int cmd_cell(int argc, char **argv)
{
    const char *sub;
    if (argc < 2) return usage();
    sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) return cli_help(cli_find("cell"));
    argc--;
    argv++;
    if (strcmp(sub, "create") == 0) return create(argc, argv);
    if (strcmp(sub, "add") == 0 || strcmp(sub, "vouch") == 0 || strcmp(sub, "remove") == 0)
        return change(argc, argv, sub);
    if (strcmp(sub, "members") == 0) return show(argc, argv, 1);
    if (strcmp(sub, "list") == 0) return show(argc, argv, 0);
    if (strcmp(sub, "send") == 0) return send_cell(argc, argv);
    if (strcmp(sub, "leave") == 0 || strcmp(sub, "forward") == 0 || strcmp(sub, "join") == 0 ||
        strcmp(sub, "decline") == 0 || strcmp(sub, "forget") == 0)
        return simple(argc, argv, sub);
    cli_fail("cell: no command '%s'", sub);
    return usage();
}
