#!/bin/sh
# A dead drop planted with junk: each file that is not enlace's is skipped
# with a warning and counted, but a sync prints at most 50 warnings and then
# says how many more there were, so a drop stuffed with thousands of files
# does not bury the summary under thousands of lines.
. "$(dirname "$0")/lib.sh"

step "a drop with 70 junk files and one real note"
mkprofile ana
mkprofile beto
introduce ana beto
mkdrop d
ok enl ana send beto "the leaflet is ready"
sync_drop ana d
i=0
while [ "$i" -lt 70 ]; do
    printf 'junk %s\n' "$i" > "$T/d/junk-$i.txt"
    i=$((i + 1))
done

step "beto syncs: 50 warnings, then how many more"
sync_drop beto d
eq "$(sync_new)" 1 "beto's sync: new messages"
eq "$(sync_skipped)" 70 "beto's sync: skipped (every junk file counted)"
eq "$(grep -c '^enlace: warning: ' "$ERR")" 51 "warning lines (50 shown, then one line for the rest)"
contains "$ERR" "20 more warnings not shown" "the line for the warnings not shown"
finish
