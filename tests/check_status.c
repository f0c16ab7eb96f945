/* check_status.c - unit tests of lib/status.c (RatGetLastError,
 * RatStatusString) and of RatLeakReport outside the preload shim.
 *
 * Tests that need a thread's status as it is before any failure run in a
 * fresh thread: with CK_FORK=no every test shares the main thread. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include "ratmem.h"
#include "suites.h"

/* Run fn in a new thread and return what it returns. */
static uintptr_t in_new_thread(void *(*fn)(void *), void *arg)
{
    pthread_t th;
    void *res;
    ck_assert_int_eq(pthread_create(&th, NULL, fn, arg), 0);
    ck_assert_int_eq(pthread_join(th, &res), 0);
    return (uintptr_t)res;
}

static void *initial_status(void *arg)
{
    (void)arg;
    return (void *)(uintptr_t)RatGetLastError();
}

START_TEST(test_last_error_ok_before_any_failure)
{
    ck_assert_uint_eq(in_new_thread(initial_status, NULL), RAT_STATUS_OK);
}
END_TEST

/* Fail with NO_MEMORY in this thread; report what it then sees. */
static void *fail_no_memory(void *arg)
{
    (void)arg;
    if (RatMemAlloc(SIZE_MAX) != NULL)
        return (void *)(uintptr_t)100;
    return (void *)(uintptr_t)RatGetLastError();
}

START_TEST(test_last_error_is_per_thread)
{
    ck_assert_ptr_null(RatMemAlloc(0));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    /* Another thread's failure is its own... */
    ck_assert_uint_eq(in_new_thread(fail_no_memory, NULL), RAT_STATUS_NO_MEMORY);
    /* ...and is not seen here. */
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    /* Nor does this thread's failure show in a new thread. */
    ck_assert_uint_eq(in_new_thread(initial_status, NULL), RAT_STATUS_OK);
}
END_TEST

/* Two threads failing at once, each with its own status, many times. */
static void *fail_repeatedly(void *arg)
{
    int want_no_memory = arg != NULL;
    for (int i = 0; i < 2000; i++) {
        if (want_no_memory)
            RatMemCalloc(SIZE_MAX, 2);
        else
            RatMemFree((void *)(uintptr_t)16);
        RatStatus want = want_no_memory ? RAT_STATUS_NO_MEMORY : RAT_STATUS_INVALID_ARG;
        if (RatGetLastError() != want)
            return (void *)(uintptr_t)1;
    }
    return NULL;
}

START_TEST(test_last_error_concurrent_threads_independent)
{
    pthread_t a, b;
    void *ra, *rb;
    ck_assert_int_eq(pthread_create(&a, NULL, fail_repeatedly, NULL), 0);
    ck_assert_int_eq(pthread_create(&b, NULL, fail_repeatedly, (void *)1), 0);
    ck_assert_int_eq(pthread_join(a, &ra), 0);
    ck_assert_int_eq(pthread_join(b, &rb), 0);
    ck_assert_ptr_null(ra);
    ck_assert_ptr_null(rb);
}
END_TEST

static void *fail_then_succeed(void *arg)
{
    (void)arg;
    if (RatMemFree((void *)(uintptr_t)8) != RAT_STATUS_INVALID_ARG)
        return (void *)(uintptr_t)100;
    void *p = RatMemAlloc(10);
    if (!p || RatMemFree(p) != RAT_STATUS_OK || RatMemFree(NULL) != RAT_STATUS_OK)
        return (void *)(uintptr_t)101;
    void *v = RatMemReserve(1);
    if (!v || RatMemRelease(v, 0) != RAT_STATUS_OK)
        return (void *)(uintptr_t)102;
    return (void *)(uintptr_t)RatGetLastError();
}

START_TEST(test_success_does_not_clear_last_error)
{
    ck_assert_uint_eq(in_new_thread(fail_then_succeed, NULL), RAT_STATUS_INVALID_ARG);
}
END_TEST

START_TEST(test_each_failure_overwrites_last_error)
{
    ck_assert_ptr_null(RatMemAlloc(SIZE_MAX));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NO_MEMORY);
    ck_assert_ptr_null(RatMemReserve(0));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatLeakReport(NULL), RAT_STATUS_UNSUPPORTED);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_UNSUPPORTED);
    ck_assert_ptr_null(RatSharedMemOpen("ratmem-test-surely-not-there-42"));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NOT_FOUND);
}
END_TEST

START_TEST(test_status_strings_distinct_and_non_empty)
{
    static const RatStatus all[] = {
        RAT_STATUS_OK, RAT_STATUS_ERROR, RAT_STATUS_INVALID_ARG, RAT_STATUS_NO_MEMORY,
        RAT_STATUS_PERMISSION, RAT_STATUS_EXISTS, RAT_STATUS_NOT_FOUND, RAT_STATUS_UNSUPPORTED,
    };
    const size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        const char *s = RatStatusString(all[i]);
        ck_assert_ptr_nonnull(s);
        ck_assert_uint_gt(strlen(s), 0);
        ck_assert_str_ne(s, "unknown status");
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(s, RatStatusString(all[j]));
    }
}
END_TEST

START_TEST(test_status_strings_documented_text)
{
    ck_assert_str_eq(RatStatusString(RAT_STATUS_OK), "success");
    ck_assert_str_eq(RatStatusString(RAT_STATUS_INVALID_ARG), "invalid argument");
    ck_assert_str_eq(RatStatusString(RAT_STATUS_EXISTS), "already exists");
    ck_assert_str_eq(RatStatusString(RAT_STATUS_NOT_FOUND), "not found");
}
END_TEST

START_TEST(test_status_string_unknown_value)
{
    ck_assert_str_eq(RatStatusString((RatStatus)(RAT_STATUS_UNSUPPORTED + 1)), "unknown status");
    ck_assert_str_eq(RatStatusString((RatStatus)1000), "unknown status");
    ck_assert_str_eq(RatStatusString((RatStatus)-1), "unknown status");
}
END_TEST

START_TEST(test_status_string_does_not_set_last_error)
{
    ck_assert_ptr_null(RatMemAlloc(0));
    (void)RatStatusString((RatStatus)1000);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
}
END_TEST

START_TEST(test_leak_report_without_shim_is_unsupported)
{
    ck_assert_int_eq(RatLeakReport(NULL), RAT_STATUS_UNSUPPORTED);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_UNSUPPORTED);
    ck_assert_int_eq(RatLeakReport("/dev/null"), RAT_STATUS_UNSUPPORTED);
}
END_TEST

START_TEST(test_heap_dump_without_shim_is_unsupported)
{
    ck_assert_int_eq(RatHeapDump(NULL), RAT_STATUS_UNSUPPORTED);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_UNSUPPORTED);
    ck_assert_int_eq(RatHeapDump("/dev/null"), RAT_STATUS_UNSUPPORTED);
    /* An empty path is refused before the shim is looked for. */
    ck_assert_int_eq(RatHeapDump(""), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
}
END_TEST

Suite *status_suite(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("last_error");
    tcase_add_test(tc, test_last_error_ok_before_any_failure);
    tcase_add_test(tc, test_last_error_is_per_thread);
    tcase_add_test(tc, test_last_error_concurrent_threads_independent);
    tcase_add_test(tc, test_success_does_not_clear_last_error);
    tcase_add_test(tc, test_each_failure_overwrites_last_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("strings");
    tcase_add_test(tc, test_status_strings_distinct_and_non_empty);
    tcase_add_test(tc, test_status_strings_documented_text);
    tcase_add_test(tc, test_status_string_unknown_value);
    tcase_add_test(tc, test_status_string_does_not_set_last_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("leak_report");
    tcase_add_test(tc, test_leak_report_without_shim_is_unsupported);
    tcase_add_test(tc, test_heap_dump_without_shim_is_unsupported);
    suite_add_tcase(s, tc);
    return s;
}
