"""PUB/SUB between zmtpcat and libzmq: both directions, both sides binding and connecting,
over tcp://127.0.0.1, tcp://[::1] and ipc://."""

import time

import zmq

from helpers import (InteropCase, add_matrix, assert_our_lines_arrive_in_order, probe_until_seen,
                     zrecv, zrecv_none)

TRANSPORTS = ("tcp", "tcp6", "ipc")

MESSAGES = ["hello", "world", "A\u00e9\u20ac utf-8 bytes pass through", "x" * 300, "last"]


class PubSubMatrix(InteropCase):
    """Our PUB -> libzmq SUB and libzmq PUB -> our SUB, for every transport and binder."""

    def our_pub_to_libzmq_sub(self, transport, ours_binds):
        ipv6 = transport == "tcp6"
        sub = self.zsock(zmq.SUB, ipv6=ipv6)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        pub, ep = self.join(sub, transport, ours_binds, "pub", "--wait-peers", "1")
        pub.send_lines(MESSAGES)
        for m in MESSAGES:
            self.assertEqual(zrecv(sub), [m.encode("utf-8")], pub.describe())
        pub.close_stdin()
        self.assertExit(pub, 0)
        zrecv_none(sub, 0.1)

    def libzmq_pub_to_our_sub(self, transport, ours_binds):
        ipv6 = transport == "tcp6"
        lzpub = self.zsock(zmq.PUB, ipv6=ipv6)
        sub, ep = self.join(lzpub, transport, ours_binds, "sub")
        probe_until_seen(lambda: lzpub.send(b"probe"), sub, b"probe")
        for m in MESSAGES:
            lzpub.send(m.encode("utf-8"))
        got = sub.read_lines(len(MESSAGES), skip=b"probe")
        self.assertEqual(got, [m.encode("utf-8") for m in MESSAGES])
        sub.terminate()


add_matrix(PubSubMatrix, [
    ("our_pub_to_libzmq_sub", "our PUB -> libzmq SUB", PubSubMatrix.our_pub_to_libzmq_sub),
    ("libzmq_pub_to_our_sub", "libzmq PUB -> our SUB", PubSubMatrix.libzmq_pub_to_our_sub),
], TRANSPORTS)


class PubSubBehaviour(InteropCase):

    def test_pub_flushes_queued_lines_at_eof(self):
        """stdin written and closed at once: with --wait-peers 1 every line reaches the
        (already bound) libzmq SUB, in order, and zmtpcat exits 0."""
        sub = self.zsock(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        ep = self.zbind(sub, "tcp")
        lines = ["m%03d" % i for i in range(200)]
        pub = self.zmtpcat("pub", "-c", ep, "--wait-peers", "1")
        pub.send_lines(lines)
        pub.close_stdin()
        for l in lines:
            self.assertEqual(zrecv(sub), [l.encode()], pub.describe())
        self.assertExit(pub, 0)

    def test_pub_10000_messages_in_order(self):
        """10000 lines through our PUB to a fast libzmq SUB: none lost, order kept (frames
        cross TCP segment boundaries at every possible offset)."""
        sub = self.zsock(zmq.SUB, RCVHWM=0)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        ep = self.zbind(sub, "tcp")
        pub = self.zmtpcat("pub", "-c", ep, "--wait-peers", "1")
        lines = [b"m%05d" % i + b"." * (i % 37) for i in range(10000)]
        assert_our_lines_arrive_in_order(self, pub, sub, lines)

    def test_sub_10000_messages_in_order(self):
        """10000 messages from a libzmq PUB (SNDHWM 0) to our SUB: none lost, order kept."""
        lzpub = self.zsock(zmq.PUB, SNDHWM=0)
        ep = self.zbind(lzpub, "tcp")
        sub = self.zmtpcat("sub", "-c", ep)
        probe_until_seen(lambda: lzpub.send(b"probe"), sub, b"probe")
        lines = [b"m%05d" % i + b"." * (i % 37) for i in range(10000)]
        for l in lines:
            lzpub.send(l)
        self.assertEqual(sub.read_lines(len(lines), timeout=20.0, skip=b"probe"), lines)
        sub.terminate()

    def test_pub_to_three_libzmq_subs(self):
        """One bound PUB, three libzmq SUBs (--wait-peers 3): each gets every message."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "3")
        subs = []
        for _ in range(3):
            s = self.zsock(zmq.SUB)
            s.setsockopt(zmq.SUBSCRIBE, b"")
            s.connect(ep)
            subs.append(s)
        pub.send_lines(["one", "two", "three"])
        for s in subs:
            for m in (b"one", b"two", b"three"):
                self.assertEqual(zrecv(s), [m], pub.describe())
        pub.close_stdin()
        self.assertExit(pub, 0)

    def test_sub_connects_to_two_libzmq_pubs(self):
        """Our SUB with two -c endpoints receives from both libzmq PUBs."""
        p1 = self.zsock(zmq.PUB)
        p2 = self.zsock(zmq.PUB)
        e1 = self.zbind(p1, "tcp")
        e2 = self.zbind(p2, "tcp")
        sub = self.zmtpcat("sub", "-c", e1, "-c", e2)
        probe_until_seen(lambda: p1.send(b"probe1"), sub, b"probe1")
        p1.send(b"from1")
        self.assertEqual(sub.read_lines(1, skip=b"probe1"), [b"from1"])
        probe_until_seen(lambda: p2.send(b"probe2"), sub, b"probe2")
        p2.send(b"from2")
        self.assertEqual(sub.read_lines(1, skip=b"probe2"), [b"from2"])
        sub.terminate()

    def test_bound_sub_with_two_libzmq_pubs_at_once(self):
        """Two libzmq PUBs connected to our bound SUB at the same time: every message of
        each arrives, each publisher's messages in order."""
        sub, ep = self.zmtpcat_bind("tcp", "sub")
        p1 = self.zsock(zmq.PUB)
        p2 = self.zsock(zmq.PUB)
        p1.connect(ep)
        p2.connect(ep)
        probes = (b"probe1", b"probe2")
        seen = set()
        deadline = time.monotonic() + 10.0
        while seen != set(probes):
            self.assertLess(time.monotonic(), deadline, "probes seen: %r; %s" % (seen, sub.describe()))
            p1.send(b"probe1")
            p2.send(b"probe2")
            line = sub.try_readline(0.05)
            if line is not None:
                self.assertIn(line, probes)
                seen.add(line)
        for i in range(200):
            p1.send(b"a%03d" % i)
            p2.send(b"b%03d" % i)
        got = []
        deadline = time.monotonic() + 10.0
        while len(got) < 400:
            line = sub.readline(max(0.1, deadline - time.monotonic()))
            if line not in probes:
                got.append(line)
        self.assertEqual([l for l in got if l.startswith(b"a")], [b"a%03d" % i for i in range(200)])
        self.assertEqual([l for l in got if l.startswith(b"b")], [b"b%03d" % i for i in range(200)])
        sub.terminate()

    def test_sub_exits_after_n_messages(self):
        """-n 3: zmtpcat prints exactly three messages and exits 0 (libzmq XPUB sender,
        which waits for the subscription before publishing)."""
        xpub = self.zsock(zmq.XPUB)
        ep = self.zbind(xpub, "tcp")
        sub = self.zmtpcat("sub", "-c", ep, "-n", "3")
        self.assertEqual(zrecv(xpub), [b"\x01"], "subscribe-all expected from a SUB with no -s")
        for m in (b"a", b"b", b"c", b"d"):
            xpub.send(m)
        self.assertEqual(sub.read_lines(3), [b"a", b"b", b"c"])
        self.assertExit(sub, 0)

    def test_sub_timeout_exit_3(self):
        """--timeout: a SUB whose libzmq PUB sends nothing exits 3."""
        xpub = self.zsock(zmq.XPUB)
        ep = self.zbind(xpub, "tcp")
        sub = self.zmtpcat("sub", "-c", ep, "--timeout", "300")
        zrecv(xpub)  # connected and subscribed
        self.assertExit(sub, 3)
