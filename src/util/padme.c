/* Padmé: see padme.h. */
#include "util/padme.h"

size_t enl_padme(size_t len)
{
    size_t e, s, mask;
    if (len < 2) return len;
    e = 0;
    while ((len >> (e + 1)) != 0) e++;          /* e = floor(log2 len) */
    s = 0;
    while ((e >> s) != 0) s++;                  /* s = floor(log2 e) + 1 */
    if (e < s) return len;
    mask = ((size_t)1 << (e - s)) - 1;
    return (len + mask) & ~mask;
}
