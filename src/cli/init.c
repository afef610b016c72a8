/* enlace init --name NAME: create a profile. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"

/* Where the profile would go, checked before the passphrase is asked for,
 * so that a failure says why (the store refuses the same, quietly): a new
 * folder in one that exists, or an empty folder. 0 when fine. */
static int home_usable(const char *home)
{
    struct stat sb;
    if (lstat(home, &sb) == 0) {
        DIR *d;
        struct dirent *e;
        int others = 0;
        if (!S_ISDIR(sb.st_mode))
            return cli_fail("%s is not a folder: give --home a new or an empty folder", home);
        if ((d = opendir(home)) == NULL)
            return cli_fail("cannot read the folder %s: %s", home, strerror(errno));
        while (!others && (e = readdir(d)) != NULL)
            others = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
        closedir(d);
        if (others)
            return cli_fail("%s holds other files: give --home a new or an empty folder (its "
                            "mode becomes 0700)", home);
        return 0;
    }
    if (errno != ENOENT) return cli_fail("cannot use %s: %s", home, strerror(errno));
    char *copy = strdup(home);
    int rc = 0;
    if (copy == NULL) return cli_fail("out of memory");
    const char *parent = dirname(copy);
    if (stat(parent, &sb) != 0) rc = cli_fail("cannot create %s: %s: %s", home, parent, strerror(errno));
    else if (!S_ISDIR(sb.st_mode)) rc = cli_fail("cannot create %s: %s is not a folder", home, parent);
    else if (access(parent, W_OK | X_OK) != 0)
        rc = cli_fail("cannot create %s in %s: %s", home, parent, strerror(errno));
    free(copy);
    return rc;
}

int cmd_init(int argc, char **argv)
{
    static const struct option opts[] = {
        { "name", required_argument, NULL, 'n' },
        { "kdf", required_argument, NULL, 'k' },
        { "new-passphrase-file", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *name = NULL, *pass_file = NULL;
    enl_kdf_level kdf = ENL_KDF_MODERATE;
    enl_profile *p = NULL;
    char *pass = NULL, fp[ENL_FINGERPRINT_STRBYTES];
    size_t pass_len = 0;
    int c, ex = 0, rc;

    while ((c = cli_getopt(argc, argv, "n:h", opts, "init", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'n') name = optarg;
        if (c == 'f') pass_file = optarg;
        if (c == 'k') {
            if (strcmp(optarg, "interactive") == 0) kdf = ENL_KDF_INTERACTIVE;
            else if (strcmp(optarg, "moderate") == 0) kdf = ENL_KDF_MODERATE;
            else if (strcmp(optarg, "sensitive") == 0) kdf = ENL_KDF_SENSITIVE;
            else {
                cli_fail("init: --kdf is interactive, moderate or sensitive, not '%s'", optarg);
                return cli_usage(cli_find("init"));
            }
        }
    }
    if (name == NULL || optind != argc) return cli_usage(cli_find("init"));
    if (enl_profile_exists(cli_home()))
        return cli_fail("a profile already exists in %s (enlace status shows it; only if it "
                        "says it was never finished, enlace wipe removes it to start again)",
                        cli_home());
    /* Before the passphrase is asked for (twice, on a terminal). */
    if (!enl_name_valid(name)) return cli_bad_name(NULL, name);
    if (home_usable(cli_home()) != 0) return 1;
    if (pass_file != NULL ? cli_passphrase_from_file(&pass, &pass_len, pass_file) != 0
                          : cli_passphrase(&pass, &pass_len, 1, "new passphrase: ") != 0)
        return 1;
    rc = enl_profile_create(&p, cli_home(), name, pass, pass_len, kdf);
    cli_passphrase_free(pass, pass_len);
    if (rc == ENL_EINVAL) return cli_bad_name(NULL, name), 1;
    if (rc != ENL_OK) {
        char full[64];
        if (*cli_disk_full(cli_home(), full, sizeof full))
            return cli_fail("cannot create the profile in %s: %s: free some room on it, then "
                            "run init again", cli_home(), full);
        return cli_fail_rc(p, rc, "cannot create the profile");
    }
    (void)enl_profile_fingerprint(p, fp);
    printf("created the profile of %s in %s\nfingerprint: %s\n", name, cli_home(), fp);
    enl_profile_close(p);
    return 0;
}
