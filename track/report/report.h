/* report.h - from live blocks to a leak report: snapshot, classify, group
 * by kind and stack, symbolize, suppress, write text or JSON. */
#ifndef RATMEM_TRACK_REPORT_H
#define RATMEM_TRACK_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "options.h"
#include "scan.h"

/* The kind of every group of a heap dump (no classification). */
#define RM_KIND_LIVE 4

struct rm_report_totals {
    uint64_t live_bytes, live_blocks;   /* heap dumps */
    uint64_t direct_bytes, direct_blocks;
    uint64_t indirect_bytes, indirect_blocks;
    uint64_t reachable_bytes, reachable_blocks;
    uint64_t suppressed_bytes, suppressed_blocks;
};

struct rm_report_req {
    const struct ratmem_options *opts;
    int fd;                           /* where the report goes */
    bool process_roots;               /* collect this process's roots */
    uintptr_t sp;                     /* calling thread's stack pointer */
    const struct rm_range *roots;     /* extra roots (registers; tests) */
    size_t nroots;
    /* The process's quota, shown in the summary when quota_on. */
    bool quota_on;
    uint64_t quota_limit, quota_used, quota_peak;
    /* A heap dump instead of a leak report: every live block grouped by
     * stack as "live" groups, no roots, no scan, no suppressions. */
    /* The format: 0 = the options', else RATMEM_FORMAT_TEXT + 1 or
     * RATMEM_FORMAT_JSON + 1 (the run directory's reports are JSON). */
    int format;
    bool dump;
    uint64_t dump_seq;                /* its sequence number, from 1 */
    uint64_t dump_time_ms;            /* CLOCK_REALTIME, ms since the epoch: the
                                         snapshot's time */
    uint64_t request_ms;              /* when the dump was asked for */
    const struct rm_block *snap;      /* the blocks copied then (NULL: copy now) */
    size_t snap_n;
    bool gzip;                        /* gzip the output (zlib) */
};

/* Write the report (or heap dump) of every live block of the table.  Returns 0, -1 when
 * the report could not be written (write error) or scratch memory failed.
 * *tot receives the totals (may be NULL). */
int rm_report_write(const struct rm_report_req *req, struct rm_report_totals *tot);

/* secs since the epoch as UTC year, month, day, hour, minute, second
 * (what gmtime_r gives, without touching the time zone). */
void rm_utc_fields(uint64_t secs, unsigned v[6]);

#endif
