#!/bin/sh
# Two syncs of one profile at the same time (two sticks plugged in at once,
# or a sync while another is running): each note is still delivered once,
# and each sync either succeeds or fails cleanly.
. "$(dirname "$0")/lib.sh"

N=20

mkprofile ana
mkprofile carmen
introduce ana carmen

total=0
for round in 1 2 3; do
    step "round $round: $N notes, synced by carmen from four drops at once"
    i=1
    while [ $i -le $N ]; do
        ok enl ana send carmen "round $round note $i" || break
        i=$((i + 1))
    done
    for d in a b c e; do
        rm -rf "$T/r$round$d"
        mkdrop "r$round$d"
        sync_drop ana "r$round$d"
    done
    pids=""
    k=0
    for d in a b c e a b; do
        k=$((k + 1))
        "$ENLACE" --home "$T/carmen" sync "$T/r$round$d" >"$T/log/par.$k.out" 2>"$T/log/par.$k.err" &
        pids="$pids $!"
    done
    k=0
    for p in $pids; do
        k=$((k + 1))
        wait "$p"
        rc=$?
        [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] ||
            fail "a parallel sync exited $rc: $(head -c 400 "$T/log/par.$k.err")"
        grep -q 'runtime error\|AddressSanitizer' "$T/log/par.$k.err" &&
            fail "a parallel sync crashed: $(head -c 400 "$T/log/par.$k.err")"
        if [ "$rc" -eq 1 ]; then
            grep -v '^enlace: warning: ' "$T/log/par.$k.err" >"$T/log/par.err"
            [ "$(lines "$T/log/par.err")" -eq 1 ] && grep -q '^enlace: ' "$T/log/par.err" ||
                fail "a parallel sync failed without one 'enlace: ' line: $(head -c 400 "$T/log/par.$k.err")"
        fi
    done
    # Whatever failed is finished by ordinary syncs.
    for d in a b c e; do sync_drop carmen "r$round$d"; done
    total=$((total + N))
    eq "$(inbox_count carmen)" "$total" "carmen's messages after round $round ($total sent)"
    dups=$(sed -n 's/.*"text":"\(round '"$round"' [^"]*\)".*/\1/p' "$T/log/inbox" | sort | uniq -d | tr '\n' ' ')
    [ -n "$dups" ] && fail "delivered more than once in round $round: $dups"
done

finish
