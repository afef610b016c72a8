/* Deleting a received file unsaved, and telling apart two senders' files
 * with the same id, through the library on real profiles. A contact can
 * send files without limit: deleting one is how its room is taken back,
 * parts overwritten, and parts of it that come later are dropped. File ids
 * are chosen by senders: a contact who gives a file another contact's id
 * must never have it saved in the other's place. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile.h"
#include "core/send.h"
#include "enlace.h"
#include "note/file.h"
#include "store/store.h"

#define PROFILES_ROOT "/tmp/enl-file-delete-XXXXXX"
#include "profiles.h"

static int incoming_state(const enl_file_info *f, void *ctx)
{
    if (!f->outgoing) *(int *)ctx = (int)f->state;
    return 0;
}

static uint64_t parts_held(enl_profile *p)
{
    uint64_t n = 99;
    assert_int_equal(enl_store_count(p->st, "parts", &n), ENL_OK);
    return n;
}

static void fingerprint_of(enl_profile *p, const char *name, char fp[ENL_FINGERPRINT_STRBYTES])
{
    enl_contact_info c;
    assert_int_equal(enl_contact_get(p, name, &c), ENL_OK);
    memcpy(fp, c.fingerprint, ENL_FINGERPRINT_STRBYTES);
}

static void read_back(const char *path, const uint8_t *want, size_t len)
{
    uint8_t back[1000];
    FILE *f = fopen(path, "rb");
    size_t n;
    assert_non_null(f);
    n = fread(back, 1, sizeof back, f);
    fclose(f);
    assert_int_equal(n, len);
    assert_memory_equal(back, want, len);
}

/* A file still missing parts, and one complete: each deleted, parts and
 * all; the record says so; a save says why not; a part that comes later
 * is dropped; deleting again says there is nothing to delete. */
static void test_delete_unsaved(void **state)
{
    enl_profile *lu = mkprofile("lu"), *mo = mkprofile("mo"), *all[2];
    uint8_t id[ENL_FILE_IDBYTES], id2[ENL_FILE_IDBYTES], *data = malloc(ENL_FILE_CHUNK + 100);
    char out[300];
    int st = 0;
    (void)state;

    assert_non_null(data);
    introduce(lu, "lu", mo, "mo");
    all[0] = lu;
    all[1] = mo;
    randombytes_buf(id, sizeof id);
    randombytes_buf(id2, sizeof id2);
    randombytes_buf(data, ENL_FILE_CHUNK + 100);
    send_head(mo, "lu", id, data, ENL_FILE_CHUNK + 100, "tape.bin");
    send_part(mo, "lu", id, 0, data, ENL_FILE_CHUNK);          /* part 1 not yet */
    send_head(mo, "lu", id2, data, 100, "small.bin");
    send_part(mo, "lu", id2, 0, data, 100);                    /* complete */
    exchange(all, 2);
    assert_int_equal(parts_held(lu), 2);

    assert_int_equal(enl_file_delete(lu, NULL, id), ENL_OK);
    assert_int_equal(parts_held(lu), 1);
    assert_int_equal(enl_file_delete(lu, NULL, id2), ENL_OK);
    assert_int_equal(parts_held(lu), 0);
    assert_int_equal(enl_files_each(lu, incoming_state, &st), ENL_OK);
    assert_int_equal(st, ENL_FILE_DELETED);

    snprintf(out, sizeof out, "%s/small.bin", root);
    assert_int_equal(enl_file_save(lu, id2, out, 0, NULL, NULL), ENL_ENOTFOUND);
    assert_non_null(strstr(enl_profile_errmsg(lu), "deleted unsaved"));
    assert_int_equal(enl_file_delete(lu, NULL, id2), ENL_ENOTFOUND);
    assert_non_null(strstr(enl_profile_errmsg(lu), "deleted already"));

    /* The missing part comes after all, and a copy of the other: dropped. */
    send_part(mo, "lu", id, 1, data + ENL_FILE_CHUNK, 100);
    send_part(mo, "lu", id2, 0, data, 100);
    exchange(all, 2);
    assert_int_equal(parts_held(lu), 0);

    /* Nothing to delete: an unknown id. */
    randombytes_buf(id2, sizeof id2);
    assert_int_equal(enl_file_delete(lu, NULL, id2), ENL_ENOTFOUND);

    free(data);
    enl_profile_close(lu);
    enl_profile_close(mo);
}

/* Two contacts send files under one id: neither is taken for the other.
 * Without saying whose, saving and deleting refuse; saying whose, each
 * reaches its own sender's file. */
static void test_same_id_two_senders(void **state)
{
    enl_profile *lu = mkprofile("lu2"), *mo = mkprofile("mo2"), *ne = mkprofile("ne2"), *all[3];
    uint8_t id[ENL_FILE_IDBYTES], from_mo[100], from_ne[100];
    char out[300], fp_mo[ENL_FINGERPRINT_STRBYTES], fp_ne[ENL_FINGERPRINT_STRBYTES];
    (void)state;

    introduce(lu, "lu", mo, "mo");
    introduce(lu, "lu", ne, "ne");
    all[0] = lu;
    all[1] = mo;
    all[2] = ne;
    randombytes_buf(id, sizeof id);
    randombytes_buf(from_mo, sizeof from_mo);
    randombytes_buf(from_ne, sizeof from_ne);
    send_head(mo, "lu", id, from_mo, sizeof from_mo, "report.txt");
    send_part(mo, "lu", id, 0, from_mo, sizeof from_mo);
    exchange(all, 3);
    send_head(ne, "lu", id, from_ne, sizeof from_ne, "report.txt");
    send_part(ne, "lu", id, 0, from_ne, sizeof from_ne);
    exchange(all, 3);
    assert_int_equal(parts_held(lu), 2);
    fingerprint_of(lu, "mo", fp_mo);
    fingerprint_of(lu, "ne", fp_ne);

    snprintf(out, sizeof out, "%s/report.txt", root);
    assert_int_equal(enl_file_save(lu, id, out, 0, NULL, NULL), ENL_EEXISTS);
    assert_non_null(strstr(enl_profile_errmsg(lu), "different senders"));
    assert_int_equal(enl_file_delete(lu, NULL, id), ENL_EEXISTS);
    assert_int_equal(parts_held(lu), 2);

    assert_int_equal(enl_file_save_from(lu, fp_mo, id, out, 0, NULL, NULL), ENL_OK);
    read_back(out, from_mo, sizeof from_mo);
    assert_int_equal(parts_held(lu), 1);
    assert_int_equal(enl_file_delete(lu, fp_ne, id), ENL_OK);
    assert_int_equal(parts_held(lu), 0);
    assert_int_equal(enl_file_save_from(lu, fp_ne, id, out, ENL_FILE_SAVE_FORCE, NULL, NULL),
                     ENL_ENOTFOUND);
    read_back(out, from_mo, sizeof from_mo);

    enl_profile_close(lu);
    enl_profile_close(mo);
    enl_profile_close(ne);
}

/* Burning a contact does not stop their files: whoever holds the burned
 * keys opens a new session with a first-contact note, and what it carries
 * is taken as from the contact (as messages are). THREAT-MODEL says so;
 * deleting is what takes the room back. */
static void test_burned_sender_still_sends(void **state)
{
    enl_profile *lu = mkprofile("lu3"), *mo = mkprofile("mo3"), *all[2];
    uint8_t id[ENL_FILE_IDBYTES], data[100], head[ENL_FILE_HEAD_MAX];
    uint8_t part[ENL_FILE_PART_FIXED + sizeof data];
    enl_file_head h;
    enl_file_part fp;
    int st = 0;
    (void)state;

    introduce(lu, "lu", mo, "mo");
    all[0] = lu;
    all[1] = mo;
    assert_int_equal(enl_burn_local(lu, "mo", "seized", NULL, NULL), ENL_OK);
    randombytes_buf(id, sizeof id);
    randombytes_buf(data, sizeof data);
    memset(&h, 0, sizeof h);
    memcpy(h.id, id, sizeof id);
    h.size = sizeof data;
    h.chunk = ENL_FILE_CHUNK;
    h.parts = enl_file_parts_for(h.size, h.chunk);
    crypto_generichash(h.hash, sizeof h.hash, data, sizeof data, NULL, 0);
    h.name = (const uint8_t *)"junk.bin";
    h.name_len = 8;
    assert_int_equal(enl_file_head_encode(head, sizeof head, &h), ENL_OK);
    /* the session lu forgot: a fresh one, as the keys' holder would */
    assert_int_equal(adv_send_kind(mo, "lu", ENL_KIND_FILE_HEAD, head, enl_file_head_len(&h)),
                     ENL_OK);
    memcpy(fp.id, id, sizeof id);
    fp.index = 0;
    fp.data = data;
    fp.len = sizeof data;
    assert_int_equal(enl_file_part_encode(part, sizeof part, &fp), ENL_OK);
    seal_body(mo, "lu", ENL_KIND_FILE_PART, part, sizeof part);
    exchange(all, 2);
    assert_int_equal(enl_files_each(lu, incoming_state, &st), ENL_OK);
    assert_int_equal(st, ENL_FILE_COMPLETE);
    assert_int_equal(parts_held(lu), 1);

    assert_int_equal(enl_file_delete(lu, NULL, id), ENL_OK);
    assert_int_equal(parts_held(lu), 0);

    enl_profile_close(lu);
    enl_profile_close(mo);
}

typedef struct {
    enl_file_info orphans[4];
    int n;
} orphan_list;

static int collect_orphans(const enl_file_info *f, void *ctx)
{
    orphan_list *l = ctx;
    if (!f->outgoing && !f->known && l->n < 4) l->orphans[l->n++] = *f;
    return 0;
}

/* Parts whose head never came (a contact can send them without end) are
 * deleted by the id the listing gives their group, and only that group;
 * the head coming afterwards lists the file with those parts missing. */
static void test_delete_orphans(void **state)
{
    enl_profile *lu = mkprofile("lu4"), *mo = mkprofile("mo4"), *all[2];
    uint8_t id[ENL_FILE_IDBYTES], id2[ENL_FILE_IDBYTES], data[300];
    orphan_list l;
    uint64_t n = 0;
    int st = 0, two;
    (void)state;

    introduce(lu, "lu", mo, "mo");
    all[0] = lu;
    all[1] = mo;
    randombytes_buf(id, sizeof id);
    randombytes_buf(id2, sizeof id2);
    randombytes_buf(data, sizeof data);
    send_part(mo, "lu", id, 0, data, 100);
    send_part(mo, "lu", id, 1, data + 100, 100);
    send_part(mo, "lu", id2, 0, data, 100);
    exchange(all, 2);
    assert_int_equal(parts_held(lu), 3);
    memset(&l, 0, sizeof l);
    assert_int_equal(enl_files_each(lu, collect_orphans, &l), ENL_OK);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.orphans[0].received, 0);

    /* the group of two: by the id it is listed under, not the file's own */
    two = l.orphans[0].have == 2 ? 0 : 1;
    assert_int_equal(l.orphans[two].have, 2);
    assert_int_equal(enl_file_delete_orphan(lu, id, &n), ENL_ENOTFOUND);
    assert_int_equal(enl_file_delete_orphan(lu, l.orphans[two].id, &n), ENL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(parts_held(lu), 1);
    assert_int_equal(enl_file_delete_orphan(lu, l.orphans[two].id, &n), ENL_ENOTFOUND);
    assert_non_null(strstr(enl_profile_errmsg(lu), "no parts waiting"));

    /* its head comes after all: listed, those parts missing */
    send_head(mo, "lu", id, data, 300, "late.bin");
    exchange(all, 2);
    memset(&l, 0, sizeof l);
    assert_int_equal(enl_files_each(lu, collect_orphans, &l), ENL_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(enl_files_each(lu, incoming_state, &st), ENL_OK);
    assert_int_equal(st, ENL_FILE_RECEIVING);
    assert_int_equal(parts_held(lu), 1);
    assert_int_equal(enl_file_delete(lu, NULL, id), ENL_OK);

    /* once its head came, a group is no orphan: deleted as a file only */
    send_head(mo, "lu", id2, data, 100, "other.bin");
    exchange(all, 2);
    assert_int_equal(enl_file_delete_orphan(lu, l.orphans[0].id, NULL), ENL_ENOTFOUND);
    assert_int_equal(parts_held(lu), 1);

    enl_profile_close(lu);
    enl_profile_close(mo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delete_unsaved),
        cmocka_unit_test(test_same_id_two_senders),
        cmocka_unit_test(test_burned_sender_still_sends),
        cmocka_unit_test(test_delete_orphans),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
