/* stress_signals.c MODE - malloc and free from a signal handler.
 *
 * The handler allocates and frees a 200-byte block (glibc's tcache bin for
 * 208-byte chunks, warmed up first and used by nothing else, so glibc
 * itself never needs its arena lock inside the handler; handlers do not
 * nest, see main).  Signals come
 * from an interval timer (SIGALRM) and from a second thread with
 * pthread_kill (SIGUSR1).
 *   quiet: the main thread computes without allocating meanwhile.
 *   busy:  the main thread allocates and frees small blocks (sizes up to
 *          100 bytes, other bins) all the time, so that handlers land in
 *          the middle of the shim's own tracking of them.
 * Stops after 2000 handler runs (no timing); prints "done". */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define HSIZE 200
#define RUNS 2000

static atomic_long handled;
static atomic_int stop;
static volatile sig_atomic_t bad;

static void handler(int sig)
{
    (void)sig;
    char *p = malloc(HSIZE);
    if (!p)
        bad = 1;
    else
        memset(p, 0x5a, HSIZE);
    free(p);
    atomic_fetch_add(&handled, 1);
}

static void *killer(void *arg)
{
    pthread_t main_thread = *(pthread_t *)arg;
    while (!atomic_load(&stop)) {
        pthread_kill(main_thread, SIGUSR1);
        sched_yield();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int busy = argc > 1 && !strcmp(argv[1], "busy");
    free(malloc(HSIZE)); /* the handler's bin holds a block from now on */

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    /* Handlers do not nest: a second handler that allocated while the
     * first holds the bin's only block would need glibc's arena lock,
     * which the interrupted main thread may hold (a deadlock with or
     * without the shim; the shim's tracking only widens the window). */
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGALRM);
    sigaddset(&sa.sa_mask, SIGUSR1);
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    struct itimerval it = { { 0, 200 }, { 0, 200 } };
    setitimer(ITIMER_REAL, &it, NULL);
    pthread_t self = pthread_self(), kt;
    pthread_create(&kt, NULL, killer, &self);

    volatile unsigned long x = 1;
    void *keep[32] = { 0 };
    unsigned long seed = 7;
    while (atomic_load(&handled) < RUNS) {
        if (busy) {
            seed = seed * 6364136223846793005ul + 1442695040888963407ul;
            size_t i = (seed >> 33) % 32;
            free(keep[i]);
            keep[i] = malloc((seed >> 40) % 100 + 1);
        } else {
            for (int k = 0; k < 1000; k++)
                x = x * 3 + 1;
        }
    }
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    atomic_store(&stop, 1);
    pthread_join(kt, NULL);
    for (int i = 0; i < 32; i++)
        free(keep[i]);
    if (bad) {
        puts("handler saw a bad block");
        return 1;
    }
    puts("done");
    return 0;
}
