/* zero_reuse.c - every allocation function hands out zeroed memory, even a
 * block reused right after it was dirtied and freed.  Exit 0 when all were
 * zero; 1 (and a line per dirty case) otherwise.  Bare glibc fails this. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int bad;

static void check(const char *what, size_t size, unsigned char *p, size_t from)
{
    if (!p) {
        printf("%s(%zu): NULL\n", what, size);
        bad = 1;
        return;
    }
    size_t n = malloc_usable_size(p);
    for (size_t i = from; i < n; i++)
        if (p[i]) {
            printf("%s(%zu): byte %zu of %zu is 0x%02x\n", what, size, i, n, p[i]);
            bad = 1;
            return;
        }
}

static void *dirty(void *p)
{
    memset(p, 0xAB, malloc_usable_size(p));
    return p;
}

/* Old data in the middle only (a block's first and last bytes are what a
 * cheap check would look at). */
static void *dirty_mid(void *p)
{
    size_t n = malloc_usable_size(p);
    memset((char *)p + 16, 0xCD, n - 32);
    return p;
}

int main(void)
{
    static const size_t sizes[] = { 1, 8, 24, 25, 40, 56, 57, 100, 120, 121, 1000, 4096, 70000, 300000 };
    long page = sysconf(_SC_PAGESIZE);
    /* Memory that went back to the top of the heap (a freed block next to
     * it merges into it; malloc_trim may give pages back) and is carved
     * again, old data in the middle only: a shim that skipped clearing
     * "fresh" top memory, or looked only at a block's ends, would fail
     * here.  First, before any other block has been dirtied. */
    for (int round = 0; round < 4; round++) {
        size_t n = 20000 + (size_t)round * 4096;
        unsigned char *a = dirty_mid(malloc(n)), *b = dirty_mid(malloc(n / 2));
        free(b);
        free(a);
        if (round & 1)
            malloc_trim(0);
        check("malloc from the top again", n * 2, malloc(n * 2), 0);
        unsigned char *r = malloc(64);
        size_t old = malloc_usable_size(r);
        free(dirty_mid(malloc(n * 3)));
        check("realloc into the top", n, realloc(r, n), old);
    }
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        for (int round = 0; round < 3; round++) {
            void *p;
            free(dirty(malloc(n)));
            check("malloc", n, malloc(n), 0);
            free(dirty(malloc(n)));
            check("calloc", n, calloc(1, n), 0);
            free(dirty(malloc(n)));
            if (posix_memalign(&p, 64, n) != 0)
                p = NULL;
            check("posix_memalign", n, p, 0);
            free(dirty(malloc(n)));
            check("aligned_alloc", n, aligned_alloc(32, (n + 31) & ~(size_t)31), 0);
            free(dirty(malloc(n)));
            check("memalign", n, memalign(128, n), 0);
            free(dirty(valloc(n)));
            check("valloc", n, valloc(n), 0);
            free(dirty(pvalloc(n)));
            check("pvalloc", n, pvalloc((size_t)page), 0);
            /* realloc: the grown tail is zero. */
            unsigned char *r = dirty(malloc(n));
            size_t old = malloc_usable_size(r);
            free(dirty(malloc(n * 4)));
            r = realloc(r, n * 4);
            check("realloc tail", n * 4, r, old);
            free(r);
            r = reallocarray(NULL, n, 2);
            check("reallocarray", n * 2, r, 0);
            free(r);
        }
    }
    /* The leaks above (check() does not free) are on purpose: they keep
     * dirty blocks from being handed back to later checks. */
    puts(bad ? "dirty memory seen" : "all zero");
    return bad;
}
