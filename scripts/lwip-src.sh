#!/bin/sh
# Fetch lwIP's source from Debian's source package into DIR (default build-lwip/src), and
# print the lwIP tree's path (the directory holding src/core), which the build takes as
# LWIP_DIR. Nothing of lwIP enters the repository (scripts/debian-src.sh says how).
#
#   sh scripts/lwip-src.sh [DIR]        ->  DIR/lwip-<version>  (the path is printed)
set -eu
exec sh "$(dirname "$0")/debian-src.sh" lwip src/core "${1:-build-lwip/src}"
