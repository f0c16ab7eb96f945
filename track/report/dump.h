/* dump.h - heap dumps: their sequence numbers, where each one goes, and a
 * write that makes a dump file appear only once it is complete. */
#ifndef RATMEM_TRACK_DUMP_H
#define RATMEM_TRACK_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "options.h"
#include "report.h"
#include "table.h"

/* The next sequence number of this process: 1, 2, ...  Thread-safe. */
uint64_t rm_dump_next_seq(void);
/* A fork child numbers its own dumps from 1 again. */
void rm_dump_reset_child(void);

/* A snapshot of the live blocks taken when a dump was asked for, written
 * later (symbolized and formatted by the dump writer).  One scratch
 * mapping; snapshots wait in a lock-free list until written. */
struct rm_dump_snap {
    struct rm_dump_snap *next;
    size_t map_bytes;
    uint64_t seq;                 /* the dump's number in this process */
    uint64_t request_ms;          /* when it was asked for (the signal) */
    uint64_t snapshot_ms;         /* when the blocks were copied */
    size_t n;
    struct rm_block b[];
};

/* Copy the live blocks now, for a dump asked for at request_ms, and queue
 * the snapshot.  Async-signal-safe when the calling thread is not inside
 * the tracker (the shim's guard is 0): raw mappings, atomics and the
 * table's walk only.  false when there was no memory for it. */
bool rm_dump_snapshot(uint64_t request_ms);

/* A request that could not be snapshotted where it arrived (a signal on
 * a thread inside the tracker): noted (async-signal-safe), and
 * snapshotted by rm_dump_take_late() as soon as the dump thread can. */
void rm_dump_note_late(uint64_t request_ms);
/* Snapshot every noted request now; returns how many. */
unsigned rm_dump_take_late(void);

/* Every queued snapshot, oldest first (the caller frees each). */
struct rm_dump_snap *rm_dump_take_queued(void);
void rm_dump_snap_free(struct rm_dump_snap *s);

/* CLOCK_REALTIME in milliseconds since the epoch. */
uint64_t rm_dump_now_ms(void);

/* The path of dump seq into out ("" = standard error): path when given
 * (its "%n" and "%p" expanded), else the dump= option (".%n" appended when
 * it has no "%n"), else the report= path followed by ".dump.%n", else
 * standard error.  "%%" is a "%".  Returns 0, or -1 when it does not fit. */
int rm_dump_path(const struct ratmem_options *o, const char *path, uint64_t seq, char *out,
                 size_t cap);

/* Write the dump that req describes (req->dump set; fd filled in here) to
 * path as rm_dump_path makes it (path NULL: by the run's rule, run.h).  A
 * file is written under "PATH.tmp" (O_EXCL, O_NOFOLLOW, mode 0600) and
 * renamed to PATH when complete.  A path ending in ".json" or ".json.gz"
 * is JSON whatever the format option; one ending in ".gz" is gzip'd.
 * Returns 0 or an errno value; a failure writes one line on stderr. */
int rm_dump_run(struct rm_report_req *req, const char *path);

#endif
