/* ldarena.c - the loader arena (see ldarena.h). */
#include "config.h"
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "prim.h"
#include "mem.h"
#include "rheap.h"
#include "unwind.h"
#include "ldarena.h"

#define LA_RESERVE ((size_t)2 << 20)
/* The report heap's block layout (rheap.c): state word, size word. */
#define LA_HDR 16
#define LA_IS_MMAPPED 2
#define LA_LIVE UINT64_C(0x4c64417265614c76) /* "LdAreaLv" */
#define LA_FREE UINT64_C(0x4c64417265614672) /* "LdAreaFr" */

_Atomic uintptr_t rm_ldarena_base;
_Atomic size_t rm_ldarena_len;

/* Owned by the report lock's holder: the bump offset, the bytes counted
 * as tracker memory.  la_high: end of the highest block, read by frees. */
static size_t la_next, la_counted;
static _Atomic size_t la_high;
static _Atomic size_t la_live;
static __thread int la_loading __attribute__((tls_model("initial-exec")));
/* Inside alloc/free/realloc on this thread: a signal handler's call
 * meanwhile is declined. */
static __thread bool la_busy __attribute__((tls_model("initial-exec")));

static inline uintptr_t base(void)
{
    return atomic_load_explicit(&rm_ldarena_base, memory_order_relaxed);
}

static inline _Atomic uint64_t *state_word(const void *p)
{
    return (_Atomic uint64_t *)((uintptr_t)p - LA_HDR);
}

static inline size_t *size_word(const void *p)
{
    return (size_t *)((uintptr_t)p - sizeof(size_t));
}

static inline size_t usable_of(const void *p)
{
    return (*size_word(p) & ~(size_t)7) - LA_HDR;
}

static inline size_t usable_for(size_t size)
{
    return size ? (size + 15) & ~(size_t)15 : 16;
}

void rm_ldarena_loading(bool on)
{
    la_loading += on ? 1 : -1;
}

bool rm_ldarena_context(void)
{
    return la_loading > 0 || rm_rheap_active();
}

bool rm_ldarena_wants(uintptr_t caller)
{
    if (la_loading > 0)
        return true;
    if (!rm_rheap_active())
        return false;
    uintptr_t lo, hi;
    rm_unwind_linker_range(&lo, &hi);
    return caller >= lo && caller < hi;
}

static bool reserve(void)
{
    if (atomic_load_explicit(&rm_ldarena_len, memory_order_relaxed))
        return true;
    void *p = ratmem_prim_mmap(NULL, LA_RESERVE, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ratmem_prim_failed(p))
        return false;
    atomic_store_explicit(&rm_ldarena_base, (uintptr_t)p, memory_order_relaxed);
    atomic_store_explicit(&rm_ldarena_len, LA_RESERVE, memory_order_release);
    return true;
}

static void set_newest(void *p, size_t usable)
{
    *size_word(p) = (usable + LA_HDR) | LA_IS_MMAPPED;
    size_t end = (uintptr_t)p - base() + usable;
    la_next = end;
    if (end > atomic_load_explicit(&la_high, memory_order_relaxed))
        atomic_store_explicit(&la_high, end, memory_order_relaxed);
    size_t page = ratmem_page_size();
    while (la_counted < end) {
        rm_mem_scratch_add(page);
        la_counted += page;
    }
}

void *rm_ldarena_alloc(size_t size, size_t align)
{
    if (la_busy || size > LA_RESERVE)
        return NULL;
    if (align < 16)
        align = 16;
    if ((align & (align - 1)) || align > LA_RESERVE / 4)
        return NULL;
    la_busy = true;
    void *ret = NULL;
    if (reserve()) {
        size_t usable = usable_for(size);
        size_t start = (la_next + LA_HDR + align - 1) & ~(align - 1);
        if (start + usable <= LA_RESERVE) {
            char *p = (char *)(base() + start);
            atomic_store_explicit(state_word(p), LA_LIVE, memory_order_relaxed);
            set_newest(p, usable);
            atomic_fetch_add_explicit(&la_live, 1, memory_order_relaxed);
            ret = p;
        }
    }
    la_busy = false;
    return ret;
}

bool rm_ldarena_valid(const void *p)
{
    uintptr_t off = (uintptr_t)p - base();
    return rm_ldarena_owns(p) && !(off & 15) && off >= LA_HDR &&
           off < atomic_load_explicit(&la_high, memory_order_relaxed) &&
           atomic_load_explicit(state_word(p), memory_order_relaxed) == LA_LIVE;
}

size_t rm_ldarena_usable(const void *p)
{
    return usable_of(p);
}

size_t rm_ldarena_live(void)
{
    return atomic_load_explicit(&la_live, memory_order_relaxed);
}

bool rm_ldarena_free(void *p)
{
    if (!rm_ldarena_valid(p))
        return false;
    uint64_t want = LA_LIVE;
    if (!atomic_compare_exchange_strong_explicit(state_word(p), &want, LA_FREE,
                                                 memory_order_relaxed, memory_order_relaxed))
        return false;
    /* The newest block's space comes back (zeroed) when the allocating
     * context frees it: dlopen's temporary buffers. */
    uintptr_t off = (uintptr_t)p - base();
    if (rm_ldarena_context() && !la_busy && off + usable_of(p) == la_next) {
        la_busy = true;
        memset(p, 0, usable_of(p));
        *size_word(p) = 0;
        atomic_store_explicit(state_word(p), 0, memory_order_relaxed);
        la_next = off - LA_HDR;
        la_busy = false;
    }
    atomic_fetch_sub_explicit(&la_live, 1, memory_order_release);
    return true;
}

void *rm_ldarena_realloc(void *p, size_t size)
{
    if (!rm_ldarena_context() || la_busy || size > LA_RESERVE)
        return NULL;
    size_t old = usable_of(p);
    size_t usable = usable_for(size);
    if (usable <= old)
        return p;
    uintptr_t off = (uintptr_t)p - base();
    if (off + old == la_next && off + usable <= LA_RESERVE) {
        la_busy = true;
        set_newest(p, usable);
        la_busy = false;
        return p;
    }
    void *n = rm_ldarena_alloc(size, 0);
    if (!n)
        return NULL;
    memcpy(n, p, old);
    rm_ldarena_free(p);
    return n;
}
