#!/bin/sh
# README, `enlace contact add`: "A card under keys this device knows to be
# burned (a burn notice signed by its signing key is held here, or a contact
# with that signing key was burned) is refused, by `contact add` and by an
# introduction alike: a captor holding a burned key can sign it a new card."
# The card of the burned contact itself (the same keys: what the captor
# hands over as "it is me, all is well") is taken as a refresh, exit 0, and
# the output says "the card is refreshed ... compare the safety number with
# ana in person, then run: enlace contact verify ana", with no word that
# the keys are burned. The keys do stay burned (send is refused): the
# defect is what the person is told, against what the README says.
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile carmen
introduce ana carmen
card_ana=$(card_of ana)
ok enl ana revocation export --reason "taken" --out "$T/ana-rev.txt"
ok enl carmen revocation hold ana "$T/ana-rev.txt"
ok enl carmen burn ana --reason "arrested"

step "ana's card, handed over again after the burn"
run enl carmen contact add "$card_ana"
if [ "$RC" -eq 0 ]; then
    grep -qi "burned" "$OUT" ||
        fail "contact add of a burned contact's card: exit 0 and no word that the keys are burned: $(cat "$OUT")"
    grep -q "contact verify" "$OUT" &&
        fail "contact add of a burned contact's card invites to verify it: $(cat "$OUT")"
else
    eq "$RC" 1 "contact add of a burned contact's card: exit status"
    one_error_line "contact add of a burned contact's card"
fi

step "under another name"
run enl carmen contact add --name amiga "$card_ana"
if [ "$RC" -eq 0 ]; then
    grep -qi "burned" "$OUT" ||
        fail "contact add --name of a burned contact's card: exit 0 and no word that the keys are burned: $(cat "$OUT")"
fi

step "the keys stay burned whatever was said"
expect_fail 1 enl carmen send ana "are you there?"
run enl carmen send amiga "are you there?"
[ "$RC" -eq 0 ] && fail "a burned contact renamed by contact add can be sealed to"

finish
