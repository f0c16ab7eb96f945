/* tests/pprof_tool.c - drive pprof/encode.h for tests/pprof-encode.sh.
 *
 * pprof_tool fd FILE    a known profile written with rm_pprof_write_fd
 * pprof_tool buf FILE   the same through rm_pprof_encode and rm_pprof_write_buf
 *                       (checked to be byte-identical), written to FILE
 * pprof_tool small      rm_pprof_write_buf into too small a buffer: ENOBUFS
 * pprof_tool many FILE  5000 samples over 200 distinct frames (dedup)
 * Exit status 0 when every call behaved as documented. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pprof/encode.h"

static const struct rm_pprof_type types[] = { { "leaked_objects", "count" },
                                              { "leaked_space", "bytes" } };

static struct rm_pprof *known(void)
{
    struct rm_pprof *p = rm_pprof_new(types, 2);
    if (!p)
        return NULL;
    const struct rm_pprof_frame a[] = {
        { 0x401136, "/usr/bin/prog", "0123abcd", 0x1136, "make_node", "prog.c", 12 },
        { 0x401200, "/usr/bin/prog", "0123abcd", 0x1200, "build_list", "prog.c", 30 },
        { 0x7f0000029d90, "/lib/x86_64-linux-gnu/libc.so.6", NULL, 0x29d90, "__libc_start_main", NULL, 0 },
    };
    const struct rm_pprof_frame b[] = {
        { 0x401150, "/usr/bin/prog", "0123abcd", 0x1150, "make_leaf", "prog.c", 20 },
        { 0x401200, "/usr/bin/prog", "0123abcd", 0x1200, "build_list", "prog.c", 30 },
        { 0x7f0000029d90, "/lib/x86_64-linux-gnu/libc.so.6", NULL, 0x29d90, "__libc_start_main", NULL, 0 },
    };
    const struct rm_pprof_frame c[] = { { 0x7f1234, NULL, NULL, 0, NULL, NULL, 0 } };
    const struct rm_pprof_label lab[] = { { "pid", NULL, 4242, NULL }, { "kind", "direct", 0, NULL } };
    if (rm_pprof_set_period(p, (struct rm_pprof_type){ "space", "bytes" }, 1) < 0 ||
        rm_pprof_set_time(p, 1700000000000000000ll, 0) < 0 ||
        rm_pprof_set_default_type(p, "leaked_space") < 0 ||
        rm_pprof_set_main(p, "/usr/bin/prog") < 0 ||
        rm_pprof_add_comment(p, "ratmem test profile") < 0 ||
        rm_pprof_add_sample(p, (const int64_t[]){ 3, 48 }, a, 3, lab, 2) < 0 ||
        rm_pprof_add_sample(p, (const int64_t[]){ 1, 16 }, b, 3, NULL, 0) < 0 ||
        rm_pprof_add_sample(p, (const int64_t[]){ 2, 100 }, c, 1, NULL, 0) < 0 ||
        rm_pprof_add_sample(p, (const int64_t[]){ 5, 7 }, NULL, 0, NULL, 0) < 0) {
        rm_pprof_free(p);
        return NULL;
    }
    return p;
}

static int fail(const char *what)
{
    fprintf(stderr, "pprof_tool: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    if (strcmp(argv[1], "small") == 0) {
        struct rm_pprof *p = known();
        unsigned char buf[16];
        size_t len = 99;
        if (!p)
            return fail("known");
        if (rm_pprof_write_buf(p, buf, sizeof buf, &len) != -1 || errno != ENOBUFS || len != 0)
            return fail("write_buf into 16 bytes did not fail with ENOBUFS");
        /* Bad arguments. */
        if (rm_pprof_new(types, 0) || errno != EINVAL)
            return fail("rm_pprof_new(0 types)");
        if (rm_pprof_add_sample(p, NULL, NULL, 0, NULL, 0) != -1 || errno != EINVAL)
            return fail("add_sample(NULL values)");
        if (rm_pprof_samples(p) != 4)
            return fail("sample count");
        rm_pprof_free(p);
        rm_pprof_free(NULL);
        return 0;
    }
    if (argc < 3)
        return 2;
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return fail(argv[2]);
    if (strcmp(argv[1], "fd") == 0) {
        struct rm_pprof *p = known();
        if (!p || rm_pprof_write_fd(p, fd) < 0)
            return fail("write_fd");
        rm_pprof_free(p);
    } else if (strcmp(argv[1], "buf") == 0) {
        struct rm_pprof *p = known();
        unsigned char *out;
        size_t len, len2;
        if (!p || rm_pprof_encode(p, &out, &len) < 0)
            return fail("encode");
        unsigned char *buf = malloc(len);
        if (!buf || rm_pprof_write_buf(p, buf, len, &len2) < 0 || len2 != len ||
            memcmp(buf, out, len) != 0)
            return fail("write_buf differs from encode");
        if (write(fd, out, len) != (ssize_t)len)
            return fail("write");
        free(buf);
        free(out);
        rm_pprof_free(p);
    } else if (strcmp(argv[1], "many") == 0) {
        struct rm_pprof *p = rm_pprof_new(types, 2);
        char fn[200][32];
        struct rm_pprof_frame fr[200];
        for (int i = 0; i < 200; i++) {
            snprintf(fn[i], sizeof fn[i], "func_%d", i);
            fr[i] = (struct rm_pprof_frame){ 0x400000 + 16 * (uint64_t)i, "/bin/many", NULL,
                                             16 * (uint64_t)i, fn[i], "many.c", i + 1 };
        }
        for (int i = 0; i < 5000 && p; i++) {
            struct rm_pprof_frame st[10];
            for (int j = 0; j < 10; j++)
                st[j] = fr[(i * 7 + j * 13) % 200];
            if (rm_pprof_add_sample(p, (const int64_t[]){ 1, i }, st, 10, NULL, 0) < 0)
                return fail("add_sample");
        }
        if (!p || rm_pprof_write_fd(p, fd) < 0)
            return fail("many");
        rm_pprof_free(p);
    } else {
        return 2;
    }
    return close(fd) < 0 ? fail("close") : 0;
}
