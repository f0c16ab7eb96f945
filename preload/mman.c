/* mman.c - the interposed mapping calls: mmap, mmap64, mprotect,
 * pkey_mprotect, shmat ask the W^X policy (common/wx.c), then make the raw
 * syscall.  mmap, munmap and mremap also keep the quota's account of the
 * program's own mappings (common/mapacct.c) while a quota is set.  mremap
 * keeps a mapping's protection, so it cannot make a writable+executable
 * mapping that mmap or mprotect did not already allow. */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "mapacct.h"
#include "prim.h"
#include "shim.h"
#include "track.h"
#include "wx.h"

#define CALLER __builtin_return_address(0)

static bool allowed(int prot, const char *what, const void *caller)
{
    shim_ensure_init();
    if (ratmem_wx_allow(ratmem_shim_opts.wx, prot, what, caller))
        return true;
    errno = EACCES;
    return false;
}

static void *do_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off,
                     const void *caller)
{
    if (!allowed(prot, "mmap", caller))
        return MAP_FAILED;
    size_t charged = 0;
    if (shim_quota_on()) {
        charged = ratmem_page_round(len);
        if (!ratmem_quota_charge(&ratmem_shim_quota, charged)) {
            errno = ENOMEM;
            return MAP_FAILED;
        }
    }
    void *p = ratmem_prim_mmap(addr, len, prot, flags, fd, off);
    if (ratmem_prim_failed(p)) {
        if (charged)
            ratmem_quota_release(&ratmem_shim_quota, charged);
        errno = ratmem_prim_errno(p);
        return MAP_FAILED;
    }
    if (charged) {
        /* MAP_FIXED may replace accounted pages: they are given back. */
        size_t replaced = ratmem_mapacct_overlap(p, charged);
        if (!ratmem_mapacct_add(p, charged))
            replaced = charged; /* cannot account it: do not charge it */
        ratmem_quota_release(&ratmem_shim_quota, replaced);
    }
    SHIM_TRACK(ratmem_track_mmap(p, len, prot, flags));
    return p;
}

SHIM_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return do_mmap(addr, len, prot, flags, fd, off, CALLER);
}

SHIM_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return do_mmap(addr, len, prot, flags, fd, off, CALLER);
}

SHIM_EXPORT int munmap(void *addr, size_t len)
{
    int rc = ratmem_prim_munmap(addr, len);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    if (shim_quota_on())
        ratmem_quota_release(&ratmem_shim_quota, ratmem_mapacct_remove(addr, ratmem_page_round(len)));
    SHIM_TRACK(ratmem_track_munmap(addr, len));
    return 0;
}

SHIM_EXPORT void *mremap(void *old, size_t oldlen, size_t newlen, int flags, ...)
{
    void *want = NULL;
    if (flags & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, flags);
        want = va_arg(ap, void *);
        va_end(ap);
    }
    size_t ol = ratmem_page_round(oldlen), nl = ratmem_page_round(newlen);
    bool acct = shim_quota_on() && ratmem_mapacct_overlap(old, ol) > 0;
    if (acct && nl > ol && !ratmem_quota_charge(&ratmem_shim_quota, nl - ol)) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    long r = syscall(SYS_mremap, old, oldlen, newlen, flags, want);
    if (r == -1) {
        if (acct && nl > ol)
            ratmem_quota_release(&ratmem_shim_quota, nl - ol);
        return MAP_FAILED;
    }
    if (acct) {
        size_t had = ratmem_mapacct_remove(old, ol);
        if (!ratmem_mapacct_add((void *)r, nl))
            ratmem_quota_release(&ratmem_shim_quota, nl);
        if (ol > nl)
            ratmem_quota_release(&ratmem_shim_quota, ol - nl);
        (void)had;
    }
    SHIM_TRACK(ratmem_track_mremap(old, oldlen, (void *)r, newlen));
    return (void *)r;
}

SHIM_EXPORT int mprotect(void *addr, size_t len, int prot)
{
    if (!allowed(prot, "mprotect", CALLER))
        return -1;
    int rc = ratmem_prim_mprotect(addr, len, prot);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    SHIM_TRACK(ratmem_track_mprotect(addr, len, prot));
    return 0;
}

SHIM_EXPORT int pkey_mprotect(void *addr, size_t len, int prot, int pkey)
{
    if (!allowed(prot, "pkey_mprotect", CALLER))
        return -1;
    int rc = ratmem_prim_pkey_mprotect(addr, len, prot, pkey);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    return 0;
}

SHIM_EXPORT void *shmat(int shmid, const void *addr, int flags)
{
    /* SHM_EXEC without SHM_RDONLY maps the segment writable and executable. */
    int prot = PROT_READ | ((flags & SHM_RDONLY) ? 0 : PROT_WRITE) |
               ((flags & SHM_EXEC) ? PROT_EXEC : 0);
    if (!allowed(prot, "shmat", CALLER))
        return (void *)-1;
    long r = syscall(SYS_shmat, shmid, addr, flags);
    return (void *)r;
}
