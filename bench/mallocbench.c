/* mallocbench.c - a malloc microbenchmark: a mix of sizes from 8 bytes to
 * 64 KiB, with calloc and realloc, and frees from other threads too.
 * usage: mallocbench THREADS OPS_PER_THREAD
 * Prints "THREADS threads: N ops/s" (an op is one allocation call). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS 1024
#define XFER 256

struct worker {
    pthread_t th;
    unsigned long ops;
    unsigned long seed;
    int id;
};

static int nthreads;
/* Blocks handed to another thread to free: one mailbox per thread. */
static _Atomic(void *) mailbox[64][XFER];

static inline unsigned long rnd(unsigned long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static size_t pick_size(unsigned long r)
{
    /* Mostly small, some medium, a few large: 8 B .. 64 KiB. */
    unsigned k = (unsigned)(r % 100);
    if (k < 70)
        return 8 + (r >> 8) % 248;
    if (k < 95)
        return 256 + (r >> 8) % 3840;
    return 4096 + (r >> 8) % (65536 - 4096);
}

static void *run(void *arg)
{
    struct worker *w = arg;
    void *slot[SLOTS] = { 0 };
    unsigned long s = w->seed;
    for (unsigned long i = 0; i < w->ops; i++) {
        unsigned long r = rnd(&s);
        unsigned idx = (unsigned)(r >> 20) % SLOTS;
        size_t n = pick_size(r);
        void *old = slot[idx];
        switch (r % 8) {
        case 0:
            slot[idx] = calloc(1, n);
            free(old);
            break;
        case 1:
            slot[idx] = realloc(old, n);
            break;
        case 2:
            if (nthreads > 1 && old) {
                /* Pass the block to the next thread's mailbox; free what
                 * was there (it came from another thread). */
                int to = (w->id + 1) % nthreads;
                void *prev = atomic_exchange(&mailbox[to][idx % XFER], old);
                free(prev);
                slot[idx] = malloc(n);
                break;
            }
            /* fall through */
        default:
            slot[idx] = malloc(n);
            free(old);
            break;
        }
        if (slot[idx])
            ((char *)slot[idx])[0] = (char)i;
    }
    for (int i = 0; i < SLOTS; i++)
        free(slot[i]);
    return NULL;
}

int main(int argc, char **argv)
{
    nthreads = argc > 1 ? atoi(argv[1]) : 1;
    unsigned long ops = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000;
    if (nthreads < 1 || nthreads > 64)
        nthreads = 1;
    struct worker w[64];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < nthreads; i++) {
        w[i] = (struct worker){ .ops = ops, .seed = 88172645463325252ul + (unsigned long)i * 7919, .id = i };
        pthread_create(&w[i].th, NULL, run, &w[i]);
    }
    for (int i = 0; i < nthreads; i++)
        pthread_join(w[i].th, NULL);
    for (int t = 0; t < nthreads; t++)
        for (int i = 0; i < XFER; i++)
            free(atomic_exchange(&mailbox[t][i], NULL));
    clock_gettime(CLOCK_MONOTONIC, &b);
    double sec = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%d threads: %.0f ops/s\n", nthreads, (double)ops * nthreads / sec);
    return 0;
}
