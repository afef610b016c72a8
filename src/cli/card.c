/* enlace card: print my card. */
#include <getopt.h>
#include <stdlib.h>

#include "cli/commands.h"

int cmd_card(int argc, char **argv, enl_profile *p)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    char *card = NULL;
    int c, ex = 0, rc;

    while ((c = cli_getopt(argc, argv, "h", opts, "card", &ex)) != -1)
        if (c == -2) return ex;
    if (optind != argc) return cli_usage(cli_find("card"));
    if ((rc = enl_profile_card(p, &card)) != ENL_OK) return cli_fail_rc(p, rc, "card");
    printf("%s\n", card);
    free(card);
    return 0;
}
