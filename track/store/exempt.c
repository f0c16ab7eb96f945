/* exempt.c - the set of valid blocks without a table record (see
 * exempt.h).  64 shards, each an open-addressing set of addresses with
 * linear probing and backward-shift deletion, in rm_mem_map'ed memory.
 * Small: start-up allocations and the shim's internal ones, most of which
 * are freed again at once. */
#define _GNU_SOURCE
#include "config.h"
#include <pthread.h>
#include <stddef.h>
#include <unistd.h>
#include "mem.h"
#include "table.h"
#include "exempt.h"

#define RM_EX_SHARDS 64
#define RM_EX_INIT 64        /* slots in a fresh shard */

struct rm_ex_shard {
    pthread_mutex_t lock;    /* guards every field below */
    uintptr_t *slots;        /* NULL until the first add; 0 = empty */
    size_t mask, count;
} __attribute__((aligned(64)));

/* The shards, each owned by its mutex (static initialisers: usable before
 * the tracker's init, from the first allocation the loader makes). */
static struct rm_ex_shard rm_ex[RM_EX_SHARDS] = {
    [0 ... RM_EX_SHARDS - 1] = { .lock = PTHREAD_MUTEX_INITIALIZER }
};

static inline size_t hash(uintptr_t a)
{
    uint64_t x = (uint64_t)a * UINT64_C(0x9e3779b97f4a7c15);
    return (size_t)(x ^ (x >> 29));
}

static inline struct rm_ex_shard *shard_of(uintptr_t a)
{
    return &rm_ex[(hash(a) >> 58) & (RM_EX_SHARDS - 1)];
}

/* Take the shard's lock unless this very thread holds it already (a
 * signal handler that interrupted this thread inside an exempt call): then
 * waiting would never end.  glibc records the owner's thread id in the
 * mutex; another owner always lets go soon (it holds no other lock and
 * calls nothing that waits). */
static bool lock(struct rm_ex_shard *s, bool wait)
{
    if (pthread_mutex_trylock(&s->lock) == 0)
        return true;
    if (!wait && __atomic_load_n(&s->lock.__data.__owner, __ATOMIC_RELAXED) == gettid())
        return false;
    pthread_mutex_lock(&s->lock);
    return true;
}

static long find(const struct rm_ex_shard *s, uintptr_t a)
{
    if (!s->slots)
        return -1;
    for (size_t i = hash(a) & s->mask; s->slots[i]; i = (i + 1) & s->mask)
        if (s->slots[i] == a)
            return (long)i;
    return -1;
}

static void place(uintptr_t *slots, size_t mask, uintptr_t a)
{
    size_t i = hash(a) & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = a;
}

static bool grow(struct rm_ex_shard *s)
{
    if (s->slots && (s->count + 1) * 2 <= s->mask + 1)
        return true;
    size_t ncap = s->slots ? (s->mask + 1) * 2 : RM_EX_INIT;
    uintptr_t *n = rm_mem_map(ncap * sizeof *n);
    if (!n)
        return false;
    if (s->slots) {
        for (size_t i = 0; i <= s->mask; i++)
            if (s->slots[i])
                place(n, ncap - 1, s->slots[i]);
        rm_mem_unmap(s->slots, (s->mask + 1) * sizeof *s->slots);
    }
    s->slots = n;
    s->mask = ncap - 1;
    return true;
}

void rm_exempt_add(uintptr_t a)
{
    if (!a)
        return;
    struct rm_ex_shard *s = shard_of(a);
    if (!lock(s, false)) {
        rm_table_note_untracked();
        return;
    }
    bool ok = true;
    if (find(s, a) < 0) {
        ok = grow(s);
        if (ok) {
            place(s->slots, s->mask, a);
            s->count++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (!ok)
        rm_table_note_untracked();
}

bool rm_exempt_remove(uintptr_t a, bool wait)
{
    if (!a)
        return false;
    struct rm_ex_shard *s = shard_of(a);
    if (!lock(s, wait))
        return false;
    long f = find(s, a);
    if (f >= 0) {
        /* Backward-shift deletion. */
        size_t mask = s->mask, i = (size_t)f, j = i;
        for (;;) {
            j = (j + 1) & mask;
            if (!s->slots[j])
                break;
            size_t home = hash(s->slots[j]) & mask;
            if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
                s->slots[i] = s->slots[j];
                i = j;
            }
        }
        s->slots[i] = 0;
        s->count--;
    }
    pthread_mutex_unlock(&s->lock);
    return f >= 0;
}

size_t rm_exempt_count(void)
{
    size_t n = 0;
    for (int k = 0; k < RM_EX_SHARDS; k++) {
        pthread_mutex_lock(&rm_ex[k].lock);
        n += rm_ex[k].count;
        pthread_mutex_unlock(&rm_ex[k].lock);
    }
    return n;
}

void rm_exempt_lock_all(void)
{
    for (int k = 0; k < RM_EX_SHARDS; k++)
        pthread_mutex_lock(&rm_ex[k].lock);
}

void rm_exempt_unlock_all(void)
{
    for (int k = RM_EX_SHARDS - 1; k >= 0; k--)
        pthread_mutex_unlock(&rm_ex[k].lock);
}
