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
    void *arr = regions;
    if (ratmem_prim_grow_array(&arr, &regions_cap, regions_len, sizeof *regions, 64) != 0)
        return false;
    regions = arr;
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

struct ratmem_region *ratmem_regions_find_span(const void *ptr, size_t size, char **start,
                                               size_t *len)
{
    uintptr_t a = (uintptr_t)ptr, ps = ratmem_page_size();
    if (size == 0 || a + size < a || a + size > UINTPTR_MAX - ps)
        return NULL;
    uintptr_t s = a & ~(ps - 1);
    uintptr_t e = (a + size + ps - 1) & ~(ps - 1);
    struct ratmem_region *r = ratmem_regions_find_range((void *)s, e - s,
                                                        RATMEM_REGION_RESERVATION);
    if (!r)
        return NULL;
    /* The base is granule-aligned and the size a granule multiple, so the
     * widened span stays inside the reservation. */
    if (r->granule > ps) {
        uintptr_t g = r->granule;
        s &= ~(g - 1);
        e = (e + g - 1) & ~(g - 1);
    }
    *start = (char *)s;
    *len = e - s;
    return r;
}
