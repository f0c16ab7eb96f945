/* exempt.h - valid blocks that carry no record in the live-block table:
 * those allocated before the tracker started (the loader's and other
 * libraries' start-up), and those allocated inside the shim's own machinery
 * (its guard held: libunwind, libdw, pthread_getattr_np, a signal handler
 * that interrupted a tracked call).  They are never reported as leaks, but
 * the invalid-free check must know them: a free() of such a block is valid.
 *
 * A call may interrupt another on the same thread (a signal handler), so
 * none of them waits for a shard lock that its own thread holds: it gives
 * up, and an added block is counted untracked (rm_table_note_untracked). */
#ifndef RATMEM_TRACK_EXEMPT_H
#define RATMEM_TRACK_EXEMPT_H

#include <stdbool.h>
#include <stdint.h>

/* Record addr; when it cannot (shard held by this thread, no memory),
 * count it untracked. */
void rm_exempt_add(uintptr_t addr);
/* Drop addr's record if present; true when it was there.  wait: the
 * caller knows that it holds no shard lock (a top-level call); else a
 * shard held by this thread gives up (false). */
bool rm_exempt_remove(uintptr_t addr, bool wait);
/* Records held (tests). */
size_t rm_exempt_count(void);

/* fork(): lock every shard / unlock them. */
void rm_exempt_lock_all(void);
void rm_exempt_unlock_all(void);

#endif
