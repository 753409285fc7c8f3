"""Scale (issue 11): one zmtpcat socket with 1,000 and 10,000 libzmq peers.

  * a PUB with 1,000 pyzmq SUBs: every SUB receives every message, in order;
  * 10,000 connections in one test: a PUB with 10,000 pyzmq SUBs, each receiving;
  * a ROUTER with 1,000 DEALERs, each getting its own reply (routed by its id).

The peers are libzmq sockets spread over several processes (scale_peers.py: many
sockets in one zmq.Context each). zmtpcat is asked for the peer count with --max-peers:
a zmtpcat whose build holds fewer peers per socket exits 2 and says so, and the test
fails on that (never skips). ctest runs this module with zmtpcat_scale, the scale
profile's build (cmake/scale_profile.cmake). The test raises RLIMIT_NOFILE (the hard
limit too, as root) so that zmtpcat and the peers have the descriptors they need.
"""
import json
import os
import resource
import sys
import time
import unittest

from helpers import InteropCase, LineProcess

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "scale_peers.py")
# Each scenario has this long to connect everything and deliver (2 shared cores).
DEADLINE_S = 60.0


def raise_nofile(want):
    """Raise this process's RLIMIT_NOFILE to @want (children inherit it); return the
    soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Peers(LineProcess):
    """One scale_peers.py process (a LineProcess: stopped by its PID)."""

    def __init__(self, args):
        super().__init__([sys.executable, WORKER] + list(args), name="scale_peers")

    def expect(self, prefix, deadline):
        """The rest of the next stdout line that starts with @prefix (by @deadline)."""
        while True:
            line = self.readline(timeout=max(0.0, deadline - time.monotonic())).decode()
            if line.startswith(prefix):
                return line[len(prefix):].strip()

    def send(self, line):
        self.send_line(line)


class ScaleTest(InteropCase):

    def setUp(self):
        super().setUp()
        self._peers = []
        self.addCleanup(self._stop_peers)

    def _stop_peers(self):
        for p in self._peers:
            p.kill()

    def spread(self, kind, endpoint, total, procs, arg):
        """@total peers over @procs processes; returns them once all have connected."""
        out, first = [], 0
        deadline = time.monotonic() + DEADLINE_S
        for k in range(procs):
            n = total // procs + (1 if k < total % procs else 0)
            p = Peers([kind, endpoint, n, arg if kind == "sub" else first, DEADLINE_S])
            self._peers.append(p)
            out.append(p)
            first += n
        for p in out:
            p.expect("CONNECTED", deadline)
        return out

    def results(self, peers):
        deadline = time.monotonic() + DEADLINE_S + 10
        return [json.loads(p.expect("RESULT", deadline)) for p in peers]

    def assert_all_ok(self, results, total, what, proc):
        ok = sum(r["ok"] for r in results)
        bad = [b for r in results for b in r["bad"]][:5]
        self.assertEqual(ok, total, "%d of %d %s; examples %r; %s"
                         % (ok, total, what, bad, proc.describe()))

    def fan_out(self, subs, procs, messages):
        need = subs + 256
        have = raise_nofile(need)
        self.assertGreaterEqual(have, need, "RLIMIT_NOFILE is %d and cannot be raised to %d"
                                % (have, need))
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--max-peers", subs, "--wait-peers", subs,
                                    "--rcvbuf", 1024, "--linger", int(DEADLINE_S * 1000))
        peers = self.spread("sub", ep, subs, procs, messages)
        # --wait-peers: nothing goes out before every SUB has subscribed
        pub.send_lines(["m%d" % k for k in range(messages)])
        pub.close_stdin()
        res = self.results(peers)
        self.assert_all_ok(res, subs, "SUBs got exactly m0..m%d" % (messages - 1), pub)
        self.assertExit(pub, 0, timeout=DEADLINE_S)

    def test_pub_with_1000_libzmq_subs_every_one_receives(self):
        """a zmtpcat PUB, 1,000 pyzmq SUBs in 4 processes: every SUB gets all 20 messages in order"""
        self.fan_out(1000, 4, 20)

    def test_10000_connections_to_one_pub(self):
        """10,000 connections: a zmtpcat PUB, 10,000 pyzmq SUBs in 8 processes, each receiving"""
        self.fan_out(10000, 8, 2)

    def test_router_with_1000_dealers_each_gets_its_own_reply(self):
        """a zmtpcat ROUTER, 1,000 pyzmq DEALERs in 4 processes: each gets the reply for its id"""
        n = 1000
        have = raise_nofile(n + 256)
        self.assertGreaterEqual(have, n + 256, "RLIMIT_NOFILE is %d" % have)
        router, ep = self.zmtpcat_bind("tcp", "router", "--max-peers", n, "--rcvbuf", 1024,
                                       "--linger", int(DEADLINE_S * 1000))
        peers = self.spread("dealer", ep, n, 4, 0)
        for p in peers:
            p.send("GO")
        # every request is printed as "<id in hex>\treq <id>"; the reply line routes by it
        seen = {}
        lines = router.read_lines(n, timeout=DEADLINE_S)
        for line in lines:
            rid_hex, _, body = line.partition(b"\t")
            rid = bytes.fromhex(rid_hex.decode())
            self.assertEqual(body, b"req " + rid, "request %r; %s" % (line, router.describe()))
            self.assertNotIn(rid, seen, "request of %r twice" % rid)
            seen[rid] = rid_hex
        self.assertEqual(len(seen), n)
        router.send_lines([seen[rid] + b"\trep " + rid for rid in sorted(seen)])
        router.close_stdin()
        res = self.results(peers)
        self.assert_all_ok(res, n, "DEALERs got exactly their own reply", router)
        self.assertExit(router, 0, timeout=DEADLINE_S)


if __name__ == "__main__":
    unittest.main()
