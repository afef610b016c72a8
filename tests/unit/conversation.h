/*
 * Two people writing to each other through real profiles, with the clock
 * moved (ENLACE_NOW) to let notes expire: for the tests of what a session
 * survives (lost notes, clocks, restarted chains). Include after
 * profiles.h, with core/send.h and core/session.h.
 */
#ifndef ENL_TEST_CONVERSATION_H
#define ENL_TEST_CONVERSATION_H

#include "util/secmem.h"

#define T0 1790000000ull
#define DAY 86400ull
#define HOUR 3600ull

/* Every profile's clock says t from now on. */
static inline void at(uint64_t t)
{
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)t);
    setenv("ENLACE_NOW", v, 1);
}

/* Seals text to `to`, living `hours` (0: the default); id gets the note. */
static inline void say_for(enl_profile *from, const char *to, const char *text, uint32_t hours,
                           uint8_t id[ENL_IDBYTES])
{
    enl_send_opts o = { hours, 0, 0 };
    assert_int_equal(enl_send_text(from, to, (const uint8_t *)text, strlen(text),
                                   hours ? &o : NULL, id), ENL_OK);
}

static inline void say(enl_profile *from, const char *to, const char *text,
                       uint8_t id[ENL_IDBYTES])
{
    say_for(from, to, text, 0, id);
}

/* say, then hand the note over */
static inline void tell(enl_profile *from, const char *to, enl_profile *reader, const char *text)
{
    uint8_t id[ENL_IDBYTES];
    say(from, to, text, id);
    give(from, reader, id);
}

/* ana and beto meet and write once each way: ana has read beto's reply,
 * so her next note begins a new chain of hers, which beto has not entered. */
static inline void greet(enl_profile *ana, enl_profile *beto)
{
    introduce(ana, "ana", beto, "beto");
    tell(ana, "beto", beto, "hola");
    tell(beto, "ana", ana, "hola ana");
}

/* How many times p began again its sending chain to peer (role: 1 when p
 * started the session). */
static inline uint32_t restarts_of(enl_profile *p, enl_profile *peer, int role)
{
    enl_session *s = enl_secmem_alloc(sizeof *s);
    uint8_t h[32];
    uint32_t n;
    assert_non_null(s);
    enl_session_key(p, peer->id->dh_pk, role, h);
    assert_int_equal(enl_session_load(p, h, s), ENL_OK);
    n = s->r.restarts;
    enl_secmem_free(s);
    return n;
}

#endif
