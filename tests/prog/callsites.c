/* callsites.c - many leaks from one allocation function (leaf) reached
 * through different callers at the same stack depth, at several depths,
 * and through a frame whose CFA is rbp-based (alloca): the shape that the
 * fast capture's call-site cache keys by where the program called in.
 * Every leak must be charged to its own caller.  Built -O2 without frame
 * pointers (rsp-based rules) except where alloca makes one.
 *
 * usage: callsites [THREADS]   prints the expected direct leaks per caller
 * ("via_a=N via_b=N via_c=N via_d=N"), then "done"; leaks them; the
 * report must agree (tests/shim-callsites.sh).
 *        callsites stale       q1 and q2 in turn each call alloc_under(),
 * whose alloca is sized so that leaf's frame lies at the same address
 * under both; under q2 the slot where q1's return address was lies in
 * alloc_under's alloca area, never written, and still holds it.  Prints
 * "q1=N q2=N", then "done"; every leak must be charged to its own q. */
#define _GNU_SOURCE
#include <alloca.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, noclone))
#define ROUNDS 40000

static void *volatile sink;

/* Every caller below calls this one at the same depth: its return
 * address and frame are the same for all of them. */
NOINLINE void *leaf(size_t n)
{
    void *p = malloc(n);
    __asm__ volatile("" ::: "memory");
    return p;
}

NOINLINE void *via_a(size_t n)
{
    void *p = leaf(n);
    __asm__ volatile("" ::: "memory");
    return p;
}

NOINLINE void *via_b(size_t n)
{
    void *p = leaf(n + 8);
    __asm__ volatile("" ::: "memory");
    return p;
}

/* alloca: an rbp-based CFA, and a stack pointer that depends on k. */
NOINLINE void *via_c(size_t n, unsigned k)
{
    char *pad = alloca(16 + 16 * (k % 7));
    memset(pad, 0, 16);
    sink = pad;
    void *p = leaf(n + 16);
    __asm__ volatile("" ::: "memory");
    return p;
}

/* Recursion: the same caller at depths 1..3 (different entry frames). */
NOINLINE void *via_d(size_t n, unsigned depth)
{
    void *p = depth ? via_d(n, depth - 1) : leaf(n + 24);
    __asm__ volatile("" ::: "memory");
    return p;
}

/* stale: an alloca of pad bytes (rbp-based CFA), then leaf. */
NOINLINE void *alloc_under(size_t pad, int measure)
{
    char *p = alloca(pad);
    p[0] = 1;
    sink = p;
    if (measure)
        return __builtin_frame_address(0);
    void *r = leaf(40);
    __asm__ volatile("" ::: "memory");
    return r;
}

static size_t pad_q1 = 64, pad_q2;

NOINLINE void *q1(int measure)
{
    volatile char big[512];
    big[0] = 1;
    big[511] = 2;
    void *r = alloc_under(pad_q1, measure);
    __asm__ volatile("" ::: "memory");
    return r;
}

NOINLINE void *q2(int measure)
{
    volatile char small[16];
    small[0] = 1;
    void *r = alloc_under(pad_q2, measure);
    __asm__ volatile("" ::: "memory");
    return r;
}

static int stale(void)
{
    /* Size q2's alloca so that alloc_under's frame pointer, hence leaf's
     * frame, is the same under both. */
    uintptr_t f1 = (uintptr_t)q1(1);
    pad_q2 = pad_q1;
    uintptr_t f2 = (uintptr_t)q2(1);
    pad_q2 = pad_q1 + (f2 - f1);
    unsigned long n1 = 0, n2 = 0;
    for (int i = 0; i < 2000; i++) {
        void *p = (i & 1) ? q2(0) : q1(0);
        if (!p)
            abort();
        memset(p, 0, 8);   /* leaked */
        ++*((i & 1) ? &n2 : &n1);
    }
    printf("q1=%lu q2=%lu\n", n1, n2);
    printf("done\n");
    return 0;
}

struct counts {
    unsigned long a, b, c, d;
};

/* Mostly freed at once; every leak_every-th kept (leaked), by caller. */
static void run(struct counts *leaked, unsigned seed)
{
    unsigned x = seed * 2654435761u + 1;
    for (unsigned i = 0; i < ROUNDS; i++) {
        x = x * 1103515245u + 12345u;
        unsigned sel = (x >> 16) % 4, k = (x >> 8) % 21;
        void *p;
        unsigned long *cnt;
        switch (sel) {
        case 0: p = via_a(24); cnt = &leaked->a; break;
        case 1: p = via_b(24); cnt = &leaked->b; break;
        case 2: p = via_c(24, k); cnt = &leaked->c; break;
        default: p = via_d(24, 1 + k % 3); cnt = &leaked->d; break;
        }
        if (!p)
            abort();
        if (i % 17 == 0) {
            ++*cnt;
            memset(p, 0, 8);   /* leaked: no pointer to it is kept */
        } else {
            free(p);
        }
    }
}

struct job {
    struct counts c;
    unsigned seed;
};

static void *thread_main(void *arg)
{
    struct job *j = arg;
    run(&j->c, j->seed);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "stale"))
        return stale();
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    if (threads < 1 || threads > 16)
        threads = 1;
    struct job jobs[16];
    pthread_t tid[16];
    memset(jobs, 0, sizeof jobs);
    for (int t = 0; t < threads; t++) {
        jobs[t].seed = (unsigned)t + 1;
        if (pthread_create(&tid[t], NULL, thread_main, &jobs[t]) != 0)
            return 1;
    }
    struct counts all = { 0, 0, 0, 0 };
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        all.a += jobs[t].c.a;
        all.b += jobs[t].c.b;
        all.c += jobs[t].c.c;
        all.d += jobs[t].c.d;
    }
    memset(jobs, 0, sizeof jobs);
    printf("via_a=%lu via_b=%lu via_c=%lu via_d=%lu\n", all.a, all.b, all.c, all.d);
    printf("done\n");
    return 0;
}
