/* enlace inbox [--json] [--new] [--requests]: received messages. */
#include <getopt.h>
#include <string.h>

#include "cli/commands.h"

typedef struct {
    int json;
    int count;
} inbox_out;

static int show(const enl_message *m, void *ctx)
{
    inbox_out *o = ctx;
    char id[2 * ENL_IDBYTES + 1], when[32];
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < ENL_IDBYTES; i++) {
        id[2 * i] = hx[m->note_id[i] >> 4];
        id[2 * i + 1] = hx[m->note_id[i] & 15];
    }
    id[2 * ENL_IDBYTES] = '\0';
    o->count++;
    if (o->json) {
        const char *from = m->from[0] ? m->from : m->from_fingerprint;
        printf("{\"from\":");
        cli_json_str(stdout, from, strlen(from));
        printf(",\"fingerprint\":\"%s\",\"text\":", m->from_fingerprint);
        cli_json_str(stdout, m->text, m->text_len);
        printf(",\"sent\":%llu,\"received\":%llu,\"id\":\"%s\",\"new\":%s,\"request\":%s,"
               "\"disappear\":%lu,\"after_burn\":%s",
               (unsigned long long)m->sent, (unsigned long long)m->received, id,
               m->is_new ? "true" : "false", m->is_request ? "true" : "false",
               (unsigned long)m->disappear, m->after_burn ? "true" : "false");
        if (m->cell[0]) {
            printf(",\"cell\":");
            cli_json_str(stdout, m->cell, strlen(m->cell));
        }
        printf("}\n");
        return 0;
    }
    cli_time(when, m->sent);
    printf("[%s] %s%s", when, m->is_new ? "* " : "", m->from[0] ? m->from : m->from_fingerprint);
    if (m->cell[0]) {
        printf(" in cell ");
        cli_safe_print(stdout, m->cell, strlen(m->cell));
    }
    /* On the message itself: the banner above the list scrolls away. */
    if (m->after_burn)
        printf(" (arrived after %s's keys were burned: whoever holds them may have written it)",
               m->from[0] ? m->from : m->from_fingerprint);
    printf(": ");
    cli_safe_print_entry(stdout, m->text, m->text_len);
    printf("\n");
    return 0;
}

/* Burned contacts first, so nobody misses that a key is compromised. */
static int show_burn(const enl_contact_info *c, void *ctx)
{
    char when[32];
    (void)ctx;
    if (!c->burned) return 0;
    cli_time(when, c->burned_at);
    printf("! %s's keys are burned since %s (", c->name, when);
    cli_safe_print_entry(stdout, c->burn_reason, strlen(c->burn_reason));
    printf("): do not trust messages that claim to be from them\n");
    return 0;
}

int cmd_inbox(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "new", no_argument, NULL, 'n' },
        { "requests", no_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    inbox_out o = { 0, 0 };
    enl_profile *p;
    int c, ex = 0, flags = 0, rc;

    while ((c = cli_getopt(argc, argv, "h", opts, "inbox", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'j') o.json = 1;
        if (c == 'n') flags |= ENL_INBOX_NEW;
        if (c == 'r') flags |= ENL_INBOX_REQUESTS;
    }
    if (optind != argc) return cli_usage(cli_find("inbox"));
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if (!o.json && (rc = enl_contact_each(p, show_burn, NULL)) != ENL_OK)
        return cli_fail_rc(p, rc, "inbox");
    rc = enl_inbox_each(p, flags, show, &o);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, "inbox");
    if (!o.json && o.count == 0)
        printf("%s\n", (flags & ENL_INBOX_REQUESTS) ? "no requests" :
                       (flags & ENL_INBOX_NEW) ? "no new messages" : "no messages yet");
    return 0;
}
