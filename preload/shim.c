/* shim.c - start-up, options, fork handlers and the exit-time report of
 * libratmem-preload.so.  The entry points live in malloc.c and mman.c. */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "msg.h"
#include "ratmem.h"
#include "shim.h"
#include "track.h"
#include "wx.h"

/* Written once by the thread that wins start-up (before it sets
 * ratmem_shim_ready with release order); read-only afterwards. */
struct ratmem_options ratmem_shim_opts = {
    .leaks = 0, .wx = RATMEM_WX_ENFORCE, .zero = 1, .stack_depth = 32,
};
_Bool ratmem_shim_ready;
struct ratmem_quota ratmem_shim_quota;
_Bool ratmem_shim_quota_on;
_Bool ratmem_shim_light;
__thread int ratmem_shim_guard __attribute__((tls_model("initial-exec")));

/* 0 = not started, 1 = starting, 2 = done. */
static int init_state;

/* For the exit report at _exit (see _exit below): the pid this copy of the
 * shim's state belongs to (set at start-up and by the fork handler, so a
 * vfork child, or a child of clone or _Fork, which run no fork handler,
 * sees another pid), whether it is a fork child, and whether the exit
 * report has been written or begun (once per process). */
static pid_t shim_pid;
static bool shim_forked;
static int exit_done;

extern char **__environ;

static void atfork_prepare(void)
{
    if (ratmem_shim_opts.leaks) {
        ratmem_shim_guard++;
        ratmem_track_atfork_prepare();
    }
}

static void atfork_parent(void)
{
    if (ratmem_shim_opts.leaks) {
        ratmem_track_atfork_parent();
        ratmem_shim_guard--;
    }
}

static void atfork_child(void)
{
    shim_pid = getpid();
    shim_forked = true;
    ratmem_shim_guard++;
    ratmem_track_run_forked();
    ratmem_shim_guard--;
    if (ratmem_shim_opts.leaks) {
        ratmem_track_atfork_child();
        ratmem_dumpsig_atfork_child();
        ratmem_shim_guard--;
    }
}

/* The quota, for the reports' summaries. */
static bool quota_figures(size_t *limit, size_t *used, size_t *peak)
{
    if (!__atomic_load_n(&ratmem_shim_quota_on, __ATOMIC_ACQUIRE))
        return false;
    *limit = __atomic_load_n(&ratmem_shim_quota.limit, __ATOMIC_RELAXED);
    *used = __atomic_load_n(&ratmem_shim_quota.used, __ATOMIC_RELAXED);
    *peak = __atomic_load_n(&ratmem_shim_quota.peak, __ATOMIC_RELAXED);
    return true;
}

static void on_exit_status(int status, void *arg)
{
    (void)arg;
    int saved = errno;
    ratmem_shim_guard++;
    ratmem_track_run_exited(status);
    ratmem_shim_guard--;
    errno = saved;
}

void ratmem_shim_init(void)
{
    int expect = 0;
    if (!__atomic_compare_exchange_n(&init_state, &expect, 1, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        /* Another thread is starting up (or this one, re-entered through
         * the loader): callers go on with the defaults until it is done. */
        return;
    }
    /* Before libc has set up the environment (allocations made by the
     * loader itself), keep the defaults and try again on a later call. */
    if (__environ == NULL) {
        __atomic_store_n(&init_state, 0, __ATOMIC_RELEASE);
        return;
    }
    /* Start-up runs inside the program's first malloc or mmap: errno
     * (lstat of the report path, /proc reads...) is given back after. */
    int saved_errno = errno;
    ratmem_shim_guard++;
    ratmem_stderr_note_start();
    /* Parsed in place: the options are 32 KiB, mostly path buffers, and
     * each page of them written is a page fault at every process start
     * (copying them through the stack cost 16-24). */
    struct ratmem_options *o = &ratmem_shim_opts;
    ratmem_options_defaults_fresh(o);
    bool secure = getauxval(AT_SECURE) != 0;
    ratmem_options_parse(o, getenv("RATMEM_OPTIONS"), secure);
    if (o->help)
        ratmem_options_help(2);
    /* A report path that cannot be written is found now, with one warning,
     * rather than at exit (when stderr may be closed, or never reached by
     * a program that ends with _exit); the report goes to stderr.  Under
     * the launcher, which writes the run's report, the launcher checks. */
    if (o->leaks && !o->run_dir[0] && !ratmem_track_report_path_ok(o->report))
        o->report[0] = '\0';
    /* wx_allow: this executable gets wx=warn.  readlink of
     * /proc/self/exe opens no descriptor. */
    if (o->wx == RATMEM_WX_ENFORCE && o->wx_allow[0]) {
        char exe[RATMEM_PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0) {
            exe[n] = 0;
            if (ratmem_wx_exe_allowed(o->wx_allow, exe))
                o->wx = RATMEM_WX_WARN;
        }
    }
    shim_pid = getpid();
    /* skip/only; the launcher's start record. */
    if (!ratmem_track_run_start(&ratmem_shim_opts))
        ratmem_shim_opts.leaks = 0;
    if (o->quota) {
        __atomic_store_n(&ratmem_shim_quota.limit, o->quota, __ATOMIC_RELAXED);
        __atomic_store_n(&ratmem_shim_quota_on, 1, __ATOMIC_RELEASE);
    }
    if (o->dump_signal && !o->leaks)
        ratmem_msg("dump_signal needs leaks=1; no heap dumps");
    if (!o->leaks && (o->sample || o->profile[0] || o->profile_interval)) {
        ratmem_msg("sample, profile and profile_interval need leaks=1; ignored");
        o->sample = 0;
        o->profile[0] = '\0';
        o->profile_interval = 0;
    }
    if (o->profile_interval && !o->profile[0]) {
        ratmem_msg("profile_interval needs a profile= path; ignored");
        o->profile_interval = 0;
    }
    if (o->leaks) {
        ratmem_track_set_quota_source(quota_figures);
        ratmem_track_init(&ratmem_shim_opts);
    }
    if (o->leaks || o->run_dir[0])
        pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
    /* Under the launcher, each exit() status goes to the run's records. */
    if (o->run_dir[0])
        on_exit(on_exit_status, NULL);
    ratmem_shim_guard--;
    __atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
    /* The light path (shim.h) serves leaks=0 and sampled mode without a
     * quota; exact tracking and quotas take the full one. */
    __atomic_store_n(&ratmem_shim_light,
                     (!ratmem_shim_opts.leaks || ratmem_shim_opts.sample) &&
                         !__atomic_load_n(&ratmem_shim_quota_on, __ATOMIC_ACQUIRE),
                     __ATOMIC_RELEASE);
    __atomic_store_n(&ratmem_shim_ready, 1, __ATOMIC_RELEASE);
    errno = saved_errno;
}

__attribute__((constructor(101))) static void shim_constructor(void)
{
    shim_ensure_init();
    /* Threads are started here, not in ratmem_shim_init, which may run
     * inside the first malloc. */
    if (ratmem_shim_ready && ratmem_shim_opts.leaks)
        ratmem_dumpsig_start(ratmem_shim_opts.dump_signal, ratmem_shim_opts.profile_interval);
}

/* Leak report on demand: RatLeakReport(3) finds this with dlsym. */
SHIM_EXPORT int ratmem_preload_leak_report(const char *path)
{
    shim_ensure_init();
    if (!ratmem_shim_ready || !ratmem_shim_opts.leaks)
        return RAT_STATUS_UNSUPPORTED; /* tracking is off */
    ratmem_shim_guard++;
    int rc = ratmem_track_report(path, NULL);
    ratmem_shim_guard--;
    return rc == 0 ? RAT_STATUS_OK : RAT_STATUS_ERROR;
}

/* Heap dump on demand: RatHeapDump(3) finds this with dlsym. */
SHIM_EXPORT int ratmem_preload_heap_dump(const char *path)
{
    shim_ensure_init();
    if (!ratmem_shim_ready || !ratmem_shim_opts.leaks)
        return RAT_STATUS_UNSUPPORTED; /* tracking is off */
    int saved = errno;
    ratmem_shim_guard++;
    int err = ratmem_track_dump(path);
    ratmem_shim_guard--;
    errno = saved;
    switch (err) {
    case 0: return RAT_STATUS_OK;
    case EACCES: case EPERM: case EROFS: return RAT_STATUS_PERMISSION;
    case ENOENT: return RAT_STATUS_NOT_FOUND;
    case ENAMETOOLONG: return RAT_STATUS_INVALID_ARG;
    case ENOMEM: return RAT_STATUS_NO_MEMORY;
    default: return RAT_STATUS_ERROR;
    }
}

/* The quota, for RatMemSetQuota(3) and RatAPI's own mappings. */
SHIM_EXPORT void ratmem_preload_quota_set(size_t limit)
{
    __atomic_store_n(&ratmem_shim_quota.limit, limit, __ATOMIC_RELAXED);
    __atomic_store_n(&ratmem_shim_quota_on, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&ratmem_shim_light, 0, __ATOMIC_RELEASE); /* charges go the full way */
}

SHIM_EXPORT void ratmem_preload_quota_get(size_t *limit, size_t *used, size_t *peak)
{
    *limit = __atomic_load_n(&ratmem_shim_quota.limit, __ATOMIC_RELAXED);
    *used = __atomic_load_n(&ratmem_shim_quota.used, __ATOMIC_RELAXED);
    *peak = __atomic_load_n(&ratmem_shim_quota.peak, __ATOMIC_RELAXED);
}

SHIM_EXPORT int ratmem_preload_quota_charge(size_t n)
{
    return !shim_quota_on() || ratmem_quota_charge(&ratmem_shim_quota, n);
}

SHIM_EXPORT void ratmem_preload_quota_release(size_t n)
{
    if (shim_quota_on())
        ratmem_quota_release(&ratmem_shim_quota, n);
}

/* At exit: runs from _dl_fini, after the program's atexit handlers and the
 * destructors of objects finalized before this one. */
__attribute__((destructor(101))) static void shim_destructor(void)
{
    if (!ratmem_shim_ready || !ratmem_shim_opts.leaks)
        return;
    if (__atomic_exchange_n(&exit_done, 1, __ATOMIC_ACQ_REL))
        return;
    int saved = errno;
    ratmem_shim_guard++;
    /* A dump asked for before exit is written before the exit report. */
    ratmem_track_dump_pending();
    bool leaks = false;
    if (ratmem_shim_opts.profile[0])
        ratmem_track_profile();
    ratmem_track_report(NULL, &leaks);
    ratmem_shim_guard--;
    errno = saved;
    /* Under the launcher, exitcode= holds for the whole tree: the
     * launcher applies it. */
    if (leaks && ratmem_shim_opts.exitcode && !ratmem_shim_opts.run_dir[0]) {
        fflush(NULL);
        _exit(ratmem_shim_opts.exitcode);
    }
}

/* _exit and _Exit (the same function in glibc): under the launcher
 * (run_dir), a program image that ends with _exit (dash does, at the end
 * of every script) gets its exit report into the run, as with exit(), and
 * its exit status is recorded; as valgrind reports at exit_group.  With a
 * plain LD_PRELOAD nothing changes (no report, no line on stderr of a
 * program that relies on _exit to skip its exit work).  Only in the
 * process whose state this is
 * and not in a fork child: a vfork child (or a clone/_Fork child) shares
 * or copied the parent's state without the fork handler (its getpid()
 * differs from shim_pid) and must not touch it; a fork child that calls
 * _exit does so to leave the parent's copy of the heap alone (its blocks
 * are the parent's).  Never inside the shim (guard), never twice (a report
 * begun by exit() or another thread).  glibc's own calls (exit, the child
 * of posix_spawn) do not come through here. */
static void exit_report(int status)
{
    if (!__atomic_load_n(&ratmem_shim_ready, __ATOMIC_ACQUIRE) || ratmem_shim_guard ||
        shim_forked || !ratmem_shim_opts.run_dir[0] || getpid() != shim_pid)
        return;
    if (!__atomic_load_n(&exit_done, __ATOMIC_ACQUIRE))
        on_exit_status(status, NULL);
    shim_destructor();
}

SHIM_EXPORT __attribute__((noreturn)) void _exit(int status)
{
    exit_report(status);
    for (;;)
        syscall(SYS_exit_group, status);
}

SHIM_EXPORT __attribute__((noreturn)) void _Exit(int status)
{
    exit_report(status);
    for (;;)
        syscall(SYS_exit_group, status);
}
