/* Decoder tests: fields and lengths of hand-picked encodings, lengths cross-checked against
 * capstone over random byte sequences, and every instruction of musl's libc.a: capstone's length
 * and an implemented handler (tests/unit/insn_sweep.c). The opcode census (docs/OPCODES.md,
 * tests/census/) and the decoder fuzz target (tests/fuzz/) cover the rest of the opcode space.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/exec.h"
#include "tests/unit/insn_sweep.h"

static int dec(const char *bytes, int n, insn_t *i)
{
    int ends = 0;
    return decode_insn((const uint8_t *)bytes, n, i, &ends);
}

#define DEC(str, ins) dec(str, (int)sizeof(str) - 1, ins)

static void test_fields(void **s)
{
    (void)s;
    insn_t i;
    /* add rax, rcx: 48 01 c8 */
    assert_int_equal(DEC("\x48\x01\xc8", &i), 3);
    assert_int_equal(i.osz, 8);
    assert_int_equal(i.rm, R_RAX);
    assert_int_equal(i.reg, R_RCX);
    assert_false(i.flags & INSN_MEM);
    assert_ptr_equal(i.fn, h_alu[F_RR][0][3]);
    /* mov r12, [r13 + r14*8 + 0x12345678]: 4f 8b a4 f5 78 56 34 12 */
    assert_int_equal(DEC("\x4f\x8b\xa4\xf5\x78\x56\x34\x12", &i), 8);
    assert_true(i.flags & INSN_MEM);
    assert_int_equal(i.base, R_R13);
    assert_int_equal(i.index, R_R14);
    assert_int_equal(i.scale, 3);
    assert_int_equal(i.disp, 0x12345678);
    assert_int_equal(i.rm, R_R12); /* G,E form: destination moved into rm */
    assert_ptr_equal(i.fn, h_mov[F_RM][3]);
    /* mov eax, [rip - 4]: 8b 05 fc ff ff ff */
    assert_int_equal(DEC("\x8b\x05\xfc\xff\xff\xff", &i), 6);
    assert_int_equal(i.base, EA_RIP);
    assert_int_equal(i.index, EA_NONE);
    assert_int_equal(i.disp, -4);
    assert_int_equal(i.osz, 4);
    /* [rbp] needs disp8 (mod 1); [r13] too; sib base 5 mod 0 is disp32 without base */
    assert_int_equal(DEC("\x8b\x45\x00", &i), 3);
    assert_int_equal(i.base, R_RBP);
    assert_int_equal(DEC("\x41\x8b\x45\x10", &i), 4);
    assert_int_equal(i.base, R_R13);
    assert_int_equal(i.disp, 16);
    assert_int_equal(DEC("\x8b\x04\x25\x00\x10\x00\x00", &i), 7);
    assert_int_equal(i.base, EA_NONE);
    assert_int_equal(i.index, EA_NONE);
    assert_int_equal(i.disp, 0x1000);
    /* sib index 4 without REX.X = no index; with REX.X = r12 */
    assert_int_equal(DEC("\x8b\x04\x24", &i), 3);
    assert_int_equal(i.base, R_RSP);
    assert_int_equal(i.index, EA_NONE);
    assert_int_equal(DEC("\x42\x8b\x04\x24", &i), 4);
    assert_int_equal(i.index, R_R12);
    /* byte registers: 88 e0 = mov al, ah; with REX (40 88 e0) = mov al, spl */
    assert_int_equal(DEC("\x88\xe0", &i), 2);
    assert_int_equal(i.rm, R_RAX);
    assert_int_equal(i.reg, REG8_AH);
    assert_int_equal(DEC("\x40\x88\xe0", &i), 3);
    assert_int_equal(i.reg, R_RSP);
    /* movzx eax, bh: 0f b6 c7 */
    assert_int_equal(DEC("\x0f\xb6\xc7", &i), 3);
    assert_int_equal(i.rm, REG8_AH + 3);
    assert_ptr_equal(i.fn, h_movzx[0][0][1]);
    /* 66 prefix: add ax, 0x1234 (66 05 34 12); REX.W wins over 66 */
    assert_int_equal(DEC("\x66\x05\x34\x12", &i), 4);
    assert_int_equal(i.osz, 2);
    assert_int_equal(i.imm, 0x1234);
    assert_int_equal(DEC("\x66\x48\x05\x34\x12\x00\x80", &i), 7);
    assert_int_equal(i.osz, 8);
    assert_int_equal(i.imm, 0xffffffff80001234ull);
    /* REX followed by a legacy prefix is ignored: 48 66 01 c8 = add ax, cx */
    assert_int_equal(DEC("\x48\x66\x01\xc8", &i), 4);
    assert_int_equal(i.osz, 2);
    /* mov rax, imm64 */
    assert_int_equal(DEC("\x48\xb8\x88\x77\x66\x55\x44\x33\x22\x11", &i), 10);
    assert_int_equal(i.imm, 0x1122334455667788ull);
    assert_int_equal(i.rm, R_RAX);
    /* mov al, [moffs64] and with 67: [moffs32] */
    assert_int_equal(DEC("\xa0\x88\x77\x66\x55\x44\x33\x22\x11", &i), 9);
    assert_int_equal(DEC("\x67\xa0\x44\x33\x22\x11", &i), 6);
    assert_int_equal(i.asz, 4);
    /* push/pop default to 64 bits; 66 selects 16 */
    assert_int_equal(DEC("\x41\x50", &i), 2);
    assert_int_equal(i.reg, R_R8);
    assert_int_equal(i.osz, 8);
    assert_ptr_equal(i.fn, h_push_r64);
    assert_int_equal(DEC("\x66\x50", &i), 2);
    assert_ptr_equal(i.fn, h_push_r16);
    /* jcc rel32, call rel32 end the block */
    int ends = 0;
    assert_int_equal(decode_insn((const uint8_t *)"\x0f\x84\x10\x00\x00\x00", 6, &i, &ends), 6);
    assert_true(ends);
    assert_int_equal(i.imm, 0x10);
    assert_int_equal(decode_insn((const uint8_t *)"\xe8\xfb\xff\xff\xff", 5, &i, &ends), 5);
    assert_true(ends);
    assert_int_equal((int64_t)i.imm, -5);
    /* segment override: mov rax, fs:[0] */
    assert_int_equal(DEC("\x64\x48\x8b\x04\x25\x00\x00\x00\x00", &i), 9);
    assert_int_equal(i.seg, SEG_FS);
    /* lea drops the segment */
    assert_int_equal(DEC("\x64\x48\x8d\x04\x25\x08\x00\x00\x00", &i), 9);
    assert_int_equal(i.seg, SEG_NONE);
    /* enter iw, ib */
    assert_int_equal(DEC("\xc8\x10\x00\x02", &i), 4);
    assert_int_equal(i.imm, 16);
    assert_int_equal(i.aux, 2);
    /* test with immediate in group 3 (f6 /0 ib, f7 /0 iz), not with /2 */
    assert_int_equal(DEC("\xf6\xc1\x01", &i), 3);
    assert_int_equal(DEC("\xf7\xc1\x01\x00\x00\x00", &i), 6);
    assert_int_equal(DEC("\xf7\xd1", &i), 2);
    /* endbr64, multi-byte nops */
    assert_int_equal(DEC("\xf3\x0f\x1e\xfa", &i), 4);
    assert_ptr_equal(i.fn, h_nop);
    assert_int_equal(DEC("\x66\x2e\x0f\x1f\x84\x00\x00\x00\x00\x00", &i), 10);
    assert_ptr_equal(i.fn, h_nop);
    /* SSE: movdqa xmm9, [rax] (66 44 0f 6f 08) */
    assert_int_equal(DEC("\x66\x44\x0f\x6f\x08", &i), 5);
    assert_int_equal(i.reg, 9);
    assert_ptr_not_equal(i.fn, h_ud);
    /* 0F 3A with an immediate (pextrb: not implemented, but its length is known) */
    assert_int_equal(DEC("\x66\x0f\x3a\x14\xc0\x01", &i), 6);
    assert_ptr_equal(i.fn, h_ud);
}

static void test_incomplete_and_too_long(void **s)
{
    (void)s;
    insn_t i;
    /* Every proper prefix of an instruction is too short. */
    const char *full = "\x4f\x8b\xa4\xf5\x78\x56\x34\x12";
    for (int n = 0; n < 8; n++) assert_int_equal(dec(full, n, &i), 0);
    /* 15 bytes is the limit: 14 prefixes + nop decodes, 15 prefixes + nop is #GP */
    char b[32];
    memset(b, 0x66, sizeof(b));
    b[14] = (char)0x90;
    assert_int_equal(dec(b, 32, &i), 15);
    assert_ptr_not_equal(i.fn, h_gp_len);
    b[14] = 0x66;
    b[15] = (char)0x90;
    assert_int_equal(dec(b, 32, &i), 15);
    assert_ptr_equal(i.fn, h_gp_len);
    /* known to be too long with only 15 bytes available (the run loop passes at most 15) */
    assert_int_equal(dec(b, 15, &i), 15);
    assert_ptr_equal(i.fn, h_gp_len);
    /* 14 prefixes + mov rax, imm64: too long, decided before the immediate is read */
    memset(b, 0x66, 14);
    b[13] = 0x48;
    b[14] = (char)0xb8;
    assert_int_equal(dec(b, 15, &i), 15);
    assert_ptr_equal(i.fn, h_gp_len);
}

static void test_ud_and_lock(void **s)
{
    (void)s;
    insn_t i;
    /* lock on a register destination, on mov, on cmp: #UD; on add to memory: fine */
    assert_int_equal(DEC("\xf0\x01\xc8", &i), 3);
    assert_ptr_equal(i.fn, h_ud);
    assert_int_equal(DEC("\xf0\x89\x08", &i), 3);
    assert_ptr_equal(i.fn, h_ud);
    assert_int_equal(DEC("\xf0\x39\x08", &i), 3);
    assert_ptr_equal(i.fn, h_ud);
    assert_int_equal(DEC("\xf0\x01\x08", &i), 3);
    assert_ptr_not_equal(i.fn, h_ud);
    assert_int_equal(DEC("\xf0\x0f\xc7\x0f", &i), 4); /* lock cmpxchg8b [rdi] */
    assert_ptr_not_equal(i.fn, h_ud);
    /* invalid in 64-bit mode */
    const char *inv[] = {"\x06", "\x27", "\x60", "\x9a\x00\x00\x00\x00\x00\x00", "\xd4\x0a", "\xce"};
    for (size_t k = 0; k < sizeof(inv) / sizeof(inv[0]); k++) {
        dec(inv[k], 7, &i);
        assert_ptr_equal(i.fn, h_ud);
    }
    /* ud2, undefined x87, SSE3, AVX (VEX), SSSE3 */
    assert_int_equal(DEC("\x0f\x0b", &i), 2);
    assert_ptr_equal(i.fn, h_ud);
    DEC("\xd9\xd1", &i); /* an undefined x87 encoding (x87 itself: tests/unit/test_x87.c) */
    assert_ptr_equal(i.fn, h_ud);
    DEC("\x66\x0f\x7c\xc1", &i); /* haddpd: SSE3, not advertised (SSE2 FP: test_sse_fp.c) */
    assert_ptr_equal(i.fn, h_ud);
    DEC("\xc5\xf8\x77", &i);     /* vzeroupper */
    assert_ptr_equal(i.fn, h_ud);
    DEC("\x66\x0f\x38\x00\xc1", &i); /* pshufb */
    assert_ptr_equal(i.fn, h_ud);
    /* privileged: their own handlers, which check CPL when they run (#GP(0) at CPL 3) */
    DEC("\xf4", &i);
    assert_ptr_equal(i.fn, h_hlt);
    DEC("\x0f\x30", &i);
    assert_ptr_equal(i.fn, h_wrmsr);
    DEC("\xe6\x80", &i);
    assert_ptr_equal(i.fn, h_out);
    assert_int_equal(i.aux, 0);
    DEC("\xec", &i);
    assert_ptr_equal(i.fn, h_in);
    assert_int_equal(i.aux, 1);
    assert_int_equal(DEC("\x44\x0f\x22\xc0", &i), 4); /* mov cr8, rax */
    assert_ptr_equal(i.fn, h_mov_to_cr);
    assert_int_equal(i.reg, 8);
    DEC("\x0f\x22\xc8", &i); /* mov cr1, rax */
    assert_ptr_equal(i.fn, h_ud);
    DEC("\x44\x0f\x23\xc0", &i); /* mov dr8, rax */
    assert_ptr_equal(i.fn, h_ud);
    assert_int_equal(DEC("\x66\x0f\x38\x82\x07", &i), 5); /* invpcid rax, [rdi] */
    assert_ptr_equal(i.fn, h_invpcid);
    DEC("\x0f\x38\x82\x07", &i); /* without 66: undefined */
    assert_ptr_equal(i.fn, h_ud);
    DEC("\x0f\x01\xf8", &i);
    assert_ptr_equal(i.fn, h_swapgs);
    DEC("\x0f\x01\xf9", &i);
    assert_ptr_equal(i.fn, h_rdtscp);
    DEC("\x0f\x01\x38", &i); /* invlpg [rax] */
    assert_ptr_equal(i.fn, h_invlpg);
    DEC("\x0f\x00\xe0", &i); /* verr ax: not implemented */
    assert_ptr_equal(i.fn, h_ud);
    DEC("\x8e\xc8", &i); /* mov cs, ax */
    assert_ptr_equal(i.fn, h_ud);
    assert_int_equal(DEC("\x48\xcf", &i), 2); /* iretq */
    assert_ptr_equal(i.fn, h_iret);
    assert_int_equal(i.osz, 8);
    DEC("\x0f\x33", &i); /* rdpmc: no counters exist */
    assert_ptr_equal(i.fn, h_gp0);
}

/* ---- capstone cross-checks ------------------------------------------------------------------ */

/* Every instruction of musl's libc.a (a capstone linear sweep of every member's code, see
 * tests/unit/insn_sweep.c) decodes to capstone's length and to an implemented handler usable at
 * CPL 3; only the allow-list there (musl's a_crash() hlt) may be #UD, #GP or privileged. The test
 * binaries get the same check in tests/census/test_coverage.c. */
static void test_libc_sweep(void **s)
{
    (void)s;
    const char *path = insn_sweep_musl_libc();
    if (!path) skip();
    insn_sweep_t st;
    memset(&st, 0, sizeof(st));
    assert_int_equal(insn_sweep_file(path, &st, stderr, 20), 0);
    print_message("%s: %ld instructions decoded and checked (length, implemented at CPL 3), %ld allowed faults, "
                  "%ld bytes skipped\n", path, st.insns, st.allowed, st.bytes_skipped);
    assert_true(st.insns > 50000);
    assert_int_equal(st.len_bad, 0);
    assert_int_equal(st.impl_bad, 0);
}

/* Random instruction-like byte sequences: legacy prefixes (at most one of each group, in a fixed
 * order), an optional REX prefix, an opcode from every map, random ModRM/SIB/displacement/immediate
 * bytes. The first instruction of each sequence is compared when we implement it. Capstone departs
 * from the hardware on two combinations, which are left out: 66 or 67 with near branches (Intel
 * processors ignore 66 there and decode rel32, as we do; capstone follows AMD) and 66 together with
 * F2/F3 on instructions where F2/F3 are no mandatory prefix (capstone drops the 66). */
static void test_random_bytes(void **s)
{
    (void)s;
    csh cs;
    assert_int_equal(cs_open(CS_ARCH_X86, CS_MODE_64, &cs), CS_ERR_OK);
    cs_insn *ci = cs_malloc(cs);
    long checked = 0, mismatches = 0;
    uint64_t x = 88172645463325252ull;
    for (int it = 0; it < 400000; it++) {
        uint8_t b[32], buf[32];
        for (int k = 0; k < 32; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b[k] = (uint8_t)(x >> 24);
        }
        int n = 0, has66 = 0, has67 = 0, hasrep = 0;
        if (b[16] % 4 == 0) buf[n++] = 0x66, has66 = 1;
        if (b[17] % 8 == 0) buf[n++] = 0x67, has67 = 1;
        if (b[18] % 8 == 0) buf[n++] = 0xf0;
        if (b[19] % 4 == 0) buf[n++] = (b[19] & 4) ? 0xf2 : 0xf3, hasrep = 1;
        if (b[20] % 8 == 0) buf[n++] = (b[20] & 8) ? 0x64 : 0x2e;
        if (b[21] % 2 == 0) buf[n++] = 0x40 | (b[21] >> 4);
        if (b[22] & 1) {
            buf[n++] = 0x0f;
            if ((b[22] & 14) == 0) buf[n++] = (b[22] & 16) ? 0x38 : 0x3a;
        }
        for (int k = 0; n < 32; k++) buf[n++] = b[k];
        const uint8_t *q = buf;
        size_t left = sizeof(buf);
        uint64_t addr = 0x1000;
        if (!cs_disasm_iter(cs, &q, &left, &addr, ci)) continue;
        int branch = (ci->id >= X86_INS_JAE && ci->id <= X86_INS_JS) || ci->id == X86_INS_CALL ||
                     ci->id == X86_INS_JMP || ci->id == X86_INS_RET || ci->id == X86_INS_LOOP ||
                     ci->id == X86_INS_LOOPE || ci->id == X86_INS_LOOPNE;
        for (int k = 0; k < 15; k++) {
            uint8_t c = buf[k];
            if (c == 0x66) has66 = 1;
            else if (c == 0x67) has67 = 1;
            else if (c == 0xf2 || c == 0xf3) hasrep = 1;
            else if (!(c == 0xf0 || c == 0x2e || c == 0x3e || c == 0x26 || c == 0x36 || c == 0x64 || c == 0x65 ||
                       (c & 0xf0) == 0x40))
                break;
        }
        if (branch && (has66 || has67)) continue;
        if (has66 && hasrep) continue;
        insn_t i;
        int ends = 0;
        int len = decode_insn(buf, 32, &i, &ends);
        if (i.fn == h_ud || i.fn == h_gp_len) continue;
        checked++;
        if (len != ci->size) {
            if (mismatches++ < 20) {
                char hex[64] = "";
                for (int k = 0; k < ci->size && k < 15; k++) snprintf(hex + 3 * k, 4, "%02x ", buf[k]);
                print_error("length %d, capstone %d: %s %s [%s]\n", len, ci->size, ci->mnemonic, ci->op_str, hex);
            }
        }
    }
    cs_free(ci, 1);
    cs_close(&cs);
    print_message("random: %ld instructions length-checked, %ld mismatches\n", checked, mismatches);
    assert_true(checked > 100000);
    assert_int_equal(mismatches, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_incomplete_and_too_long),
        cmocka_unit_test(test_ud_and_lock),
        cmocka_unit_test(test_libc_sweep),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
