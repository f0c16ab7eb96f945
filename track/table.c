/* table.c - the sharded live-block table (see table.h).
 *
 * Each shard is an open-addressing hash table with linear probing and
 * backward-shift deletion (no tombstones), mapped with rm_mem_map and
 * doubled at 1/2 load (short probe runs for the misses that inserts are).  The shard is chosen from the high bits of a mixed
 * address hash, the slot from the low bits. */
#include "config.h"
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include "mem.h"
#include "table.h"

#define RM_SHARD_INIT 256   /* slots in a fresh shard (4 KiB) */

struct rm_shard {
    pthread_mutex_t lock;     /* guards every field below */
    struct rm_block *slots;   /* NULL until the first insert */
    size_t mask;              /* capacity - 1 */
    size_t count;
} __attribute__((aligned(64)));

/* The shards: each is owned by its own mutex (static initialisers, so no
 * init-order issue).  Shard memory comes from rm_mem_map. */
static struct rm_shard rm_shards[RM_TABLE_SHARDS] = {
    [0 ... RM_TABLE_SHARDS - 1] = { .lock = PTHREAD_MUTEX_INITIALIZER }
};
/* Blocks that could not be tracked: an atomic, bumped only on failure (the
 * live count is the sum of the shards' counts: no shared counter on the
 * hot path). */
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

static inline struct rm_shard *shard_of(uint64_t h)
{
    return &rm_shards[h >> 56];
}

/* Place b into slots (no resize, no duplicate check). Caller holds lock. */
static void place(struct rm_block *slots, size_t mask, const struct rm_block *b)
{
    size_t i = mix(b->addr) & mask;
    while (slots[i].addr)
        i = (i + 1) & mask;
    slots[i] = *b;
}

/* Make room for one more record.  Caller holds the shard lock. */
static bool grow(struct rm_shard *s)
{
    if (s->slots && (s->count + 1) * 2 <= s->mask + 1)
        return true;
    size_t ncap = s->slots ? (s->mask + 1) * 2 : RM_SHARD_INIT;
    struct rm_block *n = rm_mem_map(ncap * sizeof *n);
    if (!n)
        return false;
    if (s->slots) {
        for (size_t i = 0; i <= s->mask; i++)
            if (s->slots[i].addr)
                place(n, ncap - 1, &s->slots[i]);
        rm_mem_unmap(s->slots, (s->mask + 1) * sizeof *s->slots);
    }
    s->slots = n;
    s->mask = ncap - 1;
    return true;
}

static long find(const struct rm_shard *s, uintptr_t addr)
{
    if (!s->slots)
        return -1;
    size_t i = mix(addr) & s->mask;
    while (s->slots[i].addr) {
        if (s->slots[i].addr == addr)
            return (long)i;
        i = (i + 1) & s->mask;
    }
    return -1;
}

bool rm_table_insert(uintptr_t addr, size_t size, uint32_t stack)
{
    if (!addr)
        return true;
    struct rm_block b = { .addr = addr,
                          .size = size > RM_SIZE_MAX ? RM_SIZE_MAX : size,
                          .stack = stack > RM_STACK_ID_MAX ? 0 : stack };
    struct rm_shard *s = shard_of(mix(addr));
    pthread_mutex_lock(&s->lock);
    long i = find(s, addr);
    if (i >= 0) {
        s->slots[i] = b;
        pthread_mutex_unlock(&s->lock);
        return true;
    }
    if (!grow(s)) {
        pthread_mutex_unlock(&s->lock);
        rm_table_note_untracked();
        return false;
    }
    place(s->slots, s->mask, &b);
    s->count++;
    pthread_mutex_unlock(&s->lock);
    return true;
}

bool rm_table_remove(uintptr_t addr)
{
    if (!addr)
        return false;
    struct rm_shard *s = shard_of(mix(addr));
    pthread_mutex_lock(&s->lock);
    long f = find(s, addr);
    if (f < 0) {
        pthread_mutex_unlock(&s->lock);
        return false;
    }
    /* Backward-shift deletion: pull later members of the probe run into
     * the hole when their home slot allows it. */
    size_t mask = s->mask, i = (size_t)f, j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!s->slots[j].addr)
            break;
        size_t home = mix(s->slots[j].addr) & mask;
        /* Move j into i when home is not cyclically in (i, j]. */
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            s->slots[i] = s->slots[j];
            i = j;
        }
    }
    s->slots[i].addr = 0;
    s->slots[i].size = 0;
    s->slots[i].stack = 0;
    s->count--;
    pthread_mutex_unlock(&s->lock);
    return true;
}

bool rm_table_lookup(uintptr_t addr, struct rm_block *out)
{
    struct rm_shard *s = shard_of(mix(addr));
    pthread_mutex_lock(&s->lock);
    long i = find(s, addr);
    if (i >= 0 && out)
        *out = s->slots[i];
    pthread_mutex_unlock(&s->lock);
    return i >= 0;
}

size_t rm_table_count(void)
{
    size_t n = 0;
    for (int k = 0; k < RM_TABLE_SHARDS; k++) {
        pthread_mutex_lock(&rm_shards[k].lock);
        n += rm_shards[k].count;
        pthread_mutex_unlock(&rm_shards[k].lock);
    }
    return n;
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
    size_t n = 0;
    for (int k = 0; k < RM_TABLE_SHARDS; k++) {
        struct rm_shard *s = &rm_shards[k];
        pthread_mutex_lock(&s->lock);
        if (s->slots)
            for (size_t i = 0; i <= s->mask && n < cap; i++)
                if (s->slots[i].addr)
                    out[n++] = s->slots[i];
        pthread_mutex_unlock(&s->lock);
    }
    return n;
}

void rm_table_clear(void)
{
    for (int k = 0; k < RM_TABLE_SHARDS; k++) {
        struct rm_shard *s = &rm_shards[k];
        pthread_mutex_lock(&s->lock);
        if (s->slots)
            rm_mem_unmap(s->slots, (s->mask + 1) * sizeof *s->slots);
        s->slots = NULL;
        s->mask = 0;
        s->count = 0;
        pthread_mutex_unlock(&s->lock);
    }
}

void rm_table_lock_all(void)
{
    for (int k = 0; k < RM_TABLE_SHARDS; k++)
        pthread_mutex_lock(&rm_shards[k].lock);
}

void rm_table_unlock_all(void)
{
    for (int k = RM_TABLE_SHARDS - 1; k >= 0; k--)
        pthread_mutex_unlock(&rm_shards[k].lock);
}
