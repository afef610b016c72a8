#!/bin/sh
# Installs the Debian packages enlace needs, only those that are missing.
# Usage: scripts/deps.sh [extra-package ...]
set -eu
# tor and microsocks: the Tor tests run a real tor offline and a real SOCKS5
# proxy, both on loopback only. zlib1g-dev: the PNG fuzz target mends chunk
# CRCs with zlib's crc32. python3-cryptography: an independent model
# of the protocol's vectors (tests/model). strace: its fault injection
# kills an init at each disk sync (tests/e2e/init_cut_short.sh).
want="libsodium-dev libsqlite3-dev libcmocka-dev libqrencode-dev libpng-dev libzbar-dev zlib1g-dev pkg-config make gcc clang tor microsocks python3 python3-cryptography strace $*"
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "enlace: installing missing packages:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
