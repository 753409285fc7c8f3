"""PUSH/PULL (RFC 30) between zmtpcat and libzmq: both directions, each side binding and
connecting, over tcp://127.0.0.1 and ipc://; 1000 messages in order; our PUSH
round-robins over two libzmq PULLs; our PULL fair-queues two libzmq PUSHes; our connecting
PUSH keeps its queue while the PULL is away (wire-notes R4)."""

import time

import zmq

from helpers import (InteropCase, add_matrix, assert_our_lines_arrive_in_order, continue_process,
                     split_tcp_endpoint, stop_process, wait_rx_queued, wait_stderr, zrebind,
                     zrecv, zrecv_none)

TRANSPORTS = ("tcp", "ipc")

# Lines for zmtpcat (TAB separates frames) and the frames libzmq must see.
MESSAGES = [
    ("hello", [b"hello"]),
    ("two\tframes", [b"two", b"frames"]),
    ("empty\t\tmiddle", [b"empty", b"", b"middle"]),
    ("A\u00e9\u20ac utf-8", ["A\u00e9\u20ac utf-8".encode("utf-8")]),
    ("x" * 300, [b"x" * 300]),
    ("last", [b"last"]),
]


def line_of(frames):
    return b"\t".join(frames)


class PushPullMatrix(InteropCase):

    def our_push_to_libzmq_pull(self, transport, ours_binds):
        pull = self.zsock(zmq.PULL)
        push, ep = self.join(pull, transport, ours_binds, "push")
        push.send_lines([l for l, _ in MESSAGES])
        push.close_stdin()
        for _, frames in MESSAGES:
            self.assertEqual(zrecv(pull), frames, push.describe())
        self.assertExit(push, 0)
        zrecv_none(pull, 0.05)

    def libzmq_push_to_our_pull(self, transport, ours_binds):
        push = self.zsock(zmq.PUSH)
        pull, ep = self.join(push, transport, ours_binds, "pull", "-n", len(MESSAGES))
        for _, frames in MESSAGES:
            push.send_multipart(frames)
        self.assertEqual(pull.read_lines(len(MESSAGES)), [line_of(f) for _, f in MESSAGES])
        self.assertExit(pull, 0)


add_matrix(PushPullMatrix, [
    ("our_push_to_libzmq_pull", "our PUSH -> libzmq PULL", PushPullMatrix.our_push_to_libzmq_pull),
    ("libzmq_push_to_our_pull", "libzmq PUSH -> our PULL", PushPullMatrix.libzmq_push_to_our_pull),
], TRANSPORTS)


def numbered(n, prefix=b"m"):
    return [prefix + b"%04d" % i + b"." * (i % 23) for i in range(n)]


class PushPullVolume(InteropCase):

    def test_our_push_1000_in_order(self):
        """1000 lines through our connecting PUSH to a libzmq PULL: none lost, order kept."""
        pull = self.zsock(zmq.PULL)
        ep = self.zbind(pull, "tcp")
        push = self.zmtpcat("push", "-c", ep)
        lines = numbered(1000)
        assert_our_lines_arrive_in_order(self, push, pull, lines)

    def test_our_pull_1000_in_order(self):
        """1000 messages from a libzmq PUSH to our bound PULL: none lost, order kept."""
        push = self.zsock(zmq.PUSH)
        pull, ep = self.zmtpcat_bind("ipc", "pull", "-n", 1000)
        push.connect(ep)
        lines = numbered(1000)
        for l in lines:
            push.send(l)
        self.assertEqual(pull.read_lines(1000, timeout=10.0), lines)
        self.assertExit(pull, 0)


class RoundRobin(InteropCase):

    def check_split(self, pulls, push, n):
        got = [[] for _ in pulls]
        poller = zmq.Poller()
        for s in pulls:
            poller.register(s, zmq.POLLIN)
        deadline = time.monotonic() + 10.0
        while sum(map(len, got)) < n and time.monotonic() < deadline:
            for s, _ in poller.poll(500):
                got[pulls.index(s)].append(s.recv())
        self.assertEqual(sum(map(len, got)), n, "lost messages (%r); %s"
                         % ([len(g) for g in got], push.describe()))
        lines = numbered(n)
        for g in got:
            self.assertEqual(g, sorted(g, key=lines.index), "one PULL got messages out of order")
            self.assertEqual(len(g), n // 2, "round-robin over 2 PULLs: %r" % [len(x) for x in got])
        # RFC 30 / wire-notes S5: with both peers ready, strict alternation.
        firsts = sorted(got, key=lambda g: lines.index(g[0]))
        self.assertEqual(firsts[0], lines[0::2], "PULL #1 should get m0, m2, m4, ...")
        self.assertEqual(firsts[1], lines[1::2], "PULL #2 should get m1, m3, m5, ...")
        self.assertExit(push, 0)

    def test_bound_push_round_robins_two_libzmq_pulls(self):
        push, ep = self.zmtpcat_bind("tcp", "push", "--wait-peers", "2")
        pulls = []
        for _ in range(2):
            s = self.zsock(zmq.PULL)
            s.connect(ep)
            pulls.append(s)
        push.send_lines(numbered(1000))
        push.close_stdin()
        self.check_split(pulls, push, 1000)

    def test_connecting_push_round_robins_two_libzmq_pulls(self):
        pulls, eps = self.zbind_each(zmq.PULL, ("tcp", "ipc"))
        push = self.zmtpcat("push", *eps, "--wait-peers", "2")
        push.send_lines(numbered(1000))
        push.close_stdin()
        self.check_split(pulls, push, 1000)


class FairQueue(InteropCase):

    def test_pull_fair_queues_two_libzmq_pushes(self):
        """Two libzmq PUSHes each have 500 messages waiting for our PULL at the same time
        (zmtpcat is stopped with SIGSTOP while they send): our PULL gets all 1000, each
        source in order, and interleaves the sources (fair queueing, RFC 30) rather than
        draining one peer first."""
        pull, ep = self.zmtpcat_bind("tcp", "pull", "-n", 1002)
        pushes = []
        for name in (b"A", b"B"):
            s = self.zsock(zmq.PUSH)
            s.connect(ep)
            s.send(b"probe" + name)
            pushes.append(s)
        self.assertEqual(sorted(pull.read_lines(2)), [b"probeA", b"probeB"])
        stop_process(pull)
        self.addCleanup(continue_process, pull)
        try:
            for i in range(500):
                pushes[0].send(b"A%03d" % i)
                pushes[1].send(b"B%03d" % i)
            # Both batches (500 x 6 bytes each) sit in our PULL's two kernel sockets.
            wait_rx_queued(3000, count=2, local_port=split_tcp_endpoint(ep)[1])
        finally:
            continue_process(pull)
        got = pull.read_lines(1000, timeout=10.0)
        self.assertEqual([g for g in got if g[:1] == b"A"], [b"A%03d" % i for i in range(500)])
        self.assertEqual([g for g in got if g[:1] == b"B"], [b"B%03d" % i for i in range(500)])
        head = got[:100]
        na = sum(1 for g in head if g[:1] == b"A")
        self.assertTrue(30 <= na <= 70, "not fair-queued: %d of the first 100 from A, %d from B "
                        "(first 20: %r)" % (na, 100 - na, got[:20]))
        self.assertExit(pull, 0)


class ReconnectQueue(InteropCase):

    def queue_across_reconnect(self, transport):
        """wire-notes R4: our connecting PUSH keeps its queue while its only libzmq PULL is
        away; lines sent while it was down arrive, in order, once a new PULL is bound on
        the same endpoint."""
        pull = self.zsock(zmq.PULL)
        ep = self.zbind(pull, transport)
        push = self.zmtpcat("push", "-c", ep, "-v")
        push.send_lines([b"before%d" % i for i in range(5)])
        for i in range(5):
            self.assertEqual(zrecv(pull), [b"before%d" % i], push.describe())
        pull.close(linger=0)
        wait_stderr(push, r"^zmtpcat: disconnected")
        push.send_lines([b"down%d" % i for i in range(10)])
        time.sleep(0.3)  # at least one failed reconnect while the lines wait
        pull2 = zrebind(self, zmq.PULL, ep)
        for i in range(10):
            self.assertEqual(zrecv(pull2, 10.0), [b"down%d" % i], push.describe())
        push.send_line(b"after")
        self.assertEqual(zrecv(pull2), [b"after"])
        push.close_stdin()
        self.assertExit(push, 0)

    def test_push_queue_survives_pull_restart_tcp(self):
        self.queue_across_reconnect("tcp")

    def test_push_queue_survives_pull_restart_ipc(self):
        self.queue_across_reconnect("ipc")


class NoPeerYet(InteropCase):
    """RFC 30: a PUSH with no peer blocks (never drops); lines written to our bound
    socket before anybody connects are delivered to the first peer, in order."""

    def lines_wait_for_first_peer(self, typ, ztype):
        ours, ep = self.zmtpcat_bind("tcp", typ)
        ours.send_lines(["early%d" % i for i in range(5)])
        ours.assert_no_line(0.3)
        z = self.zsock(ztype)
        z.connect(ep)
        for i in range(5):
            self.assertEqual(zrecv(z), [b"early%d" % i], ours.describe())
        ours.close_stdin()
        self.assertExit(ours, 0)

    def test_bound_push_holds_lines_until_a_pull_connects(self):
        self.lines_wait_for_first_peer("push", zmq.PULL)

    def test_bound_dealer_holds_lines_until_a_peer_connects(self):
        self.lines_wait_for_first_peer("dealer", zmq.DEALER)

    def test_bound_pair_holds_lines_until_a_peer_connects(self):
        self.lines_wait_for_first_peer("pair", zmq.PAIR)
