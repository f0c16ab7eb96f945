/* mman.c - the interposed mapping calls: mmap, mmap64, mprotect,
 * pkey_mprotect, shmat.  Each asks the W^X policy (common/wx.c), then makes
 * the raw syscall.  mremap is not interposed: it keeps a mapping's
 * protection, so it cannot make a writable+executable mapping that mmap or
 * mprotect did not already allow. */
#include "config.h"
#include <errno.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "prim.h"
#include "shim.h"
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
    void *p = ratmem_prim_mmap(addr, len, prot, flags, fd, off);
    if (ratmem_prim_failed(p)) {
        errno = ratmem_prim_errno(p);
        return MAP_FAILED;
    }
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

SHIM_EXPORT int mprotect(void *addr, size_t len, int prot)
{
    if (!allowed(prot, "mprotect", CALLER))
        return -1;
    int rc = ratmem_prim_mprotect(addr, len, prot);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
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
