#!/usr/bin/python3
"""microzmtp against libzmq, side by side, on this machine.

    bench/run.sh BUILD_DIR [--quick] [--runs N] [--only thr,lat,fanout,mem,tcp,curve]
                           [--patterns pubsub,pushpull,reqrep] [--placements same,split]
                           [--peer-kinds zmq,raw]
                           [--markdown FILE] [--json FILE]

BUILD_DIR is a CMake build of the project with the bench directory (it holds
bench/bench_zmtp). Every measurement runs both libraries alternately, --runs times
(default 3), and reports medians. The last lines printed are one per comparison:

    RATIO metric=NAME placement=same|split value=X

X = microzmtp / libzmq for throughput, libzmq / microzmtp for latency and memory: above 1
means microzmtp wins. Two kinds compare with raw TCP instead: thr_*_65536B_vs_tcp is
microzmtp's bytes per second / raw TCP's stream, and lat_*_vs_tcp_plus_2us is (raw TCP's
one-way latency + 2 us) / microzmtp's, above 1 when microzmtp is within 2 us of it. The
curve_* ratios compare the two libraries with CURVE on both sides (curve_pubsub_64B,
curve_pushpull_1KiB, ...: throughput; curve_reqrep_latency_64B_mean/_p50: latency). See
docs/performance.md for the method.
"""
import argparse
import json
import os
import queue
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time

LIBS = ("mz", "zmq")
NAMES = {"mz": "microzmtp", "zmq": "libzmq"}

# Throughput: message size -> messages per run (about 0.1-1 s each on a 2-core VM).
THR_COUNT = {1: 1500000, 16: 1500000, 64: 1000000, 256: 600000, 1024: 150000,
             8192: 20000, 65536: 6000}
# Latency: message size -> timed round trips (after WARMUP untimed ones).
LAT_COUNT = {1: 6000, 64: 6000, 1024: 6000, 65536: 1500}
LAT_WARMUP = 300
FANOUT_PEERS = (1, 10)         # one subscriber process each, same library on both sides
FANOUT_SIZE = 64
FANOUT_COUNT = 100000          # messages each subscriber receives
# Scale (issue 11; bench_zmtp_scale, MZMTP_CONF_MAX_PEERS 10000). The socket under test is
# one of each library; its many peers are the same for both: libzmq sockets, many per
# process (fan-subs, dealers), or raw ZMTP connections from one epoll process (storm, and
# raw-subs and raw-dealers: PEER_KINDS below).
SCALE_BINARY = "bench_zmtp_scale"
# fan-out to 100 and 1,000 SUBs: subscribers -> messages each receives
FANOUT_SCALE = {100: 20000, 1000: 2000}
FANOUT_SCALE_PROCS = 4         # subscriber processes (sockets spread evenly)
ROUTER_DEALERS = 1000          # ROUTER <-> 1,000 DEALERs, one request in flight each
ROUTER_PROCS = 4
# timed round trips per DEALER: 300,000 in all, 2 s a run on a quiet machine and longer
# under load (at 50 a run was well under a second, and one run to the next differed by
# a third; at 1,000 a loaded machine ran past RUN_TIMEOUT)
ROUTER_COUNT = 300
ROUTER_SIZE = 64
# The peers of the fan-out and ROUTER scale tests, both kinds in every run, the same for
# both servers: "zmq", libzmq sockets, many per process (fan-subs, dealers); "raw", raw
# ZMTP connections from one epoll process (raw-subs, raw-dealers), which cost less per
# message than either server, so that the server, not its peers, bounds the rate where
# the peers have a core of their own (split placement). The RATIO lines of "raw" end in
# _rawpeers.
PEER_KINDS = ("zmq", "raw")
PEER_LABEL = {"zmq": "libzmq", "raw": "raw ZMTP"}
PEER_WHAT = {"zmq": "libzmq sockets", "raw": "raw ZMTP connections (NULL) from one epoll loop"}
STORM_CONNS = 10000            # connect storm: connections, and connecting at once
STORM_WINDOW = 128
# microzmtp's receive buffer per peer where the peers send next to nothing (a PUB's
# subscriptions, 64 B requests): 10,000 x 4 MiB could not even be mapped.
SCALE_RXBUF = int(os.environ.get("SCALE_RXBUF", 512))
MEM_SOCKETS = 4                # microzmtp: MZMTP_CONF_MAX_PEERS 32 -> 4 sockets x 25 peers
MEM_PEERS = (1, 100)
# microzmtp's memory in that test, as an application sizes it: a PUB socket only receives
# subscriptions, so 512 bytes of receive buffer per peer is plenty (larger input streams
# through); the send ring is shared by all its peers.
MEM_RXBUF = int(os.environ.get("MEM_RXBUF", 512))
MEM_RING = 1 << 20
TCP_BYTES = 2 << 30            # raw TCP stream per run
# Patterns: the name bench_zmtp knows, what the tables call it, whether the throughput
# and latency tests apply. Adding PUSH/PULL or REQ/REP is one line here (and one in
# bench_zmtp.c's patterns[]).
PATTERNS = {
    "pubsub": {"label": "PUB->SUB", "thr": True, "lat": True, "fanout": True},
    "pushpull": {"label": "PUSH->PULL", "thr": True, "lat": True, "fanout": False},
    "reqrep": {"label": "REQ<->REP", "thr": False, "lat": True, "fanout": False},
}
# libzmq: its default HWM (1000) measured fastest here; XPUB_NODROP makes the publisher
# wait instead of dropping, so the comparison is lossless at any HWM.
ZMQ_HWM = 1000
# microzmtp: send ring per socket and receive buffer per peer (static memory).
MZ_RING = 8 << 20
# The receive buffer is the application's choice, and the best one depends on placement:
# sharing a core, one large buffer drains the socket in one read per wake-up (4 MiB: 2.4
# GB/s at 64 KiB here, 256 KiB: 1.7); on a core of its own the receiver does best with a
# cache-sized buffer (256 KiB: 3.6-4.3 GB/s, 4 MiB: 3.0-3.6). Raw TCP keeps 1 MiB reads
# in both: its best in both (256 KiB and 4 MiB were slower).
MZ_RXBUF_BY_PLACEMENT = {"same": 4 << 20, "split": 256 << 10}
MZ_RXBUF = MZ_RXBUF_BY_PLACEMENT["same"]  # set per placement by main()
# Both libraries send messages of this size and more without copying them (microzmtp:
# mzmtp_socket_send_ref; libzmq: zmq_msg_init_data); both always receive without a copy.
REF_MIN = 8192
# microzmtp's latency runs: a bound socket whose one peer is busy polls its listener at
# least every ACCEPT_IVL ms and otherwise waits for the peer inside recv()
# (mzmtp_posix_set_accept_interval; a new peer may wait that long to be accepted).
ACCEPT_IVL = 100

# CURVE (--only curve): both libraries encrypt every message; binding side is the server.
# Throughput: message size -> messages per run; latency: REQ/REP at CURVE_LAT_SIZE.
CURVE_THR_COUNT = {64: 400000, 1024: 150000}
CURVE_LAT_SIZE = 64
CURVE_LAT_COUNT = 4000

RUN_TIMEOUT = 60.0


def die(msg):
    print("run.py: " + msg, file=sys.stderr)
    sys.exit(1)


# ----------------------------------------------------------------------------------------
# Processes


class Proc:
    """One bench_zmtp process: READY, then GO, then one RESULT line."""

    def __init__(self, binary, role, args, cpu):
        argv = [binary, role] + [str(a) for a in args]
        if cpu is not None:
            argv = ["taskset", "-c", cpu] + argv
        self.argv = argv
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, bufsize=1)
        self.lines = queue.Queue()
        self.err = []
        threading.Thread(target=self._pump, args=(self.p.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()

    @staticmethod
    def _pump(f, q):
        for line in f:
            q.put(line.rstrip("\n"))
        q.put(None)

    def _pump_err(self):
        for line in self.p.stderr:
            self.err.append(line.rstrip("\n"))

    def expect(self, prefix, deadline):
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("timeout waiting for %s from %s" % (prefix, " ".join(self.argv)))
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                time.sleep(0.05)
                raise RuntimeError("%s exited: %s" % (" ".join(self.argv), " | ".join(self.err[-3:])))
            if line.startswith(prefix):
                return line

    def send(self, text):
        self.p.stdin.write(text + "\n")
        self.p.stdin.flush()

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


def parse_kv(line):
    out = {}
    for tok in line.split()[1:]:
        if "=" in tok:
            k, v = tok.split("=", 1)
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def run_group(binary, specs, want_result):
    """Start every (role, args, cpu), wait for all READY, send GO, collect the RESULT
    lines of the processes whose index is in want_result. Returns {index: dict}."""
    procs = []
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        for role, args, cpu in specs:
            procs.append(Proc(binary, role, args, cpu))
        for p in procs:
            p.expect("READY", deadline)
        for p in procs:
            p.send("GO")
        results = {}
        for i in want_result:
            results[i] = parse_kv(procs[i].expect("RESULT", deadline))
        for p in procs:
            left = max(0.1, deadline - time.monotonic())
            try:
                p.p.wait(timeout=left)
            except subprocess.TimeoutExpired:
                raise RuntimeError("%s did not exit" % " ".join(p.argv))
            if p.p.returncode != 0:
                raise RuntimeError("%s failed: %s" % (" ".join(p.argv), " | ".join(p.err[-3:])))
        return results
    finally:
        for p in procs:
            p.kill()


def free_port(n=1):
    """A base port with n consecutive free ports on 127.0.0.1."""
    for _ in range(200):
        base = random.randint(20000, 60000 - n)
        socks = []
        try:
            for i in range(n):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", base + i))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    die("no free ports")


def ep(port):
    return "tcp://127.0.0.1:%d" % port


def lib_args(lib):
    if lib == "mz":
        return ["--lib", "mz", "--ring", MZ_RING, "--rxbuf", MZ_RXBUF, "--ref-min", REF_MIN]
    return ["--lib", "zmq", "--hwm", ZMQ_HWM, "--ref-min", REF_MIN]


# ----------------------------------------------------------------------------------------
# Measurements: each returns one number (or a dict of numbers) for one run


def m_thr(binary, cpus, pattern, size, count, tx, rx, curve=False):
    port = free_port()
    common = ["--pattern", pattern, "--ep", ep(port), "--size", size, "--count", count,
              "--curve", int(curve)]
    r = run_group(binary, [("thr-send", lib_args(tx) + common, cpus[0]),
                           ("thr-recv", lib_args(rx) + common, cpus[1])], [0, 1])
    # CPU time of each process (all its threads, user + system) per message
    return {"rate": r[1]["msg_per_s"], "send_ns": r[0]["cpu_s"] / count * 1e9,
            "recv_ns": r[1]["cpu_s"] / count * 1e9}


def m_lat(binary, cpus, pattern, size, count, lib, curve=False):
    p1, p2 = free_port(), free_port()
    common = lib_args(lib) + ["--pattern", pattern, "--ep", ep(p1), "--ep2", ep(p2),
                              "--size", size, "--count", count, "--warmup", LAT_WARMUP,
                              "--curve", int(curve)]
    if lib == "mz":
        common += ["--accept-ivl", ACCEPT_IVL]
    r = run_group(binary, [("lat-pong", common, cpus[1]), ("lat-ping", common, cpus[0])], [1])
    return {k: r[1][k] for k in ("mean_us", "p50_us", "p99_us")}


def m_fanout(binary, cpus, pattern, lib, peers):
    port = free_port()
    common = lib_args(lib) + ["--pattern", pattern, "--ep", ep(port), "--size", FANOUT_SIZE,
                              "--count", FANOUT_COUNT]
    specs = [("thr-send", common + ["--peers", peers], cpus[0])]
    specs += [("thr-recv", common, cpus[1])] * peers
    r = run_group(binary, specs, list(range(1, peers + 1)))
    t0 = min(v["t0"] for v in r.values())
    t1 = max(v["t1"] for v in r.values())
    total = sum(v["msgs"] for v in r.values())
    return total / ((t1 - t0) / 1e9)


def m_mem(binary, cpus, lib):
    """RSS growth of a process with 4 PUB sockets from 1 to 100 connected subscribers,
    per connection, in bytes. The subscribers are libzmq SUB sockets in a helper process
    (the same for both libraries); every socket publishes 100 messages of 64 B at each
    step, so that every connection's buffers exist."""
    base = free_port(MEM_SOCKETS)
    args = lib_args(lib) + ["--ep", ep(base), "--sockets", MEM_SOCKETS]
    if lib == "mz":
        args = ["--lib", "mz", "--ring", MEM_RING, "--rxbuf", MEM_RXBUF, "--ep", ep(base),
                "--sockets", MEM_SOCKETS]
    deadline = time.monotonic() + RUN_TIMEOUT
    pub = Proc(binary, "mem-pub", args, cpus[0])
    peers = Proc(binary, "mem-peers", ["--ep", ep(base), "--sockets", MEM_SOCKETS], cpus[1])
    try:
        info = parse_kv(pub.expect("READY", deadline))
        peers.expect("READY", deadline)
        rss = {}
        for n in MEM_PEERS:
            peers.send(str(n))
            peers.expect("OK", deadline)
            pub.send(str(n))
            rss[n] = parse_kv(pub.expect("RSS", deadline))["kb"]
        pub.send("q")
        peers.send("q")
        lo, hi = MEM_PEERS
        out = {"per_conn": (rss[hi] - rss[lo]) * 1024.0 / (hi - lo), "rss_1": rss[lo],
               "rss_100": rss[hi]}
        if lib == "mz":
            out["static_per_slot"] = info["sock_bytes"] / 32.0 + info["rxbuf"]
        return out
    finally:
        pub.kill()
        peers.kill()


def scale_lib_args(lib):
    if lib == "mz":
        return ["--lib", "mz", "--ring", MZ_RING, "--rxbuf", SCALE_RXBUF, "--ref-min", 0]
    return ["--lib", "zmq", "--hwm", ZMQ_HWM, "--ref-min", 0]


def spread(total, procs):
    return [total // procs + (1 if k < total % procs else 0) for k in range(procs)]


# bench_zmtp's role for the peers of each scale test, per kind
PEER_ROLE = {"fanout": {"zmq": "fan-subs", "raw": "raw-subs"},
             "router": {"zmq": "dealers", "raw": "raw-dealers"}}


def peer_procs(kind, libzmq_procs):
    """The processes the peers run in: libzmq sockets (@kind "zmq") in @libzmq_procs,
    raw ZMTP connections ("raw") in one epoll process."""
    return libzmq_procs if kind == "zmq" else 1


def busy(cpu_s, t0, t1):
    """The share of one core that @cpu_s seconds of CPU took between @t0 and @t1 (ns)."""
    return cpu_s / ((t1 - t0) / 1e9) if t1 > t0 else None


def server_busy(m):
    """The share of a core the server took at the rate measured: its CPU per delivery or
    round trip times the rate (both medians of the runs)."""
    if m.get("cpu_ns") is None or m.get("rate") is None:
        return None
    return m["cpu_ns"] * m["rate"] / 1e9


def m_fanout_scale(binary, cpus, lib, peers, count, kind):
    """One PUB of @lib, @peers SUBs of @kind (PEER_KINDS), @count 64 B messages each:
    deliveries per second, first to last message at the subscribers."""
    port = free_port()
    role = PEER_ROLE["fanout"][kind]
    specs = [("thr-send", scale_lib_args(lib) + ["--pattern", "pubsub", "--ep", ep(port),
                                                 "--size", FANOUT_SIZE, "--count", count,
                                                 "--peers", peers], cpus[0])]
    specs += [(role, ["--ep", ep(port), "--size", FANOUT_SIZE, "--count", count,
                      "--conns", k, "--hwm", ZMQ_HWM], cpus[1])
              for k in spread(peers, peer_procs(kind, min(peers, FANOUT_SCALE_PROCS)))]
    r = run_group(binary, specs, list(range(0, len(specs))))
    subs = [v for i, v in r.items() if i > 0]
    t0 = min(v["t0"] for v in subs)
    t1 = max(v["t1"] for v in subs)
    n = sum(v["msgs"] for v in subs)
    peer_cpu = sum(v["run_cpu_s"] for v in subs)
    # the publisher's own CPU (user + sys, all its threads) from its first message until
    # all are out, per delivery: what the server costs, whichever core bounds the rate
    return {"rate": n / ((t1 - t0) / 1e9), "cpu_ns": r[0]["run_cpu_s"] / n * 1e9,
            "peer_cpu_ns": peer_cpu / n * 1e9, "peer_busy": busy(peer_cpu, t0, t1)}


def m_router(binary, cpus, lib, kind):
    """One ROUTER of @lib echoing, ROUTER_DEALERS DEALERs of @kind (PEER_KINDS), one
    request in flight each, after a warm-up round trip each: round trips per second."""
    port = free_port()
    deadline = time.monotonic() + RUN_TIMEOUT
    role = PEER_ROLE["router"][kind]
    procs = [Proc(binary, "router-echo", scale_lib_args(lib) + [
        "--ep", ep(port), "--peers", ROUTER_DEALERS, "--count", ROUTER_COUNT,
        "--size", ROUTER_SIZE], cpus[0])]
    try:
        for k in spread(ROUTER_DEALERS, peer_procs(kind, ROUTER_PROCS)):
            procs.append(Proc(binary, role, ["--ep", ep(port), "--conns", k, "--count",
                                             ROUTER_COUNT, "--size", ROUTER_SIZE], cpus[1]))
        for p in procs:
            p.expect("READY", deadline)
        for p in procs:
            p.send("GO")
        for p in procs[1:]:
            p.expect("WARM", deadline)
        for p in procs[1:]:
            p.send("RUN")
        r = [parse_kv(p.expect("RESULT", deadline)) for p in procs[1:]]
        srv = parse_kv(procs[0].expect("RESULT", deadline))
        t0 = min(v["t0"] for v in r)
        t1 = max(v["t1"] for v in r)
        n = sum(v["msgs"] for v in r)
        peer_cpu = sum(v["run_cpu_s"] for v in r)
        # the ROUTER process's own CPU (user + sys, all threads) over the timed round trips
        return {"rate": n / ((t1 - t0) / 1e9), "cpu_ns": srv["run_cpu_s"] / srv["run_msgs"] * 1e9,
                "peer_cpu_ns": peer_cpu / n * 1e9, "peer_busy": busy(peer_cpu, t0, t1)}
    finally:
        for p in procs:
            p.kill()


def m_storm(binary, cpus, lib):
    """STORM_CONNS raw ZMTP connections (SUB, subscribing) to one PUB of @lib, at most
    STORM_WINDOW connecting at once: seconds from the first connect until the server has
    every one subscribed, and the server's RSS growth per connection once they sit idle."""
    port = free_port()
    deadline = time.monotonic() + RUN_TIMEOUT
    srv = Proc(binary, "storm-server", scale_lib_args(lib) + [
        "--ep", ep(port), "--peers", STORM_CONNS, "--timeout", int(RUN_TIMEOUT * 1000)], cpus[0])
    cli = None
    try:
        cli = Proc(binary, "storm-clients", ["--ep", ep(port), "--conns", STORM_CONNS, "--window",
                                             STORM_WINDOW, "--timeout", int(RUN_TIMEOUT * 1000)],
                   cpus[1])
        srv.expect("READY", deadline)
        cli.expect("READY", deadline)
        srv.send("GO")
        cli.send("GO")
        c = parse_kv(cli.expect("RESULT", deadline))
        s = parse_kv(srv.expect("RESULT", deadline))
        cli.send("q")  # the clients reset their connections first: no TIME_WAIT
        cli.p.wait(timeout=10)
        srv.send("q")
        return {"secs": (s["up_ns"] - c["t0"]) / 1e9, "clients_secs": (c["t1"] - c["t0"]) / 1e9,
                # everything the socket costs, its own struct included, per connection
                "per_conn": (s["rss1_kb"] - s["rss_pre_kb"]) * 1024.0 / STORM_CONNS,
                # what connecting the peers added to an open, bound socket
                "growth": (s["rss1_kb"] - s["rss0_kb"]) * 1024.0 / STORM_CONNS,
                "rss_pre_kb": s["rss_pre_kb"], "rss0_kb": s["rss0_kb"], "rss1_kb": s["rss1_kb"]}
    finally:
        srv.kill()
        if cli is not None:
            cli.kill()


def m_tcp_thr(binary, cpus, total=TCP_BYTES):
    """Raw TCP stream of @total bytes in 1 MiB writes: bytes per second."""
    port = free_port()
    args = ["--ep", ep(port), "--size", 1 << 20, "--count", max(1, total >> 20)]
    r = run_group(binary, [("tcp-send", args, cpus[0]), ("tcp-recv", args, cpus[1])], [1])
    return r[1]["MB_per_s"] * 1e6


def m_tcp_lat(binary, cpus, size, count):
    port = free_port()
    args = ["--ep", ep(port), "--size", size, "--count", count, "--warmup", LAT_WARMUP]
    r = run_group(binary, [("tcp-pong", args, cpus[1]), ("tcp-ping", args, cpus[0])], [1])
    return {k: r[1][k] for k in ("mean_us", "p50_us", "p99_us")}


# ----------------------------------------------------------------------------------------
# Driver


def median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def each_lib(runs, measure):
    """@runs rounds, each measuring every library of LIBS in turn. @return {lib: [measure(lib)
    of each round]} (None where a run failed)."""
    vals = {lib: [] for lib in LIBS}
    for _ in range(runs):
        for lib in LIBS:
            vals[lib].append(measure(lib))
    return vals


def median_fields(vals, keys):
    """Per library, the median of each field of @keys over the runs that gave it."""
    return {lib: {k: median([r[k] for r in vals[lib] if r and k in r]) for k in keys} for lib in LIBS}


def spread_of(runs, key, form):
    """The runs' @key, lowest to highest (a failed run as FAIL), and the spread around the
    median: "1.2M/1.3M/1.4M (+-8%)"."""
    got = sorted(r[key] for r in runs if r and r.get(key) is not None)
    text = "/".join([form(v) for v in got] + ["FAIL"] * (len(runs) - len(got)))
    mid = median(got)
    if len(got) > 1 and mid:
        text += " (+-%.0f%%)" % ((got[-1] - got[0]) / 2.0 / mid * 100)
    return text


def fmt_rate(v):
    if v is None:
        return "FAIL"
    if v >= 1e6:
        return "%.2fM" % (v / 1e6)
    if v >= 1e3:
        return "%.1fk" % (v / 1e3)
    return "%.0f" % v


def fmt_bytes(v):
    if v is None:
        return "FAIL"
    if v >= 1e9:
        return "%.2f GB/s" % (v / 1e9)
    return "%.0f MB/s" % (v / 1e6)


def fmt_pct(v):
    return "FAIL" if v is None else "%.0f%%" % (100.0 * v)


def fmt(v, spec="%.2f"):
    return "FAIL" if v is None else spec % v


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


class Report:
    def __init__(self):
        self.md = []
        self.ratios = []
        self.data = {}

    def table(self, title, header, rows, note=None):
        print()
        print(title)
        widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
        for r in [header] + rows:
            print("  " + "  ".join(str(c).rjust(w) for c, w in zip(r, widths)))
        if note:
            print("  " + note)
        self.md.append("#### " + title + "\n")
        self.md.append("| " + " | ".join(header) + " |")
        self.md.append("|" + "|".join("---:" for _ in header) + "|")
        for r in rows:
            self.md.append("| " + " | ".join(str(c) for c in r) + " |")
        if note:
            self.md.append("\n" + note)
        self.md.append("")

    def ratio(self, metric, placement, value):
        self.ratios.append("RATIO metric=%s placement=%s value=%s"
                           % (metric, placement, "FAIL" if value is None else "%.3f" % value))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="1 run, a quarter of the messages")
    ap.add_argument("--only", default="tcp,thr,lat,fanout,mem,router,storm,curve")
    ap.add_argument("--patterns", default="pubsub,pushpull,reqrep")
    ap.add_argument("--placements", default="same,split")
    ap.add_argument("--peer-kinds", default=",".join(PEER_KINDS),
                    help="the peers of the fan-out and ROUTER scale tests: zmq, raw or both")
    ap.add_argument("--sizes", default=None, help="throughput sizes, comma separated")
    ap.add_argument("--no-mixed", action="store_true", help="skip mz->zmq and zmq->mz pairs")
    ap.add_argument("--markdown", default=None, help="also write the tables as markdown here")
    ap.add_argument("--json", default=None, help="also write every raw number here")
    a = ap.parse_args()

    binary = os.path.join(a.build_dir, "bench", "bench_zmtp")
    if not os.access(binary, os.X_OK):
        die("%s not found: build with the bench enabled first" % binary)
    scale_binary = os.path.join(a.build_dir, "bench", SCALE_BINARY)
    if not os.access(scale_binary, os.X_OK) and set(a.only.split(",")) & {"fanout", "router", "storm"}:
        die("%s not found: build the bench_zmtp_scale target too" % scale_binary)
    if shutil.which("taskset") is None:
        die("taskset not found (util-linux)")
    cache = os.path.join(a.build_dir, "CMakeCache.txt")
    if os.path.exists(cache):
        for line in open(cache):
            if line.startswith("CMAKE_BUILD_TYPE:") and line.strip().split("=", 1)[1] in ("", "Debug"):
                print("run.py: warning: %s is not an optimised build" % a.build_dir, file=sys.stderr)
    runs = 1 if a.quick else a.runs
    scale = 4 if a.quick else 1
    only = set(a.only.split(","))
    peer_kinds = [k for k in a.peer_kinds.split(",") if k]
    for k in peer_kinds:
        if k not in PEER_KINDS:
            die("unknown peer kind %s" % k)
    patterns = [p for p in a.patterns.split(",") if p]
    for p in patterns:
        if p not in PATTERNS:
            die("unknown pattern %s" % p)
    ncpu = os.cpu_count() or 1
    placements = {}
    for pl in a.placements.split(","):
        if pl == "same":
            placements["same"] = ("0", "0")
        elif pl == "split":
            if ncpu < 2:
                print("run.py: one CPU: no split placement", file=sys.stderr)
                continue
            placements["split"] = ("0", "1")
        else:
            die("unknown placement %s" % pl)
    thr_sizes = [int(s) for s in a.sizes.split(",")] if a.sizes else sorted(THR_COUNT)

    cpu_model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    print("microzmtp vs libzmq %s: %d CPUs (%s), %d run(s) each, medians; placements %s"
          % (".".join(map(str, _zmq_version(binary))), ncpu, cpu_model, runs,
             ", ".join("%s=cpu%s/cpu%s" % (k, v[0], v[1]) for k, v in placements.items())))
    load = _loadavg()
    print("load average at start: %s" % load)
    try:
        if float(load.split()[0]) > 0.5:
            print("run.py: warning: other processes are busy; numbers will be noisy", file=sys.stderr)
    except (ValueError, IndexError):
        pass
    t_start = time.monotonic()
    rep = Report()
    failures = []

    last = [time.monotonic()]
    sections = []

    def section_done(name):
        now = time.monotonic()
        sections.append("%s %.0f s" % (name, now - last[0]))
        last[0] = now

    def attempt(fn, *args):
        try:
            return fn(*args)
        except RuntimeError as e:
            failures.append(str(e))
            print("run.py: FAILED: %s" % e, file=sys.stderr)
            return None

    global MZ_RXBUF
    for pl, cpus in placements.items():
        MZ_RXBUF = MZ_RXBUF_BY_PLACEMENT[pl]
        # ---- raw TCP: the physical limit ----
        tcp_thr, tcp_lat = None, {}
        if "tcp" in only:
            tcp_thr = median([attempt(m_tcp_thr, binary, cpus) for _ in range(runs)])
            for size in sorted(LAT_COUNT):
                rs = [attempt(m_tcp_lat, binary, cpus, size, LAT_COUNT[size] // scale) for _ in range(runs)]
                tcp_lat[size] = {k: median([r[k] for r in rs if r]) for k in ("mean_us", "p50_us", "p99_us")}
            rep.table("Raw TCP loopback, placement=%s (median of %d)" % (pl, runs),
                      ["what", "value"],
                      [["stream, 1 MiB writes", fmt_bytes(tcp_thr)]] +
                      [["ping-pong %d B one-way mean/p50/p99 us" % s,
                        "%s / %s / %s" % (fmt(v["mean_us"]), fmt(v["p50_us"]), fmt(v["p99_us"]))]
                       for s, v in sorted(tcp_lat.items())])
            rep.data.setdefault(pl, {})["tcp"] = {"stream_Bps": tcp_thr, "lat": tcp_lat}
            section_done("raw tcp %s" % pl)

        for pat in patterns:
            meta = PATTERNS[pat]
            # ---- throughput ----
            if "thr" in only and meta["thr"]:
                pairs = [("mz", "mz"), ("zmq", "zmq")]
                if not a.no_mixed:
                    pairs += [("mz", "zmq"), ("zmq", "mz")]
                rows, cpu_rows, res = [], [], {}
                for size in thr_sizes:
                    count = max(100, THR_COUNT.get(size, 100000) // scale)
                    vals = {pr: [] for pr in pairs}
                    # at 64 KiB the comparison is with raw TCP too: measured in the same
                    # rounds, so that both see the same moment of the machine
                    near_tcp = size == 65536 and "tcp" in only
                    tcp_runs = []
                    # A stream on one core settles in one of two modes for a whole run here
                    # (about 2 or about 6 GB/s, raw TCP and microzmtp alike): against raw
                    # TCP, microzmtp and the raw stream get two more rounds (medians of 5).
                    for r in range(runs + (2 if near_tcp and runs >= 3 else 0)):
                        for pr in (pairs if r < runs else [("mz", "mz")]):  # alternate the
                            # libraries within every round
                            vals[pr].append(attempt(m_thr, binary, cpus, pat, size, count, *pr))
                        if near_tcp:  # the same number of bytes, so the same TCP ramp-up
                            tcp_runs.append(attempt(m_tcp_thr, binary, cpus, count * size))
                    med = {pr: median([v["rate"] for v in vals[pr] if v]) for pr in pairs}
                    cpu = {pr: {k: median([v[k] for v in vals[pr] if v]) for k in ("send_ns", "recv_ns")}
                           for pr in pairs}
                    res[size] = {"%s->%s" % pr: {"median": med[pr], "cpu_ns": cpu[pr], "runs": vals[pr]}
                                 for pr in pairs}
                    mm, zz = med[("mz", "mz")], med[("zmq", "zmq")]
                    row = [size, fmt_rate(mm), fmt_rate(zz), fmt(ratio(mm, zz)),
                           fmt_bytes(mm * size if mm else None), fmt_bytes(zz * size if zz else None)]
                    if not a.no_mixed:
                        mzx, zmx = med[("mz", "zmq")], med[("zmq", "mz")]
                        row += [fmt_rate(mzx), fmt_rate(zmx)]
                    tcp_ref = median(tcp_runs) if tcp_runs else tcp_thr
                    row.append("%.0f%%" % (100.0 * mm * size / tcp_ref) if (tcp_ref and mm) else "-")
                    rows.append(row)
                    cm, cz = cpu[("mz", "mz")], cpu[("zmq", "zmq")]
                    tot = lambda c: (c["send_ns"] + c["recv_ns"]) if None not in c.values() else None
                    cpu_rows.append([size] + [fmt(c[k], "%.0f") for c in (cm, cz) for k in ("send_ns", "recv_ns")]
                                    + [fmt(ratio(tot(cz), tot(cm)))])
                    rep.ratio("thr_%s_%dB" % (pat, size), pl, ratio(mm, zz))
                    if near_tcp:
                        # against the physical limit: bytes per second / raw TCP's
                        rep.ratio("thr_%s_%dB_vs_tcp" % (pat, size), pl,
                                  ratio(mm * size if mm else None, median(tcp_runs)))
                        res[size]["raw_tcp_Bps"] = {"median": median(tcp_runs), "runs": tcp_runs}
                    if not a.no_mixed:
                        # the same libzmq peer on the other side: our sender vs libzmq's
                        # sender, our receiver vs libzmq's receiver
                        rep.ratio("thr_%s_%dB_sender" % (pat, size), pl, ratio(med[("mz", "zmq")], zz))
                        rep.ratio("thr_%s_%dB_receiver" % (pat, size), pl, ratio(med[("zmq", "mz")], zz))
                    rep.ratio("cpu_%s_%dB" % (pat, size), pl, ratio(tot(cz), tot(cm)))
                hdr = ["size B", "microzmtp msg/s", "libzmq msg/s", "ratio", "microzmtp", "libzmq"]
                if not a.no_mixed:
                    hdr += ["mz->zmq msg/s", "zmq->mz msg/s"]
                hdr.append("mz / raw TCP")
                rep.table("Throughput %s, placement=%s (median of %d, counted at the receiver)"
                          % (meta["label"], pl, runs), hdr, rows)
                rep.table("CPU time per message %s, placement=%s (ns, user+system, all threads; "
                          "median of %d)" % (meta["label"], pl, runs),
                          ["size B", "mz send", "mz recv", "zmq send", "zmq recv", "ratio zmq/mz"],
                          cpu_rows)
                rep.data.setdefault(pl, {})["thr_" + pat] = res
                section_done("throughput %s %s" % (pat, pl))

            # ---- latency ----
            if "lat" in only and meta["lat"]:
                rows, res = [], {}
                for size in sorted(LAT_COUNT):
                    vals = {lib: [] for lib in LIBS}
                    tcp_runs = []
                    for _ in range(runs):
                        for lib in LIBS:
                            vals[lib].append(attempt(m_lat, binary, cpus, pat, size,
                                                     LAT_COUNT[size] // scale, lib))
                        if "tcp" in only and pl == "same":  # the target's placement: raw
                            # TCP in the same rounds (see throughput)
                            tcp_runs.append(attempt(m_tcp_lat, binary, cpus, size,
                                                    LAT_COUNT[size] // scale))
                    med = {lib: {k: median([r[k] for r in vals[lib] if r])
                                 for k in ("mean_us", "p50_us", "p99_us")} for lib in LIBS}
                    res[size] = med
                    t = ({k: median([r[k] for r in tcp_runs if r]) for k in ("mean_us", "p50_us", "p99_us")}
                         if tcp_runs else tcp_lat.get(size, {}))
                    res[size]["raw_tcp"] = t
                    rows.append([size] + ["%s/%s/%s" % (fmt(med[l]["mean_us"]), fmt(med[l]["p50_us"]),
                                                        fmt(med[l]["p99_us"])) for l in LIBS] +
                                ["/".join(fmt(r) for r in (ratio(med["zmq"][k], med["mz"][k])
                                                           for k in ("mean_us", "p50_us", "p99_us")))] +
                                ["%s/%s/%s" % (fmt(t.get("mean_us")), fmt(t.get("p50_us")),
                                               fmt(t.get("p99_us"))) if t else "-"])
                    for k, name in (("mean_us", "mean"), ("p50_us", "p50"), ("p99_us", "p99")):
                        rep.ratio("lat_%s_%dB_%s" % (pat, size, name), pl, ratio(med["zmq"][k], med["mz"][k]))
                    # against raw TCP plus the 2 us the targets allow: above 1 = within 2 us
                    for k, name in (("mean_us", "mean"), ("p50_us", "p50")) if "tcp" in only else ():
                        tk = t.get(k)
                        rep.ratio("lat_%s_%dB_%s_vs_tcp_plus_2us" % (pat, size, name), pl,
                                  ratio(tk + 2.0 if tk is not None else None, med["mz"][k]))
                rep.table("One-way latency %s (round trip / 2, us: mean/p50/p99), placement=%s "
                          "(median of %d)" % (meta["label"], pl, runs),
                          ["size B", "microzmtp", "libzmq", "ratio zmq/mz", "raw TCP"], rows,
                          ("PUB/SUB has no way back: two pairs, A pub->B sub and B pub->A sub. "
                           if pat == "pubsub" else "") +
                          "microzmtp's bound sockets poll their listener every %d ms while one "
                          "peer keeps them busy (mzmtp_posix_set_accept_interval)." % ACCEPT_IVL)
                rep.data.setdefault(pl, {})["lat_" + pat] = res
                section_done("latency %s %s" % (pat, pl))

            # ---- fan-out ----
            if "fanout" in only and meta["fanout"]:
                for peers in FANOUT_PEERS:
                    vals = {lib: [] for lib in LIBS}
                    for _ in range(runs):
                        for lib in LIBS:
                            vals[lib].append(attempt(m_fanout, binary, cpus, pat, lib, peers))
                    med = {lib: median(vals[lib]) for lib in LIBS}
                    rep.table("Fan-out %s to %d subscriber%s, %d B, placement=%s (median of %d)"
                              % (meta["label"], peers, "s" if peers > 1 else "", FANOUT_SIZE, pl, runs),
                              ["library", "deliveries/s (all subscribers)", "per subscriber msg/s"],
                              [[NAMES[l], fmt_rate(med[l]), fmt_rate(med[l] / peers if med[l] else None)]
                               for l in LIBS] + [["ratio mz/zmq", fmt(ratio(med["mz"], med["zmq"])), ""]],
                              "one process per subscriber, same library on both sides (publisher on "
                              "cpu%s, subscribers on cpu%s)" % cpus)
                    rep.ratio("fanout_%s_%dx%dB" % (pat, peers, FANOUT_SIZE), pl,
                              ratio(med["mz"], med["zmq"]))
                    rep.data.setdefault(pl, {})["fanout_%s_%d" % (pat, peers)] = {"median": med, "runs": vals}
                if pat == "pubsub":
                    for (peers, count), kind in [(pc, k) for pc in sorted(FANOUT_SCALE.items())
                                                 for k in peer_kinds]:
                        vals = each_lib(runs, lambda lib: attempt(m_fanout_scale, scale_binary, cpus,
                                                                  lib, peers, max(100, count // scale),
                                                                  kind))
                        med = median_fields(vals, ("rate", "cpu_ns", "peer_cpu_ns", "peer_busy"))
                        rate = {l: med[l]["rate"] for l in LIBS}
                        cpu = {l: med[l]["cpu_ns"] for l in LIBS}
                        nprocs = peer_procs(kind, min(peers, FANOUT_SCALE_PROCS))
                        rep.table("Fan-out PUB->SUB to %d %s subscribers, %d B, placement=%s (median of %d)"
                                  % (peers, PEER_LABEL[kind], FANOUT_SIZE, pl, runs),
                                  ["library (PUB)", "deliveries/s (all subscribers)", "per subscriber msg/s",
                                   "runs (deliveries/s)", "PUB CPU ns/delivery", "PUB core busy",
                                   "SUBs' CPU ns/delivery", "SUBs' core busy"],
                                  [[NAMES[l], fmt_rate(rate[l]), fmt_rate(rate[l] / peers if rate[l] else None),
                                    spread_of(vals[l], "rate", fmt_rate), fmt(cpu[l], "%.1f"),
                                    fmt_pct(server_busy(med[l])),
                                    fmt(med[l]["peer_cpu_ns"], "%.1f"), fmt_pct(med[l]["peer_busy"])]
                                   for l in LIBS] +
                                  [["ratio mz/zmq", fmt(ratio(rate["mz"], rate["zmq"])), "", "",
                                    "zmq/mz " + fmt(ratio(cpu["zmq"], cpu["mz"])), "", "", ""]],
                                  "the PUB differs; the subscribers are %s in %d process%s for "
                                  "both (publisher on cpu%s, subscribers on cpu%s). The rate is bound "
                                  "by the subscribers' core where it is busy near 100%% (split placement): "
                                  "the PUB process's own CPU (user+sys, first message to last out) per "
                                  "delivery is the server's cost; target: ratio >= 1.5 (issue 11)"
                                  % ((PEER_WHAT[kind], nprocs, "es" if nprocs > 1 else "") + cpus))
                        sfx = "" if kind == "zmq" else "_rawpeers"
                        rep.ratio("fanout_pubsub_%dx%dB%s" % (peers, FANOUT_SIZE, sfx), pl,
                                  ratio(rate["mz"], rate["zmq"]))
                        rep.ratio("fanout_pubsub_%dx%dB%s_cpu" % (peers, FANOUT_SIZE, sfx), pl,
                                  ratio(cpu["zmq"], cpu["mz"]))
                        rep.data.setdefault(pl, {})["fanout_pubsub_%d%s" % (peers, sfx)] = {
                            "median": med, "runs": vals}
                section_done("fan-out %s %s" % (pat, pl))

        # ---- ROUTER with 1,000 DEALERs ----
        if "router" in only:
            for kind in peer_kinds:
                vals = each_lib(runs, lambda lib: attempt(m_router, scale_binary, cpus, lib, kind))
                med = median_fields(vals, ("rate", "cpu_ns", "peer_cpu_ns", "peer_busy"))
                rate = {l: med[l]["rate"] for l in LIBS}
                cpu = {l: med[l]["cpu_ns"] for l in LIBS}
                nprocs = peer_procs(kind, ROUTER_PROCS)
                rep.table("ROUTER <-> %d %s DEALERs, %d B, one request in flight each, placement=%s "
                          "(median of %d)" % (ROUTER_DEALERS, PEER_LABEL[kind], ROUTER_SIZE, pl, runs),
                          ["library (ROUTER)", "round trips/s (all DEALERs)", "runs (round trips/s)",
                           "ROUTER CPU ns/round trip", "ROUTER core busy", "DEALERs' CPU ns/round trip",
                           "DEALERs' core busy"],
                          [[NAMES[l], fmt_rate(rate[l]), spread_of(vals[l], "rate", fmt_rate),
                            fmt(cpu[l], "%.0f"), fmt_pct(server_busy(med[l])),
                            fmt(med[l]["peer_cpu_ns"], "%.0f"), fmt_pct(med[l]["peer_busy"])] for l in LIBS] +
                          [["ratio mz/zmq", fmt(ratio(rate["mz"], rate["zmq"])), "",
                            "zmq/mz " + fmt(ratio(cpu["zmq"], cpu["mz"])), "", "", ""]],
                          "the ROUTER differs; the DEALERs are %s in %d process%s for both, %d timed "
                          "round trips each after one warm-up. The rate is bound by the DEALERs' core "
                          "where it is busy near 100%% (split placement): the ROUTER process's own CPU "
                          "(user+sys) over the timed round trips is the server's cost; target: ratio "
                          ">= 1.5 (issue 11)" % (PEER_WHAT[kind], nprocs, "es" if nprocs > 1 else "",
                                                 ROUTER_COUNT))
                sfx = "" if kind == "zmq" else "_rawpeers"
                rep.ratio("router_dealers_%d%s" % (ROUTER_DEALERS, sfx), pl, ratio(rate["mz"], rate["zmq"]))
                rep.ratio("router_dealers_%d%s_cpu" % (ROUTER_DEALERS, sfx), pl, ratio(cpu["zmq"], cpu["mz"]))
                rep.data.setdefault(pl, {})["router" + sfx] = {"median": med, "runs": vals}
            section_done("router %s" % pl)

        # ---- connect storm: 10,000 connections; RSS per idle connection ----
        if "storm" in only:
            vals = each_lib(runs, lambda lib: attempt(m_storm, scale_binary, cpus, lib))
            med = median_fields(vals, ("secs", "clients_secs", "per_conn", "growth", "rss_pre_kb",
                                       "rss0_kb", "rss1_kb"))
            rep.table("Connect storm: %d connections (%d connecting at once), placement=%s (median of %d)"
                      % (STORM_CONNS, STORM_WINDOW, pl, runs),
                      ["library (PUB)", "all subscribed s", "connections/s", "RSS before KiB",
                       "RSS bound KiB", "RSS with %d KiB" % STORM_CONNS, "RSS per connection B",
                       "growth per connection B"],
                      [[NAMES[l], fmt(med[l]["secs"], "%.3f"),
                        fmt_rate(STORM_CONNS / med[l]["secs"] if med[l]["secs"] else None),
                        fmt(med[l]["rss_pre_kb"], "%.0f"), fmt(med[l]["rss0_kb"], "%.0f"),
                        fmt(med[l]["rss1_kb"], "%.0f"), fmt(med[l]["per_conn"], "%.0f"),
                        fmt(med[l]["growth"], "%.0f")] for l in LIBS] +
                      [["ratio zmq/mz", fmt(ratio(med["zmq"]["secs"], med["mz"]["secs"])), "", "", "", "",
                        fmt(ratio(med["zmq"]["per_conn"], med["mz"]["per_conn"])),
                        fmt(ratio(med["zmq"]["growth"], med["mz"]["growth"]))]],
                      "the clients are raw ZMTP 3.1 SUBs (NULL, SUBSCRIBE) from one epoll process, the "
                      "same for both; time from the first connect until the server has all %d "
                      "subscribed. RSS of the server process once they sit idle for 0.5 s: per "
                      "connection = (with - before the first library call) / %d, the socket's own "
                      "memory included (the RATIO line); growth = (with - bound) / %d (microzmtp: "
                      "%d B receive buffer per peer). Targets: ratio >= 1.5, <= 1 KB per "
                      "connection (issue 11)" % (STORM_CONNS, STORM_CONNS, STORM_CONNS, SCALE_RXBUF))
            rep.ratio("connect_storm_%d" % STORM_CONNS, pl, ratio(med["zmq"]["secs"], med["mz"]["secs"]))
            rep.ratio("mem_per_conn_%d" % STORM_CONNS, pl,
                      ratio(med["zmq"]["per_conn"], med["mz"]["per_conn"]))
            rep.data.setdefault(pl, {})["storm"] = {"median": med, "runs": vals}
            section_done("storm %s" % pl)

        # ---- memory per connection ----
        if "mem" in only:
            vals = each_lib(runs, lambda lib: attempt(m_mem, binary, cpus, lib))
            med = median_fields(vals, ("per_conn", "rss_1", "rss_100", "static_per_slot"))
            rep.table("Memory per connection, placement=%s (median of %d)" % (pl, runs),
                      ["library", "RSS 1 peer KiB", "RSS 100 peers KiB", "growth per peer B"],
                      [[NAMES[l], fmt(med[l]["rss_1"], "%.0f"), fmt(med[l]["rss_100"], "%.0f"),
                        fmt(med[l]["per_conn"], "%.0f")] for l in LIBS] +
                      [["ratio zmq/mz", "", "", fmt(ratio(med["zmq"]["per_conn"], med["mz"]["per_conn"]))]],
                      "4 PUB sockets x 25 subscribers (microzmtp: MZMTP_CONF_MAX_PEERS 32 per socket). "
                      "microzmtp reserves its memory statically, touched pages only count in RSS: "
                      "%s B per peer slot reserved (the host build's socket struct / 32 + a %d B "
                      "receive buffer)." % (fmt(med["mz"]["static_per_slot"], "%.0f"), MEM_RXBUF))
            rep.ratio("mem_per_conn", pl, ratio(med["zmq"]["per_conn"], med["mz"]["per_conn"]))
            rep.data.setdefault(pl, {})["mem"] = {"median": med, "runs": vals}
            section_done("memory %s" % pl)

        # ---- CURVE: both libraries encrypting, side by side ----
        if "curve" in only:
            curve_section(rep, binary, cpus, pl, patterns, runs, scale, attempt)
            section_done("curve %s" % pl)

    elapsed = time.monotonic() - t_start
    print()
    print("elapsed %.0f s (%s); load average now %s; %d failed run(s)"
          % (elapsed, ", ".join(sections), _loadavg(), len(failures)))
    for line in rep.ratios:
        print(line)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("\n".join(rep.md) + "\n```\n" + "\n".join(rep.ratios) + "\n```\n")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"elapsed_s": elapsed, "failures": failures, "data": rep.data,
                       "ratios": rep.ratios}, f, indent=1, default=str)
    sys.exit(1 if failures else 0)


def size_name(size):
    return "%dKiB" % (size >> 10) if size >= 1024 and size % 1024 == 0 else "%dB" % size


def curve_section(rep, binary, cpus, pl, patterns, runs, scale, attempt):
    """CURVE throughput (PUB->SUB, PUSH->PULL at CURVE_THR_COUNT's sizes) and REQ/REP
    latency, microzmtp and libzmq alternately in every round; each side's binding socket
    is the CURVE server, no authenticator / ZAP (any client key)."""
    rows, res = [], {}
    for pat in ("pubsub", "pushpull"):
        if pat not in patterns:
            continue
        for size in sorted(CURVE_THR_COUNT):
            count = max(100, CURVE_THR_COUNT[size] // scale)
            vals = {lib: [] for lib in LIBS}
            for _ in range(runs):
                for lib in LIBS:
                    vals[lib].append(attempt(m_thr, binary, cpus, pat, size, count, lib, lib, True))
            med = {lib: median([v["rate"] for v in vals[lib] if v]) for lib in LIBS}
            mm, zz = med["mz"], med["zmq"]
            rows.append([PATTERNS[pat]["label"], size, fmt_rate(mm), fmt_rate(zz), fmt(ratio(mm, zz)),
                         fmt_bytes(mm * size if mm else None), fmt_bytes(zz * size if zz else None)])
            rep.ratio("curve_%s_%s" % (pat, size_name(size)), pl, ratio(mm, zz))
            res["thr_%s_%d" % (pat, size)] = {"median": med, "runs": vals}
    if rows:
        rep.table("CURVE throughput, placement=%s (median of %d, counted at the receiver)"
                  % (pl, runs), ["pattern", "size B", "microzmtp msg/s", "libzmq msg/s", "ratio",
                                 "microzmtp", "libzmq"], rows,
                  "target: ratio >= 1.2 (issue 9)")
    if "reqrep" in patterns:
        vals = {lib: [] for lib in LIBS}
        for _ in range(runs):
            for lib in LIBS:
                vals[lib].append(attempt(m_lat, binary, cpus, "reqrep", CURVE_LAT_SIZE,
                                         CURVE_LAT_COUNT // scale, lib, True))
        med = {lib: {k: median([r[k] for r in vals[lib] if r]) for k in ("mean_us", "p50_us", "p99_us")}
               for lib in LIBS}
        rep.table("CURVE one-way latency REQ<->REP %d B (round trip / 2, us), placement=%s "
                  "(median of %d)" % (CURVE_LAT_SIZE, pl, runs),
                  ["library", "mean", "p50", "p99"],
                  [[NAMES[l]] + [fmt(med[l][k]) for k in ("mean_us", "p50_us", "p99_us")] for l in LIBS] +
                  [["ratio zmq/mz"] + [fmt(ratio(med["zmq"][k], med["mz"][k]))
                                       for k in ("mean_us", "p50_us", "p99_us")]],
                  "target: ratio >= 1 (no worse than libzmq)")
        for k, name in (("mean_us", "mean"), ("p50_us", "p50")):
            rep.ratio("curve_reqrep_latency_%dB_%s" % (CURVE_LAT_SIZE, name), pl,
                      ratio(med["zmq"][k], med["mz"][k]))
        res["lat_reqrep_%d" % CURVE_LAT_SIZE] = {"median": med, "runs": vals}
    rep.data.setdefault(pl, {})["curve"] = res


def _loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def _zmq_version(binary):
    try:
        out = subprocess.run(["pkg-config", "--modversion", "libzmq"], capture_output=True,
                             text=True, timeout=5).stdout.strip()
        return [out or "?"]
    except (OSError, subprocess.SubprocessError):
        return ["?"]


if __name__ == "__main__":
    main()
