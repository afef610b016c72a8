# Invitations full: mal, ana's contact, invites her to 17 cells of his
# own, one more than may wait. The one refused is named as a refused
# invitation, through a dead drop and on paper alike, never as a full store
# (both said "the store is full (quota reached)" before); after a decline
# it comes in.
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile mal
introduce ana mal
mkdrop drop

step "mal founds 17 cells and admits ana to each"
i=0
while [ $i -lt 17 ]; do
    ok enl mal cell create "c$i" --admit 1
    ok enl mal cell add "c$i" ana
    i=$((i + 1))
done
ok enl mal paper export --out "$T/page.txt"
sync_drop mal drop

step "from the dead drop: 16 wait, the 17th is refused as an invitation"
sync_drop ana drop
contains "$OUT" "16 new invitations to join a cell: enlace cell list"
contains "$ERR" "a cell invitation is refused: 16 wait already"
lacks "$ERR" "the store is full"
ok enl ana cell list --json
eq "$(grep -c '"invited":true' "$OUT")" 16 "invitations waiting"

step "from paper: the same words, and the page is not done with"
run enl ana paper import "$T/page.txt"
contains "$ERR" "a cell invitation is refused: 16 wait already"
lacks "$ERR" "the store is full"

step "one declined makes room: the refused one comes in at the next sync"
ok enl ana cell list --json
first=$(sed -n 's/^{"name":"\([^"]*\)".*"invited":true.*/\1/p' "$OUT" | head -n 1)
[ -n "$first" ] || die "no invitation to decline: $(cat "$OUT")"
ok enl ana cell decline "$first"
sync_drop ana drop
lacks "$ERR" "invitation is refused"
ok enl ana cell list --json
eq "$(grep -c '"invited":true' "$OUT")" 16 "invitations waiting after a decline and a sync"
finish
