/*
 * Batches of intake: the notes, purges and burn notices of one sync are
 * taken in inside an outer transaction that commits every ENL_BATCH_ITEMS
 * items, ENL_BATCH_BYTES bytes or ENL_BATCH_MS milliseconds, so the disk is synced once per batch
 * rather than once per note. Each item still commits or rolls back on its
 * own (a savepoint); a crash loses at most the items of the open batch,
 * which the next sync offers again, because nothing outside the store (a
 * dead drop's file) is removed before the batch that made it removable has
 * committed. The bound on time keeps another process that wants the
 * profile waiting no longer than that; a sync over a link also commits
 * whenever the peer goes quiet (netsync.c), so a batch never holds the
 * lock while waiting on the network.
 */
#ifndef ENL_CORE_BATCH_H
#define ENL_CORE_BATCH_H

#include "core/profile.h"

#define ENL_BATCH_ITEMS 256
#define ENL_BATCH_BYTES (4u << 20)   /* 64 full notes, as many as a file is sealed with */
#define ENL_BATCH_MS    500

typedef struct {
    enl_profile *p;
    int open;
    unsigned n;
    uint64_t bytes;
    uint64_t started_ms;
} enl_batch;

int enl_batch_begin(enl_batch *b, enl_profile *p) __attribute__((warn_unused_result));
/* After an item of len bytes: commits and starts the next batch when this
 * one is full or old. *committed (may be NULL) says whether it committed. */
int enl_batch_step(enl_batch *b, size_t len, int *committed) __attribute__((warn_unused_result));
/* Commits what is open. */
int enl_batch_end(enl_batch *b);

#endif
