#!/bin/sh
# README, `enlace init`: "An init cut short before it says `created`
# (killed, the power gone) leaves a store that holds nothing; every command
# then says `the profile in DIR was never finished (its creation was cut
# short) and holds nothing: run enlace wipe, then enlace init again`."
# init is killed here at its Nth fdatasync (strace's fault injection: the
# moment a power cut would freeze the disk). Killed early in the store's
# creation (the database file made, its key slot not yet committed),
# every command says "cannot open the profile in DIR: profile database
# error" instead - with the right passphrase or a wrong one - and `init`
# again says "a profile already exists": nothing tells the person that
# `enlace wipe` then `enlace init` is the way out.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || { echo "skip: strace is needed to cut init short"; finish; }

# cut_at N: init of $T/p killed at its Nth fdatasync; prints whether it said "created".
cut_at() {
    rm -rf "$T/p"
    strace -f -o /dev/null -e trace=fdatasync -e inject=fdatasync:signal=KILL:when="$1" \
        "$ENLACE" --home "$T/p" init --name p --kdf interactive >"$T/log/cut.out" 2>&1
    grep -c "created the profile" "$T/log/cut.out"
}

checked=0
for n in 1 2 3 5 7 9 11 13; do
    said=$(cut_at "$n")
    [ "$said" = 0 ] || continue             # it finished before the Nth sync
    [ -e "$T/p/enlace.db" ] || continue     # nothing left: "no profile", also fine
    checked=$((checked + 1))
    step "init killed at fdatasync $n"
    run "$ENLACE" --home "$T/p" status
    # killed after its last commit, before printing: a whole profile
    [ "$RC" = 0 ] && grep -q "^profile" "$OUT" && continue
    eq "$RC" 1 "status after init was cut short at fdatasync $n: exit status"
    grep -q "was never finished" "$ERR" ||
        fail "init cut short at fdatasync $n: status says '$(cat "$ERR")', not the README's 'was never finished ... run enlace wipe, then enlace init again'"
    run "$ENLACE" --home "$T/p" init --name p --kdf interactive
    if [ "$RC" -ne 0 ]; then
        grep -q "wipe" "$ERR" ||
            fail "init again after one cut short at fdatasync $n: '$(cat "$ERR")' does not say how to get out (enlace wipe)"
    fi
done
[ "$checked" -gt 0 ] || die "no fdatasync of init left a store behind: the test did not cut init short"

finish
