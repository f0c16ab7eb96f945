/* stackdb.c - the deduplicated stack store (see stackdb.h).
 *
 * Stacks live in one bump arena (its own lock, taken inside a shard's);
 * a shard's open-addressing index maps hash -> id.  Ids index a two-level
 * directory that readers use without a lock: a record is fully written
 * before its pointer is published with a release store, and records are
 * never changed or freed.
 *
 * A short process stores a hundred stacks or so: one arena and indexes
 * that start in static memory keep them on a few pages, where an arena and
 * a mapped index per shard touched two fresh pages per shard (128 page
 * faults of sed's 425 under leaks=1). */
#include "config.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include "mem.h"
#include "stats.h"
#include "table.h"
#include "sample.h"
#include "stackdb.h"

#define RM_SDB_SHARDS 64
#define RM_DIR_BITS 12
#define RM_DIR_CHUNK (1u << RM_DIR_BITS)
#define RM_DIR_TOP ((RM_STACK_ID_MAX >> RM_DIR_BITS) + 1)

struct rm_sdb_slot {
    uint64_t hash;
    uint32_t id;        /* 0 = empty */
};

struct rm_sdb_shard {
    pthread_mutex_t lock;        /* guards every field below */
    struct rm_sdb_slot *slots;   /* the index: rm_sdb_first's row, then mapped */
    size_t mask;
    size_t count;
} __attribute__((aligned(64)));

/* Each shard's first index (RM_SDB_FIRST slots), in static memory. */
#define RM_SDB_FIRST 16
static struct rm_sdb_slot rm_sdb_first[RM_SDB_SHARDS][RM_SDB_FIRST];
/* Where every shard's records live; taken inside a shard's lock. */
static pthread_mutex_t rm_sdb_rec_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rm_arena rm_sdb_rec;

/* Shards, each owned by its mutex. */
static struct rm_sdb_shard rm_sdb[RM_SDB_SHARDS] = {
    [0 ... RM_SDB_SHARDS - 1] = { .lock = PTHREAD_MUTEX_INITIALIZER }
};
/* Next id to hand out: atomic. */
static _Atomic uint32_t rm_sdb_next = 1;
/* id -> record directory.  Top-level entries are set once (CAS) and chunk
 * entries once (release store) by the inserting thread; read lock-free. */
static _Atomic(_Atomic(const struct rm_stack *) *) rm_sdb_dir[RM_DIR_TOP];

/* Per-thread cache of recent stacks: hash -> record, two ways a set, the
 * most recent first.  Mapped on the thread's first intern (tracker
 * memory), owned by its thread, unmapped at its exit.  256 sets (8 KiB)
 * at first, four times bigger (emptied) each time as many stacks as it
 * has sets went in since, up to 8192 sets (256 KiB): a short process
 * touches two pages, not 64. */
#define RM_TC_BITS_MIN 8
#define RM_TC_BITS_MAX 13
#define RM_TC_WAYS 2
struct rm_tc_ent {
    uint64_t hash;
    const struct rm_stack *s;
};
static __thread struct rm_tc_ent *rm_tc __attribute__((tls_model("initial-exec")));
static __thread unsigned rm_tc_bits __attribute__((tls_model("initial-exec")));
static __thread size_t rm_tc_fills __attribute__((tls_model("initial-exec")));
static __thread bool rm_tc_off __attribute__((tls_model("initial-exec")));

static size_t tc_bytes(unsigned bits)
{
    return ((size_t)RM_TC_WAYS << bits) * sizeof(struct rm_tc_ent);
}

static struct rm_tc_ent *tcache(void)
{
    if (__builtin_expect(rm_tc != NULL || rm_tc_off, 1))
        return rm_tc;
    rm_tc = rm_mem_map(tc_bytes(RM_TC_BITS_MIN));
    rm_tc_bits = RM_TC_BITS_MIN;
    rm_tc_fills = 0;
    if (!rm_tc)
        rm_tc_off = true;
    return rm_tc;
}

/* A stack went into the cache: past as many as it has sets, a bigger one
 * (the old one stays when it cannot be had). */
static void tc_filled(void)
{
    if (__builtin_expect(++rm_tc_fills <= ((size_t)1 << rm_tc_bits), 1) ||
        rm_tc_bits >= RM_TC_BITS_MAX)
        return;
    unsigned bits = rm_tc_bits + 2 > RM_TC_BITS_MAX ? RM_TC_BITS_MAX : rm_tc_bits + 2;
    struct rm_tc_ent *n = rm_mem_map(tc_bytes(bits));
    rm_tc_fills = 0;
    if (!n)
        return;
    rm_mem_unmap(rm_tc, tc_bytes(rm_tc_bits));
    rm_tc = n;
    rm_tc_bits = bits;
}

/* Per-thread trace tree (see stackdb.h): open addressing on (parent,
 * return address); a node's id is its slot's index.  Slot 0 is the root
 * (ra 1: never a return address, never empty).  Full at 3/4: the next
 * table has twice the slots (up to RM_TT_MAX_BITS) and starts empty. */
#define RM_TT_MIN_BITS 8
#define RM_TT_MAX_BITS 18
struct rm_tt_node {
    uintptr_t ra;       /* 0 = empty slot */
    uint32_t parent;
    uint32_t sid;       /* the path's stack id; 0 = not asked yet */
};
_Static_assert(sizeof(struct rm_tt_node) == 16, "rm_trace_prefetch assumes 16-byte nodes");
__thread struct rm_tt rm_tt __attribute__((tls_model("initial-exec")));
__thread unsigned rm_tt_gen __attribute__((tls_model("initial-exec")));
static __thread bool rm_tt_off __attribute__((tls_model("initial-exec")));

static size_t tt_bytes(unsigned bits)
{
    return ((size_t)1 << bits) * sizeof(struct rm_tt_node);
}

/* A new empty table of bits (after the current one, if any, is dropped):
 * every node id handed out before is void (rm_trace_gen changes). */
static bool tt_fresh(unsigned bits)
{
    if (rm_tt.n)
        rm_mem_unmap(rm_tt.n, tt_bytes(rm_tt.bits));
    rm_tt_gen++;
    rm_tt.n = rm_mem_map(tt_bytes(bits));
    if (!rm_tt.n) {
        rm_tt_off = true;
        rm_tt_gen = 0;
        return false;
    }
    rm_tt.bits = bits;
    rm_tt.count = 1;
    rm_tt.limit = (uint32_t)(((size_t)3 << bits) / 4);
    rm_tt.n[0].ra = 1;
    return true;
}

unsigned rm_trace_start(void)
{
    if (!rm_tt.n && !rm_tt_off)
        tt_fresh(RM_TT_MIN_BITS);
    return rm_tt_off ? 0 : rm_tt_gen;
}

uint32_t rm_trace_child(uint32_t parent, uintptr_t ra, uint64_t h)
{
    struct rm_tt_node *n = rm_tt.n;
    if (__builtin_expect(!n, 0))
        return RM_TRACE_NONE;
    size_t mask = ((size_t)1 << rm_tt.bits) - 1;
    size_t i = (size_t)(h >> (64 - rm_tt.bits));
    for (;; i = (i + 1) & mask) {
        if (n[i].ra == ra && n[i].parent == parent)
            return (uint32_t)i;
        if (!n[i].ra)
            break;
    }
    if (rm_tt.count >= rm_tt.limit) {
        /* Full: a bigger (or, at the largest size, a cleared) table; the
         * caller's ids are void, so this capture goes without. */
        tt_fresh(rm_tt.bits < RM_TT_MAX_BITS ? rm_tt.bits + 1 : rm_tt.bits);
        return RM_TRACE_NONE;
    }
    n[i].ra = ra;
    n[i].parent = parent;
    rm_tt.count++;
    return (uint32_t)i;
}

uint32_t rm_trace_stack(uint32_t node, unsigned max)
{
    struct rm_tt_node *n = rm_tt.n;
    uint32_t sid = n[node].sid;
    if (__builtin_expect(sid != 0, 1)) {
        RM_STAT(intern_cached, 1);
        return sid;
    }
    uintptr_t pc[RM_STACK_MAX_DEPTH];
    unsigned d = 0;
    if (max > RM_STACK_MAX_DEPTH)
        max = RM_STACK_MAX_DEPTH;
    for (uint32_t i = node; i != 0 && d < max; i = n[i].parent)
        pc[d++] = n[i].ra;
    if (!d)
        return 0;
    sid = rm_stackdb_intern(pc, d, rm_stack_hash(pc, d));
    n[node].sid = sid;
    return sid;
}

void rm_stackdb_thread_exit(void)
{
    struct rm_tc_ent *t = rm_tc;
    rm_tc_off = true;
    rm_tc = NULL;
    if (t)
        rm_mem_unmap(t, tc_bytes(rm_tc_bits));
    rm_tt_off = true;
    if (rm_tt.n)
        rm_mem_unmap(rm_tt.n, tt_bytes(rm_tt.bits));
    rm_tt.n = NULL;
    rm_tt_gen = 0;
}

uint64_t rm_stack_hash(const uintptr_t *pc, unsigned depth)
{
    /* The multiplies are independent of each other; the chain through h is
     * one rotate and one xor per frame.  Finalised with murmur3's mix. */
    uint64_t h = UINT64_C(0xcbf29ce484222325) ^ depth;
    for (unsigned i = 0; i < depth; i++) {
        uint64_t m = (uint64_t)pc[i] * UINT64_C(0x9e3779b97f4a7c15);
        h = ((h << 23) | (h >> 41)) ^ m;
    }
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    return h ? h : 1;
}

const struct rm_stack *rm_stackdb_get(uint32_t id)
{
    if (!id || id > RM_STACK_ID_MAX)
        return NULL;
    _Atomic(const struct rm_stack *) *chunk =
        atomic_load_explicit(&rm_sdb_dir[id >> RM_DIR_BITS], memory_order_acquire);
    if (!chunk)
        return NULL;
    return atomic_load_explicit(&chunk[id & (RM_DIR_CHUNK - 1)], memory_order_acquire);
}

static bool same(const struct rm_stack *s, const uintptr_t *pc, unsigned depth, uint64_t h)
{
    return s && s->hash == h && s->depth == depth &&
           memcmp(s->pc, pc, depth * sizeof *pc) == 0;
}

static bool publish(uint32_t id, const struct rm_stack *s)
{
    unsigned top = id >> RM_DIR_BITS;
    _Atomic(const struct rm_stack *) *chunk =
        atomic_load_explicit(&rm_sdb_dir[top], memory_order_acquire);
    if (!chunk) {
        _Atomic(const struct rm_stack *) *n = rm_mem_map(RM_DIR_CHUNK * sizeof *n);
        if (!n)
            return false;
        _Atomic(const struct rm_stack *) *expect = NULL;
        if (atomic_compare_exchange_strong_explicit(&rm_sdb_dir[top], &expect, n,
                                                    memory_order_acq_rel, memory_order_acquire)) {
            chunk = n;
        } else {
            rm_mem_unmap(n, RM_DIR_CHUNK * sizeof *n);
            chunk = expect;
        }
    }
    atomic_store_explicit(&chunk[id & (RM_DIR_CHUNK - 1)], s, memory_order_release);
    return true;
}

static bool grow(struct rm_sdb_shard *sh)
{
    if (sh->slots && (sh->count + 1) * 2 <= sh->mask + 1)
        return true;
    if (!sh->slots) {
        sh->slots = rm_sdb_first[sh - rm_sdb];
        sh->mask = RM_SDB_FIRST - 1;
        return true;
    }
    size_t ncap = (sh->mask + 1) * 4;
    struct rm_sdb_slot *n = rm_mem_map(ncap * sizeof *n);
    if (!n)
        return false;
    for (size_t i = 0; i <= sh->mask; i++) {
        if (!sh->slots[i].id)
            continue;
        size_t j = (sh->slots[i].hash >> 8) & (ncap - 1);
        while (n[j].id)
            j = (j + 1) & (ncap - 1);
        n[j] = sh->slots[i];
    }
    if (sh->slots != rm_sdb_first[sh - rm_sdb])
        rm_mem_unmap(sh->slots, (sh->mask + 1) * sizeof *sh->slots);
    sh->slots = n;
    sh->mask = ncap - 1;
    return true;
}

uint32_t rm_stackdb_intern(const uintptr_t *pc, unsigned depth, uint64_t h)
{
    if (depth > RM_STACK_MAX_DEPTH)
        depth = RM_STACK_MAX_DEPTH;
    struct rm_tc_ent *set = tcache();
    if (set) {
        set += ((h ^ (h >> 29)) & (((size_t)1 << rm_tc_bits) - 1)) * RM_TC_WAYS;
        if (set[0].hash == h && same(set[0].s, pc, depth, h)) {
            RM_STAT(intern_cached, 1);
            return set[0].s->id;
        }
        if (set[1].hash == h && same(set[1].s, pc, depth, h)) {
            struct rm_tc_ent e = set[1];
            set[1] = set[0];
            set[0] = e;
            RM_STAT(intern_cached, 1);
            return e.s->id;
        }
    }

    /* Sampled mode stores few stacks: 4 shards, so that their first
     * index and record pages are not spread over 64. */
    struct rm_sdb_shard *sh = &rm_sdb[h & (rm_sample_mean() ? 3 : RM_SDB_SHARDS - 1)];
    const struct rm_stack *found = NULL;
    RM_STAT(intern_locked, 1);
    pthread_mutex_lock(&sh->lock);
    if (sh->slots) {
        for (size_t i = (h >> 8) & sh->mask; sh->slots[i].id; i = (i + 1) & sh->mask) {
            const struct rm_stack *c;
            if (sh->slots[i].hash == h && same(c = rm_stackdb_get(sh->slots[i].id), pc, depth, h)) {
                found = c;
                break;
            }
        }
    }
    if (!found && grow(sh)) {
        uint32_t nid = atomic_fetch_add_explicit(&rm_sdb_next, 1, memory_order_relaxed);
        struct rm_stack *s = NULL;
        if (nid <= RM_STACK_ID_MAX) {
            pthread_mutex_lock(&rm_sdb_rec_lock);
            s = rm_arena_alloc(&rm_sdb_rec, sizeof *s + depth * sizeof *pc);
            pthread_mutex_unlock(&rm_sdb_rec_lock);
        }
        if (s) {
            s->hash = h;
            s->id = nid;
            s->depth = depth;
            memcpy(s->pc, pc, depth * sizeof *pc);
            if (publish(nid, s)) {
                size_t i = (h >> 8) & sh->mask;
                while (sh->slots[i].id)
                    i = (i + 1) & sh->mask;
                sh->slots[i].hash = h;
                sh->slots[i].id = nid;
                sh->count++;
                found = s;
            }
        } else if (nid > RM_STACK_ID_MAX) {
            /* Keep the counter from wrapping. */
            atomic_store_explicit(&rm_sdb_next, RM_STACK_ID_MAX + 1, memory_order_relaxed);
        }
    }
    pthread_mutex_unlock(&sh->lock);
    if (!found)
        return 0;
    if (set) {
        set[1] = set[0];
        set[0].hash = h;
        set[0].s = found;
        tc_filled();
    }
    return found->id;
}

uint32_t rm_stackdb_count(void)
{
    uint32_t n = atomic_load_explicit(&rm_sdb_next, memory_order_relaxed) - 1;
    return n > RM_STACK_ID_MAX ? RM_STACK_ID_MAX : n;
}

void rm_stackdb_lock_all(void)
{
    for (int k = 0; k < RM_SDB_SHARDS; k++)
        pthread_mutex_lock(&rm_sdb[k].lock);
    pthread_mutex_lock(&rm_sdb_rec_lock);
}

void rm_stackdb_unlock_all(void)
{
    pthread_mutex_unlock(&rm_sdb_rec_lock);
    for (int k = RM_SDB_SHARDS - 1; k >= 0; k--)
        pthread_mutex_unlock(&rm_sdb[k].lock);
}
