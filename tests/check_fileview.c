/* check_fileview.c - unit tests of lib/fileview.c. */
#include "ratmem.h"
#include "suites.h"

START_TEST(test_placeholder_fileview)
{
    ck_assert_int_eq(RatStatusString(RAT_STATUS_OK)[0], 's');
}
END_TEST

Suite *fileview_suite(void)
{
    Suite *s = suite_create("fileview");
    TCase *tc = tcase_create("fileview");
    tcase_add_test(tc, test_placeholder_fileview);
    suite_add_tcase(s, tc);
    return s;
}
