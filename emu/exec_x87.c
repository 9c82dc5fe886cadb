/* exec_x87: the x87 floating-point unit: the D8-DF opcodes, fwait (9B) and fxsave/fxrstor (0F AE /0 /1).
 *
 * How results are made bit-exact
 * ------------------------------
 * Every x87 operation that computes a value (arithmetic, conversions, comparisons, the
 * transcendental instructions, the constants that depend on the rounding mode) is executed on the
 * host's own x87 FPU, with the same instruction encoding and the operands in the same stack
 * positions as in the guest, under a control word built from the guest's: the guest's precision and
 * rounding control, the invalid, denormal, zero-divide and precision exceptions masked, and the
 * overflow and underflow masks as the guest has them (an unmasked overflow or underflow changes the
 * result written to a register: the exponent is wrapped by 2^24576, which only the hardware does
 * for us). A host stub (the HX_* macros below) is
 *
 *     (fnclex, if the host holds an exception flag the guest has not raised yet)
 *     fnstcw save; fldcw guest-derived; <the instruction>; fnstsw sw;
 *     if overflow or underflow is unmasked: fnclex (the host must never take #MF); fldcw save
 *
 * with the operands handed in and out through GCC's x87 asm constraints ("t" = st(0), "u" =
 * st(1)), which load and store them with fldt/fstpt: exact for every 80-bit pattern, and never
 * raising anything. The host's exception flags are sticky, so they are only cleared (fnclex is
 * serialising: ~15 ns on this host) when one is set that the guest does not have yet; otherwise
 * the flags read back are the guest's new ones exactly as far as they matter (guest flags are
 * sticky too). Which flags the host holds is remembered from the last stub (hx_flags).
 *
 * Everything around the arithmetic is software, following the SDM (vol. 1, ch. 8): the register
 * stack (TOP, the tags), stack overflow and underflow (IE and SF, C1 = 1 on overflow and 0 on
 * underflow; masked, the QNaN indefinite is the result; unmasked, nothing but the status word
 * changes), the condition codes each instruction defines (the ones it leaves "undefined" keep their
 * value, as the hardware does), the response to unmasked exceptions (IE, DE and ZE: the destination
 * is not written and nothing is popped; a store to memory is also suppressed by OE and UE; PE lets
 * the result through) with ES and B set, and #MF at the next waiting x87 instruction (every one
 * except fninit, fnclex, fnstsw, fnstcw, fnstenv, fnsave, and fxsave/fxrstor). Where the SDM is
 * silent or says "undefined", the code does what the host does; docs/X87.md lists those cases
 * (comparisons report "unordered" even with IE unmasked, a denormal is loaded with DE unmasked,
 * fcmovcc with an empty operand writes the indefinite whatever the condition...). The environment
 * instructions (fldenv, fnstenv, frstor, fnsave; the 28/108-byte 32-bit format, 14/94 bytes with a
 * 66 prefix) and fxsave/fxrstor (emu/fpu_state.c) convert between cpu_t and the memory images. The
 * unit tests (tests/unit/test_x87.c) compare all of it with the host CPU, state by state.
 *
 * State (emu/cpu.h): fpr[8] in physical order, ST(i) = fpr[(fpu_top + i) & 7]; fpu_ftw bit p set
 * when R_p is not empty (the full tag word of fnstenv/fnsave is derived from the values); fpu_sw
 * without TOP, with ES and B kept equal to "an exception flag is set whose mask is clear".
 */
#include "emu/exec.h"

/* Status word. */
#define SW_IE 0x0001u
#define SW_DE 0x0002u
#define SW_ZE 0x0004u
#define SW_OE 0x0008u
#define SW_UE 0x0010u
#define SW_PE 0x0020u
#define SW_SF 0x0040u
#define SW_ES 0x0080u
#define SW_C0 0x0100u
#define SW_C1 0x0200u
#define SW_C2 0x0400u
#define SW_TOP 0x3800u
#define SW_C3 0x4000u
#define SW_B 0x8000u
#define SW_EXC 0x003fu
#define SW_CC (SW_C0 | SW_C1 | SW_C2 | SW_C3)
/* Control word. */
#define CW_IM 0x0001u
#define CW_OM 0x0008u
#define CW_UM 0x0010u
#define CW_RC 0x0c00u
/* The bits of the control word that exist: fldcw keeps these and reads bit 6 as 1. */
#define CW_VALID 0x1f3fu

/* Unmasked exceptions that stop an instruction from writing its register destination. */
#define NOWRITE_REG (SW_IE | SW_DE | SW_ZE)
/* ... and its memory destination. */
#define NOWRITE_MEM (SW_IE | SW_DE | SW_ZE | SW_OE | SW_UE)

typedef struct m80 {
    uint8_t b[10];
} m80_t;

#define ST(c, k) ((c)->fpr[((c)->fpu_top + (k)) & 7])

/* ---- the host FPU ---------------------------------------------------------------------------- */

typedef struct hx_env {
    uint16_t cw, r0, sw, r1, rest[10];
} hx_env_t;

typedef struct hx {
    uint16_t cw;      /* control word for the operation */
    uint16_t cc;      /* the guest's condition bits (HX_SYNC) */
    uint16_t save;    /* the host's control word */
    uint16_t sw;      /* the host's status word after the operation */
    uint8_t careful;  /* overflow or underflow unmasked: clear the host's pending exception at once */
    hx_env_t env;     /* scratch for HX_SYNC */
} hx_t;

/* The exception flags the host's x87 status word holds, as the last stub left them. Only the stubs
 * change them: the rest of emu's x87 code is loads and stores of 80-bit values (fldt, fstpt, fild),
 * which raise nothing. Reading the status word instead (fnstsw) would wait for the operand loads. */
static __thread uint16_t hx_flags;

AI void hx_init(const cpu_t *c, hx_t *h)
{
    if (UNLIKELY(hx_flags & ~c->fpu_sw & SW_EXC)) {
        __asm__ volatile("fnclex");
        hx_flags = 0;
    }
    h->cw = (uint16_t)((c->fpu_cw & (0x0f00u | CW_OM | CW_UM)) | 0x67u);
    h->careful = (c->fpu_cw & (CW_OM | CW_UM)) != (CW_OM | CW_UM);
    h->cc = (uint16_t)(c->fpu_sw & SW_CC);
}

#define HX_PRE "fnstcw %[save]\n\tfldcw %[cw]\n\t"
#define HX_POST "\n\tfnstsw %[sw]\n\tcmpb $0, %[careful]\n\tje 2f\n\tfnclex\n2:\n\tfldcw %[save]"
#define HX_OUTS [sw] "=m"(h->sw), [save] "=m"(h->save), [env] "=m"(h->env), [envsw] "=m"(h->env.sw)
#define HX_INS [cw] "m"(h->cw), [careful] "m"(h->careful), [cc] "m"(h->cc)
/* After a stub: what the host's flags are now. */
#define HX_DONE() (hx_flags = h->careful ? 0 : (uint16_t)(h->sw & SW_EXC))
/* HX_SYNC (after HX_PRE): give the host the guest's condition bits first, for the instructions
 * that leave some of them unchanged in some cases and set them in others (fprem, fprem1: C0, C1,
 * C3 keep their values for NaN operands), so the host's result bits are the guest's.
 * fnstenv/fldenv are slow (microcoded), so the other instructions, which define every bit taken
 * from the host, do without. */
#define HX_SYNC "fnstenv %[env]\n\tandw $0xb8ff, %[envsw]\n\tmovw %[cc], %%ax\n\torw %%ax, %[envsw]\n\t" \
                "fldenv %[env]\n\tfldcw %[cw]\n\t"

/* st(0) = a, st(1) = b; the result is st(0) afterwards (st(1) unchanged). */
#define HX_ST0(name, insn) HX_ST0X(name, "", insn)
#define HX_ST0X(name, sync, insn)                                                                 \
    static long double name(hx_t *h, long double a, long double b)                                \
    {                                                                                             \
        long double r;                                                                            \
        __asm__ volatile(HX_PRE sync insn HX_POST : "=t"(r), HX_OUTS : "0"(a), "u"(b), HX_INS : "ax", "cc"); HX_DONE(); \
        return r;                                                                                 \
    }
/* st(0) = a, st(1) = b; the result is st(1) afterwards (st(0) unchanged). */
#define HX_ST1(name, insn)                                                                        \
    static long double name(hx_t *h, long double a, long double b)                                \
    {                                                                                             \
        long double r, x;                                                                         \
        __asm__ volatile(HX_PRE insn HX_POST : "=t"(x), "=u"(r), HX_OUTS : "0"(a), "1"(b), HX_INS : "ax", "cc"); HX_DONE(); \
        (void)x;                                                                                  \
        return r;                                                                                 \
    }
/* st(0) = a, st(1) = b; the instruction writes st(1) and pops: the result is st(0) afterwards. */
#define HX_POP(name, insn)                                                                        \
    static long double name(hx_t *h, long double a, long double b)                                \
    {                                                                                             \
        long double r;                                                                            \
        __asm__ volatile(HX_PRE insn HX_POST : "=t"(r), HX_OUTS : "0"(a), "u"(b), HX_INS : "st(1)", "ax", "cc"); HX_DONE(); \
        return r;                                                                                 \
    }
/* st(0) = a -> st(0). */
#define HX_UN(name, insn) HX_UNX(name, "", insn)
#define HX_UNX(name, sync, insn)                                                                  \
    static long double name(hx_t *h, long double a)                                               \
    {                                                                                             \
        long double r;                                                                            \
        __asm__ volatile(HX_PRE sync insn HX_POST : "=t"(r), HX_OUTS : "0"(a), HX_INS : "ax", "cc"); HX_DONE();   \
        return r;                                                                                 \
    }
/* st(0) = a, the instruction pushes one value: r0 = st(0), r1 = st(1) afterwards. When it sets
 * C2 (fptan, fsincos: operand out of range) it pushes nothing; with HX_C2CHECK a copy is then
 * pushed here so the stack has the shape GCC expects (fxtract always pushes; its C2 is stale). */
#define HX_PUSH(name, sync, insn, c2check)                                                        \
    static void name(hx_t *h, long double a, long double *r0, long double *r1)                    \
    {                                                                                             \
        __asm__ volatile(HX_PRE sync insn HX_POST c2check : "=t"(*r0), "=u"(*r1), HX_OUTS : "0"(a), HX_INS : "ax", "cc"); HX_DONE(); \
    }
#define HX_C2CHECK "\n\ttestw $0x400, %[sw]\n\tjz 3f\n\tfld %%st(0)\n3:"
/* st(0) = a, memory operand m -> st(0). */
#define HX_MEM(name, type, insn)                                                                  \
    static long double name(hx_t *h, long double a, type m)                                       \
    {                                                                                             \
        long double r;                                                                            \
        __asm__ volatile(HX_PRE insn HX_POST : "=t"(r), HX_OUTS : "0"(a), [m] "m"(m), HX_INS : "ax", "cc"); HX_DONE(); \
        return r;                                                                                 \
    }
/* Loads: memory operand m (or nothing) -> pushed value. */
#define HX_LD(name, type, insn)                                                                   \
    static long double name(hx_t *h, type m)                                                      \
    {                                                                                             \
        long double r;                                                                            \
        __asm__ volatile(HX_PRE insn HX_POST : "=t"(r), HX_OUTS : [m] "m"(m), HX_INS : "ax", "cc"); HX_DONE(); \
        return r;                                                                                 \
    }
#define HX_LD0(name, insn)                                                                        \
    static long double name(hx_t *h)                                                              \
    {                                                                                             \
        long double r;                                                                            \
        __asm__ volatile(HX_PRE insn HX_POST : "=t"(r), HX_OUTS : HX_INS : "ax", "cc"); HX_DONE();           \
        return r;                                                                                 \
    }
/* Comparisons: only the status word. */
#define HX_CMP(name, insn)                                                                        \
    static void name(hx_t *h, long double a, long double b)                                       \
    {                                                                                             \
        __asm__ volatile(HX_PRE insn HX_POST : HX_OUTS : "t"(a), "u"(b), HX_INS : "ax", "cc"); HX_DONE();    \
    }
#define HX_CMPM(name, type, insn)                                                                 \
    static void name(hx_t *h, long double a, type m)                                              \
    {                                                                                             \
        __asm__ volatile(HX_PRE insn HX_POST : HX_OUTS : "t"(a), [m] "m"(m), HX_INS : "ax", "cc"); HX_DONE(); \
    }
#define HX_CMP1(name, insn)                                                                       \
    static void name(hx_t *h, long double a)                                                      \
    {                                                                                             \
        __asm__ volatile(HX_PRE insn HX_POST : HX_OUTS : "t"(a), HX_INS : "ax", "cc"); HX_DONE();            \
    }
/* Stores of st(0) = a to memory: without a pop, and with one. */
#define HX_ST(name, type, insn)                                                                   \
    static type name(hx_t *h, long double a)                                                      \
    {                                                                                             \
        type m;                                                                                   \
        __asm__ volatile(HX_PRE insn HX_POST : [m] "=m"(m), HX_OUTS : "t"(a), HX_INS : "ax", "cc"); HX_DONE(); \
        return m;                                                                                 \
    }
#define HX_STP(name, type, insn)                                                                  \
    static type name(hx_t *h, long double a)                                                      \
    {                                                                                             \
        type m;                                                                                   \
        __asm__ volatile(HX_PRE insn HX_POST : [m] "=m"(m), HX_OUTS : "t"(a), HX_INS : "st", "ax", "cc"); HX_DONE(); \
        return m;                                                                                 \
    }

/* Register forms, with i = 1. D8: st(0) = st(0) op st(1); DC: st(1) = st(1) op st(0); DE: the DC
 * operation, then pop. Indexed by ModRM.reg (0 add, 1 mul, 4 sub/subr, 5 subr/sub, 6 div/divr,
 * 7 divr/div as the opcode maps say). */
HX_ST0(hx_d8_0, ".byte 0xd8,0xc1")
HX_ST0(hx_d8_1, ".byte 0xd8,0xc9")
HX_ST0(hx_d8_4, ".byte 0xd8,0xe1")
HX_ST0(hx_d8_5, ".byte 0xd8,0xe9")
HX_ST0(hx_d8_6, ".byte 0xd8,0xf1")
HX_ST0(hx_d8_7, ".byte 0xd8,0xf9")
HX_ST1(hx_dc_0, ".byte 0xdc,0xc1")
HX_ST1(hx_dc_1, ".byte 0xdc,0xc9")
HX_ST1(hx_dc_4, ".byte 0xdc,0xe1")
HX_ST1(hx_dc_5, ".byte 0xdc,0xe9")
HX_ST1(hx_dc_6, ".byte 0xdc,0xf1")
HX_ST1(hx_dc_7, ".byte 0xdc,0xf9")
HX_POP(hx_de_0, ".byte 0xde,0xc1")
HX_POP(hx_de_1, ".byte 0xde,0xc9")
HX_POP(hx_de_4, ".byte 0xde,0xe1")
HX_POP(hx_de_5, ".byte 0xde,0xe9")
HX_POP(hx_de_6, ".byte 0xde,0xf1")
HX_POP(hx_de_7, ".byte 0xde,0xf9")
/* Memory forms: m32fp (D8), m64fp (DC), m32int (DA), m16int (DE). */
HX_MEM(hx_m32_0, uint32_t, "fadds %[m]")
HX_MEM(hx_m32_1, uint32_t, "fmuls %[m]")
HX_MEM(hx_m32_4, uint32_t, "fsubs %[m]")
HX_MEM(hx_m32_5, uint32_t, "fsubrs %[m]")
HX_MEM(hx_m32_6, uint32_t, "fdivs %[m]")
HX_MEM(hx_m32_7, uint32_t, "fdivrs %[m]")
HX_MEM(hx_m64_0, uint64_t, "faddl %[m]")
HX_MEM(hx_m64_1, uint64_t, "fmull %[m]")
HX_MEM(hx_m64_4, uint64_t, "fsubl %[m]")
HX_MEM(hx_m64_5, uint64_t, "fsubrl %[m]")
HX_MEM(hx_m64_6, uint64_t, "fdivl %[m]")
HX_MEM(hx_m64_7, uint64_t, "fdivrl %[m]")
HX_MEM(hx_i32_0, uint32_t, "fiaddl %[m]")
HX_MEM(hx_i32_1, uint32_t, "fimull %[m]")
HX_MEM(hx_i32_4, uint32_t, "fisubl %[m]")
HX_MEM(hx_i32_5, uint32_t, "fisubrl %[m]")
HX_MEM(hx_i32_6, uint32_t, "fidivl %[m]")
HX_MEM(hx_i32_7, uint32_t, "fidivrl %[m]")
HX_MEM(hx_i16_0, uint16_t, "fiadds %[m]")
HX_MEM(hx_i16_1, uint16_t, "fimuls %[m]")
HX_MEM(hx_i16_4, uint16_t, "fisubs %[m]")
HX_MEM(hx_i16_5, uint16_t, "fisubrs %[m]")
HX_MEM(hx_i16_6, uint16_t, "fidivs %[m]")
HX_MEM(hx_i16_7, uint16_t, "fidivrs %[m]")
/* Comparisons (the popping forms compare the same way; the pops are done here). */
HX_CMP(hx_fcom, ".byte 0xd8,0xd1")
HX_CMP(hx_fucom, ".byte 0xdd,0xe1")
HX_CMPM(hx_fcom_m32, uint32_t, "fcoms %[m]")
HX_CMPM(hx_fcom_m64, uint64_t, "fcoml %[m]")
HX_CMPM(hx_ficom_m32, uint32_t, "ficoml %[m]")
HX_CMPM(hx_ficom_m16, uint16_t, "ficoms %[m]")
HX_CMP1(hx_ftst, "ftst")
/* Other operations on st(0) and st(1). */
HX_ST0(hx_fscale, "fscale")
HX_ST0X(hx_fprem, HX_SYNC, "fprem")
HX_ST0X(hx_fprem1, HX_SYNC, "fprem1")
HX_POP(hx_fpatan, "fpatan")
HX_POP(hx_fyl2x, "fyl2x")
HX_POP(hx_fyl2xp1, "fyl2xp1")
HX_UN(hx_fsqrt, "fsqrt")
HX_UN(hx_frndint, "frndint")
HX_UN(hx_f2xm1, "f2xm1")
HX_UNX(hx_fsin, "", "fsin")
HX_UNX(hx_fcos, "", "fcos")
HX_PUSH(hx_fptan, "", "fptan", HX_C2CHECK)
HX_PUSH(hx_fsincos, "", "fsincos", HX_C2CHECK)
HX_PUSH(hx_fxtract, "", "fxtract", "")
/* Loads and constants. */
HX_LD(hx_fld_m32, uint32_t, "flds %[m]")
HX_LD(hx_fld_m64, uint64_t, "fldl %[m]")
HX_LD(hx_fbld, m80_t, "fbld %[m]")
HX_LD0(hx_fldl2t, "fldl2t")
HX_LD0(hx_fldl2e, "fldl2e")
HX_LD0(hx_fldpi, "fldpi")
HX_LD0(hx_fldlg2, "fldlg2")
HX_LD0(hx_fldln2, "fldln2")
/* Stores. fisttp is fistp with the rounding control forced to chop (hx_init's caller sets it),
 * so no SSE3 is needed on the host. */
HX_ST(hx_fst_m32, uint32_t, "fsts %[m]")
HX_ST(hx_fst_m64, uint64_t, "fstl %[m]")
HX_ST(hx_fist_m16, uint16_t, "fists %[m]")
HX_ST(hx_fist_m32, uint32_t, "fistl %[m]")
HX_STP(hx_fistp_m64, uint64_t, "fistpll %[m]")
HX_STP(hx_fbstp, m80_t, "fbstp %[m]")

/* ---- register stack and status word --------------------------------------------------------- */

typedef union f80 {
    long double ld;
    struct {
        uint64_t m;
        uint16_t se;
    } p;
} f80_t;

static inline long double f80_make(uint16_t se, uint64_t m)
{
    f80_t v;
    memset(&v, 0, sizeof(v));
    v.p.m = m;
    v.p.se = se;
    return v.ld;
}
/* The QNaN floating-point indefinite. */
#define INDEF() f80_make(0xffff, 0xc000000000000000ull)

AI int st_full(const cpu_t *c, int k) { return (c->fpu_ftw >> ((c->fpu_top + k) & 7)) & 1; }

AI void st_set(cpu_t *c, int k, long double v)
{
    int p = (c->fpu_top + k) & 7;
    c->fpr[p] = v;
    c->fpu_ftw = (uint8_t)(c->fpu_ftw | (1u << p));
}

AI void st_push(cpu_t *c, long double v)
{
    c->fpu_top = (c->fpu_top - 1) & 7;
    c->fpr[c->fpu_top] = v;
    c->fpu_ftw = (uint8_t)(c->fpu_ftw | (1u << c->fpu_top));
}

AI void st_pop(cpu_t *c)
{
    c->fpu_ftw = (uint8_t)(c->fpu_ftw & ~(1u << c->fpu_top));
    c->fpu_top = (c->fpu_top + 1) & 7;
}

/* ES and B follow the exception flags and masks. */
static inline void sw_update_es(cpu_t *c)
{
    if (c->fpu_sw & ~c->fpu_cw & SW_EXC) c->fpu_sw |= SW_ES | SW_B;
    else c->fpu_sw &= (uint16_t)~(SW_ES | SW_B);
}

/* Start of every waiting x87 instruction: a pending unmasked exception is delivered (#MF) before
 * it does anything. */
AI void x87_wait(cpu_t *c)
{
    if (UNLIKELY(c->fpu_sw & SW_ES)) cpu_fault(c, X86_MF, 0, 0);
}

/* A non-control instruction records its address and opcode (and its memory operand's address). */
AI void x87_note(cpu_t *c, const insn_t *i)
{
    c->fpu_ip = c->rip - i->len;
    c->fpu_fop = (uint16_t)i->imm;
}
AI void x87_note_dp(cpu_t *c, const insn_t *i, uint64_t ea)
{
    x87_note(c, i);
    c->fpu_dp = ea;
}

/* The unmasked exceptions among the flags of a host status word. */
AI unsigned hx_unmasked(const cpu_t *c, unsigned hsw) { return hsw & ~c->fpu_cw & SW_EXC; }

/* An unmasked invalid-operation, denormal or zero-divide exception: the operation is not
 * performed, so only those flags are raised (not the precision, overflow or underflow the host's
 * masked execution went on to), and C1 and C2 (fprem, fsin...: "incomplete") are 0. */
static unsigned sw_precomp(cpu_t *c, unsigned hsw, unsigned cmask)
{
    unsigned pre = hsw & (SW_IE | SW_DE | SW_ZE), m = cmask & (SW_C1 | SW_C2);
    c->fpu_sw = (uint16_t)((c->fpu_sw & ~m) | pre | SW_ES | SW_B);
    return pre & ~c->fpu_cw;
}

/* Merge a host status word: its exception flags, and the condition bits in cmask (the others keep
 * their values); ES and B when an unmasked exception was raised. Returns the unmasked ones.
 * sw_merge_all takes everything (comparisons: their condition codes are set even when IE is
 * unmasked); sw_merge applies sw_precomp's rule. */
AI unsigned sw_merge_all(cpu_t *c, unsigned hsw, unsigned cmask)
{
    unsigned unm = hx_unmasked(c, hsw);
    unsigned sw = (c->fpu_sw & ~cmask) | (hsw & (cmask | SW_EXC));
    if (unm) sw |= SW_ES | SW_B;
    c->fpu_sw = (uint16_t)sw;
    return unm;
}
AI unsigned sw_merge(cpu_t *c, unsigned hsw, unsigned cmask)
{
    if (UNLIKELY(hx_unmasked(c, hsw) & (SW_IE | SW_DE | SW_ZE)))
        return sw_precomp(c, hsw, cmask);
    return sw_merge_all(c, hsw, cmask);
}

/* Stack overflow (a push onto a register that is not empty) or underflow (an empty register read):
 * IE and SF, C1 = 1 for overflow and 0 for underflow. Returns 1 when IE is masked (the instruction
 * goes on with the QNaN indefinite as its result), 0 when it is unmasked (nothing else changes). */
static int stack_fault(cpu_t *c, int overflow)
{
    unsigned sw = (c->fpu_sw & ~SW_C1) | SW_IE | SW_SF | (overflow ? SW_C1 : 0);
    if (!(c->fpu_cw & CW_IM)) {
        c->fpu_sw = (uint16_t)(sw | SW_ES | SW_B);
        return 0;
    }
    c->fpu_sw = (uint16_t)sw;
    return 1;
}

/* C1 = 0, the other condition bits unchanged (instructions that define only C1, when they raise
 * nothing). */
AI void sw_c1_clear(cpu_t *c) { c->fpu_sw &= (uint16_t)~SW_C1; }

/* ---- memory ---------------------------------------------------------------------------------- */

/* Read n bytes (n <= 512). */
static void x87_rd(cpu_t *c, uint64_t va, void *buf, int n)
{
    if ((va & 0xfff) + (uint64_t)n <= 0x1000) memcpy(buf, mem_read_ptr(c, va, n), (size_t)n);
    else mem_read_buf(c, va, buf, (size_t)n);
}

/* Write n bytes (n <= 512): every page is translated before anything is written, so a faulting
 * store has no effect. */
static void x87_wr(cpu_t *c, uint64_t va, const void *buf, int n)
{
    uint8_t *p[3];
    int len[3], np = 0;
    uint64_t a = va;
    int left = n;
    while (left > 0) {
        int k = (int)(0x1000 - (a & 0xfff));
        if (k > left) k = left;
        p[np] = mem_write_ptr(c, a, k);
        len[np++] = k;
        a += (uint64_t)k;
        left -= k;
    }
    const uint8_t *s = buf;
    for (int j = 0; j < np; j++) {
        memcpy(p[j], s, (size_t)len[j]);
        s += len[j];
    }
}

static long double rd80(cpu_t *c, uint64_t va)
{
    f80_t v;
    memset(&v, 0, sizeof(v));
    x87_rd(c, va, &v, 10);
    return v.ld;
}

static m80_t rdm80(cpu_t *c, uint64_t va)
{
    m80_t v;
    x87_rd(c, va, &v, 10);
    return v;
}

static void wr80(cpu_t *c, uint64_t va, long double x) { x87_wr(c, va, &x, 10); }

/* ---- arithmetic ------------------------------------------------------------------------------ */

typedef long double (*hx2_fn)(hx_t *, long double, long double);

/* Register forms: D8 st(0) = st(0) op st(i) (dst_is_i 0); DC and DE st(i) = st(i) op st(0)
 * (dst_is_i 1), then pop for DE. fn always gets st(0) and st(i) in that order. */
AI void arith_reg(cpu_t *c, const insn_t *i, hx2_fn fn, int dst_is_i, int pop)
{
    x87_wait(c);
    x87_note(c, i);
    int k = i->aux;
    long double r;
    if (UNLIKELY(!st_full(c, 0) || !st_full(c, k))) {
        if (!stack_fault(c, 0)) return;
        r = INDEF();
    } else {
        hx_t h;
        hx_init(c, &h);
        r = fn(&h, ST(c, 0), ST(c, k));
        if (sw_merge(c, h.sw, SW_C1) & NOWRITE_REG) return;
    }
    st_set(c, dst_is_i ? k : 0, r);
    if (pop) st_pop(c);
}

/* Memory forms: st(0) = st(0) op m (m32fp, m64fp, m32int, m16int). */
#define ARITH_MEM(name, type, bits, fn)                                                           \
    static void name(cpu_t *c, const insn_t *i)                                                   \
    {                                                                                             \
        x87_wait(c);                                                                              \
        uint64_t ea = insn_ea(c, i);                                                              \
        type m = mem_rd##bits(c, ea);                                                             \
        x87_note_dp(c, i, ea);                                                                    \
        long double r;                                                                            \
        if (UNLIKELY(!st_full(c, 0))) {                                                           \
            if (!stack_fault(c, 0)) return;                                                       \
            r = INDEF();                                                                          \
        } else {                                                                                  \
            hx_t h;                                                                               \
            hx_init(c, &h);                                                                       \
            r = fn(&h, ST(c, 0), m);                                                              \
            if (sw_merge(c, h.sw, SW_C1) & NOWRITE_REG) return;                                   \
        }                                                                                         \
        st_set(c, 0, r);                                                                          \
    }
#define ARITH_MEM_ALL(t, type, bits)                                                              \
    ARITH_MEM(am_##t##_0, type, bits, hx_##t##_0) ARITH_MEM(am_##t##_1, type, bits, hx_##t##_1)   \
    ARITH_MEM(am_##t##_4, type, bits, hx_##t##_4) ARITH_MEM(am_##t##_5, type, bits, hx_##t##_5)   \
    ARITH_MEM(am_##t##_6, type, bits, hx_##t##_6) ARITH_MEM(am_##t##_7, type, bits, hx_##t##_7)
ARITH_MEM_ALL(m32, uint32_t, 32)
ARITH_MEM_ALL(m64, uint64_t, 64)
ARITH_MEM_ALL(i32, uint32_t, 32)
ARITH_MEM_ALL(i16, uint16_t, 16)

#define ARITH_REG(n)                                                                              \
    static void ar_d8_##n(cpu_t *c, const insn_t *i) { arith_reg(c, i, hx_d8_##n, 0, 0); }       \
    static void ar_dc_##n(cpu_t *c, const insn_t *i) { arith_reg(c, i, hx_dc_##n, 1, 0); }       \
    static void ar_de_##n(cpu_t *c, const insn_t *i) { arith_reg(c, i, hx_de_##n, 1, 1); }
ARITH_REG(0)
ARITH_REG(1)
ARITH_REG(4)
ARITH_REG(5)
ARITH_REG(6)
ARITH_REG(7)

/* ---- comparisons ----------------------------------------------------------------------------- */

/* Finish a comparison: hsw holds the host's C0, C2, C3 (less, unordered, equal). fcom* sets the
 * condition bits; fcomi* sets ZF, PF, CF (= C3, C2, C0) and clears OF, SF, AF (C1 unchanged). They
 * are set even with an unmasked invalid-operation or denormal exception, which only stops the
 * pops. */
AI void cmp_finish(cpu_t *c, unsigned hsw, int npop, int eflags)
{
    unsigned unm;
    if (eflags) {
        unm = sw_merge_all(c, hsw, 0);
        uint32_t f = ((hsw & SW_C3) ? FL_ZF : 0) | ((hsw & SW_C2) ? FL_PF : 0) | ((hsw & SW_C0) ? FL_CF : 0);
        flags_set_arith(c, f);
    } else {
        unm = sw_merge_all(c, hsw, SW_CC);
    }
    if (unm & (SW_IE | SW_DE)) return;
    while (npop--) st_pop(c);
}

/* A comparison with an empty operand: the result is "unordered" (even with IE unmasked); the
 * pops happen only when IE is masked. */
AI void cmp_underflow(cpu_t *c, int npop, int eflags)
{
    int masked = stack_fault(c, 0);
    if (eflags) flags_set_arith(c, FL_ZF | FL_PF | FL_CF);
    else c->fpu_sw |= SW_C0 | SW_C2 | SW_C3;
    if (masked)
        while (npop--) st_pop(c);
}

typedef void (*hxcmp_fn)(hx_t *, long double, long double);

/* fcom/fucom st(i) (and their popping forms), fcomi/fucomi (and fcomip/fucomip). */
AI void cmp_reg(cpu_t *c, const insn_t *i, hxcmp_fn fn, int k, int npop, int eflags)
{
    x87_wait(c);
    x87_note(c, i);
    if (UNLIKELY(!st_full(c, 0) || !st_full(c, k))) {
        cmp_underflow(c, npop, eflags);
        return;
    }
    hx_t h;
    hx_init(c, &h);
    fn(&h, ST(c, 0), ST(c, k));
    cmp_finish(c, h.sw, npop, eflags);
}

static void h_fcom(cpu_t *c, const insn_t *i) { cmp_reg(c, i, hx_fcom, i->aux, 0, 0); }
static void h_fcomp(cpu_t *c, const insn_t *i) { cmp_reg(c, i, hx_fcom, i->aux, 1, 0); }
static void h_fcompp(cpu_t *c, const insn_t *i) { cmp_reg(c, i, hx_fcom, 1, 2, 0); }
static void h_fucom(cpu_t *c, const insn_t *i) { cmp_reg(c, i, hx_fucom, i->aux, 0, 0); }
static void h_fucomp(cpu_t *c, const insn_t *i) { cmp_reg(c, i, hx_fucom, i->aux, 1, 0); }
static void h_fucompp(cpu_t *c, const insn_t *i) { cmp_reg(c, i, hx_fucom, 1, 2, 0); }
static void h_fcomi(cpu_t *c, const insn_t *i) { cmp_reg(c, i, hx_fcom, i->aux, 0, 1); }
static void h_fcomip(cpu_t *c, const insn_t *i) { cmp_reg(c, i, hx_fcom, i->aux, 1, 1); }
static void h_fucomi(cpu_t *c, const insn_t *i) { cmp_reg(c, i, hx_fucom, i->aux, 0, 1); }
static void h_fucomip(cpu_t *c, const insn_t *i) { cmp_reg(c, i, hx_fucom, i->aux, 1, 1); }

#define CMP_MEM(name, type, bits, fn, npop)                                                       \
    static void name(cpu_t *c, const insn_t *i)                                                   \
    {                                                                                             \
        x87_wait(c);                                                                              \
        uint64_t ea = insn_ea(c, i);                                                              \
        type m = mem_rd##bits(c, ea);                                                             \
        x87_note_dp(c, i, ea);                                                                    \
        if (UNLIKELY(!st_full(c, 0))) {                                                           \
            cmp_underflow(c, npop, 0);                                                            \
            return;                                                                               \
        }                                                                                         \
        hx_t h;                                                                                   \
        hx_init(c, &h);                                                                           \
        fn(&h, ST(c, 0), m);                                                                      \
        cmp_finish(c, h.sw, npop, 0);                                                             \
    }
CMP_MEM(h_fcom_m32, uint32_t, 32, hx_fcom_m32, 0)
CMP_MEM(h_fcomp_m32, uint32_t, 32, hx_fcom_m32, 1)
CMP_MEM(h_fcom_m64, uint64_t, 64, hx_fcom_m64, 0)
CMP_MEM(h_fcomp_m64, uint64_t, 64, hx_fcom_m64, 1)
CMP_MEM(h_ficom_m32, uint32_t, 32, hx_ficom_m32, 0)
CMP_MEM(h_ficomp_m32, uint32_t, 32, hx_ficom_m32, 1)
CMP_MEM(h_ficom_m16, uint16_t, 16, hx_ficom_m16, 0)
CMP_MEM(h_ficomp_m16, uint16_t, 16, hx_ficom_m16, 1)

static void h_ftst(cpu_t *c, const insn_t *i)
{
    x87_wait(c);
    x87_note(c, i);
    if (UNLIKELY(!st_full(c, 0))) {
        cmp_underflow(c, 0, 0);
        return;
    }
    hx_t h;
    hx_init(c, &h);
    hx_ftst(&h, ST(c, 0));
    cmp_finish(c, h.sw, 0, 0);
}

/* fxam: the class of st(0) in C3, C2, C0 and its sign in C1 (empty registers included). */
static void h_fxam(cpu_t *c, const insn_t *i)
{
    x87_wait(c);
    x87_note(c, i);
    f80_t v;
    v.ld = ST(c, 0);
    unsigned e = v.p.se & 0x7fff, cls;
    int j = (int)(v.p.m >> 63);
    if (!st_full(c, 0)) cls = SW_C3 | SW_C0;                              /* empty */
    else if (e == 0) cls = v.p.m ? SW_C3 | SW_C2 : SW_C3;                 /* denormal, zero */
    else if (!j) cls = 0;                                                 /* unsupported */
    else if (e == 0x7fff) cls = (v.p.m << 1) ? SW_C0 : SW_C2 | SW_C0;     /* NaN, infinity */
    else cls = SW_C2;                                                     /* normal */
    if (v.p.se & 0x8000) cls |= SW_C1;
    c->fpu_sw = (uint16_t)((c->fpu_sw & ~SW_CC) | cls);
}

/* ---- loads ----------------------------------------------------------------------------------- */

/* A push: returns 0 when the instruction must stop (stack overflow with IE unmasked); 1 when it
 * goes on, with *indef set when the masked overflow response (push the indefinite) applies. */
AI int push_check(cpu_t *c, int *indef)
{
    *indef = 0;
    if (LIKELY(!st_full(c, 7))) return 1;
    if (!stack_fault(c, 1)) return 0;
    *indef = 1;
    return 1;
}

static void h_fld_st(cpu_t *c, const insn_t *i)
{
    x87_wait(c);
    x87_note(c, i);
    int k = i->aux, ind;
    if (UNLIKELY(!st_full(c, k))) {
        if (!stack_fault(c, 0)) return; /* underflow wins over a simultaneous overflow */
        st_push(c, INDEF());
        return;
    }
    if (!push_check(c, &ind)) return;
    long double v = ind ? INDEF() : ST(c, k);
    if (!ind) sw_c1_clear(c);
    st_push(c, v);
}

static void h_fld_m80(cpu_t *c, const insn_t *i)
{
    x87_wait(c);
    uint64_t ea = insn_ea(c, i);
    long double v = rd80(c, ea);
    x87_note_dp(c, i, ea);
    int ind;
    if (!push_check(c, &ind)) return;
    if (ind) v = INDEF();
    else sw_c1_clear(c);
    st_push(c, v);
}

/* The status of a load converted by the host: only an unmasked invalid-operation exception (a
 * signalling NaN) stops the push; a denormal operand is loaded even with DE unmasked. Returns
 * whether to push. */
static int load_merge(cpu_t *c, unsigned hsw)
{
    if (UNLIKELY(hx_unmasked(c, hsw) & SW_IE)) {
        sw_precomp(c, hsw, SW_C1);
        return 0;
    }
    sw_merge_all(c, hsw, SW_C1);
    return 1;
}

#define FLD_HOST(name, type, bits, fn)                                                            \
    static void name(cpu_t *c, const insn_t *i)                                                   \
    {                                                                                             \
        x87_wait(c);                                                                              \
        uint64_t ea = insn_ea(c, i);                                                              \
        type m = mem_rd##bits(c, ea);                                                             \
        x87_note_dp(c, i, ea);                                                                    \
        int ind;                                                                                  \
        if (!push_check(c, &ind)) return;                                                         \
        long double v;                                                                            \
        if (ind) {                                                                                \
            v = INDEF();                                                                          \
        } else {                                                                                  \
            hx_t h;                                                                               \
            hx_init(c, &h);                                                                       \
            v = fn(&h, m);                                                                        \
            if (!load_merge(c, h.sw)) return;                                                     \
        }                                                                                         \
        st_push(c, v);                                                                            \
    }
FLD_HOST(h_fld_m32, uint32_t, 32, hx_fld_m32)
FLD_HOST(h_fld_m64, uint64_t, 64, hx_fld_m64)

static void h_fbld(cpu_t *c, const insn_t *i)
{
    x87_wait(c);
    uint64_t ea = insn_ea(c, i);
    m80_t m = rdm80(c, ea);
    x87_note_dp(c, i, ea);
    int ind;
    if (!push_check(c, &ind)) return;
    long double v;
    if (ind) {
        v = INDEF();
    } else {
        hx_t h;
        hx_init(c, &h);
        v = hx_fbld(&h, m);
        if (!load_merge(c, h.sw)) return;
    }
    st_push(c, v);
}

/* fild: the conversion is exact and raises nothing. */
#define FILD(name, itype, bits)                                                                   \
    static void name(cpu_t *c, const insn_t *i)                                                   \
    {                                                                                             \
        x87_wait(c);                                                                              \
        uint64_t ea = insn_ea(c, i);                                                              \
        itype m = (itype)mem_rd##bits(c, ea);                                                     \
        x87_note_dp(c, i, ea);                                                                    \
        int ind;                                                                                  \
        if (!push_check(c, &ind)) return;                                                         \
        if (!ind) sw_c1_clear(c);                                                                 \
        st_push(c, ind ? INDEF() : (long double)m);                                               \
    }
FILD(h_fild_m16, int16_t, 16)
FILD(h_fild_m32, int32_t, 32)
FILD(h_fild_m64, int64_t, 64)

/* Constants: +1.0 and +0.0 are exact; the others are rounded as RC says (done by the host). */
AI void fld_const(cpu_t *c, const insn_t *i, long double (*fn)(hx_t *), long double exact)
{
    x87_wait(c);
    x87_note(c, i);
    int ind;
    if (!push_check(c, &ind)) return;
    long double v = exact;
    if (ind) {
        v = INDEF();
    } else if (fn) {
        hx_t h;
        hx_init(c, &h);
        v = fn(&h);
        sw_merge(c, h.sw, SW_C1);
    } else {
        sw_c1_clear(c);
    }
    st_push(c, v);
}
static void h_fld1(cpu_t *c, const insn_t *i) { fld_const(c, i, NULL, 1.0L); }
static void h_fldz(cpu_t *c, const insn_t *i) { fld_const(c, i, NULL, 0.0L); }
static void h_fldl2t(cpu_t *c, const insn_t *i) { fld_const(c, i, hx_fldl2t, 0); }
static void h_fldl2e(cpu_t *c, const insn_t *i) { fld_const(c, i, hx_fldl2e, 0); }
static void h_fldpi(cpu_t *c, const insn_t *i) { fld_const(c, i, hx_fldpi, 0); }
static void h_fldlg2(cpu_t *c, const insn_t *i) { fld_const(c, i, hx_fldlg2, 0); }
static void h_fldln2(cpu_t *c, const insn_t *i) { fld_const(c, i, hx_fldln2, 0); }

/* ---- stores ---------------------------------------------------------------------------------- */

/* fst/fstp st(i) (and the fstp aliases D9 D8+i, DF D0+i, DF D8+i): an exact copy. */
AI void fst_st(cpu_t *c, const insn_t *i, int pop)
{
    x87_wait(c);
    x87_note(c, i);
    long double v;
    if (UNLIKELY(!st_full(c, 0))) {
        if (!stack_fault(c, 0)) return;
        v = INDEF();
    } else {
        v = ST(c, 0);
        sw_c1_clear(c);
    }
    st_set(c, i->aux, v);
    if (pop) st_pop(c);
}
static void h_fst_st(cpu_t *c, const insn_t *i) { fst_st(c, i, 0); }
static void h_fstp_st(cpu_t *c, const insn_t *i) { fst_st(c, i, 1); }

/* D9 D8+i (FSTPNCE, once the reserved "fstp1"): fstp st(i) that never signals stack underflow:
 * an empty st(0) is only popped. */
static void h_fstpnce(cpu_t *c, const insn_t *i)
{
    x87_wait(c);
    x87_note(c, i);
    sw_c1_clear(c);
    if (st_full(c, 0)) st_set(c, i->aux, ST(c, 0));
    st_pop(c);
}

/* fstp m80 (there is no fst m80): an exact copy. */
AI void fst_m80(cpu_t *c, const insn_t *i, int pop)
{
    x87_wait(c);
    uint64_t ea = insn_ea(c, i);
    x87_note_dp(c, i, ea);
    long double v;
    unsigned sw = c->fpu_sw;
    if (UNLIKELY(!st_full(c, 0))) {
        if (!stack_fault(c, 0)) return;
        v = INDEF();
    } else {
        v = ST(c, 0);
        sw_c1_clear(c);
    }
    unsigned nsw = c->fpu_sw;
    c->fpu_sw = (uint16_t)sw;
    wr80(c, ea, v); /* may fault: the status word is committed after */
    c->fpu_sw = (uint16_t)nsw;
    if (pop) st_pop(c);
}
static void h_fstp_m80(cpu_t *c, const insn_t *i) { fst_m80(c, i, 1); }

/* Stores through the host (fst m32/m64, fist, fisttp, fbstp): the value converted by the host;
 * nothing is stored or popped when an unmasked IE, OE, UE or DE was raised; the indefinite is
 * converted when st(0) is empty and IE masked. chop: fisttp. */
#define FST_HOST(name, type, store, fn, pop, chop)                                                \
    static void name(cpu_t *c, const insn_t *i)                                                   \
    {                                                                                             \
        x87_wait(c);                                                                              \
        uint64_t ea = insn_ea(c, i);                                                              \
        x87_note_dp(c, i, ea);                                                                    \
        long double v;                                                                            \
        unsigned sw0 = c->fpu_sw;                                                                 \
        hx_t h;                                                                                   \
        if (UNLIKELY(!st_full(c, 0))) {                                                           \
            if (!stack_fault(c, 0)) return;                                                       \
            v = INDEF();                                                                          \
        } else {                                                                                  \
            v = ST(c, 0);                                                                         \
        }                                                                                         \
        hx_init(c, &h);                                                                           \
        if (chop) h.cw |= CW_RC;                                                                  \
        type m = fn(&h, v);                                                                       \
        unsigned unm = sw_merge(c, h.sw, SW_C1);                                                  \
        if (unm & NOWRITE_MEM) return;                                                            \
        unsigned nsw = c->fpu_sw;                                                                 \
        c->fpu_sw = (uint16_t)sw0;                                                                \
        store(c, ea, m); /* may fault: the status word is committed after */                      \
        c->fpu_sw = (uint16_t)nsw;                                                                \
        if (pop) st_pop(c);                                                                       \
    }
static void store_m80(cpu_t *c, uint64_t ea, m80_t m) { x87_wr(c, ea, &m, 10); }
FST_HOST(h_fst_m32, uint32_t, mem_wr32, hx_fst_m32, 0, 0)
FST_HOST(h_fstp_m32, uint32_t, mem_wr32, hx_fst_m32, 1, 0)
FST_HOST(h_fst_m64, uint64_t, mem_wr64, hx_fst_m64, 0, 0)
FST_HOST(h_fstp_m64, uint64_t, mem_wr64, hx_fst_m64, 1, 0)
FST_HOST(h_fist_m16, uint16_t, mem_wr16, hx_fist_m16, 0, 0)
FST_HOST(h_fistp_m16, uint16_t, mem_wr16, hx_fist_m16, 1, 0)
FST_HOST(h_fist_m32, uint32_t, mem_wr32, hx_fist_m32, 0, 0)
FST_HOST(h_fistp_m32, uint32_t, mem_wr32, hx_fist_m32, 1, 0)
FST_HOST(h_fistp_m64, uint64_t, mem_wr64, hx_fistp_m64, 1, 0)
FST_HOST(h_fisttp_m16, uint16_t, mem_wr16, hx_fist_m16, 1, 1)
FST_HOST(h_fisttp_m32, uint32_t, mem_wr32, hx_fist_m32, 1, 1)
FST_HOST(h_fisttp_m64, uint64_t, mem_wr64, hx_fistp_m64, 1, 1)
FST_HOST(h_fbstp, m80_t, store_m80, hx_fbstp, 1, 0)

/* ---- other operations on the stack ----------------------------------------------------------- */

static void h_fxch(cpu_t *c, const insn_t *i)
{
    x87_wait(c);
    x87_note(c, i);
    int k = i->aux;
    if (UNLIKELY(!st_full(c, 0) || !st_full(c, k))) {
        if (!stack_fault(c, 0)) return;
        if (!st_full(c, 0)) st_set(c, 0, INDEF());
        if (!st_full(c, k)) st_set(c, k, INDEF());
    } else {
        sw_c1_clear(c);
    }
    long double t = ST(c, 0);
    ST(c, 0) = ST(c, k);
    ST(c, k) = t;
}

/* fcmovcc: st(0) = st(i) when the condition (on CF, ZF, PF) holds. C1 keeps its value. */
AI void fcmov(cpu_t *c, const insn_t *i, int cc)
{
    x87_wait(c);
    x87_note(c, i);
    int k = i->aux;
    if (UNLIKELY(!st_full(c, 0) || !st_full(c, k))) {
        if (!stack_fault(c, 0)) return;
        st_set(c, 0, INDEF()); /* whatever the condition */
        return;
    }
    if (flags_cond(c, cc)) ST(c, 0) = ST(c, k);
}
static void h_fcmovb(cpu_t *c, const insn_t *i) { fcmov(c, i, CC_B); }
static void h_fcmove(cpu_t *c, const insn_t *i) { fcmov(c, i, CC_E); }
static void h_fcmovbe(cpu_t *c, const insn_t *i) { fcmov(c, i, CC_BE); }
static void h_fcmovu(cpu_t *c, const insn_t *i) { fcmov(c, i, CC_P); }
static void h_fcmovnb(cpu_t *c, const insn_t *i) { fcmov(c, i, CC_AE); }
static void h_fcmovne(cpu_t *c, const insn_t *i) { fcmov(c, i, CC_NE); }
static void h_fcmovnbe(cpu_t *c, const insn_t *i) { fcmov(c, i, CC_A); }
static void h_fcmovnu(cpu_t *c, const insn_t *i) { fcmov(c, i, CC_NP); }

/* fchs, fabs: the sign bit only; nothing raised. */
AI void fsign(cpu_t *c, const insn_t *i, int abs)
{
    x87_wait(c);
    x87_note(c, i);
    if (UNLIKELY(!st_full(c, 0))) {
        if (!stack_fault(c, 0)) return;
        st_set(c, 0, INDEF());
        return;
    }
    f80_t v;
    v.ld = ST(c, 0);
    v.p.se = abs ? (uint16_t)(v.p.se & 0x7fff) : (uint16_t)(v.p.se ^ 0x8000);
    ST(c, 0) = v.ld;
    sw_c1_clear(c);
}
static void h_fchs(cpu_t *c, const insn_t *i) { fsign(c, i, 0); }
static void h_fabs(cpu_t *c, const insn_t *i) { fsign(c, i, 1); }

/* One-operand operations on st(0): fsqrt, frndint, f2xm1 (C1), fsin, fcos (C1, C2: out of range,
 * st(0) unchanged). */
AI void unary(cpu_t *c, const insn_t *i, long double (*fn)(hx_t *, long double), unsigned cmask)
{
    x87_wait(c);
    x87_note(c, i);
    long double r;
    if (UNLIKELY(!st_full(c, 0))) {
        c->fpu_sw &= (uint16_t)~(cmask & SW_C2);
        if (!stack_fault(c, 0)) return;
        r = INDEF();
    } else {
        hx_t h;
        hx_init(c, &h);
        r = fn(&h, ST(c, 0));
        if (sw_merge(c, h.sw, cmask) & NOWRITE_REG) return;
    }
    st_set(c, 0, r);
}
static void h_fsqrt(cpu_t *c, const insn_t *i) { unary(c, i, hx_fsqrt, SW_C1); }
static void h_frndint(cpu_t *c, const insn_t *i) { unary(c, i, hx_frndint, SW_C1); }
static void h_f2xm1(cpu_t *c, const insn_t *i) { unary(c, i, hx_f2xm1, SW_C1); }
static void h_fsin(cpu_t *c, const insn_t *i) { unary(c, i, hx_fsin, SW_C1 | SW_C2); }
static void h_fcos(cpu_t *c, const insn_t *i) { unary(c, i, hx_fcos, SW_C1 | SW_C2); }

/* fscale, fprem, fprem1: st(0) = f(st(0), st(1)). */
AI void binary01(cpu_t *c, const insn_t *i, hx2_fn fn, unsigned cmask)
{
    x87_wait(c);
    x87_note(c, i);
    long double r;
    if (UNLIKELY(!st_full(c, 0) || !st_full(c, 1))) {
        c->fpu_sw &= (uint16_t)~(cmask & SW_C2);
        if (!stack_fault(c, 0)) return;
        r = INDEF();
    } else {
        hx_t h;
        hx_init(c, &h);
        r = fn(&h, ST(c, 0), ST(c, 1));
        if (sw_merge(c, h.sw, cmask) & NOWRITE_REG) return;
    }
    st_set(c, 0, r);
}
static void h_fscale(cpu_t *c, const insn_t *i) { binary01(c, i, hx_fscale, SW_C1); }
static void h_fprem(cpu_t *c, const insn_t *i) { binary01(c, i, hx_fprem, SW_CC); }
static void h_fprem1(cpu_t *c, const insn_t *i) { binary01(c, i, hx_fprem1, SW_CC); }

/* fpatan, fyl2x, fyl2xp1: st(1) = f(st(0), st(1)), pop. */
AI void binary_pop(cpu_t *c, const insn_t *i, hx2_fn fn)
{
    x87_wait(c);
    x87_note(c, i);
    long double r;
    if (UNLIKELY(!st_full(c, 0) || !st_full(c, 1))) {
        if (!stack_fault(c, 0)) return;
        r = INDEF();
    } else {
        hx_t h;
        hx_init(c, &h);
        r = fn(&h, ST(c, 0), ST(c, 1));
        if (sw_merge(c, h.sw, SW_C1) & NOWRITE_REG) return;
    }
    st_set(c, 1, r);
    st_pop(c);
}
static void h_fpatan(cpu_t *c, const insn_t *i) { binary_pop(c, i, hx_fpatan); }
static void h_fyl2x(cpu_t *c, const insn_t *i) { binary_pop(c, i, hx_fyl2x); }
static void h_fyl2xp1(cpu_t *c, const insn_t *i) { binary_pop(c, i, hx_fyl2xp1); }

/* fptan (st(0) = tan, push 1), fsincos (st(0) = sin, push cos), fxtract (st(0) = exponent, push
 * the significand). fptan and fsincos set C2 and change nothing when |st(0)| >= 2^63. */
AI void push2(cpu_t *c, const insn_t *i, void (*fn)(hx_t *, long double, long double *, long double *),
              unsigned cmask)
{
    x87_wait(c);
    x87_note(c, i);
    if (UNLIKELY(!st_full(c, 0) || st_full(c, 7))) {
        c->fpu_sw &= (uint16_t)~(cmask & SW_C2);
        if (!stack_fault(c, st_full(c, 0))) return;
        st_set(c, 0, INDEF());
        st_push(c, INDEF());
        return;
    }
    hx_t h;
    long double r0, r1;
    hx_init(c, &h);
    fn(&h, ST(c, 0), &r0, &r1);
    if (sw_merge(c, h.sw, cmask) & NOWRITE_REG) return;
    if ((cmask & SW_C2) && (h.sw & SW_C2)) return;
    st_set(c, 0, r1);
    st_push(c, r0);
}
static void h_fptan(cpu_t *c, const insn_t *i) { push2(c, i, hx_fptan, SW_C1 | SW_C2); }
static void h_fsincos(cpu_t *c, const insn_t *i) { push2(c, i, hx_fsincos, SW_C1 | SW_C2); }
static void h_fxtract(cpu_t *c, const insn_t *i) { push2(c, i, hx_fxtract, SW_C1); }

static void h_fincstp(cpu_t *c, const insn_t *i)
{
    x87_wait(c);
    x87_note(c, i);
    c->fpu_top = (c->fpu_top + 1) & 7;
    sw_c1_clear(c);
}

static void h_fdecstp(cpu_t *c, const insn_t *i)
{
    x87_wait(c);
    x87_note(c, i);
    c->fpu_top = (c->fpu_top - 1) & 7;
    sw_c1_clear(c);
}

static void h_ffree(cpu_t *c, const insn_t *i)
{
    x87_wait(c);
    x87_note(c, i);
    c->fpu_ftw = (uint8_t)(c->fpu_ftw & ~(1u << ((c->fpu_top + i->aux) & 7)));
    sw_c1_clear(c);
}

static void h_ffreep(cpu_t *c, const insn_t *i)
{
    h_ffree(c, i);
    st_pop(c);
}

static void h_fnop(cpu_t *c, const insn_t *i)
{
    x87_wait(c);
    x87_note(c, i);
}

/* fwait (9B) and the reserved no-ops DB E0, E1, E4 (8087/287 control, ignored since the 387). */
void h_fwait(cpu_t *c, const insn_t *i)
{
    (void)i;
    x87_wait(c);
}

/* ---- control --------------------------------------------------------------------------------- */

static void h_fninit(cpu_t *c, const insn_t *i)
{
    (void)i;
    c->fpu_cw = 0x37f;
    c->fpu_sw = 0;
    c->fpu_top = 0;
    c->fpu_ftw = 0;
    c->fpu_fop = 0;
    c->fpu_ip = 0;
    c->fpu_dp = 0;
}

static void h_fnclex(cpu_t *c, const insn_t *i)
{
    (void)i;
    c->fpu_sw &= (uint16_t)~(SW_EXC | SW_SF | SW_ES | SW_B);
}

static void h_fldcw(cpu_t *c, const insn_t *i)
{
    x87_wait(c);
    uint16_t v = mem_rd16(c, insn_ea(c, i));
    c->fpu_cw = (uint16_t)((v & CW_VALID) | 0x40);
    sw_update_es(c);
}

static void h_fnstcw(cpu_t *c, const insn_t *i) { mem_wr16(c, insn_ea(c, i), c->fpu_cw); }

static uint16_t sw_full(const cpu_t *c) { return (uint16_t)((c->fpu_sw & ~SW_TOP) | ((unsigned)c->fpu_top << 11)); }

static void h_fnstsw_m(cpu_t *c, const insn_t *i) { mem_wr16(c, insn_ea(c, i), sw_full(c)); }

static void h_fnstsw_ax(cpu_t *c, const insn_t *i)
{
    (void)i;
    uint16_t v = sw_full(c);
    memcpy(&c->r[R_RAX], &v, 2);
}

/* The full tag word: 00 valid, 01 zero, 10 special (NaN, infinity, denormal, unsupported), 11 empty. */
static uint16_t tag_word(const cpu_t *c)
{
    unsigned tw = 0;
    for (int p = 0; p < 8; p++) {
        unsigned t;
        if (!((c->fpu_ftw >> p) & 1)) {
            t = 3;
        } else {
            f80_t v;
            v.ld = c->fpr[p];
            unsigned e = v.p.se & 0x7fff;
            if (e == 0) t = v.p.m ? 2 : 1;
            else if (e == 0x7fff || !(v.p.m >> 63)) t = 2;
            else t = 0;
        }
        tw |= t << (2 * p);
    }
    return (uint16_t)tw;
}

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static unsigned get16(const uint8_t *p) { return p[0] | (unsigned)p[1] << 8; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* The selectors stored in the environment (not kept as state): a 64-bit Linux process's CS once
 * an x87 instruction has recorded its address, its DS once one has recorded a memory operand
 * (fninit clears them with the pointers). */
#define ENV_CS(c) (((c)->fpu_ip | (c)->fpu_dp | (c)->fpu_fop) ? 0x33u : 0u)
#define ENV_DS(c) ((c)->fpu_dp ? 0x2bu : 0u)

/* The environment image (SDM vol. 1, fig. 8-9 and 8-10, protected mode): 28 bytes, or 14 with
 * the 16-bit operand size. Returns its size. */
static int env_store(const cpu_t *c, uint8_t *b, int o16)
{
    if (o16) {
        put16(b + 0, c->fpu_cw);
        put16(b + 2, sw_full(c));
        put16(b + 4, tag_word(c));
        put16(b + 6, (unsigned)c->fpu_ip);
        put16(b + 8, ENV_CS(c));
        put16(b + 10, (unsigned)c->fpu_dp);
        put16(b + 12, ENV_DS(c));
        return 14;
    }
    put32(b + 0, 0xffff0000u | c->fpu_cw);
    put32(b + 4, 0xffff0000u | sw_full(c));
    put32(b + 8, 0xffff0000u | tag_word(c));
    put32(b + 12, (uint32_t)c->fpu_ip);
    put32(b + 16, ENV_CS(c) | (uint32_t)(c->fpu_fop & 0x7ff) << 16);
    put32(b + 20, (uint32_t)c->fpu_dp);
    put32(b + 24, 0xffff0000u | ENV_DS(c));
    return 28;
}

static int env_load(cpu_t *c, const uint8_t *b, int o16)
{
    unsigned cw, sw, tw;
    cw = get16(b + 0);
    sw = get16(b + (o16 ? 2 : 4));
    tw = get16(b + (o16 ? 4 : 8));
    if (o16) {
        c->fpu_ip = get16(b + 6);
        c->fpu_dp = get16(b + 10);
        c->fpu_fop = 0;
    } else {
        c->fpu_ip = get32(b + 12);
        c->fpu_fop = (uint16_t)((get32(b + 16) >> 16) & 0x7ff);
        c->fpu_dp = get32(b + 20);
    }
    c->fpu_cw = (uint16_t)((cw & CW_VALID) | 0x40);
    c->fpu_top = (uint8_t)((sw >> 11) & 7);
    c->fpu_sw = (uint16_t)(sw & ~SW_TOP);
    unsigned ftw = 0;
    for (int p = 0; p < 8; p++)
        if (((tw >> (2 * p)) & 3) != 3) ftw |= 1u << p;
    c->fpu_ftw = (uint8_t)ftw;
    sw_update_es(c);
    return o16 ? 14 : 28;
}

static void h_fnstenv(cpu_t *c, const insn_t *i)
{
    uint8_t b[28];
    int n = env_store(c, b, i->osz == 2);
    x87_wr(c, insn_ea(c, i), b, n);
    c->fpu_cw |= 0x3f; /* then every exception is masked */
    sw_update_es(c);
}

static void h_fldenv(cpu_t *c, const insn_t *i)
{
    x87_wait(c);
    uint8_t b[28];
    int o16 = i->osz == 2;
    x87_rd(c, insn_ea(c, i), b, o16 ? 14 : 28);
    env_load(c, b, o16);
}

static void h_fnsave(cpu_t *c, const insn_t *i)
{
    uint8_t b[108];
    int n = env_store(c, b, i->osz == 2);
    for (int k = 0; k < 8; k++) memcpy(b + n + 10 * k, &ST(c, k), 10);
    x87_wr(c, insn_ea(c, i), b, n + 80);
    h_fninit(c, i);
}

static void h_frstor(cpu_t *c, const insn_t *i)
{
    x87_wait(c);
    uint8_t b[108];
    int o16 = i->osz == 2;
    x87_rd(c, insn_ea(c, i), b, o16 ? 94 : 108);
    int n = env_load(c, b, o16);
    for (int k = 0; k < 8; k++) {
        f80_t v;
        memset(&v, 0, sizeof(v));
        memcpy(&v, b + n + 10 * k, 10);
        ST(c, k) = v.ld;
    }
}

/* fxsave / fxrstor (0F AE /0 /1; REX.W: the 64-bit forms). The memory operand must be 16-byte
 * aligned (#GP(0)); fxrstor raises #GP(0) on reserved MXCSR bits. fxsave writes bytes 0..415 and
 * leaves the rest of the area alone, as the hardware does. Without REX.W, the instruction and data
 * pointers are stored as 32-bit offsets with their (null) selectors. */
void h_fxsave(cpu_t *c, const insn_t *i)
{
    uint64_t ea = insn_ea(c, i);
    if (ea & 15) cpu_fault(c, X86_GP, 0, 0);
    uint8_t b[512];
    cpu_fxsave(c, b);
    if (i->osz != 8) {
        memset(b + 12, 0, 4);
        memset(b + 20, 0, 4);
    }
    x87_wr(c, ea, b, 416);
}

void h_fxrstor(cpu_t *c, const insn_t *i)
{
    uint64_t ea = insn_ea(c, i);
    if (ea & 15) cpu_fault(c, X86_GP, 0, 0);
    uint8_t b[512];
    x87_rd(c, ea, b, 512);
    if (i->osz != 8) {
        memset(b + 12, 0, 4);
        memset(b + 20, 0, 4);
    }
    if (cpu_fxrstor(c, b) < 0) cpu_fault(c, X86_GP, 0, 0);
}

/* ---- decoding -------------------------------------------------------------------------------- */

static const insn_fn d8_mem[8] = {am_m32_0, am_m32_1, h_fcom_m32, h_fcomp_m32, am_m32_4, am_m32_5, am_m32_6, am_m32_7};
static const insn_fn dc_mem[8] = {am_m64_0, am_m64_1, h_fcom_m64, h_fcomp_m64, am_m64_4, am_m64_5, am_m64_6, am_m64_7};
static const insn_fn da_mem[8] = {am_i32_0, am_i32_1, h_ficom_m32, h_ficomp_m32, am_i32_4, am_i32_5, am_i32_6, am_i32_7};
static const insn_fn de_mem[8] = {am_i16_0, am_i16_1, h_ficom_m16, h_ficomp_m16, am_i16_4, am_i16_5, am_i16_6, am_i16_7};
static const insn_fn d9_mem[8] = {h_fld_m32, NULL, h_fst_m32, h_fstp_m32, h_fldenv, h_fldcw, h_fnstenv, h_fnstcw};
static const insn_fn db_mem[8] = {h_fild_m32, h_fisttp_m32, h_fist_m32, h_fistp_m32, NULL, h_fld_m80, NULL, h_fstp_m80};
static const insn_fn dd_mem[8] = {h_fld_m64, h_fisttp_m64, h_fst_m64, h_fstp_m64, h_frstor, NULL, h_fnsave, h_fnstsw_m};
static const insn_fn df_mem[8] = {h_fild_m16, h_fisttp_m16, h_fist_m16, h_fistp_m16, h_fbld, h_fild_m64, h_fbstp, h_fistp_m64};

static const insn_fn d8_reg[8] = {ar_d8_0, ar_d8_1, h_fcom, h_fcomp, ar_d8_4, ar_d8_5, ar_d8_6, ar_d8_7};
static const insn_fn dc_reg[8] = {ar_dc_0, ar_dc_1, h_fcom, h_fcomp, ar_dc_4, ar_dc_5, ar_dc_6, ar_dc_7};
static const insn_fn de_reg[8] = {ar_de_0, ar_de_1, h_fcomp, NULL, ar_de_4, ar_de_5, ar_de_6, ar_de_7};
static const insn_fn da_reg[8] = {h_fcmovb, h_fcmove, h_fcmovbe, h_fcmovu, NULL, NULL, NULL, NULL};
static const insn_fn db_reg[8] = {h_fcmovnb, h_fcmovne, h_fcmovnbe, h_fcmovnu, NULL, h_fucomi, h_fcomi, NULL};
static const insn_fn dd_reg[8] = {h_ffree, h_fxch, h_fst_st, h_fstp_st, h_fucom, h_fucomp, NULL, NULL};
static const insn_fn df_reg[8] = {h_ffreep, h_fxch, h_fstp_st, h_fstp_st, NULL, h_fucomip, h_fcomip, NULL};
/* D9 E0..FF */
static const insn_fn d9_e0[32] = {
    h_fchs, h_fabs, NULL, NULL, h_ftst, h_fxam, NULL, NULL,
    h_fld1, h_fldl2t, h_fldl2e, h_fldpi, h_fldlg2, h_fldln2, h_fldz, NULL,
    h_f2xm1, h_fyl2x, h_fptan, h_fpatan, h_fxtract, h_fprem1, h_fdecstp, h_fincstp,
    h_fprem, h_fyl2xp1, h_fsqrt, h_fsincos, h_frndint, h_fscale, h_fsin, h_fcos,
};

insn_fn x87_select(insn_t *o, int op, int mod, int reg)
{
    int rm;
    if (mod == 3) {
        rm = o->rm & 7;
    } else if (o->base == EA_RIP) {
        rm = 5;
    } else if (o->index != EA_NONE || o->base == EA_NONE || (o->base & 7) == 4) {
        rm = 4;
    } else {
        rm = o->base & 7;
    }
    int modrm = mod << 6 | reg << 3 | rm;
    o->aux = (uint8_t)rm;
    o->imm = (uint64_t)((op & 7) << 8 | modrm);
    if (mod != 3) {
        switch (op) {
        case 0xd8: return d8_mem[reg];
        case 0xd9: return d9_mem[reg];
        case 0xda: return da_mem[reg];
        case 0xdb: return db_mem[reg];
        case 0xdc: return dc_mem[reg];
        case 0xdd: return dd_mem[reg];
        case 0xde: return de_mem[reg];
        default: return df_mem[reg];
        }
    }
    switch (op) {
    case 0xd8: return d8_reg[reg];
    case 0xd9:
        switch (reg) {
        case 0: return h_fld_st;
        case 1: return h_fxch;
        case 2: return rm == 0 ? h_fnop : NULL;
        case 3: return h_fstpnce;
        default: return d9_e0[modrm - 0xe0];
        }
    case 0xda: return modrm == 0xe9 ? h_fucompp : da_reg[reg];
    case 0xdb:
        if (reg == 4) {
            switch (rm) {
            case 0: case 1: case 4: return h_nop; /* fneni, fndisi, fnsetpm: no-ops since the 387 */
            case 2: return h_fnclex;
            case 3: return h_fninit;
            default: return NULL;
            }
        }
        return db_reg[reg];
    case 0xdc: return dc_reg[reg];
    case 0xdd: return dd_reg[reg];
    case 0xde: return modrm == 0xd9 ? h_fcompp : de_reg[reg];
    default: return modrm == 0xe0 ? h_fnstsw_ax : df_reg[reg];
    }
}
