/* tree.h - the run's processes, gathered from the run directory once the
 * program has ended, and the documents made of them (tools/tree.c), and
 * the summary on standard error (tools/summary.c). */
#ifndef RATMEM_TOOLS_TREE_H
#define RATMEM_TOOLS_TREE_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "launch.h"

/* How a process image ended. */
enum proc_end {
    END_EXIT,       /* exit(status) */
    END_SIGNAL,     /* killed by a signal (the launcher reaped it) */
    END_EXEC,       /* executed another program (a later image of its pid) */
    END_RUNNING,    /* still running when the program ended */
    END_UNKNOWN,    /* ended without exit(): a signal, _exit, an exec into a
                       program the shim does not reach */
};

struct proc {
    char id[48];            /* "PID-N" */
    long long pid, ppid;
    int gen;                /* N */
    long long start_ms;
    const char *exe;        /* from the start record */
    bool tracked;
    bool forked;            /* a fork child that did not exec */
    const char *skipped;    /* "skip", "only", NULL */
    json_t *start;          /* the start record */
    json_t *report;         /* its v1 report, NULL when none */
    enum proc_end end;
    int code;               /* status (END_EXIT) or signal (END_SIGNAL) */
    long long direct_bytes, direct_blocks, indirect_bytes, indirect_blocks;
};

struct tree {
    struct proc *p;
    size_t n;
    json_t *merged;         /* merged leak groups, largest first */
    long long tot[8];       /* direct, indirect, reachable, suppressed: bytes, blocks */
    /* Sampled processes (summary "sampled"): the largest mean, and the
     * leak totals with each sampled group's unsampled estimate in place of
     * its recorded bytes and blocks (direct, indirect: bytes, blocks). */
    long long sampled;
    long long est[4];
    size_t tracked, skipped, leaked, noreport, running;
};

/* Read the run directory's records (and the launcher's reaped statuses)
 * into t.  Returns 0; a record that cannot be read is left out. */
int tree_collect(const struct run *r, struct tree *t);

/* The whole-run documents: JSON (the "tree" document) or text (merged
 * groups, then each leaking process's report), to path (written as
 * path.tmp, renamed) or, path NULL, to standard error.  0, or -1 after one
 * line on stderr. */
int tree_write(const struct run *r, const struct tree *t, const char *path, bool json);

/* The one summary on standard error; report_path is where the documents
 * went (NULL: standard error). */
void summary_print(const struct run *r, const struct tree *t, const char *report_path);

/* Remove the run directory and what is in it. */
void tree_remove_dir(const char *dir);

/* A fork child that ended with _exit (a shell's subshell): no report by
 * design, its heap being its parent's copy (see _exit in preload/shim.c);
 * not counted as a process without a report. */
bool tree_fork_exit(const struct proc *p);

void tree_free(struct tree *t);

#endif
