/* check_core.c - unit tests of the core: protection policy, name rule, the
 * dump_signal values of the options. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include "ratmem.h"
#include "fdhigh.h"
#include "options.h"
#include "wx.h"
#include "prot.h"
#include "shmname.h"
#include "suites.h"

START_TEST(test_prot_mapping)
{
    int prot = -1;
    ck_assert_int_eq(ratmem_prot_from_flags(RAT_MEM_NONE, &prot), RAT_STATUS_OK);
    ck_assert_int_eq(prot, PROT_NONE);
    ck_assert_int_eq(ratmem_prot_from_flags(RAT_MEM_READ | RAT_MEM_WRITE, &prot), RAT_STATUS_OK);
    ck_assert_int_eq(prot, PROT_READ | PROT_WRITE);
    ck_assert_int_eq(ratmem_prot_from_flags(RAT_MEM_READ | RAT_MEM_EXECUTE, &prot), RAT_STATUS_OK);
    ck_assert_int_eq(prot, PROT_READ | PROT_EXEC);
    ck_assert_int_eq(ratmem_prot_to_flags(PROT_READ | PROT_EXEC), RAT_MEM_READ | RAT_MEM_EXECUTE);
}
END_TEST

START_TEST(test_prot_wx_refused)
{
    int prot = 12345;
    ck_assert_int_eq(ratmem_prot_from_flags(RAT_MEM_WRITE | RAT_MEM_EXECUTE, &prot),
                     RAT_STATUS_PERMISSION);
    ck_assert_int_eq(ratmem_prot_from_flags(RAT_MEM_READ | RAT_MEM_WRITE | RAT_MEM_EXECUTE, &prot),
                     RAT_STATUS_PERMISSION);
    ck_assert_int_eq(prot, 12345);
    ck_assert(ratmem_prot_is_wx(PROT_WRITE | PROT_EXEC));
    ck_assert(!ratmem_prot_is_wx(PROT_READ | PROT_EXEC));
}
END_TEST

START_TEST(test_prot_unknown_bits)
{
    int prot = 7;
    ck_assert_int_eq(ratmem_prot_from_flags(0x8, &prot), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(ratmem_prot_from_flags(-1, &prot), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(prot, 7);
}
END_TEST

START_TEST(test_shm_name_rule)
{
    char longname[RATMEM_SHM_NAME_MAX + 2];
    ck_assert(ratmem_shm_name_valid("a"));
    ck_assert(ratmem_shm_name_valid("ratmem-test_1.region"));
    ck_assert(!ratmem_shm_name_valid(NULL));
    ck_assert(!ratmem_shm_name_valid(""));
    ck_assert(!ratmem_shm_name_valid("."));
    ck_assert(!ratmem_shm_name_valid(".."));
    ck_assert(!ratmem_shm_name_valid("/"));
    ck_assert(!ratmem_shm_name_valid("a/b"));
    ck_assert(!ratmem_shm_name_valid("sp ace"));
    ck_assert(!ratmem_shm_name_valid("caf\xc3\xa9"));
    memset(longname, 'x', RATMEM_SHM_NAME_MAX);
    longname[RATMEM_SHM_NAME_MAX] = '\0';
    ck_assert(ratmem_shm_name_valid(longname));
    longname[RATMEM_SHM_NAME_MAX] = 'x';
    longname[RATMEM_SHM_NAME_MAX + 1] = '\0';
    ck_assert(!ratmem_shm_name_valid(longname));
}
END_TEST

static int sig_of(const char *v)
{
    return ratmem_options_signal(v, strlen(v));
}

START_TEST(test_options_signal)
{
    ck_assert_int_eq(sig_of("USR2"), SIGUSR2);
    ck_assert_int_eq(sig_of("SIGUSR1"), SIGUSR1);
    ck_assert_int_eq(sig_of("usr2"), SIGUSR2);
    ck_assert_int_eq(sig_of("SigTerm"), SIGTERM);
    ck_assert_int_eq(sig_of("WINCH"), SIGWINCH);
    ck_assert_int_eq(sig_of("12"), 12);
    ck_assert_int_eq(sig_of("0"), 0);
    ck_assert_int_eq(sig_of("none"), 0);
    ck_assert_int_eq(sig_of("NONE"), 0);
    char rt[8];
    snprintf(rt, sizeof rt, "%d", SIGRTMIN);
    ck_assert_int_eq(sig_of(rt), SIGRTMIN);
    /* Refused: uncatchable, faults, glibc's own real-time signals, junk. */
    static const char *bad[] = { "KILL", "9", "STOP", "19", "SEGV", "11", "BUS", "ABRT", "6",
                                 "FPE", "ILL", "TRAP", "SYS", "32", "33", "65", "-1", "",
                                 "SIG", "SIGSIG", "USR3", "12x", "1000000000" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(sig_of(bad[i]) == -1, "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(test_fd_high)
{
    /* The shim's descriptors: close-on-exec, at the floor or above, even
     * when 0 is free; errno kept; failures reported. */
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    int floor = ratmem_fd_floor();
    ck_assert_int_eq(floor, rl.rlim_cur >= 1024 ? RATMEM_FD_FLOOR : (int)(rl.rlim_cur * 3 / 4));
    int saved0 = fcntl(0, F_DUPFD_CLOEXEC, 10);
    close(0);
    errno = 4242;
    int fd = ratmem_fd_open("/dev/null", O_RDONLY, 0);
    ck_assert_int_ge(fd, floor);
    ck_assert_int_eq(fcntl(0, F_GETFD), -1);          /* 0 stays closed */
    ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    close(fd);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    errno = 4242;
    int hi = ratmem_fd_high(p[0]);
    ck_assert_int_eq(errno, 4242);
    ck_assert_int_ge(hi, floor);
    ck_assert_int_eq(fcntl(p[0], F_GETFD), -1);       /* the old number is closed */
    close(hi);
    close(p[1]);
    ck_assert_int_eq(ratmem_fd_high(-1), -1);
    ck_assert_int_eq(ratmem_fd_open("/nonexistent/x", O_RDONLY, 0), -1);
    ck_assert_int_eq(errno, ENOENT);
    if (saved0 >= 0) {
        dup2(saved0, 0);
        close(saved0);
    }
}
END_TEST

START_TEST(test_wx_exe_allowed)
{
    ck_assert(ratmem_wx_exe_allowed("*/node", "/usr/bin/node"));
    ck_assert(ratmem_wx_exe_allowed("node", "/usr/bin/node"));
    ck_assert(ratmem_wx_exe_allowed("java,node*", "/usr/bin/nodejs"));
    ck_assert(ratmem_wx_exe_allowed("/usr/*", "/usr/lib/jvm/bin/java"));  /* '*' crosses '/' */
    ck_assert(!ratmem_wx_exe_allowed("node", "/usr/bin/nodejs"));
    ck_assert(!ratmem_wx_exe_allowed("/node", "/usr/bin/node"));
    ck_assert(!ratmem_wx_exe_allowed("", "/usr/bin/node"));
    ck_assert(!ratmem_wx_exe_allowed(",,", "/usr/bin/node"));
    ck_assert(!ratmem_wx_exe_allowed("*", ""));
}
END_TEST

Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("prot");
    tcase_add_test(tc, test_prot_mapping);
    tcase_add_test(tc, test_prot_wx_refused);
    tcase_add_test(tc, test_prot_unknown_bits);
    tcase_add_test(tc, test_shm_name_rule);
    tcase_add_test(tc, test_options_signal);
    tcase_add_test(tc, test_fd_high);
    tcase_add_test(tc, test_wx_exe_allowed);
    suite_add_tcase(s, tc);
    return s;
}
