#!/usr/bin/env bash
# The Contiki-NG port, for real: builds examples/contiki-ng/{pub,sub,multi,client,curve}-node for
# TARGET=native against the Contiki-NG tree in $CONTIKI, runs each node in a network
# namespace of its own (the node's tun0: host side fd00::1, node fd00::302:304:506:708)
# and checks it against real libzmq peers (pyzmq, tests/contiki-ng/check.py); multi-node
# a second time with MZMTP_CONTIKI_CONF_BIND_ADDR 0 (phase bindany).
#
#   CONTIKI=/path/to/contiki-ng tests/contiki-ng/run.sh
#
# Prints one PASS/FAIL line per check and exits non-zero if any failed. Without CONTIKI
# it prints "skipped: CONTIKI not set" and exits 0. PHASES="pub sub" runs some of the
# nodes only (pub, sub, multi, client, curve, bindany); KEEP_LOGS=dir keeps the nodes' output and the
# build logs. Needs root (network namespaces, tun), ip (iproute2), ifconfig (net-tools; the native node runs it) and /usr/bin/python3 with
# pyzmq. Removes the namespaces and every process it started (by PID) when it ends.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3

if [ -z "${CONTIKI:-}" ]; then
    echo "skipped: CONTIKI not set"
    exit 0
fi
CONTIKI=$(cd "$CONTIKI" 2>/dev/null && pwd) || { echo "FAIL setup: CONTIKI is not a directory"; exit 1; }
if [ "$(id -u)" != 0 ]; then
    echo "skipped: needs root (network namespaces and tun devices)"
    exit 0
fi
for tool in ip ifconfig make gcc; do
    command -v "$tool" >/dev/null || { echo "FAIL setup: $tool not found"; exit 1; }
done
"$PY" -c 'import zmq' 2>/dev/null || { echo "FAIL setup: $PY has no pyzmq"; exit 1; }

TMP=$(mktemp -d /tmp/mzmtp-contiki.XXXXXX)
NS_PREFIX="mzmtp-cng-$$"
PIDS=()
NAMESPACES=()
FAILED=0

cleanup() {
    local pid ns
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    PIDS=()
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
    NAMESPACES=()
    if [ -n "${KEEP_LOGS:-}" ]; then
        mkdir -p "$KEEP_LOGS" && cp "$TMP"/*.log "$KEEP_LOGS"/ 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Build example $1 for TARGET=native into $TMP/$2 (nothing is written into the trees);
# further arguments go to make (DEFINES=... for a variant of the example's options).
build() {
    local name=$1 dir=$2
    shift 2
    if make -C "$ROOT/examples/contiki-ng/$name" TARGET=native CONTIKI="$CONTIKI" \
            ${SODIUM_DIR:+SODIUM_DIR="$SODIUM_DIR"} \
            BUILD_DIR="$TMP/$dir" -j"$(nproc 2>/dev/null || echo 2)" "$@" \
            >"$TMP/$dir.log" 2>&1; then
        echo "PASS build: $name (TARGET=native${*:+, $*})"
        return 0
    fi
    echo "FAIL build: $name (TARGET=native${*:+, $*}); last lines of the log:"
    tail -n 20 "$TMP/$dir.log" | sed 's/^/     /'
    FAILED=$((FAILED + 1))
    return 1
}

# Run node $1 (built into $TMP/$3) in a namespace of its own; check.py checks mode $2.
phase() {
    local name=$1 mode=$2 ns="$NS_PREFIX-$2" bin="$TMP/$3/native/$1.native"
    local fifo="$TMP/$mode.in" log="$TMP/$mode.log" node_pid check_pid rc fd
    ip netns add "$ns" || { echo "FAIL $mode: cannot create network namespace"; FAILED=$((FAILED + 1)); return; }
    NAMESPACES+=("$ns")
    ip netns exec "$ns" ip link set lo up
    mkfifo "$fifo"
    exec {fd}<>"$fifo" # held open here, so the node's stdin never reaches end of file
    ip netns exec "$ns" "$bin" <&"$fd" >"$log" 2>&1 &
    node_pid=$!
    PIDS+=("$node_pid")
    # Wait for the node's tun0 to carry the host address (the node configures it).
    for _ in $(seq 1 100); do
        ip netns exec "$ns" ip -6 addr show dev tun0 2>/dev/null | grep -q 'fd00::1/64' && break
        sleep 0.1
    done
    ip netns exec "$ns" "$PY" "$HERE/check.py" "$mode" "$log" "$fifo" &
    check_pid=$!
    PIDS+=("$check_pid")
    wait "$check_pid"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        FAILED=$((FAILED + rc))
        echo "     last lines of the $name log:"
        grep -v '^\[INFO: \(Main\|Native\)' "$log" | tail -n 15 | sed 's/^/     /'
    fi
    kill -0 "$node_pid" 2>/dev/null || { echo "FAIL $mode: the node exited"; FAILED=$((FAILED + 1)); }
    kill -TERM "$node_pid" 2>/dev/null
    wait "$node_pid" 2>/dev/null
    exec {fd}>&-
    ip netns del "$ns"
}

# PHASES="sub" runs some of the nodes only (while working on one). bindany is multi-node
# built with MZMTP_CONTIKI_CONF_BIND_ADDR 0 (binds of "*" or "::" only).
for mode in ${PHASES:-pub sub multi client curve bindany}; do
    if [ "$mode" = bindany ]; then
        build multi-node build-bindany DEFINES=MZMTP_CONTIKI_CONF_BIND_ADDR=0 &&
            phase multi-node bindany build-bindany
        continue
    fi
    if [ "$mode" = curve ] && ! grep -q '^MZMTP_SRC_MECH_CURVE :=' "$ROOT/sources.mk"; then
        echo "not run: curve (this tree's core has no CURVE handshake, sources.mk MZMTP_SRC_MECH_CURVE)"
        continue
    fi
    build "$mode-node" "build-$mode-node" && phase "$mode-node" "$mode" "build-$mode-node"
done

if [ "$FAILED" -ne 0 ]; then
    echo "contiki-ng: $FAILED check(s) failed"
    exit 1
fi
echo "contiki-ng: all checks passed"
exit 0
