/* unwind.c - stack capture (see unwind.h). */
#include "config.h"
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <sys/auxv.h>
#include "stackdb.h"
#include "unwind.h"

/* The skip range: written once by rm_unwind_init (or by a test before any
 * capture), read by every capturing thread; relaxed atomics. */
static _Atomic uintptr_t rm_skip_lo, rm_skip_hi;
/* The dynamic linker's range: written once by rm_unwind_init; relaxed. */
static _Atomic uintptr_t rm_ld_lo, rm_ld_hi;

struct range_find {
    uintptr_t addr;
    uintptr_t lo, hi;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct range_find *rf = arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (s < lo)
            lo = s;
        if (s + ph->p_memsz > hi)
            hi = s + ph->p_memsz;
    }
    if (rf->addr >= lo && rf->addr < hi) {
        rf->lo = lo;
        rf->hi = hi;
        return 1;
    }
    return 0;
}

void rm_unwind_init(void)
{
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    struct range_find rf = { .addr = (uintptr_t)&rm_unwind_capture };
    if (dl_iterate_phdr(find_object, &rf)) {
        atomic_store_explicit(&rm_skip_lo, rf.lo, memory_order_relaxed);
        atomic_store_explicit(&rm_skip_hi, rf.hi, memory_order_relaxed);
    }
    /* The interpreter: its ELF header is at AT_BASE, inside its first
     * PT_LOAD. */
    struct range_find ld = { .addr = (uintptr_t)getauxval(AT_BASE) };
    if (ld.addr && dl_iterate_phdr(find_object, &ld)) {
        atomic_store_explicit(&rm_ld_lo, ld.lo, memory_order_relaxed);
        atomic_store_explicit(&rm_ld_hi, ld.hi, memory_order_relaxed);
    }
}

void rm_unwind_linker_range(uintptr_t *lo, uintptr_t *hi)
{
    *lo = atomic_load_explicit(&rm_ld_lo, memory_order_relaxed);
    *hi = atomic_load_explicit(&rm_ld_hi, memory_order_relaxed);
}

void rm_unwind_set_skip_range(uintptr_t lo, uintptr_t hi)
{
    atomic_store_explicit(&rm_skip_lo, lo, memory_order_relaxed);
    atomic_store_explicit(&rm_skip_hi, hi, memory_order_relaxed);
}

void rm_unwind_get_skip_range(uintptr_t *lo, uintptr_t *hi)
{
    *lo = atomic_load_explicit(&rm_skip_lo, memory_order_relaxed);
    *hi = atomic_load_explicit(&rm_skip_hi, memory_order_relaxed);
}

#define RM_SHIM_FRAMES 16   /* room for the shim's own frames on top */

unsigned rm_unwind_capture(uintptr_t *pc, unsigned max)
{
    void *buf[RM_STACK_MAX_DEPTH + RM_SHIM_FRAMES];
    if (max > RM_STACK_MAX_DEPTH)
        max = RM_STACK_MAX_DEPTH;
    int n = unw_backtrace(buf, (int)max + RM_SHIM_FRAMES);
    uintptr_t lo = atomic_load_explicit(&rm_skip_lo, memory_order_relaxed);
    uintptr_t hi = atomic_load_explicit(&rm_skip_hi, memory_order_relaxed);
    unsigned k = 0;
    for (int i = 0; i < n && k < max; i++) {
        uintptr_t p = (uintptr_t)buf[i];
        if (p >= lo && p < hi)
            continue;
        pc[k++] = p;
    }
    return k;
}
