/* run.h - the processes of one run: which process is the run's first
 * (its report keeps the plain report path), the launcher's run directory
 * (start, exit and report records of every process), and --skip/--only.
 *
 * The rule that keeps every report of a run (libratmem-preload(7), "Process
 * trees"): a report or dump path without "%p" belongs to the run's first
 * process, the one whose parent does not run under the shim; every other
 * process (a fork child, a program that one executes) writes PATH.PID.
 * The first process itself writes PATH.PID when PATH was written by another
 * process after it started (its parent had ended when it started, as a
 * daemon that double-forked).  Running the program again replaces PATH. */
#ifndef RATMEM_TRACK_RUN_H
#define RATMEM_TRACK_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include "options.h"

/* At start-up (the shim's constructor, single-threaded, guard held), with
 * the parsed options (kept by the caller for the process's life).  Decides
 * whether the process is the run's first and whether skip/only leave it
 * untracked (returns true when tracked), and with run_dir writes its start
 * record.  Never allocates from the program's heap. */
bool rm_run_start(const struct ratmem_options *o);

/* Fork child (single-threaded): a new process of the same run; with
 * run_dir, its own start record. */
void rm_run_forked(void);

/* exit(status) was called (an on_exit handler): with run_dir, the exit
 * record. */
void rm_run_exited(int status);

/* This process reaped child pid, which ended with wait status status:
 * with run_dir, the record "PID.reaped". */
void rm_run_reaped(int pid, int status);

/* The path a report or dump named by template tmpl goes to, by the rule
 * above: path is tmpl expanded (%p, %n), cap its size; ".PID" is appended
 * when the rule says so.  report: the exit report (under the launcher its
 * path is the run document's: always ".PID").  Returns 0, or -1 when it
 * does not fit. */
int rm_run_claim(const char *tmpl, char *path, size_t cap, bool report);
/* A file of path was written by this process (its claim holds). */
void rm_run_wrote(const char *path);

/* The exit report under the launcher: the run directory's "ID.json.tmp"
 * (dst gets "ID.json"), created O_EXCL, mode 0600.  Returns the fd, or -1
 * when there is no run directory (or no longer: the launcher has ended). */
int rm_run_report_open(char *tmp, char *dst, size_t cap);

#endif
