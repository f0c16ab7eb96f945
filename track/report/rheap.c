/* rheap.c - the report heap (see rheap.h). */
#include "config.h"
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "prim.h"
#include "mem.h"
#include "rheap.h"

/* Reserved address space: 1 GiB, committed page by page on first touch
 * (MAP_NORESERVE).  Past it a request declines (glibc serves it). */
#define RH_RESERVE ((size_t)1 << 30)
/* Committed bytes are counted as tracker scratch in steps of this. */
#define RH_STEP ((size_t)1 << 20)
/* A block's header, the 16 bytes before it: a state word, then the size
 * word glibc's malloc_usable_size reads (usable + 16, "mmapped" bit). */
#define RH_HDR 16
#define RH_IS_MMAPPED 2
#define RH_LIVE UINT64_C(0x52686561704c6976) /* "RheapLiv" */
#define RH_FREE UINT64_C(0x5268656170467265) /* "RheapFre" */

/* The region (see rheap.h for who writes it). */
_Atomic uintptr_t rm_rheap_base;
_Atomic size_t rm_rheap_len;

/* Owned by the thread holding the tracker's report lock: the bump offset
 * and the bytes counted as scratch.  rh_high (the end of the highest block
 * ever made since the region was mapped) is read by frees on any thread. */
static size_t rh_next, rh_counted;
static _Atomic size_t rh_high;
/* Blocks handed out and not freed: any thread may free one. */
static _Atomic size_t rh_live;
static __thread bool rh_active __attribute__((tls_model("initial-exec")));
/* This thread is inside alloc/free/realloc: a signal handler that
 * allocates meanwhile is declined (glibc serves it) and its frees do not
 * move the bump offset. */
static __thread bool rh_busy __attribute__((tls_model("initial-exec")));

static inline uintptr_t base(void)
{
    return atomic_load_explicit(&rm_rheap_base, memory_order_relaxed);
}

static inline _Atomic uint64_t *state_word(const void *p)
{
    return (_Atomic uint64_t *)((uintptr_t)p - RH_HDR);
}

static inline size_t *size_word(const void *p)
{
    return (size_t *)((uintptr_t)p - sizeof(size_t));
}

static inline size_t usable_of(const void *p)
{
    return (*size_word(p) & ~(size_t)7) - RH_HDR;
}

/* The usable size of a block of size bytes (assumes size <= RH_RESERVE). */
static inline size_t usable_for(size_t size)
{
    return size ? (size + 15) & ~(size_t)15 : 16;
}

/* Map the region if it is not (no block of the heap is live then). */
static bool reserve(void)
{
    if (atomic_load_explicit(&rm_rheap_len, memory_order_relaxed))
        return true;
    void *p = ratmem_prim_mmap(NULL, RH_RESERVE, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ratmem_prim_failed(p))
        return false;
    /* Small, short-lived blocks: transparent huge pages would only make
     * each touched byte cost 2 MiB of memory. */
    ratmem_prim_madvise(p, RH_RESERVE, MADV_NOHUGEPAGE);
    rh_next = rh_counted = 0;
    atomic_store_explicit(&rh_high, 0, memory_order_relaxed);
    atomic_store_explicit(&rm_rheap_base, (uintptr_t)p, memory_order_relaxed);
    atomic_store_explicit(&rm_rheap_len, RH_RESERVE, memory_order_release);
    return true;
}

/* p, the newest block, now has usable bytes: the bump offset follows, and
 * the scratch memory it may commit is counted. */
static void set_newest(void *p, size_t usable)
{
    *size_word(p) = (usable + RH_HDR) | RH_IS_MMAPPED;
    size_t end = (uintptr_t)p - base() + usable;
    rh_next = end;
    if (end > atomic_load_explicit(&rh_high, memory_order_relaxed))
        atomic_store_explicit(&rh_high, end, memory_order_relaxed);
    while (rh_counted < end) {
        rm_mem_scratch_add(RH_STEP);
        rh_counted += RH_STEP;
    }
}

void rm_rheap_enter(void)
{
    rh_active = true;
}

bool rm_rheap_active(void)
{
    return rh_active;
}

size_t rm_rheap_live(void)
{
    return atomic_load_explicit(&rh_live, memory_order_relaxed);
}

/* Blocks outlived the report (state kept by glibc, say): walk the blocks,
 * give the pages of dead ones back, and let the next report start right
 * after the last live one, on zeroed memory. */
static void compact(void)
{
    uintptr_t b = base();
    size_t high = atomic_load_explicit(&rh_high, memory_order_relaxed);
    size_t page = ratmem_page_size();
    size_t live_end = 0, dead_from = 0;
    for (size_t off = 0; off + RH_HDR <= high;) {
        uint64_t st = atomic_load_explicit((_Atomic uint64_t *)(b + off), memory_order_relaxed);
        if (st != RH_LIVE && st != RH_FREE) {
            off += 16; /* alignment padding: zero */
            continue;
        }
        const void *p = (const void *)(b + off + RH_HDR);
        size_t end = off + RH_HDR + usable_of(p);
        if (st == RH_LIVE) {
            /* Whole pages between the previous live block and this one. */
            size_t lo = ratmem_page_round(dead_from), hi = off & ~(page - 1);
            if (hi > lo)
                ratmem_prim_madvise((void *)(b + lo), hi - lo, MADV_DONTNEED);
            live_end = dead_from = end;
        }
        off = end;
    }
    /* Above the last live block everything is dead: zero the rest of its
     * page, give the pages above back. */
    size_t lo = ratmem_page_round(live_end);
    if (lo > live_end)
        memset((void *)(b + live_end), 0, (lo < high ? lo : high) - live_end);
    if (high > lo)
        ratmem_prim_madvise((void *)(b + lo), ratmem_page_round(high) - lo, MADV_DONTNEED);
    rh_next = live_end;
    atomic_store_explicit(&rh_high, live_end, memory_order_relaxed);
    size_t keep = (live_end + RH_STEP - 1) & ~(RH_STEP - 1);
    if (rh_counted > keep) {
        rm_mem_scratch_sub(rh_counted - keep);
        rh_counted = keep;
    }
}

void rm_rheap_leave(void)
{
    rh_active = false;
    size_t len = atomic_load_explicit(&rm_rheap_len, memory_order_relaxed);
    if (!len)
        return;
    if (atomic_load_explicit(&rh_live, memory_order_acquire) != 0) {
        compact(); /* blocks outlived the report: the region stays theirs */
        return;
    }
    atomic_store_explicit(&rm_rheap_len, 0, memory_order_release);
    ratmem_prim_munmap((void *)base(), len);
    rm_mem_scratch_sub(rh_counted);
    rh_next = rh_counted = 0;
    atomic_store_explicit(&rh_high, 0, memory_order_relaxed);
}

bool rm_rheap_valid(const void *p)
{
    uintptr_t off = (uintptr_t)p - base();
    return rm_rheap_owns(p) && !(off & 15) && off >= RH_HDR &&
           off < atomic_load_explicit(&rh_high, memory_order_relaxed) &&
           atomic_load_explicit(state_word(p), memory_order_relaxed) == RH_LIVE;
}

size_t rm_rheap_usable(const void *p)
{
    return usable_of(p);
}

void *rm_rheap_alloc(size_t size, size_t align)
{
    if (!rh_active || rh_busy || size > RH_RESERVE)
        return NULL;
    if (align < 16)
        align = 16;
    if ((align & (align - 1)) || align > RH_RESERVE / 4)
        return NULL;
    rh_busy = true;
    void *ret = NULL;
    if (!reserve())
        goto out;
    size_t usable = usable_for(size);
    size_t start = (rh_next + RH_HDR + align - 1) & ~(align - 1);
    if (start + usable > RH_RESERVE)
        goto out;
    char *p = (char *)(base() + start);
    atomic_store_explicit(state_word(p), RH_LIVE, memory_order_relaxed);
    set_newest(p, usable);
    atomic_fetch_add_explicit(&rh_live, 1, memory_order_relaxed);
    ret = p;
out:
    rh_busy = false;
    return ret;
}

bool rm_rheap_free(void *p)
{
    if (!rm_rheap_valid(p))
        return false;
    /* One winner when two frees race on the block. */
    uint64_t want = RH_LIVE;
    if (!atomic_compare_exchange_strong_explicit(state_word(p), &want, RH_FREE,
                                                 memory_order_relaxed, memory_order_relaxed))
        return false;
    /* The newest block's space comes back at once (libdw's temporary
     * buffers), zeroed for its next user: only on the reporting thread,
     * and not in a signal handler interrupting the heap. */
    uintptr_t off = (uintptr_t)p - base();
    if (rh_active && !rh_busy && off + usable_of(p) == rh_next) {
        rh_busy = true;
        memset(p, 0, usable_of(p));
        *size_word(p) = 0;
        atomic_store_explicit(state_word(p), 0, memory_order_relaxed);
        rh_next = off - RH_HDR;
        rh_busy = false;
    }
    atomic_fetch_sub_explicit(&rh_live, 1, memory_order_release);
    return true;
}

void *rm_rheap_realloc(void *p, size_t size)
{
    if (!rh_active || rh_busy || size > RH_RESERVE)
        return NULL;
    size_t old = usable_of(p);
    size_t usable = usable_for(size);
    if (usable <= old)
        return p; /* shrinking keeps the block as it is */
    uintptr_t off = (uintptr_t)p - base();
    if (off + old == rh_next && off + usable <= RH_RESERVE) {
        /* The newest block grows in place (the bytes above are zero). */
        rh_busy = true;
        set_newest(p, usable);
        rh_busy = false;
        return p;
    }
    void *n = rm_rheap_alloc(size, 0);
    if (!n)
        return NULL;
    memcpy(n, p, old);
    rm_rheap_free(p);
    return n;
}
