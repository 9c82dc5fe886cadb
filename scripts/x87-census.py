#!/usr/bin/env python3
"""x87 census: every distinct x87 instruction form in musl's static libraries.

Usage: scripts/x87-census.py [LIB.a ...] > docs/x87-census.txt
Default libraries: /usr/lib/x86_64-linux-musl/libc.a and libm.a (Debian's musl-dev; its libm.a is
an empty archive, musl keeps libm inside libc.a).

It disassembles the archives with `objdump -d`, takes each instruction's bytes (not objdump's
mnemonic: objdump folds `fwait` into the next instruction and spells forms in AT&T), skips the
legacy and REX prefixes and classifies every D8-DF opcode (and 9B fwait, 0F AE /0 /1 fxsave/fxrstor)
by its encoding form: the opcode byte, and either the ModRM.reg of a memory form or the register
form (C0+i ...). One output line per form:

    ENCODING    FORM                          COUNT  EXAMPLE (bytes of one instance in the library)

tests/unit/test_x87.c reads this file and checks that every example decodes to an implemented
handler (not #UD).
"""
import subprocess
import sys
from collections import OrderedDict

LIBS = ["/usr/lib/x86_64-linux-musl/libc.a", "/usr/lib/x86_64-linux-musl/libm.a"]

ARITH = ["fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr"]
# Memory forms: (opcode, ModRM.reg) -> form name
MEM = {}
for r, n in enumerate(ARITH):
    MEM[(0xd8, r)] = n + " m32fp"
    MEM[(0xdc, r)] = n + " m64fp"
    MEM[(0xda, r)] = "fi" + n[1:] + " m32int"
    MEM[(0xde, r)] = "fi" + n[1:] + " m16int"
MEM.update({
    (0xd9, 0): "fld m32fp", (0xd9, 2): "fst m32fp", (0xd9, 3): "fstp m32fp",
    (0xd9, 4): "fldenv m28byte", (0xd9, 5): "fldcw m2byte", (0xd9, 6): "fnstenv m28byte",
    (0xd9, 7): "fnstcw m2byte",
    (0xdb, 0): "fild m32int", (0xdb, 1): "fisttp m32int", (0xdb, 2): "fist m32int",
    (0xdb, 3): "fistp m32int", (0xdb, 5): "fld m80fp", (0xdb, 7): "fstp m80fp",
    (0xdd, 0): "fld m64fp", (0xdd, 1): "fisttp m64int", (0xdd, 2): "fst m64fp",
    (0xdd, 3): "fstp m64fp", (0xdd, 4): "frstor m108byte", (0xdd, 6): "fnsave m108byte",
    (0xdd, 7): "fnstsw m2byte",
    (0xdf, 0): "fild m16int", (0xdf, 1): "fisttp m16int", (0xdf, 2): "fist m16int",
    (0xdf, 3): "fistp m16int", (0xdf, 4): "fbld m80bcd", (0xdf, 5): "fild m64int",
    (0xdf, 6): "fbstp m80bcd", (0xdf, 7): "fistp m64int",
})
# Register forms with an ST(i) operand: (opcode, ModRM.reg) -> form name
REGI = {
    (0xd8, 0): "fadd st(0),st(i)", (0xd8, 1): "fmul st(0),st(i)", (0xd8, 2): "fcom st(i)",
    (0xd8, 3): "fcomp st(i)", (0xd8, 4): "fsub st(0),st(i)", (0xd8, 5): "fsubr st(0),st(i)",
    (0xd8, 6): "fdiv st(0),st(i)", (0xd8, 7): "fdivr st(0),st(i)",
    (0xd9, 0): "fld st(i)", (0xd9, 1): "fxch st(i)", (0xd9, 3): "fstp1 st(i) (alias)",
    (0xda, 0): "fcmovb st(0),st(i)", (0xda, 1): "fcmove st(0),st(i)",
    (0xda, 2): "fcmovbe st(0),st(i)", (0xda, 3): "fcmovu st(0),st(i)",
    (0xdb, 0): "fcmovnb st(0),st(i)", (0xdb, 1): "fcmovne st(0),st(i)",
    (0xdb, 2): "fcmovnbe st(0),st(i)", (0xdb, 3): "fcmovnu st(0),st(i)",
    (0xdb, 5): "fucomi st(0),st(i)", (0xdb, 6): "fcomi st(0),st(i)",
    (0xdc, 0): "fadd st(i),st(0)", (0xdc, 1): "fmul st(i),st(0)", (0xdc, 2): "fcom2 st(i) (alias)",
    (0xdc, 3): "fcomp3 st(i) (alias)", (0xdc, 4): "fsubr st(i),st(0)", (0xdc, 5): "fsub st(i),st(0)",
    (0xdc, 6): "fdivr st(i),st(0)", (0xdc, 7): "fdiv st(i),st(0)",
    (0xdd, 0): "ffree st(i)", (0xdd, 1): "fxch4 st(i) (alias)", (0xdd, 2): "fst st(i)",
    (0xdd, 3): "fstp st(i)", (0xdd, 4): "fucom st(i)", (0xdd, 5): "fucomp st(i)",
    (0xde, 0): "faddp st(i),st(0)", (0xde, 1): "fmulp st(i),st(0)", (0xde, 2): "fcomp5 st(i) (alias)",
    (0xde, 4): "fsubrp st(i),st(0)", (0xde, 5): "fsubp st(i),st(0)", (0xde, 6): "fdivrp st(i),st(0)",
    (0xde, 7): "fdivp st(i),st(0)",
    (0xdf, 0): "ffreep st(i)", (0xdf, 1): "fxch7 st(i) (alias)", (0xdf, 2): "fstp8 st(i) (alias)",
    (0xdf, 3): "fstp9 st(i) (alias)", (0xdf, 5): "fucomip st(0),st(i)", (0xdf, 6): "fcomip st(0),st(i)",
}
# Register forms without an operand: (opcode, ModRM byte) -> name
REG0 = {
    (0xd9, 0xd0): "fnop", (0xd9, 0xe0): "fchs", (0xd9, 0xe1): "fabs", (0xd9, 0xe4): "ftst",
    (0xd9, 0xe5): "fxam", (0xd9, 0xe8): "fld1", (0xd9, 0xe9): "fldl2t", (0xd9, 0xea): "fldl2e",
    (0xd9, 0xeb): "fldpi", (0xd9, 0xec): "fldlg2", (0xd9, 0xed): "fldln2", (0xd9, 0xee): "fldz",
    (0xd9, 0xf0): "f2xm1", (0xd9, 0xf1): "fyl2x", (0xd9, 0xf2): "fptan", (0xd9, 0xf3): "fpatan",
    (0xd9, 0xf4): "fxtract", (0xd9, 0xf5): "fprem1", (0xd9, 0xf6): "fdecstp", (0xd9, 0xf7): "fincstp",
    (0xd9, 0xf8): "fprem", (0xd9, 0xf9): "fyl2xp1", (0xd9, 0xfa): "fsqrt", (0xd9, 0xfb): "fsincos",
    (0xd9, 0xfc): "frndint", (0xd9, 0xfd): "fscale", (0xd9, 0xfe): "fsin", (0xd9, 0xff): "fcos",
    (0xda, 0xe9): "fucompp", (0xdb, 0xe0): "fneni (nop)", (0xdb, 0xe1): "fndisi (nop)",
    (0xdb, 0xe2): "fnclex", (0xdb, 0xe3): "fninit", (0xdb, 0xe4): "fnsetpm (nop)",
    (0xde, 0xd9): "fcompp", (0xdf, 0xe0): "fnstsw ax",
}

PREFIXES = {0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65}


def classify(b):
    """Return [(encoding, form, bytes)] for the x87 instructions in one instruction's bytes."""
    out = []
    p = 0
    while p < len(b) and b[p] in PREFIXES:
        p += 1
    while p < len(b) and 0x40 <= b[p] <= 0x4f:
        p += 1
    if p >= len(b):
        return out
    op = b[p]
    if op == 0x9b:
        out.append(("9B", "fwait", b[: p + 1]))
        if p + 1 < len(b):
            out.extend(classify(b[p + 1:]))
        return out
    if op == 0x0f and p + 2 < len(b) and b[p + 1] == 0xae:
        m = b[p + 2]
        reg = (m >> 3) & 7
        if m < 0xc0 and reg in (0, 1):
            rexw = any(0x48 <= x <= 0x4f for x in b[:p])
            name = ("fxsave" if reg == 0 else "fxrstor") + ("64" if rexw else "") + " m512byte"
            out.append(("0F AE /%d" % reg, name, b))
        return out
    if 0xd8 <= op <= 0xdf and p + 1 < len(b):
        m = b[p + 1]
        reg = (m >> 3) & 7
        if m < 0xc0:
            name = MEM.get((op, reg))
            if name:
                out.append(("%02X /%d" % (op, reg), name, b))
        elif (op, m) in REG0:
            out.append(("%02X %02X" % (op, m), REG0[(op, m)], b))
        elif (op, reg) in REGI:
            out.append(("%02X %02X+i" % (op, 0xc0 + 8 * reg), REGI[(op, reg)], b))
        else:
            out.append(("%02X %02X" % (op, m), "(invalid)", b))
    return out


def main():
    libs = sys.argv[1:] or LIBS
    forms = OrderedDict()
    notes = []
    for lib in libs:
        dis = subprocess.run(["objdump", "-d", "--insn-width=16", lib], capture_output=True,
                             text=True, check=True).stdout
        n = 0
        for line in dis.splitlines():
            parts = line.split("\t")
            if len(parts) < 2 or not parts[0].strip().endswith(":"):
                continue
            try:
                b = bytes(int(x, 16) for x in parts[1].split())
            except ValueError:
                continue
            for enc, name, ib in classify(b):
                n += 1
                if enc not in forms:
                    forms[enc] = [name, 0, ib]
                forms[enc][1] += 1
        notes.append("%s: %d x87 instructions" % (lib, n))
    total = sum(v[1] for v in forms.values())
    print("# x87 census: every distinct x87 instruction form in musl's static libraries, by encoding.")
    print("# Generated by scripts/x87-census.py (objdump -d); tests/unit/test_x87.c checks that every")
    print("# example decodes to an implemented handler. %d forms, %d instructions." % (len(forms), total))
    for n in notes:
        print("#   " + n)
    print("# %-14s %-28s %6s  %s" % ("encoding", "form", "count", "example"))

    def key(item):
        enc = item[0]
        return (enc.startswith("0F"), enc)

    for enc, (name, cnt, ib) in sorted(forms.items(), key=key):
        print("%-16s %-28s %6d  %s" % (enc, name, cnt, " ".join("%02x" % x for x in ib)))


if __name__ == "__main__":
    main()
