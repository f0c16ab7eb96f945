/* table.h - the live-block table: address -> {size, stack id}.  A shadow
 * map with one word per 32-byte granule, updated lock-free; other keys in a
 * small locked overflow store (see table.c). */
#ifndef RATMEM_TRACK_TABLE_H
#define RATMEM_TRACK_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RM_SIZE_MAX ((UINT64_C(1) << 37) - 1)   /* sizes are clamped to this */
#define RM_STACK_ID_MAX ((UINT32_C(1) << 24) - 1)

/* One live block; 16 bytes.  addr 0 marks an empty slot. */
struct rm_block {
    uintptr_t addr;
    uint64_t size : 40;   /* clamped to RM_SIZE_MAX */
    uint64_t stack : 24;  /* stack id, 0 = unknown */
};

/* Few, scattered records (sampled mode): every record goes to the hash
 * table (the overflow store), none to the shadow map, whose pages a few
 * blocks spread over a large heap would touch one each (cc1 at
 * sample=512K: ~5 MiB resident for a dozen live blocks).  Once, at
 * start-up, before the first insert. */
void rm_table_set_sparse(bool sparse);

/* Record a block; replaces the record when addr is already present.  false
 * when tracker memory could not be had (the block is then untracked, and
 * counted by rm_table_untracked). */
bool rm_table_insert(uintptr_t addr, size_t size, uint32_t stack);
/* Drop the record of addr; false when addr is unknown (ignored). */
bool rm_table_remove(uintptr_t addr);
/* Look addr up; false when unknown. */
bool rm_table_lookup(uintptr_t addr, struct rm_block *out);

/* Live block count, and blocks that could not be tracked. */
size_t rm_table_count(void);
size_t rm_table_untracked(void);
void rm_table_note_untracked(void);

/* Copy every record into out (capacity cap), in no particular order;
 * returns the number copied (at most cap). */
size_t rm_table_snapshot(struct rm_block *out, size_t cap);

/* Drop every record (tests). */
void rm_table_clear(void);

/* fork(): lock every shard in index order / unlock them. */
void rm_table_lock_all(void);
void rm_table_unlock_all(void);

#endif
