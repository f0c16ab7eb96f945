/* fileview.c - RatFileMapView, RatFileUnmapView: memory-mapped file views
 * through the same protection policy (W^X refused) as the rest of RatAPI. */
#include "config.h"
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "internal.h"
#include "prim.h"
#include "prot.h"

RatMemPtr RatFileMapView(int fd, size_t offset, size_t length, int protectionFlags,
                         RatMemMapType type)
{
    int prot;
    RatStatus st = ratmem_prot_from_flags(protectionFlags, &prot);
    if (st != RAT_STATUS_OK)
        return ratmem_fail_null(st);
    if (fd < 0 || (type != RAT_MEM_PRIVATE && type != RAT_MEM_SHARED) ||
        offset % ratmem_page_size() != 0 || offset > (size_t)INT64_MAX)
        return ratmem_fail_null(RAT_STATUS_INVALID_ARG);
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return ratmem_fail_null(RAT_STATUS_INVALID_ARG);
    if (length == 0) {
        /* The whole file from offset. */
        if (!S_ISREG(sb.st_mode) || (off_t)offset >= sb.st_size)
            return ratmem_fail_null(RAT_STATUS_INVALID_ARG);
        length = (size_t)(sb.st_size - (off_t)offset);
    }
    /* No mapping can be that large; the kernel would say ENOMEM, but
     * valgrind says EINVAL. */
    if (length > (size_t)PTRDIFF_MAX)
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);
    int flags = type == RAT_MEM_SHARED ? MAP_SHARED : MAP_PRIVATE;
    /* Charged once mapped, so that a failed call leaves the quota's used
     * and peak alone. */
    void *p = ratmem_prim_mmap(NULL, length, prot, flags, fd, (off_t)offset);
    if (ratmem_prim_failed(p))
        return ratmem_fail_null(ratmem_status_from_errno(ratmem_prim_errno(p)));
    if (!ratmem_quota_charge_map(length)) {
        ratmem_prim_munmap(p, length);
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);
    }
    struct ratmem_region r = {
        .base = p, .size = length, .user_size = length, .kind = RATMEM_REGION_FILEVIEW,
    };
    ratmem_regions_lock();
    bool ok = ratmem_regions_add(&r);
    ratmem_regions_unlock();
    if (!ok) {
        ratmem_prim_munmap(p, length);
        ratmem_quota_release_map(length);
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);
    }
    return p;
}

RatStatus RatFileUnmapView(RatMemPtr ptr)
{
    ratmem_regions_lock();
    struct ratmem_region *r = ratmem_regions_find_base(ptr, RATMEM_REGION_FILEVIEW);
    if (!r) {
        ratmem_regions_unlock();
        return ratmem_fail(RAT_STATUS_INVALID_ARG);
    }
    ratmem_prim_munmap(r->base, r->size);
    ratmem_quota_release_map(r->size);
    ratmem_regions_remove(r);
    ratmem_regions_unlock();
    return RAT_STATUS_OK;
}
