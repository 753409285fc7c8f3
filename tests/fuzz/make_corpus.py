#!/usr/bin/env python3
"""Write the seed corpus of fuzz_conn into corpus/ (see fuzz_conn.c for the layout:
mode byte, seed byte, then bytes from the peer). Each seed is a short valid transcript
of what libzmq sends (ZMTP-NOTES G, N, H), so the fuzzer starts past the handshake."""
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
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (mode, seed, body) in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes([mode, seed]) + body)


if __name__ == "__main__":
    main()
