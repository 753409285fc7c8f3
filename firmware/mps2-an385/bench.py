#!/usr/bin/python3
"""Instructions per 64-byte publish on the PUB firmware (examples/bench_pub.c), under
qemu-system-arm -icount shift=SHIFT, with a pyzmq SUB on the host through hostfwd.

    bench.py BENCH_PUB_ELF [SHIFT [COUNT]]      (make bench-fw; SHIFT 7, COUNT 100)

Prints the firmware's "bench ..." lines. Fails (exit 1) when the clock check fails, the
firmware reports an error, the SUB does not get COUNT messages of 64 bytes, or QEMU does
not finish within 120 s. QEMU is stopped by its PID.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import zmq


def main():
    elf = sys.argv[1]
    shift = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    log = tempfile.TemporaryFile(mode="w+")
    qemu = subprocess.Popen(
        [os.environ.get("QEMU", "qemu-system-arm"), "-M", "mps2-an385", "-nographic",
         "-monitor", "none", "-serial", "none", "-semihosting", "-icount", "shift=%d" % shift,
         "-kernel", elf, "-append", "shift=%d count=%d" % (shift, count),
         "-nic", "user,model=lan9118,hostfwd=tcp:127.0.0.1:%d-:5556" % port],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVTIMEO, 500)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    got, ok = 0, False
    try:
        sub.connect("tcp://127.0.0.1:%d" % port)
        end = time.time() + 120
        while got < count:
            try:
                m = sub.recv()
            except zmq.Again:
                if qemu.poll() is not None or time.time() > end:
                    raise
                continue
            if len(m) != 64 or not m.startswith(b"sensor/"):
                raise AssertionError("bad message %r" % m)
            got += 1
        rc = qemu.wait(120)
        ok = rc == 0
    except (zmq.Again, subprocess.TimeoutExpired, AssertionError) as e:
        print("bench-fw: %s after %d messages" % (type(e).__name__, got))
    finally:
        if qemu.poll() is None:
            os.kill(qemu.pid, signal.SIGTERM)
            qemu.wait(5)
        sub.close()
        ctx.term()
    log.seek(0)
    out = log.read()
    lines = [l for l in out.splitlines() if l.startswith("bench ")]
    for l in lines:
        print(l)
    if not ok or len(lines) != 2:
        print("FAIL bench-fw: exit %r, %d of %d messages; firmware said:\n%s" % (qemu.returncode, got, count, out))
        return 1
    print("bench-fw: %d publishes of 64 B measured, %d received by the SUB (icount shift=%d)" % (count, got, shift))
    return 0


if __name__ == "__main__":
    sys.exit(main())
