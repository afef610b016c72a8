/*
 * Bulletins: signed, public leaflets that travel in ordinary notes.
 *
 * A bulletin must convince anyone who holds it (so it is signed with the
 * author's Ed25519 identity key) and is meant to spread (so it is not
 * confidential: anyone who knows the author's fingerprint can read it). Yet
 * a courier must not tell a bulletin note from any other note, nor link two
 * bulletins of one author. So the note body is encrypted under keys derived
 * from the author key
 *
 *   K = BLAKE2b-256(fp20, key = "enlace bulletin author v1")
 *
 * (fp20: the first 20 bytes of the author's fingerprint, the bytes people
 * compare and the CLI prints, so a printed fingerprint is enough to follow)
 * and from the bulletin's position: the day of publication (days since
 * 1970, UTC) and a slot 0..ENL_BULLETIN_SLOTS-1 within that day. Each
 * position has its own tag, key and nonce; a position is used once.
 *
 *   tag    = first 16 bytes of BLAKE2b-256("tag"   | day u32 | slot u8, key = K)
 *   key    =                   BLAKE2b-256("key"   | day u32 | slot u8, key = K)
 *   nonce  = first 24 bytes of BLAKE2b-256("nonce" | day u32 | slot u8, key = K)
 *
 *   note   = header[21] | tag[16] | XChaCha20-Poly1305(key, nonce, plaintext, AD = header)
 *   plaintext = sign_pk[32] | dh_pk[32] | published u64 | expiry u32 |
 *               channel length u8 | channel | text length u32 | text | zeros |
 *               signature[64]
 *   signature = Ed25519 over "enlace bulletin v1\0" | header | tag | plaintext
 *               up to the signature
 *
 * A follower precomputes the tags of every position in a window of days
 * and recognises a bulletin by one tag lookup, like a session note. The
 * plaintext names the author's keys so that the follower checks them
 * against the fingerprint it follows: someone else who knows K (any other
 * follower) can encrypt, but cannot sign as the author.
 *
 * Pure: no I/O, no allocation.
 */
#ifndef ENL_NOTE_BULLETIN_H
#define ENL_NOTE_BULLETIN_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/identity.h"
#include "enlace.h"
#include "note/note.h"

#define ENL_BULLETIN_FPBYTES    20    /* the fingerprint bytes people compare */
#define ENL_BULLETIN_TAGBYTES   16
#define ENL_BULLETIN_SIGBYTES   64
#define ENL_BULLETIN_ABYTES     16    /* Poly1305 */
/* Days of positions a follower recognises: [today - LIFETIME, today + 1]
 * (a bulletin lives at most LIFETIME days; an author's clock may run a day
 * ahead). */
#define ENL_BULLETIN_WINDOW_DAYS (ENL_BULLETIN_LIFETIME_DAYS + 2)
#define ENL_BULLETIN_TAGS       (ENL_BULLETIN_SLOTS * ENL_BULLETIN_WINDOW_DAYS)
#define ENL_BULLETIN_FIXEDBYTES (32 + 32 + 8 + 4 + 1 + 4)
#define ENL_BULLETIN_PLAIN_MIN  (ENL_BULLETIN_FIXEDBYTES + ENL_BULLETIN_SIGBYTES)
#define ENL_BULLETIN_OVERHEAD   (ENL_NOTE_HEADERBYTES + ENL_BULLETIN_TAGBYTES + ENL_BULLETIN_ABYTES)

_Static_assert(ENL_BULLETIN_SLOTS <= 256, "a slot is one byte");
_Static_assert(ENL_BULLETIN_CHANNEL_MAX <= 255, "a channel length is one byte");
_Static_assert(ENL_BULLETIN_EXPIRY_MAX_HOURS <= ENL_EXPIRY_MAX_HOURS, "a bulletin is a note");
_Static_assert(ENL_BULLETIN_TAGS == 512, "the tag count per followed author is documented");

typedef struct {
    uint8_t sign_pk[32];
    uint8_t dh_pk[32];
    uint64_t published;         /* unix seconds */
    uint32_t expiry_hours;      /* equal to the note header's */
    const uint8_t *channel;     /* points into the plaintext; not NUL-terminated */
    size_t channel_len;
    const uint8_t *text;
    size_t text_len;
    const uint8_t *sig;         /* the last 64 bytes of the plaintext (after parsing) */
} enl_bulletin;

/* The author key of a fingerprint (its first ENL_BULLETIN_FPBYTES bytes). */
void enl_bulletin_author_key(uint8_t k[32], const uint8_t fp[ENL_BULLETIN_FPBYTES]);
/* The recognition tag of one position. */
void enl_bulletin_tag(uint8_t tag[ENL_BULLETIN_TAGBYTES], const uint8_t k[32], uint32_t day,
                      uint8_t slot);
/* The first day of the window a follower keeps tags for, on day `today`. */
uint32_t enl_bulletin_window_start(uint32_t today);
/* Every tag of the window that starts on `start`, day by day, slot by slot:
 * tags[(day - start) * ENL_BULLETIN_SLOTS + slot]. */
void enl_bulletin_window_tags(uint8_t (*tags)[ENL_BULLETIN_TAGBYTES], const uint8_t k[32],
                              uint32_t start);

/* Padded note length for a channel and a text (Padmé, floor 256, like
 * every note). ENL_ETOOBIG when it cannot fit in a note. */
int enl_bulletin_note_len(size_t channel_len, size_t text_len, size_t *note_len);

/* The plaintext without crypto: encode writes the fields and zeros to
 * exactly len bytes, leaving the last 64 (the signature) untouched; parse
 * checks the fields, the zeros and the channel (no control characters)
 * and points into plain. ENL_EMALFORMED / ENL_ETOOBIG. */
int enl_bulletin_encode(uint8_t *plain, size_t len, const enl_bulletin *b)
    __attribute__((warn_unused_result));
int enl_bulletin_parse(enl_bulletin *b, const uint8_t *plain, size_t len)
    __attribute__((warn_unused_result));

/* Seals a bulletin by `author` into note (note_len bytes, from
 * enl_bulletin_note_len) at position (day, slot) under the author key k
 * (the author's own, except in tests that forge). The header must already
 * be in note[0..21) and its expiry must equal b->expiry_hours. b's keys are
 * taken from author. plain: scratch of note_len bytes. */
int enl_bulletin_seal(uint8_t *note, size_t note_len, uint8_t *plain, const enl_identity *author,
                      const uint8_t k[32], uint32_t day, uint8_t slot, const enl_bulletin *b)
    __attribute__((warn_unused_result));

/* Opens a note at the position (day, slot) of the author whose fingerprint
 * begins with fp (k its author key). plain: scratch of len bytes; b points
 * into it. ENL_EDECRYPT when it does not authenticate, ENL_EMALFORMED when
 * its fields are wrong (expiry not the header's, published not on that day,
 * a lifetime beyond the maximum), ENL_ESIG when the keys inside are not the
 * followed author's or the signature does not verify. */
int enl_bulletin_open(enl_bulletin *b, uint8_t *plain, const uint8_t *note, size_t len,
                      const uint8_t k[32], const uint8_t fp[ENL_BULLETIN_FPBYTES], uint32_t day,
                      uint8_t slot) __attribute__((warn_unused_result));

/* Parses the printed form of a fingerprint (8 groups of 4 base32
 * characters; case, spaces, hyphens and look-alikes forgiven) into its
 * ENL_BULLETIN_FPBYTES bytes. ENL_EMALFORMED when it is not one. */
int enl_fingerprint_parse(uint8_t fp[ENL_BULLETIN_FPBYTES], const char *text);

/* The characters of a printed fingerprint (or of what was meant to be one)
 * as enl_fingerprint_parse reads them: separators dropped, case and
 * look-alikes forgiven, each written as enl_fingerprint_text spells it, '?'
 * for one that is in no fingerprint. Writes at most max - 1 of them and a
 * NUL (max > 0); returns how many there are in all. */
size_t enl_fingerprint_chars(char *out, size_t max, const char *text);

/* How many characters must be changed, added or dropped to make one printed
 * fingerprint the other (an edit distance over enl_fingerprint_chars, so
 * spacing, case and look-alikes count for nothing; a swap of two is two).
 * ENL_FINGERPRINT_FAR when either holds more than ENL_FINGERPRINT_CHARSMAX
 * characters. Fingerprints carry no checksum: this is what tells a typo of
 * a known one from a stranger's. */
#define ENL_FINGERPRINT_CHARSMAX 64
#define ENL_FINGERPRINT_FAR      1000u
unsigned enl_fingerprint_distance(const char *a, const char *b);

#endif
