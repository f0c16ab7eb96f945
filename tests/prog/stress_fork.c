/* stress_fork.c [FORKS] - FORKS (default 30) forks while 4 threads
 * allocate.  Each child starts a thread of its own, keeps allocating,
 * leaks one 77-byte block in child_leak and exits normally with exit(0).
 * The parent checks every child's status, leaks one 55-byte block in
 * parent_leak, and prints "FORKS forks, N bad" then "done". */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int stop;

static void *churn(void *arg)
{
    size_t seed = (size_t)arg;
    void *keep[32] = { 0 };
    while (!atomic_load(&stop)) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        size_t i = (seed >> 33) % 32, n = (seed >> 40) % 3000 + 1;
        free(keep[i]);
        keep[i] = (seed & 1) ? malloc(n) : calloc(1, n);
        if (keep[i] && (seed & 6) == 0)
            keep[i] = realloc(keep[i], n * 2);
    }
    for (int i = 0; i < 32; i++)
        free(keep[i]);
    return NULL;
}

static void *child_thread(void *arg)
{
    (void)arg;
    for (int j = 0; j < 200; j++)
        free(calloc(1, (size_t)j * 7 + 1));
    return NULL;
}

__attribute__((noinline)) static void child_leak(void)
{
    char *volatile p = malloc(77);
    p[0] = 1;
    p = NULL;
}

__attribute__((noinline)) static void parent_leak(void)
{
    char *volatile p = malloc(55);
    p[0] = 1;
    p = NULL;
}

static int child(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, child_thread, NULL) != 0)
        return 3;
    char *p = malloc(1000);
    for (int j = 0; j < 200; j++)
        free(malloc((size_t)j * 10 + 1));
    p = realloc(p, 5000);
    int ok = p && p[4999] == 0;
    free(p);
    pthread_join(t, NULL);
    child_leak();
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    int forks = argc > 1 ? atoi(argv[1]) : 30;
    pthread_t th[4];
    for (size_t i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, churn, (void *)(i + 1));
    int bad = 0;
    for (int k = 0; k < forks; k++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
            exit(child());
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad++;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    parent_leak();
    printf("%d forks, %d bad\n", forks, bad);
    puts("done");
    return bad != 0;
}
