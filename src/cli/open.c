/* enlace open FILE: try one note file without storing anything. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"

static int show(const enl_message *m, void *ctx)
{
    char when[32];
    (void)ctx;
    cli_time(when, m->sent);
    printf("from %s (%s), sent %s:\n", m->from[0] ? m->from : "someone who is not a contact",
           m->from_fingerprint, when);
    if (m->after_burn)
        printf("(%s's keys are burned: whoever holds them may have written this)\n", m->from);
    cli_safe_print(stdout, m->text, m->text_len);
    printf("\n");
    return 0;
}

static const char *why(int rc)
{
    switch (rc) {
    case ENL_ENOTFORME: return "it is not for this profile (or it is damaged beyond recognition)";
    /* a bulletin, a cell's note: read here too, but its keys are kept */
    case ENL_EDUPLICATE: return "it was already read here (a message's keys are deleted then; "
                                "a bulletin is in `enlace bulletins`)";
    case ENL_EPURGED: return "it was already delivered and purged";
    case ENL_EEXPIRED: return "it has expired, or its keys were deleted after their grace period";
    case ENL_EDECRYPT: return "it is for this profile but damaged or tampered";
    case ENL_EMALFORMED: return "it is damaged (malformed)";
    /* one byte says the version: a damaged one reads the same */
    case ENL_EVERSION: return "it is damaged, or was made by a newer version of enlace";
    default: return enl_strerror(rc);
    }
}

int cmd_open(int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enl_profile *p;
    uint8_t *buf;
    size_t len = 0;
    FILE *f;
    int c, ex = 0, rc;

    while ((c = cli_getopt(argc, argv, "h", opts, "open", &ex)) != -1)
        if (c == -2) return ex;
    if (optind + 1 != argc) return cli_usage(cli_find("open"));
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((f = fopen(argv[optind], "rb")) == NULL)
        return cli_fail("cannot read %s: %s", argv[optind], strerror(errno));
    buf = malloc(ENL_NOTE_MAX + 1);
    if (buf != NULL) len = fread(buf, 1, ENL_NOTE_MAX + 1, f);
    /* A read that failed (a folder, a failing stick) is not a damaged note. */
    if (buf != NULL && ferror(f)) {
        int err = errno;
        fclose(f);
        free(buf);
        return cli_fail("cannot read %s: %s", argv[optind], strerror(err));
    }
    fclose(f);
    if (buf == NULL) return cli_fail("out of memory");
    if (len > ENL_NOTE_MAX) {
        free(buf);
        return cli_fail("cannot open %s: it is larger than any note", argv[optind]);
    }
    rc = enl_note_peek(p, buf, len, show, NULL);
    free(buf);
    /* For this profile, but not yet: the library says why. */
    if (rc == ENL_ETOOBIG)
        return cli_fail("cannot open %s: it is for this profile, but %s", argv[optind],
                        enl_profile_errmsg(p));
    if (rc != ENL_OK) return cli_fail("cannot open %s: %s", argv[optind], why(rc));
    return 0;
}
