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

/* The calling thread's trace tree (as heaptrack's): a node is a stack
 * path from the outermost frame, named by (parent node, return address);
 * node 0 is the empty path.  A capture whose older frames' node is known
 * finds its own with one probe per newer frame, and a node keeps its
 * stack id, so a known stack costs neither a hash nor a compare.  Node
 * ids of one thread, valid while rm_trace_gen stays the same (a full
 * tree starts again, bigger).  rm_trace_gen: 0 = no tree (no memory, or
 * the thread ends).  rm_trace_child: RM_TRACE_NONE when the tree just
 * filled up (rm_trace_gen changed).  rm_trace_stack: the stack id of
 * node's path cut to its max innermost frames (interned on the first
 * ask), 0 as rm_stackdb_intern. */
#define RM_TRACE_NONE UINT32_MAX
extern __thread unsigned rm_tt_gen __attribute__((tls_model("initial-exec")));
unsigned rm_trace_start(void);
static inline unsigned rm_trace_gen(void)
{
    unsigned g = rm_tt_gen;
    return __builtin_expect(g != 0, 1) ? g : rm_trace_start();
}
/* A node's slot is found from its path hash (rm_trace_hash of its
 * parent's path hash and its return address; the empty path's is
 * RM_TRACE_ROOT_HASH), not from the parent's id: the slots of all the new
 * frames of a capture are known before the first probe, so that they can
 * be fetched at once (rm_trace_prefetch) instead of one cache miss after
 * another.  h is the path hash of (parent, ra). */
#define RM_TRACE_ROOT_HASH UINT64_C(0x243f6a8885a308d3)
static inline uint64_t rm_trace_hash(uint64_t parent_hash, uintptr_t ra)
{
    uint64_t h = (parent_hash ^ (uint64_t)ra) * UINT64_C(0x9e3779b97f4a7c15);
    return h ^ (h >> 29);
}
struct rm_tt_node;
struct rm_tt {
    struct rm_tt_node *n;
    unsigned bits;
    uint32_t count, limit;
};
extern __thread struct rm_tt rm_tt __attribute__((tls_model("initial-exec")));
static inline void rm_trace_prefetch(uint64_t h)
{
    if (__builtin_expect(rm_tt.n != NULL, 1))
        __builtin_prefetch((const char *)rm_tt.n + (h >> (64 - rm_tt.bits)) * 16);
}
uint32_t rm_trace_child(uint32_t parent, uintptr_t ra, uint64_t h);
uint32_t rm_trace_stack(uint32_t node, unsigned max);

/* The calling thread ends: its cache of recent stacks and trace tree go. */
void rm_stackdb_thread_exit(void);

/* Number of distinct stacks stored. */
uint32_t rm_stackdb_count(void);

/* fork(): lock every shard in index order / unlock them. */
void rm_stackdb_lock_all(void);
void rm_stackdb_unlock_all(void);

#endif
