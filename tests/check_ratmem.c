/* check_ratmem.c - runs every RatAPI unit-test suite. */
#include <stdlib.h>
#include "suites.h"

int main(void)
{
    SRunner *sr = srunner_create(heap_suite());
    srunner_add_suite(sr, vmem_suite());
    srunner_add_suite(sr, shm_suite());
    srunner_add_suite(sr, fileview_suite());
    srunner_add_suite(sr, status_suite());
    srunner_add_suite(sr, core_suite());
    srunner_add_suite(sr, badinput_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
