# Helpers for the end-to-end scripts in tests/e2e (POSIX sh), sourced as
#     . "$(dirname "$0")/lib.sh"
# Each script gets its own temporary folder $T (removed on exit), profiles in
# $T/NAME, dead drops in $T/NAME too, and command output in $T/log.  A check
# that fails prints what failed and makes the script exit non-zero at the end;
# `die` stops at once.  Run one script: ENLACE=/abs/build/enlace sh tests/e2e/x.sh
set -u

if [ -z "${ENLACE:-}" ]; then
    ENLACE=$(cd "$(dirname "$0")/../.." && pwd)/build/enlace
fi
[ -x "$ENLACE" ] || { echo "FAIL: ENLACE=$ENLACE is not an executable" >&2; exit 1; }

SCRIPT=$(basename "$0" .sh)
FAILS=0
T=$(mktemp -d "${TMPDIR:-/tmp}/enlace-e2e-$SCRIPT.XXXXXX") || exit 1
mkdir "$T/log"
OUT=$T/log/out
ERR=$T/log/err
RC=0

LISTENERS=""
PIDS=""
cleanup() {
    rc=$?
    for _l in $LISTENERS; do kill "$_l" 2>/dev/null; done
    stop_all
    [ "$FAILS" -gt 0 ] && [ "$rc" -eq 0 ] && rc=1
    chmod -R u+rwX "$T" 2>/dev/null
    rm -rf "$T"
    if [ "$rc" -eq 0 ]; then echo "ok: $SCRIPT"; else echo "FAILED: $SCRIPT ($FAILS failed checks)"; fi
    exit "$rc"
}

# wait_pid PID [TENTHS]: the exit status of background PID, waiting at most
# TENTHS tenths of a second (default 150); past that it is killed and the
# status is 124.
wait_pid() {
    _w=0
    while kill -0 "$1" 2>/dev/null && [ "$_w" -lt "${2:-150}" ]; do
        sleep 0.1
        _w=$((_w + 1))
    done
    PIDS=$(echo " $PIDS " | sed "s/ $1 / /")    # never signalled again
    if kill -0 "$1" 2>/dev/null; then
        kill -KILL "$1" 2>/dev/null
        wait "$1" 2>/dev/null
        return 124
    fi
    wait "$1" 2>/dev/null
}

# stop_all: every background process a script put in $PIDS is stopped and
# reaped (bounded in time); cleanup calls it when the script ends.
stop_all() {
    for _p in $PIDS; do kill "$_p" 2>/dev/null; done
    for _p in $PIDS; do wait_pid "$_p" 50; done
    PIDS=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# A passphrase nobody would type by chance, so that no_plaintext can look for it.
PASS='quebrada-del-aji 7319 pajaro'
export ENLACE_PASSPHRASE="$PASS"
unset ENLACE_HOME ENLACE_NOW

# Hours from now, as the unix seconds ENLACE_NOW takes.
later() { echo $(( $(date +%s) + $1 * 3600 )); }

step() { echo "--- $*"; }

# fail MSG: record a failed check and go on (the script exits 1 at the end).
fail() {
    FAILS=$((FAILS + 1))
    echo "FAIL [$SCRIPT]: $*" >&2
}

# die MSG: a failure after which nothing else makes sense.
die() {
    fail "$@"
    exit 1
}

# Show the output of the last command (for failure messages).
last() {
    printf '  stdout: %s\n  stderr: %s\n' "$(head -c 600 "$OUT")" "$(head -c 600 "$ERR")"
}

# enl PROFILE ARGS...: the enlace binary on profile $T/PROFILE.
enl() {
    _p=$1
    shift
    "$ENLACE" --home "$T/$_p" "$@"
}

# nopass CMD...: run CMD without ENLACE_PASSPHRASE in its environment.
nopass() {
    (unset ENLACE_PASSPHRASE; exec "$@")
}

# run CMD...: run, keep stdout in $OUT, stderr in $ERR, status in $RC.
run() {
    "$@" >"$OUT" 2>"$ERR"
    RC=$?
    return 0
}

# ok CMD...: run and require status 0.
ok() {
    run "$@"
    if [ "$RC" -ne 0 ]; then
        fail "'$*' exited $RC, expected 0"
        last >&2
        return 1
    fi
    return 0
}

# expect_fail CODE CMD...: run and require exit status CODE (1: failure, 2: usage).
expect_fail() {
    _want=$1
    shift
    run "$@"
    if [ "$RC" -ne "$_want" ]; then
        fail "'$*' exited $RC, expected $_want"
        last >&2
        return 1
    fi
    return 0
}

# contains FILE TEXT [WHAT] / lacks FILE TEXT [WHAT]: fixed-string checks, binary safe.
contains() {
    if ! grep -qaF -- "$2" "$1"; then
        fail "${3:-$1} should contain '$2'"
        echo "  $(basename "$1"): $(head -c 600 "$1")" >&2
        return 1
    fi
    return 0
}
lacks() {
    if grep -qaF -- "$2" "$1"; then
        fail "${3:-$1} should not contain '$2'"
        echo "  $(basename "$1"): $(head -c 600 "$1")" >&2
        return 1
    fi
    return 0
}

# eq GOT WANT WHAT
eq() {
    if [ "$1" != "$2" ]; then
        fail "$3: got '$1', expected '$2'"
        return 1
    fi
    return 0
}

# lines FILE: the number of lines in FILE.
lines() { wc -l <"$1" | tr -d ' '; }

# json_num FIELD [FILE] / json_str FIELD [FILE]: a field of the first JSON line.
json_num() {
    sed -n "s/.*\"$1\":\(-\{0,1\}[0-9][0-9]*\).*/\1/p" "${2:-$OUT}" | head -n 1
}
json_str() {
    sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "${2:-$OUT}" | head -n 1
}
json_bool() {
    sed -n -e "s/.*\"$1\":true.*/true/p" -e "s/.*\"$1\":false.*/false/p" "${2:-$OUT}" | head -n 1
}

# status_of PROFILE FIELD: a number from `status --json`.
status_of() {
    "$ENLACE" --home "$T/$1" status --json >"$T/log/status" 2>"$T/log/status.err" ||
        { fail "status --json of $1 failed: $(cat "$T/log/status.err")"; echo x; return 1; }
    json_num "$2" "$T/log/status"
}

# expect_status PROFILE FIELD VALUE
expect_status() {
    eq "$(status_of "$1" "$2")" "$3" "status of $1: $2"
}

# mkprofile NAME: a profile in $T/NAME with the fast KDF.
mkprofile() {
    ok enl "$1" init --name "$1" --kdf interactive || die "cannot create the profile $1"
}

# card_of NAME: print the card of a profile.
card_of() {
    "$ENLACE" --home "$T/$1" card 2>"$T/log/card.err" ||
        die "card of $1 failed: $(cat "$T/log/card.err")"
}

# add_contact A B: A adds B's card under the name B.
add_contact() {
    _card=$(card_of "$2")
    ok enl "$1" contact add --name "$2" "$_card" || die "$1 cannot add $2"
}

# introduce A B: cards both ways.
introduce() {
    add_contact "$1" "$2"
    add_contact "$2" "$1"
}

# mkdrop NAME: an empty dead-drop folder $T/NAME.
mkdrop() { mkdir -p "$T/$1"; }

# sync PROFILE DROP: sync and require status 0.
sync_drop() {
    ok enl "$1" sync "$T/$2" || return 1
}

# sync_field WHAT: a count from the last sync summary line
# ("sent N notes", "received N notes", "N new", "N skipped").
sync_sent() { sed -n 's/.*sent \([0-9]*\) note.*/\1/p' "$OUT" | head -n 1; }
sync_received() { sed -n 's/.*received \([0-9]*\) note.*/\1/p' "$OUT" | head -n 1; }
sync_new() { sed -n 's/.* \([0-9]*\) new message.*/\1/p' "$OUT" | head -n 1; }
sync_skipped() { sed -n 's/.* \([0-9]*\) skipped.*/\1/p' "$OUT" | head -n 1; }

# notes_in DROP: how many .note files a drop holds.
notes_in() {
    find "$T/$1" -maxdepth 1 -type f -name '*.note' | wc -l | tr -d ' '
}

# inbox_count PROFILE [FLAGS]: messages in `inbox --json [FLAGS]`.
inbox_count() {
    _p=$1
    shift
    "$ENLACE" --home "$T/$_p" inbox --json "$@" >"$T/log/inbox" 2>"$T/log/inbox.err" ||
        { fail "inbox of $_p failed: $(cat "$T/log/inbox.err")"; echo x; return 1; }
    grep -c '^{' "$T/log/inbox" | tr -d ' '
}

# b2id FILE: BLAKE2b-256 of a file in hex (the note id).
b2id() { b2sum -l 256 "$1" | cut -d' ' -f1; }

# flip_byte FILE OFFSET: invert one byte in place.
flip_byte() {
    _b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $(( _b ^ 255 )))" |
        dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}

# tree_digest DIR: names, modes, sizes and sha256 of every file under DIR.
tree_digest() {
    (cd "$1" && find . -print | LC_ALL=C sort | while IFS= read -r f; do
        if [ -f "$f" ]; then
            echo "$(stat -c '%a %s' "$f") $(sha256sum <"$f" | cut -d' ' -f1) $f"
        else
            echo "$(stat -c '%a %F' "$f") $f"
        fi
    done)
}

# tamper_card CARD POS: change the base32 character at POS (1-based) to another.
tamper_card() {
    echo "$1" | awk -v p="$2" '{
        a = "0123456789abcdefghjkmnpqrstvwxyz"; c = substr($0, p, 1); i = index(a, c);
        print substr($0, 1, p - 1) substr(a, i % 32 + 1, 1) substr($0, p + 1) }'
}

# one_error_line: stderr is exactly one line that begins "enlace: ".
one_error_line() {
    _n=$(lines "$ERR")
    if [ "$_n" -ne 1 ] || ! head -n 1 "$ERR" | grep -q '^enlace: '; then
        fail "${1:-the failure} should print one line beginning 'enlace: ' on stderr"
        echo "  stderr: $(cat "$ERR")" >&2
        return 1
    fi
    return 0
}

# finish: the end of a script; its status comes from the checks that failed.
finish() { exit 0; }

# listen_bg PROFILE [ARGS...]: start `enlace listen --addr 127.0.0.1:0 ARGS`
# in the background; waits at most 5 s for its "listening on" line and sets
# PORT and LPID. The listener is killed on exit if still running.
listen_bg() {
    _p=$1
    shift
    # emptied here, not in the background: an earlier listener's line in the
    # same log must not be read as this one's
    : >"$T/log/listen.out"
    "$ENLACE" --home "$T/$_p" listen --addr 127.0.0.1:0 "$@" >"$T/log/listen.out" 2>"$T/log/listen.err" &
    LPID=$!
    LISTENERS="$LISTENERS $LPID"
    _i=0
    while [ $_i -lt 50 ] && ! grep -q "listening on" "$T/log/listen.out" 2>/dev/null; do
        sleep 0.1
        _i=$((_i + 1))
    done
    PORT=$(sed -n 's/listening on 127.0.0.1:\([0-9]*\)/\1/p' "$T/log/listen.out")
    [ -n "$PORT" ] || die "$_p's listener did not start: $(cat "$T/log/listen.err")"
}
