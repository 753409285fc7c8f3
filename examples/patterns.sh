#!/bin/sh
# Run every pattern example (examples/posix/push.c, pull.c, dealer.c, req.c, rep.c)
# against a libzmq peer (pyzmq: examples/patterns_peer.py, examples/router.py) over TCP
# on loopback, and print one "PASS name" or "FAIL name" line per example.
#
#   sh examples/patterns.sh [BUILD_DIR [COUNT]]     defaults: build, 5 messages
#
# Whoever binds, binds port 0 and prints the real endpoint; the other side connects to
# it. Every process is started in the background, waited for at most LIMIT seconds, and
# killed by its PID if it is still running. Exit status: 0 all passed, 1 a failure,
# 2 nothing to run (not built, no pyzmq).
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
count=${2:-5}
python=${PYTHON:-/usr/bin/python3}
LIMIT=20 # seconds any one process may run

for ex in push pull dealer req rep; do
    if [ ! -x "$build/example_$ex" ]; then
        echo "patterns: $build/example_$ex not found; build first" >&2
        exit 2
    fi
done
if ! "$python" -c 'import zmq' 2>/dev/null; then
    echo "patterns: $python has no pyzmq (apt-get install python3-zmq)" >&2
    exit 2
fi

tmp=$(mktemp -d)
pids=""
cleanup() {
    for pid in $pids; do kill "$pid" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# start NAME CMD...: run CMD in the background, output to $tmp/NAME.out; sets $pid.
start() {
    name=$1
    shift
    "$@" >"$tmp/$name.out" 2>&1 &
    pid=$!
    pids="$pids $pid"
}

# finish PID: wait at most LIMIT s for PID to exit, kill it if it does not; sets $rc
# (124 when it had to be killed).
finish() {
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt $((LIMIT * 10)) ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$1" 2>/dev/null; then
        kill "$1" 2>/dev/null
        wait "$1" 2>/dev/null
        rc=124
    else
        wait "$1"
        rc=$?
    fi
    # waited for: never kill that PID (perhaps reused by now) again
    pids=$(for p in $pids; do [ "$p" = "$1" ] || printf ' %s' "$p"; done)
}

# endpoint_of NAME [N]: wait at most 5 s for the Nth (default first) "bound to ENDPOINT"
# line in $tmp/NAME.out; sets $ep.
endpoint_of() {
    i=0
    ep=""
    while [ -z "$ep" ] && [ $i -lt 50 ]; do
        ep=$(sed -n 's/.*bound to \(tcp:[^ ]*\).*/\1/p' "$tmp/$1.out" | sed -n "${2:-1}p")
        [ -n "$ep" ] || sleep 0.1
        i=$((i + 1))
    done
    [ -n "$ep" ]
}

failures=0
# verdict NAME RC1 RC2: print PASS/FAIL, and on a failure what both sides said.
verdict() {
    if [ "$2" -eq 0 ] && [ "$3" -eq 0 ]; then
        echo "PASS $1"
    else
        echo "FAIL $1 (example status $2, peer status $3)"
        for f in "$tmp"/*.out; do sed "s|^|    $(basename "$f" .out): |" "$f"; done
        failures=$((failures + 1))
    fi
    rm -f "$tmp"/*.out
}

peer=$here/patterns_peer.py

# example_binds NAME PEER_KIND: example_NAME binds (and waits for a peer); a libzmq
# PEER_KIND socket (patterns_peer.py) connects and checks what it gets.
example_binds() {
    start example "$build/example_$1" -b tcp://127.0.0.1:0 "$count"
    ex_pid=$pid
    if endpoint_of example; then
        start peer "$python" "$peer" "$2" -c "$ep" "$count"
        finish "$pid"; peer_rc=$rc
    else
        peer_rc=1
    fi
    finish "$ex_pid"; verdict "$1" "$rc" "$peer_rc"
}

# peer_binds NAME PEER_COMMAND...: the libzmq peer binds and answers; example_NAME
# connects to it.
peer_binds() {
    pattern=$1 # not $name: start() sets that
    shift
    start peer "$@" -b tcp://127.0.0.1:0 "$count"
    peer_pid=$pid
    if endpoint_of peer; then
        start example "$build/example_$pattern" -c "$ep" "$count"
        finish "$pid"; ex_rc=$rc
    else
        ex_rc=1
    fi
    finish "$peer_pid"; verdict "$pattern" "$ex_rc" "$rc"
}

# push: the example binds (waits for a worker), a libzmq PULL connects and checks the tasks.
example_binds push pull

# pull: a libzmq PUSH and a control PUB (XPUB) bind; the example connects to both and
# waits on the two sockets with one mzmtp_posix_poll().
start peer "$python" "$peer" push -b tcp://127.0.0.1:0 "$count" --control tcp://127.0.0.1:0
peer_pid=$pid
# the peer binds the control socket first: its endpoint is line 1, the tasks' line 2
if endpoint_of peer 1 && ctl=$ep && endpoint_of peer 2; then
    start example "$build/example_pull" -c "$ep" "$count" -s "$ctl"
    finish "$pid"; ex_rc=$rc
else
    ex_rc=1
fi
finish "$peer_pid"; verdict pull "$ex_rc" "$rc"

# dealer: router.py (libzmq ROUTER) binds and answers; the example connects.
peer_binds dealer "$python" "$here/router.py"

# req: a libzmq REP binds and answers; the example connects.
peer_binds req "$python" "$peer" rep

# rep: the example binds and answers; a libzmq REQ connects and checks the replies.
example_binds rep req

[ "$failures" -eq 0 ]
