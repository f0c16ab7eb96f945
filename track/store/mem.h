/* mem.h - the tracker's own memory: mmap-backed, counted, bounded.  Never
 * malloc: the tracker runs inside the interposed allocator. */
#ifndef RATMEM_TRACK_MEM_H
#define RATMEM_TRACK_MEM_H

#include <stddef.h>

/* Upper bound on the tracker's persistent memory (tables, stacks, thread
 * slots).  Past it, new blocks go untracked (counted), nothing crashes. */
#define RM_MEM_LIMIT ((size_t)4 << 30)

/* Map len bytes (rounded up to pages) of zeroed, private, read-write memory.
 * NULL when the kernel refuses or when the limit would be passed.  scratch
 * memory (report-time buffers) is not held to the limit and counted apart. */
void *rm_mem_map(size_t len);
void *rm_mem_map_scratch(size_t len);
/* Assumes p and len as given to rm_mem_map(_scratch); p may be NULL. */
void rm_mem_unmap(void *p, size_t len);
void rm_mem_unmap_scratch(void *p, size_t len);

/* Scratch memory obtained elsewhere (the report heap's committed bytes):
 * counted with the scratch bytes, in the peak too. */
void rm_mem_scratch_add(size_t len);
void rm_mem_scratch_sub(size_t len);

/* Bytes currently mapped by rm_mem_map (persistent tracker memory). */
size_t rm_mem_bytes(void);
/* Peak of the persistent plus scratch bytes. */
size_t rm_mem_peak(void);

/* A bump arena: chunks from rm_mem_map, never freed one object at a time.
 * Not thread-safe by itself: its owner's lock protects it. */
struct rm_arena {
    char *cur;
    char *end;
};
/* Zeroed, 16-byte aligned; NULL when memory cannot be had. */
void *rm_arena_alloc(struct rm_arena *a, size_t len);

#endif
