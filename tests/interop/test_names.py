"""Host names in tcp:// endpoints (the POSIX port; issue 13 item 9): every address a name
resolves to is tried, resolution does not stall the loop, reconnects resolve again.

zmtpcat runs in a private mount namespace (``unshare -m``) where a hosts file of the test's
own is bind-mounted over /etc/hosts (and ``hosts: files`` over /etc/nsswitch.conf, so no
lookup ever leaves the machine); the machine's own files are never touched. libzmq peers
run in this process and bind numeric loopback addresses only. Creating the namespace needs
root (CI runs as root): if it cannot be created, every test here FAILS and says so.

Debian's stock hosts file maps localhost to 127.0.0.1 and to ::1. glibc's getaddrinfo()
sorts the answer by RFC 6724 (::1 first, whatever the file order) unless /etc/gai.conf
says otherwise; the tests check the order they rely on with getent inside the namespace
and also mount a gai.conf preferring IPv4, so both orders of the answer are exercised.
"""

import errno
import os
import socket
import subprocess
import time

import zmq

import helpers
from helpers import InteropCase, WAIT, Zmtpcat, environment, have_ipv6_loopback

DEBIAN_V4_FIRST = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
DEBIAN_V6_FIRST = "::1\tlocalhost ip6-localhost ip6-loopback\n127.0.0.1\tlocalhost\n"
NSSWITCH = "hosts: files\n"
GAI_PREFER_V4 = "precedence ::ffff:0:0/96 100\n"

# Mounts the pairs in $MZMTP_NS_MOUNTS (SRC=DST ...) in a new mount namespace, then runs
# the command; exit 97 when a mount fails (unshare itself says why when it fails).
NS_SCRIPT = r'''#!/bin/sh
exec unshare -m --propagation private -- sh -c '
for m in $MZMTP_NS_MOUNTS; do
    mount --bind "${m%%=*}" "${m#*=}" || { echo "namespace: cannot mount ${m%%=*} on ${m#*=}" >&2; exit 97; }
done
exec "$0" "$@"' "$@"
'''


def ns_available():
    """None when a private mount namespace can be made here, else why not."""
    try:
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "--", "sh", "-c",
                            "mount --bind /dev/null /dev/null"],
                           capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    return None if r.returncode == 0 else r.stderr.decode(errors="replace").strip() or "rc %d" % r.returncode


class NsZmtpcat(Zmtpcat):
    """zmtpcat seeing ``mounts`` ({path_in_namespace: our_file}) instead of the machine's."""

    def __init__(self, wrapper, mounts, args, stdin=True):
        real = helpers.zmtpcat_path()
        with environment(MZMTP_ZMTPCAT=wrapper, MZMTP_NS_MOUNTS=" ".join(
                "%s=%s" % (src, dst) for dst, src in mounts.items())):
            super().__init__([real] + list(args), stdin=stdin)


class NamesCase(InteropCase):

    def setUp(self):
        super().setUp()
        why = ns_available()
        if why is not None:
            self.fail("cannot create a private mount namespace for the hosts file "
                      "(these tests need root, as in CI): %s" % why)
        self.dir = self.tmpdir()
        self.wrapper = os.path.join(self.dir, "ns-run")
        with open(self.wrapper, "w") as f:
            f.write(NS_SCRIPT)
        os.chmod(self.wrapper, 0o755)

    def file(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def mounts(self, hosts, prefer_v4=False):
        m = {"/etc/hosts": hosts if hosts.startswith("/") else self.file("hosts", hosts),
             "/etc/nsswitch.conf": self.file("nsswitch.conf", NSSWITCH)}
        m["/etc/gai.conf"] = self.file("gai.conf", GAI_PREFER_V4 if prefer_v4 else "")
        return m

    def ns_cat(self, mounts, *args, stdin=True):
        p = NsZmtpcat(self.wrapper, mounts, args, stdin=stdin)
        self._procs.append(p)
        return p

    def resolved_order(self, mounts, name):
        """The addresses getaddrinfo gives for ``name`` inside such a namespace (getent)."""
        env = dict(os.environ, MZMTP_NS_MOUNTS=" ".join("%s=%s" % (s, d) for d, s in mounts.items()))
        r = subprocess.run([self.wrapper, "getent", "ahosts", name],
                           capture_output=True, timeout=10, env=env)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        order = []
        for line in r.stdout.decode().splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[1] == "STREAM" and parts[0] not in order:
                order.append(parts[0])
        return order

    def rep(self, ipv6=False):
        """A libzmq REP bound to one numeric loopback address; its port."""
        z = self.track(self.zsock(zmq.REP, ipv6=ipv6))
        z.bind("tcp://[::1]:*" if ipv6 else "tcp://127.0.0.1:*")
        return z, int(z.getsockopt(zmq.LAST_ENDPOINT).decode().rsplit(":", 1)[1])

    def rep_beside(self, first, addr):
        """A libzmq REP bound to @addr on the port of another listener: first() opens that
        listener and returns (it, its port). Tried with new ones while the port is taken at
        @addr. @return (the listener, the REP, the port)."""
        for _ in range(5):
            held, port = first()
            z = self.track(self.zsock(zmq.REP))
            try:
                z.bind("tcp://%s:%d" % (addr, port))
                return held, z, port
            except zmq.ZMQError:
                held.close()
                z.close()
        self.fail("no port free both at %s and for the first listener" % addr)

    def round_trip(self, z, cat, text):
        cat.send_line(text)
        self.assertTrue(z.poll(int(WAIT * 1000)), "the REP got no request; " + cat.describe())
        self.assertEqual(z.recv(), text.encode())
        z.send(b"re:" + text.encode())
        self.assertEqual(cat.readline(), b"re:" + text.encode())

    # -- every address, in both orders ---------------------------------------------------

    def check_localhost(self, hosts, prefer_v4, rep_ipv6, expect_first):
        if rep_ipv6 and not have_ipv6_loopback():
            self.fail("no IPv6 loopback on this machine: cannot test an IPv6-only REP")
        m = self.mounts(hosts, prefer_v4)
        order = self.resolved_order(m, "localhost")
        self.assertEqual(order[0], expect_first, "getaddrinfo order in the namespace: %r" % order)
        self.assertEqual(sorted(order), ["127.0.0.1", "::1"])
        z, port = self.rep(ipv6=rep_ipv6)
        cat = self.ns_cat(m, "req", "-c", "tcp://localhost:%d" % port, "--timeout", "5000")
        self.round_trip(z, cat, "hello")
        self.round_trip(z, cat, "again")

    def test_localhost_v6_answer_first_reaches_ipv4_only_rep(self):
        # The newcomer's case: ::1 refuses, 127.0.0.1 answers.
        self.check_localhost(DEBIAN_V6_FIRST, False, False, "::1")

    def test_localhost_debian_file_order_reaches_ipv4_only_rep(self):
        self.check_localhost(DEBIAN_V4_FIRST, False, False, "::1")

    def test_localhost_v4_answer_first_reaches_ipv4_only_rep(self):
        self.check_localhost(DEBIAN_V4_FIRST, True, False, "127.0.0.1")

    def test_localhost_v4_answer_first_reaches_ipv6_only_rep(self):
        # 127.0.0.1 refuses, ::1 answers (libzmq bound tcp://[::1] with ZMQ_IPV6).
        self.check_localhost(DEBIAN_V4_FIRST, True, True, "127.0.0.1")

    def test_localhost_v6_answer_first_reaches_ipv6_only_rep(self):
        self.check_localhost(DEBIAN_V6_FIRST, False, True, "::1")

    # -- names that do not resolve, or resolve slowly ------------------------------------

    def test_name_that_resolves_to_nothing_keeps_retrying_and_blocks_nothing(self):
        # A SUB connected to a name with no address and to a live PUB: the PUB's messages
        # arrive while the name fails round after round; zmtpcat does not give up or die.
        m = self.mounts(DEBIAN_V6_FIRST)
        self.assertEqual(self.resolved_order(m, "localhost")[0], "::1")
        pub = self.track(self.zsock(zmq.PUB))
        pub.bind("tcp://127.0.0.1:*")
        ep = pub.getsockopt(zmq.LAST_ENDPOINT).decode()
        cat = self.ns_cat(m, "sub", "-c", "tcp://nothing.invalid:5555", "-c", ep,
                          "--timeout", "5000", stdin=False)
        deadline = time.monotonic() + WAIT
        got = None
        while got is None and time.monotonic() < deadline:
            pub.send(b"tick")
            got = cat.try_readline(0.1)
        self.assertEqual(got, b"tick", cat.describe())
        time.sleep(0.5)  # several reconnect rounds of the unresolvable name
        pub.send(b"still")
        line = cat.readline()
        while line == b"tick":
            line = cat.readline()
        self.assertEqual(line, b"still")
        self.assertTrue(cat.alive(), cat.describe())

    def test_slow_name_does_not_stall_other_connections_and_connects_when_resolved(self):
        # zmtpcat runs with a getaddrinfo() shim (tests/posix/slow_gai.c, LD_PRELOAD) that
        # holds "localhost.slow" until the test creates a file: the name takes as long to
        # resolve as the test wants (2 s here). Meanwhile a numeric endpoint of the same
        # socket keeps delivering every 50 ms; then the name resolves (as localhost, ::1
        # first) and its PUB's messages arrive too.
        shim = os.path.join(os.path.dirname(os.path.abspath(helpers.zmtpcat_path())),
                            "libmzmtp_slow_gai.so")
        self.assertTrue(os.path.exists(shim), "the getaddrinfo shim is not built: " + shim)
        release = os.path.join(self.dir, "release")
        m = self.mounts(DEBIAN_V6_FIRST)
        pub_a = self.track(self.zsock(zmq.PUB))
        pub_a.bind("tcp://127.0.0.1:*")
        pub_b = self.track(self.zsock(zmq.PUB))
        pub_b.bind("tcp://127.0.0.1:*")
        port_b = int(pub_b.getsockopt(zmq.LAST_ENDPOINT).decode().rsplit(":", 1)[1])
        # A sanitizer build of zmtpcat wants its runtime first among the libraries; the
        # shim is preloaded before it, which is harmless here.
        asan = ":".join(x for x in (os.environ.get("ASAN_OPTIONS"), "verify_asan_link_order=0") if x)
        with environment(LD_PRELOAD=shim, MZMTP_SLOW_GAI_RELEASE=release, ASAN_OPTIONS=asan):
            cat = self.ns_cat(m, "sub", "-c", "tcp://localhost.slow:%d" % port_b,
                              "-c", pub_a.getsockopt(zmq.LAST_ENDPOINT).decode(),
                              "--timeout", "10000", stdin=False)
        # pub_a's messages, one every 50 ms, for 2 s while the name's lookup is held.
        n = 0
        gaps = []
        last = None
        t_end = time.monotonic() + WAIT
        t_first = None
        while time.monotonic() < t_end and (t_first is None or time.monotonic() - t_first < 2.0):
            pub_a.send(b"a%d" % n)
            line = cat.try_readline(0.05)
            if line is not None and line.startswith(b"a"):
                now = time.monotonic()
                if last is None:
                    t_first = now
                else:
                    gaps.append(now - last)
                last = now
                n += 1
        self.assertGreater(n, 20, "pub_a's messages stopped while the name resolved; " + cat.describe())
        self.assertLess(max(gaps), 0.5, "the loop stalled (largest gap between messages)")
        # Nothing but pub_a's yet: the name's PUB cannot be reached before the release. (A
        # late copy of pub_a's last message may still be in the pipe: the loop sends
        # again whenever a read times out.)
        line = cat.try_readline(0.0)
        while line is not None:
            self.assertTrue(line.startswith(b"a"), "%r before the name resolved" % line)
            line = cat.try_readline(0.0)
        open(release, "w").close()  # the lookup now completes; the SUB connects to pub_b
        deadline = time.monotonic() + WAIT
        got = None
        while got is None and time.monotonic() < deadline:
            pub_b.send(b"b")
            line = cat.try_readline(0.1)
            if line == b"b":
                got = line
        self.assertEqual(got, b"b", "no message from the name's PUB once resolved; " + cat.describe())

    # -- reconnects resolve again --------------------------------------------------------

    def test_reconnect_resolves_the_name_again(self):
        # name.test first maps to 127.0.0.1, where REP A is; A goes away and the hosts file
        # now maps the name to 127.0.0.2, where REP B listens on the same port.
        z_a, z_b, port = self.rep_beside(self.rep, "127.0.0.2")
        hosts = self.file("hosts", "127.0.0.1\tname.test\n")
        m = self.mounts(hosts)
        cat = self.ns_cat(m, "req", "-c", "tcp://name.test:%d" % port, "--timeout", "8000")
        self.round_trip(z_a, cat, "one")
        with open(hosts, "r+") as f:  # in place: the bind mount follows the inode
            f.write("127.0.0.2\tname.test\n")
            f.truncate()
        z_a.close(linger=0)
        # A request written before zmtpcat saw A's close would be lost with that connection
        # (as with libzmq's REQ): give it a moment to see it.
        time.sleep(0.5)
        self.round_trip(z_b, cat, "two")

    # -- bind ----------------------------------------------------------------------------

    def test_bind_localhost_binds_its_first_ipv4_address(self):
        m = self.mounts(DEBIAN_V6_FIRST)
        cat = self.ns_cat(m, "rep", "-b", "tcp://localhost:0", "--print-endpoint", "--timeout", "5000")
        ep = cat.endpoint()
        self.assertTrue(ep.startswith("tcp://127.0.0.1:"), ep)
        z = self.track(self.zsock(zmq.REQ))
        z.connect(ep)
        z.send(b"ping")
        self.assertTrue(z.poll(int(WAIT * 1000)), cat.describe())
        self.assertEqual(z.recv(), b"ping")

    def test_libzmq_refuses_to_bind_a_host_name(self):
        # wire-notes T4: libzmq 4.3.4 takes a bind host as an interface name or a number.
        z = self.track(self.zsock(zmq.REP))
        with self.assertRaises(zmq.ZMQError) as cm:
            z.bind("tcp://localhost:*")
        self.assertEqual(cm.exception.errno, errno.ENODEV)
        z.bind("tcp://lo:*")  # an interface name is what it takes
        self.assertTrue(z.getsockopt(zmq.LAST_ENDPOINT).decode().startswith("tcp://127.0.0.1:"))

    def test_libzmq_connect_resolves_a_name_as_ipv4_only_without_zmq_ipv6(self):
        # wire-notes T4, the other half: a name that maps to ::1 only is reached by a
        # libzmq REQ with ZMQ_IPV6 and not without. libzmq runs inside the namespace here.
        if not have_ipv6_loopback():
            self.fail("no IPv6 loopback on this machine")
        m = self.mounts("::1\tv6only.test\n")
        script = (
            "import zmq\n"
            "c = zmq.Context()\n"
            "rep = c.socket(zmq.REP); rep.IPV6 = 1; rep.LINGER = 0; rep.bind('tcp://[::1]:*')\n"
            "port = rep.LAST_ENDPOINT.decode().rsplit(':', 1)[1]\n"
            "for v6 in (0, 1):\n"
            "    r = c.socket(zmq.REQ); r.IPV6 = v6; r.LINGER = 0\n"
            "    r.connect('tcp://v6only.test:' + port); r.send(b'x')\n"
            "    ok = rep.poll(1000)\n"
            "    print('ipv6=%d reached=%d' % (v6, 1 if ok else 0))\n"
            "    if ok: rep.send(rep.recv())\n"
            "    r.close()\n"
            "rep.close(); c.term()\n")
        env = dict(os.environ, MZMTP_NS_MOUNTS=" ".join("%s=%s" % (s, d) for d, s in m.items()))
        r = subprocess.run([self.wrapper, "/usr/bin/python3", "-c", script],
                           capture_output=True, timeout=30, env=env)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        self.assertEqual(r.stdout.decode().split(), ["ipv6=0", "reached=0", "ipv6=1", "reached=1"])

    def test_unanswered_address_gives_way_to_the_next_after_the_step_time(self):
        # ::1 (first in the answer) is a black hole: a listener on [::1]:P whose accept
        # queue is full, so the kernel drops further SYNs and the connect neither succeeds
        # nor fails. After MZMTP_POSIX_CONNECT_STEP_MS (2000 ms) the port tries 127.0.0.1,
        # where a libzmq REP listens on the same port number.
        if not have_ipv6_loopback():
            self.fail("no IPv6 loopback on this machine")
        def black_hole():
            hole = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            self.addCleanup(hole.close)
            hole.bind(("::1", 0))
            hole.listen(0)
            return hole, hole.getsockname()[1]

        hole, z, port = self.rep_beside(black_hole, "127.0.0.1")
        fillers = []
        for _ in range(3):  # fill the accept queue (backlog 0 holds one; be generous)
            f = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            self.addCleanup(f.close)
            f.setblocking(False)
            try:
                f.connect(("::1", port))
            except BlockingIOError:
                pass
            fillers.append(f)
        time.sleep(0.2)
        probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        self.addCleanup(probe.close)
        probe.settimeout(0.5)
        with self.assertRaises(socket.timeout, msg="[::1]:%d is not a black hole" % port):
            probe.connect(("::1", port))
        m = self.mounts(DEBIAN_V6_FIRST)
        self.assertEqual(self.resolved_order(m, "localhost")[0], "::1")
        t0 = time.monotonic()
        cat = self.ns_cat(m, "req", "-c", "tcp://localhost:%d" % port, "--timeout", "10000")
        cat.send_line("late")
        self.assertTrue(z.poll(int((WAIT + 2) * 1000)), "no request via 127.0.0.1; " + cat.describe())
        spent = time.monotonic() - t0
        self.assertEqual(z.recv(), b"late")
        z.send(b"re:late")
        self.assertEqual(cat.readline(), b"re:late")
        self.assertGreater(spent, 1.5, "reached before the step time: ::1 was not tried first?")
        self.assertLess(spent, 4.0)
