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

step "an error that quotes what it was given never writes control bytes to the terminal"
# a C1 CSI (\302\233, what 8-bit terminals take for ESC [) and a newline
expect_fail 1 enl ana send "$(printf 'x\302\2332Jy\nenlace: sent')" "hi"
contains "$ERR" "no contact named"
lacks "$ERR" "$(printf '\302\233')" "the error about an unknown name"
[ "$(grep -c '^enlace: ' "$ERR")" -eq 1 ] || fail "the error spans two lines that begin 'enlace: ': $(cat "$ERR")"

finish
