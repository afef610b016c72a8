/* enlace send NAME [TEXT|-]: seal a message for a contact;
 * enlace send --file PATH [--note TEXT] NAME: seal a file. */
#include <getopt.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "paper/paper.h"
#include "util/base32.h"

/* Sealing still works once a notice burned my own keys (a contact who has
 * not had it yet still reads), but the user must know it is the end of
 * these keys. */
static void warn_if_self_burned(enl_profile *p)
{
    if (enl_self_burned(p, NULL, NULL, 0) == 1)
        fprintf(stderr, "enlace: warning: this profile's own keys are burned (enlace status): "
                        "contacts who have the notice no longer read what they send\n");
}

/* Progress on the terminal, and whether the sending went on from where an
 * earlier one of the same file stopped ("resuming", with the bytes sealed
 * then). */
typedef struct {
    int resumed;
    uint64_t before;
} file_progress;

static void on_file_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    file_progress *fp = ctx;
    if (strcmp(what, "resuming") == 0) {
        fp->resumed = 1;
        fp->before = done;
        return;
    }
    cli_progress_bytes(NULL, what, done, total);
}

static int send_file(enl_profile *p, const char *to, const char *path, const char *note,
                     const enl_send_opts *so)
{
    uint8_t id[ENL_FILE_IDBYTES];
    char hex[2 * ENL_FILE_IDBYTES + 1], size[32];
    uint64_t bytes, parts;
    struct stat sb;
    file_progress fp = { 0, 0 };
    int rc = enl_send_file(p, to, path, note, so, on_file_progress, &fp, id);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, "send");
    /* path as the error line and `files` show a name: a control character
     * or a direction mark in it must not drive the terminal or reorder the
     * line, a newline must not start a line that looks like our own */
    if (fp.resumed) {
        fputs("went on sealing ", stdout);
        cli_safe_print_entry(stdout, path, strlen(path));
        printf(" for %s where it stopped: %llu parts were sealed before\n", to,
               (unsigned long long)(fp.before / ENL_FILE_CHUNK));
    }
    warn_if_self_burned(p);
    bytes = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    parts = bytes / ENL_FILE_CHUNK + (bytes % ENL_FILE_CHUNK != 0);
    enl_hex_encode(hex, id, 8);
    cli_size(size, bytes);
    fputs("sealed ", stdout);
    cli_safe_print_entry(stdout, path, strlen(path));
    printf(" for %s (%s: a head and %llu %s, file id %s); it leaves with the next sync\n", to, size,
           (unsigned long long)parts, parts == 1 ? "part" : "parts", hex);
    return 0;
}

int cmd_send(int argc, char **argv)
{
    static const struct option opts[] = {
        { "expire", required_argument, NULL, 'e' },
        { "paper", no_argument, NULL, 'p' },
        { "disappear", required_argument, NULL, 'd' },
        { "file", required_argument, NULL, 'f' },
        { "note", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enl_send_opts so = { 0, 0, 0 };
    enl_profile *p;
    uint8_t id[ENL_IDBYTES];
    char *text = NULL, hex[2 * ENL_IDBYTES + 1];
    const char *msg = NULL;
    const char *file = NULL, *note = NULL;
    size_t len = 0;
    int c, ex = 0, rc;

    while ((c = cli_getopt(argc, argv, "e:h", opts, "send", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'p') so.pad_floor = ENL_PAPER_PAD_FLOOR;  /* the smallest floor: fewer lines */
        if (c == 'f') file = optarg;
        if (c == 'n') note = optarg;
        if (c == 'd' && cli_duration(optarg, &so.disappear) != 0)
            return cli_fail("send: --disappear takes a duration such as 90s, 10m, 1h or 2d "
                            "(at most a year)"), EXIT_USAGE;
        if (c == 'e') {
            char *end;
            unsigned long h = strtoul(optarg, &end, 10);
            if (*end || h == 0 || h > ENL_EXPIRY_MAX_HOURS)
                return cli_fail("send: --expire takes 1 to %d hours", ENL_EXPIRY_MAX_HOURS), EXIT_USAGE;
            so.expiry_hours = (uint32_t)h;
        }
    }
    if (file != NULL) {
        if (optind + 1 != argc) return cli_usage(cli_find("send"));
        if (so.disappear) {
            cli_fail("send: --disappear goes with messages: a file is kept until it is saved or deleted");
            return cli_usage(cli_find("send"));
        }
        if (so.pad_floor) {
            cli_fail("send: --paper goes with messages (it keeps a message's note small for paper); "
                     "a file's notes are as large as its parts");
            return cli_usage(cli_find("send"));
        }
        if ((ex = cli_check_len("send", "the note of a file", note, ENL_FILE_NOTE_MAX)) != 0) return ex;
        if ((p = cli_unlock(&ex)) == NULL) return ex;
        return send_file(p, argv[optind], file, note, &so);
    }
    if (note != NULL) {
        cli_fail("send: --note goes with --file");
        return cli_usage(cli_find("send"));
    }
    if (optind + 1 != argc && optind + 2 != argc) return cli_usage(cli_find("send"));
    /* before the text is read: stdin may be where the passphrase is typed */
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((ex = cli_message_text("send", optind + 2 == argc ? argv[optind + 1] : NULL, &text, &msg,
                               &len)) != 0)
        return ex;
    rc = enl_send_text(p, argv[optind], (const uint8_t *)msg, len, &so, id);
    if (text != NULL) sodium_memzero(text, len);
    free(text);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, "send");
    for (size_t i = 0; i < 8; i++) snprintf(hex + 2 * i, 3, "%02x", id[i]);
    printf("sealed a note for %s (id %s); it leaves with the next sync\n", argv[optind], hex);
    warn_if_self_burned(p);
    return 0;
}
