#!/usr/bin/env bash
# Flash and RAM of the Contiki-NG examples on Cortex-M3 targets, and microzmtp's share.
#
#   CONTIKI=/path/to/contiki-ng tests/contiki-ng/size.sh            (cc2538dk and zoul)
#   TARGETS=cc2538dk CONTIKI=... tests/contiki-ng/size.sh
#
# Builds examples/contiki-ng/{pub,sub,multi,client,curve}-node and, as the baseline, Contiki-NG's own
# examples/hello-world with TCP enabled (UIP_CONF_TCP 1; copied to a temporary directory,
# nothing is written into the trees), then prints arm-none-eabi-size's text/data/bss of
# each firmware and, from the link map, the bytes of the microzmtp core (src/), of the
# port (ports/contiki-ng) and of the example's own code. The cc2538 targets need the
# CMSIS submodule of Contiki-NG (arch/cpu/arm/CMSIS) and arm-none-eabi-gcc.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
if [ -z "${CONTIKI:-}" ]; then
    echo "skipped: CONTIKI not set"
    exit 0
fi
CONTIKI=$(cd "$CONTIKI" && pwd) || exit 1
command -v arm-none-eabi-size >/dev/null || { echo "FAIL: arm-none-eabi-gcc not installed"; exit 1; }
TMP=$(mktemp -d /tmp/mzmtp-size.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
JOBS=$(nproc 2>/dev/null || echo 2)
RC=0

# hello-world, as Contiki-NG ships it, plus TCP.
mkdir -p "$TMP/hello-world"
cp "$CONTIKI/examples/hello-world/hello-world.c" "$TMP/hello-world/"
printf 'CONTIKI_PROJECT = hello-world\nall: $(CONTIKI_PROJECT)\ninclude $(CONTIKI)/Makefile.include\n' \
    >"$TMP/hello-world/Makefile"
printf '#ifndef PROJECT_CONF_H_\n#define PROJECT_CONF_H_\n#define UIP_CONF_TCP 1\n#endif\n' \
    >"$TMP/hello-world/project-conf.h"

printf '%-9s %-22s %7s %6s %6s | %-20s | %-18s | %-20s | %-18s | %s\n' target firmware text data bss \
    "core text/data/bss" "crypto text/data/bss" "port text/data/bss" "app text/data/bss" \
    "growth (text+data over hello-world)"
# pub-node-nocmd is pub-node built without its serial test commands (PUB_NODE_COMMANDS=0):
# the publisher alone, as a product would have it.
EXAMPLES="hello-world pub-node pub-node-nocmd sub-node multi-node client-node"
# curve-node needs the core's CURVE handshake, and libsodium's source (SODIUM_DIR, or the
# example fetches Debian's: scripts/libsodium-src.sh).
grep -q '^MZMTP_SRC_MECH_CURVE :=' "$ROOT/sources.mk" && EXAMPLES="$EXAMPLES curve-node"
for target in ${TARGETS:-cc2538dk zoul}; do
    base=
    for ex in $EXAMPLES; do
        prog=$ex
        extra=()
        if [ "$ex" = pub-node-nocmd ]; then prog=pub-node; extra=(DEFINES=PUB_NODE_COMMANDS=0); fi
        if [ "$ex" = hello-world ]; then dir="$TMP/hello-world"; else dir="$ROOT/examples/contiki-ng/$prog"; fi
        map="$TMP/$ex-$target.map"
        if ! make -C "$dir" TARGET="$target" CONTIKI="$CONTIKI" BUILD_DIR="$TMP/build-$ex" \
                ${SODIUM_DIR:+SODIUM_DIR="$SODIUM_DIR"} "${extra[@]}" \
                TARGET_LIBFILES="-Wl,-Map=$map" -j"$JOBS" >"$TMP/$ex-$target.log" 2>&1; then
            echo "FAIL build $ex for $target:"
            tail -n 15 "$TMP/$ex-$target.log" | sed 's/^/     /'
            RC=1
            continue
        fi
        elf=$(find "$TMP/build-$ex/$target" -name "$prog.$target" -type f | head -n 1)
        read -r text data bss _ < <(arm-none-eabi-size "$elf" | tail -n 1)
        declare -A part=()
        while read -r g t d b; do
            part[$g]="${t#text=}/${d#data=}/${b#bss=}"
        done < <(/usr/bin/python3 "$HERE/size.py" "$map" "$prog.o")
        [ "$ex" = hello-world ] && base=$((text + data))
        printf '%-9s %-22s %7s %6s %6s | %-20s | %-18s | %-20s | %-18s | %s\n' "$target" "$ex" "$text" "$data" \
            "$bss" "${part[core]}" "${part[crypto]}" "${part[port]}" "${part[app]}" \
            "$([ -n "${base:-}" ] && echo $((text + data - base)))"
    done
done
exit $RC
