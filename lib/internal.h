/* internal.h - shared by the files of libratmem; never installed. */
#ifndef RATMEM_LIB_INTERNAL_H
#define RATMEM_LIB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include "ratmem.h"

/* status.c: record a failure for RatGetLastError() and return it. */
RatStatus ratmem_fail(RatStatus s);
/* Same, for functions returning a pointer: records s, returns NULL. */
void *ratmem_fail_null(RatStatus s);
/* Map an errno value to a status (EACCES/EPERM -> PERMISSION, ENOMEM ->
 * NO_MEMORY, EINVAL -> INVALID_ARG, anything else -> ERROR). */
RatStatus ratmem_status_from_errno(int err);

/* quota.c: charge (false past the quota) and release RatAPI memory.
 * Mappings are always charged; the heap only when the preload shim (which
 * charges every malloc) is not loaded. */
bool ratmem_quota_charge_map(size_t n);
void ratmem_quota_release_map(size_t n);
bool ratmem_quota_charge_heap(size_t n);
void ratmem_quota_release_heap(size_t n);

/* regions.c: a registry of the mappings RatAPI made (reservations, shared
 * memory, file views).  One mutex guards it; the functions below marked
 * "locked" must be called between ratmem_regions_lock and _unlock. */
enum ratmem_region_kind {
    RATMEM_REGION_RESERVATION,
    RATMEM_REGION_SHARED,
    RATMEM_REGION_FILEVIEW
};

struct ratmem_region {
    char *base;
    size_t size;          /* bytes mapped (page multiple for reservations) */
    size_t user_size;     /* size the caller asked for */
    enum ratmem_region_kind kind;
    unsigned char *committed; /* reservations: one bit per page */
    size_t committed_len;     /* bytes of the bitmap mapping */
};

void ratmem_regions_lock(void);
void ratmem_regions_unlock(void);
/* locked: add a copy of *r; false when the registry cannot grow. */
bool ratmem_regions_add(const struct ratmem_region *r);
/* locked: the region of this kind whose base is exactly base, or NULL. */
struct ratmem_region *ratmem_regions_find_base(const void *base, enum ratmem_region_kind kind);
/* locked: the region of this kind holding all of [addr, addr+len), or NULL. */
struct ratmem_region *ratmem_regions_find_range(const void *addr, size_t len, enum ratmem_region_kind kind);
/* locked: drop a region returned by a find call (the pointer dies). */
void ratmem_regions_remove(struct ratmem_region *r);

#endif
