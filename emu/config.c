/* config: parsing and validating the configuration (see config.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const config_key_info_t config_keys[CFG_NR_KEYS] = {
#define X(sec, key, type, def, unit, min, max, choices, desc) {#sec, #key, type, def, unit, min, max, choices, desc},
    CONFIG_KEYS(X)
#undef X
};

/* Parse a size: decimal or 0x hex, with an optional K/M/G/T suffix (powers of 1024, an optional
 * trailing 'B' or 'iB'). Returns 0 or -1. */
static int parse_size(const char *s, int64_t *out)
{
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s || errno || *s == '-')
        return -1;
    unsigned long long mul = 1;
    switch (toupper((unsigned char)*end)) {
    case 'K': mul = 1ull << 10; end++; break;
    case 'M': mul = 1ull << 20; end++; break;
    case 'G': mul = 1ull << 30; end++; break;
    case 'T': mul = 1ull << 40; end++; break;
    default: break;
    }
    if (mul > 1 && *end == 'i')
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end)
        return -1;
    if (v > (unsigned long long)INT64_MAX / mul)
        return -1;
    *out = (int64_t)(v * mul);
    return 0;
}

static int parse_int(const char *s, int64_t *out)
{
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 0);
    if (end == s || *end || errno)
        return -1;
    *out = v;
    return 0;
}

/* Index of word in a '|'-separated list, or -1. */
static int enum_index(const char *choices, const char *word)
{
    int idx = 0;
    size_t n = strlen(word);
    for (const char *p = choices;; idx++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0)
            return idx;
        if (!bar)
            return -1;
        p = bar + 1;
    }
}

/* Append the list of valid keys (of one section, or all) to err. */
static void list_keys(char *err, size_t errlen, const char *section)
{
    size_t used = strlen(err);
    int any = 0;
    for (int i = 0; i < CFG_NR_KEYS; i++) {
        if (section && strcmp(config_keys[i].section, section) != 0)
            continue;
        int w = snprintf(err + used, used < errlen ? errlen - used : 0, "%s%s.%s", any ? ", " : "",
                         config_keys[i].section, config_keys[i].key);
        if (w > 0)
            used += (size_t)w;
        any = 1;
    }
    if (!any)
        list_keys(err, errlen, NULL);
}

static int value_ok(const config_key_info_t *k, const char *value, int64_t *v, char *err, size_t errlen)
{
    int rc;
    switch (k->type) {
    case CFG_INT:
        rc = parse_int(value, v);
        break;
    case CFG_SIZE:
        rc = parse_size(value, v);
        break;
    case CFG_STR:
        if (strlen(value) > (size_t)k->max) {
            snprintf(err, errlen, "bad value for %s.%s: longer than %lld characters", k->section, k->key,
                     (long long)k->max);
            return -1;
        }
        *v = k->min;
        return 0;
    case CFG_ENUM:
        *v = enum_index(k->choices, value);
        if (*v < 0) {
            snprintf(err, errlen, "bad value '%s' for %s.%s: valid values are %s", value, k->section, k->key,
                     k->choices);
            return -1;
        }
        return 0;
    default:
        rc = -1;
    }
    if (rc < 0 || *v < k->min || *v > k->max) {
        if (k->type == CFG_SIZE)
            snprintf(err, errlen,
                     "bad value '%s' for %s.%s: expected a size from %lld to %lld bytes (suffixes K, M, G, T)",
                     value, k->section, k->key, (long long)k->min, (long long)k->max);
        else
            snprintf(err, errlen, "bad value '%s' for %s.%s: expected an integer from %lld to %lld", value,
                     k->section, k->key, (long long)k->min, (long long)k->max);
        return -1;
    }
    if (k->type == CFG_SIZE && strcmp(k->unit, "bytes") == 0 && (*v & 0xfff)) {
        snprintf(err, errlen, "bad value '%s' for %s.%s: must be a multiple of 4 KiB", value, k->section, k->key);
        return -1;
    }
    return 0;
}

int config_set_kv(config_t *cfg, const char *section, const char *key, const char *value, char *err,
                  size_t errlen)
{
    for (int i = 0; i < CFG_NR_KEYS; i++) {
        const config_key_info_t *k = &config_keys[i];
        if (strcmp(k->section, section) == 0 && strcmp(k->key, key) == 0) {
            int64_t v;
            if (value_ok(k, value, &v, err, errlen) < 0)
                return -1;
            cfg->val[i] = v;
            if (k->type == CFG_STR)
                snprintf(cfg->str[k->min], CONFIG_STR_LEN, "%s", value);
            return 0;
        }
    }
    snprintf(err, errlen, "unknown configuration key '%s.%s'; valid keys: ", section, key);
    int known_section = 0;
    for (int i = 0; i < CFG_NR_KEYS; i++)
        known_section |= strcmp(config_keys[i].section, section) == 0;
    list_keys(err, errlen, known_section ? section : NULL);
    return -1;
}

void config_defaults(config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (int i = 0; i < CFG_NR_KEYS; i++) {
        char err[256];
        int64_t v = 0;
        if (value_ok(&config_keys[i], config_keys[i].def, &v, err, sizeof(err)) < 0)
            abort(); /* a bad default is an emulator bug */
        cfg->val[i] = v;
        if (config_keys[i].type == CFG_STR)
            snprintf(cfg->str[config_keys[i].min], CONFIG_STR_LEN, "%s", config_keys[i].def);
    }
    snprintf(cfg->source, sizeof(cfg->source), "defaults");
}

typedef struct ini_ctx {
    config_t *cfg;
    char *err;
    size_t errlen;
    const char *name;
    int failed;
    char last[128]; /* section.key of the previous pair: a text key's continuation lines append */
} ini_ctx_t;

static int on_ini_pair(void *user, const char *section, const char *name, const char *value)
{
    ini_ctx_t *ctx = user;
    if (ctx->failed)
        return 0;
    char msg[1024], full[128];
    snprintf(full, sizeof(full), "%s.%s", section, name);
    int cont = strcmp(full, ctx->last) == 0;
    snprintf(ctx->last, sizeof(ctx->last), "%s", full);
    for (int i = 0; cont && i < CFG_NR_KEYS; i++) {
        /* A text value (a matrix) continued on indented lines: inih hands each line as a pair of
         * the same key; they are joined with a space. */
        if (config_keys[i].type == CFG_STR && !strcmp(config_keys[i].section, section) &&
            !strcmp(config_keys[i].key, name)) {
            char joined[CONFIG_STR_LEN * 2];
            snprintf(joined, sizeof(joined), "%s %s", ctx->cfg->str[config_keys[i].min], value);
            if (config_set_kv(ctx->cfg, section, name, joined, msg, sizeof(msg)) < 0) {
                snprintf(ctx->err, ctx->errlen, "%s: %s", ctx->name, msg);
                ctx->failed = 1;
                return 0;
            }
            return 1;
        }
    }
    if (config_set_kv(ctx->cfg, section, name, value, msg, sizeof(msg)) < 0) {
        snprintf(ctx->err, ctx->errlen, "%s: %s", ctx->name, msg);
        ctx->failed = 1;
        return 0;
    }
    return 1;
}

int config_load(config_t *cfg, const char *spec, char *err, size_t errlen)
{
    ini_ctx_t ctx = {cfg, err, errlen, spec, 0, ""};
    int is_path = strchr(spec, '/') || strstr(spec, ".ini");
    if (!is_path) {
        for (const config_preset_t *p = config_presets; p->name; p++) {
            if (strcmp(p->name, spec) == 0) {
                int rc = ini_parse_string(p->text, on_ini_pair, &ctx);
                if (ctx.failed)
                    return -1;
                if (rc != 0) {
                    snprintf(err, errlen, "preset %s: syntax error on line %d", spec, rc);
                    return -1;
                }
                snprintf(cfg->source, sizeof(cfg->source), "preset %s", spec);
                return 0;
            }
        }
    }
    FILE *f = fopen(spec, "r");
    if (!f) {
        if (!is_path) {
            snprintf(err, errlen, "no configuration file or preset named '%s'; presets:", spec);
            for (const config_preset_t *p = config_presets; p->name; p++) {
                size_t used = strlen(err);
                snprintf(err + used, errlen - used, " %s", p->name);
            }
        } else {
            snprintf(err, errlen, "cannot open configuration file %s: %s", spec, strerror(errno));
        }
        return -1;
    }
    int rc = ini_parse_file(f, on_ini_pair, &ctx);
    fclose(f);
    if (ctx.failed)
        return -1;
    if (rc != 0) {
        snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)", spec, rc);
        return -1;
    }
    snprintf(cfg->source, sizeof(cfg->source), "%.63s", spec);
    return 0;
}

int config_set(config_t *cfg, const char *assignment, char *err, size_t errlen)
{
    const char *eq = strchr(assignment, '=');
    const char *dot = strchr(assignment, '.');
    if (!eq || !dot || dot > eq || dot == assignment || dot + 1 == eq) {
        snprintf(err, errlen, "bad --set '%s': expected SECTION.KEY=VALUE", assignment);
        return -1;
    }
    char section[64], key[64];
    size_t sl = (size_t)(dot - assignment), kl = (size_t)(eq - dot - 1);
    if (sl >= sizeof(section) || kl >= sizeof(key)) {
        snprintf(err, errlen, "bad --set '%s': name too long", assignment);
        return -1;
    }
    memcpy(section, assignment, sl);
    section[sl] = 0;
    memcpy(key, dot + 1, kl);
    key[kl] = 0;
    return config_set_kv(cfg, section, key, eq + 1, err, errlen);
}

static void print_value(const config_key_info_t *k, int64_t v, FILE *f)
{
    if (k->type == CFG_ENUM) {
        const char *p = k->choices;
        for (int64_t i = 0; i < v && p; i++) {
            p = strchr(p, '|');
            if (p)
                p++;
        }
        const char *bar = p ? strchr(p, '|') : NULL;
        fprintf(f, "%.*s", p ? (bar ? (int)(bar - p) : (int)strlen(p)) : 0, p ? p : "");
    } else if (k->type == CFG_SIZE && strcmp(k->unit, "address") == 0) {
        fprintf(f, "0x%llx", (unsigned long long)v);
    } else if (k->type == CFG_SIZE && v && (v & ((1ll << 30) - 1)) == 0) {
        fprintf(f, "%lldG", (long long)(v >> 30));
    } else if (k->type == CFG_SIZE && v && (v & ((1ll << 20) - 1)) == 0) {
        fprintf(f, "%lldM", (long long)(v >> 20));
    } else if (k->type == CFG_SIZE && v && (v & ((1ll << 10) - 1)) == 0) {
        fprintf(f, "%lldK", (long long)(v >> 10));
    } else {
        fprintf(f, "%lld", (long long)v);
    }
}

void config_print_keys(FILE *f)
{
    for (int i = 0; i < CFG_NR_KEYS; i++) {
        const config_key_info_t *k = &config_keys[i];
        fprintf(f, "%s.%s = %s", k->section, k->key, k->def);
        if (k->type == CFG_STR)
            fprintf(f, "%s(text%s%s)", k->def[0] ? "  " : " ", k->unit[0] ? ", " : "", k->unit);
        else if (k->type == CFG_ENUM)
            fprintf(f, "  (one of %s)", k->choices);
        else if (k->unit[0])
            fprintf(f, "  (%s)", k->unit);
        fprintf(f, "\n    %s\n", k->desc);
    }
}

void config_dump(const config_t *cfg, FILE *f)
{
    const char *section = "";
    fprintf(f, "; effective configuration (from %s)\n", cfg->source);
    for (int i = 0; i < CFG_NR_KEYS; i++) {
        const config_key_info_t *k = &config_keys[i];
        if (strcmp(section, k->section) != 0) {
            section = k->section;
            fprintf(f, "[%s]\n", section);
        }
        fprintf(f, "%s = ", k->key);
        if (k->type == CFG_STR) {
            /* A long matrix goes on indented continuation lines, one row each (INI lines stay short). */
            for (const char *p = cfg->str[k->min]; *p; p++) {
                if (*p == '/' && strlen(cfg->str[k->min]) > 60)
                    fputs("\n   ", f);
                fputc(*p, f);
            }
        } else
            print_value(k, cfg->val[i], f);
        fputc('\n', f);
    }
}
