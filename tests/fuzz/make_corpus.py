#!/usr/bin/env python3
"""Write the seed corpus of fuzz_conn into corpus/ (see fuzz_conn.c for the layout:
mode byte, seed byte, then bytes from the peer). Each seed is a short valid transcript
of what libzmq sends (wire-notes G, N, H), so the fuzzer starts past the handshake."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def greeting(minor=1, mech=b"NULL"):
    return (b"\xff" + b"\x00" * 7 + b"\x01\x7f\x03" + bytes([minor])
            + mech.ljust(20, b"\x00") + b"\x00" * 32)


def frame(body, flags=0):
    if len(body) > 255:
        return bytes([flags | 2]) + struct.pack(">Q", len(body)) + body
    return bytes([flags, len(body)]) + body


def command(name, data=b""):
    return frame(bytes([len(name)]) + name + data, 4)


def prop(name, value):
    return bytes([len(name)]) + name + struct.pack(">I", len(value)) + value


def ready(sock_type, extra=b""):
    return command(b"READY", prop(b"Socket-Type", sock_type) + extra)


PING = command(b"PING", b"\x00\x0f")
SEEDS = {
    # mode 2: greeting + READY come from the harness; the rest is traffic.
    "traffic_31": (0x02, 1, command(b"SUBSCRIBE", b"A") + frame(b"A1") + PING
                   + frame(b"A", 1) + frame(b"", 1) + frame(b"tail")
                   + command(b"CANCEL", b"A") + command(b"PONG")),
    "traffic_30": (0x03, 2, frame(b"\x01A") + frame(b"\x01") + frame(b"A-data")
                   + frame(b"\x00A")),
    "streaming_small_rx": (0x0A, 3, frame(bytes(range(256)) * 2, 1) + frame(b"x" * 300)
                           + frame(b"after")),
    "skip_long": (0x06, 4, frame(b"y" * 700, 1) + frame(b"z" * 40) + frame(b"next")),
    "ping_ctx": (0x02, 5, command(b"PING", b"\x00\x0a" + b"0123456789abcdefXYZ")
                 + command(b"PING", b"\x00\x00ctx") + command(b"UNKNOWN", b"??")),
    "max_msg_size": (0x32, 6, frame(b"m" * 60) + frame(b"m" * 70)),
    # mode 0: the whole transcript is fuzzed, greeting included.
    "whole_sub_peer": (0x00, 7, greeting() + ready(b"SUB") + command(b"SUBSCRIBE", b"")),
    "whole_pub_peer": (0x00, 8, greeting() + ready(b"PUB", prop(b"Identity", b"abc"))
                       + frame(b"hello")),
    "whole_30_peer": (0x00, 9, greeting(0) + ready(b"XPUB") + frame(b"\x01")),
    "greeting_only": (0x01, 10, ready(b"SUB") + command(b"ERROR", b"\x03400")),
    "bad_flags": (0x02, 11, frame(b"a", 1) + b"\x08\x00"),
    "long_size_limit": (0x02, 12, b"\x02\x7f\xff\xff\xff\xff\xff\xff\xff"),
    # The pattern socket of fuzz_conn.c: seed % 7 picks it, the high seed bits pick peers
    # and options (see fuzz_conn.c). Each transcript is what its libzmq peer would send.
    # REQ on a connecting slot (a request queued before the connection), replies behind
    # the empty delimiter (wire-notes S6), a PING, then a reply without one (S7: closes).
    "req_replies": (0x02, 0x23, frame(b"", 1) + frame(b"r1") + PING + frame(b"", 1)
                    + frame(b"r2") + frame(b"", 1) + frame(b"r3", 1) + frame(b"r3b")
                    + frame(b"no-delimiter")),
    # REP with two DEALER peers: an envelope, a request without an empty frame, one
    # with a deep envelope, and one with two routing frames (S8).
    "rep_envelopes": (0x02, 0x1D, frame(b"hop1", 1) + frame(b"", 1) + frame(b"req1")
                      + frame(b"bad") + frame(b"", 1) + frame(b"req2")
                      + frame(b"e" * 40, 1) + frame(b"f" * 40, 1) + frame(b"", 1)
                      + frame(b"too-deep") + frame(b"x", 1) + frame(b"y", 1)
                      + frame(b"", 1) + frame(b"req3")),
    # ROUTER, mandatory, two peers that both say Identity "abc" (S9: the second is
    # ignored); the whole transcript, greeting included, is fuzzed.
    "router_same_identity": (0x00, 0x95, greeting()
                             + ready(b"DEALER", prop(b"Identity", b"abc"))
                             + frame(b"hello") + frame(b"", 1) + frame(b"with-delimiter")
                             + frame(b"multi", 1) + frame(b"part") + PING),
    # PAIR with a second peer to ignore (S10), then the first reconnects.
    "pair_reconnect": (0x02, 0x52, frame(b"p1") + frame(b"p2", 1) + frame(b"p2b") + PING
                       + frame(b"x" * 200)),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (mode, seed, body) in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes([mode, seed]) + body)


if __name__ == "__main__":
    main()
