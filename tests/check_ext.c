/* check_ext.c - unit tests of the spec's extensions: huge page
 * reservations (lib/hugepage.c) and NUMA placement (lib/numa.c).
 *
 * The tests use what the machine has: they read /proc and /sys to know
 * which huge pages and NUMA nodes to expect, check what the kernel reports
 * (/proc/self/smaps, get_mempolicy), and print "check_ext: skip: ..." for
 * the parts the machine cannot show. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ratmem.h"

#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_F_NODE (1 << 0)
#define MPOL_F_ADDR (1 << 1)
#define MPOL_F_MEMS_ALLOWED (1 << 2)

#define NODE_BITS 4096
#define WORD_BITS (8 * sizeof(unsigned long))
#define NODE_WORDS (NODE_BITS / WORD_BITS + 1)

static void skip(const char *test, const char *why)
{
    printf("check_ext: skip: %s: %s\n", test, why);
    fflush(stdout);
}

static size_t page_size(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

/* ---- what the machine has ------------------------------------------- */

static long long meminfo(const char *key)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    long long v = -1;
    size_t klen = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':')
            v = strtoll(line + klen + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static long long file_number(const char *path)
{
    FILE *f = fopen(path, "r");
    long long v = -1;
    if (f) {
        if (fscanf(f, "%lld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static int thp_mode_never(void)
{
    char buf[128] = "";
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f)
        return 1;
    if (!fgets(buf, sizeof buf, f))
        buf[0] = '\0';
    fclose(f);
    return strstr(buf, "[never]") != NULL || !strchr(buf, '[');
}

/* The kind RatMemReserveHuge should give for n huge pages here. */
static RatPageKind expected_kind(size_t n)
{
    long long free = meminfo("HugePages_Free"), rsvd = meminfo("HugePages_Rsvd");
    if ((free > 0 && rsvd >= 0 && free - rsvd >= (long long)n) ||
        file_number("/proc/sys/vm/nr_overcommit_hugepages") > 0)
        return RAT_PAGES_HUGE_EXPLICIT;
    if (!thp_mode_never() && prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) != 1)
        return RAT_PAGES_HUGE_TRANSPARENT;
    return RAT_PAGES_NORMAL;
}

/* Fields of the /proc/self/smaps entry of the mapping holding addr, in kB
 * (THPeligible as is); -1 where absent. */
struct smaps_entry {
    long long kernel_page_kb, anon_huge_kb, thp_eligible, size_kb;
};

static int smaps_of(const void *addr, struct smaps_entry *e)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    int in = 0, found = 0;
    e->kernel_page_kb = e->anon_huge_kb = e->thp_eligible = e->size_kb = -1;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
            found |= in;
            continue;
        }
        if (!in)
            continue;
        sscanf(line, "KernelPageSize: %lld", &e->kernel_page_kb);
        sscanf(line, "AnonHugePages: %lld", &e->anon_huge_kb);
        sscanf(line, "THPeligible: %lld", &e->thp_eligible);
        sscanf(line, "Size: %lld", &e->size_kb);
    }
    if (f)
        fclose(f);
    return found;
}

static long sys_get_mempolicy(int *mode, unsigned long *mask, void *addr, unsigned long flags)
{
    return syscall(SYS_get_mempolicy, mode, mask, mask ? NODE_BITS + 1 : 0, addr, flags);
}

static int mask_get(const unsigned long *m, int n)
{
    return (int)((m[n / WORD_BITS] >> (n % WORD_BITS)) & 1);
}

static int mask_count(const unsigned long *m)
{
    int c = 0;
    for (int n = 0; n < NODE_BITS; n++)
        c += mask_get(m, n);
    return c;
}

/* The nodes this process may use (node 0 alone on a kernel without NUMA). */
static void allowed_nodes(unsigned long *m)
{
    memset(m, 0, NODE_WORDS * sizeof *m);
    if (sys_get_mempolicy(NULL, m, NULL, MPOL_F_MEMS_ALLOWED) != 0) {
        memset(m, 0, NODE_WORDS * sizeof *m);
        m[0] = 1;
    }
}

static int first_allowed_node(void)
{
    unsigned long m[NODE_WORDS];
    allowed_nodes(m);
    for (int n = 0; n < NODE_BITS; n++)
        if (mask_get(m, n))
            return n;
    return 0;
}

static int kernel_has_numa(void)
{
    unsigned long m[NODE_WORDS];
    return sys_get_mempolicy(NULL, m, NULL, MPOL_F_MEMS_ALLOWED) == 0;
}

/* The NUMA system calls refused outright, as by the seccomp filter that
 * container runtimes set without CAP_SYS_NICE: nothing can be shown. */
static int numa_blocked(const char *test)
{
    unsigned long m[NODE_WORDS];
    if (sys_get_mempolicy(NULL, m, NULL, MPOL_F_MEMS_ALLOWED) == 0 || errno == ENOSYS)
        return 0;
    skip(test, "get_mempolicy refused (a seccomp filter?): NUMA placement cannot be shown");
    return 1;
}

/* The policy of the page at addr: mode, and the node mask in m. */
static int policy_at(void *addr, unsigned long *m)
{
    int mode = -1;
    memset(m, 0, NODE_WORDS * sizeof *m);
    ck_assert_int_eq(sys_get_mempolicy(&mode, m, addr, MPOL_F_ADDR), 0);
    return mode;
}

static void touch(char *p, size_t len)
{
    for (size_t i = 0; i < len; i += page_size())
        p[i] = (char)(i / page_size() + 1);
}

/* ---- huge pages ------------------------------------------------------ */

START_TEST(test_huge_page_size)
{
    size_t hps = RatMemHugePageSize();
    ck_assert(hps >= page_size());
    ck_assert_uint_eq(hps & (hps - 1), 0);
    long long kb = meminfo("Hugepagesize");
    if (kb > 0)
        ck_assert_uint_eq(hps, (size_t)kb * 1024);
    else
        skip("huge_page_size", "no Hugepagesize in /proc/meminfo");
    ck_assert_uint_eq(RatMemHugePageSize(), hps);
}
END_TEST

START_TEST(test_huge_reserve_bad_size)
{
    RatPageKind got = RAT_PAGES_HUGE_EXPLICIT;
    ck_assert_ptr_null(RatMemReserveHuge(0, &got));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(got, RAT_PAGES_NORMAL);
    ck_assert_ptr_null(RatMemReserveHuge(SIZE_MAX, &got));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NO_MEMORY);
    ck_assert_ptr_null(RatMemReserveHuge(SIZE_MAX / 2 + 1, NULL));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NO_MEMORY);
    /* Within the size limit, but larger than any address space. */
    ck_assert_ptr_null(RatMemReserveHuge((size_t)PTRDIFF_MAX / 2 - (64u << 20), &got));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NO_MEMORY);
    ck_assert_int_eq(got, RAT_PAGES_NORMAL);
}
END_TEST

START_TEST(test_huge_reserve_rounds_and_aligns)
{
    size_t hps = RatMemHugePageSize();
    RatPageKind got, want = expected_kind(1);
    char *p = RatMemReserveHuge(1, &got);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq((uintptr_t)p % hps, 0);
    ck_assert_int_eq(got, want);
    /* The whole huge page is part of the reservation, the next is not. */
    ck_assert_int_eq(RatMemCommit(p, hps, RAT_MEM_READ | RAT_MEM_WRITE), RAT_STATUS_OK);
    ck_assert_int_eq(p[0], 0);
    ck_assert_int_eq(p[hps - 1], 0);
    p[hps - 1] = 7;
    ck_assert_int_eq(RatMemCommit(p, hps + 1, RAT_MEM_READ), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    /* Release takes the size asked for or the rounded size, nothing else. */
    ck_assert_int_eq(RatMemRelease(p, 2), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemRelease(p, 1), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemRelease(p, 1), RAT_STATUS_INVALID_ARG);

    char *q = RatMemReserveHuge(hps + 1, NULL);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq((uintptr_t)q % hps, 0);
    ck_assert_int_eq(RatMemCommit(q + hps, hps, RAT_MEM_READ), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemRelease(q, 2 * hps), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_huge_kernel_backing)
{
    size_t hps = RatMemHugePageSize(), len = 2 * hps;
    RatPageKind got, want = expected_kind(2);
    char *p = RatMemReserveHuge(len, &got);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(got, want);
    ck_assert_int_eq(RatMemCommit(p, len, RAT_MEM_READ | RAT_MEM_WRITE), RAT_STATUS_OK);
    touch(p, len);
    struct smaps_entry e;
    ck_assert(smaps_of(p, &e));
    switch (got) {
    case RAT_PAGES_HUGE_EXPLICIT:
        ck_assert_int_eq(e.kernel_page_kb, (long long)(hps / 1024));
        printf("check_ext: huge_kernel_backing: explicit huge pages, KernelPageSize %lld kB\n",
               e.kernel_page_kb);
        break;
    case RAT_PAGES_HUGE_TRANSPARENT:
        /* Eligibility is what madvise and the alignment buy; whether a huge
         * page was free at fault time is up to the kernel. */
        if (e.thp_eligible >= 0)
            ck_assert_int_eq(e.thp_eligible, 1);
        if (e.anon_huge_kb > 0)
            printf("check_ext: huge_kernel_backing: transparent huge pages, AnonHugePages %lld kB\n",
                   e.anon_huge_kb);
        else
            skip("huge_kernel_backing", "THP eligible, but the kernel had no free huge page at "
                                        "fault time (AnonHugePages 0)");
        break;
    case RAT_PAGES_NORMAL:
        ck_assert_int_eq(e.anon_huge_kb > 0 ? 0 : 1, 1);
        skip("huge_kernel_backing", "the machine gives no huge pages (no free hugetlb pages, "
                                    "THP never or disabled)");
        break;
    }
    for (size_t i = 0; i < len; i += page_size())
        ck_assert_int_eq(p[i], (char)(i / page_size() + 1));
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_huge_decommit_recommit)
{
    size_t hps = RatMemHugePageSize();
    RatPageKind got;
    char *p = RatMemReserveHuge(2 * hps, &got);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemCommit(p, 2 * hps, RAT_MEM_READ | RAT_MEM_WRITE), RAT_STATUS_OK);
    memset(p, 0x5a, 2 * hps);
    ck_assert_int_eq(RatMemDecommit(p + hps, hps), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemProtect(p + hps, hps, RAT_MEM_READ), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemCommit(p + hps, hps, RAT_MEM_READ | RAT_MEM_WRITE), RAT_STATUS_OK);
    ck_assert_int_eq(p[0], 0x5a);
    ck_assert_int_eq(p[hps - 1], 0x5a);
    for (size_t i = hps; i < 2 * hps; i += page_size())
        ck_assert_int_eq(p[i], 0);
    touch(p + hps, hps);
    struct smaps_entry e;
    ck_assert(smaps_of(p + hps, &e));
    if (got == RAT_PAGES_HUGE_TRANSPARENT && e.thp_eligible >= 0)
        ck_assert_int_eq(e.thp_eligible, 1); /* the advice survived */
    if (got == RAT_PAGES_HUGE_EXPLICIT)
        ck_assert_int_eq(e.kernel_page_kb, (long long)(hps / 1024));
    ck_assert_int_eq(RatMemProtect(p, 2 * hps, RAT_MEM_READ), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemProtect(p, hps, RAT_MEM_WRITE | RAT_MEM_EXECUTE), RAT_STATUS_PERMISSION);
    ck_assert_int_eq(RatMemRelease(p, 2 * hps), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_huge_explicit_granule)
{
    size_t hps = RatMemHugePageSize();
    RatPageKind got;
    char *p = RatMemReserveHuge(2 * hps, &got);
    ck_assert_ptr_nonnull(p);
    if (got != RAT_PAGES_HUGE_EXPLICIT) {
        skip("huge_explicit_granule", "no free explicit huge pages (vm.nr_hugepages)");
    } else {
        /* One byte commits its whole huge page, and decommits it too. */
        ck_assert_int_eq(RatMemCommit(p + hps + 5, 1, RAT_MEM_READ | RAT_MEM_WRITE),
                         RAT_STATUS_OK);
        p[hps] = 1;
        p[2 * hps - 1] = 2;
        ck_assert_int_eq(RatMemProtect(p + hps, hps, RAT_MEM_READ), RAT_STATUS_OK);
        ck_assert_int_eq(RatMemProtect(p, 1, RAT_MEM_READ), RAT_STATUS_INVALID_ARG);
        ck_assert_int_eq(RatMemDecommit(p + 2 * hps - 1, 1), RAT_STATUS_OK);
        ck_assert_int_eq(RatMemProtect(p + hps, 1, RAT_MEM_READ), RAT_STATUS_INVALID_ARG);
    }
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_huge_quota_charge)
{
    size_t hps = RatMemHugePageSize(), limit, used, peak, before;
    char *p = RatMemReserveHuge(hps, NULL);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemGetQuota(&limit, &before, &peak), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemCommit(p, 1, RAT_MEM_READ | RAT_MEM_WRITE), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemGetQuota(&limit, &used, &peak), RAT_STATUS_OK);
    ck_assert(used > before);
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemGetQuota(&limit, &used, &peak), RAT_STATUS_OK);
    ck_assert_uint_eq(used, before);
}
END_TEST

/* ---- NUMA ------------------------------------------------------------- */

START_TEST(test_numa_node_count)
{
    int n = RatNumaNodeCount();
    ck_assert_int_ge(n, 1);
    unsigned long m[NODE_WORDS];
    allowed_nodes(m);
    for (int i = n; i < NODE_BITS; i++)
        ck_assert(!mask_get(m, i)); /* every usable node is below the count */
    ck_assert_int_lt(first_allowed_node(), n);
    FILE *f = fopen("/sys/devices/system/node/online", "r");
    if (f) {
        char buf[256] = "";
        if (fgets(buf, sizeof buf, f)) {
            int hi = -1;
            for (char *s = buf; *s;) {
                char *end;
                long v = strtol(s, &end, 10);
                if (end != s) {
                    if (v > hi)
                        hi = (int)v;
                    s = end;
                } else {
                    s++;
                }
            }
            ck_assert_int_eq(n, hi + 1);
        }
        fclose(f);
    }
    printf("check_ext: numa_node_count: %d node(s), %d usable\n", n, mask_count(m));
}
END_TEST

START_TEST(test_numa_policies_reported)
{
    if (numa_blocked("numa_policies_reported"))
        return;
    size_t ps = page_size();
    int node = first_allowed_node();
    unsigned long m[NODE_WORDS], allowed[NODE_WORDS];
    allowed_nodes(allowed);
    char *p = RatMemReserve(4 * ps);
    ck_assert_ptr_nonnull(p);
    if (!kernel_has_numa()) {
        ck_assert_int_eq(RatMemSetNumaPolicy(p, ps, RAT_NUMA_BIND, 0), RAT_STATUS_OK);
        skip("numa_policies_reported", "kernel without NUMA: no get_mempolicy to check with");
        ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
        return;
    }
    ck_assert_int_eq(policy_at(p, m), MPOL_DEFAULT);

    ck_assert_int_eq(RatMemSetNumaPolicy(p, ps, RAT_NUMA_PREFERRED, node), RAT_STATUS_OK);
    ck_assert_int_eq(policy_at(p, m), MPOL_PREFERRED);
    ck_assert(mask_get(m, node));
    ck_assert_int_eq(mask_count(m), 1);

    ck_assert_int_eq(RatMemSetNumaPolicy(p + ps, ps, RAT_NUMA_BIND, node), RAT_STATUS_OK);
    ck_assert_int_eq(policy_at(p + ps, m), MPOL_BIND);
    ck_assert(mask_get(m, node));
    ck_assert_int_eq(mask_count(m), 1);
    /* Only the range asked for changed. */
    ck_assert_int_eq(policy_at(p, m), MPOL_PREFERRED);
    ck_assert_int_eq(policy_at(p + 2 * ps, m), MPOL_DEFAULT);

    ck_assert_int_eq(RatMemSetNumaPolicy(p + 2 * ps, 2 * ps, RAT_NUMA_INTERLEAVE,
                                         RAT_NUMA_ALL_NODES), RAT_STATUS_OK);
    ck_assert_int_eq(policy_at(p + 3 * ps, m), MPOL_INTERLEAVE);
    ck_assert_int_eq(memcmp(m, allowed, sizeof m), 0);

    ck_assert_int_eq(RatMemSetNumaPolicy(p + ps, ps, RAT_NUMA_BIND, RAT_NUMA_ALL_NODES),
                     RAT_STATUS_OK);
    ck_assert_int_eq(policy_at(p + ps, m), MPOL_BIND);
    ck_assert_int_eq(memcmp(m, allowed, sizeof m), 0);

    /* Back to the default; the node is ignored there. */
    ck_assert_int_eq(RatMemSetNumaPolicy(p, 4 * ps, RAT_NUMA_DEFAULT, 12345), RAT_STATUS_OK);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(policy_at(p + i * ps, m), MPOL_DEFAULT);
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_numa_pages_land_on_node)
{
    if (numa_blocked("numa_pages_land_on_node"))
        return;
    size_t ps = page_size();
    int node = first_allowed_node();
    unsigned long allowed[NODE_WORDS];
    allowed_nodes(allowed);
    for (int n = 0; n < NODE_BITS; n++)
        if (mask_get(allowed, n))
            node = n; /* the last usable node: not the default one where there are two */
    if (!kernel_has_numa()) {
        skip("numa_pages_land_on_node", "kernel without NUMA");
        return;
    }
    char *p = RatMemReserve(8 * ps);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemSetNumaPolicy(p, 8 * ps, RAT_NUMA_BIND, node), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemCommit(p, 8 * ps, RAT_MEM_READ | RAT_MEM_WRITE), RAT_STATUS_OK);
    touch(p, 8 * ps);
    for (int i = 0; i < 8; i++) {
        int where = -1;
        ck_assert_int_eq(sys_get_mempolicy(&where, NULL, p + i * ps, MPOL_F_NODE | MPOL_F_ADDR), 0);
        ck_assert_int_eq(where, node);
    }
    if (mask_count(allowed) < 2)
        skip("numa_pages_land_on_node", "one usable node: binding elsewhere cannot be shown");
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_numa_bad_node)
{
    if (numa_blocked("numa_bad_node"))
        return;
    size_t ps = page_size();
    int n = RatNumaNodeCount();
    unsigned long allowed[NODE_WORDS];
    allowed_nodes(allowed);
    char *p = RatMemReserve(ps);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemSetNumaPolicy(p, ps, RAT_NUMA_PREFERRED, n), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemSetNumaPolicy(p, ps, RAT_NUMA_BIND, n), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemSetNumaPolicy(p, ps, RAT_NUMA_BIND, -2), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemSetNumaPolicy(p, ps, RAT_NUMA_BIND, 1 << 20), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemSetNumaPolicy(p, ps, RAT_NUMA_PREFERRED, RAT_NUMA_ALL_NODES),
                     RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemSetNumaPolicy(p, ps, (RatNumaPolicy)42, 0), RAT_STATUS_INVALID_ARG);
    /* Every node number below the count that the process may not use. */
    for (int i = 0; i < n; i++)
        if (!mask_get(allowed, i))
            ck_assert_int_eq(RatMemSetNumaPolicy(p, ps, RAT_NUMA_BIND, i), RAT_STATUS_INVALID_ARG);
    if (n == 1) {
        ck_assert_int_eq(RatMemSetNumaPolicy(p, ps, RAT_NUMA_PREFERRED, 0), RAT_STATUS_OK);
        ck_assert_int_eq(RatMemSetNumaPolicy(p, ps, RAT_NUMA_PREFERRED, 1), RAT_STATUS_INVALID_ARG);
        ck_assert_int_eq(RatMemSetNumaPolicy(p, ps, RAT_NUMA_BIND, 1), RAT_STATUS_INVALID_ARG);
    }
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_numa_outside_reservation)
{
    if (numa_blocked("numa_outside_reservation"))
        return;
    size_t ps = page_size();
    int node = first_allowed_node();
    char *p = RatMemReserve(2 * ps);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemSetNumaPolicy(p, 0, RAT_NUMA_BIND, node), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemSetNumaPolicy(p + ps, ps + 1, RAT_NUMA_BIND, node),
                     RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemSetNumaPolicy(p - 1, 2, RAT_NUMA_BIND, node), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemSetNumaPolicy(NULL, ps, RAT_NUMA_BIND, node), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemSetNumaPolicy((void *)UINTPTR_MAX, 2, RAT_NUMA_BIND, node),
                     RAT_STATUS_INVALID_ARG);
    char *heap = RatMemAlloc(64);
    ck_assert_ptr_nonnull(heap);
    ck_assert_int_eq(RatMemSetNumaPolicy(heap, 64, RAT_NUMA_BIND, node), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemFree(heap), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemSetNumaPolicy(p + 1, ps, RAT_NUMA_BIND, node), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemSetNumaPolicy(p, ps, RAT_NUMA_BIND, node), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
}
END_TEST

START_TEST(test_numa_policy_survives_decommit)
{
    if (numa_blocked("numa_policy_survives_decommit"))
        return;
    size_t ps = page_size();
    int node = first_allowed_node();
    unsigned long m[NODE_WORDS];
    if (!kernel_has_numa()) {
        skip("numa_policy_survives_decommit", "kernel without NUMA");
        return;
    }
    char *p = RatMemReserve(4 * ps);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemSetNumaPolicy(p, 4 * ps, RAT_NUMA_BIND, node), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemCommit(p, 4 * ps, RAT_MEM_READ | RAT_MEM_WRITE), RAT_STATUS_OK);
    touch(p, 4 * ps);
    ck_assert_int_eq(RatMemDecommit(p + ps, 2 * ps), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemCommit(p + ps, ps, RAT_MEM_READ), RAT_STATUS_OK);
    ck_assert_int_eq(p[ps], 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(policy_at(p + i * ps, m), MPOL_BIND);
        ck_assert(mask_get(m, node));
    }
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_numa_huge_reservation)
{
    if (numa_blocked("numa_huge_reservation"))
        return;
    size_t hps = RatMemHugePageSize();
    int node = first_allowed_node();
    unsigned long m[NODE_WORDS];
    RatPageKind got;
    char *p = RatMemReserveHuge(2 * hps, &got);
    ck_assert_ptr_nonnull(p);
    /* With explicit huge pages the policy covers whole huge pages. */
    ck_assert_int_eq(RatMemSetNumaPolicy(p + hps, 1, RAT_NUMA_PREFERRED, node), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemCommit(p, 2 * hps, RAT_MEM_READ | RAT_MEM_WRITE), RAT_STATUS_OK);
    touch(p, 2 * hps);
    if (kernel_has_numa()) {
        ck_assert_int_eq(policy_at(p + hps, m), MPOL_PREFERRED);
        ck_assert(mask_get(m, node));
        ck_assert_int_eq(policy_at(p, m), MPOL_DEFAULT);
        if (got == RAT_PAGES_HUGE_EXPLICIT)
            ck_assert_int_eq(policy_at(p + 2 * hps - 1, m), MPOL_PREFERRED);
    }
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
}
END_TEST

static Suite *ext_suite(void)
{
    Suite *s = suite_create("ext");
    TCase *tc = tcase_create("hugepages");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_huge_page_size);
    tcase_add_test(tc, test_huge_reserve_bad_size);
    tcase_add_test(tc, test_huge_reserve_rounds_and_aligns);
    tcase_add_test(tc, test_huge_kernel_backing);
    tcase_add_test(tc, test_huge_decommit_recommit);
    tcase_add_test(tc, test_huge_explicit_granule);
    tcase_add_test(tc, test_huge_quota_charge);
    suite_add_tcase(s, tc);
    tc = tcase_create("numa");
    tcase_add_test(tc, test_numa_node_count);
    tcase_add_test(tc, test_numa_policies_reported);
    tcase_add_test(tc, test_numa_pages_land_on_node);
    tcase_add_test(tc, test_numa_bad_node);
    tcase_add_test(tc, test_numa_outside_reservation);
    tcase_add_test(tc, test_numa_policy_survives_decommit);
    tcase_add_test(tc, test_numa_huge_reservation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ext_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
