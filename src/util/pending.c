/* See pending.h. */
#include "util/pending.h"

#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

void enl_pending_set(enl_pending *u, const char *path)
{
    u->set = 0;
    atomic_signal_fence(memory_order_seq_cst);
    snprintf(u->path, sizeof u->path, "%s", path);
    atomic_signal_fence(memory_order_seq_cst);
    u->set = 1;
}

void enl_pending_clear(enl_pending *u)
{
    u->set = 0;
    atomic_signal_fence(memory_order_seq_cst);
}

void enl_pending_remove(enl_pending *u)
{
    if (u->set) (void)unlink(u->path);
}
