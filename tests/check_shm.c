/* check_shm.c - unit tests of lib/shm.c. */
#include "ratmem.h"
#include "suites.h"

START_TEST(test_placeholder_shm)
{
    ck_assert_int_eq(RatStatusString(RAT_STATUS_OK)[0], 's');
}
END_TEST

Suite *shm_suite(void)
{
    Suite *s = suite_create("shm");
    TCase *tc = tcase_create("shm");
    tcase_add_test(tc, test_placeholder_shm);
    suite_add_tcase(s, tc);
    return s;
}
