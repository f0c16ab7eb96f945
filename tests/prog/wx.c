/* wx.c - W^X seen from an unmodified program.  Prints one line per case:
 * "NAME ok" or "NAME EACCES" (or another errno name). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

static void report(const char *name, int ok)
{
    printf("%s %s\n", name, ok ? "ok" : (errno == EACCES ? "EACCES" : strerror(errno)));
}

int main(void)
{
    size_t len = (size_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < 3; i++) { /* same call site three times: one warning */
        errno = 0;
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (i == 0)
            report("mmap-rwx", p != MAP_FAILED);
        if (p != MAP_FAILED)
            munmap(p, len);
    }
    unsigned char *q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report("mmap-rw", q != MAP_FAILED);
    q[0] = 0xc3; /* ret */
    errno = 0;
    report("mprotect-rwx", mprotect(q, len, PROT_READ | PROT_WRITE | PROT_EXEC) == 0);
    errno = 0;
    report("mprotect-rx", mprotect(q, len, PROT_READ | PROT_EXEC) == 0);
    /* The JIT pattern: the code written while RW runs once RX. */
    ((void (*)(void))q)();
    report("jit-call", 1);
    errno = 0;
    report("mprotect-rw-again", mprotect(q, len, PROT_READ | PROT_WRITE) == 0);
    munmap(q, len);
    int id = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);
    if (id >= 0) {
        errno = 0;
        void *s = shmat(id, NULL, SHM_EXEC);
        report("shmat-exec", s != (void *)-1);
        if (s != (void *)-1)
            shmdt(s);
        errno = 0;
        s = shmat(id, NULL, 0);
        report("shmat-rw", s != (void *)-1);
        if (s != (void *)-1)
            shmdt(s);
        shmctl(id, IPC_RMID, NULL);
    }
    return 0;
}
