/*
 * Dead drops: exchanging with a folder. Layout: one file per note named
 * "<64 hex of its id>.note", one per purge record named
 * "<32 hex of its 16-byte lock>.purge", one per burn notice named
 * "<64 hex of its id>.burn". Nothing in the folder names a person.
 *
 * Order matters: burn notices are taken first (they travel ahead of
 * everything), then purges, so that a note already delivered is
 * not taken in again; then the notes this profile lacks; then what the
 * folder lacks is written (atomically). Notes the folder holds that a purge
 * released, and expired notes, are deleted from the folder: a dead drop is a
 * courier like any other. A file that is damaged, tampered or foreign is
 * skipped with a warning, never fatal.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/batch.h"
#include "core/profile.h"
#include "crypto/revocation.h"
#include "note/note.h"
#include "transport/folder.h"
#include "util/base32.h"

#define NAME_HEX 64

typedef struct {
    uint8_t (*notes)[32];
    size_t nnotes, capnotes;
    uint8_t (*purges)[32];
    size_t npurges, cappurges;
    uint8_t (*burns)[32];
    size_t nburns, capburns;
    uint8_t (*bad)[32];         /* named like a note or purge, content not: overwrite */
    size_t nbad, capbad;
    size_t foreign;
    size_t stale_removed;       /* leftovers of cut writes, removed (list_tmp) */
    int writable;
    time_t now;
    size_t expired;             /* notes past their expiry: one warning for all */
    size_t expired_removed;     /* of those, removed from the folder (a day past it) */
    const enl_sync_opts *opts;
    const char *dir;
    enl_batch batch;            /* intake, committed in batches (core/batch.h) */
    uint8_t (*spent)[32];       /* notes delivered here: their files go once committed */
    size_t nspent, capspent;
    size_t ncommitted;          /* the first ncommitted of spent were committed */
    size_t nreused;             /* ... and the first nreused became purge files */
} listing;

static void warn(const enl_sync_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(const enl_sync_opts *o, const char *fmt, ...)
{
    char buf[1280];         /* a file's name and the library's message (enl_profile_errmsg) */
    va_list ap;
    if (o == NULL || o->warn == NULL) return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    o->warn(o->ctx, buf);
}

static void progress(const enl_sync_opts *o, const char *what, uint64_t done, uint64_t total)
{
    if (o != NULL && o->progress != NULL) o->progress(o->ctx, what, done, total);
}

static int push(uint8_t (**v)[32], size_t *n, size_t *cap, const uint8_t id[32])
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 256;
        uint8_t (*nv)[32] = realloc(*v, c * sizeof *nv);
        if (nv == NULL) return ENL_ENOMEM;
        *v = nv;
        *cap = c;
    }
    memcpy((*v)[(*n)++], id, 32);
    return ENL_OK;
}

static void file_name(char out[NAME_HEX + 8], const uint8_t id[32], const char *ext);

/* Whether a note or purge record that this device's clock says expired at
 * expiry_hours may go from the folder: only once it has been expired a
 * day (ENL_CLOCK_SKEW). A clock may run that far ahead (a time zone taken
 * for UTC, a phone set by hand), and a folder is shared: deleting at once
 * would take from the others the notes they are still in time for, an
 * urgent one sealed with --expire 1 first of all. Until then it stays,
 * neither taken nor passed on here. */
static int expired_a_day(uint32_t expiry_hours)
{
    return (uint64_t)expiry_hours + ENL_CLOCK_SKEW / 3600 <= enl_now_hours();
}

/* The drop's copies of notes delivered here, once the batch that delivered
 * them has committed: never before, or a crash would lose them. They go at
 * the end of the sync, after the purges are written: files created right
 * after as many were deleted made ext4 search its inode bitmap for each
 * one (a third of the time of taking 10,000 notes in). A crash before they
 * go leaves copies that the next sync finds already read and removes. */
static void remove_spent(listing *l)
{
    char name[NAME_HEX + 8];
    for (size_t i = l->nreused; i < l->ncommitted; i++) {
        file_name(name, l->spent[i], "note");
        (void)enl_folder_remove(l->dir, name);
    }
}

/* After each item taken in: commits when the batch is full or old. */
static int batch_step(listing *l, size_t len)
{
    int committed = 0, rc = enl_batch_step(&l->batch, len, &committed);
    if (committed) l->ncommitted = l->nspent;
    return rc;
}

/* Bytes of the id a file's name shows: a purge is named by its 16-byte
 * lock (the 16 zeros that follow it in memory are not written). */
static size_t name_bytes(const char *ext)
{
    return strcmp(ext, "purge") == 0 ? ENL_PURGELOCK_WIREBYTES : 32;
}

/* "<hex>.<ext>" → id (zero-extended to 32 bytes); 0 when the name does not
 * have that shape. */
static int parse_name(const char *name, const char *ext, uint8_t id[32])
{
    size_t n = strlen(name), e = strlen(ext), hex = 2 * name_bytes(ext);
    if (n != hex + 1 + e || name[hex] != '.' || strcmp(name + hex + 1, ext) != 0)
        return 0;
    for (size_t i = 0; i < hex; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f'))) return 0;
    memset(id, 0, 32);
    return enl_hex_decode(id, hex / 2, name, hex) == ENL_OK;
}

/* A temporary file: a write in progress (another device's, on a shared
 * folder) or one that was cut short. A recent one is passed over without a
 * word; one older than ENL_FOLDER_TMP_STALE can only be a leftover, and
 * goes (and is counted) where the folder can be written. */
static void list_tmp(listing *l, const char *name)
{
    time_t mtime;
    int rc = enl_folder_mtime(l->dir, name, &mtime);
    if (rc == ENL_ENOTFOUND) return;  /* renamed meanwhile: a write completed */
    if (rc == ENL_OK && mtime > l->now - ENL_FOLDER_TMP_STALE) return;
    if (rc == ENL_OK && l->writable && enl_folder_remove(l->dir, name) == ENL_OK) {
        l->stale_removed++;
        return;
    }
    if (rc == ENL_OK)
        warn(l->opts, "skipped %s: an unfinished write (a sync was interrupted)", name);
    else
        warn(l->opts, "skipped %s: not an enlace file", name);
    l->foreign++;
}

static int list_cb(void *ctx, const char *name)
{
    listing *l = ctx;
    uint8_t id[32];
    if (parse_name(name, "note", id)) return push(&l->notes, &l->nnotes, &l->capnotes, id);
    if (parse_name(name, "purge", id)) return push(&l->purges, &l->npurges, &l->cappurges, id);
    if (parse_name(name, "burn", id)) return push(&l->burns, &l->nburns, &l->capburns, id);
    if (strncmp(name, ENL_FOLDER_TMP_PREFIX, strlen(ENL_FOLDER_TMP_PREFIX)) == 0) {
        list_tmp(l, name);
        return 0;
    }
    warn(l->opts, "skipped %s: not an enlace file", name);
    l->foreign++;
    return 0;
}

static int cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static int in_sorted(uint8_t (*v)[32], size_t n, const uint8_t id[32])
{
    return n > 0 && bsearch(id, v, n, 32, cmp_id) != NULL;
}

static void file_name(char out[NAME_HEX + 8], const uint8_t id[32], const char *ext)
{
    size_t hex = 2 * name_bytes(ext);
    enl_hex_encode(out, id, hex / 2);
    out[hex] = '.';
    strcpy(out + hex + 1, ext);
}

static int take_burns(enl_profile *p, listing *l, enl_sync_stats *s)
{
    uint8_t buf[ENL_REVOCATION_MAXBYTES + 1], id[32];
    char name[NAME_HEX + 8];
    for (size_t i = 0; i < l->nburns; i++) {
        size_t len = 0;
        int rc = enl_store_burn_has(p->st, l->burns[i]), held;
        if (rc < 0) return rc;
        held = rc;
        file_name(name, l->burns[i], "burn");
        rc = enl_folder_read(l->dir, name, buf, ENL_REVOCATION_MAXBYTES, &len);
        if (held) {
            /* Held here: the folder's copy must still be the notice, or junk
             * put under its name would keep it from being written again. */
            if (rc != ENL_OK || (crypto_generichash(id, sizeof id, buf, len, NULL, 0),
                                 memcmp(id, l->burns[i], 32) != 0)) {
                if (push(&l->bad, &l->nbad, &l->capbad, l->burns[i]) != ENL_OK) return ENL_ENOMEM;
            }
            continue;
        }
        if (rc == ENL_OK) {
            crypto_generichash(id, sizeof id, buf, len, NULL, 0);
            if (memcmp(id, l->burns[i], 32) != 0) rc = ENL_EMALFORMED;
        }
        if (rc == ENL_OK) rc = enl_burn_intake(p, buf, len, s);
        if (rc == ENL_OK) s->bytes_received += len;
        else if (rc == ENL_ESTORE || rc == ENL_ENOMEM) return rc;
        else if (rc != ENL_EDUPLICATE) {
            warn(l->opts, "skipped %s: %s", name, enl_strerror(rc));
            s->skipped++;
        }
        if ((rc = batch_step(l, len)) != ENL_OK) return rc;
    }
    return ENL_OK;
}

static int take_purges(enl_profile *p, listing *l, enl_sync_stats *s)
{
    uint8_t buf[ENL_PURGEBYTES + 1];
    char name[NAME_HEX + 8];
    for (size_t i = 0; i < l->npurges; i++) {
        uint8_t key[32], lock[32];
        uint32_t expiry = 0, held_expiry = 0;
        size_t len = 0;
        int rc = enl_store_purge_get(p->st, l->purges[i], key, &held_expiry), held;
        if (rc != ENL_OK && rc != ENL_ENOTFOUND) return rc;
        held = rc == ENL_OK;
        file_name(name, l->purges[i], "purge");
        rc = enl_folder_read(l->dir, name, buf, sizeof buf, &len);
        if (rc == ENL_OK) rc = enl_purge_parse(&expiry, key, lock, buf, len, enl_now_hours());
        if (held) {
            /* Held here: as for a note, junk under its name is overwritten;
             * and a copy that says an earlier expiry than ours (a courier
             * can rewrite it: it is signed by nothing) is overwritten with
             * ours, and one that says a later one makes ours last as long
             * (enl_purge_intake), so that a shortened copy cannot make
             * the purge die before its note anywhere it meets the real
             * one. */
            if (rc != ENL_OK || memcmp(lock, l->purges[i], 32) != 0 || expiry < held_expiry) {
                if (push(&l->bad, &l->nbad, &l->capbad, l->purges[i]) != ENL_OK) return ENL_ENOMEM;
            } else if (expiry > held_expiry) {
                rc = enl_purge_intake(p, buf, len, s);
                if (rc < 0 && rc != ENL_EDUPLICATE) return rc;
                if ((rc = batch_step(l, len)) != ENL_OK) return rc;
            }
            continue;
        }
        if (rc == ENL_OK && memcmp(lock, l->purges[i], 32) != 0) {
            rc = ENL_EMALFORMED;
            if (push(&l->bad, &l->nbad, &l->capbad, l->purges[i]) != ENL_OK) return ENL_ENOMEM;
        }
        if (rc == ENL_EEXPIRED) {
            if (expired_a_day(expiry)) (void)enl_folder_remove(l->dir, name);
            continue;
        }
        if (rc != ENL_OK) {
            warn(l->opts, "skipped %s: %s", name, enl_strerror(rc));
            s->skipped++;
            continue;
        }
        s->bytes_received += len;
        rc = enl_purge_intake(p, buf, len, s);
        if (rc < 0 && rc != ENL_EDUPLICATE) return rc;
        if ((rc = batch_step(l, len)) != ENL_OK) return rc;
    }
    return ENL_OK;
}

typedef struct {
    int64_t mtime_ns;
    size_t index;
} by_time;

static int cmp_time(const void *a, const void *b)
{
    const by_time *x = a, *y = b;
    if (x->mtime_ns != y->mtime_ns) return x->mtime_ns < y->mtime_ns ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* The notes in the order they were written to the folder (writers write a
 * conversation's notes oldest first), so that the ratchet meets them in
 * sequence rather than skipping ahead. File systems with coarse times
 * (FAT: 2 s) keep only part of that order. */
static by_time *order_by_time(const listing *l)
{
    by_time *v = malloc((l->nnotes ? l->nnotes : 1) * sizeof *v);
    char path[4096], name[NAME_HEX + 8];
    if (v == NULL) return NULL;
    for (size_t i = 0; i < l->nnotes; i++) {
        struct stat sb;
        file_name(name, l->notes[i], "note");
        snprintf(path, sizeof path, "%s/%s", l->dir, name);
        v[i].index = i;
        v[i].mtime_ns = lstat(path, &sb) == 0
                            ? (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec : 0;
    }
    if (l->nnotes > 1) qsort(v, l->nnotes, sizeof *v, cmp_time);
    return v;
}

static int take_notes(enl_profile *p, listing *l, enl_sync_stats *s, uint64_t *done, uint64_t total)
{
    uint8_t *buf = malloc(ENL_NOTE_MAX + 1), id[32];
    char name[NAME_HEX + 8];
    by_time *order = order_by_time(l);
    int rc = ENL_OK;

    if (buf == NULL || order == NULL) {
        free(buf);
        free(order);
        return ENL_ENOMEM;
    }
    for (size_t k = 0; k < l->nnotes; k++) {
        size_t i = order[k].index;
        size_t len = 0;
        int seen, said = 0;     /* said: intake gave its own reason */
        progress(l->opts, "reading", ++*done, total);
        file_name(name, l->notes[i], "note");
        if ((rc = enl_store_note_has(p->st, l->notes[i])) != 0) {
            if (rc < 0) break;
            /* Held here: the folder's copy must still be the note, or junk
             * put under its name would keep it from being written again. */
            if (enl_folder_read(l->dir, name, buf, ENL_NOTE_MAX, &len) != ENL_OK ||
                (enl_note_id(id, buf, len), memcmp(id, l->notes[i], 32) != 0)) {
                if (push(&l->bad, &l->nbad, &l->capbad, l->notes[i]) != ENL_OK) {
                    free(buf);
                    free(order);
                    return ENL_ENOMEM;
                }
            }
            rc = ENL_OK;
            continue;
        }
        if ((rc = enl_store_set_has(p->st, "seen", l->notes[i])) < 0) break;
        seen = rc;
        rc = enl_folder_read(l->dir, name, buf, ENL_NOTE_MAX, &len);
        if (rc == ENL_OK && seen) {
            /* Read here already and not held. A note to me has its purge
             * released: the drop's copy is purged by our purge. A cell
             * note or a bulletin has none (its other readers still need
             * it; its copy here found no room, or was pushed out): it
             * stays, and intake keeps a copy again if there is room. */
            enl_note_header h;
            int hrc;
            enl_note_id(id, buf, len);
            hrc = enl_note_header_parse(&h, buf, len, enl_now_hours());
            if (memcmp(id, l->notes[i], 32) == 0 &&
                (hrc == ENL_EFUTURE || (hrc == ENL_EEXPIRED && !expired_a_day(h.expiry_hours)))) {
                /* It was read here, so its expiry was fine then: this
                 * device's clock went back. Nothing is wrong with it; its
                 * other readers may still need it. Or it expired less than
                 * a day ago by a clock that may run ahead. */
                rc = ENL_OK;
                continue;
            }
            if (memcmp(id, l->notes[i], 32) == 0 && hrc == ENL_OK &&
                (rc = enl_store_purge_has(p->st, h.purge_lock)) == 0) {
                seen = 0;
            } else if (rc >= 0) {
                (void)enl_folder_remove(l->dir, name);
                rc = ENL_OK;
                continue;
            } else {
                break;
            }
        } else if (seen) {
            /* Unreadable now (an I/O error, no descriptor left...): nothing
             * says it is a note to me rather than a cell's note that its
             * other members still need. It stays, and is looked at again
             * at the next sync. */
            warn(l->opts, "skipped %s: %s", name, enl_strerror(rc));
            s->skipped++;
            rc = ENL_OK;
            continue;
        }
        if (rc == ENL_OK) {
            enl_note_id(id, buf, len);
            /* Junk under a note's name must not stop the real note from
             * being written there: remember it, give() overwrites it. */
            if (memcmp(id, l->notes[i], 32) != 0) {
                rc = ENL_EDECRYPT;
                if (push(&l->bad, &l->nbad, &l->capbad, l->notes[i]) != ENL_OK) {
                    free(buf);
                    free(order);
                    return ENL_ENOMEM;
                }
            }
        }
        if (rc == ENL_OK) {
            uint64_t mine = s->delivered + s->requests + s->file_notes + s->other_notes - s->cell_delivered;
            s->bytes_received += len;
            /* id: the hash of buf, checked against the file's name above;
             * the reason of a refusal, said below, is its own */
            p->err[0] = '\0';
            rc = enl_note_intake_id(p, buf, len, id, s);
            said = rc != ENL_OK && p->err[0] != '\0';
            /* Delivered here: this drop's copy is done with (not a cell's:
             * the other members still need it). */
            if (rc == ENL_OK && s->delivered + s->requests + s->file_notes + s->other_notes - s->cell_delivered > mine &&
                push(&l->spent, &l->nspent, &l->capspent, l->notes[i]) != ENL_OK) {
                free(buf);
                free(order);
                return ENL_ENOMEM;
            }
        }
        if (rc == ENL_EEXPIRED) {
            /* Past its expiry here (or sealed to a prekey this profile
             * has deleted: the header says nothing against it then, and
             * nobody else can open it) */
            enl_note_header h;
            if ((enl_note_header_parse(&h, buf, len, enl_now_hours()) != ENL_EEXPIRED ||
                 expired_a_day(h.expiry_hours)) && enl_folder_remove(l->dir, name) == ENL_OK)
                l->expired_removed++;
            s->skipped++;
            l->expired++;
            rc = ENL_OK;
        } else if (rc == ENL_EPURGED) {
            (void)enl_folder_remove(l->dir, name);
            rc = ENL_OK;
        } else if (rc == ENL_EDUPLICATE) {
            s->duplicates++;
            rc = ENL_OK;
        } else if (rc == ENL_ESTORE || rc == ENL_ENOMEM) {
            break;
        } else if (rc != ENL_OK) {
            warn(l->opts, "skipped %s: %s", name,
                 rc == ENL_EDECRYPT ? "content does not match its name (damaged or tampered)"
                 : said             ? p->err
                                    : enl_strerror(rc));
            s->skipped++;
            rc = ENL_OK;
        }
        if ((rc = batch_step(l, len)) != ENL_OK) break;
    }
    free(buf);
    free(order);
    return rc;
}

typedef struct {
    enl_profile *p;
    listing *l;
    enl_sync_stats *s;
    uint8_t (*ids)[32];
    size_t n, cap;
} give_ctx;

static int collect(void *ctx, const uint8_t id[32])
{
    give_ctx *g = ctx;
    return push(&g->ids, &g->n, &g->cap, id);
}

/* l->bad is sorted once everything is taken in (see enl_sync_folder): a
 * courier who plants junk under every held name must not make the sync
 * quadratic in the number of files. */
static int is_bad(const listing *l, const uint8_t id[32])
{
    return in_sorted(l->bad, l->nbad, id);
}

typedef struct {
    enl_profile *p;
    listing *l;
    enl_sync_stats *s;
    int rc;
} burn_give_ctx;

static int give_one_burn(void *ctx, const uint8_t id[32], uint32_t expiry, uint64_t size)
{
    burn_give_ctx *g = ctx;
    uint8_t buf[ENL_REVOCATION_MAXBYTES];
    char name[NAME_HEX + 8];
    size_t len = 0;
    int rc;
    (void)expiry;
    (void)size;
    if (in_sorted(g->l->burns, g->l->nburns, id) && !is_bad(g->l, id)) return 0;
    if (enl_store_burn_get(g->p->st, id, buf, sizeof buf, &len) != ENL_OK) return 0;
    file_name(name, id, "burn");
    rc = enl_folder_write(g->l->dir, name, buf, len, NULL);
    if (rc != ENL_OK) {
        /* One unwritable name (a folder planted there, say) must not stop
         * the rest, as in give(); the sync still reports the failure. */
        enl_fail(g->p, rc, "cannot write %s/%s (is the folder full or read-only?)", g->l->dir, name);
        g->rc = rc;
        return 0;
    }
    g->s->burns_sent++;
    g->s->bytes_sent += len;
    return 0;
}

/* Writes the notices the folder lacks; *failed gets a write's failure. */
static int give_burns(enl_profile *p, listing *l, enl_sync_stats *s, int *failed)
{
    burn_give_ctx g = { p, l, s, ENL_OK };
    int rc = enl_store_burn_items(p->st, give_one_burn, &g);
    if (g.rc != ENL_OK) *failed = g.rc;
    return rc;
}

/* Whether the folder holds a purge record (not found bad) for the note. */
static int purged_in_drop(const listing *l, const uint8_t *note, size_t len)
{
    uint8_t id[32] = { 0 };
    if (len < ENL_NOTE_HEADERBYTES) return 0;
    memcpy(id, note + ENL_NOTE_LOCK_OFFSET, ENL_PURGELOCK_WIREBYTES);
    return in_sorted(l->purges, l->npurges, id) && !is_bad(l, id);
}

static int give(enl_profile *p, listing *l, enl_sync_stats *s)
{
    give_ctx g = { p, l, s, NULL, 0, 0 };
    struct timespec start;
    char name[NAME_HEX + 8];
    int failed = ENL_OK, rc = give_burns(p, l, s, &failed);
    size_t npurges;

    clock_gettime(CLOCK_REALTIME, &start);
    if (rc == ENL_OK) rc = enl_store_purge_locks(p->st, collect, &g);
    npurges = g.n;
    /* Oldest first, so that the folder's files come in sending order. */
    if (rc == ENL_OK) rc = enl_store_note_ids_by_age(p->st, collect, &g);
    for (size_t i = 0; rc == ENL_OK && i < g.n; i++) {
        int is_purge = i < npurges;
        uint8_t *data = NULL, rec[ENL_PURGEBYTES];
        size_t len = 0;
        if ((is_purge ? in_sorted(l->purges, l->npurges, g.ids[i])
                      : in_sorted(l->notes, l->nnotes, g.ids[i])) &&
            !is_bad(l, g.ids[i]))
            continue;
        progress(l->opts, "writing", i + 1, g.n);
        if (is_purge) {
            uint8_t key[32];
            uint32_t expiry;
            rc = enl_store_purge_get(p->st, g.ids[i], key, &expiry);
            if (rc == ENL_ENOTFOUND) {  /* gone meanwhile (expired): nothing to give */
                rc = ENL_OK;
                continue;
            }
            if (rc != ENL_OK) break;
            enl_purge_encode(rec, expiry, key);
            data = rec;
            len = sizeof rec;
        } else if ((rc = enl_store_note_get(p->st, g.ids[i], &data, &len)) != ENL_OK) {
            /* released meanwhile by another connection (a purge that came
             * to a listener's session): nothing to give, the rest still is */
            if (rc != ENL_ENOTFOUND) break;
            rc = ENL_OK;
            continue;
        } else if (len > ENL_NOTE_MAX) {
            /* no note: a row planted in the file while the device was
             * locked (the notes table is not under the profile key), which
             * would be junk under a note's name for everyone who takes the
             * drop (as in netsync's send_items) */
            free(data);
            continue;
        } else if (purged_in_drop(l, data, len)) {
            /* its recipient released it: the drop holds the purge record.
             * Taken in, the purge would have released it here too; not
             * taken in (a take-in that failed, a full disk, rolled it
             * back), the note must not go back beside its own purge. */
            free(data);
            continue;
        }
        file_name(name, g.ids[i], is_purge ? "purge" : "note");
        /* i microseconds after the start: the order of writing, exactly */
        {
            struct timespec at = start;
            at.tv_sec += (time_t)(i / 1000000);
            at.tv_nsec += (long)(i % 1000000) * 1000;
            if (at.tv_nsec >= 1000000000L) {
                at.tv_sec++;
                at.tv_nsec -= 1000000000L;
            }
            if (is_purge && l->nreused < l->ncommitted) {
                /* A delivered note's file goes anyway: it becomes this one. */
                char spent[NAME_HEX + 8];
                file_name(spent, l->spent[l->nreused++], "note");
                rc = enl_folder_rewrite(l->dir, spent, name, data, len, &at);
            } else {
                rc = enl_folder_write(l->dir, name, data, len, &at);
            }
        }
        if (!is_purge) free(data);
        if (rc != ENL_OK) {
            /* One unwritable name (a folder planted there, say) must not
             * stop the rest; the sync still reports the failure. */
            enl_fail(p, rc, "cannot write %s/%s (is the folder full or read-only?)", l->dir, name);
            failed = rc;
            rc = ENL_OK;
            continue;
        }
        s->bytes_sent += len;
        if (is_purge) s->purges_sent++;
        else s->notes_sent++;
    }
    free(g.ids);
    /* One sync to the disk for everything written, before the user pulls
     * the stick out: not one per file. */
    if (s->notes_sent + s->purges_sent + s->burns_sent > 0 && enl_folder_sync(l->dir) != ENL_OK) {
        enl_fail(p, ENL_EIO, "cannot sync %s to its disk: do not remove it yet, and sync again",
                 l->dir);
        if (failed == ENL_OK) failed = ENL_EIO;
    }
    return rc != ENL_OK ? rc : failed;
}

/* Each folder is its own source of carried notes (by its full path, so
 * "drop" and "./drop" are one): junk left in one dead drop pushes out only
 * what that drop brought. */
static void name_source(enl_profile *p, const char *dir)
{
    char *full = realpath(dir, NULL);
    const char *path = full != NULL ? full : dir;
    enl_note_source(p, "folder", (const uint8_t *)path, strlen(path));
    free(full);
}

void enl_sync_folder_interrupted(void)
{
    enl_folder_interrupted();
}

int enl_sync_folder(enl_profile *p, const char *dir, const enl_sync_opts *opts,
                    enl_sync_stats *stats)
{
    listing l;
    enl_sync_stats s;
    struct timespec t0, t1;
    uint64_t done = 0;
    int rc, writable = 0;

    memset(&l, 0, sizeof l);
    memset(&s, 0, sizeof s);
    l.opts = opts;
    l.dir = dir;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rc = enl_folder_check(dir, &writable)) != ENL_OK)
        return enl_fail(p, rc, "%s is not a folder this profile can read", dir);
    /* A drop that cannot be written (a write-protected card, a read-only
     * mount) is still read: what it brings is taken in, and the purges of
     * what was delivered, with the notes this device carries, wait for the
     * next drop that can be written (give() writes every purge the folder
     * lacks, whenever it was made). */
    s.read_only = !writable;
    /* A profile's own folder (this one's or another's, `sync ./NAME` with
     * NAME a profile next to it) is no dead drop: notes and purges would be
     * left among its files, and the next sync of either would mix them. */
    if (enl_profile_exists(dir))
        return enl_fail(p, ENL_EINVAL, "%s holds an enlace profile, not a dead drop: sync with a "
                        "folder of its own (a stick, a shared folder)", dir);
    name_source(p, dir);
    if ((rc = enl_profile_expire(p)) != ENL_OK) return rc;
    l.writable = writable;
    l.now = time(NULL);  /* the file system's clock, as its times are: not enl_now() */
    if ((rc = enl_folder_list(dir, list_cb, &l)) != ENL_OK) {
        enl_fail(p, rc, "cannot list %s", dir);
        goto out;
    }
    if (l.stale_removed > 0)
        warn(l.opts, "removed %zu unfinished write%s that interrupted syncs left (%s files "
             "older than two days)", l.stale_removed, l.stale_removed == 1 ? "" : "s",
             ENL_FOLDER_TMP_PREFIX "*");
    s.skipped += l.foreign;
    if (l.nnotes > 1) qsort(l.notes, l.nnotes, 32, cmp_id);
    if (l.npurges > 1) qsort(l.purges, l.npurges, 32, cmp_id);
    if (l.nburns > 1) qsort(l.burns, l.nburns, 32, cmp_id);
    if ((rc = enl_batch_begin(&l.batch, p)) != ENL_OK) goto out;
    rc = take_burns(p, &l, &s);
    if (rc == ENL_OK) rc = take_purges(p, &l, &s);
    if (rc == ENL_OK) rc = take_notes(p, &l, &s, &done, l.nnotes);
    /* counted among the skipped, which the summary says are each warned of */
    if (l.expired > 0 && l.expired_removed == l.expired)
        warn(l.opts, "skipped %zu note%s past %s expiry, and removed %s from the drop",
             l.expired, l.expired == 1 ? "" : "s", l.expired == 1 ? "its" : "their",
             l.expired == 1 ? "it" : "them");
    else if (l.expired > 0 && l.expired_removed == 0)
        warn(l.opts, "skipped %zu note%s past %s expiry (a day after it, a sync removes them "
             "from the drop)", l.expired, l.expired == 1 ? "" : "s", l.expired == 1 ? "its" : "their");
    else if (l.expired > 0)
        warn(l.opts, "skipped %zu notes past their expiry, and removed %zu of them from the drop "
             "(a day after its expiry, a sync removes each of the others)", l.expired,
             l.expired_removed);
    /* every item taken in is whole: commit them, whatever stopped the loop;
     * unless that was a batch whose commit failed (a full disk): it was
     * rolled back, and the notes it delivered must stay in the folder */
    {
        int open = l.batch.open, end = enl_batch_end(&l.batch);
        if (rc == ENL_OK) rc = end;
        if (open && end == ENL_OK) l.ncommitted = l.nspent;
    }
    if (l.nbad > 1) qsort(l.bad, l.nbad, 32, cmp_id);
    if (rc == ENL_OK && writable) rc = give(p, &l, &s);
    else if (rc == ENL_ESTORE && writable) {
        /* This device's store failed while it took in (its disk full):
         * what it has to give needs no room here, and may be what frees
         * some (its purges coming back): it still goes to the drop. */
        char why[96];
        snprintf(why, sizeof why, "%s", *enl_store_errmsg(p->st) ? enl_store_errmsg(p->st)
                                                                 : enl_strerror(rc));
        int gave = give(p, &l, &s);
        enl_fail(p, rc, "this device could not take in what the drop holds (%s); it left there "
                 "all the same %s: %llu note%s, %llu purge%s", why,
                 gave == ENL_OK ? "what it had to give" : "what it could write of what it had to give",
                 (unsigned long long)s.notes_sent, s.notes_sent == 1 ? "" : "s",
                 (unsigned long long)s.purges_sent, s.purges_sent == 1 ? "" : "s");
    }
    if (writable) remove_spent(&l);
out:
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (stats != NULL) *stats = s;
    free(l.notes);
    free(l.purges);
    free(l.burns);
    free(l.bad);
    free(l.spent);
    return rc;
}
