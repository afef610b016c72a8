#!/bin/sh
# A full disk: a profile, a dead drop and a saved file's folder on a small
# tmpfs, filled up at each step. A profile that could not be opened or made
# there said only "profile database error", which reads as damage (and
# invites a wipe): it now says that its disk is full, and once room is made
# the same command works and nothing was lost. A sync to a full drop leaves
# nothing half-written under a note's name; a save to a full folder leaves
# nothing at all.
# Needs root (mount): otherwise, or when the mount fails, it says so and
# skips.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
    echo "skipped: disk_full needs root to mount a small tmpfs"
    exit 0
fi
SMALL=$T/small
mkdir "$SMALL"
if ! mount -t tmpfs -o size=4m tmpfs "$SMALL" 2>"$T/log/mount"; then
    echo "skipped: disk_full cannot mount a tmpfs: $(cat "$T/log/mount")"
    exit 0
fi
trap '_rc=$?; umount "$SMALL" 2>/dev/null; (exit $_rc); cleanup' EXIT

# fill KIB: leave about KIB KiB free on $SMALL; unfill: make room again.
fill() {
    rm -f "$SMALL/filler"
    _avail=$(df -Pk "$SMALL" | awk 'NR == 2 { print $4 }')
    [ "$_avail" -gt "$1" ] &&
        dd if=/dev/zero of="$SMALL/filler" bs=1024 count=$((_avail - $1)) 2>/dev/null
    return 0
}
unfill() { rm -f "$SMALL/filler"; }

step "init on a full disk says so; with room, init works"
fill 0
expect_fail 1 "$ENLACE" --home "$SMALL/ana" init --name ana --kdf interactive
contains "$ERR" "its disk is full"
lacks "$ERR" "profile database error"
unfill
ok "$ENLACE" --home "$SMALL/ana" init --name ana --kdf interactive
mkprofile beto
_card=$(card_of beto)
ok "$ENLACE" --home "$SMALL/ana" contact add --name beto "$_card" || die "ana cannot add beto"
_card=$("$ENLACE" --home "$SMALL/ana" card) || die "no card of ana"
ok enl beto contact add --name ana "$_card" || die "beto cannot add ana"
ok enl beto send ana "the press is at the back"
mkdrop drop
ok enl beto sync "$T/drop"
ok "$ENLACE" --home "$SMALL/ana" sync "$T/drop"

step "a profile on a full disk: it says the disk is full, not that it is damaged"
fill 0
expect_fail 1 "$ENLACE" --home "$SMALL/ana" inbox
contains "$ERR" "its disk is full"
contains "$ERR" "free some room on it, then try again"
lacks "$ERR" "profile database error"
unfill
ok "$ENLACE" --home "$SMALL/ana" inbox
contains "$OUT" "the press is at the back"
ok "$ENLACE" --home "$SMALL/ana" contact list
contains "$OUT" "beto"

step "a sync to a full dead drop leaves nothing half-written under a note's name"
mkdir "$SMALL/drop"
head -c 1000000 /dev/urandom >"$T/tape.bin"
ok enl beto send --file "$T/tape.bin" ana
fill 300
expect_fail 1 enl beto sync "$SMALL/drop"
contains "$ERR" "full"
unfill
ls -A "$SMALL/drop" | grep -v '[.]note$' >"$T/log/odd" && fail "left in the drop: $(cat "$T/log/odd")"
# what is there is whole: ana takes every note, and skips none
ok "$ENLACE" --home "$SMALL/ana" sync "$SMALL/drop"
eq "$(sync_skipped)" 0 "notes ana skipped in the drop a full sync left"
ok enl beto sync "$SMALL/drop"
ok "$ENLACE" --home "$SMALL/ana" sync "$SMALL/drop"
eq "$(sync_skipped)" 0 "notes ana skipped"
rm -rf "$SMALL/drop"

step "a save to a full folder leaves nothing, and works once there is room"
run "$ENLACE" --home "$SMALL/ana" files --json
contains "$OUT" '"state":"complete"'
_id=$(json_str id)
mkdir "$SMALL/out"
fill 100
expect_fail 1 "$ENLACE" --home "$SMALL/ana" files save "${_id:-none}" --out "$SMALL/out/tape.bin"
contains "$ERR" "No space left"
unfill
eq "$(ls -A "$SMALL/out")" "" "the folder a full save left"
ok "$ENLACE" --home "$SMALL/ana" files save "${_id:-none}" --out "$SMALL/out/tape.bin"
cmp -s "$T/tape.bin" "$SMALL/out/tape.bin" || fail "the saved file differs from the one sent"
