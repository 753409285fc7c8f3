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

    # -- multipart with empty frames ----------------------------------------------------
    def test_pub_multipart_text(self):
        """TAB-separated text line -> multipart message, including empty frames."""
        self.pub_roundtrip([[b"A", b"b", b"c"], [b"A", b"", b"c", b""], [b"", b"x"]], hexmode=False)

    def test_pub_multipart_hex_with_empty_frames(self):
        self.pub_roundtrip([[b"\x00\x01", b"", b"\xff" * 3, b""], [b"", b"", b""], [b"\t\n", b"\r"]])

    def test_pub_single_empty_frame_hex(self):
        """An empty line is a message of one empty frame."""
        self.pub_roundtrip([[b""], [b"after"]])

    def test_pub_custom_delimiter(self):
        """-d '|' splits the line at '|' instead of TAB; TAB is then ordinary data."""
        self.pub_roundtrip([[b"a", b"b\tc", b""]], hexmode=False, sep="|")

    def test_sub_multipart_text(self):
        self.sub_roundtrip([[b"A", b"b", b"c"], [b"A", b"", b"c", b""], [b"x", b""]], hexmode=False)

    def test_sub_multipart_hex_with_empty_frames(self):
        self.sub_roundtrip([[b"\x00\x01", b"", b"\xff" * 3, b""], [b"", b"", b""], [b"\t\n", b"\r"]])

    def test_sub_single_empty_frame_hex(self):
        """A message of one empty frame prints as an empty line."""
        self.sub_roundtrip([[b""], [b"after"]])

    def test_sub_custom_delimiter(self):
        self.sub_roundtrip([[b"a", b"b\tc", b""]], hexmode=False, sep="|")

    # -- 255 / 256 bytes: the short/long frame boundary -------------------------------
    def test_pub_255_and_256_byte_frames(self):
        f255, f256 = bytes(range(256))[:255], bytes(range(256))
        self.pub_roundtrip([[f255], [f256], [f255, f256, b"", f255], [f256, f255]])

    def test_sub_255_and_256_byte_frames(self):
        f255, f256 = bytes(range(256))[:255], bytes(range(256))
        self.sub_roundtrip([[f255], [f256], [f255, f256, b"", f255], [f256, f255]])

    def test_pub_frame_sizes_around_boundaries(self):
        """Every size 250..260 and a few around 64 KiB, one message each."""
        sizes = list(range(250, 261)) + [65535, 65536, 65537]
        self.pub_roundtrip([[blob(n, n)] for n in sizes])

    def test_sub_frame_sizes_around_boundaries(self):
        sizes = list(range(250, 261)) + [65535, 65536, 65537]
        self.sub_roundtrip([[blob(n, n)] for n in sizes])

    # -- 1 MiB frames -------------------------------------------------------------------
    def test_pub_1mib_frame(self):
        self.pub_roundtrip([[blob(MiB, 1)], [b"T", blob(MiB, 2), b""]], timeout=20.0)

    def test_sub_streamed_frame_followed_by_more_frames(self):
        """A frame bigger than our per-peer receive buffer (zmtpcat: 64 KiB) that has MORE
        set, followed by a small frame, then a separate message: all three arrive."""
        self.sub_roundtrip([[blob(70000, 5), b"tail"], [b"next"]])

    def test_sub_1mib_frame(self):
        self.sub_roundtrip([[blob(MiB, 3)], [b"T", blob(MiB, 4), b""]], timeout=20.0)
