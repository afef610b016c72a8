#!/bin/sh
# Damaged, tampered and foreign files in a dead drop: each is skipped with a
# warning and counted, the sync still succeeds, nothing is delivered, stored
# data is not touched; the genuine note still arrives once a good copy shows up.
. "$(dirname "$0")/lib.sh"

TEXT_A='note A: the printing press moved'
TEXT_B='note B: bring the stencils'

mkprofile ana
mkprofile carmen
mkprofile visitor
introduce ana carmen
mkdrop src
ok enl ana send carmen "$TEXT_A"
sync_drop ana src
a=$(ls "$T/src" | grep '\.note$')
ok enl ana send carmen "$TEXT_B"
sync_drop ana src
b=$(ls "$T/src" | grep '\.note$' | grep -v "$a")
[ -n "$a" ] && [ -n "$b" ] || die "ana's two notes are not in the drop"
cp "$T/src/$a" "$T/A.good"
cp "$T/src/$b" "$T/B.good"
size=$(wc -c <"$T/A.good" | tr -d ' ')

# bad_drop NAME FILE WHAT: carmen and the visitor sync a drop that holds one bad
# file (plus nothing else of value); both skip it with a warning, exit 0,
# deliver nothing; carmen's inbox stays empty.
bad_drop() {
    _d=$1 _f=$2 _what=$3
    for who in carmen visitor; do
        run enl "$who" sync "$T/$_d"
        if [ "$RC" -ne 0 ]; then
            fail "$who syncing a drop with $_what exited $RC, expected 0"
            last >&2
            continue
        fi
        grep -q '^enlace: warning: .*'"$_f" "$ERR" ||
            fail "$who syncing a drop with $_what: no warning naming $_f (stderr: $(cat "$ERR"))"
        sk=$(sync_skipped)
        [ "${sk:-0}" -ge 1 ] || fail "$who syncing a drop with $_what: skipped=$sk, expected >= 1"
        eq "$(sync_new)" 0 "$who syncing a drop with $_what: new messages"
        eq "$(sync_received)" 0 "$who syncing a drop with $_what: notes received"
    done
    eq "$(inbox_count carmen)" 0 "carmen's inbox after a drop with $_what"
    eq "$(inbox_count carmen --requests)" 0 "carmen's requests after a drop with $_what"
    expect_status visitor notes 0
    expect_status carmen notes 0
}

step "one byte flipped in the sealed body, name kept"
mkdrop flip
cp "$T/A.good" "$T/flip/$a"
flip_byte "$T/flip/$a" 100
bad_drop flip "$a" "a flipped byte in the body"

step "one byte flipped in the clear header, name kept"
mkdrop fliph
cp "$T/A.good" "$T/fliph/$a"
flip_byte "$T/fliph/$a" 3
bad_drop fliph "$a" "a flipped byte in the header"

step "another valid note under A's name"
mkdrop swap
cp "$T/B.good" "$T/swap/$a"
bad_drop swap "$a" "note B under A's name"

step "a truncated note"
mkdrop trunc
head -c $((size / 2)) "$T/A.good" >"$T/trunc/$a"
bad_drop trunc "$a" "a truncated note"
mkdrop trunc0
: >"$T/trunc0/$a"
bad_drop trunc0 "$a" "an empty note file"

step "random junk named like a note"
mkdrop junk
head -c "$size" /dev/urandom >"$T/junk.bin"
junkname=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n').note
cp "$T/junk.bin" "$T/junk/$junkname"
bad_drop junk "$junkname" "random junk named like a note"

step "random junk named by its own hash (passes the name check)"
mkdrop junk2
junk2=$(b2id "$T/junk.bin").note
cp "$T/junk.bin" "$T/junk2/$junk2"
bad_drop junk2 "$junk2" "junk named by its own hash"

step "an oversized file named like a note"
mkdrop big
head -c 70000 /dev/urandom >"$T/big.bin"
bigname=$(b2id "$T/big.bin").note
cp "$T/big.bin" "$T/big/$bigname"
bad_drop big "$bigname" "an oversized note"

step "a foreign file, a corrupt purge record"
# (leftover temporary files: tests/e2e/drop_leftovers.sh)
mkdrop foreign
echo "hello" >"$T/foreign/hello.txt"
bad_drop foreign hello.txt "a foreign file"
mkdrop purge
head -c 37 /dev/urandom >"$T/purge.bin"
purgename=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n').purge   # named by a 16-byte lock
cp "$T/purge.bin" "$T/purge/$purgename"
bad_drop purge "$purgename" "a corrupt purge record"

step "special files named like a note: a symlink, a fifo, a folder"
mkdrop special
zid=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
ln -s /dev/zero "$T/special/$zid.note"
bad_drop special "$zid.note" "a symlink to /dev/zero"
mkdrop special2
fid=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
mkfifo "$T/special2/$fid.note"
# A fifo must not make the sync hang.
if command -v timeout >/dev/null 2>&1; then
    run timeout 10 "$ENLACE" --home "$T/carmen" sync "$T/special2"
    [ "$RC" -eq 124 ] && fail "a fifo named like a note makes sync hang"
    [ "$RC" -eq 0 ] || { fail "a fifo named like a note: sync exited $RC"; last >&2; }
fi
mkdrop special3
did=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
mkdir "$T/special3/$did.note"
run enl carmen sync "$T/special3"
[ "$RC" -eq 0 ] || { fail "a folder named like a note: sync exited $RC"; last >&2; }
eq "$(inbox_count carmen)" 0 "carmen's inbox after special files"

step "tampered files were not taken in, so nothing of them travels on"
mkdrop clean
sync_drop visitor clean
eq "$(notes_in clean)" 0 "notes the visitor leaves in a clean drop"
sync_drop carmen clean
eq "$(notes_in clean)" 0 "notes carmen leaves in a clean drop"

step "a flipped byte, renamed to its new hash (only the seal can tell)"
mkdrop rehash
cp "$T/A.good" "$T/rehash.bin"
flip_byte "$T/rehash.bin" 200
cp "$T/rehash.bin" "$T/rehash/$(b2id "$T/rehash.bin").note"
run enl carmen sync "$T/rehash"
[ "$RC" -eq 0 ] || { fail "a re-hashed tampered note: sync exited $RC"; last >&2; }
eq "$(sync_new)" 0 "a re-hashed tampered note: new messages"
eq "$(inbox_count carmen)" 0 "carmen's inbox after a re-hashed tampered note"
eq "$(inbox_count carmen --requests)" 0 "carmen's requests after a re-hashed tampered note"
mkdrop rehash2
cp "$T/A.good" "$T/rehash2.bin"
flip_byte "$T/rehash2.bin" 2
cp "$T/rehash2.bin" "$T/rehash2/$(b2id "$T/rehash2.bin").note"
run enl carmen sync "$T/rehash2"
[ "$RC" -eq 0 ] || { fail "a re-hashed note with a changed expiry: sync exited $RC"; last >&2; }
eq "$(inbox_count carmen)" 0 "carmen's inbox after a re-hashed note with a changed expiry"

step "the genuine notes still arrive, once"
mkdrop good
cp "$T/A.good" "$T/good/$a"
# Keep a damaged copy next to the good one in another name's place.
cp "$T/A.good" "$T/good/$junkname"
sync_drop carmen good
eq "$(sync_new)" 1 "carmen syncing the good copy: new messages"
eq "$(inbox_count carmen)" 1 "carmen's inbox after the good copy"
contains "$T/log/inbox" "$TEXT_A" "carmen's inbox"
cp "$T/B.good" "$T/good/$b"
sync_drop carmen good
eq "$(inbox_count carmen)" 2 "carmen's inbox after the second good copy"
contains "$T/log/inbox" "$TEXT_B" "carmen's inbox"
# And the bad drops, synced again, deliver nothing more.
for d in flip fliph swap trunc junk junk2; do
    sync_drop carmen "$d"
done
eq "$(inbox_count carmen)" 2 "carmen's inbox after syncing the bad drops again"
# The re-hashed copy of A shares A's purge lock: A's delivery purged it too.
expect_status carmen notes 0

finish
