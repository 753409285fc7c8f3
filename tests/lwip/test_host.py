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
    def __init__(self, node, action, endpoint):
        self.proc = subprocess.Popen([node, TAP, NODE_IP, "rep", action, endpoint],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready port="):
            raise AssertionError("node did not start: %r" % line)
        self.port = int(line.split("=")[1])

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(5)
        out = self.proc.stdout.read()
        stats = [l for l in out.splitlines() if l.startswith("port-stats")]
        return stats[-1] if stats else ""


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
    n = Node(node, "bind", "tcp://*:0")
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
    n = Node(node, "connect", "tcp://%s:%d" % (KERNEL_IP, port))
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


def inside(node):
    import zmq
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "tuntap", "add", "dev", TAP, "mode", "tap")
    sh("ip", "addr", "add", KERNEL_IP + "/24", "dev", TAP)
    sh("ip", "link", "set", TAP, "up")
    ctx = zmq.Context()
    failed = 0
    tests = [t_rep_bind, t_rep_connect]
    for t in tests:
        t0 = time.time()
        try:
            what = t(zmq, ctx, node)
            print("PASS lwip-host %-13s %s (%.1f s)" % (t.__name__[2:], what, time.time() - t0), flush=True)
        except Exception as e:
            failed += 1
            print("FAIL lwip-host %-13s %s" % (t.__name__[2:], e), flush=True)
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
