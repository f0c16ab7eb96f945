/* wait.c - the interposed wait family (wait, waitpid, wait3, wait4,
 * waitid): under the ratmem launcher (run_dir), how each child that the
 * program reaps ended goes to the run's records, so that the launcher can
 * say why a process wrote no report (killed by SIGKILL...).  Otherwise
 * each call is the real one and nothing more.  The real functions are
 * found once with dlsym(RTLD_NEXT). */
#define _GNU_SOURCE
#include "config.h"
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "shim.h"
#include "track.h"

/* The real function named name, looked up once (relaxed atomics: racing
 * threads store the same value). */
static void *real(void *_Atomic *slot, const char *name)
{
    void *fn = __atomic_load_n(slot, __ATOMIC_RELAXED);
    if (!fn) {
        ratmem_shim_guard++;   /* dlsym may allocate (its error buffer) */
        fn = dlsym(RTLD_NEXT, name);
        ratmem_shim_guard--;
        __atomic_store_n(slot, fn, __ATOMIC_RELAXED);
    }
    return fn;
}

static void reaped(pid_t pid, int status)
{
    if (pid <= 0 || !ratmem_shim_ready || !ratmem_shim_opts.run_dir[0])
        return;
    if (!WIFEXITED(status) && !WIFSIGNALED(status))
        return;
    int saved = errno;
    ratmem_shim_guard++;
    ratmem_track_run_reaped(pid, status);
    ratmem_shim_guard--;
    errno = saved;
}

typedef pid_t (*wait4_fn)(pid_t, int *, int, struct rusage *);
typedef pid_t (*waitpid_fn)(pid_t, int *, int);
typedef pid_t (*wait_fn)(int *);
typedef pid_t (*wait3_fn)(int *, int, struct rusage *);
typedef int (*waitid_fn)(idtype_t, id_t, siginfo_t *, int);

#define REAL(name) \
    static void *_Atomic slot_##name; \
    name##_fn fn = (name##_fn)real(&slot_##name, #name); \
    if (!fn) { \
        errno = ENOSYS; \
        return -1; \
    }

SHIM_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
    REAL(wait4);
    int st = 0;
    pid_t r = fn(pid, &st, options, ru);
    if (r > 0) {
        reaped(r, st);
        if (status)
            *status = st;
    }
    return r;
}

SHIM_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
    REAL(waitpid);
    int st = 0;
    pid_t r = fn(pid, &st, options);
    if (r > 0) {
        reaped(r, st);
        if (status)
            *status = st;
    }
    return r;
}

SHIM_EXPORT pid_t wait(int *status)
{
    REAL(wait);
    int st = 0;
    pid_t r = fn(&st);
    if (r > 0) {
        reaped(r, st);
        if (status)
            *status = st;
    }
    return r;
}

SHIM_EXPORT pid_t wait3(int *status, int options, struct rusage *ru)
{
    REAL(wait3);
    int st = 0;
    pid_t r = fn(&st, options, ru);
    if (r > 0) {
        reaped(r, st);
        if (status)
            *status = st;
    }
    return r;
}

SHIM_EXPORT int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
    REAL(waitid);
    int r = fn(idtype, id, info, options);
    /* WNOWAIT leaves the child to be reaped again later. */
    if (r == 0 && info && info->si_pid > 0 && !(options & WNOWAIT)) {
        if (info->si_code == CLD_EXITED)
            reaped(info->si_pid, (info->si_status & 0xff) << 8);
        else if (info->si_code == CLD_KILLED || info->si_code == CLD_DUMPED)
            reaped(info->si_pid, info->si_status & 0x7f);
    }
    return r;
}
