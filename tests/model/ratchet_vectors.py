#!/usr/bin/env python3
"""An independent model of note format 2, checked against the vectors of
docs/PROTOCOL.md: Python's hashlib and hmac and the "cryptography" package
(X25519, ChaCha20, ChaCha20-Poly1305; HChaCha20 written out below for the
XChaCha20 subkey), nothing from enlace. It recomputes, for the ratchet
vector A1 (Alice's first message under the shared header key HKA), the tag,
the header encrypted with the XChaCha20 stream under the tag as nonce, the
body under the message key, and the purge key; and for the note-first
vector, the 16-byte purge lock and the note id. Exits non-zero on the first
difference. Usage: ratchet_vectors.py docs/PROTOCOL.md
"""
import hashlib, hmac, struct, re, sys
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization as ser

from xchacha import fill, raw, hm, hchacha20, xchacha20_xor
def xchacha20poly1305_open(key, n24, ct, ad):
    sub = hchacha20(key, n24[:16])
    return ChaCha20Poly1305(sub).decrypt(b'\0' * 4 + n24[16:], ct, ad)

doc = open(sys.argv[1]).read()
blk = re.search(r'```vector ratchet\n(.*?)```', doc, re.S).group(1)
a1 = bytes.fromhex(re.search(r'^A1: ([0-9a-f]+)$', blk, re.M).group(1))
bob_pk_doc = re.search(r'^bob_prekey_pk: ([0-9a-f]+)$', blk, re.M).group(1)

sk, bsk, hka, nhkb, aseed = fill(0), fill(0x20), fill(0x40), fill(0x60), fill(0x80)
bob_pk = raw(X25519PrivateKey.from_private_bytes(bsk).public_key())
assert bob_pk.hex() == bob_pk_doc
# Alice's first ratchet key: the seeded stream, counter 0.
a_sk = hashlib.blake2b(b"enlace ratchet test stream v1" + struct.pack('>Q', 0), key=aseed, digest_size=32).digest()
a_priv = X25519PrivateKey.from_private_bytes(a_sk)
a_pk = raw(a_priv.public_key())
dh = a_priv.exchange(X25519PublicKey.from_public_bytes(bob_pk))
# KDF_RK_HE: the Noise HKDF over HMAC-BLAKE2b, chaining key = RK.
tk = hm(sk + b'\0' * 32, dh)
o1 = hm(tk, b'\x01'); o2 = hm(tk, o1 + b'\x02')
cks = o2[:32]
mk = hm(cks, b'\x01')[:32]
tag = hashlib.blake2b(b"enlace tag v1" + struct.pack('>I', 0), key=hka, digest_size=16).digest()
assert a1[:16] == tag, "tag"
hdr = xchacha20_xor(hka, tag + b'\0' * 8, a1[16:56])
assert hdr == a_pk + struct.pack('>II', 0, 0), "header: DHs | PN | N"
nonce = hashlib.blake2b(b"enlace ratchet nonce v1", key=mk, digest_size=24).digest()
pt = xchacha20poly1305_open(mk, nonce, a1[56:], b"enlace ratchet vectors" + a1[:56])
assert pt == b"A1", pt
purge = hashlib.blake2b(b"enlace purge key v1", key=mk, digest_size=32).digest()

b = re.search(r'```vector note-first\n(.*?)```', doc, re.S).group(1)
g = lambda k: bytes.fromhex(re.search(r'^%s: ([0-9a-f]+)$' % k, b, re.M).group(1))
note, key, lock = g('note'), g('purge_key'), g('purge_lock')
assert note[0] == 2, "note version"
assert hashlib.blake2b(key, key=b"enlace purge lock v2", digest_size=16).digest() == lock, "lock"
assert note[5:21] == lock, "the lock in the header"
assert hashlib.blake2b(note, digest_size=32).digest() == g('id'), "note id"
print("A1: tag, header, body and purge key reproduced; note-first: lock and id reproduced")
