#!/bin/sh
# Replays: a note put back into a dead drop after delivery is not delivered
# again and is deleted from the drop; the same note through three drops is
# delivered once.
. "$(dirname "$0")/lib.sh"

TEXT='the lawyer comes on thursday'

mkprofile ana
mkprofile carmen
mkprofile visitor
introduce ana carmen
mkdrop d1

step "a first delivery"
ok enl ana send carmen "$TEXT"
sync_drop ana d1
note=$(ls "$T/d1" | grep '\.note$')
cp "$T/d1/$note" "$T/saved.note"
sync_drop carmen d1
eq "$(sync_new)" 1 "carmen's first sync: new messages"
eq "$(inbox_count carmen)" 1 "carmen's inbox"

step "a replayed dead drop"
mkdrop replay
cp "$T/saved.note" "$T/replay/$note"
sync_drop carmen replay
eq "$(sync_new)" 0 "carmen syncing the replayed drop: new messages"
eq "$(inbox_count carmen)" 1 "carmen's inbox after the replay"
eq "$(inbox_count carmen --new)" 0 "carmen's new messages after the replay"
[ -e "$T/replay/$note" ] && fail "the replayed note is still in the drop after carmen's sync"
expect_status carmen notes 0

step "a replay into a drop carmen already used"
cp "$T/saved.note" "$T/d1/$note"
sync_drop carmen d1
eq "$(sync_new)" 0 "carmen syncing d1 with the note put back: new messages"
[ -e "$T/d1/$note" ] && fail "the note put back in d1 is still there after carmen's sync"
eq "$(inbox_count carmen)" 1 "carmen's inbox after the second replay"

step "a courier that learnt the purge deletes a replayed copy too"
sync_drop visitor d1
cp "$T/saved.note" "$T/d1/$note"
sync_drop visitor d1
eq "$(sync_received)" 0 "the visitor syncing a replayed note it knows is purged: notes received"
[ -e "$T/d1/$note" ] && fail "the replayed note is still in d1 after the visitor's sync"
expect_status visitor notes 0

step "a replay after the sender learnt of the delivery"
sync_drop ana d1
expect_status ana outgoing 0
cp "$T/saved.note" "$T/d1/$note"
sync_drop ana d1
eq "$(sync_received)" 0 "ana syncing her own replayed note: notes received"
expect_status ana notes 0
expect_status ana outgoing 0

step "the same note through three drops"
ok enl ana send carmen "three ways"
mkdrop a
mkdrop b
mkdrop c
sync_drop ana a
sync_drop ana b
sync_drop ana c
eq "$(notes_in a)$(notes_in b)$(notes_in c)" 111 "notes in drops a, b, c"
sync_drop carmen b
eq "$(sync_new)" 1 "carmen syncing b: new messages"
sync_drop carmen a
eq "$(sync_new)" 0 "carmen syncing a: new messages"
sync_drop carmen c
eq "$(sync_new)" 0 "carmen syncing c: new messages"
eq "$(notes_in a)$(notes_in b)$(notes_in c)" 000 "notes left in drops a, b, c after carmen's syncs"
eq "$(inbox_count carmen)" 2 "carmen's inbox after three drops"
n=$(grep -c 'three ways' "$T/log/inbox")
eq "$n" 1 "copies of 'three ways' in carmen's inbox"

step "three couriers, one note"
ok enl ana send carmen "three couriers"
mkdrop e
sync_drop ana e
for v in v1 v2 v3; do
    mkprofile "$v"
    sync_drop "$v" e
done
for v in v1 v2 v3; do
    mkdrop "out-$v"
    sync_drop "$v" "out-$v"
    sync_drop carmen "out-$v"
done
eq "$(inbox_count carmen)" 3 "carmen's inbox after three couriers"
n=$(grep -c 'three couriers' "$T/log/inbox")
eq "$n" 1 "copies of 'three couriers' in carmen's inbox"
# And all three copies end up purged on the way back.
for v in v1 v2 v3; do
    sync_drop "$v" "out-$v"
    expect_status "$v" notes 0
done

finish
