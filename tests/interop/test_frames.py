"""Framing between zmtpcat and libzmq: multipart with empty frames, the 255/256-byte
short/long boundary, 1 MiB frames, in both directions."""

import random

import zmq

from helpers import InteropCase, probe_until_seen, zrecv

MiB = 1 << 20


def blob(n, seed):
    return random.Random(seed).randbytes(n)


class Frames(InteropCase):

    # -- plumbing --------------------------------------------------------------------
    def our_pub(self, *extra):
        """Our PUB bound on tcp, a libzmq SUB (subscribed to everything) connected."""
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--wait-peers", "1", *extra)
        sub = self.zsock(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(ep)
        return pub, sub

    def our_sub(self, *extra):
        """A libzmq PUB bound on tcp, our SUB connected and known to be receiving. The probe
        is written in the mode the SUB prints (hex if --hex)."""
        lzpub = self.zsock(zmq.PUB, SNDHWM=0)
        ep = self.zbind(lzpub, "tcp")
        sub = self.zmtpcat("sub", "-c", ep, *extra)
        probe = b"probe".hex().encode() if "--hex" in extra else b"probe"
        probe_until_seen(lambda: lzpub.send(b"probe"), sub, probe)
        return lzpub, sub, probe

    def pub_roundtrip(self, frames_list, hexmode=True, sep="\t", timeout=10.0):
        args = ["--hex"] if hexmode else []
        if sep != "\t":
            args += ["-d", sep]
        pub, sub = self.our_pub(*args)
        for frames in frames_list:
            pub.send_frames(frames, hexmode=hexmode, sep=sep.encode())
        for frames in frames_list:
            got = zrecv(sub, timeout)
            self.assertEqual([len(f) for f in got], [len(f) for f in frames])
            self.assertEqual(got, frames)
        pub.close_stdin()
        self.assertExit(pub, 0, timeout=timeout)

    def sub_roundtrip(self, frames_list, hexmode=True, sep="\t", timeout=10.0):
        args = ["--hex"] if hexmode else []
        if sep != "\t":
            args += ["-d", sep]
        lzpub, sub, probe = self.our_sub(*args)
        for frames in frames_list:
            lzpub.send_multipart(frames)
        enc = (lambda f: f.hex().encode()) if hexmode else (lambda f: f)
        want = [sep.encode().join(enc(f) for f in frames) for frames in frames_list]
        got = sub.read_lines(len(want), timeout=timeout, skip=probe)
        for g, w in zip(got, want):
            self.assertEqual(len(g), len(w))
            self.assertEqual(g, w)
        sub.terminate()

    # -- SUB only: a frame larger than our receive buffer ------------------------------
    def test_sub_streamed_frame_followed_by_more_frames(self):
        """A frame bigger than our per-peer receive buffer (zmtpcat: 64 KiB) that has MORE
        set, followed by a small frame, then a separate message: all three arrive."""
        self.sub_roundtrip([[blob(70000, 5), b"tail"], [b"next"]])


F255, F256 = bytes(range(256))[:255], bytes(range(256))
BOUNDARY_SIZES = list(range(250, 261)) + [65535, 65536, 65537]

# One row per case, run both ways: test_pub_<stem> (our PUB -> libzmq SUB) and
# test_sub_<stem> (libzmq PUB -> our SUB). Row: stem, what it shows, the messages (lists
# of frames), the round trip's keyword arguments.
ROUNDTRIPS = [
    ("multipart_text", "TAB-separated text lines <-> multipart messages, empty frames included",
     [[b"A", b"b", b"c"], [b"A", b"", b"c", b""], [b"", b"x"], [b"x", b""]], {"hexmode": False}),
    ("multipart_hex_with_empty_frames", "hex lines <-> multipart messages with empty frames",
     [[b"\x00\x01", b"", b"\xff" * 3, b""], [b"", b"", b""], [b"\t\n", b"\r"]], {}),
    ("single_empty_frame_hex", "an empty line <-> a message of one empty frame",
     [[b""], [b"after"]], {}),
    ("custom_delimiter", "-d '|' splits the line at '|' instead of TAB; TAB is then ordinary data",
     [[b"a", b"b\tc", b""]], {"hexmode": False, "sep": "|"}),
    # the short/long frame boundary
    ("255_and_256_byte_frames", "frames of 255 and 256 bytes, alone and mixed",
     [[F255], [F256], [F255, F256, b"", F255], [F256, F255]], {}),
    ("frame_sizes_around_boundaries", "every size 250..260 and a few around 64 KiB, one message each",
     [[blob(n, n)] for n in BOUNDARY_SIZES], {}),
    ("1mib_frame", "1 MiB frames, alone and between others",
     [[blob(MiB, 1)], [b"T", blob(MiB, 2), b""]], {"timeout": 20.0}),
]

for _stem, _text, _msgs, _kw in ROUNDTRIPS:
    for _side in ("pub", "sub"):
        def _t(self, side=_side, msgs=_msgs, kw=_kw):
            getattr(self, side + "_roundtrip")(msgs, **kw)

        _t.__doc__ = "%s (%s)" % (_text, "our PUB" if _side == "pub" else "our SUB")
        setattr(Frames, "test_%s_%s" % (_side, _stem), _t)
