/*
 * A client of Tor's control port (control-spec.txt), just enough to publish
 * an onion service: PROTOCOLINFO, AUTHENTICATE (SAFECOOKIE, or the password
 * the user gave), ADD_ONION ED25519-V3 and DEL_ONION.
 *
 * SAFECOOKIE proves both ways that each side holds the cookie: a program
 * that only pretends to be tor on the control port learns nothing it could
 * replay (its server hash does not verify, and we stop before sending
 * ours), and gets no onion key. The cookie file's path comes from the
 * server, so the file must be root's, tor's user's or ours, and not
 * writable by others, in a folder others cannot write to: else a program
 * posing as tor could name a cookie of its own making. Plain COOKIE (it
 * would send the cookie of any file named) and no authentication (anyone
 * passes) are refused.
 *
 * Replies are bounded: a line holds at most ENL_TORCTL_LINE_MAX bytes and a
 * reply at most ENL_TORCTL_LINES_MAX lines and ENL_TORCTL_BUF bytes; beyond
 * that the connection is dropped. The parsers are pure functions over bytes
 * (no I/O, no allocation), fuzzed by fuzz/fuzz_torctl.c. Every read and
 * write waits at most the handle's timeout. Secrets (the cookie, the
 * password, the onion key) are wiped from every buffer they pass through.
 */
#ifndef ENL_TRANSPORT_TORCTL_H
#define ENL_TRANSPORT_TORCTL_H

#include <stddef.h>
#include <stdint.h>

#define ENL_TORCTL_LINE_MAX     4096    /* bytes of one line, CRLF included */
#define ENL_TORCTL_LINES_MAX    32      /* lines of one reply, data lines included */
#define ENL_TORCTL_BUF          16384   /* bytes of one reply */
#define ENL_TORCTL_PATH_MAX     4095
#define ENL_TORCTL_COOKIEBYTES  32
#define ENL_TORCTL_NONCEBYTES   32
#define ENL_ONION_ID_LEN        56      /* v3 onion address without ".onion" */
#define ENL_ONION_KEYBYTES      64      /* tor's expanded Ed25519 secret key */

/* Authentication methods offered in PROTOCOLINFO. */
#define ENL_TORCTL_AUTH_NULL        1
#define ENL_TORCTL_AUTH_PASSWORD    2   /* HASHEDPASSWORD */
#define ENL_TORCTL_AUTH_COOKIE      4
#define ENL_TORCTL_AUTH_SAFECOOKIE  8

/* One reply: every line has the same status code. line[] spans the text
 * after the four-byte prefix ("250-", "250+", "250 ") of each status line,
 * without CRLF; data lines (after "NNN+", up to ".") are counted, not kept. */
typedef struct {
    int status;
    size_t nlines;
    struct {
        size_t off, len;
    } line[ENL_TORCTL_LINES_MAX];
    size_t len;                 /* bytes the reply takes, last CRLF included */
} enl_torctl_reply;

typedef struct {
    unsigned methods;
    char cookie_file[ENL_TORCTL_PATH_MAX + 1];   /* "" when none was given */
    char version[64];                            /* tor's version, "" if not said */
} enl_torctl_info;

/* Finds and splits the reply at the start of in. ENL_OK: r describes it.
 * ENL_ENOTFOUND: what is there is well formed so far but incomplete (read
 * more). ENL_EPROTO: malformed or beyond the limits. */
int enl_torctl_reply_parse(enl_torctl_reply *r, const uint8_t *in, size_t len)
    __attribute__((warn_unused_result));
/* The text of line i of r, with anything unprintable shown as '?'. */
void enl_torctl_reply_text(char *out, size_t max, const enl_torctl_reply *r, const uint8_t *in,
                           size_t i);

/* Parsers of one whole reply (exactly len bytes) with status 250.
 * ENL_EPROTO when malformed or when a required field is missing. */
int enl_torctl_protocolinfo_parse(enl_torctl_info *out, const uint8_t *in, size_t len)
    __attribute__((warn_unused_result));
int enl_torctl_authchallenge_parse(uint8_t server_hash[32], uint8_t server_nonce[32],
                                   const uint8_t *in, size_t len) __attribute__((warn_unused_result));
/* ServiceID into id (NUL-terminated); the PrivateKey, when the reply has
 * one (ADD_ONION NEW), into key with *has_key = 1. */
int enl_torctl_add_onion_parse(char id[ENL_ONION_ID_LEN + 1], uint8_t key[ENL_ONION_KEYBYTES],
                               int *has_key, const uint8_t *in, size_t len)
    __attribute__((warn_unused_result));
/* 1 when s is a v3 onion service id: 56 characters of [a-z2-7]. */
int enl_onion_id_valid(const char *s, size_t len);

/* SAFECOOKIE (control-spec 3.24): HMAC-SHA256 with the two fixed keys over
 * cookie | client nonce | server nonce. */
void enl_torctl_safecookie(uint8_t server_hash[32], uint8_t client_hash[32],
                           const uint8_t cookie[ENL_TORCTL_COOKIEBYTES],
                           const uint8_t client_nonce[ENL_TORCTL_NONCEBYTES],
                           const uint8_t server_nonce[ENL_TORCTL_NONCEBYTES]);

/* A control connection. Caller-allocated; err explains the last failure in
 * one line that says what to do about it. */
typedef struct {
    int fd;
    int timeout_ms;
    size_t have;                /* bytes in buf */
    size_t last;                /* bytes of buf taken by the last reply */
    uint8_t buf[ENL_TORCTL_BUF];
    char err[640];
} enl_torctl;

/* Connects to tor's control port. ENL_ENET / ENL_ETIMEOUT when nothing
 * listens there: err then says how to start tor with a control port. */
int enl_torctl_connect(enl_torctl *c, const char *host, const char *port, int timeout_ms)
    __attribute__((warn_unused_result));
/* PROTOCOLINFO, then AUTHENTICATE with the password when one is given,
 * else SAFECOOKIE, COOKIE or none, as tor offers. ENL_EREFUSED when tor
 * refused; ENL_EIO when the cookie file cannot be read; ENL_EPROTO when
 * tor's answers do not check (a SAFECOOKIE server hash that is wrong). */
int enl_torctl_authenticate(enl_torctl *c, const char *password) __attribute__((warn_unused_result));
/* ADD_ONION: with key NULL a new ED25519-V3 key (returned in new_key),
 * else the given one. The service maps virt_port to target ("HOST:PORT")
 * and lives as long as this control connection (no Detach flag), so a
 * crash takes it down too. id gets the service id. */
int enl_torctl_add_onion(enl_torctl *c, const uint8_t *key, uint16_t virt_port, const char *target,
                         char id[ENL_ONION_ID_LEN + 1], uint8_t new_key[ENL_ONION_KEYBYTES])
    __attribute__((warn_unused_result));
int enl_torctl_del_onion(enl_torctl *c, const char *id) __attribute__((warn_unused_result));
/* ENL_OK while the connection is up (reads and drops any event tor sent);
 * ENL_ENET once tor closed it. Never waits. */
int enl_torctl_alive(enl_torctl *c);
/* Closes and wipes the buffer. Safe on a handle that never connected if
 * fd was set to -1. */
void enl_torctl_close(enl_torctl *c);

#endif
