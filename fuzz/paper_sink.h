/* The sink the paper and QR fuzz targets hand notes and errors to: a note
 * must be whole and match the id its codes or lines gave, an error must
 * say what went wrong. Either way the run stops (abort) when not. */
#ifndef ENL_FUZZ_PAPER_SINK_H
#define ENL_FUZZ_PAPER_SINK_H

#include <stdlib.h>
#include <string.h>

#include "enlace.h"
#include "paper/qr.h"

static void on_note(void *ctx, const uint8_t *note, size_t len, const enl_paper_note_info *info)
{
    uint8_t id[ENL_IDBYTES];
    (void)ctx;
    enl_note_id(id, note, len);
    if (len == 0 || len > ENL_NOTE_MAX || memcmp(id, info->id_prefix, ENL_PAPER_IDPREFIX) != 0) abort();
}

static void on_error(void *ctx, const enl_paper_error *e)
{
    (void)ctx;
    if (e->msg[0] == '\0' || e->code == ENL_OK) abort();
}

#endif
