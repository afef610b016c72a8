/*
 * Bulletins: publishing, following, reading; see core/bulletin.h for what
 * is stored and note/bulletin.h for what travels.
 *
 * An author publishes at most ENL_BULLETIN_SLOTS bulletins a day: the
 * position (day, slot) picks the tag, key and nonce, so a position must
 * never be used twice. The counter that guarantees it is kept encrypted in
 * the profile (secret "bulletin_day": day u32 | slots used u8), and a
 * clock that went back before the last day used is refused.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/bulletin.h"
#include "util/base32.h"
#include "util/bytes.h"
#include "util/secmem.h"

#define FOLLOW_VERSION 1
#define FOLLOW_FIXED (1 + ENL_BULLETIN_FPBYTES + 8 + 4 + 1)
#define FOLLOW_MAX (FOLLOW_FIXED + ENL_NAME_MAX)
#define ROW_VERSION 1
#define ROW_FIXED (1 + 1 + 32 + 32 + 32 + 8 + 8 + 4 + 1 + 4)
#define RETAKE_MAX 4096     /* held notes looked at again per follow */

typedef struct {
    uint8_t fp[ENL_BULLETIN_FPBYTES];
    uint64_t added;
    uint32_t start;         /* first day of the tag window */
    char name[ENL_NAME_MAX + 1];
} follow_rec;

typedef struct {
    int mine;
    uint8_t id[32];
    uint64_t received;
    enl_bulletin b;         /* points into the row's plaintext */
} bulletin_rec;

static uint32_t today(void)
{
    return (uint32_t)(enl_now() / 86400);
}

/* ---- follows --------------------------------------------------------- */

static void follow_key(enl_profile *p, const uint8_t fp[ENL_BULLETIN_FPBYTES], uint8_t h[32])
{
    enl_store_index(p->st, h, "follows", fp, ENL_BULLETIN_FPBYTES);
}

static int follow_decode(follow_rec *f, const uint8_t *in, size_t len)
{
    enl_rd r = enl_rd_init(in, len);
    const uint8_t *q;
    size_t n;
    memset(f, 0, sizeof *f);
    if (enl_rd_u8(&r) != FOLLOW_VERSION) return ENL_ESTORE;
    enl_rd_bytes(&r, f->fp, sizeof f->fp);
    f->added = enl_rd_u64(&r);
    f->start = enl_rd_u32(&r);
    n = enl_rd_u8(&r);
    if ((q = enl_rd_ptr(&r, n)) == NULL || n > ENL_NAME_MAX || r.err) return ENL_ESTORE;
    memcpy(f->name, q, n);
    return ENL_OK;
}

static int follow_put(enl_profile *p, const follow_rec *f)
{
    uint8_t buf[FOLLOW_MAX], h[32];
    size_t nl = strlen(f->name);
    enl_wr w = enl_wr_init(buf, sizeof buf);
    enl_wr_u8(&w, FOLLOW_VERSION);
    enl_wr_bytes(&w, f->fp, sizeof f->fp);
    enl_wr_u64(&w, f->added);
    enl_wr_u32(&w, f->start);
    enl_wr_u8(&w, (uint8_t)nl);
    enl_wr_bytes(&w, (const uint8_t *)f->name, nl);
    if (w.err) return ENL_EINVAL;
    follow_key(p, f->fp, h);
    return enl_store_row_put(p->st, "follows", h, buf, w.len);
}

static int follow_get(enl_profile *p, const uint8_t h[32], follow_rec *f)
{
    uint8_t *pt = NULL;
    size_t len = 0;
    int rc = enl_store_row_get(p->st, "follows", h, &pt, &len);
    if (rc != ENL_OK) return rc;
    rc = follow_decode(f, pt, len);
    enl_store_free(pt, len);
    return rc;
}

/* The window's tags, pointing at the follow's row. */
static int follow_tags(enl_profile *p, const follow_rec *f, uint8_t (*tags)[ENL_BULLETIN_TAGBYTES])
{
    uint8_t k[32], h[32];
    enl_bulletin_author_key(k, f->fp);
    enl_bulletin_window_tags(tags, k, f->start);
    follow_key(p, f->fp, h);
    return enl_store_tags_replace(p->st, h, (const uint8_t (*)[16])tags, ENL_BULLETIN_TAGS);
}

typedef struct {
    uint8_t (*ids)[32];
    size_t n;
} id_list;

static int collect_id(void *ctx, const uint8_t id[32])
{
    id_list *l = ctx;
    if (l->n >= RETAKE_MAX) return 1;
    memcpy(l->ids[l->n++], id, 32);
    return 0;
}

/* Held notes under any of the tags (bulletins carried before the author
 * was followed, or before their day came into the window), taken in again. */
static int retake_tags(enl_profile *p, const uint8_t (*tags)[ENL_BULLETIN_TAGBYTES],
                       enl_sync_stats *stats)
{
    id_list l = { malloc(RETAKE_MAX * 32), 0 };
    int rc = ENL_OK;
    if (l.ids == NULL) return ENL_ENOMEM;
    for (size_t i = 0; rc == ENL_OK && i < ENL_BULLETIN_TAGS && l.n < RETAKE_MAX; i++)
        rc = enl_store_notes_by_tag(p->st, tags[i], collect_id, &l);
    if (rc == ENL_OK && l.n > 0) rc = enl_notes_retake(p, (const uint8_t (*)[32])l.ids, l.n, stats);
    free(l.ids);
    return rc;
}

typedef struct {
    follow_rec *v;
    size_t n, cap;
} follow_list;

static int collect_follow(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    follow_list *l = ctx;
    (void)seq;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        /* whom this device follows, decrypted: no copy left in freed heap */
        follow_rec *v = enl_grow_wiped(l->v, l->cap * sizeof *v, cap * sizeof *v);
        if (v == NULL) return ENL_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    if (follow_decode(&l->v[l->n], pt, len) != ENL_OK) return ENL_ESTORE;
    l->n++;
    return 0;
}

int enl_follows_refresh(enl_profile *p, enl_sync_stats *stats)
{
    follow_list l = { NULL, 0, 0 };
    uint8_t (*tags)[ENL_BULLETIN_TAGBYTES] = NULL;
    uint32_t day = today(), start = enl_bulletin_window_start(day);
    int rc;

    if (p->follows_day == day) return ENL_OK;
    rc = enl_store_row_each(p->st, "follows", collect_follow, &l);
    if (rc == ENL_OK && (tags = malloc(ENL_BULLETIN_TAGS * sizeof *tags)) == NULL) rc = ENL_ENOMEM;
    for (size_t i = 0; rc == ENL_OK && i < l.n; i++) {
        if (l.v[i].start == start) continue;
        l.v[i].start = start;
        if ((rc = enl_store_begin(p->st)) != ENL_OK) break;
        rc = follow_put(p, &l.v[i]);
        if (rc == ENL_OK) rc = follow_tags(p, &l.v[i], tags);
        if (rc == ENL_OK) rc = enl_store_commit(p->st);
        else enl_store_rollback(p->st);
        if (rc == ENL_OK) rc = retake_tags(p, (const uint8_t (*)[16])tags, stats);
    }
    if (rc == ENL_OK) p->follows_day = day;
    /* the tags of the authors followed: whom this device reads */
    if (tags != NULL) enl_free_wiped(tags, ENL_BULLETIN_TAGS * sizeof *tags);
    enl_free_wiped(l.v, l.cap * sizeof *l.v);
    return rc;
}

/* What is wrong with text, which is no fingerprint: said with what one
 * looks like, and the contact it is closest to (a typo of theirs). */
static int not_a_fingerprint(enl_profile *p, const char *text)
{
    char chars[ENL_FINGERPRINT_CHARSMAX + 1], what[64], near[ENL_NAME_MAX + 64] = "";
    size_t n = enl_fingerprint_chars(chars, sizeof chars, text);
    const char *bad = n <= ENL_FINGERPRINT_CHARSMAX ? strchr(chars, '?') : NULL;
    char name[ENL_NAME_MAX + 1];
    unsigned places;
    if (bad != NULL) {
        const char *t = text;
        while (*t == ' ' || *t == '-' || *t == '\n' || *t == '\r' || *t == '\t' ||
               enl_base32_value(*t) >= 0)
            t++;
        if (*t > 0x20 && *t < 0x7f)
            snprintf(what, sizeof what, "no fingerprint holds '%c'", *t);
        else
            snprintf(what, sizeof what, "it holds a character no fingerprint holds");
    } else
        snprintf(what, sizeof what, "it has %zu characters", n);
    if (enl_contact_near(p, text, name, &places))
        snprintf(near, sizeof near, " (%u off %s's fingerprint: a typo?)", places, name);
    return enl_fail(p, ENL_EMALFORMED, "neither a card nor a fingerprint: %s%s; a fingerprint is "
                    "32 letters and digits in 8 groups of 4, as enlace contact show prints it",
                    what, near);
}

/* A card (as `contact add` takes one) or a printed fingerprint. */
/* sign_pk gets the author's signing key when who is a card (*have_key 1). */
static int parse_author(enl_profile *p, const char *who, follow_rec *f, uint8_t sign_pk[32],
                        int *have_key)
{
    memset(f, 0, sizeof *f);
    *have_key = 0;
    while (*who == ' ' || *who == '\t' || *who == '\n') who++;
    if (strncasecmp(who, "enlace", 6) == 0) {
        enl_card card;
        uint8_t fp[32];
        int rc = enl_card_parse(&card, who, strlen(who), enl_now());
        if (rc != ENL_OK) return enl_fail(p, rc, "card refused: %s", enl_strerror(rc));
        enl_fingerprint_raw(fp, card.sign_pk, card.dh_pk);
        memcpy(f->fp, fp, sizeof f->fp);
        memcpy(f->name, card.name, sizeof f->name);
        memcpy(sign_pk, card.sign_pk, 32);
        *have_key = 1;
    } else if (enl_fingerprint_parse(f->fp, who) != ENL_OK) {
        return not_a_fingerprint(p, who);
    }
    if (sodium_memcmp(f->fp, p->fp, ENL_BULLETIN_FPBYTES) == 0)
        return enl_fail(p, ENL_ESELF, "that is your own: your bulletins are kept already");
    return ENL_OK;
}

typedef struct {
    const uint8_t *fp;
    char *name;
    int burned;
} fp_name_ctx;

static int contact_by_fp(const enl_contact_info *c, void *ctx)
{
    fp_name_ctx *x = ctx;
    char want[ENL_FINGERPRINT_STRBYTES];
    uint8_t fp[32] = { 0 };
    memcpy(fp, x->fp, ENL_BULLETIN_FPBYTES);
    enl_fingerprint_text(want, fp);
    if (strcmp(want, c->fingerprint) != 0) return 0;
    memcpy(x->name, c->name, ENL_NAME_MAX + 1);
    x->burned = c->burned;
    return 1;
}

/* Following keys burned here would read nothing: their bulletins are
 * refused (author_burned). Said at once, not found out from an empty
 * list days later. Known burned: a contact's keys burned here, or, for a
 * card, keys whose revocation is or was held here. */
static int refuse_burned(enl_profile *p, const follow_rec *f, const uint8_t sign_pk[32],
                         int have_key)
{
    char name[ENL_NAME_MAX + 1] = "";
    fp_name_ctx x = { f->fp, name, 0 };
    int rc = have_key ? enl_burn_key_known(p, sign_pk) : 0;
    if (rc < 0) return rc;
    (void)enl_contact_each(p, contact_by_fp, &x);
    if (rc == 0 && !x.burned) return ENL_OK;
    return enl_fail(p, ENL_EREFUSED, "%s%s%skeys are burned on this device: their bulletins "
                    "are refused here (whoever holds the keys could sign them), so following "
                    "them would read nothing", name[0] ? "" : "these ", name,
                    name[0] ? "'s " : "");
}

static void follow_info(enl_profile *p, const follow_rec *f, enl_follow_info *out)
{
    uint8_t fp[32] = { 0 };
    fp_name_ctx x = { f->fp, out->name, 0 };
    memset(out, 0, sizeof *out);
    memcpy(fp, f->fp, ENL_BULLETIN_FPBYTES);
    enl_fingerprint_text(out->fingerprint, fp);
    memcpy(out->name, f->name, sizeof out->name);
    (void)enl_contact_each(p, contact_by_fp, &x);
    out->added = f->added;
}

int enl_bulletin_follow(enl_profile *p, const char *who, enl_follow_info *out)
{
    follow_rec f;
    enl_sync_stats st;
    uint8_t h[32], (*tags)[ENL_BULLETIN_TAGBYTES] = NULL, sign_pk[32];
    int rc, have_key;

    if (who == NULL) return ENL_EINVAL;
    if ((rc = parse_author(p, who, &f, sign_pk, &have_key)) != ENL_OK ||
        (rc = refuse_burned(p, &f, sign_pk, have_key)) != ENL_OK) {
        sodium_memzero(&f, sizeof f);
        return rc;
    }
    f.added = enl_now();
    f.start = enl_bulletin_window_start(today());
    follow_key(p, f.fp, h);
    if ((tags = malloc(ENL_BULLETIN_TAGS * sizeof *tags)) == NULL) return ENL_ENOMEM;
    if ((rc = enl_store_begin(p->st)) != ENL_OK) goto out;
    {
        follow_rec known;
        rc = follow_get(p, h, &known);
    }
    if (rc == ENL_OK) rc = enl_fail(p, ENL_EEXISTS, "already following this author");
    else if (rc == ENL_ENOTFOUND) rc = follow_put(p, &f);
    if (rc == ENL_OK) rc = follow_tags(p, &f, tags);
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
    /* What was carried here before is read now. */
    memset(&st, 0, sizeof st);
    if (rc == ENL_OK) rc = retake_tags(p, (const uint8_t (*)[16])tags, &st);
    if (rc == ENL_OK && out != NULL) {
        follow_info(p, &f, out);
        out->bulletins = st.bulletins;
        /* A fingerprint (a card checks itself) that is no contact's, typed
         * a few places off one that is: most likely that contact's,
         * mistyped. Followed all the same: the author may be no contact. */
        if (!f.name[0] && !out->name[0]) {
            if (!enl_contact_near(p, who, out->near, &out->near_places)) {
                out->near[0] = '\0';
                out->near_places = 0;
            }
        }
    }
out:
    enl_free_wiped(tags, ENL_BULLETIN_TAGS * sizeof *tags);
    sodium_memzero(&f, sizeof f);
    return rc;
}

/* ---- bulletin rows --------------------------------------------------- */

static int row_decode(bulletin_rec *r, const uint8_t *in, size_t len)
{
    enl_rd rd = enl_rd_init(in, len);
    size_t n;
    memset(r, 0, sizeof *r);
    if (enl_rd_u8(&rd) != ROW_VERSION) return ENL_ESTORE;
    r->mine = enl_rd_u8(&rd);
    enl_rd_bytes(&rd, r->id, 32);
    enl_rd_bytes(&rd, r->b.sign_pk, 32);
    enl_rd_bytes(&rd, r->b.dh_pk, 32);
    r->b.published = enl_rd_u64(&rd);
    r->received = enl_rd_u64(&rd);
    r->b.expiry_hours = enl_rd_u32(&rd);
    n = enl_rd_u8(&rd);
    r->b.channel = enl_rd_ptr(&rd, n);
    r->b.channel_len = n;
    n = enl_rd_u32(&rd);
    r->b.text = enl_rd_ptr(&rd, n);
    r->b.text_len = n;
    return rd.err || r->b.channel_len > ENL_BULLETIN_CHANNEL_MAX ? ENL_ESTORE : ENL_OK;
}

static int row_put(enl_profile *p, const enl_bulletin *b, const uint8_t id[32], int mine)
{
    size_t len = ROW_FIXED + b->channel_len + b->text_len;
    uint8_t h[32], *buf = sodium_malloc(len);
    enl_wr w = enl_wr_init(buf, len);
    int rc;
    if (buf == NULL) return ENL_ENOMEM;
    enl_wr_u8(&w, ROW_VERSION);
    enl_wr_u8(&w, (uint8_t)(mine != 0));
    enl_wr_bytes(&w, id, 32);
    enl_wr_bytes(&w, b->sign_pk, 32);
    enl_wr_bytes(&w, b->dh_pk, 32);
    enl_wr_u64(&w, b->published);
    enl_wr_u64(&w, enl_now());
    enl_wr_u32(&w, b->expiry_hours);
    enl_wr_u8(&w, (uint8_t)b->channel_len);
    enl_wr_bytes(&w, b->channel, b->channel_len);
    enl_wr_u32(&w, (uint32_t)b->text_len);
    enl_wr_bytes(&w, b->text, b->text_len);
    enl_store_index(p->st, h, "bulletins", id, 32);
    rc = w.err ? ENL_EINVAL : enl_store_row_put(p->st, "bulletins", h, buf, len);
    sodium_free(buf);
    return rc;
}

/* What the "seen" set holds for a position read here (its tag names the
 * author and the position): one bulletin a position is read. */
static void position_mark(uint8_t mark[32], const uint8_t tag[ENL_BULLETIN_TAGBYTES])
{
    static const char ctx[] = "enlace bulletin position v1";
    crypto_generichash(mark, 32, tag, ENL_BULLETIN_TAGBYTES, (const uint8_t *)ctx, sizeof ctx - 1);
}

int enl_bulletin_keep(enl_profile *p, const enl_bulletin *b, const enl_note_header *h,
                      const uint8_t id[32], const uint8_t *note, size_t len, int held,
                      unsigned *evicted)
{
    uint8_t mark[32];
    /* The position's mark lives as long as its day is recognised (the
     * window, and a day more), not as long as this bulletin: once it
     * expired, another one signed at the same position would be read. */
    uint64_t day_ends = b->published / 86400 + ENL_BULLETIN_WINDOW_DAYS + 1;
    uint32_t mark_expiry = day_ends * 24 > h->expiry_hours && day_ends * 24 < UINT32_MAX
                               ? (uint32_t)(day_ends * 24) : h->expiry_hours;
    int rc = row_put(p, b, id, 0);
    /* Read once; never purged: no purge key exists, readers carry it on. */
    if (rc == ENL_OK) rc = enl_store_set_add(p->st, "seen", id, h->expiry_hours);
    position_mark(mark, note + ENL_NOTE_HEADERBYTES);
    if (rc == ENL_OK) rc = enl_store_set_add(p->st, "seen", mark, mark_expiry);
    if (rc == ENL_OK && !held) rc = enl_quota_keep_read(p, id, h, note, len, evicted);
    return rc;
}

/* 1 when the author's keys are burned on this device: a contact's burned
 * here, or keys whose revocation (a notice they signed) is or was held.
 * Whoever holds them now (a captor) signs bulletins as well as the author
 * did, at every position not used yet: as a cell takes no note from them,
 * no bulletin of theirs is read or carried (review rev-cell). */
static int author_burned(enl_profile *p, const enl_bulletin *b)
{
    enl_contact c;
    int rc = enl_burn_key_known(p, b->sign_pk), burned;
    if (rc != 0) return rc;
    burned = enl_contact_by_dh(p, b->dh_pk, &c) == ENL_OK &&
             sodium_memcmp(c.card.sign_pk, b->sign_pk, 32) == 0 && c.burned;
    sodium_memzero(&c, sizeof c);
    return burned;
}

int enl_bulletin_recognise(enl_profile *p, const uint8_t h[32], const uint8_t *note, size_t len,
                           uint8_t *plain, enl_bulletin *b)
{
    follow_rec f;
    uint8_t k[32], tag[ENL_BULLETIN_TAGBYTES], mark[32];
    int rc = follow_get(p, h, &f);
    if (rc != ENL_OK) return rc;
    if (len < ENL_NOTE_HEADERBYTES + ENL_BULLETIN_TAGBYTES) return ENL_EMALFORMED;
    enl_bulletin_author_key(k, f.fp);
    /* The lookup said which author; the position is one of the window's
     * ENL_BULLETIN_TAGS, found by recomputing them (only for a note that
     * is a bulletin of someone followed). */
    for (uint32_t d = 0; d < ENL_BULLETIN_WINDOW_DAYS; d++)
        for (uint32_t s = 0; s < ENL_BULLETIN_SLOTS; s++) {
            enl_bulletin_tag(tag, k, f.start + d, (uint8_t)s);
            if (sodium_memcmp(tag, note + ENL_NOTE_HEADERBYTES, sizeof tag) != 0) continue;
            rc = enl_bulletin_open(b, plain, note, len, k, f.fp, f.start + d, (uint8_t)s);
            if (rc != ENL_OK) return rc;
            if ((rc = author_burned(p, b)) != 0)
                return rc < 0 ? rc : enl_fail(p, ENL_EREFUSED, "a bulletin from keys burned on "
                                              "this device is refused");
            /* A position is used once: whoever holds the author's key (a
             * seized device) could sign bulletins at it without end, each
             * one more row kept here. */
            position_mark(mark, tag);
            if ((rc = enl_store_set_has(p->st, "seen", mark)) != 0)
                return rc < 0 ? rc : enl_fail(p, ENL_EREFUSED, "another bulletin of this "
                                              "author at the same position was read here");
            return ENL_OK;
        }
    return ENL_ENOTFORME;
}

int enl_bulletin_author_name(enl_profile *p, const uint8_t sign_pk[32], const uint8_t dh_pk[32],
                             char name[ENL_NAME_MAX + 1])
{
    enl_contact c;
    follow_rec f;
    uint8_t fp[32], h[32];
    name[0] = '\0';
    if (enl_contact_by_dh(p, dh_pk, &c) == ENL_OK && sodium_memcmp(c.card.sign_pk, sign_pk, 32) == 0) {
        memcpy(name, c.name, ENL_NAME_MAX + 1);
        return 1;
    }
    enl_fingerprint_raw(fp, sign_pk, dh_pk);
    follow_key(p, fp, h);
    if (follow_get(p, h, &f) == ENL_OK) memcpy(name, f.name, ENL_NAME_MAX + 1);
    return 0;
}

/* ---- publishing ------------------------------------------------------ */

/* The next free position of today, or why there is none. */
static int next_slot(enl_profile *p, uint32_t day, uint8_t *slot)
{
    uint8_t *pt = NULL;
    size_t len = 0;
    uint32_t last = 0;
    uint8_t used = 0;
    int rc = enl_store_secret_get(p->st, "bulletin_day", &pt, &len);
    if (rc == ENL_OK) {
        if (len != 5) rc = ENL_ESTORE;
        else {
            last = enl_load_be32(pt);
            used = pt[4];
        }
        enl_store_free(pt, len);
    } else if (rc == ENL_ENOTFOUND) {
        rc = ENL_OK;
    }
    if (rc != ENL_OK) return rc;
    if (day < last)
        return enl_fail(p, ENL_EFUTURE, "this device's clock is behind the day of the last "
                        "bulletin published here: set the clock right and try again");
    *slot = day == last ? used : 0;
    if (*slot >= ENL_BULLETIN_SLOTS)
        return enl_fail(p, ENL_EFULL, "%d bulletins were published today already: the next "
                        "can be published tomorrow (UTC)", ENL_BULLETIN_SLOTS);
    return ENL_OK;
}

static int slot_used(enl_profile *p, uint32_t day, uint8_t slot)
{
    uint8_t rec[5];
    enl_store_be32(rec, day);
    rec[4] = (uint8_t)(slot + 1);
    return enl_store_secret_put(p->st, "bulletin_day", rec, sizeof rec);
}

static int check_opts(enl_profile *p, const char *channel, uint32_t hours, size_t len)
{
    size_t cl = strlen(channel);
    if (len > ENL_TEXT_MAX)
        return enl_fail(p, ENL_ETOOBIG, "a bulletin holds at most %d bytes", ENL_TEXT_MAX);
    if (hours > ENL_BULLETIN_EXPIRY_MAX_HOURS)
        return enl_fail(p, ENL_EINVAL, "a bulletin lives at most %d hours (%d days)",
                        ENL_BULLETIN_EXPIRY_MAX_HOURS, ENL_BULLETIN_LIFETIME_DAYS);
    if (cl > ENL_BULLETIN_CHANNEL_MAX)
        return enl_fail(p, ENL_ETOOBIG, "a channel name is at most %d bytes", ENL_BULLETIN_CHANNEL_MAX);
    for (size_t i = 0; i < cl; i++)
        if ((unsigned char)channel[i] < 0x20 || channel[i] == 0x7f)
            return enl_fail(p, ENL_EINVAL, "a channel name holds no control characters");
    return ENL_OK;
}

int enl_bulletin_publish(enl_profile *p, const uint8_t *text, size_t len,
                         const enl_bulletin_opts *opts, uint8_t note_id[ENL_IDBYTES],
                         uint64_t *expires)
{
    const char *channel = opts != NULL && opts->channel != NULL ? opts->channel : "";
    uint32_t hours = opts != NULL && opts->expiry_hours ? opts->expiry_hours
                                                        : ENL_BULLETIN_EXPIRY_DEFAULT_HOURS;
    uint64_t now = enl_now();
    uint32_t day = (uint32_t)(now / 86400);
    uint8_t k[32], lock[ENL_PURGELOCKBYTES], id[ENL_IDBYTES], slot = 0, *note = NULL, *plain = NULL;
    size_t note_len = 0;
    enl_bulletin b;
    int rc, in_tx = 0;

    if (text == NULL && len > 0) return ENL_EINVAL;
    if ((rc = check_opts(p, channel, hours, len)) != ENL_OK) return rc;
    if ((rc = enl_bulletin_note_len(strlen(channel), len, &note_len)) != ENL_OK) return rc;
    note = malloc(note_len);
    plain = sodium_malloc(note_len);
    if (note == NULL || plain == NULL) { rc = ENL_ENOMEM; goto out; }
    /* From picking the position to counting it used, nobody else may pick it. */
    if ((rc = enl_store_begin(p->st)) != ENL_OK) goto out;
    in_tx = 1;
    if ((rc = next_slot(p, day, &slot)) != ENL_OK) goto out;

    memset(&b, 0, sizeof b);
    b.published = now;
    /* Rounded up to the next whole hour, like a message's expiry. */
    b.expiry_hours = (uint32_t)((now + (uint64_t)hours * 3600 + 3599) / 3600);
    b.channel = (const uint8_t *)channel;
    b.channel_len = strlen(channel);
    b.text = text;
    b.text_len = len;
    /* A random lock nobody holds the key to: a bulletin is never purged. */
    enl_purge_lock_random(lock);
    enl_note_header_encode(note, b.expiry_hours, lock);
    enl_bulletin_author_key(k, p->fp);
    if ((rc = enl_bulletin_seal(note, note_len, plain, p->id, k, day, slot, &b)) != ENL_OK) goto out;
    enl_note_id(id, note, note_len);
    memcpy(b.sign_pk, p->id->sign_pk, 32);
    memcpy(b.dh_pk, p->id->dh_pk, 32);

    rc = slot_used(p, day, slot);
    if (rc == ENL_OK) {
        uint8_t own[ENL_STORE_SOURCEBYTES];
        enl_store_own_source(p->st, own, (const uint8_t *)"bulletins", 9);
        rc = enl_store_note_put(p->st, id, lock, b.expiry_hours, note + ENL_NOTE_HEADERBYTES, own,
                                note, note_len);
    }
    if (rc == ENL_OK) rc = row_put(p, &b, id, 1);
    if (rc == ENL_OK) {
        in_tx = 0;
        rc = enl_store_commit(p->st);
    }
    if (rc == ENL_OK && note_id != NULL) memcpy(note_id, id, sizeof id);
    if (rc == ENL_OK && expires != NULL) *expires = (uint64_t)b.expiry_hours * 3600;
out:
    if (in_tx) enl_store_rollback(p->st);
    if (plain != NULL) sodium_free(plain);
    free(note);
    return rc;
}

/* ---- listing and unfollowing ----------------------------------------- */

typedef struct {
    uint8_t **rows;
    size_t *lens, n, cap;
} row_list;

static int collect_row(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    row_list *l = ctx;
    (void)seq;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        uint8_t **r = realloc(l->rows, cap * sizeof *r);
        size_t *s;
        if (r == NULL) return ENL_ENOMEM;
        l->rows = r;
        if ((s = realloc(l->lens, cap * sizeof *s)) == NULL) return ENL_ENOMEM;
        l->lens = s;
        l->cap = cap;
    }
    if ((l->rows[l->n] = sodium_malloc(len ? len : 1)) == NULL) return ENL_ENOMEM;
    memcpy(l->rows[l->n], pt, len);
    l->lens[l->n++] = len;
    return 0;
}

static void rows_free(row_list *l)
{
    for (size_t i = 0; i < l->n; i++) sodium_free(l->rows[i]);
    free(l->rows);
    free(l->lens);
}

static int by_published(const void *a, const void *b)
{
    const bulletin_rec *x = a, *y = b;
    if (x->b.published != y->b.published) return x->b.published < y->b.published ? -1 : 1;
    return memcmp(x->id, y->id, 32);
}

/* Every row decoded (pointing into l), oldest published first. */
static int load_rows(enl_profile *p, row_list *l, bulletin_rec **out)
{
    bulletin_rec *v;
    int rc = enl_store_row_each(p->st, "bulletins", collect_row, l);
    if (rc != ENL_OK) return rc;
    if ((v = calloc(l->n ? l->n : 1, sizeof *v)) == NULL) return ENL_ENOMEM;
    for (size_t i = 0; i < l->n; i++)
        if (row_decode(&v[i], l->rows[i], l->lens[i]) != ENL_OK) {
            enl_free_wiped(v, (l->n ? l->n : 1) * sizeof *v);
            return ENL_ESTORE;
        }
    if (l->n > 1) qsort(v, l->n, sizeof *v, by_published);
    *out = v;
    return ENL_OK;
}

/* Deletes the rows of one author (fp20 given), or the expired ones (fp NULL). */
static int delete_rows(enl_profile *p, const bulletin_rec *v, size_t n, const uint8_t *fp)
{
    uint32_t now = enl_now_hours();
    int rc = ENL_OK;
    for (size_t i = 0; rc == ENL_OK && i < n; i++) {
        uint8_t afp[32], h[32];
        enl_fingerprint_raw(afp, v[i].b.sign_pk, v[i].b.dh_pk);
        if (fp != NULL ? sodium_memcmp(afp, fp, ENL_BULLETIN_FPBYTES) != 0 || v[i].mine
                       : v[i].b.expiry_hours > now)
            continue;
        enl_store_index(p->st, h, "bulletins", v[i].id, 32);
        rc = enl_store_row_delete(p->st, "bulletins", h);
        /* Unfollowed: following again reads the carried note again. */
        if (rc == ENL_OK && fp != NULL) rc = enl_store_set_del(p->st, "seen", v[i].id);
    }
    return rc;
}

static int with_rows(enl_profile *p, const uint8_t *fp,
                     int (*cb)(const enl_bulletin_info *b, void *ctx), void *ctx)
{
    row_list l = { NULL, NULL, 0, 0 };
    bulletin_rec *v = NULL;
    int rc = load_rows(p, &l, &v);
    if (rc == ENL_OK && (rc = enl_store_begin(p->st)) == ENL_OK) {
        rc = delete_rows(p, v, l.n, fp);
        if (rc == ENL_OK) rc = enl_store_commit(p->st);
        else enl_store_rollback(p->st);
    }
    for (size_t i = 0; rc == ENL_OK && cb != NULL && i < l.n; i++) {
        enl_bulletin_info info;
        uint8_t afp[32];
        if (v[i].b.expiry_hours <= enl_now_hours()) continue;
        memset(&info, 0, sizeof info);
        if (v[i].mine) memcpy(info.author, p->name, sizeof info.author);
        else info.author_contact = enl_bulletin_author_name(p, v[i].b.sign_pk, v[i].b.dh_pk, info.author);
        enl_fingerprint_raw(afp, v[i].b.sign_pk, v[i].b.dh_pk);
        enl_fingerprint_text(info.fingerprint, afp);
        memcpy(info.channel, v[i].b.channel, v[i].b.channel_len);
        info.text = (const char *)v[i].b.text;
        info.text_len = v[i].b.text_len;
        info.published = v[i].b.published;
        info.received = v[i].received;
        info.expires = (uint64_t)v[i].b.expiry_hours * 3600;
        memcpy(info.note_id, v[i].id, 32);
        info.mine = v[i].mine;
        if (cb(&info, ctx) != 0) break;
    }
    /* authors' keys, decoded: whom this device reads */
    if (v != NULL) enl_free_wiped(v, (l.n ? l.n : 1) * sizeof *v);
    rows_free(&l);
    return rc;
}

int enl_bulletins_sweep(enl_profile *p)
{
    return with_rows(p, NULL, NULL, NULL);
}

int enl_bulletin_each(enl_profile *p, int (*cb)(const enl_bulletin_info *b, void *ctx), void *ctx)
{
    if (p == NULL || cb == NULL) return ENL_EINVAL;
    return with_rows(p, NULL, cb, ctx);
}

int enl_bulletin_unfollow(enl_profile *p, const char *who, enl_follow_info *out)
{
    follow_rec f;
    uint8_t h[32], k[32], (*tags)[ENL_BULLETIN_TAGBYTES], sign_pk[32];
    int rc, have_key;
    if (who == NULL) return ENL_EINVAL;
    if ((rc = parse_author(p, who, &f, sign_pk, &have_key)) != ENL_OK) return rc;
    follow_key(p, f.fp, h);
    if ((rc = follow_get(p, h, &f)) == ENL_ENOTFOUND)
        return enl_fail(p, rc, "not following this author");
    if (rc != ENL_OK) return rc;
    if (out != NULL) follow_info(p, &f, out);
    if ((tags = malloc(ENL_BULLETIN_TAGS * sizeof *tags)) == NULL) return ENL_ENOMEM;
    enl_bulletin_author_key(k, f.fp);
    enl_bulletin_window_tags(tags, k, f.start);
    if ((rc = enl_store_begin(p->st)) != ENL_OK) {
        enl_free_wiped(tags, ENL_BULLETIN_TAGS * sizeof *tags);
        sodium_memzero(k, sizeof k);
        sodium_memzero(&f, sizeof f);
        return rc;
    }
    rc = enl_store_tags_replace(p->st, h, NULL, 0);
    if (rc == ENL_OK) rc = enl_store_row_delete(p->st, "follows", h);
    /* Following again reads the carried notes again, at their positions. */
    for (size_t i = 0; rc == ENL_OK && i < ENL_BULLETIN_TAGS; i++) {
        uint8_t mark[32];
        position_mark(mark, tags[i]);
        rc = enl_store_set_del(p->st, "seen", mark);
    }
    enl_free_wiped(tags, ENL_BULLETIN_TAGS * sizeof *tags);
    sodium_memzero(k, sizeof k);
    if (rc == ENL_OK) rc = enl_store_commit(p->st);
    else enl_store_rollback(p->st);
    /* What was read of this author goes too; the notes are still carried. */
    if (rc == ENL_OK) rc = with_rows(p, f.fp, NULL, NULL);
    sodium_memzero(&f, sizeof f);   /* whom this device followed */
    return rc;
}

static int by_added(const void *a, const void *b)
{
    const follow_rec *x = a, *y = b;
    if (x->added != y->added) return x->added < y->added ? -1 : 1;
    return memcmp(x->fp, y->fp, sizeof x->fp);
}

int enl_follow_each(enl_profile *p, int (*cb)(const enl_follow_info *f, void *ctx), void *ctx)
{
    follow_list l = { NULL, 0, 0 };
    int rc;
    if (p == NULL || cb == NULL) return ENL_EINVAL;
    rc = enl_store_row_each(p->st, "follows", collect_follow, &l);
    if (rc == ENL_OK && l.n > 1) qsort(l.v, l.n, sizeof *l.v, by_added);
    for (size_t i = 0; rc == ENL_OK && i < l.n; i++) {
        enl_follow_info info;
        follow_info(p, &l.v[i], &info);
        if (cb(&info, ctx) != 0) break;
    }
    enl_free_wiped(l.v, l.cap * sizeof *l.v);
    return rc;
}
