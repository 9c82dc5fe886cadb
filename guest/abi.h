/* guest/abi.h: the interface between the emulated machine and the guest kernel.
 *
 * This is the only header the guest kernel (guest/) and the emulator (emu/) share. It is
 * freestanding C (stdint.h only) and describes:
 *   1. how the kernel is entered and what the boot-information structure holds (docs/BOOT.md);
 *   2. the start-up mailbox through which the boot CPU starts the others;
 *   3. the local interrupt controller: timer, inter-processor interrupts, end of interrupt, CPU id,
 *      programmed through x2APIC-numbered MSRs (docs/DEVICES.md);
 *   4. the emulator's devices, reached by port I/O: the console with channels, the
 *      simulation-control "calls", the mm-annotation ring and the block device (docs/DEVICES.md).
 *
 * Every structure here has a fixed layout (naturally aligned fields, sizes asserted below); the
 * emulator reads and writes them in guest physical memory, little-endian.
 *
 * Compatibility: EMU_BOOT_VERSION changes whenever a layout here changes incompatibly.
 */
#ifndef GUEST_ABI_H
#define GUEST_ABI_H

#include <stdint.h>

/* ================================================================================================
 * 1. Boot
 *
 * The emulator loads the kernel ELF (ELF64, x86-64, ET_EXEC): each PT_LOAD segment is copied to
 * its p_paddr (its bytes beyond p_filesz are zeroed). The boot CPU then starts at e_entry in 64-bit
 * mode, CPL 0, interrupts disabled (RFLAGS = 0x2), with:
 *   rdi = the physical address of struct emu_boot_info (also its virtual address: see below);
 *   rsp = 0 (the kernel sets up its own stack before it calls or pushes anything);
 *   CR0 = PE|MP|ET|NE|WP|PG, CR4 = PAE (and LA57 when boot_info.paging_levels == 5),
 *   EFER = LME|LMA|NXE, no GDT, IDT or TSS loaded (an exception before LIDT is a triple fault);
 *   CR3 = the boot page table, which maps
 *     - the first EMU_BOOT_IDENTITY_BYTES of physical memory at their physical address (identity),
 *       with 2 MiB pages, read/write/execute, supervisor;
 *     - the first EMU_BOOT_KERNEL_MAP_BYTES of physical memory at EMU_KERNEL_VA_BASE (the
 *       kernel image's place, -mcmodel=kernel) with 2 MiB pages.
 *   The boot page table lives in the reserved range below 1 MiB; the kernel is expected to build
 *   its own and switch to it.
 *
 * Physical layout the emulator uses (all below EMU_BOOT_IDENTITY_BYTES):
 *   [0, 1 MiB)           reserved (EMU_MEM_RESERVED): boot info, mailboxes, command line, boot
 *                        page tables
 *   kernel image         where its PT_LOAD p_paddr say (Linux's default is 16 MiB)
 *   initrd               after the kernel image, 2 MiB aligned (cpio newc, may be absent)
 * ============================================================================================== */

#define EMU_BOOT_MAGIC 0x544f4f42554d45ull   /* "EMUBOOT" */
#define EMU_BOOT_VERSION 1

#define EMU_KERNEL_VA_BASE 0xffffffff80000000ull
#define EMU_BOOT_IDENTITY_BYTES (4ull << 30)
#define EMU_BOOT_KERNEL_MAP_BYTES (1ull << 30)

#define EMU_MAX_CPUS 256
#define EMU_MAX_NODES 64
#define EMU_MAX_SOCKETS 64
#define EMU_MAX_MEM_RANGES 128
#define EMU_CMDLINE_MAX 1024

/* Memory-map entry types (as e820's usable and reserved). */
enum emu_mem_type {
    EMU_MEM_RAM = 1,      /* usable RAM of node `node` (minus what boot_info says is in use) */
    EMU_MEM_RESERVED = 2, /* RAM the kernel must not allocate (boot data below 1 MiB) */
};

/* One physical memory range (an SRAT memory-affinity entry and an e820 entry in one). */
struct emu_mem_range {
    uint64_t base;        /* physical address, 4 KiB aligned */
    uint64_t size;        /* bytes, a multiple of 4 KiB */
    uint32_t type;        /* enum emu_mem_type */
    uint32_t node;        /* NUMA node the range belongs to */
};

/* One CPU (an SRAT processor-affinity entry and a MADT x2APIC entry in one). */
struct emu_cpu_desc {
    uint32_t apic_id;     /* the id EMU_MSR_APIC_ID returns on that CPU; equal to its index */
    uint32_t socket;      /* package */
    uint32_t core;        /* core within the socket */
    uint32_t node;        /* the NUMA node local to it: a socket's cores are spread over the
                             socket's nodes in order (as `emu info` shows them) */
};

/* Boot-information flags. */
#define EMU_BOOT_KERNEL_TESTS (1u << 0) /* run the kernel's test table (--kernel-tests) and exit */
#define EMU_BOOT_VERBOSE (1u << 1)      /* the kernel log is shown (-v); the kernel may say more */
#define EMU_BOOT_HAS_PROGRAM (1u << 2)  /* a program was given to run as the first process */
#define EMU_BOOT_HAS_DISK (1u << 3)     /* the block device is backed by a file */

/* The timer's clock (boot_info.timer_clock). */
enum emu_timer_clock {
    EMU_TIMER_VIRTUAL = 0, /* the machine's virtual clock: retired instructions (the default) */
    EMU_TIMER_CYCLES = 1,  /* the CPU's own time-stamp counter (cycles with timing on) */
};

struct emu_boot_info {
    uint64_t magic;               /* EMU_BOOT_MAGIC */
    uint32_t version;             /* EMU_BOOT_VERSION */
    uint32_t size;                /* sizeof(struct emu_boot_info) */
    uint32_t flags;               /* EMU_BOOT_* */
    uint32_t paging_levels;       /* 4 or 5; CR4.LA57 is set to match */

    uint32_t nr_cpus;             /* CPUs are numbered 0 .. nr_cpus - 1; cpu 0 boots */
    uint32_t nr_sockets;
    uint32_t nr_nodes;
    uint32_t nr_mem;              /* entries used in mem[] */

    /* Time. The timer counts ticks of timer_clock; timer_hz says how many ticks make a
     * (virtual) second, so the kernel can program a HZ tick. */
    uint64_t timer_hz;
    uint32_t timer_clock;         /* enum emu_timer_clock */
    uint32_t quantum;             /* instructions a CPU runs before the next one (round robin) */

    /* Where things are (physical addresses; [start, end) ranges). */
    uint64_t kernel_pa_start, kernel_pa_end;
    uint64_t initrd_pa, initrd_size;         /* size 0: no initrd */
    uint64_t boot_pt_pa_start, boot_pt_pa_end;
    uint64_t mailbox_pa;                     /* struct emu_mailbox[nr_cpus] */
    uint64_t cmdline_pa;                     /* NUL-terminated, at most EMU_CMDLINE_MAX bytes */
    uint64_t disk_sectors;                   /* block device size in 512-byte sectors (0: none) */

    struct emu_mem_range mem[EMU_MAX_MEM_RANGES];
    struct emu_cpu_desc cpu[EMU_MAX_CPUS];
    /* SLIT-style distances, 10 = local: distance[i][j] from node i to node j. */
    uint8_t distance[EMU_MAX_NODES][EMU_MAX_NODES];
    /* HMAT-style figures from the configuration, per socket (initiator) and node (target): read
     * latency in nanoseconds and bandwidth in MB/s; 0 where the configuration gives none. */
    uint32_t latency_ns[EMU_MAX_SOCKETS][EMU_MAX_NODES];
    uint32_t bandwidth_mbs[EMU_MAX_SOCKETS][EMU_MAX_NODES];
};

/* ================================================================================================
 * 2. Start-up mailbox (modelled on the ACPI multiprocessor wake-up mailbox)
 *
 * Every CPU but the boot CPU starts parked: it runs nothing and costs nothing. Between quanta the
 * emulator looks at each parked CPU's mailbox; when `command` is EMU_MAILBOX_WAKEUP it sets
 * `command` back to EMU_MAILBOX_NOOP and starts that CPU in the boot CPU's initial mode (64-bit,
 * CPL 0, interrupts disabled) with
 *   rip = entry, rsp = stack, rdi = arg, rsi = its cpu index, CR3 = cr3 (0: the boot page table),
 *   CR4 = PAE (and LA57 as on the boot CPU), EFER = LME|LMA|NXE.
 * Write entry, stack, arg and cr3 first, then command (a compiler barrier is enough: the
 * emulator reads the mailbox only between quanta).
 * ============================================================================================== */

enum { EMU_MAILBOX_NOOP = 0, EMU_MAILBOX_WAKEUP = 1 };

struct emu_mailbox {
    uint32_t command;             /* EMU_MAILBOX_* */
    uint32_t apic_id;             /* the CPU this mailbox belongs to (set by the emulator) */
    uint64_t entry;
    uint64_t stack;
    uint64_t arg;
    uint64_t cr3;
    uint64_t reserved[3];
};

/* ================================================================================================
 * 3. Local interrupt controller (x2APIC MSR numbers, a subset of their meaning)
 *
 * RDMSR / WRMSR at CPL 0; other MSRs in 0x800-0x8ff raise #GP.
 *   EMU_MSR_APIC_ID      read: this CPU's id (its index).
 *   EMU_MSR_EOI          write 0: end of interrupt: the highest-priority in-service vector is done.
 *                        While a vector is in service, interrupts of its priority class
 *                        (vector >> 4) and below are held (as the APIC's PPR does).
 *   EMU_MSR_ICR          write: send an IPI: bits 7:0 vector (32..255), bits 19:18 shorthand
 *                        (EMU_ICR_DEST_*), bits 63:32 the destination CPU when the shorthand is
 *                        EMU_ICR_DEST_CPU. Delivery mode must be fixed (bits 10:8 = 0). An IPI to
 *                        a CPU that has not started is dropped (and counted).
 *   EMU_MSR_LVT_TIMER    bits 7:0 vector, bit 16 mask, bits 18:17 mode (EMU_TIMER_ONESHOT,
 *                        EMU_TIMER_PERIODIC).
 *   EMU_MSR_TIMER_INIT   write: the initial count (ticks of boot_info.timer_clock, after the
 *                        divider); a nonzero value starts the timer, 0 stops it.
 *   EMU_MSR_TIMER_CUR    read: the ticks left before the timer fires (0: not running).
 *   EMU_MSR_TIMER_DIV    the divide configuration as the APIC encodes it (bits 3, 1:0):
 *                        0b0000 /2, 0b0001 /4, 0b0010 /8, 0b0011 /16, 0b1000 /32, 0b1001 /64,
 *                        0b1010 /128, 0b1011 /1. Reset value 0b1011 (/1).
 * The timer fires when its count reaches zero; the interrupt is requested on its CPU at that
 * moment of the virtual clock (a CPU running in a quantum is stopped there; see docs/DEVICES.md).
 * ============================================================================================== */

#define EMU_MSR_APIC_ID 0x802u
#define EMU_MSR_EOI 0x80bu
#define EMU_MSR_ICR 0x830u
#define EMU_MSR_LVT_TIMER 0x832u
#define EMU_MSR_TIMER_INIT 0x838u
#define EMU_MSR_TIMER_CUR 0x839u
#define EMU_MSR_TIMER_DIV 0x83eu

#define EMU_ICR_DEST_CPU (0u << 18)
#define EMU_ICR_DEST_SELF (1u << 18)
#define EMU_ICR_DEST_ALL (2u << 18)
#define EMU_ICR_DEST_OTHERS (3u << 18)

#define EMU_LVT_MASKED (1u << 16)
#define EMU_TIMER_ONESHOT (0u << 17)
#define EMU_TIMER_PERIODIC (1u << 17)

/* ================================================================================================
 * 4. Devices (port I/O at CPL 0)
 *
 * Console: OUT of one byte to EMU_PORT_CONSOLE + channel writes it to that channel. Whole buffers
 * go through EMU_CALL_CONSOLE_WRITE.
 *
 * Calls: the guest fills a struct emu_call in memory, writes the high 32 bits of its physical
 * address to EMU_PORT_CALL_HI (optional when they are 0) and the low 32 bits to EMU_PORT_CALL.
 * The second write performs the call synchronously: when the OUT retires, `ret` holds the result
 * (negative: an error, EMU_E*). The high half is per CPU and reset to 0 by every call. Calls cost
 * no simulated time beyond the OUT instructions.
 * ============================================================================================== */

#define EMU_PORT_CONSOLE 0x500u   /* + channel */
#define EMU_PORT_CALL_HI 0x510u
#define EMU_PORT_CALL 0x514u

enum emu_console_channel {
    EMU_CON_STDOUT = 0,   /* the program's standard output: the emulator's stdout */
    EMU_CON_STDERR = 1,   /* the program's standard error: the emulator's stderr */
    EMU_CON_KLOG = 2,     /* kernel log: stderr with -v, the --kernel-log file, else kept aside */
    EMU_CON_NR = 3,
};

struct emu_call {
    uint32_t op;          /* enum emu_call_op */
    int32_t ret;          /* result, written by the emulator */
    uint64_t a[6];        /* arguments (addresses are physical) */
};

enum emu_call_op {
    /* a0 channel, a1 buffer address, a2 length. ret: 0. */
    EMU_CALL_CONSOLE_WRITE = 1,
    /* a0 exit code (0..255): the run ends with that status. Does not return. */
    EMU_CALL_EXIT = 2,
    /* Reset every counter to zero. */
    EMU_CALL_STATS_RESET = 3,
    /* Write the counters now (to the --stats file; a later dump or the end of the run replaces
     * it) and print the summary. */
    EMU_CALL_STATS_DUMP = 4,
    /* Begin / end the region of interest (as EMU_ROI_BEGIN / EMU_ROI_END in SE mode). */
    EMU_CALL_ROI_BEGIN = 5,
    EMU_CALL_ROI_END = 6,
    /* A report (a /proc-style file): a0 name address, a1 name length, a2 text address, a3 text
     * length. Printed on standard output under a header, or written to DIR/name with
     * --reports-dir=DIR. */
    EMU_CALL_REPORT = 7,
    /* Write a marker (a0, a 64-bit value) into the trace and the kernel log's event stream. */
    EMU_CALL_MARKER = 8,
    /* A kernel test result: a0 name address, a1 name length, a2 EMU_TEST_*, a3 message address,
     * a4 message length (0: none). Printed in KTAP form on standard output. */
    EMU_CALL_TEST_RESULT = 9,
    /* Register this CPU's mm-annotation ring: a0 its physical address (struct emu_annot_ring,
     * 4 KiB aligned, physically contiguous), a1 its number of entries (a power of two). 0 in a0
     * unregisters. */
    EMU_CALL_ANNOT_RING = 10,
    /* Name an owner id (a slab cache, a process): a0 id, a1 kind (EMU_OWNER_*), a2 name
     * address, a3 name length. Names appear in the visualizer and the frame reports. */
    EMU_CALL_ANNOT_NAME = 11,
    /* Block device: a0 the physical address of a struct emu_blk_req. ret: 0 when queued. */
    EMU_CALL_BLK_SUBMIT = 12,
    /* Block device set-up: a0 the interrupt vector of completions (0: none, poll `status`),
     * a1 the CPU that takes them. */
    EMU_CALL_BLK_SETUP = 13,
    /* The machine's virtual clock now (ret 0, value written to a0). */
    EMU_CALL_CLOCK = 14,
    /* The kernel cannot go on: a0 message address, a1 message length. The emulator prints
     * "emu: guest kernel panic: MESSAGE", the end of the kernel log, and ends the run with
     * status 125. Does not return. */
    EMU_CALL_PANIC = 15,
    /* The guest's memory zones (for the visualizer: free pages per zone against the watermarks):
     * a0 the physical address of an array of struct emu_zone_info, a1 its number of entries (at
     * most EMU_MAX_ZONES). The emulator copies the array during the call; each call replaces the
     * whole list. Made once the zones and their watermarks are set up, and again whenever a span
     * or a watermark changes. ret: 0. */
    EMU_CALL_ZONE_INFO = 16,
};

enum { EMU_TEST_PASS = 0, EMU_TEST_FAIL = 1, EMU_TEST_SKIP = 2 };

/* Errors in emu_call.ret. */
#define EMU_EINVAL (-22)   /* a bad argument (address outside RAM, unknown channel, ...) */
#define EMU_ENOSYS (-38)   /* unknown op */
#define EMU_EBUSY (-16)    /* the block device's queue is full */
#define EMU_ENODEV (-19)   /* no block device */

/* ---- mm annotations -----------------------------------------------------------------------------
 * The guest tells the emulator what each frame is. Each CPU owns a ring (single producer: that
 * CPU; single consumer: the emulator, between quanta). The guest writes entries at
 * head % nr_entries and then advances head; the emulator consumes up to head and advances tail. If
 * the ring is full, the guest may drain it with EMU_CALL_ANNOT_RING's no-op form (a0 = the same
 * ring address) or drop the entry and bump `dropped`. Annotations cost no simulated time: the
 * emulator reads the ring outside the memory model. */

enum emu_frame_state {
    EMU_FRAME_UNKNOWN = 0,   /* nothing said yet */
    EMU_FRAME_FREE,          /* in the buddy allocator: aux = order of the free block,
                                owner = its migrate type (enum emu_migrate), 0 if not said */
    EMU_FRAME_RESERVED,      /* reserved at boot (memblock), never freed */
    EMU_FRAME_KERNEL,        /* kernel image, boot allocations, kernel stacks */
    EMU_FRAME_MEMMAP,        /* struct page array */
    EMU_FRAME_SLAB,          /* a slab: owner = the kmem_cache id */
    EMU_FRAME_PAGE_TABLE,    /* a paging structure: aux = its level (1 = PT ... 5 = PML5) */
    EMU_FRAME_VMALLOC,       /* vmalloc backing */
    EMU_FRAME_ANON,          /* user anonymous memory: aux = EMU_LRU_*, owner = the process */
    EMU_FRAME_FILE,          /* page cache: aux = EMU_LRU_*, owner = the file or process */
    EMU_FRAME_SWAPCACHE,     /* in the swap cache */
    EMU_FRAME_PCP,           /* on a per-CPU page list: owner = the CPU */
    EMU_FRAME_NR_STATES
};

/* The migrate type of a free block (EMU_FRAME_FREE's owner), as Linux's MIGRATE_* plus one. */
enum emu_migrate {
    EMU_MIGRATE_UNMOVABLE = 1,
    EMU_MIGRATE_MOVABLE = 2,
    EMU_MIGRATE_RECLAIMABLE = 3,
    EMU_MIGRATE_HIGHATOMIC = 4,
    EMU_MIGRATE_ISOLATE = 5,
};

enum emu_lru { EMU_LRU_NONE = 0, EMU_LRU_INACTIVE = 1, EMU_LRU_ACTIVE = 2, EMU_LRU_UNEVICTABLE = 3 };

enum emu_owner_kind { EMU_OWNER_SLAB_CACHE = 1, EMU_OWNER_PROCESS = 2, EMU_OWNER_FILE = 3 };

/* One annotation: frames [pfn, pfn + nr_pages) are now in `state`. */
struct emu_annot {
    uint64_t pfn;
    uint32_t nr_pages;
    uint16_t state;       /* enum emu_frame_state */
    uint16_t aux;         /* order, level or LRU list, by state */
    uint64_t owner;       /* an id named by EMU_CALL_ANNOT_NAME, or 0 */
};

struct emu_annot_ring {
    volatile uint32_t head;     /* written by the guest: entries produced */
    volatile uint32_t tail;     /* written by the emulator: entries consumed */
    uint32_t nr_entries;        /* a power of two */
    volatile uint32_t dropped;  /* entries the guest could not queue (the ring was full) */
    uint64_t reserved[6];
    struct emu_annot entries[]; /* nr_entries of them, starting 64 bytes into the ring */
};

/* ---- zones ----------------------------------------------------------------------------------------
 * One entry per populated zone of each node (Linux's struct zone: zone_start_pfn, spanned_pages,
 * present_pages, managed_pages and _watermark[], as /proc/zoneinfo prints them). The emulator counts
 * the free pages of a zone itself, from the mm annotations (frames in EMU_FRAME_FREE within its span
 * and node), so the guest makes no call when pages are allocated or freed. */

#define EMU_MAX_ZONES 256

enum emu_zone_type { EMU_ZONE_TYPE_DMA = 0, EMU_ZONE_TYPE_DMA32 = 1, EMU_ZONE_TYPE_NORMAL = 2, EMU_ZONE_TYPE_MOVABLE = 3 };

struct emu_zone_info {
    uint32_t node;              /* NUMA node */
    uint32_t type;              /* enum emu_zone_type */
    uint64_t start_pfn;         /* the zone spans frames [start_pfn, start_pfn + spanned_pages) */
    uint64_t spanned_pages;
    uint64_t present_pages;     /* RAM in the span */
    uint64_t managed_pages;     /* pages given to the buddy allocator */
    uint64_t wmark_min;         /* watermarks, in pages (WMARK_MIN, WMARK_LOW, WMARK_HIGH) */
    uint64_t wmark_low;
    uint64_t wmark_high;
};

/* ---- block device ---------------------------------------------------------------------------------
 * Requests complete after a modelled latency on the virtual clock (docs/DEVICES.md): the data is
 * copied (DMA) between the backing file and guest memory at completion, then `status` is written
 * and the completion interrupt (if set up) is raised. At most EMU_BLK_QUEUE requests in flight. */

#define EMU_BLK_SECTOR 512u
#define EMU_BLK_QUEUE 32

enum { EMU_BLK_READ = 0, EMU_BLK_WRITE = 1 };
enum { EMU_BLK_PENDING = 0, EMU_BLK_OK = 1, EMU_BLK_ERROR = 2 };

struct emu_blk_req {
    uint64_t sector;            /* first 512-byte sector */
    uint32_t nr_sectors;
    uint32_t op;                /* EMU_BLK_READ or EMU_BLK_WRITE */
    uint64_t buf_pa;            /* physical address of the data (physically contiguous) */
    uint64_t tag;               /* the guest's, returned untouched */
    volatile uint32_t status;   /* EMU_BLK_PENDING until completion */
    uint32_t reserved;
};

/* Layout checks (C11). */
_Static_assert(sizeof(struct emu_mem_range) == 24, "emu_mem_range layout");
_Static_assert(sizeof(struct emu_cpu_desc) == 16, "emu_cpu_desc layout");
_Static_assert(sizeof(struct emu_mailbox) == 64, "emu_mailbox layout");
_Static_assert(sizeof(struct emu_call) == 56, "emu_call layout");
_Static_assert(sizeof(struct emu_annot) == 24, "emu_annot layout");
_Static_assert(sizeof(struct emu_annot_ring) == 64, "emu_annot_ring layout");
_Static_assert(sizeof(struct emu_blk_req) == 40, "emu_blk_req layout");
_Static_assert(sizeof(struct emu_zone_info) == 64, "emu_zone_info layout");

#endif
