/* prim.c - OS primitives over raw syscalls (see prim.h). */
#include "config.h"
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "prim.h"

static long raw(long nr, long a, long b, long c, long d, long e, long f)
{
    long r;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
#if defined(__x86_64__)
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
#else
    (void)r10; (void)r8; (void)r9; (void)r;
    /* Portable fallback: syscall(2) sets errno; translate back. */
    int saved = errno;
    long v = syscall(nr, a, b, c, d, e, f);
    if (v == -1) { v = -errno; errno = saved; }
    return v;
#endif
}

size_t ratmem_page_size(void)
{
    /* Written once with the same value by any thread: a benign race, made
     * explicit with relaxed atomics. */
    static _Atomic size_t cached;
    size_t ps = atomic_load_explicit(&cached, memory_order_relaxed);
    if (!ps) {
        long v = sysconf(_SC_PAGESIZE);
        ps = v > 0 ? (size_t)v : 4096;
        atomic_store_explicit(&cached, ps, memory_order_relaxed);
    }
    return ps;
}

size_t ratmem_page_round(size_t n)
{
    size_t ps = ratmem_page_size();
    if (n > SIZE_MAX - (ps - 1))
        return 0;
    return (n + ps - 1) & ~(ps - 1);
}

void *ratmem_prim_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return (void *)raw(SYS_mmap, (long)addr, (long)len, prot, flags, fd, (long)off);
}

int ratmem_prim_munmap(void *addr, size_t len)
{
    return (int)raw(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0);
}

int ratmem_prim_mprotect(void *addr, size_t len, int prot)
{
    return (int)raw(SYS_mprotect, (long)addr, (long)len, prot, 0, 0, 0);
}

int ratmem_prim_pkey_mprotect(void *addr, size_t len, int prot, int pkey)
{
    return (int)raw(SYS_pkey_mprotect, (long)addr, (long)len, prot, pkey, 0, 0);
}

int ratmem_prim_madvise(void *addr, size_t len, int advice)
{
    return (int)raw(SYS_madvise, (long)addr, (long)len, advice, 0, 0, 0);
}

int ratmem_prim_mbind(void *addr, size_t len, int mode, const unsigned long *nodemask,
                      unsigned long maxnode, unsigned flags)
{
    return (int)raw(SYS_mbind, (long)addr, (long)len, mode, (long)nodemask, (long)maxnode,
                    (long)flags);
}

int ratmem_prim_get_mempolicy(int *mode, unsigned long *nodemask, unsigned long maxnode,
                              void *addr, unsigned long flags)
{
    return (int)raw(SYS_get_mempolicy, (long)mode, (long)nodemask, (long)maxnode, (long)addr,
                    (long)flags, 0);
}

int ratmem_prim_grow_array(void **arr, size_t *cap, size_t used, size_t elem, size_t first)
{
    size_t ncap = *cap ? *cap * 2 : first, bytes;
    if (ncap < *cap || __builtin_mul_overflow(ncap, elem, &bytes) ||
        (bytes = ratmem_page_round(bytes)) == 0)
        return -ENOMEM;
    void *p = ratmem_prim_mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ratmem_prim_failed(p))
        return -ENOMEM;
    if (*arr) {
        memcpy(p, *arr, used * elem);
        ratmem_prim_munmap(*arr, ratmem_page_round(*cap * elem));
    }
    *arr = p;
    *cap = bytes / elem;
    return 0;
}
