#!/bin/sh
# stack_depth.sh ROOT FILE.ci... - deepest stack from function ROOT, in bytes.
#
# Reads the call graphs that gcc -fcallgraph-info=su writes (one .ci file per object: each
# function's frame size and its direct calls) and prints "N PATH": the largest sum of
# frames along any call chain from ROOT, and that chain. Library functions without a .ci
# (memcpy, memset) count as 0, calls through function pointers (the monitor callback) are
# not followed, and a frame of dynamic size or a call cycle (recursion) is an error:
# the core promises neither.
set -eu
root=$1
shift
awk -v root="$root" '
function quoted(s, key,   i, rest) {
    i = index(s, key "\"")
    if (i == 0) return ""
    rest = substr(s, i + length(key) + 1)
    return substr(rest, 1, index(rest, "\"") - 1)
}
/^node:/ {
    t = quoted($0, "title: ")
    if (match($0, /[0-9]+ bytes \([a-z,]+\)/)) {
        f = substr($0, RSTART, RLENGTH)
        split(f, w, " ")
        frame[t] = w[1] + 0
        if (f ~ /dynamic/) dynamic = dynamic " " t
    }
}
/^edge:/ {
    s = quoted($0, "sourcename: ")
    d = quoted($0, "targetname: ")
    if (!((s, d) in seen)) { seen[s, d] = 1; nout[s]++; out[s, nout[s]] = d }
}
function depth(n,   i, c, best) {
    if (n in memo) return memo[n]
    if (n in active) { cycle = cycle " " n; return 0 }
    active[n] = 1
    best = 0
    for (i = 1; i <= nout[n]; i++) {
        c = depth(out[n, i])
        if (c > best) { best = c; via[n] = out[n, i] }
    }
    delete active[n]
    memo[n] = frame[n] + best
    return memo[n]
}
function short(n) { sub(/^.*:/, "", n); return n }
END {
    if (!(root in frame)) { print "stack_depth.sh: no function " root > "/dev/stderr"; exit 2 }
    total = depth(root)
    if (dynamic != "") { print "stack_depth.sh: dynamic frames:" dynamic > "/dev/stderr"; exit 2 }
    if (cycle != "") { print "stack_depth.sh: recursion through:" cycle > "/dev/stderr"; exit 2 }
    path = short(root) "(" frame[root] ")"
    for (n = root; n in via; n = via[n]) path = path ">" short(via[n]) "(" frame[via[n]] + 0 ")"
    print total, path
}' "$@"
