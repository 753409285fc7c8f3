#!/bin/sh
# Fetch libsodium's source from Debian's source package into DIR (default
# build-libsodium/src) and print the tree's path (the directory holding src/libsodium),
# which the microcontroller builds take as SODIUM_DIR. Nothing of libsodium enters the
# repository: DIR is under an ignored build directory unless you pass another one. Safe to
# run again: an existing tree is reused.
#
#   sh scripts/libsodium-src.sh [DIR]   ->  DIR/libsodium-<version>  (the path is printed)
#
# Hosts link Debian's libsodium-dev instead; this tree is for Cortex-M3 (bench/size,
# bench/mcu, the Contiki-NG cc2538 build), where the needed files are compiled directly
# (mk/sodium.mk lists them): Debian's source has no generated configure script.
# The deb-src entry is written as lwip-src.sh writes it: a private sources file,
# microzmtp-src.sources (or .list), derived from the machine's own Debian sources.
set -eu
DIR=${1:-build-libsodium/src}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

found() {
    for d in "$DIR"/libsodium-*/; do
        [ -f "$d/src/libsodium/include/sodium.h" ] && { printf '%s\n' "${d%/}"; return 0; }
    done
    return 1
}
found && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
command -v dpkg-source >/dev/null 2>&1 || $SUDO apt-get install -y -qq --no-install-recommends dpkg-dev >&2

SRC_D=/etc/apt/sources.list.d
if ! grep -rqs '^Types:.*deb-src' "$SRC_D" && ! grep -qs '^deb-src' /etc/apt/sources.list "$SRC_D"/*.list; then
    if [ -f "$SRC_D/debian.sources" ]; then
        sed 's/^Types:.*/Types: deb-src/' "$SRC_D/debian.sources" |
            $SUDO tee "$SRC_D/microzmtp-src.sources" >/dev/null
    elif [ -f /etc/apt/sources.list ]; then
        sed -n 's/^deb /deb-src /p' /etc/apt/sources.list | $SUDO tee "$SRC_D/microzmtp-src.list" >/dev/null
    else
        echo "libsodium-src: no Debian sources list found to derive a deb-src entry from" >&2
        exit 1
    fi
    echo "libsodium-src: wrote a deb-src entry; apt-get update" >&2
    $SUDO apt-get update -qq >&2
fi
# apt-get source runs as the caller (it only downloads and unpacks), in DIR.
(cd "$DIR" && apt-get source -qq libsodium >&2) ||
    { $SUDO apt-get update -qq >&2 && (cd "$DIR" && apt-get source -qq libsodium >&2); }
found || { echo "libsodium-src: apt-get source libsodium gave no tree with src/libsodium in $DIR" >&2; exit 1; }
