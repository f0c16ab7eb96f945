/* mem.c - mmap-backed, counted tracker memory (see mem.h). */
#include "config.h"
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include "prim.h"
#include "mem.h"

/* Byte counters: updated by every thread that maps or unmaps tracker
 * memory; atomics, so no lock. */
static _Atomic size_t rm_mem_persistent;
static _Atomic size_t rm_mem_scratch;
static _Atomic size_t rm_mem_peak_bytes;

static void note_peak(void)
{
    size_t now = atomic_load_explicit(&rm_mem_persistent, memory_order_relaxed) +
                 atomic_load_explicit(&rm_mem_scratch, memory_order_relaxed);
    size_t old = atomic_load_explicit(&rm_mem_peak_bytes, memory_order_relaxed);
    while (now > old &&
           !atomic_compare_exchange_weak_explicit(&rm_mem_peak_bytes, &old, now,
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

static void *map_raw(size_t len)
{
    void *p = ratmem_prim_mmap(NULL, len, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return ratmem_prim_failed(p) ? NULL : p;
}

void *rm_mem_map(size_t len)
{
    len = ratmem_page_round(len);
    if (!len)
        return NULL;
    size_t before = atomic_fetch_add_explicit(&rm_mem_persistent, len, memory_order_relaxed);
    if (before + len > RM_MEM_LIMIT || before + len < before) {
        atomic_fetch_sub_explicit(&rm_mem_persistent, len, memory_order_relaxed);
        return NULL;
    }
    void *p = map_raw(len);
    if (!p) {
        atomic_fetch_sub_explicit(&rm_mem_persistent, len, memory_order_relaxed);
        return NULL;
    }
    note_peak();
    return p;
}

void *rm_mem_map_scratch(size_t len)
{
    len = ratmem_page_round(len);
    if (!len)
        return NULL;
    void *p = map_raw(len);
    if (p) {
        atomic_fetch_add_explicit(&rm_mem_scratch, len, memory_order_relaxed);
        note_peak();
    }
    return p;
}

void rm_mem_unmap(void *p, size_t len)
{
    if (!p)
        return;
    len = ratmem_page_round(len);
    ratmem_prim_munmap(p, len);
    atomic_fetch_sub_explicit(&rm_mem_persistent, len, memory_order_relaxed);
}

void rm_mem_unmap_scratch(void *p, size_t len)
{
    if (!p)
        return;
    len = ratmem_page_round(len);
    ratmem_prim_munmap(p, len);
    atomic_fetch_sub_explicit(&rm_mem_scratch, len, memory_order_relaxed);
}

void rm_mem_scratch_add(size_t len)
{
    atomic_fetch_add_explicit(&rm_mem_scratch, len, memory_order_relaxed);
    note_peak();
}

void rm_mem_scratch_sub(size_t len)
{
    atomic_fetch_sub_explicit(&rm_mem_scratch, len, memory_order_relaxed);
}

size_t rm_mem_bytes(void)
{
    return atomic_load_explicit(&rm_mem_persistent, memory_order_relaxed);
}

size_t rm_mem_peak(void)
{
    return atomic_load_explicit(&rm_mem_peak_bytes, memory_order_relaxed);
}

#define RM_ARENA_CHUNK ((size_t)64 << 10)

void *rm_arena_alloc(struct rm_arena *a, size_t len)
{
    len = (len + 15) & ~(size_t)15;
    if (!len)
        return NULL;
    if (!a->cur || (size_t)(a->end - a->cur) < len) {
        size_t chunk = len > RM_ARENA_CHUNK ? len : RM_ARENA_CHUNK;
        char *c = rm_mem_map(chunk);
        if (!c)
            return NULL;
        /* The tail of the old chunk is abandoned (bounded waste). */
        a->cur = c;
        a->end = c + ratmem_page_round(chunk);
    }
    void *p = a->cur;
    a->cur += len;
    return p;
}
