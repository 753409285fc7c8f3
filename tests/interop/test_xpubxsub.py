"""XPUB/XSUB between zmtpcat and libzmq, always with --hex so that the \\x01topic /
\\x00topic subscription messages can be written and read exactly."""

import zmq

from helpers import InteropCase, add_matrix, probe_until_seen, readline_polling, zrecv, zrecv_none


def h(b):
    return b.hex().encode()


class OurXpub(InteropCase):

    def xpub_with_libzmq_xsub(self, ours_binds, transport="tcp"):
        xsub = self.zsock(zmq.XSUB, ipv6=transport == "tcp6")
        xpub, ep = self.join(xsub, transport, ours_binds, "xpub", "--hex")
        xsub.send(b"\x01A")
        self.assertEqual(readline_polling(xpub, [xsub]), h(b"\x01A"), "subscribe notification")
        # Only A-prefixed data goes to the XSUB (which does not filter on receipt).
        xpub.send_lines([h(b"Ahello"), h(b"Bnope"), h(b"Aworld")])
        self.assertEqual(zrecv(xsub), [b"Ahello"])
        self.assertEqual(zrecv(xsub), [b"Aworld"])
        # Data sent upstream by the XSUB reaches our XPUB's application.
        xsub.send(b"up")
        self.assertEqual(xpub.readline(), h(b"up"), "upstream data from XSUB")
        # Cancel: notified, and A stops. "0041" printed means our XPUB processed it.
        xsub.send(b"\x00A")
        self.assertEqual(xpub.readline(), h(b"\x00A"), "cancel notification")
        xpub.send_lines([h(b"Agone")])
        xsub.send(b"\x01B")
        self.assertEqual(xpub.readline(), h(b"\x01B"))
        xpub.send_lines([h(b"Bend")])
        self.assertEqual(zrecv(xsub), [b"Bend"], "A-message sent after the cancel was delivered")
        xpub.terminate()

    def xpub_with_libzmq_sub(self, ours_binds, transport="tcp"):
        sub = self.zsock(zmq.SUB, ipv6=transport == "tcp6")
        xpub, ep = self.join(sub, transport, ours_binds, "xpub", "--hex")
        sub.setsockopt(zmq.SUBSCRIBE, b"topic")
        self.assertEqual(readline_polling(xpub, [sub]), h(b"\x01topic"),
                         "a SUBSCRIBE command from libzmq SUB must reach the XPUB app as \\x01topic")
        xpub.send_lines([h(b"topic1") + b"\t" + h(b"body")])
        self.assertEqual(zrecv(sub), [b"topic1", b"body"])
        sub.setsockopt(zmq.UNSUBSCRIBE, b"topic")
        self.assertEqual(readline_polling(xpub, [sub]), h(b"\x00topic"),
                         "a CANCEL command from libzmq SUB must reach the XPUB app as \\x00topic")
        xpub.terminate()

    def test_xpub_reports_first_subscribe_and_last_cancel_only(self):
        """Two libzmq XSUBs subscribe to A: one \\x01A; one cancels: nothing; the last
        cancels: \\x00A (wire-notes S4, libzmq XPUB without VERBOSE). B and C are markers
        that prove the duplicate was processed without being reported."""
        xpub, ep = self.zmtpcat_bind("tcp", "xpub", "--hex")
        s1 = self.zsock(zmq.XSUB)
        s2 = self.zsock(zmq.XSUB)
        s1.connect(ep)
        s2.connect(ep)
        s1.send(b"\x01A")
        self.assertEqual(xpub.readline(), h(b"\x01A"))
        s2.send(b"\x01A")
        s2.send(b"\x01B")
        self.assertEqual(xpub.readline(), h(b"\x01B"), "duplicate \\x01A must not be reported")
        s1.send(b"\x00A")
        s1.send(b"\x01C")
        self.assertEqual(xpub.readline(), h(b"\x01C"), "\\x00A with another subscriber left must not be reported")
        s2.send(b"\x00A")
        self.assertEqual(xpub.readline(), h(b"\x00A"))
        xpub.terminate()

    def test_xpub_duplicate_subscribe_from_one_libzmq_sub(self):
        """A libzmq SUB sends SUBSCRIBE on every setsockopt, duplicates included, and CANCEL
        only when its own count reaches 0 (wire-notes S1): our XPUB reports \x01A once and
        \x00A after the second UNSUBSCRIBE (B and C are markers)."""
        xpub, ep = self.zmtpcat_bind("tcp", "xpub", "--hex")
        sub = self.zsock(zmq.SUB)
        sub.connect(ep)
        sub.setsockopt(zmq.SUBSCRIBE, b"A")
        sub.setsockopt(zmq.SUBSCRIBE, b"A")
        sub.setsockopt(zmq.SUBSCRIBE, b"B")
        self.assertEqual(readline_polling(xpub, [sub]), h(b"\x01A"))
        self.assertEqual(readline_polling(xpub, [sub]), h(b"\x01B"), "duplicate \x01A reported")
        sub.setsockopt(zmq.UNSUBSCRIBE, b"A")   # libzmq sends nothing: count 2 -> 1
        sub.setsockopt(zmq.SUBSCRIBE, b"C")
        self.assertEqual(readline_polling(xpub, [sub]), h(b"\x01C"))
        sub.setsockopt(zmq.UNSUBSCRIBE, b"A")   # CANCEL A
        self.assertEqual(readline_polling(xpub, [sub]), h(b"\x00A"))
        xpub.terminate()

    def test_xpub_reports_cancels_when_peer_disconnects(self):
        """A libzmq XSUB with topic B disconnects: our XPUB reports \\x00B (wire-notes R3/S4)."""
        xpub, ep = self.zmtpcat_bind("tcp", "xpub", "--hex")
        s = self.zsock(zmq.XSUB)
        s.connect(ep)
        s.send(b"\x01B")
        self.assertEqual(xpub.readline(), h(b"\x01B"))
        s.close(linger=0)
        self.assertEqual(xpub.readline(), h(b"\x00B"))
        xpub.terminate()

    def test_xpub_wait_peers_then_publish(self):
        """--wait-peers 1 on our XPUB with a libzmq SUB: the notification is printed and
        lines written before the peer arrived are delivered."""
        xpub, ep = self.zmtpcat_bind("tcp", "xpub", "--hex", "--wait-peers", "1")
        xpub.send_lines([h(b"m1"), h(b"m2")])
        sub = self.zsock(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(ep)
        self.assertEqual(xpub.readline(), h(b"\x01"))
        self.assertEqual(zrecv(sub), [b"m1"])
        self.assertEqual(zrecv(sub), [b"m2"])
        xpub.terminate()


class OurXsub(InteropCase):

    def xsub_with_libzmq_xpub(self, ours_binds, transport="tcp"):
        xpub = self.zsock(zmq.XPUB, ipv6=transport == "tcp6")
        xsub, ep = self.join(xpub, transport, ours_binds, "xsub", "--hex")
        xsub.send_lines([h(b"\x01A")])
        self.assertEqual(zrecv(xpub), [b"\x01A"], "our XSUB's \\x01A must reach libzmq XPUB")
        xpub.send(b"Ahello")
        xpub.send(b"Bnope")   # filtered out by libzmq XPUB
        xpub.send(b"Aworld")
        self.assertEqual(xsub.read_lines(2), [h(b"Ahello"), h(b"Aworld")])
        # Data upstream: passed to the libzmq XPUB application.
        xsub.send_lines([h(b"hi")])
        self.assertEqual(zrecv(xpub), [b"hi"])
        xsub.send_lines([h(b"\x00A")])
        self.assertEqual(zrecv(xpub), [b"\x00A"])
        zrecv_none(xpub, 0.1)
        xsub.terminate()

    def xsub_with_libzmq_pub(self, ours_binds, transport="tcp"):
        pub = self.zsock(zmq.PUB, ipv6=transport == "tcp6")
        xsub, ep = self.join(pub, transport, ours_binds, "xsub", "--hex")
        xsub.send_lines([h(b"\x01A")])
        probe_until_seen(lambda: pub.send(b"Aprobe"), xsub, h(b"Aprobe"))
        pub.send(b"Bnope")
        pub.send_multipart([b"Amulti", b"", b"x"])
        self.assertEqual(xsub.read_lines(1, skip=h(b"Aprobe")), [h(b"Amulti") + b"\t\t" + h(b"x")])
        xsub.terminate()

    def test_xsub_s_option_subscribes(self):
        """Our XSUB -s A: the libzmq XPUB sees \x01A without anything on stdin."""
        xpub = self.zsock(zmq.XPUB)
        ep = self.zbind(xpub, "tcp")
        xsub = self.zmtpcat("xsub", "--hex", "-c", ep, "-s", "A")
        self.assertEqual(zrecv(xpub), [b"\x01A"])
        xpub.send(b"Ax")
        self.assertEqual(xsub.readline(), h(b"Ax"))
        xsub.terminate()

    def test_xsub_no_implicit_subscription(self):
        """Our XSUB with no -s sends no subscription of its own: the first thing the libzmq
        XPUB sees is the one written on stdin."""
        xpub = self.zsock(zmq.XPUB)
        ep = self.zbind(xpub, "tcp")
        xsub = self.zmtpcat("xsub", "--hex", "-c", ep)
        xsub.send_lines([h(b"\x01Z")])
        self.assertEqual(zrecv(xpub), [b"\x01Z"])
        xsub.terminate()


TRANSPORTS = ("tcp", "tcp6", "ipc")


def _swapped(fn):
    """These helpers take (ours_binds, transport)."""
    return lambda self, transport, ours_binds: fn(self, ours_binds, transport)


add_matrix(OurXpub, [
    ("xpub_with_libzmq_xsub", "our XPUB with a libzmq xsub", _swapped(OurXpub.xpub_with_libzmq_xsub)),
    ("xpub_with_libzmq_sub", "our XPUB with a libzmq sub", _swapped(OurXpub.xpub_with_libzmq_sub)),
], TRANSPORTS)
add_matrix(OurXsub, [
    ("xsub_with_libzmq_xpub", "our XSUB with a libzmq xpub", _swapped(OurXsub.xsub_with_libzmq_xpub)),
    ("xsub_with_libzmq_pub", "our XSUB with a libzmq pub", _swapped(OurXsub.xsub_with_libzmq_pub)),
], TRANSPORTS)
