#!/bin/sh
# Every vector of docs/PROTOCOL.md sections 1-4c and the cell note of
# section 9, recomputed from the prose by an independent model
# (tests/model/format_vectors.py: Python, hashlib, hmac, "cryptography" and a
# written-out Ed25519ph; no enlace code): identities, fingerprints, the
# safety number, the card, the whole ratchet walk, the first-contact note
# opened through Noise X, X3DH and the ratchet, the bulletin, Padme, the
# file bodies, the sender key note and its key message. A changed byte in a
# vector is found, so this test can fail.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
MODEL=tests/model/format_vectors.py

step "the model reproduces every documented vector of sections 1-4c and the cell note"
ok "$PY" "$MODEL" docs/PROTOCOL.md
contains "$OUT" "every vector of sections 1-4c and the cell note reproduced" "the model's report"

step "a changed byte in the cell note is found"
sed '/^```vector cell$/,/^```$/ s/^\(note: [0-9a-f]\{100\}\)0/\11/; /^```vector cell$/,/^```$/ s/^\(note: [0-9a-f]\{100\}\)[1-9a-f]/\10/' \
    docs/PROTOCOL.md >"$T/changed.md"
cmp -s docs/PROTOCOL.md "$T/changed.md" && die "the vector was not changed"
expect_fail 1 "$PY" "$MODEL" "$T/changed.md"
