#!/usr/bin/python3
"""Every unit test that a profile skips runs, and passes, in another profile.

    check_skips.py BINARY...

The option profiles (tests/CMakeLists.txt) compile parts of the library out: a build of
PUB alone has no ROUTER, a build of one peer slot cannot wire three PUSHes. A test that
needs what its build lacks calls cmocka's skip() with the reason (testutil.h:
tu_socket_init, TU_NEED_PEERS), and cmocka reports it SKIPPED. This check runs every
unit binary given (test_X_PROFILE, all profiles) and fails if a test of test_X is
skipped in every profile that builds it, or fails or is skipped without a reason: a
SKIPPED line is then always "not applicable here, passed there". It prints, per test
source, how many skips it saw in which profiles.
"""
import collections
import os
import re
import subprocess
import sys

LINE = re.compile(r"^\[\s*(OK|SKIPPED|FAILED|ERROR)\s*\] (\w+)\s*$")


def main(binaries):
    if not binaries:
        print("usage: check_skips.py BINARY...", file=sys.stderr)
        return 2
    passed = collections.defaultdict(set)   # test source -> {tests that passed somewhere}
    skipped = collections.defaultdict(lambda: collections.defaultdict(set))
    bad = []
    for b in binaries:
        base = os.path.basename(b)
        m = re.match(r"^(test_\w+?)_([a-z0-9]+)$", base)
        if not m:
            print("check_skips: %s is not named test_X_PROFILE" % b, file=sys.stderr)
            return 2
        src, profile = m.groups()
        before = len(bad)
        # cmocka prints each test's lines on stdout, its closing summary on stderr
        r = subprocess.run([b], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=300)
        lines = r.stdout.splitlines()
        seen = 0
        for i, line in enumerate(lines):
            m = LINE.match(line)
            if not m:
                continue
            seen += 1
            status, test = m.groups()
            if status == "OK":
                passed[src].add(test)
            elif status == "SKIPPED":
                # testutil prints the reason on the line before cmocka's SKIPPED; a
                # cmocka line there ("[ RUN ...") means there was none
                reason = lines[i - 1].strip() if i > 0 else ""
                if not reason or reason.startswith("["):
                    bad.append("%s: %s skipped without a reason" % (base, test))
                skipped[src][test].add(profile)
            else:
                bad.append("%s: %s %s" % (base, test, status))
        if r.returncode != 0 and len(bad) == before:  # a crash, not a failed test
            bad.append("%s exited %d" % (base, r.returncode))
        if seen == 0:
            bad.append("%s printed no test result" % base)
    total = 0
    for src in sorted(skipped):
        n = sum(len(p) for p in skipped[src].values())
        total += n
        nowhere = 0
        for test, profiles in sorted(skipped[src].items()):
            if test not in passed[src]:
                nowhere += 1
                bad.append("%s: %s is skipped in %s and passes nowhere"
                           % (src, test, ",".join(sorted(profiles))))
        per = collections.Counter(p for ps in skipped[src].values() for p in ps)
        print("%s: %d skips of %d tests (%s); %s"
              % (src, n, len(skipped[src]), ", ".join("%s %d" % kv for kv in sorted(per.items())),
                 "%d of those tests pass nowhere" % nowhere if nowhere
                 else "each of those tests passes in another profile"))
    for b in bad:
        print("check_skips: " + b, file=sys.stderr)
    print("check_skips: %d binaries, %d skips in all, %d problems" % (len(binaries), total, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
