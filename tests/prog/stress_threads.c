/* stress_threads.c [THREADS [OPS]] - THREADS (default 6) threads doing
 * mixed-size malloc/calloc/realloc/free; blocks pass through a shared
 * exchange so that most are freed by another thread than the one that
 * made them.  Each thread then leaks exactly three blocks on purpose:
 * leak_malloc (100 + t bytes), leak_calloc (200 + t) and leak_realloc
 * (300 + t).  Prints "done". */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 1024
static _Atomic(char *) exchange[SLOTS];
static pthread_barrier_t start;
static int ops = 20000;

__attribute__((noinline)) static void leak_malloc(size_t n)
{
    char *volatile p = malloc(n);
    p[0] = 1;
    p = NULL;
}

__attribute__((noinline)) static void leak_calloc(size_t n)
{
    char *volatile p = calloc(1, n);
    p[0] = 1;
    p = NULL;
}

__attribute__((noinline)) static void leak_realloc(size_t n)
{
    char *volatile p = malloc(8);
    p = realloc(p, n);
    p[0] = 1;
    p = NULL;
}

static void *worker(void *arg)
{
    size_t t = (size_t)arg;
    unsigned long seed = t * 2654435761u + 1;
    pthread_barrier_wait(&start);
    for (int i = 0; i < ops; i++) {
        seed = seed * 6364136223846793005ul + 1442695040888963407ul;
        size_t n = (seed >> 40) % 4 == 0 ? (seed >> 20) % 70000 + 1 : (seed >> 20) % 512 + 1;
        char *p;
        switch ((seed >> 33) % 3) {
        case 0:
            p = malloc(n);
            break;
        case 1:
            p = calloc(1, n);
            break;
        default:
            p = realloc(malloc(16), n);
            break;
        }
        if (!p)
            abort();
        p[0] = (char)t;
        p[n - 1] = (char)t;
        /* Swap it into a random slot; free what was there (most likely
         * another thread's block), sometimes after growing it. */
        char *old = atomic_exchange(&exchange[(seed >> 13) % SLOTS], p);
        if (old && (seed >> 7) % 5 == 0)
            old = realloc(old, (seed >> 45) % 2048 + 1);
        free(old);
    }
    leak_malloc(100 + t);
    leak_calloc(200 + t);
    leak_realloc(300 + t);
    return NULL;
}

int main(int argc, char **argv)
{
    int nt = argc > 1 ? atoi(argv[1]) : 6;
    if (argc > 2)
        ops = atoi(argv[2]);
    if (nt < 1 || nt > 64)
        return 2;
    pthread_t th[64];
    pthread_barrier_init(&start, NULL, (unsigned)nt);
    for (int i = 0; i < nt; i++)
        pthread_create(&th[i], NULL, worker, (void *)(size_t)i);
    for (int i = 0; i < nt; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < SLOTS; i++)
        free(atomic_exchange(&exchange[i], NULL));
    pthread_barrier_destroy(&start);
    puts("done");
    return 0;
}
