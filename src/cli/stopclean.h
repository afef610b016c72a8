/* Work that leaves a temporary file while it runs (a sync of a folder, a
 * save), stopped by Ctrl-C, SIGTERM or SIGHUP: its file is removed first. */
#ifndef ENL_CLI_STOPCLEAN_H
#define ENL_CLI_STOPCLEAN_H

/* Runs work(ctx) with SIGINT, SIGTERM and SIGHUP made to call cleanup
 * (which must be async-signal-safe) and then die of the signal, as they
 * would have; the handlers before are put back after. Returns what work
 * returns. */
int cli_with_stop_cleanup(void (*cleanup)(void), int (*work)(void *ctx), void *ctx);

#endif
