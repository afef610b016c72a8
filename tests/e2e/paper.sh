#!/bin/sh
# Paper: ana seals a 140-character note for carmen with --paper and prints
# it; carmen types it back in by hand with one copying mistake, the import
# names the line, she corrects it, the note is delivered once and a second
# import says duplicate. The same through a PNG of QR codes; a visitor who
# cannot read a note carries it from a page to a dead drop; a note that
# cannot be kept now fails the import (keep the page); SVG and terminal
# output; usage and failures.
. "$(dirname "$0")/lib.sh"

TEXT='the leaflet is ready: meet at the kitchen on thursday at seven, bring the list of names and the keys to the back door. burn this after read.'
[ "${#TEXT}" -eq 140 ] || die "the text is ${#TEXT} characters, not 140"

# id_of: the note id that `send` printed (16 hex digits).
id_of() { sed -n 's/.*(id \([0-9a-f]*\)).*/\1/p' "$OUT"; }

mkprofile ana
mkprofile carmen
mkprofile visitor
introduce ana carmen

step "ana seals a 140-character note for paper and prints it"
ok enl ana send --paper carmen "$TEXT"
id=$(id_of)
[ -n "$id" ] || die "send printed no id: $(cat "$OUT")"
ok enl ana paper export --out "$T/page.txt"
contains "$OUT" "1 note" "the export summary"
contains "$OUT" "id $id" "the export summary"
head -n 1 "$T/page.txt" | grep -q '^ENLACE PAPER 1  NOTE 1/1  PAGE 1/1  BYTES [0-9]*  ID [0-9A-Z]\{8\}  [0-9A-Z][0-9A-Z]$' ||
    fail "the page header is not as documented: $(head -n 1 "$T/page.txt")"
hdr_id=$(sed -n '1s/.*  ID \([0-9A-F]*\)  .*/\1/p' "$T/page.txt" | tr 'A-F' 'a-f')
eq "$hdr_id" "$(echo "$id" | cut -c 1-8)" "the page's ID (the note id's first 8 hex digits)"
bytes=$(sed -n '1s/.*BYTES \([0-9]*\).*/\1/p' "$T/page.txt")
printed=$(grep -c . "$T/page.txt")
# A header, then lines of 45 characters of 5 bits each.
eq "$printed" $((1 + ((bytes * 8 + 4) / 5 + 44) / 45)) "printed lines for a note of $bytes bytes"
[ "$bytes" -le 365 ] && [ "$printed" -gt 14 ] && fail "a note of $bytes bytes printed on $printed lines (at most 14)"
awk '/^[0-9]/ && length($0) > 61 { bad = 1 } END { exit bad }' "$T/page.txt" ||
    fail "a numbered line of the page is longer than 61 characters"
ok enl ana paper export "$id" --qr-png "$T/one.png"
version=$(sed -n 's/.*QR code, version \([0-9]*\).*/\1/p' "$OUT")
[ -n "$version" ] || fail "no QR version in the export summary: $(cat "$OUT")"
level=$(sed -n 's/.*QR code, version [0-9]* (error correction \([LMQH]\)).*/\1/p' "$OUT")
[ -n "$level" ] || fail "no error correction level in the export summary: $(cat "$OUT")"
echo "measured: a 140-character note sealed with --paper (first contact) is $bytes bytes: $printed printed lines, one QR code of version $version (error correction $level)"

step "carmen types it back in, with one copying mistake on line 7"
# How a person copies: lower case, O for some zeros, single spaces, and on
# line 7 one character taken for its look-alike (5/S, 8/B, 2/Z, 6/G, ...).
awk '
    BEGIN { from = "5S8B2Z6GDQ1T7Y"; to = "S5B8Z2G6QDT1Y7" }
    /^07 / {
        for (i = 5; i <= length($0); i++) {
            k = index(from, substr($0, i, 1))
            if (k > 0) { $0 = substr($0, 1, i - 1) substr(to, k, 1) substr($0, i + 1); break }
        }
    }
    { gsub(/  */, " "); print tolower($0) }
' "$T/page.txt" | sed 's/0\([a-z]\)/o\1/g' >"$T/typed.txt"
cmp -s "$T/page.txt" "$T/typed.txt" && die "the typed page is the printed page"
[ "$(sed -n 8p "$T/typed.txt")" != "$(sed -n 8p "$T/page.txt" | tr -s ' ' | tr 'A-Z' 'a-z' | sed 's/0\([a-z]\)/o\1/g')" ] ||
    die "the script made no mistake on line 7"
expect_fail 1 enl carmen paper import "$T/typed.txt"
contains "$ERR" "typed.txt:8: line 7 of page 1 does not check" "the import's complaint"
eq "$(grep -c 'does not check' "$ERR")" 1 "lines named as not checking"
contains "$OUT" "read 0 notes" "the import summary"
eq "$(inbox_count carmen)" 0 "carmen's messages after the mistaken import"

step "she corrects line 7 and imports again"
good=$(sed -n 8p "$T/page.txt" | tr 'A-Z' 'a-z')
awk -v good="$good" 'NR == 8 { print good; next } { print }' "$T/typed.txt" >"$T/typed2.txt"
ok enl carmen paper import "$T/typed2.txt"
contains "$OUT" "paper import $T/typed2.txt: read 1 note, received 1 note, 1 new message, 0 duplicates, 0 skipped"
[ -s "$ERR" ] && fail "the corrected import wrote on stderr: $(cat "$ERR")"
eq "$(inbox_count carmen)" 1 "carmen's messages"
ok enl carmen inbox --json
eq "$(json_str text)" "$TEXT" "the text carmen reads"
eq "$(json_str from)" ana "who it is from"
case "$(json_str id)" in "$id"*) ;; *) fail "inbox id $(json_str id) is not the note $id" ;; esac

step "a second import says duplicate"
ok enl carmen paper import "$T/typed2.txt"
contains "$OUT" "read 1 note, received 0 notes, 0 new messages, 1 duplicate"
ok sh -c '"$1" --home "$2" paper import - <"$3"' sh "$ENLACE" "$T/carmen" "$T/page.txt"
contains "$OUT" "paper import stdin: read 1 note, received 0 notes, 0 new messages, 1 duplicate"
eq "$(inbox_count carmen)" 1 "carmen's messages after importing twice more"

step "carmen answers on paper; ana's next 140 characters travel within the session"
ok enl carmen send --paper ana "received, thank you"
rid=$(id_of)
ok enl carmen paper export "$rid" --out "$T/reply.txt"
ok enl ana paper import "$T/reply.txt"
contains "$OUT" "1 new message" "ana's import of the reply"
ok enl ana send --paper carmen "$TEXT"
sid=$(id_of)
ok enl ana paper export "$sid" --out "$T/session.txt" --qr-png "$T/session.png"
sbytes=$(sed -n '1s/.*BYTES \([0-9]*\).*/\1/p' "$T/session.txt")
sprinted=$(grep -c . "$T/session.txt")
sversion=$(sed -n 's/.*QR code, version \([0-9]*\).*/\1/p' "$OUT")
eq "$sprinted" $((1 + ((sbytes * 8 + 4) / 5 + 44) / 45)) "printed lines for a note of $sbytes bytes"
[ "$sbytes" -le 365 ] && [ "$sprinted" -gt 14 ] && fail "a note of $sbytes bytes printed on $sprinted lines (at most 14)"
slevel=$(sed -n 's/.*QR code, version [0-9]* (error correction \([LMQH]\)).*/\1/p' "$OUT")
echo "measured: the next 140-character note, sealed with --paper, is $sbytes bytes: $sprinted printed lines, one QR code of version $sversion (error correction $slevel)"
# The issue's target, for a note within a session: one code of version 10
# or less, at most 14 printed lines.
[ "$sversion" -le 10 ] || fail "a 140-character session note needs a QR code of version $sversion (at most 10)"
[ "$sprinted" -le 14 ] || fail "a 140-character session note takes $sprinted printed lines (at most 14)"
ok enl carmen paper import "$T/session.png"
contains "$OUT" "1 new message" "carmen's import of the second note"
ok enl carmen inbox --new
contains "$OUT" "$TEXT" "carmen's inbox after the second note"

step "QR codes: a PNG round trip"
ok enl ana send --paper carmen "by the codes"
id2=$(id_of)
ok enl ana paper export "$id2" --qr-png "$T/page.png" --out "$T/page2.txt"
contains "$OUT" "1 QR code" "the export summary"
eq "$(od -An -c -N4 "$T/page.png" | tr -d ' ')" '211PNG' "the first bytes of page.png"
ok enl carmen paper import "$T/page.png"
contains "$OUT" "read 1 note, received 1 note, 1 new message"
ok enl carmen inbox --json --new
eq "$(json_str text)" "by the codes" "the text carmen reads from the codes"
ok enl carmen paper import "$T/page.png"
contains "$OUT" "1 duplicate"
eq "$(inbox_count carmen)" 3 "carmen's messages after the codes"

step "a note over several codes"
long=$(awk 'BEGIN { for (i = 0; i < 60; i++) printf "line %02d of a long letter from the inside. ", i }')
ok enl ana send carmen "$long"
id3=$(id_of)
ok enl ana paper export "$id3" --qr-png "$T/long.png" --out "$T/long.txt"
n=$(sed -n 's/.*; \([0-9]*\) QR codes.*/\1/p' "$OUT")
[ -n "$n" ] && [ "$n" -gt 1 ] || fail "a note of ${#long} characters in $n codes: $(cat "$OUT")"
ok enl carmen paper import "$T/long.png"
contains "$OUT" "1 new message"
ok enl carmen inbox --json --new
eq "$(json_str text)" "$long" "the long letter from the codes"

step "a visitor who cannot read it carries a note from a page to a dead drop"
ok enl ana send --paper carmen "through the visitor"
id4=$(id_of)
ok enl ana paper export "$id4" --out "$T/page4.txt"
ok enl visitor paper import "$T/page4.txt"
contains "$OUT" "read 1 note, received 1 note, 0 new messages"
expect_status visitor notes 1
expect_status visitor messages 0
mkdrop drop
sync_drop visitor drop
sync_drop carmen drop
eq "$(sync_new)" 1 "carmen's new messages from the drop"
ok enl carmen inbox --json --new
eq "$(json_str text)" "through the visitor" "the text the visitor carried"
# The visitor re-exports what it carries: the same page.
ok enl visitor paper export --out "$T/visitor.txt"
cmp -s "$T/page4.txt" "$T/visitor.txt" || fail "the visitor's page differs from ana's"

step "a page whose note cannot be kept now says so, and to keep the page"
# Sealed by a device whose clock runs two years ahead: its expiry is too far
# in the future for carmen's clock today, so it is refused for now, not for
# good. The page may be the only copy: the import fails and says to keep it.
ok env ENLACE_NOW="$(later $((2 * 365 * 24)))" "$ENLACE" --home "$T/ana" send --paper carmen "from a clock ahead"
id5=$(id_of)
ok env ENLACE_NOW="$(later $((2 * 365 * 24)))" "$ENLACE" --home "$T/ana" paper export "$id5" --out "$T/page5.txt"
expect_fail 1 enl carmen paper import "$T/page5.txt"
contains "$ERR" "not kept"
contains "$ERR" "keep the page"
# once the clocks agree, the same page is taken
ok env ENLACE_NOW="$(later $((2 * 365 * 24)))" "$ENLACE" --home "$T/carmen" paper import "$T/page5.txt"
contains "$OUT" "1 new message"

step "SVG and the terminal"
ok enl ana paper export "$id2" --qr-svg "$T/page.svg"
contains "$T/page.svg" '<svg xmlns="http://www.w3.org/2000/svg"' "page.svg"
ok enl ana paper export "$id2" --terminal
contains "$OUT" "code 1 of 1" "the terminal output"
contains "$OUT" "$(printf '\342\226\210')" "the terminal output (half blocks)"
ok enl ana paper export "$id2"
head -n 1 "$OUT" | grep -q '^ENLACE PAPER 1 ' || fail "export without an output names no page on stdout: $(head -n 2 "$OUT")"

step "usage and failures"
for args in "paper" "paper frob" "paper import" "paper import a b" "paper export --bogus"; do
    # shellcheck disable=SC2086
    expect_fail 2 enl ana $args
    grep -q '^usage:' "$ERR" || fail "'enlace $args': no usage on stderr"
done
ok enl ana paper --help
contains "$OUT" "usage: enlace paper"
ok enl ana paper export --help
contains "$OUT" "enlace paper import"
expect_fail 1 enl ana paper export 0000beef
contains "$ERR" "no note held whose id begins with 0000beef"
one_error_line "export of a note not held"
expect_fail 2 enl ana paper export xyz
one_error_line "export of a bad id"
mkprofile empty
expect_fail 1 enl empty paper export
contains "$ERR" "holds no notes"
expect_fail 1 enl carmen paper import "$T/no-such-page.txt"
one_error_line "import of a missing file"
: >"$T/empty.txt"
expect_fail 1 enl carmen paper import "$T/empty.txt"
contains "$ERR" "no note found"
printf 'not an image\n' >"$T/junk.png"
expect_fail 1 enl carmen paper import "$T/junk.png"
head -c 8 "$T/page.png" >"$T/cut.png"
expect_fail 1 enl carmen paper import "$T/cut.png"
one_error_line "import of a cut PNG"
eq "$(inbox_count carmen)" 6 "carmen's messages at the end"

step "an export that fails leaves a file that was there as it was"
mkprofile hoarder
introduce hoarder carmen
head -c 61440 /dev/zero | tr '\0' x >"$T/long.txt"
for n in 1 2 3 4; do ok enl hoarder send carmen - <"$T/long.txt"; done
echo "a picture that matters" >"$T/kept.png"
echo "a page that matters" >"$T/kept.txt"
# four notes of 64 KiB are 400 codes: more pixels than one image may hold
expect_fail 1 enl hoarder paper export --qr-png "$T/kept.png" --force
one_error_line "an export to an image too large"
contains "$ERR" "fewer notes" "an export to an image too large"
eq "$(cat "$T/kept.png")" "a picture that matters" "a file an export failed to replace"
ls -a "$T" | grep -q enlace-tmp && fail "a failed export left a temporary file"
expect_fail 1 enl hoarder paper export --out "$T/kept.txt"
contains "$ERR" "exists: choose another name, or --force to replace it" "an export onto a file that exists"
eq "$(cat "$T/kept.txt")" "a page that matters" "a file an export without --force named"
ok enl hoarder paper export --out "$T/kept.txt" --force
head -n 1 "$T/kept.txt" | grep -q '^ENLACE PAPER 1' || fail "export --out did not replace the page: $(head -n 1 "$T/kept.txt")"
ls -a "$T" | grep -q enlace-tmp && fail "an export left a temporary file"

finish
