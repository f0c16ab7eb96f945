/* hide_reuse.c - a program that closes descriptors 3..1023 (as daemons
 * and shells do), opens two files of its own (they get 3 and 4, the
 * numbers libunwind's validation pipe used to take), then allocates from
 * deep stacks and from code without unwind information (a JIT-style page:
 * written while read-write, flipped to read-execute, called), and checks
 * that its files hold exactly what it wrote.  Usage: hide_reuse DIR.
 * Prints "fds: 3 4", then "files ok", or what went wrong; status 0 when
 * the files are intact, 1 when not, 2 on a usage error. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *keep[4096];
static int nkeep;

/* Deep recursion, with a block at every tenth level. */
static __attribute__((noinline)) int deep(int n)
{
    if (n % 10 == 0 && nkeep < 4096)
        keep[nkeep++] = malloc((size_t)n + 1);
    if (n == 0)
        return 0;
    return deep(n - 1) + 1;
}

/* push rbp; mov rbp,rsp; mov rax,rdi; mov rdi,rsi; call rax; pop rbp; ret:
 * calls fn(arg) with a frame-pointer frame and no unwind information. */
static const unsigned char jit_code[] = {
    0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7, 0xff, 0xd0, 0x5d, 0xc3,
};

static __attribute__((noinline)) void *alloc_deep_via_jit(size_t n)
{
    deep(50);
    return malloc(n);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: hide_reuse DIR\n");
        return 2;
    }
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    char pa[4096], pb[4096];
    snprintf(pa, sizeof pa, "%s/a", argv[1]);
    snprintf(pb, sizeof pb, "%s/b", argv[1]);
    int a = open(pa, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int b = open(pb, O_RDWR | O_CREAT | O_TRUNC, 0600);
    printf("fds: %d %d\n", a, b);
    fflush(stdout);
    static const char ta[] = "alpha: the first file\n", tb[] = "beta: the second file\n";
    if (write(a, ta, sizeof ta - 1) != (ssize_t)(sizeof ta - 1) ||
        write(b, tb, sizeof tb - 1) != (ssize_t)(sizeof tb - 1)) {
        perror("write");
        return 1;
    }
    /* Rewind: a byte read from either by anyone else would now show. */
    lseek(a, 0, SEEK_SET);
    lseek(b, 0, SEEK_SET);

    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *code = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    memcpy(code, jit_code, sizeof jit_code);
    if (mprotect(code, page, PROT_READ | PROT_EXEC) != 0) {
        perror("mprotect");
        return 1;
    }
    void *(*jit)(void *(*)(size_t), size_t) = (void *(*)(void *(*)(size_t), size_t))code;
    for (int i = 0; i < 200; i++) {
        deep(300);
        if (nkeep < 4096)
            keep[nkeep++] = jit(malloc, (size_t)i + 1);
        if (nkeep < 4096)
            keep[nkeep++] = jit(alloc_deep_via_jit, (size_t)i + 7);
    }

    char buf[256];
    ssize_t n = pread(a, buf, sizeof buf, 0);
    int ok = n == (ssize_t)(sizeof ta - 1) && !memcmp(buf, ta, sizeof ta - 1);
    n = pread(b, buf, sizeof buf, 0);
    ok = ok && n == (ssize_t)(sizeof tb - 1) && !memcmp(buf, tb, sizeof tb - 1);
    ok = ok && lseek(a, 0, SEEK_CUR) == 0 && lseek(b, 0, SEEK_CUR) == 0;
    printf(ok ? "files ok\n" : "files changed behind the program's back\n");
    return ok ? 0 : 1;
}
