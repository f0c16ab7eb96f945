/* suites.h - the Check suites of check_ratmem, one per library file. */
#ifndef RATMEM_TESTS_SUITES_H
#define RATMEM_TESTS_SUITES_H
#include <check.h>

Suite *heap_suite(void);
Suite *vmem_suite(void);
Suite *shm_suite(void);
Suite *fileview_suite(void);
Suite *status_suite(void);
Suite *core_suite(void);
Suite *badinput_suite(void);

#endif
