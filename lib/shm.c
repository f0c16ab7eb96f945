/* shm.c - named shared memory: RatSharedMemCreate, RatSharedMemOpen,
 * RatSharedMemClose, RatSharedMemUnlink, RatSharedMemSize.
 *
 * A RatAPI name NAME is the POSIX shared memory object "/NAME" (on Linux
 * the file /dev/shm/NAME), so plain POSIX code opens the same object with
 * shm_open("/NAME", ...).  The name rule is in ratmem_shm_name_valid. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"
#include "prim.h"
#include "shmname.h"

/* Build "/NAME" in buf (RATMEM_SHM_NAME_MAX + 2 bytes); false for a name
 * that breaks the rule. */
static bool object_path(const char *name, char *buf)
{
    if (!ratmem_shm_name_valid(name))
        return false;
    size_t n = strlen(name);
    buf[0] = '/';
    memcpy(buf + 1, name, n + 1);
    return true;
}

/* Map the object and charge it to the quota (after the mapping succeeded,
 * so that a failed call leaves the quota's used and peak alone). */
static RatMemPtr map_and_register(int fd, size_t size)
{
    void *p = ratmem_prim_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ratmem_prim_failed(p))
        return ratmem_fail_null(ratmem_status_from_errno(ratmem_prim_errno(p)));
    if (!ratmem_quota_charge_map(size)) {
        ratmem_prim_munmap(p, size);
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);
    }
    struct ratmem_region r = {
        .base = p, .size = size, .user_size = size, .kind = RATMEM_REGION_SHARED,
    };
    ratmem_regions_lock();
    bool ok = ratmem_regions_add(&r);
    ratmem_regions_unlock();
    if (!ok) {
        ratmem_prim_munmap(p, size);
        ratmem_quota_release_map(size);
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);
    }
    return p;
}

RatMemPtr RatSharedMemCreate(const char *name, size_t size)
{
    char path[RATMEM_SHM_NAME_MAX + 2];
    if (!object_path(name, path) || size == 0)
        return ratmem_fail_null(RAT_STATUS_INVALID_ARG);
    if (size > (size_t)INT64_MAX || ratmem_page_round(size) == 0)
        return ratmem_fail_null(RAT_STATUS_NO_MEMORY);
    int fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return ratmem_fail_null(ratmem_status_from_errno(errno));
    RatMemPtr p = NULL;
    /* The umask can only clear bits; fchmod makes 0600 exact anyway. */
    if (fchmod(fd, 0600) != 0 || ftruncate(fd, (off_t)size) != 0) {
        ratmem_fail(ratmem_status_from_errno(errno));
    } else {
        p = map_and_register(fd, size);
    }
    if (!p)
        shm_unlink(path);
    close(fd);
    return p;
}

RatMemPtr RatSharedMemOpen(const char *name)
{
    char path[RATMEM_SHM_NAME_MAX + 2];
    if (!object_path(name, path))
        return ratmem_fail_null(RAT_STATUS_INVALID_ARG);
    int fd = shm_open(path, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0)
        return ratmem_fail_null(ratmem_status_from_errno(errno));
    struct stat st;
    RatMemPtr p = NULL;
    if (fstat(fd, &st) != 0)
        ratmem_fail(ratmem_status_from_errno(errno));
    else if (st.st_size <= 0)
        ratmem_fail(RAT_STATUS_ERROR); /* an empty object cannot be mapped */
    else
        p = map_and_register(fd, (size_t)st.st_size);
    close(fd);
    return p;
}

RatStatus RatSharedMemClose(RatMemPtr ptr)
{
    ratmem_regions_lock();
    struct ratmem_region *r = ratmem_regions_find_base(ptr, RATMEM_REGION_SHARED);
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

RatStatus RatSharedMemUnlink(const char *name)
{
    char path[RATMEM_SHM_NAME_MAX + 2];
    if (!object_path(name, path))
        return ratmem_fail(RAT_STATUS_INVALID_ARG);
    if (shm_unlink(path) != 0)
        return ratmem_fail(ratmem_status_from_errno(errno));
    return RAT_STATUS_OK;
}

RatStatus RatSharedMemSize(RatMemPtr ptr, size_t *size)
{
    if (!size)
        return ratmem_fail(RAT_STATUS_INVALID_ARG);
    ratmem_regions_lock();
    struct ratmem_region *r = ratmem_regions_find_base(ptr, RATMEM_REGION_SHARED);
    if (r)
        *size = r->user_size;
    ratmem_regions_unlock();
    return r ? RAT_STATUS_OK : ratmem_fail(RAT_STATUS_INVALID_ARG);
}
