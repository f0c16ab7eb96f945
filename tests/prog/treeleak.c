/* treeleak.c - a process of a tree for tests/shim-tree.sh.
 *   treeleak leak BYTES STATUS SITE   leak BYTES in one block from site a or
 *                                     b (none for 0), exit with STATUS
 *   treeleak daemon BYTES FILE        fork twice and return at once; the
 *                                     grandchild waits for FILE to exist,
 *                                     then leaks BYTES (site a) and exits 0
 *   treeleak hang FILE                create FILE, then sleep until killed
 *   treeleak intcount OUT READY       count SIGINTs: create READY, wait for
 *                                     one, 0.3 s more, write the count to
 *                                     OUT, then die of SIGINT */
#include <fcntl.h>
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
void *volatile keep;
static volatile sig_atomic_t ints;

static void on_int(int sig)
{
    (void)sig;
    ints++;
}

__attribute__((noinline)) void *tree_site_a(size_t n)
{
    void *p = malloc(n);
    memset(p, 'a', n);
    return p;
}

__attribute__((noinline)) void *tree_site_b(size_t n)
{
    void *p = malloc(n);
    memset(p, 'b', n);
    return p;
}

/* Overwrite the stack below the caller's frame, where malloc and memset may
 * have left copies of the block's address: the exit report's conservative
 * scan would find them and call the block still reachable, depending on the
 * compiler and linker flags (seen with Debian's hardening flags, -z now). */
__attribute__((noinline)) static void scrub_stack(void)
{
    volatile char buf[16384];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void leak(size_t n, const char *site)
{
    if (!n)
        return;
    keep = site[0] == 'b' ? tree_site_b(n) : tree_site_a(n);
    keep = NULL;
    scrub_stack();
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "leak") == 0) {
        leak(strtoul(argv[2], NULL, 10), argv[4]);
        return atoi(argv[3]);
    }
    if (argc == 4 && strcmp(argv[1], "daemon") == 0) {
        pid_t p = fork();
        if (p < 0)
            return 1;
        if (p > 0) {
            waitpid(p, NULL, 0);
            return 0;
        }
        if (fork() != 0)
            _exit(0);
        setsid();
        for (int i = 0; i < 6000 && access(argv[3], F_OK) != 0; i++)
            usleep(10000);
        leak(strtoul(argv[2], NULL, 10), "a");
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "hang") == 0) {
        int fd = open(argv[2], O_WRONLY | O_CREAT, 0600);
        if (fd >= 0)
            close(fd);
        for (;;)
            pause();
    }
    if (argc == 4 && strcmp(argv[1], "intcount") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_int;
        sigaction(SIGINT, &sa, NULL);
        int fd = open(argv[3], O_WRONLY | O_CREAT, 0600);
        if (fd >= 0)
            close(fd);
        while (!ints)
            pause();
        usleep(300000);   /* time for a second delivery to arrive */
        FILE *f = fopen(argv[2], "w");
        if (f) {
            fprintf(f, "%d\n", (int)ints);
            fclose(f);
        }
        signal(SIGINT, SIG_DFL);
        raise(SIGINT);
        return 1;
    }
    if (argc == 4 && strcmp(argv[1], "xexit") == 0) {
        leak(strtoul(argv[2], NULL, 10), "a");
        pid_t p = -1;
        int st = 0;
        if (strcmp(argv[3], "vfork") == 0) {
            p = vfork();
            if (p == 0)
                _exit(7);
        } else if (strcmp(argv[3], "fork") == 0) {
            p = fork();
            if (p == 0) {
                leak(5, "b");
                _exit(5);
            }
        } else if (strcmp(argv[3], "spawn") == 0) {
            char *a[] = { "/nonexistent/treeleak-spawn", NULL };
            if (posix_spawn(&p, a[0], NULL, NULL, a, environ) != 0)
                p = -1;
        }
        if (p > 0 && waitpid(p, &st, 0) != p)
            return 2;
        _exit(3);
    }
    if (argc == 3 && strcmp(argv[1], "rawdaemon") == 0) {
        if (syscall(SYS_fork) == 0) {
            if (syscall(SYS_fork) == 0) {
                for (int i = 0; i < 6000 && access(argv[2], F_OK) != 0; i++)
                    usleep(10000);
            }
            syscall(SYS_exit_group, 0);
        }
        usleep(100000);
        return 0;
    }
    fprintf(stderr, "usage: treeleak leak BYTES STATUS a|b | daemon BYTES FILE | hang FILE | "
                    "intcount OUT READY | xexit BYTES vfork|fork|spawn|none | "
                    "rawdaemon FILE\n");
    return 2;
}
