/* check_fileview.c - unit tests of lib/fileview.c: RatFileMapView,
 * RatFileUnmapView, on temporary files made with mkstemp. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ratmem.h"
#include "suites.h"

#define RW (RAT_MEM_READ | RAT_MEM_WRITE)

static size_t ps(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

/* The temporary file of the running test: its path, an O_RDWR descriptor
 * and its length.  Each byte i holds pattern(i). */
static char tmp_path[64];
static int tmp_fd = -1;
static size_t tmp_len;

static unsigned char pattern(size_t i)
{
    return (unsigned char)(i * 7 + 3);
}

static void make_file(size_t len)
{
    const char *dir = getenv("TMPDIR");
    snprintf(tmp_path, sizeof tmp_path, "%s/ratmem-fv-XXXXXX", dir && *dir && strlen(dir) < 40 ? dir : "/tmp");
    tmp_fd = mkstemp(tmp_path);
    ck_assert_int_ge(tmp_fd, 0);
    unsigned char *buf = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(buf);
    for (size_t i = 0; i < len; i++)
        buf[i] = pattern(i);
    ck_assert_int_eq(pwrite(tmp_fd, buf, len, 0), (ssize_t)len);
    free(buf);
    tmp_len = len;
}

static void drop_file(void)
{
    if (tmp_fd >= 0) {
        close(tmp_fd);
        unlink(tmp_path);
        tmp_fd = -1;
    }
}

/* The byte at offset off of the file, read with pread. */
static int file_byte(size_t off)
{
    unsigned char c;
    ck_assert_int_eq(pread(tmp_fd, &c, 1, (off_t)off), 1);
    return c;
}

START_TEST(test_private_readonly_view_reads_file)
{
    make_file(3 * ps() + 100);
    const unsigned char *v = RatFileMapView(tmp_fd, 0, tmp_len, RAT_MEM_READ, RAT_MEM_PRIVATE);
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < tmp_len; i++)
        ck_assert_int_eq(v[i], pattern(i));
    ck_assert_int_eq(RatFileUnmapView((void *)v), RAT_STATUS_OK);
    drop_file();
}
END_TEST

START_TEST(test_shared_writable_view_writes_file)
{
    make_file(2 * ps());
    unsigned char *v = RatFileMapView(tmp_fd, 0, tmp_len, RW, RAT_MEM_SHARED);
    ck_assert_ptr_nonnull(v);
    v[0] = 0xaa;
    v[tmp_len - 1] = 0xbb;
    /* A shared mapping of a file is the page cache: pread sees it at once. */
    ck_assert_int_eq(file_byte(0), 0xaa);
    ck_assert_int_eq(file_byte(tmp_len - 1), 0xbb);
    ck_assert_int_eq(file_byte(1), pattern(1));
    ck_assert_int_eq(RatFileUnmapView(v), RAT_STATUS_OK);
    ck_assert_int_eq(file_byte(0), 0xaa);
    drop_file();
}
END_TEST

START_TEST(test_private_writes_do_not_reach_file)
{
    make_file(ps());
    unsigned char *v = RatFileMapView(tmp_fd, 0, tmp_len, RW, RAT_MEM_PRIVATE);
    ck_assert_ptr_nonnull(v);
    v[0] = (unsigned char)~pattern(0);
    v[10] = (unsigned char)~pattern(10);
    ck_assert_int_eq(v[0], (unsigned char)~pattern(0));
    ck_assert_int_eq(file_byte(0), pattern(0));
    ck_assert_int_eq(file_byte(10), pattern(10));
    ck_assert_int_eq(RatFileUnmapView(v), RAT_STATUS_OK);
    ck_assert_int_eq(file_byte(0), pattern(0));
    drop_file();
}
END_TEST

START_TEST(test_private_writable_view_of_readonly_fd)
{
    make_file(ps());
    int ro = open(tmp_path, O_RDONLY);
    ck_assert_int_ge(ro, 0);
    /* Copy-on-write needs no write access to the file. */
    unsigned char *v = RatFileMapView(ro, 0, 0, RW, RAT_MEM_PRIVATE);
    close(ro); /* the view outlives the descriptor */
    ck_assert_ptr_nonnull(v);
    v[5] = 0;
    ck_assert_int_eq(v[6], pattern(6));
    ck_assert_int_eq(file_byte(5), pattern(5));
    ck_assert_int_eq(RatFileUnmapView(v), RAT_STATUS_OK);
    drop_file();
}
END_TEST

START_TEST(test_length_zero_maps_whole_file)
{
    size_t pg = ps();
    make_file(2 * pg + 123);
    const unsigned char *v = RatFileMapView(tmp_fd, 0, 0, RAT_MEM_READ, RAT_MEM_SHARED);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(v[0], pattern(0));
    ck_assert_int_eq(v[tmp_len - 1], pattern(tmp_len - 1));
    ck_assert_int_eq(RatFileUnmapView((void *)v), RAT_STATUS_OK);
    /* From a page-aligned offset: the rest of the file. */
    v = RatFileMapView(tmp_fd, pg, 0, RAT_MEM_READ, RAT_MEM_PRIVATE);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(v[0], pattern(pg));
    ck_assert_int_eq(v[tmp_len - pg - 1], pattern(tmp_len - 1));
    ck_assert_int_eq(RatFileUnmapView((void *)v), RAT_STATUS_OK);
    drop_file();
}
END_TEST

START_TEST(test_offset_view_reads_from_offset)
{
    size_t pg = ps();
    make_file(4 * pg);
    const unsigned char *v = RatFileMapView(tmp_fd, 2 * pg, pg, RAT_MEM_READ, RAT_MEM_SHARED);
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < pg; i++)
        ck_assert_int_eq(v[i], pattern(2 * pg + i));
    ck_assert_int_eq(RatFileUnmapView((void *)v), RAT_STATUS_OK);
    drop_file();
}
END_TEST

START_TEST(test_bad_fd_is_invalid_arg)
{
    ck_assert_ptr_null(RatFileMapView(-1, 0, 4096, RAT_MEM_READ, RAT_MEM_PRIVATE));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    /* A descriptor number that is not open. */
    int fd = open("/dev/null", O_RDONLY);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_ptr_null(RatFileMapView(fd, 0, 4096, RAT_MEM_READ, RAT_MEM_PRIVATE));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_ptr_null(RatFileMapView(fd, 0, 0, RAT_MEM_READ, RAT_MEM_PRIVATE));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
}
END_TEST

START_TEST(test_misaligned_offset_is_invalid_arg)
{
    make_file(2 * ps());
    ck_assert_ptr_null(RatFileMapView(tmp_fd, 1, 100, RAT_MEM_READ, RAT_MEM_PRIVATE));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_ptr_null(RatFileMapView(tmp_fd, ps() / 2, 0, RAT_MEM_READ, RAT_MEM_SHARED));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    drop_file();
}
END_TEST

START_TEST(test_bad_type_is_invalid_arg)
{
    make_file(ps());
    ck_assert_ptr_null(RatFileMapView(tmp_fd, 0, 0, RAT_MEM_READ, (RatMemMapType)2));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_ptr_null(RatFileMapView(tmp_fd, 0, 0, RAT_MEM_READ, (RatMemMapType)-1));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    drop_file();
}
END_TEST

START_TEST(test_unknown_flag_bits_are_invalid_arg)
{
    make_file(ps());
    ck_assert_ptr_null(RatFileMapView(tmp_fd, 0, 0, RAT_MEM_READ | 0x8, RAT_MEM_PRIVATE));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    drop_file();
}
END_TEST

START_TEST(test_write_execute_is_permission)
{
    make_file(ps());
    ck_assert_ptr_null(RatFileMapView(tmp_fd, 0, 0, RAT_MEM_WRITE | RAT_MEM_EXECUTE, RAT_MEM_PRIVATE));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_PERMISSION);
    ck_assert_ptr_null(RatFileMapView(tmp_fd, 0, 0, RW | RAT_MEM_EXECUTE, RAT_MEM_SHARED));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_PERMISSION);
    drop_file();
}
END_TEST

START_TEST(test_shared_write_on_readonly_fd_is_permission)
{
    make_file(ps());
    int ro = open(tmp_path, O_RDONLY);
    ck_assert_int_ge(ro, 0);
    ck_assert_ptr_null(RatFileMapView(ro, 0, 0, RW, RAT_MEM_SHARED));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_PERMISSION);
    ck_assert_ptr_null(RatFileMapView(ro, 0, 0, RAT_MEM_WRITE, RAT_MEM_SHARED));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_PERMISSION);
    close(ro);
    drop_file();
}
END_TEST

START_TEST(test_offset_beyond_eof_is_invalid_arg)
{
    size_t pg = ps();
    make_file(pg);
    ck_assert_ptr_null(RatFileMapView(tmp_fd, pg, 0, RAT_MEM_READ, RAT_MEM_PRIVATE));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_ptr_null(RatFileMapView(tmp_fd, 4 * pg, 0, RAT_MEM_READ, RAT_MEM_PRIVATE));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    drop_file();
}
END_TEST

START_TEST(test_empty_file_whole_view_is_invalid_arg)
{
    make_file(0);
    ck_assert_ptr_null(RatFileMapView(tmp_fd, 0, 0, RAT_MEM_READ, RAT_MEM_PRIVATE));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    drop_file();
}
END_TEST

START_TEST(test_unmap_unknown_pointer_is_invalid_arg)
{
    make_file(2 * ps());
    char local[8];
    void *heap = RatMemAlloc(8);
    ck_assert_ptr_nonnull(heap);
    unsigned char *v = RatFileMapView(tmp_fd, 0, 0, RAT_MEM_READ, RAT_MEM_PRIVATE);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(RatFileUnmapView(NULL), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatFileUnmapView(local), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatFileUnmapView(heap), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatFileUnmapView(v + 1), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatFileUnmapView(v + ps()), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(v[ps()], pattern(ps())); /* still mapped */
    ck_assert_int_eq(RatFileUnmapView(v), RAT_STATUS_OK);
    ck_assert_int_eq(RatFileUnmapView(v), RAT_STATUS_INVALID_ARG); /* twice */
    ck_assert_int_eq(RatMemFree(heap), RAT_STATUS_OK);
    drop_file();
}
END_TEST

START_TEST(test_unmap_of_other_mappings_is_invalid_arg)
{
    size_t pg = ps();
    char name[64];
    snprintf(name, sizeof name, "ratmem-test-%ld-fv", (long)getpid());
    RatSharedMemUnlink(name);
    char *shm = RatSharedMemCreate(name, pg);
    ck_assert_ptr_nonnull(shm);
    char *res = RatMemReserve(pg);
    ck_assert_ptr_nonnull(res);
    ck_assert_int_eq(RatFileUnmapView(shm), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatFileUnmapView(res), RAT_STATUS_INVALID_ARG);
    shm[0] = 1; /* still mapped */
    ck_assert_int_eq(RatMemRelease(res, 0), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemClose(shm), RAT_STATUS_OK);
    ck_assert_int_eq(RatSharedMemUnlink(name), RAT_STATUS_OK);
    /* And a view is no shared memory region or reservation. */
    make_file(pg);
    char *v = RatFileMapView(tmp_fd, 0, 0, RAT_MEM_READ, RAT_MEM_SHARED);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(RatSharedMemClose(v), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemRelease(v, 0), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(RatMemProtect(v, pg, RW), RAT_STATUS_INVALID_ARG);
    ck_assert_int_eq(v[0], pattern(0));
    ck_assert_int_eq(RatFileUnmapView(v), RAT_STATUS_OK);
    drop_file();
}
END_TEST

START_TEST(test_unmappable_fd_is_invalid_arg)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_ptr_null(RatFileMapView(fds[0], 0, 0, RAT_MEM_READ, RAT_MEM_PRIVATE));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    ck_assert_ptr_null(RatFileMapView(fds[0], 0, 4096, RAT_MEM_READ, RAT_MEM_PRIVATE));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

START_TEST(test_write_only_fd_is_permission)
{
    make_file(ps());
    int wo = open(tmp_path, O_WRONLY);
    ck_assert_int_ge(wo, 0);
    /* Every mapping needs read access to the file. */
    ck_assert_ptr_null(RatFileMapView(wo, 0, 0, RAT_MEM_READ, RAT_MEM_SHARED));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_PERMISSION);
    close(wo);
    drop_file();
}
END_TEST

START_TEST(test_huge_offset_is_invalid_arg)
{
    make_file(ps());
    size_t off = SIZE_MAX & ~(ps() - 1);
    ck_assert_ptr_null(RatFileMapView(tmp_fd, off, ps(), RAT_MEM_READ, RAT_MEM_PRIVATE));
    ck_assert_int_eq(RatGetLastError(), RAT_STATUS_INVALID_ARG);
    drop_file();
}
END_TEST

Suite *fileview_suite(void)
{
    Suite *s = suite_create("fileview");
    TCase *tc = tcase_create("views");
    tcase_add_checked_fixture(tc, NULL, drop_file);
    tcase_add_test(tc, test_private_readonly_view_reads_file);
    tcase_add_test(tc, test_shared_writable_view_writes_file);
    tcase_add_test(tc, test_private_writes_do_not_reach_file);
    tcase_add_test(tc, test_private_writable_view_of_readonly_fd);
    tcase_add_test(tc, test_length_zero_maps_whole_file);
    tcase_add_test(tc, test_offset_view_reads_from_offset);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, NULL, drop_file);
    tcase_add_test(tc, test_bad_fd_is_invalid_arg);
    tcase_add_test(tc, test_misaligned_offset_is_invalid_arg);
    tcase_add_test(tc, test_bad_type_is_invalid_arg);
    tcase_add_test(tc, test_unknown_flag_bits_are_invalid_arg);
    tcase_add_test(tc, test_write_execute_is_permission);
    tcase_add_test(tc, test_shared_write_on_readonly_fd_is_permission);
    tcase_add_test(tc, test_offset_beyond_eof_is_invalid_arg);
    tcase_add_test(tc, test_empty_file_whole_view_is_invalid_arg);
    tcase_add_test(tc, test_unmap_unknown_pointer_is_invalid_arg);
    tcase_add_test(tc, test_unmap_of_other_mappings_is_invalid_arg);
    tcase_add_test(tc, test_unmappable_fd_is_invalid_arg);
    tcase_add_test(tc, test_write_only_fd_is_permission);
    tcase_add_test(tc, test_huge_offset_is_invalid_arg);
    suite_add_tcase(s, tc);
    return s;
}
