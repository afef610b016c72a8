# A long burst from one sender before anything is read: 200 notes (more
# than the ratchet may skip in one step) through a courier and two dead
# drops all arrive, because every hop passes notes on in the order they
# came in and a drop is read in the order it was written.
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile carmen
mkprofile visitor
introduce ana carmen
mkdrop d1
mkdrop d2
i=1
while [ $i -le 200 ]; do
    enl ana send carmen "burst $i" >/dev/null || fail "send $i"
    i=$((i + 1))
done
sync_drop ana d1
sync_drop visitor d1
sync_drop visitor d2
sync_drop carmen d2
eq "$(sync_new)" 200 "messages delivered in one sync"
eq "$(sync_skipped)" 0 "notes skipped"
eq "$(inbox_count carmen)" 200 "carmen's messages"
finish
