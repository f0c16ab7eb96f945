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

/* Loaded objects changed (dlclose): forget every thread's rules. */
void rm_fastunwind_flush(void);
/* On by default; off = always libunwind. */
void rm_fastunwind_set_enabled(bool on);
/* The calling thread ends: its caches go (later captures of this thread,
 * from other destructors, use libunwind). */
void rm_fastunwind_thread_exit(void);

#endif
