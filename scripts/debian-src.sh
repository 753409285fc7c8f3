#!/bin/sh
# Fetch a Debian source package into DIR and print the path of its tree: the directory
# DIR/PKG-<version> that holds MARK (a file or directory). The lwIP and libsodium scripts
# call it; nothing fetched enters the repository (DIR is an ignored build directory unless
# you pass another one). Safe to run again: an existing tree is reused.
#
#   sh scripts/debian-src.sh PKG MARK DIR
#
# How: a deb-src entry is needed for `apt-get source`. It is derived from the machine's
# own Debian sources (/etc/apt/sources.list.d/debian.sources, deb822, or the one-line
# /etc/apt/sources.list) and written to a private file, microzmtp-src.sources (or .list),
# so the machine's own lists stay as they were. Needs dpkg-dev (installed if missing).
set -eu
PKG=$1
MARK=$2
DIR=$3
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

found() {
    for d in "$DIR"/"$PKG"-*/; do
        [ -e "$d/$MARK" ] && { printf '%s\n' "${d%/}"; return 0; }
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
        echo "debian-src: no Debian sources list found to derive a deb-src entry from" >&2
        exit 1
    fi
    echo "debian-src: wrote a deb-src entry; apt-get update" >&2
    $SUDO apt-get update -qq >&2
fi
# apt-get source runs as the caller (it only downloads and unpacks), in DIR.
(cd "$DIR" && apt-get source -qq "$PKG" >&2) ||
    { $SUDO apt-get update -qq >&2 && (cd "$DIR" && apt-get source -qq "$PKG" >&2); }
found || { echo "debian-src: apt-get source $PKG gave no tree with $MARK in $DIR" >&2; exit 1; }
