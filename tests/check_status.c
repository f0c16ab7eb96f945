/* check_status.c - unit tests of lib/status.c. */
#include "ratmem.h"
#include "suites.h"

START_TEST(test_placeholder_status)
{
    ck_assert_int_eq(RatStatusString(RAT_STATUS_OK)[0], 's');
}
END_TEST

Suite *status_suite(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, test_placeholder_status);
    suite_add_tcase(s, tc);
    return s;
}
