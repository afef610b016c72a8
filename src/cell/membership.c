/* Cell membership from statements; the procedure is described in membership.h. */
#include <sodium.h>
#include <string.h>

#include "cell/membership.h"

static enl_cell_person *person(enl_cell_view *v, const uint8_t sign_pk[32])
{
    for (size_t i = 0; i < v->npeople; i++)
        if (memcmp(v->people[i].sign_pk, sign_pk, 32) == 0) return &v->people[i];
    return NULL;
}

/* A new person, put in key order: the order of the keys is the last
 * tie-break between changes (step). NULL when the table is full. */
static enl_cell_person *insert_person(enl_cell_view *v, const uint8_t sign_pk[32], size_t brought_by)
{
    size_t at = 0;
    enl_cell_person *p;
    if (v->npeople == ENL_CELL_PEOPLE_MAX) return NULL;
    while (at < v->npeople && memcmp(v->people[at].sign_pk, sign_pk, 32) < 0) at++;
    memmove(&v->people[at + 1], &v->people[at], (v->npeople - at) * sizeof v->people[0]);
    v->npeople++;
    p = &v->people[at];
    memset(p, 0, sizeof *p);
    memcpy(p->sign_pk, sign_pk, 32);
    p->card_stmt = SIZE_MAX;
    p->brought_by = brought_by;
    return p;
}

const enl_cell_person *enl_cell_find(const enl_cell_view *v, const uint8_t sign_pk[32])
{
    return person((enl_cell_view *)v, sign_pk);
}

int enl_cell_is_member(const enl_cell_view *v, const uint8_t sign_pk[32])
{
    const enl_cell_person *p = enl_cell_find(v, sign_pk);
    return p != NULL && p->state == ENL_CELL_MEMBER;
}

/* When a statement was made, for ordering: its Lamport clock first (a
 * statement signed after its author learned another comes after it, on
 * every device), then its signed creation time. */
static uint64_t order_key(const enl_stmt *s)
{
    return (uint64_t)s->clock << 32 | (uint32_t)s->created;
}

/* The vouches that count for a change of p: statements of a type in mask
 * about p at p's current generation, by members other than p, each member
 * counted once (their earliest). Returns how many; *when gets the time at
 * which the need-th of them, in order of creation, was signed (when there
 * are that many), *burns how many of the members counted signed a BURN
 * (any of theirs, not only their earliest: a member who asked first for a
 * removal, then learned the device was seized, burns it too). */
static uint32_t count_vouches(const enl_cell_view *v, const enl_stmt *st, size_t n,
                              const enl_cell_person *p, unsigned mask, uint32_t need,
                              uint64_t *when, uint32_t *burns)
{
    uint64_t t[ENL_CELL_PEOPLE_MAX];
    size_t at[ENL_CELL_PEOPLE_MAX];
    uint8_t burned_by[ENL_CELL_PEOPLE_MAX] = { 0 };
    uint32_t count = 0;

    for (size_t i = 0; i < ENL_CELL_PEOPLE_MAX; i++) at[i] = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        const enl_cell_person *a;
        size_t ai;
        if (!(mask & (1u << st[i].type)) || st[i].gen != p->gen ||
            memcmp(st[i].subject_sign, p->sign_pk, 32) != 0)
            continue;
        if (memcmp(st[i].author, p->sign_pk, 32) == 0) continue;   /* not about oneself */
        a = enl_cell_find(v, st[i].author);
        if (a == NULL || a->state != ENL_CELL_MEMBER) continue;
        ai = (size_t)(a - v->people);
        if (at[ai] == SIZE_MAX) count++;
        if (st[i].type == ENL_STMT_BURN) burned_by[ai] = 1;
        if (at[ai] == SIZE_MAX || order_key(&st[i]) < t[ai]) {
            at[ai] = i;
            t[ai] = order_key(&st[i]);
        }
    }
    if (burns != NULL) {
        *burns = 0;
        for (size_t i = 0; i < ENL_CELL_PEOPLE_MAX; i++)
            if (at[i] != SIZE_MAX && burned_by[i]) (*burns)++;
    }
    if (when != NULL && need > 0 && count >= need) {
        /* the need-th smallest creation time among the counted vouches */
        uint64_t w = 0;
        for (uint32_t k = 0; k < need; k++) {
            uint64_t best = UINT64_MAX;
            size_t bi = SIZE_MAX;
            for (size_t i = 0; i < ENL_CELL_PEOPLE_MAX; i++)
                if (at[i] != SIZE_MAX && t[i] < best) {
                    best = t[i];
                    bi = i;
                }
            w = best;
            at[bi] = SIZE_MAX;
        }
        *when = w;
    }
    return count;
}

static uint64_t leave_time(const enl_stmt *st, size_t n, const enl_cell_person *p)
{
    uint64_t t = UINT64_MAX;
    for (size_t i = 0; i < n; i++)
        if (st[i].type == ENL_STMT_LEAVE && st[i].gen == p->gen &&
            memcmp(st[i].author, p->sign_pk, 32) == 0 && order_key(&st[i]) < t)
            t = order_key(&st[i]);
    return t;
}

static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* One change: of those that apply now, the one completed first (by the
 * creation time of the vouch that completed it), then leaves before
 * removals before admissions, then in key order (membership.h). Returns
 * the rule applied (1 leave, 2 removal, 3 admission), 0 when none applies. */
static int step(enl_cell_view *v, const enl_stmt *st, size_t n)
{
    enl_cell_person *best = NULL;
    uint64_t best_t = UINT64_MAX;
    int best_rule = 0, best_burn = 0;

    for (size_t i = 0; i < v->npeople; i++) {
        enl_cell_person *p = &v->people[i];
        uint64_t t = UINT64_MAX;
        uint32_t need, burns = 0;
        int rule = 0, burn = 0;
        if (p->state == ENL_CELL_MEMBER) {
            uint64_t t_out = UINT64_MAX, t_leave = leave_time(st, n, p);
            need = min_u32((uint32_t)(v->nmembers - 1), v->admit);
            /* A removal decided before their LEAVE goes first: a member
             * voted out could otherwise sign a LEAVE later than anything,
             * stay a member until then in every view, and vouch meanwhile. */
            if (need > 0 && count_vouches(v, st, n, p, 1u << ENL_STMT_REMOVE | 1u << ENL_STMT_BURN,
                                          need, &t_out, &burns) >= need &&
                t_out < t_leave) {
                rule = 2;
                t = t_out;
                burn = burns >= need;
            } else if (t_leave != UINT64_MAX) {
                /* one who leaves while enough members burn them is burned
                 * all the same: or a seized device that sees the first
                 * burn vouch leaves before the last, and keeps its keys
                 * trusted on the devices of members who did not vouch */
                rule = 1;
                t = t_leave;
                burn = need > 0 && count_vouches(v, st, n, p, 1u << ENL_STMT_BURN, 0, NULL, NULL) >= need;
            }
        } else if (!p->burned && (need = min_u32((uint32_t)v->nmembers, v->admit)) > 0 &&
                   count_vouches(v, st, n, p, 1u << ENL_STMT_ADD, need, &t, NULL) >= need) {
            rule = 3;
        }
        if (rule == 0) continue;
        if (best == NULL || t < best_t || (t == best_t && rule < best_rule)) {
            best = p;
            best_t = t;
            best_rule = rule;
            best_burn = burn;
        }
    }
    if (best == NULL) return 0;
    if (best_rule == 3) {
        size_t first = SIZE_MAX;
        for (size_t i = 0; i < n && first == SIZE_MAX; i++)
            if (st[i].type == ENL_STMT_ADD && st[i].gen == best->gen &&
                memcmp(st[i].subject_sign, best->sign_pk, 32) == 0)
                first = i;
        best->state = ENL_CELL_MEMBER;
        best->left = 0;
        best->card_stmt = first;
        memcpy(best->dh_pk, st[first].subject_dh, 32);
        v->nmembers++;
    } else {
        best->state = ENL_CELL_REMOVED;
        best->left = best_rule == 1;
        best->burned = best_burn;
        v->nmembers--;
    }
    best->gen++;
    return best_rule;
}

/* Proposals of author still open: people they brought into the table who
 * were never admitted. An admission closes one, so a member who proposes
 * everyone over the years is not stopped; throw-away keys never close. */
static size_t open_proposals(const enl_cell_view *v, const enl_stmt *st, const uint8_t author[32])
{
    size_t k = 0;
    for (size_t i = 0; i < v->npeople; i++)
        if (v->people[i].gen == 0 && v->people[i].brought_by != SIZE_MAX &&
            memcmp(st[v->people[i].brought_by].author, author, 32) == 0)
            k++;
    return k;
}

/* Whether the ADDs at generation 0 for subject, by distinct members now,
 * reach what an admission needs now (min(k, members)). */
static int admissible_now(const enl_cell_view *v, const enl_stmt *st, size_t n, const uint8_t subject[32])
{
    uint32_t need = (uint32_t)v->nmembers < v->admit ? (uint32_t)v->nmembers : v->admit, got = 0;
    for (size_t i = 0; i < n && got < need; i++) {
        int again = 0;
        if (st[i].type != ENL_STMT_ADD || st[i].gen != 0 || memcmp(st[i].subject_sign, subject, 32) != 0 ||
            !enl_cell_is_member(v, st[i].author) || memcmp(st[i].author, subject, 32) == 0)
            continue;
        for (size_t j = 0; j < i && !again; j++)    /* each member once */
            again = st[j].type == ENL_STMT_ADD && st[j].gen == 0 &&
                    memcmp(st[j].subject_sign, subject, 32) == 0 &&
                    memcmp(st[j].author, st[i].author, 32) == 0;
        got += !again;
    }
    return need > 0 && got >= need;
}

/* Brings into the table the people proposed (ADD at generation 0) by
 * those who are members now (all authors when by_anyone), in id order,
 * while their author has fewer than ENL_CELL_PROPOSALS_PER_AUTHOR open
 * proposals and the table has room; the others wait for a later call, or
 * are left out. A REMOVE or BURN brings nobody: one cannot remove someone
 * never added, and a place for each would let one member fill the table
 * with random keys so that nobody new could be admitted. */
static void bring_people(enl_cell_view *v, const enl_stmt *st, size_t n, int by_anyone)
{
    for (size_t i = 0; i < n && v->npeople < ENL_CELL_PEOPLE_MAX; i++) {
        if (st[i].type != ENL_STMT_ADD || st[i].gen != 0 || person(v, st[i].subject_sign) != NULL ||
            (!by_anyone && !enl_cell_is_member(v, st[i].author)))
            continue;
        /* Someone the members have vouched for enough to admit now comes
         * in whatever their proposer's other proposals: or a member's
         * throw-away proposals, sorting first, would keep out, and so undo
         * the admission of, people the cell admitted long ago. */
        if (open_proposals(v, st, st[i].author) >= ENL_CELL_PROPOSALS_PER_AUTHOR &&
            !admissible_now(v, st, n, st[i].subject_sign))
            continue;
        (void)insert_person(v, st[i].subject_sign, i);
    }
}

/* The founding statement: the first CREATE in id order. The cell id
 * covers a CREATE's terms (its k, name and card: statement.h), so any
 * other CREATE for this cell id says the same, and none can weaken it.
 * SIZE_MAX when there is none. */
static size_t founding(const enl_stmt *st, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (st[i].type == ENL_STMT_CREATE) return i;
    return SIZE_MAX;
}

int enl_cell_compute(enl_cell_view *v, const enl_stmt *st, size_t n)
{
    const enl_stmt *c;
    enl_card card;
    crypto_generichash_state h;

    memset(v, 0, sizeof *v);
    if (n > ENL_CELL_STMTS_MAX) return ENL_ETOOBIG;
    if ((v->create_stmt = founding(st, n)) == SIZE_MAX) return ENL_EMALFORMED;
    c = &st[v->create_stmt];
    memcpy(v->cell_id, c->cell_id, ENL_CELL_IDBYTES);
    memcpy(v->name, c->name, sizeof v->name);
    memcpy(v->creator, c->author, 32);
    v->admit = c->admit;
    for (size_t i = 0; i < n; i++)
        if (memcmp(st[i].cell_id, v->cell_id, ENL_CELL_IDBYTES) != 0) return ENL_EMALFORMED;

    {
        enl_cell_person *founder = insert_person(v, c->author, SIZE_MAX);
        founder->state = ENL_CELL_MEMBER;
        founder->gen = 1;
        founder->card_stmt = v->create_stmt;
        if (enl_card_parse(&card, c->card, c->card_len, 0) == ENL_OK)
            memcpy(founder->dh_pk, card.dh_pk, 32);
        sodium_memzero(&card, sizeof card);     /* the founder's name and keys */
        v->nmembers = 1;
    }
    /* While the membership is worked out, only members' proposals take a
     * place: an ADD by anyone else cannot count (count_vouches), and its
     * place could keep a member's proposal out (a member can put ADDs by
     * keys of their own in a log). Only an admission makes a new proposer
     * or closes a proposal, so only then can someone new come in. */
    bring_people(v, st, n, 0);
    for (size_t changes = 0; changes <= n; changes++) {
        int rule = step(v, st, n);
        if (rule == 0) break;
        if (rule == 3) bring_people(v, st, n, 0);
    }
    /* Then the others' proposals, in the room left, to be shown as
     * candidates: they change nothing any more. */
    bring_people(v, st, n, 1);
    /* Everyone else: a candidate when an ADD names them at their current
     * generation, else removed (they were a member once). */
    for (size_t i = 0; i < v->npeople; i++) {
        enl_cell_person *p = &v->people[i];
        uint32_t k = v->admit;
        size_t named = SIZE_MAX;
        if (p->state == ENL_CELL_MEMBER) continue;
        for (size_t j = 0; j < n && named == SIZE_MAX; j++)
            if (st[j].type == ENL_STMT_ADD && st[j].gen == p->gen &&
                memcmp(st[j].subject_sign, p->sign_pk, 32) == 0)
                named = j;
        if (named != SIZE_MAX && !p->burned) {
            p->state = ENL_CELL_CANDIDATE;
            p->vouches = count_vouches(v, st, n, p, 1u << ENL_STMT_ADD, 0, NULL, NULL);
            p->needed = (uint32_t)v->nmembers < k ? (uint32_t)v->nmembers : k;
            if (p->card_stmt == SIZE_MAX) {
                p->card_stmt = named;
                memcpy(p->dh_pk, st[named].subject_dh, 32);
            }
        } else if (p->gen > 0) {
            p->state = ENL_CELL_REMOVED;
        }
    }
    crypto_generichash_init(&h, NULL, 0, 32);
    crypto_generichash_update(&h, v->cell_id, ENL_CELL_IDBYTES);
    for (size_t i = 0; i < v->npeople; i++) {
        uint8_t g[4];
        if (v->people[i].state != ENL_CELL_MEMBER) continue;
        g[0] = (uint8_t)(v->people[i].gen >> 24);
        g[1] = (uint8_t)(v->people[i].gen >> 16);
        g[2] = (uint8_t)(v->people[i].gen >> 8);
        g[3] = (uint8_t)v->people[i].gen;
        crypto_generichash_update(&h, v->people[i].sign_pk, 32);
        crypto_generichash_update(&h, g, 4);
    }
    crypto_generichash_final(&h, v->epoch, 32);
    return ENL_OK;
}
