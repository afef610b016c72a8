#!/bin/sh
# --home names the profile a command works on. An explicit --home that is
# empty (a script's unset variable: enlace --home "$PROFILE" wipe --yes) must
# not quietly mean $ENLACE_HOME or ~/.enlace: for `wipe` that destroys
# another profile than the one named. README: "Every command takes --home
# DIR": written after the command, it must not unlock (or say there is no
# profile in) ~/.enlace instead. And `init` must not change what it did not
# create: a --home that names a file is refused before its mode is touched.
. "$(dirname "$0")/lib.sh"

mkdir "$T/h"
export HOME="$T/h"
# what the defect falls back to must be this script's own folder, never the
# ~/.enlace of whoever runs the tests
[ "$HOME" = "$T/h" ] && [ -z "${ENLACE_HOME:-}" ] || die "HOME is not the test's own folder"
ok nopass env ENLACE_PASSPHRASE=default-pass "$ENLACE" --home "$T/h/.enlace" init --name dflt --kdf interactive ||
    die "cannot make the default profile"

step "--home \"\" is not the default profile"
run "$ENLACE" --home "" wipe --yes
[ -e "$T/h/.enlace/enlace.db" ] ||
    fail "'enlace --home \"\" wipe --yes' wiped ~/.enlace (exit $RC: $(cat "$OUT" "$ERR"))"
[ "$RC" -eq 2 ] || fail "'enlace --home \"\" wipe --yes' exited $RC, expected 2 (wrong usage)"

if [ -e "$T/h/.enlace/enlace.db" ]; then
    run "$ENLACE" --home= wipe --yes
    [ -e "$T/h/.enlace/enlace.db" ] || fail "'enlace --home= wipe --yes' wiped ~/.enlace"
fi

step "--home \"\" does not create ~/.enlace either"
rm -rf "$T/h2"
mkdir "$T/h2"
run env HOME="$T/h2" "$ENLACE" --home "" init --name x --kdf interactive
[ -e "$T/h2/.enlace" ] && fail "'enlace --home \"\" init' created ~/.enlace (exit $RC)"

step "--home after the command"
mkprofile ana
run "$ENLACE" status --home "$T/ana"
if [ "$RC" -ne 0 ] && [ "$RC" -ne 2 ]; then
    fail "'enlace status --home DIR' exited $RC, expected 0 (it works) or 2 (wrong usage)"
    last >&2
fi
lacks "$ERR" "$T/h/.enlace" "'enlace status --home DIR' (it must not turn to ~/.enlace)"

step "init --home FILE leaves the file as it was"
echo "my notes" >"$T/notes.txt"
chmod 644 "$T/notes.txt"
run "$ENLACE" --home "$T/notes.txt" init --name x --kdf interactive
[ "$RC" -eq 0 ] && fail "init on a regular file succeeded"
eq "$(stat -c %a "$T/notes.txt")" 644 "mode of a file named by init --home"
eq "$(cat "$T/notes.txt")" "my notes" "content of a file named by init --home"
one_error_line "init --home FILE"

step "init under a folder that does not exist says so"
run "$ENLACE" --home "$T/no/such/folder" init --name x --kdf interactive
eq "$RC" 1 "init under a missing folder: exit status"
grep -qi "no such\|does not exist\|not exist" "$ERR" ||
    fail "init under a missing folder does not say why: $(cat "$ERR")"

finish
