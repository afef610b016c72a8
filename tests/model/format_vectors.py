#!/usr/bin/env python3
"""A second independent model of docs/PROTOCOL.md (Python, hashlib, hmac and
the "cryptography" package; Ed25519ph written out below; nothing from
enlace). Where tests/model/ratchet_vectors.py checks A1 and two hashes of
the note-first vector, this one recomputes every other vector from the
prose of sections 1-4c and the cell notes of section 9:

  identity-ana, identity-carmen   keys from the seeds
  fingerprint                     raw, printed, safety number
  card-ana                        base32, checksum, signature, fields
  ratchet                         the whole walk A1 A2 A3 B1 B2 A4 (both seeds)
  note-first                      Noise X opened with carmen's keys, the top
                                  bit of e, X3DH, the ratchet, the payload,
                                  the purge key and record
  bulletin                        author key, position, AEAD, signature
  padme                           the function of the PURBs paper
  file                            head, part and payload layouts
  cell                            sender key tag/key/AEAD and its Ed25519ph
                                  signature; the key message for carmen
                                  (chain at iteration 1, owner proof)

Exits non-zero on the first difference. Usage: format_vectors.py docs/PROTOCOL.md
"""
import hashlib, hmac, struct, re, sys
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization as ser
from xchacha import fill, raw, hm, hchacha20, xchacha20_xor

FAILS = []
def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("DIFFERENT: " + what)

def b2b(data, n=32, key=b''): return hashlib.blake2b(data, digest_size=n, key=key).digest()
def x_pub(sk): return raw(X25519PrivateKey.from_private_bytes(sk).public_key())
def x_dh(sk, pk): return X25519PrivateKey.from_private_bytes(sk).exchange(X25519PublicKey.from_public_bytes(pk))
def hkdf(ck, ikm, n=2):
    tk = hm(ck, ikm); o1 = hm(tk, b'\x01'); o2 = hm(tk, o1 + b'\x02')
    if n == 2: return o1, o2
    return o1, o2, hm(tk, o2 + b'\x03')
def xaead_open(key, n24, ct, ad):
    return ChaCha20Poly1305(hchacha20(key, n24[:16])).decrypt(b'\0' * 4 + n24[16:], ct, ad)
def aead_open(key, n, ct, ad):
    return ChaCha20Poly1305(key).decrypt(b'\0' * 4 + struct.pack('<Q', n), ct, ad)

# ---- Ed25519 (RFC 8032), for Ed25519ph and the X25519 form of a key ----
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
I = pow(2, (P - 1) // 4, P)
def inv(x): return pow(x, P - 2, P)
def xrecover(y):
    xx = (y * y - 1) * inv(D * y * y + 1)
    x = pow(xx, (P + 3) // 8, P)
    if (x * x - xx) % P != 0: x = (x * I) % P
    if x % 2 != 0: x = P - x
    return x
def edd(p, q):
    (x1, y1, z1, t1), (x2, y2, z2, t2) = p, q
    a = (y1 - x1) * (y2 - x2) % P; b = (y1 + x1) * (y2 + x2) % P
    c = t1 * 2 * D * t2 % P; d = z1 * 2 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)
def emul(s, p):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1: q = edd(q, p)
        p = edd(p, p); s >>= 1
    return q
def enc(p):
    x, y, z, _ = p; zi = inv(z); x = x * zi % P; y = y * zi % P
    return int.to_bytes(y | ((x & 1) << 255), 32, 'little')
def dec(s):
    y = int.from_bytes(s, 'little'); sign = y >> 255; y &= (1 << 255) - 1
    x = xrecover(y)
    if (x & 1) != sign: x = P - x
    return (x, y, 1, x * y % P)
By = 4 * inv(5) % P
B = (xrecover(By), By, 1, xrecover(By) * By % P)
def ed25519ph_verify(pk, msg, sig):
    dom = b"SigEd25519 no Ed25519 collisions" + b'\x01' + b'\x00'
    ph = hashlib.sha512(msg).digest()
    r, s = sig[:32], int.from_bytes(sig[32:], 'little')
    if s >= L: return False
    k = int.from_bytes(hashlib.sha512(dom + r + pk + ph).digest(), 'little') % L
    return enc(emul(s, B)) == enc(edd(dec(r), emul(k, dec(pk))))
def ed_to_x25519_pk(pk):
    y = int.from_bytes(pk, 'little') & ((1 << 255) - 1)
    return int.to_bytes((1 + y) * inv(1 - y) % P, 32, 'little')
def ed_to_x25519_sk(seed):
    h = bytearray(hashlib.sha512(seed).digest()[:32])
    h[0] &= 248; h[31] &= 127; h[31] |= 64
    return bytes(h)

# ---- the document ------------------------------------------------------
doc = open(sys.argv[1]).read()
def block(name):
    m = re.search(r'```vector %s\n(.*?)```' % re.escape(name), doc, re.S)
    if not m:
        print("no vector block " + name); sys.exit(1)
    return dict(l.split(': ', 1) for l in m.group(1).strip().split('\n'))
def hx(blk, k): return bytes.fromhex(blk[k])

ALPH = "0123456789abcdefghjkmnpqrstvwxyz"
def b32enc(b):
    bits = ''.join('{:08b}'.format(x) for x in b)
    bits += '0' * (-len(bits) % 5)
    return ''.join(ALPH[int(bits[i:i + 5], 2)] for i in range(0, len(bits), 5))
def b32dec(s):
    bits = ''.join('{:05b}'.format(ALPH.index(c)) for c in s)
    n = len(bits) // 8
    assert int(bits[8 * n:] or '0', 2) == 0
    return bytes(int(bits[8 * i:8 * i + 8], 2) for i in range(n))

# ---- section 1: identities ------------------------------------------------
class Ident:
    def __init__(self, seed):
        self.seed = seed
        self.sign_pk = raw(Ed25519PrivateKey.from_private_bytes(seed).public_key())
        self.dh_sk = b2b(seed, 32, b"enlace dh seed v1")
        self.dh_pk = x_pub(self.dh_sk)
        self.prekey_sk = b2b(seed, 32, b"enlace prekey seed v1")
        self.prekey_pk = x_pub(self.prekey_sk)
        self.prekey_id = struct.unpack('>I', b2b(seed)[:4])[0]
        self.fp = b2b(b"enlace fingerprint v1\0" + self.sign_pk + self.dh_pk)
ana, carmen = Ident(b'\xa1' * 32), Ident(b'\xc2' * 32)
v = block('identity-ana')
check(v['sign_pk'] == ana.sign_pk.hex(), "identity-ana sign_pk")
check(v['dh_pk'] == ana.dh_pk.hex(), "identity-ana dh_pk")
check(v['prekey_pk'] == ana.prekey_pk.hex(), "identity-ana prekey_pk")
check(v['prekey_id'] == str(ana.prekey_id), "identity-ana prekey_id")
v = block('identity-carmen')
check(v['sign_pk'] == carmen.sign_pk.hex(), "identity-carmen sign_pk")
check(v['dh_pk'] == carmen.dh_pk.hex(), "identity-carmen dh_pk")

def fp_text(fp):
    t = b32enc(fp[:20]); return ' '.join(t[i:i + 4] for i in range(0, 32, 4))
v = block('fingerprint')
check(v['ana_raw'] == ana.fp.hex(), "fingerprint ana_raw")
check(v['ana'] == fp_text(ana.fp), "fingerprint ana")
check(v['carmen'] == fp_text(carmen.fp), "fingerprint carmen")
lo, hi = sorted([ana.fp, carmen.fp])
h = b2b(b"enlace safety number v1\0" + lo + hi, 64)
sn = ' '.join('%05d' % (int.from_bytes(h[5 * g:5 * g + 5], 'big') % 100000) for g in range(12))
check(v['safety_number'] == sn, "fingerprint safety_number")

# ---- section 2: card ------------------------------------------------------------
NOW = 1790000000
v = block('card-ana')
card = v['card']
check(card.startswith('enlace1'), "card prefix")
cb = b32dec(card[7:])
body, sig, ck = cb[:-68], cb[-68:-4], cb[-4:]
check(b2b(body + sig)[:4] == ck, "card checksum")
Ed25519PublicKey.from_public_bytes(ana.sign_pk).verify(sig, b"enlace card v1\0" + body)
ver, spk, dpk, pid, ppk, created, expires, elen = struct.unpack('>B32s32sI32sQQH', body[:119])
check((ver, spk, dpk, pid, ppk) == (1, ana.sign_pk, ana.dh_pk, ana.prekey_id, ana.prekey_pk), "card fields")
check(created == NOW and expires == NOW + 90 * 86400, "card dates")
check(body[119:] == bytes([1, 3]) + b"ana" and elen == 5, "card extensions")

# ---- section 3: the ratchet walk --------------------------------------------
TAGCTX, NONCECTX, PURGECTX = b"enlace tag v1", b"enlace ratchet nonce v1", b"enlace purge key v1"
def tag_of(hk, n): return b2b(TAGCTX + struct.pack('>I', n), 16, hk)
def kdf_rk(rk, dh):
    o = hkdf(rk + b'\0' * 32, dh, 3); return o[0][:32], o[1][:32], o[2][:32]
def kdf_ck(ck): return hm(ck, b'\x01')[:32], hm(ck, b'\x02')[:32]
class Ratchet:
    def __init__(self, seed): self.seed, self.ctr = seed, 0
    def rnd(self):
        out = b2b(b"enlace ratchet test stream v1" + struct.pack('>Q', self.ctr), 32, self.seed)
        self.ctr += 1; return out
    def alice(self, sk, bob_pk, hka, nhkb):
        self.dhs = self.rnd(); self.dhr = bob_pk
        self.rk, self.cks, self.nhks = kdf_rk(sk, x_dh(self.dhs, bob_pk))
        self.hks, self.nhkr, self.hkr, self.ns, self.nr, self.pn = hka, nhkb, None, 0, 0, 0
    def bob(self, sk, bsk, hka, nhkb):
        self.dhs, self.rk, self.nhks, self.nhkr = bsk, sk, nhkb, hka
        self.hks = self.hkr = None; self.ns = self.nr = self.pn = 0
    def encrypt(self, pt, ad):
        mk, self.cks = kdf_ck(self.cks)
        t = tag_of(self.hks, self.ns)
        eh = xchacha20_xor(self.hks, t + b'\0' * 8, x_pub(self.dhs) + struct.pack('>II', self.pn, self.ns))
        nonce = b2b(NONCECTX, 24, mk)
        ct = ChaCha20Poly1305(hchacha20(mk, nonce[:16])).encrypt(b'\0' * 4 + nonce[16:], pt, ad + t + eh)
        self.ns += 1
        return t + eh + ct, b2b(PURGECTX, 32, mk)
    def decrypt(self, m, ad):
        t, eh, ct = m[:16], m[16:56], m[56:]
        for hk, nxt in ((self.hkr, False), (self.nhkr, True)):
            if hk is None: continue
            hdr = xchacha20_xor(hk, t + b'\0' * 8, eh)
            pn, n = struct.unpack('>II', hdr[32:])
            if tag_of(hk, n) != t: continue
            if nxt:   # DH ratchet (no skipped keys in these vectors)
                self.pn, self.ns, self.nr = self.ns, 0, 0
                self.hks, self.hkr, self.dhr = self.nhks, self.nhkr, hdr[:32]
                self.rk, self.ckr, self.nhkr = kdf_rk(self.rk, x_dh(self.dhs, self.dhr))
                self.dhs = self.rnd()
                self.rk, self.cks, self.nhks = kdf_rk(self.rk, x_dh(self.dhs, self.dhr))
            assert n == self.nr
            mk, self.ckr = kdf_ck(self.ckr); self.nr += 1
            nonce = b2b(NONCECTX, 24, mk)
            return xaead_open(mk, nonce, ct, ad + t + eh), b2b(PURGECTX, 32, mk)
        raise ValueError("no header key opens it")

v = block('ratchet')
bsk = fill(0x20)
check(v['bob_prekey_pk'] == x_pub(bsk).hex(), "ratchet bob_prekey_pk")
A, Bb = Ratchet(fill(0x80)), Ratchet(fill(0xa0))
A.alice(fill(0), x_pub(bsk), fill(0x40), fill(0x60))
Bb.bob(fill(0), bsk, fill(0x40), fill(0x60))
AD = b"enlace ratchet vectors"
for name in ["A1", "A2", "A3", "B1", "B2", "A4"]:
    frm, to = (Bb, A) if name[0] == 'B' else (A, Bb)
    m, _ = frm.encrypt(name.encode(), AD)
    check(v[name] == m.hex(), "ratchet " + name)
    pt, _ = to.decrypt(bytes.fromhex(v[name]), AD)
    check(pt == name.encode(), "ratchet %s opens" % name)

# ---- section 3: the note-first vector -----------------------------------------
v = block('note-first')
note = hx(v, 'note')
check(len(note) == int(v['length']), "note-first length")
hdr, body = note[:21], note[21:]
check(note[0] == 2, "note-first version")
expiry = struct.unpack('>I', note[1:5])[0]
check(expiry == NOW // 3600 + 336, "note-first expiry")
# the top bit of e: the low bit of BLAKE2b-128 of the rest of the Noise message
check(body[31] >> 7 == b2b(body[32:], 16)[0] & 1, "note-first: top bit of e")
e = body[:31] + bytes([body[31] & 0x7f])
check(e == x_pub(b'\xe5' * 32), "note-first: Noise ephemeral from 32 x e5")
name = b"Noise_X_25519_ChaChaPoly_BLAKE2b"
hh = name + b'\0' * (64 - len(name)); ckk = hh
def mixhash(d):
    global hh; hh = hashlib.blake2b(hh + d).digest()
mixhash(hdr)                    # the prologue: the clear header
mixhash(carmen.dh_pk)           # <- s
mixhash(e)
ckk, k = hkdf(ckk, x_dh(carmen.dh_sk, e)); k = k[:32]
s_ct = body[32:80]
s = aead_open(k, 0, s_ct, hh); mixhash(s_ct)
check(s == ana.dh_pk, "note-first: the sender's static key is ana's")
ckk, k = hkdf(ckk, x_dh(carmen.dh_sk, s)); k = k[:32]
inner = aead_open(k, 0, body[80:], hh)
check(inner[:32] == ana.sign_pk, "note-first: sender_sign_pk")
pid = struct.unpack('>I', inner[32:36])[0]
check(pid == carmen.prekey_id, "note-first: prekey_id")
ek = inner[36:68]
check(ek == x_pub(b'\xe4' * 32), "note-first: X3DH ephemeral from 32 x e4")
ikm = (x_dh(carmen.prekey_sk, ana.dh_pk) + x_dh(carmen.dh_sk, ek) + x_dh(carmen.prekey_sk, ek) +
       ana.dh_pk + carmen.dh_pk + carmen.prekey_pk + ek)
o1, o2, o3 = hkdf(hashlib.blake2b(b"enlace x3dh v1").digest(), ikm, 3)
check(v['x3dh_sk'] == o1[:32].hex(), "note-first x3dh_sk")
Bob = Ratchet(b'\0' * 32)
Bob.bob(o1[:32], carmen.prekey_sk, o2[:32], o3[:32])
pt, pkey = Bob.decrypt(inner[68:], hdr)
kind, sent, disappear, blen = struct.unpack('>BIIH', pt[:11])
check((kind, sent, disappear) == (1, NOW, 0), "note-first payload fields")
check(pt[11:11 + blen] == b"the leaflet is ready", "note-first text")
check(pt[11 + blen:] == b'\0' * (len(pt) - 11 - blen), "note-first padding zeros")
check(v['purge_key'] == pkey.hex(), "note-first purge_key")
check(v['purge_lock'] == b2b(pkey, 16, b"enlace purge lock v2").hex() == note[5:21].hex(), "note-first purge_lock")
check(v['id'] == b2b(note).hex(), "note-first id")
check(v['purge_record'] == (b'\x01' + struct.pack('>I', expiry) + pkey).hex(), "note-first purge_record")
def padme(l):
    if l < 2: return l
    E = l.bit_length() - 1; S = E.bit_length(); mask = (1 << (E - S)) - 1
    return (l + mask) & ~mask
raw_len = 21 + 96 + 32 + 4 + 32 + 72 + 11 + 20
check(len(note) == min(65535, padme(max(256, raw_len))), "note-first: Padme length")

# ---- padme ----------------------------------------------------------------------
v = block('padme')
for pair in v['values'].split():
    a, b = map(int, pair.split('->'))
    check(padme(a) == b, "padme %d" % a)

# ---- file -----------------------------------------------------------------------
v = block('file')
data = b"hello file"
head = (bytes([1]) + b'\x33' * 16 + struct.pack('>QII', 10, 1, 65024) + b2b(data) +
        bytes([9]) + b"hello.txt" + struct.pack('>H', 6) + b"tape 3")
check(v['head'] == head.hex(), "file head")
check(v['part_0'] == (bytes([1]) + b'\x33' * 16 + struct.pack('>I', 0) + data).hex(), "file part_0")
check(v['head_payload'] == (struct.pack('>BIIH', 8, NOW, 0, len(head)) + head).hex(), "file head_payload")

# ---- section 4c: bulletin ----------------------------------------------------------
v = block('bulletin')
K = b2b(ana.fp[:20], 32, b"enlace bulletin author v1")
check(v['author_key'] == K.hex(), "bulletin author_key")
day, slot = NOW // 86400, 3
check(v['day'] == str(day) and v['slot'] == '3', "bulletin position")
pos = struct.pack('>IB', day, slot)
tag = b2b(b"tag" + pos, 32, K)[:16]
check(v['tag'] == tag.hex(), "bulletin tag")
note = hx(v, 'note')
check(len(note) == int(v['length']), "bulletin length")
check(note[21:37] == tag, "bulletin: tag after the header")
check(note[5:21] == b'\x22' * 16, "bulletin: lock")
plain = xaead_open(b2b(b"key" + pos, 32, K), b2b(b"nonce" + pos, 32, K)[:24], note[37:], note[:21])
n = len(plain)
check(n == len(note) - 53, "bulletin: n = note length - 53")
spk, dpk, published, bexp, clen = struct.unpack('>32s32sQIB', plain[:77])
check(spk == ana.sign_pk and dpk == ana.dh_pk, "bulletin: author keys")
check(published == NOW and bexp == NOW // 3600 + 168 == struct.unpack('>I', note[1:5])[0], "bulletin dates")
chan = plain[77:77 + clen]
tlen = struct.unpack('>I', plain[77 + clen:81 + clen])[0]
text = plain[81 + clen:81 + clen + tlen]
check(chan == b"news" and text == b"the leaflet is ready", "bulletin channel and text")
check(plain[81 + clen + tlen:n - 64] == b'\0' * (n - 64 - 81 - clen - tlen), "bulletin padding")
Ed25519PublicKey.from_public_bytes(ana.sign_pk).verify(
    plain[n - 64:], b"enlace bulletin v1\0" + note[:21] + tag + plain[:n - 64])
check(len(note) == padme(max(256, 21 + 16 + 16 + 145 + clen + tlen)), "bulletin: Padme length")
check(v['id'] == b2b(note).hex(), "bulletin id")

# ---- section 9: a cell note and the key message ---------------------------------------
v = block('cell')
cell_id = hx(v, 'cell_id')
sk_seed = b'\x77' * 32
sk_sign_pk = raw(Ed25519PrivateKey.from_private_bytes(sk_seed).public_key())
check(v['sk_sign_pk'] == sk_sign_pk.hex(), "cell sk_sign_pk")
chain0 = b'\x10' * 32
mk0 = b2b(b"enlace sk msg", 32, chain0)
tag0 = b2b(b"enlace sk tag v2" + sk_sign_pk, 16, mk0)
key0 = b2b(b"enlace sk key", 32, mk0)
note = hx(v, 'note')
check(len(note) == 256, "cell note length")
check(note[0] == 2 and struct.unpack('>I', note[1:5])[0] == NOW // 3600 + 24, "cell note header")
check(note[5:21] == b'\x20' * 16, "cell note lock")
check(note[21:37] == tag0, "cell note tag_0")
sealed = xaead_open(key0, b'\0' * 24, note[37:], note[:21] + tag0)
sig, payload = sealed[:64], sealed[64:]
check(ed25519ph_verify(sk_sign_pk, b"enlace sender key v1\0" + note[:21] + tag0 + payload, sig),
      "cell note: Ed25519ph signature over context | header | tag | payload")
kind, sent, disappear, blen = struct.unpack('>BIIH', payload[:11])
check((kind, sent, disappear) == (4, NOW, 0), "cell note payload fields")
check(payload[11:11 + blen] == cell_id + b"la olla del jueves", "cell note body")
chain1 = b2b(b"enlace sk chain", 32, chain0)
km = hx(v, 'key_message_for_carmen')
check(km[:32] == cell_id and km[32:64] == b'\x33' * 32, "key message: cell_id, key_id")
check(km[64:96] == chain1, "key message: the chain at iteration 1")
check(km[96:100] == struct.pack('>I', 1), "key message: next = 1")
check(km[100:132] == sk_sign_pk, "key message: sign_pk")
dh = x_dh(ed_to_x25519_sk(sk_seed), carmen.dh_pk)
check(dh == x_dh(carmen.dh_sk, ed_to_x25519_pk(sk_sign_pk)), "proof: both sides compute the same DH")
proof = b2b(b"enlace sender key owner v1\0" + cell_id + b'\x33' * 32 + sk_sign_pk + ana.sign_pk +
            ana.dh_pk + carmen.dh_pk, 32, dh)
check(km[132:164] == proof and len(km) == 164, "key message: owner proof")

if FAILS:
    print("%d differences" % len(FAILS)); sys.exit(1)
print("every vector of sections 1-4c and the cell note reproduced from the prose")
