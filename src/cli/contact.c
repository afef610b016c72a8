/* enlace contact add|list|show|verify: the people this profile knows. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "util/secmem.h"

static int usage(void)
{
    return cli_usage(cli_find("contact"));
}

/* The contacts before an add, by fingerprint: an add of a known key
 * refreshes its card (and may rename it), and says so. */
typedef struct {
    char (*fp)[ENL_FINGERPRINT_STRBYTES];
    char (*name)[ENL_NAME_MAX + 1];
    size_t n, cap;
    int err;
} known_list;

static int collect_known(const enl_contact_info *c, void *ctx)
{
    known_list *k = ctx;
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 16;
        /* who my contacts are: grown and freed wiped, like every list of them */
        void *f = enl_grow_wiped(k->fp, k->cap * sizeof *k->fp, cap * sizeof *k->fp), *m;
        if (f == NULL) { k->err = 1; return 1; }
        k->fp = f;
        m = enl_grow_wiped(k->name, k->cap * sizeof *k->name, cap * sizeof *k->name);
        if (m == NULL) { k->err = 1; return 1; }
        k->name = m;
        k->cap = cap;
    }
    snprintf(k->fp[k->n], sizeof k->fp[k->n], "%s", c->fingerprint);
    snprintf(k->name[k->n], sizeof k->name[k->n], "%s", c->name);
    k->n++;
    return 0;
}

static void print_added(const enl_contact_info *c, const char *was)
{
    if (was == NULL)
        printf("added %s\n", c->name);
    else if (strcmp(was, c->name) == 0)
        printf("%s was a contact already: the card is refreshed\n", c->name);
    else
        printf("%s was a contact already: renamed %s, and the card is refreshed\n", was, c->name);
    printf("fingerprint:   %s\nsafety number: %s\n", c->fingerprint, c->safety_number);
    if (!c->verified)
        printf("compare the safety number with %s in person, then run: enlace contact verify %s\n",
               c->name, c->name);
}

/* A card that did not parse: say what was given instead ("malformed input"
 * alone left a user who gave the card's file name, or a revocation, with
 * no idea what to do). arg: the argument (a card, or "-"). */
static int card_refused(const char *arg, cli_text_kind kind)
{
    struct stat sb;
    if (strcmp(arg, "-") != 0 && stat(arg, &sb) == 0) {
        fputs("enlace: contact add: ", stderr);
        cli_safe_print_entry(stderr, arg, strlen(arg));
        fputs(" is a file, and a card is given as its text: to read it from the file, run "
              "enlace contact add - < ", stderr);
        cli_safe_print_entry(stderr, arg, strlen(arg));
        fputc('\n', stderr);
        return 1;
    }
    if (kind == CLI_TEXT_REVOCATION)
        return cli_fail("contact add: that is a revocation, not a card: hold it with "
                        "enlace revocation hold NAME - < FILE");
    if (kind == CLI_TEXT_CARD)
        return cli_fail("contact add: card refused: it is damaged or cut short (the whole line "
                        "that `enlace card` prints, enlace1...)");
    return cli_fail("contact add: card refused: not a card (a card is one line that starts with "
                    "enlace1..., as `enlace card` prints it; from a file: enlace contact add - < FILE)");
}

static int add(int argc, char **argv)
{
    static const struct option opts[] = {
        { "name", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *name = NULL;
    char *card = NULL;
    size_t len = 0;
    enl_contact_info info;
    known_list known = { NULL, NULL, 0, 0, 0 };
    enl_profile *p;
    cli_text_kind kind = CLI_TEXT_OTHER;
    int c, ex = 0, rc;

    while ((c = cli_getopt(argc, argv, "n:h", opts, "contact", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'n') name = optarg;
    }
    if (optind + 1 != argc) return usage();
    if (name != NULL && !enl_name_valid(name)) return cli_bad_name("contact add", name);
    /* before the card is read: stdin may be where the passphrase is typed */
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if (strcmp(argv[optind], "-") == 0) {
        if (cli_read_stdin(&card, &len, 4096) != 0) return 1;
    } else {
        card = strdup(argv[optind]);
        if (card == NULL) return cli_fail("out of memory");
    }
    rc = enl_contact_each(p, collect_known, &known);
    if (rc == ENL_OK && known.err) rc = ENL_ENOMEM;
    if (rc == ENL_OK) rc = enl_contact_add(p, card, name, &info);
    if (rc == ENL_EMALFORMED) kind = cli_text_kind_of(card);
    /* a contact's card: their name, keys and address */
    enl_free_wiped(card, len ? len + 1 : strlen(card) + 1);
    if (rc == ENL_OK) {
        const char *was = NULL;
        for (size_t i = 0; i < known.n && was == NULL; i++)
            if (strcmp(known.fp[i], info.fingerprint) == 0) was = known.name[i];
        print_added(&info, was);
    }
    enl_free_wiped(known.fp, known.cap * sizeof *known.fp);
    enl_free_wiped(known.name, known.cap * sizeof *known.name);
    if (rc == ENL_EMALFORMED) return card_refused(argv[optind], kind);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, "contact add");
    return 0;
}

static int list_json(const enl_contact_info *c, void *ctx)
{
    (void)ctx;
    printf("{\"name\":");
    cli_json_str(stdout, c->name, strlen(c->name));
    printf(",\"fingerprint\":\"%s\",\"safety_number\":\"%s\",\"verified\":%s,\"added\":%llu,"
           "\"card_expires\":%llu,\"address\":",
           c->fingerprint, c->safety_number, c->verified ? "true" : "false",
           (unsigned long long)c->added, (unsigned long long)c->card_expires);
    cli_json_str(stdout, c->address, strlen(c->address));
    printf(",\"burned\":%s,\"burn_reason\":", c->burned ? "true" : "false");
    cli_json_str(stdout, c->burn_reason, strlen(c->burn_reason));
    printf(",\"via\":");
    cli_json_str(stdout, c->via, strlen(c->via));
    printf("}\n");
    return 0;
}

static int list_text(const enl_contact_info *c, void *ctx)
{
    int *n = ctx;
    if ((*n)++ == 0) printf("%-20s %-9s %s\n", "NAME", "VERIFIED", "FINGERPRINT");
    printf("%-20s %-9s %s%s", c->name, c->verified ? "yes" : "no", c->fingerprint,
           c->burned ? "  BURNED" : "");
    if (c->via[0]) {
        printf("  (");
        cli_safe_print(stdout, c->via, strlen(c->via));
        printf(")");
    }
    printf("\n");
    return 0;
}

static int list(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enl_profile *p;
    int c, ex = 0, json = 0, n = 0, rc;
    while ((c = cli_getopt(argc, argv, "h", opts, "contact", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'j') json = 1;
    }
    if (optind != argc) return usage();
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    rc = enl_contact_each(p, json ? list_json : list_text, &n);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, "contact list");
    if (!json && n == 0) printf("no contacts yet: add one with enlace contact add CARD\n");
    return 0;
}

static int show(int argc, char **argv)
{
    enl_contact_info c;
    enl_profile *p;
    char when[32];
    int ex, rc;
    if (argc != 2) return usage();
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_contact_get(p, argv[1], &c)) != ENL_OK) return cli_fail_rc(p, rc, "contact show");
    cli_time(when, c.card_expires);
    printf("name:          %s\nfingerprint:   %s\nsafety number: %s\n", c.name, c.fingerprint,
           c.safety_number);
    if (c.verified)
        printf("verified:      yes\n");
    else
        printf("verified:      no (compare the safety number in person, then: enlace contact verify %s)\n",
               c.name);
    printf("card expires:  %s\n", when);
    if (c.address[0]) printf("address:       %s\n", c.address);
    if (c.via[0]) {
        printf("came through:  ");
        cli_safe_print(stdout, c.via, strlen(c.via));
        printf(" (not handed over in person: compare the safety number before trusting it)\n");
    }
    if (c.burned) {
        cli_time(when, c.burned_at);
        /* The reason of a published notice is written by whoever holds the
         * burned key (the one who seized it): shown, never obeyed. */
        printf("BURNED:        %s (", when);
        cli_safe_print(stdout, c.burn_reason, strlen(c.burn_reason));
        printf("): nothing is sealed to these keys any more\n");
    }
    return 0;
}

static int verify(int argc, char **argv)
{
    enl_profile *p;
    int ex, rc;
    if (argc != 2) return usage();
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_contact_verify(p, argv[1])) != ENL_OK) return cli_fail_rc(p, rc, "contact verify");
    printf("%s is verified\n", argv[1]);
    return 0;
}

static int address(int argc, char **argv)
{
    enl_profile *p;
    int ex, rc;
    if (argc != 3) return usage();
    if ((ex = cli_check_address("contact address", argv[2])) != 0) return ex;
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_contact_set_address(p, argv[1], argv[2])) != ENL_OK)
        return cli_fail_rc(p, rc, "contact address");
    printf("%s listens at %s: enlace sync %s\n", argv[1], argv[2], argv[1]);
    return 0;
}

int cmd_contact(int argc, char **argv)
{
    if (argc < 2) return usage();
    if (strcmp(argv[1], "add") == 0) return add(argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0) return list(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0) return show(argc - 1, argv + 1);
    if (strcmp(argv[1], "verify") == 0) return verify(argc - 1, argv + 1);
    if (strcmp(argv[1], "address") == 0) return address(argc - 1, argv + 1);
    cli_fail("contact: no command '%s'", argv[1]);
    return usage();
}
