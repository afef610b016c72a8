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
#include "enlace.h"
#include "note/note.h"
#include "util/base32.h"

#define NOW 1790000000ull  /* 2026-09-21 */
#define MAXV 64

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

    memset(&pl, 0, sizeof pl);
    pl.kind = ENL_KIND_TEXT;
    pl.sent = NOW;
    memset(pl.purge_key, 0x11, sizeof pl.purge_key);
    pl.body = (const uint8_t *)text;
    pl.body_len = sizeof text - 1;
    memset(e, 0xe5, sizeof e);
    len = enl_note_first_len(pl.body_len, ENL_PAD_FLOOR);
    assert_int_equal(enl_note_seal_first_fixed(note, len, &ana, carmen.dh_pk, &pl,
                                               (uint32_t)(NOW / 3600) + 336, e, 1), ENL_OK);
    snprintf(buf, sizeof buf, "%zu", len);
    put("note-first", "length", buf);
    put_hex("note-first", "note", note, len);
    enl_note_id(id, note, len);
    put_hex("note-first", "id", id, 32);
    put_hex("note-first", "purge_lock", note + ENL_NOTE_LOCK_OFFSET, 32);
    enl_purge_encode(purge, (uint32_t)(NOW / 3600) + 336, pl.purge_key);
    put_hex("note-first", "purge_record", purge, sizeof purge);

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
    /* The documented note must open with carmen's key and say what it says. */
    enl_identity carmen;
    uint8_t seed[32], note[ENL_NOTE_MAX], plain[ENL_NOTE_MAX];
    enl_opened op;
    const char *hex = NULL;
    size_t len;
    (void)state;
    for (size_t i = 0; i < ncomputed; i++)
        if (strcmp(computed[i].key, "note-first.note") == 0) hex = computed[i].value;
    assert_non_null(hex);
    len = strlen(hex) / 2;
    assert_int_equal(enl_hex_decode(note, len, hex, strlen(hex)), ENL_OK);
    seed_of(seed, 0xc2);
    assert_int_equal(enl_identity_from_seed(&carmen, seed, NOW), ENL_OK);
    assert_int_equal(enl_note_open_first(&op, plain, note, len, carmen.dh_sk,
                                         (uint32_t)(NOW / 3600)), ENL_OK);
    assert_int_equal(op.payload.body_len, 20);
    assert_memory_equal(op.payload.body, "the leaflet is ready", 20);
    enl_identity_wipe(&carmen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_matches_code),
        cmocka_unit_test(test_vector_note_opens),
    };
    if (enl_init() != ENL_OK) return 1;
    compute();
    if (getenv("ENL_PRINT_VECTORS") != NULL) {
        print_blocks();
        return 0;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
