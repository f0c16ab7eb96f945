/* gate.h - keeps fork() out of the stack capture.
 *
 * libunwind takes mutexes of its own (its global cache, its memory pool)
 * inside unw_backtrace.  A fork() while another thread holds one leaves it
 * locked forever in the child, whose first tracked allocation then hangs.
 * The fork handlers cannot take those locks, so they close this gate
 * instead: captures in progress finish, new ones wait until fork() has
 * returned in the parent. */
#ifndef RATMEM_TRACK_GATE_H
#define RATMEM_TRACK_GATE_H

/* Around every libunwind capture (the fast unwinder takes no lock and
 * needs no gate).  The fast path is one store with a full
 * fence and one load on the thread's own flag (no shared counter). */
void rm_gate_enter(void);
void rm_gate_leave(void);

/* fork(): close the gate and wait until no other thread is inside a
 * capture (before any tracker lock is taken); open it again in the parent
 * and in the child. */
void rm_gate_close(void);
void rm_gate_open(void);

#endif
