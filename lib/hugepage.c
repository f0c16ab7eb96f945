/* hugepage.c - RatMemHugePageSize and RatMemReserveHuge: reservations
 * backed by huge pages.
 *
 * The reservation is sized and aligned to the default huge page size, and
 * backed by the first of these the machine offers:
 *   1. explicit huge pages: a PROT_NONE MAP_HUGETLB mapping, tried when
 *      the pool has enough free, unreserved pages (HugePages_Free minus
 *      HugePages_Rsvd in /proc/meminfo) or may grow (nr_overcommit_hugepages).
 *      The kernel reserves the pool pages for the whole mapping at once,
 *      so faults after a commit never fail; committing, protecting and
 *      decommitting work in whole huge pages (the region's granule);
 *   2. transparent huge pages: an aligned PROT_NONE anonymous mapping with
 *      madvise(MADV_HUGEPAGE), when THP is not "never" and the process has
 *      not switched it off (PR_SET_THP_DISABLE).  The kernel uses a huge
 *      page where a whole aligned huge page is committed and it has one
 *      free at fault time, small pages otherwise;
 *   3. normal pages: the same aligned mapping, without the advice.
 * Each is then registered as an ordinary reservation (vmem.c). */
#include "config.h"
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include "internal.h"
#include "prim.h"

#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif
#ifndef PR_GET_THP_DISABLE
#define PR_GET_THP_DISABLE 42
#endif

#define DEFAULT_HUGE_PAGE ((size_t)2 << 20)

/* The value of "key:" in /proc/meminfo (in the file's unit), or -1. */
static long long meminfo_value(const char *key)
{
    char buf[8192];
    if (ratmem_read_small_file("/proc/meminfo", buf, sizeof buf) < 0)
        return -1;
    size_t klen = strlen(key);
    for (const char *line = buf; *line;) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':')
            return strtoll(line + klen + 1, NULL, 10);
        const char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    return -1;
}

/* A single unsigned number from a /proc or /sys file, or -1. */
static long long file_value(const char *path)
{
    char buf[64];
    if (ratmem_read_small_file(path, buf, sizeof buf) <= 0)
        return -1;
    return strtoll(buf, NULL, 10);
}

static bool is_pow2(unsigned long long v)
{
    return v && (v & (v - 1)) == 0;
}

size_t RatMemHugePageSize(void)
{
    /* Written once with the same value by any thread: a benign race, made
     * explicit with relaxed atomics. */
    static _Atomic size_t cached;
    size_t hps = atomic_load_explicit(&cached, memory_order_relaxed);
    if (hps)
        return hps;
    long long kb = meminfo_value("Hugepagesize");
    long long pmd = file_value("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
    if (kb > 0 && (unsigned long long)kb <= SIZE_MAX / 1024 && is_pow2((unsigned long long)kb))
        hps = (size_t)kb * 1024;
    else if (pmd > 0 && is_pow2((unsigned long long)pmd))
        hps = (size_t)pmd;
    else
        hps = DEFAULT_HUGE_PAGE;
    if (hps < ratmem_page_size())
        hps = ratmem_page_size();
    atomic_store_explicit(&cached, hps, memory_order_relaxed);
    return hps;
}

/* May an explicit huge page mapping of n huge pages succeed? */
static bool explicit_possible(size_t n)
{
    long long free = meminfo_value("HugePages_Free");
    long long rsvd = meminfo_value("HugePages_Rsvd");
    if (free > 0 && rsvd >= 0 && free - rsvd >= 0 && (unsigned long long)(free - rsvd) >= n)
        return true;
    return file_value("/proc/sys/vm/nr_overcommit_hugepages") > 0;
}

/* Is THP on for madvised memory in this process? */
static bool thp_possible(void)
{
    char buf[128];
    if (ratmem_read_small_file("/sys/kernel/mm/transparent_hugepage/enabled", buf,
                               sizeof buf) <= 0)
        return false;
    if (strstr(buf, "[never]") || !strchr(buf, '['))
        return false;
    return prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) != 1;
}

/* An inaccessible anonymous mapping of len bytes aligned to align, or a
 * failed value (ratmem_prim_failed). */
static void *map_aligned(size_t len, size_t align)
{
    size_t ps = ratmem_page_size();
    size_t extra = align > ps ? align - ps : 0;
    if (len > SIZE_MAX - extra)
        return (void *)(long)-ENOMEM;
    char *p = ratmem_prim_mmap(NULL, len + extra, PROT_NONE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ratmem_prim_failed(p))
        return p;
    uintptr_t a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
    size_t head = a - (uintptr_t)p;
    if (head)
        ratmem_prim_munmap(p, head);
    if (extra - head)
        ratmem_prim_munmap((char *)a + len, extra - head);
    return (void *)a;
}

RatMemPtr RatMemReserveHuge(size_t size, RatPageKind *got)
{
    if (got)
        *got = RAT_PAGES_NORMAL;
    if (size == 0)
        return ratmem_fail_null(RAT_STATUS_INVALID_ARG);
    size_t hps = RatMemHugePageSize();
    if (size > SIZE_MAX - (hps - 1))
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);
    size_t len = (size + hps - 1) & ~(hps - 1);
    if (len > (size_t)PTRDIFF_MAX / 2)
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);

    RatPageKind kind = RAT_PAGES_NORMAL;
    size_t granule = 0;
    void *base = (void *)(long)-ENOMEM;
    if (explicit_possible(len / hps)) {
        base = ratmem_prim_mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
                                -1, 0);
        if (!ratmem_prim_failed(base) && ((uintptr_t)base & (hps - 1)) != 0) {
            /* A pool of another size answered: not what was promised. */
            ratmem_prim_munmap(base, len);
            base = (void *)(long)-EINVAL;
        }
        if (!ratmem_prim_failed(base)) {
            kind = RAT_PAGES_HUGE_EXPLICIT;
            granule = hps;
        }
    }
    if (ratmem_prim_failed(base)) {
        base = map_aligned(len, hps);
        if (ratmem_prim_failed(base)) {
            /* The arguments are ours and valid, so EINVAL ("length too
             * large", as valgrind says) is lack of address space too. */
            int err = ratmem_prim_errno(base);
            return ratmem_fail_null(err == EINVAL ? RAT_STATUS_NO_MEMORY
                                                  : ratmem_status_from_errno(err));
        }
        if (thp_possible() && ratmem_prim_madvise(base, len, MADV_HUGEPAGE) == 0)
            kind = RAT_PAGES_HUGE_TRANSPARENT;
    }
    RatStatus st = ratmem_reservation_add(base, len, size, granule, kind);
    if (st != RAT_STATUS_OK)
        return ratmem_fail_null(st);
    if (got)
        *got = kind;
    return base;
}
