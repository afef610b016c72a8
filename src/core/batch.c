/* Batches of intake; see batch.h. */
#include <time.h>

#include "core/batch.h"

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int enl_batch_begin(enl_batch *b, enl_profile *p)
{
    int rc;
    b->p = p;
    b->n = 0;
    b->bytes = 0;
    b->open = 0;
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    b->open = 1;
    b->started_ms = now_ms();
    return ENL_OK;
}

int enl_batch_end(enl_batch *b)
{
    int rc = ENL_OK;
    if (b->open) rc = enl_store_commit(b->p->st);
    b->open = 0;
    return rc;
}

int enl_batch_step(enl_batch *b, size_t len, int *committed)
{
    int rc;
    if (committed != NULL) *committed = 0;
    if (!b->open) return enl_batch_begin(b, b->p);
    b->bytes += len;
    if (++b->n < ENL_BATCH_ITEMS && b->bytes < ENL_BATCH_BYTES &&
        now_ms() - b->started_ms < ENL_BATCH_MS)
        return ENL_OK;
    if ((rc = enl_batch_end(b)) != ENL_OK) return rc;
    if (committed != NULL) *committed = 1;
    return enl_batch_begin(b, b->p);
}
