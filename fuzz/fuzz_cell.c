/* libFuzzer target: cell statements, a log of them through the membership
 * computation, and sender-key state and notes. The input is split on its
 * first byte: 0 a statement log (len u16 | statement)*, 1 a sender-key
 * state followed by a note body, else one statement. */
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
            uint8_t tags[ENL_SK_WINDOW + ENL_SK_SKIP_MAX][ENL_SK_TAGBYTES];
            const uint8_t *note = data + 3 + len;
            size_t nl = size - 3 - len;
            (void)enl_senderkey_tags(&k, tags, ENL_SK_WINDOW + ENL_SK_SKIP_MAX);
            if (nl >= ENL_NOTE_HEADERBYTES && nl - ENL_NOTE_HEADERBYTES <= sizeof pt + ENL_SK_OVERHEAD)
                (void)enl_senderkey_decrypt(&k, pt, note, ENL_NOTE_HEADERBYTES, note + ENL_NOTE_HEADERBYTES,
                                            nl - ENL_NOTE_HEADERBYTES);
        }
    } else {
        enl_stmt s;
        (void)enl_stmt_parse(&s, data + 1, size - 1);
    }
    return 0;
}
