/* Work that leaves something to undo while it runs (a sync's or a save's
 * temporary file, a terminal's echo turned off), stopped by Ctrl-C,
 * SIGTERM, SIGHUP or SIGQUIT: it is undone first. */
#ifndef ENL_CLI_STOPCLEAN_H
#define ENL_CLI_STOPCLEAN_H

/* Runs work(ctx) with SIGINT, SIGTERM, SIGHUP and SIGQUIT made to call cleanup
 * (which must be async-signal-safe) and then die of the signal, as they
 * would have; one that is ignored (nohup) stays ignored. The handlers
 * before are put back after. Returns what work returns. */
int cli_with_stop_cleanup(void (*cleanup)(void), int (*work)(void *ctx), void *ctx);

#endif
