/*
 * Profile life: create, unlock, close; the card and fingerprint of self.
 * The identity is kept in the store's "identity" slot and the name in
 * "self", both encrypted under the profile key.
 */
#include "core/cells.h"
#include "core/profile.h"
#include "core/prekeys.h"
#include "core/session.h"
#include "core/tagcache.h"
#include "crypto/noise.h"
#include "util/secmem.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t enl_now(void)
{
    const char *fake = getenv("ENLACE_NOW");
    if (fake != NULL && *fake) return strtoull(fake, NULL, 10);
    return (uint64_t)time(NULL);
}

uint32_t enl_now_hours(void)
{
    return (uint32_t)(enl_now() / 3600);
}

int enl_fail(enl_profile *p, int rc, const char *fmt, ...)
{
    va_list ap;
    if (p == NULL) return rc;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
    return rc;
}

static int alloc_profile(enl_profile **out)
{
    enl_profile *p = calloc(1, sizeof *p);
    if (p == NULL) return ENL_ENOMEM;
    p->id = sodium_malloc(sizeof *p->id);
    if (p->id == NULL) {
        free(p);
        return ENL_ENOMEM;
    }
    p->quota_notes = ENL_QUOTA_NOTES;
    p->quota_bytes = ENL_QUOTA_BYTES;
    p->held_notes = p->held_bytes = -1;
    p->held_purges = p->held_burns = -1;
    *out = p;
    return ENL_OK;
}

void enl_profile_set_quota(enl_profile *p, uint64_t notes, uint64_t bytes)
{
    p->quota_notes = notes;
    p->quota_bytes = bytes;
}

/* Counters kept up to date by this handle alone: recounted once another
 * connection (a listener's other sessions, another process) committed. */
static void recount_if_others_wrote(enl_profile *p)
{
    uint64_t f = enl_store_foreign_commits(p->st);
    if (f != p->held_counted) {
        enl_quota_forget(p);
        p->held_counted = f;
    }
}

int enl_quota_check(enl_profile *p, size_t len)
{
    recount_if_others_wrote(p);
    if (p->held_notes < 0) {
        uint64_t n = 0, b = 0;
        int rc = enl_store_count(p->st, "notes", &n);
        if (rc == ENL_OK) rc = enl_store_note_bytes(p->st, &b);
        if (rc != ENL_OK) return rc;
        p->held_notes = (int64_t)n;
        p->held_bytes = (int64_t)b;
    }
    if ((uint64_t)p->held_notes + 1 > p->quota_notes ||
        (uint64_t)p->held_bytes + len > p->quota_bytes)
        return enl_fail(p, ENL_EFULL, "the store holds %lld notes (%lld bytes): quota reached",
                        (long long)p->held_notes, (long long)p->held_bytes);
    return ENL_OK;
}

void enl_quota_note_added(enl_profile *p, size_t len)
{
    if (p->held_notes < 0) return;
    p->held_notes++;
    p->held_bytes += (int64_t)len;
}

void enl_note_source(enl_profile *p, const char *kind, const uint8_t *who, size_t len)
{
    if (kind == NULL || kind[0] == '\0') kind = "local";
    if (who == NULL) len = 0;
    enl_store_source(p->st, p->source, kind, who, len);
    p->source_set = 1;
}

const uint8_t *enl_intake_source_current(enl_profile *p)
{
    if (!p->source_set) enl_note_source(p, "local", NULL, 0);
    return p->source;
}

/* A source's share of the quota: the larger of its share of the notes and
 * its share of the bytes, so that neither a flood of the smallest notes
 * (the count binds first) nor one of the largest (the bytes do) takes more
 * than its part. */
static double share_of(const enl_profile *p, const enl_store_usage *u)
{
    double n = (double)u->notes / (double)(p->quota_notes > 0 ? p->quota_notes : 1);
    double b = (double)u->bytes / (double)(p->quota_bytes > 0 ? p->quota_bytes : 1);
    return n > b ? n : b;
}

int enl_quota_make_room(enl_profile *p, size_t len, unsigned *evicted)
{
    const uint8_t *mine = enl_intake_source_current(p);
    const enl_store_usage quota = { p->quota_notes, p->quota_bytes };
    int rc = enl_quota_check(p, len);

    for (unsigned i = 0; rc == ENL_EFULL && i < ENL_EVICT_MAX; i++) {
        uint8_t largest[ENL_STORE_SOURCEBYTES];
        enl_store_usage have, most;
        uint64_t freed = 0;
        int r = enl_store_source_usage(p->st, mine, &have);
        if (r == ENL_OK) r = enl_store_source_largest(p->st, &quota, largest, &most);
        if (r == ENL_ENOTFOUND) return rc;
        if (r != ENL_OK) return r;
        /* Only from a source that, after this note, would still hold a
         * larger share than this one: each keeps at least an equal share. */
        have.notes++;
        have.bytes += len;
        if (sodium_memcmp(largest, mine, sizeof largest) == 0 ||
            share_of(p, &most) <= share_of(p, &have))
            return rc;
        if ((r = enl_store_source_evict(p->st, largest, &freed)) != ENL_OK) return r;
        (*evicted)++;
        if (p->held_notes > 0) p->held_notes--;
        p->held_bytes = p->held_bytes > (int64_t)freed ? p->held_bytes - (int64_t)freed : 0;
        rc = enl_quota_check(p, len);
    }
    return rc;
}

int enl_quota_keep_read(enl_profile *p, const uint8_t id[32], const enl_note_header *h,
                        const uint8_t *note, size_t len, unsigned *evicted)
{
    unsigned n = 0;
    int rc = enl_store_note_has(p->st, id);
    if (rc != 0) return rc < 0 ? rc : ENL_OK;   /* held here already */
    /* a savepoint: the notes pushed out go back if this one is not kept */
    if ((rc = enl_store_begin(p->st)) != ENL_OK) return rc;
    rc = enl_quota_make_room(p, len, &n);
    if (rc == ENL_OK)
        rc = enl_store_note_put(p->st, id, h->purge_lock, h->expiry_hours,
                                note + ENL_NOTE_HEADERBYTES, enl_intake_source_current(p), note,
                                len);
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
    if (rc == ENL_OK) *evicted += n;
    else if (n > 0) enl_quota_forget(p);
    return rc == ENL_EFULL ? ENL_OK : rc;
}

/* Deletions happen in SQL by lock; recount on the next check. */
void enl_quota_forget(enl_profile *p)
{
    p->held_notes = p->held_bytes = -1;
    p->held_purges = p->held_burns = -1;
}

/* 1 while table (counted once, then kept up to date by the caller) holds
 * fewer rows than limit. */
static int room(enl_profile *p, const char *table, int64_t *held, uint64_t limit)
{
    recount_if_others_wrote(p);
    if (*held < 0) {
        uint64_t n = 0;
        int rc = enl_store_count(p->st, table, &n);
        if (rc != ENL_OK) return rc;
        *held = (int64_t)n;
    }
    return (uint64_t)*held < limit;
}

int enl_quota_purge_room(enl_profile *p)
{
    return room(p, "purges", &p->held_purges, p->quota_notes);
}

void enl_quota_purge_added(enl_profile *p)
{
    if (p->held_purges >= 0) p->held_purges++;
}

int enl_quota_burn_room(enl_profile *p)
{
    return room(p, "burns", &p->held_burns, p->quota_notes / 10);
}

void enl_quota_burn_added(enl_profile *p)
{
    if (p->held_burns >= 0) p->held_burns++;
}

int enl_profile_exists(const char *home)
{
    return enl_store_exists(home);
}

int enl_profile_create(enl_profile **out, const char *home, const char *name,
                       const char *pass, size_t pass_len, enl_kdf_level kdf)
{
    enl_profile *p = NULL;
    uint8_t idbuf[ENL_IDENTITY_BYTES];
    int rc;

    if (home == NULL || name == NULL || !enl_name_valid(name)) return ENL_EINVAL;
    if ((rc = alloc_profile(&p)) != ENL_OK) return rc;
    if ((rc = enl_identity_generate(p->id, enl_now())) != ENL_OK) goto out;
    if ((rc = enl_store_create(&p->st, home, pass, pass_len, kdf)) != ENL_OK) goto out;
    enl_identity_serialize(idbuf, p->id);
    if ((rc = enl_store_begin(p->st)) != ENL_OK) goto out;
    rc = enl_store_secret_put(p->st, "identity", idbuf, sizeof idbuf);
    if (rc == ENL_OK) rc = enl_store_secret_put(p->st, "self", (const uint8_t *)name, strlen(name));
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
    if (rc != ENL_OK) goto out;
    snprintf(p->name, sizeof p->name, "%s", name);
    enl_fingerprint_raw(p->fp, p->id->sign_pk, p->id->dh_pk);
    *out = p;
    p = NULL;
out:
    sodium_memzero(idbuf, sizeof idbuf);
    enl_profile_close(p);
    return rc;
}

/* After a duress unlock the store is empty: it becomes a new profile with
 * a fresh identity and the same name, as if just created. */
static int refill_after_duress(enl_profile *p, const char *name)
{
    uint8_t idbuf[ENL_IDENTITY_BYTES];
    int rc = enl_identity_generate(p->id, enl_now());
    if (rc != ENL_OK) return rc;
    enl_identity_serialize(idbuf, p->id);
    if ((rc = enl_store_begin(p->st)) != ENL_OK) goto out;
    rc = enl_store_secret_put(p->st, "identity", idbuf, sizeof idbuf);
    if (rc == ENL_OK) rc = enl_store_secret_put(p->st, "self", (const uint8_t *)name, strlen(name));
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
out:
    sodium_memzero(idbuf, sizeof idbuf);
    return rc;
}

/* A store that opens but holds no identity and nothing else: its creation
 * was cut short (the process killed between the store's first commit and
 * the identity's), as was a duress reset between emptying the store and
 * refilling it. There is no profile in it to open. */
static int never_finished(enl_profile *p)
{
    /* secrets first: a creation (or a duress refill) writes the identity
     * and the name in one transaction, so any secret left means damage */
    static const char *const tables[] = { "secrets", "contacts", "sessions", "messages", "notes",
                                          "purges", "outbox", "burns", "cells", "files", "follows",
                                          "bulletins" };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        uint64_t n = 0;
        if (enl_store_count(p->st, tables[i], &n) != ENL_OK || n != 0) return 0;
    }
    return 1;
}

int enl_profile_open(enl_profile **out, const char *home, const char *pass, size_t pass_len)
{
    enl_profile *p = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    char reset_name[ENL_NAME_MAX + 1];
    int rc;

    if (home == NULL) return ENL_EINVAL;
    if ((rc = alloc_profile(&p)) != ENL_OK) return rc;
    if ((rc = enl_store_open(&p->st, home, pass, pass_len)) != ENL_OK) goto out;
    if (enl_store_was_reset(p->st, reset_name) &&
        (rc = refill_after_duress(p, enl_name_valid(reset_name) ? reset_name : "me")) != ENL_OK)
        goto out;
    if ((rc = enl_store_secret_get(p->st, "identity", &buf, &len)) != ENL_OK) {
        if (rc == ENL_ENOTFOUND) rc = never_finished(p) ? ENL_ENOPROFILE : ENL_ESTORE;
        goto out;
    }
    rc = enl_identity_parse(p->id, buf, len);
    enl_store_free(buf, len);
    buf = NULL;
    if (rc != ENL_OK) goto out;
    if ((rc = enl_store_secret_get(p->st, "self", &buf, &len)) != ENL_OK) goto out;
    if (len > ENL_NAME_MAX) { enl_store_free(buf, len); rc = ENL_ESTORE; goto out; }
    memcpy(p->name, buf, len);
    p->name[len] = '\0';
    enl_store_free(buf, len);
    enl_fingerprint_raw(p->fp, p->id->sign_pk, p->id->dh_pk);
    if ((rc = enl_prekey_maintain(p)) != ENL_OK) goto out;
    if ((rc = enl_cells_upgrade(p)) != ENL_OK) goto out;
    *out = p;
    p = NULL;
out:
    enl_profile_close(p);
    return rc;
}

int enl_profile_twin(const enl_profile *p, enl_profile **out)
{
    enl_profile *t = NULL;
    int rc = alloc_profile(&t);
    if (rc != ENL_OK) return rc;
    if ((rc = enl_store_twin(p->st, &t->st)) != ENL_OK) {
        enl_profile_close(t);
        return rc;
    }
    memcpy(t->id, p->id, sizeof *t->id);
    memcpy(t->name, p->name, sizeof t->name);
    memcpy(t->fp, p->fp, sizeof t->fp);
    t->quota_notes = p->quota_notes;
    t->quota_bytes = p->quota_bytes;
    t->twin = 1;
    *out = t;
    return ENL_OK;
}

int enl_profile_change_passphrase(enl_profile *p, const char *pass, size_t pass_len)
{
    if (pass == NULL || pass_len == 0) return ENL_EINVAL;
    return enl_store_rekey(p->st, pass, pass_len);
}

int enl_profile_set_duress(enl_profile *p, const char *pass, size_t pass_len)
{
    if (pass == NULL || pass_len == 0) return ENL_EINVAL;
    return enl_store_set_duress(p->st, pass, pass_len, p->name);
}

int enl_profile_wipe(const char *home)
{
    return enl_store_wipe(home);
}

void enl_profile_close(enl_profile *p)
{
    if (p == NULL) return;
    /* Old versions of rows (session states, read or deleted messages) must
     * not linger in the log; best effort, another process may hold it. */
    if (p->st != NULL && !p->twin) (void)enl_store_checkpoint(p->st);   /* a twin's session did */
    enl_store_close(p->st);
    sodium_free(p->id);
    enl_contact_memo_free(p);
    enl_session_memo_free(p);
    enl_tags_cache_free(p);
    enl_handshake_forget_keys();
    sodium_memzero(p, sizeof *p);
    free(p);
    enl_secmem_flush();
}

const char *enl_profile_errmsg(const enl_profile *p)
{
    if (p == NULL) return "";
    if (p->err[0]) return p->err;
    return enl_store_errmsg(p->st);
}

int enl_profile_name(const enl_profile *p, char name[ENL_NAME_MAX + 1])
{
    snprintf(name, ENL_NAME_MAX + 1, "%s", p->name);
    return ENL_OK;
}

int enl_profile_fingerprint(const enl_profile *p, char fp[ENL_FINGERPRINT_STRBYTES])
{
    enl_fingerprint_text(fp, p->fp);
    return ENL_OK;
}

int enl_profile_card(enl_profile *p, char **card_text)
{
    char *t = malloc(ENL_CARD_TEXTMAX);
    int rc;
    if (t == NULL) return ENL_ENOMEM;
    rc = enl_card_make(t, ENL_CARD_TEXTMAX, p->id, p->name, NULL, enl_now());
    if (rc != ENL_OK) {
        enl_free_wiped(t, ENL_CARD_TEXTMAX);    /* what of my card was written */
        return rc;
    }
    *card_text = t;
    return ENL_OK;
}

int enl_profile_batch_begin(enl_profile *p)
{
    if (p == NULL) return ENL_EINVAL;
    if (enl_store_in_transaction(p->st))
        return enl_fail(p, ENL_EINVAL, "a batch is already open on this profile");
    return enl_store_begin(p->st);
}

int enl_profile_batch_commit(enl_profile *p)
{
    if (p == NULL) return ENL_EINVAL;
    if (!enl_store_in_transaction(p->st)) return enl_fail(p, ENL_EINVAL, "no batch is open");
    return enl_store_commit(p->st);
}
