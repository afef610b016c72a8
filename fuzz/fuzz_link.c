/*
 * libFuzzer target for the link's frame parser. The input is a sequence of
 * (length u16, chunk plaintext) pairs; the harness encrypts each with the
 * sending cipher, so the receiver's decrypt, chunk flags and reassembly
 * limits are exercised (raw random bytes would only ever fail to decrypt).
 * The whole input is also given raw to the reconciliation message splitter.
 */
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "enlace.h"
#include "sync/link.h"

int enl_recon_msg_split(const uint8_t *m, size_t len, const uint8_t **part, size_t *plen);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static uint8_t ct[ENL_NOISE_MAXMSG], out[ENL_LINK_MSG_MAX];
    enl_cipherstate tx;
    enl_link rx;
    const uint8_t *part[3];
    size_t plen[3], off = 0, n;
    int sv[2];

    if (!ready) {
        if (enl_init() != ENL_OK) abort();
        ready = 1;
    }
    (void)enl_recon_msg_split(data, size, part, plen);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 0;
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    memset(&tx, 0, sizeof tx);
    memset(tx.k, 0x42, sizeof tx.k);
    tx.has_key = 1;
    memset(&rx, 0, sizeof rx);
    rx.fd = sv[1];
    rx.timeout_ms = 0;
    rx.rx = tx;
    rx.chunk = malloc(ENL_NOISE_MAXMSG);
    while (size - off >= 2) {
        size_t k = ((size_t)data[off] << 8) | data[off + 1], c;
        uint8_t len[2];
        off += 2;
        if (k > size - off) k = size - off;
        if (k + ENL_NOISE_TAGLEN > ENL_NOISE_MAXMSG) break;
        if (enl_cipher_encrypt(&tx, ct, NULL, 0, data + off, k) != ENL_OK) break;
        c = k + ENL_NOISE_TAGLEN;
        len[0] = (uint8_t)(c >> 8);
        len[1] = (uint8_t)c;
        if (write(sv[0], len, 2) != 2 || write(sv[0], ct, c) != (ssize_t)c) break;
        off += k;
    }
    close(sv[0]);
    while (enl_link_recv(&rx, out, sizeof out, &n) == ENL_OK) {
    }
    enl_link_wipe(&rx);
    close(sv[1]);
    return 0;
}
