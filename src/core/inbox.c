/*
 * Inbox and status. Messages are shown oldest first; requests (notes from
 * people who are not contacts) are kept apart and shown only when asked.
 * Showing a message clears its "new" flag unless ENL_INBOX_KEEP_NEW.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cells.h"
#include "core/bulletin.h"
#include "core/messages.h"
#include "core/profile.h"

typedef struct {
    enl_profile *p;
    int flags;
    int (*cb)(const enl_message *m, void *ctx);
    void *ctx;
    int64_t *shown;
    size_t nshown, cap;
    int stop;
} inbox_ctx;

static int inbox_row(void *vctx, int64_t seq, const uint8_t *pt, size_t len)
{
    inbox_ctx *x = vctx;
    enl_msg_rec r;
    enl_message m;
    enl_contact c;
    uint8_t fp[32];
    int want_req = (x->flags & ENL_INBOX_REQUESTS) != 0;

    if (x->stop) return 1;
    if (enl_msg_decode(&r, pt, len) != ENL_OK) return ENL_ESTORE;
    if (((r.flags & ENL_MSG_REQUEST) != 0) != want_req) return 0;
    if ((x->flags & ENL_INBOX_NEW) && !(r.flags & ENL_MSG_NEW)) return 0;
    memset(&m, 0, sizeof m);
    m.seq = seq;
    if (enl_contact_by_dh(x->p, r.dh_pk, &c) == ENL_OK &&
        sodium_memcmp(c.card.sign_pk, r.sign_pk, 32) == 0)
        snprintf(m.from, sizeof m.from, "%s", c.name);
    enl_fingerprint_raw(fp, r.sign_pk, r.dh_pk);
    enl_fingerprint_text(m.from_fingerprint, fp);
    m.text = (const char *)r.text;
    m.text_len = r.text_len;
    m.sent = r.sent;
    m.received = r.received;
    memcpy(m.note_id, r.note_id, 32);
    m.is_new = (r.flags & ENL_MSG_NEW) != 0;
    m.disappear = r.disappear;
    m.delete_at = r.delete_at;
    m.is_request = (r.flags & ENL_MSG_REQUEST) != 0;
    m.after_burn = (r.flags & ENL_MSG_AFTER_BURN) != 0;
    if (r.in_cell && enl_cell_name(x->p, r.cell_id, m.cell) != ENL_OK)
        snprintf(m.cell, sizeof m.cell, "(a cell I left)");
    if (m.is_new && !(x->flags & ENL_INBOX_KEEP_NEW)) {
        if (x->nshown == x->cap) {
            size_t cap = x->cap ? 2 * x->cap : 64;
            int64_t *v = realloc(x->shown, cap * sizeof *v);
            if (v == NULL) return ENL_ENOMEM;
            x->shown = v;
            x->cap = cap;
        }
        x->shown[x->nshown++] = seq;
    }
    if (x->cb(&m, x->ctx) != 0) x->stop = 1;
    return 0;
}

/* Clears the "new" flag of one message (a rewrite under a fresh nonce),
 * and starts the clock of a disappearing one: it goes `disappear` seconds
 * after it was first shown. */
static int clear_new(enl_profile *p, int64_t seq)
{
    enl_msg_rec m;
    uint8_t *pt = NULL;
    size_t len = 0;
    int rc = enl_store_message_get(p->st, seq, &pt, &len);
    if (rc != ENL_OK) return rc;
    rc = enl_msg_decode(&m, pt, len);
    if (rc == ENL_OK) {
        pt[1] &= (uint8_t)~ENL_MSG_NEW;
        if (m.disappear != 0 && m.delete_at == 0) {
            uint64_t at = enl_now() + m.disappear;
            for (int i = 0; i < 8; i++)
                pt[ENL_MSG_DELETE_AT_OFFSET + i] = (uint8_t)(at >> (56 - 8 * i));
        }
        rc = enl_store_message_update(p->st, seq, pt, len);
    }
    enl_store_free(pt, len);
    return rc;
}

typedef struct {
    int64_t *due;
    size_t n, cap;
    uint64_t now;
} sweep_ctx;

static int sweep_row(void *vctx, int64_t seq, const uint8_t *pt, size_t len)
{
    sweep_ctx *x = vctx;
    enl_msg_rec r;
    if (enl_msg_decode(&r, pt, len) != ENL_OK) return ENL_ESTORE;
    if (r.delete_at == 0 || r.delete_at > x->now) return 0;
    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 16;
        int64_t *v = realloc(x->due, cap * sizeof *v);
        if (v == NULL) return ENL_ENOMEM;
        x->due = v;
        x->cap = cap;
    }
    x->due[x->n++] = seq;
    return 0;
}

int enl_messages_sweep(enl_profile *p)
{
    sweep_ctx x = { NULL, 0, 0, enl_now() };
    int rc = enl_store_row_each(p->st, "messages", sweep_row, &x);
    if (rc == ENL_OK && x.n > 0) {
        rc = enl_store_begin(p->st);
        for (size_t i = 0; rc == ENL_OK && i < x.n; i++) rc = enl_store_message_delete(p->st, x.due[i]);
        if (rc == ENL_OK) rc = enl_store_commit(p->st);
        else enl_store_rollback(p->st);
    }
    free(x.due);
    return rc;
}

int enl_inbox_each(enl_profile *p, int flags,
                   int (*cb)(const enl_message *m, void *ctx), void *ctx)
{
    inbox_ctx x = { p, flags, cb, ctx, NULL, 0, 0, 0 };
    int rc = enl_messages_sweep(p);
    if (rc == ENL_OK) rc = enl_store_row_each(p->st, "messages", inbox_row, &x);

    if (rc == ENL_OK && x.nshown > 0) {
        rc = enl_store_begin(p->st);
        for (size_t i = 0; rc == ENL_OK && i < x.nshown; i++) rc = clear_new(p, x.shown[i]);
        if (rc == ENL_OK) rc = enl_store_commit(p->st);
        else enl_store_rollback(p->st);
    }
    free(x.shown);
    return rc;
}

typedef struct {
    uint64_t messages, unread, requests;
} count_ctx;

static int count_row(void *vctx, int64_t seq, const uint8_t *pt, size_t len)
{
    count_ctx *x = vctx;
    enl_msg_rec r;
    (void)seq;
    if (enl_msg_decode(&r, pt, len) != ENL_OK) return ENL_ESTORE;
    if (r.flags & ENL_MSG_REQUEST) {
        x->requests++;
    } else {
        x->messages++;
        if (r.flags & ENL_MSG_NEW) x->unread++;
    }
    return 0;
}

static int count_burned(const enl_contact_info *c, void *ctx)
{
    if (c->burned) (*(uint64_t *)ctx)++;
    return 0;
}

static int count_cell(const enl_cell_info *c, void *ctx)
{
    enl_status_info *out = ctx;
    out->cells++;
    if (c->invited) out->invitations++;
    return 0;
}

int enl_status(enl_profile *p, enl_status_info *out)
{
    count_ctx x = { 0, 0, 0 };
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = enl_messages_sweep(p)) != ENL_OK) return rc;
    if ((rc = enl_bulletins_sweep(p)) != ENL_OK) return rc;
    if ((rc = enl_store_count(p->st, "notes", &out->notes)) != ENL_OK) return rc;
    if ((rc = enl_store_count(p->st, "follows", &out->follows)) != ENL_OK) return rc;
    if ((rc = enl_store_count(p->st, "bulletins", &out->bulletins)) != ENL_OK) return rc;
    if ((rc = enl_store_count(p->st, "outbox", &out->outgoing)) != ENL_OK) return rc;
    if ((rc = enl_store_count(p->st, "purges", &out->purges)) != ENL_OK) return rc;
    if ((rc = enl_store_count(p->st, "contacts", &out->contacts)) != ENL_OK) return rc;
    if ((rc = enl_store_note_bytes(p->st, &out->bytes)) != ENL_OK) return rc;
    if ((rc = enl_store_count(p->st, "burns", &out->burns)) != ENL_OK) return rc;
    if ((rc = enl_contact_each(p, count_burned, &out->burned)) != ENL_OK) return rc;
    if ((rc = enl_cell_each(p, count_cell, out)) != ENL_OK) return rc;
    if ((rc = enl_self_burned(p, NULL, NULL, 0)) < 0) return rc;
    out->self_burned = rc;
    if ((rc = enl_store_row_each(p->st, "messages", count_row, &x)) != ENL_OK) return rc;
    out->messages = x.messages;
    out->unread = x.unread;
    out->requests = x.requests;
    return ENL_OK;
}
