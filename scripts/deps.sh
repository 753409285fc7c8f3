#!/bin/sh
# Install the Debian packages microzmtp's build, demo and tests need, if any is missing.
# Safe to run again: it does nothing when everything is there. Extra package names given
# as arguments are installed too. lwIP's source (for the lwIP port and the firmware) is
# not a package to install: scripts/lwip-src.sh fetches Debian's source package. Nor is
# libsodium's source for the Cortex-M3 builds (make size, bench-mcu, Contiki-NG CURVE):
# scripts/libsodium-src.sh fetches it the same way (dpkg-dev, below, gives apt-get source).
set -eu
PKGS="cmake make gcc pkg-config libcmocka-dev libzmq3-dev libsodium-dev python3-zmq clang libclang-rt-dev \
      gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi \
      qemu-system-arm dpkg-dev iproute2 frama-c-base $*"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
