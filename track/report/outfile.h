/* outfile.h - where a report goes: path templates and a safe open. */
#ifndef RATMEM_TRACK_OUTFILE_H
#define RATMEM_TRACK_OUTFILE_H

#include <stddef.h>

/* Expand tmpl into buf: "%p" -> pid, "%%" -> "%".  Returns 0, or -1 when it
 * does not fit. */
int rm_outfile_expand(const char *tmpl, char *buf, size_t cap);

/* Open the report destination.  tmpl "" -> fd 2.  Otherwise the expanded
 * path, O_WRONLY|O_CREAT|O_TRUNC|O_NOFOLLOW|O_CLOEXEC, mode 0600; on
 * failure one line on stderr naming the path and the error, *failed = 1,
 * and fd 2.  Close the result with rm_outfile_close. */
int rm_outfile_open(const char *tmpl, int *failed);
/* The same for the report of the run's rule (run.h): a path without "%p"
 * gets ".PID" appended when it is not this process's to write. */
int rm_outfile_open_claimed(const char *tmpl, int *failed);
void rm_outfile_close(int fd);

/* At start-up: does the report destination tmpl look usable?  0 for ""
 * (stderr) and for a path whose directory exists and is writable and
 * which, if it exists, is a writable file that is no symbolic link.  Else
 * one line on stderr naming the path and the reason, and -1.  Looks only
 * (stat, access): creates nothing.  A path that passes may still fail when
 * the report is opened (the program may change things meanwhile). */
int rm_outfile_check(const char *tmpl);

/* Files written whole and then put in place (heap dumps, heap profiles):
 * create TMP (DST + ".tmp") for writing.  A stale TMP (a write cut short)
 * or a planted symbolic link goes first; O_EXCL|O_NOFOLLOW then refuses
 * whatever reappears in its place; mode 0600, close-on-exec, above the
 * program's descriptors.  On failure one line naming TMP (KIND names the
 * file: "heap dump file", "heap profile") and -1 with errno set. */
int rm_outfile_create_tmp(const char *tmp, const char *kind);
/* Finish such a file: close FD, then rename TMP to DST when ERR (the
 * writer's errno, 0 = written) is 0.  On any failure TMP is removed and
 * one line names it.  Returns 0 or the errno. */
int rm_outfile_commit(int fd, int err, const char *tmp, const char *dst, const char *kind);

#endif
