/* A courier's quota of carried notes, shared between the sources notes come
 * by: whoever leaves a flood of notes in one dead drop (any valid header
 * with any body is carried) fills the quota only while nobody else needs
 * room. A note from another source then pushes out the flooding source's
 * notes, down to an equal share and no further; the courier's own notes are
 * never pushed out. Driven through enl_sync_folder on real dead drops, and
 * enl_sync_tcp to a listener, as a courier syncs them: a dead drop is a
 * source (by its path), a contact is one (by its key), and every stranger
 * an open relay serves is one source together (fresh keys cost nothing). */
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
#include "note/note.h"
#include "enlace.h"
#include "store/store.h"

#define PROFILES_ROOT "/tmp/enl-share-XXXXXX"
#include "profiles.h"
#include "listening.h"

/* A sync with the dead drop `name` under the test folder (`via`, when not
 * NULL, is another path to the same folder). */
static enl_sync_stats sync_at(enl_profile *p, const char *name, const char *via)
{
    char drop[512];
    enl_sync_stats st;
    snprintf(drop, sizeof drop, "%s/%s", root, name);
    (void)mkdir(drop, 0700);
    if (via != NULL) snprintf(drop, sizeof drop, "%s/%s", root, via);
    assert_int_equal(enl_sync_folder(p, drop, NULL, &st), ENL_OK);
    return st;
}

static void send_n(enl_profile *from, const char *to, int n, const char *what)
{
    char text[64];
    for (int i = 0; i < n; i++) {
        int len = snprintf(text, sizeof text, "%s %03d", what, i);
        assert_int_equal(enl_send_text(from, to, (const uint8_t *)text, (size_t)len, NULL, NULL),
                         ENL_OK);
    }
}

static int count_cb(const enl_message *m, void *ctx)
{
    (void)m;
    (*(int *)ctx)++;
    return 0;
}

static int inbox_count(enl_profile *p)
{
    int n = 0;
    assert_int_equal(enl_inbox_each(p, 0, count_cb, &n), ENL_OK);
    return n;
}

static uint64_t held(enl_profile *p)
{
    enl_status_info s;
    assert_int_equal(enl_status(p, &s), ENL_OK);
    return s.notes;
}

/* What the courier carries reaches whom it is for: the courier writes all
 * it holds into a fresh drop, the recipient reads that drop alone. */
static int carried_to(enl_profile *courier, enl_profile *to, const char *fresh)
{
    (void)sync_at(courier, fresh, NULL);
    (void)sync_at(to, fresh, NULL);
    return inbox_count(to);
}

static void test_a_flooded_drop_leaves_room_for_others(void **state)
{
    enl_profile *ana = mkprofile("ana1"), *beto = mkprofile("beto1"), *carmen = mkprofile("carmen1"),
                *dora = mkprofile("dora1"), *eli = mkprofile("eli1");
    enl_sync_stats st;
    (void)state;
    introduce(beto, "beto", carmen, "carmen");
    introduce(dora, "dora", eli, "eli");
    enl_profile_set_quota(ana, 20, (uint64_t)1 << 30);

    /* a drop holding 30 notes ana cannot tell from junk fills her quota */
    send_n(beto, "carmen", 30, "flood");
    (void)sync_at(beto, "flooded", NULL);
    st = sync_at(ana, "flooded", NULL);
    assert_int_equal(st.notes_received, 20);
    assert_int_equal(st.notes_evicted, 0);
    assert_int_equal(held(ana), 20);

    /* dora's 5 notes, from another drop, still travel: 5 of the flood go */
    send_n(dora, "eli", 5, "olla");
    (void)sync_at(dora, "other", NULL);
    st = sync_at(ana, "other", NULL);
    assert_int_equal(st.notes_received, 5);
    assert_int_equal(st.notes_evicted, 5);
    assert_int_equal(held(ana), 20);
    assert_int_equal(carried_to(ana, eli, "handoff1"), 5);

    /* more flood pushes out none of dora's: the flooded drop already
     * holds the most */
    send_n(beto, "carmen", 10, "more");
    (void)sync_at(beto, "flooded", NULL);
    st = sync_at(ana, "flooded", NULL);
    assert_int_equal(st.notes_received, 0);
    assert_int_equal(st.notes_evicted, 0);
    assert_int_equal(held(ana), 20);

    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    enl_profile_close(dora);
    enl_profile_close(eli);
}

/* The second source takes room only down to an equal share: a courier
 * full of one drop's notes then carries as many of each. */
static void test_room_is_taken_down_to_an_equal_share(void **state)
{
    enl_profile *ana = mkprofile("ana2"), *beto = mkprofile("beto2"), *carmen = mkprofile("carmen2"),
                *dora = mkprofile("dora2"), *eli = mkprofile("eli2");
    enl_sync_stats st;
    (void)state;
    introduce(beto, "beto", carmen, "carmen");
    introduce(dora, "dora", eli, "eli");
    enl_profile_set_quota(ana, 20, (uint64_t)1 << 30);

    /* notes of one size (a first session's notes, the same text length) */
    send_n(beto, "carmen", 25, "flood");
    (void)sync_at(beto, "flooded2", NULL);
    (void)sync_at(ana, "flooded2", NULL);
    send_n(dora, "eli", 25, "olla");
    (void)sync_at(dora, "other2", NULL);
    st = sync_at(ana, "other2", NULL);
    assert_int_equal(st.notes_received, 10);
    assert_int_equal(st.notes_evicted, 10);
    assert_int_equal(held(ana), 20);
    assert_int_equal(carried_to(ana, eli, "handoff2"), 10);
    assert_int_equal(carried_to(ana, carmen, "handoff2b"), 10);

    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    enl_profile_close(dora);
    enl_profile_close(eli);
}

/* One folder is one source whatever path names it. */
static void test_one_folder_is_one_source(void **state)
{
    enl_profile *ana = mkprofile("ana3"), *beto = mkprofile("beto3"), *carmen = mkprofile("carmen3");
    enl_sync_stats st;
    (void)state;
    introduce(beto, "beto", carmen, "carmen");
    enl_profile_set_quota(ana, 10, (uint64_t)1 << 30);

    send_n(beto, "carmen", 10, "flood");
    (void)sync_at(beto, "same", NULL);
    (void)sync_at(ana, "same", NULL);
    assert_int_equal(held(ana), 10);
    send_n(beto, "carmen", 5, "again");
    (void)sync_at(beto, "same", NULL);
    st = sync_at(ana, "same", "same/../same/.");
    assert_int_equal(st.notes_received, 0);
    assert_int_equal(st.notes_evicted, 0);

    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
}

/* The courier's own notes count in the quota but are never pushed out. */
static void test_own_notes_are_never_pushed_out(void **state)
{
    enl_profile *ana = mkprofile("ana4"), *beto = mkprofile("beto4"), *carmen = mkprofile("carmen4"),
                *dora = mkprofile("dora4"), *eli = mkprofile("eli4"), *fede = mkprofile("fede4");
    enl_sync_stats st;
    (void)state;
    introduce(beto, "beto", carmen, "carmen");
    introduce(dora, "dora", eli, "eli");
    introduce(ana, "ana", fede, "fede");
    enl_profile_set_quota(ana, 10, (uint64_t)1 << 30);

    send_n(ana, "fede", 8, "mine");
    send_n(beto, "carmen", 10, "flood");
    (void)sync_at(beto, "flooded4", NULL);
    st = sync_at(ana, "flooded4", NULL);
    assert_int_equal(st.notes_received, 2);

    /* dora's notes push out one of the flood's two, then are refused:
     * nothing of ana's own goes */
    send_n(dora, "eli", 5, "olla");
    (void)sync_at(dora, "other4", NULL);
    st = sync_at(ana, "other4", NULL);
    assert_int_equal(st.notes_received, 1);
    assert_int_equal(st.notes_evicted, 1);
    assert_int_equal(held(ana), 10);
    assert_int_equal(carried_to(ana, fede, "handoff4"), 8);

    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    enl_profile_close(dora);
    enl_profile_close(eli);
    enl_profile_close(fede);
}

/* Bytes count, not notes: one large note from another source pushes out as
 * many of the flood's small ones as it needs (16 of 288 bytes for one of
 * 4352), the flood still holding more; but not when the flood would be left
 * with less than that note (then nothing is pushed out). */
static void test_bytes_are_shared_too(void **state)
{
    enl_profile *ana = mkprofile("ana5"), *beto = mkprofile("beto5"), *carmen = mkprofile("carmen5"),
                *dora = mkprofile("dora5"), *eli = mkprofile("eli5");
    enl_sync_stats st;
    uint8_t big[4000];
    (void)state;
    introduce(beto, "beto", carmen, "carmen");
    introduce(dora, "dora", eli, "eli");

    send_n(beto, "carmen", 40, "flood");
    (void)sync_at(beto, "flooded5", NULL);
    (void)sync_at(ana, "flooded5", NULL);
    assert_int_equal(held(ana), 40);
    {
        enl_status_info s;
        assert_int_equal(enl_status(ana, &s), ENL_OK);
        /* room for the flood and not one byte more */
        enl_profile_set_quota(ana, 100, s.bytes);
    }
    memset(big, 'x', sizeof big);
    assert_int_equal(enl_send_text(dora, "eli", big, sizeof big, NULL, NULL), ENL_OK);
    (void)sync_at(dora, "other5", NULL);
    st = sync_at(ana, "other5", NULL);
    assert_int_equal(st.notes_received, 1);
    assert_int_equal(st.notes_evicted, 16);
    assert_int_equal(held(ana), 25);
    assert_int_equal(carried_to(ana, eli, "handoff5"), 1);

    /* a second one would give dora's drop 8704 bytes, more than the
     * flood's 6912: refused, and the flood keeps all 24 */
    assert_int_equal(enl_send_text(dora, "eli", big, sizeof big, NULL, NULL), ENL_OK);
    (void)sync_at(dora, "other5", NULL);
    st = sync_at(ana, "other5", NULL);
    assert_int_equal(st.notes_received, 0);
    assert_int_equal(st.notes_evicted, 0);
    assert_int_equal(held(ana), 25);

    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    enl_profile_close(dora);
    enl_profile_close(eli);
}

/* A note with a valid header and a random body of len bytes in all: what
 * anyone can leave in a drop (a courier cannot tell it from a note it
 * carries), expiring in `hours`. */
static int junk_in(enl_profile *p, size_t len, uint32_t hours)
{
    uint8_t *note = malloc(len), lock[ENL_PURGELOCKBYTES];
    int rc;
    assert_non_null(note);
    randombytes_buf(note, len);
    enl_purge_lock_random(lock);
    enl_note_header_encode(note, enl_now_hours() + hours, lock);
    rc = enl_note_intake(p, note, len, NULL);
    free(note);
    return rc;
}

/* A flood of the smallest notes, made to expire before its large ones,
 * cannot keep a large note of another source out: one note may need more
 * pushed out than a fixed count of the smallest notes frees (a 40,000-byte
 * note, 385 notes of 104 bytes), and the flood still holds far more. */
static void test_small_notes_expiring_first_keep_no_large_note_out(void **state)
{
    enl_profile *ana = mkprofile("ana8");
    enl_status_info s;
    (void)state;
    enl_profile_set_quota(ana, 100000, (uint64_t)1 << 30);
    enl_note_source(ana, "folder", (const uint8_t *)"/flood", 6);
    for (int i = 0; i < 400; i++) assert_int_equal(junk_in(ana, ENL_NOTE_MINBYTES, 24), ENL_OK);
    for (int i = 0; i < 3; i++) assert_int_equal(junk_in(ana, 60000, 48), ENL_OK);
    assert_int_equal(enl_status(ana, &s), ENL_OK);
    enl_profile_set_quota(ana, 100000, s.bytes);   /* full to the byte */

    enl_note_source(ana, "folder", (const uint8_t *)"/other", 6);
    assert_int_equal(junk_in(ana, 40000, 24), ENL_OK);
    assert_int_equal(held(ana), 403 + 1 - 385);
    enl_profile_close(ana);
}

/* The count of notes is shared too: when it binds first (a flood of the
 * smallest notes), another source's larger notes still get half the
 * slots, though they hold far more bytes than the flood. */
static void test_small_notes_take_no_more_than_their_share_of_slots(void **state)
{
    enl_profile *ana = mkprofile("ana10");
    (void)state;
    enl_profile_set_quota(ana, 20, (uint64_t)1 << 30);
    enl_note_source(ana, "folder", (const uint8_t *)"/flood", 6);
    for (int i = 0; i < 25; i++) (void)junk_in(ana, ENL_NOTE_MINBYTES, 24);
    assert_int_equal(held(ana), 20);
    enl_note_source(ana, "folder", (const uint8_t *)"/other", 6);
    for (int i = 0; i < 10; i++) assert_int_equal(junk_in(ana, 4000, 24), ENL_OK);
    assert_int_equal(junk_in(ana, 4000, 24), ENL_EFULL);   /* 11 of 20: more than its share */
    assert_int_equal(held(ana), 20);
    enl_profile_close(ana);
}

/* When the count of notes is what is full, it is shared like the bytes: a
 * flood of the smallest notes holding every place (100 of 104 bytes, so
 * 10,400 bytes of a quota of 1 GB) keeps no note of another source out for
 * being larger than the whole flood. Bytes alone would refuse a 20,000-byte
 * note there, and by default cap every other source at what 100,000 of the
 * smallest notes weigh (10 MB), however little of the quota's bytes is used. */
static void test_a_flood_of_smallest_notes_shares_the_count(void **state)
{
    enl_profile *ana = mkprofile("ana11");
    (void)state;
    enl_profile_set_quota(ana, 100, (uint64_t)1 << 30);
    enl_note_source(ana, "folder", (const uint8_t *)"/flood", 6);
    for (int i = 0; i < 100; i++) assert_int_equal(junk_in(ana, ENL_NOTE_MINBYTES, 24), ENL_OK);
    assert_int_equal(junk_in(ana, ENL_NOTE_MINBYTES, 24), ENL_EFULL);
    assert_int_equal(held(ana), 100);

    enl_note_source(ana, "folder", (const uint8_t *)"/other", 6);
    assert_int_equal(junk_in(ana, 20000, 24), ENL_OK);
    assert_int_equal(junk_in(ana, 20000, 24), ENL_OK);
    assert_int_equal(held(ana), 100);
    /* up to an equal share of the count, and no further */
    for (int i = 0; i < 48; i++) assert_int_equal(junk_in(ana, 20000, 24), ENL_OK);
    assert_int_equal(junk_in(ana, 20000, 24), ENL_EFULL);
    assert_int_equal(held(ana), 100);
    enl_profile_close(ana);
}

/* A handle that lives on (a UI, a daemon) counts its notes once and keeps
 * the count up: notes that expire, dropped when the next sync begins, must
 * leave their room. Counted as still there, they filled a store that held
 * nothing: every note of the next drop was refused (or pushed others out). */
static void test_expired_notes_leave_their_room(void **state)
{
    enl_profile *ana = mkprofile("ana12"), *dora = mkprofile("dora12"), *eli = mkprofile("eli12");
    enl_sync_stats st;
    char later[32];
    (void)state;
    introduce(dora, "dora", eli, "eli");
    enl_profile_set_quota(ana, 10, (uint64_t)1 << 30);
    enl_note_source(ana, "folder", (const uint8_t *)"/flood", 6);
    for (int i = 0; i < 10; i++) assert_int_equal(junk_in(ana, 300, 1), ENL_OK);
    assert_int_equal(held(ana), 10);
    send_n(dora, "eli", 5, "olla");
    (void)sync_at(dora, "other12", NULL);

    /* two hours on, the flood has expired */
    snprintf(later, sizeof later, "%llu", (unsigned long long)(enl_now() + 2 * 3600));
    assert_int_equal(setenv("ENLACE_NOW", later, 1), 0);
    st = sync_at(ana, "other12", NULL);
    unsetenv("ENLACE_NOW");
    assert_int_equal(st.notes_received, 5);
    assert_int_equal(st.notes_evicted, 0);
    assert_int_equal(held(ana), 5);

    enl_profile_close(ana);
    enl_profile_close(dora);
    enl_profile_close(eli);
}

/* The quota counts every note held, mine too. A handle that lives on
 * (a UI, a daemon) counted the notes it took in once and kept that count
 * itself: the notes its owner sent between two syncs were never added, so
 * the next sync made room as if they were not there (8 notes in a store of
 * 5). Each sync now counts the store again when it begins (with expiry). */
static void test_own_notes_sent_meanwhile_count(void **state)
{
    enl_profile *ana = mkprofile("ana13"), *beto = mkprofile("beto13"),
                *carmen = mkprofile("carmen13"), *fede = mkprofile("fede13");
    enl_sync_stats st;
    (void)state;
    introduce(beto, "beto", carmen, "carmen");
    introduce(ana, "ana", fede, "fede");
    enl_profile_set_quota(ana, 5, (uint64_t)1 << 30);

    send_n(beto, "carmen", 5, "first");
    (void)sync_at(beto, "first13", NULL);
    st = sync_at(ana, "first13", NULL);
    assert_int_equal(st.notes_received, 5);
    send_n(ana, "fede", 3, "mine");
    assert_int_equal(held(ana), 8);

    send_n(beto, "carmen", 3, "second");
    (void)sync_at(beto, "second13", NULL);
    st = sync_at(ana, "second13", NULL);
    /* room for one: four of the first drop's five go, mine stay */
    assert_int_equal(st.notes_received, 1);
    assert_int_equal(st.notes_evicted, 4);
    assert_int_equal(held(ana), 5);
    assert_int_equal(carried_to(ana, fede, "handoff13"), 3);

    enl_profile_close(ana);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    enl_profile_close(fede);
}

static int bulletin_cb(const enl_bulletin_info *b, void *ctx)
{
    (void)b;
    (*(int *)ctx)++;
    return 0;
}

/* A bulletin of an author ana follows is read, however full a flooded
 * drop left her store: it takes room from the flood as any note of another
 * source does. */
static void test_a_flood_keeps_no_bulletin_from_its_reader(void **state)
{
    enl_profile *ana = mkprofile("ana9"), *dora = mkprofile("dora9");
    enl_follow_info fi;
    char fp[ENL_FINGERPRINT_STRBYTES];
    uint8_t id[32], *note = NULL;
    size_t len = 0;
    int n = 0;
    (void)state;
    assert_int_equal(enl_profile_fingerprint(dora, fp), ENL_OK);
    assert_int_equal(enl_bulletin_follow(ana, fp, &fi), ENL_OK);
    enl_profile_set_quota(ana, 10, (uint64_t)1 << 30);
    enl_note_source(ana, "folder", (const uint8_t *)"/flood", 6);
    for (int i = 0; i < 12; i++) (void)junk_in(ana, 300, 24);
    assert_int_equal(held(ana), 10);

    assert_int_equal(enl_bulletin_publish(dora, (const uint8_t *)"olla el jueves", 14, NULL, id, NULL),
                     ENL_OK);
    assert_int_equal(enl_note_get(dora, id, &note, &len), ENL_OK);
    enl_note_source(ana, "folder", (const uint8_t *)"/other", 6);
    assert_int_equal(enl_note_intake(ana, note, len, NULL), ENL_OK);
    free(note);
    assert_int_equal(enl_bulletin_each(ana, bulletin_cb, &n), ENL_OK);
    assert_int_equal(n, 1);
    assert_true(held(ana) <= 10);
    enl_profile_close(ana);
    enl_profile_close(dora);
}

static int sync_to(enl_profile *p, const char *name, const listening *l)
{
    char target[128];
    snprintf(target, sizeof target, "tcp://%s@%s", name, l->bound);
    return enl_sync_tcp(p, target, NULL, NULL);
}

/* The ids of the notes a profile holds now (its own, before a sync brings
 * it others'). */
typedef struct {
    uint8_t ids[32][ENL_IDBYTES];
    int n;
} id_list;

static int add_id(const uint8_t id[ENL_IDBYTES], void *vctx)
{
    id_list *l = vctx;
    assert_true(l->n < 32);
    memcpy(l->ids[l->n++], id, ENL_IDBYTES);
    return 0;
}

static void ids_of(enl_profile *p, id_list *l)
{
    l->n = 0;
    assert_int_equal(enl_note_each(p, add_id, l), ENL_OK);
}

/* How many of those notes the courier holds. */
static int held_of(enl_profile *courier, const id_list *l)
{
    int n = 0;
    for (int i = 0; i < l->n; i++)
        if (enl_store_note_has(courier->st, l->ids[i]) == 1) n++;
    return n;
}

/* Each contact's sync over TCP is a source of its own: beto's flood does
 * not keep leo, listening, from carrying what dora brings. */
static void test_each_contact_over_tcp_is_a_source(void **state)
{
    enl_profile *leo = mkprofile("leo6"), *beto = mkprofile("beto6"), *carmen = mkprofile("carmen6"),
                *dora = mkprofile("dora6"), *eli = mkprofile("eli6");
    listening l;
    id_list mine;
    (void)state;
    introduce(beto, "beto", carmen, "carmen");
    introduce(dora, "dora", eli, "eli");
    introduce(beto, "beto", leo, "leo");
    introduce(dora, "dora", leo, "leo");
    enl_profile_set_quota(leo, 10, (uint64_t)1 << 30);

    send_n(beto, "carmen", 15, "flood");
    send_n(dora, "eli", 4, "olla");
    ids_of(dora, &mine);
    assert_int_equal(mine.n, 4);
    start_listening(&l, leo, 0);
    assert_int_equal(sync_to(beto, "leo", &l), ENL_OK);
    assert_int_equal(sync_to(dora, "leo", &l), ENL_OK);
    stop_listening(&l);
    assert_int_equal(l.sessions_ok, 2);
    assert_int_equal(held_of(leo, &mine), 4);
    assert_int_equal(held(leo), 10);

    enl_profile_close(leo);
    enl_profile_close(beto);
    enl_profile_close(carmen);
    enl_profile_close(dora);
    enl_profile_close(eli);
}

/* An open relay's strangers are one source: a stranger with a fresh key
 * cannot push out what another stranger left. */
static void test_strangers_share_one_source(void **state)
{
    enl_profile *leo = mkprofile("leo7"), *s1 = mkprofile("s1"), *s2 = mkprofile("s2"),
                *carmen = mkprofile("carmen7");
    listening l;
    id_list first, second;
    char *card = NULL;
    (void)state;
    introduce(s1, "s1", carmen, "carmen");
    introduce(s2, "s2", carmen, "carmen");
    /* the strangers hold leo's card; leo holds neither of theirs */
    assert_int_equal(enl_profile_card(leo, &card), ENL_OK);
    assert_int_equal(enl_contact_add(s1, card, "leo", NULL), ENL_OK);
    assert_int_equal(enl_contact_add(s2, card, "leo", NULL), ENL_OK);
    free(card);
    enl_profile_set_quota(leo, 6, (uint64_t)1 << 30);

    send_n(s1, "carmen", 6, "first");
    send_n(s2, "carmen", 6, "second");
    ids_of(s1, &first);
    ids_of(s2, &second);
    start_listening(&l, leo, 1);
    assert_int_equal(sync_to(s1, "leo", &l), ENL_OK);
    assert_int_equal(sync_to(s2, "leo", &l), ENL_OK);
    stop_listening(&l);
    assert_int_equal(held_of(leo, &first), 6);
    assert_int_equal(held_of(leo, &second), 0);

    enl_profile_close(leo);
    enl_profile_close(s1);
    enl_profile_close(s2);
    enl_profile_close(carmen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_flooded_drop_leaves_room_for_others),
        cmocka_unit_test(test_room_is_taken_down_to_an_equal_share),
        cmocka_unit_test(test_one_folder_is_one_source),
        cmocka_unit_test(test_own_notes_are_never_pushed_out),
        cmocka_unit_test(test_bytes_are_shared_too),
        cmocka_unit_test(test_each_contact_over_tcp_is_a_source),
        cmocka_unit_test(test_strangers_share_one_source),
        cmocka_unit_test(test_small_notes_expiring_first_keep_no_large_note_out),
        cmocka_unit_test(test_a_flood_keeps_no_bulletin_from_its_reader),
        cmocka_unit_test(test_small_notes_take_no_more_than_their_share_of_slots),
        cmocka_unit_test(test_a_flood_of_smallest_notes_shares_the_count),
        cmocka_unit_test(test_expired_notes_leave_their_room),
        cmocka_unit_test(test_own_notes_sent_meanwhile_count),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
