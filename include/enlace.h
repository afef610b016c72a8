/*
 * enlace — delay-tolerant, end-to-end encrypted messaging.
 *
 * This is the one public header. Every function returns ENL_OK (0) or a
 * negative ENL_E* code that enl_strerror() names, and fills out-parameters
 * only on success. Handles are opaque, created and freed by the library;
 * every destructor accepts NULL. The library never prints and never exits.
 * A profile handle is not thread-safe: use one per thread.
 *
 * Call enl_init() once before anything else.
 */
#ifndef ENLACE_H
#define ENLACE_H

#include <stddef.h>
#include <stdint.h>

#define ENL_VERSION_STRING "0.1.0"

/* ---- error codes ------------------------------------------------------ */
#define ENL_OK          0
#define ENL_EINVAL     -1   /* invalid argument */
#define ENL_ENOMEM     -2   /* out of memory */
#define ENL_EMALFORMED -3   /* input is not well formed */
#define ENL_ECHECKSUM  -4   /* a checksum does not match: a copying mistake */
#define ENL_ESIG       -5   /* a signature does not verify: tampered */
#define ENL_EEXPIRED   -6   /* expired */
#define ENL_ETOOBIG    -7   /* larger than allowed */
#define ENL_EDECRYPT   -8   /* authentication failed: damaged or tampered */
#define ENL_ENOTFORME  -9   /* not addressed to this profile */
#define ENL_EPASSPHRASE -10 /* wrong passphrase */
#define ENL_EEXISTS    -11  /* already exists */
#define ENL_ENOTFOUND  -12  /* not found */
#define ENL_EIO        -13  /* input/output error (errno has detail) */
#define ENL_ESTORE     -14  /* the profile database failed */
#define ENL_EVERSION   -15  /* unsupported version */
#define ENL_EDUPLICATE -16  /* already received: a replay or a second copy */
#define ENL_ECRYPTO    -17  /* a cryptographic operation failed (weak key) */
#define ENL_ENOPROFILE -18  /* no profile in this folder */
#define ENL_ESELF      -19  /* that is this profile's own card */
#define ENL_EPROTO     -20  /* the peer broke the protocol */
#define ENL_ETIMEOUT   -21  /* timed out */
#define ENL_ENET       -22  /* network error */
#define ENL_EREFUSED   -23  /* refused: the peer is not allowed */
#define ENL_EBUFSIZE   -24  /* output buffer too small */
#define ENL_EPURGED    -25  /* the note was already delivered and purged */
#define ENL_EFUTURE    -26  /* a date too far in the future */
#define ENL_EFULL      -27  /* the store's quota is reached */

/* Names every code; never NULL. */
const char *enl_strerror(int code);

/* Initialises libsodium. Safe to call more than once. */
int enl_init(void) __attribute__((warn_unused_result));

/* ---- sizes ----------------------------------------------------------- */
#define ENL_NAME_MAX            64   /* bytes of UTF-8 in a name */
#define ENL_IDBYTES             32   /* note id: BLAKE2b-256 of the note */
#define ENL_PUBLICKEYBYTES      32
#define ENL_FINGERPRINT_STRBYTES 40  /* "xxxx xxxx ... " 8 groups of 4 + NUL */
#define ENL_SAFETY_STRBYTES     72   /* 12 groups of 5 digits, spaced, + NUL */
#define ENL_TEXT_MAX            (60 * 1024) /* largest text message */
#define ENL_NOTE_MAX            65535 /* largest note on any transport */

/* ---- profiles -------------------------------------------------------- */
typedef struct enl_profile enl_profile;

/* Cost of the passphrase key derivation (Argon2id). MODERATE is the
 * default; INTERACTIVE is weaker and meant for tests and slow devices. */
typedef enum {
    ENL_KDF_INTERACTIVE = 1,
    ENL_KDF_MODERATE = 2,
    ENL_KDF_SENSITIVE = 3
} enl_kdf_level;

/* Creates a new profile in `home` (created 0700 if missing; must not hold a
 * profile). Generates the identity and the signed prekey. */
int enl_profile_create(enl_profile **out, const char *home, const char *name,
                       const char *pass, size_t pass_len, enl_kdf_level kdf)
    __attribute__((warn_unused_result));

/* Unlocks an existing profile. ENL_EPASSPHRASE when the passphrase is
 * wrong: nothing has been read or changed then. ENL_ENOPROFILE when the
 * folder holds no profile. */
int enl_profile_open(enl_profile **out, const char *home, const char *pass, size_t pass_len)
    __attribute__((warn_unused_result));

/* Wipes every secret and closes. NULL is a no-op. */
void enl_profile_close(enl_profile *p);

/* Detail about the last failure on this handle (may be ""). */
const char *enl_profile_errmsg(const enl_profile *p);

/* Whether a profile exists in home (1/0). */
int enl_profile_exists(const char *home);

/* Quotas on the notes carried for others (count and bytes). A note beyond
 * them is refused with ENL_EFULL. Defaults: ENL_QUOTA_NOTES, ENL_QUOTA_BYTES. */
#define ENL_QUOTA_NOTES  100000
#define ENL_QUOTA_BYTES  ((uint64_t)1 << 30)
void enl_profile_set_quota(enl_profile *p, uint64_t notes, uint64_t bytes);

/* This profile's own name and fingerprint. */
int enl_profile_name(const enl_profile *p, char name[ENL_NAME_MAX + 1]);
int enl_profile_fingerprint(const enl_profile *p, char fp[ENL_FINGERPRINT_STRBYTES]);

/* This profile's card: one line of text (malloc'd, caller frees with free()). */
int enl_profile_card(enl_profile *p, char **card_text) __attribute__((warn_unused_result));

/* ---- contacts -------------------------------------------------------- */
typedef struct {
    char name[ENL_NAME_MAX + 1];
    char fingerprint[ENL_FINGERPRINT_STRBYTES];
    char safety_number[ENL_SAFETY_STRBYTES];
    int verified;
    uint64_t added;         /* unix seconds */
    uint64_t card_expires;  /* unix seconds */
    char address[128];      /* where the contact listens, "" if unknown */
} enl_contact_info;

/* Adds a contact from a card. name may be NULL: the card's own name is used.
 * Errors: ENL_ECHECKSUM (mistyped), ENL_ESIG (tampered), ENL_EEXPIRED,
 * ENL_EMALFORMED, ENL_EVERSION, ENL_ESELF, ENL_EEXISTS (the name is taken by
 * another key). Adding a card of a known key again refreshes its card. */
int enl_contact_add(enl_profile *p, const char *card_text, const char *name,
                    enl_contact_info *out) __attribute__((warn_unused_result));
int enl_contact_get(enl_profile *p, const char *name, enl_contact_info *out);
int enl_contact_verify(enl_profile *p, const char *name);
int enl_contact_set_address(enl_profile *p, const char *name, const char *address);
/* Calls cb for every contact, sorted by name; stops early when cb returns non-zero. */
int enl_contact_each(enl_profile *p, int (*cb)(const enl_contact_info *c, void *ctx), void *ctx);

/* ---- sending --------------------------------------------------------- */
typedef struct {
    uint32_t expiry_hours;  /* 0: the default (ENL_EXPIRY_DEFAULT_HOURS) */
    uint32_t pad_floor;     /* 0: the default floor (256 bytes) */
} enl_send_opts;

#define ENL_EXPIRY_DEFAULT_HOURS (14 * 24)
#define ENL_EXPIRY_MAX_HOURS     (90 * 24)

/* Seals text to a contact and keeps the note for the next sync.
 * note_id (may be NULL) receives the note's id. */
int enl_send_text(enl_profile *p, const char *to, const uint8_t *text, size_t len,
                  const enl_send_opts *opts, uint8_t note_id[ENL_IDBYTES])
    __attribute__((warn_unused_result));

/* ---- receiving ------------------------------------------------------- */
typedef struct {
    int64_t seq;                        /* local order */
    char from[ENL_NAME_MAX + 1];        /* contact name; "" for a request */
    char from_fingerprint[ENL_FINGERPRINT_STRBYTES];
    const char *text;                   /* valid during the callback only */
    size_t text_len;
    uint64_t sent;                      /* unix seconds, as the sender's clock said */
    uint64_t received;                  /* unix seconds */
    uint8_t note_id[ENL_IDBYTES];
    int is_new;                         /* not yet shown with --new */
    int is_request;                     /* from someone who is not a contact */
} enl_message;

#define ENL_INBOX_NEW       1  /* only messages not yet shown */
#define ENL_INBOX_REQUESTS  2  /* notes from people who are not contacts */
#define ENL_INBOX_KEEP_NEW  4  /* do not mark what is shown as seen */

/* Calls cb for every message, oldest first. */
int enl_inbox_each(enl_profile *p, int flags,
                   int (*cb)(const enl_message *m, void *ctx), void *ctx);

/* ---- carrying -------------------------------------------------------- */
typedef struct {
    uint64_t notes_sent;        /* notes handed to the other side */
    uint64_t notes_received;    /* new notes taken in (to carry or read) */
    uint64_t purges_sent;
    uint64_t purges_received;   /* new purge records taken in */
    uint64_t delivered;         /* new messages for this profile */
    uint64_t requests;          /* new notes from people who are not contacts */
    uint64_t duplicates;        /* notes already held, read or purged */
    uint64_t skipped;           /* damaged, tampered, foreign or expired */
    uint64_t released;          /* carried notes deleted because of a purge */
    uint64_t bytes_sent;
    uint64_t bytes_received;
    double seconds;
} enl_sync_stats;

/* Progress of long work: what is being done, how far, out of how much (0: unknown). */
typedef void (*enl_progress_fn)(void *ctx, const char *what, uint64_t done, uint64_t total);

/* Warnings about skipped input (a damaged file in a dead drop...). */
typedef void (*enl_warn_fn)(void *ctx, const char *what);

typedef struct {
    enl_progress_fn progress;
    enl_warn_fn warn;
    void *ctx;
} enl_sync_opts;

/* Exchanges with a dead-drop folder: leaves what the folder lacks, takes
 * what the profile lacks, applies purges. Atomic per file. */
int enl_sync_folder(enl_profile *p, const char *dir, const enl_sync_opts *opts,
                    enl_sync_stats *stats) __attribute__((warn_unused_result));

/* Syncs over TCP with a contact who listens: target is tcp://NAME@HOST:PORT,
 * or the name of a contact whose address is known (enl_contact_set_address).
 * The link is Noise XK: NAME's card gives the key the listener must prove.
 * ENL_EREFUSED when the listener closed the link after the handshake (it
 * does not accept this profile), ENL_ETIMEOUT / ENL_ENET / ENL_EPROTO when
 * the link failed. Everything received before a failure is kept. */
#define ENL_LINK_TIMEOUT_MS 15000
int enl_sync_tcp(enl_profile *p, const char *target, const enl_sync_opts *opts,
                 enl_sync_stats *stats) __attribute__((warn_unused_result));

/* Serves syncs on addr ("HOST:PORT"; port 0 picks one). ready(ctx, bound)
 * is called once listening. Each session ends with session(ctx, peer, rc,
 * stats): peer is the contact's name, "(open relay peer)", or "" when the
 * connection did not complete a handshake. Stops after one connection when
 * once is set (returning that session's rc), or when *stop becomes non-zero
 * (checked at least every second). */
typedef struct {
    int open;                   /* accept anyone: an open relay */
    int once;
    int timeout_ms;             /* per read/write; 0: ENL_LINK_TIMEOUT_MS */
    volatile int *stop;
    void (*ready)(void *ctx, const char *bound);
    void (*session)(void *ctx, const char *peer, int rc, const enl_sync_stats *stats);
    enl_sync_opts sync;         /* progress and warnings, per session */
    void *ctx;
} enl_listen_opts;
int enl_listen(enl_profile *p, const char *addr, const enl_listen_opts *opts)
    __attribute__((warn_unused_result));

/* Takes in one note from any transport. Returns ENL_OK when the note was
 * new (stats tells whether it was delivered or kept to carry), or the reason
 * it was refused (ENL_EDUPLICATE, ENL_EPURGED, ENL_EEXPIRED, ENL_EMALFORMED...). */
int enl_note_intake(enl_profile *p, const uint8_t *note, size_t len, enl_sync_stats *stats);

/* ---- status ---------------------------------------------------------- */
typedef struct {
    uint64_t notes;      /* notes carried for others */
    uint64_t outgoing;   /* my notes not yet known delivered */
    uint64_t purges;     /* purge records kept */
    uint64_t contacts;
    uint64_t messages;
    uint64_t unread;
    uint64_t requests;
    uint64_t bytes;      /* bytes of notes held */
} enl_status_info;

int enl_status(enl_profile *p, enl_status_info *out);

#endif
