/* regions.c - the program's own mappings (see regions.h).  A sorted array
 * of disjoint ranges under one mutex: mmap and munmap are system calls
 * already, rare next to malloc, so one lock costs nothing that matters. */
#include "config.h"
#include <pthread.h>
#include <string.h>
#include "mem.h"
#include "regions.h"

/* The ranges, sorted and disjoint, in an rm_mem_map'ed array that doubles
 * when full: every field guarded by rm_regions_mutex. */
static pthread_mutex_t rm_regions_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct rm_range *rm_reg;
static size_t rm_reg_n, rm_reg_cap;

static bool reserve(size_t need)
{
    if (need <= rm_reg_cap)
        return true;
    size_t ncap = rm_reg_cap ? rm_reg_cap * 2 : 256;
    while (ncap < need)
        ncap *= 2;
    struct rm_range *n = rm_mem_map(ncap * sizeof *n);
    if (!n)
        return false;
    if (rm_reg) {
        memcpy(n, rm_reg, rm_reg_n * sizeof *n);
        rm_mem_unmap(rm_reg, rm_reg_cap * sizeof *rm_reg);
    }
    rm_reg = n;
    rm_reg_cap = ncap;
    return true;
}

/* Cut [lo, hi) out of every record.  Caller holds the lock and has room for
 * one more record (a split). */
static void cut(uintptr_t lo, uintptr_t hi)
{
    size_t w = 0;
    for (size_t i = 0; i < rm_reg_n; i++) {
        struct rm_range r = rm_reg[i];
        if (r.hi <= lo || r.lo >= hi) {
            rm_reg[w++] = r;
        } else if (r.lo < lo && r.hi > hi) {
            /* Split in two: shift the tail right by one. */
            memmove(&rm_reg[i + 2], &rm_reg[i + 1], (rm_reg_n - i - 1) * sizeof *rm_reg);
            rm_reg_n++;
            rm_reg[w].lo = r.lo;
            rm_reg[w].hi = lo;
            rm_reg[w + 1].lo = hi;
            rm_reg[w + 1].hi = r.hi;
            w += 2;
            i++;
        } else if (r.lo < lo) {
            rm_reg[w].lo = r.lo;
            rm_reg[w++].hi = lo;
        } else if (r.hi > hi) {
            rm_reg[w].lo = hi;
            rm_reg[w++].hi = r.hi;
        }
        /* else wholly inside: dropped */
    }
    rm_reg_n = w;
}

bool rm_regions_add(uintptr_t lo, uintptr_t hi)
{
    if (lo >= hi)
        return true;
    pthread_mutex_lock(&rm_regions_mutex);
    bool ok = reserve(rm_reg_n + 2);
    if (ok) {
        cut(lo, hi);
        size_t i = 0;
        while (i < rm_reg_n && rm_reg[i].lo < lo)
            i++;
        memmove(&rm_reg[i + 1], &rm_reg[i], (rm_reg_n - i) * sizeof *rm_reg);
        rm_reg[i].lo = lo;
        rm_reg[i].hi = hi;
        rm_reg_n++;
    }
    pthread_mutex_unlock(&rm_regions_mutex);
    return ok;
}

void rm_regions_remove(uintptr_t lo, uintptr_t hi)
{
    if (lo >= hi)
        return;
    pthread_mutex_lock(&rm_regions_mutex);
    if (reserve(rm_reg_n + 1)) {
        cut(lo, hi);
    } else {
        /* No room for a split: drop every overlapping record whole (never
         * keep a root that may be gone). */
        size_t w = 0;
        for (size_t i = 0; i < rm_reg_n; i++)
            if (rm_reg[i].hi <= lo || rm_reg[i].lo >= hi)
                rm_reg[w++] = rm_reg[i];
        rm_reg_n = w;
    }
    pthread_mutex_unlock(&rm_regions_mutex);
}

bool rm_regions_contains(uintptr_t addr)
{
    bool in = false;
    pthread_mutex_lock(&rm_regions_mutex);
    for (size_t i = 0; i < rm_reg_n && !in; i++)
        in = addr >= rm_reg[i].lo && addr < rm_reg[i].hi;
    pthread_mutex_unlock(&rm_regions_mutex);
    return in;
}

size_t rm_regions_list(struct rm_range *out, size_t cap)
{
    pthread_mutex_lock(&rm_regions_mutex);
    size_t n = rm_reg_n;
    if (out && cap)
        memcpy(out, rm_reg, (n < cap ? n : cap) * sizeof *out);
    pthread_mutex_unlock(&rm_regions_mutex);
    return n;
}

void rm_regions_clear(void)
{
    pthread_mutex_lock(&rm_regions_mutex);
    rm_reg_n = 0;
    pthread_mutex_unlock(&rm_regions_mutex);
}

void rm_regions_lock(void)
{
    pthread_mutex_lock(&rm_regions_mutex);
}

void rm_regions_unlock(void)
{
    pthread_mutex_unlock(&rm_regions_mutex);
}
