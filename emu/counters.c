/* counters: a flat registry of named uint64_t counters (see counters.h). */
#define _GNU_SOURCE
#include "counters.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct counter {
    char *name;
    const char *desc;
    const uint64_t *p;
    counter_fn fn;
    void *arg;
    int live; /* neither frozen nor reset (e.g. the exit status) */
} counter_t;

struct counters {
    counter_t *v;
    int n, cap;
    uint64_t *frozen; /* values at counters_freeze(), or NULL */
    int nr_frozen;
};

counters_t *counters_new(void) { return calloc(1, sizeof(counters_t)); }

void counters_free(counters_t *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++)
        free(c->v[i].name);
    free(c->v);
    free(c->frozen);
    free(c);
}

static counter_t *add(counters_t *c, const char *fmt, va_list ap)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        counter_t *v = realloc(c->v, (size_t)c->cap * sizeof(*v));
        if (!v)
            abort();
        c->v = v;
    }
    counter_t *k = &c->v[c->n++];
    memset(k, 0, sizeof(*k));
    if (vasprintf(&k->name, fmt, ap) < 0)
        abort();
    return k;
}

void counters_add(counters_t *c, const uint64_t *p, const char *desc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    counter_t *k = add(c, fmt, ap);
    va_end(ap);
    k->p = p;
    k->desc = desc;
}

void counters_add_fn(counters_t *c, counter_fn fn, void *arg, const char *desc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    counter_t *k = add(c, fmt, ap);
    va_end(ap);
    k->fn = fn;
    k->arg = arg;
    k->desc = desc;
}

void counters_set_live(counters_t *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->v[i].name, name) == 0)
            c->v[i].live = 1;
}

int counters_count(const counters_t *c) { return c->n; }
const char *counters_name(const counters_t *c, int i) { return c->v[i].name; }
const char *counters_desc(const counters_t *c, int i) { return c->v[i].desc; }

uint64_t counters_value(const counters_t *c, int i)
{
    if (c->frozen && i < c->nr_frozen && !c->v[i].live)
        return c->frozen[i];
    const counter_t *k = &c->v[i];
    return k->fn ? k->fn(k->arg) : *k->p;
}

uint64_t counters_get(const counters_t *c, const char *name, int *found)
{
    for (int i = 0; i < c->n; i++) {
        if (strcmp(c->v[i].name, name) == 0) {
            if (found)
                *found = 1;
            return counters_value(c, i);
        }
    }
    if (found)
        *found = 0;
    return 0;
}

void counters_freeze(counters_t *c)
{
    uint64_t *v = malloc((size_t)(c->n ? c->n : 1) * sizeof(uint64_t));
    if (!v)
        abort();
    for (int i = 0; i < c->n; i++)
        v[i] = counters_value(c, i);
    free(c->frozen);
    c->frozen = v;
    c->nr_frozen = c->n;
}

void counters_reset(counters_t *c)
{
    free(c->frozen);
    c->frozen = NULL;
    c->nr_frozen = 0;
    for (int i = 0; i < c->n; i++)
        if (c->v[i].p && !c->v[i].live)
            *(uint64_t *)c->v[i].p = 0;
}

int counters_write_json(const counters_t *c, FILE *f)
{
    fputs("{\n", f);
    for (int i = 0; i < c->n; i++)
        fprintf(f, "  \"%s\": %llu%s\n", c->v[i].name, (unsigned long long)counters_value(c, i),
                i + 1 < c->n ? "," : "");
    fputs("}\n", f);
    return ferror(f) ? -1 : 0;
}

int counters_write_json_file(const counters_t *c, const char *path)
{
    char *tmp;
    if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        free(tmp);
        return -1;
    }
    int rc = counters_write_json(c, f);
    if (fclose(f) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
    }
    free(tmp);
    return rc;
}
