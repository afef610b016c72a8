#!/bin/sh
# A dead drop that cannot be written (a write-protected card, a read-only
# mount) is read all the same: beto takes ana's message from it, nothing
# is written to it or removed from it, and what beto has to leave (the
# purge of ana's note, his answer) goes with his next sync of a drop that
# can be written.
. "$(dirname "$0")/lib.sh"

# read_only_sync PROFILE DROP: `sync` of DROP seen read-only. As a user,
# the folder's write permission is taken away; as root (whom permissions
# do not stop) the folder is mounted read-only over itself, in a mount
# namespace of the sync's own.
read_only_sync() {
    if [ "$(id -u)" -ne 0 ]; then
        chmod a-w "$T/$2"
        ok enl "$1" sync "$T/$2"
        chmod u+w "$T/$2"
    else
        ok unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" &&
                             shift && exec "$@"' sh "$T/$2" "$ENLACE" --home "$T/$1" sync "$T/$2"
    fi
}

# Whether this machine can show a folder read-only to the sync at all.
if [ "$(id -u)" -eq 0 ] && ! unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1"' \
        sh "$T" 2>/dev/null; then
    echo "skipped: no mount namespace here to make a read-only folder (test_drop_read_only covers it)"
    finish
fi

step "ana leaves a message in the drop"
mkprofile ana
mkprofile beto
introduce ana beto
mkdrop d
ok enl ana send beto "the leaflet is ready"
sync_drop ana d
eq "$(notes_in d)" 1 "notes in d after ana's sync"
ok enl beto send ana "seen, thanks"
before=$(tree_digest "$T/d")

step "beto reads the drop read-only"
read_only_sync beto d
eq "$(sync_new)" 1 "beto's read-only sync: new messages"
eq "$(sync_sent)" 0 "beto's read-only sync: notes sent"
contains "$OUT" "cannot be written (read-only)" "the sync says the drop is read-only"
eq "$(tree_digest "$T/d")" "$before" "the drop after the read-only sync (unchanged)"
ok enl beto inbox
contains "$OUT" "the leaflet is ready" "beto's inbox"

step "the drop writable again: what waited leaves"
sync_drop beto d
eq "$(sync_sent)" 1 "beto's next sync: notes sent"
lacks "$OUT" "read-only" "the next sync's summary"
contains "$OUT" "purges 1 sent" "the purge of ana's note"
sync_drop ana d
eq "$(sync_new)" 1 "ana's sync: beto's answer"
finish
