#!/bin/sh
# Wrong usage is said first: a command that needs the profile parses its
# arguments before it looks for the profile or asks for the passphrase
# (and runs Argon2id), so `enlace send` with a wrong argument says
# "usage: ..." with exit 2 at once, without a prompt to answer first, and
# also where there is no profile, or where the passphrase given is wrong.
# And where a command reads stdin (`send NAME -`), the passphrase still
# comes first: on a terminal both are typed there.
. "$(dirname "$0")/lib.sh"

mkprofile ana
printf 'not the passphrase\n' >"$T/wrong-pass"
echo data >"$T/a-file"
mkdir "$T/a-folder"

# Each line: how a command is misused. "u" lines print a "usage:" line;
# "x" lines say why on one "enlace: " line (a value no command takes), and
# exit 2 too. Words are split on spaces: none holds one.
cases="u card extra
u card --address tcp://127.0.0.1:1 --onion
u card --bogus
u contact
u contact frob
u contact add
u contact add a b
u contact add --name
x contact add --name a/b enlace1abc
x contact add --name -dash -
u contact list extra
u contact show
u contact show a b
u contact verify
u contact address carmen
x contact address carmen 127.0.0.1:1
u send
u send carmen hello extra
u send --bogus carmen hi
u send --expire
x send --expire 0 carmen hi
x send --disappear forever carmen hi
u send --note hi carmen hello
u send --file $T/a-file
u send --file $T/a-file --paper carmen
u send --file $T/a-file --disappear 1h carmen
u sync
u sync a b
u sync --socks 127.0.0.1:9050 $T/a-folder
u listen extra
u listen --bogus
u listen --tor-control 127.0.0.1:9051
u inbox extra
u inbox --bogus
u open
u open a b
u status extra
u files frob
u files extra
u files --json extra
u files save 0123abcd
u files save --out $T/out
x files save zz --out $T/out
u files delete
x files delete 0123abcd --from=
u paper
u paper frob
u paper import
u paper import a b
u paper export --bogus
x paper export zz
x paper export 12 0123
u burn
u burn a b
u burn --bogus carmen
u revocation
u revocation frob
u revocation hold carmen
u revocation publish
u revocation export extra
u bulletin
u bulletin frob
u bulletin publish a b
u bulletin publish --expire 0 hi
u bulletin follow
u bulletin following extra
u bulletins extra
u passphrase
u passphrase frob
u passphrase change extra
u cell
u cell frob
u cell create
x cell create a/b
x cell create --admit 2 a:b
x cell create --admit 0 crew
u cell add crew
x cell vouch crew carmen --burn
u cell members
u cell list extra
u cell send
x cell send --disappear never crew hi
u cell leave
u cell forward 0123
x cell forward 0123 crew
x cell forward 0123abcz crew
u introduce carmen
u introductions frob 0123
u introductions accept
u introductions --json accept 0123
x introductions accept zz
x introductions decline 012
u ask
u ask a b
u questions extra
u answer
u answer 0123
u answer 0123 --vouch --unknown
x answer zz --vouch
x answer 0123456789abcdef0123456789abcdef0 --unknown
u answers extra
x listen --addr nonsense
x listen --addr 127.0.0.1:99999
x sync tcp://127.0.0.1:99999
x sync tcp://carmen@127.0.0.1:0
x sync tor://carmen@abc.onion:1
x sync --socks bad tcp://carmen@127.0.0.1:1
x card --address http://x
x contact address carmen tor://abc:1
x contact address carmen tcp://127.0.0.1:99999"

# usage_first HOW KIND ARGS...: ARGS given with HOW (a missing profile, or a
# wrong passphrase) fail as wrong usage: exit 2, nothing on stdout, and
# neither the profile's absence nor the passphrase mentioned.
usage_first() {
    _how=$1
    _kind=$2
    shift 2
    if [ "$_how" = missing ]; then
        run nopass "$ENLACE" --home "$T/none" "$@" </dev/null
    else
        run nopass "$ENLACE" --home "$T/ana" --passphrase-file "$T/wrong-pass" "$@" </dev/null
    fi
    if [ "$RC" -ne 2 ]; then
        fail "'$*' ($_how): exit $RC, expected 2 (wrong usage): $(head -n 2 "$ERR")"
        return
    fi
    [ -s "$OUT" ] && fail "'$*' ($_how): wrote on stdout: $(cat "$OUT")"
    grep -qi 'no profile in\|wrong passphrase\|passphrase file' "$ERR" &&
        fail "'$*' ($_how): looked for the profile or unlocked it: $(cat "$ERR")"
    if [ "$_kind" = u ]; then
        grep -q "^usage: enlace $1" "$ERR" || fail "'$*' ($_how): no 'usage: enlace $1' on stderr: $(cat "$ERR")"
    else
        head -n 1 "$ERR" | grep -q '^enlace: ' || fail "'$*' ($_how): no 'enlace: ' line: $(cat "$ERR")"
    fi
}

for how in missing wrong-passphrase; do
    step "wrong usage before anything else: $how"
    while read -r kind args; do
        # shellcheck disable=SC2086
        usage_first "$how" "$kind" $args
    done <<EOF
$cases
EOF
done
# Values the lines above cannot hold (a tab, a new line, a long text): a
# burn's reason and a bulletin's channel are arguments too.
long=$(printf '%0201d' 0)
for how in missing wrong-passphrase; do
    step "reasons and channels checked before anything else: $how"
    for reason in "$long" "$(printf 'taken\tat night')" "$(printf 'two\nlines')"; do
        usage_first "$how" x burn carmen --reason "$reason"
        usage_first "$how" x revocation export --reason "$reason"
        usage_first "$how" x cell remove crew carmen --reason "$reason"
    done
    usage_first "$how" x bulletin publish --channel "$(printf '%065d' 0)" hi
    # notes and texts longer than the library keeps
    usage_first "$how" x introduce carmen beto --note "$long"
    usage_first "$how" x ask "$long" --note "$long"
    usage_first "$how" x answer 0123 --warn "$long"
    usage_first "$how" x answer 0123 --warn ""
    usage_first "$how" x answer 0123 --warn "  "
    usage_first "$how" x send --file "$T/a-file" --note "$(printf '%01025d' 0)" carmen
    usage_first "$how" x bulletin publish --channel "$(printf 'news\033[2J')" hi
done
[ -e "$T/none" ] && fail "wrong usage created the profile folder $T/none"

step "right usage still looks for the profile, and unlocks it"
expect_fail 1 nopass "$ENLACE" --home "$T/none" send carmen hi
contains "$ERR" "no profile in" "send on a missing profile"
expect_fail 1 nopass "$ENLACE" --home "$T/ana" --passphrase-file "$T/wrong-pass" send carmen hi
contains "$ERR" "wrong passphrase" "send with a wrong passphrase"
# with the text from stdin, the unlock comes first and fails: stdin is left unread
run nopass sh -c 'echo hello | "$1" --home "$2" --passphrase-file "$3" send carmen -' sh "$ENLACE" \
    "$T/ana" "$T/wrong-pass"
eq "$RC" 1 "send - with a wrong passphrase: exit status"
contains "$ERR" "wrong passphrase" "send - with a wrong passphrase"
# --help needs neither
ok nopass "$ENLACE" --home "$T/none" send --help
ok nopass "$ENLACE" --home "$T/ana" --passphrase-file "$T/wrong-pass" cell send --help

step "on a terminal, the passphrase is asked before the message is read"
# `enlace send carmen -` with stdin the same terminal as the prompt: the
# prompt comes first, the passphrase is typed, then the message and Ctrl-D.
# Were stdin read first, the passphrase would be taken for the message.
if command -v python3 >/dev/null 2>&1; then
    mkprofile carmen
    introduce ana carmen
    res=$(nopass python3 - "$PASS" "$ENLACE" --home "$T/ana" send carmen - <<'EOF'
import os, pty, select, sys, termios, time
pw, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
def wait_for(word, seen=b""):
    end = time.time() + 60
    while word not in seen and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    return seen
def echo_off():
    # The prompt is written before echo goes off, and turning it off
    # flushes what was typed (TCSAFLUSH): type only once it is off. On
    # Linux the master side reads the terminal's modes.
    end = time.time() + 60
    while time.time() < end:
        if not termios.tcgetattr(fd)[3] & termios.ECHO:
            return True
        time.sleep(0.05)
    return False
seen = wait_for(b"passphrase: ")
prompted = b"passphrase: " in seen and echo_off()
if prompted:
    os.write(fd, pw.encode() + b"\n")
    # the newline written once the passphrase is read and echo is back on
    seen = wait_for(b"\n", b"")
    os.write(fd, b"typed on the terminal\n\x04")
    seen = wait_for(b"sealed", seen)
end = time.time() + 30
rc = None
while time.time() < end:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        rc = os.waitstatus_to_exitcode(status)
        break
    time.sleep(0.1)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print("prompted=%d rc=%s sealed=%d" % (prompted, rc, b"sealed a note" in seen))
EOF
)
    eq "$res" "prompted=1 rc=0 sealed=1" "send - on a terminal"
    mkdrop d
    sync_drop ana d
    sync_drop carmen d
    ok enl carmen inbox --json
    contains "$OUT" '"text":"typed on the terminal"' "the message typed after the passphrase"
    lacks "$OUT" "$PASS" "carmen's inbox"
fi

finish
