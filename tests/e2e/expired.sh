#!/bin/sh
# A note that expires on the way: sealed with --expire 1, it meets a courier
# two hours later (ENLACE_NOW). It is dropped, never passed on and never
# delivered; it is deleted from the drop once it has been expired a day (a
# clock may run a day ahead, and the others who take the drop may still be
# in time for it).
. "$(dirname "$0")/lib.sh"

TEXT='the meeting is tonight'
LATER=$(later 2)
DAY_LATER=$(later 26)

mkprofile ana
mkprofile carmen
mkprofile visitor
introduce ana carmen
mkdrop d1
mkdrop d2
mkdrop d3

step "a courier meets the drop two hours later"
ok enl ana send --expire 1 carmen "$TEXT"
sync_drop ana d1
eq "$(notes_in d1)" 1 "notes in d1 after ana's sync"
run env ENLACE_NOW="$LATER" "$ENLACE" --home "$T/visitor" sync "$T/d1"
eq "$RC" 0 "the courier's late sync: exit status"
eq "$(sync_received)" 0 "the courier's late sync: notes received"
eq "$(notes_in d1)" 1 "notes left in d1 after the courier's late sync (expired an hour ago: it stays)"
# counted as skipped, and said: the summary promises a warning for each
contains "$ERR" "skipped 1 note past its expiry (a day after it, a sync removes them from the drop)" "the courier's late sync warns of the expired note"
expect_status visitor notes 0
sync_drop visitor d2
eq "$(notes_in d2)" 0 "notes the courier left in d2"

step "a day after it expired, the courier's sync deletes it from the drop"
run env ENLACE_NOW="$DAY_LATER" "$ENLACE" --home "$T/visitor" sync "$T/d1"
eq "$RC" 0 "the courier's sync a day later: exit status"
eq "$(notes_in d1)" 0 "notes left in d1 a day after it expired"
# it said a sync would remove the note a day later, as this one did
contains "$ERR" "skipped 1 note past its expiry, and removed it from the drop" "the courier's sync a day later says it removed the note"
lacks "$ERR" "a day after" "the courier's sync a day later"
sync_drop carmen d1
sync_drop carmen d2
eq "$(inbox_count carmen)" 0 "carmen's inbox"
eq "$(inbox_count carmen --requests)" 0 "carmen's requests"

# ana_forgets: ana's own copies expire when her clock is two hours on too.
ana_forgets() {
    mkdrop scratch
    run env ENLACE_NOW="$LATER" "$ENLACE" --home "$T/ana" sync "$T/scratch"
    eq "$RC" 0 "ana's late sync: exit status"
    eq "$(notes_in scratch)" 0 "notes ana leaves in a drop two hours later"
    run env ENLACE_NOW="$LATER" "$ENLACE" --home "$T/ana" status --json
    eq "$(json_num notes)" 0 "ana's notes two hours later"
    eq "$(json_num outgoing)" 0 "ana's outgoing two hours later"
    rm -rf "$T/scratch"
}

step "the sender's own copy expires too"
ana_forgets

step "a courier that took it in time does not pass it on late"
ok enl ana send --expire 1 carmen "$TEXT (2)"
sync_drop ana d1
sync_drop visitor d1
expect_status visitor notes 1
run env ENLACE_NOW="$LATER" "$ENLACE" --home "$T/visitor" sync "$T/d2"
eq "$RC" 0 "the courier's late sync of d2: exit status"
eq "$(sync_sent)" 0 "the courier's late sync of d2: notes sent"
eq "$(notes_in d2)" 0 "notes in d2 after the courier's late sync"
run env ENLACE_NOW="$LATER" "$ENLACE" --home "$T/visitor" status --json
eq "$(json_num notes)" 0 "the courier's notes two hours later"
run env ENLACE_NOW="$DAY_LATER" "$ENLACE" --home "$T/visitor" sync "$T/d1"
eq "$(notes_in d1)" 0 "notes left in d1 after the courier's sync a day later"
sync_drop carmen d1
sync_drop carmen d2
eq "$(inbox_count carmen)" 0 "carmen's inbox"

ana_forgets

step "the recipient herself, two hours later, does not deliver it"
ok enl ana send --expire 1 carmen "$TEXT (3)"
sync_drop ana d3
eq "$(notes_in d3)" 1 "notes in d3"
run env ENLACE_NOW="$LATER" "$ENLACE" --home "$T/carmen" sync "$T/d3"
eq "$RC" 0 "carmen's late sync: exit status"
eq "$(sync_new)" 0 "carmen's late sync: new messages"
eq "$(notes_in d3)" 1 "notes left in d3 after carmen's late sync (expired an hour ago: it stays)"
eq "$(inbox_count carmen)" 0 "carmen's inbox"

ana_forgets

step "a note with the default expiry survives the same two hours"
ok enl ana send carmen "still fresh"
sync_drop ana d2
run env ENLACE_NOW="$LATER" "$ENLACE" --home "$T/visitor" sync "$T/d2"
eq "$(sync_received)" 1 "the courier's late sync of a fresh note: notes received"
run env ENLACE_NOW="$LATER" "$ENLACE" --home "$T/carmen" sync "$T/d2"
eq "$(sync_new)" 1 "carmen's late sync of a fresh note: new messages"
eq "$(inbox_count carmen)" 1 "carmen's inbox"
contains "$T/log/inbox" "still fresh" "carmen's inbox"
lacks "$T/log/inbox" "$TEXT" "carmen's inbox"

step "--expire 1 means at least an hour, even when sent just before the hour turns"
# README: "It expires after 14 days by default (--expire ...)": a note sealed
# at HH:59:59 with --expire 1 must still be alive two seconds later.
now=$(date +%s)
edge=$(( (now / 3600 + 1) * 3600 ))
mkdrop d4
ok env ENLACE_NOW=$((edge - 1)) "$ENLACE" --home "$T/ana" send --expire 1 carmen "sent at the edge of the hour"
ok env ENLACE_NOW=$((edge - 1)) "$ENLACE" --home "$T/ana" sync "$T/d4"
ok env ENLACE_NOW=$((edge + 1)) "$ENLACE" --home "$T/carmen" sync "$T/d4"
eq "$(sync_new)" 1 "a --expire 1 note synced 2 seconds after it was sealed (at HH:59:59): new messages"
ok enl carmen inbox --json
contains "$OUT" "sent at the edge of the hour" "carmen's inbox (a note sealed at HH:59:59 with --expire 1, read 2 s later)"

step "a courier whose clock runs two hours ahead leaves an urgent note in the drop: carmen, on time, still reads it"
mkdrop d5
ok enl ana send --expire 1 carmen "the raid is tonight"
sync_drop ana d5
before=$(notes_in d5)
run env ENLACE_NOW="$LATER" "$ENLACE" --home "$T/visitor" sync "$T/d5"
eq "$RC" 0 "the courier's sync, its clock two hours ahead: exit status"
eq "$(notes_in d5)" "$before" "notes left in d5 by the courier whose clock runs ahead"
sync_drop carmen d5
eq "$(sync_new)" 1 "carmen's sync after the courier's: new messages"

step "one sync that removes one expired note and keeps another says so"
mkprofile rosa
mkprofile porter
introduce rosa carmen
mkdrop d6
ok enl rosa send --expire 1 carmen "old news"
sync_drop rosa d6
DAY=$(later 24)
ok env ENLACE_NOW="$DAY" "$ENLACE" --home "$T/rosa" send --expire 1 carmen "news of a day later"
ok env ENLACE_NOW="$DAY" "$ENLACE" --home "$T/rosa" sync "$T/d6"
eq "$(notes_in d6)" 2 "notes in d6"
# 26 hours on: the first expired 25 hours ago (removed), the second 1 hour ago (kept)
run env ENLACE_NOW="$DAY_LATER" "$ENLACE" --home "$T/porter" sync "$T/d6"
eq "$RC" 0 "the courier's sync of d6: exit status"
eq "$(notes_in d6)" 1 "notes left in d6"
contains "$ERR" "skipped 2 notes past their expiry, and removed 1 of them from the drop" "the courier's sync of d6"

step "--expire bounds"
expect_fail 2 enl ana send --expire 0 carmen x
expect_fail 2 enl ana send --expire -1 carmen x
expect_fail 2 enl ana send --expire abc carmen x
expect_fail 2 enl ana send --expire 100000 carmen x
ok enl ana send --expire 2160 carmen "ninety days"

finish
