/* track.c - the seam (track.h): init, the event calls, the report entry
 * point and the fork handlers.  Glue only; each concern has its own file. */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "dump.h"
#include "options.h"
#include "outfile.h"
#include <sys/mman.h>
#include "badfree.h"
#include "exempt.h"
#include "gate.h"
#include "modules.h"
#include "msg.h"
#include "prim.h"
#include "regions.h"
#include "rheap.h"
#include "report.h"
#include "run.h"
#include "sample.h"
#include "profile.h"
#include "fastunwind.h"
#include "stackdb.h"
#include "stats.h"
#include "unwmem.h"
#include "symbolize.h"
#include "table.h"
#include "threads.h"
#include "unwind.h"
#include "track.h"

/* The options: set once by ratmem_track_init (the caller keeps them alive);
 * read by every thread after init.  Before init, rm_defaults stand in. */
static const struct ratmem_options *_Atomic rm_opts;
static struct ratmem_options rm_defaults;
/* Init state: 0 none, 1 running, 2 done.  CAS by the first caller; others
 * wait for 2 (init never waits on another thread's event). */
static _Atomic int rm_init_state;
/* Serialises reports and heap dumps; taken first in the fork order. */
static pthread_mutex_t rm_report_lock = PTHREAD_MUTEX_INITIALIZER;
/* The quota's figures for reports: set once at start-up, then read-only. */
static _Atomic ratmem_track_quota_fn rm_quota_fn;

#define RM_DEFAULT_DEPTH 32

/* DESIGN.md's defaults, for a report or init without options. */
static const struct ratmem_options *defaults(void)
{
    memset(&rm_defaults, 0, sizeof rm_defaults);
    rm_defaults.leaks = 1;
    rm_defaults.zero = 1;
    rm_defaults.stack_depth = RM_DEFAULT_DEPTH;
    rm_defaults.fast_unwind = 1;
    return &rm_defaults;
}

void ratmem_track_init(const struct ratmem_options *opts)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&rm_init_state, &expect, 1)) {
        while (atomic_load(&rm_init_state) != 2)
            ;
        return;
    }
    if (!opts)
        opts = defaults();
    rm_unwind_init();
    rm_fastunwind_set_enabled(opts->fast_unwind);
    rm_sym_set_separate_lines(opts->debuginfo == RATMEM_DEBUGINFO_ALL);
    rm_threads_init();
    rm_sample_setup(opts->sample, opts->profile[0] != 0);
    rm_table_set_sparse(opts->sample != 0);
    atomic_store(&rm_opts, opts);
    atomic_store(&rm_init_state, 2);
}

static const struct ratmem_options *opts_now(void)
{
    return atomic_load_explicit(&rm_opts, memory_order_acquire);
}

static inline bool active(void)
{
    const struct ratmem_options *o = opts_now();
    return o && o->leaks;
}

/* The id of this thread's previous fast capture (0: none), reused when
 * the next one finds the same frames.  Owned by its thread. */
static __thread uint32_t rm_last_id __attribute__((tls_model("initial-exec")));

/* The fast capture gave up: libunwind. */
static __attribute__((noinline)) uint32_t capture_slow(unsigned depth)
{
    uintptr_t pc[RM_STACK_MAX_DEPTH];
    unsigned n = rm_unwind_capture_slow(pc, depth);
    rm_last_id = 0;
    return n ? rm_stackdb_intern(pc, n, rm_stack_hash(pc, n)) : 0;
}

static uint32_t capture(const struct ratmem_track_from *where)
{
    const struct ratmem_options *o = opts_now();
    int depth = o->stack_depth;
    if (depth < 1 || depth > RM_STACK_MAX_DEPTH)
        depth = RM_DEFAULT_DEPTH;
    if (__builtin_expect(where != NULL, 1)) {
        /* From the program's call: walk and intern in one (fastunwind.h). */
        struct rm_from f = { .ra = where->ra, .cfa = where->cfa, .bp = where->bp };
        uint32_t id;
        if (__builtin_expect(rm_fastunwind_stack(&f, (unsigned)depth, &rm_last_id, &id), 1))
            return id;
        return capture_slow((unsigned)depth);
    }
    uintptr_t pc[RM_STACK_MAX_DEPTH];
    int how;
    uint32_t last = rm_last_id, id;
    unsigned n = rm_unwind_capture_id(pc, (unsigned)depth, NULL, last != 0, &how, &id);
    if (how == RM_CAPTURE_AGAIN && last)
        return last;
    if (!id && n)
        id = rm_stackdb_intern(pc, n, rm_stack_hash(pc, n));
    rm_last_id = how == RM_CAPTURE_SLOW ? 0 : id;
    return id;
}

void ratmem_track_alloc(void *p, size_t size, const struct ratmem_track_from *from)
{
    if (!p || !active())
        return;
    /* Sampled mode: most calls end here (sample.h); the shim's inline
     * rm_sample_skip already let the cheap majority go. */
    if (!rm_sample_decide(size))
        return;
    rm_threads_ensure();
    uint32_t st = capture(from);
    if (rm_table_insert((uintptr_t)p, size, st) && rm_sample_mean())
        rm_sample_note((uintptr_t)p);
    rm_sample_count(st, size);
}

/* Drop p's record; in sampled mode the filter answers most frees (those
 * of unrecorded blocks) first. */
static bool forget(uintptr_t p)
{
    if (!rm_sample_mean())
        return rm_table_remove(p);
    if (!rm_sample_maybe(p) || !rm_table_remove(p))
        return false;
    rm_sample_forget(p);
    return true;
}

bool ratmem_track_free(void *p)
{
    if (!p || !active())
        return true;
    if (rm_sample_mean() && !rm_sample_maybe((uintptr_t)p))
        return false;   /* certainly not recorded: nothing more to do */
    rm_threads_ensure();
    return forget((uintptr_t)p);
}

void ratmem_track_exempt_alloc(void *p)
{
    rm_exempt_add((uintptr_t)p);
}

void ratmem_track_exempt_free(void *p)
{
    rm_exempt_remove((uintptr_t)p, false);
}

bool ratmem_track_bad_free(void *p, const char *what, void *caller)
{
    if (!p || !active())
        return true;
    return rm_badfree_check((uintptr_t)p, what, (uintptr_t)caller);
}

void ratmem_track_realloc(void *old, void *p, size_t size)
{
    if (!active())
        return;
    rm_threads_ensure();
    if (!p) {
        /* Failed realloc keeps old; realloc(old, 0) returning NULL freed it. */
        if (old && size == 0)
            forget((uintptr_t)old);
        return;
    }
    /* The record moves, with the realloc's own stack (as valgrind and LSan
     * report the last (re)allocation site). */
    if (old && old != p)
        forget((uintptr_t)old);
    if (!rm_sample_decide(size)) {
        forget((uintptr_t)p);
        return;
    }
    uint32_t st = capture(NULL);
    if (rm_table_insert((uintptr_t)p, size, st) && rm_sample_mean())
        rm_sample_note((uintptr_t)p);
    rm_sample_count(st, size);
}

void ratmem_track_modules_changed(void)
{
    rm_fastunwind_flush();
}

void ratmem_track_dlclose(void *handle)
{
    rm_unwmem_forget();
    rm_fastunwind_flush();
    if (active())
        rm_modules_closing(handle);
}

void ratmem_track_mmap(void *p, size_t len, int prot, int flags)
{
    if (!p || p == MAP_FAILED || !len || !active())
        return;
    if (!(flags & MAP_ANONYMOUS) && !(prot & PROT_WRITE))
        return;
    size_t n = ratmem_page_round(len);
    rm_regions_add((uintptr_t)p, (uintptr_t)p + (n ? n : len));
}

void ratmem_track_munmap(void *p, size_t len)
{
    rm_unwmem_forget();
    if (!p || !len || !active())
        return;
    size_t n = ratmem_page_round(len);
    rm_regions_remove((uintptr_t)p, n ? (uintptr_t)p + n : UINTPTR_MAX);
}

void ratmem_track_mprotect(void *p, size_t len, int prot)
{
    (void)p;
    (void)len;
    if (!(prot & PROT_READ))
        rm_unwmem_forget();
}

void ratmem_track_mremap(void *old, size_t old_len, void *p, size_t new_len)
{
    if (!p || p == MAP_FAILED || !active())
        return;
    /* Only a region recorded before moves on as one. */
    bool known = rm_regions_contains((uintptr_t)old);
    ratmem_track_munmap(old, old_len);
    if (known)
        ratmem_track_mmap(p, new_len, PROT_READ | PROT_WRITE, MAP_ANONYMOUS);
}

void ratmem_track_set_quota_source(ratmem_track_quota_fn fn)
{
    atomic_store(&rm_quota_fn, fn);
}

static void quota_figures(struct rm_report_req *req)
{
    ratmem_track_quota_fn fn = atomic_load(&rm_quota_fn);
    size_t limit = 0, used = 0, peak = 0;
    if (fn && fn(&limit, &used, &peak)) {
        req->quota_on = true;
        req->quota_limit = limit;
        req->quota_used = used;
        req->quota_peak = peak;
    }
}

void *ratmem_track_private_alloc(size_t size, size_t align, void *caller)
{
    /* What the loader keeps for good goes to the permanent arena; when it
     * is full, the report heap keeps its region while such blocks live. */
    if (rm_ldarena_wants((uintptr_t)caller)) {
        void *p = rm_ldarena_alloc(size, align);
        if (p)
            return p;
    }
    return rm_rheap_alloc(size, align);
}

void *ratmem_track_private_realloc(void *p, size_t size)
{
    return rm_ldarena_owns(p) ? rm_ldarena_realloc(p, size) : rm_rheap_realloc(p, size);
}

size_t ratmem_track_private_usable(const void *p)
{
    return rm_ldarena_owns(p) ? rm_ldarena_usable(p) : rm_rheap_usable(p);
}

bool ratmem_track_private_check(void *p, const char *what, void *caller)
{
    if (rm_ldarena_owns(p) ? rm_ldarena_valid(p) : rm_rheap_valid(p))
        return true;
    rm_badfree_report((uintptr_t)p, what, (uintptr_t)caller);
    return false;
}

void ratmem_track_private_free(void *p, const char *what, void *caller)
{
    if (!(rm_ldarena_owns(p) ? rm_ldarena_free(p) : rm_rheap_free(p)))
        rm_badfree_report((uintptr_t)p, what, (uintptr_t)caller);
}

bool ratmem_track_dump_request(uint64_t request_ms, bool here)
{
    if (!active())
        return false;
    if (here && rm_dump_snapshot(request_ms))
        return true;
    rm_dump_note_late(request_ms);
    return false;
}

uint64_t ratmem_track_now_ms(void)
{
    return rm_dump_now_ms();
}

int ratmem_track_dump_pending(void)
{
    if (!active())
        return 0;
    /* Requests not snapshotted where they arrived: now, before waiting
     * for a dump being written. */
    rm_dump_take_late();
    pthread_mutex_lock(&rm_report_lock);
    rm_rheap_enter();
    rm_dump_take_late();
    const struct ratmem_options *o = opts_now();
    if (!o)
        o = defaults();
    int err = 0;
    struct rm_dump_snap *s = rm_dump_take_queued();
    while (s) {
        struct rm_dump_snap *next = s->next;
        struct rm_report_req req = { .opts = o, .fd = 2, .dump = true, .dump_seq = s->seq,
                                     .dump_time_ms = s->snapshot_ms,
                                     .request_ms = s->request_ms, .snap = s->b,
                                     .snap_n = s->n };
        quota_figures(&req);
        int e = rm_dump_run(&req, NULL);
        if (e && !err)
            err = e;
        rm_dump_snap_free(s);
        s = next;
    }
    rm_rheap_leave();
    pthread_mutex_unlock(&rm_report_lock);
    return err;
}

int ratmem_track_dump(const char *path)
{
    pthread_mutex_lock(&rm_report_lock);
    rm_rheap_enter();
    const struct ratmem_options *o = opts_now();
    if (!o)
        o = defaults();
    struct rm_report_req req = { .opts = o, .fd = 2, .dump = true,
                                 .dump_seq = rm_dump_next_seq() };
    quota_figures(&req);
    int err = rm_dump_run(&req, path);
    rm_rheap_leave();
    pthread_mutex_unlock(&rm_report_lock);
    return err;
}

int ratmem_track_profile(void)
{
    const struct ratmem_options *o = opts_now();
    if (!o || !o->profile[0])
        return ENOENT;
    pthread_mutex_lock(&rm_report_lock);
    rm_rheap_enter();
    int err = rm_profile_write(o, rm_profile_next_seq());
    rm_rheap_leave();
    pthread_mutex_unlock(&rm_report_lock);
    return err;
}

/* Kept out of line so that its frame (holding the spilled registers) is
 * above the stack pointer the scan starts from. */
static __attribute__((noinline)) int report_at(const char *path, bool *leaks_found,
                                               uintptr_t sp, const struct rm_range *regs)
{
    const struct ratmem_options *o = opts_now();
    if (!o)
        o = defaults();
    int failed = 0;
    char tmp[RATMEM_PATH_MAX + 80], dst[RATMEM_PATH_MAX + 80];
    /* Under the launcher: JSON into the run directory; when it is gone
     * (the launcher has ended), the report path by the run's rule. */
    int fd = path ? -1 : rm_run_report_open(tmp, dst, sizeof tmp);
    bool in_run = fd >= 0;
    if (!in_run)
        fd = path ? rm_outfile_open(path, &failed) : rm_outfile_open_claimed(o->report, &failed);
    struct rm_report_req req = { .opts = o, .fd = fd, .process_roots = true, .sp = sp,
                                 .roots = regs, .nroots = 1 };
    if (in_run)
        req.format = RATMEM_FORMAT_JSON + 1;
    quota_figures(&req);
    struct rm_report_totals t;
    int r = rm_report_write(&req, &t);
    rm_outfile_close(fd);
    if (in_run && (r != 0 || rename(tmp, dst) != 0))
        unlink(tmp);
    if (r != 0)
        ratmem_msg("the leak report could not be written in full (no memory for it, or a "
                   "write error)");
    if (leaks_found)
        *leaks_found = t.direct_blocks + t.indirect_blocks > 0;
    return r == 0 && !failed ? 0 : -1;
}

bool ratmem_track_run_start(const struct ratmem_options *opts)
{
    return rm_run_start(opts);
}

void ratmem_track_run_forked(void)
{
    rm_run_forked();
}

void ratmem_track_run_exited(int status)
{
    rm_run_exited(status);
}

void ratmem_track_run_reaped(int pid, int status)
{
    rm_run_reaped(pid, status);
}

bool ratmem_track_report_path_ok(const char *tmpl)
{
    return rm_outfile_check(tmpl) == 0;
}

int ratmem_track_report(const char *path, bool *leaks_found)
{
    pthread_mutex_lock(&rm_report_lock);
    /* Spill callee-saved registers: setjmp stores them in regs (the
     * mangled sp/pc do not matter), and the frame lies above sp. */
    __builtin_unwind_init();
    jmp_buf regs;
    setjmp(regs);
    struct rm_range rr = { (uintptr_t)&regs, (uintptr_t)&regs + sizeof regs };
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if ((uintptr_t)&rr < sp)
        sp = (uintptr_t)&rr;
    if ((uintptr_t)&regs < sp)
        sp = (uintptr_t)&regs;
    rm_rheap_enter();
    int r = report_at(path, leaks_found, sp, &rr);
    rm_rheap_leave();
    pthread_mutex_unlock(&rm_report_lock);
    return r;
}

/* Fork order: report lock, closed modules, mapped regions, thread registry, stack store shards, table
 * shards; released in reverse. */
void ratmem_track_atfork_prepare(void)
{
    /* First, before any lock: no other thread may be inside libunwind
     * (its own mutexes) when fork() copies the process (gate.h). */
    rm_gate_close();
    pthread_mutex_lock(&rm_report_lock);
    rm_modules_lock();
    rm_regions_lock();
    rm_threads_lock();
    rm_stackdb_lock_all();
    rm_table_lock_all();
    rm_exempt_lock_all();
}

void ratmem_track_atfork_parent(void)
{
    rm_exempt_unlock_all();
    rm_table_unlock_all();
    rm_stackdb_unlock_all();
    rm_threads_unlock();
    rm_regions_unlock();
    rm_modules_unlock();
    pthread_mutex_unlock(&rm_report_lock);
    rm_gate_open();
}

void ratmem_track_atfork_child(void)
{
    rm_exempt_unlock_all();
    rm_table_unlock_all();
    rm_stackdb_unlock_all();
    rm_threads_unlock();
    rm_regions_unlock();
    rm_modules_unlock();
    pthread_mutex_unlock(&rm_report_lock);
    rm_threads_reset_child();
    rm_gate_open();
    rm_dump_reset_child();
    rm_profile_reset_child();
    rm_sample_reset_child();
    rm_stats_reset_child();
}
