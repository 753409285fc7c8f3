"""What the example nodes' host scripts share (they put this folder on sys.path)."""

import argparse
import sys

import zmq

# The native node's address on its tun0 (tests/contiki-ng/run.sh; docs/contiki-ng.md).
NODE = "fd00::302:304:506:708"


def ipv6_socket(ctx, kind, **opts):
    """A libzmq socket of @kind that may use IPv6 (the node has no IPv4), with @opts
    (ZMQ option names) set."""
    s = ctx.socket(kind)
    s.setsockopt(zmq.IPV6, 1)
    for name, value in opts.items():
        s.setsockopt(getattr(zmq, name), value)
    return s


def bind_or_connect(sock, bind=None, connect=None):
    """Bind @sock to @bind if given, otherwise connect it to @connect; say which."""
    if bind:
        sock.bind(bind)
        print("bound", bind, flush=True)
    else:
        sock.connect(connect)
        print("connected to", connect, flush=True)


def host_main(doc, options, serve):
    """What every host script's main() does: parse the command line (@options: (flags,
    keyword arguments) pairs for argparse, the description the first line of @doc), run
    serve(ctx, args) with a new context until it returns or Ctrl-C, then close every
    socket made in it and end the context. Exits with 0."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    for flags, kwargs in options:
        ap.add_argument(*flags, **kwargs)
    args = ap.parse_args()
    ctx = zmq.Context()
    try:
        serve(ctx, args)
    except KeyboardInterrupt:
        pass
    finally:
        ctx.destroy(linger=0)
    sys.exit(0)
