#!/usr/bin/python3
"""Host side of the client-node example: a REP that answers the node's REQ and a ROUTER
that answers the node's DEALER.

    host-client.py [--routers N]

Binds a REP on tcp://[::]:5570 (the node's REQ connects to it) and connects N ROUTERs
(default 1) to the node's DEALER on port 5571. Type "req 3" and "deal 3" on the node's
serial line: the REP answers "rep:" + request; each ROUTER prints who sent what (the
node's routing id, "node-dealer") and answers through that id with "ack:" + message,
which the node prints. Stop with Ctrl-C.
"""
import os
import sys

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from example_host import NODE, host_main, ipv6_socket  # noqa: E402


def serve(ctx, args):
    rep = ipv6_socket(ctx, zmq.REP)
    rep.bind("tcp://[::]:5570")
    print("REP bound tcp://[::]:5570", flush=True)
    routers = []
    for i in range(args.routers):
        r = ipv6_socket(ctx, zmq.ROUTER)
        r.connect("tcp://[%s]:5571" % NODE)
        routers.append(r)
    print("%d ROUTER(s) connected to tcp://[%s]:5571" % (len(routers), NODE), flush=True)

    poller = zmq.Poller()
    for s in [rep] + routers:
        poller.register(s, zmq.POLLIN)
    while True:
        for s, _ in poller.poll():
            if s is rep:
                q = rep.recv()
                print("REP <-", q.decode(errors="replace"), flush=True)
                rep.send(b"rep:" + q)
            else:
                frames = s.recv_multipart()
                rid, body = frames[0], b"|".join(frames[1:])
                print("ROUTER %d <- [%s] %s" % (routers.index(s), rid.decode(errors="replace"),
                                                body.decode(errors="replace")), flush=True)
                s.send_multipart([rid, b"ack:" + body])


if __name__ == "__main__":
    host_main(__doc__, [(("--routers",), {"type": int, "default": 1})], serve)
