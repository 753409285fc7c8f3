#!/bin/sh
# The microzmtp demo: our publisher (examples/posix/publisher.c, on the POSIX port) and a
# real libzmq subscriber (pyzmq, examples/demo_sub.py) talk over TCP on loopback.
#
#   sh examples/demo.sh [BUILD_DIR [COUNT]]     defaults: build, 5
#
# Exits non-zero if the subscriber received nothing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
count=${2:-5}
python=${PYTHON:-/usr/bin/python3}
publisher=$build/example_publisher

if [ ! -x "$publisher" ]; then
    echo "demo: $publisher not found; build first (make build)" >&2
    exit 2
fi
if ! "$python" -c 'import zmq' 2>/dev/null; then
    echo "demo: $python has no pyzmq (apt-get install python3-zmq)" >&2
    exit 2
fi

# A free port: bind to 0 and ask (no fixed ports).
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint="tcp://127.0.0.1:$port"
out=$(mktemp)

"$python" "$here/demo_sub.py" "$endpoint" "$count" >"$out" 2>&1 &
sub_pid=$!

"$publisher" "$endpoint" "$count" 100
pub_status=$?

# Give the subscriber up to 5 s to print what it got, then stop it.
i=0
while kill -0 "$sub_pid" 2>/dev/null && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill "$sub_pid" 2>/dev/null
wait "$sub_pid" 2>/dev/null

echo "--- what the libzmq subscriber got ---"
cat "$out"
received=$(grep -c 'received' "$out")
rm -f "$out"

if [ "$pub_status" -ne 0 ] || [ "$received" -eq 0 ]; then
    echo "demo: FAILED (publisher status $pub_status, $received message(s) received)" >&2
    exit 1
fi
echo "demo: OK ($received of $count readings crossed from microzmtp to libzmq)"
