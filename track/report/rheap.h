/* rheap.h - the report heap: where the allocations of the report's own
 * helpers (libdw, libelf, and glibc under them) go while a leak report or
 * heap dump is written, instead of the program's glibc heap.
 *
 * Why: at exit a program's heap may hold a million freed chunks in glibc's
 * fast bins; the first larger malloc from libdw then makes glibc
 * consolidate them all (perl: 0.17 s, more than the rest of the report).
 * LSan and valgrind keep their symbolizers off the program's heap for the
 * same reason.  The report also no longer depends on the state of the heap
 * it reports on.
 *
 * A bump allocator over one reserved, lazily committed region: blocks are
 * 16-byte aligned and always zeroed (memory above the bump offset is kept
 * zero).  Each block is preceded by a 16-byte header: a state word (live
 * or freed: double frees and pointers into a block's middle are refused)
 * and a glibc-style size word marked "mmapped", so that glibc's own
 * malloc_usable_size answers for it.  Freeing the newest block gives its
 * space back; other frees only mark it.  When a report ends with no block
 * of the heap live, the region is unmapped (no lasting address-space cost:
 * a program under RLIMIT_AS keeps its budget) and the next report maps one
 * afresh.  Blocks that outlive a report (glibc's time-zone state, made on
 * the first dump, is one) keep the region and stay valid; the pages of the
 * dead blocks are given back and the next report starts right after the
 * last live block, so repeated dumps do not make the heap grow.
 *
 * Threads: only the thread writing a report allocates (it holds the
 * tracker's report lock, which fork also takes); any thread may free a
 * block that outlived its report.  A signal handler that interrupts the
 * heap on the reporting thread is served by glibc.  Where the region
 * cannot be reserved (an address-space limit), every call declines and
 * the caller uses glibc as before. */
#ifndef RATMEM_TRACK_RHEAP_H
#define RATMEM_TRACK_RHEAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The region, [rm_rheap_base, rm_rheap_base + rm_rheap_len), or none
 * when rm_rheap_len is 0.  Written by the reporting thread only while no
 * block of the heap is live (base first, then len with release order; on
 * unmapping len alone goes to 0), read by any free. */
extern _Atomic uintptr_t rm_rheap_base;
extern _Atomic size_t rm_rheap_len;

/* Report lock held: this thread's allocations (through the interposed
 * malloc family, guard held) go to the report heap until leave. */
void rm_rheap_enter(void);
void rm_rheap_leave(void);
/* Whether this thread is between enter and leave. */
bool rm_rheap_active(void);

/* size bytes aligned to align (0: 16; else a power of two), zeroed; NULL
 * when this thread is not active or the heap cannot serve it. */
void *rm_rheap_alloc(size_t size, size_t align);
/* p, a live block (rm_rheap_valid), resized (contents kept, new bytes zero); NULL
 * when not active or no room (p is then untouched). */
void *rm_rheap_realloc(void *p, size_t size);
/* Whether p is a live block of the heap (header intact, not freed). */
bool rm_rheap_valid(const void *p);
/* false when p is not a live block (a double free, a pointer into a
 * block's middle): nothing is changed. */
bool rm_rheap_free(void *p);
size_t rm_rheap_usable(const void *p);

static inline bool rm_rheap_owns(const void *p)
{
    size_t len = atomic_load_explicit(&rm_rheap_len, memory_order_acquire);
    return len && (uintptr_t)p - atomic_load_explicit(&rm_rheap_base, memory_order_relaxed) < len;
}

/* Live blocks and bytes handed out since the last reset (for tests). */
size_t rm_rheap_live(void);

#endif
