/*
 * Files: sending one as a head note and part notes through the pair's
 * session, taking parts in as they come, listing files, and writing a
 * received one out. See files.h for the record and note/file.h for the
 * payloads.
 *
 * Memory stays bounded whatever the size: sending reads the file a chunk
 * at a time (twice: the hash must be in the head, which goes first), and
 * saving streams the parts out of the store one by one through the
 * reassembly check. No plaintext of a received file touches the disk
 * before enl_file_save writes it where the user asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/files.h"
#include "core/send.h"
#include "note/file.h"
#include "util/base32.h"
#include "util/bytes.h"
#include "util/noreplace.h"
#include "util/pending.h"
#include "util/secmem.h"

#define REC_VERSION 4
#define REC_FIXED (1 + 1 + 32 + 32 + ENL_FILE_IDBYTES + 8 + 4 + 4 + 32 + 8 + 8 + 4 + 4 + 1 + 4 + 1 + 2 + 32)
#define UNSETTLED 0xffffffffu     /* delivered: still counted from the purges */
#define SAVED 1                   /* saved: written out, its parts deleted */
#define LAPSED 2                  /* saved: its notes expired before every part came */
#define DROPPED 3                 /* saved: deleted unsaved (enl_file_delete) */
#define REC_MAX (REC_FIXED + ENL_FILE_NAME_MAX + ENL_FILE_NOTE_MAX)
_Static_assert(REC_MAX <= ENL_FILE_RECORD_MAX, "a record must fit enl_file_record_rewrite's buffer");
#define BATCH 64                  /* parts sealed per store transaction */
#define READ_BUF (1 << 20)

typedef struct {
    uint8_t outgoing;
    uint8_t peer_sign[32], peer_dh[32];
    uint8_t id[ENL_FILE_IDBYTES];
    uint64_t size;
    uint32_t parts, chunk;
    uint8_t hash[32];
    uint64_t sent, received;
    uint32_t expiry, sealed;
    uint8_t saved;                /* incoming: 0, SAVED, LAPSED or DROPPED */
    uint32_t delivered;           /* outgoing, once its notes expired */
    uint8_t name[ENL_FILE_NAME_MAX];
    size_t name_len;
    uint8_t note[ENL_FILE_NOTE_MAX];
    size_t note_len;
    uint8_t prefix[32];           /* outgoing: the hash of the bytes sealed so far */
    int has_prefix;               /* 0 in records of version 3 and before */
} file_rec;

static void file_key(enl_profile *p, const uint8_t peer_dh[32], uint8_t outgoing,
                     const uint8_t id[ENL_FILE_IDBYTES], uint8_t h[32])
{
    uint8_t k[32 + 1 + ENL_FILE_IDBYTES];
    memcpy(k, peer_dh, 32);
    k[32] = outgoing;
    memcpy(k + 33, id, ENL_FILE_IDBYTES);
    enl_store_index(p->st, h, "files", k, sizeof k);
}

/* The record as stored (files.h), current version, into w. */
static void rec_encode(enl_wr *w, const file_rec *r)
{
    enl_wr_u8(w, REC_VERSION);
    enl_wr_u8(w, r->outgoing);
    enl_wr_bytes(w, r->peer_sign, 32);
    enl_wr_bytes(w, r->peer_dh, 32);
    enl_wr_bytes(w, r->id, ENL_FILE_IDBYTES);
    enl_wr_u64(w, r->size);
    enl_wr_u32(w, r->parts);
    enl_wr_u32(w, r->chunk);
    enl_wr_bytes(w, r->hash, 32);
    enl_wr_u64(w, r->sent);
    enl_wr_u64(w, r->received);
    enl_wr_u32(w, r->expiry);
    enl_wr_u32(w, r->sealed);
    enl_wr_u8(w, r->saved);
    enl_wr_u32(w, r->delivered);
    enl_wr_u8(w, (uint8_t)r->name_len);
    enl_wr_bytes(w, r->name, r->name_len);
    enl_wr_u16(w, (uint16_t)r->note_len);
    enl_wr_bytes(w, r->note, r->note_len);
    enl_wr_bytes(w, r->prefix, 32);
}

static int rec_save(enl_profile *p, const file_rec *r)
{
    uint8_t *buf = enl_secmem_alloc(REC_MAX), h[32];
    enl_wr w = enl_wr_init(buf, REC_MAX);
    int rc;
    if (buf == NULL) return ENL_ENOMEM;
    rec_encode(&w, r);
    file_key(p, r->peer_dh, r->outgoing, r->id, h);
    rc = w.err ? ENL_EINVAL : enl_store_row_put(p->st, "files", h, buf, w.len);
    enl_secmem_free(buf);
    return rc;
}

static int rec_parse(file_rec *r, const uint8_t *buf, size_t len)
{
    enl_rd d = enl_rd_init(buf, len);
    uint8_t version = enl_rd_u8(&d);
    if (version < 1 || version > REC_VERSION) return ENL_ESTORE;
    r->outgoing = enl_rd_u8(&d);
    enl_rd_bytes(&d, r->peer_sign, 32);
    enl_rd_bytes(&d, r->peer_dh, 32);
    enl_rd_bytes(&d, r->id, ENL_FILE_IDBYTES);
    r->size = enl_rd_u64(&d);
    r->parts = enl_rd_u32(&d);
    r->chunk = enl_rd_u32(&d);
    enl_rd_bytes(&d, r->hash, 32);
    r->sent = enl_rd_u64(&d);
    r->received = enl_rd_u64(&d);
    r->expiry = enl_rd_u32(&d);
    r->sealed = enl_rd_u32(&d);
    r->saved = enl_rd_u8(&d);
    if (version == 1) (void)enl_rd_ptr(&d, 32);   /* the purge secret of format 1 notes */
    r->delivered = version >= 3 ? enl_rd_u32(&d) : UNSETTLED;
    r->name_len = enl_rd_u8(&d);
    enl_rd_bytes(&d, r->name, r->name_len);
    r->note_len = enl_rd_u16(&d);
    if (r->note_len > ENL_FILE_NOTE_MAX) return ENL_ESTORE;
    enl_rd_bytes(&d, r->note, r->note_len);
    r->has_prefix = version >= 4;
    if (r->has_prefix) enl_rd_bytes(&d, r->prefix, 32);
    else memset(r->prefix, 0, 32);
    if (d.err || enl_rd_left(&d) != 0 || r->parts != enl_file_parts_for(r->size, r->chunk) ||
        r->sealed > r->parts)
        return ENL_ESTORE;
    return ENL_OK;
}

int enl_file_record_rewrite(const uint8_t *in, size_t len, uint8_t *out, size_t max, size_t *out_len)
{
    file_rec *r = enl_secmem_alloc(sizeof *r);
    enl_wr w = enl_wr_init(out, max);
    int rc;
    if (r == NULL) return ENL_ENOMEM;
    if ((rc = rec_parse(r, in, len)) == ENL_OK) {
        rec_encode(&w, r);
        rc = w.err ? ENL_EBUFSIZE : ENL_OK;
        *out_len = w.len;
    }
    enl_secmem_free(r);
    return rc;
}

static int rec_load(enl_profile *p, const uint8_t h[32], file_rec *r)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = enl_store_row_get(p->st, "files", h, &buf, &len);
    if (rc != ENL_OK) return rc;
    rc = rec_parse(r, buf, len);
    enl_store_free(buf, len);
    return rc;
}

static void rec_head(const file_rec *r, enl_file_head *h)
{
    memset(h, 0, sizeof *h);
    memcpy(h->id, r->id, ENL_FILE_IDBYTES);
    h->size = r->size;
    h->parts = r->parts;
    h->chunk = r->chunk;
    memcpy(h->hash, r->hash, sizeof h->hash);
    h->name = r->name;
    h->name_len = r->name_len;
    h->note = r->note;
    h->note_len = r->note_len;
}

/* ---- taking parts in ---------------------------------------------------- */

/* Parts that came before their head, whose length does not fit it: they
 * are not the file's (its sender, or a broken client, sent them), and kept
 * they would make the file look complete yet never save, while the right
 * copy, arriving later, was ignored as a second one. */
typedef struct {
    const enl_file_head *fh;
    uint32_t *bad;
    size_t n, cap;
} misfit_ctx;

static int find_misfits(void *ctx, uint32_t index, const uint8_t *data, size_t len)
{
    misfit_ctx *m = ctx;
    (void)data;
    if (len == enl_file_part_len(m->fh, index)) return 0;
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        uint32_t *v = realloc(m->bad, cap * sizeof *v);
        if (v == NULL) return ENL_ENOMEM;
        m->bad = v;
        m->cap = cap;
    }
    m->bad[m->n++] = index;
    return 0;
}

/* One scan, then the deletions: a scan decrypts every stored part, so
 * scanning again after each handful deleted would cost the square of
 * what a sender sent (their number is bounded by the store's quota). */
static int drop_misfits(enl_profile *p, const uint8_t h[32], const enl_file_head *fh)
{
    misfit_ctx m = { fh, NULL, 0, 0 };
    int rc = enl_store_part_each(p->st, h, find_misfits, &m);
    for (size_t i = 0; rc == ENL_OK && i < m.n; i++) rc = enl_store_part_delete(p->st, h, m.bad[i]);
    free(m.bad);
    return rc;
}

int enl_file_deliver(enl_profile *p, const uint8_t peer_sign_pk[32], const uint8_t peer_dh_pk[32],
                     const enl_payload *pl, uint32_t expiry_hours)
{
    uint8_t h[32];
    file_rec *r = enl_secmem_alloc(sizeof *r);
    int rc;

    if (r == NULL) return ENL_ENOMEM;
    if (pl->kind == ENL_KIND_FILE_HEAD) {
        enl_file_head fh;
        if ((rc = enl_file_head_parse(&fh, pl->body, pl->body_len)) != ENL_OK) goto out;
        file_key(p, peer_dh_pk, 0, fh.id, h);
        /* A second head for a file already described changes nothing. */
        if ((rc = rec_load(p, h, r)) != ENL_ENOTFOUND) goto out;
        memset(r, 0, sizeof *r);
        r->delivered = UNSETTLED;
        memcpy(r->peer_sign, peer_sign_pk, 32);
        memcpy(r->peer_dh, peer_dh_pk, 32);
        memcpy(r->id, fh.id, ENL_FILE_IDBYTES);
        r->size = fh.size;
        r->parts = fh.parts;
        r->chunk = fh.chunk;
        memcpy(r->hash, fh.hash, 32);
        r->sent = pl->sent;
        r->received = enl_now();
        r->expiry = expiry_hours;
        memcpy(r->name, fh.name, fh.name_len);
        r->name_len = fh.name_len;
        memcpy(r->note, fh.note, fh.note_len);
        r->note_len = fh.note_len;
        rc = rec_save(p, r);
        /* Parts that came first and lie beyond the file, or do not fit
         * it, are not its own. */
        if (rc == ENL_OK) rc = enl_store_part_trim(p->st, h, fh.parts);
        if (rc == ENL_OK) rc = drop_misfits(p, h, &fh);
    } else if (pl->kind == ENL_KIND_FILE_PART) {
        enl_file_part fp;
        if ((rc = enl_file_part_parse(&fp, pl->body, pl->body_len)) != ENL_OK) goto out;
        file_key(p, peer_dh_pk, 0, fp.id, h);
        rc = rec_load(p, h, r);
        if (rc == ENL_OK) {
            enl_file_head fh;
            rec_head(r, &fh);
            if (fp.index >= fh.parts || fp.len != enl_file_part_len(&fh, fp.index)) {
                rc = enl_fail(p, ENL_EMALFORMED, "a part that does not fit its file");
                goto out;
            }
            /* Saved already, and its parts deleted then: nothing to keep. */
            if (r->saved) goto out;
        } else if (rc != ENL_ENOTFOUND) {
            goto out;
        }
        /* Before its head, a part is kept until the note's expiry. */
        rc = enl_store_part_put(p->st, h, fp.index, expiry_hours, fp.data, fp.len);
    } else {
        rc = ENL_EINVAL;
    }
out:
    enl_secmem_free(r);
    return rc;
}

/* ---- sending ------------------------------------------------------------ */

static ssize_t read_full(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, buf + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

static void say(enl_progress_fn fn, void *ctx, const char *what, uint64_t done, uint64_t total)
{
    if (fn != NULL) fn(ctx, what, done, total);
}

/* The sender's name for the file: the last component of path, with
 * anything that could not travel replaced by '_'. */
static void file_name_of(const char *path, uint8_t *name, size_t *len)
{
    const char *b = strrchr(path, '/');
    size_t n;
    b = b != NULL ? b + 1 : path;
    n = strlen(b);
    if (n > ENL_FILE_NAME_MAX) n = ENL_FILE_NAME_MAX;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)b[i];
        name[i] = (c < 0x20 || c == 0x7f || c == '\\') ? '_' : c;
    }
    if (n == 0 || !enl_file_name_ok(name, n)) {
        memcpy(name, "file", 4);
        n = 4;
    }
    *len = n;
}

/* First pass: the whole file's hash and its length as read. */
static int hash_file(enl_profile *p, int fd, uint64_t size, uint8_t hash[32],
                     enl_progress_fn progress, void *ctx)
{
    crypto_generichash_state hs;
    uint8_t *buf = malloc(READ_BUF);
    uint64_t done = 0;
    int rc = ENL_OK;
    if (buf == NULL) return ENL_ENOMEM;
    crypto_generichash_init(&hs, NULL, 0, 32);
    for (;;) {
        ssize_t k = read_full(fd, buf, READ_BUF);
        if (k < 0) { rc = enl_fail(p, ENL_EIO, "cannot read the file: %s", strerror(errno)); break; }
        if (k == 0) break;
        crypto_generichash_update(&hs, buf, (size_t)k);
        done += (uint64_t)k;
        say(progress, ctx, "hashing", done, size);
    }
    crypto_generichash_final(&hs, hash, 32);
    if (rc == ENL_OK && done != size)
        rc = enl_fail(p, ENL_ECHECKSUM, "the file changed size while it was read: nothing was sent");
    /* the last megabyte of the file, in the clear */
    sodium_memzero(buf, READ_BUF);
    free(buf);
    return rc;
}

/* ---- resuming ------------------------------------------------------------ */

/* A sending that stopped half way (the process killed, the machine off)
 * goes on when the same file is sent to the same person again: same
 * bytes (hash), name and note, sealed in part, with at least a day left
 * before its notes expire. It keeps its id and expiry, and the parts
 * already sealed are not sealed again: the recipient gets one file, not
 * an incomplete copy beside a whole one. */
#define RESUME_MIN_HOURS 24

#define RESUME_CANDIDATES 8

/* The matching records, most parts sealed first: each is checked in turn
 * against the file's bytes, so a record that no longer fits (sealed from
 * a changed file) hides none that does. */
typedef struct {
    const file_rec *want;
    file_rec *found;              /* RESUME_CANDIDATES of them */
    size_t n;
    enl_profile *p;
    int busy;                     /* one is being sealed now, by another process */
} resume_ctx;

/* What marks the sending of file id as under way (enl_store_busy_mark),
 * while its process seals it: `files` tells it from one interrupted. */
static void sending_mark(enl_profile *p, const uint8_t id[ENL_FILE_IDBYTES], uint8_t mark[32])
{
    enl_store_index(p->st, mark, "sending", id, ENL_FILE_IDBYTES);
}

static int being_sealed(enl_profile *p, const file_rec *r)
{
    uint8_t mark[32];
    sending_mark(p, r->id, mark);
    return enl_store_busy_marked(p->st, mark);
}

static int same_file(const file_rec *a, const file_rec *b)
{
    return sodium_memcmp(a->peer_sign, b->peer_sign, 32) == 0 &&
           sodium_memcmp(a->peer_dh, b->peer_dh, 32) == 0 && a->size == b->size &&
           a->chunk == b->chunk && a->parts == b->parts &&
           sodium_memcmp(a->hash, b->hash, 32) == 0 && a->name_len == b->name_len &&
           memcmp(a->name, b->name, a->name_len) == 0 && a->note_len == b->note_len &&
           memcmp(a->note, b->note, a->note_len) == 0;
}

static int find_interrupted(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    resume_ctx *x = ctx;
    file_rec *r = enl_secmem_alloc(sizeof *r);
    int fits;
    (void)seq;
    if (r == NULL) return ENL_ENOMEM;
    fits = rec_parse(r, pt, len) == ENL_OK && r->outgoing && r->has_prefix && r->sealed > 0 &&
           r->sealed < r->parts && r->expiry > enl_now_hours() + RESUME_MIN_HOURS &&
           same_file(r, x->want);
    /* Not interrupted: another process seals it now (from a copy of the
     * file elsewhere: the same path is locked). Taken over, both would
     * seal the same parts. */
    if (fits && being_sealed(x->p, r)) {
        x->busy = 1;
    } else if (fits) {
        /* kept in order, most sealed first; the least is dropped when full */
        size_t at = x->n;
        while (at > 0 && x->found[at - 1].sealed < r->sealed) at--;
        if (at < RESUME_CANDIDATES) {
            size_t last = x->n < RESUME_CANDIDATES ? x->n : RESUME_CANDIDATES - 1;
            memmove(&x->found[at + 1], &x->found[at], (last - at) * sizeof *r);
            memcpy(&x->found[at], r, sizeof *r);
            if (x->n < RESUME_CANDIDATES) x->n++;
        }
    }
    enl_secmem_free(r);
    return ENL_OK;
}

/* Of the candidates c (most parts first), the one with the most parts
 * whose sealed bytes are what the file holds now: a file changed while it
 * was sealed, then put back as it was, matches the whole hash of its
 * first try but not the parts sealed from the changed bytes. The file (fd,
 * from its start) is read once, up to the longest prefix, each candidate
 * checked as its length is reached. On a match, *at is that one, *hs the
 * hash state of its bytes, and fd is just past them, where sealing goes
 * on; otherwise *at is n and fd is back at the start. */
static int pick_resume(enl_profile *p, int fd, const file_rec *c, size_t n, size_t *at,
                       crypto_generichash_state *hs)
{
    crypto_generichash_state run, end;
    uint8_t *buf = malloc(READ_BUF), got[32];
    uint64_t done = 0, match_len = 0;
    size_t next = n;                  /* from the fewest parts up */
    int rc = ENL_OK;
    *at = n;
    if (buf == NULL) return ENL_ENOMEM;
    crypto_generichash_init(&run, NULL, 0, 32);
    while (rc == ENL_OK && next > 0) {
        const file_rec *f = &c[next - 1];
        uint64_t len = (uint64_t)f->sealed * f->chunk;
        size_t step;
        ssize_t k;
        if (done == len) {
            end = run;
            crypto_generichash_final(&end, got, sizeof got);
            if (sodium_memcmp(got, f->prefix, sizeof got) == 0) {
                *at = next - 1;
                *hs = run;
                match_len = done;
            }
            next--;
            continue;
        }
        step = len - done < READ_BUF ? (size_t)(len - done) : READ_BUF;
        k = read_full(fd, buf, step);
        if (k < 0) rc = enl_fail(p, ENL_EIO, "cannot read the file: %s", strerror(errno));
        else if ((size_t)k != step) break;             /* shorter: no longer prefix fits */
        else crypto_generichash_update(&run, buf, step), done += step;
    }
    sodium_memzero(&run, sizeof run);
    sodium_memzero(&end, sizeof end);
    sodium_memzero(buf, READ_BUF);   /* the file, in the clear */
    free(buf);
    if (rc == ENL_OK && lseek(fd, (off_t)match_len, SEEK_SET) != (off_t)match_len)
        rc = enl_fail(p, ENL_EIO, "cannot read the file: %s", strerror(errno));
    return rc;
}

/* Takes over, in r, the record of the same file's interrupted sending, if
 * there is one and the parts it sealed are the file's: *resumed says so,
 * and then hs holds the hash state of those parts' bytes and fd is past
 * them. */
static int resume_interrupted(enl_profile *p, file_rec *r, int fd, int *resumed,
                              crypto_generichash_state *hs)
{
    resume_ctx x = { r, enl_secmem_alloc(RESUME_CANDIDATES * sizeof *r), 0, p, 0 };
    size_t at = 0;
    int rc;
    *resumed = 0;
    if (x.found == NULL) return ENL_ENOMEM;
    rc = enl_store_row_each(p->st, "files", find_interrupted, &x);
    if (rc == ENL_OK && x.n == 0 && x.busy)
        rc = enl_fail(p, ENL_EEXISTS, "this file is being sent to this contact now by another "
                      "enlace process (enlace files lists it sending): wait for it to end");
    if (rc == ENL_OK && x.n > 0) rc = pick_resume(p, fd, x.found, x.n, &at, hs);
    if (rc == ENL_OK && x.n > 0 && at < x.n) {
        const file_rec *f = &x.found[at];
        memcpy(r->id, f->id, ENL_FILE_IDBYTES);
        r->sent = f->sent;
        r->expiry = f->expiry;
        r->sealed = f->sealed;
        memcpy(r->prefix, f->prefix, 32);
        r->has_prefix = 1;
        *resumed = 1;
    }
    enl_secmem_free(x.found);
    return rc;
}

/* Seals one file note (head or part) and keeps its purge lock with the
 * outgoing file (record key h), so that the purges that come back say which
 * notes were delivered. */
static int seal_one(enl_profile *p, enl_session *s, const file_rec *r, const uint8_t h[32],
                    uint8_t kind, uint32_t index, const uint8_t *body, size_t body_len,
                    size_t floor)
{
    enl_payload pl;
    uint8_t lock[ENL_PURGELOCKBYTES];
    int rc;
    memset(&pl, 0, sizeof pl);
    pl.kind = kind;
    pl.sent = r->sent;
    pl.body = body;
    pl.body_len = body_len;
    rc = enl_send_note(p, s, &pl, floor, r->expiry, NULL, lock);
    if (rc == ENL_OK) rc = enl_store_part_put(p->st, h, index, r->expiry, lock, sizeof lock);
    sodium_memzero(&pl, sizeof pl);
    return rc;
}

/* Second pass, BATCH parts a transaction: the session is loaded, advanced
 * through the batch and saved with its notes and the record, so the state
 * on disk always matches what was sealed. The head goes first. What was
 * read is checked against the head's hash before the last batch commits:
 * a file that changed since it was hashed never gets its last parts, so
 * it cannot look whole at the recipient (and then never save), nor be
 * listed as sent here; one of a single batch leaves nothing at all. */
static int seal_file(enl_profile *p, const char *to, const char *path, int fd, file_rec *r,
                     const crypto_generichash_state *resumed_hs, size_t floor,
                     enl_progress_fn progress, void *ctx)
{
    crypto_generichash_state hs;
    enl_session *s = sodium_malloc(sizeof *s);
    uint8_t *part = sodium_malloc(ENL_FILE_PART_FIXED + ENL_FILE_CHUNK);
    uint8_t head[ENL_FILE_HEAD_MAX], h[32];
    enl_file_head fh;
    uint32_t done;
    int rc = ENL_OK;

    if (s == NULL || part == NULL) { rc = ENL_ENOMEM; goto out; }
    rec_head(r, &fh);
    if ((rc = enl_file_head_encode(head, sizeof head, &fh)) != ENL_OK) goto out;
    /* Resumed: the hash goes on from the bytes sealed before (read while
     * checking them), to cover the whole file as the head's does. */
    if (resumed_hs != NULL) hs = *resumed_hs;
    else crypto_generichash_init(&hs, NULL, 0, 32);
    done = r->sealed;   /* committed: r->sealed runs ahead of it within a batch */
    while (rc == ENL_OK && r->sealed < r->parts) {
        uint32_t end = r->sealed + BATCH < r->parts ? r->sealed + BATCH : r->parts;
        int in_tx = 0;
        if ((rc = enl_store_begin(p->st)) != ENL_OK) break;
        in_tx = 1;
        rc = enl_send_session(p, to, s);
        if (rc == ENL_OK && r->sealed == 0) {
            /* The record is keyed by the peer's key, which the session holds. */
            memcpy(r->peer_sign, s->peer_sign_pk, 32);
            memcpy(r->peer_dh, s->peer_dh_pk, 32);
        }
        file_key(p, r->peer_dh, 1, r->id, h);
        if (rc == ENL_OK && r->sealed == 0)
            rc = seal_one(p, s, r, h, ENL_KIND_FILE_HEAD, ENL_FILE_HEAD_INDEX, head,
                          enl_file_head_len(&fh), floor);
        for (uint32_t i = r->sealed; rc == ENL_OK && i < end; i++) {
            enl_file_part fp;
            size_t want = enl_file_part_len(&fh, i);
            ssize_t k = read_full(fd, part + ENL_FILE_PART_FIXED, want);
            if (k < 0) {
                rc = enl_fail(p, ENL_EIO, "cannot read the file: %s", strerror(errno));
                break;
            }
            if ((size_t)k != want) {
                rc = enl_fail(p, ENL_ECHECKSUM, "the file got shorter while it was sealed");
                break;
            }
            crypto_generichash_update(&hs, part + ENL_FILE_PART_FIXED, want);
            memcpy(fp.id, r->id, ENL_FILE_IDBYTES);
            fp.index = i;
            fp.data = part + ENL_FILE_PART_FIXED;
            fp.len = want;
            rc = enl_file_part_encode(part, ENL_FILE_PART_FIXED + want, &fp);
            if (rc == ENL_OK)
                rc = seal_one(p, s, r, h, ENL_KIND_FILE_PART, i, part,
                              ENL_FILE_PART_FIXED + want, floor);
        }
        if (rc == ENL_OK) {
            /* what this batch leaves sealed, for a sending that stops
             * after it to go on only over the same bytes */
            crypto_generichash_state at = hs;
            crypto_generichash_final(&at, r->prefix, sizeof r->prefix);
            r->has_prefix = 1;
            sodium_memzero(&at, sizeof at);
        }
        if (rc == ENL_OK && end == r->parts) {
            uint8_t check[32];
            crypto_generichash_final(&hs, check, sizeof check);
            if (sodium_memcmp(check, r->hash, sizeof check) != 0)
                rc = r->sealed == 0
                     ? enl_fail(p, ENL_ECHECKSUM, "%s changed while it was sealed: nothing was "
                                "sent; send it again", path)
                     : enl_fail(p, ENL_ECHECKSUM, "%s changed while it was sealed: its last parts "
                                "were not sealed, so it stays incomplete at %s (enlace files "
                                "lists it interrupted); send it again", path, to);
            sodium_memzero(check, sizeof check);
        }
        if (rc == ENL_OK) {
            r->sealed = end;
            rc = rec_save(p, r);
        }
        if (rc == ENL_OK) rc = enl_session_save(p, s);
        if (rc == ENL_OK) {
            in_tx = 0;
            rc = enl_store_commit(p->st);
        }
        if (in_tx) enl_store_rollback(p->st);
        if (rc == ENL_OK)
            say(progress, ctx, "sealing", end == r->parts ? r->size : (uint64_t)end * r->chunk, r->size);
        else if (rc == ENL_ESTORE && done > 0) {
            /* Its store failed (a full disk) after batches that committed:
             * those leave with the next sync, and a bare "database or disk
             * is full" would have the user think nothing was sealed. */
            char why[96];
            snprintf(why, sizeof why, "%s", *enl_store_errmsg(p->st) ? enl_store_errmsg(p->st)
                                                                     : enl_strerror(rc));
            enl_fail(p, rc, "sealing stopped after %lu of its %lu parts (%s): those leave with the "
                     "next sync; send the file again once there is room, and it goes on where it "
                     "stopped", (unsigned long)done, (unsigned long)r->parts, why);
        }
        if (rc == ENL_OK) done = r->sealed;
    }
out:
    sodium_memzero(&hs, sizeof hs);
    sodium_memzero(head, sizeof head);   /* the file's name and note, in the clear */
    if (part != NULL) sodium_free(part);
    if (s != NULL) sodium_free(s);
    return rc;
}

int enl_send_file(enl_profile *p, const char *to, const char *path, const char *note,
                  const enl_send_opts *opts, enl_progress_fn progress, void *progress_ctx,
                  uint8_t file_id[ENL_FILE_IDBYTES])
{
    file_rec *r = NULL;
    uint32_t hours = ENL_EXPIRY_DEFAULT_HOURS;
    size_t floor = ENL_PAD_FLOOR, note_len = note != NULL ? strlen(note) : 0;
    struct stat sb;
    uint8_t peer_sign[32], peer_dh[32];
    crypto_generichash_state resumed_hs;
    uint8_t mark[32];
    int fd = -1, rc, resumed = 0, busy = -1;

    if (to == NULL || path == NULL) return ENL_EINVAL;
    if (opts != NULL && opts->expiry_hours) hours = opts->expiry_hours;
    if (opts != NULL && opts->pad_floor) floor = opts->pad_floor;
    if (hours > ENL_EXPIRY_MAX_HOURS)
        return enl_fail(p, ENL_EINVAL, "expiry is at most %d hours", ENL_EXPIRY_MAX_HOURS);
    if (opts != NULL && opts->disappear)
        return enl_fail(p, ENL_EINVAL, "a file cannot disappear: it is kept until it is saved or deleted");
    if (note_len > ENL_FILE_NOTE_MAX)
        return enl_fail(p, ENL_EINVAL, "the note of a file holds at most %d bytes", ENL_FILE_NOTE_MAX);
    {
        /* Before an hour of hashing, make sure there is someone to send to. */
        enl_contact c;
        if ((rc = enl_contact_by_name(p, to, &c)) != ENL_OK) return rc;
        if (c.burned)
            return enl_fail(p, ENL_EREFUSED, "%s's keys are burned (%s): nothing is sealed to "
                            "them any more", to, c.burn_reason);
        memcpy(peer_sign, c.card.sign_pk, 32);
        memcpy(peer_dh, c.card.dh_pk, 32);
    }
    /* O_NONBLOCK: a FIFO is refused below as not a regular file, instead
     * of the open waiting for a writer (and is dropped for a file). */
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
        return enl_fail(p, ENL_EIO, "cannot read %s: %s", path, strerror(errno));
    if (fstat(fd, &sb) != 0) { rc = enl_fail(p, ENL_EIO, "cannot read %s: %s", path, strerror(errno)); goto out; }
    if (!S_ISREG(sb.st_mode)) { rc = enl_fail(p, ENL_EINVAL, "%s is not a regular file", path); goto out; }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
        rc = enl_fail(p, ENL_EIO, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    /* One sending of a file at a time (to anyone): a second one started
     * while the first still runs (it looked hung) would take the first's
     * record for an interrupted one and seal the same parts again. The
     * lock goes with the descriptor, when this sending ends or its process
     * dies. Where the file system has no such locks, it is not taken. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        rc = enl_fail(p, ENL_EEXISTS, "%s is locked: another enlace process is sending it now, "
                      "or another program holds it (wait for it to end, then send it again)", path);
        goto out;
    }
    if (sb.st_size == 0) { rc = enl_fail(p, ENL_EINVAL, "%s is empty: there is nothing to send", path); goto out; }
    if ((uint64_t)sb.st_size > ENL_FILE_MAX) {
        rc = enl_fail(p, ENL_ETOOBIG, "%s is %llu bytes: a file holds at most %llu bytes (4 GiB)", path,
                      (unsigned long long)sb.st_size, (unsigned long long)ENL_FILE_MAX);
        goto out;
    }
    if ((r = enl_secmem_alloc(sizeof *r)) == NULL) { rc = ENL_ENOMEM; goto out; }
    memset(r, 0, sizeof *r);
    r->outgoing = 1;
    r->delivered = UNSETTLED;
    r->size = (uint64_t)sb.st_size;
    r->chunk = ENL_FILE_CHUNK;
    r->parts = enl_file_parts_for(r->size, r->chunk);
    r->sent = enl_now();
    r->expiry = enl_send_expiry(hours);
    randombytes_buf(r->id, sizeof r->id);
    file_name_of(path, r->name, &r->name_len);
    if (note_len) memcpy(r->note, note, note_len);
    r->note_len = note_len;
    memcpy(r->peer_sign, peer_sign, 32);
    memcpy(r->peer_dh, peer_dh, 32);
    if ((rc = hash_file(p, fd, r->size, r->hash, progress, progress_ctx)) != ENL_OK) goto out;
    if (lseek(fd, 0, SEEK_SET) != 0) { rc = enl_fail(p, ENL_EIO, "cannot read %s: %s", path, strerror(errno)); goto out; }
    if ((rc = resume_interrupted(p, r, fd, &resumed, &resumed_hs)) != ENL_OK) goto out;
    /* From its first record on, until this returns or the process dies:
     * meanwhile `files` lists it sending, not interrupted. */
    sending_mark(p, r->id, mark);
    busy = enl_store_busy_mark(p->st, mark);
    if (resumed) say(progress, progress_ctx, "resuming", (uint64_t)r->sealed * r->chunk, r->size);
    if ((rc = seal_file(p, to, path, fd, r, resumed ? &resumed_hs : NULL, floor, progress,
                        progress_ctx)) != ENL_OK)
        goto out;
    if (file_id != NULL) memcpy(file_id, r->id, ENL_FILE_IDBYTES);
out:
    enl_store_busy_unmark(busy);
    sodium_memzero(&resumed_hs, sizeof resumed_hs);
    enl_secmem_free(r);
    if (fd >= 0) close(fd);
    return rc;
}

/* ---- listing ------------------------------------------------------------ */

typedef struct {
    enl_profile *p;
    enl_file_info *v;
    size_t n, cap;
    int rc;
} listing;

static enl_file_info *grow(listing *l)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        /* Names and notes of files, decrypted: realloc would leave the old
         * copy in freed heap unwiped. */
        enl_file_info *v = enl_grow_wiped(l->v, l->cap * sizeof *v, cap * sizeof *v);
        if (v == NULL) return NULL;
        l->v = v;
        l->cap = cap;
    }
    memset(&l->v[l->n], 0, sizeof l->v[0]);
    return &l->v[l->n++];
}

typedef struct {
    enl_profile *p;
    uint32_t n;
} delivered_ctx;

static int count_delivered(void *ctx, uint32_t index, const uint8_t *lock, size_t len)
{
    delivered_ctx *d = ctx;
    int has;
    (void)index;
    if (len != ENL_PURGELOCKBYTES) return 0;
    if ((has = enl_store_purge_has(d->p->st, lock)) < 0) return has;
    d->n += (uint32_t)has;
    return 0;
}

/* Notes of an outgoing file whose purge came back (kept until their
 * expiry): the locks kept as the file's "parts" on the sender's side. */
static int delivered_notes(enl_profile *p, const file_rec *r, uint32_t *n)
{
    delivered_ctx d = { p, 0 };
    uint8_t h[32];
    int rc;
    file_key(p, r->peer_dh, 1, r->id, h);
    rc = enl_store_part_each(p->st, h, count_delivered, &d);
    *n = rc == ENL_OK ? d.n : 0;
    return rc;
}

static int fill_info(enl_profile *p, const uint8_t h[32], const file_rec *r, enl_file_info *f)
{
    enl_contact c;
    uint8_t fp[32];
    uint64_t have = 0;
    int rc;

    memcpy(f->id, r->id, ENL_FILE_IDBYTES);
    f->outgoing = r->outgoing;
    f->known = 1;
    if (enl_contact_by_dh(p, r->peer_dh, &c) == ENL_OK &&
        sodium_memcmp(c.card.sign_pk, r->peer_sign, 32) == 0)
        memcpy(f->peer, c.name, sizeof f->peer);
    enl_fingerprint_raw(fp, r->peer_sign, r->peer_dh);
    enl_fingerprint_text(f->peer_fingerprint, fp);
    memcpy(f->name, r->name, r->name_len);
    memcpy(f->note, r->note, r->note_len);
    f->size = r->size;
    f->parts = r->parts;
    f->sent = r->sent;
    f->received = r->received;
    memcpy(f->hash, r->hash, 32);
    if (r->outgoing) {
        f->have = r->sealed;
        f->delivered = r->delivered;
        if (r->delivered == UNSETTLED && (rc = delivered_notes(p, r, &f->delivered)) != ENL_OK)
            return rc;
        /* not every part sealed: sealed now by a running sending, or
         * interrupted (its process died); its notes gone before every one
         * was known delivered: no courier carries them any more, and the
         * sender must be told, not shown "sent" for ever */
        f->state = r->sealed < r->parts && being_sealed(p, r) ? ENL_FILE_SENDING
                   : f->delivered == r->parts + 1 ? ENL_FILE_DELIVERED
                   : r->expiry <= enl_now_hours() ? ENL_FILE_EXPIRED
                   : r->sealed < r->parts ? ENL_FILE_SEALING : ENL_FILE_SENT;
        return ENL_OK;
    }
    if ((rc = enl_store_part_count(p->st, h, r->parts, &have)) != ENL_OK) return rc;
    f->have = (uint32_t)have;
    f->state = r->saved == LAPSED ? ENL_FILE_EXPIRED : r->saved == DROPPED ? ENL_FILE_DELETED :
               r->saved ? ENL_FILE_SAVED :
               have == r->parts ? ENL_FILE_COMPLETE : ENL_FILE_RECEIVING;
    return ENL_OK;
}

static int list_one(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    listing *l = ctx;
    file_rec *r = enl_secmem_alloc(sizeof *r);
    enl_file_info *f;
    uint8_t h[32];
    int rc;
    (void)seq;
    if (r == NULL) return ENL_ENOMEM;
    rc = rec_parse(r, pt, len);
    if (rc == ENL_OK) {
        file_key(l->p, r->peer_dh, r->outgoing, r->id, h);
        rc = (f = grow(l)) == NULL ? ENL_ENOMEM : fill_info(l->p, h, r, f);
    }
    enl_secmem_free(r);
    return rc;
}

static int list_orphan(void *ctx, const uint8_t file[32], uint64_t n)
{
    listing *l = ctx;
    enl_file_info *f = grow(l);
    if (f == NULL) return ENL_ENOMEM;
    /* Nothing is known but how many parts wait: show the row key's start
     * as an id so that the line can be told from others. */
    memcpy(f->id, file, ENL_FILE_IDBYTES);
    f->state = ENL_FILE_RECEIVING;
    f->have = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    /* When they came is not kept; received stays 0 (listed first). */
    return 0;
}

static uint64_t when(const enl_file_info *f)
{
    return f->outgoing ? f->sent : f->received;
}

static int by_time(const void *a, const void *b)
{
    const enl_file_info *x = a, *y = b;
    if (when(x) != when(y)) return when(x) < when(y) ? -1 : 1;
    return memcmp(x->id, y->id, ENL_FILE_IDBYTES);
}

int enl_files_each(enl_profile *p, int (*cb)(const enl_file_info *f, void *ctx), void *ctx)
{
    listing l = { p, NULL, 0, 0, ENL_OK };
    /* What expired since the last sync is shown as it is now: an
     * incoming file that can never be whole as expired, not receiving. */
    int rc = enl_files_settle(p, enl_now_hours());
    if (rc == ENL_OK) rc = enl_store_row_each(p->st, "files", list_one, &l);
    if (rc == ENL_OK) rc = enl_store_part_orphans(p->st, list_orphan, &l);
    if (rc == ENL_OK && l.n > 1) qsort(l.v, l.n, sizeof l.v[0], by_time);
    for (size_t i = 0; rc == ENL_OK && i < l.n; i++) {
        int r = cb(&l.v[i], ctx);
        if (r != 0) rc = r > 0 ? ENL_OK : r;
        if (r != 0) break;
    }
    enl_free_wiped(l.v, l.cap * sizeof l.v[0]);
    return rc;
}

/* ---- settling ----------------------------------------------------------- */

/* Purge records are dropped when their notes expire, and with them what
 * said which notes of an outgoing file were delivered: a file shown
 * delivered would then be shown only sent. So before they go, the count
 * is kept in the file's record, and the locks, of no use any more, are
 * deleted.
 *
 * An incoming file whose notes expired before every part came can never
 * be whole: no courier carries its missing parts any more, and its sender
 * dropped them too. Its parts would stay in the store for ever (a lost
 * part in a dead drop, an interrupted sending); they are deleted, and the
 * record stays to show it expired. A complete file stays until it is
 * saved. */
typedef struct {
    enl_profile *p;
    uint32_t now;
    uint8_t (*h)[32];
    size_t n, cap;
} settle_ctx;

static int find_unsettled(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    settle_ctx *s = ctx;
    file_rec *r = enl_secmem_alloc(sizeof *r);
    int rc = ENL_OK;
    (void)seq;
    if (r == NULL) return ENL_ENOMEM;
    if (rec_parse(r, pt, len) == ENL_OK && r->expiry <= s->now &&
        (r->outgoing ? r->delivered == UNSETTLED : !r->saved)) {
        if (s->n == s->cap) {
            size_t cap = s->cap ? 2 * s->cap : 8;
            uint8_t (*v)[32] = realloc(s->h, cap * sizeof *v);
            if (v == NULL) rc = ENL_ENOMEM;
            else s->h = v, s->cap = cap;
        }
        if (rc == ENL_OK) file_key(s->p, r->peer_dh, r->outgoing, r->id, s->h[s->n++]);
    }
    enl_secmem_free(r);
    return rc;
}

int enl_files_settle(enl_profile *p, uint32_t now_hours)
{
    settle_ctx s = { p, now_hours, NULL, 0, 0 };
    file_rec *r = NULL;
    int rc = enl_store_row_each(p->st, "files", find_unsettled, &s), in_tx = 0;

    if (rc != ENL_OK || s.n == 0) goto out;
    if ((r = enl_secmem_alloc(sizeof *r)) == NULL) { rc = ENL_ENOMEM; goto out; }
    if ((rc = enl_store_begin(p->st)) != ENL_OK) goto out;
    in_tx = 1;
    for (size_t i = 0; rc == ENL_OK && i < s.n; i++) {
        uint32_t n;
        if ((rc = rec_load(p, s.h[i], r)) == ENL_ENOTFOUND) {
            rc = ENL_OK;
            continue;
        }
        if (rc != ENL_OK) break;
        if (!r->outgoing) {
            uint64_t have = 0;
            if (r->saved) continue;   /* saved meanwhile by another connection */
            if ((rc = enl_store_part_count(p->st, s.h[i], r->parts, &have)) != ENL_OK) break;
            if (have == r->parts) continue;
            r->saved = LAPSED;
            if ((rc = rec_save(p, r)) == ENL_OK) rc = enl_store_part_trim(p->st, s.h[i], 0);
            continue;
        }
        /* Read before the transaction began: another connection to the
         * profile (a listener's session) may have settled it since, and
         * counting again now, without the locks, would find none. */
        if (r->delivered != UNSETTLED) continue;
        if ((rc = delivered_notes(p, r, &n)) != ENL_OK) break;
        r->delivered = n;
        if ((rc = rec_save(p, r)) == ENL_OK) rc = enl_store_part_trim(p->st, s.h[i], 0);
    }
    if (rc == ENL_OK) {
        in_tx = 0;
        rc = enl_store_commit(p->st);
    }
out:
    if (in_tx) enl_store_rollback(p->st);
    enl_secmem_free(r);
    free(s.h);
    return rc;
}

/* ---- saving ------------------------------------------------------------- */

/* Finds the received file with that id, from the sender whose fingerprint
 * (text, as enl_file_info shows it) is from, or from anyone when from is
 * NULL. Ids are chosen by their senders: two contacts can send files with
 * the same id (by chance, or one to hide another's), and then a file is
 * never taken for the other, the caller has to say whose. */
typedef struct {
    enl_profile *p;
    const uint8_t *id;
    const char *from;
    file_rec *r, *scratch;
    int found;
} finder;

static int find_one(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    finder *f = ctx;
    file_rec *r = f->found ? f->scratch : f->r;
    (void)seq;
    if (rec_parse(r, pt, len) != ENL_OK) return ENL_ESTORE;
    if (r->outgoing || sodium_memcmp(r->id, f->id, ENL_FILE_IDBYTES) != 0) return 0;
    if (f->from != NULL) {
        uint8_t fp[32];
        char text[ENL_FINGERPRINT_STRBYTES];
        enl_fingerprint_raw(fp, r->peer_sign, r->peer_dh);
        enl_fingerprint_text(text, fp);
        if (strcmp(text, f->from) != 0) return 0;
    }
    return ++f->found > 1;
}

static int find_received(enl_profile *p, const char *from, const uint8_t id[ENL_FILE_IDBYTES],
                         file_rec *r, uint8_t h[32])
{
    finder f = { p, id, from, r, NULL, 0 };
    int rc;
    if ((f.scratch = enl_secmem_alloc(sizeof *f.scratch)) == NULL) return ENL_ENOMEM;
    rc = enl_store_row_each(p->st, "files", find_one, &f);
    enl_secmem_free(f.scratch);
    if (rc != ENL_OK) return rc;
    if (f.found == 0)
        return enl_fail(p, ENL_ENOTFOUND, from != NULL ? "no file received from that sender with "
                        "that id (enlace files lists them)" : "no file received with that id "
                        "(enlace files lists them)");
    if (f.found > 1)
        return enl_fail(p, ENL_EEXISTS, "files from different senders have that id: say whose "
                        "(--from NAME)");
    file_key(p, r->peer_dh, 0, r->id, h);
    return ENL_OK;
}

typedef struct {
    enl_file_check check;
    int fd;
    uint64_t done, size;
    enl_progress_fn progress;
    void *ctx;
    int bad;            /* the part that did not fit, + 1 */
    int io;             /* errno of a failed write */
} writer;

static int write_part(void *ctx, uint32_t index, const uint8_t *data, size_t len)
{
    writer *w = ctx;
    size_t off = 0;
    if (enl_file_check_part(&w->check, index, data, len) != ENL_OK) {
        w->bad = (int)index + 1;
        return ENL_EMALFORMED;
    }
    while (off < len) {
        ssize_t k = write(w->fd, data + off, len - off);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) { w->io = errno; return ENL_EIO; }
        off += (size_t)k;
    }
    w->done += len;
    say(w->progress, w->ctx, "saving", w->done, w->size);
    return 0;
}

/* The hidden temporary name a save in this process has given the file
 * (where its folder has no unnamed files, and under --force just before it
 * replaces path), for enl_file_save_interrupted. */
static enl_pending saving;

void enl_file_save_interrupted(void)
{
    enl_pending_remove(&saving);
}

/* A temporary name beside path: same folder, so that rename is atomic. */
static int temp_beside(char *out, size_t max, const char *path)
{
    const char *slash = strrchr(path, '/');
    uint8_t rnd[8];
    char hex[17];
    int dir_len = slash != NULL ? (int)(slash - path + 1) : 0;
    randombytes_buf(rnd, sizeof rnd);
    enl_hex_encode(hex, rnd, sizeof rnd);
    return snprintf(out, max, "%.*s.enlace-tmp-%s", dir_len, path, hex) < (int)max ? ENL_OK : ENL_EINVAL;
}

/* A file without a name in path's folder (O_TMPFILE): given its name only
 * once it is whole and checked, so that a crash or a kill in the middle
 * leaves nothing behind, not even part of the file. -1 where the file
 * system (vfat, some network folders) or a missing /proc does not allow it;
 * then a hidden temporary name is used. */
static int folder_of(char *dir, size_t max, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) snprintf(dir, max, ".");
    else if (slash == path) snprintf(dir, max, "/");
    else if (snprintf(dir, max, "%.*s", (int)(slash - path), path) >= (int)max) return -1;
    return 0;
}

static int open_unnamed(const char *path)
{
    char dir[4200];
    if (access("/proc/self/fd", X_OK) != 0) return -1;
    if (folder_of(dir, sizeof dir, path) != 0) return -1;
    return open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
}

/* Makes the saved file's name durable in its folder before the profile
 * deletes the parts: the file's bytes were synced, but without this a
 * power cut or a stick pulled right after the save can lose the name, and
 * with it the only copy left. A file system that cannot sync a folder
 * (EINVAL, EOPNOTSUPP on some FUSE file systems; EROFS) is taken at its
 * word. */
static int sync_folder(const char *path)
{
    char dir[4200];
    int fd, rc;
    if (folder_of(dir, sizeof dir, path) != 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) return -1;
    rc = fsync(fd) == 0 || errno == EINVAL || errno == EROFS || errno == EOPNOTSUPP ? 0 : -1;
    if (rc != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    close(fd);
    return 0;
}

static int name_unnamed(int fd, const char *path)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
}

int enl_file_save(enl_profile *p, const uint8_t id[ENL_FILE_IDBYTES], const char *path, int flags,
                  enl_progress_fn progress, void *progress_ctx)
{
    return enl_file_save_from(p, NULL, id, path, flags, progress, progress_ctx);
}

int enl_file_save_from(enl_profile *p, const char *from, const uint8_t id[ENL_FILE_IDBYTES],
                       const char *path, int flags, enl_progress_fn progress, void *progress_ctx)
{
    file_rec *r = NULL;
    writer w;
    enl_file_head fh;
    uint8_t h[32];
    uint64_t have = 0;
    char tmp[4200];
    struct stat sb;
    int rc, kept = 0, unnamed = 0;

    if (id == NULL || path == NULL || !*path) return ENL_EINVAL;
    tmp[0] = '\0';
    memset(&w, 0, sizeof w);
    w.fd = -1;
    if ((r = enl_secmem_alloc(sizeof *r)) == NULL) return ENL_ENOMEM;
    /* One whose notes expired since the last sync can never be whole. */
    if ((rc = enl_files_settle(p, enl_now_hours())) != ENL_OK) goto out;
    if ((rc = find_received(p, from, id, r, h)) != ENL_OK) goto out;
    if ((rc = enl_store_part_count(p->st, h, r->parts, &have)) != ENL_OK) goto out;
    if (r->saved == LAPSED) {
        rc = enl_fail(p, ENL_ENOTFOUND, "this file's notes expired before every part came, and "
                      "the parts that came were deleted: ask its sender to send it again");
        goto out;
    }
    if (r->saved == DROPPED) {
        rc = enl_fail(p, ENL_ENOTFOUND, "this file was deleted unsaved (files delete): ask its "
                      "sender to send it again if you need it");
        goto out;
    }
    if (r->saved && have < r->parts) {
        rc = enl_fail(p, ENL_ENOTFOUND, "this file was saved already, and its parts were deleted "
                      "from this profile then: ask its sender for it again if you need it");
        goto out;
    }
    if (have < r->parts) {
        rc = enl_fail(p, ENL_EMALFORMED, "%llu of its %lu parts %s still missing: it can be saved "
                      "once %s", (unsigned long long)(r->parts - have), (unsigned long)r->parts,
                      r->parts - have == 1 ? "is" : "are",
                      r->parts - have == 1 ? "it arrives" : "they arrive");
        goto out;
    }
    /* a folder is never replaced, --force or not: name the file in it */
    if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        rc = enl_fail(p, ENL_EEXISTS, "%s is a folder: give the file's own name (%s/NAME)", path,
                      path);
        goto out;
    }
    if (!(flags & ENL_FILE_SAVE_FORCE) && lstat(path, &sb) == 0) {
        rc = enl_fail(p, ENL_EEXISTS, "%s exists: choose another name, or --force to replace it", path);
        goto out;
    }
    /* --force replaces a file: the rename below would as well replace a
     * device, a fifo or a symbolic link itself (not what it points to),
     * and the parts would then leave the store as if the file were kept. */
    if ((flags & ENL_FILE_SAVE_FORCE) && lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        rc = enl_fail(p, ENL_EEXISTS, "%s exists and is not a regular file: --force replaces only "
                      "a file; choose another name", path);
        goto out;
    }
    if ((rc = temp_beside(tmp, sizeof tmp, path)) != ENL_OK) goto out;
    if ((w.fd = open_unnamed(path)) >= 0) {
        unnamed = 1;
        if (!(flags & ENL_FILE_SAVE_FORCE)) tmp[0] = '\0';   /* no hidden name at all */
    } else {
        /* the file in the clear under a name nobody knows of: a signal
         * that stops the save removes it (enl_file_save_interrupted) */
        enl_pending_set(&saving, tmp);
        if ((w.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
            enl_pending_clear(&saving);
            rc = enl_fail(p, ENL_EIO, "cannot write beside %s: %s", path, strerror(errno));
            goto out;
        }
    }
    rec_head(r, &fh);
    enl_file_check_init(&w.check, &fh);
    w.size = r->size;
    w.progress = progress;
    w.ctx = progress_ctx;
    rc = enl_store_part_each(p->st, h, write_part, &w);
    if (rc == ENL_OK) rc = enl_file_check_final(&w.check);
    if (rc == ENL_OK && fsync(w.fd) != 0) { w.io = errno; rc = ENL_EIO; }
    /* Unnamed: named now, while the descriptor is open (under the hidden
     * name first when it replaces a file: rename is what replaces). */
    if (rc == ENL_OK && unnamed) {
        const char *to = (flags & ENL_FILE_SAVE_FORCE) ? tmp : path;
        if (flags & ENL_FILE_SAVE_FORCE) enl_pending_set(&saving, tmp);
        if (name_unnamed(w.fd, to) != 0) {
            rc = errno == EEXIST ? enl_fail(p, ENL_EEXISTS, "%s exists: choose another name, or "
                                            "--force to replace it", path)
                                 : (w.io = errno, ENL_EIO);
            tmp[0] = '\0';   /* never named: nothing to remove */
            enl_pending_clear(&saving);
        }
    }
    if (close(w.fd) != 0 && rc == ENL_OK) { w.io = errno; rc = ENL_EIO; }
    w.fd = -1;
    if (rc == ENL_OK && unnamed && !(flags & ENL_FILE_SAVE_FORCE)) {
        kept = 1;
    } else if (rc == ENL_OK) {
        /* enl_rename_noreplace refuses an existing name atomically; rename replaces it. */
        if (flags & ENL_FILE_SAVE_FORCE) {
            if (rename(tmp, path) != 0) { w.io = errno; rc = ENL_EIO; }
        } else if (enl_rename_noreplace(tmp, path) != 0) {
            rc = errno == EEXIST ? enl_fail(p, ENL_EEXISTS, "%s exists: choose another name, or "
                                            "--force to replace it", path)
                                 : (w.io = errno, ENL_EIO);
        }
        kept = rc == ENL_OK;   /* tmp is path now */
    }
    if (!kept && tmp[0]) (void)unlink(tmp);
    enl_pending_clear(&saving);   /* renamed, or removed: the hidden name is gone */
    /* Named, but not yet surely so: the parts stay until it is. */
    if (rc == ENL_OK && sync_folder(path) != 0)
        rc = enl_fail(p, ENL_EIO, "%s was written, but its folder could not be synced (%s): the "
                      "profile keeps the file; check the copy, or save again with --force", path,
                      strerror(errno));
    else if (rc == ENL_EDECRYPT)
        rc = enl_fail(p, ENL_EDECRYPT, "the file does not match the hash its sender sealed in its "
                      "head (a part was altered, or the file changed while it was sealed): "
                      "nothing was saved");
    else if (rc == ENL_EMALFORMED && w.bad)
        rc = enl_fail(p, ENL_EMALFORMED, "part %d does not fit the file its head describes: "
                      "nothing was saved", w.bad - 1);
    else if (rc == ENL_EIO)
        rc = enl_fail(p, ENL_EIO, "cannot write %s: %s", path, strerror(w.io));
    if (rc != ENL_OK) goto out;
    /* Once it is where the user wanted it, the profile keeps none of its
     * content (the rows are overwritten: secure_delete): a device seized
     * later, passphrase and all, no longer holds a file saved and then
     * deleted. The record stays, to list it as saved. */
    if ((rc = enl_store_begin(p->st)) == ENL_OK) {
        /* Read again: `files delete` in another process may have dropped
         * it while its parts were written out here (from the snapshot this
         * read began with). It stays deleted, as that command said; the
         * file written here is whole all the same. */
        rc = rec_load(p, h, r);
        if (rc == ENL_OK && r->saved != DROPPED) {
            r->saved = SAVED;
            rc = rec_save(p, r);
            if (rc == ENL_OK) rc = enl_store_part_trim(p->st, h, 0);
        }
        if (rc == ENL_OK) rc = enl_store_commit(p->st);
        else enl_store_rollback(p->st);
    }
    /* The file is whole where the user wanted it; only the profile could
     * not record it (its disk full: deleting is a write too). Said as
     * such: a bare "database or disk is full" had the user take the copy
     * for half-written, and hid that the profile still holds the file. */
    if (rc != ENL_OK) {
        char why[96];
        const char *detail = rc == ENL_ESTORE ? enl_store_errmsg(p->st) : "";
        snprintf(why, sizeof why, "%s", detail != NULL && *detail ? detail : enl_strerror(rc));
        rc = enl_fail(p, rc, "saved whole to %s, but this profile still holds its parts (%s): "
                      "once there is room, save it again with --force to delete them", path, why);
    }
out:
    if (w.fd >= 0) {
        close(w.fd);
        if (!unnamed && tmp[0]) (void)unlink(tmp);
    }
    enl_pending_clear(&saving);
    /* the hash state holds the last bytes it took in (the file's, in the
     * clear) when the parts stopped before the end: a write that failed */
    sodium_memzero(&w, sizeof w);
    enl_secmem_free(r);
    return rc;
}

/* ---- deleting ----------------------------------------------------------- */

/* Drops a received file unsaved: its parts are deleted (overwritten, as
 * the store deletes everything), and the record stays, marked, so that
 * the file is listed as deleted and parts of it that arrive later are
 * dropped as for a saved one. A contact can send files without limit; this
 * is how their room is taken back. */
int enl_file_delete(enl_profile *p, const char *from, const uint8_t id[ENL_FILE_IDBYTES])
{
    file_rec *r;
    uint8_t h[32];
    int rc;

    if (id == NULL) return ENL_EINVAL;
    if ((r = enl_secmem_alloc(sizeof *r)) == NULL) return ENL_ENOMEM;
    if ((rc = enl_store_begin(p->st)) != ENL_OK) goto out;
    if ((rc = find_received(p, from, id, r, h)) == ENL_OK) {
        if (r->saved == SAVED)
            rc = enl_fail(p, ENL_ENOTFOUND, "this file was saved already: its parts left the "
                          "profile then");
        else if (r->saved == LAPSED)
            rc = enl_fail(p, ENL_ENOTFOUND, "this file's notes expired before every part came: "
                          "its parts left the profile then");
        else if (r->saved == DROPPED)
            rc = enl_fail(p, ENL_ENOTFOUND, "this file was deleted already");
    }
    if (rc == ENL_OK) {
        r->saved = DROPPED;
        rc = rec_save(p, r);
    }
    if (rc == ENL_OK) rc = enl_store_part_trim(p->st, h, 0);
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
out:
    enl_secmem_free(r);
    return rc;
}

typedef struct {
    const uint8_t *id;
    uint8_t file[32];
    uint64_t parts;
    int found;
} orphan_finder;

static int find_orphan(void *ctx, const uint8_t file[32], uint64_t n)
{
    orphan_finder *o = ctx;
    if (sodium_memcmp(file, o->id, ENL_FILE_IDBYTES) != 0) return 0;
    memcpy(o->file, file, 32);
    o->parts = n;
    o->found = 1;
    return 1;
}

int enl_file_delete_orphan(enl_profile *p, const uint8_t id[ENL_FILE_IDBYTES], uint64_t *dropped)
{
    orphan_finder o = { id, { 0 }, 0, 0 };
    int rc;

    if (id == NULL) return ENL_EINVAL;
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    /* Looked up again inside the transaction: the head may have come since
     * the listing, and then its file is deleted with enl_file_delete. */
    rc = enl_store_part_orphans(p->st, find_orphan, &o);
    if (rc == ENL_OK && !o.found)
        rc = enl_fail(p, ENL_ENOTFOUND, "no parts waiting for a description with that id "
                      "(enlace files lists them)");
    if (rc == ENL_OK) rc = enl_store_part_trim(p->st, o.file, 0);
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
    if (rc == ENL_OK && dropped != NULL) *dropped = o.parts;
    sodium_memzero(&o, sizeof o);
    return rc;
}
