/* vmem.c - RatMemReserve, RatMemCommit, RatMemDecommit, RatMemProtect,
 * RatMemRelease: Win32 VirtualAlloc-style address space management.
 *
 * A reservation is an inaccessible (PROT_NONE, MAP_NORESERVE) anonymous
 * mapping.  Committing gives pages an access protection; decommitting maps
 * fresh PROT_NONE pages over them, so their contents are dropped and they
 * read as zero when committed again.  Each reservation keeps a bitmap of
 * its committed pages (in regions.c), under the registry lock. */
#include "config.h"
#include <stdint.h>
#include <sys/mman.h>
#include "internal.h"
#include "prim.h"
#include "prot.h"

#define RESERVE_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)

static inline bool bit_get(const unsigned char *bm, size_t i)
{
    return bm[i / 8] & (1u << (i % 8));
}

static inline void bit_set(unsigned char *bm, size_t i, bool v)
{
    if (v)
        bm[i / 8] |= (unsigned char)(1u << (i % 8));
    else
        bm[i / 8] &= (unsigned char)~(1u << (i % 8));
}

RatMemPtr RatMemReserve(size_t size)
{
    if (size == 0)
        return ratmem_fail_null(RAT_STATUS_INVALID_ARG);
    size_t len = ratmem_page_round(size);
    if (len == 0 || len > (size_t)PTRDIFF_MAX)
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);
    size_t npages = len / ratmem_page_size();
    size_t bmlen = ratmem_page_round((npages + 7) / 8);

    void *base = ratmem_prim_mmap(NULL, len, PROT_NONE, RESERVE_FLAGS, -1, 0);
    if (ratmem_prim_failed(base))
        return ratmem_fail_null(ratmem_status_from_errno(ratmem_prim_errno(base)));
    void *bm = ratmem_prim_mmap(NULL, bmlen, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ratmem_prim_failed(bm)) {
        ratmem_prim_munmap(base, len);
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);
    }
    struct ratmem_region r = {
        .base = base, .size = len, .user_size = size,
        .kind = RATMEM_REGION_RESERVATION, .committed = bm, .committed_len = bmlen,
    };
    ratmem_regions_lock();
    bool ok = ratmem_regions_add(&r);
    ratmem_regions_unlock();
    if (!ok) {
        ratmem_prim_munmap(bm, bmlen);
        ratmem_prim_munmap(base, len);
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);
    }
    return base;
}

/* The pages covering [ptr, ptr+size): *start and *len, page-aligned.
 * False when size is 0 or the range wraps. */
static bool page_span(const void *ptr, size_t size, char **start, size_t *len)
{
    uintptr_t a = (uintptr_t)ptr, ps = ratmem_page_size();
    if (size == 0 || a + size < a || a + size > UINTPTR_MAX - ps)
        return false;
    uintptr_t s = a & ~(ps - 1);
    uintptr_t e = (a + size + ps - 1) & ~(ps - 1);
    *start = (char *)s;
    *len = e - s;
    return true;
}

/* Locked: the reservation holding the pages of [ptr, ptr+size), with the
 * index of the first page in *first. */
static struct ratmem_region *span_region(const void *ptr, size_t size, char **start,
                                         size_t *len, size_t *first)
{
    if (!page_span(ptr, size, start, len))
        return NULL;
    struct ratmem_region *r = ratmem_regions_find_range(*start, *len, RATMEM_REGION_RESERVATION);
    if (r)
        *first = (size_t)(*start - r->base) / ratmem_page_size();
    return r;
}

RatStatus RatMemCommit(RatMemPtr ptr, size_t size, int protectionFlags)
{
    int prot;
    char *start;
    size_t len, first;
    RatStatus st = ratmem_prot_from_flags(protectionFlags, &prot);
    if (st != RAT_STATUS_OK)
        return ratmem_fail(st);
    ratmem_regions_lock();
    struct ratmem_region *r = span_region(ptr, size, &start, &len, &first);
    if (!r) {
        ratmem_regions_unlock();
        return ratmem_fail(RAT_STATUS_INVALID_ARG);
    }
    /* Pages committed anew are charged to the quota. */
    size_t n = len / ratmem_page_size(), fresh = 0;
    for (size_t i = 0; i < n; i++)
        fresh += !bit_get(r->committed, first + i);
    if (fresh && !ratmem_quota_charge_map(fresh * ratmem_page_size())) {
        ratmem_regions_unlock();
        return ratmem_fail(RAT_STATUS_NO_MEMORY);
    }
    int rc = ratmem_prim_mprotect(start, len, prot);
    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            bit_set(r->committed, first + i, true);
    } else if (fresh) {
        ratmem_quota_release_map(fresh * ratmem_page_size());
    }
    ratmem_regions_unlock();
    return rc == 0 ? RAT_STATUS_OK : ratmem_fail(ratmem_status_from_errno(-rc));
}

RatStatus RatMemDecommit(RatMemPtr ptr, size_t size)
{
    char *start;
    size_t len, first;
    ratmem_regions_lock();
    struct ratmem_region *r = span_region(ptr, size, &start, &len, &first);
    if (!r) {
        ratmem_regions_unlock();
        return ratmem_fail(RAT_STATUS_INVALID_ARG);
    }
    void *p = ratmem_prim_mmap(start, len, PROT_NONE, RESERVE_FLAGS | MAP_FIXED, -1, 0);
    bool ok = !ratmem_prim_failed(p);
    if (ok) {
        size_t n = len / ratmem_page_size(), dropped = 0;
        for (size_t i = 0; i < n; i++) {
            dropped += bit_get(r->committed, first + i);
            bit_set(r->committed, first + i, false);
        }
        ratmem_quota_release_map(dropped * ratmem_page_size());
    }
    ratmem_regions_unlock();
    return ok ? RAT_STATUS_OK : ratmem_fail(ratmem_status_from_errno(ratmem_prim_errno(p)));
}

RatStatus RatMemProtect(RatMemPtr ptr, size_t size, int protectionFlags)
{
    int prot;
    char *start;
    size_t len, first;
    RatStatus st = ratmem_prot_from_flags(protectionFlags, &prot);
    if (st != RAT_STATUS_OK)
        return ratmem_fail(st);
    ratmem_regions_lock();
    struct ratmem_region *r = span_region(ptr, size, &start, &len, &first);
    size_t n = r ? len / ratmem_page_size() : 0;
    for (size_t i = 0; r && i < n; i++)
        if (!bit_get(r->committed, first + i))
            r = NULL; /* protect applies to committed pages only */
    if (!r) {
        ratmem_regions_unlock();
        return ratmem_fail(RAT_STATUS_INVALID_ARG);
    }
    int rc = ratmem_prim_mprotect(start, len, prot);
    ratmem_regions_unlock();
    return rc == 0 ? RAT_STATUS_OK : ratmem_fail(ratmem_status_from_errno(-rc));
}

RatStatus RatMemRelease(RatMemPtr ptr, size_t size)
{
    ratmem_regions_lock();
    struct ratmem_region *r = ratmem_regions_find_base(ptr, RATMEM_REGION_RESERVATION);
    if (!r || (size != 0 && size != r->size && size != r->user_size)) {
        ratmem_regions_unlock();
        return ratmem_fail(RAT_STATUS_INVALID_ARG);
    }
    size_t npages = r->size / ratmem_page_size(), committed = 0;
    for (size_t i = 0; i < npages; i++)
        committed += bit_get(r->committed, i);
    ratmem_quota_release_map(committed * ratmem_page_size());
    ratmem_prim_munmap(r->base, r->size);
    ratmem_prim_munmap(r->committed, r->committed_len);
    ratmem_regions_remove(r);
    ratmem_regions_unlock();
    return RAT_STATUS_OK;
}
