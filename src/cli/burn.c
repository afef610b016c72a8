/* enlace burn NAME, enlace revocation export|hold|publish: when someone is taken. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "util/secmem.h"

/* A burn run again (in a hurry, or unsure the first took): the keys are
 * burned, which is what was asked, so it is no failure; it says since when
 * and why, and that nothing was done again. */
static int burned_already(enl_profile *p, const char *name, const char *reason, int published)
{
    enl_contact_info ci;
    char when[32];
    if (enl_contact_get(p, name, &ci) != ENL_OK) return cli_fail_rc(p, ENL_EEXISTS, "burn");
    cli_time(when, ci.burned_at);
    printf("%s's keys were already burned on this device, on %s (", name, when);
    cli_safe_print(stdout, ci.burn_reason, strlen(ci.burn_reason));
    printf("): nothing was done again.\n");
    if (published)
        printf("%s's revocation is published already: it travels ahead of everything in every "
               "sync.\n", name);
    if (reason != NULL)
        printf("--reason is not used: the burn keeps the reason it was given first.\n");
    return 0;
}

int cmd_burn(int argc, char **argv)
{
    static const struct option opts[] = {
        { "reason", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *reason = NULL;
    enl_profile *p;
    int c, ex = 0, rc, held, cells = 0, failed = 0;

    while ((c = cli_getopt(argc, argv, "h", opts, "burn", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'r') reason = optarg;
    }
    if (optind + 1 != argc) return cli_usage(cli_find("burn"));
    if ((ex = cli_check_reason("burn", reason)) != 0) return ex;
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    /* Refused whole, revocation held or not: never cut, never dropped unseen. */
    if ((rc = enl_burn_reason_check(p, reason)) != ENL_OK) return cli_fail_rc(p, rc, "burn");
    held = enl_burn_held(p, argv[optind]);
    if (held == 1) {
        enl_contact_info ci;
        /* Their own revocation is proof others can check: publish it. */
        if ((rc = enl_revocation_publish(p, argv[optind])) == ENL_EEXISTS)
            return burned_already(p, argv[optind], reason, 1);
        if (rc != ENL_OK) return cli_fail_rc(p, rc, "burn");
        printf("%s's keys are burned, and %s's revocation is published: it travels ahead of\n"
               "everything in every sync, and every device that knows %s stops trusting those keys.\n",
               argv[optind], argv[optind], argv[optind]);
        /* The signed revocation says why, in its signer's words, everywhere. */
        if (reason != NULL && enl_contact_get(p, argv[optind], &ci) == ENL_OK) {
            printf("The reason every device shows is the one in %s's revocation (\"", argv[optind]);
            cli_safe_print(stdout, ci.burn_reason, strlen(ci.burn_reason));
            printf("\"): --reason is not used when a revocation is published.\n");
        }
        return 0;
    }
    if ((rc = enl_burn_local(p, argv[optind], reason, &cells, &failed)) == ENL_EEXISTS)
        return burned_already(p, argv[optind], reason, 0);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, "burn");
    printf("%s's keys are burned on this device: nothing will be sealed to them again.\n",
           argv[optind]);
    if (failed > 0)
        fprintf(stderr, "enlace: burn: warning: in %d cell%s the burn vouch could not be signed "
                "(%s): ask the other members to burn %s too.\n", failed, failed == 1 ? "" : "s",
                enl_profile_errmsg(p), argv[optind]);
    if (cells > 0)
        printf("A burn vouch went to the members of %d cell%s you share with %s: when as many\n"
               "members as admission needs have burned %s, every member's device burns the keys\n"
               "and the cell re-keys without them.\n",
               cells, cells == 1 ? "" : "s", argv[optind], argv[optind]);
    else
        printf("No revocation of %s is held here and you share no cell with them, so the burn\n"
               "does not travel: others must burn %s themselves, or publish %s's revocation if\n"
               "they hold it.\n",
               argv[optind], argv[optind], argv[optind]);
    return 0;
}

static int read_text_file(const char *path, char *buf, size_t max)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    size_t n;
    if (f == NULL) return cli_fail("cannot read %s: %s", path, strerror(errno));
    n = fread(buf, 1, max - 1, f);
    /* A read that failed is not a malformed revocation: say which it is. */
    if (ferror(f)) {
        int err = errno;
        if (f != stdin) fclose(f);
        return cli_fail("cannot read %s: %s", path, strerror(err));
    }
    if (f != stdin) fclose(f);
    buf[n] = '\0';
    return 0;
}

static int export_rev(int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' },
        { "reason", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL, *reason = NULL;
    enl_profile *p;
    char *text = NULL;
    int c, ex = 0, rc;
    while ((c = cli_getopt(argc, argv, "h", opts, "revocation", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'o') out = optarg;
        if (c == 'r') reason = optarg;
    }
    if (optind != argc) return cli_usage(cli_find("revocation"));
    if ((ex = cli_check_reason("revocation export", reason)) != 0) return ex;
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if ((rc = enl_revocation_export(p, reason, &text)) != ENL_OK)
        return cli_fail_rc(p, rc, "revocation export");
    if (out == NULL || strcmp(out, "-") == 0) {
        printf("%s\n", text);
    } else {
        int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (f == NULL) {
            int err = errno;
            struct stat sb;
            enl_free_wiped(text, strlen(text));
            if (fd >= 0) close(fd);
            /* never over what is there: it may be the copy left with someone */
            if (err == EEXIST && lstat(out, &sb) == 0)
                return cli_fail("revocation export: %s exists already (%s): give --out a new "
                                "file name", out, S_ISDIR(sb.st_mode) ? "a folder" : "not overwritten");
            return cli_fail("revocation export: cannot create %s: %s", out, strerror(err));
        }
        fprintf(f, "%s\n", text);
        if (fclose(f) != 0) {
            enl_free_wiped(text, strlen(text));
            return cli_fail("cannot write %s", out);
        }
        printf("wrote your revocation to %s: leave it with someone you trust; published, it burns\n"
               "your keys everywhere it travels.\n", out);
    }
    /* a revocation: whoever holds it can burn these keys */
    enl_free_wiped(text, strlen(text));
    return 0;
}

int cmd_revocation(int argc, char **argv)
{
    enl_profile *p;
    char buf[4096];
    int ex, rc;
    if (argc < 2) return cli_usage(cli_find("revocation"));
    if (strcmp(argv[1], "export") == 0) return export_rev(argc - 1, argv + 1);
    if (strcmp(argv[1], "hold") == 0) {
        if (argc != 4) return cli_usage(cli_find("revocation"));
        /* before FILE|- is read: stdin may be where the passphrase is typed */
        if ((p = cli_unlock(&ex)) == NULL) return ex;
        /* the revocation's line itself, given where its file's name goes */
        if (strcmp(argv[3], "-") != 0 && access(argv[3], F_OK) != 0 &&
            cli_text_kind_of(argv[3]) == CLI_TEXT_REVOCATION)
            return cli_fail("revocation hold: that is the revocation itself, not a file name: "
                            "give the file that holds it, or - to read it from stdin "
                            "(enlace revocation hold %s - < FILE)", argv[2]);
        if (read_text_file(argv[3], buf, sizeof buf) != 0) return 1;
        if ((rc = enl_revocation_hold(p, argv[2], buf)) == ENL_EMALFORMED) {
            int card = cli_text_kind_of(buf) == CLI_TEXT_CARD;
            sodium_memzero(buf, sizeof buf);
            return cli_fail_quoting("revocation hold: ", strcmp(argv[3], "-") == 0 ? "stdin" : argv[3],
                                    card ? " holds a card, not a revocation (a card is added with "
                                           "enlace contact add - < FILE)"
                                         : " holds no revocation: a revocation is the one line "
                                           "`enlace revocation export` writes, enlace-revocation1...");
        }
        sodium_memzero(buf, sizeof buf);
        if (rc != ENL_OK) return cli_fail_rc(p, rc, "revocation hold");
        printf("holding %s's revocation: 'enlace revocation publish %s' if %s is taken\n",
               argv[2], argv[2], argv[2]);
        return 0;
    }
    if (strcmp(argv[1], "publish") == 0) {
        if (argc != 3) return cli_usage(cli_find("revocation"));
        if ((p = cli_unlock(&ex)) == NULL) return ex;
        if ((rc = enl_revocation_publish(p, argv[2])) == ENL_EEXISTS) {
            printf("%s's revocation was published already: it travels ahead of everything in "
                   "every sync\n", argv[2]);
            return 0;
        }
        if (rc != ENL_OK) return cli_fail_rc(p, rc, "revocation publish");
        printf("%s's revocation is published: it leaves with the next sync, ahead of everything\n",
               argv[2]);
        return 0;
    }
    cli_fail("revocation: no command '%s'", argv[1]);
    return cli_usage(cli_find("revocation"));
}
