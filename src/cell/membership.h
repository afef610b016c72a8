/*
 * Who belongs to a cell, worked out from its signed statements alone.
 *
 * Every device holds some set of a cell's statements (they travel by
 * couriers, in any order) and computes the membership from that set with a
 * deterministic procedure, so two devices holding the same statements reach
 * the same membership whatever order they learned them in:
 *
 *   1. The founding statement is the first CREATE in id order (only the
 *      creator can make one, and the cell id binds its terms: another
 *      CREATE for the same id says the same k, name and card). Its author
 *      is the first member; k is its admit count.
 *   2. Repeat, applying one change at a time, until none applies:
 *        a. a member who LEFT at their current generation leaves
 *           (burned when min(k, members - 1) other members have signed
 *           BURN at that generation: leaving spares no one a burn);
 *        b. a member for whom min(k, members - 1) other members have
 *           signed REMOVE or BURN at their current generation is removed
 *           (burned when the BURN vouches alone reach that count);
 *        c. a non-member, never burned, for whom min(k, members) members
 *           have signed ADD at their current generation is admitted.
 *      Of the changes that apply, the one that was completed first goes
 *      first: the one whose deciding vouch (the k-th, in the order of
 *      (Lamport clock, signed creation time)) is the oldest; then a before
 *      b before c,
 *      then the order of the keys. For a member to whom a and b both
 *      apply they are one change, at the earlier of the two times: a
 *      removal decided before a LEAVE is not put off until it. So the membership follows the history
 *      of the vouches as their authors signed them, and a later proposal
 *      never displaces an earlier admission.
 *      Only the vouches of people who are members at that point count, so
 *      a vouch by a non-member, or by a member removed first, counts for
 *      nothing. Each change uses up a generation, so this ends after at
 *      most as many changes as there are statements.
 *   3. The people considered are the founder and those proposed by a
 *      member: at the start and after each admission, every ADD at
 *      generation 0, in id order, by someone who is a member then, brings
 *      its subject into the table, unless its author already has
 *      ENL_CELL_PROPOSALS_PER_AUTHOR people in it who were never admitted
 *      or the table holds ENL_CELL_PEOPLE_MAX people. After the last
 *      change, the ADDs at generation 0 by anyone, member or not, bring
 *      their subjects in the same way (candidates to show, in the room
 *      left). Those left out are not in the view. So a REMOVE or BURN names
 *      nobody new, a full table is no error, and one member (with keys of
 *      their own) cannot fill the table and keep everyone else's proposals
 *      out.
 *
 * The epoch names a membership: BLAKE2b-256 over the cell id and every
 * member's key and generation, in key order. A sender key belongs to one
 * epoch, so a change of membership is a change of keys.
 *
 * Pure: no I/O, no allocation.
 */
#ifndef ENL_CELL_MEMBERSHIP_H
#define ENL_CELL_MEMBERSHIP_H

#include "cell/statement.h"

#define ENL_CELL_PEOPLE_MAX 64
#define ENL_CELL_STMTS_MAX  256
/* A log holds at most this many statements by one author: one member, or
 * their seized device, cannot fill it and freeze the cell for the rest.
 * Of them, removals, burns and leaves have their own ENL_CELL_EXITS_PER_AUTHOR
 * (and CREATE and ADD the rest), so a member who proposed many people can
 * still vouch to burn a seized one. */
#define ENL_CELL_STMTS_PER_AUTHOR 64
#define ENL_CELL_EXITS_PER_AUTHOR 16
/* Statements of a candidate (proposed by someone who is or was a member)
 * are kept before their admission is known here, at most this many each;
 * statements of anyone else who is not and was not a member are dropped. */
#define ENL_CELL_STMTS_PER_CANDIDATE 4
/* ... and at most this many in a log in all (the statements of a candidate
 * who is admitted then count as a member's, and make room again), so that
 * one member's waves of throw-away candidates cannot fill it. */
#define ENL_CELL_STMTS_UNVOUCHED 32
/* The last places of a log are kept for removals, burns and leaves by
 * people who are or were members: statements of any other kind (or by
 * anyone else) stop this many short of ENL_CELL_STMTS_MAX, so a burn still
 * fits a log that one member filled with everything else they could. */
#define ENL_CELL_EXITS_RESERVED 32
/* A member has at most this many people in the table who were never
 * admitted (their open proposals), so they cannot fill it with throw-away
 * candidates; the rest of their proposals wait. */
#define ENL_CELL_PROPOSALS_PER_AUTHOR 16

typedef enum {
    ENL_CELL_CANDIDATE = 1,     /* proposed, not (yet) admitted */
    ENL_CELL_MEMBER = 2,
    ENL_CELL_REMOVED = 3,       /* was a member: removed, left or burned */
} enl_cell_state;

typedef struct {
    uint8_t sign_pk[32];
    uint8_t dh_pk[32];          /* from the person's card; zeros when none was seen */
    uint32_t gen;               /* changes of state so far */
    enl_cell_state state;
    int burned;
    int left;
    size_t card_stmt;           /* index of the statement with their card; SIZE_MAX if none */
    uint32_t vouches;           /* candidates: vouches that count now */
    uint32_t needed;            /* candidates: vouches needed now */
    size_t brought_by;          /* the ADD that brought them into the table; SIZE_MAX: the founder */
} enl_cell_person;

typedef struct {
    uint8_t cell_id[ENL_CELL_IDBYTES];
    char name[ENL_CELL_NAME_MAX + 1];
    uint8_t admit;
    uint8_t creator[32];
    size_t create_stmt;
    enl_cell_person people[ENL_CELL_PEOPLE_MAX];
    size_t npeople;
    size_t nmembers;
    uint8_t epoch[32];
} enl_cell_view;

/* Computes the view from n parsed statements of one cell, given in the
 * order of their ids (enl_stmt_id). ENL_EMALFORMED when there is no CREATE
 * or statements of another cell are mixed in; ENL_ETOOBIG past
 * ENL_CELL_STMTS_MAX statements. A full table of people is no error: the
 * people left out are not in the view. */
int enl_cell_compute(enl_cell_view *v, const enl_stmt *st, size_t n)
    __attribute__((warn_unused_result));

/* The person with this key, or NULL. */
const enl_cell_person *enl_cell_find(const enl_cell_view *v, const uint8_t sign_pk[32]);

/* 1 when sign_pk is a member in this view. */
int enl_cell_is_member(const enl_cell_view *v, const uint8_t sign_pk[32]);

#endif
