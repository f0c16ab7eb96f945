/* mapacct.h - the set of address ranges a program mapped itself (mmap,
 * mremap), so that munmap gives back to the quota exactly what was charged
 * for it.  Used by the preload shim only while a quota is set. */
#ifndef RATMEM_COMMON_MAPACCT_H
#define RATMEM_COMMON_MAPACCT_H

#include <stdbool.h>
#include <stddef.h>

/* Record [addr, addr+len); len page-rounded by the caller.  False when the
 * set cannot grow (the range is then simply not accounted). */
bool ratmem_mapacct_add(void *addr, size_t len);
/* Drop [addr, addr+len) from the set; returns the bytes that were in it. */
size_t ratmem_mapacct_remove(void *addr, size_t len);
/* Bytes of [addr, addr+len) in the set, without changing it. */
size_t ratmem_mapacct_overlap(void *addr, size_t len);

void ratmem_mapacct_lock(void);   /* fork prepare */
void ratmem_mapacct_unlock(void); /* fork parent and child */

#endif
