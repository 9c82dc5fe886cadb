/* asm/setup.h: what setup_arch() learned from the boot loader.
 *
 * Linux copies the boot loader's struct boot_params into the kernel (copy_bootdata()) and reads
 * the e820 table, SRAT, SLIT and MADT from it and from ACPI. Here one struct emu_boot_info
 * (guest/abi.h) holds all of it; setup_arch() (arch/x86/kernel/setup.c) copies it to `boot_info`
 * and prints the memory map and the NUMA topology.
 */
#ifndef _ASM_X86_SETUP_H
#define _ASM_X86_SETUP_H

#include <linux/types.h>
#include "abi.h"

extern struct emu_boot_info boot_info;
extern char boot_command_line[EMU_CMDLINE_MAX];

void setup_arch(unsigned long boot_info_pa);
/* Bytes of usable RAM on node `nid` per the boot memory map. */
u64 node_ram_bytes(unsigned int nid);

#endif
