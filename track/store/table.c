/* table.c - the live-block table (see table.h).
 *
 * The main store is a shadow map of the address space: one 64-bit word per
 * 32-byte granule of memory, found through a two-level directory (4 GiB
 * areas, then 64 KiB leaves).  glibc's chunks are at least 32 bytes and its
 * pointers 16-byte aligned, so at most one live block starts in a granule;
 * the word holds that block's size, stack id and whether it starts at
 * offset 0 or 16.  A block's word lies next to its neighbours' words, so
 * consecutive allocations touch the same cache lines (a hashed table
 * missed the cache on nearly every insert and remove), and the words are
 * updated without a lock on the hot path.
 *
 * Ordering: the hot path writes a word with a plain store, not a
 * compare-and-swap (a locked instruction drains the store buffer, which
 * right after zeroing a block cost a tenth of a 4-thread program's run).
 * That is safe because at most one thread writes a granule's word at a
 * time: a block's record is inserted after glibc returned it and removed
 * before glibc gets it back, and glibc's own locking orders the free of
 * one block before the allocation of the next one at that address.  Two
 * keys in one granule (never glibc's) and a granule whose OVF bit is set
 * take the compare-and-swap under ovf_lock as before.
 *
 * Keys the shadow cannot hold go to the overflow store, an open-addressing
 * hash table under one mutex: unaligned or very high addresses, and a
 * second live key in a granule (not glibc's pointers; the unit tests make
 * them).  A granule whose key was ever moved there carries the OVF bit, so
 * its lookups also ask the overflow store.
 *
 * Memory: a leaf (16 KiB) covers 64 KiB, so the shadow costs at most a
 * quarter of the heap span it covers, touched pages only. */
#include "config.h"
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include "mem.h"
#include "hsort.h"
#include "table.h"

/* ---- the overflow store: open addressing, linear probing, backward-shift
 * deletion, doubled at 1/2 load; guarded by ovf_lock. */

#define OVF_INIT 256

static pthread_mutex_t ovf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rm_block *ovf_slots;   /* NULL until the first insert */
static size_t ovf_mask;
static _Atomic size_t ovf_count;     /* read without the lock as a hint */

/* Blocks that could not be tracked: bumped only on failure. */
static _Atomic size_t rm_untracked_count;

static inline uint64_t mix(uintptr_t a)
{
    uint64_t x = (uint64_t)a;
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

/* The store holds its keys disguised (the top 17 bits flipped: no user
 * space address), so that a scan reading tracker memory as part of the
 * heap (sampled mode's roots) never takes a record for a pointer to its
 * block.  Slots, hashes and probes work on disguised keys; 0 = empty. */
#define OVF_DISGUISE UINT64_C(0xFFFF800000000000)
static inline uintptr_t ovf_key(uintptr_t addr)
{
    return addr ^ OVF_DISGUISE;
}

/* Place b (its key disguised) into slots (no resize, no duplicate check). */
static void ovf_place(struct rm_block *slots, size_t mask, const struct rm_block *b)
{
    size_t i = mix(b->addr) & mask;
    while (slots[i].addr)
        i = (i + 1) & mask;
    slots[i] = *b;
}

/* Make room for one more record.  Caller holds ovf_lock. */
static bool ovf_grow(void)
{
    size_t n = atomic_load_explicit(&ovf_count, memory_order_relaxed);
    if (ovf_slots && (n + 1) * 2 <= ovf_mask + 1)
        return true;
    size_t ncap = ovf_slots ? (ovf_mask + 1) * 2 : OVF_INIT;
    struct rm_block *s = rm_mem_map(ncap * sizeof *s);
    if (!s)
        return false;
    if (ovf_slots) {
        for (size_t i = 0; i <= ovf_mask; i++)
            if (ovf_slots[i].addr)
                ovf_place(s, ncap - 1, &ovf_slots[i]);
        rm_mem_unmap(ovf_slots, (ovf_mask + 1) * sizeof *ovf_slots);
    }
    ovf_slots = s;
    ovf_mask = ncap - 1;
    return true;
}

/* Slot of addr or -1.  Caller holds ovf_lock. */
static long ovf_find(uintptr_t addr)
{
    if (!ovf_slots)
        return -1;
    uintptr_t k = ovf_key(addr);
    size_t i = mix(k) & ovf_mask;
    while (ovf_slots[i].addr) {
        if (ovf_slots[i].addr == k)
            return (long)i;
        i = (i + 1) & ovf_mask;
    }
    return -1;
}

/* Insert or replace.  Caller holds ovf_lock. */
static bool ovf_insert(const struct rm_block *b)
{
    struct rm_block e = *b;
    e.addr = ovf_key(b->addr);
    long i = ovf_find(b->addr);
    if (i >= 0) {
        ovf_slots[i] = e;
        return true;
    }
    if (!ovf_grow())
        return false;
    ovf_place(ovf_slots, ovf_mask, &e);
    atomic_fetch_add_explicit(&ovf_count, 1, memory_order_relaxed);
    return true;
}

/* Remove addr; false when absent.  Caller holds ovf_lock. */
static bool ovf_remove(uintptr_t addr)
{
    long f = ovf_find(addr);
    if (f < 0)
        return false;
    /* Backward-shift deletion: pull later members of the probe run into
     * the hole when their home slot allows it. */
    size_t mask = ovf_mask, i = (size_t)f, j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!ovf_slots[j].addr)
            break;
        size_t home = mix(ovf_slots[j].addr) & mask;
        /* Move j into i when home is not cyclically in (i, j]. */
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            ovf_slots[i] = ovf_slots[j];
            i = j;
        }
    }
    memset(&ovf_slots[i], 0, sizeof ovf_slots[i]);
    atomic_fetch_sub_explicit(&ovf_count, 1, memory_order_relaxed);
    return true;
}

static bool ovf_lookup(uintptr_t addr, struct rm_block *out)
{
    if (!atomic_load_explicit(&ovf_count, memory_order_relaxed))
        return false;
    pthread_mutex_lock(&ovf_lock);
    long i = ovf_find(addr);
    if (i >= 0 && out) {
        *out = ovf_slots[i];
        out->addr = addr;
    }
    pthread_mutex_unlock(&ovf_lock);
    return i >= 0;
}

/* ---- the shadow map */

#define GRAN_SHIFT 5                                   /* 32-byte granules */
#define LEAF_SHIFT 16                                  /* a leaf covers 64 KiB */
#define LEAF_WORDS (1u << (LEAF_SHIFT - GRAN_SHIFT))   /* 2048 */
#define AREA_SHIFT 32                                  /* a directory covers 4 GiB */
#define DIR_LEAVES (1u << (AREA_SHIFT - LEAF_SHIFT))   /* 65536 */
#define TOP_AREAS (1u << (47 - AREA_SHIFT))            /* the 47-bit user space */
#define ADDR_LIMIT (UINT64_C(1) << 47)

/* A granule's word: LIVE, OFF16 (the key is granule base + 16), OVF (the
 * overflow store may hold keys of this granule), stack id, size. */
#define W_LIVE (UINT64_C(1) << 63)
#define W_OFF16 (UINT64_C(1) << 62)
#define W_OVF (UINT64_C(1) << 61)
#define W_STACK_SHIFT 37
#define W_STACK_MASK ((UINT64_C(1) << 24) - 1)
#define W_SIZE_MAX ((UINT64_C(1) << W_STACK_SHIFT) - 1)  /* 128 GiB - 1 */

struct leaf {
    struct leaf *next;        /* every leaf, for snapshots */
    uintptr_t base;           /* address of word 0's granule */
    _Atomic uint64_t w[LEAF_WORDS];
};

struct dir {
    struct leaf *_Atomic leaf[DIR_LEAVES];
};

/* Directories by 4 GiB area (only touched entries cost memory). */
static struct dir *_Atomic rm_top[TOP_AREAS];
/* All leaves, newest first; published with release order. */
static struct leaf *_Atomic rm_leaves;
/* Guards creating directories and leaves (rare: once per 64 KiB). */
static pthread_mutex_t leaf_lock = PTHREAD_MUTEX_INITIALIZER;
/* Leaves are cut from 2 MiB chunks (few mappings, untouched pages free). */
#define LEAF_CHUNK ((size_t)2 << 20)
static char *leaf_cur, *leaf_end;

static struct leaf *leaf_alloc(void)
{
    size_t len = (sizeof(struct leaf) + 63) & ~(size_t)63;
    if (!leaf_cur || (size_t)(leaf_end - leaf_cur) < len) {
        char *c = rm_mem_map(LEAF_CHUNK);
        if (!c)
            return NULL;
        leaf_cur = c;
        leaf_end = c + LEAF_CHUNK;
    }
    struct leaf *lf = (struct leaf *)leaf_cur;
    leaf_cur += len;
    return lf;
}

/* Sampled mode: everything in the overflow store (table.h). */
static bool sparse;

void rm_table_set_sparse(bool on)
{
    sparse = on;
}

static inline bool shadowable(uintptr_t addr)
{
    return !(addr & 15) && addr && addr < ADDR_LIMIT && !sparse;
}

static struct leaf *leaf_create(uintptr_t addr)
{
    size_t a = addr >> AREA_SHIFT, l = (addr >> LEAF_SHIFT) & (DIR_LEAVES - 1);
    struct leaf *lf = NULL;
    pthread_mutex_lock(&leaf_lock);
    struct dir *d = atomic_load_explicit(&rm_top[a], memory_order_acquire);
    if (!d) {
        d = rm_mem_map(sizeof *d);
        if (!d)
            goto out;
        atomic_store_explicit(&rm_top[a], d, memory_order_release);
    }
    lf = atomic_load_explicit(&d->leaf[l], memory_order_acquire);
    if (lf)
        goto out;
    lf = leaf_alloc();
    if (!lf)
        goto out;
    lf->base = addr & ~(((uintptr_t)1 << LEAF_SHIFT) - 1);
    lf->next = atomic_load_explicit(&rm_leaves, memory_order_relaxed);
    atomic_store_explicit(&rm_leaves, lf, memory_order_release);
    atomic_store_explicit(&d->leaf[l], lf, memory_order_release);
out:
    pthread_mutex_unlock(&leaf_lock);
    return lf;
}

/* The word of addr's granule; NULL when there is none (create false) or
 * when memory cannot be had.  Assumes shadowable(addr). */
static inline _Atomic uint64_t *word_of(uintptr_t addr, bool create)
{
    struct dir *d = atomic_load_explicit(&rm_top[addr >> AREA_SHIFT], memory_order_acquire);
    struct leaf *lf = d ? atomic_load_explicit(&d->leaf[(addr >> LEAF_SHIFT) & (DIR_LEAVES - 1)],
                                               memory_order_acquire)
                        : NULL;
    if (!lf) {
        if (!create)
            return NULL;
        lf = leaf_create(addr);
        if (!lf)
            return NULL;
    }
    return &lf->w[(addr >> GRAN_SHIFT) & (LEAF_WORDS - 1)];
}

static inline uint64_t w_off(uintptr_t addr)
{
    return (addr & 16) ? W_OFF16 : 0;
}

/* Word w holds the record of key addr (a key of w's granule). */
static inline bool w_holds(uint64_t w, uintptr_t addr)
{
    return (w & W_LIVE) && (w & W_OFF16) == w_off(addr);
}

static inline uintptr_t w_key(uintptr_t granule_addr, uint64_t w)
{
    return (granule_addr & ~(uintptr_t)31) + ((w & W_OFF16) ? 16 : 0);
}

static inline struct rm_block w_block(uintptr_t key, uint64_t w)
{
    struct rm_block b = { .addr = key, .size = w & W_SIZE_MAX,
                          .stack = (w >> W_STACK_SHIFT) & W_STACK_MASK };
    return b;
}

/* Slow insert, under ovf_lock: the granule holds another live key, or its
 * OVF bit is set.  The other key moves to the overflow store. */
static bool insert_slow(_Atomic uint64_t *w, uintptr_t addr, uint64_t nv)
{
    bool ok = true;
    pthread_mutex_lock(&ovf_lock);
    uint64_t old = atomic_load_explicit(w, memory_order_relaxed);
    if (old & W_OVF)
        ovf_remove(addr);   /* no stale copy of addr stays behind */
    for (;;) {
        if ((old & W_LIVE) && (old & W_OFF16) != (nv & W_OFF16)) {
            uintptr_t other = w_key(addr, old);
            struct rm_block ob = w_block(other, old);
            if (!ovf_insert(&ob)) {
                ok = false;
                break;
            }
            if (atomic_compare_exchange_weak(w, &old, nv | W_OVF))
                break;
            ovf_remove(other);
            continue;
        }
        if (atomic_compare_exchange_weak(w, &old, nv | (old & W_OVF)))
            break;
    }
    pthread_mutex_unlock(&ovf_lock);
    return ok;
}

bool rm_table_insert(uintptr_t addr, size_t size, uint32_t stack)
{
    if (!addr)
        return true;
    if (stack > RM_STACK_ID_MAX)
        stack = 0;
    if (!shadowable(addr)) {
        struct rm_block b = { .addr = addr, .size = size > RM_SIZE_MAX ? RM_SIZE_MAX : size,
                              .stack = stack };
        pthread_mutex_lock(&ovf_lock);
        bool ok = ovf_insert(&b);
        pthread_mutex_unlock(&ovf_lock);
        if (!ok)
            rm_table_note_untracked();
        return ok;
    }
    _Atomic uint64_t *w = word_of(addr, true);
    if (!w) {
        rm_table_note_untracked();
        return false;
    }
    uint64_t nv = W_LIVE | w_off(addr) | ((uint64_t)stack << W_STACK_SHIFT) |
                  (size > W_SIZE_MAX ? W_SIZE_MAX : size);
    uint64_t old = atomic_load_explicit(w, memory_order_relaxed);
    if ((old & W_OVF) || ((old & W_LIVE) && (old & W_OFF16) != (nv & W_OFF16))) {
        if (insert_slow(w, addr, nv))
            return true;
        rm_table_note_untracked();
        return false;
    }
    /* A plain store (see "Ordering" at the top): nobody else writes this
     * word now. */
    atomic_store_explicit(w, nv, memory_order_relaxed);
    return true;
}

bool rm_table_remove(uintptr_t addr)
{
    if (!addr)
        return false;
    if (shadowable(addr)) {
        _Atomic uint64_t *w = word_of(addr, false);
        if (!w)
            return false;
        uint64_t old = atomic_load_explicit(w, memory_order_relaxed);
        if (w_holds(old, addr) && !(old & W_OVF)) {
            atomic_store_explicit(w, 0, memory_order_relaxed);
            return true;
        }
        while (w_holds(old, addr))
            if (atomic_compare_exchange_weak_explicit(w, &old, old & W_OVF, memory_order_relaxed,
                                                      memory_order_relaxed))
                return true;
        if (!(old & W_OVF))
            return false;
    }
    if (!atomic_load_explicit(&ovf_count, memory_order_relaxed))
        return false;
    pthread_mutex_lock(&ovf_lock);
    bool r = ovf_remove(addr);
    pthread_mutex_unlock(&ovf_lock);
    return r;
}

bool rm_table_lookup(uintptr_t addr, struct rm_block *out)
{
    if (!addr)
        return false;
    if (shadowable(addr)) {
        _Atomic uint64_t *w = word_of(addr, false);
        if (!w)
            return false;
        uint64_t v = atomic_load_explicit(w, memory_order_relaxed);
        if (w_holds(v, addr)) {
            if (out)
                *out = w_block(addr, v);
            return true;
        }
        if (!(v & W_OVF))
            return false;
    }
    return ovf_lookup(addr, out);
}

/* Copy a leaf's records into out from n on (at most cap in all). */
static size_t walk_leaf(const struct leaf *lf, struct rm_block *out, size_t n, size_t cap)
{
    for (size_t i = 0; i < LEAF_WORDS; i++) {
        uint64_t v = atomic_load_explicit(&lf->w[i], memory_order_relaxed);
        if (!(v & W_LIVE))
            continue;
        if (out) {
            if (n >= cap)
                return n;
            out[n] = w_block(w_key(lf->base + (i << GRAN_SHIFT), v), v);
        }
        n++;
    }
    return n;
}

/* Count the records, or copy up to cap of them into out: the shadow's
 * leaves in the order given (order[0..nl), or NULL: the list's), then the
 * overflow store. */
static size_t walk(struct rm_block *out, size_t cap, struct leaf *const *order, size_t nl)
{
    size_t n = 0;
    /* Every leaf through the list (not the directories: 64 Ki entries of
     * 4 GiB area each, mostly empty, cost a small process's exit report
     * more than its blocks). */
    if (order) {
        for (size_t k = 0; k < nl && (!out || n < cap); k++)
            n = walk_leaf(order[k], out, n, cap);
    } else {
        for (struct leaf *lf = atomic_load_explicit(&rm_leaves, memory_order_acquire);
             lf && (!out || n < cap); lf = lf->next)
            n = walk_leaf(lf, out, n, cap);
    }
    if (out && n >= cap)
        return n;
    pthread_mutex_lock(&ovf_lock);
    if (ovf_slots)
        for (size_t i = 0; i <= ovf_mask; i++) {
            if (!ovf_slots[i].addr)
                continue;
            if (out) {
                if (n >= cap)
                    break;
                out[n] = ovf_slots[i];
                out[n].addr = ovf_key(ovf_slots[i].addr);
            }
            n++;
        }
    pthread_mutex_unlock(&ovf_lock);
    return n;
}

static int by_base(const void *x, const void *y)
{
    uintptr_t a = (*(struct leaf *const *)x)->base, b = (*(struct leaf *const *)y)->base;
    return a < b ? -1 : a > b;
}

size_t rm_table_count(void)
{
    return walk(NULL, 0, NULL, 0);
}

size_t rm_table_untracked(void)
{
    return atomic_load_explicit(&rm_untracked_count, memory_order_relaxed);
}

void rm_table_note_untracked(void)
{
    atomic_fetch_add_explicit(&rm_untracked_count, 1, memory_order_relaxed);
}

size_t rm_table_snapshot(struct rm_block *out, size_t cap)
{
    if (!out)
        return 0;
    /* The leaves in address order, so that the snapshot comes sorted (but
     * for overflow records) and rm_blocks_sort has nothing to do: a heap
     * sort of a large heap's blocks was a tenth of a bash subshell's exit
     * report.  The list only grows at its head: from one head on it is
     * fixed. */
    struct leaf *head = atomic_load_explicit(&rm_leaves, memory_order_acquire);
    size_t nl = 0;
    for (struct leaf *lf = head; lf; lf = lf->next)
        nl++;
    struct leaf **v = nl > 1 ? rm_mem_map_scratch(nl * sizeof *v) : NULL;
    if (!v)
        return walk(out, cap, NULL, 0);
    size_t k = 0;
    for (struct leaf *lf = head; lf && k < nl; lf = lf->next)
        v[k++] = lf;
    ratmem_hsort(v, k, sizeof *v, by_base);
    size_t n = walk(out, cap, v, k);
    rm_mem_unmap_scratch(v, nl * sizeof *v);
    return n;
}

void rm_table_clear(void)
{
    pthread_mutex_lock(&leaf_lock);
    for (struct leaf *lf = atomic_load_explicit(&rm_leaves, memory_order_acquire); lf;
         lf = lf->next)
        for (size_t i = 0; i < LEAF_WORDS; i++)
            atomic_store_explicit(&lf->w[i], 0, memory_order_relaxed);
    pthread_mutex_unlock(&leaf_lock);
    pthread_mutex_lock(&ovf_lock);
    if (ovf_slots)
        rm_mem_unmap(ovf_slots, (ovf_mask + 1) * sizeof *ovf_slots);
    ovf_slots = NULL;
    ovf_mask = 0;
    atomic_store(&ovf_count, 0);
    pthread_mutex_unlock(&ovf_lock);
}

/* fork(): the words need no lock (a CAS either happened or not); the
 * directory and overflow locks must not be held by a vanished thread. */
void rm_table_lock_all(void)
{
    pthread_mutex_lock(&leaf_lock);
    pthread_mutex_lock(&ovf_lock);
}

void rm_table_unlock_all(void)
{
    pthread_mutex_unlock(&ovf_lock);
    pthread_mutex_unlock(&leaf_lock);
}
