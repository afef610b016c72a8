# Cells: a cell of three admits a fourth only after the second vouch; every
# member reads the cell's notes, sealed once for all; a removed member still
# carries the cell's notes but cannot read them; a liaison forwards a note
# to a second cell as their own; an invitation waits for a yes or a no.
# Everything travels through one dead drop that every device syncs with, in
# turn, like a shared courier.
. "$(dirname "$0")/lib.sh"

for x in ana beto carmen dora; do mkprofile $x; done
introduce ana beto
introduce ana carmen
introduce ana dora
introduce beto dora
mkdrop drop

# round: everyone syncs with the drop, twice over, so every note reaches
# every device whatever the order.
round() {
    for _i in 1 2; do
        for _p in ana beto carmen dora; do sync_drop "$_p" drop; done
    done
}

member_state() {  # member_state VIEWER CELL NAME -> state of NAME in VIEWER's view
    "$ENLACE" --home "$T/$1" cell members "$2" --json >"$T/log/members" 2>&1 ||
        { echo "error"; return; }
    grep "\"name\":\"$3\"" "$T/log/members" | sed 's/.*"state":"\([a-z]*\)".*/\1/' | head -n 1
}

step "ana creates olla (2 vouches to enter) and brings in beto and carmen"
ok enl ana cell create olla --admit 2
ok enl ana cell add olla beto
contains "$OUT" "vouch"
eq "$(member_state ana olla beto)" member "beto (while the cell has one member, one vouch is all of them)"
# The cell's records and keys are notes for beto, but no message: the sync
# counts them as notes received, never as "new messages" the inbox lacks.
sync_drop ana drop
sync_drop beto drop
[ "$(sync_received)" -gt 0 ] || fail "beto's sync received none of the cell's notes: $(cat "$OUT")"
eq "$(sync_new)" 0 "beto's sync of the cell's records: new messages"
contains "$OUT" "1 new invitation to join a cell: enlace cell list"
eq "$(inbox_count beto)" 0 "beto's inbox after the cell's records"
# admitted is not joined: beto's device does nothing for olla till he says so
ok enl beto cell list
contains "$OUT" "INVITED by ana"
ok enl beto cell list --json
contains "$OUT" '"invited":true'
contains "$OUT" '"invited_by":"ana"'
ok enl beto cell members olla
contains "$OUT" "ana"
expect_fail 1 enl beto cell send olla "hola"
contains "$ERR" "cell join olla"
ok enl beto status --json
eq "$(json_num outgoing)" 0 "notes beto sealed for an invitation"
eq "$(json_num invitations)" 1 "invitations in beto's status"
ok enl beto status
contains "$OUT" "1 invitation to join"
ok enl beto cell join olla
contains "$OUT" "you joined olla"
expect_fail 1 enl beto cell join olla
contains "$ERR" "is no invitation"
round
eq "$(member_state beto olla beto)" member "beto in his own view"
ok enl ana cell add olla carmen
eq "$(member_state ana olla carmen)" candidate "carmen after one vouch of two"
expect_fail 1 enl beto cell vouch olla carmen
contains "$ERR" "no contact"
round
ok enl beto cell list --json
eq "$(json_num candidates)" 1 "candidates in beto's view (carmen, not his contact yet)"
add_contact beto carmen
# --burn and --reason belong to remove: on add or vouch they signed a vouch
# to admit whom one meant to burn
expect_fail 2 enl beto cell vouch olla carmen --burn --reason "taken"
contains "$ERR" "cell remove"
eq "$(member_state beto olla carmen)" candidate "carmen after a vouch given --burn"
ok enl beto cell vouch olla carmen
eq "$(member_state beto olla carmen)" member "carmen after beto's vouch"
round
ok enl carmen cell join olla
round
eq "$(member_state ana olla carmen)" member "carmen in ana's view"
eq "$(member_state carmen olla carmen)" member "carmen in her own view"
eq "$(member_state carmen olla beto)" member "beto in carmen's view"

step "a cell of three admits dora only after the second vouch"
ok enl ana cell add olla dora
round
eq "$(member_state ana olla dora)" candidate "dora after one vouch"
eq "$(member_state beto olla dora)" candidate "dora in beto's view"
ok enl dora cell list
contains "$OUT" "no cells"
ok enl beto cell vouch olla dora
round
ok enl dora cell join olla
round
for x in ana beto carmen dora; do
    eq "$(member_state $x olla dora)" member "dora in $x's view"
done
ok enl carmen contact list
contains "$OUT" "dora"
contains "$OUT" "cell olla"

step "every member reads a cell note, sealed once"
before=$(notes_in drop)
ok enl carmen cell send olla "la olla del jueves se cocina en lo de dora"
round
eq "$(notes_in drop)" "$((before + 1))" "one note for the whole cell"
for x in ana beto dora; do
    ok enl $x inbox --json
    contains "$OUT" "la olla del jueves"
    contains "$OUT" '"cell":"olla"'
done

step "dora is away while carmen writes 40 notes that expire; back, dora reads what comes next"
# Her window was 32 notes of carmen's chain: before checkpoints she read
# none of carmen's cell notes again until the membership changed.
i=0
while [ $i -lt 40 ]; do
    ok enl carmen cell send olla "mientras dora no estaba $i" >/dev/null
    i=$((i + 1))
done
for x in carmen ana beto; do sync_drop $x drop; done
ENLACE_NOW=$(later $((15 * 24)))    # past the 14 days a note lives
export ENLACE_NOW
# one of any 4 notes in a row falls on a checkpoint (every 4th of the chain)
ok enl carmen cell send olla "dora, volviste: el jueves en lo de ana"
ok enl carmen cell send olla "y trae la olla grande"
ok enl carmen cell send olla "beto lleva las papas"
ok enl carmen cell send olla "a las ocho"
round
ok enl dora inbox --json
for t in "volviste" "la olla grande" "las papas" "a las ocho"; do contains "$OUT" "$t"; done
lacks "$OUT" "mientras dora no estaba"
ok enl ana inbox --json
contains "$OUT" "mientras dora no estaba 39"
contains "$OUT" "volviste"

step "beto is removed: two vouches; he still carries the cell's notes but cannot read them"
ok enl ana cell remove olla beto
round
eq "$(member_state carmen olla beto)" member "beto after one removal vouch"
ok enl carmen cell remove olla beto
round
for x in ana carmen dora; do
    eq "$(member_state $x olla beto)" removed "beto in $x's view"
done
ok enl ana cell send olla "nuevo lugar: la parroquia"
round
for x in carmen dora; do
    ok enl $x inbox --json
    contains "$OUT" "nuevo lugar"
done
ok enl beto inbox --json
lacks "$OUT" "nuevo lugar"
ok enl beto status --json
[ "$(json_num notes)" -ge 1 ] || fail "beto carries nothing"
expect_fail 1 enl beto cell send olla "still here?"
contains "$ERR" "not a member"

step "a liaison forwards a note to a second cell as her own: beto reads it there, from dora"
ok enl dora cell create huerta --admit 1
ok enl dora cell add huerta beto
round
ok enl beto cell join huerta
round
ok enl dora inbox --json
id=$(grep "nuevo lugar" "$OUT" | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/' | cut -c1-12)
ok enl dora cell forward "$id" huerta
round
ok enl beto inbox --json
contains "$OUT" "nuevo lugar"
contains "$OUT" '"cell":"huerta"'
grep "nuevo lugar" "$OUT" | grep -q '"from":"dora"' || fail "the forwarded note is not dora's own"

step "leaving"
ok enl dora cell leave huerta
round
eq "$(member_state beto huerta dora)" removed "dora after leaving"
ok enl dora cell list --json
contains "$OUT" '"member":false'
expect_fail 1 enl dora cell create huerta
expect_fail 1 enl dora cell leave huerta
contains "$ERR" "cell forget huerta"
expect_fail 1 enl beto cell forget huerta
contains "$ERR" "cell leave huerta"
ok enl dora cell forget huerta
contains "$OUT" "you forgot huerta"
ok enl dora cell list --json
lacks "$OUT" '"name":"huerta"'
ok enl dora cell create huerta --admit 1
round
ok enl dora cell members huerta --json
lacks "$OUT" '"name":"beto"'

step "an invitation declined is forgotten, and nothing goes to the cell for it"
ok enl ana cell create radio --admit 1
ok enl ana cell add radio carmen
round
ok enl carmen cell list
contains "$OUT" "radio"
contains "$OUT" "INVITED"
ok enl carmen status --json
out_before=$(json_num outgoing)
ok enl carmen cell decline radio
contains "$OUT" "nothing was sent"
ok enl carmen status --json
eq "$(json_num outgoing)" "$out_before" "notes carmen sealed to decline"
ok enl carmen cell list --json
lacks "$OUT" '"name":"radio"'
expect_fail 1 enl carmen cell join radio
contains "$ERR" "no cell named"
ok enl ana cell send radio "hay alguien?"
round
ok enl carmen cell list --json
lacks "$OUT" '"name":"radio"'
ok enl carmen inbox --json
lacks "$OUT" "hay alguien"

step "a member removed already, then burned here, is not said to await removal"
# beto left olla by two vouches; carmen then burns him on her device. The
# note said the other members would remove him once enough burned him,
# about someone removed already.
ok enl carmen burn beto --reason "his phone was taken"
ok enl carmen cell members olla
contains "$OUT" "BURNED on this device" "a removed member burned here"
lacks "$OUT" "remove them once enough" "a removed member burned here"
