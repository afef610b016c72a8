/*
 * The Double Ratchet with header encryption, exactly as Signal's
 * specification (revision 1, section 4) describes it, over libsodium.
 *
 * One enl_ratchet is one side of a pairwise session: fixed size, no
 * pointers, so it can be copied, stored and wiped as one block. Reading a
 * message destroys its key, and every DH ratchet step mixes fresh
 * Diffie-Hellman output into the root key, so a copy of the state taken
 * today neither opens what was read before nor, once both sides have each
 * sent one more message, what is written after.
 *
 * The invariant this module keeps: decryption is transactional. On any
 * failure the state is byte for byte what it was before the call, and the
 * code says why; on success every key that opened the message is gone.
 * A hostile peer (who holds the header keys) can make the recipient store
 * at most ENL_RATCHET_MAX_SKIPPED keys and derive at most
 * 2 * ENL_RATCHET_MAX_SKIP chain keys per try of a message: one try, or
 * 1 + ENL_RATCHET_ALTS while this side's chain has been begun again
 * (each abandoned chain is tried too).
 *
 * Pure: no I/O, no allocation, no globals. Not thread-safe per state.
 *
 * Choices the specification leaves to the application (section 5.2):
 *
 *   GENERATE_DH   X25519: 32 random bytes, crypto_scalarmult_base.
 *   DH            crypto_scalarmult; an all-zero output (a low-order peer
 *                 key) is refused with ENL_ECRYPTO.
 *   KDF_RK_HE     the Noise HKDF over HMAC-BLAKE2b (enl_hkdf_blake2b) with
 *                 the root key as chaining key and the DH output as input
 *                 key material; the first 32 bytes of its three outputs are
 *                 the new root key, the chain key and the next header key.
 *                 The root key stays 32 bytes and is zero-extended to the 64
 *                 bytes enl_hkdf_blake2b takes: HMAC zero-pads its key to
 *                 the 128-byte block anyway, so this is exactly HKDF keyed
 *                 by the 32-byte root key, as the specification asks.
 *   KDF_CK        message key = HMAC-BLAKE2b(ck, 0x01), next chain key =
 *                 HMAC-BLAKE2b(ck, 0x02), first 32 bytes of each.
 *   ENCRYPT       XChaCha20-Poly1305 with key mk and the nonce
 *                 BLAKE2b-192 keyed by mk over ENL_RATCHET_NONCE_CONTEXT. A
 *                 message key encrypts exactly one message, so a nonce
 *                 derived from it never repeats under that key; deriving it
 *                 saves 24 bytes on the wire and a random number generator
 *                 that could be weak.
 *   HENCRYPT      XChaCha20 (the stream, no MAC) with key hk and the
 *                 message's tag, zero-extended to 24 bytes, as nonce. The
 *                 tag is tag(hk, N): unique for each message of a chain, so
 *                 the nonce never repeats under hk and need not be sent
 *                 (except in a chain begun again more often than the
 *                 restart numbering below can tell apart).
 *                 The header is DHs public key || PN u32 || N u32,
 *                 big-endian: 40 bytes, 40 encrypted.
 *   HDECRYPT      the same stream; the header "opens" with hk when the tag
 *                 recomputed from hk and the decrypted N is the message's
 *                 tag (a 128-bit check keyed by hk). DHs and PN are
 *                 authenticated with the body, whose associated data
 *                 includes the encrypted header: a tampered header is found
 *                 when the body does not open, and since decryption works
 *                 on a copy of the state, it changes nothing. The
 *                 specification's header MAC would add 16 bytes and 24 of
 *                 nonce to every note, and paper has no room for them.
 *   PURGE         a second secret from each message key, BLAKE2b-256 keyed
 *                 by mk over ENL_RATCHET_PURGE_CONTEXT: the caller learns
 *                 it before sealing (enl_ratchet_next_purge_key) and the
 *                 recipient with the plaintext. Publishing it tells nothing
 *                 of mk (a PRF output), so enlace uses it as the note's
 *                 purge key and does not send a key of its own.
 *
 * Wire form of one ratchet message (ENL_RATCHET_OVERHEAD = 72 bytes more
 * than the plaintext):
 *
 *   tag[16] | encrypted header[40] | ciphertext[len + 16]
 *
 * The tag, enl_ratchet_tag(HKs, Ns), lets the recipient recognise its
 * message with one table lookup (enl_ratchet_tags lists what it expects);
 * to anyone without the header key it is random. The body is encrypted with
 * associated data AD || tag || encrypted header, so neither can be swapped.
 * A message whose tag does not match the key and the number its header
 * decrypts to is not this session's.
 */
#ifndef ENL_CRYPTO_RATCHET_H
#define ENL_CRYPTO_RATCHET_H

#include <stddef.h>
#include <stdint.h>

/* ---- sizes ------------------------------------------------------------ */
#define ENL_RATCHET_KEYBYTES     32  /* every key: root, chain, header, message, X25519 */
#define ENL_RATCHET_TAGBYTES     16
#define ENL_RATCHET_NONCEBYTES   24  /* XChaCha20-Poly1305 */
#define ENL_RATCHET_MACBYTES     16  /* Poly1305 */
#define ENL_RATCHET_HEADERBYTES  (ENL_RATCHET_KEYBYTES + 4 + 4)   /* DHs | PN | N = 40 */
#define ENL_RATCHET_ENCHEADERBYTES ENL_RATCHET_HEADERBYTES                    /* 40 */
#define ENL_RATCHET_OVERHEAD \
    (ENL_RATCHET_TAGBYTES + ENL_RATCHET_ENCHEADERBYTES + ENL_RATCHET_MACBYTES)  /* 72 */

/* Largest associated data: it is concatenated with tag and header on the
 * stack (pure modules never allocate). enlace passes the 21-byte clear note
 * header. */
#define ENL_RATCHET_AD_MAX       256

/* ---- bounds on what a hostile sender can cost ------------------------ */
/* The specification's MAX_SKIP: a message may skip at most this many keys
 * of one chain (both its previous chain, through PN, and its own, through
 * N). More is refused with ENL_ETOOBIG before any key is derived. Notes
 * are lost or reordered by couriers, rarely by more than a few dozen. */
#define ENL_RATCHET_MAX_SKIP     128
/* Skipped message keys stored per session. When a new one would not fit,
 * the oldest are deleted first: a lost note is given up, memory is not. */
#define ENL_RATCHET_MAX_SKIPPED  256
/* A skipped key is deleted once more than this many DH ratchet steps came
 * after the step whose chain it belongs to (section 6.4: keys of lost
 * notes must not wait for ever for a seizure). Counted in steps, not time,
 * so that every implementation deletes alike (section 6.7). */
#define ENL_RATCHET_MAX_AGE      5
/* How many restarts of one sending chain move to a header key of their
 * own (enl_ratchet_restart_sending): the peer keeps the tags of each. */
#define ENL_RATCHET_RESTART_KEYS 3

/* ---- domain separation ----------------------------------------------- */
#define ENL_RATCHET_TAG_CONTEXT   "enlace tag v1"
#define ENL_RATCHET_NONCE_CONTEXT "enlace ratchet nonce v1"
#define ENL_RATCHET_PURGE_CONTEXT "enlace purge key v1"
#define ENL_RATCHET_TEST_CONTEXT  "enlace ratchet test stream v1"

/* ---- serialized state ------------------------------------------------ */
/* version u8 | flags u8 | DHs sk, DHs pk, DHr, RK, CKs, CKr, HKs, HKr,
 * NHKs, NHKr [32 each] | Ns u32 | Nr u32 | PN u32 | step u32 |
 * count u16 | count x (hk[32] | n u32 | step u32 | mk[32]), oldest first |
 * restartable u8 | RK before the sending chain [32] | window expiry u32 |
 * restarts u32 | chain expiry u32 | PN expiry u32 | 2 x the abandoned
 * chains (RK [32], DHs sk [32], DHs pk [32], NHKs [32], Ns u32, chain
 * expiry u32) (the trailer, since version 2; a version 1 state is read as not
 * restartable, its expiries unknown: never forgotten). Keys that are None
 * are written as zeros. Big-endian. */
#define ENL_RATCHET_VERSION         2
#define ENL_RATCHET_SKIPPEDBYTES    (ENL_RATCHET_KEYBYTES + 4 + 4 + ENL_RATCHET_KEYBYTES)
#define ENL_RATCHET_SERIAL_FIXED    (1 + 1 + 10 * ENL_RATCHET_KEYBYTES + 4 * 4 + 2)   /* 340 */
#define ENL_RATCHET_ALTS            2
#define ENL_RATCHET_ALTBYTES        (4 * ENL_RATCHET_KEYBYTES + 4 + 4)                /* 136 */
#define ENL_RATCHET_SERIAL_TRAILER  \
    (1 + ENL_RATCHET_KEYBYTES + 4 * 4 + ENL_RATCHET_ALTS * ENL_RATCHET_ALTBYTES)      /* 321 */
#define ENL_RATCHET_SERIAL_MAX \
    (ENL_RATCHET_SERIAL_FIXED + ENL_RATCHET_MAX_SKIPPED * ENL_RATCHET_SKIPPEDBYTES + \
     ENL_RATCHET_SERIAL_TRAILER)                                                    /* 19093 */

/* flags */
#define ENL_RATCHET_HAS_DHR   1u  /* DHr is known */
#define ENL_RATCHET_HAS_SEND  2u  /* CKs and HKs are set: this side can send */
#define ENL_RATCHET_HAS_RECV  4u  /* CKr and HKr are set: a peer message was read */

/* One skipped message key, indexed as the specification says by the header
 * key and message number that will come with its message. */
typedef struct {
    uint8_t hk[ENL_RATCHET_KEYBYTES];
    uint8_t mk[ENL_RATCHET_KEYBYTES];
    uint32_t n;
    uint32_t step;      /* the DH ratchet step whose receiving chain it came from */
} enl_ratchet_skipped;

/* A sending chain a restart gave up: what it takes to answer the peer's
 * next chain from it (enl_ratchet_restart_sending). */
typedef struct {
    uint8_t rk[ENL_RATCHET_KEYBYTES], dhs_sk[ENL_RATCHET_KEYBYTES];
    uint8_t dhs_pk[ENL_RATCHET_KEYBYTES], nhks[ENL_RATCHET_KEYBYTES];
    uint32_t ns, chain_expiry;
} enl_ratchet_alt;

/* The state variables of sections 3.2 and 4.3, plus the bookkeeping of the
 * bounds. Absent (None) keys are all zeros and their flag is clear. Treat
 * it as opaque: use the functions below. */
typedef struct {
    uint8_t dhs_sk[ENL_RATCHET_KEYBYTES], dhs_pk[ENL_RATCHET_KEYBYTES];  /* DHRs */
    uint8_t dhr[ENL_RATCHET_KEYBYTES];                                   /* DHRr */
    uint8_t rk[ENL_RATCHET_KEYBYTES];
    uint8_t cks[ENL_RATCHET_KEYBYTES], ckr[ENL_RATCHET_KEYBYTES];
    uint8_t hks[ENL_RATCHET_KEYBYTES], hkr[ENL_RATCHET_KEYBYTES];
    uint8_t nhks[ENL_RATCHET_KEYBYTES], nhkr[ENL_RATCHET_KEYBYTES];
    uint32_t ns, nr, pn;
    uint32_t step;      /* DH ratchet steps taken (receiving chains started) */
    uint32_t nskipped;  /* entries used in skipped[], oldest first */
    uint8_t flags;      /* ENL_RATCHET_HAS_* */
    /* The sending chain can be begun again (enl_ratchet_restart_sending):
     * RK as it was before this side's last DH ratchet step made it, and the
     * latest expiry (the caller's unit) of the messages N < its window
     * sealed on it (enl_ratchet_mark_sent); 0 when none. */
    uint8_t restartable;
    uint8_t rk_restart[ENL_RATCHET_KEYBYTES];
    uint32_t window_expiry;
    uint32_t restarts;  /* restarts of this step's sending chain: with step and
                         * Ns, it orders two copies of a state */
    /* The latest expiry (the caller's unit) of all messages sealed on the
     * sending chain, and of those of the chain before it (the one PN
     * counts); 0 when none (enl_ratchet_forget_expired_previous). */
    uint32_t chain_expiry, pn_expiry;
    /* The sending chains restarts abandoned, until the next DH ratchet
     * step: the one the first restart of this step abandoned (the chain
     * the step made), and the one the latest later restart abandoned.
     * Should the peer have entered one after all (the word of its clock
     * was wrong), the peer's next chain opens from it and the restarts are
     * undone. alt[0] is set while restarts >= 1, alt[1] while >= 2; all
     * zero otherwise. */
    enl_ratchet_alt alt[ENL_RATCHET_ALTS];
    /* Test vectors only: when seeded, GENERATE_DH
     * draw from BLAKE2b keyed by test_seed over a counter instead of
     * randombytes. Never serialized: a parsed state is always random. */
    uint8_t seeded;
    uint64_t test_ctr;
    uint8_t test_seed[ENL_RATCHET_KEYBYTES];
    enl_ratchet_skipped skipped[ENL_RATCHET_MAX_SKIPPED];
} enl_ratchet;

/* ---- starting a session ---------------------------------------------- */

/*
 * RatchetInitAliceHE: the side that sends first. sk: the shared secret
 * from X3DH; bob_dh_pk: Bob's signed prekey, his first ratchet key;
 * shared_hka: Alice's first sending header key; shared_nhkb: Alice's first
 * next receiving header key. Generates Alice's first ratchet key pair.
 * Overwrites *r entirely; the inputs are copied, not kept.
 * ENL_ECRYPTO when bob_dh_pk is a low-order point. On error *r is wiped.
 */
int enl_ratchet_init_alice(enl_ratchet *r, const uint8_t sk[32], const uint8_t bob_dh_pk[32],
                           const uint8_t shared_hka[32], const uint8_t shared_nhkb[32])
    __attribute__((warn_unused_result));

/*
 * RatchetInitBobHE: the side that answers. bob_dh_sk/bob_dh_pk: the signed
 * prekey pair Alice used (ENL_EINVAL when they do not match). Bob cannot
 * send until he has read Alice's first message. On error *r is wiped.
 */
int enl_ratchet_init_bob(enl_ratchet *r, const uint8_t sk[32], const uint8_t bob_dh_sk[32],
                         const uint8_t bob_dh_pk[32], const uint8_t shared_hka[32],
                         const uint8_t shared_nhkb[32]) __attribute__((warn_unused_result));

/* The same, with every random byte this state will ever draw (ratchet key
 * pairs) taken from a stream made from test_seed: for test
 * vectors only, never in real use. */
int enl_ratchet_init_alice_seeded(enl_ratchet *r, const uint8_t test_seed[32],
                                  const uint8_t sk[32], const uint8_t bob_dh_pk[32],
                                  const uint8_t shared_hka[32], const uint8_t shared_nhkb[32])
    __attribute__((warn_unused_result));
int enl_ratchet_init_bob_seeded(enl_ratchet *r, const uint8_t test_seed[32],
                                const uint8_t sk[32], const uint8_t bob_dh_sk[32],
                                const uint8_t bob_dh_pk[32], const uint8_t shared_hka[32],
                                const uint8_t shared_nhkb[32]) __attribute__((warn_unused_result));

/* ---- a sending chain the peer can no longer enter -------------------- */

/*
 * A peer recognises a sending chain it has not entered yet only by its
 * first messages (N below the caller's tag window) and its checkpoints (N
 * a multiple of ENL_RATCHET_STRIDE up to MAX_SKIP). When all of those are
 * lost (expired while the peer was away, or dropped), no later message of
 * the chain is ever recognised, and since this side starts a new chain
 * only after the peer has entered this one, neither side would move again.
 *
 * enl_ratchet_mark_sent records, after a message N is sealed, its expiry
 * when the peer could enter the chain by it: N < window, or N a
 * checkpoint. enl_ratchet_restart_sending begins the sending chain
 * again from the root key it came from: a new ratchet key pair, the same
 * PN, and a header key derived from the one the peer expects (whose tags
 * enl_ratchet_tags lists too); to the peer it is exactly the chain it
 * expected next, so its first messages are recognised and open, and they
 * share no tag with any abandoned chain's. The first
 * ENL_RATCHET_RESTART_KEYS restarts each derive a key of their own (the
 * i-th: BLAKE2b of the one before, i times from the key the peer expects)
 * and start at N = 0; later ones keep the last key and start where the
 * chain they give up stopped, rounded up to a checkpoint, while that is at
 * most MAX_SKIP (then at 0 again: only there do tags repeat). Meant for a peer
 * that has not entered the chain and never will: the caller restarts only
 * on a message from the peer sealed in its current chain under its old
 * ratchet key (no DH step) after every message of the chain the peer could
 * enter it by had expired, by both clocks. Should the peer have entered it after all,
 * the abandoned chains are kept until the next DH ratchet step (the
 * step's own and the latest restart's, alt[]), and the peer's next chain,
 * which answers one, opens from it (enl_ratchet_decrypt then undoes the
 * restarts). ENL_EINVAL when this side has not made a DH
 * ratchet step yet (the first chain of a session is begun again by a new
 * session). Messages of the abandoned chain no longer open for the peer
 * once it entered the new one.
 */
void enl_ratchet_mark_sent(enl_ratchet *r, uint32_t n, uint32_t expiry, uint32_t window);
int enl_ratchet_restart_sending(enl_ratchet *r) __attribute__((warn_unused_result));

/*
 * PN tells the peer how many messages of the chain before to wait for: one
 * that finds more than MAX_SKIP of them unread keeps the new chain's
 * messages until they come. When every message of that chain has expired
 * (its latest expiry is before `gone_before`, which the caller sets with a
 * margin for the peer's clock), none can come: PN becomes 0 for the
 * messages sealed from now on, and the peer moves to the new chain at once
 * (deriving nothing of the old one). Returns 1 when it did.
 */
int enl_ratchet_forget_expired_previous(enl_ratchet *r, uint32_t gone_before);

/* ---- messages -------------------------------------------------------- */

/* ENL_RATCHET_OVERHEAD: a message is this much longer than its plaintext. */
size_t enl_ratchet_overhead(void);

/*
 * RatchetEncryptHE. Writes exactly out_len == pt_len + ENL_RATCHET_OVERHEAD
 * bytes (ENL_EINVAL otherwise). ad (ad_len <= ENL_RATCHET_AD_MAX) is
 * authenticated, not sent. out must not overlap ad or pt. Errors:
 * ENL_EINVAL (sizes; or no sending chain yet: Bob before he has read a
 * message), ENL_ETOOBIG (2^32 - 1 messages in one chain). On error the
 * state is unchanged. The message key is wiped before return.
 */
int enl_ratchet_encrypt(enl_ratchet *r, uint8_t *out, size_t out_len, const uint8_t *ad,
                        size_t ad_len, const uint8_t *pt, size_t pt_len)
    __attribute__((warn_unused_result));

/*
 * The purge key (see PURGE above) of the message the next
 * enl_ratchet_encrypt will write, so that the caller can put its lock in
 * the associated data. Changes nothing. ENL_EINVAL when this side cannot
 * send yet.
 */
int enl_ratchet_next_purge_key(const enl_ratchet *r, uint8_t key[32])
    __attribute__((warn_unused_result));

/*
 * RatchetDecryptHE. pt must hold msg_len - ENL_RATCHET_OVERHEAD bytes and
 * not overlap msg; *pt_len gets the plaintext length; purge_key (may be
 * NULL) gets the message's purge key. On success the key that opened the
 * message is deleted (a skipped entry removed, or the chain moved past
 * it), and any skipped keys now too old are deleted. On any error *r is
 * exactly as before and pt holds nothing useful:
 *   ENL_EMALFORMED  shorter than ENL_RATCHET_OVERHEAD
 *   ENL_EINVAL      ad_len > ENL_RATCHET_AD_MAX, or a NULL buffer
 *   ENL_ENOTFORME   no header key opens the header (HKr, NHKr, skipped):
 *                   not this session's, or a chain whose keys are deleted
 *   ENL_EDUPLICATE  opens with HKr but its number is below Nr and no
 *                   skipped key is kept for it: already read
 *   ENL_ETOOBIG     would skip more than ENL_RATCHET_MAX_SKIP keys, or
 *                   carries N = 2^32 - 1
 *   ENL_EDECRYPT    the header opens but the body does not authenticate
 *                   (tampered, or a different ad)
 *   ENL_ECRYPTO     the peer's new ratchet key is a low-order point
 */
int enl_ratchet_decrypt(enl_ratchet *r, uint8_t *pt, size_t *pt_len, const uint8_t *ad,
                        size_t ad_len, const uint8_t *msg, size_t msg_len,
                        uint8_t purge_key[32]) __attribute__((warn_unused_result));

/* ---- recognition ----------------------------------------------------- */

/* tag(hk, n) = BLAKE2b-128 keyed by hk over ENL_RATCHET_TAG_CONTEXT || n
 * (u32 big-endian). */
void enl_ratchet_tag(uint8_t tag[ENL_RATCHET_TAGBYTES], const uint8_t hk[32], uint32_t n);

/*
 * The tags of the messages this state would open now, in this order: HKr
 * with Nr .. Nr+window-1 (when a message has been read), NHKr with
 * 0 .. window-1, then every skipped key's (hk, n), oldest first, then the
 * checkpoints: the numbers n with n mod ENL_RATCHET_STRIDE = 0 past each
 * window as far as MAX_SKIP allows (HKr: Nr+window .. Nr+MAX_SKIP; NHKr:
 * window .. MAX_SKIP, and the same for each restart header key of NHKr). A
 * receiver that lost a window's worth of notes in
 * a row (32) recognises the chain again at its next note on a checkpoint,
 * and the notes before that one then open from their skipped keys; before
 * checkpoints the later notes were carried unread until it wrote back.
 * Writes at most max tags and returns how many. A message with a tag
 * outside this list may still open (beyond the window); a message with a
 * tag in it costs one header decryption to confirm.
 */
#define ENL_RATCHET_STRIDE 4
/* The most checkpoints one header key has (window 0 would give the most). */
#define ENL_RATCHET_CHECKPOINTS_MAX (ENL_RATCHET_MAX_SKIP / ENL_RATCHET_STRIDE + 1)
size_t enl_ratchet_tags(const enl_ratchet *r, uint8_t (*tags)[ENL_RATCHET_TAGBYTES], size_t max,
                        uint32_t window);
/* The same list, each tag written by fn(ctx, tag, hk, n), which must write
 * enl_ratchet_tag(hk, n): a caller that keeps tags already computed (they
 * depend on hk and n alone) gives them instead of hashing again. */
typedef void (*enl_ratchet_tag_fn)(void *ctx, uint8_t tag[ENL_RATCHET_TAGBYTES],
                                   const uint8_t hk[32], uint32_t n);
size_t enl_ratchet_tags_with(const enl_ratchet *r, uint8_t (*tags)[ENL_RATCHET_TAGBYTES],
                             size_t max, uint32_t window, enl_ratchet_tag_fn fn, void *ctx);

/* 1 once a message from the peer has been read (the session is confirmed:
 * the peer holds it too), else 0. Until then the starter should keep
 * sending the X3DH values with every message. */
int enl_ratchet_can_send_without_init(const enl_ratchet *r);

/* ---- storage --------------------------------------------------------- */

/* Exact length of the serialized state (at most ENL_RATCHET_SERIAL_MAX). */
size_t enl_ratchet_serialized_len(const enl_ratchet *r);

/* Writes the versioned state; out_len must be enl_ratchet_serialized_len(r)
 * (ENL_EBUFSIZE otherwise). The output holds every secret of the session:
 * store it encrypted and wipe it after. */
int enl_ratchet_serialize(uint8_t *out, size_t out_len, const enl_ratchet *r)
    __attribute__((warn_unused_result));

/*
 * Reads a state written by enl_ratchet_serialize. Hostile-input safe: every
 * length is checked, and a state the functions above could never have made
 * is refused (unknown flags, keys present that should be None, too many or
 * too old skipped keys, a ratchet key pair that does not match).
 * ENL_EVERSION for another version, ENL_EMALFORMED otherwise (truncated,
 * extended, inconsistent). On error *r is wiped.
 */
int enl_ratchet_parse(enl_ratchet *r, const uint8_t *in, size_t len)
    __attribute__((warn_unused_result));

/* Wipes every key in *r. */
void enl_ratchet_wipe(enl_ratchet *r);

#endif
