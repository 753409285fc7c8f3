#!/bin/sh
# Fetch Debian's cmocka source package into DIR (default build/target/src), for the
# cross-built test runners of tests/target. Prints the unpacked source directory.
# Needs a deb-src entry: written as a private sources file derived from
# debian.sources when absent. Nothing fetched here is committed.
set -eu
DIR=${1:-build/target/src}
mkdir -p "$DIR"
if [ -f "$DIR/cmocka/src/cmocka.c" ]; then echo "$DIR/cmocka"; exit 0; fi
rm -rf "$DIR/cmocka"   # a half-unpacked tree from an interrupted run
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
SRC=/etc/apt/sources.list.d/microzmtp-src.sources
if ! apt-cache showsrc cmocka >/dev/null 2>&1 || [ -z "$(apt-cache showsrc cmocka 2>/dev/null)" ]; then
    if [ ! -f "$SRC" ]; then
        [ -f /etc/apt/sources.list.d/debian.sources ] || {
            echo "cmocka-src: no deb-src entry for cmocka and no debian.sources to derive one from" >&2
            exit 1; }
        sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $SUDO tee "$SRC" >/dev/null
    fi
    $SUDO apt-get update -qq
fi
command -v dpkg-source >/dev/null 2>&1 || $SUDO apt-get install -y -qq --no-install-recommends dpkg-dev >&2
(cd "$DIR" && apt-get source -qq --download-only cmocka >&2 && dpkg-source -x --no-check cmocka_*.dsc cmocka >&2)
echo "$DIR/cmocka"
