"""Scale (issue 11): one zmtpcat socket with 1,000 and 10,000 libzmq peers.

  * a PUB with 1,000 pyzmq SUBs: every SUB receives every message, in order;
  * 10,000 connections in one test: a PUB with 10,000 pyzmq SUBs, each receiving;
  * a ROUTER with 1,000 DEALERs, each getting its own reply (routed by its id);
  * a PUB PINGing 1,000 SUBs (its heartbeats, each peer at its own time; the timer heap of
    MZMTP_CONF_TIMER_HEAP): no peer is dropped on either side, every SUB receives;
  * a PUB PINGing 300 raw ZMTP peers that never answer: each gets its own PINGs, one per
    interval, none missing, none doubled.

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

from helpers import InteropCase, LineProcess, RawPeer

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

    def fan_out(self, subs, procs, messages, extra=(), idle_s=0.0):
        need = subs + 256
        have = raise_nofile(need)
        self.assertGreaterEqual(have, need, "RLIMIT_NOFILE is %d and cannot be raised to %d"
                                % (have, need))
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--max-peers", subs, "--wait-peers", subs,
                                    "--rcvbuf", 1024, "--linger", int(DEADLINE_S * 1000),
                                    *extra)
        peers = self.spread("sub", ep, subs, procs, messages)
        time.sleep(idle_s)  # the links sit idle (but for heartbeats) this long
        # --wait-peers: nothing goes out before every SUB has subscribed
        pub.send_lines(["m%d" % k for k in range(messages)])
        pub.close_stdin()
        res = self.results(peers)
        self.assert_all_ok(res, subs, "SUBs got exactly m0..m%d" % (messages - 1), pub)
        self.assertExit(pub, 0, timeout=DEADLINE_S)
        return pub

    def test_pub_with_1000_libzmq_subs_every_one_receives(self):
        """a zmtpcat PUB, 1,000 pyzmq SUBs in 4 processes: every SUB gets all 20 messages in order"""
        self.fan_out(1000, 4, 20)

    def test_10000_connections_to_one_pub(self):
        """10,000 connections: a zmtpcat PUB, 10,000 pyzmq SUBs in 8 processes, each receiving"""
        self.fan_out(10000, 8, 2)

    def test_pub_heartbeating_1000_libzmq_subs_drops_none(self):
        """a zmtpcat PUB PINGing 1,000 pyzmq SUBs for 3 s (every 500 ms, PONG due within 400 ms, TTL 2 s): none is dropped, every SUB gets all 20 messages"""
        # Each PONG moves the peer's deadline from its PING + 400 ms to the next PING at
        # + 500 ms without telling the socket: the heap's entry fires early and is moved,
        # never dropping the peer; a PING that came late or never would let libzmq drop
        # the link after the TTL (RFC 37, wire-notes H8/H9), and a PONG not seen would
        # let us drop it (-v prints a timeout, or a second handshake of the SUB that came
        # back).
        pub = self.fan_out(1000, 4, 20, ("--heartbeat", 500, "--heartbeat-timeout", 400,
                                         "--heartbeat-ttl", 2000, "-v"), idle_s=3.0)
        err = pub.stderr_text()
        # (the SUBs leave once served: those disconnects are MZMTP_ERR_CLOSED, at the end)
        self.assertNotIn("MZMTP_ERR_TIMEOUT", err, pub.describe())
        self.assertEqual(err.count("zmtpcat: handshake peer"), 1000,
                         "a SUB came back: a link was dropped; " + pub.describe())

    def test_pub_pings_300_raw_peers_each_once_per_interval(self):
        """a zmtpcat PUB --heartbeat 200 (timeout 60 s), 300 raw peers that never answer, handshaken over about a second: each gets one PING per 200 ms since its own handshake"""
        n, ivl = 300, 0.2
        have = raise_nofile(n + 256)
        self.assertGreaterEqual(have, n + 256, "RLIMIT_NOFILE is %d" % have)
        pub, ep = self.zmtpcat_bind("tcp", "pub", "--max-peers", n, "--heartbeat", 200,
                                    "--heartbeat-timeout", 60000)
        peers = []
        for i in range(n):
            r = RawPeer.connect(ep)
            self.track(r.sock)
            r.handshake(b"SUB")
            peers.append((r, time.monotonic()))
            if i % 10 == 9:
                time.sleep(0.03)  # spread: the peers' PINGs fall due at times of their own
        time.sleep(2.0)
        few = []
        for k, (r, t_hs) in enumerate(peers):
            # everything the PUB sent since the handshake: its PINGs alone (RFC 37: 04 07
            # 04 'PING' and a 2-byte TTL), unread until now
            r.sock.setblocking(False)
            data = b""
            while True:
                try:
                    chunk = r.sock.recv(65536)
                except BlockingIOError:
                    break
                if not chunk:
                    break
                data += chunk
            t_read = time.monotonic()
            pings = len(data) // 9
            self.assertEqual(data, b"\x04\x07\x04PING\x00\x00" * pings,
                             "peer %d got more than PINGs: %r" % (k, data[:40]))
            due = int((t_read - t_hs) / ivl)  # PINGs due since its handshake
            # never more than due (a doubled or early PING); late ones only by the load of
            # a shared machine (each next PING is timed from the last one sent)
            if pings > due + 1 or pings < max(1, due * 6 // 10):
                few.append((k, pings, due))
        self.assertEqual(few, [], "(peer, PINGs, due) off the interval; " + pub.describe())
        self.assertTrue(pub.alive(), pub.describe())
        pub.terminate()

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
