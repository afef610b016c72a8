/*
 * Counting X25519 operations, not assuming them. A program that includes
 * this header defines crypto_scalarmult and crypto_scalarmult_base itself,
 * so the library linked into it (libenlace.a) calls these wrappers, which
 * count and forward to libsodium's own functions, found with
 * dlsym(RTLD_NEXT). real_sm / real_smb call libsodium directly (for the
 * baselines). Include it in one .c file only, and call counting_init()
 * before any X25519.
 */
#ifndef ENL_BENCH_COUNT_X25519_H
#define ENL_BENCH_COUNT_X25519_H

#include <dlfcn.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*sm_fn)(unsigned char *, const unsigned char *, const unsigned char *);
typedef int (*smb_fn)(unsigned char *, const unsigned char *);
static sm_fn real_sm;
static smb_fn real_smb;
static unsigned long n_var, n_base;   /* variable-base and fixed-base calls */

int crypto_scalarmult(unsigned char *q, const unsigned char *n, const unsigned char *p)
{
    n_var++;
    return real_sm(q, n, p);
}

int crypto_scalarmult_base(unsigned char *q, const unsigned char *n)
{
    n_base++;
    return real_smb(q, n);
}

static inline void counting_init(void)
{
    real_sm = (sm_fn)dlsym(RTLD_NEXT, "crypto_scalarmult");
    real_smb = (smb_fn)dlsym(RTLD_NEXT, "crypto_scalarmult_base");
    if (real_sm == NULL || real_smb == NULL) {
        fprintf(stderr, "bench: cannot find libsodium's crypto_scalarmult (linked statically?)\n");
        exit(1);
    }
}

static inline void count_reset(void)
{
    n_var = n_base = 0;
}

#endif
