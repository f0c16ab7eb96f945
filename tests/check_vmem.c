/* check_vmem.c - unit tests of lib/vmem.c. */
#include "ratmem.h"
#include "suites.h"

START_TEST(test_placeholder_vmem)
{
    ck_assert_int_eq(RatStatusString(RAT_STATUS_OK)[0], 's');
}
END_TEST

Suite *vmem_suite(void)
{
    Suite *s = suite_create("vmem");
    TCase *tc = tcase_create("vmem");
    tcase_add_test(tc, test_placeholder_vmem);
    suite_add_tcase(s, tc);
    return s;
}
