/* enlace passphrase change|duress, enlace wipe: protecting a profile that may be taken. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"

/* A new passphrase: from --new-passphrase-file, else asked twice. */
static int new_passphrase(const char *file, const char *prompt, char **pass, size_t *len)
{
    /* Never $ENLACE_PASSPHRASE: that one unlocked the profile. */
    if (file != NULL) return cli_passphrase_from_file(pass, len, file);
    return cli_passphrase_new(pass, len, prompt);
}

int cmd_passphrase(int argc, char **argv)
{
    static const struct option opts[] = {
        { "new-passphrase-file", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *file = NULL, *what;
    enl_profile *p;
    char *pass = NULL;
    size_t len = 0;
    int c, ex = 0, rc, duress;

    while ((c = cli_getopt(argc, argv, "h", opts, "passphrase", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'f') file = optarg;
    }
    if (optind + 1 != argc) return cli_usage(cli_find("passphrase"));
    what = argv[optind];
    duress = strcmp(what, "duress") == 0;
    if (!duress && strcmp(what, "change") != 0) return cli_usage(cli_find("passphrase"));
    /* the passphrase of now first, then the new one */
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if (new_passphrase(file, duress ? "duress passphrase: " : "new passphrase: ", &pass, &len) != 0)
        return 1;
    rc = duress ? enl_profile_set_duress(p, pass, len) : enl_profile_change_passphrase(p, pass, len);
    cli_passphrase_free(pass, len);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, duress ? "passphrase duress" : "passphrase change");
    if (duress)
        printf("duress passphrase set: typed at unlock, it destroys this profile's keys and\n"
               "messages and opens an empty profile instead. Nothing on the device shows it exists.\n");
    else
        printf("passphrase changed\n");
    return 0;
}

int cmd_wipe(int argc, char **argv)
{
    static const struct option opts[] = {
        { "yes", no_argument, NULL, 'y' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c, ex = 0, yes = 0, rc;
    while ((c = cli_getopt(argc, argv, "h", opts, "wipe", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'y') yes = 1;
    }
    if (optind != argc) return cli_usage(cli_find("wipe"));
    if (!enl_profile_exists(cli_home())) return cli_fail("no profile in %s", cli_home());
    if (!yes) {
        char answer[16] = "";
        FILE *tty = fopen("/dev/tty", "r+");
        if (tty == NULL) return cli_fail("wipe needs --yes when there is no terminal to confirm on");
        fprintf(tty, "destroy the profile in %s for good? type WIPE: ", cli_home());
        fflush(tty);
        if (fgets(answer, sizeof answer, tty) == NULL) answer[0] = '\0';
        fclose(tty);
        if (strcmp(answer, "WIPE\n") != 0) return cli_fail("not wiped");
    }
    if ((rc = enl_profile_wipe(cli_home())) != ENL_OK)
        return cli_fail("wipe of %s failed: %s", cli_home(), enl_strerror(rc));
    printf("wiped %s\n", cli_home());
    return 0;
}
