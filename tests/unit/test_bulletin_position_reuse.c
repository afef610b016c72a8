/*
 * A bulletin position (day, slot) is used once: THREAT-MODEL.md says "a
 * follower reads one bulletin a position and refuses any other signed
 * there, so even the author's seized key cannot make a follower keep more
 * than 16 a day". The follower's mark for a position read is kept in the
 * "seen" set only until the first bulletin's own expiry (core/bulletin.c,
 * enl_bulletin_keep), while the position stays in the tag window for 32
 * days. Once the first bulletin expired (enl_profile_expire drops the mark),
 * whoever holds the author's key signs another at the same, already used,
 * position, backdated to that day, and the follower reads it.
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
#include "enlace.h"
#include "note/bulletin.h"
#include "store/store.h"

#define NOW 1790000000ull
#define DAY ((uint32_t)(NOW / 86400))
#define HOUR ((uint32_t)(NOW / 3600))

static enl_identity ana;
static uint8_t ana_fp[32], ana_k[32];
static char dir[64];

static int setup(void **state)
{
    uint8_t seed[32];
    (void)state;
    if (enl_init() != ENL_OK) return -1;
    memset(seed, 0xa1, sizeof seed);
    if (enl_identity_from_seed(&ana, seed, NOW) != ENL_OK) return -1;
    enl_fingerprint_raw(ana_fp, ana.sign_pk, ana.dh_pk);
    enl_bulletin_author_key(ana_k, ana_fp);
    return 0;
}

/* A bulletin of ana's key at (day, slot), published at the start of that
 * day, expiring at hour `expiry`. */
static size_t make_at(uint8_t *note, uint32_t day, uint8_t slot, uint32_t expiry, const char *text)
{
    static uint8_t plain[ENL_NOTE_MAX];
    uint8_t lock[32];
    enl_bulletin b;
    size_t len = 0;
    memset(&b, 0, sizeof b);
    b.published = day == DAY ? NOW : (uint64_t)day * 86400 + 60;
    b.expiry_hours = expiry;
    b.text = (const uint8_t *)text;
    b.text_len = strlen(text);
    assert_int_equal(enl_bulletin_note_len(0, b.text_len, &len), ENL_OK);
    randombytes_buf(lock, sizeof lock);
    enl_note_header_encode(note, expiry, lock);
    assert_int_equal(enl_bulletin_seal(note, len, plain, &ana, ana_k, day, slot, &b), ENL_OK);
    return len;
}

static size_t make(uint8_t *note, uint8_t slot, uint32_t expiry, const char *text)
{
    return make_at(note, DAY, slot, expiry, text);
}

static void at(uint64_t t)
{
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)t);
    setenv("ENLACE_NOW", v, 1);
}

static int count_cb(const enl_bulletin_info *b, void *ctx)
{
    (void)b;
    (*(int *)ctx)++;
    return 0;
}

static void test_position_read_twice_after_first_expired(void **state)
{
    static uint8_t note[ENL_NOTE_MAX];
    enl_profile *c = NULL;
    enl_follow_info fi;
    char fp[ENL_FINGERPRINT_STRBYTES], home[128], cmd[160];
    size_t len;
    int n = 0, accepted = 0;
    (void)state;

    snprintf(dir, sizeof dir, "/tmp/enl-bpos-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(home, sizeof home, "%s/carmen", dir);
    at(NOW);
    assert_int_equal(enl_profile_create(&c, home, "carmen", "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
    enl_fingerprint_text(fp, ana_fp);
    assert_int_equal(enl_bulletin_follow(c, fp, &fi), ENL_OK);

    /* ana publishes at (DAY, 3), living 2 hours: carmen reads it. */
    len = make(note, 3, HOUR + 2, "meeting at noon");
    assert_int_equal(enl_note_intake(c, note, len, NULL), ENL_OK);
    /* The same position again, at once: refused (test_bulletin covers it). */
    len = make(note, 3, HOUR + 200, "meeting cancelled");
    assert_int_equal(enl_note_intake(c, note, len, NULL), ENL_EREFUSED);

    /* Each hour after the previous one expired, a seized key signs another
     * bulletin at the same position (DAY, 3), backdated to that day. */
    for (int i = 0; i < 10; i++) {
        char text[48];
        at(NOW + (uint64_t)(3 + 2 * i) * 3600);
        assert_int_equal(enl_profile_expire(c), ENL_OK);
        snprintf(text, sizeof text, "forged at a used position %d", i);
        len = make(note, 3, HOUR + 3 + 2 * (uint32_t)i + 1, text);
        if (enl_note_intake(c, note, len, NULL) == ENL_OK) accepted++;
    }
    n = 0;
    assert_int_equal(enl_bulletin_each(c, count_cb, &n), ENL_OK);
    unsetenv("ENLACE_NOW");
    enl_profile_close(c);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    if (accepted != 0)
        fail_msg("%d more bulletins were read at the position (day %u, slot 3) already read: "
                 "a position must be used once", accepted, DAY);
}

/* THREAT-MODEL: the author's seized key can fill the unused positions of
 * the days a follower recognises, backdated (16 a day), but each position
 * once: a second bulletin at a position read here is refused, also once
 * the first has expired and been swept (the mark lives as long as the
 * position's day is recognised). */
static void test_backdated_positions_are_used_once(void **state)
{
    static uint8_t note[ENL_NOTE_MAX];
    enl_profile *c = NULL;
    enl_follow_info fi;
    char fp[ENL_FINGERPRINT_STRBYTES], home[128], cmd[160], now[32];
    size_t len;
    int kept = 0, again = 0;
    (void)state;

    snprintf(dir, sizeof dir, "/tmp/enl-bpos-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(home, sizeof home, "%s/dora", dir);
    at(NOW);
    assert_int_equal(enl_profile_create(&c, home, "dora", "pw", 2, ENL_KDF_INTERACTIVE), ENL_OK);
    enl_fingerprint_text(fp, ana_fp);
    assert_int_equal(enl_bulletin_follow(c, fp, &fi), ENL_OK);
    for (uint32_t back = 0; back < 3; back++)
        for (uint8_t slot = 0; slot < ENL_BULLETIN_SLOTS; slot++) {
            char text[48];
            snprintf(text, sizeof text, "day -%u slot %u", back, slot);
            len = make_at(note, DAY - back, slot, HOUR + 2, text);
            if (enl_note_intake(c, note, len, NULL) == ENL_OK) kept++;
        }
    assert_int_equal(kept, 3 * ENL_BULLETIN_SLOTS);
    /* three days on: every one of them expired and swept */
    snprintf(now, sizeof now, "%llu", (unsigned long long)NOW + 3 * 86400);
    setenv("ENLACE_NOW", now, 1);
    assert_int_equal(enl_profile_expire(c), ENL_OK);
    for (uint32_t back = 0; back < 3; back++)
        for (uint8_t slot = 0; slot < ENL_BULLETIN_SLOTS; slot++) {
            char text[48];
            snprintf(text, sizeof text, "again day -%u slot %u", back, slot);
            len = make_at(note, DAY - back, slot, HOUR + 3 * 24 + 48, text);
            if (enl_note_intake(c, note, len, NULL) == ENL_OK) again++;
        }
    unsetenv("ENLACE_NOW");
    enl_profile_close(c);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    if (again != 0)
        fail_msg("%d bulletins were read at backdated positions already read", again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_position_read_twice_after_first_expired),
        cmocka_unit_test(test_backdated_positions_are_used_once),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
