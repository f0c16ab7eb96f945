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

#endif
