/*
 * Helpers shared by the bench/ programs (each bench/NAME.c is one program,
 * so these are static inline in a header rather than a library).
 *
 * Every program prints its results as lines "key<TAB>value" on standard
 * output, and nothing else there: bench/run.sh collects them from several
 * runs, takes medians and writes docs/BENCHMARKS.md. Progress and errors go
 * to standard error. A program exits 1 when the work failed (a figure from a
 * failed run would be a lie), 0 otherwise; targets are reported, never
 * asserted.
 */
#ifndef ENL_BENCH_H
#define ENL_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "enlace.h"

/* The passphrase of every bench profile. */
#define BENCH_PASS "bench passphrase, not a secret"

static inline double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Peak resident memory of this process so far, in KiB. */
static inline long bench_maxrss_kib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
    return ru.ru_maxrss;
}

static inline void bench_put(const char *key, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void bench_put(const char *key, const char *fmt, ...)
{
    va_list ap;
    printf("%s\t", key);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static inline void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void bench_note(const char *fmt, ...)
{
    va_list ap;
    fputs("bench: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static inline void bench_die(const char *what, int rc, const enl_profile *p)
    __attribute__((noreturn));
static inline void bench_die(const char *what, int rc, const enl_profile *p)
{
    const char *detail = p != NULL ? enl_profile_errmsg(p) : "";
    fprintf(stderr, "bench: %s: %s%s%s\n", what, enl_strerror(rc), *detail ? ": " : "", detail);
    exit(1);
}

#define BENCH_CHECK(call, what, p)                  \
    do {                                            \
        int bench_rc_ = (call);                     \
        if (bench_rc_ != ENL_OK) bench_die((what), bench_rc_, (p)); \
    } while (0)

static inline void bench_rmtree(const char *path);

/* The temporary folder of this program, removed at exit by the process
 * that made it (not by a forked child that exits). */
static char *bench_tmp_path;
static pid_t bench_tmp_owner;

static inline void bench_tmp_cleanup(void)
{
    if (bench_tmp_path != NULL && getpid() == bench_tmp_owner) bench_rmtree(bench_tmp_path);
}

/* A fresh temporary folder under $TMPDIR (or /tmp), removed at exit; the
 * path is malloc'd. One per program. */
static inline char *bench_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char *path;
    if (base == NULL || *base == '\0') base = "/tmp";
    if (asprintf(&path, "%s/enlace-bench-%s.XXXXXX", base, tag) < 0) exit(1);
    if (mkdtemp(path) == NULL) {
        fprintf(stderr, "bench: mkdtemp %s: %s\n", path, strerror(errno));
        exit(1);
    }
    if (bench_tmp_path == NULL) {
        bench_tmp_path = strdup(path);
        bench_tmp_owner = getpid();
        atexit(bench_tmp_cleanup);
    }
    return path;
}

static inline int bench_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* rm -rf path. */
static inline void bench_rmtree(const char *path)
{
    if (path != NULL) (void)nftw(path, bench_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A new profile in a new folder inside parent (Argon2id at the interactive
 * cost: the unlock is measured elsewhere, by the CLI rows). */
static inline enl_profile *bench_profile(const char *parent, const char *name)
{
    enl_profile *p = NULL;
    char *home;
    if (asprintf(&home, "%s/%s", parent, name) < 0) exit(1);
    BENCH_CHECK(enl_profile_create(&p, home, name, BENCH_PASS, strlen(BENCH_PASS),
                                   ENL_KDF_INTERACTIVE), "profile create", NULL);
    free(home);
    return p;
}

/* Each adds the other's card under the other's own name. */
static inline void bench_introduce(enl_profile *a, enl_profile *b)
{
    char *ca = NULL, *cb = NULL;
    enl_contact_info ci;
    BENCH_CHECK(enl_profile_card(a, &ca), "card", a);
    BENCH_CHECK(enl_profile_card(b, &cb), "card", b);
    BENCH_CHECK(enl_contact_add(a, cb, NULL, &ci), "contact add", a);
    BENCH_CHECK(enl_contact_add(b, ca, NULL, &ci), "contact add", b);
    free(ca);
    free(cb);
}

static inline int bench_count_cb(const enl_message *m, void *ctx)
{
    (void)m;
    (*(uint64_t *)ctx)++;
    return 0;
}

/* Messages from contacts in p's inbox. */
static inline uint64_t bench_inbox_count(enl_profile *p)
{
    uint64_t n = 0;
    BENCH_CHECK(enl_inbox_each(p, ENL_INBOX_KEEP_NEW, bench_count_cb, &n), "inbox", p);
    return n;
}

/* A 100-byte (or any length) text that differs for every i. */
static inline void bench_text(char *buf, size_t len, unsigned long i)
{
    int n = snprintf(buf, len + 1, "message %08lu ", i);
    for (size_t k = (size_t)n; k < len; k++) buf[k] = (char)('a' + (k + i) % 26);
    buf[len] = '\0';
}

/* Works 2 and 3: A of each pair seals its share of the n messages to "b",
 * in groups of 256 (enl_profile_batch_begin): one sync to the disk per
 * group, as an application sending many messages would. */
static inline void bench_seal_all(enl_profile **a, unsigned long pairs, unsigned long n,
                                  char *text, size_t size)
{
    for (unsigned long k = 0; k < pairs; k++)
        for (unsigned long i = 0; i < n / pairs; i++) {
            bench_text(text, size, k * (n / pairs) + i);
            if (i % 256 == 0) BENCH_CHECK(enl_profile_batch_begin(a[k]), "batch", a[k]);
            BENCH_CHECK(enl_send_text(a[k], "b", (const uint8_t *)text, size, NULL, NULL), "send",
                        a[k]);
            if (i % 256 == 255 || i + 1 == n / pairs)
                BENCH_CHECK(enl_profile_batch_commit(a[k]), "batch", a[k]);
        }
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline double bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
