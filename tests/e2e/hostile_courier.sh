# What a hostile courier or drop can do, and cannot: a damaged copy of a
# note does not cut a TCP sync (the good items still move); junk planted
# under a note's name in a dead drop is overwritten by the next device that
# holds the real note, and so is junk under a purge record's or a burn
# notice's name; a directory planted under a name does not stop the other
# notes from being written; a file name cannot print a line of its own.
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile carmen
mkprofile courier
introduce ana carmen
add_contact carmen courier
add_contact courier carmen
mkdrop d0
ok enl ana send carmen "first"
sync_drop ana d0
sync_drop carmen d0
ok enl carmen send ana "reply"
sync_drop carmen d0
sync_drop ana d0

step "a damaged copy of a session note rides with a good one"
mkdrop d1
ok enl ana send carmen "the good one"
ok enl ana send carmen "the one someone damages"
bad_id=$(sed -n 's/.*(id \([0-9a-f]*\)).*/\1/p' "$OUT")
sync_drop ana d1
f=$(ls "$T"/d1/"$bad_id"*.note | head -n 1)
cp "$f" "$T/bad"
flip_byte "$T/bad" 200
rm "$f"
cp "$T/bad" "$T/d1/$(b2id "$T/bad").note"
sync_drop courier d1
eq "$(notes_in d1)" 2 "notes in d1"

step "carmen syncs with the courier over TCP: the damaged note is skipped, the link holds"
listen_bg courier --once
ok enl carmen sync "tcp://courier@127.0.0.1:$PORT"
contains "$OUT" "1 skipped"
wait $LPID
inbox_count carmen >/dev/null
contains "$T/log/inbox" "the good one"

step "junk under a note's name in a drop is overwritten by a device holding the note"
mkdrop d2
ok enl ana send carmen "censored?"
sync_drop ana d2
g=$(ls "$T"/d2/*.note | head -n 1)
head -c 300 /dev/urandom > "$g"
sync_drop ana d2
eq "$(b2id "$g")" "$(basename "$g" .note)" "the note's file after ana's second sync"
sync_drop carmen d2
inbox_count carmen >/dev/null
contains "$T/log/inbox" "censored?"

step "a directory planted under a note's name does not stop the other notes"
mkdrop d3
ok enl ana send carmen "one"
ok enl ana send carmen "two"
id=$(sed -n 's/.*(id \([0-9a-f]*\)).*/\1/p' "$OUT")
mkdrop d4
sync_drop ana d4
name=$(ls "$T"/d4/"$id"*.note)
mkdir "$T/d3/$(basename "$name")"
expect_fail 1 enl ana sync "$T/d3"
[ "$(ls "$T"/d3/*.note 2>/dev/null | grep -vc "$id")" -ge 1 ] || fail "the other notes were not written"

step "junk under a purge record's name in a drop is overwritten by a device holding the purge"
mkdrop d5
ok enl ana send carmen "read, then purged"
sync_drop ana d5
sync_drop carmen d5
pf=$(ls "$T"/d5/*.purge | head -n 1)
[ -f "$pf" ] || die "carmen wrote no purge record to d5"
cp "$pf" "$T/purge.real"
head -c 37 /dev/urandom > "$pf"
sync_drop carmen d5
cmp -s "$pf" "$T/purge.real" || fail "the junk under the purge's name was left in d5"

step "junk under a burn notice's name in a drop is overwritten by a device holding the notice"
mkdrop d6
ok enl ana revocation export --out "$T/rev.txt"
ok enl carmen revocation hold ana "$T/rev.txt"
ok enl carmen revocation publish ana
sync_drop carmen d6
bf=$(ls "$T"/d6/*.burn | head -n 1)
[ -f "$bf" ] || die "carmen wrote no burn notice to d6"
head -c 300 /dev/urandom > "$bf"
sync_drop carmen d6
eq "$(b2id "$bf")" "$(basename "$bf" .burn)" "the burn notice's file after carmen's second sync"

step "a directory planted under a burn notice's name does not stop the notes"
mkdrop d7
mkdir "$T/d7/$(basename "$bf")"
ok enl carmen send courier "behind the notice"
expect_fail 1 enl carmen sync "$T/d7"
contains "$ERR" "cannot write"
[ "$(notes_in d7)" -ge 1 ] || fail "no note was written to d7"
[ "$(ls "$T"/d7/*.purge 2>/dev/null | wc -l)" -ge 1 ] || fail "no purge was written to d7"

step "a file name with a newline in it cannot print a line of its own"
mkdrop d8
: >"$T/d8/$(printf 'x\nenlace: warning: ana forged this line')"
ok enl ana sync "$T/d8"
contains "$ERR" "not an enlace file"
if grep -q '^enlace: warning: ana forged' "$ERR"; then
    fail "a drop's file name printed a line that looks like enlace's own"
    cat "$ERR" >&2
fi
finish
