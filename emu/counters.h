/* counters: the registry that exports every module's counters by name.
 *
 * Modules declare their counters once, with an X-macro list of (name, description), as plain
 * uint64_t fields of their own structs; at set-up they register each field here under a dotted
 * name ("cpu0.instructions"). The registry reads the fields when it exports them, so counting costs
 * the hot path one add and nothing else. Derived counters (sums over CPUs) are callbacks.
 */
#ifndef EMU_COUNTERS_H
#define EMU_COUNTERS_H

#include <stdint.h>
#include <stdio.h>

typedef struct counters counters_t;
typedef uint64_t (*counter_fn)(void *arg);

counters_t *counters_new(void);
void counters_free(counters_t *c);

/* Register a counter read from *p. The name is formatted printf-style and copied. */
void counters_add(counters_t *c, const uint64_t *p, const char *desc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Register a derived counter computed by fn(arg) when read. */
void counters_add_fn(counters_t *c, counter_fn fn, void *arg, const char *desc, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

int counters_count(const counters_t *c);
const char *counters_name(const counters_t *c, int i);
const char *counters_desc(const counters_t *c, int i);
uint64_t counters_value(const counters_t *c, int i);
/* Value by name; returns 0 and sets *found to 0 when absent (found may be NULL). */
uint64_t counters_get(const counters_t *c, const char *name, int *found);

/* Reset every plain counter to zero (derived ones follow their inputs). */
void counters_reset(counters_t *c);

/* Mark a counter live: counters_freeze() and counters_reset() leave it alone (the exit status). */
void counters_set_live(counters_t *c, const char *name);

/* Freeze: from now on every counter reads as its value at this moment (the region of interest has
 * ended). counters_reset() thaws. */
void counters_freeze(counters_t *c);

/* Write all counters as one flat JSON object, names sorted as registered. Returns 0 or -1. */
int counters_write_json(const counters_t *c, FILE *f);
/* Write to path atomically (temporary name, then rename). Returns 0 or -1 with errno set. */
int counters_write_json_file(const counters_t *c, const char *path);

#endif
