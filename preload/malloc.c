/* malloc.c - the interposed malloc family.  Each entry point calls glibc's
 * allocator (its __libc_* entry points, so no dlsym bootstrap), zeroes the
 * block when zero=1, and hands the event to the tracker.  Nothing else. */
#include "config.h"
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>
#include "prim.h"
#include "shim.h"
#include "track.h"

/* Blocks at least this large come from __libc_calloc, which skips clearing
 * memory known to be zero (fresh mmap chunks, fresh top of the heap). */
#define CALLOC_THRESHOLD (64 * 1024)

/* The usable size of a block glibc just handed out, read from its chunk
 * header as glibc's malloc_usable_size does (the size word before the
 * block: chunk size less the header, 16 bytes for an mmapped chunk, else
 * 8, the next chunk's prev_size field being ours while in use), without
 * the call or its in-use check of the next chunk.  The shim keeps glibc's
 * chunk layout, so glibc's own malloc_usable_size is exact and is not
 * interposed. */
static inline size_t fresh_usable(const void *p)
{
    size_t h = ((const size_t *)p)[-1];
    return (h & ~(size_t)7) - ((h & 2) ? 16 : 8);
}

/* Zero the whole usable size: a program may use all malloc_usable_size(p)
 * bytes.  Most blocks are small (glibc's usable sizes are 24, 40, 56...):
 * up to 128 bytes, overlapping 16-byte stores inline instead of a call. */
static inline void zero_block(void *p)
{
    if (!p)
        return;
    size_t n = fresh_usable(p);
    char *c = p;
    if (n <= 32) {          /* n >= 24: the smallest chunk */
        memset(c, 0, 16);
        memset(c + n - 16, 0, 16);
    } else if (n <= 64) {
        memset(c, 0, 32);
        memset(c + n - 32, 0, 32);
    } else if (n <= 128) {
        memset(c, 0, 64);
        memset(c + n - 64, 0, 64);
    } else {
        memset(c, 0, n);
    }
}

/* Charge a new block to the quota; past it the block goes back and the
 * call fails with ENOMEM. */
static inline void *charge(void *p)
{
    if (p && shim_quota_on() && !ratmem_quota_charge(&ratmem_shim_quota, malloc_usable_size(p))) {
        __libc_free(p);
        errno = ENOMEM;
        return NULL;
    }
    return p;
}

/* The shim's own blocks (guard held) and those made before start-up carry
 * no table record; the tracker keeps them apart as valid, so that freeing
 * them is not taken for an invalid free.  Before start-up the options are
 * unknown: they are kept in any case. */
static inline bool shim_exempt(void)
{
    return !ratmem_shim_ready || (ratmem_shim_opts.leaks && ratmem_shim_guard);
}

/* While this thread writes a leak report or heap dump (guard held), the
 * allocations of libdw and glibc under it come from the tracker's report
 * heap (track/report/rheap.h), not the program's: NULL when it does not serve
 * this one. */
static inline void *private_alloc(size_t size, size_t align, void *caller)
{
    if (__builtin_expect(ratmem_shim_guard == 0, 1))
        return NULL;
    return ratmem_track_private_alloc(size, align, caller);
}

/* Record a new block.  from: where the program called in, as the entry
 * point's own frame holds it (TRACK_ALLOC computes it in the entry point
 * itself). */
static inline __attribute__((always_inline)) void track_alloc_from(void *p, size_t size,
                                                                   const struct ratmem_track_from *from)
{
    if (!p)
        return;
    if (shim_tracking()) {
        /* Sampled mode: most blocks cost a thread-local count, no more. */
        if (ratmem_shim_opts.sample && ratmem_track_sample_skip(size))
            return;
        ratmem_shim_guard++;
        ratmem_track_alloc(p, size, from);
        ratmem_shim_guard--;
    } else if (shim_exempt()) {
        ratmem_shim_guard++;
        ratmem_track_exempt_alloc(p);
        ratmem_shim_guard--;
    }
}

/* In the entry point the program called, whose frame tells the tracker
 * where the program called in (RATMEM_TRACK_FROM). */
#define track_alloc(p, size)                                            \
    do {                                                                \
        struct ratmem_track_from from_;                                 \
        RATMEM_TRACK_FROM(from_);                                       \
        track_alloc_from((p), (size), &from_);                          \
    } while (0)

/* A block of size bytes from glibc, zeroed when zero=1. */
static inline __attribute__((always_inline)) void *fresh_block(size_t size)
{
    if (!ratmem_shim_opts.zero)
        return __libc_malloc(size);
    if (size >= CALLOC_THRESHOLD)
        return __libc_calloc(1, size);
    void *p = __libc_malloc(size);
    zero_block(p);
    return p;
}

/* Light path, sampled mode: a block that reached its thread's countdown
 * (or a thread's first block, which draws the countdown) goes to the
 * tracker, which decides and records.  Out of line, so that the entry
 * points' light path needs few registers. */
static __attribute__((noinline)) void *record_sampled(void *p, size_t size,
                                                      const struct ratmem_track_from *from)
{
    ratmem_shim_guard++;
    ratmem_track_alloc(p, size, from);
    ratmem_shim_guard--;
    return p;
}

/* Drop p's record before the block goes back.  false when p is not a live
 * block (reported by the tracker): the caller must not pass it to glibc. */
static inline bool track_free(void *p, const char *what, void *caller)
{
    bool ok = true;
    if (shim_tracking()) {
        if (ratmem_shim_opts.sample) {
            /* Sampled mode: most blocks were not sampled, and the counting
             * filter says so inline.  A block the table does not hold was
             * not sampled either (no invalid-free check; glibc's own
             * checks remain). */
            if (ratmem_track_sample_unrecorded(p))
                return true;
            ratmem_shim_guard++;
            ratmem_track_free(p);
            ratmem_shim_guard--;
            return true;
        }
        ratmem_shim_guard++;
        if (!ratmem_track_free(p))
            ok = ratmem_track_bad_free(p, what, caller);
        ratmem_shim_guard--;
    } else if (shim_exempt()) {
        ratmem_shim_guard++;
        ratmem_track_exempt_free(p);
        ratmem_shim_guard--;
    }
    return ok;
}

/* malloc beyond the light path (shim.h): start-up, exact tracking, a
 * quota, the shim's own allocations (report heap). */
static __attribute__((noinline)) void *malloc_full(size_t size, const struct ratmem_track_from *from)
{
    shim_ensure_init();
    void *p = private_alloc(size, 0, (void *)from->ra);   /* malloc's caller */
    if (p)
        return p;
    p = charge(fresh_block(size));
    track_alloc_from(p, size, from);
    return p;
}

SHIM_EXPORT void *malloc(size_t size)
{
    struct ratmem_track_from from;
    if (shim_light()) {
        void *p = fresh_block(size);
        if (!ratmem_shim_opts.sample || !p || ratmem_track_sample_skip(size))
            return p;
        RATMEM_TRACK_FROM(from);
        return record_sampled(p, size, &from);
    }
    RATMEM_TRACK_FROM(from);
    return malloc_full(size, &from);
}

static __attribute__((noinline)) void *calloc_full(size_t n, size_t size,
                                                   const struct ratmem_track_from *from)
{
    shim_ensure_init();
    size_t total;
    void *p;
    if (!__builtin_mul_overflow(n, size, &total) && (p = private_alloc(total, 0, (void *)from->ra)))
        return p; /* always zeroed */
    p = charge(__libc_calloc(n, size)); /* zeroes, checks n*size overflow */
    track_alloc_from(p, n * size, from);
    return p;
}

SHIM_EXPORT void *calloc(size_t n, size_t size)
{
    struct ratmem_track_from from;
    if (shim_light()) {
        void *p = __libc_calloc(n, size); /* zeroes, checks n*size overflow */
        if (!ratmem_shim_opts.sample || !p || ratmem_track_sample_skip(n * size))
            return p;
        RATMEM_TRACK_FROM(from);
        return record_sampled(p, n * size, &from);
    }
    RATMEM_TRACK_FROM(from);
    return calloc_full(n, size, &from);
}

/* Give an untracked block back to glibc. */
static inline void release(void *p)
{
    if (shim_quota_on())
        ratmem_quota_release(&ratmem_shim_quota, malloc_usable_size(p));
    __libc_free(p);
}

static __attribute__((noinline)) void free_full(void *p, void *caller)
{
    if (__builtin_expect(ratmem_track_private_owns(p), 0)) {
        ratmem_shim_guard++;
        ratmem_track_private_free(p, "free", caller);
        ratmem_shim_guard--;
        return;
    }
    /* Drop the record before the block goes back: once freed, another
     * thread may get the same address and record it anew.  A pointer that
     * is not a live block stops here (see libratmem-preload(7)). */
    if (!track_free(p, "free", caller))
        return;
    release(p);
}

SHIM_EXPORT void free(void *p)
{
    if (!p)
        return;
    if (shim_light() && !ratmem_track_private_owns(p)) {
        /* Sampled mode: the counting filter clears most blocks inline. */
        if (ratmem_shim_opts.sample && !ratmem_track_sample_unrecorded(p)) {
            ratmem_shim_guard++;
            ratmem_track_free(p);
            ratmem_shim_guard--;
        }
        __libc_free(p);
        return;
    }
    free_full(p, __builtin_return_address(0));
}

SHIM_EXPORT void *realloc(void *old, size_t size)
{
    shim_ensure_init();
    if (!old)
        return malloc(size);
    if (__builtin_expect(ratmem_track_private_owns(old), 0)) {
        /* A report-heap block: resized there while reporting, else (it
         * outlived its report) moved to the heap. */
        ratmem_shim_guard++;
        bool ok = ratmem_track_private_check(old, "realloc", __builtin_return_address(0));
        void *n = ok ? ratmem_track_private_realloc(old, size) : NULL;
        ratmem_shim_guard--;
        if (!ok) {
            errno = EINVAL;
            return NULL;
        }
        if (n)
            return n;
        size_t keep = ratmem_track_private_usable(old);
        n = malloc(size);
        if (!n)
            return NULL;
        memcpy(n, old, keep < size ? keep : size);
        ratmem_shim_guard++;
        ratmem_track_private_free(old, "realloc", __builtin_return_address(0));
        ratmem_shim_guard--;
        return n;
    }
    /* The record goes first: once glibc frees a moved block, another thread
     * may get its address and record it anew.  The block is recorded again
     * with this call's stack, as valgrind does for realloc.  A pointer that
     * is not a live block is refused before glibc reads its header. */
    if (!track_free(old, "realloc", __builtin_return_address(0))) {
        errno = EINVAL;
        return NULL;
    }
    if (size == 0) {
        /* glibc frees and returns NULL. */
        release(old);
        return NULL;
    }
    size_t old_usable = malloc_usable_size(old);
    if (shim_quota_on() && size > old_usable) {
        /* Growing under a quota: a new block is charged before the old one
         * goes, so a refusal leaves the old block as it was. */
        void *n = malloc(size);
        if (!n) {
            track_alloc(old, old_usable); /* old stays valid: tracked again */
            return NULL;
        }
        memcpy(n, old, old_usable);
        release(old);
        return n;
    }
    void *p = __libc_realloc(old, size);
    if (!p) {
        track_alloc(old, old_usable); /* old stays valid: tracked again */
        return NULL;
    }
    size_t usable = malloc_usable_size(p);
    if (ratmem_shim_opts.zero && usable > old_usable)
        memset((char *)p + old_usable, 0, usable - old_usable);
    if (shim_quota_on()) {
        if (usable < old_usable)
            ratmem_quota_release(&ratmem_shim_quota, old_usable - usable);
        else if (usable > old_usable)
            ratmem_quota_charge(&ratmem_shim_quota, usable - old_usable); /* rounding only */
    }
    track_alloc(p, size);
    return p;
}

SHIM_EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(old, total);
}

/* caller: the entry point's return address (the loader's dynamic TLS
 * blocks come through memalign). */
static void *aligned(size_t align, size_t size, void *caller)
{
    shim_ensure_init();
    void *p = private_alloc(size, align, caller);
    if (p)
        return p;
    p = charge(__libc_memalign(align, size));
    if (ratmem_shim_opts.zero)
        zero_block(p);
    track_alloc(p, size);
    return p;
}

SHIM_EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0 || align == 0)
        return EINVAL;
    int saved = errno;
    void *p = aligned(align, size, __builtin_return_address(0));
    errno = saved;
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

SHIM_EXPORT void *aligned_alloc(size_t align, size_t size)
{
    if (align == 0 || (align & (align - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    return aligned(align, size, __builtin_return_address(0));
}

SHIM_EXPORT void *memalign(size_t align, size_t size)
{
    return aligned(align, size, __builtin_return_address(0)); /* glibc rounds a bad alignment up */
}

SHIM_EXPORT void *valloc(size_t size)
{
    shim_ensure_init();
    void *p = private_alloc(size, ratmem_page_size(), __builtin_return_address(0));
    if (p)
        return p;
    p = charge(__libc_valloc(size));
    if (ratmem_shim_opts.zero)
        zero_block(p);
    track_alloc(p, size);
    return p;
}

SHIM_EXPORT void *pvalloc(size_t size)
{
    shim_ensure_init();
    void *p = charge(__libc_pvalloc(size));
    if (ratmem_shim_opts.zero)
        zero_block(p);
    track_alloc(p, size);
    return p;
}
