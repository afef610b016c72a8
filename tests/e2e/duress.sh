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

step "a change to the real passphrase itself is refused"
expect_fail 1 enl ana passphrase change --new-passphrase-file "$T/new"
eq "$(cat "$ERR")" "enlace: passphrase change: that is already this profile's passphrase" \
    "the refusal of the real passphrase as the new one"

step "duress: the real profile is destroyed, an empty one opens"
ok enl ana passphrase duress --new-passphrase-file "$T/duress"
# Set again, the same duress passphrase is set again, as any other.
ok enl ana passphrase duress --new-passphrase-file "$T/duress"
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

# Whoever forced the real passphrase out of the owner must learn nothing
# from `passphrase change` or `passphrase duress` of a duress passphrase:
# not whether one exists, nor whether a guess is it. sin has none; con has
# one, which is each time the value given.
step "with or without a duress passphrase, change and duress answer alike"
mkprofile con
mkprofile sin
introduce con sin
printf 'la de coacción\n' > "$T/d1"
printf 'otra de coacción\n' > "$T/d2"
ok enl con passphrase duress --new-passphrase-file "$T/d1"
# answer P CMD...: rc, stdout and stderr of CMD on profile P, in $T/log/answer.P
answer() {
    _p=$1
    shift
    run enl "$_p" "$@"
    { echo "rc $RC"; cat "$OUT" "$ERR"; } >"$T/log/answer.$_p"
}
answer con passphrase change --new-passphrase-file "$T/d1"
answer sin passphrase change --new-passphrase-file "$T/d1"
eq "$(cat "$T/log/answer.con")" "$(cat "$T/log/answer.sin")" \
    "the change to the duress passphrase, with one and without"
eq "$(cat "$T/log/answer.sin")" "$(printf 'rc 0\npassphrase changed')" "the change's answer"
# It is the real passphrase now, on both, and destroys nothing.
for p in con sin; do
    expect_fail 1 enl "$p" status
    contains "$ERR" "wrong passphrase" "the passphrase of before on $p"
    for i in 1 2; do
        ENLACE_PASSPHRASE='la de coacción' ok enl "$p" status --json
        eq "$(json_num contacts)" 1 "contacts of $p, open $i with the former duress passphrase"
    done
done
ENLACE_PASSPHRASE='la de coacción' ok enl con passphrase duress --new-passphrase-file "$T/d2"
for p in con sin; do
    ENLACE_PASSPHRASE='la de coacción' answer "$p" passphrase duress --new-passphrase-file "$T/d2"
done
eq "$(cat "$T/log/answer.con")" "$(cat "$T/log/answer.sin")" \
    "the duress passphrase set to itself, and set for the first time"
eq "$(head -n 1 "$T/log/answer.sin")" "rc 0" "the duress set's status"
for p in con sin; do
    ENLACE_PASSPHRASE='la de coacción' answer "$p" passphrase change --new-passphrase-file "$T/d1"
    cp "$T/log/answer.$p" "$T/log/real.$p"
    ENLACE_PASSPHRASE='la de coacción' answer "$p" passphrase duress --new-passphrase-file "$T/d1"
    cat "$T/log/answer.$p" >>"$T/log/real.$p"
done
eq "$(cat "$T/log/real.con")" "$(cat "$T/log/real.sin")" "the refusals of the real passphrase"
# Both hold the duress passphrase set last, which destroys them.
for p in con sin; do
    ENLACE_PASSPHRASE='otra de coacción' ok enl "$p" status --json
    eq "$(json_num contacts)" 0 "contacts of $p under duress"
    ENLACE_PASSPHRASE='la de coacción' expect_fail 1 enl "$p" status
done

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
