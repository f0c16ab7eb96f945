/* unwind.c - stack capture (see unwind.h). */
#include "config.h"
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/auxv.h>
#include "fastunwind.h"
#include "gate.h"
#include "stackdb.h"
#include "stats.h"
#include "unwind.h"
#include "unwmem.h"

/* The skip range: written once by rm_unwind_init (or by a test before any
 * capture), read by every capturing thread; relaxed atomics. */
_Atomic uintptr_t rm_skip_lo, rm_skip_hi;
/* The dynamic linker's range: written once by rm_unwind_init; relaxed. */
static _Atomic uintptr_t rm_ld_lo, rm_ld_hi;

struct range_find {
    uintptr_t addr;
    uintptr_t lo, hi;
};

void rm_object_load_range(const struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi)
{
    *lo = UINTPTR_MAX;
    *hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (s < *lo)
            *lo = s;
        if (s + ph->p_memsz > *hi)
            *hi = s + ph->p_memsz;
    }
}

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct range_find *rf = arg;
    uintptr_t lo, hi;
    rm_object_load_range(info, &lo, &hi);
    if (rf->addr >= lo && rf->addr < hi) {
        rf->lo = lo;
        rf->hi = hi;
        return 1;
    }
    return 0;
}

void rm_unwind_init(void)
{
    rm_unwmem_init();   /* libunwind, per-thread caching, without its pipe */
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

/* The shim's own frames on top of every capture (malloc, the seam, this
 * file, libunwind's entry): learnt from the captures themselves, so that
 * unw_backtrace walks only a couple of frames more than are kept.  Starts
 * generous; raised (never lowered) whenever a capture sees more. */
#define RM_SHIM_FRAMES_MAX 16
#define RM_SHIM_LATER 4
static _Atomic unsigned rm_shim_frames = RM_SHIM_FRAMES_MAX;
static _Atomic int rm_shim_frames_learnt;

static unsigned filter(uintptr_t *pc, unsigned max, const uintptr_t *buf, int n,
                       const struct rm_from *from, unsigned extra);

unsigned rm_unwind_capture_from(uintptr_t *pc, unsigned max, const struct rm_from *from,
                                bool skip_again, int *how)
{
    return rm_unwind_capture_id(pc, max, from, skip_again, how, NULL);
}

unsigned rm_unwind_capture_id(uintptr_t *pc, unsigned max, const struct rm_from *from,
                              bool skip_again, int *how, uint32_t *id)
{
    uintptr_t buf[RM_STACK_MAX_DEPTH + RM_SHIM_FRAMES_MAX];
    if (max > RM_STACK_MAX_DEPTH)
        max = RM_STACK_MAX_DEPTH;
    unsigned extra = atomic_load_explicit(&rm_shim_frames, memory_order_relaxed);
    bool unchanged = false;
    uint32_t got = 0;
    int n;
    /* From the program's call no shim frame leads: room for a few later
     * ones (a shim wrapper such as dlclose's deeper in the stack). */
    struct rm_id_want w = {
        .keep = id ? max : 0,
        .reuse = skip_again,
        .skip_lo = atomic_load_explicit(&rm_skip_lo, memory_order_relaxed),
        .skip_hi = atomic_load_explicit(&rm_skip_hi, memory_order_relaxed),
    };
    if (w.skip_hi < w.skip_lo)
        w.skip_hi = w.skip_lo;
    n = rm_fastunwind_capture_id(buf, max + (from ? RM_SHIM_LATER : extra), from, &w,
                                 &unchanged, &got);
    if (id)
        *id = got;
    *how = n < 0 ? RM_CAPTURE_SLOW : unchanged ? RM_CAPTURE_AGAIN : RM_CAPTURE_FAST;
    RM_STAT(captures, 1);
    RM_STAT(again, unchanged);
    RM_STAT(slow, n < 0);
    if (*how == RM_CAPTURE_AGAIN && skip_again)
        return 0;   /* the caller has the previous capture's result */
    if (got)
        return 0;   /* the trace tree named the stack */
    if (n < 0) {
        /* libunwind takes locks of its own: keep fork() out (gate.h).
         * The fast capture takes none.  It starts in this function: the
         * shim's frames above from are walked and left out. */
        from = NULL;
        rm_gate_enter();
        n = unw_backtrace((void **)buf, (int)(max + extra));
        rm_gate_leave();
    }
    return filter(pc, max, buf, n, from, extra);
}

/* The frames buf[0..n) for the caller: the shim's leading frames and any
 * later one left out, at most max kept; learns the shim's frame count
 * from a capture that walked them (from == NULL). */
static unsigned filter(uintptr_t *pc, unsigned max, const uintptr_t *buf, int n,
                       const struct rm_from *from, unsigned extra)
{
    uintptr_t lo = atomic_load_explicit(&rm_skip_lo, memory_order_relaxed);
    uintptr_t hi = atomic_load_explicit(&rm_skip_hi, memory_order_relaxed);
    /* The shim's own frames lead; any later one is left out too. */
    unsigned lead = 0, k = 0;
    while (lead < (unsigned)(n > 0 ? n : 0) && buf[lead] >= lo && buf[lead] < hi)
        lead++;
    for (int i = (int)lead; i < n && k < max; i++) {
        uintptr_t p = buf[i];
        if (p >= lo && p < hi)
            continue;
        pc[k++] = p;
    }
    /* lead = frames up to the last leading shim frame.  Keep two spare.
     * Learnt from captures that walked the shim's frames (from == NULL). */
    unsigned want = lead + 2 > RM_SHIM_FRAMES_MAX ? RM_SHIM_FRAMES_MAX : lead + 2;
    if (lo < hi && n > 0 && !from) {
        if (!atomic_load_explicit(&rm_shim_frames_learnt, memory_order_relaxed)) {
            atomic_store_explicit(&rm_shim_frames, want, memory_order_relaxed);
            atomic_store_explicit(&rm_shim_frames_learnt, 1, memory_order_relaxed);
        } else if (want > extra) {
            atomic_store_explicit(&rm_shim_frames, want, memory_order_relaxed);
        }
    }
    return k;
}

unsigned rm_unwind_capture_slow(uintptr_t *pc, unsigned max)
{
    uintptr_t buf[RM_STACK_MAX_DEPTH + RM_SHIM_FRAMES_MAX];
    if (max > RM_STACK_MAX_DEPTH)
        max = RM_STACK_MAX_DEPTH;
    unsigned extra = atomic_load_explicit(&rm_shim_frames, memory_order_relaxed);
    RM_STAT(captures, 1);
    RM_STAT(slow, 1);
    rm_gate_enter();
    int n = unw_backtrace((void **)buf, (int)(max + extra));
    rm_gate_leave();
    return filter(pc, max, buf, n, NULL, extra);
}

unsigned rm_unwind_capture(uintptr_t *pc, unsigned max)
{
    int how;
    return rm_unwind_capture_from(pc, max, NULL, false, &how);
}
