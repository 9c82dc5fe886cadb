#!/usr/bin/env python3
"""Check an X window dump (xwd -root): it is not blank, and it contains the visualizer's legend colours.
Usage: xwdcheck.py FILE.xwd RRGGBB [RRGGBB...]   (exit 0 when every colour covers >= 100 pixels)"""
import struct
import sys


def main():
    data = open(sys.argv[1], "rb").read()
    hdr = struct.unpack(">25I", data[:100])
    header_size, version = hdr[0], hdr[1]
    if version != 7:
        sys.exit("not an XWD v7 file")
    width, height, byte_order, bpp, bpl, ncolors = hdr[4], hdr[5], hdr[7], hdr[11], hdr[12], hdr[19]
    if bpp not in (24, 32):
        sys.exit("expected 24 or 32 bits per pixel, got %d" % bpp)
    step = bpp // 8
    off = header_size + ncolors * 12
    fmt = "<" if byte_order == 0 else ">"
    counts = {}
    for y in range(height):
        row = data[off + y * bpl: off + y * bpl + width * step]
        for x in range(0, len(row), step):
            px = row[x:x + 3]
            v = (px[2] << 16 | px[1] << 8 | px[0]) if fmt == "<" else (px[-3] << 16 | px[-2] << 8 | px[-1])
            counts[v] = counts.get(v, 0) + 1
    distinct = len(counts)
    print("screenshot %dx%d, %d distinct colours" % (width, height, distinct))
    ok = distinct >= 50
    if not ok:
        print("FAIL: the screen is (nearly) blank")
    for c in sys.argv[2:]:
        n = counts.get(int(c, 16), 0)
        print("colour %s: %d pixels" % (c, n))
        if n < 100:
            ok = False
            print("FAIL: colour %s missing" % c)
    sys.exit(0 if ok else 1)


main()
