#!/usr/bin/env python3
"""Generate tests/unit/insn_cases.h: instruction encodings for the native-vs-emulated tests.

Each case is one instruction (AT&T/Intel text assembled by GNU as), the arithmetic flags the SDM
defines for it (the others are compared only when both CPUs agree by definition), and a fix-up
kind that constrains the random register state (memory base, division operands...).

Run: python3 tests/unit/gen_insn_cases.py > tests/unit/insn_cases.h
"""
import subprocess, sys, tempfile, os

ALL = "FL_ARITH"
LOGIC = "(FL_ARITH & ~FL_AF)"
NONE = "0"
CF_OF = "(FL_CF | FL_OF)"
SHIFT = "(FL_CF | FL_SF | FL_ZF | FL_PF)"      # count may be > 1: OF undefined, AF undefined
SHIFT1 = "(FL_CF | FL_OF | FL_SF | FL_ZF | FL_PF)"
ROT = "FL_CF"
ROT1 = "(FL_CF | FL_OF)"

cases = []  # (group, text, mask, fix)

def add(group, text, mask=ALL, fix="FIX_NONE"):
    cases.append((group, text, mask, fix))

regs = {1: ("al", "cl", "dl", "bl"), 2: ("ax", "cx", "dx", "bx"), 4: ("eax", "ecx", "edx", "ebx"), 8: ("rax", "rcx", "rdx", "rbx")}
hi = {1: ("r8b", "r9b"), 2: ("r8w", "r9w"), 4: ("r8d", "r9d"), 8: ("r8", "r9")}
ptr = {1: "byte ptr", 2: "word ptr", 4: "dword ptr", 8: "qword ptr"}

# ---- ALU
for op in ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"]:
    m = LOGIC if op in ("or", "and", "xor") else ALL
    for sz in (1, 2, 4, 8):
        a, b, _, _ = regs[sz]
        add("alu", f"{op} {a}, {b}", m)
        add("alu", f"{op} {hi[sz][0]}, {hi[sz][1]}", m)
        add("alu", f"{op} {b}, {ptr[sz]} [rbx+16]", m, "FIX_MEM")
        add("alu", f"{op} {ptr[sz]} [rbx-8], {b}", m, "FIX_MEM")
        add("alu", f"{op} {ptr[sz]} [rbx+rsi*2+3], 0x7f", m, "FIX_MEM")
        add("alu", f"{op} {b}, 0x5a", m)
        add("alu", f"{op} {b}, -3", m)
        add("alu", f"{op} {a}, 0x12", m)
        if sz > 1:
            add("alu", f"{op} {b}, 0x12345", m) if sz > 2 else add("alu", f"{op} {b}, 0x1234", m)
            add("alu", f"{op} {a}, 0x7ffffff0" if sz > 2 else f"{op} {a}, 0x7ff0", m)
    add("alu", f"{op} ah, ch", m)
    add("alu", f"{op} dh, bl", m)
    add("alu", f"{op} sil, dil", m)
    add("alu", f"{op} ah, 0x33", m)
for sz in (1, 2, 4, 8):
    a, b, _, _ = regs[sz]
    add("alu", f"test {a}, {b}", LOGIC)
    add("alu", f"test {ptr[sz]} [rbx], {b}", LOGIC, "FIX_MEM")
    add("alu", f"test {b}, 0x41", LOGIC)
    add("alu", f"test {a}, 0x41", LOGIC)
    for op in ("inc", "dec", "not", "neg"):
        add("alu", f"{op} {b}", NONE if op == "not" else ALL)
        add("alu", f"{op} {ptr[sz]} [rbx+8]", NONE if op == "not" else ALL, "FIX_MEM")
add("alu", "inc ah", ALL)
add("alu", "neg bh", ALL)
add("alu", "xor eax, eax", LOGIC)

# ---- shifts and rotates
for op in ["rol", "ror", "rcl", "rcr", "shl", "shr", "sar"]:
    rot = op in ("rol", "ror", "rcl", "rcr")
    for sz in (1, 2, 4, 8):
        a, b, _, _ = regs[sz]
        add("shift", f"{op} {a}, 1", ROT1 if rot else SHIFT1)
        add("shift", f"{op} {ptr[sz]} [rbx], 1", ROT1 if rot else SHIFT1, "FIX_MEM")
        for n in (0, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63):
            add("shift", f"{op} {a}, {n}", ROT if rot else SHIFT, "FIX_SMALLCNT" if (sz < 4 and n >= 8 * sz and not rot) else "FIX_NONE")
        add("shift", f"{op} {a}, cl", ROT if rot else SHIFT, "FIX_CL%d" % sz if not rot else "FIX_NONE")
        add("shift", f"{op} {ptr[sz]} [rbx+4], cl", ROT if rot else SHIFT, ("FIX_MEM_CL%d" % sz) if not rot else "FIX_MEM")
for op in ("shld", "shrd"):
    for sz in (2, 4, 8):
        a, b, _, _ = regs[sz]
        add("shift", f"{op} {a}, {b}, 1", SHIFT1)
        add("shift", f"{op} {a}, {b}, 5", SHIFT)
        add("shift", f"{op} {a}, {b}, cl", SHIFT, "FIX_CL%d" % sz)
        add("shift", f"{op} {ptr[sz]} [rbx], {b}, 3", SHIFT, "FIX_MEM")

# ---- multiply and divide
for sz in (1, 2, 4, 8):
    a, b, _, _ = regs[sz]
    add("muldiv", f"mul {b}", CF_OF)
    add("muldiv", f"imul {b}", CF_OF)
    add("muldiv", f"mul {ptr[sz]} [rbx]", CF_OF, "FIX_MEM")
    add("muldiv", f"imul {ptr[sz]} [rbx]", CF_OF, "FIX_MEM")
    add("muldiv", f"div {b}", NONE, "FIX_DIVU%d" % sz)
    add("muldiv", f"idiv {b}", NONE, "FIX_DIVS%d" % sz)
    if sz > 1:
        add("muldiv", f"imul {a}, {b}", CF_OF)
        add("muldiv", f"imul {a}, {ptr[sz]} [rbx+2]", CF_OF, "FIX_MEM")
        add("muldiv", f"imul {a}, {b}, 7", CF_OF)
        add("muldiv", f"imul {a}, {b}, -1000", CF_OF)
        add("muldiv", f"imul {hi[sz][0]}, {hi[sz][1]}, 0x12", CF_OF)
add("muldiv", "mul ah", CF_OF)
add("muldiv", "cbw", ALL)
add("muldiv", "cwde", ALL)
add("muldiv", "cdqe", ALL)
add("muldiv", "cwd", ALL)
add("muldiv", "cdq", ALL)
add("muldiv", "cqo", ALL)

# ---- bits
for sz in (2, 4, 8):
    a, b, _, _ = regs[sz]
    for op in ("bt", "bts", "btr", "btc"):
        add("bits", f"{op} {a}, {b}", "FL_CF")
        add("bits", f"{op} {a}, 13", "FL_CF")
        add("bits", f"{op} {a}, 77", "FL_CF")
        add("bits", f"{op} {ptr[sz]} [rbx], {b}", "FL_CF", "FIX_MEM_BTOFF")
        add("bits", f"{op} {ptr[sz]} [rbx+8], 35", "FL_CF", "FIX_MEM")
    add("bits", f"bsf {a}, {b}", "FL_ZF")
    add("bits", f"bsr {a}, {b}", "FL_ZF")
    add("bits", f"bsf {a}, {ptr[sz]} [rbx]", "FL_ZF", "FIX_MEM")
    add("bits", f"bsr {a}, {ptr[sz]} [rbx]", "FL_ZF", "FIX_MEM")
    add("bits", f"popcnt {a}, {b}", ALL)
    add("bits", f"popcnt {a}, {ptr[sz]} [rbx]", ALL, "FIX_MEM")
add("bits", "bswap eax", ALL)
add("bits", "bswap rcx", ALL)
add("bits", "bswap r10", ALL)
add("bits", "bswap r11d", ALL)

# ---- moves, conditionals, exchanges
for sz in (1, 2, 4, 8):
    a, b, c_, d = regs[sz]
    add("move", f"mov {a}, {b}", ALL)
    add("move", f"mov {ptr[sz]} [rbx+rsi*4+8], {b}", ALL, "FIX_MEM")
    add("move", f"mov {b}, {ptr[sz]} [rbx-16]", ALL, "FIX_MEM")
    add("move", f"mov {b}, 0x5a", ALL)
    add("move", f"mov {ptr[sz]} [rbx], 0x5a", ALL, "FIX_MEM")
    add("move", f"xchg {a}, {b}", ALL)
    add("move", f"xchg {ptr[sz]} [rbx], {b}", ALL, "FIX_MEM")
    add("move", f"xadd {a}, {b}", ALL)
    add("move", f"xadd {ptr[sz]} [rbx], {b}", ALL, "FIX_MEM")
    add("move", f"lock xadd {ptr[sz]} [rbx], {b}", ALL, "FIX_MEM")
    add("move", f"cmpxchg {c_}, {b}", ALL, "FIX_CMPXCHG")
    add("move", f"cmpxchg {ptr[sz]} [rbx], {b}", ALL, "FIX_CMPXCHG_MEM")
    add("move", f"lock cmpxchg {ptr[sz]} [rbx], {b}", ALL, "FIX_CMPXCHG_MEM")
    add("move", f"xchg {a}, {a}", ALL)
add("move", "mov rax, 0x123456789abcdef0", ALL)
add("move", "mov eax, 0x89abcdef", ALL)
add("move", "mov rcx, -5", ALL)
add("move", "mov ah, bh", ALL)
add("move", "mov sil, dil", ALL)
add("move", "mov ch, byte ptr [rbx]", ALL, "FIX_MEM")
add("move", "xchg ah, cl", ALL)
add("move", "xchg r8, rax", ALL)
add("move", "xchg eax, r9d", ALL)
add("move", "cmpxchg8b qword ptr [rbx]", ALL, "FIX_CX8")
add("move", "lock cmpxchg16b xmmword ptr [rbx]", ALL, "FIX_CX16")
for s_, d_ in (("bl", "eax"), ("bh", "ecx"), ("bl", "rax"), ("bx", "eax"), ("bx", "rax"), ("bl", "ax"), ("r9b", "r10d")):
    add("move", f"movzx {d_}, {s_}", ALL)
    add("move", f"movsx {d_}, {s_}", ALL)
add("move", "movzx eax, byte ptr [rbx+3]", ALL, "FIX_MEM")
add("move", "movsx rax, word ptr [rbx+3]", ALL, "FIX_MEM")
add("move", "movsxd rax, ecx", ALL)
add("move", "movsxd rax, dword ptr [rbx]", ALL, "FIX_MEM")
add("move", "lea rax, [rbx+rcx*8-100]", ALL)
add("move", "lea eax, [rbx+rcx*2+7]", ALL)
add("move", "lea ax, [rbx+rcx]", ALL)
add("move", "lea rax, [ecx+edx*4]", ALL)
add("move", "lea r12, [r13+r14*1+0x12345678]", ALL)
for cc in ("o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"):
    add("cond", f"set{cc} cl", ALL)
    add("cond", f"set{cc} ah", ALL)
    add("cond", f"set{cc} byte ptr [rbx]", ALL, "FIX_MEM")
    add("cond", f"cmov{cc} eax, ecx", ALL)
    add("cond", f"cmov{cc} rax, rcx", ALL)
    add("cond", f"cmov{cc} ax, cx", ALL)
    add("cond", f"cmov{cc} rax, qword ptr [rbx]", ALL, "FIX_MEM")
# compare-and-branch style pairs: cmp then setcc (exercises the lazy fast paths)
for sz in (1, 2, 4, 8):
    a, b, _, _ = regs[sz]
    for cc in ("b", "be", "l", "le", "e", "s", "o", "p", "a", "g"):
        add("cond", f"cmp {a}, {b}; set{cc} dl", ALL)
        add("cond", f"test {a}, {b}; set{cc} dl", LOGIC)
        add("cond", f"add {a}, {b}; set{cc} dl", ALL)
        add("cond", f"sub {a}, {b}; set{cc} dl", ALL)
        add("cond", f"dec {a}; set{cc} dl", ALL)
        add("cond", f"inc {a}; set{cc} dl", ALL)
        add("cond", f"neg {a}; set{cc} dl", ALL)
        add("cond", f"adc {a}, {b}; set{cc} dl", ALL)
        add("cond", f"sbb {a}, {b}; set{cc} dl", ALL)
        if cc not in ("o", "a", "be", "g", "le"):
            add("cond", f"shl {a}, 3; set{cc} dl", SHIFT)
            add("cond", f"sar {a}, 3; set{cc} dl", SHIFT)
            add("cond", f"shr {a}, 3; set{cc} dl", SHIFT)
        if cc in ("b", "o"):
            add("cond", f"imul {regs[max(sz,2)][0]}, {regs[max(sz,2)][1]}; set{cc} dl", CF_OF)
    add("cond", f"adc {a}, {b}; adc {a}, {b}", ALL)
    add("cond", f"sbb {a}, {b}; sbb {a}, {b}", ALL)
    add("cond", f"sub {a}, {b}; adc {a}, 0", ALL)
    add("cond", f"inc {a}; adc {a}, 0", ALL)
add("flags", "clc", ALL)
add("flags", "stc", ALL)
add("flags", "cmc", ALL)
add("flags", "lahf", ALL)
add("flags", "sahf", ALL)
add("flags", "add eax, ecx; lahf", LOGIC)
add("flags", "add eax, ecx; cmc; sahf", ALL)

# ---- SSE integer subset
sse = [
    "movd xmm1, eax", "movq xmm1, rax", "movd eax, xmm2", "movq rcx, xmm2", "movq xmm1, xmm2",
    "movdqa xmm1, xmm2", "movdqu xmm3, xmm4", "movaps xmm1, xmm2", "movups xmm5, xmm6", "movapd xmm1, xmm9",
    "movss xmm1, xmm2", "movsd xmm1, xmm2", "movhlps xmm1, xmm2", "movlhps xmm1, xmm2",
    "pxor xmm1, xmm2", "por xmm1, xmm2", "pand xmm1, xmm2", "pandn xmm1, xmm2",
    "xorps xmm1, xmm2", "andps xmm1, xmm2", "orps xmm1, xmm2", "andnps xmm1, xmm2", "xorpd xmm3, xmm12",
    "paddb xmm1, xmm2", "paddw xmm1, xmm2", "paddd xmm1, xmm2", "paddq xmm1, xmm2",
    "psubb xmm1, xmm2", "psubw xmm1, xmm2", "psubd xmm1, xmm2", "psubq xmm1, xmm2",
    "paddsb xmm1, xmm2", "paddsw xmm1, xmm2", "psubsb xmm1, xmm2", "psubsw xmm1, xmm2",
    "paddusb xmm1, xmm2", "paddusw xmm1, xmm2", "psubusb xmm1, xmm2", "psubusw xmm1, xmm2",
    "pcmpeqb xmm1, xmm2", "pcmpeqw xmm1, xmm2", "pcmpeqd xmm1, xmm2",
    "pcmpgtb xmm1, xmm2", "pcmpgtw xmm1, xmm2", "pcmpgtd xmm1, xmm2",
    "pmovmskb eax, xmm2", "movmskps eax, xmm2", "movmskpd ecx, xmm3",
    "pshufd xmm1, xmm2, 0x1b", "pshufd xmm1, xmm1, 0xe4", "pshuflw xmm1, xmm2, 0x93", "pshufhw xmm1, xmm2, 0x39",
    "punpcklbw xmm1, xmm2", "punpcklwd xmm1, xmm2", "punpckldq xmm1, xmm2", "punpcklqdq xmm1, xmm2",
    "punpckhbw xmm1, xmm2", "punpckhwd xmm1, xmm2", "punpckhdq xmm1, xmm2", "punpckhqdq xmm1, xmm2",
    "packsswb xmm1, xmm2", "packuswb xmm1, xmm2", "packssdw xmm1, xmm2",
    "psllw xmm1, 3", "pslld xmm1, 7", "psllq xmm1, 33", "psrlw xmm1, 3", "psrld xmm1, 31", "psrlq xmm1, 1",
    "psraw xmm1, 5", "psrad xmm1, 17", "psraw xmm1, 20", "psllw xmm1, 16", "pslldq xmm1, 5", "psrldq xmm1, 9",
    "psrldq xmm1, 16", "psllw xmm1, xmm2", "pslld xmm1, xmm2", "psllq xmm1, xmm2", "psrlw xmm1, xmm2",
    "psrld xmm1, xmm2", "psrlq xmm1, xmm2", "psraw xmm1, xmm2", "psrad xmm1, xmm2",
    "pmuludq xmm1, xmm2", "pmullw xmm1, xmm2", "pmulhw xmm1, xmm2", "pmulhuw xmm1, xmm2", "pmaddwd xmm1, xmm2",
    "pminub xmm1, xmm2", "pmaxub xmm1, xmm2", "pminsw xmm1, xmm2", "pmaxsw xmm1, xmm2",
    "psadbw xmm1, xmm2", "pavgb xmm1, xmm2", "pavgw xmm1, xmm2",
    "shufps xmm1, xmm2, 0x4e", "shufps xmm1, xmm1, 0xb1", "shufpd xmm1, xmm2, 1", "shufpd xmm1, xmm2, 2",
    "unpcklps xmm1, xmm2", "unpckhps xmm1, xmm2", "unpcklpd xmm1, xmm2", "unpckhpd xmm1, xmm2",
    "pinsrw xmm1, eax, 5", "pextrw eax, xmm2, 6", "pxor xmm8, xmm15", "paddd xmm10, xmm3",
]
for t in sse:
    add("sse", t, ALL, "FIX_NONE")
sse_mem = [
    "movd xmm1, dword ptr [rbx+4]", "movq xmm1, qword ptr [rbx+8]", "movd dword ptr [rbx+4], xmm2",
    "movq qword ptr [rbx+8], xmm2", "movdqa xmm1, xmmword ptr [rbx+16]", "movdqu xmm1, xmmword ptr [rbx+3]",
    "movdqa xmmword ptr [rbx+32], xmm2", "movdqu xmmword ptr [rbx+5], xmm2", "movups xmm1, xmmword ptr [rbx+1]",
    "movups xmmword ptr [rbx+7], xmm3", "movaps xmm1, xmmword ptr [rbx]", "movaps xmmword ptr [rbx], xmm1",
    "movss xmm1, dword ptr [rbx]", "movss dword ptr [rbx+12], xmm2", "movsd xmm1, qword ptr [rbx]",
    "movsd qword ptr [rbx+24], xmm2", "movlps xmm1, qword ptr [rbx]", "movhps xmm1, qword ptr [rbx]",
    "movlps qword ptr [rbx], xmm2", "movhps qword ptr [rbx+8], xmm2", "movlpd xmm1, qword ptr [rbx]",
    "movhpd xmm1, qword ptr [rbx]", "paddb xmm1, xmmword ptr [rbx+16]", "pcmpeqb xmm1, xmmword ptr [rbx]",
    "pshufd xmm1, xmmword ptr [rbx], 0x55", "punpcklbw xmm1, xmmword ptr [rbx+48]", "pinsrw xmm1, word ptr [rbx+2], 3",
    "movntdq xmmword ptr [rbx], xmm1", "movnti dword ptr [rbx+4], eax", "movnti qword ptr [rbx+8], rcx",
    "movq xmm3, qword ptr [rbx+1]", "movq qword ptr [rbx+1], xmm3",
]
for t in sse_mem:
    add("sse", t, ALL, "FIX_MEM")

# ---- strings (rsi/rdi fixed into the data area, rcx small)
for t in ["movsb", "movsw", "movsd", "movsq", "stosb", "stosw", "stosd", "stosq", "lodsb", "lodsw", "lodsd", "lodsq",
          "cmpsb", "cmpsw", "cmpsd", "cmpsq", "scasb", "scasw", "scasd", "scasq",
          "rep movsb", "rep movsw", "rep movsd", "rep movsq", "rep stosb", "rep stosw", "rep stosd", "rep stosq",
          "repe cmpsb", "repne cmpsb", "repe cmpsq", "repe scasb", "repne scasb", "repne scasd", "rep lodsb"]:
    add("string", t, ALL, "FIX_STR")
    add("string", "std; " + t + "; cld", ALL, "FIX_STR")

def assemble(text):
    src = ".intel_syntax noprefix\n" + text.replace(";", "\n") + "\n"
    with tempfile.TemporaryDirectory() as d:
        open(d + "/a.s", "w").write(src)
        subprocess.check_call(["as", "-o", d + "/a.o", d + "/a.s"])
        subprocess.check_call(["objcopy", "-O", "binary", "-j", ".text", d + "/a.o", d + "/a.bin"])
        return open(d + "/a.bin", "rb").read()

out = sys.stdout
out.write("/* Generated by tests/unit/gen_insn_cases.py: do not edit. */\n")
out.write("static const insn_case_t insn_cases[] = {\n")
for group, text, mask, fix in cases:
    b = assemble(text)
    bs = "".join("\\x%02x" % x for x in b)
    out.write('    {"%s", "%s", "%s", %d, %s, %s},\n' % (group, text, bs, len(b), mask, fix))
out.write("};\n")
