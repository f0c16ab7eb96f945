/* report_heap.c - a leak report and a heap dump written mid-run leave the
 * program's glibc heap exactly as it was (the report's own allocations,
 * libdw's among them, go to the tracker's report heap), for
 * tests/shim-report-heap.sh.  Run under the shim with leaks=1; argv[1] is a
 * directory.  Prints "heap untouched" and exits 0, or names the first
 * mallinfo2 field that changed and exits 1.
 *
 * Before the reports the program frees 100000 small blocks, so that glibc's
 * bins are full: any malloc the report made through glibc would change the
 * counts (a large one makes glibc consolidate the fast bins).  Afterwards
 * the report heap's 1 GiB region must be gone from /proc/self/maps: it is
 * unmapped when a report ends with nothing of it live.  Exits 77 where a
 * 1 GiB reservation cannot be had (an address-space limit). */
#define _GNU_SOURCE
#pragma GCC optimize("O0", "no-optimize-sibling-calls", "no-inline")
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "ratmem.h"

#define N 100000

static void *volatile leaked;

static __attribute__((noinline)) void leak_site(void)
{
    leaked = malloc(48);
    leaked = NULL; /* a leak, unless a stale copy remains */
}

static int same(const struct mallinfo2 *a, const struct mallinfo2 *b, const char *when)
{
#define FIELD(f)                                                                        \
    if (a->f != b->f) {                                                                 \
        printf("FAILED: %s: mallinfo2 %s %zu -> %zu\n", when, #f, a->f, b->f);          \
        return 0;                                                                       \
    }
    FIELD(arena) FIELD(ordblks) FIELD(smblks) FIELD(hblks) FIELD(hblkhd)
    FIELD(fsmblks) FIELD(uordblks) FIELD(fordblks) FIELD(keepcost)
#undef FIELD
    return 1;
}

/* Mappings of exactly 1 GiB (the report heap's size) in this process. */
static int gib_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && hi - lo == 1UL << 30)
            n++;
    }
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: report_heap DIR\n");
        return 2;
    }
    /* Made as track/report/rheap.c makes the region (so that a strict overcommit
     * policy refuses both alike). */
    void *probe = mmap(NULL, 1UL << 30, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (probe == MAP_FAILED) {
        printf("skip: no 1 GiB of address space for the report heap\n");
        return 77;
    }
    munmap(probe, 1UL << 30);
    int gib_before = gib_mappings();
    char p1[4096], p2[4096], p3[4096];
    snprintf(p1, sizeof p1, "%s/r1.json", argv[1]);
    snprintf(p2, sizeof p2, "%s/r2.json", argv[1]);
    snprintf(p3, sizeof p3, "%s/d.json", argv[1]);
    static void *blk[N];
    for (int i = 0; i < N; i++)
        blk[i] = malloc(16 + (size_t)(i % 5) * 16);
    for (int i = 0; i < N; i += 2)
        free(blk[i]);
    for (int i = 1; i < N; i += 2)
        free(blk[i]);
    leak_site();

    struct mallinfo2 before = mallinfo2();
    RatStatus s1 = RatLeakReport(p1);
    struct mallinfo2 after1 = mallinfo2();
    RatStatus s2 = RatLeakReport(p2); /* the report heap, reused */
    struct mallinfo2 after2 = mallinfo2();
    RatStatus s3 = RatHeapDump(p3);
    struct mallinfo2 after3 = mallinfo2();

    if (s1 != RAT_STATUS_OK || s2 != RAT_STATUS_OK || s3 != RAT_STATUS_OK) {
        printf("FAILED: report statuses %d %d %d\n", (int)s1, (int)s2, (int)s3);
        return 1;
    }
    if (!same(&before, &after1, "first report") || !same(&before, &after2, "second report") ||
        !same(&before, &after3, "heap dump"))
        return 1;
    int gib_after = gib_mappings();
    if (gib_after != gib_before) {
        printf("FAILED: %d mapping(s) of 1 GiB before the reports, %d after\n", gib_before, gib_after);
        return 1;
    }
    printf("heap untouched\n");
    return 0;
}
