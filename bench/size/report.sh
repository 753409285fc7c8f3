#!/bin/sh
# report.sh BUILD TEXT_LIMIT - print the size report from what the Makefile built in BUILD.
# report.sh --ram PROBE.o LABEL - print only "ram LABEL socket=N conn=N" for one probe.
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
    echo "ram $2 socket=$socket conn=$conn"
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
for prog in $programs; do
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

for conf in default small; do
    ram_line "$build/$conf/bench/ram_probe.o" "$conf"
done

exit $fail
