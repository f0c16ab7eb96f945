/* report.h - from live blocks to a leak report: snapshot, classify, group
 * by kind and stack, symbolize, suppress, write text or JSON. */
#ifndef RATMEM_TRACK_REPORT_H
#define RATMEM_TRACK_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "options.h"
#include "scan.h"

struct rm_report_totals {
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
};

/* Write the report of every live block of the table.  Returns 0, -1 when
 * the report could not be written (write error) or scratch memory failed.
 * *tot receives the totals (may be NULL). */
int rm_report_write(const struct rm_report_req *req, struct rm_report_totals *tot);

#endif
