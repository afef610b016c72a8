#!/bin/sh
# make demo: a note from a person inside to a person outside, carried by a
# visitor who cannot read it, through two dead drops, with the purge
# travelling back. Every profile lives in a temporary folder removed at the end.
set -eu
ENLACE=${1:-build/enlace}
case "$ENLACE" in /*) ;; *) ENLACE=$(pwd)/$ENLACE ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/enlace-demo.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() {  # run PERSON PASSPHRASE ARGS...: show and run one command as that person
    who=$1; pass=$2; shift 2
    printf '%s$ enlace %s\n' "$who" "$*"
    ENLACE_PASSPHRASE=$pass "$ENLACE" --home "$T/$who" "$@"
}

say "Three people, three devices. Each profile is locked by its own passphrase."
echo "(the demo uses --kdf interactive to run fast; the default Argon2id cost is higher)"
run ana     'ana-secret'     init --name ana --kdf interactive
run carmen  'carmen-secret'  init --name carmen --kdf interactive
run visitor 'visitor-secret' init --name visitor --kdf interactive

say "Ana (inside) and Carmen (outside) once exchanged cards in person."
ANA_CARD=$(ENLACE_PASSPHRASE=ana-secret "$ENLACE" --home "$T/ana" card)
CARMEN_CARD=$(ENLACE_PASSPHRASE=carmen-secret "$ENLACE" --home "$T/carmen" card)
echo "ana's card: $ANA_CARD"
run ana    'ana-secret'    contact add "$CARMEN_CARD"
run carmen 'carmen-secret' contact add "$ANA_CARD"
echo "They read the safety numbers aloud: the same 60 digits on both devices."
run ana    'ana-secret'    contact verify carmen
run carmen 'carmen-secret' contact verify ana

say "Ana seals a note for Carmen."
run ana 'ana-secret' send carmen "the leaflet is ready; the kitchen opens Thursday"

mkdir cell-drop usb-stick
say "Ana leaves it in the dead drop inside (a folder standing in for a hiding place)."
run ana 'ana-secret' sync cell-drop
ls cell-drop

say "The visitor, who is nobody's contact, picks it up and carries it out on a USB stick."
run visitor 'visitor-secret' sync cell-drop
run visitor 'visitor-secret' sync usb-stick
echo "What the visitor carries is opaque: no sender, no recipient, no words."
run visitor 'visitor-secret' inbox
if grep -rq "leaflet" usb-stick "$T/visitor"; then echo "LEAK"; exit 1; fi
echo "(grep for the text in the visitor's device and the stick: nothing)"

cp usb-stick/*.note captured.note
say "Carmen syncs the stick and reads the note."
run carmen 'carmen-secret' sync usb-stick
run carmen 'carmen-secret' inbox

say "Once read, its keys are gone: a copy the police made on the way opens nowhere."
run carmen 'carmen-secret' open captured.note || true

say "Carmen answers; the reply rides back on the same stick."
run carmen 'carmen-secret' send ana "received. see you Thursday"
run carmen 'carmen-secret' sync usb-stick

say "The purge and the reply travel back; every copy on the way is deleted."
run visitor 'visitor-secret' sync usb-stick
run visitor 'visitor-secret' sync cell-drop
run ana     'ana-secret'     sync cell-drop
run ana     'ana-secret'     inbox
run ana     'ana-secret'     status
run visitor 'visitor-secret' status
say "The purge of the reply goes back the same way."
run ana     'ana-secret'     sync cell-drop
run visitor 'visitor-secret' sync cell-drop
run visitor 'visitor-secret' sync usb-stick
run carmen  'carmen-secret'  sync usb-stick
run carmen  'carmen-secret'  status
echo "files left in the drops (purge records only):"
ls cell-drop usb-stick

say "A device taken without its passphrase gives nothing."
printf 'police$ enlace inbox   (with a guessed passphrase)\n'
ENLACE_PASSPHRASE=guess "$ENLACE" --home "$T/carmen" inbox || true
say "Done."
