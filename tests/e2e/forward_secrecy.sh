# A conversation through dead drops with notes out of order and twice; a
# device seized (with its passphrase) after reading cannot open the notes
# captured on the way; `enlace open` says why for each case.
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile carmen
mkprofile beto
introduce ana carmen
add_contact beto carmen
mkdrop d1
mkdrop d2
mkdrop captured

step "first messages start the session; a courier copies every note"
ok enl ana send carmen "uno"
ok enl ana send carmen "dos"
ok enl ana send carmen "tres"
sync_drop ana d1
cp "$T"/d1/*.note "$T/captured/"
eq "$(notes_in captured)" 3 "notes captured"

step "carmen reads them (in whatever order the folder gives them)"
sync_drop carmen d1
eq "$(inbox_count carmen)" 3 "carmen's messages"
contains "$T/log/inbox" '"text":"uno"'
contains "$T/log/inbox" '"text":"tres"'

step "the notes captured earlier no longer open on carmen's device"
for f in "$T"/captured/*.note; do
    expect_fail 1 enl carmen open "$f"
    contains "$ERR" "already read" "open of a read note"
done

step "replies are session notes that ana recognises by their tag"
ok enl carmen send ana "cuatro"
ok enl carmen send ana "cinco"
sync_drop carmen d2
for f in "$T"/d2/*.note; do cp "$f" "$T/captured/"; done
# deliver the second reply first: move the other one away, then bring it back
first=$(ls "$T"/d2/*.note | head -n 1)
mv "$first" "$T/held.note"
sync_drop ana d2
eq "$(inbox_count ana)" 1 "ana's messages after one reply"
mv "$T/held.note" "$first"
sync_drop ana d2
eq "$(inbox_count ana)" 2 "ana's messages after both replies, out of order"

step "a note replayed is not delivered twice"
for f in "$T"/captured/*.note; do cp "$f" "$T/d2/"; done
sync_drop ana d2
eq "$(inbox_count ana)" 2 "ana's messages after a replay"
sync_drop carmen d2
eq "$(inbox_count carmen)" 3 "carmen's messages after a replay"

step "after the reply ana's notes are session notes (smaller than first contacts)"
ok enl ana send carmen "seis"
mkdrop d3
sync_drop ana d3
size=$(wc -c < "$(ls "$T"/d3/*.note | head -n 1)")
[ "$size" -le 256 ] || fail "a short session note should be 256 bytes, is $size"
sync_drop carmen d3
eq "$(inbox_count carmen)" 4 "carmen's messages"

step "open: not for this profile, damaged"
ok enl ana send carmen "siete"
id=$(sed -n 's/.*(id \([0-9a-f]*\)).*/\1/p' "$OUT")
mkdrop d4
sync_drop ana d4
f=$(ls "$T"/d4/"$id"*.note | head -n 1)
expect_fail 1 enl beto open "$f"
contains "$ERR" "not for this profile"
ok enl carmen open "$f"
contains "$OUT" "siete"
eq "$(inbox_count carmen)" 4 "open stores nothing"
cp "$f" "$T/damaged.note"
flip_byte "$T/damaged.note" 120
expect_fail 1 enl carmen open "$T/damaged.note"
lacks "$ERR" "siete"
sync_drop carmen d4
eq "$(inbox_count carmen)" 5 "carmen's messages after the last sync"
finish
