/* summary.c - the one summary of the run on standard error (see tree.h).
 *
 *   ratmem: no leaks in 3 processes (1 skipped; 120 byte(s) still reachable)
 * or a first line with the totals, then a line per tracked process that
 * leaked, per process that ended without a report and why, per process
 * still running and where its report will go, the skipped ones, and where
 * the documents are. */
#define _GNU_SOURCE
#include "config.h"
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "launch.h"
#include "tree.h"

/* The user's report path for process pid: "%p" expanded, else ".PID"
 * appended (the rule of a process whose report cannot go to the run
 * directory); NULL report: standard error. */
static void later_path(const char *report, long long pid, char *buf, size_t cap)
{
    if (!report) {
        snprintf(buf, cap, "standard error");
        return;
    }
    bool had;
    char *path = rm_expand_pid(report, (pid_t)pid, &had);
    if (had)
        snprintf(buf, cap, "%s", path);
    else
        snprintf(buf, cap, "%s.%lld", path, pid);
    free(path);
}

/* The process's executable for a summary line: control characters
 * (a newline in a file name) shown escaped, so that a line stays one line.
 * The launcher is single-threaded and each line shows one name. */
static const char *name(const struct proc *p)
{
    static char buf[PATH_MAX * 4 + 8];
    const char *s = p->exe && *p->exe ? p->exe : "?";
    size_t n = 0;
    for (; *s && n + 5 < sizeof buf; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\\' || c < 0x20 || c == 0x7f)
            n += (size_t)snprintf(buf + n, sizeof buf - n, c == '\\' ? "\\\\"
                                  : c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\x%02x", c);
        else
            buf[n++] = (char)c;
    }
    buf[n] = 0;
    return buf;
}

/* A line for each tracked process that wrote no report, and why. */
static void without_report(const struct run *r, const struct tree *t, FILE *f)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct proc *p = &t->p[i];
        if (!p->tracked || p->report || p->end == END_EXEC || tree_fork_exit(p))
            continue;
        if (p->end == END_RUNNING) {
            char where[PATH_MAX + 32];
            later_path(r->report, p->pid, where, sizeof where);
            fprintf(f, "ratmem:   pid %lld %s: still running; its report will go to %s\n",
                    p->pid, name(p), where);
        } else if (p->end == END_SIGNAL) {
            const char *abbrev = sigabbrev_np(p->code);
            fprintf(f, "ratmem:   pid %lld %s: no report: killed by signal %d%s%s\n", p->pid,
                    name(p), p->code, abbrev ? " SIG" : "", abbrev ? abbrev : "");
        } else if (p->end == END_EXIT) {
            fprintf(f, "ratmem:   pid %lld %s: no report: ended with _exit(%d), which skips "
                       "the exit report\n", p->pid, name(p), p->code);
        } else {
            fprintf(f, "ratmem:   pid %lld %s: no report: ended without exit() (killed by a "
                       "signal, _exit, or exec of a program the shim does not reach)\n",
                    p->pid, name(p));
        }
    }
}

void summary_print(const struct run *r, const struct tree *t, const char *report_path)
{
    FILE *f = stderr;
    /* Sampled processes count with their unsampled estimates. */
    long long lb = t->est[0] + t->est[2], ln = t->est[1] + t->est[3];
    if (t->sampled > 0)
        fprintf(f, "ratmem: sampled mode (sample=%lld): leak byte and allocation counts are "
                   "estimates\n", t->sampled);
    if (!ln) {
        fprintf(f, "ratmem: no leaks in %zu process(es) (%zu skipped, %zu without a report, %zu "
                   "still running; %lld byte(s) in %lld allocation(s) still reachable)%s%s\n",
                t->n, t->skipped, t->noreport, t->running, t->tot[4], t->tot[5],
                report_path ? "; report: " : "", report_path ? report_path : "");
        /* One line for a clean tree; a process without a report is told
         * of, and why ("no leaks" holds only for those that reported). */
        without_report(r, t, f);
        return;
    }
    fprintf(f, "ratmem: SUMMARY: %lld byte(s) leaked in %lld allocation(s) (direct %lld in %lld, "
               "indirect %lld in %lld) by %zu of %zu tracked process(es); %zu process(es) in "
               "all, %zu skipped, %zu without a report, %zu still running\n",
            lb, ln, t->est[0], t->est[1], t->est[2], t->est[3], t->leaked, t->tracked, t->n,
            t->skipped, t->noreport, t->running);
    for (size_t i = 0; i < t->n; i++) {
        const struct proc *p = &t->p[i];
        if (p->direct_blocks + p->indirect_blocks)
            fprintf(f, "ratmem:   pid %lld %s: leaked %lld byte(s) in %lld block(s) direct, "
                       "%lld byte(s) in %lld block(s) indirect\n",
                    p->pid, name(p), p->direct_bytes, p->direct_blocks, p->indirect_bytes,
                    p->indirect_blocks);
    }
    without_report(r, t, f);
    if (t->skipped) {
        fprintf(f, "ratmem:   skipped:");
        size_t shown = 0;
        for (size_t i = 0; i < t->n; i++) {
            const struct proc *p = &t->p[i];
            if (p->tracked)
                continue;
            if (shown++ == 16) {
                fprintf(f, " and %zu more", t->skipped - 16);
                break;
            }
            fprintf(f, "%s pid %lld %s", shown > 1 ? "," : "", p->pid, name(p));
        }
        fputc('\n', f);
    }
    if (report_path)
        fprintf(f, "ratmem: report: %s\n", report_path);
}
