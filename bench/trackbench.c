/* trackbench.c - the tracker's own costs, measured from outside: run it
 * bare and under the shim and compare (bench/run.py does).
 *
 * usage: trackbench pairs DEPTH N   malloc(64)+free N times, DEPTH frames
 *                                   below main; prints "ns_per_pair X"
 *        trackbench hold N          N live 32-byte blocks from 64 call
 *                                   sites, kept to exit (for bytes/block)
 * Built -O1 with frame-keeping recursion so that DEPTH is real. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile unsigned long sink;

static __attribute__((noinline)) double pairs(long n)
{
    double t0 = now();
    for (long i = 0; i < n; i++) {
        char *p = malloc(64);
        if (!p)
            abort();
        p[0] = (char)i;
        sink += (unsigned char)p[0];
        free(p);
    }
    return now() - t0;
}

static __attribute__((noinline)) double descend(int depth, long n)
{
    if (depth <= 0)
        return pairs(n);
    double r = descend(depth - 1, n);
    sink += (unsigned long)depth;   /* not a tail call */
    return r;
}

/* 64 distinct call sites (one per recursion depth) for "hold". */
static void **held;

static __attribute__((noinline)) void hold_at(int depth, long from, long to)
{
    if (depth > 0) {
        hold_at(depth - 1, from, to);
        sink += (unsigned long)depth;
        return;
    }
    for (long i = from; i < to; i++)
        held[i] = malloc(32);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "pairs")) {
        int depth = atoi(argv[2]);
        long n = atol(argv[3]);
        pairs(n / 10);   /* warm up: the first captures, the caches */
        double t = descend(depth, n);
        printf("ns_per_pair %.1f\n", t * 1e9 / (double)n);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "hold")) {
        long n = atol(argv[2]);
        held = malloc((size_t)n * sizeof *held);
        if (!held)
            return 1;
        for (int k = 0; k < 64; k++)
            hold_at(k, n * k / 64, n * (k + 1) / 64);
        printf("held %ld\n", n);
        return 0;   /* held stays reachable: the report counts it live */
    }
    fprintf(stderr, "usage: trackbench pairs DEPTH N | trackbench hold N\n");
    return 2;
}
