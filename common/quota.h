/* quota.h - a limit on bytes in use, charged and released without locks.
 * One counter per process: the preload shim's when it is loaded, else
 * libratmem's own (see lib/quota.c and preload/shim.c). */
#ifndef RATMEM_COMMON_QUOTA_H
#define RATMEM_COMMON_QUOTA_H

#include <stdbool.h>
#include <stddef.h>

struct ratmem_quota {
    _Atomic size_t limit;   /* 0 = no limit */
    _Atomic size_t used;
    _Atomic size_t peak;
};

/* Charge n bytes; false (nothing charged) when that would pass the limit.
 * Racing threads can never push used past the limit together. */
bool ratmem_quota_charge(struct ratmem_quota *q, size_t n);
/* Give n bytes back (saturating at 0, for blocks made before the quota). */
void ratmem_quota_release(struct ratmem_quota *q, size_t n);

/* Parse "1048576", "64K", "10M", "2G" (binary multiples); false when bad. */
bool ratmem_quota_parse_size(const char *s, size_t len, size_t *out);

#endif
