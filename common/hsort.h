/* hsort.h - an in-place heapsort: no recursion, no allocation (the tracker
 * sorts inside reports, dumps and signal handlers, where qsort may call
 * malloc).  cmp as qsort's; not stable. */
#ifndef RATMEM_COMMON_HSORT_H
#define RATMEM_COMMON_HSORT_H

#include <stddef.h>

static inline void ratmem_hsort_swap(char *a, char *b, size_t size)
{
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {   /* word by word, then the rest */
        unsigned long long x, y;
        __builtin_memcpy(&x, a + i, 8);
        __builtin_memcpy(&y, b + i, 8);
        __builtin_memcpy(a + i, &y, 8);
        __builtin_memcpy(b + i, &x, 8);
    }
    for (; i < size; i++) {
        char t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

static inline void ratmem_hsort_sift(char *v, size_t root, size_t end, size_t size,
                                     int (*cmp)(const void *, const void *))
{
    while (2 * root + 1 < end) {
        size_t c = 2 * root + 1, top = root;
        if (cmp(v + top * size, v + c * size) < 0)
            top = c;
        if (c + 1 < end && cmp(v + top * size, v + (c + 1) * size) < 0)
            top = c + 1;
        if (top == root)
            return;
        ratmem_hsort_swap(v + root * size, v + top * size, size);
        root = top;
    }
}

static inline void ratmem_hsort(void *base, size_t n, size_t size,
                                int (*cmp)(const void *, const void *))
{
    char *v = base;
    if (n < 2)
        return;
    for (size_t i = n / 2; i-- > 0;)
        ratmem_hsort_sift(v, i, n, size, cmp);
    for (size_t end = n - 1; end > 0; end--) {
        ratmem_hsort_swap(v, v + end * size, size);
        ratmem_hsort_sift(v, 0, end, size, cmp);
    }
}

#endif
