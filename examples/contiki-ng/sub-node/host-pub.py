#!/usr/bin/python3
"""Host side of the sub-node example: a pyzmq PUB that the node subscribes to.

    host-pub.py                          bind tcp://[::]:5556 (the node connects to it)
    host-pub.py --connect 'tcp://[fd00::302:304:506:708]:9998'    connect to the node
Publishes ["weather", "seq=N"] and ["news", "seq=N"] every second; the node subscribes
to "weather" (try "sub news" / "unsub weather" on its serial line). --big N adds one
message of N bytes after the first second (the node prints its length and FNV-1a hash,
printed here too). Runs as an XPUB so that it can print the node's (un)subscriptions.
"""
import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from example_host import bind_or_connect, host_main, ipv6_socket  # noqa: E402


def fnv1a(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def serve(ctx, args):
    pub = ipv6_socket(ctx, zmq.XPUB)
    # --connect wins over --bind (which has a default).
    bind_or_connect(pub, None if args.connect else args.bind, args.connect)
    seq = 0
    big_sent = args.big == 0
    while True:
        while pub.poll(0):
            ev = pub.recv()
            print("subscription" if ev[:1] == b"\x01" else "cancel", ev[1:].decode(errors="replace"),
                  flush=True)
        for topic in (b"weather", b"news"):
            pub.send_multipart([topic, b"seq=%d" % seq])
        if not big_sent and seq >= 1:
            body = bytes((i * 7 + 3) & 0xFF for i in range(args.big))
            pub.send_multipart([b"weather", body])
            print("sent big: len=%d fnv=%08x" % (7 + len(body), fnv1a(b"weather" + body)), flush=True)
            big_sent = True
        seq += 1
        time.sleep(args.period)


if __name__ == "__main__":
    host_main(__doc__, [(("--bind",), {"default": "tcp://[::]:5556"}),
                        (("--connect",), {}),
                        (("--big",), {"type": int, "default": 0}),
                        (("--period",), {"type": float, "default": 1.0})], serve)
