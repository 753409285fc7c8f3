#!/bin/sh
# check.sh SOURCE_DIR BUILD_DIR - install microzmtp into a temporary prefix and build the
# publisher example against it twice, as a user would: with pkg-config, and with CMake's
# find_package(microzmtp). Prints "install: 2 passed, 0 failed" on success.
set -eu
src=$1
build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null

# 1. pkg-config
PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
export PKG_CONFIG_PATH
# shellcheck disable=SC2046 # flags are words
cc -std=c99 -D_POSIX_C_SOURCE=200809L "$src/examples/posix/publisher.c" \
   $(pkg-config --cflags --libs microzmtp) -o "$tmp/pub-pkgconfig"

# 2. CMake package
mkdir -p "$tmp/app"
cp "$src/examples/posix/publisher.c" "$tmp/app/"
cat >"$tmp/app/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(app C)
find_package(microzmtp REQUIRED)
add_executable(pub publisher.c)
target_compile_definitions(pub PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(pub PRIVATE microzmtp::microzmtp_posix)
CM
cmake -S "$tmp/app" -B "$tmp/app/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/app/build" >/dev/null
[ -x "$tmp/pub-pkgconfig" ] && [ -x "$tmp/app/build/pub" ]
echo "install: 2 passed, 0 failed"
