/* roots.h - the roots of the reachability scan in this process. */
#ifndef RATMEM_TRACK_ROOTS_H
#define RATMEM_TRACK_ROOTS_H

#include <stddef.h>
#include <stdint.h>
#include "scan.h"

/* Fill out (capacity cap) with: the writable PT_LOAD segments of every
 * loaded object except the one holding [skip_lo, skip_hi) (the shim, whose
 * data holds no program pointers), each module's static TLS block of the
 * calling thread, the calling thread's descriptor (pthread keys), the
 * calling thread's stack from sp up, and every other registered thread's
 * whole stack mapping (static TLS included), and the program's own
 * mappings (regions.h), as far as they are readable.  Returns the count (at most
 * cap). */
size_t rm_roots_collect(struct rm_range *out, size_t cap, uintptr_t sp,
                        uintptr_t skip_lo, uintptr_t skip_hi);

/* Sampled mode: the heap that holds unsampled blocks is a root.  Adds the
 * read-write anonymous mappings and [heap] of /proc/self/maps, cut around
 * the recorded blocks b[0..n) (sorted by address: they are scanned as
 * blocks) and the ranges ex[0..nex) (at most 14: the report's scratch
 * buffers), and never the report heap.  Returns the count added. */
#include "table.h"
size_t rm_roots_heap(struct rm_range *out, size_t cap, const struct rm_block *b, size_t n,
                     const struct rm_range *ex, size_t nex);

/* Whether this process has one thread, as the kernel counts them
 * (/proc/self/stat): then nothing but the caller (and its signal
 * handlers) can unmap memory while it reads it.  false when unknown. */
#include <stdbool.h>
bool rm_roots_single_thread(void);

#endif
