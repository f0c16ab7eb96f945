/* stats.h - the tracker's own counters (captures, frames walked, reuse,
 * interning), so that a benchmark can show where the tracking cost goes.
 * Each thread counts in its own TLS block (a few adds per allocation,
 * nothing shared written); a thread's counts join the process's totals
 * when it exits.  The JSON report's summary carries the totals. */
#ifndef RATMEM_TRACK_STATS_H
#define RATMEM_TRACK_STATS_H

#include <stdint.h>

struct rm_stats {
    uint64_t captures;        /* stacks captured */
    uint64_t again;           /* ... found the previous capture's frames: its id reused */
    uint64_t slow;            /* ... taken by libunwind (the fast capture gave up) */
    uint64_t walked;          /* frames unwound by rule (fast capture) */
    uint64_t remembered;      /* frames taken from the previous capture, checked in place */
    uint64_t intern_cached;   /* stacks found in the thread's trace tree or cache of recent stacks */
    uint64_t intern_locked;   /* ... looked up in the shared store (a lock) */
    uint64_t site;            /* captures answered by the call-site cache: no walk */
};

extern __thread struct rm_stats rm_stats_self __attribute__((tls_model("initial-exec")));

#define RM_STAT(field, n) (rm_stats_self.field += (n))

/* The calling thread ends: its counts join the totals. */
void rm_stats_thread_exit(void);
/* Totals: exited threads' counts plus the calling thread's (threads still
 * running elsewhere are not counted). */
void rm_stats_total(struct rm_stats *out);
/* fork() child: counting starts again from zero. */
void rm_stats_reset_child(void);

#endif
