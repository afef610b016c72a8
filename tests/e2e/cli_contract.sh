#!/bin/sh
# The command-line contract: --help everywhere without a profile, exit 2 and
# "usage:" for wrong usage, one "enlace: " line and exit 1 for failures,
# cards refused when tampered, own or misnamed, safety numbers that match,
# verify, the JSON fields, send from stdin.
. "$(dirname "$0")/lib.sh"

step "every command answers --help with status 0, without a profile"
ok nopass "$ENLACE" --home "$T/none" help
cmds=$(sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' "$OUT")
[ -n "$cmds" ] || die "no commands listed by 'enlace help': $(cat "$OUT")"
for w in init card contact send sync inbox status help; do
    echo "$cmds" | grep -qx "$w" || fail "'enlace help' does not list $w"
done
# each command's line is a whole sentence (the list shows a summary's first line)
cut_short=$(sed -n '/^commands:/,/^$/p' "$OUT" | grep '^  [a-z]' | grep -v '\.$')
[ -n "$cut_short" ] && fail "'enlace help': summaries cut mid-sentence: $cut_short"
for c in $cmds; do
    for h in --help -h; do
        run nopass "$ENLACE" --home "$T/none" "$c" "$h"
        eq "$RC" 0 "'enlace $c $h': exit status"
        grep -q "usage: enlace $c" "$OUT" || fail "'enlace $c $h' prints no 'usage: enlace $c' on stdout: $(cat "$OUT")"
        [ -s "$ERR" ] && fail "'enlace $c $h' wrote on stderr: $(cat "$ERR")"
    done
    ok nopass "$ENLACE" --home "$T/none" help "$c"
    grep -q "usage: enlace $c" "$OUT" || fail "'enlace help $c' prints no usage: $(cat "$OUT")"
done
for sub in add list show verify; do
    ok nopass "$ENLACE" --home "$T/none" contact $sub --help
    grep -q "usage:" "$OUT" || fail "'enlace contact $sub --help' prints no usage"
done
ok nopass "$ENLACE" --home "$T/none" --help
grep -q '^usage: enlace' "$OUT" || fail "'enlace --help' prints no usage"
ok nopass "$ENLACE" --home "$T/none" version
grep -q '^enlace [0-9]' "$OUT" || fail "'enlace version' prints '$(cat "$OUT")'"
ok nopass "$ENLACE" --version
[ -e "$T/none" ] && fail "--help created the profile folder"

step "wrong usage: exit 2"
expect_fail 2 "$ENLACE" --home "$T/none" frobnicate
contains "$ERR" "frobnicate" "the message for an unknown command"
expect_fail 2 "$ENLACE" --home "$T/none"
expect_fail 2 "$ENLACE" --home "$T/none" --no-such-option status
expect_fail 2 nopass "$ENLACE" --home "$T/none" help frobnicate

mkprofile ana
mkprofile carmen
mkprofile beto

# usage_error CMD...: exit 2 and a "usage:" line on stderr, nothing on stdout.
usage_error() {
    expect_fail 2 "$@" || return
    grep -q '^usage:' "$ERR" || fail "'$*': no 'usage:' on stderr: $(cat "$ERR")"
    [ -s "$OUT" ] && fail "'$*': wrote on stdout: $(cat "$OUT")"
}
usage_error enl ana send
usage_error enl ana send carmen hello extra
usage_error enl ana send --bogus carmen hi
usage_error enl ana contact
usage_error enl ana contact add
usage_error enl ana contact add a b
usage_error enl ana contact frob
usage_error enl ana contact show
usage_error enl ana contact verify
usage_error enl ana contact list extra
usage_error enl ana sync
usage_error enl ana sync a b
usage_error enl ana inbox extra
usage_error enl ana inbox --bogus
usage_error enl ana status extra
usage_error enl ana card extra
usage_error nopass "$ENLACE" --home "$T/new" init
usage_error nopass "$ENLACE" --home "$T/new" init --name
usage_error enl new2 init --name x --kdf fastest
contains "$ERR" "--kdf is interactive, moderate or sensitive" "init with a bad --kdf says why"
echo data >"$T/a-file"
usage_error enl ana send --file "$T/a-file" --paper carmen
contains "$ERR" "--paper goes with messages" "send --file --paper says why"
[ -e "$T/new2" ] && fail "init with a bad --kdf created the profile folder"

step "failures: one 'enlace: ' line, exit 1"
# fails CMD...: exit 1, one line on stderr.
fails() {
    expect_fail 1 "$@" || return
    one_error_line "'$*'"
}
fails enl ana send nobody hello
fails enl ana contact show nobody
fails enl ana contact verify nobody
fails enl ana sync "$T/no-such-folder"
echo file >"$T/plainfile"
fails enl ana sync "$T/plainfile"
fails enl ana contact add "not a card"
fails enl ana contact add "enlace1"
fails enl ana contact add "enlace9abc"
fails nopass "$ENLACE" --home "$T/x" status

step "cards"
card_a=$(card_of ana)
card_c=$(card_of carmen)
card_b=$(card_of beto)
case "$card_a" in enlace1*) ;; *) fail "ana's card does not begin with enlace1: $card_a" ;; esac
eq "$(echo "$card_a" | wc -l | tr -d ' ')" 1 "lines in a card"
# A tampered card: one character changed, at several places.
for pos in 20 100 200 $((${#card_c} - 2)); do
    bad=$(tamper_card "$card_c" "$pos")
    [ "$bad" != "$card_c" ] || die "tamper_card did not change the card"
    fails enl ana contact add "$bad"
    grep -qi 'checksum' "$ERR" || fail "a card changed at $pos: the message does not name the checksum: $(cat "$ERR")"
done
ok enl ana contact list --json
eq "$(lines "$OUT")" 0 "ana's contacts after tampered cards"
# A truncated card.
fails enl ana contact add "$(echo "$card_c" | cut -c 1-100)"
# Own card.
fails enl ana contact add "$card_a"
contains "$ERR" "own" "the message for adding one's own card"
# Invalid names.
for n in "" "-dash" "a/b" "a@b" "a:b" " lead" "trail " "$(printf 'a\tb')" "$(printf 'esc\033[2J')" \
         "$(printf '%065d' 0)"; do
    run enl ana contact add --name "$n" "$card_c"
    [ "$RC" -eq 0 ] && fail "a contact named '$n' was accepted"
    [ "$RC" -eq 1 ] || [ "$RC" -eq 2 ] || fail "contact add --name '$n' exited $RC"
    grep -q '^enlace: \|^usage:' "$ERR" || fail "contact add --name '$n': no message: $(cat "$ERR")"
done
ok enl ana contact list --json
eq "$(lines "$OUT")" 0 "ana's contacts after invalid names"
for n in "" "-dash" "a/b" "$(printf 'x\ny')"; do
    run nopass env ENLACE_PASSPHRASE=pw "$ENLACE" --home "$T/badname" init --name "$n" --kdf interactive
    [ "$RC" -eq 0 ] && fail "a profile named '$n' was created"
    rm -rf "$T/badname"
done
# The name is checked before the passphrase is asked for (twice, on a
# terminal): here there is none to ask on, and the name is what is wrong.
run nopass "$ENLACE" --home "$T/badname" init --name "a/b" --kdf interactive </dev/null
eq "$RC" 2 "init with a bad name and no passphrase: exit status (wrong usage)"
contains "$ERR" "invalid name"
[ -e "$T/badname" ] && fail "init with a bad name left $T/badname"
# A card read from stdin, with spaces, hyphens, line breaks and capitals (a card copied by hand).
printf '%s\n' "$card_c" | sed 's/\(.\{40\}\)/\1 /g' | tr 'a-z' 'A-Z' >"$T/card-spaced"
ok sh -c '"$1" --home "$2" contact add --name carmen - <"$3"' sh "$ENLACE" "$T/ana" "$T/card-spaced"
contains "$OUT" "safety number" "contact add output"
ok enl carmen contact add "$card_a"
contains "$OUT" "added ana" "contact add without --name takes the card's name"
# Another person's card under a name already taken: refused.
fails enl ana contact add --name carmen "$card_b"
contains "$ERR" "carmen" "the message for a name already taken"
# The same card again: no second contact.
ok enl ana contact add --name carmen "$card_c"
ok enl ana contact list --json
eq "$(lines "$OUT")" 1 "ana's contacts after adding carmen's card twice"
eq "$(json_str name)" carmen "ana's contact after adding carmen's card twice"

# Cards are dated: an expired card, or one from the future, is refused.
mkprofile dora
fails env ENLACE_NOW="$(later $((181 * 24)))" "$ENLACE" --home "$T/dora" contact add "$card_c"
contains "$ERR" "expired" "the message for an expired card"
fails env ENLACE_NOW="$(later -48)" "$ENLACE" --home "$T/dora" contact add "$card_c"
ok enl dora contact list --json
eq "$(lines "$OUT")" 0 "dora's contacts after dated cards"
# Sending to a contact whose card has expired is refused.
fails env ENLACE_NOW="$(later $((181 * 24)))" "$ENLACE" --home "$T/ana" send carmen "too late"
contains "$ERR" "expired" "the message for a contact whose card expired"

step "safety numbers match on both sides"
ok enl ana contact show carmen
sn_a=$(sed -n 's/^safety number: *//p' "$OUT")
ok enl carmen contact show ana
sn_c=$(sed -n 's/^safety number: *//p' "$OUT")
[ -n "$sn_a" ] || fail "no safety number in contact show"
eq "$sn_a" "$sn_c" "safety numbers of ana and carmen"
add_contact beto carmen
ok enl beto contact show carmen
sn_b=$(sed -n 's/^safety number: *//p' "$OUT")
[ "$sn_b" = "$sn_a" ] && fail "beto-carmen has the same safety number as ana-carmen"
# The fingerprint shown for a contact is the one its owner sees.
fp_c=$(enl carmen status --json | sed -n 's/.*"fingerprint":"\([^"]*\)".*/\1/p')
ok enl ana contact show carmen
contains "$OUT" "$fp_c" "ana's view of carmen's fingerprint"

step "verify"
ok enl ana contact list --json
eq "$(json_bool verified)" false "carmen verified before verify"
ok enl ana contact verify carmen
ok enl ana contact list --json
eq "$(json_bool verified)" true "carmen verified after verify"
eq "$(json_str name)" carmen "contact list --json: name"
eq "$(json_str safety_number)" "$sn_a" "contact list --json: safety_number"
ok enl ana contact show carmen
grep -q '^verified: *yes' "$OUT" || fail "contact show after verify: $(cat "$OUT")"
ok enl ana contact list
contains "$OUT" carmen "contact list"

step "status --json"
ok enl ana status --json
eq "$(lines "$OUT")" 1 "lines of status --json"
for f in notes outgoing purges contacts; do
    v=$(json_num $f)
    [ -n "$v" ] || fail "status --json lacks the number field '$f': $(cat "$OUT")"
done
eq "$(json_num contacts)" 1 "ana's contacts in status --json"
if command -v jq >/dev/null 2>&1; then
    jq -e '.notes and .outgoing >= 0 and .purges >= 0 and .contacts == 1' "$OUT" >/dev/null ||
        fail "status --json is not the JSON expected: $(cat "$OUT")"
fi
ok enl ana status
contains "$OUT" "contacts:" "status"

step "send reads stdin"
mkdrop d
ok sh -c 'echo hi from stdin | "$1" --home "$2" send carmen -' sh "$ENLACE" "$T/ana"
ok sh -c 'printf "no text argument" | "$1" --home "$2" send carmen' sh "$ENLACE" "$T/ana"
ok sh -c 'printf "exactly this" | "$1" --home "$2" send carmen -' sh "$ENLACE" "$T/ana"
ok enl ana send carmen -- "-x-"
expect_status ana outgoing 4
sync_drop ana d
sync_drop carmen d
eq "$(sync_new)" 4 "carmen's sync: new messages"
ok enl carmen inbox --json
eq "$(lines "$OUT")" 4 "carmen's inbox"
contains "$OUT" '"text":"hi from stdin' "inbox (echo | send carmen -)"
contains "$OUT" '"text":"no text argument"' "inbox (send without TEXT)"
contains "$OUT" '"text":"exactly this"' "inbox (printf | send carmen -)"
contains "$OUT" '"text":"-x-"' "inbox (a text that begins with a dash)"
# An empty message (an empty stdin, most often a mistake) is refused.
run sh -c '"$1" --home "$2" send carmen - </dev/null' sh "$ENLACE" "$T/ana"
eq "$RC" 1 "send of an empty stdin"
contains "$ERR" "the message is empty"
expect_fail 1 enl ana send carmen ""
contains "$ERR" "the message is empty"

step "open says why a note does not open"
ok enl ana send carmen "to open"
rm -f "$T"/d/*
sync_drop ana d
note=$(ls "$T"/d/*.note | head -n 1)
for b in 000 001 377; do
    cp "$note" "$T/bad.note"
    printf "\\$b" | dd of="$T/bad.note" bs=1 count=1 conv=notrunc 2>/dev/null
    expect_fail 1 enl carmen open "$T/bad.note"
    eq "$(cat "$ERR")" "enlace: cannot open $T/bad.note: it is damaged, or was made by a newer version of enlace" \
        "open of a note whose version byte is $b"
done
expect_fail 1 enl carmen open "$T/no-such.note"
eq "$(cat "$ERR")" "enlace: cannot read $T/no-such.note: No such file or directory" "open of a missing file"

step "stdout errors are reported"
if [ -w /dev/full ]; then
    run sh -c '"$1" --home "$2" contact list >/dev/full' sh "$ENLACE" "$T/ana"
    eq "$RC" 1 "contact list >/dev/full: exit status"
fi

step "a profile's folder is no dead drop (sync ./NAME with NAME a profile)"
ok enl ana send carmen "not into a profile"
before=$(tree_digest "$T/carmen")
expect_fail 1 enl ana sync "$T/carmen"
one_error_line "sync into a profile's folder"
contains "$ERR" "holds an enlace profile" "sync into a profile's folder"
eq "$(tree_digest "$T/carmen")" "$before" "carmen's profile folder after ana's refused sync"
expect_fail 1 enl ana sync "$T/ana"
contains "$ERR" "holds an enlace profile" "sync into its own profile folder"
eq "$(find "$T/ana" -name '*.note' -o -name '*.purge' | wc -l | tr -d ' ')" 0 "notes left in ana's own folder"

step "sync to a name that is neither a contact nor a folder says both"
# run where no file is called frank: the name is taken as a folder there
expect_fail 1 sh -c 'cd "$1" && "$2" --home "$3" sync frank' sh "$T/log" "$ENLACE" "$T/ana"
one_error_line "sync to an unknown name"
contains "$ERR" 'no contact named "frank", and no folder frank' "sync to an unknown name"
expect_fail 1 enl ana sync "$T/no-such-drop"
one_error_line "sync to a missing folder"
contains "$ERR" "no folder $T/no-such-drop" "sync to a missing folder"
[ -e "$T/no-such-drop" ] && fail "sync created the missing folder $T/no-such-drop"

step "a card added again refreshes the contact, keeping the name given here"
mkprofile fede
ok enl fede contact add --name mama "$(card_of ana)"
# the command to run is given whole, with the contact's name in it
ok enl fede contact show mama
contains "$OUT" "then: enlace contact verify mama)" "contact show of a contact not verified"
ok enl fede contact verify mama
ok enl fede contact add "$(card_of ana)"
contains "$OUT" "mama was a contact already" "adding a known card again"
lacks "$OUT" "added" "adding a known card again"
ok enl fede contact list --json
eq "$(grep -c '^{' "$OUT")" 1 "fede's contacts after adding a card twice"
eq "$(json_str name)" mama "the name of a contact whose card is added again without --name"
eq "$(json_bool verified)" true "verified after the card is refreshed"
ok enl fede contact add --name ana "$(card_of ana)"
# the contact was known as mama (not as ana): said in that order
contains "$OUT" "mama was a contact already: renamed ana, and the card is refreshed" \
    "adding a known card again with --name"
ok enl fede contact list --json
eq "$(json_str name)" ana "the name after a refresh with --name"

step "a wrong option is named on a line beginning 'enlace: COMMAND: '"
for args in "inbox --bogus" "inbox -x" "send --expire" "status --json=3" "init -n"; do
    # shellcheck disable=SC2086
    run enl ana $args
    eq "$RC" 2 "'$args': exit status"
    cmd=${args%% *}
    head -n 1 "$ERR" | grep -q "^enlace: $cmd: " ||
        fail "'$args': the first line on stderr should begin 'enlace: $cmd: ': $(head -n 1 "$ERR")"
    grep -q '^usage:' "$ERR" || fail "'$args': no usage line"
done
# a wrong value, a word that is no subcommand, options that do not go
# together: the same, the command (or subcommand) named first
while read -r args; do
    # shellcheck disable=SC2086
    run enl ana $args
    eq "$RC" 2 "'$args': exit status"
    cmd=${args%% *}
    head -n 1 "$ERR" | grep -q "^enlace: $cmd[ :]" ||
        fail "'$args': the first line on stderr should begin 'enlace: $cmd': $(head -n 1 "$ERR")"
done <<EOF
send --expire 0 carmen hi
send --disappear forever carmen hi
send --note hi carmen hello
send --file $T/no-file --paper carmen
send --file $T/no-file --disappear 1h carmen
cell create --admit 0 crew
cell send --disappear forever crew hi
cell add --burn crew carmen
cell frob
bulletin publish --expire 0 hi
bulletin frob
init --name x --kdf foo
answer 0123 --vouch --unknown
contact frob
contact address carmen 127.0.0.1:1
files frob
paper frob
revocation frob
introductions frob 0123
listen --tor-control 127.0.0.1:9051
sync --socks 127.0.0.1:9050 $T/log
EOF
# a subcommand's failures name it, as "contact add: " and "files save: " do
while read -r args; do
    # shellcheck disable=SC2086
    run enl ana $args
    [ "$RC" -ne 0 ] || fail "'$args' should fail"
    sub=$(echo "$args" | cut -d' ' -f1-2)
    head -n 1 "$ERR" | grep -q "^enlace: $sub: " ||
        fail "'$args': the first line on stderr should begin 'enlace: $sub: ': $(head -n 1 "$ERR")"
done <<EOF
cell members no-such-cell
cell list --bogus
cell add no-such-cell carmen
cell vouch no-such-cell carmen
cell remove no-such-cell carmen
cell join no-such-cell
cell create --bogus x
cell send --bogus x hi
EOF
run enl ana inbox --bogus
contains "$ERR" "--bogus is not an option" "an unknown long option"
run enl ana send --expire
contains "$ERR" "--expire is missing its value" "a long option without its value"
run enl ana status --json=3
contains "$ERR" "--json=3 takes no value" "a flag given a value"

step "--help and --version fail when their output cannot be written"
for opt in --help --version; do
    "$ENLACE" $opt >/dev/full 2>"$T/log/full.err"
    eq "$?" 1 "enlace $opt > /dev/full: exit status"
    contains "$T/log/full.err" "cannot write the output"
done

finish
