/*
 * libFuzzer target for the card parser: the input is card text, parsed with
 * the dates unchecked (now == 0, a stored card) and against a fixed clock.
 * A card that parses must hold what the parser promises: a valid name, an
 * address within bounds, both NUL-terminated, expiry after creation. The
 * same input is also given to the base32 decoder, whose output must survive
 * an encode/decode round trip unchanged. A card that parses has a canonical
 * text that fits a contact's row and parses to the same card.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/identity.h"
#include "enlace.h"
#include "util/base32.h"

#define NOW 1790000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const enl_card *c, uint64_t now)
{
    size_t nl = strnlen(c->name, sizeof c->name), al = strnlen(c->address, sizeof c->address);
    if (nl == 0 || nl > ENL_NAME_MAX || !enl_name_valid(c->name)) abort();
    if (al > ENL_ADDRESS_MAX) abort();
    if (c->expires <= c->created) abort();
    if (now != 0 && (now >= c->expires || c->created > now + ENL_CLOCK_SKEW)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static uint8_t raw[ENL_CARD_MAXBYTES], again[ENL_CARD_MAXBYTES];
    static char text[ENL_BASE32_LEN(ENL_CARD_MAXBYTES) + 1];
    enl_card c;
    size_t n = 0, m = 0;

    if (!ready) {
        if (enl_init() != ENL_OK) abort();
        ready = 1;
    }
    if (enl_card_parse(&c, (const char *)data, size, 0) == ENL_OK) {
        static char canon[ENL_CARD_TEXTMAX];
        enl_card again_c;
        check(&c, 0);
        /* The text kept for a contact: it fits its row, and it is the same card. */
        if (enl_card_canonical(canon, sizeof canon, (const char *)data, size) != ENL_OK) abort();
        if (enl_card_parse(&again_c, canon, strlen(canon), 0) != ENL_OK) abort();
        if (memcmp(&again_c, &c, sizeof c) != 0) abort();
    }
    if (enl_card_parse(&c, (const char *)data, size, NOW) == ENL_OK) check(&c, NOW);

    if (enl_base32_decode(raw, sizeof raw, &n, (const char *)data, size) == ENL_OK) {
        if (n > sizeof raw) abort();
        if (enl_base32_encode(text, sizeof text, raw, n) != ENL_OK) abort();
        if (strlen(text) != ENL_BASE32_LEN(n)) abort();
        if (enl_base32_decode(again, sizeof again, &m, text, strlen(text)) != ENL_OK) abort();
        if (m != n || memcmp(raw, again, n) != 0) abort();
    }
    return 0;
}
