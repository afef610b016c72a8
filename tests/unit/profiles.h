/*
 * Real profiles for the unit tests that drive the library as users do: made
 * under one mkdtemp folder per test program, and introduced to each other
 * both ways, notes carried between them, and what their inboxes and cell
 * views then say. A test program defines PROFILES_ROOT (a mkdtemp template)
 * before it includes this, after cmocka.h, and passes setup and teardown to
 * cmocka_run_group_tests.
 */
#ifndef ENL_TEST_PROFILES_H
#define ENL_TEST_PROFILES_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enlace.h"

static char root[] = PROFILES_ROOT;

/* How many entries a folder holds (not counting . and ..). */
static inline int folder_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static inline enl_profile *mkprofile(const char *name)
{
    char home[256];
    enl_profile *p = NULL;
    snprintf(home, sizeof home, "%s/%s", root, name);
    assert_int_equal(enl_profile_create(&p, home, name, "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
    return p;
}

static inline void introduce(enl_profile *a, const char *an, enl_profile *b, const char *bn)
{
    char *card = NULL;
    assert_int_equal(enl_profile_card(b, &card), ENL_OK);
    assert_int_equal(enl_contact_add(a, card, bn, NULL), ENL_OK);
    free(card);
    assert_int_equal(enl_profile_card(a, &card), ENL_OK);
    assert_int_equal(enl_contact_add(b, card, an, NULL), ENL_OK);
    free(card);
}

typedef struct {
    enl_profile *p;
    char names[ENL_CELL_INVITES_MAX][ENL_NAME_MAX + 1];
    int n;
} invited_ctx;

static inline int collect_invited(const enl_cell_info *c, void *vctx)
{
    invited_ctx *v = vctx;
    if (c->invited && v->n < ENL_CELL_INVITES_MAX) snprintf(v->names[v->n++], ENL_NAME_MAX + 1, "%s", c->name);
    return 0;
}

/* The user says yes to every cell that admitted them, as soon as it does:
 * what every device did before a cell had to be joined. The tests of cells
 * are about what members do; test_cell_invite.c is about saying no. */
static inline void join_invitations(enl_profile *p)
{
    invited_ctx v;
    v.p = p;
    v.n = 0;
    assert_int_equal(enl_cell_each(p, collect_invited, &v), ENL_OK);
    for (int i = 0; i < v.n; i++) assert_int_equal(enl_cell_join(p, v.names[i]), ENL_OK);
}

typedef struct {
    enl_profile *from, *to;
} carry_ctx;

static inline int carry_one(const uint8_t id[ENL_IDBYTES], void *vctx)
{
    carry_ctx *c = vctx;
    uint8_t *note = NULL;
    size_t len = 0;
    if (enl_note_get(c->from, id, &note, &len) != ENL_OK) return 0;
    if (enl_note_intake(c->to, note, len, NULL) == ENL_OK) join_invitations(c->to);
    free(note);
    return 0;
}

/* Every note `from` holds, taken in by `to` as one sync would, and what
 * arrived counted as the sync counts it. Unlike carry_all, no invitation
 * is joined: what arrives is left as it came. */
typedef struct {
    enl_profile *from, *to;
    enl_sync_stats st;
} counted_carry;

static inline int carry_counted(const uint8_t id[ENL_IDBYTES], void *vctx)
{
    counted_carry *c = vctx;
    uint8_t *note = NULL;
    size_t len = 0;
    if (enl_note_get(c->from, id, &note, &len) != ENL_OK) return 0;
    (void)enl_note_intake(c->to, note, len, &c->st);
    free(note);
    return 0;
}

static inline enl_sync_stats arriving(enl_profile *from, enl_profile *to)
{
    counted_carry c;
    memset(&c, 0, sizeof c);
    c.from = from;
    c.to = to;
    assert_int_equal(enl_note_each(from, carry_counted, &c), ENL_OK);
    return c.st;
}

/* Every note each profile holds goes to every other, three rounds over:
 * what couriers do. */
/* Every note `from` holds, offered to `to`. */
static inline void carry_all(enl_profile *from, enl_profile *to)
{
    carry_ctx c = { from, to };
    assert_int_equal(enl_note_each(from, carry_one, &c), ENL_OK);
}

static inline void exchange(enl_profile **ps, size_t n)
{
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                carry_ctx c = { ps[i], ps[j] };
                if (i != j) assert_int_equal(enl_note_each(ps[i], carry_one, &c), ENL_OK);
            }
}

#ifdef ENL_UTIL_BYTES_H
/* The body of a cell log that holds one statement: cell id | count u16 (1)
 * | length u16 | statement. Returns its length. */
static inline size_t cell_log_of_one(uint8_t *body, size_t max, const uint8_t cid[32],
                                     const uint8_t *stmt, size_t len)
{
    enl_wr w = enl_wr_init(body, max);
    enl_wr_bytes(&w, cid, 32);
    enl_wr_u16(&w, 1);
    enl_wr_u16(&w, (uint16_t)len);
    enl_wr_bytes(&w, stmt, len);
    assert_false(w.err);
    return w.len;
}
#endif

#ifdef ENL_CORE_SEND_H
/* Seals a payload of any kind, as `from` would (a test that includes
 * core/send.h before this file crafts what a real client never sends). */
static inline void seal_body(enl_profile *from, const char *to, uint8_t kind, const uint8_t *b,
                             size_t n)
{
    enl_contact c;
    assert_int_equal(enl_contact_by_name(from, to, &c), ENL_OK);
    assert_int_equal(enl_store_begin(from->st), ENL_OK);
    assert_int_equal(enl_seal_kind(from, &c, kind, b, n, NULL, NULL), ENL_OK);
    assert_int_equal(enl_store_commit(from->st), ENL_OK);
}

/* The same, keeping the note's id (what `give` hands over). */
static inline void seal_id(enl_profile *from, const char *to, uint8_t kind, const uint8_t *b, size_t n,
                           uint8_t id[ENL_IDBYTES])
{
    enl_contact c;
    assert_int_equal(enl_contact_by_name(from, to, &c), ENL_OK);
    assert_int_equal(enl_store_begin(from->st), ENL_OK);
    assert_int_equal(enl_seal_kind(from, &c, kind, b, n, NULL, id), ENL_OK);
    assert_int_equal(enl_store_commit(from->st), ENL_OK);
}

/* One note (by id) that `from` holds, taken in by `to`, whatever comes of it. */
static inline void give(enl_profile *from, enl_profile *to, const uint8_t id[ENL_IDBYTES])
{
    uint8_t *note = NULL;
    size_t len = 0;
    assert_int_equal(enl_note_get(from, id, &note, &len), ENL_OK);
    (void)enl_note_intake(to, note, len, NULL);
    free(note);
}

/* The same on a fresh session (forgetting the one held): an adversary's
 * note that does not depend on what the session has seen. */
static inline int adv_send_kind(enl_profile *adv, const char *to, uint8_t kind, const uint8_t *body,
                                size_t len)
{
    enl_contact k;
    int rc;
    assert_int_equal(enl_contact_by_name(adv, to, &k), ENL_OK);
    assert_int_equal(enl_store_begin(adv->st), ENL_OK);
    (void)enl_sessions_forget(adv, k.card.dh_pk);
    rc = enl_seal_kind(adv, &k, kind, body, len, NULL, NULL);
    if (rc == ENL_OK) rc = enl_store_commit(adv->st);
    else enl_store_rollback(adv->st);
    return rc;
}
#endif

#if defined(ENL_CORE_SEND_H) && defined(ENL_NOTE_FILE_H)
/* A file's head, as `from` would seal it to `to`, for a file of size bytes
 * whose whole is data (for its hash), under the id the test chooses. */
static inline void send_head(enl_profile *from, const char *to, const uint8_t id[ENL_FILE_IDBYTES],
                             const uint8_t *data, uint64_t size, const char *name)
{
    uint8_t head[ENL_FILE_HEAD_MAX];
    enl_file_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.id, id, ENL_FILE_IDBYTES);
    h.size = size;
    h.chunk = ENL_FILE_CHUNK;
    h.parts = enl_file_parts_for(h.size, h.chunk);
    crypto_generichash(h.hash, sizeof h.hash, data, size, NULL, 0);
    h.name = (const uint8_t *)name;
    h.name_len = strlen(name);
    assert_int_equal(enl_file_head_encode(head, sizeof head, &h), ENL_OK);
    seal_body(from, to, ENL_KIND_FILE_HEAD, head, enl_file_head_len(&h));
}

/* One part of that file (any length: a test may make it not fit). */
static inline void send_part(enl_profile *from, const char *to, const uint8_t id[ENL_FILE_IDBYTES],
                             uint32_t index, const uint8_t *data, size_t len)
{
    static uint8_t buf[ENL_FILE_PART_FIXED + ENL_FILE_CHUNK];
    enl_file_part fp;
    memcpy(fp.id, id, ENL_FILE_IDBYTES);
    fp.index = index;
    fp.data = data;
    fp.len = len;
    assert_int_equal(enl_file_part_encode(buf, sizeof buf, &fp), ENL_OK);
    seal_body(from, to, ENL_KIND_FILE_PART, buf, ENL_FILE_PART_FIXED + len);
}
#endif

#ifdef ENL_CORE_CELLS_H
/* The sender key message `owner` sends `to` (a contact of theirs) for key
 * sk: its id key_id, or a random one when NULL. */
static inline void key_message(uint8_t body[ENL_CELL_KEYMSG_BYTES], const enl_senderkey *sk,
                               const uint8_t cid[32], const uint8_t *key_id, enl_profile *owner,
                               const char *to)
{
    enl_contact k;
    uint8_t id[32];
    if (key_id == NULL) randombytes_buf(id, sizeof id);
    else memcpy(id, key_id, sizeof id);
    assert_int_equal(enl_contact_by_name(owner, to, &k), ENL_OK);
    assert_int_equal(enl_cell_key_message(body, sk, cid, id, owner->id, k.card.dh_pk), ENL_OK);
}
#endif

#ifdef ENL_CELL_STATEMENT_H
/* An ADD by author, into cell cid, of a throw-away key made here (*k, with
 * a valid card): what a member who floods a cell signs. */
static inline void throwaway_add(uint8_t *buf, size_t *len, const uint8_t cid[32],
                                 const enl_identity *author, enl_identity *k)
{
    char card[ENL_CARD_TEXTMAX];
    enl_stmt s;
    assert_int_equal(enl_identity_generate(k, 1790000000), ENL_OK);
    assert_int_equal(enl_card_make(card, sizeof card, k, "x", NULL, 1790000000), ENL_OK);
    memset(&s, 0, sizeof s);
    s.type = ENL_STMT_ADD;
    memcpy(s.cell_id, cid, 32);
    s.created = 1790000000;
    s.clock = 9;
    memcpy(s.subject_sign, k->sign_pk, 32);
    memcpy(s.subject_dh, k->dh_pk, 32);
    s.card = card;
    s.card_len = strlen(card);
    assert_int_equal(enl_stmt_make(buf, len, &s, author), ENL_OK);
}

#ifdef ENL_UTIL_BYTES_H
/* Appends to a cell log body a LEAVE by author at generation gen (one
 * that never counts: nobody is at such a generation). */
static inline void put_leave(enl_wr *w, const uint8_t cid[32], const enl_identity *author,
                             uint32_t gen)
{
    enl_stmt s;
    uint8_t buf[ENL_STMT_MAXBYTES];
    size_t len = 0;
    memset(&s, 0, sizeof s);
    s.type = ENL_STMT_LEAVE;
    memcpy(s.cell_id, cid, 32);
    s.gen = gen;
    s.clock = 1;
    assert_int_equal(enl_stmt_make(buf, &len, &s, author), ENL_OK);
    enl_wr_u16(w, (uint16_t)len);
    enl_wr_bytes(w, buf, len);
}
#endif
#endif

#ifdef ENL_CORE_PROFILE_H
/* The id of the (first) cell p holds, from its raw row (bytes 1..32). */
static inline int grab_cell_id(void *ctx, int64_t seq, const uint8_t *pt, size_t len)
{
    (void)seq;
    if (len > 33) memcpy(ctx, pt + 1, 32);
    return 1;
}

static inline void cell_id_of(enl_profile *p, uint8_t id[32])
{
    assert_int_equal(enl_store_row_each(p->st, "cells", grab_cell_id, id), ENL_OK);
}
#endif

/* Whether a message with exactly this text is in p's inbox (and whether
 * it came in a cell). */
typedef struct {
    const char *needle;
    int found;
    int in_cell;
} find_ctx;

static inline int find_text(const enl_message *m, void *vctx)
{
    find_ctx *f = vctx;
    if (m->text_len == strlen(f->needle) && memcmp(m->text, f->needle, m->text_len) == 0) {
        f->found = 1;
        f->in_cell = m->cell[0] != '\0';
    }
    return 0;
}

static inline int has_message(enl_profile *p, const char *text)
{
    find_ctx f = { text, 0, 0 };
    assert_int_equal(enl_inbox_each(p, ENL_INBOX_KEEP_NEW, find_text, &f), ENL_OK);
    return f.found;
}

/* Whether p has read the cell note "olla I" (the texts the cell tests write). */
static inline int reads_olla(enl_profile *p, int i)
{
    char text[32];
    snprintf(text, sizeof text, "olla %d", i);
    return has_message(p, text);
}

/* A person's state in p's view of a cell ("none" when not named). */
typedef struct {
    const char *name;
    const char *state;
    int burned;
} member_ctx;

static inline int find_member(const enl_cell_member *m, void *vctx)
{
    member_ctx *x = vctx;
    if (strcmp(m->name, x->name) == 0) {
        x->state = m->state;
        x->burned = m->burned;
    }
    return 0;
}

static inline const char *state_of(enl_profile *p, const char *cell, const char *name, int *burned)
{
    member_ctx x = { name, "none", 0 };
    assert_int_equal(enl_cell_members(p, cell, find_member, &x), ENL_OK);
    if (burned != NULL) *burned = x.burned;
    return x.state;
}

/* A sync with the dead drop "drop" under the test folder. */
static inline void sync_drop(enl_profile *p)
{
    char drop[256];
    enl_sync_stats st;
    snprintf(drop, sizeof drop, "%s/drop", root);
    (void)mkdir(drop, 0700);
    assert_int_equal(enl_sync_folder(p, drop, NULL, &st), ENL_OK);
}

/* ana, beto and carmen know each other; and (cell_of_three) ana founds the
 * cell "olla" (k = 2), admits beto, then carmen with beto's vouch, and
 * every device has heard. */
static inline void introduce_three(enl_profile *ana, enl_profile *beto, enl_profile *carmen)
{
    introduce(ana, "ana", beto, "beto");
    introduce(ana, "ana", carmen, "carmen");
    introduce(beto, "beto", carmen, "carmen");
}

static inline void cell_of_three(enl_profile *ana, enl_profile *beto, enl_profile *carmen)
{
    enl_profile *all[3] = { ana, beto, carmen };
    introduce_three(ana, beto, carmen);
    assert_int_equal(enl_cell_create(ana, "olla", 2), ENL_OK);
    assert_int_equal(enl_cell_add(ana, "olla", "beto"), ENL_OK);
    exchange(all, 3);
    assert_int_equal(enl_cell_add(ana, "olla", "carmen"), ENL_OK);
    exchange(all, 3);
    assert_int_equal(enl_cell_vouch(beto, "olla", "carmen"), ENL_OK);
    exchange(all, 3);
    assert_string_equal(state_of(carmen, "olla", "beto", NULL), "member");
    assert_string_equal(state_of(ana, "olla", "carmen", NULL), "member");
}

static inline int setup(void **state)
{
    (void)state;
    if (enl_init() != ENL_OK || mkdtemp(root) == NULL) return -1;
    return 0;
}

static inline int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
