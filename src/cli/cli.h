/*
 * Shared helpers of the command-line front end. The CLI holds no logic of
 * its own: it parses arguments, asks for the passphrase, calls the library
 * and prints. It owns stdout, stderr and the exit status:
 * 0 success, 1 failure ("enlace: what: why" on stderr), 2 wrong usage.
 */
#ifndef ENL_CLI_H
#define ENL_CLI_H

#include <stdio.h>

#include "enlace.h"

#define EXIT_USAGE 2

typedef struct {
    const char *home;
    const char *passphrase_file;
} cli_globals;

extern cli_globals cli;

typedef struct cli_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    int needs_profile;
    const char *summary;
    const char *usage;
} cli_command;

/* Prints "enlace: fmt" and returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the failure of a library call with the profile's detail. */
int cli_fail_rc(enl_profile *p, int rc, const char *what);
/* Prints the usage of a command to stderr and returns 2. */
int cli_usage(const cli_command *c);
/* The command's --help: usage to stdout, returns 0. */
int cli_help(const cli_command *c);
const cli_command *cli_find(const char *name);

/* The profile, unlocked on the first call (the profile looked for, the
 * passphrase asked for or read, Argon2id), the same handle after; main
 * closes it once the command returns. A command calls it once its
 * arguments are parsed, so wrong usage is said before any passphrase is
 * asked, and before it reads stdin, since the passphrase may come from the
 * terminal. NULL when it cannot: said on stderr, *exit_code set (1). */
enl_profile *cli_unlock(int *exit_code);

/* Standard option parsing: returns the option or -1 at the end; handles
 * --help (prints usage and sets *exit_code to 0) and errors (exit_code 2). */

/* Passphrase: $ENLACE_PASSPHRASE, else --passphrase-file, else the terminal.
 * confirm: ask twice (new passphrases). Returns a sodium_malloc'd string. */
int cli_passphrase(char **out, size_t *len, int confirm, const char *prompt);
void cli_passphrase_free(char *pass, size_t len);
/* A new passphrase from the first line of file, or asked twice on the terminal. */
int cli_passphrase_from_file(char **out, size_t *len, const char *file);
int cli_passphrase_new(char **out, size_t *len, const char *prompt);

/* Reads all of stdin, at most max bytes (1 when larger, or when a read
 * fails: what came is not all there is). */
int cli_read_stdin(char **out, size_t *len, size_t max);
/* Reads a text from stdin without its final line end, at most max bytes;
 * 1, having said that "<what> holds at most max bytes", when larger, and
 * 1 when a read fails. */
int cli_read_text(char **out, size_t *len, size_t max, const char *what);
/* A message's text: arg, or stdin when arg is NULL or "-" (*out then holds
 * it: wipe and free it). Refuses one too long, and an empty one (an empty
 * stdin is most often a mistake), naming cmd. 0 or an exit status. */
int cli_message_text(const char *cmd, const char *arg, char **out, const char **text, size_t *len);

/* JSON string with every control character escaped. */
void cli_json_str(FILE *f, const char *s, size_t len);
/* Text for a terminal: control characters other than newline and tab are
 * shown as '?', so a hostile message cannot drive the terminal. */
void cli_safe_print(FILE *f, const char *s, size_t len);
/* The same for text inside one entry of a list (a message, a bulletin, a
 * note): every line after the first begins with CLI_CONTINUATION, so that a
 * sender's text can never print a line that looks like another entry. */
#define CLI_CONTINUATION "    | "
void cli_safe_print_entry(FILE *f, const char *s, size_t len);
/* "enlace: " head, quoted (as cli_safe_print_entry shows it), then tail,
 * on stderr; returns 1. For an error that names what the user gave. */
int cli_fail_quoting(const char *head, const char *quoted, const char *tail);
/* What text (a card, a revocation, anything else) looks like, after any
 * leading spaces: for an error that says what was given instead. */
typedef enum { CLI_TEXT_OTHER, CLI_TEXT_CARD, CLI_TEXT_REVOCATION } cli_text_kind;
cli_text_kind cli_text_kind_of(const char *text);
/* Says why name cannot name a profile, a contact or a cell (what: the
 * command, or NULL) and returns EXIT_USAGE: a name is checked before the
 * profile is unlocked, like any other argument. */
int cli_bad_name(const char *what, const char *name);
/* Whether reason (may be NULL) can be a burn's reason, by the library's
 * own rule (enl_burn_reason_check): 0, or said ("what: the reason is ...")
 * and EXIT_USAGE, before the profile is unlocked. */
int cli_check_reason(const char *what, const char *reason);
/* Whether s (may be NULL) fits in max bytes, the library's limit for it:
 * 0, or said ("what: LABEL is at most max bytes") and EXIT_USAGE, before
 * the profile is unlocked. */
int cli_check_len(const char *what, const char *label, const char *s, size_t max);
/* Whether s can be an id or its first digits: min to max hex digits. 0
 * when it can; otherwise says so ("what: 's' is not a NOUN (min to max hex
 * digits: see `enlace LIST`)") and returns EXIT_USAGE, so that a mistyped id
 * is wrong usage, said before the profile is unlocked. The library checks
 * the same again: this only says it sooner. */
int cli_check_id(const char *what, const char *noun, const char *s, size_t min, size_t max,
                 const char *list);
/* Addresses, checked before the unlock like every other argument (the
 * library checks them again): 0, or said and EXIT_USAGE. An address a
 * contact can sync with (tcp://HOST:PORT, tor://ADDRESS.onion:PORT); a
 * sync target (the same with NAME@, or without it when it is a contact's
 * address); HOST:PORT, said as "not NOUN" (port0: PORT 0, any free
 * port, is allowed). */
int cli_check_address(const char *what, const char *address);
int cli_check_target(const char *what, const char *target);
int cli_check_hostport(const char *what, const char *label, const char *noun,
                       const char *hostport, int port0);
/* "2026-11-25 20:55" in local time. */
void cli_time(char out[32], uint64_t t);
/* "90s", "10m", "1h", "2d" (or plain seconds) into seconds, at most a year. */
int cli_duration(const char *s, uint32_t *seconds);
/* Whether stderr is a terminal (for progress lines). */
int cli_is_tty(void);
/* An enl_progress_fn for work counted in bytes: "sealing 12.0/20.0 MiB (60%)"
 * on one line of a terminal, rewritten at most ten times a second, erased
 * when done; nothing when stderr is not a terminal. */
void cli_progress_bytes(void *ctx, const char *what, uint64_t done, uint64_t total);
/* "20.0 MiB", "512 bytes": a size for people. */
void cli_size(char out[32], uint64_t bytes);

const char *cli_home(void);
/* When the file system that holds dir (or, when dir is not there, its
 * parent) has almost no room left: "its disk is full (N KiB free)" in buf,
 * else "". A profile that cannot be opened or made on a full disk fails as
 * "profile database error", which reads as damage. */
const char *cli_disk_full(const char *dir, char *buf, size_t max);

#endif
