/*
 * Issue 4's recognition benchmark: what a note that is not for this profile
 * costs, with 1 session and with 1,000 sessions. It must stay constant per
 * note (DESIGN.md, "What must always hold", 2): session notes are found by
 * one lookup of their tag, and a first-contact note costs one X25519 per
 * local identity, never a trial decryption per contact or per session.
 *
 *   bench_recognize [F [SESSIONS [INTAKE [F1]]]]
 *       F         foreign notes to recognise (default 100,000)
 *       SESSIONS  sessions in the large profile (default 1,000)
 *       INTAKE    how many of them to take in for real (default 10,000)
 *       F1        how many of them the 1-session profile recognises, for
 *                 comparison (default F; fewer saves time: they are taken
 *                 from the start of every chunk)
 *
 * Two profiles: one with 1 session and one with SESSIONS sessions, each
 * started the way a contact starts one: a first-contact note from a
 * sender (a fresh identity per session) taken in with enl_note_intake.
 *
 * The foreign notes are 256-byte notes whose body is random but whose
 * ephemeral key carries the top bit a real first-contact note would: to
 * this profile they are exactly someone else's first-contact notes, the
 * dearest kind to recognise (a session note for someone else has a random
 * top bit and half of them are refused before the X25519).
 *
 * Measured, alternating between the two profiles in chunks:
 *   peek    enl_note_peek: every check and the recognition, nothing stored
 *           (all F notes);
 *   intake  enl_note_intake: the same, and the note is stored to be carried
 *           on (one SQLite transaction each; INTAKE notes).
 */
#include "bench.h"
#include "count_x25519.h"
#include "core/profile.h"
#include "notes.h"

#define CHUNKS 10

static uint8_t *make_foreign(unsigned long f, size_t len)
{
    uint8_t *v = malloc((size_t)f * len), lock[32], h[16];
    uint32_t expiry = (uint32_t)(time(NULL) / 3600 + ENL_EXPIRY_DEFAULT_HOURS);
    if (v == NULL) exit(1);
    randombytes_buf(v, (size_t)f * len);
    for (unsigned long i = 0; i < f; i++) {
        uint8_t *n = v + (size_t)i * len, *body = n + ENL_NOTE_HEADERBYTES;
        size_t blen = len - ENL_NOTE_HEADERBYTES;
        memcpy(lock, n + 5, 32);
        enl_note_header_encode(n, expiry, lock);
        /* The top bit of e as enl_seal_x sets it (seal.c: top_bit). */
        crypto_generichash(h, sizeof h, body + 32, blen - 32, NULL, 0);
        body[31] = (uint8_t)((body[31] & 0x7f) | ((h[0] & 1) << 7));
    }
    return v;
}

/* The card's public values, as a sender needs them. */
static void peer_of(enl_profile *p, enl_identity *peer)
{
    char *text = NULL;
    enl_card card;
    BENCH_CHECK(enl_profile_card(p, &text), "card", p);
    if (enl_card_parse(&card, text, strlen(text), 0) != ENL_OK) exit(1);
    memset(peer, 0, sizeof *peer);
    memcpy(peer->dh_pk, card.dh_pk, 32);
    memcpy(peer->prekey_pk, card.prekey_pk, 32);
    peer->prekey_id = card.prekey_id;
    free(text);
}

/* k senders each start a session with p. */
static void start_sessions(enl_profile *p, unsigned long k)
{
    enl_identity *peer = malloc(sizeof *peer), *sender = malloc(sizeof *sender);
    tx_session *tx = malloc(sizeof *tx);
    uint8_t *note = malloc(ENL_NOTE_MAX);
    static const uint8_t text[] = "hello";
    enl_sync_stats st;

    if (peer == NULL || sender == NULL || tx == NULL || note == NULL) exit(1);
    memset(&st, 0, sizeof st);
    peer_of(p, peer);
    for (unsigned long i = 0; i < k; i++) {
        size_t len;
        if (enl_identity_generate(sender, (uint64_t)time(NULL)) != ENL_OK) exit(1);
        tx_start(tx, sender, peer);
        len = tx_seal(note, tx, sender, peer, 1, text, sizeof text - 1);
        BENCH_CHECK(enl_note_intake(p, note, len, &st), "intake", p);
    }
    if (st.delivered + st.requests != k) {
        fprintf(stderr, "bench: %llu of %lu sessions started\n",
                (unsigned long long)(st.delivered + st.requests), k);
        exit(1);
    }
    enl_identity_wipe(sender);
    free(peer);
    free(sender);
    free(tx);
    free(note);
}

static uint64_t rows(enl_profile *p, const char *table)
{
    uint64_t n = 0;
    BENCH_CHECK(enl_store_count(p->st, table, &n), "count", p);
    return n;
}

static int never(const enl_message *m, void *ctx)
{
    (void)m;
    (void)ctx;
    return ENL_EINVAL;   /* a foreign note must never open */
}

typedef struct {
    double secs;
    unsigned long notes, x25519, x25519_base, other_rc;
    double chunk_us[CHUNKS];
} tally;

/* One chunk [from, to) of the notes into p. */
static void run_chunk(enl_profile *p, int intake, const uint8_t *notes, size_t len,
                      unsigned long from, unsigned long to, tally *t, int chunk)
{
    double t0;
    count_reset();
    t0 = bench_now();
    for (unsigned long i = from; i < to; i++) {
        const uint8_t *n = notes + (size_t)i * len;
        int rc = intake ? enl_note_intake(p, n, len, NULL) : enl_note_peek(p, n, len, never, NULL);
        if (rc != (intake ? ENL_OK : ENL_ENOTFORME)) {
            if (t->other_rc++ < 3) bench_note("note %lu: %s", i, enl_strerror(rc));
        }
    }
    t0 = bench_now() - t0;
    t->secs += t0;
    t->notes += to - from;
    t->x25519 += n_var;
    t->x25519_base += n_base;
    t->chunk_us[chunk] = to > from ? t0 / (double)(to - from) * 1e6 : 0;
}

static void put_tally(const char *name, const tally *t)
{
    char key[64];
    double lo = t->chunk_us[0], hi = t->chunk_us[0];
    for (int c = 1; c < CHUNKS; c++) {
        if (t->chunk_us[c] < lo) lo = t->chunk_us[c];
        if (t->chunk_us[c] > hi) hi = t->chunk_us[c];
    }
    snprintf(key, sizeof key, "%s_notes", name);
    bench_put(key, "%lu", t->notes);
    snprintf(key, sizeof key, "%s_us", name);
    bench_put(key, "%.2f", t->secs / (double)t->notes * 1e6);
    snprintf(key, sizeof key, "%s_first_chunk_us", name);
    bench_put(key, "%.2f", t->chunk_us[0]);
    snprintf(key, sizeof key, "%s_last_chunk_us", name);
    bench_put(key, "%.2f", t->chunk_us[CHUNKS - 1]);
    snprintf(key, sizeof key, "%s_chunk_min_us", name);
    bench_put(key, "%.2f", lo);
    snprintf(key, sizeof key, "%s_chunk_max_us", name);
    bench_put(key, "%.2f", hi);
    snprintf(key, sizeof key, "%s_x25519", name);
    bench_put(key, "%.3f", (double)t->x25519 / (double)t->notes);
    snprintf(key, sizeof key, "%s_x25519_base", name);
    bench_put(key, "%.3f", (double)t->x25519_base / (double)t->notes);
    snprintf(key, sizeof key, "%s_unexpected", name);
    bench_put(key, "%lu", t->other_rc);
}

int main(int argc, char **argv)
{
    unsigned long f = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    unsigned long sessions = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
    unsigned long intake = argc > 3 ? strtoul(argv[3], NULL, 10) : 10000;
    unsigned long f1 = argc > 4 ? strtoul(argv[4], NULL, 10) : f;
    const size_t len = ENL_PAD_FLOOR;
    enl_profile *one, *many;
    tally peek1, peekn, in1, inn;
    uint8_t *foreign;
    double t0;
    char *tmp;

    if (f < CHUNKS || sessions == 0 || intake > f || intake < CHUNKS || f1 > f || f1 < CHUNKS) {
        fprintf(stderr, "usage: bench_recognize [F [SESSIONS [INTAKE [F1]]]] "
                        "(CHUNKS=%d <= INTAKE, F1 <= F)\n", CHUNKS);
        return 2;
    }
    counting_init();
    BENCH_CHECK(enl_init(), "init", NULL);
    tmp = bench_tmpdir("recognize");
    one = bench_profile(tmp, "one");
    many = bench_profile(tmp, "many");
    enl_profile_set_quota(one, 10 * (uint64_t)f, (uint64_t)1 << 40);
    enl_profile_set_quota(many, 10 * (uint64_t)f, (uint64_t)1 << 40);

    t0 = bench_now();
    start_sessions(one, 1);
    start_sessions(many, sessions);
    bench_put("setup_s", "%.2f", bench_now() - t0);
    bench_put("sessions_one", "%llu", (unsigned long long)rows(one, "sessions"));
    bench_put("sessions_many", "%llu", (unsigned long long)rows(many, "sessions"));
    bench_put("tags_one", "%llu", (unsigned long long)rows(one, "tags"));
    bench_put("tags_many", "%llu", (unsigned long long)rows(many, "tags"));

    foreign = make_foreign(f, len);
    memset(&peek1, 0, sizeof peek1);
    memset(&peekn, 0, sizeof peekn);
    memset(&in1, 0, sizeof in1);
    memset(&inn, 0, sizeof inn);
    /* Alternate the two profiles chunk by chunk, so that a noisy moment of a
     * shared machine falls on both. */
    for (int c = 0; c < CHUNKS; c++) {
        unsigned long from = f / CHUNKS * (unsigned long)c, to = c == CHUNKS - 1 ? f : from + f / CHUNKS;
        unsigned long to1 = from + f1 / CHUNKS;
        if (c % 2 == 0) {
            run_chunk(one, 0, foreign, len, from, to1, &peek1, c);
            run_chunk(many, 0, foreign, len, from, to, &peekn, c);
        } else {
            run_chunk(many, 0, foreign, len, from, to, &peekn, c);
            run_chunk(one, 0, foreign, len, from, to1, &peek1, c);
        }
    }
    for (int c = 0; c < CHUNKS; c++) {
        unsigned long from = intake / CHUNKS * (unsigned long)c;
        unsigned long to = c == CHUNKS - 1 ? intake : from + intake / CHUNKS;
        run_chunk(c % 2 ? many : one, 1, foreign, len, from, to, c % 2 ? &inn : &in1, c);
        run_chunk(c % 2 ? one : many, 1, foreign, len, from, to, c % 2 ? &in1 : &inn, c);
    }
    bench_put("foreign", "%lu", f);
    bench_put("note_bytes", "%zu", len);
    put_tally("peek_one", &peek1);
    put_tally("peek_many", &peekn);
    bench_put("peek_ratio", "%.3f", (peekn.secs / (double)peekn.notes) / (peek1.secs / (double)peek1.notes));
    put_tally("intake_one", &in1);
    put_tally("intake_many", &inn);
    bench_put("intake_ratio", "%.3f", (inn.secs / (double)inn.notes) / (in1.secs / (double)in1.notes));
    bench_put("carried_one", "%llu", (unsigned long long)rows(one, "notes"));
    bench_put("carried_many", "%llu", (unsigned long long)rows(many, "notes"));
    bench_put("maxrss_kib", "%ld", bench_maxrss_kib());

    enl_profile_close(one);
    enl_profile_close(many);
    bench_rmtree(tmp);
    free(tmp);
    free(foreign);
    return 0;
}
