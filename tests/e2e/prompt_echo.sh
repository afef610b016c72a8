#!/bin/sh
# The passphrase is asked on the terminal with echo turned off. Whatever
# stops enlace at that prompt (Ctrl-C, a SIGTERM or SIGQUIT, a hangup of the session
# manager) must leave the terminal as it found it: echo back on. Otherwise
# the next thing the person types - often the passphrase again, in the
# shell - is typed blind, and the terminal stays broken until `stty sane`.
# Driven through a pseudo-terminal (python3's pty module).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || die "python3 is needed to drive a pseudo-terminal"
mkprofile ana

# at_prompt HOW ARGS...: run enlace ARGS on a fresh pty without a
# passphrase in the environment, wait for its prompt, stop it HOW (INT:
# the Ctrl-C key through the line discipline; TERM, HUP: that signal), and
# print "prompt=1 echo=1" when the prompt came and echo is on afterwards.
at_prompt() {
    _how=$1
    shift
    nopass python3 - "$_how" "$ENLACE" "$@" <<'EOF'
import os, pty, select, signal, sys, termios, time
how, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
seen, end = b"", time.time() + 20
while b"passphrase" not in seen and time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            seen += os.read(fd, 1024)
        except OSError:
            break
time.sleep(0.3)             # the prompt is written before echo goes off
before = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
if how == "INT":
    os.write(fd, b"\x03")
else:
    os.kill(pid, getattr(signal, "SIG" + how))
end = time.time() + 10
while time.time() < end:
    done, _ = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.1)
else:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
after = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
print("prompt=%d echo_before=%d echo=%d" % (b"passphrase" in seen, before, after))
EOF
}

for how in INT TERM HUP QUIT; do
    step "unlock prompt, stopped by SIG$how"
    res=$(at_prompt "$how" --home "$T/ana" status)
    case "$res" in
        *prompt=1*) ;;
        *) die "no passphrase prompt on the pseudo-terminal: $res" ;;
    esac
    case "$res" in
        *echo_before=0*) ;;
        *) fail "echo was still on while the passphrase was asked ($res)" ;;
    esac
    case "$res" in
        *" echo=1"*) ;;
        *) fail "SIG$how at the unlock prompt left the terminal with echo off ($res)" ;;
    esac
done

step "new passphrase prompt of init, stopped by Ctrl-C"
res=$(at_prompt INT --home "$T/new" init --name new --kdf interactive)
case "$res" in
    *" echo=1"*) ;;
    *) fail "Ctrl-C at init's passphrase prompt left the terminal with echo off ($res)" ;;
esac
[ -e "$T/new/enlace.db" ] && fail "init stopped at its prompt left a profile behind"

finish
