/* tools/growth.c - stacks of two documents matched, for `ratmem diff` and
 * `ratmem report --base` (see growth.h). */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "growth.h"

/* One frame's part of a stack's key, into out (NULL: only its length). */
static size_t frame_key(const struct rm_doc_frame *f, bool by_function, char *out)
{
    char num[40];
    const char *a, *b = NULL;
    if (by_function && f->function) {
        a = f->function;
    } else if (f->module && f->module[0] && (f->offset_text || f->offset)) {
        a = f->module;
        snprintf(num, sizeof num, "+%" PRIx64, f->offset);
        b = num;
    } else if (f->pc_text || f->pc) {
        snprintf(num, sizeof num, "%" PRIx64, f->pc);
        a = num;
    } else {
        a = f->function ? f->function : "?";
    }
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    if (out) {
        memcpy(out, a, la);
        if (b)
            memcpy(out + la, b, lb);
        out[la + lb] = '\n';
    }
    return la + lb + 1;
}

static char *stack_key(const struct rm_doc_group *g, bool by_function)
{
    size_t n = 1;
    for (size_t i = 0; i < g->nframes; i++)
        n += frame_key(&g->frames[i], by_function, NULL);
    char *k = malloc(n), *o = k;
    if (!k)
        return NULL;
    for (size_t i = 0; i < g->nframes; i++)
        o += frame_key(&g->frames[i], by_function, o);
    *o = 0;
    return k;
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The entry of key (taken over by the table, or freed when known). */
static struct rm_growth_entry *lookup(struct rm_growth *t, char *key)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 1024;
        struct rm_growth_entry *ne = calloc(nc, sizeof *ne);
        if (!ne) {
            free(key);
            return NULL;
        }
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->e[i].key)
                continue;
            size_t j = hash(t->e[i].key) & (nc - 1);
            while (ne[j].key)
                j = (j + 1) & (nc - 1);
            ne[j] = t->e[i];
        }
        free(t->e);
        t->e = ne;
        t->cap = nc;
    }
    size_t j = hash(key) & (t->cap - 1);
    while (t->e[j].key && strcmp(t->e[j].key, key) != 0)
        j = (j + 1) & (t->cap - 1);
    if (!t->e[j].key) {
        t->e[j].key = key;
        t->n++;
    } else {
        free(key);
    }
    return &t->e[j];
}

int rm_growth_add(struct rm_growth *t, const struct rm_doc_group *g, bool is_new)
{
    char *key = stack_key(g, t->by_function);
    struct rm_growth_entry *e = key ? lookup(t, key) : NULL;
    if (!e)
        return -1;
    if (is_new) {
        e->new_bytes += rm_doc_bytes(g);
        e->new_blocks += rm_doc_blocks(g);
        e->shown = g;
    } else {
        e->old_bytes += rm_doc_bytes(g);
        e->old_blocks += rm_doc_blocks(g);
        if (!e->shown)
            e->shown = g;
    }
    return 0;
}

static int by_growth(const void *pa, const void *pb)
{
    const struct rm_growth_entry *a = *(struct rm_growth_entry *const *)pa,
                                 *b = *(struct rm_growth_entry *const *)pb;
    long long da = a->new_bytes - a->old_bytes, db = b->new_bytes - b->old_bytes;
    if (da != db)
        return da > db ? -1 : 1;
    da = a->new_blocks - a->old_blocks;
    db = b->new_blocks - b->old_blocks;
    if (da != db)
        return da > db ? -1 : 1;
    return strcmp(a->key, b->key);
}

struct rm_growth_entry **rm_growth_grew(const struct rm_growth *t, size_t *n)
{
    struct rm_growth_entry **up = calloc(t->n + 1, sizeof *up);
    if (!up)
        return NULL;
    *n = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->e[i].key && t->e[i].new_bytes > t->e[i].old_bytes)
            up[(*n)++] = &t->e[i];
    qsort(up, *n, sizeof *up, by_growth);
    return up;
}

void rm_growth_free(struct rm_growth *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->e[i].key);
    free(t->e);
    t->e = NULL;
    t->cap = t->n = 0;
}
