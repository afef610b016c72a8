/* See outpath.h. */
#include "cli/outpath.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

/* The folder path would be named in, resolved (NULL when it does not
 * exist: nothing can be written there, and the write says why). */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *head, *dir;
    if (slash == NULL) return realpath(".", NULL);
    if (slash == path) return realpath("/", NULL);
    if ((head = strndup(path, (size_t)(slash - path))) == NULL) return NULL;
    dir = realpath(head, NULL);
    free(head);
    return dir;
}

/* Whether folder is the profile's: the same folder, by device and inode,
 * however either is named. */
static int is_profile_folder(const char *folder)
{
    const char *home = cli_home();
    struct stat a, b;
    return home != NULL && stat(home, &a) == 0 && stat(folder, &b) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int cli_check_output(const char *what, const char *path, int force)
{
    struct stat sb;
    char *folder;
    int inside;

    if (strcmp(path, "-") == 0) return 0;
    if ((folder = folder_of(path)) != NULL) {
        inside = is_profile_folder(folder);
        free(folder);
        if (inside)
            return cli_fail("%s: %s is in the profile's own folder, where it could replace the "
                            "profile's database (its keys and every message): write it elsewhere",
                            what, path);
    }
    if (!force && stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
        return cli_fail("%s: %s exists: choose another name, or --force to replace it", what, path);
    return 0;
}
