/* outfile.c - report destinations (see outfile.h). */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fdhigh.h"
#include "options.h"
#include "out.h"
#include "outfile.h"
#include "run.h"

int rm_outfile_expand(const char *tmpl, char *buf, size_t cap)
{
    size_t n = 0;
    for (const char *p = tmpl; *p; p++) {
        char num[24];
        const char *ins = NULL;
        size_t len = 1;
        if (p[0] == '%' && p[1] == 'p') {
            unsigned long v = (unsigned long)getpid();
            int i = sizeof num;
            do {
                num[--i] = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            ins = num + i;
            len = sizeof num - (size_t)i;
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            ins = "%";
            p++;
        } else {
            ins = p;
        }
        if (n + len >= cap)
            return -1;
        memcpy(buf + n, ins, len);
        n += len;
    }
    buf[n] = 0;
    return 0;
}

static void complain(const char *path, const char *why)
{
    rm_out_line("cannot open report file ", path, ": ", why, "; writing the report to stderr",
                (char *)NULL);
}

static int open_path(const char *tmpl, bool claim, int *failed)
{
    *failed = 0;
    if (!tmpl || !*tmpl)
        return 2;
    char path[RATMEM_PATH_MAX + 24];
    if (rm_outfile_expand(tmpl, path, RATMEM_PATH_MAX) != 0 ||
        (claim && rm_run_claim(tmpl, path, sizeof path, true) != 0)) {
        complain(tmpl, strerror(ENAMETOOLONG));
        *failed = 1;
        return 2;
    }
    int fd;
    do
        fd = ratmem_fd_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        complain(path, strerror(errno));
        *failed = 1;
        return 2;
    }
    if (claim)
        rm_run_wrote(path);
    return fd;
}

int rm_outfile_open(const char *tmpl, int *failed)
{
    return open_path(tmpl, false, failed);
}

int rm_outfile_open_claimed(const char *tmpl, int *failed)
{
    return open_path(tmpl, true, failed);
}

void rm_outfile_close(int fd)
{
    if (fd > 2)
        close(fd);
}

static int unusable(const char *path, int err)
{
    rm_out_line("report path ", path, " cannot be written: ", strerror(err),
                "; the report goes to stderr", (char *)NULL);
    return -1;
}

int rm_outfile_check(const char *tmpl)
{
    if (!tmpl || !*tmpl)
        return 0;
    char path[RATMEM_PATH_MAX];
    if (rm_outfile_expand(tmpl, path, sizeof path) != 0)
        return unusable(tmpl, ENAMETOOLONG);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (S_ISLNK(st.st_mode))
            return unusable(path, ELOOP);       /* O_NOFOLLOW refuses it */
        if (S_ISDIR(st.st_mode))
            return unusable(path, EISDIR);
        if (access(path, W_OK) != 0)
            return unusable(path, errno);
        return 0;
    }
    if (errno != ENOENT)
        return unusable(path, errno);
    /* A new file: its directory must exist and be writable. */
    char dir[RATMEM_PATH_MAX];
    strcpy(dir, path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if (stat(dir, &st) != 0)
        return unusable(path, errno);
    if (!S_ISDIR(st.st_mode))
        return unusable(path, ENOTDIR);
    if (access(dir, W_OK | X_OK) != 0)
        return unusable(path, errno);
    return 0;
}

static void tmp_complain(const char *what, const char *kind, const char *path, int err)
{
    rm_out_line("cannot ", what, " ", kind, " ", path, ": ", strerror(err), (char *)NULL);
}

int rm_outfile_create_tmp(const char *tmp, const char *kind)
{
    unlink(tmp);
    int fd = ratmem_fd_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    if (fd < 0) {
        int err = errno;
        tmp_complain("create", kind, tmp, err);
        errno = err;
    }
    return fd;
}

int rm_outfile_commit(int fd, int err, const char *tmp, const char *dst, const char *kind)
{
    if (close(fd) != 0 && !err && errno != EINTR)
        err = errno;
    if (!err && rename(tmp, dst) != 0) {
        err = errno;
        tmp_complain("rename to", kind, dst, err);
    } else if (err) {
        tmp_complain("write", kind, tmp, err);
    }
    if (err)
        unlink(tmp);
    return err;
}
