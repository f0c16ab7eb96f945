/* mapacct.c - accounted mapping ranges (see mapacct.h).
 *
 * Global state: `ranges`, a sorted array of disjoint [start, end) ranges in
 * memory mapped with raw syscalls, guarded by `mu`.  Mappings are few and
 * mmap/munmap are slow anyway, so a lock and linear edits are fine. */
#include "config.h"
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "mapacct.h"
#include "prim.h"

struct range { uintptr_t start, end; };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct range *ranges;
static size_t nranges, cap;

void ratmem_mapacct_lock(void) { pthread_mutex_lock(&mu); }
void ratmem_mapacct_unlock(void) { pthread_mutex_unlock(&mu); }

/* Locked: room for two more ranges (an add, or a split by remove). */
static bool reserve2(void)
{
    if (nranges + 2 <= cap)
        return true;
    void *arr = ranges;
    if (ratmem_prim_grow_array(&arr, &cap, nranges, sizeof *ranges, 256) != 0)
        return false;
    ranges = arr;
    return true;
}

/* Locked: remove [s, e) from the set, returning the bytes removed (or, with
 * dry_run, only count them). */
static size_t cut(uintptr_t s, uintptr_t e, bool dry_run)
{
    size_t removed = 0;
    for (size_t i = 0; i < nranges;) {
        struct range r = ranges[i];
        if (r.end <= s || r.start >= e) {
            i++;
            continue;
        }
        uintptr_t os = r.start > s ? r.start : s, oe = r.end < e ? r.end : e;
        removed += oe - os;
        if (dry_run) {
            i++;
            continue;
        }
        if (r.start < s && r.end > e) { /* split in two */
            memmove(&ranges[i + 2], &ranges[i + 1], (nranges - i - 1) * sizeof *ranges);
            ranges[i].end = s;
            ranges[i + 1] = (struct range){ e, r.end };
            nranges++;
            i += 2;
        } else if (r.start < s) {
            ranges[i++].end = s;
        } else if (r.end > e) {
            ranges[i++].start = e;
        } else {
            memmove(&ranges[i], &ranges[i + 1], (nranges - i - 1) * sizeof *ranges);
            nranges--;
        }
    }
    return removed;
}

bool ratmem_mapacct_add(void *addr, size_t len)
{
    uintptr_t s = (uintptr_t)addr, e = s + len;
    if (len == 0 || e < s)
        return false;
    pthread_mutex_lock(&mu);
    bool ok = reserve2();
    if (ok) {
        cut(s, e, false); /* MAP_FIXED over an accounted range replaces it */
        size_t i = 0;
        while (i < nranges && ranges[i].start < s)
            i++;
        memmove(&ranges[i + 1], &ranges[i], (nranges - i) * sizeof *ranges);
        ranges[i] = (struct range){ s, e };
        nranges++;
    }
    pthread_mutex_unlock(&mu);
    return ok;
}

size_t ratmem_mapacct_remove(void *addr, size_t len)
{
    uintptr_t s = (uintptr_t)addr, e = s + len;
    if (len == 0 || e < s)
        return 0;
    pthread_mutex_lock(&mu);
    size_t n = reserve2() ? cut(s, e, false) : 0;
    pthread_mutex_unlock(&mu);
    return n;
}

size_t ratmem_mapacct_overlap(void *addr, size_t len)
{
    uintptr_t s = (uintptr_t)addr, e = s + len;
    if (len == 0 || e < s)
        return 0;
    pthread_mutex_lock(&mu);
    size_t n = cut(s, e, true);
    pthread_mutex_unlock(&mu);
    return n;
}
