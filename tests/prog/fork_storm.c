/* fork_storm.c [N] - N forks (default 200) while 4 threads allocate.  Every child
 * allocates and exits normally; the parent checks every child's status.
 * Exit 0 when all children exited 0. */
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
    void *keep[64] = { 0 };
    while (!atomic_load(&stop)) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        size_t i = (seed >> 33) % 64, n = (seed >> 40) % 5000 + 1;
        free(keep[i]);
        keep[i] = (seed & 1) ? malloc(n) : calloc(1, n);
        if (keep[i])
            memset(keep[i], 1, n);
    }
    for (int i = 0; i < 64; i++)
        free(keep[i]);
    return NULL;
}

int main(int argc, char **argv)
{
    int forks = argc > 1 ? atoi(argv[1]) : 200;
    pthread_t th[4];
    for (size_t i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, churn, (void *)(i + 1));
    int bad = 0;
    for (int k = 0; k < forks; k++) {
        pid_t pid = fork();
        if (pid == 0) {
            char *p = malloc(1000);
            for (int j = 0; j < 100; j++)
                free(malloc((size_t)j * 10 + 1));
            p = realloc(p, 5000);
            int ok = p && p[4999] == 0;
            free(p);
            exit(ok ? 0 : 1);
        }
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad++;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    printf("%d forks, %d bad\n", forks, bad);
    return bad != 0;
}
