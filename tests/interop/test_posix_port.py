"""The POSIX port under connection pressure (issue 11 item 5): an accept storm against a
socket that has fewer peer slots than callers, and a process out of descriptors (EMFILE)
with a low RLIMIT_NOFILE set for zmtpcat alone. In both, connections that cannot be
served are closed at once (the caller sees end-of-file), the listener keeps working, the
loop does not spin, and a libzmq REQ is served before, during and after."""

import os
import socket
import time

import zmq

import helpers
from helpers import InteropCase, WAIT, Zmtpcat, environment

GREETING_FIRST = b"\xff"  # a ZMTP greeting's first byte (RFC 23/37 signature)

# Runs the command with RLIMIT_NOFILE $MZMTP_NOFILE (soft and hard), in that child only.
LIMIT_SCRIPT = """#!/bin/sh
ulimit -n "$MZMTP_NOFILE" || exit 97
real=$1
shift
exec "$real" "$@"
"""


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class PortPressure(InteropCase):

    def start_rep(self, nofile=None):
        args = ["rep", "-b", "tcp://127.0.0.1:0", "--print-endpoint", "--timeout", "20000"]
        if nofile is None:
            cat = self.zmtpcat(*args)
        else:
            wrapper = os.path.join(self.tmpdir(), "limit-run")
            with open(wrapper, "w") as f:
                f.write(LIMIT_SCRIPT)
            os.chmod(wrapper, 0o755)
            real = helpers.zmtpcat_path()
            with environment(MZMTP_ZMTPCAT=wrapper, MZMTP_NOFILE=str(nofile)):
                cat = Zmtpcat([real] + args)
            self._procs.append(cat)
        return cat, cat.endpoint()

    def req_round_trip(self, z, text, cat):
        z.send(text)
        self.assertTrue(z.poll(int(WAIT * 1000)), "no reply; " + cat.describe())
        self.assertEqual(z.recv(), text)

    def raw_clients(self, endpoint, n):
        host, port = endpoint[len("tcp://"):].rsplit(":", 1)
        clients = []
        for _ in range(n):
            s = socket.create_connection((host, int(port)), timeout=WAIT)
            self.addCleanup(s.close)
            clients.append(s)
        return clients

    def outcomes(self, clients, timeout=WAIT):
        """For each raw client: 'served' (a greeting came) or 'refused' (closed)."""
        result = []
        deadline = time.monotonic() + timeout
        for s in clients:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = s.recv(1)
            except ConnectionResetError:
                data = b""
            except socket.timeout:
                data = None
            result.append("served" if data == GREETING_FIRST else "refused" if data == b"" else "silent")
        return result

    def test_accept_storm_fills_the_socket_and_refuses_the_rest_cleanly(self):
        cat, ep = self.start_rep()
        z = self.track(self.zsock(zmq.REQ))
        z.connect(ep)
        self.req_round_trip(z, b"before", cat)
        clients = self.raw_clients(ep, 300)  # the host build has 32 peer slots per socket
        self.req_round_trip(z, b"during", cat)
        got = self.outcomes(clients)
        self.assertEqual(got.count("silent"), 0, "connections neither served nor closed")
        self.assertEqual(got.count("served"), 31, "slots: 32, one is the REQ's")
        self.assertEqual(got.count("refused"), 300 - 31)
        t0 = cpu_seconds(cat.pid)
        time.sleep(1.0)
        spent = cpu_seconds(cat.pid) - t0
        self.assertLess(spent, 0.2, "zmtpcat used %.2f s of CPU in 1 s while idle" % spent)
        for s in clients:
            s.close()
        z2 = self.track(self.zsock(zmq.REQ))
        z2.connect(ep)
        self.req_round_trip(z2, b"after", cat)
        self.req_round_trip(z, b"still", cat)

    def test_out_of_descriptors_neither_spins_nor_loses_the_listener(self):
        cat, ep = self.start_rep(nofile=16)
        z = self.track(self.zsock(zmq.REQ))
        z.connect(ep)
        self.req_round_trip(z, b"before", cat)
        clients = self.raw_clients(ep, 30)  # more than 16 descriptors can hold
        got = self.outcomes(clients)
        self.assertEqual(got.count("silent"), 0, "connections left hanging: %r; %s" % (got, cat.describe()))
        self.assertGreater(got.count("served"), 0)
        self.assertGreater(got.count("refused"), 0, "the limit was never reached")
        # More callers while every descriptor is taken: refused too, and no spinning.
        more = self.raw_clients(ep, 5)
        self.assertEqual(self.outcomes(more), ["refused"] * 5)
        t0 = cpu_seconds(cat.pid)
        time.sleep(1.0)
        spent = cpu_seconds(cat.pid) - t0
        self.assertLess(spent, 0.2, "zmtpcat used %.2f s of CPU in 1 s at EMFILE" % spent)
        self.assertTrue(cat.alive(), cat.describe())
        for s in clients + more:
            s.close()
        z2 = self.track(self.zsock(zmq.REQ))
        z2.connect(ep)
        self.req_round_trip(z2, b"after", cat)
        self.req_round_trip(z, b"still", cat)
