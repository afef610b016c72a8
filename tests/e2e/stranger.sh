#!/bin/sh
# A stranger's note: beto holds carmen's card but carmen never added beto's.
# His note reaches carmen but is kept apart as a request, never mixed with
# her contacts' messages, and is named by his fingerprint, not by a name.
. "$(dirname "$0")/lib.sh"

TEXT_BETO='hello carmen, this is beto from the union'
TEXT_ANA='ana writes as a contact'

mkprofile ana
mkprofile beto
mkprofile carmen
introduce ana carmen
add_contact beto carmen
mkdrop d1

fp_beto=$(enl beto status --json | sed -n 's/.*"fingerprint":"\([^"]*\)".*/\1/p')
[ -n "$fp_beto" ] || die "no fingerprint in beto's status --json"

ok enl beto send carmen "$TEXT_BETO"
ok enl ana send carmen "$TEXT_ANA"
sync_drop beto d1
sync_drop ana d1

step "carmen syncs"
sync_drop carmen d1
contains "$OUT" "not contacts" "carmen's sync summary (a request arrived)"
eq "$(sync_new)" 1 "carmen's sync: new messages from contacts"
expect_status carmen requests 1
expect_status carmen contacts 1

step "inbox: only ana"
ok enl carmen inbox
contains "$OUT" "$TEXT_ANA" "carmen's inbox"
lacks "$OUT" "$TEXT_BETO" "carmen's inbox"
lacks "$OUT" "beto" "carmen's inbox"
ok enl carmen inbox --json
eq "$(lines "$OUT")" 1 "lines of carmen's inbox --json"
lacks "$OUT" "$TEXT_BETO" "carmen's inbox --json"
eq "$(json_bool request)" false "ana's message: request"

step "inbox --requests: only beto, by fingerprint"
ok enl carmen inbox --requests
contains "$OUT" "$TEXT_BETO" "carmen's inbox --requests"
lacks "$OUT" "$TEXT_ANA" "carmen's inbox --requests"
contains "$OUT" "$fp_beto" "carmen's inbox --requests (beto's fingerprint)"
ok enl carmen inbox --requests --json
eq "$(lines "$OUT")" 1 "lines of carmen's inbox --requests --json"
eq "$(json_str from)" "$fp_beto" "the request's from (beto's fingerprint)"
eq "$(json_str text)" "$TEXT_BETO" "the request's text"
eq "$(json_bool request)" true "the request's request flag"
lacks "$OUT" '"from":"beto"' "the request (the name beto chose for himself is not trusted)"
ok enl carmen inbox --new --json
lacks "$OUT" "$TEXT_BETO" "carmen's inbox --new"

step "a stranger cannot pose as a contact by name"
# mallory names his profile "ana" but has his own keys: still a request.
mkdir -p "$T/m"
ok env ENLACE_PASSPHRASE="$PASS" "$ENLACE" --home "$T/m/ana" init --name ana --kdf interactive
ok enl m/ana contact add --name carmen "$(card_of carmen)"
ok enl m/ana send carmen "it is me, ana, trust this"
sync_drop m/ana d1
sync_drop carmen d1
expect_status carmen requests 2
ok enl carmen inbox
lacks "$OUT" "trust this" "carmen's inbox (a fake ana)"
ok enl carmen inbox --requests
contains "$OUT" "trust this" "carmen's requests (a fake ana)"

step "the request's purge still travels: beto's note is not outgoing forever"
sync_drop beto d1
expect_status beto outgoing 0
eq "$(notes_in d1)" 0 "notes left in d1"

step "once carmen adds beto, his later notes are messages"
add_contact carmen beto
ok enl beto send carmen "second note from beto"
sync_drop beto d1
sync_drop carmen d1
eq "$(sync_new)" 1 "carmen's sync after adding beto: new messages"
ok enl carmen inbox --json
contains "$OUT" "second note from beto" "carmen's inbox after adding beto"
contains "$OUT" '"from":"beto"' "carmen's inbox after adding beto"

finish
