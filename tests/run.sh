#!/bin/sh
# Runs the unit test binaries given as arguments (cmocka) and every
# end-to-end script in tests/e2e, then prints one line: "N passed, N failed".
# ONLY=unit or ONLY=e2e restricts the run; E2E=pattern picks scripts.
set -u
BUILD=${BUILD:-build}
ONLY=${ONLY:-}
passed=0
failed=0
failures=""
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

if [ "$ONLY" != e2e ]; then
    for t in "$@"; do
        name=$(basename "$t")
        "$t" >"$log/$name.out" 2>&1
        rc=$?
        p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log/$name.out" | tail -n 1)
        f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log/$name.out" | tail -n 1)
        p=${p:-0}; f=${f:-0}
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed before reporting
        passed=$((passed + p)); failed=$((failed + f))
        if [ "$f" -ne 0 ]; then
            failures="$failures $name"
            echo "FAIL unit $name"; cat "$log/$name.out"
        else
            echo "ok   unit $name ($p)"
        fi
    done
fi

if [ "$ONLY" != unit ]; then
    ENLACE=$(cd "$(dirname "$BUILD/enlace")" && pwd)/enlace
    export ENLACE
    for s in tests/e2e/*.sh; do
        [ -f "$s" ] || continue
        case "$s" in */lib.sh) continue ;; esac
        if [ -n "${E2E:-}" ]; then case "$s" in *"$E2E"*) ;; *) continue ;; esac; fi
        name=$(basename "$s" .sh)
        if timeout 600 sh "$s" >"$log/$name.out" 2>&1; then
            passed=$((passed + 1)); echo "ok   e2e  $name"
        else
            failed=$((failed + 1)); failures="$failures $name"
            echo "FAIL e2e  $name"; tail -n 40 "$log/$name.out"
        fi
    done
fi

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
