/*
 * The test vectors of docs/PROTOCOL.md, recomputed from fixed seeds and
 * compared with what the document says, so the document and the code can
 * never drift apart. ENL_PRINT_VECTORS=1 prints the blocks instead (to
 * write them into the document after a deliberate format change).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/identity.h"
#include "cell/statement.h"
#include "crypto/ratchet.h"
#include "core/cells.h"
#include "crypto/senderkey.h"
#include "crypto/x3dh.h"
#include "enlace.h"
#include "note/bulletin.h"
#include "note/file.h"
#include "note/note.h"
#include "paper/paper.h"
#include "sync/reconcile.h"
#include "util/base32.h"

#define NOW 1790000000ull  /* 2026-09-21 */
#define MAXV 128

typedef struct {
    char key[64];
    char *value;
} kv;

static kv computed[MAXV];
static size_t ncomputed;

static void put(const char *block, const char *key, const char *value)
{
    snprintf(computed[ncomputed].key, sizeof computed[ncomputed].key, "%s.%s", block, key);
    computed[ncomputed].value = strdup(value);
    ncomputed++;
}

static void put_hex(const char *block, const char *key, const uint8_t *b, size_t n)
{
    char *h = malloc(2 * n + 1);
    enl_hex_encode(h, b, n);
    put(block, key, h);
    free(h);
}

static void seed_of(uint8_t seed[32], uint8_t fill)
{
    memset(seed, fill, 32);
}

/* The worked example of the Paper section: a fixed byte string, so that it
 * does not move when the note format does. */
static void compute_file(void)
{
    static const char data[] = "hello file";
    uint8_t head[ENL_FILE_HEAD_MAX], part[64], payload[256];
    enl_file_head h;
    enl_file_part fp;
    enl_payload pl;
    size_t hl, pl_len;

    memset(&h, 0, sizeof h);
    memset(h.id, 0x33, sizeof h.id);
    h.size = sizeof data - 1;
    h.chunk = ENL_FILE_CHUNK;
    h.parts = enl_file_parts_for(h.size, h.chunk);
    crypto_generichash(h.hash, sizeof h.hash, (const uint8_t *)data, h.size, NULL, 0);
    h.name = (const uint8_t *)"hello.txt";
    h.name_len = 9;
    h.note = (const uint8_t *)"tape 3";
    h.note_len = 6;
    hl = enl_file_head_len(&h);
    assert_int_equal(enl_file_head_encode(head, hl, &h), ENL_OK);
    put_hex("file", "head", head, hl);
    memcpy(fp.id, h.id, sizeof fp.id);
    fp.index = 0;
    fp.data = (const uint8_t *)data;
    fp.len = h.size;
    assert_int_equal(enl_file_part_encode(part, enl_file_part_encoded_len(fp.len), &fp), ENL_OK);
    put_hex("file", "part_0", part, enl_file_part_encoded_len(fp.len));
    memset(&pl, 0, sizeof pl);
    pl.kind = ENL_KIND_FILE_HEAD;
    pl.sent = NOW;
    pl.body = head;
    pl.body_len = hl;
    pl_len = ENL_PAYLOAD_FIXEDBYTES + hl;
    assert_int_equal(enl_payload_encode(payload, pl_len, &pl), ENL_OK);
    put_hex("file", "head_payload", payload, pl_len);
}

static void compute_paper(void)
{
    uint8_t bytes[100];
    char text[1024], key[16], *line, *save = NULL;
    size_t len;
    unsigned n = 0;

    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)i;
    put_hex("paper", "bytes", bytes, sizeof bytes);
    assert_int_equal(enl_paper_encode(text, sizeof text, &len, bytes, sizeof bytes, 1, 1), ENL_OK);
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save), n++) {
        if (n == 0) {
            put("paper", "header", line);
            continue;
        }
        snprintf(key, sizeof key, "line %02u", n);
        put("paper", key, line);
    }
    snprintf(key, sizeof key, "%x", enl_crc10((const uint8_t *)"123456789", 9));
    put("paper", "crc10_123456789", key);
}

/* The worked reconciliation of section 8: 24 keys k_i = BLAKE2b-256 of the
 * single byte i; the initiator lacks k_3 and k_17, the responder k_10. */
static uint8_t recon_keys[24][32];

typedef struct {
    char have[128], need[128];
} recon_side;

static void recon_append(char *names, const uint8_t id[32])
{
    char one[16] = "?";
    for (unsigned i = 0; i < 24; i++)
        if (memcmp(recon_keys[i], id, 32) == 0) snprintf(one, sizeof one, "k_%u", i % 100);
    if (names[0]) strcat(names, " ");
    strcat(names, one);
}

static void recon_have(void *ctx, const uint8_t id[32])
{
    recon_append(((recon_side *)ctx)->have, id);
}

static void recon_need(void *ctx, const uint8_t id[32])
{
    recon_append(((recon_side *)ctx)->need, id);
}

static int cmp32(const void *x, const void *y)
{
    return memcmp(x, y, 32);
}

static void compute_recon(void)
{
    static uint8_t sorted[24][32], a[24][32], b[24][32], m1[ENL_RECON_MSG_MAX],
        m2[ENL_RECON_MSG_MAX];
    static uint8_t sa[ENL_RECON_SCRATCH_BYTES(24)], sb[ENL_RECON_SCRATCH_BYTES(24)];
    uint8_t salt[ENL_RECON_SALTBYTES], *in = m1, *out = m2, *tmp;
    recon_side as, bs;
    enl_recon ra, rb, *cur = &rb;
    size_t na = 0, nb = 0, len = 0, out_len = 0;
    int done = 0;
    char key[32];

    memset(&as, 0, sizeof as);
    memset(&bs, 0, sizeof bs);
    for (uint8_t i = 0; i < 24; i++) crypto_generichash(recon_keys[i], 32, &i, 1, NULL, 0);
    memcpy(sorted, recon_keys, sizeof sorted);
    qsort(sorted, 24, 32, cmp32);
    for (int i = 0; i < 24; i++) {
        int idx = 0;
        for (int j = 0; j < 24; j++)
            if (memcmp(recon_keys[j], sorted[i], 32) == 0) idx = j;
        if (idx != 3 && idx != 17) memcpy(a[na++], sorted[i], 32);
        if (idx != 10) memcpy(b[nb++], sorted[i], 32);
    }
    memset(salt, 0x5a, sizeof salt);
    put("recon", "keys", "k_i = BLAKE2b-256 of the single byte i, i = 0..23, sorted");
    put("recon", "initiator", "all but k_3 and k_17 (22 keys)");
    put("recon", "responder", "all but k_10 (23 keys)");
    put("recon", "salt", "5a repeated 16 times");
    assert_int_equal(enl_recon_init(&ra, (const uint8_t (*)[32])a, na, 1, recon_have, recon_need,
                                    &as, sa, sizeof sa), ENL_OK);
    assert_int_equal(enl_recon_init(&rb, (const uint8_t (*)[32])b, nb, 0, recon_have, recon_need,
                                    &bs, sb, sizeof sb), ENL_OK);
    assert_int_equal(enl_recon_first(&ra, salt, in, sizeof m1, &len), ENL_OK);
    put_hex("recon", "message 1", in, len);
    for (int k = 2;; k++) {
        assert_true(k < 20);
        assert_int_equal(enl_recon_step(cur, in, len, out, sizeof m2, &out_len, &done), ENL_OK);
        if (out_len == 0) break;                  /* in was the last message */
        snprintf(key, sizeof key, "message %d", k);
        put_hex("recon", key, out, out_len);
        tmp = in; in = out; out = tmp;
        len = out_len;
        cur = cur == &ra ? &rb : &ra;
        if (done) {                               /* the peer takes in the last one */
            assert_int_equal(enl_recon_step(cur, in, len, out, sizeof m2, &out_len, &done), ENL_OK);
            assert_int_equal(out_len, 0);
            break;
        }
    }
    put("recon", "initiator have", as.have);
    put("recon", "initiator need", as.need);
    put("recon", "responder have", bs.have);
    put("recon", "responder need", bs.need);
}

/* Section 9: ana founds a cell and vouches for carmen; then a cell note
 * sealed with a sender key whose chain is fill(0x10) and whose signing key
 * comes from the seed 0x77 repeated (everything else fixed too). */
static void compute_cell(const enl_identity *ana, const enl_identity *carmen)
{
    char ca[ENL_CARD_TEXTMAX], cc[ENL_CARD_TEXTMAX];
    uint8_t buf[ENL_STMT_MAXBYTES], seed[32], hdr[ENL_NOTE_HEADERBYTES], lock[32];
    uint8_t payload[256 - ENL_NOTE_HEADERBYTES - ENL_SK_OVERHEAD], note[256], body[32 + 18];
    size_t len;
    enl_stmt st;
    enl_senderkey sk;
    enl_payload pl;

    assert_int_equal(enl_card_make(ca, sizeof ca, ana, "ana", NULL, NOW), ENL_OK);
    assert_int_equal(enl_card_make(cc, sizeof cc, carmen, "carmen", NULL, NOW), ENL_OK);
    memset(&st, 0, sizeof st);
    st.type = ENL_STMT_CREATE;
    st.created = NOW;
    st.clock = 1;
    st.admit = 2;
    memset(st.salt, 0x5a, sizeof st.salt);
    strcpy(st.name, "olla");
    st.card = ca;
    st.card_len = strlen(ca);
    assert_int_equal(enl_stmt_make(buf, &len, &st, ana), ENL_OK);
    put_hex("cell", "cell_id", st.cell_id, 32);
    put_hex("cell", "create", buf, len);
    {
        uint8_t cell_id[32];
        memcpy(cell_id, st.cell_id, 32);
        memset(&st, 0, sizeof st);
        memcpy(st.cell_id, cell_id, 32);
    }
    st.type = ENL_STMT_ADD;
    st.created = NOW + 1;
    st.clock = 2;
    memcpy(st.subject_sign, carmen->sign_pk, 32);
    memcpy(st.subject_dh, carmen->dh_pk, 32);
    st.card = cc;
    st.card_len = strlen(cc);
    assert_int_equal(enl_stmt_make(buf, &len, &st, ana), ENL_OK);
    put_hex("cell", "add_carmen", buf, len);

    memset(&sk, 0, sizeof sk);
    memset(sk.chain, 0x10, 32);
    sk.own = 1;
    memset(seed, 0x77, sizeof seed);
    assert_int_equal(crypto_sign_seed_keypair(sk.sign_pk, sk.sign_sk, seed), 0);
    put_hex("cell", "sk_sign_pk", sk.sign_pk, 32);
    memset(&pl, 0, sizeof pl);
    pl.kind = ENL_KIND_CELL_TEXT;
    pl.sent = NOW;
    memcpy(body, st.cell_id, 32);
    memcpy(body + 32, "la olla del jueves", 18);
    pl.body = body;
    pl.body_len = sizeof body;
    assert_int_equal(enl_payload_encode(payload, sizeof payload, &pl), ENL_OK);
    memset(lock, 0, sizeof lock);   /* random in real cell notes: no key opens it */
    memset(lock, 0x20, ENL_PURGELOCK_WIREBYTES);
    enl_note_header_encode(hdr, (uint32_t)(NOW / 3600) + 24, lock);
    memcpy(note, hdr, sizeof hdr);
    assert_int_equal(enl_senderkey_encrypt(&sk, note + sizeof hdr, hdr, sizeof hdr, payload,
                                           sizeof payload), ENL_OK);
    put_hex("cell", "note", note, sizeof note);
    {
        /* the message that hands this key (at iteration 1 now) to carmen,
         * with key id fill(0x33) and ana's proof that she made it */
        uint8_t key_id[32], msg[ENL_CELL_KEYMSG_BYTES];
        memset(key_id, 0x33, sizeof key_id);
        assert_int_equal(enl_cell_key_message(msg, &sk, st.cell_id, key_id, ana, carmen->dh_pk),
                         ENL_OK);
        put_hex("cell", "key_message_for_carmen", msg, sizeof msg);
        {
            enl_sk_owner o = { st.cell_id, key_id, ana->sign_pk, ana->dh_pk, carmen->dh_pk };
            const uint8_t *proof = msg + 64 + ENL_SK_SHAREBYTES;
            assert_int_equal(enl_senderkey_check_owner(proof, sk.sign_pk, &o, carmen->dh_sk), ENL_OK);
            /* only carmen can check it; it names ana, this key, this cell */
            assert_int_equal(enl_senderkey_check_owner(proof, sk.sign_pk, &o, ana->dh_sk), ENL_ESIG);
            o.owner_sign_pk = carmen->sign_pk;
            assert_int_equal(enl_senderkey_check_owner(proof, sk.sign_pk, &o, carmen->dh_sk), ENL_ESIG);
            o.owner_sign_pk = ana->sign_pk;
            o.key_id = st.cell_id;
            assert_int_equal(enl_senderkey_check_owner(proof, sk.sign_pk, &o, carmen->dh_sk), ENL_ESIG);
            o.key_id = key_id;
            assert_int_equal(enl_senderkey_check_owner(proof, carmen->sign_pk, &o, carmen->dh_sk),
                             ENL_ESIG);
            sk.own = 0;   /* a key held, not made: nothing to prove it with */
            assert_int_equal(enl_cell_key_message(msg, &sk, st.cell_id, key_id, ana, carmen->dh_pk),
                             ENL_EINVAL);
        }
    }
    enl_senderkey_wipe(&sk);
}

static void compute(void)
{
    enl_identity ana, carmen;
    uint8_t seed[32], fa[32], fc[32], e[32], note[ENL_NOTE_MAX], id[32], purge[ENL_PURGEBYTES];
    char fp[ENL_FINGERPRINT_STRBYTES], sn[ENL_SAFETY_STRBYTES], card[ENL_CARD_TEXTMAX], buf[64];
    static const char text[] = "the leaflet is ready";
    enl_payload pl;
    size_t len;

    seed_of(seed, 0xa1);
    assert_int_equal(enl_identity_from_seed(&ana, seed, NOW), ENL_OK);
    seed_of(seed, 0xc2);
    assert_int_equal(enl_identity_from_seed(&carmen, seed, NOW), ENL_OK);

    put("identity-ana", "seed", "a1 repeated 32 times");
    put_hex("identity-ana", "sign_pk", ana.sign_pk, 32);
    put_hex("identity-ana", "dh_pk", ana.dh_pk, 32);
    put_hex("identity-ana", "prekey_pk", ana.prekey_pk, 32);
    snprintf(buf, sizeof buf, "%u", ana.prekey_id);
    put("identity-ana", "prekey_id", buf);
    put("identity-carmen", "seed", "c2 repeated 32 times");
    put_hex("identity-carmen", "sign_pk", carmen.sign_pk, 32);
    put_hex("identity-carmen", "dh_pk", carmen.dh_pk, 32);

    enl_fingerprint_raw(fa, ana.sign_pk, ana.dh_pk);
    enl_fingerprint_raw(fc, carmen.sign_pk, carmen.dh_pk);
    put_hex("fingerprint", "ana_raw", fa, 32);
    enl_fingerprint_text(fp, fa);
    put("fingerprint", "ana", fp);
    enl_fingerprint_text(fp, fc);
    put("fingerprint", "carmen", fp);
    enl_safety_number(sn, fa, fc);
    put("fingerprint", "safety_number", sn);

    assert_int_equal(enl_card_make(card, sizeof card, &ana, "ana", NULL, NOW), ENL_OK);
    put("card-ana", "card", card);

    /* A first-contact note from ana to carmen: X3DH from carmen's card
     * (ephemeral 32 x 0xe4), a seeded ratchet (seed 32 x 0x5e), the Noise X
     * seal with ephemeral 32 x 0xe5. */
    {
        enl_x3dh_keys k;
        enl_ratchet *r = malloc(sizeof *r);
        uint8_t ek_sk[32], ek_pk[32], rseed[32], lock[32], pkey[32], payload[ENL_NOTE_MAX],
                inner[ENL_NOTE_MAX];
        size_t note_len, payload_len, inner_len;
        uint32_t expiry = (uint32_t)(NOW / 3600) + 336;
        memset(ek_sk, 0xe4, 32);
        assert_int_equal(crypto_scalarmult_base(ek_pk, ek_sk), 0);
        memset(rseed, 0x5e, 32);
        assert_int_equal(enl_x3dh_alice(&k, ana.dh_sk, ana.dh_pk, ek_sk, ek_pk, carmen.dh_pk,
                                        carmen.prekey_pk), ENL_OK);
        assert_int_equal(enl_ratchet_init_alice_seeded(r, rseed, k.sk, carmen.prekey_pk, k.hka,
                                                       k.nhkb), ENL_OK);
        put_hex("note-first", "x3dh_sk", k.sk, 32);
        memset(&pl, 0, sizeof pl);
        pl.kind = ENL_KIND_TEXT;
        pl.sent = NOW;
        pl.body = (const uint8_t *)text;
        pl.body_len = sizeof text - 1;
        assert_int_equal(enl_note_sizes(pl.body_len, ENL_PAD_FLOOR, 1, &note_len, &payload_len), ENL_OK);
        assert_int_equal(enl_payload_encode(payload, payload_len, &pl), ENL_OK);
        assert_int_equal(enl_ratchet_next_purge_key(r, pkey), ENL_OK);
        enl_purge_lock(lock, pkey);
        enl_note_header_encode(note, expiry, lock);
        inner[0] = (uint8_t)(carmen.prekey_id >> 24);
        inner[1] = (uint8_t)(carmen.prekey_id >> 16);
        inner[2] = (uint8_t)(carmen.prekey_id >> 8);
        inner[3] = (uint8_t)carmen.prekey_id;
        memcpy(inner + 4, ek_pk, 32);
        inner_len = ENL_FIRST_INITBYTES + payload_len + ENL_RATCHET_OVERHEAD;
        assert_int_equal(enl_ratchet_encrypt(r, inner + ENL_FIRST_INITBYTES,
                                             payload_len + ENL_RATCHET_OVERHEAD, note,
                                             ENL_NOTE_HEADERBYTES, payload, payload_len), ENL_OK);
        memset(e, 0xe5, sizeof e);
        assert_int_equal(enl_note_seal_first(note, note_len, &ana, carmen.dh_pk, inner, inner_len,
                                             e), ENL_OK);
        len = note_len;
        snprintf(buf, sizeof buf, "%zu", len);
        put("note-first", "length", buf);
        put_hex("note-first", "note", note, len);
        enl_note_id(id, note, len);
        put_hex("note-first", "id", id, 32);
        put_hex("note-first", "purge_key", pkey, 32);
        put_hex("note-first", "purge_lock", note + ENL_NOTE_LOCK_OFFSET, ENL_PURGELOCK_WIREBYTES);
        enl_purge_encode(purge, expiry, pkey);
        put_hex("note-first", "purge_record", purge, sizeof purge);
        enl_ratchet_wipe(r);
        free(r);
        sodium_memzero(&k, sizeof k);
    }

    /* The Double Ratchet alone: fill(x) = x, x+1, ..., x+31; SK = fill(0x00),
     * Bob's prekey secret fill(0x20), HKA fill(0x40), NHKB fill(0x60), test
     * seeds fill(0x80) (Alice) and fill(0xa0) (Bob), AD "enlace ratchet
     * vectors"; A1 A2 A3, then B1 B2, then A4, each read in order, each
     * plaintext its own name. */
    {
        static const char *const names[6] = { "A1", "A2", "A3", "B1", "B2", "A4" };
        static const uint8_t vad[] = "enlace ratchet vectors";
        uint8_t sk[32], bsk[32], bpk[32], hka[32], nhkb[32], as[32], bs[32];
        uint8_t m[2 + ENL_RATCHET_OVERHEAD], pt[2 + ENL_RATCHET_OVERHEAD];
        enl_ratchet *ra = malloc(sizeof *ra), *rb = malloc(sizeof *rb);
        for (int i = 0; i < 32; i++) {
            sk[i] = (uint8_t)i; bsk[i] = (uint8_t)(0x20 + i); hka[i] = (uint8_t)(0x40 + i);
            nhkb[i] = (uint8_t)(0x60 + i); as[i] = (uint8_t)(0x80 + i); bs[i] = (uint8_t)(0xa0 + i);
        }
        assert_int_equal(crypto_scalarmult_base(bpk, bsk), 0);
        put_hex("ratchet", "bob_prekey_pk", bpk, 32);
        assert_int_equal(enl_ratchet_init_alice_seeded(ra, as, sk, bpk, hka, nhkb), ENL_OK);
        assert_int_equal(enl_ratchet_init_bob_seeded(rb, bs, sk, bsk, bpk, hka, nhkb), ENL_OK);
        for (int i = 0; i < 6; i++) {
            enl_ratchet *from = (i == 3 || i == 4) ? rb : ra, *to = from == ra ? rb : ra;
            size_t n = 0, ml = 2 + ENL_RATCHET_OVERHEAD;
            assert_int_equal(enl_ratchet_encrypt(from, m, ml, vad, sizeof vad - 1,
                                                 (const uint8_t *)names[i], 2), ENL_OK);
            assert_int_equal(enl_ratchet_decrypt(to, pt, &n, vad, sizeof vad - 1, m, ml, NULL), ENL_OK);
            assert_int_equal(n, 2);
            put_hex("ratchet", names[i], m, ml);
        }
        enl_ratchet_wipe(ra);
        enl_ratchet_wipe(rb);
        free(ra);
        free(rb);
    }

    /* A bulletin by ana at day NOW/86400, slot 3: published NOW, expiry
     * NOW/3600 + 168, purge lock 32 x 0x22 (random in real bulletins),
     * channel "news". */
    {
        static uint8_t plain[ENL_NOTE_MAX];
        uint8_t k[32], tag[16], lock[32];
        uint32_t day = (uint32_t)(NOW / 86400);
        enl_bulletin b;
        memset(&b, 0, sizeof b);
        b.published = NOW;
        b.expiry_hours = (uint32_t)(NOW / 3600) + 168;
        b.channel = (const uint8_t *)"news";
        b.channel_len = 4;
        b.text = (const uint8_t *)text;
        b.text_len = sizeof text - 1;
        enl_bulletin_author_key(k, fa);
        put_hex("bulletin", "author_key", k, 32);
        snprintf(buf, sizeof buf, "%u", day);
        put("bulletin", "day", buf);
        put("bulletin", "slot", "3");
        enl_bulletin_tag(tag, k, day, 3);
        put_hex("bulletin", "tag", tag, 16);
        assert_int_equal(enl_bulletin_note_len(b.channel_len, b.text_len, &len), ENL_OK);
        memset(lock, 0x22, sizeof lock);
        enl_note_header_encode(note, b.expiry_hours, lock);
        assert_int_equal(enl_bulletin_seal(note, len, plain, &ana, k, day, 3, &b), ENL_OK);
        snprintf(buf, sizeof buf, "%zu", len);
        put("bulletin", "length", buf);
        put_hex("bulletin", "note", note, len);
        enl_note_id(id, note, len);
        put_hex("bulletin", "id", id, 32);
    }

    {
        static const size_t ls[] = { 100, 256, 257, 300, 1000, 1025, 4000, 65000 };
        char all[256] = "";
        for (size_t i = 0; i < sizeof ls / sizeof ls[0]; i++) {
            char one[32];
            snprintf(one, sizeof one, "%s%zu->%zu", i ? " " : "", ls[i], enl_padme(ls[i]));
            strcat(all, one);
        }
        put("padme", "values", all);
    }
    compute_paper();
    compute_file();
    compute_recon();
    compute_cell(&ana, &carmen);
    enl_identity_wipe(&ana);
    enl_identity_wipe(&carmen);
}

static void print_blocks(void)
{
    char block[64] = "";
    for (size_t i = 0; i < ncomputed; i++) {
        char b[64], *dot;
        memcpy(b, computed[i].key, sizeof b);
        dot = strchr(b, '.');
        *dot = '\0';
        if (strcmp(b, block) != 0) {
            if (block[0]) printf("```\n\n");
            printf("```vector %s\n", b);
            memcpy(block, b, sizeof block);
        }
        printf("%s: %s\n", dot + 1, computed[i].value);
    }
    printf("```\n");
}

static void test_document_matches_code(void **state)
{
    FILE *f = fopen("docs/PROTOCOL.md", "r");
    char line[8192], block[64] = "";
    size_t matched = 0;
    (void)state;
    assert_non_null(f);
    while (fgets(line, sizeof line, f) != NULL) {
        char *colon;
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "```vector ", 10) == 0) {
            snprintf(block, sizeof block, "%.60s", line + 10);
            continue;
        }
        if (strncmp(line, "```", 3) == 0) {
            block[0] = '\0';
            continue;
        }
        if (!block[0] || (colon = strstr(line, ": ")) == NULL) continue;
        *colon = '\0';
        for (size_t i = 0; i < ncomputed; i++) {
            char key[160];
            if (strlen(line) > 64) continue;
            snprintf(key, sizeof key, "%.64s.%.64s", block, line);
            if (strcmp(key, computed[i].key) == 0) {
                if (strcmp(colon + 2, computed[i].value) != 0)
                    fail_msg("docs/PROTOCOL.md %s: document says %s, code gives %s", key,
                             colon + 2, computed[i].value);
                matched++;
            }
        }
    }
    fclose(f);
    assert_int_equal(matched, ncomputed);
}

static void test_vector_note_opens(void **state)
{
    /* The documented note must open with carmen's keys, start a session
     * from her prekey, and say what it says. */
    enl_identity ana, carmen;
    enl_x3dh_keys k;
    enl_ratchet *r = malloc(sizeof *r);
    uint8_t seed[32], note[ENL_NOTE_MAX], plain[ENL_NOTE_MAX], pt[ENL_NOTE_MAX];
    uint8_t sdh[32], ssign[32], key[32], lock[ENL_PURGELOCKBYTES];
    const uint8_t *inner = NULL;
    const char *hex = NULL;
    enl_payload pl;
    size_t len, inner_len = 0, pt_len = 0;
    (void)state;
    for (size_t i = 0; i < ncomputed; i++)
        if (strcmp(computed[i].key, "note-first.note") == 0) hex = computed[i].value;
    assert_non_null(hex);
    len = strlen(hex) / 2;
    assert_int_equal(enl_hex_decode(note, len, hex, strlen(hex)), ENL_OK);
    seed_of(seed, 0xa1);
    assert_int_equal(enl_identity_from_seed(&ana, seed, NOW), ENL_OK);
    seed_of(seed, 0xc2);
    assert_int_equal(enl_identity_from_seed(&carmen, seed, NOW), ENL_OK);
    assert_int_equal(enl_note_open_first(note, len, carmen.dh_sk, plain, sdh, ssign, &inner,
                                         &inner_len), ENL_OK);
    assert_memory_equal(sdh, ana.dh_pk, 32);
    assert_memory_equal(ssign, ana.sign_pk, 32);
    assert_int_equal(enl_x3dh_bob(&k, carmen.dh_sk, carmen.dh_pk, carmen.prekey_sk,
                                  carmen.prekey_pk, ana.dh_pk, inner + 4), ENL_OK);
    assert_int_equal(enl_ratchet_init_bob(r, k.sk, carmen.prekey_sk, carmen.prekey_pk, k.hka,
                                          k.nhkb), ENL_OK);
    assert_int_equal(enl_ratchet_decrypt(r, pt, &pt_len, note, ENL_NOTE_HEADERBYTES,
                                         inner + ENL_FIRST_INITBYTES,
                                         inner_len - ENL_FIRST_INITBYTES, key), ENL_OK);
    assert_int_equal(enl_payload_parse(&pl, pt, pt_len), ENL_OK);
    assert_int_equal(pl.body_len, 20);
    assert_memory_equal(pl.body, "the leaflet is ready", 20);
    /* The purge key the recipient derives opens the lock in the header. */
    memcpy(pl.purge_key, key, 32);
    memset(lock, 0, sizeof lock);
    memcpy(lock, note + ENL_NOTE_LOCK_OFFSET, ENL_PURGELOCK_WIREBYTES);
    assert_int_equal(enl_payload_check_lock(&pl, lock), ENL_OK);
    enl_ratchet_wipe(r);
    free(r);
    enl_identity_wipe(&ana);
    enl_identity_wipe(&carmen);
}

static void test_vector_bulletin_opens(void **state)
{
    /* The documented bulletin opens under ana's author key, at its
     * position, and says what it says. */
    static uint8_t note[ENL_NOTE_MAX], plain[ENL_NOTE_MAX];
    enl_identity ana;
    enl_bulletin b;
    uint8_t seed[32], fp[32], k[32];
    const char *hex = NULL;
    size_t len;
    (void)state;
    for (size_t i = 0; i < ncomputed; i++)
        if (strcmp(computed[i].key, "bulletin.note") == 0) hex = computed[i].value;
    assert_non_null(hex);
    len = strlen(hex) / 2;
    assert_int_equal(enl_hex_decode(note, len, hex, strlen(hex)), ENL_OK);
    seed_of(seed, 0xa1);
    assert_int_equal(enl_identity_from_seed(&ana, seed, NOW), ENL_OK);
    enl_fingerprint_raw(fp, ana.sign_pk, ana.dh_pk);
    enl_bulletin_author_key(k, fp);
    assert_int_equal(enl_bulletin_open(&b, plain, note, len, k, fp, (uint32_t)(NOW / 86400), 3),
                     ENL_OK);
    assert_int_equal(b.text_len, 20);
    assert_memory_equal(b.text, "the leaflet is ready", 20);
    assert_memory_equal(b.sign_pk, ana.sign_pk, 32);
    enl_identity_wipe(&ana);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_matches_code),
        cmocka_unit_test(test_vector_note_opens),
        cmocka_unit_test(test_vector_bulletin_opens),
    };
    if (enl_init() != ENL_OK) return 1;
    compute();
    if (getenv("ENL_PRINT_VECTORS") != NULL) {
        print_blocks();
        return 0;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
