/* A file being written under a temporary name, for a signal handler to
 * remove when the process is stopped in the middle (Ctrl-C, SIGTERM,
 * SIGHUP): a sync's note, a save's file in the clear. */
#ifndef ENL_UTIL_PENDING_H
#define ENL_UTIL_PENDING_H

#include <signal.h>

typedef struct {
    char path[4200];
    volatile sig_atomic_t set;
} enl_pending;

/* Records path before the file can exist (a signal in between unlinks a
 * name that is not there: nothing happens). The flag goes up only once
 * the path is whole, so a handler never reads half of one. */
void enl_pending_set(enl_pending *u, const char *path);
/* Forgets it, once the file is renamed or removed. */
void enl_pending_clear(enl_pending *u);
/* Async-signal-safe: removes the file recorded, if any. */
void enl_pending_remove(enl_pending *u);

#endif
