#!/bin/sh
# The words of the human-readable output: one contact, one notice, one
# author are said in the singular ("1 contact", not "1 contacts").
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile beto
mkprofile carmen
introduce ana beto
introduce beto carmen

step "status: counts of one are singular"
ok enl ana revocation export --reason "taken" --out "$T/ana-rev.txt"
ok enl beto revocation hold ana "$T/ana-rev.txt"
ok enl beto burn ana
ok enl beto bulletin follow "$(card_of carmen)"
ok enl beto status
contains "$OUT" "burned:      1 contact (1 burn notice carried)" "beto's status"
contains "$OUT" "following 1 author" "beto's status"
lacks "$OUT" "1 contacts" "beto's status"
lacks "$OUT" "1 burn notices" "beto's status"
lacks "$OUT" "1 authors" "beto's status"
ok enl carmen status
contains "$OUT" "burned:      0 contacts (0 burn notices carried)" "carmen's status"
contains "$OUT" "following 0 authors" "carmen's status"

step "bulletins: an empty list says why, without telling a follower to follow"
ok enl carmen bulletins
contains "$OUT" "follow an author" "bulletins of a profile that follows nobody"
ok enl beto bulletins
contains "$OUT" "no bulletins yet of the 1 author you follow" "bulletins of a follower before any arrived"
lacks "$OUT" "follow an author with" "bulletins of a follower before any arrived"
ok enl beto bulletins --channel nope
contains "$OUT" "no bulletins in the channel nope" "bulletins of an empty channel"

step "a card refused says what was given instead of one"
card_of ana >"$T/ana.card"
expect_fail 1 enl carmen contact add "$T/ana.card"
contains "$ERR" "is a file" "contact add of a card's file name"
contains "$ERR" "enlace contact add - < $T/ana.card" "contact add of a card's file name"
expect_fail 1 enl carmen contact add hello
contains "$ERR" "not a card" "contact add hello"
contains "$ERR" "starts with enlace1" "contact add hello"
expect_fail 1 enl carmen contact add "$(cat "$T/ana-rev.txt")"
contains "$ERR" "that is a revocation, not a card" "contact add of a revocation"
ok enl carmen contact add - <"$T/ana.card"
expect_fail 1 enl carmen revocation hold ana "$T/ana.card"
contains "$ERR" "holds a card, not a revocation" "revocation hold of a card's file"
printf 'page 1 of 3\n' >"$T/page.txt"
expect_fail 1 enl carmen revocation hold ana "$T/page.txt"
contains "$ERR" "holds no revocation" "revocation hold of another file"
expect_fail 1 enl carmen revocation hold ana "$(cat "$T/ana-rev.txt")"
contains "$ERR" "that is the revocation itself, not a file name" "revocation hold of the line itself"
contains "$ERR" "enlace revocation hold ana - < FILE" "revocation hold of the line itself"
ok enl carmen revocation hold ana - <"$T/ana-rev.txt"

step "an error that quotes what it was given never writes control bytes to the terminal"
# a C1 CSI (\302\233, what 8-bit terminals take for ESC [) and a newline
expect_fail 1 enl ana send "$(printf 'x\302\2332Jy\nenlace: sent')" "hi"
contains "$ERR" "no contact named"
lacks "$ERR" "$(printf '\302\233')" "the error about an unknown name"
[ "$(grep -c '^enlace: ' "$ERR")" -eq 1 ] || fail "the error spans two lines that begin 'enlace: ': $(cat "$ERR")"

finish
