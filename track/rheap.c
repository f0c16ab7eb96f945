/* rheap.c - the report heap (see rheap.h). */
#include "config.h"
#include <stdatomic.h>
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
#define RH_HDR 16
/* The chunk-header bit glibc's malloc_usable_size reads as "mmapped". */
#define RH_IS_MMAPPED 2

/* The region (see rheap.h for who writes it). */
_Atomic uintptr_t rm_rheap_base;
_Atomic size_t rm_rheap_len;

/* Owned by the thread holding the tracker's report lock: the bump offset,
 * its high-water mark since the last reset, the bytes counted as scratch. */
static size_t rh_next, rh_high, rh_counted;
/* Blocks handed out and not freed: any thread may free one. */
static _Atomic size_t rh_live;
static __thread bool rh_active __attribute__((tls_model("initial-exec")));

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
    atomic_store_explicit(&rm_rheap_base, (uintptr_t)p, memory_order_relaxed);
    atomic_store_explicit(&rm_rheap_len, RH_RESERVE, memory_order_release);
    return true;
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

void rm_rheap_leave(void)
{
    rh_active = false;
    size_t len = atomic_load_explicit(&rm_rheap_len, memory_order_relaxed);
    if (!len || atomic_load_explicit(&rh_live, memory_order_acquire) != 0)
        return; /* blocks outlived the report: the region stays theirs */
    atomic_store_explicit(&rm_rheap_len, 0, memory_order_release);
    ratmem_prim_munmap((void *)atomic_load_explicit(&rm_rheap_base, memory_order_relaxed), len);
    rm_mem_scratch_sub(rh_counted);
    rh_next = rh_high = rh_counted = 0;
}

static inline uintptr_t base(void)
{
    return atomic_load_explicit(&rm_rheap_base, memory_order_relaxed);
}

static inline size_t *size_field(const void *p)
{
    return (size_t *)((uintptr_t)p - sizeof(size_t));
}

size_t rm_rheap_usable(const void *p)
{
    return (*size_field(p) & ~(size_t)7) - RH_HDR;
}

void *rm_rheap_alloc(size_t size, size_t align)
{
    if (!rh_active || !reserve())
        return NULL;
    if (align < 16)
        align = 16;
    if ((align & (align - 1)) || align > RH_RESERVE / 4 || size > RH_RESERVE)
        return NULL;
    size_t usable = size ? (size + 15) & ~(size_t)15 : 16;
    size_t start = (rh_next + RH_HDR + align - 1) & ~(align - 1);
    if (start + usable > RH_RESERVE)
        return NULL;
    char *p = (char *)(base() + start);
    *size_field(p) = (usable + RH_HDR) | RH_IS_MMAPPED;
    rh_next = start + usable;
    if (rh_next > rh_high) {
        rh_high = rh_next;
        while (rh_counted < rh_high) {
            rm_mem_scratch_add(RH_STEP);
            rh_counted += RH_STEP;
        }
    }
    atomic_fetch_add_explicit(&rh_live, 1, memory_order_relaxed);
    return p;
}

void rm_rheap_free(void *p)
{
    /* The newest block's space comes back at once (libdw's temporary
     * buffers); it is zeroed for its next user. */
    if (rh_active && (uintptr_t)p - base() + rm_rheap_usable(p) == rh_next) {
        size_t usable = rm_rheap_usable(p);
        memset(p, 0, usable);
        *size_field(p) = 0;
        rh_next = (uintptr_t)p - base() - RH_HDR;
    }
    atomic_fetch_sub_explicit(&rh_live, 1, memory_order_release);
}

void *rm_rheap_realloc(void *p, size_t size)
{
    if (!rh_active)
        return NULL;
    size_t old = rm_rheap_usable(p);
    size_t usable = size ? (size + 15) & ~(size_t)15 : 16;
    if (usable <= old)
        return p; /* shrinking keeps the block as it is */
    uintptr_t off = (uintptr_t)p - base();
    if (off + old == rh_next && off + usable <= RH_RESERVE) {
        /* The newest block grows in place (fresh bytes are zero). */
        *size_field(p) = (usable + RH_HDR) | RH_IS_MMAPPED;
        rh_next = off + usable;
        if (rh_next > rh_high) {
            rh_high = rh_next;
            while (rh_counted < rh_high) {
                rm_mem_scratch_add(RH_STEP);
                rh_counted += RH_STEP;
            }
        }
        return p;
    }
    void *n = rm_rheap_alloc(size, 0);
    if (!n)
        return NULL;
    memcpy(n, p, old);
    rm_rheap_free(p);
    return n;
}
