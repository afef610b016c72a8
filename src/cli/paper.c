/*
 * enlace paper export|import: notes on paper. export writes the notes this
 * profile holds as a page a person can copy by hand and/or as QR codes
 * (PNG, SVG, the terminal); import reads a typed or pasted page, or a PNG
 * of the codes, and hands every note that checks to the same intake as any
 * other transport. The format lives in src/paper/; this file only chooses
 * notes, moves bytes to and from files and prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/outpath.h"
#include "paper/paper.h"
#include "paper/qr.h"
#include "util/base32.h"
#include "util/noreplace.h"

#define INPUT_MAX      ((size_t)16 << 20)  /* largest page or image read */
#define ERRORS_SHOWN   40
#define QR_COLUMNS     3
#define QR_PNG_SCALE   6
#define QR_SVG_MM      0.5
#define SHORT_HEX      16                  /* id digits shown, as send prints them */

static int usage(void)
{
    return cli_usage(cli_find("paper"));
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* ---- choosing notes --------------------------------------------------- */

typedef struct {
    uint8_t *bytes;
    size_t len;
    char hex[2 * ENL_IDBYTES + 1];
} held_note;

typedef struct {
    held_note *v;
    size_t n, cap;
    const char *prefix;     /* NULL: take every note */
    size_t matched;
    uint8_t match[ENL_IDBYTES];
    enl_profile *p;
    int rc;
} note_list;

static int push_note(note_list *l, const uint8_t id[ENL_IDBYTES])
{
    held_note *h;
    if (l->n == l->cap) {
        size_t c = l->cap ? 2 * l->cap : 16;
        held_note *v = realloc(l->v, c * sizeof *v);
        if (v == NULL) return l->rc = ENL_ENOMEM;
        l->v = v;
        l->cap = c;
    }
    h = &l->v[l->n];
    if ((l->rc = enl_note_get(l->p, id, &h->bytes, &h->len)) != ENL_OK) return l->rc;
    enl_hex_encode(h->hex, id, ENL_IDBYTES);
    l->n++;
    return 0;
}

static int each_held(const uint8_t id[ENL_IDBYTES], void *ctx)
{
    note_list *l = ctx;
    char hex[2 * ENL_IDBYTES + 1];
    if (l->prefix == NULL) return push_note(l, id);
    enl_hex_encode(hex, id, ENL_IDBYTES);
    if (strncasecmp(hex, l->prefix, strlen(l->prefix)) != 0) return 0;
    if (l->matched++ == 0) memcpy(l->match, id, ENL_IDBYTES);
    return 0;
}

static void notes_free(note_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i].bytes);
    free(l->v);
}

static int valid_prefix(const char *s)
{
    size_t n = strlen(s);
    if (n < 4 || n > 2 * ENL_IDBYTES) return 0;
    for (size_t i = 0; i < n; i++)
        if (strchr("0123456789abcdefABCDEF", s[i]) == NULL) return 0;
    return 1;
}

/* The ids asked for, checked before the profile is unlocked: 0, or the
 * exit status of wrong usage (2, as for every malformed argument). */
static int check_prefixes(char **prefixes, int n)
{
    for (int i = 0; i < n; i++)
        if (!valid_prefix(prefixes[i]))
            return cli_fail("paper export: '%s' is not a note id (4 to 64 hex digits)", prefixes[i]),
                   EXIT_USAGE;
    return 0;
}

/* The one note whose id begins with prefix (checked by check_prefixes). */
static int choose_one(note_list *l, const char *prefix)
{
    int rc;
    l->prefix = prefix;
    l->matched = 0;
    if ((rc = enl_note_each(l->p, each_held, l)) != ENL_OK) return cli_fail_rc(l->p, rc, "paper export");
    if (l->matched == 0) return cli_fail("paper export: no note held whose id begins with %s", prefix);
    if (l->matched > 1)
        return cli_fail("paper export: %zu notes have ids that begin with %s: give more digits",
                        l->matched, prefix);
    if (push_note(l, l->match) != 0) return cli_fail_rc(l->p, l->rc, "paper export");
    return 0;
}

/* The notes whose ids begin with the given prefixes, or every note held. */
static int choose(note_list *l, char **prefixes, int n)
{
    int rc;
    if (n > 0) {
        for (int i = 0; i < n; i++)
            if (choose_one(l, prefixes[i]) != 0) return 1;
        return 0;
    }
    rc = enl_note_each(l->p, each_held, l);
    if (rc == ENL_OK && l->rc != ENL_OK) rc = l->rc;
    if (rc != ENL_OK) return cli_fail_rc(l->p, rc, "paper export");
    if (l->n == 0) return cli_fail("paper export: this profile holds no notes");
    if (l->n > ENL_PAPER_NOTES_MAX)
        return cli_fail("paper export: %zu notes are more than one export holds (%d): name them",
                        l->n, ENL_PAPER_NOTES_MAX);
    return 0;
}

/* ---- export ------------------------------------------------------------ */

typedef struct {
    enl_qr *qr;
    const held_note *note;
    unsigned index, count;
} code;

typedef struct {
    const char *out, *png, *svg;
    int terminal, force;
    code *codes;
    size_t ncodes;
    unsigned pages, lines;
    int vmin, vmax;
} export_job;

/* An output file is written under a hidden name beside it and given the
 * name PATH only once all of it is written: an export that fails (an image
 * too large, a full disk) leaves a file that was there as it was. Without
 * --force a PATH that appeared meanwhile is not replaced either. A PATH
 * that is no regular file (a fifo, /dev/stdout) is written as it is. */
typedef struct {
    FILE *f;
    const char *path;
    char tmp[4200];
    int force;
} out_file;

static int open_out(out_file *o, const char *path, int force)
{
    struct stat sb;
    const char *slash = strrchr(path, '/');
    int fd = -1, n;

    o->path = path;
    o->tmp[0] = '\0';
    o->force = force;
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        if (S_ISDIR(sb.st_mode)) errno = EISDIR;
        o->f = S_ISDIR(sb.st_mode) ? NULL : fopen(path, "w");
    } else {
        for (int tries = 0; fd < 0 && tries < 16; tries++) {
            uint8_t r[8];
            char hex[17];
            randombytes_buf(r, sizeof r);
            sodium_bin2hex(hex, sizeof hex, r, sizeof r);
            n = snprintf(o->tmp, sizeof o->tmp, "%.*s.enlace-tmp-%s",
                         slash ? (int)(slash - path + 1) : 0, path, hex);
            if (n < 0 || (size_t)n >= sizeof o->tmp) {
                errno = ENAMETOOLONG;
                break;
            }
            /* 0600, as files save and revocation export: the page holds
             * sealed notes, and who may read it is the user's to widen */
            fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd < 0 && errno != EEXIST) break;
        }
        o->f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (o->f == NULL) {
            int e = errno;
            if (fd >= 0) {
                close(fd);
                unlink(o->tmp);
            }
            o->tmp[0] = '\0';
            errno = e;
        }
    }
    if (o->f == NULL) return cli_fail("paper export: cannot write %s: %s", path, strerror(errno));
    return 0;
}

static int close_out(out_file *o, int rc)
{
    int bad = ferror(o->f) || rc != ENL_OK, e;
    if (o->f == stdout) bad |= fflush(o->f) != 0;
    else bad |= fclose(o->f) != 0;
    e = errno;
    if (!bad && o->tmp[0] &&
        (o->force ? rename(o->tmp, o->path) : enl_rename_noreplace(o->tmp, o->path)) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad && o->tmp[0]) unlink(o->tmp);
    if (bad && rc == ENL_OK && e == EEXIST && !o->force)
        return cli_fail("paper export: %s exists (made while the export ran): choose another "
                        "name, or --force to replace it", o->path);
    if (bad && rc == ENL_ETOOBIG)
        return cli_fail("paper export: %s would be too large an image (%s): export fewer notes "
                        "at a time (paper export ID...)", o->path, enl_strerror(rc));
    if (bad) return cli_fail("paper export: cannot write %s: %s", o->path,
                             rc != ENL_OK && rc != ENL_EIO ? enl_strerror(rc) : strerror(e));
    return 0;
}

static int write_text(export_job *j, const note_list *l)
{
    out_file o;
    FILE *f;
    int rc = ENL_OK;
    if (open_out(&o, j->out, j->force) != 0) return 1;
    f = o.f;
    for (size_t i = 0; i < l->n && rc == ENL_OK; i++) {
        size_t max = enl_paper_text_max(l->v[i].len), tlen;
        char *text = malloc(max ? max : 1);
        unsigned pages, lines;
        rc = text == NULL ? ENL_ENOMEM
                          : enl_paper_encode(text, max, &tlen, l->v[i].bytes, l->v[i].len,
                                             (unsigned)i + 1, (unsigned)l->n);
        if (rc == ENL_OK && fwrite(text, 1, tlen, f) != tlen) rc = ENL_EIO;
        free(text);
        enl_paper_measure(l->v[i].len, &pages, &lines);
        j->pages += pages;
        j->lines += lines;
    }
    return close_out(&o, rc);
}

static int add_codes(export_job *j, const held_note *n)
{
    unsigned count = enl_qr_chunk_count(n->len);
    uint8_t chunk[ENL_QR_CAPACITY];
    code *v = realloc(j->codes, (j->ncodes + count) * sizeof *v);
    size_t clen;
    int rc = ENL_OK;

    if (v == NULL) return cli_fail("out of memory");
    j->codes = v;
    for (unsigned i = 1; i <= count && rc == ENL_OK; i++) {
        code *c = &j->codes[j->ncodes];
        rc = enl_qr_chunk_make(chunk, &clen, n->bytes, n->len, i);
        if (rc == ENL_OK) rc = enl_qr_encode(&c->qr, chunk, clen);
        if (rc != ENL_OK) break;
        c->note = n;
        c->index = i;
        c->count = count;
        j->ncodes++;
        if (j->vmin == 0 || enl_qr_version(c->qr) < j->vmin) j->vmin = enl_qr_version(c->qr);
        if (enl_qr_version(c->qr) > j->vmax) j->vmax = enl_qr_version(c->qr);
    }
    if (rc != ENL_OK) return cli_fail("paper export: QR code: %s", enl_strerror(rc));
    return 0;
}

static int write_image(export_job *j, const char *path, int svg)
{
    const enl_qr **qrs = malloc(j->ncodes * sizeof *qrs);
    out_file o;
    int rc;
    if (qrs == NULL) return cli_fail("out of memory");
    for (size_t i = 0; i < j->ncodes; i++) qrs[i] = j->codes[i].qr;
    if (open_out(&o, path, j->force) != 0) {
        free(qrs);
        return 1;
    }
    rc = svg ? enl_qr_write_svg(o.f, qrs, j->ncodes, QR_COLUMNS, QR_SVG_MM)
             : enl_qr_write_png(o.f, qrs, j->ncodes, QR_COLUMNS, QR_PNG_SCALE);
    free(qrs);
    return close_out(&o, rc);
}

static int write_terminal(const export_job *j)
{
    for (size_t i = 0; i < j->ncodes; i++) {
        const code *c = &j->codes[i];
        printf("note %.*s, code %u of %u (QR version %d, error correction %c)\n", SHORT_HEX,
               c->note->hex, c->index, c->count, enl_qr_version(c->qr), enl_qr_level(c->qr));
        if (enl_qr_write_terminal(stdout, c->qr) != ENL_OK) return cli_fail("cannot write the output");
    }
    return 0;
}

static void export_summary(const export_job *j, const note_list *l)
{
    FILE *f = (j->out && strcmp(j->out, "-") == 0) || j->terminal ? stderr : stdout;
    size_t bytes = 0;
    for (size_t i = 0; i < l->n; i++) bytes += l->v[i].len;
    fprintf(f, "paper export: %zu %s (%zu bytes)", l->n, plural(l->n, "note", "notes"), bytes);
    if (l->n == 1) fprintf(f, ", id %.*s", SHORT_HEX, l->v[0].hex);
    if (j->out)
        fprintf(f, "; %u %s of %u lines to %s", j->pages, plural(j->pages, "page", "pages"),
                j->lines, strcmp(j->out, "-") == 0 ? "stdout" : j->out);
    if (j->ncodes > 0) {
        fprintf(f, "; %zu QR %s, version %d", j->ncodes, plural(j->ncodes, "code", "codes"), j->vmin);
        if (j->vmax != j->vmin) fprintf(f, " to %d", j->vmax);
        if (j->ncodes == 1) fprintf(f, " (error correction %c)", enl_qr_level(j->codes[0].qr));
        if (j->png) fprintf(f, ", to %s", j->png);
        if (j->svg) fprintf(f, ", to %s", j->svg);
    }
    fputc('\n', f);
}

static int run_export(export_job *j, note_list *l)
{
    if (j->out != NULL && write_text(j, l) != 0) return 1;
    if (j->png || j->svg || j->terminal)
        for (size_t i = 0; i < l->n; i++)
            if (add_codes(j, &l->v[i]) != 0) return 1;
    if (j->png != NULL && write_image(j, j->png, 0) != 0) return 1;
    if (j->svg != NULL && write_image(j, j->svg, 1) != 0) return 1;
    if (j->terminal && write_terminal(j) != 0) return 1;
    export_summary(j, l);
    return 0;
}

/* The folder (resolved) and the last name of path, where it will be
 * renamed into place; 0 when the folder cannot be resolved. */
static int entry_of(const char *path, char **dir, const char **base)
{
    const char *slash = strrchr(path, '/');
    char *d;
    *base = slash ? slash + 1 : path;
    if (slash == NULL) d = realpath(".", NULL);
    else if (slash == path) d = realpath("/", NULL);
    else {
        char *head = strndup(path, (size_t)(slash - path));
        d = head ? realpath(head, NULL) : NULL;
        free(head);
    }
    *dir = d;
    return d != NULL;
}

/* Whether two outputs would write one file: the same name, the same name
 * in the same folder (written under a temporary name, then renamed there),
 * or one file that both reach (a link, /dev/stdout). */
static int same_output(const char *a, const char *b)
{
    struct stat sa, sb;
    char *da = NULL, *db = NULL;
    const char *ba, *bb;
    int same;
    if (strcmp(a, b) == 0) return 1;
    if (strcmp(a, "-") == 0 || strcmp(b, "-") == 0) return 0;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino)
        return 1;
    same = entry_of(a, &da, &ba) && entry_of(b, &db, &bb) && strcmp(da, db) == 0 &&
           strcmp(ba, bb) == 0;
    free(da);
    free(db);
    return same;
}

/* Two outputs that name one file would leave only the last written there:
 * refused before anything is written. */
static int distinct_outputs(const export_job *j)
{
    const char *path[3] = { j->out, j->png, j->svg };
    static const char *const opt[3] = { "--out", "--qr-png", "--qr-svg" };
    for (int a = 0; a < 3; a++)
        for (int b = a + 1; b < 3; b++)
            if (path[a] != NULL && path[b] != NULL && same_output(path[a], path[b])) {
                cli_fail("paper export: %s and %s name the same file: each output needs a file "
                         "of its own", opt[a], opt[b]);
                return cli_usage(cli_find("paper"));
            }
    return 0;
}

static int export(int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' },
        { "qr-png", required_argument, NULL, 'p' },
        { "qr-svg", required_argument, NULL, 's' },
        { "terminal", no_argument, NULL, 't' },
        { "force", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    export_job j;
    note_list l;
    int c, ex = 0, rc;

    memset(&j, 0, sizeof j);
    memset(&l, 0, sizeof l);
    while ((c = cli_getopt(argc, argv, "o:h", opts, "paper", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'o') j.out = optarg;
        if (c == 'p') j.png = optarg;
        if (c == 's') j.svg = optarg;
        if (c == 't') j.terminal = 1;
        if (c == 'f') j.force = 1;
    }
    if (j.out == NULL && j.png == NULL && j.svg == NULL && !j.terminal) j.out = "-";
    if ((rc = distinct_outputs(&j)) != 0) return rc;
    {
        const char *path[3] = { j.out, j.png, j.svg };
        for (int i = 0; i < 3; i++)
            if (path[i] != NULL && (rc = cli_check_output("paper export", path[i], j.force)) != 0)
                return rc;
    }
    if ((rc = check_prefixes(argv + optind, argc - optind)) != 0) return rc;
    if ((l.p = cli_unlock(&ex)) == NULL) return ex;
    rc = choose(&l, argv + optind, argc - optind);
    if (rc == 0) rc = run_export(&j, &l);
    for (size_t i = 0; i < j.ncodes; i++) enl_qr_free(j.codes[i].qr);
    free(j.codes);
    notes_free(&l);
    return rc;
}

/* ---- import ------------------------------------------------------------ */

typedef struct {
    enl_profile *p;
    const char *name;
    enl_sync_stats st;
    uint64_t read, duplicates, skipped;
    size_t errors, shown;
    size_t unkept;              /* refused for now: the page is still needed */
} import_job;

static void on_error(void *ctx, const enl_paper_error *e)
{
    import_job *im = ctx;
    if (!e->warning) im->errors++;
    if (im->shown++ >= ERRORS_SHOWN) return;
    if (e->line > 0)
        fprintf(stderr, "enlace: %s%s:%zu: %s\n", e->warning ? "warning: " : "", im->name, e->line, e->msg);
    else
        fprintf(stderr, "enlace: %s%s: %s\n", e->warning ? "warning: " : "", im->name, e->msg);
}

static void on_note(void *ctx, const uint8_t *note, size_t len, const enl_paper_note_info *info)
{
    import_job *im = ctx;
    const uint8_t *idp = info->id_prefix;
    int rc = enl_note_intake(im->p, note, len, &im->st);

    im->read++;
    im->st.bytes_received += len;
    if (rc == ENL_OK) return;
    if (rc == ENL_EDUPLICATE || rc == ENL_EPURGED) {
        im->duplicates++;
        return;
    }
    im->skipped++;
    if (!enl_refusal_is_final(rc)) {
        /* The page may be its only copy: it must not look done. */
        im->unkept++;
        /* a limit reached: the library's message says which */
        fprintf(stderr, "enlace: %s: note %02x%02x%02x%02x not kept: %s\n", im->name, idp[0],
                idp[1], idp[2], idp[3], rc == ENL_EFULL ? enl_profile_errmsg(im->p) : enl_strerror(rc));
        return;
    }
    fprintf(stderr, "enlace: warning: %s: note %02x%02x%02x%02x refused: %s\n", im->name, idp[0],
            idp[1], idp[2], idp[3], enl_strerror(rc));
}

static int read_input(const char *path, char **buf, size_t *len)
{
    FILE *f;
    size_t n = 0, r;
    char *b;
    if (strcmp(path, "-") == 0) return cli_read_stdin(buf, len, INPUT_MAX);
    if ((f = fopen(path, "rb")) == NULL)
        return cli_fail("paper import: cannot read %s: %s", path, strerror(errno));
    if ((b = malloc(INPUT_MAX + 1)) == NULL) {
        fclose(f);
        return cli_fail("out of memory");
    }
    while (n <= INPUT_MAX && (r = fread(b + n, 1, INPUT_MAX + 1 - n, f)) > 0) n += r;
    if (ferror(f) || n > INPUT_MAX) {
        int big = n > INPUT_MAX;
        fclose(f);
        free(b);
        if (big) return cli_fail("paper import: %s is larger than %zu bytes", path, INPUT_MAX);
        return cli_fail("paper import: cannot read %s: %s", path, strerror(errno));
    }
    fclose(f);
    *buf = b;
    *len = n;
    return 0;
}

static void import_summary(const import_job *im)
{
    const enl_sync_stats *s = &im->st;
    uint64_t received = enl_sync_received(s);
    printf("paper import %s: read %llu %s, received %llu %s, %llu new %s, %llu %s, %llu skipped\n",
           im->name, (unsigned long long)im->read, plural(im->read, "note", "notes"),
           (unsigned long long)received, plural(received, "note", "notes"),
           (unsigned long long)s->delivered, plural(s->delivered, "message", "messages"),
           (unsigned long long)im->duplicates, plural(im->duplicates, "duplicate", "duplicates"),
           (unsigned long long)im->skipped);
    cli_print_arrivals(s);
    cli_print_invitations(im->p, s);
}

static int import(int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const uint8_t png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    import_job im;
    enl_profile *p;
    enl_paper_sink sink = { on_note, on_error, &im };
    uint8_t *buf;
    char *in = NULL;
    size_t len = 0;
    int c, ex = 0;

    while ((c = cli_getopt(argc, argv, "h", opts, "paper", &ex)) != -1)
        if (c == -2) return ex;
    if (optind + 1 != argc) return usage();
    /* before FILE|- is read: stdin may be where the passphrase is typed */
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    memset(&im, 0, sizeof im);
    im.p = p;
    im.name = strcmp(argv[optind], "-") == 0 ? "stdin" : argv[optind];
    /* All paper is one source: whoever typed the page in chose what it holds. */
    enl_note_source(p, "paper", NULL, 0);
    if (read_input(argv[optind], &in, &len) != 0) return 1;
    if ((buf = malloc(ENL_NOTE_MAX)) == NULL) {
        free(in);
        return cli_fail("out of memory");
    }
    if (len >= sizeof png_magic && memcmp(in, png_magic, sizeof png_magic) == 0) {
        int rc = enl_qr_read_png((const uint8_t *)in, len, buf, &sink);
        if (rc != ENL_OK && im.errors == 0) {
            im.errors++;
            cli_fail("paper import: %s is not an image enlace can read: %s", im.name, enl_strerror(rc));
        }
    } else {
        (void)enl_paper_decode(in, len, buf, &sink);
    }
    free(buf);
    free(in);
    if (im.shown > ERRORS_SHOWN)
        fprintf(stderr, "enlace: %s: %zu more problems not shown\n", im.name, im.shown - ERRORS_SHOWN);
    if (im.read == 0 && im.errors == 0) return cli_fail("paper import: no note found in %s", im.name);
    import_summary(&im);
    if (im.unkept > 0) {
        cli_fail("paper import: %zu %s could not be kept now: keep the page, and import it "
                 "again once the problem above is solved", im.unkept,
                 plural(im.unkept, "note", "notes"));
        return 1;
    }
    return im.errors > 0 ? 1 : 0;
}

int cmd_paper(int argc, char **argv)
{
    if (argc < 2) return usage();
    if (strcmp(argv[1], "export") == 0) return export(argc - 1, argv + 1);
    if (strcmp(argv[1], "import") == 0) return import(argc - 1, argv + 1);
    cli_fail("paper: no command '%s'", argv[1]);
    return usage();
}
