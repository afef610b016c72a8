# Cell invitations from one contact, more than may wait: a sync and a paper
# import say why the one too many is refused (not "the store is full
# (quota reached)", as both did), a declined
# cell's later notes are dropped without a warning at every sync, and an
# invitation whose members removed this device goes away by itself.
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile dora
mkprofile carmen
introduce ana dora
introduce ana carmen
mkdrop drop

step "ana invites dora to 17 cells: 16 wait, the 17th is refused with its reason"
i=1
while [ $i -le 17 ]; do
    ok enl ana cell create "c$i" --admit 1 >/dev/null
    ok enl ana cell add "c$i" dora >/dev/null
    i=$((i + 1))
done
ok enl ana paper export --out "$T/page.txt"
sync_drop ana drop
sync_drop dora drop
contains "$OUT" "16 new invitations to join a cell: enlace cell list"
contains "$ERR" "a cell invitation is refused: 16 wait already"
lacks "$ERR" "quota reached"
run enl dora paper import "$T/page.txt"
contains "$ERR" "a cell invitation is refused: 16 wait already"
lacks "$ERR" "the store is full"
ok enl dora status --json
eq "$(json_num invitations)" 16 "invitations waiting"
eq "$(json_num outgoing)" 0 "notes dora sealed for invitations"

step "one declined: the refused one comes in at the next sync"
ok enl dora cell list --json
declined=$(sed -n 's/.*"name":"\(c[0-9]*\)".*"invited":true.*/\1/p' "$OUT" | head -n 1)
[ -n "$declined" ] || die "no invitation listed: $(cat "$OUT")"
ok enl dora cell decline "$declined"
sync_drop dora drop
lacks "$ERR" "invitation is refused"
contains "$OUT" "1 new invitation to join a cell"
sync_drop dora drop
contains "$OUT" "16 invitations to join a cell wait: enlace cell list"
ok enl dora status --json
eq "$(json_num invitations)" 16 "invitations waiting after one declined and one more came"

step "the declined cell goes on: its notes for dora are dropped, with no warning"
ok enl ana cell add "$declined" carmen
sync_drop ana drop
sync_drop dora drop
lacks "$ERR" "skipped"
sync_drop dora drop
lacks "$ERR" "skipped"
ok enl dora cell list --json
lacks "$OUT" "\"name\":\"$declined\""

step "removed before she joined: the invitation goes away"
ok enl dora cell list --json
gone=$(sed -n 's/.*"name":"\(c[0-9]*\)".*"invited":true.*/\1/p' "$OUT" | head -n 1)
[ -n "$gone" ] || die "no invitation listed: $(cat "$OUT")"
ok enl ana cell remove "$gone" dora
sync_drop ana drop
sync_drop dora drop
ok enl dora cell list --json
lacks "$OUT" "\"name\":\"$gone\""
ok enl dora status --json
eq "$(json_num invitations)" 15 "invitations waiting after one removed dora"

step "an invitation that arrives at a listener is named there"
mkprofile eva
introduce ana eva
ok enl ana cell create radio --admit 1
ok enl ana cell add radio eva
listen_bg eva --once
ok enl ana sync "tcp://eva@127.0.0.1:$PORT"
wait_pid "$LPID"
eq "$?" 0 "eva's listen --once"
contains "$T/log/listen.out" "1 new invitation to join a cell: enlace cell list" "eva's listener"
finish
