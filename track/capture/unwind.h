/* unwind.h - allocation stack capture with libunwind, the shim's own frames
 * left out.  The only file that knows about the unwinder. */
#ifndef RATMEM_TRACK_UNWIND_H
#define RATMEM_TRACK_UNWIND_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Once: the address range of the object that holds the tracker (the
 * shim), whose frames are left out, and the dynamic linker's.  libunwind
 * itself is loaded by the first capture that needs it (unwind.c). */
void rm_unwind_init(void);

/* libunwind has been loaded and set up (any thread, lock-free). */
bool rm_unwind_loaded(void);

/* pc lies in the dynamic linker (false when its range is unknown). */
bool rm_unwind_in_linker(uintptr_t pc);

/* [lo, hi): from the lowest to the end of the highest PT_LOAD segment of a
 * loaded object, as dl_iterate_phdr describes it (lo > hi when none). */
struct dl_phdr_info;
void rm_object_load_range(const struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi);

/* Leave out frames whose pc is in [lo, hi) instead (tests; 0,0 = none). */
void rm_unwind_set_skip_range(uintptr_t lo, uintptr_t hi);
void rm_unwind_get_skip_range(uintptr_t *lo, uintptr_t *hi);

/* The dynamic linker's address range (0,0 when unknown), found at init:
 * its allocations (DTVs, dlopen TLS) are never leaks. */
void rm_unwind_linker_range(uintptr_t *lo, uintptr_t *hi);

/* Capture up to max frames (<= RM_STACK_MAX_DEPTH) of the calling thread
 * into pc, innermost first, skipping the shim's frames.  Returns the count. */
unsigned rm_unwind_capture(uintptr_t *pc, unsigned max);

/* As rm_unwind_capture, from where the program entered the shim (NULL:
 * here).  *how says how the frames were had: RM_CAPTURE_AGAIN, exactly
 * those of this thread's previous fast capture (then, with skip_again,
 * none are copied and 0 is returned); RM_CAPTURE_FAST, a fast capture
 * that differs; RM_CAPTURE_SLOW, libunwind's. */
struct rm_from;
enum { RM_CAPTURE_SLOW = -1, RM_CAPTURE_FAST = 0, RM_CAPTURE_AGAIN = 1 };
unsigned rm_unwind_capture_from(uintptr_t *pc, unsigned max, const struct rm_from *from,
                                bool skip_again, int *how);
/* As rm_unwind_capture_from; when the fast capture found the stack's id
 * through the thread's trace tree (see rm_fastunwind_capture_id), *id is
 * set, pc holds nothing and 0 is returned; else *id is 0. */
unsigned rm_unwind_capture_id(uintptr_t *pc, unsigned max, const struct rm_from *from,
                              bool skip_again, int *how, uint32_t *id);

/* libunwind only (the fast capture gave up): as rm_unwind_capture. */
unsigned rm_unwind_capture_slow(uintptr_t *pc, unsigned max);

/* The skip range (rm_unwind_set_skip_range), for the fast capture's own
 * reading; relaxed atomics. */
extern _Atomic uintptr_t rm_skip_lo, rm_skip_hi;

#endif
