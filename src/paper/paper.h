/*
 * Paper: a note written out as a page a person can copy by hand, and read
 * back from what they typed. Pure: no I/O, no allocation, caller-owned
 * buffers; the page is parsed as hostile input.
 *
 * A note (any byte string of 1..ENL_NOTE_MAX bytes) is cut into pages of
 * at most ENL_PAPER_PAGE_LINES numbered lines. Each page begins with a
 * header line, each line ends with two check characters:
 *
 *   ENLACE PAPER 1  NOTE 1/1  PAGE 1/1  BYTES 352  ID 12EE598D  7K
 *   01  ABCDE FGHJK MNPQR STVWX YZ012 34567 89ABC DEFGH JKMNP  Q3
 *   ...
 *
 * Data lines hold 9 groups of 5 Crockford base32 characters (the last line
 * fewer). The check characters are CRC-10 (the ATM polynomial x^10 + x^9 +
 * x^5 + x^4 + x + 1) over the note's id prefix, the page number, the line
 * number and the line's characters as 5-bit values. A CRC of degree 10
 * detects every error confined to 10 consecutive bits, so every single
 * character substitution and every swap of two neighbouring characters is
 * found, and the line that holds it is named; a line moved to another place
 * or page fails too, because its place is part of what is checked. The
 * header's check is the same CRC over its canonical text. ID is the first
 * four bytes of the note id (BLAKE2b-256 of the note): the final check over
 * the whole note, and what ties the pages of one note together.
 *
 * Reading forgives case, spaces, tabs, hyphens, blank lines, O for 0 and
 * I or L for 1. The lines of a page must come in order: a missing, swapped,
 * duplicated or extra line is named, not silently repaired. These checks
 * find copying mistakes; they are not security: the note itself is
 * authenticated when it is opened.
 */
#ifndef ENL_PAPER_PAPER_H
#define ENL_PAPER_PAPER_H

#include <stddef.h>
#include <stdint.h>

#include "enlace.h"
#include "note/note.h"
#include "util/base32.h"

#define ENL_PAPER_VERSION       1
#define ENL_PAPER_GROUP         5    /* characters in a group */
#define ENL_PAPER_GROUPS        9    /* groups in a full line */
#define ENL_PAPER_LINE_SYMBOLS  (ENL_PAPER_GROUP * ENL_PAPER_GROUPS)
#define ENL_PAPER_CHECK         2    /* check characters at the end of a line */
#define ENL_PAPER_PAGE_LINES    30   /* data lines on a full page */
#define ENL_PAPER_PAGE_SYMBOLS  (ENL_PAPER_LINE_SYMBOLS * ENL_PAPER_PAGE_LINES)
#define ENL_PAPER_IDPREFIX      4    /* bytes of the note id in the header */
#define ENL_PAPER_NOTES_MAX     9999 /* NOTE i/n: notes written together */
#define ENL_PAPER_INPUT_LINE_MAX 256 /* a longer input line is refused */
/* "NN  " + 9 groups with 8 spaces + "  CC" + "\n" */
#define ENL_PAPER_DATA_LINE_MAX (4 + ENL_PAPER_LINE_SYMBOLS + ENL_PAPER_GROUPS - 1 + 4 + 1)
#define ENL_PAPER_HEADER_MAX    96   /* a header line with its newline */
/* The padding floor a note sealed for paper asks for (send --paper). */
#define ENL_PAPER_PAD_FLOOR     ENL_PAD_FLOOR_MIN

_Static_assert(ENL_PAPER_PAGE_LINES <= 99, "line numbers are two digits");
_Static_assert(ENL_PAPER_DATA_LINE_MAX == 62, "data line layout");
#define ENL_PAPER_SYMBOLS_MAX   ENL_BASE32_LEN(ENL_NOTE_MAX)
_Static_assert((ENL_PAPER_SYMBOLS_MAX + ENL_PAPER_PAGE_SYMBOLS - 1) / ENL_PAPER_PAGE_SYMBOLS <= 255,
               "page numbers fit a byte");

/* What the reader found wrong; each has a message naming the line. */
typedef enum {
    ENL_PAPER_R_NONE = 0,
    ENL_PAPER_R_UNREADABLE,     /* not a header or a numbered line, or a foreign character */
    ENL_PAPER_R_LINE_CHECK,     /* a line does not check: a copying mistake */
    ENL_PAPER_R_LINE_LENGTH,    /* a line has too few or too many characters */
    ENL_PAPER_R_LINE_ORDER,     /* a line out of its place (one missing, or lines swapped) */
    ENL_PAPER_R_LINE_TWICE,     /* the same line twice */
    ENL_PAPER_R_LINE_EXTRA,     /* a line number beyond the page's last line */
    ENL_PAPER_R_LINES_MISSING,  /* lines never found */
    ENL_PAPER_R_NO_HEADER,      /* a numbered line before any page header */
    ENL_PAPER_R_HEADER,         /* a header line that cannot be read */
    ENL_PAPER_R_HEADER_CHECK,   /* a header line that does not check */
    ENL_PAPER_R_VERSION,        /* a page of another format version */
    ENL_PAPER_R_TOOBIG,         /* a header that announces more than a note can hold */
    ENL_PAPER_R_PAGE_ORDER,     /* a page out of its place */
    ENL_PAPER_R_PAGES_MISSING,  /* pages of a note never found */
    ENL_PAPER_R_NOTE_CHECK,     /* every line checks but the note as a whole does not */
    ENL_PAPER_R_NOTE_ORDER,     /* NOTE i/n out of sequence */
    ENL_PAPER_R_NOTES_MISSING,  /* NOTE i/n: notes never found */
} enl_paper_reason;

typedef struct {
    int code;               /* ENL_ECHECKSUM, ENL_EMALFORMED, ENL_EVERSION, ENL_ETOOBIG */
    int warning;            /* 1: nothing was refused (NOTE i/n out of sequence) */
    enl_paper_reason reason;
    size_t line;            /* 1-based line of the input text; 0: at the end of the input */
    unsigned page;          /* the page as printed in its header; 0 when unknown */
    unsigned label;         /* the line number printed on the page; 0 for a header */
    char msg[160];          /* "line 7 of page 1 does not check: a copying mistake" */
} enl_paper_error;

typedef struct {
    unsigned index, count;  /* NOTE index/count of its header */
    unsigned pages;
    size_t line;            /* input line of its first header */
    uint8_t id_prefix[ENL_PAPER_IDPREFIX];
} enl_paper_note_info;

/* Where a reader sends what it finds. Either function may be NULL. The
 * note pointer is valid during the call only. */
typedef struct {
    void (*note)(void *ctx, const uint8_t *note, size_t len, const enl_paper_note_info *info);
    void (*error)(void *ctx, const enl_paper_error *e);
    void *ctx;
} enl_paper_sink;

/* Characters enl_paper_encode needs for a note of note_len bytes, the
 * terminating NUL included; 0 when note_len is 0 or above ENL_NOTE_MAX. */
size_t enl_paper_text_max(size_t note_len);

/* Pages and printed lines (headers included, blank lines not) of a note. */
void enl_paper_measure(size_t note_len, unsigned *pages, unsigned *lines);

/* Writes every page of one note, the index-th of count notes written
 * together (1-based), each page followed by a blank line, then a NUL.
 * *out_len gets the length without the NUL. ENL_EBUFSIZE when out_max is
 * short of enl_paper_text_max(note_len). */
int enl_paper_encode(char *out, size_t out_max, size_t *out_len, const uint8_t *note,
                     size_t note_len, unsigned index, unsigned count)
    __attribute__((warn_unused_result));

/* Reads pages from text (len bytes, not NUL-terminated; any number of
 * notes and pages). Calls sink->note for every note whose every line and
 * whose whole checks, and sink->error for every problem found (at most one
 * per input line, plus what is missing at the end). buf is scratch for the
 * note being read. Returns ENL_OK when nothing was wrong (warnings aside),
 * else the code of the first error; the notes that checked were delivered
 * all the same. */
int enl_paper_decode(const char *text, size_t len, uint8_t buf[static ENL_NOTE_MAX],
                     const enl_paper_sink *sink);

/* CRC-10/ATM over bytes (check value of "123456789": 0x199). */
uint16_t enl_crc10(const uint8_t *in, size_t len);

#endif
