# send --disappear: the recipient deletes the message that long after it
# was first shown; until it is shown, the clock does not run.
. "$(dirname "$0")/lib.sh"

mkprofile ana
mkprofile carmen
introduce ana carmen
mkdrop d
ok enl ana send --disappear 1h carmen "burn after reading"
ok enl ana send carmen "keep this one"
expect_fail 2 enl ana send --disappear 2y carmen "x"
sync_drop ana d
sync_drop carmen d

step "unread, it stays however long it waits"
export ENLACE_NOW=$(later 5)
ok enl carmen status --json
eq "$(json_num messages)" 2 "messages before reading"

step "read, it goes an hour later"
eq "$(inbox_count carmen)" 2 "messages when first shown"
contains "$T/log/inbox" '"disappear":3600'
export ENLACE_NOW=$(later 5)
eq "$(inbox_count carmen)" 2 "messages just after"
export ENLACE_NOW=$(( $(later 5) + 3601 ))
eq "$(inbox_count carmen)" 1 "messages an hour after reading"
lacks "$T/log/inbox" "burn after reading"
contains "$T/log/inbox" "keep this one"
ok enl carmen status --json
eq "$(json_num messages)" 1 "messages in status"
finish
