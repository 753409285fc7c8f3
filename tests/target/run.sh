#!/bin/sh
# run.sh BUILD "TARGETS" TIMEOUT RUN_host RUN_cm3 RUN_s390x  (called by Makefile "run")
# Runs every test program of every target, prints its cmocka count, and fails when a
# program fails, times out, prints no count, or passes a different number of tests than
# the same file on the host (the reference; missing on a target = a failure, unless the
# Makefile excludes it there, which is printed as "not built" with the reason).
set -u
B=$1; TARGETS=$2; TO=$3; RUN_host=$4; RUN_cm3=$5; RUN_s390x=$6
fail=0
count() { sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$1" | tail -n1; }
for t in $TARGETS; do
    eval "runner=\$RUN_$t"
    total=0; start=$(date +%s)
    for elf in "$B/$t"/test_*.elf; do
        [ -e "$elf" ] || continue
        n=$(basename "$elf" .elf); log="$B/$t/$n.log"
        # shellcheck disable=SC2086
        timeout "$TO" $runner "$elf" >"$log" 2>&1 </dev/null; st=$?
        c=$(count "$log"); ref=""
        [ "$t" != host ] && ref=$(count "$B/host/$n.log")
        msg="target $t $n: passed=${c:-none} exit=$st"
        if [ "$st" -ne 0 ] || [ -z "$c" ]; then
            fail=1; msg="$msg FAIL"; [ "$st" -eq 124 ] && msg="$msg (timeout ${TO}s)"
            echo "$msg"; grep -E 'FAILED|ERROR|error|fault' "$log" | head -n 20; continue
        fi
        if [ "$t" != host ] && [ "$c" != "$ref" ]; then
            fail=1; echo "$msg FAIL: host passed ${ref:-none}"; continue
        fi
        total=$((total + c)); echo "$msg ok"
    done
    for n in $(ls "$B/host" 2>/dev/null | sed -n 's/\.elf$//p'); do
        [ "$t" = host ] || [ -e "$B/$t/$n.elf" ] ||
            echo "target $t $n: not built for this target (see TGT_NO_$t in tests/target/Makefile)"
    done
    echo "target $t: $total tests passed in $(( $(date +%s) - start )) s"
done
[ "$fail" -eq 0 ] && echo "target: all passed" || echo "target: FAILED"
exit "$fail"
