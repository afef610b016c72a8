#!/bin/sh
# README, `enlace burn NAME [--reason TEXT]`: with NAME's revocation held,
# `enlace burn ana --reason "arrested 12 May"` publishes it, and then "sync
# to it is refused (`ana's keys are burned (arrested 12 May): nothing is
# synced with whoever holds them`)"; "A reason, here or in `revocation
# export`, is one line of at most 200 bytes without control characters; one
# that does not fit is refused whole, never cut."
# With a revocation held, the CLI publishes it and drops --reason without a
# word: the reason the person typed is shown nowhere, and one that breaks
# the rules (a tab, 300 bytes) is not even refused.
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile carmen
introduce ana carmen
ok enl ana revocation export --reason "taken" --out "$T/ana-rev.txt"
ok enl carmen revocation hold ana "$T/ana-rev.txt"

step "a reason that breaks the rules is refused, revocation held or not"
run enl carmen burn ana --reason "$(printf 'arrested\tat night')"
[ "$RC" -eq 0 ] && fail "burn --reason with a tab was taken (a revocation of ana is held): $(cat "$OUT")"
if [ "$RC" -ne 0 ]; then
    run enl carmen burn ana --reason "$(head -c 300 /dev/zero | tr '\0' x)"
    [ "$RC" -eq 0 ] && fail "burn --reason of 300 bytes was taken (a revocation of ana is held)"
fi

step "the reason given is kept, or the burn says it is not used"
mkprofile beto
introduce beto ana
ok enl ana revocation export --reason "taken" --out "$T/ana-rev2.txt"
ok enl beto revocation hold ana "$T/ana-rev2.txt"
ok enl beto burn ana --reason "arrested 12 May"
said_burn=$(cat "$OUT" "$ERR")
run enl beto sync ana
eq "$RC" 1 "sync with a burned contact: exit status"
refusal=$(cat "$ERR")
ok enl beto contact show ana
shown=$(cat "$OUT")
case "$refusal$shown$said_burn" in
    *"arrested 12 May"*|*"reason"*) ;;
    *) fail "burn --reason \"arrested 12 May\" with ana's revocation held: the reason is dropped without a word (sync says: $refusal)" ;;
esac

finish
