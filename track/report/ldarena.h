/* ldarena.h - the loader arena: a small permanent region for the memory
 * the dynamic linker allocates on the tracker's behalf, so that the
 * libraries a report needs (libdw, zlib, libprotobuf-c: lazylib.h) can be
 * loaded inside a report without touching the program's heap and without
 * leaving blocks in the report heap (rheap.h), which is unmapped when the
 * report ends.
 *
 * libunwind, loaded by the tracker's start-up, comes here the same way.
 *
 * What comes here (ratmem_track_private_alloc decides, guard held):
 *  - every allocation of a thread inside the tracker's own dlopen/dlsym
 *    (rm_ldarena_loading): link maps, scope lists, the libraries'
 *    constructors, dlerror's buffer;
 *  - during a report, allocations whose caller is the dynamic linker's
 *    code: the dynamic TLS blocks of libdw and libelf (glibc allocates a
 *    thread's block with malloc on its first access, possibly in a later
 *    report on another thread) and DTV resizes.  They live until their
 *    thread ends, when glibc frees them.
 * Nothing else: libdw's working memory still goes to the report heap.
 *
 * Blocks have the report heap's layout: 16-byte aligned, zeroed, preceded
 * by a state word and a glibc-style size word marked "mmapped", so
 * glibc's malloc_usable_size answers for them.  Any thread may free a
 * block (a thread's exit frees its TLS blocks): it is marked free; the
 * newest block's space comes back when freed by the allocating context.
 * A realloc outside the allocating context is declined (the preload then
 * moves the block to glibc, as for report-heap blocks).  Allocations
 * happen only under the tracker's report lock (loads and reports are
 * serialised by it), so the bump offset needs no lock.
 *
 * The region (2 MiB of address space, MAP_NORESERVE, committed as
 * touched) is mapped on the first allocation, i.e. when the tracker's
 * start-up loads libunwind (leaks=1 only) or a report first loads a
 * library, and never unmapped.  When it is
 * full or cannot be mapped, calls decline and the report heap serves
 * (which then keeps its region while those blocks live). */
#ifndef RATMEM_TRACK_LDARENA_H
#define RATMEM_TRACK_LDARENA_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern _Atomic uintptr_t rm_ldarena_base;
extern _Atomic size_t rm_ldarena_len;   /* 0 until mapped; then constant */

static inline bool rm_ldarena_owns(const void *p)
{
    size_t len = atomic_load_explicit(&rm_ldarena_len, memory_order_acquire);
    return len &&
           (uintptr_t)p - atomic_load_explicit(&rm_ldarena_base, memory_order_relaxed) < len;
}

/* This thread enters (on) or leaves (off) the tracker's own loader calls. */
void rm_ldarena_loading(bool on);
/* Whether an allocation by caller (a return address) on this thread
 * belongs here: inside the tracker's loader calls, or while this thread
 * writes a report and caller is the dynamic linker. */
bool rm_ldarena_wants(uintptr_t caller);
/* Whether this thread may allocate and resize here now (the two cases
 * above, whatever the caller). */
bool rm_ldarena_context(void);

/* size bytes aligned to align (0: 16), zeroed; NULL when full or the
 * region cannot be mapped. */
void *rm_ldarena_alloc(size_t size, size_t align);
/* p resized (in the allocating context only; NULL otherwise or when
 * full: p is then untouched). */
void *rm_ldarena_realloc(void *p, size_t size);
bool rm_ldarena_valid(const void *p);
/* false when p is not a live block (nothing changed). */
bool rm_ldarena_free(void *p);
size_t rm_ldarena_usable(const void *p);
/* Live blocks (for tests). */
size_t rm_ldarena_live(void);

#endif
