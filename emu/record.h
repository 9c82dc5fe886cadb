/* record: the hooks of `emu run --record` (emu/record.c, docs/TRACE.md). Private to emu/. The
 * machine's trace writer is machine_t.rec (NULL when not recording); the hooks are called only when
 * it is set. kind: 0 fetch, 1 load, 2 store. */
#ifndef EMU_RECORD_H
#define EMU_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "traces/trace.h"

struct machine;
struct cpu;

/* Start recording into path (the configuration text goes into the header). 0, or -1 with err. */
int machine_record_open(struct machine *m, const char *path, const char *config_text, char *err, size_t errlen);
/* Write each CPU's end marker, the index and the trailer. 0, or -1 with err. */
int machine_record_close(struct machine *m, char *err, size_t errlen);

void rec_cr3(struct cpu *c, uint64_t cr3);
void rec_translate(struct cpu *c, int kind, uint64_t va, uint64_t pa, int page_shift);
void rec_cache(struct cpu *c, int kind, uint64_t pa, uint64_t size);
/* Before a walk: note the entries of va's path and their values (no bit is set). After it: write the
 * walk record with them. */
void rec_walk_before(struct cpu *c, uint64_t va);
void rec_walk(struct cpu *c, uint64_t va, int kind, int fault);
void rec_invlpg(struct cpu *c, uint64_t va);
void rec_flush(struct cpu *c);

#endif
