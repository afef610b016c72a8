/*
 * Tests for the Noise module (src/crypto/noise.c).
 *
 * First the published cacophony vectors: Noise_X and Noise_XK are embedded
 * below so that the build never depends on the shared folder, and the whole
 * vector file is checked too when it can be found (ENL_NOISE_VECTORS, or
 * ../shared/vectors/ from the repository root). Then what a hostile or
 * broken peer can send: flipped bits, truncations, a wrong key, weak
 * ephemeral keys, oversized messages, replays; and random round trips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enlace.h"
#include "crypto/noise.h"

#define TV_MAXMSGS      32
#define TV_DEFAULT_FILE "../shared/vectors/noise-25519-chachapoly-blake2b.json"

/* ---- test vectors ------------------------------------------------------ */

typedef struct {
    const char *payload;
    const char *ciphertext;
} tv_msg;

/* Fields hold hex strings, NULL when the vector does not give them. */
typedef struct {
    const char *protocol_name;
    const char *init_prologue, *init_static, *init_ephemeral, *init_remote_static;
    const char *resp_prologue, *resp_static, *resp_ephemeral, *resp_remote_static;
    const char *handshake_hash;
    int has_psk, fail;
    size_t nmsgs;
    tv_msg msgs[TV_MAXMSGS];
} tv_vector;

/* The cacophony vectors for the two patterns enlace uses. */
static const tv_vector tv_xk = {
    .protocol_name = "Noise_XK_25519_ChaChaPoly_BLAKE2b",
    .init_prologue =
        "4a6f686e2047616c74",
    .init_static =
        "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1",
    .init_ephemeral =
        "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a",
    .init_remote_static =
        "31e0303fd6418d2f8c0e78b91f22e8caed0fbe48656dcf4767e4834f701b8f62",
    .resp_prologue =
        "4a6f686e2047616c74",
    .resp_static =
        "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893",
    .resp_ephemeral =
        "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b",
    .handshake_hash =
        "d34784be40e90f33c524e69a3d1dc4155e159d86bf42f01c615d40beb0816b88"
        "0f0a3e20825fec22de1d607231a315d90d355cd9e5ba7205a17b6e0e9f4b490d",
    .nmsgs = 6,
    .msgs = {
        { "4c756477696720766f6e204d69736573",
          "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944"
          "2806e28405ac4325fcf83607489496d6d326ab3fe084dbb1634f801405a69297" },
        { "4d757272617920526f746862617264",
          "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843"
          "0ea4de2eff2cd3b1e7be5f7e792d87395f0863722ab04ec030529d6c5820de" },
        { "462e20412e20486179656b",
          "ec9136de99472b49eda3ba9fe84882d48f131b27386784b3f45e9f103ad1b6ef"
          "a2f2e95f0afce5d0d4c8052aed81438500be54a8fd8dd4f5ba04f7907b312701"
          "d0d687716a30b23c22f568" },
        { "4361726c204d656e676572",
          "d6ea0c3364ed480b415d44c3235fdb311dfa8d6e1dc1e6f3a76ee3" },
        { "4a65616e2d426170746973746520536179",
          "59f41ca9ea14a8305bae379bbdd8b4d5cf9bd308d2d7e042e2bf03c48dd910b3"
          "7b" },
        { "457567656e2042f6686d20766f6e2042617765726b",
          "fa23ba8af343a3934c64219d3d0206d66894f7cdb180b738324608e15b010209"
          "5ed2f44d4b" },
    },
};

static const tv_vector tv_x = {
    .protocol_name = "Noise_X_25519_ChaChaPoly_BLAKE2b",
    .init_prologue =
        "4a6f686e2047616c74",
    .init_static =
        "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1",
    .init_ephemeral =
        "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a",
    .init_remote_static =
        "31e0303fd6418d2f8c0e78b91f22e8caed0fbe48656dcf4767e4834f701b8f62",
    .resp_prologue =
        "4a6f686e2047616c74",
    .resp_static =
        "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893",
    .handshake_hash =
        "7a08e025835287d37f81c295a0a86f0431e206e5032632d06110df590aa69b08"
        "c0f5e6909f199ccfa044c1516366b974f3f28102f977d0fac845c6563c7d5314",
    .nmsgs = 6,
    .msgs = {
        { "4c756477696720766f6e204d69736573",
          "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944"
          "6c81e52f35c193f540f853e38ee3ddd5d5ffe3cfa8b0c5b93c9498bd737ca396"
          "ca4dfa63e3f4878fa875a480bddfa3c0673aa4ec7600b7ea42a1f444512e3c25"
          "24c19acd86468bde6b0aaa7dc2fc5069" },
        { "4d757272617920526f746862617264",
          "b4e352f51eecbb9552dd7ab7240619d18aea21752d866e8687ac0181c3177a" },
        { "462e20412e20486179656b",
          "3bd6fa95f3f6eed5f01e0c02df392a7fd96ff9416c36f7311f947e" },
        { "4361726c204d656e676572",
          "8bce3062e9348896691a45e74563a5d57866e0ab39fa8bde2bcfca" },
        { "4a65616e2d426170746973746520536179",
          "cc7610aad99dedc9fe14db2ab59dd09c380bb5f2b5999dcc340739f597817b7c"
          "67" },
        { "457567656e2042f6686d20766f6e2042617765726b",
          "8b6dcbd77c157bc7ada2f28966068d18529725b2d34571415f507e92a6fcd984"
          "3a8cccb63b" },
    },
};

static size_t unhex(uint8_t *out, size_t max, const char *hex)
{
    size_t len = 0;

    assert_non_null(hex);
    assert_int_equal(sodium_hex2bin(out, max, hex, strlen(hex), NULL, &len, NULL), 0);
    return len;
}

static const uint8_t *tv_key(uint8_t buf[32], const char *hex)
{
    if (hex == NULL) return NULL;
    assert_int_equal(unhex(buf, 32, hex), 32);
    return buf;
}

static int tv_pattern(const char *name, enl_noise_pattern *pattern)
{
    static const struct {
        const char *name;
        enl_noise_pattern pattern;
    } known[] = {
        { "N", ENL_NOISE_N },   { "K", ENL_NOISE_K },   { "X", ENL_NOISE_X },
        { "XK", ENL_NOISE_XK }, { "IK", ENL_NOISE_IK }, { "XX", ENL_NOISE_XX },
    };
    static const char suite[] = "_25519_ChaChaPoly_BLAKE2b";
    size_t i, n;

    if (name == NULL || strncmp(name, "Noise_", 6) != 0) return 0;
    for (i = 0; i < sizeof known / sizeof known[0]; i++) {
        n = strlen(known[i].name);
        if (strncmp(name + 6, known[i].name, n) == 0 && strcmp(name + 6 + n, suite) == 0) {
            *pattern = known[i].pattern;
            return 1;
        }
    }
    return 0;
}

static int is_oneway(enl_noise_pattern p)
{
    return p == ENL_NOISE_N || p == ENL_NOISE_K || p == ENL_NOISE_X;
}

static void tv_init(enl_handshake *hs, enl_noise_pattern pattern, int initiator,
                    const char *prologue, const char *s, const char *rs, const char *e)
{
    uint8_t pro[256], keys[3][32];
    size_t pro_len = prologue != NULL ? unhex(pro, sizeof pro, prologue) : 0;

    assert_int_equal(enl_handshake_init(hs, pattern, initiator, pro, pro_len,
                                        tv_key(keys[0], s), tv_key(keys[1], rs),
                                        tv_key(keys[2], e)),
                     ENL_OK);
}

/* The static key a side must have learnt or known: the other side's. */
static void tv_check_rs(const enl_handshake *hs, const char *peer_static)
{
    uint8_t sk[32], pk[32], got[32];

    if (peer_static == NULL) {
        assert_int_equal(enl_handshake_remote_static(hs, got), ENL_ENOTFOUND);
        return;
    }
    tv_key(sk, peer_static);
    assert_int_equal(crypto_scalarmult_base(pk, sk), 0);
    assert_int_equal(enl_handshake_remote_static(hs, got), ENL_OK);
    assert_memory_equal(got, pk, 32);
}

static void tv_finish(const tv_vector *v, enl_handshake hs[2], enl_cipherstate send[2],
                      enl_cipherstate recv[2])
{
    uint8_t want[ENL_NOISE_HASHLEN], h[ENL_NOISE_HASHLEN];
    int side;

    assert_int_equal(unhex(want, sizeof want, v->handshake_hash), ENL_NOISE_HASHLEN);
    tv_check_rs(&hs[0], v->resp_static);
    tv_check_rs(&hs[1], v->init_static);
    for (side = 0; side < 2; side++) {
        enl_handshake_hash(&hs[side], h);
        assert_memory_equal(h, want, ENL_NOISE_HASHLEN);
        assert_int_equal(enl_handshake_split(&hs[side], &send[side], &recv[side]), ENL_OK);
    }
}

/* One message of a vector from side `from`: a handshake message until the
 * handshake is done, a transport message after. Checks the bytes on the
 * wire and what the other side reads. */
static void tv_message(const tv_msg *m, int from, int transport, enl_handshake hs[2],
                       enl_cipherstate send[2], enl_cipherstate recv[2])
{
    static uint8_t pt[ENL_NOISE_MAXMSG], ct[ENL_NOISE_MAXMSG];
    static uint8_t wire[ENL_NOISE_MAXMSG], got[ENL_NOISE_MAXMSG];
    size_t pt_len = unhex(pt, sizeof pt, m->payload);
    size_t ct_len = unhex(ct, sizeof ct, m->ciphertext);
    size_t len = 0, got_len = 0;

    if (!transport) {
        assert_int_equal(enl_handshake_write(&hs[from], wire, &len, sizeof wire, pt, pt_len),
                         ENL_OK);
        assert_int_equal(enl_handshake_read(&hs[1 - from], got, &got_len, sizeof got, wire, len),
                         ENL_OK);
    } else {
        assert_int_equal(enl_cipher_encrypt(&send[from], wire, NULL, 0, pt, pt_len), ENL_OK);
        len = pt_len + ENL_NOISE_TAGLEN;
        assert_int_equal(enl_cipher_decrypt(&recv[1 - from], got, NULL, 0, wire, len), ENL_OK);
        got_len = pt_len;
    }
    assert_int_equal(len, ct_len);
    assert_memory_equal(wire, ct, ct_len);
    assert_int_equal(got_len, pt_len);
    if (pt_len > 0) assert_memory_equal(got, pt, pt_len);
}

/* Runs both sides of a vector. Returns 0 when the vector is not for this
 * suite and these patterns (psk, fallback, other ciphers), 1 when checked.
 * Message i goes initiator -> responder when i is even or the pattern is
 * one-way, as cacophony lays them out. */
static int tv_check(const tv_vector *v)
{
    enl_handshake hs[2];
    enl_cipherstate send[2], recv[2];
    enl_noise_pattern pattern;
    size_t i;
    int finished = 0, from;

    if (v->has_psk || v->fail || !tv_pattern(v->protocol_name, &pattern)) return 0;
    tv_init(&hs[0], pattern, 1, v->init_prologue, v->init_static, v->init_remote_static,
            v->init_ephemeral);
    tv_init(&hs[1], pattern, 0, v->resp_prologue ? v->resp_prologue : v->init_prologue,
            v->resp_static, v->resp_remote_static, v->resp_ephemeral);
    for (i = 0; i < v->nmsgs; i++) {
        from = is_oneway(pattern) || i % 2 == 0 ? 0 : 1;
        tv_message(&v->msgs[i], from, finished, hs, send, recv);
        if (!finished && enl_handshake_done(&hs[0]) && enl_handshake_done(&hs[1])) {
            tv_finish(v, hs, send, recv);
            finished = 1;
        }
    }
    assert_true(finished);
    for (i = 0; i < 2; i++) {
        enl_cipher_wipe(&send[i]);
        enl_cipher_wipe(&recv[i]);
    }
    return 1;
}

static void test_vectors_embedded(void **state)
{
    (void)state;
    assert_int_equal(tv_check(&tv_x), 1);
    assert_int_equal(tv_check(&tv_xk), 1);
}

/* ---- a small JSON reader for the vector file ---------------------------- */

/* Reads in place: strings are cut with a NUL where their closing quote was,
 * so the vector fields point into the file buffer. Escapes are kept as they
 * are (no hex field has any). */
typedef struct {
    char *p;
    int err;
    int depth;
} jp;

typedef void (*jp_field_fn)(jp *j, const char *key, void *ctx);

static void jp_ws(jp *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r') j->p++;
}

static int jp_eat(jp *j, char c)
{
    jp_ws(j);
    if (j->err || *j->p != c) return 0;
    j->p++;
    return 1;
}

static char *jp_str(jp *j)
{
    char *s;

    if (!jp_eat(j, '"')) {
        j->err = 1;
        return NULL;
    }
    for (s = j->p; *j->p != '"'; j->p++) {
        if (*j->p == '\0' || (*j->p == '\\' && *++j->p == '\0')) {
            j->err = 1;
            return NULL;
        }
    }
    *j->p++ = '\0';
    return s;
}

/* A number, true, false or null: returns whether it was `true`. */
static int jp_literal(jp *j)
{
    char *s;

    jp_ws(j);
    s = j->p;
    while (isalnum((unsigned char)*j->p) || *j->p == '-' || *j->p == '+' || *j->p == '.') j->p++;
    if (j->p == s) j->err = 1;
    return j->p - s == 4 && strncmp(s, "true", 4) == 0;
}

static void jp_skip(jp *j);

/* Walks an array, calling item (or skipping) for each element. */
static void jp_array(jp *j, void (*item)(jp *j, void *ctx), void *ctx)
{
    if (!jp_eat(j, '[') || ++j->depth > 64) {
        j->err = 1;
        return;
    }
    if (!jp_eat(j, ']')) {
        do {
            if (item != NULL) item(j, ctx); else jp_skip(j);
        } while (!j->err && jp_eat(j, ','));
        if (!jp_eat(j, ']')) j->err = 1;
    }
    j->depth--;
}

/* Walks an object, calling field (or skipping) for each member. */
static void jp_object(jp *j, jp_field_fn field, void *ctx)
{
    const char *key;

    if (!jp_eat(j, '{') || ++j->depth > 64) {
        j->err = 1;
        return;
    }
    if (!jp_eat(j, '}')) {
        do {
            key = jp_str(j);
            if (key == NULL || !jp_eat(j, ':')) j->err = 1;
            if (j->err) break;
            if (field != NULL) field(j, key, ctx); else jp_skip(j);
        } while (!j->err && jp_eat(j, ','));
        if (!jp_eat(j, '}')) j->err = 1;
    }
    j->depth--;
}

static void jp_skip(jp *j)
{
    jp_ws(j);
    if (*j->p == '"') jp_str(j);
    else if (*j->p == '{') jp_object(j, NULL, NULL);
    else if (*j->p == '[') jp_array(j, NULL, NULL);
    else jp_literal(j);
}

/* A string field, or NULL when the value is something else. */
static const char *jp_string_value(jp *j)
{
    jp_ws(j);
    if (*j->p == '"') return jp_str(j);
    jp_skip(j);
    return NULL;
}

static void tv_msg_field(jp *j, const char *key, void *ctx)
{
    tv_msg *m = ctx;

    if (strcmp(key, "payload") == 0) m->payload = jp_string_value(j);
    else if (strcmp(key, "ciphertext") == 0) m->ciphertext = jp_string_value(j);
    else jp_skip(j);
}

static void tv_msg_item(jp *j, void *ctx)
{
    tv_vector *v = ctx;

    if (v->nmsgs == TV_MAXMSGS) {
        j->err = 1;
        return;
    }
    jp_object(j, tv_msg_field, &v->msgs[v->nmsgs]);
    if (v->msgs[v->nmsgs].payload == NULL || v->msgs[v->nmsgs].ciphertext == NULL) j->err = 1;
    v->nmsgs++;
}

static void tv_field(jp *j, const char *key, void *ctx)
{
    static const struct {
        const char *name;
        size_t off;
    } fields[] = {
#define F(x) { #x, offsetof(tv_vector, x) }
        F(protocol_name), F(init_prologue), F(init_static), F(init_ephemeral),
        F(init_remote_static), F(resp_prologue), F(resp_static), F(resp_ephemeral),
        F(resp_remote_static), F(handshake_hash),
#undef F
    };
    tv_vector *v = ctx;
    size_t i;

    /* init_psks, resp_psks, or a psk in the name: not implemented here. */
    if (strstr(key, "psk") != NULL) v->has_psk = 1;
    if (strcmp(key, "messages") == 0) {
        jp_array(j, tv_msg_item, v);
        return;
    }
    if (strcmp(key, "fail") == 0) {
        v->fail = jp_literal(j);
        return;
    }
    for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (strcmp(key, fields[i].name) == 0) {
            *(const char **)(void *)((char *)v + fields[i].off) = jp_string_value(j);
            return;
        }
    }
    jp_skip(j);
}

typedef struct {
    int total;
    int checked;
} tv_count;

static void tv_item(jp *j, void *ctx)
{
    tv_count *c = ctx;
    tv_vector v;

    memset(&v, 0, sizeof v);
    jp_object(j, tv_field, &v);
    if (j->err) return;
    if (v.protocol_name != NULL && strstr(v.protocol_name, "psk") != NULL) v.has_psk = 1;
    c->total++;
    if (tv_check(&v)) {
        c->checked++;
        printf("  vector %d ok: %s\n", c->total, v.protocol_name);
    }
}

static void tv_file_field(jp *j, const char *key, void *ctx)
{
    if (strcmp(key, "vectors") == 0) jp_array(j, tv_item, ctx);
    else jp_skip(j);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0, n;

    if (f == NULL) return NULL;
    do {
        if (cap - len < 4096) {
            cap = cap * 2 + 65536;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* The file is {"vectors": [...]} as cacophony and snow ship it; a bare
 * array is read too. An ENL_NOISE_VECTORS that names a missing file fails:
 * someone asked for those vectors. */
static void test_vectors_file(void **state)
{
    const char *env = getenv("ENL_NOISE_VECTORS");
    const char *path = env != NULL && *env != '\0' ? env : TV_DEFAULT_FILE;
    tv_count count = { 0, 0 };
    char *text = read_file(path);
    jp j;

    (void)state;
    if (text == NULL) {
        printf("noise vectors: %s not found\n", path);
        assert_true(env == NULL || *env == '\0');
        skip();
    }
    j.p = text;
    j.err = 0;
    j.depth = 0;
    jp_ws(&j);
    if (*j.p == '[') jp_array(&j, tv_item, &count);
    else jp_object(&j, tv_file_field, &count);
    printf("noise vectors: %d of %d checked in %s\n", count.checked, count.total, path);
    free(text);
    assert_false(j.err);
    assert_true(count.checked > 0);
}

/* ---- HMAC and HKDF ----------------------------------------------------- */

/* Expected values from Python's hmac module with hashlib.blake2b. */
static void test_hmac_hkdf(void **state)
{
    static const char fox[] = "The quick brown fox jumps over the lazy dog";
    static const char big[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    uint8_t out[64], want[64], key[200], ck[64], ikm[32], o[3][64], w[3][64];
    size_t i;

    (void)state;
    enl_hmac_blake2b(out, (const uint8_t *)"key", 3, (const uint8_t *)fox, strlen(fox));
    unhex(want, 64, "92294f92c0dfb9b00ec9ae8bd94d7e7d8a036b885a499f149dfe2fd2199394aa"
                    "af6b8894a1730cccb2cd050f9bcf5062a38b51b0dab33207f8ef35ae2c9df51b");
    assert_memory_equal(out, want, 64);
    /* Keyed BLAKE2b of the same input: HMAC must differ from it. */
    unhex(want, 64, "66f642208454bf2e066dac9eab68fae0146bb544c1d46e1f427008f068a45d87"
                    "2cd0c1fc23e7ba82a95d084aadf5e4af9edaf761fb6ced9e485a28c59a3f714c");
    assert_memory_not_equal(out, want, 64);

    memset(key, 0xaa, sizeof key);
    enl_hmac_blake2b(out, key, sizeof key, (const uint8_t *)big, strlen(big));
    unhex(want, 64, "2f5f2d35b23f886565d4ef590d7226d15750f0971a39346f2859f38e87f0b09b"
                    "871ff0176dfd41c30f2d99e53309e215601088c0299f83f8acd804b32ccea0ae");
    assert_memory_equal(out, want, 64);

    memset(key, 0x0b, 128);
    enl_hmac_blake2b(out, key, 128, (const uint8_t *)"Hi There", 8);
    unhex(want, 64, "72de85b5dfc13a4a2e72ad43b491621cf6f5c43b532c49e140b2e9640d271e9f"
                    "d199c7aed0f8e81341f12e870d0fe247de7ee1d21f12406098b2fe4ad4b8cdb9");
    assert_memory_equal(out, want, 64);

    for (i = 0; i < 64; i++) ck[i] = (uint8_t)i;
    for (i = 0; i < 32; i++) ikm[i] = (uint8_t)(100 + i);
    unhex(w[0], 64, "2262ed5f40c3324574d00a1e0849a7cc67fb5b6a80211c3c59404bb8e47512b1"
                    "cb95e73840718c5d68ca345f934f39a52f1f31e8f6d3ed521f0664f46feddae4");
    unhex(w[1], 64, "f6a6559fa2aaab64d3d2666b83fe3f4fed6fae1959537fedd6a39b6f8d411e61"
                    "32593234cc2a750244335da5021c27bf7eacbb65cfa608457de6ecc144b90077");
    unhex(w[2], 64, "07c82c1301c70e885f4662f1f3f7b7bb9e04d81c94a6e1882f812c02ffb69580"
                    "c93095bb599ad2fced3d3cf38c9c17df4fb3c0029f231247fca69b040e16449e");
    enl_hkdf_blake2b(o[0], o[1], o[2], ck, ikm, sizeof ikm);
    assert_memory_equal(o, w, sizeof w);
    memset(o, 0, sizeof o);
    enl_hkdf_blake2b(o[0], NULL, NULL, ck, ikm, sizeof ikm);
    assert_memory_equal(o[0], w[0], 64);
    /* out1 may be the chaining key it is derived from, as MixKey does. */
    enl_hkdf_blake2b(ck, o[1], NULL, ck, ikm, sizeof ikm);
    assert_memory_equal(ck, w[0], 64);
    assert_memory_equal(o[1], w[1], 64);
}

/* ---- two live sides ---------------------------------------------------- */

static const uint8_t prologue[] = "enlace test";

typedef struct {
    enl_noise_pattern pattern;
    enl_handshake i, r;
    uint8_t i_sk[32], i_pk[32], r_sk[32], r_pk[32];
} pair;

static int nmsgs(enl_noise_pattern p)
{
    return p == ENL_NOISE_XK || p == ENL_NOISE_XX ? 3 : p == ENL_NOISE_IK ? 2 : 1;
}

static void keypair(uint8_t sk[32], uint8_t pk[32])
{
    randombytes_buf(sk, 32);
    assert_int_equal(crypto_scalarmult_base(pk, sk), 0);
}

/* Starts both sides with the keys the pattern gives each; the initiator
 * believes the responder's key is rs_override when that is not NULL. */
static void pair_start2(pair *pr, enl_noise_pattern p, const uint8_t *rs_override)
{
    int i_s = p != ENL_NOISE_N, i_rs = p != ENL_NOISE_XX, r_rs = p == ENL_NOISE_K;

    pr->pattern = p;
    assert_int_equal(enl_handshake_init(&pr->i, p, 1, prologue, sizeof prologue,
                                        i_s ? pr->i_sk : NULL,
                                        i_rs ? (rs_override ? rs_override : pr->r_pk) : NULL,
                                        NULL),
                     ENL_OK);
    assert_int_equal(enl_handshake_init(&pr->r, p, 0, prologue, sizeof prologue, pr->r_sk,
                                        r_rs ? pr->i_pk : NULL, NULL),
                     ENL_OK);
}

static void pair_start(pair *pr, enl_noise_pattern p)
{
    pair_start2(pr, p, NULL);
}

static void pair_new(pair *pr, enl_noise_pattern p)
{
    keypair(pr->i_sk, pr->i_pk);
    keypair(pr->r_sk, pr->r_pk);
    pair_start(pr, p);
}

static enl_handshake *sender(pair *pr, int m) { return m % 2 == 0 ? &pr->i : &pr->r; }
static enl_handshake *receiver(pair *pr, int m) { return m % 2 == 0 ? &pr->r : &pr->i; }

/* Message m with payload pl, written and read; checks what arrives. */
static void pair_step(pair *pr, int m, const uint8_t *pl, size_t pl_len)
{
    static uint8_t wire[ENL_NOISE_MAXMSG], got[ENL_NOISE_MAXMSG];
    size_t len, got_len;

    assert_int_equal(enl_handshake_write(sender(pr, m), wire, &len, sizeof wire, pl, pl_len),
                     ENL_OK);
    assert_int_equal(enl_handshake_read(receiver(pr, m), got, &got_len, sizeof got, wire, len),
                     ENL_OK);
    assert_int_equal(got_len, pl_len);
    if (pl_len > 0) assert_memory_equal(got, pl, pl_len);
}

/* A handshake that failed is wiped and refuses everything after. */
static void assert_dead(enl_handshake *hs)
{
    uint8_t buf[256], rs[32];
    size_t len;

    assert_false(enl_handshake_done(hs));
    assert_true(sodium_is_zero(hs->s_sk, 32) && sodium_is_zero(hs->e_sk, 32));
    assert_true(sodium_is_zero(hs->ck, 64) && sodium_is_zero(hs->cs.k, 32));
    assert_int_equal(enl_handshake_remote_static(hs, rs), ENL_ENOTFOUND);
    assert_int_equal(enl_handshake_write(hs, buf, &len, sizeof buf, NULL, 0), ENL_EINVAL);
    assert_int_equal(enl_handshake_read(hs, buf, &len, sizeof buf, buf, 100), ENL_EINVAL);
}

static const enl_noise_pattern all_patterns[] = {
    ENL_NOISE_N, ENL_NOISE_K, ENL_NOISE_X, ENL_NOISE_XK, ENL_NOISE_IK, ENL_NOISE_XX,
};
#define NPATTERNS (sizeof all_patterns / sizeof all_patterns[0])

static const uint8_t hello[] = "hello";

/* Runs a fresh handshake up to message m and writes m into wire. */
static size_t pair_upto(pair *pr, int m, uint8_t *wire, size_t max)
{
    size_t len;
    int k;

    pair_start(pr, pr->pattern);
    for (k = 0; k < m; k++) pair_step(pr, k, hello, sizeof hello);
    assert_int_equal(enl_handshake_write(sender(pr, m), wire, &len, max, hello, sizeof hello),
                     ENL_OK);
    return len;
}

/* A damaged message that was accepted can only be one without a key yet
 * (XX's first): then the peer's answer no longer authenticates. */
static void expect_caught_later(pair *pr, int m)
{
    uint8_t wire[512], got[512];
    size_t len, got_len;
    int rc;

    assert_true(pr->pattern == ENL_NOISE_XX && m == 0);
    assert_int_equal(enl_handshake_write(receiver(pr, m), wire, &len, sizeof wire, NULL, 0),
                     ENL_OK);
    rc = enl_handshake_read(sender(pr, m), got, &got_len, sizeof got, wire, len);
    assert_true(rc == ENL_EDECRYPT || rc == ENL_ECRYPTO);
    assert_dead(sender(pr, m));
}

static void test_bitflip(void **state)
{
    uint8_t wire[512], got[512];
    size_t len, got_len, pos, p;
    int m, rc;
    pair pr;

    (void)state;
    for (p = 0; p < NPATTERNS; p++) {
        pair_new(&pr, all_patterns[p]);
        for (m = 0; m < nmsgs(pr.pattern); m++) {
            len = pair_upto(&pr, m, wire, sizeof wire);
            for (pos = 0; pos < len; pos++) {
                pair_upto(&pr, m, wire, sizeof wire);
                wire[pos] ^= (uint8_t)(1u << (pos % 8));
                rc = enl_handshake_read(receiver(&pr, m), got, &got_len, sizeof got, wire, len);
                if (rc == ENL_OK) {
                    expect_caught_later(&pr, m);
                    continue;
                }
                assert_true(rc == ENL_EDECRYPT || rc == ENL_ECRYPTO);
                assert_dead(receiver(&pr, m));
            }
        }
    }
}

static void test_truncated(void **state)
{
    uint8_t wire[512], got[512];
    size_t len, cut, got_len, p, overhead;
    int m, rc;
    pair pr;

    (void)state;
    for (p = 0; p < NPATTERNS; p++) {
        pair_new(&pr, all_patterns[p]);
        for (m = 0; m < nmsgs(pr.pattern); m++) {
            len = pair_upto(&pr, m, wire, sizeof wire);
            overhead = len - sizeof hello;
            for (cut = 0; cut < len; cut++) {
                pair_upto(&pr, m, wire, sizeof wire);
                rc = enl_handshake_read(receiver(&pr, m), got, &got_len, sizeof got, wire, cut);
                if (cut < overhead) {
                    assert_int_equal(rc, ENL_EMALFORMED);
                } else if (rc == ENL_OK) {
                    expect_caught_later(&pr, m);
                    continue;
                } else {
                    assert_int_equal(rc, ENL_EDECRYPT);
                }
                assert_dead(receiver(&pr, m));
            }
        }
    }
}

/* An initiator with a stale or wrong card: the responder learns only that
 * the first message does not authenticate, and has nothing to answer with. */
static void test_wrong_responder_key(void **state)
{
    static const enl_noise_pattern pats[] = { ENL_NOISE_XK, ENL_NOISE_X, ENL_NOISE_IK,
                                              ENL_NOISE_N, ENL_NOISE_K };
    uint8_t wire[512], got[512], other_sk[32], other_pk[32];
    size_t len, got_len, p;
    pair pr;

    (void)state;
    for (p = 0; p < sizeof pats / sizeof pats[0]; p++) {
        keypair(pr.i_sk, pr.i_pk);
        keypair(pr.r_sk, pr.r_pk);
        keypair(other_sk, other_pk);
        pair_start2(&pr, pats[p], other_pk);
        assert_int_equal(enl_handshake_write(&pr.i, wire, &len, sizeof wire, hello, sizeof hello),
                         ENL_OK);
        memset(got, 0x55, sizeof got);
        assert_int_equal(enl_handshake_read(&pr.r, got, &got_len, sizeof got, wire, len),
                         ENL_EDECRYPT);
        assert_true(got[0] == 0x55 || got[0] == 0);
        assert_dead(&pr.r);
    }
}

static void test_bufsize(void **state)
{
    static uint8_t big[ENL_NOISE_MAXMSG + 1], wire[ENL_NOISE_MAXMSG + 1];
    uint8_t got[64];
    size_t len, got_len;
    enl_cipherstate s, r;
    pair pr;

    (void)state;
    pair_new(&pr, ENL_NOISE_XK);
    /* Too small an output buffer leaves the writer usable. */
    assert_int_equal(enl_handshake_write(&pr.i, wire, &len, 32 + 16 + sizeof hello - 1, hello,
                                         sizeof hello),
                     ENL_EBUFSIZE);
    assert_int_equal(enl_handshake_write(&pr.i, wire, &len, 0, NULL, 0), ENL_EBUFSIZE);
    assert_int_equal(enl_handshake_write(&pr.i, wire, &len, 32 + 16 + sizeof hello, hello,
                                         sizeof hello),
                     ENL_OK);
    assert_int_equal(len, 32 + 16 + sizeof hello);
    /* Too small a payload buffer: the reader is wiped, as every read error. */
    assert_int_equal(enl_handshake_read(&pr.r, got, &got_len, sizeof hello - 1, wire, len),
                     ENL_EBUFSIZE);
    assert_dead(&pr.r);

    /* The largest message fits exactly; one byte more is refused. */
    pair_start(&pr, ENL_NOISE_XK);
    randombytes_buf(big, sizeof big);
    assert_int_equal(enl_handshake_write(&pr.i, wire, &len, sizeof wire, big,
                                         ENL_NOISE_MAXMSG - 48 + 1),
                     ENL_ETOOBIG);
    assert_int_equal(enl_handshake_write(&pr.i, wire, &len, sizeof wire, big,
                                         ENL_NOISE_MAXMSG - 48),
                     ENL_OK);
    assert_int_equal(len, ENL_NOISE_MAXMSG);
    assert_int_equal(enl_handshake_read(&pr.r, big, &got_len, sizeof big, wire, len), ENL_OK);
    assert_int_equal(got_len, ENL_NOISE_MAXMSG - 48);
    pair_start(&pr, ENL_NOISE_XK);
    assert_int_equal(enl_handshake_read(&pr.r, big, &got_len, sizeof big, wire,
                                        ENL_NOISE_MAXMSG + 1),
                     ENL_EMALFORMED);
    assert_dead(&pr.r);

    /* Transport: the same limit, and a ciphertext shorter than a tag. */
    pair_start(&pr, ENL_NOISE_X);
    pair_step(&pr, 0, NULL, 0);
    assert_int_equal(enl_handshake_split(&pr.i, &s, &r), ENL_OK);
    assert_int_equal(enl_cipher_encrypt(&s, wire, NULL, 0, big, ENL_NOISE_MAXMSG - 15),
                     ENL_ETOOBIG);
    assert_int_equal(s.n, 0);
    assert_int_equal(enl_handshake_split(&pr.r, &r, &s), ENL_OK);
    assert_int_equal(enl_cipher_decrypt(&s, big, NULL, 0, wire, ENL_NOISE_MAXMSG + 1),
                     ENL_EMALFORMED);
    assert_int_equal(enl_cipher_decrypt(&s, big, NULL, 0, wire, ENL_NOISE_TAGLEN - 1),
                     ENL_EMALFORMED);
    assert_int_equal(s.n, 0);
}

/* Public keys whose DH result is all zero (or that libsodium refuses):
 * zero, one, the two points of order 8, p-1, p, p+1. */
static const char *const weak_keys[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

static void test_weak_keys(void **state)
{
    uint8_t wire[512], got[512], weak[32];
    size_t len, got_len, k;
    pair pr;

    (void)state;
    keypair(pr.i_sk, pr.i_pk);
    keypair(pr.r_sk, pr.r_pk);
    for (k = 0; k < sizeof weak_keys / sizeof weak_keys[0]; k++) {
        tv_key(weak, weak_keys[k]);
        /* X responder: es with a weak e. */
        pair_start(&pr, ENL_NOISE_X);
        randombytes_buf(wire, sizeof wire);
        memcpy(wire, weak, 32);
        assert_int_equal(enl_handshake_read(&pr.r, got, &got_len, sizeof got, wire, 96),
                         ENL_ECRYPTO);
        assert_dead(&pr.r);
        /* XK initiator: ee with the responder's weak e in message 2. */
        pair_start(&pr, ENL_NOISE_XK);
        pair_step(&pr, 0, NULL, 0);
        memcpy(wire, weak, 32);
        assert_int_equal(enl_handshake_read(&pr.i, got, &got_len, sizeof got, wire, 48),
                         ENL_ECRYPTO);
        assert_dead(&pr.i);
        /* XX: the first message is unauthenticated, the responder's ee refuses it. */
        pair_start(&pr, ENL_NOISE_XX);
        assert_int_equal(enl_handshake_read(&pr.r, got, &got_len, sizeof got, weak, 32), ENL_OK);
        assert_int_equal(enl_handshake_write(&pr.r, wire, &len, sizeof wire, NULL, 0),
                         ENL_ECRYPTO);
        assert_dead(&pr.r);
        /* An initiator given a weak responder key refuses to write. */
        assert_int_equal(enl_handshake_init(&pr.i, ENL_NOISE_N, 1, NULL, 0, NULL, weak, NULL),
                         ENL_OK);
        assert_int_equal(enl_handshake_write(&pr.i, wire, &len, sizeof wire, NULL, 0),
                         ENL_ECRYPTO);
        assert_dead(&pr.i);
    }
}

/* Both sides through the whole pattern, then transport messages. */
static void roundtrip(enl_noise_pattern p, size_t size)
{
    static uint8_t pl[1001], wire[1001 + ENL_NOISE_TAGLEN], got[1001];
    enl_cipherstate s[2], r[2];
    uint8_t hi[64], hr[64], rs[32];
    size_t len;
    int m, from;
    pair pr;

    pair_new(&pr, p);
    for (m = 0; m < nmsgs(p); m++) {
        len = m == 0 ? size : randombytes_uniform(1001);
        randombytes_buf(pl, len);
        pair_step(&pr, m, pl, len);
    }
    assert_true(enl_handshake_done(&pr.i) && enl_handshake_done(&pr.r));
    enl_handshake_hash(&pr.i, hi);
    enl_handshake_hash(&pr.r, hr);
    assert_memory_equal(hi, hr, 64);
    assert_int_equal(enl_handshake_remote_static(&pr.i, rs), ENL_OK);
    assert_memory_equal(rs, pr.r_pk, 32);
    if (p == ENL_NOISE_N) {
        assert_int_equal(enl_handshake_remote_static(&pr.r, rs), ENL_ENOTFOUND);
    } else {
        assert_int_equal(enl_handshake_remote_static(&pr.r, rs), ENL_OK);
        assert_memory_equal(rs, pr.i_pk, 32);
    }
    assert_int_equal(enl_handshake_split(&pr.i, &s[0], &r[0]), ENL_OK);
    assert_int_equal(enl_handshake_split(&pr.r, &s[1], &r[1]), ENL_OK);
    for (m = 0; m < 6; m++) {
        from = is_oneway(p) ? 0 : m % 2;
        len = randombytes_uniform(1001);
        randombytes_buf(pl, len);
        assert_int_equal(enl_cipher_encrypt(&s[from], wire, hi, 64, pl, len), ENL_OK);
        assert_int_equal(enl_cipher_decrypt(&r[1 - from], got, hi, 64, wire,
                                            len + ENL_NOISE_TAGLEN),
                         ENL_OK);
        if (len > 0) assert_memory_equal(got, pl, len);
    }
}

static void test_roundtrip_random(void **state)
{
    size_t it;

    (void)state;
    for (it = 0; it < 60; it++) {
        size_t size = it == 0 ? 0 : it == 1 ? 1000 : randombytes_uniform(1001);
        roundtrip(ENL_NOISE_X, size);
        roundtrip(ENL_NOISE_XK, size);
    }
    for (it = 0; it < NPATTERNS; it++) roundtrip(all_patterns[it], 100);
}

static void test_split(void **state)
{
    enl_cipherstate is, ir, rsend, rrecv;
    uint8_t c0[64], c1[64], got[64], hash[64];
    pair pr;

    (void)state;
    pair_new(&pr, ENL_NOISE_XK);
    assert_int_equal(enl_handshake_split(&pr.i, &is, &ir), ENL_EINVAL);
    pair_step(&pr, 0, NULL, 0);
    pair_step(&pr, 1, NULL, 0);
    assert_int_equal(enl_handshake_split(&pr.r, &rsend, &rrecv), ENL_EINVAL);
    pair_step(&pr, 2, NULL, 0);
    assert_int_equal(enl_handshake_split(&pr.i, &is, &is), ENL_EINVAL);
    enl_handshake_hash(&pr.i, hash);
    assert_false(sodium_is_zero(hash, 64));
    assert_int_equal(enl_handshake_split(&pr.i, &is, &ir), ENL_OK);
    assert_int_equal(enl_handshake_split(&pr.r, &rsend, &rrecv), ENL_OK);
    assert_dead(&pr.i);
    assert_dead(&pr.r);
    assert_true(is.has_key && ir.has_key && rsend.has_key && rrecv.has_key);
    assert_memory_equal(is.k, rrecv.k, 32);
    assert_memory_equal(ir.k, rsend.k, 32);
    assert_memory_not_equal(is.k, ir.k, 32);
    assert_true(is.n == 0 && ir.n == 0 && rsend.n == 0 && rrecv.n == 0);

    /* Both directions; a message out of order, a replay, a wrong ad. */
    assert_int_equal(enl_cipher_encrypt(&is, c0, NULL, 0, hello, sizeof hello), ENL_OK);
    assert_int_equal(enl_cipher_encrypt(&is, c1, NULL, 0, hello, sizeof hello), ENL_OK);
    assert_int_equal(enl_cipher_decrypt(&rrecv, got, NULL, 0, c1, sizeof hello + 16),
                     ENL_EDECRYPT);
    assert_int_equal(enl_cipher_decrypt(&rrecv, got, NULL, 0, c0, sizeof hello + 16), ENL_OK);
    assert_memory_equal(got, hello, sizeof hello);
    assert_int_equal(enl_cipher_decrypt(&rrecv, got, NULL, 0, c0, sizeof hello + 16),
                     ENL_EDECRYPT);
    assert_int_equal(enl_cipher_decrypt(&rrecv, got, NULL, 0, c1, sizeof hello + 16), ENL_OK);
    assert_int_equal(enl_cipher_encrypt(&rsend, c0, hash, 64, hello, sizeof hello), ENL_OK);
    assert_int_equal(enl_cipher_decrypt(&ir, got, hash, 63, c0, sizeof hello + 16),
                     ENL_EDECRYPT);
    assert_int_equal(enl_cipher_decrypt(&ir, got, hash, 64, c0, sizeof hello + 16), ENL_OK);
    assert_memory_equal(got, hello, sizeof hello);
    enl_cipher_wipe(&is);
    assert_true(sodium_is_zero(is.k, 32) && !is.has_key);
    assert_int_equal(enl_cipher_encrypt(&is, c0, NULL, 0, hello, sizeof hello), ENL_EINVAL);

    /* One-way: the responder has nothing to send with. */
    pair_new(&pr, ENL_NOISE_X);
    pair_step(&pr, 0, hello, sizeof hello);
    assert_int_equal(enl_handshake_split(&pr.i, &is, &ir), ENL_OK);
    assert_int_equal(enl_handshake_split(&pr.r, &rsend, &rrecv), ENL_OK);
    assert_false(ir.has_key || rsend.has_key);
    assert_int_equal(enl_cipher_encrypt(&rsend, c0, NULL, 0, hello, sizeof hello), ENL_EINVAL);
    assert_int_equal(enl_cipher_encrypt(&is, c0, NULL, 0, hello, sizeof hello), ENL_OK);
    assert_int_equal(enl_cipher_decrypt(&ir, got, NULL, 0, c0, sizeof hello + 16), ENL_EINVAL);
    assert_int_equal(enl_cipher_decrypt(&rrecv, got, NULL, 0, c0, sizeof hello + 16), ENL_OK);
}

/* n = 2^64-1 is never used as a nonce. */
static void test_nonce_limit(void **state)
{
    enl_cipherstate is, ir, rs, rr;
    uint8_t c[64], got[64];
    pair pr;

    (void)state;
    pair_new(&pr, ENL_NOISE_N);
    pair_step(&pr, 0, NULL, 0);
    assert_int_equal(enl_handshake_split(&pr.i, &is, &ir), ENL_OK);
    assert_int_equal(enl_handshake_split(&pr.r, &rs, &rr), ENL_OK);
    is.n = UINT64_MAX - 1;
    rr.n = UINT64_MAX - 1;
    assert_int_equal(enl_cipher_encrypt(&is, c, NULL, 0, hello, sizeof hello), ENL_OK);
    assert_int_equal(enl_cipher_decrypt(&rr, got, NULL, 0, c, sizeof hello + 16), ENL_OK);
    assert_true(is.n == UINT64_MAX && rr.n == UINT64_MAX);
    assert_int_equal(enl_cipher_encrypt(&is, c, NULL, 0, hello, sizeof hello), ENL_ECRYPTO);
    assert_int_equal(enl_cipher_decrypt(&rr, got, NULL, 0, c, sizeof hello + 16), ENL_ECRYPTO);
    assert_true(is.n == UINT64_MAX && rr.n == UINT64_MAX);
}

static void test_init_args(void **state)
{
    uint8_t sk[32], pk[32], e[32];
    enl_handshake hs;
    size_t p;

    (void)state;
    keypair(sk, pk);
    randombytes_buf(e, sizeof e);
    assert_int_equal(enl_handshake_init(NULL, ENL_NOISE_XK, 1, NULL, 0, sk, pk, NULL),
                     ENL_EINVAL);
    assert_int_equal(enl_handshake_init(&hs, (enl_noise_pattern)99, 1, NULL, 0, sk, pk, NULL),
                     ENL_EINVAL);
    assert_dead(&hs);
    assert_int_equal(enl_handshake_init(&hs, ENL_NOISE_XK, 1, NULL, 5, sk, pk, NULL),
                     ENL_EINVAL);
    /* Missing keys. */
    assert_int_equal(enl_handshake_init(&hs, ENL_NOISE_XK, 1, NULL, 0, NULL, pk, NULL),
                     ENL_EINVAL);
    assert_int_equal(enl_handshake_init(&hs, ENL_NOISE_XK, 1, NULL, 0, sk, NULL, NULL),
                     ENL_EINVAL);
    assert_int_equal(enl_handshake_init(&hs, ENL_NOISE_K, 0, NULL, 0, sk, NULL, NULL),
                     ENL_EINVAL);
    assert_int_equal(enl_handshake_init(&hs, ENL_NOISE_XX, 0, NULL, 0, NULL, NULL, NULL),
                     ENL_EINVAL);
    /* Keys the pattern would not use: an unused rs would look like pinning. */
    assert_int_equal(enl_handshake_init(&hs, ENL_NOISE_XK, 0, NULL, 0, sk, pk, NULL),
                     ENL_EINVAL);
    assert_int_equal(enl_handshake_init(&hs, ENL_NOISE_XX, 1, NULL, 0, sk, pk, NULL),
                     ENL_EINVAL);
    assert_int_equal(enl_handshake_init(&hs, ENL_NOISE_N, 1, NULL, 0, sk, pk, NULL),
                     ENL_EINVAL);
    assert_int_equal(enl_handshake_init(&hs, ENL_NOISE_X, 0, NULL, 0, sk, NULL, e),
                     ENL_EINVAL);
    assert_dead(&hs);
    /* Every pattern, both sides, with what it needs. */
    for (p = 0; p < NPATTERNS; p++) {
        pair pr;
        pair_new(&pr, all_patterns[p]);
        assert_false(enl_handshake_done(&pr.i) || enl_handshake_done(&pr.r));
        enl_handshake_wipe(&pr.i);
        enl_handshake_wipe(&pr.r);
    }
    enl_handshake_wipe(NULL);
    enl_cipher_wipe(NULL);
}

/* Writing out of turn changes nothing; reading out of turn wipes, as
 * every read error does. */
/* The public half of the static key is remembered between handshakes (by
 * a hash of the secret key): alternating keys must each arrive as their own,
 * including after the memory is forgotten. */
static void test_static_key_each_its_own(void **state)
{
    uint8_t sk[2][32], pk[2][32], rsk[32], rpk[32], rs[32];
    static uint8_t wire[ENL_NOISE_MAXMSG], got[ENL_NOISE_MAXMSG];
    enl_handshake i, r;
    size_t len, got_len;
    (void)state;
    keypair(sk[0], pk[0]);
    keypair(sk[1], pk[1]);
    keypair(rsk, rpk);
    for (int k = 0; k < 6; k++) {
        int w = (k / 2 + k) % 2;
        if (k == 4) enl_handshake_forget_keys();
        assert_int_equal(enl_handshake_init(&i, ENL_NOISE_X, 1, NULL, 0, sk[w], rpk, NULL), ENL_OK);
        assert_memory_equal(i.s_pk, pk[w], 32);
        assert_int_equal(enl_handshake_init(&r, ENL_NOISE_X, 0, NULL, 0, rsk, NULL, NULL), ENL_OK);
        assert_memory_equal(r.s_pk, rpk, 32);
        assert_int_equal(enl_handshake_write(&i, wire, &len, sizeof wire, hello, sizeof hello),
                         ENL_OK);
        assert_int_equal(enl_handshake_read(&r, got, &got_len, sizeof got, wire, len), ENL_OK);
        assert_int_equal(enl_handshake_remote_static(&r, rs), ENL_OK);
        assert_memory_equal(rs, pk[w], 32);
        enl_handshake_wipe(&i);
        enl_handshake_wipe(&r);
    }
}

static void test_turns(void **state)
{
    uint8_t wire[256], got[256];
    size_t len, got_len;
    pair pr;

    (void)state;
    pair_new(&pr, ENL_NOISE_XK);
    assert_int_equal(enl_handshake_write(&pr.r, wire, &len, sizeof wire, NULL, 0), ENL_EINVAL);
    assert_int_equal(enl_handshake_write(&pr.i, wire, &len, sizeof wire, NULL, 0), ENL_OK);
    assert_int_equal(enl_handshake_write(&pr.i, wire, &len, sizeof wire, NULL, 0), ENL_EINVAL);
    assert_int_equal(enl_handshake_read(&pr.r, got, &got_len, sizeof got, wire, len), ENL_OK);
    assert_int_equal(enl_handshake_read(&pr.r, got, &got_len, sizeof got, wire, len),
                     ENL_EINVAL);
    assert_dead(&pr.r);

    /* One-way: after its one message the initiator has nothing to write. */
    pair_new(&pr, ENL_NOISE_X);
    pair_step(&pr, 0, hello, sizeof hello);
    assert_true(enl_handshake_done(&pr.i) && enl_handshake_done(&pr.r));
    assert_int_equal(enl_handshake_write(&pr.i, wire, &len, sizeof wire, NULL, 0), ENL_EINVAL);
    assert_true(enl_handshake_done(&pr.i));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_embedded),
        cmocka_unit_test(test_vectors_file),
        cmocka_unit_test(test_hmac_hkdf),
        cmocka_unit_test(test_init_args),
        cmocka_unit_test(test_turns),
        cmocka_unit_test(test_static_key_each_its_own),
        cmocka_unit_test(test_bitflip),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_wrong_responder_key),
        cmocka_unit_test(test_bufsize),
        cmocka_unit_test(test_weak_keys),
        cmocka_unit_test(test_roundtrip_random),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_nonce_limit),
    };

    if (enl_init() != ENL_OK) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
