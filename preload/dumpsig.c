/* dumpsig.c - heap dumps on a signal (RATMEM_OPTIONS=dump_signal=USR2) for
 * programs nobody can change.
 *
 * The handler writes no dump itself (a dump allocates, takes locks and
 * reads debug info: nothing of it is async-signal-safe).  It copies the
 * live blocks (raw mappings and the lock-free table: the dump describes
 * the heap at the moment it was asked for), unless its thread was inside
 * the shim, then posts a semaphore, which sem_post(3) may do in a handler,
 * and calls the handler that was installed before it, if any.  A dumper
 * thread, started by the shim's constructor, waits on the semaphore,
 * copies the blocks of requests the handler could not copy, and writes
 * every copy not written yet, one dump each, with
 * the shim's guard held for its whole life, so that its own allocations go
 * untracked and uncharged.  It blocks every signal and is detached: exit()
 * ends it.  A process whose threads all end with pthread_exit would live on
 * for it, so once a second it looks whether it is the last thread left and
 * then ends the process with exit(0), as glibc does for the last thread.
 * A fork child gets a fresh semaphore and its own thread from the fork
 * handler; an execve'd program starts over.
 *
 * With profile=PATH the same thread writes heap profiles: on the signal
 * (after the heap dump), and every
 * profile_interval seconds (a timed wait on the monotonic clock; the
 * thread exists only when dump_signal or profile_interval is set, and is
 * the one thread of ratmem's a program can see).
 *
 * The program's own sigaction(2) for the signal replaces ours: the
 * program's handler wins and dumps stop until ratmem's action is put back
 * (a program that restores the action it found restores ours). */
#define _GNU_SOURCE
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "fdhigh.h"
#include "msg.h"
#include "shim.h"
#include "track.h"

/* Owned by this file.  dump_sig is set once by ratmem_dumpsig_start (in the
 * constructor, single-threaded) and read-only afterwards; dump_prev too.
 * dump_sem is re-initialised only in a fork child, before its thread. */
static int dump_sig;
static int profile_every;   /* seconds; 0 = none */
static struct sigaction dump_prev;
static sem_t dump_sem;

static void on_dump_signal(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;
    /* The dump describes the heap now: the live blocks are copied here,
     * unless this thread was inside the shim (then the dump thread copies
     * them as soon as it runs). */
    uint64_t ms = ratmem_track_now_ms();
    bool here = ratmem_shim_guard == 0;
    ratmem_shim_guard++;
    ratmem_track_dump_request(ms, here);
    ratmem_shim_guard--;
    sem_post(&dump_sem);
    errno = saved;
    /* Chain to the handler that was there before ours. */
    void (*h)(int) = dump_prev.sa_handler;
    if (h == SIG_DFL || h == SIG_IGN || !h)
        return;
    if (dump_prev.sa_flags & SA_SIGINFO)
        dump_prev.sa_sigaction(sig, si, uc);
    else
        h(sig);
}

/* The state letter of /proc/self/task/<tid>/stat or, for tid 0, the
 * number of threads of /proc/self/stat; -1 when unreadable. */
static long proc_stat(pid_t tid)
{
    char path[64], buf[1024];
    if (tid)
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    else
        snprintf(path, sizeof path, "/proc/self/stat");
    int fd = ratmem_fd_open(path, O_RDONLY, 0);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *p = strrchr(buf, ')');   /* the command name may hold anything */
    if (!p || p[1] != ' ')
        return -1;
    p += 2;                        /* field 3, the state */
    if (tid)
        return (unsigned char)*p;
    for (int field = 3; field < 20; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -1;
        p++;
    }
    return strtol(p, NULL, 10);    /* field 20, num_threads */
}

/* True when every other thread of the process has ended (an exited main
 * thread stays a zombie until the process ends). */
static bool last_thread(void)
{
    long n = proc_stat(0);
    if (n < 1 || n > 2)
        return false;
    if (n == 1)
        return true;
    int dfd = ratmem_fd_open("/proc/self/task", O_RDONLY | O_DIRECTORY, 0);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d && dfd >= 0)
        close(dfd);
    if (!d)
        return false;
    pid_t self = gettid();
    bool alone = true;
    struct dirent *e;
    while (alone && (e = readdir(d))) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0 || tid == self)
            continue;
        long st = proc_stat(tid);
        if (st != 'Z' && st != 'X' && st != -1)
            alone = false;
    }
    closedir(d);
    return alone;
}

/* A post: the heap dumps asked for, then, with profile=, a profile. */
static void on_post(void)
{
    ratmem_track_dump_pending();
    if (ratmem_shim_opts.profile[0])
        ratmem_track_profile();
}

static void *dumper(void *arg)
{
    (void)arg;
    ratmem_shim_guard++;   /* for good: this thread is the shim's own */
    struct timespec next;  /* the next profile, CLOCK_MONOTONIC */
    clock_gettime(CLOCK_MONOTONIC, &next);
    next.tv_sec += profile_every;
    for (;;) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += 1;    /* at least once a second: the last-thread check */
        if (profile_every && (next.tv_sec < ts.tv_sec ||
                              (next.tv_sec == ts.tv_sec && next.tv_nsec < ts.tv_nsec)))
            ts = next;
        if (sem_clockwait(&dump_sem, CLOCK_MONOTONIC, &ts) == 0) {
            on_post();
            continue;
        }
        if (errno != ETIMEDOUT)
            continue;
        if (profile_every) {
            clock_gettime(CLOCK_MONOTONIC, &ts);
            if (ts.tv_sec > next.tv_sec ||
                (ts.tv_sec == next.tv_sec && ts.tv_nsec >= next.tv_nsec)) {
                ratmem_track_profile();
                next.tv_sec += profile_every;
                if (next.tv_sec < ts.tv_sec)   /* fell behind (a stopped process) */
                    next = ts, next.tv_sec += profile_every;
            }
        }
        if (last_thread()) {
            ratmem_shim_guard--;
            exit(0);       /* what glibc does when the last thread ends */
        }
    }
    return NULL;
}

/* Start the dumper thread with every signal blocked (it inherits the mask),
 * so that no signal of the program is ever delivered to it. */
static bool start_thread(void)
{
    sigset_t all, old;
    pthread_attr_t attr;
    pthread_t t;
    if (sem_init(&dump_sem, 0, 0) != 0)
        return false;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int err = pthread_create(&t, &attr, dumper, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        ratmem_msg("cannot start the heap dump thread (%s); dump_signal ignored", strerror(err));
        return false;
    }
    pthread_setname_np(t, "ratmem-dump");
    return true;
}

void ratmem_dumpsig_start(int sig, int interval)
{
    if ((!sig && !interval) || dump_sig || profile_every)
        return;
    ratmem_shim_guard++;
    profile_every = interval;
    if (start_thread() && sig) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_dump_signal;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        if (sigaction(sig, &sa, &dump_prev) == 0)
            dump_sig = sig;
        else
            ratmem_msg("cannot handle signal %d (%s); dump_signal ignored", sig, strerror(errno));
    }
    ratmem_shim_guard--;
}

/* Fork child (guard held by the caller): the parent's pending posts are not
 * the child's, and the parent's thread did not come along. */
void ratmem_dumpsig_atfork_child(void)
{
    if (dump_sig || profile_every)
        start_thread();
}
