/* regions.h - memory the program mapped itself (anonymous mmap through the
 * interposed call), such as pymalloc's arenas: roots for the scan, as
 * valgrind's memcheck treats client mappings.  glibc's own heap mappings,
 * thread stacks and the tracker's memory never pass through the interposed
 * mmap, so they are not here. */
#ifndef RATMEM_TRACK_REGIONS_H
#define RATMEM_TRACK_REGIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "scan.h"

/* Record [lo, hi) / forget it (splitting records as needed).  Overlaps with
 * earlier records replace them.  false when tracker memory is short (the
 * region then is no root: leaks may be over-reported, never missed). */
bool rm_regions_add(uintptr_t lo, uintptr_t hi);
void rm_regions_remove(uintptr_t lo, uintptr_t hi);

/* Whether addr lies in a recorded region. */
bool rm_regions_contains(uintptr_t addr);

/* Copy the recorded regions (sorted by address) into out; returns the total
 * count (may exceed cap). */
size_t rm_regions_list(struct rm_range *out, size_t cap);

/* Drop everything (tests). */
void rm_regions_clear(void);

/* fork(). */
void rm_regions_lock(void);
void rm_regions_unlock(void);

#endif
