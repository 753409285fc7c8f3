#!/bin/sh
# report.sh BUILD TEXT_LIMIT - print the size report from what the Makefile built in BUILD.
# report.sh --ram PROBE.o LABEL - print only "ram LABEL socket=N conn=N peer=N" for one probe.
# Environment: SIZE, NM (the cross tools), CORE_OBJS (the default-config core objects),
# PUB_CORE_OBJS and SUB_CORE_OBJS (the core objects min_pub and min_sub were linked with).
# Exit status 1 when min_pub's text exceeds TEXT_LIMIT or a program links in a heap;
# 2 when the report cannot be made (a missing symbol, recursion, a dynamic stack frame).
set -eu

here=$(dirname "$0")
SIZE=${SIZE:-arm-none-eabi-size}
NM=${NM:-arm-none-eabi-nm}
CORE_OBJS=${CORE_OBJS:-}
PUB_CORE_OBJS=${PUB_CORE_OBJS:-$CORE_OBJS}
SUB_CORE_OBJS=${SUB_CORE_OBJS:-$CORE_OBJS}
programs="min_pub min_sub"
[ -f "$1/min_pub_curve.elf" ] && [ "$1" != --ram ] && programs="$programs min_pub_curve"
CURVE_LIMIT=${CURVE_LIMIT:-16384}
fail=0

# Berkeley totals of the given files: "text data bss". Berkeley counts code, rodata and
# the vector table as text, initialised RAM as data (it also costs flash), zeroed as bss.
totals() {
    "$SIZE" -B -t "$@" | awk 'END { printf "%d %d %d\n", $1, $2, $3 }'
}

# sizeof(T) as compiled: the size of a symbol whose type is T (see ram_probe.c).
symsize() {
    hex=$("$NM" -S --defined-only "$1" | awk -v s="$2" '$4 == s { print $2 }')
    if [ -z "$hex" ]; then
        echo "report.sh: no symbol $2 in $1" >&2
        exit 2
    fi
    printf '%d' "0x$hex"
}

ram_line() {
    socket=$(symsize "$1" mzmtp_size_probe_socket)
    conn=$(symsize "$1" mzmtp_size_probe_conn)
    peer=$(symsize "$1" mzmtp_size_probe_peer)
    echo "ram $2 socket=$socket conn=$conn peer=$peer"
}

if [ "$1" = --ram ]; then
    ram_line "$2" "$3"
    exit 0
fi
build=$1
limit=$2

for prog in $programs; do
    elf=$build/$prog.elf
    # shellcheck disable=SC2046 # three numbers
    set -- $(totals "$elf")
    echo "size $prog text=$1 data=$2 bss=$3"
    [ "$prog" = min_pub ] && pub_text=$1
    if [ "$prog" = min_pub_curve ]; then
        echo "curve flash=$(($1 - pub_text)) limit=$CURVE_LIMIT"
        if [ $(($1 - pub_text)) -gt "$CURVE_LIMIT" ]; then
            echo "FAIL: CURVE adds $(($1 - pub_text)) bytes of flash to min_pub, over the" \
                 "budget of $CURVE_LIMIT (see $build/min_pub_curve.map)" >&2
            fail=1
        fi
    fi
    if [ "$prog" = min_pub ] && [ "$1" -gt "$limit" ]; then
        echo "FAIL: min_pub text is $1 bytes, over the budget of $limit bytes" \
             "(see $build/min_pub.map for what takes the room)" >&2
        fail=1
    fi
    heap=$("$NM" "$elf" | awk '$NF ~ /^(malloc|_malloc_r|free|_free_r|_sbrk|_sbrk_r)$/ { printf " %s", $NF }')
    if [ -n "$heap" ]; then
        echo "FAIL: $prog links heap functions:$heap (the core must not allocate)" >&2
        fail=1
    fi
done

if [ -n "$CORE_OBJS" ]; then
    # shellcheck disable=SC2046,SC2086 # three numbers, from a list of paths without spaces
    set -- $(totals $CORE_OBJS)
    echo "size core-objects text=$1 data=$2 bss=$3"
fi

# Worst-case stack of each program from reset, over its call graph (stack_depth.sh); the
# deepest chain goes to BUILD/NAME.stack.
case $programs in
*min_pub_curve*) ;;
*) echo "size min_pub_curve not built: this tree's sources.mk has no CURVE mechanism" \
        "(MZMTP_SRC_MECH_CURVE)" ;;
esac

# The stack of min_pub_curve is not from the call graph: libsodium calls through its
# implementation tables, which the graph cannot follow; bench/mcu paints the stack of a
# whole CURVE handshake instead (make bench-mcu).
for prog in min_pub min_sub; do
    case $prog in
    min_pub) conf=pub objs=$PUB_CORE_OBJS ;;
    *) conf=sub objs=$SUB_CORE_OBJS ;;
    esac
    core_ci=
    for o in $objs; do
        core_ci="$core_ci ${o%.o}.ci"
    done
    b=$build/$conf/bench
    # shellcheck disable=SC2086 # a list of paths without spaces
    deepest=$(sh "$here/stack_depth.sh" Reset_Handler "$b/startup.ci" "$b/stub_link.ci" \
              "$b/$prog.ci" $core_ci)
    echo "$deepest" > "$build/$prog.stack"
    echo "stack $prog bytes=${deepest%% *}"
done

for conf in default small pub pubcurve; do
    ram_line "$build/$conf/bench/ram_probe.o" "$conf"
done
# CURVE (the pubcurve probe): per connection its whole state, which is what stays after
# the handshake, and "conn_delta", mzmtp_conn_t with CURVE minus without (pub), which must
# be at most 128 B (issue 9); per socket the boxing scratch (MZMTP_CONF_CURVE_TX_BUF + its
# cursor) and the handshake slots (each holds a handshake's commands and the client's
# transient secrets), counted apart.
p=$build/pubcurve/bench/ram_probe.o
delta=$(($(symsize "$p" mzmtp_size_probe_conn) - $(symsize "$build/pub/bench/ram_probe.o" mzmtp_size_probe_conn)))
echo "ram curve state=$(symsize "$p" mzmtp_size_probe_curve) conn_delta=$delta limit=128" \
     "socket_scratch=$(symsize "$p" mzmtp_size_probe_curve_scratch)" \
     "handshake_slot=$(symsize "$p" mzmtp_size_probe_curve_hs)" \
     "handshake_slots=$(symsize "$p" mzmtp_size_probe_curve_slots)"
if [ "$delta" -gt 128 ]; then
    echo "FAIL: CURVE adds $delta bytes to each connection, over the budget of 128" >&2
    fail=1
fi

exit $fail
