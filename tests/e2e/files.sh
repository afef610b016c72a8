#!/bin/sh
# Files: ana sends carmen a 20 MiB recording through a courier. The courier
# carries the parts from dead drop d1 to d2; carmen gets them shuffled and
# partly twice (copied into folders in random order), the rest over TCP
# from the courier, and a damaged copy of two parts. Every part is taken
# once, the damaged ones are refused, `files` shows the progress, the file
# is byte for byte the same, and carmen's purges release every copy the
# courier and the drops held. A first, small file goes before carmen ever
# answered (first-contact notes), with a marker that must never reach a
# disk in the clear.
. "$(dirname "$0")/lib.sh"

MARK='MARCA-DEL-EXPEDIENTE-4471'

mkprofile ana
mkprofile carmen
mkprofile courier
introduce ana carmen
introduce carmen courier
mkdrop d1
mkdrop d2

# shuffle_into SRC DST PERCENT: copy PERCENT % of SRC's notes into DST, one
# by one in random order (a reader takes a folder's notes by modification
# time: this order is what carmen's ratchet meets).
shuffle_into() {
    mkdir -p "$T/$2"
    _all=$(ls "$T/$1" | grep '\.note$' | wc -l)
    ls "$T/$1" | grep '\.note$' | shuf | head -n $(( _all * $3 / 100 )) | while read -r _f; do
        cp "$T/$1/$_f" "$T/$2/$_f"
    done
}
# files_field PROFILE NAME FIELD: a number from the `files --json` line of file NAME.
files_field() {
    "$ENLACE" --home "$T/$1" files --json >"$T/log/files" 2>"$T/log/files.err" ||
        { fail "files --json of $1 failed: $(cat "$T/log/files.err")"; echo x; return 1; }
    grep "\"name\":\"$2\"" "$T/log/files" | json_num "$3" /dev/stdin
}
files_state() {
    "$ENLACE" --home "$T/$1" files --json >"$T/log/files" 2>/dev/null
    grep "\"name\":\"$2\"" "$T/log/files" | json_str state /dev/stdin
}

step "files that cannot be sent"
expect_fail 1 enl ana send --file "$T/nothing-here" carmen
one_error_line "a missing file"
contains "$ERR" "cannot read" "the error for a missing file"
expect_fail 1 enl ana send --file "$T" carmen
one_error_line "a folder"
: >"$T/empty"
expect_fail 1 enl ana send --file "$T/empty" carmen
contains "$ERR" "empty" "the error for an empty file"
truncate -s $((4 * 1024 * 1024 * 1024 + 1)) "$T/huge"
expect_fail 1 enl ana send --file "$T/huge" carmen
one_error_line "a file over 4 GiB"
contains "$ERR" "at most" "the error for a file over 4 GiB"
rm -f "$T/huge"
expect_fail 1 enl ana send --file "$T/empty" nobody
contains "$ERR" "no contact" "a file for someone who is not a contact"
expect_fail 2 enl ana send --file "$T/empty" --disappear 1h carmen
expect_fail 2 enl ana send --note "x" carmen "text"
expect_status ana outgoing 0

step "a first file, before carmen ever answered (first-contact notes)"
{ i=0; while [ $i -lt 20000 ]; do echo "$MARK linea $i"; i=$((i + 1)); done; } >"$T/small.txt"
ok enl ana send --file "$T/small.txt" carmen
contains "$OUT" "sealed" "send --file"
ok enl ana files --json
eq "$(json_str direction)" out "ana's files --json: direction"
eq "$(json_str state)" sent "ana's files --json: state"
small_parts=$(json_num parts)
sync_drop ana d1
sync_drop courier d1
sync_drop courier d2
shuffle_into d2 d2s 100
sync_drop carmen d2s
eq "$(files_state carmen small.txt)" complete "carmen's small file after one shuffled sync"
eq "$(files_field carmen small.txt have)" "$small_parts" "parts of the small file here"
for f in "$T/carmen"/*; do
    lacks "$f" "$MARK" "carmen's $(basename "$f") (no plaintext of a received file on disk)"
done
ok enl courier files
contains "$OUT" "no files yet" "the courier's files (it cannot read what it carries)"

step "carmen answers, so the next file travels in session notes"
ok enl carmen send ana "recibido"
sync_drop carmen d2
sync_drop courier d2
sync_drop courier d1
sync_drop ana d1
eq "$(inbox_count ana)" 1 "ana's messages"

step "ana seals 20 MiB"
head -c $((20 * 1024 * 1024)) /dev/urandom >"$T/testimony.ogg"
ok enl ana send --file "$T/testimony.ogg" --note "tape 3" carmen
ok enl ana files --json
parts=$(grep testimony "$OUT" | json_num parts /dev/stdin)
eq "$parts" 323 "parts of 20 MiB"
sync_drop ana d1
eq "$(sync_sent)" 324 "notes ana leaves in d1 (a head and 323 parts)"
for f in "$T/d1"/*.note; do
    s=$(wc -c <"$f" | tr -d ' ')
    [ "$s" -le 65535 ] || fail "a note of $s bytes in d1"
done
eq "$(find "$T/d1" -name '*.note' -size 65535c | wc -l | tr -d ' ')" 322 "full parts are notes of 65535 bytes"

step "the courier carries them from d1 to d2"
sync_drop courier d1
eq "$(sync_received)" 324 "notes the courier takes from d1"
sync_drop courier d2
expect_status courier notes 324

step "damaged copies are refused"
# The head is the note of d2 that ana wrote first: d1 keeps the order.
head_note=$(ls -tr "$T/d1" | grep '\.note$' | head -n 1)
part0_note=$(ls -tr "$T/d1" | grep '\.note$' | sed -n 2p)
mkdrop bad
cp "$T/d1/$head_note" "$T/bad/x"
flip_byte "$T/bad/x" 200     # in the sealed payload
mv "$T/bad/x" "$T/bad/$(b2id "$T/bad/x").note"
head -c 40000 "$T/d1/$part0_note" >"$T/bad/y"
mv "$T/bad/y" "$T/bad/$(b2id "$T/bad/y").note"
held=$(status_of carmen notes)
sync_drop carmen bad
eq "$(sync_skipped)" 2 "carmen's sync of the damaged copies: skipped"
eq "$(sync_new)" 0 "carmen's sync of the damaged copies: new messages"
contains "$ERR" "skipped" "warnings about the damaged copies"
expect_status carmen notes "$held"
ok enl carmen files
lacks "$OUT" testimony "carmen's files after the damaged copies only"

step "carmen takes 60% of the parts, shuffled, then some of them again"
mkdrop d3
cp "$T/d1/$head_note" "$T/d3/"
cp "$T/d1/$part0_note" "$T/d3/"
shuffle_into d2 d3 60
sync_drop carmen d3
have=$(files_field carmen testimony.ogg have)
[ -n "$have" ] && [ "$have" -gt 100 ] && [ "$have" -lt 323 ] ||
    fail "parts here after the first shuffled sync: $have (expected between 100 and 323)"
eq "$(files_state carmen testimony.ogg)" receiving "state while parts are missing"
ok enl carmen files
contains "$OUT" "$have/323 parts" "files shows the progress"
contains "$OUT" "note: tape 3" "files shows the note"
id=$(sed -n 's/.*"id":"\([0-9a-f]*\)","direction":"in".*"name":"testimony.ogg".*/\1/p' "$T/log/files")
[ -n "$id" ] || fail "no id for testimony.ogg in files --json"
expect_fail 1 enl carmen files save "$(echo "$id" | cut -c1-8)" --out "$T/early.ogg"
one_error_line "files save of an incomplete file"
contains "$ERR" "$((323 - have)) of its 323 parts are still missing" "files save of an incomplete file"
[ -e "$T/early.ogg" ] && fail "an incomplete file was written"
shuffle_into d3 d3again 50
sync_drop carmen d3again
eq "$(sync_new)" 0 "new messages from parts taken twice"
eq "$(files_field carmen testimony.ogg have)" "$have" "parts here after taking some twice (stored once)"

step "the rest over TCP from the courier"
listen_bg courier --once
ok enl carmen sync "tcp://courier@127.0.0.1:$PORT"
wait_pid "$LPID"
eq "$(files_field carmen testimony.ogg have)" 323 "parts here after the TCP sync"
eq "$(files_state carmen testimony.ogg)" complete "state once every part is here"

step "carmen saves it, byte for byte; then her profile no longer holds it"
ok enl carmen files save "$(echo "$id" | cut -c1-8)" --out "$T/saved.ogg"
cmp -s "$T/testimony.ogg" "$T/saved.ogg" || fail "the saved file differs from the one sent"
[ "$(stat -c %a "$T/saved.ogg")" = 600 ] || fail "the saved file is not private (mode $(stat -c %a "$T/saved.ogg"))"
eq "$(files_state carmen testimony.ogg)" saved "state once saved"
eq "$(files_field carmen testimony.ogg have)" 0 "parts kept in the profile once saved"
expect_fail 1 enl carmen files save "$id" --out "$T/again.ogg"
one_error_line "files save of a file saved already"
contains "$ERR" "saved already" "files save of a file saved already"
[ -e "$T/again.ogg" ] && fail "a second save of a saved file wrote something"
expect_fail 1 enl carmen files save 0000 --out "$T/none"
expect_fail 2 enl carmen files save xyz --out "$T/none"
small_id=$(sed -n 's/.*"id":"\([0-9a-f]*\)","direction":"in".*"name":"small.txt".*/\1/p' "$T/log/files")
echo "not the small file" >"$T/small.back"
expect_fail 1 enl carmen files save "$small_id" --out "$T/small.back"
one_error_line "files save onto an existing file"
contains "$ERR" "exists" "files save onto an existing file"
# --force replaces a file, never a fifo, a device or a symbolic link itself
mkfifo "$T/small.fifo"
echo "the link's target" >"$T/small.target"
ln -s "$T/small.target" "$T/small.link"
for odd in small.fifo small.link; do
    expect_fail 1 enl carmen files save "$small_id" --out "$T/$odd" --force
    one_error_line "files save --force onto $odd"
    contains "$ERR" "not a regular file" "files save --force onto $odd"
done
# a folder: said so, with or without --force (it said "--force to replace
# it", and --force then refused)
mkdir "$T/a-folder"
for force in "" --force; do
    # shellcheck disable=SC2086
    expect_fail 1 enl carmen files save "$small_id" --out "$T/a-folder" $force
    one_error_line "files save onto a folder $force"
    contains "$ERR" "is a folder" "files save onto a folder $force"
    lacks "$ERR" "--force to replace" "files save onto a folder $force"
done
[ -p "$T/small.fifo" ] || fail "files save --force replaced a fifo"
[ -L "$T/small.link" ] || fail "files save --force replaced a symbolic link"
eq "$(cat "$T/small.target")" "the link's target" "the target of a link given to files save --force"
eq "$(files_state carmen small.txt)" complete "the small file after refused saves"
ok enl carmen files save "$small_id" --out "$T/small.back" --force
cmp -s "$T/small.txt" "$T/small.back" || fail "the small file saved with --force differs"
ls -a "$T" | grep -q enlace-tmp && fail "a temporary file was left behind"

step "purges release every copy"
listen_bg courier --once
ok enl carmen sync "tcp://courier@127.0.0.1:$PORT"
wait_pid "$LPID"
sync_drop courier d2
sync_drop courier d1
sync_drop ana d1
expect_status courier notes 0
eq "$(notes_in d1)" 0 "notes left in d1"
eq "$(notes_in d2)" 0 "notes left in d2"
expect_status ana outgoing 0
eq "$(files_state ana testimony.ogg)" delivered "ana's file once every purge came back"
eq "$(files_field ana testimony.ogg delivered)" 324 "notes of the file known delivered"

step "carmen deletes a file she does not want, unsaved"
head -c 300000 /dev/urandom >"$T/unwanted.bin"
ok enl ana send --file "$T/unwanted.bin" carmen
sync_drop ana d1
sync_drop carmen d1
eq "$(files_state carmen unwanted.bin)" complete "the unwanted file once it is here"
unwanted=$(sed -n 's/.*"id":"\([0-9a-f]*\)","direction":"in".*"name":"unwanted.bin".*/\1/p' "$T/log/files")
ok enl carmen files delete --help
contains "$OUT" "files delete ID" "files delete --help"
expect_fail 1 enl carmen files delete "$(echo "$unwanted" | cut -c1-8)" --from courier
contains "$ERR" "no file was received from 'courier'" "files delete --from someone who sent none"
expect_fail 1 enl carmen files delete 0000 --from ana
contains "$ERR" "no file received from ana whose id begins with 0000" "files delete --from, a wrong id"
ok enl carmen files delete "$(echo "$unwanted" | cut -c1-8)" --from ana
contains "$OUT" "deleted unwanted.bin" "files delete"
eq "$(files_state carmen unwanted.bin)" deleted "state once deleted"
eq "$(files_field carmen unwanted.bin have)" 0 "parts kept in the profile once deleted"
expect_fail 1 enl carmen files save "$unwanted" --out "$T/unwanted.back"
one_error_line "files save of a deleted file"
contains "$ERR" "deleted unsaved" "files save of a deleted file"
[ -e "$T/unwanted.back" ] && fail "a save of a deleted file wrote something"
expect_fail 1 enl carmen files delete "$unwanted"
contains "$ERR" "deleted already" "files delete of a file deleted already"
expect_fail 2 enl carmen files delete
expect_fail 2 enl carmen files delete xyz
expect_fail 2 enl carmen files delete "$unwanted" --from ""

step "carmen deletes parts whose description never came"
mkprofile dora
introduce dora carmen
mkdrop d4
head -c 150000 /dev/urandom >"$T/headless.bin"
ok enl dora send --file "$T/headless.bin" carmen
sync_drop dora d4
eq "$(sync_sent)" 4 "notes dora leaves in d4 (a head and 3 parts)"
mkdrop d5
ls -tr "$T/d4" | grep '\.note$' | sed -n '2,4p' | while read -r _f; do cp "$T/d4/$_f" "$T/d5/"; done
sync_drop carmen d5
ok enl carmen files
contains "$OUT" "from ?  (its description has not arrived yet)  3 parts here" "files: parts without a description"
orphan=$(sed -n 's/^\([0-9a-f]*\)  from ?.*/\1/p' "$OUT")
[ -n "$orphan" ] || fail "no id on the line of parts without a description"
expect_fail 1 enl carmen files save "$orphan" --out "$T/headless.back"
contains "$ERR" "has not arrived yet" "files save of parts without a description"
expect_fail 1 enl carmen files delete "$orphan" --from dora
contains "$ERR" "no file received from dora" "files delete --from of parts whose sender is not known"
contains "$ERR" "leave out --from" "files delete --from of parts whose sender is not known says why"
ok enl carmen files delete "$orphan"
contains "$OUT" "deleted 3 parts whose description had not arrived" "files delete of parts without a description"
ok enl carmen files
lacks "$OUT" "from ?" "files once the parts without a description are deleted"
expect_fail 1 enl carmen files delete "$orphan"

step "one part missing is said in the singular"
head -c 65100 /dev/urandom >"$T/pair.bin"
ok enl ana send --file "$T/pair.bin" carmen
mkdrop d9
mkdrop d10
sync_drop ana d9
# the newest three notes are the file's head and its two parts, in that order
ls -tr "$T/d9" | grep '\.note$' | tail -n 3 | head -n 2 | while read -r _f; do cp "$T/d9/$_f" "$T/d10/"; done
sync_drop carmen d10
eq "$(files_field carmen pair.bin have)" 1 "parts of pair.bin here"
pid=$(sed -n 's/.*"id":"\([0-9a-f]*\)","direction":"in".*"name":"pair.bin".*/\1/p' "$T/log/files")
expect_fail 1 enl carmen files save "$pid" --out "$T/pair.back"
contains "$ERR" "1 of its 2 parts is still missing: it can be saved once it arrives" "files save with one part missing"

step "delivered stays delivered once the purges that said so expire"
# Sixteen days on, the notes and their purge records are dropped at ana's
# next sync; the file was shown "sent" again from then on.
printf 'never carried\n' >"$T/acta.txt"
ok enl ana send --file "$T/acta.txt" carmen
eq "$(files_state ana acta.txt)" sent "a file not carried yet"
ENLACE_NOW=$(later $((16 * 24)))
export ENLACE_NOW
sync_drop ana d1
expect_status ana purges 0
eq "$(files_state ana testimony.ogg)" delivered "ana's file once its purges expired"
eq "$(files_field ana testimony.ogg delivered)" 324 "notes of the file known delivered after expiry"
# one whose notes expired, none known delivered, was "sent" for ever
eq "$(files_state ana acta.txt)" expired "a file whose notes expired undelivered"
ok enl ana files
contains "$OUT" "expired" "files lists the undelivered file expired"
unset ENLACE_NOW

finish
