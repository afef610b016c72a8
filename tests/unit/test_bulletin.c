/*
 * Bulletins: the sealed form round trips; forged signatures, another
 * author's keys under the right author key, altered and truncated notes are
 * refused; the tag window is what followers need; and, with real profiles,
 * a follower reads a bulletin once, keeps carrying it, refuses a forgery
 * without storing it, and moves its tag window when the day changes.
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
#include <sys/stat.h>
#include <unistd.h>

#include "core/profile.h"
#include "crypto/revocation.h"
#include "enlace.h"
#include "note/bulletin.h"
#include "store/store.h"

#define NOW 1790000000ull
#define DAY ((uint32_t)(NOW / 86400))

static enl_identity ana, beto;
static uint8_t ana_fp[32], beto_fp[32], ana_k[32];

static void seed_identity(enl_identity *id, uint8_t fill)
{
    uint8_t seed[32];
    memset(seed, fill, sizeof seed);
    assert_int_equal(enl_identity_from_seed(id, seed, NOW), ENL_OK);
}

static int setup(void **state)
{
    (void)state;
    if (enl_init() != ENL_OK) return -1;
    seed_identity(&ana, 0xa1);
    seed_identity(&beto, 0xb3);
    enl_fingerprint_raw(ana_fp, ana.sign_pk, ana.dh_pk);
    enl_fingerprint_raw(beto_fp, beto.sign_pk, beto.dh_pk);
    enl_bulletin_author_key(ana_k, ana_fp);
    return 0;
}

/* A bulletin sealed by `by` under author key k at (day, slot). */
static size_t make(uint8_t *note, const enl_identity *by, const uint8_t k[32], uint32_t day,
                   uint8_t slot, uint64_t published, uint32_t expiry, const char *channel,
                   const char *text)
{
    static uint8_t plain[ENL_NOTE_MAX];
    uint8_t lock[32];
    enl_bulletin b;
    size_t len = 0;
    memset(&b, 0, sizeof b);
    b.published = published;
    b.expiry_hours = expiry;
    b.channel = (const uint8_t *)channel;
    b.channel_len = strlen(channel);
    b.text = (const uint8_t *)text;
    b.text_len = strlen(text);
    assert_int_equal(enl_bulletin_note_len(b.channel_len, b.text_len, &len), ENL_OK);
    memset(lock, 0x22, sizeof lock);
    enl_note_header_encode(note, expiry, lock);
    assert_int_equal(enl_bulletin_seal(note, len, plain, by, k, day, slot, &b), ENL_OK);
    return len;
}

static size_t make_ana(uint8_t *note, uint8_t slot, const char *text)
{
    return make(note, &ana, ana_k, DAY, slot, NOW, (uint32_t)(NOW / 3600) + 168, "news", text);
}

static void test_round_trip(void **state)
{
    static uint8_t note[ENL_NOTE_MAX], plain[ENL_NOTE_MAX];
    enl_bulletin b;
    size_t len;
    (void)state;
    len = make_ana(note, 3, "the leaflet is ready");
    assert_int_equal(len, 256);                         /* the floor of every note */
    assert_int_equal(enl_bulletin_open(&b, plain, note, len, ana_k, ana_fp, DAY, 3), ENL_OK);
    assert_memory_equal(b.sign_pk, ana.sign_pk, 32);
    assert_memory_equal(b.dh_pk, ana.dh_pk, 32);
    assert_int_equal(b.published, NOW);
    assert_int_equal(b.expiry_hours, (uint32_t)(NOW / 3600) + 168);
    assert_int_equal(b.channel_len, 4);
    assert_memory_equal(b.channel, "news", 4);
    assert_int_equal(b.text_len, 20);
    assert_memory_equal(b.text, "the leaflet is ready", 20);
    /* Another position of the same author does not open it. */
    assert_int_not_equal(enl_bulletin_open(&b, plain, note, len, ana_k, ana_fp, DAY, 4), ENL_OK);
    assert_int_not_equal(enl_bulletin_open(&b, plain, note, len, ana_k, ana_fp, DAY + 1, 3), ENL_OK);
    /* Large texts pad like every note (Padmé), empty channel and text too. */
    {
        static char big[5000];
        memset(big, 'x', sizeof big - 1);
        len = make(note, &ana, ana_k, DAY, 0, NOW, (uint32_t)(NOW / 3600) + 1, "", big);
        assert_int_equal(len, enl_padme(ENL_BULLETIN_OVERHEAD + ENL_BULLETIN_PLAIN_MIN + 4999));
        assert_int_equal(enl_bulletin_open(&b, plain, note, len, ana_k, ana_fp, DAY, 0), ENL_OK);
        assert_int_equal(b.text_len, 4999);
        len = make(note, &ana, ana_k, DAY, 15, NOW, (uint32_t)(NOW / 3600) + 1, "", "");
        assert_int_equal(enl_bulletin_open(&b, plain, note, len, ana_k, ana_fp, DAY, 15), ENL_OK);
        assert_int_equal(b.text_len, 0);
    }
    /* Same position, same content: the same note (nothing random but the lock). */
    {
        static uint8_t again[ENL_NOTE_MAX];
        size_t l1 = make_ana(note, 7, "x"), l2 = make_ana(again, 7, "x");
        assert_int_equal(l1, l2);
        assert_memory_equal(note, again, l1);
    }
}

static void test_forged_signature_refused(void **state)
{
    static uint8_t note[ENL_NOTE_MAX], plain[ENL_NOTE_MAX];
    enl_identity forger = ana;
    enl_bulletin b;
    size_t len;
    (void)state;
    /* Ana's keys named inside, but signed by someone else's key. */
    memcpy(forger.sign_sk, beto.sign_sk, sizeof forger.sign_sk);
    len = make(note, &forger, ana_k, DAY, 1, NOW, (uint32_t)(NOW / 3600) + 24, "news", "forged");
    assert_int_equal(enl_bulletin_open(&b, plain, note, len, ana_k, ana_fp, DAY, 1), ENL_ESIG);
    sodium_memzero(&forger, sizeof forger);
}

static void test_other_author_refused(void **state)
{
    static uint8_t note[ENL_NOTE_MAX], plain[ENL_NOTE_MAX];
    enl_bulletin b;
    size_t len;
    (void)state;
    /* Beto follows ana, so he knows K: he can encrypt at ana's positions,
     * signed correctly, but with his own keys, not hers. */
    len = make(note, &beto, ana_k, DAY, 2, NOW, (uint32_t)(NOW / 3600) + 24, "news", "by beto");
    assert_int_equal(enl_bulletin_open(&b, plain, note, len, ana_k, ana_fp, DAY, 2), ENL_ESIG);
    /* The same note is beto's own bulletin only under beto's key, which it is not. */
    {
        uint8_t beto_k[32];
        enl_bulletin_author_key(beto_k, beto_fp);
        assert_int_not_equal(enl_bulletin_open(&b, plain, note, len, beto_k, beto_fp, DAY, 2), ENL_OK);
    }
}

static void test_altered_and_truncated_refused(void **state)
{
    static uint8_t note[ENL_NOTE_MAX], plain[ENL_NOTE_MAX];
    enl_bulletin b;
    size_t len;
    (void)state;
    len = make_ana(note, 5, "meet at the usual place");
    for (size_t i = 0; i < len; i++) {
        note[i] ^= 0x01;
        assert_int_not_equal(enl_bulletin_open(&b, plain, note, len, ana_k, ana_fp, DAY, 5), ENL_OK);
        note[i] ^= 0x01;
    }
    for (size_t n = 0; n < len; n++)
        assert_int_not_equal(enl_bulletin_open(&b, plain, note, n, ana_k, ana_fp, DAY, 5), ENL_OK);
    assert_int_equal(enl_bulletin_open(&b, plain, note, len, ana_k, ana_fp, DAY, 5), ENL_OK);
    assert_int_equal(enl_bulletin_open(&b, plain, note, ENL_NOTE_MAX + 1, ana_k, ana_fp, DAY, 5),
                     ENL_ETOOBIG);
}

static void test_signed_fields_checked(void **state)
{
    static uint8_t note[ENL_NOTE_MAX], plain[ENL_NOTE_MAX];
    uint32_t hour = (uint32_t)(NOW / 3600);
    enl_bulletin b;
    size_t len;
    (void)state;
    /* Published on another day than its position says. */
    len = make(note, &ana, ana_k, DAY + 1, 0, NOW, hour + 24, "", "x");
    assert_int_equal(enl_bulletin_open(&b, plain, note, len, ana_k, ana_fp, DAY + 1, 0), ENL_EMALFORMED);
    /* Living longer than any bulletin may (one hour of rounding is fine). */
    len = make(note, &ana, ana_k, DAY, 0, NOW, hour + ENL_BULLETIN_EXPIRY_MAX_HOURS + 1, "", "x");
    assert_int_equal(enl_bulletin_open(&b, plain, note, len, ana_k, ana_fp, DAY, 0), ENL_OK);
    len = make(note, &ana, ana_k, DAY, 0, NOW, hour + ENL_BULLETIN_EXPIRY_MAX_HOURS + 2, "", "x");
    assert_int_equal(enl_bulletin_open(&b, plain, note, len, ana_k, ana_fp, DAY, 0), ENL_EMALFORMED);
    /* Expired before it was published. */
    len = make(note, &ana, ana_k, DAY, 0, NOW, hour, "", "x");
    assert_int_equal(enl_bulletin_open(&b, plain, note, len, ana_k, ana_fp, DAY, 0), ENL_EMALFORMED);
    /* The sealer refuses an expiry that differs from the header's. */
    {
        uint8_t lock[32] = { 0 };
        memset(&b, 0, sizeof b);
        b.published = NOW;
        b.expiry_hours = hour + 5;
        enl_note_header_encode(note, hour + 6, lock);
        assert_int_equal(enl_bulletin_seal(note, 256, plain, &ana, ana_k, DAY, 0, &b), ENL_EINVAL);
    }
}

static void test_plaintext_parse(void **state)
{
    uint8_t plain[400];
    enl_bulletin b, back;
    (void)state;
    memset(&b, 0, sizeof b);
    memcpy(b.sign_pk, ana.sign_pk, 32);
    memcpy(b.dh_pk, ana.dh_pk, 32);
    b.published = NOW;
    b.expiry_hours = 7;
    b.channel = (const uint8_t *)"news";
    b.channel_len = 4;
    b.text = (const uint8_t *)"hello";
    b.text_len = 5;
    assert_int_equal(enl_bulletin_encode(plain, sizeof plain, &b), ENL_OK);
    assert_int_equal(enl_bulletin_parse(&back, plain, sizeof plain), ENL_OK);
    assert_int_equal(back.text_len, 5);
    assert_ptr_equal(back.sig, plain + sizeof plain - 64);
    /* A stray byte in the padding, a channel with a control character. */
    plain[sizeof plain - 65] = 1;
    assert_int_equal(enl_bulletin_parse(&back, plain, sizeof plain), ENL_EMALFORMED);
    plain[sizeof plain - 65] = 0;
    plain[32 + 32 + 8 + 4 + 1] = '\n';
    assert_int_equal(enl_bulletin_parse(&back, plain, sizeof plain), ENL_EMALFORMED);
    b.channel = (const uint8_t *)"a\tb";
    b.channel_len = 3;
    assert_int_equal(enl_bulletin_encode(plain, sizeof plain, &b), ENL_EMALFORMED);
    /* A text longer than the plaintext. */
    b.channel_len = 0;
    b.text_len = sizeof plain;
    assert_int_equal(enl_bulletin_encode(plain, sizeof plain, &b), ENL_ETOOBIG);
    assert_int_equal(enl_bulletin_parse(&back, plain, ENL_BULLETIN_PLAIN_MIN - 1), ENL_EMALFORMED);
    /* A text longer than a bulletin's (PROTOCOL: at most 61,440 bytes),
     * though the note could hold it: refused as the publisher refuses it. */
    {
        static uint8_t big[ENL_BULLETIN_PLAIN_MIN + ENL_TEXT_MAX + 64], text[ENL_TEXT_MAX + 1];
        memset(text, 'x', sizeof text);
        b.text = text;
        b.text_len = ENL_TEXT_MAX;
        assert_int_equal(enl_bulletin_encode(big, sizeof big, &b), ENL_OK);
        assert_int_equal(enl_bulletin_parse(&back, big, sizeof big), ENL_OK);
        b.text_len = ENL_TEXT_MAX + 1;
        assert_int_equal(enl_bulletin_encode(big, sizeof big, &b), ENL_OK);
        assert_int_equal(enl_bulletin_parse(&back, big, sizeof big), ENL_EMALFORMED);
    }
}

static void test_tag_window(void **state)
{
    static uint8_t tags[ENL_BULLETIN_TAGS][16];
    uint8_t tag[16], k2[32], fp2[32];
    uint32_t start = enl_bulletin_window_start(DAY);
    (void)state;
    assert_int_equal(start, DAY - ENL_BULLETIN_LIFETIME_DAYS);
    assert_int_equal(enl_bulletin_window_start(3), 0);
    enl_bulletin_window_tags(tags, ana_k, start);
    /* Every position of the window, in order, and all different. */
    for (uint32_t d = 0; d < ENL_BULLETIN_WINDOW_DAYS; d++)
        for (uint32_t s = 0; s < ENL_BULLETIN_SLOTS; s++) {
            enl_bulletin_tag(tag, ana_k, start + d, (uint8_t)s);
            assert_memory_equal(tag, tags[d * ENL_BULLETIN_SLOTS + s], 16);
        }
    for (size_t i = 0; i < ENL_BULLETIN_TAGS; i++)
        for (size_t j = i + 1; j < ENL_BULLETIN_TAGS; j++)
            assert_memory_not_equal(tags[i], tags[j], 16);
    /* A bulletin published on day d (and living at most LIFETIME days) is
     * in the window of a reader on any day from d - 1 (an author's clock a
     * day ahead) to d + LIFETIME. */
    for (uint32_t reader = DAY - 1; reader <= DAY + ENL_BULLETIN_LIFETIME_DAYS; reader++) {
        uint32_t st = enl_bulletin_window_start(reader);
        assert_true(DAY >= st && DAY < st + ENL_BULLETIN_WINDOW_DAYS);
    }
    assert_false(DAY >= enl_bulletin_window_start(DAY + ENL_BULLETIN_LIFETIME_DAYS + 1));
    /* The author key depends on the 20 bytes people compare, nothing else. */
    memcpy(fp2, ana_fp, 32);
    fp2[25] ^= 0xff;
    enl_bulletin_author_key(k2, fp2);
    assert_memory_equal(k2, ana_k, 32);
    fp2[19] ^= 0x01;
    enl_bulletin_author_key(k2, fp2);
    assert_memory_not_equal(k2, ana_k, 32);
}

static void test_fingerprint_parse(void **state)
{
    char text[ENL_FINGERPRINT_STRBYTES], sloppy[64];
    uint8_t fp[20];
    (void)state;
    enl_fingerprint_text(text, ana_fp);
    assert_int_equal(enl_fingerprint_parse(fp, text), ENL_OK);
    assert_memory_equal(fp, ana_fp, 20);
    /* As people type it: upper case, hyphens, O for 0, a newline. */
    for (size_t i = 0; i <= strlen(text); i++) {
        char c = text[i];
        sloppy[i] = c == ' ' ? '-' : c == '0' ? 'O' : (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    strcat(sloppy, "\n");
    assert_int_equal(enl_fingerprint_parse(fp, sloppy), ENL_OK);
    assert_memory_equal(fp, ana_fp, 20);
    assert_int_equal(enl_fingerprint_parse(fp, "ms1x dcxv 5pwz kgrf j51e w2zk rw4a"), ENL_EMALFORMED);
    assert_int_equal(enl_fingerprint_parse(fp, "ms1x dcxv 5pwz kgrf j51e w2zk rw4a 789n 0000"),
                     ENL_EMALFORMED);
    assert_int_equal(enl_fingerprint_parse(fp, "ms1x dcxv 5pwz kgrf j51e w2zk rw4a 789u"),
                     ENL_EMALFORMED);
    assert_int_equal(enl_fingerprint_parse(fp, ""), ENL_EMALFORMED);
}

/* Fingerprints carry no checksum: how far one typed is from another is
 * what tells a typo of a contact's from a stranger's. Spacing, case and
 * look-alikes are no difference; a swap of two characters is two, a
 * character dropped or added one. */
static void test_fingerprint_distance(void **state)
{
    char text[ENL_FINGERPRINT_STRBYTES], other[ENL_FINGERPRINT_STRBYTES], typo[64], chars[8];
    (void)state;
    enl_fingerprint_text(text, ana_fp);
    enl_fingerprint_text(other, beto_fp);
    assert_int_equal(enl_fingerprint_distance(text, text), 0);
    snprintf(typo, sizeof typo, "%s", text);
    for (char *c = typo; *c; c++)
        *c = *c == ' ' ? '-' : *c == '0' ? 'O' : *c == '1' ? 'l' : (*c >= 'a' && *c <= 'z') ? (char)(*c - 32) : *c;
    assert_int_equal(enl_fingerprint_distance(text, typo), 0);
    snprintf(typo, sizeof typo, "%s", text);
    typo[0] = typo[0] == 'z' ? 'y' : 'z';
    assert_int_equal(enl_fingerprint_distance(text, typo), 1);
    snprintf(typo, sizeof typo, "%s", text);
    typo[5] = text[6], typo[6] = text[5];     /* two characters swapped */
    assert_int_equal(enl_fingerprint_distance(text, typo), text[5] == text[6] ? 0 : 2);
    snprintf(typo, sizeof typo, "%s", text + 1);   /* the first one dropped */
    assert_int_equal(enl_fingerprint_distance(text, typo), 1);
    snprintf(typo, sizeof typo, "%su", text);   /* one that no fingerprint holds, added */
    assert_int_equal(enl_fingerprint_distance(text, typo), 1);
    assert_true(enl_fingerprint_distance(text, other) > ENL_FINGERPRINT_NEAR);
    assert_int_equal(enl_fingerprint_distance(text, ""), 32);
    {
        char longer[ENL_FINGERPRINT_CHARSMAX + 2];   /* one more than is compared */
        memset(longer, 'a', sizeof longer - 1);
        longer[sizeof longer - 1] = '\0';
        assert_int_equal(enl_fingerprint_distance(text, longer), ENL_FINGERPRINT_FAR);
        longer[sizeof longer - 2] = '\0';
        assert_true(enl_fingerprint_distance(text, longer) < ENL_FINGERPRINT_FAR);
    }
    /* what was typed, as it is read: cut to the room there is, counted whole */
    assert_int_equal(enl_fingerprint_chars(chars, sizeof chars, "ms1X-dc U"), 7);
    assert_string_equal(chars, "ms1xdc?");
    assert_int_equal(enl_fingerprint_chars(chars, 4, "ms1X-dc U"), 7);
    assert_string_equal(chars, "ms1");
}

/* ---- with profiles --------------------------------------------------- */

static char dir[64];

static enl_profile *profile(const char *name)
{
    char home[128];
    enl_profile *p = NULL;
    snprintf(home, sizeof home, "%s/%s", dir, name);
    assert_int_equal(enl_profile_create(&p, home, name, "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
    return p;
}

static void at(uint64_t t)
{
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)t);
    setenv("ENLACE_NOW", v, 1);
}

/* The clock back to the real one, the profile closed, its folder gone. */
static void done_with(enl_profile *c)
{
    char cmd[128];
    unsetenv("ENLACE_NOW");
    enl_profile_close(c);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* A scratch folder of the test's own (dir), the clock at NOW. */
static void begin(void)
{
    snprintf(dir, sizeof dir, "/tmp/enl-bulletin-XXXXXX");   /* mkdtemp's template */
    assert_non_null(mkdtemp(dir));
    at(NOW);
}

/* A new profile there that follows ana. */
static enl_profile *follower(const char *name)
{
    enl_follow_info fi;
    char fp[ENL_FINGERPRINT_STRBYTES];
    enl_profile *c = profile(name);
    enl_fingerprint_text(fp, ana_fp);
    assert_int_equal(enl_bulletin_follow(c, fp, &fi), ENL_OK);
    return c;
}

static int count_cb(const enl_bulletin_info *b, void *ctx)
{
    (void)b;
    (*(int *)ctx)++;
    return 0;
}

static void test_follower_reads_once_and_carries(void **state)
{
    static uint8_t note[ENL_NOTE_MAX];
    enl_profile *a, *c;
    enl_follow_info fi;
    enl_sync_stats st;
    uint8_t id[32], *held = NULL, k[32];
    uint64_t expires = 0;
    char fp[ENL_FINGERPRINT_STRBYTES];
    size_t hl = 0, len;
    int n = 0;
    (void)state;

    begin();
    a = profile("ana");
    c = profile("carmen");
    assert_int_equal(enl_bulletin_publish(a, (const uint8_t *)"strike on friday", 16, NULL, id,
                                          &expires), ENL_OK);
    assert_int_equal(expires, ((NOW + 168 * 3600 + 3599) / 3600) * 3600);
    assert_int_equal(enl_note_get(a, id, &held, &hl), ENL_OK);
    memcpy(note, held, hl);
    len = hl;
    free(held);

    /* Not followed yet: carried like any note. */
    memset(&st, 0, sizeof st);
    assert_int_equal(enl_note_intake(c, note, len, &st), ENL_OK);
    assert_int_equal(st.bulletins, 0);
    assert_int_equal(st.notes_received, 1);
    assert_int_equal(enl_bulletin_each(c, count_cb, &n), ENL_OK);
    assert_int_equal(n, 0);

    /* Following reads what is already carried. */
    assert_int_equal(enl_profile_fingerprint(a, fp), ENL_OK);
    assert_int_equal(enl_bulletin_follow(c, fp, &fi), ENL_OK);
    assert_int_equal(fi.bulletins, 1);
    assert_string_equal(fi.fingerprint, fp);
    assert_int_equal(enl_bulletin_follow(c, fp, &fi), ENL_EEXISTS);
    assert_int_equal(enl_bulletin_each(c, count_cb, &n), ENL_OK);
    assert_int_equal(n, 1);
    /* Read once; the note stays to travel on. */
    assert_int_equal(enl_note_intake(c, note, len, &st), ENL_EDUPLICATE);
    assert_int_equal(enl_note_get(c, id, &held, &hl), ENL_OK);
    free(held);

    /* A forgery at the next position of ana (carmen knows K): refused, not kept. */
    {
        static uint8_t plain[ENL_NOTE_MAX];
        enl_identity forger = *c->id;
        uint8_t lock[32], fid[32], afp[32];
        enl_bulletin b;
        size_t flen = 256;
        memset(&b, 0, sizeof b);
        memcpy(forger.sign_pk, a->id->sign_pk, 32);
        memcpy(forger.dh_pk, a->id->dh_pk, 32);
        b.published = NOW;
        b.expiry_hours = (uint32_t)(NOW / 3600) + 2;
        b.text = (const uint8_t *)"strike cancelled";
        b.text_len = 16;
        memset(lock, 0x33, sizeof lock);
        enl_note_header_encode(note, b.expiry_hours, lock);
        enl_fingerprint_raw(afp, a->id->sign_pk, a->id->dh_pk);
        enl_bulletin_author_key(k, afp);
        assert_int_equal(enl_bulletin_seal(note, flen, plain, &forger, k, DAY, 1, &b), ENL_OK);
        enl_note_id(fid, note, flen);
        memset(&st, 0, sizeof st);
        assert_int_equal(enl_note_intake(c, note, flen, &st), ENL_ESIG);
        assert_int_equal(st.bulletins + st.notes_received, 0);
        assert_int_equal(enl_note_get(c, fid, &held, &hl), ENL_ENOTFOUND);
        sodium_memzero(&forger, sizeof forger);
    }

    /* A second bulletin the same day takes the next slot; after the 16th, none. */
    for (int i = 1; i < ENL_BULLETIN_SLOTS; i++)
        assert_int_equal(enl_bulletin_publish(a, (const uint8_t *)"x", 1, NULL, NULL, NULL), ENL_OK);
    assert_int_equal(enl_bulletin_publish(a, (const uint8_t *)"x", 1, NULL, NULL, NULL), ENL_EFULL);
    /* The next day there are slots again; a clock set back is refused. */
    at(NOW + 86400);
    assert_int_equal(enl_bulletin_publish(a, (const uint8_t *)"x", 1, NULL, NULL, NULL), ENL_OK);
    at(NOW);
    assert_int_equal(enl_bulletin_publish(a, (const uint8_t *)"x", 1, NULL, NULL, NULL), ENL_EFUTURE);

    /* An author whose clock runs 3 days ahead: out of the window today,
     * read once the window has moved (the refresh on a later intake). */
    at(NOW + 3 * 86400);
    assert_int_equal(enl_bulletin_publish(a, (const uint8_t *)"from the future", 15, NULL, id,
                                          NULL), ENL_OK);
    assert_int_equal(enl_note_get(a, id, &held, &hl), ENL_OK);
    at(NOW);
    memset(&st, 0, sizeof st);
    assert_int_equal(enl_note_intake(c, held, hl, &st), ENL_OK);
    assert_int_equal(st.bulletins, 0);
    free(held);
    at(NOW + 2 * 86400 + 3600);
    memset(&st, 0, sizeof st);
    /* Any intake moves the window first (here of the forgery, expired by now). */
    assert_int_equal(enl_note_intake(c, note, 256, &st), ENL_EEXPIRED);
    assert_int_equal(st.bulletins, 1);
    n = 0;
    assert_int_equal(enl_bulletin_each(c, count_cb, &n), ENL_OK);
    assert_int_equal(n, 2);

    /* Unfollowing deletes what was kept of the author. */
    assert_int_equal(enl_bulletin_unfollow(c, fp, &fi), ENL_OK);
    n = 0;
    assert_int_equal(enl_bulletin_each(c, count_cb, &n), ENL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(enl_bulletin_unfollow(c, fp, &fi), ENL_ENOTFOUND);

    enl_profile_close(a);
    done_with(c);
}

/* A position is used once. Whoever holds the author's key (the author's
 * seized device) can sign any number of bulletins at one position, each
 * another note: a follower reads the first, and refuses the others, or
 * each would be one more row kept without end. Unfollowing forgets the
 * positions read, so following again reads the carried note again. */
static void test_one_bulletin_per_position(void **state)
{
    static uint8_t note[ENL_NOTE_MAX];
    enl_profile *c;
    enl_follow_info fi;
    enl_sync_stats st;
    char fp[ENL_FINGERPRINT_STRBYTES], text[32];
    size_t len;
    int n = 0;
    (void)state;

    begin();
    c = follower("carmen");
    enl_fingerprint_text(fp, ana_fp);   /* to unfollow and follow again below */
    len = make_ana(note, 3, "the first");
    assert_int_equal(enl_note_intake(c, note, len, NULL), ENL_OK);
    for (int i = 0; i < 20; i++) {
        snprintf(text, sizeof text, "another %d", i);
        len = make_ana(note, 3, text);
        memset(&st, 0, sizeof st);
        assert_int_equal(enl_note_intake(c, note, len, &st), ENL_EREFUSED);
        assert_int_equal(st.bulletins + st.notes_received, 0);
    }
    /* another position of hers is read */
    len = make_ana(note, 4, "the next");
    assert_int_equal(enl_note_intake(c, note, len, NULL), ENL_OK);
    assert_int_equal(enl_bulletin_each(c, count_cb, &n), ENL_OK);
    assert_int_equal(n, 2);

    assert_int_equal(enl_bulletin_unfollow(c, fp, &fi), ENL_OK);
    memset(&st, 0, sizeof st);
    assert_int_equal(enl_bulletin_follow(c, fp, &fi), ENL_OK);
    assert_int_equal(fi.bulletins, 2);
    n = 0;
    assert_int_equal(enl_bulletin_each(c, count_cb, &n), ENL_OK);
    assert_int_equal(n, 2);

    done_with(c);
}

/* A follower's device that only syncs (a courier's phone, a listener)
 * must still drop a bulletin it read once it has expired: the rows say
 * whom it follows. They used to go only when `status` or `bulletins` ran. */
static void test_expired_bulletin_goes_at_sync(void **state)
{
    static uint8_t note[ENL_NOTE_MAX];
    enl_profile *c;
    enl_sync_stats st;
    char drop[128];
    uint64_t n = 0;
    size_t len;
    (void)state;

    begin();
    snprintf(drop, sizeof drop, "%s/drop", dir);
    assert_int_equal(mkdir(drop, 0700), 0);
    c = follower("dora");
    len = make_ana(note, 1, "read, then gone");
    assert_int_equal(enl_note_intake(c, note, len, NULL), ENL_OK);
    assert_int_equal(enl_store_count(c->st, "bulletins", &n), ENL_OK);
    assert_int_equal(n, 1);
    at(NOW + 169 * 3600);   /* its expiry (168 hours) has passed */
    assert_int_equal(enl_sync_folder(c, drop, NULL, &st), ENL_OK);
    assert_int_equal(enl_store_count(c->st, "bulletins", &n), ENL_OK);
    assert_int_equal(n, 0);

    done_with(c);
}

/* Keys burned on this device are a captor's: their bulletins are refused
 * as their cell notes and logs are, neither read nor carried. A follower
 * holding the author's own revocation (a burn notice signed by them), or
 * who burned the author as a contact, used to read what the seized device
 * published, in the author's name, as any other bulletin of theirs. */
static void test_burned_author_refused(void **state)
{
    static uint8_t note[ENL_NOTE_MAX];
    uint8_t bin[ENL_REVOCATION_MAXBYTES];
    enl_profile *c;
    enl_sync_stats st;
    size_t len, bl = 0;
    int n = 0;
    (void)state;

    begin();
    c = follower("carmen");
    len = make_ana(note, 1, "before the notice");
    assert_int_equal(enl_note_intake(c, note, len, NULL), ENL_OK);
    /* ana's revocation, published by whoever she left it with */
    assert_int_equal(enl_revocation_make(bin, &bl, &ana, "taken at the checkpoint", NOW), ENL_OK);
    assert_int_equal(enl_burn_intake(c, bin, bl, NULL), ENL_OK);
    len = make_ana(note, 2, "all clear, come to the square");
    memset(&st, 0, sizeof st);
    assert_int_equal(enl_note_intake(c, note, len, &st), ENL_EREFUSED);
    assert_int_equal(st.bulletins + st.notes_received, 0);
    assert_int_equal(enl_bulletin_each(c, count_cb, &n), ENL_OK);
    assert_int_equal(n, 1);
    done_with(c);
}

/* A fingerprint a few places off a contact's is followed (the author
 * may be no contact, and it may be a stranger's), and which contact it is
 * close to is said: a typo followed a stranger silently. A contact's own,
 * or one far from every contact's, names no one. Text that is no
 * fingerprint is refused with what is wrong with it. */
static void test_follow_near_a_contact(void **state)
{
    enl_profile *a, *c;
    enl_follow_info fi;
    char *card = NULL, fp[ENL_FINGERPRINT_STRBYTES], typo[ENL_FINGERPRINT_STRBYTES + 1];
    uint8_t own[32];
    (void)state;

    begin();
    a = profile("ana");
    c = profile("carmen");
    assert_int_equal(enl_profile_card(a, &card), ENL_OK);
    assert_int_equal(enl_contact_add(c, card, "ana", NULL), ENL_OK);
    free(card);
    assert_int_equal(enl_profile_fingerprint(a, fp), ENL_OK);
    snprintf(typo, sizeof typo, "%s", fp);
    typo[0] = typo[0] == 'z' ? 'y' : 'z';
    typo[10] = typo[10] == 'z' ? 'y' : 'z';
    assert_int_equal(enl_bulletin_follow(c, typo, &fi), ENL_OK);
    assert_string_equal(fi.near, "ana");
    assert_int_equal(fi.near_places, 2);
    assert_string_equal(fi.name, "");
    /* ana's own: her name, no warning */
    assert_int_equal(enl_bulletin_follow(c, fp, &fi), ENL_OK);
    assert_string_equal(fi.name, "ana");
    assert_string_equal(fi.near, "");
    /* a stranger's (made up): nobody's typo */
    memset(own, 0x5a, sizeof own);
    enl_fingerprint_text(typo, own);
    assert_int_equal(enl_bulletin_follow(c, typo, &fi), ENL_OK);
    assert_string_equal(fi.near, "");
    /* one character short: no fingerprint, and said close to ana's */
    snprintf(typo, sizeof typo, "%s", fp + 1);
    assert_int_equal(enl_bulletin_follow(c, typo, &fi), ENL_EMALFORMED);
    assert_non_null(strstr(enl_profile_errmsg(c), "it has 31 characters"));
    assert_non_null(strstr(enl_profile_errmsg(c), "1 off ana's fingerprint"));
    assert_non_null(strstr(enl_profile_errmsg(c), "32 letters and digits in 8 groups of 4"));
    assert_int_equal(enl_bulletin_follow(c, "ms1x dcxv 5pwz kgrf j51e w2zk rw4a 789u", &fi),
                     ENL_EMALFORMED);
    assert_non_null(strstr(enl_profile_errmsg(c), "no fingerprint holds 'u'"));
    enl_profile_close(a);
    done_with(c);
}

static void test_burned_contact_author_refused(void **state)
{
    static uint8_t note[ENL_NOTE_MAX];
    enl_profile *a, *c;
    enl_follow_info fi;
    enl_sync_stats st;
    uint8_t id[32], *held = NULL;
    char *card = NULL;
    size_t hl = 0;
    int n = 0;
    (void)state;

    begin();
    a = profile("ana");
    c = profile("carmen");
    assert_int_equal(enl_profile_card(a, &card), ENL_OK);
    assert_int_equal(enl_contact_add(c, card, "ana", NULL), ENL_OK);
    assert_int_equal(enl_bulletin_follow(c, card, &fi), ENL_OK);
    assert_int_equal(enl_burn_local(c, "ana", "taken", NULL, NULL), ENL_OK);
    assert_int_equal(enl_bulletin_publish(a, (const uint8_t *)"all clear", 9, NULL, id, NULL), ENL_OK);
    assert_int_equal(enl_note_get(a, id, &held, &hl), ENL_OK);
    memcpy(note, held, hl);
    free(held);
    memset(&st, 0, sizeof st);
    assert_int_equal(enl_note_intake(c, note, hl, &st), ENL_EREFUSED);
    assert_int_equal(st.bulletins + st.notes_received, 0);
    assert_int_equal(enl_bulletin_each(c, count_cb, &n), ENL_OK);
    assert_int_equal(n, 0);
    /* Following her again would read nothing: it is refused at once, by
     * card and by fingerprint. Unfollowing still works. */
    assert_int_equal(enl_bulletin_unfollow(c, card, &fi), ENL_OK);
    assert_int_equal(enl_bulletin_follow(c, card, &fi), ENL_EREFUSED);
    assert_non_null(strstr(enl_profile_errmsg(c), "ana's keys are burned on this device"));
    {
        char fp[ENL_FINGERPRINT_STRBYTES];
        assert_int_equal(enl_profile_fingerprint(a, fp), ENL_OK);
        assert_int_equal(enl_bulletin_follow(c, fp, &fi), ENL_EREFUSED);
    }
    /* Nor by the card of keys whose revocation is held here (no contact). */
    {
        uint8_t bin[ENL_REVOCATION_MAXBYTES];
        size_t bl = 0;
        enl_profile *d = profile("dora");
        assert_int_equal(enl_revocation_make(bin, &bl, a->id, "taken", NOW), ENL_OK);
        assert_int_equal(enl_burn_intake(d, bin, bl, NULL), ENL_OK);
        assert_int_equal(enl_bulletin_follow(d, card, &fi), ENL_EREFUSED);
        enl_profile_close(d);
    }
    free(card);
    enl_profile_close(a);
    done_with(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_forged_signature_refused),
        cmocka_unit_test(test_other_author_refused),
        cmocka_unit_test(test_altered_and_truncated_refused),
        cmocka_unit_test(test_signed_fields_checked),
        cmocka_unit_test(test_plaintext_parse),
        cmocka_unit_test(test_tag_window),
        cmocka_unit_test(test_fingerprint_parse),
        cmocka_unit_test(test_fingerprint_distance),
        cmocka_unit_test(test_follow_near_a_contact),
        cmocka_unit_test(test_follower_reads_once_and_carries),
        cmocka_unit_test(test_one_bulletin_per_position),
        cmocka_unit_test(test_expired_bulletin_goes_at_sync),
        cmocka_unit_test(test_burned_author_refused),
        cmocka_unit_test(test_burned_contact_author_refused),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
