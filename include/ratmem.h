/*
 * ratmem.h - the RatAPI: RatOS memory management for Linux.
 *
 * Heap allocation that always returns zeroed memory, VirtualAlloc-style
 * reserve/commit/protect/release with W^X enforced, named shared memory
 * with owner-only permissions, memory-mapped file views, and per-thread
 * status codes.  Every function is thread-safe.  See ratmem(3).
 */
#ifndef RATMEM_H
#define RATMEM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RAT_API __attribute__((visibility("default")))
#else
#define RAT_API
#endif

typedef void *RatMemPtr;

/* Status codes.  The first five are the spec's; later ones are additions. */
typedef enum {
    RAT_STATUS_OK,             /* success */
    RAT_STATUS_ERROR,          /* failure not covered below */
    RAT_STATUS_INVALID_ARG,    /* bad argument: size, flags, pointer, name */
    RAT_STATUS_NO_MEMORY,      /* out of memory or address space, overflow */
    RAT_STATUS_PERMISSION,     /* W^X violation, or EACCES/EPERM */
    RAT_STATUS_EXISTS,         /* shared memory name already exists */
    RAT_STATUS_NOT_FOUND,      /* shared memory name does not exist */
    RAT_STATUS_UNSUPPORTED     /* not available in this process */
} RatStatus;

typedef enum {
    RAT_MEM_COMMIT,
    RAT_MEM_RESERVE
} RatMemAllocType;

typedef enum {
    RAT_MEM_PRIVATE,
    RAT_MEM_SHARED
} RatMemMapType;

/* Protection flags: bits, combined with |.  RAT_MEM_WRITE|RAT_MEM_EXECUTE
 * together is always refused with RAT_STATUS_PERMISSION (W^X). */
#define RAT_MEM_NONE    0x0
#define RAT_MEM_READ    0x1
#define RAT_MEM_WRITE   0x2
#define RAT_MEM_EXECUTE 0x4

/* Heap allocation: RatMemAlloc(3).  Every byte handed out is zero. */
RAT_API RatMemPtr RatMemAlloc(size_t size);
RAT_API RatMemPtr RatMemCalloc(size_t count, size_t size);
RAT_API RatMemPtr RatMemRealloc(RatMemPtr ptr, size_t newSize);
RAT_API RatStatus RatMemFree(RatMemPtr ptr);

/* Virtual memory: RatMemReserve(3). */
RAT_API RatMemPtr RatMemReserve(size_t size);
RAT_API RatStatus RatMemCommit(RatMemPtr ptr, size_t size, int protectionFlags);
RAT_API RatStatus RatMemDecommit(RatMemPtr ptr, size_t size);
RAT_API RatStatus RatMemProtect(RatMemPtr ptr, size_t size, int protectionFlags);
RAT_API RatStatus RatMemRelease(RatMemPtr ptr, size_t size);

/* Shared memory: RatSharedMemCreate(3). */
RAT_API RatMemPtr RatSharedMemCreate(const char *name, size_t size);
RAT_API RatMemPtr RatSharedMemOpen(const char *name);
RAT_API RatStatus RatSharedMemClose(RatMemPtr ptr);
RAT_API RatStatus RatSharedMemUnlink(const char *name);
RAT_API RatStatus RatSharedMemSize(RatMemPtr ptr, size_t *size);

/* Memory-mapped file views: RatFileMapView(3). */
RAT_API RatMemPtr RatFileMapView(int fd, size_t offset, size_t length,
                                 int protectionFlags, RatMemMapType type);
RAT_API RatStatus RatFileUnmapView(RatMemPtr ptr);

/* Status: RatGetLastError(3). */
RAT_API RatStatus RatGetLastError(void);
RAT_API const char *RatStatusString(RatStatus status);

/* Quota on bytes in use, heap and mappings together: RatMemSetQuota(3).
 * limit 0 means no limit.  Past it, allocations fail with
 * RAT_STATUS_NO_MEMORY (NULL with ENOMEM under the preload shim). */
RAT_API RatStatus RatMemSetQuota(size_t limit);
RAT_API RatStatus RatMemGetQuota(size_t *limit, size_t *used, size_t *peak);

/* Leak report on demand, under libratmem-preload.so: RatLeakReport(3).
 * path NULL writes where the report= option says (default stderr). */
RAT_API RatStatus RatLeakReport(const char *path);

/* Heap dump on demand, under libratmem-preload.so: RatHeapDump(3).  Every
 * live block grouped by allocation stack, for comparing over time with
 * `ratmem diff`.  path NULL writes where the dump= option says (default:
 * the report= path followed by ".dump.N"); "%p" = pid, "%n" = dump number. */
RAT_API RatStatus RatHeapDump(const char *path);

/* Huge pages: RatMemReserveHuge(3).  A reservation whose size is rounded up
 * to RatMemHugePageSize() and whose base is aligned to it, backed by
 * explicit huge pages (MAP_HUGETLB) when the system has enough free ones,
 * else by transparent huge pages (madvise MADV_HUGEPAGE) when THP is not
 * "never", else by normal pages; *got (may be NULL) says which.  It is an
 * ordinary reservation for RatMemCommit, RatMemDecommit, RatMemProtect and
 * RatMemRelease; with explicit huge pages those work in whole huge pages. */
typedef enum {
    RAT_PAGES_NORMAL,           /* normal pages */
    RAT_PAGES_HUGE_TRANSPARENT, /* eligible for transparent huge pages */
    RAT_PAGES_HUGE_EXPLICIT     /* explicit (hugetlb) huge pages, reserved */
} RatPageKind;

RAT_API size_t RatMemHugePageSize(void);
RAT_API RatMemPtr RatMemReserveHuge(size_t size, RatPageKind *got);

/* NUMA placement: RatNumaNodeCount(3).  Node numbers run from 0 to
 * RatNumaNodeCount()-1.  RatMemSetNumaPolicy sets the memory policy of
 * the pages of a live reservation (mbind(2)); node is ignored for
 * RAT_NUMA_DEFAULT, and RAT_NUMA_ALL_NODES means every node the process
 * may use for RAT_NUMA_BIND and RAT_NUMA_INTERLEAVE. */
typedef enum {
    RAT_NUMA_DEFAULT,           /* the thread's policy (usually local node) */
    RAT_NUMA_PREFERRED,         /* try this node first, fall back to others */
    RAT_NUMA_BIND,              /* only these nodes */
    RAT_NUMA_INTERLEAVE         /* spread page by page over these nodes */
} RatNumaPolicy;

#define RAT_NUMA_ALL_NODES (-1)

RAT_API int RatNumaNodeCount(void);
RAT_API RatStatus RatMemSetNumaPolicy(RatMemPtr ptr, size_t size, RatNumaPolicy policy,
                                      int node);

#ifdef __cplusplus
}
#endif

#endif /* RATMEM_H */
