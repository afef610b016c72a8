#!/bin/sh
# Courier links over TCP, on loopback only (`enlace listen` / `enlace sync
# tcp://NAME@127.0.0.1:PORT`):
#  1. a note from ana to carmen through beto, and its purge back the same way;
#  2. a stranger who holds beto's card but is not his contact: refused, and
#     beto's store is unchanged;
#  3. a prober without the card (random bytes; a first message of the right
#     length, 2 + 48 bytes, that does not authenticate): not one byte back;
#     a sync that names the wrong key fails in the handshake;
#  4. a listener that stays usable after garbage, `contact address` and
#     `sync NAME`, and a sync with nothing to do (small, sent 0 / received 0);
#  5. a link cut in mid-transfer (the listener killed, then the syncing side
#     killed), then resumed: every note arrives exactly once, and the second
#     sync moves only what was missing;
#  6. an open relay (`listen --open`) between two profiles it does not know.
# The raw prober is python3, else bash's /dev/tcp, else nc: with none of them
# this fails (it installs nothing and skips nothing).
. "$(dirname "$0")/lib.sh"


# wait_line FILE PATTERN [TENTHS]: wait until FILE has a line matching
# PATTERN (grep -E), at most TENTHS tenths of a second (default 100).
wait_line() {
    _n=0
    while [ "$_n" -lt "${3:-100}" ]; do
        grep -qE -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
        _n=$((_n + 1))
    done
    return 1
}

# listener PROFILE LOG [ARGS...]: PROFILE's `listen --addr 127.0.0.1:0 ARGS`
# in the background, stdout in $T/log/LOG, stderr in $T/log/LOG.err; waits
# for its "listening on" line and sets LPID and LPORT.
listener() {
    _who=$1
    _log=$T/log/$2
    shift 2
    # emptied here, not in the background: a log of an earlier listener
    # under the same name must not be read as this one's
    : >"$_log"
    "$ENLACE" --home "$T/$_who" listen --addr 127.0.0.1:0 "$@" >"$_log" 2>"$_log.err" &
    LPID=$!
    PIDS="$PIDS $LPID"
    wait_line "$_log" '^listening on ' ||
        die "$_who's listener did not start: $(cat "$_log" "$_log.err")"
    LPORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$_log")
    [ -n "$LPORT" ] || die "no port in $_who's listener output: $(cat "$_log")"
}

# lsync PROFILE ARGS...: PROFILE's `sync ARGS`, given at most 30 s.
lsync() {
    _p=$1
    shift
    timeout 30 "$ENLACE" --home "$T/$_p" sync "$@"
}

# Fields of a summary line ("sync X: sent N notes, received N notes, purges N
# sent N received, N new messages, N skipped, N bytes, S s") in FILE.
f_sent() { sed -n 's/^sync .*: sent \([0-9]*\) note.*/\1/p' "${1:-$OUT}" | tail -n 1; }
f_recv() { sed -n 's/^sync .*, received \([0-9]*\) note.*/\1/p' "${1:-$OUT}" | tail -n 1; }
f_psent() { sed -n 's/^sync .*, purges \([0-9]*\) sent .*/\1/p' "${1:-$OUT}" | tail -n 1; }
f_precv() { sed -n 's/^sync .*, purges [0-9]* sent \([0-9]*\) received.*/\1/p' "${1:-$OUT}" | tail -n 1; }
f_new() { sed -n 's/^sync .*, \([0-9]*\) new message.*/\1/p' "${1:-$OUT}" | tail -n 1; }
f_bytes() { sed -n 's/^sync .*, \([0-9]*\) bytes, .*/\1/p' "${1:-$OUT}" | tail -n 1; }

# summary FILE WHO SENT RECV PSENT PRECV NEW: the last summary line in FILE
# is WHO's and says those numbers ("-": any number).
summary() {
    _f=$1
    if ! grep -q "^sync $2: sent " "$_f"; then
        fail "no summary line 'sync $2: ...' in $(basename "$_f")"
        echo "  $(basename "$_f"): $(cat "$_f")" >&2
        return 1
    fi
    _w="$2's summary ($(basename "$_f"))"
    echo "  $(grep "^sync $2: sent " "$_f" | tail -n 1)"
    [ "$3" = - ] || eq "$(f_sent "$_f")" "$3" "$_w: notes sent"
    [ "$4" = - ] || eq "$(f_recv "$_f")" "$4" "$_w: notes received"
    [ "$5" = - ] || eq "$(f_psent "$_f")" "$5" "$_w: purges sent"
    [ "$6" = - ] || eq "$(f_precv "$_f")" "$6" "$_w: purges received"
    [ "$7" = - ] || eq "$(f_new "$_f")" "$7" "$_w: new messages"
    _b=$(f_bytes "$_f")
    [ -n "$_b" ] && [ "$_b" -gt 0 ] || fail "$2's summary ($(basename "$_f")): bytes '$_b' is not a positive number"
}

# The raw prober: python3, else bash (/dev/tcp), else nc.
if command -v python3 >/dev/null 2>&1 && python3 -c 'import socket' 2>/dev/null; then
    PROBER=python3
elif command -v bash >/dev/null 2>&1 && bash -c 'exec 3<>/dev/tcp/127.0.0.1/1' 2>&1 | grep -qi 'refused'; then
    PROBER=bash
elif command -v nc >/dev/null 2>&1; then
    PROBER=nc
else
    die "no raw TCP client: need python3, bash (with /dev/tcp) or nc to play the prober"
fi
echo "prober: $PROBER"

# probe PORT FILE: connect to 127.0.0.1:PORT, send FILE's bytes without
# closing our side, keep what comes back in $T/log/probe.got. Status 0 when
# the other side closed within 8 s, 3 when it kept the connection open
# longer, 4 when the connection could not be made. (A listener answers every
# probe alike: it says nothing and closes when its 5 s for a handshake are
# out, so that neither timing nor a reset tells a prober what listens.)
probe() {
    _got=$T/log/probe.got
    : >"$_got"
    case $PROBER in
    python3)
        python3 -c '
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 3)
except OSError:
    sys.exit(4)
out = open(sys.argv[3], "wb")
try:
    s.sendall(open(sys.argv[2], "rb").read())
except OSError:
    pass
s.settimeout(8)
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        out.write(b)
except socket.timeout:
    sys.exit(3)
except OSError:
    pass             # a reset is a close too
sys.exit(0)
' "$1" "$2" "$_got"
        ;;
    bash)
        bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 4
                 cat "$2" >&3 2>/dev/null
                 timeout 8 cat <&3 >"$3" 2>/dev/null
                 [ $? -eq 124 ] && exit 3
                 exit 0' _ "$1" "$2" "$_got"
        ;;
    nc)
        timeout 8 nc 127.0.0.1 "$1" <"$2" >"$_got" 2>/dev/null
        [ $? -eq 124 ] && return 3
        return 0
        ;;
    esac
}

# expect_silence WHAT PORT FILE: FILE's bytes sent to the listener get no
# byte back, and the listener closes.
expect_silence() {
    probe "$2" "$3"
    _prc=$?
    case $_prc in
    0) ;;
    3) fail "$1: the listener kept the connection open for 8 s (it should close when its 5 s for a handshake are out)" ;;
    *) fail "$1: could not connect to 127.0.0.1:$2 (status $_prc)" ;;
    esac
    _n=$(wc -c <"$T/log/probe.got" | tr -d ' ')
    eq "$_n" 0 "$1: bytes the listener sent back"
}

head -c 1000 /dev/urandom >"$T/log/garbage"
{ printf '\000\060'; head -c 48 /dev/urandom; } >"$T/log/first48"
eq "$(wc -c <"$T/log/first48" | tr -d ' ')" 50 "size of the forged first message"

step "profiles: ana, beto, carmen know each other; a stranger holds beto's card"
for who in ana beto carmen stranger relay; do mkprofile "$who"; done
introduce ana beto
introduce beto carmen
introduce ana carmen
add_contact stranger beto

# ---------------------------------------------------------------------------
step "1. ana -> beto (listen --once) over TCP"
TEXT='the leaflet is ready, by wire'
ok enl ana send carmen "$TEXT"
expect_status ana outgoing 1
listener beto l1 --once
ok lsync ana "tcp://beto@127.0.0.1:$LPORT"
eq "$(lines "$OUT")" 1 "ana's sync prints one line"
summary "$OUT" "tcp://beto@127.0.0.1:$LPORT" 1 0 0 0 0
wait_pid "$LPID"
eq "$?" 0 "beto's listen --once after a sync: exit status"
summary "$T/log/l1" ana 0 1 0 0 0
eq "$(grep -c '^sync ' "$T/log/l1")" 1 "session lines of beto's listener"
expect_status beto notes 1
expect_status beto messages 0

step "1. beto -> carmen (listen --once); carmen reads it"
listener carmen l2 --once
ok lsync beto "tcp://carmen@127.0.0.1:$LPORT"
summary "$OUT" "tcp://carmen@127.0.0.1:$LPORT" 1 0 0 0 0
wait_pid "$LPID"
eq "$?" 0 "carmen's listen --once: exit status"
summary "$T/log/l2" beto 0 1 0 0 1
ok enl carmen inbox --json
eq "$(lines "$OUT")" 1 "carmen's messages"
eq "$(json_str text)" "$TEXT" "carmen's message"
eq "$(json_str from)" ana "carmen's message: from"

step "1. the purge goes back: carmen -> beto -> ana"
# The side that read the note holds its purge, not the note: it lacks
# nothing, so the note must not travel to it again ("exchange exactly what
# the other lacks", purges "applied first"): notes sent 0 on both hops.
listener carmen l3 --once
ok lsync beto "tcp://carmen@127.0.0.1:$LPORT"
summary "$OUT" "tcp://carmen@127.0.0.1:$LPORT" 0 0 0 1 0
wait_pid "$LPID"
eq "$?" 0 "carmen's listen --once (the purge): exit status"
summary "$T/log/l3" beto 0 0 1 0 0
expect_status beto notes 0
listener beto l4 --once
ok lsync ana "tcp://beto@127.0.0.1:$LPORT"
summary "$OUT" "tcp://beto@127.0.0.1:$LPORT" 0 0 0 1 0
wait_pid "$LPID"
eq "$?" 0 "beto's listen --once (the purge): exit status"
summary "$T/log/l4" ana 0 0 1 0 0
expect_status ana outgoing 0
expect_status ana notes 0
expect_status beto notes 0
expect_status carmen messages 1

# ---------------------------------------------------------------------------
step "2. a stranger with beto's card, not his contact: refused, nothing changes"
ok enl stranger send beto "let me in"
expect_status stranger outgoing 1
ok enl beto status --json
cp "$OUT" "$T/log/beto.before"
listener beto l5 --once
expect_fail 1 lsync stranger "tcp://beto@127.0.0.1:$LPORT"
one_error_line "the stranger's sync"
contains "$ERR" "refused" "the stranger's sync (stderr)"
eq "$(lines "$OUT")" 0 "lines on the stranger's stdout"
wait_pid "$LPID"
eq "$?" 1 "beto's listen --once after refusing: exit status"
contains "$T/log/l5.err" "enlace: listen: refused" "beto's listener (stderr)"
eq "$(grep -c '^sync ' "$T/log/l5")" 0 "session lines of beto's listener after a refusal"
ok enl beto status --json
cmp -s "$OUT" "$T/log/beto.before" ||
    fail "beto's status changed after the refusal: before $(cat "$T/log/beto.before"), after $(cat "$OUT")"
eq "$(inbox_count beto)" 0 "beto's messages after the refusal"
eq "$(inbox_count beto --requests)" 0 "beto's requests after the refusal"
expect_status stranger outgoing 1
ok enl stranger inbox --json
eq "$(lines "$OUT")" 0 "the stranger's messages"

# ---------------------------------------------------------------------------
step "3. a prober without the card: random bytes get no answer"
listener beto l6 --once
expect_silence "1000 random bytes" "$LPORT" "$T/log/garbage"
wait_pid "$LPID" 60
eq "$?" 1 "beto's listen --once after random bytes: exit status"
eq "$(grep -c '^sync ' "$T/log/l6")" 0 "session lines after random bytes"
contains "$T/log/l6.err" "did not complete the handshake" "beto's listener after random bytes (stderr)"

step "3. a first message of the right length (2 + 48 bytes) that does not authenticate"
listener beto l7 --once
expect_silence "a forged first message" "$LPORT" "$T/log/first48"
wait_pid "$LPID" 60
eq "$?" 1 "beto's listen --once after a forged first message: exit status"
contains "$T/log/l7.err" "did not complete the handshake" "beto's listener after a forged first message"

step "3. a sync that expects carmen's key at beto's listener fails in the handshake"
listener beto l8 --once
expect_fail 1 lsync ana "tcp://carmen@127.0.0.1:$LPORT"
one_error_line "a sync with the wrong key"
contains "$ERR" "handshake" "the wrong-key sync (stderr)"
wait_pid "$LPID" 60
eq "$?" 1 "beto's listen --once after the wrong key: exit status"
contains "$T/log/l8.err" "did not complete the handshake" "beto's listener after the wrong key"
ok enl beto status --json
cmp -s "$OUT" "$T/log/beto.before" ||
    fail "beto's status changed after the probes: before $(cat "$T/log/beto.before"), after $(cat "$OUT")"

# ---------------------------------------------------------------------------
step "4. a listener (no --once) stays usable after garbage"
listener beto l9
expect_silence "random bytes (long-running listener)" "$LPORT" "$T/log/garbage"
expect_silence "a forged first message (long-running listener)" "$LPORT" "$T/log/first48"
kill -0 "$LPID" 2>/dev/null || fail "beto's listener died after the garbage: $(cat "$T/log/l9.err")"
eq "$(grep -c 'did not complete the handshake' "$T/log/l9.err")" 2 "beto's listener: dropped connections"
ok enl ana send beto "after the garbage"
ok lsync ana "tcp://beto@127.0.0.1:$LPORT"
summary "$OUT" "tcp://beto@127.0.0.1:$LPORT" 1 0 0 0 0
wait_line "$T/log/l9" '^sync ana: ' 30 || fail "beto's listener printed no session line"
summary "$T/log/l9" ana 0 1 0 0 1
expect_status beto messages 1

step "4. contact address, then sync by name (the purge comes back)"
ok enl ana contact address beto "tcp://127.0.0.1:$LPORT"
ok enl ana contact list --json
contains "$OUT" "\"address\":\"tcp://127.0.0.1:$LPORT\"" "ana's contact list"
ok lsync ana beto
eq "$(lines "$OUT")" 1 "sync beto prints one line"
summary "$OUT" beto 0 0 0 1 0
expect_status ana outgoing 0

step "4b. a port out of range is no address (not taken modulo 65536)"
for bad in 99999 65536 0; do
    # wrong usage, said before the unlock (exit 2)
    expect_fail 2 enl ana contact address beto "tcp://127.0.0.1:$bad"
    one_error_line "contact address with port $bad"
    contains "$ERR" "not an address" "contact address with port $bad"
    expect_fail 2 enl ana card --address "tcp://127.0.0.1:$bad"
    contains "$ERR" "not an address" "card --address with port $bad"
    expect_fail 2 enl ana sync "tcp://beto@127.0.0.1:$bad"
    contains "$ERR" "not an address" "sync to port $bad"
done
expect_fail 2 enl ana contact address beto "tcp://127.0.0.1"
expect_fail 2 enl ana card --address "tor://nothing.onion:7787"
ok enl ana contact list --json
contains "$OUT" "\"address\":\"tcp://127.0.0.1:$LPORT\"" "ana's contact address after refused ones"
# 99999 is 34463 modulo 65536: listen must refuse it, not listen there
run timeout 5 "$ENLACE" --home "$T/beto" listen --addr 127.0.0.1:99999 --once
eq "$RC" 2 "listen --addr 127.0.0.1:99999: exit status"
contains "$ERR" "not an address" "listen on port 99999"
lacks "$OUT" "listening on" "listen on port 99999"

step "7. a sync with nothing to do"
ok lsync ana beto
summary "$OUT" beto 0 0 0 0 0
B=$(f_bytes)
# The handshake is 2+48 + 2+48 + 2+64 = 166 bytes; the rest must fit in 1 KiB.
if [ -z "$B" ] || [ "$B" -gt $((1024 + 166)) ]; then
    fail "a sync with nothing to do moved '$B' bytes (expected at most 1024 + 166)"
fi
echo "nothing to do: $B bytes"
wait_line "$T/log/l9" '^sync ana: sent 0 notes, received 0 notes, purges 0 sent 0 received' 30 ||
    fail "beto's listener printed no empty session line: $(cat "$T/log/l9")"
eq "$(grep -c '^sync ana: ' "$T/log/l9")" 3 "beto's listener: session lines"
kill -TERM "$LPID"
wait_pid "$LPID" 50
eq "$?" 0 "beto's listener after SIGTERM: exit status"

# ---------------------------------------------------------------------------
step "5. a link cut in mid-transfer, then resumed"
# About 7 MiB: intake commits in batches (every 1 MiB here), so a cut loses
# the open batch and a transfer must span several of them.
N=120
head -c 45000 /dev/urandom | base64 | tr -d '\n' >"$T/log/filler"     # 60,000 characters
i=1
while [ "$i" -le "$N" ]; do
    { printf 'cut note %03d ' "$i"; cat "$T/log/filler"; } >"$T/log/text"
    run enl ana send carmen - <"$T/log/text"
    [ "$RC" -eq 0 ] || { last >&2; die "ana cannot send note $i"; }
    i=$((i + 1))
done
expect_status ana outgoing "$N"
expect_status beto notes 0

# ana -> beto through a relay that passes 1 MiB a second (tests/helpers/
# slow_relay), and beto's listener killed (kill -9) after D seconds. The
# relay makes the transfer take about 7 s whatever the machine's speed or
# load: a cut timed against the real speed once came after the end, on a
# busy machine. A cut before anything arrived changes nothing, so it is
# tried again a little later; a sync that finished before the cut is a
# failure.
RELAY=$(dirname "$ENLACE")/tests/helpers/slow_relay
[ -x "$RELAY" ] || die "$RELAY is missing (make $(dirname "$ENLACE")/tests/helpers/slow_relay)"
RATE=1048576
CUT_DELAYS="1.5 2 2.5 3 4 5 6"
# relay PORT LOG: a relay to 127.0.0.1:PORT; its port in RPORT.
relay() {
    : >"$T/log/$2"
    "$RELAY" "$1" "$RATE" >"$T/log/$2" 2>"$T/log/$2.err" &
    RPID=$!
    PIDS="$PIDS $RPID"
    wait_line "$T/log/$2" '^relaying on ' || die "the relay did not start: $(cat "$T/log/$2.err")"
    RPORT=$(sed -n 's/^relaying on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$T/log/$2")
}
K=0
for D in $CUT_DELAYS; do
    listener beto lcut
    relay "$LPORT" rcut
    "$ENLACE" --home "$T/ana" sync "tcp://beto@127.0.0.1:$RPORT" >"$T/log/scut" 2>"$T/log/scut.err" &
    SPID=$!
    PIDS="$PIDS $SPID"
    sleep "$D"
    kill -KILL "$LPID" 2>/dev/null
    wait_pid "$LPID" 50
    wait_pid "$SPID" 100
    SRC=$?
    wait_pid "$RPID" 50
    K=$(status_of beto notes)
    echo "cut after $D s: beto holds $K of $N notes (ana's sync exited $SRC)"
    [ "$K" -gt 0 ] && break
done
if [ "$K" -eq 0 ]; then
    fail "no note reached beto in any of the attempts (the last: $(cat "$T/log/scut.err"))"
elif [ "$K" -ge "$N" ]; then
    fail "the first sync finished before the cut ($K of $N): the relay did not slow it"
else
    eq "$SRC" 1 "ana's sync when beto's listener is killed: exit status"
    contains "$T/log/scut.err" "broke" "ana's sync when beto's listener is killed (stderr)"
fi
expect_status ana outgoing "$N"

listener beto lres
ok lsync ana "tcp://beto@127.0.0.1:$LPORT"
eq "$(f_sent)" $((N - K)) "the resumed sync: notes sent (only those missing)"
expect_status beto notes "$N"
wait_line "$T/log/lres" '^sync ana: ' 30 || fail "beto's listener printed no session line"
eq "$(f_recv "$T/log/lres")" $((N - K)) "beto's listener, the resumed sync: notes received"
ok lsync ana "tcp://beto@127.0.0.1:$LPORT"
summary "$OUT" "tcp://beto@127.0.0.1:$LPORT" 0 0 0 0 0
expect_status beto notes "$N"

step "5. carmen collects from beto, and her sync is killed (kill -9) half way"
# beto's listener keeps running across the cut.
K=0
for D in $CUT_DELAYS; do
    relay "$LPORT" rccut
    "$ENLACE" --home "$T/carmen" sync "tcp://beto@127.0.0.1:$RPORT" >"$T/log/ccut" 2>"$T/log/ccut.err" &
    SPID=$!
    PIDS="$PIDS $SPID"
    sleep "$D"
    kill -KILL "$SPID" 2>/dev/null
    wait_pid "$SPID" 50
    wait_pid "$RPID" 50
    K=$(( $(status_of carmen messages) - 1 ))     # she had one already
    echo "cut after $D s: carmen holds $K of $N new messages"
    [ "$K" -gt 0 ] && break
done
if [ "$K" -eq 0 ]; then
    fail "no note reached carmen in any of the attempts"
elif [ "$K" -ge "$N" ]; then
    fail "carmen's first sync finished before the cut ($K of $N): the relay did not slow it"
fi
# beto's side ends the cut session either with "the sync with carmen
# failed" or, when all it sent was already in the kernel's buffers (it waits
# for no acknowledgement after its END), with a summary line; either way it
# must go on serving.
sleep 0.2
kill -0 "$LPID" 2>/dev/null || fail "beto's listener died when carmen's sync was killed: $(cat "$T/log/lres.err")"
ok lsync carmen "tcp://beto@127.0.0.1:$LPORT"
eq "$(f_recv)" $((N - K)) "carmen's resumed sync: notes received (only those missing)"
eq "$(f_new)" $((N - K)) "carmen's resumed sync: new messages"
eq "$(inbox_count carmen)" $((N + 1)) "carmen's messages"
grep -o 'cut note [0-9]* ' "$T/log/inbox" | LC_ALL=C sort >"$T/log/cutnotes"
eq "$(lines "$T/log/cutnotes")" "$N" "carmen's cut notes"
eq "$(LC_ALL=C sort -u "$T/log/cutnotes" | wc -l | tr -d ' ')" "$N" "carmen's distinct cut notes"
ok lsync carmen "tcp://beto@127.0.0.1:$LPORT"
eq "$(f_recv)" 0 "carmen syncing again: notes received"
eq "$(f_new)" 0 "carmen syncing again: new messages"
eq "$(inbox_count carmen)" $((N + 1)) "carmen's messages after syncing again"
# (the two after the cut, and perhaps the cut one: see above)
_s=$(grep -c '^sync carmen: ' "$T/log/lres")
[ "$_s" -ge 2 ] || fail "beto's listener printed $_s session lines with carmen, expected at least 2"

step "5. the purges go back: carmen -> beto -> ana"
ok lsync carmen "tcp://beto@127.0.0.1:$LPORT"
expect_status beto notes 0
ok lsync ana "tcp://beto@127.0.0.1:$LPORT"
echo "  $(cat "$OUT")"
eq "$(f_precv)" "$N" "ana's sync after carmen read them: purges received"
eq "$(f_recv)" 0 "ana's sync after carmen read them: notes received"
expect_status ana outgoing 0
expect_status ana notes 0
expect_status beto notes 0
kill -TERM "$LPID"
wait_pid "$LPID" 50
eq "$?" 0 "beto's listener after SIGTERM: exit status"

# ---------------------------------------------------------------------------
step "6. an open relay: neither ana nor carmen is its contact"
add_contact ana relay
add_contact carmen relay
ok enl relay status --json
eq "$(json_num contacts)" 0 "the relay's contacts"
RTEXT='left at the relay'
ok enl ana send carmen "$RTEXT"
listener relay lr --open
PA=$(status_of ana purges)
ok lsync ana "tcp://relay@127.0.0.1:$LPORT"
summary "$OUT" "tcp://relay@127.0.0.1:$LPORT" 1 0 "$PA" 0 0
wait_line "$T/log/lr" '^sync ' 30 || fail "the relay printed no session line"
expect_status relay notes 1
ok lsync carmen "tcp://relay@127.0.0.1:$LPORT"
summary "$OUT" "tcp://relay@127.0.0.1:$LPORT" 0 1 - - 1
ok enl carmen inbox --json
contains "$OUT" "\"text\":\"$RTEXT\"" "carmen's inbox after the relay"
eq "$(grep -c '^sync ' "$T/log/lr")" 2 "the relay's session lines"
lacks "$T/log/lr.err" "refused" "the open relay's stderr"
kill -TERM "$LPID"
wait_pid "$LPID" 50
eq "$?" 0 "the relay after SIGTERM: exit status"

step "6. without --open the same relay refuses them"
listener relay lr2 --once
expect_fail 1 lsync carmen "tcp://relay@127.0.0.1:$LPORT"
contains "$ERR" "refused" "carmen's sync with a closed relay"
wait_pid "$LPID" 60
eq "$?" 1 "the relay's listen --once without --open: exit status"
contains "$T/log/lr2.err" "enlace: listen: refused" "the relay without --open (stderr)"

finish
