/* stress_oom.c MODE - out of memory under an address-space limit
 * (setrlimit RLIMIT_AS).
 *   app:     the program's own allocations fail: malloc, calloc, realloc,
 *            posix_memalign of huge sizes and a run of 64 KiB blocks until
 *            the limit, each NULL (or ENOMEM) with errno ENOMEM; then the
 *            program frees and goes on.
 *   tracker: no new mapping at all may be made, while glibc still has
 *            64 MiB of free heap: the program's 200000 small blocks
 *            succeed, but the tracker cannot grow its tables for them (it
 *            must drop their records and count them untracked).
 *   tracker-keep: as tracker, but the limit stays until exit (the report
 *            itself may not get memory).
 * Prints "done". */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static struct rlimit saved;

static size_t vm_size(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %zu kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb * 1024;
}

static void limit(size_t bytes)
{
    getrlimit(RLIMIT_AS, &saved);
    struct rlimit r = { bytes, saved.rlim_max };
    if (setrlimit(RLIMIT_AS, &r) != 0) {
        perror("setrlimit");
        exit(1);
    }
}

static void unlimit(void)
{
    setrlimit(RLIMIT_AS, &saved);
}

static int fails(void *p, const char *what)
{
    if (p == NULL && errno == ENOMEM)
        return 1;
    printf("%s: %p, errno %d\n", what, p, errno);
    return 0;
}

static int app(void)
{
    char *volatile keep = malloc(1000);
    memset(keep, 7, 1000);
    limit(vm_size() + (64u << 20));
    size_t huge = (size_t)1 << 34;
    errno = 0;
    int ok = fails(malloc(huge), "malloc");
    errno = 0;
    ok &= fails(calloc(1, huge), "calloc");
    errno = 0;
    char *r = realloc(keep, huge);
    ok &= fails(r, "realloc");
    ok &= keep[999] == 7;   /* the old block is intact */
    void *a = NULL;
    ok &= posix_memalign(&a, 4096, huge) == ENOMEM && a == NULL;
    /* Fill the rest of the address space with 64 KiB blocks. */
    enum { MAX = 4096 };
    static void *blocks[MAX];
    int n = 0;
    errno = 0;
    while (n < MAX && (blocks[n] = malloc(64 << 10)) != NULL)
        memset(blocks[n++], 1, 64 << 10);
    ok &= n > 0 && n < MAX && errno == ENOMEM;
    for (int i = 0; i < n; i++)
        free(blocks[i]);
    /* And go on. */
    for (int i = 0; i < 1000; i++)
        free(malloc((size_t)i * 8 + 1));
    free(keep);
    unlimit();
    if (!ok) {
        printf("allocations did not fail as they should (%d blocks)\n", n);
        return 1;
    }
    return 0;
}

static int tracker(int keep_limit)
{
    enum { N = 200000 };
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    void **v = malloc(N * sizeof *v);
    char *big = malloc(64 << 20);
    void *fence = malloc(32);
    if (!v || !big || !fence)
        return 1;
    free(big);   /* 64 MiB of free heap, not given back (fence, no trim) */
    limit(vm_size());
    int got = 0;
    for (int i = 0; i < N; i++) {
        v[i] = malloc(48);
        if (v[i]) {
            got++;
            memset(v[i], 1, 48);
        }
    }
    for (int i = 0; i < N; i++)
        free(v[i]);
    if (!keep_limit)
        unlimit();
    free(fence);
    free(v);
    if (got != N) {
        printf("only %d of %d small blocks\n", got, N);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    int rc = !strcmp(m, "app") ? app()
           : !strcmp(m, "tracker") ? tracker(0)
           : !strcmp(m, "tracker-keep") ? tracker(1) : 2;
    if (rc == 0)
        puts("done");
    return rc;
}
