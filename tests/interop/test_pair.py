"""PAIR (RFC 31) between zmtpcat and libzmq: both directions at once, each side binding
and connecting, over tcp://127.0.0.1 and ipc://; a second libzmq PAIR on our bound PAIR
is ignored without disturbing the first (wire-notes S10)."""

import time

import zmq

from helpers import (InteropCase, Monitor, add_matrix, continue_process, split_tcp_endpoint,
                     stop_process, wait_rx_queued, wait_stderr, zrecv, zrecv_none)

TRANSPORTS = ("tcp", "ipc")


class PairMatrix(InteropCase):

    def pair(self, transport, ours_binds):
        lz = self.zsock(zmq.PAIR)
        ours, ep = self.join(lz, transport, ours_binds, "pair")
        ours.send_lines(["to-libzmq", "multi\t\tpart", "y" * 400])
        lz.send(b"to-ours")
        lz.send_multipart([b"x", b""])
        lz.send_multipart([b"", b"z" * 300])
        self.assertEqual(zrecv(lz), [b"to-libzmq"], ours.describe())
        self.assertEqual(zrecv(lz), [b"multi", b"", b"part"])
        self.assertEqual(zrecv(lz), [b"y" * 400])
        self.assertEqual(ours.read_lines(3), [b"to-ours", b"x\t", b"\t" + b"z" * 300])
        ours.close_stdin()
        self.assertExit(ours, 0)
        zrecv_none(lz, 0.05)


add_matrix(PairMatrix, [("pair", "our PAIR <-> libzmq PAIR", PairMatrix.pair)], TRANSPORTS)


class SecondPeer(InteropCase):

    def second_pair_ignored(self, transport):
        ours, ep = self.zmtpcat_bind(transport, "pair")
        first = self.zsock(zmq.PAIR)
        fmon = Monitor(first)
        first.connect(ep)
        ours.send_line("hello-first")
        self.assertEqual(zrecv(first), [b"hello-first"], ours.describe())
        first.send(b"f0")
        self.assertEqual(ours.readline(), b"f0")

        second = self.zsock(zmq.PAIR)
        smon = Monitor(second)
        second.connect(ep)
        smon.wait_event({zmq.EVENT_HANDSHAKE_SUCCEEDED, zmq.EVENT_DISCONNECTED,
                         zmq.EVENT_CLOSED, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL})
        second.send(b"intruder")
        ours.send_lines(["m%d" % i for i in range(10)])
        for i in range(10):
            self.assertEqual(zrecv(first), [b"m%d" % i], ours.describe())
            first.send(b"f%d" % (i + 1))
        self.assertEqual(ours.read_lines(10), [b"f%d" % (i + 1) for i in range(10)],
                         "the second PAIR's message must not be delivered")
        zrecv_none(second, 0.1)
        self.assertIsNone(ours.try_readline(0.05))
        fmon.poll(0.05)
        self.assertEqual(fmon.count(zmq.EVENT_HANDSHAKE_SUCCEEDED), 1, fmon.events)
        self.assertEqual(fmon.count(zmq.EVENT_DISCONNECTED), 0, fmon.events)
        ours.terminate()

    def test_second_libzmq_pair_does_not_disturb_first_tcp(self):
        """A second libzmq PAIR connects to our bound PAIR while the first is talking: the
        first keeps its connection and every message both ways; the second gets nothing
        and what it sends is not delivered."""
        self.second_pair_ignored("tcp")

    def test_second_libzmq_pair_does_not_disturb_first_ipc(self):
        self.second_pair_ignored("ipc")


class CountAndStdin(InteropCase):

    def test_pair_n_does_not_drop_lines_already_read(self):
        """zmtpcat --help: "at stdin EOF a sender flushes and exits 0 (one that also
        receives first waits for -n N)". So `pair -n 1` with the line "mine" on stdin
        must send "mine" even when the peer's message arrives in the same poll round as
        the line (made deterministic here by stopping zmtpcat with SIGSTOP while both
        arrive). Reaching -n N must not discard lines already read from stdin."""
        lz = self.zsock(zmq.PAIR)
        ep = self.zbind(lz, "tcp")
        ours = self.zmtpcat("pair", "-c", ep, "-n", 1, "-v")
        wait_stderr(ours, r"^zmtpcat: handshake")
        stop_process(ours)
        try:
            ours.send_line("mine")
            lz.send(b"theirs")
            # the message is in zmtpcat's kernel socket buffer, the line in its stdin pipe
            wait_rx_queued(8, remote_port=split_tcp_endpoint(ep)[1])
            time.sleep(0.05)
        finally:
            continue_process(ours)
        self.assertEqual(ours.readline(), b"theirs")
        self.assertEqual(zrecv(lz, 2.0), [b"mine"],
                         "the stdin line was dropped when -n 1 was reached; " + ours.describe())
        ours.close_stdin()
        self.assertExit(ours, 0)
