#!/bin/sh
# A new passphrase typed at the terminal: an empty one is refused at the
# first prompt (it was asked a second time, then refused), and its
# confirmation is asked in the same words at init, passphrase change and
# duress ("the same passphrase again: "; the last two said "the same
# again: "). Driven through a pseudo-terminal (python3's pty module).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || die "python3 is needed to drive a pseudo-terminal"

# on_tty ARGS... -- PROMPT ANSWER [PROMPT ANSWER ...]: run enlace ARGS on a
# fresh pty without a passphrase in the environment; at each PROMPT seen
# (in order) type ANSWER and Enter. What the terminal showed goes to $OUT,
# and "exit=N" ends it.
on_tty() {
    nopass python3 - "$ENLACE" "$@" >"$T/log/tty" 2>&1 <<'EOF'
import os, pty, select, signal, sys, time
args = sys.argv[1:]
cut = args.index("--")
argv, talk = args[:cut], args[cut + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
seen, at, end = b"", 0, time.time() + 30
def more():
    global seen
    r, _, _ = select.select([fd], [], [], 0.2)
    if not r:
        return True
    try:
        got = os.read(fd, 1024)
    except OSError:
        return False
    seen += got
    return bool(got)
while time.time() < end:
    if len(talk) >= 2 and talk[0].encode() in seen[at:]:
        at = seen.index(talk[0].encode(), at) + len(talk[0])
        time.sleep(0.2)     # the prompt is written before echo goes off
        os.write(fd, talk[1].encode() + b"\r")
        talk = talk[2:]
        continue
    if not more():
        break
# a prompt that never came (or came in other words): stopped, not waited for
stop = time.time() + 10
done, status = os.waitpid(pid, os.WNOHANG)
while not done and time.time() < stop and not talk:
    time.sleep(0.1)
    done, status = os.waitpid(pid, os.WNOHANG)
if not done:
    os.kill(pid, signal.SIGKILL)
    done, status = os.waitpid(pid, 0)
    seen += b"\n(stopped: waiting for input)"
sys.stdout.write(seen.decode(errors="replace"))
print("\nexit=%d" % os.waitstatus_to_exitcode(status))
EOF
    OUT="$T/log/tty"
}

step "init: an empty passphrase is refused at the first prompt"
on_tty --home "$T/a" init --name a --kdf interactive -- "new passphrase: " ""
contains "$OUT" "an empty passphrase would leave the profile open"
lacks "$OUT" "again" "init with an empty passphrase"
lacks "$OUT" "exit=0" "init with an empty passphrase"
[ -e "$T/a/enlace.db" ] && fail "init refused an empty passphrase and left a profile behind"

step "init: the passphrase is confirmed as 'the same passphrase again'"
on_tty --home "$T/b" init --name b --kdf interactive -- \
    "new passphrase: " "uno dos tres" "the same passphrase again: " "uno dos tres"
contains "$OUT" "exit=0" "init with a passphrase typed twice"

step "passphrase change: the same words, and an empty one refused at once"
on_tty --home "$T/b" passphrase change -- "passphrase: " "uno dos tres" "new passphrase: " ""
contains "$OUT" "an empty passphrase would leave the profile open"
lacks "$OUT" "again" "passphrase change to an empty one"
lacks "$OUT" "exit=0" "passphrase change to an empty one"
on_tty --home "$T/b" passphrase change -- "passphrase: " "uno dos tres" \
    "new passphrase: " "cuatro cinco" "the same passphrase again: " "cuatro cinco"
contains "$OUT" "exit=0" "passphrase change typed twice"

step "duress: the same words, and an empty one refused at once"
on_tty --home "$T/b" passphrase duress -- "passphrase: " "cuatro cinco" "duress passphrase: " ""
contains "$OUT" "an empty passphrase would leave the profile open"
lacks "$OUT" "again" "duress set to an empty one"
lacks "$OUT" "exit=0" "duress set to an empty one"
on_tty --home "$T/b" passphrase duress -- "passphrase: " "cuatro cinco" \
    "duress passphrase: " "seis siete" "the same passphrase again: " "seis siete"
contains "$OUT" "exit=0" "duress set typed twice"

finish
