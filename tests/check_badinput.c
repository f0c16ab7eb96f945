/* check_badinput.c - every RatAPI function with hostile arguments: NULL,
 * 0, SIZE_MAX, PTRDIFF_MAX + 1, misaligned pointers, pointers from other
 * allocators (malloc, the stack, mmap), pointers of another RatAPI kind,
 * double calls, and hostile shared memory names.
 *
 * Each bad call must return the status its man page documents, record
 * that status for RatGetLastError (primed with a different status before
 * the call, so a stale value cannot pass), and leave everything intact: a
 * fixture keeps one live object of each kind with known contents (heap
 * block, reservation with a committed page, shared memory region, file
 * view, and a malloc'd and an mmap'd buffer), and after the bad calls the
 * test checks their contents, the quota's used and peak bytes, and that
 * each object still works and is freed normally in the teardown.
 *
 * No test here faults on purpose, so the suite runs as it is under
 * valgrind (CK_FORK=no) and ASan. */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "options.h"
#include "ratmem.h"
#include "suites.h"

#define RW (RAT_MEM_READ | RAT_MEM_WRITE)
#define WX (RAT_MEM_WRITE | RAT_MEM_EXECUTE)
#define BIG ((size_t)PTRDIFF_MAX + 1)

static size_t ps;

/* The live state every test starts with. */
static struct {
    unsigned char *block;   /* RatMemAlloc(64), 0xA5 */
    unsigned char *res;     /* RatMemReserve(4 pages), page 0 committed RW, 0x5A */
    unsigned char *shm;     /* RatSharedMemCreate(name, ps), 0x3C */
    char name[64];
    unsigned char *view;    /* RatFileMapView of a file holding "view-data" */
    char path[256];
    int fd;
    unsigned char *heap;    /* malloc(64), 0x11 */
    unsigned char *map;     /* mmap(ps), 0x22 */
    size_t used, peak;      /* quota counters after the setup */
} fx;

static const char view_text[] = "view-data";

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

static void snap(void)
{
    ck_assert_int_eq(RatMemGetQuota(NULL, &fx.used, &fx.peak), RAT_STATUS_OK);
}

static void setup(void)
{
    static int serial;
    ps = (size_t)sysconf(_SC_PAGESIZE);
    memset(&fx, 0, sizeof fx);
    fx.block = RatMemAlloc(64);
    ck_assert_ptr_nonnull(fx.block);
    memset(fx.block, 0xA5, 64);
    fx.res = RatMemReserve(4 * ps);
    ck_assert_ptr_nonnull(fx.res);
    ck_assert_int_eq(RatMemCommit(fx.res, ps, RW), RAT_STATUS_OK);
    memset(fx.res, 0x5A, ps);
    snprintf(fx.name, sizeof fx.name, "ratmem-badinput-%ld-%d", (long)getpid(), serial++);
    RatSharedMemUnlink(fx.name);
    fx.shm = RatSharedMemCreate(fx.name, ps);
    ck_assert_ptr_nonnull(fx.shm);
    memset(fx.shm, 0x3C, ps);
    const char *dir = getenv("TMPDIR");
    snprintf(fx.path, sizeof fx.path, "%s/ratmem-badinput-XXXXXX", dir && *dir ? dir : "/tmp");
    fx.fd = mkstemp(fx.path);
    ck_assert_int_ge(fx.fd, 0);
    ck_assert_int_eq(write(fx.fd, view_text, sizeof view_text), (ssize_t)sizeof view_text);
    fx.view = RatFileMapView(fx.fd, 0, 0, RAT_MEM_READ, RAT_MEM_PRIVATE);
    ck_assert_ptr_nonnull(fx.view);
    fx.heap = malloc(64);
    ck_assert_ptr_nonnull(fx.heap);
    memset(fx.heap, 0x11, 64);
    fx.map = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(fx.map, MAP_FAILED);
    memset(fx.map, 0x22, ps);
    snap();
}

/* Everything the fixture made is as it was. */
static void check_intact_at(int line)
{
    size_t used, peak, sz = 0;
    ck_assert_msg(all_bytes(fx.block, 64, 0xA5), "line %d: heap block changed", line);
    ck_assert_msg(all_bytes(fx.res, ps, 0x5A), "line %d: committed page changed", line);
    ck_assert_msg(all_bytes(fx.shm, ps, 0x3C), "line %d: shared memory changed", line);
    ck_assert_msg(memcmp(fx.view, view_text, sizeof view_text) == 0, "line %d: view changed", line);
    ck_assert_msg(all_bytes(fx.heap, 64, 0x11), "line %d: malloc'd block changed", line);
    ck_assert_msg(all_bytes(fx.map, ps, 0x22), "line %d: mmap'd page changed", line);
    ck_assert_int_eq(RatSharedMemSize(fx.shm, &sz), RAT_STATUS_OK);
    ck_assert_uint_eq(sz, ps);
    ck_assert_int_eq(RatMemGetQuota(NULL, &used, &peak), RAT_STATUS_OK);
    ck_assert_msg(used == fx.used && peak == fx.peak,
                  "line %d: quota used/peak %zu/%zu, were %zu/%zu", line, used, peak, fx.used,
                  fx.peak);
}
#define check_intact() check_intact_at(__LINE__)

static void teardown(void)
{
    check_intact();
    RatMemSetQuota(0);
    /* Each object still works: grow the block, use the other pages. */
    unsigned char *b = RatMemRealloc(fx.block, 128);
    ck_assert_ptr_nonnull(b);
    ck_assert(all_bytes(b, 64, 0xA5) && all_bytes(b + 64, 64, 0));
    ck_assert_int_eq(RatMemFree(b), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemCommit(fx.res + 3 * ps, ps, RW), RAT_STATUS_OK);
    ck_assert(all_bytes(fx.res + 3 * ps, ps, 0));
    ck_assert_int_eq(RatMemRelease(fx.res, 0), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemClose(fx.shm), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemUnlink(fx.name), RAT_STATUS_OK);
    ck_assert_int_eq(RatFileUnmapView(fx.view), RAT_STATUS_OK);
    close(fx.fd);
    unlink(fx.path);
    free(fx.heap);
    munmap(fx.map, ps);
}

/* Make RatGetLastError() differ from want before a call that must set it. */
static void prime(RatStatus want)
{
    if (want == RAT_STATUS_INVALID_ARG)
        ck_assert_ptr_null(RatMemCalloc(SIZE_MAX, 2));   /* NO_MEMORY */
    else
        ck_assert_ptr_null(RatMemAlloc(0));              /* INVALID_ARG */
    ck_assert_int_ne(RatGetLastError(), want);
}

/* A call returning a RatStatus fails with want, and records it. */
#define FAILS(want, call)                                                              \
    do {                                                                               \
        prime(want);                                                                   \
        RatStatus st_ = (call);                                                        \
        ck_assert_msg(st_ == (want), "%s: status %d, expected %d", #call, st_, (want)); \
        ck_assert_msg(RatGetLastError() == (want), "%s: RatGetLastError %d, expected %d", \
                      #call, RatGetLastError(), (want));                               \
    } while (0)

/* A call returning a pointer fails (NULL) with want, and records it. */
#define FAILS_NULL(want, call)                                                         \
    do {                                                                               \
        prime(want);                                                                   \
        void *p_ = (call);                                                             \
        ck_assert_msg(p_ == NULL, "%s: returned %p, expected NULL", #call, p_);        \
        ck_assert_msg(RatGetLastError() == (want), "%s: RatGetLastError %d, expected %d", \
                      #call, RatGetLastError(), (want));                               \
    } while (0)

/* ---- heap ---- */

START_TEST(test_alloc_bad_sizes)
{
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemAlloc(0));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemAlloc(SIZE_MAX));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemAlloc(BIG));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemAlloc(SIZE_MAX - 15));
    check_intact();
}
END_TEST

START_TEST(test_calloc_bad_sizes)
{
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemCalloc(0, 1));
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemCalloc(1, 0));
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemCalloc(0, SIZE_MAX));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemCalloc(SIZE_MAX, SIZE_MAX));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemCalloc(SIZE_MAX, 1));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemCalloc(2, BIG / 2));        /* = BIG */
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemCalloc((size_t)1 << 33, (size_t)1 << 31)); /* wraps to 0 */
    check_intact();
}
END_TEST

START_TEST(test_realloc_bad_args_keep_the_block)
{
    char local[32];
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemRealloc(NULL, 0));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemRealloc(NULL, SIZE_MAX));
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemRealloc(fx.block, 0));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemRealloc(fx.block, SIZE_MAX));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemRealloc(fx.block, BIG));
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemRealloc(fx.block + 1, 8));   /* misaligned */
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemRealloc(fx.block + 16, 8));  /* interior */
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemRealloc(local, 8));          /* stack */
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemRealloc(fx.heap, 8));        /* malloc */
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemRealloc(fx.map, 8));         /* mmap */
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemRealloc(fx.res, 8));         /* reservation */
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemRealloc(fx.shm, 8));         /* shared memory */
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemRealloc((void *)(uintptr_t)-16, 8));
    check_intact();
    /* The block is still live at its size: shrinking it in place works. */
    ck_assert_ptr_eq(RatMemRealloc(fx.block, 64), fx.block);
    check_intact();
}
END_TEST

START_TEST(test_free_bad_pointers)
{
    char local[32];
    static char in_bss[32];
    FAILS(RAT_STATUS_INVALID_ARG, RatMemFree(fx.block + 1));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemFree(fx.block + 63));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemFree(local));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemFree(in_bss));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemFree(fx.heap));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemFree(fx.map));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemFree(fx.res));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemFree(fx.shm));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemFree(fx.view));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemFree((void *)(uintptr_t)1));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemFree((void *)UINTPTR_MAX));
    check_intact();
}
END_TEST

START_TEST(test_free_null_is_a_no_op)
{
    prime(RAT_STATUS_NO_MEMORY);
    RatStatus before = RatGetLastError();
    ck_assert_int_eq(RatMemFree(NULL), RAT_STATUS_OK);
    ck_assert_int_eq(RatGetLastError(), before);
    check_intact();
}
END_TEST

START_TEST(test_double_free_and_free_after_move)
{
    void *p = RatMemAlloc(16);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemFree(p), RAT_STATUS_OK);
    FAILS(RAT_STATUS_INVALID_ARG, RatMemFree(p));
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemRealloc(p, 32));
    /* A block that grew moved: its old address is no block any more. */
    void *q = RatMemAlloc(16), *r = RatMemRealloc(q, 4096);
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_ne(q, r);
    FAILS(RAT_STATUS_INVALID_ARG, RatMemFree(q));
    ck_assert_int_eq(RatMemFree(r), RAT_STATUS_OK);
    FAILS(RAT_STATUS_INVALID_ARG, RatMemFree(r));
    snap();
    check_intact();
}
END_TEST

/* ---- virtual memory ---- */

START_TEST(test_reserve_bad_sizes)
{
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemReserve(0));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemReserve(SIZE_MAX));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemReserve(SIZE_MAX - ps + 2));  /* rounds past SIZE_MAX */
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemReserve(BIG));
    check_intact();
}
END_TEST

START_TEST(test_commit_bad_ranges)
{
    char local[32];
    FAILS(RAT_STATUS_INVALID_ARG, RatMemCommit(NULL, ps, RW));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemCommit(fx.res, 0, RW));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemCommit(fx.res, SIZE_MAX, RW));        /* wraps */
    FAILS(RAT_STATUS_INVALID_ARG, RatMemCommit(fx.res, BIG, RW));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemCommit(fx.res, 4 * ps + 1, RW));      /* one byte past */
    FAILS(RAT_STATUS_INVALID_ARG, RatMemCommit(fx.res - 1, 2, RW));           /* one byte before */
    FAILS(RAT_STATUS_INVALID_ARG, RatMemCommit(fx.res + 4 * ps, 1, RW));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemCommit((void *)(UINTPTR_MAX - 10), 5, RW));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemCommit(local, 1, RW));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemCommit(fx.heap, 1, RW));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemCommit(fx.map, ps, RW));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemCommit(fx.shm, ps, RAT_MEM_READ));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemCommit(fx.view, ps, RAT_MEM_READ));
    check_intact();
}
END_TEST

START_TEST(test_commit_and_protect_bad_flags)
{
    /* An unknown bit is refused first, then W^X, then the range. */
    static const int unknown[] = { 0x8, 0x10, 0x100, INT_MIN, -1, RW | 0x8, WX | 0x8 };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        FAILS(RAT_STATUS_INVALID_ARG, RatMemCommit(fx.res, ps, unknown[i]));
        FAILS(RAT_STATUS_INVALID_ARG, RatMemProtect(fx.res, ps, unknown[i]));
        FAILS_NULL(RAT_STATUS_INVALID_ARG,
                   RatFileMapView(fx.fd, 0, 0, unknown[i], RAT_MEM_PRIVATE));
    }
    FAILS(RAT_STATUS_PERMISSION, RatMemCommit(fx.res, ps, WX));
    FAILS(RAT_STATUS_PERMISSION, RatMemCommit(fx.res, ps, WX | RAT_MEM_READ));
    FAILS(RAT_STATUS_PERMISSION, RatMemProtect(fx.res, ps, WX));
    FAILS(RAT_STATUS_PERMISSION, RatMemCommit(NULL, 0, WX));       /* before the range */
    FAILS(RAT_STATUS_PERMISSION, RatMemProtect(fx.heap, SIZE_MAX, WX));
    check_intact();
}
END_TEST

START_TEST(test_misaligned_pointer_works_on_whole_pages)
{
    /* ptr need not be page-aligned: one byte in page 1 commits page 1. */
    ck_assert_int_eq(RatMemCommit(fx.res + ps + 1, 1, RW), RAT_STATUS_OK);
    ck_assert(all_bytes(fx.res + ps, ps, 0));
    memset(fx.res + ps, 0x77, ps);
    ck_assert_int_eq(RatMemProtect(fx.res + 2 * ps - 1, 1, RAT_MEM_READ), RAT_STATUS_OK);
    ck_assert(all_bytes(fx.res + ps, ps, 0x77));
    /* Page 2 is reserved: a range from page 1 into it cannot be protected. */
    FAILS(RAT_STATUS_INVALID_ARG, RatMemProtect(fx.res + ps + 7, ps, RAT_MEM_READ));
    ck_assert_int_eq(RatMemDecommit(fx.res + ps + 3, 5), RAT_STATUS_OK);
    snap();
    check_intact();
}
END_TEST

START_TEST(test_decommit_bad_ranges)
{
    FAILS(RAT_STATUS_INVALID_ARG, RatMemDecommit(NULL, ps));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemDecommit(fx.res, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemDecommit(fx.res, SIZE_MAX));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemDecommit(fx.res, BIG));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemDecommit(fx.res - ps, 2 * ps));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemDecommit(fx.res, 5 * ps));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemDecommit(fx.heap, 1));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemDecommit(fx.map, ps));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemDecommit(fx.shm, ps));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemDecommit(fx.view, ps));
    check_intact();   /* the committed page kept its contents */
}
END_TEST

START_TEST(test_protect_bad_ranges)
{
    FAILS(RAT_STATUS_INVALID_ARG, RatMemProtect(NULL, ps, RAT_MEM_READ));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemProtect(fx.res, 0, RAT_MEM_READ));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemProtect(fx.res, SIZE_MAX, RAT_MEM_READ));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemProtect(fx.res, BIG, RAT_MEM_READ));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemProtect(fx.res, 2 * ps, RAT_MEM_READ)); /* page 1 reserved */
    FAILS(RAT_STATUS_INVALID_ARG, RatMemProtect(fx.res + ps, 1, RAT_MEM_READ));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemProtect(fx.map, ps, RAT_MEM_READ));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemProtect(fx.shm, ps, RAT_MEM_READ));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemProtect(fx.view, ps, RAT_MEM_READ | RAT_MEM_WRITE));
    /* The committed page is still read-write. */
    fx.res[0] = 0x5A;
    check_intact();
}
END_TEST

START_TEST(test_release_bad_args_and_double_release)
{
    FAILS(RAT_STATUS_INVALID_ARG, RatMemRelease(NULL, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemRelease(fx.res, SIZE_MAX));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemRelease(fx.res, BIG));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemRelease(fx.res, 1));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemRelease(fx.res, 4 * ps + 1));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemRelease(fx.res + 1, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemRelease(fx.res + ps, 3 * ps));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemRelease(fx.heap, 64));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemRelease(fx.map, ps));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemRelease(fx.shm, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemRelease(fx.view, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemRelease(fx.block, 0));
    void *r = RatMemReserve(1);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(RatMemRelease(r, 1), RAT_STATUS_OK);
    FAILS(RAT_STATUS_INVALID_ARG, RatMemRelease(r, 1));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemRelease(r, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemCommit(r, 1, RW));        /* released: no range */
    FAILS(RAT_STATUS_INVALID_ARG, RatMemDecommit(r, 1));
    check_intact();
}
END_TEST

/* ---- shared memory ---- */

static const char *hostile_names[] = {
    "", "/", ".", "..", "a/b", "/ratmem-x", "ratmem-x/", "../ratmem-x", "ratmem x",
    "ratmem\nx", "ratmem\tx", "caf\xc3\xa9", "\xff\xfe", "ratmem-\x01", "ratmem*", "~ratmem",
    "ratmem-%s%n", "ratmem:x", "ratmem\\x",
};

START_TEST(test_hostile_shm_names)
{
    char longname[301];
    memset(longname, 'n', 300);
    longname[300] = '\0';
    for (size_t i = 0; i < sizeof hostile_names / sizeof hostile_names[0] + 2; i++) {
        const char *n = i < sizeof hostile_names / sizeof hostile_names[0] ? hostile_names[i]
                        : i % 2 ? longname : longname + 99; /* 300 and 201 bytes */
        FAILS_NULL(RAT_STATUS_INVALID_ARG, RatSharedMemCreate(n, ps));
        FAILS_NULL(RAT_STATUS_INVALID_ARG, RatSharedMemOpen(n));
        FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemUnlink(n));
    }
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatSharedMemCreate(NULL, ps));
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatSharedMemOpen(NULL));
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemUnlink(NULL));
    /* 200 bytes is the longest name that works. */
    char n200[201];
    int k = snprintf(n200, sizeof n200, "ratmem-badinput-%ld-", (long)getpid());
    memset(n200 + k, 'm', 200 - (size_t)k);
    n200[200] = '\0';
    RatSharedMemUnlink(n200);
    void *p = RatSharedMemCreate(n200, 1);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatSharedMemClose(p), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemUnlink(n200), RAT_STATUS_OK);
    snap();
    check_intact();
}
END_TEST

START_TEST(test_shm_create_bad_sizes_leave_no_name)
{
    char n[64];
    snprintf(n, sizeof n, "ratmem-badinput-size-%ld", (long)getpid());
    RatSharedMemUnlink(n);
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatSharedMemCreate(n, 0));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatSharedMemCreate(n, SIZE_MAX));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatSharedMemCreate(n, BIG));
    FAILS_NULL(RAT_STATUS_NOT_FOUND, RatSharedMemOpen(n));
    /* The existing region's name is taken, and the region is left alone. */
    FAILS_NULL(RAT_STATUS_EXISTS, RatSharedMemCreate(fx.name, ps));
    FAILS_NULL(RAT_STATUS_EXISTS, RatSharedMemCreate(fx.name, 1));
    check_intact();
}
END_TEST

START_TEST(test_shm_close_size_bad_pointers_and_double_calls)
{
    char local[32];
    size_t sz = 12345;
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemClose(NULL));
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemClose(fx.shm + 1));
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemClose(fx.shm + ps));
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemClose(local));
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemClose(fx.heap));
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemClose(fx.map));
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemClose(fx.block));
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemClose(fx.res));
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemClose(fx.view));
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemSize(fx.shm, NULL));
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemSize(NULL, &sz));
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemSize(fx.shm + 1, &sz));
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemSize(fx.res, &sz));
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemSize(fx.map, &sz));
    ck_assert_uint_eq(sz, 12345);   /* *size untouched on failure */
    /* A second mapping of the same object: close twice, unlink twice. */
    unsigned char *again = RatSharedMemOpen(fx.name);
    ck_assert_ptr_nonnull(again);
    ck_assert(all_bytes(again, ps, 0x3C));
    ck_assert_int_eq(RatSharedMemClose(again), RAT_STATUS_OK);
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemClose(again));
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemSize(again, &sz));
    char n[64];
    snprintf(n, sizeof n, "ratmem-badinput-twice-%ld", (long)getpid());
    RatSharedMemUnlink(n);
    void *p = RatSharedMemCreate(n, 1);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatSharedMemUnlink(n), RAT_STATUS_OK);
    FAILS(RAT_STATUS_NOT_FOUND, RatSharedMemUnlink(n));
    ck_assert_int_eq(RatSharedMemClose(p), RAT_STATUS_OK);
    FAILS(RAT_STATUS_INVALID_ARG, RatSharedMemClose(p));
    snap();
    check_intact();
}
END_TEST

/* ---- file views ---- */

START_TEST(test_file_map_view_bad_args)
{
    int closed = dup(fx.fd);
    ck_assert_int_ge(closed, 0);
    close(closed);
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatFileMapView(-1, 0, ps, RAT_MEM_READ, RAT_MEM_PRIVATE));
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatFileMapView(INT_MIN, 0, ps, RAT_MEM_READ, RAT_MEM_PRIVATE));
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatFileMapView(closed, 0, ps, RAT_MEM_READ, RAT_MEM_PRIVATE));
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatFileMapView(fx.fd, 1, ps, RAT_MEM_READ, RAT_MEM_PRIVATE));
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatFileMapView(fx.fd, SIZE_MAX, ps, RAT_MEM_READ, RAT_MEM_PRIVATE));
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatFileMapView(fx.fd, BIG, ps, RAT_MEM_READ, RAT_MEM_PRIVATE));
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatFileMapView(fx.fd, ps, 0, RAT_MEM_READ, RAT_MEM_PRIVATE)); /* past EOF */
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatFileMapView(fx.fd, 0, 0, RAT_MEM_READ, (RatMemMapType)2));
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatFileMapView(fx.fd, 0, 0, RAT_MEM_READ, (RatMemMapType)-1));
    FAILS_NULL(RAT_STATUS_PERMISSION, RatFileMapView(fx.fd, 0, 0, WX, RAT_MEM_PRIVATE));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatFileMapView(fx.fd, 0, SIZE_MAX, RAT_MEM_READ, RAT_MEM_PRIVATE));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatFileMapView(fx.fd, 0, BIG, RAT_MEM_READ, RAT_MEM_PRIVATE));
    check_intact();
}
END_TEST

START_TEST(test_file_unmap_bad_pointers_and_double_unmap)
{
    char local[32];
    FAILS(RAT_STATUS_INVALID_ARG, RatFileUnmapView(NULL));
    FAILS(RAT_STATUS_INVALID_ARG, RatFileUnmapView(fx.view + 1));
    FAILS(RAT_STATUS_INVALID_ARG, RatFileUnmapView(local));
    FAILS(RAT_STATUS_INVALID_ARG, RatFileUnmapView(fx.heap));
    FAILS(RAT_STATUS_INVALID_ARG, RatFileUnmapView(fx.map));
    FAILS(RAT_STATUS_INVALID_ARG, RatFileUnmapView(fx.block));
    FAILS(RAT_STATUS_INVALID_ARG, RatFileUnmapView(fx.res));
    FAILS(RAT_STATUS_INVALID_ARG, RatFileUnmapView(fx.shm));
    void *v = RatFileMapView(fx.fd, 0, 0, RAT_MEM_READ, RAT_MEM_SHARED);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(RatFileUnmapView(v), RAT_STATUS_OK);
    FAILS(RAT_STATUS_INVALID_ARG, RatFileUnmapView(v));
    snap();
    check_intact();
}
END_TEST

/* ---- status, quota, leak report ---- */

START_TEST(test_status_string_of_any_value)
{
    static const int bad[] = { -1, 8, 9, 100, INT_MAX, INT_MIN };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *s = RatStatusString((RatStatus)bad[i]);
        ck_assert_ptr_nonnull(s);
        ck_assert_str_eq(s, "unknown status");
    }
    for (int s = RAT_STATUS_OK; s <= RAT_STATUS_UNSUPPORTED; s++) {
        ck_assert_ptr_nonnull(RatStatusString((RatStatus)s));
        ck_assert_str_ne(RatStatusString((RatStatus)s), "unknown status");
    }
    check_intact();
}
END_TEST

START_TEST(test_quota_extremes)
{
    size_t limit = 1, used = 0, peak = 0;
    ck_assert_int_eq(RatMemGetQuota(NULL, NULL, NULL), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemSetQuota(SIZE_MAX), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemGetQuota(&limit, NULL, NULL), RAT_STATUS_OK);
    ck_assert_uint_eq(limit, SIZE_MAX);
    /* A limit below what is in use: allocations fail, nothing live breaks. */
    ck_assert_int_eq(RatMemSetQuota(1), RAT_STATUS_OK);
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemAlloc(1));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemRealloc(fx.block, 65));
    FAILS(RAT_STATUS_NO_MEMORY, RatMemCommit(fx.res + ps, 1, RW));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatFileMapView(fx.fd, 0, 0, RAT_MEM_READ, RAT_MEM_PRIVATE));
    char n[64];
    snprintf(n, sizeof n, "ratmem-badinput-quota-%ld", (long)getpid());
    RatSharedMemUnlink(n);
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatSharedMemCreate(n, 1));
    FAILS_NULL(RAT_STATUS_NOT_FOUND, RatSharedMemOpen(n));        /* no name left behind */
    ck_assert_int_eq(RatMemGetQuota(&limit, &used, &peak), RAT_STATUS_OK);
    ck_assert_uint_eq(limit, 1);
    check_intact();
    ck_assert_int_eq(RatMemSetQuota(0), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemGetQuota(&limit, NULL, NULL), RAT_STATUS_OK);
    ck_assert_uint_eq(limit, 0);
}
END_TEST

START_TEST(test_leak_report_without_the_shim)
{
    FAILS(RAT_STATUS_UNSUPPORTED, RatLeakReport(NULL));
    FAILS(RAT_STATUS_UNSUPPORTED, RatLeakReport(""));
    FAILS(RAT_STATUS_UNSUPPORTED, RatLeakReport("/nonexistent/dir/report.txt"));
    check_intact();
}
END_TEST

/* ---- huge pages and NUMA ---- */

START_TEST(test_reserve_huge_bad_sizes)
{
    RatPageKind got = RAT_PAGES_HUGE_EXPLICIT;
    size_t hps = RatMemHugePageSize();
    ck_assert_uint_ge(hps, ps);
    ck_assert_uint_eq(hps & (hps - 1), 0);
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemReserveHuge(0, &got));
    ck_assert_int_eq(got, RAT_PAGES_NORMAL);
    got = RAT_PAGES_HUGE_EXPLICIT;
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemReserveHuge(SIZE_MAX, &got));
    ck_assert_int_eq(got, RAT_PAGES_NORMAL);
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemReserveHuge(BIG, NULL));
    FAILS_NULL(RAT_STATUS_NO_MEMORY, RatMemReserveHuge((size_t)PTRDIFF_MAX / 2 + 1, NULL));
    FAILS_NULL(RAT_STATUS_INVALID_ARG, RatMemReserveHuge(0, NULL));
    check_intact();
}
END_TEST

START_TEST(test_numa_policy_bad_args)
{
    int nodes = RatNumaNodeCount();
    ck_assert_int_ge(nodes, 1);
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(NULL, ps, RAT_NUMA_DEFAULT, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(fx.res, 0, RAT_NUMA_DEFAULT, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(fx.res, SIZE_MAX, RAT_NUMA_DEFAULT, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(fx.res, BIG, RAT_NUMA_DEFAULT, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(fx.res, 5 * ps, RAT_NUMA_DEFAULT, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(fx.res, ps, (RatNumaPolicy)4, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(fx.res, ps, (RatNumaPolicy)-1, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(fx.res, ps, RAT_NUMA_BIND, -2));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(fx.res, ps, RAT_NUMA_BIND, INT_MIN));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(fx.res, ps, RAT_NUMA_BIND, INT_MAX));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(fx.res, ps, RAT_NUMA_BIND, 1 << 20));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(fx.res, ps, RAT_NUMA_PREFERRED,
                                                      RAT_NUMA_ALL_NODES));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(fx.heap, 64, RAT_NUMA_DEFAULT, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(fx.map, ps, RAT_NUMA_DEFAULT, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(fx.shm, ps, RAT_NUMA_DEFAULT, 0));
    FAILS(RAT_STATUS_INVALID_ARG, RatMemSetNumaPolicy(fx.view, ps, RAT_NUMA_DEFAULT, 0));
    check_intact();
}
END_TEST

/* ---- RATMEM_OPTIONS (common/options.c; fuzzed by fuzz/fuzz_options.c) ---- */

/* Parse str on top of the defaults with stderr caught; the number of
 * warning lines, all of them checked to be "ratmem: " lines. */
static int parse_caught(struct ratmem_options *o, const char *str, bool secure)
{
    char path[] = "/tmp/ratmem-badinput-err-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    int saved = dup(2);
    ck_assert_int_ge(saved, 0);
    dup2(fd, 2);
    ratmem_options_defaults(o);
    ratmem_options_parse(o, str, secure);
    dup2(saved, 2);
    close(saved);
    char buf[8192];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    ck_assert_int_ge(n, 0);
    buf[n] = '\0';
    int lines = 0;
    for (char *l = buf; *l; lines++) {
        ck_assert_msg(strncmp(l, "ratmem: ", 8) == 0, "not a warning line: %s", l);
        char *nl = strchr(l, '\n');
        ck_assert_ptr_nonnull(nl);
        for (char *c = l; c < nl; c++)
            ck_assert_msg((unsigned char)*c >= 0x20 && *c != 0x7f, "control byte in %s", l);
        l = nl + 1;
    }
    return lines;
}

START_TEST(test_options_repeated_keys_take_the_last)
{
    struct ratmem_options o;
    ck_assert_int_eq(parse_caught(&o, "stack_depth=8:wx=off:stack_depth=16:wx=warn", false), 0);
    ck_assert_int_eq(o.stack_depth, 16);
    ck_assert_int_eq(o.wx, RATMEM_WX_WARN);
    /* A bad last value puts the default back, whatever came before. */
    ck_assert_int_eq(parse_caught(&o, "stack_depth=8:stack_depth=x:leaks=0:leaks=2", false), 2);
    ck_assert_int_eq(o.stack_depth, 32);
    ck_assert_int_eq(o.leaks, 1);
    ck_assert_int_eq(parse_caught(&o, "report=/tmp/a:report=:quota=1M:quota=1Q", false), 2);
    ck_assert_str_eq(o.report, "");
    ck_assert_uint_eq(o.quota, 0);
}
END_TEST

START_TEST(test_options_numbers)
{
    struct ratmem_options o;
    ck_assert_int_eq(parse_caught(&o, "stack_depth=000000000000000000016:exitcode=0255", false), 0);
    ck_assert_int_eq(o.stack_depth, 16);
    ck_assert_int_eq(o.exitcode, 255);
    ck_assert_int_eq(parse_caught(&o, "stack_depth=99999999999999999999999999", false), 1);
    ck_assert_int_eq(o.stack_depth, 32);
    ck_assert_int_eq(parse_caught(&o, "stack_depth=0:stack_depth=257:exitcode=-1:exitcode=+1", false), 4);
    ck_assert_int_eq(o.stack_depth, 32);
    ck_assert_int_eq(o.exitcode, 0);
    ck_assert_int_eq(parse_caught(&o, "stack_depth= 5:stack_depth=5 :leaks=0x1", false), 3);
    ck_assert_int_eq(o.leaks, 1);
}
END_TEST

START_TEST(test_options_garbage_one_line_each)
{
    struct ratmem_options o, d;
    ratmem_options_defaults(&d);
    ck_assert_int_eq(parse_caught(&o, "", false), 0);
    ck_assert_int_eq(parse_caught(&o, "::::", false), 0);
    ck_assert_int_eq(memcmp(&o, &d, sizeof o), 0);
    ck_assert_int_eq(parse_caught(&o, "leaks:=1:nosuchkey=1:wx=a\nb\033[2J", false), 4);
    ck_assert_int_eq(memcmp(&o, &d, sizeof o), 0);
    /* 100 KB of one value: one warning, cut short. */
    static char big[100 * 1024 + 16];
    memcpy(big, "report=", 7);
    memset(big + 7, 'a', sizeof big - 8);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(parse_caught(&o, big, false), 1);
    ck_assert_str_eq(o.report, "");
    ck_assert_int_eq(parse_caught(&o, big + 7, false), 1);   /* no '=' */
    /* Paths are ignored, with a warning each, in secure-execution mode. */
    ck_assert_int_eq(parse_caught(&o, "report=/tmp/r:suppressions=/tmp/s:leaks=0", true), 2);
    ck_assert_str_eq(o.report, "");
    ck_assert_str_eq(o.suppressions, "");
    ck_assert_int_eq(o.leaks, 0);
}
END_TEST

/* The shim's start-up fills its options in place: from an all-zero
 * struct, and from the shim's own pre-start values, the result is the
 * defaults byte for byte. */
START_TEST(test_options_defaults_fresh)
{
    static struct ratmem_options o, d, pre = { .leaks = 0, .wx = RATMEM_WX_ENFORCE, .zero = 1,
                                               .stack_depth = 32 };
    ratmem_options_defaults(&d);
    ratmem_options_defaults_fresh(&o);
    ck_assert_int_eq(memcmp(&o, &d, sizeof o), 0);
    ratmem_options_defaults_fresh(&pre);
    ck_assert_int_eq(memcmp(&pre, &d, sizeof pre), 0);
}
END_TEST

Suite *badinput_suite(void)
{
    Suite *s = suite_create("badinput");
    TCase *tc = tcase_create("heap");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_alloc_bad_sizes);
    tcase_add_test(tc, test_calloc_bad_sizes);
    tcase_add_test(tc, test_realloc_bad_args_keep_the_block);
    tcase_add_test(tc, test_free_bad_pointers);
    tcase_add_test(tc, test_free_null_is_a_no_op);
    tcase_add_test(tc, test_double_free_and_free_after_move);
    suite_add_tcase(s, tc);

    tc = tcase_create("vmem");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reserve_bad_sizes);
    tcase_add_test(tc, test_commit_bad_ranges);
    tcase_add_test(tc, test_commit_and_protect_bad_flags);
    tcase_add_test(tc, test_misaligned_pointer_works_on_whole_pages);
    tcase_add_test(tc, test_decommit_bad_ranges);
    tcase_add_test(tc, test_protect_bad_ranges);
    tcase_add_test(tc, test_release_bad_args_and_double_release);
    suite_add_tcase(s, tc);

    tc = tcase_create("shm");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_hostile_shm_names);
    tcase_add_test(tc, test_shm_create_bad_sizes_leave_no_name);
    tcase_add_test(tc, test_shm_close_size_bad_pointers_and_double_calls);
    suite_add_tcase(s, tc);

    tc = tcase_create("fileview");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_file_map_view_bad_args);
    tcase_add_test(tc, test_file_unmap_bad_pointers_and_double_unmap);
    suite_add_tcase(s, tc);

    tc = tcase_create("misc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_status_string_of_any_value);
    tcase_add_test(tc, test_quota_extremes);
    tcase_add_test(tc, test_leak_report_without_the_shim);
    tcase_add_test(tc, test_reserve_huge_bad_sizes);
    tcase_add_test(tc, test_numa_policy_bad_args);
    suite_add_tcase(s, tc);

    tc = tcase_create("options");
    tcase_add_test(tc, test_options_repeated_keys_take_the_last);
    tcase_add_test(tc, test_options_numbers);
    tcase_add_test(tc, test_options_garbage_one_line_each);
    tcase_add_test(tc, test_options_defaults_fresh);
    suite_add_tcase(s, tc);
    return s;
}
