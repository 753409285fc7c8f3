"""PLAIN (RFC 24) between zmtpcat and libzmq, with libzmq's ZAP (RFC 27) on its side and
our authenticator (zmtpcat --plain-server USER:PASS) on ours; each side binding and
connecting, in the client and in the server role:

- good credentials: every message arrives (frames of 0, 255, 256 and 70000 bytes), over
  PUSH/PULL, PUB/SUB (subscriptions after a PLAIN handshake), REQ/REP and DEALER/ROUTER;
- a refused client gets nothing through; our refused client exits 1 with one line on
  stderr and prints nothing (libzmq's server refuses with a mis-encoded ERROR, wire-notes
  P4); libzmq's refused client leaves our server silent, and the next, good one passes.
"""

import zmq
from zmq.auth.thread import ThreadAuthenticator

from helpers import (InteropCase, add_matrix, assert_our_dealer_round_trip,
                     assert_our_pull_prints, assert_our_push_delivers, assert_our_rep_answers,
                     assert_our_server_refuses, assert_our_sub_gets_its_topic,
                     refused_client_said, zrecv_none)

USER, PASS = "admin", "s3cret:with:colons"
FRAMES = [b"", b"a" * 255, b"b" * 256, b"c" * 70000]


class PlainCase(InteropCase):

    def zap(self, passwords):
        """libzmq's side: a ZAP handler allowing exactly @passwords."""
        auth = ThreadAuthenticator(self.ctx)
        auth.start()
        auth.configure_plain(domain="*", passwords=passwords)
        self.addCleanup(auth.stop)
        return auth

    def libzmq_server(self, kind):
        s = self.zsock(kind)
        s.plain_server = True
        return s

    def libzmq_client(self, kind, password=PASS):
        s = self.zsock(kind)
        s.plain_username = USER.encode()
        s.plain_password = password.encode()
        return s



class PlainMatrix(PlainCase):

    def our_client_push(self, transport, ours_binds):
        self.zap({USER: PASS})
        pull = self.libzmq_server(zmq.PULL)
        push = self.place(pull, transport, ours_binds, "push", "--hex",
                          "--plain-user", USER, "--plain-pass", PASS)
        assert_our_push_delivers(self, push, pull, FRAMES)

    def our_client_refused(self, transport, ours_binds):
        self.zap({USER: PASS})
        pull = self.libzmq_server(zmq.PULL)
        push = self.place(pull, transport, ours_binds, "push",
                          "--plain-user", USER, "--plain-pass", "wrong")
        self.assertEqual(refused_client_said(self, push), ["zmtpcat: authentication failed (MZMTP_ERR_AUTH)"])
        zrecv_none(pull, 0.3)

    def our_server_pull(self, transport, ours_binds):
        push = self.libzmq_client(zmq.PUSH)
        pull = self.place(push, transport, ours_binds, "pull", "--hex", "-n", "2",
                          "--plain-server", "other:pw", "--plain-server=%s:%s" % (USER, PASS))
        assert_our_pull_prints(self, push, pull, FRAMES)

    def our_server_refuses(self, transport, ours_binds):
        bad = self.libzmq_client(zmq.PUSH, password="wrong")
        pull = self.place(bad, transport, ours_binds, "pull", "-v", "-n", "1",
                          "--plain-server", "%s:%s" % (USER, PASS))
        assert_our_server_refuses(self, bad, pull, ours_binds,
                                  lambda: self.libzmq_client(zmq.PUSH))

    def our_sub_client(self, transport, ours_binds):
        self.zap({USER: PASS})
        pub = self.libzmq_server(zmq.PUB)
        sub = self.place(pub, transport, ours_binds, "sub", "-s", "t.", "-n", "2",
                         "--plain-user", USER, "--plain-pass", PASS)
        # The subscription travels after the PLAIN handshake; publish until it is seen.
        assert_our_sub_gets_its_topic(self, pub, sub)

    def our_rep_server(self, transport, ours_binds):
        req = self.libzmq_client(zmq.REQ)
        rep = self.place(req, transport, ours_binds, "rep", "-n", "2",
                         "--plain-server", "%s:%s" % (USER, PASS))
        assert_our_rep_answers(self, req, rep)

    def our_dealer_client(self, transport, ours_binds):
        self.zap({USER: PASS})
        router = self.libzmq_server(zmq.ROUTER)
        dealer = self.place(router, transport, ours_binds, "dealer", "--identity", "d1",
                            "-n", "1", "--plain-user", USER, "--plain-pass", PASS)
        assert_our_dealer_round_trip(self, router, dealer)


add_matrix(PlainMatrix, [
    ("our_client_push", "our PLAIN PUSH client -> libzmq PULL server", PlainMatrix.our_client_push),
    ("our_client_refused", "our PLAIN client with a wrong password", PlainMatrix.our_client_refused),
    ("our_server_pull", "libzmq PLAIN PUSH client -> our PULL server", PlainMatrix.our_server_pull),
    ("our_server_refuses", "libzmq client refused by our server, then a good one",
     PlainMatrix.our_server_refuses),
    ("our_sub_client", "our PLAIN SUB client <- libzmq PUB server", PlainMatrix.our_sub_client),
    ("our_rep_server", "libzmq PLAIN REQ client -> our REP server", PlainMatrix.our_rep_server),
    ("our_dealer_client", "our PLAIN DEALER client <-> libzmq ROUTER server",
     PlainMatrix.our_dealer_client),
], ("tcp",))
