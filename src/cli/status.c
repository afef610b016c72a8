/* enlace status [--json]: what this profile holds. */
#include <getopt.h>
#include <string.h>

#include "cli/commands.h"

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* First, and loud: these keys are finished. */
static void print_self_burned(enl_profile *p)
{
    char reason[256] = "", when[32];
    uint64_t t = 0;
    if (enl_self_burned(p, &t, reason, sizeof reason) != 1) return;
    cli_time(when, t);
    printf("THIS PROFILE'S KEYS ARE BURNED: your revocation, signed %s, was published", when);
    if (reason[0]) {
        printf(" (\"");
        cli_safe_print_entry(stdout, reason, strlen(reason));
        printf("\")");
    }
    printf(".\nEvery contact it reaches stops trusting these keys. If you were not taken, make "
           "a new profile (enlace init)\nand give its card to your contacts in person.\n\n");
}

int cmd_status(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enl_status_info s;
    enl_profile *p;
    char name[ENL_NAME_MAX + 1], fp[ENL_FINGERPRINT_STRBYTES];
    int c, ex = 0, json = 0, rc;

    while ((c = cli_getopt(argc, argv, "h", opts, "status", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'j') json = 1;
    }
    if (optind != argc) return cli_usage(cli_find("status"));
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_status(p, &s)) != ENL_OK) return cli_fail_rc(p, rc, "status");
    (void)enl_profile_name(p, name);
    (void)enl_profile_fingerprint(p, fp);
    if (json) {
        printf("{\"name\":");
        cli_json_str(stdout, name, strlen(name));
        printf(",\"fingerprint\":\"%s\",\"notes\":%llu,\"outgoing\":%llu,\"purges\":%llu,"
               "\"contacts\":%llu,\"messages\":%llu,\"unread\":%llu,\"requests\":%llu,"
               "\"bytes\":%llu,\"burned\":%llu,\"burns\":%llu,\"follows\":%llu,\"bulletins\":%llu,"
               "\"cells\":%llu,\"invitations\":%llu,\"self_burned\":%s}\n",
               fp, (unsigned long long)s.notes, (unsigned long long)s.outgoing,
               (unsigned long long)s.purges, (unsigned long long)s.contacts,
               (unsigned long long)s.messages, (unsigned long long)s.unread,
               (unsigned long long)s.requests, (unsigned long long)s.bytes,
               (unsigned long long)s.burned, (unsigned long long)s.burns,
               (unsigned long long)s.follows, (unsigned long long)s.bulletins,
               (unsigned long long)s.cells, (unsigned long long)s.invitations,
               s.self_burned ? "true" : "false");
        return 0;
    }
    if (s.self_burned) print_self_burned(p);
    printf("profile:     %s\nfingerprint: %s\n", name, fp);
    printf("notes:       %llu held (%llu %s)\noutgoing:    %llu not yet known delivered\n"
           "purges:      %llu\ncontacts:    %llu\nmessages:    %llu (%llu new)\n"
           "requests:    %llu\nburned:      %llu %s (%llu burn %s carried)\n"
           "bulletins:   %llu kept, following %llu %s\n",
           (unsigned long long)s.notes, (unsigned long long)s.bytes,
           plural(s.bytes, "byte", "bytes"),
           (unsigned long long)s.outgoing, (unsigned long long)s.purges,
           (unsigned long long)s.contacts, (unsigned long long)s.messages,
           (unsigned long long)s.unread, (unsigned long long)s.requests,
           (unsigned long long)s.burned, plural(s.burned, "contact", "contacts"),
           (unsigned long long)s.burns, plural(s.burns, "notice", "notices"),
           (unsigned long long)s.bulletins, (unsigned long long)s.follows,
           plural(s.follows, "author", "authors"));
    printf("cells:       %llu", (unsigned long long)s.cells);
    if (s.invitations)
        printf(" (%llu %s to join: enlace cell list)", (unsigned long long)s.invitations,
               plural(s.invitations, "invitation", "invitations"));
    printf("\n");
    return 0;
}
