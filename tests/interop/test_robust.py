"""Reconnects and refusals with real libzmq peers: a libzmq PUB closed and re-bound on the
same port, peers coming and going more times than there are peer slots, and libzmq
sockets of an incompatible type connecting to ours."""

import socket
import time

import zmq

from helpers import (InteropCase, Monitor, RawPeer, WAIT, command, drain_probes,
                     probe_until_seen, split_tcp_endpoint, zrebind, zrecv)

FAILED_EVENTS = {zmq.EVENT_DISCONNECTED, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL,
                 zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq.EVENT_CLOSED}


class Reconnect(InteropCase):

    def test_sub_reconnects_after_libzmq_pub_rebinds(self):
        """libzmq PUB bound, our SUB connected and receiving; the PUB is closed and a new
        PUB bound on the same port: our SUB reconnects by itself and receives again."""
        pub = self.zsock(zmq.PUB)
        ep = self.zbind(pub, "tcp")
        sub = self.zmtpcat("sub", "-c", ep)
        probe_until_seen(lambda: pub.send(b"probe"), sub, b"probe")
        pub.send(b"before")
        self.assertEqual(drain_probes(sub, b"probe", timeout=WAIT), b"before")
        pub.close(linger=0)
        time.sleep(0.3)  # let our SUB see the connection drop and retry at least once
        pub2 = zrebind(self, zmq.PUB, ep)
        probe_until_seen(lambda: pub2.send(b"probe2"), sub, b"probe2", timeout=15.0)
        pub2.send(b"after")
        self.assertEqual(drain_probes(sub, b"probe2", timeout=WAIT), b"after")
        self.assertTrue(sub.alive(), sub.describe())
        sub.terminate()

    def test_sub_resubscribes_after_libzmq_xpub_rebinds(self):
        """After the reconnect our SUB sends each of its subscriptions again (wire-notes S2);
        a re-bound libzmq XPUB sees \\x01A and \\x01B once more."""
        xpub = self.zsock(zmq.XPUB)
        ep = self.zbind(xpub, "tcp")
        sub = self.zmtpcat("sub", "-c", ep, "-s", "A", "-s", "B")
        self.assertEqual({zrecv(xpub)[0], zrecv(xpub)[0]}, {b"\x01A", b"\x01B"})
        xpub.send(b"A1")
        self.assertEqual(sub.readline(), b"A1")
        xpub.close(linger=0)
        time.sleep(0.3)
        xpub2 = zrebind(self, zmq.XPUB, ep)
        self.assertEqual({zrecv(xpub2, 15.0)[0], zrecv(xpub2)[0]}, {b"\x01A", b"\x01B"},
                         sub.describe())
        xpub2.send(b"B2")
        xpub2.send(b"C3")
        xpub2.send(b"A4")
        self.assertEqual(sub.read_lines(2), [b"B2", b"A4"])
        sub.terminate()

    def test_bound_sub_serves_successive_libzmq_pubs(self):
        """Six libzmq PUBs, one after the other, connect to our bound SUB, publish and
        close: more than the default peer slots, so closed peers must free theirs."""
        sub, ep = self.zmtpcat_bind("tcp", "sub")
        for i in range(6):
            pub = self.zsock(zmq.PUB)
            pub.connect(ep)
            probe = b"probe%d" % i
            probe_until_seen(lambda: pub.send(probe), sub, probe)
            pub.send(b"msg%d" % i)
            self.assertEqual(drain_probes(sub, probe, timeout=WAIT), b"msg%d" % i)
            pub.close(linger=0)
        sub.terminate()

    def test_bound_pub_serves_successive_libzmq_subs(self):
        """Six libzmq SUBs, one after the other, connect to our bound PUB and leave."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "1")
        for i in range(6):
            sub = self.zsock(zmq.SUB)
            sub.setsockopt(zmq.SUBSCRIBE, b"")
            sub.connect(ep)
            deadline = time.monotonic() + WAIT
            while not sub.poll(50):
                self.assertLess(time.monotonic(), deadline,
                                "subscriber #%d got nothing; %s" % (i, pub.describe()))
                pub.send_line(b"probe%d" % i)
            self.assertEqual(sub.recv_multipart(), [b"probe%d" % i])
            sub.close(linger=0)
        self.assertTrue(pub.alive(), pub.describe())
        pub.close_stdin()
        self.assertExit(pub, 0)


class SlowSubscriber(InteropCase):

    def test_stalled_subscriber_does_not_block_others(self):
        """RFC 29 / wire-notes S3: a PUB never blocks; each subscriber has its own queue and
        only a full queue drops. A raw SUB that subscribes and then never reads (tiny
        receive buffer) must not stop a libzmq SUB from getting all 300 messages of 32 KiB
        (default HWM 1000, so nothing may be dropped for the reading SUB; libzmq's PUB does
        exactly this); at stdin EOF zmtpcat exits 0 within its linger (500 ms)."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "2", "--linger", "500")
        host, port = split_tcp_endpoint(ep)
        s = self.track(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(WAIT)
        s.connect((host, port))
        stalled = RawPeer(s)
        stalled.handshake(b"SUB")
        stalled.send(command(b"SUBSCRIBE", b""))
        good = self.zsock(zmq.SUB, RCVHWM=0)
        good.setsockopt(zmq.SUBSCRIBE, b"")
        good.connect(ep)
        n = 300
        pub.send_lines([b"%04d" % i + b"x" * 32768 for i in range(n)])
        pub.close_stdin()
        got = 0
        while got < n and good.poll(3000):
            m = good.recv()
            self.assertEqual(m[:4], b"%04d" % got, "message lost or reordered for the good SUB")
            got += 1
        self.assertEqual(got, n, "the good SUB stalled after %d of %d messages while another "
                                 "subscriber did not read; %s" % (got, n, pub.describe()))
        self.assertExit(pub, 0, timeout=5.0)


class Mismatch(InteropCase):

    def test_libzmq_push_and_pub_refused_good_sub_undisturbed(self):
        """A libzmq SUB is receiving from our bound PUB; a libzmq PUSH and a libzmq PUB then
        connect to it. Both connections fail (no handshake succeeds), and the SUB keeps its
        one connection and every message."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "1")
        good = self.zsock(zmq.SUB)
        gmon = Monitor(good)
        good.setsockopt(zmq.SUBSCRIBE, b"")
        good.connect(ep)
        pub.send_line(b"m0")
        self.assertEqual(zrecv(good), [b"m0"])
        bad = []
        for kind in (zmq.PUSH, zmq.PUB):
            s = self.zsock(kind, RECONNECT_IVL=100)
            mon = Monitor(s)
            s.connect(ep)
            bad.append((s, mon))
        for s, mon in bad:
            mon.wait_event(FAILED_EVENTS)
            self.assertEqual(mon.count(zmq.EVENT_HANDSHAKE_SUCCEEDED), 0, mon.events)
        for i in range(1, 20):
            pub.send_line(b"m%d" % i)
        for i in range(1, 20):
            self.assertEqual(zrecv(good), [b"m%d" % i], pub.describe())
        gmon.poll(0.2)
        self.assertEqual(gmon.count(zmq.EVENT_HANDSHAKE_SUCCEEDED), 1, gmon.events)
        self.assertEqual(gmon.count(zmq.EVENT_DISCONNECTED), 0, gmon.events)
        self.assertTrue(pub.alive(), pub.describe())
        pub.close_stdin()
        self.assertExit(pub, 0)

    def test_our_sub_survives_libzmq_push(self):
        """Our SUB connects to a libzmq PUSH (refused) and to a libzmq PUB: the PUB's
        messages still arrive, nothing from the PUSH does."""
        push = self.zsock(zmq.PUSH)
        push_ep = self.zbind(push, "tcp")
        pub = self.zsock(zmq.PUB)
        pub_ep = self.zbind(pub, "tcp")
        pmon = Monitor(push)
        sub = self.zmtpcat("sub", "-c", push_ep, "-c", pub_ep)
        pmon.wait_event(FAILED_EVENTS - {zmq.EVENT_CLOSED})
        self.assertEqual(pmon.count(zmq.EVENT_HANDSHAKE_SUCCEEDED), 0, pmon.events)
        try:
            push.send(b"from-push", zmq.NOBLOCK)
        except zmq.Again:
            pass
        probe_until_seen(lambda: pub.send(b"probe"), sub, b"probe")
        pub.send(b"from-pub")
        self.assertEqual(drain_probes(sub, b"probe", timeout=WAIT), b"from-pub")
        self.assertIsNone(sub.try_readline(0.2))
        sub.terminate()
