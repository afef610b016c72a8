#!/bin/sh
# A listener whose profile is wiped, or reset by a duress passphrase, by
# another process stops at once (within a few seconds) and says so: its keys
# do not outlive the profile in memory, it does not go on answering with the
# old identity, and, stopping, it does not harm the profile that replaced
# the old one (what the duress profile writes meanwhile is kept).
. "$(dirname "$0")/lib.sh"

export ENLACE_PASSPHRASE='una clave larga de verdad'
printf 'clave de coacción\n' >"$T/duress"

mkprofile ana
mkprofile beto
introduce ana beto
ok enl ana passphrase duress --new-passphrase-file "$T/duress"

step "a duress unlock elsewhere stops ana's listener"
listen_bg ana
ENLACE_PASSPHRASE='clave de coacción' ok enl ana status --json
eq "$(json_num contacts)" 0 "contacts under duress"
# the new (duress) profile writes while the old listener is still up
ENLACE_PASSPHRASE='clave de coacción' ok enl ana contact add --name beto "$(card_of beto)"
wait_pid "$LPID" 80
eq "$?" 1 "the listener's exit status once its profile was reset"
contains "$T/log/listen.err" "wiped or reset while listening"
# what the duress profile wrote is still there after the old listener stopped
ENLACE_PASSPHRASE='clave de coacción' ok enl ana status --json
eq "$(json_num contacts)" 1 "contacts of the duress profile after the old listener stopped"
ENLACE_PASSPHRASE='clave de coacción' ok enl ana contact list
contains "$OUT" "beto"

step "a wipe elsewhere stops beto's listener, and nothing is left"
listen_bg beto
ok enl beto wipe --yes
wait_pid "$LPID" 80
eq "$?" 1 "the listener's exit status once its profile was wiped"
contains "$T/log/listen.err" "wiped or reset while listening"
ls -a "$T/beto" 2>/dev/null | grep -q 'enlace.db' && fail "files of the wiped profile are back: $(ls -a "$T/beto")"

finish
