#!/usr/bin/python3
"""Flash and RAM of a firmware image by part, from its GNU ld link map.

    sizes.py FIRMWARE.map

Parts: lwIP (liblwip.a), the lwIP port (port/), the microzmtp core (core/), the board
(startup, LAN9118 driver, lwIP glue: board/), the application (app/), and the C library
and libgcc (everything else). Flash = code + read-only data + initialised data; RAM =
initialised data + zero-initialised data (static; the stack is not counted).
"""
import re
import sys

PARTS = [("lwIP", "liblwip.a"), ("port", "/port/"), ("core", "/core/"),
         ("board", "/board/"), ("app", "/app/")]
ENTRY = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")


def part_of(path):
    for name, key in PARTS:
        if key in path:
            return name
    return "libc+libgcc"


def main():
    sizes = {}
    out = None
    pending = None
    started = False
    with open(sys.argv[1]) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("Linker script and memory map"):
                started = True
                continue
            if not started:
                continue
            m = re.match(r"^(\.\S+)\s", line) or re.match(r"^(\.\S+)$", line)
            if m:
                out = m.group(1)
                continue
            if out not in (".text", ".ARM.exidx", ".data", ".bss"):
                continue
            s = re.match(r"^ (\.\S+|COMMON)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*))?$", line)
            if s:
                if s.group(2) is None:
                    pending = s.group(1)
                    continue
                size, path = int(s.group(3), 16), s.group(4)
            elif pending:
                e = ENTRY.match(line)
                pending = None
                if not e:
                    continue
                size, path = int(e.group(2), 16), e.group(3)
            else:
                continue
            pending = None
            kind = {".text": "flash", ".ARM.exidx": "flash", ".data": "data", ".bss": "bss"}[out]
            d = sizes.setdefault(part_of(path), {"flash": 0, "data": 0, "bss": 0})
            d[kind] += size
    print("%-12s %8s %8s   (bytes; flash = text+rodata+data, RAM = data+bss)" % ("part", "flash", "RAM"))
    tf = tr = 0
    for name in [p[0] for p in PARTS] + ["libc+libgcc"]:
        d = sizes.get(name, {"flash": 0, "data": 0, "bss": 0})
        fl, ram = d["flash"] + d["data"], d["data"] + d["bss"]
        tf += fl
        tr += ram
        print("%-12s %8d %8d" % (name, fl, ram))
    print("%-12s %8d %8d" % ("total", tf, tr))


if __name__ == "__main__":
    main()
