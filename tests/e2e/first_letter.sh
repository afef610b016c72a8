#!/bin/sh
# The first letter: ana (inside) writes to carmen (outside); a visitor who
# knows nobody carries the note from dead drop d1 to dead drop d2; carmen
# reads it; the purge travels back and every copy is deleted.
. "$(dirname "$0")/lib.sh"

TEXT='the leaflet is ready'

step "profiles and cards"
mkprofile ana
mkprofile carmen
mkprofile visitor
introduce ana carmen
mkdrop d1
mkdrop d2

step "ana seals the note"
before=$(date +%s)
ok enl ana send carmen "$TEXT"
expect_status ana outgoing 1

step "ana -> d1 -> visitor -> d2 -> carmen"
sync_drop ana d1
eq "$(sync_sent)" 1 "ana's sync of d1: notes sent"
eq "$(notes_in d1)" 1 "notes in d1 after ana's sync"
note_file=$(ls "$T/d1" | grep '\.note$')
note_id=${note_file%.note}
eq "$(b2id "$T/d1/$note_file")" "$note_id" "the note file is named by the BLAKE2b-256 of its content"

sync_drop visitor d1
eq "$(sync_received)" 1 "visitor's sync of d1: notes received"
expect_status visitor notes 1
sync_drop visitor d2
eq "$(sync_sent)" 1 "visitor's sync of d2: notes sent"
eq "$(notes_in d2)" 1 "notes in d2 after the visitor's sync"
cmp -s "$T/d1/$note_file" "$T/d2/$note_file" || fail "the note in d2 differs from the one in d1"

step "carmen picks it up"
sync_drop carmen d2
eq "$(sync_new)" 1 "carmen's sync of d2: new messages"
expect_status carmen messages 1
expect_status carmen unread 1
after=$(date +%s)

ok enl carmen inbox
contains "$OUT" "$TEXT" "carmen's inbox"
contains "$OUT" "ana" "carmen's inbox (sender)"
ok enl carmen inbox --new
lacks "$OUT" "$TEXT" "carmen's inbox --new after reading"
ok enl carmen inbox --new --json
eq "$(lines "$OUT")" 0 "lines of inbox --new --json after reading"
expect_status carmen unread 0

ok enl carmen inbox --json
eq "$(lines "$OUT")" 1 "lines of carmen's inbox --json"
eq "$(json_str from)" ana "inbox --json: from"
eq "$(json_str text)" "$TEXT" "inbox --json: text"
eq "$(json_str id)" "$note_id" "inbox --json: id (the note's id)"
sent=$(json_num sent)
received=$(json_num received)
if [ -z "$sent" ] || [ "$sent" -lt "$before" ] || [ "$sent" -gt "$after" ]; then
    fail "inbox --json: sent=$sent is not between $before and $after"
fi
if [ -z "$received" ] || [ "$received" -lt "${sent:-0}" ] || [ "$received" -gt "$after" ]; then
    fail "inbox --json: received=$received is not between sent=$sent and $after"
fi
# Every line is one JSON object (when jq is there to say so).
if command -v jq >/dev/null 2>&1; then
    jq -e . "$OUT" >/dev/null 2>&1 || fail "inbox --json is not valid JSON: $(cat "$OUT")"
    eq "$(jq -r .text "$OUT")" "$TEXT" "inbox --json text (jq)"
fi

step "the purge travels back"
sync_drop carmen d2
sync_drop visitor d2
sync_drop visitor d1
sync_drop ana d1
expect_status ana outgoing 0
expect_status ana notes 0
expect_status visitor notes 0
expect_status visitor messages 0
expect_status carmen notes 0
eq "$(notes_in d1)" 0 "notes left in d1"
eq "$(notes_in d2)" 0 "notes left in d2"

step "syncing again delivers nothing twice"
for who in carmen visitor ana; do
    for d in d1 d2; do
        sync_drop "$who" "$d"
        eq "$(sync_new)" 0 "$who syncing $d again: new messages"
        eq "$(sync_received)" 0 "$who syncing $d again: notes received"
    done
done
sync_drop carmen d2
eq "$(inbox_count carmen)" 1 "carmen's messages after syncing again"
eq "$(inbox_count carmen --new)" 0 "carmen's new messages after syncing again"
eq "$(inbox_count ana)" 0 "ana's messages (she sent, never received)"
eq "$(notes_in d1)" 0 "notes in d1 at the end"
eq "$(notes_in d2)" 0 "notes in d2 at the end"

finish
