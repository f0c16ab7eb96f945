/* check_track.c - unit tests of the leak tracker (track/), without
 * LD_PRELOAD: the table, the stack store, the scan on synthetic heaps, the
 * report writers and the seam itself. */
#define _GNU_SOURCE
#include "config.h"
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "badfree.h"
#include "exempt.h"
#include "gate.h"
#include "dump.h"
#include "json.h"
#include "mem.h"
#include "out.h"
#include "outfile.h"
#include "regions.h"
#include "report.h"
#include "rheap.h"
#include "scan.h"
#include "stackdb.h"
#include "suppress.h"
#include "table.h"
#include "threads.h"
#include "track.h"
#include "unwind.h"
#include "unwmem.h"
#include "fastunwind.h"
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <signal.h>

/* ---------------------------------------------------------------- table */

START_TEST(test_table_basic)
{
    rm_table_clear();
    ck_assert(rm_table_insert(0x1000, 16, 3));
    ck_assert(rm_table_insert(0x2000, 32, 4));
    ck_assert_uint_eq(rm_table_count(), 2);
    struct rm_block b;
    ck_assert(rm_table_lookup(0x1000, &b));
    ck_assert_uint_eq(b.size, 16);
    ck_assert_uint_eq(b.stack, 3);
    ck_assert(!rm_table_remove(0x3000));          /* unknown: ignored */
    ck_assert(!rm_table_remove(0));
    ck_assert(rm_table_insert(0x1000, 64, 5));     /* replace */
    ck_assert_uint_eq(rm_table_count(), 2);
    ck_assert(rm_table_lookup(0x1000, &b));
    ck_assert_uint_eq(b.size, 64);
    ck_assert(rm_table_remove(0x1000));
    ck_assert(!rm_table_lookup(0x1000, NULL));
    ck_assert_uint_eq(rm_table_count(), 1);
    rm_table_clear();
    ck_assert_uint_eq(rm_table_count(), 0);
}
END_TEST

#define PER_THREAD 200000
#define NTHREADS 4

static void *table_worker(void *arg)
{
    uintptr_t base = (uintptr_t)arg;
    for (uintptr_t i = 0; i < PER_THREAD; i++)
        if (!rm_table_insert(base + i * 16, i, (uint32_t)(i & 0xffff)))
            return (void *)1;
    /* Remove the odd ones, move the multiples of 4 ("realloc"). */
    for (uintptr_t i = 1; i < PER_THREAD; i += 2)
        if (!rm_table_remove(base + i * 16))
            return (void *)2;
    for (uintptr_t i = 0; i < PER_THREAD; i += 4) {
        if (!rm_table_remove(base + i * 16))
            return (void *)3;
        if (!rm_table_insert(base + 0x10000000 + i * 16, i + 1, 7))
            return (void *)4;
    }
    return NULL;
}

START_TEST(test_table_threads)
{
    rm_table_clear();
    pthread_t t[NTHREADS];
    for (int k = 0; k < NTHREADS; k++)
        pthread_create(&t[k], NULL, table_worker, (void *)(uintptr_t)(0x100000000ull * (k + 1)));
    for (int k = 0; k < NTHREADS; k++) {
        void *r;
        pthread_join(t[k], &r);
        ck_assert_ptr_null(r);
    }
    ck_assert_uint_eq(rm_table_count(), NTHREADS * PER_THREAD / 2);
    for (int k = 0; k < NTHREADS; k++) {
        uintptr_t base = 0x100000000ull * (k + 1);
        for (uintptr_t i = 0; i < PER_THREAD; i++) {
            struct rm_block b;
            bool here = rm_table_lookup(base + i * 16, &b);
            bool moved = rm_table_lookup(base + 0x10000000 + i * 16, NULL);
            if (i % 2)
                ck_assert(!here && !moved);
            else if (i % 4 == 0)
                ck_assert(!here && moved);
            else
                ck_assert(here && b.size == i && !moved);
        }
    }
    size_t cap = rm_table_count() + 16;
    struct rm_block *snap = rm_mem_map_scratch(cap * sizeof *snap);
    size_t n = rm_table_snapshot(snap, cap);
    ck_assert_uint_eq(n, NTHREADS * PER_THREAD / 2);
    rm_blocks_sort(snap, n);
    for (size_t i = 1; i < n; i++)
        ck_assert(snap[i - 1].addr < snap[i].addr);
    rm_mem_unmap_scratch(snap, cap * sizeof *snap);
    ck_assert_uint_gt(rm_mem_bytes(), 0);
    rm_table_clear();
    ck_assert_uint_eq(rm_table_count(), 0);
}
END_TEST

/* ---------------------------------------------------------------- stacks */

static __attribute__((noinline)) uint32_t capture_id(void)
{
    uintptr_t pc[64];
    unsigned n = rm_unwind_capture(pc, 64);
    __asm__ volatile("" ::: "memory");   /* no tail call */
    return n ? rm_stackdb_intern(pc, n, rm_stack_hash(pc, n)) : 0;
}

static __attribute__((noinline)) uint32_t site_a(void)
{
    uint32_t r = capture_id();
    __asm__ volatile("" ::: "memory");
    return r;
}

static __attribute__((noinline)) uint32_t site_b(void)
{
    uint32_t r = capture_id();
    __asm__ volatile("" ::: "memory");
    return r;
}

START_TEST(test_stack_dedup)
{
    rm_unwind_init();
    rm_unwind_set_skip_range(0, 0);
    uint32_t a[3], b[3];
    for (int i = 0; i < 3; i++) {
        a[i] = site_a();
        b[i] = site_b();
    }
    ck_assert_uint_ne(a[0], 0);
    ck_assert_uint_eq(a[0], a[1]);
    ck_assert_uint_eq(a[0], a[2]);
    ck_assert_uint_eq(b[0], b[1]);
    ck_assert_uint_ne(a[0], b[0]);
    const struct rm_stack *s = rm_stackdb_get(a[0]);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_ge(s->depth, 3);
    /* The same frames interned directly find the same id. */
    ck_assert_uint_eq(rm_stackdb_intern(s->pc, s->depth, s->hash), a[0]);
    /* A stack one frame shorter is another stack. */
    ck_assert_uint_ne(rm_stackdb_intern(s->pc, s->depth - 1,
                                        rm_stack_hash(s->pc, s->depth - 1)), a[0]);
    /* Skipping this object's frames leaves none of them. */
    rm_unwind_init();
    uintptr_t lo, hi, pc[64];
    rm_unwind_get_skip_range(&lo, &hi);
    ck_assert((uintptr_t)&capture_id >= lo && (uintptr_t)&capture_id < hi);
    unsigned n = rm_unwind_capture(pc, 64);
    for (unsigned i = 0; i < n; i++)
        ck_assert(pc[i] < lo || pc[i] >= hi);
    rm_unwind_set_skip_range(0, 0);
}
END_TEST

/* Open descriptors below 4096. */
static int open_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 4096; fd++)
        n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

START_TEST(test_unwmem)
{
    /* libunwind's start leaves no descriptor behind (its pipe is closed). */
    int before = open_fds();
    rm_unwind_init();
    ck_assert_int_eq(open_fds(), before);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    for (int maps = 0; maps < 2; maps++) {
        rm_unwmem_test_force_maps(maps);
        unsigned long word = 0x1234567890abcdefUL, v = 0;
        ck_assert_int_eq(rm_unwmem_read((unsigned long)&word, &v), 0);
        ck_assert_uint_eq(v, word);
        /* Unreadable: PROT_NONE, unmapped (after being found readable),
         * the page at 0, a word across into an unreadable page. */
        char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ck_assert_ptr_ne(p, MAP_FAILED);
        memset(p, 7, 2 * pg);
        ck_assert_int_eq(rm_unwmem_read((unsigned long)p, &v), 0);
        ck_assert_uint_eq(v, 0x0707070707070707UL);
        ck_assert_int_eq(mprotect(p + pg, pg, PROT_NONE), 0);
        rm_unwmem_forget();
        ck_assert_int_eq(rm_unwmem_read((unsigned long)(p + pg), &v), -1);
        ck_assert_int_eq(rm_unwmem_read((unsigned long)(p + pg - 4), &v), -1);
        ck_assert_int_eq(munmap(p, 2 * pg), 0);
        rm_unwmem_forget();
        ck_assert_int_eq(rm_unwmem_read((unsigned long)p, &v), -1);
        ck_assert_int_eq(rm_unwmem_read(8, &v), -1);
        /* errno is the caller's. */
        errno = 4242;
        rm_unwmem_read((unsigned long)p, &v);
        ck_assert_int_eq(errno, 4242);
    }
    rm_unwmem_test_force_maps(0);
}
END_TEST

static uint32_t synthetic_stack(uintptr_t pc0)
{
    uintptr_t pc[2] = { pc0, pc0 + 0x100 };
    return rm_stackdb_intern(pc, 2, rm_stack_hash(pc, 2));
}

START_TEST(test_stack_many)
{
    /* Many distinct stacks from several ids; all retrievable. */
    uint32_t first = synthetic_stack(0x7000000);
    for (uintptr_t i = 1; i < 50000; i++) {
        uint32_t id = synthetic_stack(0x7000000 + i * 8);
        ck_assert_uint_ne(id, 0);
        const struct rm_stack *s = rm_stackdb_get(id);
        ck_assert_ptr_nonnull(s);
        ck_assert_uint_eq(s->pc[0], 0x7000000 + i * 8);
    }
    ck_assert_uint_eq(synthetic_stack(0x7000000), first);
    ck_assert_uint_ge(rm_stackdb_count(), 50000);
}
END_TEST

/* ---------------------------------------------------------------- scan */

/* A synthetic heap: nb blocks of ws words each, from posix_memalign. */
struct heap {
    size_t n;
    uintptr_t *mem[16];
    struct rm_block b[16];
    uint8_t kind[16];
};

static void heap_init(struct heap *h, size_t n, size_t words)
{
    memset(h, 0, sizeof *h);
    h->n = n;
    for (size_t i = 0; i < n; i++) {
        h->mem[i] = calloc(words, sizeof(uintptr_t));
        ck_assert_ptr_nonnull(h->mem[i]);
        h->b[i].addr = (uintptr_t)h->mem[i];
        h->b[i].size = words * sizeof(uintptr_t);
        h->b[i].stack = (uint32_t)i + 1;   /* names the block after sorting */
    }
}

/* Classify; kind_of(h, i) is then the kind of the block made i-th. */
static void heap_classify(struct heap *h, const struct rm_range *roots, size_t nr, bool safe)
{
    struct rm_block s[16];
    memcpy(s, h->b, sizeof s);
    rm_blocks_sort(s, h->n);
    uint8_t k[16];
    ck_assert_int_eq(rm_scan_classify(s, h->n, roots, nr, safe, k), 0);
    for (size_t i = 0; i < h->n; i++)
        h->kind[s[i].stack - 1] = k[i];
}

static void heap_free(struct heap *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->mem[i]);
}

START_TEST(test_scan_direct_owns_indirect)
{
    struct heap h;
    heap_init(&h, 4, 4);
    h.mem[0][0] = (uintptr_t)h.mem[1];   /* A -> B, A -> C */
    h.mem[0][3] = (uintptr_t)h.mem[2];
    h.mem[2][1] = (uintptr_t)h.mem[0];   /* C -> A: A is not only direct... */
    h.mem[2][1] = 0;                     /* ...undo: plain tree */
    uintptr_t root[2] = { (uintptr_t)h.mem[3], 0 };   /* D reachable */
    struct rm_range r = { (uintptr_t)root, (uintptr_t)(root + 2) };
    for (int safe = 0; safe < 2; safe++) {
        heap_classify(&h, &r, 1, safe);
        ck_assert_int_eq(h.kind[0], RM_KIND_DIRECT);
        ck_assert_int_eq(h.kind[1], RM_KIND_INDIRECT);
        ck_assert_int_eq(h.kind[2], RM_KIND_INDIRECT);
        ck_assert_int_eq(h.kind[3], RM_KIND_REACHABLE);
    }
    heap_free(&h);
}
END_TEST

START_TEST(test_scan_cycle)
{
    struct heap h;
    heap_init(&h, 5, 2);
    /* X -> Y -> Z -> X, and Z -> T (a tail), nothing else: one of X, Y, Z
     * is direct, the rest indirect. */
    h.mem[0][0] = (uintptr_t)h.mem[1];
    h.mem[1][0] = (uintptr_t)h.mem[2];
    h.mem[2][0] = (uintptr_t)h.mem[0];
    h.mem[2][1] = (uintptr_t)h.mem[3];
    /* S points to itself only: direct. */
    h.mem[4][0] = (uintptr_t)h.mem[4];
    heap_classify(&h, NULL, 0, false);
    int direct = 0;
    for (int i = 0; i < 3; i++)
        direct += h.kind[i] == RM_KIND_DIRECT;
    ck_assert_int_eq(direct, 1);
    for (int i = 0; i < 3; i++)
        ck_assert(h.kind[i] == RM_KIND_DIRECT || h.kind[i] == RM_KIND_INDIRECT);
    ck_assert_int_eq(h.kind[3], RM_KIND_INDIRECT);
    ck_assert_int_eq(h.kind[4], RM_KIND_DIRECT);
    /* A two-cycle: exactly one direct. */
    heap_free(&h);
    heap_init(&h, 2, 1);
    h.mem[0][0] = (uintptr_t)h.mem[1];
    h.mem[1][0] = (uintptr_t)h.mem[0];
    heap_classify(&h, NULL, 0, false);
    ck_assert_int_eq((h.kind[0] == RM_KIND_DIRECT) + (h.kind[1] == RM_KIND_DIRECT), 1);
    ck_assert_int_eq((h.kind[0] == RM_KIND_INDIRECT) + (h.kind[1] == RM_KIND_INDIRECT), 1);
    heap_free(&h);
}
END_TEST

START_TEST(test_scan_cycle_tail_low_address)
{
    /* Blocks whose lowest addresses are the tail: the tail must not be the
     * direct one.  Build a cycle of 2 among blocks 3,4 and a chain 0<-1<-2
     * hanging off it (4 -> 2 -> 1 -> 0), then sort decides the order. */
    struct heap h;
    heap_init(&h, 5, 2);
    h.mem[3][0] = (uintptr_t)h.mem[4];
    h.mem[4][0] = (uintptr_t)h.mem[3];
    h.mem[4][1] = (uintptr_t)h.mem[2];
    h.mem[2][0] = (uintptr_t)h.mem[1];
    h.mem[1][0] = (uintptr_t)h.mem[0];
    heap_classify(&h, NULL, 0, false);
    ck_assert_int_eq(h.kind[0], RM_KIND_INDIRECT);
    ck_assert_int_eq(h.kind[1], RM_KIND_INDIRECT);
    ck_assert_int_eq(h.kind[2], RM_KIND_INDIRECT);
    ck_assert_int_eq((h.kind[3] == RM_KIND_DIRECT) + (h.kind[4] == RM_KIND_DIRECT), 1);
    heap_free(&h);
}
END_TEST

START_TEST(test_scan_interior_pointer)
{
    struct heap h;
    heap_init(&h, 3, 8);
    h.mem[0][5] = (uintptr_t)h.mem[1] + 3;   /* interior pointer A -> B */
    uintptr_t root[1] = { (uintptr_t)h.mem[0] + 17 };   /* interior, from a root */
    struct rm_range r = { (uintptr_t)root, (uintptr_t)(root + 1) };
    /* C is pointed to one past its end only: not a reference. */
    uintptr_t root2[1] = { (uintptr_t)h.mem[2] + 8 * sizeof(uintptr_t) };
    struct rm_range rr[2] = { r, { (uintptr_t)root2, (uintptr_t)(root2 + 1) } };
    heap_classify(&h, rr, 2, false);
    ck_assert_int_eq(h.kind[0], RM_KIND_REACHABLE);
    ck_assert_int_eq(h.kind[1], RM_KIND_REACHABLE);
    /* C's neighbour in memory may be anything: only check C when no other
     * block starts right after it. */
    bool adjacent = false;
    for (int i = 0; i < 3; i++)
        adjacent |= h.b[i].addr == root2[0];
    if (!adjacent)
        ck_assert_int_eq(h.kind[2], RM_KIND_DIRECT);
    heap_free(&h);
}
END_TEST

/* Blocks laid out as glibc chunks in one buffer (the size word before
 * each block is its chunk header), so that the scan reads the real chunk
 * sizes whatever allocator the test runs under:
 *   A: 33 bytes in a 48-byte chunk: the next chunk's header is at A+32,
 *      in A's last bytes; glibc's bins point there: not a reference.
 *   B: 51 bytes in an 80-byte chunk (realloc shrank it in place, or a free
 *      chunk too small to split was taken whole): request2size(51) - 16 =
 *      48, but the next header is at B+64, past the block: a pointer to
 *      B+48 is an ordinary interior reference (perl's save stack, 5048
 *      bytes in 5072, was such a block).
 *   C: 33 bytes in an mmapped chunk: no next chunk: C+32 is a reference.
 *   D: 40 bytes in a 48-byte chunk: D+16 is a reference.
 * The pointers are held by E, reached from a root, so that both the root
 * scan and the block scan (direct or through process_vm_readv) meet them. */
START_TEST(test_scan_glibc_next_chunk)
{
    static _Alignas(16) uintptr_t arena[40];
    memset(arena, 0, sizeof arena);
    const size_t W = sizeof(uintptr_t);
    arena[1] = 0x31;                    /* A: chunk [0, 48) */
    uintptr_t A = (uintptr_t)&arena[2];
    arena[7] = 0x21;                    /* a free chunk [48, 80): its header at A+32 */
    arena[11] = 0x51;                   /* B: chunk [80, 160) */
    uintptr_t B = (uintptr_t)&arena[12];
    arena[21] = 0x1000 | 2;             /* C: chunk at 160, mmapped */
    uintptr_t C = (uintptr_t)&arena[22];
    arena[29] = 0x31;                   /* D: chunk [224, 272) */
    uintptr_t D = (uintptr_t)&arena[30];
    uintptr_t *e = calloc(4, W);
    ck_assert_ptr_nonnull(e);
    e[0] = A + 32;
    e[1] = B + 48;
    e[2] = C + 32;
    e[3] = D + 16;
    for (int via_root = 0; via_root < 2; via_root++) {
        for (int safe = 0; safe < 2; safe++) {
            struct rm_block bl[5] = {
                { .addr = A, .size = 33, .stack = 1 }, { .addr = B, .size = 51, .stack = 2 },
                { .addr = C, .size = 33, .stack = 3 }, { .addr = D, .size = 40, .stack = 4 },
                { .addr = (uintptr_t)e, .size = 4 * W, .stack = 5 },
            };
            rm_blocks_sort(bl, 5);
            uintptr_t root[4] = { (uintptr_t)e, 0, 0, 0 };
            if (via_root)
                memcpy(root, e, sizeof root);
            struct rm_range r = { (uintptr_t)root, (uintptr_t)(root + 4) };
            uint8_t k[5], kind[6] = { 0 };
            ck_assert_int_eq(rm_scan_classify(bl, 5, &r, 1, safe, k), 0);
            for (int i = 0; i < 5; i++)
                kind[bl[i].stack] = k[i];
            ck_assert_int_eq(kind[1], RM_KIND_DIRECT);
            ck_assert_int_eq(kind[2], RM_KIND_REACHABLE);
            ck_assert_int_eq(kind[3], RM_KIND_REACHABLE);
            ck_assert_int_eq(kind[4], RM_KIND_REACHABLE);
            ck_assert_int_eq(kind[5], via_root ? RM_KIND_DIRECT : RM_KIND_REACHABLE);
        }
    }
    free(e);
}
END_TEST

START_TEST(test_scan_root_blocks)
{
    /* A block marked as a root block (the dynamic linker's) is reachable
     * and so is what it points to; the rest is classified as usual. */
    struct heap h;
    heap_init(&h, 3, 2);
    h.mem[0][0] = (uintptr_t)h.mem[1];
    struct rm_block s[16];
    memcpy(s, h.b, sizeof s);
    rm_blocks_sort(s, h.n);
    uint8_t root[3], k[3];
    for (int i = 0; i < 3; i++)
        root[i] = s[i].stack == 1;   /* block 0 */
    ck_assert_int_eq(rm_scan_classify_ex(s, 3, NULL, 0, root, false, 0, k), 0);
    for (int i = 0; i < 3; i++)
        h.kind[s[i].stack - 1] = k[i];
    ck_assert_int_eq(h.kind[0], RM_KIND_REACHABLE);
    ck_assert_int_eq(h.kind[1], RM_KIND_REACHABLE);
    ck_assert_int_eq(h.kind[2], RM_KIND_DIRECT);
    heap_free(&h);
}
END_TEST

START_TEST(test_scan_big_list)
{
    /* A leaked doubly linked list of 100000 nodes: one direct, rest
     * indirect; and the same list held by a root: all reachable. */
    enum { N = 100000 };
    uintptr_t **node = malloc(N * sizeof *node);
    struct rm_block *b = malloc(N * sizeof *b);
    uint8_t *k = malloc(N);
    for (int i = 0; i < N; i++)
        node[i] = calloc(2, sizeof(uintptr_t));
    for (int i = 0; i < N; i++) {
        node[i][0] = i + 1 < N ? (uintptr_t)node[i + 1] : 0;
        node[i][1] = i > 0 ? (uintptr_t)node[i - 1] : 0;
        b[i].addr = (uintptr_t)node[i];
        b[i].size = 2 * sizeof(uintptr_t);
        b[i].stack = 1;
    }
    rm_blocks_sort(b, N);
    ck_assert_int_eq(rm_scan_classify(b, N, NULL, 0, false, k), 0);
    int direct = 0, indirect = 0;
    for (int i = 0; i < N; i++) {
        direct += k[i] == RM_KIND_DIRECT;
        indirect += k[i] == RM_KIND_INDIRECT;
    }
    ck_assert_int_eq(direct, 1);
    ck_assert_int_eq(indirect, N - 1);
    uintptr_t root[1] = { (uintptr_t)node[N / 2] };
    struct rm_range r = { (uintptr_t)root, (uintptr_t)(root + 1) };
    ck_assert_int_eq(rm_scan_classify(b, N, &r, 1, false, k), 0);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(k[i], RM_KIND_REACHABLE);
    for (int i = 0; i < N; i++)
        free(node[i]);
    free(node);
    free(b);
    free(k);
}
END_TEST

START_TEST(test_scan_granule_map)
{
    /* Blocks side by side in one buffer at strides of 16 bytes (256 start
     * in a 4 KiB region: the scan's binary search) and 48 bytes (its
     * granule map, every other block starting 16 bytes into a granule),
     * each pointing into the middle of the next: one direct, the rest
     * indirect.  A root word into the gap after the first block reaches
     * nothing; one at the first block's last byte reaches them all. */
    static const size_t stride[] = { 16, 48 }, size[] = { 8, 40 }, into[] = { 7, 24 };
    enum { N = 3000 };
    for (size_t t = 0; t < 2; t++) {
        size_t len = N * stride[t] + 4096;
        char *buf = aligned_alloc(4096, len);
        ck_assert_ptr_nonnull(buf);
        memset(buf, 0, len);
        struct rm_block *b = malloc(N * sizeof *b);
        uint8_t *k = malloc(N);
        for (size_t i = 0; i < N; i++) {
            b[i].addr = (uintptr_t)buf + i * stride[t];
            b[i].size = size[t];
            b[i].stack = 1;
        }
        for (size_t i = 0; i + 1 < N; i++)
            *(uintptr_t *)b[i].addr = b[i + 1].addr + into[t];
        uintptr_t root[1] = { b[0].addr + size[t] + 4 };
        struct rm_range r = { (uintptr_t)root, (uintptr_t)(root + 1) };
        ck_assert_int_eq(rm_scan_classify(b, N, &r, 1, false, k), 0);
        int direct = 0, indirect = 0;
        for (int i = 0; i < N; i++) {
            direct += k[i] == RM_KIND_DIRECT;
            indirect += k[i] == RM_KIND_INDIRECT;
        }
        ck_assert_int_eq(direct, 1);
        ck_assert_int_eq(k[0], RM_KIND_DIRECT);
        ck_assert_int_eq(indirect, N - 1);
        root[0] = b[0].addr + size[t] - 1;
        ck_assert_int_eq(rm_scan_classify(b, N, &r, 1, false, k), 0);
        for (int i = 0; i < N; i++)
            ck_assert_int_eq(k[i], RM_KIND_REACHABLE);
        free(buf);
        free(b);
        free(k);
    }
}
END_TEST

START_TEST(test_scan_unmapped_root)
{
    /* A root range with an unmapped page inside is skipped, not a fault. */
    long ps = sysconf(_SC_PAGESIZE);
    char *m = rm_mem_map_scratch(3 * ps);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(munmap(m + ps, ps), 0);
    uintptr_t *blk = calloc(1, 16);
    *(uintptr_t *)(m + 2 * ps + 8) = (uintptr_t)blk;
    struct rm_block b = { .addr = (uintptr_t)blk, .size = 16, .stack = 1 };
    uint8_t k;
    struct rm_range r = { (uintptr_t)m, (uintptr_t)m + 3 * ps };
    ck_assert_int_eq(rm_scan_classify(&b, 1, &r, 1, true, &k), 0);
    ck_assert_int_eq(k, RM_KIND_REACHABLE);
    munmap(m, ps);
    munmap(m + 2 * ps, ps);
    free(blk);
}
END_TEST

/* ---------------------------------------------------------------- json */

static char *json_of(const char *s, size_t n)
{
    static char res[4096];
    char path[] = "/tmp/rmjsonXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    struct rm_out o;
    rm_out_init(&o, fd);
    rm_json_string(&o, s, n);
    rm_out_flush(&o);
    ssize_t k = pread(fd, res, sizeof res - 1, 0);
    close(fd);
    ck_assert_int_ge(k, 0);
    res[k] = 0;
    return res;
}

START_TEST(test_json_escape)
{
    ck_assert_str_eq(json_of("plain", 5), "\"plain\"");
    ck_assert_str_eq(json_of("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
    ck_assert_str_eq(json_of("\n\t\r\x01\x1f\x7f", 6), "\"\\n\\t\\r\\u0001\\u001f\\u007f\"");
    ck_assert_str_eq(json_of("x\0y", 3), "\"x\\u0000y\"");
    /* Well-formed UTF-8 passes: é, €, U+1F600. */
    ck_assert_str_eq(json_of("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9),
                     "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    /* Ill-formed: stray continuation, overlong, surrogate, > U+10FFFF,
     * truncated sequence at the end. */
    ck_assert_str_eq(json_of("\x80", 1), "\"\\ufffd\"");
    ck_assert_str_eq(json_of("\xc0\xaf", 2), "\"\\ufffd\\ufffd\"");
    ck_assert_str_eq(json_of("\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"");
    ck_assert_str_eq(json_of("\xf4\x90\x80\x80", 4), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    ck_assert_str_eq(json_of("a\xe2\x82", 3), "\"a\\ufffd\\ufffd\"");
    ck_assert_str_eq(json_of("\xff" "z", 2), "\"\\ufffdz\"");
}
END_TEST

/* ---------------------------------------------------------------- outfile */

START_TEST(test_outfile)
{
    char buf[64];
    ck_assert_int_eq(rm_outfile_expand("r.%p.json", buf, sizeof buf), 0);
    char want[64];
    snprintf(want, sizeof want, "r.%d.json", (int)getpid());
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(rm_outfile_expand("100%%", buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "100%");
    ck_assert_int_eq(rm_outfile_expand("0123456789", buf, 8), -1);

    char dir[] = "/tmp/rmoutXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char target[128], link[128], file[128];
    snprintf(target, sizeof target, "%s/target", dir);
    snprintf(link, sizeof link, "%s/link", dir);
    snprintf(file, sizeof file, "%s/rep", dir);
    ck_assert_int_eq(symlink(target, link), 0);
    int failed = 0;
    /* A symlink is refused: stderr fallback (fd 2). */
    int fd = rm_outfile_open(link, &failed);
    ck_assert_int_eq(fd, 2);
    ck_assert_int_eq(failed, 1);
    ck_assert_int_ne(access(target, F_OK), 0);
    fd = rm_outfile_open(file, &failed);
    ck_assert_int_gt(fd, 2);
    ck_assert_int_eq(failed, 0);
    struct stat st;
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    rm_outfile_close(fd);
    ck_assert_int_eq(rm_outfile_open("", &failed), 2);
    unlink(file);
    unlink(link);
    rmdir(dir);
}
END_TEST

/* ---------------------------------------------------------------- report */

static char report_buf[1 << 16];

/* Run the report with explicit roots into report_buf. */
static struct rm_report_totals run_report(const struct ratmem_options *o,
                                          const struct rm_range *roots, size_t nr)
{
    char path[] = "/tmp/rmrepXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    struct rm_report_req req = { .opts = o, .fd = fd, .roots = roots, .nroots = nr };
    struct rm_report_totals t;
    ck_assert_int_eq(rm_report_write(&req, &t), 0);
    ssize_t k = pread(fd, report_buf, sizeof report_buf - 1, 0);
    close(fd);
    ck_assert_int_ge(k, 0);
    report_buf[k] = 0;
    return t;
}

static void opts_default(struct ratmem_options *o)
{
    memset(o, 0, sizeof *o);
    o->leaks = 1;
    o->stack_depth = 32;
}

/* Functions whose addresses serve as frames with real symbols. */
__attribute__((noinline)) void rm_test_frame_alpha(void) { __asm__ volatile(""); }
__attribute__((noinline)) void rm_test_frame_beta(void) { __asm__ volatile(""); }

static uint32_t stack_at(void (*fn)(void))
{
    uintptr_t pc[2] = { (uintptr_t)fn + 1, (uintptr_t)&rm_test_frame_alpha + 2 };
    return rm_stackdb_intern(pc, 2, rm_stack_hash(pc, 2));
}

START_TEST(test_report_order_and_counts)
{
    rm_table_clear();
    uint32_t sa = stack_at(rm_test_frame_alpha), sb = stack_at(rm_test_frame_beta);
    /* Direct leaks: 3 x 100 bytes from alpha (300), 1 x 500 from beta;
     * one 64-byte block owned by a beta block (indirect); one block
     * reachable from a root. */
    void *a[3];
    for (int i = 0; i < 3; i++) {
        a[i] = calloc(1, 100);
        rm_table_insert((uintptr_t)a[i], 100, sa);
    }
    uintptr_t *big = calloc(1, 500);
    rm_table_insert((uintptr_t)big, 500, sb);
    void *child = calloc(1, 64);
    big[1] = (uintptr_t)child;
    rm_table_insert((uintptr_t)child, 64, sa);
    void *kept = calloc(1, 40);
    rm_table_insert((uintptr_t)kept, 40, sb);
    uintptr_t root[1] = { (uintptr_t)kept };
    struct rm_range r = { (uintptr_t)root, (uintptr_t)(root + 1) };

    struct ratmem_options o;
    opts_default(&o);
    struct rm_report_totals t = run_report(&o, &r, 1);
    ck_assert_uint_eq(t.direct_bytes, 800);
    ck_assert_uint_eq(t.direct_blocks, 4);
    ck_assert_uint_eq(t.indirect_bytes, 64);
    ck_assert_uint_eq(t.indirect_blocks, 1);
    ck_assert_uint_eq(t.reachable_bytes, 40);
    ck_assert_uint_eq(t.reachable_blocks, 1);
    char *h = strstr(report_buf, "ERROR: ratmem: detected memory leaks");
    char *g1 = strstr(report_buf, "Direct leak of 500 byte(s) in 1 object(s) allocated from:");
    char *g2 = strstr(report_buf, "Direct leak of 300 byte(s) in 3 object(s) allocated from:");
    char *g3 = strstr(report_buf, "Indirect leak of 64 byte(s) in 1 object(s) allocated from:");
    char *s = strstr(report_buf, "SUMMARY: ratmem: 864 byte(s) leaked in 5 allocation(s).\n");
    ck_assert_msg(h && g1 && g2 && g3 && s, "report:\n%s", report_buf);
    ck_assert(h < g1 && g1 < g2 && g2 < g3 && g3 < s);
    ck_assert_ptr_null(strstr(report_buf, "Still reachable"));
    ck_assert_msg(strstr(g1, "#0 0x") && strstr(g1, " in rm_test_frame_beta"), "%s", report_buf);
    ck_assert_msg(strstr(g2, " in rm_test_frame_alpha "), "%s", report_buf);
    ck_assert_msg(strstr(report_buf, "check_track.c:"), "no file:line: %s", report_buf);

    /* reachable=1 lists the reachable group too, after the leaks. */
    o.reachable = 1;
    run_report(&o, &r, 1);
    char *rg = strstr(report_buf, "Still reachable: 40 byte(s) in 1 object(s) allocated from:");
    ck_assert_msg(rg && rg > strstr(report_buf, "Indirect leak"), "%s", report_buf);

    /* Suppressing alpha moves 364 bytes in 4 blocks to suppressed. */
    char supp[] = "/tmp/rmsuppXXXXXX";
    int fd = mkstemp(supp);
    const char *text = "# comment\nleak:rm_test_frame_alpha\n\nnonsense\n";
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    o.reachable = 0;
    strcpy(o.suppressions, supp);
    t = run_report(&o, &r, 1);
    unlink(supp);
    ck_assert_uint_eq(t.suppressed_bytes, 364);
    ck_assert_uint_eq(t.suppressed_blocks, 4);
    ck_assert_uint_eq(t.direct_bytes, 500);
    ck_assert_uint_eq(t.indirect_bytes, 0);
    ck_assert_ptr_null(strstr(report_buf, "rm_test_frame_alpha"));
    ck_assert_msg(strstr(report_buf, "SUMMARY: ratmem: 500 byte(s) leaked in 1 allocation(s)."),
                  "%s", report_buf);

    /* JSON: largest first, the summary numbers. */
    o.suppressions[0] = 0;
    o.format = RATMEM_FORMAT_JSON;
    run_report(&o, &r, 1);
    ck_assert_msg(strstr(report_buf, "\"ratmem_report\": 1"), "%s", report_buf);
    ck_assert(strstr(report_buf, "\"direct_bytes\": 800, \"direct_blocks\": 4"));
    ck_assert(strstr(report_buf, "\"indirect_bytes\": 64, \"indirect_blocks\": 1"));
    char *j1 = strstr(report_buf, "\"kind\": \"direct\", \"bytes\": 500");
    char *j2 = strstr(report_buf, "\"kind\": \"direct\", \"bytes\": 300");
    char *j3 = strstr(report_buf, "\"kind\": \"indirect\", \"bytes\": 64");
    ck_assert_msg(j1 && j2 && j3 && j1 < j2 && j2 < j3, "%s", report_buf);
    ck_assert(strstr(report_buf, "\"function\": \"rm_test_frame_beta\""));
    ck_assert_ptr_null(strstr(report_buf, "\"kind\": \"reachable\""));

    /* Everything freed: no leaks. */
    rm_table_clear();
    o.format = RATMEM_FORMAT_TEXT;
    t = run_report(&o, &r, 1);
    ck_assert_uint_eq(t.direct_blocks + t.indirect_blocks, 0);
    ck_assert_msg(strstr(report_buf, "ratmem: no leaks"), "%s", report_buf);
    ck_assert_ptr_null(strstr(report_buf, "ERROR"));
    for (int i = 0; i < 3; i++)
        free(a[i]);
    free(big);
    free(child);
    free(kept);
}
END_TEST

/* ---------------------------------------------------------------- dumps */

START_TEST(test_dump_groups)
{
    rm_table_clear();
    uint32_t sa = stack_at(rm_test_frame_alpha), sb = stack_at(rm_test_frame_beta);
    /* 3 x 100 + 1 x 64 from alpha (364 in 4), 500 + 40 from beta (540 in
     * 2): a dump groups by stack only, whatever points where. */
    void *b[6];
    size_t sizes[6] = { 100, 100, 100, 64, 500, 40 };
    for (int i = 0; i < 6; i++) {
        b[i] = calloc(1, sizes[i]);
        rm_table_insert((uintptr_t)b[i], sizes[i], i < 4 ? sa : sb);
    }
    struct ratmem_options o;
    opts_default(&o);
    char path[] = "/tmp/rmdumpXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    struct rm_report_req req = { .opts = &o, .fd = fd, .dump = true, .dump_seq = 7,
                                 .dump_time_ms = 1764121191123ULL };
    struct rm_report_totals t;
    ck_assert_int_eq(rm_report_write(&req, &t), 0);
    ck_assert_uint_eq(t.live_bytes, 904);
    ck_assert_uint_eq(t.live_blocks, 6);
    ck_assert_uint_eq(t.direct_blocks + t.indirect_blocks + t.reachable_blocks, 0);
    ssize_t k = pread(fd, report_buf, sizeof report_buf - 1, 0);
    ck_assert_int_gt(k, 0);
    report_buf[k] = 0;
    char *h = strstr(report_buf, "==ratmem: heap dump 7 at 2025-11-26T01:39:51.123Z\n");
    char *g1 = strstr(report_buf, "Live: 540 byte(s) in 2 object(s) allocated from:\n    #0 0x");
    char *g2 = strstr(report_buf, "Live: 364 byte(s) in 4 object(s) allocated from:\n    #0 0x");
    char *sum = strstr(report_buf, "SUMMARY: ratmem: heap dump 7: 904 byte(s) live in 6 allocation(s).\n");
    ck_assert_msg(h && g1 && g2 && sum && h < g1 && g1 < g2 && g2 < sum, "%s", report_buf);
    ck_assert_msg(strstr(g1, " in rm_test_frame_beta") < g2, "%s", report_buf);
    ck_assert_ptr_null(strstr(report_buf, "leak"));

    /* JSON: type dump, the summary, live groups largest first. */
    o.format = RATMEM_FORMAT_JSON;
    req.quota_on = true;
    req.quota_limit = 1 << 20;
    req.quota_used = 904;
    req.quota_peak = 2000;
    ck_assert_int_eq(ftruncate(fd, 0), 0);
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    ck_assert_int_eq(rm_report_write(&req, &t), 0);
    k = pread(fd, report_buf, sizeof report_buf - 1, 0);
    close(fd);
    ck_assert_int_gt(k, 0);
    report_buf[k] = 0;
    ck_assert_msg(strstr(report_buf, "\"ratmem_report\": 1,\n  \"type\": \"dump\""), "%s", report_buf);
    ck_assert(strstr(report_buf, "\"sequence\": 7, \"timestamp_ms\": 1764121191123"));
    ck_assert(strstr(report_buf, "\"live_bytes\": 904, \"live_blocks\": 6"));
    ck_assert(strstr(report_buf, "\"quota_bytes\": 1048576, \"quota_used_bytes\": 904, "
                                 "\"quota_peak_bytes\": 2000"));
    char *j1 = strstr(report_buf, "{ \"kind\": \"live\", \"bytes\": 540, \"blocks\": 2");
    char *j2 = strstr(report_buf, "{ \"kind\": \"live\", \"bytes\": 364, \"blocks\": 4");
    ck_assert_msg(j1 && j2 && j1 < j2, "%s", report_buf);
    ck_assert_ptr_null(strstr(report_buf, "direct"));
    rm_table_clear();
    for (int i = 0; i < 6; i++)
        free(b[i]);
}
END_TEST

START_TEST(test_dump_path)
{
    struct ratmem_options o;
    opts_default(&o);
    char buf[128], want[128];
    int pid = (int)getpid();
    /* No report, no dump=: standard error. */
    ck_assert_int_eq(rm_dump_path(&o, NULL, 3, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "");
    /* The report path + ".dump.N". */
    strcpy(o.report, "/tmp/r.%p.json");
    ck_assert_int_eq(rm_dump_path(&o, NULL, 3, buf, sizeof buf), 0);
    snprintf(want, sizeof want, "/tmp/r.%d.json.dump.3", pid);
    ck_assert_str_eq(buf, want);
    /* dump= with %n and %p; "%%n" is a literal "%n". */
    strcpy(o.dump, "/tmp/d.%p.%n.%%n.json");
    ck_assert_int_eq(rm_dump_path(&o, NULL, 12, buf, sizeof buf), 0);
    snprintf(want, sizeof want, "/tmp/d.%d.12.%%n.json", pid);
    ck_assert_str_eq(buf, want);
    /* dump= without %n: ".N" appended. */
    strcpy(o.dump, "/tmp/d.json");
    ck_assert_int_eq(rm_dump_path(&o, NULL, 2, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "/tmp/d.json.2");
    /* An explicit path is taken as it is, %n and %p expanded. */
    ck_assert_int_eq(rm_dump_path(&o, "/x/y.json", 2, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "/x/y.json");
    ck_assert_int_eq(rm_dump_path(&o, "/x/%n-%n", 5, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "/x/5-5");
    /* Too long. */
    ck_assert_int_eq(rm_dump_path(&o, "/0123456789/0123456789", 1, buf, 8), -1);
    /* Sequence numbers: 1, 2, ...; a fork child starts again. */
    rm_dump_reset_child();
    ck_assert_uint_eq(rm_dump_next_seq(), 1);
    ck_assert_uint_eq(rm_dump_next_seq(), 2);
    rm_dump_reset_child();
    ck_assert_uint_eq(rm_dump_next_seq(), 1);
}
END_TEST

START_TEST(test_suppress_parse)
{
    const char *t = "leak:foo\n  # x\n\tleak:bar  \r\nleak:\ncalled_from_lib:x\n";
    struct rm_suppress *sp = rm_suppress_parse(t, strlen(t));
    ck_assert_uint_eq(rm_suppress_count(sp), 2);
    ck_assert(rm_suppress_match(sp, "my_foo_fn", "/lib/x.so"));
    ck_assert(rm_suppress_match(sp, NULL, "/usr/lib/libbar.so"));
    ck_assert(!rm_suppress_match(sp, "baz", "/lib/x.so"));
    rm_suppress_free(sp);
}
END_TEST

/* ---------------------------------------------------------------- seam */

/* The tracker's view of this process, as the preload drives it. */
static struct ratmem_options seam_opts;
void *rm_test_global;   /* a root in this program's data */

/* Every block the seam tests make, hidden from the scan (xor), so that the
 * test frees its deliberate leaks at the end (clean under valgrind). */
#define HIDE 0x5a5a5a5a5a5a5a5aULL
static _Atomic uintptr_t made[64];
static _Atomic int nmade;

static __attribute__((noinline)) void *tracked_malloc(size_t n)
{
    void *p = calloc(1, n);
    ratmem_track_alloc(p, n, NULL);
    made[atomic_fetch_add(&nmade, 1)] = (uintptr_t)p ^ HIDE;
    return p;
}

static void forget(void *p)
{
    for (int i = 0; i < nmade; i++)
        if (made[i] == ((uintptr_t)p ^ HIDE))
            made[i] = 0;
}

static __attribute__((noinline)) void tracked_free(void *p)
{
    ratmem_track_free(p);
    forget(p);
    free(p);
}

static void free_made(void)
{
    for (int i = 0; i < nmade; i++)
        if (made[i])
            free((void *)(made[i] ^ HIDE));
    nmade = 0;
}

static __attribute__((noinline)) void leak_some(void)
{
    void **head = tracked_malloc(32);
    head[0] = tracked_malloc(16);   /* indirect */
    rm_test_global = tracked_malloc(24);
    void *gone = tracked_malloc(48);
    volatile uintptr_t old = (uintptr_t)gone;
    /* Moved, never grown in place: glibc's own pointer to the chunk that
     * followed the old block (its top, a bin) would point into the grown
     * block, an interior reference that keeps it (as it does for LSan). */
    void *gone2 = malloc(80);
    memcpy(gone2, gone, 48);
    memset((char *)gone2 + 48, 0, 32);
    free(gone);
    ratmem_track_realloc((void *)old, gone2, 80);
    forget((void *)old);
    made[atomic_fetch_add(&nmade, 1)] = (uintptr_t)gone2 ^ HIDE;
    void *tmp = tracked_malloc(8);
    tracked_free(tmp);
    ratmem_track_free((void *)0x12345);   /* unknown: ignored */
}

/* Wipe the stack below here so stale copies of pointers do not linger in
 * dead frames the next calls reuse. */
static __attribute__((noinline)) void wipe_stack(void)
{
    volatile char buf[16384];
    memset((char *)buf, 0, sizeof buf);
}

static void *thread_leak(void *arg)
{
    (void)arg;
    void *volatile p = tracked_malloc(1000);   /* only on this stack */
    (void)p;
    return NULL;
}

static void seam_body(void);

START_TEST(test_seam_end_to_end)
{
    /* The body's frame is laid over wiped stack: in a forked test, the
     * runner's stale words there could equal a block's address. */
    wipe_stack();
    seam_body();
}
END_TEST

static __attribute__((noinline)) void seam_body(void)
{
    opts_default(&seam_opts);
    seam_opts.format = RATMEM_FORMAT_JSON;
    ratmem_track_init(&seam_opts);
    ratmem_track_init(&seam_opts);   /* idempotent */
    rm_unwind_set_skip_range(0, 0);  /* this object is not a shim */
    rm_table_clear();

    leak_some();
    pthread_t t;
    pthread_create(&t, NULL, thread_leak, NULL);
    pthread_join(t, NULL);
    wipe_stack();

    char path[] = "/tmp/rmseamXXXXXX";
    int fd = mkstemp(path);
    close(fd);
    bool leaks = false;
    ck_assert_int_eq(ratmem_track_report(path, &leaks), 0);
    ck_assert(leaks);
    fd = open(path, O_RDONLY);
    ssize_t k = read(fd, report_buf, sizeof report_buf - 1);
    close(fd);
    unlink(path);
    report_buf[k > 0 ? k : 0] = 0;
    /* head 32 + realloc'd 80 + the finished thread's 1000 are direct. */
    ck_assert_msg(strstr(report_buf, "\"direct_bytes\": 1112, \"direct_blocks\": 3"), "%s", report_buf);
    ck_assert_msg(strstr(report_buf, "\"indirect_bytes\": 16, \"indirect_blocks\": 1"), "%s", report_buf);
    ck_assert_msg(strstr(report_buf, "\"reachable_bytes\": 24"), "%s", report_buf);
    char *g = strstr(report_buf, "\"bytes\": 1000");
    ck_assert_msg(g && strstr(g, "\"function\": \"tracked_malloc\"") &&
                  strstr(g, "\"function\": \"thread_leak\""), "%s", report_buf);
    g = strstr(report_buf, "\"bytes\": 80");
    ck_assert_msg(g && strstr(g, "\"function\": \"leak_some\""), "%s", report_buf);

    /* A report path through a symlink is refused: -1, stderr fallback. */
    int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    int r = ratmem_track_report("/dev/null/x", &leaks);
    dup2(saved, 2);
    close(saved);
    close(devnull);
    ck_assert_int_eq(r, -1);
    rm_table_clear();
    free_made();
}

static void *register_and_exit(void *arg)
{
    (void)arg;
    rm_threads_ensure();
    return (void *)rm_threads_count();
}

/* rm_threads_stack_bounds against glibc's pthread_getattr_np: the same
 * range on the initial thread (its own parse of /proc/self/maps), on a
 * new thread and in a fork child of that thread (glibc's answer). */
static bool same_as_glibc(void)
{
    pthread_attr_t a;
    void *addr = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &a) != 0)
        return false;
    pthread_attr_getstack(&a, &addr, &size);
    pthread_attr_destroy(&a);
    uintptr_t lo, hi;
    rm_threads_stack_bounds(&lo, &hi);
    if (lo != (uintptr_t)addr || hi != (uintptr_t)addr + size)
        fprintf(stderr, "stack %#lx-%#lx, glibc %p+%#zx\n", (unsigned long)lo, (unsigned long)hi,
                addr, size);
    return lo == (uintptr_t)addr && hi == (uintptr_t)addr + size && lo < hi;
}

static void *bounds_in_thread(void *arg)
{
    (void)arg;
    bool ok = same_as_glibc();
    pid_t pid = fork();
    if (pid == 0)
        _exit(same_as_glibc() ? 0 : 1);
    int st = -1;
    waitpid(pid, &st, 0);
    return (void *)(uintptr_t)(ok && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

START_TEST(test_threads_stack_bounds)
{
    ck_assert(same_as_glibc());
    /* Under a smaller and an unlimited RLIMIT_STACK too (fork children). */
    rlim_t lims[] = { 1 << 20, RLIM_INFINITY };
    for (int i = 0; i < 2; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            struct rlimit rl;
            getrlimit(RLIMIT_STACK, &rl);
            rl.rlim_cur = lims[i] <= rl.rlim_max ? lims[i] : rl.rlim_max;
            setrlimit(RLIMIT_STACK, &rl);
            _exit(same_as_glibc() ? 0 : 1);
        }
        int st = -1;
        waitpid(pid, &st, 0);
        ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    pthread_t t;
    void *ok = NULL;
    pthread_create(&t, NULL, bounds_in_thread, NULL);
    pthread_join(t, &ok);
    ck_assert(ok != NULL);
}
END_TEST

START_TEST(test_threads_registry)
{
    ratmem_track_init(NULL);
    rm_threads_ensure();
    size_t before = rm_threads_count();
    ck_assert_uint_ge(before, 1);
    pthread_t t;
    void *during;
    pthread_create(&t, NULL, register_and_exit, NULL);
    pthread_join(t, &during);
    ck_assert_uint_eq((size_t)during, before + 1);
    ck_assert_uint_eq(rm_threads_count(), before);

    /* fork: the child keeps only the forking thread. */
    pthread_create(&t, NULL, register_and_exit, NULL);   /* joins below */
    pthread_join(t, NULL);
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    ratmem_track_atfork_prepare();
    pid_t pid = fork();
    if (pid == 0) {
        ratmem_track_atfork_child();
        size_t n = rm_threads_count();
        ssize_t w = write(pfd[1], &n, sizeof n);
        _exit(w == sizeof n ? 0 : 1);
    }
    ratmem_track_atfork_parent();
    size_t child_count = 0;
    ck_assert_int_eq(read(pfd[0], &child_count, sizeof child_count), sizeof child_count);
    ck_assert_uint_eq(child_count, 1);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    close(pfd[0]);
    close(pfd[1]);
}
END_TEST

START_TEST(test_regions)
{
    rm_regions_clear();
    struct rm_range r[8];
    ck_assert(rm_regions_add(0x10000, 0x20000));
    ck_assert(rm_regions_add(0x40000, 0x50000));
    ck_assert(rm_regions_add(0x30000, 0x38000));
    ck_assert_uint_eq(rm_regions_list(r, 8), 3);
    ck_assert(r[0].lo == 0x10000 && r[1].lo == 0x30000 && r[2].lo == 0x40000);
    rm_regions_remove(0x12000, 0x13000);             /* split */
    ck_assert_uint_eq(rm_regions_list(r, 8), 4);
    ck_assert(r[0].lo == 0x10000 && r[0].hi == 0x12000);
    ck_assert(r[1].lo == 0x13000 && r[1].hi == 0x20000);
    rm_regions_remove(0x1f000, 0x31000);             /* trims two */
    ck_assert_uint_eq(rm_regions_list(r, 8), 4);
    ck_assert(r[1].hi == 0x1f000 && r[2].lo == 0x31000);
    ck_assert(rm_regions_add(0x0, 0x60000) || 1);    /* lo 0: empty-safe */
    ck_assert(rm_regions_add(0x45000, 0x46000));     /* overlap replaces */
    ck_assert(rm_regions_contains(0x45800));
    ck_assert(!rm_regions_contains(0x70000));
    rm_regions_remove(0x0, 0x100000);
    ck_assert_uint_eq(rm_regions_list(r, 8), 0);
}
END_TEST

static __attribute__((noinline)) void *hidden_alloc(size_t n)
{
    void *p = tracked_malloc(n);
    __asm__ volatile("" ::: "memory");
    return p;
}

START_TEST(test_seam_mapped_region_root)
{
    /* A block whose only reference lives in memory the program mapped
     * itself (as pymalloc's arenas) is reachable while the mapping is
     * recorded, and a direct leak once it is unmapped. */
    opts_default(&seam_opts);
    seam_opts.format = RATMEM_FORMAT_JSON;
    ratmem_track_init(&seam_opts);
    rm_unwind_set_skip_range(0, 0);
    rm_table_clear();
    rm_regions_clear();
    long ps = sysconf(_SC_PAGESIZE);
    uintptr_t *m = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(m, MAP_FAILED);
    ratmem_track_mmap(m, 4 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    m[ps / sizeof *m + 3] = (uintptr_t)hidden_alloc(72) ^ HIDE;
    m[ps / sizeof *m + 3] ^= HIDE;
    wipe_stack();
    struct ratmem_options *o = &seam_opts;
    int fd = open("/dev/null", O_WRONLY);
    struct rm_report_req req = { .opts = o, .fd = fd, .process_roots = true,
                                 .sp = (uintptr_t)__builtin_frame_address(0) };
    struct rm_report_totals t;
    ck_assert_int_eq(rm_report_write(&req, &t), 0);
    ck_assert_uint_eq(t.direct_blocks, 0);
    ck_assert_uint_ge(t.reachable_blocks, 1);
    /* Unmapping the middle pages (but the pointer's) keeps it a root... */
    munmap((char *)m + 2 * ps, ps);
    ratmem_track_munmap((char *)m + 2 * ps, ps);
    ck_assert_int_eq(rm_report_write(&req, &t), 0);
    ck_assert_uint_eq(t.direct_blocks, 0);
    /* ...forgetting its page makes the block a leak. */
    uintptr_t keep = m[ps / sizeof *m + 3] ^ HIDE;
    m[ps / sizeof *m + 3] = 0;
    ratmem_track_munmap(m, 4 * ps);
    m[ps / sizeof *m + 3] = keep;   /* still there, but no root */
    wipe_stack();
    ck_assert_int_eq(rm_report_write(&req, &t), 0);
    ck_assert_uint_eq(t.direct_blocks, 1);
    ck_assert_uint_eq(t.direct_bytes, 72);
    close(fd);
    munmap(m, 2 * ps);
    munmap((char *)m + 3 * ps, ps);
    rm_table_clear();
    free_made();
}
END_TEST

/* The exempt set: add, find, remove; a shard held by this very thread is
 * never waited for (a signal handler's nested call): the block is counted
 * untracked instead of hanging. */
START_TEST(test_exempt_set)
{
    size_t base = rm_exempt_count();
    enum { N = 5000 };
    static uintptr_t a[N];
    for (int i = 0; i < N; i++) {
        a[i] = 0x100000 + (uintptr_t)i * 48;
        rm_exempt_add(a[i]);
    }
    ck_assert_uint_eq(rm_exempt_count(), base + N);
    rm_exempt_add(a[7]);                       /* twice: one record */
    ck_assert_uint_eq(rm_exempt_count(), base + N);
    for (int i = 0; i < N; i += 2)
        ck_assert(rm_exempt_remove(a[i], i % 4 == 0));
    ck_assert(!rm_exempt_remove(a[0], true));  /* gone */
    for (int i = 1; i < N; i += 2)
        ck_assert(rm_exempt_remove(a[i], false));
    ck_assert_uint_eq(rm_exempt_count(), base);

    size_t before = rm_table_untracked();
    rm_exempt_lock_all();
    rm_exempt_add(0x123450);                   /* must not hang */
    ck_assert(!rm_exempt_remove(0x123450, false));
    rm_exempt_unlock_all();
    ck_assert_uint_eq(rm_table_untracked(), before + 1);
    ck_assert(!rm_exempt_remove(0x123450, true));
}
END_TEST

/* glibc chunk headers: what glibc handed out is plausible; stack buffers,
 * interiors, misaligned and unmapped addresses are not. */
START_TEST(test_badfree_plausible)
{
    char *small = malloc(40), *mid = calloc(1, 200), *big = malloc(1 << 20);
    ck_assert(small && mid && big);
    ck_assert(rm_badfree_plausible((uintptr_t)small));
    ck_assert(rm_badfree_plausible((uintptr_t)mid));
    ck_assert(rm_badfree_plausible((uintptr_t)big));   /* an mmapped chunk */
    ck_assert(!rm_badfree_plausible((uintptr_t)(mid + 64)));
    ck_assert(!rm_badfree_plausible((uintptr_t)(small + 8)));
    char stack[256];
    memset(stack, 0, sizeof stack);
    ck_assert(!rm_badfree_plausible(((uintptr_t)stack + 128) & ~(uintptr_t)15));
    long ps = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(m != MAP_FAILED);
    munmap(m, (size_t)ps);
    ck_assert(!rm_badfree_plausible((uintptr_t)m + 64));
    ck_assert(!rm_badfree_plausible(0));
    free(small);
    free(mid);
    free(big);
}
END_TEST

/* The fork gate: closing waits for a capture in progress; a capture
 * started while it is closed waits until it opens. */
static atomic_int gate_phase;

static void *gate_capturer(void *arg)
{
    (void)arg;
    rm_threads_ensure();
    rm_gate_enter();
    atomic_store(&gate_phase, 1);
    while (atomic_load(&gate_phase) != 2)
        sched_yield();
    usleep(20000);
    atomic_store(&gate_phase, 3);   /* still inside: close must wait */
    rm_gate_leave();
    while (atomic_load(&gate_phase) != 4)
        sched_yield();
    rm_gate_enter();                /* closed: waits for open */
    atomic_store(&gate_phase, 5);
    rm_gate_leave();
    return NULL;
}

START_TEST(test_fork_gate)
{
    rm_threads_init();
    pthread_t t;
    atomic_store(&gate_phase, 0);
    pthread_create(&t, NULL, gate_capturer, NULL);
    while (atomic_load(&gate_phase) != 1)
        sched_yield();
    atomic_store(&gate_phase, 2);
    rm_gate_close();
    ck_assert_int_eq(atomic_load(&gate_phase), 3);
    atomic_store(&gate_phase, 4);
    usleep(20000);
    ck_assert_int_eq(atomic_load(&gate_phase), 4);
    rm_gate_open();
    pthread_join(t, NULL);
    ck_assert_int_eq(atomic_load(&gate_phase), 5);
}
END_TEST

/* ---- the fast unwinder against libunwind ---- */

struct pair_cap {
    uintptr_t fast[RM_FAST_MAX];
    void *ref[RM_FAST_MAX];
    int nfast, nref;
};

static __attribute__((noinline)) void capture_both(struct pair_cap *c)
{
    c->nfast = rm_fastunwind_capture(c->fast, 200);
    c->nref = unw_backtrace(c->ref, 200);
    __asm__ volatile("" ::: "memory");   /* not a tail call */
}

/* The fast frames from the caller of capture_both on equal libunwind's. */
static void check_same(const struct pair_cap *c)
{
    ck_assert_int_gt(c->nfast, 2);
    int j = 0;
    while (j < c->nref && (uintptr_t)c->ref[j] != c->fast[1])
        j++;
    ck_assert_msg(j < c->nref, "libunwind never shows the caller's frame %#lx",
                  (unsigned long)c->fast[1]);
    ck_assert_int_eq(c->nfast - 1, c->nref - j);
    for (int i = 1; i < c->nfast; i++)
        ck_assert_msg(c->fast[i] == (uintptr_t)c->ref[j + i - 1], "frame %d: %#lx vs %#lx", i,
                      (unsigned long)c->fast[i], (unsigned long)c->ref[j + i - 1]);
}

static volatile int fu_sink;

static __attribute__((noinline)) void fu_leaf_a(struct pair_cap *c)
{
    capture_both(c);
    fu_sink++;
}

static __attribute__((noinline)) void fu_leaf_b(struct pair_cap *c, int x)
{
    char pad[x & 64 ? 200 : 40];
    memset(pad, x, sizeof pad);
    fu_sink += pad[3];
    capture_both(c);
    fu_sink++;
}

static __attribute__((noinline)) void fu_rec(int d, int which, struct pair_cap *c)
{
    if (d <= 0) {
        if (which)
            fu_leaf_b(c, d + which);
        else
            fu_leaf_a(c);
    } else {
        fu_rec(d - 1, which, c);
    }
    fu_sink++;
}

static void fu_round(void)
{
    struct pair_cap *c = rm_mem_map_scratch(sizeof *c);
    ck_assert_ptr_nonnull(c);
    static const int depths[] = { 3, 30, 3, 12, 60, 12, 59, 1, 100, 100 };
    for (unsigned r = 0; r < 3; r++)
        for (unsigned i = 0; i < sizeof depths / sizeof depths[0]; i++) {
            fu_rec(depths[i], (int)(i & 1) * (1 + (int)r * 64), c);
            check_same(c);
        }
    rm_mem_unmap_scratch(c, sizeof *c);
}

static void *fu_thread(void *arg)
{
    (void)arg;
    rm_threads_ensure();
    fu_round();
    return NULL;
}

static struct pair_cap *fu_sig_cap;

static void fu_handler(int sig)
{
    (void)sig;
    fu_sig_cap->nfast = rm_fastunwind_capture(fu_sig_cap->fast, 200);
}

START_TEST(test_fast_unwind_matches_libunwind)
{
    rm_threads_ensure();
    rm_fastunwind_set_enabled(true);
    fu_round();
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, fu_thread, NULL), 0);
    pthread_join(t, NULL);
    /* Through a signal frame: the fast capture declines (libunwind then). */
    fu_sig_cap = rm_mem_map_scratch(sizeof *fu_sig_cap);
    signal(SIGUSR1, fu_handler);
    raise(SIGUSR1);
    signal(SIGUSR1, SIG_DFL);
    ck_assert_int_eq(fu_sig_cap->nfast, -1);
    rm_mem_unmap_scratch(fu_sig_cap, sizeof *fu_sig_cap);
    /* Switched off: always declines. */
    rm_fastunwind_set_enabled(false);
    uintptr_t pc[8];
    ck_assert_int_eq(rm_fastunwind_capture(pc, 8), -1);
    rm_fastunwind_set_enabled(true);
}
END_TEST

/* The dump's time stamp: the same fields as gmtime_r, leap days and
 * century years included. */
START_TEST(test_utc_fields)
{
    uint64_t samples[] = { 0, 59, 86399, 86400, 951782399, 951782400, 951868800, 1709164800,
                           4107542400ULL, 4102444799ULL, 1795996800, 2000000000, 253402300799ULL };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0] + 2000; i++) {
        uint64_t t = i < sizeof samples / sizeof samples[0] ? samples[i]
                                                           : (uint64_t)i * 7919 * 86400 / 13 + i;
        time_t tt = (time_t)t;
        struct tm tm;
        ck_assert_ptr_nonnull(gmtime_r(&tt, &tm));
        unsigned v[6];
        rm_utc_fields(t, v);
        ck_assert_uint_eq(v[0], (unsigned)tm.tm_year + 1900);
        ck_assert_uint_eq(v[1], (unsigned)tm.tm_mon + 1);
        ck_assert_uint_eq(v[2], (unsigned)tm.tm_mday);
        ck_assert_uint_eq(v[3], (unsigned)tm.tm_hour);
        ck_assert_uint_eq(v[4], (unsigned)tm.tm_min);
        ck_assert_uint_eq(v[5], (unsigned)tm.tm_sec);
    }
}
END_TEST

/* The report heap: declines outside enter/leave; zeroed, aligned blocks
 * that glibc's malloc_usable_size measures; the newest block's space comes
 * back zeroed on free and grows in place over zeroed bytes; double frees
 * and interior pointers are refused; a report leaving nothing live unmaps
 * it; one leaving a block keeps that block intact, gives the dead pages
 * back and starts the next report right after it. */
static bool mapped(const void *p)
{
    uintptr_t page = (uintptr_t)p & ~(uintptr_t)4095;
    errno = 0;
    return msync((void *)page, 4096, MS_ASYNC) == 0;
}

START_TEST(test_report_heap)
{
    ck_assert_ptr_null(rm_rheap_alloc(10, 0)); /* not active */
    rm_rheap_enter();
    ck_assert(rm_rheap_active());
    char *a = rm_rheap_alloc(10, 0);
    ck_assert_ptr_nonnull(a);
    ck_assert(rm_rheap_owns(a));
    ck_assert(rm_rheap_valid(a));
    ck_assert_uint_eq((uintptr_t)a % 16, 0);
    ck_assert_uint_eq(rm_rheap_usable(a), 16);
    ck_assert_uint_eq(malloc_usable_size(a), 16); /* glibc reads our header */
    for (int i = 0; i < 16; i++)
        ck_assert_int_eq(a[i], 0);
    memset(a, 0xab, 16);
    char *b = rm_rheap_alloc(100, 4096);
    ck_assert_uint_eq((uintptr_t)b % 4096, 0);
    ck_assert_uint_eq(malloc_usable_size(b), 112);
    memset(b, 0xcd, 112);
    ck_assert(!rm_rheap_free(b + 16));  /* a block's middle: refused */
    ck_assert(rm_rheap_free(b));        /* the newest: its space comes back */
    ck_assert(!rm_rheap_free(b));       /* twice: refused, nothing changes */
    char *c = rm_rheap_alloc(100, 0);
    ck_assert_ptr_eq(c, b);
    for (int i = 0; i < 112; i++)
        ck_assert_int_eq(c[i], 0);
    /* a dirty block above c, rolled back: c then grows over zeroed bytes */
    memset(c, 0x11, 100);
    char *x = rm_rheap_alloc(3000, 0);
    memset(x, 0x77, 3000);
    ck_assert(rm_rheap_free(x));
    char *c2 = rm_rheap_realloc(c, 5000);
    ck_assert_ptr_eq(c2, c);
    ck_assert_int_eq(c2[99], 0x11);
    for (int i = 112; i < 5008; i++)
        ck_assert_int_eq(c2[i], 0);
    char *a2 = rm_rheap_realloc(a, 64);  /* not the newest: moves */
    ck_assert_ptr_ne(a2, a);
    ck_assert(!rm_rheap_valid(a));
    ck_assert_int_eq(a2[15], (char)0xab);
    ck_assert_int_eq(a2[16], 0);
    ck_assert_uint_eq(rm_rheap_live(), 2);
    ck_assert_ptr_null(rm_rheap_alloc((size_t)1 << 31, 0));    /* past the region */
    ck_assert_ptr_null(rm_rheap_realloc(a2, SIZE_MAX - 30));  /* no wrap-around */
    ck_assert_ptr_null(rm_rheap_alloc(8, 24));                 /* not a power of two */
    ck_assert(rm_rheap_free(a2));
    ck_assert(rm_rheap_free(c2));
    ck_assert_uint_eq(rm_rheap_live(), 0);
    rm_rheap_leave();
    ck_assert(!rm_rheap_active());
    /* nothing live: the region is unmapped; the next report maps a fresh one */
    ck_assert(!rm_rheap_owns(a));
    ck_assert(!mapped(a));
    ck_assert_int_eq(errno, ENOMEM);

    rm_rheap_enter();
    char *d = rm_rheap_alloc(10, 0);
    ck_assert(rm_rheap_owns(d));
    strcpy(d, "kept");
    char *big = rm_rheap_alloc(1 << 20, 0); /* dead by the end of the report */
    memset(big, 0x55, 1 << 20);
    char *tmp = rm_rheap_alloc(64, 0);
    ck_assert(rm_rheap_free(big));          /* not the newest: only marked */
    ck_assert(rm_rheap_free(tmp));
    rm_rheap_leave();                       /* d is live: the region stays */
    ck_assert(rm_rheap_owns(d));
    ck_assert_str_eq(d, "kept");
    rm_rheap_enter();
    char *e = rm_rheap_alloc(10, 0);
    ck_assert_ptr_eq(e, d + 16 + 16);       /* right after d */
    for (int i = 0; i < 4096; i++)          /* over big's old bytes: zero */
        ck_assert_int_eq(e[i], 0);
    ck_assert(rm_rheap_free(e));
    rm_rheap_leave();
    ck_assert_ptr_null(rm_rheap_realloc(d, 100)); /* not active: the caller moves it */
    ck_assert(rm_rheap_free(d));  /* from outside a report: marked, counted */
    ck_assert(!rm_rheap_free(d));
    ck_assert_uint_eq(rm_rheap_live(), 0);
    rm_rheap_enter();
    rm_rheap_leave();              /* now nothing is live: unmapped */
    ck_assert(!rm_rheap_owns(d));
}
END_TEST

static Suite *track_suite(void)
{
    Suite *s = suite_create("track");
    TCase *tc = tcase_create("table");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_table_basic);
    tcase_add_test(tc, test_table_threads);
    suite_add_tcase(s, tc);
    tc = tcase_create("stacks");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_stack_dedup);
    tcase_add_test(tc, test_stack_many);
    tcase_add_test(tc, test_fast_unwind_matches_libunwind);
    suite_add_tcase(s, tc);
    tc = tcase_create("scan");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_threads_stack_bounds);
    tcase_add_test(tc, test_scan_direct_owns_indirect);
    tcase_add_test(tc, test_scan_cycle);
    tcase_add_test(tc, test_scan_cycle_tail_low_address);
    tcase_add_test(tc, test_scan_interior_pointer);
    tcase_add_test(tc, test_scan_glibc_next_chunk);
    tcase_add_test(tc, test_scan_root_blocks);
    tcase_add_test(tc, test_scan_big_list);
    tcase_add_test(tc, test_scan_granule_map);
    tcase_add_test(tc, test_scan_unmapped_root);
    suite_add_tcase(s, tc);
    tc = tcase_create("output");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_json_escape);
    tcase_add_test(tc, test_outfile);
    tcase_add_test(tc, test_suppress_parse);
    tcase_add_test(tc, test_report_order_and_counts);
    tcase_add_test(tc, test_dump_groups);
    tcase_add_test(tc, test_dump_path);
    tcase_add_test(tc, test_report_heap);
    tcase_add_test(tc, test_utc_fields);
    suite_add_tcase(s, tc);
    tc = tcase_create("seam");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_seam_end_to_end);
    tcase_add_test(tc, test_threads_registry);
    tcase_add_test(tc, test_regions);
    tcase_add_test(tc, test_seam_mapped_region_root);
    suite_add_tcase(s, tc);
    tc = tcase_create("reliability");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_exempt_set);
    tcase_add_test(tc, test_badfree_plausible);
    tcase_add_test(tc, test_fork_gate);
    tcase_add_test(tc, test_unwmem);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(track_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
