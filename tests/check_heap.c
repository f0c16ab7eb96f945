/* check_heap.c - unit tests of lib/heap.c: RatMemAlloc, RatMemCalloc,
 * RatMemRealloc, RatMemFree. */
#include <pthread.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ratmem.h"
#include "suites.h"

/* True when all n bytes at p are zero. */
static int all_zero(const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i])
            return 0;
    return 1;
}

/* After a refused call: a fresh block can still be allocated, written and
 * freed, so the allocator's bookkeeping is intact. */
static void assert_heap_usable(void)
{
    unsigned char *q = RatMemAlloc(48);
    ck_assert_ptr_nonnull(q);
    ck_assert(all_zero(q, 48));
    memset(q, 0x5a, 48);
    ck_assert_int_eq(RatMemFree(q), RAT_STATUS_OK);
}

START_TEST(test_alloc_is_zeroed)
{
    static const size_t sizes[] = { 1, 7, 16, 100, 4096, 65536, 1 << 20 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = RatMemAlloc(sizes[i]);
        ck_assert_ptr_nonnull(p);
        ck_assert_msg(all_zero(p, sizes[i]), "RatMemAlloc(%zu) not zeroed", sizes[i]);
        ck_assert_int_eq(RatMemFree(p), RAT_STATUS_OK);
    }
}
END_TEST

START_TEST(test_calloc_is_zeroed)
{
    unsigned char *p = RatMemCalloc(37, 11);
    ck_assert_ptr_nonnull(p);
    ck_assert(all_zero(p, 37 * 11));
    ck_assert_int_eq(RatMemFree(p), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_reused_block_is_zeroed)
{
    /* Dirty a block, free it, allocate the same size again (the process
     * allocator usually hands back the same memory): it must be zero. */
    for (int round = 0; round < 8; round++) {
        size_t n = 24 + (size_t)round * 40;
        unsigned char *p = RatMemAlloc(n);
        ck_assert_ptr_nonnull(p);
        memset(p, 0xa5, n);
        ck_assert_int_eq(RatMemFree(p), RAT_STATUS_OK);
        unsigned char *q = RatMemAlloc(n);
        ck_assert_ptr_nonnull(q);
        ck_assert_msg(all_zero(q, n), "reused block of %zu bytes not zeroed", n);
        unsigned char *r = RatMemCalloc(1, n);
        ck_assert_ptr_nonnull(r);
        ck_assert(all_zero(r, n));
        memset(q, 0x5a, n);
        memset(r, 0x5a, n);
        ck_assert_int_eq(RatMemFree(q), RAT_STATUS_OK);
        ck_assert_int_eq(RatMemFree(r), RAT_STATUS_OK);
    }
}
END_TEST

START_TEST(test_realloc_grown_tail_is_zeroed)
{
    unsigned char *p = RatMemAlloc(16);
    ck_assert_ptr_nonnull(p);
    memset(p, 0x77, 16);
    unsigned char *q = RatMemRealloc(p, 4000);
    ck_assert_ptr_nonnull(q);
    for (size_t i = 0; i < 16; i++)
        ck_assert_int_eq(q[i], 0x77);
    ck_assert(all_zero(q + 16, 4000 - 16));
    ck_assert_int_eq(RatMemFree(q), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_realloc_shrink_then_grow_is_zeroed)
{
    unsigned char *p = RatMemAlloc(256);
    ck_assert_ptr_nonnull(p);
    memset(p, 0xee, 256);
    unsigned char *q = RatMemRealloc(p, 10);
    ck_assert_ptr_nonnull(q);
    for (size_t i = 0; i < 10; i++)
        ck_assert_int_eq(q[i], 0xee);
    unsigned char *r = RatMemRealloc(q, 256);
    ck_assert_ptr_nonnull(r);
    for (size_t i = 0; i < 10; i++)
        ck_assert_int_eq(r[i], 0xee);
    ck_assert_msg(all_zero(r + 10, 246), "bytes dropped by a shrink came back on grow");
    ck_assert_int_eq(RatMemFree(r), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_alignment_max_align_t)
{
    void *ps[64];
    for (size_t i = 0; i < 64; i++) {
        ps[i] = i % 2 ? RatMemAlloc(i + 1) : RatMemCalloc(i + 1, 3);
        ck_assert_ptr_nonnull(ps[i]);
        ck_assert_uint_eq((uintptr_t)ps[i] % alignof(max_align_t), 0);
    }
    for (size_t i = 0; i < 64; i++) {
        void *q = RatMemRealloc(ps[i], 1000 + i);
        ck_assert_ptr_nonnull(q);
        ck_assert_uint_eq((uintptr_t)q % alignof(max_align_t), 0);
        ck_assert_int_eq(RatMemFree(q), RAT_STATUS_OK);
    }
}
END_TEST

START_TEST(test_alloc_size_zero_is_invalid_arg)
{
    ck_assert_ptr_null(RatMemAlloc(0));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
}
END_TEST

START_TEST(test_calloc_zero_is_invalid_arg)
{
    ck_assert_ptr_null(RatMemCalloc(0, 8));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_ptr_null(RatMemCalloc(8, 0));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
}
END_TEST

START_TEST(test_calloc_overflow_is_no_memory)
{
    ck_assert_ptr_null(RatMemCalloc(SIZE_MAX / 2 + 2, 2));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NO_MEMORY);
    ck_assert_ptr_null(RatMemCalloc(SIZE_MAX, SIZE_MAX));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NO_MEMORY);
    ck_assert_ptr_null(RatMemCalloc((size_t)1 << (sizeof(size_t) * 4),
                                    (size_t)1 << (sizeof(size_t) * 4)));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NO_MEMORY);
    assert_heap_usable();
}
END_TEST

START_TEST(test_alloc_size_max_is_no_memory)
{
    ck_assert_ptr_null(RatMemAlloc(SIZE_MAX));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NO_MEMORY);
    ck_assert_ptr_null(RatMemCalloc(1, SIZE_MAX));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NO_MEMORY);
    ck_assert_ptr_null(RatMemAlloc(SIZE_MAX - 4096));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NO_MEMORY);
    assert_heap_usable();
}
END_TEST

START_TEST(test_free_null_is_ok)
{
    ck_assert_int_eq(RatMemFree(NULL), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_double_free_is_invalid_arg)
{
    void *keep = RatMemAlloc(32);
    void *p = RatMemAlloc(32);
    ck_assert_ptr_nonnull(keep);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(RatMemFree(p), RAT_STATUS_OK);
    ck_assert_int_eq(RatMemFree(p), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    assert_heap_usable();
    ck_assert_int_eq(RatMemFree(keep), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_free_stack_pointer_is_invalid_arg)
{
    char local[64];
    memset(local, 1, sizeof local);
    ck_assert_int_eq(RatMemFree(local), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(local[63], 1);
    assert_heap_usable();
}
END_TEST

START_TEST(test_free_malloc_pointer_is_invalid_arg)
{
    char *m = malloc(64);
    ck_assert_ptr_nonnull(m);
    memset(m, 3, 64);
    ck_assert_int_eq(RatMemFree(m), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(m[63], 3); /* still the caller's: not freed or wiped */
    free(m);
    assert_heap_usable();
}
END_TEST

START_TEST(test_free_interior_pointer_is_invalid_arg)
{
    unsigned char *p = RatMemAlloc(64);
    ck_assert_ptr_nonnull(p);
    memset(p, 9, 64);
    ck_assert_int_eq(RatMemFree(p + 1), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemFree(p + 16), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    for (size_t i = 0; i < 64; i++)
        ck_assert_int_eq(p[i], 9); /* the block is untouched and still live */
    assert_heap_usable();
    ck_assert_int_eq(RatMemFree(p), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_realloc_foreign_pointers_are_invalid_arg)
{
    char local[32];
    char *m = malloc(32);
    unsigned char *p = RatMemAlloc(32);
    unsigned char *dead = RatMemAlloc(32);
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(dead);
    memset(local, 1, sizeof local);
    memset(m, 2, 32);
    memset(p, 4, 32);
    ck_assert_int_eq(RatMemFree(dead), RAT_STATUS_OK);

    ck_assert_ptr_null(RatMemRealloc(local, 64));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_ptr_null(RatMemRealloc(m, 64));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_ptr_null(RatMemRealloc(p + 8, 64));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_ptr_null(RatMemRealloc(dead, 64));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_ptr_null(RatMemRealloc(dead, 8)); /* shrink path too */
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);

    ck_assert_int_eq(local[31], 1);
    ck_assert_int_eq(m[31], 2);
    for (size_t i = 0; i < 32; i++)
        ck_assert_int_eq(p[i], 4);
    free(m);
    assert_heap_usable();
    ck_assert_int_eq(RatMemFree(p), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_failed_realloc_keeps_old_block)
{
    unsigned char *p = RatMemAlloc(100);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < 100; i++)
        p[i] = (unsigned char)i;
    ck_assert_ptr_null(RatMemRealloc(p, SIZE_MAX));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NO_MEMORY);
    for (size_t i = 0; i < 100; i++)
        ck_assert_int_eq(p[i], (unsigned char)i);
    /* Still a live block: it can grow and be freed. */
    unsigned char *q = RatMemRealloc(p, 200);
    ck_assert_ptr_nonnull(q);
    for (size_t i = 0; i < 100; i++)
        ck_assert_int_eq(q[i], (unsigned char)i);
    ck_assert(all_zero(q + 100, 100));
    ck_assert_int_eq(RatMemFree(q), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_realloc_null_allocates)
{
    unsigned char *p = RatMemRealloc(NULL, 77);
    ck_assert_ptr_nonnull(p);
    ck_assert(all_zero(p, 77));
    ck_assert_int_eq(RatMemFree(p), RAT_STATUS_OK);
    ck_assert_ptr_null(RatMemRealloc(NULL, 0));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
}
END_TEST

START_TEST(test_realloc_to_zero_is_invalid_arg)
{
    unsigned char *p = RatMemAlloc(40);
    ck_assert_ptr_nonnull(p);
    memset(p, 0x11, 40);
    ck_assert_ptr_null(RatMemRealloc(p, 0));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    for (size_t i = 0; i < 40; i++)
        ck_assert_int_eq(p[i], 0x11);
    ck_assert_int_eq(RatMemFree(p), RAT_STATUS_OK); /* still live */
}
END_TEST

/* Threads allocate, fill with their own pattern, grow, shrink and free at
 * once; each checks its contents and the zeroed tails. */
#define HEAP_THREADS 4
#define HEAP_ITERS 3000
#define HEAP_SLOTS 16

static void *heap_worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    unsigned char tag = (unsigned char)(0x10 + id);
    unsigned char *slot[HEAP_SLOTS] = { 0 };
    size_t len[HEAP_SLOTS] = { 0 };
    uint32_t rnd = 2463534242u ^ id;
    uintptr_t bad = 0;

    for (int it = 0; it < HEAP_ITERS && !bad; it++) {
        rnd ^= rnd << 13;
        rnd ^= rnd >> 17;
        rnd ^= rnd << 5;
        unsigned k = rnd % HEAP_SLOTS;
        size_t n = 1 + (rnd >> 8) % 700;
        if (!slot[k]) {
            slot[k] = (it & 1) ? RatMemAlloc(n) : RatMemCalloc(n, 1);
            if (!slot[k] || !all_zero(slot[k], n)) {
                bad = 1;
            } else {
                memset(slot[k], tag, n);
                len[k] = n;
            }
        } else if (rnd & 0x80) {
            for (size_t i = 0; i < len[k]; i++)
                if (slot[k][i] != tag)
                    bad = 2;
            unsigned char *q = RatMemRealloc(slot[k], n);
            if (!q) {
                bad = 3;
                continue;
            }
            size_t keep = n < len[k] ? n : len[k];
            for (size_t i = 0; i < keep; i++)
                if (q[i] != tag)
                    bad = 4;
            if (n > len[k] && !all_zero(q + len[k], n - len[k]))
                bad = 5;
            memset(q, tag, n);
            slot[k] = q;
            len[k] = n;
        } else {
            for (size_t i = 0; i < len[k]; i++)
                if (slot[k][i] != tag)
                    bad = 6;
            if (RatMemFree(slot[k]) != RAT_STATUS_OK)
                bad = 7;
            slot[k] = NULL;
        }
    }
    for (unsigned k = 0; k < HEAP_SLOTS; k++)
        if (slot[k] && RatMemFree(slot[k]) != RAT_STATUS_OK)
            bad = 8;
    return (void *)bad;
}

START_TEST(test_threads_alloc_realloc_free)
{
    pthread_t th[HEAP_THREADS];
    for (unsigned i = 0; i < HEAP_THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, heap_worker, (void *)(uintptr_t)i), 0);
    for (unsigned i = 0; i < HEAP_THREADS; i++) {
        void *res;
        ck_assert_int_eq(pthread_join(th[i], &res), 0);
        ck_assert_msg(res == NULL, "thread %u failed with code %lu", i,
                      (unsigned long)(uintptr_t)res);
    }
    assert_heap_usable();
}
END_TEST

/* Two threads free the same block at the same moment: exactly one wins,
 * the other is refused as a double free. */
#define RACE_ROUNDS 300

struct race {
    pthread_barrier_t start, done;
    void *volatile block;
    RatStatus result[2];
};

static struct race race;

static void *race_free(void *arg)
{
    int me = (int)(uintptr_t)arg;
    for (int r = 0; r < RACE_ROUNDS; r++) {
        pthread_barrier_wait(&race.start);
        race.result[me] = RatMemFree(race.block);
        pthread_barrier_wait(&race.done);
    }
    return NULL;
}

START_TEST(test_racing_double_free_one_wins)
{
    pthread_t a, b;
    ck_assert_int_eq(pthread_barrier_init(&race.start, NULL, 3), 0);
    ck_assert_int_eq(pthread_barrier_init(&race.done, NULL, 3), 0);
    ck_assert_int_eq(pthread_create(&a, NULL, race_free, (void *)0), 0);
    ck_assert_int_eq(pthread_create(&b, NULL, race_free, (void *)1), 0);
    int bad = 0;
    for (int r = 0; r < RACE_ROUNDS; r++) {
        race.block = RatMemAlloc(1 + (size_t)r % 64);
        if (!race.block)
            bad++;
        pthread_barrier_wait(&race.start);
        pthread_barrier_wait(&race.done);
        int ok = (race.result[0] == RAT_STATUS_OK) + (race.result[1] == RAT_STATUS_OK);
        int refused = (race.result[0] == RAT_STATUS_INVALID_ARG) +
                      (race.result[1] == RAT_STATUS_INVALID_ARG);
        if (ok != 1 || refused != 1)
            bad++;
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    pthread_barrier_destroy(&race.start);
    pthread_barrier_destroy(&race.done);
    ck_assert_int_eq(bad, 0);
    assert_heap_usable();
}
END_TEST

Suite *heap_suite(void)
{
    Suite *s = suite_create("heap");
    TCase *tc = tcase_create("zeroing");
    tcase_add_test(tc, test_alloc_is_zeroed);
    tcase_add_test(tc, test_calloc_is_zeroed);
    tcase_add_test(tc, test_reused_block_is_zeroed);
    tcase_add_test(tc, test_realloc_grown_tail_is_zeroed);
    tcase_add_test(tc, test_realloc_shrink_then_grow_is_zeroed);
    tcase_add_test(tc, test_alignment_max_align_t);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_alloc_size_zero_is_invalid_arg);
    tcase_add_test(tc, test_calloc_zero_is_invalid_arg);
    tcase_add_test(tc, test_calloc_overflow_is_no_memory);
    tcase_add_test(tc, test_alloc_size_max_is_no_memory);
    tcase_add_test(tc, test_free_null_is_ok);
    tcase_add_test(tc, test_double_free_is_invalid_arg);
    tcase_add_test(tc, test_free_stack_pointer_is_invalid_arg);
    tcase_add_test(tc, test_free_malloc_pointer_is_invalid_arg);
    tcase_add_test(tc, test_free_interior_pointer_is_invalid_arg);
    tcase_add_test(tc, test_realloc_foreign_pointers_are_invalid_arg);
    tcase_add_test(tc, test_failed_realloc_keeps_old_block);
    tcase_add_test(tc, test_realloc_null_allocates);
    tcase_add_test(tc, test_realloc_to_zero_is_invalid_arg);
    suite_add_tcase(s, tc);

    tc = tcase_create("threads");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_threads_alloc_realloc_free);
    tcase_add_test(tc, test_racing_double_free_one_wins);
    suite_add_tcase(s, tc);
    return s;
}
