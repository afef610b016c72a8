#!/bin/sh
# A listener that is busy does not keep its contacts waiting:
#  1. three connections that never start a handshake (probers, or a stuck
#     client) are held for their 5 s, and meanwhile a contact's sync goes
#     through: it ends while all three are still connected;
#  2. a contact whose link stalls in the middle of sending notes does not
#     hold the profile: during the stall the listener's owner can still send
#     (another process writing to the same profile), and when the link
#     resumes every note arrives;
#  3. four contacts who sync at the same moment are all served, each note
#     delivered once.
# Before listeners served several sessions at once, 1 waited 5 s per prober;
# before a link's intake committed when the peer went quiet, 2's send waited
# for the stall to end (the write lock was held across it).
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
command -v "$PY" >/dev/null 2>&1 || die "python3 is needed to play the probers (scripts/deps.sh installs it)"

# hold PORT NAME: connect to 127.0.0.1:PORT and send nothing; writes
# $T/log/NAME.up once connected and $T/log/NAME.closed when the listener
# closes (at most 12 s, then it gives up and leaves no .closed).
hold() {
    "$PY" -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 3)
open(sys.argv[2] + ".up", "w").close()
s.settimeout(12)
try:
    while s.recv(4096):
        pass
except socket.timeout:
    sys.exit(3)
except OSError:
    pass
open(sys.argv[2] + ".closed", "w").close()
' "$1" "$T/log/$2" 2>>"$T/log/hold.err" &
    PIDS="$PIDS $!"
}

# staller LISTEN_PORT TARGET_PORT AFTER SECONDS: a TCP relay from
# LISTEN_PORT to TARGET_PORT for one connection that, once AFTER bytes went
# from the client to the server, forwards nothing that way for SECONDS
# seconds; it writes $T/log/stalled when the stall begins and
# $T/log/resumed when it ends. Writes its port in $T/log/staller.port.
staller() {
    "$PY" -c '
import socket, select, sys, time
after, pause, log = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
open(log + "/staller.port.tmp", "w").write(str(ls.getsockname()[1]))
import os
os.rename(log + "/staller.port.tmp", log + "/staller.port")
ls.settimeout(30)
c, _ = ls.accept()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 3)
up, stall_until, done = 0, None, time.time() + 60
while time.time() < done:
    if stall_until is not None and time.time() >= stall_until:
        open(log + "/resumed", "w").close()
        stall_until = -1
    watch = [s]
    if stall_until is None or stall_until == -1:
        watch.append(c)
    r, _, _ = select.select(watch, [], [], 0.05)
    if c in r:
        b = c.recv(65536)
        if not b:
            break
        if stall_until is None and up + len(b) >= after:
            k = after - up
            s.sendall(b[:k])
            up += k
            rest = b[k:]
            open(log + "/stalled", "w").close()
            stall_until = time.time() + pause
            while time.time() < stall_until:
                rr, _, _ = select.select([s], [], [], 0.05)
                if s in rr:
                    d = s.recv(65536)
                    if not d:
                        break
                    c.sendall(d)
            s.sendall(rest)
            up += len(rest)
            continue
        s.sendall(b)
        up += len(b)
    if s in r:
        d = s.recv(65536)
        if not d:
            break
        c.sendall(d)
' "$1" "$2" "$3" "$T/log" 2>"$T/log/staller.err" &
    PIDS="$PIDS $!"
}

mkprofile ana
mkprofile beto
introduce ana beto

listen_bg beto

# ---------------------------------------------------------------------------
step "1. three silent connections do not hold up ana's sync"
ok enl ana send beto "through the crowd"
for k in 1 2 3; do hold "$PORT" "p$k"; done
_i=0
while [ $_i -lt 50 ] && ! { [ -e "$T/log/p1.up" ] && [ -e "$T/log/p2.up" ] && [ -e "$T/log/p3.up" ]; }; do
    sleep 0.1
    _i=$((_i + 1))
done
[ -e "$T/log/p3.up" ] || die "the probers could not connect: $(cat "$T/log/hold.err")"
sleep 0.3     # the listener has taken them
ok timeout 30 "$ENLACE" --home "$T/ana" sync "tcp://beto@127.0.0.1:$PORT"
for k in 1 2 3; do
    [ -e "$T/log/p$k.closed" ] &&
        fail "prober $k was closed before ana's sync ended: the sync waited behind it"
done
contains "$OUT" "sent 1 note"
# and each prober is still let go (silently) once its 5 s are out
_i=0
while [ $_i -lt 100 ] && ! { [ -e "$T/log/p1.closed" ] && [ -e "$T/log/p2.closed" ] && [ -e "$T/log/p3.closed" ]; }; do
    sleep 0.1
    _i=$((_i + 1))
done
for k in 1 2 3; do
    [ -e "$T/log/p$k.closed" ] || fail "prober $k was never closed by the listener"
done
ok enl beto inbox --json
contains "$OUT" "through the crowd"

# ---------------------------------------------------------------------------
step "2. a link that stalls mid-transfer does not hold beto's profile"
# 256 KiB: a head and 5 parts of up to 64 KiB; the stall comes in the middle of them,
# long after the handshake and the reconciliation (a few hundred bytes).
head -c 262144 /dev/urandom >"$T/log/big.bin"
ok enl ana send --file "$T/log/big.bin" beto
staller "$PORT" 150000 6
_i=0
while [ $_i -lt 50 ] && [ ! -e "$T/log/staller.port" ]; do sleep 0.1; _i=$((_i + 1)); done
SPORT=$(cat "$T/log/staller.port" 2>/dev/null)
[ -n "$SPORT" ] || die "the staller did not start: $(cat "$T/log/staller.err")"
timeout 40 "$ENLACE" --home "$T/ana" sync "tcp://beto@127.0.0.1:$SPORT" >"$T/log/stall.out" 2>"$T/log/stall.err" &
SYNC=$!
PIDS="$PIDS $SYNC"
_i=0
while [ $_i -lt 150 ] && [ ! -e "$T/log/stalled" ]; do sleep 0.1; _i=$((_i + 1)); done
[ -e "$T/log/stalled" ] || die "the link never stalled: $(cat "$T/log/stall.err" "$T/log/staller.err")"
sleep 0.5     # beto has taken in what came before the stall
ok enl beto send ana "written during the stall"
[ -e "$T/log/resumed" ] &&
    fail "beto's send had to wait for ana's stalled link to resume (its intake held the write lock)"
wait_pid "$SYNC" 400
eq "$?" 0 "ana's stalled sync, once resumed: exit status"
contains "$T/log/stall.out" "sent 6 notes"
ok enl beto files --json
contains "$OUT" '"state":"complete"'


# ---------------------------------------------------------------------------
step "3. four contacts sync with beto at the same time"
for who in carmen dora elena fede; do
    mkprofile "$who"
    introduce "$who" beto
done
for who in carmen dora elena fede; do
    for k in 1 2 3; do ok enl "$who" send beto "$who, note $k, at once" >/dev/null; done
    ok enl beto send "$who" "for $who, before the crowd" >/dev/null
done
pids=""
for who in carmen dora elena fede; do
    timeout 40 "$ENLACE" --home "$T/$who" sync "tcp://beto@127.0.0.1:$PORT" \
        >"$T/log/at_once.$who.out" 2>"$T/log/at_once.$who.err" &
    pids="$pids $!"
done
for p in $pids; do
    wait "$p" || fail "a sync at the same time as three others failed: $(cat "$T"/log/at_once.*.err)"
done
ok enl beto inbox --json
for who in carmen dora elena fede; do
    eq "$(grep -c "$who, note [123], at once" "$OUT")" 3 "$who's notes in beto's inbox"
    contains "$T/log/at_once.$who.out" "1 new message"
done
grep -q 'runtime error\|AddressSanitizer\|ThreadSanitizer' "$T/log/listen.err" &&
    fail "the listener reported: $(head -c 600 "$T/log/listen.err")"

finish
