/* unwmem.c - libunwind's memory reads without its validation pipe (see
 * unwmem.h). */
#include "config.h"
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include "fdhigh.h"
#include "lazylib.h"
#include "unwmem.h"

/* libunwind's own access_mem (it still serves writes).  Set once by
 * rm_unwmem_init, read by capturing threads. */
static int (*rm_unw_access_mem)(unw_addr_space_t, unw_word_t, unw_word_t *, int, void *);

/* Bumped by rm_unwmem_forget; a thread whose cache is of an older
 * generation empties it.  Relaxed: a stale entry costs at most what
 * libunwind's own never-flushed cache of good pages would. */
static _Atomic unsigned rm_unwmem_gen = 1;

/* Per thread: pages found readable (direct-mapped by page number) and the
 * generation they belong to.  Initial-exec TLS: no allocation. */
#define GOOD_PAGES 64
static __thread uintptr_t rm_good[GOOD_PAGES] __attribute__((tls_model("initial-exec")));
static __thread unsigned rm_good_gen __attribute__((tls_model("initial-exec")));
/* process_vm_readv usable: 1 yes, 0 refused (seccomp, ENOSYS), -1 unknown. */
static _Atomic int rm_pvr_ok = -1;

void rm_unwmem_test_force_maps(int on)
{
    atomic_store_explicit(&rm_pvr_ok, on ? 0 : -1, memory_order_relaxed);
    rm_unwmem_forget();
}

void rm_unwmem_forget(void)
{
    atomic_fetch_add_explicit(&rm_unwmem_gen, 1, memory_order_relaxed);
}

#define PAGE_OF(a) ((a) & ~(uintptr_t)4095)

static int cached(uintptr_t page)
{
    unsigned g = atomic_load_explicit(&rm_unwmem_gen, memory_order_relaxed);
    if (rm_good_gen != g) {
        memset(rm_good, 0, sizeof rm_good);
        rm_good_gen = g;
        return 0;
    }
    return rm_good[(page >> 12) % GOOD_PAGES] == page;
}

static void remember(uintptr_t page)
{
    rm_good[(page >> 12) % GOOD_PAGES] = page;
}

/* Is [addr, addr+len) inside readable mappings, by /proc/self/maps?  Read
 * a chunk at a time through a stack buffer; the descriptor is open only
 * for the scan, close-on-exec and above the program's range. */
static int maps_readable(uintptr_t addr, size_t len)
{
    int fd = ratmem_fd_open("/proc/self/maps", O_RDONLY, 0);
    if (fd < 0)
        return 0;
    char buf[4096];
    size_t have = 0;
    uintptr_t need = addr, end = addr + len;
    int ok = 0, done = 0;
    while (!done) {
        ssize_t k = read(fd, buf + have, sizeof buf - have);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        have += (size_t)k;
        size_t start = 0;
        for (size_t i = 0; i < have; i++) {
            if (buf[i] != '\n')
                continue;
            /* "lo-hi rwxp ..." */
            const char *p = buf + start;
            uintptr_t lo = 0, hi = 0;
            while (*p != '-' && p < buf + i) {
                char c = *p++;
                lo = lo * 16 + (uintptr_t)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
            }
            p++;
            while (*p != ' ' && p < buf + i) {
                char c = *p++;
                hi = hi * 16 + (uintptr_t)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
            }
            int readable = p + 1 < buf + i && p[1] == 'r';
            start = i + 1;
            if (need >= lo && need < hi) {
                if (!readable) {
                    done = 1;
                    break;
                }
                need = hi;          /* the rest may run into the next one */
                if (need >= end) {
                    ok = 1;
                    done = 1;
                    break;
                }
            } else if (lo > need) {
                done = 1;           /* sorted: a hole */
                break;
            }
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        if (have == sizeof buf)
            break;                  /* a line longer than the buffer */
    }
    close(fd);
    return ok;
}

static int read_checked(unsigned long addr, unsigned long *val)
{
    uintptr_t a = addr, last = addr + sizeof *val - 1;
    if (a < 4096 || last < a)
        return -1;
    if (cached(PAGE_OF(a)) && cached(PAGE_OF(last))) {
        memcpy(val, (const void *)a, sizeof *val);
        return 0;
    }
    int pvr = atomic_load_explicit(&rm_pvr_ok, memory_order_relaxed);
    if (pvr != 0) {
        unsigned long v;
        struct iovec local = { &v, sizeof v }, remote = { (void *)a, sizeof v };
        /* The raw syscall: errno stays the program's. */
        long r = syscall(SYS_process_vm_readv, (long)getpid(), &local, 1L, &remote, 1L, 0L);
        if (r == (long)sizeof v) {
            if (pvr < 0)
                atomic_store_explicit(&rm_pvr_ok, 1, memory_order_relaxed);
            remember(PAGE_OF(a));
            remember(PAGE_OF(last));
            *val = v;
            return 0;
        }
        if (r >= 0 || errno == EFAULT)
            return -1;
        if (errno == ENOSYS || errno == EPERM || errno == EACCES)
            atomic_store_explicit(&rm_pvr_ok, 0, memory_order_relaxed);
    }
    if (!maps_readable(a, sizeof *val))
        return -1;
    remember(PAGE_OF(a));
    remember(PAGE_OF(last));
    memcpy(val, (const void *)a, sizeof *val);
    return 0;
}

int rm_unwmem_read(unsigned long addr, unsigned long *val)
{
    int saved = errno;
    int r = read_checked(addr, val);
    errno = saved;
    return r;
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write,
                      void *arg)
{
    if (write)
        return rm_unw_access_mem(as, addr, val, write, arg);
    unsigned long v;
    if (rm_unwmem_read(addr, &v) != 0)
        return -UNW_EINVAL;
    *val = v;
    return 0;
}

/* The two lowest free descriptor numbers. */
static void lowest_free(int *a, int *b)
{
    int found = 0;
    for (int fd = 0; found < 2 && fd < 65536; fd++) {
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            if (found++ == 0)
                *a = fd;
            else
                *b = fd;
        }
    }
}

/* Is fd open now, a FIFO, and is other the same pipe's other end? */
static int same_pipe(int fd, int other)
{
    struct stat s1, s2;
    return fstat(fd, &s1) == 0 && fstat(other, &s2) == 0 && S_ISFIFO(s1.st_mode) &&
           S_ISFIFO(s2.st_mode) && s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev;
}

int rm_unwmem_init(void)
{
    int saved = errno;
    /* libunwind is not linked: loaded now (lazylib.h), before the
     * descriptors are looked at (dlopen's own come and go). */
    if (!rm_lazylib_load(RM_LIB_UNWIND)) {
        errno = saved;
        return -1;
    }
    int a = -1, b = -1;
    lowest_free(&a, &b);
    /* The first call into libunwind initialises it, pipe included. */
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    unw_accessors_t *acc = unw_get_accessors(unw_local_addr_space);
    int closed = 0;
    if (acc && acc->access_mem && acc->access_mem != access_mem) {
        rm_unw_access_mem = acc->access_mem;
        acc->access_mem = access_mem;
        /* libunwind no longer reads or writes its pipe: close it, if it is
         * the one just opened in the two numbers that were free. */
        if (a >= 0 && b >= 0 && same_pipe(a, b)) {
            close(a);
            close(b);
            closed = 1;
        }
    }
    errno = saved;
    return closed;
}
