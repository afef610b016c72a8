/*
 * Work 1 and 5 of issue 9, and the sealing figures of issue 4: what one
 * note costs to seal and to open, against the raw cost of the primitives it
 * is made of, measured in the same run; and how large a sealed message of
 * 100 and 1,000 bytes is.
 *
 *   bench_seal [SCALE]     SCALE (default 1) multiplies every repeat count
 *
 * Three kinds of note, as enlace sends them:
 *   first_new   the first note to a contact: X3DH from the card's signed
 *               prekey, a new Double Ratchet, its first message, all sealed
 *               in a Noise X first-contact note;
 *   first_cont  a later note before the contact has replied: the session
 *               exists, each note is still a Noise X first-contact note;
 *   ratchet     once a reply was read: a bare ratchet message with a tag.
 *
 * Two levels:
 *   crypto_*    the pure layers only (x3dh, ratchet, note), assembled the
 *               way src/core/send.c and src/core/intake.c assemble them, with
 *               no store: the physical cost of the construction;
 *   lib_*       the public API (enl_send_text, enl_note_intake) on real
 *               profiles: the same plus SQLite (one transaction, fsynced,
 *               per note; sessions and messages encrypted at rest).
 *
 * X25519 operations are counted, not assumed: this program defines
 * crypto_scalarmult and crypto_scalarmult_base itself, so the library linked
 * into it calls these wrappers, which count and forward to libsodium's
 * (found with dlsym(RTLD_NEXT)). The baselines call libsodium directly.
 */
#include <sodium.h>

#include "bench.h"
#include "count_x25519.h"
#include "notes.h"

/* ---- output ----------------------------------------------------------- */

/* One measured operation: K repeats in `secs`, with the X25519 counted. */
static void put_op(const char *name, size_t size, unsigned long k, double secs)
{
    char key[96];
    snprintf(key, sizeof key, "%s_%zu_us", name, size);
    bench_put(key, "%.2f", secs / (double)k * 1e6);
    snprintf(key, sizeof key, "%s_%zu_per_s", name, size);
    bench_put(key, "%.0f", (double)k / secs);
    snprintf(key, sizeof key, "%s_%zu_x25519", name, size);
    bench_put(key, "%.2f", (double)n_var / (double)k);
    snprintf(key, sizeof key, "%s_%zu_x25519_base", name, size);
    bench_put(key, "%.2f", (double)n_base / (double)k);
}

/* ---- baselines -------------------------------------------------------- */

typedef struct {
    double var_us, base_us;      /* one X25519: variable base, fixed base */
} dh_cost;

static dh_cost measure_dh(unsigned long k)
{
    uint8_t sk[32], pk[32], out[32];
    dh_cost c;
    double t0;

    randombytes_buf(sk, sizeof sk);
    if (real_smb(pk, sk) != 0) exit(1);
    t0 = bench_now();
    for (unsigned long i = 0; i < k; i++) {
        sk[0] = (uint8_t)i;
        if (real_sm(out, sk, pk) != 0) exit(1);
        pk[1] ^= out[2] & 1;   /* keep the compiler from hoisting the call */
        pk[31] &= 0x7f;
    }
    c.var_us = (bench_now() - t0) / (double)k * 1e6;
    t0 = bench_now();
    for (unsigned long i = 0; i < k; i++) {
        sk[0] = (uint8_t)i;
        if (real_smb(out, sk) != 0) exit(1);
        sk[1] ^= out[2];
    }
    c.base_us = (bench_now() - t0) / (double)k * 1e6;
    return c;
}

/* One XChaCha20-Poly1305 encryption (and decryption) of len bytes. */
static void measure_aead(size_t len, unsigned long k, double *enc_us, double *dec_us)
{
    uint8_t key[32], nonce[24], *m = calloc(1, len), *c = malloc(len + 16);
    unsigned long long clen = 0, mlen = 0;
    double t0;

    if (m == NULL || c == NULL) exit(1);
    randombytes_buf(key, sizeof key);
    randombytes_buf(nonce, sizeof nonce);
    t0 = bench_now();
    for (unsigned long i = 0; i < k; i++) {
        nonce[0] = (uint8_t)i;
        crypto_aead_xchacha20poly1305_ietf_encrypt(c, &clen, m, len, NULL, 0, NULL, nonce, key);
    }
    *enc_us = (bench_now() - t0) / (double)k * 1e6;
    t0 = bench_now();
    for (unsigned long i = 0; i < k; i++)
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(m, &mlen, NULL, c, clen, NULL, 0, nonce,
                                                       key) != 0)
            exit(1);
    *dec_us = (bench_now() - t0) / (double)k * 1e6;
    free(m);
    free(c);
}

/* ---- opening, as intake.c does it (sealing is in notes.h) ------------- */

typedef struct {
    uint8_t ek_pub[32];
    int started;
    enl_ratchet r;
} rx_session;

/* Opens a note (intake.c: open_note, without the store): header, id,
 * then the first-contact body or the ratchet message, then the payload and
 * its purge lock. Returns the body length. */
static size_t rx_open(rx_session *s, const enl_identity *me, const uint8_t *note, size_t len,
                      int first)
{
    static uint8_t scratch[ENL_NOTE_MAX], plain[ENL_NOTE_MAX];
    enl_note_header h;
    enl_payload pl;
    uint8_t id[ENL_IDBYTES], sender_dh[32], sender_sign[32], ek[32];
    const uint8_t *msg = note + ENL_NOTE_HEADERBYTES, *inner = NULL;
    size_t msg_len = len - ENL_NOTE_HEADERBYTES, inner_len = 0, plain_len = 0;
    int rc = enl_note_header_parse(&h, note, len, (uint32_t)(time(NULL) / 3600));

    enl_note_id(id, note, len);
    if (rc == ENL_OK && first) {
        rc = enl_note_open_first(note, len, me->dh_sk, scratch, sender_dh, sender_sign, &inner,
                                 &inner_len);
        if (rc == ENL_OK) {
            enl_rd r = enl_rd_init(inner, inner_len);
            (void)enl_rd_u32(&r);
            enl_rd_bytes(&r, ek, 32);
            msg = inner + r.off;
            msg_len = inner_len - r.off;
            if (!s->started || memcmp(ek, s->ek_pub, 32) != 0) {
                enl_x3dh_keys k;
                rc = enl_x3dh_bob(&k, me->dh_sk, me->dh_pk, me->prekey_sk, me->prekey_pk,
                                  sender_dh, ek);
                if (rc == ENL_OK)
                    rc = enl_ratchet_init_bob(&s->r, k.sk, me->prekey_sk, me->prekey_pk, k.hka,
                                              k.nhkb);
                memcpy(s->ek_pub, ek, 32);
                s->started = 1;
                sodium_memzero(&k, sizeof k);
            }
        }
    }
    if (rc == ENL_OK)
        rc = enl_ratchet_decrypt(&s->r, plain, &plain_len, note, ENL_NOTE_HEADERBYTES, msg,
                                 msg_len, pl.purge_key);
    if (rc == ENL_OK) rc = enl_payload_parse(&pl, plain, plain_len);
    if (rc == ENL_OK) rc = enl_payload_check_lock(&pl, h.purge_lock);
    if (rc != ENL_OK) {
        fprintf(stderr, "bench: open failed: %s\n", enl_strerror(rc));
        exit(1);
    }
    return pl.body_len;
}

typedef struct {
    uint8_t *buf;       /* k notes of stride ENL_NOTE_MAX */
    size_t *len;
    unsigned long k;
} note_set;

static void notes_alloc(note_set *n, unsigned long k)
{
    n->buf = malloc((size_t)k * ENL_NOTE_MAX);
    n->len = malloc(k * sizeof *n->len);
    n->k = k;
    if (n->buf == NULL || n->len == NULL) exit(1);
}

static void notes_free(note_set *n)
{
    free(n->buf);
    free(n->len);
}

#define NOTE_AT(n, i) ((n)->buf + (size_t)(i) * ENL_NOTE_MAX)

/* The crypto_* rows for one message size. */
static void crypto_rows(size_t size, unsigned long k_first, unsigned long k_ratchet,
                        const enl_identity *alice, const enl_identity *bob)
{
    tx_session *tx = malloc(sizeof *tx);
    rx_session *rx = malloc(sizeof *rx);
    uint8_t *text = malloc(size + 1), reply[ENL_NOTE_MAX];
    note_set ns;
    double t0;
    size_t rl;

    if (tx == NULL || rx == NULL || text == NULL) exit(1);
    bench_text((char *)text, size, 7);

    /* first_new: a new session for every note. */
    notes_alloc(&ns, k_first);
    count_reset();
    t0 = bench_now();
    for (unsigned long i = 0; i < k_first; i++) {
        tx_start(tx, alice, bob);
        ns.len[i] = tx_seal(NOTE_AT(&ns, i), tx, alice, bob, 1, text, size);
    }
    put_op("crypto_seal_first_new", size, k_first, bench_now() - t0);
    bench_put(size == 100 ? "size_first_100" : "size_first_1000", "%zu", ns.len[0]);
    count_reset();
    t0 = bench_now();
    for (unsigned long i = 0; i < k_first; i++) {
        rx->started = 0;
        if (rx_open(rx, bob, NOTE_AT(&ns, i), ns.len[i], 1) != size) exit(1);
    }
    put_op("crypto_open_first_new", size, k_first, bench_now() - t0);

    /* first_cont: one session, every note a first-contact note on it. */
    tx_start(tx, alice, bob);
    count_reset();
    t0 = bench_now();
    for (unsigned long i = 0; i < k_first; i++)
        ns.len[i] = tx_seal(NOTE_AT(&ns, i), tx, alice, bob, 1, text, size);
    put_op("crypto_seal_first_cont", size, k_first, bench_now() - t0);
    rx->started = 0;
    if (rx_open(rx, bob, NOTE_AT(&ns, 0), ns.len[0], 1) != size) exit(1);   /* starts it */
    count_reset();
    t0 = bench_now();
    for (unsigned long i = 1; i < k_first; i++)
        if (rx_open(rx, bob, NOTE_AT(&ns, i), ns.len[i], 1) != size) exit(1);
    put_op("crypto_open_first_cont", size, k_first - 1, bench_now() - t0);
    notes_free(&ns);

    /* ratchet: Bob replies once; Alice reads it; then bare ratchet notes. */
    {
        tx_session *btx = malloc(sizeof *btx);
        rx_session *arx = malloc(sizeof *arx);
        if (btx == NULL || arx == NULL) exit(1);
        memcpy(&btx->r, &rx->r, sizeof rx->r);
        rl = tx_seal(reply, btx, bob, alice, 0, text, size);
        memcpy(&rx->r, &btx->r, sizeof rx->r);
        memcpy(&arx->r, &tx->r, sizeof tx->r);
        arx->started = 1;
        if (rx_open(arx, alice, reply, rl, 0) != size) exit(1);
        memcpy(&tx->r, &arx->r, sizeof tx->r);
        if (!enl_ratchet_can_send_without_init(&tx->r)) exit(1);
        free(btx);
        free(arx);
    }
    notes_alloc(&ns, k_ratchet);
    count_reset();
    t0 = bench_now();
    for (unsigned long i = 0; i < k_ratchet; i++)
        ns.len[i] = tx_seal(NOTE_AT(&ns, i), tx, alice, bob, 0, text, size);
    put_op("crypto_seal_ratchet", size, k_ratchet, bench_now() - t0);
    bench_put(size == 100 ? "size_ratchet_100" : "size_ratchet_1000", "%zu", ns.len[0]);
    count_reset();
    t0 = bench_now();
    for (unsigned long i = 0; i < k_ratchet; i++)
        if (rx_open(rx, bob, NOTE_AT(&ns, i), ns.len[i], 0) != size) exit(1);
    put_op("crypto_open_ratchet", size, k_ratchet, bench_now() - t0);
    notes_free(&ns);

    enl_ratchet_wipe(&tx->r);
    enl_ratchet_wipe(&rx->r);
    free(tx);
    free(rx);
    free(text);
}

/* ---- the library: enl_send_text and enl_note_intake -------------------- */

/* A card for a fresh identity, as a contact of someone else would have. */
static char *card_of(const enl_identity *id, const char *name)
{
    char *t = malloc(ENL_CARD_TEXTMAX);
    if (t == NULL || enl_card_make(t, ENL_CARD_TEXTMAX, id, name, NULL,
                                   (uint64_t)time(NULL)) != ENL_OK)
        exit(1);
    return t;
}

static uint8_t *get_note(enl_profile *p, const uint8_t id[ENL_IDBYTES], size_t *len)
{
    uint8_t *n = NULL;
    BENCH_CHECK(enl_note_get(p, id, &n, len), "note get", p);
    return n;
}

static void intake_all(const char *name, size_t size, enl_profile *b, uint8_t **notes,
                       size_t *lens, unsigned long k)
{
    enl_sync_stats st;
    double t0;
    memset(&st, 0, sizeof st);
    count_reset();
    t0 = bench_now();
    for (unsigned long i = 0; i < k; i++)
        BENCH_CHECK(enl_note_intake(b, notes[i], lens[i], &st), "intake", b);
    put_op(name, size, k, bench_now() - t0);
    if (st.delivered + st.requests != k) {
        fprintf(stderr, "bench: %s: %llu of %lu delivered\n", name,
                (unsigned long long)(st.delivered + st.requests), k);
        exit(1);
    }
}

static void lib_rows(const char *tmp, size_t size, unsigned long k_new, unsigned long k)
{
    enl_profile *a, *b, *m;
    enl_identity *strangers = malloc(k_new * sizeof *strangers);
    uint8_t (*ids)[ENL_IDBYTES] = malloc(k * sizeof *ids), **notes = malloc(k * sizeof *notes);
    size_t *lens = malloc(k * sizeof *lens);
    char *text = malloc(size + 1), sub[4096];
    enl_contact_info ci;
    double t0;

    if (strangers == NULL || ids == NULL || notes == NULL || lens == NULL || text == NULL) exit(1);
    bench_text(text, size, 11);
    snprintf(sub, sizeof sub, "%s/%zu", tmp, size);
    if (mkdir(sub, 0700) != 0) exit(1);
    a = bench_profile(sub, "a");
    b = bench_profile(sub, "b");
    m = bench_profile(sub, "m");
    bench_introduce(a, b);

    /* first_new through the library: m has k_new contacts and sends each
     * one note, so each starts a session. (a and b, below, have one
     * contact each: enl_send_text finds a contact by name by decrypting
     * and checking every stored card, so its cost grows with their
     * number; first_new cannot avoid having many.) */
    for (unsigned long i = 0; i < k_new; i++) {
        char name[32], *card;
        if (enl_identity_generate(&strangers[i], (uint64_t)time(NULL)) != ENL_OK) exit(1);
        snprintf(name, sizeof name, "c%lu", i);
        card = card_of(&strangers[i], name);
        BENCH_CHECK(enl_contact_add(m, card, NULL, &ci), "contact add", m);
        free(card);
    }
    count_reset();
    t0 = bench_now();
    for (unsigned long i = 0; i < k_new; i++) {
        char name[32];
        snprintf(name, sizeof name, "c%lu", i);
        BENCH_CHECK(enl_send_text(m, name, (const uint8_t *)text, size, NULL, NULL), "send", m);
    }
    put_op("lib_send_first_new", size, k_new, bench_now() - t0);
    enl_profile_close(m);

    /* ... and opened: k_new strangers' first notes to b (requests). */
    {
        enl_identity *bid = malloc(sizeof *bid);
        tx_session *tx = malloc(sizeof *tx);
        char *bcard = NULL;
        enl_card card;
        if (bid == NULL || tx == NULL) exit(1);
        BENCH_CHECK(enl_profile_card(b, &bcard), "card", b);
        if (enl_card_parse(&card, bcard, strlen(bcard), 0) != ENL_OK) exit(1);
        memset(bid, 0, sizeof *bid);
        memcpy(bid->dh_pk, card.dh_pk, 32);
        memcpy(bid->prekey_pk, card.prekey_pk, 32);
        bid->prekey_id = card.prekey_id;
        for (unsigned long i = 0; i < k_new; i++) {
            notes[i] = malloc(ENL_NOTE_MAX);
            if (notes[i] == NULL) exit(1);
            tx_start(tx, &strangers[i], bid);
            lens[i] = tx_seal(notes[i], tx, &strangers[i], bid, 1, (const uint8_t *)text, size);
        }
        intake_all("lib_open_first_new", size, b, notes, lens, k_new);
        for (unsigned long i = 0; i < k_new; i++) free(notes[i]);
        free(bcard);
        free(bid);
        free(tx);
    }

    /* first_cont: k notes a -> b before b replies. */
    count_reset();
    t0 = bench_now();
    for (unsigned long i = 0; i < k; i++)
        BENCH_CHECK(enl_send_text(a, "b", (const uint8_t *)text, size, NULL, ids[i]), "send", a);
    put_op("lib_send_first_cont", size, k, bench_now() - t0);
    for (unsigned long i = 0; i < k; i++) notes[i] = get_note(a, ids[i], &lens[i]);
    /* The first note starts b's session; the rest continue it. */
    BENCH_CHECK(enl_note_intake(b, notes[0], lens[0], NULL), "intake", b);
    intake_all("lib_open_first_cont", size, b, notes + 1, lens + 1, k - 1);
    for (unsigned long i = 0; i < k; i++) free(notes[i]);

    /* ratchet: b replies, a reads it, then k ratchet notes a -> b. */
    {
        uint8_t rid[ENL_IDBYTES], *rn;
        size_t rlen;
        BENCH_CHECK(enl_send_text(b, "a", (const uint8_t *)text, size, NULL, rid), "send", b);
        rn = get_note(b, rid, &rlen);
        BENCH_CHECK(enl_note_intake(a, rn, rlen, NULL), "intake", a);
        free(rn);
    }
    count_reset();
    t0 = bench_now();
    for (unsigned long i = 0; i < k; i++)
        BENCH_CHECK(enl_send_text(a, "b", (const uint8_t *)text, size, NULL, ids[i]), "send", a);
    put_op("lib_send_ratchet", size, k, bench_now() - t0);
    for (unsigned long i = 0; i < k; i++) notes[i] = get_note(a, ids[i], &lens[i]);
    {
        size_t want = 0, pl = 0;
        if (enl_note_sizes(size, ENL_PAD_FLOOR, 0, &want, &pl) != ENL_OK || lens[0] != want)
            bench_note("a ratchet note from enl_send_text is %zu bytes, not %zu", lens[0], want);
    }
    intake_all("lib_open_ratchet", size, b, notes, lens, k);
    for (unsigned long i = 0; i < k; i++) free(notes[i]);

    enl_profile_close(a);
    enl_profile_close(b);
    for (unsigned long i = 0; i < k_new; i++) enl_identity_wipe(&strangers[i]);
    free(strangers);
    free(ids);
    free(notes);
    free(lens);
    free(text);
}

int main(int argc, char **argv)
{
    unsigned long scale = argc > 1 ? strtoul(argv[1], NULL, 10) : 1;
    static const size_t sizes[] = { 100, 1000 };
    enl_identity *alice = malloc(sizeof *alice), *bob = malloc(sizeof *bob);
    dh_cost dh;
    char *tmp;

    if (scale == 0 || alice == NULL || bob == NULL) return 2;
    counting_init();
    BENCH_CHECK(enl_init(), "init", NULL);
    if (enl_identity_generate(alice, (uint64_t)time(NULL)) != ENL_OK ||
        enl_identity_generate(bob, (uint64_t)time(NULL)) != ENL_OK)
        return 1;

    dh = measure_dh(4000 * scale);
    bench_put("x25519_us", "%.2f", dh.var_us);
    bench_put("x25519_base_us", "%.2f", dh.base_us);
    for (size_t i = 0; i < 2; i++) {
        size_t first_len, ratchet_len, pl;
        double enc, dec;
        char key[64];
        if (enl_note_sizes(sizes[i], ENL_PAD_FLOOR, 1, &first_len, &pl) != ENL_OK ||
            enl_note_sizes(sizes[i], ENL_PAD_FLOOR, 0, &ratchet_len, &pl) != ENL_OK)
            return 1;
        /* The AEAD of the same size: one pass over the whole note. */
        measure_aead(first_len, 100000 * scale, &enc, &dec);
        snprintf(key, sizeof key, "aead_first_%zu_us", sizes[i]);
        bench_put(key, "%.3f", enc);
        snprintf(key, sizeof key, "aead_open_first_%zu_us", sizes[i]);
        bench_put(key, "%.3f", dec);
        measure_aead(ratchet_len, 100000 * scale, &enc, &dec);
        snprintf(key, sizeof key, "aead_ratchet_%zu_us", sizes[i]);
        bench_put(key, "%.3f", enc);
        snprintf(key, sizeof key, "aead_open_ratchet_%zu_us", sizes[i]);
        bench_put(key, "%.3f", dec);
        crypto_rows(sizes[i], 1000 * scale, 20000 * scale, alice, bob);
    }
    tmp = bench_tmpdir("seal");
    for (size_t i = 0; i < 2; i++) lib_rows(tmp, sizes[i], 100 * scale, 150 * scale);
    bench_put("maxrss_kib", "%ld", bench_maxrss_kib());
    bench_rmtree(tmp);
    free(tmp);
    enl_identity_wipe(alice);
    enl_identity_wipe(bob);
    free(alice);
    free(bob);
    return 0;
}
