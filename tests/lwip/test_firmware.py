#!/usr/bin/python3
"""The mps2-an385 firmware examples under QEMU against pyzmq (real libzmq) on the host.

    test_firmware.py BUILD_DIR [example ...]      (default: pub sub rep pushpull pub_copy)

Each example's image (BUILD_DIR/<name>.elf) runs in qemu-system-arm with user-mode
networking: a firmware that binds is reached through hostfwd on a host port picked by
binding port 0; a firmware that connects reaches the host's pyzmq socket, bound on a free
loopback port, as 10.0.2.2. Every QEMU started is stopped by its PID. Exit status 0 only
if every example passed.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import zmq

QEMU = os.environ.get("QEMU", "qemu-system-arm")
TIMEOUT = 30.0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Qemu:
    """One firmware image under QEMU; its console (semihosting) goes to a file."""

    def __init__(self, elf, append="", fwd=None):
        nic = "user,model=lan9118"
        if fwd:
            nic += ",hostfwd=tcp:127.0.0.1:%d-:%d" % fwd
        self.log = tempfile.NamedTemporaryFile(prefix="mzmtp-fw-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [QEMU, "-M", "mps2-an385", "-nographic", "-monitor", "none", "-serial", "none",
             "-semihosting", "-kernel", elf, "-append", append, "-nic", nic],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

    def output(self):
        with open(self.log.name, "r", errors="replace") as f:
            return f.read()

    def wait_for(self, text, timeout=TIMEOUT):
        end = time.time() + timeout
        while time.time() < end:
            if text in self.output():
                return True
            if self.proc.poll() is not None:
                return text in self.output()
            time.sleep(0.05)
        return False

    def wait_exit(self, timeout=TIMEOUT):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        os.unlink(self.log.name)


def host_socket(ctx, kind, rcvtimeo=None):
    """A pyzmq socket for the host side: no linger, and a receive timeout (ms) if given."""
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, 0)
    if rcvtimeo is not None:
        s.setsockopt(zmq.RCVTIMEO, rcvtimeo)
    return s


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def start_bound(build, name, args, guest_port, bound_line):
    """QEMU running firmware @name.elf with @args, its @guest_port forwarded from a free
    host port; waits for @bound_line. @return (the Qemu, the host port)."""
    hp = free_port()
    q = Qemu(os.path.join(build, name + ".elf"), args, (hp, guest_port))
    if not q.wait_for(bound_line):
        q.stop()
        raise AssertionError("firmware did not bind")
    return q, hp


def t_pub_copy(build, ctx):
    """The copying PUB (MZMTP_CONF_TX_ACK=0) binds; a pyzmq SUB connects through hostfwd
    and gets readings."""
    q, hp = start_bound(build, "pub_copy", "period=100", 5556, "pub: PUB bound")
    try:
        sub = host_socket(ctx, zmq.SUB, 10000)
        sub.setsockopt(zmq.SUBSCRIBE, b"sensor/")
        sub.connect("tcp://127.0.0.1:%d" % hp)
        got = [sub.recv() for _ in range(5)]
        sub.close()
        for m in got:
            check(m.startswith(b"sensor/temp ") and len(m) == 16, "bad reading %r" % m)
        return "5 readings, e.g. %r" % got[0]
    finally:
        q.stop()


def t_sub(build, ctx):
    """Firmware SUB connects to a pyzmq PUB on the host, subscribed to 'sensor/'."""
    pub = host_socket(ctx, zmq.PUB)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    q = Qemu(os.path.join(build, "sub.elf"), "port=%d count=5" % port)
    try:
        check(q.wait_for("sub: SUB connecting"), "firmware did not start")
        n = 0
        end = time.time() + TIMEOUT
        while q.proc.poll() is None and time.time() < end:
            pub.send(b"other/x %d" % n)     # filtered out by the subscription
            pub.send(b"sensor/temp %d" % n)
            n += 1
            time.sleep(0.1)
        rc = q.wait_exit(5)
        out = q.output()
        check(rc == 0, "firmware exit %r, output:\n%s" % (rc, out))
        lines = [l for l in out.splitlines() if l.startswith("sub: sensor/temp ")]
        check(len(lines) == 5, "expected 5 readings, got:\n%s" % out)
        check("other/" not in out, "unsubscribed topic delivered")
        return "5 readings, other/ filtered (%d sent)" % n
    finally:
        q.stop()
        pub.close()


def t_rep(build, ctx):
    """Firmware REP binds; a pyzmq REQ asks through hostfwd (single and multipart)."""
    q, hp = start_bound(build, "rep", "count=20", 5557, "rep: REP bound")
    try:
        req = host_socket(ctx, zmq.REQ, 10000)
        req.connect("tcp://127.0.0.1:%d" % hp)
        for i in range(19):
            body = b"hello %d" % i
            req.send(body)
            r = req.recv_multipart()
            check(r == [b"re:", body], "reply %r to %r" % (r, body))
        big = bytes(range(256)) * 4       # 1 KiB: longer than the 200-byte request buffer
        req.send(big)
        r = req.recv_multipart()
        check(r == [b"re:", big[:200]], "long reply %r" % r[:1])
        req.close()
        rc = q.wait_exit(10)
        check(rc == 0, "firmware exit %r, output:\n%s" % (rc, q.output()))
        return "20 round trips (one of 1 KiB, cut at the node's buffer)"
    finally:
        q.stop()


def t_pushpull(build, ctx):
    """Firmware PULL binds (hostfwd) and PUSHes results to a pyzmq PULL on the host."""
    N = 200
    sink = host_socket(ctx, zmq.PULL, 15000)
    port = sink.bind_to_random_port("tcp://127.0.0.1")
    hp = free_port()
    q = Qemu(os.path.join(build, "pushpull.elf"), "port=%d count=%d" % (port, N), (hp, 5558))
    try:
        check(q.wait_for("pushpull: PULL bound"), "firmware did not bind")
        src = host_socket(ctx, zmq.PUSH)
        src.connect("tcp://127.0.0.1:%d" % hp)
        for i in range(N):
            src.send(b"job %d " % i + b"x" * (i % 150))
        got = [sink.recv() for _ in range(N)]
        src.close()
        for i, m in enumerate(got):
            check(m == b"done:job %d " % i + b"x" * (i % 150), "message %d: %r" % (i, m))
        rc = q.wait_exit(10)
        check(rc == 0, "firmware exit %r, output:\n%s" % (rc, q.output()))
        return "%d messages through the node, in order" % N
    finally:
        q.stop()
        sink.close()


def t_pub(build, ctx):
    """The PUB, zero-copy (MZMTP_CONF_TX_ACK=1: lwIP keeps pointers into the send ring
    until each segment is acknowledged): 4 pyzmq SUBs, one reading every 20 ms; each gets
    60 consecutive readings, unchanged and in order (no slot reused before its ACK)."""
    q, hp = start_bound(build, "pub", "period=20", 5556, "pub: PUB bound")
    subs = []
    try:
        for _ in range(4):
            sub = host_socket(ctx, zmq.SUB, 10000)
            sub.setsockopt(zmq.SUBSCRIBE, b"sensor/")
            sub.connect("tcp://127.0.0.1:%d" % hp)
            subs.append(sub)
        for i, sub in enumerate(subs):
            got = [sub.recv() for _ in range(60)]
            for m in got:
                check(m.startswith(b"sensor/temp ") and len(m) == 16, "sub %d: bad reading %r" % (i, m))
            tenths = [int(m[12:14] + m[15:16]) - 180 for m in got]
            for a, b in zip(tenths, tenths[1:]):
                check(b == (a + 7) % 80, "sub %d: %r after %r: a reading lost or out of order"
                      % (i, b + 180, a + 180))
        return "4 subscribers x 60 consecutive readings"
    finally:
        for sub in subs:
            sub.close()
        q.stop()


TESTS = {"pub": t_pub, "sub": t_sub, "rep": t_rep, "pushpull": t_pushpull, "pub_copy": t_pub_copy}


def main():
    build = sys.argv[1]
    names = sys.argv[2:] or list(TESTS)
    ctx = zmq.Context()
    failed = 0
    for name in names:
        t0 = time.time()
        try:
            what = TESTS[name](build, ctx)
            print("PASS firmware %-9s %s (%.1f s)" % (name, what, time.time() - t0), flush=True)
        except Exception as e:  # report and go on with the next example
            failed += 1
            print("FAIL firmware %-9s %s" % (name, e), flush=True)
    ctx.term()
    print("firmware examples: %d passed, %d failed" % (len(names) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
