/* stress_scale.c MODE - size limits.
 *   deep N:     recurse N levels, leak one 32-byte block at the bottom
 *               (deep_leak) and return.
 *   many N:     allocate N small blocks (16..64 bytes) in batches of
 *               100000; every 10000th block is leaked (many_leak), the
 *               rest freed: N / 10000 leaks of 48 bytes.
 *   threads N:  N threads at once, each leaks one 48-byte block
 *               (thread_leak) and exits.
 * Prints "done". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void scrub(void)
{
    volatile char buf[65536];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

__attribute__((noinline)) static void deep_leak(void)
{
    char *volatile p = malloc(32);
    p[0] = 1;
    p = NULL;
}

__attribute__((noinline)) static int recurse(int n)
{
    if (n <= 1) {
        deep_leak();
        return 1;
    }
    /* A frame that lives across the call: no tail call, no loop. */
    char frame[16];
    __asm__ volatile("" : : "r"(frame) : "memory");
    int r = recurse(n - 1) + 1;
    __asm__ volatile("" : : "r"(frame) : "memory");
    return r;
}

__attribute__((noinline)) static void *many_leak(void)
{
    return malloc(48);
}

static void many(long n)
{
    enum { BATCH = 100000 };
    void **b = malloc(BATCH * sizeof *b);
    if (!b)
        exit(1);
    for (long done = 0; done < n; done += BATCH) {
        long k = n - done < BATCH ? n - done : BATCH;
        for (long i = 0; i < k; i++) {
            if ((done + i) % 10000 == 0) {
                char *volatile q = many_leak();
                q[0] = 1;
                q = NULL;
                b[i] = NULL;
            } else {
                b[i] = malloc((size_t)(16 + (i & 3) * 16));
                if (!b[i])
                    exit(1);
            }
        }
        for (long i = 0; i < k; i++)
            free(b[i]);
    }
    free(b);
}

__attribute__((noinline)) static void thread_leak(void)
{
    char *volatile p = malloc(48);
    p[0] = 1;
    p = NULL;
}

static pthread_barrier_t all;

static void *thread_body(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&all);
    thread_leak();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    long n = atol(argv[2]);
    if (!strcmp(argv[1], "deep")) {
        if (recurse((int)n) != n)
            return 1;
    } else if (!strcmp(argv[1], "many")) {
        many(n);
    } else if (!strcmp(argv[1], "threads")) {
        pthread_t *t = calloc((size_t)n, sizeof *t);
        pthread_barrier_init(&all, NULL, (unsigned)n);
        for (long i = 0; i < n; i++)
            if (pthread_create(&t[i], NULL, thread_body, NULL) != 0)
                return 1;
        for (long i = 0; i < n; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&all);
        free(t);
    } else {
        return 2;
    }
    scrub();
    puts("done");
    return 0;
}
