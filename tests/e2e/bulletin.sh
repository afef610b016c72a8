#!/bin/sh
# Bulletins: ana publishes a signed leaflet; beto and dora, who do not follow
# her, relay it through dead drops and a TCP link without seeing it; carmen
# follows ana by card and reads it, then carries it on; elena follows by
# fingerprint and reads the copy carmen relayed. Forgeries (a flipped byte,
# the right author key with a wrong signature, another author's keys) are
# refused and not carried by followers. Unfollowing hides ana again; the
# 17th bulletin of a day is refused.
. "$(dirname "$0")/lib.sh"

FORGE=$(dirname "$ENLACE")/tests/helpers/forge_bulletin
[ -x "$FORGE" ] || die "$FORGE is missing (make $(dirname "$ENLACE")/tests/helpers/forge_bulletin)"
TEXT='the march is on friday, 10:00, plaza'

step "profiles; nobody needs to be anyone's contact to follow"
for who in ana beto carmen dora elena; do mkprofile "$who"; done
introduce dora carmen            # only for the TCP hop
for d in d1 d2 d3 bad; do mkdrop "$d"; done
ana_fp=$(status_of ana fingerprint >/dev/null; json_str fingerprint "$T/log/status")
[ -n "$ana_fp" ] || die "no fingerprint for ana"
ana_card=$(card_of ana)

step "ana publishes"
ok enl ana bulletin publish --channel news "$TEXT"
contains "$OUT" "published a bulletin" "publish output"
contains "$OUT" "$ana_fp" "publish output names the fingerprint to follow"
expect_status ana notes 1
expect_status ana outgoing 0
expect_status ana bulletins 1
ok enl ana bulletins --json
eq "$(json_bool mine)" true "ana's own bulletin is marked mine"
eq "$(json_str text)" "$TEXT" "ana's own bulletin text"
expect_fail 2 enl ana bulletin publish --expire 721 "too long"

step "ana -> d1 -> beto -> d2 -> dora: relayed by people who do not follow ana"
sync_drop ana d1
eq "$(notes_in d1)" 1 "notes in d1"
id=$(ls "$T/d1" | sed -n 's/\.note$//p')
eq "$(wc -c <"$T/d1/$id.note" | tr -d ' ')" 256 "a short bulletin is a 256-byte note, like a short message"
sync_drop beto d1
eq "$(sync_received)" 1 "beto receives the note"
eq "$(sync_new)" 0 "beto: no new message"
lacks "$OUT" "new bulletin" "beto's sync summary"
sync_drop beto d2
sync_drop dora d2
eq "$(sync_received)" 1 "dora receives the note"
for who in beto dora; do
    expect_status "$who" notes 1
    expect_status "$who" bulletins 0
    ok enl "$who" bulletins --json
    eq "$(lines "$OUT")" 0 "$who's bulletins --json"
    ok enl "$who" bulletins
    lacks "$OUT" "$TEXT" "$who's bulletins"
    ok enl "$who" inbox --json
    eq "$(lines "$OUT")" 0 "$who's inbox"
done
grep -qaF "march" "$T/d1/$id.note" && fail "the bulletin's text is in the clear in the note"

step "carmen follows ana by card and syncs with dora over TCP"
ok enl carmen bulletin follow "$ana_card"
contains "$OUT" "following ana" "follow by card names the author"
contains "$OUT" "$ana_fp" "follow by card prints the fingerprint"
expect_status carmen follows 1
expect_fail 1 enl carmen bulletin follow "$ana_card"
contains "$ERR" "already following"
listen_bg dora --once
ok enl carmen sync "tcp://dora@127.0.0.1:$PORT"
wait_pid "$LPID" || fail "dora's listener did not end well"
eq "$(sync_received)" 1 "carmen receives the note over TCP"
contains "$OUT" "1 new bulletin" "carmen's sync summary"
ok enl carmen bulletins
contains "$OUT" "$TEXT" "carmen's bulletins"
contains "$OUT" "ana (not a contact: $ana_fp) #news" "carmen's bulletins: author (a card's name, with its fingerprint) and channel"
ok enl carmen bulletins --json
eq "$(lines "$OUT")" 1 "carmen's bulletins --json"
eq "$(json_str author)" ana "bulletins --json: author"
eq "$(json_bool contact)" false "bulletins --json: contact"
eq "$(json_str fingerprint)" "$ana_fp" "bulletins --json: fingerprint"
eq "$(json_str channel)" news "bulletins --json: channel"
eq "$(json_str text)" "$TEXT" "bulletins --json: text"
eq "$(json_str id)" "$id" "bulletins --json: id"
eq "$(json_bool mine)" false "bulletins --json: mine"
if command -v jq >/dev/null 2>&1; then
    jq -e . "$OUT" >/dev/null 2>&1 || fail "bulletins --json is not valid JSON: $(cat "$OUT")"
fi
ok enl carmen bulletins --channel other
lacks "$OUT" "$TEXT" "carmen's bulletins of another channel"
expect_status carmen notes 1
expect_status carmen bulletins 1
expect_status carmen purges 0
ok enl carmen inbox --json
eq "$(lines "$OUT")" 0 "a bulletin is not a message"

step "read once: syncing it again shows nothing new"
sync_drop carmen d2
eq "$(sync_received)" 0 "carmen syncing d2 (holds the note already)"
lacks "$OUT" "new bulletin" "carmen's second sync"
eq "$(notes_in d2)" 1 "the note stays in d2: nobody purges a bulletin"

step "carmen relays it onward to d3; elena reads it there, following by fingerprint"
sync_drop carmen d3
eq "$(sync_sent)" 1 "carmen leaves the note in d3"
cmp -s "$T/d1/$id.note" "$T/d3/$id.note" || fail "the note carmen relayed differs from ana's"
sync_drop elena d3
eq "$(sync_received)" 1 "elena picks the note up"
ok enl elena bulletins --json
eq "$(lines "$OUT")" 0 "elena does not follow ana yet"
ok enl elena bulletin follow $ana_fp        # unquoted: 8 words, as people type it
contains "$OUT" "1 bulletin of theirs already carried here" "follow by fingerprint reads what is carried"
ok enl elena bulletins
contains "$OUT" "$TEXT" "elena's bulletins"
contains "$OUT" "$ana_fp" "elena knows ana by fingerprint only"
eq "$(notes_in d3)" 1 "the note stays in d3 after elena read it"
sync_drop elena d3
eq "$(sync_received)" 0 "elena's second sync of d3"
expect_status elena bulletins 1

step "a mistyped fingerprint: followed, but said to be close to a contact's"
# fingerprints carry no checksum: two characters off carmen's is someone
# else, most likely no one, and dora (carmen's contact) is told so
carmen_fp=$(status_of carmen fingerprint >/dev/null; json_str fingerprint "$T/log/status")
other() { [ "$1" = z ] && echo y || echo z; }
typo="$(other "$(echo "$carmen_fp" | cut -c1)")$(echo "$carmen_fp" | cut -c2-5)"
typo="$typo$(other "$(echo "$carmen_fp" | cut -c6)")$(echo "$carmen_fp" | cut -c7-)"
ok enl dora bulletin follow "$typo"
contains "$OUT" "following $typo"
contains "$ERR" "warning: no contact has this fingerprint, and it differs from carmen's in 2 places"
contains "$ERR" "if you meant carmen, it is mistyped"
ok enl dora bulletin unfollow "$typo"
ok enl dora bulletin follow "$carmen_fp"
contains "$OUT" "following carmen"
lacks "$ERR" "warning"
# a stranger's (ana is no contact of dora's): nothing to warn of
ok enl dora bulletin follow "$ana_fp"
lacks "$ERR" "warning"
# not a fingerprint at all: what is wrong, and what one looks like
expect_fail 1 enl dora bulletin follow "$(echo "$carmen_fp" | cut -c2-)"
contains "$ERR" "it has 31 characters (1 off carmen's fingerprint: a typo?)"
contains "$ERR" "a fingerprint is 32 letters and digits in 8 groups of 4"
expect_fail 1 enl dora bulletin follow "$carmen_fp!"
contains "$ERR" "no fingerprint holds '!'"
ok enl dora bulletin unfollow "$carmen_fp"
ok enl dora bulletin unfollow "$ana_fp"

step "forgeries are refused by followers and not carried on"
# A byte flipped inside the ciphertext, the file renamed to match its new content.
cp "$T/d1/$id.note" "$T/log/flip.note"
flip_byte "$T/log/flip.note" 120
cp "$T/log/flip.note" "$T/bad/$(b2id "$T/log/flip.note").note"
# The right author key, ana's keys named inside, a signature by another key.
ok "$FORGE" wrong-signature "$ana_card" "$T/bad"
wrong=$(cat "$OUT")
# The right author key, a real signature, but by someone who is not ana.
ok "$FORGE" other-author "$ana_card" "$T/bad"
other=$(cat "$OUT")
eq "$(notes_in bad)" 3 "forged notes in the drop"
ok enl carmen sync "$T/bad"
eq "$(sync_skipped)" 3 "carmen skips the three forgeries"
lacks "$OUT" "new bulletin" "carmen's sync of the forgeries"
contains "$ERR" "$wrong" "a warning names the forged note"
contains "$ERR" "signature" "the warning says why"
ok enl carmen bulletins --json
eq "$(lines "$OUT")" 1 "carmen still shows only ana's bulletin"
lacks "$OUT" "cancelled" "carmen's bulletins after the forgeries"
expect_status carmen notes 1
mkdrop onward
sync_drop carmen onward
eq "$(notes_in onward)" 1 "carmen carries on only the real bulletin"
[ -f "$T/onward/$other.note" ] && fail "carmen carried the other author's forgery on"
[ -f "$T/onward/$wrong.note" ] && fail "carmen carried the forgery on"
# One who does not follow ana cannot tell: she carries them as any note.
ok enl beto sync "$T/bad"
eq "$(sync_received)" 3 "beto (not a follower) carries the three notes he cannot check"
ok enl beto bulletins --json
eq "$(lines "$OUT")" 0 "beto shows no bulletin"

step "unfollow"
expect_fail 1 enl beto bulletin unfollow "$ana_fp"
contains "$ERR" "not following"
ok enl carmen bulletin unfollow "$ana_fp"
ok enl carmen bulletins --json
eq "$(lines "$OUT")" 0 "carmen's bulletins after unfollowing"
expect_status carmen follows 0
expect_status carmen notes 1
ok enl carmen bulletin follow "$ana_fp"
contains "$OUT" "1 bulletin of theirs already carried here" "following again reads it again"

step "a stranger who calls themselves ana cannot pass for her"
# carmen now holds ana as a contact: ana's bulletins show the name carmen
# gave her. An impostor's card says "ana" too; its bulletins show that name
# with its own fingerprint, and a line break in its text cannot print a
# line that looks like ana's.
add_contact carmen ana
ok enl impostor init --name ana --kdf interactive
ok enl carmen bulletin follow "$(card_of impostor)"
FAKE="see you there
[2026-11-26 10:00] ana #news: CANCELLED, the march moved to the police station square"
ok enl impostor bulletin publish --channel news "$FAKE"
# a right-to-left override would reorder the rest of the line on screen
ok enl impostor bulletin publish --channel news "$(printf 'meet at gate \342\200\256 7 gnivael')"
mkdrop d9
sync_drop impostor d9
sync_drop carmen d9
ok enl carmen bulletins
grep -q "^\[.*\] ana #news: $TEXT" "$OUT" || fail "ana's bulletin is not shown under the contact's name: $(cat "$OUT")"
grep -q "^\[.*\] ana (not a contact: [0-9a-z ]*) #news: see you there" "$OUT" ||
    fail "the impostor's bulletin is not marked with its fingerprint: $(cat "$OUT")"
grep -q "^\[.*CANCELLED" "$OUT" && fail "the impostor's text printed a line that looks like a bulletin: $(cat "$OUT")"
contains "$OUT" "    | [2026-11-26 10:00] ana #news: CANCELLED" "the impostor's second line, marked as part of its bulletin"
contains "$OUT" "meet at gate ? 7 gnivael" "a direction override, shown as '?'"

step "wrong input"
expect_fail 1 enl carmen bulletin follow "ms1x dcxv"
one_error_line "a short fingerprint"
expect_fail 1 enl carmen bulletin follow "$(tamper_card "$ana_card" 40)"
one_error_line "a tampered card"
contains "$ERR" "card refused"
expect_fail 1 enl ana bulletin follow "$ana_fp"
contains "$ERR" "your own"
expect_fail 2 enl ana bulletin frobnicate
expect_fail 2 enl ana bulletin follow

step "sixteen bulletins a day, then the next day"
mkprofile fred
# fred at a fixed time: noon today (UTC), so the test never straddles midnight
noon=$(( ($(date +%s) / 86400) * 86400 + 43200 ))
fred_at() { _t=$1; shift; env ENLACE_NOW="$_t" "$ENLACE" --home "$T/fred" "$@"; }
i=0
while [ $i -lt 16 ]; do
    ok fred_at "$noon" bulletin publish "bulletin $i" || break
    i=$((i + 1))
done
expect_fail 1 fred_at "$noon" bulletin publish "one too many"
contains "$ERR" "16 bulletins were published today"
one_error_line "the 17th bulletin"
ok fred_at $((noon + 86400)) bulletin publish "the next day"
expect_fail 1 fred_at "$noon" bulletin publish "clock set back"
contains "$ERR" "clock is behind"
ok fred_at $((noon + 86400)) status --json
eq "$(json_num notes)" 17 "fred holds his 17 bulletins to relay"

step "a bulletin from stdin is the text, not its line end (as with send)"
mkprofile gil
echo "two lines
from stdin" >"$T/stdin.txt"
ok enl gil bulletin publish <"$T/stdin.txt"
ok enl gil bulletins --json
contains "$OUT" '"text":"two lines\nfrom stdin",' "the bulletin read from stdin"
ok enl gil bulletins
eq "$(grep -c '^    | $' "$OUT")" 0 "empty continuation lines in the bulletins"
eq "$(lines "$OUT")" 2 "lines of a two-line bulletin"
head -c 61440 /dev/zero | tr '\0' a >"$T/max.txt"
echo >>"$T/max.txt"
ok enl gil bulletin publish - <"$T/max.txt"

step "an empty bulletin is refused, as an empty message is"
expect_fail 1 enl gil bulletin publish ""
contains "$ERR" "the bulletin is empty" "an empty bulletin's refusal"
expect_fail 1 enl gil bulletin publish </dev/null
printf '\n' >"$T/newline.txt"
expect_fail 1 enl gil bulletin publish - <"$T/newline.txt"
expect_fail 2 enl gil bulletin publish --channel "" "no channel name"
contains "$ERR" "--channel needs a name" "an empty channel's refusal"
ok enl gil bulletins --json
eq "$(lines "$OUT")" 2 "gil's bulletins after the refusals"

finish
