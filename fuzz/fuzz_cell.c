/* libFuzzer target: cell statements, a log of them through the membership
 * computation, and sender-key state and notes. The input is split on its
 * first byte: 0 a statement log (len u16 | statement)*, 1 a sender-key
 * state followed by a note body, 2 a receiver's sender-key state and a
 * note sealed at an offset of its chain (the window, the checkpoints and
 * jumps, with states the fuzzer makes), else one statement. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cell/membership.h"
#include "cell/statement.h"
#include "crypto/senderkey.h"
#include "note/note.h"
#include "enlace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enl_stmt st[ENL_CELL_STMTS_MAX];
static enl_cell_view view;

/* The chain step of PROTOCOL section 9, written from the spec. */
static void chain_step(uint8_t chain[32])
{
    static const char label[] = "enlace sk chain";
    uint8_t n[32];
    crypto_generichash(n, 32, (const uint8_t *)label, sizeof label - 1, chain, 32);
    memcpy(chain, n, 32);
}

/* What a state read back must hold, whatever opened or failed. */
static void check_state(const enl_senderkey *k)
{
    static uint8_t buf[ENL_SK_SERIALIZED_MAX];
    static enl_senderkey back;
    size_t n = enl_senderkey_serialize(buf, k);
    if (k->nskipped > ENL_SK_SKIP_MAX) abort();
    if (enl_senderkey_parse(&back, buf, n) != ENL_OK || back.next != k->next ||
        back.nskipped != k->nskipped ||
        memcmp(back.skipped, k->skipped, k->nskipped * sizeof k->skipped[0]) != 0)
        abort();
}

/* 2: choice u8 (unused) | offset u16 | state len u16 | state. The
 * receiver's state is taken as is (with a signing key of the fuzzer's); a
 * note is sealed `offset` steps past its chain, and opened. */
static void sealed_at_offset(const uint8_t *data, size_t size)
{
    static enl_senderkey k, mine;
    static uint8_t pk[32], sk[64], note[ENL_NOTE_HEADERBYTES + ENL_SK_OVERHEAD + 8];
    static int keys;
    uint8_t pt[8] = { 0 };
    size_t len;
    unsigned offset;

    if (size < 5) return;
    offset = ((unsigned)data[1] << 8 | data[2]) % (ENL_SK_WINDOW + ENL_SK_AHEAD + 64);
    len = (size_t)data[3] << 8 | data[4];
    if (len > size - 5 || enl_senderkey_parse(&k, data + 5, len) != ENL_OK || k.own) return;
    if (!keys) {
        static const uint8_t seed[32] = { 7 };
        if (crypto_sign_seed_keypair(pk, sk, seed) != 0) abort();
        keys = 1;
    }
    memcpy(k.sign_pk, pk, 32);
    memset(&mine, 0, sizeof mine);
    mine.own = 1;
    memcpy(mine.sign_pk, pk, 32);
    memcpy(mine.sign_sk, sk, 64);
    memcpy(mine.chain, k.chain, 32);
    mine.next = k.next;
    for (unsigned i = 0; i < offset; i++) chain_step(mine.chain);
    memset(note, 2, ENL_NOTE_HEADERBYTES);
    if (enl_senderkey_encrypt(&mine, note + ENL_NOTE_HEADERBYTES, note, ENL_NOTE_HEADERBYTES, pt,
                              sizeof pt) != ENL_OK)
        abort();
    {
        uint32_t before = k.next;
        int rc = enl_senderkey_decrypt(&k, pt, note, ENL_NOTE_HEADERBYTES, note + ENL_NOTE_HEADERBYTES,
                                       sizeof note - ENL_NOTE_HEADERBYTES);
        /* the window always opens, and so does a checkpoint past it */
        if ((offset < ENL_SK_WINDOW ||
             (offset < ENL_SK_WINDOW + ENL_SK_AHEAD && ((uint64_t)before + offset) % ENL_SK_STRIDE == 0)) &&
            !k.own && (uint64_t)before + offset < UINT32_MAX &&
            rc != ENL_OK)
            abort();
        check_state(&k);
        if (rc == ENL_OK &&
            enl_senderkey_decrypt(&k, pt, note, ENL_NOTE_HEADERBYTES, note + ENL_NOTE_HEADERBYTES,
                                  sizeof note - ENL_NOTE_HEADERBYTES) != ENL_ENOTFORME)
            abort();                /* a key opens once */
    }
    sodium_memzero(&k, sizeof k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (enl_init() != ENL_OK) abort();
        ready = 1;
    }
    if (size == 0) return 0;
    if (data[0] == 0) {
        size_t off = 1, n = 0;
        while (off + 2 <= size && n < ENL_CELL_STMTS_MAX) {
            size_t len = (size_t)data[off] << 8 | data[off + 1];
            off += 2;
            if (len > size - off) break;
            if (enl_stmt_parse(&st[n], data + off, len) == ENL_OK) n++;
            off += len;
        }
        (void)enl_cell_compute(&view, st, n);
    } else if (data[0] == 1 && size >= 3) {
        enl_senderkey k;
        size_t len = (size_t)data[1] << 8 | data[2];
        uint8_t pt[4096];
        if (len > size - 3) return 0;
        if (enl_senderkey_parse(&k, data + 3, len) == ENL_OK) {
            static uint8_t tags[ENL_SK_TAGS_MAX][ENL_SK_TAGBYTES];
            const uint8_t *note = data + 3 + len;
            size_t nl = size - 3 - len;
            check_state(&k);
            (void)enl_senderkey_tags(&k, tags, ENL_SK_TAGS_MAX);
            if (nl >= ENL_NOTE_HEADERBYTES && nl - ENL_NOTE_HEADERBYTES <= sizeof pt + ENL_SK_OVERHEAD)
                (void)enl_senderkey_decrypt(&k, pt, note, ENL_NOTE_HEADERBYTES, note + ENL_NOTE_HEADERBYTES,
                                            nl - ENL_NOTE_HEADERBYTES);
        }
    } else if (data[0] == 2) {
        sealed_at_offset(data + 1, size - 1);
    } else {
        enl_stmt s;
        (void)enl_stmt_parse(&s, data + 1, size - 1);
    }
    return 0;
}
