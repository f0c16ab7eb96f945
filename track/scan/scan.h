/* scan.h - classification of live blocks by a conservative scan from
 * explicit roots (direct / indirect / reachable as DESIGN.md defines them).
 * Pure with respect to the tracker's state, so tests drive it directly. */
#ifndef RATMEM_TRACK_SCAN_H
#define RATMEM_TRACK_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "table.h"

enum rm_kind {
    RM_KIND_UNREACHED = 0,   /* internal only */
    RM_KIND_REACHABLE = 1,
    RM_KIND_INDIRECT = 2,
    RM_KIND_DIRECT = 3,
};

struct rm_range {
    uintptr_t lo, hi;   /* [lo, hi), any alignment */
};

/* Sort blocks by address (in place, no allocation). */
void rm_blocks_sort(struct rm_block *b, size_t n);

/* Classify blocks[0..n) (sorted by address, not overlapping) given the root
 * ranges; kind[i] receives an enum rm_kind.  Pointers anywhere inside a
 * block count (a 0-byte block counts as 1 byte).  Roots are always read
 * through process_vm_readv (an unmapped page in a root range is skipped, not
 * a fault); blocks too when safe_blocks (other threads may free and unmap
 * them meanwhile).  Returns 0, or -1 when scratch memory could not be had
 * (then every block is marked reachable, so nothing false is reported). */
int rm_scan_classify(const struct rm_block *blocks, size_t n,
                     const struct rm_range *roots, size_t nroots,
                     bool safe_blocks, uint8_t *kind);

/* The same, where the blocks i with root_block[i] != 0 (root_block may be
 * NULL) are reachable by fiat and scanned as roots (LSan's treatment of
 * the dynamic linker's own allocations, such as a thread's DTV), and the
 * roots from index direct_from on (nroots: none) are read directly, not
 * through process_vm_readv: the caller knows they stay mapped (sampled
 * mode's heap roots in a process with one thread, signals blocked). */
int rm_scan_classify_ex(const struct rm_block *blocks, size_t n,
                        const struct rm_range *roots, size_t nroots,
                        const uint8_t *root_block, bool safe_blocks, size_t direct_from,
                        uint8_t *kind);

#endif
