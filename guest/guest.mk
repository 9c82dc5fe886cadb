# guest/guest.mk: builds the guest kernel, build/guest/kernel.elf.
#
# Included by the root Makefile (-include guest/guest.mk), or used alone:
#   make -f guest/guest.mk build/guest/kernel.elf      (from the repository root)
# The kernel is always built into build/guest/, whatever BUILD is, so the ASan and debug builds
# of the emulator reuse it. It is compiled with the host gcc (GUEST_CC), never with the
# emulator's CC, which may be clang (fuzz builds) or carry sanitizer flags.
# Every .c and .S under guest/ is part of the kernel. Targets: guest, guest-clean.

GUEST_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

GUEST_CC      ?= gcc
GUEST_OUT     := build/guest
GUEST_OBJDIR  := $(GUEST_OUT)/obj
GUEST_KERNEL  := $(GUEST_OUT)/kernel.elf
GUEST_LDS     := guest/kernel.ld

GUEST_SRCS    := $(shell find guest -name '*.c' -o -name '*.S' | LC_ALL=C sort)
GUEST_OBJS    := $(patsubst guest/%,$(GUEST_OBJDIR)/%.o,$(basename $(GUEST_SRCS)))

GUEST_CFLAGS  := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-builtin -mno-red-zone \
                 -mgeneral-regs-only -mcmodel=kernel -fno-pic -fno-pie -fno-stack-protector \
                 -fno-asynchronous-unwind-tables -fcf-protection=none -nostdlib -nostdinc \
                 -isystem $(shell $(GUEST_CC) -print-file-name=include) \
                 -I guest -I guest/include -I guest/arch/x86/include
GUEST_ASFLAGS := $(GUEST_CFLAGS) -D__ASSEMBLY__
GUEST_LDFLAGS := -static -nostdlib -no-pie -Wl,-T,$(GUEST_LDS) -Wl,-z,max-page-size=4096 -Wl,--build-id=none \
                 -Wl,--no-warn-rwx-segments -Wl,-z,noexecstack

.PHONY: guest guest-clean
guest: $(GUEST_KERNEL)

$(GUEST_KERNEL): $(GUEST_OBJS) $(GUEST_LDS)
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_LDFLAGS) -o $@.tmp $(GUEST_OBJS) && mv $@.tmp $@

$(GUEST_OBJDIR)/%.o: guest/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_OBJDIR)/%.o: guest/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_ASFLAGS) -MMD -MP -c $< -o $@

guest-clean:
	rm -rf $(GUEST_OUT)

-include $(GUEST_OBJS:.o=.d)

# Included by the root Makefile: do not take over its default goal. Used alone: build the kernel.
ifeq ($(notdir $(firstword $(MAKEFILE_LIST))),guest.mk)
.DEFAULT_GOAL := guest
else
.DEFAULT_GOAL := $(GUEST_SAVED_DEFAULT_GOAL)
endif
