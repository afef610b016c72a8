# A duress passphrase (or a new passphrase) set while another enlace
# process unlocks the same profile (a `sync` run by cron, a `listen`
# restarted, an `inbox` in another terminal): the other process read the
# key slots before the change and, once its Argon2id was done, put them
# back (undo_unreported_slots). The owner was told "duress passphrase set"
# or "passphrase changed", and neither held afterwards; a duress unlock
# overlapped the same way had the real slot written into the new profile.
. "$(dirname "$0")/lib.sh"

printf 'clave de coacción\n' > "$T/duress"
printf 'otra clave larga\n' > "$T/new"

# busy NAME: `enlace status` over and over while the file $T/busy exists,
# as a periodic sync would: some unlock always overlaps the change.
busy() {
    while [ -e "$T/busy" ]; do enl "$1" status >/dev/null 2>&1; done
}

step "duress passphrase set while another process unlocks"
ok enl ana init --name ana --kdf moderate || die "init"
touch "$T/busy"
busy ana & B1=$!
sleep 0.4
busy ana & B2=$!
ok enl ana passphrase duress --new-passphrase-file "$T/duress"
contains "$OUT" "duress passphrase set"
rm -f "$T/busy"
wait "$B1" "$B2"
ENLACE_PASSPHRASE='clave de coacción' ok enl ana status --json
expect_fail 1 enl ana status
contains "$ERR" "wrong passphrase" "the real passphrase after the duress unlock"

step "passphrase changed while another process unlocks"
ok enl eva init --name eva --kdf moderate || die "init"
touch "$T/busy"
busy eva & B1=$!
sleep 0.4
busy eva & B2=$!
ok enl eva passphrase change --new-passphrase-file "$T/new"
contains "$OUT" "passphrase changed"
rm -f "$T/busy"
wait "$B1" "$B2"
ENLACE_PASSPHRASE='otra clave larga' ok enl eva status
expect_fail 1 enl eva status
contains "$ERR" "wrong passphrase" "the old passphrase after the change"

step "duress unlock while another process unlocks with the real passphrase"
ok enl rosa init --name rosa --kdf moderate || die "init"
ok enl rosa passphrase duress --new-passphrase-file "$T/duress"
touch "$T/busy"
busy rosa & B1=$!
sleep 0.4
busy rosa & B2=$!
sleep 1
ENLACE_PASSPHRASE='clave de coacción' ok enl rosa status --json
rm -f "$T/busy"
wait "$B1" "$B2"
# "The real passphrase opens nothing afterwards."
expect_fail 1 enl rosa status
contains "$ERR" "wrong passphrase" "the real passphrase after a duress unlock"
