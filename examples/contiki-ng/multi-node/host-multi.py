#!/usr/bin/python3
"""Host side of the multi-node example: a REQ client and a pipeline through the node.

    host-multi.py [--items N]

Sends three requests to the node's REP (port 5555) and prints the replies, then binds a
PULL on tcp://[::]:5559 (the node's PUSH connects to it), pushes N items to the node's
PULL (port 5558) and prints what comes back.
"""
import os
import sys

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from example_host import NODE, host_main, ipv6_socket  # noqa: E402


def serve(ctx, args):
    req = ipv6_socket(ctx, zmq.REQ, RCVTIMEO=5000)
    req.connect("tcp://[%s]:5555" % NODE)
    for i in range(3):
        req.send(b"hello %d" % i)
        print("REQ ->", req.recv().decode())

    sink = ipv6_socket(ctx, zmq.PULL, RCVTIMEO=5000)
    sink.bind("tcp://[::]:5559")
    src = ipv6_socket(ctx, zmq.PUSH)
    src.connect("tcp://[%s]:5558" % NODE)
    for i in range(args.items):
        src.send(b"item %d" % i)
    for _ in range(args.items):
        print("PULL <-", sink.recv().decode())


if __name__ == "__main__":
    host_main(__doc__, [(("--items",), {"type": int, "default": 10})], serve)
