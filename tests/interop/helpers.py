"""Shared helpers for the microzmtp interop tests (real libzmq through pyzmq).

Design rules every test follows:
  * no fixed ports: libzmq binds ``tcp://127.0.0.1:*`` and we read ZMQ_LAST_ENDPOINT;
    zmtpcat binds ``tcp://127.0.0.1:0`` with ``--print-endpoint`` and we parse the
    ``endpoint tcp://...`` line it writes on stderr;
  * loopback only (127.0.0.1, [::1], ipc:// in a private temporary directory);
  * every process is started by :class:`Zmtpcat` and stopped by its own PID;
  * every wait has a deadline; nothing sleeps without a bound.

The path of the zmtpcat binary comes from ``run.py --zmtpcat PATH`` (which sets the
environment variable MZMTP_ZMTPCAT) so the modules can also be run one by one:
``MZMTP_ZMTPCAT=build/zmtpcat /usr/bin/python3 -m unittest test_pubsub``.
"""

import contextlib
import os
import queue
import re
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import zmq

# Default deadline for "this should happen promptly" waits, in seconds.
WAIT = 5.0

_ENDPOINT_RE = re.compile(rb"^endpoint (\S+)\s*$")


def zmtpcat_path():
    path = os.environ.get("MZMTP_ZMTPCAT")
    if not path:
        raise RuntimeError("MZMTP_ZMTPCAT is not set (run the tests through run.py --zmtpcat PATH)")
    return path


def have_ipv6_loopback():
    """True when an AF_INET6 socket can bind ::1 on this machine."""
    if not socket.has_ipv6:
        return False
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        return False
    try:
        s.bind(("::1", 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


# --------------------------------------------------------------------------------------
# zmtpcat as a subprocess
# --------------------------------------------------------------------------------------

class LineProcess:
    """One child process with stdin as a pipe and stdout/stderr read by threads.

    stdout lines go to a queue (``readline``/``read_lines`` take a timeout); stderr lines
    are kept (``stderr_text`` for failure messages) and ``endpoint`` lines are parsed.
    Stopped by its PID (``kill``/``terminate``). @name says which program it is in
    failure messages.
    """

    def __init__(self, argv, stdin=True, name=None):
        self.args = [str(a) for a in argv]
        self.name = name or os.path.basename(self.args[0])
        self.proc = subprocess.Popen(
            self.args,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=-1,
        )
        self.pid = self.proc.pid
        self._out = queue.Queue()
        self._endpoints = queue.Queue()
        self._err_lines = []
        self._err_lock = threading.Lock()
        self._t_out = threading.Thread(target=self._read_stdout, daemon=True)
        self._t_err = threading.Thread(target=self._read_stderr, daemon=True)
        self._t_out.start()
        self._t_err.start()
        # stdin is written by a thread too, so that a test never blocks on a full pipe
        # (the child may legitimately stop reading stdin, e.g. while it waits for peers).
        self._in = queue.Queue()
        self._stdin_closed = not stdin
        self._t_in = None
        if stdin:
            self._t_in = threading.Thread(target=self._write_stdin, daemon=True)
            self._t_in.start()

    # -- reader threads ----------------------------------------------------------------
    @staticmethod
    def _each_line(f, take):
        """take(line) for every line of pipe @f until EOF (or the pipe is closed)."""
        try:
            for line in iter(f.readline, b""):
                take(line)
        except (OSError, ValueError):
            pass

    def _read_stdout(self):
        self._each_line(self.proc.stdout, self._out.put)
        self._out.put(None)

    def _read_stderr(self):
        def take(line):
            with self._err_lock:
                self._err_lines.append(line)
            m = _ENDPOINT_RE.match(line)
            if m:
                self._endpoints.put(m.group(1).decode())
        self._each_line(self.proc.stderr, take)

    def _write_stdin(self):
        f = self.proc.stdin
        while True:
            data = self._in.get()
            if data is None:
                break
            try:
                f.write(data)
                f.flush()
            except (OSError, ValueError):
                break  # the child has gone; later writes are dropped
        try:
            f.close()
        except (OSError, ValueError):
            pass

    # -- diagnostics -------------------------------------------------------------------
    def stderr_text(self):
        with self._err_lock:
            return b"".join(self._err_lines).decode("utf-8", "replace")

    def describe(self):
        return "%s %s (pid %d, rc %r)\n--- its stderr ---\n%s" % (
            self.name, " ".join(self.args[1:]), self.pid, self.proc.poll(), self.stderr_text()[-4000:])

    # -- endpoints ---------------------------------------------------------------------
    def endpoint(self, timeout=WAIT):
        """The next ``endpoint ...`` line printed by --print-endpoint."""
        try:
            return self._endpoints.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no 'endpoint ...' line on stderr within %.1fs; %s"
                                 % (timeout, self.describe()))

    # -- stdin -------------------------------------------------------------------------
    def send_line(self, line):
        """Queue one message (str or bytes; a trailing newline is added) for stdin."""
        if isinstance(line, str):
            line = line.encode("utf-8")
        self._write(line + b"\n")

    def send_lines(self, lines):
        self._write(b"".join((l.encode("utf-8") if isinstance(l, str) else l) + b"\n" for l in lines))

    def send_frames(self, frames, hexmode=True, sep=b"\t"):
        """Queue one multipart message. In hex mode every frame is written as hex."""
        if hexmode:
            self.send_line(sep.join(f.hex().encode() for f in frames))
        else:
            self.send_line(sep.join(frames))

    def _write(self, data):
        if self._stdin_closed:
            raise AssertionError("%s stdin already closed" % self.name)
        self._in.put(data)

    def close_stdin(self):
        """Close stdin once everything queued before has been written (EOF for the child)."""
        if not self._stdin_closed:
            self._stdin_closed = True
            self._in.put(None)

    # -- stdout ------------------------------------------------------------------------
    def readline(self, timeout=WAIT):
        """One stdout line without its newline (bytes); AssertionError on timeout/EOF."""
        try:
            line = self._out.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no line from %s within %.1fs; %s" % (self.name, timeout, self.describe()))
        if line is None:
            self._out.put(None)
            raise AssertionError("%s stdout closed; %s" % (self.name, self.describe()))
        return line[:-1] if line.endswith(b"\n") else line

    def try_readline(self, timeout):
        """Like readline but returns None on timeout or EOF."""
        try:
            line = self._out.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            self._out.put(None)
            return None
        return line[:-1] if line.endswith(b"\n") else line

    def read_lines(self, n, timeout=WAIT, skip=None):
        """Read n lines; lines equal to ``skip`` (a probe) are dropped first."""
        deadline = time.monotonic() + timeout
        out = []
        while len(out) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("got %d of %d lines (%r) within %.1fs; %s"
                                     % (len(out), n, [l[:80] for l in out], timeout, self.describe()))
            line = self.readline(timeout=left)
            if skip is not None and not out and line == skip:
                continue
            out.append(line)
        return out

    def assert_no_line(self, timeout):
        line = self.try_readline(timeout)
        if line is not None:
            raise AssertionError("unexpected line from %s: %r" % (self.name, line[:200]))

    # -- lifetime ----------------------------------------------------------------------
    def wait(self, timeout=WAIT):
        """Exit code; AssertionError (and kill) if it has not exited within timeout. Once
        it has exited, stderr_text() holds everything it wrote (the reader thread has
        reached EOF: without that join, a line written just before the exit could still
        be in the pipe when a test reads stderr_text())."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("%s did not exit within %.1fs; %s" % (self.name, timeout, self.describe()))
        self._t_err.join(timeout=2)
        return rc

    def alive(self):
        return self.proc.poll() is None

    def terminate(self, timeout=2.0):
        """SIGTERM, then SIGKILL, by PID."""
        if self.proc.poll() is None:
            try:
                self.proc.terminate()
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
            except OSError:
                pass
        self._cleanup_pipes()

    def kill(self):
        if self.proc.poll() is None:
            try:
                self.proc.kill()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._cleanup_pipes()

    def _cleanup_pipes(self):
        self.close_stdin()
        if self._t_in is not None:
            self._t_in.join(timeout=2)
        self._t_out.join(timeout=2)
        self._t_err.join(timeout=2)
        for f in (self.proc.stdout, self.proc.stderr):
            try:
                if f:
                    f.close()
            except OSError:
                pass


class Zmtpcat(LineProcess):
    """One zmtpcat process (the binary run.py names), as a LineProcess."""

    def __init__(self, args, stdin=True):
        super().__init__([zmtpcat_path()] + list(args), stdin, "zmtpcat")


# --------------------------------------------------------------------------------------
# Base test case: owns a zmq context, zmtpcat processes, temp dirs and raw sockets
# --------------------------------------------------------------------------------------

class InteropCase(unittest.TestCase):
    # A generous per-call default; individual waits are shorter.
    def setUp(self):
        self.ctx = zmq.Context()
        self._procs = []
        self._socks = []
        self._tmpdirs = []
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        for p in self._procs:
            p.kill()
        for s in self._socks:
            try:
                s.close()
            except OSError:
                pass
        self.ctx.destroy(linger=0)
        for d in self._tmpdirs:
            shutil.rmtree(d, ignore_errors=True)

    # -- factories ---------------------------------------------------------------------
    def zmtpcat(self, *args, stdin=True):
        p = Zmtpcat(list(args), stdin=stdin)
        self._procs.append(p)
        return p

    def zsock(self, kind, ipv6=False, **opts):
        s = self.ctx.socket(kind)
        s.setsockopt(zmq.LINGER, 0)
        if ipv6:
            s.setsockopt(zmq.IPV6, 1)
        for k, v in opts.items():
            s.setsockopt(getattr(zmq, k), v)
        return s

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="mzi")
        self._tmpdirs.append(d)
        return d

    def track(self, sock):
        self._socks.append(sock)
        return sock

    # -- endpoints per transport -------------------------------------------------------
    def bind_template(self, transport):
        """(endpoint for zmtpcat -b, endpoint for libzmq bind)."""
        if transport == "tcp":
            return "tcp://127.0.0.1:0", "tcp://127.0.0.1:*"
        if transport == "tcp6":
            if not have_ipv6_loopback():
                self.skipTest("this machine has no IPv6 loopback (::1)")
            return "tcp://[::1]:0", "tcp://[::1]:*"
        if transport == "ipc":
            path = "ipc://" + os.path.join(self.tmpdir(), "s")
            return path, path
        raise ValueError(transport)

    def zmtpcat_bind(self, transport, *args):
        """Start zmtpcat binding a fresh endpoint; returns (proc, endpoint to connect to)."""
        ep, _ = self.bind_template(transport)
        if transport == "ipc":
            p = self.zmtpcat(*args, "-b", ep)
            wait_for(lambda: os.path.exists(ep[len("ipc://"):]) or not p.alive(), WAIT,
                     "zmtpcat did not create %s" % ep)
            self.assertTrue(p.alive(), p.describe())
            return p, ep
        p = self.zmtpcat(*args, "-b", ep, "--print-endpoint")
        return p, p.endpoint()

    def join(self, zsock, transport, ours_binds, *args):
        """Join libzmq socket @zsock and a zmtpcat started with @args over @transport,
        whichever side binds. @return (zmtpcat process, the endpoint)."""
        if ours_binds:
            p, ep = self.zmtpcat_bind(transport, *args)
            zsock.connect(ep)
        else:
            ep = self.zbind(zsock, transport)
            p = self.zmtpcat(*args, "-c", ep)
        return p, ep

    def place(self, zsock, transport, ours_binds, *args):
        """join() for tests that only want zmtpcat back; the endpoint stays in self.ep
        (for a second libzmq peer to connect to later)."""
        cat, self.ep = self.join(zsock, transport, ours_binds, *args)
        return cat

    def join_new(self, transport, ours_binds, ztype, args, peer_opts=None):
        """A new libzmq socket of @ztype (options @peer_opts) joined with a zmtpcat started
        with @args over @transport, whichever side binds. @return (zmtpcat, the socket)."""
        z = self.zsock(ztype, **(peer_opts or {}))
        return self.join(z, transport, ours_binds, *args)[0], z

    def zbind_each(self, kind, transports):
        """One new libzmq @kind socket bound per transport. @return (the sockets, the
        "-c ENDPOINT" arguments that connect a zmtpcat to all of them)."""
        socks, args = [], []
        for t in transports:
            s = self.zsock(kind)
            args += ["-c", self.zbind(s, t)]
            socks.append(s)
        return socks, args

    def zbind(self, sock, transport):
        _, ep = self.bind_template(transport)
        sock.bind(ep)
        return sock.getsockopt_string(zmq.LAST_ENDPOINT)

    # -- assertions --------------------------------------------------------------------
    def assertExit(self, proc, code, timeout=WAIT):
        rc = proc.wait(timeout)
        self.assertEqual(rc, code, "exit code %r, expected %r; %s" % (rc, code, proc.describe()))


def add_matrix(cls, cases, transports):
    """Add to @cls one test per case, transport and binding side: test_<stem>_<transport>_
    ours_binds / _libzmq_binds, calling fn(self, transport, ours_binds). @cases: (stem,
    description, fn) triples."""
    for stem, text, fn in cases:
        for transport in transports:
            for ours_binds in (True, False):
                who = "ours_binds" if ours_binds else "libzmq_binds"

                def t(self, fn=fn, transport=transport, ours_binds=ours_binds):
                    fn(self, transport, ours_binds)

                t.__doc__ = "%s over %s, %s" % (text, transport, who)
                setattr(cls, "test_%s_%s_%s" % (stem, transport, who), t)


def describe_pair(name):
    """"our_dealer_libzmq_router" -> "our DEALER -> libzmq ROUTER" (<-> between two
    sockets of the same type)."""
    first, a, second, b = name.split("_")
    arrow = "<->" if a == b else "->"
    return "%s %s %s %s %s" % (first, a.upper(), arrow, second, b.upper())


def add_method_matrix(cls, names, transports):
    """add_matrix() for cases that are methods of @cls, named <who>_<type>_<who>_<type>
    (the test's stem; describe_pair() gives the description)."""
    add_matrix(cls, [(name, describe_pair(name), getattr(cls, name)) for name in names],
               transports)


@contextlib.contextmanager
def environment(**values):
    """Set these environment variables (a process started inside inherits them), and put
    back what was there before on the way out."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield saved
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def wait_for(cond, timeout, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.01)
    if not cond():
        raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))


def zrecv(sock, timeout=WAIT):
    """recv_multipart with a deadline (AssertionError on timeout)."""
    if not sock.poll(int(timeout * 1000), zmq.POLLIN):
        raise AssertionError("libzmq %s socket received nothing within %.1fs"
                             % (sock.type, timeout))
    return sock.recv_multipart()


def assert_our_lines_arrive_in_order(case, cat, sock, lines, gap=2.0):
    """zmtpcat @cat sends @lines, one message each, and exits 0 at stdin EOF; the libzmq
    @sock receives every one, in order (waiting at most @gap seconds for each)."""
    cat.send_lines(lines)
    cat.close_stdin()
    got = []
    while len(got) < len(lines) and sock.poll(int(gap * 1000)):
        got.append(sock.recv())
    case.assertEqual(len(got), len(lines), "lost messages; " + cat.describe())
    case.assertEqual(got, lines)
    case.assertExit(cat, 0)


def zrecv_none(sock, timeout):
    """Assert that nothing arrives for ``timeout`` seconds."""
    if sock.poll(int(timeout * 1000), zmq.POLLIN):
        raise AssertionError("unexpected message: %r" % ([f[:80] for f in sock.recv_multipart()],))


def probe_until_seen(send, proc, probe_line, timeout=10.0, interval=0.05):
    """Slow-joiner sync for a libzmq PUB feeding our SUB: send the probe repeatedly until
    zmtpcat prints it. Later probes may still be in flight; read with skip=probe_line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        send()
        line = proc.try_readline(interval)
        if line is not None:
            if line != probe_line:
                raise AssertionError("expected probe %r, got %r" % (probe_line, line[:200]))
            return
    raise AssertionError("probe %r never reached zmtpcat within %.1fs; %s"
                         % (probe_line, timeout, proc.describe()))


def drain_probes(proc, probe_line, timeout=0.3):
    """Consume probe lines still in flight; return the first non-probe line or None."""
    while True:
        line = proc.try_readline(timeout)
        if line is None or line != probe_line:
            return line


class Monitor:
    """libzmq socket monitor collected by polling (no threads)."""

    def __init__(self, sock):
        self.msock = sock.get_monitor_socket()
        self.events = []

    def poll(self, timeout=0.0):
        from zmq.utils.monitor import recv_monitor_message
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.0, deadline - time.monotonic())
            if not self.msock.poll(int(left * 1000), zmq.POLLIN):
                return
            self.events.append(recv_monitor_message(self.msock)["event"])
            timeout = 0.0
            deadline = time.monotonic()

    def wait_event(self, kinds, timeout=WAIT):
        """Wait until one of ``kinds`` (a set of zmq.EVENT_*) has been seen."""
        deadline = time.monotonic() + timeout
        while True:
            if any(e in kinds for e in self.events):
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("monitor: none of %r within %.1fs; saw %r"
                                     % (kinds, timeout, self.events))
            self.poll(min(left, 0.1))

    def count(self, kind):
        return sum(1 for e in self.events if e == kind)


# --------------------------------------------------------------------------------------
# Raw ZMTP over a plain Python socket
# --------------------------------------------------------------------------------------

FLAG_MORE, FLAG_LONG, FLAG_COMMAND = 0x01, 0x02, 0x04


def greeting(major=3, minor=1, mechanism=b"NULL", as_server=0):
    """A full 64-byte ZMTP 3.x greeting (libzmq's padding: 8 bytes ending in 01)."""
    return (b"\xff" + b"\x00" * 7 + b"\x01" + b"\x7f" + bytes([major, minor])
            + mechanism.ljust(20, b"\x00") + bytes([as_server]) + b"\x00" * 31)


def frame(body, more=False, command=False):
    flags = (FLAG_MORE if more else 0) | (FLAG_COMMAND if command else 0)
    if len(body) <= 255:
        return bytes([flags, len(body)]) + body
    return bytes([flags | FLAG_LONG]) + struct.pack(">Q", len(body)) + body


def command(name, data=b""):
    return frame(bytes([len(name)]) + name + data, command=True)


def properties(props):
    out = b""
    for name, value in props:
        out += bytes([len(name)]) + name + struct.pack(">I", len(value)) + value
    return out


def ready(socket_type, extra=()):
    return command(b"READY", properties([(b"Socket-Type", socket_type)] + list(extra)))


def parse_properties(data):
    props = []
    i = 0
    while i < len(data):
        n = data[i]
        name = data[i + 1:i + 1 + n]
        i += 1 + n
        (vlen,) = struct.unpack(">I", data[i:i + 4])
        i += 4
        props.append((name, data[i:i + vlen]))
        i += vlen
    return props


def parse_command(body):
    """(name, data) of a command frame body."""
    n = body[0]
    return body[1:1 + n], body[1 + n:]


class RawPeer:
    """A plain TCP socket that speaks ZMTP by hand. All reads have deadlines."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.eof = False
        self.raw_frames = []  # (header bytes, body) of every frame read, for exact checks

    @classmethod
    def connect(cls, endpoint, timeout=WAIT):
        host, port = split_tcp_endpoint(endpoint)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect((host, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(s)

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            return False
        try:
            chunk = self.sock.recv(1 << 20)
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def recv_exact(self, n, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise AssertionError("raw peer: wanted %d bytes, have %d (%s) after %.1fs"
                                     % (n, len(self.buf), "EOF" if self.eof else "timeout", timeout))
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_frame(self, timeout=WAIT):
        """(flags, body) of the next frame."""
        deadline = time.monotonic() + timeout
        hdr = self.recv_exact(2, max(0.0, deadline - time.monotonic()))
        flags = hdr[0]
        if flags & FLAG_LONG:
            rest = self.recv_exact(7, max(0.0, deadline - time.monotonic()))
            hdr += rest
            (size,) = struct.unpack(">Q", hdr[1:9])
        else:
            size = hdr[1]
        body = self.recv_exact(size, max(0.0, deadline - time.monotonic()) + 1.0)
        self.raw_frames.append((hdr, body))
        return flags, body

    def read_message(self, timeout=WAIT, skip_commands=(b"PING", b"PONG")):
        """The frames of the next data message; heartbeat commands are skipped."""
        deadline = time.monotonic() + timeout
        frames = []
        while True:
            flags, body = self.read_frame(max(0.0, deadline - time.monotonic()))
            if flags & FLAG_COMMAND:
                name, _ = parse_command(body)
                if name in skip_commands:
                    continue
                raise AssertionError("raw peer: unexpected command %r inside data" % (body[:80],))
            frames.append(body)
            if not flags & FLAG_MORE:
                return frames

    def handshake(self, socket_type, minor=1, timeout=WAIT):
        """Send our greeting + READY, read the peer's greeting and READY.
        Returns (peer greeting bytes, peer READY properties as a dict)."""
        self.send(greeting(minor=minor) + ready(socket_type))
        g = self.recv_exact(64, timeout)
        flags, body = self.read_frame(timeout)
        if not flags & FLAG_COMMAND:
            raise AssertionError("raw peer: first frame after greeting is not a command: %r" % body[:80])
        name, data = parse_command(body)
        if name != b"READY":
            raise AssertionError("raw peer: expected READY, got %r" % (body[:80],))
        return g, dict(parse_properties(data))

    def wait_closed(self, timeout=WAIT):
        """True when the peer closes (EOF or RST) within timeout; received bytes stay in buf."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            if time.monotonic() >= deadline:
                return False
            self._fill(deadline)
        return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def split_tcp_endpoint(endpoint):
    m = re.match(r"^tcp://(\[[^\]]+\]|[^:]+):(\d+)$", endpoint)
    if not m:
        raise ValueError("not a tcp endpoint: %r" % endpoint)
    host = m.group(1).strip("[]")
    return host, int(m.group(2))


def raw_listener(host="127.0.0.1"):
    """A listening socket on an ephemeral loopback port; returns (sock, endpoint)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.bind((host, 0))
    s.listen(8)
    port = s.getsockname()[1]
    ep = "tcp://[%s]:%d" % (host, port) if fam == socket.AF_INET6 else "tcp://%s:%d" % (host, port)
    return s, ep


def accept(listener, timeout=WAIT):
    r, _, _ = select.select([listener], [], [], timeout)
    if not r:
        raise AssertionError("nobody connected to the raw listener within %.1fs" % timeout)
    c, _ = listener.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return RawPeer(c)


# --------------------------------------------------------------------------------------
# A recording TCP relay, to see exactly which frames cross the wire between two peers
# --------------------------------------------------------------------------------------

class WireTap:
    """Listens on 127.0.0.1:0 and relays one connection to ``target`` (tcp endpoint),
    keeping the bytes of both directions. ``down`` = target→client, ``up`` = client→target.
    """

    def __init__(self, target):
        self.listener, self.endpoint = raw_listener()
        self.target = split_tcp_endpoint(target)
        self.lock = threading.Lock()
        self.down = bytearray()
        self.up = bytearray()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        socks = []
        try:
            r, _, _ = select.select([self.listener], [], [], 30)
            if not r or self._stop.is_set():
                return
            client, _ = self.listener.accept()
            socks.append(client)
            server = socket.create_connection(self.target, timeout=5)
            socks.append(server)
            pairs = {client: (server, self.up), server: (client, self.down)}
            while not self._stop.is_set():
                r, _, _ = select.select(list(pairs), [], [], 0.05)
                for s in r:
                    try:
                        data = s.recv(1 << 16)
                    except OSError:
                        data = b""
                    if not data:
                        return
                    dst, log = pairs[s]
                    with self.lock:
                        log += data
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in socks:
                try:
                    s.close()
                except OSError:
                    pass

    def frames(self, direction):
        """Parsed frames [(flags, body)] after the 64-byte greeting (complete ones only)."""
        with self.lock:
            data = bytes(self.down if direction == "down" else self.up)
        return parse_stream(data[64:])

    def stop(self):
        self._stop.set()
        self._t.join(timeout=2)
        try:
            self.listener.close()
        except OSError:
            pass


def parse_stream(data):
    out = []
    i = 0
    while i + 2 <= len(data):
        flags = data[i]
        if flags & FLAG_LONG:
            if i + 9 > len(data):
                break
            (size,) = struct.unpack(">Q", data[i + 1:i + 9])
            start = i + 9
        else:
            size = data[i + 1]
            start = i + 2
        if start + size > len(data):
            break
        out.append((flags, bytes(data[start:start + size])))
        i = start + size
    return out


def data_messages(frames):
    """Group data frames into messages, dropping commands."""
    msgs, cur = [], []
    for flags, body in frames:
        if flags & FLAG_COMMAND:
            continue
        cur.append(body)
        if not flags & FLAG_MORE:
            msgs.append(cur)
            cur = []
    return msgs


class TapReader:
    """Reads the data messages our side sent through a WireTap ("down"), one at a time."""

    def __init__(self, tap, direction="down"):
        self.tap = tap
        self.direction = direction
        self.pos = 0

    def next_message(self, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            msgs = data_messages(self.tap.frames(self.direction))
            if len(msgs) > self.pos:
                self.pos += 1
                return msgs[self.pos - 1]
            if time.monotonic() >= deadline:
                raise AssertionError("wire tap: no new data message within %.1fs" % timeout)
            time.sleep(0.005)


def assert_topic_stops(send_lines, next_first_frame, stopped=b"A", kept=b"B",
                       n_after=20, timeout=WAIT):
    """After topic ``stopped`` was cancelled (``kept`` still subscribed): publish pairs
    stopped<i>, kept<i> until kept<i> arrives without stopped<i> (the cancel took effect),
    then ``n_after`` more pairs and a final kept+"end". Asserts that nothing of ``stopped``
    arrives after the cut and that every ``kept`` message arrives. Returns the cut index."""
    deadline = time.monotonic() + timeout
    i = 0
    while True:
        if time.monotonic() > deadline:
            raise AssertionError("messages for the cancelled topic %r still flow after %.1fs"
                                 % (stopped, timeout))
        send_lines([stopped + b"%d" % i, kept + b"%d" % i])
        saw = []
        while True:
            f = next_first_frame(max(0.1, deadline - time.monotonic()))
            saw.append(f)
            if f == kept + b"%d" % i:
                break
        if stopped + b"%d" % i not in saw:
            break
        i += 1
    cut = i
    lines = []
    for j in range(cut + 1, cut + 1 + n_after):
        lines += [stopped + b"%d" % j, kept + b"%d" % j]
    lines.append(kept + b"end")
    send_lines(lines)
    got = []
    while True:
        f = next_first_frame(WAIT)
        got.append(f)
        if f == kept + b"end":
            break
    leaked = [g for g in got if g.startswith(stopped)]
    if leaked:
        raise AssertionError("cancelled topic %r still delivered after the cut: %r" % (stopped, leaked[:5]))
    want = [kept + b"%d" % j for j in range(cut + 1, cut + 1 + n_after)] + [kept + b"end"]
    if got != want:
        raise AssertionError("kept topic %r: got %r, want %r" % (kept, got[:8], want[:8]))
    return cut


def readline_polling(proc, socks, timeout=WAIT):
    """proc.readline() while poking libzmq sockets: a libzmq socket attaches pipes (and so
    sends its subscriptions to a new peer) only when the application calls into it."""
    deadline = time.monotonic() + timeout
    while True:
        for s in socks:
            s.getsockopt(zmq.EVENTS)
        line = proc.try_readline(0.02)
        if line is not None:
            return line
        if time.monotonic() >= deadline:
            return proc.readline(0.0)


# --------------------------------------------------------------------------------------
# Pattern tests (PUSH/PULL, REQ/REP, DEALER/ROUTER, PAIR): shared small helpers
# --------------------------------------------------------------------------------------

def wait_stderr(proc, pattern, timeout=WAIT, count=1):
    """Wait until ``count`` stderr lines of zmtpcat match the regex ``pattern`` (str);
    returns the list of match objects. Used with ``-v`` to see connection events."""
    rx = re.compile(pattern, re.M)
    deadline = time.monotonic() + timeout
    while True:
        found = list(rx.finditer(proc.stderr_text()))
        if len(found) >= count:
            return found
        if time.monotonic() >= deadline:
            raise AssertionError("zmtpcat stderr: %d of %d lines matching %r within %.1fs; %s"
                                 % (len(found), count, pattern, timeout, proc.describe()))
        time.sleep(0.01)


def zrebind(case, kind, ep, timeout=WAIT, **opts):
    """A new libzmq socket bound on exactly ``ep`` (retrying while libzmq's I/O thread
    still holds the old listener)."""
    deadline = time.monotonic() + timeout
    while True:
        s = case.zsock(kind, **opts)
        try:
            s.bind(ep)
            return s
        except zmq.ZMQError as e:
            s.close(linger=0)
            if e.errno != zmq.EADDRINUSE or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def zsend_routed(router, frames, timeout=WAIT):
    """Send from a libzmq ROUTER (ROUTER_MANDATORY set) once the peer id is known:
    EHOSTUNREACH means the handshake has not completed yet, so retry until the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            router.send_multipart(frames)
            return
        except zmq.ZMQError as e:
            if e.errno != zmq.EHOSTUNREACH or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def tcp_rx_queued(local_port=None, remote_port=None):
    """Bytes waiting in the kernel receive queue of each ESTABLISHED IPv4 TCP socket on
    this machine whose local (or remote) port matches, from /proc/net/tcp. Lets a test
    know that data has reached a stopped process. None when /proc is not available."""
    try:
        with open("/proc/net/tcp") as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        return None
    out = []
    for row in rows:
        cols = row.split()
        if len(cols) < 5 or cols[3] != "01":
            continue
        lport = int(cols[1].split(":")[1], 16)
        rport = int(cols[2].split(":")[1], 16)
        if local_port is not None and lport != local_port:
            continue
        if remote_port is not None and rport != remote_port:
            continue
        out.append(int(cols[4].split(":")[1], 16))
    return out


def wait_rx_queued(min_bytes, count=1, local_port=None, remote_port=None, timeout=WAIT):
    """Wait until ``count`` matching sockets each hold at least ``min_bytes`` unread
    (see tcp_rx_queued); falls back to a short sleep where /proc/net/tcp is missing."""
    deadline = time.monotonic() + timeout
    while True:
        q = tcp_rx_queued(local_port, remote_port)
        if q is None:
            time.sleep(0.3)
            return
        if sum(1 for b in q if b >= min_bytes) >= count:
            return
        if time.monotonic() >= deadline:
            raise AssertionError("kernel receive queues %r: wanted %d with >= %d bytes"
                                 % (q, count, min_bytes))
        time.sleep(0.01)


def stop_process(proc, timeout=WAIT):
    """SIGSTOP zmtpcat by its PID and wait until the kernel reports it stopped (state T in
    /proc/PID/stat), so that nothing it polls for after this point is seen before
    continue_process(). The test must call continue_process (addCleanup is wise)."""
    import signal
    os.kill(proc.pid, signal.SIGSTOP)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open("/proc/%d/stat" % proc.pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            time.sleep(0.05)  # no /proc: a short grace period instead
            return
        if state in ("T", "t"):
            return
        if time.monotonic() >= deadline:
            raise AssertionError("zmtpcat (pid %d) not stopped after %.1fs (state %s)"
                                 % (proc.pid, timeout, state))
        time.sleep(0.002)


def continue_process(proc):
    """SIGCONT by PID (harmless if it already runs or has exited)."""
    import signal
    if proc.alive():
        try:
            os.kill(proc.pid, signal.SIGCONT)
        except OSError:
            pass


# --------------------------------------------------------------------------------------
# Exchanges the PLAIN and CURVE matrices both run once the handshake is set up: the
# sockets come in configured for the mechanism, these check what crosses.
# --------------------------------------------------------------------------------------

def hexline(frames):
    """One zmtpcat --hex line: the frames in hex, tab-separated."""
    return b"\t".join(f.hex().encode() for f in frames)


def assert_our_push_delivers(case, push, pull, frames, timeout=WAIT):
    """zmtpcat --hex @push sends @frames then [b"last"] and exits 0 at stdin EOF; the libzmq
    @pull receives both messages whole."""
    push.send_line(hexline(frames))
    push.send_line(hexline([b"last"]))
    push.close_stdin()
    case.assertEqual(zrecv(pull, timeout), frames, push.describe())
    case.assertEqual(zrecv(pull), [b"last"])
    case.assertExit(push, 0, timeout)


def assert_our_pull_prints(case, push, pull, frames, timeout=WAIT):
    """The libzmq @push sends @frames then b"last"; zmtpcat --hex -n 2 @pull prints both
    and exits 0."""
    push.send_multipart(frames)
    push.send(b"last")
    case.assertEqual(pull.read_lines(2, timeout), [hexline(frames), hexline([b"last"])])
    case.assertExit(pull, 0)


def assert_our_sub_gets_its_topic(case, pub, sub):
    """zmtpcat -s t. -n 2 @sub, behind a libzmq @pub: once the subscription has travelled
    (probes until one is printed), "t." messages are printed and "x." ones are not."""
    def send():
        pub.send_multipart([b"x.skip", b"no"])
        pub.send_multipart([b"t.probe", b"p"])
    probe_until_seen(send, sub, b"t.probe\tp")
    pub.send_multipart([b"t.yes", b"1"])
    case.assertEqual(sub.read_lines(1, skip=b"t.probe\tp"), [b"t.yes\t1"])
    case.assertExit(sub, 0)


def assert_our_rep_answers(case, req, rep):
    """zmtpcat -n 2 @rep echoes two requests of the libzmq @req, then exits 0."""
    for q in (b"q1", b"q2"):
        req.send(q)
        case.assertEqual(zrecv(req), [q])
    case.assertExit(rep, 0)


def assert_our_dealer_round_trip(case, router, dealer):
    """zmtpcat --identity d1 -n 1 @dealer: its "ping" reaches the libzmq @router under the
    id d1, and the router's "pong" comes back; exits 0."""
    dealer.send_line(b"ping")
    rid, body = zrecv(router)
    case.assertEqual((rid, body), (b"d1", b"ping"))
    router.send_multipart([rid, b"pong"])
    case.assertEqual(dealer.read_lines(1), [b"pong"])
    case.assertExit(dealer, 0)


def assert_our_server_refuses(case, bad, pull, ours_binds, good):
    """zmtpcat -v -n 1 @pull refuses the libzmq PUSH @bad (MZMTP_ERR_AUTH in its log, its
    message never printed); when ours binds, the PUSH that @good() makes then connects and
    is heard. Our connecting side does not retry after a refusal (wire-notes R2)."""
    try:  # a libzmq PUSH holds it until a handshake succeeds, which never happens
        bad.send(b"from a refused peer", zmq.DONTWAIT)
    except zmq.Again:
        pass
    wait_stderr(pull, r"handshake-failed peer \d+ \(MZMTP_ERR_AUTH\)")
    case.assertIsNone(pull.try_readline(0.3), "a refused peer's message was printed")
    if not ours_binds:
        return
    bad.close()
    ok = good()
    ok.connect(case.ep)
    ok.send(b"from a good peer")
    case.assertEqual(pull.read_lines(1), [b"from a good peer"])
    case.assertExit(pull, 0)


def refused_client_said(case, push):
    """Our refused client @push exits 1; @return what it wrote on stderr besides the
    endpoint line."""
    push.send_line(b"must not arrive")
    case.assertExit(push, 1)
    return [l for l in push.stderr_text().splitlines() if not l.startswith("endpoint ")]


# --------------------------------------------------------------------------------------
# Numbered round trips between zmtpcat and one libzmq peer: exchange(ours, lz, i), for
# tests that repeat one exchange before and after something happens.
# --------------------------------------------------------------------------------------

def they_ask_we_answer(case, there, back):
    """libzmq sends b"<there><i>", zmtpcat prints it and answers b"<back><i>", which libzmq
    receives (PAIR, or DEALER to a DEALER)."""
    def exchange(ours, lz, i):
        lz.send(there + b"%d" % i)
        case.assertEqual(ours.readline(), there + b"%d" % i, ours.describe())
        ours.send_line(back + b"%d" % i)
        case.assertEqual(zrecv(lz), [back + b"%d" % i], ours.describe())
    return exchange


def we_ask_they_answer(case, there, back):
    """zmtpcat sends b"<there><i>", libzmq receives it and answers b"<back><i>", which
    zmtpcat prints (REQ to a REP, or PAIR)."""
    def exchange(ours, lz, i):
        ours.send_line(there + b"%d" % i)
        case.assertEqual(zrecv(lz), [there + b"%d" % i], ours.describe())
        lz.send(back + b"%d" % i)
        case.assertEqual(ours.readline(), back + b"%d" % i, ours.describe())
    return exchange
