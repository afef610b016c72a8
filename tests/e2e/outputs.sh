#!/bin/sh
# What commands write and print about the files they are given:
#  - paper export refuses two outputs that name one file (the same name, the
#    same name reached another way, a link), which would leave only the last
#    one written, before it writes anything;
#  - paper export's page, PNG and SVG are private (0600), as files save and
#    revocation export are: they hold sealed notes;
#  - paper export replaces a file that exists only with --force, and neither
#    it nor files save writes into the profile's own folder;
#  - send --file shows the path in its line as every other line shows a
#    name: an escape, a newline or a right-to-left override in it cannot
#    drive the terminal or print a line of its own.
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile carmen
introduce ana carmen
ok enl ana send --paper carmen "the leaflet is ready"
id=$(sed -n 's/.*(id \([0-9a-f]*\)).*/\1/p' "$OUT")
[ -n "$id" ] || die "no id in: $(cat "$OUT")"

step "two outputs that name one file are refused"
mkdir "$T/out" "$T/out/sub"
expect_fail 2 enl ana paper export "$id" --out "$T/out/p.png" --qr-png "$T/out/p.png"
contains "$ERR" "--out and --qr-png name the same file" "the same name twice"
[ -e "$T/out/p.png" ] && fail "a refused export wrote $T/out/p.png"
expect_fail 2 enl ana paper export "$id" --qr-png "$T/out/p.svg" --qr-svg "$T/out/sub/../p.svg"
contains "$ERR" "--qr-png and --qr-svg name the same file" "one name reached two ways"
expect_fail 2 sh -c 'cd "$1/out" && exec "$2" --home "$3" paper export "$4" --out p.txt --qr-svg "$1/out/p.txt"' \
    sh "$T" "$ENLACE" "$T/ana" "$id"
contains "$ERR" "--out and --qr-svg name the same file" "a relative and an absolute name"
echo "a page" >"$T/out/page.txt"
ln -s page.txt "$T/out/link.txt"
ln "$T/out/page.txt" "$T/out/hard.txt"
expect_fail 2 enl ana paper export "$id" --out "$T/out/page.txt" --qr-svg "$T/out/link.txt"
contains "$ERR" "name the same file" "a symbolic link to the other output"
expect_fail 2 enl ana paper export "$id" --out "$T/out/hard.txt" --qr-png "$T/out/page.txt"
contains "$ERR" "name the same file" "a hard link to the other output"
eq "$(cat "$T/out/page.txt")" "a page" "a file that a refused export named"
expect_fail 2 enl ana paper export "$id" --out - --qr-png -
contains "$ERR" "name the same file" "standard output twice"
ls -A "$T/out" | grep -q enlace-tmp && fail "a refused export left a temporary file"
# Different files in one folder are fine.
ok enl ana paper export "$id" --out "$T/out/p.txt" --qr-png "$T/out/p.png" --qr-svg "$T/out/p.svg"
head -n 1 "$T/out/p.txt" | grep -q '^ENLACE PAPER 1' || fail "the page: $(head -n 1 "$T/out/p.txt")"

step "paper export's files are private"
for f in p.txt p.png p.svg; do
    eq "$(stat -c %a "$T/out/$f")" 600 "the mode of paper export's $f"
done
# a file that was there is replaced (--force) by a private one
chmod 644 "$T/out/p.txt"
ok enl ana paper export "$id" --out "$T/out/p.txt" --force
eq "$(stat -c %a "$T/out/p.txt")" 600 "the mode of a page written over a readable one"

step "paper export and files save never replace a file without --force, nor the profile's"
# paper export replaced any file it was given, without a word: a page over
# precious.txt, or over the profile's own database (its keys and every
# message gone: every command then said only "profile database error").
echo "precious" >"$T/out/precious.txt"
for opt in --out --qr-png --qr-svg; do
    expect_fail 1 enl ana paper export "$id" "$opt" "$T/out/precious.txt"
    one_error_line "paper export $opt onto a file that exists"
    contains "$ERR" "precious.txt exists: choose another name, or --force to replace it" "paper export $opt onto a file that exists"
done
eq "$(cat "$T/out/precious.txt")" "precious" "a file paper export was refused"
cp "$T/ana/enlace.db" "$T/db.before"
for force in "" --force; do
    # shellcheck disable=SC2086
    expect_fail 1 enl ana paper export "$id" --out "$T/ana/enlace.db" $force
    contains "$ERR" "in the profile's own folder" "paper export onto the profile's database $force"
    # shellcheck disable=SC2086
    expect_fail 1 sh -c 'cd "$1" && exec "$2" --home . paper export "$3" --qr-svg new.svg $4' \
        sh "$T/ana" "$ENLACE" "$id" "$force"
    contains "$ERR" "in the profile's own folder" "paper export into the profile's folder, named relatively $force"
done
[ -e "$T/ana/new.svg" ] && fail "paper export wrote into the profile's folder"
cmp -s "$T/ana/enlace.db" "$T/db.before" || fail "a refused export changed the profile's database"
ok enl ana status
# files save --force, whose file would replace the database as well
ok enl ana send --file "$T/out/precious.txt" carmen
mkdrop drop
sync_drop ana drop
sync_drop carmen drop
"$ENLACE" --home "$T/carmen" files --json >"$T/files.json"
fid=$(sed -n 's/.*"id":"\([0-9a-f]*\)","direction":"in".*/\1/p' "$T/files.json")
[ -n "$fid" ] || fail "no incoming file at carmen: $(cat "$T/files.json")"
cp "$T/carmen/enlace.db" "$T/db.before"
expect_fail 1 enl carmen files save "$fid" --out "$T/carmen/enlace.db" --force
contains "$ERR" "in the profile's own folder" "files save --force onto the profile's database"
cmp -s "$T/carmen/enlace.db" "$T/db.before" || fail "a refused save changed the profile's database"
ok enl carmen status
ok enl carmen files save "$fid" --out "$T/out/saved.txt"
eq "$(cat "$T/out/saved.txt")" "precious" "the file, saved elsewhere"

step "send --file: the path's control characters are not printed raw"
esc=$(printf '\033')
rlo=$(printf '\342\200\256')
name=$(printf 'a\033[2Jb\nenlace: sealed\342\200\256gpj.exe')
printf 'file content\n' >"$T/$name"
ok enl ana send --file "$T/$name" carmen
grep -q "$esc" "$OUT" && fail "send --file printed an escape character: $(od -c "$OUT" | head -5)"
grep -q "$rlo" "$OUT" && fail "send --file printed a right-to-left override"
grep -q '^enlace: sealed' "$OUT" && fail "a newline in the path started a line of its own"
contains "$OUT" "a?[2Jb" "the escape shown as ?"
contains "$OUT" "file id" "the rest of the line"

finish
