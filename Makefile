# emu: top-level build.  `make` builds build/emu; `make MODE=asan` builds with ASan+UBSan into build-asan/.
# Targets: all, run, test, test-long, bench, fuzz, deps, clean, help.

MODE ?= release
ifeq ($(MODE),asan)
BUILD   ?= build-asan
OPT     := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDOPT   := -fsanitize=address,undefined
else ifeq ($(MODE),debug)
BUILD   ?= build-debug
OPT     := -O0 -g
LDOPT   :=
else
BUILD   ?= build
OPT     := -O2 -g
LDOPT   :=
endif

CC       ?= gcc
PKGS     := inih capstone libelf zlib liblzma sdl2 SDL2_ttf SDL2_image
CFLAGS   := -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter $(OPT) -I. -I$(BUILD)/gen \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(EXTRA_CFLAGS)
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -linih -lcapstone -lelf -lz -llzma -lSDL2 -lSDL2_ttf -lSDL2_image) -lm
DEPFLAGS  = -MMD -MP

# Modules, bottom to top (see docs/ARCHITECTURE.md). Every .c in a module folder is part of libemu,
# except cli/ which holds main().
MODULES  := dram tlb cache traces mmu emu ui
LIB_SRCS := $(foreach m,$(MODULES),$(wildcard $(m)/*.c)) $(BUILD)/gen/presets.c
CLI_SRCS := $(wildcard cli/*.c)
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out $(BUILD)/gen/%,$(LIB_SRCS))) $(BUILD)/obj/gen/presets.o \
            $(BUILD)/obj/gen/kernel_blob.o
CLI_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRCS))
LIBEMU   := $(BUILD)/libemu.a
EMU      := $(BUILD)/emu
PRESETS  := $(sort $(wildcard configs/*.ini))

DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all run test test-long bench fuzz deps clean help
all: $(EMU)

help:
	@echo "make            build build/emu (MODE=asan: ASan+UBSan build in build-asan/)"
	@echo "make run        install what is missing, build, run the demo program with a summary"
	@echo "make test       install what is missing, build, run every test (unit, differential, csmith, CLI, asan)"
	@echo "make test-long  slower suites"
	@echo "make bench      MIPS and ratios against native, qemu-x86_64 and valgrind"
	@echo "make fuzz       hundreds of csmith programs, native against emu (SEEDS=N, default 300)"
	@echo "make fuzz-decoder  libFuzzer on the decoder and handlers (FUZZ_SECONDS=N, default 60; clang)"
	@echo "make census     regenerate docs/OPCODES.md, the opcode census, from the decoder"
	@echo "make deps       install the Debian packages emu needs (scripts/install-deps.sh)"
	@echo "make clean      remove build folders"

# Installing packages is part of `make run` and `make test` so that a fresh Debian machine needs nothing else.
deps:
	@scripts/install-deps.sh

$(DEPS_STAMP): scripts/install-deps.sh
	@scripts/install-deps.sh
	@mkdir -p $(@D) && touch $@

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/obj/gen/presets.o: $(BUILD)/gen/presets.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

# The presets in configs/ are compiled into the binary, so build/emu works from any folder.
$(BUILD)/gen/presets.c: $(PRESETS) scripts/embed-presets.sh
	@mkdir -p $(@D)
	scripts/embed-presets.sh $(PRESETS) > $@.tmp && mv $@.tmp $@

# The guest kernel (guest/guest.mk builds build/guest/kernel.elf with freestanding flags) is built into
# the emulator, so `emu run --mode=fs` boots it from any folder; --kernel=FILE chooses another.
-include guest/guest.mk
GUEST_KERNEL ?= build/guest/kernel.elf
$(BUILD)/obj/gen/kernel_blob.o: $(GUEST_KERNEL)
	@mkdir -p $(@D)
	printf '\t.section .rodata\n\t.balign 64\n\t.globl emu_kernel_blob\nemu_kernel_blob:\n\t.incbin "%s"\n\t.globl emu_kernel_blob_end\nemu_kernel_blob_end:\n\t.section .note.GNU-stack,"",@progbits\n' \
	    '$(abspath $(GUEST_KERNEL))' > $(@:.o=.S)
	$(CC) -c $(@:.o=.S) -o $@

$(LIBEMU): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(EMU): $(CLI_OBJS) $(LIBEMU)
	$(CC) $(LDOPT) -o $@ $(CLI_OBJS) $(LIBEMU) $(LDLIBS)

# --- demo --------------------------------------------------------------------------------------
DEMO_SRC := tests/progs/demo.c
DEMO_BIN := $(BUILD)/progs/demo
$(BUILD)/progs/%: tests/progs/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	musl-gcc -static -O2 -w -o $@ $<

# `make run`: demos/memdemo in the visualizer (a window with a display, else pictures in build/demo).
MEMDEMO_BIN := $(BUILD)/demos/memdemo
$(MEMDEMO_BIN): demos/memdemo.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	musl-gcc -static -O2 -w -o $@ $<

run: $(DEPS_STAMP) $(EMU) $(MEMDEMO_BIN)
	@scripts/demo.sh $(EMU) $(MEMDEMO_BIN) $(BUILD)/demo

clean:
	rm -rf build build-asan build-debug build-fuzz

-include tests/tests.mk
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
