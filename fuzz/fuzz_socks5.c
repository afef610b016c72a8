/*
 * libFuzzer target for the SOCKS5 client's parsers: the proxy's method
 * choice, its RFC 1929 answer and its CONNECT reply, fed the raw input (a
 * proxy controls every byte of them). A reply that parses must have the
 * length that reply_len announced, and a printable bound address.
 */
#include <stdlib.h>
#include <string.h>

#include "enlace.h"
#include "transport/socks5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enl_socks5_reply r;
    size_t total = 0;
    uint8_t method = 0;
    int rc;

    if (enl_socks5_method_parse(data, size, size & 1, &method) == ENL_OK &&
        method != ENL_SOCKS5_NO_AUTH && method != ENL_SOCKS5_USERPASS)
        abort();
    (void)enl_socks5_userpass_parse(data, size);
    if (size >= ENL_SOCKS5_REPLY_HEAD && enl_socks5_reply_len(data, size, &total) == ENL_OK &&
        (total < 7 || total > ENL_SOCKS5_REPLY_MAX))
        abort();
    rc = enl_socks5_reply_parse(data, size, &r);
    if (rc != ENL_EPROTO) {
        /* Parsed (to success or to a reply code): the input was one whole reply. */
        if (total != size || strlen(r.bound) > ENL_SOCKS5_HOST_MAX) abort();
        for (const char *q = r.bound; *q; q++)
            if (*q < 0x20 || *q >= 0x7f) abort();
    }
    (void)enl_socks5_reply_str(size ? data[0] : 0);
    return 0;
}
