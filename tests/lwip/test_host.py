#!/usr/bin/python3
"""Host lwIP tests: the lwIP nodes (tests/lwip/host/node.c: lwIP + ports/lwip + the core)
on a tap device, in a network namespace this test creates, against pyzmq.

    test_host.py BUILD_DIR [TEST-PREFIX ...]   (as root; the namespace is removed afterwards)

BUILD_DIR holds the three nodes tests/lwip/host/Makefile builds:
  node         NO_SYS=1, IPv4: every socket type binding and connecting, 1 MiB each way,
               a slow reader, reconnects, a garbage peer;
  node-ipv6    NO_SYS=1 with IPv6: PUB/SUB and REQ/REP (both sides as REQ and as REP),
               the node binding and connecting, over IPv6 only (pyzmq with ZMQ_IPV6);
  node-nosys0  NO_SYS=0 (tcpip thread, core locking, lwIP aborts on a call without the
               lock): PUB/SUB, REQ/REP both ways, PUSH/PULL 1 MiB, binding and connecting.
The kernel side of the tap is 10.77.0.1/24 and fd00::1/64, lwIP is 10.77.0.2 or fd00::2.
Ports: the node binds port 0 (lwIP picks), pyzmq binds random ports. Every process started
is stopped by PID. A missing node binary is a failure, never a skip.
"""
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time

TAP = "mzt0"
NETS = {4: ("10.77.0.1", "10.77.0.2"), 6: ("fd00::1", "fd00::2")}


def sh(*cmd):
    subprocess.run(cmd, check=True)


class Env:
    """One node binary and its address family."""

    def __init__(self, binary, family):
        self.binary, self.family = binary, family
        self.kernel_ip, self.node_ip = NETS[family]

    def url(self, ip, port=None):
        host = "[%s]" % ip if self.family == 6 else ip
        return "tcp://%s" % host if port is None else "tcp://%s:%d" % (host, port)

    def bind_any(self):
        return "tcp://[::]:0" if self.family == 6 else "tcp://*:0"


class Node:
    """The lwIP node; a thread keeps its last stats line."""

    def __init__(self, env, kind, action, endpoint):
        self.proc = subprocess.Popen([env.binary, TAP, env.node_ip, kind, action, endpoint],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready port="):
            self.stop()
            raise AssertionError("node did not start: %r (exit %r)" % (line, self.proc.poll()))
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
            check(self.proc.poll() is None, "node exited with %r" % self.proc.poll())
            time.sleep(0.05)
        return self.stats()

    def alive(self):
        check(self.proc.poll() is None, "node exited with %r" % self.proc.poll())

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(5)
        return self.last


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def pattern(n, size=1024):
    return (b"%08d" % n) + bytes((n + i) % 251 for i in range(8, size))


def zsock(zmq, ctx, env, ztype):
    z = ctx.socket(ztype)
    z.setsockopt(zmq.LINGER, 0)
    z.setsockopt(zmq.RCVTIMEO, 10000)
    z.setsockopt(zmq.SNDTIMEO, 10000)
    if env.family == 6:
        z.setsockopt(zmq.IPV6, 1)
    if ztype == zmq.SUB:
        z.setsockopt(zmq.SUBSCRIBE, b"sensor/")
    return z


def pair(zmq, ctx, env, kind, ztype, node_binds):
    """The node of kind `kind` and a pyzmq socket of type ztype, one binding, one connecting."""
    z = zsock(zmq, ctx, env, ztype)
    if node_binds:
        n = Node(env, kind, "bind", env.bind_any())
        z.connect(env.url(env.node_ip, n.port))
    else:
        port = z.bind_to_random_port(env.url(env.kernel_ip))
        n = Node(env, kind, "connect", env.url(env.kernel_ip, port))
    return n, z


@contextlib.contextmanager
def paired(zmq, ctx, env, kind, ztype, node_binds):
    """pair() for a with-block: on the way out the pyzmq socket is closed and the node
    stopped (by its PID), whatever happened."""
    n, z = pair(zmq, ctx, env, kind, ztype, node_binds)
    try:
        yield n, z
    finally:
        z.close()
        n.stop()


def echo_rounds(z, n, route=None):
    """Multipart round trips through an echoing node (route: a ROUTER's peer identity)."""
    for i in range(n):
        m = [b"part%d" % i, pattern(i, 16 + i % 300)]
        z.send_multipart(([route] if route else []) + m)
        got = z.recv_multipart()
        check(got == ([route] if route else []) + m, "echo %d differs" % i)


# ---------------------------------------------------------------------------------------
# Every socket type on the node, binding and connecting.

def node_received(n, count, timeout):
    """Wait until node @n has received @count messages; they must be exactly that many and
    none bad. @return its stats."""
    st = n.wait_stats(lambda s: s["msgs"] >= count, timeout)
    check(st.get("msgs") == count and st["bad"] == 0, "node stats %r" % st)
    return st


def t_echo(zmq, ctx, env, b, kind, ztype, rounds=100):
    with paired(zmq, ctx, env, kind, ztype, b) as (n, z):
        route = None
        if kind == "dealer":  # the node says hello first: the ROUTER learns its identity
            route, hello = z.recv_multipart()
            check(hello == b"hello", "dealer's first message %r" % hello)
        echo_rounds(z, rounds, route)
        node_received(n, rounds, 5)
        return "%d multipart round trips; %s" % (rounds, n.stop())


def t_req(zmq, ctx, env, b):
    with paired(zmq, ctx, env, "req", zmq.REP, b) as (n, z):
        for i in range(200):
            m = z.recv()
            check(m == pattern(i, 16 + i % 200), "request %d differs" % i)
            z.send(m)
        node_received(n, 200, 10)
        return "200 requests answered and checked; %s" % n.stop()


def t_pub(zmq, ctx, env, b, kind="pub"):
    with paired(zmq, ctx, env, kind, zmq.SUB, b) as (n, z):
        got = [z.recv() for _ in range(200)]
        seq = [int(m.split()[0].split(b"/")[1]) for m in got]
        check(all(m.startswith(b"sensor/") and len(m) == len(m.split()[0]) + 101 for m in got), "bad message")
        check(seq == list(range(seq[0], seq[0] + 200)), "gap in the sequence")
        if kind == "xpub":
            st = n.wait_stats(lambda s: s["subs"] >= 1, 5)
            check(st.get("subs", 0) >= 1, "XPUB saw no subscription: %r" % st)
        st = n.wait_stats(lambda s: s["sent"] >= 200, 5)
        check(st.get("bad") == 0, "node stats %r" % st)
        return "200 consecutive messages; %s" % n.stop()


def t_sub(zmq, ctx, env, b, kind="sub"):
    with paired(zmq, ctx, env, kind, zmq.XPUB if kind == "xsub" else zmq.PUB, b) as (n, z):
        if kind == "xsub":
            check(z.recv() == b"\x01sensor/", "XPUB did not get the node's subscription")
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


def t_push(zmq, ctx, env, b):
    with paired(zmq, ctx, env, "push", zmq.PULL, b) as (n, z):
        t0 = time.time()
        for i in range(1024):
            check(z.recv() == pattern(i), "message %d differs" % i)
        return "1 MiB (1024 x 1 KiB) in order in %.1f s; %s" % (time.time() - t0, n.stop())


def t_pull(zmq, ctx, env, b, kind="pull", count=1024):
    with paired(zmq, ctx, env, kind, zmq.PUSH, b) as (n, z):
        t0 = time.time()
        for i in range(count):
            z.send(pattern(i))
        st = node_received(n, count, 60)
        if kind == "pull-slow":
            check(st["stalls"] > 0 and st["held_max"] <= 1072,
                  "no backpressure seen or more held than the window: %r" % st)
        return "%d x 1 KiB checked in %.1f s; %s" % (count, time.time() - t0, n.stop())


# ---------------------------------------------------------------------------------------
# 1 MiB each way, a garbage peer, reconnects.

def t_rep_big(zmq, ctx, env, b):
    """lwIP REP binds; pyzmq REQ: 1 MiB each way in 1 KiB messages (through a 256 B receive
    buffer and a 1072 B TCP window); a garbage peer is closed and the REQ goes on."""
    with paired(zmq, ctx, env, "rep", zmq.REQ, True) as (n, req):
        t0 = time.time()
        for i in range(1024):
            req.send(pattern(i))
            check(req.recv() == pattern(i), "echo %d of 1 KiB differs" % i)
        dt = time.time() - t0
        g = socket.create_connection((env.node_ip, n.port), 5)
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
        echo_rounds(req, 10)
        n.alive()
        return "1 MiB each way in %.1f s, garbage peer closed; %s" % (dt, n.stop())


def t_reconnect(zmq, ctx, env, kind, ztype):
    """The node connects to a pyzmq socket that goes away and comes back on the same port:
    the node reconnects (back-off) and works again (a SUB node subscribes again)."""
    z = zsock(zmq, ctx, env, ztype)
    port = z.bind_to_random_port(env.url(env.kernel_ip))
    n = Node(env, kind, "connect", env.url(env.kernel_ip, port))
    try:
        for rnd in range(2):
            if rnd:
                z.close()
                time.sleep(0.5)
                z = zsock(zmq, ctx, env, ztype)
                z.bind(env.url(env.kernel_ip, port))
            if kind == "rep":
                echo_rounds(z, 50)
            elif kind == "pub":
                got = [z.recv() for _ in range(50)]
                check(all(m.startswith(b"sensor/") for m in got), "bad message")
            else:  # sub: publish until 50 more have arrived
                base = n.stats().get("msgs", 0)
                end = time.time() + 10
                while time.time() < end and n.stats().get("msgs", 0) < base + 50:
                    z.send(b"sensor/%d" % rnd)
                    time.sleep(0.002)
                check(n.stats().get("msgs", 0) >= base + 50, "no messages after reconnect")
        st = n.stats()
        check(st["connects"] >= 2 and st["bad"] == 0, "node stats %r" % st)
        return "50 + 50 around a reconnect; %s" % n.stop()
    finally:
        z.close()
        n.stop()


def both(name, f, *args):
    return [("%s_%s" % (name, "bind" if b else "connect"),
             (lambda b: lambda zmq, ctx, env: f(zmq, ctx, env, b, *args))(b)) for b in (True, False)]


def suites(zmq, build):
    Z = zmq
    v4 = Env(os.path.join(build, "node"), 4)
    v6 = Env(os.path.join(build, "node-ipv6"), 6)
    s0 = Env(os.path.join(build, "node-nosys0"), 4)
    basic = (both("pub", t_pub) + both("sub", t_sub) +
             both("rep", t_echo, "rep", Z.REQ) + both("req", t_req))
    every = (basic + both("xpub", t_pub, "xpub") + both("xsub", t_sub, "xsub") +
             both("router", t_echo, "router", Z.DEALER) +
             both("dealer", t_echo, "dealer", Z.ROUTER) +
             both("pair", t_echo, "pair", Z.PAIR) +
             both("push", t_push) + both("pull", t_pull) +
             both("pull_slow", t_pull, "pull-slow", 256) +
             [("rep_1mib_garbage", lambda zmq, ctx, env: t_rep_big(zmq, ctx, env, True))] +
             [("reconnect_%s" % k, (lambda k, t: lambda zmq, ctx, env: t_reconnect(zmq, ctx, env, k, t))(k, t))
              for k, t in (("rep", Z.REQ), ("pub", Z.SUB), ("sub", Z.PUB))])
    return [("v4", v4, every), ("ipv6", v6, basic),
            ("nosys0", s0, basic + both("push", t_push) + both("pull", t_pull))]


def inside(build, only):
    import zmq
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "tuntap", "add", "dev", TAP, "mode", "tap")
    sh("ip", "addr", "add", NETS[4][0] + "/24", "dev", TAP)
    sh("ip", "-6", "addr", "add", NETS[6][0] + "/64", "dev", TAP, "nodad")
    sh("ip", "link", "set", TAP, "up")
    ctx = zmq.Context()
    failed = total = 0
    for suite, env, tests in suites(zmq, build):
        for name, t in tests:
            full = "%s/%s" % (suite, name)
            if only and not any(full.startswith(o) for o in only):
                continue
            total += 1
            t0 = time.time()
            try:
                check(os.access(env.binary, os.X_OK), "no node binary %s" % env.binary)
                what = t(zmq, ctx, env)
                print("PASS lwip-host %-26s %s (%.1f s)" % (full, what, time.time() - t0), flush=True)
            except Exception as e:
                failed += 1
                print("FAIL lwip-host %-26s %s" % (full, e), flush=True)
    ctx.term()
    print("host lwIP tests: %d passed, %d failed" % (total - failed, failed))
    return 1 if failed or total == 0 else 0


def main():
    build = os.path.abspath(sys.argv[2] if sys.argv[1:2] == ["--inside"] else sys.argv[1])
    if sys.argv[1:2] == ["--inside"]:
        return inside(build, sys.argv[3:])
    if os.geteuid() != 0:
        print("FAIL lwip-host: needs root for the network namespace (not skipped: failed)")
        return 1
    ns = "mzlwip%d" % os.getpid()
    sh("ip", "netns", "add", ns)
    try:
        return subprocess.call(["ip", "netns", "exec", ns, sys.executable,
                                os.path.abspath(__file__), "--inside", build] + sys.argv[2:])
    finally:
        subprocess.run(["ip", "netns", "del", ns])


if __name__ == "__main__":
    sys.exit(main())
