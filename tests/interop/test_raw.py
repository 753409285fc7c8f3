"""zmtpcat against hand-written ZMTP on a plain Python socket: exact greeting and READY
bytes, ZMTP 3.0 peers (legacy subscription frames), exact frame encodings, split input,
and refusal of bad peers (wrong socket type, wrong mechanism, garbage) without harm to
a good libzmq subscriber."""

import random
import struct
import time

import zmq

from helpers import (InteropCase, RawPeer, WAIT, FLAG_COMMAND, accept, assert_topic_stops,
                     command, frame, greeting, parse_stream, raw_listener, ready, zrecv)

READY_BYTES = {
    # 04 len 05 "READY" 0B "Socket-Type" 00 00 00 n TYPE
    "PUB": bytes.fromhex("04 19 05 5245414459 0b 536f636b65742d54797065 00000003 505542"),
    "SUB": bytes.fromhex("04 19 05 5245414459 0b 536f636b65742d54797065 00000003 535542"),
    "XPUB": bytes.fromhex("04 1a 05 5245414459 0b 536f636b65742d54797065 00000004 58505542"),
    "XSUB": bytes.fromhex("04 1a 05 5245414459 0b 536f636b65742d54797065 00000004 58535542"),
}
PEER_OF = {"pub": b"SUB", "xpub": b"SUB", "sub": b"PUB", "xsub": b"PUB"}


class RawCase(InteropCase):

    def raw_connect(self, ep):
        r = RawPeer.connect(ep)
        self.track(r.sock)
        return r

    def raw_accept(self, listener):
        r = accept(listener)
        self.track(r.sock)
        return r

    def listener(self):
        lst, ep = raw_listener()
        self.track(lst)
        return lst, ep

    def check_greeting(self, g):
        self.assertEqual(len(g), 64)
        self.assertEqual(g[0], 0xFF, "signature byte 0")
        self.assertEqual(g[9], 0x7F, "signature byte 9")
        self.assertEqual(g[10], 3, "major version")
        self.assertEqual(g[11], 1, "minor version")
        self.assertEqual(g[12:32], b"NULL" + b"\x00" * 16, "mechanism")
        self.assertEqual(g[32], 0, "as-server must be 0 for NULL")
        self.assertEqual(g[33:64], b"\x00" * 31, "filler")


class Greeting(RawCase):
    """libzmq quirk G3: libzmq sends its greeting in stages and waits for ours, so we must
    send the whole 64-byte greeting at once, unprompted, in both roles."""

    def greeting_unprompted_bind(self, typ):
        _, ep = self.zmtpcat_bind("tcp", typ)
        raw = self.raw_connect(ep)
        g = raw.recv_exact(64, timeout=2.0)   # we send nothing at all
        self.check_greeting(g)

    def test_greeting_unprompted_connect_side(self):
        lst, ep = self.listener()
        self.zmtpcat("sub", "-c", ep)
        raw = self.raw_accept(lst)
        self.check_greeting(raw.recv_exact(64, timeout=2.0))

    def ready_exact(self, typ):
        _, ep = self.zmtpcat_bind("tcp", typ)
        raw = self.raw_connect(ep)
        raw.send(greeting() + ready(PEER_OF[typ]))
        self.check_greeting(raw.recv_exact(64))
        raw.read_frame()
        hdr, body = raw.raw_frames[0]
        self.assertEqual(hdr + body, READY_BYTES[typ.upper()],
                         "READY of our %s: got %s" % (typ.upper(), (hdr + body).hex(" ")))


def _add_greeting_tests():
    for typ in ("pub", "sub", "xpub", "xsub"):
        def tg(self, typ=typ):
            self.greeting_unprompted_bind(typ)

        def tr(self, typ=typ):
            self.ready_exact(typ)
        tg.__doc__ = "our bound %s sends the full 64-byte greeting before receiving anything" % typ.upper()
        tr.__doc__ = "our %s's READY is exactly libzmq's bytes" % typ.upper()
        setattr(Greeting, "test_greeting_unprompted_bind_%s" % typ, tg)
        setattr(Greeting, "test_ready_exact_bytes_%s" % typ, tr)


_add_greeting_tests()


class Zmtp30AndSubscriptions(RawCase):

    def test_raw30_sub_receives_from_our_pub(self):
        """A ZMTP 3.0 SUB (greeting minor 0, READY SUB, subscribes with data 00 02 01 41)
        connected to our PUB receives only A-prefixed messages."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "1")
        raw = self.raw_connect(ep)
        g, props = raw.handshake(b"SUB", minor=0)
        self.check_greeting(g)
        self.assertEqual(props.get(b"Socket-Type"), b"PUB")
        raw.send(b"\x00\x02\x01A")
        pub.send_lines(["Ahello", "Bnope", "Aworld"])
        self.assertEqual(raw.read_message(), [b"Ahello"])
        self.assertEqual(raw.read_message(), [b"Aworld"])
        pub.close_stdin()
        self.assertExit(pub, 0)

    def test_raw30_sub_cancel_with_data_frame(self):
        """3.0 SUB subscribes A and B with data frames, then cancels A with 00 02 00 41."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "1")
        raw = self.raw_connect(ep)
        raw.handshake(b"SUB", minor=0)
        raw.send(b"\x00\x02\x01A" + b"\x00\x02\x01B")
        pub.send_lines(["Async", "Bsync"])
        self.assertEqual([raw.read_message(), raw.read_message()], [[b"Async"], [b"Bsync"]])
        raw.send(b"\x00\x02\x00A")
        assert_topic_stops(pub.send_lines, lambda t: raw.read_message(t)[0])

    def test_raw31_sub_subscribe_command(self):
        """A 3.1 SUB subscribing with the SUBSCRIBE command gets A-prefixed messages."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "1")
        raw = self.raw_connect(ep)
        raw.handshake(b"SUB")
        raw.send(command(b"SUBSCRIBE", b"A"))
        pub.send_lines(["Ahello", "Bnope", "Aworld"])
        self.assertEqual(raw.read_message(), [b"Ahello"])
        self.assertEqual(raw.read_message(), [b"Aworld"])

    def test_raw31_duplicate_subscribe_single_cancel(self):
        """SUBSCRIBE A twice, then one CANCEL A: our PUB keeps a set per connection (like
        libzmq, wire-notes S1), so A stops; B keeps flowing."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "1")
        raw = self.raw_connect(ep)
        raw.handshake(b"SUB")
        raw.send(command(b"SUBSCRIBE", b"A") + command(b"SUBSCRIBE", b"A") + command(b"SUBSCRIBE", b"B"))
        pub.send_lines(["Async", "Bsync"])
        self.assertEqual([raw.read_message(), raw.read_message()], [[b"Async"], [b"Bsync"]])
        raw.send(command(b"CANCEL", b"A"))
        assert_topic_stops(pub.send_lines, lambda t: raw.read_message(t)[0])

    def test_raw30_pub_sees_data_subscription(self):
        """Our SUB connected to a ZMTP 3.0 PUB sends its subscription as the data frame
        00 02 01 41 (not a SUBSCRIBE command), and filters what the PUB sends."""
        lst, ep = self.listener()
        sub = self.zmtpcat("sub", "-c", ep, "-s", "A", "-n", "2")
        raw = self.raw_accept(lst)
        g, props = raw.handshake(b"PUB", minor=0)
        self.check_greeting(g)
        self.assertEqual(props.get(b"Socket-Type"), b"SUB")
        raw.read_frame()
        hdr, body = raw.raw_frames[-1]
        self.assertEqual(hdr + body, b"\x00\x02\x01A",
                         "subscription to a 3.0 peer: got %s" % (hdr + body).hex(" "))
        # A raw PUB does not filter: our SUB must.
        raw.send(frame(b"Bno") + frame(b"Ahi") + frame(b"Cno") + frame(b"Ayes"))
        self.assertEqual(sub.read_lines(2), [b"Ahi", b"Ayes"])
        self.assertExit(sub, 0)

    def test_raw31_pub_sees_subscribe_command(self):
        """Our SUB (-s A -s BB) connected to a 3.1 PUB sends 04 0B 09 SUBSCRIBE A and
        04 0C 09 SUBSCRIBE BB."""
        lst, ep = self.listener()
        sub = self.zmtpcat("sub", "-c", ep, "-s", "A", "-s", "BB")
        raw = self.raw_accept(lst)
        raw.handshake(b"PUB")
        raw.read_frame()
        raw.read_frame()
        got = sorted(h + b for h, b in raw.raw_frames[-2:])
        self.assertEqual(got, sorted([b"\x04\x0b\x09SUBSCRIBEA", b"\x04\x0c\x09SUBSCRIBEBB"]),
                         [g.hex(" ") for g in got])
        sub.terminate()

    def test_raw31_pub_sees_subscribe_all(self):
        """Our SUB with no -s sends SUBSCRIBE with an empty topic: 04 0A 09 SUBSCRIBE."""
        lst, ep = self.listener()
        sub = self.zmtpcat("sub", "-c", ep)
        raw = self.raw_accept(lst)
        raw.handshake(b"PUB")
        raw.read_frame()
        hdr, body = raw.raw_frames[-1]
        self.assertEqual(hdr + body, b"\x04\x0a\x09SUBSCRIBE", (hdr + body).hex(" "))
        raw.send(frame(b"x"))
        self.assertEqual(sub.readline(), b"x")
        sub.terminate()


class Encoding(RawCase):

    def test_our_pub_short_and_long_frame_encoding(self):
        """Our PUB uses the short form for bodies <= 255 and the long form (flag 02, 8-byte
        size) from 256; MORE is 01 on every frame but the last."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "1", "--hex")
        raw = self.raw_connect(ep)
        raw.handshake(b"SUB")
        raw.send(command(b"SUBSCRIBE", b""))
        f0, f255, f256 = b"", b"\xab" * 255, b"\xcd" * 256
        pub.send_frames([f255])
        pub.send_frames([f256])
        pub.send_frames([f255, f256, f0])
        pub.send_frames([f0])
        msgs = [raw.read_message() for _ in range(4)]
        self.assertEqual(msgs, [[f255], [f256], [f255, f256, f0], [f0]])
        hdrs = [h for h, _ in raw.raw_frames[1:]]
        self.assertEqual(hdrs, [
            b"\x00\xff",
            b"\x02" + struct.pack(">Q", 256),
            b"\x01\xff",
            b"\x03" + struct.pack(">Q", 256),
            b"\x00\x00",
            b"\x00\x00",
        ], [h.hex(" ") for h in hdrs])

    def test_our_sub_accepts_long_form_small_frames(self):
        """A PUB may send a small body in the long form (libzmq accepts it, wire-notes F2)."""
        lst, ep = self.listener()
        sub = self.zmtpcat("sub", "-c", ep, "-n", "2", "--hex")
        raw = self.raw_accept(lst)
        raw.handshake(b"PUB")
        raw.read_frame()  # SUBSCRIBE
        raw.send(b"\x02" + struct.pack(">Q", 3) + b"Ahi"
                 + b"\x03" + struct.pack(">Q", 1) + b"x" + b"\x00\x00")
        self.assertEqual(sub.read_lines(2), [b"Ahi".hex().encode(), b"x".hex().encode() + b"\t"])
        self.assertExit(sub, 0)

    def test_our_sub_handles_input_split_byte_by_byte(self):
        """A PUB that sends its greeting and READY, then (after our READY) its messages,
        one byte per TCP write: our SUB reassembles everything."""
        lst, ep = self.listener()
        sub = self.zmtpcat("sub", "-c", ep, "-n", "2", "--hex")
        raw = self.raw_accept(lst)

        def trickle(data):
            for i in range(len(data)):
                raw.send(data[i:i + 1])
                if i < 80 or i % 50 == 0:
                    time.sleep(0.002)
        trickle(greeting() + ready(b"PUB"))
        self.check_greeting(raw.recv_exact(64))
        self.assertEqual(raw.read_frame()[0], FLAG_COMMAND)      # READY
        trickle(frame(b"one", more=True) + frame(b"\x00" * 300) + frame(b"two"))
        self.assertEqual(sub.read_lines(2), [b"one".hex().encode() + b"\t" + b"00" * 300,
                                             b"two".hex().encode()])
        self.assertExit(sub, 0)

    def test_our_sub_handles_coalesced_input(self):
        """Greeting and READY in one write; then a PING and two messages in one write."""
        lst, ep = self.listener()
        sub = self.zmtpcat("sub", "-c", ep, "-n", "2")
        raw = self.raw_accept(lst)
        raw.handshake(b"PUB")
        raw.send(command(b"PING", b"\x00\x00") + frame(b"one") + frame(b"two"))
        self.assertEqual(sub.read_lines(2), [b"one", b"two"])
        self.assertExit(sub, 0)


class BadPeers(RawCase):
    """Each bad peer connects to our bound PUB while a good libzmq SUB is subscribed; the
    bad connection is closed (only commands, e.g. an ERROR, may precede the close), the
    good one keeps receiving, and a new good subscriber can still join afterwards."""

    def setUp(self):
        super().setUp()
        self.pub, self.ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "1")
        self.good = self.zsock(zmq.SUB)
        self.good.setsockopt(zmq.SUBSCRIBE, b"")
        self.good.connect(self.ep)
        self.seq = 0
        self.deliver()

    def deliver(self):
        """Publish one message; the good subscriber must receive exactly it (after any
        "late" probes still in flight)."""
        m = b"msg%d" % self.seq
        self.seq += 1
        self.pub.send_line(m)
        got = zrecv(self.good)
        while got == [b"late"]:
            got = zrecv(self.good)
        self.assertEqual(got, [m], self.pub.describe())

    def assert_refused(self, payload, what, send_in_pieces=False):
        raw = self.raw_connect(self.ep)
        try:
            if send_in_pieces:
                for i in range(0, len(payload), 7):
                    raw.send(payload[i:i + 7])
            else:
                raw.send(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed already: fine
        self.assertTrue(raw.wait_closed(WAIT), "%s: our PUB kept the connection open; %s"
                        % (what, self.pub.describe()))
        # Whatever our PUB sent: at most a greeting and commands, never a data message.
        rest = raw.buf[64:] if raw.buf[:1] == b"\xff" else b""
        for flags, body in parse_stream(rest):
            self.assertTrue(flags & FLAG_COMMAND, "%s: data frame %r sent to a refused peer"
                            % (what, body[:40]))
        raw.close()
        self.assertTrue(self.pub.alive(), self.pub.describe())
        self.deliver()

    def late_subscriber_works(self):
        """A new libzmq SUB can still join (no peer slot leaked by the refused peers)."""
        sub2 = self.zsock(zmq.SUB)
        sub2.setsockopt(zmq.SUBSCRIBE, b"")
        sub2.connect(self.ep)
        deadline = time.monotonic() + WAIT
        while True:
            self.assertLess(time.monotonic(), deadline,
                            "late subscriber never got a message; " + self.pub.describe())
            self.pub.send_line(b"late")
            if sub2.poll(50):
                break
        self.assertEqual(zrecv(sub2), [b"late"])
        self.deliver()

    def test_socket_type_push_refused(self):
        """READY with Socket-Type PUSH (illegal with PUB, wire-notes M5) is refused."""
        self.assert_refused(greeting() + ready(b"PUSH"), "Socket-Type PUSH")
        self.late_subscriber_works()

    def test_socket_type_pub_refused(self):
        self.assert_refused(greeting() + ready(b"PUB"), "Socket-Type PUB")
        self.late_subscriber_works()

    def test_mechanism_mismatch_refused(self):
        """A PLAIN greeting to our NULL PUB is refused (mechanisms must match exactly)."""
        self.assert_refused(greeting(mechanism=b"PLAIN"), "mechanism PLAIN")
        self.late_subscriber_works()

    def test_unexpected_command_during_handshake_refused(self):
        """A PING (or any command but READY/ERROR) before READY closes the connection."""
        self.assert_refused(greeting() + command(b"PING", b"\x00\x00"), "PING before READY")
        self.late_subscriber_works()

    def test_garbage_http_refused(self):
        self.assert_refused(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "HTTP request")
        self.late_subscriber_works()

    def test_garbage_random_bytes_refused(self):
        data = b"\x00" + random.Random(7).randbytes(4096)
        self.assert_refused(data, "4 KiB of random bytes")
        self.late_subscriber_works()

    def test_garbage_after_handshake_refused(self):
        """A valid handshake followed by a long frame whose size is 2^64-1 (beyond the
        2^63-1 that ZMTP allows) and junk: that connection is closed, nobody else notices."""
        self.assert_refused(greeting() + ready(b"SUB") + b"\x02" + b"\xff" * 8 + b"junk" * 16,
                            "frame size 2^64-1 after the handshake")
        self.late_subscriber_works()

    def test_many_bad_connections_do_not_leak_slots(self):
        """Eight refused connections in a row (more than the default 4 peer slots), then a
        new subscriber still joins."""
        for i in range(8):
            payload = [greeting() + ready(b"PUSH"), b"garbage!" * 4][i % 2]
            self.assert_refused(payload, "bad connection #%d" % i)
        self.late_subscriber_works()

    def test_silent_and_stalled_peers_do_not_block(self):
        """Two peers that connect and send nothing, and one that stops in the middle of its
        READY, stay connected while the good subscriber keeps receiving."""
        quiet = [self.raw_connect(self.ep) for _ in range(2)]
        half = self.raw_connect(self.ep)
        half.send(greeting() + ready(b"SUB")[:10])
        for i in range(5):
            self.deliver()
        for r in quiet + [half]:
            self.assertFalse(r.wait_closed(0.0), "a silent peer was closed early")
        self.assertTrue(self.pub.alive(), self.pub.describe())

    def test_peer_closing_mid_greeting(self):
        """A peer that sends half a greeting and disconnects, four times."""
        for _ in range(4):
            raw = self.raw_connect(self.ep)
            raw.send(greeting()[:20])
            raw.close()
        self.deliver()
        self.late_subscriber_works()
