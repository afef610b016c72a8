"""XChaCha20 for the independent models (tests/model): HChaCha20 written out
(the "cryptography" package has ChaCha20 and ChaCha20-Poly1305 with 12-byte
nonces only), and the helpers both models use. Nothing from enlace."""
import hashlib, hmac, struct
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives import serialization as ser


def fill(x): return bytes((x + i) & 0xff for i in range(32))
def raw(pk): return pk.public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
def hm(k, m): return hmac.new(k, m, hashlib.blake2b).digest()
def rotl(v, c): return ((v << c) & 0xffffffff) | (v >> (32 - c))


def hchacha20(key, n16):
    s = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] + list(struct.unpack('<8I', key)) + list(struct.unpack('<4I', n16))
    def qr(a, b, c, d):
        s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 7)
    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack('<8I', *(s[0:4] + s[12:16]))


def xchacha20_xor(key, n24, data):
    sub = hchacha20(key, n24[:16])
    return Cipher(algorithms.ChaCha20(sub, b'\0' * 8 + n24[16:]), mode=None).encryptor().update(data)
