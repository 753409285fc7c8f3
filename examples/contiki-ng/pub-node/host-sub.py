#!/usr/bin/python3
"""Host side of the pub-node example: a pyzmq SUB that prints what the node publishes.

    host-sub.py                                  connect to the node (it binds port 9999)
    host-sub.py --bind 'tcp://[::]:5557'         bind, then tell the node on its serial
                                                 line: connect tcp://[fd00::1]:5557
Options: --topic status (default: everything), --count N (stop after N messages).
"""
import os
import sys

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from example_host import NODE, bind_or_connect, host_main, ipv6_socket  # noqa: E402


def big_byte(i):
    """Body byte i of the node's "big" messages (pub-node.c, big_byte)."""
    return ((i * 2654435761) & 0xFFFFFFFF) >> 24


def serve(ctx, args):
    sub = ipv6_socket(ctx, zmq.SUB, SUBSCRIBE=args.topic.encode())
    bind_or_connect(sub, args.bind, args.connect)
    n = 0
    while args.count == 0 or n < args.count:
        frames = sub.recv_multipart()
        n += 1
        if frames[0] == b"big":
            body = frames[1]
            ok = body == bytes(big_byte(i) for i in range(len(body)))
            print("big", len(body), "bytes", "intact" if ok else "CORRUPT", flush=True)
        else:
            print(" | ".join(f.decode(errors="replace") for f in frames), flush=True)


if __name__ == "__main__":
    host_main(__doc__, [(("--connect",), {"default": "tcp://[%s]:9999" % NODE}),
                        (("--bind",), {}),
                        (("--topic",), {"default": ""}),
                        (("--count",), {"type": int, "default": 0})], serve)
