"""DEALER/ROUTER between zmtpcat and libzmq, each side binding and connecting, over
tcp://127.0.0.1 and ipc://: our DEALER with a libzmq ROUTER or DEALER, a libzmq DEALER
with our ROUTER, ROUTER to ROUTER; routing ids (an Identity, or a 5-byte 00xxxxxxxx
generated id, wire-notes S9), replies routed by id, several DEALERs on one ROUTER, and
our DEALER with our ROUTER. Our ROUTER prints and reads the routing id as a hex frame."""

import re

import zmq

from helpers import InteropCase, WAIT, add_method_matrix, wait_stderr, zrecv, zrecv_none, zsend_routed

TRANSPORTS = ("tcp", "ipc")

GENERATED_ID = re.compile(rb"^00[0-9a-f]{8}$")


def hexid(b):
    return b.hex().encode()


class DealerRouterMatrix(InteropCase):

    def our_dealer_libzmq_router(self, transport, ours_binds):
        """No --identity: libzmq generates a 5-byte id 00xxxxxxxx; replies come back by it."""
        dealer, router = self.join_new(transport, ours_binds, zmq.ROUTER, ["dealer", "-n", 2],
                                    {"ROUTER_MANDATORY": 1})
        dealer.send_lines(["d1\tx", "d2"])
        m1, m2 = zrecv(router), zrecv(router)
        rid = m1[0]
        self.assertEqual((len(rid), rid[:1]), (5, b"\x00"), "generated id: %r" % m1)
        self.assertEqual(m1, [rid, b"d1", b"x"], dealer.describe())
        self.assertEqual(m2, [rid, b"d2"])
        router.send_multipart([rid, b"r1"])
        router.send_multipart([rid, b"r2", b"", b"y"])
        self.assertEqual(dealer.read_lines(2), [b"r1", b"r2\t\ty"])
        dealer.close_stdin()
        self.assertExit(dealer, 0)

    def libzmq_dealer_our_router(self, transport, ours_binds):
        router, dealer = self.join_new(transport, ours_binds, zmq.DEALER, ["router"])
        dealer.send_multipart([b"a", b"b"])
        line = router.readline()
        parts = line.split(b"\t")
        self.assertRegex(parts[0], GENERATED_ID, line)
        self.assertEqual(parts[1:], [b"a", b"b"], line)
        router.send_line(parts[0] + b"\treply\t\tz")
        self.assertEqual(zrecv(dealer), [b"reply", b"", b"z"], router.describe())
        dealer.send(b"again")
        self.assertEqual(router.readline(), parts[0] + b"\tagain", "id must stay the same")
        router.terminate()

    def our_dealer_libzmq_dealer(self, transport, ours_binds):
        ours, lz = self.join_new(transport, ours_binds, zmq.DEALER, ["dealer", "-n", 1])
        our_dealer_round_trip(self, ours, lz, "x\ty", [b"x", b"y"], [b"back", b""], b"back\t")

    def our_router_libzmq_router(self, transport, ours_binds):
        """ROUTER to ROUTER needs known ids on both sides: libzmq "lz", ours "ours"."""
        ours, lz = self.join_new(transport, ours_binds, zmq.ROUTER, ["router", "--identity", "ours"],
                              {"ROUTING_ID": b"lz", "ROUTER_MANDATORY": 1})
        zsend_routed(lz, [b"ours", b"hello", b"there"])
        self.assertEqual(ours.readline(), hexid(b"lz") + b"\thello\tthere", ours.describe())
        ours.send_line(hexid(b"lz") + b"\tback")
        self.assertEqual(zrecv(lz), [b"ours", b"back"], ours.describe())
        ours.terminate()


def our_dealer_round_trip(case, ours, lz, line, seen, reply, printed):
    """Our DEALER (zmtpcat -n 1) writes @line: libzmq's @lz receives the frames @seen and
    answers @reply; our DEALER prints @printed, then leaves with 0 at the end of its input."""
    ours.send_line(line)
    case.assertEqual(zrecv(lz), seen, ours.describe())
    lz.send_multipart(reply)
    case.assertEqual(ours.readline(), printed)
    ours.close_stdin()
    case.assertExit(ours, 0)


PAIRS = ["our_dealer_libzmq_router", "libzmq_dealer_our_router", "our_dealer_libzmq_dealer",
         "our_router_libzmq_router"]


add_method_matrix(DealerRouterMatrix, PAIRS, TRANSPORTS)


class RoutingIds(InteropCase):

    def test_our_dealer_identity_is_libzmq_routing_id(self):
        """Our DEALER --identity abc: the libzmq ROUTER sees b"abc" as the routing id."""
        router = self.zsock(zmq.ROUTER)
        ep = self.zbind(router, "tcp")
        dealer = self.zmtpcat("dealer", "-c", ep, "--identity", "abc", "-n", 1)
        our_dealer_round_trip(self, dealer, router, "hi", [b"abc", b"hi"], [b"abc", b"yo"], b"yo")

    def test_libzmq_dealer_routing_id_printed_as_hex(self):
        """libzmq DEALER with ZMQ_ROUTING_ID b"\\x01id\\xff": our ROUTER prints 016964ff."""
        router, ep = self.zmtpcat_bind("tcp", "router")
        dealer = self.zsock(zmq.DEALER, ROUTING_ID=b"\x01id\xff")
        dealer.connect(ep)
        dealer.send(b"m")
        self.assertEqual(router.readline(), b"016964ff\tm")
        router.send_line("016964ff\tr")
        self.assertEqual(zrecv(dealer), [b"r"], router.describe())
        router.terminate()

    def test_our_router_routes_several_dealers(self):
        """Three libzmq DEALERs on our ROUTER: "d1" (ZMQ_ROUTING_ID) and two without an id,
        whose generated ids are 00 + consecutive counters. Replies sent in reverse order by
        id reach only their own DEALER; a reply to an unknown id is dropped."""
        router, ep = self.zmtpcat_bind("tcp", "router")
        d1 = self.zsock(zmq.DEALER, ROUTING_ID=b"d1")
        d2 = self.zsock(zmq.DEALER)
        d3 = self.zsock(zmq.DEALER)
        ids = []
        for i, d in enumerate((d1, d2, d3)):
            d.connect(ep)
            d.send(b"from%d" % (i + 1))
            line = router.readline()
            rid, _, body = line.partition(b"\t")
            self.assertEqual(body, b"from%d" % (i + 1), line)
            ids.append(rid)
        self.assertEqual(ids[0], hexid(b"d1"))
        self.assertRegex(ids[1], GENERATED_ID)
        self.assertRegex(ids[2], GENERATED_ID)
        self.assertEqual((int(ids[1], 16) + 1) & 0xFFFFFFFF, int(ids[2], 16),
                         "generated ids should rise by one per peer: %r" % ids)
        router.send_line(b"ffffffffff\tnobody")        # unknown id: dropped
        for i in (2, 1, 0):
            router.send_line(ids[i] + b"\tto%d" % (i + 1))
        for i, d in enumerate((d1, d2, d3)):
            self.assertEqual(zrecv(d), [b"to%d" % (i + 1)], router.describe())
            zrecv_none(d, 0.05)
        self.assertTrue(router.alive(), router.describe())
        router.terminate()

    def test_our_router_ignores_duplicate_identity(self):
        """wire-notes S9: a second peer with an Identity already in use is ignored (no
        handover): its messages are not delivered and replies go to the first peer."""
        router, ep = self.zmtpcat_bind("tcp", "router")
        first = self.zsock(zmq.DEALER, ROUTING_ID=b"dup")
        first.connect(ep)
        first.send(b"one")
        self.assertEqual(router.readline(), hexid(b"dup") + b"\tone")
        second = self.zsock(zmq.DEALER, ROUTING_ID=b"dup")
        second.connect(ep)
        second.send(b"two")
        self.assertIsNone(router.try_readline(0.3), "the duplicate's message was delivered")
        router.send_line(hexid(b"dup") + b"\tr")
        self.assertEqual(zrecv(first), [b"r"], router.describe())
        zrecv_none(second, 0.1)
        first.send(b"three")
        self.assertEqual(router.readline(), hexid(b"dup") + b"\tthree")
        router.terminate()


class IdReuse(InteropCase):

    def test_identity_free_again_after_disconnect(self):
        """wire-notes R3: when a DEALER with ZMQ_ROUTING_ID "x" leaves, our ROUTER frees
        "x"; the next DEALER with that id (connecting after the first one's disconnect was
        seen) is routed normally, three times over."""
        router, ep = self.zmtpcat_bind("tcp", "router", "-v")
        for k in range(3):
            d = self.zsock(zmq.DEALER, ROUTING_ID=b"x")
            d.connect(ep)
            d.send(b"hi%d" % k)
            self.assertEqual(router.readline(), b"78\thi%d" % k, router.describe())
            router.send_line(b"78\tyo%d" % k)
            self.assertEqual(zrecv(d), [b"yo%d" % k], router.describe())
            d.close(linger=0)
            wait_stderr(router, r"^zmtpcat: disconnected", count=k + 1)
        router.terminate()


class OursWithOurs(InteropCase):

    def test_our_dealer_with_our_router(self):
        """zmtpcat DEALER (--identity dd, and one without) -> zmtpcat ROUTER, both ways."""
        router, ep = self.zmtpcat_bind("tcp", "router")
        named = self.zmtpcat("dealer", "-c", ep, "--identity", "dd", "-n", 1)
        named.send_line("hi\tthere")
        self.assertEqual(router.readline(), hexid(b"dd") + b"\thi\tthere", router.describe())
        anon = self.zmtpcat("dealer", "-c", ep, "-n", 1)
        anon.send_line("anon")
        line = router.readline()
        rid, _, body = line.partition(b"\t")
        self.assertRegex(rid, GENERATED_ID)
        self.assertEqual(body, b"anon")
        router.send_line(rid + b"\tfor-anon")
        router.send_line(hexid(b"dd") + b"\tfor\t\tdd")
        self.assertEqual(named.readline(), b"for\t\tdd", named.describe())
        self.assertEqual(anon.readline(), b"for-anon", anon.describe())
        for d in (named, anon):
            d.close_stdin()
            self.assertExit(d, 0)
        router.terminate()

    def test_our_req_with_our_rep_and_router(self):
        """zmtpcat REQ -> zmtpcat REP over ipc, and zmtpcat REQ -> zmtpcat ROUTER over tcp."""
        rep, ep = self.zmtpcat_bind("ipc", "rep")
        req = self.zmtpcat("req", "-c", ep)
        req.send_lines(["a\tb", "c"])
        req.close_stdin()
        self.assertEqual(req.read_lines(2), [b"a\tb", b"c"], rep.describe())
        self.assertExit(req, 0)
        router, ep2 = self.zmtpcat_bind("tcp", "router")
        req2 = self.zmtpcat("req", "-c", ep2, "--identity", "rq")
        req2.send_line("ask")
        self.assertEqual(router.readline(), hexid(b"rq") + b"\t\task", router.describe())
        router.send_line(hexid(b"rq") + b"\t\tanswer")
        self.assertEqual(req2.readline(), b"answer", req2.describe())
        req2.close_stdin()
        self.assertExit(req2, 0)
        rep.terminate()
        router.terminate()


class DealerLoadBalance(InteropCase):

    def test_our_dealer_round_robins_two_libzmq_routers(self):
        """Our DEALER connected to two libzmq ROUTERs sends m0, m2, ... to one and m1,
        m3, ... to the other, and fair-queues what both send back."""
        routers, args = [], []
        routers, args = self.zbind_each(zmq.ROUTER, ("tcp", "ipc"))
        dealer = self.zmtpcat("dealer", *args, "--identity", "dl", "--wait-peers", "2", "-n", 10)
        dealer.send_lines(["m%d" % i for i in range(10)])
        got = [[], []]
        poller = zmq.Poller()
        for r in routers:
            poller.register(r, zmq.POLLIN)
        while sum(map(len, got)) < 10:
            ready = dict(poller.poll(int(WAIT * 1000)))
            self.assertTrue(ready, "got %r; %s" % (got, dealer.describe()))
            for r in ready:
                rid, body = r.recv_multipart()
                self.assertEqual(rid, b"dl")
                got[routers.index(r)].append(body)
        first = 0 if got[0][0] == b"m0" else 1
        self.assertEqual(got[first], [b"m%d" % i for i in range(0, 10, 2)], got)
        self.assertEqual(got[1 - first], [b"m%d" % i for i in range(1, 10, 2)], got)
        for i in range(5):
            routers[0].send_multipart([b"dl", b"a%d" % i])
            routers[1].send_multipart([b"dl", b"b%d" % i])
        lines = dealer.read_lines(10)
        self.assertEqual([l for l in lines if l[:1] == b"a"], [b"a%d" % i for i in range(5)])
        self.assertEqual([l for l in lines if l[:1] == b"b"], [b"b%d" % i for i in range(5)])
        dealer.close_stdin()
        self.assertExit(dealer, 0)
