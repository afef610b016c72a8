#!/bin/sh
# Temporary files in a dead drop (".enlace-tmp-*"): a sync stopped by
# SIGINT, SIGTERM or SIGHUP half way through writing a note removes its own
# before dying; a leftover older than two days (a sync killed outright, a
# stick pulled out) is removed by the next sync that can write the drop,
# and said once; a recent one may be another device's write in progress on
# a shared folder: no warning, not counted as skipped, left alone.
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile carmen
introduce ana carmen
ok enl ana send carmen "through the drop"

tmp_files() { ls -A "$T/$1" | grep -c '^\.enlace-tmp-' | tr -d ' '; }

for sig in INT:2 TERM:15 HUP:1; do
    num=${sig#*:}
    sig=${sig%:*}
    step "a sync stopped by SIG$sig half way through a write"
    mkdrop "sig$sig"
    # The hook raises the signal once half of the first file is written.
    run env ENLACE_TEST_SIGNAL_MID_WRITE="$num" "$ENLACE" --home "$T/ana" sync "$T/sig$sig"
    eq "$RC" $((128 + num)) "the sync stopped by SIG$sig: exit status (dies of the signal)"
    eq "$(tmp_files "sig$sig")" 0 "temporary files left by the sync stopped by SIG$sig"
    eq "$(notes_in "sig$sig")" 0 "notes in the drop after the sync stopped by SIG$sig"
    sync_drop ana "sig$sig"
    eq "$(sync_sent)" 1 "the next sync: notes sent"
    eq "$(sync_skipped)" 0 "the next sync: skipped"
    lacks "$ERR" "warning" "the next sync's warnings"
done

step "a sync under nohup is not stopped by the hangup it ignores"
# The handler that removes the temporary file used to replace SIG_IGN, so
# `nohup enlace sync DIR` died of the hangup it was meant to outlive.
mkdrop nohup
run env ENLACE_TEST_SIGNAL_MID_WRITE=1 nohup "$ENLACE" --home "$T/ana" sync "$T/nohup"
eq "$RC" 0 "a sync under nohup, hung up half way through a write: exit status"
eq "$(notes_in nohup)" 1 "notes in the drop after the sync under nohup"
eq "$(tmp_files nohup)" 0 "temporary files left by the sync under nohup"

step "leftovers two days old are removed, recent ones left alone without a word"
mkdrop shared
: >"$T/shared/.enlace-tmp-00000000000000a1"
head -c 65535 /dev/urandom >"$T/shared/.enlace-tmp-00000000000000a2"
touch -d '3 days ago' "$T/shared/.enlace-tmp-00000000000000a1" "$T/shared/.enlace-tmp-00000000000000a2"
head -c 1000 /dev/urandom >"$T/shared/.enlace-tmp-00000000000000b1"
touch -d '30 hours ago' "$T/shared/.enlace-tmp-00000000000000b1"   # a clock a day behind
head -c 1000 /dev/urandom >"$T/shared/.enlace-tmp-00000000000000b2"  # being written now
sync_drop ana shared
eq "$(sync_sent)" 1 "ana's sync next to leftovers: notes sent"
eq "$(sync_skipped)" 0 "ana's sync next to leftovers: skipped"
contains "$ERR" "removed 2 unfinished writes that interrupted syncs left" "the line for the removed leftovers"
lacks "$ERR" "00000000000000b" "warnings about writes that may be in progress"
[ -e "$T/shared/.enlace-tmp-00000000000000a1" ] && fail "a leftover three days old was not removed"
[ -e "$T/shared/.enlace-tmp-00000000000000a2" ] && fail "a partial note three days old was not removed"
[ -e "$T/shared/.enlace-tmp-00000000000000b1" ] || fail "a temporary file 30 hours old was removed"
[ -e "$T/shared/.enlace-tmp-00000000000000b2" ] || fail "a write in progress was removed"
sync_drop carmen shared
eq "$(sync_new)" 1 "carmen's sync next to recent temporary files: new messages"
eq "$(sync_skipped)" 0 "carmen's sync next to recent temporary files: skipped"
lacks "$ERR" "warning" "carmen's warnings"

step "a stale leftover that is no plain file stays, with a warning"
mkdrop odd
mkdir "$T/odd/.enlace-tmp-00000000000000c1"
touch -d '3 days ago' "$T/odd/.enlace-tmp-00000000000000c1"
sync_drop carmen odd
contains "$ERR" "skipped .enlace-tmp-00000000000000c1: not an enlace file" "the warning for a folder"
eq "$(sync_skipped)" 1 "a folder named like a temporary file: skipped"
[ -d "$T/odd/.enlace-tmp-00000000000000c1" ] || fail "a folder named like a temporary file was removed"

finish
