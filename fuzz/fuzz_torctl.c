/*
 * libFuzzer target for the Tor control-port parsers: the reply splitter and
 * the PROTOCOLINFO, AUTHCHALLENGE and ADD_ONION reply parsers, fed the raw
 * input (whatever listens on the control port controls every byte). Checks
 * the splitter's invariants: a reply lies within the input and within the
 * limits, and its line spans lie within it.
 */
#include <stdlib.h>
#include <string.h>

#include "enlace.h"
#include "transport/torctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static enl_torctl_info info;
    enl_torctl_reply r;
    uint8_t sh[32], sn[32], key[ENL_ONION_KEYBYTES];
    char id[ENL_ONION_ID_LEN + 1], text[64];
    int has = 0;

    if (enl_torctl_reply_parse(&r, data, size) == ENL_OK) {
        if (r.len == 0 || r.len > size || r.len > ENL_TORCTL_BUF || r.nlines == 0 ||
            r.nlines > ENL_TORCTL_LINES_MAX || r.status < 0 || r.status > 999)
            abort();
        for (size_t i = 0; i < r.nlines; i++)
            if (r.line[i].off + r.line[i].len > r.len) abort();
        enl_torctl_reply_text(text, sizeof text, &r, data, r.nlines - 1);
    }
    if (enl_torctl_protocolinfo_parse(&info, data, size) == ENL_OK) {
        if (info.methods == 0 || strlen(info.cookie_file) > ENL_TORCTL_PATH_MAX) abort();
    }
    (void)enl_torctl_authchallenge_parse(sh, sn, data, size);
    if (enl_torctl_add_onion_parse(id, key, &has, data, size) == ENL_OK &&
        !enl_onion_id_valid(id, strlen(id)))
        abort();
    return 0;
}
