/*
 * Files: a file travels as one head note and one note per part, each an
 * ordinary note of the pair's ratchet session (its own purge key, padded
 * like every note). These are the bodies of those payloads (note.h, kinds
 * ENL_KIND_FILE_HEAD and ENL_KIND_FILE_PART):
 *
 *   head:  version u8 (1) | file id [16] | size u64 | parts u32 | chunk u32 |
 *          hash [32] | name_len u8 | name | note_len u16 | note
 *   part:  version u8 (1) | file id [16] | index u32 | data (the rest)
 *
 * Part i holds bytes [i * chunk, min(size, (i + 1) * chunk)) of the file, so
 * every part but the last holds exactly chunk bytes; parts = ceil(size /
 * chunk). hash is BLAKE2b-256 of the whole file. Each layout has one
 * encoding per meaning: nothing may follow the last field.
 *
 * enl_file_check puts a file back together: it takes the parts in order,
 * checks each one's length against the head, and the whole against the
 * hash, so the code that streams parts out of the store keeps no file in
 * memory and cannot get the arithmetic wrong.
 *
 * Pure: no I/O, no allocation.
 */
#ifndef ENL_NOTE_FILE_H
#define ENL_NOTE_FILE_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "enlace.h"

#define ENL_FILE_VERSION      1
#define ENL_FILE_HASHBYTES    32
#define ENL_FILE_HEAD_FIXED   (1 + ENL_FILE_IDBYTES + 8 + 4 + 4 + ENL_FILE_HASHBYTES + 1 + 2)
#define ENL_FILE_PART_FIXED   (1 + ENL_FILE_IDBYTES + 4)
#define ENL_FILE_HEAD_MAX     (ENL_FILE_HEAD_FIXED + ENL_FILE_NAME_MAX + ENL_FILE_NOTE_MAX)
/* The smallest chunk a head may declare: it bounds the number of parts
 * (and so of notes and rows) a head can announce to ENL_FILE_MAX / 4096. */
#define ENL_FILE_CHUNK_MIN    4096

_Static_assert(ENL_FILE_HEAD_FIXED == 68, "file head layout");
_Static_assert(ENL_FILE_PART_FIXED == 21, "file part layout");

typedef struct {
    uint8_t id[ENL_FILE_IDBYTES];
    uint64_t size;              /* bytes, 1 .. ENL_FILE_MAX */
    uint32_t parts;             /* ceil(size / chunk) */
    uint32_t chunk;             /* ENL_FILE_CHUNK_MIN .. ENL_FILE_CHUNK */
    uint8_t hash[ENL_FILE_HASHBYTES];
    const uint8_t *name;        /* 1 .. ENL_FILE_NAME_MAX bytes; points into the input */
    size_t name_len;
    const uint8_t *note;        /* 0 .. ENL_FILE_NOTE_MAX bytes; points into the input */
    size_t note_len;
} enl_file_head;

typedef struct {
    uint8_t id[ENL_FILE_IDBYTES];
    uint32_t index;
    const uint8_t *data;        /* 1 .. ENL_FILE_CHUNK bytes; points into the input */
    size_t len;
} enl_file_part;

/* Parts of a file of size bytes cut in chunks; 0 when size or chunk is 0
 * or the count does not fit a u32. */
uint32_t enl_file_parts_for(uint64_t size, uint32_t chunk);
/* Bytes part index must hold under head h; 0 when index >= h->parts. */
size_t enl_file_part_len(const enl_file_head *h, uint32_t index);

/* A name is 1..ENL_FILE_NAME_MAX bytes, without '/', '\\', NUL or other
 * control characters, and not "." or "..": whatever it says, it can never
 * name a path. 1 when it is one. */
int enl_file_name_ok(const uint8_t *name, size_t len);

/* Exact encoded sizes. */
size_t enl_file_head_len(const enl_file_head *h);
size_t enl_file_part_encoded_len(size_t data_len);

/* Encoders write exactly the lengths above into out (max bytes): ENL_EBUFSIZE
 * when it does not fit, ENL_EINVAL when the fields break the rules the
 * parser checks. */
int enl_file_head_encode(uint8_t *out, size_t max, const enl_file_head *h)
    __attribute__((warn_unused_result));
int enl_file_part_encode(uint8_t *out, size_t max, const enl_file_part *p)
    __attribute__((warn_unused_result));

/* Parsers: ENL_EVERSION for another version, ENL_ETOOBIG for a size beyond
 * ENL_FILE_MAX or a part beyond ENL_FILE_CHUNK, ENL_EMALFORMED otherwise
 * (truncated, extended, inconsistent counts, a bad name). */
int enl_file_head_parse(enl_file_head *h, const uint8_t *in, size_t len)
    __attribute__((warn_unused_result));
int enl_file_part_parse(enl_file_part *p, const uint8_t *in, size_t len)
    __attribute__((warn_unused_result));

/* The index the sender keeps the head's purge lock under (the parts' are
 * kept under their own index). */
#define ENL_FILE_HEAD_INDEX UINT32_MAX

/* Streaming reassembly: parts in index order, from 0. */
typedef struct {
    crypto_generichash_state hs;
    uint64_t size, done;
    uint32_t parts, chunk, next;
    uint8_t hash[ENL_FILE_HASHBYTES];
} enl_file_check;

void enl_file_check_init(enl_file_check *c, const enl_file_head *h);
/* ENL_EMALFORMED when index is not the next one or len is not what the
 * head says part index holds. */
int enl_file_check_part(enl_file_check *c, uint32_t index, const uint8_t *data, size_t len)
    __attribute__((warn_unused_result));
/* ENL_OK when every part came and the whole hashes to the head's hash;
 * ENL_EMALFORMED when parts are missing, ENL_EDECRYPT when the hash differs. */
int enl_file_check_final(enl_file_check *c) __attribute__((warn_unused_result));

#endif
