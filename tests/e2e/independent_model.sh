#!/bin/sh
# The vectors of docs/PROTOCOL.md for note format 2, recomputed by an
# independent model (tests/model/ratchet_vectors.py: Python and the
# "cryptography" package, no enlace code), and refused by it once a byte of
# a vector is changed, so this test can fail.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
MODEL=tests/model/ratchet_vectors.py

step "the model reproduces the documented ratchet and note vectors"
ok "$PY" "$MODEL" docs/PROTOCOL.md
contains "$OUT" "A1: tag, header, body and purge key reproduced" "the model's report"

step "a changed byte in the header of A1 is found"
# The first byte after the 16-byte tag: 32 hex digits in.
sed '/^```vector ratchet$/,/^```$/ s/^\(A1: [0-9a-f]\{32\}\)\(.\)/\1X\2/' docs/PROTOCOL.md |
    awk '{ if ($0 ~ /^A1: /) { i = index($0, "X"); c = substr($0, i + 1, 1);
           c = (c == "0") ? "1" : "0"; $0 = substr($0, 1, i - 1) c substr($0, i + 2) } print }' \
    >"$T/changed.md"
cmp -s docs/PROTOCOL.md "$T/changed.md" && die "the vector was not changed"
expect_fail 1 "$PY" "$MODEL" "$T/changed.md"
