#!/usr/bin/env python3
"""pyzmq (libzmq) peers for the pattern examples; examples/patterns.sh runs them.

    patterns_peer.py ROLE (-b|-c) ENDPOINT COUNT [--control ENDPOINT]

ROLE, and the example it checks:
  pull  PULL; expects "task 0" .. "task COUNT-1" in order        (example_push)
  push  PUSH; sends "task 0" ..; with --control also binds a PUB there (an XPUB, to see
        the subscription) and sends one control message first  (example_pull -s)
  rep   REP; answers "reply to " + each request                   (example_req)
  req   REQ; sends "request N", expects "reply to request N"     (example_rep)
Bound endpoints are printed as "patterns_peer.py: bound to tcp://..." (port 0 is fine).
Exits 0 when everything was sent and checked, 1 on a mismatch or 10 s of silence.
"""
import os
import sys

import zmq

TIMEOUT_MS = 10000


def fail(msg):
    print(f"patterns_peer.py: {msg}", file=sys.stderr, flush=True)
    os._exit(1)  # not sys.exit: no linger on whatever is still queued


def open_socket(ctx, kind, bind, endpoint):
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, TIMEOUT_MS)
    s.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
    s.setsockopt(zmq.SNDTIMEO, TIMEOUT_MS)
    if bind:
        s.bind(endpoint)
        print(f"patterns_peer.py: bound to {s.getsockopt(zmq.LAST_ENDPOINT).decode()}",
              flush=True)
    else:
        s.connect(endpoint)
    return s


def expect(got, want):
    if got != want:
        fail(f"got {got!r}, expected {want!r}")
    print(f"patterns_peer.py: got {got[0].decode(errors='replace')}", flush=True)


def main():
    args = sys.argv[1:]
    control = None
    if "--control" in args:
        i = args.index("--control")
        control = args[i + 1]
        del args[i:i + 2]
    if len(args) != 4 or args[1] not in ("-b", "-c"):
        sys.exit(__doc__)
    role, flag, endpoint, count = args[0], args[1], args[2], int(args[3])
    bind = flag == "-b"

    ctx = zmq.Context()
    try:
        if role == "pull":
            s = open_socket(ctx, zmq.PULL, bind, endpoint)
            for n in range(count):
                expect(s.recv_multipart(), [f"task {n}".encode()])
        elif role == "push":
            ctl = None
            if control is not None:
                ctl = open_socket(ctx, zmq.XPUB, True, control)
            s = open_socket(ctx, zmq.PUSH, bind, endpoint)
            if ctl is not None:
                sub = ctl.recv()  # b"\x01" + topic: the worker subscribed
                if sub[:1] != b"\x01":
                    fail(f"control: unexpected {sub!r}")
                ctl.send(b"rate 5")
            for n in range(count):
                s.send(f"task {n}".encode())
        elif role == "rep":
            s = open_socket(ctx, zmq.REP, bind, endpoint)
            for _ in range(count):
                request = s.recv_multipart()
                print(f"patterns_peer.py: got {request[0].decode(errors='replace')}", flush=True)
                s.send_multipart([b"reply to " + request[-1]])
        elif role == "req":
            s = open_socket(ctx, zmq.REQ, bind, endpoint)
            for n in range(count):
                s.send(f"request {n}".encode())
                expect(s.recv_multipart(), [f"reply to request {n}".encode()])
        else:
            sys.exit(__doc__)
    except zmq.Again:
        fail(f"{role}: nothing for {TIMEOUT_MS} ms")
    ctx.destroy(linger=TIMEOUT_MS)  # waits, at most that, for what is queued to be written
    sys.exit(0)


if __name__ == "__main__":
    main()
