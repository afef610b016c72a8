/*
 * libFuzzer target for the records read back from a profile's store: a
 * session's ratchet state, the identity, a received message, a file's
 * record. The store
 * authenticates every row (a seized device changed on the table does not
 * open), so these bytes are the profile's own; they are still parsed as if
 * hostile, and this target holds them to it.
 *
 * The first byte chooses the parser, the rest is the record. Whatever the
 * bytes: no crash, and a record that parses writes back byte for byte what
 * was read, so that reading never silently changes what is kept (a ratchet
 * state that lost a skipped key would lose a message).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/files.h"
#include "core/messages.h"
#include "crypto/identity.h"
#include "crypto/ratchet.h"
#include "enlace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ratchet(const uint8_t *in, size_t len)
{
    static enl_ratchet r;
    static uint8_t out[sizeof(enl_ratchet) * 2];
    size_t n;
    if (enl_ratchet_parse(&r, in, len) != ENL_OK) return;
    n = enl_ratchet_serialized_len(&r);
    if (n > sizeof out || enl_ratchet_serialize(out, n, &r) != ENL_OK) abort();
    if (in[0] == 1) {
        /* a version 1 state is written back as version 2: the same bytes
         * after the version, then a trailer that restarts nothing */
        if (n != len + ENL_RATCHET_SERIAL_TRAILER || out[0] != ENL_RATCHET_VERSION ||
            memcmp(out + 1, in + 1, len - 1) != 0 || out[len] != 0)
            abort();
    } else if (n != len || memcmp(out, in, n) != 0) {
        abort();
    }
    enl_ratchet_wipe(&r);
}

static void identity(const uint8_t *in, size_t len)
{
    enl_identity id;
    uint8_t out[ENL_IDENTITY_BYTES];
    if (enl_identity_parse(&id, in, len) != ENL_OK) return;
    enl_identity_serialize(out, &id);
    if (len != sizeof out || memcmp(out, in, len) != 0) abort();
    enl_identity_wipe(&id);
}

static void message(const uint8_t *in, size_t len)
{
    enl_msg_rec m;
    uint8_t *out;
    size_t n;
    if (enl_msg_decode(&m, in, len) != ENL_OK) return;
    if (m.text_len > len || (m.text_len > 0 && (m.text < in || m.text + m.text_len > in + len)))
        abort();
    /* Version 2 records (before cells) are read but never written. */
    if (in[0] != ENL_MSG_VERSION) return;
    n = enl_msg_size(&m);
    if (n != len || (out = malloc(n)) == NULL) abort();
    if (enl_msg_encode(out, &m) != n || memcmp(out, in, n) != 0) abort();
    free(out);
}

/* A file's record: any version parses or not; one of the current version
 * (4) is written back as it was. */
static void file_record(const uint8_t *in, size_t len)
{
    static uint8_t out[ENL_FILE_RECORD_MAX];
    size_t n = 0;
    if (enl_file_record_rewrite(in, len, out, sizeof out, &n) != ENL_OK) return;
    if (n > sizeof out) abort();
    if (in[0] == 4 && (n != len || memcmp(out, in, n) != 0)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (enl_init() != ENL_OK) abort();
        ready = 1;
    }
    if (size < 1) return 0;
    switch (data[0] % 4) {
    case 0: ratchet(data + 1, size - 1); break;
    case 1: identity(data + 1, size - 1); break;
    case 2: message(data + 1, size - 1); break;
    default: file_record(data + 1, size - 1); break;
    }
    return 0;
}
