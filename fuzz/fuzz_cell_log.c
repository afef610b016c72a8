/* libFuzzer target: what a profile does with a cell log, a sender key, an
 * introduction, an inquiry or an answer that came over a session
 * (enl_cell_deliver, enl_intro_deliver, enl_inquiry_deliver): the body
 * parsers of core/cells.c and the merge, membership and answers behind
 * them, on a real profile. Each input runs in one transaction that is
 * rolled back, so every input meets the same profile.
 *
 * A random statement never verifies, so the input is a small program over
 * statements signed once at start by beto (a contact, founder of "olla",
 * k = 2), carmen (a stranger) and the profile itself:
 *
 *   flags u8: bits 0-2 the kind (0 log, 1 sender key, 2 introduction,
 *             3 inquiry, 4 answer, else a log); bit 3 the sender is
 *             carmen, not beto; bit 4 beto's whole log is delivered first
 *             (the cell is then known, and I am in it); bit 5 the body's
 *             cell id is the input's, not olla's; bit 6 I join olla after
 *             bit 4's log (else it stays an invitation)
 *   log:      [cell id [32] if bit 5] then items: a byte b < 0xf0 is
 *             statement b % count of those signed at start; 0xf0..0xfe
 *             is that statement with one byte (the next input byte says
 *             which, the one after its new value) changed; 0xff is a raw
 *             statement, len u16 | bytes
 *   others:   the rest of the input is the body (behind olla's id for a
 *             sender key unless bit 5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell/statement.h"
#include "core/cells.h"
#include "core/deliver.h"
#include "core/profile.h"
#include "note/note.h"
#include "store/store.h"
#include "util/bytes.h"
#include "enlace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NSTMT 10

static enl_profile *me;
static enl_identity beto, carmen;
static enl_contact beto_contact;
static uint8_t cid[32];
static uint8_t stmt[NSTMT][ENL_STMT_MAXBYTES];
static size_t stmt_len[NSTMT];
static uint8_t body[ENL_TEXT_MAX + 64];

static void sign(int i, enl_stmt *s, const enl_identity *by)
{
    memcpy(s->cell_id, cid, 32);
    if (enl_stmt_make(stmt[i], &stmt_len[i], s, by) != ENL_OK) abort();
}

static void vouch(int i, uint8_t type, const enl_identity *by, const uint8_t sign_pk[32],
                  const uint8_t dh_pk[32], const char *card, uint32_t gen, uint32_t clock)
{
    enl_stmt s;
    memset(&s, 0, sizeof s);
    s.type = type;
    s.gen = gen;
    s.clock = clock;
    s.created = 1790000000 + clock;
    if (sign_pk != NULL) memcpy(s.subject_sign, sign_pk, 32);
    if (dh_pk != NULL) memcpy(s.subject_dh, dh_pk, 32);
    if (card != NULL) {
        s.card = card;
        s.card_len = strlen(card);
    }
    if (type == ENL_STMT_BURN) strcpy(s.reason, "taken");
    sign(i, &s, by);
}

static void setup(void)
{
    static char dir[] = "/tmp/enl-fuzz-cell-XXXXXX";
    char home[64], bc[ENL_CARD_TEXTMAX], cc[ENL_CARD_TEXTMAX], *mc = NULL;
    uint8_t seed[32];
    enl_stmt s;

    if (enl_init() != ENL_OK || mkdtemp(dir) == NULL) abort();
    snprintf(home, sizeof home, "%s/me", dir);
    if (enl_profile_create(&me, home, "me", "pw", 2, ENL_KDF_INTERACTIVE) != ENL_OK) abort();
    memset(seed, 0xb0, sizeof seed);
    if (enl_identity_from_seed(&beto, seed, 1790000000) != ENL_OK) abort();
    memset(seed, 0xc0, sizeof seed);
    if (enl_identity_from_seed(&carmen, seed, 1790000000) != ENL_OK) abort();
    if (enl_card_make(bc, sizeof bc, &beto, "beto", NULL, 1790000000) != ENL_OK ||
        enl_card_make(cc, sizeof cc, &carmen, "carmen", NULL, 1790000000) != ENL_OK ||
        enl_profile_card(me, &mc) != ENL_OK)
        abort();
    if (enl_contact_add_via(me, bc, "beto", "", &beto_contact) != ENL_OK) abort();

    memset(&s, 0, sizeof s);
    s.type = ENL_STMT_CREATE;
    s.admit = 2;
    memset(s.salt, 0x5a, sizeof s.salt);
    strcpy(s.name, "olla");
    s.card = bc;
    s.card_len = strlen(bc);
    s.created = 1790000000;
    s.clock = 1;
    if (enl_stmt_make(stmt[0], &stmt_len[0], &s, &beto) != ENL_OK) abort();
    memcpy(cid, s.cell_id, 32);
    vouch(1, ENL_STMT_ADD, &beto, me->id->sign_pk, me->id->dh_pk, mc, 0, 2);
    vouch(2, ENL_STMT_ADD, &beto, carmen.sign_pk, carmen.dh_pk, cc, 0, 3);
    vouch(3, ENL_STMT_ADD, me->id, carmen.sign_pk, carmen.dh_pk, cc, 0, 4);
    vouch(4, ENL_STMT_ADD, &carmen, me->id->sign_pk, me->id->dh_pk, mc, 0, 5);
    vouch(5, ENL_STMT_REMOVE, &carmen, beto.sign_pk, beto.dh_pk, NULL, 1, 6);
    vouch(6, ENL_STMT_BURN, me->id, beto.sign_pk, beto.dh_pk, NULL, 1, 7);
    vouch(7, ENL_STMT_BURN, &carmen, beto.sign_pk, beto.dh_pk, NULL, 1, 8);
    vouch(8, ENL_STMT_LEAVE, &beto, NULL, NULL, NULL, 1, 9);
    vouch(9, ENL_STMT_LEAVE, me->id, NULL, NULL, NULL, 1, 10);
    free(mc);
}

/* The log items of the input into body (cell id, count, statements). */
static size_t log_from(const uint8_t *in, size_t n, int own_id)
{
    enl_wr w = enl_wr_init(body, sizeof body);
    size_t off = 0, count = 0, at;
    if (own_id) {
        if (n < 32) return 0;
        enl_wr_bytes(&w, in, 32);
        off = 32;
    } else {
        enl_wr_bytes(&w, cid, 32);
    }
    at = w.len;
    enl_wr_u16(&w, 0);
    while (off < n && count < 300) {
        uint8_t b = in[off++];
        if (b < 0xf0) {
            enl_wr_u16(&w, (uint16_t)stmt_len[b % NSTMT]);
            enl_wr_bytes(&w, stmt[b % NSTMT], stmt_len[b % NSTMT]);
        } else if (b < 0xff) {
            uint8_t one[ENL_STMT_MAXBYTES];
            size_t i = b % NSTMT, l = stmt_len[i];
            if (off + 2 > n) break;
            memcpy(one, stmt[i], l);
            one[in[off] % l] = in[off + 1];
            off += 2;
            enl_wr_u16(&w, (uint16_t)l);
            enl_wr_bytes(&w, one, l);
        } else {
            size_t l;
            if (off + 2 > n) break;
            l = (size_t)in[off] << 8 | in[off + 1];
            off += 2;
            if (l > n - off) l = n - off;
            enl_wr_u16(&w, (uint16_t)l);
            enl_wr_bytes(&w, in + off, l);
            off += l;
        }
        count++;
    }
    if (w.err) return 0;
    body[at] = (uint8_t)(count >> 8);
    body[at + 1] = (uint8_t)count;
    return w.len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t kinds[] = { ENL_KIND_CELL_LOG, ENL_KIND_SENDER_KEY, ENL_KIND_INTRODUCTION,
                                     ENL_KIND_INQUIRY, ENL_KIND_ANSWER };
    enl_delivery d;
    uint8_t flags;
    int from_carmen, own_id;

    if (me == NULL) setup();
    if (size == 0) return 0;
    flags = data[0];
    from_carmen = flags & 8;
    own_id = (flags & 32) != 0;
    memset(&d, 0, sizeof d);
    d.kind = (flags & 7) < sizeof kinds ? kinds[flags & 7] : ENL_KIND_CELL_LOG;
    memcpy(d.sender_sign_pk, from_carmen ? carmen.sign_pk : beto.sign_pk, 32);
    memcpy(d.sender_dh_pk, from_carmen ? carmen.dh_pk : beto.dh_pk, 32);
    d.contact = from_carmen ? NULL : &beto_contact;
    d.sent = 1790000000;
    if (d.kind == ENL_KIND_CELL_LOG) {
        d.body_len = log_from(data + 1, size - 1, own_id);
    } else if (d.kind == ENL_KIND_SENDER_KEY && !own_id) {
        d.body_len = size - 1 > sizeof body - 32 ? sizeof body - 32 : size - 1;
        memcpy(body, cid, 32);
        memcpy(body + 32, data + 1, d.body_len);
        d.body_len += 32;
    } else {
        d.body_len = size - 1 > sizeof body ? sizeof body : size - 1;
        memcpy(body, data + 1, d.body_len);
    }
    d.body = body;
    if (enl_store_begin(me->st) != ENL_OK) abort();
    if (flags & 16) {
        /* beto's log: olla, me admitted (beto and carmen), carmen proposed */
        static const uint8_t all[] = { 0, 1, 2, 4 };
        enl_delivery first = d;
        static uint8_t prime[ENL_TEXT_MAX];
        enl_wr w = enl_wr_init(prime, sizeof prime);
        enl_wr_bytes(&w, cid, 32);
        enl_wr_u16(&w, sizeof all);
        for (size_t i = 0; i < sizeof all; i++) {
            enl_wr_u16(&w, (uint16_t)stmt_len[all[i]]);
            enl_wr_bytes(&w, stmt[all[i]], stmt_len[all[i]]);
        }
        first.kind = ENL_KIND_CELL_LOG;
        memcpy(first.sender_sign_pk, beto.sign_pk, 32);
        memcpy(first.sender_dh_pk, beto.dh_pk, 32);
        first.contact = &beto_contact;
        first.body = prime;
        first.body_len = w.len;
        (void)enl_cell_deliver(me, &first);
        if (flags & 64) (void)enl_cell_join(me, "olla");
    }
    if (d.body_len > 0) {
        if (d.kind == ENL_KIND_CELL_LOG || d.kind == ENL_KIND_SENDER_KEY) (void)enl_cell_deliver(me, &d);
        else if (d.kind == ENL_KIND_INTRODUCTION) (void)enl_intro_deliver(me, &d);
        else (void)enl_inquiry_deliver(me, &d);
    }
    enl_store_rollback(me->st);
    return 0;
}
