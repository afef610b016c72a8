/*
 * enlace card [--address tcp://HOST:PORT|tor://ADDRESS.onion:PORT | --onion]:
 * print my card, optionally saying where my device listens (--onion: the
 * profile's own onion service, published once with `listen --onion`).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "util/secmem.h"

int cmd_card(int argc, char **argv)
{
    static const struct option opts[] = {
        { "address", required_argument, NULL, 'a' },
        { "onion", no_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enl_profile *p;
    char *card = NULL, onion[128];
    const char *address = NULL;
    int c, ex = 0, rc, want_onion = 0;

    while ((c = cli_getopt(argc, argv, "h", opts, "card", &ex)) != -1) {
        if (c == -2) return ex;
        if (c == 'a') address = optarg;
        if (c == 'o') want_onion = 1;
    }
    if (optind != argc || (address != NULL && want_onion)) return cli_usage(cli_find("card"));
    if (address != NULL && *address && (ex = cli_check_address("card", address)) != 0) return ex;
    if ((p = cli_unlock(&ex)) == NULL) return ex;
    if (want_onion) {
        if ((rc = enl_onion_address(p, onion, sizeof onion)) != ENL_OK)
            return cli_fail_rc(p, rc, "card");
        address = onion;
    }
    if (address != NULL) rc = enl_profile_card_address(p, address, &card);
    else rc = enl_profile_card(p, &card);
    if (rc != ENL_OK) return cli_fail_rc(p, rc, "card");
    printf("%s\n", card);
    enl_free_wiped(card, strlen(card));     /* my name, keys and address */
    return 0;
}
