#!/bin/sh
# A wrong passphrase is refused by every command that needs the profile,
# with exit 1 and "wrong passphrase", before anything is read or changed:
# the profile folder (and the dead drop) are byte-identical afterwards.
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile carmen
introduce ana carmen
mkdrop d1
ok enl ana send carmen "for carmen only"
sync_drop ana d1
ok enl carmen send ana "for ana only"
mkprofile beto
card_beto=$(card_of beto)

before=$(tree_digest "$T/ana")
drop_before=$(tree_digest "$T/d1")

# refuses PASSPHRASE: every profile command on ana with that passphrase.
refuses() {
    _pw=$1
    for args in "card" "contact list" "contact list --json" "contact show carmen" \
                "contact verify carmen" "send carmen hello" "inbox" "inbox --json" \
                "inbox --new" "inbox --requests" "status" "status --json" "sync $T/d1"; do
        # shellcheck disable=SC2086
        run env ENLACE_PASSPHRASE="$_pw" "$ENLACE" --home "$T/ana" $args
        if [ "$RC" -ne 1 ]; then
            fail "'$args' with passphrase '$_pw' exited $RC, expected 1"
            last >&2
        fi
        grep -q 'wrong passphrase' "$ERR" ||
            fail "'$args' with passphrase '$_pw': stderr lacks 'wrong passphrase': $(cat "$ERR")"
        one_error_line "'$args' with a wrong passphrase"
        [ -s "$OUT" ] && fail "'$args' with a wrong passphrase printed on stdout: $(cat "$OUT")"
    done
    run env ENLACE_PASSPHRASE="$_pw" "$ENLACE" --home "$T/ana" contact add "$card_beto"
    [ "$RC" -eq 1 ] || fail "contact add with a wrong passphrase exited $RC, expected 1"
    grep -q 'wrong passphrase' "$ERR" || fail "contact add with a wrong passphrase: $(cat "$ERR")"
    run sh -c 'echo hello | env ENLACE_PASSPHRASE="$1" "$2" --home "$3" send carmen -' sh \
        "$_pw" "$ENLACE" "$T/ana"
    [ "$RC" -eq 1 ] || fail "send from stdin with a wrong passphrase exited $RC, expected 1"
    grep -q 'wrong passphrase' "$ERR" || fail "send - with a wrong passphrase: $(cat "$ERR")"
}

step "a wrong passphrase"
refuses "not the passphrase"
step "a passphrase one character off"
refuses "${PASS}x"
step "a prefix of the passphrase"
refuses "$(echo "$PASS" | cut -c 1-10)"
step "carmen's passphrase is not ana's"
mkdir "$T/other"
run env ENLACE_PASSPHRASE="carmens own" "$ENLACE" --home "$T/other" init --name other --kdf interactive
refuses "carmens own"

step "the profile and the drop are byte-identical"
after=$(tree_digest "$T/ana")
if [ "$before" != "$after" ]; then
    fail "the profile folder changed under wrong passphrases"
    echo "before:
$before
after:
$after" >&2
fi
eq "$(tree_digest "$T/d1")" "$drop_before" "the dead drop after syncs with a wrong passphrase"

step "init over an existing profile is refused and changes nothing"
expect_fail 1 enl ana init --name mallory --kdf interactive
one_error_line "init over an existing profile"
expect_fail 1 env ENLACE_PASSPHRASE=other "$ENLACE" --home "$T/ana" init --name mallory --kdf interactive
eq "$(tree_digest "$T/ana")" "$before" "the profile folder after init over it"

step "after a crash leaves a write-ahead log behind, a wrong passphrase still changes nothing"
# A sync killed half way (here by a file size limit, as a pulled stick or a
# dead battery would) leaves enlace.db-wal and enlace.db-shm behind; a wrong
# passphrase must not replay (checkpoint) or remove them either.
mkprofile wal
mkprofile walsender
introduce walsender wal
i=1
while [ $i -le 5 ]; do ok enl walsender send wal "crash note $i"; i=$((i + 1)); done
mkdrop dw
sync_drop walsender dw
cp -a "$T/wal" "$T/wal.fresh"
left=""
# Cut while the log is written (not while it is folded in, below): the
# main file is then whole, and the key slots are read from it alone.
fresh_db=$(sha256sum <"$T/wal.fresh/enlace.db")
cp -a "$T/dw" "$T/dw.fresh"
for lim in 16 24 32 48 64 96 128; do
    rm -rf "$T/wal"
    cp -a "$T/wal.fresh" "$T/wal"
    run sh -c 'ulimit -f "$1" && exec "$2" --home "$3" sync "$4"' sh "$lim" "$ENLACE" "$T/wal" "$T/dw"
    if [ "$RC" -gt 128 ] && [ -s "$T/wal/enlace.db-wal" ] &&
       [ "$(sha256sum <"$T/wal/enlace.db")" = "$fresh_db" ]; then left=$lim; break; fi
done
if [ -z "$left" ]; then
    echo "note: no sync was cut with a write-ahead log left behind; step skipped"
else
    wal_before=$(tree_digest "$T/wal")
    for args in "status" "inbox" "card" "sync $T/dw"; do
        # shellcheck disable=SC2086
        run env ENLACE_PASSPHRASE="not the passphrase" "$ENLACE" --home "$T/wal" $args
        eq "$RC" 1 "'$args' with a wrong passphrase after a crash: exit status"
    done
    wal_after=$(tree_digest "$T/wal")
    if [ "$wal_before" != "$wal_after" ]; then
        fail "a wrong passphrase changed the profile left by a crashed sync (ulimit -f $left)"
        echo "before:
$wal_before
after:
$wal_after" >&2
    fi
    # With the right passphrase, nothing is lost and nothing is doubled.
    sync_drop wal dw
    eq "$(inbox_count wal)" 5 "messages after the crashed sync and a full one"
fi

step "a crash while the log is folded into the main file: the profile still opens, nothing lost"
# The main file is then half written; only an ordinary open completes it
# from the log (before this, the profile could not be opened again).
cut=""
for lim in 96 112 128 144 160 192 224 256 320 384 512; do
    rm -rf "$T/wal" "$T/dw"
    cp -a "$T/wal.fresh" "$T/wal"
    cp -a "$T/dw.fresh" "$T/dw"
    run sh -c 'ulimit -f "$1" && exec "$2" --home "$3" sync "$4"' sh "$lim" "$ENLACE" "$T/wal" "$T/dw"
    if [ "$RC" -gt 128 ] && [ -s "$T/wal/enlace.db-wal" ] &&
       [ "$(sha256sum <"$T/wal/enlace.db")" != "$fresh_db" ]; then cut=$lim; break; fi
done
if [ -z "$cut" ]; then
    echo "note: no sync was cut while folding its log in; step skipped"
else
    run env ENLACE_PASSPHRASE="not the passphrase" "$ENLACE" --home "$T/wal" status
    eq "$RC" 1 "a wrong passphrase after a cut checkpoint: exit status"
    contains "$ERR" "passphrase" "a wrong passphrase after a cut checkpoint: the reason"
    sync_drop wal dw
    eq "$(inbox_count wal)" 5 "messages after a cut checkpoint and a full sync"
fi

step "the right passphrase still works"
ok enl ana status --json
eq "$(json_num outgoing)" 1 "ana's outgoing"
eq "$(json_num contacts)" 1 "ana's contacts"
ok enl ana contact list
contains "$OUT" carmen "ana's contacts"
ok enl carmen sync "$T/d1"
eq "$(sync_new)" 1 "carmen's sync: new messages"
ok enl ana sync "$T/d1"
eq "$(sync_new)" 1 "ana's sync with the right passphrase: new messages"
ok enl ana inbox --json
contains "$OUT" "for ana only" "ana's inbox"

step "--passphrase-file"
printf '%s\n' "$PASS" >"$T/pass.txt"
printf '%s' "$PASS" >"$T/pass-nonl.txt"
printf 'wrong\n' >"$T/wrong.txt"
ok nopass "$ENLACE" --home "$T/ana" --passphrase-file "$T/pass.txt" status --json
eq "$(json_str name)" ana "status through --passphrase-file"
ok nopass "$ENLACE" --home "$T/ana" --passphrase-file "$T/pass-nonl.txt" inbox
ok nopass "$ENLACE" --home "$T/ana" --passphrase-file="$T/pass.txt" card
ok nopass "$ENLACE" --passphrase-file "$T/pass.txt" --home "$T/ana" contact list
expect_fail 1 nopass "$ENLACE" --home "$T/ana" --passphrase-file "$T/wrong.txt" status
contains "$ERR" "wrong passphrase" "a wrong --passphrase-file"
one_error_line "a wrong --passphrase-file"
expect_fail 1 nopass "$ENLACE" --home "$T/ana" --passphrase-file "$T/missing.txt" status
one_error_line "a missing --passphrase-file"
contains "$ERR" "missing.txt" "the message about a missing passphrase file"
mkdir "$T/newp"
ok nopass "$ENLACE" --home "$T/newp/p" --passphrase-file "$T/pass.txt" init --name newp --kdf interactive
ok enl newp/p status --json
eq "$(json_str name)" newp "a profile created with --passphrase-file opens with ENLACE_PASSPHRASE"

step "no passphrase and no terminal"
if command -v setsid >/dev/null 2>&1; then
    run setsid sh -c 'unset ENLACE_PASSPHRASE; exec "$1" --home "$2" status </dev/null' sh \
        "$ENLACE" "$T/ana"
    eq "$RC" 1 "status with no passphrase and no terminal: exit status"
    one_error_line "no passphrase and no terminal"
    contains "$ERR" "passphrase" "the message without a passphrase"
fi

step "an empty ENLACE_PASSPHRASE is as if it were unset"
# No passphrase is empty: a variable left blank must not hide
# --passphrase-file (it was taken for a wrong passphrase), and with nothing
# else it says that no passphrase was given.
ok env ENLACE_PASSPHRASE= "$ENLACE" --home "$T/ana" --passphrase-file "$T/pass.txt" status --json
eq "$(json_str name)" ana "status with an empty ENLACE_PASSPHRASE and --passphrase-file"
if command -v setsid >/dev/null 2>&1; then
    run setsid sh -c 'ENLACE_PASSPHRASE= exec "$1" --home "$2" status </dev/null' sh \
        "$ENLACE" "$T/ana"
    eq "$RC" 1 "status with an empty ENLACE_PASSPHRASE and no terminal: exit status"
    one_error_line "an empty ENLACE_PASSPHRASE and no terminal"
    contains "$ERR" "no passphrase" "the message with an empty ENLACE_PASSPHRASE"
fi

step "a missing profile"
for args in "status" "card" "inbox" "contact list" "send carmen hi" "sync $T/d1"; do
    # shellcheck disable=SC2086
    run "$ENLACE" --home "$T/nobody" $args
    eq "$RC" 1 "'$args' on a missing profile: exit status"
    one_error_line "'$args' on a missing profile"
    grep -qi 'no profile' "$ERR" || fail "'$args' on a missing profile: unclear message: $(cat "$ERR")"
done
[ -e "$T/nobody" ] && fail "a command on a missing profile created $T/nobody"
run env ENLACE_HOME="$T/nobody" "$ENLACE" status
eq "$RC" 1 "status with ENLACE_HOME on a missing profile: exit status"
grep -qi 'no profile' "$ERR" || fail "ENLACE_HOME on a missing profile: unclear message: $(cat "$ERR")"
ok env ENLACE_HOME="$T/ana" "$ENLACE" status --json
eq "$(json_str name)" ana "status through ENLACE_HOME"

step "init refuses an empty passphrase from --passphrase-file"
: >"$T/emptypass"
printf '\n' >"$T/blankpass"
for f in emptypass blankpass; do
    run nopass "$ENLACE" --home "$T/hollow" --passphrase-file "$T/$f" init --name hollow --kdf interactive
    eq "$RC" 1 "init with the passphrase file $f: exit status"
    one_error_line "init with an empty passphrase file"
    contains "$ERR" "empty passphrase" "the message for an empty passphrase file"
    [ -e "$T/hollow" ] && { fail "init with an empty passphrase file ($f) created a profile"; rm -rf "$T/hollow"; }
done

finish
