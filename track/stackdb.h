/* stackdb.h - distinct allocation stacks, stored once each and named by a
 * small id (1..RM_STACK_ID_MAX); 0 means "no stack". */
#ifndef RATMEM_TRACK_STACKDB_H
#define RATMEM_TRACK_STACKDB_H

#include <stdint.h>

#define RM_STACK_MAX_DEPTH 256

struct rm_stack {
    uint64_t hash;
    uint32_t id;
    uint32_t depth;
    uintptr_t pc[];   /* depth return addresses, innermost first */
};

/* Hash of a stack (the same function the store uses). */
uint64_t rm_stack_hash(const uintptr_t *pc, unsigned depth);

/* The id of the stack pc[0..depth) with hash h (rm_stack_hash), storing it
 * when new.  0 when tracker memory cannot be had or ids ran out.  A
 * per-thread cache (16384 recent stacks) answers repeated ones without a
 * lock. */
uint32_t rm_stackdb_intern(const uintptr_t *pc, unsigned depth, uint64_t h);

/* The stored stack of id, or NULL.  Lock-free; records never change. */
const struct rm_stack *rm_stackdb_get(uint32_t id);

/* The calling thread ends: its cache of recent stacks goes. */
void rm_stackdb_thread_exit(void);

/* Number of distinct stacks stored. */
uint32_t rm_stackdb_count(void);

/* fork(): lock every shard in index order / unlock them. */
void rm_stackdb_lock_all(void);
void rm_stackdb_unlock_all(void);

#endif
