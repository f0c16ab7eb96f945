/* sample_acc.c - known live and allocated bytes under known stacks, for
 * the accuracy of sampled heap profiles (tests/shim-sample.sh).
 *
 *     sample_acc SEED RATE
 *
 * Three holders, hold_big (64 MiB live), hold_mid (16 MiB) and hold_small
 * (1 MiB), each allocating through its own function, in blocks of 16 B to
 * 1 MiB with equal bytes in each power-of-two size class (so small blocks,
 * which sampling sees least, hold a fair share of the bytes).  Each fills
 * to its target, then churns: frees, reallocates and allocates anew, then
 * tops up to its target again.  Everything stays live at exit, where the
 * shim writes its profile.  On stdout, one JSON object per holder: the
 * truth (live bytes and blocks, bytes and blocks allocated, reallocs
 * counted as allocations of their new size, as the shim counts them) and
 * the variance of the sampling estimators at RATE bytes (see the test). */
#define _GNU_SOURCE
#pragma GCC optimize("O0", "no-optimize-sibling-calls", "no-inline")
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NOINLINE __attribute__((noinline))

static uint64_t rng;
static uint64_t next(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * UINT64_C(0x2545f4914f6cdd1d);
}

/* 16 B .. 1 MiB: the size class 2^k (k = 4..19) with probability
 * proportional to 2^-k, then uniform inside it: equal bytes per class. */
static size_t pick_size(void)
{
    static double cum[20];
    if (!cum[19]) {
        double t = 0;
        for (int k = 4; k < 20; k++)
            cum[k] = (t += ldexp(1, -k));
        for (int k = 4; k < 20; k++)
            cum[k] /= t;
    }
    double u = (double)(next() >> 11) / 9007199254740992.0;
    int k = 4;
    while (k < 19 && u > cum[k])
        k++;
    return ((size_t)1 << k) + next() % ((size_t)1 << k);
}

struct holder {
    const char *name;
    size_t target;
    void **ptr;
    size_t *size;
    size_t n, cap;
    double live_bytes, live_blocks, alloc_bytes, alloc_blocks;
    double var_alloc_bytes, var_alloc_blocks;
};

static double rate;

/* Variance contributions of one block of s bytes sampled with probability
 * p = 1 - exp(-s/rate), estimated as s/p bytes and 1/p blocks. */
static void var_of(size_t s, double *vb, double *vn)
{
    double p = -expm1(-(double)(s ? s : 1) / rate);
    *vb = (double)s * (double)s * (1 - p) / p;
    *vn = (1 - p) / p;
}

static void counted(struct holder *h, size_t s)
{
    double vb, vn;
    var_of(s, &vb, &vn);
    h->alloc_bytes += (double)s;
    h->alloc_blocks += 1;
    h->var_alloc_bytes += vb;
    h->var_alloc_blocks += vn;
}

/* One allocation function per holder: the profile's stacks. */
NOINLINE void *big_alloc(void *old, size_t s) { return old ? realloc(old, s) : malloc(s); }
NOINLINE void *mid_alloc(void *old, size_t s) { return old ? realloc(old, s) : malloc(s); }
NOINLINE void *small_alloc(void *old, size_t s) { return old ? realloc(old, s) : malloc(s); }

static void *get(struct holder *h, void *old, size_t s)
{
    void *p = h->name[0] == 'b' ? big_alloc(old, s) : h->name[0] == 'm' ? mid_alloc(old, s)
                                                                      : small_alloc(old, s);
    if (!p) {
        perror("sample_acc: malloc");
        exit(1);
    }
    memset(p, 1, s < 64 ? s : 64);
    counted(h, s);
    return p;
}

static void add(struct holder *h)
{
    if (h->n == h->cap) {
        size_t nc = h->cap ? h->cap * 2 : 4096;
        void **np = mmap(NULL, nc * sizeof *np, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        size_t *ns = mmap(NULL, nc * sizeof *ns, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (np == MAP_FAILED || ns == MAP_FAILED)
            exit(1);
        if (h->n) {
            memcpy(np, h->ptr, h->n * sizeof *np);
            memcpy(ns, h->size, h->n * sizeof *ns);
        }
        h->ptr = np;
        h->size = ns;
        h->cap = nc;
    }
    size_t s = pick_size();
    h->ptr[h->n] = get(h, NULL, s);
    h->size[h->n] = s;
    h->n++;
    h->live_bytes += (double)s;
}

static void churn(struct holder *h, size_t rounds)
{
    for (size_t r = 0; r < rounds && h->n; r++) {
        size_t i = next() % h->n;
        unsigned what = (unsigned)(next() % 3);
        if (what == 0) {   /* reallocate to a new size */
            size_t s = pick_size();
            h->live_bytes += (double)s - (double)h->size[i];
            h->ptr[i] = get(h, h->ptr[i], s);
            h->size[i] = s;
        } else {           /* free, and (what == 1) allocate anew */
            free(h->ptr[i]);
            h->live_bytes -= (double)h->size[i];
            h->n--;
            h->ptr[i] = h->ptr[h->n];
            h->size[i] = h->size[h->n];
            if (what == 1)
                add(h);
        }
    }
    while (h->live_bytes < (double)h->target)
        add(h);
}

static struct holder hs[3] = {
    { .name = "big_alloc", .target = (size_t)64 << 20 },
    { .name = "mid_alloc", .target = (size_t)16 << 20 },
    { .name = "small_alloc", .target = (size_t)1 << 20 },
};

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: sample_acc SEED RATE\n");
        return 2;
    }
    rng = strtoull(argv[1], NULL, 10) * UINT64_C(0x9e3779b97f4a7c15) + 1;
    rate = strtod(argv[2], NULL);
    for (int k = 0; k < 3; k++)
        while (hs[k].live_bytes < (double)hs[k].target)
            add(&hs[k]);
    for (int round = 0; round < 4; round++)
        for (int k = 0; k < 3; k++)
            churn(&hs[k], hs[k].n / 2);
    printf("[\n");
    for (int k = 0; k < 3; k++) {
        struct holder *h = &hs[k];
        double vb = 0, vn = 0;
        for (size_t i = 0; i < h->n; i++) {
            double b, n;
            var_of(h->size[i], &b, &n);
            vb += b;
            vn += n;
        }
        printf(" {\"function\": \"%s\", \"live_bytes\": %.0f, \"live_blocks\": %zu, "
               "\"alloc_bytes\": %.0f, \"alloc_blocks\": %.0f, \"var_live_bytes\": %.6g, "
               "\"var_live_blocks\": %.6g, \"var_alloc_bytes\": %.6g, \"var_alloc_blocks\": %.6g, "
               "\"live_sizes_by_class\": [",
               h->name, h->live_bytes, h->n, h->alloc_bytes, h->alloc_blocks, vb, vn,
               h->var_alloc_bytes, h->var_alloc_blocks);
        /* live bytes and blocks per size class 2^k, k = 4..19: for the test's
         * expected values under wrong scaling formulas */
        for (int c = 4; c < 20; c++) {
            double cb = 0, cn = 0;
            for (size_t i = 0; i < h->n; i++)
                if (h->size[i] >> c == 1) {
                    cb += (double)h->size[i];
                    cn += 1;
                }
            printf("%s[%.0f, %.0f]", c > 4 ? ", " : "", cb, cn);
        }
        printf("]}%s\n", k < 2 ? "," : "");
    }
    printf("]\n");
    fflush(stdout);
    return 0;
}
