/* fastunwind.h - a fast x86-64 stack capture from .eh_frame rules, with
 * per-thread caches of unwind rules and of the previous capture's frames
 * (see fastunwind.c).  libunwind (unwind.c) stays the fallback. */
#ifndef RATMEM_TRACK_FASTUNWIND_H
#define RATMEM_TRACK_FASTUNWIND_H

#include <stdbool.h>
#include <stdint.h>

#define RM_FAST_MAX (256 + 16)   /* frames: stack_depth's limit plus the shim's */

/* Fill pc[0..) with up to max return addresses, innermost first, starting
 * with this function's caller.  Returns the count, or -1 when this capture
 * cannot be done here (no unwind table, a signal frame, an alternate
 * stack, disabled): the caller then uses libunwind. */
int rm_fastunwind_capture(uintptr_t *pc, unsigned max);

/* Where the program entered the shim: the return address into the
 * program, the entry frame's CFA (the caller's stack pointer once that
 * frame returns) and the caller's rbp.  A capture from there does not walk
 * the shim's own frames. */
struct rm_from {
    uintptr_t ra, cfa, bp;
};

/* As rm_fastunwind_capture, but the first frame is from's (NULL: this
 * function's caller).  *unchanged is set when the frames are exactly those
 * this thread's previous capture returned (pc is filled all the same). */
int rm_fastunwind_capture_from(uintptr_t *pc, unsigned max, const struct rm_from *from,
                               bool *unchanged);

/* As rm_fastunwind_capture_from, and when the stack is complete (the walk
 * reached its outermost frame within max), *id is set to its stack id,
 * found through the thread's trace tree (stackdb.h): the frames below the
 * first remembered one that still holds cost one probe each, the rest
 * nothing.  The path leaves out frames in [skip_lo, skip_hi) and is cut
 * to its keep innermost frames.  With *id set, pc may hold nothing; *id
 * 0: as rm_fastunwind_capture_from. */
struct rm_id_want {
    unsigned keep;          /* 0: no id wanted */
    bool reuse;             /* the caller keeps the previous capture's id: when
                             * the frames are the same (*unchanged), pc is not
                             * filled */
    uintptr_t skip_lo, skip_hi;
};
int rm_fastunwind_capture_id(uintptr_t *pc, unsigned max, const struct rm_from *from,
                             const struct rm_id_want *want, bool *unchanged, uint32_t *id);

/* The whole capture from the program's call (from, not NULL): the walk,
 * and the stack id (the trace tree, else the frames interned), at most
 * depth frames, the shim's left out.  *last: this thread's previous id (0:
 * none), returned again when the frames are the same; set to the new id.
 * false: the fast capture cannot be done here (use libunwind). */
bool rm_fastunwind_stack(const struct rm_from *from, unsigned depth, uint32_t *last,
                         uint32_t *id);

/* Loaded objects changed (dlclose): forget every thread's rules. */
void rm_fastunwind_flush(void);
/* On by default; off = always libunwind. */
void rm_fastunwind_set_enabled(bool on);
/* The calling thread ends: its caches go (later captures of this thread,
 * from other destructors, use libunwind). */
void rm_fastunwind_thread_exit(void);

#endif
