# Introductions and inquiries, through one dead drop every device syncs
# with in turn. ana introduces beto and carmen: beto accepts (carmen becomes
# his contact "introduced by ana"), carmen declines (beto does not become
# hers). dora asks her verified contacts about eli's key: ana vouches, beto
# does not know it, fer (a contact dora never verified) is never asked; the
# answers come back signed, and a vouch for an unknown key is refused.
. "$(dirname "$0")/lib.sh"

for x in ana beto carmen dora eli fer; do mkprofile $x; done
introduce ana beto
introduce ana carmen
mkdrop drop

round() {
    for _i in 1 2; do
        for _p in ana beto carmen dora eli fer; do sync_drop "$_p" drop; done
    done
}

step "refusals: an introduction to oneself, of a burned contact, of a stranger"
expect_fail 1 enl ana introduce beto beto
contains "$ERR" "same person"
expect_fail 1 enl ana introduce beto nadie
contains "$ERR" "no contact"
add_contact ana fer
ok enl ana burn fer --reason "phone taken"
expect_fail 1 enl ana introduce beto fer
contains "$ERR" "burned"

step "ana introduces beto and carmen, with a note"
ok enl ana introduce beto carmen --note "knows the kitchen"
contains "$OUT" "introduced beto and carmen"
sync_drop ana drop
sync_drop beto drop
contains "$OUT" "1 new introduction: enlace introductions"
round
ok enl beto introductions
contains "$OUT" "ana introduces carmen"
contains "$OUT" "knows the kitchen"
ok enl beto introductions --json
eq "$(json_str introducer)" ana "introducer in beto's list"
eq "$(json_str name)" carmen "introduced name in beto's list"
bid=$(json_str id)
cfp=$(json_str fingerprint)
ok enl carmen introductions --json
eq "$(json_str name)" beto "introduced name in carmen's list"
cid=$(json_str id)
[ -n "$bid" ] && [ -n "$cid" ] || die "no introduction ids (beto: '$bid', carmen: '$cid')"

step "beto accepts: carmen is his contact, introduced by ana"
ok enl beto introductions accept "$bid"
contains "$OUT" "introduced by ana"
ok enl beto contact list
contains "$OUT" "carmen"
contains "$OUT" "(introduced by ana)"
ok enl beto contact list --json
grep -q '"name":"carmen".*"via":"introduced by ana"' "$OUT" || fail "beto's carmen is not marked via ana: $(cat "$OUT")"
grep '"name":"carmen"' "$OUT" | grep -q "\"fingerprint\":\"$cfp\"" || fail "carmen's fingerprint differs from the introduced one"
ok enl beto introductions
contains "$OUT" "no pending introductions"
expect_fail 1 enl beto introductions accept "$bid"
contains "$ERR" "no pending introduction"

step "carmen declines: beto is not her contact"
ok enl carmen introductions decline "$cid"
ok enl carmen contact list
lacks "$OUT" "beto"
ok enl carmen introductions
contains "$OUT" "no pending introductions"

step "an introduction of a key already held is refused on accept"
ok enl ana introduce beto carmen
round
ok enl beto introductions --json
contains "$OUT" '"known_as":"carmen"'
again=$(json_str id)
expect_fail 1 enl beto introductions accept "$again"
contains "$ERR" "already your contact"
ok enl beto introductions decline "$again"
ok enl carmen introductions --json
ok enl carmen introductions decline "$(json_str id)"

step "an introduction from someone who is not a contact is read and dropped"
add_contact dora carmen
add_contact dora beto
ok enl dora introduce carmen beto
round
ok enl carmen introductions
contains "$OUT" "no pending introductions"

step "dora asks her verified contacts about eli; fer is a contact she never verified"
introduce dora ana
introduce dora beto
introduce dora fer
add_contact ana eli
ok enl dora contact verify ana
ok enl dora contact verify beto
elicard=$(card_of eli)
ok enl dora ask "$elicard" --note "says she runs the print shop"
contains "$OUT" "asked 2 verified contacts"
expect_fail 1 enl fer ask "$elicard"
contains "$ERR" "no verified contact"
sync_drop dora drop
sync_drop ana drop
contains "$OUT" "1 new question from contacts: enlace questions"
round
ok enl ana questions --json
eq "$(json_str asker)" dora "asker in ana's questions"
eq "$(json_str known_as)" eli "ana knows eli"
eq "$(json_bool verified)" false "ana has not verified eli"
qa=$(json_str id)
ok enl ana questions
contains "$OUT" "says she runs the print shop"
ok enl beto questions --json
eq "$(json_str known_as)" "" "beto does not know eli"
qb=$(json_str id)
eq "$qa" "$qb" "the same inquiry id at ana and beto"
ok enl fer questions
contains "$OUT" "no questions"
ok enl carmen questions
contains "$OUT" "no questions"

step "beto cannot vouch for a key he does not hold; ana vouches, beto does not know it"
expect_fail 1 enl beto answer "$qb" --vouch
contains "$ERR" "cannot vouch"
expect_fail 2 enl beto answer "$qb"
expect_fail 2 enl beto answer "$qb" --vouch --unknown
ok enl ana answer "$qa" --vouch
contains "$OUT" "vouch"
ok enl beto answer "$qb" --unknown
ok enl ana questions --json
eq "$(json_str answered)" vouch "ana's question marked answered"
sync_drop ana drop
sync_drop beto drop
sync_drop dora drop
contains "$OUT" "2 new answers to your questions: enlace answers"
round
ok enl dora answers
contains "$OUT" "ana: vouch"
contains "$OUT" "beto: unknown"
ok enl dora answers --json
eq "$(lines "$OUT")" 2 "two answers at dora"
grep -q '"from":"ana","verdict":"vouch"' "$OUT" || fail "no vouch from ana: $(cat "$OUT")"
grep -q '"from":"beto","verdict":"unknown"' "$OUT" || fail "no unknown from beto: $(cat "$OUT")"
elifp=$(enl ana contact list --json | grep '"name":"eli"' | sed 's/.*"fingerprint":"\([^"]*\)".*/\1/')
contains "$OUT" "$elifp"

step "an answer given again is said changed, not new; the same answer again is not said"
ok enl ana answer "$qa" --unknown
sync_drop ana drop
sync_drop dora drop
contains "$OUT" "1 answer to your questions changed (the same contact answered again): enlace answers"
lacks "$OUT" "new answer"
ok enl dora answers --json
eq "$(lines "$OUT")" 2 "answers at dora after ana answered again"
grep -q '"from":"ana","verdict":"unknown"' "$OUT" || fail "ana's answer not replaced: $(cat "$OUT")"
ok enl ana answer "$qa" --unknown
sync_drop ana drop
sync_drop dora drop
contains "$OUT" "received 1 note," "dora's sync (the same answer again arrived)"
lacks "$OUT" "answer" "dora's sync (the same answer again)"

step "asking by fingerprint reaches the same key; --warn carries its text"
ok enl dora ask "$elifp"
round
ok enl ana questions --json
grep "\"fingerprint\":\"$elifp\"" "$OUT" | grep -q '"answered":""' || fail "no unanswered question about eli's fingerprint at ana"
qa2=$(grep '"answered":""' "$OUT" | json_str id /dev/stdin)
ok enl ana answer "$qa2" --warn "her card came from a seized phone"
round
ok enl dora answers
contains "$OUT" 'ana: warn "her card came from a seized phone"'

step "a fingerprint may be given unquoted, as it is printed (like bulletin follow)"
# shellcheck disable=SC2086
ok enl dora ask $elifp
contains "$OUT" "asked 2 verified contacts"
# two words that are not a fingerprint are still wrong usage
expect_fail 2 enl dora ask "$elicard" extra

finish
