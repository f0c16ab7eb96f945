/* regions.c - the registry of mappings made by RatAPI (see internal.h).
 *
 * Global state: `regions` (an array in memory mapped here) and its length,
 * owned by this file and guarded by `regions_mu`.  The array is small (one
 * entry per live reservation, shared-memory mapping or file view), so
 * lookups are linear scans. */
#include "config.h"
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "internal.h"
#include "prim.h"

static pthread_mutex_t regions_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ratmem_region *regions;
static size_t regions_len, regions_cap;

void ratmem_regions_lock(void)
{
    pthread_mutex_lock(&regions_mu);
}

void ratmem_regions_unlock(void)
{
    pthread_mutex_unlock(&regions_mu);
}

static bool grow(void)
{
    size_t ncap = regions_cap ? regions_cap * 2 : 64;
    size_t bytes = ratmem_page_round(ncap * sizeof *regions);
    if (!bytes)
        return false;
    void *p = ratmem_prim_mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ratmem_prim_failed(p))
        return false;
    if (regions) {
        memcpy(p, regions, regions_len * sizeof *regions);
        ratmem_prim_munmap(regions, ratmem_page_round(regions_cap * sizeof *regions));
    }
    regions = p;
    regions_cap = bytes / sizeof *regions;
    return true;
}

bool ratmem_regions_add(const struct ratmem_region *r)
{
    if (regions_len == regions_cap && !grow())
        return false;
    regions[regions_len++] = *r;
    return true;
}

struct ratmem_region *ratmem_regions_find_base(const void *base, enum ratmem_region_kind kind)
{
    for (size_t i = 0; i < regions_len; i++)
        if (regions[i].base == base && regions[i].kind == kind)
            return &regions[i];
    return NULL;
}

struct ratmem_region *ratmem_regions_find_range(const void *addr, size_t len,
                                                enum ratmem_region_kind kind)
{
    uintptr_t a = (uintptr_t)addr;
    if (len == 0 || a + len < a)
        return NULL;
    for (size_t i = 0; i < regions_len; i++) {
        uintptr_t b = (uintptr_t)regions[i].base;
        if (regions[i].kind == kind && a >= b && a + len <= b + regions[i].size)
            return &regions[i];
    }
    return NULL;
}

void ratmem_regions_remove(struct ratmem_region *r)
{
    size_t i = (size_t)(r - regions);
    regions[i] = regions[--regions_len];
}
