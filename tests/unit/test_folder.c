/*
 * Unit tests for src/transport/folder: enl_folder_rewrite, which turns a
 * file the caller is done with (a delivered note in a dead drop) into a new
 * one by reusing its inode. A dead drop is shared with strangers: whatever
 * they put under the old name (a link to another file, a symbolic link, a
 * folder) must never be written through, and the old name is gone after.
 *
 * And what a sync writes there, every account the folder lets in can read
 * (mode 0644 less the umask): a folder shared between accounts, or a stick
 * formatted ext4 that goes between computers, must carry notes from one to
 * the other. Private files (0600) were skipped by every other account.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enlace.h"
#include "transport/folder.h"

static char dir[64];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/enl-folder-XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    (void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void assert_content(const char *name, const char *text)
{
    uint8_t buf[256];
    size_t len = 0;
    assert_int_equal(enl_folder_read(dir, name, buf, sizeof buf, &len), ENL_OK);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(buf, text, len);
}

static void assert_gone(const char *name)
{
    char path[256];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_not_equal(lstat(path, &sb), 0);
}

static int count_cb(void *ctx, const char *name)
{
    (void)name;
    (*(int *)ctx)++;
    return 0;
}

static int count_entries(void)
{
    int n = 0;
    assert_int_equal(enl_folder_list(dir, count_cb, &n), ENL_OK);
    return n;
}

static const struct timespec when = { 1700000000, 123456000 };

static void test_rewrite_reuses_the_file(void **state)
{
    char path[256];
    struct stat before, after;
    (void)state;
    snprintf(path, sizeof path, "%s/old.note", dir);
    put(path, "a long note that is longer than what replaces it");
    assert_int_equal(stat(path, &before), 0);
    assert_int_equal(enl_folder_rewrite(dir, "old.note", "new.purge", (const uint8_t *)"purge", 5,
                                        &when), ENL_OK);
    assert_gone("old.note");
    assert_content("new.purge", "purge");
    snprintf(path, sizeof path, "%s/new.purge", dir);
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(after.st_ino, before.st_ino);
    assert_int_equal(after.st_mtim.tv_sec, when.tv_sec);
    assert_int_equal(after.st_mtim.tv_nsec, when.tv_nsec);
}

static void test_rewrite_without_old_writes_fresh(void **state)
{
    (void)state;
    assert_int_equal(enl_folder_rewrite(dir, "missing.note", "new.purge", (const uint8_t *)"p", 1,
                                        NULL), ENL_OK);
    assert_content("new.purge", "p");
}

/* A stranger put a link to another file of ours under the old name (made
 * by make_link: link or symlink): the file is never written through, and
 * nothing is left half way. */
static void rewrite_over_link(int (*make_link)(const char *, const char *))
{
    char victim[256], old[256];
    snprintf(victim, sizeof victim, "%s/victim", dir);
    snprintf(old, sizeof old, "%s/old.note", dir);
    put(victim, "precious");
    assert_int_equal(make_link(victim, old), 0);
    assert_int_equal(enl_folder_rewrite(dir, "old.note", "new.purge", (const uint8_t *)"purge", 5,
                                        NULL), ENL_OK);
    assert_content("victim", "precious");
    assert_content("new.purge", "purge");
    assert_gone("old.note");
    assert_int_equal(count_entries(), 2);
}

static void test_rewrite_never_writes_through_a_hard_link(void **state)
{
    (void)state;
    rewrite_over_link(link);
}

static void test_rewrite_never_follows_a_symbolic_link(void **state)
{
    (void)state;
    rewrite_over_link(symlink);
}

static void test_rewrite_over_a_folder(void **state)
{
    char old[256];
    (void)state;
    snprintf(old, sizeof old, "%s/old.note", dir);
    assert_int_equal(mkdir(old, 0700), 0);
    assert_int_equal(enl_folder_rewrite(dir, "old.note", "new.purge", (const uint8_t *)"purge", 5,
                                        NULL), ENL_OK);
    assert_content("new.purge", "purge");
    assert_int_equal(count_entries(), 2);   /* the folder (left as it was) and the purge */
}

static mode_t mode_of(const char *name)
{
    char path[256];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(lstat(path, &sb), 0);
    return sb.st_mode & 07777;
}

static void test_written_files_are_readable_by_others(void **state)
{
    (void)state;
    assert_int_equal(enl_folder_write(dir, "a.note", (const uint8_t *)"note", 4, &when), ENL_OK);
    assert_int_equal(mode_of("a.note"), 0644);
    assert_int_equal(enl_folder_write_atomic(dir, "b.burn", (const uint8_t *)"burn", 4), ENL_OK);
    assert_int_equal(mode_of("b.burn"), 0644);
    assert_int_equal(enl_folder_rewrite(dir, "missing.note", "c.purge", (const uint8_t *)"p", 1,
                                        NULL), ENL_OK);
    assert_int_equal(mode_of("c.purge"), 0644);
    /* the umask still has its say */
    umask(077);
    assert_int_equal(enl_folder_write(dir, "d.note", (const uint8_t *)"note", 4, NULL), ENL_OK);
    umask(022);
    assert_int_equal(mode_of("d.note"), 0600);
}

/* A delivered note written private (as enlace once wrote them) does not
 * become a purge that other accounts cannot read. */
static void test_rewrite_of_a_private_file(void **state)
{
    char path[256];
    (void)state;
    snprintf(path, sizeof path, "%s/old.note", dir);
    put(path, "a note written private");
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(enl_folder_rewrite(dir, "old.note", "new.purge", (const uint8_t *)"purge", 5,
                                        &when), ENL_OK);
    assert_gone("old.note");
    assert_content("new.purge", "purge");
    assert_int_equal(mode_of("new.purge"), 0644);
    assert_int_equal(count_entries(), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rewrite_reuses_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrite_without_old_writes_fresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrite_never_writes_through_a_hard_link, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rewrite_never_follows_a_symbolic_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrite_over_a_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_written_files_are_readable_by_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrite_of_a_private_file, setup, teardown),
    };
    umask(022);   /* the usual one: modes below are what it leaves */
    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
