#!/usr/bin/python3
"""Host lwIP tests: the lwIP node (tests/lwip/host/node.c: lwIP NO_SYS=1 + ports/lwip + the
core) on a tap device, in a network namespace this test creates, against pyzmq.

    test_host.py NODE            (as root; the namespace is removed afterwards)

The kernel side of the tap is 10.77.0.1/24, lwIP is 10.77.0.2. Ports: the node binds
port 0 (lwIP picks), pyzmq binds random ports. Every process started is stopped by PID.
"""
import os
import signal
import socket
import subprocess
import sys
import time

KERNEL_IP, NODE_IP, TAP = "10.77.0.1", "10.77.0.2", "mzt0"


def sh(*cmd):
    subprocess.run(cmd, check=True)


class Node:
    """The lwIP node; a thread keeps its last stats line."""

    def __init__(self, node, kind, action, endpoint):
        import threading
        self.proc = subprocess.Popen([node, TAP, NODE_IP, kind, action, endpoint],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready port="):
            self.stop()
            raise AssertionError("node did not start: %r" % line)
        self.port = int(line.split("=")[1])
        self.last = ""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("stats "):
                self.last = line.strip()

    def stats(self):
        return {k: int(v) for k, v in (f.split("=") for f in self.last.split()[1:])} if self.last else {}

    def wait_stats(self, cond, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            st = self.stats()
            if st and cond(st):
                return st
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        return self.stats()

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(5)
        return self.last


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def round_trips(zmq, req, n, size):
    for i in range(n):
        body = (b"%08d" % i) + bytes((i + k) & 0xFF for k in range(size - 8))
        req.send(body)
        check(req.recv() == body, "echo %d of %d B differs" % (i, size))


def t_rep_bind(zmq, ctx, node):
    """lwIP REP binds; pyzmq REQ: small round trips, then 1 MiB each way in 1 KiB messages
    (through a 256 B receive buffer and a 1072 B TCP window); a garbage peer is closed and
    the REQ goes on."""
    n = Node(node, "rep", "bind", "tcp://*:0")
    try:
        req = ctx.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.setsockopt(zmq.RCVTIMEO, 10000)
        req.connect("tcp://%s:%d" % (NODE_IP, n.port))
        round_trips(zmq, req, 20, 16)
        t0 = time.time()
        round_trips(zmq, req, 1024, 1024)
        dt = time.time() - t0
        g = socket.create_connection((NODE_IP, n.port), 5)
        g.settimeout(5)
        g.sendall(b"GET / HTTP/1.0\r\n\r\n" + os.urandom(200))
        closed = False
        try:
            while True:
                if g.recv(4096) == b"":
                    closed = True
                    break
        except (ConnectionResetError, socket.timeout) as e:
            closed = isinstance(e, ConnectionResetError)
        g.close()
        check(closed, "garbage peer not closed within 5 s")
        round_trips(zmq, req, 10, 100)
        req.close()
        return "1 MiB each way in %.1f s, garbage peer closed; %s" % (dt, n.stop())
    finally:
        n.stop()


def t_rep_connect(zmq, ctx, node):
    """lwIP REP connects to a pyzmq REQ; the REQ goes away and comes back on the same port:
    the node reconnects (back-off) and answers again."""
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    req.setsockopt(zmq.RCVTIMEO, 10000)
    port = req.bind_to_random_port("tcp://%s" % KERNEL_IP)
    n = Node(node, "rep", "connect", "tcp://%s:%d" % (KERNEL_IP, port))
    try:
        round_trips(zmq, req, 50, 200)
        req.close()
        time.sleep(0.5)
        req = ctx.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.setsockopt(zmq.RCVTIMEO, 10000)
        req.bind("tcp://%s:%d" % (KERNEL_IP, port))
        round_trips(zmq, req, 50, 200)
        req.close()
        return "50 + 50 round trips around a reconnect; %s" % n.stop()
    finally:
        n.stop()


def pattern(n, size=1024):
    return (b"%08d" % n) + bytes((n + i) % 251 for i in range(8, size))


def pair(zmq, ctx, node, kind, ztype, node_binds):
    """The node of kind `kind` and a pyzmq socket of type ztype, one binding, one connecting."""
    z = ctx.socket(ztype)
    z.setsockopt(zmq.LINGER, 0)
    z.setsockopt(zmq.RCVTIMEO, 10000)
    if ztype == zmq.SUB:
        z.setsockopt(zmq.SUBSCRIBE, b"")
    if node_binds:
        n = Node(node, kind, "bind", "tcp://*:0")
        z.connect("tcp://%s:%d" % (NODE_IP, n.port))
    else:
        port = z.bind_to_random_port("tcp://%s" % KERNEL_IP)
        n = Node(node, kind, "connect", "tcp://%s:%d" % (KERNEL_IP, port))
    return n, z


def t_pub(zmq, ctx, node, node_binds):
    n, z = pair(zmq, ctx, node, "pub", zmq.SUB, node_binds)
    try:
        got = [z.recv() for _ in range(200)]
        seq = [int(m.split()[0].split(b"/")[1]) for m in got]
        check(all(m.startswith(b"sensor/") and len(m) == len(m.split()[0]) + 101 for m in got), "bad message")
        check(seq == list(range(seq[0], seq[0] + 200)), "gap in the sequence")
        return "200 consecutive messages; %s" % n.stop()
    finally:
        z.close()
        n.stop()


def t_sub(zmq, ctx, node, node_binds):
    n, z = pair(zmq, ctx, node, "sub", zmq.PUB, node_binds)
    try:
        end = time.time() + 20
        i = 0
        while time.time() < end and n.stats().get("msgs", 0) < 200:
            z.send(b"other/%d" % i)
            z.send(b"sensor/%d " % i + b"y" * 300)
            i += 1
            time.sleep(0.002)
        st = n.wait_stats(lambda s: s["msgs"] >= 200, 5)
        check(st.get("msgs", 0) >= 200 and st["bad"] == 0, "node stats %r" % st)
        return "%d sensor/ messages of %d sent, other/ filtered; %s" % (st["msgs"], i, n.stop())
    finally:
        z.close()
        n.stop()


def t_push(zmq, ctx, node, node_binds):
    n, z = pair(zmq, ctx, node, "push", zmq.PULL, node_binds)
    try:
        t0 = time.time()
        for i in range(1024):
            check(z.recv() == pattern(i), "message %d differs" % i)
        return "1 MiB (1024 x 1 KiB) in order in %.1f s; %s" % (time.time() - t0, n.stop())
    finally:
        z.close()
        n.stop()


def t_pull(zmq, ctx, node, node_binds, kind="pull", count=1024):
    n, z = pair(zmq, ctx, node, kind, zmq.PUSH, node_binds)
    try:
        t0 = time.time()
        for i in range(count):
            z.send(pattern(i))
        st = n.wait_stats(lambda s: s["msgs"] >= count, 60)
        check(st.get("msgs") == count and st["bad"] == 0, "node stats %r" % st)
        if kind == "pull-slow":
            check(st["stalls"] > 0 and st["held_max"] <= 1072,
                  "no backpressure seen or more held than the window: %r" % st)
        return "%d x 1 KiB checked in %.1f s; %s" % (count, time.time() - t0, n.stop())
    finally:
        z.close()
        n.stop()


def t_pull_slow(zmq, ctx, node, node_binds):
    return t_pull(zmq, ctx, node, node_binds, "pull-slow", 256)


TESTS = [("rep_bind", t_rep_bind), ("rep_connect", t_rep_connect)] + [
    ("%s_%s" % (name, "bind" if b else "connect"), (lambda f, b: lambda z, c, n: f(z, c, n, b))(f, b))
    for name, f in [("pub", t_pub), ("sub", t_sub), ("push", t_push), ("pull", t_pull),
                    ("pull_slow", t_pull_slow)]
    for b in (True, False)]


def inside(node):
    import zmq
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "tuntap", "add", "dev", TAP, "mode", "tap")
    sh("ip", "addr", "add", KERNEL_IP + "/24", "dev", TAP)
    sh("ip", "link", "set", TAP, "up")
    ctx = zmq.Context()
    failed = 0
    tests = TESTS
    for name, t in tests:
        t0 = time.time()
        try:
            what = t(zmq, ctx, node)
            print("PASS lwip-host %-17s %s (%.1f s)" % (name, what, time.time() - t0), flush=True)
        except Exception as e:
            failed += 1
            print("FAIL lwip-host %-17s %s" % (name, e), flush=True)
    ctx.term()
    print("host lwIP tests: %d passed, %d failed" % (len(tests) - failed, failed))
    return 1 if failed else 0


def main():
    node = os.path.abspath(sys.argv[-1])
    if len(sys.argv) == 3 and sys.argv[1] == "--inside":
        return inside(node)
    if os.geteuid() != 0:
        print("FAIL lwip-host: needs root for the network namespace (not skipped: failed)")
        return 1
    ns = "mzlwip%d" % os.getpid()
    sh("ip", "netns", "add", ns)
    try:
        return subprocess.call(["ip", "netns", "exec", ns, sys.executable,
                                os.path.abspath(__file__), "--inside", node])
    finally:
        subprocess.run(["ip", "netns", "del", ns])


if __name__ == "__main__":
    sys.exit(main())
