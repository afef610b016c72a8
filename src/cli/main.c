/*
 * enlace's entry point: global options, the command table, and the one
 * place where a profile is unlocked for the commands that need it, when
 * they ask, and closed once they return (git's builtin table and
 * wireguard-tools' subcommands are the model).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli/commands.h"

cli_globals cli;

#define P 1  /* the command unlocks the profile (cli_unlock), once its arguments are parsed */
#define H 2  /* the command names the profile's folder without unlocking it */

static const cli_command commands[] = {
    { "init", cmd_init, H, "Create a profile: identity keys, a signed prekey, an encrypted store.",
      "enlace init --name NAME [--kdf interactive|moderate|sensitive] [--new-passphrase-file FILE]" },
    { "card", cmd_card, P, "Print my card: one signed line of text to hand to a contact.",
      "enlace card [--address tcp://HOST:PORT|tor://ADDRESS.onion:PORT | --onion]" },
    { "contact", cmd_contact, P, "Add, list, show and verify contacts.",
      "enlace contact add [--name NAME] CARD|-\n"
      "       enlace contact list [--json]\n"
      "       enlace contact show NAME\n"
      "       enlace contact verify NAME\n"
      "       enlace contact address NAME tcp://HOST:PORT|tor://ADDRESS.onion:PORT" },
    { "send", cmd_send, P,
      "Seal a message or a file for a contact; it leaves with the next sync.\n"
      "A file (at most 4 GiB) is cut into parts of 65,024 bytes, a note each; --note adds a line of text to it.",
      "enlace send [--expire HOURS] [--disappear DURATION] [--paper] NAME [TEXT|-]\n"
      "       enlace send --file PATH [--note TEXT] [--expire HOURS] NAME" },
    { "sync", cmd_sync, P,
      "Exchange notes with a dead drop or a contact's device.\n"
      "Leaves what the other side lacks, takes what I lack, applies purges (folder, TCP, Tor).",
      "enlace sync DIR | tcp://NAME@HOST:PORT | tor://NAME@ADDRESS.onion:PORT | NAME [--socks HOST:PORT]" },
    { "listen", cmd_listen, P,
      "Accept syncs from my contacts (or anyone, with --open).\n"
      "Prints \"listening on HOST:PORT\", then one line per session, until interrupted\n"
      "(up to 8 sessions at once); stops by itself if the profile is wiped or reset.",
      "enlace listen [--addr HOST:PORT] [--once] [--open] [--onion [--tor-control HOST:PORT] [--tor-password-file FILE]]" },
    { "inbox", cmd_inbox, P, "Show received messages, oldest first.",
      "enlace inbox [--json] [--new] [--requests]" },
    { "open", cmd_open, P,
      "Try to open one note file without storing anything.\n"
      "Prints it, or says why not: not for this profile, already read and its keys\n"
      "deleted, damaged, expired.",
      "enlace open FILE" },
    { "files", cmd_files, P,
      "List the files sent and received (parts arrived, state); save or delete a received one.\n"
      "save writes a file once every part is here and the whole matches its hash; ID is\n"
      "the id 'files' shows, or its first digits (at least 4); --from NAME says whose when\n"
      "two senders' ids begin alike. Once saved, its parts are deleted from the profile: a\n"
      "file is saved once. delete drops a received file unsaved, and its parts with it;\n"
      "given the id of a 'from ?' line, it drops parts whose description never came.",
      "enlace files [--json]\n"
      "       enlace files save ID --out PATH [--force] [--from NAME]\n"
      "       enlace files delete ID [--from NAME]" },
    { "status", cmd_status, P, "Notes carried, outgoing, purges, contacts.",
      "enlace status [--json]" },
    { "paper", cmd_paper, P,
      "Put the notes I hold on a page to copy by hand or in QR codes, and read them back.\n"
      "import names every line that does not check and takes in every note that does.",
      "enlace paper export [NOTE-ID...] [--out FILE|-] [--qr-png FILE] [--qr-svg FILE] [--terminal]\n"
      "                    [--force]\n"
      "       enlace paper import FILE|-" },
    { "burn", cmd_burn, P,
      "Burn a contact's keys: they are compromised (an arrest, a seized device).\n"
      "With the contact's revocation held here it is published and travels ahead of\n"
      "everything in every sync; without it, the burn holds on this device, and a burn vouch goes\n"
      "to every cell shared with them (k members' vouches burn them for the whole cell).\n"
      "A contact burned already is not burned again: it says when and why they were.",
      "enlace burn NAME [--reason TEXT]" },
    { "revocation", cmd_revocation, P,
      "Pre-signed revocations: make mine, hold a contact's, publish it if they are taken.\n"
      "export writes my revocation (one line) to leave with someone I trust; hold keeps a\n"
      "contact's; publish burns that contact's keys everywhere the notice travels.",
      "enlace revocation export [--reason TEXT] [--out FILE]\n"
      "       enlace revocation hold NAME FILE|-\n"
      "       enlace revocation publish NAME" },
    { "bulletin", cmd_bulletin, P,
      "Publish signed public bulletins, and follow the authors whose bulletins to read.\n"
      "A bulletin travels in a note like any other, every device relays it until it\n"
      "expires, and whoever follows its author (by card or fingerprint) reads it, its\n"
      "signature checked. It is public: anyone who knows your fingerprint can read it.",
      "enlace bulletin publish [--channel NAME] [--expire HOURS] [TEXT|-]\n"
      "       enlace bulletin follow CARD|FINGERPRINT|-\n"
      "       enlace bulletin unfollow FINGERPRINT|CARD\n"
      "       enlace bulletin following [--json]" },
    { "bulletins", cmd_bulletins, P,
      "Show the bulletins of the authors I follow (and mine), oldest first.",
      "enlace bulletins [--json] [--channel NAME]" },
    { "passphrase", cmd_passphrase, P,
      "Change the passphrase, or set a duress passphrase.\n"
      "The duress passphrase, typed at unlock, destroys this profile's keys and\n"
      "messages and opens an empty profile instead.",
      "enlace passphrase change|duress [--new-passphrase-file FILE]" },
    { "wipe", cmd_wipe, H,
      "Destroy this profile now, without its passphrase.\n"
      "Keys and records are overwritten and the files removed. Asks to type WIPE unless --yes.",
      "enlace wipe [--yes]" },
    { "cell", cmd_cell, P,
      "Cells: groups that admit a member on the vouches of others.\n"
      "Every change is a signed vouch that travels to every member; each device works out\n"
      "the membership on its own. A cell note is sealed once for all members, with keys that\n"
      "change whenever the membership does.",
      "enlace cell create NAME [--admit K]\n"
      "       enlace cell add CELL CONTACT          propose a contact (your vouch)\n"
      "       enlace cell vouch CELL CONTACT        vouch for a candidate\n"
      "       enlace cell remove CELL CONTACT [--burn] [--reason TEXT]\n"
      "       enlace cell members CELL [--json]\n"
      "       enlace cell list [--json]             your cells, and invitations to join\n"
      "       enlace cell join CELL                 join a cell that admitted you\n"
      "       enlace cell decline CELL              refuse it: nothing is sent\n"
      "       enlace cell send [--disappear DURATION] CELL [TEXT|-]\n"
      "       enlace cell leave CELL\n"
      "       enlace cell forget CELL               a cell you left or were removed from\n"
      "       enlace cell forward MSG-ID CELL       re-seal a message as yours to another cell" },
    { "introduce", cmd_introduce, P,
      "Introduce two contacts to each other.\n"
      "Each gets the other's card, signed by you, with the note; they accept or decline it.",
      "enlace introduce NAME NAME [--note TEXT]" },
    { "introductions", cmd_introductions, P,
      "Introductions waiting for me, to accept or decline.\n"
      "Accepted, the card becomes a contact marked \"introduced by NAME\"; declined, it is deleted.",
      "enlace introductions [--json]\n"
      "       enlace introductions accept ID\n"
      "       enlace introductions decline ID" },
    { "ask", cmd_ask, P,
      "Ask my verified contacts whether they know a key.\n"
      "Each is asked on their own: no one learns who else was asked.",
      "enlace ask FINGERPRINT|CARD [--note TEXT]" },
    { "questions", cmd_questions, P,
      "Inquiries my contacts sent me, and whether I know the key they ask about.",
      "enlace questions [--json]" },
    { "answer", cmd_answer, P,
      "Answer an inquiry, signed by me (it convinces, and so is not deniable).\n"
      "--vouch only for a key I hold as a contact. --from NAME: the question NAME sent,\n"
      "when two contacts sent one of the same id (one forwarded the other's).",
      "enlace answer ID [--from NAME] --vouch | --unknown | --warn TEXT" },
    { "answers", cmd_answers, P, "Answers to my inquiries: who answered, the verdict, the text.",
      "enlace answers [--json]" },
    { "help", cmd_help, 0, "Show the commands, or the usage of one.", "enlace help [COMMAND]" },
    { "version", cmd_version, 0, "Print the version.", "enlace version" },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

const cli_command *cli_find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static void overview(FILE *f)
{
    fprintf(f, "usage: enlace [--home DIR] [--passphrase-file FILE] COMMAND [ARGS]\n\n"
               "delay-tolerant, end-to-end encrypted messaging\n\ncommands:\n");
    /* The first line of each summary; `enlace COMMAND --help` shows it whole. */
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-13s %.*s\n", commands[i].name,
                (int)strcspn(commands[i].summary, "\n"), commands[i].summary);
    fprintf(f, "\nhome: --home, else $ENLACE_HOME, else ~/.enlace\n"
               "passphrase: $ENLACE_PASSPHRASE, else --passphrase-file FILE, else asked\n"
               "run 'enlace COMMAND --help' for the options of a command\n");
}

int cmd_help(int argc, char **argv)
{
    const cli_command *c;
    if (argc > 1 && strcmp(argv[1], "--help") != 0) {
        if ((c = cli_find(argv[1])) == NULL) return cli_fail("no command '%s'", argv[1]), EXIT_USAGE;
        return cli_help(c);
    }
    overview(stdout);
    return 0;
}

int cmd_version(int argc, char **argv)
{
    (void)argc; (void)argv;
    printf("enlace %s\n", ENL_VERSION_STRING);
    return 0;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               const char *command, int *exit_code)
{
    char name[32];
    int c, at = optind;
    const cli_command *cmd;
    /* "cell add": the table's entry is the first word, errors name both */
    snprintf(name, sizeof name, "%.*s", (int)strcspn(command, " "), command);
    cmd = cli_find(name);
    opterr = 0;     /* said here, as every error is: "enlace: COMMAND: ..." */
    c = getopt_long(argc, argv, shortopts, longopts, NULL);
    if (c == 'h') {
        *exit_code = cli_help(cmd);
        return -2;
    }
    if (c == '?' || c == ':') {
        /* the word getopt stopped at: argv[optind - 1] once it moved on */
        const char *word = optind > at && optind - 1 < argc ? argv[optind - 1] : argv[at];
        if (optopt != 0 && strncmp(word, "--", 2) != 0)
            cli_fail("%s: -%c is %s", command, optopt,
                     strchr(shortopts, optopt) ? "missing its value" : "not an option");
        else if (optopt != 0 || strchr(word, '=') != NULL)
            cli_fail("%s: %s %s", command, word,
                     strchr(word, '=') ? "takes no value" : "is missing its value");
        else
            cli_fail("%s: %s is not an option", command, word);
        *exit_code = cli_usage(cmd);
        return -2;
    }
    return c;
}

/* A command's own --help must work without a profile or a passphrase. */
static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) return 0;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    }
    return 0;
}

/* The profile once unlocked, closed by run() when the command returns. */
static enl_profile *unlocked;

/* The unlock is the command's to ask for, once its arguments are parsed:
 * wrong usage is said at once, before a passphrase is asked for (and an
 * Argon2id run) only to be told "usage: ...". */
enl_profile *cli_unlock(int *exit_code)
{
    enl_profile *p = NULL;
    char *pass = NULL;
    size_t pass_len = 0;
    int rc;

    *exit_code = 1;
    if (unlocked != NULL) return unlocked;
    if (!enl_profile_exists(cli_home())) {
        cli_fail("no profile in %s (create one: enlace init --name NAME)", cli_home());
        return NULL;
    }
    if (cli_passphrase(&pass, &pass_len, 0, "passphrase: ") != 0) return NULL;
    rc = enl_profile_open(&p, cli_home(), pass, pass_len);
    cli_passphrase_free(pass, pass_len);
    if (rc == ENL_EPASSPHRASE) cli_fail("wrong passphrase: the profile stays locked");
    else if (rc == ENL_ENOPROFILE)
        cli_fail("the profile in %s was never finished (its creation was cut short) and "
                 "holds nothing: run enlace wipe, then enlace init again", cli_home());
    else if (rc == ENL_EVERSION)
        cli_fail("the profile in %s was made by another version of enlace, which this one "
                 "cannot open: keep it (do not wipe it), and open it with the version that "
                 "made it", cli_home());
    else if (rc != ENL_OK) {
        char full[64];
        if (*cli_disk_full(cli_home(), full, sizeof full))
            cli_fail("cannot open the profile in %s: %s: free some room on it, then try again",
                     cli_home(), full);
        else
            cli_fail("cannot open the profile in %s: %s", cli_home(), enl_strerror(rc));
    }
    if (rc != ENL_OK) return NULL;
    *exit_code = 0;
    return unlocked = p;
}

static int run(const cli_command *c, int argc, char **argv)
{
    int rc;

    if (wants_help(argc, argv)) return cli_help(c);
    if (c->needs_profile && cli_home() == NULL) {
        cli_fail("no profile folder: give --home DIR, or set ENLACE_HOME or HOME");
        return EXIT_USAGE;
    }
    rc = c->fn(argc, argv);
    enl_profile_close(unlocked);
    unlocked = NULL;
    return rc;
}

/* Decrypted messages, names and keys live in this process's memory while it
 * runs: a crash must not write them to a core file, and other programs of
 * the same user must not read them (/proc/PID/mem, ptrace). No core file,
 * whatever limit the shell set, and not dumpable (which also keeps the
 * kernel from writing a core file and hands /proc/PID to root). */
static int keep_memory_in(void)
{
    const struct rlimit none = { 0, 0 };
    if (setrlimit(RLIMIT_CORE, &none) != 0) return -1;
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* --home DIR, --home=DIR, --passphrase-file FILE, --passphrase-file=FILE
 * at argv[i]: how many words it takes (0: not a global option, -1: its
 * value is missing or empty, said here). An empty --home must not mean
 * the default profile: `enlace --home "$P" wipe --yes` with P unset would
 * wipe it. */
static int global_option(int argc, char **argv, int i)
{
    static const struct { const char *name; const char **to; } globals[] = {
        { "--home", &cli.home },
        { "--passphrase-file", &cli.passphrase_file },
    };
    for (size_t g = 0; g < sizeof globals / sizeof globals[0]; g++) {
        size_t n = strlen(globals[g].name);
        const char *v;
        int words;
        if (strncmp(argv[i], globals[g].name, n) != 0) continue;
        if (argv[i][n] == '=') {
            v = argv[i] + n + 1;
            words = 1;
        } else if (argv[i][n] == '\0') {
            v = i + 1 < argc ? argv[i + 1] : NULL;
            words = 2;
        } else {
            continue;
        }
        if (v == NULL || *v == '\0') {
            cli_fail("%s needs a value, and it is %s", globals[g].name, v == NULL ? "missing" : "empty");
            return -1;
        }
        *globals[g].to = v;
        return words;
    }
    return 0;
}

/* rc, unless what was printed did not all reach stdout (a full disk, a
 * closed pipe): then 1, said. */
static int flushed(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) return cli_fail("cannot write the output");
    return rc;
}

int main(int argc, char **argv)
{
    const cli_command *c;
    int i = 1, w;

    if (keep_memory_in() != 0) return cli_fail("cannot turn off core dumps for this process");
    if (enl_init() != ENL_OK) return cli_fail("cannot initialise libsodium");
    while (i < argc && argv[i][0] == '-') {
        const char *a = argv[i];
        if ((w = global_option(argc, argv, i)) < 0) return EXIT_USAGE;
        if (w > 0) { i += w; continue; }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            overview(stdout);
            return flushed(0);
        }
        if (strcmp(a, "--version") == 0) return flushed(cmd_version(0, NULL));
        cli_fail("unknown option %s", a);
        overview(stderr);
        return EXIT_USAGE;
    }
    if (i >= argc) {
        overview(stderr);
        return EXIT_USAGE;
    }
    if ((c = cli_find(argv[i])) == NULL) {
        cli_fail("no command '%s'", argv[i]);
        overview(stderr);
        return EXIT_USAGE;
    }
    /* Global options after the command too ("enlace status --home DIR"),
     * up to "--": taken out before the command parses its own. */
    for (int j = i + 1; j < argc && strcmp(argv[j], "--") != 0;) {
        if ((w = global_option(argc, argv, j)) < 0) return EXIT_USAGE;
        if (w == 0) { j++; continue; }
        memmove(&argv[j], &argv[j + w], (size_t)(argc - j - w + 1) * sizeof *argv);
        argc -= w;
    }
    return flushed(run(c, argc - i, argv + i));
}
