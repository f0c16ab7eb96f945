/* dump.h - heap dumps: their sequence numbers, where each one goes, and a
 * write that makes a dump file appear only once it is complete. */
#ifndef RATMEM_TRACK_DUMP_H
#define RATMEM_TRACK_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "options.h"
#include "report.h"

/* The next sequence number of this process: 1, 2, ...  Thread-safe. */
uint64_t rm_dump_next_seq(void);
/* A fork child numbers its own dumps from 1 again. */
void rm_dump_reset_child(void);

/* The path of dump seq into out ("" = standard error): path when given
 * (its "%n" and "%p" expanded), else the dump= option (".%n" appended when
 * it has no "%n"), else the report= path followed by ".dump.%n", else
 * standard error.  "%%" is a "%".  Returns 0, or -1 when it does not fit. */
int rm_dump_path(const struct ratmem_options *o, const char *path, uint64_t seq, char *out,
                 size_t cap);

/* Write the dump that req describes (req->dump set; fd filled in here) to
 * path as rm_dump_path makes it.  A file is written under "PATH.tmp"
 * (O_EXCL, O_NOFOLLOW, mode 0600) and renamed to PATH when complete.
 * Returns 0 or an errno value; a failure writes one line on stderr. */
int rm_dump_run(struct rm_report_req *req, const char *path);

#endif
