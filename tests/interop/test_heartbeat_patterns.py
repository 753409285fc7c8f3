"""ZMTP 3.1 heartbeats (PING/PONG, wire-notes H6-H9) on the non-PUB/SUB patterns:
libzmq peers with ZMQ_HEARTBEAT_IVL get PONGs from our PUSH, PULL, REQ, REP, DEALER,
ROUTER and PAIR, so an idle connection outlives HEARTBEAT_TIMEOUT; our --heartbeat drops
a raw peer that completed the handshake but never answers (-v: disconnected ... TIMEOUT)
and, when it connected, comes back; libzmq answers our PINGs and honours our TTL."""

import time

import zmq

from helpers import (InteropCase, Monitor, RawPeer, WireTap, FLAG_COMMAND, accept,
                     continue_process, parse_command, raw_listener, stop_process, wait_stderr,
                     we_ask_they_answer, zrecv, zsend_routed)

# libzmq's side: PING every 100 ms, give up 250 ms after a PING with no traffic back.
LZ_HB = {"HEARTBEAT_IVL": 100, "HEARTBEAT_TIMEOUT": 250, "HEARTBEAT_TTL": 500}
IDLE_S = 0.8
TIMEOUT_LINE = r"^zmtpcat: disconnected peer \d+ \(MZMTP_ERR_TIMEOUT\)"


def commands(tap, direction):
    return [parse_command(b)[0] for f, b in tap.frames(direction) if f & FLAG_COMMAND]


def idle(mon, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        mon.poll(min(0.1, max(0.0, deadline - time.monotonic())))


class LibzmqPingsUs(InteropCase):
    """A libzmq socket with heartbeats on, idle for IDLE_S (> 3 × its timeout) with our
    socket: it must see our PONGs and keep the connection; data flows afterwards."""

    def run_case(self, ours_args, ztype, ours_binds, exchange):
        lz = self.zsock(ztype, **LZ_HB)
        mon = Monitor(lz)
        if ours_binds:
            ours, ep = self.zmtpcat_bind("tcp", *ours_args)
            tap = WireTap(ep)
            lz.connect(tap.endpoint)
            from_us = "down"
        else:
            tap = WireTap(self.zbind(lz, "tcp"))
            ours = self.zmtpcat(*ours_args, "-c", tap.endpoint)
            from_us = "up"
        self.addCleanup(tap.stop)
        exchange(ours, lz, 0)
        idle(mon, IDLE_S)
        self.assertEqual(mon.count(zmq.EVENT_DISCONNECTED), 0,
                         "libzmq dropped the idle connection: %r; %s" % (mon.events, ours.describe()))
        self.assertEqual(mon.count(zmq.EVENT_HANDSHAKE_SUCCEEDED), 1, mon.events)
        to_us = "up" if from_us == "down" else "down"
        self.assertGreaterEqual(commands(tap, to_us).count(b"PING"), 4, commands(tap, to_us))
        ours_cmds = commands(tap, from_us)
        self.assertGreaterEqual(ours_cmds.count(b"PONG"), 4, "our commands: %r" % ours_cmds)
        exchange(ours, lz, 1)
        self.assertTrue(ours.alive(), ours.describe())
        ours.terminate()

    def test_our_pull_answers_libzmq_push(self):
        def ex(ours, lz, i):
            lz.send(b"m%d" % i)
            self.assertEqual(ours.readline(), b"m%d" % i)
        self.run_case(["pull"], zmq.PUSH, True, ex)

    def test_our_push_answers_libzmq_pull(self):
        def ex(ours, lz, i):
            ours.send_line(b"m%d" % i)
            self.assertEqual(zrecv(lz), [b"m%d" % i], ours.describe())
        self.run_case(["push"], zmq.PULL, False, ex)

    def test_our_rep_answers_libzmq_req(self):
        def ex(ours, lz, i):
            lz.send(b"q%d" % i)
            self.assertEqual(zrecv(lz), [b"q%d" % i], ours.describe())
        self.run_case(["rep"], zmq.REQ, True, ex)

    def test_our_req_answers_libzmq_rep(self):
        self.run_case(["req"], zmq.REP, False, we_ask_they_answer(self, b"q", b"a"))

    def test_our_router_answers_libzmq_dealer(self):
        def ex(ours, lz, i):
            lz.send(b"d%d" % i)
            rid, _, body = ours.readline().partition(b"\t")
            self.assertEqual(body, b"d%d" % i)
            ours.send_line(rid + b"\tr%d" % i)
            self.assertEqual(zrecv(lz), [b"r%d" % i], ours.describe())
        self.run_case(["router"], zmq.DEALER, True, ex)

    def test_our_dealer_answers_libzmq_router(self):
        def ex(ours, lz, i):
            ours.send_line(b"d%d" % i)
            rid, body = zrecv(lz)
            self.assertEqual(body, b"d%d" % i, ours.describe())
            lz.send_multipart([rid, b"r%d" % i])
            self.assertEqual(ours.readline(), b"r%d" % i)
        self.run_case(["dealer"], zmq.ROUTER, False, ex)

    def test_our_pair_answers_libzmq_pair(self):
        self.run_case(["pair"], zmq.PAIR, True, we_ask_they_answer(self, b"o", b"l"))


OUR_HB = ["--heartbeat", "100", "--heartbeat-timeout", "200", "--heartbeat-ttl", "1000", "-v"]


class SilentPeerDropped(InteropCase):
    """A raw peer completes the ZMTP handshake and then never sends a byte: our
    --heartbeat 100 --heartbeat-timeout 200 must PING it (TTL 1000 ms = 10 deciseconds,
    `04 07 04 PING 00 0A`) and close it with MZMTP_ERR_TIMEOUT."""

    def watch_until_closed(self, raw, timeout=3.0):
        """Read frames until EOF; returns (PING bodies, seconds until EOF)."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        pings = []
        while time.monotonic() < deadline:
            try:
                flags, body = raw.read_frame(max(0.0, deadline - time.monotonic()))
            except AssertionError:
                if raw.eof:
                    return pings, time.monotonic() - t0
                break
            self.assertTrue(flags & FLAG_COMMAND, "data from our side: %r" % body[:40])
            name, _ = parse_command(body)
            self.assertEqual(name, b"PING", body)
            pings.append(body)
        self.fail("the silent peer was not dropped within %.1fs (%d PINGs seen)" % (timeout, len(pings)))

    def check_pings(self, pings, elapsed):
        self.assertGreaterEqual(len(pings), 1, "no PING before the drop")
        self.assertEqual(pings[0][:7], b"\x04PING\x00\x0a", "PING: %s" % pings[0].hex(" "))
        self.assertGreaterEqual(elapsed, 0.2, "dropped before the heartbeat timeout could expire")

    def drop_silent(self, ours, raw, peer_type):
        """@raw completes the handshake as @peer_type and stays silent: our PINGs come,
        then the close, and zmtpcat @ours logs MZMTP_ERR_TIMEOUT."""
        self.track(raw.sock)
        raw.handshake(peer_type)
        pings, elapsed = self.watch_until_closed(raw)
        self.check_pings(pings, elapsed)
        wait_stderr(ours, TIMEOUT_LINE)

    def bound(self, typ, peer_type):
        ours, ep = self.zmtpcat_bind("tcp", typ, *OUR_HB)
        self.drop_silent(ours, RawPeer.connect(ep), peer_type)
        self.assertTrue(ours.alive(), ours.describe())
        ours.terminate()

    def connecting(self, typ, peer_type):
        lst, ep = raw_listener()
        self.track(lst)
        ours = self.zmtpcat(typ, "-c", ep, *OUR_HB)
        self.drop_silent(ours, accept(lst), peer_type)
        again = accept(lst, timeout=3.0)   # R1: a heartbeat timeout allows a reconnect
        self.track(again.sock)
        g, props = again.handshake(peer_type)
        self.assertEqual(props.get(b"Socket-Type"), typ.upper().encode(), props)
        ours.terminate()


# (our socket type, the silent peer's): one test each, bound and connecting.
for _typ, _peer in (("router", b"DEALER"), ("pull", b"PUSH"), ("pair", b"PAIR")):
    setattr(SilentPeerDropped, "test_bound_%s_drops_silent_%s" % (_typ, _peer.decode().lower()),
            lambda self, typ=_typ, peer=_peer: self.bound(typ, peer))
for _typ, _peer in (("dealer", b"ROUTER"), ("push", b"PULL"), ("req", b"REP")):
    setattr(SilentPeerDropped,
            "test_connecting_%s_drops_silent_%s_and_reconnects" % (_typ, _peer.decode().lower()),
            lambda self, typ=_typ, peer=_peer: self.connecting(typ, peer))


class LibzmqAnswersUs(InteropCase):

    def test_libzmq_router_answers_our_dealer_pings(self):
        """Our DEALER --heartbeat 100 --heartbeat-timeout 200 with a libzmq ROUTER that has
        no heartbeat options: libzmq PONGs our PINGs, so after 0.8 s idle nothing was
        dropped on either side, and data still flows."""
        router = self.zsock(zmq.ROUTER)
        mon = Monitor(router)
        tap = WireTap(self.zbind(router, "tcp"))
        self.addCleanup(tap.stop)
        dealer = self.zmtpcat("dealer", "-c", tap.endpoint, "--identity", "hb",
                              "--heartbeat", "100", "--heartbeat-timeout", "200", "-v")
        dealer.send_line("hello")
        self.assertEqual(zrecv(router), [b"hb", b"hello"], dealer.describe())
        idle(mon, IDLE_S)
        self.assertNotIn("disconnected", dealer.stderr_text(), dealer.describe())
        self.assertEqual(mon.count(zmq.EVENT_DISCONNECTED), 0, mon.events)
        self.assertGreaterEqual(commands(tap, "up").count(b"PING"), 4, commands(tap, "up"))
        self.assertGreaterEqual(commands(tap, "down").count(b"PONG"), 4, commands(tap, "down"))
        router.send_multipart([b"hb", b"still-here"])
        self.assertEqual(dealer.readline(), b"still-here", dealer.describe())
        dealer.terminate()

    def test_libzmq_dealer_answers_our_router_pings(self):
        """The same with our ROUTER bound and a libzmq DEALER connecting."""
        router, ep = self.zmtpcat_bind("tcp", "router", "--heartbeat", "100",
                                       "--heartbeat-timeout", "200", "-v")
        dealer = self.zsock(zmq.DEALER, ROUTING_ID=b"lz")
        mon = Monitor(dealer)
        dealer.connect(ep)
        dealer.send(b"hi")
        self.assertEqual(router.readline(), b"6c7a\thi")
        idle(mon, IDLE_S)
        self.assertNotIn("disconnected", router.stderr_text(), router.describe())
        self.assertEqual(mon.count(zmq.EVENT_DISCONNECTED), 0, mon.events)
        router.send_line("6c7a\tback")
        self.assertEqual(zrecv(dealer), [b"back"], router.describe())
        router.terminate()

    def test_libzmq_honours_our_ttl(self):
        """Our DEALER --heartbeat 100 --heartbeat-ttl 500 to a libzmq ROUTER without
        heartbeat options: libzmq arms a 500 ms TTL from our PINGs (H7), so when our
        process is stopped (SIGSTOP) libzmq drops the connection; after SIGCONT our DEALER
        reconnects and is reachable again."""
        router = self.zsock(zmq.ROUTER, ROUTER_MANDATORY=1)
        mon = Monitor(router)
        ep = self.zbind(router, "tcp")
        dealer = self.zmtpcat("dealer", "-c", ep, "--identity", "ttl",
                              "--heartbeat", "100", "--heartbeat-ttl", "500", "-v")
        dealer.send_line("one")
        self.assertEqual(zrecv(router), [b"ttl", b"one"], dealer.describe())
        time.sleep(0.15)  # at least one PING with the TTL has gone out
        stop_process(dealer)
        self.addCleanup(continue_process, dealer)
        try:
            t0 = time.monotonic()
            mon.wait_event({zmq.EVENT_DISCONNECTED}, timeout=3.0)
            elapsed = time.monotonic() - t0
            # Let the ROUTER retire the old pipe of "ttl" before we come back: libzmq
            # ignores a peer whose id is still in use (wire-notes S9, no handover).
            for _ in range(10):
                router.getsockopt(zmq.EVENTS)
                time.sleep(0.01)
        finally:
            continue_process(dealer)
        self.assertGreaterEqual(elapsed, 0.2, "libzmq dropped us too early (%.2fs)" % elapsed)
        wait_stderr(dealer, r"^zmtpcat: disconnected")
        wait_stderr(dealer, r"^zmtpcat: handshake", count=2, timeout=3.0)
        zsend_routed(router, [b"ttl", b"again"])
        self.assertEqual(dealer.readline(), b"again", dealer.describe())
        dealer.terminate()
