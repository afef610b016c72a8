/* libFuzzer target: introductions, inquiries and answers
 * (cell/introduction.h); every input goes to all three parsers. */
#include <stdlib.h>
#include <string.h>

#include "cell/introduction.h"
#include "enlace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    enl_intro in;
    enl_inquiry q;
    enl_answer_msg a;
    uint8_t out[ENL_INQUIRY_MAXBYTES];
    size_t len = 0;
    if (!ready) {
        if (enl_init() != ENL_OK) abort();
        ready = 1;
    }
    (void)enl_intro_parse(&in, data, size);
    (void)enl_answer_parse(&a, data, size);
    /* what parses encodes back to the same bytes */
    if (enl_inquiry_parse(&q, data, size) == ENL_OK &&
        (enl_inquiry_encode(out, &len, &q) != ENL_OK || len != size || memcmp(out, data, size) != 0))
        abort();
    return 0;
}
