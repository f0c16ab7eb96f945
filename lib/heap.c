/* heap.c - RatMemAlloc, RatMemCalloc, RatMemRealloc, RatMemFree.
 *
 * Blocks come from the process allocator (calloc, so they are zero) and
 * are recorded in a sharded hash set of live blocks, address -> size.  The
 * set is what lets RatMemFree and RatMemRealloc tell a live RatAPI block
 * from a double free, a foreign pointer or an interior pointer, and refuse
 * it with RAT_STATUS_INVALID_ARG instead of corrupting the allocator.
 *
 * Global state: `shards`, each guarded by its own mutex.  Table storage is
 * mapped with raw syscalls, so the set never calls malloc itself. */
#include "config.h"
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "internal.h"
#include "prim.h"

#define NSHARDS 64

struct shard {
    pthread_mutex_t mu;
    uintptr_t *keys;   /* 0 = empty slot; linear probing */
    size_t *sizes;
    size_t cap;        /* power of two, or 0 */
    size_t count;
};

static struct shard shards[NSHARDS];
static pthread_once_t shards_once = PTHREAD_ONCE_INIT;

static void shards_init(void)
{
    for (int i = 0; i < NSHARDS; i++)
        pthread_mutex_init(&shards[i].mu, NULL);
}

static inline uint64_t hash_ptr(uintptr_t p)
{
    uint64_t h = (uint64_t)p * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

static struct shard *shard_of(uintptr_t p)
{
    pthread_once(&shards_once, shards_init);
    return &shards[(hash_ptr(p) >> 58) % NSHARDS];
}

static void table_free(uintptr_t *keys, size_t *sizes, size_t cap)
{
    if (keys)
        ratmem_prim_munmap(keys, ratmem_page_round(cap * sizeof *keys));
    if (sizes)
        ratmem_prim_munmap(sizes, ratmem_page_round(cap * sizeof *sizes));
}

static void *table_map(size_t bytes)
{
    void *p = ratmem_prim_mmap(NULL, ratmem_page_round(bytes), PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return ratmem_prim_failed(p) ? NULL : p;
}

static void raw_insert(uintptr_t *keys, size_t *sizes, size_t cap, uintptr_t k, size_t sz)
{
    size_t i = hash_ptr(k) & (cap - 1);
    while (keys[i])
        i = (i + 1) & (cap - 1);
    keys[i] = k;
    sizes[i] = sz;
}

/* Shard locked.  Keep the load factor at or under 1/2. */
static bool shard_reserve(struct shard *s)
{
    if ((s->count + 1) * 2 <= s->cap)
        return true;
    size_t ncap = s->cap ? s->cap * 2 : 512;
    uintptr_t *nk = table_map(ncap * sizeof *nk);
    size_t *ns = nk ? table_map(ncap * sizeof *ns) : NULL;
    if (!ns) {
        table_free(nk, NULL, ncap);
        return false;
    }
    for (size_t i = 0; i < s->cap; i++)
        if (s->keys[i])
            raw_insert(nk, ns, ncap, s->keys[i], s->sizes[i]);
    table_free(s->keys, s->sizes, s->cap);
    s->keys = nk;
    s->sizes = ns;
    s->cap = ncap;
    return true;
}

static bool set_insert(void *p, size_t size)
{
    struct shard *s = shard_of((uintptr_t)p);
    pthread_mutex_lock(&s->mu);
    bool ok = shard_reserve(s);
    if (ok) {
        raw_insert(s->keys, s->sizes, s->cap, (uintptr_t)p, size);
        s->count++;
    }
    pthread_mutex_unlock(&s->mu);
    return ok;
}

/* Remove p from the set; true (and its size) when it was there. */
static bool set_take(void *p, size_t *size)
{
    uintptr_t k = (uintptr_t)p;
    struct shard *s = shard_of(k);
    bool found = false;
    pthread_mutex_lock(&s->mu);
    if (s->cap) {
        size_t mask = s->cap - 1, i = hash_ptr(k) & mask;
        while (s->keys[i] && s->keys[i] != k)
            i = (i + 1) & mask;
        if (s->keys[i] == k) {
            found = true;
            *size = s->sizes[i];
            /* Backward-shift deletion keeps probe chains intact. */
            size_t j = i;
            for (;;) {
                s->keys[i] = 0;
                for (;;) {
                    j = (j + 1) & mask;
                    if (!s->keys[j])
                        goto done;
                    size_t home = hash_ptr(s->keys[j]) & mask;
                    /* Move j back to i unless its home lies cyclically in (i, j]. */
                    if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
                        break;
                }
                s->keys[i] = s->keys[j];
                s->sizes[i] = s->sizes[j];
                i = j;
            }
        done:
            s->count--;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return found;
}

/* A zeroed block of size bytes, charged to the quota and recorded.  The
 * charge comes after calloc succeeded, so that a request the allocator
 * refuses leaves the quota's used and peak as they were. */
static void *alloc_zeroed(size_t size)
{
    /* No object may exceed PTRDIFF_MAX (glibc refuses it too); asking the
     * allocator anyway aborts under ASan and is an error under valgrind. */
    if (size > (size_t)PTRDIFF_MAX)
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);
    void *p = calloc(1, size);
    if (!p)
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);
    if (!ratmem_quota_charge_heap(size)) {
        free(p);
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);
    }
    if (!set_insert(p, size)) {
        free(p);
        ratmem_quota_release_heap(size);
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);
    }
    return p;
}

/* Wipe, release and free a block taken out of the set. */
static void free_block(void *p, size_t size)
{
    explicit_bzero(p, size);
    free(p);
    ratmem_quota_release_heap(size);
}

RatMemPtr RatMemAlloc(size_t size)
{
    if (size == 0)
        return ratmem_fail_null(RAT_STATUS_INVALID_ARG);
    return alloc_zeroed(size);
}

RatMemPtr RatMemCalloc(size_t count, size_t size)
{
    if (count == 0 || size == 0)
        return ratmem_fail_null(RAT_STATUS_INVALID_ARG);
    size_t total;
    if (__builtin_mul_overflow(count, size, &total))
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);
    return alloc_zeroed(total);
}

RatMemPtr RatMemRealloc(RatMemPtr ptr, size_t newSize)
{
    if (!ptr)
        return RatMemAlloc(newSize);
    if (newSize == 0)
        return ratmem_fail_null(RAT_STATUS_INVALID_ARG);
    size_t old;
    /* Taking the block out of the set makes this call its only owner: a
     * racing free or realloc of the same pointer is refused. */
    if (!set_take(ptr, &old))
        return ratmem_fail_null(RAT_STATUS_INVALID_ARG);
    if (newSize <= old) {
        /* Shrink in place; the dropped tail is wiped, so growing later
         * hands out zeros again. */
        explicit_bzero((char *)ptr + newSize, old - newSize);
        set_insert(ptr, newSize); /* its slot was just freed: cannot fail */
        ratmem_quota_release_heap(old - newSize);
        return ptr;
    }
    void *q = alloc_zeroed(newSize);
    if (!q) {
        set_insert(ptr, old); /* its slot was just freed: cannot fail */
        return NULL;
    }
    memcpy(q, ptr, old);
    free_block(ptr, old);
    return q;
}

RatStatus RatMemFree(RatMemPtr ptr)
{
    if (!ptr)
        return RAT_STATUS_OK;
    size_t size;
    if (!set_take(ptr, &size))
        return ratmem_fail(RAT_STATUS_INVALID_ARG);
    free_block(ptr, size);
    return RAT_STATUS_OK;
}
