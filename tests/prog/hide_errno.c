/* hide_errno.c - errno across successful calls of the interposed functions:
 * set to a marker before each, printed after ("NAME kept" or "NAME
 * errno=N").  Run bare and under the shim; the output must be the same. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MARK 4242

static void check(const char *name, int ok)
{
    int e = errno;
    if (!ok)
        printf("%s failed\n", name);
    else if (e == MARK)
        printf("%s kept\n", name);
    else
        printf("%s errno=%d\n", name, e);
}

#define T(name, expr, okexpr)         \
    do {                              \
        errno = MARK;                 \
        expr;                         \
        check(name, okexpr);          \
    } while (0)

int main(void)
{
    void *p = NULL, *q = NULL, *m = NULL;
    int rc = 0;
    for (int round = 0; round < 2; round++) {   /* first calls, then later ones */
        T("malloc", p = malloc(100), p != NULL);
        T("malloc-large", q = malloc(1 << 20), q != NULL);
        T("free-large", free(q), 1);
        T("realloc-grow", p = realloc(p, 5000), p != NULL);
        T("realloc-shrink", p = realloc(p, 10), p != NULL);
        T("realloc-null", q = realloc(NULL, 64), q != NULL);
        T("free", free(q), 1);
        T("free-null", free(NULL), 1);
        T("calloc", q = calloc(10, 10), q != NULL);
        T("free-calloc", free(q), 1);
        T("posix_memalign", rc = posix_memalign(&q, 64, 200), rc == 0);
        T("free-aligned", free(q), 1);
        T("aligned_alloc", q = aligned_alloc(256, 512), q != NULL);
        T("free-aligned_alloc", free(q), 1);
        T("memalign", q = memalign(4096, 100), q != NULL);
        T("free-memalign", free(q), 1);
        T("valloc", q = valloc(100), q != NULL);
        T("free-valloc", free(q), 1);
        T("strdup", q = strdup("hello"), q != NULL);
        T("free-strdup", free(q), 1);
        T("reallocarray", q = reallocarray(NULL, 4, 8), q != NULL);
        T("free-reallocarray", free(q), 1);
        T("malloc_usable_size", rc = (int)malloc_usable_size(p), rc >= 10);
        T("mmap", m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
          m != MAP_FAILED);
        T("mprotect", rc = mprotect(m, 8192, PROT_READ), rc == 0);
        T("mremap", m = mremap(m, 8192, 16384, MREMAP_MAYMOVE), m != MAP_FAILED);
        T("munmap", rc = munmap(m, 16384), rc == 0);
        T("pvalloc", q = pvalloc(100), q != NULL);
        T("free-pvalloc", free(q), 1);
        T("mmap64", m = mmap64(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
          m != MAP_FAILED);
        T("pkey_mprotect", rc = pkey_mprotect(m, 4096, PROT_READ | PROT_WRITE, -1), rc == 0);
        T("munmap64", rc = munmap(m, 4096), rc == 0);
        void *h = dlopen("libm.so.6", RTLD_NOW);
        T("dlclose", rc = h ? dlclose(h) : -1, rc == 0);
        T("free-p", free(p), 1);
    }
    return 0;
}
