/* hide_fds.c - the descriptors a program sees (/proc/self/fd), at each
 * stage named on the command line; run bare and under the shim, the
 * output must be the same.  Writes to fd 9 (the test opens it), so that it
 * can run with fd 0, 1 or 2 closed.  Stages:
 *   start   the listing at main
 *   report  after RatLeakReport(3) into the file named by $HIDE_REPORT
 *   dump    after RatHeapDump(3) into $HIDE_DUMP
 *   fork    in a fork child, then in the parent after the child ended
 *   status  /proc/self/status's Threads, SigBlk, SigIgn, SigCgt lines,
 *           the entries of /proc/self/task, every rlimit, and the
 *           environment (LD_PRELOAD and RATMEM_OPTIONS left out)
 *   exec    after execve of this program with "start" (fd 9 stays open)
 *   own     opens $HIDE_OWN (the lowest free number: 2 when started with
 *           fd 2 closed), writes "mine\n" to it, asks for a leak report to
 *           stderr and keeps the file open to the end (the exit report)
 * Each stage prints "STAGE: N N N..." (the directory's own descriptor
 * left out).  Status 0, or 2 on a usage error. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ratmem.h"

static void out(const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t k = write(9, s, n);
        if (k <= 0)
            exit(3);
        s += k;
        n -= (size_t)k;
    }
}

static int cmp(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static void listing(const char *stage)
{
    int fds[4096], n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
        out("cannot open /proc/self/fd\n");
        exit(3);
    }
    struct dirent *e;
    while ((e = readdir(d)) && n < 4096) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd != dirfd(d))
            fds[n++] = fd;
    }
    closedir(d);
    qsort(fds, (size_t)n, sizeof fds[0], cmp);
    char line[8192];
    size_t len = (size_t)snprintf(line, sizeof line, "%s:", stage);
    for (int i = 0; i < n && len < sizeof line - 16; i++)
        len += (size_t)snprintf(line + len, sizeof line - len, " %d", fds[i]);
    snprintf(line + len, sizeof line - len, "\n");
    out(line);
}

static void status(void)
{
    char line[8192];
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "Threads:", 8) || !strncmp(line, "SigBlk:", 7) ||
            !strncmp(line, "SigIgn:", 7) || !strncmp(line, "SigCgt:", 7))
            out(line);
    if (f)
        fclose(f);
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    snprintf(line, sizeof line, "tasks: %d\n", n);
    out(line);
    for (int r = 0; r < RLIM_NLIMITS; r++) {
        struct rlimit rl;
        getrlimit(r, &rl);
        snprintf(line, sizeof line, "rlimit %d: %llu %llu\n", r, (unsigned long long)rl.rlim_cur,
                 (unsigned long long)rl.rlim_max);
        out(line);
    }
    extern char **environ;
    for (char **v = environ; *v; v++) {
        if (!strncmp(*v, "LD_PRELOAD=", 11) || !strncmp(*v, "RATMEM_OPTIONS=", 15))
            continue;
        snprintf(line, sizeof line, "env %s\n", *v);
        out(line);
    }
}

static void *keep[64];
void *volatile sink;

/* The leak is made in a frame of its own that has returned before any
 * report: a copy of the pointer left in main's frame or registers (which
 * depends on the compiler flags, e.g. Debian's hardening flags) would make
 * the block "still reachable" instead of leaked. */
__attribute__((noinline)) static void leak48(void)
{
    sink = malloc(48);
    sink = NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hide_fds STAGE...\n");
        return 2;
    }
    for (int i = 0; i < 64; i++)
        keep[i] = malloc((size_t)i * 16 + 1);
    free(malloc(100));
    leak48(); /* a leak for the report to show */
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "start")) {
            listing(s);
        } else if (!strcmp(s, "report")) {
            RatLeakReport(getenv("HIDE_REPORT"));
            listing(s);
        } else if (!strcmp(s, "dump")) {
            RatHeapDump(getenv("HIDE_DUMP"));
            listing(s);
        } else if (!strcmp(s, "fork")) {
            pid_t pid = fork();
            if (pid == 0) {
                listing("fork-child");
                _exit(0);
            }
            int st;
            waitpid(pid, &st, 0);
            listing("fork-parent");
        } else if (!strcmp(s, "status")) {
            status();
        } else if (!strcmp(s, "own")) {
            int fd = open(getenv("HIDE_OWN"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fd < 0 || write(fd, "mine\n", 5) != 5)
                return 3;
            RatLeakReport(NULL);
            listing(s);
        } else if (!strcmp(s, "exec")) {
            listing("before-exec");
            execl("/proc/self/exe", argv[0], "start", (char *)NULL);
            out("exec failed\n");
            return 3;
        } else {
            fprintf(stderr, "hide_fds: unknown stage %s\n", s);
            return 2;
        }
    }
    return 0;
}
