#!/bin/sh
# What a listener says on stderr about a connection it did not sync with:
# a line beginning "enlace: listen: " that names the likely cause. A sync
# meant for another device (the contact's name given with the wrong
# address) fails the handshake: that is no sign of tampering, and the line
# must not say so.
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile beto
mkprofile carmen
introduce ana carmen
introduce beto carmen
mkprofile stranger
add_contact stranger ana

step "a stranger who holds ana's card is refused"
listen_bg ana --once
run enl stranger sync "tcp://ana@127.0.0.1:$PORT"
eq "$RC" 1 "the stranger's sync: exit status"
wait_pid "$LPID"
eq "$?" 1 "listen --once after a refusal: exit status"
contains "$T/log/listen.err" "enlace: listen: refused a sync" "ana's listener"

step "carmen syncs with ana's address under beto's name: the handshake fails"
listen_bg ana --once
run enl carmen sync "tcp://beto@127.0.0.1:$PORT"
eq "$RC" 1 "carmen's sync to the wrong device: exit status"
contains "$ERR" "is not beto's" "carmen's sync to the wrong device"
wait_pid "$LPID"
eq "$?" 1 "listen --once after a failed handshake: exit status"
contains "$T/log/listen.err" "enlace: listen: dropped a connection" "ana's listener"
contains "$T/log/listen.err" "not made for this device's key" "ana's listener"
lacks "$T/log/listen.err" "tampered" "ana's listener"
finish
