/* enlace status [--json]: what this profile holds. */
#include <getopt.h>
#include <string.h>

#include "cli/commands.h"

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int cmd_status(int argc, char **argv, enl_profile *p)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enl_status_info s;
    char name[ENL_NAME_MAX + 1], fp[ENL_FINGERPRINT_STRBYTES];
    int c, ex = 0, json = 0, rc;

    while ((c = cli_getopt(argc, argv, "h", opts, "status", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'j') json = 1;
    }
    if (optind != argc) return cli_usage(cli_find("status"));
    if ((rc = enl_status(p, &s)) != ENL_OK) return cli_fail_rc(p, rc, "status");
    (void)enl_profile_name(p, name);
    (void)enl_profile_fingerprint(p, fp);
    if (json) {
        printf("{\"name\":");
        cli_json_str(stdout, name, strlen(name));
        printf(",\"fingerprint\":\"%s\",\"notes\":%llu,\"outgoing\":%llu,\"purges\":%llu,"
               "\"contacts\":%llu,\"messages\":%llu,\"unread\":%llu,\"requests\":%llu,"
               "\"bytes\":%llu,\"burned\":%llu,\"burns\":%llu,\"follows\":%llu,\"bulletins\":%llu}\n",
               fp, (unsigned long long)s.notes, (unsigned long long)s.outgoing,
               (unsigned long long)s.purges, (unsigned long long)s.contacts,
               (unsigned long long)s.messages, (unsigned long long)s.unread,
               (unsigned long long)s.requests, (unsigned long long)s.bytes,
               (unsigned long long)s.burned, (unsigned long long)s.burns,
               (unsigned long long)s.follows, (unsigned long long)s.bulletins);
        return 0;
    }
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
    return 0;
}
