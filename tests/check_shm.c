/* check_shm.c - unit tests of lib/shm.c: RatSharedMemCreate,
 * RatSharedMemOpen, RatSharedMemClose, RatSharedMemUnlink, RatSharedMemSize.
 *
 * Every object name includes the pid and a per-test tag, and each test
 * unlinks what it created (also when it starts, in case an earlier run was
 * killed half-way). */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ratmem.h"
#include "suites.h"

/* Remove a leftover object of that name, quietly. */
static void shm_clean(const char *name)
{
    char path[300];
    snprintf(path, sizeof path, "/%s", name);
    shm_unlink(path);
}

/* The names the running test made, removed by its teardown even when an
 * assertion stopped it half-way. */
static char used_names[4][64];
static int n_used;

static void shm_forget(void)
{
    for (int i = 0; i < n_used; i++)
        shm_clean(used_names[i]);
    n_used = 0;
}

/* "ratmem-test-PID-TAG" in buf. */
static const char *shm_name(char *buf, size_t len, const char *tag)
{
    snprintf(buf, len, "ratmem-test-%ld-%s", (long)getpid(), tag);
    if (n_used < 4)
        snprintf(used_names[n_used++], sizeof used_names[0], "%s", buf);
    return buf;
}

static int all_zero(const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i])
            return 0;
    return 1;
}

START_TEST(test_create_open_close_unlink)
{
    char name[64];
    shm_name(name, sizeof name, "basic");
    shm_clean(name);
    char *a = RatSharedMemCreate(name, 5000);
    ck_assert_ptr_nonnull(a);
    strcpy(a, "hello");
    a[4999] = 'z';
    char *b = RatSharedMemOpen(name);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_ne(a, b); /* a second mapping of the same object */
    ck_assert_str_eq(b, "hello");
    ck_assert_int_eq(b[4999], 'z');
    b[100] = 'x';
    ck_assert_int_eq(a[100], 'x');
    ck_assert_int_eq(RatSharedMemClose(b), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemClose(a), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_OK);
    ck_assert_ptr_null(RatSharedMemOpen(name));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NOT_FOUND);
}
END_TEST

START_TEST(test_created_region_is_zeroed)
{
    char name[64];
    shm_name(name, sizeof name, "zero");
    shm_clean(name);
    size_t n = 3 * (size_t)sysconf(_SC_PAGESIZE) + 17;
    char *a = RatSharedMemCreate(name, n);
    ck_assert_ptr_nonnull(a);
    ck_assert(all_zero(a, n));
    ck_assert_int_eq(RatSharedMemClose(a), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_bad_names_are_invalid_arg)
{
    char longname[301];
    memset(longname, 'n', 300);
    longname[300] = '\0';
    const char *bad[] = { "", "/", ".", "..", "a/b", "/ratmem-x", longname,
                          "caf\xc3\xa9", "sp ace", "tab\t" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_ptr_null(RatSharedMemCreate(bad[i], 64));
        ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
        ck_assert_ptr_null(RatSharedMemOpen(bad[i]));
        ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
        ck_assert_int_eq(RatSharedMemUnlink(bad[i]), RAT_STATUS_INVALID_ARG);
    }
    ck_assert_ptr_null(RatSharedMemCreate(NULL, 64));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_ptr_null(RatSharedMemOpen(NULL));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatSharedMemUnlink(NULL), RAT_STATUS_INVALID_ARG);
}
END_TEST

START_TEST(test_create_size_zero_is_invalid_arg)
{
    char name[64];
    shm_name(name, sizeof name, "size0");
    shm_clean(name);
    ck_assert_ptr_null(RatSharedMemCreate(name, 0));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_NOT_FOUND); /* nothing made */
}
END_TEST

START_TEST(test_create_huge_is_no_memory)
{
    char name[64];
    shm_name(name, sizeof name, "huge");
    shm_clean(name);
    ck_assert_ptr_null(RatSharedMemCreate(name, SIZE_MAX));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NO_MEMORY);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_NOT_FOUND); /* nothing left */
}
END_TEST

START_TEST(test_create_existing_is_exists)
{
    char name[64];
    shm_name(name, sizeof name, "exists");
    shm_clean(name);
    char *a = RatSharedMemCreate(name, 128);
    ck_assert_ptr_nonnull(a);
    a[0] = 'k';
    ck_assert_ptr_null(RatSharedMemCreate(name, 4096));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_EXISTS);
    /* The existing object is left alone: same size, same data. */
    char *b = RatSharedMemOpen(name);
    ck_assert_ptr_nonnull(b);
    size_t sz = 0;
    ck_assert_int_eq(RatSharedMemSize(b, &sz), RAT_STATUS_OK);
    ck_assert_uint_eq(sz, 128);
    ck_assert_int_eq(b[0], 'k');
    ck_assert_int_eq(RatSharedMemClose(b), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemClose(a), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_open_missing_is_not_found)
{
    char name[64];
    shm_name(name, sizeof name, "missing");
    shm_clean(name);
    ck_assert_ptr_null(RatSharedMemOpen(name));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NOT_FOUND);
}
END_TEST

START_TEST(test_unlink_missing_is_not_found)
{
    char name[64];
    shm_name(name, sizeof name, "unlinked");
    shm_clean(name);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_NOT_FOUND);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_NOT_FOUND);
    char *a = RatSharedMemCreate(name, 10);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_NOT_FOUND);
    /* The mapping outlives the name. */
    a[9] = 1;
    ck_assert_int_eq(RatSharedMemClose(a), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_open_empty_object_is_error)
{
    char name[64], path[80];
    shm_name(name, sizeof name, "empty");
    shm_clean(name);
    snprintf(path, sizeof path, "/%s", name);
    int fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_ptr_null(RatSharedMemOpen(name));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_ERROR);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_created_mode_is_0600_even_with_umask_0)
{
    char name[64], path[128];
    shm_name(name, sizeof name, "mode");
    shm_clean(name);
    mode_t old = umask(0);
    char *a = RatSharedMemCreate(name, 64);
    umask(old);
    ck_assert_ptr_nonnull(a);
    snprintf(path, sizeof path, "/%s", name);
    int fd = shm_open(path, O_RDONLY, 0);
    ck_assert_int_ge(fd, 0);
    struct stat st;
    ck_assert_int_eq(fstat(fd, &st), 0);
    close(fd);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert_uint_eq(st.st_uid, geteuid());
    ck_assert_int_eq(RatSharedMemClose(a), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_size_of_created_and_opened)
{
    char name[64];
    shm_name(name, sizeof name, "size");
    shm_clean(name);
    char *a = RatSharedMemCreate(name, 1000);
    ck_assert_ptr_nonnull(a);
    size_t sz = 0;
    ck_assert_int_eq(RatSharedMemSize(a, &sz), RAT_STATUS_OK);
    ck_assert_uint_eq(sz, 1000);
    char *b = RatSharedMemOpen(name);
    ck_assert_ptr_nonnull(b);
    sz = 0;
    ck_assert_int_eq(RatSharedMemSize(b, &sz), RAT_STATUS_OK);
    ck_assert_uint_eq(sz, 1000);
    /* Not a region base, or no place to put the size. */
    ck_assert_int_eq(RatSharedMemSize(a + 1, &sz), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatSharedMemSize(NULL, &sz), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatSharedMemSize(a, NULL), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatSharedMemClose(b), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemSize(b, &sz), RAT_STATUS_INVALID_ARG); /* closed */
    ck_assert_int_eq(RatSharedMemClose(a), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_close_non_base_is_invalid_arg)
{
    char name[64];
    shm_name(name, sizeof name, "close");
    shm_clean(name);
    char *a = RatSharedMemCreate(name, 8192);
    ck_assert_ptr_nonnull(a);
    char local[8];
    void *heap = RatMemAlloc(16);
    ck_assert_ptr_nonnull(heap);
    ck_assert_int_eq(RatSharedMemClose(a + 1), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatSharedMemClose(a + 4096), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatSharedMemClose(NULL), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatSharedMemClose(local), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatSharedMemClose(heap), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    a[8191] = 3; /* still mapped */
    ck_assert_int_eq(RatSharedMemClose(a), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemClose(a), RAT_STATUS_INVALID_ARG); /* twice */
    ck_assert_int_eq(RatMemFree(heap), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_close_of_other_mappings_is_invalid_arg)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    char *res = RatMemReserve(pg);
    ck_assert_ptr_nonnull(res);
    ck_assert_int_eq(RatMemCommit(res, pg, RAT_MEM_READ | RAT_MEM_WRITE), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemClose(res), RAT_STATUS_INVALID_ARG);
    size_t sz = 0;
    ck_assert_int_eq(RatSharedMemSize(res, &sz), RAT_STATUS_INVALID_ARG);
    res[0] = 1; /* still committed */
    ck_assert_int_eq(RatMemRelease(res, 0), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_plain_shm_open_sees_data)
{
    char name[64], path[128];
    shm_name(name, sizeof name, "posix");
    shm_clean(name);
    char *a = RatSharedMemCreate(name, 4096);
    ck_assert_ptr_nonnull(a);
    strcpy(a, "from RatAPI");
    snprintf(path, sizeof path, "/%s", name);
    int fd = shm_open(path, O_RDWR, 0);
    ck_assert_int_ge(fd, 0);
    struct stat st;
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert_int_eq(st.st_size, 4096);
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    ck_assert_ptr_ne(m, MAP_FAILED);
    ck_assert_str_eq(m, "from RatAPI");
    strcpy(m + 2048, "from POSIX");
    ck_assert_str_eq(a + 2048, "from POSIX");
    munmap(m, 4096);
    ck_assert_int_eq(RatSharedMemClose(a), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_OK);
}
END_TEST

START_TEST(test_no_access_is_permission)
{
    char name[64], path[128];
    shm_name(name, sizeof name, "perm");
    shm_clean(name);
    char *a = RatSharedMemCreate(name, 64);
    ck_assert_ptr_nonnull(a);
    /* Mode 0000, and (when we are root) another user in the child: either
     * way the child gets EACCES from the system. */
    snprintf(path, sizeof path, "/%s", name);
    int fd = shm_open(path, O_RDWR, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fchmod(fd, 0), 0);
    close(fd);
    pid_t pid = fork();
    ck_assert_int_ne(pid, -1);
    if (pid == 0) {
        int other_user = geteuid() == 0;
        if (other_user && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(77);
        if (RatSharedMemOpen(name) != NULL)
            _exit(2);
        if (RatGetLastError() != RAT_STATUS_PERMISSION)
            _exit(3);
        /* /dev/shm is sticky: another user cannot remove the name. */
        if (other_user && RatSharedMemUnlink(name) != RAT_STATUS_PERMISSION)
            _exit(4);
        _exit(0);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_int_eq(RatSharedMemClose(a), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_OK);
    ck_assert_msg(WIFEXITED(st), "child status 0x%x", (unsigned)st);
    if (WEXITSTATUS(st) != 77)
        ck_assert_msg(WEXITSTATUS(st) == 0, "child failed at step %d", WEXITSTATUS(st));
}
END_TEST

struct shared_block {
    pthread_mutex_t mu;
    int counter;
    char msg[64];
};

START_TEST(test_process_shared_mutex_across_fork)
{
    char name[64];
    shm_name(name, sizeof name, "fork");
    shm_clean(name);
    struct shared_block *sb = RatSharedMemCreate(name, sizeof *sb);
    ck_assert_ptr_nonnull(sb);
    pthread_mutexattr_t at;
    ck_assert_int_eq(pthread_mutexattr_init(&at), 0);
    ck_assert_int_eq(pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED), 0);
    ck_assert_int_eq(pthread_mutex_init(&sb->mu, &at), 0);
    pthread_mutexattr_destroy(&at);

    /* The parent holds the lock while the child starts, so the child has to
     * wait for it across processes. */
    ck_assert_int_eq(pthread_mutex_lock(&sb->mu), 0);
    pid_t pid = fork();
    ck_assert_int_ne(pid, -1);
    if (pid == 0) {
        /* Child: open the object by name, as an unrelated process would. */
        struct shared_block *cb = RatSharedMemOpen(name);
        if (!cb)
            _exit(2);
        if (pthread_mutex_lock(&cb->mu) != 0)
            _exit(3);
        cb->counter += 41;
        strcpy(cb->msg, "written by the child");
        pthread_mutex_unlock(&cb->mu);
        _exit(RatSharedMemClose(cb) == RAT_STATUS_OK ? 0 : 4);
    }
    sb->counter = 1;
    usleep(20000);
    ck_assert_int_eq(pthread_mutex_unlock(&sb->mu), 0);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status 0x%x", (unsigned)st);
    ck_assert_int_eq(pthread_mutex_lock(&sb->mu), 0);
    ck_assert_int_eq(sb->counter, 42);
    ck_assert_str_eq(sb->msg, "written by the child");
    ck_assert_int_eq(pthread_mutex_unlock(&sb->mu), 0);
    pthread_mutex_destroy(&sb->mu);
    ck_assert_int_eq(RatSharedMemClose(sb), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_OK);
}
END_TEST

Suite *shm_suite(void)
{
    Suite *s = suite_create("shm");
    TCase *tc = tcase_create("lifecycle");
    tcase_add_checked_fixture(tc, NULL, shm_forget);
    tcase_add_test(tc, test_create_open_close_unlink);
    tcase_add_test(tc, test_created_region_is_zeroed);
    tcase_add_test(tc, test_created_mode_is_0600_even_with_umask_0);
    tcase_add_test(tc, test_size_of_created_and_opened);
    tcase_add_test(tc, test_plain_shm_open_sees_data);
    tcase_add_test(tc, test_process_shared_mutex_across_fork);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, NULL, shm_forget);
    tcase_add_test(tc, test_bad_names_are_invalid_arg);
    tcase_add_test(tc, test_create_size_zero_is_invalid_arg);
    tcase_add_test(tc, test_create_huge_is_no_memory);
    tcase_add_test(tc, test_create_existing_is_exists);
    tcase_add_test(tc, test_open_missing_is_not_found);
    tcase_add_test(tc, test_unlink_missing_is_not_found);
    tcase_add_test(tc, test_open_empty_object_is_error);
    tcase_add_test(tc, test_close_non_base_is_invalid_arg);
    tcase_add_test(tc, test_close_of_other_mappings_is_invalid_arg);
    tcase_add_test(tc, test_no_access_is_permission);
    suite_add_tcase(s, tc);
    return s;
}
