/*
 * Bulletins as a profile keeps them (see note/bulletin.h for the format).
 *
 * Following an author stores a row in `follows` (encrypted, keyed by
 * index("follows", fp20)):
 *
 *   version u8 (1) | fp20[20] | added u64 | window start day u32 |
 *   name length u8 | name (from the card followed, or empty)
 *
 * and puts the tags of every position of the window [start, start +
 * ENL_BULLETIN_WINDOW_DAYS) in the tags table, pointing at that row key,
 * so that recognising a bulletin is the same single lookup as recognising
 * a session note. The window moves once a day (the stored start says
 * whether it must).
 *
 * A bulletin read (or published) here is a row in `bulletins` (encrypted,
 * keyed by index("bulletins", note id)):
 *
 *   version u8 (1) | mine u8 | note id[32] | sign_pk[32] | dh_pk[32] |
 *   published u64 | received u64 | expiry hours u32 |
 *   channel length u8 | channel | text length u32 | text
 *
 * and its note stays in the notes table: a bulletin is never purged, every
 * device carries it until it expires.
 */
#ifndef ENL_CORE_BULLETIN_H
#define ENL_CORE_BULLETIN_H

#include "core/profile.h"
#include "note/bulletin.h"

/* The note's tag named row h: when h is a follow, finds the position the
 * tag belongs to and opens and checks the bulletin (b points into plain,
 * scratch of len bytes). ENL_ENOTFOUND when h is not a follow. */
int enl_bulletin_recognise(enl_profile *p, const uint8_t h[32], const uint8_t *note, size_t len,
                           uint8_t *plain, enl_bulletin *b);

/* Keeps a bulletin read here: its row, the read mark and, unless the note
 * is already held, the note itself (to carry on, in the share of the source
 * it came by, when there is room: enl_quota_keep_read). In the caller's
 * transaction. */
int enl_bulletin_keep(enl_profile *p, const enl_bulletin *b, const enl_note_header *h,
                      const uint8_t id[32], const uint8_t *note, size_t len, int held,
                      unsigned *evicted);

/* Once a day per handle: moves each follow's tag window to today and takes
 * in held notes that the new tags open. */
int enl_follows_refresh(enl_profile *p, enl_sync_stats *stats);

/* Deletes the bulletins kept here whose time is over. */
int enl_bulletins_sweep(enl_profile *p);

/* The name to show for an author: a contact's, else the card followed, else
 * "". 1 when it is a contact's (a name this profile gave), 0 when it is the
 * name the author put in their own card (anyone can choose any). */
int enl_bulletin_author_name(enl_profile *p, const uint8_t sign_pk[32], const uint8_t dh_pk[32],
                             char name[ENL_NAME_MAX + 1]);

#endif
