/* unwind.c - stack capture (see unwind.h). */
#include "config.h"
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
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

/* libunwind is loaded by the first capture that needs it (the fast
 * capture walks most programs' stacks whole: /bin/true, sed and a shell
 * never need it, and loading it cost each process 0.2 ms).  Loaded inside
 * an allocation, as the tracker's start-up already was when the program's
 * first allocation came before the shim's constructor: what the loader
 * allocates goes to the loader arena (ldarena.h).  Not from a signal
 * handler that interrupted the dynamic linker (the load would re-enter
 * it: the fast capture then ends the stack at the signal frame,
 * fastunwind.c), nor on an alternate signal stack (checked here: the
 * interrupted code cannot be told there).
 *
 * One thread loads, under rm_unw_lock; the others try the lock a bounded
 * number of times and, should it stay taken, capture no stack this once
 * (a thread that waited without bound would deadlock if it held the
 * loader's lock, as a constructor run by dlopen does).  Fork waits: this
 * runs inside the gate (gate.h). */
static pthread_mutex_t rm_unw_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int rm_unw_state;   /* 0 not yet, 1 ready, -1 cannot be had */
static __thread int rm_unw_loading __attribute__((tls_model("initial-exec")));

static bool on_signal_stack(void)
{
    stack_t ss;
    return sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK);
}

/* libunwind ready for unw_backtrace.  Called inside the gate. */
static bool unwind_ready(void)
{
    int st = atomic_load_explicit(&rm_unw_state, memory_order_acquire);
    if (__builtin_expect(st != 0, 1))
        return st > 0;
    if (rm_unw_loading || on_signal_stack())
        return false;
    bool locked = false;
    for (int i = 0; i < 4096 && !locked; i++) {
        locked = pthread_mutex_trylock(&rm_unw_lock) == 0;
        if (!locked)
            sched_yield();
    }
    if (!locked)
        return false;
    st = atomic_load_explicit(&rm_unw_state, memory_order_acquire);
    if (!st) {
        rm_unw_loading = 1;
        int saved = errno;
        st = rm_unwmem_init() >= 0 ? 1 : -1;   /* libunwind, per-thread caching, without its pipe */
        errno = saved;
        rm_unw_loading = 0;
        atomic_store_explicit(&rm_unw_state, st, memory_order_release);
    }
    pthread_mutex_unlock(&rm_unw_lock);
    return st > 0;
}

bool rm_unwind_loaded(void)
{
    return atomic_load_explicit(&rm_unw_state, memory_order_acquire) > 0;
}

void rm_unwind_init(void)
{
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

bool rm_unwind_in_linker(uintptr_t pc)
{
    uintptr_t lo = atomic_load_explicit(&rm_ld_lo, memory_order_relaxed);
    uintptr_t hi = atomic_load_explicit(&rm_ld_hi, memory_order_relaxed);
    return pc >= lo && pc < hi;
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
        n = unwind_ready() ? unw_backtrace((void **)buf, (int)(max + extra)) : 0;
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
    int n = unwind_ready() ? unw_backtrace((void **)buf, (int)(max + extra)) : 0;
    rm_gate_leave();
    return filter(pc, max, buf, n, NULL, extra);
}

unsigned rm_unwind_capture(uintptr_t *pc, unsigned max)
{
    int how;
    return rm_unwind_capture_from(pc, max, NULL, false, &how);
}
