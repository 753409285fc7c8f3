#!/usr/bin/python3
"""Split a GNU ld map file into what each group of object files put in the image.

    size.py MAP [APP_OBJECT.o ...]

Prints, for the microzmtp core (objects under obj/microzmtp/), CURVE's crypto
(libsodium's objects under obj/sodium/ and the backend under obj/microzmtp/crypto/), the Contiki-NG port
(mzmtp-contiki.o, and the port kit under obj/microzmtp/kit/), the application (the remaining objects
under the build's obj/ that are not Contiki-NG's) and everything else: bytes of flash (text: code and constants),
initialised RAM (data; it also takes flash) and zeroed RAM (bss), as arm-none-eabi-size
counts them. Only input sections kept in the image count (--gc-sections drops the rest:
the map lists those before "Linker script and memory map"). Sizes are those of the
input sections: merged string constants count before merging, so the sum can exceed
arm-none-eabi-size's by a few dozen bytes.
"""
import re
import sys

FLASH = (".text", ".rodata", ".ARM.exidx", ".ARM.extab", ".flashcca")
DATA = (".data",)
BSS = (".bss", ".socdata", ".nrdata", ".stack", "COMMON")


def group_of(path, app_objs):
    # CURVE's crypto: libsodium's subset and the crypto interface's backend.
    if "/obj/sodium/" in path or "/obj/microzmtp/crypto/" in path:
        return "crypto"
    # The port: its own file and the kit every port shares (ports/kit).
    if "/obj/microzmtp/kit/" in path or path.endswith("/mzmtp-contiki.o"):
        return "port"
    if "/obj/microzmtp/" in path:
        return "core"
    base = path.rsplit("/", 1)[-1]
    if base in app_objs:
        return "app"
    return "rest"


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    app_objs = set(sys.argv[2:])  # object names of the application itself
    lines = open(sys.argv[1], errors="replace").read().split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
    out = None
    sizes = {}
    pending = None  # an input section name on a line of its own
    entry = re.compile(r"^\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S+\.o|\S+\.a\(\S+\))\s*$")
    for line in lines[start:]:
        m = re.match(r"^(\.[\w.]+|COMMON)\b", line)
        if m and not line.startswith(" "):
            out = m.group(1)
            pending = None
            continue
        m = re.match(r"^ (\.[\w.$-]+|COMMON)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S+)\s*$", line)
        if m:
            sec, size, path = m.group(1), int(m.group(3), 16), m.group(4)
        else:
            m2 = re.match(r"^ (\.[\w.$-]+|COMMON)\s*$", line)
            if m2:
                pending = m2.group(1)
                continue
            m3 = entry.match(line)
            if not (m3 and pending):
                pending = None
                continue
            sec, size, path = pending, int(m3.group(2), 16), m3.group(3)
            pending = None
        if out is None or size == 0:
            continue
        if out.startswith(FLASH):
            kind = "text"
        elif out.startswith(DATA):
            kind = "data"
        elif out.startswith(BSS) or sec == "COMMON":
            kind = "bss"
        else:
            continue
        g = group_of(path, app_objs)
        sizes.setdefault(g, {"text": 0, "data": 0, "bss": 0})[kind] += size
    for g in ("core", "crypto", "port", "app", "rest"):
        s = sizes.get(g, {"text": 0, "data": 0, "bss": 0})
        print("%s text=%d data=%d bss=%d" % (g, s["text"], s["data"], s["bss"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
