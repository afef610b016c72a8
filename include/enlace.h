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
#define ENL_EBUSY      -28  /* the peer is busy: try again later */
#define ENL_EPEERFAIL  -29  /* the peer's device failed on its own side (its store, disk, memory) */

/* Names every code; never NULL. */
const char *enl_strerror(int code);
/* 1 when a note refused with code would be refused again whatever is done
 * (damaged, forged, expired, already delivered); 0 when another try may
 * take it (the store failed or is full, memory, a clock, a newer version,
 * notes before it still missing): then its only copy (a page) must be kept. */
int enl_refusal_is_final(int code);

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
#define ENL_VIA_MAX             95   /* bytes of "how a contact's card came" */

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
 * folder holds no profile, or one whose creation was cut short (it opens
 * but holds no identity and nothing else a profile keeps). */
int enl_profile_open(enl_profile **out, const char *home, const char *pass, size_t pass_len)
    __attribute__((warn_unused_result));

/* A new passphrase for this profile. ENL_EEXISTS when it is the real one
 * already. The duress passphrase given as the new one becomes the real one,
 * and no duress passphrase is left: the answer, and what is written, are
 * those of any other new passphrase, so that whoever forced the real
 * passphrase learns nothing of a duress one. */
int enl_profile_change_passphrase(enl_profile *p, const char *pass, size_t pass_len)
    __attribute__((warn_unused_result));

/* Sets (or replaces) the duress passphrase. Typed at unlock, it destroys
 * the real key material and every record first, then opens a new, empty
 * profile with the same name. Nothing on disk says that one is set: the
 * slot it lives in holds random bytes of the same size when none is.
 * The duress passphrase of now is set again, as any other.
 * ENL_EEXISTS when it equals the real passphrase. */
int enl_profile_set_duress(enl_profile *p, const char *pass, size_t pass_len)
    __attribute__((warn_unused_result));

/* Destroys the profile in home now, without its passphrase (a panic
 * button): key slots and rows overwritten, the log folded in, the file
 * rebuilt, then the files removed. */
int enl_profile_wipe(const char *home) __attribute__((warn_unused_result));

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
/* 1 when s can name a profile or a contact: 1 to ENL_NAME_MAX bytes of
 * UTF-8, no control characters, '@', '/', ':', '"' or '\\', not starting
 * with '-', no space at either end. */
int enl_name_valid(const char *s);
int enl_profile_fingerprint(const enl_profile *p, char fp[ENL_FINGERPRINT_STRBYTES]);

/* This profile's card: one line of text (malloc'd, caller frees with free()). */
int enl_profile_card(enl_profile *p, char **card_text) __attribute__((warn_unused_result));
/* The same card saying where this device listens: address is
 * tcp://HOST:PORT or tor://ADDRESS.onion:PORT (card extension 2), so that
 * contacts can run `enlace sync NAME`. NULL or "": no address. */
int enl_profile_card_address(enl_profile *p, const char *address, char **card_text)
    __attribute__((warn_unused_result));

/* Groups many calls (enl_send_text, enl_cell_send, intake...) into one
 * transaction on disk: one sync to the disk for all of them instead of one
 * each. Each call still succeeds or fails on its own inside it; until
 * enl_profile_batch_commit, a crash loses the whole group, and other
 * processes wait to write to the profile (keep a group to a fraction of a
 * second). Groups do not nest. */
int enl_profile_batch_begin(enl_profile *p) __attribute__((warn_unused_result));
int enl_profile_batch_commit(enl_profile *p) __attribute__((warn_unused_result));

/* ---- contacts -------------------------------------------------------- */
typedef struct {
    char name[ENL_NAME_MAX + 1];
    char fingerprint[ENL_FINGERPRINT_STRBYTES];
    char safety_number[ENL_SAFETY_STRBYTES];
    int verified;
    uint64_t added;         /* unix seconds */
    uint64_t card_expires;  /* unix seconds */
    char address[128];      /* where the contact listens, "" if unknown */
    int burned;             /* keys compromised: nothing is sealed to them any more */
    uint64_t burned_at;     /* unix seconds */
    char burn_reason[201];
    char via[ENL_VIA_MAX + 1];  /* how the card came: "introduced by beto", "cell olla"; "" in person */
} enl_contact_info;

/* Adds a contact from a card. name may be NULL: the card's own name is used.
 * Errors: ENL_ECHECKSUM (mistyped), ENL_ESIG (tampered), ENL_EEXPIRED,
 * ENL_EMALFORMED, ENL_EVERSION, ENL_ESELF, ENL_EEXISTS (the name is taken by
 * another key). Adding a card of a known key again refreshes its card. */
int enl_contact_add(enl_profile *p, const char *card_text, const char *name,
                    enl_contact_info *out) __attribute__((warn_unused_result));
int enl_contact_get(enl_profile *p, const char *name, enl_contact_info *out);
/* Marks a contact verified; ENL_EREFUSED for one whose keys are burned. */
int enl_contact_verify(enl_profile *p, const char *name);
int enl_contact_set_address(enl_profile *p, const char *name, const char *address);
/* Calls cb for every contact, sorted by name; stops early when cb returns non-zero. */
int enl_contact_each(enl_profile *p, int (*cb)(const enl_contact_info *c, void *ctx), void *ctx);

/* ---- sending --------------------------------------------------------- */
typedef struct {
    uint32_t expiry_hours;  /* 0: the default (ENL_EXPIRY_DEFAULT_HOURS) */
    uint32_t pad_floor;     /* 0: the default floor (256 bytes) */
    uint32_t disappear;     /* seconds the message lives once read; 0: kept */
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
    uint32_t disappear;                 /* seconds it lives once read; 0: kept */
    uint64_t delete_at;                 /* when it will be deleted; 0: not set */
    char cell[ENL_NAME_MAX + 1];        /* sent to this cell; "" for a message to me */
    int after_burn;                     /* arrived when its sender's keys were already burned
                                         * here: whoever holds them may have written it */
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
    uint64_t delivered;         /* new messages for this profile (texts, the inbox's) */
    uint64_t cell_delivered;    /* of them, notes to a cell: kept to carry to the other members */
    uint64_t requests;          /* new notes from people who are not contacts */
    uint64_t duplicates;        /* notes already held, read or purged */
    uint64_t skipped;           /* damaged, tampered, foreign or expired */
    uint64_t released;          /* carried notes deleted because of a purge */
    uint64_t notes_evicted;     /* carried notes pushed out, the quota being full, for a
                                   note from a source holding less (enl_note_intake) */
    uint64_t bytes_sent;
    uint64_t bytes_received;
    uint64_t burns_sent;        /* burn notices handed over */
    uint64_t burns_received;    /* new burn notices taken in */
    uint64_t burned_contacts;   /* contacts whose keys a new notice burned */
    uint64_t burned_self;       /* a new notice burned this profile's own keys */
    uint64_t bulletins;         /* new bulletins of followed authors (also in notes_received) */
    uint64_t file_notes;        /* new notes of files (heads and parts) for this profile */
    uint64_t other_notes;       /* new notes for this profile that are no message: cell
                                   records, sender keys, introductions, inquiries, answers */
    uint64_t introductions;     /* of them, introductions (enlace introductions) */
    uint64_t cell_invitations;  /* of them, cells that admitted me, to join (enlace cell list) */
    uint64_t inquiries;         /* of them, inquiries (enlace questions) */
    uint64_t answers;           /* of them, answers to my inquiries new to me (enlace answers) */
    uint64_t answers_replaced;  /* of them, answers that replace one the same contact gave
                                   before to the same inquiry (an answer changed) */
    uint64_t from_held;         /* of the new notes for this profile, those held here
                                   until the notes before them came (counted when they came) */
    int read_only;              /* a dead drop that cannot be written: notes were taken
                                   from it, nothing was written to it */
    int peer_closed;            /* a link that failed (ENL_EPROTO, ENL_ENET) because the
                                   other device closed or reset the connection (its sync
                                   was stopped, its network lost): no protocol violation */
    double seconds;
    char why[256];              /* a listener's session that failed here (its store, its
                                   disk, memory): what went wrong; "" otherwise */
} enl_sync_stats;

/* How many notes came in: to carry, or new for this profile (a note held
 * until the notes before it came, then read, counts once). */
uint64_t enl_sync_received(const enl_sync_stats *s);

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
/* Async-signal-safe, for a handler of a signal that ends the process
 * (SIGINT, SIGTERM, SIGHUP): removes the temporary file that a dead-drop
 * sync in this process is writing, if any, so that a sync stopped by the
 * signal leaves no partial file in the folder. A sync that dies without
 * it (SIGKILL, a crash) leaves one, which a sync removes once it is two
 * days old (a younger one may be another device's write in progress). */
void enl_sync_folder_interrupted(void);

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
 * connection did not complete a handshake. Up to ENL_LISTEN_SESSIONS
 * sessions are served at once, each in a thread of its own (an open
 * relay's strangers get all but 2 of them at most; a contact one at a
 * time: a new session from the same key cuts the one before, which ends
 * with rc ENL_EDUPLICATE), and as many
 * connections in their handshake (when more come, the oldest handshake is
 * cut once it has waited a second); ready, session
 * and the sync callbacks are never called by two threads at once. Stops
 * after one connection when once is set (returning that session's rc), or
 * when *stop becomes non-zero (checked at least every second; the sessions
 * under way get the links' timeout to finish, then are cut, what arrived
 * kept, and reported as timed out). */
#define ENL_LISTEN_SESSIONS 8
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

/* ---- Tor ------------------------------------------------------------- */

/* Syncs like enl_sync_tcp, through the SOCKS5 proxy socks ("HOST:PORT",
 * Tor's SocksPort). target may also be tor://NAME@ADDRESS.onion:PORT (or
 * the name of a contact whose address is one); tor:// always goes through
 * a proxy, 127.0.0.1:9050 when socks is NULL, and tcp:// goes through one
 * only when socks is given. The destination's name is resolved by the
 * proxy, never here (no DNS leak). Each sync offers fresh random SOCKS
 * credentials, so that Tor (IsolateSOCKSAuth) gives it its own circuit. */
#define ENL_TOR_SOCKS_DEFAULT "127.0.0.1:9050"
#define ENL_SOCKS_TIMEOUT_MS  120000
int enl_sync_link(enl_profile *p, const char *target, const char *socks,
                  const enl_sync_opts *opts, enl_sync_stats *stats)
    __attribute__((warn_unused_result));

/* Listening as an onion service through a running tor's control port. */
#define ENL_ONION_PORT 7787     /* the onion service's virtual port */
typedef struct {
    const char *control;        /* tor's ControlPort "HOST:PORT"; NULL: 127.0.0.1:9051 */
    const char *password;       /* for HashedControlPassword; NULL: the cookie (or none) */
    /* Called once the service is published, with "tor://ID.onion:PORT". */
    void (*published)(void *ctx, const char *address);
} enl_onion_opts;

/* enl_listen on a loopback addr, published as this profile's onion service
 * (ADD_ONION ED25519-V3) for as long as it runs, then removed (DEL_ONION).
 * The service key is kept in the profile, encrypted like every other
 * secret, so the address stays the same across runs. onion NULL: plain
 * enl_listen. ENL_EINVAL when addr is not loopback; ENL_ENET when tor's
 * control port cannot be reached or tor stops while listening; ENL_EREFUSED
 * when tor refuses; enl_profile_errmsg says what to do. onion->published
 * gets o->ctx. */
int enl_listen_onion(enl_profile *p, const char *addr, const enl_onion_opts *onion,
                     const enl_listen_opts *o) __attribute__((warn_unused_result));

/* This profile's onion address, "tor://ID.onion:PORT" (max: at least 128
 * bytes). ENL_ENOTFOUND before the first enl_listen_onion. */
int enl_onion_address(enl_profile *p, char *out, size_t max) __attribute__((warn_unused_result));

/* Takes in one note from any transport. Returns ENL_OK when the note was
 * new (stats tells whether it was delivered or kept to carry), or the reason
 * it was refused (ENL_EDUPLICATE, ENL_EPURGED, ENL_EEXPIRED, ENL_EMALFORMED...). */
int enl_note_intake(enl_profile *p, const uint8_t *note, size_t len, enl_sync_stats *stats);

/* Names where the notes given to enl_note_intake from now on come from.
 * When the store is full, a note carried for others pushes out the
 * soonest-expiring notes of the source with the largest share (the larger
 * of its part of the quota's notes and of its bytes), as long as that
 * source would still hold a larger share than this one, so a dead drop
 * filled with junk cannot keep a courier from carrying what its other
 * sources bring. kind: a short word ("paper", "folder", "peer"...), at most
 * 16 characters; who: what tells two sources of that kind apart (may be
 * empty). enl_sync_folder and enl_sync_link name their own; until then the
 * source is "local". */
void enl_note_source(enl_profile *p, const char *kind, const uint8_t *who, size_t len);

/* Tries to open one note (from a dead drop, paper...) without storing or
 * changing anything: calls cb with the message when the note is for this
 * profile and its keys still exist, or when it is a bulletin of an author
 * followed (m->from: the author, m->sent: published). Otherwise says why: ENL_ENOTFORME (not
 * for this profile), ENL_EDUPLICATE (already read: its keys are deleted),
 * ENL_EEXPIRED, ENL_EDECRYPT or ENL_EMALFORMED (damaged), ENL_EPURGED,
 * ENL_ETOOBIG (for this profile, but too far ahead of notes not yet come). */
int enl_note_peek(enl_profile *p, const uint8_t *note, size_t len,
                  int (*cb)(const enl_message *m, void *ctx), void *ctx);

/* ---- notes held ------------------------------------------------------ */

/* Copies out a note this profile holds (one it carries for others, or one
 * of its own not yet known delivered) as the opaque bytes that travel, for
 * transports that hand notes out one by one (paper). *note is malloc'd:
 * the caller frees it with free(). ENL_ENOTFOUND when it is not held. */
int enl_note_get(enl_profile *p, const uint8_t id[ENL_IDBYTES], uint8_t **note, size_t *len)
    __attribute__((warn_unused_result));

/* Calls cb with the id of every note this profile holds, in byte order of
 * the ids. Stops early when cb returns non-zero: a positive value ends the
 * walk with ENL_OK, a negative one is returned. cb must not change the
 * profile (enl_note_get is fine). */
int enl_note_each(enl_profile *p, int (*cb)(const uint8_t id[ENL_IDBYTES], void *ctx), void *ctx);

/* ---- files ---------------------------------------------------------- */

/* A file is cut into parts of ENL_FILE_CHUNK bytes; each part, and a head
 * that describes the file (name, size, BLAKE2b-256 hash, an optional note),
 * is an ordinary note of the pair's session, padded like every note, with
 * its own purge key. The recipient stores the parts encrypted as they
 * arrive, in any order and through any transport, and writes the file out
 * (enl_file_save) once every part is there and the whole matches the hash. */
#define ENL_FILE_MAX       ((uint64_t)4 << 30)   /* largest file: 4 GiB */
#define ENL_FILE_CHUNK     65024                 /* bytes of file in each full part */
#define ENL_FILE_IDBYTES   16
#define ENL_FILE_NAME_MAX  255                   /* bytes of the file's name */
#define ENL_FILE_NOTE_MAX  1024                  /* bytes of the note that goes with it */

/*
 * Seals the file at path for a contact: one head note and ceil(size /
 * ENL_FILE_CHUNK) part notes, kept for the next sync like a text. The file
 * is read twice (once for its hash, once to seal), a chunk at a time:
 * memory does not grow with its size. Parts are sealed and stored 64 to a
 * transaction, with the session saved in the same transaction. note (may
 * be NULL) travels with it. progress (may be NULL) gets ("hashing" |
 * "sealing", bytes done, bytes in all), and ("resuming", bytes sealed
 * before, bytes in all) once when an earlier sending of the same file to
 * the same contact stopped half way (same bytes, name and note, its notes
 * with a day or more to live, and the bytes sealed then the file's now):
 * it goes on from there, under the same id and expiry (opts' expiry is
 * not taken then), instead of sealing the file again. file_id (may be NULL)
 * receives the file's id. Errors: ENL_EIO (unreadable: errno and enl_profile_errmsg say
 * why), ENL_ETOOBIG (beyond ENL_FILE_MAX), ENL_EINVAL (empty, not a regular
 * file, a note too long), ENL_EEXISTS (another process is sending the
 * file now: it holds the file's lock, or seals the same bytes, with the
 * same note, to the same contact from a copy elsewhere), ENL_ECHECKSUM (the file changed while it was
 * sealed: its last batch of parts is not sealed, so the file stays
 * incomplete, ENL_FILE_SEALING, or is not sent at all when it was one
 * batch; send it again), and those of enl_send_text.
 */
int enl_send_file(enl_profile *p, const char *to, const char *path, const char *note,
                  const enl_send_opts *opts, enl_progress_fn progress, void *progress_ctx,
                  uint8_t file_id[ENL_FILE_IDBYTES]) __attribute__((warn_unused_result));

typedef enum {
    ENL_FILE_RECEIVING = 1,   /* incoming: parts missing (or the head) */
    ENL_FILE_COMPLETE = 2,    /* incoming: every part is here; enl_file_save writes it */
    ENL_FILE_SAVED = 3,       /* incoming: written out at least once */
    ENL_FILE_SEALING = 4,     /* outgoing: sealing was interrupted, not every part is sealed */
    ENL_FILE_SENT = 5,        /* outgoing: every part sealed, not all known delivered */
    ENL_FILE_DELIVERED = 6,   /* outgoing: every note's purge came back */
    ENL_FILE_EXPIRED = 7,     /* incoming: its notes expired before every part came;
                                 the parts that came are deleted. Outgoing: its notes
                                 expired before all were known delivered */
    ENL_FILE_DELETED = 8,     /* incoming: deleted unsaved (enl_file_delete) */
    ENL_FILE_SENDING = 9      /* outgoing: not every part is sealed, and an enl_send_file
                                 (of another process, or another handle) seals it now */
} enl_file_state;

typedef struct {
    uint8_t id[ENL_FILE_IDBYTES];
    int outgoing;
    int known;                          /* incoming: 0 while the head has not arrived */
    enl_file_state state;
    char peer[ENL_NAME_MAX + 1];        /* contact name ("" if no longer a contact) */
    char peer_fingerprint[ENL_FINGERPRINT_STRBYTES];
    char name[ENL_FILE_NAME_MAX + 1];   /* as the sender named it (may hold any UTF-8) */
    char note[ENL_FILE_NOTE_MAX + 1];
    uint64_t size;                      /* bytes */
    uint32_t parts;                     /* parts in all (0 while unknown) */
    uint32_t have;                      /* incoming: parts here; outgoing: parts sealed */
    uint32_t delivered;                 /* outgoing: notes (parts and head) known delivered */
    uint64_t sent;                      /* unix seconds, the sender's clock */
    uint64_t received;                  /* incoming: when the head arrived */
    uint8_t hash[32];                   /* BLAKE2b-256 of the whole file */
} enl_file_info;

/* Calls cb for every file, incoming and outgoing, oldest first; stops
 * early when cb returns non-zero. Parts whose head has not arrived are
 * reported as one incoming file per group, known = 0, with only have set
 * and as id the first bytes of the group's keyed row hash (not the file's
 * id, which only its head tells): enl_file_delete_orphan takes it. */
int enl_files_each(enl_profile *p, int (*cb)(const enl_file_info *f, void *ctx), void *ctx);

/* Writes a received file to path. The parts are streamed out of the store
 * into an unnamed file in path's folder (else a temporary name beside it),
 * checked against the head's hash, and named path only when everything
 * checks; then the parts are deleted from the store (a file is saved once).
 * ENL_EEXISTS when path exists (unless ENL_FILE_SAVE_FORCE); ENL_ENOTFOUND
 * for an unknown id, or one saved already; ENL_EMALFORMED when parts are missing
 * (enl_profile_errmsg says how many); ENL_EDECRYPT when the whole does not
 * match its hash (nothing is left at path); ENL_EIO when writing fails, or
 * when path's folder cannot be synced once it is named (the file is at path
 * then, but its parts are kept). progress (may be NULL) gets ("saving", bytes done, bytes in all). */
#define ENL_FILE_SAVE_FORCE 1
int enl_file_save(enl_profile *p, const uint8_t id[ENL_FILE_IDBYTES], const char *path, int flags,
                  enl_progress_fn progress, void *progress_ctx) __attribute__((warn_unused_result));

/* The same, for the file with that id from the sender whose fingerprint
 * (text, as enl_file_info shows it) is from; NULL: from anyone. Ids are
 * chosen by senders, so two can coincide: enl_file_save then fails with
 * ENL_EEXISTS rather than take one file for the other, and this says whose. */
int enl_file_save_from(enl_profile *p, const char *from, const uint8_t id[ENL_FILE_IDBYTES],
                       const char *path, int flags, enl_progress_fn progress, void *progress_ctx)
    __attribute__((warn_unused_result));

/* Async-signal-safe, for a handler of a signal that ends the process
 * (SIGINT, SIGTERM, SIGHUP): removes the hidden temporary name that a save
 * in this process has given the file, if any (where path's folder has no
 * unnamed files, as on vfat, and for ENL_FILE_SAVE_FORCE just before it
 * replaces path), so that a save stopped by the signal leaves no copy of
 * the file in the clear that nobody knows of. It knows of one save at a
 * time: for a process that saves from one thread at a time. */
void enl_file_save_interrupted(void);

/* Deletes a received file without saving it (complete or not): its parts
 * leave the store, overwritten; the file is listed ENL_FILE_DELETED and
 * parts of it that arrive later are dropped. from as for
 * enl_file_save_from. ENL_ENOTFOUND for an unknown id, or a file saved,
 * expired or deleted already (it holds no parts); ENL_EEXISTS as above. */
int enl_file_delete(enl_profile *p, const char *from, const uint8_t id[ENL_FILE_IDBYTES])
    __attribute__((warn_unused_result));

/* Deletes parts whose head has not arrived, by the id enl_files_each gave
 * their group (known = 0); *dropped (may be NULL) gets how many. Nothing
 * marks the file: should its head come later, it is listed with those
 * parts missing until its notes expire (or enl_file_delete). ENL_ENOTFOUND
 * when no such group waits (its head may have come since). */
int enl_file_delete_orphan(enl_profile *p, const uint8_t id[ENL_FILE_IDBYTES], uint64_t *dropped)
    __attribute__((warn_unused_result));

/* ---- burning keys ---------------------------------------------------- */

/* My own revocation, signed now, as one line of text to leave with a
 * trusted contact: published, it burns my keys everywhere it travels.
 * *text is malloc'd (free()). */
int enl_revocation_export(enl_profile *p, const char *reason, char **text)
    __attribute__((warn_unused_result));
/* Keeps a contact's revocation (checked: it must be theirs) to publish if
 * they are taken. */
int enl_revocation_hold(enl_profile *p, const char *name, const char *text)
    __attribute__((warn_unused_result));
/* Publishes a held revocation: the contact is burned here, and the notice
 * travels ahead of everything in every sync from now on. ENL_EEXISTS, and
 * nothing done, when the contact is burned already and this notice is
 * carried here already (published before, or arrived). */
int enl_revocation_publish(enl_profile *p, const char *name) __attribute__((warn_unused_result));
/* 1 when a revocation of this contact is held here. */
int enl_burn_held(enl_profile *p, const char *name);
/* ENL_OK when reason (may be NULL) can be a burn's reason: one line of at
 * most ENL_REVOCATION_REASONMAX bytes without control characters. */
int enl_burn_reason_check(enl_profile *p, const char *reason);
/* 1 when a burn notice of this profile's own keys has arrived (someone
 * published the revocation I left with them): contacts who get it stop
 * reading and sealing to these keys. *when (may be NULL) gets when the
 * revocation was signed, reason (may be NULL) its reason, cut to max
 * bytes. 0 when none, < 0 on a store error. */
int enl_self_burned(enl_profile *p, uint64_t *when, char *reason, size_t max);
/* Burns a contact's keys on this device, and in every cell we both belong
 * to signs a burn vouch: when k members of the cell have signed one, every
 * member's device burns the keys and the cell re-keys without them (one
 * member alone cannot burn another for the rest). *cells (may be NULL)
 * gets the number of such cells; *cells_failed (may be NULL) the number of
 * cells whose log refused the vouch (enl_profile_errmsg says why): the burn
 * on this device happens all the same. ENL_EEXISTS, and nothing done (no
 * vouch signed, no cell re-keyed), when the contact is burned already. */
int enl_burn_local(enl_profile *p, const char *name, const char *reason, int *cells,
                   int *cells_failed) __attribute__((warn_unused_result));
/* Takes in a burn notice from any transport: verified, kept to carry for a
 * year, acted on when it revokes a contact. ENL_EDUPLICATE when known. */
int enl_burn_intake(enl_profile *p, const uint8_t *notice, size_t len, enl_sync_stats *stats);

/* ---- cells ----------------------------------------------------------- */

/* A cell: a small group whose members know each other. Admission needs the
 * vouches of `admit` members (of every member while there are fewer);
 * removal the same, the removed member excluded. Statements are signed and
 * travel to every member; each device works out the membership alone, to
 * the same result whatever order they arrive in. Cell notes are sealed
 * once with the sender's sender key, which changes with every change of
 * membership. */
#define ENL_CELL_ADMIT_DEFAULT 2

typedef struct {
    char name[ENL_NAME_MAX + 1];
    char id[17];                /* first 8 bytes of the cell id, hex */
    unsigned admit;
    unsigned members;           /* not counting those burned on this device */
    unsigned candidates;
    int member;                 /* I am a member (0: I left or was removed, or not joined yet) */
    int invited;                /* admitted by the members, not joined yet (enl_cell_join) */
    char invited_by[ENL_NAME_MAX + 1]; /* an invitation: the contact whose vouch admitted me
                                          (the first, in the log's order); "" when none is */
} enl_cell_info;

typedef struct {
    char name[ENL_NAME_MAX + 1];    /* contact name; "" when not a contact */
    char fingerprint[ENL_FINGERPRINT_STRBYTES];
    const char *state;              /* "member", "candidate", "removed" */
    int is_me;
    int burned;                     /* removed by burn vouches, or burned on this device */
    int burned_here;                /* burned on this device (by me, or by a notice), not yet
                                       by the cell's burn vouches: a member is shown "removed",
                                       as this device seals nothing to them and reads nothing of
                                       theirs any more, and as every device shows them once
                                       enough members have burned them */
    int awaits_removal;             /* burned_here, and still a member in the cell's log (the
                                       members remove them once enough of them burn them) */
    unsigned vouches, needed;       /* for a candidate */
} enl_cell_member;

/* Creates a cell with me as its only member. ENL_EEXISTS: name taken. */
int enl_cell_create(enl_profile *p, const char *name, unsigned admit)
    __attribute__((warn_unused_result));
/* Proposes (or vouches for) my contact as a member: my vouch, signed,
 * sent to every member. ENL_EINVAL when the contact is already a member. */
int enl_cell_add(enl_profile *p, const char *cell, const char *contact)
    __attribute__((warn_unused_result));
/* The same, for a contact someone else proposed: ENL_ENOTFOUND when the
 * contact is not a candidate. */
int enl_cell_vouch(enl_profile *p, const char *cell, const char *contact)
    __attribute__((warn_unused_result));
/* Vouches for a member's removal (burn: their keys are compromised). */
int enl_cell_remove(enl_profile *p, const char *cell, const char *contact, int burn,
                    const char *reason) __attribute__((warn_unused_result));
/* A cell that admits me arrives as an invitation (enl_cell_info.invited):
 * its log and the members' sender keys are kept and its notes read, but
 * nothing is signed, sealed, burned or made a contact for it until I join.
 * At most ENL_CELL_INVITES_MAX wait at once; more are refused. */
#define ENL_CELL_INVITES_MAX 16
/* Joins an invitation: its members become contacts ("cell NAME"), my
 * sender key goes to each. ENL_EINVAL when already joined. */
int enl_cell_join(enl_profile *p, const char *cell) __attribute__((warn_unused_result));
/* Declines an invitation: the cell is forgotten, sends nothing, and its
 * later logs are dropped (for ENL_EXPIRY_MAX_HOURS). */
int enl_cell_decline(enl_profile *p, const char *cell) __attribute__((warn_unused_result));
/* Forgets a cell I am no longer a member of (left, or removed): its log
 * and keys go, and its name is free again. ENL_EINVAL for a cell I am in
 * or an invitation. */
int enl_cell_forget(enl_profile *p, const char *cell) __attribute__((warn_unused_result));
/* Leaves: signed, sent to every member; my cell keys are deleted. */
int enl_cell_leave(enl_profile *p, const char *cell) __attribute__((warn_unused_result));
/* Seals text once for every member. */
int enl_cell_send(enl_profile *p, const char *cell, const uint8_t *text, size_t len,
                  const enl_send_opts *opts, uint8_t note_id[ENL_IDBYTES])
    __attribute__((warn_unused_result));
/* Re-seals a message I received (id: a prefix of at least 8 hex digits of
 * its note id, as `inbox --json` shows it) as my own to another cell: the
 * second cell learns nothing of where it came from. */
int enl_cell_forward(enl_profile *p, const char *msg_id, const char *cell)
    __attribute__((warn_unused_result));
int enl_cell_each(enl_profile *p, int (*cb)(const enl_cell_info *c, void *ctx), void *ctx);
int enl_cell_members(enl_profile *p, const char *cell,
                     int (*cb)(const enl_cell_member *m, void *ctx), void *ctx);
/* ---- bulletins ------------------------------------------------------ */

/* A bulletin is a signed, public leaflet: it travels in a note like any
 * other (a courier cannot tell it apart), every device relays it until it
 * expires, and those who follow its author read it, its signature checked.
 * Anyone who knows the author's fingerprint can follow, and so read. */
#define ENL_BULLETIN_SLOTS          16    /* bulletins an author may publish per day (UTC) */
#define ENL_BULLETIN_LIFETIME_DAYS  30    /* the longest a bulletin lives */
#define ENL_BULLETIN_EXPIRY_DEFAULT_HOURS (7 * 24)
#define ENL_BULLETIN_EXPIRY_MAX_HOURS     (ENL_BULLETIN_LIFETIME_DAYS * 24)
#define ENL_BULLETIN_CHANNEL_MAX    64    /* bytes of a channel name */

typedef struct {
    const char *channel;    /* NULL or "": none; printable, at most ENL_BULLETIN_CHANNEL_MAX bytes */
    uint32_t expiry_hours;  /* 0: ENL_BULLETIN_EXPIRY_DEFAULT_HOURS; at most ..._MAX_HOURS */
} enl_bulletin_opts;

/* Signs and seals a bulletin (text: at most ENL_TEXT_MAX bytes) and keeps
 * its note for every later sync. note_id and expires (unix seconds), each
 * may be NULL, get its id and when it expires.
 * ENL_EFULL when ENL_BULLETIN_SLOTS were already published today (UTC);
 * ENL_EFUTURE when the clock is behind the day of the last one published
 * (a position must never be used twice); enl_profile_errmsg says more. */
int enl_bulletin_publish(enl_profile *p, const uint8_t *text, size_t len,
                         const enl_bulletin_opts *opts, uint8_t note_id[ENL_IDBYTES],
                         uint64_t *expires) __attribute__((warn_unused_result));

typedef struct {
    char name[ENL_NAME_MAX + 1];            /* from the card followed, else a contact's, else "" */
    char fingerprint[ENL_FINGERPRINT_STRBYTES];
    uint64_t added;                         /* unix seconds */
    uint64_t bulletins;                     /* this author's bulletins held here */
    char near[ENL_NAME_MAX + 1];            /* enl_bulletin_follow, given a fingerprint that
                                             * is no contact's: the contact whose fingerprint
                                             * it is closest to, when within
                                             * ENL_FINGERPRINT_NEAR places (a likely typo:
                                             * fingerprints carry no checksum); else "" */
    unsigned near_places;                   /* how many places it differs in from near's */
} enl_follow_info;
#define ENL_FINGERPRINT_NEAR 3

/* Follows an author, given a card (checked like enl_contact_add checks
 * one) or a fingerprint as printed ("ms1x dcxv ..."). The author's
 * bulletins already carried here are read at once. ENL_EEXISTS when
 * already followed; ENL_ESELF for this profile's own; ENL_EMALFORMED when
 * it is neither (enl_profile_errmsg says what is wrong with it, and which
 * contact's fingerprint it is close to, if any). */
int enl_bulletin_follow(enl_profile *p, const char *card_or_fingerprint, enl_follow_info *out)
    __attribute__((warn_unused_result));
/* Stops following (a fingerprint as printed, or a card): the author's
 * bulletins kept here are deleted; their notes are still carried.
 * ENL_ENOTFOUND when not followed. */
int enl_bulletin_unfollow(enl_profile *p, const char *card_or_fingerprint, enl_follow_info *out)
    __attribute__((warn_unused_result));
/* Calls cb for every author followed, in the order they were followed. */
int enl_follow_each(enl_profile *p, int (*cb)(const enl_follow_info *f, void *ctx), void *ctx);

typedef struct {
    char author[ENL_NAME_MAX + 1];          /* a contact's name, the card's, or "" */
    int author_contact;                     /* author is the contact's name: mine to give; 0:
                                             * the card's, which anyone may choose (show it
                                             * with the fingerprint) */
    char fingerprint[ENL_FINGERPRINT_STRBYTES];
    char channel[ENL_BULLETIN_CHANNEL_MAX + 1];
    const char *text;                       /* valid during the callback only */
    size_t text_len;
    uint64_t published;                     /* unix seconds, the author's clock */
    uint64_t received;                      /* unix seconds */
    uint64_t expires;                       /* unix seconds */
    uint8_t note_id[ENL_IDBYTES];
    int mine;                               /* published by this profile */
} enl_bulletin_info;

/* Calls cb for every bulletin kept (of authors followed, and my own),
 * oldest published first. Expired bulletins are deleted first. */
int enl_bulletin_each(enl_profile *p, int (*cb)(const enl_bulletin_info *b, void *ctx), void *ctx);

/* ---- introductions and inquiries ------------------------------------- */

/* An introduction hands each of two contacts the other's card, signed by
 * me; the receiver keeps it pending until accepted or declined. An inquiry
 * asks every verified contact, each on its own, whether they know a key;
 * their answers are signed and so convince (and are not deniable). */
#define ENL_INTRO_NOTE_MAX      200  /* bytes of a note or an answer's text */
#define ENL_SHORTID_STRBYTES    9    /* 8 hex digits + NUL */
#define ENL_VERDICT_VOUCH       1    /* "I hold this key as my contact" */
#define ENL_VERDICT_UNKNOWN     2    /* "I do not know it" */
#define ENL_VERDICT_WARN        3    /* "beware": the text says why */

typedef struct {
    char id[ENL_SHORTID_STRBYTES];      /* short id for accept / decline */
    char introducer[ENL_NAME_MAX + 1];  /* "" when no longer a contact */
    char name[ENL_NAME_MAX + 1];        /* the name on the introduced card */
    char fingerprint[ENL_FINGERPRINT_STRBYTES];
    char note[ENL_INTRO_NOTE_MAX + 1];
    char known_as[ENL_NAME_MAX + 1];    /* already my contact under this name; "" if not */
    uint64_t received;                  /* unix seconds */
} enl_introduction_info;

typedef struct {
    char id[ENL_SHORTID_STRBYTES];      /* short id for enl_answer */
    char asker[ENL_NAME_MAX + 1];       /* "" when no longer a contact */
    char fingerprint[ENL_FINGERPRINT_STRBYTES];  /* of the key asked about */
    char note[ENL_INTRO_NOTE_MAX + 1];
    char known_as[ENL_NAME_MAX + 1];    /* my contact with that key; "" if none */
    int verified;                       /* that contact is verified */
    int burned;                         /* that contact's keys are burned */
    const char *answered;               /* "vouch", "unknown", "warn"; "" not yet */
    uint64_t received;
} enl_question_info;

typedef struct {
    char id[ENL_SHORTID_STRBYTES];      /* the inquiry answered */
    char fingerprint[ENL_FINGERPRINT_STRBYTES];
    char from[ENL_NAME_MAX + 1];        /* the answerer; "" when no longer a contact */
    int burned;                         /* the answerer's keys are burned: the signature
                                           may be whoever took them */
    const char *verdict;                /* "vouch", "unknown", "warn" */
    char text[ENL_INTRO_NOTE_MAX + 1];
    uint64_t received;
} enl_answer_info;

/* Introduces contacts a and b to each other: each gets the other's card
 * with my signature and the note (may be NULL), over our pairwise session,
 * with the next sync. ENL_EINVAL: a and b are the same person; ENL_EREFUSED:
 * one is burned; ENL_EEXPIRED: the card I hold for one has expired;
 * ENL_ETOOBIG: the note is longer than ENL_INTRO_NOTE_MAX. */
int enl_introduce(enl_profile *p, const char *a, const char *b, const char *note)
    __attribute__((warn_unused_result));
/* Calls cb for every pending introduction, oldest first; stops when cb
 * returns non-zero. */
int enl_introductions_each(enl_profile *p, int (*cb)(const enl_introduction_info *i, void *ctx),
                           void *ctx);
/* Accepts a pending introduction (id: a prefix of at least 4 hex digits):
 * the card is added as a contact marked "introduced by NAME", under the
 * card's name or, when that is taken, NAME.2 ...; out (may be NULL) gets
 * it; the introduction is then gone. ENL_EEXPIRED: the card has expired
 * meanwhile; ENL_EREFUSED: the introducer is no longer a contact or their
 * keys were burned since; ENL_EEXISTS: the key is already a contact. */
int enl_introduction_accept(enl_profile *p, const char *id, enl_contact_info *out)
    __attribute__((warn_unused_result));
/* Deletes a pending introduction. */
int enl_introduction_decline(enl_profile *p, const char *id) __attribute__((warn_unused_result));

/* Asks every verified contact (and no one else; none is told who else was
 * asked) whether they know the key of `key`: a card, or a fingerprint as
 * `contact show` prints it. *asked (may be NULL) gets how many were asked,
 * id (may be NULL) the inquiry's short id. ENL_ENOTFOUND: no verified
 * contact to ask. */
int enl_ask(enl_profile *p, const char *key, const char *note, unsigned *asked,
            char id[ENL_SHORTID_STRBYTES]) __attribute__((warn_unused_result));
/* The inquiries my contacts sent me, oldest first. */
int enl_questions_each(enl_profile *p, int (*cb)(const enl_question_info *q, void *ctx), void *ctx);
/* Answers a question with a verdict (ENL_VERDICT_*) and a text (may be
 * NULL), signed with my identity key and sent to the asker. asker (may be
 * NULL) picks among questions of the same id from different contacts (one
 * can forward me another's question). ENL_EREFUSED: a vouch for a key I do
 * not hold as a contact (or hold burned). */
int enl_answer(enl_profile *p, const char *id, const char *asker, int verdict, const char *text)
    __attribute__((warn_unused_result));
/* The answers to my inquiries, each checked against the answerer's card. */
int enl_answers_each(enl_profile *p, int (*cb)(const enl_answer_info *a, void *ctx), void *ctx);

/* ---- status ---------------------------------------------------------- */
typedef struct {
    uint64_t notes;      /* notes carried for others */
    uint64_t outgoing;   /* my notes not yet known delivered */
    uint64_t purges;     /* purge records kept */
    uint64_t contacts;
    uint64_t messages;   /* from contacts (requests are counted apart) */
    uint64_t unread;
    uint64_t requests;
    uint64_t bytes;      /* bytes of notes held */
    uint64_t burned;     /* contacts whose keys are burned */
    uint64_t burns;      /* burn notices carried */
    uint64_t follows;    /* authors whose bulletins I follow */
    uint64_t bulletins;  /* bulletins kept (theirs and mine) */
    uint64_t cells;      /* cells held, invitations included */
    uint64_t invitations; /* of them, invitations not joined yet (enl_cell_join) */
    int self_burned;     /* a notice burned this profile's own keys (enl_self_burned) */
} enl_status_info;

int enl_status(enl_profile *p, enl_status_info *out);

#endif
