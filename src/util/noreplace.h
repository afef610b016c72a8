/* Naming a finished file without replacing one that is there. */
#ifndef ENL_UTIL_NOREPLACE_H
#define ENL_UTIL_NOREPLACE_H

/* Gives the file tmp the name path, refusing (-1, errno EEXIST) a path that
 * exists; tmp keeps its name when refused. 0 when done, -1 with errno
 * otherwise. rename with RENAME_NOREPLACE does it in one step, on vfat too
 * (which has no hard links, so link alone would always fail there); link
 * is for file systems that do not know the flag; and where neither works,
 * the name is looked up just before it is replaced. */
int enl_rename_noreplace(const char *tmp, const char *path);

#endif
