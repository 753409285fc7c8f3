"""libzmq options that change what crosses the wire, against zmtpcat: heartbeats (PING/PONG),
extra READY metadata and a routing id (greeting padding), MAXMSGSIZE, several binds."""

import os
import time

import zmq

from helpers import (InteropCase, Monitor, WireTap, WAIT, FLAG_COMMAND, drain_probes,
                     have_ipv6_loopback, parse_command, probe_until_seen, zrecv)

ZMQ_METADATA = 95  # wire-notes D4: works by number on Debian's libzmq 4.3.4


class Heartbeats(InteropCase):

    def idle(self, mon, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            mon.poll(min(0.1, max(0.0, deadline - time.monotonic())))

    def commands(self, tap, direction):
        return [parse_command(b)[0] for f, b in tap.frames(direction) if f & FLAG_COMMAND]

    def test_libzmq_sub_heartbeats_answered_by_our_pub(self):
        """libzmq SUB with HEARTBEAT_IVL 100 ms, TIMEOUT 300 ms, TTL 500 ms: our PUB answers
        every PING with a PONG, so the idle connection survives 1.2 s; then data flows."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "1")
        tap = WireTap(ep)
        self.addCleanup(tap.stop)
        sub = self.zsock(zmq.SUB, HEARTBEAT_IVL=100, HEARTBEAT_TIMEOUT=300, HEARTBEAT_TTL=500)
        mon = Monitor(sub)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(tap.endpoint)
        pub.send_line("m0")
        self.assertEqual(zrecv(sub), [b"m0"])
        self.idle(mon, 1.2)
        self.assertEqual(mon.count(zmq.EVENT_DISCONNECTED), 0, "libzmq dropped us: %r" % mon.events)
        self.assertEqual(mon.count(zmq.EVENT_HANDSHAKE_SUCCEEDED), 1, mon.events)
        up, down = self.commands(tap, "up"), self.commands(tap, "down")
        self.assertGreaterEqual(up.count(b"PING"), 5, up)
        self.assertGreaterEqual(down.count(b"PONG"), 5, "our PUB's commands: %r" % down)
        pub.send_line("m1")
        self.assertEqual(zrecv(sub), [b"m1"])
        pub.close_stdin()
        self.assertExit(pub, 0)

    def test_libzmq_pub_heartbeats_answered_by_our_sub(self):
        """libzmq PUB with heartbeats connected to our bound SUB: the idle connection
        survives 1.2 s and data still flows."""
        sub, ep = self.zmtpcat_bind("tcp", "sub")
        tap = WireTap(ep)
        self.addCleanup(tap.stop)
        pub = self.zsock(zmq.PUB, HEARTBEAT_IVL=100, HEARTBEAT_TIMEOUT=300, HEARTBEAT_TTL=500)
        mon = Monitor(pub)
        pub.connect(tap.endpoint)
        probe_until_seen(lambda: pub.send(b"probe"), sub, b"probe")
        self.idle(mon, 1.2)
        self.assertEqual(mon.count(zmq.EVENT_DISCONNECTED), 0, "libzmq dropped us: %r" % mon.events)
        down = self.commands(tap, "down")   # from our SUB (the tap's target) to libzmq
        self.assertGreaterEqual(down.count(b"PONG"), 5, "our SUB's commands: %r" % down)
        pub.send(b"after")
        self.assertEqual(drain_probes(sub, b"probe", timeout=WAIT), b"after")
        sub.terminate()


class Metadata(InteropCase):

    def test_libzmq_sub_with_routing_id_and_metadata(self):
        """A libzmq SUB with ZMQ_ROUTING_ID "abc" (greeting padding ...04 7F, wire-notes G2)
        and ZMQ_METADATA X-Hello (an extra READY property) is accepted by our PUB."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "1")
        sub = self.zsock(zmq.SUB, ROUTING_ID=b"abc")
        sub.setsockopt(ZMQ_METADATA, b"X-Hello:world")
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(ep)
        pub.send_line("m0")
        self.assertEqual(zrecv(sub), [b"m0"], pub.describe())
        pub.close_stdin()
        self.assertExit(pub, 0)

    def test_libzmq_pub_with_routing_id_and_metadata(self):
        pub = self.zsock(zmq.PUB, ROUTING_ID=b"abc")
        pub.setsockopt(ZMQ_METADATA, b"X-Hello:world")
        ep = self.zbind(pub, "tcp")
        sub = self.zmtpcat("sub", "-c", ep)
        probe_until_seen(lambda: pub.send(b"probe"), sub, b"probe")
        sub.terminate()


class MaxMsgSize(InteropCase):

    def test_our_sub_maxmsgsize_drops_oversize_connection(self):
        """Our SUB --maxmsgsize 100 (bound): a 100-byte message is printed; a 101-byte one
        closes that connection (as libzmq does, wire-notes F4) and is never printed; the
        libzmq PUB reconnects and later messages arrive."""
        sub, ep = self.zmtpcat_bind("tcp", "sub", "--maxmsgsize", "100")
        pub = self.zsock(zmq.PUB, RECONNECT_IVL=50)
        mon = Monitor(pub)
        pub.connect(ep)
        probe_until_seen(lambda: pub.send(b"p1"), sub, b"p1")
        pub.send(b"a" * 100)
        self.assertEqual(drain_probes(sub, b"p1", timeout=WAIT), b"a" * 100)
        pub.send(b"b" * 101)
        mon.wait_event({zmq.EVENT_DISCONNECTED})
        probe_until_seen(lambda: pub.send(b"p2"), sub, b"p2", timeout=10.0)
        self.assertTrue(sub.alive(), sub.describe())
        sub.terminate()


class MultiBind(InteropCase):

    def test_pub_bound_on_three_endpoints(self):
        """One PUB bound on tcp 127.0.0.1, tcp [::1] and ipc; a libzmq SUB on each
        (--wait-peers 3) gets every message."""
        if not have_ipv6_loopback():
            self.skipTest("this machine has no IPv6 loopback (::1)")
        ipc = "ipc://" + os.path.join(self.tmpdir(), "s")
        pub = self.zmtpcat("pub", "-b", "tcp://127.0.0.1:0", "-b", "tcp://[::1]:0", "-b", ipc,
                           "--print-endpoint", "--wait-peers", "3")
        eps = set()
        deadline = time.monotonic() + WAIT
        while len([e for e in eps if e.startswith("tcp://")]) < 2:
            eps.add(pub.endpoint(max(0.1, deadline - time.monotonic())))
        tcp4 = [e for e in eps if e.startswith("tcp://127.0.0.1:")]
        tcp6 = [e for e in eps if e.startswith("tcp://[::1]:")]
        self.assertEqual((len(tcp4), len(tcp6)), (1, 1), eps)
        subs = []
        for e in (tcp4[0], tcp6[0], ipc):
            s = self.zsock(zmq.SUB, ipv6=True)
            s.setsockopt(zmq.SUBSCRIBE, b"")
            s.connect(e)
            subs.append(s)
        pub.send_lines(["x", "y"])
        for s in subs:
            self.assertEqual([zrecv(s), zrecv(s)], [[b"x"], [b"y"]], pub.describe())
        pub.close_stdin()
        self.assertExit(pub, 0)
