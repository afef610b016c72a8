# Signed prekeys rotate every 30 days and are kept 90 days more: a card
# handed out earlier keeps working until it expires, and a first message
# sealed to a prekey that has since been deleted can no longer be opened.
. "$(dirname "$0")/lib.sh"

day() { echo $(( T0 + $1 * 86400 )); }
T0=$(date +%s)

mkprofile ana
mkprofile beto
mkprofile carmen
mkprofile dora
introduce ana carmen
introduce beto carmen
introduce ana dora
old_card=$(card_of carmen)

step "after 31 days carmen's prekey has rotated: her card changes"
export ENLACE_NOW=$(day 31)
new_card=$(card_of carmen)
[ "$new_card" != "$old_card" ] || fail "the card should carry a new prekey after 31 days"

step "ana, who holds the old card, starts a session: it still opens"
mkdrop d1
ok enl ana send carmen "sealed to the old prekey"
sync_drop ana d1
sync_drop carmen d1
eq "$(inbox_count carmen)" 1 "carmen's messages"
contains "$T/log/inbox" "sealed to the old prekey"

step "beto seals to the old prekey on day 89 (his copy of the card still valid)"
export ENLACE_NOW=$(day 89)
mkdrop d2
ok enl beto send --expire 2160 carmen "too late"
sync_drop beto d2
f=$(ls "$T"/d2/*.note | head -n 1)

step "ana seals to dora's first prekey on day 89; dora's device has been off since day 0"
mkdrop d3
ok enl ana send --expire 2160 dora "sealed to a prekey due to go on day 120"
sync_drop ana d3
f3=$(ls "$T"/d3/*.note | head -n 1)

step "on day 125 that prekey is deleted: the note cannot be opened, and says so"
export ENLACE_NOW=$(day 125)
expect_fail 1 enl carmen open "$f"
contains "$ERR" "keys were deleted"
sync_drop carmen d2
eq "$(inbox_count carmen)" 1 "carmen's messages after the late note"
lacks "$T/log/inbox" "too late"

step "dora opens on day 150: her first prekey was due to retire on day 30 and go on day 120, so it goes at once"
export ENLACE_NOW=$(day 150)
expect_fail 1 enl dora open "$f3"
contains "$ERR" "keys were deleted"

step "eli's profile was made while his clock ran a year ahead (day 515); put right on day 150, his prekey goes on as if made that day"
# Dated a year ahead, it waited for that date to rotate: cards kept
# carrying it, and its secret stayed, for a year more than the 120 days.
export ENLACE_NOW=$(day 515)
mkprofile eli
export ENLACE_NOW=$(day 150)
introduce ana eli
export ENLACE_NOW=$(day 239)
mkdrop d4
ok enl ana send --expire 2160 eli "sealed on day 239 to the card of day 150"
sync_drop ana d4
f4=$(ls "$T"/d4/*.note | head -n 1)
export ENLACE_NOW=$(day 275)
expect_fail 1 enl eli open "$f4"
contains "$ERR" "keys were deleted"

step "fio's clock is set 400 days back for a while (no clock of its own, a spoofed time server): the prekey of her cards is kept"
# Put right, the clock would have found every secret retired at the
# set-back time, long past, and wiped them.
# Seventeen times over (a device that boots with no clock, again and
# again): each retires a prekey still in its time, and the places for
# them are 16; the prekey of the cards must not be the one dropped.
export ENLACE_NOW=$(day 275)
mkprofile fio
introduce ana fio
for boot in $(seq 17); do
    export ENLACE_NOW=$(day -125)
    ok enl fio status
    export ENLACE_NOW=$(day 275)
    ok enl fio status
done
export ENLACE_NOW=$(day 276)
mkdrop d5
ok enl ana send fio "sealed on day 276 to the card of day 275"
sync_drop ana d5
sync_drop fio d5
eq "$(sync_new)" 1 "fio's sync on day 276: new messages"
finish
