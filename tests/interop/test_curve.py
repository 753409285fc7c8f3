"""CURVE (RFC 25/26) between zmtpcat and libzmq 4.3.4, with libzmq's ZAP (pyzmq's
ThreadAuthenticator) on its side and our authenticator (zmtpcat --curve-allow) on ours;
each side binding and connecting, in the client and in the server role:

- allowed peers: every message arrives, frames of 0, 255, 256, 70000 bytes and 1 MiB in
  both directions (PUSH/PULL), over PUB/SUB (the subscription travels inside MESSAGE,
  wire-notes C7), REQ/REP and DEALER/ROUTER;
- allow lists and denials both ways: libzmq's ZAP refusing our key (our client exits 1
  with one line, prints and delivers nothing), our --curve-allow refusing libzmq's key
  (nothing delivered or printed; a good client then passes);
- the wrong server key both ways: a libzmq client fails and delivers nothing; our client
  exits 1 (libzmq closes without ERROR when it cannot open our HELLO, wire-notes C17);
- zmtpcat's own parts: keygen, a client with a fresh key pair, key and option errors, and
  a frame larger than the receive buffer minus 40 bytes refused (MZMTP_ERR_MSG_SIZE),
  never delivered.

A zmtpcat built without CURVE (MZMTP_CONF_CURVE=0) makes every test here a skip, which
run.py reports as such (never as a pass).
"""

import subprocess
import unittest

import zmq
from zmq.auth.thread import ThreadAuthenticator

from helpers import (InteropCase, add_matrix, assert_our_dealer_round_trip,
                     assert_our_pull_prints, assert_our_push_delivers, assert_our_rep_answers,
                     assert_our_server_refuses, assert_our_sub_gets_its_topic,
                     refused_client_said, wait_stderr, zmtpcat_path, zrecv, zrecv_none)

# libzmq's test keys (doc/zmq_curve.txt; wire-notes C13).
CLIENT_PUBLIC = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
CLIENT_SECRET = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"
SERVER_PUBLIC = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
SERVER_SECRET = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
# A third pair, made once per run: a key nobody allows, a server nobody knows.
OTHER_PUBLIC, OTHER_SECRET = (k.decode() for k in zmq.curve_keypair())

FRAMES = [b"", b"a" * 255, b"b" * 256, b"c" * 70000, bytes(range(256)) * 4096]  # last: 1 MiB
BIG_WAIT = 20.0  # 1 MiB as hex through pipes, on a shared machine


def built_with_curve():
    """zmtpcat keygen exits 0 only when the build has CURVE."""
    r = subprocess.run([zmtpcat_path(), "keygen"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=10)
    return r.returncode == 0


class AllowList:
    """A pyzmq credentials provider (ThreadAuthenticator.configure_curve_callback)."""

    def __init__(self, keys):
        self.keys = {k.encode() for k in keys}
        self.asked = []

    def callback(self, domain, key):
        self.asked.append(key)
        return key in self.keys


class CurveCase(InteropCase):

    @classmethod
    def setUpClass(cls):
        if not built_with_curve():
            raise unittest.SkipTest("this zmtpcat is built without CURVE (MZMTP_CONF_CURVE=0)")

    def zap(self, allowed):
        """libzmq's ZAP: accept exactly @allowed (Z85 public keys). @return the provider."""
        auth = ThreadAuthenticator(self.ctx)
        auth.start()
        self.addCleanup(auth.stop)
        provider = AllowList(allowed)
        auth.configure_curve_callback(domain="*", credentials_provider=provider)
        return provider

    def libzmq_server(self, kind, secret=SERVER_SECRET):
        s = self.zsock(kind)
        s.curve_server = True
        s.curve_secretkey = secret.encode()
        return s

    def libzmq_client(self, kind, server_public=SERVER_PUBLIC, public=CLIENT_PUBLIC,
                      secret=CLIENT_SECRET):
        s = self.zsock(kind)
        s.curve_serverkey = server_public.encode()
        s.curve_publickey = public.encode()
        s.curve_secretkey = secret.encode()
        return s


# Our client options and our server options, in --opt=VALUE form (Z85 may begin with '-').
OUR_CLIENT = ("--curve-client=" + SERVER_PUBLIC, "--curve-secret=" + CLIENT_SECRET)
OUR_SERVER = ("--curve-server=" + SERVER_SECRET,)


class CurveMatrix(CurveCase):

    # ---- PUSH/PULL: every frame size, both directions, both roles ----
    def our_client_push(self, transport, ours_binds):
        asked = self.zap([CLIENT_PUBLIC])
        pull = self.libzmq_server(zmq.PULL)
        push = self.place(pull, transport, ours_binds, "push", "--hex", *OUR_CLIENT)
        assert_our_push_delivers(self, push, pull, FRAMES, BIG_WAIT)
        self.assertIn(CLIENT_PUBLIC.encode(), asked.asked)

    def our_client_pull(self, transport, ours_binds):
        self.zap([CLIENT_PUBLIC])
        push = self.libzmq_server(zmq.PUSH)
        pull = self.place(push, transport, ours_binds, "pull", "--hex", "-n", "2", *OUR_CLIENT)
        assert_our_pull_prints(self, push, pull, FRAMES, BIG_WAIT)

    def our_server_pull(self, transport, ours_binds):
        push = self.libzmq_client(zmq.PUSH)
        pull = self.place(push, transport, ours_binds, "pull", "--hex", "-n", "2", *OUR_SERVER)
        assert_our_pull_prints(self, push, pull, FRAMES, BIG_WAIT)

    def our_server_push(self, transport, ours_binds):
        pull = self.libzmq_client(zmq.PULL)
        push = self.place(pull, transport, ours_binds, "push", "--hex", "--wait-peers", "1",
                          *OUR_SERVER)
        assert_our_push_delivers(self, push, pull, FRAMES, BIG_WAIT)

    # ---- PUB/SUB: subscriptions inside MESSAGE ----
    def our_pub_server(self, transport, ours_binds):
        sub = self.libzmq_client(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"t.")
        pub = self.place(sub, transport, ours_binds, "pub", "--wait-peers", "1", *OUR_SERVER)
        # --wait-peers counts subscribed peers on a PUB: the first line goes out only once
        # the SUBSCRIBE, boxed in a MESSAGE, has been opened and applied.
        pub.send_lines([b"x.skip\tno", b"t.yes\t1", b"t.big\t" + b"z" * 70000])
        pub.close_stdin()
        self.assertEqual(zrecv(sub), [b"t.yes", b"1"], pub.describe())
        self.assertEqual(zrecv(sub), [b"t.big", b"z" * 70000])
        self.assertExit(pub, 0)

    def our_sub_client(self, transport, ours_binds):
        self.zap([CLIENT_PUBLIC])
        pub = self.libzmq_server(zmq.PUB)
        sub = self.place(pub, transport, ours_binds, "sub", "-s", "t.", "-n", "2", *OUR_CLIENT)
        assert_our_sub_gets_its_topic(self, pub, sub)

    # ---- REQ/REP ----
    def our_rep_server(self, transport, ours_binds):
        req = self.libzmq_client(zmq.REQ)
        rep = self.place(req, transport, ours_binds, "rep", "-n", "2", *OUR_SERVER)
        assert_our_rep_answers(self, req, rep)

    def our_req_client(self, transport, ours_binds):
        self.zap([CLIENT_PUBLIC])
        rep = self.libzmq_server(zmq.REP)
        req = self.place(rep, transport, ours_binds, "req", "-n", "1", *OUR_CLIENT)
        req.send_line(b"question")
        self.assertEqual(zrecv(rep), [b"question"])
        rep.send(b"answer")
        self.assertEqual(req.read_lines(1), [b"answer"])
        self.assertExit(req, 0)

    # ---- DEALER/ROUTER ----
    def our_dealer_client(self, transport, ours_binds):
        self.zap([CLIENT_PUBLIC])
        router = self.libzmq_server(zmq.ROUTER)
        dealer = self.place(router, transport, ours_binds, "dealer", "--identity", "d1",
                            "-n", "1", *OUR_CLIENT)
        assert_our_dealer_round_trip(self, router, dealer)

    def our_router_server(self, transport, ours_binds):
        dealer = self.libzmq_client(zmq.DEALER)
        dealer.setsockopt(zmq.ROUTING_ID, b"lz")
        # No -n: with -n 1 a router leaves as soon as it has received, before it answers;
        # it exits at stdin EOF once the reply is written.
        router = self.place(dealer, transport, ours_binds, "router", *OUR_SERVER)
        dealer.send(b"hello")
        self.assertEqual(router.read_lines(1), [b"6c7a\thello"])  # the id, in hex
        router.send_line(b"6c7a\tworld")
        self.assertEqual(zrecv(dealer), [b"world"])
        router.close_stdin()
        self.assertExit(router, 0)

    # ---- allow lists and denials ----
    def our_server_allow_list(self, transport, ours_binds):
        push = self.libzmq_client(zmq.PUSH)
        pull = self.place(push, transport, ours_binds, "pull", "-n", "1", *OUR_SERVER,
                          "--curve-allow=" + OTHER_PUBLIC, "--curve-allow=" + CLIENT_PUBLIC)
        push.send(b"allowed")
        self.assertEqual(pull.read_lines(1), [b"allowed"])
        self.assertExit(pull, 0)

    def our_server_refuses(self, transport, ours_binds):
        bad = self.libzmq_client(zmq.PUSH)  # CLIENT_PUBLIC, not on the list
        pull = self.place(bad, transport, ours_binds, "pull", "-v", "-n", "1", *OUR_SERVER,
                          "--curve-allow=" + OTHER_PUBLIC)
        assert_our_server_refuses(
            self, bad, pull, ours_binds,
            lambda: self.libzmq_client(zmq.PUSH, public=OTHER_PUBLIC, secret=OTHER_SECRET))

    def libzmq_refuses_our_key(self, transport, ours_binds):
        self.zap([OTHER_PUBLIC])
        pull = self.libzmq_server(zmq.PULL)
        push = self.place(pull, transport, ours_binds, "push", *OUR_CLIENT)
        said = refused_client_said(self, push)
        self.assertEqual(len(said), 1, push.describe())
        self.assertRegex(said[0], r"^zmtpcat: authentication failed \(MZMTP_ERR_\w+\)$")
        self.assertIsNone(push.try_readline(0.1), "our refused client printed something")
        zrecv_none(pull, 0.3)

    def libzmq_refuses_our_key_timeout(self, transport, ours_binds):
        """With --timeout too, a refusal is known at once: exit 1, not 3."""
        self.zap([OTHER_PUBLIC])
        sub = self.libzmq_server(zmq.PUB)
        ours = self.place(sub, transport, ours_binds, "sub", "--timeout", "3000", *OUR_CLIENT)
        self.assertExit(ours, 1)
        self.assertIn("zmtpcat: authentication failed", ours.stderr_text())

    # ---- wrong server key ----
    def libzmq_client_wrong_server_key(self, transport, ours_binds):
        bad = self.libzmq_client(zmq.PUSH, server_public=OTHER_PUBLIC)
        pull = self.place(bad, transport, ours_binds, "pull", "-v", *OUR_SERVER)
        try:
            bad.send(b"must not arrive", zmq.DONTWAIT)
        except zmq.Again:
            pass
        # Our server cannot open the HELLO box (it was made for another server key).
        wait_stderr(pull, r"handshake-failed peer \d+ \(MZMTP_ERR_\w+\)")
        self.assertIsNone(pull.try_readline(0.5), "a message through a wrong key was printed")
        self.assertTrue(pull.alive(), pull.describe())  # a server keeps serving

    def our_client_wrong_server_key(self, transport, ours_binds):
        pull = self.libzmq_server(zmq.PULL)  # no ZAP: any client key would do
        push = self.place(pull, transport, ours_binds, "push",
                          "--curve-client=" + OTHER_PUBLIC, "--curve-secret=" + CLIENT_SECRET)
        said = refused_client_said(self, push)
        self.assertEqual(len(said), 1, push.describe())
        self.assertRegex(said[0], r"^zmtpcat: authentication failed \(MZMTP_ERR_\w+\)$")
        zrecv_none(pull, 0.3)

    # ---- a client with a fresh key pair (no --curve-secret) ----
    def our_client_fresh_key(self, transport, ours_binds):
        asked = self.zap([])  # refuse all, but record the key our client offers
        pull = self.libzmq_server(zmq.PULL)
        push = self.place(pull, transport, ours_binds, "push", "--curve-client=" + SERVER_PUBLIC)
        push.send_line(b"x")
        self.assertExit(push, 1)
        self.assertEqual(len(asked.asked), 1)
        offered = asked.asked[0]
        self.assertEqual(len(offered), 40)
        self.assertNotIn(offered, (CLIENT_PUBLIC.encode(), SERVER_PUBLIC.encode()))

    def our_client_fresh_key_no_zap(self, transport, ours_binds):
        """wire-notes C10: a libzmq server without ZAP takes any key, a fresh one too."""
        pull = self.libzmq_server(zmq.PULL)
        push = self.place(pull, transport, ours_binds, "push", "--curve-client=" + SERVER_PUBLIC)
        push.send_line(b"from a fresh key")
        push.close_stdin()
        self.assertEqual(zrecv(pull), [b"from a fresh key"], push.describe())
        self.assertExit(push, 0)


add_matrix(CurveMatrix, [
    ("our_client_push", "our CURVE PUSH client -> libzmq PULL server, 0 B..1 MiB",
     CurveMatrix.our_client_push),
    ("our_client_pull", "libzmq PUSH server -> our CURVE PULL client, 0 B..1 MiB",
     CurveMatrix.our_client_pull),
    ("our_server_pull", "libzmq CURVE PUSH client -> our PULL server, 0 B..1 MiB",
     CurveMatrix.our_server_pull),
    ("our_server_push", "our PUSH server -> libzmq CURVE PULL client, 0 B..1 MiB",
     CurveMatrix.our_server_push),
    ("our_pub_server", "our PUB server -> libzmq CURVE SUB client (SUBSCRIBE in MESSAGE)",
     CurveMatrix.our_pub_server),
    ("our_sub_client", "our CURVE SUB client <- libzmq PUB server", CurveMatrix.our_sub_client),
    ("our_rep_server", "libzmq CURVE REQ client -> our REP server", CurveMatrix.our_rep_server),
    ("our_req_client", "our CURVE REQ client -> libzmq REP server", CurveMatrix.our_req_client),
    ("our_dealer_client", "our CURVE DEALER client <-> libzmq ROUTER server",
     CurveMatrix.our_dealer_client),
    ("our_router_server", "libzmq CURVE DEALER client <-> our ROUTER server",
     CurveMatrix.our_router_server),
    ("our_server_allow_list", "our --curve-allow lets a listed libzmq client in",
     CurveMatrix.our_server_allow_list),
    ("our_server_refuses", "our --curve-allow refuses libzmq's key, then a good one passes",
     CurveMatrix.our_server_refuses),
    ("libzmq_refuses_our_key", "libzmq's ZAP refuses our key: we exit 1, nothing delivered",
     CurveMatrix.libzmq_refuses_our_key),
    ("libzmq_refuses_our_key_timeout", "libzmq's ZAP refuses our key, --timeout given: exit 1",
     CurveMatrix.libzmq_refuses_our_key_timeout),
    ("libzmq_client_wrong_server_key", "a libzmq client with the wrong server key: nothing delivered",
     CurveMatrix.libzmq_client_wrong_server_key),
    ("our_client_wrong_server_key", "our client with the wrong server key exits 1",
     CurveMatrix.our_client_wrong_server_key),
    ("our_client_fresh_key", "our client without --curve-secret offers a fresh key",
     CurveMatrix.our_client_fresh_key),
    ("our_client_fresh_key_no_zap", "our fresh-key client, libzmq without ZAP: delivered",
     CurveMatrix.our_client_fresh_key_no_zap),
], ("tcp",))


class CurveTool(CurveCase):
    """zmtpcat's CURVE parts that need no matrix."""

    def test_keygen_prints_a_working_pair(self):
        r = subprocess.run([zmtpcat_path(), "keygen"], capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 2, r.stdout)
        public, secret = lines
        self.assertEqual((len(public), len(secret)), (40, 40))
        self.assertEqual(zmq.curve_public(secret.encode()), public.encode())
        again = subprocess.run([zmtpcat_path(), "keygen"], capture_output=True, timeout=10)
        self.assertNotEqual(again.stdout, r.stdout, "two keygen runs gave the same pair")
        # The pair works as a server's: libzmq connects with its public key.
        push = self.libzmq_client(zmq.PUSH, server_public=public)
        pull, ep = self.zmtpcat_bind("tcp", "pull", "-n", "1", "--curve-server=" + secret)
        push.connect(ep)
        push.send(b"through a generated key")
        self.assertEqual(pull.read_lines(1), [b"through a generated key"])
        self.assertExit(pull, 0)

    def test_key_and_option_errors_are_usage_errors(self):
        bad = [
            ["--curve-server=" + SERVER_SECRET[:39]],                   # 39 characters
            ["--curve-server=" + SERVER_SECRET[:39] + "\""],            # outside the alphabet
            ["--curve-client=" + SERVER_PUBLIC, "--curve-server=" + SERVER_SECRET],
            ["--curve-allow=" + CLIENT_PUBLIC],                         # allow without server
            ["--curve-secret=" + CLIENT_SECRET],                        # secret without client
            ["--curve-server=" + SERVER_SECRET, "--plain-server", "u:p"],
            ["--curve-server=" + SERVER_SECRET, "--rcvbuf", "10"],      # below the minimum
        ]
        for extra in bad:
            r = subprocess.run([zmtpcat_path(), "pull", "-c", "tcp://127.0.0.1:1"] + extra,
                               capture_output=True, timeout=10)
            self.assertEqual(r.returncode, 2, (extra, r.stderr))
            self.assertEqual(r.stdout, b"")
        r = subprocess.run([zmtpcat_path(), "keygen", "extra"], capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 2, r.stderr)

    def test_key_in_next_argument_form(self):
        """A key that does not begin with '-' may also follow its option."""
        push = self.libzmq_client(zmq.PUSH)
        pull, ep = self.zmtpcat_bind("tcp", "pull", "-n", "1", "--curve-server", SERVER_SECRET)
        push.connect(ep)
        push.send(b"ok")
        self.assertEqual(pull.read_lines(1), [b"ok"])
        self.assertExit(pull, 0)

    def test_frame_over_receive_buffer_is_refused(self):
        """A CURVE frame must fit the receive buffer minus 40 bytes; a larger one closes the
        connection with MZMTP_ERR_MSG_SIZE and is never delivered, not even in part."""
        push = self.libzmq_client(zmq.PUSH)
        pull, ep = self.zmtpcat_bind("tcp", "pull", "-v", "--rcvbuf", "4096", *OUR_SERVER)
        push.connect(ep)
        push.send(b"s" * 2000)  # fits, with its MESSAGE overhead (33 bytes) and header
        self.assertEqual(pull.read_lines(1), [b"s" * 2000])
        push.send(b"L" * 8192)
        wait_stderr(pull, r"disconnected peer \d+ \(MZMTP_ERR_MSG_SIZE\)")
        self.assertIsNone(pull.try_readline(0.3), "part of a refused frame was printed")
