"""REQ/REP (RFC 28) between zmtpcat and libzmq, each side binding and connecting, over
tcp://127.0.0.1 and ipc://: our REQ with a libzmq REP or ROUTER, a libzmq REQ with our
REP or ROUTER, a libzmq DEALER with our REP and our DEALER with a libzmq REP (the
DEALER writes the empty delimiter itself); envelopes checked frame by frame, multipart
requests, 1000 round trips in order."""

import re

import zmq

from helpers import InteropCase, WAIT, add_method_matrix, zrecv, zrecv_none, zsend_routed

TRANSPORTS = ("tcp", "ipc")

# (line for zmtpcat, frames of the request body)
REQUESTS = [
    ("q1", [b"q1"]),
    ("multi\tpart\trequest", [b"multi", b"part", b"request"]),
    ("a\t\tb", [b"a", b"", b"b"]),   # an empty frame inside the body is not a delimiter
    ("x" * 300, [b"x" * 300]),
]

GENERATED_ID = re.compile(rb"^00[0-9a-f]{8}$")  # wire-notes S9: 00 + uint32, as hex


def line_of(frames):
    return b"\t".join(frames)


def reply_to(frames):
    return [b"re:" + frames[0]] + frames[1:]


class ReqRepMatrix(InteropCase):

    def our_req_with(self, transport, ours_binds, ztype, peer_opts, answer):
        """Our REQ writes every request; the libzmq @ztype socket answers each one with
        answer(socket, frames, req); our REQ prints the replies in order and leaves with 0."""
        req, lz = self.join_new(transport, ours_binds, ztype, ["req"], peer_opts)
        req.send_lines([l for l, _ in REQUESTS])
        req.close_stdin()
        for _, frames in REQUESTS:
            answer(lz, frames, req)
        self.assertEqual(req.read_lines(len(REQUESTS)), [line_of(reply_to(f)) for _, f in REQUESTS])
        self.assertExit(req, 0)

    # our REQ -> libzmq REP
    def our_req_libzmq_rep(self, transport, ours_binds):
        def answer(rep, frames, req):
            self.assertEqual(zrecv(rep), frames, req.describe())
            zrecv_none(rep, 0.02)  # REQ: the next request only after the reply
            rep.send_multipart(reply_to(frames))
        self.our_req_with(transport, ours_binds, zmq.REP, None, answer)

    # libzmq REQ -> our REP (echo)
    def libzmq_req_our_rep(self, transport, ours_binds):
        rep, req = self.join_new(transport, ours_binds, zmq.REQ, ["rep"])
        for _, frames in REQUESTS:
            req.send_multipart(frames)
            self.assertEqual(zrecv(req), frames, rep.describe())
        self.assertEqual(rep.read_lines(len(REQUESTS)), [line_of(f) for _, f in REQUESTS])
        rep.terminate()

    # our REQ -> libzmq ROUTER: routing id + empty delimiter + body
    def our_req_libzmq_router(self, transport, ours_binds):
        def answer(router, frames, req):
            got = zrecv(router)
            self.assertEqual(len(got[0]), 5, "generated routing id: %r" % got)
            self.assertEqual(got[0][0], 0, "generated routing id: %r" % got)
            self.assertEqual(got[1:], [b""] + frames, "REQ envelope at the ROUTER; " + req.describe())
            router.send_multipart([got[0], b""] + reply_to(frames))
        self.our_req_with(transport, ours_binds, zmq.ROUTER, {"ROUTER_MANDATORY": 1}, answer)

    # libzmq REQ -> our ROUTER: we print hex id, empty frame, body; reply by id
    def libzmq_req_our_router(self, transport, ours_binds):
        router, req = self.join_new(transport, ours_binds, zmq.REQ, ["router"])
        for _, frames in REQUESTS:
            req.send_multipart(frames)
            line = router.readline()
            parts = line.split(b"\t")
            self.assertRegex(parts[0], GENERATED_ID, line)
            self.assertEqual(parts[1:], [b""] + frames, "envelope at our ROUTER: %r" % line)
            router.send_line(line_of([parts[0], b""] + reply_to(frames)))
            self.assertEqual(zrecv(req), reply_to(frames), router.describe())
        router.terminate()

    # libzmq DEALER -> our REP: the DEALER writes the delimiter; REP echoes the envelope
    def libzmq_dealer_our_rep(self, transport, ours_binds):
        rep, dealer = self.join_new(transport, ours_binds, zmq.DEALER, ["rep"])
        for _, frames in REQUESTS:
            dealer.send_multipart([b""] + frames)
            self.assertEqual(zrecv(dealer), [b""] + frames, rep.describe())
        self.assertEqual(rep.read_lines(len(REQUESTS)), [line_of(f) for _, f in REQUESTS])
        rep.terminate()

    # our DEALER -> libzmq REP: our line starts with an empty frame (leading TAB)
    def our_dealer_libzmq_rep(self, transport, ours_binds):
        dealer, rep = self.join_new(transport, ours_binds, zmq.REP, ["dealer", "-n", len(REQUESTS)])
        for line, frames in REQUESTS:
            dealer.send_line("\t" + line)
            self.assertEqual(zrecv(rep), frames, dealer.describe())
            rep.send_multipart(reply_to(frames))
            self.assertEqual(dealer.readline(), b"\t" + line_of(reply_to(frames)))
        dealer.close_stdin()
        self.assertExit(dealer, 0)


PAIRS = ["our_req_libzmq_rep", "libzmq_req_our_rep", "our_req_libzmq_router",
         "libzmq_req_our_router", "libzmq_dealer_our_rep", "our_dealer_libzmq_rep"]


add_method_matrix(ReqRepMatrix, PAIRS, TRANSPORTS)


class Envelopes(InteropCase):

    def test_our_req_identity_envelope_at_libzmq_router(self):
        """Our REQ --identity req-1 -> libzmq ROUTER: [b"req-1", b"", "a", "b"] arrives; the
        ROUTER's reply [id, b"", "x", "", "y"] reaches our REQ as x, "", y."""
        router = self.zsock(zmq.ROUTER)
        ep = self.zbind(router, "tcp")
        req = self.zmtpcat("req", "-c", ep, "--identity", "req-1")
        req.send_line("a\tb")
        self.assertEqual(zrecv(router), [b"req-1", b"", b"a", b"b"], req.describe())
        router.send_multipart([b"req-1", b"", b"x", b"", b"y"])
        self.assertEqual(req.readline(), b"x\t\ty")
        req.close_stdin()
        self.assertExit(req, 0)

    def test_our_rep_echoes_multi_hop_envelope(self):
        """A libzmq DEALER sends [hop2, hop1, "", body] (a request that went through two
        ROUTERs): our REP prints only the body and sends all of the envelope back
        (wire-notes S8)."""
        rep, ep = self.zmtpcat_bind("tcp", "rep")
        dealer = self.zsock(zmq.DEALER)
        dealer.connect(ep)
        dealer.send_multipart([b"hop2", b"\x00\x01\x02", b"", b"body", b"more"])
        self.assertEqual(zrecv(dealer), [b"hop2", b"\x00\x01\x02", b"", b"body", b"more"],
                         rep.describe())
        self.assertEqual(rep.readline(), b"body\tmore")
        rep.terminate()

    def test_our_rep_fixed_reply_keeps_envelope(self):
        """--reply TEXT: the envelope still goes back in front of TEXT."""
        rep, ep = self.zmtpcat_bind("tcp", "rep", "--reply", "pong")
        dealer = self.zsock(zmq.DEALER)
        dealer.connect(ep)
        dealer.send_multipart([b"hop", b"", b"ping"])
        self.assertEqual(zrecv(dealer), [b"hop", b"", b"pong"], rep.describe())
        req = self.zsock(zmq.REQ)
        req.connect(ep)
        req.send(b"ping2")
        self.assertEqual(zrecv(req), [b"pong"], rep.describe())
        self.assertEqual(rep.read_lines(2), [b"ping", b"ping2"])
        rep.terminate()

    def test_our_rep_drops_request_without_delimiter(self):
        """wire-notes S8: a request with no empty delimiter frame is dropped silently, and
        the next well-formed request on the same connection is answered."""
        rep, ep = self.zmtpcat_bind("tcp", "rep")
        dealer = self.zsock(zmq.DEALER)
        dealer.connect(ep)
        dealer.send_multipart([b"no", b"delimiter"])
        dealer.send_multipart([b"", b"good"])
        self.assertEqual(zrecv(dealer, 2.0), [b"", b"good"], rep.describe())
        zrecv_none(dealer, 0.1)
        self.assertEqual(rep.readline(), b"good")
        self.assertIsNone(rep.try_readline(0.05))
        rep.terminate()

    def test_our_router_with_libzmq_req_identity(self):
        """libzmq REQ with ZMQ_ROUTING_ID "lzreq" -> our ROUTER: the id is printed as hex
        of those bytes and the reply by that id reaches the REQ."""
        router, ep = self.zmtpcat_bind("tcp", "router")
        req = self.zsock(zmq.REQ, ROUTING_ID=b"lzreq")
        req.connect(ep)
        req.send_multipart([b"m", b"p"])
        self.assertEqual(router.readline(), b"lzreq".hex().encode() + b"\t\tm\tp")
        router.send_line(b"lzreq".hex() + "\t\tok")
        self.assertEqual(zrecv(req), [b"ok"], router.describe())
        router.terminate()

    def test_our_req_ignores_reply_from_other_peer(self):
        """RFC 28: our REQ (--identity me) is connected to two libzmq ROUTERs. The request
        goes to one; a "reply" the other ROUTER sends is not the reply and must not be
        printed; the real reply is."""
        r1, r2 = self.zsock(zmq.ROUTER, ROUTER_MANDATORY=1), self.zsock(zmq.ROUTER, ROUTER_MANDATORY=1)
        ep1, ep2 = self.zbind(r1, "tcp"), self.zbind(r2, "tcp")
        req = self.zmtpcat("req", "-c", ep1, "-c", ep2, "--identity", "me", "--wait-peers", "2")
        req.send_line("q")
        poller = zmq.Poller()
        poller.register(r1, zmq.POLLIN)
        poller.register(r2, zmq.POLLIN)
        ready = dict(poller.poll(int(WAIT * 1000)))
        self.assertEqual(len(ready), 1, "the request went to %d ROUTERs; %s" % (len(ready), req.describe()))
        asked, other = (r1, r2) if r1 in ready else (r2, r1)
        self.assertEqual(asked.recv_multipart(), [b"me", b"", b"q"])
        zsend_routed(other, [b"me", b"", b"bogus"])
        self.assertIsNone(req.try_readline(0.2), "a reply from the peer not asked was printed")
        asked.send_multipart([b"me", b"", b"real"])
        self.assertEqual(req.readline(), b"real", req.describe())
        req.close_stdin()
        self.assertExit(req, 0)

    def test_our_req_round_robins_two_libzmq_reps(self):
        """Our REQ connected to two libzmq REPs sends successive requests to each in turn."""
        reps, args = self.zbind_each(zmq.REP, ("tcp", "ipc"))
        req = self.zmtpcat("req", *args, "--wait-peers", "2")
        req.send_lines(["r%d" % i for i in range(6)])
        req.close_stdin()
        poller = zmq.Poller()
        for s in reps:
            poller.register(s, zmq.POLLIN)
        who = []
        for i in range(6):
            ready = dict(poller.poll(int(WAIT * 1000)))
            self.assertEqual(len(ready), 1, req.describe())
            s = next(iter(ready))
            self.assertEqual(s.recv_multipart(), [b"r%d" % i])
            s.send(b"a%d" % i)
            who.append(reps.index(s))
        self.assertEqual(who[0::2], [who[0]] * 3, "requests not round-robined: %r" % who)
        self.assertEqual(who[1::2], [1 - who[0]] * 3, "requests not round-robined: %r" % who)
        self.assertEqual(req.read_lines(6), [b"a%d" % i for i in range(6)])
        self.assertExit(req, 0)


class RoundTrips(InteropCase):

    def test_our_req_1000_round_trips(self):
        """1000 requests from our REQ to a libzmq REP: each reply matches its request."""
        rep = self.zsock(zmq.REP)
        ep = self.zbind(rep, "tcp")
        req = self.zmtpcat("req", "-c", ep)
        req.send_lines([b"q%04d" % i for i in range(1000)])
        req.close_stdin()
        for i in range(1000):
            self.assertEqual(zrecv(rep), [b"q%04d" % i], req.describe())
            rep.send(b"r%04d" % i)
        self.assertEqual(req.read_lines(1000, timeout=10.0), [b"r%04d" % i for i in range(1000)])
        self.assertExit(req, 0)

    def test_libzmq_req_1000_round_trips_to_our_rep(self):
        """1000 requests from a libzmq REQ to our REP (echo), over ipc, in order."""
        rep, ep = self.zmtpcat_bind("ipc", "rep", "-n", 1000)
        req = self.zsock(zmq.REQ)
        req.connect(ep)
        for i in range(1000):
            req.send_multipart([b"q%04d" % i, b"tail"])
            self.assertEqual(zrecv(req), [b"q%04d" % i, b"tail"], rep.describe())
        self.assertEqual(rep.read_lines(1000), [b"q%04d\ttail" % i for i in range(1000)])
        self.assertExit(rep, 0)


class MoreReqRep(InteropCase):

    def test_our_rep_serves_two_libzmq_reqs_interleaved(self):
        """Two libzmq REQs each have a request in flight at once: our REP answers both and
        each reply goes back to its own requester (the envelope names the peer)."""
        rep, ep = self.zmtpcat_bind("tcp", "rep")
        reqs = [self.zsock(zmq.REQ, ROUTING_ID=b"r%d" % i) for i in range(2)]
        for r in reqs:
            r.connect(ep)
        for round_ in range(20):
            for i, r in enumerate(reqs):
                r.send(b"req%d-%d" % (i, round_))
            for i, r in enumerate(reqs):
                self.assertEqual(zrecv(r), [b"req%d-%d" % (i, round_)], rep.describe())
        self.assertEqual(len(rep.read_lines(40)), 40)
        rep.terminate()

    def test_pipelined_dealer_requests_to_our_rep(self):
        """A libzmq DEALER sends 200 requests back to back without waiting: our REP answers
        each, in order, with its envelope."""
        rep, ep = self.zmtpcat_bind("tcp", "rep")
        dealer = self.zsock(zmq.DEALER)
        dealer.connect(ep)
        for i in range(200):
            dealer.send_multipart([b"", b"q%03d" % i])
        for i in range(200):
            self.assertEqual(zrecv(dealer), [b"", b"q%03d" % i], rep.describe())
        rep.terminate()

    def test_large_request_and_reply(self):
        """A 200 KiB two-frame request from a libzmq REQ is echoed whole by our REP, and
        our REQ gets a 300 KiB reply from a libzmq ROUTER."""
        rep, ep = self.zmtpcat_bind("tcp", "rep")
        req = self.zsock(zmq.REQ)
        req.connect(ep)
        big = [bytes(range(256)) * 800, b"tail"]
        big[0] = big[0].replace(b"\t", b"T").replace(b"\n", b"N")
        req.send_multipart(big)
        self.assertEqual(zrecv(req), big, rep.describe())
        self.assertEqual(rep.readline(timeout=WAIT), big[0] + b"\t" + big[1])
        rep.terminate()
        router = self.zsock(zmq.ROUTER)
        rep_ep = self.zbind(router, "ipc")
        ours = self.zmtpcat("req", "-c", rep_ep)
        ours.send_line("small")
        rid, empty, body = zrecv(router)
        self.assertEqual((empty, body), (b"", b"small"))
        router.send_multipart([rid, b"", b"r" * 300000])
        self.assertEqual(ours.readline(), b"r" * 300000, ours.describe())
        ours.close_stdin()
        self.assertExit(ours, 0)

    def test_our_req_does_not_deliver_reply_without_delimiter(self):
        """wire-notes S6/S7: a reply to REQ must start with the empty delimiter. A libzmq
        ROUTER answering [id, "nodelim"] must not have "nodelim" printed as the reply
        (libzmq drops the connection; dropping the message is fine too)."""
        router = self.zsock(zmq.ROUTER)
        ep = self.zbind(router, "tcp")
        req = self.zmtpcat("req", "-c", ep, "--identity", "rq")
        req.send_line("q")
        self.assertEqual(zrecv(router), [b"rq", b"", b"q"], req.describe())
        router.send_multipart([b"rq", b"nodelim"])
        self.assertIsNone(req.try_readline(0.3), "a reply without delimiter was delivered")
        self.assertTrue(req.alive(), req.describe())
        req.terminate()
