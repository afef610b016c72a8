/*
 * Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files
 * and Communication with PURBs", 2019): the length a thing of len bytes is
 * padded to, so that its size says at most O(log log len) bits about len,
 * for at most 12% more bytes. Notes on the wire and records at rest use it.
 */
#ifndef ENL_UTIL_PADME_H
#define ENL_UTIL_PADME_H

#include <stddef.h>

size_t enl_padme(size_t len);

#endif
