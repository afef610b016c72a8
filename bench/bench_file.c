/*
 * Work 4 of issue 9: a large file from A to B through a dead-drop folder,
 * in the library. A seals it with enl_send_file (hash, then seal 64 parts
 * a transaction), A syncs with the folder (writes the notes), B syncs with
 * it (recognises, opens and stores every part, encrypted), and B writes
 * the file out with enl_file_save (streamed out of the store, checked
 * against the hash); the result is compared with the original. The peers
 * (age, GnuPG, NNCP) are run by bench/run.sh on a file of the same size.
 *
 *   bench_file [MIB]   default 256
 *
 * A and B first exchange a text each way, so that the file goes in session
 * notes as it would between people who talk. The random file is written
 * before anything is timed. Peak memory is this process's (A and B in one
 * process): the whole run's, which the profiles' Argon2id dominates, and
 * the file work's own, phase by phase (the peak is reset after the
 * profiles are open and after each phase).
 *
 * It also measures, on blocks the size of a full part's note, the pace of
 * the two primitives every part goes through: XChaCha20-Poly1305 (the
 * ratchet's AEAD, and the store's) and BLAKE2b (a note's id, a file's hash).
 * bench/run.sh prices enlace's passes with them, so that BENCHMARKS.md says
 * how close the file work runs to what its construction allows, and what
 * the least a content-addressed, encrypted note can cost is.
 */
#include <fcntl.h>
#include <sodium.h>

#include "bench.h"

static void make_file(const char *path, uint64_t bytes)
{
    uint8_t *buf = malloc(1 << 20), seed[32] = { 7 };
    FILE *f = fopen(path, "wb");
    if (buf == NULL || f == NULL) bench_die("scratch file", ENL_EIO, NULL);
    for (uint64_t done = 0, i = 0; done < bytes; done += 1 << 20, i++) {
        size_t n = bytes - done < (1 << 20) ? (size_t)(bytes - done) : (1 << 20);
        seed[1] = (uint8_t)i;
        seed[2] = (uint8_t)(i >> 8);
        randombytes_buf_deterministic(buf, n, seed);
        if (fwrite(buf, 1, n, f) != n) bench_die("scratch file", ENL_EIO, NULL);
    }
    if (fclose(f) != 0) bench_die("scratch file", ENL_EIO, NULL);
    free(buf);
}

/* Peak resident memory since the last reset, in KiB (VmHWM). The profiles'
 * Argon2id (64 MiB at the interactive cost) would otherwise hide what the
 * file work itself takes, so the peak is reset (clear_refs 5) once they are
 * open. -1 when the kernel does not say. */
static long peak_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    if (f == NULL) return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmHWM: %ld kB", &v) == 1) break;
    fclose(f);
    return v;
}

static void peak_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f == NULL) return;
    fputs("5", f);
    fclose(f);
}

/* MiB/s of the AEAD and of the hash over the same bytes, in this run. */
static void primitive_pace(unsigned long mib)
{
    enum { BLOCK = 65535 };
    size_t n = (size_t)((uint64_t)(mib < 256 ? mib : 256) << 20) / BLOCK + 1;
    uint8_t *in = malloc(BLOCK), *out = malloc(BLOCK + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES], h[32];
    double t, mibs = (double)n * BLOCK / 1048576.0;

    if (in == NULL || out == NULL) bench_die("primitives", ENL_ENOMEM, NULL);
    randombytes_buf(in, BLOCK);
    randombytes_buf(key, sizeof key);
    randombytes_buf(nonce, sizeof nonce);
    t = bench_now();
    for (size_t i = 0; i < n; i++) {
        nonce[0] = (uint8_t)i;
        crypto_aead_xchacha20poly1305_ietf_encrypt(out, NULL, in, BLOCK, NULL, 0, NULL, nonce, key);
    }
    bench_put("aead_mibs", "%.0f", mibs / (bench_now() - t));
    t = bench_now();
    for (size_t i = 0; i < n; i++) crypto_generichash(h, sizeof h, in, BLOCK, NULL, 0);
    bench_put("blake2b_mibs", "%.0f", mibs / (bench_now() - t));
    free(in);
    free(out);
}

static int same_files(const char *a, const char *b)
{
    FILE *x = fopen(a, "rb"), *y = fopen(b, "rb");
    static uint8_t p[1 << 16], q[1 << 16];
    int same = x != NULL && y != NULL;
    while (same) {
        size_t n = fread(p, 1, sizeof p, x), m = fread(q, 1, sizeof q, y);
        if (n != m || memcmp(p, q, n) != 0) same = 0;
        if (n == 0) break;
    }
    if (x) fclose(x);
    if (y) fclose(y);
    return same;
}

static int first_id(const enl_file_info *f, void *ctx)
{
    if (f->outgoing || !f->known) return 0;
    memcpy(ctx, f->id, ENL_FILE_IDBYTES);
    return 1;
}

int main(int argc, char **argv)
{
    unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
    /* --no-pace: the primitives are timed by the runs of the usual size;
     * the run of a large file, there for its peak memory, skips them. */
    int pace = !(argc > 2 && strcmp(argv[2], "--no-pace") == 0);
    uint64_t bytes = (uint64_t)mib << 20;
    char *dir, *drop, *src, *out;
    enl_profile *a, *b;
    enl_sync_stats st;
    uint8_t id[ENL_FILE_IDBYTES];
    double t;

    if (mib == 0 || bytes > ENL_FILE_MAX || (argc > 2 && pace) || argc > 3) {
        fprintf(stderr, "usage: bench_file [MIB [--no-pace]]   (MIB: 1 to 4096)\n");
        return 2;
    }
    BENCH_CHECK(enl_init(), "init", NULL);
    dir = bench_tmpdir("file");
    if (asprintf(&drop, "%s/drop", dir) < 0 || asprintf(&src, "%s/file", dir) < 0 ||
        asprintf(&out, "%s/out", dir) < 0 || mkdir(drop, 0700) != 0)
        return 1;
    a = bench_profile(dir, "a");
    b = bench_profile(dir, "b");
    bench_introduce(a, b);
    BENCH_CHECK(enl_send_text(a, "b", (const uint8_t *)"hola", 4, NULL, NULL), "send", a);
    BENCH_CHECK(enl_sync_folder(a, drop, NULL, &st), "sync", a);
    BENCH_CHECK(enl_sync_folder(b, drop, NULL, &st), "sync", b);
    BENCH_CHECK(enl_send_text(b, "a", (const uint8_t *)"hola", 4, NULL, NULL), "send", b);
    BENCH_CHECK(enl_sync_folder(b, drop, NULL, &st), "sync", b);
    BENCH_CHECK(enl_sync_folder(a, drop, NULL, &st), "sync", a);
    bench_note("bench_file: writing %lu MiB of random bytes", mib);
    make_file(src, bytes);
    bench_put("file_mib", "%lu", mib);
    if (pace) {
        bench_note("bench_file: the primitives' pace");
        primitive_pace(mib);
    }
    bench_put("maxrss_kdf_kib", "%ld", bench_maxrss_kib());
    peak_reset();

    bench_note("bench_file: sealing");
    t = bench_now();
    BENCH_CHECK(enl_send_file(a, "b", src, NULL, NULL, NULL, NULL, NULL), "send --file", a);
    bench_put("seal_s", "%.3f", bench_now() - t);
    bench_put("peak_seal_kib", "%ld", peak_kib());
    peak_reset();

    bench_note("bench_file: A writes the notes to the drop");
    memset(&st, 0, sizeof st);
    t = bench_now();
    BENCH_CHECK(enl_sync_folder(a, drop, NULL, &st), "sync", a);
    bench_put("drop_a_s", "%.3f", bench_now() - t);
    bench_put("notes", "%llu", (unsigned long long)st.notes_sent);
    bench_put("bytes", "%llu", (unsigned long long)st.bytes_sent);

    bench_note("bench_file: B takes the parts in");
    memset(&st, 0, sizeof st);
    t = bench_now();
    BENCH_CHECK(enl_sync_folder(b, drop, NULL, &st), "sync", b);
    bench_put("intake_s", "%.3f", bench_now() - t);
    bench_put("file_notes", "%llu", (unsigned long long)st.file_notes);
    bench_put("peak_carry_kib", "%ld", peak_kib());
    peak_reset();

    bench_note("bench_file: B saves the file");
    memset(id, 0, sizeof id);
    BENCH_CHECK(enl_files_each(b, first_id, id), "files", b);
    t = bench_now();
    BENCH_CHECK(enl_file_save(b, id, out, 0, NULL, NULL), "files save", b);
    bench_put("save_s", "%.3f", bench_now() - t);
    bench_put("peak_save_kib", "%ld", peak_kib());
    if (!same_files(src, out)) {
        fprintf(stderr, "bench_file: the saved file differs from the one sent\n");
        return 1;
    }
    bench_put("identical", "yes");
    enl_profile_close(a);
    enl_profile_close(b);
    free(drop);
    free(src);
    free(out);
    free(dir);
    return 0;
}
