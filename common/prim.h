/* prim.h - OS primitives.  Tiny wrappers around the memory syscalls, made
 * with raw syscalls so that they never pass through an interposed mmap or
 * mprotect and never allocate.  Each returns 0 (or the address) on success
 * and -errno on failure, leaving errno alone. */
#ifndef RATMEM_CORE_PRIM_H
#define RATMEM_CORE_PRIM_H

#include <stddef.h>
#include <sys/types.h>

/* The page size (cached after the first call). */
size_t ratmem_page_size(void);

/* Round n up to a page multiple; 0 when that overflows. */
size_t ratmem_page_round(size_t n);

/* mmap(2) through the raw syscall.  Returns the address, or a value in
 * [-4095, -1] cast to void* on failure (test with ratmem_prim_failed). */
void *ratmem_prim_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
static inline int ratmem_prim_failed(void *p) { return (unsigned long)p > -4096UL; }
static inline int ratmem_prim_errno(void *p) { return -(int)(long)p; }

/* Assumes addr page-aligned.  0 or -errno. */
int ratmem_prim_munmap(void *addr, size_t len);
int ratmem_prim_mprotect(void *addr, size_t len, int prot);
int ratmem_prim_pkey_mprotect(void *addr, size_t len, int prot, int pkey);
int ratmem_prim_madvise(void *addr, size_t len, int advice);

/* Assumes addr page-aligned (huge-page-aligned in hugetlb), nodemask of maxnode-1 bits. */
int ratmem_prim_mbind(void *addr, size_t len, int mode, const unsigned long *nodemask,
                      unsigned long maxnode, unsigned flags);
/* Assumes nodemask NULL or of maxnode-1 bits, at least the kernel's node count. */
int ratmem_prim_get_mempolicy(int *mode, unsigned long *nodemask, unsigned long maxnode,
                              void *addr, unsigned long flags);

/* Grow an array that lives in pages mapped here: *cap doubles (or starts
 * at first), the used elements of elem bytes are copied over, the old pages
 * go.  Returns 0, or -ENOMEM leaving *arr and *cap as they were. */
int ratmem_prim_grow_array(void **arr, size_t *cap, size_t used, size_t elem, size_t first);

#endif
