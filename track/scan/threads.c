/* threads.c - the thread registry (see threads.h).
 *
 * A thread registers on its first tracked event: it takes a slot (reusing
 * a free one) holding its stack bounds from pthread_getattr_np, and sets a
 * pthread key whose destructor frees the slot when the thread exits, so a
 * finished thread's stale stack does not hide its leaks. */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fdhigh.h"
#include "mem.h"
#include "fastunwind.h"
#include "stackdb.h"
#include "stats.h"
#include "threads.h"

struct rm_slot {
    struct rm_slot *next;   /* list of every slot ever made */
    pthread_t tid;
    uintptr_t lo, hi;
    bool used;
    /* 1 while the thread is inside the stack capture (gate.c); written by
     * its thread, read by a forking thread. */
    _Atomic int busy;
};

/* The slot list and its arena: guarded by rm_reg_lock. */
static pthread_mutex_t rm_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rm_slot *rm_reg_head;
static struct rm_arena rm_reg_arena;
static size_t rm_reg_used;
/* The key whose destructor deregisters; created once by rm_threads_init. */
static pthread_key_t rm_reg_key;
static _Atomic int rm_reg_key_ok;

/* Per-thread state, owned by its thread: 0 = not registered, 1 =
 * registered, 2 = exited (events from late destructors do not register
 * again); and the thread's slot. */
__thread int rm_threads_state __attribute__((tls_model("initial-exec")));
__thread uintptr_t rm_threads_lo __attribute__((tls_model("initial-exec")));
__thread uintptr_t rm_threads_hi __attribute__((tls_model("initial-exec")));
static __thread struct rm_slot *rm_reg_self __attribute__((tls_model("initial-exec")));

static void rm_reg_destroy(void *arg)
{
    struct rm_slot *s = arg;
    pthread_mutex_lock(&rm_reg_lock);
    if (s && s->used) {
        s->used = false;
        rm_reg_used--;
    }
    pthread_mutex_unlock(&rm_reg_lock);
    rm_reg_self = NULL;
    rm_threads_lo = rm_threads_hi = 0;
    rm_threads_state = 2;
    rm_fastunwind_thread_exit();
    rm_stackdb_thread_exit();
    rm_stats_thread_exit();
}

void rm_threads_init(void)
{
    if (!atomic_load(&rm_reg_key_ok) && pthread_key_create(&rm_reg_key, rm_reg_destroy) == 0)
        atomic_store(&rm_reg_key_ok, 1);
}

extern void *__libc_stack_end;

/* The initial thread's stack as glibc's pthread_getattr_np computes it
 * (nptl/pthread_getattr_np.c: the mapping holding __libc_stack_end, the
 * stack ending with the page after __libc_stack_end, RLIMIT_STACK long
 * but not reaching the mapping below), without its stdio and sscanf over
 * /proc/self/maps (about 160 000 instructions, and a FILE and a line
 * buffer from the program's heap, and a descriptor in the lowest free
 * number): one pass of a hex parser over the file read through a
 * high descriptor.  false when this thread's stack is not that one (not
 * the initial thread, a fork child of another thread) or on any doubt:
 * the caller asks glibc then. */
static bool initial_stack_bounds(uintptr_t *lo, uintptr_t *hi)
{
    uintptr_t end = (uintptr_t)__libc_stack_end;
    struct rlimit rl;
    if (!end || syscall(SYS_gettid) != getpid() || getrlimit(RLIMIT_STACK, &rl) != 0)
        return false;
    int fd = ratmem_fd_open("/proc/self/maps", O_RDONLY, 0);
    if (fd < 0)
        return false;
    char buf[4096];
    uintptr_t v[2] = { 0, 0 }, last_to = 0, from = 0, to = 0;
    int field = 0;   /* 0: lo, 1: hi, 2: the rest of the line */
    bool found = false;
    for (;;) {
        ssize_t k = read(fd, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        for (ssize_t i = 0; i < k && !found; i++) {
            char c = buf[i];
            if (field < 2 && c == (field ? ' ' : '-')) {
                field++;
                if (field == 2) {
                    if (v[0] <= end && end < v[1]) {
                        from = v[0];
                        to = v[1];
                        found = true;
                    } else {
                        last_to = v[1];
                    }
                }
            } else if (field < 2) {
                v[field] = v[field] * 16 +
                           (uintptr_t)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
            } else {
                /* The rest of the line: skipped at memchr's speed. */
                const char *nl = memchr(buf + i, '\n', (size_t)(k - i));
                if (!nl)
                    break;
                i = nl - buf;
                field = 0;
                v[0] = v[1] = 0;
            }
        }
        if (found)
            break;
    }
    close(fd);
    if (!found || from > end)
        return false;
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t stackaddr = (end & -pg) + pg;
    size_t size = (size_t)rl.rlim_cur - (size_t)(to - stackaddr);
    size &= -(size_t)pg;
    if (size > stackaddr - last_to)
        size = stackaddr - last_to;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if (sp < stackaddr - size || sp >= stackaddr)
        return false;
    *lo = stackaddr - size;
    *hi = stackaddr;
    return true;
}

void rm_threads_stack_bounds(uintptr_t *lo, uintptr_t *hi)
{
    if (initial_stack_bounds(lo, hi))
        return;
    pthread_attr_t a;
    void *addr = NULL;
    size_t size = 0;
    *lo = *hi = 0;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        if (pthread_attr_getstack(&a, &addr, &size) == 0) {
            *lo = (uintptr_t)addr;
            *hi = (uintptr_t)addr + size;
        }
        pthread_attr_destroy(&a);
    }
}

void rm_threads_ensure_slow(void)
{
    rm_threads_state = 1;   /* first: pthread_getattr_np may allocate */
    uintptr_t lo, hi;
    rm_threads_stack_bounds(&lo, &hi);
    pthread_mutex_lock(&rm_reg_lock);
    struct rm_slot *s = rm_reg_head;
    while (s && s->used)
        s = s->next;
    if (!s) {
        s = rm_arena_alloc(&rm_reg_arena, sizeof *s);
        if (s) {
            s->next = rm_reg_head;
            rm_reg_head = s;
        }
    }
    if (s) {
        s->used = true;
        s->tid = pthread_self();
        s->lo = lo;
        s->hi = hi;
        rm_reg_used++;
    }
    pthread_mutex_unlock(&rm_reg_lock);
    rm_reg_self = s;
    rm_threads_lo = s ? lo : 0;
    rm_threads_hi = s ? hi : 0;
    if (s && atomic_load(&rm_reg_key_ok))
        pthread_setspecific(rm_reg_key, s);
}

size_t rm_threads_list(struct rm_thread_info *out, size_t cap)
{
    size_t n = 0;
    pthread_t me = pthread_self();
    pthread_mutex_lock(&rm_reg_lock);
    for (struct rm_slot *s = rm_reg_head; s; s = s->next) {
        if (!s->used)
            continue;
        if (n < cap) {
            out[n].lo = s->lo;
            out[n].hi = s->hi;
            out[n].self = pthread_equal(s->tid, me);
        }
        n++;
    }
    pthread_mutex_unlock(&rm_reg_lock);
    return n;
}

size_t rm_threads_count(void)
{
    pthread_mutex_lock(&rm_reg_lock);
    size_t n = rm_reg_used;
    pthread_mutex_unlock(&rm_reg_lock);
    return n;
}

void rm_threads_lock(void)
{
    pthread_mutex_lock(&rm_reg_lock);
}

void rm_threads_unlock(void)
{
    pthread_mutex_unlock(&rm_reg_lock);
}

_Atomic int *rm_threads_busy_flag(void)
{
    return rm_reg_self ? &rm_reg_self->busy : NULL;
}

bool rm_threads_any_busy(void)
{
    bool any = false;
    pthread_mutex_lock(&rm_reg_lock);
    for (struct rm_slot *s = rm_reg_head; s && !any; s = s->next)
        if (s != rm_reg_self && atomic_load(&s->busy))
            any = true;
    pthread_mutex_unlock(&rm_reg_lock);
    return any;
}

void rm_threads_reset_child(void)
{
    /* Called in the child with the lock released: only this thread lives. */
    pthread_mutex_lock(&rm_reg_lock);
    rm_reg_used = 0;
    for (struct rm_slot *s = rm_reg_head; s; s = s->next) {
        if (s == rm_reg_self && s->used) {
            s->tid = pthread_self();
            rm_reg_used++;
        } else {
            s->used = false;
        }
    }
    pthread_mutex_unlock(&rm_reg_lock);
}
