/*
 * Syncing two devices over a link: TCP, directly or through a SOCKS5 proxy
 * (Tor's, for tor:// onion addresses and `--socks`); a listener may be
 * published as an onion service (core/onion.c). The same session runs over
 * all of them. After the Noise XK handshake:
 *
 *  1. Reconciliation: the three sets (burn notices, purge records, notes)
 *     are reconciled at once, each keyed by (expiry u32 || first 28 bytes of
 *     the id), so that notes close in expiry sit close in the key order
 *     (burn notices, whose expiry each device sets, by a zero expiry),
 *     under one fresh salt drawn by the initiator. Messages:
 *       0x01 | blen u32 | burns | plen u32 | purges | nlen u32 | notes
 *     An empty part means that set has nothing to say this round.
 *  2. Transfer, only when there is something to move: the initiator sends
 *     what the responder lacks (purges first, then notes smallest first),
 *     then 0x04 END; then the responder does the same. Items:
 *       0x02 | purge record        0x03 | note
 *     Each item is taken in on its own transaction, so a link cut half way
 *     keeps what arrived and the next sync reconciles only what is left.
 *
 * A listener that fails on its own side (its store, its disk, memory) says
 * so before it closes: 0x07 FAIL, where the initiator waits for a RECON or
 * an item. Without it, a listener that fails before it has said anything
 * would look like one that refused the initiator's key.
 *
 * A sync with nothing to do is one round trip after the handshake.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/onion.h"
#include "core/batch.h"
#include "core/prekeys.h"
#include "core/profile.h"
#include "note/note.h"
#include "sync/link.h"
#include "sync/reconcile.h"
#include "transport/socks5.h"
#include "transport/tcp.h"
#include "transport/torctl.h"

#define MSG_RECON 0x01
#define MSG_PURGE 0x02
#define MSG_NOTE  0x03
#define MSG_END   0x04
#define MSG_BURN  0x05
#define MSG_BUSY  0x06   /* the listener to a contact it could not serve in time */
#define MSG_FAIL  0x07   /* the listener to a peer it served: it failed on its own side */

/* The sets, in the order they move: burn notices travel ahead of everything,
 * then purges, then notes. */
enum { SET_BURNS, SET_PURGES, SET_NOTES, NSETS };
static const uint8_t set_type[NSETS] = { MSG_BURN, MSG_PURGE, MSG_NOTE };
#define MSG_MAX   (1 + 3 * (4 + ENL_RECON_MSG_MAX))
_Static_assert(1 + ENL_NOTE_MAX <= MSG_MAX, "a note item fits the message buffer");
/* How long a listener gives a contact it turns away as busy to hear it
 * and close. */
#define BUSY_MS 2000
/* An honest reconciliation of few differences ends in O(log n) rounds
 * (deferred ranges add a few); one of many takes longer, since a message
 * holds only so many ids: it settles some hundreds of differences a round
 * (about 500 when one side holds them all, over 300 amid 500,000 shared
 * items). A peer gets RECON_ROUNDS_MAX rounds, one more for every
 * RECON_ROUNDS_PER differences settled so far (honest peers settle five
 * times that at least), and never more than RECON_ROUNDS_HARD: a flat cap
 * cut off two honest devices some 130,000 items apart before anything
 * moved, at every sync. */
#define RECON_ROUNDS_MAX  256
#define RECON_ROUNDS_PER  64
#define RECON_ROUNDS_HARD 4096
/* When a read from the link has waited this long (the peer quiet, or
 * trickling its bytes), what was taken in commits, so the write lock is not
 * held while the link waits. */
#define IDLE_COMMIT_MS 20
/* How often a listener checks whether its prekey is due for rotation. */
#define UPKEEP_MS 60000

typedef struct {
    uint8_t key[32];
    uint8_t id[32];
    uint64_t size;
    size_t age;             /* rank in the order the store received it */
} item;

typedef struct {
    item *items;
    size_t n, cap;
    uint8_t (*keys)[32];
    uint8_t *scratch;
    size_t *have;           /* indices of items the peer lacks */
    size_t nhave, caphave;
    uint64_t nneed;
    enl_recon r;
    int done;
    int oom;
} set;

typedef struct {
    enl_profile *p;
    enl_link link;
    set sets[NSETS];
    enl_sync_stats *st;
    const enl_sync_opts *opts;
    uint8_t *msg;           /* outgoing message */
    uint8_t *in;            /* incoming reconciliation message */
    struct timespec t0;
    int initiator;
    int contact;            /* the peer is served as a contact (not an open relay's stranger) */
    int burned_midway;      /* its keys were found burned during the session */
} session;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int collect(void *ctx, const uint8_t id[32], uint32_t expiry, uint64_t size)
{
    set *s = ctx;
    item *it;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        item *v = realloc(s->items, cap * sizeof *v);
        if (v == NULL) return ENL_ENOMEM;
        s->items = v;
        s->cap = cap;
    }
    it = &s->items[s->n++];
    it->key[0] = (uint8_t)(expiry >> 24);
    it->key[1] = (uint8_t)(expiry >> 16);
    it->key[2] = (uint8_t)(expiry >> 8);
    it->key[3] = (uint8_t)expiry;
    memcpy(it->key + 4, id, 28);
    memcpy(it->id, id, 32);
    it->size = size;
    it->age = s->n - 1;
    return 0;
}

/* A burn notice's expiry is each device's own (a year from when it took the
 * notice in): keyed by it, one notice would have another key on each side,
 * and would go both ways at every sync. Notices are keyed by their id alone. */
static int collect_burn(void *ctx, const uint8_t id[32], uint32_t expiry, uint64_t size)
{
    (void)expiry;
    return collect(ctx, id, 0, size);
}

static int by_key(const void *a, const void *b)
{
    return memcmp(((const item *)a)->key, ((const item *)b)->key, 32);
}

static int key_cmp(const void *k, const void *e)
{
    return memcmp(k, e, 32);
}

static void on_have(void *ctx, const uint8_t key[32])
{
    set *s = ctx;
    uint8_t (*hit)[32] = bsearch(key, s->keys, s->n, 32, key_cmp);
    if (hit == NULL) return;
    if (s->nhave == s->caphave) {
        size_t cap = s->caphave ? 2 * s->caphave : 256;
        size_t *v = realloc(s->have, cap * sizeof *v);
        if (v == NULL) { s->oom = 1; return; }
        s->have = v;
        s->caphave = cap;
    }
    s->have[s->nhave++] = (size_t)(hit - s->keys);
}

static void on_need(void *ctx, const uint8_t key[32])
{
    set *s = ctx;
    (void)key;
    s->nneed++;
}

static int set_build(set *s, enl_profile *p, int which, int initiator)
{
    size_t scratch;
    int rc = which == SET_NOTES ? enl_store_note_items(p->st, collect, s)
             : which == SET_PURGES ? enl_store_purge_items(p->st, collect, s)
                                   : enl_store_burn_items(p->st, collect_burn, s);
    if (rc != ENL_OK) return rc;
    if (s->n > 1) qsort(s->items, s->n, sizeof *s->items, by_key);   /* items is NULL when empty */
    /* Two different ids with the same expiry and 28-byte prefix would be one
     * key: keep the first, the other waits for a later sync (2^-224 odds). */
    for (size_t i = 1, j = 1; i <= s->n; i++) {
        if (i == s->n) { s->n = s->n ? j : 0; break; }
        if (memcmp(s->items[i].key, s->items[j - 1].key, 32) != 0) s->items[j++] = s->items[i];
    }
    s->keys = malloc((s->n ? s->n : 1) * 32);
    scratch = enl_recon_scratch_bytes(s->n);
    s->scratch = malloc(scratch ? scratch : 1);
    if (s->keys == NULL || s->scratch == NULL) return ENL_ENOMEM;
    for (size_t i = 0; i < s->n; i++) memcpy(s->keys[i], s->items[i].key, 32);
    return enl_recon_init(&s->r, (const uint8_t (*)[32])s->keys, s->n, initiator, on_have, on_need,
                          s, s->scratch, scratch);
}

static void set_free(set *s)
{
    free(s->items);
    free(s->keys);
    free(s->scratch);
    free(s->have);
    memset(s, 0, sizeof *s);
}

static void put_u32(uint8_t *b, size_t v)
{
    b[0] = (uint8_t)(v >> 24); b[1] = (uint8_t)(v >> 16); b[2] = (uint8_t)(v >> 8); b[3] = (uint8_t)v;
}

static size_t get_u32(const uint8_t *b)
{
    return ((size_t)b[0] << 24) | ((size_t)b[1] << 16) | ((size_t)b[2] << 8) | b[3];
}

/* Splits a RECON message into its NSETS parts; ENL_EPROTO when malformed. */
int enl_recon_msg_split(const uint8_t *m, size_t len, const uint8_t **part, size_t *plen);
int enl_recon_msg_split(const uint8_t *m, size_t len, const uint8_t **part, size_t *plen)
{
    size_t off = 1;
    if (len < 1 + 4 * NSETS || m[0] != MSG_RECON) return ENL_EPROTO;
    for (int i = 0; i < NSETS; i++) {
        size_t k;
        if (len - off < 4) return ENL_EPROTO;
        k = get_u32(m + off);
        off += 4;
        if (k > ENL_RECON_MSG_MAX || k > len - off) return ENL_EPROTO;
        part[i] = m + off;
        plen[i] = k;
        off += k;
    }
    return off == len ? ENL_OK : ENL_EPROTO;
}

static int all_done(const session *x)
{
    for (int i = 0; i < NSETS; i++)
        if (!x->sets[i].done) return 0;
    return 1;
}

/* The rounds a peer gets, given what the rounds so far settled. */
static int rounds_allowed(const session *x)
{
    uint64_t settled = 0, r;
    for (int i = 0; i < NSETS; i++) settled += x->sets[i].nhave + x->sets[i].nneed;
    r = RECON_ROUNDS_MAX + settled / RECON_ROUNDS_PER;
    return r < RECON_ROUNDS_HARD ? (int)r : RECON_ROUNDS_HARD;
}

static int reconcile(session *x)
{
    uint8_t *out = x->msg;
    size_t len = 0;
    int rc;

    if (x->initiator) {
        uint8_t salt[ENL_RECON_SALTBYTES];
        size_t off = 1;
        /* A fresh salt keys the fingerprints of this session (one for the
         * three sets: their ids never meet). */
        randombytes_buf(salt, sizeof salt);
        for (int i = 0; i < NSETS; i++) {
            size_t ol = 0;
            rc = enl_recon_first(&x->sets[i].r, salt, out + off + 4, ENL_RECON_MSG_MAX, &ol);
            if (rc != ENL_OK) return rc;
            put_u32(out + off, ol);
            off += 4 + ol;
        }
        out[0] = MSG_RECON;
        if ((rc = enl_link_send(&x->link, out, off)) != ENL_OK) return rc;
    }
    for (int round = 0; !all_done(x); round++) {
        const uint8_t *part[NSETS];
        size_t plen[NSETS], off = 1;
        int any = 0;
        if (round >= rounds_allowed(x)) return ENL_EPROTO;
        if ((rc = enl_link_recv(&x->link, x->in, MSG_MAX, &len)) != ENL_OK) return rc;
        if (x->initiator && round == 0 && len == 1 && x->in[0] == MSG_BUSY) return ENL_EBUSY;
        if (x->initiator && len == 1 && x->in[0] == MSG_FAIL) return ENL_EPEERFAIL;
        if ((rc = enl_recon_msg_split(x->in, len, part, plen)) != ENL_OK) return rc;
        out[0] = MSG_RECON;
        for (int i = 0; i < NSETS; i++) {
            set *s = &x->sets[i];
            size_t ol = 0;
            int done = 0;
            if (plen[i] > 0) {
                if (s->done) return ENL_EPROTO;
                rc = enl_recon_step(&s->r, part[i], plen[i], out + off + 4, ENL_RECON_MSG_MAX, &ol, &done);
                if (rc != ENL_OK) return rc;
                if (s->oom) return ENL_ENOMEM;
                s->done = done;
            } else if (!s->done) {
                return ENL_EPROTO;   /* the peer went silent on a set still open */
            }
            put_u32(out + off, ol);
            off += 4 + ol;
            any |= ol > 0;
        }
        if (any && (rc = enl_link_send(&x->link, out, off)) != ENL_OK) return rc;
    }
    return ENL_OK;
}


typedef struct {
    uint64_t size;
    size_t index;
    size_t age;
} by_size_entry;

static int by_size(const void *a, const void *b)
{
    const by_size_entry *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? -1 : 1;
    /* Equal sizes go oldest first: a conversation's notes then arrive in
     * the order they were sent, and the ratchet has nothing to skip. */
    return x->age < y->age ? -1 : x->age > y->age;
}

/* Smallest notes first: a short meeting moves the most notes. */
static int sort_have_by_size(set *s)
{
    by_size_entry *v = malloc((s->nhave ? s->nhave : 1) * sizeof *v);
    if (v == NULL) return ENL_ENOMEM;
    for (size_t k = 0; k < s->nhave; k++) {
        v[k].size = s->items[s->have[k]].size;
        v[k].index = s->have[k];
        v[k].age = s->items[s->have[k]].age;
    }
    qsort(v, s->nhave, sizeof *v, by_size);
    for (size_t k = 0; k < s->nhave; k++) s->have[k] = v[k].index;
    free(v);
    return ENL_OK;
}

static void progress(session *x, uint64_t done, uint64_t total)
{
    if (x->opts != NULL && x->opts->progress != NULL)
        x->opts->progress(x->opts->ctx, x->initiator ? "sync" : "serve", done, total);
}

/* Sends what the peer lacks of one set (burns, purges, or notes smallest
 * first), then END. An item gone since the listing (purged or expired by
 * now, often by a purge the peer just sent) is skipped. */
static int send_items(session *x, int which)
{
    set *s = &x->sets[which];
    int rc = which == SET_NOTES ? sort_have_by_size(s) : ENL_OK;

    for (size_t k = 0; rc == ENL_OK && k < s->nhave; k++) {
        const item *it = &s->items[s->have[k]];
        uint8_t *data = NULL;
        size_t len = 0;
        progress(x, k + 1, s->nhave);
        if (which == SET_BURNS) {
            if (enl_store_burn_get(x->p->st, it->id, x->msg + 1, MSG_MAX - 1, &len) != ENL_OK)
                continue;
            x->msg[0] = MSG_BURN;
        } else if (which == SET_PURGES) {
            uint8_t key[32];
            uint32_t expiry;
            if (enl_store_purge_get(x->p->st, it->id, key, &expiry) != ENL_OK) continue;
            x->msg[0] = MSG_PURGE;
            enl_purge_encode(x->msg + 1, expiry, key);
            len = ENL_PURGEBYTES;
            sodium_memzero(key, sizeof key);
        } else {
            if (enl_store_note_get(x->p->st, it->id, &data, &len) != ENL_OK) continue;
            /* The notes table holds opaque bytes, not blobs under the
             * profile key: a row planted in the file while the device was
             * locked can be of any size. One larger than any note is no
             * note, and would not fit the buffer. */
            if (len > ENL_NOTE_MAX) {
                free(data);
                continue;
            }
            x->msg[0] = MSG_NOTE;
            memcpy(x->msg + 1, data, len);
            free(data);
        }
        rc = enl_link_send(&x->link, x->msg, 1 + len);
        if (rc == ENL_OK) {
            if (which == SET_BURNS) x->st->burns_sent++;
            else if (which == SET_PURGES) x->st->purges_sent++;
            else x->st->notes_sent++;
        }
    }
    x->msg[0] = MSG_END;
    return rc == ENL_OK ? enl_link_send(&x->link, x->msg, 1) : rc;
}

typedef struct {
    enl_batch b;
    int rc;                     /* of a commit made while the link waited */
} idle_batch;

static void commit_when_idle(void *ctx)
{
    idle_batch *ib = ctx;
    int rc = enl_batch_end(&ib->b);
    if (rc != ENL_OK && ib->rc == ENL_OK) ib->rc = rc;
}

/* Receives one set's items until END: at most what reconciliation said the
 * peer would send, and only of that set's type. */
static int recv_items(session *x, int which)
{
    uint64_t expected = x->sets[which].nneed, got = 0;
    uint8_t type = set_type[which];
    idle_batch ib = { { .p = x->p, .open = 0 }, ENL_OK };
    enl_tcp_idle idle = { IDLE_COMMIT_MS, commit_when_idle, &ib };
    enl_batch *b = &ib.b;
    int rc = ENL_OK, end;

    /* The batch's transaction holds the profile's write lock: it commits
     * whenever the link waits, so a peer that goes quiet (or slow) keeps no
     * other sync or command of this profile waiting. */
    x->link.idle = &idle;
    while (rc == ENL_OK) {
        size_t len = 0;
        rc = enl_link_recv(&x->link, x->msg, MSG_MAX, &len);
        if (rc == ENL_OK) rc = ib.rc;
        if (rc != ENL_OK) break;
        if (len == 1 && x->msg[0] == MSG_END) break;
        if (x->initiator && len == 1 && x->msg[0] == MSG_FAIL) {
            rc = ENL_EPEERFAIL;
            break;
        }
        if (len < 2 || x->msg[0] != type || ++got > expected) {
            rc = ENL_EPROTO;
            break;
        }
        if (!b->open && (rc = enl_batch_begin(b, x->p)) != ENL_OK) break;
        progress(x, got, expected);
        if (type == MSG_BURN) rc = enl_burn_intake(x->p, x->msg + 1, len - 1, x->st);
        else if (type == MSG_PURGE) rc = enl_purge_intake(x->p, x->msg + 1, len - 1, x->st);
        else rc = enl_note_intake(x->p, x->msg + 1, len - 1, x->st);
        /* An item that does not check is skipped, never a reason to cut the
         * link: an honest courier may carry a note someone damaged or made
         * to fail only at its recipient, and cutting would block every
         * later item at every later sync. Framing, type and count
         * violations (above) still end the link. */
        switch (rc) {
        case ENL_OK:
            break;
        case ENL_EDUPLICATE: case ENL_EPURGED:
            x->st->duplicates++;
            rc = ENL_OK;
            break;
        case ENL_ESTORE: case ENL_ENOMEM:
            break;
        case ENL_EFULL:
            if (x->opts && x->opts->warn) x->opts->warn(x->opts->ctx, enl_profile_errmsg(x->p));
            x->st->skipped++;
            rc = ENL_OK;
            break;
        default:
            x->st->skipped++;
            rc = ENL_OK;
            break;
        }
        if (rc == ENL_OK) rc = enl_batch_step(b, len, NULL);
    }
    x->link.idle = NULL;
    /* What arrived before the link broke is kept: every item taken in
     * is whole, so the open batch commits whatever ended the loop. */
    end = enl_batch_end(b);
    if (end == ENL_OK) end = ib.rc;
    return rc != ENL_OK ? rc : end;
}

/* One set moves both ways: the initiator first, then the responder. Both
 * know from reconciliation whether there is anything to move at all. */
static int exchange(session *x, int which)
{
    int rc;
    if (x->sets[which].nhave + x->sets[which].nneed == 0) return ENL_OK;
    if (x->initiator) {
        if ((rc = send_items(x, which)) != ENL_OK) return rc;
        return recv_items(x, which);
    }
    if ((rc = recv_items(x, which)) != ENL_OK) return rc;
    return send_items(x, which);
}

/* 1 when the contact this session serves has had its keys burned here
 * since the session began. */
static int peer_burned(session *x)
{
    enl_contact c;
    return x->contact && enl_contact_by_dh(x->p, x->link.peer, &c) == ENL_OK && c.burned;
}

static int run_session(session *x)
{
    int rc;
    for (int i = 0; i < NSETS; i++)
        if ((rc = set_build(&x->sets[i], x->p, i, x->initiator)) != ENL_OK) return rc;
    if ((rc = reconcile(x)) != ENL_OK) return rc;
    /* Burn notices first; then purges both ways before any note, so that
     * neither side sends a note the other has just told it is delivered.
     * A notice that came may burn the peer's own keys: the device seized
     * with them takes in its owner's notice and carries it like any other,
     * so it hands it over itself, first thing. Another session, or the
     * user, may burn them meanwhile too. From then on the peer is whoever
     * seized them: the session stops there, as a sync with burned keys is
     * refused from the start (resolve, serve_one), before the notes, among
     * which others' notes to the burned keys, that it would open. */
    for (int i = 0; i < NSETS; i++) {
        if (i > 0 && peer_burned(x)) {
            x->burned_midway = 1;
            return ENL_EREFUSED;
        }
        if ((rc = exchange(x, i)) != ENL_OK) return rc;
    }
    return ENL_OK;
}

static void session_end(session *x)
{
    /* A listener runs for days: fold each session's changes in at once, so
     * superseded session states leave the log (best effort). */
    (void)enl_store_checkpoint(x->p->st);
    x->st->bytes_sent = x->link.bytes_out;
    x->st->bytes_received = x->link.bytes_in;
    x->st->peer_closed = x->link.closed;
    x->st->seconds = since(&x->t0);
    enl_link_wipe(&x->link);
    for (int i = 0; i < NSETS; i++) set_free(&x->sets[i]);
    free(x->msg);
    free(x->in);
}

static int session_init(session *x, enl_profile *p, const enl_sync_opts *opts,
                        enl_sync_stats *st, int initiator)
{
    memset(x, 0, sizeof *x);
    memset(st, 0, sizeof *st);
    x->p = p;
    x->opts = opts;
    x->st = st;
    x->initiator = initiator;
    x->link.fd = -1;
    clock_gettime(CLOCK_MONOTONIC, &x->t0);
    x->msg = malloc(MSG_MAX);
    x->in = malloc(MSG_MAX);
    if (x->msg == NULL || x->in == NULL) return ENL_ENOMEM;
    enl_quota_forget(p);
    /* A listener expires what is due once the peer is known to be a
     * contact (serve_one): a prober's connection writes nothing. */
    return initiator ? enl_profile_expire(p) : ENL_OK;
}

typedef struct {
    const char *target;
    char name[ENL_NAME_MAX + 1];
    int found;
} by_address;

static int match_address(const enl_contact_info *ci, void *ctx)
{
    by_address *b = ctx;
    if (strcmp(ci->address, b->target) != 0) return 0;
    snprintf(b->name, sizeof b->name, "%s", ci->name);
    b->found = 1;
    return 1;
}

/* ID.onion with a v3 id (56 letters and digits). */
static int onion_host(const char *host)
{
    size_t n = strlen(host);
    return n > 6 && strcmp(host + n - 6, ".onion") == 0 && enl_onion_id_valid(host, n - 6);
}

/* Burned keys are the captor's now: a sync would tell them this device is
 * alive, where it is, and hand them every note it carries. */
static int refuse_burned(enl_profile *p, const enl_contact *c)
{
    return enl_fail(p, ENL_EREFUSED, "%s's keys are burned (%s): nothing is synced with "
                    "whoever holds them", c->name, c->burn_reason);
}

/* tcp://NAME@HOST:PORT or tor://NAME@ID.onion:PORT; the same without NAME@
 * when it is exactly a contact's address; or NAME with a known address.
 * *tor is set for a tor:// address. */
static int resolve(enl_profile *p, const char *target, enl_contact *c, char *host, size_t hmax,
                   char *port, size_t pmax, int *tor)
{
    char name[ENL_NAME_MAX + 1];
    const char *addr, *at;
    int rc;

    *tor = strncmp(target, "tor://", 6) == 0;
    if (*tor || strncmp(target, "tcp://", 6) == 0) {
        at = strchr(target + 6, '@');
        if (at == NULL) {
            by_address b = { target, "", 0 };
            if ((rc = enl_contact_each(p, match_address, &b)) != ENL_OK) return rc;
            if (!b.found)
                return enl_fail(p, ENL_EINVAL, "say whose device listens there: %s",
                                *tor ? "tor://NAME@ADDRESS.onion:PORT" : "tcp://NAME@HOST:PORT");
            if ((rc = enl_contact_by_name(p, b.name, c)) != ENL_OK) return rc;
            addr = target + 6;
        } else {
            if ((size_t)(at - target - 6) > ENL_NAME_MAX)
                return enl_fail(p, ENL_EINVAL, "say whose device listens there: %s",
                                *tor ? "tor://NAME@ADDRESS.onion:PORT" : "tcp://NAME@HOST:PORT");
            memcpy(name, target + 6, (size_t)(at - target - 6));
            name[at - target - 6] = '\0';
            addr = at + 1;
            if ((rc = enl_contact_by_name(p, name, c)) != ENL_OK) return rc;
        }
    } else {
        if ((rc = enl_contact_by_name(p, target, c)) != ENL_OK) return rc;
        if (c->burned) return refuse_burned(p, c);   /* before: no address needed */
        addr = c->address[0] ? c->address : c->card.address;
        *tor = strncmp(addr, "tor://", 6) == 0;
        if (!*tor && strncmp(addr, "tcp://", 6) != 0)
            return enl_fail(p, ENL_ENOTFOUND, "no tcp:// or tor:// address known for %s "
                            "(enlace contact address %s tcp://HOST:PORT)", target, target);
        addr += 6;
    }
    if (c->burned) return refuse_burned(p, c);
    if (enl_tcp_split(addr, host, hmax, port, pmax) != ENL_OK || strtoul(port, NULL, 10) == 0)
        return enl_fail(p, ENL_EINVAL, "not an address: %s (HOST:PORT, PORT 1 to 65535)", addr);
    if (*tor && !onion_host(host))
        return enl_fail(p, ENL_EINVAL, "not an onion address: %s (tor://NAME@ADDRESS.onion:PORT, "
                        "ADDRESS being 56 letters and digits)", host);
    return ENL_OK;
}

/* Connects to host:port, directly or through the SOCKS5 proxy socks. */
static int link_connect(enl_profile *p, int *fd, const char *host, const char *port,
                        const char *socks)
{
    char sh[256], sp[16], err[400], user[24], pass[24];
    uint8_t rnd[16];
    unsigned long pn;
    int rc;

    if (socks == NULL) {
        rc = enl_tcp_connect(fd, host, port, ENL_LINK_TIMEOUT_MS);
        if (rc != ENL_OK)
            enl_fail(p, rc, "cannot connect to %s:%s (%s)", host, port,
                     rc == ENL_ETIMEOUT ? "no answer" : "refused or unreachable");
        return rc;
    }
    if (enl_tcp_split(socks, sh, sizeof sh, sp, sizeof sp) != ENL_OK)
        return enl_fail(p, ENL_EINVAL, "not a SOCKS proxy address: %s (HOST:PORT)", socks);
    pn = strtoul(port, NULL, 10);
    if (pn == 0 || pn > 65535) return enl_fail(p, ENL_EINVAL, "not a port: %s", port);
    /* Fresh credentials for every sync: Tor (IsolateSOCKSAuth) gives it a
     * circuit of its own, so two syncs cannot be linked by their circuit. */
    randombytes_buf(rnd, sizeof rnd);
    memcpy(user, "enlace-", 7);
    sodium_bin2hex(user + 7, sizeof user - 7, rnd, 8);
    sodium_bin2hex(pass, sizeof pass, rnd + 8, 8);
    rc = enl_socks5_connect(fd, sh, sp, host, (uint16_t)pn, user, pass, ENL_SOCKS_TIMEOUT_MS,
                            err, sizeof err);
    if (rc != ENL_OK) enl_fail(p, rc, "%s", err);
    return rc;
}

/* A device's own failures (its store, its disk, memory), as opposed to the
 * peer's or the link's. */
static int own_failure(int rc)
{
    return rc == ENL_ESTORE || rc == ENL_EIO || rc == ENL_EFULL || rc == ENL_ENOMEM;
}

/* The side that syncs failed on its own side (its disk full while it took
 * in what came): said as its own, with the store's reason, never as the
 * link's or the peer's fault. */
static int say_own_failure(enl_profile *p, const char *peer, int rc)
{
    char why[96];
    const char *detail = rc == ENL_ESTORE ? enl_store_errmsg(p->st) : "";
    snprintf(why, sizeof why, "%s", detail != NULL && *detail ? detail : enl_strerror(rc));
    return enl_fail(p, rc, "this device failed on its own side (%s), not the link nor %s's: what "
                    "came before is kept, the rest comes at the next sync", why, peer);
}

int enl_sync_tcp(enl_profile *p, const char *target, const enl_sync_opts *opts,
                 enl_sync_stats *stats)
{
    return enl_sync_link(p, target, NULL, opts, stats);
}

int enl_sync_link(enl_profile *p, const char *target, const char *socks,
                  const enl_sync_opts *opts, enl_sync_stats *stats)
{
    enl_sync_stats local;
    enl_contact c;
    session x;
    char host[256], port[16];
    int fd = -1, rc, tor = 0;

    if (stats == NULL) stats = &local;
    rc = resolve(p, target, &c, host, sizeof host, port, sizeof port, &tor);
    if (rc != ENL_OK) return rc;
    if (tor && socks == NULL) socks = ENL_TOR_SOCKS_DEFAULT;
    if ((rc = session_init(&x, p, opts, stats, 1)) != ENL_OK) {
        if (own_failure(rc)) say_own_failure(p, c.name, rc);
        goto out;
    }
    x.contact = 1;
    enl_note_source(p, "peer", c.card.dh_pk, sizeof c.card.dh_pk);
    if ((rc = link_connect(p, &fd, host, port, socks)) != ENL_OK) goto out;
    rc = enl_link_initiate(&x.link, fd, p->id->dh_sk, c.card.dh_pk, ENL_LINK_TIMEOUT_MS);
    if (rc != ENL_OK) {
        enl_fail(p, rc, "the handshake with %s failed: the device at %s:%s is not %s's, "
                 "or not enlace", c.name, host, port, c.name);
        goto out;
    }
    rc = run_session(&x);
    /* A listener that refuses us closes right after the handshake: we see
     * the close (EPROTO), or a reset while sending (ENET). So does one that
     * cannot say it failed (an older one, or one killed or out of memory
     * for good): from here the two look the same, and the message says
     * both. One that can say it failed says FAIL. */
    if (x.burned_midway) {
        enl_fail(p, rc, "%s's keys were burned during this sync (a burn notice came, or here "
                 "meanwhile): stopped before any note went to whoever holds them (what arrived "
                 "is kept)", c.name);
    } else if (rc == ENL_EBUSY) {
        enl_fail(p, rc, "%s's device is busy with other syncs: try again in a while", c.name);
    } else if (rc == ENL_EPEERFAIL) {
        enl_fail(p, rc, "%s's device failed on its side (its storage or memory) and stopped the "
                 "sync: nothing is wrong on this side, and what arrived is kept; try again "
                 "later, and if it goes on, ask %s to look at their listener", c.name, c.name);
    } else if ((rc == ENL_EPROTO || rc == ENL_ENET) && x.link.bytes_in <= 2 + ENL_LINK_HS2_BYTES) {
        rc = ENL_EREFUSED;
        enl_fail(p, rc, "%s's device refused this profile, or failed, before it answered: are "
                 "you in %s's contacts? If you are, try again later, and if it goes on, ask %s "
                 "to look at their listener", c.name, c.name, c.name);
    } else if ((rc == ENL_EPROTO || rc == ENL_ENET) && x.link.closed) {
        /* a listener that fails (its disk, its store) closes the link:
         * not the protocol's fault, nor ours */
        enl_fail(p, rc, "the link with %s broke: %s's device closed the connection (what arrived "
                 "is kept; try again, and if it goes on, see %s's listener)", c.name, c.name, c.name);
    } else if (own_failure(rc)) {
        say_own_failure(p, c.name, rc);
    } else if (rc != ENL_OK) {
        enl_fail(p, rc, "the link with %s broke: %s (what arrived is kept)", c.name, enl_strerror(rc));
    }
out:
    session_end(&x);
    enl_tcp_close(fd);
    return rc;
}

/* The listener's pool (below): its handshake and session slots. */
typedef struct pool pool;
static void pool_handshake_done(pool *pl, int fd);
static int pool_session_take(pool *pl, int stranger, int wait_ms, int fd, const uint8_t peer[32]);
static int pool_session_give(pool *pl, int stranger, int fd);

/* A contact who waited for a session in vain is told so (BUSY). Then
 * what they sent meanwhile is read and dropped until they close: closing
 * with it unread would reset the link, and the reset could reach them
 * before BUSY does. Not strangers: they learn nothing. */
static int say_busy(session *x)
{
    static const uint8_t busy = MSG_BUSY;
    int rc;
    x->link.timeout_ms = BUSY_MS;
    if ((rc = enl_link_send(&x->link, &busy, 1)) != ENL_OK) return rc;   /* gone */
    (void)shutdown(x->link.fd, SHUT_WR);
    (void)enl_tcp_drain(x->link.fd, BUSY_MS, 2 * (size_t)MSG_MAX);
    return ENL_EBUSY;
}

/* A session that failed on this side (its store, its disk, memory) tells
 * the peer so, and closes as say_busy does: the peer must not take the
 * close for a refusal of its key, nor for its own or the network's fault.
 * Best effort: a peer gone, or one still sending more than the drain
 * takes, sees the close instead. */
static void say_failed(session *x)
{
    static const uint8_t fail = MSG_FAIL;
    x->link.timeout_ms = BUSY_MS;
    if (enl_link_send(&x->link, &fail, 1) != ENL_OK) return;
    (void)shutdown(x->link.fd, SHUT_WR);
    (void)enl_tcp_drain(x->link.fd, BUSY_MS, 2 * (size_t)MSG_MAX);
}

/* One connection, from its handshake to its end. pl: the pool whose slots
 * it takes (NULL: served alone, with no one to share with). */
static int serve_one(enl_profile *p, int fd, const enl_listen_opts *o, int onion, pool *pl,
                     char *peer, size_t peer_max, enl_sync_stats *st)
{
    enl_contact c;
    session x;
    int rc = session_init(&x, p, &o->sync, st, 0);
    int timeout = o->timeout_ms ? o->timeout_ms : ENL_LINK_TIMEOUT_MS;
    int stranger = 0, slot = 0;

    peer[0] = '\0';
    if (rc != ENL_OK) {
        if (pl != NULL) pool_handshake_done(pl, fd);
        goto out;
    }
    /* The handshake must come quickly: a prober cannot hold the listener.
     * Over an onion circuit a round trip takes seconds, and only those who
     * know the onion address get that far: give them the link's timeout. */
    rc = enl_link_respond(&x.link, fd, p->id->dh_sk,
                          onion || timeout < 5000 ? timeout : 5000);
    if (pl != NULL) pool_handshake_done(pl, fd);
    if (rc != ENL_OK) goto out;
    x.link.timeout_ms = timeout;
    /* A burned contact's key is the captor's: refused like a stranger's (an
     * open relay serves it as one, as it would the same captor with fresh
     * keys). */
    if (enl_contact_by_dh(p, x.link.peer, &c) == ENL_OK && !c.burned) {
        snprintf(peer, peer_max, "%s", c.name);
        enl_note_source(p, "peer", c.card.dh_pk, sizeof c.card.dh_pk);
        x.contact = 1;
    } else if (o->open) {
        snprintf(peer, peer_max, "(open relay peer)");
        stranger = 1;
        /* fresh keys cost nothing: every stranger shares one source */
        enl_note_source(p, "strangers", NULL, 0);
    } else {
        snprintf(peer, peer_max, "(a key that is not a contact)");
        rc = ENL_EREFUSED;    /* close without a word: it learns nothing */
        goto out;
    }
    if (pl != NULL) {
        /* A contact waits for a session, but not so long that their own
         * read gives up first: they must hear that the listener was busy,
         * not take the close for a refusal of their key. */
        rc = pool_session_take(pl, stranger, stranger ? timeout : timeout - timeout / 4, fd, x.link.peer);
        if (rc == ENL_ETIMEOUT && !stranger) rc = say_busy(&x);
        if (rc != ENL_OK) goto out;
        slot = 1;
    }
    if ((rc = enl_profile_expire(p)) == ENL_OK) rc = run_session(&x);
    /* served (a contact, or an open relay's stranger): a failure of ours
     * is said (a session cut by the pool is shut down: nothing goes out) */
    if (own_failure(rc)) say_failed(&x);
out:
    session_end(&x);
    /* cut for a newer session of the same contact: say so, not that the
     * link failed */
    if (slot && pool_session_give(pl, stranger, fd) && rc != ENL_OK) rc = ENL_EDUPLICATE;
    /* a failure of this side: the listener's owner must hear what it was
     * (a full disk), not only "profile database error" */
    if (own_failure(rc))
        snprintf(st->why, sizeof st->why, "%s", enl_profile_errmsg(p));
    return rc;
}

int enl_listen(enl_profile *p, const char *addr, const enl_listen_opts *o)
{
    return enl_listen_onion(p, addr, NULL, o);
}

/* A numeric loopback address only: a name such as 127.example.org could
 * resolve anywhere. */
static int loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1) return IN6_IS_ADDR_LOOPBACK(&a6);
    return strcmp(host, "localhost") == 0;
}

/* Connections served at once, each in its own thread with its own
 * connection to the store (enl_profile_twin), their write transactions
 * taking turns in order (enl_store_twin). Two kinds of slot:
 *
 *  - handshakes: up to LISTEN_HANDSHAKES connections that have not yet
 *    proved a key. Anyone who reaches the port can open them and say
 *    nothing, so when all are taken the one that has waited longest (once
 *    it has had EVICT_AFTER_MS) is cut to make room: silent connections
 *    cannot keep a contact's handshake, which takes a round trip, waiting
 *    in the queue;
 *  - sessions: up to ENL_LISTEN_SESSIONS after the handshake, of which an
 *    open relay's strangers (fresh keys cost nothing) get at most
 *    STRANGER_SESSIONS: the others are its contacts'. A stranger beyond
 *    that is closed; a contact waits for a session to end (bounded by the
 *    link's timeout). A contact holds one session at a time: a new one
 *    from the same key cuts the one before (a dropped connection not yet
 *    timed out, or a contact who turned, or their seized device, opening
 *    session after session and saying little in each, to hold every
 *    slot and keep the others out). */
#define LISTEN_HANDSHAKES 8
#define STRANGER_SESSIONS (ENL_LISTEN_SESSIONS - 2)
#define EVICT_AFTER_MS 1000
#define EVICT_AFTER_ONION_MS 5000     /* a round trip over tor takes seconds */

struct pool {
    pthread_mutex_t mu;
    pthread_cond_t done;        /* a thread, a handshake or a session ended */
    int active;                 /* threads */
    int fds[LISTEN_HANDSHAKES + ENL_LISTEN_SESSIONS];   /* theirs; -1: free */
    int cut_rc;                 /* why they were cut when the listener stopped */
    int hs_fd[LISTEN_HANDSHAKES];          /* -1: free */
    uint64_t hs_since[LISTEN_HANDSHAKES];  /* mono_ms() when accepted */
    int sessions, strangers;
    int sess_fd[ENL_LISTEN_SESSIONS];            /* contacts' sessions; -1: free */
    int sess_cut[ENL_LISTEN_SESSIONS];           /* cut for a newer one */
    uint8_t sess_peer[ENL_LISTEN_SESSIONS][32];  /* their DH keys */
    enl_profile *p;
    const enl_listen_opts *o;
    enl_listen_opts wo;         /* o, its callbacks called under mu */
    int onion;
    int once_rc;                /* --once: how its one session ended */
};

typedef struct {
    pool *pl;
    enl_profile *w;             /* the session's twin of the profile */
    int fd;
} job;

static void locked_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    pool *pl = ctx;
    pthread_mutex_lock(&pl->mu);
    pl->o->sync.progress(pl->o->sync.ctx, what, done, total);
    pthread_mutex_unlock(&pl->mu);
}

static void locked_warn(void *ctx, const char *what)
{
    pool *pl = ctx;
    pthread_mutex_lock(&pl->mu);
    pl->o->sync.warn(pl->o->sync.ctx, what);
    pthread_mutex_unlock(&pl->mu);
}

static void *serve_thread(void *arg)
{
    job *j = arg;
    pool *pl = j->pl;
    enl_sync_stats st;
    char peer[ENL_NAME_MAX + 32] = "";
    int rc = serve_one(j->w, j->fd, &pl->wo, pl->onion, pl, peer, sizeof peer, &st);

    pthread_mutex_lock(&pl->mu);
    for (int i = 0; i < LISTEN_HANDSHAKES + ENL_LISTEN_SESSIONS; i++)
        if (pl->fds[i] == j->fd) pl->fds[i] = -1;   /* cut no more: it is closed now */
    pthread_mutex_unlock(&pl->mu);
    enl_tcp_close(j->fd);
    enl_profile_close(j->w);
    pthread_mutex_lock(&pl->mu);
    if (rc != ENL_OK && pl->cut_rc != ENL_OK) rc = pl->cut_rc;   /* not the peer's doing */
    if (pl->o->session) pl->o->session(pl->o->ctx, peer, rc, &st);
    pl->once_rc = rc;
    pl->active--;
    pthread_cond_broadcast(&pl->done);
    pthread_mutex_unlock(&pl->mu);
    free(j);
    return NULL;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A deadline ms from now for pthread_cond_timedwait on the pool's
 * condition, which counts on the monotonic clock (pool_init): on the wall
 * clock, a clock set back while a contact waited for a slot made the wait
 * outlast the contact's own timeout, and a clock set forward cut it. */
static void deadline_in(struct timespec *until, uint64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, until);
    until->tv_sec += (time_t)(ms / 1000);
    until->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until->tv_nsec >= 1000000000L) {
        until->tv_sec++;
        until->tv_nsec -= 1000000000L;
    }
}

/* The pool's condition, whose timed waits count on the monotonic clock
 * (deadline_in). */
static void pool_cond_init(pthread_cond_t *c)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(c, &ca);
    pthread_condattr_destroy(&ca);
}

/* Waits until fewer than max sessions run, at most wait_ms. 1 when so. */
static int pool_wait(pool *pl, int max, int wait_ms)
{
    struct timespec until;
    int room;
    deadline_in(&until, (uint64_t)wait_ms);
    pthread_mutex_lock(&pl->mu);
    while (pl->active >= max && pthread_cond_timedwait(&pl->done, &pl->mu, &until) == 0)
        ;
    room = pl->active < max;
    pthread_mutex_unlock(&pl->mu);
    return room;
}

static uint64_t evict_after(const pool *pl)
{
    return pl->onion ? EVICT_AFTER_ONION_MS : EVICT_AFTER_MS;
}

/* The handshake slot to take under mu: a free one, else the oldest once it
 * has waited evict_after; -1 when none yet. *wait: ms until one will be. */
static int handshake_slot(const pool *pl, uint64_t now, uint64_t *wait)
{
    int oldest = 0;
    for (int i = 0; i < LISTEN_HANDSHAKES; i++) {
        if (pl->hs_fd[i] < 0) return i;
        if (pl->hs_since[i] < pl->hs_since[oldest]) oldest = i;
    }
    if (now - pl->hs_since[oldest] >= evict_after(pl)) return oldest;
    *wait = pl->hs_since[oldest] + evict_after(pl) - now;
    return -1;
}

/* Waits, at most wait_ms, until a handshake slot can be taken. 1 when so. */
static int pool_wait_handshake(pool *pl, int wait_ms)
{
    uint64_t end = mono_ms() + (uint64_t)wait_ms, now;
    int ok = 0;
    pthread_mutex_lock(&pl->mu);
    while ((now = mono_ms()) < end) {
        struct timespec until;
        uint64_t w = 0;
        if (handshake_slot(pl, now, &w) >= 0) {
            ok = 1;
            break;
        }
        deadline_in(&until, w < end - now ? w : end - now);
        (void)pthread_cond_timedwait(&pl->done, &pl->mu, &until);
    }
    pthread_mutex_unlock(&pl->mu);
    return ok;
}

/* Puts fd in a handshake slot, under mu, cutting the connection that held
 * it if it was taken: shutdown, not close, so that its thread, which owns
 * the descriptor, sees the end of its link and closes it itself (the
 * number cannot be reused meanwhile). Only the accept loop adds, after
 * pool_wait_handshake said a slot could be taken. */
static void handshake_begin(pool *pl, int fd)
{
    uint64_t w = 0, now = mono_ms();
    int i = handshake_slot(pl, now, &w);
    if (i < 0) {                       /* taken meanwhile? cannot be: */
        i = 0;                         /* the accept loop alone adds */
        for (int k = 1; k < LISTEN_HANDSHAKES; k++)
            if (pl->hs_since[k] < pl->hs_since[i]) i = k;
    }
    if (pl->hs_fd[i] >= 0) (void)shutdown(pl->hs_fd[i], SHUT_RDWR);
    pl->hs_fd[i] = fd;
    pl->hs_since[i] = now;
}

static void pool_handshake_done(pool *pl, int fd)
{
    pthread_mutex_lock(&pl->mu);
    for (int i = 0; i < LISTEN_HANDSHAKES; i++)
        if (pl->hs_fd[i] == fd) pl->hs_fd[i] = -1;   /* not there: it was cut */
    pthread_cond_broadcast(&pl->done);
    pthread_mutex_unlock(&pl->mu);
}

/* Under mu: cuts the sessions this contact holds. Their threads end and
 * give their slots back; they are still registered, so not closed yet:
 * the fds are theirs. */
static void cut_same_contact(pool *pl, const uint8_t peer[32])
{
    for (int i = 0; i < ENL_LISTEN_SESSIONS; i++)
        if (pl->sess_fd[i] >= 0 && !pl->sess_cut[i] &&
            sodium_memcmp(pl->sess_peer[i], peer, 32) == 0) {
            (void)shutdown(pl->sess_fd[i], SHUT_RDWR);
            pl->sess_cut[i] = 1;
        }
}

static int pool_session_take(pool *pl, int stranger, int wait_ms, int fd, const uint8_t peer[32])
{
    struct timespec until;
    int rc = ENL_OK;
    deadline_in(&until, (uint64_t)wait_ms);
    pthread_mutex_lock(&pl->mu);
    if (!stranger) cut_same_contact(pl, peer);    /* its slot comes back */
    if (stranger && pl->strangers >= STRANGER_SESSIONS) {
        rc = ENL_EREFUSED;
    } else {
        while (pl->sessions >= ENL_LISTEN_SESSIONS &&
               pthread_cond_timedwait(&pl->done, &pl->mu, &until) == 0)
            ;
        if (pl->sessions >= ENL_LISTEN_SESSIONS) rc = ENL_ETIMEOUT;
    }
    if (rc == ENL_OK) {
        pl->sessions++;
        pl->strangers += stranger;
        /* and any of theirs that took a slot while this one waited: several
         * of one contact waiting at once must not each keep one */
        if (!stranger) cut_same_contact(pl, peer);
        for (int i = 0; !stranger && i < ENL_LISTEN_SESSIONS; i++)
            if (pl->sess_fd[i] < 0) {
                pl->sess_fd[i] = fd;
                pl->sess_cut[i] = 0;
                memcpy(pl->sess_peer[i], peer, 32);
                break;
            }
    }
    pthread_mutex_unlock(&pl->mu);
    return rc;
}

/* 1 when the session was cut for a newer one of the same contact. */
static int pool_session_give(pool *pl, int stranger, int fd)
{
    int cut = 0;
    pthread_mutex_lock(&pl->mu);
    pl->sessions--;
    pl->strangers -= stranger;
    for (int i = 0; !stranger && i < ENL_LISTEN_SESSIONS; i++)
        if (pl->sess_fd[i] == fd) {
            cut = pl->sess_cut[i];
            pl->sess_fd[i] = -1;
        }
    pthread_cond_broadcast(&pl->done);
    pthread_mutex_unlock(&pl->mu);
    return cut;
}

/* Hands fd to a thread of its own, with a twin of the profile made here
 * (the listener's thread is the only one that reads the profile itself);
 * 0 when none could be started (then the caller serves it). */
static int pool_start(pool *pl, int fd)
{
    pthread_attr_t a;
    pthread_t t;
    job *j = malloc(sizeof *j);
    int ok;
    if (j == NULL) return 0;
    if (enl_profile_twin(pl->p, &j->w) != ENL_OK) {
        free(j);
        return 0;
    }
    j->pl = pl;
    j->fd = fd;
    pthread_mutex_lock(&pl->mu);
    pl->active++;
    for (int i = 0; i < LISTEN_HANDSHAKES + ENL_LISTEN_SESSIONS; i++)
        if (pl->fds[i] < 0) {       /* one is free: active threads are fewer */
            pl->fds[i] = fd;
            break;
        }
    handshake_begin(pl, fd);
    pthread_mutex_unlock(&pl->mu);
    ok = pthread_attr_init(&a) == 0;
    if (ok) {
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        ok = pthread_create(&t, &a, serve_thread, j) == 0;
        pthread_attr_destroy(&a);
    }
    if (!ok) {
        pool_handshake_done(pl, fd);
        pthread_mutex_lock(&pl->mu);
        pl->active--;
        for (int i = 0; i < LISTEN_HANDSHAKES + ENL_LISTEN_SESSIONS; i++)
            if (pl->fds[i] == fd) pl->fds[i] = -1;
        pthread_mutex_unlock(&pl->mu);
        enl_profile_close(j->w);
        free(j);
    }
    return ok;
}

int enl_listen_onion(enl_profile *p, const char *addr, const enl_onion_opts *onion,
                     const enl_listen_opts *o)
{
    char host[256], port[16], bound[300], peer[ENL_NAME_MAX + 32], published[ENL_ADDRESS_MAX + 1];
    enl_onion *on = NULL;
    pool pl;
    uint64_t upkeep = 0;
    int lfd = -1, rc, threads = enl_store_threadsafe(), once_in_thread = 0;

    if (enl_tcp_split(addr, host, sizeof host, port, sizeof port) != ENL_OK)
        return enl_fail(p, ENL_EINVAL, "not an address: %s (HOST:PORT)", addr);
    /* Reachable through tor alone: a listener on the LAN would show the
     * network what the onion service hides. */
    if (onion != NULL && !loopback(host))
        return enl_fail(p, ENL_EINVAL, "an onion service listens on loopback only "
                        "(127.0.0.1:PORT), so that tor is the only way in: not %s", addr);
    if ((rc = enl_tcp_listen(&lfd, host, port, bound, sizeof bound)) != ENL_OK)
        return enl_fail(p, rc, "cannot listen on %s (in use, or not an address of this machine)", addr);
    if (onion != NULL) {
        if ((rc = enl_onion_publish(p, &on, onion, bound, published)) != ENL_OK) {
            enl_tcp_close(lfd);
            return rc;
        }
    }
    memset(&pl, 0, sizeof pl);
    for (int i = 0; i < LISTEN_HANDSHAKES; i++) pl.hs_fd[i] = -1;
    for (int i = 0; i < LISTEN_HANDSHAKES + ENL_LISTEN_SESSIONS; i++) pl.fds[i] = -1;
    for (int i = 0; i < ENL_LISTEN_SESSIONS; i++) pl.sess_fd[i] = -1;
    pthread_mutex_init(&pl.mu, NULL);
    pool_cond_init(&pl.done);
    pl.p = p;
    pl.o = o;
    pl.wo = *o;
    pl.wo.sync.ctx = &pl;
    pl.wo.sync.progress = o->sync.progress ? locked_progress : NULL;
    pl.wo.sync.warn = o->sync.warn ? locked_warn : NULL;
    pl.onion = on != NULL;
    if (o->ready) o->ready(o->ctx, bound);
    if (on != NULL && onion->published) onion->published(o->ctx, published);
    for (;;) {
        enl_sync_stats st;
        int fd = -1;
        if (o->stop != NULL && *o->stop) { rc = ENL_OK; break; }
        if (on != NULL && (rc = enl_onion_check(p, on)) != ENL_OK) break;
        /* Wiped, or reset by a duress passphrase, by another process: the
         * keys this listener holds must not outlive the profile. */
        if (!enl_store_still_here(p->st)) {
            rc = enl_fail(p, ENL_ENOPROFILE, "the profile was wiped or reset while listening: "
                          "stopped, and its keys are gone from memory");
            break;
        }
        /* A listener runs for months: its signed prekey is replaced, and
         * the secrets of retired ones erased, on time, as when a profile
         * opens (a failure is tried again at the next round). Each session
         * copies the identity as it is then. */
        if (mono_ms() >= upkeep) {
            (void)enl_prekey_maintain(p);
            upkeep = mono_ms() + UPKEEP_MS;
        }
        /* --once: no more connections; done when its session is. */
        if (once_in_thread) {
            if (pool_wait(&pl, 1, 1000)) break;
            continue;
        }
        /* All busy: further connections wait in the kernel's queue (a
         * handshake slot frees, or can be taken, within EVICT_AFTER_MS). */
        if (!pool_wait(&pl, LISTEN_HANDSHAKES + ENL_LISTEN_SESSIONS, 1000)) continue;
        if (!pool_wait_handshake(&pl, 1000)) continue;
        rc = enl_tcp_accept(lfd, &fd, 1000);
        if (rc == ENL_ETIMEOUT) continue;
        if (rc != ENL_OK) break;
        /* --once too runs its session in a thread, so that a stop (Ctrl-C)
         * reaches it: it then gets the same time to finish, and is cut
         * after, as the sessions of a listener that stops. */
        if (threads && pool_start(&pl, fd)) {
            once_in_thread = o->once;
            continue;
        }
        /* Served here (no thread could be started): with the locked
         * callbacks, as other sessions may still run. */
        rc = serve_one(p, fd, o->once ? o : &pl.wo, on != NULL, NULL, peer, sizeof peer, &st);
        enl_tcp_close(fd);
        pthread_mutex_lock(&pl.mu);
        if (o->session) o->session(o->ctx, peer, rc, &st);
        pthread_mutex_unlock(&pl.mu);
        if (o->once) break;
    }
    /* The sessions under way get the link's timeout to finish: each wait
     * of a link is bounded, but a peer that keeps sending would keep the
     * listener for as long as it likes. Then they are cut (shutdown: each
     * thread closes its own descriptor), and what arrived is kept. A wiped
     * profile's are cut at once: its keys must not outlive it. */
    if (rc != ENL_ENOPROFILE) {
        uint64_t end = mono_ms() + (uint64_t)(o->timeout_ms ? o->timeout_ms : ENL_LINK_TIMEOUT_MS);
        while (mono_ms() < end && !pool_wait(&pl, 1, 1000))
            ;
    }
    pthread_mutex_lock(&pl.mu);
    pl.cut_rc = rc == ENL_ENOPROFILE ? rc : ENL_ETIMEOUT;
    for (int i = 0; i < LISTEN_HANDSHAKES + ENL_LISTEN_SESSIONS; i++)
        if (pl.fds[i] >= 0) (void)shutdown(pl.fds[i], SHUT_RDWR);
    pthread_mutex_unlock(&pl.mu);
    while (!pool_wait(&pl, 1, 1000))
        ;
    if (once_in_thread && rc == ENL_OK) rc = pl.once_rc;
    pthread_cond_destroy(&pl.done);
    pthread_mutex_destroy(&pl.mu);
    enl_onion_remove(on);
    enl_tcp_close(lfd);
    return rc;
}
