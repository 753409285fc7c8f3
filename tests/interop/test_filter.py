"""Topic prefix filtering and unsubscribe between zmtpcat and libzmq.

A libzmq SUB filters again on receipt, so to see what our PUB really sends, these tests
either look at the TCP stream through a recording relay (WireTap) or use a libzmq XSUB,
which does not filter on receipt."""

import time

import zmq

from helpers import (InteropCase, TapReader, WireTap, WAIT, assert_topic_stops, data_messages,
                     parse_command,
                     zrecv, zrecv_none, FLAG_COMMAND)


class PubFiltering(InteropCase):

    def tap_to(self, ep):
        tap = WireTap(ep)
        self.addCleanup(tap.stop)
        return tap

    def test_prefix_filter_on_the_wire(self):
        """libzmq SUB subscribed to "A": our PUB puts only A-prefixed messages on the wire
        (binary, case-sensitive prefix match on the first frame)."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "1")
        tap = self.tap_to(ep)
        sub = self.zsock(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"A")
        sub.connect(tap.endpoint)
        pub.send_lines(["A1", "B2", "AB3", "a4", "BA5", " A6", "A", "Aend"])
        got = []
        while not got or got[-1] != [b"Aend"]:
            got.append(zrecv(sub))
        want = [[b"A1"], [b"AB3"], [b"A"], [b"Aend"]]
        self.assertEqual(got, want)
        self.assertEqual(data_messages(tap.frames("down")), want,
                         "our PUB sent non-matching messages on the wire")
        pub.close_stdin()
        self.assertExit(pub, 0)

    def test_libzmq_sub_unsubscribe_stops_topic(self):
        """libzmq SUB subscribed to A and B, then UNSUBSCRIBE A: the CANCEL command crosses
        the wire and our PUB stops sending A (seen on the wire) while B keeps flowing."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "1")
        tap = self.tap_to(ep)
        sub = self.zsock(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"A")
        sub.setsockopt(zmq.SUBSCRIBE, b"B")
        sub.connect(tap.endpoint)
        reader = TapReader(tap)
        # Both subscriptions in effect: A and B both flow (bounded retry for B's arrival).
        deadline = time.monotonic() + WAIT
        while True:
            self.assertLess(time.monotonic(), deadline, "topic B never flowed; " + pub.describe())
            pub.send_lines(["Async", "Bsync"])
            first = reader.next_message()[0]
            if first == b"Async":
                if reader.next_message()[0] == b"Bsync":
                    break
            elif first == b"Bsync":
                break
        sub.setsockopt(zmq.UNSUBSCRIBE, b"A")
        assert_topic_stops(pub.send_lines, lambda t: reader.next_message(t)[0])
        cmds = [b for f, b in tap.frames("up") if f & FLAG_COMMAND]
        self.assertIn((b"CANCEL", b"A"), [parse_command(c) for c in cmds])
        pub.close_stdin()
        self.assertExit(pub, 0)

    def test_libzmq_xsub_cancel_stops_topic(self):
        """libzmq XSUB (no filtering on receipt) sends \\x01A, \\x01B then \\x00A: our PUB
        stops sending A, B keeps flowing."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "1")
        xsub = self.zsock(zmq.XSUB)
        xsub.connect(ep)
        xsub.send(b"\x01A")
        xsub.send(b"\x01B")
        deadline = time.monotonic() + WAIT
        while True:
            self.assertLess(time.monotonic(), deadline, "topic B never flowed; " + pub.describe())
            pub.send_lines(["Bsync"])
            if xsub.poll(50):
                break
        while xsub.poll(200):
            xsub.recv_multipart()
        xsub.send(b"\x00A")
        assert_topic_stops(pub.send_lines, lambda t: zrecv(xsub, t)[0])
        pub.close_stdin()
        self.assertExit(pub, 0)

    def test_per_peer_filters(self):
        """Two libzmq XSUBs with different topics on one bound PUB (--wait-peers 2): each
        gets only its own topic (XSUB does not filter, so this is our PUB's filtering)."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "2")
        xa = self.zsock(zmq.XSUB)
        xb = self.zsock(zmq.XSUB)
        xa.connect(ep)
        xb.connect(ep)
        xa.send(b"\x01A")
        xb.send(b"\x01B")
        pub.send_lines(["A1", "B1", "C1", "AB2", "BA2", "Aend", "Bend"])
        got_a, got_b = [], []
        while not got_a or got_a[-1] != b"Aend":
            got_a.append(zrecv(xa)[0])
        while not got_b or got_b[-1] != b"Bend":
            got_b.append(zrecv(xb)[0])
        self.assertEqual(got_a, [b"A1", b"AB2", b"Aend"])
        self.assertEqual(got_b, [b"B1", b"BA2", b"Bend"])
        pub.close_stdin()
        self.assertExit(pub, 0)


class SubSubscriptions(InteropCase):

    def test_sub_topics_reach_libzmq_xpub(self):
        """Our SUB -s A -s B: the libzmq XPUB sees \\x01A and \\x01B, and our SUB prints
        exactly the matching messages."""
        xpub = self.zsock(zmq.XPUB)
        ep = self.zbind(xpub, "tcp")
        sub = self.zmtpcat("sub", "-c", ep, "-s", "A", "-s", "B", "-n", "4")
        subs = {zrecv(xpub)[0], zrecv(xpub)[0]}
        self.assertEqual(subs, {b"\x01A", b"\x01B"})
        zrecv_none(xpub, 0.1)
        for m in (b"A1", b"B2", b"C3", b"AB4", b"Aend"):
            xpub.send(m)
        self.assertEqual(sub.read_lines(4), [b"A1", b"B2", b"AB4", b"Aend"])
        self.assertExit(sub, 0)

    def test_sub_explicit_empty_topic(self):
        """Our SUB -s '' subscribes to everything: libzmq XPUB sees \\x01 alone."""
        xpub = self.zsock(zmq.XPUB)
        ep = self.zbind(xpub, "tcp")
        sub = self.zmtpcat("sub", "-c", ep, "-s", "", "-n", "1")
        self.assertEqual(zrecv(xpub), [b"\x01"])
        xpub.send(b"anything")
        self.assertEqual(sub.read_lines(1), [b"anything"])
        self.assertExit(sub, 0)
