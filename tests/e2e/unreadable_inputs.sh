#!/bin/sh
# A file that cannot be read is said to be unreadable, never taken as an
# empty one: README, "Exit status: ... one line on stderr beginning
# `enlace: ` that says what and why". A passphrase file that fails to read
# is not "a wrong passphrase" (the person would doubt the passphrase they
# know), nor "an empty passphrase"; a note or a revocation that fails to read
# is not "damaged" or "malformed". Here a folder stands for the file: read(2)
# fails on it at once with EISDIR, as it would with EIO on a failing stick.
# (The same helper, src/cli/util.c read_line_fd, ends the line at the first
# failed read and keeps what came before it: a read that fails half way sets
# a passphrase cut short by `passphrase change --new-passphrase-file`.)
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile carmen
introduce ana carmen
mkdir "$T/folder"

# unreadable WHAT CMD...: exit 1, one line, and it says the file cannot be read.
unreadable() {
    _what=$1
    shift
    run "$@"
    [ "$RC" -eq 1 ] || fail "$_what: exited $RC, expected 1"
    one_error_line "$_what"
    # (the path is left out: this script's folder name holds "unreadable")
    if ! sed "s|$T||g" "$ERR" | grep -qi "cannot read\|is a directory\|not a regular file\|unreadable"; then
        fail "$_what: the message does not say the file cannot be read: $(cat "$ERR")"
    fi
}

step "--passphrase-file that cannot be read"
unreadable "unlock with --passphrase-file FOLDER" \
    nopass "$ENLACE" --home "$T/ana" --passphrase-file "$T/folder" status
lacks "$ERR" "wrong passphrase" "unlock with an unreadable --passphrase-file"

step "--new-passphrase-file that cannot be read"
unreadable "passphrase change --new-passphrase-file FOLDER" \
    enl ana passphrase change --new-passphrase-file "$T/folder"
unreadable "init --new-passphrase-file FOLDER" \
    nopass "$ENLACE" --home "$T/newp" init --name newp --kdf interactive --new-passphrase-file "$T/folder"

step "open FOLDER"
unreadable "open FOLDER" enl ana open "$T/folder"
lacks "$ERR" "damaged" "open of an unreadable file"

step "revocation hold NAME FOLDER"
unreadable "revocation hold carmen FOLDER" enl ana revocation hold carmen "$T/folder"
lacks "$ERR" "malformed" "revocation hold of an unreadable file"

finish
