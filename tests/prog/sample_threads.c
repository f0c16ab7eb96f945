/* sample_threads.c - sampled tracking under threads and fork
 * (tests/shim-sample.sh).
 *
 *     sample_threads race SECONDS [usr2]
 *         Four threads allocate blocks of 16 B..4 KiB (race_alloc) for
 *         SECONDS and hand each to the next thread, which frees it: every
 *         block is freed by another thread.  Each thread also keeps 1 MiB
 *         live in 64 KiB blocks (keep_alloc).  Live at exit: exactly 4 MiB
 *         from keep_alloc, nothing from race_alloc.  With usr2, SIGUSR2 is
 *         raised half-way (a profile on dump_signal while threads allocate).
 *     sample_threads fork
 *         The parent keeps 32 blocks of 64 KiB (parent_alloc), a thread
 *         allocates and frees meanwhile; the child frees 16 of them, keeps
 *         16 blocks of 64 KiB of its own (child_alloc) and exits; the
 *         parent waits and exits.  Live at exit: parent 2 MiB of
 *         parent_alloc; child 1 MiB of parent_alloc and 1 MiB of
 *         child_alloc. */
#define _GNU_SOURCE
#pragma GCC optimize("O0", "no-optimize-sibling-calls", "no-inline")
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define NT 4
#define RING 1024

NOINLINE void *race_alloc(size_t s) { return malloc(s); }
NOINLINE void *keep_alloc(size_t s) { return malloc(s); }
NOINLINE void *parent_alloc(size_t s) { return malloc(s); }
NOINLINE void *child_alloc(size_t s) { return malloc(s); }

struct ring {
    pthread_mutex_t lock;
    void *slot[RING];
    size_t head, tail;
};
static struct ring rings[NT];
/* Global, not static: the compiler drops stores to a static array that
 * is never read (even at -O0), and the blocks would then really be leaks. */
void *kept[NT][16];
static double seconds;
static int with_usr2;
static atomic_int stop;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Free what the previous thread handed over. */
static void drain(struct ring *r)
{
    pthread_mutex_lock(&r->lock);
    while (r->tail != r->head)
        free(r->slot[r->tail++ % RING]);
    pthread_mutex_unlock(&r->lock);
}

static void *racer(void *arg)
{
    int id = (int)(long)arg;
    unsigned seed = (unsigned)id * 7919u + 1;
    for (int i = 0; i < 16; i++)
        kept[id][i] = keep_alloc(64 << 10);
    struct ring *mine = &rings[id], *next = &rings[(id + 1) % NT];
    while (!atomic_load(&stop)) {
        for (int k = 0; k < 256; k++) {
            void *p = race_alloc(16 + rand_r(&seed) % 4081);
            pthread_mutex_lock(&next->lock);
            if (next->head - next->tail < RING) {
                next->slot[next->head++ % RING] = p;
                p = NULL;
            }
            pthread_mutex_unlock(&next->lock);
            free(p);   /* the ring was full: this thread frees it */
        }
        drain(mine);
    }
    return NULL;
}

static int race(void)
{
    pthread_t t[NT];
    for (int i = 0; i < NT; i++)
        pthread_mutex_init(&rings[i].lock, NULL);
    for (long i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, racer, (void *)i);
    double t0 = now();
    int signalled = 0;
    while (now() - t0 < seconds) {
        usleep(20000);
        if (with_usr2 && !signalled && now() - t0 > seconds / 2) {
            raise(SIGUSR2);
            signalled = 1;
        }
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < NT; i++)
        drain(&rings[i]);   /* the last hand-overs */
    return 0;
}

static void *churner(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop))
        free(race_alloc(100));
    return NULL;
}

static void *held[32];

static int forked(void)
{
    for (int i = 0; i < 32; i++)
        held[i] = parent_alloc(64 << 10);
    pthread_t t;
    pthread_create(&t, NULL, churner, NULL);
    usleep(10000);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        for (int i = 0; i < 16; i++)
            free(held[i]);
        static void *mine[16];
        for (int i = 0; i < 16; i++)
            mine[i] = child_alloc(64 << 10);
        exit(0);
    }
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "race") == 0) {
        seconds = argc > 2 ? atof(argv[2]) : 1;
        with_usr2 = argc > 3 && strcmp(argv[3], "usr2") == 0;
        return race();
    }
    if (argc >= 2 && strcmp(argv[1], "fork") == 0)
        return forked();
    fprintf(stderr, "usage: sample_threads race SECONDS [usr2] | fork\n");
    return 2;
}
