#!/bin/sh
# per_type.sh BUILD - flash cost of each socket type alone: the core built with only that
# type (MZMTP_CONF_SOCKET_TYPES), default options otherwise (own heartbeats included),
# linked into min_type.c with --gc-sections. Prints "size type=NAME text=N data=N bss=N".
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$here/out}/types
CROSS=${CROSS:-arm-none-eabi-}
CFLAGS="-Os -mthumb -mcpu=cortex-m3 -ffunction-sections -fdata-sections -std=c99 \
 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror -I$root/include"
LDFLAGS="-mthumb -mcpu=cortex-m3 -nostartfiles --specs=nano.specs --specs=nosys.specs \
 -T $here/cm3.ld -Wl,--gc-sections"
# type number, name, sends?, receives?
for t in "1 PUB 1 0" "2 SUB 0 1" "9 XPUB 1 1" "10 XSUB 1 1" "8 PUSH 1 0" "7 PULL 0 1" \
         "3 REQ 1 1" "4 REP 1 1" "5 DEALER 1 1" "6 ROUTER 1 1" "0 PAIR 1 1"; do
    set -- $t
    dir=$build/$2
    mkdir -p "$dir"
    conf="-DMZMTP_CONF_SOCKET_TYPES=(1u<<$1) -DTYPE=$1 -DDO_SEND=$3 -DDO_RECV=$4"
    core=$(sed -n 's/^MZMTP_SRC_CORE := //p' "$root/sources.mk") # the one list of the core's files
    for src in $(printf "$root/%s " $core) "$here/min_type.c" "$here/stub_link.c" "$here/startup.c"; do
        # shellcheck disable=SC2086
        ${CROSS}gcc $CFLAGS $conf -c "$src" -o "$dir/$(basename "$src" .c).o"
    done
    # shellcheck disable=SC2086
    ${CROSS}gcc $LDFLAGS "$dir"/*.o -o "$dir/min_$2.elf"
    ${CROSS}size -B "$dir/min_$2.elf" | awk -v n="$2" 'NR == 2 { printf "size type=%s text=%d data=%d bss=%d\n", n, $1, $2, $3 }'
done
