"""Slow subscribers, side by side: libzmq's PUB and zmtpcat's PUB in the same scenarios.

  /usr/bin/python3 bench/slow_subscribers.py --zmtpcat build/zmtpcat [--seconds 10]

Scenarios (RFC 29: a slow subscriber only hurts itself):
  stalled1  one reading SUB and one stalled SUB (RCVHWM 100, RCVBUF 4 KiB, never reads),
            messages of 1000 B offered at 5000/s
  stalled3  the same with three stalled SUBs joining one second apart
  gap       a connecting PUB whose bound SUB is closed, 200 messages published while it
            is away, a new SUB bound 1 s later: how many of the 200 arrive
For each PUB it prints the messages the reader lost and the rate the publisher kept.
Everything runs on 127.0.0.1 with ports picked by the kernel; every process is stopped.
"""

import argparse
import subprocess
import threading
import time

import zmq

LINE = 1000


def numbered(i):
    return b"%08d" % i + b"x" * (LINE - 8)


class Reader(threading.Thread):
    def __init__(self, sock, expect, timeout):
        super().__init__(daemon=True)
        self.sock, self.expect, self.timeout = sock, expect, timeout
        self.got, self.last = 0, -1

    def run(self):
        while self.got < self.expect and self.sock.poll(int(self.timeout * 1000)):
            m = self.sock.recv()
            self.last = int(m[:8])
            self.got += 1


class ZmtpcatPub:
    def __init__(self, exe):
        self.p = subprocess.Popen([exe, "pub", "-b", "tcp://127.0.0.1:0", "--print-endpoint",
                                   "--linger", "500"], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        line = self.p.stderr.readline().decode()
        self.ep = line.split()[-1]

    def send(self, msgs):
        self.p.stdin.write(b"".join(m + b"\n" for m in msgs))
        self.p.stdin.flush()

    def close(self):
        self.p.stdin.close()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


class LibzmqPub:
    def __init__(self, ctx):
        self.s = ctx.socket(zmq.PUB)
        self.s.setsockopt(zmq.LINGER, 0)
        self.s.bind("tcp://127.0.0.1:*")
        self.ep = self.s.getsockopt_string(zmq.LAST_ENDPOINT)

    def send(self, msgs):
        for m in msgs:
            self.s.send(m)

    def close(self):
        self.s.close()


def stalled_scenario(ctx, pub, nstalled, seconds, rate=5000):
    n = int(seconds * rate)
    reader_sock = ctx.socket(zmq.SUB)
    reader_sock.setsockopt(zmq.LINGER, 0)
    reader_sock.setsockopt(zmq.RCVHWM, 0)
    reader_sock.setsockopt(zmq.SUBSCRIBE, b"")
    reader_sock.connect(pub.ep)
    stalled = []
    for _ in range(nstalled):
        s = ctx.socket(zmq.SUB)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVHWM, 100)
        s.setsockopt(zmq.RCVBUF, 4096)
        s.setsockopt(zmq.SUBSCRIBE, b"")
        stalled.append(s)
    stalled[0].connect(pub.ep)
    time.sleep(0.5)  # subscriptions in
    reader = Reader(reader_sock, n, 5.0)
    reader.start()
    start = time.monotonic()
    chunk = rate // 20
    for k in range(0, n, chunk):
        for j, s in enumerate(stalled[1:], 1):
            if k == j * rate:
                s.connect(pub.ep)
        pub.send([numbered(i) for i in range(k, min(n, k + chunk))])
        delay = start + (k + chunk) / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    offered_for = time.monotonic() - start
    reader.join(seconds + 15)
    pub.close()
    for s in stalled + [reader_sock]:
        s.close()
    return n, n - reader.got, n / offered_for


def gap_scenario(ctx, exe_or_none):
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.bind("tcp://127.0.0.1:*")
    ep = sub.getsockopt_string(zmq.LAST_ENDPOINT)
    if exe_or_none:
        p = subprocess.Popen([exe_or_none, "pub", "-c", ep, "--wait-peers", "1"],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        send = lambda m: (p.stdin.write(m + b"\n"), p.stdin.flush())
    else:
        pub = ctx.socket(zmq.PUB)
        pub.setsockopt(zmq.LINGER, 0)
        pub.connect(ep)
        time.sleep(0.3)
        send = pub.send
    deadline = time.monotonic() + 5
    while not sub.poll(100) and time.monotonic() < deadline:
        send(b"probe")
    while sub.poll(200):
        sub.recv()
    sub.close()
    time.sleep(0.3)
    for i in range(200):
        send(b"gap%03d" % i)
    time.sleep(0.7)
    sub2 = None
    for _ in range(100):
        sub2 = ctx.socket(zmq.SUB)
        sub2.setsockopt(zmq.LINGER, 0)
        try:
            sub2.bind(ep)
            break
        except zmq.ZMQError:
            sub2.close()
            time.sleep(0.05)
    sub2.setsockopt(zmq.SUBSCRIBE, b"")
    got = 0
    while sub2.poll(3000):
        if sub2.recv().startswith(b"gap"):
            got += 1
        if got == 200:
            break
    sub2.close()
    if exe_or_none:
        p.stdin.close()
        p.kill()
        p.wait()
    else:
        pub.close()
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zmtpcat", required=True)
    ap.add_argument("--seconds", type=float, default=10.0)
    a = ap.parse_args()
    ctx = zmq.Context()
    for name, nst in (("stalled1", 1), ("stalled3", 3)):
        for who in ("libzmq", "microzmtp"):
            pub = LibzmqPub(ctx) if who == "libzmq" else ZmtpcatPub(a.zmtpcat)
            n, lost, kept = stalled_scenario(ctx, pub, nst, a.seconds)
            print("SLOW scenario=%s pub=%s offered=%d reader_lost=%d publisher_rate=%.0f/s"
                  % (name, who, n, lost, kept), flush=True)
    for who in ("libzmq", "microzmtp"):
        got = gap_scenario(ctx, a.zmtpcat if who == "microzmtp" else None)
        print("SLOW scenario=gap pub=%s published_in_gap=200 delivered=%d" % (who, got),
              flush=True)
    ctx.destroy(linger=0)


if __name__ == "__main__":
    main()
