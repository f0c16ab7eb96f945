/* sample.h - sampled tracking (sample=SIZE): which allocations get a
 * record, and the per-stack totals of what was allocated (see sample.c).
 *
 * The decision is tcmalloc's: each thread counts down the bytes it
 * allocates from an exponentially distributed start (mean SIZE); the
 * allocation that takes the count to zero or below is sampled and a new
 * count is drawn.  The allocation points form a Poisson process over the
 * bytes allocated, so every byte has the same chance and a block of s
 * bytes is sampled with probability 1 - exp(-s/SIZE). */
#ifndef RATMEM_TRACK_SAMPLE_H
#define RATMEM_TRACK_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes this thread may still allocate before the next sample; 0 = not
 * drawn yet (a new thread).  Initial-exec: no allocation on first use. */
extern __thread uint64_t rm_sample_left __attribute__((tls_model("initial-exec")));

/* The fast path, inline in the shim: true when an allocation of size
 * bytes is certainly not sampled (the count is only lowered).  false:
 * call rm_sample_decide, which has the final word. */
static inline bool rm_sample_skip(size_t size)
{
    uint64_t left = rm_sample_left;
    if (__builtin_expect((uint64_t)size < left, 1)) {
        rm_sample_left = left - size;
        return true;
    }
    return false;
}

/* Set the mean (bytes; 0 = exact tracking, every block) and whether the
 * per-stack allocation totals are kept (for profiles).  Once, at init. */
void rm_sample_setup(uint64_t mean, bool totals);
/* Set once by rm_sample_setup; inline for the exact mode's every call. */
extern uint64_t rm_sample_mean_bytes;
extern bool rm_sample_totals_on;
static inline uint64_t rm_sample_mean(void)
{
    return rm_sample_mean_bytes;
}

/* The slow path: a new thread's first allocation (draws its count) or one
 * that reached the count.  true when the allocation is sampled (always in
 * exact mode). */
bool rm_sample_decide_slow(size_t size);
static inline bool rm_sample_decide(size_t size)
{
    return !rm_sample_mean_bytes || rm_sample_decide_slow(size);
}

/* The inverse of the probability that a block of size bytes is sampled,
 * 1 / (1 - exp(-size/mean)) (1 in exact mode): one sampled block stands
 * for this many blocks of its size.  The estimator of Go's and
 * tcmalloc's heap profiles, applied to each block. */
double rm_sample_scale(uint64_t size);

/* A recorded allocation of size bytes at stack id: the stack's totals grow
 * by its estimate (scale objects, scale * size bytes).  No-op without
 * totals. */
void rm_sample_count_slow(uint32_t stack, uint64_t size);
static inline void rm_sample_count(uint32_t stack, uint64_t size)
{
    if (rm_sample_totals_on)
        rm_sample_count_slow(stack, size);
}

/* The totals of stack id: estimated objects and bytes allocated since
 * start-up (a fork child starts from its parent's).  false when the
 * stack never had a recorded allocation. */
bool rm_sample_totals(uint32_t stack, double *objects, double *bytes);

/* The fast negative of free in sampled mode: a counting filter (65536
 * saturating 8-bit counters, 64 KiB, hashed by address) of the recorded
 * blocks.  note after recording a block, forget after its record was
 * removed; maybe is false only when no recorded block has address a, so
 * that a free of an unsampled block usually costs one load of a small,
 * cache-resident table instead of the live table's leaf (a cache miss in
 * a large heap).  A counter never undercounts: a saturated one stays. */
extern _Atomic uint8_t rm_sample_cf[1 << 16];
static inline size_t rm_sample_cf_slot(uintptr_t a)
{
    return (size_t)(((uint64_t)(a >> 4) * UINT64_C(0x9E3779B97F4A7C15)) >> 48);
}
static inline bool rm_sample_maybe(uintptr_t a)
{
    return __atomic_load_n((const uint8_t *)&rm_sample_cf[rm_sample_cf_slot(a)],
                           __ATOMIC_RELAXED) != 0;
}
void rm_sample_note(uintptr_t a);
void rm_sample_forget(uintptr_t a);

/* Fork child: the calling thread draws afresh (the child would otherwise
 * repeat the parent's choices). */
void rm_sample_reset_child(void);

#endif
