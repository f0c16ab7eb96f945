/* tools/growth.h - what grew from one ratmem document to another: the
 * stacks of two documents matched by their frames, with the bytes and
 * blocks of each side.  Shared by `ratmem diff` (ratmem-diff.c) and
 * `ratmem report --base` (report.c), so that both match stacks alike.
 *
 * A frame is matched by its module and offset (never by its address,
 * which address-space randomisation changes from run to run), else by its
 * pc, else by its function; with by_function, by its function when it has
 * one.  Groups of one stack (of any kind) add up. */
#ifndef RATMEM_TOOLS_GROWTH_H
#define RATMEM_TOOLS_GROWTH_H

#include <stdbool.h>
#include <stddef.h>

#include "doc.h"

struct rm_growth_entry {
    char *key;
    long long old_bytes, old_blocks, new_bytes, new_blocks;
    const struct rm_doc_group *shown; /* frames to show: NEW's, else OLD's */
};

struct rm_growth {
    bool by_function;
    size_t cap, n;
    struct rm_growth_entry *e; /* open addressing; entries with key NULL are free */
};

/* Add group g of OLD (is_new false) or NEW, its shown values
 * (rm_doc_bytes, rm_doc_blocks).  -1 when memory ran out. */
int rm_growth_add(struct rm_growth *t, const struct rm_doc_group *g, bool is_new);

/* The entries whose bytes grew, largest growth first (then blocks, then
 * key): a new array of *n pointers into t, or NULL when memory ran out. */
struct rm_growth_entry **rm_growth_grew(const struct rm_growth *t, size_t *n);

void rm_growth_free(struct rm_growth *t);

#endif
