/* stress_exec.c MODE - processes made under the shim.
 *   child N:  print "child N", leak 64 bytes in exec_child_leak, exit N.
 *   spawn:    posix_spawn "child 3"; print its status.
 *   vfork:    vfork + execv "child 4"; print its status.
 *   exec:     print "before exec", flush, execv "child 5" (this process
 *             becomes it: exit status 5).
 * Prints "done" at the end of spawn and vfork. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

__attribute__((noinline)) static void exec_child_leak(void)
{
    char *volatile p = malloc(64);
    p[0] = 1;
    p = NULL;
}

static void status(const char *how, int st)
{
    if (WIFEXITED(st))
        printf("%s: exit %d\n", how, WEXITSTATUS(st));
    else
        printf("%s: killed by %d\n", how, WTERMSIG(st));
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    char *self = argv[0];
    if (!strcmp(m, "child") && argc > 2) {
        printf("child %s\n", argv[2]);
        exec_child_leak();
        return atoi(argv[2]);
    }
    /* Some tracked work before the new process. */
    for (int i = 0; i < 100; i++)
        free(malloc((size_t)i + 1));
    fflush(stdout);
    if (!strcmp(m, "spawn")) {
        char *args[] = { self, "child", "3", NULL };
        pid_t pid;
        int st;
        if (posix_spawn(&pid, self, NULL, NULL, args, environ) != 0 || waitpid(pid, &st, 0) != pid)
            return 1;
        status("spawn", st);
    } else if (!strcmp(m, "vfork")) {
        char *args[] = { self, "child", "4", NULL };
        int st;
        pid_t pid = vfork();
        if (pid == 0) {
            execv(self, args);
            _exit(127);
        }
        if (pid < 0 || waitpid(pid, &st, 0) != pid)
            return 1;
        status("vfork", st);
    } else if (!strcmp(m, "exec")) {
        char *args[] = { self, "child", "5", NULL };
        puts("before exec");
        fflush(stdout);
        execv(self, args);
        return 1;
    } else {
        return 2;
    }
    puts("done");
    return 0;
}
