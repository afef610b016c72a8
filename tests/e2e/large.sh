#!/bin/sh
# Sizes and bytes: a message of exactly ENL_TEXT_MAX (61440) bytes goes
# through, 61441 is refused; newlines, UTF-8 and terminal escapes arrive
# intact in --json (escaped) and neutralised in text mode.
. "$(dirname "$0")/lib.sh"

MAX=61440
ESC=$(printf '\033')

mkprofile ana
mkprofile carmen
introduce ana carmen
mkdrop d

# text_of N: N printable bytes, no JSON escaping needed.
head -c 60000 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr '0-9' 'g-p' | head -c $MAX >"$T/max.txt"
head -c $((MAX + 1)) /dev/zero | tr '\0' 'z' >"$T/over.txt"
eq "$(wc -c <"$T/max.txt" | tr -d ' ')" $MAX "size of the test text"

step "exactly $MAX bytes, from stdin and as an argument"
ok sh -c '"$1" --home "$2" send carmen - <"$3"' sh "$ENLACE" "$T/ana" "$T/max.txt"
ok enl ana send carmen "$(cat "$T/max.txt")"

step "$((MAX + 1)) bytes are refused"
expect_fail 1 sh -c '"$1" --home "$2" send carmen - <"$3"' sh "$ENLACE" "$T/ana" "$T/over.txt"
one_error_line "a message of $((MAX + 1)) bytes from stdin"
# named by the command, from stdin as from an argument (it lacked "send: " from stdin)
contains "$ERR" "enlace: send: a message holds at most $MAX bytes" "a message of $((MAX + 1)) bytes from stdin"
expect_fail 1 enl ana send carmen "$(cat "$T/over.txt")"
one_error_line "a message of $((MAX + 1)) bytes as an argument"
contains "$ERR" "enlace: send: a message holds at most $MAX bytes" "a message of $((MAX + 1)) bytes as an argument"
# Far over, from stdin: the limit named is the message's, not the reader's.
head -c 70000 /dev/zero | tr '\0' 'z' >"$T/far.txt"
expect_fail 1 sh -c '"$1" --home "$2" send carmen - <"$3"' sh "$ENLACE" "$T/ana" "$T/far.txt"
contains "$ERR" "enlace: send: a message holds at most $MAX bytes" "a message of 70000 bytes from stdin"
# stdin that fails to read (a folder) is no empty message.
mkdir "$T/a-folder"
expect_fail 1 sh -c '"$1" --home "$2" send carmen - <"$3"' sh "$ENLACE" "$T/ana" "$T/a-folder"
contains "$ERR" "cannot read stdin" "a message from stdin that cannot be read"
expect_status ana outgoing 2

step "special bytes"
printf 'line one\nline two\n\nline four' >"$T/nl.txt"
printf 'ñandú — 你好 🌱 çà' >"$T/utf8.txt"
printf 'before\033[2Jafter\033]0;owned\007 bell\r overwrite \033[31mred' >"$T/esc.txt"
printf 'quote " backslash \\ tab\there' >"$T/json.txt"
for f in nl utf8 esc json; do
    ok sh -c '"$1" --home "$2" send carmen - <"$3"' sh "$ENLACE" "$T/ana" "$T/$f.txt"
done

step "delivery"
sync_drop ana d
for f in "$T/d"/*.note; do
    s=$(wc -c <"$f" | tr -d ' ')
    [ "$s" -le 65535 ] || fail "a note of $s bytes is larger than ENL_NOTE_MAX"
done
sync_drop carmen d
eq "$(sync_new)" 6 "carmen's sync: new messages"
ok enl carmen inbox --json
cp "$OUT" "$T/inbox.json"
eq "$(lines "$T/inbox.json")" 6 "lines of carmen's inbox --json (one JSON object per line)"

step "the largest messages arrive intact"
sed -n 's/.*"text":"\([^"]*\)".*/\1/p' "$T/inbox.json" | grep -x -F -f "$T/max.txt" | head -n 2 >"$T/got-max"
n=$(lines "$T/got-max")
eq "$n" 2 "messages of $MAX bytes that arrived intact"

step "json escapes"
contains "$T/inbox.json" '"text":"line one\nline two\n\nline four"' "inbox --json (newlines)"
contains "$T/inbox.json" '"text":"ñandú — 你好 🌱 çà"' "inbox --json (UTF-8)"
contains "$T/inbox.json" '"text":"before\u001b[2Jafter\u001b]0;owned\u0007 bell\r overwrite \u001b[31mred"' "inbox --json (escapes)"
contains "$T/inbox.json" '"text":"quote \" backslash \\ tab\there"' "inbox --json (quote, backslash, tab)"
lacks "$T/inbox.json" "$ESC" "inbox --json (a raw ESC byte)"
if command -v jq >/dev/null 2>&1; then
    jq -e . "$T/inbox.json" >/dev/null 2>&1 || fail "inbox --json is not valid JSON"
    jq -j 'select(.text | startswith("before")) | .text' "$T/inbox.json" >"$T/esc.back"
    cmp -s "$T/esc.back" "$T/esc.txt" || fail "the escape sequences did not survive the JSON round trip"
    jq -j 'select(.text | startswith("line one")) | .text' "$T/inbox.json" >"$T/nl.back"
    cmp -s "$T/nl.back" "$T/nl.txt" || fail "the newlines did not survive the JSON round trip"
    jq -j 'select(.text | startswith("ñandú")) | .text' "$T/inbox.json" >"$T/utf8.back"
    cmp -s "$T/utf8.back" "$T/utf8.txt" || fail "the UTF-8 text did not survive the JSON round trip"
fi

step "text mode neutralises escapes"
ok enl carmen inbox
cp "$OUT" "$T/inbox.txt"
lacks "$T/inbox.txt" "$ESC" "inbox in text mode (a raw ESC byte)"
lacks "$T/inbox.txt" "$(printf '\007')" "inbox in text mode (a raw BEL byte)"
lacks "$T/inbox.txt" "$(printf '\r')" "inbox in text mode (a raw carriage return)"
contains "$T/inbox.txt" "[2Jafter" "inbox in text mode (the neutralised text is still shown)"
contains "$T/inbox.txt" "line one" "inbox in text mode"
contains "$T/inbox.txt" "line two" "inbox in text mode"
contains "$T/inbox.txt" "ñandú — 你好 🌱 çà" "inbox in text mode (UTF-8)"
ok enl carmen inbox --new
lacks "$OUT" "$ESC" "inbox --new in text mode"

step "a NUL byte"
printf 'nul\000inside' >"$T/nul.txt"
run sh -c '"$1" --home "$2" send carmen - <"$3"' sh "$ENLACE" "$T/ana" "$T/nul.txt"
if [ "$RC" -eq 0 ]; then
    sync_drop ana d
    sync_drop carmen d
    ok enl carmen inbox --json
    contains "$OUT" '"text":"nul\u0000inside"' "inbox --json (a NUL byte)"
    ok enl carmen inbox
    contains "$OUT" "inside" "inbox in text mode (after a NUL byte)"
else
    [ "$RC" -eq 1 ] || fail "send of a text with a NUL byte exited $RC"
    one_error_line "a text with a NUL byte"
fi

step "the sender's names are safe too"
# A card cannot carry a name with escapes (refused), so the only names shown
# are the ones the recipient chose or a fingerprint.
ok enl carmen contact list
lacks "$OUT" "$ESC" "contact list"

finish
