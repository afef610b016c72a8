/* CLI helpers: errors, passphrases, stdin, JSON and safe terminal output. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/stopclean.h"
#include "core/onion.h"
#include "crypto/revocation.h"
#include "transport/tcp.h"
#include "util/secmem.h"

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("enlace: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_fail_quoting(const char *head, const char *quoted, const char *tail)
{
    fprintf(stderr, "enlace: %s", head);
    cli_safe_print_entry(stderr, quoted, strlen(quoted));
    fprintf(stderr, "%s\n", tail);
    return 1;
}

cli_text_kind cli_text_kind_of(const char *text)
{
    while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n') text++;
    if (strncasecmp(text, "enlace-revocation1", 18) == 0) return CLI_TEXT_REVOCATION;
    if (strncasecmp(text, "enlace1", 7) == 0) return CLI_TEXT_CARD;
    return CLI_TEXT_OTHER;
}

int cli_fail_rc(enl_profile *p, int rc, const char *what)
{
    const char *detail = p ? enl_profile_errmsg(p) : "";
    if (detail == NULL || *detail == '\0') return cli_fail("%s: %s", what, enl_strerror(rc));
    /* The library's message may quote what came from outside (a path tor's
     * control port named, a name, a file's): never raw to the terminal. */
    fprintf(stderr, "enlace: %s: ", what);
    cli_safe_print_entry(stderr, detail, strlen(detail));
    fputc('\n', stderr);
    return 1;
}

int cli_usage(const cli_command *c)
{
    fprintf(stderr, "usage: %s\n", c->usage);
    fprintf(stderr, "run 'enlace %s --help' for more\n", c->name);
    return EXIT_USAGE;
}

int cli_help(const cli_command *c)
{
    printf("usage: %s\n\n%s\n", c->usage, c->summary);
    return 0;
}

/* --home, else $ENLACE_HOME, else $HOME/.enlace; NULL when none is set:
 * never a folder under wherever the command happens to run (a cron job's
 * or a service's working directory), which `wipe` would then destroy. */
const char *cli_home(void)
{
    static char buf[4096];
    const char *h = cli.home;
    if (h != NULL) return h;        /* an empty --home is refused in main */
    h = getenv("ENLACE_HOME");
    if (h != NULL && *h) return h;
    h = getenv("HOME");
    if (h == NULL || *h != '/') return NULL;
    if ((size_t)snprintf(buf, sizeof buf, "%s/.enlace", h) >= sizeof buf) return NULL;
    return buf;
}

#define DISK_FULL_BELOW (1u << 20)   /* an open failed with up to 48 KiB free, an init with 1 MiB */

const char *cli_disk_full(const char *dir, char *buf, size_t max)
{
    struct statvfs sv;
    char *copy = NULL;
    unsigned long long room;
    int ok = statvfs(dir, &sv) == 0;

    buf[0] = '\0';
    if (!ok && (copy = strdup(dir)) != NULL) ok = statvfs(dirname(copy), &sv) == 0;
    free(copy);
    if (!ok) return buf;
    /* root may write into the blocks reserved for it */
    room = (unsigned long long)(geteuid() == 0 ? sv.f_bfree : sv.f_bavail) * sv.f_frsize;
    if (room < DISK_FULL_BELOW)
        snprintf(buf, max, "its disk is full (%llu KiB free)", room / 1024);
    return buf;
}

/* One line of fd into buf: 0, -1 when longer than max - 1 bytes, -2 when a
 * read fails (errno says why): what came before a failed read is not the
 * whole line, and a passphrase cut short would lock its owner out. */
static int read_line_fd(int fd, char *buf, size_t max, size_t *len)
{
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            sodium_memzero(buf, n);
            return -2;
        }
        if (r == 0 || c == '\n') break;
        if (n + 1 >= max) return -1;
        buf[n++] = c;
    }
    if (n > 0 && buf[n - 1] == '\r') n--;
    buf[n] = '\0';
    *len = n;
    return 0;
}

/* While echo is off, a signal that ends the process (Ctrl-C at the prompt,
 * a SIGTERM, SIGHUP or SIGQUIT from the session) must first give the
 * terminal its echo back: left off, the next thing typed, often the
 * passphrase again, would not show. tcsetattr is async-signal-safe. */
static int echo_fd = -1;
static struct termios echo_saved;

static void echo_restore(void)
{
    if (echo_fd >= 0) {
        tcsetattr(echo_fd, TCSAFLUSH, &echo_saved);
        if (write(echo_fd, "\n", 1) < 0) { /* the terminal is gone: nothing to tell */ }
    }
}

typedef struct {
    char *buf;
    size_t max, *len;
} line_job;

/* A line read from the terminal echo_fd with its echo off. */
static int read_unechoed(void *ctx)
{
    line_job *j = ctx;
    struct termios quiet = echo_saved;
    int rc;
    quiet.c_lflag &= (tcflag_t)~ECHO;
    tcsetattr(echo_fd, TCSAFLUSH, &quiet);
    rc = read_line_fd(echo_fd, j->buf, j->max, j->len);
    tcsetattr(echo_fd, TCSAFLUSH, &echo_saved);
    return rc;
}

static int ask_tty(char *buf, size_t max, size_t *len, const char *prompt)
{
    line_job j = { buf, max, len };
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC), rc;
    if (fd < 0) return -1;
    if (write(fd, prompt, strlen(prompt)) < 0) { close(fd); return -1; }
    if (tcgetattr(fd, &echo_saved) != 0) { close(fd); return -1; }
    echo_fd = fd;
    rc = cli_with_stop_cleanup(echo_restore, read_unechoed, &j);
    echo_fd = -1;
    if (write(fd, "\n", 1) < 0) rc = -1;
    close(fd);
    return rc;
}

#define PASS_MAX 1024
/* The confirmation of a new passphrase: the same words at init, passphrase
 * change and duress. */
#define CLI_PROMPT_AGAIN "the same passphrase again: "
#define EMPTY_REFUSED "an empty passphrase would leave the profile open to anyone who takes the device"

int cli_passphrase(char **out, size_t *len, int confirm, const char *prompt)
{
    const char *env = getenv("ENLACE_PASSPHRASE");
    char *pass = sodium_malloc(PASS_MAX), *again = NULL;
    size_t n = 0, m = 0;
    int rc = 1;

    if (pass == NULL) return cli_fail("out of memory");
    /* Set but empty (an export forgotten, a variable of a script left
     * blank): no passphrase is empty, so it says nothing, and the file or
     * the terminal is asked as if it were unset. */
    if (env != NULL && env[0] == '\0') {
        unsetenv("ENLACE_PASSPHRASE");
        env = NULL;
    }
    if (env != NULL) {
        n = strlen(env);
        if (n >= PASS_MAX) goto toolong;
        memcpy(pass, env, n + 1);
        /* Not left for child processes or /proc/self/environ readers. */
        sodium_memzero((char *)env, n);
        unsetenv("ENLACE_PASSPHRASE");
    } else if (cli.passphrase_file != NULL) {
        int fd = open(cli.passphrase_file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            cli_fail("cannot read the passphrase file %s: %s", cli.passphrase_file, strerror(errno));
            goto out;
        }
        /* Not into rc: a refusal further down must still return 1. */
        int got = read_line_fd(fd, pass, PASS_MAX, &n), err = errno;
        close(fd);
        if (got == -2) {
            /* not "wrong passphrase": the right one may be in a file that cannot be read */
            cli_fail("cannot read the passphrase file %s: %s", cli.passphrase_file, strerror(err));
            goto out;
        }
        if (got != 0) goto toolong;
    } else {
        if (ask_tty(pass, PASS_MAX, &n, prompt) != 0) {
            cli_fail("no passphrase: set ENLACE_PASSPHRASE, use --passphrase-file FILE, "
                     "or run on a terminal");
            goto out;
        }
        /* refused at once: not asked again only to be refused then */
        if (confirm && n == 0) goto empty;
        if (confirm) {
            if ((again = sodium_malloc(PASS_MAX)) == NULL ||
                ask_tty(again, PASS_MAX, &m, CLI_PROMPT_AGAIN) != 0) {
                cli_fail("cannot read the passphrase again");
                goto out;
            }
            if (m != n || sodium_memcmp(again, pass, n) != 0) {
                cli_fail("the two passphrases differ");
                goto out;
            }
        }
    }
    if (confirm && n == 0) goto empty;
    *out = pass;
    *len = n;
    pass = NULL;
    rc = 0;
    goto out;
toolong:
    cli_fail("the passphrase is longer than %d bytes", PASS_MAX - 1);
    rc = 1;
    goto out;
empty:
    cli_fail(EMPTY_REFUSED);
out:
    if (pass != NULL) sodium_free(pass);
    if (again != NULL) sodium_free(again);
    return rc;
}

int cli_passphrase_from_file(char **out, size_t *len, const char *file)
{
    char *pass = sodium_malloc(PASS_MAX);
    size_t n = 0;
    int fd, rc;
    if (pass == NULL) return cli_fail("out of memory");
    if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
        sodium_free(pass);
        return cli_fail("cannot read the passphrase file %s: %s", file, strerror(errno));
    }
    rc = read_line_fd(fd, pass, PASS_MAX, &n);
    if (rc == -2) {
        int err = errno;
        close(fd);
        sodium_free(pass);
        return cli_fail("cannot read the passphrase file %s: %s", file, strerror(err));
    }
    close(fd);
    if (rc != 0 || n == 0) {
        sodium_free(pass);
        return cli_fail(rc != 0 ? "the passphrase in %s is too long" : "%s holds an empty passphrase", file);
    }
    *out = pass;
    *len = n;
    return 0;
}

int cli_passphrase_new(char **out, size_t *len, const char *prompt)
{
    char *pass = sodium_malloc(PASS_MAX), *again = sodium_malloc(PASS_MAX);
    size_t n = 0, m = 0;
    int rc = 1;
    if (pass == NULL || again == NULL) {
        cli_fail("out of memory");
    } else if (ask_tty(pass, PASS_MAX, &n, prompt) != 0) {
        cli_fail("no terminal to ask for it: use --new-passphrase-file FILE");
    } else if (n == 0) {
        /* at once: not asked again only to be refused then */
        cli_fail(EMPTY_REFUSED);
    } else if (ask_tty(again, PASS_MAX, &m, CLI_PROMPT_AGAIN) != 0) {
        cli_fail("no terminal to ask for it: use --new-passphrase-file FILE");
    } else if (n != m || sodium_memcmp(pass, again, n) != 0) {
        cli_fail("the two passphrases differ");
    } else {
        *out = pass;
        *len = n;
        pass = NULL;
        rc = 0;
    }
    if (pass != NULL) sodium_free(pass);
    if (again != NULL) sodium_free(again);
    return rc;
}

void cli_passphrase_free(char *pass, size_t len)
{
    (void)len;
    if (pass != NULL) sodium_free(pass);
}

/* Reads stdin, up to size bytes, into *out (malloc'd, NUL-terminated);
 * with read(2), not stdio: what passes through stdio's buffer would stay
 * there unwiped, and a message or a card is not to linger. A failed read
 * (a folder as stdin, an I/O error) is no end of the text: 1, nothing
 * kept. The caller wipes *out (size + 1 bytes) when it refuses it. */
static int read_stdin(char **out, size_t *got, size_t size)
{
    char *buf = malloc(size + 1);
    size_t n = 0;
    if (buf == NULL) return cli_fail("out of memory");
    while (n < size) {
        ssize_t r = read(STDIN_FILENO, buf + n, size - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            enl_free_wiped(buf, size + 1);
            return cli_fail("cannot read stdin: %s", strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *out = buf;
    *got = n;
    return 0;
}

int cli_read_stdin(char **out, size_t *len, size_t max)
{
    /* One byte more than allowed: that is how a longer input shows. */
    if (read_stdin(out, len, max + 1) != 0) return 1;
    if (*len > max) {
        enl_free_wiped(*out, max + 2);
        return cli_fail("the input is longer than %zu bytes", max);
    }
    return 0;
}

int cli_read_text(char **out, size_t *len, size_t max, const char *what)
{
    /* Two more: a final line end is not text, and one more shows a longer one. */
    if (read_stdin(out, len, max + 2) != 0) return 1;
    /* `echo text | enlace send NAME` means the text, not its line end. */
    if (*len > 0 && (*out)[*len - 1] == '\n') (*out)[--*len] = '\0';
    if (*len > max) {
        enl_free_wiped(*out, max + 3);
        return cli_fail("%s holds at most %zu bytes", what, max);
    }
    return 0;
}

int cli_message_text(const char *cmd, const char *arg, char **out, const char **text, size_t *len)
{
    *out = NULL;
    if (arg == NULL || strcmp(arg, "-") == 0) {
        char what[64];
        /* "send: a message holds ...", as the same error for an argument */
        snprintf(what, sizeof what, "%s: a message", cmd);
        if (cli_read_text(out, len, ENL_TEXT_MAX, what) != 0) return 1;
        *text = *out;
    } else {
        *len = strlen(arg);
        *text = arg;
        if (*len > ENL_TEXT_MAX) return cli_fail("%s: a message holds at most %d bytes", cmd, ENL_TEXT_MAX);
    }
    if (*len == 0) {
        free(*out);
        *out = NULL;
        return cli_fail("%s: nothing to send: the message is empty", cmd);
    }
    return 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one.
 * *cp gets the code point. */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
    size_t k;
    unsigned c = s[0], v;
    if (c < 0x80) { *cp = c; return 1; }
    if (c >= 0xc2 && c <= 0xdf) { k = 1; v = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { k = 2; v = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { k = 3; v = c & 0x07; }
    else return 0;
    if (n <= k) return 0;
    for (size_t j = 1; j <= k; j++) {
        if ((s[j] & 0xc0) != 0x80) return 0;
        v = (v << 6) | (s[j] & 0x3f);
    }
    if ((k == 2 && v < 0x800) || (k == 3 && (v < 0x10000 || v > 0x10ffff)) ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return k + 1;
}

void cli_json_str(FILE *f, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    fputc('"', f);
    for (size_t i = 0; i < len;) {
        unsigned cp = 0;
        size_t k = utf8_seq(u + i, len - i, &cp);
        if (k == 0) {                  /* not UTF-8: the replacement character */
            fputs("\\ufffd", f);
            i++;
            continue;
        }
        switch (cp) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) fprintf(f, "\\u%04x", cp);
            else fwrite(u + i, 1, k, f);
        }
        i += k;
    }
    fputc('"', f);
}

static void safe_print(FILE *f, const char *s, size_t len, const char *after_newline);

void cli_safe_print(FILE *f, const char *s, size_t len)
{
    safe_print(f, s, len, "");
}

void cli_safe_print_entry(FILE *f, const char *s, size_t len)
{
    safe_print(f, s, len, CLI_CONTINUATION);
}

static void safe_print(FILE *f, const char *s, size_t len, const char *after_newline)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned cp = 0;
        size_t k = utf8_seq(u + i, len - i, &cp);
        if (k == 0) k = 1, cp = 0xfffd;
        /* C0 and C1 controls (but newline and tab) and invalid bytes are
         * shown as '?': a message must not be able to drive the terminal.
         * So are the marks that change the direction of what follows
         * (embeddings, overrides, isolates): a sender's text or file name
         * must not reorder the rest of the line (an "exe.txt" shown as
         * "txt.exe", a name moved after the text). */
        if ((cp < 0x20 && cp != '\n' && cp != '\t') || (cp >= 0x7f && cp <= 0x9f) || cp == 0xfffd ||
            cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
            (cp >= 0x2066 && cp <= 0x2069))
            fputc('?', f);
        else
            fwrite(u + i, 1, k, f);
        if (cp == '\n') fputs(after_newline, f);
        i += k;
    }
}

void cli_time(char out[32], uint64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (localtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%d %H:%M", &tm) == 0)
        snprintf(out, 32, "%llu", (unsigned long long)t);
}

int cli_bad_name(const char *what, const char *name)
{
    fprintf(stderr, "enlace: %s%sinvalid name \"", what ? what : "", what ? ": " : "");
    cli_safe_print_entry(stderr, name, strlen(name));
    fprintf(stderr, "\": 1 to %d bytes, no control characters, no '@', '/', ':', '\"' or "
                    "'\\', no space at either end, and not starting with '-'\n", ENL_NAME_MAX);
    return EXIT_USAGE;
}

int cli_check_reason(const char *what, const char *reason)
{
    int rc = enl_burn_reason_check(NULL, reason);
    if (rc == ENL_OK) return 0;
    if (rc == ENL_ETOOBIG)
        cli_fail("%s: the reason is at most %d bytes of text", what, ENL_REVOCATION_REASONMAX);
    else
        cli_fail("%s: the reason is one line of text: no tabs, new lines or other control "
                 "characters", what);
    return EXIT_USAGE;
}

int cli_check_len(const char *what, const char *label, const char *s, size_t max)
{
    if (s == NULL || strlen(s) <= max) return 0;
    cli_fail("%s: %s is at most %zu bytes", what, label, max);
    return EXIT_USAGE;
}

int cli_check_id(const char *what, const char *noun, const char *s, size_t min, size_t max,
                 const char *list)
{
    size_t n = strlen(s);
    if (n >= min && n <= max && strspn(s, "0123456789abcdefABCDEF") == n) return 0;
    cli_fail("%s: '%s' is not %s (%zu to %zu hex digits: see `enlace %s`)", what, s, noun, min, max,
             list);
    return EXIT_USAGE;
}

int cli_check_address(const char *what, const char *address)
{
    if (enl_link_address_valid(address)) return 0;
    cli_fail("%s: not an address a contact can sync with: %s (tcp://HOST:PORT or "
             "tor://ADDRESS.onion:PORT, PORT 1 to 65535)", what, address);
    return EXIT_USAGE;
}

int cli_check_target(const char *what, const char *target)
{
    char a[1024];
    const char *at = strchr(target + 6, '@');
    /* without NAME@, the contact whose address it is (the library finds it) */
    if (snprintf(a, sizeof a, "%.6s%s", target, at != NULL ? at + 1 : target + 6) < (int)sizeof a &&
        enl_link_address_valid(a))
        return 0;
    if (strncmp(target, "tor://", 6) == 0)
        cli_fail("%s: not an onion address: %s (tor://NAME@ADDRESS.onion:PORT, a v3 address of 56 "
                 "characters, PORT 1 to 65535)", what, target);
    else
        cli_fail("%s: not an address a contact can sync with: %s (tcp://NAME@HOST:PORT, PORT 1 to "
                 "65535)", what, target);
    return EXIT_USAGE;
}

int cli_check_hostport(const char *what, const char *label, const char *noun,
                       const char *hostport, int port0)
{
    char host[256], port[16];
    if (enl_tcp_split(hostport, host, sizeof host, port, sizeof port) == ENL_OK &&
        (port0 || strtoul(port, NULL, 10) > 0))
        return 0;
    cli_fail("%s: %s %s is not %s (HOST:PORT, PORT %d to 65535)", what, label, hostport, noun,
             port0 ? 0 : 1);
    return EXIT_USAGE;
}

int cli_is_tty(void)
{
    return isatty(STDERR_FILENO);
}

int cli_duration(const char *s, uint32_t *seconds)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10), mult;
    if (end == s || *s == '-') return -1;
    switch (*end) {
    case 's': case '\0': mult = 1; break;
    case 'm': mult = 60; break;
    case 'h': mult = 3600; break;
    case 'd': mult = 86400; break;
    default: return -1;
    }
    if (*end != '\0' && end[1] != '\0') return -1;
    if (v == 0 || v > (366ull * 86400) / mult) return -1;
    *seconds = (uint32_t)(v * mult);
    return 0;
}

void cli_progress_bytes(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    static struct timespec last;
    struct timespec now;
    (void)ctx;
    if (!cli_is_tty() || total == 0) return;
    if (done >= total) {
        fprintf(stderr, "\r\033[K");
        last.tv_sec = 0;
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000 < 100) return;
    last = now;
    fprintf(stderr, "\r\033[K%s %.1f/%.1f MiB (%d%%)", what, (double)done / 1048576.0,
            (double)total / 1048576.0, (int)(done * 100 / total));
}

void cli_size(char out[32], uint64_t bytes)
{
    if (bytes < 1024) snprintf(out, 32, "%llu bytes", (unsigned long long)bytes);
    else if (bytes < 1048576) snprintf(out, 32, "%.1f KiB", (double)bytes / 1024.0);
    else if (bytes < (1ull << 30)) snprintf(out, 32, "%.1f MiB", (double)bytes / 1048576.0);
    else snprintf(out, 32, "%.2f GiB", (double)bytes / 1073741824.0);
}
