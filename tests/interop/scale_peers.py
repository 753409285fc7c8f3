#!/usr/bin/python3
"""Many libzmq peers in one process, for test_scale.py (not a test module itself).

    scale_peers.py sub    ENDPOINT N MESSAGES TIMEOUT_S
    scale_peers.py dealer ENDPOINT N FIRST_ID TIMEOUT_S

N libzmq sockets in one zmq.Context (one I/O thread), all connected to ENDPOINT. The
process raises its own RLIMIT_NOFILE first (each socket is a TCP descriptor plus a
mailbox descriptor) and prints ``CONNECTED N`` once every socket has called connect.

sub:    every socket subscribes to everything and must receive exactly the lines
        ``m0`` .. ``m<MESSAGES-1>`` in order.
dealer: socket i has the routing id ``d<FIRST_ID + i>`` (5 digits); on a ``GO`` line on
        stdin it sends ``req d<id>`` and must receive exactly ``rep d<id>``.

Then it prints one line, ``RESULT {json}``: ok (sockets that got exactly what they
should), n, and up to 5 examples of what went wrong; and exits 0 (the test judges).
Every wait is bounded by TIMEOUT_S.
"""
import json
import resource
import sys
import time

import zmq


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def drain(socks, want, timeout_s, on_msg):
    """Receive on every socket until want(i) is false for all or the deadline passes."""
    poller = zmq.Poller()
    pending = {}
    for i, s in enumerate(socks):
        if want(i):
            poller.register(s, zmq.POLLIN)
            pending[s] = i
    deadline = time.monotonic() + timeout_s
    while pending and time.monotonic() < deadline:
        ready = poller.poll(max(1, int((deadline - time.monotonic()) * 1000)))
        for s, _ in ready:
            i = pending.get(s)
            if i is None:
                continue
            while True:
                try:
                    msg = s.recv_multipart(zmq.DONTWAIT)
                except zmq.Again:
                    break
                on_msg(i, msg)
            if not want(i):
                poller.unregister(s)
                del pending[s]


def main():
    kind, endpoint, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    arg, timeout_s = int(sys.argv[4]), float(sys.argv[5])
    raise_nofile(2 * n + 256)
    ctx = zmq.Context()
    ctx.set(zmq.MAX_SOCKETS, n + 64)  # libzmq's default is 1023 sockets per context
    socks = []
    for i in range(n):
        s = ctx.socket(zmq.SUB if kind == "sub" else zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        if kind == "sub":
            s.setsockopt(zmq.SUBSCRIBE, b"")
        else:
            s.setsockopt(zmq.ROUTING_ID, b"d%05d" % (arg + i))
        s.connect(endpoint)
        socks.append(s)
    say("CONNECTED %d" % n)
    bad = []
    if kind == "sub":
        expect = [[b"m%d" % k] for k in range(arg)]
        got = [[] for _ in range(n)]
        drain(socks, lambda i: len(got[i]) < arg, timeout_s, lambda i, m: got[i].append(m))
        ok = 0
        for i in range(n):
            if got[i] == expect:
                ok += 1
            elif len(bad) < 5:
                bad.append({"socket": i, "got": [b"|".join(m).decode("latin-1")[:40] for m in got[i][:12]]})
    else:
        if sys.stdin.readline().strip() != "GO":
            say("RESULT " + json.dumps({"ok": 0, "n": n, "bad": ["no GO"]}))
            return 0
        for i, s in enumerate(socks):
            s.send(b"req d%05d" % (arg + i))
        got = [[] for _ in range(n)]
        drain(socks, lambda i: not got[i], timeout_s, lambda i, m: got[i].append(m))
        # a second reply, or one meant for another DEALER, would show up here
        drain(socks, lambda i: True, 0.2, lambda i, m: got[i].append(m))
        ok = 0
        for i in range(n):
            if got[i] == [[b"rep d%05d" % (arg + i)]]:
                ok += 1
            elif len(bad) < 5:
                bad.append({"dealer": "d%05d" % (arg + i),
                            "got": [b"|".join(m).decode("latin-1")[:40] for m in got[i][:4]]})
    say("RESULT " + json.dumps({"ok": ok, "n": n, "bad": bad}))
    ctx.destroy(linger=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
