#!/bin/sh
# A courier carries a note it cannot read: nothing in its inbox or requests,
# nothing in the note's bytes that names the text, the sender or the
# recipient, and the courier's profile holds it only as an opaque note.
. "$(dirname "$0")/lib.sh"

TEXT='meet at the bakery on calle Maipu at nine'

mkprofile ana
mkprofile carmen
mkprofile visitor
introduce ana carmen
mkdrop d1
mkdrop d2
ok enl ana send carmen "$TEXT"
sync_drop ana d1

step "the visitor carries it"
sync_drop visitor d1
eq "$(sync_new)" 0 "visitor's sync: new messages"
if grep -q 'not contacts' "$OUT"; then fail "the visitor's sync reported a request: $(cat "$OUT")"; fi
expect_status visitor notes 1
expect_status visitor messages 0
expect_status visitor requests 0
ok enl visitor inbox
lacks "$OUT" "$TEXT" "the visitor's inbox"
contains "$OUT" "no messages" "the visitor's inbox"
eq "$(inbox_count visitor)" 0 "the visitor's inbox --json"
ok enl visitor inbox --requests
lacks "$OUT" "$TEXT" "the visitor's inbox --requests"
eq "$(inbox_count visitor --requests)" 0 "the visitor's inbox --requests --json"

step "the note's bytes name nobody"
f=$(ls "$T/d1"/*.note)
fp_ana=$(enl ana status --json | sed -n 's/.*"fingerprint":"\([^"]*\)".*/\1/p')
fp_carmen=$(enl carmen status --json | sed -n 's/.*"fingerprint":"\([^"]*\)".*/\1/p')
card_ana=$(card_of ana)
card_carmen=$(card_of carmen)
for s in "$TEXT" "leaflet" "bakery" ana carmen visitor "$fp_ana" "$fp_carmen" \
         "$(echo "$fp_ana" | tr -d ' ')" "$(echo "$fp_carmen" | tr -d ' ')"; do
    lacks "$f" "$s" "the note file"
done
# Nor a piece of anyone's card (public keys travel in cards).
for c in "$card_ana" "$card_carmen"; do
    piece=$(echo "$c" | cut -c 9-40)
    lacks "$f" "$piece" "the note file (a piece of a card)"
done
size=$(wc -c <"$f" | tr -d ' ')
[ "$size" -ge 256 ] || fail "the note is $size bytes, below the 256-byte padding floor"

step "the visitor cannot open it, even on a second look"
sync_drop visitor d2
sync_drop visitor d1
expect_status visitor messages 0
expect_status visitor requests 0
eq "$(inbox_count visitor)" 0 "the visitor's inbox after more syncs"
eq "$(inbox_count visitor --requests)" 0 "the visitor's requests after more syncs"

step "two notes to the same person are not linkable by their bytes"
ok enl ana send carmen "$TEXT"
sync_drop ana d1
set -- "$T/d1"/*.note
[ $# -eq 2 ] || fail "d1 should hold 2 notes, holds $#"
if [ $# -eq 2 ]; then
    # The purge lock (bytes 5..36) and the rest must differ between the two notes.
    l1=$(od -An -tx1 -j5 -N32 "$1" | tr -d ' \n')
    l2=$(od -An -tx1 -j5 -N32 "$2" | tr -d ' \n')
    [ "$l1" != "$l2" ] || fail "two notes carry the same purge lock"
    b1=$(od -An -tx1 -j37 -N32 "$1" | tr -d ' \n')
    b2=$(od -An -tx1 -j37 -N32 "$2" | tr -d ' \n')
    [ "$b1" != "$b2" ] || fail "two notes begin their sealed body with the same bytes"
fi

step "carmen still reads it"
sync_drop visitor d1
sync_drop visitor d2
sync_drop carmen d2
eq "$(inbox_count carmen)" 2 "carmen's messages"
contains "$T/log/inbox" "$TEXT" "carmen's inbox"

finish
