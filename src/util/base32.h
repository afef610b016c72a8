/*
 * Crockford base32 (lower case on output), used by cards and the paper form.
 *
 * Decoding forgives what people get wrong when they copy by hand: upper or
 * lower case, O for 0, I and L for 1, and ignores spaces, hyphens and line
 * breaks. Trailing bits must be zero so that every byte string has exactly
 * one encoding.
 */
#ifndef ENL_UTIL_BASE32_H
#define ENL_UTIL_BASE32_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed to encode n bytes (without the terminating NUL). */
#define ENL_BASE32_LEN(n) ((((n) * 8) + 4) / 5)

/* Writes ENL_BASE32_LEN(len) characters and a NUL; out_max counts the NUL. */
int enl_base32_encode(char *out, size_t out_max, const uint8_t *in, size_t len);

/* Decodes text of text_len characters into out; *out_len gets the byte count. */
int enl_base32_decode(uint8_t *out, size_t out_max, size_t *out_len,
                      const char *text, size_t text_len);

/* Value 0..31 of one character after forgiving look-alikes, or -1. */
int enl_base32_value(char c);

/* Hex for ids in file names and JSON: 2*len chars plus NUL. */
void enl_hex_encode(char *out, const uint8_t *in, size_t len);
int enl_hex_decode(uint8_t *out, size_t out_len, const char *hex, size_t hex_len);

#endif
