#!/usr/bin/env python3
"""A pyzmq (libzmq) ROUTER that answers each DEALER message: the peer of example_dealer.

    router.py [-b|-c] ENDPOINT [COUNT]     defaults: -b, 10 messages

Each message [routing id, frames...] is answered with the same routing id and frames, the
last one prefixed with "reply to ". Bound to port 0, the real endpoint is printed as
"router.py: bound to tcp://...". Exits 0 after COUNT answers, 1 after 10 s of silence.
"""
import sys

import zmq


def main():
    args = sys.argv[1:]
    bind = True
    if args and args[0] in ("-b", "-c"):
        bind = args.pop(0) == "-b"
    if not args:
        sys.exit(__doc__)
    endpoint = args[0]
    count = int(args[1]) if len(args) > 1 else 10

    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 5000)
    router.setsockopt(zmq.RCVTIMEO, 10000)
    if bind:
        router.bind(endpoint)
        endpoint = router.getsockopt(zmq.LAST_ENDPOINT).decode()
        print(f"router.py: bound to {endpoint}", flush=True)
    else:
        router.connect(endpoint)
    ok = True
    try:
        for _ in range(count):
            routing_id, *frames = router.recv_multipart()
            if not frames:
                frames = [b""]
            frames[-1] = b"reply to " + frames[-1]
            router.send_multipart([routing_id, *frames])
            print(f"router.py: {routing_id.hex()} <- {frames[-1].decode(errors='replace')}",
                  flush=True)
    except zmq.Again:
        print("router.py: nothing for 10 s", file=sys.stderr, flush=True)
        ok = False
    finally:
        router.close()
        ctx.term()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
