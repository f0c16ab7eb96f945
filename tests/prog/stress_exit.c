/* stress_exit.c [THREADS] - exit(7) while THREADS (default 4) threads
 * still allocate and free.  The main thread waits until every thread has
 * done some work (no timing), prints "done" and calls exit(7). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int working;

static void *churn(void *arg)
{
    size_t seed = (size_t)arg;
    void *keep[16] = { 0 };
    for (long k = 0;; k++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        size_t i = (seed >> 33) % 16, n = (seed >> 40) % 4000 + 1;
        free(keep[i]);
        keep[i] = (seed & 1) ? malloc(n) : realloc(NULL, n);
        if (keep[i])
            memset(keep[i], 1, n);
        if (k == 1000)
            atomic_fetch_add(&working, 1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int nt = argc > 1 ? atoi(argv[1]) : 4;
    for (int i = 0; i < nt; i++) {
        pthread_t t;
        pthread_create(&t, NULL, churn, (void *)(size_t)(i + 1));
    }
    while (atomic_load(&working) < nt)
        sched_yield();
    puts("done");
    fflush(stdout);
    exit(7);
}
