"""Socket-type checks across the patterns (RFC 37 / wire-notes M5, M6, R2): libzmq
sockets of an illegal type connecting to our bound PULL, PUSH, REP, ROUTER and PAIR are
refused while a good peer on the same socket keeps working, and our connecting PUSH or
REQ refused by a libzmq socket of the wrong type neither loses messages to it nor
reconnects to it."""

import time

import zmq

from helpers import InteropCase, Monitor, they_ask_we_answer, wait_stderr, zrecv, zrecv_none

FAILED_EVENTS = {zmq.EVENT_DISCONNECTED, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL,
                 zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq.EVENT_CLOSED}
# libzmq reads our READY first and closes without sending its own (we see the close);
# with a peer that sends READY first we detect the mismatch ourselves (SOCKET_TYPE).
REFUSED = r"^zmtpcat: handshake-failed peer \d+ \(MZMTP_ERR_(SOCKET_TYPE|CLOSED)\)"

NAMES = {zmq.PAIR: "PAIR", zmq.PUB: "PUB", zmq.SUB: "SUB", zmq.REQ: "REQ", zmq.REP: "REP",
         zmq.DEALER: "DEALER", zmq.ROUTER: "ROUTER", zmq.PULL: "PULL", zmq.PUSH: "PUSH",
         zmq.XPUB: "XPUB", zmq.XSUB: "XSUB"}


class BoundRefusal(InteropCase):
    """Our socket bound; one good libzmq peer talks to it; libzmq peers of illegal types
    connect and are refused; the good peer keeps its one connection and all its data."""

    def refuse(self, ours, bad_types, good_type, exchange):
        proc, ep = self.zmtpcat_bind("tcp", ours, "-v")
        good = self.zsock(good_type)
        gmon = Monitor(good)
        good.connect(ep)
        exchange(proc, good, 0)
        bad = []
        for kind in bad_types:
            s = self.zsock(kind, RECONNECT_IVL=100)
            if kind == zmq.SUB:
                s.setsockopt(zmq.SUBSCRIBE, b"")
            mon = Monitor(s)
            s.connect(ep)
            bad.append((kind, s, mon))
        for kind, s, mon in bad:
            mon.wait_event(FAILED_EVENTS)
            self.assertEqual(mon.count(zmq.EVENT_HANDSHAKE_SUCCEEDED), 0,
                             "libzmq %s completed a handshake with our %s: %r"
                             % (NAMES[kind], ours.upper(), mon.events))
        wait_stderr(proc, REFUSED, count=len(bad_types))
        for i in range(1, 11):
            exchange(proc, good, i)
        gmon.poll(0.1)
        self.assertEqual(gmon.count(zmq.EVENT_HANDSHAKE_SUCCEEDED), 1, gmon.events)
        self.assertEqual(gmon.count(zmq.EVENT_DISCONNECTED), 0, gmon.events)
        for kind, s, _ in bad:
            if kind in (zmq.PULL, zmq.SUB, zmq.PAIR, zmq.DEALER, zmq.REP):
                zrecv_none(s, 0.0)
        self.assertTrue(proc.alive(), proc.describe())
        proc.terminate()

    def test_bound_pull_refuses_pull_pub_req_pair(self):
        def exchange(proc, good, i):
            good.send(b"g%d" % i)
            self.assertEqual(proc.readline(), b"g%d" % i, proc.describe())
        self.refuse("pull", [zmq.PULL, zmq.PUB, zmq.REQ, zmq.PAIR], zmq.PUSH, exchange)

    def test_bound_push_refuses_push_sub_dealer(self):
        """Nothing our PUSH sends may go to the refused peers: every line reaches the PULL."""
        def exchange(proc, good, i):
            proc.send_line(b"g%d" % i)
            self.assertEqual(zrecv(good), [b"g%d" % i], proc.describe())
        self.refuse("push", [zmq.PUSH, zmq.SUB, zmq.DEALER], zmq.PULL, exchange)

    def test_bound_rep_refuses_rep_router_push_pair(self):
        def exchange(proc, good, i):
            good.send(b"q%d" % i)
            self.assertEqual(zrecv(good), [b"q%d" % i], proc.describe())
        self.refuse("rep", [zmq.REP, zmq.ROUTER, zmq.PUSH, zmq.PAIR], zmq.REQ, exchange)

    def test_bound_router_refuses_rep_pub_pull_pair(self):
        def exchange(proc, good, i):
            good.send(b"d%d" % i)
            line = proc.readline()
            rid, _, body = line.partition(b"\t")
            self.assertEqual(body, b"d%d" % i, proc.describe())
            proc.send_line(rid + b"\tr%d" % i)
            self.assertEqual(zrecv(good), [b"r%d" % i], proc.describe())
        self.refuse("router", [zmq.REP, zmq.PUB, zmq.PULL, zmq.PAIR], zmq.DEALER, exchange)

    def test_bound_pair_refuses_dealer_push_sub(self):
        self.refuse("pair", [zmq.DEALER, zmq.PUSH, zmq.SUB], zmq.PAIR,
                    they_ask_we_answer(self, b"p", b"o"))

    def test_bound_dealer_refuses_req_pull_pair(self):
        """DEALER accepts REP, DEALER and ROUTER only (wire-notes M5)."""
        self.refuse("dealer", [zmq.REQ, zmq.PULL, zmq.PAIR], zmq.DEALER,
                    they_ask_we_answer(self, b"x", b"y"))


class ConnectingRefusal(InteropCase):

    def connect_to_bad_and_good(self, ours, bad_kind, good_kind, good_transport, *args):
        """zmtpcat @ours -v @args connects to a bound libzmq @bad_kind (over tcp), whose type
        it must refuse, and to a bound libzmq @good_kind (over @good_transport); returns once
        it has logged the refusal. @return (zmtpcat, the bad socket, a Monitor on it, the
        good socket)."""
        bad = self.zsock(bad_kind)
        bad_ep = self.zbind(bad, "tcp")
        bmon = Monitor(bad)
        good = self.zsock(good_kind)
        good_ep = self.zbind(good, good_transport)
        proc = self.zmtpcat(ours, "-c", bad_ep, "-c", good_ep, "-v", *args)
        wait_stderr(proc, REFUSED)
        return proc, bad, bmon, good

    def test_our_pull_to_libzmq_pub_and_push(self):
        """Our PULL connects to a libzmq PUB (illegal pair) and a libzmq PUSH: the PUB never
        completes a handshake and none of what it publishes arrives; every message of the
        PUSH does."""
        pull, pub, pmon, push = self.connect_to_bad_and_good("pull", zmq.PUB, zmq.PUSH, "ipc")
        for i in range(20):
            pub.send(b"pub%d" % i)
            push.send(b"m%d" % i)
        self.assertEqual(pull.read_lines(20), [b"m%d" % i for i in range(20)])
        self.assertIsNone(pull.try_readline(0.1))
        pmon.poll(0.0)
        self.assertEqual(pmon.count(zmq.EVENT_HANDSHAKE_SUCCEEDED), 0, pmon.events)
        self.assertTrue(pull.alive(), pull.describe())
        pull.terminate()

    def test_our_push_to_libzmq_pub_and_pull(self):
        """Our PUSH connects to a libzmq PUB (refused: PUSH-PUB is illegal) and to a libzmq
        PULL. The PULL's connection is not disturbed: what reaches it arrives in order, and
        once the refused endpoint has failed, lines keep flowing to the PULL. (Like a
        libzmq PUSH with IMMEDIATE=0, lines queued for the refused endpoint may wait there,
        wire-notes R4, so only a subsequence is required; a libzmq PUSH in our place
        delivers 10 of the 20 too.)"""
        push, pub, pmon, pull = self.connect_to_bad_and_good("push", zmq.PUB, zmq.PULL, "ipc",
                                                             "--linger", "200")
        push.send_lines([b"m%02d" % i for i in range(20)])
        push.close_stdin()
        got = []
        while pull.poll(300):
            got.append(pull.recv())
        self.assertGreaterEqual(len(got), 10, "the PULL got %r; %s" % (got, push.describe()))
        self.assertEqual(got, sorted(got), "out of order: %r" % got)
        self.assertTrue(set(got) <= {b"m%02d" % i for i in range(20)}, got)
        self.assertEqual(push.wait(), 0, push.describe())
        pmon.poll(0.0)
        self.assertEqual(pmon.count(zmq.EVENT_HANDSHAKE_SUCCEEDED), 0, pmon.events)

    def test_our_rep_to_libzmq_push_and_req(self):
        """Our REP connects to a libzmq PUSH (refused) and a libzmq REQ: every request of
        the REQ is answered; nothing of the PUSH is printed."""
        rep, bad, bmon, req = self.connect_to_bad_and_good("rep", zmq.PUSH, zmq.REQ, "tcp")
        try:
            bad.send(b"from-push", zmq.NOBLOCK)
        except zmq.Again:
            pass
        for i in range(5):
            req.send(b"q%d" % i)
            self.assertEqual(zrecv(req), [b"q%d" % i], rep.describe())
        self.assertEqual(rep.read_lines(5), [b"q%d" % i for i in range(5)])
        self.assertIsNone(rep.try_readline(0.1))
        bmon.poll(0.0)
        self.assertEqual(bmon.count(zmq.EVENT_HANDSHAKE_SUCCEEDED), 0, bmon.events)
        rep.terminate()

    def test_libzmq_dealer_to_our_pull_never_retried(self):
        """A libzmq DEALER refused by our bound PULL (it reads our READY saying PULL) does
        not come back (wire-notes M6, R2), and our PULL stays usable."""
        pull, ep = self.zmtpcat_bind("ipc", "pull", "-v")
        bad = self.zsock(zmq.DEALER, RECONNECT_IVL=50)
        mon = Monitor(bad)
        bad.connect(ep)
        mon.wait_event(FAILED_EVENTS)
        wait_stderr(pull, REFUSED)
        time.sleep(0.3)
        self.assertEqual(len(wait_stderr(pull, r"^zmtpcat: accepted")), 1, pull.describe())
        good = self.zsock(zmq.PUSH)
        good.connect(ep)
        good.send(b"ok")
        self.assertEqual(pull.readline(), b"ok", pull.describe())
        pull.terminate()
