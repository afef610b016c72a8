#!/bin/sh
# Tor without the Tor network, on loopback only:
#  1. ana syncs with carmen through a real SOCKS5 proxy (microsocks):
#     sync tcp://carmen@127.0.0.1:PORT --socks 127.0.0.1:SOCKSPORT runs the
#     same Noise XK link and session as plain TCP; with the proxy gone the
#     same sync fails and says so (so the first one did go through it).
#  2. carmen publishes her listener as an onion service through a real tor
#     started offline (DisableNetwork 1): listen --onion prints a .onion
#     address, keeps the same one across restarts, removes the service on
#     exit, says what to do when tor is not there or stops; card --onion
#     hands the address to ana.
# Needs the Debian packages microsocks and tor: when one is missing this
# fails (it installs nothing and skips nothing).
. "$(dirname "$0")/lib.sh"


MICROSOCKS=$(command -v microsocks 2>/dev/null)
[ -n "$MICROSOCKS" ] || die "microsocks is not installed (Debian package microsocks; scripts/deps.sh installs it)"
TOR=$(command -v tor 2>/dev/null || { [ -x /usr/sbin/tor ] && echo /usr/sbin/tor; })
[ -n "$TOR" ] || die "tor is not installed (Debian package tor; scripts/deps.sh installs it)"

# A port number to try (the caller retries when it is taken).
some_port() { echo $(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 )); }

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

mkprofile ana
mkprofile carmen
introduce ana carmen

step "a SOCKS5 proxy on loopback (microsocks)"
SP=""
for _try in 1 2 3 4 5; do
    _p=$(some_port)
    "$MICROSOCKS" -i 127.0.0.1 -p "$_p" >"$T/log/microsocks" 2>&1 &
    _pid=$!
    sleep 0.3
    if kill -0 "$_pid" 2>/dev/null; then SP=$_p; MSPID=$_pid; PIDS="$PIDS $_pid"; break; fi
    wait "$_pid" 2>/dev/null
done
[ -n "$SP" ] || die "microsocks did not start on any of five ports"

step "ana -> microsocks -> carmen's listener: one note, one purge"
ok enl ana send carmen "through the proxy"
"$ENLACE" --home "$T/carmen" listen --once --addr 127.0.0.1:0 >"$T/log/listen1" 2>&1 &
LPID=$!
PIDS="$PIDS $LPID"
wait_line "$T/log/listen1" '^listening on ' || die "carmen's listener did not start: $(cat "$T/log/listen1")"
LPORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/log/listen1")
[ -n "$LPORT" ] || die "no port in: $(cat "$T/log/listen1")"
ok enl ana sync "tcp://carmen@127.0.0.1:$LPORT" --socks "127.0.0.1:$SP"
eq "$(sync_sent)" 1 "ana's sync through the proxy: notes sent"
wait_pid "$LPID"
eq "$?" 0 "carmen's listen --once exit status"
contains "$T/log/listen1" "sync ana: " "carmen's listener (the session with ana)"
ok enl carmen inbox --json
eq "$(json_str text)" "through the proxy" "carmen's message"

step "the purge goes back the same way; a name is resolved by the proxy"
"$ENLACE" --home "$T/carmen" listen --once --addr 127.0.0.1:0 >"$T/log/listen2" 2>&1 &
LPID=$!
PIDS="$PIDS $LPID"
wait_line "$T/log/listen2" '^listening on ' || die "carmen's listener did not start"
LPORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/log/listen2")
ok enl ana sync "tcp://carmen@localhost:$LPORT" --socks "127.0.0.1:$SP"
wait_pid "$LPID"
expect_status ana outgoing 0

step "without the proxy, the same sync fails and says why"
kill "$MSPID"
wait_pid "$MSPID" 50
"$ENLACE" --home "$T/carmen" listen --once --addr 127.0.0.1:0 >"$T/log/listen3" 2>&1 &
LPID=$!
PIDS="$PIDS $LPID"
wait_line "$T/log/listen3" '^listening on ' || die "carmen's listener did not start"
LPORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/log/listen3")
expect_fail 1 enl ana sync "tcp://carmen@127.0.0.1:$LPORT" --socks "127.0.0.1:$SP"
one_error_line "a sync through a proxy that is gone"
contains "$ERR" "no SOCKS proxy at 127.0.0.1:$SP"
contains "$ERR" "--socks"
wait_pid "$LPID" 0

step "usage"
expect_fail 2 enl ana sync "$T/somewhere" --socks "127.0.0.1:$SP"
expect_fail 2 enl ana sync "tcp://carmen@127.0.0.1:1" --socks "nonsense"
contains "$ERR" "not a SOCKS proxy address"
expect_fail 2 enl ana sync "tor://carmen@example.com:7787"
contains "$ERR" "not an onion address"
expect_fail 2 enl ana sync "tor://nobody.onion:7787"
contains "$ERR" "not an onion address"

step "a tor started offline, with a control port on loopback"
mkdir -m 700 "$T/tor"
CP=""
for _try in 1 2 3 4 5; do
    _p=$(some_port)
    rm -rf "$T/tor/data"
    cat >"$T/tor/torrc" <<EOF
DataDirectory $T/tor/data
DisableNetwork 1
SocksPort 0
ControlPort 127.0.0.1:$_p
CookieAuthentication 1
Log notice file $T/tor/log
EOF
    : >"$T/tor/log"
    "$TOR" -f "$T/tor/torrc" --defaults-torrc /dev/null >/dev/null 2>&1 &
    _pid=$!
    if wait_line "$T/tor/log" 'Opened Control listener' 150; then
        CP=$_p; TORPID=$_pid; PIDS="$PIDS $_pid"; break
    fi
    wait_pid "$_pid" 0
done
[ -n "$CP" ] || die "tor did not open a control port: $(tail -n 5 "$T/tor/log")"

# onion_run N: carmen's listen --onion in the background (log $T/log/onionN);
# waits for its address and puts it in $ADDR.
onion_run() {
    "$ENLACE" --home "$T/carmen" listen --onion --tor-control "127.0.0.1:$CP" >"$T/log/onion$1" 2>&1 &
    OPID=$!
    PIDS="$PIDS $OPID"
    wait_line "$T/log/onion$1" '^onion service: ' ||
        die "listen --onion printed no onion address: $(cat "$T/log/onion$1")"
    ADDR=$(sed -n 's/^onion service: //p' "$T/log/onion$1")
}

step "listen --onion prints an onion address"
onion_run 1
echo "$ADDR" | grep -qE '^tor://[a-z2-7]{56}\.onion:7787$' || fail "not an onion address: '$ADDR'"
contains "$T/log/onion1" "listening on 127.0.0.1:"
kill -TERM "$OPID"
wait_pid "$OPID" 50
eq "$?" 0 "listen --onion after SIGTERM: exit status"
contains "$T/log/onion1" "removed the onion service"
FIRST=$ADDR

step "the same address after a restart (the key is kept in the profile)"
onion_run 2
eq "$ADDR" "$FIRST" "the onion address of the second run"
kill -TERM "$OPID"
wait_pid "$OPID" 50

step "the card carries the address"
ok enl carmen card --onion
CARD=$(cat "$OUT")
ok enl ana contact add --name carmen "$CARD"
ok enl ana contact list --json
contains "$OUT" "\"address\":\"$FIRST\"" "ana's contact list"
ok enl carmen card --address "tcp://192.0.2.7:7787"
expect_fail 2 enl carmen card --address "carrier-pigeon"
contains "$ERR" "tcp://HOST:PORT or tor://ADDRESS.onion:PORT"
expect_fail 2 enl carmen card --onion --address "tcp://192.0.2.7:7787"
# ana knows carmen's onion from her card: sync by name (or by address alone)
# goes to tor's SOCKS port, which this offline tor does not open.
DEAD=$(some_port)
expect_fail 1 enl ana sync carmen --socks "127.0.0.1:$DEAD"
contains "$ERR" "no SOCKS proxy at 127.0.0.1:$DEAD"
expect_fail 1 enl ana sync "$FIRST" --socks "127.0.0.1:$DEAD"
contains "$ERR" "no SOCKS proxy at 127.0.0.1:$DEAD"

step "when tor stops, the listener says so and ends"
onion_run 3
kill "$TORPID"
wait_pid "$TORPID" 100
wait_pid "$OPID" 100
eq "$?" 1 "listen --onion after tor stopped (124: still running 10 s later): exit status"
contains "$T/log/onion3" "tor stopped"

step "no tor: the error says how to start it"
expect_fail 1 enl carmen listen --onion --tor-control "127.0.0.1:$CP"
one_error_line "listen --onion without tor"
contains "$ERR" "no tor control port at 127.0.0.1:$CP"
contains "$ERR" "CookieAuthentication 1"
expect_fail 1 enl carmen listen --onion --addr 0.0.0.0:0 --tor-control "127.0.0.1:$CP"
contains "$ERR" "loopback only"
expect_fail 2 enl carmen listen --tor-control "127.0.0.1:$CP"

finish
