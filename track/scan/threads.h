/* threads.h - the registry of live threads' stacks: roots for the scan. */
#ifndef RATMEM_TRACK_THREADS_H
#define RATMEM_TRACK_THREADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Once, from ratmem_track_init: creates the pthread key whose destructor
 * deregisters an exiting thread. */
void rm_threads_init(void);

/* Register the calling thread on its first event (inline when done). */
extern __thread int rm_threads_state __attribute__((tls_model("initial-exec")));
void rm_threads_ensure_slow(void);
static inline void rm_threads_ensure(void)
{
    if (__builtin_expect(rm_threads_state == 0, 0))
        rm_threads_ensure_slow();
}

struct rm_thread_info {
    uintptr_t lo, hi;      /* the whole stack mapping incl. static TLS */
    bool self;             /* the calling thread */
};
/* Copy the registered threads into out (capacity cap); returns the number
 * of registered threads (may exceed cap). */
size_t rm_threads_list(struct rm_thread_info *out, size_t cap);
size_t rm_threads_count(void);
/* The calling thread's registered stack mapping; false when unregistered
 * or unknown.  (Copies of its registry slot's bounds, per thread.) */
extern __thread uintptr_t rm_threads_lo __attribute__((tls_model("initial-exec")));
extern __thread uintptr_t rm_threads_hi __attribute__((tls_model("initial-exec")));
static inline bool rm_threads_self_stack(uintptr_t *lo, uintptr_t *hi)
{
    uintptr_t l = rm_threads_lo, h = rm_threads_hi;
    if (l >= h)
        return false;
    *lo = l;
    *hi = h;
    return true;
}
/* The calling thread's stack as pthread_getattr_np gives it ([0, 0)
 * when unknown); the initial thread's without glibc's stdio parse of
 * /proc/self/maps (no allocation, a high descriptor). */
void rm_threads_stack_bounds(uintptr_t *lo, uintptr_t *hi);

/* The calling thread's "inside the stack capture" flag (NULL when it has
 * no slot), and whether any other thread's flag is set (gate.c). */
_Atomic int *rm_threads_busy_flag(void);
bool rm_threads_any_busy(void);

/* fork(): lock / unlock the registry; in the child, drop every thread but
 * the calling one. */
void rm_threads_lock(void);
void rm_threads_unlock(void);
void rm_threads_reset_child(void);

#endif
