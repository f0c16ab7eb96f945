/* check_heap.c - unit tests of lib/heap.c. */
#include "ratmem.h"
#include "suites.h"

START_TEST(test_placeholder_heap)
{
    ck_assert_int_eq(RatStatusString(RAT_STATUS_OK)[0], 's');
}
END_TEST

Suite *heap_suite(void)
{
    Suite *s = suite_create("heap");
    TCase *tc = tcase_create("heap");
    tcase_add_test(tc, test_placeholder_heap);
    suite_add_tcase(s, tc);
    return s;
}
