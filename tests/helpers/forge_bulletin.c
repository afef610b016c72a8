/*
 * Test helper for tests/e2e/bulletin.sh: forges bulletins of the author
 * whose card is given, the way someone who knows the author key K (any
 * follower) could, and writes each as a note file named by its id:
 *
 *   forge_bulletin wrong-signature CARD DIR   the author's keys named inside,
 *                                             signed by another key
 *   forge_bulletin other-author CARD DIR      a real identity's keys and
 *                                             signature, not the author's
 *
 * The position is today's (ENLACE_NOW or the clock), slot 15; the note
 * lives a day. Prints the id. Never part of enlace itself.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/identity.h"
#include "note/bulletin.h"
#include "util/base32.h"

static uint8_t note[ENL_NOTE_MAX], plain[ENL_NOTE_MAX];

int main(int argc, char **argv)
{
    const char *now_env = getenv("ENLACE_NOW");
    uint64_t now = now_env != NULL && *now_env ? strtoull(now_env, NULL, 10) : (uint64_t)time(NULL);
    static const char text[] = "the march is cancelled";
    enl_identity forger;
    enl_card card;
    enl_bulletin b;
    uint8_t fp[32], k[32], lock[32], id[32];
    char hex[65], path[4096];
    size_t len = 0;
    FILE *f;

    if (argc != 4 || (strcmp(argv[1], "wrong-signature") != 0 && strcmp(argv[1], "other-author") != 0)) {
        fprintf(stderr, "usage: forge_bulletin wrong-signature|other-author CARD DIR\n");
        return 2;
    }
    if (enl_init() != ENL_OK || enl_card_parse(&card, argv[2], strlen(argv[2]), now) != ENL_OK ||
        enl_identity_generate(&forger, now) != ENL_OK) {
        fprintf(stderr, "forge_bulletin: bad card\n");
        return 1;
    }
    if (strcmp(argv[1], "wrong-signature") == 0) {
        memcpy(forger.sign_pk, card.sign_pk, 32);
        memcpy(forger.dh_pk, card.dh_pk, 32);
    }
    enl_fingerprint_raw(fp, card.sign_pk, card.dh_pk);
    enl_bulletin_author_key(k, fp);
    memset(&b, 0, sizeof b);
    b.published = now;
    b.expiry_hours = (uint32_t)(now / 3600) + 24;
    b.channel = (const uint8_t *)"news";
    b.channel_len = 4;
    b.text = (const uint8_t *)text;
    b.text_len = sizeof text - 1;
    randombytes_buf(lock, sizeof lock);
    enl_note_header_encode(note, b.expiry_hours, lock);
    if (enl_bulletin_note_len(b.channel_len, b.text_len, &len) != ENL_OK ||
        enl_bulletin_seal(note, len, plain, &forger, k, (uint32_t)(now / 86400), 15, &b) != ENL_OK) {
        fprintf(stderr, "forge_bulletin: cannot seal\n");
        return 1;
    }
    enl_note_id(id, note, len);
    enl_hex_encode(hex, id, 32);
    snprintf(path, sizeof path, "%s/%s.note", argv[3], hex);
    if ((f = fopen(path, "wb")) == NULL || fwrite(note, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "forge_bulletin: cannot write %s\n", path);
        return 1;
    }
    enl_identity_wipe(&forger);
    printf("%s\n", hex);
    return 0;
}
