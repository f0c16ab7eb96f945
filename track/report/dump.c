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
#include "mem.h"
#include "outfile.h"
#include "run.h"
#include "dump.h"

/* The last sequence number handed out in this process (atomic; reset by
 * the fork child handler, when the child is single-threaded). */
static _Atomic uint64_t rm_dump_seq;

/* Snapshots waiting to be written: a lock-free stack (push from signal
 * handlers and the dump thread; the writer takes the whole stack). */
static struct rm_dump_snap *_Atomic rm_dump_queue;

/* Requests noted by a signal handler that could not snapshot: their
 * times in a ring (a time lost to overflow is replaced by the time of the
 * snapshot; the request itself is counted by head - tail). */
#define LATE_RING 64
static _Atomic uint64_t rm_late_ms[LATE_RING];
static _Atomic unsigned rm_late_head, rm_late_tail;

uint64_t rm_dump_next_seq(void)
{
    return atomic_fetch_add(&rm_dump_seq, 1) + 1;
}

void rm_dump_reset_child(void)
{
    atomic_store(&rm_dump_seq, 0);
    /* The parent's requests are the parent's. */
    struct rm_dump_snap *s = atomic_exchange(&rm_dump_queue, NULL);
    while (s) {
        struct rm_dump_snap *next = s->next;
        rm_dump_snap_free(s);
        s = next;
    }
    atomic_store(&rm_late_tail, atomic_load(&rm_late_head));
}

uint64_t rm_dump_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}


bool rm_dump_snapshot(uint64_t request_ms)
{
    size_t cap = rm_table_count() + 4096;
    size_t bytes = sizeof(struct rm_dump_snap) + cap * sizeof(struct rm_block);
    struct rm_dump_snap *s = rm_mem_map_scratch(bytes);
    if (!s)
        return false;
    s->map_bytes = bytes;
    s->seq = rm_dump_next_seq();
    s->request_ms = request_ms;
    s->n = rm_table_snapshot(s->b, cap);
    s->snapshot_ms = rm_dump_now_ms();
    s->next = atomic_load(&rm_dump_queue);
    while (!atomic_compare_exchange_weak(&rm_dump_queue, &s->next, s))
        ;
    return true;
}


void rm_dump_note_late(uint64_t request_ms)
{
    unsigned i = atomic_fetch_add(&rm_late_head, 1);
    atomic_store(&rm_late_ms[i % LATE_RING], request_ms);
}

unsigned rm_dump_take_late(void)
{
    unsigned n = 0;
    for (;;) {
        unsigned t = atomic_load(&rm_late_tail);
        if (t == atomic_load(&rm_late_head))
            return n;
        if (!atomic_compare_exchange_strong(&rm_late_tail, &t, t + 1))
            continue;
        uint64_t ms = atomic_exchange(&rm_late_ms[t % LATE_RING], 0);
        rm_dump_snapshot(ms ? ms : rm_dump_now_ms());
        n++;
    }
}

struct rm_dump_snap *rm_dump_take_queued(void)
{
    struct rm_dump_snap *s = atomic_exchange(&rm_dump_queue, NULL), *sorted = NULL;
    /* Insertion by sequence number (few at a time). */
    while (s) {
        struct rm_dump_snap *next = s->next, **at = &sorted;
        while (*at && (*at)->seq < s->seq)
            at = &(*at)->next;
        s->next = *at;
        *at = s;
        s = next;
    }
    return sorted;
}

void rm_dump_snap_free(struct rm_dump_snap *s)
{
    if (s)
        rm_mem_unmap_scratch(s, s->map_bytes);
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

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

int rm_dump_run(struct rm_report_req *req, const char *path)
{
    char dst[RATMEM_PATH_MAX + 24], tmp[RATMEM_PATH_MAX + 32];
    const char *tmpl = path ? path : req->opts->dump[0] ? req->opts->dump : req->opts->report;
    if (rm_dump_path(req->opts, path, req->dump_seq, dst, RATMEM_PATH_MAX) != 0) {
        complain("name", tmpl, ENAMETOOLONG);
        return ENAMETOOLONG;
    }
    /* The name says the format: .json (.json.gz) is JSON, .gz is gzip'd
     * (the name the template makes, before a ".PID" of the run's rule). */
    bool gz = ends_with(dst, ".gz");
    bool json = ends_with(dst, ".json") || ends_with(dst, ".json.gz");
    if (!path && rm_run_claim(tmpl, dst, sizeof dst, false) != 0) {
        complain("name", tmpl, ENAMETOOLONG);
        return ENAMETOOLONG;
    }
    req->dump = true;
    if (!req->dump_time_ms)
        req->dump_time_ms = rm_dump_now_ms();
    if (!req->request_ms)
        req->request_ms = req->dump_time_ms;
    if (!dst[0]) {
        req->fd = 2;
        return rm_report_write(req, NULL) == 0 ? 0 : EIO;
    }
    req->gzip = gz;
    if (json)
        req->format = RATMEM_FORMAT_JSON + 1;
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    int fd = rm_outfile_create_tmp(tmp, "heap dump file");
    if (fd < 0)
        return errno;
    req->fd = fd;
    int err = rm_report_write(req, NULL) == 0 ? 0 : EIO;
    return rm_outfile_commit(fd, err, tmp, dst, "heap dump file");
}
