/* libFuzzer target: burn notices (binary) and revocation files (text). */
#include <stdlib.h>

#include "crypto/revocation.h"
#include "enlace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    enl_revocation r;
    uint8_t bin[ENL_REVOCATION_MAXBYTES];
    size_t len = 0;
    if (!ready) {
        if (enl_init() != ENL_OK) abort();
        ready = 1;
    }
    (void)enl_revocation_parse(&r, data, size);
    if (enl_revocation_from_text(bin, &len, (const char *)data, size) == ENL_OK)
        (void)enl_revocation_parse(&r, bin, len);
    return 0;
}
