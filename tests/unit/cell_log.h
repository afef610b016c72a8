/*
 * A cell's log built statement by statement, for the pure membership tests
 * (test_cells, test_cell_rules): each statement signed and kept with its
 * id, and the view computed from the log in id order, as devices keep it.
 * A test program may define CELL_LOG_MAX (statements a log holds; 64 when
 * not) before it includes this, after cmocka.h.
 */
#ifndef ENL_TEST_CELL_LOG_H
#define ENL_TEST_CELL_LOG_H

#include <stdlib.h>
#include <string.h>

#include "cell/membership.h"
#include "cell/statement.h"

#ifndef CELL_LOG_MAX
#define CELL_LOG_MAX 64
#endif

typedef struct {
    uint8_t buf[ENL_STMT_MAXBYTES];
    size_t len;
    uint8_t id[32];
} raw_stmt;

typedef struct {
    raw_stmt s[CELL_LOG_MAX];
    size_t n;
    uint8_t cell_id[32];
    uint8_t salt[16];
} log_t;

/* n identities made at one fixed time, and their cards under names. */
static inline int log_people(enl_identity *who, char (*card)[ENL_CARD_TEXTMAX],
                             const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        if (enl_identity_generate(&who[i], 1790000000) != ENL_OK) return -1;
        if (enl_card_make(card[i], ENL_CARD_TEXTMAX, &who[i], names[i], NULL, 1790000000) != ENL_OK)
            return -1;
    }
    return 0;
}

/* Signs s (into the log's cell) as author and appends it. */
static inline void log_emit(log_t *l, enl_stmt *s, const enl_identity *author)
{
    raw_stmt *r = &l->s[l->n++];
    assert_true(l->n <= CELL_LOG_MAX);
    memcpy(s->cell_id, l->cell_id, 32);
    assert_int_equal(enl_stmt_make(r->buf, &r->len, s, author), ENL_OK);
    enl_stmt_id(r->id, r->buf, r->len);
}

static inline int log_by_id(const void *a, const void *b)
{
    return memcmp(((const raw_stmt *)a)->id, ((const raw_stmt *)b)->id, 32);
}

/* Parses the log in id order and computes the view. */
static inline int log_compute(const log_t *l, enl_cell_view *v)
{
    raw_stmt *sorted = malloc(l->n * sizeof *sorted);
    enl_stmt *st = malloc(l->n * sizeof *st);
    int rc;
    assert_non_null(sorted);
    assert_non_null(st);
    memcpy(sorted, l->s, l->n * sizeof *sorted);
    qsort(sorted, l->n, sizeof *sorted, log_by_id);
    for (size_t i = 0; i < l->n; i++)
        assert_int_equal(enl_stmt_parse(&st[i], sorted[i].buf, sorted[i].len), ENL_OK);
    rc = enl_cell_compute(v, st, l->n);
    free(st);
    free(sorted);
    return rc;
}

#endif
