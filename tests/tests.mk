# tests/tests.mk: test, benchmark and fuzzing rules, included by the root Makefile.
# See tests/README.md. Targets:
#   test          everything CI runs: unit, differential (tests/progs), csmith, CLI, then the same under
#                 ASan/UBSan (build-asan/emu); prints a summary and fails if anything failed
#   test-unit     the cmocka unit tests, tests/unit/test_*.c
#   test-diff     tests/progs run natively and under $(EMU)        (DIFF_FILTER='arith*' runs some)
#   test-csmith   csmith programs of tests/csmith/seeds.txt, natively and under $(EMU)
#   test-cli      command-line contract and bad inputs
#   test-timing   end-to-end translation timing: tests/timing/tlbprog.c under --timing=tlb, stats JSON
#                 checked against the model (miss ratios, huge pages, 5-level walks, fast-forward, ROI)
#   test-numa     NUMA in SE mode: tests/numa/numaprog.c sets memory policies (set_mempolicy, mbind,
#                 move_pages...) on skylake-2s; placement, numastat counters and remote latency checked
#   test-fs       full-system mode: tiny kernels of tests/fs/kernels.S (console, calls, timer, IPIs, mailbox,
#                 guests that go wrong) and the guest kernel's --kernel-tests on 1-8 sockets, 4 and 5 levels
#   test-ui       the visualizer: headless PNG snapshots and heat export, same counters with and without
#                 it, and under Xvfb the window (xwd screenshot checked, quit by xdotool and by a hook)
#   test-census   docs/OPCODES.md matches the decoder; every instruction of every test binary decodes to
#                 capstone's length and an implemented handler (tests/census/)
#   test-asan     the ASan build and the unit, differential, CLI, timing and NUMA suites under it
#   test-long     slower suites: 300 more csmith seeds, the corpus at -O0/-O1/-O3/-Os, csmith under ASan,
#                 a short run of the decoder fuzz target
#   census        regenerate docs/OPCODES.md, the opcode census, from the decoder
#   fuzz-decoder  libFuzzer on the decoder and handlers for FUZZ_SECONDS (default 60), clang build in
#                 build-fuzz/ (ASan + UBSan); crashing inputs in build-fuzz/crashes/
#   fuzz          SEEDS=N (default 300) random csmith seeds (SEED_BASE=S to choose), failures kept in
#                 build/fuzz/fail/
#   bench         MIPS of emu beside native, qemu-x86_64 and valgrind (scripts/bench.sh)

TEST_BUILD     := $(BUILD)/tests
TEST_RESULTS   ?= $(TEST_BUILD)/results
ASAN_BUILD     := build-asan
# The harness programs are plain programs: never sanitized (their exit status is the verdict).
HARNESS_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -O2 -g -I.
HARNESS_COMMON := tests/common/proc.c tests/common/proc.h
RUN_SUITE      := tests/scripts/run-suite.sh $(TEST_RESULTS)
SUITE_PREFIX   ?=
# Where Debian's libcsmith-dev puts csmith.h.
CSMITH_INC     ?= /usr/include/csmith
# Time limits of one differential run, in seconds (native, emulator).
DIFF_TIMEOUT     ?= 10
DIFF_EMU_TIMEOUT ?= 120
DIFF_FILTER      ?=
DIFF_FLAGS      = --timeout $(DIFF_TIMEOUT) --emu-timeout $(DIFF_EMU_TIMEOUT) $(if $(DIFF_FILTER),--filter '$(DIFF_FILTER)')

TEST_SUITES := unit diff csmith cli timing numa fs census ui asan-unit asan-diff asan-cli asan-timing asan-numa asan-fs

# Sub-makes build in parallel unless the user already chose a -j (then the jobserver is shared).
NPROC     := $(shell nproc 2>/dev/null || echo 2)
TEST_JOBS  = $(if $(filter -j%,$(MAKEFLAGS))$(findstring jobserver,$(MAKEFLAGS)),,-j$(NPROC))

.PHONY: test-ui test test-unit test-diff test-csmith test-cli test-timing test-numa test-fs test-fs-fuzz test-census test-asan test-long test-progs-opt \
        test-csmith-long test-csmith-asan fuzz bench test-build census fuzz-decoder test-fuzz-decoder

# --- the whole run ---------------------------------------------------------------------------------
# Every suite runs even when an earlier one failed; the summary decides the exit status.
test: $(DEPS_STAMP) $(EMU)
	@rm -rf $(TEST_RESULTS) && mkdir -p $(TEST_RESULTS)
	@$(MAKE) --no-print-directory $(TEST_JOBS) test-unit TEST_RESULTS=$(abspath $(TEST_RESULTS)) || true
	@$(MAKE) --no-print-directory $(TEST_JOBS) test-diff TEST_RESULTS=$(abspath $(TEST_RESULTS)) || true
	@$(MAKE) --no-print-directory $(TEST_JOBS) test-csmith TEST_RESULTS=$(abspath $(TEST_RESULTS)) || true
	@$(MAKE) --no-print-directory $(TEST_JOBS) test-cli TEST_RESULTS=$(abspath $(TEST_RESULTS)) || true
	@$(MAKE) --no-print-directory $(TEST_JOBS) test-timing TEST_RESULTS=$(abspath $(TEST_RESULTS)) || true
	@$(MAKE) --no-print-directory $(TEST_JOBS) test-numa TEST_RESULTS=$(abspath $(TEST_RESULTS)) || true
	@$(MAKE) --no-print-directory $(TEST_JOBS) test-fs TEST_RESULTS=$(abspath $(TEST_RESULTS)) || true
	@$(MAKE) --no-print-directory $(TEST_JOBS) test-census TEST_RESULTS=$(abspath $(TEST_RESULTS)) || true
	@$(MAKE) --no-print-directory $(TEST_JOBS) test-ui TEST_RESULTS=$(abspath $(TEST_RESULTS)) || true
	@$(MAKE) --no-print-directory $(TEST_JOBS) test-asan TEST_RESULTS=$(abspath $(TEST_RESULTS)) || true
	@tests/scripts/summary.sh $(TEST_RESULTS) $(TEST_SUITES)

# --- unit tests ------------------------------------------------------------------------------------
# Every tests/unit/test_X.c is one cmocka program, build/tests/test_X; the other .c files of tests/unit
# (shared helpers) are linked into each of them.
UNIT_SRCS    := $(wildcard tests/unit/test_*.c)
UNIT_BINS    := $(patsubst tests/unit/%.c,$(TEST_BUILD)/%,$(UNIT_SRCS))
UNIT_HELPERS := $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c)))

$(TEST_BUILD)/test_%: tests/unit/test_%.c $(UNIT_HELPERS) $(LIBEMU) | $(DEPS_STAMP)
	@mkdir -p $(@D) $(BUILD)/obj/tests/unit
	$(CC) $(CFLAGS) -MMD -MP -MF $(BUILD)/obj/tests/unit/test_$*.d $(LDOPT) -o $@ $< $(UNIT_HELPERS) \
	    $(LIBEMU) $(LDLIBS) -lcmocka

test-unit: $(UNIT_BINS)
	@if [ -z "$(UNIT_BINS)" ]; then \
	    echo "==== $(SUITE_PREFIX)unit: no tests/unit/test_*.c yet"; mkdir -p $(TEST_RESULTS); \
	    echo "$(SUITE_PREFIX)unit 0 0 0 0 ok" > $(TEST_RESULTS)/$(SUITE_PREFIX)unit.result; \
	else \
	    $(RUN_SUITE) $(SUITE_PREFIX)unit sh -c 'st=0; for t in "$$@"; do echo "---- $$t"; "$$t" || st=1; done; exit $$st' sh $(UNIT_BINS); \
	fi

# --- the harness -----------------------------------------------------------------------------------
$(TEST_BUILD)/diff/test_diff: tests/diff/test_diff.c $(HARNESS_COMMON) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HARNESS_CFLAGS) -o $@ tests/diff/test_diff.c tests/common/proc.c -lcmocka

$(TEST_BUILD)/cli/test_cli: tests/cli/test_cli.c $(HARNESS_COMMON) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HARNESS_CFLAGS) -o $@ tests/cli/test_cli.c tests/common/proc.c -lcmocka

# --- full system -------------------------------------------------------------------------------------
FS_KERNELS := hello timer periodic ipi triple wild badidt loop halt panic blk annot fuzz
FS_KERNEL_ELFS := $(FS_KERNELS:%=$(TEST_BUILD)/fs/k_%.elf)

$(TEST_BUILD)/fs/test_fs: tests/fs/test_fs.c $(HARNESS_COMMON) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HARNESS_CFLAGS) -o $@ tests/fs/test_fs.c tests/common/proc.c -lcmocka

$(TEST_BUILD)/fs/k_%.elf: tests/fs/kernels.S tests/fs/tiny.ld
	@mkdir -p $(@D)
	K=$$(echo $* | tr a-z A-Z); $(CC) -c -DK_$$K tests/fs/kernels.S -o $(@:.elf=.o)
	ld -static -nostdlib -T tests/fs/tiny.ld -z max-page-size=4096 --no-warn-rwx-segments $(@:.elf=.o) -o $@

test-fs: $(EMU) $(TEST_BUILD)/fs/test_fs $(FS_KERNEL_ELFS)
	@$(RUN_SUITE) $(SUITE_PREFIX)fs $(TEST_BUILD)/fs/test_fs --emu $(EMU) --kernels $(TEST_BUILD)/fs \
	    --work $(TEST_BUILD)/fs/work

# --- differential test of tests/progs ---------------------------------------------------------------
PROG_SRCS := $(wildcard tests/progs/*.c)
PROG_BINS := $(patsubst tests/progs/%.c,$(BUILD)/progs/%,$(PROG_SRCS))
$(PROG_BINS): tests/progs/progs.h

$(TEST_BUILD)/progs.list: $(PROG_SRCS) tests/scripts/mklist.sh
	@mkdir -p $(@D)
	tests/scripts/mklist.sh $(BUILD)/progs $(PROG_SRCS) > $@.tmp && mv $@.tmp $@

test-diff: $(EMU) $(TEST_BUILD)/diff/test_diff $(PROG_BINS) $(TEST_BUILD)/progs.list
	@$(RUN_SUITE) $(SUITE_PREFIX)diff $(TEST_BUILD)/diff/test_diff --emu $(EMU) $(DIFF_FLAGS) \
	    --list $(TEST_BUILD)/progs.list

# --- csmith --------------------------------------------------------------------------------------------
CSMITH_SEEDS := $(shell sed -n 's/^\([0-9][0-9]*\).*/\1/p' tests/csmith/seeds.txt 2>/dev/null)
CSMITH_BINS  := $(CSMITH_SEEDS:%=$(BUILD)/csmith/bin/%)

$(BUILD)/csmith/src/%.c: | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@csmith --seed $* > $@.tmp && mv $@.tmp $@

$(BUILD)/csmith/bin/%: $(BUILD)/csmith/src/%.c
	@mkdir -p $(@D)
	musl-gcc -static -O2 -w -I$(CSMITH_INC) -o $@ $<

.SECONDARY: $(CSMITH_SEEDS:%=$(BUILD)/csmith/src/%.c)

$(TEST_BUILD)/csmith.list: tests/csmith/seeds.txt
	@mkdir -p $(@D)
	@for s in $(CSMITH_SEEDS); do echo "$(BUILD)/csmith/bin/$$s 1"; done > $@.tmp && mv $@.tmp $@

test-csmith: $(EMU) $(TEST_BUILD)/diff/test_diff $(CSMITH_BINS) $(TEST_BUILD)/csmith.list
	@$(RUN_SUITE) $(SUITE_PREFIX)csmith $(TEST_BUILD)/diff/test_diff --emu $(EMU) $(DIFF_FLAGS) \
	    --list $(TEST_BUILD)/csmith.list

# --- command line ------------------------------------------------------------------------------------
$(TEST_BUILD)/cli/cliprog-static: tests/cli/cliprog.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	musl-gcc -static -O2 -w -o $@ $<

$(TEST_BUILD)/cli/cliprog-dynamic: tests/cli/cliprog.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -O2 -w -o $@ $<

test-cli: $(EMU) $(TEST_BUILD)/cli/test_cli $(TEST_BUILD)/cli/cliprog-static $(TEST_BUILD)/cli/cliprog-dynamic
	@$(RUN_SUITE) $(SUITE_PREFIX)cli $(TEST_BUILD)/cli/test_cli --emu $(EMU) \
	    --static $(TEST_BUILD)/cli/cliprog-static --dynamic $(TEST_BUILD)/cli/cliprog-dynamic \
	    --work $(TEST_BUILD)/cli/work

# --- translation timing, end to end -----------------------------------------------------------------
$(TEST_BUILD)/timing/test_timing: tests/timing/test_timing.c $(HARNESS_COMMON) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HARNESS_CFLAGS) -o $@ tests/timing/test_timing.c tests/common/proc.c -lcmocka -lm

$(TEST_BUILD)/timing/tlbprog: tests/timing/tlbprog.c include/emu_roi.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	musl-gcc -static -O2 -w -Iinclude -o $@ $<

test-timing: $(EMU) $(TEST_BUILD)/timing/test_timing $(TEST_BUILD)/timing/tlbprog
	@$(RUN_SUITE) $(SUITE_PREFIX)timing $(TEST_BUILD)/timing/test_timing --emu $(EMU) \
	    --prog $(TEST_BUILD)/timing/tlbprog

# --- NUMA in SE mode, end to end ----------------------------------------------------------------------
$(TEST_BUILD)/numa/test_numa: tests/numa/test_numa.c $(HARNESS_COMMON) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HARNESS_CFLAGS) -o $@ tests/numa/test_numa.c tests/common/proc.c -lcmocka

$(TEST_BUILD)/numa/numaprog: tests/numa/numaprog.c include/emu_roi.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	musl-gcc -static -O2 -w -Iinclude -o $@ $<

test-numa: $(EMU) $(TEST_BUILD)/numa/test_numa $(TEST_BUILD)/numa/numaprog
	@$(RUN_SUITE) $(SUITE_PREFIX)numa $(TEST_BUILD)/numa/test_numa --emu $(EMU) \
	    --prog $(TEST_BUILD)/numa/numaprog

# --- sanitizers ---------------------------------------------------------------------------------------
# Build build-asan/emu, then run the unit, differential and CLI suites against it, so ASan and UBSan see
# every corpus program. The results go with the others, prefixed asan-.
ASAN_MAKE = $(MAKE) --no-print-directory $(TEST_JOBS) MODE=asan BUILD=$(ASAN_BUILD) \
            TEST_RESULTS=$(abspath $(TEST_RESULTS)) SUITE_PREFIX=asan-

test-asan:
	@echo "==== building $(ASAN_BUILD)/emu (MODE=asan)"
	@$(MAKE) --no-print-directory $(TEST_JOBS) MODE=asan BUILD=$(ASAN_BUILD)
	+@st=0; \
	$(ASAN_MAKE) test-unit || st=1; \
	$(ASAN_MAKE) test-diff || st=1; \
	$(ASAN_MAKE) test-cli || st=1; \
	$(ASAN_MAKE) test-timing || st=1; \
	$(ASAN_MAKE) test-numa || st=1; \
	$(ASAN_MAKE) test-fs || st=1; \
	exit $$st

# --- slower suites -------------------------------------------------------------------------------------
LONG_SEEDS     ?= 300
LONG_SEED_BASE ?= 100000
PROG_OPTS      := O0 O1 O3 Os

test-long: $(DEPS_STAMP) $(EMU)
	@rm -rf $(TEST_RESULTS)-long && mkdir -p $(TEST_RESULTS)-long
	@$(MAKE) --no-print-directory test-progs-opt TEST_RESULTS=$(abspath $(TEST_RESULTS))-long || true
	@$(MAKE) --no-print-directory test-csmith-long TEST_RESULTS=$(abspath $(TEST_RESULTS))-long || true
	@$(MAKE) --no-print-directory test-csmith-asan TEST_RESULTS=$(abspath $(TEST_RESULTS))-long || true
	@$(MAKE) --no-print-directory test-fuzz-decoder TEST_RESULTS=$(abspath $(TEST_RESULTS))-long || true
	@$(MAKE) --no-print-directory test-fs-fuzz TEST_RESULTS=$(abspath $(TEST_RESULTS))-long || true
	@tests/scripts/summary.sh $(TEST_RESULTS)-long $(PROG_OPTS:%=diff-%) csmith-long asan-csmith fuzz-decoder fs-fuzz

# Hostile guest code in full-system mode under ASan and UBSan: FS_FUZZ_ITERS kernels (default 2000).
FS_FUZZ_ITERS ?= 2000
test-fs-fuzz: $(TEST_BUILD)/fs/test_fs $(TEST_BUILD)/fs/k_fuzz.elf
	@$(MAKE) --no-print-directory MODE=asan BUILD=$(ASAN_BUILD) $(ASAN_BUILD)/emu
	@FS_FUZZ_ITERS=$(FS_FUZZ_ITERS) $(RUN_SUITE) fs-fuzz $(TEST_BUILD)/fs/test_fs --emu $(ASAN_BUILD)/emu \
	    --kernels $(TEST_BUILD)/fs --work $(TEST_BUILD)/fs/work-fuzz --filter 'fuzz*'


# tests/progs at other optimisation levels: other instruction mixes from the same sources.
define PROG_OPT_RULES
$(BUILD)/progs-$(1)/%: tests/progs/%.c tests/progs/progs.h | $(DEPS_STAMP)
	@mkdir -p $$(@D)
	musl-gcc -static -$(1) -w -o $$@ $$<
$(TEST_BUILD)/progs-$(1).list: $(PROG_SRCS) tests/scripts/mklist.sh
	@mkdir -p $$(@D)
	tests/scripts/mklist.sh $(BUILD)/progs-$(1) $(PROG_SRCS) > $$@.tmp && mv $$@.tmp $$@
endef
$(foreach o,$(PROG_OPTS),$(eval $(call PROG_OPT_RULES,$(o))))

test-progs-opt: $(EMU) $(TEST_BUILD)/diff/test_diff $(foreach o,$(PROG_OPTS),$(PROG_SRCS:tests/progs/%.c=$(BUILD)/progs-$(o)/%) $(TEST_BUILD)/progs-$(o).list)
	@st=0; for o in $(PROG_OPTS); do \
	    $(RUN_SUITE) diff-$$o $(TEST_BUILD)/diff/test_diff --emu $(EMU) $(DIFF_FLAGS) \
	        --list $(TEST_BUILD)/progs-$$o.list || st=1; \
	done; exit $$st

test-csmith-long: $(EMU) $(TEST_BUILD)/diff/test_diff
	@$(RUN_SUITE) csmith-long scripts/fuzz.sh --emu $(EMU) --seeds $(LONG_SEEDS) --seed-base $(LONG_SEED_BASE) \
	    --out $(BUILD)/fuzz-long --harness $(TEST_BUILD)/diff/test_diff

test-csmith-asan:
	@$(MAKE) --no-print-directory $(TEST_JOBS) MODE=asan BUILD=$(ASAN_BUILD)
	+@$(ASAN_MAKE) test-csmith

# --- fuzzing -------------------------------------------------------------------------------------------
SEEDS     ?= 300
SEED_BASE ?=
fuzz: $(DEPS_STAMP) $(EMU) $(TEST_BUILD)/diff/test_diff
	scripts/fuzz.sh --emu $(EMU) --seeds $(SEEDS) $(if $(SEED_BASE),--seed-base $(SEED_BASE)) \
	    --out $(BUILD)/fuzz --harness $(TEST_BUILD)/diff/test_diff

# --- benchmarks (never tests) -------------------------------------------------------------------------
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

$(BUILD)/bench/%: tests/bench/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	musl-gcc -static -O2 -w -o $@ $<

bench: $(DEPS_STAMP) $(EMU) $(BENCH_BINS)
	scripts/bench.sh --emu $(EMU) --out $(BUILD)/bench $(BENCH_BINS)

# --- opcode census and instruction coverage -----------------------------------------------------------
# docs/OPCODES.md is generated from the decoder by build/tests/census/opcodes (`make census`);
# test_census checks that it is up to date, test_coverage that every instruction of every test binary
# decodes to capstone's length and an implemented handler (musl's libc.a: tests/unit/test_decode.c).
# (insn_sweep.o runs instructions on the CPU harness of the unit tests to find the privileged ones)
SWEEP_OBJ     := $(BUILD)/obj/tests/unit/insn_sweep.o $(BUILD)/obj/tests/unit/cpu_harness.o
CENSUS_OBJ    := $(BUILD)/obj/tests/census/census.o $(SWEEP_OBJ)
COVERAGE_BINS := $(PROG_BINS) $(CSMITH_BINS) $(TEST_BUILD)/timing/tlbprog $(BENCH_BINS)

$(BUILD)/obj/tests/census/census.o: tests/census/census.h
$(BUILD)/obj/tests/unit/insn_sweep.o: tests/unit/insn_sweep.h

$(TEST_BUILD)/census/opcodes: tests/census/opcodes.c tests/census/census.h $(CENSUS_OBJ) $(LIBEMU) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDOPT) -o $@ $< $(CENSUS_OBJ) $(LIBEMU) $(LDLIBS)

$(TEST_BUILD)/census/test_census: tests/census/test_census.c tests/census/census.h $(CENSUS_OBJ) $(LIBEMU) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDOPT) -o $@ $< $(CENSUS_OBJ) $(LIBEMU) $(LDLIBS) -lcmocka

$(TEST_BUILD)/census/test_coverage: tests/census/test_coverage.c tests/unit/insn_sweep.h $(SWEEP_OBJ) $(LIBEMU) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDOPT) -o $@ $< $(SWEEP_OBJ) $(LIBEMU) $(LDLIBS) -lcmocka

census: $(TEST_BUILD)/census/opcodes
	$(TEST_BUILD)/census/opcodes docs/OPCODES.md

test-census: $(TEST_BUILD)/census/test_census $(TEST_BUILD)/census/test_coverage $(COVERAGE_BINS)
	@$(RUN_SUITE) $(SUITE_PREFIX)census sh -c 'st=0; $(TEST_BUILD)/census/test_census || st=1; \
	    $(TEST_BUILD)/census/test_coverage "$$@" || st=1; exit $$st' sh $(COVERAGE_BINS)

# --- decoder fuzzing (libFuzzer) ----------------------------------------------------------------------
# The emulator's modules and the CPU harness are compiled with clang into build-fuzz/ with coverage
# instrumentation, ASan and UBSan (build/libemu.a is gcc-built and uninstrumented), and linked with
# tests/fuzz/fuzz_decode.c and libFuzzer. The seed corpus is cut from musl's libc.a
# (tests/fuzz/mkseeds.c); tests/fuzz/crashes/ holds inputs that once crashed (a regression corpus).
# No -Werror here: gcc's warnings are the build's; clang may warn about other things.
FUZZ_BUILD    := build-fuzz
FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 60
FUZZ_LONG_SECONDS ?= 20
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   := -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter -I. -I$(FUZZ_BUILD)/gen \
                 $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(FUZZ_SAN)
FUZZ_OBJS     := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(filter-out $(BUILD)/gen/%,$(LIB_SRCS)) tests/unit/cpu_harness.c) \
                 $(FUZZ_BUILD)/obj/gen/presets.o
FUZZ_LIBC     := $(firstword $(wildcard /usr/lib/x86_64-linux-musl/libc.a /usr/lib/musl/lib/libc.a))

# Coverage instrumentation for the emulator; the harness is not what is explored.
FUZZ_COV := -fsanitize=fuzzer-no-link
$(FUZZ_BUILD)/obj/tests/unit/cpu_harness.o: FUZZ_COV :=

$(FUZZ_BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_COV) -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/gen/presets.c: $(PRESETS) scripts/embed-presets.sh
	@mkdir -p $(@D)
	scripts/embed-presets.sh $(PRESETS) > $@.tmp && mv $@.tmp $@

$(FUZZ_BUILD)/obj/gen/presets.o: $(FUZZ_BUILD)/gen/presets.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/fuzz_decode: tests/fuzz/fuzz_decode.c tests/unit/cpu_harness.h $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

$(FUZZ_BUILD)/mkseeds: tests/fuzz/mkseeds.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HARNESS_CFLAGS) $(shell pkg-config --cflags capstone libelf 2>/dev/null) -o $@ $< \
	    $(shell pkg-config --libs capstone libelf 2>/dev/null || echo -lcapstone -lelf)

$(FUZZ_BUILD)/seeds/.done: $(FUZZ_BUILD)/mkseeds
	@rm -rf $(@D) && mkdir -p $(@D)
	$(FUZZ_BUILD)/mkseeds $(@D) $(FUZZ_LIBC)
	@touch $@

fuzz-decoder: $(FUZZ_BUILD)/fuzz_decode $(FUZZ_BUILD)/seeds/.done
	@mkdir -p $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/crashes
	$(FUZZ_BUILD)/fuzz_decode -max_len=64 -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/crashes/ $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/seeds $(wildcard tests/fuzz/crashes)

test-fuzz-decoder: $(FUZZ_BUILD)/fuzz_decode $(FUZZ_BUILD)/seeds/.done
	@$(RUN_SUITE) fuzz-decoder tests/fuzz/run.sh $(FUZZ_BUILD)/fuzz_decode $(FUZZ_LONG_SECONDS) \
	    $(FUZZ_BUILD)/long $(FUZZ_BUILD)/seeds $(wildcard tests/fuzz/crashes)

-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)

# Everything the suites need, built (handy before running test_diff by hand).
test-build: $(EMU) $(UNIT_BINS) $(TEST_BUILD)/diff/test_diff $(TEST_BUILD)/cli/test_cli $(PROG_BINS) \
            $(TEST_BUILD)/progs.list $(CSMITH_BINS) $(TEST_BUILD)/csmith.list \
            $(TEST_BUILD)/cli/cliprog-static $(TEST_BUILD)/cli/cliprog-dynamic \
            $(TEST_BUILD)/timing/test_timing $(TEST_BUILD)/timing/tlbprog \
            $(TEST_BUILD)/fs/test_fs $(FS_KERNEL_ELFS) $(TEST_BUILD)/census/test_census $(TEST_BUILD)/census/test_coverage $(COVERAGE_BINS)

# --- the visualizer (docs/UI.md) ----------------------------------------------------------------------
test-ui: $(EMU) $(BUILD)/progs/heap
	@$(RUN_SUITE) $(SUITE_PREFIX)ui tests/ui/test_ui.sh $(EMU) $(BUILD)/progs/heap $(TEST_BUILD)/ui/work
