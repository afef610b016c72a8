#!/bin/sh
# After the whole scenario (messages, a request, purges, verification), no
# file of any profile or dead drop holds a message text, a profile name, a
# contact name, the passphrase, a fingerprint or a card in the clear; the
# profile folder is 700 and its files 600.
. "$(dirname "$0")/lib.sh"

ANA=anaLucia
CARMEN=carmenRosa
VISITOR=veraVisitante
BETO=betoGomezStranger
ANA_AS=sobrinaAnita       # the name carmen gives ana
CARMEN_AS=tiaCarmencita   # the name ana gives carmen
TEXT1='the leaflet is ready at the parish of San Roque'
TEXT2='bring the list of the detained from Puente Alto'
TEXT3='reply: received, burn after reading'
TEXT4='stranger asks to meet at the market'

for p in $ANA $CARMEN $VISITOR $BETO; do mkprofile $p; done
ok enl $ANA contact add --name $CARMEN_AS "$(card_of $CARMEN)"
ok enl $CARMEN contact add --name $ANA_AS "$(card_of $ANA)"
ok enl $BETO contact add --name $CARMEN_AS "$(card_of $CARMEN)"
ok enl $ANA contact verify $CARMEN_AS
ok enl $CARMEN contact verify $ANA_AS
mkdrop d1
mkdrop d2

step "the scenario"
ok enl $ANA send $CARMEN_AS "$TEXT1"
printf '%s' "$TEXT2" >"$T/log/text2"
ok sh -c '"$1" --home "$2" send "$3" - <"$4"' sh "$ENLACE" "$T/$ANA" $CARMEN_AS "$T/log/text2"
ok enl $BETO send $CARMEN_AS "$TEXT4"
sync_drop $ANA d1
sync_drop $BETO d1
sync_drop $VISITOR d1
sync_drop $VISITOR d2
sync_drop $CARMEN d2
eq "$(inbox_count $CARMEN)" 2 "carmen's messages"
eq "$(inbox_count $CARMEN --requests)" 1 "carmen's requests"
ok enl $CARMEN inbox
ok enl $CARMEN send $ANA_AS "$TEXT3"
sync_drop $CARMEN d2
sync_drop $VISITOR d2
sync_drop $VISITOR d1
sync_drop $ANA d1
sync_drop $BETO d1
eq "$(inbox_count $ANA)" 1 "ana's messages"
contains "$T/log/inbox" "$TEXT3" "ana's inbox"
# One more in flight, so the drops and the courier hold a live note too.
ok enl $ANA send $CARMEN_AS "$TEXT2"
sync_drop $ANA d1
sync_drop $VISITOR d1
for p in $ANA $CARMEN $VISITOR $BETO; do ok enl $p status; ok enl $p contact list; done

fp() { enl "$1" status --json | sed -n 's/.*"fingerprint":"\([^"]*\)".*/\1/p'; }

step "search every file"
set -- "$TEXT1" "$TEXT2" "$TEXT3" "$TEXT4" leaflet "San Roque" "Puente Alto" \
       $ANA $CARMEN $VISITOR $BETO $ANA_AS $CARMEN_AS "$PASS" "7319 pajaro"
for p in $ANA $CARMEN $VISITOR $BETO; do
    f=$(fp $p)
    [ -n "$f" ] || fail "no fingerprint for $p"
    set -- "$@" "$f" "$(echo "$f" | tr -d ' ')"
    c=$(card_of $p)
    # Three pieces of the card: its base32 text must not be stored either.
    set -- "$@" "$(echo "$c" | cut -c 8-40)" "$(echo "$c" | cut -c 100-140)" "$(echo "$c" | cut -c 200-240)"
done
places="$T/$ANA $T/$CARMEN $T/$VISITOR $T/$BETO $T/d1 $T/d2"
nfiles=$(find $places -type f | wc -l | tr -d ' ')
[ "$nfiles" -ge 6 ] || fail "only $nfiles files to search"
for s in "$@"; do
    # -r: every file (SQLite -wal/-shm included), -a: binary as text, -i: any case.
    hits=$(grep -rlaiF -- "$s" $places 2>/dev/null)
    [ -n "$hits" ] && fail "'$s' is stored in the clear in: $hits"
done

step "a dead drop holds only notes and purge records"
for d in d1 d2; do
    other=$(ls -A "$T/$d" | grep -v -E '^([0-9a-f]{64}\.note|[0-9a-f]{32}\.purge)$')
    [ -n "$other" ] && fail "$d holds files that are neither notes nor purges: $other"
done

step "modes"
for p in $ANA $CARMEN $VISITOR $BETO; do
    m=$(stat -c %a "$T/$p")
    eq "$m" 700 "mode of the profile folder $p"
    for f in "$T/$p"/*; do
        [ -f "$f" ] || continue
        eq "$(stat -c %a "$f")" 600 "mode of $p/$(basename "$f")"
    done
    [ -f "$T/$p/enlace.db" ] || fail "no enlace.db in $p"
done
# Even with a permissive umask.
mkdir "$T/um"
ok sh -c 'umask 000; exec "$1" --home "$2" init --name um --kdf interactive' sh "$ENLACE" "$T/um/p"
ok sh -c 'umask 000; exec "$1" --home "$2" status' sh "$ENLACE" "$T/um/p"
eq "$(stat -c %a "$T/um/p")" 700 "mode of a profile folder created under umask 000"
for f in "$T/um/p"/*; do
    eq "$(stat -c %a "$f")" 600 "mode of $(basename "$f") created under umask 000"
done

step "a crash writes no core file"
# A listener holds an unlocked profile: keys and messages in memory. Even
# from a shell that allows core files, a crash must not write them out.
mkdir "$T/crash"
(cd "$T/crash" && ulimit -c unlimited 2>/dev/null
 exec "$ENLACE" --home "$T/$CARMEN" listen --addr 127.0.0.1:0) >"$T/log/crash.out" 2>"$T/log/crash.err" &
CPID=$!
PIDS="$PIDS $CPID"
i=0
while [ $i -lt 100 ] && ! grep -q "listening on" "$T/log/crash.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
contains "$T/log/crash.out" "listening on" "the listener's output"
eq "$(awk '/^Max core file size/ { print $5 " " $6 }' "/proc/$CPID/limits")" "0 0" "the listener's core file limit (soft, hard)"
kill -SEGV "$CPID"
wait_pid "$CPID" 100
eq "$(ls -A "$T/crash" | wc -l | tr -d ' ')" 0 "files left where the listener crashed"

finish
