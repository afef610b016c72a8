/* See stopclean.h. */
#include "cli/stopclean.h"

#include <signal.h>
#include <string.h>

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define STOP_NSIGNALS (sizeof stop_signals / sizeof stop_signals[0])

static void (*volatile stop_cleanup)(void);

static void clean_and_die(int sig)
{
    void (*cleanup)(void) = stop_cleanup;
    if (cleanup != NULL) cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

int cli_with_stop_cleanup(void (*cleanup)(void), int (*work)(void *ctx), void *ctx)
{
    struct sigaction sa, before[STOP_NSIGNALS];
    int rc;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = clean_and_die;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < STOP_NSIGNALS; i++) sigaddset(&sa.sa_mask, stop_signals[i]);
    stop_cleanup = cleanup;
    /* A signal ignored (nohup, a shell's background job) stays ignored:
     * it would not have stopped the work, so there is nothing to undo. */
    for (size_t i = 0; i < STOP_NSIGNALS; i++) {
        sigaction(stop_signals[i], NULL, &before[i]);
        if (before[i].sa_handler != SIG_IGN) sigaction(stop_signals[i], &sa, NULL);
    }
    rc = work(ctx);
    for (size_t i = 0; i < STOP_NSIGNALS; i++) sigaction(stop_signals[i], &before[i], NULL);
    stop_cleanup = NULL;
    return rc;
}
