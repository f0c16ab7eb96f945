/* dumper.c - heap dumps of a program with two known allocation sites, for
 * tests/shim-dumps.sh.  Run under the shim; argv[1] is the mode, argv[2] a
 * directory for the dumps.  Prints "done" and exits 0 when every step of
 * the mode worked, else names the failed step and exits 1.
 *
 * The sites: grow_site keeps GROW_N blocks of GROW_SIZE bytes more after
 * each round; stable_site holds STABLE_N blocks of STABLE_SIZE bytes,
 * freed and allocated again every round.  Dump 1 follows round 1, dump 2
 * round 3, so (see shim-dumps.sh):
 *   dump 1: grow_site 1000 bytes in 10 blocks, stable_site 320 in 5;
 *   dump 2: grow_site 3000 bytes in 30 blocks, stable_site 320 in 5.
 *
 *   api DIR      dumps by RatHeapDump(DIR/api.1.json), (DIR/api.2.json);
 *                then a dump into a missing directory fails cleanly
 *   signal DIR   dumps by raise(SIGUSR2) (dump=DIR/sig.%n.json), waiting
 *                for each file to appear
 *   wait FILE    round 1, then creates FILE.ready and waits for FILE (the
 *                test sends SIGUSR2 from the shell)
 *   fork DIR     after round 1, the parent and a fork child (which has
 *                allocated 77 bytes more in child_site) each raise SIGUSR2
 *                (dump=DIR/f.%p.%n.json) and wait for their own file
 *   own DIR      installs its own SIGUSR2 handler, raises SIGUSR2 three
 *                times (the program's handler runs, no dump), puts back
 *                the action it found (ratmem's) and raises SIGUSR2 (dump
 *                1, DIR/o.1.json), then RatHeapDump(NULL) writes dump 2
 *   threads DIR  4 threads allocate and free while main takes 10 dumps by
 *                RatHeapDump and 10 by SIGUSR2
 *   lastexit DIR main ends with pthread_exit, a thread prints "done" and
 *                returns: the process must end (with status 0), the shim's
 *                dump thread notwithstanding */
#define _GNU_SOURCE
#pragma GCC optimize("O0", "no-optimize-sibling-calls", "no-inline")
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ratmem.h"

#define NOINLINE __attribute__((noinline))
#define GROW_N 10
#define GROW_SIZE 100
#define STABLE_N 5
#define STABLE_SIZE 64

static void *grown[GROW_N * 16];
static int ngrown;
static void *stable[STABLE_N];

static int failed(const char *what)
{
    printf("FAILED: %s (errno %d)\n", what, errno);
    return 1;
}

NOINLINE void grow_site(void)
{
    grown[ngrown++] = malloc(GROW_SIZE);
}

NOINLINE void stable_site(int i)
{
    stable[i] = malloc(STABLE_SIZE);
}

static void *child_block;
NOINLINE void child_site(void)
{
    child_block = malloc(77);
}

NOINLINE static void round_once(void)
{
    for (int i = 0; i < STABLE_N; i++) {
        free(stable[i]);
        stable_site(i);
    }
    for (int i = 0; i < GROW_N; i++)
        grow_site();
}

/* Wait up to 60 s for path to exist (dumps appear complete, by rename). */
static int wait_for(const char *path)
{
    struct stat st;
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    for (int i = 0; i < 6000; i++) {
        if (stat(path, &st) == 0)
            return 0;
        nanosleep(&ts, NULL);
    }
    return -1;
}

/* Rounds 1 to 3 from one call site (one stack per site), with a dump after
 * rounds 1 and 3. */
static int mode_api(const char *dir)
{
    char p[4096];
    for (int r = 1; r <= 3; r++) {
        round_once();
        if (r == 2)
            continue;
        snprintf(p, sizeof p, "%s/api.%d.json", dir, r == 1 ? 1 : 2);
        if (RatHeapDump(p) != RAT_STATUS_OK)
            return failed("RatHeapDump");
    }
    /* Failures are statuses (and one line on stderr), never a crash. */
    snprintf(p, sizeof p, "%s/no/such/dir/d.json", dir);
    if (RatHeapDump(p) != RAT_STATUS_NOT_FOUND || RatGetLastError() != RAT_STATUS_NOT_FOUND)
        return failed("RatHeapDump into a missing directory is not RAT_STATUS_NOT_FOUND");
    if (RatHeapDump("") != RAT_STATUS_INVALID_ARG)
        return failed("RatHeapDump(\"\") is not RAT_STATUS_INVALID_ARG");
    return 0;
}

static int mode_signal(const char *dir)
{
    char p[4096];
    for (int r = 1; r <= 3; r++) {
        round_once();
        if (r == 2)
            continue;
        raise(SIGUSR2);
        snprintf(p, sizeof p, "%s/sig.%d.json", dir, r == 1 ? 1 : 2);
        if (wait_for(p) != 0)
            return failed("a dump did not appear");
    }
    return 0;
}

/* Two requests back to back, the second while the first is being written
 * (or still waiting), then every block freed and exit at once: each dump
 * must show the heap of its request, and both must be written. */
static int mode_burst(const char *dir)
{
    (void)dir;
    for (int r = 1; r <= 3; r++) {
        round_once();
        if (r != 2)
            raise(SIGUSR2);   /* after rounds 1 and 3 */
    }
    for (int i = 0; i < ngrown; i++)
        free(grown[i]);
    for (int i = 0; i < STABLE_N; i++)
        free(stable[i]);
    ngrown = 0;
    printf("done\n");
    exit(0);
}

static int mode_wait(const char *file)
{
    char p[4096];
    round_once();
    snprintf(p, sizeof p, "%s.ready", file);
    FILE *f = fopen(p, "w");
    if (!f || fclose(f) != 0)
        return failed("create the ready file");
    /* The shell sends SIGUSR2 now. */
    if (wait_for(file) != 0)
        return failed("the dump did not appear");
    return 0;
}

static int raise_and_wait(const char *dir)
{
    char p[4096];
    raise(SIGUSR2);
    snprintf(p, sizeof p, "%s/f.%d.1.json", dir, (int)getpid());
    return wait_for(p);
}

static int mode_fork(const char *dir)
{
    round_once();
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return failed("fork");
    if (pid == 0) {
        child_site();  /* the child's own block */
        _exit(raise_and_wait(dir) == 0 ? 0 : 3);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return failed("the child's dump did not appear");
    if (raise_and_wait(dir) != 0)
        return failed("the parent's dump did not appear");
    printf("child %d parent %d\n", (int)pid, (int)getpid());
    return 0;
}

static volatile sig_atomic_t own_calls;

static void own_handler(int sig)
{
    (void)sig;
    own_calls++;
}

static int mode_own(const char *dir)
{
    struct sigaction sa, found;
    char p[4096];
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = own_handler;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR2, &sa, &found) != 0)
        return failed("sigaction");
    round_once();
    for (int i = 0; i < 3; i++)
        raise(SIGUSR2);
    if (own_calls != 3)
        return failed("the program's handler did not run three times");
    /* Put ratmem's action back: the signal dumps again (dump 1; were
     * ratmem's handler still run by the three signals, it would be 4). */
    if (sigaction(SIGUSR2, &found, NULL) != 0)
        return failed("sigaction restore");
    raise(SIGUSR2);
    snprintf(p, sizeof p, "%s/o.1.json", dir);
    if (wait_for(p) != 0)
        return failed("no dump after the action was put back");
    if (own_calls != 3)
        return failed("the program's handler ran after it was replaced");
    if (RatHeapDump(NULL) != RAT_STATUS_OK)
        return failed("RatHeapDump(NULL)");
    return 0;
}

static volatile int stop;

static void *churn(void *arg)
{
    (void)arg;
    void *held[64] = { 0 };
    unsigned x = 12345;
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        x = x * 1103515245 + 12345;
        unsigned i = (x >> 8) % 64;
        free(held[i]);
        held[i] = malloc(16 + (x >> 20) % 512);
    }
    for (int i = 0; i < 64; i++)
        free(held[i]);
    return NULL;
}

static int mode_threads(const char *dir)
{
    pthread_t t[4];
    char p[4096];
    for (int i = 0; i < 4; i++)
        if (pthread_create(&t[i], NULL, churn, NULL) != 0)
            return failed("pthread_create");
    int bad = 0;
    for (int i = 1; i <= 20 && !bad; i++) {
        if (i % 2) {
            snprintf(p, sizeof p, "%s/t.%d.json", dir, i);
            if (RatHeapDump(p) != RAT_STATUS_OK)
                bad = failed("RatHeapDump while threads allocate");
        } else {
            raise(SIGUSR2);
            snprintf(p, sizeof p, "%s/t.%d.json", dir, i);
            if (wait_for(p) != 0)
                bad = failed("a signal dump while threads allocate");
        }
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    return bad;
}

static void *last_words(void *arg)
{
    (void)arg;
    struct timespec ts = { 0, 100 * 1000 * 1000 };
    nanosleep(&ts, NULL);   /* let main end first */
    printf("done\n");
    fflush(stdout);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: dumper api|signal|wait|fork|own|threads DIR\n");
        return 2;
    }
    const char *m = argv[1], *dir = argv[2];
    if (strcmp(m, "lastexit") == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, last_words, NULL) != 0)
            return failed("pthread_create");
        pthread_exit(NULL);
    }
    int r = strcmp(m, "api") == 0       ? mode_api(dir)
            : strcmp(m, "signal") == 0  ? mode_signal(dir)
            : strcmp(m, "wait") == 0    ? mode_wait(dir)
            : strcmp(m, "burst") == 0   ? mode_burst(dir)
            : strcmp(m, "fork") == 0    ? mode_fork(dir)
            : strcmp(m, "own") == 0     ? mode_own(dir)
            : strcmp(m, "threads") == 0 ? mode_threads(dir)
                                        : 2;
    if (r == 0)
        printf("done\n");
    return r;
}
