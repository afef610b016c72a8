/*
 * Files, as the core keeps them (files.c). A file's record is an encrypted
 * row of the store's "files" table, keyed by index("files", peer dh_pk ||
 * outgoing u8 || file id); each part received is an encrypted row of
 * "parts" under that key and its index. Record (plaintext of the blob):
 *
 *   version u8 (4) | outgoing u8 | peer sign_pk[32] | peer dh_pk[32] |
 *   file id[16] | size u64 | parts u32 | chunk u32 | hash[32] | sent u64 |
 *   received u64 | expiry u32 (hours) | sealed u32 | saved u8 |
 *   delivered u32 | name_len u8 | name | note_len u16 | note | prefix[32]
 *
 * sealed: outgoing, parts sealed so far (fewer than parts when sealing was
 * interrupted). delivered: outgoing, how many of its notes were delivered,
 * kept once they expired (0xffffffff until then: the purge locks of its
 * notes, rows of "parts", say it). prefix: outgoing, the hash of the bytes
 * sealed so far, so that an interrupted sending resumes only over the same
 * bytes. Earlier versions: docs/PROTOCOL.md, section 6.
 */
#ifndef ENL_CORE_FILES_H
#define ENL_CORE_FILES_H

#include "core/profile.h"
#include "note/note.h"

/* Parses a stored file record (any version) and writes it again, as the
 * current version, into out (max bytes; REC_MAX in files.c is at most
 * ENL_FILE_RECORD_MAX): *out_len. ENL_ESTORE when it does not parse. For
 * the store's fuzzer: a record of the current version comes back byte for
 * byte, so that reading never changes what is kept. */
#define ENL_FILE_RECORD_MAX 2048
int enl_file_record_rewrite(const uint8_t *in, size_t len, uint8_t *out, size_t max, size_t *out_len)
    __attribute__((warn_unused_result));

/* Takes in a file head or part opened from a contact, inside the caller's
 * transaction (intake's delivery). ENL_EMALFORMED when it does not parse or
 * does not fit the file its head described. */
int enl_file_deliver(enl_profile *p, const uint8_t peer_sign_pk[32], const uint8_t peer_dh_pk[32],
                     const enl_payload *pl, uint32_t expiry_hours) __attribute__((warn_unused_result));

/* Keeps in its record how many notes of each outgoing file were delivered
 * once they expired (now_hours or before), before their purge records, which
 * said so, are dropped (see enl_profile_expire). */
int enl_files_settle(enl_profile *p, uint32_t now_hours) __attribute__((warn_unused_result));

#endif
