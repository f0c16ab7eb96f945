/* gate.c - keeps fork() out of the stack capture (see gate.h).
 *
 * Dekker-style: a capturing thread sets its own busy flag, then looks at
 * rm_gate_closed; a forking thread sets rm_gate_closed, then looks at every
 * busy flag.  Both with sequentially consistent order, so at least one of
 * them sees the other.  Threads without a registry slot (events after their
 * thread-exit destructor) count in rm_gate_slow instead. */
#include "config.h"
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include "threads.h"
#include "gate.h"

/* 1 while a fork is being prepared: set and cleared by the forking thread
 * (its fork handlers); read by capturing threads. */
static _Atomic int rm_gate_closed;
/* Captures in progress by threads that have no busy flag. */
static _Atomic long rm_gate_slow;
/* The flag this thread raised in rm_gate_enter (NULL: it used the slow
 * counter); owned by the thread. */
static __thread _Atomic int *rm_gate_mine __attribute__((tls_model("initial-exec")));
/* 1 while this thread counts in rm_gate_slow; owned by the thread. */
static __thread int rm_gate_in_slow __attribute__((tls_model("initial-exec")));

void rm_gate_enter(void)
{
    _Atomic int *f = rm_threads_busy_flag();
    rm_gate_mine = f;
    for (;;) {
        if (f)
            atomic_store(f, 1);
        else
            atomic_fetch_add(&rm_gate_slow, 1);
        rm_gate_in_slow = !f;
        if (!atomic_load(&rm_gate_closed))
            return;
        /* A fork is being prepared: step back and wait for it. */
        if (f)
            atomic_store(f, 0);
        else
            atomic_fetch_sub(&rm_gate_slow, 1);
        rm_gate_in_slow = 0;
        while (atomic_load(&rm_gate_closed))
            sched_yield();
    }
}

void rm_gate_leave(void)
{
    _Atomic int *f = rm_gate_mine;
    if (f)
        atomic_store_explicit(f, 0, memory_order_release);
    else
        atomic_fetch_sub(&rm_gate_slow, 1);
    rm_gate_in_slow = 0;
}

void rm_gate_close(void)
{
    atomic_store(&rm_gate_closed, 1);
    /* The forking thread's own flag (or count) is skipped: it is set only
     * when a signal handler forks in the middle of this thread's capture,
     * and waiting for it would never end. */
    while (rm_threads_any_busy() || atomic_load(&rm_gate_slow) > rm_gate_in_slow)
        sched_yield();
}

void rm_gate_open(void)
{
    atomic_store(&rm_gate_closed, 0);
}
