#!/usr/bin/env python3
"""The other half of the microzmtp demo: a pyzmq (libzmq) SUB socket.

    demo_sub.py [ENDPOINT [COUNT]]     defaults: tcp://127.0.0.1:5556, 10

Connects, subscribes to "sensor/", prints each message it receives and exits after COUNT
messages, or after 10 s of silence. Exit status 0 if anything arrived, 1 otherwise.
"""
import sys

import zmq

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5556"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 10

ctx = zmq.Context()
sub = ctx.socket(zmq.SUB)
sub.setsockopt(zmq.LINGER, 0)
sub.setsockopt(zmq.RCVTIMEO, 10000)
sub.setsockopt(zmq.SUBSCRIBE, b"sensor/")
sub.connect(endpoint)
print(f"demo_sub.py: libzmq {zmq.zmq_version()} SUB connected to {endpoint}", flush=True)

got = 0
try:
    while got < count:
        frames = sub.recv_multipart()
        print("demo_sub.py: received", " | ".join(f.decode(errors="replace") for f in frames),
              flush=True)
        got += 1
except zmq.Again:
    print(f"demo_sub.py: nothing for 10 s after {got} message(s)", file=sys.stderr, flush=True)
finally:
    sub.close()
    ctx.term()
sys.exit(0 if got > 0 else 1)
