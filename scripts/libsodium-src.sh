#!/bin/sh
# Fetch libsodium's source from Debian's source package into DIR (default
# build-libsodium/src) and print the tree's path (the directory holding src/libsodium),
# which the microcontroller builds take as SODIUM_DIR. Hosts link Debian's libsodium-dev
# instead; this tree is for Cortex-M3 (bench/size, bench/mcu, the Contiki-NG cc2538
# build), where the needed files are compiled directly (ports/sodium-mcu/sodium-mcu.mk
# lists them): Debian's source has no generated configure script. Nothing of libsodium
# enters the repository (scripts/debian-src.sh says how).
#
#   sh scripts/libsodium-src.sh [DIR]   ->  DIR/libsodium-<version>  (the path is printed)
set -eu
exec sh "$(dirname "$0")/debian-src.sh" libsodium src/libsodium/include/sodium.h "${1:-build-libsodium/src}"
