/* Where a command may write a file it is asked to (paper export's pages
 * and codes, files save's file). */
#ifndef ENL_CLI_OUTPATH_H
#define ENL_CLI_OUTPATH_H

/* Checked before the unlock: 0, or said (prefixed by what, the command)
 * and 1. Refused, even with force: a path in the profile's own folder,
 * where the file could replace the profile's database (its keys and every
 * message gone) or lie beside it. Refused without force: a regular file
 * that exists (force replaces it). "-" (standard output) and a path that
 * is no regular file (a fifo, /dev/stdout) pass: they are written into. */
int cli_check_output(const char *what, const char *path, int force);

#endif
