/*
 * The recognition tags of the sessions' receiving chains, kept in session
 * memory (see tagcache.c): saving a session after a note it opened lists
 * every tag it expects next, and most of them were computed for the note
 * before.
 */
#ifndef ENL_CORE_TAGCACHE_H
#define ENL_CORE_TAGCACHE_H

#include "core/profile.h"
#include "crypto/ratchet.h"

/* enl_ratchet_tags(r, tags, max, window), with the tags the profile keeps
 * for r's chains taken from memory and the others computed and kept.
 * owner is the session's row key: the chains of owner that r no longer
 * lists (a DH step went past them) are wiped. Without memory for the cache
 * the tags are computed as enl_ratchet_tags does. */
size_t enl_tags_cached(enl_profile *p, const uint8_t owner[32], const enl_ratchet *r,
                       uint8_t (*tags)[ENL_RATCHET_TAGBYTES], size_t max, uint32_t window);

/* Wipes the chains kept for session owner (it is forgotten). */
void enl_tags_forget(enl_profile *p, const uint8_t owner[32]);

/* Wipes and frees the cache (on close). */
void enl_tags_cache_free(enl_profile *p);

#endif
