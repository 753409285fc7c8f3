#!/usr/bin/python3
"""The POSIX port's loop cost per message with 1 and with 32 connections (docs/ports.md).

    /usr/bin/python3 tests/posix/loop_cost.py ZMTPCAT [ZMTPCAT...] [--conns 1,32] [--msgs 1000,4000]

For each zmtpcat binary and each connection count C: `zmtpcat rep` binds under
valgrind's callgrind; C pyzmq REQ sockets connect, one of them makes the round trips
(64 B, one at a time, so every request is one wakeup of the loop) and the others stay
idle. The instructions zmtpcat executes (user space, callgrind's Ir)
are counted for two message counts; their difference divided by the difference in
messages is the cost per message, start-up excluded. Prints one line per run:

    loop_cost zmtpcat=PATH conns=C ir_per_msg=N

and the peak RSS (VmHWM, KiB) of zmtpcat in a run without valgrind:

    loop_rss zmtpcat=PATH conns=C vmhwm_kib=N
A measurement, not a test: it asserts nothing. Loopback only; ports are chosen by the OS.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import zmq


def run_once(zmtpcat, conns, msgs, valgrind, out_dir):
    """callgrind's Ir total with @valgrind, else zmtpcat's peak RSS (VmHWM, KiB)."""
    out_file = os.path.join(out_dir, "cg.%d.%d.%d" % (os.getpid(), conns, msgs))
    count = msgs if valgrind else msgs + 1  # without valgrind it stays up to be measured
    cmd = [zmtpcat, "rep", "-b", "tcp://127.0.0.1:0", "--print-endpoint", "-n", str(count)]
    if valgrind:
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out_file] + cmd
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ep = None
    for raw in p.stderr:
        m = re.match(rb"^endpoint (\S+)", raw)
        if m:
            ep = m.group(1).decode()
            break
    if ep is None:
        p.kill()
        raise SystemExit("loop_cost: zmtpcat printed no endpoint")
    ctx = zmq.Context()
    socks = []
    for _ in range(conns):
        s = ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 2000)
        s.connect(ep)
        socks.append(s)
    time.sleep(3.0 if valgrind else 0.5)  # every handshake done (valgrind is slow)
    payload = b"x" * 64
    for _ in range(msgs):  # one request at a time: one loop wakeup per message
        socks[0].send(payload)
        socks[0].recv()
    hwm = None
    if not valgrind:
        time.sleep(1.0)
        with open("/proc/%d/status" % p.pid) as f:
            hwm = int(re.search(r"^VmHWM:\s+(\d+)", f.read(), re.M).group(1))
        p.kill()
    try:
        p.wait(timeout=300)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for s in socks:
            s.close()
        ctx.term()
    if not valgrind:
        return hwm
    with open(out_file) as f:
        text = f.read()
    os.unlink(out_file)
    m = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
    return int(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("zmtpcat", nargs="+")
    ap.add_argument("--conns", default="1,32")
    ap.add_argument("--msgs", default="1000,4000")
    a = ap.parse_args()
    conns = [int(x) for x in a.conns.split(",")]
    lo, hi = [int(x) for x in a.msgs.split(",")]
    with tempfile.TemporaryDirectory(prefix="mzloop") as d:
        for cat in a.zmtpcat:
            for c in conns:
                ir_lo = run_once(cat, c, lo, True, d)
                ir_hi = run_once(cat, c, hi, True, d)
                print("loop_cost zmtpcat=%s conns=%d ir_per_msg=%.0f" % (cat, c, (ir_hi - ir_lo) / (hi - lo)))
                sys.stdout.flush()
                print("loop_rss zmtpcat=%s conns=%d vmhwm_kib=%d" % (cat, c, run_once(cat, c, hi, False, d)))
                sys.stdout.flush()


if __name__ == "__main__":
    main()
