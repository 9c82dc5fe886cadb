/* config: the machine configuration.
 *
 * Every key is declared once in CONFIG_KEYS below with its type, default, unit, limits and
 * description; that one table drives parsing (INI files through libinih and --set), validation,
 * error messages that list the valid keys, `emu help config`, and docs/CONFIG.md (a test checks
 * that the document lists every key).
 */
#ifndef EMU_CONFIG_H
#define EMU_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum config_type {
    CFG_INT,  /* decimal integer within [min, max] */
    CFG_SIZE, /* bytes, with an optional K/M/G/T suffix (powers of 1024), within [min, max] */
    CFG_ENUM, /* one of the '|'-separated words in choices; stored as its index */
};

/* X(section, key, type, default, unit, min, max, choices, description) */
#define CONFIG_KEYS(X)                                                                             \
    X(machine, sockets, CFG_INT, "1", "", 1, 64, NULL, "Number of CPU sockets (packages)")        \
    X(machine, cores_per_socket, CFG_INT, "1", "", 1, 256, NULL, "CPU cores in each socket")      \
    X(machine, nodes_per_socket, CFG_INT, "1", "", 1, 8, NULL,                                    \
      "NUMA memory nodes attached to each socket (sockets x nodes_per_socket nodes in all)")      \
    X(machine, mem_per_node, CFG_SIZE, "256M", "bytes", 1ll << 20, 1ll << 40, NULL,               \
      "Physical memory in each NUMA node; a multiple of 4 KiB. Suffixes K, M, G, T")              \
    X(machine, paging_levels, CFG_INT, "4", "levels", 4, 5, NULL,                                     \
      "Page-table depth: 4 (48-bit virtual addresses) or 5 (LA57, 57-bit)")                       \
    X(numa, distance_same_socket, CFG_INT, "11", "SLIT units", 10, 254, NULL,                     \
      "Distance between two different nodes of one socket (ACPI SLIT: 10 = local)")              \
    X(numa, distance_remote, CFG_INT, "21", "SLIT units", 10, 254, NULL,                          \
      "Distance between nodes of different sockets (ACPI SLIT; 21 is typical of 2-socket Intel)") \
    X(se, stack_size, CFG_SIZE, "8M", "bytes", 64ll << 10, 1ll << 30, NULL,                       \
      "SE mode: size of the main thread's stack mapping (RLIMIT_STACK as the program sees it)")   \
    X(se, mmap_base, CFG_SIZE, "0x7f0000000000", "address", 1ll << 32, 1ll << 47, NULL,           \
      "SE mode: highest address of the mmap area; mappings grow down from here")

enum config_id {
#define X(sec, key, type, def, unit, min, max, choices, desc) CFG_##sec##_##key,
    CONFIG_KEYS(X)
#undef X
    CFG_NR_KEYS
};

typedef struct config_key_info {
    const char *section, *key;
    enum config_type type;
    const char *def, *unit;
    int64_t min, max;
    const char *choices;
    const char *desc;
} config_key_info_t;

extern const config_key_info_t config_keys[CFG_NR_KEYS];

/* A preset compiled in from configs/NAME.ini (see scripts/embed-presets.sh). */
typedef struct config_preset {
    const char *name;
    const char *text;
} config_preset_t;
extern const config_preset_t config_presets[]; /* terminated by {0, 0} */

typedef struct config {
    int64_t val[CFG_NR_KEYS];  /* parsed values: integers, sizes, enum indexes */
    char source[64];           /* where the values came from: "defaults", a preset or a path */
} config_t;

/* Fill cfg with the defaults. */
void config_defaults(config_t *cfg);

/* Load an INI file, or a preset when spec names one (a name without '/' or ".ini" that matches a
 * compiled-in preset). Returns 0, or -1 with a message in err. */
int config_load(config_t *cfg, const char *spec, char *err, size_t errlen);

/* Apply "section.key=value". Returns 0, or -1 with a message in err. */
int config_set(config_t *cfg, const char *assignment, char *err, size_t errlen);

/* Set one key from its textual value. Returns 0, or -1 with a message in err naming the key and
 * what is valid. */
int config_set_kv(config_t *cfg, const char *section, const char *key, const char *value, char *err,
                  size_t errlen);

static inline int64_t config_get(const config_t *cfg, enum config_id id) { return cfg->val[id]; }

/* Print every key with default, unit and description (for `emu help config`). */
void config_print_keys(FILE *f);
/* Print the effective configuration as INI. */
void config_dump(const config_t *cfg, FILE *f);

#endif
