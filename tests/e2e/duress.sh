# When a device is taken: the passphrase can be changed; a duress passphrase
# typed at unlock destroys the real profile and opens an empty one; wipe
# destroys it on demand.
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile carmen
introduce ana carmen
mkdrop d
ok enl carmen send ana "la reunión es el jueves"
sync_drop carmen d
sync_drop ana d
eq "$(inbox_count ana)" 1 "ana's messages"
printf 'otra clave larga\n' > "$T/new"
printf 'clave de coacción\n' > "$T/duress"

step "passphrase change"
ok enl ana passphrase change --new-passphrase-file "$T/new"
expect_fail 1 enl ana status
contains "$ERR" "wrong passphrase"
export ENLACE_PASSPHRASE='otra clave larga'
ok enl ana status --json
eq "$(json_num contacts)" 1 "contacts after the change"

step "a duress passphrase equal to the real one is refused"
expect_fail 1 enl ana passphrase duress --new-passphrase-file "$T/new"
eq "$(cat "$ERR")" "enlace: passphrase duress: the duress passphrase must differ from the real one" \
    "the refusal of a duress passphrase equal to the real one"

step "duress: the real profile is destroyed, an empty one opens"
ok enl ana passphrase duress --new-passphrase-file "$T/duress"
# Set again, the same duress passphrase is not called the real one.
expect_fail 1 enl ana passphrase duress --new-passphrase-file "$T/duress"
eq "$(cat "$ERR")" "enlace: passphrase duress: that passphrase is already the duress passphrase" \
    "the refusal of the duress passphrase set a second time"
expect_fail 1 enl ana passphrase change --new-passphrase-file "$T/duress"
eq "$(cat "$ERR")" "enlace: passphrase change: that passphrase is already in use here" \
    "the refusal of the duress passphrase as the new real one"
ok enl ana status --json
eq "$(json_num messages)" 1 "messages before duress"
ENLACE_PASSPHRASE='clave de coacción' ok enl ana status --json
eq "$(json_num contacts)" 0 "contacts under duress"
eq "$(json_num messages)" 0 "messages under duress"
eq "$(json_str name)" "ana" "name under duress"
ENLACE_PASSPHRASE='clave de coacción' ok enl ana inbox --json
eq "$(grep -c '^{' "$OUT")" 0 "inbox under duress"
expect_fail 1 enl ana status
contains "$ERR" "wrong passphrase" "the real passphrase after duress"
for f in "$T"/ana/*; do lacks "$f" "reunión" "$(basename "$f")"; done

step "init takes a new passphrase from a file too"
printf 'de un archivo\n' > "$T/initpass"
nopass "$ENLACE" --home "$T/eva" init --name eva --kdf interactive --new-passphrase-file "$T/initpass" >"$OUT" 2>"$ERR" ||
    fail "init --new-passphrase-file: $(cat "$ERR")"
ENLACE_PASSPHRASE='de un archivo' ok enl eva status

step "wipe needs a confirmation, then leaves nothing"
nopass "$ENLACE" --home "$T/ana" wipe </dev/null >"$OUT" 2>"$ERR"
ok enl ana wipe --yes
[ -e "$T/ana" ] && fail "the profile folder is still there after wipe"
expect_fail 1 enl ana status
finish
