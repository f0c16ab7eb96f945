/* roots.c - collecting root ranges (see roots.h). */
#define _GNU_SOURCE
#include "config.h"
#include <link.h>
#include <pthread.h>
#include <sys/uio.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include "fdhigh.h"
#include <stdatomic.h>
#include <sys/mman.h>
#include <string.h>
#include "mem.h"
#include "rheap.h"
#include "ldarena.h"
#include "table.h"
#include "regions.h"
#include "threads.h"
#include "roots.h"

struct collect {
    struct rm_range *out;
    size_t cap, n;
    uintptr_t skip_lo, skip_hi;
};

static void add(struct collect *c, uintptr_t lo, uintptr_t hi)
{
    if (lo < hi && c->n < c->cap) {
        c->out[c->n].lo = lo;
        c->out[c->n].hi = hi;
        c->n++;
    }
}

static int each_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct collect *c = arg;
    bool skip = false;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && c->skip_lo < c->skip_hi &&
            s >= c->skip_lo && s < c->skip_hi)
            skip = true;
    }
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W) && !skip)
            add(c, s, s + ph->p_memsz);
        else if (ph->p_type == PT_TLS && info->dlpi_tls_data)
            add(c, (uintptr_t)info->dlpi_tls_data,
                (uintptr_t)info->dlpi_tls_data + ph->p_memsz);
    }
    return 0;
}

/* How many bytes from p on are readable, up to max: one read of the
 * whole range when it is all readable (the usual case), else in steps of
 * 256 bytes.  The buffer is static: one report at a time (the report
 * lock). */
static size_t readable(uintptr_t p, size_t max)
{
    static char buf[4096];
    size_t ok = 0, step = sizeof buf;
    pid_t self = getpid();
    while (ok < max) {
        size_t len = max - ok < step ? max - ok : step;
        struct iovec l = { buf, len }, r = { (void *)(p + ok), len };
        ssize_t k = process_vm_readv(self, &l, 1, &r, 1, 0);
        if (k <= 0 && step > 256) {
            step = 256;
            continue;
        }
        if (k <= 0)
            break;
        ok += (size_t)k;
        if ((size_t)k < len)
            break;
    }
    return ok;
}

/* The "lo-hi " that starts a /proc/self/maps line at buf[i] (hex):
 * returns the index just past the space after hi. */
static size_t maps_range(const char *buf, size_t len, size_t i, uintptr_t *lo, uintptr_t *hi)
{
    uintptr_t v = 0;
    while (i < len && buf[i] != '-') {
        char c = buf[i++];
        v = v * 16 + (uintptr_t)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
    }
    *lo = v;
    i++;
    v = 0;
    while (i < len && buf[i] != ' ') {
        char c = buf[i++];
        v = v * 16 + (uintptr_t)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
    }
    *hi = v;
    return i + 1;
}

/* The readable mappings of this process, from /proc/self/maps, sorted. */
static size_t readable_maps(struct rm_range **out, size_t *bytes)
{
    size_t cap = (size_t)1 << 20;
    char *buf = NULL;
    size_t len = 0;
    for (;;) {
        buf = rm_mem_map_scratch(cap);
        if (!buf)
            return 0;
        int fd = ratmem_fd_open("/proc/self/maps", O_RDONLY, 0);
        if (fd < 0) {
            rm_mem_unmap_scratch(buf, cap);
            return 0;
        }
        len = ratmem_fd_read_all(fd, buf, cap);
        close(fd);
        if (len < cap || cap >= ((size_t)64 << 20))
            break;
        rm_mem_unmap_scratch(buf, cap);
        cap *= 4;
    }
    size_t n = 0, rcap = len / 40 + 16;
    *bytes = rcap * sizeof **out;
    struct rm_range *r = rm_mem_map_scratch(*bytes);
    for (size_t i = 0; r && i < len && n < rcap;) {
        uintptr_t lo, hi;
        i = maps_range(buf, len, i, &lo, &hi);
        if (i < len && buf[i] == 'r' && lo < hi) {
            r[n].lo = lo;
            r[n].hi = hi;
            n++;
        }
        while (i < len && buf[i] != '\n')
            i++;
        i++;
    }
    rm_mem_unmap_scratch(buf, cap);
    *out = r;
    return n;
}

/* The program's own mappings, cut to what is readable now. */
static void add_regions(struct collect *c)
{
    size_t nreg = rm_regions_list(NULL, 0);
    if (!nreg)
        return;
    size_t gbytes = (nreg + 64) * sizeof(struct rm_range);
    struct rm_range *g = rm_mem_map_scratch(gbytes);
    if (!g)
        return;
    nreg = rm_regions_list(g, nreg + 64);
    if (nreg > nreg + 64)
        nreg = nreg + 64;
    struct rm_range *m = NULL;
    size_t mbytes = 0;
    size_t nm = readable_maps(&m, &mbytes);
    for (size_t i = 0, j = 0; i < nreg && j < nm;) {
        uintptr_t lo = g[i].lo > m[j].lo ? g[i].lo : m[j].lo;
        uintptr_t hi = g[i].hi < m[j].hi ? g[i].hi : m[j].hi;
        if (lo < hi)
            add(c, lo, hi);
        if (g[i].hi < m[j].hi)
            i++;
        else
            j++;
    }
    rm_mem_unmap_scratch(m, mbytes);
    rm_mem_unmap_scratch(g, gbytes);
}

size_t rm_roots_collect(struct rm_range *out, size_t cap, uintptr_t sp,
                        uintptr_t skip_lo, uintptr_t skip_hi)
{
    struct collect c = { .out = out, .cap = cap, .skip_lo = skip_lo, .skip_hi = skip_hi };
    dl_iterate_phdr(each_object, &c);
    add_regions(&c);

    /* The calling thread's descriptor: pthread_getspecific values of the
     * first keys live there (x86-64 and aarch64 glibc: pthread_self() is
     * the descriptor).  Its size is private to glibc: take what is
     * readable of 4 KiB. */
    uintptr_t self = (uintptr_t)pthread_self();
    add(&c, self, self + readable(self, 4096));

    size_t tcap = rm_threads_count() + 64;
    size_t tbytes = tcap * sizeof(struct rm_thread_info);
    struct rm_thread_info *th = rm_mem_map_scratch(tbytes);
    size_t nt = th ? rm_threads_list(th, tcap) : 0;
    if (nt > tcap)
        nt = tcap;
    bool self_done = false;
    for (size_t i = 0; i < nt; i++) {
        if (th[i].self && sp >= th[i].lo && sp < th[i].hi) {
            add(&c, sp, th[i].hi);
            self_done = true;
        } else {
            add(&c, th[i].lo, th[i].hi);   /* also self on a signal stack */
        }
    }
    rm_mem_unmap_scratch(th, tbytes);
    if (!self_done) {
        /* The calling thread never allocated: find its stack now. */
        uintptr_t lo, hi;
        rm_threads_stack_bounds(&lo, &hi);
        if (lo < hi)
            add(&c, sp, hi);
    }
    return c.n;
}

/* Cut [lo, hi) around the excluded ranges ex[0..nex) (any order) and the
 * blocks b[0..n) (sorted by address) and add the pieces. */
static void add_cut(struct collect *c, uintptr_t lo, uintptr_t hi, const struct rm_block *b,
                    size_t n, const struct rm_range *ex, size_t nex)
{
    for (size_t k = 0; k < nex; k++)
        if (ex[k].lo < hi && ex[k].hi > lo) {
            if (ex[k].lo > lo)
                add_cut(c, lo, ex[k].lo, b, n, ex + k + 1, nex - k - 1);
            if (ex[k].hi < hi)
                add_cut(c, ex[k].hi, hi, b, n, ex + k + 1, nex - k - 1);
            return;
        }
    /* The first block ending after lo (binary search), then the gaps. */
    size_t l = 0, r = n;
    while (l < r) {
        size_t m = l + (r - l) / 2;
        if (b[m].addr + b[m].size <= lo)
            l = m + 1;
        else
            r = m;
    }
    uintptr_t at = lo;
    for (size_t i = l; i < n && b[i].addr < hi; i++) {
        if (b[i].addr > at)
            add(c, at, b[i].addr);
        uintptr_t end = b[i].addr + (b[i].size ? b[i].size : 1);
        if (end > at)
            at = end;
    }
    if (at < hi)
        add(c, at, hi);
}

/* [lo, hi) as add_cut does, its pages that are not resident left out:
 * untouched memory holds no pointer, and the untouched bulk of thread
 * stacks (a fork child has its parent's) and of reserved heaps would cost
 * a fault per page.  Runs closer than 16 pages are joined; when mincore
 * fails or the runs would not fit, the whole range goes. */
static void add_resident(struct collect *c, uintptr_t lo, uintptr_t hi, const struct rm_block *b,
                         size_t n, const struct rm_range *ex, size_t nex)
{
    const size_t pg = (size_t)sysconf(_SC_PAGESIZE), chunk = 4096;   /* pages per call */
    unsigned char vec[4096];
    if ((lo | hi) & (pg - 1)) {
        add_cut(c, lo, hi, b, n, ex, nex);
        return;
    }
    uintptr_t run_lo = 0, run_hi = 0;
    for (uintptr_t at = lo; at < hi;) {
        size_t np = (hi - at) / pg < chunk ? (hi - at) / pg : chunk;
        if (mincore((void *)at, np * pg, vec) != 0 || c->n + 64 >= c->cap) {
            if (run_hi)
                add_cut(c, run_lo, run_hi, b, n, ex, nex);
            add_cut(c, run_hi > at ? run_hi : at, hi, b, n, ex, nex);
            return;
        }
        for (size_t i = 0; i < np; i++) {
            if (!(vec[i] & 1))
                continue;
            uintptr_t p = at + i * pg;
            if (run_hi && p - run_hi <= 16 * pg) {
                run_hi = p + pg;
            } else {
                if (run_hi)
                    add_cut(c, run_lo, run_hi, b, n, ex, nex);
                run_lo = p;
                run_hi = p + pg;
            }
        }
        at += np * pg;
    }
    if (run_hi)
        add_cut(c, run_lo, run_hi, b, n, ex, nex);
}

size_t rm_roots_heap(struct rm_range *out, size_t cap, const struct rm_block *b, size_t n,
                     const struct rm_range *ex, size_t nex)
{
    struct collect c = { .out = out, .cap = cap };
    size_t bufcap = (size_t)4 << 20, len = 0;
    char *buf = rm_mem_map_scratch(bufcap);
    if (!buf)
        return 0;
    int fd = ratmem_fd_open("/proc/self/maps", O_RDONLY, 0);
    if (fd >= 0) {
        len = ratmem_fd_read_all(fd, buf, bufcap);
        close(fd);
    }
    /* This buffer and the caller's scratch are not roots; neither is the
     * report heap (libdw's state, and reserved address space). */
    struct rm_range all[16];
    size_t na = 0;
    for (size_t k = 0; k < nex && na < 13; k++)
        all[na++] = ex[k];
    all[na++] = (struct rm_range){ (uintptr_t)buf, (uintptr_t)buf + bufcap };
    size_t rl = atomic_load_explicit(&rm_rheap_len, memory_order_acquire);
    if (rl) {
        uintptr_t base = atomic_load_explicit(&rm_rheap_base, memory_order_relaxed);
        all[na++] = (struct rm_range){ base, base + rl };
    }
    /* Nor the loader arena (the dynamic linker's own state). */
    size_t ll = atomic_load_explicit(&rm_ldarena_len, memory_order_acquire);
    if (ll) {
        uintptr_t base = atomic_load_explicit(&rm_ldarena_base, memory_order_relaxed);
        all[na++] = (struct rm_range){ base, base + ll };
    }
    for (size_t i = 0; i < len;) {
        /* "lo-hi perms offset dev inode   path" */
        uintptr_t lo, hi;
        i = maps_range(buf, len, i, &lo, &hi);
        bool rw = i + 1 < len && buf[i] == 'r' && buf[i + 1] == 'w';
        /* Skip perms, offset, dev, inode: the path starts after them. */
        for (int f = 0; f < 4 && i < len; f++) {
            while (i < len && buf[i] != ' ' && buf[i] != '\n')
                i++;
            while (i < len && buf[i] == ' ')
                i++;
        }
        size_t ps = i;
        while (i < len && buf[i] != '\n')
            i++;
        size_t pl = i - ps;
        i++;
        bool heap = pl == 0 || (pl == 6 && memcmp(buf + ps, "[heap]", 6) == 0);
        if (rw && heap && lo < hi)
            add_resident(&c, lo, hi, b, n, all, na);
    }
    rm_mem_unmap_scratch(buf, bufcap);
    return c.n;
}

bool rm_roots_single_thread(void)
{
    char buf[1024];
    int fd = ratmem_fd_open("/proc/self/stat", O_RDONLY, 0);
    if (fd < 0)
        return false;
    size_t len = ratmem_fd_read_all(fd, buf, sizeof buf - 1);
    close(fd);
    buf[len] = '\0';
    /* "pid (comm) state ppid ...": comm may hold anything, so fields
     * count from its last ')'; num_threads is field 20, the 18th after. */
    char *p = strrchr(buf, ')');
    if (!p)
        return false;
    for (int f = 0; f < 18; f++) {
        p = strchr(p + 1, ' ');
        if (!p)
            return false;
    }
    return p[1] == '1' && p[2] == ' ';
}
