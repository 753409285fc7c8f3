#!/usr/bin/python3
"""Run the microzmtp interop tests against real libzmq (pyzmq).

    /usr/bin/python3 tests/interop/run.py --zmtpcat build/zmtpcat [MODULE...] [-v] [-k PATTERN]

MODULE is a test module name without its ``test_`` prefix (``pubsub``, ``raw``, ...);
with none, every tests/interop/test_*.py runs. The last line printed is always
``interop: N passed, N failed`` (``, N skipped`` is appended only when a test could not
run on this machine, e.g. no IPv6 loopback). The exit status is 0 only if nothing failed.
"""

import argparse
import faulthandler
import glob
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
SYSTEM_PYTHON = "/usr/bin/python3"

# pyzmq is installed for the system Python only; re-run under it if we were started by
# another interpreter.
try:
    import zmq  # noqa: F401 -- only checks that pyzmq is importable
except ImportError:
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and os.path.exists(SYSTEM_PYTHON):
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    sys.stderr.write("interop: pyzmq is not available (apt-get install python3-zmq)\n")
    print("interop: 0 passed, 1 failed")
    sys.exit(1)

# The whole suite is designed to finish well under 3 minutes; anything past this is a hang.
SUITE_WATCHDOG_S = 300


class CountingResult(unittest.TextTestResult):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.passed = 0
        self.timings = []
        self._t0 = None

    def startTest(self, test):
        self._t0 = time.monotonic()
        super().startTest(test)

    def stopTest(self, test):
        self.timings.append((time.monotonic() - self._t0, test.id()))
        super().stopTest(test)

    def addSuccess(self, test):
        self.passed += 1
        super().addSuccess(test)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zmtpcat", required=True, help="path of the zmtpcat binary under test")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per test")
    ap.add_argument("-k", dest="pattern", action="append",
                    help="only tests whose id contains this substring (repeatable)")
    ap.add_argument("modules", nargs="*", help="modules to run (default: all)")
    opts = ap.parse_args()

    zmtpcat = os.path.abspath(opts.zmtpcat)
    if not (os.path.isfile(zmtpcat) and os.access(zmtpcat, os.X_OK)):
        sys.stderr.write("interop: %s is not an executable file\n" % zmtpcat)
        print("interop: 0 passed, 1 failed")
        return 1
    os.environ["MZMTP_ZMTPCAT"] = zmtpcat
    sys.path.insert(0, HERE)

    if opts.modules:
        names = ["test_" + m[len("test_"):] if m.startswith("test_") else "test_" + m
                 for m in (n[:-3] if n.endswith(".py") else n for n in opts.modules)]
    else:
        names = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(HERE, "test_*.py")))

    loader = unittest.TestLoader()
    if opts.pattern:
        loader.testNamePatterns = ["*%s*" % p for p in opts.pattern]
    suite = unittest.TestSuite()
    load_errors = 0
    for name in names:
        try:
            suite.addTests(loader.loadTestsFromName(name))
        except Exception as e:  # a module that does not import counts as a failure
            sys.stderr.write("interop: cannot load %s: %s\n" % (name, e))
            load_errors += 1

    faulthandler.dump_traceback_later(SUITE_WATCHDOG_S, exit=True)
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=2 if opts.verbose else 1,
                                     resultclass=CountingResult)
    t0 = time.monotonic()
    result = runner.run(suite)
    faulthandler.cancel_dump_traceback_later()

    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses) + load_errors
    skipped = len(result.skipped)
    if opts.verbose:
        slow = sorted(result.timings, reverse=True)[:5]
        sys.stderr.write("slowest: %s\n" % ", ".join("%s %.2fs" % (t.split(".")[-1], d) for d, t in slow))
    sys.stderr.write("interop: suite took %.1fs\n" % (time.monotonic() - t0))
    line = "interop: %d passed, %d failed" % (result.passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    sys.stdout.flush()
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
