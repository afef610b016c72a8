# What a hostile courier or drop can do, and cannot: a damaged copy of a
# note does not cut a TCP sync (the good items still move); junk planted
# under a note's name in a dead drop is overwritten by the next device that
# holds the real note; a directory planted under a name does not stop the
# other notes from being written.
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
finish
