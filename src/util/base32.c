/*
 * Crockford base32 and hex. Encoding a secret is never done here in a
 * data-dependent way that matters: cards and ids are public values.
 */
#include "util/base32.h"

#include "enlace.h"

static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

int enl_base32_value(char c)
{
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    switch (c) {
    case 'o': return 0;
    case 'i': case 'l': return 1;
    case 'u': return -1;
    default: break;
    }
    for (int i = 0; i < 32; i++)
        if (alphabet[i] == c) return i;
    return -1;
}

int enl_base32_encode(char *out, size_t out_max, const uint8_t *in, size_t len)
{
    size_t need = ENL_BASE32_LEN(len) + 1, o = 0;
    uint32_t acc = 0;
    int bits = 0;

    if (out_max < need) return ENL_EBUFSIZE;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = alphabet[(acc >> bits) & 31];
        }
        acc &= (1u << bits) - 1;
    }
    if (bits > 0) out[o++] = alphabet[(acc << (5 - bits)) & 31];
    out[o] = '\0';
    return ENL_OK;
}

int enl_base32_decode(uint8_t *out, size_t out_max, size_t *out_len,
                      const char *text, size_t text_len)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;

    for (size_t i = 0; i < text_len; i++) {
        char c = text[i];
        int v;
        if (c == ' ' || c == '-' || c == '\n' || c == '\r' || c == '\t') continue;
        v = enl_base32_value(c);
        if (v < 0) return ENL_EMALFORMED;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (o >= out_max) return ENL_ETOOBIG;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* Leftover bits must be padding: fewer than 5 and all zero. */
    if (bits >= 5 || acc != 0) return ENL_EMALFORMED;
    *out_len = o;
    return ENL_OK;
}

void enl_hex_encode(char *out, const uint8_t *in, size_t len)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int enl_hex_decode(uint8_t *out, size_t out_len, const char *hex, size_t hex_len)
{
    if (hex_len != 2 * out_len) return ENL_EMALFORMED;
    for (size_t i = 0; i < out_len; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return ENL_EMALFORMED;
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    return ENL_OK;
}
