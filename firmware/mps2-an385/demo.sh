#!/bin/sh
# The firmware demo: the PUB firmware (examples/pub.c: lwIP NO_SYS=1 + microzmtp) on an
# emulated Cortex-M3 (qemu-system-arm -M mps2-an385) publishes one reading a second; a
# pyzmq (libzmq) SUB on the host, examples/demo_sub.py, connects through QEMU's hostfwd
# and prints COUNT readings. QEMU is stopped by its PID.
#
#   sh firmware/mps2-an385/demo.sh BUILD_DIR [COUNT]     BUILD_DIR holds pub.elf; COUNT 5
#
# Exits non-zero if the subscriber received nothing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-build-fw}
count=${2:-5}
python=${PYTHON:-/usr/bin/python3}
qemu=${QEMU:-qemu-system-arm}
elf=$build/pub.elf

[ -f "$elf" ] || { echo "demo: $elf not found; build the firmware first" >&2; exit 2; }

# A free host port for the forward: bind to 0 and ask (no fixed ports).
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
echo "demo: PUB firmware on an emulated Cortex-M3 (QEMU mps2-an385), forwarded to 127.0.0.1:$port"
"$qemu" -M mps2-an385 -nographic -monitor none -serial none -semihosting -kernel "$elf" \
    -nic "user,model=lan9118,hostfwd=tcp:127.0.0.1:$port-:5556" </dev/null >"$log" 2>&1 &
qemu_pid=$!
i=0
until grep -q "PUB bound" "$log" || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
sed 's/^/  firmware> /' "$log"
"$python" "$top/examples/demo_sub.py" "tcp://127.0.0.1:$port" "$count"
status=$?
kill "$qemu_pid" 2>/dev/null
wait "$qemu_pid" 2>/dev/null
echo "demo: firmware console (last lines):"
grep -v "terminating on signal" "$log" | tail -n 2 | sed "s/^/  firmware> /"
rm -f "$log"
exit $status
