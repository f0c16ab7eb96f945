/* track.h - the leak tracker, reached through a narrow seam of event calls
 * (as heaptrack's libheaptrack.h).  preload/ calls these and nothing else of
 * the tracker; the tracker knows nothing of LD_PRELOAD.
 *
 * Calling rule: the caller (preload/) holds its per-thread reentrancy guard
 * around every call, so any malloc made by the tracker or by the libraries it
 * calls (libunwind, libdw, the loader) goes straight to glibc, untracked. */
#ifndef RATMEM_TRACK_H
#define RATMEM_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "options.h"

/* Once, early (constructor or first allocation); idempotent and thread-safe.
 * opts stays valid for the life of the process. */
void ratmem_track_init(const struct ratmem_options *opts);

/* Where the program called into the shim: the return address into the
 * program, the CFA of the shim's entry frame (the caller's stack pointer
 * after the return) and the caller's rbp, as the entry function's own
 * frame holds them (RATMEM_TRACK_FROM).  The capture then starts there
 * instead of walking the shim's own frames. */
#include <stdint.h>
struct ratmem_track_from {
    uintptr_t ra, cfa, bp;
};
/* Fill f in the function the program called; it gets a frame pointer. */
#define RATMEM_TRACK_FROM(f)                                            \
    do {                                                                \
        const uintptr_t *fa_ = __builtin_frame_address(0);              \
        (f).bp = fa_[0];                                                \
        (f).ra = fa_[1];                                                \
        (f).cfa = (uintptr_t)(fa_ + 2);                                 \
    } while (0)

/* Events.  The allocation stack is captured inside, with the frames of the
 * shim's own object left out; from (may be NULL) is where the program
 * called in. */
void ratmem_track_alloc(void *p, size_t size, const struct ratmem_track_from *from);
/* false when p is not in the table: then ratmem_track_bad_free decides. */
bool ratmem_track_free(void *p);
void ratmem_track_realloc(void *old, void *p, size_t size);

/* Blocks handed out without a table record, yet valid: made before the
 * tracker started or inside the shim's own machinery (guard held).  Never
 * block (see track/store/exempt.h); callable before ratmem_track_init. */
void ratmem_track_exempt_alloc(void *p);
void ratmem_track_exempt_free(void *p);

/* free()/realloc() (what) of p, which ratmem_track_free did not find, from
 * the code at return address caller.  true: p may be valid, pass it to the
 * allocator.  false: p is not a live block; one line on stderr said so and
 * the call must be dropped (see track/store/badfree.h for the rule). */
bool ratmem_track_bad_free(void *p, const char *what, void *caller);

/* The program is about to dlclose(handle): the module's file and place are
 * remembered, so that the report still names its frames once it is gone. */
void ratmem_track_dlclose(void *handle);
/* After dlclose: code may have been unmapped; the stack capture forgets
 * what it cached about code addresses.  Cheap, no lock, any time. */
void ratmem_track_modules_changed(void);

/* The report heap (track/report/rheap.h).  While this thread writes a report or
 * a dump, the guarded allocations of libdw and glibc under it come from
 * the tracker's own region, not the program's: alloc (align 0 = 16) and
 * realloc return NULL when the region does not serve this call (not
 * reporting, no room, inside a signal handler that interrupted the heap),
 * and the caller goes to glibc.  Any pointer in the region (owns) belongs
 * to it, whenever freed or resized: check says whether it is a live block
 * of the region, and when it is not, counts and reports it as an invalid
 * free of what ("free", "realloc") from caller; free does the same for a
 * pointer that is not (a double free).  The caller holds the guard. */
/* The same for the loader arena (track/report/ldarena.h): the dynamic linker's
 * allocations for the libraries reports load (lazylib.h), and, while a
 * report is written, those whose caller (a return address) is the
 * dynamic linker itself (dynamic TLS blocks). */
#include "rheap.h"
#include "ldarena.h"
static inline bool ratmem_track_private_owns(const void *p)
{
    return rm_rheap_owns(p) || rm_ldarena_owns(p);
}
void *ratmem_track_private_alloc(size_t size, size_t align, void *caller);
void *ratmem_track_private_realloc(void *p, size_t size);
size_t ratmem_track_private_usable(const void *p);
bool ratmem_track_private_check(void *p, const char *what, void *caller);
void ratmem_track_private_free(void *p, const char *what, void *caller);

/* Sampled tracking (sample=SIZE, track/capture/sample.h): true when an
 * allocation of size bytes is certainly not sampled; it costs a
 * thread-local count and the shim then makes no tracker call for the
 * block.  false: call ratmem_track_alloc, which decides.  A free in
 * sampled mode asks ratmem_track_free as ever (a few loads of the live
 * table for an unsampled block); a block it does not find is taken for
 * an unsampled one: there is no invalid-free check in sampled mode. */
#include "sample.h"
static inline bool ratmem_track_sample_skip(size_t size)
{
    return rm_sample_skip(size);
}
/* The free side, inline in the shim (sampled mode only): true when no
 * recorded block can be at p (the counting filter says so), so that the
 * free of an unsampled block makes no tracker call.  false: ask
 * ratmem_track_free. */
static inline bool ratmem_track_sample_unrecorded(const void *p)
{
    return !rm_sample_maybe((uintptr_t)p);
}

/* Heap profile (pprof, gzip'd) to the profile= path ("%p" = pid, "%n" =
 * the profile's number in this process, 1, 2, ...): every stack's
 * estimated objects and bytes allocated since start-up and live now.
 * Written as PATH.tmp and renamed.  Returns 0 or an errno value (one line
 * on stderr says why); ENOENT when no profile= path is set. */
int ratmem_track_profile(void);

/* Mappings the program makes itself (the interposed mmap, mmap64, mremap,
 * munmap, after the real call succeeded, outside the guard only): their
 * contents are roots, as pymalloc's arenas hold pointers to malloc'ed
 * blocks.  Anonymous or writable mappings are recorded; len is rounded up
 * to pages inside. */
void ratmem_track_mmap(void *p, size_t len, int prot, int flags);
void ratmem_track_munmap(void *p, size_t len);
void ratmem_track_mremap(void *old, size_t old_len, void *p, size_t new_len);
/* The interposed mprotect, after it succeeded: memory made unreadable. */
void ratmem_track_mprotect(void *p, size_t len, int prot);

/* Classify every live block and write the report to path (NULL: where the
 * options say; "%p" expands to the pid).  *leaks_found (may be NULL) is set
 * when direct or indirect leaks were reported.  Returns 0, or -1 when the
 * report could not be written (one line on stderr says why). */
int ratmem_track_report(const char *path, bool *leaks_found);

/* The processes of a run (track/report/run.h).  run_start: at start-up, before
 * ratmem_track_init, for every process (tracked or not): decides skip/only
 * (returns whether the process is tracked) and with run_dir writes the
 * start record; opts stays valid for the process's life.  run_forked: in
 * a fork child.  run_exited: from an on_exit handler, the exit record. */
bool ratmem_track_run_start(const struct ratmem_options *opts);
void ratmem_track_run_forked(void);
void ratmem_track_run_exited(int status);
/* The program reaped child pid (wait status): with run_dir, a record. */
void ratmem_track_run_reaped(int pid, int status);

/* At start-up, before ratmem_track_init: whether the report option's path
 * looks writable; when it does not, one warning line says why and the
 * caller sends the report to stderr instead. */
bool ratmem_track_report_path_ok(const char *tmpl);
/* Heap dump: every live block grouped by allocation stack ("live" groups,
 * no leak classification), text or JSON as the options say.  path NULL:
 * the dump= option (default: the report= path followed by ".dump.%n", or
 * standard error when the report goes there); "%p" = pid, "%n" = the
 * dump's sequence number in this process (1, 2, ...).  A file appears
 * complete: it is written as PATH.tmp and renamed.  Returns 0, or an errno
 * value when the dump could not be written (one line on stderr says why). */
int ratmem_track_dump(const char *path);

/* A heap dump asked for at request_ms (a signal: dump_signal).  here: the
 * caller (a signal handler on a thread that is not inside the shim) may
 * copy the live blocks right now, async-signal-safely; returns true when
 * it did.  Otherwise the request is noted and copied by the next
 * ratmem_track_dump_pending.  Either way the dump describes the heap when
 * it was asked for, as closely as the thread allows, and is written by
 * ratmem_track_dump_pending, which writes every request not written yet
 * (the dump thread, and the exit report first), each to the dump= path.
 * Async-signal-safe. */
bool ratmem_track_dump_request(uint64_t request_ms, bool here);
int ratmem_track_dump_pending(void);
/* CLOCK_REALTIME in ms (async-signal-safe). */
uint64_t ratmem_track_now_ms(void);

/* Where the reports' quota figures come from (the preload's counter): fn
 * returns false when no quota counts.  Set once at start-up. */
typedef bool (*ratmem_track_quota_fn)(size_t *limit, size_t *used, size_t *peak);
void ratmem_track_set_quota_source(ratmem_track_quota_fn fn);

/* fork(): prepare takes every tracker lock, parent and child release them. */
void ratmem_track_atfork_prepare(void);
void ratmem_track_atfork_parent(void);
void ratmem_track_atfork_child(void);

#endif
