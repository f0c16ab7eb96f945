/* check_vmem.c - unit tests of lib/vmem.c: RatMemReserve, RatMemCommit,
 * RatMemDecommit, RatMemProtect, RatMemRelease.
 *
 * Faults are observed in a fork()ed child that touches the page while the
 * parent waits for it: never in the test process itself, since the suite
 * also runs with CK_FORK=no (under valgrind). */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ratmem.h"
#include "suites.h"
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MAKE_MEM_DEFINED
#define VALGRIND_MAKE_MEM_DEFINED(addr, len) ((void)0)
#endif

#define RW (RAT_MEM_READ | RAT_MEM_WRITE)
#define RX (RAT_MEM_READ | RAT_MEM_EXECUTE)

static size_t ps(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

/* Fork a child that reads (write == 0) or writes one byte at addr and
 * exits 0; return its wait status.  The child dies with the default action
 * of SIGSEGV (no core dump) when the access faults. */
static int child_access(void *addr, int write)
{
    pid_t pid = fork();
    ck_assert_int_ne(pid, -1);
    if (pid == 0) {
        struct sigaction sa;
        struct rlimit nocore = { 0, 0 };
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        setrlimit(RLIMIT_CORE, &nocore);
        /* Memcheck would report the access to an inaccessible page as an
         * error before the fault; in this child the fault is the point. */
        VALGRIND_MAKE_MEM_DEFINED(addr, 1);
        volatile char *c = addr;
        if (write)
            *c = 1;
        else
            (void)*c;
        _exit(0);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return st;
}

static void assert_segv(int st, int line)
{
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
                  "line %d: expected SIGSEGV in the child, got status 0x%x", line, (unsigned)st);
}

static void assert_no_fault(int st, int line)
{
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "line %d: expected a clean exit of the child, got status 0x%x", line, (unsigned)st);
}

/* The child faults on the access, or does not. */
#define ck_assert_segv(st) assert_segv((st), __LINE__)
#define ck_assert_no_fault(st) assert_no_fault((st), __LINE__)

static int all_zero(const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i])
            return 0;
    return 1;
}

START_TEST(test_reserve_page_aligned_and_rounded)
{
    size_t pg = ps();
    char *p = RatMemReserve(1);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq((uintptr_t)p % pg, 0);
    /* The whole first page belongs to the reservation, no more. */
    ck_assert_int_eq(RatMemCommit(p, pg, RW), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemCommit(p, pg + 1, RW), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemRelease(p, 1), RAT_STATUS_OK);

    p = RatMemReserve(pg + 1);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemCommit(p, 2 * pg, RW), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemCommit(p, 2 * pg + 1, RW), RAT_STATUS_INVALID_ARG);
    p[2 * pg - 1] = 7;
    ck_assert_int_eq(RatMemRelease(p, pg + 1), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_uncommitted_page_faults)
{
    size_t pg = ps();
    char *p = RatMemReserve(4 * pg);
    ck_assert_ptr_nonnull(p);
    ck_assert_segv(child_access(p, 0));
    ck_assert_segv(child_access(p + 3 * pg + 5, 1));
    /* Committing one page leaves its neighbours inaccessible. */
    ck_assert_int_eq(RatMemCommit(p + pg, pg, RW), RAT_STATUS_OK);
    ck_assert_no_fault(child_access(p + pg, 1));
    ck_assert_segv(child_access(p, 0));
    ck_assert_segv(child_access(p + 2 * pg, 0));
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_committed_pages_read_zero)
{
    size_t pg = ps();
    char *p = RatMemReserve(16 * pg);
    ck_assert_ptr_nonnull(p);
    /* An unaligned range commits every page it touches: pages 3..7. */
    ck_assert_int_eq(RatMemCommit(p + 3 * pg + 100, 4 * pg, RW), RAT_STATUS_OK);
    ck_assert(all_zero(p + 3 * pg, 5 * pg));
    memset(p + 3 * pg, 0xcd, 5 * pg);
    ck_assert_int_eq((unsigned char)p[8 * pg - 1], 0xcd);
    ck_assert_segv(child_access(p + 2 * pg + pg - 1, 0));
    ck_assert_segv(child_access(p + 8 * pg, 0));
    ck_assert_int_eq(RatMemRelease(p, 16 * pg), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_write_to_readonly_page_faults)
{
    size_t pg = ps();
    char *p = RatMemReserve(pg);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemCommit(p, pg, RAT_MEM_READ), RAT_STATUS_OK);
    ck_assert_int_eq(p[0], 0);
    ck_assert_no_fault(child_access(p, 0));
    ck_assert_segv(child_access(p, 1));
    ck_assert_int_eq(RatMemRelease(p, pg), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_commit_none_is_inaccessible)
{
    size_t pg = ps();
    char *p = RatMemReserve(pg);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemCommit(p, pg, RAT_MEM_NONE), RAT_STATUS_OK);
    ck_assert_segv(child_access(p, 0));
    /* Committed, so protect applies. */
    ck_assert_int_eq(RatMemProtect(p, pg, RW), RAT_STATUS_OK);
    p[0] = 1;
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_protect_rw_to_rx)
{
    size_t pg = ps();
    unsigned char *p = RatMemReserve(pg);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemCommit(p, pg, RW), RAT_STATUS_OK);
#if defined(__x86_64__)
    static const unsigned char code[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 }; /* mov $42,%eax; ret */
#else
    static const unsigned char code[] = { 0x2a };
#endif
    memcpy(p, code, sizeof code);
    ck_assert_int_eq(RatMemProtect(p, pg, RX), RAT_STATUS_OK);
    ck_assert_mem_eq(p, code, sizeof code);
    ck_assert_segv(child_access(p, 1));
#if defined(__x86_64__)
    int (*fn)(void);
    void *vp = p;
    memcpy(&fn, &vp, sizeof fn);
    ck_assert_int_eq(fn(), 42);
#endif
    /* And back to writable. */
    ck_assert_int_eq(RatMemProtect(p, pg, RW), RAT_STATUS_OK);
    p[0] = 0x90;
    ck_assert_int_eq(RatMemRelease(p, pg), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_commit_wx_is_permission_and_changes_nothing)
{
    size_t pg = ps();
    char *p = RatMemReserve(2 * pg);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemCommit(p, pg, RAT_MEM_WRITE | RAT_MEM_EXECUTE), RAT_STATUS_PERMISSION);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_PERMISSION);
    ck_assert_int_eq(RatMemCommit(p, pg, RAT_MEM_READ | RAT_MEM_WRITE | RAT_MEM_EXECUTE),
                     RAT_STATUS_PERMISSION);
    ck_assert_segv(child_access(p, 0)); /* still reserved only */
    /* Protect does not apply to it either: it was not committed. */
    ck_assert_int_eq(RatMemProtect(p, pg, RAT_MEM_READ), RAT_STATUS_INVALID_ARG);

    /* An RW page asked to become W+X at commit stays RW. */
    ck_assert_int_eq(RatMemCommit(p + pg, pg, RW), RAT_STATUS_OK);
    p[pg] = 5;
    ck_assert_int_eq(RatMemCommit(p + pg, pg, RAT_MEM_WRITE | RAT_MEM_EXECUTE), RAT_STATUS_PERMISSION);
    ck_assert_no_fault(child_access(p + pg, 1));
    p[pg + 1] = 6;
    ck_assert_int_eq(p[pg], 5);
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_protect_wx_is_permission_and_changes_nothing)
{
    size_t pg = ps();
    char *p = RatMemReserve(2 * pg);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemCommit(p, 2 * pg, RW), RAT_STATUS_OK);
    p[0] = 1;
    ck_assert_int_eq(RatMemProtect(p, pg, RAT_MEM_WRITE | RAT_MEM_EXECUTE), RAT_STATUS_PERMISSION);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_PERMISSION);
    ck_assert_int_eq(RatMemProtect(p, 2 * pg, RAT_MEM_READ | RAT_MEM_WRITE | RAT_MEM_EXECUTE),
                     RAT_STATUS_PERMISSION);
    /* Still readable and writable. */
    ck_assert_no_fault(child_access(p, 1));
    p[1] = 2;
    p[pg] = 3;
    ck_assert_int_eq(p[0] + p[1] + p[pg], 6);

    /* A read-only page stays read-only. */
    ck_assert_int_eq(RatMemProtect(p + pg, pg, RAT_MEM_READ), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemProtect(p + pg, pg, RAT_MEM_WRITE | RAT_MEM_EXECUTE), RAT_STATUS_PERMISSION);
    ck_assert_segv(child_access(p + pg, 1));
    ck_assert_int_eq(p[pg], 3);
    ck_assert_int_eq(RatMemRelease(p, 2 * pg), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_unknown_flag_bits_are_invalid_arg)
{
    size_t pg = ps();
    char *p = RatMemReserve(pg);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemCommit(p, pg, 0x8), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemCommit(p, pg, RW | 0x100), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemCommit(p, pg, -1), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_segv(child_access(p, 0));
    ck_assert_int_eq(RatMemCommit(p, pg, RAT_MEM_READ), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemProtect(p, pg, RW | 0x10), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_segv(child_access(p, 1)); /* still read-only */
    ck_assert_int_eq(RatMemRelease(p, pg), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_zero_sizes_are_invalid_arg)
{
    size_t pg = ps();
    ck_assert_ptr_null(RatMemReserve(0));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    char *p = RatMemReserve(pg);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemCommit(p, 0, RW), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemDecommit(p, 0), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemCommit(p, pg, RW), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemProtect(p, 0, RAT_MEM_READ), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    p[0] = 1; /* unchanged: still writable */
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_ranges_outside_reservations_are_invalid_arg)
{
    size_t pg = ps();
    char local[16];
    char *m = malloc(64);
    ck_assert_ptr_nonnull(m);
    char *own = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(own, MAP_FAILED);
    char *gone = RatMemReserve(pg);
    ck_assert_ptr_nonnull(gone);
    ck_assert_int_eq(RatMemRelease(gone, 0), RAT_STATUS_OK);

    void *outside[] = { NULL, local, m, own, gone };
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        ck_assert_int_eq(RatMemCommit(outside[i], 16, RW), RAT_STATUS_INVALID_ARG);
        ck_assert_int_eq(RatMemProtect(outside[i], 16, RAT_MEM_READ), RAT_STATUS_INVALID_ARG);
        ck_assert_int_eq(RatMemDecommit(outside[i], 16), RAT_STATUS_INVALID_ARG);
        ck_assert_int_eq(RatMemRelease(outside[i], 0), RAT_STATUS_INVALID_ARG);
    }
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    /* None of them was touched. */
    own[0] = 1;
    m[0] = 1;
    ck_assert_int_eq(RatMemCommit((void *)(UINTPTR_MAX - 100), 50, RW), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemCommit(own, SIZE_MAX, RW), RAT_STATUS_INVALID_ARG);
    munmap(own, pg);
    free(m);
}
END_TEST

START_TEST(test_other_mappings_are_not_reservations)
{
    size_t pg = ps();
    char name[64];
    snprintf(name, sizeof name, "ratmem-test-%ld-vmem", (long)getpid());
    RatSharedMemUnlink(name);
    char *shm = RatSharedMemCreate(name, 2 * pg);
    ck_assert_ptr_nonnull(shm);
    char *heap = RatMemAlloc(2 * pg);
    ck_assert_ptr_nonnull(heap);
    void *other[] = { shm, heap };
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(RatMemCommit(other[i], pg, RAT_MEM_READ), RAT_STATUS_INVALID_ARG);
        ck_assert_int_eq(RatMemProtect(other[i], pg, RAT_MEM_READ), RAT_STATUS_INVALID_ARG);
        ck_assert_int_eq(RatMemDecommit(other[i], pg), RAT_STATUS_INVALID_ARG);
        ck_assert_int_eq(RatMemRelease(other[i], 0), RAT_STATUS_INVALID_ARG);
    }
    /* Both untouched: still writable and live. */
    shm[pg] = 1;
    heap[pg] = 1;
    ck_assert_int_eq(RatMemFree(heap), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemClose(shm), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_ranges_partly_outside_are_invalid_arg)
{
    size_t pg = ps();
    char *p = RatMemReserve(2 * pg);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemCommit(p + pg, 2 * pg, RW), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemCommit(p - pg, 2 * pg, RW), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemCommit(p, 3 * pg, RW), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemCommit(p + 2 * pg - 1, 2, RW), RAT_STATUS_INVALID_ARG);
    ck_assert_segv(child_access(p + pg, 0)); /* nothing got committed */
    ck_assert_int_eq(RatMemCommit(p, 2 * pg, RW), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemProtect(p + pg, 2 * pg, RAT_MEM_READ), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemDecommit(p + pg, 2 * pg), RAT_STATUS_INVALID_ARG);
    ck_assert_no_fault(child_access(p + pg, 1)); /* still RW and committed */
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_protect_uncommitted_is_invalid_arg)
{
    size_t pg = ps();
    char *p = RatMemReserve(2 * pg);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemProtect(p, pg, RAT_MEM_READ), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_segv(child_access(p, 0));
    /* Partly committed: refused as a whole, the committed page unchanged. */
    ck_assert_int_eq(RatMemCommit(p, pg, RW), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemProtect(p, 2 * pg, RAT_MEM_READ), RAT_STATUS_INVALID_ARG);
    ck_assert_no_fault(child_access(p, 1));
    ck_assert_segv(child_access(p + pg, 0));
    /* Decommitted pages are uncommitted again. */
    ck_assert_int_eq(RatMemDecommit(p, pg), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemProtect(p, pg, RW), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_decommit_then_recommit_reads_zero)
{
    size_t pg = ps();
    unsigned char *p = RatMemReserve(3 * pg);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemCommit(p, 3 * pg, RW), RAT_STATUS_OK);
    memset(p, 0xab, 3 * pg);
    ck_assert_int_eq(RatMemDecommit(p + pg, pg), RAT_STATUS_OK);
    ck_assert_segv(child_access(p + pg, 0));
    ck_assert_int_eq(p[pg - 1], 0xab);     /* neighbours keep their data */
    ck_assert_int_eq(p[2 * pg], 0xab);
    ck_assert_int_eq(RatMemCommit(p + pg, pg, RW), RAT_STATUS_OK);
    ck_assert(all_zero(p + pg, pg));
    ck_assert_int_eq(p[2 * pg], 0xab);
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_release_with_base_and_size)
{
    size_t pg = ps();
    char *p = RatMemReserve(3 * pg + 10);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemRelease(p, 3 * pg + 10), RAT_STATUS_OK); /* size asked for */
    p = RatMemReserve(3 * pg + 10);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemCommit(p, pg, RW), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemRelease(p, 4 * pg), RAT_STATUS_OK); /* page-rounded size */
    ck_assert_int_eq(RatMemCommit(p, pg, RW), RAT_STATUS_INVALID_ARG);
}
END_TEST

START_TEST(test_release_with_zero_size)
{
    size_t pg = ps();
    char *p = RatMemReserve(5 * pg);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemCommit(p, 5 * pg, RW), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemCommit(p, pg, RW), RAT_STATUS_INVALID_ARG);
}
END_TEST

START_TEST(test_release_wrong_size_or_pointer_is_invalid_arg)
{
    size_t pg = ps();
    char *p = RatMemReserve(2 * pg);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemCommit(p, 2 * pg, RW), RAT_STATUS_OK);
    p[0] = 42;
    ck_assert_int_eq(RatMemRelease(p, pg), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemRelease(p, 2 * pg + 1), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemRelease(p, 3 * pg), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemRelease(p + pg, 0), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemRelease(p + pg, pg), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemRelease(p + 1, 2 * pg), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    /* The reservation is still live and intact. */
    ck_assert_int_eq(p[0], 42);
    ck_assert_no_fault(child_access(p + pg, 1));
    ck_assert_int_eq(RatMemRelease(p, 2 * pg), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_double_release_is_invalid_arg)
{
    size_t pg = ps();
    char *p = RatMemReserve(pg);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemRelease(p, pg), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
}
END_TEST

START_TEST(test_huge_reserve_is_no_memory)
{
    ck_assert_ptr_null(RatMemReserve(SIZE_MAX));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NO_MEMORY);
    ck_assert_ptr_null(RatMemReserve(SIZE_MAX - ps() + 2));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NO_MEMORY);
    ck_assert_ptr_null(RatMemReserve((size_t)1 << (sizeof(size_t) * 8 - 2)));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NO_MEMORY);
    /* Reserving still works afterwards. */
    char *p = RatMemReserve(1);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemRelease(p, 0), RAT_STATUS_OK);
}
END_TEST

/* Threads reserve, commit, check, protect, decommit and release at once. */
#define VM_THREADS 4
#define VM_ITERS 300

static void *vmem_worker(void *arg)
{
    size_t pg = ps();
    unsigned char tag = (unsigned char)(0x40 + (uintptr_t)arg);
    uintptr_t bad = 0;
    for (int it = 0; it < VM_ITERS && !bad; it++) {
        size_t n = 1 + (size_t)(it % 5);
        unsigned char *p = RatMemReserve(n * pg);
        if (!p)
            return (void *)1;
        if (RatMemCommit(p, n * pg, RW) != RAT_STATUS_OK)
            bad = 2;
        else if (!all_zero(p, n * pg))
            bad = 3;
        if (!bad) {
            memset(p, tag, n * pg);
            if (RatMemProtect(p, n * pg, RAT_MEM_READ) != RAT_STATUS_OK)
                bad = 4;
            for (size_t i = 0; i < n * pg; i += 64)
                if (p[i] != tag)
                    bad = 5;
            if (RatMemDecommit(p, pg) != RAT_STATUS_OK ||
                RatMemCommit(p, pg, RW) != RAT_STATUS_OK || !all_zero(p, pg))
                bad = 6;
        }
        if (RatMemRelease(p, (it & 1) ? 0 : n * pg) != RAT_STATUS_OK)
            bad = 7;
    }
    return (void *)bad;
}

START_TEST(test_threads_reserve_commit_release)
{
    pthread_t th[VM_THREADS];
    for (unsigned i = 0; i < VM_THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, vmem_worker, (void *)(uintptr_t)i), 0);
    for (unsigned i = 0; i < VM_THREADS; i++) {
        void *res;
        ck_assert_int_eq(pthread_join(th[i], &res), 0);
        ck_assert_msg(res == NULL, "thread %u failed with code %lu", i,
                      (unsigned long)(uintptr_t)res);
    }
}
END_TEST

Suite *vmem_suite(void)
{
    Suite *s = suite_create("vmem");
    TCase *tc = tcase_create("access");
    tcase_add_test(tc, test_reserve_page_aligned_and_rounded);
    tcase_add_test(tc, test_uncommitted_page_faults);
    tcase_add_test(tc, test_committed_pages_read_zero);
    tcase_add_test(tc, test_write_to_readonly_page_faults);
    tcase_add_test(tc, test_commit_none_is_inaccessible);
    tcase_add_test(tc, test_protect_rw_to_rx);
    tcase_add_test(tc, test_decommit_then_recommit_reads_zero);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_commit_wx_is_permission_and_changes_nothing);
    tcase_add_test(tc, test_protect_wx_is_permission_and_changes_nothing);
    tcase_add_test(tc, test_unknown_flag_bits_are_invalid_arg);
    tcase_add_test(tc, test_zero_sizes_are_invalid_arg);
    tcase_add_test(tc, test_ranges_outside_reservations_are_invalid_arg);
    tcase_add_test(tc, test_ranges_partly_outside_are_invalid_arg);
    tcase_add_test(tc, test_other_mappings_are_not_reservations);
    tcase_add_test(tc, test_protect_uncommitted_is_invalid_arg);
    tcase_add_test(tc, test_huge_reserve_is_no_memory);
    suite_add_tcase(s, tc);

    tc = tcase_create("release");
    tcase_add_test(tc, test_release_with_base_and_size);
    tcase_add_test(tc, test_release_with_zero_size);
    tcase_add_test(tc, test_release_wrong_size_or_pointer_is_invalid_arg);
    tcase_add_test(tc, test_double_release_is_invalid_arg);
    suite_add_tcase(s, tc);

    tc = tcase_create("threads");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_threads_reserve_commit_release);
    suite_add_tcase(s, tc);
    return s;
}
