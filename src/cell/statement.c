/* Cell statements: encoding, signing and checking; see statement.h. */
#include <sodium.h>
#include <string.h>

#include "cell/statement.h"
#include "util/bytes.h"

static const char sig_context[] = "enlace cell statement v1";

static void sig_input(crypto_sign_state *st, const uint8_t *body, size_t len)
{
    crypto_sign_init(st);
    crypto_sign_update(st, (const uint8_t *)sig_context, sizeof sig_context);
    crypto_sign_update(st, body, len);
}

static int has_subject(uint8_t type)
{
    return type == ENL_STMT_ADD || type == ENL_STMT_REMOVE || type == ENL_STMT_BURN;
}

int enl_stmt_make(uint8_t *out, size_t *len, enl_stmt *s, const enl_identity *author)
{
    enl_wr w = enl_wr_init(out, ENL_STMT_MAXBYTES);
    crypto_sign_state st;
    size_t nl = strlen(s->name), rl = strlen(s->reason);

    if (s->type < ENL_STMT_CREATE || s->type > ENL_STMT_LEAVE) return ENL_EINVAL;
    if (nl > ENL_CELL_NAME_MAX || rl > ENL_STMT_REASONMAX || s->card_len > ENL_CARD_TEXTMAX)
        return ENL_ETOOBIG;
    memcpy(s->author, author->sign_pk, 32);
    if (s->type == ENL_STMT_CREATE) enl_cell_id(s->cell_id, s);
    enl_wr_u8(&w, ENL_STMT_VERSION);
    enl_wr_u8(&w, s->type);
    enl_wr_bytes(&w, s->cell_id, ENL_CELL_IDBYTES);
    enl_wr_bytes(&w, s->author, 32);
    enl_wr_u64(&w, s->created);
    enl_wr_u32(&w, s->clock);
    if (s->type == ENL_STMT_CREATE) {
        if (s->admit < 1 || s->admit > ENL_CELL_ADMIT_MAX || nl == 0) return ENL_EINVAL;
        enl_wr_u8(&w, s->admit);
        enl_wr_bytes(&w, s->salt, 16);
        enl_wr_u8(&w, (uint8_t)nl);
        enl_wr_bytes(&w, (const uint8_t *)s->name, nl);
    } else {
        enl_wr_u32(&w, s->gen);
    }
    if (has_subject(s->type)) {
        enl_wr_bytes(&w, s->subject_sign, 32);
        enl_wr_bytes(&w, s->subject_dh, 32);
    }
    if (s->type == ENL_STMT_CREATE || s->type == ENL_STMT_ADD) {
        enl_wr_u16(&w, (uint16_t)s->card_len);
        enl_wr_bytes(&w, (const uint8_t *)s->card, s->card_len);
    }
    if (s->type == ENL_STMT_REMOVE || s->type == ENL_STMT_BURN) {
        enl_wr_u8(&w, (uint8_t)rl);
        enl_wr_bytes(&w, (const uint8_t *)s->reason, rl);
    }
    if (w.err || w.len + 64 > ENL_STMT_MAXBYTES) return ENL_ETOOBIG;
    sig_input(&st, out, w.len);
    crypto_sign_final_create(&st, out + w.len, NULL, author->sign_sk);
    *len = w.len + 64;
    return ENL_OK;
}

/* A card carried in a statement must be well signed and be the key it
 * stands for; its dates are not checked (a statement outlives a card).
 * The card read is wiped: it names a member and their keys. */
static int card_matches(const char *card, size_t len, const uint8_t sign_pk[32],
                        const uint8_t *dh_pk)
{
    enl_card c;
    int ok = enl_card_parse(&c, card, len, 0) == ENL_OK && sodium_memcmp(c.sign_pk, sign_pk, 32) == 0 &&
             (dh_pk == NULL || sodium_memcmp(c.dh_pk, dh_pk, 32) == 0);
    sodium_memzero(&c, sizeof c);
    return ok;
}

int enl_stmt_parse(enl_stmt *s, const uint8_t *in, size_t len)
{
    enl_rd r = enl_rd_init(in, len);
    crypto_sign_state st;
    const uint8_t *q;
    size_t n;

    memset(s, 0, sizeof *s);
    if (len < 64 || len > ENL_STMT_MAXBYTES) return ENL_EMALFORMED;
    r = enl_rd_init(in, len - 64);
    if (enl_rd_u8(&r) != ENL_STMT_VERSION) return ENL_EVERSION;
    s->type = enl_rd_u8(&r);
    if (s->type < ENL_STMT_CREATE || s->type > ENL_STMT_LEAVE) return ENL_EMALFORMED;
    enl_rd_bytes(&r, s->cell_id, ENL_CELL_IDBYTES);
    enl_rd_bytes(&r, s->author, 32);
    s->created = enl_rd_u64(&r);
    s->clock = enl_rd_u32(&r);
    if (s->type == ENL_STMT_CREATE) {
        s->admit = enl_rd_u8(&r);
        enl_rd_bytes(&r, s->salt, 16);
        n = enl_rd_u8(&r);
        if ((q = enl_rd_ptr(&r, n)) == NULL || n == 0 || n > ENL_CELL_NAME_MAX) return ENL_EMALFORMED;
        memcpy(s->name, q, n);
        if (s->admit < 1 || s->admit > ENL_CELL_ADMIT_MAX || !enl_name_valid(s->name))
            return ENL_EMALFORMED;
    } else {
        s->gen = enl_rd_u32(&r);
    }
    if (has_subject(s->type)) {
        enl_rd_bytes(&r, s->subject_sign, 32);
        enl_rd_bytes(&r, s->subject_dh, 32);
    } else if (s->type == ENL_STMT_LEAVE) {
        memcpy(s->subject_sign, s->author, 32);
    }
    if (s->type == ENL_STMT_CREATE || s->type == ENL_STMT_ADD) {
        n = enl_rd_u16(&r);
        if ((q = enl_rd_ptr(&r, n)) == NULL || n == 0 || n > ENL_CARD_TEXTMAX) return ENL_EMALFORMED;
        s->card = (const char *)q;
        s->card_len = n;
    }
    if (s->type == ENL_STMT_REMOVE || s->type == ENL_STMT_BURN) {
        n = enl_rd_u8(&r);
        if ((q = enl_rd_ptr(&r, n)) == NULL || n > ENL_STMT_REASONMAX) return ENL_EMALFORMED;
        memcpy(s->reason, q, n);
    }
    if (r.err || enl_rd_left(&r) != 0) return ENL_EMALFORMED;
    sig_input(&st, in, len - 64);
    if (crypto_sign_final_verify(&st, in + len - 64, s->author) != 0) return ENL_ESIG;
    if (s->type == ENL_STMT_CREATE) {
        uint8_t id[ENL_CELL_IDBYTES];
        enl_cell_id(id, s);
        if (sodium_memcmp(id, s->cell_id, sizeof id) != 0 ||
            !card_matches(s->card, s->card_len, s->author, NULL))
            return ENL_EMALFORMED;
    }
    if (s->type == ENL_STMT_ADD &&
        !card_matches(s->card, s->card_len, s->subject_sign, s->subject_dh))
        return ENL_EMALFORMED;
    return ENL_OK;
}

void enl_cell_id(uint8_t id[ENL_CELL_IDBYTES], const enl_stmt *create)
{
    static const char ctx[] = "enlace cell id v2";
    uint8_t n[3];
    size_t nl = strnlen(create->name, ENL_CELL_NAME_MAX);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, ENL_CELL_IDBYTES);
    crypto_generichash_update(&st, (const uint8_t *)ctx, sizeof ctx);
    crypto_generichash_update(&st, create->author, 32);
    crypto_generichash_update(&st, create->salt, 16);
    n[0] = create->admit;
    crypto_generichash_update(&st, n, 1);
    n[0] = (uint8_t)nl;
    crypto_generichash_update(&st, n, 1);
    crypto_generichash_update(&st, (const uint8_t *)create->name, nl);
    n[0] = (uint8_t)(create->card_len >> 8);
    n[1] = (uint8_t)create->card_len;
    crypto_generichash_update(&st, n, 2);
    crypto_generichash_update(&st, (const uint8_t *)create->card, create->card_len);
    crypto_generichash_final(&st, id, ENL_CELL_IDBYTES);
}

void enl_stmt_id(uint8_t id[32], const uint8_t *in, size_t len)
{
    crypto_generichash(id, 32, in, len, NULL, 0);
}

const uint8_t *enl_stmt_author_of(const uint8_t *in, size_t len)
{
    /* version u8 | type u8 | cell id [32] | author [32] */
    return len >= 1 + 1 + ENL_CELL_IDBYTES + 32 ? in + 1 + 1 + ENL_CELL_IDBYTES : NULL;
}
