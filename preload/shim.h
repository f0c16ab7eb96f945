/* shim.h - state shared by the preload entry points: options, start-up and
 * the per-thread reentrancy guard. */
#ifndef RATMEM_PRELOAD_SHIM_H
#define RATMEM_PRELOAD_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include "options.h"
#include "quota.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

/* The options, parsed once (shim.c owns them; read-only after start-up). */
extern struct ratmem_options ratmem_shim_opts;

/* Per-thread guard depth: non-zero while this thread is inside the shim's
 * own machinery (tracker, libunwind, libdw, the loader), so that their
 * allocations go straight to glibc.  Initial-exec TLS: no allocation on
 * first access. */
extern __thread int ratmem_shim_guard __attribute__((tls_model("initial-exec")));

/* Start-up state: true once options are parsed and the tracker is up. */
extern _Bool ratmem_shim_ready;
void ratmem_shim_init(void);

static inline void shim_ensure_init(void)
{
    if (__builtin_expect(!__atomic_load_n(&ratmem_shim_ready, __ATOMIC_ACQUIRE), 0))
        ratmem_shim_init();
}

/* The light path of the malloc family: the shim is up, this thread is not
 * inside it, and there is no exact tracking (leaks=0, or sampled mode) and
 * no quota.  An allocation then costs glibc's call, the zeroing and (in
 * sampled mode) a thread-local countdown, in an entry point small enough
 * to need few registers; anything else takes the full path.  Set once at
 * start-up (implies ratmem_shim_ready), cleared when a quota is set. */
extern _Bool ratmem_shim_light;
static inline bool shim_light(void)
{
    return __builtin_expect(__atomic_load_n(&ratmem_shim_light, __ATOMIC_ACQUIRE), 1) &&
           __builtin_expect(ratmem_shim_guard == 0, 1);
}

/* Tracking is on and this thread is not inside the shim already. */
static inline bool shim_tracking(void)
{
    return ratmem_shim_opts.leaks && ratmem_shim_ready && ratmem_shim_guard == 0;
}

/* Hand one event to the tracker, with the guard held, when tracking. */
#define SHIM_TRACK(call)                \
    do {                                \
        if (shim_tracking()) {          \
            ratmem_shim_guard++;        \
            call;                       \
            ratmem_shim_guard--;        \
        }                               \
    } while (0)

/* dumpsig.c: heap dumps (or, with profile=, heap profiles) on dump_signal
 * and heap profiles every profile_interval seconds.  start installs the
 * handler and the dumper thread (from the constructor; the thread only
 * when sig or interval is set); the fork child handler gives the child its
 * own thread. */
void ratmem_dumpsig_start(int sig, int interval);
void ratmem_dumpsig_atfork_child(void);

/* The process's quota (shim.c owns it; atomics).  Counting is on from
 * start-up when quota= is set, or from the first RatMemSetQuota call. */
extern struct ratmem_quota ratmem_shim_quota;
extern _Bool ratmem_shim_quota_on;
static inline bool shim_quota_on(void)
{
    /* The shim's own memory (tracker, libunwind) is not the program's. */
    return __builtin_expect(__atomic_load_n(&ratmem_shim_quota_on, __ATOMIC_RELAXED), 0) &&
           ratmem_shim_guard == 0;
}

/* glibc's allocator underneath (exported by libc.so.6 since 2.2.5). */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

#endif
