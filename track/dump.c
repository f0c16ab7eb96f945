/* dump.c - heap dump files (see dump.h).  The dump itself is written by
 * report.c (req->dump); this file names it and puts it in place. */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "fdhigh.h"
#include "out.h"
#include "outfile.h"
#include "dump.h"

/* The last sequence number handed out in this process (atomic; reset by
 * the fork child handler, when the child is single-threaded). */
static _Atomic uint64_t rm_dump_seq;

uint64_t rm_dump_next_seq(void)
{
    return atomic_fetch_add(&rm_dump_seq, 1) + 1;
}

void rm_dump_reset_child(void)
{
    atomic_store(&rm_dump_seq, 0);
}

/* Append s[0..n) to buf (length *len, capacity cap); false when full. */
static bool put(char *buf, size_t *len, size_t cap, const char *s, size_t n)
{
    if (*len + n >= cap)
        return false;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = 0;
    return true;
}

/* Expand "%n" of tmpl into buf; "%%" and "%p" are kept for
 * rm_outfile_expand.  *had_n says whether tmpl held a "%n". */
static bool expand_n(const char *tmpl, uint64_t seq, char *buf, size_t *len, size_t cap,
                     bool *had_n)
{
    char num[24];
    int k = snprintf(num, sizeof num, "%llu", (unsigned long long)seq);
    for (const char *p = tmpl; *p; p++) {
        bool ok;
        if (p[0] == '%' && p[1] == 'n') {
            ok = put(buf, len, cap, num, (size_t)k);
            *had_n = true;
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            ok = put(buf, len, cap, "%%", 2);
            p++;
        } else {
            ok = put(buf, len, cap, p, 1);
        }
        if (!ok)
            return false;
    }
    return true;
}

int rm_dump_path(const struct ratmem_options *o, const char *path, uint64_t seq, char *out,
                 size_t cap)
{
    char tmpl[RATMEM_PATH_MAX + 16];
    size_t len = 0;
    bool had_n = false, ok;
    tmpl[0] = 0;
    if (path) {
        ok = expand_n(path, seq, tmpl, &len, sizeof tmpl, &had_n);
    } else if (o->dump[0]) {
        ok = expand_n(o->dump, seq, tmpl, &len, sizeof tmpl, &had_n);
        if (ok && !had_n)
            ok = expand_n(".%n", seq, tmpl, &len, sizeof tmpl, &had_n);
    } else if (o->report[0]) {
        ok = expand_n(o->report, seq, tmpl, &len, sizeof tmpl, &had_n) &&
             expand_n(".dump.%n", seq, tmpl, &len, sizeof tmpl, &had_n);
    } else {
        ok = true;   /* standard error, as the report */
    }
    if (!ok)
        return -1;
    if (!tmpl[0]) {
        if (!cap)
            return -1;
        out[0] = 0;
        return 0;
    }
    return rm_outfile_expand(tmpl, out, cap);
}

static void complain(const char *what, const char *path, int err)
{
    rm_out_line("cannot ", what, " heap dump file ", path, ": ", strerror(err), (char *)NULL);
}

int rm_dump_run(struct rm_report_req *req, const char *path)
{
    char dst[RATMEM_PATH_MAX], tmp[RATMEM_PATH_MAX + 8];
    if (rm_dump_path(req->opts, path, req->dump_seq, dst, sizeof dst) != 0) {
        complain("name", path ? path : req->opts->dump[0] ? req->opts->dump : req->opts->report,
                 ENAMETOOLONG);
        return ENAMETOOLONG;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    req->dump = true;
    req->dump_time_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    if (!dst[0]) {
        req->fd = 2;
        return rm_report_write(req, NULL) == 0 ? 0 : EIO;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    /* A stale temporary file (a dump cut short) or a planted symbolic link
     * goes; O_EXCL then refuses whatever reappears in its place. */
    unlink(tmp);
    int fd;
    do
        fd = ratmem_fd_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        int err = errno;
        complain("create", tmp, err);
        return err;
    }
    req->fd = fd;
    int err = rm_report_write(req, NULL) == 0 ? 0 : EIO;
    if (close(fd) != 0 && !err && errno != EINTR)
        err = errno;
    if (!err && rename(tmp, dst) != 0) {
        err = errno;
        complain("rename to", dst, err);
    } else if (err) {
        complain("write", tmp, err);
    }
    if (err)
        unlink(tmp);
    return err;
}
