#!/bin/sh
# The README and `enlace COMMAND --help` tell the same options: every option
# in a command's usage is named in the README's section on that command (a
# "### `enlace CMD ...`" heading), so that a user who reads the README
# learns every option the program takes (cell send --disappear was missing).
. "$(dirname "$0")/lib.sh"

README=$(cd "$(dirname "$0")/../.." && pwd)/README.md
[ -r "$README" ] || die "no README at $README"

# The commands of the table, from `enlace help`.
cmds=$("$ENLACE" help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p')
[ -n "$cmds" ] || die "enlace help lists no commands"

for cmd in $cmds; do
    [ "$cmd" = help ] && continue
    [ "$cmd" = version ] && continue
    # The README sections whose heading names this command, first word of a
    # code span after "enlace " (or alone, as in `questions`, `answer`).
    awk -v cmd="$cmd" '
        /^### / {
            keep = 0
            line = $0
            while (match(line, /`[^`]*`/)) {
                span = substr(line, RSTART + 1, RLENGTH - 2)
                line = substr(line, RSTART + RLENGTH)
                sub(/^enlace /, "", span)
                split(span, w, " ")
                if (w[1] == cmd) keep = 1
            }
        }
        /^## / && !/^### / { keep = 0 }
        keep { print }
    ' "$README" >"$T/section"
    if [ ! -s "$T/section" ]; then
        fail "README has no section on 'enlace $cmd' (a ### heading naming it)"
        continue
    fi
    ok "$ENLACE" "$cmd" --help
    for opt in $(sed -n '/^usage:/,/^$/p' "$OUT" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        grep -qF -- "$opt" "$T/section" ||
            fail "'enlace $cmd --help' shows $opt, the README's section on $cmd does not"
    done
done
