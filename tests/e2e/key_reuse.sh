#!/bin/sh
# A message key seals one note only, even when taking a note in makes the
# profile seal back through the same session before that session is saved.
#
# A cell log that adds carmen reaches beto, a member, over his session with
# ana; acting on it, beto seals his new sender key to every member, ana
# included, through that very session. Intake used to save, after acting, the copy of the
# session it had loaded before: beto's next note to ana then sealed with the
# message key of the sender-key note (same tag, same purge lock, same key and
# nonce), and ana's purge of the first deleted the second everywhere.
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile beto
mkprofile carmen
introduce ana beto
introduce ana carmen
mkdrop drop

# The first 37 bytes of a note: version, expiry, purge lock, recognition tag.
prefix() { od -An -tx1 -N37 "$1" | tr -d ' \n'; }

step "ana and beto talk and share a cell, then ana adds carmen to it"
ok enl ana send beto "hola beto"
sync_drop ana drop
sync_drop beto drop
ok enl ana cell create olla --admit 1
ok enl ana cell add olla beto
sync_drop ana drop
sync_drop beto drop
ok enl beto cell join olla
sync_drop beto drop
sync_drop ana drop
ok enl ana cell add olla carmen
sync_drop ana drop
ls "$T/drop" >"$T/before"

step "beto takes the grown log in (and sends ana his new sender key), then writes to ana"
sync_drop beto drop
ok enl beto send ana "secreto de beto"
sync_drop beto drop
for f in "$T"/drop/*.note; do
    grep -qx "$(basename "$f")" "$T/before" && continue
    prefix "$f" | cut -c11-
done >"$T/prefixes"
[ "$(wc -l <"$T/prefixes" | tr -d ' ')" -ge 2 ] || fail "beto left fewer than 2 new notes for ana"
eq "$(cut -c1-32 "$T/prefixes" | sort -u | wc -l | tr -d ' ')" "$(wc -l <"$T/prefixes" | tr -d ' ')" \
    "distinct purge locks among beto's new notes"
eq "$(cut -c33-64 "$T/prefixes" | sort -u | wc -l | tr -d ' ')" "$(wc -l <"$T/prefixes" | tr -d ' ')" \
    "distinct recognition tags among beto's new notes"

step "ana gets every note of beto's, his message included"
sync_drop ana drop
sync_drop ana drop
ok enl ana inbox --json
contains "$OUT" "secreto de beto" "ana's inbox"
ok enl beto send ana "y otro"
sync_drop beto drop
sync_drop ana drop
ok enl ana inbox --json
contains "$OUT" "y otro" "ana's inbox after one more"
finish
