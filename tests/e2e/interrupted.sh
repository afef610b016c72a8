#!/bin/sh
# Interrupted and impossible syncs: a read-only drop is read and left as it
# was (exit 0, a line that says so, nothing written); a leftover partial
# ".enlace-tmp-*" file does not break later syncs (and goes once two days
# old); a sync killed half way through a write (the stick pulled out) leaves
# no half-written note, and nothing is lost.
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile carmen
mkprofile visitor
introduce ana carmen
ok enl ana send carmen "short one"
# A large note, so that a write can be cut half way.
head -c 60000 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 61000 >"$T/big.txt"
ok sh -c '"$1" --home "$2" send carmen - <"$3"' sh "$ENLACE" "$T/ana" "$T/big.txt"
expect_status ana outgoing 2

# as_user CMD...: run CMD without the power to write where permissions forbid
# (root ignores file modes; drop that capability when we are root).
as_user() {
    if [ "$(id -u)" -ne 0 ]; then
        "$@"
    else
        setpriv --bounding-set=-dac_override,-dac_read_search -- "$@"
    fi
}
can_test_ro=1
if [ "$(id -u)" -eq 0 ] && ! setpriv --bounding-set=-dac_override -- true 2>/dev/null; then
    can_test_ro=0
    echo "note: root without setpriv: the read-only drop check is skipped"
fi

step "a read-only drop"
if [ $can_test_ro -eq 1 ]; then
    mkdrop ro
    echo "left by someone" >"$T/ro/hello.txt"
    chmod 555 "$T/ro"
    drop_before=$(tree_digest "$T/ro")
    run as_user "$ENLACE" --home "$T/ana" sync "$T/ro"
    eq "$RC" 0 "sync with a read-only drop: exit status"
    contains "$OUT" "$T/ro cannot be written (read-only)" "the line for a read-only drop (names the folder)"
    eq "$(sync_sent)" 0 "sync with a read-only drop: notes sent"
    eq "$(tree_digest "$T/ro")" "$drop_before" "the read-only drop after the sync"
    expect_status ana outgoing 2
    # A read-only drop that holds notes for carmen: she takes them, and
    # leaves nothing (the purges wait for a drop that can be written).
    chmod 755 "$T/ro"
    sync_drop ana ro
    chmod 555 "$T/ro"
    ro_before=$(tree_digest "$T/ro")
    run as_user "$ENLACE" --home "$T/carmen" sync "$T/ro"
    eq "$RC" 0 "carmen syncing a read-only drop: exit status"
    eq "$(sync_new)" 2 "carmen syncing a read-only drop: new messages"
    ls -A "$T/ro" | grep -q '^\.enlace-tmp-' && fail "a temporary file was left in the read-only drop"
    eq "$(tree_digest "$T/ro")" "$ro_before" "the read-only drop after carmen's sync"
    chmod 755 "$T/ro"
    sync_drop carmen ro
    contains "$OUT" "purges 2 sent" "carmen's purges, left once the drop is writable"
    eq "$(inbox_count carmen)" 2 "carmen's inbox once the drop is writable"
    # Back to a clean start for what follows.
    rm -rf "$T/carmen" "$T/ana"
    mkprofile ana
    mkprofile carmen
    introduce ana carmen
    ok enl ana send carmen "short one"
    ok sh -c '"$1" --home "$2" send carmen - <"$3"' sh "$ENLACE" "$T/ana" "$T/big.txt"
fi

step "a leftover partial temporary file"
mkdrop d1
note_src=$(mktemp "$T/log/partial.XXXXXX")
head -c 1000 /dev/urandom >"$note_src"
cp "$note_src" "$T/d1/.enlace-tmp-0123456789abcdef"
touch -d '3 days ago' "$T/d1/.enlace-tmp-0123456789abcdef"
sync_drop ana d1
eq "$(sync_sent)" 2 "ana's sync next to a partial temporary file: notes sent"
contains "$ERR" "removed 1 unfinished write" "the line about the leftover temporary file"
[ -e "$T/d1/.enlace-tmp-0123456789abcdef" ] && fail "the leftover temporary file is still there"
sync_drop visitor d1
eq "$(sync_received)" 2 "the visitor's sync next to a partial temporary file: notes received"
sync_drop carmen d1
eq "$(sync_new)" 2 "carmen's sync next to a partial temporary file: new messages"
eq "$(inbox_count carmen)" 2 "carmen's inbox"
sync_drop ana d1
expect_status ana outgoing 0

# every_note_whole DROP WHAT: each .note file's content matches its name.
every_note_whole() {
    for f in "$T/$1"/*.note; do
        [ -f "$f" ] || continue
        n=$(basename "$f" .note)
        [ "$(b2id "$f")" = "$n" ] || fail "$2: $1/$(basename "$f") is half-written (content does not match its name)"
    done
}

step "a sync killed half way through its writes (the stick pulled out)"
ok enl ana send carmen "short two"
ok sh -c '"$1" --home "$2" send carmen - <"$3"' sh "$ENLACE" "$T/ana" "$T/big.txt"
killed=0
for lim in 8 16 24 32 40 48 64 80 96 128; do
    rm -rf "$T/cut"
    mkdrop cut
    # A file size limit stops the writer with SIGXFSZ part way, as a pulled stick would.
    run sh -c 'ulimit -f "$1" && exec "$2" --home "$3" sync "$4"' sh "$lim" "$ENLACE" "$T/ana" "$T/cut"
    if [ "$RC" -gt 128 ]; then killed=$((killed + 1)); fi
    every_note_whole cut "ana's sync cut at ulimit -f $lim"
    # The profile must still open and still hold both notes.
    ok enl ana status --json || continue
    eq "$(json_num outgoing)" 2 "ana's outgoing after a sync cut at ulimit -f $lim"
done
echo "syncs cut by the file size limit: $killed"

step "the next sync after the cut ones completes"
sync_drop ana cut
every_note_whole cut "ana's full sync"
eq "$(notes_in cut)" 2 "notes in the drop after a full sync"

step "the recipient's sync cut half way: delivered once, nothing lost"
for lim in 8 16 32 48 64 96 128; do
    run sh -c 'ulimit -f "$1" && exec "$2" --home "$3" sync "$4"' sh "$lim" "$ENLACE" "$T/carmen" "$T/cut"
    ok enl carmen status --json || continue
    every_note_whole cut "carmen's sync cut at ulimit -f $lim"
done
sync_drop carmen cut
ok enl carmen inbox --json
eq "$(grep -c '"text":"short two"' "$OUT")" 1 "copies of 'short two' in carmen's inbox"
eq "$(lines "$OUT")" 4 "carmen's messages after cut syncs"
sync_drop ana cut
expect_status ana outgoing 0

step "a sync interrupted by a signal"
ok enl ana send carmen "short three"
mkdrop sig
"$ENLACE" --home "$T/ana" sync "$T/sig" >/dev/null 2>&1 &
pid=$!
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
every_note_whole sig "a sync killed by SIGKILL"
ok enl ana status --json
sync_drop ana sig
sync_drop carmen sig
eq "$(inbox_count carmen)" 5 "carmen's messages after a killed sync"

finish
