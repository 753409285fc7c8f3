#!/bin/sh
# microzmtp against libzmq on this machine: bench/run.sh BUILD_DIR [run.py options]
# BUILD_DIR must hold bench/bench_zmtp (configure with the bench enabled, Release or
# RelWithDebInfo), and bench/bench_zmtp_scale for the scale sections (fanout, router,
# storm). Takes under 7 minutes; see docs/performance.md.
set -e
if [ $# -lt 1 ]; then
    echo "usage: bench/run.sh BUILD_DIR [--quick] [--runs N] [--only tcp,thr,lat,fanout,mem,router,storm,curve] [--markdown FILE] [--json FILE]" >&2
    exit 2
fi
# /usr/bin/python3: Debian's, with only the standard library needed.
exec /usr/bin/python3 "$(dirname "$0")/run.py" "$@"
