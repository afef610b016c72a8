# beto is arrested: carmen and ana burn him. In their cell that takes two
# burn vouches (admission needs two), then every member's device burns his
# keys and the cell re-keys without him: a message sent to the cell after
# the burn is unreadable with beto's profile. One member alone (an
# infiltrator) cannot burn another for the rest.
. "$(dirname "$0")/lib.sh"

for x in ana beto carmen; do mkprofile $x; done
introduce ana beto
introduce ana carmen
introduce beto carmen
mkdrop drop
round() {
    for _i in 1 2; do for _p in ana beto carmen; do sync_drop "$_p" drop; done; done
}
state_of() {  # state_of VIEWER NAME
    "$ENLACE" --home "$T/$1" cell members olla --json >"$T/log/members" 2>&1 || { echo error; return; }
    grep "\"name\":\"$2\"" "$T/log/members" | sed 's/.*"state":"\([a-z]*\)".*/\1/' | head -n 1
}

step "a cell of three (two vouches to enter, two to burn)"
ok enl ana cell create olla --admit 2
ok enl ana cell add olla beto
round
ok enl beto cell join olla
ok enl ana cell add olla carmen
round
ok enl beto cell vouch olla carmen
round
ok enl carmen cell join olla
round
for x in ana beto carmen; do eq "$(state_of $x carmen)" member "carmen in $x's view"; done

step "one member alone (beto, turned) cannot burn ana for the others"
ok enl beto burn ana --reason "lies"
contains "$OUT" "burn vouch"
round
eq "$(state_of carmen ana)" member "ana in carmen's view"
ok enl carmen contact list
lacks "$OUT" "BURNED"

step "beto is arrested: carmen burns him; one vouch is not enough yet"
ok enl carmen burn beto --reason "arrested 12 May"
# carmen's device seals nothing to him and reads nothing of his any more:
# it shows him removed and burned at once, not as a member
eq "$(state_of carmen beto)" removed "beto in carmen's view after her burn"
ok enl carmen cell members olla --json
grep '"name":"beto"' "$OUT" | grep -q '"burned":true,"burned_here":true' || fail "beto not burned here in carmen's view: $(cat "$OUT")"
ok enl carmen cell members olla
contains "$OUT" "BURNED on this device (the other members remove them once enough of them burn them too)"
ok enl carmen cell list --json
contains "$OUT" '"members":2'
# a second burn of him says when he was burned, and signs and re-keys nothing again
# (a re-key sends a new key to every member)
out_before=$(status_of carmen outgoing)
ok enl carmen burn beto --reason "arrested 12 May"
contains "$OUT" "beto's keys were already burned on this device"
lacks "$OUT" "burn vouch"
eq "$(status_of carmen outgoing)" "$out_before" "carmen's outgoing notes after a second burn"
round
eq "$(state_of ana beto)" member "beto in ana's view after one burn vouch"
eq "$(state_of carmen beto)" removed "beto in carmen's view after one burn vouch"
ok enl ana contact list
lacks "$OUT" "BURNED"

step "ana burns him too: every device burns his keys, the cell re-keys"
# a note ana sealed to beto before the burn waits in a courier's drop
mkdrop courier
ok enl ana send beto "la lista de la semana"
sync_drop ana courier
[ "$(notes_in courier)" -ge 1 ] || fail "the note did not reach the courier"
courier_before=$(notes_in courier)
ok enl ana burn beto --reason "arrested 12 May"
# ... and is purged from it with ana's next sync: beto's keys cannot open what never arrives
sync_drop ana courier
[ "$(notes_in courier)" -lt "$courier_before" ] || fail "the note to beto is still in the courier's drop"
ok enl beto sync "$T/courier"
ok enl beto inbox --json
lacks "$OUT" "la lista de la semana"
round
for x in ana carmen; do
    eq "$(state_of $x beto)" removed "beto in $x's view"
    ok enl $x cell members olla
    contains "$OUT" "BURNED"
    lacks "$OUT" "BURNED on this device" "$x's view (the cell burned him)"
done
ok enl carmen contact list
contains "$OUT" "BURNED"

step "a message to the cell after the burn is unreadable with beto's profile"
ok enl ana cell send olla "nos vemos en la otra casa"
round
ok enl carmen inbox --json
contains "$OUT" "nos vemos en la otra casa"
ok enl beto inbox --json
lacks "$OUT" "nos vemos en la otra casa"
# and no note that beto holds opens for him
for f in "$T"/drop/*.note; do
    "$ENLACE" --home "$T/beto" open "$f" >"$T/log/open" 2>&1
    lacks "$T/log/open" "nos vemos"
done
