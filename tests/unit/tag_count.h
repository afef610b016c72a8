/*
 * For the tests of the recognition tag cache (core/tagcache.c): how many
 * tags the library computes (enl_ratchet_tag is wrapped: TEST_WRAP in the
 * Makefile), and the sizes of a session's tag list. Include after
 * crypto/ratchet.h and core/session.h.
 */
#ifndef ENL_TEST_TAG_COUNT_H
#define ENL_TEST_TAG_COUNT_H

#define WINDOW ENL_SESSION_WINDOW
#define TAGS_MAX ((2 + ENL_RATCHET_RESTART_KEYS) * (WINDOW + ENL_RATCHET_CHECKPOINTS_MAX) + \
                  ENL_RATCHET_MAX_SKIPPED)
#define MSG_MAX 256

static unsigned computed;   /* tags computed since the test last set it to 0 */

void __real_enl_ratchet_tag(uint8_t tag[ENL_RATCHET_TAGBYTES], const uint8_t hk[32], uint32_t n);
void __wrap_enl_ratchet_tag(uint8_t tag[ENL_RATCHET_TAGBYTES], const uint8_t hk[32], uint32_t n);
void __wrap_enl_ratchet_tag(uint8_t tag[ENL_RATCHET_TAGBYTES], const uint8_t hk[32], uint32_t n)
{
    computed++;
    __real_enl_ratchet_tag(tag, hk, n);
}

static const uint8_t AD[5] = { 1, 2, 3, 4, 5 };

#endif
