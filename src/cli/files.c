/* enlace files [--json]: files sent and received;
 * enlace files save ID --out PATH [--force] [--from NAME]: write a received file out;
 * enlace files delete ID [--from NAME]: drop a received file unsaved. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/commands.h"
#include "cli/outpath.h"
#include "cli/stopclean.h"
#include "util/base32.h"

#define SHORT_HEX 16

static int usage(void)
{
    return cli_usage(cli_find("files"));
}

static const char *state_name(enl_file_state s)
{
    switch (s) {
    case ENL_FILE_RECEIVING: return "receiving";
    case ENL_FILE_COMPLETE: return "complete";
    case ENL_FILE_SAVED: return "saved";
    case ENL_FILE_SEALING: return "interrupted";
    case ENL_FILE_SENDING: return "sending";
    case ENL_FILE_SENT: return "sent";
    case ENL_FILE_DELIVERED: return "delivered";
    case ENL_FILE_EXPIRED: return "expired";
    case ENL_FILE_DELETED: return "deleted";
    }
    return "?";
}

static void print_json(const enl_file_info *f)
{
    char id[2 * ENL_FILE_IDBYTES + 1], hash[65];
    enl_hex_encode(id, f->id, ENL_FILE_IDBYTES);
    enl_hex_encode(hash, f->hash, sizeof f->hash);
    printf("{\"id\":\"%s\",\"direction\":\"%s\",\"known\":%s,\"state\":\"%s\",\"peer\":", id,
           f->outgoing ? "out" : "in", f->known ? "true" : "false", state_name(f->state));
    cli_json_str(stdout, f->peer, strlen(f->peer));
    printf(",\"fingerprint\":\"%s\",\"name\":", f->known ? f->peer_fingerprint : "");
    cli_json_str(stdout, f->name, strlen(f->name));
    printf(",\"note\":");
    cli_json_str(stdout, f->note, strlen(f->note));
    printf(",\"size\":%llu,\"parts\":%lu,\"have\":%lu,\"delivered\":%lu,\"sent\":%llu,"
           "\"received\":%llu,\"hash\":\"%s\"}\n",
           (unsigned long long)f->size, (unsigned long)f->parts, (unsigned long)f->have,
           (unsigned long)f->delivered, (unsigned long long)f->sent,
           (unsigned long long)f->received, f->known ? hash : "");
}

static void print_text(const enl_file_info *f)
{
    char id[2 * ENL_FILE_IDBYTES + 1], size[32], when[32];
    const char *who = f->peer[0] ? f->peer : f->peer_fingerprint;
    enl_hex_encode(id, f->id, ENL_FILE_IDBYTES);
    if (!f->known) {
        printf("%.*s  from ?  (its description has not arrived yet)  %lu part%s here  "
               "receiving\n", SHORT_HEX, id, (unsigned long)f->have, f->have == 1 ? "" : "s");
        return;
    }
    cli_size(size, f->size);
    cli_time(when, f->outgoing ? f->sent : f->received);
    printf("%.*s  [%s] %s %s  ", SHORT_HEX, id, when, f->outgoing ? "to" : "from", who);
    cli_safe_print(stdout, f->name, strlen(f->name));
    if (f->outgoing)
        printf("  %s  sealed %lu/%lu parts, %lu/%lu notes delivered  %s\n", size,
               (unsigned long)f->have, (unsigned long)f->parts, (unsigned long)f->delivered,
               (unsigned long)f->parts + 1, state_name(f->state));
    else
        printf("  %s  %lu/%lu parts  %s\n", size, (unsigned long)f->have, (unsigned long)f->parts,
               state_name(f->state));
    if (f->note[0]) {
        printf("    note: ");
        cli_safe_print_entry(stdout, f->note, strlen(f->note));
        printf("\n");
    }
}

typedef struct {
    int json;
    int count;
} list_out;

static int show(const enl_file_info *f, void *ctx)
{
    list_out *o = ctx;
    o->count++;
    if (o->json) print_json(f);
    else print_text(f);
    return 0;
}

static int list(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    list_out o = { 0, 0 };
    enl_profile *p;
    int c, ex = 0, rc;
    while ((c = cli_getopt(argc, argv, "h", opts, "files", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'j') o.json = 1;
    }
    if (optind != argc) return usage();
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_files_each(p, show, &o)) != ENL_OK) return cli_fail_rc(p, rc, "files");
    if (!o.json && o.count == 0) printf("no files yet\n");
    return 0;
}

typedef struct {
    const char *prefix;
    const char *from;   /* contact name or fingerprint, or NULL */
    enl_file_info match;
    int matched;
    int headless;       /* parts without a description that --from left out */
    int from_seen;      /* files received from --from, whatever their id */
} finder;

static int find(const enl_file_info *f, void *ctx)
{
    finder *fd = ctx;
    char id[2 * ENL_FILE_IDBYTES + 1];
    if (f->outgoing) return 0;
    if (fd->from != NULL && f->known &&
        (strcmp(f->peer, fd->from) == 0 || strcmp(f->peer_fingerprint, fd->from) == 0))
        fd->from_seen++;
    enl_hex_encode(id, f->id, ENL_FILE_IDBYTES);
    if (strncasecmp(id, fd->prefix, strlen(fd->prefix)) != 0) return 0;
    /* Whose such parts are is not known until the description comes. */
    if (!f->known && fd->from != NULL) {
        fd->headless++;
        return 0;
    }
    if (fd->from != NULL && strcmp(f->peer, fd->from) != 0 &&
        strcmp(f->peer_fingerprint, fd->from) != 0)
        return 0;
    if (fd->matched++ == 0) fd->match = *f;
    return 0;
}

static int valid_prefix(const char *s)
{
    size_t n = strlen(s);
    if (n < 4 || n > 2 * ENL_FILE_IDBYTES) return 0;
    return strspn(s, "0123456789abcdefABCDEF") == n;
}

/* Whether ID and --from can name a file at all, before the profile is
 * unlocked: 0, or the exit code (wrong usage), said. */
static int check_id(const char *what, const char *prefix, const char *from)
{
    if (!valid_prefix(prefix))
        return cli_fail("files %s: '%s' is not a file id (4 to 32 hex digits)", what, prefix),
               EXIT_USAGE;
    if (from != NULL && from[0] == '\0')
        return cli_fail("files %s: --from needs a contact's name or fingerprint", what),
               EXIT_USAGE;
    return 0;
}

/* The one received file that ID (or its first digits) and --from name
 * (checked by check_id); says why not and returns the exit code otherwise. */
static int resolve(enl_profile *p, const char *what, const char *prefix, const char *from,
                   enl_file_info *out)
{
    finder fd;
    char label[32];
    int rc;
    memset(&fd, 0, sizeof fd);
    fd.prefix = prefix;
    fd.from = from;
    snprintf(label, sizeof label, "files %s", what);
    if ((rc = enl_files_each(p, find, &fd)) != ENL_OK) return cli_fail_rc(p, rc, label);
    if (fd.matched == 0 && fd.headless > 0)
        return cli_fail("files %s: no file received from %s whose id begins with %s; parts whose "
                        "description has not arrived ('from ?') have that id, and no sender yet: "
                        "leave out --from", what, from, prefix);
    /* a name mistyped is not "no such file": nothing came from it at all */
    if (fd.matched == 0 && from != NULL && fd.from_seen == 0 && fd.headless == 0)
        return cli_fail("files %s: no file was received from '%s': no contact of that name nor "
                        "sender of that fingerprint sent one (enlace files lists them)", what, from);
    if (fd.matched == 0)
        return cli_fail("files %s: no file received%s%s whose id begins with %s (enlace files "
                        "lists them)", what, from ? " from " : "", from ? from : "", prefix);
    if (fd.matched > 1)
        return cli_fail("files %s: %d files have ids that begin with %s: give more digits, or "
                        "say whose with --from NAME", what, fd.matched, prefix);
    *out = fd.match;
    return 0;
}

/* A save stopped by Ctrl-C, a SIGTERM or a SIGHUP first removes the hidden
 * temporary name the file may have: left, it would hold the file, or part
 * of it, in the clear beside PATH where nobody knows of it (as on a vfat
 * stick, which has no unnamed files). */
typedef struct {
    enl_profile *p;
    const char *from, *path;
    const uint8_t *id;
    int flags;
} save_job;

static int run_save_job(void *ctx)
{
    save_job *j = ctx;
    return enl_file_save_from(j->p, j->from, j->id, j->path, j->flags, cli_progress_bytes, NULL);
}

static int save_file(enl_profile *p, const char *from, const uint8_t id[ENL_FILE_IDBYTES],
                     const char *path, int flags)
{
    save_job j = { p, from, path, id, flags };
    return cli_with_stop_cleanup(enl_file_save_interrupted, run_save_job, &j);
}

static int save(int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' },
        { "force", no_argument, NULL, 'f' },
        { "from", required_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enl_file_info f;
    enl_profile *p;
    const char *out = NULL, *from = NULL;
    char size[32];
    int c, ex = 0, flags = 0, rc;

    while ((c = cli_getopt(argc, argv, "o:h", opts, "files", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'o') out = optarg;
        if (c == 'f') flags |= ENL_FILE_SAVE_FORCE;
        if (c == 'F') from = optarg;
    }
    if (optind + 1 != argc || out == NULL) return usage();
    if ((rc = check_id("save", argv[optind], from)) != 0) return rc;
    if ((rc = cli_check_output("files save", out, flags & ENL_FILE_SAVE_FORCE)) != 0) return rc;
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = resolve(p, "save", argv[optind], from, &f)) != 0) return rc;
    if (!f.known)
        return cli_fail("files save: the description of %s has not arrived yet: its parts "
                        "cannot be named or checked", argv[optind]);
    rc = save_file(p, f.peer_fingerprint, f.id, out, flags);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, "files save");
    cli_size(size, f.size);
    printf("saved ");
    cli_safe_print(stdout, f.name, strlen(f.name));
    printf(" (%s, every part checked against its hash) to %s\n", size, out);
    return 0;
}

static int delete(int argc, char **argv)
{
    static const struct option opts[] = {
        { "from", required_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enl_file_info f;
    enl_profile *p;
    const char *from = NULL;
    char size[32];
    int c, ex = 0, rc;

    while ((c = cli_getopt(argc, argv, "h", opts, "files", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'F') from = optarg;
    }
    if (optind + 1 != argc) return usage();
    if ((rc = check_id("delete", argv[optind], from)) != 0) return rc;
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = resolve(p, "delete", argv[optind], from, &f)) != 0) return rc;
    if (!f.known) {
        uint64_t n = 0;
        if ((rc = enl_file_delete_orphan(p, f.id, &n)) != ENL_OK)
            return cli_fail_rc(p, rc, "files delete");
        printf("deleted %llu part%s whose description had not arrived (if it comes, the file is "
               "listed with them missing)\n", (unsigned long long)n, n == 1 ? "" : "s");
        return 0;
    }
    if ((rc = enl_file_delete(p, f.peer_fingerprint, f.id)) != ENL_OK)
        return cli_fail_rc(p, rc, "files delete");
    cli_size(size, f.size);
    printf("deleted ");
    cli_safe_print(stdout, f.name, strlen(f.name));
    printf(" (%s, %lu of %lu parts) from this profile, unsaved\n", size, (unsigned long)f.have,
           (unsigned long)f.parts);
    return 0;
}

int cmd_files(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "save") == 0) return save(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "delete") == 0) return delete(argc - 1, argv + 1);
    if (argc >= 2 && argv[1][0] != '-') {
        cli_fail("files: no command '%s'", argv[1]);
        return usage();
    }
    return list(argc, argv);
}
