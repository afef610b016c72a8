/* enlace bulletin publish|follow|unfollow|following, enlace bulletins: signed public leaflets. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "util/secmem.h"

static int usage(void)
{
    return cli_usage(cli_find("bulletin"));
}

static void hex_id(char out[2 * ENL_IDBYTES + 1], const uint8_t id[ENL_IDBYTES])
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < ENL_IDBYTES; i++) {
        out[2 * i] = hx[id[i] >> 4];
        out[2 * i + 1] = hx[id[i] & 15];
    }
    out[2 * ENL_IDBYTES] = '\0';
}

static int publish(int argc, char **argv)
{
    static const struct option opts[] = {
        { "channel", required_argument, NULL, 'c' },
        { "expire", required_argument, NULL, 'e' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enl_bulletin_opts bo = { NULL, 0 };
    enl_profile *p;
    uint8_t id[ENL_IDBYTES];
    uint64_t expires = 0;
    char hex[2 * ENL_IDBYTES + 1], when[32], fp[ENL_FINGERPRINT_STRBYTES], *text = NULL;
    size_t len = 0;
    int c, ex = 0, rc;

    while ((c = cli_getopt(argc, argv, "h", opts, "bulletin", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'c') bo.channel = optarg;
        if (c == 'e') {
            char *end;
            unsigned long h = strtoul(optarg, &end, 10);
            if (*optarg == '-' || *end != '\0' || h == 0 || h > ENL_BULLETIN_EXPIRY_MAX_HOURS) {
                cli_fail("bulletin publish: --expire takes hours, 1 to %d (%d days)",
                         ENL_BULLETIN_EXPIRY_MAX_HOURS,
                         ENL_BULLETIN_LIFETIME_DAYS);
                return usage();
            }
            bo.expiry_hours = (uint32_t)h;
        }
    }
    if (optind + 1 < argc) return usage();
    /* the library's rule for a channel, said before the unlock */
    if (bo.channel != NULL && strlen(bo.channel) > ENL_BULLETIN_CHANNEL_MAX)
        return cli_fail("bulletin publish: a channel name is at most %d bytes",
                        ENL_BULLETIN_CHANNEL_MAX), EXIT_USAGE;
    if (bo.channel != NULL && *bo.channel == '\0')
        return cli_fail("bulletin publish: --channel needs a name (leave it out for none)"),
               EXIT_USAGE;
    for (const char *ch = bo.channel; ch != NULL && *ch; ch++)
        if ((unsigned char)*ch < 0x20 || *ch == 0x7f)
            return cli_fail("bulletin publish: a channel name holds no control characters"),
                   EXIT_USAGE;
    /* before the text is read: stdin may be where the passphrase is typed */
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if (optind == argc || strcmp(argv[optind], "-") == 0) {
        if (cli_read_text(&text, &len, ENL_TEXT_MAX, "bulletin publish: a bulletin") != 0) return 1;
    } else {
        if ((text = strdup(argv[optind])) == NULL) return cli_fail("out of memory");
        len = strlen(text);
    }
    /* signed and relayed by every device for days, and one of the day's
     * slots used: an empty stdin is a mistake, not a bulletin */
    if (len == 0) {
        free(text);
        return cli_fail("bulletin publish: nothing to publish: the bulletin is empty");
    }
    rc = enl_bulletin_publish(p, (const uint8_t *)text, len, &bo, id, &expires);
    free(text);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, "bulletin publish");
    hex_id(hex, id);
    (void)enl_profile_fingerprint(p, fp);
    cli_time(when, expires);
    printf("published a bulletin (id %.16s); every device relays it until %s\n"
           "whoever follows you reads it: enlace bulletin follow \"%s\" (or your card)\n",
           hex, when, fp);
    return 0;
}

/* The rest of the arguments as one string: a fingerprint may come as
 * 8 words when it is not quoted. */
static int joined(int argc, char **argv, int from, char **out)
{
    size_t n = 1;
    char *s;
    for (int i = from; i < argc; i++) n += strlen(argv[i]) + 1;
    if ((s = calloc(1, n)) == NULL) return cli_fail("out of memory");
    for (int i = from; i < argc; i++) {
        if (i > from) strcat(s, " ");
        strcat(s, argv[i]);
    }
    *out = s;
    return 0;
}

static int follow(int argc, char **argv, int stop)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enl_follow_info f;
    enl_profile *p;
    char *who = NULL;
    size_t len = 0;
    int c, ex = 0, rc;

    while ((c = cli_getopt(argc, argv, "h", opts, "bulletin", &ex)) != -1)
        if (c == -2) return ex;
    if (optind == argc) return usage();
    /* before a card is read: stdin may be where the passphrase is typed */
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if (optind + 1 == argc && strcmp(argv[optind], "-") == 0) {
        if (cli_read_stdin(&who, &len, 4096) != 0) return 1;
    } else if (joined(argc, argv, optind, &who) != 0) {
        return 1;
    }
    rc = stop ? enl_bulletin_unfollow(p, who, &f) : enl_bulletin_follow(p, who, &f);
    /* whom this device follows */
    enl_free_wiped(who, len ? len + 1 : strlen(who) + 1);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, stop ? "bulletin unfollow" : "bulletin follow");
    if (stop) {
        printf("no longer following %s%s%s; the bulletins kept of them are deleted\n",
               f.name[0] ? f.name : f.fingerprint, f.name[0] ? " " : "",
               f.name[0] ? f.fingerprint : "");
        return 0;
    }
    printf("following %s%s%s: their bulletins are read here as they arrive (enlace bulletins)\n",
           f.name[0] ? f.name : f.fingerprint, f.name[0] ? ", " : "", f.name[0] ? f.fingerprint : "");
    /* Fingerprints carry no checksum: a typo follows a stranger, silently. */
    if (f.near[0]) {
        fprintf(stderr, "enlace: bulletin follow: warning: no contact has this fingerprint, and it "
                "differs from ");
        cli_safe_print(stderr, f.near, strlen(f.near));
        fprintf(stderr, "'s in %u place%s: if you meant ", f.near_places,
                f.near_places == 1 ? "" : "s");
        cli_safe_print(stderr, f.near, strlen(f.near));
        fprintf(stderr, ", it is mistyped (enlace contact show ");
        cli_safe_print(stderr, f.near, strlen(f.near));
        fprintf(stderr, " prints theirs: unfollow this one); if not, check it with its author\n");
    }
    if (f.bulletins)
        printf("%llu %s of theirs already carried here\n", (unsigned long long)f.bulletins,
               f.bulletins == 1 ? "bulletin" : "bulletins");
    return 0;
}

static int following_line(const enl_follow_info *f, void *ctx)
{
    int *o = ctx;
    char when[32];
    if (o[0]) {
        printf("{\"name\":");
        cli_json_str(stdout, f->name, strlen(f->name));
        printf(",\"fingerprint\":\"%s\",\"added\":%llu}\n", f->fingerprint,
               (unsigned long long)f->added);
    } else {
        if (o[1] == 0) printf("%-20s %-40s %s\n", "NAME", "FINGERPRINT", "SINCE");
        cli_time(when, f->added);
        printf("%-20s %-40s %s\n", f->name[0] ? f->name : "-", f->fingerprint, when);
    }
    o[1]++;
    return 0;
}

static int following(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enl_profile *p;
    int c, ex = 0, rc, o[2] = { 0, 0 };
    while ((c = cli_getopt(argc, argv, "h", opts, "bulletin", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'j') o[0] = 1;
    }
    if (optind != argc) return usage();
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_follow_each(p, following_line, o)) != ENL_OK)
        return cli_fail_rc(p, rc, "bulletin following");
    if (!o[0] && o[1] == 0) printf("following nobody: enlace bulletin follow CARD|FINGERPRINT\n");
    return 0;
}

int cmd_bulletin(int argc, char **argv)
{
    if (argc < 2) return usage();
    if (strcmp(argv[1], "publish") == 0) return publish(argc - 1, argv + 1);
    if (strcmp(argv[1], "follow") == 0) return follow(argc - 1, argv + 1, 0);
    if (strcmp(argv[1], "unfollow") == 0) return follow(argc - 1, argv + 1, 1);
    if (strcmp(argv[1], "following") == 0) return following(argc - 1, argv + 1);
    cli_fail("bulletin: no command '%s'", argv[1]);
    return usage();
}

typedef struct {
    int json;
    const char *channel;
    int count;
} list_out;

static int show(const enl_bulletin_info *b, void *ctx)
{
    list_out *o = ctx;
    char id[2 * ENL_IDBYTES + 1], when[32];
    if (o->channel != NULL && strcmp(o->channel, b->channel) != 0) return 0;
    o->count++;
    hex_id(id, b->note_id);
    if (o->json) {
        printf("{\"author\":");
        cli_json_str(stdout, b->author, strlen(b->author));
        printf(",\"contact\":%s,\"fingerprint\":\"%s\",\"channel\":",
               b->author_contact ? "true" : "false", b->fingerprint);
        cli_json_str(stdout, b->channel, strlen(b->channel));
        printf(",\"text\":");
        cli_json_str(stdout, b->text, b->text_len);
        printf(",\"published\":%llu,\"received\":%llu,\"expires\":%llu,\"id\":\"%s\",\"mine\":%s}\n",
               (unsigned long long)b->published, (unsigned long long)b->received,
               (unsigned long long)b->expires, id, b->mine ? "true" : "false");
        return 0;
    }
    cli_time(when, b->published);
    printf("[%s] ", when);
    cli_safe_print(stdout, b->author[0] ? b->author : b->fingerprint,
                   strlen(b->author[0] ? b->author : b->fingerprint));
    /* A followed author who is not a contact named themselves: anyone can
     * take a contact's name, so the fingerprint says who it really is. */
    if (!b->mine && !b->author_contact && b->author[0]) printf(" (not a contact: %s)", b->fingerprint);
    if (b->mine) printf(" (me)");
    if (b->channel[0]) {
        printf(" #");
        cli_safe_print(stdout, b->channel, strlen(b->channel));
    }
    printf(": ");
    cli_safe_print_entry(stdout, b->text, b->text_len);
    printf("\n");
    return 0;
}

int cmd_bulletins(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "channel", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    list_out o = { 0, NULL, 0 };
    enl_profile *p;
    int c, ex = 0, rc;
    while ((c = cli_getopt(argc, argv, "h", opts, "bulletins", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'j') o.json = 1;
        if (c == 'c') o.channel = optarg;
    }
    if (optind != argc) return cli_usage(cli_find("bulletins"));
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_bulletin_each(p, show, &o)) != ENL_OK) return cli_fail_rc(p, rc, "bulletins");
    if (!o.json && o.count == 0) {
        enl_status_info st;
        if (o.channel != NULL) {
            printf("no bulletins in the channel ");
            cli_safe_print(stdout, o.channel, strlen(o.channel));
            printf(" (enlace bulletins shows every channel)\n");
        } else if (enl_status(p, &st) == ENL_OK && st.follows > 0) {
            printf("no bulletins yet of the %llu %s you follow: they are read here as they arrive "
                   "with syncs\n", (unsigned long long)st.follows,
                   st.follows == 1 ? "author" : "authors");
        } else {
            printf("no bulletins: follow an author with enlace bulletin follow CARD|FINGERPRINT\n");
        }
    }
    return 0;
}
