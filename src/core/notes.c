/*
 * The notes a profile holds, handed out one by one as the opaque bytes that
 * travel: for transports that take notes out of the store by hand (paper)
 * rather than by reconciling two stores. Held notes are those carried for
 * others and this profile's own notes not yet known delivered. Nothing here
 * opens a note or changes the store.
 */
#include "core/profile.h"

int enl_note_get(enl_profile *p, const uint8_t id[ENL_IDBYTES], uint8_t **note, size_t *len)
{
    if (p == NULL || id == NULL || note == NULL || len == NULL) return ENL_EINVAL;
    return enl_store_note_get(p->st, id, note, len);
}

typedef struct {
    int (*cb)(const uint8_t id[ENL_IDBYTES], void *ctx);
    void *ctx;
} each_ctx;

static int each_id(void *ctx, const uint8_t id[32])
{
    const each_ctx *e = ctx;
    return e->cb(id, e->ctx);
}

int enl_note_each(enl_profile *p, int (*cb)(const uint8_t id[ENL_IDBYTES], void *ctx), void *ctx)
{
    each_ctx e = { cb, ctx };
    if (p == NULL || cb == NULL) return ENL_EINVAL;
    return enl_store_note_ids(p->st, each_id, &e);
}
